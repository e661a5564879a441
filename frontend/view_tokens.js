// The token view (views.js): a probe input is T token ids `ids` [T] with their strings
// (`tokens`, or null: the ids are shown) and its maps are [T], one value per token (the IG
// summed over the embedding). Padding tokens are not drawn.
//
// - Integrated gradients: the text, wrapped, each token's background blue or red by its
//   signed attribution; ground-truth tokens (the mask [T]) underlined.
// - Alpha sweep: one line per alpha as a heat strip (a cell per token, in text order) with
//   the prediction beside it, and below it the text coloured by the gradient at the chosen
//   alpha (click a line of the strip to choose; the largest alpha at first).

import { hidpiContext } from './canvas.js';
import { el, setText } from './dom.js';
import { attributionLabel, formatValue } from './format.js';
import { Head } from './heads.js';
import { showPrediction } from './sweep_cell.js';
import { parseColor } from './pixels.js';
import { codeStyles, tokenCodes, visibleTokens } from './view_tokens_data.js';

const ROW_H = 16;
const ALPHA_W = 58;
const PRED_W = 118;
const TRUTH = '#ffb300';

/** Wrapped text of token spans whose backgrounds follow a map. */
class TokenText {
  constructor(role) {
    this.root = el('div', { class: 'tok-text', 'data-role': role });
    this.spans = [];
    this.codes = null;
    this.maskKey = '';
  }

  setTokens(text, keep) {
    this.spans = text.map((t, i) => el('span', { class: 'tok', text: t, title: `token ${keep[i]}` }));
    // A space between the tokens: where lines may wrap.
    this.root.replaceChildren(...this.spans.flatMap((span, i) => (i ? [' ', span] : [span])));
    this.codes = new Uint8Array(text.length);
    this.painted = new Int16Array(text.length).fill(-1);
    this.styleKey = '';
    this.maskKey = '';
  }

  /** Colours every token by codes (tokenCodes) through styles (codeStyles); null: plain. */
  paint(codes, styles, styleKey) {
    const fresh = styleKey !== this.styleKey;
    this.styleKey = styleKey;
    for (let i = 0; i < this.spans.length; i++) {
      const q = codes ? codes[i] : -1;
      if (!fresh && this.painted[i] === q) continue;
      this.painted[i] = q;
      const s = this.spans[i].style;
      s.backgroundColor = q < 0 ? '' : styles.background[q];
      s.color = q < 0 ? '' : styles.ink[q];
    }
  }

  /** Underlines the ground-truth tokens (mask over the T positions; keep maps spans to them). */
  mark(mask, keep) {
    const key = mask ? `${mask.length}|${keep.length}` : '';
    if (key === this.maskKey && this.maskRef === mask) return;
    this.maskKey = key;
    this.maskRef = mask;
    this.spans.forEach((span, i) => span.classList.toggle('truth', Boolean(mask && mask[keep[i]])));
  }
}

export class TokensView {
  constructor() {
    this.wide = true;
    this.text = new TokenText('ig-map');
    this.caption = el('figcaption');
    this.attributionRoot = el('div', { class: 'tok-ig' }, el('figure', { class: 'tok-figure' }, this.caption, this.text.root));
    // Sweep: α labels | strip canvas | predictions, then the text at the chosen alpha.
    this.alphaCol = el('div', { class: 'tok-alphas' });
    this.strip = el('canvas', { class: 'tok-strip', 'data-role': 'sweep-map', title: 'Click a line to colour the text below by it' });
    this.predCol = el('div', { class: 'tok-preds' });
    this.stripBox = el('div', { class: 'tok-sweep' }, this.alphaCol, this.strip, this.predCol);
    this.alphaText = new TokenText('sweep-text');
    this.alphaCaption = el('div', { class: 'seq-key muted' });
    this.stripNote = el('div', { class: 'seq-key muted' });
    this.message = el('div', { class: 'placeholder', hidden: true });
    this.sweepRoot = el('div', { class: 'sweep' }, this.stripNote, this.stripBox, this.alphaCaption, this.alphaText.root, this.message);
    this.strip.addEventListener('click', (event) => {
      const rect = this.strip.getBoundingClientRect();
      const k = Math.floor((event.clientY - rect.top) / ROW_H);
      if (k >= 0 && k < this.columns.length && k !== this.chosen) {
        this.chosen = k;
        if (this.lastSweep) this.renderSweep(this.lastSweep);
      }
    });
    this.columns = [];
    this.alphasKey = '';
    this.chosen = 0;
    this.keep = [];
    this.width = 800;
    this.stripW = 400;
    this.shade = document.createElement('canvas');
  }

