"""Faithfulness of an attribution map: deletion and insertion curves (Petsiuk et al., 2018).

The *units* of an input are what its modality shows one value for: pixels of an image (the map
summed over channels), time steps of a sequence (summed over channels), features of a tabular
row, tokens (the attribution summed over the embedding, as IG gives it). The units of every
attributed input of a model are ranked together, highest attribution first (IG's values are
all in units of the explained score, so they compare across inputs); ties are broken by a fixed
random order. With ``S = ceil(1 / fraction)`` steps and ``m_k = round(min(k * fraction, 1) * U)``
units at step ``k``:

- deletion curve ``D_k = F_t(x with its top m_k units replaced by the baseline)``: a faithful map
  makes the score fall fast, so its area is *small*;
- insertion curve ``I_k = F_t(baseline with the top m_k units of x put back)``: the score rises
  fast, the area is *large*;
- the random reference ``R_k = F_t(baseline with m_k units of x, in a fixed random order, put
  back)``. For a random order, inserting and deleting are the same experiment read from either
  end (deleting the last ``U - m`` units of an order inserts its first ``m``), so one curve is
  the reference of both: its area is the expected area of either curve under a random order.

What a removed unit becomes is the *removal baseline*. ``"auto"`` (the callback's default,
:func:`removal_baseline`) takes ``"blur"`` for image inputs, as Petsiuk et al.'s insertion
canvas does, and the attributions' own baseline for every other input: scattered black pixels
on a textured image are edges the network reads as a pattern of their own (on the demo
network such mixtures score as one class whatever is removed), which swamps what the order
removed; a blurred copy removes detail without adding any (docs/benchmarks.md compares both).

Areas are trapezoids over the fraction of units actually moved, ``m_k / U`` in [0, 1]. ``F_t``
is the score the attributions explain (:class:`tb_attrib.engine.heads.Targets`; a probability
for a softmax head, a logit or value otherwise). Every input is one forward pass of the
engine's kernel (``training=False``), fed in chunks of the engine's ``batch_size`` built as
they are needed, so memory is bounded by ``batch_size`` whatever the probe; a probe of ``N``
examples costs ``N * (3 * (S - 1) + 2)`` forward passes (the ends ``F_t(x)`` and
``F_t(baseline)`` are shared by all three curves).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from tb_attrib.engine import baselines as baselines_lib
from tb_attrib.engine import heads
from tb_attrib.engine import kernel as kernel_lib

DEFAULT_FRACTION = 0.2
"""Share of the units moved per step: 5 steps, 14 forward passes per example."""
RANDOM_SEED = 0
CURVES = ("deletion", "insertion", "random")


@dataclasses.dataclass(frozen=True)
class FaithfulnessResult:
    """Deletion, insertion and random-order curves of each example.

    Attributes:
      fractions: ``[S + 1]`` share of units moved at each point (0 to 1).
      deletion, insertion, random: ``[N, S + 1]`` explained score at each point.
      deletion_auc, insertion_auc, random_auc: ``[N]`` trapezoid areas over ``fractions``.
      evaluations: Forward passes per example.
    """

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray
    random: np.ndarray
    deletion_auc: np.ndarray
    insertion_auc: np.ndarray
    random_auc: np.ndarray
    evaluations: int


def removal_baseline(engine, x: object, baseline: object, choice: object = "auto") -> object:
    """What :func:`evaluate` replaces units with: ``choice``, or for ``"auto"`` a blurred copy
    of every image input (``"blur"``, computed here once, as an array) and ``baseline`` (the
    attributions' own) for the others (a dict by input name for a model of several inputs)."""
    if not (isinstance(choice, str) and choice == "auto"):
        return choice
    names, modalities = engine.layout.names, engine.modalities
    if "image" not in modalities:
        return baseline
    values = engine.prepare(x)
    blurred = {
        n: baselines_lib.make("blur", v)[0]
        for n, m, v in zip(names, modalities, values, strict=True)
        if m == "image"
    }
    if len(names) == 1:
        return blurred[names[0]]
    given = dict(baseline) if isinstance(baseline, Mapping) else {}
    if isinstance(baseline, list | tuple) and len(baseline) == len(names) and not given:
        given = dict(zip(names, baseline, strict=True))
    default = baseline if not isinstance(baseline, Mapping | list | tuple) else "black"
    return {n: blurred[n] if n in blurred else given.get(n, default) for n in names}


def validate_fraction(fraction: object) -> float:
    """``fraction`` as a float, or ValueError unless it is a number in (0, 1)."""
    ok = isinstance(fraction, int | float | np.floating) and not isinstance(fraction, bool)
    if not ok or not (0.0 < float(fraction) < 1.0):
        raise ValueError(f"fraction must be a number in (0, 1); got {fraction!r}")
    return float(fraction)


def counts(fraction: float, units: int) -> np.ndarray:
    """Units moved at each of the ``S + 1`` points: ``round(min(k * fraction, 1) * U)``."""
    steps = max(1, math.ceil(1.0 / fraction - 1e-9))
    shares = np.minimum(np.arange(steps + 1) * fraction, 1.0)
    return np.round(shares * units).astype(np.int64)


def unit_maps(attributions: Sequence[np.ndarray], modalities: Sequence[str]) -> np.ndarray:
    """``[N, U]``: each attributed input's map summed to its units, inputs concatenated."""
    parts = []
    for a, modality in zip(attributions, modalities, strict=True):
        a = np.asarray(a, np.float64)
        keep = _unit_rank(modality, a.shape[1:])
        parts.append(a.reshape(*a.shape[: 1 + keep], -1).sum(axis=-1).reshape(a.shape[0], -1))
    return np.concatenate(parts, axis=1)


def _unit_rank(modality: str, example_shape: tuple) -> int:
    """How many leading axes of one example index its units (image: 2, others: 1)."""
    return min(2 if modality == "image" else 1, len(example_shape))


def orders(units: np.ndarray, seed: int = RANDOM_SEED) -> tuple[np.ndarray, np.ndarray]:
    """``(position_by_attribution, position_at_random)``, each ``[N, U]``: where each unit comes
    in the order (highest attribution first, ties in the random order; NaN last) and in a fixed
    random order (the same for every call with the same ``seed`` and shape)."""
    n, u = units.shape
    rng = np.random.default_rng(seed)
    random_position = np.stack([rng.permutation(u) for _ in range(n)])
    key = np.where(np.isnan(units), np.inf, -units)
    by_attribution = np.empty_like(random_position)
    for i in range(n):
        order = np.lexsort((random_position[i], key[i]))
        by_attribution[i, order] = np.arange(u)
    return by_attribution, random_position


def evaluate(
    engine,
    x: object,
    attributions: Sequence[np.ndarray],
    targets: heads.Targets,
    *,
    baseline: object = "black",
    fraction: float = DEFAULT_FRACTION,
    batch_size: int | None = None,
    seed: int = RANDOM_SEED,
) -> FaithfulnessResult:
    """Deletion, insertion and random-order curves of the maps ``attributions`` of ``x``.

    Args:
      engine: The :class:`~tb_attrib.engine.AttributionEngine` of the model.
      x: The inputs, as the engine takes them.
      attributions: One ``[N, ...]`` map per *attributed* input (an IG result's
        ``attribution_list`` without the inputs held fixed).
      targets: What the maps explain (:class:`~tb_attrib.engine.heads.Targets`).
      baseline: What a removed unit becomes (default ``"black"``; see
        :mod:`tb_attrib.engine.baselines`; ``"uniform"``: its first draw).
      fraction: Share of the units moved per step, in (0, 1) (default
        :data:`DEFAULT_FRACTION`).
      batch_size: Inputs per model call (default None: the engine's default).
      seed: Seed of the random order (default 0: the same order every call).

    Returns:
      :class:`FaithfulnessResult`.
    """
    fraction = validate_fraction(fraction)
    ends, held, bases, modalities, size = engine.path_ends(x, baseline, batch_size)
    units = unit_maps(attributions, modalities)
    n, u = units.shape
    moved = counts(fraction, u)
    by_attribution, at_random = orders(units, seed)
    rows = _stream(n, len(moved))
    layout = _UnitLayout(ends, modalities)
    scores = np.empty(rows.shape[0], np.float64)
    for chunk in kernel_lib.chunks(rows.shape[0], size):
        example, curve, step = rows[chunk].T
        position = np.where(curve[:, None] == 2, at_random[example], by_attribution[example])
        present = position < moved[step][:, None]
        present = np.where(curve[:, None] == 0, ~present, present)
        values = layout.mix(present, example, ends, bases)
        out = engine.kernel.outputs(values, [h[example] for h in held], size)
        picked = out[np.arange(out.shape[0]), targets.index[example]]
        scores[chunk] = targets.sign[example] * picked + targets.offset[example]
    return _result(scores, rows, n, moved / max(u, 1))


def _stream(n: int, points: int) -> np.ndarray:
    """``[R, 3]`` rows ``(example, curve, step)``: every interior step of the three curves,
    then ``F(x)`` (deletion at step 0) and ``F(baseline)`` (insertion at step 0)."""
    interior = [(i, c, k) for i in range(n) for c in range(3) for k in range(1, points - 1)]
    ends = [(i, c, 0) for i in range(n) for c in (0, 1)]
    return np.asarray(interior + ends, np.int64).reshape(-1, 3)


class _UnitLayout:
    """Splits a ``[R, U]`` mask of units back into each attributed tensor's shape."""

    def __init__(self, ends: Sequence[np.ndarray], modalities: Sequence[str]) -> None:
        self.pieces = []
        start = 0
        for end, modality in zip(ends, modalities, strict=True):
            example = end.shape[1:]
            keep = _unit_rank(modality, example)
            unit_shape = example[:keep]
            size = math.prod(unit_shape)
            self.pieces.append((start, size, (*unit_shape, *([1] * (len(example) - keep)))))
            start += size

    def mix(self, present, example, ends, bases) -> list[np.ndarray]:
        """Per attributed tensor: ``x`` where its unit is present, else the baseline."""
        values = []
        for (start, size, shape), end, base in zip(self.pieces, ends, bases, strict=True):
            mask = present[:, start : start + size].reshape(-1, *shape)
            values.append(np.where(mask, end[example], base[example]).astype(np.float32))
        return values


def _result(scores: np.ndarray, rows: np.ndarray, n: int, fractions: np.ndarray):
    points = fractions.shape[0]
    curves = np.full((3, n, points), np.nan)
    example, curve, step = rows.T
    curves[curve, example, step] = scores
    at_x, at_base = curves[0, :, 0].copy(), curves[1, :, 0].copy()
    curves[0, :, -1] = curves[1, :, 0] = curves[2, :, 0] = at_base
    curves[1, :, -1] = curves[2, :, -1] = at_x
    widths = np.diff(fractions)
    areas = ((curves[..., 1:] + curves[..., :-1]) / 2 * widths).sum(axis=-1)
    return FaithfulnessResult(
        fractions=fractions.astype(np.float32),
        deletion=curves[0].astype(np.float32),
        insertion=curves[1].astype(np.float32),
        random=curves[2].astype(np.float32),
        deletion_auc=areas[0].astype(np.float32),
        insertion_auc=areas[1].astype(np.float32),
        random_auc=areas[2].astype(np.float32),
        evaluations=int(rows.shape[0] // max(n, 1)),
    )
