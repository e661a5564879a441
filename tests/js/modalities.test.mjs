// The pure parts of the sequence, tabular and token views, the heads' wording and the colour
// tables the views share.
import assert from 'node:assert/strict';
import test from 'node:test';

import { dequantizeCode } from '../../frontend/codec.js';
import { paletteLuts } from '../../frontend/colormap.js';
import { Head, headKind, outputName } from '../../frontend/heads.js';
import { luminance, parseColor, shadeColors, shadeValue } from '../../frontend/pixels.js';
import {
  channelRange,
  columnRange,
  envelope,
  extremeChannelSum,
  extremeCodes,
  maskSpans,
  pointCount,
  sequenceBaseline,
  timeTicks,
} from '../../frontend/view_sequence_data.js';
import { TOP_FEATURES, barGeometry, decodeMap, featureNames, rankFeatures } from '../../frontend/view_tabular_data.js';
import { codeStyles, tokenCodes, visibleTokens } from '../../frontend/view_tokens_data.js';

const luts = paletteLuts('rdbu');

test('a series is brought down to pixel columns without losing its extremes', () => {
  // Every step lands in exactly one column, and the columns cover the series.
  for (const [steps, columns] of [[1000, 530], [1000, 1000], [7, 3], [5, 5]]) {
    let next = 0;
    for (let x = 0; x < columns; x++) {
      const [start, end] = columnRange(x, steps, columns);
      assert.equal(start, next, `${steps}/${columns} column ${x}`);
      assert.ok(end > start);
      next = end;
    }
    assert.equal(next, steps);
  }
  assert.equal(pointCount(1000, 530.7), 530);
  assert.equal(pointCount(64, 500), 64);
  // A one-step spike of channel 1 in a 1000 x 3 series survives in a 100-column envelope.
  const steps = 1000;
  const values = new Float32Array(steps * 3);
  for (let t = 0; t < steps; t++) values[t * 3 + 1] = Math.sin(t / 10) * 0.1;
  values[617 * 3 + 1] = 5;
  values[618 * 3 + 1] = -4;
  const { min, max } = envelope(values, steps, 3, 1, 100);
  assert.equal(Math.max(...max), 5);
  assert.equal(Math.min(...min), -4);
  assert.equal(max.indexOf(5), 61);
  // Sampling one step per column (what aliasing does) would have missed it.
  assert.ok(Array.from({ length: 100 }, (_, x) => values[x * 10 * 3 + 1]).every((v) => Math.abs(v) < 1));
  const withNan = new Float32Array([NaN, NaN, 1, 2]);
  const e = envelope(withNan, 4, 1, 0, 2);
  assert.ok(Number.isNaN(e.min[0]) && Number.isNaN(e.max[0]));
  assert.deepEqual([e.min[1], e.max[1]], [1, 2]);
});

test('the map of a column is its step of largest |value|, sign kept, NaN first', () => {
  // [T=6, C=2] codes; channel 0: a negative peak in the first half, a positive one in the second.
  const codes = new Int8Array([10, 1, -90, 2, 30, 3, 5, 4, 100, 5, -20, 6]);
  assert.deepEqual([...extremeCodes(codes, 0, 6, 2, 0, 2)], [-90, 100]);
  assert.deepEqual([...extremeCodes(codes, 0, 6, 2, 1, 3)], [2, 4, 6]);
  assert.deepEqual([...extremeCodes(codes, 0, 6, 2, 0, 6)], [10, -90, 30, 5, 100, -20]);
  const nan = new Int8Array([127, 0, -128, 0, 1, 0]);
  assert.deepEqual([...extremeCodes(nan, 0, 3, 2, 0, 1)], [-128]);
  // The channel sum: decoded values summed per step, then the extreme per column.
  const sums = extremeChannelSum(new Int8Array([127, 127, -127, 0, 0, 0]), 0, 3, 2, 2, 1);
  assert.equal(sums[0], 4);
  const offset = extremeCodes(new Int8Array([0, 0, 0, 0, 50, -60]), 4, 1, 2, 1, 1);
  assert.deepEqual([...offset], [-60]);
});

