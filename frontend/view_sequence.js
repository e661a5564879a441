// The sequence view (views.js): a probe input is a series `values` [T, C] (C channels over T
// time steps) and its maps are [T, C]. Every plot is a lane per channel: the channel's line
// over the signed map as shading (blue positive, red negative), brought down to one value
// per pixel column without aliasing (view_sequence_data.js), so a 1000-step series stays
// readable in a few hundred pixels.
//
// - Alpha sweep: small multiples, one per alpha: the scaled series baseline + α(x − b) and
//   its gradient as shading, with the prediction at that alpha.
// - Integrated gradients: one wide plot with the channel names as text labels, the IG of each
//   channel in its lane, a strip of the IG summed over channels ("Σ"), the ground-truth time
//   spans (the mask [T]) marked above the lanes, and a time axis.

import { el, setAttr, setText } from './dom.js';
import { attributionLabel, formatValue } from './format.js';
import { Head } from './heads.js';
import { showPrediction } from './sweep_cell.js';
import { parseColor } from './pixels.js';
import { sequenceBaseline } from './view_sequence_data.js';
import { LanePlot } from './view_sequence_plot.js';

const LABEL_W = 84;
const THUMB_COLORS = { text: '#424242', muted: '#616161', grid: 'rgba(128, 128, 128, 0.35)', background: '#ffffff' };

export class SequenceView {
  constructor() {
    this.wide = true; // the IG plot takes the IG card's width (panels.js)
    this.columns = [];
    this.key = el('div', { class: 'seq-key muted' });
    this.grid = el('div', { class: 'seq-grid' });
    this.message = el('div', { class: 'placeholder', hidden: true });
    this.sweepRoot = el('div', { class: 'sweep seq-sweep' }, this.key, this.grid, this.message);
    this.plot = new LanePlot({ role: 'ig-map', axis: true, sum: true });
    this.labels = el('div', { class: 'seq-labels' });
    this.caption = el('figcaption');
    this.attributionRoot = el(
      'div',
      { class: 'seq-ig' },
      el('figure', { class: 'seq-figure' }, this.caption, el('div', { class: 'seq-body' }, this.labels, this.plot.canvas)),
    );
    this.alphasKey = '';
    this.width = 0;
    this.igWidth = 0;
    this.series = null;
    this.names = [];
  }

  prepare(input, baseline, alphas, probe) {
    const [steps, channels = 1] = input.shape;
    this.series = { values: input.data, steps, channels };
    const descriptor = input.descriptor || {};
    const given = Array.isArray(descriptor.channel_names) ? descriptor.channel_names : null;
    this.names = Array.from({ length: channels }, (_, c) => (given && c < given.length ? String(given[c]) : `channel ${c}`));
    const base = sequenceBaseline(baseline);
    this.baseline = base.value;
    this.plot.setSeries(this.series, base.value);
    this.setAlphas(alphas);
    for (const c of this.columns) c.plot.setSeries(this.series, base.value);
    setText(this.key, `Lanes, top to bottom: ${this.names.join(' · ')}. Shading: the gradient at each step.`);
    this.labels.replaceChildren(
      ...this.names.map((name) => el('div', { class: 'seq-label', text: name, title: name })),
      channels > 1 ? el('div', { class: 'seq-label seq-sum', text: 'Σ channels', title: 'IG summed over the channels' }) : null,
    );
    this.layout(this.width || 800, this.igWidth || 600);
    const caveat = base.exact ? '' : `The "${base.label}" baseline is not stored in the log: scaled series are drawn towards 0, approximately.`;
    return { baselineLabel: base.label, caveat };
  }

  /** One small multiple per alpha (kept while the alphas stay the same). */
  setAlphas(alphas) {
    const key = alphas.join(',');
    if (key === this.alphasKey) return;
    this.alphasKey = key;
    this.columns = alphas.map((alpha, k) => {
      const plot = new LanePlot({ role: 'sweep-map' });
      setAttr(plot.canvas, 'data-alpha', k);
      const predClass = el('span', { class: 'pred-class' });
      const predProb = el('span', { class: 'pred-prob' });
      const scale = el('div', { class: 'map-scale' });
      const root = el(
        'figure',
        { class: 'sweep-col seq-col' },
        el('figcaption', { class: 'alpha', text: `α = ${formatValue(alpha)}` }),
        plot.canvas,
        el('div', { class: 'pred' }, predClass, predProb),
        scale,
      );
      return { root, plot, predClass, predProb, scale, alpha };
    });
    this.grid.replaceChildren(...this.columns.map((c) => c.root));
    this.cell = 0;
  }

