// A small animated-GIF (GIF89a) encoder for exporting the epoch animation. Pure: no DOM.
//
// Frames are RGBA buffers of one size. All frames share one global palette of at most 256
// colours: the exact colours when there are that few, otherwise a median cut over a sample of
// the pixels of every frame (one palette keeps colours steady from frame to frame). Pixels
// are LZW-compressed as the GIF89a specification describes (variable-width codes, LSB first,
// clear code when the 4096-entry dictionary is full).

const MAX_SAMPLES = 1 << 17;

/**
 * Encodes frames into an animated GIF (all frames in memory; see GifWriter for streaming).
 *
 * @param {{width: number, height: number, data: Uint8ClampedArray|Uint8Array}[]} frames RGBA.
 * @param {{delayMs?: number, loop?: number}} options frame delay (rounded to 1/100 s) and
 *   loop count (0 = forever).
 * @returns {Uint8Array} the GIF file.
 */
export function encodeGif(frames, options = {}) {
  if (!frames.length) throw new Error('a GIF needs at least one frame');
  const writer = new GifWriter(frames[0].width, frames[0].height, buildPalette(frames), options);
  for (const frame of frames) writer.addFrame(frame);
  return writer.finish();
}

/**
 * Writes a GIF frame by frame, so that a long animation never holds every frame's pixels:
 * build the palette from a sample of frames (buildPalette), then add the frames one by one.
 */
export class GifWriter {
  constructor(width, height, { palette, indexOf }, { delayMs = 200, loop = 0 } = {}) {
    if (width < 1 || height < 1 || width > 65535 || height > 65535) {
      throw new Error('GIF sides must be 1 to 65535 pixels');
    }
    this.width = width;
    this.height = height;
    this.indexOf = indexOf;
    this.delay = Math.max(0, Math.round(delayMs / 10));
    const tableBits = Math.max(1, Math.ceil(Math.log2(Math.max(2, palette.length / 3))));
    this.minCodeSize = Math.max(2, tableBits);
    this.indices = new Uint8Array(width * height);
    const out = (this.out = new ByteWriter());
    out.text('GIF89a');
    out.u16(width);
    out.u16(height);
    out.byte(0x80 | 0x70 | (tableBits - 1)); // global table, 8-bit colour resolution
    out.byte(0); // background colour index
    out.byte(0); // pixel aspect ratio: unspecified
    const table = new Uint8Array((1 << tableBits) * 3);
    table.set(palette);
    out.bytes(table);
    // NETSCAPE2.0 application extension: loop count.
    out.bytes([0x21, 0xff, 0x0b]);
    out.text('NETSCAPE2.0');
    out.bytes([0x03, 0x01]);
    out.u16(loop);
    out.byte(0);
  }

  /** Adds one RGBA frame of the writer's size. */
  addFrame(frame) {
    const { width, height, out, indices } = this;
    if (frame.width !== width || frame.height !== height || frame.data.length < width * height * 4) {
      throw new Error('every frame must have the size of the first');
    }
    out.bytes([0x21, 0xf9, 0x04, 0x04]); // graphic control: disposal "leave in place"
    out.u16(this.delay);
    out.bytes([0, 0]); // no transparent colour; block terminator
    out.byte(0x2c);
    out.u16(0);
    out.u16(0);
    out.u16(width);
    out.u16(height);
    out.byte(0); // no local table, not interlaced
    const px = frame.data;
    for (let i = 0, o = 0; i < indices.length; i++, o += 4) {
      indices[i] = this.indexOf(px[o], px[o + 1], px[o + 2]);
    }
    out.byte(this.minCodeSize);
    const data = lzwEncode(indices, this.minCodeSize);
    for (let at = 0; at < data.length; at += 255) {
      const block = data.subarray(at, Math.min(data.length, at + 255));
      out.byte(block.length);
      out.bytes(block);
    }
    out.byte(0);
  }

  /** The finished file. */
  finish() {
    this.out.byte(0x3b);
    return this.out.finish();
  }
}

/**
 * A palette (flat RGB bytes) and a function mapping a colour to its palette index: exact when
 * the frames hold at most 256 colours, otherwise median cut plus a nearest-colour cache.
 */
export function buildPalette(frames) {
  const exact = new Map();
  for (const f of frames) {
    const px = f.data;
    const n = f.width * f.height * 4;
    for (let o = 0; o < n; o += 4) {
      const key = (px[o] << 16) | (px[o + 1] << 8) | px[o + 2];
      if (!exact.has(key)) {
        if (exact.size === 256) {
          exact.clear();
          return medianCutPalette(frames);
        }
        exact.set(key, exact.size);
      }
    }
  }
  const palette = new Uint8Array(exact.size * 3);
  for (const [key, i] of exact) {
    palette[i * 3] = key >> 16;
    palette[i * 3 + 1] = (key >> 8) & 255;
    palette[i * 3 + 2] = key & 255;
  }
  // Colours of frames that were not sampled fall back to the nearest palette entry.
  return { palette, indexOf: nearestIndex(palette, exact) };
}

