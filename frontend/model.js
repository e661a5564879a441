// Decoded records -> the dashboard's data: probe, gallery digests, per-epoch sweep and IG of
// one example, feature maps. Pure: no DOM. Field and array names are those of
// docs/format.md; arrays stay views into the fetched bytes (no copies of the maps).

import { scalar } from './codec.js';
import { summarizeCodes, summarizeMaps } from './normalize.js';

/** Probe bundle (digest, then one record per example) -> images, labels and class names. */
export function parseProbe(records) {
  const digest = records[0];
  if (!digest) throw new Error('the probe has no digest record');
  const f = digest.fields;
  const images = [];
  const masks = [];
  let probeMax = 0;
  for (const rec of records.slice(1)) {
    const image = rec && rec.arrays.image;
    images.push(image ? { data: image.data, shape: normalizeImageShape(image.shape) } : null);
    masks.push(rec && rec.arrays.mask ? rec.arrays.mask : null);
    if (image) for (const v of image.data) if (v > probeMax) probeMax = v;
  }
  return {
    numExamples: Number.isInteger(f.num_examples) ? f.num_examples : images.length,
    inputShape: Array.isArray(f.input_shape) ? f.input_shape : null,
    displayRange: Array.isArray(f.display_range) ? f.display_range : [0, 1],
    classNames: Array.isArray(f.class_names) ? f.class_names.map(String) : null,
    // One descriptor per model input ({name, modality, shape, ...}); absent before format 2.
    inputs: Array.isArray(f.inputs) ? f.inputs : null,
    labels: digest.arrays.labels ? digest.arrays.labels.data : null,
    images,
    masks,
    probeMax,
  };
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

/** One example's interior-gradient record. */
export function parseSweep(rec) {
  if (!rec) return null;
  const maps = rec.arrays.maps;
  const [k, h, w] = maps.shape.length === 3 ? maps.shape : [maps.shape[0], 1, maps.shape[1]];
  const predictions = rec.arrays.predictions;
  const scales = rec.arrays.scales.data;
  return {
    alphas: rec.fields.alphas,
    baseline: rec.fields.baseline,
    target: rec.fields.target,
    count: k,
    height: h,
    width: w,
    codes: maps.data,
    scales,
    predictions: predictions.data,
    numClasses: predictions.shape[1] || 0,
    absMean: rec.arrays.abs_mean ? rec.arrays.abs_mean.data : null,
    summaries: summarizeMaps(maps.data, scales, h * w),
  };
}

/** One example's integrated-gradient record. */
export function parseIg(rec) {
  if (!rec) return null;
  const map = rec.arrays.map;
  const [h, w] = map.shape.length === 2 ? map.shape : [1, map.shape[0]];
  const scale = scalar(rec.arrays.scale);
  return {
    method: rec.fields.method,
    steps: rec.fields.steps,
    baseline: rec.fields.baseline,
    target: rec.fields.target,
    height: h,
    width: w,
    codes: map.data,
    scale,
    delta: scalar(rec.arrays.delta),
    scoreInput: scalar(rec.arrays.score_input),
    scoreBaseline: scalar(rec.arrays.score_baseline),
    summary: summarizeCodes(map.data, scale),
  };
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
      });
    }
  });
  return { epochs, sweep, ig };
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
