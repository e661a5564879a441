"""tb_attrib where TensorFlow is not installed: write, read back, serve.

A JAX or PyTorch user has Keras, TensorBoard and NumPy but no TensorFlow. In such a venv
(``tests/notf_venv.py``: ``.venv-notf``, created on first use), ``tests/scripts/
no_tensorflow_run.py`` writes a log with the public write ops through TensorBoard's own
event-file writer, and trains a small CNN with the callbacks on JAX; then the venv's own
``tensorboard`` CLI serves each log and the plugin's routes must answer with exactly the
written records, TensorBoard's Histograms and Scalars routes with the standard summaries.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import notf_venv
import pytest

pytestmark = pytest.mark.slow

SCRIPT = notf_venv.ROOT / "tests" / "scripts" / "no_tensorflow_run.py"


@pytest.fixture(scope="module")
def python() -> Path:
    return notf_venv.ensure()


def _run(python: Path, part: str, logdir: Path, **env: str) -> dict:
    result = subprocess.run(
        [str(python), str(SCRIPT), part, str(logdir)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=notf_venv.ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-6000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_venv_has_no_tensorflow(python: Path) -> None:
    probe = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('tensorflow'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "None"


def test_write_ops_and_serve_without_tensorflow(python: Path, tmp_path: Path) -> None:
    report = _run(python, "ops", tmp_path / "logs")
    assert [s["load_fast"] for s in report["serve"]] == ["auto", "false"]
    assert report["tensorflow_imported"] is False


def test_fit_on_jax_and_serve_without_tensorflow(python: Path, tmp_path: Path) -> None:
    report = _run(python, "fit", tmp_path / "logs", KERAS_BACKEND="jax")
    assert report["serve"][0]["histogram_tags"]
    assert report["tensorflow_imported"] is False


@pytest.mark.browser
def test_the_dashboard_renders_a_log_trained_and_served_without_tensorflow(
    python: Path, tmp_path: Path
) -> None:
    """The whole chain without TensorFlow: train on JAX, write, serve with the no-TensorFlow
    venv's TensorBoard, render in Chromium (driven from the test venv, which has Playwright)."""
    from browser import CANVAS_DIGESTS, open_session, plugin_frame, wait_rendered
    from playwright.sync_api import sync_playwright
    from tb_process import tensorboard_process

    logdir = tmp_path / "logs"
    report = _run(python, "fit", logdir, KERAS_BACKEND="jax")
    assert report["tensorflow_imported"] is False
    errors: list[str] = []
    executable = python.parent / "tensorboard"
    with tensorboard_process(logdir, executable=executable) as url, sync_playwright() as api:
        browser, _, page = open_session(api, errors.append)
        try:
            page.goto(f"{url}/#tb_attrib")
            frame = plugin_frame(page)
            epochs = frame.evaluate("window.tbAttrib.epochs")
            wait_rendered(frame, epochs[-1])
            maps = frame.evaluate(CANVAS_DIGESTS, "canvas[data-role=ig-map]")
            assert maps and all(m["colours"] > 1 for m in maps)
        finally:
            browser.close()
    assert not errors, errors
