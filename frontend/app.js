// The Attributions dashboard: wiring of the layout, the selection (run, example, layer,
// settings) and the per-frame render.
//
// Data live in store.js (`runs` once and on every TensorBoard reload; then probe, gallery and
// per-example epochs), time in playback.js, URL state in urlsync.js. Everything drawn for an
// epoch comes from the store's caches synchronously in renderFrame(), so playback, the slider
// and export share one path.

import { ActivationsView } from './activations.js';
import { fetchRuns } from './api.js';
import { Banner } from './banner.js';
import { runNotice } from './baseline_health.js';
import { SaturationCharts } from './charts.js';
import { paletteLuts } from './colormap.js';
import { CompareView } from './compare.js';
import { Controls } from './controls.js';
import { el, replaceChildren, setText } from './dom.js';
import { emptyState } from './emptystate.js';
import { Gallery } from './gallery.js';
import { connectHost, watchTheme } from './host.js';
import { IgPanel } from './igstats.js';
import { Legend } from './legend.js';
import { Head } from './heads.js';
import { InputPanels } from './panels.js';
import { Playback, bindPlaybackKeys } from './playback.js';
import { initialSelection, usableRuns } from './routes.js';
import { Player } from './player.js';
import { STATE_SPEC } from './settings.js';
import { Store } from './store.js';
import { themeColors } from './theme.js';
import { TrustPanel } from './trust.js';
import { galleryOrder, latestSanity, sanityNotice, stabilityByExample } from './trust_data.js';
import { UrlSync, loadUrlState } from './urlsync.js';
import { coerceState } from './urlstate.js';
import { inputsOf } from './views.js';

export class Dashboard {
  constructor(root, { styled = Promise.resolve() } = {}) {
    this.root = root;
    this.styled = styled;
    this.state = coerceState({}, STATE_SPEC);
    this.firstRenderDone = false;
    this.frameCount = 0;
    this.store = new Store({
      selection: () => this.state,
      onError: (e) => this.banner.showError(e),
      onUpdate: () => this.scheduleRender(),
      onProgress: () => this.updatePlayer(),
    });
    this.playback = new Playback({
      epochs: () => this.store.epochs,
      speed: () => this.state.speed,
      isReady: (epoch) => {
        const data = this.store.current();
        return data.byEpoch.has(epoch) || data.full;
      },
      request: (epoch) => this.store.loadEpoch(this.store.current(), epoch),
      onSeek: () => this.afterEpochChange(),
      onFrame: () => this.renderFrame(),
      onStart: () => this.store.loadAllEpochs(),
      onPlayingChange: (playing) => {
        this.updatePlayer();
        if (!playing) this.url.saveSoon();
      },
    });
    this.url = new UrlSync(() => ({ state: this.state, epoch: this.currentEpoch() }));
    this.view = null; // the inputs' views (panels.js)
    this.head = new Head();
    this.buildLayout();
  }

  // The dashboard's data and time, for exportview.js and for debugging (window.tbAttrib).
  get run() {
    return this.store.run;
  }

  get probe() {
    return this.store.probe;
  }

  get epochs() {
    return this.store.epochs;
  }

  get exampleData() {
    return this.store.current();
  }

  get epochIndex() {
    return this.playback.index;
  }

  set epochIndex(index) {
    this.playback.index = index;
  }

  get playing() {
    return this.playback.playing;
  }

  currentEpoch() {
    return this.playback.current();
  }

