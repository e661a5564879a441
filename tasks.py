#!/usr/bin/env python3
"""Set up and run tb_attrib's two jobs with nothing but Python 3.11 on the machine.

    python3.11 tasks.py demo   # venv + install, train the demo, serve TensorBoard on its logs
    python3.11 tasks.py test   # venv + install (with test tools and Chromium), run every test

Everything is installed into ``.venv`` beside this file; re-running skips what is already
there. Extra arguments after ``demo`` go to ``demo_train.py``; after ``test``, to pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")
DEMO_LOGDIR = "logs/demo"


def _run(*cmd: object, **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kwargs)


def _ensure_venv(extras: str, first: tuple[str, ...] = ()) -> None:
    """Creates .venv and installs the project with ``extras`` unless the same set is there;
    the requirements ``first`` go in before the project, so that what the extras pull in finds
    them already satisfied (the CPU build of torch before captum, which would pull CUDA's)."""
    if sys.version_info[:2] < (3, 10):  # noqa: UP036 (tasks.py may run on any python3)
        sys.exit("tb_attrib needs Python 3.10 or newer (3.11 recommended)")
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras.replace(',', '-')}"
    digest = hashlib.sha256((ROOT / "setup.py").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "setuptools", "wheel")
    # A TensorFlow that is already present (GPU or CPU build) is kept; otherwise the CPU build.
    has_tf = (
        subprocess.run(
            [PYTHON, "-c", "import tensorflow"], capture_output=True, cwd=ROOT
        ).returncode
        == 0
    )
    for requirement in first:
        module = requirement.split("=")[0].split("[")[0]
        present = subprocess.run([PYTHON, "-c", f"import {module}"], capture_output=True)
        if present.returncode != 0:
            _run(PYTHON, "-m", "pip", "install", "--quiet", requirement)
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", install_target(extras, has_tf))
    stamp.write_text(digest)


def install_target(extras: str, has_tensorflow: bool) -> str:
    """The editable install target: ``extras``, plus ``cpu`` unless TensorFlow is present.

    ``.[]`` is not a valid target, so no extras at all gives ``.`` (the demo's set-up in a
    venv that the test job already filled with TensorFlow).
    """
    wanted = [e for e in extras.split(",") if e]
    if not has_tensorflow:
        wanted.insert(0, "cpu")
    return f".[{','.join(wanted)}]" if wanted else "."


def _ensure_system_packages() -> None:
    """Installs Debian's Chromium (browser tests) and Node.js (frontend unit tests) if missing."""
    missing = [
        pkg
        for pkg, present in (
            ("chromium", CHROMIUM.exists()),
            ("nodejs", shutil.which("node") is not None),
        )
        if not present
    ]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"missing Debian packages {missing}: install them (needs root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run("apt-get", "update", "-q", env=env)
    _run("apt-get", "install", "-y", "-q", *missing, env=env)


TORCH_FOR_TESTS = "torch==2.13.0"
"""The PyTorch the test job installs: the CPU build that lies on this kind of machine's disk.
A bare ``torch`` (or the ``[torch]`` extra) resolves to the CUDA build for Linux, several GB
of ``nvidia-*`` wheels the tests do not need (README, "Every backend")."""

BACKEND_EXTRAS = {"jax": "jax", "torch": "torch"}


def _backend_extra() -> str:
    """The extra that KERAS_BACKEND needs (none for TensorFlow, installed anyway)."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend not in ("tensorflow", *BACKEND_EXTRAS):
        sys.exit(f"KERAS_BACKEND={backend!r}: tb_attrib runs on tensorflow, jax or torch")
    return BACKEND_EXTRAS.get(backend, "")


def demo(args: list[str]) -> None:
    _ensure_venv(_backend_extra())
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--logdir", default=DEMO_LOGDIR)
    logdir = parser.parse_known_args(args)[0].logdir
    # argparse keeps the last --logdir, so a user's own wins over this default.
    _run(PYTHON, "demo_train.py", "--logdir", DEMO_LOGDIR, *args)
    port = os.environ.get("TB_PORT", "6006")
    # Localhost only by default: --bind_all would show the logs to the whole local network.
    host = os.environ.get("TB_HOST", "localhost")
    _run(VENV / "bin" / "tensorboard", "--logdir", logdir, "--port", port, "--host", host)


def test(args: list[str]) -> None:
    _ensure_venv("test,bench,jax", first=(TORCH_FOR_TESTS,))
    _ensure_system_packages()
    _run(PYTHON, "-m", "ruff", "check", ".")
    js_tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "js").glob("*.test.mjs"))
    if js_tests:
        _run("node", "--test", *js_tests)
    _run(PYTHON, "-m", "pytest", *(args or ["-q", "-ra"]))


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test"):
        sys.exit(__doc__)
    job, args = sys.argv[1], sys.argv[2:]
    try:
        {"demo": demo, "test": test}[job](args)
    except subprocess.CalledProcessError as e:
        sys.exit(e.returncode)


if __name__ == "__main__":
    main()
