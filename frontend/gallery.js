// The probe examples as thumbnails: true label, prediction at the current epoch, and a
// clear mark when the prediction is wrong. Clicking one selects it.

import { el, setAttr, setText } from './dom.js';
import { Head } from './heads.js';

const THUMB = 52;

export class Gallery {
  constructor({ onSelect, onOrder = () => {} }) {
    this.onSelect = onSelect;
    this.root = el('div', { class: 'gallery', role: 'listbox', 'aria-label': 'Probe examples' });
    this.items = [];
    this.summary = el('div', { class: 'gallery-summary muted' });
    // Order of the thumbnails: the probe's, or the maps still changing first (stability).
    this.orderSelect = el(
      'select',
      { 'data-role': 'gallery-order', 'aria-label': 'Order of the probe examples', on: { change: () => onOrder(this.orderSelect.value) } },
      el('option', { value: 'probe', text: 'probe order' }),
      el('option', { value: 'changing', text: 'maps still changing first' }),
    );
    this.orderControl = el('label', { class: 'inline gallery-order', hidden: true }, el('span', { text: 'Order' }), this.orderSelect);
  }

  /**
   * Shows the thumbnails in `order` (example indices); `stability` ([{settled, last}] per
   * example, trust_data.js) titles each with the epoch its map settled at.
   */
  setOrder(order, stability = null) {
    this.orderControl.hidden = !stability;
    const items = order.map((i) => this.items[i]).filter(Boolean);
    if (items.some((item, k) => this.root.children[k] !== item.root)) this.root.replaceChildren(...items.map((item) => item.root));
    if (!stability) return;
    this.items.forEach((item, i) => {
      const s = stability[i];
      item.root.dataset.settled = s && s.settled !== null ? String(s.settled) : '';
      setAttr(item.root, 'title', s && s.settled !== null ? `map settled at epoch ${s.settled}` : 'map still changing');
    });
  }

  /**
   * Builds one thumbnail per probe example; thumbnail(input, size) draws one (the view's);
   * head (heads.js) words the labels and predictions.
   */
  setProbe(probe, thumbnail, head = Head.of(probe, null)) {
    this.probe = probe;
    this.head = head;
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
      return { root, truth, pred, index: i, truthKey: null };
    });
    this.root.replaceChildren(...this.items.map((item) => item.root));
  }

  /** Marks the selected example and shows each prediction at the current epoch. */
  update({ digest, selected, head = this.head }) {
    let wrongCount = 0;
    let labelled = false;
    this.items.forEach((item, i) => {
      const p = head.galleryPrediction(digest, i);
      // The label explained: a regression's target output may differ by example.
      const truth = head.truth(i, head.targetOf(digest, i));
      if (truth) labelled = true;
      setText(item.truth, truth ? truth.text : 'unlabelled');
      setAttr(item.truth, 'title', truth ? `true label: ${truth.text}` : '');
      const wrong = head.wrong(p, truth);
      if (wrong) wrongCount++;
      // Classes with their probability; a multi-label set or a regression value alone.
      setText(item.pred, p ? (head.classifier ? `${p.text} ${p.detail}` : p.text) : '—');
      setAttr(item.pred, 'title', p ? `predicted at this epoch: ${p.text}${!head.classifier && p.detail ? ` (${p.detail})` : ''}` : 'no prediction at this epoch');
      item.root.classList.toggle('wrong', wrong);
      item.root.classList.toggle('selected', i === selected);
      setAttr(item.root, 'aria-selected', i === selected);
      setAttr(item.root, 'aria-label', `example ${i}${wrong ? ', misclassified' : ''}`);
    });
    setText(
      this.summary,
      !digest ? 'No predictions at this epoch' : labelled && head.kind !== 'regression' ? `${wrongCount} of ${this.items.length} wrong at this epoch` : '',
    );
  }
}
