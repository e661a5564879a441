// The plugin's HTTP routes (docs/format.md, "Plugin routes").
//
// URLs are relative ("./runs"): TensorBoard's plugin iframe page sets
// <base href="plugin/tb_attrib/"> under ".../data/", so they resolve to
// ".../data/plugin/tb_attrib/runs" whatever --path_prefix is.

import { decodeBundleRecords } from './codec.js';
import { parseExample, parseFeatureMaps, parseGallery, parseProbe } from './model.js';

export class RouteError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'RouteError';
    this.status = status;
  }
}

function url(route, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined) query.set(k, String(v));
  }
  const text = query.toString();
  return `./${route}${text ? `?${text}` : ''}`;
}

async function get(route, params, { signal } = {}) {
  const response = await fetch(url(route, params), { signal, credentials: 'same-origin' });
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    throw new RouteError(response.status, body.trim() || `${route}: HTTP ${response.status}`);
  }
  return response;
}

/**
 * Reads a body as bytes, reporting progress (0..1). The total is the Content-Length, or else
 * the caller's estimate `expectedBytes` (a streamed answer may not announce its length).
 */
async function bytesOf(response, onProgress, expectedBytes) {
  const announced = Number(response.headers.get('Content-Length')) || 0;
  const total = announced || expectedBytes || 0;
  if (!onProgress || !total || !response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks = [];
  const reader = response.body.getReader();
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(Math.min(announced ? 1 : 0.99, received / total));
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(received);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

async function records(route, params, options = {}) {
  const response = await get(route, params, options);
  const bytes = await bytesOf(response, options.onProgress, options.expectedBytes);
  if (options.onBytes) options.onBytes(bytes.length);
  return decodeBundleRecords(bytes);
}

/** {version, runs: [RUN, ...]}. */
export async function fetchRuns(options) {
  const response = await get('runs', {}, options);
  return response.json();
}

export async function fetchProbe(run, options) {
  return parseProbe(await records('probe', { run: run.run, tag: run.probe_tag }, options));
}

export async function fetchGallery(run, options) {
  return parseGallery(
    await records('gallery', { run: run.run, sweep_tag: run.sweep_tag, ig_tag: run.ig_tag }, options),
  );
}

/** Every epoch of one example (epoch null: one request for playback) or just one epoch. */
export async function fetchExample(run, index, epoch, options) {
  const params = { run: run.run, index, epoch, sweep_tag: run.sweep_tag, ig_tag: run.ig_tag };
  return parseExample(await records('example', params, options));
}

export async function fetchFeatureMaps(run, layer, index, epoch, options) {
  return parseFeatureMaps(await records('feature_maps', { run: run.run, layer, index, epoch }, options));
}
