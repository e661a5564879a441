import assert from 'node:assert/strict';
import test from 'node:test';

import { finiteMax, formatPercent, formatValue, niceTicks } from '../../frontend/format.js';
import { coerceState, formatHash, parseHash, readState, writeState } from '../../frontend/urlstate.js';

test('values format compactly', () => {
  assert.equal(formatValue(0), '0');
  assert.equal(formatValue(1234.5), '1230');
  assert.equal(formatValue(0.012345), '0.0123');
  assert.equal(formatValue(-2.5e-5), '−2.5e-5');
  assert.equal(formatValue(3e7), '3e7');
  assert.equal(formatValue(1), '1');
  assert.equal(formatValue(Number.NaN), 'NaN');
  assert.equal(formatValue(Infinity), '∞');
  assert.equal(formatPercent(0.9234), '92.3%');
  assert.equal(formatPercent(1), '100%');
  assert.equal(formatPercent(Number.NaN), '—');
  assert.equal(finiteMax([1, Number.NaN, 3, Infinity]), 3);
});

test('ticks are round numbers covering the range', () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 0.037, 4), [0, 0.01, 0.02, 0.03]);
  assert.deepEqual(niceTicks(2, 2), [2]);
  assert.deepEqual(niceTicks(0, Number.NaN), []);
});

test('hash state keeps TensorBoard\'s tab and keys', () => {
  const hash = '#tb_attrib&runSelectionState=abc&p.tb_attrib.run=old';
  assert.deepEqual(parseHash(hash), {
    tab: 'tb_attrib',
    entries: [['runSelectionState', 'abc'], ['p.tb_attrib.run', 'old']],
  });
  assert.deepEqual(readState(hash), { run: 'old' });
  const next = writeState(hash, { run: 'a b/<img src=x>&=', epoch: 3, example: null });
  assert.equal(next, '#tb_attrib&runSelectionState=abc&p.tb_attrib.run=a%20b%2F%3Cimg%20src%3Dx%3E%26%3D&p.tb_attrib.epoch=3');
  assert.deepEqual(readState(next), { run: 'a b/<img src=x>&=', epoch: '3' });
  assert.equal(writeState('', { run: 'r' }, { tab: 'tb_attrib' }), '#tb_attrib&p.tb_attrib.run=r');
  assert.equal(formatHash({ tab: null, entries: [] }), '');
  assert.deepEqual(readState('#%E0%A4%A'), {});
});

test('coerced state never leaves its spec', () => {
  const spec = {
    run: { type: 'string', default: null },
    epoch: { type: 'int', min: 0, default: null },
    view: { type: 'enum', values: ['overlay', 'signed', 'abs'], default: 'overlay' },
    clip: { type: 'number', min: 50, max: 100, default: 99 },
  };
  assert.deepEqual(coerceState({ run: 'x', epoch: '4', view: 'abs', clip: '99.5' }, spec), {
    run: 'x',
    epoch: 4,
    view: 'abs',
    clip: 99.5,
  });
  assert.deepEqual(coerceState({ epoch: '-1', view: '<b>', clip: '7' }, spec), {
    run: null,
    epoch: null,
    view: 'overlay',
    clip: 99,
  });
  assert.equal(coerceState({ epoch: '2.5' }, spec).epoch, null);
});
