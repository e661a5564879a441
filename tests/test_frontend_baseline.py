"""The baseline's health in the dashboard, in headless Chromium against the real CLI.

A real Keras model (``baseline_models.brightness_model``) that classifies the black image as
"dark" at 100% is trained with the ``Attributions`` callback on 32x32 probe images: the "dark"
examples' maps explain a change near zero. The run's notice says so with the numbers, the IG
panel of a "dark" example says so, and that of a "light" example does not; a run with
``baseline="expected"`` of the same model says nothing. Screenshots land in
``artifacts/frontend/``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from baseline_models import CLASS_NAMES, brightness_model, labelled_probe
from browser import ARTIFACTS, CHROMIUM, open_session, plugin_frame, wait_rendered
from tb_process import http_get, tensorboard_process, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EPOCHS = 2
SIDE = 32


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tb_attrib.callbacks import Attributions

    root = tmp_path_factory.mktemp("baseline") / "logs"
    x, y = labelled_probe(8, SIDE)
    for run, baseline in (("black", "black"), ("expected", "expected")):
        model = brightness_model(5.0, SIDE)
        callback = Attributions(
            root, x, y, class_names=CLASS_NAMES, baseline=baseline, run_name=run
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x, y, epochs=EPOCHS, verbose=0, callbacks=[callback])
    return root


@pytest.fixture(scope="module")
def frame(logdir: Path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    with tensorboard_process(logdir) as url:
        wait_until(
            lambda: len(http_get(url + "/data/plugin/tb_attrib/runs").json()["runs"]) == 2,
            timeout=60,
            what="both runs to be listed",
        )
        with playwright_api.sync_playwright() as p:
            errors: list[str] = []
            browser, context, page = open_session(p, errors.append)
            page.goto(f"{url}/#tb_attrib&p.tb_attrib.run=black")
            plugin = plugin_frame(page)
            wait_rendered(plugin, EPOCHS - 1, "black", timeout_ms=60_000)
            yield page, plugin
            assert errors == []
            context.close()
            browser.close()


def _text(plugin, selector: str) -> str | None:
    """The text of ``selector`` when shown, else None."""
    return plugin.eval_on_selector(selector, "n => n.hidden ? null : n.textContent")


def _shot(page, plugin, name: str, card: str | None = "ig") -> None:
    if card:
        plugin.eval_on_selector(f"[data-card={card}]", "c => c.scrollIntoView()")
    else:
        plugin.evaluate("document.querySelector('.main').scrollTop = 0")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_the_affected_example_and_the_run_say_the_baseline_is_its_class(frame, logdir) -> None:
    import tb_attrib

    page, plugin = frame
    run = tb_attrib.load(logdir)["black"]
    change = run.ig_score_input[-1] - run.ig_score_baseline[-1]
    assert run.ig_baseline_affected[-1].tolist() == [True, False] * 4
    notice = _text(plugin, ".banner")
    assert notice is not None and "“dark” at 100%" in notice
    assert "4 probe examples of that class" in notice
    warning = _text(plugin, ".baseline-warning")  # example 0 is "dark"
    assert warning is not None
    assert warning.startswith("The baseline (black) is classified “dark” at 100%")
    shown = f"{change[0]:.3g}".replace("-", "\u2212")
    assert f"of only {shown}" in warning, (warning, change[0])
    assert np.abs(change[0]) < 0.1
    _shot(page, plugin, "baseline-warning-dark")
    plugin.click(".thumb[data-index='1']")  # a "light" example
    plugin.wait_for_function(
        "document.querySelector('.baseline-warning').hidden === true", timeout=15_000
    )
    _shot(page, plugin, "baseline-warning-light")


def test_expected_gradients_of_the_same_model_say_nothing(frame) -> None:
    page, plugin = frame
    _shot(page, plugin, "baseline-black-notice", card=None)
    plugin.select_option("[data-role=run]", "expected")
    wait_rendered(plugin, EPOCHS - 1, "expected", timeout_ms=60_000)
    plugin.wait_for_selector(".tba-root[data-loaded='1']", timeout=60_000)
    assert _text(plugin, ".baseline-warning") is None
    assert _text(plugin, ".banner") is None
    baseline = plugin.eval_on_selector("[data-stat=baseline]", "n => n.textContent")
    assert baseline == "expected"
