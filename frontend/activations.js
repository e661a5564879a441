// Conv feature maps of the selected example at one layer, as a grid following the epoch.

import { displayAt, ensureSize, pixelCanvas, putRgba, scratch } from './canvas.js';
import { el, setAttr, setOptions, setText } from './dom.js';
import { formatValue } from './format.js';
import { codeColors, paintCodes } from './pixels.js';

export class ActivationsView {
  constructor({ onLayer }) {
    this.layerSelect = el('select', { 'aria-label': 'Layer', 'data-role': 'layer' });
    this.layerSelect.addEventListener('change', () => onLayer(this.layerSelect.value));
    this.info = el('span', { class: 'muted' });
    this.grid = el('div', { class: 'fmap-grid' });
    this.message = el('div', { class: 'placeholder', hidden: true });
    this.header = el('div', { class: 'card-tools' }, el('label', { class: 'inline' }, 'Layer ', this.layerSelect), this.info);
    this.cells = [];
    this.shapeKey = '';
  }

  setLayers(layers, current) {
    setOptions(this.layerSelect, layers.map((l) => [l.layer, l.layer]), current);
  }

  /** maps: one epoch's feature maps of the example, or null while loading / absent. */
  render(maps, { luts, message }) {
    this.message.hidden = Boolean(maps);
    if (!maps) {
      setText(this.message, message || 'Loading feature maps…');
      this.grid.classList.add('stale');
      return;
    }
    this.grid.classList.remove('stale');
    const key = `${maps.count}|${maps.height}x${maps.width}`;
    if (key !== this.shapeKey) this.build(maps);
    const size = maps.height * maps.width;
    setText(this.info, `${maps.count} of ${maps.totalChannels} channels · ${maps.height}×${maps.width} · each channel scaled to its own max`);
    for (let c = 0; c < maps.count; c++) {
      const cell = this.cells[c];
      let signed = false;
      for (let i = c * size; i < (c + 1) * size; i++) {
        if (maps.codes[i] < 0) {
          signed = true;
          break;
        }
      }
      const table = codeColors(signed ? 'signed' : 'abs', maps.scales[c], maps.scales[c], luts);
      putRgba(cell.canvas, paintCodes(maps.codes, c * size, size, table, scratch(cell.canvas)));
      const channel = maps.channels ? maps.channels[c] : c;
      setAttr(cell.canvas, 'title', `channel ${channel}: max |a| = ${formatValue(maps.scales[c])}`);
    }
  }

  build(maps) {
    this.shapeKey = `${maps.count}|${maps.height}x${maps.width}`;
    const cellSize = Math.max(40, Math.min(72, maps.width * Math.max(1, Math.floor(64 / maps.width))));
    this.cells = [];
    for (let c = 0; c < maps.count; c++) {
      const canvas = pixelCanvas(maps.width, maps.height, { class: 'px', 'data-role': 'fmap' });
      ensureSize(canvas, maps.width, maps.height);
      displayAt(canvas, cellSize);
      const channel = maps.channels ? maps.channels[c] : c;
      this.cells.push({ canvas });
      this.cells[c].root = el('figure', { class: 'fmap' }, canvas, el('figcaption', { text: `#${channel}` }));
    }
    this.grid.replaceChildren(...this.cells.map((c) => c.root));
  }
}
