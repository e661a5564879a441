"""The differentiated function of a Keras model: attributed tensors in, one output head out.

Each model input is a *slot* of one of three kinds:

``"attributed"``  a float input; the path runs through it.
``"fixed"``       held as given at every point of the path (``fixed_inputs``, masks).
``"tokens"``      integer ids, fed as they are; the path runs through the output of their
                  embedding layer instead (Captum's ``LayerIntegratedGradients``). While the
                  function is traced, the embedding layer's ``call`` is replaced by one that
                  returns the interpolated embeddings, so everything after the embedding,
                  its mask included (computed from the ids), is the model's own code.

:func:`build` returns the function a kernel differentiates, always called with
``training=False`` and cast to float32 ``[batch, W]`` (mixed precision gives float16 or
bfloat16 outputs). It is written with ``keras.ops`` only, so every backend's kernel uses the
same one; a kernel may pass its own ``call`` (JAX passes ``model.stateless_call`` with the
variable values it traces with).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Sequence

import keras
import numpy as np

from tb_attrib.engine.inputs import InputLayout

SLOT_KINDS = ("attributed", "fixed", "tokens")


@dataclasses.dataclass(frozen=True)
class Slot:
    """How one model input takes part in the path (see the module docstring)."""

    kind: str
    embedding: object = None


def build(model: object, layout: InputLayout, slots: Sequence[Slot], output: object):
    """``forward(attributed, fixed, call=None) -> [batch, W]``; ``output`` picks the output
    (see :func:`pick_output`); ``call(inputs)`` runs the model (default
    ``model(inputs, training=False)``)."""

    def run(inputs):
        return model(inputs, training=False)

    def forward(attributed: list, fixed: list, call=None):
        values, injected = [], []
        a, f = iter(attributed), iter(fixed)
        for slot in slots:
            if slot.kind == "attributed":
                values.append(next(a))
            elif slot.kind == "fixed":
                values.append(next(f))
            else:
                values.append(next(f))
                injected.append((slot.embedding, next(a)))
        with _injected(injected):
            out = (call or run)(layout.assemble(values))
        out = keras.ops.cast(pick_output(out, output), "float32")
        return keras.ops.reshape(out, (keras.ops.shape(out)[0], -1))

    return forward


def _injected(pairs: list):
    """Makes each embedding layer return its given tensor while the model is traced."""
    replacements = {}
    for layer, tensor in pairs:

        def call(*args, _tensor=tensor, _layer=layer, **kwargs):
            return keras.ops.cast(_tensor, _layer.compute_dtype)

        replacements[layer] = call
    return replaced_calls(replacements)


@contextlib.contextmanager
def replaced_calls(replacements: dict):
    """Replaces each layer's ``call`` (an instance attribute, so Keras's ``__call__`` — masks,
    autocasting — still runs around it) for the duration of the block, then restores it."""
    saved = []
    for layer, call in replacements.items():
        saved.append((layer, layer.__dict__.get("call")))
        layer.__dict__["call"] = call
    try:
        yield
    finally:
        for layer, original in saved:
            if original is None:
                layer.__dict__.pop("call", None)
            else:
                layer.__dict__["call"] = original


def embed(layer: object, ids: np.ndarray) -> np.ndarray:
    """The float32 output of embedding ``layer`` for ``ids``."""
    out = layer(keras.ops.convert_to_tensor(np.asarray(ids, np.int32)))
    return keras.ops.convert_to_numpy(keras.ops.cast(out, "float32"))


def output_names(model: object, sample: object) -> list | None:
    """Names (dict outputs) or indices (list outputs) of a model's several outputs, from the
    model's own output structure or one call's answer; None for a single output."""
    if isinstance(sample, Mapping):
        return [str(k) for k in sample]
    if isinstance(sample, list | tuple):
        names = getattr(model, "output_names", None)
        if names and len(names) == len(sample):
            return [str(n) for n in names]
        return [str(i) for i in range(len(sample))]
    return None


def resolve_output(model: object, sample: object, output: object) -> object:
    """The key that :func:`pick_output` uses: None (one output), a dict key or a list index.

    Raises:
      ValueError: a model with several outputs and no ``output``, or an unknown ``output``;
        the message lists the output names.
    """
    names = output_names(model, sample)
    if names is None:
        if output not in (None, 0):
            raise ValueError(f"output {output!r}: the model has a single output")
        return None
    if output is None:
        raise ValueError(
            f"the model has {len(names)} outputs ({', '.join(map(repr, names))}): pass "
            "output=<name or index> to choose the one to explain"
        )
    if isinstance(sample, Mapping):
        if isinstance(output, int) and not isinstance(output, bool) and 0 <= output < len(names):
            return list(sample)[output]
        if str(output) in names:
            return str(output)
    else:
        if isinstance(output, int) and not isinstance(output, bool) and 0 <= output < len(names):
            return output
        if isinstance(output, str) and output in names:
            return names.index(output)
    raise ValueError(
        f"output {output!r} is not an output of the model; its outputs are "
        f"{', '.join(map(repr, names))} (or their indices 0 to {len(names) - 1})"
    )


def pick_output(out: object, key: object) -> object:
    if key is None:
        return out
    if isinstance(out, Mapping):
        return out[key]
    return out[key]


def sample_output(model: object, layout: InputLayout, values: Sequence[np.ndarray]) -> object:
    """One ``training=False`` call on the first two examples (to learn the output structure)."""
    tensors = [keras.ops.convert_to_tensor(v[:2]) for v in values]
    return model(layout.assemble(tensors), training=False)
