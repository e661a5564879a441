"""The comparison card in headless Chromium against the real ``tensorboard`` CLI: two methods
of one run side by side, and two runs of one probe side by side, on logs of real training
(``tests/scripts/methods_logs.py``: 224x224 images, a 100-feature table, a 1000-step series,
a 256-token text). Screenshots land in ``artifacts/frontend/compare_*.png``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from browser import ARTIFACTS, CANVAS_DIGESTS, CHROMIUM, open_session, plugin_frame, wait_rendered
from tb_process import http_get, tensorboard_process, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parent / "scripts" / "methods_logs.py"
LAST = 2
COLUMN_MAPS = "(() => (DIGESTS)('.compare-column [data-role=ig-map]'))()".replace(
    "DIGESTS", CANVAS_DIGESTS
)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("compare") / "logs"
    subprocess.run([sys.executable, str(SCRIPT), str(logdir)], check=True, timeout=600,
                   capture_output=True)  # fmt: skip
    with tensorboard_process(logdir) as url:
        wait_until(
            lambda: len(http_get(url + "/data/plugin/tb_attrib/runs").json()["runs"]) == 5,
            timeout=60,
            what="every run to be listed",
        )
        yield url


@pytest.fixture(scope="module")
def session(base_url):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    with playwright_api.sync_playwright() as p:
        errors: list[str] = []
        browser, context, page = open_session(p, errors.append)
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.goto(f"{base_url}/#tb_attrib&p.tb_attrib.run=seed0")
        frame = plugin_frame(page)
        wait_rendered(frame, LAST, "seed0", timeout_ms=60_000)
        yield page, frame, errors
        context.close()
        browser.close()


def _notes(frame) -> list[str]:
    return frame.eval_on_selector_all(".compare-note", "ns => ns.map(n => n.textContent)")


def _wait_columns(frame, epoch: int) -> None:
    frame.wait_for_function(
        "(e) => [...document.querySelectorAll('.compare-note')].every("
        "(n) => n.textContent.startsWith(`Epoch ${e} `))",
        arg=epoch,
        timeout=60_000,
    )


def _shot(page, frame, name: str) -> None:
    frame.eval_on_selector("[data-card=compare]", "c => c.scrollIntoView()")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _options(frame, column: int) -> list[str]:
    return frame.eval_on_selector_all(
        f"[data-role=compare-{column}] option", "os => os.map(o => o.textContent)"
    )


def test_two_methods_of_one_run_side_by_side(session):
    page, frame, _ = session
    assert frame.is_visible("[data-card=compare]")
    _wait_columns(frame, LAST)
    # It opens on IG beside the run's first other method; runs of the same probe are offered.
    chosen = frame.eval_on_selector_all(
        ".compare-head select", "ss => ss.map(s => s.selectedOptions[0].textContent)"
    )
    assert chosen == ["seed0 · Integrated gradients", "seed0 · Guided IG"]
    assert _options(frame, 1) == [
        "seed0 · Integrated gradients",
        "seed0 · Guided IG",
        "seed0 · SmoothGrad",
        "seed1 · Integrated gradients",
    ]
    captions = frame.eval_on_selector_all(
        ".compare-column figcaption", "fs => fs.map(f => f.textContent)"
    )
    assert "Guided IG" in captions and "Integrated gradients" in captions
    maps = frame.evaluate(COLUMN_MAPS)
    assert len(maps) == 2 and all(m["colours"] > 8 for m in maps)
    # Two attributions: one legend for both columns.
    assert frame.is_visible("[data-card=compare] > header .legend")
    assert not frame.is_visible(".compare-column .legend")
    assert maps[0]["hash"] != maps[1]["hash"]
    _shot(page, frame, "compare_methods_224")
    # The method switch: SmoothGrad in the second column redraws it.
    frame.select_option("[data-role=compare-1]", label="seed0 · SmoothGrad")
    frame.wait_for_function(
        "(h) => (DIGESTS)('.compare-column [data-role=ig-map]')[1].hash !== h".replace(
            "DIGESTS", CANVAS_DIGESTS
        ),
        arg=maps[1]["hash"],
        timeout=30_000,
    )
    _wait_columns(frame, LAST)
    assert "8 noisy samples" in _notes(frame)[1]
    # A gradient beside an attribution: a scale per column instead of one for both.
    assert not frame.is_visible("[data-card=compare] > header .legend")
    assert frame.is_visible(".compare-column[data-column='0'] .legend")
    assert frame.is_visible(".compare-column[data-column='1'] .legend")
    _shot(page, frame, "compare_smoothgrad_224")


def test_two_runs_of_one_probe_follow_one_epoch_slider(session):
    page, frame, _ = session
    frame.select_option("[data-role=compare-1]", label="seed1 · Integrated gradients")
    _wait_columns(frame, LAST)
    late = frame.evaluate(COLUMN_MAPS)
    frame.fill("[data-role=epoch-slider]", "0")
    wait_rendered(frame, 0)
    _wait_columns(frame, 0)
    early = frame.evaluate(COLUMN_MAPS)
    assert all(a["hash"] != b["hash"] for a, b in zip(early, late, strict=True))
    _shot(page, frame, "compare_runs_224")


def test_a_tabular_run_compares_its_methods(session):
    page, frame, _ = session
    frame.select_option("[data-role=run]", "tabular")
    wait_rendered(frame, LAST, "tabular", timeout_ms=60_000)
    _wait_columns(frame, LAST)
    assert _options(frame, 0) == ["Integrated gradients", "Guided IG", "SmoothGrad on IG"]
    heads = frame.eval_on_selector_all(".compare-column .tab-caption, .compare-column figcaption",
                                       "ns => ns.map(n => n.textContent)")  # fmt: skip
    assert any(h.startswith("Guided IG") for h in heads), heads
    _shot(page, frame, "compare_tabular")


@pytest.mark.parametrize("run", ["sequence", "tokens"])
def test_sequence_and_token_runs_compare_ig_and_smoothgrad(session, run):
    page, frame, _ = session
    frame.select_option("[data-role=run]", run)
    wait_rendered(frame, LAST, run, timeout_ms=60_000)
    _wait_columns(frame, LAST)
    assert _options(frame, 1) == ["Integrated gradients", "SmoothGrad"]
    text = frame.eval_on_selector("[data-card=compare]", "c => c.textContent")
    assert "SmoothGrad per" in text and "8 noisy samples" in text  # its own caption
    _shot(page, frame, f"compare_{run}")


def test_a_run_with_ig_only_compares_with_the_runs_of_its_probe(session):
    _, frame, errors = session
    # seed1 writes IG only, but seed0 shares its probe: the card offers seed0's methods.
    frame.select_option("[data-role=run]", "seed1")
    wait_rendered(frame, LAST, "seed1", timeout_ms=60_000)
    assert frame.is_visible("[data-card=compare]")
    assert _options(frame, 0)[0] == "seed1 · Integrated gradients"
    assert errors == []
