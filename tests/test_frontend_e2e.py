"""The Attributions dashboard in headless Chromium, against the real ``tensorboard`` CLI.

One TensorBoard and one browser page serve the whole module; the tests run in file order and
share the page, like one person's session. The log directory holds the demo's logs
(``demo_logdir``: the real ``demo_train.py``) plus two synthetic runs whose user-given names
are an HTML injection attempt: one's run name and first class name, the other's channel,
feature, token, input and class names (a sequence, a table row and a text). Console errors
and Content-Security-Policy violations are collected from every frame for the whole session
and must stay empty.

Screenshots land in ``artifacts/frontend/``.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from browser import ARTIFACTS, CANVAS_DIGESTS, CHROMIUM, CHROMIUM_ARGS
from frontend_logs import write_html_names_run, write_synthetic_run
from tb_process import http_get, tensorboard_process, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

XSS = "<img src=x onerror=window.__xss=1>"
DEMO_RUN = "demo/probe"
XSS_CLASSES = [XSS, "cat", "dog"]
NAMES_RUN = "names"  # channel, feature, token and input names are XSS


@pytest.fixture(scope="module")
def logdir(demo_logdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("frontend") / "logs"
    shutil.copytree(demo_logdir, root / "demo")
    write_synthetic_run(root / XSS, size=16, epochs=3, examples=4, class_names=XSS_CLASSES)
    write_html_names_run(root / NAMES_RUN, XSS)
    return root


@pytest.fixture(scope="module")
def base_url(logdir: Path):
    with tensorboard_process(logdir) as url:
        wait_until(
            lambda: len(http_get(url + "/data/plugin/tb_attrib/runs").json()["runs"]) >= 3,
            timeout=60,
            what="every run to be listed",
        )
        yield url


class Session:
    """One browser page and everything it reported."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.csp_violations: list[str] = []
        self.frame = None
        runs = http_get(base_url + "/data/plugin/tb_attrib/runs").json()["runs"]
        self.demo = next(r for r in runs if r["run"] == DEMO_RUN)
        self.epochs = self.demo["epochs"]

    def dashboard(self):
        """The plugin iframe, once the dashboard has rendered."""
        handle = self.page.wait_for_selector("iframe[src*='plugin_entry']", timeout=60_000)
        frame = handle.content_frame()
        frame.wait_for_selector(".tba-root[data-state=ready]", timeout=60_000)
        self.frame = frame
        return frame

    def root(self, key: str) -> str | None:
        return self.frame.evaluate(f"document.querySelector('.tba-root').dataset.{key} ?? null")

    def wait_rendered(self, epoch: int) -> None:
        self.frame.wait_for_function(
            f"document.querySelector('.tba-root').dataset.renderedEpoch === '{epoch}'",
            timeout=15_000,
        )

    def digests(self, selector: str) -> list[dict]:
        return self.frame.evaluate(CANVAS_DIGESTS, selector)

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="module")
def session(base_url: str):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, accept_downloads=True
        )
        page = context.new_page()
        s = Session(page, base_url)
        page.on(
            "console",
            lambda m: (
                s.console_errors.append(f"{m.text} @ {m.location}") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: s.console_errors.append(f"uncaught: {e}"))
        page.expose_function("__tbaCspViolation", lambda text: s.csp_violations.append(text))
        # Runs in every frame (the plugin iframe included) before its own scripts.
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', (e) =>"
            " window.__tbaCspViolation(`${e.violatedDirective} ${e.blockedURI}`));"
        )
        yield s
        context.close()
        browser.close()


def test_tab_is_listed_and_opens(session: Session) -> None:
    listing = http_get(session.base_url + "/data/plugins_listing").json()
    assert "tb_attrib" in listing
    page = session.page
    page.goto(session.base_url + "/")
    tab = page.get_by_role("tab", name="Attributions")
    tab.wait_for(timeout=60_000)
    tab.click()
    frame = session.dashboard()
    # The run chooser offers both runs; pick the demo's.
    options = frame.eval_on_selector_all("[data-role=run] option", "os => os.map(o => o.value)")
    assert DEMO_RUN in options and XSS in options
    frame.select_option("[data-role=run]", DEMO_RUN)
    frame.wait_for_function(
        "document.querySelector('[data-role=example-title]').textContent.includes('Example #0')"
    )
    assert len(session.epochs) >= 3
    session.wait_rendered(session.epochs[-1])  # opens at the newest epoch
    # The other run also shows "Example #0" at its newest epoch: wait until the demo's gallery
    # (one thumbnail per probe example) is the one on screen.
    frame.wait_for_function(
        f"document.querySelectorAll('.thumb').length === {session.demo['num_examples']}"
    )
    session.shot("01-opened")


