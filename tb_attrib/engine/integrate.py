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
import functools
import math
from collections.abc import Sequence

import numpy as np

from tb_attrib.engine import adaptive as adaptive_rule
from tb_attrib.engine import completeness, quadrature
from tb_attrib.engine.kernel import PathKernelBase

AUTO_START_STEPS = 16
"""First rule of ``steps="auto"`` for nested rules, whose refinements reuse every evaluation."""
AUTO_START_STEPS_GAUSS = 64
"""First rule of ``steps="auto"`` for Gauss-Legendre, which restarts at each refinement:
measured on the demo network, 64 points meet 1% completeness, so starting lower only adds
discarded evaluations (16 + 32 + 64 = 112 instead of 64)."""
MIN_ESTIMATE_POINTS = 22
"""Points an adaptive grid needs before its error estimate is trusted (four bisection rounds
from the 5-point start). On coarser grids a grid and its previous round's can miss the same
narrow rise of the score and agree on a wrong map (docs/benchmarks.md, "What steps='auto'
costs")."""
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
      grids: Per path, the adaptive rule's final :class:`Grid` (None for the other rules).
      map_error: ``[P]`` the estimated relative L2 error of each path's map when a driver
        estimated it (NaN where it could not yet: too few points), else None.
    """

    mean_gradient: list[np.ndarray]
    steps: np.ndarray
    evaluations: np.ndarray
    within: np.ndarray
    finite: np.ndarray
    grids: list | None = None
    map_error: np.ndarray | None = None

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


def refine(
    problem: PathProblem,
    method: str,
    max_steps: int,
    bounds: np.ndarray,
    tolerance: float | None = None,
) -> PathIntegral:
    """``steps="auto"``: each path refines its rule until ``|delta| <= bounds`` and its map's
    estimated relative error is within ``tolerance`` (None: completeness alone), or
    ``max_steps``. The estimate is the distance between the path's last two rules
    (:func:`completeness.relative_map_error`), free for nested rules.

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
    previous = None
    map_error = np.full(n, np.nan)
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
        settled = within.copy()
        if tolerance is not None:
            estimate = _map_errors(problem, mean, previous)
            map_error[active] = estimate[active]
            settled &= estimate <= tolerance
        previous = [m.copy() for m in mean] if tolerance is not None else None
        active = active[~settled[active] & finite[active]]
        following = quadrature.refine(method, current)
        if active.size == 0 or following > max_steps:
            estimated = (
                None if tolerance is None else np.where(np.isinf(map_error), np.nan, map_error)
            )
            return PathIntegral(mean, steps, evaluations, within, finite, map_error=estimated)
        current = following


class WarmStart:
    """Where each path's adaptive grid ended in the last call, for the next call on the same
    paths (a loop that explains one probe epoch after epoch): each call then starts from the
    previous call's grids, one round before their end (:meth:`Grid.coarser`), instead of the
    coarse even grid, which saves the rounds of small batches that build a grid up; not
    evaluations, since reaching a grid costs its points either way. A path starts afresh when
    its explained output changed or the paths are not the same in number.
    """

    def __init__(self) -> None:
        self._grids: list | None = None
        self._index: np.ndarray | None = None

    @property
    def grids(self) -> list | None:
        """The final :class:`Grid` of each path of the last call (None before one)."""
        return None if self._grids is None else list(self._grids)

    def start(self, problem: PathProblem) -> list | None:
        """Per path, the grid to start from (None: afresh)."""
        if self._grids is None or len(self._grids) != problem.count:
            return None
        same = self._index == problem.index
        return [g if keep else None for g, keep in zip(self._grids, same, strict=True)]

    def keep(self, problem: PathProblem, integral: PathIntegral) -> None:
        """Remembers the final grids of a call for the next."""
        self._grids = list(integral.grids) if integral.grids is not None else None
        self._index = problem.index.copy()


def _map_errors(problem: PathProblem, mean: list, previous: list | None) -> np.ndarray:
    """Relative L2 distance of each path's map between two estimates (inf without one)."""
    if previous is None:
        return np.full(problem.count, np.inf)
    n = problem.count
    error = np.zeros(n)
    norm = np.zeros(n)
    for m, p, d in zip(mean, previous, problem.difference(), strict=True):
        error += (((m - p) * d).reshape(n, -1).astype(np.float64) ** 2).sum(axis=1)
        norm += ((m * d).reshape(n, -1).astype(np.float64) ** 2).sum(axis=1)
    norm = np.sqrt(norm)
    return completeness.relative_map_error(np.sqrt(error), norm, float(norm.max(initial=0.0)))


