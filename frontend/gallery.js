// The probe examples as thumbnails: true label, prediction at the current epoch, and a
// clear mark when the prediction is wrong. Clicking one selects it.

import { el, setAttr, setText } from './dom.js';
import { formatPercent } from './format.js';
import { className, galleryPrediction } from './model.js';

const THUMB = 52;

export class Gallery {
  constructor({ onSelect }) {
    this.onSelect = onSelect;
    this.root = el('div', { class: 'gallery', role: 'listbox', 'aria-label': 'Probe examples' });
    this.items = [];
    this.summary = el('div', { class: 'gallery-summary muted' });
  }

  /** Builds one thumbnail per probe example; thumbnail(input, size) draws one (the view's). */
  setProbe(probe, thumbnail) {
    this.probe = probe;
    this.items = probe.images.map((input, i) => {
      const canvas = thumbnail(input, THUMB);
      const truth = el('div', { class: 'truth' });
      const pred = el('div', { class: 'guess' });
      const mark = el('span', { class: 'mark', 'aria-hidden': 'true', text: '✗' });
      const root = el(
        'button',
        {
          class: 'thumb',
          type: 'button',
          role: 'option',
          'data-index': i,
          on: { click: () => this.onSelect(i) },
        },
        el('div', { class: 'thumb-img' }, canvas, mark, el('span', { class: 'thumb-index', text: `#${i}` })),
        truth,
        pred,
      );
      const label = probe.labels ? probe.labels[i] : null;
      setText(truth, label === null ? 'unlabelled' : className(probe.classNames, label));
      truth.title = label === null ? '' : `true label: ${className(probe.classNames, label)}`;
      return { root, truth, pred, label };
    });
    this.root.replaceChildren(...this.items.map((item) => item.root));
  }

  /** Marks the selected example and shows each prediction at the current epoch. */
  update({ digest, selected, classNames }) {
    let wrongCount = 0;
    this.items.forEach((item, i) => {
      const p = galleryPrediction(digest, i);
      const wrong = Boolean(p) && item.label !== null && p.cls !== item.label;
      if (wrong) wrongCount++;
      setText(item.pred, p ? `${className(classNames, p.cls)} ${formatPercent(p.prob)}` : '—');
      setAttr(item.pred, 'title', p ? `predicted at this epoch: ${className(classNames, p.cls)}` : 'no prediction at this epoch');
      item.root.classList.toggle('wrong', wrong);
      item.root.classList.toggle('selected', i === selected);
      setAttr(item.root, 'aria-selected', i === selected);
      setAttr(item.root, 'aria-label', `example ${i}${wrong ? ', misclassified' : ''}`);
    });
    const labelled = this.items.some((item) => item.label !== null);
    setText(
      this.summary,
      !digest ? 'No predictions at this epoch' : labelled ? `${wrongCount} of ${this.items.length} wrong at this epoch` : '',
    );
  }
}
