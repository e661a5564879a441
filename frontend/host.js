// Living inside TensorBoard: the top page's URL hash, its dark mode, and its reload signal.
//
// The plugin runs in a same-origin iframe (data/plugin_entry.html?name=tb_attrib) whose own
// URL never changes and is rebuilt on reload, so dashboard state goes into the *top* page's
// hash as "p.tb_attrib.<key>" entries - the convention TensorBoard's plugin API reads back
// (experimental.GetURLPluginData). Outside TensorBoard (a bare page) the iframe's own hash
// is used instead.

import { readState, writeState } from './urlstate.js';

const TAB = 'tb_attrib';

function topWindow() {
  try {
    if (window.parent !== window && window.parent.location.href) return window.parent;
  } catch {
    // A cross-origin parent: keep state in our own URL.
  }
  return window;
}

/** The plugin's state entries from the URL ({key: string}). */
export function readUrlState() {
  return readState(topWindow().location.hash);
}

/** Replaces the plugin's entries in the URL (no history entry, no hashchange event). */
export function writeUrlState(state) {
  const win = topWindow();
  const hash = writeState(win.location.hash, state, { tab: win === window ? null : TAB });
  if (hash === win.location.hash || (hash === '' && !win.location.hash)) return;
  const target = new URL(win.location.href);
  target.hash = hash;
  try {
    win.history.replaceState(win.history.state, '', target.toString());
  } catch {
    // History API refused (sandboxed page): state simply does not persist.
  }
}

/**
 * Calls apply(isDark) now and whenever the theme changes: TensorBoard's dark mode (a
 * "dark-mode" class on the top page's body) when embedded, else prefers-color-scheme.
 */
export function watchTheme(apply) {
  const win = topWindow();
  const media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  if (win !== window && win.document && win.document.body) {
    const body = win.document.body;
    const update = () => apply(body.classList.contains('dark-mode'));
    new MutationObserver(update).observe(body, { attributes: true, attributeFilter: ['class'] });
    update();
    return;
  }
  const update = () => apply(Boolean(media && media.matches));
  if (media) media.addEventListener('change', update);
  update();
}

/**
 * Joins TensorBoard's plugin message channel and calls onReload() when TensorBoard reloads
 * its data (the reload button, or auto-reload while training writes new epochs).
 *
 * The host answers "experimental.bootstrap" with nothing but starts listening on the port
 * we hand over; its messages are JSON {type, id, payload, error, isReply} and each expects
 * a reply with the same id.
 */
export function connectHost({ onReload }) {
  if (window.parent === window) return;
  const { port1, port2 } = new MessageChannel();
  port1.addEventListener('message', (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!message || message.isReply) return;
    if (message.type === 'experimental.DataReloaded') onReload();
    port1.postMessage(JSON.stringify({ type: message.type, id: message.id, payload: null, error: null, isReply: true }));
  });
  port1.start();
  try {
    window.parent.postMessage('experimental.bootstrap', window.location.origin, [port2]);
  } catch {
    // Not inside TensorBoard: no reload signal.
  }
}
