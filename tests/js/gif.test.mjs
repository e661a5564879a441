import assert from 'node:assert/strict';
import test from 'node:test';

import { buildPalette, encodeGif, lzwEncode } from '../../frontend/gif.js';
import { runPython } from './pyhelper.mjs';

// An independent GIF reader (global palette, full-size frames): enough to check the encoder.
function decodeGif(bytes) {
  const text = (a, n) => String.fromCharCode(...bytes.subarray(a, a + n));
  assert.equal(text(0, 6), 'GIF89a');
  const u16 = (at) => bytes[at] | (bytes[at + 1] << 8);
  const width = u16(6);
  const height = u16(8);
  const packed = bytes[10];
  assert.ok(packed & 0x80, 'global colour table');
  const tableSize = 1 << ((packed & 7) + 1);
  const palette = bytes.subarray(13, 13 + tableSize * 3);
  let at = 13 + tableSize * 3;
  const frames = [];
  let loop = null;
  const delays = [];
  for (;;) {
    const b = bytes[at++];
    if (b === 0x3b) break;
    if (b === 0x21) {
      const label = bytes[at++];
      if (label === 0xff && text(at + 1, 11) === 'NETSCAPE2.0') loop = u16(at + 14);
      if (label === 0xf9) delays.push(u16(at + 2));
      while (bytes[at] !== 0) at += bytes[at] + 1;
      at++;
    } else if (b === 0x2c) {
      assert.equal(u16(at + 4), width);
      assert.equal(u16(at + 6), height);
      at += 9;
      const minCodeSize = bytes[at++];
      const chunks = [];
      while (bytes[at] !== 0) {
        chunks.push(...bytes.subarray(at + 1, at + 1 + bytes[at]));
        at += bytes[at] + 1;
      }
      at++;
      frames.push(lzwDecode(Uint8Array.from(chunks), minCodeSize, width * height));
    } else {
      throw new Error(`unexpected block 0x${b.toString(16)} at ${at - 1}`);
    }
  }
  return { width, height, palette, frames, loop, delays };
}

function lzwDecode(data, minCodeSize, count) {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  let width = minCodeSize + 1;
  let dict = [];
  const reset = () => {
    dict = [];
    for (let i = 0; i < clear; i++) dict.push([i]);
    dict.push(null, null);
    width = minCodeSize + 1;
  };
  reset();
  const out = [];
  let bitPos = 0;
  const read = () => {
    let code = 0;
    for (let i = 0; i < width; i++, bitPos++) {
      if ((data[bitPos >> 3] >> (bitPos & 7)) & 1) code |= 1 << i;
    }
    return code;
  };
  let previous = null;
  for (;;) {
    const code = read();
    if (code === clear) {
      reset();
      previous = null;
      continue;
    }
    if (code === end) break;
    let entry;
    if (code < dict.length) entry = dict[code];
    else if (code === dict.length && previous) entry = [...previous, previous[0]];
    else throw new Error(`bad code ${code}`);
    out.push(...entry);
    if (previous && dict.length < 4096) {
      dict.push([...previous, entry[0]]);
      if (dict.length === 1 << width && width < 12) width++;
    }
    previous = entry;
  }
  assert.equal(out.length, count);
  return Uint8Array.from(out);
}

function frame(width, height, fn) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = fn(x, y);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

test('few colours are kept exactly, frame by frame', () => {
  const frames = [0, 1, 2].map((k) => frame(13, 7, (x, y) => [((x + k) % 3) * 100, y * 30, 7]));
  const gif = encodeGif(frames, { delayMs: 120, loop: 0 });
  const decoded = decodeGif(gif);
  assert.equal(decoded.frames.length, 3);
  assert.equal(decoded.loop, 0);
  assert.deepEqual(decoded.delays, [12, 12, 12]);
  decoded.frames.forEach((indices, k) => {
    for (let i = 0; i < indices.length; i++) {
      const rgb = [...decoded.palette.subarray(indices[i] * 3, indices[i] * 3 + 3)];
      assert.deepEqual(rgb, [...frames[k].data.subarray(i * 4, i * 4 + 3)]);
    }
  });
});

test('many colours get a close median-cut palette', () => {
  const frames = [frame(64, 64, (x, y) => [x * 4, y * 4, (x * y) % 256])];
  const { palette } = buildPalette(frames);
  assert.ok(palette.length <= 256 * 3);
  const decoded = decodeGif(encodeGif(frames));
  let error = 0;
  const indices = decoded.frames[0];
  for (let i = 0; i < indices.length; i++) {
    for (let c = 0; c < 3; c++) error += Math.abs(decoded.palette[indices[i] * 3 + c] - frames[0].data[i * 4 + c]);
  }
  assert.ok(error / (indices.length * 3) < 12, `mean error ${error / (indices.length * 3)}`);
});

test('LZW survives dictionary resets on long, varied streams', () => {
  const indices = new Uint8Array(60000);
  let x = 1;
  for (let i = 0; i < indices.length; i++) {
    x = (x * 48271) % 2147483647;
    indices[i] = i % 1000 < 500 ? x % 256 : 3;
  }
  assert.deepEqual(lzwDecode(lzwEncode(indices, 8), 8, indices.length), indices);
  const tiny = Uint8Array.from([0, 1, 1, 0, 1, 1, 1, 1]);
  assert.deepEqual(lzwDecode(lzwEncode(tiny, 2), 2, tiny.length), tiny);
});

test('rejects empty or mismatched frame lists', () => {
  assert.throws(() => encodeGif([]), /at least one/);
  assert.throws(() => encodeGif([frame(2, 2, () => [0, 0, 0]), frame(3, 2, () => [0, 0, 0])]), /size/);
});

test('Pillow reads the animation', (t) => {
  const frames = [0, 1].map((k) => frame(40, 30, (x, y) => [x * 6, y * 8, k * 200]));
  const gif = Buffer.from(encodeGif(frames, { delayMs: 100 })).toString('base64');
  const py = runPython(`
import base64, io, json
try:
    from PIL import Image
except ImportError:
    print("null"); raise SystemExit
im = Image.open(io.BytesIO(base64.b64decode("${gif}")))
frames = []
for i in range(im.n_frames):
    im.seek(i)
    frames.append(list(im.convert("RGB").getpixel((5, 7))))
print(json.dumps({"size": list(im.size), "n": im.n_frames, "px": frames}))
`);
  if (!py) return t.skip('no Python with Pillow');
  assert.deepEqual(py.size, [40, 30]);
  assert.equal(py.n, 2);
  py.px.forEach((rgb, k) => rgb.forEach((v, c) => assert.ok(Math.abs(v - [30, 56, k * 200][c]) < 40)));
});

test('streamed frames may hold colours the palette sample did not', async () => {
  const { GifWriter } = await import('../../frontend/gif.js');
  const sample = frame(4, 4, () => [0, 0, 0]);
  const other = frame(4, 4, (x) => (x < 2 ? [250, 250, 250] : [10, 0, 0]));
  const writer = new GifWriter(4, 4, buildPalette([sample, frame(4, 4, () => [255, 255, 255])]));
  writer.addFrame(sample);
  writer.addFrame(other);
  const decoded = decodeGif(writer.finish());
  const rgb = (k, i) => [...decoded.palette.subarray(decoded.frames[k][i] * 3, decoded.frames[k][i] * 3 + 3)];
  assert.deepEqual(rgb(1, 0), [255, 255, 255]);
  assert.deepEqual(rgb(1, 3), [0, 0, 0]);
});
