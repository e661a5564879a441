import assert from 'node:assert/strict';
import test from 'node:test';

import { exampleWarning, runNotice } from '../../frontend/baseline_health.js';
import { decodeBundleRecords } from '../../frontend/codec.js';
import { Head } from '../../frontend/heads.js';
import { parseExample, parseGallery } from '../../frontend/model.js';
import { runPython } from './pyhelper.mjs';

// IG records with baseline health, made by the real write op (its TensorFlow call replaced).
const PY = `
import base64, json, sys, types
import numpy as np
sys.modules.setdefault("tensorflow", types.ModuleType("tensorflow"))
from tb_attrib.engine import baseline_health, heads
from tb_attrib.summary import codec, summary_v2
captured = []
summary_v2._write = lambda name, kind, records, step, description, **extra: captured.append(records) or True
head = heads.Head("multiclass", 2, "probabilities")
target = np.array([0, 1, 0])
score_input = np.array([0.986, 0.9, 0.637])
score_baseline = np.array([1.0, 0.0, 1.0])
predictions = np.array([[[0.9999, 0.0001]] * 3])
health = baseline_health.assess(head, predictions, target, score_input - score_baseline)
for epoch, h in ((5, None), (6, health), (7, health)):
    summary_v2.integrated_gradients("i", attributions=np.ones((3, 2, 2, 1)), delta=[0, 0, 0],
        targets=target, score_input=score_input, score_baseline=score_baseline, baseline="black",
        baseline_health=h)
index = lambda epochs: codec.encode_record({"epochs": epochs}, {})
gallery = [index([5, 6, 7])]
for records in captured:
    gallery += [None, records[0]]
out = {
    "gallery": codec.encode_bundle(gallery),
    "example0": codec.encode_bundle([index([7]), None, captured[2][1]]),
    "example1": codec.encode_bundle([index([7]), None, captured[2][2]]),
    "old": codec.encode_bundle([index([5]), None, captured[0][1]]),
}
print(json.dumps({k: base64.b64encode(v).decode() for k, v in out.items()}))
`;

test('baseline health in words, from the records the callback writes', (t) => {
  const py = runPython(PY);
  if (!py) return t.skip('no Python with tb_attrib');
  const decode = (name) => decodeBundleRecords(Buffer.from(py[name], 'base64'));
  const head = new Head({ kind: 'multiclass', classNames: ['circle', '<b>square</b>'] });

  const affected = parseExample(decode('example0'))[0].ig;
  assert.equal(affected.baselineAffected, true);
  const warning = exampleWarning(affected, head, affected.baseline);
  assert.match(warning, /^The baseline \(black\) is classified “circle” at 100%, the class this map explains/);
  assert.match(warning, /a change F\(x\) − F\(baseline\) of only −0\.014/);

  const fine = parseExample(decode('example1'))[0].ig;
  assert.equal(fine.baselineAffected, false);
  assert.equal(exampleWarning(fine, head, 'black'), null);
  // Records written before baseline health existed say nothing.
  const old = parseExample(decode('old'))[0].ig;
  assert.equal(old.baselinePredictions, undefined);
  assert.equal(exampleWarning(old, head, 'black'), null);

  const notice = runNotice(parseGallery(decode('gallery')), head, 'black');
  assert.match(notice, /at 90% or more at 2 epochs \(6–7\): at epoch 7, “circle” at 100%/);
  assert.match(notice, /2 probe examples of that class explain changes F\(x\) − F\(baseline\) of only −0\.014, −0\.363/);
  assert.match(runNotice(parseGallery(decode('gallery')), head, 'expected'), /more draws \(num_baseline_samples\)/);
  assert.equal(runNotice({ epochs: [], ig: new Map() }, head, 'black'), null);
});
