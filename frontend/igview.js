// Integrated gradients of the selected example: input, IG map, signed overlay, and the
// completeness delta that says how far the integral is from F(x) - F(baseline).

import { displayAt, ensureSize, pixelCanvas, putRgba, scratch } from './canvas.js';
import { el, setText } from './dom.js';
import { formatValue } from './format.js';
import { className } from './model.js';
import { imageRgba, paintMap } from './pixels.js';

export class IgView {
  constructor() {
    this.input = pixelCanvas(1, 1, { class: 'px', 'data-role': 'ig-input' });
    this.map = pixelCanvas(1, 1, { class: 'px', 'data-role': 'ig-map' });
    this.overlay = pixelCanvas(1, 1, { class: 'px', 'data-role': 'ig-overlay' });
    this.mapCaption = el('figcaption');
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
      ...row('relative', '|δ| / |F(x) − F(b)|'),
      ...row('scores', 'F(x) → F(baseline)', 'target score at the input and at the baseline'),
      ...row('target', 'Target class'),
      ...row('method', 'Quadrature'),
      ...row('baseline', 'Baseline'),
    );
    this.message = el('div', { class: 'placeholder', hidden: true });
    this.figures = el(
      'div',
      { class: 'ig-figures' },
      el('figure', {}, el('figcaption', { text: 'Input' }), this.input),
      el('figure', {}, this.mapCaption, this.map),
      el('figure', {}, el('figcaption', { text: 'Overlay' }), this.overlay),
    );
    this.root = el('div', { class: 'ig' }, this.figures, this.table, this.message);
  }

  setInput(image) {
    const [h, w] = image.shape;
    for (const c of [this.input, this.map, this.overlay]) ensureSize(c, w, h);
    putRgba(this.input, imageRgba(image, scratch(this.input)));
    this.layout();
  }

  layout() {
    const natural = this.input.width;
    let cell = natural >= 128 ? 128 : Math.max(natural, Math.floor(112 / natural) * natural);
    if (natural > 128) cell = 128;
    for (const c of [this.input, this.map, this.overlay]) displayAt(c, cell);
  }

  /** frame: {ig, view, luts, scale, gray, classNames} */
  render(frame) {
    const { ig } = frame;
    this.message.hidden = Boolean(ig);
    this.figures.classList.toggle('stale', !ig);
    setText(this.mapCaption, frame.view === 'abs' ? '|Integrated gradients|' : 'Integrated gradients');
    if (!ig) {
      setText(this.message, 'No integrated gradients at this epoch.');
      for (const v of Object.values(this.stats)) setText(v, '—');
      return;
    }
    const size = ig.height * ig.width;
    ensureSize(this.map, ig.width, ig.height);
    ensureSize(this.overlay, ig.width, ig.height);
    const mapView = frame.view === 'abs' ? 'abs' : 'signed';
    const m = scratch(this.map);
    putRgba(this.map, paintMap(mapView, ig.codes, 0, size, ig.scale, frame.scale, frame.luts, frame.gray, m));
    const o = scratch(this.overlay);
    putRgba(this.overlay, paintMap('overlay', ig.codes, 0, size, ig.scale, frame.scale, frame.luts, frame.gray, o));
    const gap = ig.scoreInput - ig.scoreBaseline;
    setText(this.stats.delta, formatValue(ig.delta));
    setText(this.stats.relative, Number.isFinite(gap) && gap !== 0 ? formatValue(Math.abs(ig.delta / gap)) : '—');
    setText(this.stats.scores, `${formatValue(ig.scoreInput)} → ${formatValue(ig.scoreBaseline)}`);
    setText(this.stats.target, className(frame.classNames, ig.target));
    setText(this.stats.method, `${ig.method || '?'}, ${ig.steps} steps`);
    setText(this.stats.baseline, ig.baseline || 'black');
    this.stats.delta.classList.toggle('bad', !Number.isFinite(ig.delta));
  }
}
