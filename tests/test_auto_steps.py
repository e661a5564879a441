"""``steps="auto"`` stops on the map's estimated error as well as on completeness.

The estimate must bound the real map error where the exact integrated gradients are known: a
linear model (constant gradient: every rule is exact) and a piecewise-linear ReLU network,
whose exact IG this test computes from the points where each unit switches along the path.
Warm starts and the sweep's reused gradients must give the same map as a fresh computation
on the same final grid.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

import tb_attrib
from tb_attrib.engine import AttributionEngine, WarmStart, adaptive, integrate

FEATURES, HIDDEN = 12, 48


def _relu_regressor(seed: int):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(HIDDEN, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(loss="mse")
    return model


def _exact_ig(model, x: np.ndarray) -> np.ndarray:
    """IG of a one-hidden-layer ReLU regressor from the black baseline: the gradient is
    constant between the alphas where a hidden unit's pre-activation crosses zero."""
    w, c, v, _ = (np.asarray(a, np.float64) for a in model.get_weights())
    exact = np.zeros_like(x, np.float64)
    for i, xi in enumerate(x.astype(np.float64)):
        slope, offset = xi @ w, c  # pre-activation at alpha: offset + alpha * slope
        with np.errstate(divide="ignore", invalid="ignore"):
            crossings = -offset / slope
        inside = np.sort(crossings[(crossings > 0) & (crossings < 1)])
        edges = np.concatenate([[0.0], inside, [1.0]])
        total = np.zeros(FEATURES)
        for lo, hi in itertools.pairwise(edges):
            on = offset + 0.5 * (lo + hi) * slope > 0
            total += (hi - lo) * (w @ (v[:, 0] * on))
        exact[i] = xi * total
    return exact


def _relative(value: np.ndarray, reference: np.ndarray) -> np.ndarray:
    n = reference.shape[0]
    value, reference = value.reshape(n, -1), reference.reshape(n, -1)
    return np.linalg.norm(value - reference, axis=1) / np.linalg.norm(reference, axis=1)


def test_the_estimate_is_zero_on_a_linear_model_whose_ig_every_rule_gets_exactly():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    x = np.random.default_rng(1).normal(size=(6, FEATURES)).astype(np.float32)
    kernel = model.get_weights()[0][:, 0]
    for method in ("adaptive_trapezoid", "riemann_trapezoid"):
        ig = tb_attrib.integrated_gradients(model, x, method=method)
        np.testing.assert_allclose(ig.attributions, x * kernel, rtol=1e-5, atol=1e-6)
        assert ig.map_error is not None and np.nanmax(ig.map_error) < 1e-5


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("method", ["adaptive_trapezoid", "riemann_trapezoid"])
def test_the_estimate_bounds_the_map_error_on_a_piecewise_linear_network(seed, method):
    model = _relu_regressor(seed)
    x = np.random.default_rng(seed).normal(size=(16, FEATURES)).astype(np.float32) * 2.0
    exact = _exact_ig(model, x)
    for tolerance in (0.05, 0.02, 0.005):
        ig = tb_attrib.integrated_gradients(model, x, method=method, map_tolerance=tolerance)
        measured = _relative(ig.attributions, exact)
        estimated = ig.map_error
        assert not np.any(np.isnan(estimated)), estimated
        assert np.all(measured <= estimated + 1e-6), (tolerance, measured, estimated)
        assert np.all(measured <= tolerance), (tolerance, measured)
        assert np.all(ig.relative_delta <= 0.01)


def test_a_tighter_map_tolerance_spends_more_and_errs_less():
    model = _relu_regressor(3)
    x = np.random.default_rng(3).normal(size=(16, FEATURES)).astype(np.float32) * 2.0
    exact = _exact_ig(model, x)
    loose = tb_attrib.integrated_gradients(model, x, map_tolerance=0.05)
    tight = tb_attrib.integrated_gradients(model, x, map_tolerance=0.002)
    assert tight.example_evaluations.mean() > loose.example_evaluations.mean()
    assert _relative(tight.attributions, exact).max() < _relative(loose.attributions, exact).max()
    only_sum = tb_attrib.integrated_gradients(model, x, map_tolerance=None)
    assert only_sum.map_error is None


