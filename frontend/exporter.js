// Export of the current view: a PNG of one epoch, and the epoch animation as an animated
// GIF (gif.js) or a WebM video (MediaRecorder on a canvas stream).

import { el, nextTask } from './dom.js';
import { GifWriter, buildPalette } from './gif.js';

const FONT = 'Roboto, "Helvetica Neue", Arial, sans-serif';

/** A file name fragment from user data (run names may hold any character). */
export function safeName(text) {
  return String(text).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 60) || 'run';
}

export function download(blob, filename) {
  const href = URL.createObjectURL(blob);
  const link = el('a', { href, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}

/**
 * Draws the current view onto one canvas: a title line, then per model input its sweep
 * (alpha, scaled input, gradient, prediction per column; or a view's own sweep figures) and
 * its IG figures, with the completeness delta and the other IG scalars beside the first.
 *
 * parts: {title, subtitle, inputs: [{heading, note, cell, columns: [{alpha, input, grad,
 * pred, wrong}], sweepFigures: {canvases, captions} | null, attribution: {canvases,
 * captions} | null}], stats: [[label, value], ...] | null, colors}. The legacy form
 * {columns, ig: {canvases, captions, stats}} (one image input) is accepted as well.
 * A canvas is drawn `cell` wide (its height by aspect ratio), or `canvas.exportWidth` CSS
 * pixels wide when its view sets that (a full-width figure); `input` may be null.
 */
export function composeView(parts, target) {
  const { colors } = parts;
  const blocks = parts.inputs || [
    { heading: null, columns: parts.columns, attribution: parts.ig ? { canvases: parts.ig.canvases, captions: parts.ig.captions } : null },
  ];
  const stats = parts.inputs ? parts.stats : parts.ig ? parts.ig.stats : null;
  const gap = 6;
  const pad = 12;
  const cellOf = (block) => {
    if (block.cell) return block.cell;
    const first = block.columns && block.columns.length ? block.columns[0].input || block.columns[0].grad : null;
    const figure = block.attribution && block.attribution.canvases.length ? block.attribution.canvases[0] : null;
    const natural = first ? first.width : figure ? figure.width : 32;
    return Math.max(64, Math.min(112, natural * Math.max(1, Math.round(96 / natural))));
  };
  // A figure's drawn size: `cell` wide, or as wide as its view asks (`exportWidth`, CSS px).
  const sizeOf = (canvas, cell) => {
    if (!canvas || !canvas.width) return { w: 0, h: 0 };
    const w = canvas.exportWidth || cell;
    return { w, h: Math.round((w * canvas.height) / canvas.width) };
  };
  // The stats' labels take 120 pixels after a gap of 14; their values what they need.
  let statsW = 0;
  if (stats) {
    const measure = (target || document.createElement('canvas')).getContext('2d');
    measure.font = `11px ${FONT}`;
    statsW = Math.max(220, 14 + 120 + 8 + Math.max(...stats.map(([, v]) => measure.measureText(String(v)).width)));
  }
  // Layout pass: the height and width of every row.
  let width = 360;
  let height = pad + 40;
  const layout = blocks.map((block, b) => {
    const cell = cellOf(block);
    const rows = {};
    if (block.heading) height += 22;
    if (block.note) height += 18;
    const columns = block.columns || [];
    if (columns.length) {
      const inputH = Math.max(0, ...columns.map((c) => sizeOf(c.input, cell).h));
      const gradH = Math.max(0, ...columns.map((c) => sizeOf(c.grad, cell).h));
      rows.sweep = { y: height, inputH, gradH };
      width = Math.max(width, columns.length * cell + (columns.length - 1) * gap);
      height += 16 + inputH + (inputH ? gap : 0) + gradH + 30;
    }
    for (const key of ['sweepFigures', 'attribution']) {
      const fig = block[key];
      if (!fig || !fig.canvases.length) continue;
      if (key === 'attribution' && (columns.length || block.sweepFigures)) height += 12;
      const sizes = fig.canvases.map((c) => sizeOf(c, cell));
      const rowW = sizes.reduce((a, z) => a + z.w, 0) + gap * (sizes.length - 1);
      const withStats = key === 'attribution' && b === 0 && stats;
      rows[key] = { y: height, sizes, rowW };
      width = Math.max(width, rowW + (withStats ? statsW : 0));
      height += 18 + Math.max(...sizes.map((z) => z.h), withStats ? stats.length * 16 : 0) + 8;
    }
    return { cell, rows };
  });
  if (stats && !blocks.some((b) => b.attribution && b.attribution.canvases.length)) height += stats.length * 16 + 8;
  width += 2 * pad;
  height += pad;
  const canvas = target || document.createElement('canvas');
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = colors.background;
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'top';
  ctx.fillStyle = colors.text;
  ctx.font = `500 14px ${FONT}`;
  ctx.fillText(parts.title, pad, pad);
  ctx.font = `11px ${FONT}`;
  ctx.fillStyle = colors.muted;
  ctx.fillText(parts.subtitle, pad, pad + 20);
  const blit = (source, x, y, w, h) => {
    ctx.imageSmoothingEnabled = source.width > w;
    ctx.drawImage(source, x, y, w, h);
  };
  let y = pad + 40;
  blocks.forEach((block, b) => {
    const { cell, rows } = layout[b];
    if (block.heading) {
      ctx.font = `500 13px ${FONT}`;
      ctx.fillStyle = colors.text;
      ctx.textAlign = 'left';
      ctx.fillText(block.heading, pad, y + 2);
      y += 22;
    }
    if (block.note) {
      ctx.font = `11px ${FONT}`;
      ctx.fillStyle = colors.muted;
      ctx.fillText(block.note, pad, y);
      y += 18;
    }
    const columns = block.columns || [];
    if (rows.sweep) {
      const { inputH, gradH } = rows.sweep;
      columns.forEach((c, k) => {
        const x = pad + k * (cell + gap);
        ctx.font = `11px ${FONT}`;
        ctx.fillStyle = colors.muted;
        ctx.textAlign = 'center';
        ctx.fillText(`α = ${c.alpha}`, x + cell / 2, y);
        if (c.input) blit(c.input, x, y + 16, cell, sizeOf(c.input, cell).h);
        const gy = y + 16 + inputH + (inputH ? gap : 0);
        if (c.grad) blit(c.grad, x, gy, cell, sizeOf(c.grad, cell).h);
        ctx.fillStyle = c.wrong ? colors.wrong : colors.text;
        ctx.fillText(c.pred, x + cell / 2, gy + gradH + 6, cell + gap);
        if (c.wrong) {
          ctx.strokeStyle = colors.wrong;
          ctx.lineWidth = 2;
          ctx.strokeRect(x - 2, y + 14, cell + 4, inputH + (inputH ? gap : 0) + gradH + 22);
        }
        ctx.textAlign = 'left';
      });
      y += 16 + inputH + (inputH ? gap : 0) + gradH + 30;
    }
    for (const key of ['sweepFigures', 'attribution']) {
      const fig = block[key];
      const row = rows[key];
      if (!row) continue;
      if (key === 'attribution' && (columns.length || block.sweepFigures)) y += 12;
      ctx.font = `11px ${FONT}`;
      let x = pad;
      fig.canvases.forEach((source, i) => {
        const { w, h } = row.sizes[i];
        ctx.fillStyle = colors.muted;
        ctx.fillText(fig.captions[i] || '', x, y, w);
        blit(source, x, y + 16, w, h);
        x += w + gap;
      });
      const withStats = key === 'attribution' && b === 0 && stats;
      if (withStats) drawStats(ctx, stats, pad + row.rowW + gap + 8, y, colors);
      y += 18 + Math.max(...row.sizes.map((z) => z.h), withStats ? stats.length * 16 : 0) + 8;
    }
  });
  if (stats && !blocks.some((bl) => bl.attribution && bl.attribution.canvases.length)) drawStats(ctx, stats, pad, y, colors);
  return canvas;
}

function drawStats(ctx, stats, sx, y, colors) {
  ctx.font = `11px ${FONT}`;
  ctx.textAlign = 'left';
  stats.forEach(([label, value], i) => {
    ctx.fillStyle = colors.muted;
    ctx.fillText(label, sx, y + 16 + i * 16);
    ctx.fillStyle = colors.text;
    ctx.fillText(value, sx + 120, y + 16 + i * 16);
  });
}

export function canvasToBlob(canvas, type = 'image/png') {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the image'))), type);
  });
}

