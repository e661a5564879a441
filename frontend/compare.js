// The comparison card: two columns side by side, each one (run, method) of the selected
// example: two methods of one run (IG beside SmoothGrad or Guided IG), or one method of two
// runs that share the probe (two architectures, two seeds). Both follow the dashboard's one
// epoch slider and share one display scale and legend, so their colours compare directly;
// only a gradient (SmoothGrad) beside an attribution (IG, ...) gets a scale per column, since
// their units differ (compare_data.unitOf).
//
// Each column is an InputPanels (panels.js) of its own: the views draw a method's map exactly
// as they draw IG's. Its data are one request per (run, method, example) for every epoch
// (the `attribution` route: no sweep), kept for the last few examples.

import { fetchAttribution } from './api.js';
import { columnChoices, columnNote, columnScales, defaultColumns, methodLabel, unitOf } from './compare_data.js';
import { el, setOptions, setText } from './dom.js';
import { cached } from './examples.js';
import { Legend } from './legend.js';
import { InputPanels } from './panels.js';

const CACHED_SERIES = 6; // (run, method, example) series kept: both columns of three examples

export class CompareView {
  /** onUpdate(): data arrived (render again); onError(error): a request failed. */
  constructor({ onUpdate, onError }) {
    this.onUpdate = onUpdate;
    this.onError = onError;
    this.legend = new Legend('Attribution scale, both columns');
    this.note = el('p', { class: 'card-sub' });
    this.columns = []; // built only while there is something to compare (open)
    this.body = el('div', { class: 'compare-columns' });
    this.series = new Map();
    this.choices = [];
    this.chosen = [];
    this.inputCount = 1;
    this.descriptors = [];
    this.example = null;
    this.index = null;
    this.version = 0; // bumped when data or choices change: the scales' memo is then stale
    this.memo = { key: '', scales: null };
  }

  column(i) {
    const panels = new InputPanels();
    const picker = el('select', { 'data-role': `compare-${i}`, 'aria-label': `Column ${i + 1}: run and method` });
    picker.addEventListener('change', () => this.choose(i, picker.value));
    const note = el('div', { class: 'compare-note', 'data-role': `compare-note-${i}` });
    const legend = new Legend('Scale of this column');
    legend.root.hidden = true;
    const head = el('header', { class: 'compare-head' }, picker, legend.root);
    const root = el('section', { class: 'compare-column', 'data-column': String(i) }, head, panels.attributionRoot, note);
    return { panels, picker, note, legend, root };
  }

  /** Something to compare: at least two (run, method) choices for the open run. */
  get available() {
    return this.chosen.length === 2;
  }

  /**
   * A run was opened: its choices (its methods, and runs of the same probe), reset. The
   * columns' views exist only while there is something to compare, so a run of IG alone has
   * no second copy of its figures in the page.
   */
  open(runs, run, descriptors) {
    this.choices = columnChoices(runs, run);
    this.chosen = defaultColumns(this.choices);
    this.descriptors = descriptors;
    this.inputCount = descriptors.length;
    this.example = null;
    this.index = null;
    this.columns = []; // the inputs may differ from the last run's: new views
    this.build();
  }

  /** The two columns when there is something to compare (none otherwise), caches reset. */
  build() {
    if (this.available !== this.columns.length > 0) {
      this.columns = this.available ? [0, 1].map((i) => this.column(i)) : [];
      for (const c of this.columns) c.panels.setInputs(this.descriptors);
      if (this.example) for (const c of this.columns) c.panels.prepare(...this.example);
      this.body.replaceChildren(...this.columns.map((c) => c.root));
    }
    this.series.clear();
    this.version++;
    this.updatePickers();
  }

  /**
   * TensorBoard reloaded: new runs may share the probe, and series have new epochs. Returns
   * whether there is something to compare now.
   */
  refresh(runs, run) {
    const keys = this.chosen.map((c) => c.key);
    this.choices = columnChoices(runs, run);
    this.chosen = defaultColumns(this.choices, keys);
    this.build();
    this.load();
    return this.available;
  }

