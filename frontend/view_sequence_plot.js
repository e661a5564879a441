// One plot of a [T, C] series for the sequence view (view_sequence.js): a lane per channel
// holding the channel's line (a min/max envelope per pixel column, view_sequence_data.js)
// over its map as shading, optionally a channel-sum strip, the ground-truth time spans and a
// time axis.
//
// The lines do not change with the epoch: they are drawn once into an offscreen layer (per
// alpha, size and theme). A frame paints the shading, one pixel per column and lane, into a
// tiny canvas that is stretched into the lanes, then blits the line layer on top: playback
// costs a few thousand table look-ups and C + 2 drawImage calls per plot.

import { hidpiContext } from './canvas.js';
import { NONFINITE_RGB } from './colormap.js';
import { el } from './dom.js';
import { shadeColors, shadeValue } from './pixels.js';
import { channelRange, envelope, extremeChannelSum, extremeCodes, maskSpans, pointCount, timeTicks } from './view_sequence_data.js';

const MASK_COLOR = '#ffb300';
const PAD_X = 2;

export class LanePlot {
  /** options: {role, axis (draw a time axis), sum (a channel-sum strip when C > 1)} */
  constructor({ role = null, axis = false, sum = false } = {}) {
    this.canvas = el('canvas', { class: 'seq-plot', 'data-role': role });
    this.lines = document.createElement('canvas');
    this.shade = document.createElement('canvas');
    this.axis = axis;
    this.sum = sum;
    this.series = null;
    this.linesKey = '';
    this.geometry = null;
  }

  /** The series {values [T*C], steps, channels} and its baseline value (per channel 0 or c). */
  setSeries(series, baseline) {
    this.series = series;
    this.baseline = baseline;
    const { values, steps, channels } = series;
    this.ranges = Array.from({ length: channels }, (_, c) => {
      const [lo, hi] = channelRange(values, steps, channels, c, baseline);
      const pad = (hi - lo) * 0.08;
      return [lo - pad, hi + pad];
    });
    this.envelopes = null;
    this.linesKey = '';
  }

  /** Sizes the plot: `width` CSS pixels, lanes `laneH` high. Returns the geometry. */
  layout(width, laneH) {
    const channels = this.series ? this.series.channels : 1;
    const sumH = this.sum && channels > 1 ? Math.max(8, Math.round(laneH / 3)) : 0;
    const maskH = 5;
    const gap = 1;
    const axisH = this.axis ? 15 : 0;
    const lanesTop = maskH;
    const lanesH = channels * laneH + (channels - 1) * gap;
    const sumTop = lanesTop + lanesH + (sumH ? 3 : 0);
    const height = sumTop + sumH + axisH + 1;
    const plotW = Math.max(8, width - 2 * PAD_X);
    const count = this.series ? pointCount(this.series.steps, plotW) : 1;
    const key = `${width}|${laneH}|${channels}`;
    if (!this.geometry || this.geometry.key !== key) {
      this.geometry = { key, width, height, laneH, gap, lanesTop, sumTop, sumH, maskH, axisH, plotW, count, channels };
      this.envelopes = null;
      this.linesKey = '';
    }
    return this.geometry;
  }

  laneTop(c) {
    const g = this.geometry;
    return g.lanesTop + c * (g.laneH + g.gap);
  }

