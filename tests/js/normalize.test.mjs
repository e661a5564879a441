import assert from 'node:assert/strict';
import test from 'node:test';

import { dequantize } from '../../frontend/codec.js';
import {
  ScaleCache,
  displayScales,
  percentileOfMaps,
  summarizeCodes,
  summarizeMaps,
} from '../../frontend/normalize.js';

// Nearest-rank percentile of |values| over decoded pixels: the reference the summaries must match.
function bruteForce(values, percent) {
  const finite = [...values].filter(Number.isFinite).map(Math.abs).sort((a, b) => a - b);
  if (!finite.length) return 0;
  const rank = Math.max(1, Math.ceil((percent / 100) * finite.length));
  return finite[rank - 1];
}

function randomCodes(n, seed) {
  let x = seed;
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out[i] = (x % 256) - 128;
  }
  return out;
}

test('summaries count |codes| and non-finite pixels', () => {
  const s = summarizeCodes(new Int8Array([0, 5, -5, 127, -128]), 2);
  assert.equal(s.hist[5], 2);
  assert.equal(s.hist[0], 1);
  assert.equal(s.hist[127], 1);
  assert.equal(s.nonfinite, 1);
  assert.equal(s.scale, 2);
  assert.equal(summarizeCodes(new Int8Array(2), Number.NaN).scale, 0);
});

test('percentiles of one map and of many maps match the decoded pixels', () => {
  const mapSize = 400;
  const codes = randomCodes(mapSize * 5, 7);
  codes[3 * mapSize] = 127; // the map of scale 3 reaches its scale
  const scales = new Float32Array([0.5, 2, 1e-4, 3, 0]);
  const summaries = summarizeMaps(codes, scales, mapSize);
  const values = dequantize(codes, scales, mapSize);
  for (const p of [0, 1, 50, 90, 99, 99.9, 100]) {
    for (let m = 0; m < 5; m++) {
      const expected = bruteForce(values.subarray(m * mapSize, (m + 1) * mapSize), p);
      assert.ok(Math.abs(percentileOfMaps([summaries[m]], p) - expected) <= 1e-6 * expected, `map ${m} p${p}`);
    }
    const all = bruteForce(values, p);
    assert.ok(Math.abs(percentileOfMaps(summaries, p) - all) <= 1e-6 * all, `union p${p}`);
  }
  assert.equal(percentileOfMaps(summaries, 100), 3);
  assert.equal(percentileOfMaps([], 99), 0);
  assert.equal(percentileOfMaps([summarizeCodes(new Int8Array([-128]), 1)], 99), 0);
});

test('the three normalisation modes', () => {
  const grid = new Map([
    [0, [summarizeCodes(new Int8Array([127]), 1), summarizeCodes(new Int8Array([127]), 4)]],
    [1, [summarizeCodes(new Int8Array([127]), 10), summarizeCodes(new Int8Array([127]), 2)]],
  ]);
  assert.deepEqual(displayScales('map', 100, grid, 0), [1, 4]);
  assert.deepEqual(displayScales('alphas', 100, grid, 0), [4, 4]);
  assert.deepEqual(displayScales('epochs', 100, grid, 0), [10, 10]);
  assert.deepEqual(displayScales('epochs', 100, grid, 1), [10, 10]);
  assert.deepEqual(displayScales('map', 100, grid, 5), []);
  assert.throws(() => displayScales('nope', 99, grid, 0), /unknown/);
});

test('the scale cache recomputes when an epoch arrives', () => {
  const cache = new ScaleCache();
  cache.set(0, [summarizeCodes(new Int8Array([127]), 1)]);
  assert.deepEqual(cache.scales('epochs', 100, 0), [1]);
  cache.set(3, [summarizeCodes(new Int8Array([127]), 7)]);
  assert.deepEqual(cache.scales('epochs', 100, 0), [7]);
  assert.deepEqual(cache.scales('map', 100, 0), [1]);
  assert.equal(cache.size, 2);
  assert.ok(cache.has(3));
});
