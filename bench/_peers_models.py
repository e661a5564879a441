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

import hashlib
import json
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

# Fixed seed. The two small networks train as the demo does (6000 shapes, 10 epochs, Adam
# 2e-3; about 80 s each on two cores): the benchmark explains "the demo's trained network",
# and a briefly trained one sits near chance, where the score barely moves along the path.
# MobileNetV2 trains briefly: it is there for depth, and a full run would take an hour.
_TRAINING = {
    "relu": {"size": 32, "train_size": 6000, "epochs": 10, "learning_rate": 2e-3},
    "gelu": {"size": 32, "train_size": 6000, "epochs": 10, "learning_rate": 2e-3},
    "mobilenet": {"size": 64, "train_size": 512, "epochs": 1, "learning_rate": 3e-3},
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
    """The same architecture with every ReLU replaced by ``activation``."""
    import keras

    def clone(layer: object) -> object:
        config = layer.get_config()
        # Both an Activation layer and a layer's own activation argument (the demo's Conv2Ds).
        if config.get("activation") == "relu":
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
        optimizer=keras.optimizers.Adam(spec["learning_rate"]),
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


def fingerprint(name: str) -> str:
    """Short hash of model ``name``'s architecture and training settings.

    It names the cached file, so that changing the demo network (or how the benchmark trains
    it) trains a new one instead of silently measuring the old one.
    """
    config = json.dumps([build(name).to_json(), _TRAINING[name], _SEED], sort_keys=True)
    return hashlib.sha256(config.encode()).hexdigest()[:10]


def cached_path(name: str, cache: Path = DEFAULT_CACHE) -> Path:
    """Where the trained model ``name`` is (or will be) saved."""
    return Path(cache) / f"{name}-{fingerprint(name)}.keras"


def load(name: str, cache: Path = DEFAULT_CACHE, log: object = print) -> object:
    """Model ``name`` from ``cache``, training and saving it there first if it is missing."""
    import keras

    path = cached_path(name, cache)
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
