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
 * Draws the current view onto one canvas: a title line, the sweep (alpha, scaled input,
 * gradient, prediction per column) and the IG row with its completeness delta.
 *
 * parts: {title, subtitle, columns: [{alpha, input, grad, pred, wrong}], ig: {canvases,
 * captions, stats} | null, colors}
 */
export function composeView(parts, target) {
  const { columns, ig, colors } = parts;
  const natural = columns.length ? columns[0].input.width : ig ? ig.canvases[0].width : 32;
  const cell = Math.max(64, Math.min(112, natural * Math.max(1, Math.round(96 / natural))));
  const gap = 6;
  const pad = 12;
  const sweepW = columns.length * cell + Math.max(0, columns.length - 1) * gap;
  const igW = ig ? 3 * cell + 2 * gap + 220 : 0;
  const width = Math.max(sweepW, igW, 360) + 2 * pad;
  const sweepH = columns.length ? 16 + 2 * cell + gap + 30 : 0;
  const igH = ig ? 18 + cell + 8 : 0;
  const height = pad + 40 + sweepH + (ig ? 12 + igH : 0) + pad;
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
  const blit = (source, x, y) => {
    ctx.imageSmoothingEnabled = source.width > cell;
    ctx.drawImage(source, x, y, cell, Math.round((cell * source.height) / source.width));
  };
  let y = pad + 40;
  columns.forEach((c, k) => {
    const x = pad + k * (cell + gap);
    ctx.font = `11px ${FONT}`;
    ctx.fillStyle = colors.muted;
    ctx.textAlign = 'center';
    ctx.fillText(`α = ${c.alpha}`, x + cell / 2, y);
    blit(c.input, x, y + 16);
    blit(c.grad, x, y + 16 + cell + gap);
    ctx.fillStyle = c.wrong ? colors.wrong : colors.text;
    ctx.fillText(c.pred, x + cell / 2, y + 16 + 2 * cell + gap + 6, cell + gap);
    if (c.wrong) {
      ctx.strokeStyle = colors.wrong;
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 2, y + 14, cell + 4, 2 * cell + gap + 22);
    }
    ctx.textAlign = 'left';
  });
  if (ig) {
    y += sweepH + 12;
    ctx.font = `11px ${FONT}`;
    ig.canvases.forEach((source, i) => {
      const x = pad + i * (cell + gap);
      ctx.fillStyle = colors.muted;
      ctx.fillText(ig.captions[i], x, y, cell);
      blit(source, x, y + 16);
    });
    const sx = pad + 3 * (cell + gap) + 8;
    ig.stats.forEach(([label, value], i) => {
      ctx.fillStyle = colors.muted;
      ctx.fillText(label, sx, y + 16 + i * 16);
      ctx.fillStyle = colors.text;
      ctx.fillText(value, sx + 120, y + 16 + i * 16);
    });
  }
  return canvas;
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
