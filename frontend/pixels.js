// RGBA pixel buffers of probe images and quantised maps. Pure: no DOM (the views copy the
// buffers into canvases with putImageData).
//
// Maps are painted straight from their int8 codes: each map has only 256 possible codes, so
// one 256-entry colour table per map (built from its stored scale, the display scale and the
// palette) turns painting into one table look-up per pixel. This is what keeps playback of
// ten 224x224 sweep columns fast.

import { dequantizeCode } from './codec.js';
import { NONFINITE_RGB, divergingIndex, sequentialIndex } from './colormap.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Width and height of an image [H, W, C] or map [H, W]. */
export function imageSize(shape) {
  return { height: shape[0], width: shape[1] };
}

/** Luminance of a uint8 image {data, shape: [H, W, 1 or 3]} as one byte per pixel. */
export function grayscale(image) {
  const [h, w, c = 1] = image.shape;
  const n = h * w;
  const src = image.data;
  const out = new Uint8Array(n);
  if (c === 1) {
    out.set(src.subarray(0, n));
    return out;
  }
  for (let i = 0, j = 0; i < n; i++, j += c) {
    out[i] = Math.round(0.299 * src[j] + 0.587 * src[j + 1] + 0.114 * src[j + 2]);
  }
  return out;
}

/**
 * The scaled input baseline + alpha * (x - baseline) of a uint8 display image, as RGBA.
 * `baseline` holds display values with the image's layout (see baseline.js); null is black.
 */
export function scaledInputRgba(image, alpha, baseline, out) {
  const [h, w, c = 1] = image.shape;
  const n = h * w;
  const src = image.data;
  const rgba = out || new Uint8ClampedArray(n * 4);
  for (let i = 0, j = 0, o = 0; i < n; i++, j += c, o += 4) {
    for (let k = 0; k < 3; k++) {
      const at = c === 1 ? j : j + k;
      const b = baseline ? baseline[at] : 0;
      rgba[o + k] = b + alpha * (src[at] - b);
    }
    rgba[o + 3] = 255;
  }
  return rgba;
}

/** RGBA of a uint8 image as stored. */
export function imageRgba(image, out) {
  return scaledInputRgba(image, 1, null, out);
}

/**
 * The per-code colour table of one map: RGBA for each code -128..127 (index code + 128).
 *
 * view "signed": diverging palette over [-displayScale, displayScale];
 * view "abs": sequential palette over [0, displayScale].
 * `mapScale` is the map's stored scale (its largest |value|).
 */
export function codeColors(view, mapScale, displayScale, luts) {
  const table = new Uint8Array(256 * 4);
  const safe = displayScale > 0 ? displayScale : Infinity;
  for (let q = -128; q < 128; q++) {
    const v = dequantizeCode(q, mapScale);
    const o = (q + 128) * 4;
    let rgb;
    if (Number.isNaN(v)) {
      rgb = NONFINITE_RGB;
    } else if (view === 'abs') {
      const i = sequentialIndex(Math.abs(v) / safe) * 3;
      rgb = luts.sequential.subarray(i, i + 3);
    } else {
      const i = divergingIndex(v / safe) * 3;
      rgb = luts.diverging.subarray(i, i + 3);
    }
    table[o] = rgb[0];
    table[o + 1] = rgb[1];
    table[o + 2] = rgb[2];
    table[o + 3] = 255;
  }
  return table;
}

/** Paints `count` codes starting at `start` through a codeColors table into RGBA `out`. */
export function paintCodes(codes, start, count, table, out) {
  const rgba = out || new Uint8ClampedArray(count * 4);
  if (rgba.byteOffset % 4 === 0 && table.byteOffset % 4 === 0) {
    // One 32-bit copy per pixel: the 4 bytes keep their order whatever the endianness.
    const pixels = new Uint32Array(rgba.buffer, rgba.byteOffset, count);
    const colors = new Uint32Array(table.buffer, table.byteOffset, 256);
    for (let i = 0; i < count; i++) pixels[i] = colors[codes[start + i] + 128];
    return rgba;
  }
  for (let i = 0, o = 0; i < count; i++, o += 4) {
    const t = (codes[start + i] + 128) << 2;
    rgba[o] = table[t];
    rgba[o + 1] = table[t + 1];
    rgba[o + 2] = table[t + 2];
    rgba[o + 3] = 255;
  }
  return rgba;
}

/**
 * Per-code blend weights and colours of a signed overlay: positive values blend towards the
 * palette's positive colour, negative ones towards its negative colour, with weight
 * min(1, |v| / displayScale); NaN pixels take the non-finite colour fully.
 */
export function overlayWeights(mapScale, displayScale, luts) {
  const weight = new Float32Array(256);
  const color = new Uint8Array(256 * 3);
  const safe = displayScale > 0 ? displayScale : Infinity;
  for (let q = -128; q < 128; q++) {
    const v = dequantizeCode(q, mapScale);
    const i = q + 128;
    const rgb = Number.isNaN(v) ? NONFINITE_RGB : v >= 0 ? luts.positive : luts.negative;
    weight[i] = Number.isNaN(v) ? 1 : Math.min(1, Math.abs(v) / safe);
    color[i * 3] = rgb[0];
    color[i * 3 + 1] = rgb[1];
    color[i * 3 + 2] = rgb[2];
  }
  return { weight, color };
}