  prepare(input, baseline, alphas, probe) {
    const descriptor = input.descriptor || {};
    const { keep, text } = visibleTokens(input.data, input.tokens, descriptor.padding_id);
    this.keep = keep;
    this.tokens = text;
    this.ids = input.data;
    this.text.setTokens(text, keep);
    this.alphaText.setTokens(text, keep);
    this.codes = new Uint8Array(keep.length);
    this.setAlphas(alphas);
    this.layout(this.width);
    const padded = input.data.length - keep.length;
    setText(
      this.stripNote,
      `One line per α, a cell per token in text order (${keep.length} tokens${padded ? `, ${padded} padding not drawn` : ''}): the gradient · (e(x) − e(baseline)) of each token's embedding, the IG integrand at that α. Click a line to colour the text below by it.`,
    );
    return { baselineLabel: baseline, caveat: '' };
  }

  setAlphas(alphas) {
    const key = alphas.join(',');
    if (key === this.alphasKey) return;
    this.alphasKey = key;
    this.alphaCol.replaceChildren(...alphas.map((a) => el('div', { class: 'tok-alpha', text: `α = ${formatValue(a)}` })));
    this.columns = alphas.map((alpha, k) => {
      const predClass = el('span', { class: 'pred-class' });
      const predProb = el('span', { class: 'pred-prob' });
      const scale = el('span', { class: 'map-scale' });
      const root = el('div', { class: 'tok-pred', 'data-alpha': k }, predClass, predProb, scale);
      return { root, predClass, predProb, scale, alpha, label: this.alphaCol.children[k] };
    });
    this.predCol.replaceChildren(...this.columns.map((c) => c.root));
    // The largest alpha (the input itself) at first.
    this.chosen = alphas.reduce((best, a, i) => (a > alphas[best] ? i : best), 0);
  }

  layout(width) {
    this.width = width;
    this.stripW = Math.max(120, width - ALPHA_W - PRED_W - 16);
  }

  renderSweep(frame) {
    const { sweep } = frame;
    this.lastSweep = frame;
    this.message.hidden = Boolean(sweep);
    this.stripBox.classList.toggle('stale', !sweep);
    this.alphaText.root.classList.toggle('stale', !sweep);
    if (!sweep || !this.keep) {
      setText(this.message, frame.missingText || 'No interior gradients at this epoch.');
      return;
    }
    const n = this.keep.length;
    const k = this.columns.length;
    const height = k * ROW_H;
    const ctx = hidpiContext(this.strip, this.stripW, height);
    const background = parseColor(frame.colors.background);
    if (this.shade.width !== Math.max(1, n) || this.shade.height !== k) {
      this.shade.width = Math.max(1, n);
      this.shade.height = k;
      this.shadeImage = null;
    }
    const sc = this.shade.getContext('2d');
    if (!this.shadeImage) this.shadeImage = sc.createImageData(this.shade.width, k);
    const px = new Uint32Array(this.shadeImage.data.buffer);
    const size = sweep.height * sweep.width;
    const head = frame.head || new Head({ classNames: frame.classNames });
    let chosenStyles = null;
    this.columns.forEach((c, a) => {
      if (a >= sweep.count) return;
      const styles = codeStyles(frame.view, sweep.scales[a], frame.scales[a], frame.luts, background);
      const colors = new Uint32Array(styles.table.buffer);
      tokenCodes(sweep.codes, a * size, this.keep, this.codes);
      for (let i = 0; i < n; i++) px[a * this.shade.width + i] = colors[this.codes[i]];
      if (a === this.chosen) chosenStyles = styles;
      showPrediction(c, head, sweep, a, frame);
      c.label.classList.toggle('chosen', a === this.chosen);
    });
    sc.putImageData(this.shadeImage, 0, 0);
    ctx.fillStyle = frame.colors.background;
    ctx.fillRect(0, 0, this.stripW, height);
    ctx.imageSmoothingEnabled = n > this.stripW;
    for (let a = 0; a < Math.min(k, sweep.count); a++) ctx.drawImage(this.shade, 0, a, n, 1, 0, a * ROW_H + 1, this.stripW, ROW_H - 2);
    const mask = frame.mask ? frame.mask.data : null;
    if (mask) {
      // Ground-truth tokens: a tick under their cells on every line.
      ctx.fillStyle = TRUTH;
      for (let i = 0; i < n; i++) {
        if (!mask[this.keep[i]]) continue;
        const x0 = (i / n) * this.stripW;
        const w = Math.max(1.5, this.stripW / n);
        for (let a = 0; a < k; a++) ctx.fillRect(x0, a * ROW_H + ROW_H - 3, w, 2);
      }
    }
    ctx.strokeStyle = frame.colors.text;
    ctx.lineWidth = 1;
    ctx.strokeRect(0.5, this.chosen * ROW_H + 0.5, this.stripW - 1, ROW_H - 1);
    // The text at the chosen alpha.
    if (chosenStyles && this.chosen < sweep.count) {
      const codes = tokenCodes(sweep.codes, this.chosen * size, this.keep, new Uint8Array(n));
      this.alphaText.paint(codes, chosenStyles, `${frame.view}|${sweep.scales[this.chosen]}|${frame.scales[this.chosen]}|${frame.colors.background}|${frame.luts.diverging[0]}`);
    }
    this.alphaText.mark(mask, this.keep);
    setText(this.alphaCaption, `The text at α = ${formatValue(this.columns[this.chosen] ? this.columns[this.chosen].alpha : 1)}: each token by its gradient.`);
    this.colors = frame.colors;
  }

