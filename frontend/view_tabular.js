// The tabular view (views.js): a probe input is a row of F feature values `values` [F] and
// its maps are [F].
//
// - Integrated gradients: a signed horizontal bar chart of the features sorted by |IG|,
//   the top 20 with their names and values (DOM text), the rest folded into one "N others"
//   bar of their summed attribution (view_tabular_data.js); the ground-truth features (the
//   mask [F]) carry a marker beside their name.
// - Alpha sweep: a heat strip of the same 20 features (rows, in the IG chart's order) by the
//   alphas (columns), each cell the gradient of that feature at that alpha, with the
//   prediction under each column.

import { hidpiContext } from './canvas.js';
import { el, setAttr, setText } from './dom.js';
import { attributionLabel, formatValue } from './format.js';
import { Head } from './heads.js';
import { showPrediction } from './sweep_cell.js';
import { parseColor, shadeColors, shadeValue } from './pixels.js';
import { TOP_FEATURES, barGeometry, decodeMap, featureNames, rankFeatures } from './view_tabular_data.js';

const ROW_H = 18; // IG chart rows (CSS pixels)
const STRIP_ROW_H = 16; // heat strip rows
const NAME_W = 168;
const VALUE_W = 64;
const MARK_W = 14;
const NUMBER_W = 58; // IG numbers at the right end of the bar canvas
const TRUTH_MARK = '◆';

function css(rgb, alpha = 1) {
  return alpha === 1 ? `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})` : `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${alpha})`;
}

/** The bar colour of value v: signed views by sign (at least a third of the palette's way). */
function barColor(view, v, scale, luts, background) {
  if (view === 'abs') {
    const t = 0.2 + 0.6 * Math.min(1, Math.abs(v) / (scale > 0 ? scale : 1));
    return shadeValue('abs', t, 1, luts, background);
  }
  if (view === 'signed') {
    const s = scale > 0 ? scale : 1;
    const m = Math.max(Math.abs(v), 0.35 * s);
    return shadeValue('signed', v >= 0 ? m : -m, s, luts, background);
  }
  return v >= 0 ? luts.positive : luts.negative;
}

export class TabularView {
  constructor() {
    this.wide = true;
    // Integrated gradients: rows of DOM text beside one canvas of bars.
    this.rows = [];
    this.bars = el('canvas', { class: 'tab-bars', 'data-role': 'ig-map' });
    this.list = el('div', { class: 'tab-list' });
    this.caption = el('figcaption');
    this.attributionRoot = el(
      'div',
      { class: 'tab-ig' },
      el(
        'figure',
        { class: 'tab-figure' },
        this.caption,
        el(
          'div',
          { class: 'tab-head muted' },
          el('span', { class: 'tab-mark' }),
          el('span', { class: 'tab-name', text: 'feature' }),
          el('span', { class: 'tab-value', text: 'value' }),
          (this.barHead = el('span', { class: 'tab-bar-head', text: 'attribution' })),
        ),
        el('div', { class: 'tab-chart' }, this.list, this.bars),
      ),
    );
    // Alpha sweep: names, then a strip of alphas x features with predictions under it.
    this.stripNames = el('div', { class: 'tab-strip-names' });
    this.strip = el('canvas', { class: 'tab-strip', 'data-role': 'sweep-map' });
    this.alphaRow = el('div', { class: 'tab-alphas' });
    this.predRow = el('div', { class: 'tab-preds' });
    this.stripNote = el('div', { class: 'seq-key muted' });
    this.message = el('div', { class: 'placeholder', hidden: true });
    this.stripBody = el('div', { class: 'tab-strip-body' }, this.alphaRow, this.strip, this.predRow);
    this.stripBox = el('div', { class: 'tab-sweep' }, this.stripNames, this.stripBody);
    this.sweepRoot = el('div', { class: 'sweep' }, this.stripNote, this.stripBox, this.message);
    this.columns = [];
    this.alphasKey = '';
    this.values = null;
    this.names = [];
    this.order = null;
    this.width = 800;
    this.igWidth = 600;
  }

  prepare(input, baseline, alphas, probe) {
    this.values = input.data;
    const count = input.data.length;
    const descriptor = input.descriptor || {};
    this.names = featureNames(descriptor.feature_names, count);
    this.shown = Math.min(count, count <= TOP_FEATURES + 1 ? count : TOP_FEATURES);
    this.folded = count > this.shown;
    this.buildRows();
    this.setAlphas(alphas);
    // Until an IG map orders them: by |value|.
    this.order = rankFeatures(this.values, TOP_FEATURES);
    this.layout(this.width, this.igWidth);
    return { baselineLabel: baseline, caveat: '' };
  }

