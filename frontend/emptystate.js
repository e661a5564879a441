// What the dashboard shows when no run holds attribution data: how to produce some.

import { el } from './dom.js';

export function emptyState(runs) {
  const code = [
    'from tb_attrib.callbacks import Attributions',
    'model.fit(x, y, epochs=10, callbacks=[Attributions("logs", x_val[:16], y_val[:16])])',
  ].join('\n');
  const notes = [];
  for (const run of runs) {
    if (!run.sweep_tag && !run.ig_tag) {
      notes.push(el('li', {}, el('code', { text: run.run }), ': a probe, but no gradients written yet'));
    }
    for (const warning of run.warnings || []) {
      notes.push(el('li', {}, el('code', { text: run.run }), `: ${warning}`));
    }
  }
  return el(
    'div',
    { class: 'empty-state', 'data-role': 'empty-state' },
    el('h2', { text: 'No attribution data yet' }),
    el(
      'p',
      {},
      'This dashboard shows interior gradients and integrated gradients of a fixed probe batch, ',
      'epoch by epoch. Add the callback to your training and point TensorBoard at the same log directory:',
    ),
    el('pre', { class: 'code' }, el('code', { text: code })),
    el('p', { class: 'muted' }, 'Then run ', el('code', { text: 'tensorboard --logdir logs' }), ' and reload this page. ',
      'Custom training loops can call the write ops in ', el('code', { text: 'tb_attrib.summary' }), ' directly.'),
    notes.length ? el('div', {}, el('h3', { text: 'Runs found' }), el('ul', {}, ...notes)) : null,
  );
}
