// Exporting what the dashboard shows: gathers the current view from its parts and hands it
// to exporter.js (PNG of one epoch; GIF or WebM of every epoch). Loaded on first export.

import { PALETTES } from './colormap.js';
import { canvasToBlob, composeView, download, recordGif, recordWebm, safeName } from './exporter.js';
import { SCALE_MODES } from './normalize.js';
import { VIEWS } from './settings.js';

/** The current view of `dashboard` as the parts composeView draws. */
export function viewParts(dashboard) {
  const { run, state, view, igPanel } = dashboard;
  const epoch = dashboard.currentEpoch();
  // The modality's drawing goes through each input's view (views.js, panels.js); the stats
  // are shared by all inputs.
  const blocks = view.exportFrame({ view: state.view }).map((b) => ({
    heading: b.heading,
    note: b.note,
    cell: b.cell,
    columns: run.sweep_tag ? b.columns : [],
    sweepFigures: run.sweep_tag ? b.sweepFigures : null,
    attribution: run.ig_tag ? { canvases: b.attribution.canvases, captions: b.attribution.captions } : null,
  }));
  const stat = (key) => igPanel.stats[key].textContent || '—';
  const stats = run.ig_tag
    ? [
        ['completeness δ', stat('delta')],
        ['F(x) → F(baseline)', stat('scores')],
        ['target', stat('target')],
        ['quadrature', stat('method')],
      ]
    : null;
  return {
    title: `${run.run} · example #${state.example} · epoch ${epoch}`,
    subtitle: `${VIEWS[state.view]} · ${SCALE_MODES[state.scale]} · clip ${state.clip} · ${PALETTES[state.palette].label}`,
    inputs: blocks,
    stats,
    colors: dashboard.themeColors(),
  };
}

/** Exports `kind` ("png", "gif" or "webm") of the dashboard's current view as a download. */
export async function exportDashboard(dashboard, kind) {
  const base = `${safeName(dashboard.run.run)}_example${dashboard.state.example}`;
  if (kind === 'png') {
    const blob = await canvasToBlob(composeView(viewParts(dashboard)));
    download(blob, `${base}_epoch${dashboard.currentEpoch()}.png`);
    return;
  }
  dashboard.controls.setBusy(true, 'Loading every epoch…');
  await dashboard.loadAllEpochs();
  const keep = dashboard.epochIndex;
  const stage = document.createElement('canvas');
  // Every frame goes through the dashboard's own render, so the file shows what playback shows.
  const drawFrame = (i) => {
    dashboard.epochIndex = i;
    dashboard.renderFrame();
    return composeView(viewParts(dashboard), stage);
  };
  const options = {
    delayMs: 1000 / Number(dashboard.state.speed),
    onProgress: (done, total) => dashboard.controls.setBusy(true, `Rendering epoch ${done} of ${total}…`),
  };
  try {
    const count = dashboard.epochs.length;
    const blob = kind === 'gif' ? await recordGif(count, drawFrame, options) : await recordWebm(count, drawFrame, options);
    download(blob, `${base}_epochs.${kind}`);
  } finally {
    dashboard.epochIndex = keep;
    dashboard.renderFrame();
  }
}
