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

/**
 * One example of one run: sweep + IG of each loaded epoch, and the scale summaries of each
 * model input's maps (`sweepScales` / `igScales` are input 0's, as format 1 had one input).
 */
export class ExampleData {
  constructor(index) {
    this.index = index;
    this.byEpoch = new Map();
    this.sweepByInput = []; // input j -> ScaleCache of its sweep maps
    this.igByInput = []; // input j -> ScaleCache of its IG map
    this.predictedByInput = []; // input j -> ScaleCache of its predicted-class IG map
    this.hasPredicted = false; // some loaded epoch explains the predicted class too
    this.full = false; // every epoch of the run is here
    this.loadingAll = null; // the request for every epoch, while it runs
    this.pending = new Map(); // epoch -> request for that epoch alone
    this.historyCache = null;
  }

  get sweepScales() {
    return this.sweepScalesOf(0);
  }

  get igScales() {
    return this.igScalesOf(0);
  }

  sweepScalesOf(j) {
    return this.sweepByInput[j] || (this.sweepByInput[j] = new ScaleCache());
  }

  igScalesOf(j, predicted = false) {
    const list = predicted ? this.predictedByInput : this.igByInput;
    return list[j] || (list[j] = new ScaleCache());
  }

  /** Adds parsed epochs ([{epoch, sweep, ig}] from model.parseExample). */
  add(entries) {
    for (const entry of entries) {
      this.byEpoch.set(entry.epoch, entry);
      if (entry.sweep) {
        const inputs = entry.sweep.inputs || [entry.sweep];
        inputs.forEach((s, j) => s && this.sweepScalesOf(j).set(entry.epoch, s.summaries));
      }
      if (entry.ig) {
        const inputs = entry.ig.inputs || [entry.ig];
        inputs.forEach((g, j) => g && this.igScalesOf(j).set(entry.epoch, [g.summary]));
        const predicted = entry.ig.predicted;
        if (predicted) {
          this.hasPredicted = true;
          predicted.inputs.forEach((g, j) => g && this.igScalesOf(j, true).set(entry.epoch, [g.summary]));
        }
      }
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