  loadAllEpochs() {
    return this.store.loadAllEpochs();
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
    this.gallery = new Gallery({ onSelect: (i) => this.selectExample(i), onOrder: () => this.renderFrame() });
    this.player = new Player({
      onSeek: (i) => this.playback.seek(i),
      onStep: (d) => this.playback.step(d),
      onToggle: () => this.playback.toggle(),
      onSpeed: (s) => this.setSetting('speed', String(s)),
    });
    this.igPanel = new IgPanel();
    this.view = new InputPanels();
    this.igPanel.setFigures(this.view.attributionRoot);
    this.trustPanel = new TrustPanel();
    this.charts = new SaturationCharts();
    this.activations = new ActivationsView({ onLayer: (layer) => this.selectLayer(layer) });
    this.sweepLegend = new Legend('Gradient scale');
    this.igLegend = new Legend('Attribution scale');
    this.banner = new Banner();
    this.exampleTitle = el('h2', { class: 'example-title', 'data-role': 'example-title' });
    this.sweepNote = el('p', { class: 'card-sub' });
    this.igNote = el('p', { class: 'card-sub' });

    const card = (title, role, tools, ...body) =>
      el('section', { class: 'card', 'data-card': role }, el('header', {}, el('h3', { text: title }), tools), ...body);

    this.sweepCard = card('Interior gradients — the alpha sweep', 'sweep', this.sweepLegend.root, this.sweepNote, this.view.sweepRoot);
    this.outlineBox = el('input', { type: 'checkbox', 'data-role': 'outline' });
    this.outlineBox.addEventListener('change', () => this.setSetting('outline', this.outlineBox.checked ? 'on' : 'off'));
    this.outlineToggle = el(
      'label',
      { class: 'inline toggle', title: 'Outline the object mask written with the probe' },
      this.outlineBox,
      (this.outlineLabel = el('span', { text: 'Object outline' })),
    );
    // For an example the model gets wrong: its IG for the true class or the predicted one.
    this.explainButtons = [
      ['label', 'True class', 'Attributions of the label’s score'],
      ['predicted', 'Predicted class', 'Attributions of the score of the class the model chose'],
    ].map(([value, label, title]) =>
      el('button', {
        type: 'button',
        class: 'seg',
        text: label,
        title,
        'data-explain': value,
        'aria-pressed': 'false',
        on: { click: () => this.setSetting('explain', value) },
      }),
    );
    this.explainToggle = el(
      'div',
      { class: 'inline toggle explain', 'data-role': 'explain', hidden: true },
      el('span', { text: 'Explain' }),
      el('div', { class: 'segmented', role: 'group', 'aria-label': 'Explain' }, ...this.explainButtons),
    );
    const igTools = el('div', { class: 'card-tools' }, this.explainToggle, this.outlineToggle, this.igLegend.root);
    this.igCard = card('Integrated gradients', 'ig', igTools, this.igNote, this.igPanel.root);
    this.chartCard = card('Saturation', 'charts', null, this.charts.root);
    this.trustCard = card('Can this map be trusted?', 'trust', null, this.trustPanel.root);
    // Beside the IG card: saturation over the checks of the map (side by side when wide).
    this.igRow = el('div', { class: 'row' }, this.igCard, el('div', { class: 'side' }, this.chartCard, this.trustCard));
    this.compare = new CompareView({ onUpdate: () => this.scheduleRender(), onError: (e) => this.banner.showError(e) });
    this.compareCard = card('Compare methods and runs', 'compare', this.compare.legend.root, this.compare.note, this.compare.body);
    this.compareCard.hidden = true;
    this.activationCard = card('Activations', 'activations', this.activations.header, this.activations.grid, this.activations.message);

    this.sidebar = el(
      'aside',
      { class: 'sidebar' },
      this.controls.root,
      el('section', { class: 'gallery-section' }, el('h3', { text: 'Probe examples' }), this.gallery.orderControl, this.gallery.summary, this.gallery.root),
    );
    this.main = el(
      'main',
      { class: 'main' },
      el('div', { class: 'topbar' }, this.exampleTitle, this.player.root),
      this.banner.root,
      el('div', { class: 'content' }, this.sweepCard, this.igRow, this.compareCard, this.activationCard),
    );
    this.loading = el('div', { class: 'loading', text: 'Loading attributions…' });
    replaceChildren(this.root, this.loading);

    const resize = new ResizeObserver(() => this.onResize());
    resize.observe(this.main);
    resize.observe(this.chartCard);
    bindPlaybackKeys(document, this.playback, () => Boolean(this.store.run));
  }

  /** Shows one view per model input (views.js, panels.js) in the cards. */
  useInputs(descriptors) {
    this.view.setInputs(descriptors);
    const multi = this.view.multi;
    // Several inputs: each block has its own legend; one input: the card's, as always.
    this.sweepLegend.root.hidden = multi;
    this.igLegend.root.hidden = multi;
    this.igRow.classList.toggle('wide', this.view.wide);
    const images = this.view.modalities.every((m) => m === 'image');
    this.outlineLabel.textContent = images ? 'Object outline' : 'Ground truth';
    this.outlineToggle.title = images ? 'Outline the object mask written with the probe' : 'Mark the ground truth (mask) written with the probe';
  }

  onResize() {
    if (!this.main.isConnected) return;
    this.measure();
    this.renderFrame();
  }

