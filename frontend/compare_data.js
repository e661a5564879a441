// The comparison card's arithmetic (compare.js): which runs and methods can stand side by
// side, the two columns it opens on, one display scale across both, and the attribution
// route's bundle. Pure: no DOM.
//
// Two runs are comparable when their probes are the same (the probe digest's
// `probe_sha256`, `probe_digest` in the runs answer): the same examples, in the same order.
// A run written before the digest existed compares with itself only (its methods).

import { percentileOfMaps } from './normalize.js';
import { parseIg, splitEpochBundle } from './model.js';

const METHOD_LABELS = {
  integrated_gradients: 'Integrated gradients',
  smoothgrad: 'SmoothGrad',
  smoothgrad_ig: 'SmoothGrad on IG',
  guided_ig: 'Guided IG',
};

/**
 * What a method's map measures: "gradient" (SmoothGrad: an average gradient, per unit of
 * input) or "attribution" (IG and the other path methods: a share of F(x) - F(b)). Maps of
 * different units get a scale each; of the same unit, one scale across both columns.
 */
export function unitOf(name) {
  return name === 'smoothgrad' ? 'gradient' : 'attribution';
}

/** A method's name for people (an unknown name as written: it is user data, shown as text). */
export function methodLabel(name) {
  return METHOD_LABELS[name] || String(name);
}

/** The methods of a run: its `methods` list, or IG alone for a log that lists none. */
export function methodsOf(run) {
  if (Array.isArray(run.methods) && run.methods.length) return run.methods;
  return run.ig_tag ? [{ name: 'integrated_gradients', tag: run.ig_tag, epochs: run.epochs || [] }] : [];
}

/** `run` first, then every other run with the same non-null probe digest, by name. */
export function comparableRuns(runs, run) {
  const digest = run.probe_digest;
  const others = digest ? runs.filter((r) => r.run !== run.run && r.probe_digest === digest) : [];
  return [run, ...others];
}

/** Every (run, method) column a user can choose: [{key, run, method, label}]. */
export function columnChoices(runs, run) {
  const comparable = comparableRuns(runs, run);
  const several = comparable.length > 1;
  return comparable.flatMap((r) =>
    methodsOf(r).map((m) => ({
      key: `${r.run}\u0000${m.tag}`,
      run: r,
      method: m,
      label: several ? `${r.run} · ${methodLabel(m.name)}` : methodLabel(m.name),
    })),
  );
}

/**
 * The two columns the card opens on: the open run's IG, and its first other method, else
 * the next comparable run's IG. `wanted` ([key, key], possibly stale) wins where it still
 * names a choice. Returns [] when there is nothing to compare (fewer than two choices).
 */
export function defaultColumns(choices, wanted = []) {
  if (choices.length < 2) return [];
  const byKey = new Map(choices.map((c) => [c.key, c]));
  const first = byKey.get(wanted[0]) || choices[0];
  const rest = choices.filter((c) => c !== first);
  const own = rest.find((c) => c.run === first.run);
  const second = (wanted[1] !== wanted[0] && byKey.get(wanted[1])) || own || rest[0];
  return [first, second];
}

/**
 * One display scale per input across both columns. `columns`: per column a Map epoch ->
 * parsed IG record (or null when not loaded); mode "epochs": every loaded epoch of both,
 * else this epoch's maps of both; `percent` the clip. Returns [scale of input j].
 */
export function sharedScales(columns, mode, percent, epoch, inputCount) {
  const out = [];
  for (let j = 0; j < inputCount; j++) {
    const pool = [];
    for (const byEpoch of columns) {
      if (!byEpoch) continue;
      const records = mode === 'epochs' ? [...byEpoch.values()] : [byEpoch.get(epoch)];
      for (const ig of records) if (ig && ig.inputs[j]) pool.push(ig.inputs[j].summary);
    }
    out.push(pool.length ? percentileOfMaps(pool, percent) : 0);
  }
  return out;
}

/**
 * The display scales of both columns: [[scale of input j] per column]. Columns of one unit
 * (unitOf) share one scale (sharedScales over both); of different units, each its own.
 */
export function columnScales(columns, units, mode, percent, epoch, inputCount) {
  if (units[0] === units[1]) {
    const shared = sharedScales(columns, mode, percent, epoch, inputCount);
    return columns.map(() => shared);
  }
  return columns.map((c) => sharedScales([c], mode, percent, epoch, inputCount));
}

/** The attribution route's records ({epochs} index, then one IG record per epoch). */
export function parseAttribution(records) {
  const { epochs, groups } = splitEpochBundle(records, 1);
  return new Map(epochs.map((epoch, i) => [epoch, parseIg(groups[i][0])]));
}

/** A short note on a column's record: its method's settings and completeness. */
export function columnNote(ig, epoch) {
  if (!ig) return `No data at epoch ${epoch}.`;
  const method = ig.method || '';
  const detail = {
    smoothgrad: `${ig.steps} noisy samples`,
    smoothgrad_ig: `IG of noisy samples, ${ig.steps} points each`,
    guided_ig: `${ig.steps} steps`,
  }[method] || `${method}, ${ig.steps} points`;
  const relative = ig.relativeDelta;
  const completeness = Number.isFinite(relative) ? ` · completeness ${(100 * relative).toFixed(1)}%` : '';
  return `Epoch ${epoch} · ${detail}${completeness}`;
}
