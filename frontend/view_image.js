// The image view (views.js): a probe input is a uint8 display image [H, W, 1 or 3] and its
// maps are [H, W]. Draws the alpha sweep (view_image_sweep.js), the integrated-gradients
// figures (input, IG map, signed overlay with the object outline) and gallery thumbnails.

import { baselinePixels } from './baseline.js';
import { displayAt, ensureSize, pixelCanvas, putRgba, scratch } from './canvas.js';
import { el, setText } from './dom.js';
import { attributionLabel, formatValue } from './format.js';
import { grayscale, imageRgba, outlineMask, paintMap } from './pixels.js';
import { SweepView } from './view_image_sweep.js';

const OUTLINE = [255, 214, 0];

export class ImageView {
  constructor() {
    this.sweep = new SweepView();
    this.sweepRoot = this.sweep.root;
    this.input = pixelCanvas(1, 1, { class: 'px', 'data-role': 'ig-input' });
    this.map = pixelCanvas(1, 1, { class: 'px', 'data-role': 'ig-map' });
    this.overlay = pixelCanvas(1, 1, { class: 'px', 'data-role': 'ig-overlay' });
    this.mapCaption = el('figcaption');
    this.mapFigures = [el('figure', {}, this.mapCaption, this.map), el('figure', {}, el('figcaption', { text: 'Overlay' }), this.overlay)];
    this.attributionRoot = el(
      'div',
      { class: 'ig-figures' },
      el('figure', {}, el('figcaption', { text: 'Input' }), this.input),
      ...this.mapFigures,
    );
    this.gray = null; // luminance of the input, under the overlays
  }

  /** Per example: the scaled inputs of the sweep and the IG input, from the display image. */
  prepare(input, baseline, alphas, probe) {
    this.gray = grayscale(input);
    const [h, w] = input.shape;
    const base = baselinePixels(baseline, input, { displayRange: probe.displayRange, probeMax: probe.probeMax });
    this.sweep.setAlphas(alphas, h, w);
    this.sweep.setInput(input, base.data);
    for (const c of [this.input, this.map, this.overlay]) ensureSize(c, w, h);
    putRgba(this.input, imageRgba(input, scratch(this.input)));
    this.layoutAttribution();
    const caveat = base.exact ? '' : `The "${base.label}" baseline is not stored in the log: scaled inputs are drawn towards gray, approximately.`;
    return { baselineLabel: base.label, caveat };
  }

  layout(width) {
    this.sweep.layout(width);
  }

  layoutAttribution() {
    const natural = this.input.width;
    let cell = natural >= 128 ? 128 : Math.max(natural, Math.floor(112 / natural) * natural);
    if (natural > 128) cell = 128;
    for (const c of [this.input, this.map, this.overlay]) displayAt(c, cell);
  }

  renderSweep(frame) {
    this.sweep.render(frame, this.gray);
  }

  renderAttribution(frame) {
    const { ig } = frame;
    // An input held fixed along the path (several inputs): the input alone.
    for (const f of this.mapFigures) f.hidden = Boolean(frame.fixed);
    this.attributionRoot.classList.toggle('stale', !ig && !frame.fixed);
    setText(this.mapCaption, attributionLabel(frame));
    if (!ig) return;
    const size = ig.height * ig.width;
    ensureSize(this.map, ig.width, ig.height);
    ensureSize(this.overlay, ig.width, ig.height);
    const mapView = frame.view === 'abs' ? 'abs' : 'signed';
    const m = paintMap(mapView, ig.codes, 0, size, ig.scale, frame.scale, frame.luts, this.gray, scratch(this.map));
    const o = paintMap('overlay', ig.codes, 0, size, ig.scale, frame.scale, frame.luts, this.gray, scratch(this.overlay));
    if (frame.mask && frame.mask.data.length === size) {
      outlineMask(m, frame.mask.data, ig.width, ig.height, OUTLINE);
      outlineMask(o, frame.mask.data, ig.width, ig.height, OUTLINE);
    }
    putRgba(this.map, m);
    putRgba(this.overlay, o);
  }

  exportFrame({ view }) {
    return {
      columns: this.sweep.columns.map((c) => ({
        alpha: formatValue(c.alpha),
        input: c.input,
        grad: c.grad,
        pred: `${c.predClass.textContent} ${c.predProb.textContent}`,
        wrong: c.root.classList.contains('wrong'),
      })),
      attribution: {
        canvases: [this.input, this.map, this.overlay],
        captions: ['Input', view === 'abs' ? '|IG|' : 'IG', 'IG overlay'],
      },
    };
  }

  thumbnail(input, size) {
    const canvas = pixelCanvas(input ? input.shape[1] : 1, input ? input.shape[0] : 1, { class: 'px' });
    if (input) putRgba(canvas, imageRgba(input));
    displayAt(canvas, size);
    return canvas;
  }
}
