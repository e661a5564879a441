"""Trains a tiny CNN with the tb_attrib callbacks, to be killed, restarted or run for long.

Run as a subprocess by ``tests/test_faults.py`` (a SIGKILL must hit a real training process,
not pytest). Options:

- ``--hang-at E``: in epoch ``E``, after its second batch, write the file ``--ready`` and
  sleep: the process is then in the middle of an epoch, with epochs before ``E`` complete,
  waiting for the test's SIGKILL.
- ``--checkpoint-dir D --checkpoint-every n``: save the weights after every ``n``-th epoch to
  ``D/epoch_<e>.weights.h5`` (a checkpoint that lags the logs, so that a restart from it
  writes some epochs a second time).
- ``--resume-from F --initial-epoch k``: load weights ``F`` and continue with
  ``model.fit(..., initial_epoch=k)`` into the same log directory.
- ``--only-attributions``: the ``Attributions`` callback alone (for measuring its bytes).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def build_model(image: int, classes: int, learning_rate: float):
    """A tiny CNN on ``image x image x 1`` inputs with non-zero biases."""
    import keras

    init = keras.initializers.RandomNormal(stddev=0.3, seed=1)
    inputs = keras.Input((image, image, 1), name="image")
    h = keras.layers.Conv2D(2, 3, strides=2, activation="relu", bias_initializer=init, name="conv")(
        inputs
    )
    h = keras.layers.Flatten(name="flatten")(h)
    outputs = keras.layers.Dense(classes, activation="softmax", bias_initializer=init, name="out")(
        h
    )
    model = keras.Model(inputs, outputs, name="tiny")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        loss="sparse_categorical_crossentropy",
        jit_compile=False,
    )
    return model


def control_callbacks(args: argparse.Namespace) -> list:
    """The checkpoint and hang callbacks the options ask for."""
    import keras

    class Checkpoint(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            if (epoch + 1) % args.checkpoint_every == 0:
                self.model.save_weights(
                    os.path.join(args.checkpoint_dir, f"epoch_{epoch}.weights.h5")
                )

    class HangMidEpoch(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epoch = -1

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch = epoch

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if self.epoch == args.hang_at and batch == 1:
                ready = Path(args.ready)
                ready.with_suffix(".tmp").write_text(str(os.getpid()))
                ready.with_suffix(".tmp").rename(ready)
                time.sleep(3600)  # until SIGKILL

    found = []
    if args.checkpoint_dir:
        os.makedirs(args.checkpoint_dir, exist_ok=True)
        found.append(Checkpoint())
    if args.hang_at is not None:
        found.append(HangMidEpoch())
    return found


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--initial-epoch", type=int, default=0)
    parser.add_argument("--image", type=int, default=8)
    parser.add_argument("--train-size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--probe-size", type=int, default=4)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--ig-steps", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0, help="shuffling seed of this process")
    parser.add_argument("--hang-at", type=int)
    parser.add_argument("--ready")
    parser.add_argument("--checkpoint-dir")
    parser.add_argument("--checkpoint-every", type=int, default=1)
    parser.add_argument("--resume-from")
    parser.add_argument("--only-attributions", action="store_true")
    args = parser.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf

    from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms

    rng = np.random.default_rng(7)  # the same data and probe in every process
    x = rng.random((args.train_size, args.image, args.image, 1)).astype("float32")
    y = rng.integers(0, args.classes, size=args.train_size).astype("int32")
    probe_x = rng.random((args.probe_size, args.image, args.image, 1)).astype("float32")
    probe_y = np.arange(args.probe_size, dtype="int32") % args.classes

    keras.utils.set_random_seed(0)
    model = build_model(args.image, args.classes, args.learning_rate)
    if args.resume_from:
        model.load_weights(args.resume_from)
    keras.utils.set_random_seed(args.seed)

    callbacks = [Attributions(args.logdir, probe_x, probe_y, ig_steps=args.ig_steps)]
    if not args.only_attributions:
        callbacks += [ActivationSummaries(args.logdir, probe_x), WeightHistograms(args.logdir)]
    # One repeated dataset: with steps_per_epoch, fit keeps one iterator for all epochs
    # instead of building a new one per epoch (which dominates a 500-epoch run's time).
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=args.seed)
    model.fit(
        data.batch(args.batch_size).repeat(),
        steps_per_epoch=-(-len(x) // args.batch_size),
        shuffle=False,
        epochs=args.epochs,
        initial_epoch=args.initial_epoch,
        verbose=0,
        callbacks=[*callbacks, *control_callbacks(args)],
    )


if __name__ == "__main__":
    main(sys.argv[1:])
