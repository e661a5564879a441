"""The first render needs only what it shows; the history follows and playback runs on it.

Against the real ``tensorboard`` CLI in headless Chromium. The browser holds back the
answers of the two history requests (``example`` and ``gallery`` without ``epoch``: every
epoch of the example, every epoch's digests) until the test releases them, so what the
dashboard draws first is provably drawn from the one-epoch answers. Correctness only, no
timings (``bench/frontend.py`` measures those). Screenshots land in ``artifacts/frontend/``.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from browser import ARTIFACTS, CANVAS_DIGESTS, CHROMIUM, open_session, plugin_frame, wait_rendered
from frontend_logs import write_synthetic_run
from tb_process import http_get, tensorboard_process, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

API = "/data/plugin/tb_attrib/"
RUN = "history"
EPOCHS = 6
SWEEP_MAPS = "canvas[data-role=sweep-map]"
# Epochs drawn with their data (not a loading frame) since the marks were last cleared.
DRAWN_EPOCHS = """() => [...new Set(performance.getEntriesByName('tb_attrib:frame')
  .filter((m) => m.detail && m.detail.drawn).map((m) => m.detail.epoch))]"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory):
    logdir = tmp_path_factory.mktemp("first_render") / "logs"
    write_synthetic_run(logdir / RUN, size=224, epochs=EPOCHS, examples=4)  # a user size
    with tensorboard_process(logdir) as url:
        wait_until(
            lambda: any(
                len(r["epochs"]) == EPOCHS for r in http_get(url + API + "runs").json()["runs"]
            ),
            timeout=60,
            what="every epoch to be listed",
        )
        yield url


@pytest.fixture
def page_and_problems():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    problems: list[str] = []
    with playwright_api.sync_playwright() as p:
        browser, context, page = open_session(p, problems.append)
        yield page, problems
        context.close()
        browser.close()


def _is_history(url: str) -> bool:
    """An ``example`` or ``gallery`` request for every epoch (no ``epoch`` parameter)."""
    parts = urllib.parse.urlsplit(url)
    route = parts.path.rsplit("/", 1)[-1]
    return route in ("example", "gallery") and "epoch" not in urllib.parse.parse_qs(parts.query)


def _pump_until(page, condition, what: str, timeout_ms: int = 30_000) -> None:
    """Waits for a Python-side condition while Playwright dispatches its events (routes)."""
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise TimeoutError(f"timed out waiting for {what}")


def _root(frame, key: str) -> str | None:
    return frame.evaluate(f"document.querySelector('.tba-root').dataset.{key} ?? null")


def test_first_render_shows_the_newest_epoch_before_the_history_and_then_plays_it(
    base_url: str, page_and_problems
) -> None:
    page, problems = page_and_problems
    held = []
    data_requests = []

    def route(r) -> None:
        data_requests.append(r.request.url)
        if _is_history(r.request.url):
            held.append(r)  # answered when the test releases it
        else:
            r.continue_()

    page.route(f"**{API}example?*", route)
    page.route(f"**{API}gallery?*", route)
    page.goto(f"{base_url}/#tb_attrib&p.tb_attrib.run={RUN}")
    frame = plugin_frame(page)
    newest = EPOCHS - 1
    wait_rendered(frame, newest, RUN)
    _pump_until(page, lambda: len(held) == 2, "the two history requests")

    # Drawn before any history arrived: the newest epoch, from one-epoch answers only.
    assert sorted(urllib.parse.urlsplit(r.request.url).path.rsplit("/", 1)[-1] for r in held) == [
        "example",
        "gallery",
    ]
    one_epoch = [u for u in data_requests if not _is_history(u)]
    assert len(one_epoch) == 2 and all(f"epoch={newest}" in u for u in one_epoch), data_requests
    assert _root(frame, "loaded") == "0"
    assert _root(frame, "epoch") == str(newest)
    maps = frame.evaluate(CANVAS_DIGESTS, SWEEP_MAPS)
    assert len(maps) == 10 and all(m["colours"] > 1 for m in maps)
    # The gallery and the title show the newest epoch's predictions (its digests arrived).
    summary = frame.inner_text(".gallery-summary")
    assert summary.endswith("wrong at this epoch"), summary
    assert len(frame.query_selector_all(".gallery .thumb")) == 4
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "first-render-before-history.png"))

    for r in held:
        r.continue_()
    frame.wait_for_selector(".tba-root[data-loaded='1']", timeout=30_000)

    # Playback over every epoch, each drawn from the history (no request per epoch).
    requests_before = len(data_requests)
    frame.select_option("[data-role=speed]", "10")
    frame.click("[data-role=example-title]")  # focus the dashboard for the keyboard
    frame.press("body", "Home")
    wait_rendered(frame, 0, RUN)
    at_first = frame.evaluate(CANVAS_DIGESTS, SWEEP_MAPS)
    assert frame.inner_text(".gallery-summary").endswith("wrong at this epoch")  # full gallery
    frame.evaluate("performance.clearMarks('tb_attrib:frame')")
    frame.click("[data-role=play]")
    frame.wait_for_function(f"({DRAWN_EPOCHS})().length === {EPOCHS}", timeout=30_000)
    frame.click("[data-role=play]")
    assert sorted(frame.evaluate(DRAWN_EPOCHS)) == list(range(EPOCHS))
    assert len(data_requests) == requests_before  # played from the history alone
    frame.press("body", "End")
    wait_rendered(frame, newest, RUN)
    assert frame.evaluate(CANVAS_DIGESTS, SWEEP_MAPS) != at_first  # the epochs differ
    page.screenshot(path=str(ARTIFACTS / "first-render-after-playback.png"))
    assert problems == []
