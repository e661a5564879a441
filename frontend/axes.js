// Axes of the small line charts (saturation, faithfulness): a value grid labelled on the left
// and labels under an x axis over [0, 1].

import { formatValue, niceTicks } from './format.js';

/**
 * plot: {x, y (value -> pixel), left, top, plotW, plotH}; values: {low, high (the value
 * axis), xTicks, xLabel, gap (pixels between the plot and the x tick labels)}.
 */
export function drawAxes(ctx, { x, y, left, top, plotW, plotH }, { low, high, xTicks, xLabel, gap = 4 }, colors) {
  ctx.font = '10px Roboto, sans-serif';
  ctx.lineWidth = 1;
  ctx.strokeStyle = colors.grid;
  ctx.fillStyle = colors.muted;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of niceTicks(low, high, 4)) {
    ctx.beginPath();
    ctx.moveTo(left, Math.round(y(t)) + 0.5);
    ctx.lineTo(left + plotW, Math.round(y(t)) + 0.5);
    ctx.stroke();
    ctx.fillText(formatValue(t), left - 4, y(t));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of xTicks) ctx.fillText(formatValue(t), x(t), top + plotH + gap);
  ctx.fillText(xLabel, left + plotW / 2, top + plotH + gap + 10);
}
