"""Smoke test of the backend benchmarks (``bench/backends.py``, ``bench/engine.py --backend``).

Runs ``bench/backends.py --quick`` on JAX and PyTorch, each in its own process as the bench
does, with a fresh cache (it trains its tiny network on PyTorch), and ``bench/engine.py
--backend torch --quick --sections a`` on that network. Nothing here asserts a time: only that
the benches run, that each backend's map equals its own bare limit's, that Captum's
Gauss-Legendre map equals ours with the same rule, and that every table is printed.

Needs JAX, PyTorch and Captum (the ``[bench]`` extras); skipped without them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

for _module in ("jax", "torch", "captum"):
    if importlib.util.find_spec(_module) is None:
        pytest.skip(f"{_module} is not installed", allow_module_level=True)

pytestmark = [pytest.mark.slow, pytest.mark.peers]


def _run(*args: str, timeout: float = 240) -> str:
    result = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench_backends")
    out = tmp / "out.json"
    text = _run(
        "bench/backends.py", "--quick", "--backends", "jax", "torch", "--repeats", "1",
        "--cache", str(tmp), "--json", str(out),
    )  # fmt: skip
    return text, json.loads(out.read_text())


def test_every_backend_matches_its_bare_limit(quick_run):
    text, out = quick_run
    assert set(out["facts"]) == {"jax", "torch"}
    assert out["model"]["trained_on"] == "torch"  # trained on PyTorch, loaded by both
    for backend, facts in out["facts"].items():
        assert facts["agreement"]["limit@8"] < 1e-4, backend
        assert facts["agreement"]["ours-b128@8"] < 1e-4, backend
        assert "peak" in out["memory"][f"{backend}:ours"], backend
    for table in ("own bare limit", "side by side", "Peak memory", "### Captum", "### Goals"):
        assert table in text


def test_captum_runs_on_the_keras_model(quick_run):
    _, out = quick_run
    facts = out["facts"]["torch"]
    # Same rule, same points: the same map.
    assert facts["agreement"]["captum-docs@8"] < 1e-4
    assert facts["agreement"]["captum-b512@8"] < 1e-4
    # Captum's trapezoid weights are 1/n, halved at both ends: they sum to 1 - 1/n.
    assert facts["captum_trapezoid_weight_sums"]["8"] == pytest.approx(7 / 8)
    accuracy = out["accuracy"]
    assert set(accuracy["errors"]) >= {"ours", "ours-gausslegendre", "captum-docs"}
    assert accuracy["errors"]["captum-docs"]["8"] == pytest.approx(
        accuracy["errors"]["ours-gausslegendre"]["8"], rel=1e-3
    )


def test_engine_bench_runs_on_torch(quick_run):
    _, out = quick_run
    text = _run(
        "bench/engine.py", "--backend", "torch", "--quick", "--sections", "a",
        "--model", out["model"]["path"],
    )  # fmt: skip
    assert "engine benchmark on torch" in text
    assert "speed vs limit" in text