def _fresh_on_grids(engine, x, grids) -> np.ndarray:
    """IG on the given final grids, computed from scratch: gradients at every grid point by
    the kernel, the trapezoid rule on each grid."""
    problem = integrate.PathProblem(
        kernel=engine.kernel,
        x=(x,),
        base=(np.zeros_like(x),),
        held=(),
        index=np.zeros(x.shape[0], np.int64),
        sign=np.ones(x.shape[0], np.float32),
        change=np.zeros(x.shape[0]),
        size=256,
    )
    maps = []
    for row, grid in enumerate(grids):
        gradients = problem.gradients_at(np.array([row]), grid.alphas[None])
        weights = adaptive.trapezoid_weights(grid.alphas[None])[0]
        maps.append(np.einsum("k,kd->d", weights, gradients[0].astype(np.float64)))
    return np.stack(maps).reshape(x.shape) * x


def test_warm_started_and_sweep_seeded_ig_equals_a_fresh_computation_on_its_grids():
    model = _relu_regressor(4)
    x = np.random.default_rng(4).normal(size=(8, FEATURES)).astype(np.float32) * 2.0
    engine = AttributionEngine(model)
    warm = WarmStart()
    alphas = tb_attrib.engine.CLASSIC_ALPHAS
    _, first = engine.sweep_and_integrate(x, alphas, warm_start=warm)
    started = [g.coarser() for g in warm.grids]
    weights = model.get_weights()
    model.set_weights([w * 1.05 for w in weights])  # "the next epoch"
    _, second = engine.sweep_and_integrate(x, alphas, warm_start=warm)
    grids = warm.grids
    # The second call started from the first's grids (less one round) and used sweep points.
    for begun, grid in zip(started, grids, strict=True):
        assert begun is not None and np.isin(begun.alphas, grid.alphas).all()
    assert any(np.isin(np.asarray(alphas[:4]), g.alphas).any() for g in grids)
    assert np.sum(second.example_evaluations) < np.sum(second.example_steps)
    fresh = _fresh_on_grids(engine, x, grids)
    scale = np.abs(fresh).max()
    np.testing.assert_allclose(second.attributions, fresh, atol=1e-5 * scale)
    assert not np.allclose(first.attributions, second.attributions)


def test_sweep_and_integrate_gives_the_sweep_of_interior_gradients_and_an_accurate_ig():
    model = _relu_regressor(5)
    x = np.random.default_rng(5).normal(size=(8, FEATURES)).astype(np.float32) * 2.0
    engine = AttributionEngine(model)
    alphas = tb_attrib.engine.CLASSIC_ALPHAS
    sweep, ig = engine.sweep_and_integrate(x, alphas)
    alone = engine.interior_gradients(x, alphas)
    np.testing.assert_allclose(sweep.gradients, alone.gradients, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(sweep.predictions, alone.predictions, rtol=1e-6, atol=1e-7)
    assert np.all(_relative(ig.attributions, _exact_ig(model, x)) <= 0.02)
    assert np.all(ig.relative_delta <= 0.01)
    # Some bisections took a sweep point: fewer evaluations than points.
    assert np.sum(ig.example_evaluations) < np.sum(ig.example_steps)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(map_tolerance=0), r"map_tolerance must be a number in \(0, 1\) or None; got 0"),
        (dict(map_tolerance=-0.1), r"map_tolerance must be a number in \(0, 1\) or None"),
        (dict(tolerance=2.0), r"tolerance must be a number in \(0, 1\); got 2.0"),
    ],
)
def test_bad_tolerances_fail_before_any_model_call(kwargs, match):
    model = _relu_regressor(6)
    x = np.zeros((2, FEATURES), np.float32)
    with pytest.raises(ValueError, match=match):
        tb_attrib.integrated_gradients(model, x, **kwargs)
    with pytest.raises(ValueError, match=match):
        AttributionEngine(model).sweep_and_integrate(x, [0.5, 1.0], **kwargs)
