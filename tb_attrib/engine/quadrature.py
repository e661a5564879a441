"""Quadrature rules on [0, 1] for the path integral of integrated gradients.

Each rule turns a number of gradient evaluations ``n`` into points ``alpha_j`` and weights
``w_j`` with ``sum(w_j) = 1``, so that ``integral_0^1 g(a) da ~ sum_j w_j g(alpha_j)``.

The Riemann rules and the trapezoid rule are *nested*: refining them (doubling, or tripling for
the midpoint rule) keeps every earlier point, which the adaptive ``steps="auto"`` mode uses to
reuse earlier gradient evaluations. Gauss-Legendre is not nested but converges far faster on
smooth integrands (networks with GELU or swish activations). The adaptive trapezoid rule
places each example's points from its own gradients (:mod:`tb_attrib.engine.adaptive`).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

FIXED_METHODS = (
    "riemann_left",
    "riemann_right",
    "riemann_middle",
    "riemann_trapezoid",
    "gausslegendre",
)
"""Rules whose points depend only on their number (see :func:`rule`)."""
ADAPTIVE_METHOD = "adaptive_trapezoid"
"""Points chosen per example from its gradients (:mod:`tb_attrib.engine.adaptive`)."""
METHODS = (*FIXED_METHODS, ADAPTIVE_METHOD)


@dataclasses.dataclass(frozen=True)
class Rule:
    """Points and weights of one quadrature rule on [0, 1]."""

    method: str
    alphas: np.ndarray  # [n] float64, in [0, 1]
    weights: np.ndarray  # [n] float64, summing to 1

    @property
    def steps(self) -> int:
        return int(self.alphas.shape[0])


def validate_method(method: str) -> str:
    """Returns ``method`` if it names a rule, else raises ValueError naming the choices."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    return method


def min_steps(method: str) -> int:
    """Fewest evaluations the rule accepts (the trapezoid rules need both ends)."""
    return 2 if method in ("riemann_trapezoid", ADAPTIVE_METHOD) else 1


@functools.lru_cache(maxsize=64)
def rule(method: str, steps: int) -> Rule:
    """Builds the ``steps``-point rule named by ``method`` (cached: Gauss-Legendre nodes cost
    seconds to compute at thousands of points, and callbacks ask for the same rule every epoch).

    Raises:
      ValueError: unknown method, or fewer steps than the rule needs.
    """
    validate_method(method)
    if method == ADAPTIVE_METHOD:
        raise ValueError(f"{method} has no fixed rule: its points depend on the gradients")
    steps = int(steps)
    if steps < min_steps(method):
        raise ValueError(f"{method} needs at least {min_steps(method)} steps, got {steps}")
    n = steps
    if method == "riemann_left":
        alphas = np.arange(n) / n
        weights = np.full(n, 1.0 / n)
    elif method == "riemann_right":
        alphas = np.arange(1, n + 1) / n
        weights = np.full(n, 1.0 / n)
    elif method == "riemann_middle":
        alphas = (np.arange(n) + 0.5) / n
        weights = np.full(n, 1.0 / n)
    elif method == "riemann_trapezoid":
        alphas = np.linspace(0.0, 1.0, n)
        weights = np.full(n, 1.0 / (n - 1))
        weights[[0, -1]] *= 0.5
    else:
        nodes, gauss_weights = np.polynomial.legendre.leggauss(n)
        alphas = (nodes + 1.0) / 2.0
        weights = gauss_weights / 2.0
    alphas = alphas.astype(np.float64)
    weights = weights.astype(np.float64)
    alphas.flags.writeable = False  # shared through the cache
    weights.flags.writeable = False
    return Rule(method, alphas, weights)


def refine(method: str, steps: int) -> int:
    """Evaluation count of the next, finer rule in the adaptive sequence.

    For nested rules the finer rule contains every point of the coarser one: left and right
    Riemann double, the midpoint rule triples, the trapezoid rule halves its intervals.
    Gauss-Legendre doubles and starts afresh.
    """
    validate_method(method)
    if method == "riemann_middle":
        return steps * 3
    if method == "riemann_trapezoid":
        return 2 * (steps - 1) + 1
    return steps * 2


def is_nested(method: str) -> bool:
    """True when :func:`refine` keeps every earlier point of the rule."""
    return method != "gausslegendre"


def new_points(method: str, coarse_steps: int, fine_steps: int) -> np.ndarray:
    """Indices into ``rule(method, fine_steps).alphas`` that ``coarse_steps`` did not have.

    Only meaningful for nested rules with ``fine_steps == refine(method, coarse_steps)``.
    """
    fine = rule(method, fine_steps).alphas
    coarse = rule(method, coarse_steps).alphas
    seen = np.isclose(fine[:, None], coarse[None, :], rtol=0.0, atol=1e-12).any(axis=1)
    return np.flatnonzero(~seen)


def unnormalised_scale(method: str, steps: int) -> float:
    """``1 / w_interior`` of a nested rule, so that its unnormalised weights ``w * scale`` are 1
    (or 1/2 at the trapezoid's ends) at every refinement; 1 for Gauss-Legendre."""
    if method == "gausslegendre":
        return 1.0
    return float(steps - 1 if method == "riemann_trapezoid" else steps)
