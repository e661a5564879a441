// Decoded records -> the dashboard's data: probe, gallery digests, per-epoch sweep and IG of
// one example, feature maps. Pure: no DOM. Field and array names are those of
// docs/format.md; arrays stay views into the fetched bytes (no copies of the maps).
//
// Several model inputs (summary format 2): the arrays of input j > 0 carry the suffix "@j"
// (`values@1`, `maps@1`, `map@1`, ...). Each parsed record keeps input 0's data at the top
// level (what format-1 logs hold) and every input's under `inputs[j]` (null for an input
// without maps: one held fixed along the path).

import { scalar } from './codec.js';
import { summarizeCodes, summarizeMaps } from './normalize.js';
import { trustDigestOf, trustOf } from './trust_data.js';

/** The array-name suffix of model input j ("" for the first). */
export const suffix = (j) => (j === 0 ? '' : `@${j}`);

/** Input indices present in `arrays` under `base` (`maps`, `maps@1`, ...), sorted. */
export function inputIndices(arrays, base) {
  const out = [];
  for (const name of Object.keys(arrays)) {
    if (name === base) out.push(0);
    else if (name.startsWith(`${base}@`)) {
      const j = Number(name.slice(base.length + 1));
      if (Number.isInteger(j) && j > 0) out.push(j);
    }
  }
  return out.sort((a, b) => a - b);
}

// Primary display array of one probe input, by the names of docs/format.md.
const PRIMARY = ['image', 'values', 'ids'];

/**
 * One probe example's input j: {data, shape, mask, tokens, modality, descriptor}. An image is
 * its uint8 display image [H, W, C]; a sequence its values [T, C]; a tabular row [F]; tokens
 * their ids [T] with `tokens` the strings (or null). Null when the record holds none.
 */
export function probeInput(rec, j, descriptor) {
  if (!rec) return null;
  const tail = suffix(j);
  const name = PRIMARY.find((n) => rec.arrays[n + tail]);
  if (!name) return null;
  const array = rec.arrays[name + tail];
  const modality = descriptor && typeof descriptor.modality === 'string' ? descriptor.modality : name === 'image' ? 'image' : null;
  const tokens = rec.fields[`tokens${tail}`];
  return {
    data: array.data,
    shape: name === 'image' ? normalizeImageShape(array.shape) : array.shape.slice(),
    mask: rec.arrays[`mask${tail}`] || null,
    tokens: Array.isArray(tokens) ? tokens.map(String) : null,
    modality,
    descriptor: descriptor || null,
  };
}

/** Probe bundle (digest, then one record per example) -> inputs, labels and class names. */
export function parseProbe(records) {
  const digest = records[0];
  if (!digest) throw new Error('the probe has no digest record');
  const f = digest.fields;
  const inputs = Array.isArray(f.inputs) ? f.inputs.filter((d) => d && typeof d === 'object') : null;
  const count = inputs && inputs.length ? inputs.length : 1;
  const examples = [];
  let probeMax = 0;
  for (const rec of records.slice(1)) {
    const parts = [];
    for (let j = 0; j < count; j++) parts.push(probeInput(rec, j, inputs ? inputs[j] : null));
    examples.push(parts);
    const image = rec && rec.arrays.image;
    if (image) probeMax = Math.max(probeMax, arrayMax(image.data));
  }
  const labelValues = digest.arrays.label_values;
  return {
    numExamples: Number.isInteger(f.num_examples) ? f.num_examples : examples.length,
    inputShape: Array.isArray(f.input_shape) ? f.input_shape : null,
    displayRange: Array.isArray(f.display_range) ? f.display_range : [0, 1],
    classNames: Array.isArray(f.class_names) ? f.class_names.map(String) : null,
    // One descriptor per model input ({name, modality, shape, ...}); absent before format 2.
    inputs,
    // {kind, width, output_kind, output}; null before format 2 (multiclass).
    head: f.head && typeof f.head === 'object' ? f.head : null,
    labels: digest.arrays.labels ? digest.arrays.labels.data : null,
    // [N, W] float labels (multi-hot rows, regression targets), or null.
    labelValues: labelValues ? { data: labelValues.data, width: labelValues.shape[1] || 1 } : null,
    // Per example, one parsed input per model input (probeInput); `images` and `masks` are
    // input 0's, as format 1 had them.
    examples,
    images: examples.map((parts) => parts[0]),
    masks: examples.map((parts) => (parts[0] ? parts[0].mask : null)),
    probeMax,
  };
}

/**
 * The largest element of a typed array (0 when empty). An indexed loop: a first render
 * runs this over every pixel of every probe image before the JIT has warmed up, where
 * `for...of` over a typed array costs many times more (docs/benchmarks.md, "Frontend").
 */
function arrayMax(data) {
  let max = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > max) max = data[i];
  return max;
}

/** [H, W] or [H, W, C] -> [H, W, C]. */
function normalizeImageShape(shape) {
  return shape.length === 2 ? [shape[0], shape[1], 1] : shape.slice(0, 3);
}

