"""Logs of real training for tests/test_frontend_compare.py: two 224x224 image runs of one
probe (seeds 0 and 1; seed 0 also writes SmoothGrad and Guided IG), a 100-feature tabular run
with SmoothGrad on IG and Guided IG, a 1000-step three-channel series and a 256-token text,
each with SmoothGrad.

    python tests/scripts/methods_logs.py LOGDIR
"""

from __future__ import annotations

import sys

import keras
import numpy as np

from tb_attrib.callbacks import Attributions

EPOCHS = 3
SIZE = 224


def shapes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Orange circles (class 0) and squares (class 1) on a noisy dark ground."""
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    rows, cols = np.mgrid[:SIZE, :SIZE]
    x = (0.15 + 0.1 * rng.random((n, SIZE, SIZE, 3))).astype(np.float32)
    for i in range(n):
        cx, cy = rng.integers(60, SIZE - 60, 2)
        r = rng.integers(25, 50)
        if y[i] == 0:
            inside = (cols - cx) ** 2 + (rows - cy) ** 2 < r * r
        else:
            inside = (abs(cols - cx) < r) & (abs(rows - cy) < r)
        x[i][inside] = [0.9, 0.6, 0.2]
    return x, y


def image_runs(logdir: str) -> None:
    x, y = shapes(48)
    options = {"smoothgrad": {"samples": 8}, "guided_ig": {"steps": 32}}
    for seed in (0, 1):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([
            keras.Input((SIZE, SIZE, 3)),
            keras.layers.Conv2D(8, 5, strides=2, activation="relu"),
            keras.layers.MaxPooling2D(4),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(2, activation="softmax"),
        ])  # fmt: skip
        model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
        methods = ("smoothgrad", "guided_ig") if seed == 0 else ()
        callback = Attributions(logdir, x[:4], y[:4], run_name=f"seed{seed}", ig_steps=32,
                                class_names=["circle", "square"], methods=methods,
                                method_options=options if methods else None)  # fmt: skip
        model.fit(x, y, epochs=EPOCHS, batch_size=16, verbose=0, callbacks=[callback])


def tabular_run(logdir: str) -> None:
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    x = rng.normal(size=(256, 100)).astype(np.float32)
    y = (x[:, 3] + x[:, 17] - x[:, 42] > 0).astype(np.int32)
    model = keras.Sequential([
        keras.Input((100,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy")
    options = {"smoothgrad_ig": {"samples": 4, "steps": 16}, "guided_ig": {"steps": 64}}
    callback = Attributions(logdir, x[:4], y[:4], run_name="tabular", ig_steps=32,
                            methods=("smoothgrad_ig", "guided_ig"), method_options=options,
                            feature_names=[f"feature_{i}" for i in range(100)])  # fmt: skip
    model.fit(x, y, epochs=EPOCHS, verbose=0, callbacks=[callback])


def sequence_run(logdir: str) -> None:
    """A bump in channel 1 of a 1000-step series decides the class."""
    rng = np.random.default_rng(1)
    keras.utils.set_random_seed(0)
    x = rng.normal(scale=0.3, size=(128, 1000, 3)).astype(np.float32)
    y = np.arange(128) % 2
    for i in np.flatnonzero(y):
        start = rng.integers(100, 800)
        x[i, start : start + 80, 1] += 1.5
    model = keras.Sequential([
        keras.Input((1000, 3)),
        keras.layers.Conv1D(8, 9, activation="relu"),
        keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(2, activation="softmax"),
    ])  # fmt: skip
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    callback = Attributions(logdir, x[:4], y[:4], run_name="sequence", ig_steps=32,
                            methods=("smoothgrad",), channel_names=["x", "y", "z"],
                            method_options={"smoothgrad": {"samples": 8}})  # fmt: skip
    model.fit(x, y, epochs=EPOCHS, verbose=0, callbacks=[callback])


def tokens_run(logdir: str) -> None:
    """Texts of 256 tokens; the class is whether token 7 occurs."""
    rng = np.random.default_rng(2)
    keras.utils.set_random_seed(0)
    ids = rng.integers(8, 60, (128, 256)).astype(np.int32)
    y = np.arange(128) % 2
    for i in np.flatnonzero(y):
        ids[i, rng.integers(0, 200, 3)] = 7
    ids[:, 230:] = 0
    inputs = keras.Input((256,), dtype="int32")
    hidden = keras.layers.Embedding(60, 8, mask_zero=True)(inputs)
    hidden = keras.layers.GlobalMaxPooling1D()(keras.layers.Conv1D(8, 3, activation="relu")(hidden))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    words = ["<pad>", *[f"w{i}" for i in range(1, 60)]]
    words[7] = "SIGNAL"
    callback = Attributions(logdir, ids[:4], y[:4], run_name="tokens", ig_steps=32,
                            methods=("smoothgrad",), vocabulary=words,
                            method_options={"smoothgrad": {"samples": 8}})  # fmt: skip
    model.fit(ids, y, epochs=EPOCHS, verbose=0, callbacks=[callback])


if __name__ == "__main__":
    image_runs(sys.argv[1])
    tabular_run(sys.argv[1])
    sequence_run(sys.argv[1])
    tokens_run(sys.argv[1])