const PALETTE_SAMPLES = 8;

/**
 * Renders every epoch through drawFrame(i) -> composite canvas and encodes a GIF. The palette
 * comes from a few evenly spaced frames; then each frame is encoded as soon as it is drawn,
 * so 200 large frames never sit in memory at once. onProgress(done, total) between frames.
 */
export async function recordGif(count, drawFrame, { delayMs, onProgress }) {
  const pixels = (canvas) => {
    const image = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    return { width: image.width, height: image.height, data: image.data };
  };
  const samples = [];
  const picks = new Set(Array.from({ length: Math.min(count, PALETTE_SAMPLES) }, (_, i) => Math.round((i * (count - 1)) / Math.max(1, PALETTE_SAMPLES - 1))));
  for (const i of picks) samples.push(pixels(drawFrame(i)));
  const writer = new GifWriter(samples[0].width, samples[0].height, buildPalette(samples), { delayMs });
  for (let i = 0; i < count; i++) {
    writer.addFrame(pixels(drawFrame(i)));
    onProgress(i + 1, count);
    await nextTask();
  }
  return new Blob([writer.finish()], { type: 'image/gif' });
}

/** The WebM type MediaRecorder supports here, or null. */
export function webmType() {
  if (typeof MediaRecorder === 'undefined' || !HTMLCanvasElement.prototype.captureStream) return null;
  return ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t)) || null;
}

/**
 * Plays every epoch through drawFrame(i) into a canvas stream and records it as WebM, in
 * real time at one frame per delayMs.
 */
export async function recordWebm(count, drawFrame, { delayMs, onProgress }) {
  const type = webmType();
  if (!type) throw new Error('this browser cannot record WebM video');
  const first = drawFrame(0);
  const stage = document.createElement('canvas');
  stage.width = first.width;
  stage.height = first.height;
  const ctx = stage.getContext('2d');
  ctx.drawImage(first, 0, 0);
  const stream = stage.captureStream(0);
  const track = stream.getVideoTracks()[0];
  const recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 4e6 });
  const chunks = [];
  recorder.addEventListener('dataavailable', (e) => {
    if (e.data && e.data.size) chunks.push(e.data);
  });
  const stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // A timeslice makes the encoder hand over data as it goes, not only at stop().
  recorder.start(100);
  for (let i = 0; i < count; i++) {
    ctx.drawImage(drawFrame(i), 0, 0);
    if (track.requestFrame) track.requestFrame();
    onProgress(i + 1, count);
    await sleep(delayMs);
  }
  // Hold the last frame briefly: on a busy machine the encoder may not have taken the
  // requested frames yet, and stopping at once would give a header-only file.
  if (track.requestFrame) track.requestFrame();
  await sleep(Math.max(delayMs, 300));
  recorder.stop();
  await stopped;
  stream.getTracks().forEach((t) => t.stop());
  return new Blob(chunks, { type: 'video/webm' });
}
