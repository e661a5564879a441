"""A model's inputs: their structure, their modality, and which of them are attributed how.

``model.fit`` accepts ``x`` as one array, a list of arrays or a dict keyed by input name; a
probe may take the same forms. :class:`InputLayout` turns a probe into one array per model
input (in the model's order) and back into the structure the model is called with.

Each input has a *modality*, detected from its shape, dtype and the layers that consume it
(overridable):

``"image"``     ``[H, W, C]`` or ``[H, W]`` floats
``"sequence"``  ``[T, C]`` floats (a time series with ``C`` channels)
``"tabular"``   ``[F]`` floats
``"tokens"``    ``[T]`` integer ids that reach a ``keras.layers.Embedding``

A rank-2 float input is ambiguous: a Conv1D, pooling-1D, recurrent or attention layer among
its consumers means ``"sequence"``, a 2-D convolution or pooling layer (after a ``Reshape``)
means ``"image"``; with neither, a square ``[S, S]`` input is an image and any other shape a
sequence. Token inputs are attributed at the output of their embedding layer: see
:class:`ModelPath`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

MODALITIES = ("image", "sequence", "tabular", "tokens")

_PASS_THROUGH = (
    "Normalization",
    "Rescaling",
    "Masking",
    "Dropout",
    "SpatialDropout1D",
    "GaussianNoise",
    "GaussianDropout",
    "BatchNormalization",
    "LayerNormalization",
    "Activation",
    "Reshape",
    "Permute",
    "Identity",
    "InputLayer",
)
_SEQUENCE_LAYERS = (
    "Conv1D",
    "SeparableConv1D",
    "DepthwiseConv1D",
    "Conv1DTranspose",
    "LSTM",
    "GRU",
    "SimpleRNN",
    "RNN",
    "Bidirectional",
    "ConvLSTM1D",
    "MultiHeadAttention",
    "GroupQueryAttention",
    "Attention",
    "AdditiveAttention",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "MaxPooling1D",
    "AveragePooling1D",
    "TimeDistributed",
)
_IMAGE_LAYERS = (
    "Conv2D",
    "SeparableConv2D",
    "DepthwiseConv2D",
    "Conv2DTranspose",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
)


@dataclasses.dataclass(frozen=True)
class InputLayout:
    """The inputs of a model as ``model.fit`` takes them.

    Attributes:
      names: Input names in the model's order.
      structure: ``"single"``, ``"list"`` or ``"dict"``.
      shapes: Declared example shapes (None where unknown, as in subclassed models).
      dtypes: Declared dtypes (None where unknown).
    """

    names: tuple[str, ...]
    structure: str
    shapes: tuple[tuple | None, ...]
    dtypes: tuple[str | None, ...]

    @property
    def count(self) -> int:
        return len(self.names)

    def describe(self) -> str:
        """``name [shape] dtype`` of each input, for error messages."""
        parts = []
        for name, shape, dtype in zip(self.names, self.shapes, self.dtypes, strict=True):
            dims = (
                "?" if shape is None else ", ".join("None" if d is None else str(d) for d in shape)
            )
            parts.append(f"{name!r} [{dims}] {dtype or ''}".rstrip())
        return ", ".join(parts)

    def split(self, x: object, argument: str = "probe_x") -> list:
        """One value per input, in the model's order, from ``x`` structured as ``fit`` takes.

        Raises:
          ValueError: naming ``argument``, the expected input names and shapes, when the
            structure does not match.
        """
        expected = f"the model's inputs are {self.describe()}"
        if isinstance(x, Mapping):
            if set(x) != set(self.names):
                raise ValueError(
                    f"{argument} is a dict with keys {sorted(map(str, x))}, but {expected}"
                )
            return [x[name] for name in self.names]
        if isinstance(x, list | tuple):
            if self.count == 1 and self.structure == "single":
                raise ValueError(
                    f"{argument} is a {type(x).__name__} of {len(x)} items, but the model has "
                    f"a single input ({self.describe()}): pass one array"
                )
            if len(x) != self.count:
                raise ValueError(
                    f"{argument} is a {type(x).__name__} of {len(x)} items, but {expected}"
                )
            return list(x)
        if self.count != 1:
            raise ValueError(
                f"{argument} is one array, but the model has {self.count} inputs "
                f"({self.describe()}): pass a list in this order or a dict keyed by input "
                "name, as to model.fit"
            )
        return [x]

    def assemble(self, values: Sequence) -> object:
        """The model's input structure from one value per input."""
        if self.structure == "dict":
            return dict(zip(self.names, values, strict=True))
        if self.structure == "list":
            return list(values)
        return values[0]


