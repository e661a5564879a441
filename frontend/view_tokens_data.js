// The token view's text and colours (view_tokens.js). Pure: no DOM.
//
// A token input is T ids; its strings come with the probe (or are null: the ids are shown).
// Padding (ids equal to the descriptor's `padding_id`) is not drawn. Each drawn token gets a
// background from its attribution and a text colour that stays readable on it.

import { luminance, shadeColors } from './pixels.js';

/**
 * The tokens to draw: {keep: positions (indices into the T ids) that are not padding, text:
 * their display strings (the token string, else the id)}.
 */
export function visibleTokens(ids, tokens, paddingId) {
  const keep = [];
  const text = [];
  const pad = Number.isInteger(paddingId) ? paddingId : null;
  for (let t = 0; t < ids.length; t++) {
    if (pad !== null && ids[t] === pad) continue;
    keep.push(t);
    text.push(tokens && t < tokens.length && tokens[t] !== null && tokens[t] !== undefined ? String(tokens[t]) : String(ids[t]));
  }
  return { keep, text };
}

/**
 * CSS colours of the 256 codes of one map: {background: [css per code + 128], ink: [css]},
 * the background from shadeColors (view "overlay" | "signed" | "abs") and the ink dark or
 * light, whichever reads better on it.
 */
export function codeStyles(view, mapScale, displayScale, luts, background = [255, 255, 255], dark = '#212121', light = '#ffffff') {
  const table = shadeColors(view, mapScale, displayScale, luts, background);
  const bg = new Array(256);
  const ink = new Array(256);
  for (let i = 0; i < 256; i++) {
    const r = table[i * 4];
    const g = table[i * 4 + 1];
    const b = table[i * 4 + 2];
    bg[i] = `rgb(${r}, ${g}, ${b})`;
    // The contrast of black text on a colour beats white's above a luminance of ~0.18.
    ink[i] = luminance(r, g, b) > 0.18 ? dark : light;
  }
  return { background: bg, ink, table };
}

/** Per drawn token, the index (code + 128) into a codeStyles table of map codes[offset + t]. */
export function tokenCodes(codes, offset, keep, out = new Uint8Array(keep.length)) {
  for (let i = 0; i < keep.length; i++) out[i] = codes[offset + keep[i]] + 128;
  return out;
}
