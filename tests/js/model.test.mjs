import assert from 'node:assert/strict';
import test from 'node:test';

import { decodeBundleRecords } from '../../frontend/codec.js';
import {
  argmax,
  className,
  fullInputAlpha,
  galleryPrediction,
  parseExample,
  parseFeatureMaps,
  parseGallery,
  parseProbe,
  splitEpochBundle,
} from '../../frontend/model.js';
import { runPython } from './pyhelper.mjs';

test('small helpers', () => {
  assert.deepEqual(argmax(new Float32Array([0.1, 0.7, 0.2, 0.9, 0.05]), 1, 3), { cls: 2, prob: Math.fround(0.9) });
  assert.equal(fullInputAlpha([0.5, 1, 0.1]), 1);
  assert.equal(className(['a', '<b>'], 1), '<b>');
  assert.equal(className(null, 3), 'class 3');
  assert.equal(className(['a'], -1), '—');
  assert.equal(galleryPrediction(null, 0), null);
  assert.throws(() => splitEpochBundle([{ fields: { epochs: [1, 2] } }, null], 2), /lists 2 epochs/);
  assert.throws(() => splitEpochBundle([null], 2), /no epoch index/);
});

test('parses what the write ops and the routes produce', (t) => {
  // The records are made by the real write ops' encoders and framed as the routes do.
  const py = runPython(`
import base64, json, sys, types
import numpy as np
# The write ops' encoders without TensorFlow: _write (the only TF call) is replaced below.
sys.modules.setdefault("tensorflow", types.ModuleType("tensorflow"))
from tb_attrib.summary import codec, summary_v2
captured = {}
def fake_write(name, kind, records, step, description, **extra):
    captured[kind] = records
    return True
summary_v2._write = fake_write
rng = np.random.default_rng(0)
x = rng.random((2, 4, 5, 3)).astype(np.float32)
summary_v2.probe("p", x, labels=[1, 0], class_names=["cat", "<dog>"], masks=x[..., 0] > 0.5)
preds = rng.random((2, 3, 2)).astype(np.float32)
summary_v2.interior_gradients("s", [0.1, 0.5, 1.0], rng.normal(size=(2, 3, 4, 5, 3)), preds, [1, 0])
summary_v2.integrated_gradients("i", attributions=rng.normal(size=(2, 4, 5, 3)), delta=[0.01, np.nan],
    targets=[1, 0], score_input=[0.9, 0.8], score_baseline=[0.1, 0.2], method="riemann_trapezoid",
    steps=16, baseline="blur")
summary_v2.feature_maps("f", np.abs(rng.normal(size=(2, 2, 3, 4))), layer="conv", channels=[0, 2])
index = lambda epochs, **f: codec.encode_record({"epochs": epochs, **f}, {})
c = captured
bundles = {
    "probe": codec.encode_bundle(c["probe"]),
    "example": codec.encode_bundle([index([3, 7]), c["interior_gradients"][2], c["integrated_gradients"][2],
                                    c["interior_gradients"][2], None]),
    "gallery": codec.encode_bundle([index([3]), c["interior_gradients"][0], c["integrated_gradients"][0]]),
    "features": codec.encode_bundle([index([3], layer="conv"), c["feature_maps"][1]]),
}
print(json.dumps({k: base64.b64encode(v).decode() for k, v in bundles.items()} | {"preds": preds.tolist()}))
`);
  if (!py) return t.skip('no Python with tb_attrib');
  const decode = (name) => decodeBundleRecords(Buffer.from(py[name], 'base64'));

  const probe = parseProbe(decode('probe'));
  assert.equal(probe.numExamples, 2);
  assert.deepEqual(probe.classNames, ['cat', '<dog>']);
  assert.deepEqual([...probe.labels], [1, 0]);
  assert.deepEqual(probe.images[1].shape, [4, 5, 3]);
  assert.deepEqual(probe.displayRange, [0, 1]);
  assert.equal(probe.masks[0].data.length, 20);
  assert.ok(probe.probeMax > 200);

  const example = parseExample(decode('example'));
  assert.deepEqual(example.map((e) => e.epoch), [3, 7]);
  const sweep = example[0].sweep;
  assert.deepEqual(sweep.alphas, [0.1, 0.5, 1.0]);
  assert.equal(sweep.count, 3);
  assert.equal(sweep.height, 4);
  assert.equal(sweep.width, 5);
  assert.equal(sweep.codes.length, 60);
  assert.equal(sweep.numClasses, 2);
  assert.equal(sweep.target, 0);
  assert.equal(sweep.summaries.length, 3);
  assert.ok(Math.abs(sweep.predictions[5] - py.preds[1][2][1]) < 1e-6);
  const ig = example[0].ig;
  assert.equal(ig.method, 'riemann_trapezoid');
  assert.equal(ig.baseline, 'blur');
  assert.ok(Number.isNaN(ig.delta));
  assert.ok(Math.abs(ig.scoreInput - 0.8) < 1e-6);
  assert.ok(ig.scale > 0);
  assert.equal(example[1].ig, null);

  const gallery = parseGallery(decode('gallery'));
  assert.deepEqual(gallery.epochs, [3]);
  const digest = gallery.sweep.get(3);
  assert.equal(digest.numAlphas, 3);
  const p = galleryPrediction(digest, 1);
  const row = py.preds[1][2];
  assert.equal(p.cls, row[0] >= row[1] ? 0 : 1);
  assert.ok(gallery.ig.get(3).delta.length === 2);

  const features = parseFeatureMaps(decode('features'));
  assert.equal(features.layer, 'conv');
  const maps = features.byEpoch.get(3);
  assert.equal(maps.count, 2);
  assert.deepEqual([...maps.channels], [0, 2]);
  assert.equal(maps.totalChannels, 4);
  assert.equal(maps.height, 2);
  assert.equal(maps.width, 3);
});