def layout_of(model: object, probe_x: object = None) -> InputLayout:
    """The input layout of ``model``; for subclassed models (no declared inputs), that of
    ``probe_x``."""
    struct = getattr(model, "_inputs_struct", None)
    if struct is None:
        tensors = symbolic_tensors(model, "inputs")
        if tensors:
            struct = tensors[0] if len(tensors) == 1 else list(tensors)
    if struct is None:
        return _layout_from_probe(probe_x)
    if isinstance(struct, Mapping):
        names = tuple(str(k) for k in struct)
        tensors = [struct[k] for k in struct]
        structure = "dict"
    elif isinstance(struct, list | tuple):
        tensors = list(struct)
        names = tuple(_tensor_name(t, i) for i, t in enumerate(tensors))
        structure = "list" if len(tensors) > 1 or isinstance(probe_x, list | tuple) else "single"
    else:
        tensors = [struct]
        names = (_tensor_name(struct, 0),)
        structure = "single"
    shapes = tuple(tuple(t.shape)[1:] for t in tensors)
    dtypes = tuple(str(t.dtype) for t in tensors)
    return InputLayout(names, structure, shapes, dtypes)


def _layout_from_probe(probe_x: object) -> InputLayout:
    if isinstance(probe_x, Mapping):
        names = tuple(str(k) for k in probe_x)
        return InputLayout(names, "dict", (None,) * len(names), (None,) * len(names))
    if isinstance(probe_x, list | tuple):
        names = tuple(f"input_{i}" for i in range(len(probe_x)))
        return InputLayout(names, "list", (None,) * len(names), (None,) * len(names))
    return InputLayout(("input",), "single", (None,), (None,))


def _tensor_name(tensor: object, i: int) -> str:
    """The name of the ``keras.Input`` that made ``tensor`` (its layer's name)."""
    history = getattr(tensor, "_keras_history", None)
    name = getattr(history.operation, "name", None) if history is not None else None
    name = name or getattr(tensor, "name", None)
    return str(name) if name else f"input_{i}"


def symbolic_tensors(model: object, attribute: str) -> list | None:
    """``model.inputs`` / ``model.outputs`` as a list where they exist (not on subclassed
    models, nor on a Sequential without ``Input`` before it is built)."""
    try:
        value = getattr(model, attribute, None)
    except (AttributeError, ValueError):
        return None
    if value is None:
        return None
    return list(value) if isinstance(value, list | tuple) else [value]


# ---- the model graph ----------------------------------------------------------------------


def _consumers(model: object) -> dict[int, list]:
    """``id(operation) -> layers consuming its outputs`` over a Functional model's graph,
    nested models included."""
    found: dict[int, list] = {}
    for layer in getattr(model, "layers", []):
        for node in getattr(layer, "_inbound_nodes", []):
            for tensor in getattr(node, "input_tensors", []):
                history = getattr(tensor, "_keras_history", None)
                if history is not None:
                    found.setdefault(id(history.operation), []).append(layer)
    return found


def _input_operations(model: object) -> list:
    tensors = getattr(model, "_inputs_struct", None)
    if tensors is None:
        return []
    if isinstance(tensors, Mapping):
        tensors = [tensors[k] for k in tensors]
    elif not isinstance(tensors, list | tuple):
        tensors = [tensors]
    return [getattr(t, "_keras_history", None) and t._keras_history.operation for t in tensors]


def reached_layers(model: object, input_index: int, stop: tuple[str, ...] = ()) -> list | None:
    """Layers reached downstream of input ``input_index``, in breadth-first order, not going
    past layers whose class name is in ``stop``; None when the model has no graph
    (subclassed). A nested model is entered through its inputs."""
    import keras

    if isinstance(model, keras.Sequential):
        return _reached_in_sequence(list(model.layers), stop)
    operations = _input_operations(model)
    if not operations or input_index >= len(operations) or operations[input_index] is None:
        return None
    consumers = _consumers(model)
    order, seen = [], set()
    queue = list(consumers.get(id(operations[input_index]), []))
    while queue:
        layer = queue.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        order.append(layer)
        if type(layer).__name__ in stop:
            continue
        if isinstance(layer, keras.Model):
            inner = [
                reached_layers(layer, i, stop) or []
                for i in range(len(_input_operations(layer)) or 1)
            ]
            order.extend(sub for part in inner for sub in part)
        queue.extend(consumers.get(id(layer), []))
    return order


