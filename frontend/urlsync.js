// Keeping the dashboard's state in the URL: read once at start, written (debounced) after
// every change, as the "p.tb_attrib.<key>" entries of the top page's hash (host.js).

import { readUrlState, writeUrlState } from './host.js';
import { STATE_SPEC } from './settings.js';
import { coerceState } from './urlstate.js';

export const URL_WRITE_DELAY_MS = 250;

/** The typed state in the URL now (defaults where absent or malformed). */
export function loadUrlState() {
  return coerceState(readUrlState(), STATE_SPEC);
}

/** The entries written to the URL: every key of STATE_SPEC, in its order, epoch as shown. Pure. */
export function urlEntries(state, epoch) {
  return Object.fromEntries(Object.keys(STATE_SPEC).map((key) => [key, key === 'epoch' ? epoch : state[key]]));
}

export class UrlSync {
  /** snapshot(): {state, epoch} to write; write defaults to host.writeUrlState. */
  constructor(snapshot, { delayMs = URL_WRITE_DELAY_MS, write = writeUrlState } = {}) {
    this.snapshot = snapshot;
    this.delayMs = delayMs;
    this.write = write;
    this.timer = null;
  }

  /** Writes the state once it has been still for delayMs (one write per burst of changes). */
  saveSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const { state, epoch } = this.snapshot();
      this.write(urlEntries(state, epoch));
    }, this.delayMs);
  }
}
