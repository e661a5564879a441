// The sequence view's arithmetic (view_sequence.js): a [T, C] series and its [T, C] maps
// brought down to one value per pixel column, without aliasing. Pure: no DOM.
//
// A 1000-step series in a 500-pixel plot puts two steps in every pixel column; drawing every
// step would alias (a spike between two sampled steps vanishes, a noisy series turns into
// moiré). So each column keeps the *range* of its steps (a min/max envelope, drawn as a
// vertical stroke) and, for a map, the step with the largest |value| in it, keeping its sign:
// a one-step burst of attribution stays visible however far the plot is shrunk.

import { NONFINITE_CODE, dequantizeCode } from './codec.js';

/** Steps [start, end) of pixel column x when `steps` steps share `columns` columns. */
export function columnRange(x, steps, columns) {
  const start = Math.floor((x * steps) / columns);
  const end = Math.max(start + 1, Math.floor(((x + 1) * steps) / columns));
  return [start, Math.min(steps, end)];
}

/**
 * How many points to draw a `steps`-long series with in `width` columns: one per step when
 * they fit, else one per column.
 */
export function pointCount(steps, width) {
  return Math.max(1, Math.min(steps, Math.floor(width)));
}

/**
 * Min/max envelope of channel `channel` of a [T, C] series (row-major `values`) over `count`
 * columns: {min, max} Float32Arrays of `count`. Non-finite values are skipped (a column with
 * none finite holds NaN).
 */
export function envelope(values, steps, channels, channel, count) {
  const min = new Float32Array(count);
  const max = new Float32Array(count);
  for (let x = 0; x < count; x++) {
    const [start, end] = columnRange(x, steps, count);
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = start; t < end; t++) {
      const v = values[t * channels + channel];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[x] = lo === Infinity ? NaN : lo;
    max[x] = hi === -Infinity ? NaN : hi;
  }
  return { min, max };
}

/**
 * Per column, the code of channel `channel` with the largest |code| (the largest |value|,
 * since quantisation keeps order) of a [T, C] map starting at `offset` in `codes`; the
 * non-finite code wins over any value. Int8Array of `count`.
 */
export function extremeCodes(codes, offset, steps, channels, channel, count, out = new Int8Array(count)) {
  for (let x = 0; x < count; x++) {
    const [start, end] = columnRange(x, steps, count);
    let best = 0;
    let size = -1;
    for (let t = start; t < end; t++) {
      const q = codes[offset + t * channels + channel];
      if (q === NONFINITE_CODE) {
        best = q;
        break;
      }
      const a = q < 0 ? -q : q;
      if (a > size) {
        size = a;
        best = q;
      }
    }
    out[x] = best;
  }
  return out;
}

/**
 * The map summed over channels per step ([T] values, decoded with the map's `scale`), then
 * per column the sum with the largest |value| (NaN wins). Float32Array of `count`.
 */
export function extremeChannelSum(codes, offset, steps, channels, scale, count) {
  const table = new Float32Array(256);
  for (let q = -128; q < 128; q++) table[q + 128] = dequantizeCode(q, scale);
  const out = new Float32Array(count);
  for (let x = 0; x < count; x++) {
    const [start, end] = columnRange(x, steps, count);
    let best = 0;
    for (let t = start; t < end; t++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += table[codes[offset + t * channels + c] + 128];
      if (Number.isNaN(sum)) {
        best = NaN;
        break;
      }
      if (Math.abs(sum) > Math.abs(best)) best = sum;
    }
    out[x] = best;
  }
  return out;
}

/** Time spans [start, end) where a [T] mask is non-zero. */
export function maskSpans(mask) {
  const spans = [];
  let start = -1;
  for (let t = 0; t <= mask.length; t++) {
    const on = t < mask.length && mask[t] !== 0;
    if (on && start < 0) start = t;
    if (!on && start >= 0) {
      spans.push([start, t]);
      start = -1;
    }
  }
  return spans;
}

/** [low, high] of channel `channel` of a [T, C] series, widened to include `also` (finite). */
export function channelRange(values, steps, channels, channel, also = 0) {
  let lo = Number.isFinite(also) ? also : Infinity;
  let hi = Number.isFinite(also) ? also : -Infinity;
  for (let t = 0; t < steps; t++) {
    const v = values[t * channels + channel];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) {
    const mid = Number.isFinite(lo) ? lo : 0;
    return [mid - 1, mid + 1];
  }
  return [lo, hi];
}

/**
 * The sweep's baseline of a series, from its name (the log stores the name, not the values):
 * {value, exact, label}. Zeros ("black") and constants are exact; any other baseline is drawn
 * as zeros, approximately.
 */
export function sequenceBaseline(name) {
  const key = String(name || 'black').trim();
  const lower = key.toLowerCase();
  if (['black', 'zeros', 'zero', ''].includes(lower)) return { value: 0, exact: true, label: key || 'black' };
  const match = /^constant\((.*)\)$/.exec(lower);
  const number = Number(match ? match[1] : lower);
  if (Number.isFinite(number)) return { value: number, exact: true, label: key };
  return { value: 0, exact: false, label: key };
}

/** Tick positions (steps) for a time axis of `steps` steps: about `count` round numbers. */
export function timeTicks(steps, count = 6) {
  if (steps <= 1) return [0];
  const raw = (steps - 1) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || 10 * power;
  const out = [];
  for (let t = 0; t < steps; t += step) out.push(Math.round(t));
  return out;
}
