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
  relativeDelta,
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

test('several inputs: the @j arrays, token strings, heads and predicted-class maps', (t) => {
  const py = runPython(`
import base64, json, sys, types
import numpy as np
sys.modules.setdefault("tensorflow", types.ModuleType("tensorflow"))
from tb_attrib.summary import codec, modalities, summary_v2
captured = {}
summary_v2._write = lambda name, kind, records, step, description, **extra: captured.__setitem__(kind, records) or True
rng = np.random.default_rng(1)
specs = [modalities.InputSpec("series", "sequence", channel_names=["x", "<y>"]),
         modalities.InputSpec("meta", "tabular", feature_names=["a", "b", "c"]),
         modalities.InputSpec("ids", "tokens", vocabulary=["<pad>", "hi", "<b>"], padding_id=0)]
series = rng.normal(size=(2, 5, 2)).astype(np.float32)
meta = rng.normal(size=(2, 3)).astype(np.float32)
ids = np.array([[1, 2, 0, 0], [2, 2, 1, 0]], np.int32)
head = {"kind": "regression", "width": 2, "output_kind": "logits", "output": None}
summary_v2.probe("p", [series, meta, ids], labels=np.array([[0.5, 1.0], [0.25, 2.0]], np.float32),
    masks=[np.ones((2, 5)), None, ids == 2], input_specs=specs, head=head)
preds = rng.random((2, 3, 2)).astype(np.float32)
summary_v2.interior_gradients("s", [0.1, 0.5, 1.0], [rng.normal(size=(2, 3, 5, 2)), None, rng.normal(size=(2, 3, 4))],
    preds, [1, 0], input_specs=[specs[0], modalities.InputSpec("meta", "tabular", attributed=False), specs[2]])
second = types.SimpleNamespace(attributions=[rng.normal(size=(1, 5, 2)), rng.normal(size=(1, 3)), rng.normal(size=(1, 4))],
    delta=np.array([0.5], np.float32), target=np.array([0], np.int32))
summary_v2.integrated_gradients("i", attributions=[rng.normal(size=(2, 5, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 4))],
    delta=[0.01, 0.02], targets=[1, 0], score_input=[0.9, 0.8], score_baseline=[0.1, 0.2], method="gausslegendre",
    steps=8, baseline="black", input_specs=specs, predicted=(np.array([1]), second))
index = lambda epochs: codec.encode_record({"epochs": epochs}, {})
c = captured
print(json.dumps({
    "probe": base64.b64encode(codec.encode_bundle(c["probe"])).decode(),
    "example": base64.b64encode(codec.encode_bundle([index([0]), c["interior_gradients"][2], c["integrated_gradients"][2]])).decode(),
    "relative": float(codec.decode_record(c["integrated_gradients"][2]).arrays["relative_delta"]),
}))
`);
  if (!py) return t.skip('no Python with tb_attrib');
  const decode = (name) => decodeBundleRecords(Buffer.from(py[name], 'base64'));

  const probe = parseProbe(decode('probe'));
  assert.deepEqual(probe.inputs.map((d) => d.modality), ['sequence', 'tabular', 'tokens']);
  assert.deepEqual(probe.head, { kind: 'regression', width: 2, output_kind: 'logits', output: null });
  assert.equal(probe.labels, null);
  assert.equal(probe.labelValues.width, 2);
  assert.deepEqual([...probe.labelValues.data], [0.5, 1, 0.25, 2]);
  const [series, meta, tokens] = probe.examples[1];
  assert.deepEqual(series.shape, [5, 2]);
  assert.equal(series.modality, 'sequence');
  assert.deepEqual(series.descriptor.channel_names, ['x', '<y>']);
  assert.equal(series.mask.data.length, 5);
  assert.deepEqual(meta.shape, [3]);
  assert.equal(meta.mask, null);
  assert.deepEqual([...tokens.data], [2, 2, 1, 0]);
  assert.deepEqual(tokens.tokens, ['<b>', '<b>', 'hi', '<pad>']);
  assert.deepEqual([...tokens.mask.data], [1, 1, 0, 0]);
  assert.equal(probe.images[1], series, 'input 0 where format 1 had its images');

  const [entry] = parseExample(decode('example'));
  const sweep = entry.sweep;
  assert.equal(sweep.inputs.length, 3);
  assert.equal(sweep.inputs[1], undefined, 'an input held fixed has no maps');
  assert.deepEqual([sweep.inputs[0].count, sweep.inputs[0].height, sweep.inputs[0].width], [3, 5, 2]);
  assert.deepEqual([sweep.inputs[2].count, sweep.inputs[2].height, sweep.inputs[2].width], [3, 1, 4]);
  assert.equal(sweep.inputs[2].summaries.length, 3);
  assert.equal(sweep.codes, sweep.inputs[0].codes, 'input 0 at the top level');
  assert.equal(sweep.inputs[2].numClasses, 2);
  const ig = entry.ig;
  assert.deepEqual(ig.inputs.map((m) => m.shape), [[5, 2], [3], [4]]);
  assert.ok(ig.inputs.every((m) => m.scale > 0));
  assert.ok(Math.abs(ig.relativeDelta - py.relative) < 1e-6);
  assert.ok(Math.abs(relativeDelta(ig) - py.relative) < 1e-6, 'the stored one, not recomputed');
  assert.equal(ig.predicted.target, 0);
  assert.ok(ig.predicted.predictedClass);
  assert.ok(Math.abs(ig.predicted.delta - 0.5) < 1e-6);
  assert.deepEqual(ig.predicted.inputs.map((m) => m.shape), [[5, 2], [3], [4]]);
  assert.ok(Number.isNaN(ig.predicted.scoreInput));
  assert.equal(relativeDelta(ig.predicted), null, 'no scores for the predicted class');
  // Format-1 records: computed from the scores.
  assert.ok(Math.abs(relativeDelta({ relativeDelta: NaN, delta: -0.1, scoreInput: 0.9, scoreBaseline: 0.4 }) - 0.2) < 1e-12);
});
