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
