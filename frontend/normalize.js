// Display scales of quantised maps: percentile clipping and the three normalisation modes.
// Pure: no DOM.
//
// Every stored map is int8 codes q with one scale s (docs/format.md), so its |values| take at
// most 128 distinct values (|q| / 127)^2 * s. A map is therefore summarised exactly by a
// 128-bin histogram of |q| plus its scale, and percentiles over any set of maps (one map, the
// alphas of one epoch, every alpha of every epoch) are exact and cheap to compute from those
// summaries, without decoding a single pixel again.

import { NONFINITE_CODE } from './codec.js';

const LEVELS = 127;

export const SCALE_MODES = Object.freeze({
  map: 'Per map',
  alphas: 'Fixed across alphas',
  epochs: 'Fixed across epochs',
});

/** A map summary: {hist: Uint32Array(128) counts of |q|, nonfinite: count of q = -128, scale}. */
export function summarizeCodes(codes, scale, start = 0, end = codes.length) {
  const hist = new Uint32Array(LEVELS + 1);
  let nonfinite = 0;
  for (let i = start; i < end; i++) {
    const q = codes[i];
    if (q === NONFINITE_CODE) nonfinite++;
    else hist[q < 0 ? -q : q]++;
  }
  return { hist, nonfinite, scale: Number.isFinite(scale) && scale > 0 ? scale : 0 };
}

/** One summary per map of `mapSize` codes; `scales` holds one scale per map. */
export function summarizeMaps(codes, scales, mapSize) {
  const out = [];
  for (let m = 0; m < scales.length; m++) {
    out.push(summarizeCodes(codes, scales[m], m * mapSize, (m + 1) * mapSize));
  }
  return out;
}

/**
 * The `percent` percentile of |value| over every finite pixel of `summaries` (nearest rank:
 * the smallest stored |value| v with at least percent% of the pixels at or below v).
 * 100 gives the exact largest |value|; no finite pixels give 0.
 */
export function percentileOfMaps(summaries, percent) {
  const p = Math.min(100, Math.max(0, Number(percent)));
  let total = 0;
  for (const s of summaries) for (let k = 0; k <= LEVELS; k++) total += s.hist[k];
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  if (summaries.length === 1) {
    // One map: values grow with |q|, so walk the histogram in order.
    const s = summaries[0];
    let seen = 0;
    for (let k = 0; k <= LEVELS; k++) {
      seen += s.hist[k];
      if (seen >= rank) return (k / LEVELS) ** 2 * s.scale;
    }
    return s.scale;
  }
  const values = [];
  const counts = [];
  for (const s of summaries) {
    for (let k = 0; k <= LEVELS; k++) {
      if (s.hist[k]) {
        values.push((k / LEVELS) ** 2 * s.scale);
        counts.push(s.hist[k]);
      }
    }
  }
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  let seen = 0;
  for (const i of order) {
    seen += counts[i];
    if (seen >= rank) return values[i];
  }
  return values[order[order.length - 1]];
}

/**
 * Display scales of the K maps of epoch `epoch` under `mode`.
 *
 * `grid` maps an epoch to its K map summaries (a Map or a plain object); under "epochs"
 * every epoch in the grid takes part. Returns K numbers: the value that maps to the ends
 * of the palette (values beyond it are clipped).
 */
export function displayScales(mode, percent, grid, epoch) {
  const current = getEpoch(grid, epoch);
  if (!current) return [];
  if (mode === 'map') return current.map((s) => percentileOfMaps([s], percent));
  let pool = current;
  if (mode === 'epochs') pool = [...entries(grid)].flat();
  else if (mode !== 'alphas') throw new Error(`unknown normalisation mode ${mode}`);
  const shared = percentileOfMaps(pool, percent);
  return current.map(() => shared);
}

/**
 * Memoises displayScales: the pool of a fixed-across-epochs scale spans every epoch, so it
 * is computed once per (mode, percent) and reset when the data change.
 */
export class ScaleCache {
  constructor() {
    this.grid = new Map();
    this.memo = new Map();
  }

  /** Adds or replaces the summaries of one epoch. */
  set(epoch, summaries) {
    this.grid.set(epoch, summaries);
    this.memo.clear();
  }

  has(epoch) {
    return this.grid.has(epoch);
  }

  get size() {
    return this.grid.size;
  }

  scales(mode, percent, epoch) {
    const key = mode === 'epochs' ? `${mode}|${percent}` : `${mode}|${percent}|${epoch}`;
    let value = this.memo.get(key);
    if (!value) {
      value = displayScales(mode, percent, this.grid, epoch);
      this.memo.set(key, value);
    }
    return value;
  }
}

function getEpoch(grid, epoch) {
  return grid instanceof Map ? grid.get(epoch) : grid[epoch];
}

function entries(grid) {
  return grid instanceof Map ? grid.values() : Object.values(grid);
}