/**
 * An epoch-indexed bundle: element 0 lists {"epochs": [...]}, then `perEpoch` elements per
 * listed epoch. Returns {epochs, fields, groups: [[record or null, ...], ...]}.
 */
export function splitEpochBundle(records, perEpoch) {
  const index = records[0];
  if (!index || !Array.isArray(index.fields.epochs)) throw new Error('the bundle has no epoch index');
  const epochs = index.fields.epochs;
  if (records.length !== 1 + perEpoch * epochs.length) {
    throw new Error(`the bundle lists ${epochs.length} epochs but holds ${records.length - 1} records`);
  }
  const groups = epochs.map((_, i) => records.slice(1 + i * perEpoch, 1 + (i + 1) * perEpoch));
  return { epochs, fields: index.fields, groups };
}

/** [K, H, W] / [K, T, C] / [K, D] maps -> [K, H, W] (a flat map is one row of D). */
function mapsShape(shape) {
  return shape.length === 3 ? shape.slice() : [shape[0], 1, shape.length > 1 ? shape[1] : 0];
}

/** [H, W] / [T, C] / [D] map -> [H, W]. */
function mapShape(shape) {
  return shape.length === 2 ? shape.slice() : [1, shape.length ? shape[0] : 0];
}

/** One example's interior-gradient record. */
export function parseSweep(rec) {
  if (!rec) return null;
  const predictions = rec.arrays.predictions;
  const common = {
    alphas: rec.fields.alphas,
    baseline: rec.fields.baseline,
    target: rec.fields.target,
    predictions: predictions.data,
    numClasses: predictions.shape[1] || 0,
    absMean: rec.arrays.abs_mean ? rec.arrays.abs_mean.data : null,
  };
  const inputs = [];
  for (const j of inputIndices(rec.arrays, 'maps')) {
    const maps = rec.arrays[`maps${suffix(j)}`];
    const scales = rec.arrays[`scales${suffix(j)}`];
    if (!scales) continue;
    const [k, h, w] = mapsShape(maps.shape);
    inputs[j] = {
      ...common,
      input: j,
      count: k,
      height: h,
      width: w,
      shape: maps.shape.slice(1),
      codes: maps.data,
      scales: scales.data,
      summaries: summarizeMaps(maps.data, scales.data, h * w),
    };
  }
  // Input 0 at the top level (an input held fixed has no maps: count 0).
  const first = inputs[0] || { count: 0, height: 0, width: 0, shape: [], codes: new Int8Array(0), scales: new Float32Array(0), summaries: [] };
  return { ...common, ...first, input: 0, inputs };
}

/** One IG map of input j (`map@j`) or of the predicted class (`predicted_map@j`). */
function igMap(rec, prefix, j) {
  const map = rec.arrays[`${prefix}map${suffix(j)}`];
  if (!map) return null;
  const [h, w] = mapShape(map.shape);
  const scale = scalar(rec.arrays[`${prefix}scale${suffix(j)}`]);
  return { input: j, height: h, width: w, shape: map.shape.slice(), codes: map.data, scale, summary: summarizeCodes(map.data, scale) };
}

/** One example's integrated-gradient record. */
export function parseIg(rec) {
  if (!rec) return null;
  const common = {
    method: rec.fields.method,
    steps: rec.fields.steps,
    baseline: rec.fields.baseline,
    target: rec.fields.target,
    delta: scalar(rec.arrays.delta),
    scoreInput: scalar(rec.arrays.score_input),
    scoreBaseline: scalar(rec.arrays.score_baseline),
    // |delta| / max(|F(x) - F(b)|, floor) as the engine computes it; NaN in format-1 records.
    relativeDelta: scalar(rec.arrays.relative_delta),
    ...baselineHealthOf(rec),
  };
  const inputs = [];
  for (const j of inputIndices(rec.arrays, 'map')) inputs[j] = { ...common, ...igMap(rec, '', j) };
  // The explanation of the class the model chose, for an example it gets wrong.
  let predicted = null;
  const predictedInputs = [];
  for (const j of inputIndices(rec.arrays, 'predicted_map')) predictedInputs[j] = igMap(rec, 'predicted_', j);
  if (predictedInputs.length && Number.isInteger(rec.fields.predicted_target)) {
    const shared = {
      ...common,
      target: rec.fields.predicted_target,
      delta: scalar(rec.arrays.predicted_delta),
      scoreInput: NaN,
      scoreBaseline: NaN,
      relativeDelta: NaN,
      predictedClass: true,
    };
    const parts = predictedInputs.map((m) => (m ? { ...shared, ...m } : undefined));
    const first = parts[0] || emptyIgMap();
    predicted = { ...shared, ...first, input: 0, inputs: parts, predicted: null };
  }
  const first = inputs[0] || emptyIgMap();
  return { ...common, ...first, input: 0, inputs, predicted, trust: trustOf(rec) };
}

function emptyIgMap() {
  return { height: 0, width: 0, shape: [], codes: new Int8Array(0), scale: NaN, summary: summarizeCodes(new Int8Array(0), 0) };
}

