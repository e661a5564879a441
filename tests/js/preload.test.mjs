import assert from 'node:assert/strict';
import test from 'node:test';

import { APP_MODULES } from '../../frontend/prefetch.js';
import { staticClosure } from './imports.mjs';

test('the modules preloaded at start are exactly those app.js needs and index.js lacks', () => {
  const own = staticClosure('index.js');
  const needed = [...staticClosure('app.js')].filter((f) => !own.has(f)).sort();
  assert.deepEqual([...APP_MODULES].sort(), needed);
  assert.ok(!APP_MODULES.includes('exportview.js')); // loaded on first use, never preloaded
});
