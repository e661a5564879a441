import assert from 'node:assert/strict';
import test from 'node:test';

import { attributionUrl, exampleUrl, featureMapsUrl, galleryUrl, initialSelection, probeUrl, routeUrl, usableRuns } from '../../frontend/routes.js';

const RUN = { run: 'a b/<c>&', probe_tag: 'tb_attrib/probe', sweep_tag: 's', ig_tag: null, epochs: [0, 3, 7], num_examples: 4 };

test('route URLs are relative and encode user data', () => {
  assert.equal(routeUrl('runs'), './runs');
  assert.equal(probeUrl(RUN), './probe?run=a+b%2F%3Cc%3E%26&tag=tb_attrib%2Fprobe');
  assert.equal(galleryUrl(RUN), './gallery?run=a+b%2F%3Cc%3E%26&sweep_tag=s');
  assert.equal(exampleUrl(RUN, 2, null), './example?run=a+b%2F%3Cc%3E%26&index=2&sweep_tag=s');
  assert.equal(exampleUrl(RUN, 2, 0), './example?run=a+b%2F%3Cc%3E%26&index=2&epoch=0&sweep_tag=s');
  assert.equal(attributionUrl(RUN, 'tb_attrib/methods/smoothgrad', 2, null), './attribution?run=a+b%2F%3Cc%3E%26&tag=tb_attrib%2Fmethods%2Fsmoothgrad&index=2');
  assert.equal(featureMapsUrl(RUN, 'conv', 1, 3), './feature_maps?run=a+b%2F%3Cc%3E%26&layer=conv&index=1&epoch=3');
});

test('the dashboard opens where the URL says, when that exists', () => {
  const other = { ...RUN, run: 'other', sweep_tag: null, ig_tag: 'i' };
  const probeOnly = { ...RUN, run: 'probe only', sweep_tag: null, ig_tag: null };
  const usable = usableRuns([RUN, probeOnly, other, null]);
  assert.deepEqual(usable.map((r) => r.run), [RUN.run, 'other']);
  assert.equal(initialSelection([], {}), null);
  assert.deepEqual(initialSelection(usable, {}), { run: RUN, example: 0, epochIndex: 2, epoch: 7 });
  assert.deepEqual(initialSelection(usable, { run: 'other', example: 3, epoch: 3 }), { run: other, example: 3, epochIndex: 1, epoch: 3 });
  // Out of range or belonging to another run: the defaults.
  assert.deepEqual(initialSelection(usable, { run: 'other', example: 9, epoch: 5 }), { run: other, example: 0, epochIndex: 2, epoch: 7 });
  assert.deepEqual(initialSelection(usable, { run: 'gone', example: 1, epoch: 3 }), { run: RUN, example: 0, epochIndex: 2, epoch: 7 });
  assert.deepEqual(initialSelection([{ ...RUN, epochs: [] }], {}).epoch, null);
});
