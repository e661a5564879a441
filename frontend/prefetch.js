// Requests made before the dashboard's modules have loaded.
//
// index.js starts the run list at once; as soon as it arrives, the probe and the current
// epoch's gallery digests and example records are requested too (the same choice the
// dashboard will make, from the same URL state), so the network overlaps with loading the
// module graph. Only what the first render shows: the history follows once it is drawn.
// api.js takes these responses by exact URL; a guess that turns out unused costs one request.
// The dashboard's modules are announced at once too (preloadModules), so that they arrive
// together instead of one level of imports after the other.

import { readUrlState } from './host.js';
import { exampleUrl, galleryUrl, initialSelection, probeUrl, routeUrl, usableRuns } from './routes.js';
import { coerceState } from './urlstate.js';

const started = new Map();

/**
 * What app.js loads before it runs (its static imports, transitively) less the modules
 * index.js already has; tests/js/preload.test.mjs keeps this list equal to the imports.
 */
export const APP_MODULES = Object.freeze([
  'activations.js', 'api.js', 'app.js', 'axes.js', 'banner.js', 'baseline.js',
  'baseline_health.js', 'canvas.js', 'charts.js', 'codec.js', 'colormap.js', 'compare.js',
  'compare_data.js', 'controls.js', 'dom.js', 'emptystate.js', 'examples.js', 'format.js',
  'gallery.js', 'heads.js', 'icons.js', 'igstats.js', 'legend.js', 'model.js', 'normalize.js',
  'panels.js', 'pixels.js', 'playback.js', 'player.js', 'settings.js', 'store.js', 'sweep_cell.js',
  'theme.js', 'trust.js', 'trust_data.js', 'urlsync.js', 'view_image.js', 'view_image_sweep.js',
  'view_sequence.js', 'view_sequence_data.js', 'view_sequence_plot.js', 'view_tabular.js',
  'view_tabular_data.js', 'view_tokens.js', 'view_tokens_data.js', 'views.js',
]);

/** Adds a <link rel="modulepreload"> per module of APP_MODULES to `doc`'s head. */
export function preloadModules(doc = document) {
  for (const name of APP_MODULES) {
    const link = doc.createElement('link');
    link.rel = 'modulepreload';
    link.href = new URL(`./${name}`, import.meta.url).href;
    doc.head.append(link);
  }
}

const WANTED = {
  run: { type: 'string', default: null },
  example: { type: 'int', min: 0, default: 0 },
  epoch: { type: 'int', min: 0, default: null },
};

function request(url) {
  if (!started.has(url)) {
    const response = fetch(url, { credentials: 'same-origin' });
    response.catch(() => {}); // the dashboard reports failures when it reads the answer
    started.set(url, response);
  }
  return started.get(url);
}

/** The pending response for exactly this URL, once (null when none was started). */
export function takePrefetched(url) {
  const response = started.get(url) || null;
  started.delete(url);
  return response;
}

/** Starts ./runs and, once it answers, what the first render will need. */
export function prefetchStart() {
  const runs = request(routeUrl('runs'));
  runs
    .then((response) => (response.ok ? response.clone().json() : null))
    .then((answer) => {
      const selection = answer && initialSelection(usableRuns(answer.runs), coerceState(readUrlState(), WANTED));
      if (!selection) return;
      const { run, example, epoch } = selection;
      request(probeUrl(run));
      request(galleryUrl(run, epoch));
      if (epoch !== null) request(exampleUrl(run, example, epoch));
    })
    .catch(() => {});
}
