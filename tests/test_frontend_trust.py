"""The checks of a map beside it in the dashboard (issue 14): faithfulness curves that follow
the epoch slider, stability and the epoch a map settled at, the sanity check said plainly on
the example and in the run's notice, and the gallery ordered by stability. Headless Chromium
against the real ``tensorboard`` CLI, at the sizes users meet (a 224x224 image, a 1000-step
series, 100 features, 256 tokens); screenshots land in ``artifacts/frontend/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import ARTIFACTS, CANVAS_DIGESTS, CHROMIUM, open_session, plugin_frame, wait_rendered
from plugin_logs import write_modality_log
from tb_process import http_get, tensorboard_process, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EPOCHS = 4
EXAMPLES = 4
LAST = EPOCHS - 1
RUNS = ("image", "sequence", "tabular", "tokens")


@pytest.fixture(scope="module")
def page_and_url(tmp_path_factory):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    root = tmp_path_factory.mktemp("trust") / "logs"
    for name in RUNS:
        write_modality_log(
            root / name, name, epochs=EPOCHS, examples=EXAMPLES, realistic=True, trust=True
        )
    write_modality_log(root / "without", "image", epochs=2, examples=2)  # an older log
    with tensorboard_process(root) as url:
        wait_until(
            lambda: len(http_get(url + "/data/plugin/tb_attrib/runs").json()["runs"]) == 5,
            timeout=60,
            what="every run to be listed",
        )
        with playwright_api.sync_playwright() as p:
            errors: list[str] = []
            browser, context, page = open_session(p, errors.append)
            yield page, url, errors
            context.close()
            browser.close()


def _open(page, url, run, epoch=LAST, last=LAST):
    page.goto("about:blank")  # a new document: a change of the hash alone would not reload
    page.goto(f"{url}/#tb_attrib&p.tb_attrib.run={run}")
    frame = plugin_frame(page)
    wait_rendered(frame, last, run, timeout_ms=60_000)
    frame.wait_for_selector(".tba-root[data-loaded='1']", timeout=60_000)
    if epoch != last:
        frame.fill("[data-role=epoch-slider]", str(epoch))
        wait_rendered(frame, epoch)
    return frame


def _shot(page, frame, name):
    frame.eval_on_selector("[data-role=trust]", "n => n.scrollIntoView({block: 'center'})")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"trust_{name}.png"))


def _curves(frame):
    return frame.evaluate(f"({CANVAS_DIGESTS})('[data-role=trust-curves]')")[0]


def _text(frame, selector):
    return frame.eval_on_selector(selector, "n => n.textContent")


@pytest.mark.parametrize("run", RUNS)
def test_curves_beside_the_map_follow_the_epoch(page_and_url, run):
    page, url, errors = page_and_url
    frame = _open(page, url, run)
    assert frame.is_visible("[data-role=trust]")
    late = _curves(frame)
    assert late["colours"] > 20  # axes, three curves, anti-aliasing
    assert "random" in _text(frame, "[data-trust=deletion]")
    assert "More faithful than a random order" in _text(frame, "[data-role=trust-verdict]")
    _shot(page, frame, run)
    frame.fill("[data-role=epoch-slider]", "0")
    wait_rendered(frame, 0)
    assert _curves(frame)["hash"] != late["hash"]
    assert _text(frame, "[data-trust=stability]").startswith("first written epoch")
    assert _text(frame, "[data-trust=sanity]") == "not run yet"
    assert errors == []


def test_the_sanity_check_is_said_plainly(page_and_url):
    page, url, errors = page_and_url
    frame = _open(page, url, "image")
    notice = _text(frame, ".banner")
    assert "Sanity check at epoch 3: for 1 of 4 probe examples" in notice
    assert "'class_maps'" in notice
    assert frame.is_hidden("[data-role=sanity-warning]")  # example 0 passes (rho 0.12)
    frame.click(".thumb[data-index='1']")
    frame.wait_for_selector("[data-role=sanity-warning]:not([hidden])")
    warning = _text(frame, "[data-role=sanity-warning]")
    assert "Sanity check failed at epoch 3" in warning and "\u03c1 = 0.83" in warning
    assert "settled at epoch 3" in _text(frame, "[data-trust=stability]")
    _shot(page, frame, "image_sanity_failed")
    assert errors == []


def test_the_gallery_puts_the_maps_still_changing_first(page_and_url):
    page, url, errors = page_and_url
    frame = _open(page, url, "tabular")
    order = "ns => ns.map(n => n.dataset.index)"
    assert frame.eval_on_selector_all(".thumb", order) == ["0", "1", "2", "3"]
    frame.select_option("[data-role=gallery-order]", "changing")
    # Example 0 never settles (stability 0.6); 1, 2 and 3 settle at epochs 3, 1 and 2.
    frame.wait_for_function("document.querySelectorAll('.thumb')[2].dataset.index === '3'")
    assert frame.eval_on_selector_all(".thumb", order) == ["0", "1", "3", "2"]
    assert frame.eval_on_selector(".thumb[data-index='0']", "n => n.title") == "map still changing"
    assert frame.eval_on_selector(".thumb[data-index='2']", "n => n.title") == (
        "map settled at epoch 1"
    )
    frame.select_option("[data-role=gallery-order]", "probe")
    frame.wait_for_function("document.querySelectorAll('.thumb')[2].dataset.index === '2'")
    assert errors == []


def test_a_log_without_checks_shows_no_panel(page_and_url):
    page, url, errors = page_and_url
    frame = _open(page, url, "without", epoch=1, last=1)
    assert frame.is_hidden("[data-role=trust]")
    assert frame.is_hidden("[data-role=gallery-order]")
    assert errors == []
