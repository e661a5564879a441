// Number formatting and axis ticks for legends, captions and charts. Pure: no DOM.

/** A compact label for a value: 3 significant digits, exponent form when very small or large. */
export function formatValue(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  let text;
  if (a < 1e-3 || a >= 1e5) {
    const [mantissa, exponent] = v.toExponential(digits - 1).split('e');
    text = `${trimZeros(mantissa)}e${Number(exponent)}`;
  } else {
    text = trimZeros(v.toPrecision(digits));
    if (text.includes('e')) text = String(Number(text));
  }
  return text.replace(/^-/, '−');
}

function trimZeros(s) {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A probability as a percentage with at most one decimal. */
export function formatPercent(p) {
  if (!Number.isFinite(p)) return '—';
  const pct = p * 100;
  return `${pct >= 99.95 || pct < 0.05 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** About `count` round tick values covering [min, max] (1, 2 or 5 times a power of ten). */
export function niceTicks(min, max, count = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || 10 * power;
  const ticks = [];
  const first = Math.ceil(min / step - 1e-9);
  for (let i = first; i * step <= max + step * 1e-9; i++) {
    ticks.push(Number((i * step).toPrecision(12)));
  }
  return ticks;
}

/** The largest finite value of numbers (0 when none). */
export function finiteMax(values) {
  let best = 0;
  for (const v of values) if (Number.isFinite(v) && v > best) best = v;
  return best;
}

/** The name of an attribution map as a caption: the frame's method (`mapLabel`, IG by default), |…| for magnitudes. */
export function attributionLabel(frame) {
  const label = frame.mapLabel || 'Integrated gradients';
  return frame.view === 'abs' ? `|${label}|` : label;
}
