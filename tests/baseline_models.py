"""A real Keras model whose black input is, or is not, confidently one of its classes.

Softmax over "dark" and "light" by mean brightness, decided at 0.5: the tests of baseline
health train it with the ``Attributions`` callback (a tiny learning rate keeps its weights),
and the dashboard test serves what the callback wrote.
"""

from __future__ import annotations

import keras
import numpy as np

CLASS_NAMES = ("dark", "light")


def brightness_model(bias: float, side: int = 8):
    """A black input is "dark" at sigmoid(2 * bias); an example of :func:`labelled_probe` is
    its class at sigmoid(0.8 * max(bias, 1))."""
    # The softmax inside the top Dense: it is the layer the sanity check re-initialises.
    model = keras.Sequential(
        [
            keras.Input((side, side, 3)),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    size = side * side * 3
    kernel = np.zeros((size, 2), np.float32)
    kernel[:, 1] = 4 * max(bias, 1.0) / size
    model.layers[1].set_weights([kernel, np.array([bias, -bias], np.float32)])
    model.compile(keras.optimizers.SGD(1e-6), "sparse_categorical_crossentropy")
    return model


def labelled_probe(count: int = 8, side: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Dark examples (mean 0.3) and light ones (mean 0.7) in turn, with their labels."""
    y = np.arange(count) % 2
    noise = np.random.default_rng(2).uniform(0.0, 0.6, (count, side, side, 3))
    return (noise + 0.4 * y[:, None, None, None]).astype(np.float32), y
