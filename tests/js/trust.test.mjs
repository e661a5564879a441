import assert from 'node:assert/strict';
import test from 'node:test';

import { decodeBundleRecords, decodeRecord } from '../../frontend/codec.js';
import { parseGallery, parseIg } from '../../frontend/model.js';
import { verdict } from '../../frontend/trust.js';
import { galleryOrder, latestSanity, sanityNotice, settledEpoch, stabilityByExample } from '../../frontend/trust_data.js';
import { runPython } from './pyhelper.mjs';

test('settled epoch: from where the correlation stays above 0.9 to the end', () => {
  assert.equal(settledEpoch([0, 1, 2, 3], [NaN, 0.95, 0.5, 0.93]), 3);
  assert.equal(settledEpoch([0, 1, 2, 3], [NaN, 0.95, 0.95, 0.91]), 1);
  assert.equal(settledEpoch([0, 1, 2], [NaN, 0.95, NaN]), null);
  assert.equal(settledEpoch([], []), null);
});

test('gallery order puts the maps still changing first, ties in probe order', () => {
  const stability = [{ settled: 2 }, { settled: null }, { settled: 5 }, { settled: 2 }];
  assert.deepEqual(galleryOrder(stability, 'changing'), [1, 2, 0, 3]);
  assert.deepEqual(galleryOrder(stability, 'probe'), [0, 1, 2, 3]);
});

test('the sanity notice counts the examples with a high correlation', () => {
  const digests = new Map([
    [4, { trust: { sanity: [0.1, 0.7], sanityLayer: '<b>top</b>' } }],
    [6, { trust: { sanity: null } }],
    [9, { trust: { sanity: [0.2, 0.1] } }],
  ]);
  const atSix = latestSanity(digests, 6);
  assert.equal(atSix.epoch, 4);
  assert.match(sanityNotice(atSix), /^Sanity check at epoch 4: for 1 of 2 probe examples .* top layer '<b>top<\/b>'/);
  assert.equal(sanityNotice(latestSanity(digests)), null); // epoch 9: all low
  assert.equal(latestSanity(new Map(), 3), null);
});

test('verdict words the areas against the random order', () => {
  assert.match(verdict({ deletionAuc: 0.2, insertionAuc: 0.8, randomAuc: 0.5 }), /^More faithful/);
  assert.match(verdict({ deletionAuc: 0.6, insertionAuc: 0.4, randomAuc: 0.5 }), /^No more faithful/);
  assert.match(verdict({ deletionAuc: 0.2, insertionAuc: 0.4, randomAuc: 0.5 }), /^Deletion beats/);
  assert.equal(verdict({ deletionAuc: NaN, insertionAuc: 0.4, randomAuc: 0.5 }), '');
});

test('reads the checks the write op stores (and none from an older record)', (t) => {
  const py = runPython(`
import base64, json, sys, types
import numpy as np
sys.modules.setdefault("tensorflow", types.ModuleType("tensorflow"))
from tb_attrib.summary import codec, summary_v2
captured = {}
summary_v2._write = lambda name, kind, records, step, description, **extra: captured.setdefault("r", records) and True
n = 2
trust = {
    "fractions": np.broadcast_to(np.linspace(0, 1, 3), (n, 3)),
    "deletion": np.array([[0.9, 0.2, 0.1], [0.8, 0.5, 0.1]]),
    "insertion": np.array([[0.1, 0.7, 0.9], [0.1, 0.3, 0.8]]),
    "random_order": np.array([[0.1, 0.4, 0.9], [0.1, 0.4, 0.8]]),
    "deletion_auc": np.array([0.35, 0.475]), "insertion_auc": np.array([0.6, 0.375]),
    "random_auc": np.array([0.45, 0.425]), "stability": np.array([np.nan, 0.93]),
    "sanity": np.array([0.1, 0.8]), "sanity_layer": "dense",
}
summary_v2.integrated_gradients("ig", attributions=np.ones((n, 4), np.float32), delta=np.zeros(n),
    targets=[0, 1], score_input=np.ones(n), score_baseline=np.zeros(n), trust=trust)
old = codec.encode_record({"target": 0}, {"map": np.zeros((1, 4), np.int8), "scale": np.float32(1)})
bundle = codec.encode_bundle([codec.encode_record({"epochs": [3]}, {}), b"", captured["r"][0]])
print(json.dumps({"records": [base64.b64encode(r).decode() for r in captured["r"] + [old]],
                  "gallery": base64.b64encode(bundle).decode()}))
`);
  if (!py) return t.skip('no Python with tb_attrib');
  const [, first, second, old] = py.records.map((b) => decodeRecord(Buffer.from(b, 'base64')));
  const a = parseIg(first).trust;
  assert.deepEqual(a.fractions, [0, 0.5, 1]);
  assert.equal(a.deletion.length, 3);
  assert.ok(Number.isNaN(a.stability));
  assert.ok(Math.abs(a.sanity - 0.1) < 1e-6);
  assert.equal(a.sanityLayer, 'dense');
  assert.ok(Math.abs(parseIg(second).trust.insertionAuc - 0.375) < 1e-6);
  assert.equal(parseIg(old).trust, null);
  const gallery = parseGallery(decodeBundleRecords(Buffer.from(py.gallery, 'base64')));
  const stability = stabilityByExample(gallery.ig, 2);
  assert.deepEqual(stability.map((s) => s.settled), [null, 3]);
});
