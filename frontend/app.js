// The Attributions dashboard: state, data loading and the per-frame render.
//
// Data flow: `runs` once (and again whenever TensorBoard reloads), then for the selected run
// the probe and the gallery digests, then for the selected example its sweep + IG of the
// current epoch (small, for a fast first render) followed by *every* epoch in one request
// (playback then never waits on the network). Everything drawn for an epoch comes from these
// caches synchronously in renderFrame(), so playback, the slider and export share one path.

import { ActivationsView } from './activations.js';
import { RouteError, fetchExample, fetchFeatureMaps, fetchGallery, fetchProbe, fetchRuns } from './api.js';
import { baselinePixels } from './baseline.js';
import { SaturationCharts } from './charts.js';
import { paletteLuts } from './colormap.js';
import { Controls } from './controls.js';
import { el, replaceChildren, setText } from './dom.js';
import { emptyState } from './emptystate.js';
import { ExampleData, FeatureData, cached } from './examples.js';
import { formatPercent } from './format.js';
import { Gallery } from './gallery.js';
import { connectHost, readUrlState, watchTheme, writeUrlState } from './host.js';
import { IgView } from './igview.js';
import { Legend } from './legend.js';
import { className, galleryPrediction } from './model.js';
import { grayscale } from './pixels.js';
import { initialSelection, usableRuns } from './routes.js';
import { Player } from './player.js';
import { STATE_SPEC } from './settings.js';
import { SweepView } from './sweep.js';
import { coerceState } from './urlstate.js';

const URL_WRITE_DELAY_MS = 250;

export class Dashboard {
  constructor(root, { styled = Promise.resolve() } = {}) {
    this.root = root;
    this.styled = styled;
    this.state = coerceState({}, STATE_SPEC);
    this.generation = 0;
    this.playing = false;
    this.examples = new Map();
    this.features = new Map();
    this.firstRenderDone = false;
    this.frameCount = 0;
    this.buildLayout();
  }

  // ----- layout -------------------------------------------------------------------------

