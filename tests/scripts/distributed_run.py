"""Trains a tiny CNN with all three tb_attrib callbacks under a ``tf.distribute`` strategy.

Run as a subprocess by ``tests/test_distributed.py``: distribution strategies must be set up
before TensorFlow initialises its devices (logical CPUs, ``TF_CONFIG``), so they cannot share
the pytest process with other tests. Modes:

``mirrored``
    Splits the CPU into two logical devices and trains under ``MirroredStrategy`` into
    ``OUT/mirrored``, recording the model's weights at every epoch end. Then, in the same
    process, *replays* those weights on a model built without a strategy (one device) into
    ``OUT/single``: a real single-device ``fit`` whose weights are replaced by the recorded ones
    at every epoch end, before the tb_attrib callbacks run. Both runs therefore see the same
    weights and probe, and their series must match. ``OUT/mirrored_report.json`` holds the
    number of replicas and the largest relative difference of the engine's raw (unquantised)
    integrated gradients between the two models.
``worker``
    One worker of a ``MultiWorkerMirroredStrategy`` cluster described by ``TF_CONFIG``; every
    worker gets the same ``--logdir``, as a user's script would. The chief records its
    weights to ``--weights``; every worker writes ``--report`` (outside the log directory).
``replay``
    A single-process run that replays ``--weights`` into ``--logdir``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EPOCHS = 3
PROBE_SIZE = 4
IMAGE = (8, 8, 1)
CLASSES = 3
IG_STEPS = 16


def make_data() -> tuple:
    """16 training images with labels, and the 4-image probe (fixed seeds)."""
    import numpy as np

    rng = np.random.default_rng(7)
    x = rng.random((16, *IMAGE)).astype("float32")
    y = rng.integers(0, CLASSES, size=16).astype("int32")
    return x, y, x[:PROBE_SIZE], y[:PROBE_SIZE]


def build_model():
    """A tiny CNN with explicit layer names (tags must not depend on how many models a process
    built before) and random non-zero biases (so that attributions are not trivially linear)."""
    import keras

    keras.utils.set_random_seed(0)
    init = keras.initializers.RandomNormal(stddev=0.3, seed=1)
    inputs = keras.Input(IMAGE, name="image")
    h = keras.layers.Conv2D(4, 3, activation="relu", bias_initializer=init, name="conv")(inputs)
    h = keras.layers.Flatten(name="flatten")(h)
    outputs = keras.layers.Dense(CLASSES, activation="softmax", bias_initializer=init, name="out")(
        h
    )
    model = keras.Model(inputs, outputs, name="tiny")
    model.compile(
        optimizer=keras.optimizers.SGD(0.5),
        loss="sparse_categorical_crossentropy",
        jit_compile=False,
    )
    return model


def tb_callbacks(logdir: str, probe_x, probe_y) -> list:
    """The three tb_attrib callbacks, configured alike in every mode."""
    from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms

    return [
        WeightHistograms(logdir),
        ActivationSummaries(logdir, probe_x),
        Attributions(logdir, probe_x, probe_y, ig_steps=IG_STEPS),
    ]


def record_weights(store: dict):
    """A callback that keeps ``model.get_weights()`` in ``store[epoch]`` at every epoch end."""
    import keras

    class _Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            store[epoch] = [w.copy() for w in self.model.get_weights()]

    return _Record()


def replay_weights(store: dict):
    """A callback that sets the recorded weights at each epoch end (it must run first)."""
    import keras

    class _Replay(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.model.set_weights(store[epoch])

    return _Replay()


def save_weights(store: dict, path: str) -> None:
    import numpy as np

    arrays = {f"e{e}_{i}": w for e, ws in store.items() for i, w in enumerate(ws)}
    np.savez(path, **arrays)


def load_weights(path: str) -> dict:
    import numpy as np

    store: dict[int, list] = {}
    with np.load(path) as data:
        keys = sorted(data.files, key=lambda k: tuple(int(p) for p in k[1:].split("_")))
        for key in keys:
            epoch = int(key[1:].split("_")[0])
            store.setdefault(epoch, []).append(data[key])
    return store


def fit(model, logdir: str, first: object) -> None:
    """``model.fit`` on the fixed data with ``first`` ahead of the tb_attrib callbacks."""
    x, y, px, py = make_data()
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=EPOCHS,
        shuffle=False,
        verbose=0,
        callbacks=[first, *tb_callbacks(logdir, px, py)],
    )


def replay(store: dict, logdir: str):
    """Single-device run (no strategy) whose weights follow ``store``; returns the model."""
    model = build_model()
    fit(model, logdir, replay_weights(store))
    return model


def run_mirrored(out: Path) -> None:
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    store: dict = {}
    with strategy.scope():
        mirrored = build_model()
    fit(mirrored, str(out / "mirrored"), record_weights(store))
    single = replay(store, str(out / "single"))

    import tb_attrib

    _, _, px, py = make_data()
    with strategy.scope():
        ig_m = tb_attrib.integrated_gradients(mirrored, px, target=py, steps=IG_STEPS)
    ig_s = tb_attrib.integrated_gradients(single, px, target=py, steps=IG_STEPS)
    scale = float(np.abs(ig_s.attributions).max())
    report = {
        "replicas": int(strategy.num_replicas_in_sync),
        "ig_max_abs": scale,
        "ig_max_relative_difference": float(
            np.abs(ig_m.attributions - ig_s.attributions).max() / scale
        ),
    }
    (out / "mirrored_report.json").write_text(json.dumps(report))


def train_custom_loop(model, strategy, logdir: str, first: object) -> None:
    """The training loop of TensorFlow's multi-worker tutorial, driving the callbacks itself.

    Keras 3.15's ``model.fit`` fails under ``MultiWorkerMirroredStrategy`` (it reduces the
    first data batch and the scalar loss with ``strategy.reduce(..., axis=0)``; see
    keras-team/keras#20585), so multi-worker users run their own loop and call the Keras
    callbacks through a ``keras.callbacks.CallbackList``, as done here.
    """
    import keras
    import tensorflow as tf

    x, y, px, py = make_data()
    global_batch = 8
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    batches = strategy.experimental_distribute_dataset(dataset.with_options(options))
    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction=None)

    def step(xb, yb):
        with tf.GradientTape() as tape:
            per_example = loss_fn(yb, model(xb, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    @tf.function
    def train_step(batch):
        losses = strategy.run(step, args=batch)
        return strategy.reduce("SUM", losses, axis=None)

    callbacks = keras.callbacks.CallbackList([first, *tb_callbacks(logdir, px, py)], model=model)
    callbacks.on_train_begin()
    for epoch in range(EPOCHS):
        callbacks.on_epoch_begin(epoch)
        total = 0.0
        for batch in batches:
            total += float(train_step(batch))
        callbacks.on_epoch_end(epoch, {"loss": total})
    callbacks.on_train_end()


def run_worker(logdir: str, weights: str, report: str) -> None:
    import tensorflow as tf

    from tb_attrib.callbacks import writers

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    chief = writers.is_chief(strategy)
    store: dict = {}
    with strategy.scope():
        model = build_model()
    train_custom_loop(model, strategy, logdir, record_weights(store))
    if chief:
        save_weights(store, weights)
    resolver = strategy.cluster_resolver
    Path(report).write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "task_type": resolver.task_type,
                "task_id": resolver.task_id,
                "is_chief": chief,
                "replicas": int(strategy.num_replicas_in_sync),
            }
        )
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["mirrored", "worker", "replay"])
    parser.add_argument("--out", help="mirrored: output directory")
    parser.add_argument("--logdir", help="worker, replay: the log directory")
    parser.add_argument("--weights", help="worker: where the chief saves; replay: what to load")
    parser.add_argument("--report", help="worker: this worker's JSON report")
    args = parser.parse_args(argv)
    if args.mode == "mirrored":
        run_mirrored(Path(args.out))
    elif args.mode == "worker":
        run_worker(args.logdir, args.weights, args.report)
    else:
        replay(load_weights(args.weights), args.logdir)


if __name__ == "__main__":
    main(sys.argv[1:])