def test_gallery_shows_every_probe_example(session: Session) -> None:
    demo = session.demo
    thumbs = session.frame.locator(".thumb")
    assert thumbs.count() == demo["num_examples"] > 0
    images = session.digests(".thumb canvas")
    assert len(images) == demo["num_examples"]
    assert all(d["colours"] > 8 for d in images), "every thumbnail shows an image"
    truths = session.frame.eval_on_selector_all(".thumb .truth", "ts => ts.map(t => t.textContent)")
    assert truths == [demo["class_names"][label] for label in demo["labels"]]
    guesses = session.frame.eval_on_selector_all(
        ".thumb .guess", "gs => gs.map(g => g.textContent)"
    )
    assert all(any(name in g for name in demo["class_names"]) for g in guesses)


def test_sweep_and_ig_canvases_change_with_the_epoch(session: Session) -> None:
    frame = session.frame
    frame.click("[data-role=example-title]")  # focus the dashboard for the keyboard
    first, last = session.epochs[0], session.epochs[-1]
    frame.press("body", "End")
    session.wait_rendered(last)
    sweep_late = session.digests("canvas[data-role=sweep-map]")
    ig_late = session.digests("canvas[data-role=ig-map], canvas[data-role=ig-overlay]")
    assert len(sweep_late) == 10
    assert all(d["colours"] > 1 for d in sweep_late + ig_late), "no blank canvas"
    frame.press("body", "Home")
    session.wait_rendered(first)
    sweep_early = session.digests("canvas[data-role=sweep-map]")
    ig_early = session.digests("canvas[data-role=ig-map], canvas[data-role=ig-overlay]")
    assert all(d["colours"] > 1 for d in sweep_early + ig_early)
    changed = sum(a["hash"] != b["hash"] for a, b in zip(sweep_early, sweep_late, strict=True))
    assert changed >= 5, f"only {changed} of 10 sweep maps changed between epochs"
    assert all(a["hash"] != b["hash"] for a, b in zip(ig_early, ig_late, strict=True))
    session.shot("02-epoch0")


def test_activations_follow_the_epoch(session: Session) -> None:
    frame = session.frame
    layers = [entry["layer"] for entry in session.demo["feature_maps"]]
    assert layers, "the demo writes feature maps"
    frame.select_option("[data-role=layer]", layers[-1])
    frame.wait_for_selector("canvas[data-role=fmap]")
    frame.press("body", "Home")
    session.wait_rendered(session.epochs[0])
    frame.wait_for_function("!document.querySelector('.fmap-grid').classList.contains('stale')")
    early = session.digests("canvas[data-role=fmap]")
    frame.press("body", "End")
    session.wait_rendered(session.epochs[-1])
    frame.wait_for_function("!document.querySelector('.fmap-grid').classList.contains('stale')")
    late = session.digests("canvas[data-role=fmap]")
    assert len(early) == len(late) > 0
    assert any(a["hash"] != b["hash"] for a, b in zip(early, late, strict=True))
    if session.demo["has_masks"]:
        # The object outline is drawn on the IG maps, and goes away when switched off.
        with_outline = session.digests("canvas[data-role=ig-overlay]")
        frame.uncheck("[data-role=outline]")
        assert session.digests("canvas[data-role=ig-overlay]") != with_outline
        frame.check("[data-role=outline]")


def test_arrow_keys_and_play_advance_the_epoch(session: Session) -> None:
    frame = session.frame
    e = session.epochs
    frame.click("[data-role=example-title]")  # focus the dashboard itself, not a control
    frame.press("body", "Home")
    session.wait_rendered(e[0])
    session.page.keyboard.press("ArrowRight")
    session.wait_rendered(e[1])
    session.page.keyboard.press("ArrowRight")
    session.wait_rendered(e[2])
    session.page.keyboard.press("ArrowLeft")
    session.wait_rendered(e[1])
    assert frame.input_value("[data-role=epoch-slider]") == "1"
    frame.press("body", "Home")
    session.wait_rendered(e[0])
    frame.click("[data-role=play]")
    assert session.root("playing") == "true"
    session.wait_rendered(e[1])
    session.wait_rendered(e[2])
    frame.click("[data-role=play]")
    assert session.root("playing") == "false"
    # The step buttons too.
    frame.press("body", "Home")
    session.wait_rendered(e[0])
    frame.click("[data-role=next]")
    session.wait_rendered(e[1])
    frame.click("[data-role=prev]")
    session.wait_rendered(e[0])


