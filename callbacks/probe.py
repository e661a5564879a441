"""Turning what a user passes as a probe into checked NumPy arrays.

A probe takes the forms of ``model.fit``'s ``x``: one array or tensor, a list of them or a
dict keyed by input name, or a ``tf.data.Dataset`` (batched or not) whose elements are ``x``
or ``(x, y)`` with ``x`` of any of those structures. Labels are kept as given (sparse class
ids, one-hot or multi-hot rows, regression targets); the model's head decides how they are
read (:func:`tb_attrib.engine.heads.check_labels`). Every check raises a ValueError that names
the argument and what was expected, because these errors reach the user from the constructor
or ``on_train_begin``, before any epoch runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import keras
import numpy as np

DEFAULT_DATASET_PROBE_SIZE = 16


def is_dataset(value: object) -> bool:
    """True for a ``tf.data.Dataset`` (checked without importing TensorFlow)."""
    kind = type(value)
    return kind.__module__.startswith("tensorflow") and hasattr(value, "element_spec")


@dataclasses.dataclass(frozen=True)
class Probe:
    """A checked probe batch.

    Attributes:
      x: The inputs in the structure given (an array, a list or a dict of arrays); float
        inputs as float32, integer inputs (token ids) as int32.
      y: The labels as given (an array), or None.
    """

    x: object
    y: np.ndarray | None

    @property
    def arrays(self) -> list[np.ndarray]:
        """Every input array, in the order given (dict: insertion order)."""
        return _leaves(self.x)

    @property
    def size(self) -> int:
        return int(self.arrays[0].shape[0])

    def take(self, rows: np.ndarray) -> object:
        """The inputs of the examples ``rows``, in the same structure."""
        return _map(lambda a: a[rows], self.x)


def _leaves(x: object) -> list:
    if isinstance(x, Mapping):
        return list(x.values())
    if isinstance(x, list | tuple):
        return list(x)
    return [x]


def _map(fn, x: object) -> object:
    if isinstance(x, Mapping):
        return {k: fn(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [fn(v) for v in x]
    return fn(x)


def _is_batched(spec: object, model_input_rank: int | None) -> bool:
    """Whether dataset elements are batches: a leading ``None`` axis, or one more axis than
    the model's input (``model_input_rank``, batch axis included)."""
    first = keras.tree.flatten(spec)[0]
    rank = first.shape.rank
    return (rank is not None and rank > 0 and first.shape[0] is None) or (
        model_input_rank is not None and rank == model_input_rank
    )


def from_dataset(
    dataset: object, size: int, model_input_rank: int | None, argument: str = "probe_x"
) -> tuple[object, np.ndarray | None]:
    """Takes the first ``size`` examples of a ``tf.data.Dataset`` of ``x`` or ``(x, y)``
    elements; errors name ``argument``."""
    import tensorflow as tf

    spec = dataset.element_spec
    pair = isinstance(spec, tuple) and len(spec) in (2, 3) and not isinstance(spec[0], tuple)
    x_spec = spec[0] if pair else spec
    leaves = keras.tree.flatten(x_spec)
    if not leaves or not all(isinstance(s, tf.TensorSpec) for s in leaves):
        raise ValueError(
            f"{argument}: a dataset must yield x or (x, y), with x a tensor, a tuple or a dict "
            f"of tensors; got elements {spec}"
        )
    if not _is_batched(x_spec, model_input_rank):
        dataset = dataset.batch(size)
    xs, ys = [], []
    taken = 0
    for element in dataset:
        x = element[0] if pair else element
        xs.append(keras.tree.map_structure(np.asarray, x))
        if pair and len(element) > 1:
            ys.append(np.asarray(element[1]))
        taken += keras.tree.flatten(xs[-1])[0].shape[0]
        if taken >= size:
            break
    if not xs:
        raise ValueError(f"{argument}: the dataset is empty; it needs at least one example")
    x = keras.tree.map_structure(lambda *parts: np.concatenate(parts)[:size], *xs)
    if isinstance(x, tuple):
        x = list(x)
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
      ValueError: an empty probe, NaN or infinity in it, non-numeric data, inputs of different
        lengths, or labels whose count differs from the probe's.
    """
    y_source = probe_y
    if is_dataset(probe_x):
        x, dataset_y = from_dataset(probe_x, dataset_size, model_input_rank)
        y_source = probe_y if probe_y is not None else dataset_y
    else:
        x = probe_x
    x = _checked_inputs(x)
    count = _leaves(x)[0].shape[0]
    y = None if y_source is None else _checked_labels(y_source, count)
    return Probe(x=x, y=y)


def _checked_inputs(x: object) -> object:
    if isinstance(x, Mapping):
        if not x:
            raise ValueError("probe_x is an empty dict; give one array per model input")
        checked = {str(k): _checked_array(v, f"probe_x[{k!r}]") for k, v in x.items()}
    elif isinstance(x, list | tuple) and x and not _is_numeric_nest(x):
        checked = [_checked_array(v, f"probe_x[{i}]") for i, v in enumerate(x)]
    else:
        checked = _checked_array(x, "probe_x")
    counts = {a.shape[0] for a in _leaves(checked)}
    if len(counts) != 1:
        raise ValueError(
            "probe_x: every input needs the same number of examples; got "
            f"{[a.shape[0] for a in _leaves(checked)]}"
        )
    return checked


def _is_numeric_nest(x: list | tuple) -> bool:
    """True for a nested list of numbers (one array written as lists), False for a list of
    arrays (one per model input)."""
    first = x[0]
    return isinstance(first, int | float | np.number) or (
        isinstance(first, list | tuple) and bool(first) and not hasattr(first[0], "shape")
    )


def _checked_array(value: object, argument: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"{argument} must be an array, a tensor, a list or dict of them (one per model "
            f"input), or a tf.data.Dataset: {e}"
        ) from None
    if array.dtype == object:
        raise ValueError(
            f"{argument} must be an array, a tensor, a list or dict of them (one per model "
            "input), or a tf.data.Dataset; got ragged or mixed data"
        )
    if array.dtype.kind not in "fiub":
        raise ValueError(f"{argument} must hold numbers; got dtype {array.dtype}")
    if array.ndim < 2:
        raise ValueError(f"{argument} must be a batch [N, ...]; got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{argument} is empty: a probe needs at least one example")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(
            f"{argument} contains {bad} NaN or infinite values; a probe must be finite"
        )
    return (
        array.astype(np.int32)
        if array.dtype.kind in "iu" and array.dtype.itemsize > 1
        else (array.astype(np.float32))
    )


def _checked_labels(labels: object, count: int) -> np.ndarray:
    y = np.asarray(labels)
    if y.dtype.kind not in "fiub":
        raise ValueError(
            f"probe_y must hold class ids, one-hot rows or values; got dtype {y.dtype}"
        )
    if y.ndim == 0 or y.shape[0] != count:
        raise ValueError(
            f"probe_y has {y.shape[0] if y.ndim else 0} labels but probe_x has {count} "
            "examples; they must match"
        )
    return y
