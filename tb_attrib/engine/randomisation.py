"""Sanity check by model randomisation (Adebayo et al., 2018, "Sanity Checks for Saliency Maps").

A map that explains what a network learned must change when what it learned is destroyed.
The check re-initialises the weights of the network's top layer in a *copy* of the model (the
model being trained is never touched), attributes the same probe with the same targets, and
measures Spearman's rank correlation (:func:`tb_attrib.engine.rank.spearman`) between each
example's map of the copy and of the real model, over the example's units
(:func:`tb_attrib.engine.faithfulness.unit_maps`). A high correlation means the map does not
depend on what the top of the network learned: it shows the input (its edges, its zeros)
more than the model.

:class:`RandomisedView` is that copy without copying anything: the model's own code run by
``model.stateless_call`` on the model's current weights, read at every call, with the chosen
layer's replaced by values drawn once from that layer's own initialisers, seeded, so every
check uses the same random top layer. It works for every model (Functional, Sequential,
subclassed) and alike on every Keras backend, and costs no second set of weights; nothing of
the model is ever assigned.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 1234


def layers_with_weights(model: object) -> list[str]:
    """Names of ``model``'s layers that hold weights, in ``model.layers`` order."""
    return [layer.name for layer in model.layers if layer.weights]


def choose_layer(model: object, name: str | None = None, top: str | None = None):
    """The layer to re-initialise: the one named ``name`` (``sanity_layer``), else the top
    layer: ``top`` (the layer computing the explained output), else the last of
    ``model.layers``.

    Raises:
      ValueError: ``name`` is not a layer of the model, or the layer has no weights; the
        message names the nearest layer below with weights, to pass as ``sanity_layer``.
    """
    layers = list(model.layers)
    if not layers:
        raise ValueError("sanity_layer: the model has no layers to re-initialise")
    wanted = name if name is not None else top
    layer = layers[-1] if wanted is None else next((x for x in layers if x.name == wanted), None)
    if layer is None:
        if name is None:  # the output's layer is not a direct layer (nested): use the last
            return choose_layer(model)
        raise ValueError(
            f"sanity_layer={name!r} is not a layer of the model; layers with weights: "
            f"{', '.join(map(repr, layers_with_weights(model))) or 'none'}"
        )
    if layer.weights:
        return layer
    below = [other.name for other in layers[: layers.index(layer)] if other.weights]
    hint = (
        f"the nearest layer below it with weights is {below[-1]!r}: pass sanity_layer={below[-1]!r}"
        if below
        else "no layer below it has weights"
    )
    which = "the model's top layer" if name is None else "sanity_layer"
    raise ValueError(
        f"sanity_layer: {which} {layer.name!r} ({type(layer).__name__}) has no weights to "
        f"re-initialise; {hint} (or sanity_freq=None to turn the sanity check off)"
    )


class _Value:
    """Stands for a variable in :attr:`RandomisedView.trainable_variables`: its ``value``."""

    def __init__(self, value) -> None:
        self.value = value


class RandomisedView:
    """The model with the chosen layer's weights replaced by freshly initialised ones.

    Nothing is copied or assigned: the view runs the model's own code through
    ``model.stateless_call`` with the model's current variable values, read at every call,
    except the chosen layer's, drawn once from that layer's own initialisers, seeded.
    Everything else (layers, inputs, ``stateless_call``) is the model's. The engine's kernels
    call it as they call a model: ``view(inputs, training=False)`` on TensorFlow and PyTorch;
    on JAX through ``stateless_call`` with the values of :attr:`trainable_variables` and
    :attr:`non_trainable_variables`.

    Args:
      model: The trained Keras model (read, never written).
      layer: The layer to re-initialise (:func:`choose_layer`).
      seed: Seed of the re-initialisation (default :data:`DEFAULT_SEED`).
    """

    def __init__(self, model, layer, seed: int = DEFAULT_SEED) -> None:
        import keras

        self.model = model
        self.layer = layer
        self._fresh = {
            id(v): keras.ops.convert_to_tensor(_initial_value(layer, v, seed + k))
            for k, v in enumerate(layer.weights)
        }

    def __getattr__(self, name: str):
        return getattr(self.model, name)

    def _values(self, variables) -> list:
        return [self._fresh.get(id(v), v.value) for v in variables]

    @property
    def trainable_variables(self) -> list:
        return [_Value(v) for v in self._values(self.model.trainable_variables)]

    @property
    def non_trainable_variables(self) -> list:
        return [_Value(v) for v in self._values(self.model.non_trainable_variables)]

    def __call__(self, inputs, training: bool = False):
        out, _ = self.model.stateless_call(
            self._values(self.model.trainable_variables),
            self._values(self.model.non_trainable_variables),
            inputs,
            training=False,
        )
        return out


def _initial_value(layer, variable, seed: int) -> np.ndarray:
    """A fresh value of ``variable`` from ``layer``'s own initialiser for it (``kernel`` from
    ``kernel_initializer``, ...), seeded; Glorot uniform where the layer names none (zeros for
    a vector)."""
    import keras

    short = variable.name.split("/")[-1]
    initializer = getattr(layer, f"{short}_initializer", None)
    if initializer is None:
        initializer = "glorot_uniform" if len(variable.shape) >= 2 else "zeros"
    initializer = keras.initializers.get(initializer)
    config = initializer.get_config()
    if "seed" in config:
        initializer = type(initializer).from_config({**config, "seed": seed})
    value = initializer(tuple(variable.shape), dtype=variable.dtype)
    return keras.ops.convert_to_numpy(value)
