// The sidebar's settings: run, gradient view, normalisation, clipping, palette, export.

import { PALETTES } from './colormap.js';
import { el, select, setOptions } from './dom.js';
import { icon } from './icons.js';
import { SCALE_MODES } from './normalize.js';
import { CLIPS, VIEWS } from './settings.js';

export class Controls {
  constructor({ onRun, onSetting, onExport }) {
    this.run = select([], null, (v) => onRun(v), { 'aria-label': 'Run', 'data-role': 'run' });
    this.views = Object.entries(VIEWS).map(([value, label]) =>
      el('button', {
        type: 'button',
        class: 'seg',
        text: label,
        'data-view': value,
        'aria-pressed': 'false',
        title: {
          overlay: 'Signed overlay: blue positive, red negative, over a grayscale copy of the input',
          signed: 'The signed map alone',
          abs: 'Absolute magnitude',
        }[value],
        on: { click: () => onSetting('view', value) },
      }),
    );
    this.scale = select(Object.entries(SCALE_MODES), 'alphas', (v) => onSetting('scale', v), {
      'aria-label': 'Normalisation',
      'data-role': 'scale',
    });
    this.clip = select(
      CLIPS.map((c) => [String(c), c === 100 ? 'None (max)' : `${c}th percentile`]),
      '99',
      (v) => onSetting('clip', Number(v)),
      { 'aria-label': 'Clip at', 'data-role': 'clip' },
    );
    this.palette = select(
      Object.entries(PALETTES).map(([k, p]) => [k, p.label]),
      'rdbu',
      (v) => onSetting('palette', v),
      { 'aria-label': 'Palette', 'data-role': 'palette' },
    );
    const exportButton = (kind, label, title) =>
      el('button', { type: 'button', class: 'text-button', 'data-export': kind, title, on: { click: () => onExport(kind) } }, icon('download'), label);
    this.exportButtons = {
      png: exportButton('png', 'PNG', 'The current view as a PNG image'),
      gif: exportButton('gif', 'GIF', 'Every epoch of the current view as an animated GIF'),
      webm: exportButton('webm', 'WebM', 'Every epoch of the current view as a WebM video'),
    };
    this.exportStatus = el('div', { class: 'export-status muted', 'aria-live': 'polite' });
    const field = (label, control) => el('label', { class: 'field' }, el('span', { class: 'field-label', text: label }), control);
    this.root = el(
      'div',
      { class: 'controls' },
      el('section', {}, el('h3', { text: 'Run' }), this.run),
      el(
        'section',
        {},
        el('h3', { text: 'Gradient view' }),
        el('div', { class: 'segmented', role: 'group', 'aria-label': 'Gradient view' }, ...this.views),
        field('Normalisation', this.scale),
        field('Clip at', this.clip),
        field('Palette', this.palette),
      ),
      el(
        'section',
        {},
        el('h3', { text: 'Export' }),
        el('div', { class: 'export-row' }, ...Object.values(this.exportButtons)),
        this.exportStatus,
      ),
    );
  }

  setRuns(runs, current) {
    setOptions(this.run, runs.map((r) => [r.run, r.run]), current);
  }

  update(state) {
    for (const b of this.views) b.setAttribute('aria-pressed', String(b.dataset.view === state.view));
    this.scale.value = state.scale;
    this.clip.value = String(state.clip);
    this.palette.value = state.palette;
  }

  setExportSupport(kind, supported) {
    this.exportButtons[kind].hidden = !supported;
  }

  setBusy(busy, text = '') {
    for (const b of Object.values(this.exportButtons)) b.disabled = busy;
    this.exportStatus.textContent = text;
  }
}
