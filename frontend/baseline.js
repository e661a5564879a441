// The baseline of the alpha sweep, rebuilt in display space from its name. Pure: no DOM.
//
// The log stores the baseline's *name* (tb_attrib/engine/baselines.py), not its pixels, so
// the scaled inputs baseline + alpha * (x - baseline) are rebuilt here from the uint8 display
// image. Black, white and constants are exact; "blur" repeats the engine's Gaussian blur on
// the display image (exact up to rounding and clipping of the display image); "uniform" noise
// and custom arrays cannot be rebuilt and are drawn towards mid gray, and say so.

export const BLUR_SIGMA_FRACTION = 0.1; // engine: sigma = 0.1 * larger spatial side

/**
 * Display-space pixels of the baseline for one probe image.
 *
 * @param {string} name baseline name as the log stores it ("black", "white", "blur",
 *   "uniform", "constant(0.5)", "array", ...).
 * @param {{data: Uint8Array, shape: number[]}} image uint8 display image [H, W, C].
 * @param {{displayRange?: number[], probeMax?: number}} probe display_range of the probe
 *   (input values that map to 0 and 255) and the largest display value over the probe.
 * @returns {{data: Float32Array|null, exact: boolean, label: string}} data null means black.
 */
export function baselinePixels(name, image, probe = {}) {
  const key = String(name || 'black').trim();
  const lower = key.toLowerCase();
  const [low, high] = Array.isArray(probe.displayRange) ? probe.displayRange : [0, 1];
  const span = high > low ? high - low : 1;
  const toDisplay = (x) => Math.max(0, Math.min(255, ((x - low) / span) * 255));
  const size = image.data.length;
  const constant = (v) => new Float32Array(size).fill(v);

  if (lower === 'black' || lower === 'zeros' || lower === 'zero' || lower === '') {
    const v = toDisplay(0);
    return { data: v === 0 ? null : constant(v), exact: true, label: 'black' };
  }
  if (lower === 'white') {
    const top = Number.isFinite(probe.probeMax) ? probe.probeMax : 255;
    return { data: constant(top), exact: true, label: 'white' };
  }
  const match = /^constant\((.*)\)$/.exec(lower);
  const number = Number(match ? match[1] : lower);
  if (Number.isFinite(number)) {
    return { data: constant(toDisplay(number)), exact: true, label: key };
  }
  if (lower === 'blur') {
    const [h, w] = image.shape;
    const sigma = BLUR_SIGMA_FRACTION * Math.max(h, w);
    return { data: gaussianBlur(image.data, image.shape, sigma), exact: true, label: 'blur' };
  }
  return { data: constant(128), exact: false, label: key };
}

/**
 * Separable Gaussian blur over H and W of [H, W, C] values, mirroring the engine's
 * gaussian_blur: radius ceil(3 sigma), taps normalised to sum 1, edges reflected without
 * repeating the edge sample (NumPy's "reflect"), or repeated ("edge") when a side is not
 * longer than the radius.
 */
export function gaussianBlur(data, shape, sigma) {
  const [h, w, c = 1] = shape;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const taps = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    taps[i + radius] = Math.exp(-0.5 * (i / sigma) ** 2);
    sum += taps[i + radius];
  }
  for (let i = 0; i < taps.length; i++) taps[i] /= sum;
  let current = Float32Array.from(data);
  // Pass 1 runs along H (stride w*c), pass 2 along W (stride c), as the engine's axes (1, 2).
  for (const [length, stride, outerCount, outerStride, innerCount] of [
    [h, w * c, 1, 0, w * c],
    [w, c, h, w * c, c],
  ]) {
    const next = new Float32Array(current.length);
    const reflectable = length > radius;
    for (let o = 0; o < outerCount; o++) {
      for (let inner = 0; inner < innerCount; inner++) {
        const base = o * outerStride + inner;
        for (let p = 0; p < length; p++) {
          let acc = 0;
          for (let t = -radius; t <= radius; t++) {
            const q = reflectable ? reflect(p + t, length) : Math.min(length - 1, Math.max(0, p + t));
            acc += taps[t + radius] * current[base + q * stride];
          }
          next[base + p * stride] = acc;
        }
      }
    }
    current = next;
  }
  return current;
}

function reflect(i, n) {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - j;
  return j;
}
