"""Models and probe of the peers benchmark, trained once with a fixed seed and cached.

The benchmark runs every configuration on the same three networks:

- ``relu``: the demo network (``demo_train.build_model``), trained briefly on the generated
  shapes. Its gradient along the integration path is piecewise constant.
- ``gelu``: the same network with every ReLU replaced by GELU, trained the same way. Its
  gradient along the path is smooth, so higher-order quadrature pays off.
- ``mobilenet``: ``keras.applications.MobileNetV2(weights=None, input_shape=(64, 64, 3),
  classes=10)`` (never downloads weights), trained briefly on 64x64 shapes so that its
  BatchNorm statistics and predictions are not those of a fresh initialisation.

Trained models are saved as ``.keras`` files in a cache directory so that the subprocesses
that measure peak memory load them instead of training again. The probe is 16 validation
examples, four of each shape, explained for their true label.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import demo_train  # noqa: E402  (the repository root is not a package)

MODEL_NAMES = ("relu", "gelu", "mobilenet")
PROBE_SIZE = 16
DEFAULT_CACHE = Path(os.environ.get("TB_ATTRIB_BENCH_CACHE", "/tmp/tb_attrib_bench"))

# Brief training, fixed seed: enough for the networks to be non-trivial (accuracy well above
# chance), small enough to take seconds on two cores.
_TRAINING = {
    "relu": {"size": 32, "train_size": 3000, "epochs": 3},
    "gelu": {"size": 32, "train_size": 3000, "epochs": 3},
    "mobilenet": {"size": 64, "train_size": 512, "epochs": 1},
}
_SEED = 0


def image_size(name: str) -> int:
    """Side of the square RGB inputs of model ``name``."""
    return _TRAINING[name]["size"]


def probe(name: str, size: int = PROBE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """``(x, labels)``: ``size`` validation shapes at the model's resolution, classes in turn."""
    x, y, _ = demo_train.make_shapes(256, seed=_SEED + 1, size=image_size(name))
    index = demo_train.balanced_probe(y, size)
    return x[index], y[index].astype(np.int32)


def _smooth_clone(model: object, activation: str = "gelu") -> object:
    """The same architecture with every ReLU activation layer replaced by ``activation``."""
    import keras

    def clone(layer: object) -> object:
        config = layer.get_config()
        if isinstance(layer, keras.layers.Activation) and config["activation"] == "relu":
            config["activation"] = activation
        return layer.__class__.from_config(config)

    return keras.models.clone_model(model, clone_function=clone)


def build(name: str) -> object:
    """An untrained model ``name`` (see the module docstring)."""
    import keras

    if name == "relu":
        return demo_train.build_model(len(demo_train.SHAPES))
    if name == "gelu":
        return _smooth_clone(demo_train.build_model(len(demo_train.SHAPES)))
    if name == "mobilenet":
        return keras.applications.MobileNetV2(
            weights=None, input_shape=(64, 64, 3), classes=10, include_top=True
        )
    raise ValueError(f"unknown model {name!r}; choose from {MODEL_NAMES}")


def train(name: str, *, epochs: int | None = None, train_size: int | None = None) -> object:
    """Builds and briefly trains model ``name`` with a fixed seed (as ``demo_train`` does)."""
    import keras

    spec = _TRAINING[name]
    keras.utils.set_random_seed(_SEED)
    x, y, _ = demo_train.make_shapes(
        train_size or spec["train_size"], seed=_SEED, size=spec["size"]
    )
    model = build(name)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=64, epochs=epochs or spec["epochs"], verbose=0)
    if name == "mobilenet":
        recalibrate_batchnorm(model, x[:256])
    return model


def recalibrate_batchnorm(model: object, x: np.ndarray) -> None:
    """Sets every BatchNormalization layer's moving statistics to those of ``x``.

    MobileNetV2's BatchNorm momentum is 0.999, so a few training steps leave the moving
    statistics near their initial values and the network's inference output nearly constant
    (every ReLU6 saturated or dead). One training-mode pass with momentum 0 ("precise BN")
    makes inference use the statistics of real inputs.
    """
    import keras

    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    model(x, training=True)
    for layer, momentum in zip(layers, momenta, strict=True):
        layer.momentum = momentum


def load(name: str, cache: Path = DEFAULT_CACHE, log: object = print) -> object:
    """Model ``name`` from ``cache``, training and saving it there first if it is missing."""
    import keras

    path = Path(cache) / f"{name}.keras"
    if not path.exists():
        start = time.perf_counter()
        model = train(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.keras")
        model.save(tmp)
        tmp.replace(path)
        x, y = probe(name)
        accuracy = float(np.mean(model.predict(x, verbose=0).argmax(axis=1) == y))
        log(
            f"trained {name} in {time.perf_counter() - start:.0f} s "
            f"(probe accuracy {accuracy:.2f}), saved to {path}"
        )
        return model
    return keras.models.load_model(path, compile=False)
