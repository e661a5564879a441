import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import test from 'node:test';

import { ImageView } from '../../frontend/view_image.js';
import { SequenceView } from '../../frontend/view_sequence.js';
import { TabularView } from '../../frontend/view_tabular.js';
import { TokensView } from '../../frontend/view_tokens.js';
import { FRONTEND, importsOf } from './imports.mjs';
import { DEFAULT_MODALITY, VIEW_METHODS, inputsOf, isKnownModality, modalities, modalityOf, viewFor } from '../../frontend/views.js';


test('an unknown or missing modality gives the image view', () => {
  assert.equal(DEFAULT_MODALITY, 'image');
  assert.equal(viewFor('image'), ImageView);
  for (const modality of [undefined, null, '', 'nope', 'IMAGE', 7, '__proto__', 'constructor', 'toString']) {
    assert.equal(viewFor(modality), ImageView, String(modality));
  }
});

test('every registered view implements the interface', () => {
  assert.ok(modalities().includes('image'));
  for (const modality of modalities()) {
    const View = viewFor(modality);
    assert.equal(typeof View, 'function', modality);
    for (const method of VIEW_METHODS) {
      assert.equal(typeof View.prototype[method], 'function', `${modality}: ${method}`);
    }
  }
  assert.deepEqual([...VIEW_METHODS].sort(), ['exportFrame', 'layout', 'prepare', 'renderAttribution', 'renderSweep', 'thumbnail']);
});

test('the modality comes from the probe, then the run, else image', () => {
  const v1Probe = { inputs: null, images: [] }; // format 1 logs describe no inputs
  assert.equal(modalityOf(v1Probe, { run: 'r' }), 'image');
  assert.equal(modalityOf(null, null), 'image');
  assert.equal(modalityOf({ inputs: [{ name: 'x', modality: 'tokens' }, { modality: 'image' }] }, null), 'tokens');
  assert.equal(modalityOf({ inputs: [] }, { inputs: [{ modality: 'tabular' }] }), 'tabular');
  assert.equal(modalityOf(null, { inputs: [{ name: 'input', modality: 'image', shape: [32, 32, 3] }] }), 'image');
  assert.equal(modalityOf({ inputs: [{ modality: 3 }] }, { inputs: null }), 'image');
  assert.equal(viewFor(modalityOf({ inputs: [{ modality: 'sequence' }] })), SequenceView);
});

test('each modality of summary format 2 has its view; the inputs come from the probe, then the run', () => {
  assert.deepEqual(modalities().sort(), ['image', 'sequence', 'tabular', 'tokens']);
  assert.equal(viewFor('tabular'), TabularView);
  assert.equal(viewFor('tokens'), TokensView);
  assert.ok(isKnownModality('tokens'));
  for (const m of ['video', '', null, 'constructor', '__proto__']) assert.equal(isKnownModality(m), false, String(m));
  const two = [{ name: 'image', modality: 'image' }, { name: 'meta', modality: 'tabular', attributed: false }];
  assert.deepEqual(inputsOf({ inputs: two }, { inputs: null }), two);
  assert.deepEqual(inputsOf({ inputs: null }, { inputs: two }), two);
  // Format 1: one image input.
  assert.deepEqual(inputsOf({ inputs: null }, { inputs: null }), [{ name: 'input', modality: 'image', attributed: true }]);
  assert.deepEqual(inputsOf({ inputs: [null] }, null), [{ name: 'input', modality: 'image', attributed: true }]);
});

test('modality-specific code is imported by view modules only', () => {
  const files = readdirSync(FRONTEND).filter((f) => f.endsWith('.js'));
  const isView = (f) => /^view_/.test(f);
  // Generic painting of int8 maps through a colour table (feature maps use it too).
  const sharedPixels = new Set(['codeColors', 'paintCodes']);
  for (const file of files.filter((f) => !isView(f))) {
    for (const [spec, names] of importsOf(file)) {
      const target = spec.replace(/^\.\//, '');
      if (isView(target)) assert.equal(file, 'views.js', `${file} imports ${spec}: only the registry may`);
      assert.notEqual(target, 'baseline.js', `${file} imports the image baseline`);
      if (target === 'pixels.js') {
        for (const name of names) assert.ok(sharedPixels.has(name), `${file} imports ${name} from pixels.js`);
      }
    }
  }
  assert.ok(importsOf('app.js').some(([spec]) => spec === './views.js'));
});
