// The tabular view's arithmetic (view_tabular.js): which features to show and in what order.
// Pure: no DOM.
//
// A row of 100 features does not fit as 100 bars: the chart shows the `top` features by
// |attribution| and folds the rest into one "N others" bar holding their signed sum, so the
// bars still add up to the whole attribution (completeness reads off the chart).

import { dequantizeCode } from './codec.js';

export const TOP_FEATURES = 20;

/** Decoded values of `count` codes from `offset` quantised with `scale` (Float32Array). */
export function decodeMap(codes, offset, count, scale) {
  const table = new Float32Array(256);
  for (let q = -128; q < 128; q++) table[q + 128] = dequantizeCode(q, scale);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = table[codes[offset + i] + 128];
  return out;
}

/**
 * The `top` entries of `values` by |value| (largest first; ties and NaN: lower index first,
 * NaN last) and the rest folded: {order: indices shown, others: [indices folded], othersSum:
 * signed sum of the folded finite values, othersCount}. Folding one feature only would hide
 * nothing, so up to top + 1 features are shown unfolded.
 */
export function rankFeatures(values, top = TOP_FEATURES) {
  const n = values.length;
  const index = Array.from({ length: n }, (_, i) => i);
  const size = (i) => (Number.isNaN(values[i]) ? -1 : Math.abs(values[i]));
  index.sort((a, b) => size(b) - size(a) || a - b);
  const shown = n <= top + 1 ? n : top;
  const order = index.slice(0, shown);
  const others = index.slice(shown);
  let othersSum = 0;
  for (const i of others) if (Number.isFinite(values[i])) othersSum += values[i];
  return { order, others, othersSum, othersCount: others.length };
}

/** Feature names: the descriptor's, else "feature 0", "feature 1", ... */
export function featureNames(names, count) {
  return Array.from({ length: count }, (_, i) => (Array.isArray(names) && i < names.length && names[i] !== null ? String(names[i]) : `feature ${i}`));
}

/**
 * A bar of value v on an axis spanning [-scale, scale] (signed) or [0, scale] (magnitude),
 * `width` pixels wide: {x, w, clipped} in pixels from the axis' left end.
 */
export function barGeometry(v, scale, width, signed) {
  const s = scale > 0 ? scale : 1;
  if (!Number.isFinite(v)) return { x: 0, w: 0, clipped: false };
  if (!signed) {
    const f = Math.min(1, Math.abs(v) / s);
    return { x: 0, w: f * width, clipped: Math.abs(v) > s };
  }
  const half = width / 2;
  const f = Math.min(1, Math.abs(v) / s);
  return v >= 0 ? { x: half, w: f * half, clipped: v > s } : { x: half - f * half, w: f * half, clipped: -v > s };
}
