"""Guided integrated gradients (Kapishnikov et al., 2021).

IG integrates along the straight line from the baseline ``b`` to ``x``; Guided IG chooses an
adaptive path instead. At each of ``steps`` steps it takes the gradient at the current point
and moves only the ``fraction`` of features with the smallest ``|gradient|`` towards ``x``,
never letting a feature stray further than ``max_dist`` (in alpha) from the straight line,
until the L1 distance left to ``x`` is ``(1 - (step + 1) / steps)`` of the whole; the
attribution accumulates ``(change of each feature) * gradient``::

    GuidedIG_i(x) = sum_steps (p_i(t + 1) - p_i(t)) * dF_t(p(t)) / dp_i

so that ``sum_i GuidedIG_i`` approaches ``F_t(x) - F_t(b)`` (completeness). This follows
PAIR ``saliency``'s ``guided_ig_impl`` step for step (float64 path, the ``lower`` quantile).

On the path kernel the gradient at the current point ``p`` of every example is one call at
alpha 0 of the paths ``b = p``: ``steps`` calls of ``N`` points in all. The feature selection
between calls is NumPy per example. Several attributed inputs are one feature vector; a token
input's features are its embeddings (summed per token in the result).
"""

from __future__ import annotations

import math

import numpy as np

from tb_attrib.engine import methods

EPSILON = 1e-9


def guided_integrated_gradients(
    engine: object,
    x: object,
    *,
    target: object = None,
    baseline: object = "black",
    steps: int = 200,
    fraction: float = 0.25,
    max_dist: float = 0.02,
    batch_size: int | None = None,
) -> object:
    """Guided IG of ``x`` with ``engine``.

    Args:
      engine: An :class:`~tb_attrib.engine.AttributionEngine` of the model.
      x: The inputs, as :func:`tb_attrib.integrated_gradients` takes them.
      target: As for :func:`tb_attrib.integrated_gradients` (default None).
      baseline: The path start (default ``"black"``; ``"uniform"`` uses its first draw).
      steps: Steps of the path, one gradient each (default 200).
      fraction: Share of the features moved at each step, those of smallest
        ``|gradient|`` (default 0.25).
      max_dist: Largest distance in alpha a feature may lead or trail the straight line
        (default 0.02; 0 is IG's straight path with a left Riemann sum, 1 unbounded).
      batch_size: Points per model call (default None: the engine's bound).

    Returns:
      An :class:`~tb_attrib.engine.results.IntegratedGradientsResult` with ``method``
      ``"guided_ig"``, ``steps`` and ``evaluations`` the steps, and the completeness delta.
    """
    paths = engine.paths(x, target=target, baseline=baseline, batch_size=batch_size)
    p = paths.problem
    n = p.count
    end = methods.joined(p.x, n)
    start = methods.joined(p.base, n)
    point = start.copy()
    attr = np.zeros_like(end)
    moving = np.flatnonzero(np.abs(end - start).sum(axis=1) > 0)
    for step in range(int(steps)):
        gradient = _gradient_at(paths, point)
        broken = moving[~np.all(np.isfinite(gradient[moving]), axis=1)]
        attr[broken] = np.nan  # a NaN gradient would leave no feature to move
        moving = np.setdiff1d(moving, broken)
        limits = (step, steps, fraction, max_dist)
        for i in moving:
            _advance(point[i], attr[i], gradient[i], end[i], start[i], *limits)
    delta = attr.sum(axis=1) - (paths.score_input - paths.score_baseline)
    return paths.result(p.split(attr), delta, "guided_ig", steps, steps)


def _gradient_at(paths: methods.Paths, point: np.ndarray) -> np.ndarray:
    """``[N, D]`` gradient of the explained score at each example's current point."""
    p = paths.problem
    here = p.split(point.astype(np.float32))
    problem = paths.with_ends(here, here)
    rows = np.arange(p.count)
    sums = problem.weighted_sum(rows, np.zeros(p.count, np.float32), np.ones(p.count, np.float32))
    return methods.joined(sums, p.count)


def _advance(x, attr, grad_actual, end, start, step, steps, fraction, max_dist) -> None:
    """One step of one example's path (``x`` and ``attr`` updated in place)."""
    grad = grad_actual.copy()
    alpha = (step + 1.0) / steps
    alpha_min, alpha_max = max(alpha - max_dist, 0.0), min(alpha + max_dist, 1.0)
    total = end - start
    x_min, x_max = start + total * alpha_min, start + total * alpha_max
    l1_target = np.abs(total).sum() * (1 - (step + 1) / steps)
    gamma = math.inf
    while gamma > 1.0:
        x_old = x.copy()
        with np.errstate(divide="ignore", invalid="ignore"):
            x_alpha = np.where(total != 0, (x - start) / total, np.nan)
        x_alpha[np.isnan(x_alpha)] = alpha_max
        behind = x_alpha < alpha_min
        x[behind] = x_min[behind]
        l1_current = np.abs(x - end).sum()
        if math.isclose(l1_target, l1_current, rel_tol=EPSILON, abs_tol=EPSILON):
            attr += (x - x_old) * grad_actual
            break
        grad[x == x_max] = np.inf
        threshold = np.quantile(np.abs(grad), fraction, method="lower")
        chosen = (np.abs(grad) <= threshold) & (grad != np.inf)
        l1_chosen = (np.abs(x - x_max) * chosen).sum()
        gamma = (l1_current - l1_target) / l1_chosen if l1_chosen > 0 else math.inf
        if gamma > 1.0:
            x[chosen] = x_max[chosen]
        else:
            x[chosen] = (x + (x_max - x) * gamma)[chosen]
        attr += (x - x_old) * grad_actual