/** Maps a colour to its nearest palette entry, remembering every answer in `cache`. */
function nearestIndex(palette, cache = new Map()) {
  const count = palette.length / 3;
  return (r, g, b) => {
    const key = (r << 16) | (g << 8) | b;
    let index = cache.get(key);
    if (index === undefined) {
      let bestDistance = Infinity;
      for (let i = 0; i < count; i++) {
        const dr = palette[i * 3] - r;
        const dg = palette[i * 3 + 1] - g;
        const db = palette[i * 3 + 2] - b;
        const d = dr * dr + dg * dg + db * db;
        if (d < bestDistance) {
          bestDistance = d;
          index = i;
        }
      }
      cache.set(key, index);
    }
    return index;
  };
}

function medianCutPalette(frames) {
  const total = frames.reduce((a, f) => a + f.width * f.height, 0);
  const step = Math.max(1, Math.floor(total / MAX_SAMPLES));
  const samples = [];
  let seen = 0;
  for (const f of frames) {
    const n = f.width * f.height;
    for (let i = 0; i < n; i++, seen++) {
      if (seen % step === 0) samples.push((f.data[i * 4] << 16) | (f.data[i * 4 + 1] << 8) | f.data[i * 4 + 2]);
    }
  }
  const channel = (c, k) => (c >> (16 - 8 * k)) & 255;
  let boxes = [Uint32Array.from(samples)];
  while (boxes.length < 256) {
    // Split the box with the widest channel range (ties: the most pixels) at its median.
    let best = -1;
    let bestScore = 0;
    let bestChannel = 0;
    boxes.forEach((box, i) => {
      if (box.length < 2) return;
      for (let k = 0; k < 3; k++) {
        let lo = 255;
        let hi = 0;
        for (const c of box) {
          const v = channel(c, k);
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        const score = (hi - lo) * 1e7 + box.length;
        if (hi > lo && score > bestScore) {
          bestScore = score;
          best = i;
          bestChannel = k;
        }
      }
    });
    if (best < 0) break;
    const box = boxes[best].slice().sort((a, b) => channel(a, bestChannel) - channel(b, bestChannel));
    const mid = box.length >> 1;
    boxes.splice(best, 1, box.subarray(0, mid), box.subarray(mid));
  }
  const palette = new Uint8Array(boxes.length * 3);
  boxes.forEach((box, i) => {
    for (let k = 0; k < 3; k++) {
      let sum = 0;
      for (const c of box) sum += channel(c, k);
      palette[i * 3 + k] = Math.round(sum / box.length);
    }
  });
  return { palette, indexOf: nearestIndex(palette) };
}

/** GIF-flavoured LZW of palette indices: the raw code stream, before sub-blocking. */
export function lzwEncode(indices, minCodeSize) {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const writer = new BitWriter();
  let dictionary = new Map();
  let next = end + 1;
  let width = minCodeSize + 1;
  writer.write(clear, width);
  if (!indices.length) {
    writer.write(end, width);
    return writer.finish();
  }
  let prefix = indices[0];
  for (let i = 1; i < indices.length; i++) {
    const k = indices[i];
    const key = prefix * 256 + k;
    const found = dictionary.get(key);
    if (found !== undefined) {
      prefix = found;
      continue;
    }
    writer.write(prefix, width);
    if (next < 4096) {
      dictionary.set(key, next);
      // The decoder widens its codes one entry later than the encoder adds it.
      if (next === 1 << width && width < 12) width++;
      next++;
    } else {
      writer.write(clear, width);
      dictionary = new Map();
      next = end + 1;
      width = minCodeSize + 1;
    }
    prefix = k;
  }
  writer.write(prefix, width);
  writer.write(end, width);
  return writer.finish();
}

class BitWriter {
  constructor() {
    this.bytes = new ByteWriter();
    this.acc = 0;
    this.bits = 0;
  }

  write(code, width) {
    this.acc |= code << this.bits;
    this.bits += width;
    while (this.bits >= 8) {
      this.bytes.byte(this.acc & 255);
      this.acc >>>= 8;
      this.bits -= 8;
    }
  }

  finish() {
    if (this.bits > 0) this.bytes.byte(this.acc & 255);
    return this.bytes.finish();
  }
}

class ByteWriter {
  constructor() {
    this.buffer = new Uint8Array(1 << 16);
    this.length = 0;
  }

  reserve(n) {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(b) {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  bytes(list) {
    this.reserve(list.length);
    this.buffer.set(list, this.length);
    this.length += list.length;
  }

  u16(v) {
    this.byte(v & 255);
    this.byte((v >> 8) & 255);
  }

  text(s) {
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }

  finish() {
    return this.buffer.slice(0, this.length);
  }
}
