"""Two independent implementations of integrated gradients converge to the same answer.

Ours (``tb_attrib.integrated_gradients``, Gauss-Legendre) and PAIR's ``saliency`` package
(equally spaced points, its own loop) at 1000 gradient evaluations each must agree within 1%
relative L2 on the demo network, briefly trained with a fixed seed. A trained network matters:
a freshly initialised ReLU network with zero biases has a constant gradient along the path
from a black baseline, where any two implementations agree trivially.

Needs the ``bench`` extras (``pip install -e ".[test,bench]"``, which the README's test
command installs); skipped without them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("saliency.core")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import _peers_impls
import _peers_models

pytestmark = pytest.mark.peers

EVALUATIONS = 1000
PROBE = 3


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def demo_network():
    """The demo network after one short epoch (fixed seed) and a 4-example probe."""
    model = _peers_models.train("relu", epochs=1, train_size=640)
    x, y = _peers_models.probe("relu", size=PROBE)
    return model, x, y


def test_ours_and_saliency_agree_at_1000_evaluations(demo_network):
    model, x, y = demo_network
    ours = _peers_impls.Ours(model, x, y).result(EVALUATIONS)
    theirs = _peers_impls.SaliencyBest(model, x, y).attribute(EVALUATIONS)

    assert ours.attributions.shape == theirs.shape == x.shape
    assert _rel(ours.attributions, theirs) < 0.01
    # Both satisfy completeness: sum(IG) -> F(x) - F(baseline).
    expected = ours.score_input - ours.score_baseline
    assert (
        np.abs(theirs.reshape(PROBE, -1).sum(axis=1) - expected).sum()
        < 0.01 * np.abs(expected).sum()
    )
    assert np.abs(ours.delta).sum() < 0.01 * np.abs(expected).sum()


def test_the_comparison_is_not_trivial(demo_network):
    """With few evaluations the two rules still disagree: the path gradient is not constant."""
    model, x, y = demo_network
    ours = _peers_impls.Ours(model, x, y).attribute(4)
    theirs = _peers_impls.SaliencyBest(model, x, y).attribute(4)
    assert _rel(ours, theirs) > 0.01