  layout(width, igWidth = width) {
    this.width = width;
    this.igWidth = igWidth;
    const channels = this.series ? this.series.channels : 1;
    const k = Math.max(1, this.columns.length);
    const gap = 6;
    const frame = 4;
    const inset = 6;
    // Ten 90-pixel plots say little about 1000 steps: two rows of wider ones instead.
    const perRow = (width - inset) / k >= 150 ? k : Math.ceil(k / 2);
    const cell = Math.max(60, Math.min(320, Math.floor((width - inset - gap * (perRow - 1)) / perRow) - frame));
    this.grid.style.gridTemplateColumns = `repeat(${perRow}, ${cell + frame}px)`;
    const laneH = Math.max(8, Math.min(30, Math.floor(90 / channels)));
    this.cell = cell;
    for (const c of this.columns) {
      c.plot.layout(cell, laneH);
      c.root.style.width = `${cell + frame}px`;
    }
    const plotW = Math.max(160, igWidth - LABEL_W - 6);
    const igLane = Math.max(18, Math.min(56, Math.floor(210 / channels)));
    const g = this.plot.layout(plotW, igLane);
    this.labels.style.width = `${LABEL_W}px`;
    this.labels.style.paddingTop = `${g.lanesTop}px`;
    [...this.labels.children].forEach((label, c) => {
      const sum = c >= channels;
      label.style.height = `${sum ? g.sumH : g.laneH}px`;
      label.style.lineHeight = `${sum ? g.sumH : g.laneH}px`;
      label.style.marginTop = sum ? '3px' : c > 0 ? `${g.gap}px` : '0';
      label.style.fontSize = sum && g.sumH < 12 ? '10px' : '';
    });
  }

  renderSweep(frame) {
    const { sweep } = frame;
    this.message.hidden = Boolean(sweep);
    this.grid.classList.toggle('stale', !sweep);
    if (!sweep || !this.series) {
      setText(this.message, frame.missingText || 'No interior gradients at this epoch.');
      return;
    }
    const background = parseColor(frame.colors.background);
    const size = sweep.height * sweep.width;
    const mask = frame.mask ? frame.mask.data : null;
    const head = frame.head || new Head({ classNames: frame.classNames });
    this.columns.forEach((c, k) => {
      if (k >= sweep.count) return;
      c.plot.drawLines(c.alpha, frame.colors, mask);
      c.plot.render(
        { codes: sweep.codes, offset: k * size, scale: sweep.scales[k], displayScale: frame.scales[k] },
        { view: frame.view, luts: frame.luts, background, colors: frame.colors },
      );
      showPrediction(c, head, sweep, k, frame);
    });
  }

  renderAttribution(frame) {
    const { ig } = frame;
    this.attributionRoot.classList.toggle('stale', !ig && !frame.fixed);
    setText(
      this.caption,
      frame.fixed ? 'Input' : `${attributionLabel(frame)} per channel and summed over channels (Σ)`,
    );
    if (!this.series || (!ig && !frame.fixed)) return;
    const mask = frame.mask ? frame.mask.data : null;
    this.plot.drawLines(1, frame.colors, mask);
    const view = frame.view === 'abs' ? 'abs' : frame.view;
    const map = ig ? { codes: ig.codes, offset: 0, scale: ig.scale, displayScale: frame.scale } : null;
    this.plot.render(map, { view, luts: frame.luts, background: parseColor(frame.colors.background), colors: frame.colors });
    this.colors = frame.colors;
  }

  /** The IG plot with its channel labels, as one canvas (the labels are DOM on screen). */
  attributionCanvas() {
    const plot = this.plot.canvas;
    const g = this.plot.geometry;
    const out = document.createElement('canvas');
    if (!g) return out;
    const ratio = plot.width / g.width;
    out.width = Math.round((LABEL_W + g.width) * ratio);
    out.height = plot.height;
    const ctx = out.getContext('2d');
    const colors = this.colors || THUMB_COLORS;
    ctx.fillStyle = colors.background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(plot, LABEL_W * ratio, 0);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.font = '11px Roboto, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = colors.text;
    this.names.forEach((name, c) => ctx.fillText(name, 0, this.plot.laneTop(c) + g.laneH / 2, LABEL_W - 6));
    if (g.sumH) ctx.fillText('Σ channels', 0, g.sumTop + g.sumH / 2, LABEL_W - 6);
    out.exportWidth = LABEL_W + g.width;
    return out;
  }

  exportFrame({ view }) {
    return {
      cell: Math.min(this.cell || 120, 150),
      columns: this.columns.map((c) => ({
        alpha: formatValue(c.alpha),
        input: null,
        grad: c.plot.canvas,
        pred: `${c.predClass.textContent} ${c.predProb.textContent}`.trim(),
        wrong: c.root.classList.contains('wrong'),
      })),
      attribution: { canvases: [this.attributionCanvas()], captions: [view === 'abs' ? '|IG| per channel, Σ' : 'IG per channel, Σ'] },
    };
  }

  thumbnail(input, size) {
    const plot = new LanePlot();
    if (!input) return plot.canvas;
    const [steps, channels = 1] = input.shape;
    plot.setSeries({ values: input.data, steps, channels }, 0);
    plot.layout(size, Math.max(4, Math.floor((size - 8) / channels)));
    plot.drawLines(1, THUMB_COLORS, null);
    plot.render(null, { view: 'signed', luts: null, background: [255, 255, 255], colors: THUMB_COLORS });
    plot.canvas.classList.add('thumb-plot');
    return plot.canvas;
  }
}
