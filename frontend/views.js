// Views: one per input modality, and the registry that picks one. Pure: no DOM until a view
// is constructed.
//
// Everything that depends on what an input *is* (an image, a time series, a table row, text
// tokens) lives in a view; loading (store.js), time (playback.js), the URL, the saturation
// charts, the legends, the IG stats table (igstats.js) and the feature maps are shared.
//
// Files: TensorBoard's static route serves only files directly inside frontend/ (no
// subfolders), so a view is the flat module `view_<modality>.js`, with helpers of its own
// named `view_<modality>_*.js`. Only this registry imports view modules, and nothing outside
// the view modules imports modality-specific code (baseline.js, the image half of pixels.js);
// tests/js/views.test.mjs checks both.
//
// A view is a class; the dashboard builds one per model input (panels.js stacks them, one
// titled block per input, when a model has several) and puts its two roots in the cards.
// Its interface (`frame` objects are built anew for every render):
//
//   sweepRoot                          element shown in the "alpha sweep" card
//   attributionRoot                    element shown in the "Integrated gradients" card,
//                                      before the shared stats table
//   wide                               true: the IG figure fills the card's width (the IG
//                                      and saturation cards then stack instead of sharing
//                                      a row); images leave it unset
//   prepare(input, baseline, alphas, probe) -> {baselineLabel, caveat}
//       per example, before its first frame: draw what depends only on the input.
//       input: the example's input as parsed (model.probeInput: {data, shape, mask, tokens,
//       modality, descriptor}; descriptor is the probe digest's entry of this input, with
//       its names); baseline: the baseline's name ("black", "blur", ...); alphas: the
//       sweep's alphas; probe: the parsed probe (displayRange, probeMax, classNames, ...).
//       Returns the baseline's label and a sentence ('' when none) on how faithfully it is
//       drawn.
//   layout(width, igWidth)             the sweep card's content is `width` CSS pixels wide
//                                      and the IG figures' box `igWidth` (read by the
//                                      dashboard outside of rendering)
//   renderSweep(frame)                 frame: {sweep, view, luts, scales, perMap, truth, head,
//       classNames, colors, mask, attribution, missingText}. Per alpha the scaled input, the
//       signed gradient map and the prediction. sweep: this input's maps in one epoch's
//       model.parseSweep record (with the record's predictions and target), or null (show
//       missingText); view: "overlay" | "signed" | "abs"; luts: colormap.paletteLuts;
//       scales: the display scale of each alpha's map; perMap: each map scaled on its own
//       (show its scale); head: heads.Head (predict() words a prediction, wrong() judges it
//       against `truth`, head.truth()'s label or null); colors: theme.themeColors; mask:
//       the input's ground-truth mask {data} to mark, or null; attribution: this input's IG
//       map shown at this epoch, or null (views that order their input by it).
//   renderAttribution(frame)           frame: {ig, view, luts, scale, classNames, head,
//       colors, mask, fixed, mapLabel}. The IG map and its signed overlay (mapLabel: the
//       method's name for captions, "Integrated gradients" when absent). ig: this input's map of a
//       model.parseIg record (the label's, or the predicted class's) or null (show it as
//       stale); scale: the display scale; fixed: the input is held fixed along the path
//       (ig is null): draw the input alone.
//   exportFrame({view}) -> {columns: [{alpha, input, grad, pred, wrong}], sweepFigures?,
//       attribution: {canvases, captions}, cell?}
//       what exporter.composeView draws for one frame (PNG, and each GIF/WebM frame), read
//       after renderSweep/renderAttribution: alpha and pred as text, input/grad/canvases as
//       canvases as drawn on screen (input may be null); a view whose sweep is not one
//       column per alpha gives `sweepFigures` ({canvases, captions}) instead; a canvas may
//       carry `exportWidth` (CSS pixels) to be drawn wider than a column; `cell` the width
//       of a column.
//   thumbnail(input, size) -> element  the gallery's picture of one probe input (input may
//       be null), `size` CSS pixels wide.
//
// A new modality is one new module implementing this interface plus one line in VIEWS.

import { ImageView } from './view_image.js';
import { SequenceView } from './view_sequence.js';
import { TabularView } from './view_tabular.js';
import { TokensView } from './view_tokens.js';

export const DEFAULT_MODALITY = 'image';

/** Modality name -> view class. */
const VIEWS = new Map([
  ['image', ImageView],
  ['sequence', SequenceView],
  ['tabular', TabularView],
  ['tokens', TokensView],
]);

/** What every view implements (tests/js/views.test.mjs checks each registered view). */
export const VIEW_METHODS = Object.freeze(['prepare', 'layout', 'renderSweep', 'renderAttribution', 'exportFrame', 'thumbnail']);

/** The view class of `modality`; an unknown or missing modality (old logs) gives the image view. */
export function viewFor(modality) {
  return VIEWS.get(modality) || VIEWS.get(DEFAULT_MODALITY);
}

/**
 * The modality to show: the first model input's, as the probe digest describes it
 * (`probe.inputs`, model.parseProbe; summary format 2) or else the runs route (`run.inputs`),
 * else the image view's (format-1 logs name none).
 */
export function modalityOf(probe, run) {
  for (const inputs of [probe && probe.inputs, run && run.inputs]) {
    const first = Array.isArray(inputs) ? inputs[0] : null;
    if (first && typeof first.modality === 'string') return first.modality;
  }
  return DEFAULT_MODALITY;
}

/** Whether a view draws `modality` (an unknown one is shown as unreadable, not guessed). */
export function isKnownModality(modality) {
  return typeof modality === 'string' && VIEWS.has(modality);
}

/**
 * The model inputs to show, one descriptor each ({name, modality, shape, attributed, ...}):
 * the probe digest's (format 2), else the runs route's, else one image input (format 1).
 */
export function inputsOf(probe, run) {
  for (const inputs of [probe && probe.inputs, run && run.inputs]) {
    if (Array.isArray(inputs) && inputs.length && inputs.every((d) => d && typeof d === 'object')) return inputs;
  }
  return [{ name: 'input', modality: DEFAULT_MODALITY, attributed: true }];
}

/** Registered modality names. */
export function modalities() {
  return [...VIEWS.keys()];
}
