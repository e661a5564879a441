// The integrated-gradients panel around a view's attribution figures: the completeness delta
// that says how far the integral is from F(x) - F(baseline), the scores, target, quadrature
// and baseline. Modality-independent: it reads only the scalars of an IG record.

import { exampleWarning } from './baseline_health.js';
import { el, setText } from './dom.js';
import { formatValue } from './format.js';
import { className, relativeDelta } from './model.js';

export class IgPanel {
  constructor() {
    this.stats = {};
    const row = (key, label, hint) => {
      const value = el('dd', { 'data-stat': key });
      this.stats[key] = value;
      return [el('dt', { text: label, title: hint || '' }), value];
    };
    this.table = el(
      'dl',
      { class: 'ig-stats' },
      ...row('delta', 'Completeness δ', 'sum(IG) − (F(x) − F(baseline)); near 0 when the integral is accurate'),
      ...row('relative', '|δ| / |F(x) − F(b)|', 'relative completeness, as the Scalars tab shows it'),
      ...row('scores', 'F(x) → F(baseline)', 'target score at the input and at the baseline'),
      ...row('target', 'Target class'),
      ...row('method', 'Quadrature'),
      ...row('baseline', 'Baseline'),
    );
    this.message = el('div', { class: 'placeholder', hidden: true });
    // Said when the baseline is this example's class: its map explains a change near zero.
    this.baselineWarning = el('div', { class: 'baseline-warning', role: 'note', hidden: true });
    this.figures = null;
    this.root = el('div', { class: 'ig' }, this.baselineWarning, this.table, this.message);
  }

  /** Shows a view's attribution figures (its attributionRoot) first in the panel. */
  setFigures(node) {
    if (node === this.figures) return;
    if (this.figures) this.figures.replaceWith(node);
    else this.baselineWarning.after(node);
    this.figures = node;
  }

  /**
   * frame: {ig (one epoch's IG record of the example, or null), classNames, head}. One
   * completeness delta for all of the model's inputs.
   */
  render({ ig, classNames, head = null }) {
    this.message.hidden = Boolean(ig);
    const warning = ig && head ? exampleWarning(ig, head, ig.baseline) : null;
    setText(this.baselineWarning, warning || '');
    this.baselineWarning.hidden = !warning;
    if (!ig) {
      setText(this.message, 'No integrated gradients at this epoch.');
      for (const v of Object.values(this.stats)) setText(v, '—');
      return;
    }
    const relative = relativeDelta(ig);
    setText(this.stats.delta, formatValue(ig.delta));
    setText(this.stats.relative, relative === null ? '—' : formatValue(relative));
    const scored = Number.isFinite(ig.scoreInput) || Number.isFinite(ig.scoreBaseline);
    setText(this.stats.scores, scored ? `${formatValue(ig.scoreInput)} → ${formatValue(ig.scoreBaseline)}` : '—');
    const target = head ? head.name(ig.target) : className(classNames, ig.target);
    setText(this.stats.target, ig.predictedClass ? `${target} (predicted)` : target);
    setText(this.stats.method, `${ig.method || '?'}, ${ig.steps} steps`);
    setText(this.stats.baseline, ig.baseline || 'black');
    this.stats.delta.classList.toggle('bad', !Number.isFinite(ig.delta));
  }
}
