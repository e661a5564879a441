// The colour legend of the gradient views: a colour bar with the numbers of the current scale.

import { hidpiContext } from './canvas.js';
import { el, setText } from './dom.js';
import { formatValue } from './format.js';

const BAR_WIDTH = 168;
const BAR_HEIGHT = 10;

export class Legend {
  constructor(title) {
    this.bar = el('canvas', { class: 'legend-bar', 'aria-hidden': 'true' });
    this.labels = [0, 1, 2].map(() => el('span'));
    this.note = el('div', { class: 'legend-note' });
    this.nan = el('span', { class: 'legend-nan', hidden: true }, el('i'), 'not finite');
    this.root = el(
      'div',
      { class: 'legend', role: 'group', 'aria-label': title },
      el('div', { class: 'legend-title', text: title }),
      el('div', { class: 'legend-body' }, this.bar, el('div', { class: 'legend-labels' }, ...this.labels)),
      el('div', { class: 'legend-foot' }, this.note, this.nan),
    );
    this.key = '';
  }

  /**
   * view: "overlay" | "signed" | "abs"; scale: the shared display scale, or null when each
   * map has its own; clip: percentile; luts: palette tables; nan: any non-finite pixel shown.
   */
  update({ view, scale, clip, luts, nan, paletteName, perMapText }) {
    const key = `${view}|${paletteName}`;
    if (key !== this.key) {
      this.key = key;
      this.drawBar(view, luts);
    }
    const [a, b, c] = this.labels;
    if (view === 'abs') {
      setText(a, scale === null ? '0' : formatValue(0));
      setText(b, scale === null ? '|max| / 2' : formatValue(scale / 2));
      setText(c, scale === null ? '|max|' : formatValue(scale));
    } else {
      setText(a, scale === null ? '−max' : formatValue(-scale));
      setText(b, '0');
      setText(c, scale === null ? '+max' : `+${formatValue(scale)}`);
    }
    const clipText = clip >= 100 ? 'no clipping' : `clipped at the ${formatValue(clip)}th percentile of |value|`;
    setText(this.note, scale === null ? `${perMapText}; ${clipText}` : `${clipText}; values beyond saturate`);
    this.nan.hidden = !nan;
  }

  drawBar(view, luts) {
    const ctx = hidpiContext(this.bar, BAR_WIDTH, BAR_HEIGHT);
    for (let x = 0; x < BAR_WIDTH; x++) {
      const t = x / (BAR_WIDTH - 1); // 0..1 left to right
      let rgb;
      if (view === 'abs') {
        const i = Math.round(t * 255) * 3;
        rgb = luts.sequential.subarray(i, i + 3);
      } else if (view === 'signed') {
        const i = Math.round(t * (luts.diverging.length / 3 - 1)) * 3;
        rgb = luts.diverging.subarray(i, i + 3);
      } else {
        // Overlay: blend weight |v| / scale over a mid-gray image pixel.
        const s = t * 2 - 1;
        const end = s >= 0 ? luts.positive : luts.negative;
        const g = 64 + 128 * 0.75;
        rgb = end.map((c) => Math.round(g + Math.abs(s) * (c - g)));
      }
      ctx.fillStyle = `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
      ctx.fillRect(x, 0, 1, BAR_HEIGHT);
    }
  }
}