  buildLayout() {
    this.controls = new Controls({
      onRun: (run) => this.selectRun(run),
      onSetting: (key, value) => this.setSetting(key, value),
      onExport: (kind) => this.exportView(kind),
    });
    // MediaRecorder on a canvas stream (the WebM export); the exporter loads on first use.
    this.controls.setExportSupport(
      'webm',
      typeof MediaRecorder !== 'undefined' && Boolean(HTMLCanvasElement.prototype.captureStream),
    );
    this.gallery = new Gallery({ onSelect: (i) => this.selectExample(i) });
    this.player = new Player({
      onSeek: (i) => this.seek(i),
      onStep: (d) => this.step(d),
      onToggle: () => this.togglePlay(),
      onSpeed: (s) => this.setSetting('speed', String(s)),
    });
    this.sweep = new SweepView();
    this.ig = new IgView();
    this.charts = new SaturationCharts();
    this.activations = new ActivationsView({ onLayer: (layer) => this.selectLayer(layer) });
    this.sweepLegend = new Legend('Gradient scale');
    this.igLegend = new Legend('Attribution scale');
    this.banner = el('div', { class: 'banner', role: 'alert', hidden: true });
    this.exampleTitle = el('h2', { class: 'example-title', 'data-role': 'example-title' });
    this.sweepNote = el('p', { class: 'card-sub' });
    this.igNote = el('p', { class: 'card-sub' });

    const card = (title, role, tools, ...body) =>
      el('section', { class: 'card', 'data-card': role }, el('header', {}, el('h3', { text: title }), tools), ...body);

    this.sweepCard = card('Interior gradients — the alpha sweep', 'sweep', this.sweepLegend.root, this.sweepNote, this.sweep.root);
    this.outlineBox = el('input', { type: 'checkbox', 'data-role': 'outline' });
    this.outlineBox.addEventListener('change', () => this.setSetting('outline', this.outlineBox.checked ? 'on' : 'off'));
    this.outlineToggle = el(
      'label',
      { class: 'inline toggle', title: 'Outline the object mask written with the probe' },
      this.outlineBox,
      'Object outline',
    );
    const igTools = el('div', { class: 'card-tools' }, this.outlineToggle, this.igLegend.root);
    this.igCard = card('Integrated gradients', 'ig', igTools, this.igNote, this.ig.root);
    this.chartCard = card('Saturation', 'charts', null, this.charts.root);
    this.activationCard = card('Activations', 'activations', this.activations.header, this.activations.grid, this.activations.message);

    this.sidebar = el(
      'aside',
      { class: 'sidebar' },
      this.controls.root,
      el('section', { class: 'gallery-section' }, el('h3', { text: 'Probe examples' }), this.gallery.summary, this.gallery.root),
    );
    this.main = el(
      'main',
      { class: 'main' },
      el('div', { class: 'topbar' }, this.exampleTitle, this.player.root),
      this.banner,
      el('div', { class: 'content' }, this.sweepCard, el('div', { class: 'row' }, this.igCard, this.chartCard), this.activationCard),
    );
    this.loading = el('div', { class: 'loading', text: 'Loading attributions…' });
    replaceChildren(this.root, this.loading);

    const resize = new ResizeObserver(() => this.onResize());
    resize.observe(this.main);
    resize.observe(this.chartCard);
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  onResize() {
    if (!this.main.isConnected) return;
    this.measure();
    this.renderFrame();
  }

  /** Layout is read here only (never while rendering a frame, which would force reflows). */
  measure() {
    const width = this.sweep.root.clientWidth;
    if (width) this.sweep.layout(width);
    // Two charts side by side inside the card's padding and borders (2 x 17 px) and gap (16 px).
    this.chartWidth = Math.max(180, Math.floor((this.chartCard.clientWidth - 50) / 2));
  }

  onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || !this.run) return;
    const tag = event.target && event.target.tagName;
    // Keys that the focused control needs for itself: choosing in a <select>, editing text.
    const textual = tag === 'INPUT' && !['range', 'checkbox', 'radio', 'button'].includes(event.target.type);
    if (tag === 'SELECT' || tag === 'TEXTAREA' || textual) return;
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      event.preventDefault();
      this.step(event.key === 'ArrowLeft' ? -1 : 1);
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      this.seek(event.key === 'Home' ? 0 : this.epochs.length - 1);
    } else if (event.key === ' ' && tag !== 'BUTTON') {
      event.preventDefault();
      this.togglePlay();
    }
  }

  // ----- start and runs ------------------------------------------------------------------

  async start() {
    watchTheme((dark) => {
      document.documentElement.classList.toggle('dark', dark);
      this.colors = null;
      if (this.firstRenderDone) this.renderFrame();
    });
    connectHost({ onReload: () => this.reload() });
    this.state = coerceState(readUrlState(), STATE_SPEC);
    try {
      await this.loadRuns();
    } catch (e) {
      this.showFatal(e);
    }
  }

  async loadRuns() {
    const answer = await fetchRuns();
    this.allRuns = Array.isArray(answer.runs) ? answer.runs : [];
    this.runs = usableRuns(this.allRuns);
    await this.styled;
    if (!this.runs.length) {
      replaceChildren(this.root, emptyState(this.allRuns));
      this.root.dataset.state = 'empty';
      return;
    }
    replaceChildren(this.root, this.sidebar, this.main);
    const selection = initialSelection(this.runs, this.state);
    this.controls.setRuns(this.runs, selection.run.run);
    this.controls.update(this.state);
    await this.selectRun(selection.run.run, { selection });
  }

  /** TensorBoard reloaded its data: pick up new runs and new epochs without losing place. */
  async reload() {
    if (!this.run) {
      await this.loadRuns().catch((e) => this.showError(e));
      return;
    }
    try {
      const answer = await fetchRuns();
      const runs = usableRuns(answer.runs);
      this.allRuns = answer.runs || [];
      this.runs = runs;
      this.controls.setRuns(runs, this.run.run);
      const fresh = runs.find((r) => r.run === this.run.run);
      if (!fresh) return;
      const added = fresh.epochs.filter((e) => !this.epochs.includes(e));
      if (!added.length) return;
      const atEnd = this.epochIndex === this.epochs.length - 1;
      this.run = fresh;
      this.epochs = fresh.epochs;
      this.player.setEpochs(this.epochs);
      const generation = this.generation;
      // Caches that held "every epoch" now miss the new ones: fetch those one by one.
      for (const entry of [...this.examples.values(), ...this.features.values()]) {
        entry.full = false;
        entry.loadingAll = null;
      }
      this.galleryData = await fetchGallery(fresh);
      if (generation !== this.generation) return;
      const data = this.exampleData;
      await Promise.all(added.flatMap((e) => [this.loadEpoch(data, e), this.loadFeatureEpoch(e)]));
      data.full = this.epochs.every((e) => data.byEpoch.has(e));
      if (atEnd && !this.playing) this.epochIndex = this.epochs.length - 1;
      this.scheduleRender();
    } catch (e) {
      this.showError(e);
    }
  }

  /** Opens a run: at `selection` (from the URL) or at its first example and newest epoch. */
  async selectRun(name, { selection = null } = {}) {
    const run = this.runs.find((r) => r.run === name);
    if (!run) return;
    this.stop();
    const generation = ++this.generation;
    const start = selection || initialSelection([run]);
    this.run = run;
    this.state.run = run.run;
    this.epochs = run.epochs || [];
    this.epochIndex = start.epochIndex;
    this.state.example = start.example;
    const layers = run.feature_maps || [];
    if (!layers.some((l) => l.layer === this.state.layer)) this.state.layer = layers.length ? layers[0].layer : null;
    this.examples.clear();
    this.features.clear();
    this.player.setEpochs(this.epochs);
    this.activations.setLayers(layers, this.state.layer);
    this.activationCard.hidden = !layers.length;
    this.igCard.hidden = !run.ig_tag;
    this.chartCard.hidden = !run.sweep_tag;
    this.hideError();
    if (run.warnings && run.warnings.length) {
      this.showNotice(`Some series of this run could not be read: ${run.warnings.join('; ')}`);
    }
    this.root.dataset.state = 'loading';
    try {
      const epoch = this.currentEpoch();
      const [probe, gallery] = await Promise.all([
        fetchProbe(run),
        fetchGallery(run),
        this.loadEpoch(this.exampleFor(this.state.example), epoch),
        this.loadFeatureEpoch(epoch),
      ]);
      performance.mark('tb_attrib:data');
      await this.styled; // sizes are measured next: they need the stylesheet
      if (generation !== this.generation) return;
      this.probe = probe;
      this.galleryData = gallery;
      this.gallery.setProbe(probe);
      performance.mark('tb_attrib:gallery');
      this.prepareExample();
      performance.mark('tb_attrib:prepared');
      this.measure(); // the cards are in the page now
      performance.mark('tb_attrib:measured');
      this.renderFrame();
      this.markFirstRender();
      this.loadAllEpochs();
    } catch (e) {
      if (generation === this.generation) this.showError(e);
    }
    this.saveUrlSoon();
  }

  selectExample(index) {
    if (!this.run || index === this.state.example) return;
    this.state.example = index;
    this.prepareExample();
    const epoch = this.currentEpoch();
    const data = this.exampleData;
    if (!data.byEpoch.has(epoch)) this.loadEpoch(data, epoch).then(() => this.scheduleRender());
    this.loadFeatureEpoch(epoch).then(() => this.scheduleRender());
    this.renderFrame();
    this.loadAllEpochs();
    this.saveUrlSoon();
  }

  selectLayer(layer) {
    this.state.layer = layer;
    this.loadFeatureEpoch(this.currentEpoch()).then(() => this.scheduleRender());
    this.loadAllFeatures();
    this.renderFrame();
    this.saveUrlSoon();
  }

  /** Everything that depends only on the example, not on the epoch: inputs, grayscale. */
  prepareExample() {
    const image = this.probe.images[this.state.example];
    if (!image) return;
    this.gray = grayscale(image);
    const alphas = this.run.alphas || [];
    const [h, w] = image.shape;
    const baselineName = (this.run.ig && this.run.ig.baseline) || this.sweepBaselineName() || 'black';
    this.baseline = baselinePixels(baselineName, image, {
      displayRange: this.probe.displayRange,
      probeMax: this.probe.probeMax,
    });
    this.sweep.setAlphas(alphas, h, w);
    this.sweep.setInput(image, this.baseline.data);
    this.ig.setInput(image);
    const approx = this.baseline.exact ? '' : ` The "${this.baseline.label}" baseline is not stored in the log: scaled inputs are drawn towards gray, approximately.`;
    setText(this.sweepNote, `Gradient of the target score at baseline + α·(x − baseline); baseline: ${this.baseline.label}.${approx}`);
    this.sweepCard.hidden = !this.run.sweep_tag;
    this.outlineToggle.hidden = !this.probe.masks[this.state.example];
    this.outlineBox.checked = this.state.outline === 'on';
  }

  sweepBaselineName() {
    const entry = this.exampleData && [...this.exampleData.byEpoch.values()].find((e) => e.sweep);
    return entry ? entry.sweep.baseline : null;
  }

  // ----- data ----------------------------------------------------------------------------

  get exampleData() {
    return this.exampleFor(this.state.example);
  }

  exampleFor(index) {
    return cached(this.examples, index, () => new ExampleData(index));
  }

  featureData() {
    const key = `${this.state.example}|${this.state.layer}`;
    return cached(this.features, key, () => new FeatureData());
  }

  currentEpoch() {
    return this.epochs.length ? this.epochs[this.epochIndex] : null;
  }

  /** Fetches one epoch of the example (deduplicated); resolves once it is in the cache. */
  loadEpoch(data, epoch) {
    if (epoch === null || data.byEpoch.has(epoch) || data.full) return Promise.resolve();
    if (!data.pending.has(epoch)) {
      data.pending.set(
        epoch,
        fetchExample(this.run, data.index, epoch, { onBytes: (n) => (this.epochBytes = n) })
          .then((entries) => data.add(entries))
          .catch((e) => this.showError(e))
          .finally(() => data.pending.delete(epoch)),
      );
    }
    return data.pending.get(epoch);
  }

  /** One request for every epoch of the selected example: what playback runs on. */
  loadAllEpochs() {
    const data = this.exampleData;
    if (data.full || data.loadingAll || !this.run) return data.loadingAll;
    const run = this.run;
    const index = this.state.example;
    data.progress = 0;
    data.loadingAll = fetchExample(run, index, null, {
      // One epoch's answer times the number of epochs: the size to expect when the server
      // streams its answer without a Content-Length.
      expectedBytes: this.epochBytes ? this.epochBytes * this.epochs.length : 0,
      onProgress: (p) => {
        data.progress = p;
        if (data === this.exampleData) this.updatePlayer();
      },
    })
      .then((entries) => {
        data.add(entries);
        data.full = true;
        if (data === this.exampleData) this.scheduleRender();
      })
      .catch((e) => {
        data.loadingAll = null;
        this.showError(e);
      });
    this.loadAllFeatures();
    return data.loadingAll;
  }

  loadFeatureEpoch(epoch) {
    if (!this.state.layer || epoch === null) return Promise.resolve();
    const data = this.featureData();
    const layer = this.run.feature_maps.find((l) => l.layer === this.state.layer);
    if (data.full || data.byEpoch.has(epoch) || !layer || !layer.epochs.includes(epoch)) return Promise.resolve();
    if (!data.pending.has(epoch)) {
      data.pending.set(
        epoch,
        fetchFeatureMaps(this.run, this.state.layer, this.state.example, epoch)
          .then((fm) => fm.byEpoch.forEach((v, k) => data.byEpoch.set(k, v)))
          .catch((e) => this.showError(e))
          .finally(() => data.pending.delete(epoch)),
      );
    }
    return data.pending.get(epoch);
  }

  loadAllFeatures() {
    if (!this.state.layer) return;
    const data = this.featureData();
    if (data.full || data.loadingAll) return;
    data.loadingAll = fetchFeatureMaps(this.run, this.state.layer, this.state.example, null)
      .then((fm) => {
        fm.byEpoch.forEach((v, k) => data.byEpoch.set(k, v));
        data.full = true;
        this.scheduleRender();
      })
      .catch((e) => {
        data.loadingAll = null;
        this.showError(e);
      });
  }

  // ----- time ------------------------------------------------------------------------------

  seek(index) {
    if (!this.epochs.length) return;
    this.epochIndex = Math.max(0, Math.min(this.epochs.length - 1, index));
    this.afterEpochChange();
  }

  step(delta) {
    if (!this.epochs.length) return;
    this.stop();
    this.seek(this.epochIndex + delta);
  }

  afterEpochChange() {
    const epoch = this.currentEpoch();
    const data = this.exampleData;
    if (!data.byEpoch.has(epoch)) this.loadEpoch(data, epoch).then(() => this.scheduleRender());
    if (!this.featureData().byEpoch.has(epoch)) this.loadFeatureEpoch(epoch).then(() => this.scheduleRender());
    this.renderFrame();
    if (!this.playing) this.saveUrlSoon();
  }

  togglePlay() {
    if (this.playing) {
      this.stop();
      return;
    }
    if (!this.epochs || this.epochs.length < 2) return;
    this.playing = true;
    if (this.epochIndex >= this.epochs.length - 1) this.seek(0);
    this.loadAllEpochs();
    this.lastAdvance = performance.now();
    this.updatePlayer();
    requestAnimationFrame((t) => this.tick(t));
  }

  stop() {
    if (!this.playing) return;
    this.playing = false;
    this.updatePlayer();
    this.saveUrlSoon();
  }

  /** One animation frame of playback: advance when the interval has passed and data is here. */
  tick(now) {
    if (!this.playing) return;
    const interval = 1000 / Number(this.state.speed);
    // A couple of milliseconds of slack so that 60 epochs/s keeps pace with 60 Hz frames.
    if (now - this.lastAdvance >= interval - 2) {
      const next = (this.epochIndex + 1) % this.epochs.length;
      const epoch = this.epochs[next];
      const data = this.exampleData;
      if (data.byEpoch.has(epoch) || data.full) {
        this.epochIndex = next;
        this.lastAdvance = now - Math.min(interval, Math.max(0, now - this.lastAdvance - interval));
        this.renderFrame();
      } else {
        this.loadEpoch(data, epoch);
      }
    }
    requestAnimationFrame((t) => this.tick(t));
  }

  // ----- settings and URL ------------------------------------------------------------------

  setSetting(key, value) {
    this.state[key] = key === 'clip' ? String(value) : value;
    this.controls.update(this.stateForControls());
    this.renderFrame();
    this.saveUrlSoon();
  }

  stateForControls() {
    return { ...this.state, clip: Number(this.state.clip) };
  }

  saveUrlSoon() {
    clearTimeout(this.urlTimer);
    this.urlTimer = setTimeout(() => {
      const epoch = this.currentEpoch();
      writeUrlState({
        run: this.state.run,
        example: this.state.example,
        epoch,
        view: this.state.view,
        scale: this.state.scale,
        clip: this.state.clip,
        palette: this.state.palette,
        layer: this.state.layer,
        speed: this.state.speed,
        outline: this.state.outline,
      });
    }, URL_WRITE_DELAY_MS);
  }

  // ----- rendering ---------------------------------------------------------------------------

  scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.renderFrame();
    });
  }

  themeColors() {
    if (!this.colors) {
      const css = getComputedStyle(document.documentElement);
      const v = (name) => css.getPropertyValue(name).trim();
      this.colors = {
        background: v('--tba-card') || '#fff',
        text: v('--tba-text') || '#212121',
        muted: v('--tba-muted') || '#616161',
        grid: v('--tba-border') || '#e0e0e0',
        current: v('--tba-accent') || '#f57c00',
        past: v('--tba-text') || '#212121',
        wrong: v('--tba-wrong') || '#d32f2f',
      };
    }
    return this.colors;
  }

  /** Draws everything for the current epoch from the caches (synchronous). */
  renderFrame() {
    if (!this.run || !this.probe || !this.main.isConnected) return;
    const start = performance.now();
    const epoch = this.currentEpoch();
    const data = this.exampleData;
    const entry = data.byEpoch.get(epoch);
    const luts = paletteLuts(this.state.palette);
    const clip = Number(this.state.clip);
    const mode = this.state.scale;
    const classNames = this.probe.classNames;
    const label = this.probe.labels ? this.probe.labels[this.state.example] : null;
    const sweep = entry ? entry.sweep : null;
    const truth = label !== null ? label : sweep ? sweep.target : null;
    const loading = !entry && !data.full;

    this.renderTitle(epoch, label, classNames);
    if (this.run.sweep_tag) {
      const scales = sweep ? data.sweepScales.scales(mode, clip, epoch) : [];
      if (entry || !loading) {
        this.sweep.render({
          sweep,
          view: this.state.view,
          luts,
          scales,
          perMap: mode === 'map',
          gray: this.gray,
          truth: label !== null ? label : null,
          classNames,
          missingText: 'No interior gradients at this epoch.',
        });
      }
      this.sweepLegend.update({
        view: this.state.view,
        scale: mode === 'map' || !scales.length ? null : scales[0],
        clip,
        luts,
        paletteName: this.state.palette,
        nan: Boolean(sweep && sweep.summaries.some((s) => s.nonfinite)),
        perMapText: 'each map scaled on its own (value under each map)',
      });
    }
    if (this.run.ig_tag) {
      const ig = entry ? entry.ig : null;
      const igMode = mode === 'epochs' ? 'epochs' : 'map';
      const igScale = ig ? data.igScales.scales(igMode, clip, epoch)[0] : 0;
      const mask = this.state.outline === 'on' ? this.probe.masks[this.state.example] : null;
      if (entry || !loading) this.ig.render({ ig, view: this.state.view, luts, scale: igScale, gray: this.gray, classNames, mask });
      this.igLegend.update({
        view: this.state.view === 'abs' ? 'abs' : 'signed',
        scale: ig ? igScale : null,
        clip,
        luts,
        paletteName: this.state.palette,
        nan: Boolean(ig && ig.summary.nonfinite),
        perMapText: 'no data at this epoch',
      });
      setText(
        this.igNote,
        mode === 'epochs'
          ? 'Scale fixed across every loaded epoch.'
          : 'Scale of this epoch’s map (choose “Fixed across epochs” to compare epochs).',
      );
    }
    if (this.run.sweep_tag) {
      this.charts.render({
        alphas: this.run.alphas || [],
        history: data.history(),
        epoch,
        width: this.chartWidth || 220,
        colors: this.themeColors(),
      });
    }
    if (this.state.layer) {
      const maps = this.featureData().byEpoch.get(epoch) || null;
      const layer = this.run.feature_maps.find((l) => l.layer === this.state.layer);
      const missing = layer && !layer.epochs.includes(epoch) ? `No feature maps of this layer at epoch ${epoch}.` : null;
      this.activations.render(maps, { luts, message: missing });
    }
    this.gallery.update({
      digest: this.galleryData ? this.galleryData.sweep.get(epoch) : null,
      selected: this.state.example,
      classNames,
    });
    this.main.classList.toggle('is-loading', loading);
    this.updatePlayer();
    this.frameCount++;
    const ms = performance.now() - start;
    // Measurement hooks (bench/frontend.py): a mark per frame and the last frame's cost.
    performance.mark('tb_attrib:frame', { detail: { epoch, ms } });
    this.root.dataset.frames = String(this.frameCount);
    this.root.dataset.epoch = String(epoch);
    if (entry) this.root.dataset.renderedEpoch = String(epoch);
    this.root.dataset.renderMs = ms.toFixed(2);
  }

  renderTitle(epoch, label, classNames) {
    const digest = this.galleryData ? this.galleryData.sweep.get(epoch) : null;
    const p = galleryPrediction(digest, this.state.example);
    const parts = [`Example #${this.state.example}`];
    if (label !== null) parts.push(`true: ${className(classNames, label)}`);
    if (p) parts.push(`predicted: ${className(classNames, p.cls)} (${formatPercent(p.prob)})`);
    setText(this.exampleTitle, parts.join(' · '));
    this.exampleTitle.classList.toggle('wrong', Boolean(p && label !== null && p.cls !== label));
  }

  updatePlayer() {
    const data = this.examples.get(this.state.example);
    const loaded = !data ? 0 : data.full ? 1 : data.progress || data.byEpoch.size / Math.max(1, this.epochs.length);
    this.player.update({ index: this.epochIndex, playing: this.playing, speed: this.state.speed, loadedFraction: loaded });
    this.root.dataset.playing = String(this.playing);
    this.root.dataset.loaded = data && data.full ? '1' : '0';
  }

  /** Marks the first full render once it is on screen (after the next frame is painted). */
  markFirstRender() {
    if (this.firstRenderDone) {
      this.root.dataset.state = 'ready';
      return;
    }
    this.firstRenderDone = true;
    requestAnimationFrame(() =>
      setTimeout(() => {
        this.root.dataset.firstRenderMs = performance.now().toFixed(1);
        performance.mark('tb_attrib:first-render');
        this.root.dataset.state = 'ready';
      }),
    );
  }

  // ----- export ------------------------------------------------------------------------------

  /** PNG of the current view, or the epoch animation as GIF / WebM (exportview.js). */
  async exportView(kind) {
    if (!this.run || !this.probe || this.exporting) return;
    this.exporting = true;
    this.stop();
    try {
      const { exportDashboard } = await import('./exportview.js');
      await exportDashboard(this, kind);
    } catch (e) {
      this.showError(e);
    } finally {
      this.exporting = false;
      this.controls.setBusy(false);
    }
  }

  // ----- errors --------------------------------------------------------------------------

  showError(error) {
    const text = error instanceof RouteError ? `The server answered ${error.status}: ${error.message}` : String(error.message || error);
    setText(this.banner, text);
    this.banner.classList.remove('notice');
    this.banner.hidden = false;
  }

  hideError() {
    this.banner.hidden = true;
  }

  /** A message that is not an error (shown in the same place, without the error colour). */
  showNotice(text) {
    setText(this.banner, text);
    this.banner.classList.add('notice');
    this.banner.hidden = false;
  }

  showFatal(error) {
    replaceChildren(
      this.root,
      el('div', { class: 'empty-state' }, el('h2', { text: 'Could not load attributions' }), el('p', { text: String(error.message || error) })),
    );
    this.root.dataset.state = 'error';
  }
}
