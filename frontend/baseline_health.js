// Baseline health in words: when the model classifies the baseline as the class an example is
// explained for, the example's map explains a change near zero and shows almost nothing. The
// callback decides which examples are affected (records' `baseline_affected`); this module
// only words it, with the numbers, for the example's IG panel and the run's notice. Pure: no
// DOM; class names are returned inside plain strings, which callers render as text.

import { formatPercent, formatValue } from './format.js';

/** The baseline's top class and its probability from predictions [P] at `offset`. */
function top(predictions, offset, width) {
  let best = 0;
  for (let k = 1; k < width; k++) if (predictions[offset + k] > predictions[offset + best]) best = k;
  return { cls: best, probability: predictions[offset + best] };
}

function advice(baseline) {
  return baseline === 'expected'
    ? 'more draws (num_baseline_samples) or another background may help.'
    : 'a baseline the model does not classify, such as baseline="expected", avoids this.';
}

function quoted(head, k) {
  return `“${head.name(k)}”`;
}

/**
 * The warning on one example's IG panel, or null: `ig` is a parsed IG record (model.parseIg)
 * of the label's explanation; `baseline` the baseline's name.
 */
export function exampleWarning(ig, head, baseline = '') {
  if (!ig || ig.predictedClass || !ig.baselineAffected || !ig.baselinePredictions) return null;
  const width = ig.baselineWidth || ig.baselinePredictions.length;
  const t = ig.target;
  const p = t >= 0 && t < width ? ig.baselinePredictions[t] : top(ig.baselinePredictions, 0, width).probability;
  const change = ig.scoreInput - ig.scoreBaseline;
  const name = baseline ? `The baseline (${baseline})` : 'The baseline';
  return (
    `${name} is classified ${quoted(head, t)} at ${formatPercent(p)}, the class this map explains, ` +
    `so the map explains a change F(x) − F(baseline) of only ${formatValue(change)} and shows almost nothing; ${advice(baseline)}`
  );
}

/**
 * The run's notice, or null: from the gallery's IG digests (model.parseGallery), the epochs
 * where some example's baseline is its class at or above the threshold, and at the newest
 * of them the class, its probability and the changes those maps explain.
 */
export function runNotice(gallery, head, baseline = '') {
  if (!gallery || !gallery.ig) return null;
  const flagged = gallery.epochs.filter((e) => {
    const d = gallery.ig.get(e);
    return d && d.baselineAffected && d.baselineAffected.some((v) => v);
  });
  if (!flagged.length) return null;
  const last = flagged[flagged.length - 1];
  const d = gallery.ig.get(last);
  const rows = [];
  d.baselineAffected.forEach((v, i) => v && rows.push(i));
  const width = d.baselineWidth;
  let worst = rows[0];
  let p = -1;
  for (const i of rows) {
    const t = d.targets ? d.targets[i] : 0;
    const q = d.baselinePredictions[i * width + t];
    if (q > p) [worst, p] = [i, q];
  }
  const cls = d.targets ? d.targets[worst] : top(d.baselinePredictions, worst * width, width).cls;
  const changes = rows.slice(0, 6).map((i) => formatValue(d.scoreInput[i] - (d.scoreBaselines ? d.scoreBaselines[i] : NaN)));
  const more = rows.length > 6 ? ` and ${rows.length - 6} more` : '';
  const since = flagged.length === 1 ? `at epoch ${last}` : `at ${flagged.length} epochs (${flagged[0]}–${last})`;
  const threshold = `${Math.round((d.baselineThreshold || 0.9) * 100)}%`;
  const name = baseline ? `The baseline (${baseline})` : 'The baseline';
  const count = rows.length === 1 ? '1 probe example' : `${rows.length} probe examples`;
  const same = rows.every((i) => !d.targets || d.targets[i] === cls);
  const whose = same ? 'of that class' : 'explained for their baseline’s class';
  return (
    `${name} is classified as an explained class at ${threshold} or more ${since}: at epoch ${last}, ` +
    `${quoted(head, cls)} at ${formatPercent(p)}, so ${count} ${whose} explain changes F(x) − F(baseline) ` +
    `of only ${changes.join(', ')}${more}, and their maps show almost nothing. Their panels say so; ${advice(baseline)}`
  );
}
