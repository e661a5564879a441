// Entry point: TensorBoard imports this module in the plugin's iframe and calls render() once.
//
// Kept small on purpose: the first requests start, every module of the dashboard is
// announced and the stylesheet is attached before the rest of the modules load, so the
// network and the module graph overlap.

import { prefetchStart, preloadModules } from './prefetch.js';

export async function render() {
  prefetchStart();
  preloadModules();
  const style = document.createElement('link');
  style.rel = 'stylesheet';
  // Beside this module; the URL keeps working under --path_prefix.
  style.href = new URL('./style.css', import.meta.url).href;
  const styled = new Promise((resolve) => {
    style.addEventListener('load', resolve);
    style.addEventListener('error', resolve);
  });
  document.head.append(style);
  const meta = document.createElement('meta');
  meta.name = 'viewport';
  meta.content = 'width=device-width, initial-scale=1';
  document.head.append(meta);
  document.title = 'Attributions';
  const root = document.createElement('div');
  root.className = 'tba-root';
  root.id = 'tb-attrib';
  document.body.append(root);
  const { Dashboard } = await import('./app.js');
  const dashboard = new Dashboard(root, { styled });
  // A handle for debugging and for bench/frontend.py; nothing in the page relies on it.
  window.tbAttrib = dashboard;
  await dashboard.start();
  return dashboard;
}
