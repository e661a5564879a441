"""SmoothGrad, SmoothGrad on IG and Guided IG agree with PAIR ``saliency``'s implementations.

The same group as ``tests/test_peers.py`` (``peers`` mark, the demo network briefly trained
with a fixed seed): each of our methods against ``saliency.core``'s at convergence with the
same settings, within 1% relative L2:

- SmoothGrad: ``GradientSaliency.GetSmoothedMask`` (``magnitude=False``), same noise: the
  unit-normal draws ``saliency`` makes (it calls ``np.random.normal`` once per sample) are
  reproduced from the same seed and handed to ours as ``noise``;
- SmoothGrad on IG: ``IntegratedGradients.GetSmoothedMask`` with the same noise, each IG at
  1000 evaluations (its rule and ours differ; both converge);
- Guided IG: ``GuidedIG.GetMask`` with the same steps, fraction and distance bound.

``saliency`` 0.2.1's Guided IG calls ``np.quantile(..., interpolation="lower")``, a keyword
NumPy 2 removed; :func:`_numpy_2_quantile` gives its module a NumPy whose ``quantile`` maps
that keyword to ``method`` (the same computation), so saliency's own code runs unchanged.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("saliency.core")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import _peers_impls
import saliency.core as saliency
from test_peers import PROBE, _rel, demo_network  # noqa: F401  (the fixture, shared)

import tb_attrib

pytestmark = pytest.mark.peers

NOISE_LEVEL = 0.15


@pytest.fixture(scope="module")
def network(request):
    """test_peers.py's demo network and probe, with saliency's compiled gradient function."""
    model, x, y = request.getfixturevalue("demo_network")
    return model, x, y, _peers_impls.SaliencyBest(model, x, y)._call


@pytest.fixture
def _numpy_2_quantile(monkeypatch):
    import saliency.core.guided_ig as module

    shim = types.ModuleType("numpy_with_interpolation")
    shim.__dict__.update(np.__dict__)
    shim.quantile = lambda a, q, interpolation="linear", **kw: np.quantile(
        a, q, method=interpolation, **kw
    )
    monkeypatch.setattr(module, "np", shim)


def _saliency_noise(method, x, y, call, samples, seed, **kwargs):
    """``method.GetSmoothedMask`` per example from ``np.random.seed(seed + i)``, and the
    unit-normal draws ``[samples, N, *shape]`` it used."""
    masks, units = [], []
    for i in range(x.shape[0]):
        np.random.seed(seed + i)
        masks.append(
            method.GetSmoothedMask(
                x[i], call, {"class": int(y[i])}, stdev_spread=NOISE_LEVEL, nsamples=samples,
                magnitude=False, **kwargs,
            )
        )  # fmt: skip
        np.random.seed(seed + i)
        sigma = NOISE_LEVEL * (x[i].max() - x[i].min())
        units.append([np.random.normal(0, sigma, x[i].shape) / sigma for _ in range(samples)])
    return np.stack(masks), np.asarray(units, np.float32).swapaxes(0, 1)


def test_smoothgrad_agrees_with_saliency(network):
    model, x, y, call = network
    theirs, noise = _saliency_noise(saliency.GradientSaliency(), x, y, call, 25, seed=10)
    ours = tb_attrib.smoothgrad(model, x, target=y, noise_level=NOISE_LEVEL, noise=noise)
    assert ours.method == "smoothgrad" and ours.attributions.shape == x.shape
    assert _rel(ours.attributions, theirs) < 0.01
    # Not the plain gradient: the noise changes the map.
    plain = tb_attrib.interior_gradients(model, x, [1.0], target=y).gradients[:, 0]
    assert _rel(plain, theirs) > 0.05


def test_smoothgrad_on_ig_agrees_with_saliency_at_1000_evaluations(network):
    model, x, y, call = network
    baseline = np.zeros_like(x[0])
    theirs, noise = _saliency_noise(
        saliency.IntegratedGradients(), x, y, call, 4, seed=20, x_baseline=baseline,
        x_steps=1000, batch_size=500,
    )  # fmt: skip
    ours = tb_attrib.smoothgrad(
        model, x, target=y, noise_level=NOISE_LEVEL, noise=noise, integrated=True, steps=1000
    )
    assert ours.method == "smoothgrad_ig"
    assert _rel(ours.attributions, theirs) < 0.01
    # Completeness against the mean noisy score holds for the average too.
    moved = ours.score_input - ours.score_baseline
    assert np.abs(ours.delta).sum() < 0.02 * np.abs(moved).sum()


@pytest.mark.usefixtures("_numpy_2_quantile")
def test_guided_ig_agrees_with_saliency(network):
    model, x, y, call = network
    baseline = np.zeros_like(x[0])
    theirs = np.stack([
        saliency.GuidedIG().GetMask(
            x[i], call, {"class": int(y[i])}, x_baseline=baseline, x_steps=200, fraction=0.25,
            max_dist=0.02,
        )
        for i in range(PROBE)
    ])  # fmt: skip
    ours = tb_attrib.guided_integrated_gradients(model, x, target=y, steps=200)
    assert ours.method == "guided_ig"
    assert _rel(ours.attributions, theirs) < 0.01
    # Its path is not IG's straight line: the maps differ.
    ig = tb_attrib.integrated_gradients(model, x, target=y, steps=200)
    assert _rel(ig.attributions, theirs) > 0.05
    # Our completeness delta is the one of saliency's map.
    moved = ours.score_input - ours.score_baseline
    theirs_delta = theirs.reshape(PROBE, -1).sum(axis=1) - moved
    np.testing.assert_allclose(ours.delta, theirs_delta, rtol=0.01, atol=1e-6)
