import assert from 'node:assert/strict';
import test from 'node:test';

import { ExampleData, cached } from '../../frontend/examples.js';
import { summarizeCodes } from '../../frontend/normalize.js';
import { STATE_SPEC } from '../../frontend/settings.js';
import { coerceState } from '../../frontend/urlstate.js';

test('the cache keeps the most recently used entries', () => {
  const map = new Map();
  let made = 0;
  const make = () => ({ n: made++ });
  cached(map, 'a', make, 2);
  cached(map, 'b', make, 2);
  assert.equal(cached(map, 'a', make, 2).n, 0); // a is now the most recent
  cached(map, 'c', make, 2); // evicts b
  assert.deepEqual([...map.keys()], ['a', 'c']);
  assert.equal(made, 3);
});

test('example data: epochs, scales and the saturation history', () => {
  const sweep = (epoch, target) => ({
    count: 2,
    numClasses: 2,
    target,
    predictions: new Float32Array([0.1, 0.9, 0.6, 0.4]),
    absMean: new Float32Array([epoch, epoch + 1]),
    summaries: [summarizeCodes(new Int8Array([127]), epoch + 1), summarizeCodes(new Int8Array([127]), 1)],
  });
  const data = new ExampleData(4);
  data.add([{ epoch: 5, sweep: sweep(5, 1), ig: null }, { epoch: 2, sweep: sweep(2, 0), ig: null }]);
  data.add([{ epoch: 9, sweep: null, ig: { summary: summarizeCodes(new Int8Array([127]), 3) } }]);
  assert.deepEqual(data.history().map((h) => h.epoch), [2, 5]);
  assert.deepEqual(data.history()[0].probs.map((p) => Math.round(p * 10)), [1, 6]);
  assert.deepEqual(data.history()[1].probs.map((p) => Math.round(p * 10)), [9, 4]);
  assert.deepEqual(data.sweepScales.scales('epochs', 100, 2), [6, 6]);
  assert.deepEqual(data.igScales.scales('map', 100, 9), [3]);
});

test('URL state follows its spec', () => {
  const state = coerceState({ view: 'abs', clip: '99.5', speed: '60', outline: 'off', epoch: '3', palette: 'nope' }, STATE_SPEC);
  assert.equal(state.view, 'abs');
  assert.equal(state.clip, '99.5');
  assert.equal(state.speed, '60');
  assert.equal(state.outline, 'off');
  assert.equal(state.epoch, 3);
  assert.equal(state.palette, 'rdbu');
  assert.equal(state.scale, 'alphas');
  assert.equal(coerceState({ clip: '97' }, STATE_SPEC).clip, '99');
});
