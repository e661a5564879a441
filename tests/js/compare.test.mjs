import assert from 'node:assert/strict';
import test from 'node:test';

import { columnChoices, columnNote, columnScales, comparableRuns, defaultColumns, methodLabel, methodsOf, sharedScales, unitOf } from '../../frontend/compare_data.js';
import { summarizeCodes } from '../../frontend/normalize.js';

const IG = (tag = 'tb_attrib/integrated_gradients') => ({ name: 'integrated_gradients', tag, epochs: [0, 1] });
const SG = { name: 'smoothgrad', tag: 'tb_attrib/methods/smoothgrad', epochs: [0, 1] };
const A = { run: 'a', probe_digest: 'p1', ig_tag: 'tb_attrib/integrated_gradients', methods: [IG(), SG] };
const B = { run: 'b', probe_digest: 'p1', ig_tag: 'tb_attrib/integrated_gradients', methods: [IG()] };
const C = { run: '<c>', probe_digest: 'p2', ig_tag: 'tb_attrib/integrated_gradients', methods: [IG()] };
const OLD = { run: 'old', probe_digest: null, ig_tag: 'ig', epochs: [3] }; // no `methods`: a log of an earlier version

test('runs compare when their probe digests match; a run without one compares with itself', () => {
  assert.deepEqual(comparableRuns([A, B, C, OLD], A).map((r) => r.run), ['a', 'b']);
  assert.deepEqual(comparableRuns([A, B, C, OLD], C).map((r) => r.run), ['<c>']);
  assert.deepEqual(comparableRuns([A, OLD, { ...OLD, run: 'old2' }], OLD).map((r) => r.run), ['old']);
  assert.deepEqual(methodsOf(OLD), [{ name: 'integrated_gradients', tag: 'ig', epochs: [3] }]);
});

test('the columns: every method of every comparable run, opening on IG beside another method', () => {
  const choices = columnChoices([A, B, C], A);
  assert.deepEqual(choices.map((c) => c.label), ['a · Integrated gradients', 'a · SmoothGrad', 'b · Integrated gradients']);
  assert.deepEqual(defaultColumns(choices).map((c) => c.label), ['a · Integrated gradients', 'a · SmoothGrad']);
  // b writes IG only: its IG beside a's.
  const fromB = columnChoices([A, B], B);
  assert.deepEqual(defaultColumns(fromB).map((c) => c.label), ['b · Integrated gradients', 'a · Integrated gradients']);
  // What the user chose survives a reload; a choice that vanished falls back.
  const kept = defaultColumns(choices, [choices[2].key, choices[0].key]);
  assert.deepEqual(kept.map((c) => c.label), ['b · Integrated gradients', 'a · Integrated gradients']);
  assert.deepEqual(defaultColumns(choices, ['gone', 'gone']).map((c) => c.label), ['a · Integrated gradients', 'a · SmoothGrad']);
  // One run of one method: nothing to compare. Labels without run names for one run.
  assert.deepEqual(defaultColumns(columnChoices([C], C)), []);
  assert.deepEqual(columnChoices([A], A).map((c) => c.label), ['Integrated gradients', 'SmoothGrad']);
  assert.equal(methodLabel('<b>new</b>'), '<b>new</b>');
});

function record(codes, scale) {
  return { inputs: [{ summary: summarizeCodes(Int8Array.from(codes), scale) }] };
}

test('one display scale spans both columns', () => {
  const left = new Map([[0, record([127, 0, 0, 0], 2)], [1, record([127, 0, 0, 0], 1)]]);
  const right = new Map([[0, record([127, 0, 0, 0], 8)], [1, record([127, 64, 0, 0], 4)]]);
  // This epoch: the largest of both columns' maps (100th percentile).
  assert.deepEqual(sharedScales([left, right], 'map', 100, 0, 1), [8]);
  assert.deepEqual(sharedScales([left, right], 'map', 100, 1, 1), [4]);
  // Fixed across epochs: every loaded epoch of both.
  assert.deepEqual(sharedScales([left, right], 'epochs', 100, 1, 1), [8]);
  // A column still loading, or missing the epoch, leaves the other's scale.
  assert.deepEqual(sharedScales([left, null], 'map', 100, 0, 1), [2]);
  assert.deepEqual(sharedScales([new Map(), null], 'map', 100, 0, 1), [0]);
});

test('a gradient beside an attribution gets a scale per column; the same units share one', () => {
  const left = new Map([[0, record([127, 0], 2)]]);
  const right = new Map([[0, record([127, 0], 8)]]);
  assert.deepEqual(columnScales([left, right], ['attribution', 'attribution'], 'map', 100, 0, 1), [[8], [8]]);
  assert.deepEqual(columnScales([left, right], ['attribution', 'gradient'], 'map', 100, 0, 1), [[2], [8]]);
  assert.equal(unitOf('smoothgrad'), 'gradient');
  assert.equal(unitOf('smoothgrad_ig'), 'attribution');
  assert.equal(unitOf('guided_ig'), 'attribution');
});

test('a column says what its method computed', () => {
  assert.equal(columnNote(null, 4), 'No data at epoch 4.');
  assert.equal(columnNote({ method: 'smoothgrad', steps: 25, relativeDelta: NaN }, 2), 'Epoch 2 · 25 noisy samples');
  assert.equal(columnNote({ method: 'guided_ig', steps: 200, relativeDelta: 0.021 }, 2), 'Epoch 2 · 200 steps · completeness 2.1%');
  assert.equal(columnNote({ method: 'riemann_trapezoid', steps: 31, relativeDelta: 0.004 }, 0), 'Epoch 0 · riemann_trapezoid, 31 points · completeness 0.4%');
});
