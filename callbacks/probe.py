"""Turning what a user passes as a probe into checked NumPy arrays.

A probe may be a NumPy array, a tensor, or a ``tf.data.Dataset`` (batched or not) whose
elements are ``x`` or ``(x, y)``; labels may be sparse or one-hot. Every check raises a
ValueError that names the argument and what was expected, because these errors reach the
user from ``on_train_begin``, before any epoch runs.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

DEFAULT_DATASET_PROBE_SIZE = 16


@dataclasses.dataclass(frozen=True)
class Probe:
    """A checked probe batch: float32 inputs and optional sparse int labels."""

    x: np.ndarray
    y: np.ndarray | None

    @property
    def size(self) -> int:
        return int(self.x.shape[0])


def from_dataset(
    dataset: tf.data.Dataset, size: int, model_input_rank: int | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Takes the first ``size`` examples of a dataset of ``x`` or ``(x, y)`` elements.

    Whether the dataset is batched is read from its element spec: a leading ``None`` axis, or
    one more axis than the model's input (``model_input_rank``, batch axis included), means
    batched.
    """
    spec = dataset.element_spec
    x_spec = spec[0] if isinstance(spec, tuple) else spec
    if isinstance(spec, dict) or not isinstance(x_spec, tf.TensorSpec):
        raise ValueError(
            f"probe_x: a dataset probe must yield tensors x or tuples (x, y); got elements {spec}"
        )
    rank = x_spec.shape.rank
    batched = (rank is not None and rank > 0 and x_spec.shape[0] is None) or (
        model_input_rank is not None and rank == model_input_rank
    )
    if not batched:
        dataset = dataset.batch(size)
    xs, ys = [], []
    taken = 0
    for element in dataset:
        x = element[0] if isinstance(element, tuple) else element
        y = element[1] if isinstance(element, tuple) and len(element) > 1 else None
        xs.append(np.asarray(x))
        if y is not None:
            ys.append(np.asarray(y))
        taken += xs[-1].shape[0]
        if taken >= size:
            break
    if not xs:
        raise ValueError("probe_x: the dataset is empty; a probe needs at least one example")
    x = np.concatenate(xs)[:size]
    y = np.concatenate(ys)[:size] if ys and len(ys) == len(xs) else None
    return x, y


def make_probe(
    probe_x: object,
    probe_y: object = None,
    *,
    dataset_size: int = DEFAULT_DATASET_PROBE_SIZE,
    model_input_rank: int | None = None,
) -> Probe:
    """Checks and converts a probe.

    Raises:
      ValueError: an empty probe, NaN or infinity in it, non-numeric data, or labels whose
        count differs from the probe's.
    """
    y_source = probe_y
    if isinstance(probe_x, tf.data.Dataset):
        x, dataset_y = from_dataset(probe_x, dataset_size, model_input_rank)
        y_source = probe_y if probe_y is not None else dataset_y
    else:
        try:
            x = np.asarray(probe_x)
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"probe_x must be an array, a tensor or a tf.data.Dataset: {e}"
            ) from None
    if x.dtype.kind not in "fiub":
        raise ValueError(f"probe_x must hold numbers; got dtype {x.dtype}")
    x = x.astype(np.float32)
    if x.ndim < 2:
        raise ValueError(f"probe_x must be a batch [N, ...]; got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError("probe_x is empty: a probe needs at least one example")
    if not np.all(np.isfinite(x)):
        bad = int(np.count_nonzero(~np.isfinite(x)))
        raise ValueError(f"probe_x contains {bad} NaN or infinite values; a probe must be finite")
    y = None if y_source is None else sparse_labels(y_source, x.shape[0])
    return Probe(x=x, y=y)


def sparse_labels(labels: object, count: int) -> np.ndarray:
    """Sparse int labels from sparse ``[N]``/``[N, 1]`` or one-hot ``[N, C]`` labels."""
    y = np.asarray(labels)
    if y.dtype.kind not in "fiub":
        raise ValueError(f"probe_y must hold class ids or one-hot rows; got dtype {y.dtype}")
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"probe_y must be [N] sparse or [N, C] one-hot labels; got {y.shape}")
    if y.shape[0] != count:
        raise ValueError(
            f"probe_y has {y.shape[0]} labels but probe_x has {count} examples; they must match"
        )
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise ValueError("probe_y must hold integer class ids")
    return y.astype(np.int32)


def check_labels(y: np.ndarray | None, num_classes: int, argument: str = "probe_y") -> None:
    """Raises ValueError if a label lies outside ``[0, num_classes)``."""
    if y is None:
        return
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError(
            f"{argument} holds class ids from {int(y.min())} to {int(y.max())}, but the model "
            f"has {num_classes} output classes (expected ids in [0, {num_classes}))"
        )
