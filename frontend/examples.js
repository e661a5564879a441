// In-memory data of the examples the user has looked at. Pure: no DOM.

import { ScaleCache } from './normalize.js';

/**
 * How many examples (and example x layer feature maps) stay in memory. Every epoch of one
 * 224x224 example is about 110 MB, so only the current one and the last few visited stay.
 */
export const CACHED_EXAMPLES = 3;

/** map.get(key) in least-recently-used order, creating with make() and evicting the oldest. */
export function cached(map, key, make, limit = CACHED_EXAMPLES) {
  let value = map.get(key);
  if (value) {
    map.delete(key); // re-insert: a Map iterates in insertion order, oldest first
    map.set(key, value);
    return value;
  }
  value = make();
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value);
  return value;
}

/** One example of one run: sweep + IG of each loaded epoch, and their scale summaries. */
export class ExampleData {
  constructor(index) {
    this.index = index;
    this.byEpoch = new Map();
    this.sweepScales = new ScaleCache();
    this.igScales = new ScaleCache();
    this.full = false; // every epoch of the run is here
    this.loadingAll = null; // the request for every epoch, while it runs
    this.pending = new Map(); // epoch -> request for that epoch alone
    this.historyCache = null;
  }

  /** Adds parsed epochs ([{epoch, sweep, ig}] from model.parseExample). */
  add(entries) {
    for (const entry of entries) {
      this.byEpoch.set(entry.epoch, entry);
      if (entry.sweep) this.sweepScales.set(entry.epoch, entry.sweep.summaries);
      if (entry.ig) this.igScales.set(entry.epoch, [entry.ig.summary]);
    }
    this.historyCache = null;
  }

  /** [{epoch, probs, absMean}] of every loaded epoch with a sweep, sorted by epoch. */
  history() {
    if (!this.historyCache) {
      this.historyCache = [...this.byEpoch.values()]
        .filter((e) => e.sweep)
        .sort((a, b) => a.epoch - b.epoch)
        .map(({ epoch, sweep }) => ({
          epoch,
          probs: Array.from({ length: sweep.count }, (_, k) => sweep.predictions[k * sweep.numClasses + sweep.target]),
          absMean: sweep.absMean,
        }));
    }
    return this.historyCache;
  }
}

/** Feature maps of one example at one layer, by epoch. */
export class FeatureData {
  constructor() {
    this.byEpoch = new Map();
    this.full = false;
    this.loadingAll = null;
    this.pending = new Map();
  }
}
