"""What the engine returns: integrated gradients and interior gradients of a batch.

Shaped like the probe: one array for a single input, a list or dict of them (None for inputs
held fixed) for several, in the structure the model takes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from tb_attrib.engine import completeness, heads


@dataclasses.dataclass(frozen=True)
class IntegratedGradientsResult:
    """Integrated gradients of a batch.

    Attributes:
      attributions: Shaped like ``x``: one ``[N, *input_shape]`` float32 array for a single
        input; a list or dict of them for several (None for inputs held fixed). Token inputs
        get ``[N, T]``: the attribution of each token, summed over the embedding dimension.
      delta: ``[N]`` completeness delta ``sum(attributions) - (score_input - score_baseline)``,
        over every input together.
      target: ``[N]`` the class (or output) explained for each example.
      score_input: ``[N]`` ``F_t(x)``.
      score_baseline: ``[N]`` ``F_t(baseline)`` (mean over draws for ``"uniform"``).
      method: quadrature rule used.
      steps: points of the finest rule any example ended with (for a fixed step count, that
        count).
      evaluations: the most gradient evaluations spent on one example (per baseline draw),
        including discarded coarser rules of a non-nested method in the adaptive mode.
      baseline_name: display name of the baseline.
      converged: with ``steps="auto"``, whether every example met the tolerance before
        ``max_steps``; always True for a fixed step count.
      finite: False when some gradient was NaN or infinite.
      example_steps: ``[N]`` points of the final rule of each example.
      example_evaluations: ``[N]`` gradient evaluations spent on each example (per draw).
      baseline_predictions: ``[N, P]`` what the head predicts on each example's baseline
        (mean over draws), from the forward pass that scored the baselines.
      map_error: ``[N]`` with ``steps="auto"``, the estimated relative L2 error of each
        example's map (the distance between its last two rules; NaN where its rule was still
        too coarse to estimate), else None.
      head: What the model's output is (:class:`tb_attrib.engine.heads.Head`).
      input_names: The model's input names, in its order.
    """

    attributions: object
    delta: np.ndarray
    target: np.ndarray
    score_input: np.ndarray
    score_baseline: np.ndarray
    method: str
    steps: int
    evaluations: int
    baseline_name: str
    converged: bool = True
    finite: bool = True
    example_steps: np.ndarray | None = None
    example_evaluations: np.ndarray | None = None
    baseline_predictions: np.ndarray | None = None
    map_error: np.ndarray | None = None
    head: heads.Head | None = None
    input_names: tuple[str, ...] = ("input",)

    @property
    def relative_delta(self) -> np.ndarray:
        """``|delta| / max(|F_t(x) - F_t(baseline)|, floor)`` per example (see
        :mod:`tb_attrib.engine.completeness`)."""
        return completeness.relative(self.delta, self.score_input - self.score_baseline)

    @property
    def attribution_list(self) -> list:
        """One array (or None, for a fixed input) per model input, in the model's order."""
        return _as_list(self.attributions, self.input_names)


@dataclasses.dataclass(frozen=True)
class InteriorGradientsResult:
    """Interior gradients of a batch along an alpha sweep.

    Attributes:
      gradients: Shaped like ``x`` with a sweep axis: ``[N, K, *input_shape]`` gradients of
        ``F_t`` at ``baseline + a (x - baseline)`` (a list or dict for several inputs). For
        token inputs ``[N, K, T]``: ``grad . (e(x) - e(baseline))`` per token, the integrand
        of integrated gradients at that alpha (a raw embedding gradient has no per-token sign).
      predictions: ``[N, K, P]`` what the head predicts at each alpha: class probabilities
        (``[1 - p, p]`` for a binary head), each output's probability (multi-label) or the
        predicted values (regression).
      scores: ``[N, K]`` the explained score ``F_t`` at each alpha.
      alphas: ``[K]`` the sweep.
      target: ``[N]`` the class (or output) explained for each example.
      baseline_name: display name of the baseline.
      finite: False when some gradient was NaN or infinite.
      head: What the model's output is.
      input_names: The model's input names, in its order.
    """

    gradients: object
    predictions: np.ndarray
    scores: np.ndarray
    alphas: np.ndarray
    target: np.ndarray
    baseline_name: str
    finite: bool = True
    head: heads.Head | None = None
    input_names: tuple[str, ...] = ("input",)

    @property
    def gradient_list(self) -> list:
        """One array (or None, for a fixed input) per model input, in the model's order."""
        return _as_list(self.gradients, self.input_names)


def _as_list(value: object, names: Sequence[str]) -> list:
    if isinstance(value, Mapping):
        return [value[n] for n in names]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]
