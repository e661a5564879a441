"""Runs tb_attrib on the Keras backend named by KERAS_BACKEND, for tests/test_backends.py.

    KERAS_BACKEND=jax python tests/scripts/backend_run.py compare MODELS_DIR OUT.npz
    KERAS_BACKEND=torch python tests/scripts/backend_run.py kinds LOGDIR OUT.json

``compare`` loads each ``*.keras`` model of MODELS_DIR (saved once, under TensorFlow) with its
``*.npz`` probe, and writes what tb_attrib computes on this backend: integrated gradients at a
fixed rule and at the defaults, the sweep, faithfulness curves, predictions, layer activations
and the weights.
``kinds`` trains every model kind of tests/test_callbacks.py with the three callbacks on this
backend and reports what was written, whether the callbacks changed any weight, and (JAX) the
weights of every epoch, so that the test can recompute each epoch's attributions.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

import tb_attrib
from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms
from tb_attrib.callbacks.activations import LayerCapture, leaf_layers, unique_names
from tb_attrib.engine import AttributionEngine, faithfulness

ALPHAS = [0.1, 0.5, 1.0]


def compare(models_dir: Path, out: Path) -> None:
    results = {}
    for path in sorted(models_dir.glob("*.keras")):
        name = path.stem
        model = keras.saving.load_model(path)
        data = np.load(path.with_suffix(".npz"))
        keys = sorted(k for k in data.files if k.startswith("x_"))
        x = data["x"] if "x" in data.files else {k[2:]: data[k] for k in keys}
        fixed = tb_attrib.integrated_gradients(model, x, target=data["y"], steps=32)
        auto = tb_attrib.integrated_gradients(model, x, target=data["y"])
        sweep = tb_attrib.interior_gradients(model, x, ALPHAS, target=data["y"])
        for j, a in enumerate(fixed.attribution_list):
            results[f"{name}/ig/{j}"] = a
        for method in ("gausslegendre", "adaptive_trapezoid"):
            other = tb_attrib.integrated_gradients(
                model, x, target=data["y"], steps=12, method=method
            )
            results[f"{name}/ig_{method}/0"] = other.attribution_list[0]
        if name == "image":  # every named baseline of an image (uniform: averaged draws)
            for baseline in ("white", "uniform", "blur"):
                other = tb_attrib.integrated_gradients(
                    model, x, target=data["y"], steps=16, baseline=baseline
                )
                results[f"{name}/ig_{baseline}/0"] = other.attributions
        for j, g in enumerate(sweep.gradient_list):
            results[f"{name}/sweep/{j}"] = g
        for method, other in _methods(model, x, data["y"]).items():
            for j, a in enumerate(other.attribution_list):
                if a is not None:
                    results[f"{name}/method_{method}/{j}"] = a
        engine = AttributionEngine(model)
        attributed = [a for a in fixed.attribution_list if a is not None]
        curves = faithfulness.evaluate(engine, x, attributed, engine.targets(data["y"], x))
        results[f"{name}/faithfulness/curves"] = np.stack(
            [curves.deletion, curves.insertion, curves.random]
        )
        results[f"{name}/predictions"] = sweep.predictions
        results[f"{name}/delta"] = fixed.delta
        results[f"{name}/auto_relative"] = auto.relative_delta
        layers = leaf_layers(model)
        captured = LayerCapture(model, layers, unique_names(layers))(x)
        for layer, value in captured.items():
            results[f"{name}/activation/{layer}"] = value
        for variable in model.weights:
            results[f"{name}/weight/{variable.path}"] = keras.ops.convert_to_numpy(variable.value)
    np.savez(out, **results)


def _methods(model, x, y) -> dict:
    """The methods beside IG (tb_attrib.engine.methods) at small settings."""
    return {
        "smoothgrad": tb_attrib.smoothgrad(model, x, target=y, samples=6),
        "smoothgrad_ig": tb_attrib.smoothgrad(model, x, target=y, samples=3, integrated=True,
                                              steps=12),
        "guided_ig": tb_attrib.guided_integrated_gradients(model, x, target=y, steps=16),
    }  # fmt: skip


def _kinds() -> dict:
    shape, classes = (10, 10, 3), 3

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(4, 3, activation="relu")
            self.pool = keras.layers.GlobalAveragePooling2D()
            self.head = keras.layers.Dense(classes)

        def call(self, x, training=False):
            return self.head(self.pool(self.conv(x)))

    def functional():
        inputs = keras.Input(shape)
        h = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
        h = keras.layers.BatchNormalization()(h)
        h = keras.layers.Dropout(0.3)(h)
        h = keras.layers.GlobalAveragePooling2D()(h)
        return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(h))

    def nested():
        backbone = keras.Sequential(
            [keras.Input(shape), keras.layers.Conv2D(4, 3, activation="relu")], name="backbone"
        )
        inputs = keras.Input(shape)
        h = keras.layers.GlobalAveragePooling2D()(backbone(inputs))
        return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(h))

    return {
        "functional_bn_dropout": functional,
        "sequential_input": lambda: keras.Sequential(
            [
                keras.Input(shape),
                keras.layers.Conv2D(4, 3, activation="relu"),
                keras.layers.Flatten(),
                keras.layers.Dense(classes),
            ]
        ),
        "sequential_no_input": lambda: keras.Sequential(
            [
                keras.layers.Conv2D(4, 3, activation="relu"),
                keras.layers.GlobalMaxPooling2D(),
                keras.layers.Dense(classes, activation="softmax"),
            ]
        ),
        "subclassed": Subclassed,
        "nested_backbone": nested,
    }


class Guard(keras.callbacks.Callback):
    """Records the weights around the tb_attrib callbacks' epoch ends (they must not move
    them) and keeps every epoch's weights."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.changed = False
        self.per_epoch = []

    def on_epoch_end(self, epoch, logs=None):
        before = [np.array(w) for w in self.model.get_weights()]
        for callback in self.inner:
            callback.on_epoch_end(epoch, logs)
        after = self.model.get_weights()
        self.changed |= any(not np.array_equal(a, b) for a, b in zip(after, before, strict=True))
        self.per_epoch.append([np.array(w) for w in after])


