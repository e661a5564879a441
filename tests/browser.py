"""How the browser tests and bench/frontend.py launch Debian's Chromium (through Playwright),
and what the browser tests share: reading canvases, waiting for a rendered epoch, screenshots."""

from __future__ import annotations

import json
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless, and nothing that reaches the network on its own (the tests run offline)."""

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "frontend"
"""Where the browser tests leave their screenshots and exported files."""

# Reads every canvas matching a selector: a hash of its pixels and its number of colours.
CANVAS_DIGESTS = """(selector) => Array.from(document.querySelectorAll(selector)).map((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let hash = 2166136261;
  const colours = new Set();
  for (let i = 0; i < d.length; i += 4) {
    const v = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
    colours.add(v);
    hash = Math.imul(hash ^ v, 16777619) >>> 0;
  }
  return {hash, colours: colours.size};
})"""


def open_session(playwright_api, on_console):
    """(browser, context, page) at 1280x800 accepting downloads; ``on_console(text)`` gets every
    console error, uncaught exception and Content-Security-Policy violation of every frame."""
    browser = playwright_api.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.on(
        "console",
        lambda m: on_console(f"{m.text} @ {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: on_console(f"uncaught: {e}"))
    page.expose_function("__tbaCspViolation", lambda text: on_console(f"CSP: {text}"))
    # Runs in every frame (the plugin iframe included) before its own scripts.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " window.__tbaCspViolation(`${e.violatedDirective} ${e.blockedURI}`));"
    )
    return browser, context, page


def plugin_frame(page, timeout_ms: int = 60_000):
    """The plugin's iframe, once its dashboard has rendered (or shown its empty state)."""
    handle = page.wait_for_selector("iframe[src*='plugin_entry']", timeout=timeout_ms)
    frame = handle.content_frame()
    frame.wait_for_selector(".tba-root[data-state=ready]", timeout=timeout_ms)
    return frame


def wait_rendered(frame, epoch: int, run: str | None = None, timeout_ms: int = 15_000) -> None:
    """Waits until the dashboard drew ``epoch`` (of ``run``, when given) with its data."""
    condition = f"r.dataset.renderedEpoch === '{epoch}'"
    if run is not None:
        condition += f" && r.dataset.run === {json.dumps(run)}"
    frame.wait_for_function(
        f"(() => {{ const r = document.querySelector('.tba-root'); return {condition}; }})()",
        timeout=timeout_ms,
    )
