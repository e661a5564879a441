import assert from 'node:assert/strict';
import test from 'node:test';

import {
  RecordError,
  codeTable,
  decodeBundle,
  decodeBundleRecords,
  decodeRecord,
  dequantize,
  dequantizeCode,
  scalar,
} from '../../frontend/codec.js';
import { runPython } from './pyhelper.mjs';

// A minimal JavaScript writer of the record layout, for hand-made edge cases.
function record(fields, arrays = [], { magic = 'TBAR', layout = 1 } = {}) {
  const entries = [];
  const payloads = [];
  let offset = 0;
  for (const [name, dtype, shape, bytes] of arrays) {
    entries.push([name, dtype, shape, offset]);
    payloads.push(bytes);
    offset += Math.ceil(bytes.length / 8) * 8;
  }
  const header = new TextEncoder().encode(JSON.stringify({ fields, arrays: entries }));
  const start = Math.ceil((12 + header.length) / 8) * 8;
  const out = new Uint8Array(start + offset);
  for (let i = 0; i < 4; i++) out[i] = magic.charCodeAt(i);
  out[4] = layout;
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  entries.forEach((e, i) => out.set(payloads[i], start + e[3]));
  return out;
}

function bundle(records) {
  const head = 8 + 4 * records.length;
  let size = Math.ceil(head / 8) * 8;
  for (const r of records) size += Math.ceil((r ? r.length : 0) / 8) * 8;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([84, 66, 65, 66]);
  view.setUint32(4, records.length, true);
  let at = Math.ceil(head / 8) * 8;
  records.forEach((r, i) => {
    view.setUint32(8 + 4 * i, r ? r.length : 0, true);
    if (r) out.set(r, at);
    at += Math.ceil((r ? r.length : 0) / 8) * 8;
  });
  return out;
}

test('decodes fields and arrays of every dtype', () => {
  const f4 = new Uint8Array(new Float32Array([1.5, -2, Number.NaN]).buffer);
  const i4 = new Uint8Array(new Int32Array([7, -9]).buffer);
  const bytes = record({ index: 3, name: '<img src=x>' }, [
    ['codes', 'i1', [2, 2], new Uint8Array([1, 255, 128, 127])],
    ['image', 'u1', [1, 3], new Uint8Array([0, 128, 255])],
    ['ints', 'i4', [2], i4],
    ['floats', 'f4', [3], f4],
    ['empty', 'f4', [0, 4], new Uint8Array(0)],
  ]);
  const r = decodeRecord(bytes);
  assert.deepEqual(r.fields, { index: 3, name: '<img src=x>' });
  assert.deepEqual([...r.arrays.codes.data], [1, -1, -128, 127]);
  assert.deepEqual(r.arrays.codes.shape, [2, 2]);
  assert.deepEqual([...r.arrays.image.data], [0, 128, 255]);
  assert.deepEqual([...r.arrays.ints.data], [7, -9]);
  assert.equal(r.arrays.floats.data[0], 1.5);
  assert.ok(Number.isNaN(r.arrays.floats.data[2]));
  assert.equal(r.arrays.empty.data.length, 0);
});

test('decodes records at unaligned offsets by copying', () => {
  const inner = record({}, [['v', 'f4', [2], new Uint8Array(new Float32Array([3, 4]).buffer)]]);
  const shifted = new Uint8Array(inner.length + 1);
  shifted.set(inner, 1);
  const r = decodeRecord(shifted.subarray(1));
  assert.deepEqual([...r.arrays.v.data], [3, 4]);
});

test('rejects malformed records', () => {
  assert.throws(() => decodeRecord(new Uint8Array(5)), RecordError);
  assert.throws(() => decodeRecord(record({}, [], { magic: 'XXXX' })), /magic/);
  assert.throws(() => decodeRecord(record({}, [], { layout: 2 })), /newer/);
  const good = record({}, [['v', 'f4', [4], new Uint8Array(16)]]);
  assert.throws(() => decodeRecord(good.subarray(0, good.length - 4)), /does not fit/);
  const header = record({ a: 1 });
  new DataView(header.buffer).setUint32(8, 10000, true);
  assert.throws(() => decodeRecord(header), /header runs past/);
  const bad = record({}, [['v', 'x9', [1], new Uint8Array(8)]]);
  assert.throws(() => decodeRecord(bad), /not valid/);
});

