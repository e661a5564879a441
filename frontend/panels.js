// The model's inputs on screen: one view (views.js) per input, stacked.
//
// A run of one input (every format-1 log) shows its view's roots directly in the cards, as
// before. A run of several inputs shows one titled block per input in the sweep card and in
// the IG card, each with its own colour legend (the maps of different inputs have their own
// units); an input held fixed along the path (`attributed: false`) shows the input only,
// with a note. The completeness delta, shared by all inputs, stays in the IG card's table.

import { el } from './dom.js';
import { Legend } from './legend.js';
import { isKnownModality, viewFor } from './views.js';

export const FIXED_NOTE = 'Held fixed along the path: not attributed.';

export class InputPanels {
  constructor() {
    this.sweepRoot = el('div', { class: 'inputs-sweep' });
    this.attributionRoot = el('div', { class: 'inputs-ig' });
    this.entries = [];
    this.key = '';
    this.setInputs([{ name: 'input', modality: 'image', attributed: true }]);
  }

  /** More than one model input: blocks with titles and legends of their own. */
  get multi() {
    return this.entries.length > 1;
  }

  /** Some input draws better across the whole width (any but images). */
  get wide() {
    return this.entries.some((e) => e.view && e.view.wide);
  }

  /** The modalities shown, for the card's wording ("Object outline" for images only). */
  get modalities() {
    return this.entries.map((e) => e.modality);
  }

  /** Builds one view per input descriptor (kept while the inputs stay the same). */
  setInputs(descriptors) {
    const key = JSON.stringify(descriptors.map((d) => [d.name, d.modality, d.attributed !== false]));
    if (key === this.key) return;
    this.key = key;
    this.entries = descriptors.map((d, j) => this.entry(d, j, descriptors.length > 1));
    if (this.multi) {
      this.sweepRoot.replaceChildren(...this.entries.map((e) => e.sweepBlock));
      this.attributionRoot.replaceChildren(...this.entries.map((e) => e.igBlock));
    } else {
      const [e] = this.entries;
      this.sweepRoot.replaceChildren(e.sweepBody);
      this.attributionRoot.replaceChildren(e.igBody);
    }
    this.attributionRoot.classList.toggle('multi', this.multi);
    this.attributionRoot.classList.toggle('wide', this.wide);
  }

  entry(descriptor, j, multi) {
    const modality = typeof descriptor.modality === 'string' ? descriptor.modality : 'image';
    const known = isKnownModality(modality);
    const attributed = descriptor.attributed !== false;
    const view = known ? new (viewFor(modality))() : null;
    const note = (text) => el('div', { class: 'placeholder input-note', text });
    const unknown = `This version cannot draw inputs of modality “${modality}”.`;
    const sweepBody = !view ? note(unknown) : attributed ? view.sweepRoot : note(FIXED_NOTE);
    const igBody = !view ? note(unknown) : view.attributionRoot;
    const entry = { j, descriptor, modality, attributed, view, sweepBody, igBody, prepared: false };
    if (!multi) return entry;
    const title = () =>
      el('h4', { class: 'input-title' }, el('span', { class: 'input-name', text: String(descriptor.name ?? `input ${j}`) }), el('span', { class: 'muted', text: ` · ${modality}` }));
    entry.sweepLegend = new Legend('Gradient scale');
    entry.igLegend = new Legend('Attribution scale');
    const fixedNote = attributed ? null : note(FIXED_NOTE);
    entry.sweepBlock = el(
      'section',
      { class: 'input-block', 'data-input': j },
      el('header', { class: 'input-head' }, title(), attributed && view ? entry.sweepLegend.root : null),
      sweepBody,
    );
    entry.igBlock = el(
      'section',
      { class: 'input-block', 'data-input': j },
      el('header', { class: 'input-head' }, title(), attributed && view ? entry.igLegend.root : null),
      igBody,
      fixedNote,
    );
    return entry;
  }

  /**
   * Per example: each view's prepare (views.js). inputs: the example's parsed inputs, one per
   * model input (model.probeInput). Returns the first input's baseline label and caveat.
   */
  prepare(inputs, baseline, alphas, probe) {
    let result = null;
    this.entries.forEach((e, j) => {
      const input = inputs ? inputs[j] : null;
      e.prepared = Boolean(e.view && input);
      if (!e.prepared) return;
      const r = e.view.prepare(input, baseline, alphas, probe);
      if (!result || (!result.caveat && r.caveat && e.attributed)) result = r;
    });
    return result || { baselineLabel: baseline, caveat: '' };
  }

  /** width: the sweep card's content width; igWidth: the IG figures' (CSS pixels). */
  layout(width, igWidth = width) {
    const inset = this.multi ? 18 : 0; // an input block's padding and border
    for (const e of this.entries) if (e.view) e.view.layout(Math.max(200, width - inset), Math.max(200, (igWidth || width) - inset));
  }

  /**
   * frame: the shared sweep frame (views.js) whose `sweep` is the whole record; scales[j]: the
   * display scales of input j's maps. Each view gets its own input's record and scales.
   */
  renderSweep(frame, scales) {
    for (const e of this.entries) {
      if (!e.prepared || !e.attributed) continue;
      const sweep = frame.sweep ? frame.sweep.inputs[e.j] || null : null;
      const s = scales[e.j] || [];
      const attribution = frame.attribution ? frame.attribution.inputs[e.j] || null : null;
      e.view.renderSweep({ ...frame, sweep, scales: s, attribution, mask: frame.masks ? frame.masks[e.j] : null });
      if (e.sweepLegend) {
        e.sweepLegend.update({ ...frame.legend, scale: frame.perMap || !s.length ? null : s[0], nan: Boolean(sweep && sweep.summaries.some((m) => m.nonfinite)) });
      }
    }
  }

  /** frame: the shared IG frame with `ig` the whole record; scales[j]: input j's display scale. */
  renderAttribution(frame, scales) {
    for (const e of this.entries) {
      if (!e.prepared) continue;
      if (!e.attributed) {
        e.view.renderAttribution({ ...frame, ig: null, fixed: true, scale: 0, mask: frame.masks ? frame.masks[e.j] : null });
        continue;
      }
      const ig = frame.ig ? frame.ig.inputs[e.j] || null : null;
      e.view.renderAttribution({ ...frame, ig, scale: scales[e.j] || 0, mask: frame.masks ? frame.masks[e.j] : null });
      if (e.igLegend) e.igLegend.update({ ...frame.legend, scale: ig ? scales[e.j] || 0 : null, nan: Boolean(ig && ig.summary.nonfinite) });
    }
  }

  /** What exporter.composeView draws, per input: {heading, columns, attribution, note}. */
  exportFrame({ view }) {
    return this.entries
      .filter((e) => e.prepared)
      .map((e) => {
        const parts = e.view.exportFrame({ view });
        return {
          heading: this.multi ? `${e.descriptor.name ?? `input ${e.j}`} · ${e.modality}` : null,
          columns: e.attributed ? parts.columns || [] : [],
          sweepFigures: e.attributed ? parts.sweepFigures || null : null,
          attribution: parts.attribution,
          cell: parts.cell || null,
          note: e.attributed ? null : FIXED_NOTE,
        };
      });
  }

  /** The gallery's picture of one example: its first input, as that input's view draws it. */
  thumbnail(input, size) {
    const [e] = this.entries;
    if (!e || !e.view) return el('div', { class: 'thumb-text' });
    return e.view.thumbnail(input, size);
  }

  /** A short text naming the inputs, e.g. for the card's note. */
  describe() {
    return this.entries.map((e) => `${e.descriptor.name} (${e.modality})`).join(', ');
  }
}
