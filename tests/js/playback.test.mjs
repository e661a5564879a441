import assert from 'node:assert/strict';
import test from 'node:test';

import { Playback } from '../../frontend/playback.js';
import { STATE_SPEC } from '../../frontend/settings.js';
import { UrlSync, urlEntries } from '../../frontend/urlsync.js';

/** A Playback over `epochs` with a hand-driven frame clock; `ready` says which epochs are loaded. */
function harness(epochs, ready = () => true) {
  const log = [];
  const frames = [];
  const playback = new Playback({
    epochs: () => epochs,
    speed: () => '10',
    isReady: (epoch) => ready(epoch),
    request: (epoch) => log.push(`request ${epoch}`),
    onSeek: () => log.push(`seek ${playback.current()}`),
    onFrame: () => log.push(`frame ${playback.current()}`),
    onStart: () => log.push('start'),
    onPlayingChange: (playing) => log.push(playing ? 'playing' : 'stopped'),
    raf: (fn) => frames.push(fn),
    now: () => 1000,
  });
  const runFrame = (t) => frames.shift()(t);
  return { playback, log, frames, runFrame };
}

test('seeking clamps to the epochs and stepping stops playback', () => {
  const { playback, log } = harness([3, 5, 8]);
  assert.equal(playback.current(), 3);
  playback.seek(9);
  assert.equal(playback.current(), 8);
  playback.seek(-4);
  assert.equal(playback.index, 0);
  playback.toggle();
  assert.equal(playback.playing, true);
  playback.step(1);
  assert.equal(playback.playing, false);
  assert.equal(playback.current(), 5);
  assert.deepEqual(log, ['seek 8', 'seek 3', 'start', 'playing', 'stopped', 'seek 5']);
  const empty = harness([]);
  empty.playback.seek(2);
  empty.playback.step(1);
  empty.playback.toggle();
  assert.equal(empty.playback.current(), null);
  assert.deepEqual(empty.log, []);
});

test('playback starts over from the end and advances once per interval when data is here', () => {
  const loaded = new Set([0, 1]);
  const { playback, log, frames, runFrame } = harness([0, 1, 2], (e) => loaded.has(e));
  playback.index = 2;
  playback.toggle();
  assert.deepEqual(log, ['seek 0', 'start', 'playing']);
  log.length = 0;
  runFrame(1050); // 50 ms < 100 ms at 10 epochs/s: no advance
  assert.deepEqual(log, []);
  runFrame(1099); // within the 2 ms slack
  assert.deepEqual(log, ['frame 1']);
  runFrame(1200); // epoch 2 is not loaded: ask for it and wait
  assert.deepEqual(log, ['frame 1', 'request 2']);
  loaded.add(2);
  runFrame(1210);
  assert.equal(playback.current(), 2);
  runFrame(1320); // wraps around
  assert.equal(playback.current(), 0);
  playback.toggle();
  assert.equal(playback.playing, false);
  runFrame(2000); // a frame already requested does nothing once stopped
  assert.equal(frames.length, 0);
  assert.equal(playback.current(), 0);
});

test('URL entries hold every setting in a fixed order, the epoch as shown', () => {
  const state = { run: 'r', example: 2, epoch: 99, view: 'signed', scale: 'map', clip: '99', palette: 'rdbu', layer: null, speed: '5', outline: 'on', extra: 1 };
  const entries = urlEntries(state, 7);
  assert.deepEqual(Object.keys(entries), Object.keys(STATE_SPEC));
  assert.deepEqual(Object.keys(entries), ['run', 'example', 'epoch', 'view', 'scale', 'clip', 'palette', 'layer', 'speed', 'outline', 'explain']);
  assert.equal(entries.epoch, 7);
  assert.equal(entries.layer, null);
});

test('URL writes are debounced', async () => {
  const writes = [];
  let epoch = 1;
  const sync = new UrlSync(() => ({ state: { run: 'r' }, epoch }), { delayMs: 5, write: (e) => writes.push(e) });
  sync.saveSoon();
  epoch = 2;
  sync.saveSoon();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(writes.length, 1);
  assert.equal(writes[0].epoch, 2);
});
