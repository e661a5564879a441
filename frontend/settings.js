// The dashboard's settings and their URL state. Pure: no DOM.

import { DEFAULT_PALETTE, PALETTES } from './colormap.js';
import { SCALE_MODES } from './normalize.js';

export const VIEWS = Object.freeze({ overlay: 'Overlay', signed: 'Signed', abs: 'Magnitude' });

/** Percentiles of |value| offered for clipping (100: none, the map's maximum). */
export const CLIPS = Object.freeze([90, 95, 98, 99, 99.5, 99.9, 100]);

/** Playback speeds in epochs per second. */
export const SPEEDS = Object.freeze([1, 2, 5, 10, 20, 30, 60]);

/** Everything kept in the URL, with its type and default (see urlstate.coerceState). */
export const STATE_SPEC = Object.freeze({
  run: { type: 'string', default: null },
  example: { type: 'int', min: 0, default: 0 },
  epoch: { type: 'int', min: 0, default: null },
  view: { type: 'enum', values: Object.keys(VIEWS), default: 'overlay' },
  scale: { type: 'enum', values: Object.keys(SCALE_MODES), default: 'alphas' },
  clip: { type: 'enum', values: CLIPS.map(String), default: '99' },
  palette: { type: 'enum', values: Object.keys(PALETTES), default: DEFAULT_PALETTE },
  layer: { type: 'string', default: null },
  speed: { type: 'enum', values: SPEEDS.map(String), default: '5' },
  outline: { type: 'enum', values: ['on', 'off'], default: 'on' },
  // Examples the model gets wrong: explain the true class or the predicted one.
  explain: { type: 'enum', values: ['label', 'predicted'], default: 'label' },
});
