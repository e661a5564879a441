"""Sanity check by model randomisation (Adebayo et al., 2018, "Sanity Checks for Saliency Maps").

A map that explains what a network learned must change when what it learned is destroyed.
The check re-initialises the weights of the network's top layer in a *copy* of the model (the
model being trained is never touched), attributes the same probe with the same targets, and
measures Spearman's rank correlation (:func:`tb_attrib.engine.rank.spearman`) between each
example's map of the copy and of the real model, over the example's units
(:func:`tb_attrib.engine.faithfulness.unit_maps`). A high correlation means the map does not
depend on what the top of the network learned: it shows the input (its edges, its zeros)
more than the model.

:class:`RandomisedCopy` copies the model once per ``fit`` with ``keras.models.clone_model``
(Functional and Sequential models; a subclassed model through its ``get_config`` /
``from_config``), and at each check copies the trained weights into it and re-initialises the
chosen layer with that layer's own initialisers, seeded, so every check uses the same random
top layer. It works alike on every Keras backend: only ``get_weights``, ``set_weights`` and
``assign`` are used.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 1234


class CopyError(ValueError):
    """The model cannot be copied for the check."""


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


def _named(layers: list, name: str):
    return next(layer for layer in layers if layer.name == name)


def clone(model: object, x_sample: object = None):
    """A copy of ``model`` with its own variables (not yet holding the model's weights).

    Raises:
      CopyError: the model cannot be copied (a subclassed model without a working
        ``get_config`` / ``from_config``).
    """
    import keras

    try:
        copy = keras.models.clone_model(model)
    except Exception as e:  # subclassed models without from_config raise many kinds
        raise CopyError(
            "sanity_freq: the sanity check runs on a copy of the model, and "
            f"keras.models.clone_model could not copy this {type(model).__name__} "
            f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); give the model "
            "get_config() (and from_config()), or pass sanity_freq=None"
        ) from None
    if not copy.built and x_sample is not None:
        copy(x_sample, training=False)
    return copy


class RandomisedCopy:
    """A copy of a model whose chosen layer is re-initialised at every :meth:`sync`.

    Args:
      model: The trained Keras model (read, never written).
      layer_name: Name of the layer to re-initialise (:func:`choose_layer`).
      x_sample: A batch to build a copied subclassed model with (default None).
      seed: Seed of the re-initialisation (default :data:`DEFAULT_SEED`).
    """

    def __init__(self, model, layer_name: str, x_sample=None, seed: int = DEFAULT_SEED):
        self.model = clone(model, x_sample)
        self.layer = _named(list(self.model.layers), layer_name)
        self.seed = seed
        mine = [tuple(w.shape) for w in self.model.weights]
        theirs = [tuple(w.shape) for w in model.weights]
        if mine != theirs:
            raise CopyError(
                "sanity_freq: the copy of the model made by keras.models.clone_model does not "
                "hold the same weights as the model; pass sanity_freq=None"
            )

    def sync(self, model) -> None:
        """Copies ``model``'s current weights, then re-initialises the chosen layer."""
        self.model.set_weights(model.get_weights())
        for k, variable in enumerate(self.layer.weights):
            variable.assign(_initial_value(self.layer, variable, self.seed + k))


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