def test_switching_normalisation_changes_the_rendering(session: Session) -> None:
    frame = session.frame
    frame.press("body", "End")
    session.wait_rendered(session.epochs[-1])
    frame.select_option("[data-role=scale]", "alphas")
    alphas = session.digests("canvas[data-role=sweep-map]")
    frame.select_option("[data-role=scale]", "map")
    per_map = session.digests("canvas[data-role=sweep-map]")
    assert sum(a["hash"] != b["hash"] for a, b in zip(alphas, per_map, strict=True)) >= 5
    per_map_labels = frame.eval_on_selector_all(".map-scale", "s => s.map(x => x.textContent)")
    assert all(text.startswith("±") for text in per_map_labels)
    # Fixed across epochs: one shared scale, so no per-map values and a numeric legend.
    frame.select_option("[data-role=scale]", "epochs")
    frame.wait_for_function("document.querySelector('.map-scale').textContent === ''")
    legend = frame.eval_on_selector_all(".legend-labels span", "s => s.map(x => x.textContent)")
    assert legend[1] == "0" and legend[2].startswith("+")
    # The views and the palettes re-colour the maps as well.
    before = session.digests("canvas[data-role=sweep-map]")
    frame.click("[data-view=signed]")
    signed = session.digests("canvas[data-role=sweep-map]")
    frame.select_option("[data-role=palette]", "puor")
    puor = session.digests("canvas[data-role=sweep-map]")
    frame.click("[data-view=abs]")
    magnitude = session.digests("canvas[data-role=sweep-map]")
    assert before != signed != puor != magnitude
    session.shot("03-magnitude-puor")
    frame.click("[data-view=overlay]")
    frame.select_option("[data-role=palette]", "rdbu")
    frame.select_option("[data-role=scale]", "alphas")


def _download(session: Session, kind: str) -> bytes:
    with session.page.expect_download(timeout=60_000) as info:
        session.frame.click(f"[data-export={kind}]")
    download = info.value
    assert download.failure() is None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / download.suggested_filename
    download.save_as(str(target))
    return target.read_bytes()