/**
 * Signed overlay: the map blended over a grayscale copy of the image (`gray`, one byte per
 * pixel, as from grayscale()). The copy is lifted towards white a little so that both the
 * blue and the red end stand out against it.
 */
export function paintOverlay(codes, start, count, gray, weights, out) {
  const rgba = out || new Uint8ClampedArray(count * 4);
  const { weight, color } = weights;
  if (LITTLE_ENDIAN && rgba.byteOffset % 4 === 0) {
    // out = g (1 - w) + w c per channel, with (1 - w) and w c (+ 0.5 for rounding) taken
    // per code from small tables, and packed 32-bit stores (0xAABBGGRR on little-endian
    // machines): one write per pixel. This is the inner loop of playback.
    const keep = new Float32Array(256);
    const add = new Float32Array(256 * 3);
    for (let q = 0; q < 256; q++) {
      keep[q] = 1 - weight[q];
      for (let k = 0; k < 3; k++) add[q * 3 + k] = weight[q] * color[q * 3 + k] + 0.5;
    }
    const pixels = new Uint32Array(rgba.buffer, rgba.byteOffset, count);
    for (let i = 0; i < count; i++) {
      const q = codes[start + i] + 128;
      const g = (64 + gray[i] * 0.75) * keep[q];
      const c = q * 3;
      pixels[i] = 0xff000000 | (((g + add[c + 2]) | 0) << 16) | (((g + add[c + 1]) | 0) << 8) | ((g + add[c]) | 0);
    }
    return rgba;
  }
  for (let i = 0, o = 0; i < count; i++, o += 4) {
    const q = codes[start + i] + 128;
    const w = weight[q];
    const g = 64 + gray[i] * 0.75;
    const c = q * 3;
    rgba[o] = g + w * (color[c] - g);
    rgba[o + 1] = g + w * (color[c + 1] - g);
    rgba[o + 2] = g + w * (color[c + 2] - g);
    rgba[o + 3] = 255;
  }
  return rgba;
}

/** Paints one map in one of the three gradient views ("overlay", "signed", "abs"). */
export function paintMap(view, codes, start, count, mapScale, displayScale, luts, gray, out) {
  if (view === 'overlay') {
    return paintOverlay(codes, start, count, gray, overlayWeights(mapScale, displayScale, luts), out);
  }
  return paintCodes(codes, start, count, codeColors(view, mapScale, displayScale, luts), out);
}

/**
 * Draws the outline of an object mask ([H, W], non-zero inside) into RGBA pixels: every
 * inside pixel with an outside 4-neighbour (or on the image border) takes colour `rgb`.
 */
export function outlineMask(rgba, mask, width, height, rgb) {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      const edge =
        x === 0 || y === 0 || x === width - 1 || y === height - 1 ||
        !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width];
      if (!edge) continue;
      rgba[i * 4] = rgb[0];
      rgba[i * 4 + 1] = rgb[1];
      rgba[i * 4 + 2] = rgb[2];
    }
  }
  return rgba;
}

/**
 * The per-code colour table (RGBA, index code + 128) of a map drawn as *shading* behind or
 * under something else (a series' line, a bar, a token's text): "signed" and "abs" as
 * codeColors; "overlay" blends the palette's positive or negative colour over `background`
 * ([r, g, b]) with weight min(1, |v| / displayScale), as the image overlay blends over gray.
 */
export function shadeColors(view, mapScale, displayScale, luts, background = [255, 255, 255]) {
  if (view !== 'overlay') return codeColors(view, mapScale, displayScale, luts);
  const { weight, color } = overlayWeights(mapScale, displayScale, luts);
  const table = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const w = weight[i];
    for (let k = 0; k < 3; k++) table[i * 4 + k] = Math.round(background[k] + w * (color[i * 3 + k] - background[k]));
    table[i * 4 + 3] = 255;
  }
  return table;
}

/** The colour of one value v (not a code) under a shadeColors-like rule, as [r, g, b]. */
export function shadeValue(view, v, displayScale, luts, background = [255, 255, 255]) {
  const safe = displayScale > 0 ? displayScale : Infinity;
  if (Number.isNaN(v)) return NONFINITE_RGB;
  if (view === 'abs') {
    const i = sequentialIndex(Math.abs(v) / safe) * 3;
    return [luts.sequential[i], luts.sequential[i + 1], luts.sequential[i + 2]];
  }
  if (view === 'signed') {
    const i = divergingIndex(v / safe) * 3;
    return [luts.diverging[i], luts.diverging[i + 1], luts.diverging[i + 2]];
  }
  const w = Math.min(1, Math.abs(v) / safe);
  const c = v >= 0 ? luts.positive : luts.negative;
  return [0, 1, 2].map((k) => Math.round(background[k] + w * (c[k] - background[k])));
}

/** Relative luminance (0..1) of an sRGB colour, to choose dark or light text over it. */
export function luminance(r, g, b) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** [r, g, b] of a CSS colour "#rrggbb" or "rgb(r, g, b)"; `fallback` when unreadable. */
export function parseColor(text, fallback = [255, 255, 255]) {
  const s = String(text || '').trim();
  let m = /^#([0-9a-f]{6})$/i.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16));
  m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(s);
  if (m) return [m[1], m[2], m[3]].map((v) => Math.round(Number(v)));
  return fallback;
}