  updatePickers() {
    const options = this.choices.map((c) => [c.key, c.label]);
    this.columns.forEach((c, i) => {
      if (this.chosen[i]) setOptions(c.picker, options, this.chosen[i].key);
    });
    const runs = new Set(this.choices.map((c) => c.run.run)).size;
    const methods = new Set(this.choices.map((c) => methodLabel(c.method.name)));
    const what = runs > 1 ? `${runs} runs of this probe` : 'this run';
    setText(this.note, `Choose a method of ${what} in each column (${[...methods].join(', ')}). One scale spans both columns, except for a gradient (SmoothGrad) beside an attribution.`);
  }

  choose(i, key) {
    const choice = this.choices.find((c) => c.key === key);
    if (!choice) return;
    this.chosen[i] = choice;
    this.version++;
    this.load();
    this.onUpdate();
  }

  /** The selected example changed: each column's views prepare its input, then load. */
  setExample(index, inputs, baselineName, alphas, probe) {
    this.index = index;
    this.example = [inputs, baselineName, alphas, probe];
    for (const c of this.columns) c.panels.prepare(...this.example);
    this.load();
  }

  entry(choice) {
    return cached(this.series, `${choice.key}\u0000${this.index}`, () => ({ byEpoch: null, loading: null }), CACHED_SERIES);
  }

  /** Fetches every epoch of both chosen series of the selected example (once each). */
  load() {
    if (!this.available || this.index === null) return;
    for (const choice of this.chosen) {
      const entry = this.entry(choice);
      if (entry.byEpoch || entry.loading) continue;
      entry.loading = fetchAttribution(choice.run, choice.method.tag, this.index, null)
        .then((byEpoch) => {
          entry.byEpoch = byEpoch;
          this.version++;
          this.onUpdate();
        })
        .catch((e) => {
          entry.loading = null;
          this.onError(e);
        });
    }
  }

  /** Layout is read by the dashboard: `width` is the card's content width (CSS pixels). */
  layout(width) {
    const column = Math.max(200, Math.floor((width - 24) / 2));
    for (const c of this.columns) c.panels.layout(column, column);
  }

  /** columnScales, memoised: during playback under "Fixed across epochs" it spans every epoch. */
  scales(data, units, mode, frame) {
    const key = [this.version, this.index, mode, frame.clip, mode === 'epochs' ? '' : frame.epoch, ...units].join('|');
    if (this.memo.key !== key) this.memo = { key, scales: columnScales(data, units, mode, frame.clip, frame.epoch, this.inputCount) };
    return this.memo.scales;
  }

  /** frame: {epoch, view, luts, clip, mode, classNames, head, colors, masks, legend}. */
  render(frame) {
    if (!this.available || this.index === null) return;
    const data = this.chosen.map((choice) => this.series.get(`${choice.key}\u0000${this.index}`)?.byEpoch || null);
    const mode = frame.mode === 'epochs' ? 'epochs' : 'map';
    const units = this.chosen.map((choice) => unitOf(choice.method.name));
    const scales = this.scales(data, units, mode, frame);
    const shared = units[0] === units[1];
    const view = frame.view === 'abs' ? 'abs' : 'signed';
    const legend = { ...frame.legend, view, perMapText: 'no data at this epoch' };
    let nan = false;
    this.columns.forEach((c, i) => {
      const ig = data[i] ? data[i].get(frame.epoch) || null : null;
      const label = methodLabel(this.chosen[i].method.name);
      c.panels.renderAttribution({ ...frame, ig, legend, mapLabel: label }, scales[i]);
      setText(c.note, data[i] ? columnNote(ig, frame.epoch) : 'Loading…');
      const bad = Boolean(ig && ig.summary.nonfinite);
      nan = nan || bad;
      c.legend.root.hidden = shared || this.inputCount > 1;
      if (!shared) {
        setText(c.legend.root.querySelector('.legend-title'), units[i] === 'gradient' ? 'Gradient scale of this column' : 'Attribution scale of this column');
        c.legend.update({ ...legend, scale: ig ? scales[i][0] : null, nan: bad });
      }
    });
    const any = data.some((d) => d && d.get(frame.epoch));
    this.legend.update({ ...legend, scale: any ? scales[0][0] : null, nan });
    this.legend.root.hidden = !shared || this.inputCount > 1; // several inputs: a legend per block
  }
}