test('masks, ranges, baselines and ticks of a series', () => {
  assert.deepEqual(maskSpans(new Uint8Array([0, 1, 1, 0, 0, 1])), [[1, 3], [5, 6]]);
  assert.deepEqual(maskSpans(new Uint8Array([1, 1])), [[0, 2]]);
  assert.deepEqual(maskSpans(new Uint8Array(3)), []);
  assert.deepEqual(channelRange(new Float32Array([1, 5, 2, 6]), 2, 2, 0, 0), [0, 2]);
  assert.deepEqual(channelRange(new Float32Array([3, 3]), 2, 1, 0, 3), [2, 4]);
  assert.deepEqual(sequenceBaseline('black'), { value: 0, exact: true, label: 'black' });
  assert.deepEqual(sequenceBaseline('constant(0.5)'), { value: 0.5, exact: true, label: 'constant(0.5)' });
  assert.equal(sequenceBaseline('uniform').exact, false);
  assert.deepEqual(timeTicks(1000, 5), [0, 200, 400, 600, 800]);
  assert.deepEqual(timeTicks(1), [0]);
});

test('the top 20 features by |attribution| and the rest folded into one sum', () => {
  const values = new Float32Array(100).map((_, i) => (i % 2 ? -1 : 1) * (i + 1) * 1e-3);
  values[42] = -0.5;
  values[7] = NaN;
  const r = rankFeatures(values);
  assert.equal(TOP_FEATURES, 20);
  assert.equal(r.order.length, 20);
  assert.equal(r.order[0], 42);
  assert.deepEqual(r.order.slice(1, 4), [99, 98, 97]);
  assert.equal(r.othersCount, 80);
  assert.ok(r.others.includes(7) && r.others.at(-1) === 7, 'NaN last');
  const total = [...values].filter(Number.isFinite).reduce((a, b) => a + b, 0);
  const shown = r.order.reduce((a, i) => a + values[i], 0);
  assert.ok(Math.abs(shown + r.othersSum - total) < 1e-5, 'the bars add up to the whole');
  // Ties keep the feature order; 21 features or fewer are all shown.
  assert.deepEqual(rankFeatures(new Float32Array([1, -1, 1])).order, [0, 1, 2]);
  assert.equal(rankFeatures(new Float32Array(21).fill(1)).othersCount, 0);
  assert.equal(rankFeatures(new Float32Array(22).fill(1)).othersCount, 2);
  assert.deepEqual(featureNames(['age', null], 3), ['age', 'feature 1', 'feature 2']);
  assert.deepEqual(featureNames(null, 2), ['feature 0', 'feature 1']);
  const decoded = decodeMap(new Int8Array([127, -127, 0, -128]), 0, 4, 2);
  assert.deepEqual([...decoded.slice(0, 3)], [2, -2, 0]);
  assert.ok(Number.isNaN(decoded[3]));
  assert.equal(decodeMap(new Int8Array([64]), 0, 1, 1)[0], Math.fround(dequantizeCode(64, 1)));
});

test('bars grow from zero and saturate at the scale', () => {
  assert.deepEqual(barGeometry(0.5, 1, 200, true), { x: 100, w: 50, clipped: false });
  assert.deepEqual(barGeometry(-2, 1, 200, true), { x: 0, w: 100, clipped: true });
  assert.deepEqual(barGeometry(-0.5, 1, 100, false), { x: 0, w: 50, clipped: false });
  assert.deepEqual(barGeometry(NaN, 1, 100, true), { x: 0, w: 0, clipped: false });
});

test('tokens: padding is not drawn, ids stand in for missing strings', () => {
  const ids = new Int32Array([5, 9, 0, 0]);
  assert.deepEqual(visibleTokens(ids, ['the', '<b>x</b>', '<pad>', '<pad>'], 0), { keep: [0, 1], text: ['the', '<b>x</b>'] });
  assert.deepEqual(visibleTokens(ids, null, 0), { keep: [0, 1], text: ['5', '9'] });
  assert.deepEqual(visibleTokens(ids, null, null).keep, [0, 1, 2, 3]);
  assert.deepEqual([...tokenCodes(new Int8Array([10, -3, 99, 4]), 0, [0, 3])], [138, 132]);
});

test('token colours: blue for positive, red for negative, readable text on both', () => {
  const styles = codeStyles('signed', 1, 1, luts);
  const rgb = (css) => css.match(/\d+/g).map(Number);
  const [pr, , pb] = rgb(styles.background[127 + 128]);
  const [nr, , nb] = rgb(styles.background[-127 + 128]);
  assert.ok(pb > pr, 'positive is blue');
  assert.ok(nr > nb, 'negative is red');
  assert.equal(styles.ink[127 + 128], '#ffffff', 'white text on deep blue');
  assert.equal(styles.ink[128], '#212121', 'dark text on the near-white zero');
  // The overlay blends over the background: zero is the background itself.
  const overlay = codeStyles('overlay', 1, 1, luts, [250, 250, 250]);
  assert.equal(overlay.background[128], 'rgb(250, 250, 250)');
  assert.equal(overlay.background[255], `rgb(${luts.positive.join(', ')})`);
  // A display scale of twice the map's maximum gives half the weight.
  const half = rgb(codeStyles('overlay', 1, 2, luts).background[255]);
  assert.ok(Math.abs(half[2] - (255 + 0.5 * (luts.positive[2] - 255))) <= 1);
});

