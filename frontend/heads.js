// What the model's head predicts, as text: the class and its probability (multiclass,
// binary), the outputs over one half (multi-label), the predicted value (regression), and
// whether that is wrong against the label. Pure: no DOM. docs/format.md, "Head".
//
// Every prediction row holds P numbers (`predictions` [.., K, P]): class probabilities
// (binary: [1 - p, p]), each output's probability (multi-label) or the predicted values
// (regression). Labels are class ids (`labels`) or float rows (`label_values` [N, W]).

import { formatPercent, formatValue } from './format.js';
import { argmax, fullInputAlpha } from './model.js';

export const HEAD_KINDS = Object.freeze(['multiclass', 'binary', 'multilabel', 'regression']);

/** Multi-label outputs at or above this probability count as predicted. */
export const MULTILABEL_THRESHOLD = 0.5;

/** The head's kind: the probe's, else the run's, else multiclass (format-1 logs). */
export function headKind(probe, run) {
  for (const head of [probe && probe.head, run && run.head]) {
    if (head && HEAD_KINDS.includes(head.kind)) return head.kind;
  }
  return 'multiclass';
}

/** Display name of class or output `k`. */
export function outputName(kind, names, k) {
  if (k === null || k === undefined || k < 0) return '—';
  if (names && k < names.length) return names[k];
  return kind === 'multilabel' || kind === 'regression' ? `output ${k}` : `class ${k}`;
}

export class Head {
  /**
   * kind: one of HEAD_KINDS; classNames: names of the P columns or null; labels: class ids
   * [N] or null; labelValues: {data, width} [N, W] float rows or null.
   */
  constructor({ kind = 'multiclass', classNames = null, labels = null, labelValues = null } = {}) {
    this.kind = HEAD_KINDS.includes(kind) ? kind : 'multiclass';
    this.classNames = classNames;
    this.labels = labels;
    this.labelValues = labelValues;
  }

  /** The head of a parsed probe (model.parseProbe) and its run (the runs route). */
  static of(probe, run) {
    return new Head({
      kind: headKind(probe, run),
      classNames: probe ? probe.classNames : null,
      labels: probe ? probe.labels : null,
      labelValues: probe ? probe.labelValues : null,
    });
  }

  get classifier() {
    return this.kind === 'multiclass' || this.kind === 'binary';
  }

  name(k) {
    return outputName(this.kind, this.classNames, k);
  }

  /** A probability axis (every head but regression, whose predictions are values). */
  get probabilities() {
    return this.kind !== 'regression';
  }

  /**
   * The label of example `index` explained at output `target`: {text, cls, set, value} or
   * null when unlabelled.
   */
  truth(index, target = 0) {
    if (this.classifier || !this.labelValues) {
      if (!this.labels || index >= this.labels.length) return null;
      const cls = this.labels[index];
      return { text: this.name(cls), cls, set: null, value: null };
    }
    const { data, width } = this.labelValues;
    if ((index + 1) * width > data.length) return null;
    const row = data.subarray(index * width, (index + 1) * width);
    if (this.kind === 'multilabel') {
      const set = [];
      row.forEach((v, k) => v > 0.5 && set.push(k));
      return { text: this.setText(set), cls: null, set, value: null };
    }
    const k = Math.min(width - 1, Math.max(0, target | 0));
    const value = row[k];
    return { text: Number.isFinite(value) ? formatValue(value) : '—', cls: null, set: null, value };
  }

  setText(set) {
    return set.length ? set.map((k) => this.name(k)).join(', ') : 'none';
  }

  /**
   * The prediction in the row of P numbers at `offset`, explained at output `target`:
   * {text, detail, cls, set, value}. text is what was predicted (class, outputs, value),
   * detail its probability (or, for regression of several outputs, the output's name).
   */
  predict(values, offset, count, target = 0) {
    if (this.kind === 'regression') {
      const k = Math.min(count - 1, Math.max(0, target | 0));
      const value = values[offset + k];
      return { text: formatValue(value), detail: count > 1 ? this.name(k) : '', cls: null, set: null, value };
    }
    if (this.kind === 'multilabel') {
      const set = [];
      for (let k = 0; k < count; k++) if (values[offset + k] >= MULTILABEL_THRESHOLD) set.push(k);
      const p = values[offset + target];
      return { text: this.setText(set), detail: `${this.name(target)} ${formatPercent(p)}`, cls: null, set, value: p };
    }
    const { cls, prob } = argmax(values, offset, count);
    return { text: this.name(cls), detail: formatPercent(prob), cls, set: null, value: prob };
  }

  /** Whether a prediction (predict()) disagrees with a label (truth()); false without one. */
  wrong(prediction, truth) {
    if (!prediction || !truth) return false;
    if (this.classifier) return prediction.cls !== truth.cls;
    if (this.kind === 'multilabel') return prediction.set.join(',') !== truth.set.join(',');
    return false;
  }

  /** Prediction of example `index` at the largest alpha of a gallery digest, or null. */
  galleryPrediction(digest, index) {
    if (!digest) return null;
    const k = fullInputAlpha(digest.alphas || []);
    const offset = (index * digest.numAlphas + k) * digest.numClasses;
    if (offset + digest.numClasses > digest.predictions.length) return null;
    const target = digest.targets && index < digest.targets.length ? digest.targets[index] : 0;
    return this.predict(digest.predictions, offset, digest.numClasses, target);
  }

  /** The explained output of example `index` at one epoch (digest targets), else 0. */
  targetOf(digest, index) {
    return digest && digest.targets && index < digest.targets.length ? digest.targets[index] : 0;
  }

  /** "true: X · predicted: Y (Z%)" parts of the example title. */
  titleParts(truth, prediction) {
    const parts = [];
    if (truth) parts.push(`true: ${truth.text}`);
    if (prediction) {
      if (this.kind === 'regression') parts.push(`predicted: ${prediction.text}${prediction.detail ? ` (${prediction.detail})` : ''}`);
      else if (this.kind === 'multilabel') parts.push(`predicted: ${prediction.text} (${prediction.detail})`);
      else parts.push(`predicted: ${prediction.text} (${prediction.detail})`);
    }
    return parts;
  }
}
