// Fetching and decoding the plugin's routes (docs/format.md, "Plugin routes").

import { decodeBundleRecords } from './codec.js';
import { parseAttribution } from './compare_data.js';
import { parseExample, parseFeatureMaps, parseGallery, parseProbe } from './model.js';
import { takePrefetched } from './prefetch.js';
import { attributionUrl, exampleUrl, featureMapsUrl, galleryUrl, probeUrl, routeUrl } from './routes.js';

export class RouteError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'RouteError';
    this.status = status;
  }
}

async function get(url, { signal } = {}) {
  const response = await (takePrefetched(url) || fetch(url, { signal, credentials: 'same-origin' }));
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    throw new RouteError(response.status, body.trim() || `${url}: HTTP ${response.status}`);
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

async function records(url, options = {}) {
  const response = await get(url, options);
  const bytes = await bytesOf(response, options.onProgress, options.expectedBytes);
  if (options.onBytes) options.onBytes(bytes.length);
  return decodeBundleRecords(bytes);
}

/** {version, runs: [RUN, ...]}. */
export async function fetchRuns(options) {
  const response = await get(routeUrl('runs'), options);
  return response.json();
}

export async function fetchProbe(run, options) {
  return parseProbe(await records(probeUrl(run), options));
}

/** The digests of every epoch (epoch null) or of one epoch. */
export async function fetchGallery(run, epoch = null, options = {}) {
  return parseGallery(await records(galleryUrl(run, epoch), options));
}

/** Every epoch of one example (epoch null: one request for playback) or just one epoch. */
export async function fetchExample(run, index, epoch, options) {
  return parseExample(await records(exampleUrl(run, index, epoch), options));
}

export async function fetchFeatureMaps(run, layer, index, epoch, options) {
  return parseFeatureMaps(await records(featureMapsUrl(run, layer, index, epoch), options));
}

/** Map epoch -> parsed IG record of one series of one example (every epoch when null). */
export async function fetchAttribution(run, tag, index, epoch, options) {
  return parseAttribution(await records(attributionUrl(run, tag, index, epoch), options));
}
