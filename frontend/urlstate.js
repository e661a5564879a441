// Dashboard state in the URL. Pure: no DOM.
//
// TensorBoard keeps its own state in the top page's hash as "#<tab>&key=value&..." (keys and
// values URI-encoded; the first bare component is the active dashboard), and its plugin API
// hands a plugin the keys that start with "p.<plugin name>." (experimental.GetURLPluginData).
// This module reads and writes exactly those keys, leaving every other component untouched.

export const PREFIX = 'p.tb_attrib.';

/** Parses "#tab&k=v&..." into {tab, entries: [[key, value], ...]} (order kept). */
export function parseHash(hash) {
  const text = String(hash || '').replace(/^#/, '');
  const entries = [];
  let tab = null;
  if (!text) return { tab, entries };
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (tab === null) tab = safeDecode(part);
      continue;
    }
    entries.push([safeDecode(part.slice(0, eq)), safeDecode(part.slice(eq + 1))]);
  }
  return { tab, entries };
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Serialises {tab, entries} back into a hash (with the leading "#", or "" when empty). */
export function formatHash({ tab, entries }) {
  const parts = [];
  if (tab) parts.push(encodeURIComponent(tab));
  for (const [k, v] of entries) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length ? `#${parts.join('&')}` : '';
}

/** The plugin's keys of a hash, without their prefix: {run: "...", epoch: "3", ...}. */
export function readState(hash, prefix = PREFIX) {
  const out = {};
  for (const [k, v] of parseHash(hash).entries) {
    if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  }
  return out;
}

/**
 * The hash with the plugin's keys replaced by `state` (null/undefined/"" values dropped),
 * other keys and the tab kept; `tab` is set when the hash has none.
 */
export function writeState(hash, state, { prefix = PREFIX, tab = null } = {}) {
  const parsed = parseHash(hash);
  const entries = parsed.entries.filter(([k]) => !k.startsWith(prefix));
  for (const [k, v] of Object.entries(state)) {
    if (v === null || v === undefined || v === '') continue;
    entries.push([prefix + k, String(v)]);
  }
  return formatHash({ tab: parsed.tab || tab, entries });
}

/**
 * Typed state from strings, by `spec` {key: {type: "string" | "int" | "number" | "enum",
 * values?: [...], min?, max?, default}}: unknown or malformed values take the default, so a
 * hand-edited or stale URL can never put the dashboard into an invalid state.
 */
export function coerceState(raw, spec) {
  const out = {};
  for (const [key, rule] of Object.entries(spec)) {
    const value = raw[key];
    out[key] = rule.default;
    if (typeof value !== 'string' || value === '') continue;
    if (rule.type === 'enum') {
      if (rule.values.includes(value)) out[key] = value;
    } else if (rule.type === 'int' || rule.type === 'number') {
      const n = Number(value);
      const ok = rule.type === 'int' ? /^-?[0-9]+$/.test(value) : Number.isFinite(n);
      if (ok && n >= (rule.min ?? -Infinity) && n <= (rule.max ?? Infinity)) out[key] = n;
    } else {
      out[key] = value;
    }
  }
  return out;
}