  /** Layout is read here only (never while rendering a frame, which would force reflows). */
  measure() {
    const width = this.view.sweepRoot.clientWidth;
    // The IG figures' width: their flex box's (panels.js), for views that fill it.
    if (width) this.view.layout(width, this.view.attributionRoot.clientWidth);
    // Two charts side by side inside the card's padding and borders (2 x 17 px) and gap (16 px).
    this.chartWidth = Math.max(180, Math.floor((this.chartCard.clientWidth - 50) / 2));
    if (this.compare.available) this.compare.layout(this.compare.body.clientWidth);
  }

  // ----- start and runs ------------------------------------------------------------------

  async start() {
    watchTheme((dark) => {
      document.documentElement.classList.toggle('dark', dark);
      this.colors = null;
      if (this.firstRenderDone) this.renderFrame();
    });
    connectHost({ onReload: () => this.reload() });
    this.state = loadUrlState();
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
    const run = this.store.run;
    if (!run) {
      await this.loadRuns().catch((e) => this.banner.showError(e));
      return;
    }
    const generation = this.store.generation;
    try {
      const answer = await fetchRuns();
      // A run opened while the list was on its way is newer than this reload's view of it.
      if (generation !== this.store.generation) return;
      const runs = usableRuns(answer.runs);
      this.allRuns = answer.runs || [];
      this.runs = runs;
      this.controls.setRuns(runs, run.run);
      const fresh = runs.find((r) => r.run === run.run);
      if (!fresh) return;
      const added = fresh.epochs.filter((e) => !this.store.epochs.includes(e));
      if (!added.length) return;
      this.compareCard.hidden = !this.compare.refresh(runs, fresh);
      this.measure();
      const atEnd = this.playback.index === this.store.epochs.length - 1;
      const arrived = this.store.addEpochs(fresh, added);
      this.player.setEpochs(this.store.epochs);
      if (!(await arrived)) return;
      this.showRunNotice(this.store.gallery);
      if (atEnd && !this.playback.playing) this.playback.index = this.store.epochs.length - 1;
      this.scheduleRender();
    } catch (e) {
      this.banner.showError(e);
    }
  }

  /** Opens a run: at `selection` (from the URL) or at its first example and newest epoch. */
  async selectRun(name, { selection = null } = {}) {
    const run = this.runs.find((r) => r.run === name);
    if (!run) return;
    this.playback.stop();
    const start = selection || initialSelection([run]);
    this.state.run = run.run;
    this.state.example = start.example;
    const layers = run.feature_maps || [];
    if (!layers.some((l) => l.layer === this.state.layer)) this.state.layer = layers.length ? layers[0].layer : null;
    const generation = this.store.open(run);
    this.playback.index = start.epochIndex;
    this.player.setEpochs(this.store.epochs);
    this.activations.setLayers(layers, this.state.layer);
    this.activationCard.hidden = !layers.length;
    this.igCard.hidden = !run.ig_tag;
    this.chartCard.hidden = !run.sweep_tag;
    this.compareCard.hidden = true;
    this.banner.hide();
    this.showRunNotice(null); // the gallery is still the previous run's
    this.root.dataset.state = 'loading';
    try {
      const { probe, gallery } = await this.store.fetchRun(this.currentEpoch());
      performance.mark('tb_attrib:data');
      await this.styled; // sizes are measured next: they need the stylesheet
      if (generation !== this.store.generation) return;
      this.store.probe = probe;
      // A reload that arrived meanwhile already brought every epoch's digests.
      if (!this.store.galleryFull) this.store.gallery = gallery;
      this.head = Head.of(probe, run);
      this.showRunNotice(gallery);
      this.useInputs(inputsOf(probe, run));
      this.compare.open(this.runs, run, inputsOf(probe, run));
      this.compareCard.hidden = !this.compare.available;
      this.gallery.setProbe(probe, (input, size) => this.view.thumbnail(input, size), this.head);
      this.galleryOrderKey = null;
      performance.mark('tb_attrib:gallery');
      this.prepareExample();
      performance.mark('tb_attrib:prepared');
      this.measure(); // the cards are in the page now
      performance.mark('tb_attrib:measured');
      this.renderFrame();
      // The history follows once this frame is on screen: its answers, decoded on this
      // thread, would otherwise hold back the first paint.
      await this.markRendered(generation);
      if (generation === this.store.generation) this.store.loadHistory();
    } catch (e) {
      if (generation === this.store.generation) this.banner.showError(e);
    }
    this.url.saveSoon();
  }