def test_export_produces_files(session: Session) -> None:
    from PIL import Image

    png = _download(session, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.width > 600 and image.height > 200
    gif = _download(session, "gif")
    assert gif[:6] == b"GIF89a"
    animation = Image.open(io.BytesIO(gif))
    assert animation.n_frames == len(session.epochs)
    assert session.frame.is_enabled("[data-export=png]")
    if session.frame.is_visible("[data-export=webm]"):
        webm = _download(session, "webm")
        assert webm[:4] == b"\x1a\x45\xdf\xa3" and len(webm) > 1000


def test_state_survives_a_reload(session: Session) -> None:
    frame = session.frame
    frame.click(".thumb[data-index='2']")
    frame.click("[data-view=signed]")
    frame.press("body", "Home")
    session.wait_rendered(session.epochs[0])
    session.page.wait_for_function(
        "location.hash.includes('p.tb_attrib.example=2')"
        f" && location.hash.includes('p.tb_attrib.epoch={session.epochs[0]}')"
        " && location.hash.includes('p.tb_attrib.view=signed')"
    )
    session.page.reload()
    frame = session.dashboard()
    session.wait_rendered(session.epochs[0])
    assert frame.get_attribute(".thumb.selected", "data-index") == "2"
    assert frame.get_attribute("[data-view=signed]", "aria-pressed") == "true"
    assert frame.input_value("[data-role=run]") == DEMO_RUN
    session.shot("04-after-reload")
    frame.click("[data-view=overlay]")


def _theme(session: Session, title: str) -> None:
    session.page.click("button[aria-label='Menu for changing light or dark theme']")
    session.page.click(f"button[title='{title}']")


def test_dark_mode_follows_tensorboard(session: Session) -> None:
    frame = session.frame
    _theme(session, "Force dark TensorBoard theme.")
    frame.wait_for_function("document.documentElement.classList.contains('dark')")
    assert frame.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(48, 48, 48)"
    session.page.wait_for_timeout(400)  # let TensorBoard's menu fade out
    session.shot("05-dark")
    _theme(session, "Force light TensorBoard theme.")
    frame.wait_for_function("!document.documentElement.classList.contains('dark')")
    assert frame.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    _theme(session, "Set the theme to match the default mode in the browser.")


def test_user_data_is_shown_as_text_and_runs_nothing(session: Session) -> None:
    frame = session.frame
    frame.select_option("[data-role=run]", XSS)
    frame.wait_for_function("[...document.querySelectorAll('.thumb')].length === 4", timeout=30_000)
    session.wait_rendered(2)
    option = frame.eval_on_selector(f"[data-role=run] option[value='{XSS}']", "o => o.textContent")
    assert option == XSS
    truths = frame.eval_on_selector_all(".thumb .truth", "ts => ts.map(t => t.textContent)")
    assert truths[0] == XSS and truths[3] == XSS
    assert XSS in frame.text_content("[data-role=example-title]")
    assert frame.evaluate("document.querySelectorAll('img').length") == 0
    assert frame.evaluate("window.__xss") is None
    assert session.page.evaluate("window.__xss") is None
    session.shot("06-user-data-as-text")
    # Channel, feature, token and input names (a sequence, a table row and a text).
    frame.select_option("[data-role=run]", NAMES_RUN)
    frame.wait_for_function(
        f"document.querySelector('.tba-root').dataset.run === '{NAMES_RUN}'", timeout=30_000
    )
    session.wait_rendered(1)

    def texts(selector: str) -> list[str]:
        return frame.eval_on_selector_all(selector, "ns => ns.map(n => n.textContent)")

    assert XSS in texts(".seq-label"), "a channel name"
    assert XSS in texts(".tab-row .tab-name"), "a feature name"
    assert XSS in [t.replace("◆ ", "") for t in texts(".tab-strip-name")]
    assert XSS in texts(".tok-text[data-role=ig-map] .tok"), "a token"
    assert texts(".tok-text[data-role=ig-map] .tok")[0] == XSS
    assert any(XSS in t for t in texts(".input-title")), "an input name"
    assert XSS in frame.text_content("[data-role=example-title]"), "a class name"
    assert frame.evaluate("document.querySelectorAll('img').length") == 0
    assert frame.evaluate("window.__xss") is None
    assert session.page.evaluate("window.__xss") is None
    session.shot("06b-names-as-text")


def test_empty_state_explains_how_to_produce_data(session: Session) -> None:
    page = session.page
    page.route(
        "**/data/plugin/tb_attrib/runs",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body='{"version": 1, "runs": []}'
        ),
    )
    try:
        page.reload()
        handle = page.wait_for_selector("iframe[src*='plugin_entry']", timeout=60_000)
        frame = handle.content_frame()
        frame.wait_for_selector("[data-role=empty-state]", timeout=30_000)
        code = frame.text_content("[data-role=empty-state] pre")
        assert "from tb_attrib.callbacks import Attributions" in code
        assert "callbacks=[Attributions(" in code
        session.shot("07-empty")
    finally:
        page.unroute("**/data/plugin/tb_attrib/runs")


def test_no_console_errors_or_csp_violations(session: Session) -> None:
    assert session.csp_violations == []
    assert session.console_errors == []


def test_dashboard_renders_behind_a_path_prefix(session: Session, logdir: Path) -> None:
    """TensorBoard behind a reverse proxy (``--path_prefix``): the page finds the plugin's
    module, its imports and its data under the prefix, and renders the demo run.

    Every request of the plugin's frame must succeed (its fonts included: the stylesheet's
    relative URLs must keep the prefix). TensorBoard 2.21's own top page asks for its Roboto
    fonts at ``/font-roboto/...`` without the prefix (404); that frame is not ours to check."""
    errors: list[str] = []
    with tensorboard_process(logdir, "--path_prefix=/proxy/tb") as base:
        page = session.page.context.new_page()
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and "plugin_entry" in r.frame.url
                else None
            ),
        )
        try:
            page.goto(base + "/#tb_attrib")
            handle = page.wait_for_selector("iframe[src*='plugin_entry']", timeout=60_000)
            frame = handle.content_frame()
            assert "/proxy/tb/" in frame.url
            frame.wait_for_selector(".tba-root[data-state=ready]", timeout=60_000)
            frame.select_option("[data-role=run]", DEMO_RUN)
            frame.wait_for_function(
                "document.querySelector('[data-role=example-title]')"
                ".textContent.includes('Example #0')",
                timeout=60_000,
            )
            assert frame.locator(".thumb").count() > 0
        finally:
            page.close()
    assert errors == []
