// The image view's alpha sweep (view_image.js): one column per alpha with the scaled input,
// its interior gradient and the model's prediction at that alpha (boxed in red when wrong).

import { displayAt, ensureSize, pixelCanvas, putRgba, scratch } from './canvas.js';
import { el, setText } from './dom.js';
import { formatValue } from './format.js';
import { Head } from './heads.js';
import { showPrediction } from './sweep_cell.js';
import { paintMap, scaledInputRgba } from './pixels.js';

export class SweepView {
  constructor() {
    this.columns = [];
    this.grid = el('div', { class: 'sweep-grid' });
    this.message = el('div', { class: 'placeholder', hidden: true });
    this.root = el('div', { class: 'sweep' }, this.grid, this.message);
    this.alphasKey = '';
    this.cell = 0;
  }

  /** Builds one column per alpha (kept while the alphas stay the same). */
  setAlphas(alphas, height, width) {
    const key = `${alphas.join(',')}|${height}x${width}`;
    if (key === this.alphasKey) return;
    this.alphasKey = key;
    this.columns = alphas.map((alpha, k) => {
      const input = pixelCanvas(width, height, { class: 'px', 'data-role': 'sweep-input', 'data-alpha': k });
      const grad = pixelCanvas(width, height, { class: 'px', 'data-role': 'sweep-map', 'data-alpha': k });
      const predClass = el('span', { class: 'pred-class' });
      const predProb = el('span', { class: 'pred-prob' });
      const scale = el('div', { class: 'map-scale' });
      const root = el(
        'figure',
        { class: 'sweep-col' },
        el('figcaption', { class: 'alpha', text: `α = ${formatValue(alpha)}` }),
        input,
        grad,
        el('div', { class: 'pred' }, predClass, predProb),
        scale,
      );
      return { root, input, grad, predClass, predProb, scale, alpha };
    });
    this.grid.style.gridTemplateColumns = `repeat(${alphas.length}, max-content)`;
    this.grid.replaceChildren(...this.columns.map((c) => c.root));
    this.cell = 0; // new canvases: size them even if the width did not change
    this.layout(this.available || 800);
  }

  /** Sizes the columns to fit `width` CSS pixels. */
  layout(width) {
    this.available = width;
    if (!this.columns.length) return;
    const k = this.columns.length;
    const gap = 6; // grid gap
    const frame = 4; // column padding (2 + 2), inside which the red "wrong" outline sits
    const inset = 6; // grid padding (3 + 3), room for the outline of the outer columns
    let cell = Math.floor((width - inset - gap * (k - 1)) / k) - frame;
    // Enlarged maps stay crisp (pixelated) even at non-integer zoom; cap the size so that a
    // large input does not push the other cards off screen.
    cell = Math.max(40, Math.min(cell, 160));
    if (cell === this.cell) return;
    this.cell = cell;
    for (const c of this.columns) {
      displayAt(c.input, cell);
      displayAt(c.grad, cell);
      c.root.style.width = `${cell + frame}px`;
    }
  }

  /** Draws the scaled inputs baseline + alpha * (x - baseline) of the selected example. */
  setInput(image, baseline) {
    for (const c of this.columns) {
      const [h, w] = image.shape;
      ensureSize(c.input, w, h);
      putRgba(c.input, scaledInputRgba(image, c.alpha, baseline, scratch(c.input)));
    }
  }

  /**
   * Draws the gradients of one epoch.
   * frame: {sweep, view, luts, scales, perMap, truth, classNames, missingText}; gray: the
   * input's luminance (pixels.grayscale), under the overlays.
   */
  render(frame, gray) {
    const { sweep } = frame;
    this.message.hidden = Boolean(sweep);
    this.grid.classList.toggle('stale', !sweep);
    if (!sweep) {
      setText(this.message, frame.missingText || 'No interior gradients at this epoch.');
      return;
    }
    const size = sweep.height * sweep.width;
    this.columns.forEach((c, k) => {
      if (k >= sweep.count) return;
      ensureSize(c.grad, sweep.width, sweep.height);
      const out = scratch(c.grad);
      paintMap(frame.view, sweep.codes, k * size, size, sweep.scales[k], frame.scales[k], frame.luts, gray, out);
      putRgba(c.grad, out);
      const head = frame.head || new Head({ classNames: frame.classNames });
      showPrediction(c, head, sweep, k, frame);
    });
  }
}
