"""Rank correlation of attribution maps, and when a series of them settles.

Spearman's rank correlation of two maps ``a`` and ``b`` of ``U`` units each is the Pearson
correlation of their ranks::

    rho(a, b) = cov(r(a), r(b)) / (std(r(a)) * std(r(b)))

with *average* ranks for ties: an attribution map often holds many exact zeros (with a black
baseline every unit where ``x == baseline``), and ordinal ranks would make two maps look alike
just because their zeros sit in the same places in index order. A map whose units are all
equal has no ranking: its correlation is NaN.

Used for the sanity check by model randomisation (:mod:`tb_attrib.engine.randomisation`) and
for stability over training (each map against the previous written epoch's).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SETTLED_THRESHOLD = 0.9
"""A map has *settled* from the epoch after which its correlation with the previous written
epoch's map stays above this."""


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks ``0 .. U-1`` along the last axis, ties given the mean of their ranks.

    Args:
      values: ``[..., U]`` numbers; NaN ranks last.

    Returns:
      float64 ``[..., U]``.
    """
    values = np.asarray(values, np.float64)
    flat = values.reshape(-1, values.shape[-1])
    ranks = np.empty_like(flat)
    for v, out in zip(flat, ranks, strict=True):  # rows of ``ranks`` are views: filled here
        order = np.argsort(v, kind="stable")
        sorted_v = v[order]
        starts = np.flatnonzero(np.r_[True, sorted_v[1:] != sorted_v[:-1]])
        ends = np.r_[starts[1:], sorted_v.size]
        mean_rank = (starts + ends - 1) / 2.0
        out[order] = np.repeat(mean_rank, ends - starts)
    return ranks.reshape(values.shape)


def spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman's rho between ``a[i]`` and ``b[i]`` for each row ``i``.

    Args:
      a, b: ``[N, U]`` maps (any shape ``[N, ...]``: flattened after the first axis).

    Returns:
      float32 ``[N]`` in [-1, 1]; NaN for a row where either map is constant or not finite.
    """
    n = np.shape(a)[0]
    a = np.asarray(a, np.float64).reshape(n, -1)
    b = np.asarray(b, np.float64).reshape(n, -1)
    if a.shape != b.shape:
        raise ValueError(f"spearman needs maps of one shape; got {a.shape} and {b.shape}")
    ra = average_ranks(a)
    rb = average_ranks(b)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denominator = np.sqrt((ra * ra).sum(axis=1) * (rb * rb).sum(axis=1))
    finite = np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(b), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ra * rb).sum(axis=1) / denominator
    rho[~finite | (denominator == 0)] = np.nan
    return np.clip(rho, -1.0, 1.0).astype(np.float32)


def settled_epoch(
    epochs: Sequence[int], correlations: Sequence[float], threshold: float = SETTLED_THRESHOLD
) -> int | None:
    """The written epoch from which ``correlations`` stay above ``threshold`` to the end.

    Args:
      epochs: Written epochs, ascending.
      correlations: Each epoch's correlation with the previous written epoch's map (NaN where
        there is none, as at the first).
      threshold: Default :data:`SETTLED_THRESHOLD`.

    Returns:
      The epoch ``k`` such that every correlation from ``k`` on is above ``threshold`` (a NaN
      counts as not above), or None when the last one is not.
    """
    settled = None
    for epoch, rho in zip(epochs, correlations, strict=True):
        if rho is not None and np.isfinite(rho) and rho > threshold:
            settled = epoch if settled is None else settled
        else:
            settled = None
    return settled
