#!/usr/bin/env python3
"""Frontend benchmark: the Attributions dashboard in headless Chromium.

    .venv/bin/python bench/frontend.py                 # every log below, 200 epochs
    .venv/bin/python bench/frontend.py --sizes 32 --modalities none --epochs 50
    .venv/bin/python bench/frontend.py --sizes none --modalities text

For each image size, writes one log directory like the serving benchmark's (``--epochs``
epochs x ``--examples`` probe examples x ``--alphas`` alphas of interior gradients plus
integrated gradients, with the public write ops and structured synthetic maps:
``tests/frontend_logs.py``); for each of ``--modalities`` (``tabular``: 100 features,
``sequence``: 1000 steps x 3 channels, ``text``: 256 tokens with a vocabulary) one log of the
same epochs and examples with the classic ten alphas, written by the shared
``tests/plugin_logs.write_modality_log`` at its realistic sizes. Each is served with the real
``tensorboard`` CLI and opened in Debian's Chromium (1280x800) through Playwright. Measured:

- *first render*: from opening the tab (the plugin iframe's navigation start, i.e. its
  ``performance.timeOrigin``) to the first full render (``data-first-render-ms``: gallery,
  sweep, IG, charts drawn for the newest epoch). Also from the top page's navigation start,
  which adds TensorBoard's own start-up. Repeated ``--repeats`` times (page reloads); the
  first load is also the server's first request for these data.
- *all epochs loaded*: from the same origin until every epoch of the selected example has
  arrived and been decoded (``data-loaded="1"``), which playback needs.
- *playback*: at 60 epochs/s (one epoch per display frame) with all sweep columns visible,
  for ``--seconds`` seconds: the interval between rendered frames (``performance.mark
  ("tb_attrib:frame")``) as frames per second, and the script time of one frame
  (``detail.ms`` of the mark). Headless Chromium paces animation frames at 60 Hz, so 60 fps
  is the ceiling.

Prints a Markdown table; ``docs/benchmarks.md`` ("Frontend") records a run of it.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from frontend_logs import CLASSIC_ALPHAS, write_synthetic_run  # noqa: E402
from plugin_logs import write_modality_log  # noqa: E402
from tb_process import http_get, tensorboard_process, wait_until  # noqa: E402

RUN = "attrib"
CLASS_NAMES = [f"class {i}" for i in range(10)]
MODALITIES = {"tabular": "tabular", "sequence": "sequence", "text": "tokens"}
"""``--modalities`` names -> the modality of ``write_modality_log`` (realistic sizes)."""
LABELS = {"tabular": "tabular 100", "sequence": "sequence 1000x3", "text": "text 256"}

FRAME_MARKS = """() => performance.getEntriesByName('tb_attrib:frame')
  .map((m) => [m.startTime, m.detail ? m.detail.ms : null])"""
COLUMNS_VISIBLE = """() => {
  const cols = [...document.querySelectorAll('canvas[data-role=sweep-map]')];
  const main = document.querySelector('.main').getBoundingClientRect();
  return cols.length > 0 && cols.every((c) => {
    const r = c.getBoundingClientRect();
    return r.width > 0 && r.left >= main.left && r.right <= main.right + 0.5
      && r.bottom <= innerHeight;
  });
}"""


def generate(logdir: Path, size: int, epochs: int, examples: int, alphas: int) -> float:
    start = time.perf_counter()
    sweep = (
        CLASSIC_ALPHAS
        if alphas == len(CLASSIC_ALPHAS)
        else tuple(float(a) for a in [(i + 1) / alphas for i in range(alphas)])
    )
    write_synthetic_run(
        logdir / RUN,
        size=size,
        epochs=epochs,
        examples=examples,
        alphas=sweep,
        class_names=CLASS_NAMES,
        feature_layer=None,
    )
    return time.perf_counter() - start


def generate_modality(logdir: Path, name: str, epochs: int, examples: int) -> float:
    start = time.perf_counter()
    write_modality_log(
        logdir / RUN, MODALITIES[name], realistic=True, epochs=epochs, examples=examples
    )
    return time.perf_counter() - start


def open_dashboard(page, url: str):
    """Navigates to the dashboard; returns (plugin frame, ms from top navigation to ready)."""
    page.goto(url)
    handle = page.wait_for_selector("iframe[src*='plugin_entry']", timeout=120_000)
    frame = handle.content_frame()
    frame.wait_for_selector(".tba-root[data-state=ready]", timeout=120_000)
    return frame


def first_render(page, frame) -> tuple[float, float]:
    """(ms from the iframe's navigation start, ms from the top page's navigation start)."""
    in_frame = float(frame.evaluate("document.querySelector('.tba-root').dataset.firstRenderMs"))
    frame_origin = frame.evaluate("performance.timeOrigin")
    top_origin = page.evaluate("performance.timeOrigin")
    return in_frame, frame_origin - top_origin + in_frame


def bench_size(args: argparse.Namespace, size: int, workdir: Path, browser) -> dict[str, object]:
    logdir = workdir / f"size{size}"
    print(f"[{size}x{size}] writing {args.epochs} epochs ...", flush=True)
    gen_s = generate(logdir, size, args.epochs, args.examples, args.alphas)
    return bench_log(args, f"{size}x{size}", logdir, gen_s, browser)


def bench_modality(args: argparse.Namespace, name: str, workdir: Path, browser) -> dict:
    logdir = workdir / name
    print(f"[{name}] writing {args.epochs} epochs ...", flush=True)
    gen_s = generate_modality(logdir, name, args.epochs, args.examples)
    return bench_log(args, LABELS[name], logdir, gen_s, browser)


def bench_log(args: argparse.Namespace, label: str, logdir: Path, gen_s: float, browser):
    result: dict[str, object] = {"label": label, "generate_s": gen_s}
    with tensorboard_process(logdir) as base:
        wait_until(
            lambda: any(
                r["run"] == RUN and len(r["epochs"]) == args.epochs
                for r in http_get(base + "/data/plugin/tb_attrib/runs").json()["runs"]
            ),
            timeout=600,
            what="every epoch to be loaded by TensorBoard",
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        url = f"{base}/#tb_attrib&p.tb_attrib.run={RUN}"
        tab_ms, page_ms, loaded_ms = [], [], []
        for i in range(args.repeats):
            frame = open_dashboard(page, url) if i == 0 else None
            if frame is None:
                page.reload()
                frame = open_dashboard(page, url)
            tab, top = first_render(page, frame)
            tab_ms.append(tab)
            page_ms.append(top)
            frame.wait_for_selector(".tba-root[data-loaded='1']", timeout=600_000)
            loaded_ms.append(frame.evaluate("performance.now()"))
            print(f"  load {i}: first render {tab:.0f} ms after tab open", flush=True)
        result.update(first_tab_ms=tab_ms, first_page_ms=page_ms, loaded_ms=loaded_ms)
        result["columns_visible"] = frame.evaluate(COLUMNS_VISIBLE)
        frame.select_option("[data-role=speed]", "60")
        frame.press("body", "Home")
        frame.evaluate("performance.clearMarks('tb_attrib:frame')")
        frame.click("[data-role=play]")
        time.sleep(args.seconds)
        frame.click("[data-role=play]")
        marks = frame.evaluate(FRAME_MARKS)
        times = [t for t, _ in marks]
        intervals = [b - a for a, b in itertools.pairwise(times)]
        costs = [ms for _, ms in marks if ms is not None]
        result.update(
            frames=len(marks),
            fps=1000.0 * (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0,
            interval_p50=statistics.median(intervals) if intervals else float("nan"),
            interval_p95=percentile(intervals, 95),
            cost_p50=statistics.median(costs) if costs else float("nan"),
            cost_p95=percentile(costs, 95),
            console_errors=errors,
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"bench-{label.replace(' ', '-')}.png"))
        page.close()
    return result


ARTIFACTS = ROOT / "artifacts" / "bench"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(args: argparse.Namespace, results: list[dict[str, object]]) -> str:
    lines = [
        f"{args.epochs} epochs, {args.examples} examples, {args.alphas} alphas; "
        f"Chromium 1280x800 headless; median of {args.repeats} loads (first load in brackets).",
        "",
        "| log | first render after tab opens | after page navigation | all epochs loaded "
        "| playback fps | frame interval p50 / p95 | frame script p50 / p95 | columns visible |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        tab, top, loaded = r["first_tab_ms"], r["first_page_ms"], r["loaded_ms"]
        lines.append(
            f"| {r['label']} "
            f"| {statistics.median(tab):.0f} ms ({tab[0]:.0f}) "
            f"| {statistics.median(top):.0f} ms ({top[0]:.0f}) "
            f"| {statistics.median(loaded) / 1000:.1f} s ({loaded[0] / 1000:.1f}) "
            f"| {r['fps']:.1f} "
            f"| {r['interval_p50']:.1f} / {r['interval_p95']:.1f} ms "
            f"| {r['cost_p50']:.2f} / {r['cost_p95']:.2f} ms "
            f"| {'yes' if r['columns_visible'] else 'no'} |"
        )
    errors = [e for r in results for e in r["console_errors"]]
    if errors:
        lines += ["", f"Console errors: {errors}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", nargs="+", default=["32", "224"], help="image sizes ('none': no image log)"
    )
    parser.add_argument(
        "--modalities",
        nargs="+",
        default=list(MODALITIES),
        help=f"modality logs among {', '.join(MODALITIES)} ('none': none)",
    )
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--examples", type=int, default=16)
    parser.add_argument("--alphas", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0, help="playback measured")
    parser.add_argument("--workdir", type=Path, default=None, help="keep logs here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tb_attrib_bench_frontend_"))
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for size in args.sizes:
                    if size != "none":
                        results.append(bench_size(args, int(size), workdir, browser))
                for name in args.modalities:
                    if name != "none":
                        results.append(bench_modality(args, name, workdir, browser))
            finally:
                browser.close()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report(args, results))


if __name__ == "__main__":
    main()
