"""Baseline health: what the model predicts on the baseline, and when that hides the maps.

Integrated gradients explain ``F_t(x) - F_t(baseline)``. When the model classifies the baseline
itself confidently as the class ``t`` an example is explained for, that change is close to
zero and the example's map shows almost nothing, however well the model knows the example
(the demo's black image is "circle" at 100% from epoch 6 on). This module says so, with the
numbers, from the head's predictions on the baseline(s):

- the baseline's top class and its probability (classifiers: multiclass, binary, multi-label),
  or the predicted value of the explained output (regression);
- an example is *affected* when the baseline's probability of the example's explained class
  reaches :data:`CONFIDENT_PROBABILITY`.

With several baseline draws (``"uniform"``, ``"expected"``) the predictions are averaged over
the draws, as the baseline score of integrated gradients is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from tb_attrib.engine import heads

CONFIDENT_PROBABILITY = 0.9
"""Baseline probability of an example's explained class from which its map is flagged."""


@dataclasses.dataclass(frozen=True)
class BaselineHealth:
    """The model's prediction on the baseline of each probe example.

    Attributes:
      predictions: ``[N, P]`` what the head predicts on the baseline (mean over draws): class
        probabilities, each output's probability (multi-label), or values (regression).
      target: ``[N]`` the class (or output) each example is explained for.
      change: ``[N]`` ``F_t(x) - F_t(baseline)``: what each map explains.
      is_classifier: False for regression (no probabilities, never affected).
    """

    predictions: np.ndarray
    target: np.ndarray
    change: np.ndarray
    is_classifier: bool

    @property
    def top_class(self) -> np.ndarray:
        """``[N]`` the baseline's top class (regression: the explained output)."""
        if not self.is_classifier:
            return self.target.astype(np.int32)
        return self.predictions.argmax(axis=-1).astype(np.int32)

    @property
    def top_probability(self) -> np.ndarray:
        """``[N]`` the top class's probability (regression: the explained output's value)."""
        return np.take_along_axis(self.predictions, self.top_class[:, None], axis=-1)[:, 0]

    @property
    def target_probability(self) -> np.ndarray:
        """``[N]`` the baseline's probability of each example's explained class."""
        return np.take_along_axis(self.predictions, self.target[:, None], axis=-1)[:, 0]

    @property
    def affected(self) -> np.ndarray:
        """``[N]`` True where the baseline is the explained class at
        :data:`CONFIDENT_PROBABILITY` or more: the map explains a change near zero."""
        if not self.is_classifier:
            return np.zeros(self.target.shape, bool)
        return self.target_probability >= CONFIDENT_PROBABILITY

    @property
    def worst(self) -> int:
        """The example whose baseline has the most confident top class."""
        return int(np.argmax(self.top_probability))

    def scalars(self) -> dict[str, float]:
        """For TensorBoard's Scalars tab: ``attributions/baseline_top_probability`` and
        ``attributions/baseline_top_class`` (of the probe's most confident baseline; one
        baseline for all examples gives its own) and ``attributions/baseline_affected``
        (examples flagged); regression: ``attributions/baseline_value`` (mean over the probe
        of the explained output's value at the baseline)."""
        if not self.is_classifier:
            return {"attributions/baseline_value": float(np.mean(self.top_probability))}
        worst = self.worst
        return {
            "attributions/baseline_top_probability": float(self.top_probability[worst]),
            "attributions/baseline_top_class": float(self.top_class[worst]),
            "attributions/baseline_affected": float(np.sum(self.affected)),
        }

    def message(self, class_names: Sequence[str] | None, baseline: str, epoch: int) -> str | None:
        """The warning in plain words with the numbers, or None when no example is affected."""
        rows = np.flatnonzero(self.affected)
        if rows.size == 0:
            return None
        worst = rows[np.argmax(self.target_probability[rows])]
        name = class_label(class_names, int(self.target[worst]))
        changes = ", ".join(f"{self.change[i]:.3g}" for i in rows[:8])
        more = f" and {rows.size - 8} more" if rows.size > 8 else ""
        advice = (
            "more draws (num_baseline_samples) or another background may help"
            if baseline == "expected"
            else "baseline='expected' compares with other inputs instead"
        )
        return (
            f"tb_attrib: at epoch {epoch} the model classifies the baseline ({baseline}) as "
            f"{name} at {self.target_probability[worst]:.0%}, so the maps of the {rows.size} "
            f"probe example(s) explained for that class explain changes F(x) - F(baseline) of "
            f"only {changes}{more} and show almost nothing (examples {rows.tolist()}); "
            f"{advice}. This is said once per fit"
        )


def class_label(class_names: Sequence[str] | None, index: int) -> str:
    """``'"circle"'`` from the class names, else ``'class 0'``."""
    if class_names is not None and 0 <= index < len(class_names):
        return f'"{class_names[index]}"'
    return f"class {index}"


def assess(
    head: heads.Head, predictions: np.ndarray, target: np.ndarray, change: np.ndarray
) -> BaselineHealth:
    """The baseline health from the head's predictions on every draw.

    Args:
      head: The model's head.
      predictions: ``[S, N, P]`` predictions on each of ``S`` baseline draws per example.
      target: ``[N]`` the explained class or output of each example.
      change: ``[N]`` ``F_t(x) - F_t(baseline)`` (the baseline score averaged over draws).

    Returns:
      :class:`BaselineHealth`.
    """
    return BaselineHealth(
        predictions=np.asarray(predictions, np.float32).mean(axis=0),
        target=np.asarray(target).astype(np.int32).reshape(-1),
        change=np.asarray(change, np.float32).reshape(-1),
        is_classifier=head.kind != "regression",
    )
