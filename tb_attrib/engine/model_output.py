"""What a classifier's output means: probabilities or logits (targets: :mod:`.heads`)."""

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
