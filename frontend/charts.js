// Saturation charts of the selected example: the target's probability and the mean
// |gradient| against alpha, the current epoch in front and earlier epochs faint behind.
//
// Each chart keeps an offscreen "background" canvas with the axes and the earlier epochs'
// lines. Playing forward adds one faint line to it per frame, so a frame costs one blit and
// one bold line however many epochs lie behind; stepping back or a new scale redraws it.

import { drawAxes } from './axes.js';
import { hidpiContext } from './canvas.js';
import { el } from './dom.js';
import { finiteMax, niceTicks } from './format.js';

const HEIGHT = 150;
const PAD = { left: 44, right: 10, top: 8, bottom: 26 };

class Chart {
  constructor(title, role) {
    this.canvas = el('canvas', { class: 'chart', 'data-role': role, role: 'img', 'aria-label': title });
    this.caption = el('figcaption', { text: title });
    this.root = el('figure', { class: 'chart-box' }, this.caption, this.canvas);
    this.background = document.createElement('canvas');
    this.key = '';
    this.drawn = []; // epochs whose faint line is on the background, in order
  }

  /**
   * series: [{epoch, values}] oldest first, the last one the current epoch; yMax: top of the
   * axis; total: the run's number of epochs (sets how faint one line is); yMin: the axis'
   * bottom (0 unless values go below it).
   */
  draw(width, alphas, series, yMax, total, colors, yMin = 0) {
    const ctx = hidpiContext(this.canvas, width, HEIGHT);
    const bottom = Number.isFinite(yMin) ? yMin : 0;
    const top = yMax > bottom ? yMax : bottom + 1;
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const geometry = {
      x: (a) => PAD.left + a * plotW,
      y: (v) => PAD.top + plotH - ((Math.max(bottom, Math.min(v, top)) - bottom) / (top - bottom)) * plotH,
      order: alphas.map((_, i) => i).sort((a, b) => alphas[a] - alphas[b]),
      alphas,
    };
    const past = series.slice(0, -1);
    const key = [width, bottom, top, alphas.join(','), total, Object.values(colors).join(','), this.canvas.width].join('|');
    const extendsDrawn = this.drawn.length <= past.length && this.drawn.every((e, i) => past[i].epoch === e);
    if (key !== this.key || !extendsDrawn) {
      this.key = key;
      this.drawn = [];
      this.resetBackground(width, bottom, top, plotW, plotH, geometry, colors);
    }
    if (this.drawn.length < past.length) {
      const bg = this.background.getContext('2d');
      bg.strokeStyle = colors.past;
      bg.lineWidth = 1;
      // Faint enough that all of a run's epochs together do not turn solid.
      bg.globalAlpha = Math.max(0.05, Math.min(0.3, 4 / Math.max(1, total)));
      bg.beginPath();
      for (const s of past.slice(this.drawn.length)) {
        trace(bg, geometry, s.values);
        this.drawn.push(s.epoch);
      }
      bg.stroke();
      bg.globalAlpha = 1;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.background, 0, 0);
    const ratio = this.canvas.width / width;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (series.length) {
      const current = series[series.length - 1].values;
      ctx.strokeStyle = colors.current;
      ctx.fillStyle = colors.current;
      ctx.lineWidth = 2;
      ctx.beginPath();
      trace(ctx, geometry, current);
      ctx.stroke();
      for (const i of geometry.order) {
        if (!Number.isFinite(current[i])) continue;
        ctx.beginPath();
        ctx.arc(geometry.x(alphas[i]), geometry.y(current[i]), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }

  setTitle(title) {
    if (this.caption.textContent === title) return;
    this.caption.textContent = title;
    this.canvas.setAttribute('aria-label', title);
  }

  /** Axes, grid and tick labels on a cleared background of the chart's pixel size. */
  resetBackground(width, bottom, top, plotW, plotH, { x, y }, colors) {
    const bg = this.background;
    bg.width = this.canvas.width;
    bg.height = this.canvas.height;
    const ctx = bg.getContext('2d');
    const ratio = bg.width / width;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const plot = { x, y, left: PAD.left, top: PAD.top, plotW, plotH };
    drawAxes(ctx, plot, { low: bottom, high: top, xTicks: niceTicks(0, 1, 5), xLabel: 'α' }, colors);
  }
}

/** Adds one polyline (values at the sorted alphas, gaps at non-finite values) to the path. */
function trace(ctx, { x, y, order, alphas }, values) {
  let started = false;
  for (const i of order) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (started) ctx.lineTo(x(alphas[i]), y(v));
    else ctx.moveTo(x(alphas[i]), y(v));
    started = true;
  }
}

export class SaturationCharts {
  constructor() {
    this.prob = new Chart('Target probability vs α', 'chart-prob');
    this.grad = new Chart('Mean |gradient| vs α', 'chart-grad');
    this.note = el('div', { class: 'chart-note' });
    this.root = el('div', { class: 'charts' }, this.prob.root, this.grad.root, this.note);
    this.gradMax = { history: null, value: 0 };
  }

  /**
   * alphas: the sweep; history: [{epoch, probs, absMean}] for every loaded epoch (sorted);
   * epoch: the current one; width: CSS width of one chart.
   */
  render({ alphas, history, epoch, width, colors, probabilities = true }) {
    const upTo = history.filter((h) => h.epoch <= epoch);
    if (this.gradMax.history !== history) {
      // One axis for every loaded epoch, so that growth and fading show.
      const values = probabilities ? null : history.flatMap((h) => Array.from(h.probs)).filter(Number.isFinite);
      this.gradMax = {
        history,
        value: finiteMax(history.flatMap((h) => Array.from(h.absMean || []))),
        // Regression: the predicted value's range over every loaded epoch (0 included).
        range: values ? [Math.min(0, ...values), Math.max(0, ...values)] : [0, 1],
      };
    }
    this.prob.setTitle(probabilities ? 'Target probability vs α' : 'Predicted value vs α');
    const [low, high] = this.gradMax.range;
    const pad = probabilities ? 0 : (high - low) * 0.05;
    const total = history.length;
    this.prob.draw(width, alphas, upTo.map((h) => ({ epoch: h.epoch, values: h.probs })), high + pad, total, colors, low - (low < 0 ? pad : 0));
    this.grad.draw(
      width,
      alphas,
      upTo.map((h) => ({ epoch: h.epoch, values: h.absMean || [] })),
      this.gradMax.value * 1.05,
      total,
      colors,
    );
    const first = upTo.length ? upTo[0].epoch : epoch;
    const previous = upTo.length > 1 ? upTo[upTo.length - 2].epoch : null;
    const text = previous === null ? '' : `Bold: epoch ${epoch}. Faint: epochs ${first}–${previous}.`;
    if (this.note.textContent !== text) this.note.textContent = text;
  }
}