  /** The run's notice: series that could not be read, and the baseline's health (from the
   * run's `gallery` digests, once they are in). */
  showRunNotice(gallery) {
    const { run } = this.store;
    const parts = [];
    if (run && run.warnings && run.warnings.length) parts.push(`Some series of this run could not be read: ${run.warnings.join('; ')}`);
    const baseline = run && run.ig ? run.ig.baseline : '';
    const health = this.head && gallery ? runNotice(gallery, this.head, baseline) : null;
    if (health) parts.push(health);
    const sanity = gallery ? sanityNotice(latestSanity(gallery.ig)) : null;
    if (sanity) parts.push(sanity);
    if (parts.length) this.banner.showNotice(parts.join(' '));
  }

  selectExample(index) {
    if (!this.store.run || index === this.state.example) return;
    this.state.example = index;
    this.prepareExample();
    const epoch = this.currentEpoch();
    const data = this.store.current();
    if (!data.byEpoch.has(epoch)) this.store.loadEpoch(data, epoch).then(() => this.scheduleRender());
    this.store.loadFeatureEpoch(epoch).then(() => this.scheduleRender());
    this.renderFrame();
    this.store.loadAllEpochs();
    this.url.saveSoon();
  }

  selectLayer(layer) {
    this.state.layer = layer;
    this.store.loadFeatureEpoch(this.currentEpoch()).then(() => this.scheduleRender());
    this.store.loadAllFeatures();
    this.renderFrame();
    this.url.saveSoon();
  }

  /** Everything that depends only on the example, not on the epoch (the view's prepare). */
  prepareExample() {
    const { run, probe } = this.store;
    const inputs = probe.examples[this.state.example];
    if (!inputs) return;
    const baselineName = (run.ig && run.ig.baseline) || this.store.sweepBaselineName() || 'black';
    const { baselineLabel, caveat } = this.view.prepare(inputs, baselineName, run.alphas || [], probe);
    const note = caveat ? ` ${caveat}` : '';
    setText(this.sweepNote, `Gradient of the target score at baseline + α·(x − baseline); baseline: ${baselineLabel}.${note}`);
    this.sweepCard.hidden = !run.sweep_tag;
    this.outlineToggle.hidden = !inputs.some((input) => input && input.mask);
    this.outlineBox.checked = this.state.outline === 'on';
    this.compare.setExample(this.state.example, inputs, baselineName, run.alphas || [], probe);
  }

  // ----- time ------------------------------------------------------------------------------

  /** The epoch was chosen: fetch what it lacks, draw it, and keep it in the URL. */
  afterEpochChange() {
    const epoch = this.currentEpoch();
    const data = this.store.current();
    if (!data.byEpoch.has(epoch)) this.store.loadEpoch(data, epoch).then(() => this.scheduleRender());
    if (!this.store.featureData().byEpoch.has(epoch)) this.store.loadFeatureEpoch(epoch).then(() => this.scheduleRender());
    this.renderFrame();
    if (!this.playback.playing) this.url.saveSoon();
  }

  // ----- settings ----------------------------------------------------------------------------

  setSetting(key, value) {
    this.state[key] = key === 'clip' ? String(value) : value;
    this.controls.update(this.stateForControls());
    this.renderFrame();
    this.url.saveSoon();
  }

  stateForControls() {
    return { ...this.state, clip: Number(this.state.clip) };
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
    if (!this.colors) this.colors = themeColors();
    return this.colors;
  }