/**
 * The relative completeness |delta| / |F(x) - F(b)| of an IG record: the stored one (the
 * number the Scalars tab shows), else computed (format-1 records: NaN for a NaN delta);
 * null when it cannot be known (no scores).
 */
export function relativeDelta(ig) {
  if (!ig) return null;
  if (Number.isFinite(ig.relativeDelta)) return ig.relativeDelta;
  const gap = ig.scoreInput - ig.scoreBaseline;
  return Number.isFinite(gap) && gap !== 0 ? Math.abs(ig.delta / gap) : null;
}

/** `example` bundle -> [{epoch, sweep, ig}, ...] in the bundle's (sorted) order. */
export function parseExample(records) {
  const { epochs, groups } = splitEpochBundle(records, 2);
  return epochs.map((epoch, i) => ({ epoch, sweep: parseSweep(groups[i][0]), ig: parseIg(groups[i][1]) }));
}

/** `gallery` bundle -> {epochs, sweep: Map epoch -> digest, ig: Map epoch -> digest}. */
export function parseGallery(records) {
  const { epochs, groups } = splitEpochBundle(records, 2);
  const sweep = new Map();
  const ig = new Map();
  epochs.forEach((epoch, i) => {
    const [s, g] = groups[i];
    if (s) {
      const p = s.arrays.predictions;
      sweep.set(epoch, {
        alphas: s.fields.alphas,
        targets: s.arrays.targets ? s.arrays.targets.data : null,
        predictions: p.data,
        numAlphas: p.shape[1],
        numClasses: p.shape[2],
        absMean: s.arrays.abs_mean ? s.arrays.abs_mean.data : null,
      });
    }
    if (g) {
      ig.set(epoch, {
        targets: g.arrays.targets ? g.arrays.targets.data : null,
        delta: g.arrays.delta ? g.arrays.delta.data : null,
        scoreInput: g.arrays.score_input ? g.arrays.score_input.data : null,
        ...baselineHealthOf(g),
        trust: trustDigestOf(g),
      });
    }
  });
  return { epochs, sweep, ig };
}

/**
 * The baseline health of an IG record or digest (absent before it was recorded): what the
 * head predicted on the baseline (`baselinePredictions`, [P] or [N, P] row-major, with
 * `baselineWidth` P), `baselineAffected` (a flag, or [N] flags of the digest) and the
 * probability from which an example is flagged; the digest also keeps its F(baseline).
 */
export function baselineHealthOf(rec) {
  const p = rec.arrays.baseline_predictions;
  if (!p) return {};
  const flags = rec.arrays.baseline_affected;
  const affected = 'baseline_affected' in rec.fields ? Boolean(rec.fields.baseline_affected) : flags ? flags.data : null;
  return {
    baselinePredictions: p.data,
    baselineWidth: p.shape[p.shape.length - 1],
    baselineAffected: affected,
    baselineThreshold: rec.fields.baseline_threshold,
    scoreBaselines: rec.arrays.score_baseline && rec.arrays.score_baseline.shape.length ? rec.arrays.score_baseline.data : null,
  };
}

/** `feature_maps` bundle -> {layer, epochs, byEpoch: Map epoch -> maps of one example}. */
export function parseFeatureMaps(records) {
  const { epochs, fields, groups } = splitEpochBundle(records, 1);
  const byEpoch = new Map();
  epochs.forEach((epoch, i) => {
    const rec = groups[i][0];
    if (!rec) return;
    const maps = rec.arrays.maps;
    const [count, h, w] = maps.shape;
    byEpoch.set(epoch, {
      count,
      height: h,
      width: w,
      codes: maps.data,
      scales: rec.arrays.scales.data,
      channels: rec.arrays.channels ? rec.arrays.channels.data : null,
      totalChannels: rec.fields.total_channels,
    });
  });
  return { layer: fields.layer, epochs, byEpoch };
}

/** Arg-max class and its probability in a row of `numClasses` probabilities at `offset`. */
export function argmax(values, offset, numClasses) {
  let best = -1;
  let prob = -Infinity;
  for (let c = 0; c < numClasses; c++) {
    const v = values[offset + c];
    if (v > prob) {
      prob = v;
      best = c;
    }
  }
  return { cls: best, prob };
}

/** Index of the largest alpha (the input itself when the sweep ends at 1). */
export function fullInputAlpha(alphas) {
  let best = 0;
  for (let i = 1; i < alphas.length; i++) if (alphas[i] > alphas[best]) best = i;
  return best;
}

/**
 * Predicted class and probability of probe example `index` at one epoch's gallery digest,
 * taken at the largest alpha; null when the digest is missing.
 */
export function galleryPrediction(digest, index) {
  if (!digest) return null;
  const k = fullInputAlpha(digest.alphas || []);
  const offset = (index * digest.numAlphas + k) * digest.numClasses;
  return argmax(digest.predictions, offset, digest.numClasses);
}

/** Display name of class `k`: the probe's class name, or "class k". */
export function className(names, k) {
  if (k === null || k === undefined || k < 0) return '—';
  return names && k < names.length ? names[k] : `class ${k}`;
}
