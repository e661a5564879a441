// Palettes and 256-entry colour lookup tables. Pure: no DOM.
//
// A palette pairs a diverging ramp (signed maps: negative, zero, positive) with a sequential
// ramp (magnitudes and activations). Signed ramps put positive at the "blue" end, as the
// overlays do: blue = positive, red = negative.

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

// Anchor colours: ColorBrewer RdBu and PuOr (both rated colour-blind safe by ColorBrewer;
// PuOr avoids red and blue entirely), and samples of matplotlib's viridis and inferno.
const RAMPS = {
  rdbu: ['#b2182b', '#d6604d', '#f4a582', '#fddbc7', '#f7f7f7', '#d1e5f0', '#92c5de', '#4393c3', '#2166ac'],
  puor: ['#b35806', '#e08214', '#fdb863', '#fee0b6', '#f7f7f7', '#d8daeb', '#b2abd2', '#8073ac', '#542788'],
  graydiv: ['#000000', '#808080', '#ffffff'],
  inferno: ['#000004', '#1b0c41', '#4a0c6b', '#781c6d', '#a52c60', '#cf4446', '#ed6925', '#fb9b06', '#f7d13d', '#fcffa4'],
  viridis: ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'],
  gray: ['#000000', '#ffffff'],
};

export const PALETTES = Object.freeze({
  rdbu: {
    label: 'Red–blue',
    diverging: 'rdbu',
    sequential: 'inferno',
    negative: '#d7301f',
    positive: '#1f5fd7',
  },
  puor: {
    label: 'Colour-blind safe (orange–purple)',
    diverging: 'puor',
    sequential: 'viridis',
    negative: '#e66101',
    positive: '#5e3c99',
  },
  gray: {
    label: 'Grayscale',
    diverging: 'graydiv',
    sequential: 'gray',
    negative: '#000000',
    positive: '#ffffff',
  },
});

export const DEFAULT_PALETTE = 'rdbu';

/** Colour drawn for pixels whose stored value is NaN or infinite. */
export const NONFINITE_RGB = Object.freeze([0, 230, 118]);

/**
 * A size x RGB lookup table interpolating the anchors linearly (in sRGB). Diverging tables
 * have an odd size (255) so that zero falls exactly on the middle anchor.
 */
export function buildLut(anchors, size = 256) {
  const stops = anchors.map(hex);
  const lut = new Uint8Array(size * 3);
  const last = stops.length - 1;
  for (let i = 0; i < size; i++) {
    const x = (i / (size - 1)) * last;
    const k = Math.min(last - 1, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; c++) {
      lut[i * 3 + c] = Math.round(stops[k][c] * (1 - f) + stops[k + 1][c] * f);
    }
  }
  return lut;
}

const lutCache = new Map();

/** Cached LUTs of one palette: {diverging, sequential, negative, positive}. */
export function paletteLuts(name) {
  const key = PALETTES[name] ? name : DEFAULT_PALETTE;
  let luts = lutCache.get(key);
  if (!luts) {
    const p = PALETTES[key];
    luts = {
      diverging: buildLut(RAMPS[p.diverging], DIVERGING_SIZE),
      sequential: buildLut(RAMPS[p.sequential]),
      negative: hex(p.negative),
      positive: hex(p.positive),
    };
    lutCache.set(key, luts);
  }
  return luts;
}

export const DIVERGING_SIZE = 255;

/** Diverging LUT index of t in [-1, 1] (clipped): 0 most negative, 127 zero, 254 most positive. */
export function divergingIndex(t) {
  const c = t < -1 ? -1 : t > 1 ? 1 : t;
  return Math.round(((c + 1) / 2) * (DIVERGING_SIZE - 1));
}

/** LUT index of a magnitude t in [0, 1] (clipped). */
export function sequentialIndex(t) {
  const c = t < 0 ? 0 : t > 1 ? 1 : t;
  return Math.round(c * 255);
}

/** CSS rgb() of entry i of a LUT. */
export function lutCss(lut, i) {
  return `rgb(${lut[i * 3]}, ${lut[i * 3 + 1]}, ${lut[i * 3 + 2]})`;
}
