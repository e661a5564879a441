#!/usr/bin/env python3
"""Frontend benchmark: the Attributions dashboard in headless Chromium.

    .venv/bin/python bench/frontend.py                 # every log below, 200 epochs
    .venv/bin/python bench/frontend.py --sizes 32 --modalities none --epochs 50
    .venv/bin/python bench/frontend.py --sizes none --modalities text
    .venv/bin/python bench/frontend.py --sizes 224 --modalities none --baseline 7aed390

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
  which adds TensorBoard's own start-up. ``--starts`` fresh TensorBoard processes per log:
  in each, the first load is *cold* (the first request for these data since TensorBoard
  started), then ``--repeats`` page reloads are *warm*.
- *all epochs loaded*: from the same origin until every epoch of the selected example has
  arrived and been decoded (``data-loaded="1"``), which playback needs.
- *playback*: at 60 epochs/s (one epoch per display frame) with all sweep columns visible,
  for ``--seconds`` seconds: the interval between rendered frames (``performance.mark
  ("tb_attrib:frame")``) as frames per second, and the script time of one frame
  (``detail.ms`` of the mark). Headless Chromium paces animation frames at 60 Hz, so 60 fps
  is the ceiling.

With ``--baseline REV`` the same is measured for git revision ``REV`` of this repository
(``git archive``d into the work directory and served with ``PYTHONPATH``), the starts of the
two interleaved so that both see the same minutes of a shared machine; the ratio of the
cold medians is printed. Prints a Markdown table with the 1-minute load average at the
starts; ``docs/benchmarks.md`` ("Frontend") records a run of it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
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


def generate(logdir: Path, size: int, epochs: int, examples: int, alphas: int) -> None:
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


def generate_modality(logdir: Path, name: str, epochs: int, examples: int) -> None:
    write_modality_log(
        logdir / RUN, MODALITIES[name], realistic=True, epochs=epochs, examples=examples
    )


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


def bench_size(args: argparse.Namespace, size: int, workdir: Path, browser) -> list[dict]:
    logdir = workdir / f"size{size}"
    print(f"[{size}x{size}] writing {args.epochs} epochs ...", flush=True)
    generate(logdir, size, args.epochs, args.examples, args.alphas)
    return bench_log(args, f"{size}x{size}", logdir, browser)


def bench_modality(args: argparse.Namespace, name: str, workdir: Path, browser) -> list[dict]:
    logdir = workdir / name
    print(f"[{name}] writing {args.epochs} epochs ...", flush=True)
    generate_modality(logdir, name, args.epochs, args.examples)
    return bench_log(args, LABELS[name], logdir, browser)


def baseline_code(rev: str, workdir: Path) -> Path:
    """A copy of the package at git revision ``rev``, importable with ``PYTHONPATH``.

    ``setup.py`` maps ``frontend/`` and ``callbacks/`` into the package; symlinks do the
    same here, so TensorBoard started with ``PYTHONPATH=<copy>`` serves that revision's
    plugin and frontend (the path comes before the editable install's finder).
    """
    dest = workdir / f"code-{rev}"
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    for name in ("frontend", "callbacks"):
        (dest / "tb_attrib" / name).symlink_to(Path("..") / name)
    return dest


def bench_log(args: argparse.Namespace, label: str, logdir: Path, browser) -> list[dict]:
    """Every code variant on one log: ``--starts`` fresh TensorBoard starts each, interleaved.

    Start ``s`` runs the variants in turn (the order alternating from start to start), so
    both see the same minutes of a shared machine. In each, the first load is the *cold*
    one (the first request for these data since TensorBoard started), the reloads after it
    are *warm*; playback is measured on the last start.
    """
    results = {name: new_result(label, name) for name, _ in args.variants}
    for start in range(args.starts):
        order = args.variants if start % 2 == 0 else args.variants[::-1]
        for name, code in order:
            last = start == args.starts - 1
            measure_start(args, results[name], logdir, code, browser, playback=last)
    return list(results.values())


def new_result(label: str, variant: str) -> dict[str, object]:
    keys = ("cold_tab", "cold_page", "cold_loaded", "warm_tab", "warm_page", "warm_loaded")
    return {"label": label, "variant": variant, "load": [], **{k: [] for k in keys}}


def measure_start(args, result: dict, logdir: Path, code: Path | None, browser, playback: bool):
    """One fresh TensorBoard serving ``code`` (None: this tree): a cold load, warm reloads."""
    env = {"PYTHONPATH": str(code)} if code is not None else None
    with tensorboard_process(logdir, env=env) as base:
        wait_until(
            lambda: any(
                r["run"] == RUN and len(r["epochs"]) == args.epochs
                for r in http_get(base + "/data/plugin/tb_attrib/runs").json()["runs"]
            ),
            timeout=600,
            what="every epoch to be loaded by TensorBoard",
        )
        check_served_code(base, code)
        result["load"].append(os.getloadavg()[0])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        url = f"{base}/#tb_attrib&p.tb_attrib.run={RUN}"
        for i in range(1 + args.repeats):
            if i == 0:
                frame = open_dashboard(page, url)
            else:
                page.reload()
                frame = open_dashboard(page, url)
            tab, top = first_render(page, frame)
            frame.wait_for_selector(".tba-root[data-loaded='1']", timeout=600_000)
            phase = "cold" if i == 0 else "warm"
            result[f"{phase}_tab"].append(tab)
            result[f"{phase}_page"].append(top)
            result[f"{phase}_loaded"].append(frame.evaluate("performance.now()"))
            print(f"  {result['variant']}: {phase} first render {tab:.0f} ms", flush=True)
        result.setdefault("console_errors", []).extend(errors)
        if playback:
            result.update(measure_playback(args, frame))
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = f"bench-{result['label']}-{result['variant']}".replace(" ", "-")
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        page.close()


def check_served_code(base: str, code: Path | None) -> None:
    """Fails unless TensorBoard serves the frontend of ``code`` (None: this tree)."""
    served = http_get(base + "/data/plugin/tb_attrib/static/prefetch.js").body
    expected = ((code or ROOT) / "frontend" / "prefetch.js").read_bytes()
    if served != expected:
        raise RuntimeError(f"TensorBoard does not serve the frontend of {code or ROOT}")


def measure_playback(args: argparse.Namespace, frame) -> dict[str, object]:
    """Playback at 60 epochs/s for ``--seconds``: frame rate, intervals, script per frame."""
    columns_visible = frame.evaluate(COLUMNS_VISIBLE)
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
    return {
        "columns_visible": columns_visible,
        "frames": len(marks),
        "fps": 1000.0 * (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0,
        "interval_p50": statistics.median(intervals) if intervals else float("nan"),
        "interval_p95": percentile(intervals, 95),
        "cost_p50": statistics.median(costs) if costs else float("nan"),
        "cost_p95": percentile(costs, 95),
    }


ARTIFACTS = ROOT / "artifacts" / "bench"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def spread(values: list[float], scale: float = 1.0, digits: int = 0) -> str:
    """``median [min-max]`` of ``values`` / ``scale``."""
    v = [x / scale for x in values]
    return f"{statistics.median(v):.{digits}f} [{min(v):.{digits}f}-{max(v):.{digits}f}]"


def report(args: argparse.Namespace, results: list[dict[str, object]]) -> str:
    loads = [x for r in results for x in r["load"]]
    lines = [
        f"{args.epochs} epochs, {args.examples} examples, {args.alphas} alphas; "
        f"Chromium 1280x800 headless; {args.starts} fresh TensorBoard starts per code, "
        f"interleaved; per start one cold load (the first after TensorBoard started) and "
        f"{args.repeats} warm reloads; median [min-max]. "
        f"Load average (1 min) at the starts: {min(loads):.1f}-{max(loads):.1f}.",
        "",
        "| log | code | first render, cold | first render, warm | after page navigation, "
        "cold / warm | all epochs loaded, cold / warm "
        "| playback fps | frame interval p50 / p95 | frame script p50 / p95 | columns visible |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['label']} | {r['variant']} "
            f"| {spread(r['cold_tab'])} ms | {spread(r['warm_tab'])} ms "
            f"| {statistics.median(r['cold_page']):.0f} / "
            f"{statistics.median(r['warm_page']):.0f} ms "
            f"| {statistics.median(r['cold_loaded']) / 1000:.1f} / "
            f"{statistics.median(r['warm_loaded']) / 1000:.1f} s "
            f"| {r['fps']:.1f} "
            f"| {r['interval_p50']:.1f} / {r['interval_p95']:.1f} ms "
            f"| {r['cost_p50']:.2f} / {r['cost_p95']:.2f} ms "
            f"| {'yes' if r['columns_visible'] else 'no'} |"
        )
    if len(args.variants) == 2:
        for label in dict.fromkeys(r["label"] for r in results):
            new, old = (r for r in results if r["label"] == label)
            ratio = statistics.median(old["cold_tab"]) / statistics.median(new["cold_tab"])
            lines.append(
                f"\n{label}: cold first render {old['variant']} / {new['variant']} = {ratio:.2f}x"
            )
    errors = [e for r in results for e in r.get("console_errors", [])]
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
    parser.add_argument("--starts", type=int, default=3, help="fresh TensorBoard starts")
    parser.add_argument("--repeats", type=int, default=4, help="warm reloads per start")
    parser.add_argument(
        "--baseline", default=None, help="git revision also measured, interleaved (e.g. 7aed390)"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="playback measured")
    parser.add_argument("--workdir", type=Path, default=None, help="keep logs here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tb_attrib_bench_frontend_"))
    results = []
    args.variants = [("this tree", None)]
    try:
        if args.baseline:
            args.variants.append((args.baseline, baseline_code(args.baseline, workdir)))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for size in args.sizes:
                    if size != "none":
                        results.extend(bench_size(args, int(size), workdir, browser))
                for name in args.modalities:
                    if name != "none":
                        results.extend(bench_modality(args, name, workdir, browser))
            finally:
                browser.close()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report(args, results))


if __name__ == "__main__":
    main()
