// Canvases that show small images crisply at a chosen on-screen size.

import { el } from './dom.js';

/** A canvas with `width` x `height` pixels. */
export function pixelCanvas(width, height, props = {}) {
  const canvas = el('canvas', props);
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/** Resizes a canvas's pixel buffer when needed (dropping its cached ImageData). */
export function ensureSize(canvas, width, height) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
    canvas.imageCache = null;
  }
}

/** Copies RGBA bytes (width * height * 4) into the canvas, reusing one ImageData. */
export function putRgba(canvas, rgba) {
  const ctx = canvas.getContext('2d');
  let image = canvas.imageCache;
  if (!image || image.width !== canvas.width || image.height !== canvas.height) {
    image = canvas.imageCache = ctx.createImageData(canvas.width, canvas.height);
  }
  image.data.set(rgba.length === image.data.length ? rgba : rgba.subarray(0, image.data.length));
  ctx.putImageData(image, 0, 0);
}

/** The RGBA scratch buffer of a canvas (reused from frame to frame). */
export function scratch(canvas) {
  const size = canvas.width * canvas.height * 4;
  if (!canvas.scratch || canvas.scratch.length !== size) canvas.scratch = new Uint8ClampedArray(size);
  return canvas.scratch;
}

/**
 * Shows the canvas `cssWidth` pixels wide (height by aspect ratio): nearest-neighbour when
 * enlarging, so every stored pixel stays a crisp square, smooth when shrinking.
 */
export function displayAt(canvas, cssWidth) {
  const w = Math.max(1, Math.round(cssWidth));
  // A map of a flat [D] input is one row of D pixels: give it a visible band, not 1 px.
  const h = canvas.height === 1 ? Math.max(12, Math.round(w / 8)) : Math.max(1, Math.round((w * canvas.height) / canvas.width));
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  canvas.style.imageRendering = w >= canvas.width ? 'pixelated' : 'auto';
}

/** A canvas sized for crisp vector drawing on high-DPI screens; returns its 2D context. */
export function hidpiContext(canvas, cssWidth, cssHeight) {
  const ratio = Math.min(3, globalThis.devicePixelRatio || 1);
  const w = Math.round(cssWidth * ratio);
  const h = Math.round(cssHeight * ratio);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  if (canvas.style.width !== `${cssWidth}px`) canvas.style.width = `${cssWidth}px`;
  if (canvas.style.height !== `${cssHeight}px`) canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}
