// The JavaScript half of the tb_attrib byte format (docs/format.md; the Python half is
// tb_attrib/summary/codec.py). Pure: no DOM, so Node's test runner checks it.
//
// A record is "TBAR", a layout version byte, three zero bytes, a uint32 LE header length H,
// H bytes of UTF-8 JSON {"fields": {...}, "arrays": [[name, dtype, shape, offset], ...]},
// then the arrays, each starting at a multiple of 8 from the record start. A bundle is
// "TBAB", a uint32 LE count, count uint32 LE lengths (0 = absent), then the records, each
// starting at a multiple of 8 from the bundle start.

export const LAYOUT_VERSION = 1;
export const NONFINITE_CODE = -128;
const LEVELS = 127;

const DTYPES = {
  i1: { size: 1, array: Int8Array, get: (view, at) => view.getInt8(at) },
  u1: { size: 1, array: Uint8Array, get: (view, at) => view.getUint8(at) },
  i4: { size: 4, array: Int32Array, get: (view, at) => view.getInt32(at, true) },
  f4: { size: 4, array: Float32Array, get: (view, at) => view.getFloat32(at, true) },
};

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export class RecordError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RecordError';
  }
}

const pad8 = (n) => Math.ceil(n / 8) * 8;

function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new RecordError('expected an ArrayBuffer or a typed array');
}

function magicIs(bytes, text) {
  for (let i = 0; i < 4; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Decodes one record.
 *
 * Returns {fields, arrays}; each array is {dtype, shape, data} with data a typed array in C
 * order. Arrays are views into the input bytes when alignment and endianness allow (no copy),
 * so keep the input alive and do not mutate it.
 * @throws {RecordError} wrong magic, newer layout, or sizes that do not fit the bytes.
 */
export function decodeRecord(data) {
  const bytes = asBytes(data);
  if (bytes.length < 12) throw new RecordError('record is shorter than its prefix');
  if (!magicIs(bytes, 'TBAR')) {
    throw new RecordError('record does not start with the tb_attrib magic bytes');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const layout = view.getUint8(4);
  if (layout > LAYOUT_VERSION) {
    throw new RecordError(`record layout version ${layout} is newer than ${LAYOUT_VERSION}`);
  }
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) {
    throw new RecordError('record header runs past the end of the record');
  }
  let header;
  try {
    header = JSON.parse(textDecoder.decode(bytes.subarray(12, 12 + headerLength)));
  } catch (e) {
    throw new RecordError(`record header is not valid: ${e.message}`);
  }
  if (!header || typeof header.fields !== 'object' || !Array.isArray(header.arrays)) {
    throw new RecordError('record header lacks fields or arrays');
  }
  const start = pad8(12 + headerLength);
  const arrays = {};
  for (const entry of header.arrays) {
    if (!Array.isArray(entry) || entry.length !== 4) {
      throw new RecordError(`record array entry is not valid: ${JSON.stringify(entry)}`);
    }
    const [name, code, shape, offset] = entry;
    const dtype = DTYPES[code];
    if (!dtype || !Array.isArray(shape) || !Number.isInteger(offset) || offset < 0) {
      throw new RecordError(`record array entry is not valid: ${JSON.stringify(entry)}`);
    }
    if (!shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new RecordError(`record array ${name} has an invalid shape`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    const begin = start + offset;
    if (begin + count * dtype.size > bytes.length) {
      throw new RecordError(`record array ${name} does not fit in the record`);
    }
    arrays[String(name)] = { dtype: code, shape: shape.slice(), data: readArray(bytes, view, dtype, begin, count) };
  }
  return { fields: header.fields, arrays };
}

function readArray(bytes, view, dtype, begin, count) {
  const absolute = bytes.byteOffset + begin;
  if ((LITTLE_ENDIAN || dtype.size === 1) && absolute % dtype.size === 0) {
    return new dtype.array(bytes.buffer, absolute, count);
  }
  const out = new dtype.array(count);
  for (let i = 0; i < count; i++) out[i] = dtype.get(view, begin + i * dtype.size);
  return out;
}

/**
 * Splits a bundle into its records: Uint8Array views into the input, or null where absent.
 * @throws {RecordError} wrong magic or lengths that run past the end.
 */
export function decodeBundle(data) {
  const bytes = asBytes(data);
  if (bytes.length < 8) throw new RecordError('bundle is shorter than its prefix');
  if (!magicIs(bytes, 'TBAB')) {
    throw new RecordError('bundle does not start with the tb_attrib bundle magic bytes');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4, true);
  const head = 8 + 4 * count;
  if (head > bytes.length) throw new RecordError('bundle length table runs past the end');
  let offset = pad8(head);
  const out = [];
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(8 + 4 * i, true);
    if (offset + length > bytes.length) throw new RecordError('bundle record runs past the end');
    out.push(length ? bytes.subarray(offset, offset + length) : null);
    offset += pad8(length);
  }
  return out;
}

/** Decodes a bundle and each present record; absent records stay null. */
export function decodeBundleRecords(data) {
  return decodeBundle(data).map((part) => (part ? decodeRecord(part) : null));
}

/** The value one int8 code stands for, for a map whose largest |value| is `scale`. */
export function dequantizeCode(code, scale) {
  if (code === NONFINITE_CODE) return NaN;
  const ratio = code / LEVELS;
  return Math.sign(ratio) * ratio * ratio * scale;
}

/**
 * Signed square-root dequantisation: v = sign(q) * (q / 127)^2 * s, NaN for q = -128.
 * `scales` is one number, or one scale per map of `mapSize` codes.
 */
export function dequantize(codes, scales, mapSize = codes.length) {
  const out = new Float32Array(codes.length);
  const perMap = typeof scales === 'number' ? null : scales;
  for (let m = 0, at = 0; at < codes.length; m++, at += mapSize) {
    const table = codeTable(perMap ? perMap[m] : scales);
    const end = Math.min(codes.length, at + mapSize);
    for (let i = at; i < end; i++) out[i] = table[codes[i] + 128];
  }
  return out;
}

/** The 256 decoded values of codes -128..127 (index code + 128) for one scale. */
export function codeTable(scale) {
  const table = new Float32Array(256);
  for (let q = -128; q < 128; q++) table[q + 128] = dequantizeCode(q, scale);
  return table;
}

/** A scalar field stored as a 0-d (or, from NumPy's ascontiguousarray, 1-element) array. */
export function scalar(array) {
  if (!array || array.data.length < 1) return NaN;
  return array.data[0];
}