  buildRows() {
    const rows = this.shown + (this.folded ? 1 : 0);
    if (this.rows.length !== rows) {
      this.rows = Array.from({ length: rows }, (_, r) => {
        const mark = el('span', { class: 'tab-mark truth-mark', 'aria-hidden': 'true' });
        const name = el('span', { class: 'tab-name' });
        const value = el('span', { class: 'tab-value' });
        const root = el('div', { class: 'tab-row', 'data-row': r }, mark, name, value);
        return { root, mark, name, value, key: '' };
      });
      this.list.replaceChildren(...this.rows.map((r) => r.root));
    }
    this.rows.forEach((row, r) => row.root.classList.toggle('tab-others', this.folded && r === rows - 1));
    if (!this.stripRows || this.stripRows.length !== this.shown) {
      this.stripRows = Array.from({ length: this.shown }, () => {
        const mark = el('span', { class: 'truth-mark', 'aria-hidden': 'true' });
        const name = el('span');
        return { root: el('div', { class: 'tab-strip-name' }, mark, name), mark, name };
      });
      this.stripNames.replaceChildren(el('div', { class: 'tab-strip-corner' }), ...this.stripRows.map((r) => r.root));
    }
  }

  setAlphas(alphas) {
    const key = alphas.join(',');
    if (key === this.alphasKey) return;
    this.alphasKey = key;
    this.alphas = alphas;
    this.alphaRow.replaceChildren(...alphas.map((a) => el('div', { class: 'alpha', text: `α = ${formatValue(a)}` })));
    this.columns = alphas.map((alpha) => {
      const predClass = el('span', { class: 'pred-class' });
      const predProb = el('span', { class: 'pred-prob' });
      const scale = el('div', { class: 'map-scale' });
      const root = el('div', { class: 'tab-pred' }, el('div', { class: 'pred' }, predClass, predProb), scale);
      return { root, predClass, predProb, scale, alpha };
    });
    this.predRow.replaceChildren(...this.columns.map((c) => c.root));
  }

  layout(width, igWidth = width) {
    this.width = width;
    this.igWidth = igWidth;
    const k = Math.max(1, this.columns.length);
    const cellW = Math.max(28, Math.min(96, Math.floor((width - NAME_W - 12) / k)));
    this.cellW = cellW;
    for (const node of [...this.alphaRow.children, ...this.predRow.children]) node.style.width = `${cellW}px`;
    this.stripW = cellW * k;
    this.stripH = this.shown * STRIP_ROW_H;
    this.barW = Math.max(120, Math.min(520, igWidth - MARK_W - NAME_W - VALUE_W - 12));
    this.barsH = this.rows.length * ROW_H;
    this.barHead.style.width = `${this.barW}px`;
    this.layoutKey = '';
  }

  /** The features in the current order: the shown attribution's, else |value|'s. */
  rank(ig) {
    if (ig && ig.codes.length === this.values.length) {
      return rankFeatures(decodeMap(ig.codes, 0, ig.codes.length, ig.scale), TOP_FEATURES);
    }
    return rankFeatures(this.values, TOP_FEATURES);
  }

  renderSweep(frame) {
    const { sweep } = frame;
    this.message.hidden = Boolean(sweep);
    this.stripBox.classList.toggle('stale', !sweep);
    if (!this.values) return;
    if (!sweep) {
      setText(this.message, frame.missingText || 'No interior gradients at this epoch.');
      return;
    }
    const order = this.rank(frame.attribution || null).order;
    const count = this.values.length;
    const mask = frame.mask ? frame.mask.data : null;
    setText(
      this.stripNote,
      `Rows: the ${order.length} features of largest |integrated gradients| at this epoch${this.folded ? ` (of ${count})` : ''}, as in the IG chart. Cells: the gradient of each feature at each α.`,
    );
    order.forEach((f, r) => {
      const row = this.stripRows[r];
      setText(row.mark, mask && mask[f] ? `${TRUTH_MARK} ` : '');
      setText(row.name, this.names[f]);
      setAttr(row.root, 'title', this.names[f]);
    });
    const ctx = hidpiContext(this.strip, this.stripW, this.stripH);
    const background = parseColor(frame.colors.background);
    ctx.fillStyle = frame.colors.background;
    ctx.fillRect(0, 0, this.stripW, this.stripH);
    const head = frame.head || new Head({ classNames: frame.classNames });
    this.columns.forEach((c, k) => {
      if (k >= sweep.count) return;
      const table = shadeColors(frame.view, sweep.scales[k], frame.scales[k], frame.luts, background);
      const offset = k * count;
      order.forEach((f, r) => {
        const i = (sweep.codes[offset + f] + 128) * 4;
        ctx.fillStyle = `rgb(${table[i]}, ${table[i + 1]}, ${table[i + 2]})`;
        ctx.fillRect(k * this.cellW + 1, r * STRIP_ROW_H + 1, this.cellW - 2, STRIP_ROW_H - 2);
      });
      showPrediction(c, head, sweep, k, frame);
    });
  }