@dataclasses.dataclass
class Seeds:
    """Gradients already computed on the paths, which the adaptive rule takes as points of its
    grids instead of evaluating them again (the interior-gradient sweep's).

    Attributes:
      alphas: ``[S]`` points in ``[0, 1]``.
      rows: ``[R]`` the paths they were computed on.
      gradients: ``[R, S, D]`` gradients there, every attributed tensor flattened and joined.
    """

    alphas: np.ndarray
    rows: np.ndarray
    gradients: np.ndarray


@dataclasses.dataclass
class Grid:
    """One path's final adaptive grid: where a later call on the same path may start.

    Attributes:
      alphas: ``[K]`` sorted points.
      levels: ``[K]`` the bisection round that added each point (0: the starting grid).
    """

    alphas: np.ndarray
    levels: np.ndarray

    def coarser(self) -> Grid | None:
        """The grid before its last bisection round: where a warm start begins, so that its
        first round re-chooses the finest points from the new gradients and a grid that
        needs fewer points than last time can shrink by a round (None: nothing to keep)."""
        top = int(self.levels.max(initial=0))
        keep = self.levels < top
        if top == 0 or keep.sum() < 2:
            return None
        return Grid(self.alphas[keep], self.levels[keep])


def adaptive(
    problem: PathProblem,
    cap: int,
    bounds: np.ndarray | None,
    tolerance: float | None = None,
    *,
    seeds: Seeds | None = None,
    start: Sequence[Grid | None] | None = None,
) -> PathIntegral:
    """The adaptive trapezoid rule (:mod:`tb_attrib.engine.adaptive`) on every path.

    With ``bounds`` (``steps="auto"``) a path stops once its completeness delta is within its
    bound and its map's estimated error within ``tolerance``, or at ``cap`` points; without,
    every path ends with exactly ``cap`` points. The error estimate is the distance between the
    rule on the path's grid and on that grid without the points of its last bisection round
    (relative L2 of the map, :func:`completeness.relative_map_error`): it costs nothing, and
    is not fooled by errors that cancel in the completeness sum.

    Args:
      problem: The paths.
      cap: Most points per path (and the count of every path without ``bounds``).
      bounds: ``[P]`` largest ``|delta|`` per path, or None.
      tolerance: Largest estimated relative map error (None: completeness alone decides).
      seeds: Gradients already computed on some paths, used as grid points for free.
      start: Per path, the grid to start from (a :class:`Grid` of an earlier call, e.g. the
        previous epoch's) or None for the even starting grid.

    Paths are refined in groups whose gradients fit :data:`ADAPTIVE_GRADIENT_BYTES`.
    """
    n = problem.count
    width = sum(math.prod(x.shape[1:]) for x in problem.x)
    group = max(1, ADAPTIVE_GRADIENT_BYTES // max(1, cap * width * 4))
    integral = np.zeros((n, width), np.float32)
    steps = np.zeros(n, np.int64)
    evaluations = np.zeros(n, np.int64)
    within = np.ones(n, bool)
    finite = np.ones(n, bool)
    grids: list[Grid | None] = [None] * n
    map_error = np.full(n, np.nan)
    difference = np.concatenate([d.reshape(n, -1) for d in problem.difference()], axis=1)
    start = list(start) if start is not None else [None] * n
    for lo in range(0, n, group):
        rows = np.arange(lo, min(n, lo + group))
        part = _AdaptiveGroup(problem, rows, difference, cap, seeds, start)
        part.run(bounds, tolerance)
        integral[rows], steps[rows], evaluations[rows] = part.integral, part.points, part.spent
        within[rows], finite[rows], map_error[rows] = part.within, part.finite, part.map_error
        for i, row in enumerate(rows):
            grids[row] = part.grids[i]
    estimated = map_error if tolerance is not None and bounds is not None else None
    return PathIntegral(
        problem.split(integral), steps, evaluations, within, finite, grids, estimated
    )


class _AdaptiveGroup:
    """One group of paths, refined by bisection.

    The grids of the paths still refining are ``[A, K]`` arrays: each row's points are a sorted
    prefix (``points[a]`` of them) padded at its end with 1.0, whose weights are 0 and whose
    intervals are never bisected, so paths starting from grids of different sizes (warm
    starts) refine together, one batch of model calls per round.
    """

    def __init__(self, problem, rows, difference, cap, seeds, start):
        self.problem, self.rows, self.difference, self.cap = problem, rows, difference, cap
        count = rows.shape[0]
        self.integral = np.zeros((count, difference.shape[1]), np.float32)
        self.points = np.zeros(count, np.int64)
        self.spent = np.zeros(count, np.int64)
        self.within = np.zeros(count, bool)
        self.finite = np.ones(count, bool)
        self.map_error = np.full(count, np.nan)
        self.grids: list[Grid | None] = [None] * count
        self._begin(seeds, [start[r] for r in rows])

    # ---- the starting grids ---------------------------------------------------------------

    def _begin(self, seeds: Seeds | None, start: list) -> None:
        count = self.rows.shape[0]
        self.seeds = seeds
        seeded = {} if seeds is None else {int(r): i for i, r in enumerate(seeds.rows)}
        self.seed_row = np.array([seeded.get(int(r), -1) for r in self.rows], np.int64)
        grids = [self._start_grid(grid) for grid in start]
        k = max(g.alphas.shape[0] for g in grids)
        self.alphas = np.ones((count, k))
        self.levels = np.zeros((count, k), np.int64)
        self.gradients = np.zeros((count, k, self.difference.shape[1]), np.float32)
        need = np.zeros((count, k), bool)
        for a, grid in enumerate(grids):
            size = grid.alphas.shape[0]
            self.alphas[a, :size], self.levels[a, :size] = grid.alphas, grid.levels
            self.points[a] = size
            need[a, :size] = True
        self.active = np.arange(count)
        self._take_seeds(need)
        self._evaluate(need)

    def _start_grid(self, earlier: Grid | None) -> Grid:
        """Where a path starts: one round before an earlier call's grid, or the even grid."""
        grid = None if earlier is None else earlier.coarser()
        if grid is None or grid.alphas.shape[0] > self.cap:
            alphas = adaptive_rule.start_grid(self.cap)
            grid = Grid(alphas, np.zeros(alphas.shape[0], np.int64))
        return grid

    def _take_seeds(self, need: np.ndarray, index: np.ndarray | None = None) -> None:
        """Fills the ``need`` entries that are seed points (``index`` into the seeds, or,
        without it, every entry equal to one) from the seeds, and clears them from ``need``."""
        rows = self.seed_row[self.active]
        if self.seeds is None or not np.any(rows >= 0):
            return
        if index is None:
            close = np.isclose(
                self.alphas[..., None], self.seeds.alphas[None, None], rtol=0, atol=1e-7
            )
            index = np.where(close.any(axis=-1), close.argmax(axis=-1), -1)
        index = np.where(need & (rows[:, None] >= 0), index, -1)
        which, column = np.nonzero(index >= 0)
        self.gradients[which, column] = self.seeds.gradients[rows[which], index[which, column]]
        need[which, column] = False

    def _evaluate(self, need: np.ndarray) -> None:
        """Evaluates the gradients at the ``need`` entries of the active rows' grids."""
        which, column = np.nonzero(need)
        if which.size == 0:
            return
        rows = self.rows[self.active[which]]
        stream_alphas = self.alphas[which, column]
        gradients, _, _ = self.problem.kernel.gradients(
            self.problem, rows.astype(np.int32), stream_alphas, self.problem.size
        )
        flat = np.concatenate([g.reshape(g.shape[0], -1) for g in gradients], axis=1)
        self.gradients[which, column] = flat
        np.add.at(self.spent, self.active[which], 1)

    # ---- rounds ---------------------------------------------------------------------------

    def run(self, bounds: np.ndarray | None, tolerance: float | None) -> None:
        while True:
            real = np.arange(self.alphas.shape[1])[None] < self.points[self.active, None]
            weights = adaptive_rule.masked_trapezoid_weights(self.alphas, real)
            current = np.einsum("ak,akd->ad", weights.astype(np.float32), self.gradients)
            self.integral[self.active] = current
            self.finite[self.active] = np.all(np.isfinite(current), axis=1)
            done = self._done(bounds, tolerance, real, current)
            budget = self.cap - self.points[self.active]
            keep = self.finite[self.active] & ~done & (budget > 0)
            self._keep_grids(real, ~keep)
            if not keep.any():
                break
            self._narrow(keep)
            self._bisect()
        if bounds is None:
            self.within[:] = True

    def _done(self, bounds, tolerance, real, current) -> np.ndarray:
        """Which active paths have met their bounds (never, without ``bounds``)."""
        if bounds is None:
            return np.zeros(self.active.shape[0], bool)
        rows = self.rows[self.active]
        moved = np.einsum("ad,ad->a", current, self.difference[rows])
        self.within[self.active] = np.abs(moved - self.problem.change[rows]) <= bounds[rows]
        done = self.within[self.active].copy()
        if tolerance is not None:
            estimate = self._map_error(real, current)
            self.map_error[self.active] = np.where(np.isinf(estimate), np.nan, estimate)
            done &= estimate <= tolerance
        return done

    def _map_error(self, real: np.ndarray, current: np.ndarray) -> np.ndarray:
        """Estimated relative map error: the rule without each grid's last round's points."""
        top = np.where(real, self.levels, -1).max(axis=1)
        coarse = real & (self.levels < top[:, None])
        weights = adaptive_rule.masked_trapezoid_weights(self.alphas, coarse)
        earlier = np.einsum("ak,akd->ad", weights.astype(np.float32), self.gradients)
        difference = self.difference[self.rows[self.active]]
        change = np.linalg.norm((current - earlier) * difference, axis=1)
        norm = np.linalg.norm(current * difference, axis=1)
        whole = np.linalg.norm(self.integral * self.difference[self.rows], axis=1)
        error = completeness.relative_map_error(change, norm, float(whole.max(initial=0.0)))
        return np.where((top > 0) & (real.sum(axis=1) >= MIN_ESTIMATE_POINTS), error, np.inf)

    def _keep_grids(self, real: np.ndarray, leaving: np.ndarray) -> None:
        """The final grids of the active paths that stop refining this round."""
        for i in np.flatnonzero(leaving):
            rows = real[i]
            self.grids[self.active[i]] = Grid(self.alphas[i][rows], self.levels[i][rows])

    def _narrow(self, keep: np.ndarray) -> None:
        self.active = self.active[keep]
        self.alphas, self.levels = self.alphas[keep], self.levels[keep]
        self.gradients = self.gradients[keep]

    def _bisect(self) -> None:
        """Adds a point inside each active grid's worst intervals (the midpoint, or a seed
        point near it: :func:`adaptive.snap`), then evaluates the new ones."""
        points = self.points[self.active]
        split = np.array([adaptive_rule.split_count(p, self.cap - p) for p in points], np.int64)
        integrand = self.gradients * self.difference[self.rows[self.active], None]
        left, right = adaptive_rule.split_intervals(self.alphas, integrand, split, points)
        fresh = adaptive_rule.split_mask(split)
        seeded = self.seeds is not None and np.any(self.seed_row[self.active] >= 0)
        known = self.seeds.alphas if seeded else np.zeros(0)
        middle, snapped = adaptive_rule.snap(left, right, known)
        middle = np.where(fresh, middle, 1.0)
        before = np.arange(self.alphas.shape[1])[None] < points[:, None]
        level = np.where(before, self.levels, -1).max(axis=1)
        alphas = np.concatenate([self.alphas, middle], axis=1)
        levels = np.concatenate([self.levels, np.broadcast_to(level[:, None] + 1, middle.shape)], 1)
        real = np.concatenate([before, fresh], axis=1)
        need = np.concatenate([np.zeros(self.alphas.shape, bool), fresh], axis=1)
        index = np.concatenate([np.full(self.alphas.shape, -1), snapped], axis=1)
        # Real points first, in order; the padding (1.0) after them.
        order = np.argsort(np.where(real, alphas, 2.0), axis=1, kind="stable")
        take = functools.partial(np.take_along_axis, indices=order, axis=1)
        self.alphas, self.levels, need, index = take(alphas), take(levels), take(need), take(index)
        room = np.zeros((*middle.shape, self.gradients.shape[2]), np.float32)
        # Row-wise gather: whole [D] rows move (take_along_axis would index every element).
        rows = np.arange(order.shape[0])[:, None]
        self.gradients = np.concatenate([self.gradients, room], axis=1)[rows, order]
        self.points[self.active] = points + split
        self._take_seeds(need, index)
        self._evaluate(need)