  /** Draws everything for the current epoch from the caches (synchronous). */
  renderFrame() {
    const { run, probe, gallery: galleryData } = this.store;
    if (!run || !probe || !this.main.isConnected) return;
    const start = performance.now();
    const epoch = this.currentEpoch();
    const data = this.store.current();
    const entry = data.byEpoch.get(epoch);
    const luts = paletteLuts(this.state.palette);
    const clip = Number(this.state.clip);
    const mode = this.state.scale;
    const classNames = probe.classNames;
    const head = this.head;
    const example = this.state.example;
    const sweep = entry ? entry.sweep : null;
    const loading = !entry && !data.full;
    const inputs = probe.examples[example] || [];
    const masks = this.state.outline === 'on' ? inputs.map((input) => (input ? input.mask : null)) : null;
    const colors = this.themeColors();
    const legend = { view: this.state.view, clip, luts, paletteName: this.state.palette };
    // The IG shown: the predicted class's explanation where the example has one and it was
    // chosen, else the label's.
    const record = entry ? entry.ig : null;
    const offered = data.hasPredicted;
    const wantPredicted = offered && this.state.explain === 'predicted';
    const predicted = Boolean(wantPredicted && record && record.predicted);
    const ig = predicted ? record.predicted : record;

    this.renderTitle(epoch);
    if (run.sweep_tag) {
      const scales = this.view.entries.map((e) => (sweep && sweep.inputs[e.j] ? data.sweepScalesOf(e.j).scales(mode, clip, epoch) : []));
      if (entry || !loading) {
        this.view.renderSweep(
          {
            sweep,
            view: this.state.view,
            luts,
            perMap: mode === 'map',
            truth: head.truth(example, sweep ? sweep.target : 0),
            head,
            classNames,
            colors,
            masks,
            attribution: ig, // views that order their input by attribution (tabular)
            legend: { ...legend, perMapText: 'each map scaled on its own (value under each map)' },
            missingText: 'No interior gradients at this epoch.',
          },
          scales,
        );
      }
      const first = scales[0] || [];
      this.sweepLegend.update({
        ...legend,
        scale: mode === 'map' || !first.length ? null : first[0],
        nan: Boolean(sweep && sweep.summaries.some((m) => m.nonfinite)),
        perMapText: 'each map scaled on its own (value under each map)',
      });
    }
    if (run.ig_tag) {
      const igMode = mode === 'epochs' ? 'epochs' : 'map';
      const igScales = this.view.entries.map((e) => (ig && ig.inputs[e.j] ? data.igScalesOf(e.j, predicted).scales(igMode, clip, epoch)[0] : 0));
      if (entry || !loading) {
        const igLegend = { ...legend, view: this.state.view === 'abs' ? 'abs' : 'signed', perMapText: 'no data at this epoch' };
        this.view.renderAttribution({ ig, view: this.state.view, luts, classNames, head, colors, masks, legend: igLegend }, igScales);
        this.igPanel.render({ ig, classNames, head });
        this.renderTrust(record, predicted, epoch);
      }
      this.explainToggle.hidden = !offered;
      for (const b of this.explainButtons) b.setAttribute('aria-pressed', String(b.dataset.explain === (wantPredicted ? 'predicted' : 'label')));
      this.igLegend.update({
        ...legend,
        view: this.state.view === 'abs' ? 'abs' : 'signed',
        scale: ig ? igScales[0] : null,
        nan: Boolean(ig && ig.summary.nonfinite),
        perMapText: 'no data at this epoch',
      });
      const scaleNote =
        mode === 'epochs'
          ? 'Scale fixed across every loaded epoch.'
          : 'Scale of this epoch’s map (choose “Fixed across epochs” to compare epochs).';
      let explainNote = '';
      if (wantPredicted && record && !predicted) explainNote = ` At epoch ${epoch} the model predicts the label: its true-class attributions are shown.`;
      else if (predicted) explainNote = ` Explaining the predicted class, ${head.name(ig.target)}, not the label.`;
      setText(this.igNote, scaleNote + explainNote);
    }
    this.compare.render({ epoch, view: this.state.view, luts, clip, mode, classNames, head, colors, masks, legend });
    if (run.sweep_tag) {
      this.charts.render({
        alphas: run.alphas || [],
        history: data.history(),
        epoch,
        width: this.chartWidth || 220,
        colors,
        probabilities: head.probabilities,
      });
    }
    if (this.state.layer) {
      const maps = this.store.featureData().byEpoch.get(epoch) || null;
      const layer = run.feature_maps.find((l) => l.layer === this.state.layer);
      const missing = layer && !layer.epochs.includes(epoch) ? `No feature maps of this layer at epoch ${epoch}.` : null;
      this.activations.render(maps, { luts, message: missing });
    }
    this.orderGallery();
    this.gallery.update({
      digest: galleryData ? galleryData.sweep.get(epoch) : null,
      selected: this.state.example,
      head,
    });
    this.main.classList.toggle('is-loading', loading);
    this.updatePlayer();
    this.frameCount++;
    const ms = performance.now() - start;
    // Measurement hooks (bench/frontend.py, tests): a mark per frame (its epoch, its cost,
    // whether that epoch's data were drawn) and the last frame's cost.
    performance.mark('tb_attrib:frame', { detail: { epoch, ms, drawn: Boolean(entry) } });
    this.root.dataset.frames = String(this.frameCount);
    this.root.dataset.epoch = String(epoch);
    if (entry) this.root.dataset.renderedEpoch = String(epoch);
    this.root.dataset.run = run.run;
    this.root.dataset.renderMs = ms.toFixed(2);
  }

