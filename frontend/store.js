// The dashboard's data: the open run, its probe and gallery digests, and per-example caches
// of every loaded epoch (sweep + IG) and of feature maps, with all the fetching behind them.
//
// Data flow: for the open run's first render only what it shows: the probe, the current
// epoch's gallery digests and the selected example's sweep + IG at that epoch (a few reads on
// the server, whatever the number of epochs). Then the history: every epoch's digests, and
// every epoch of the example in one request (playback then never waits on the network;
// until it arrives, playback fetches the epochs it reaches one by one). Nothing here
// draws: the dashboard renders from these caches synchronously. Modality-independent: a
// record's maps are handed to the views as decoded, whatever the input is.

import { fetchExample, fetchFeatureMaps, fetchGallery, fetchProbe } from './api.js';
import { ExampleData, FeatureData, cached } from './examples.js';

export class Store {
  /**
   * selection(): {example, layer} the dashboard shows now; onError(error): a request failed;
   * onUpdate(): data of the current selection arrived (render again); onProgress(): the
   * loading progress of the current example changed.
   */
  constructor({ selection, onError, onUpdate, onProgress }) {
    this.selection = selection;
    this.onError = onError;
    this.onUpdate = onUpdate;
    this.onProgress = onProgress;
    this.run = null;
    this.epochs = [];
    this.probe = null;
    this.gallery = null;
    this.galleryFull = false; // this.gallery holds every epoch's digests
    this.loadingGallery = null;
    this.generation = 0; // bumped when another run opens: answers for the old one are dropped
    this.examples = new Map();
    this.features = new Map();
    this.epochBytes = 0;
  }

  /** Makes `run` the open run (its caches start empty); returns the new generation. */
  open(run) {
    this.run = run;
    this.epochs = run.epochs || [];
    this.examples.clear();
    this.features.clear();
    this.gallery = null;
    this.galleryFull = false;
    this.loadingGallery = null;
    return ++this.generation;
  }

  /**
   * The first requests of an opened run: the probe and the gallery digests of `epoch`
   * (resolved, not yet kept: the caller stores them once it knows the run is still open),
   * with the selected example's and layer's `epoch`.
   */
  async fetchRun(epoch) {
    const run = this.run;
    const [probe, gallery] = await Promise.all([
      fetchProbe(run),
      fetchGallery(run, epoch),
      this.loadEpoch(this.exampleFor(this.selection().example), epoch),
      this.loadFeatureEpoch(epoch),
    ]);
    return { probe, gallery };
  }

  /** The display input (probe record) of example `index`, or null. */
  inputOf(index) {
    return this.probe ? this.probe.images[index] || null : null;
  }

  /** The data of the selected example (and marks it most recently used). */
  current() {
    return this.exampleFor(this.selection().example);
  }

  exampleFor(index) {
    return cached(this.examples, index, () => new ExampleData(index));
  }

  /** The data of example `index` if it is cached (without touching the cache order). */
  peek(index) {
    return this.examples.get(index);
  }

  /** Feature maps of the selected example at the selected layer. */
  featureData() {
    const { example, layer } = this.selection();
    return cached(this.features, `${example}|${layer}`, () => new FeatureData());
  }

  /** The baseline name the selected example's sweep records give, or null. */
  sweepBaselineName() {
    const data = this.current();
    const entry = data && [...data.byEpoch.values()].find((e) => e.sweep);
    return entry ? entry.sweep.baseline : null;
  }

  /** Fetches one epoch of the example (deduplicated); resolves once it is in the cache. */
  loadEpoch(data, epoch) {
    if (epoch === null || data.byEpoch.has(epoch) || data.full) return Promise.resolve();
    if (!data.pending.has(epoch)) {
      data.pending.set(
        epoch,
        fetchExample(this.run, data.index, epoch, { onBytes: (n) => (this.epochBytes = n) })
          .then((entries) => data.add(entries))
          .catch((e) => this.onError(e))
          .finally(() => data.pending.delete(epoch)),
      );
    }
    return data.pending.get(epoch);
  }

