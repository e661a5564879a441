"""Drivers of the path integral: fixed rules, refinement until completeness, the adaptive rule.

Each driver takes a :class:`PathProblem` (the paths of a probe and the kernel that
differentiates along them) and returns a :class:`PathIntegral`: per path and attributed tensor,
``integral_0^1 grad F(b + a (x - b)) da`` as the driver's rule estimates it, with the points
and evaluations it spent. Integrated gradients are that times ``x - b``
(:meth:`PathIntegral.attributions`).

The drivers know rules only through :mod:`tb_attrib.engine.quadrature` (points, weights,
nesting) and :mod:`tb_attrib.engine.adaptive` (where to bisect), so a new rule is a change
there; a new attribution method wraps the kernel or the problem (its paths), not a driver.

- :func:`fixed`: one rule at a given number of points for every path.
- :func:`refine`: ``steps="auto"``; refine the rule of each path still outside its
  completeness bound (reusing every earlier point of a nested rule) until ``max_steps``.
- :func:`adaptive`: the adaptive trapezoid rule, at a fixed number of points or until the bound.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from tb_attrib.engine import adaptive as adaptive_rule
from tb_attrib.engine import quadrature
from tb_attrib.engine.kernel import PathKernelBase

AUTO_START_STEPS = 16
"""First rule of ``steps="auto"`` for nested rules, whose refinements reuse every evaluation."""
AUTO_START_STEPS_GAUSS = 64
"""First rule of ``steps="auto"`` for Gauss-Legendre, which restarts at each refinement:
measured on the demo network, 64 points meet 1% completeness, so starting lower only adds
discarded evaluations (16 + 32 + 64 = 112 instead of 64)."""
ADAPTIVE_GRADIENT_BYTES = 256 * 2**20
"""Gradients the adaptive rule may hold at once: paths are refined in groups that fit. Its
error estimate briefly needs about two more arrays of that size."""


@dataclasses.dataclass
class PathProblem:
    """The straight paths of a probe and the kernel that differentiates along them.

    Attributes:
      kernel: The compiled gradients.
      x: One ``[P, *shape]`` float32 array per attributed tensor: the path ends.
      base: The same: the path starts.
      held: Fixed tensors ``[P, ...]`` fed unchanged at every point.
      index: ``[P]`` output unit explained.
      sign: ``[P]`` sign of the explained score.
      change: ``[P]`` ``F(x) - F(b)`` of the explained score.
      size: Points per model call.
    """

    kernel: PathKernelBase
    x: tuple
    base: tuple
    held: tuple
    index: np.ndarray
    sign: np.ndarray
    change: np.ndarray
    size: int

    @property
    def count(self) -> int:
        return int(self.index.shape[0])

    def arguments(self) -> tuple:
        return (self.x, self.base, self.held)

    def target_arguments(self) -> tuple:
        return (self.index.astype(np.int32), self.sign.astype(np.float32))

    def difference(self) -> list[np.ndarray]:
        return [x - b for x, b in zip(self.x, self.base, strict=True)]

    def delta(self, mean_gradient: list[np.ndarray]) -> np.ndarray:
        """Completeness delta of each path for a mean gradient estimate."""
        total = np.zeros(self.count, np.float64)
        for g, d in zip(mean_gradient, self.difference(), strict=True):
            total += (g * d).reshape(self.count, -1).sum(axis=1)
        return total - self.change

    def weighted_sum(self, paths, alphas, weights) -> list[np.ndarray]:
        return self.kernel.weighted_sum(self, paths, alphas, weights, self.size)

    def gradients_at(self, paths: np.ndarray, alphas: np.ndarray) -> np.ndarray:
        """``[A, K, D]`` gradients (every attributed tensor flattened and joined) of path
        ``paths[a]`` at ``alphas[a, k]``."""
        count, k = alphas.shape
        stream = np.repeat(paths.astype(np.int32), k)
        gradients, _, _ = self.kernel.gradients(self, stream, alphas.reshape(-1), self.size)
        flat = [g.reshape(g.shape[0], -1) for g in gradients]
        return np.concatenate(flat, axis=1).reshape(count, k, -1)

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """``[P, D]`` joined values back to one ``[P, *shape]`` array per attributed tensor."""
        parts, start = [], 0
        for x in self.x:
            size = math.prod(x.shape[1:])
            parts.append(flat[:, start : start + size].reshape(x.shape))
            start += size
        return parts


@dataclasses.dataclass
class PathIntegral:
    """What a driver returns, per path.

    Attributes:
      mean_gradient: One ``[P, *shape]`` array per attributed tensor.
      steps: ``[P]`` points of each path's final rule.
      evaluations: ``[P]`` gradient evaluations spent (discarded coarser rules included).
      within: ``[P]`` whether the completeness bound holds (True without a bound).
      finite: ``[P]`` False where a gradient was NaN or infinite.
    """

    mean_gradient: list[np.ndarray]
    steps: np.ndarray
    evaluations: np.ndarray
    within: np.ndarray
    finite: np.ndarray

    def attributions(self, problem: PathProblem) -> list[np.ndarray]:
        return [g * d for g, d in zip(self.mean_gradient, problem.difference(), strict=True)]


def _finite_rows(arrays: list[np.ndarray], count: int) -> np.ndarray:
    ok = np.ones(count, bool)
    for a in arrays:
        ok &= np.all(np.isfinite(a.reshape(count, -1)), axis=1)
    return ok


def _stream(paths: np.ndarray, alphas: np.ndarray, weights: np.ndarray):
    """Every path at every point: ``(path, alpha, weight)`` streams."""
    k = alphas.shape[0]
    return np.repeat(paths, k), np.tile(alphas, paths.shape[0]), np.tile(weights, paths.shape[0])


def fixed(problem: PathProblem, method: str, steps: int) -> PathIntegral:
    """Every path at the ``steps``-point rule ``method``."""
    rule = quadrature.rule(method, steps)
    paths = np.arange(problem.count)
    sums = problem.weighted_sum(*_stream(paths, rule.alphas, rule.weights))
    n = problem.count
    return PathIntegral(
        mean_gradient=sums,
        steps=np.full(n, steps, np.int64),
        evaluations=np.full(n, steps, np.int64),
        within=np.ones(n, bool),
        finite=_finite_rows(sums, n),
    )


def refine(problem: PathProblem, method: str, max_steps: int, bounds: np.ndarray) -> PathIntegral:
    """``steps="auto"``: each path refines its rule until ``|delta| <= bounds`` or
    ``max_steps``.

    Nested rules keep their earlier points: their *unnormalised* weights (1, or 1/2 at the
    trapezoid's ends, see :func:`quadrature.unnormalised_scale`) do not change under
    refinement, so each round adds the new points' weighted gradients to the earlier sums.
    Other rules start afresh at each refinement. Only the paths still outside their bound
    take part in a round.
    """
    n = problem.count
    nested = quadrature.is_nested(method)
    start = AUTO_START_STEPS if nested else AUTO_START_STEPS_GAUSS
    current = min(max(start, quadrature.min_steps(method)), max_steps)
    sums = [np.zeros_like(x) for x in problem.x]
    norms = np.ones(n, np.float64)
    steps = np.zeros(n, np.int64)
    evaluations = np.zeros(n, np.int64)
    active = np.arange(n)
    done = 0
    while True:
        rule = quadrature.rule(method, current)
        if done and nested:
            picked = quadrature.new_points(method, done, current)
        else:
            picked = np.arange(rule.steps)
            for s in sums:
                s[active] = 0.0
        norm = quadrature.unnormalised_scale(method, current)
        weights = rule.weights[picked] * norm
        paths, alphas, w = _stream(active, rule.alphas[picked], weights)
        for s, part in zip(sums, problem.weighted_sum(paths, alphas, w), strict=True):
            s[active] += part[active]
        norms[active] = norm
        steps[active] = current
        evaluations[active] += picked.shape[0]
        done = current
        mean = [s / norms.reshape(n, *[1] * (s.ndim - 1)).astype(np.float32) for s in sums]
        finite = _finite_rows(mean, n)
        within = np.abs(problem.delta(mean)) <= bounds
        active = active[~within[active] & finite[active]]
        following = quadrature.refine(method, current)
        if active.size == 0 or following > max_steps:
            return PathIntegral(mean, steps, evaluations, within, finite)
        current = following


def adaptive(problem: PathProblem, cap: int, bounds: np.ndarray | None) -> PathIntegral:
    """The adaptive trapezoid rule (:mod:`tb_attrib.engine.adaptive`) on every path.

    With ``bounds`` (``steps="auto"``) a path stops once its delta is within its bound, or at
    ``cap`` points; without, every path ends with exactly ``cap`` points. Paths are refined in
    groups whose gradients fit :data:`ADAPTIVE_GRADIENT_BYTES`.
    """
    n = problem.count
    width = sum(math.prod(x.shape[1:]) for x in problem.x)
    group = max(1, ADAPTIVE_GRADIENT_BYTES // max(1, cap * width * 4))
    integral = np.zeros((n, width), np.float32)
    points = np.zeros(n, np.int64)
    within = np.ones(n, bool)
    finite = np.ones(n, bool)
    difference = np.concatenate([d.reshape(n, -1) for d in problem.difference()], axis=1)
    for lo in range(0, n, group):
        rows = np.arange(lo, min(n, lo + group))
        part = _adaptive_group(problem, rows, difference, cap, bounds)
        integral[rows], points[rows], within[rows], finite[rows] = part
    return PathIntegral(problem.split(integral), points, points.copy(), within, finite)


def _adaptive_group(problem, rows, difference, cap, bounds):
    """One group of paths, refined by bisection.

    Paths still refining always share their number of points (see
    :func:`adaptive.split_count`), so their grids and gradients are ``[A, K]`` and
    ``[A, K, D]`` arrays.
    """
    count = rows.shape[0]
    integral = np.zeros((count, difference.shape[1]), np.float32)
    points = np.zeros(count, np.int64)
    within = np.zeros(count, bool)
    finite = np.ones(count, bool)
    active = np.arange(count)
    alphas = np.tile(adaptive_rule.start_grid(cap), (count, 1))
    gradients = problem.gradients_at(rows[active], alphas)
    while True:
        weights = adaptive_rule.trapezoid_weights(alphas).astype(np.float32)
        integral[active] = np.einsum("ak,akd->ad", weights, gradients)
        points[active] = alphas.shape[1]
        finite[active] = np.all(np.isfinite(integral[active]), axis=1)
        if bounds is not None:
            moved = np.einsum("ad,ad->a", integral[active], difference[rows[active]])
            delta = moved - problem.change[rows[active]]
            within[active] = np.abs(delta) <= bounds[rows[active]]
        keep = finite[active] & ~within[active]
        budget = cap - alphas.shape[1]
        if budget <= 0 or not keep.any():
            break
        active, alphas, gradients = active[keep], alphas[keep], gradients[keep]
        split = adaptive_rule.split_count(alphas.shape[1], budget)
        integrand = gradients * difference[rows[active], None]
        middle = adaptive_rule.split_points(alphas, integrand, split)
        fresh = problem.gradients_at(rows[active], middle)
        alphas = np.concatenate([alphas, middle], axis=1)
        order = np.argsort(alphas, axis=1, kind="stable")
        alphas = np.take_along_axis(alphas, order, axis=1)
        # Row-wise gather: whole [D] rows move (take_along_axis would index every element).
        index = np.arange(order.shape[0])[:, None]
        gradients = np.concatenate([gradients, fresh], axis=1)[index, order]
    if bounds is None:
        within[:] = True
    return integral, points, within, finite