  /** Draws the line layer (cached): lines at `alpha`, lane backgrounds, spans, axis. */
  drawLines(alpha, colors, mask) {
    const g = this.geometry;
    const s = this.series;
    if (!g || !s) return;
    const key = `${g.key}|${alpha}|${colors.text}|${colors.grid}|${colors.background}|${mask ? mask.length : 0}|${this.canvas.width}`;
    if (key === this.linesKey) return;
    this.linesKey = key;
    const ctx = hidpiContext(this.canvas, g.width, g.height);
    const ratio = this.canvas.width / g.width;
    this.lines.width = this.canvas.width;
    this.lines.height = this.canvas.height;
    const lc = this.lines.getContext('2d');
    lc.setTransform(ratio, 0, 0, ratio, 0, 0);
    lc.clearRect(0, 0, g.width, g.height);
    if (!this.envelopes) {
      this.envelopes = Array.from({ length: s.channels }, (_, c) => envelope(s.values, s.steps, s.channels, c, g.count));
    }
    const x = (i) => PAD_X + ((i + 0.5) * g.plotW) / g.count;
    const b = this.baseline;
    for (let c = 0; c < s.channels; c++) {
      const top = this.laneTop(c);
      const [lo, hi] = this.ranges[c];
      const y = (v) => top + g.laneH - ((b + alpha * (v - b) - lo) / (hi - lo)) * g.laneH;
      lc.beginPath();
      const { min, max } = this.envelopes[c];
      let started = false;
      for (let i = 0; i < g.count; i++) {
        if (!Number.isFinite(min[i])) {
          started = false;
          continue;
        }
        const xi = x(i);
        if (!started) lc.moveTo(xi, y(min[i]));
        else lc.lineTo(xi, y(min[i]));
        if (max[i] !== min[i]) lc.lineTo(xi, y(max[i]));
        started = true;
      }
      // A halo in the background colour keeps the line readable over any shading.
      lc.lineJoin = 'round';
      lc.strokeStyle = colors.background;
      lc.globalAlpha = 0.7;
      lc.lineWidth = 2.5;
      lc.stroke();
      lc.globalAlpha = 1;
      lc.strokeStyle = colors.text;
      lc.lineWidth = 1;
      lc.stroke();
      if (c > 0) {
        lc.fillStyle = colors.grid;
        lc.fillRect(0, top - g.gap, g.width, g.gap);
      }
    }
    if (mask) {
      lc.fillStyle = MASK_COLOR;
      lc.strokeStyle = MASK_COLOR;
      lc.lineWidth = 1;
      lc.setLineDash([3, 2]);
      const bottom = g.sumTop + g.sumH;
      for (const [start, end] of maskSpans(mask)) {
        const x0 = PAD_X + (start / s.steps) * g.plotW;
        const x1 = PAD_X + (end / s.steps) * g.plotW;
        lc.fillRect(x0, 0, Math.max(1.5, x1 - x0), g.maskH - 1);
        lc.beginPath();
        for (const xe of [x0, x1]) {
          lc.moveTo(Math.round(xe) + 0.5, g.maskH);
          lc.lineTo(Math.round(xe) + 0.5, bottom);
        }
        lc.stroke();
      }
      lc.setLineDash([]);
    }
    if (g.axisH) {
      const y0 = g.sumTop + g.sumH + 2;
      lc.fillStyle = colors.muted || colors.text;
      lc.font = '10px Roboto, sans-serif';
      lc.textBaseline = 'top';
      for (const t of timeTicks(s.steps, Math.max(2, Math.floor(g.plotW / 70)))) {
        const xt = PAD_X + ((t + 0.5) / s.steps) * g.plotW;
        lc.fillRect(Math.round(xt), y0 - 2, 1, 3);
        lc.textAlign = t === 0 ? 'left' : 'center';
        lc.fillText(String(t), Math.round(xt), y0 + 1);
      }
    }
    this.ctx = ctx;
  }

  /**
   * Paints one frame: the shading of a [T, C] map (codes from `offset`, stored scale
   * mapScale) at displayScale in view "overlay" | "signed" | "abs", then the line layer.
   * codes null: no map (the input alone, or stale).
   */
  render(map, { view, luts, background, colors }) {
    const g = this.geometry;
    const s = this.series;
    if (!g || !s) return;
    const ctx = this.ctx || hidpiContext(this.canvas, g.width, g.height);
    const ratio = this.canvas.width / g.width;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = colors.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (map) {
      const rows = s.channels + (g.sumH ? 1 : 0);
      if (this.shade.width !== g.count || this.shade.height !== rows) {
        this.shade.width = g.count;
        this.shade.height = rows;
        this.shadeImage = null;
      }
      const sc = this.shade.getContext('2d');
      if (!this.shadeImage) this.shadeImage = sc.createImageData(g.count, rows);
      const px = new Uint32Array(this.shadeImage.data.buffer);
      const table = new Uint32Array(shadeColors(view, map.scale, map.displayScale, luts, background).buffer);
      const codes = this.scratchCodes && this.scratchCodes.length === g.count ? this.scratchCodes : (this.scratchCodes = new Int8Array(g.count));
      for (let c = 0; c < s.channels; c++) {
        extremeCodes(map.codes, map.offset, s.steps, s.channels, c, g.count, codes);
        const row = c * g.count;
        for (let i = 0; i < g.count; i++) px[row + i] = table[codes[i] + 128];
      }
      if (g.sumH) {
        const sums = extremeChannelSum(map.codes, map.offset, s.steps, s.channels, map.scale, g.count);
        const row = s.channels * g.count;
        const bytes = this.shadeImage.data;
        for (let i = 0; i < g.count; i++) {
          const rgb = Number.isNaN(sums[i]) ? NONFINITE_RGB : shadeValue(view, sums[i], map.displayScale, luts, background);
          const o = (row + i) * 4;
          bytes[o] = rgb[0];
          bytes[o + 1] = rgb[1];
          bytes[o + 2] = rgb[2];
          bytes[o + 3] = 255;
        }
      }
      sc.putImageData(this.shadeImage, 0, 0);
      ctx.imageSmoothingEnabled = false;
      for (let c = 0; c < s.channels; c++) ctx.drawImage(this.shade, 0, c, g.count, 1, PAD_X, this.laneTop(c), g.plotW, g.laneH);
      if (g.sumH) ctx.drawImage(this.shade, 0, s.channels, g.count, 1, PAD_X, g.sumTop, g.plotW, g.sumH);
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.lines, 0, 0);
  }
}
