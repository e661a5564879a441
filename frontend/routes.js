// URLs of the plugin's routes (docs/format.md, "Plugin routes"), and which run, example and
// epoch the dashboard opens on. Pure: no DOM.
//
// URLs are relative ("./runs"): TensorBoard's plugin iframe page sets
// <base href="plugin/tb_attrib/"> under ".../data/", so they resolve to
// ".../data/plugin/tb_attrib/runs" whatever --path_prefix is.

/** The relative URL of a route; null and undefined parameters are left out. */
export function routeUrl(route, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined) query.set(k, String(v));
  }
  const text = query.toString();
  return `./${route}${text ? `?${text}` : ''}`;
}

export const probeUrl = (run) => routeUrl('probe', { run: run.run, tag: run.probe_tag });

/** Every epoch's digests when epoch is null, else that epoch's only (for a first render). */
export const galleryUrl = (run, epoch = null) => routeUrl('gallery', { run: run.run, epoch, sweep_tag: run.sweep_tag, ig_tag: run.ig_tag });

/** Every epoch of one example when epoch is null (one request for playback), else one. */
export const exampleUrl = (run, index, epoch) =>
  routeUrl('example', { run: run.run, index, epoch, sweep_tag: run.sweep_tag, ig_tag: run.ig_tag });

/** One integrated-gradients series (IG's or another method's) of one example, no sweep. */
export const attributionUrl = (run, tag, index, epoch) => routeUrl('attribution', { run: run.run, tag, index, epoch });

export const featureMapsUrl = (run, layer, index, epoch) => routeUrl('feature_maps', { run: run.run, layer, index, epoch });

/** Runs that hold attribution data (a probe alone is not enough to show anything). */
export function usableRuns(runs) {
  return (Array.isArray(runs) ? runs : []).filter((r) => r && (r.sweep_tag || r.ig_tag));
}

/**
 * Where the dashboard opens: the URL's run, example and epoch when they exist, else the
 * first run, its first example and its newest epoch. `wanted` holds typed URL state
 * ({run, example, epoch}, each possibly null).
 */
export function initialSelection(usable, wanted = {}) {
  if (!usable.length) return null;
  const run = usable.find((r) => r.run === wanted.run) || usable[0];
  const fromUrl = run.run === wanted.run; // the URL's example and epoch belong to its run
  const epochs = run.epochs || [];
  const epochIndex = fromUrl && epochs.includes(wanted.epoch) ? epochs.indexOf(wanted.epoch) : epochs.length - 1;
  const count = run.num_examples || 0;
  const example = fromUrl && Number.isInteger(wanted.example) && wanted.example < count ? wanted.example : 0;
  return { run, example, epochIndex, epoch: epochIndex >= 0 ? epochs[epochIndex] : null };
}
