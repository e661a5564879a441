"""Every modality, head and input layout of summary format 2 in the Attributions dashboard,
in headless Chromium against the real ``tensorboard`` CLI.

The logs are ``plugin_logs.write_modality_log``'s, at the sizes users meet: a 1000-step
three-channel series, a 100-feature table row, a 256-token text, a 224x224 image beside a
100-feature row; plus small ones for the other heads and a held-fixed input. One TensorBoard
and one page serve the module; console errors and CSP violations are collected for the whole
session and must stay empty. Screenshots and exported files land in ``artifacts/frontend/``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from browser import ARTIFACTS, CANVAS_DIGESTS, CHROMIUM, open_session, plugin_frame, wait_rendered
from plugin_logs import IG_TAG, write_modality_log, written_records
from tb_process import http_get, tensorboard_process, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EPOCHS = 3
EXAMPLES = 4
RUNS = {
    "sequence": dict(modality="sequence", realistic=True),
    "tabular": dict(modality="tabular", realistic=True),
    "tokens": dict(modality="tokens", realistic=True, label_and_predicted=True),
    "image_and_tabular": dict(modality=["image", "tabular"], realistic=True),
    "held_fixed": dict(modality=["sequence", "tabular"], fixed=[1]),
    "regression": dict(modality="tabular", head="regression", width=2),
    "multilabel": dict(modality="sequence", head="multilabel"),
    "binary": dict(modality="image", head="binary"),
}
LAST = EPOCHS - 1

# What a modality's drawing is made of: every canvas of the two cards, and the backgrounds
# of the token spans (a text is DOM, not a canvas).
DRAWING = """() => {
  const digests = (DIGESTS)('.inputs-sweep canvas, .inputs-ig canvas');
  const tokens = [...document.querySelectorAll('.tok')].map((t) => t.style.backgroundColor);
  return {digests, tokens};
}""".replace("DIGESTS", CANVAS_DIGESTS)
MINUS = "\u2212"  # the dashboard writes negative numbers with a minus sign


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("modalities") / "logs"
    written = {
        name: write_modality_log(root / name, epochs=EPOCHS, examples=EXAMPLES, **options)
        for name, options in RUNS.items()
    }
    return root, written


@pytest.fixture(scope="module")
def base_url(logs):
    with tensorboard_process(logs[0]) as url:
        wait_until(
            lambda: len(http_get(url + "/data/plugin/tb_attrib/runs").json()["runs"]) == len(RUNS),
            timeout=60,
            what="every run to be listed",
        )
        yield url


class Session:
    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        self.frame = None

    def open(self, run: str, epoch: int = LAST):
        """Shows ``run`` (its first example) and waits until ``epoch`` is drawn."""
        if self.frame is None:
            self.page.goto(f"{self.base_url}/#tb_attrib&p.tb_attrib.run={run}")
            self.frame = plugin_frame(self.page)
        elif self.frame.evaluate("document.querySelector('.tba-root').dataset.run") != run:
            self.frame.select_option("[data-role=run]", run)
        wait_rendered(self.frame, LAST, run, timeout_ms=60_000)
        self.frame.wait_for_selector(".tba-root[data-loaded='1']", timeout=60_000)
        if epoch != LAST:
            self.seek(epoch)
        return self.frame

    def seek(self, epoch: int) -> None:
        """Moves the epoch slider (epochs are 0 .. EPOCHS - 1) and waits for the drawing."""
        self.frame.fill("[data-role=epoch-slider]", str(epoch))
        wait_rendered(self.frame, epoch)

    def drawing(self) -> dict:
        return self.frame.evaluate(DRAWING)

    def shot(self, name: str, card: str | None = None) -> None:
        """A screenshot of the viewport, scrolled to ``card`` ("sweep", "ig", ...) if given."""
        if card:
            self.frame.eval_on_selector(f"[data-card={card}]", "c => c.scrollIntoView()")
        else:
            self.frame.evaluate("document.querySelector('.main').scrollTop = 0")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def download(self, kind: str) -> bytes:
        with self.page.expect_download(timeout=60_000) as info:
            self.frame.click(f"[data-export={kind}]")
        download = info.value
        assert download.failure() is None
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / f"modality_{download.suggested_filename}"
        download.save_as(str(target))
        return target.read_bytes()

    def texts(self, selector: str) -> list[str]:
        return self.frame.eval_on_selector_all(selector, "ns => ns.map(n => n.textContent)")


@pytest.fixture(scope="module")
def session(base_url: str):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    with playwright_api.sync_playwright() as p:
        errors: list[str] = []
        browser, context, page = open_session(p, errors.append)
        s = Session(page, base_url)
        s.errors = errors
        yield s
        context.close()
        browser.close()


def _changed(early: dict, late: dict) -> int:
    """How many of the drawing's parts differ between two epochs."""
    hashes = sum(
        a["hash"] != b["hash"] for a, b in zip(early["digests"], late["digests"], strict=True)
    )
    return hashes + (early["tokens"] != late["tokens"])