  /** The checks of the label's map (trust.js), hidden for logs without them. */
  renderTrust(record, predicted, epoch) {
    const digests = this.store.gallery ? this.store.gallery.ig : new Map();
    const example = this.state.example;
    const check = latestSanity(digests, epoch);
    const present = [...digests.values()].some((d) => d && d.trust);
    this.trustCard.hidden = !present || predicted;
    if (!present || predicted) return;
    const stability = stabilityByExample(digests, this.store.probe.examples.length, epoch)[example];
    const sanity = check ? { epoch: check.epoch, value: check.values[example], layer: check.layer } : null;
    this.trustPanel.render({ trust: record ? record.trust : null, settled: stability ? stability.settled : null, sanity, colors: this.themeColors() });
  }

  /** The gallery in the chosen order, by every written epoch's stability. */
  orderGallery() {
    const gallery = this.store.gallery;
    const key = [gallery, this.gallery.orderSelect.value];
    if (this.galleryOrderKey && key.every((k, i) => k === this.galleryOrderKey[i])) return;
    this.galleryOrderKey = key;
    const digests = gallery ? gallery.ig : new Map();
    const present = [...digests.values()].some((d) => d && d.trust);
    const stability = stabilityByExample(digests, this.store.probe.examples.length);
    this.gallery.setOrder(galleryOrder(stability, key[1]), present ? stability : null);
  }

  renderTitle(epoch) {
    const digest = this.store.gallery ? this.store.gallery.sweep.get(epoch) : null;
    const example = this.state.example;
    const p = this.head.galleryPrediction(digest, example);
    const truth = this.head.truth(example, this.head.targetOf(digest, example));
    const parts = [`Example #${example}`, ...this.head.titleParts(truth, p)];
    setText(this.exampleTitle, parts.join(' · '));
    this.exampleTitle.classList.toggle('wrong', this.head.wrong(p, truth));
  }

  updatePlayer() {
    const data = this.store.peek(this.state.example);
    const count = this.store.epochs.length;
    const loaded = !data ? 0 : data.full ? 1 : data.progress || data.byEpoch.size / Math.max(1, count);
    const playing = this.playback.playing;
    this.player.update({ index: this.playback.index, playing, speed: this.state.speed, loadedFraction: loaded });
    this.root.dataset.playing = String(playing);
    this.root.dataset.loaded = data && data.full ? '1' : '0';
  }

  /**
   * Resolves once the frame just rendered for the run opened as `generation` is on screen
   * (after the next paint), marking the dashboard ready unless another run was opened
   * meanwhile; the very first time, also marks the first full render.
   */
  markRendered(generation) {
    const first = !this.firstRenderDone;
    this.firstRenderDone = true;
    return new Promise((resolve) =>
      requestAnimationFrame(() =>
        setTimeout(() => {
          if (first) {
            this.root.dataset.firstRenderMs = performance.now().toFixed(1);
            performance.mark('tb_attrib:first-render');
          }
          if (generation === this.store.generation) this.root.dataset.state = 'ready';
          resolve();
        }),
      ),
    );
  }

  // ----- export ------------------------------------------------------------------------------

  /** PNG of the current view, or the epoch animation as GIF / WebM (exportview.js). */
  async exportView(kind) {
    if (!this.store.run || !this.store.probe || this.exporting) return;
    this.exporting = true;
    this.playback.stop();
    try {
      const { exportDashboard } = await import('./exportview.js');
      await exportDashboard(this, kind);
    } catch (e) {
      this.banner.showError(e);
    } finally {
      this.exporting = false;
      this.controls.setBusy(false);
    }
  }

  showFatal(error) {
    replaceChildren(
      this.root,
      el('div', { class: 'empty-state' }, el('h2', { text: 'Could not load attributions' }), el('p', { text: String(error.message || error) })),
    );
    this.root.dataset.state = 'error';
  }
}