  renderAttribution(frame) {
    const { ig } = frame;
    this.attributionRoot.classList.toggle('stale', !ig && !frame.fixed);
    setText(this.caption, frame.fixed ? 'Input' : `${attributionLabel(frame)} per token`);
    const mask = frame.mask ? frame.mask.data : null;
    this.text.mark(mask, this.keep);
    if (!ig) {
      if (frame.fixed) this.text.paint(null, null, 'plain');
      return;
    }
    const background = parseColor(frame.colors.background);
    const styles = codeStyles(frame.view, ig.scale, frame.scale, frame.luts, background);
    const codes = tokenCodes(ig.codes, 0, this.keep, this.codes);
    this.text.paint(codes, styles, `${frame.view}|${ig.scale}|${frame.scale}|${frame.colors.background}|${frame.luts.diverging[0]}`);
    this.colors = frame.colors;
  }

  /** Token spans wrapped onto one canvas `width` CSS pixels wide, for export. */
  textCanvas(text, width) {
    const colors = this.colors || { background: '#fff', text: '#212121' };
    const font = '12px Roboto, sans-serif';
    const lineH = 18;
    const measure = document.createElement('canvas').getContext('2d');
    measure.font = font;
    const boxes = [];
    let x = 0;
    let y = 0;
    text.spans.forEach((span) => {
      const w = measure.measureText(span.textContent).width + 4;
      if (x > 0 && x + w > width) {
        x = 0;
        y += lineH;
      }
      boxes.push({ x, y, w, span });
      x += w + 2;
    });
    const out = document.createElement('canvas');
    out.width = width;
    out.height = y + lineH + 2;
    const ctx = out.getContext('2d');
    ctx.fillStyle = colors.background;
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.font = font;
    ctx.textBaseline = 'middle';
    for (const { x: bx, y: by, w, span } of boxes) {
      ctx.fillStyle = span.style.backgroundColor || colors.background;
      ctx.fillRect(bx, by + 1, w, lineH - 2);
      ctx.fillStyle = span.style.color || colors.text;
      ctx.fillText(span.textContent, bx + 2, by + lineH / 2);
      if (span.classList.contains('truth')) {
        ctx.fillStyle = TRUTH;
        ctx.fillRect(bx, by + lineH - 3, w, 2);
      }
    }
    out.exportWidth = width;
    return out;
  }

  /** The strip with its α labels and predictions on one canvas, for export. */
  stripCanvas() {
    const colors = this.colors || { background: '#fff', text: '#212121', muted: '#616161' };
    const k = this.columns.length;
    const w = ALPHA_W + this.stripW + PRED_W;
    const out = document.createElement('canvas');
    out.width = w;
    out.height = k * ROW_H;
    const ctx = out.getContext('2d');
    ctx.fillStyle = colors.background;
    ctx.fillRect(0, 0, w, out.height);
    ctx.font = '11px Roboto, sans-serif';
    ctx.textBaseline = 'middle';
    this.columns.forEach((c, a) => {
      const y = a * ROW_H + ROW_H / 2;
      ctx.fillStyle = colors.muted;
      ctx.fillText(`α = ${formatValue(c.alpha)}`, 0, y, ALPHA_W - 4);
      ctx.fillStyle = c.root.classList.contains('wrong') ? colors.wrong || '#d32f2f' : colors.text;
      ctx.fillText(`${c.predClass.textContent} ${c.predProb.textContent}`.trim(), ALPHA_W + this.stripW + 6, y, PRED_W - 6);
    });
    if (this.strip.width) ctx.drawImage(this.strip, ALPHA_W, 0, this.stripW, k * ROW_H);
    out.exportWidth = w;
    return out;
  }

  exportFrame({ view }) {
    const width = Math.min(720, Math.max(360, this.stripW));
    return {
      columns: [],
      sweepFigures: { canvases: [this.stripCanvas()], captions: ['Gradient per token (a line per α)'] },
      attribution: { canvases: [this.textCanvas(this.text, width)], captions: [view === 'abs' ? '|IG| per token' : 'IG per token'] },
    };
  }

  thumbnail(input, size) {
    const box = el('div', { class: 'thumb-text' });
    box.style.width = `${size}px`;
    box.style.height = `${size}px`;
    if (input) {
      const descriptor = input.descriptor || {};
      const { text } = visibleTokens(input.data.subarray(0, 24), input.tokens ? input.tokens.slice(0, 24) : null, descriptor.padding_id);
      box.textContent = text.join(' ');
    }
    return box;
  }
}
