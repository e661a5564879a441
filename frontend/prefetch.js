// Requests made before the dashboard's modules have loaded.
//
// index.js starts the run list at once; as soon as it arrives, the probe and the current
// epoch's gallery digests and example records are requested too (the same choice the
// dashboard will make, from the same URL state), so the network overlaps with loading the
// module graph. Only what the first render shows: the history follows once it is drawn.
// api.js takes these responses by exact URL; a guess that turns out unused costs one request.

import { readUrlState } from './host.js';
import { exampleUrl, galleryUrl, initialSelection, probeUrl, routeUrl, usableRuns } from './routes.js';
import { coerceState } from './urlstate.js';

const started = new Map();

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