  renderAttribution(frame) {
    const { ig } = frame;
    this.attributionRoot.classList.toggle('stale', !ig && !frame.fixed);
    if (!this.values || (!ig && !frame.fixed)) return;
    const count = this.values.length;
    const fixed = !ig;
    const shown = fixed ? this.values : decodeMap(ig.codes, 0, count, ig.scale);
    const ranking = rankFeatures(shown, TOP_FEATURES);
    let scale = fixed ? Math.max(...Array.from(this.values, (v) => (Number.isFinite(v) ? Math.abs(v) : 0))) : frame.scale;
    if (!(scale > 0)) scale = 1;
    setText(
      this.caption,
      fixed
        ? `Input: the ${ranking.order.length} features of largest |value|${this.folded ? ` of ${count}` : ''}`
        : `${attributionLabel(frame)}: the ${ranking.order.length} features of largest |IG|${this.folded ? ` of ${count}, the rest summed` : ''}`,
    );
    setText(this.barHead, fixed ? '' : 'attribution');
    const mask = frame.mask ? frame.mask.data : null;
    const entries = ranking.order.map((f) => ({ f, v: shown[f], name: this.names[f], value: formatValue(this.values[f]), truth: Boolean(mask && mask[f]) }));
    if (this.folded) {
      const truths = mask ? ranking.others.filter((f) => mask[f]).length : 0;
      entries.push({ f: -1, v: ranking.othersSum, name: `${ranking.othersCount} others (sum)${truths ? `, ${truths} ${TRUTH_MARK}` : ''}`, value: '', truth: false });
    }
    entries.forEach((e, r) => {
      const row = this.rows[r];
      setText(row.mark, e.truth ? TRUTH_MARK : '');
      setText(row.name, e.name);
      setAttr(row.name, 'title', e.f >= 0 ? `${e.name} = ${e.value}` : 'the other features, their attributions summed');
      setText(row.value, e.value);
      setAttr(row.root, 'data-feature', e.f);
    });
    const ctx = hidpiContext(this.bars, this.barW, this.barsH);
    const colors = frame.colors;
    const background = parseColor(colors.background);
    ctx.fillStyle = colors.background;
    ctx.fillRect(0, 0, this.barW, this.barsH);
    const axisW = this.barW - NUMBER_W;
    const signed = frame.view !== 'abs' || fixed;
    // Zero line (signed) or left axis (magnitude).
    ctx.fillStyle = colors.grid;
    ctx.fillRect(signed ? Math.round(axisW / 2) : 0, 0, 1, this.barsH);
    ctx.font = '10px Roboto, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    entries.forEach((e, r) => {
      const y = r * ROW_H;
      const g = barGeometry(e.v, scale, axisW, signed);
      const rgb = fixed ? parseColor(colors.muted, [120, 120, 120]) : barColor(frame.view, e.v, scale, frame.luts, background);
      ctx.fillStyle = css(rgb, e.f < 0 ? 0.55 : 1);
      ctx.fillRect(g.x, y + 3, Math.max(g.w, Number.isFinite(e.v) && e.v !== 0 ? 1 : 0), ROW_H - 6);
      if (g.clipped) {
        // Beyond the scale: a notch at the end says the bar is cut.
        ctx.fillStyle = colors.background;
        const xe = e.v >= 0 || !signed ? g.x + g.w - 4 : g.x + 2;
        ctx.fillRect(xe, y + 3, 2, ROW_H - 6);
      }
      ctx.fillStyle = Number.isFinite(e.v) ? colors.muted : colors.wrong;
      ctx.fillText(formatValue(e.v), this.barW - 2, y + ROW_H / 2);
    });
    this.colors = colors;
  }

  /** The IG chart (names, values, bars) drawn on one canvas, for export. */
  attributionCanvas() {
    const colors = this.colors || { background: '#fff', text: '#212121', muted: '#616161' };
    const w = MARK_W + NAME_W + VALUE_W + this.barW;
    const out = document.createElement('canvas');
    out.width = w;
    out.height = this.barsH;
    const ctx = out.getContext('2d');
    ctx.fillStyle = colors.background;
    ctx.fillRect(0, 0, w, this.barsH);
    ctx.font = '11px Roboto, sans-serif';
    ctx.textBaseline = 'middle';
    this.rows.forEach((row, r) => {
      const y = r * ROW_H + ROW_H / 2;
      ctx.fillStyle = '#ffb300';
      ctx.fillText(row.mark.textContent, 0, y);
      ctx.fillStyle = colors.text;
      ctx.fillText(row.name.textContent, MARK_W, y, NAME_W - 6);
      ctx.fillStyle = colors.muted;
      ctx.fillText(row.value.textContent, MARK_W + NAME_W, y, VALUE_W - 4);
    });
    if (this.bars.width) ctx.drawImage(this.bars, MARK_W + NAME_W + VALUE_W, 0, this.barW, this.barsH);
    out.exportWidth = w;
    return out;
  }

  /** The heat strip with its names, alphas and predictions on one canvas, for export. */
  sweepCanvas() {
    const colors = this.colors || { background: '#fff', text: '#212121', muted: '#616161' };
    const top = 16;
    const w = NAME_W + this.stripW;
    const h = top + this.stripH + 30;
    const out = document.createElement('canvas');
    out.width = w;
    out.height = h;
    const ctx = out.getContext('2d');
    ctx.fillStyle = colors.background;
    ctx.fillRect(0, 0, w, h);
    ctx.font = '11px Roboto, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = colors.text;
    ctx.textAlign = 'right';
    this.stripRows.forEach((row, r) => {
      const y = top + r * STRIP_ROW_H + STRIP_ROW_H / 2;
      const width = ctx.measureText(row.name.textContent).width;
      ctx.fillStyle = colors.text;
      ctx.fillText(row.name.textContent, NAME_W - 8, y, NAME_W - 24);
      ctx.fillStyle = '#ffb300';
      ctx.fillText(row.mark.textContent, Math.max(10, NAME_W - 10 - Math.min(width, NAME_W - 24)), y);
    });
    ctx.textAlign = 'center';
    this.columns.forEach((c, k) => {
      const x = NAME_W + (k + 0.5) * this.cellW;
      ctx.fillStyle = colors.muted;
      ctx.fillText(`α = ${formatValue(c.alpha)}`, x, top / 2, this.cellW);
      ctx.fillStyle = c.root.classList.contains('wrong') ? colors.wrong || '#d32f2f' : colors.text;
      ctx.fillText(c.predClass.textContent, x, top + this.stripH + 8, this.cellW - 2);
      ctx.fillStyle = colors.muted;
      ctx.fillText(c.predProb.textContent, x, top + this.stripH + 22, this.cellW - 2);
    });
    if (this.strip.width) ctx.drawImage(this.strip, NAME_W, top, this.stripW, this.stripH);
    out.exportWidth = w;
    return out;
  }

  exportFrame({ view }) {
    return {
      columns: [],
      sweepFigures: { canvases: [this.sweepCanvas()], captions: ['Gradient by feature (rows) and α (columns)'] },
      attribution: { canvases: [this.attributionCanvas()], captions: [view === 'abs' ? '|IG| by feature' : 'IG by feature'] },
    };
  }

  thumbnail(input, size) {
    const canvas = el('canvas', { class: 'thumb-plot' });
    const ctx = hidpiContext(canvas, size, size);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, size, size);
    if (!input) return canvas;
    const values = input.data;
    let max = 0;
    for (const v of values) if (Number.isFinite(v) && Math.abs(v) > max) max = Math.abs(v);
    const n = values.length;
    const mid = size / 2;
    ctx.fillStyle = '#757575';
    for (let i = 0; i < n; i++) {
      const v = Number.isFinite(values[i]) && max > 0 ? values[i] / max : 0;
      const x = (i / n) * size;
      const h = Math.abs(v) * (mid - 3);
      ctx.fillRect(x, v >= 0 ? mid - h : mid, Math.max(1, size / n - 0.3), Math.max(0.5, h));
    }
    return canvas;
  }
}