test('splits bundles, keeping absent records as null', () => {
  const a = record({ n: 1 });
  const b = record({ n: 2 }, [['x', 'u1', [3], new Uint8Array([1, 2, 3])]]);
  const parts = decodeBundle(bundle([a, null, b]));
  assert.equal(parts.length, 3);
  assert.equal(parts[1], null);
  assert.deepEqual(decodeRecord(parts[2]).fields, { n: 2 });
  const records = decodeBundleRecords(bundle([a, null]).buffer);
  assert.deepEqual(records[0].fields, { n: 1 });
  assert.equal(records[1], null);
  assert.deepEqual(decodeBundle(bundle([])), []);
  assert.throws(() => decodeBundle(new Uint8Array([1, 2, 3, 4, 0, 0, 0, 0])), /magic/);
  const truncated = bundle([a]);
  assert.throws(() => decodeBundle(truncated.subarray(0, truncated.length - 8)), /past the end/);
});

test('signed square-root dequantisation and the NaN code', () => {
  assert.equal(dequantizeCode(127, 2), 2);
  assert.equal(dequantizeCode(-127, 2), -2);
  assert.equal(dequantizeCode(0, 2), 0);
  assert.ok(Math.abs(dequantizeCode(64, 1) - (64 / 127) ** 2) < 1e-12);
  assert.ok(Math.abs(dequantizeCode(-64, 1) + (64 / 127) ** 2) < 1e-12);
  assert.ok(Number.isNaN(dequantizeCode(-128, 1)));
  const values = dequantize(new Int8Array([127, -127, 127, -128]), new Float32Array([1, 3]), 2);
  assert.deepEqual([...values.subarray(0, 3)], [1, -1, 3]);
  assert.ok(Number.isNaN(values[3]));
  assert.equal(codeTable(5)[127 + 128], 5);
  assert.equal(scalar({ data: new Float32Array([0.25]) }), 0.25);
  assert.ok(Number.isNaN(scalar(undefined)));
});

test('reads what the Python codec writes, value for value', (t) => {
  const py = runPython(`
import base64, json
import numpy as np
from tb_attrib.summary import codec
rng = np.random.default_rng(1)
maps = rng.normal(size=(3, 5, 7)).astype(np.float32) ** 3
maps[1, 2, 3] = np.nan
maps[2] = 0
codes, scales = codec.quantize_maps(maps)
rec = codec.encode_record(
    {"alphas": [0.1, 1.0], "name": "naïve <b>"},
    {"maps": codes, "scales": scales, "labels": np.array([3, -1], np.int32),
     "image": np.arange(12, dtype=np.uint8).reshape(2, 2, 3), "s": np.float32(0.5)},
)
data = codec.encode_bundle([rec, None, rec])
decoded = codec.dequantize_maps(codes, scales)
print(json.dumps({
    "bundle": base64.b64encode(data).decode(),
    "codes": codes.ravel().tolist(),
    "scales": scales.tolist(),
    "values": [None if np.isnan(v) else float(v) for v in decoded.ravel()],
    "sShape": list(codec.decode_record(rec).arrays["s"].shape),
}))
`);
  if (!py) return t.skip('no Python with tb_attrib');
  const records = decodeBundleRecords(Buffer.from(py.bundle, 'base64'));
  assert.equal(records.length, 3);
  assert.equal(records[1], null);
  const r = records[2];
  assert.deepEqual(r.fields, { alphas: [0.1, 1.0], name: 'naïve <b>' });
  assert.deepEqual(r.arrays.maps.shape, [3, 5, 7]);
  assert.deepEqual([...r.arrays.maps.data], py.codes);
  assert.deepEqual([...r.arrays.scales.data], py.scales.map(Math.fround));
  assert.deepEqual([...r.arrays.labels.data], [3, -1]);
  assert.deepEqual([...r.arrays.image.data], [...Array(12).keys()]);
  assert.deepEqual(r.arrays.s.shape, py.sShape);
  assert.equal(scalar(r.arrays.s), 0.5);
  const values = dequantize(r.arrays.maps.data, r.arrays.scales.data, 35);
  py.values.forEach((expected, i) => {
    if (expected === null) assert.ok(Number.isNaN(values[i]), `pixel ${i} should be NaN`);
    else assert.ok(Math.abs(values[i] - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `pixel ${i}`);
  });
});
