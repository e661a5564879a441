// "Can this map be trusted?" beside the IG map: the example's deletion and insertion curves
// at the current epoch against the random order, their areas, its stability against the
// previous written epoch (and the epoch it settled at), and the newest sanity check by model
// randomisation, said plainly when the map barely depends on what the model learned.
// Modality-independent: it reads only the checks of an IG record (trust_data.js).

import { drawAxes } from './axes.js';
import { hidpiContext } from './canvas.js';
import { el, setText } from './dom.js';
import { formatValue } from './format.js';
import { HIGH_SANITY, SETTLED } from './trust_data.js';

const WIDTH = 230;
const HEIGHT = 140;
const PAD = { left: 40, right: 8, top: 8, bottom: 28 };
export const CURVE_COLORS = { insertion: '#1e88e5', deletion: '#e53935' };

export class TrustPanel {
  constructor() {
    this.canvas = el('canvas', { class: 'chart', 'data-role': 'trust-curves', role: 'img', 'aria-label': 'Deletion and insertion curves' });
    const key = (label, color, dashed) => el('span', { class: 'trust-key' }, el('i', { class: dashed ? 'dashed' : '', style: { borderColor: color } }), label);
    this.keys = {
      insertion: key('insertion', CURVE_COLORS.insertion),
      deletion: key('deletion', CURVE_COLORS.deletion),
      random: key('random order', null, true),
    };
    this.stats = {};
    const row = (name, label, hint) => {
      const value = el('dd', { 'data-trust': name });
      this.stats[name] = value;
      return [el('dt', { text: label, title: hint }), value];
    };
    this.table = el(
      'dl',
      { class: 'trust-stats' },
      ...row('deletion', 'Deletion AUC', 'area under the score as the highest-attributed units are replaced by the baseline; lower than the random order is better'),
      ...row('insertion', 'Insertion AUC', 'area under the score as the highest-attributed units are put back into the baseline; higher than the random order is better'),
      ...row('stability', 'Stability', `Spearman ρ with this example’s map at the previous written epoch; settled once it stays above ${SETTLED}`),
      ...row('sanity', 'Sanity check', 'Spearman ρ with the map of the model with its top layer re-initialised (Adebayo et al., 2018); low is good'),
    );
    this.verdict = el('p', { class: 'trust-verdict', 'data-role': 'trust-verdict' });
    this.warning = el('p', { class: 'trust-warning', 'data-role': 'sanity-warning', hidden: true });
    this.message = el('p', { class: 'placeholder', text: 'No faithfulness curves at this epoch.', hidden: true });
    this.root = el(
      'div',
      { class: 'trust', 'data-role': 'trust' },
      el(
        'div',
        { class: 'trust-curves' },
        el('figure', { class: 'chart-box' }, el('figcaption', { text: 'Target score as units are moved' }), this.canvas),
        el('div', { class: 'trust-keys' }, this.keys.insertion, this.keys.deletion, this.keys.random),
        this.message,
      ),
      el('div', { class: 'trust-text' }, this.table, this.verdict, this.warning),
    );
  }

  /**
   * frame: {trust (the example's checks at this epoch, or null), settled (epoch or null),
   * sanity ({epoch, value, layer} of the newest check at or before this epoch, or null),
   * colors (theme.js)}.
   */
  render({ trust, settled = null, sanity = null, colors }) {
    const curves = Boolean(trust && trust.deletion);
    this.message.hidden = curves;
    this.canvas.hidden = !curves;
    this.drawCurves(curves ? trust : null, colors);
    const t = trust || {};
    setText(this.stats.deletion, curves ? `${formatValue(t.deletionAuc)} (random ${formatValue(t.randomAuc)})` : '—');
    setText(this.stats.insertion, curves ? `${formatValue(t.insertionAuc)} (random ${formatValue(t.randomAuc)})` : '—');
    const stable = Number.isFinite(t.stability) ? `ρ = ${formatRho(t.stability)}` : 'first written epoch';
    setText(this.stats.stability, trust ? `${stable}${settled === null ? ', still changing' : `, settled at epoch ${settled}`}` : '—');
    const high = Boolean(sanity && Number.isFinite(sanity.value) && sanity.value >= HIGH_SANITY);
    setText(this.stats.sanity, sanity ? `ρ = ${formatRho(sanity.value)} (epoch ${sanity.epoch})` : 'not run yet');
    this.stats.sanity.classList.toggle('bad', high);
    setText(this.verdict, curves ? verdict(t) : '');
    this.warning.hidden = !high;
    if (high) {
      const layer = sanity.layer ? ` '${sanity.layer}'` : '';
      setText(
        this.warning,
        `Sanity check failed at epoch ${sanity.epoch}: this map barely changes when the top layer${layer} is re-initialised (ρ = ${formatRho(sanity.value)}). It shows the input more than what the model learned.`,
      );
    }
  }

  drawCurves(trust, colors) {
    const ctx = hidpiContext(this.canvas, WIDTH, HEIGHT);
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    if (!trust) return;
    const values = [...trust.deletion, ...trust.insertion, ...trust.random].filter(Number.isFinite);
    let low = Math.min(...values);
    let high = Math.max(...values);
    if (!(high > low)) [low, high] = [low - 0.5, high + 0.5];
    const pad = (high - low) * 0.06;
    [low, high] = [low - pad, high + pad];
    const plotW = WIDTH - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const x = (f) => PAD.left + f * plotW;
    const y = (v) => PAD.top + plotH - ((v - low) / (high - low)) * plotH;
    const plot = { x, y, left: PAD.left, top: PAD.top, plotW, plotH };
    drawAxes(ctx, plot, { low, high, xTicks: [0, 0.5, 1], xLabel: 'share of units moved', gap: 3 }, colors);
    const line = (ys, color, dashed) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = dashed ? 1.5 : 2;
      ctx.setLineDash(dashed ? [4, 3] : []);
      ctx.beginPath();
      let started = false;
      trust.fractions.forEach((f, i) => {
        if (!Number.isFinite(ys[i])) return;
        if (started) ctx.lineTo(x(f), y(ys[i]));
        else ctx.moveTo(x(f), y(ys[i]));
        started = true;
      });
      ctx.stroke();
      ctx.setLineDash([]);
    };
    line(trust.random, colors.muted, true);
    line(trust.deletion, CURVE_COLORS.deletion, false);
    line(trust.insertion, CURVE_COLORS.insertion, false);
    this.keys.random.firstChild.style.borderColor = colors.muted;
  }
}

/** A correlation with two decimals ("0.90", not "0.9" for 0.896: it is compared with 0.9). */
function formatRho(v) {
  return Number.isFinite(v) ? v.toFixed(2).replace('-', '−') : 'NaN';
}

/** One line on what the curves say. */
export function verdict(t) {
  if (![t.deletionAuc, t.insertionAuc, t.randomAuc].every(Number.isFinite)) return '';
  const deletion = t.deletionAuc < t.randomAuc;
  const insertion = t.insertionAuc > t.randomAuc;
  if (deletion && insertion) return 'More faithful than a random order: the score falls faster on deletion and rises faster on insertion.';
  if (!deletion && !insertion) return 'No more faithful than a random order of the same units.';
  return deletion ? 'Deletion beats a random order; insertion does not.' : 'Insertion beats a random order; deletion does not.';
}
