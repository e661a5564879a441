// Integrated gradients of the selected example: input, IG map, signed overlay, and the
// completeness delta that says how far the integral is from F(x) - F(baseline).

import { displayAt, ensureSize, pixelCanvas, putRgba, scratch } from './canvas.js';
import { el, setText } from './dom.js';
import { formatValue } from './format.js';
import { className } from './model.js';
import { imageRgba, outlineMask, paintMap } from './pixels.js';

const OUTLINE = [255, 214, 0];

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

  /** frame: {ig, view, luts, scale, gray, classNames, mask (object mask to outline, or null)} */
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
    const m = paintMap(mapView, ig.codes, 0, size, ig.scale, frame.scale, frame.luts, frame.gray, scratch(this.map));
    const o = paintMap('overlay', ig.codes, 0, size, ig.scale, frame.scale, frame.luts, frame.gray, scratch(this.overlay));
    if (frame.mask && frame.mask.data.length === size) {
      outlineMask(m, frame.mask.data, ig.width, ig.height, OUTLINE);
      outlineMask(o, frame.mask.data, ig.width, ig.height, OUTLINE);
    }
    putRgba(this.map, m);
    putRgba(this.overlay, o);
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
