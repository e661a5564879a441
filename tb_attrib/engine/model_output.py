"""What a classifier's output means: probabilities or logits, and which class to explain."""

from __future__ import annotations

import numpy as np

OUTPUT_KINDS = ("auto", "probabilities", "logits")
_PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


def final_activation(model: object) -> str | None:
    """Name of the activation that ends ``model`` if its structure shows it, else None.

    Follows nested models (a Functional model whose last layer is a Sequential) into their
    last layer. Subclassed models hide their structure and give None.
    """
    import keras

    layer = model
    for _ in range(16):  # nesting depth bound
        if isinstance(layer, keras.Sequential | keras.Model) and _is_structured(layer):
            layers = [sub for sub in layer.layers if not isinstance(sub, keras.layers.InputLayer)]
            if not layers:
                return None
            layer = layers[-1]
            continue
        if isinstance(layer, keras.layers.Softmax):
            return "softmax"
        activation = getattr(layer, "activation", None)
        if activation is None:
            return None
        name = getattr(activation, "__name__", None) or str(activation)
        return name
    return None


def _is_structured(model: object) -> bool:
    """True for Sequential and Functional models, whose layers form the whole computation."""
    import keras

    if isinstance(model, keras.Sequential):
        return True
    return type(model).__name__ == "Functional" or hasattr(model, "_nodes_by_depth")


def infer_output_kind(model: object, outputs: np.ndarray) -> str:
    """Decides whether ``model`` outputs probabilities or logits.

    The model's final activation decides when its structure shows it (softmax or sigmoid:
    probabilities; anything else: logits). Otherwise, as for subclassed models, outputs on the
    probe that lie in [0, 1] and sum to 1 per example count as probabilities.
    """
    activation = final_activation(model)
    if activation is not None:
        return "probabilities" if activation in _PROBABILITY_ACTIVATIONS else "logits"
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim == 2 and outputs.shape[1] > 1 and np.all(np.isfinite(outputs)):
        in_range = outputs.min() >= 0.0 and outputs.max() <= 1.0
        if in_range and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3):
            return "probabilities"
    return "logits"


def to_probabilities(outputs: np.ndarray, kind: str) -> np.ndarray:
    """Class probabilities from raw outputs ``[..., C]`` (softmax of logits; a single
    logit becomes a sigmoid)."""
    outputs = np.asarray(outputs, dtype=np.float32)
    if kind == "probabilities":
        return outputs
    if outputs.shape[-1] == 1:
        return (1.0 / (1.0 + np.exp(-outputs))).astype(np.float32)
    shifted = outputs - outputs.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


def resolve_targets(target: object, num_examples: int, num_classes: int, outputs: np.ndarray):
    """Per-example target classes.

    Args:
      target: None (each example's predicted class), an int (the same class for all), or one
        int per example (a sequence, array or tensor).
      num_examples: N.
      num_classes: C, the width of the model's output.
      outputs: ``[N, C]`` model outputs on the probe, used when ``target`` is None.

    Returns:
      int32 array ``[N]``.

    Raises:
      ValueError: wrong count, non-integer values, or classes outside ``[0, C)``.
    """
    if target is None:
        return np.argmax(np.asarray(outputs), axis=-1).astype(np.int32).reshape(num_examples)
    values = np.asarray(target)
    if values.dtype.kind == "f":
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            raise ValueError("target must hold integer class ids")
    elif values.dtype.kind not in "iub":
        raise ValueError(f"target must be None, an int or one int per example; got {target!r}")
    if values.ndim == 0:
        values = np.full([num_examples], int(values))
    values = values.reshape(-1)
    if values.shape[0] != num_examples:
        raise ValueError(
            f"target has {values.shape[0]} entries but the probe has {num_examples} examples"
        )
    if values.min() < 0 or values.max() >= num_classes:
        raise ValueError(
            f"target classes must lie in [0, {num_classes}) for a model with {num_classes} "
            f"outputs; got values from {int(values.min())} to {int(values.max())}"
        )
    return values.astype(np.int32)
