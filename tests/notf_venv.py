"""A virtual environment without TensorFlow, for the tests that prove tb_attrib needs none.

``ensure()`` creates ``.venv-notf/`` beside ``.venv`` (ignored by git) and installs into it,
from the same package index as the project's venv, the versions of :data:`PACKAGES` that the
running interpreter has (Keras, TensorBoard, NumPy and JAX: a JAX user's set), then tb_attrib
itself, editable and without dependencies (so that TensorBoard finds the plugin's entry point
and the working tree's code runs). A stamp records what was installed; a later call with the
same set reuses the venv (about 15 s to create here, from the local package mirror)::

    from notf_venv import ensure
    python = ensure()              # Path of .venv-notf/bin/python
    subprocess.run([python, "script.py"], check=True)

``ensure`` fails if TensorFlow can be imported there.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-notf"
PYTHON = VENV / "bin" / "python"
PACKAGES = ("numpy", "keras", "tensorboard", "jax", "jaxlib")
"""Installed at the running interpreter's versions (unpinned where it has none)."""

_STAMP = VENV / ".tb_attrib-installed"


def requirements() -> list[str]:
    out = []
    for name in PACKAGES:
        try:
            out.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(name)
    return out


def ensure(timeout: float = 600.0) -> Path:
    """The venv's python, created or brought up to date first."""
    wanted = json.dumps(
        {
            "requirements": requirements(),
            "root": str(ROOT),
            "setup.py": hashlib.sha256((ROOT / "setup.py").read_bytes()).hexdigest(),
        },
        sort_keys=True,
    )
    if PYTHON.exists() and _STAMP.exists() and _STAMP.read_text() == wanted:
        return PYTHON
    _STAMP.unlink(missing_ok=True)
    if not PYTHON.exists():
        _run([sys.executable, "-m", "venv", str(VENV)], timeout)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, *requirements()], timeout)
    _run([*pip, "--no-deps", "-e", str(ROOT)], timeout)
    has_tf = subprocess.run(
        [str(PYTHON), "-c", "import tensorflow"], capture_output=True, timeout=timeout
    )
    if has_tf.returncode == 0:
        raise RuntimeError(f"{VENV} has TensorFlow; remove the directory and run again")
    _STAMP.write_text(wanted)
    return PYTHON


def _run(command: list[str], timeout: float) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