  /** What follows a first render: every epoch's digests and every epoch of the example. */
  loadHistory() {
    this.loadGallery();
    return this.loadAllEpochs();
  }

  /** Every epoch's gallery digests of the open run, once; they replace the first render's. */
  loadGallery() {
    if (this.galleryFull || this.loadingGallery || !this.run) return this.loadingGallery;
    const run = this.run;
    const loading = fetchGallery(run)
      .then((gallery) => {
        if (run !== this.run) return; // another run, or a reload that fetched its own
        this.gallery = gallery;
        this.galleryFull = true;
        this.onUpdate();
      })
      .catch((e) => this.onError(e))
      .finally(() => {
        if (this.loadingGallery === loading) this.loadingGallery = null;
      });
    this.loadingGallery = loading;
    return loading;
  }

  /** One request for every epoch of the selected example: what playback runs on. */
  loadAllEpochs() {
    const data = this.current();
    if (data.full || data.loadingAll || !this.run) return data.loadingAll;
    const run = this.run;
    const index = this.selection().example;
    data.progress = 0;
    data.loadingAll = fetchExample(run, index, null, {
      // One epoch's answer times the number of epochs: the size to expect when the server
      // streams its answer without a Content-Length.
      expectedBytes: this.epochBytes ? this.epochBytes * this.epochs.length : 0,
      onProgress: (p) => {
        data.progress = p;
        if (data === this.current()) this.onProgress();
      },
    })
      .then((entries) => {
        data.add(entries);
        data.full = true;
        if (data === this.current()) this.onUpdate();
      })
      .catch((e) => {
        data.loadingAll = null;
        this.onError(e);
      });
    this.loadAllFeatures();
    return data.loadingAll;
  }

  /** The selected layer's feature maps of the selected example at one epoch. */
  loadFeatureEpoch(epoch) {
    const { example, layer: name } = this.selection();
    if (!name || epoch === null) return Promise.resolve();
    const data = this.featureData();
    const layer = this.run.feature_maps.find((l) => l.layer === name);
    if (data.full || data.byEpoch.has(epoch) || !layer || !layer.epochs.includes(epoch)) return Promise.resolve();
    if (!data.pending.has(epoch)) {
      data.pending.set(
        epoch,
        fetchFeatureMaps(this.run, name, example, epoch)
          .then((fm) => fm.byEpoch.forEach((v, k) => data.byEpoch.set(k, v)))
          .catch((e) => this.onError(e))
          .finally(() => data.pending.delete(epoch)),
      );
    }
    return data.pending.get(epoch);
  }

  /** Every epoch of the selected layer's feature maps of the selected example. */
  loadAllFeatures() {
    const { example, layer } = this.selection();
    if (!layer) return;
    const data = this.featureData();
    if (data.full || data.loadingAll) return;
    data.loadingAll = fetchFeatureMaps(this.run, layer, example, null)
      .then((fm) => {
        fm.byEpoch.forEach((v, k) => data.byEpoch.set(k, v));
        data.full = true;
        this.onUpdate();
      })
      .catch((e) => {
        data.loadingAll = null;
        this.onError(e);
      });
  }

  /**
   * TensorBoard reloaded and the open run gained the epochs `added` (`fresh` is its new
   * description): the run and its epochs are replaced at once; then the gallery and the
   * selected example's new epochs are fetched. Resolves true once they are in, false when
   * another run was opened meanwhile. A failed gallery request rejects.
   */
  async addEpochs(fresh, added) {
    this.run = fresh;
    this.epochs = fresh.epochs;
    const generation = this.generation;
    // Caches that held "every epoch" now miss the new ones: fetch those one by one.
    for (const entry of [...this.examples.values(), ...this.features.values()]) {
      entry.full = false;
      entry.loadingAll = null;
    }
    const gallery = await fetchGallery(fresh);
    if (generation !== this.generation) return false; // another run was opened meanwhile
    this.gallery = gallery;
    this.galleryFull = true;
    const data = this.current();
    await Promise.all(added.flatMap((e) => [this.loadEpoch(data, e), this.loadFeatureEpoch(e)]));
    data.full = this.epochs.every((e) => data.byEpoch.has(e));
    return true;
  }
}
