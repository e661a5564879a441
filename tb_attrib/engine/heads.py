"""What a model's output head means, which score is explained, and what is shown as predictions.

Four kinds of head, each with its own explained score ``F`` per example:

``"multiclass"``
    ``[batch, C]`` softmax probabilities or logits, ``C >= 2``. ``F`` is the output of the
    target class: the label when there is one, else the predicted class.
``"binary"``
    ``[batch, 1]``: a sigmoid probability ``p`` or a logit ``z`` of class 1. ``F`` is the
    score of the class explained: ``p`` (``z``) for class 1 and ``1 - p`` (``-z``) for class 0,
    so that a map always explains "why this class". Predictions are the two classes'
    probabilities ``[1 - p, p]``. Softmax over one unit is constant and never applied.
``"multilabel"``
    ``[batch, K]`` independent sigmoid probabilities (or logits) with multi-hot labels. ``F`` is
    output ``target`` (default: the highest-scoring output); predictions are each output's
    probability.
``"regression"``
    ``[batch, K]`` linear outputs with float labels. ``F`` is output ``target`` (default 0);
    predictions are the predicted values.

Every explained score is ``sign * output[index] + offset`` (:class:`Targets`), which keeps the
gradient kernel one line for every head: ``offset`` only matters for ``F`` itself.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tb_attrib.engine import model_output

KINDS = ("multiclass", "binary", "multilabel", "regression")
_BINARY_LOSSES = ("binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge")
_MULTICLASS_LOSSES = (
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "kl_divergence",
    "kld",
)
_REGRESSION_LOSSES = (
    "mean_squared_error",
    "mse",
    "mean_absolute_error",
    "mae",
    "mean_absolute_percentage_error",
    "mape",
    "mean_squared_logarithmic_error",
    "msle",
    "huber",
    "log_cosh",
    "logcosh",
    "poisson",
    "cosine_similarity",
)


@dataclasses.dataclass(frozen=True)
class Head:
    """An output head: its kind, width and whether it outputs probabilities.

    Attributes:
      kind: One of :data:`KINDS`.
      width: Number of output units ``W`` (``[batch, W]``).
      output_kind: ``"probabilities"`` or ``"logits"`` (``"logits"`` for regression: raw values).
    """

    kind: str
    width: int
    output_kind: str

    @property
    def num_predictions(self) -> int:
        """Columns of the predictions shown per example (two classes for a binary head)."""
        return 2 if self.kind == "binary" else self.width

    @property
    def is_classifier(self) -> bool:
        return self.kind in ("multiclass", "binary")

    def to_json(self) -> dict:
        return {"kind": self.kind, "width": self.width, "output_kind": self.output_kind}


@dataclasses.dataclass(frozen=True)
class Targets:
    """Per example: the output unit differentiated and the transform of the explained score.

    ``F = sign * output[:, index] + offset``. ``classes`` is what the dashboard names: the class
    (multiclass, binary: 0 or 1) or output (multilabel, regression) explained.
    """

    index: np.ndarray  # [N] int32
    sign: np.ndarray  # [N] float32
    offset: np.ndarray  # [N] float32
    classes: np.ndarray  # [N] int32

    def scores(self, outputs: np.ndarray) -> np.ndarray:
        """``F`` of each example from raw outputs ``[N, W]`` (or ``[S, N, W]``)."""
        picked = np.take_along_axis(
            np.asarray(outputs, np.float64),
            np.broadcast_to(self.index[:, None], (*np.shape(outputs)[:-1], 1)),
            axis=-1,
        )[..., 0]
        return self.sign * picked + self.offset


def detect(
    model: object,
    outputs: np.ndarray,
    *,
    head: str = "auto",
    output_kind: str = "auto",
    labels: np.ndarray | None = None,
) -> Head:
    """Decides the kind of ``model``'s head.

    In order: ``head`` when given; the compiled loss (binary cross-entropy: binary for one unit,
    multi-label for several; a categorical loss: multiclass; a regression loss: regression);
    then the final activation (softmax: multiclass; sigmoid: binary or multi-label; linear
    with one unit: binary when the labels are 0/1 integers, else regression; linear with
    several: multiclass logits); for subclassed models, rows that sum to 1 mean multiclass.

    Args:
      model: The Keras model (its ``loss`` and final activation are read).
      outputs: ``[N, W]`` raw outputs on the probe.
      head: ``"auto"`` or one of :data:`KINDS`.
      output_kind: ``"auto"``, ``"probabilities"`` or ``"logits"``.
      labels: Raw probe labels (any shape), or None.
    """
    validate(head, output_kind)
    outputs = np.asarray(outputs)
    width = int(outputs.shape[-1])
    kind = head if head != "auto" else _kind_from_loss(model, width)
    activation = model_output.final_activation(model)
    if kind is None:
        kind = _kind_from_activation(activation, width, labels)
    if kind == "multiclass" and width < 2:
        raise ValueError(
            "a multiclass head needs at least 2 outputs; a model with one output unit is "
            "binary (sigmoid or logit) or a regression: pass head='binary' or 'regression'"
        )
    if kind == "binary" and width != 1:
        raise ValueError(
            f"a binary head has one output unit; this model has {width} (use 'multiclass' "
            "for softmax over two classes, 'multilabel' for several sigmoids)"
        )
    if kind == "regression":
        return Head(kind, width, "logits")
    if output_kind == "auto":
        if activation is not None:
            output_kind = "probabilities" if activation in ("softmax", "sigmoid") else "logits"
        elif kind == "multiclass":
            output_kind = model_output.infer_output_kind(model, outputs)
        else:
            in_unit = outputs.size and np.all((outputs >= 0) & (outputs <= 1))
            output_kind = "probabilities" if in_unit else "logits"
    return Head(kind, width, output_kind)


def validate(head: object, output_kind: object = "auto") -> None:
    """Raises ValueError unless ``head`` and ``output_kind`` are known choices."""
    if head != "auto" and head not in KINDS:
        raise ValueError(f"head must be 'auto' or one of {', '.join(KINDS)}; got {head!r}")
    if output_kind not in model_output.OUTPUT_KINDS:
        raise ValueError(
            f"output_kind must be one of {model_output.OUTPUT_KINDS}; got {output_kind!r}"
        )


def _loss_names(model: object) -> list[str]:
    loss = getattr(model, "loss", None)
    losses = (
        list(loss.values())
        if isinstance(loss, dict)
        else (list(loss) if isinstance(loss, list | tuple) else [loss])
    )
    names = []
    for item in losses:
        if item is None:
            continue
        if isinstance(item, str):
            names.append(item.lower())
            continue
        name = getattr(item, "name", None) or getattr(item, "__name__", None)
        if name is None:
            name = type(item).__name__
        names.append(_snake(str(name)))
    return names


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _kind_from_loss(model: object, width: int) -> str | None:
    names = _loss_names(model)
    if len(names) != 1:
        return None
    name = names[0]
    if name in _BINARY_LOSSES:
        return "binary" if width == 1 else "multilabel"
    if name in _MULTICLASS_LOSSES:
        return "multiclass" if width > 1 else None
    if name in _REGRESSION_LOSSES:
        return "regression"
    return None


def _kind_from_activation(activation, width, labels) -> str:
    if activation == "sigmoid":
        return "binary" if width == 1 else "multilabel"
    if width == 1 and activation != "softmax":  # one linear unit: 0/1 labels mean a logit
        binary = labels is not None and np.isin(np.asarray(labels), (0, 1)).all()
        return "binary" if binary else "regression"
    return "multiclass"  # softmax, several linear units, or a subclassed model


def check_labels(head: Head, labels: object, count: int) -> np.ndarray | None:
    """Labels of the probe as this head reads them.

    Returns ``[N]`` int32 class ids (multiclass: sparse or one-hot given; binary: 0/1),
    ``[N, K]`` float32 multi-hot rows (multilabel) or ``[N, K]`` float32 values (regression).

    Raises:
      ValueError: naming ``probe_y`` and what was expected.
    """
    if labels is None:
        return None
    y = np.asarray(labels)
    if y.dtype.kind not in "fiub":
        raise ValueError(f"probe_y must hold numbers; got dtype {y.dtype}")
    if y.shape[:1] != (count,):
        raise ValueError(
            f"probe_y has {y.shape[0] if y.ndim else 0} labels but probe_x has {count} "
            "examples; they must match"
        )
    if not np.all(np.isfinite(y)):
        raise ValueError("probe_y contains NaN or infinite values")
    if head.kind == "multiclass":
        return _class_ids(y, count, head.width)
    if head.kind == "binary":
        y = y.reshape(count, -1)
        if y.shape[1] != 1 or not np.isin(y, (0, 1)).all():
            raise ValueError(
                "probe_y of a binary model (one sigmoid or logit output) must hold labels "
                f"0 or 1, one per example; got shape {np.shape(labels)} with values "
                f"from {y.min():g} to {y.max():g}"
            )
        return y[:, 0].astype(np.int32)
    y = y.reshape(count, -1).astype(np.float32)
    if y.shape[1] != head.width:
        what = "multi-hot rows" if head.kind == "multilabel" else "target values"
        raise ValueError(
            f"probe_y must hold {what} [N, {head.width}] for this {head.kind} model with "
            f"{head.width} outputs; got shape {np.shape(labels)}"
        )
    if head.kind == "multilabel" and not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("probe_y of a multi-label model must be multi-hot (0 or 1 per output)")
    return y


def _class_ids(y: np.ndarray, count: int, num_classes: int) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"probe_y must be [N] sparse or [N, C] one-hot labels; got {y.shape}")
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise ValueError(
            "probe_y must hold integer class ids for a multiclass model (float values look "
            "like a regression: pass head='regression' if the model is one)"
        )
    y = y.astype(np.int32)
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError(
            f"probe_y holds class ids from {int(y.min())} to {int(y.max())}, but the model "
            f"has {num_classes} output classes (expected ids in [0, {num_classes}))"
        )
    return y


def resolve_targets(head: Head, target: object, outputs: np.ndarray, labels=None) -> Targets:
    """Per-example targets of ``head``.

    Args:
      head: The model's head.
      target: None (the label where the head has class labels, else the default of the head:
        the predicted class, the highest-scoring output, output 0), ``"predicted"``, an int, or
        one int per example. For a binary head the int is the class (0 or 1).
      outputs: ``[N, W]`` raw outputs on the probe.
      labels: As returned by :func:`check_labels`, or None.
    """
    outputs = np.asarray(outputs, np.float64)
    n = outputs.shape[0]
    if isinstance(target, str):
        if target != "predicted":
            raise ValueError(
                f"target must be None, 'predicted', an int or one int per example; got {target!r}"
            )
        target, labels = None, None
    if target is None and labels is not None and head.is_classifier:
        classes = np.asarray(labels, np.int32)
    elif target is None:
        classes = _default_classes(head, outputs)
    else:
        limit = 2 if head.kind == "binary" else head.width
        classes = _explicit(target, n, limit, head)
    if head.kind != "binary":
        ones = np.ones(n, np.float32)
        return Targets(classes, ones, np.zeros(n, np.float32), classes)
    index = np.zeros(n, np.int32)
    sign = np.where(classes == 1, 1.0, -1.0).astype(np.float32)
    probabilities = head.output_kind == "probabilities"
    offset = np.where((classes == 0) & probabilities, 1.0, 0.0).astype(np.float32)
    return Targets(index, sign, offset, classes)


def _default_classes(head: Head, outputs: np.ndarray) -> np.ndarray:
    n = outputs.shape[0]
    if head.kind == "binary":
        threshold = 0.5 if head.output_kind == "probabilities" else 0.0
        return (outputs[:, 0] >= threshold).astype(np.int32)
    if head.kind == "regression":
        return np.zeros(n, np.int32)
    return np.argmax(outputs, axis=-1).astype(np.int32).reshape(n)


def _explicit(target: object, n: int, limit: int, head: Head) -> np.ndarray:
    values = np.asarray(target)
    if values.dtype.kind == "f":
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            raise ValueError("target must hold integer class or output ids")
    elif values.dtype.kind not in "iub" or isinstance(target, bool):
        raise ValueError(f"target must be None, an int or one int per example; got {target!r}")
    if values.ndim == 0:
        values = np.full([n], int(values))
    values = values.reshape(-1)
    if values.shape[0] != n:
        raise ValueError(f"target has {values.shape[0]} entries but the probe has {n} examples")
    if values.min() < 0 or values.max() >= limit:
        what = {"binary": "classes (0 or 1)", "multiclass": "classes"}.get(head.kind, "outputs")
        raise ValueError(
            f"target {what} must lie in [0, {limit}) for this {head.kind} model with "
            f"{head.width} output{'s' if head.width != 1 else ''}; got values from "
            f"{int(values.min())} to {int(values.max())}"
        )
    return values.astype(np.int32)


def predictions(head: Head, raw: np.ndarray) -> np.ndarray:
    """What the dashboard shows per alpha from raw outputs ``[..., W]``: class probabilities
    (multiclass; ``[1 - p, p]`` for binary), each output's probability (multilabel), or the
    predicted values (regression)."""
    raw = np.asarray(raw, np.float32)
    if head.kind == "regression":
        return raw
    if head.kind == "multiclass":
        return model_output.to_probabilities(raw, head.output_kind)
    p = raw if head.output_kind == "probabilities" else 1.0 / (1.0 + np.exp(-raw))
    p = p.astype(np.float32)
    if head.kind == "binary":
        return np.concatenate([1.0 - p, p], axis=-1)
    return p
