// The prediction under one alpha of a sweep, the same in every view: class (or value) and
// probability, the red outline when it is wrong, the map's scale when maps are scaled alone.

import { setAttr, setText } from './dom.js';
import { formatValue } from './format.js';

/**
 * Writes the prediction under one alpha of a sweep into its cell (`predClass`, `predProb`,
 * `scale` elements and the `root` that is outlined when the prediction is wrong): the one
 * place every view's sweep shows "what the model predicts at this alpha".
 */
export function showPrediction(cell, head, sweep, k, frame) {
  const p = head.predict(sweep.predictions, k * sweep.numClasses, sweep.numClasses, sweep.target);
  setText(cell.predClass, p.text);
  setText(cell.predProb, p.detail);
  const wrong = head.wrong(p, frame.truth);
  cell.root.classList.toggle('wrong', wrong);
  setAttr(cell.root, 'title', wrong ? `wrong: predicted ${p.text}` : '');
  setText(cell.scale, frame.perMap ? `±${formatValue(frame.scales[k])}` : '');
}