def _reached_in_sequence(layers: list, stop: tuple[str, ...]) -> list:
    import keras

    order = []
    for layer in layers:
        if isinstance(layer, keras.Model):
            inner = reached_layers(layer, 0, stop) or []
            order.append(layer)
            order.extend(inner)
            if any(type(sub).__name__ in stop for sub in inner):
                break
            continue
        order.append(layer)
        if type(layer).__name__ in stop:
            break
    return order


def leaf_layers(model: object) -> list:
    """Every layer of ``model`` that holds no sublayers, nested models included, in order."""
    found = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if list(layer._flatten_layers(include_self=False, recursive=False)):
            continue
        found.append(layer)
    return found


def find_embedding(model: object, input_index: int, name: str | None = None) -> object:
    """The embedding layer that token input ``input_index`` reaches (or the one named).

    Raises:
      ValueError: ``embedding_layer`` names no layer of the model, or no or several embedding
        layers are reached and none is named.
    """
    import keras

    if name is not None:
        for layer in leaf_layers(model):
            if layer.name == name:
                return layer
        names = [layer.name for layer in leaf_layers(model)]
        raise ValueError(
            f"embedding_layer {name!r} is not a layer of the model; its layers are {names}"
        )
    reached = reached_layers(model, input_index, stop=("Embedding",))
    if reached is None:  # subclassed: every embedding in the model
        reached = leaf_layers(model)
    embeddings = [layer for layer in reached if isinstance(layer, keras.layers.Embedding)]
    if len(embeddings) == 1:
        return embeddings[0]
    if not embeddings:
        raise ValueError(
            "the probe's integer inputs reach no keras.layers.Embedding; integer token ids are "
            "attributed at an embedding's output: pass embedding_layer=<layer name>, or give "
            "float inputs"
        )
    raise ValueError(
        f"the token input reaches several embedding layers ({[e.name for e in embeddings]}): "
        "pass embedding_layer=<layer name> to choose one"
    )


def is_tokens(model: object, layout: InputLayout, index: int, value: np.ndarray) -> bool:
    """Whether input ``index`` holds token ids: declared integer, or given as integers and
    reaching an embedding layer (a Sequential around a nested model, a subclassed model)."""
    declared = layout.dtypes[index]
    if declared is not None and np.dtype(declared).kind in "iu":
        return True
    if np.asarray(value).dtype.kind not in "iu":
        return False
    import keras

    reached = reached_layers(model, index, stop=("Embedding",))
    if reached is None:
        reached = leaf_layers(model)
    return any(isinstance(layer, keras.layers.Embedding) for layer in reached)


def detect_modality(model: object, layout: InputLayout, index: int, value: np.ndarray) -> str:
    """The modality of input ``index`` (see the module docstring)."""
    if is_tokens(model, layout, index, value):
        return "tokens"
    rank = np.ndim(value) - 1
    if rank == 1:
        return "tabular"
    if rank == 3:
        return "image"
    if rank == 2:
        names = {type(layer).__name__ for layer in reached_layers(model, index) or []}
        if names & set(_SEQUENCE_LAYERS):
            return "sequence"
        if names & set(_IMAGE_LAYERS):
            return "image"
        shape = np.shape(value)[1:]
        return "image" if shape[0] == shape[1] else "sequence"
    raise ValueError(
        f"input {layout.names[index]!r} has examples of shape {tuple(np.shape(value)[1:])}: "
        "tb_attrib explains inputs of rank 1 (tabular), 2 (sequence or image) and 3 (image)"
    )


def check_modality(modality: str, value: np.ndarray, name: str) -> None:
    """Raises ValueError when ``modality`` cannot describe examples shaped like ``value``."""
    rank = np.ndim(value) - 1
    fits = {
        "image": rank in (2, 3),
        "sequence": rank == 2,
        "tabular": rank == 1,
        "tokens": rank == 1 and np.asarray(value).dtype.kind in "iuf",
    }
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {', '.join(MODALITIES)}; got {modality!r}")
    if not fits[modality]:
        want = {
            "image": "[H, W, C] or [H, W]",
            "sequence": "[T, C]",
            "tabular": "[F]",
            "tokens": "[T] integer ids",
        }[modality]
        raise ValueError(
            f"modality {modality!r} expects examples shaped {want}, but input {name!r} has "
            f"examples of shape {tuple(np.shape(value)[1:])}"
        )
