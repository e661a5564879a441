import assert from 'node:assert/strict';
import test from 'node:test';

import { gaussianBlur, baselinePixels } from '../../frontend/baseline.js';
import {
  DEFAULT_PALETTE,
  NONFINITE_RGB,
  PALETTES,
  buildLut,
  divergingIndex,
  paletteLuts,
  sequentialIndex,
} from '../../frontend/colormap.js';
import {
  codeColors,
  grayscale,
  imageRgba,
  paintCodes,
  paintMap,
  scaledInputRgba,
} from '../../frontend/pixels.js';
import { runPython } from './pyhelper.mjs';

const rgbAt = (rgba, i) => [rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2]];

test('LUTs interpolate their anchors; indices clip', () => {
  const lut = buildLut(['#000000', '#ff0000', '#ffffff']);
  assert.deepEqual([...lut.subarray(0, 3)], [0, 0, 0]);
  assert.deepEqual([...lut.subarray(765, 768)], [255, 255, 255]);
  assert.equal(lut[Math.round(127.5) * 3], 255);
  assert.equal(divergingIndex(-5), 0);
  assert.equal(divergingIndex(0), 127);
  assert.equal(divergingIndex(2), 254);
  assert.equal(sequentialIndex(-1), 0);
  assert.equal(sequentialIndex(0.5), 128);
  for (const name of Object.keys(PALETTES)) {
    const luts = paletteLuts(name);
    assert.equal(luts.diverging.length, 255 * 3);
    assert.equal(luts.sequential.length, 768);
  }
  assert.equal(paletteLuts('no such palette'), paletteLuts(DEFAULT_PALETTE));
});

test('signed maps put positive at the blue end and negative at the red end', () => {
  const luts = paletteLuts('rdbu');
  const codes = new Int8Array([127, -127, 0, -128]);
  const rgba = paintCodes(codes, 0, 4, codeColors('signed', 1, 1, luts));
  const [pos, neg, zero, nan] = [0, 1, 2, 3].map((i) => rgbAt(rgba, i));
  assert.ok(pos[2] > pos[0], 'positive is blue');
  assert.ok(neg[0] > neg[2], 'negative is red');
  assert.deepEqual(zero, [247, 247, 247]);
  assert.deepEqual(nan, [...NONFINITE_RGB]);
  assert.equal(rgba[3], 255);
});

test('display scale clips: a map at twice the scale saturates', () => {
  const luts = paletteLuts('rdbu');
  const codes = new Int8Array([90]); // (90/127)^2 * 2 = 1.004 > 1
  const clipped = rgbAt(paintCodes(codes, 0, 1, codeColors('signed', 2, 1, luts)), 0);
  assert.deepEqual(clipped, [...luts.diverging.subarray(762, 765)]);
  const abs = rgbAt(paintCodes(new Int8Array([-127]), 0, 1, codeColors('abs', 1, 1, luts)), 0);
  assert.deepEqual(abs, [...luts.sequential.subarray(765, 768)]);
  const zeroScale = rgbAt(paintCodes(new Int8Array([127]), 0, 1, codeColors('signed', 1, 0, luts)), 0);
  assert.deepEqual(zeroScale, [247, 247, 247], 'a zero display scale paints neutral');
});

test('overlays blend the palette ends over a lifted grayscale copy', () => {
  const luts = paletteLuts('rdbu');
  const gray = new Uint8Array([0, 0, 200]);
  const codes = new Int8Array([127, -127, 0]);
  const rgba = paintMap('overlay', codes, 0, 3, 1, 1, luts, gray);
  assert.deepEqual(rgbAt(rgba, 0), [...luts.positive]);
  assert.deepEqual(rgbAt(rgba, 1), [...luts.negative]);
  assert.deepEqual(rgbAt(rgba, 2), [214, 214, 214]);
});

test('images: grayscale, scaled inputs and single-channel images', () => {
  const rgb = { data: new Uint8Array([255, 0, 0, 0, 0, 255]), shape: [1, 2, 3] };
  assert.deepEqual([...grayscale(rgb)], [76, 29]);
  const half = scaledInputRgba(rgb, 0.5, null);
  assert.deepEqual([...half], [128, 0, 0, 255, 0, 0, 128, 255]);
  const towardsWhite = scaledInputRgba(rgb, 0, new Float32Array(6).fill(255));
  assert.deepEqual(rgbAt(towardsWhite, 0), [255, 255, 255]);
  const mono = { data: new Uint8Array([10, 20]), shape: [1, 2, 1] };
  assert.deepEqual([...imageRgba(mono)], [10, 10, 10, 255, 20, 20, 20, 255]);
  assert.deepEqual([...grayscale(mono)], [10, 20]);
});

test('baselines: exact names, constants, and an honest approximation', () => {
  const image = { data: new Uint8Array(2 * 2 * 3).fill(200), shape: [2, 2, 3] };
  assert.equal(baselinePixels('black', image).data, null);
  assert.equal(baselinePixels('black', image).exact, true);
  assert.equal(baselinePixels('white', image, { probeMax: 240 }).data[0], 240);
  assert.equal(baselinePixels('constant(0.5)', image, { displayRange: [0, 1] }).data[0], 127.5);
  const shifted = baselinePixels('black', image, { displayRange: [-1, 1] });
  assert.equal(shifted.data[0], 127.5);
  const noise = baselinePixels('uniform', image);
  assert.equal(noise.exact, false);
  assert.equal(noise.label, 'uniform');
  const blurred = baselinePixels('blur', image);
  assert.ok(blurred.exact);
  assert.ok(Math.abs(blurred.data[0] - 200) < 1e-3, 'blurring a flat image keeps it');
});

test('the blur baseline mirrors the engine\'s gaussian_blur', (t) => {
  const py = runPython(`
import importlib.util, json
import numpy as np
# Load the engine's baselines module alone (the engine package would import TensorFlow).
spec = importlib.util.spec_from_file_location("baselines", "tb_attrib/engine/baselines.py")
baselines = importlib.util.module_from_spec(spec)
spec.loader.exec_module(baselines)
gaussian_blur = baselines.gaussian_blur
x = (np.arange(9 * 7 * 3) % 17).astype(np.float32).reshape(1, 9, 7, 3) * 15
print(json.dumps({"x": x.ravel().tolist(), "y": gaussian_blur(x, 0.9).ravel().tolist(),
                  "z": gaussian_blur(x, 3.2).ravel().tolist()}))
`);
  if (!py) return t.skip('no Python with tb_attrib');
  for (const [sigma, expected] of [[0.9, py.y], [3.2, py.z]]) {
    const y = gaussianBlur(new Float32Array(py.x), [9, 7, 3], sigma);
    expected.forEach((v, i) => assert.ok(Math.abs(y[i] - v) < 1e-3, `sigma ${sigma} pixel ${i}: ${y[i]} vs ${v}`));
  }
});

test('mask outlines mark the inside border of the object', async () => {
  const { outlineMask } = await import('../../frontend/pixels.js');
  const mask = Uint8Array.from([0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]); // 4x4, 3x3 object
  const rgba = outlineMask(new Uint8ClampedArray(64), mask, 4, 4, [9, 8, 7]);
  const marked = [...Array(16).keys()].filter((i) => rgba[i * 4] === 9);
  assert.deepEqual(marked, [5, 6, 7, 9, 11, 13, 14, 15]);
});
