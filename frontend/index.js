// Entry point: TensorBoard imports this module in the plugin's iframe and calls render() once.

import { Dashboard } from './app.js';
import { el } from './dom.js';

export async function render() {
  // The stylesheet sits beside this module; its URL keeps working under --path_prefix.
  const style = el('link', { rel: 'stylesheet', href: new URL('./style.css', import.meta.url).href });
  const loaded = new Promise((resolve) => {
    style.addEventListener('load', resolve);
    style.addEventListener('error', resolve);
  });
  document.head.append(style);
  const meta = el('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' });
  document.head.append(meta);
  document.title = 'Attributions';
  const root = el('div', { class: 'tba-root', id: 'tb-attrib' });
  document.body.append(root);
  // Data requests start now, in parallel with the stylesheet; the first render waits for it.
  const dashboard = new Dashboard(root, { styled: loaded });
  // A handle for debugging and for bench/frontend.py; nothing in the page relies on it.
  window.tbAttrib = dashboard;
  await dashboard.start();
  return dashboard;
}