test('shading tables and colours', () => {
  const table = shadeColors('overlay', 1, 1, luts, [0, 0, 0]);
  assert.deepEqual([...table.subarray(128 * 4, 128 * 4 + 4)], [0, 0, 0, 255]);
  assert.deepEqual([...shadeColors('signed', 1, 1, luts).subarray(0, 3)], [0, 230, 118], 'NaN code');
  assert.deepEqual(shadeValue('overlay', 0, 1, luts, [9, 9, 9]), [9, 9, 9]);
  assert.deepEqual(shadeValue('signed', -5, 1, luts), [...luts.diverging.subarray(0, 3)]);
  assert.ok(luminance(255, 255, 255) > 0.99 && luminance(0, 0, 0) === 0);
  assert.deepEqual(parseColor('#3a3a3a'), [58, 58, 58]);
  assert.deepEqual(parseColor('rgb(1, 2, 3)'), [1, 2, 3]);
  assert.deepEqual(parseColor('nonsense', [7, 7, 7]), [7, 7, 7]);
});

test('heads word predictions and labels', () => {
  assert.equal(headKind(null, null), 'multiclass');
  assert.equal(headKind({ head: null }, { head: { kind: 'regression' } }), 'regression');
  assert.equal(headKind({ head: { kind: 'nope' } }, null), 'multiclass');
  assert.equal(outputName('regression', null, 1), 'output 1');
  assert.equal(outputName('multiclass', ['a'], 2), 'class 2');

  const multi = new Head({ classNames: ['cat', '<b>dog</b>'], labels: new Int32Array([1]) });
  const p = multi.predict(new Float32Array([0.2, 0.8]), 0, 2, 1);
  assert.deepEqual([p.text, p.detail, p.cls], ['<b>dog</b>', '80.0%', 1]);
  assert.equal(multi.truth(0).text, '<b>dog</b>');
  assert.equal(multi.wrong(p, multi.truth(0)), false);
  assert.deepEqual(multi.titleParts(multi.truth(0), p), ['true: <b>dog</b>', 'predicted: <b>dog</b> (80.0%)']);
  assert.equal(multi.truth(3), null);

  const binary = new Head({ kind: 'binary', classNames: null, labels: new Int32Array([0]) });
  const b = binary.predict(new Float32Array([0.3, 0.7]), 0, 2, 0);
  assert.equal(b.text, 'class 1');
  assert.equal(binary.wrong(b, binary.truth(0)), true);

  const labelValues = { data: new Float32Array([1, 0, 1, 0, 0, 0]), width: 3 };
  const ml = new Head({ kind: 'multilabel', classNames: ['a', 'b', 'c'], labelValues });
  assert.equal(ml.truth(0).text, 'a, c');
  assert.equal(ml.truth(1).text, 'none');
  const m = ml.predict(new Float32Array([0.9, 0.2, 0.6]), 0, 3, 2);
  assert.deepEqual([m.text, m.detail], ['a, c', 'c 60.0%']);
  assert.equal(ml.wrong(m, ml.truth(0)), false);
  assert.equal(ml.wrong(m, ml.truth(1)), true);

  const reg = new Head({ kind: 'regression', classNames: null, labelValues: { data: new Float32Array([0.42, 7, 0.1, 0.2]), width: 2 } });
  const r = reg.predict(new Float32Array([0.4, 6.5]), 0, 2, 0);
  assert.deepEqual([r.text, r.detail], ['0.4', 'output 0']);
  assert.deepEqual(reg.titleParts(reg.truth(0, 0), reg.predict(new Float32Array([0.4]), 0, 1, 0)), ['true: 0.42', 'predicted: 0.4']);
  assert.equal(reg.truth(0, 1).text, '7');
  assert.equal(reg.wrong(r, reg.truth(0)), false, 'a value is never "wrong"');
  assert.equal(reg.probabilities, false);
  // Gallery digests: the explained output of each example, at the largest alpha.
  const digest = { alphas: [0.5, 1], numAlphas: 2, numClasses: 2, targets: new Int32Array([1, 0]), predictions: new Float32Array([0, 0, 0.3, 0.6, 0, 0, 0.9, 0.1]) };
  assert.equal(reg.galleryPrediction(digest, 0).text, '0.6');
  assert.equal(reg.galleryPrediction(digest, 1).text, '0.9');
  assert.equal(reg.galleryPrediction(null, 0), null);
});
