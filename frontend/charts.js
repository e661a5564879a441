// Saturation charts of the selected example: the target's probability and the mean
// |gradient| against alpha, the current epoch in front and earlier epochs faint behind.

import { hidpiContext } from './canvas.js';
import { el } from './dom.js';
import { finiteMax, formatValue, niceTicks } from './format.js';

const HEIGHT = 150;
const BANDS = 4;
const PAD = { left: 44, right: 10, top: 8, bottom: 26 };

class Chart {
  constructor(title, yLabel, role) {
    this.canvas = el('canvas', { class: 'chart', 'data-role': role, role: 'img', 'aria-label': title });
    this.root = el('figure', { class: 'chart-box' }, el('figcaption', { text: title }), this.canvas);
    this.yLabel = yLabel;
  }

  /** series: [{epoch, values}] (oldest first; the last is the current epoch). */
  draw(width, alphas, series, yMax, colors) {
    const ctx = hidpiContext(this.canvas, width, HEIGHT);
    ctx.clearRect(0, 0, width, HEIGHT);
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const top = yMax > 0 ? yMax : 1;
    const x = (a) => PAD.left + a * plotW;
    const y = (v) => PAD.top + plotH - (Math.min(v, top) / top) * plotH;
    ctx.font = '10px Roboto, sans-serif';
    ctx.lineWidth = 1;
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of niceTicks(0, top, 4)) {
      ctx.beginPath();
      ctx.moveTo(PAD.left, Math.round(y(t)) + 0.5);
      ctx.lineTo(PAD.left + plotW, Math.round(y(t)) + 0.5);
      ctx.stroke();
      ctx.fillText(formatValue(t), PAD.left - 4, y(t));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(0, 1, 5)) ctx.fillText(formatValue(t), x(t), PAD.top + plotH + 4);
    ctx.fillText('α', PAD.left + plotW / 2, PAD.top + plotH + 14);
    const order = alphas.map((_, i) => i).sort((a, b) => alphas[a] - alphas[b]);
    const trace = (values) => {
      let started = false;
      for (const i of order) {
        const v = values[i];
        if (!Number.isFinite(v)) continue;
        if (started) ctx.lineTo(x(alphas[i]), y(v));
        else ctx.moveTo(x(alphas[i]), y(v));
        started = true;
      }
    };
    const line = (values) => {
      ctx.beginPath();
      trace(values);
      ctx.stroke();
    };
    // Earlier epochs in BANDS recency bands, one path each (older bands fainter): a few
    // strokes per frame whatever the number of epochs, which keeps playback smooth.
    const past = series.length - 1;
    ctx.strokeStyle = colors.past;
    for (let band = 0; band < BANDS && past > 0; band++) {
      const from = Math.floor((band * past) / BANDS);
      const to = Math.floor(((band + 1) * past) / BANDS);
      if (to <= from) continue;
      ctx.globalAlpha = 0.1 + (0.3 * (band + 1)) / BANDS;
      ctx.beginPath();
      for (let n = from; n < to; n++) trace(series[n].values);
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
    if (past >= 0) {
      const current = series[past].values;
      ctx.strokeStyle = colors.current;
      ctx.fillStyle = colors.current;
      ctx.lineWidth = 2;
      line(current);
      for (const i of order) {
        if (!Number.isFinite(current[i])) continue;
        ctx.beginPath();
        ctx.arc(x(alphas[i]), y(current[i]), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
}

export class SaturationCharts {
  constructor() {
    this.prob = new Chart('Target probability vs α', 'p', 'chart-prob');
    this.grad = new Chart('Mean |gradient| vs α', '|g|', 'chart-grad');
    this.note = el('div', { class: 'chart-note' });
    this.root = el('div', { class: 'charts' }, this.prob.root, this.grad.root, this.note);
  }

  /**
   * alphas: the sweep; history: [{epoch, probs, absMean}] for every loaded epoch (sorted);
   * epoch: the current one; width: CSS width of one chart.
   */
  render({ alphas, history, epoch, width, colors }) {
    const upTo = history.filter((h) => h.epoch <= epoch);
    const gradMax = finiteMax(history.flatMap((h) => Array.from(h.absMean || [])));
    this.prob.draw(width, alphas, upTo.map((h) => ({ epoch: h.epoch, values: h.probs })), 1, colors);
    this.grad.draw(width, alphas, upTo.map((h) => ({ epoch: h.epoch, values: h.absMean || [] })), gradMax * 1.05, colors);
    const first = upTo.length ? upTo[0].epoch : epoch;
    const previous = upTo.length > 1 ? upTo[upTo.length - 2].epoch : null;
    this.note.textContent = previous === null ? '' : `Bold: epoch ${epoch}. Faint: epochs ${first}–${previous}, older fainter.`;
  }
}