@pytest.mark.parametrize("run", ["sequence", "tabular", "tokens", "image_and_tabular"])
def test_each_modality_draws_and_follows_the_epoch_slider(session: Session, run: str) -> None:
    frame = session.open(run)
    late = session.drawing()
    assert late["digests"], "the view draws canvases"
    assert all(d["colours"] > 2 for d in late["digests"]), "no blank canvas"
    if run == "tokens":
        assert len(late["tokens"]) > 100 and len(set(late["tokens"])) > 5, "tokens coloured"
    session.shot(f"m-{run}-epoch{LAST}")
    session.shot(f"m-{run}-epoch{LAST}-ig", card="ig")
    session.seek(0)
    early = session.drawing()
    assert len(early["digests"]) == len(late["digests"])
    assert _changed(early, late) >= 2, "the drawing follows the epoch"
    session.shot(f"m-{run}-epoch0")
    # Export of the current view: a PNG showing more than the title.
    from PIL import Image

    png = session.download("png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.width > 400 and image.height > 250
    assert len(image.convert("RGB").getcolors(1 << 20) or []) > 50, "the PNG holds the drawing"
    assert frame.is_enabled("[data-export=png]")


def test_gif_export_of_a_sequence(session: Session) -> None:
    from PIL import Image

    session.open("sequence")
    gif = session.download("gif")
    assert gif[:6] == b"GIF89a"
    assert Image.open(io.BytesIO(gif)).n_frames == EPOCHS


def test_two_inputs_are_stacked_with_one_completeness_table(session: Session) -> None:
    frame = session.open("image_and_tabular")
    names = session.texts(".inputs-ig .input-title .input-name")
    assert names == ["image", "features"]
    assert session.texts(".inputs-sweep .input-title .input-name") == names
    assert frame.locator(".ig-stats").count() == 1
    # Each input has its own legend (maps of different inputs have their own units).
    assert frame.locator(".input-block .legend").count() == 4
    assert frame.locator("canvas[data-role=ig-overlay]").count() == 1  # the image's
    assert frame.locator(".tab-row").count() == 21  # top 20 features + "80 others"
    frame = session.open("held_fixed")
    assert "Held fixed" in frame.text_content(".inputs-sweep [data-input='1']")
    assert "Held fixed" in frame.text_content(".inputs-ig [data-input='1']")
    assert frame.locator(".inputs-ig [data-input='1'] .tab-row").count() == 10, "input shown"
    session.shot("m-held_fixed-ig", card="ig")


def test_heads_word_their_predictions(session: Session, logs) -> None:
    frame = session.open("regression")
    title = frame.text_content("[data-role=example-title]")
    number = f"[{MINUS}-]?[\\d.]+(e-?\\d+)?"
    assert re.search(f"true: {number} · predicted: {number}", title), title
    assert "Predicted value vs \u03b1" in frame.text_content("[data-card=charts]")
    assert all(re.fullmatch(number, t) for t in session.texts(".thumb .truth"))
    session.shot("m-regression")
    frame = session.open("multilabel")
    names = logs[1]["multilabel"].class_names
    title = frame.text_content("[data-role=example-title]")
    assert "true: " in title and any(n in title for n in names), title
    frame = session.open("binary")
    guesses = session.texts(".thumb .guess")
    assert all(g.split()[0] in ("negative", "positive") for g in guesses), guesses


def test_completeness_is_the_stored_relative_delta(session: Session, logs) -> None:
    from tb_attrib.summary import codec

    frame = session.open("tokens")
    record = codec.decode_record(written_records(logs[1]["tokens"].run_dir)[IG_TAG][LAST][1])
    stored = float(record.arrays["relative_delta"])
    shown = float(frame.text_content("[data-stat=relative]").replace(MINUS, "-"))
    assert shown == pytest.approx(stored, rel=5e-3)


def test_predicted_class_toggle(session: Session, logs) -> None:
    log = logs[1]["tokens"]
    rows, classes = log.predicted[0]
    example = int(rows[0])
    frame = session.open("tokens")
    frame.click(f".thumb[data-index='{example}']")
    frame.wait_for_selector(".tba-root[data-loaded='1']")
    session.seek(0)
    toggle = frame.locator("[data-role=explain]")
    assert toggle.is_visible()
    label_colours = session.drawing()["tokens"]
    frame.click("[data-explain=predicted]")
    frame.wait_for_function(
        "document.querySelector('[data-stat=target]').textContent.includes('(predicted)')"
    )
    assert session.drawing()["tokens"] != label_colours
    expected = log.class_names[int(classes[0])]
    assert frame.text_content("[data-stat=target]") == f"{expected} (predicted)"
    session.page.wait_for_function("location.hash.includes('p.tb_attrib.explain=predicted')")
    session.shot("m-tokens-predicted", card="ig")
    frame.click("[data-explain=label]")
    frame.wait_for_function(
        "!document.querySelector('[data-stat=target]').textContent.includes('(predicted)')"
    )
    # Another example the model never gets wrong: no toggle.
    frame.click(".thumb[data-index='0']")
    frame.wait_for_selector(".tba-root[data-loaded='1']")
    wait_rendered(frame, 0)
    assert not toggle.is_visible()


def test_no_console_errors_or_csp_violations(session: Session) -> None:
    assert session.errors == []
