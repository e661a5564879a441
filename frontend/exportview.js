// Exporting what the dashboard shows: gathers the current view from its parts and hands it
// to exporter.js (PNG of one epoch; GIF or WebM of every epoch). Loaded on first export.

import { PALETTES } from './colormap.js';
import { canvasToBlob, composeView, download, recordGif, recordWebm, safeName } from './exporter.js';
import { formatValue } from './format.js';
import { className } from './model.js';
import { SCALE_MODES } from './normalize.js';
import { VIEWS } from './settings.js';

/** The current view of `dashboard` as the parts composeView draws. */
export function viewParts(dashboard) {
  const { run, probe, state, view, igPanel } = dashboard;
  const epoch = dashboard.currentEpoch();
  const entry = dashboard.exampleData.byEpoch.get(epoch);
  // The modality's drawing goes through its view (views.js); the stats are shared.
  const { columns, attribution } = view.exportFrame({ view: state.view });
  const igParts = run.ig_tag
    ? {
        canvases: attribution.canvases,
        captions: attribution.captions,
        stats: [
          ['completeness δ', entry && entry.ig ? formatValue(entry.ig.delta) : '—'],
          ['F(x) → F(baseline)', igPanel.stats.scores.textContent],
          ['target', entry && entry.ig ? className(probe.classNames, entry.ig.target) : '—'],
          ['quadrature', igPanel.stats.method.textContent],
        ],
      }
    : null;
  return {
    title: `${run.run} · example #${state.example} · epoch ${epoch}`,
    subtitle: `${VIEWS[state.view]} · ${SCALE_MODES[state.scale]} · clip ${state.clip} · ${PALETTES[state.palette].label}`,
    columns: run.sweep_tag ? columns : [],
    ig: igParts,
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