def kinds(logdir: Path, out: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (24, 10, 10, 3)).astype(np.float32)
    y = (x[:, :5].mean(axis=(1, 2, 3)) * 6).astype(np.int32) % 3
    report = {}
    for name, build in _kinds().items():
        keras.utils.set_random_seed(0)
        model = build()
        model.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(
                from_logits=name in ("sequential_input", "subclassed")
            ),
        )
        run = logdir / name
        inner = [
            # The sanity check at every epoch: the guard sees that the model is never touched.
            Attributions(run, x[:4], y[:4], ig_steps=16, alphas=[0.5, 1.0], sanity_freq=1),
            ActivationSummaries(run, x[:4]),
            WeightHistograms(run),
        ]
        guard = Guard(inner)
        # The tb_attrib callbacks get train begin/end from Keras, their epoch ends from the
        # guard, so that it can look at the weights on both sides.
        hooks = [
            keras.callbacks.LambdaCallback(
                on_train_begin=lambda logs, cbs=inner: [c.on_train_begin(logs) for c in cbs],
                on_epoch_begin=lambda e, logs, cbs=inner: [c.on_epoch_begin(e, logs) for c in cbs],
                on_train_end=lambda logs, cbs=inner: [c.on_train_end(logs) for c in cbs],
            )
        ]
        for callback in inner:
            callback.set_model(model)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[*hooks, guard])
        loaded = tb_attrib.load(run)["probe"]
        weights_dir = logdir / f"{name}_weights"
        weights_dir.mkdir()
        for epoch, weights in enumerate(guard.per_epoch):
            np.savez(weights_dir / f"{epoch}.npz", *weights)
        report[name] = {
            "epochs": loaded.epochs.tolist(),
            "changed": bool(guard.changed),
            "relative": np.asarray(loaded.ig_relative_delta).tolist(),
            "score_input": np.asarray(loaded.ig_score_input).tolist(),
            "feature_maps": sorted(loaded.feature_maps),
        }
        if name == "functional_bn_dropout":  # recompute each epoch from its saved weights
            again = []
            for weights in guard.per_epoch:
                model.set_weights(weights)
                ig = tb_attrib.integrated_gradients(model, x[:4], target=y[:4], steps=16)
                again.append(ig.score_input.tolist())
            report[name]["recomputed_score_input"] = again
    out.write_text(json.dumps(report))


def parallel(logdir: Path, out: Path) -> None:
    """JAX only: the same training on one device and under ``DataParallel`` over every
    device (run with XLA_FLAGS=--xla_force_host_platform_device_count=2)."""
    import jax

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (32, 10, 10, 3)).astype(np.float32)
    y = (x[:, :5].mean(axis=(1, 2, 3)) * 6).astype(np.int32) % 3
    found = {"devices": len(jax.devices())}
    for mode in ("single", "parallel"):
        if mode == "parallel":
            keras.distribution.set_distribution(
                keras.distribution.DataParallel(devices=jax.devices())
            )
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((10, 10, 3)),
                keras.layers.Conv2D(4, 3, activation="gelu"),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        run = logdir / mode
        callbacks = [
            Attributions(run, x[:5], y[:5], ig_steps=16, alphas=[0.5, 1.0]),
            ActivationSummaries(run, x[:5]),
            WeightHistograms(run),
        ]
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False, callbacks=callbacks)
        loaded = tb_attrib.load(run)["probe"]
        found[mode] = {
            "ig": np.nan_to_num(loaded.ig_maps).tolist(),
            "sweep": np.nan_to_num(loaded.sweep_maps).tolist(),
            "score": loaded.ig_score_input.tolist(),
            "event_files": len(list((run / "probe").glob("events.out.tfevents*"))),
        }
    out.write_text(json.dumps(found))


if __name__ == "__main__":
    job, source, target = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    {"compare": compare, "kinds": kinds, "parallel": parallel}[job](source, target)
