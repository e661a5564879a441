#!/usr/bin/env python3
"""Train a small network and watch what it looks at, in TensorBoard.

By default (``--task shapes``) the data are generated here, offline: 32x32 RGB images of
circles, squares, triangles and stars of random colour, size and position on noisy textured
backgrounds, each with an object mask, and the network is a small all-convolutional one.
``--task series``, ``tabular`` and ``text`` train on generated time series, table rows and
token sentences instead (``demo_tasks.py``), each with its own ground truth of where the class
is decided. The three tb_attrib callbacks and Keras's own TensorBoard callback write to one log
directory; the script ends by printing the command that shows it::

    python demo_train.py --logdir logs/demo
    tensorboard --logdir logs/demo

``--dataset cifar10`` trains the shapes network on CIFAR-10 instead (downloaded by
``keras.datasets``: this is the only option that uses the network).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import demo_tasks

SHAPES = ("circle", "square", "triangle", "star")
IMAGE_SIZE = 32


def make_shapes(count: int, seed: int = 0, size: int = IMAGE_SIZE):
    """Generates the shapes data set.

    Returns:
      ``(images, labels, masks)``: float32 ``[count, size, size, 3]`` in [0, 1], int32 labels
      (index into :data:`SHAPES`, balanced), and bool object masks ``[count, size, size]``.
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(SHAPES)
    rng.shuffle(labels)
    grid = np.arange(size, dtype=np.float32) + 0.5
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    radius = rng.uniform(0.25, 0.4, count) * size
    cx = rng.uniform(radius, size - radius)
    cy = rng.uniform(radius, size - radius)
    angle = rng.uniform(0, 2 * np.pi, count)
    dx = xx[None] - cx[:, None, None]
    dy = yy[None] - cy[:, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u, v = dx * cos + dy * sin, -dx * sin + dy * cos  # rotated coordinates
    r = radius[:, None, None]
    dist = np.hypot(u, v)
    theta = np.arctan2(v, u)
    circle = dist <= r
    square = np.maximum(np.abs(u), np.abs(v)) <= r * 0.8
    # Regular triangle: inside all three half-planes at distance r/2 from the centre.
    triangle = np.ones_like(circle)
    for k in range(3):
        phi = angle[:, None, None] * 0 + k * 2 * np.pi / 3
        triangle &= u * np.cos(phi) + v * np.sin(phi) <= r * 0.5
    # Five-pointed star: the boundary radius zig-zags between inner and outer radius.
    wave = np.abs(((theta * 5 / (2 * np.pi)) % 1.0) - 0.5) * 2  # 1 at the tips, 0 between
    star = dist <= r * (0.45 + 0.55 * wave)
    masks = np.choose(labels[:, None, None], [circle, square, triangle, star])

    # Textured background: a smooth random colour field plus pixel noise.
    coarse = rng.uniform(0.0, 1.0, (count, 4, 4, 3)).astype(np.float32)
    background = coarse.repeat(size // 4, axis=1).repeat(size // 4, axis=2)
    background = _box_blur(background, 4) * 0.5 + 0.25
    background += rng.normal(0.0, 0.08, background.shape).astype(np.float32)
    colour = rng.uniform(0.0, 1.0, (count, 1, 1, 3)).astype(np.float32)
    # Keep the object visible: push its colour away from the local background.
    local = (background * masks[..., None]).sum(axis=(1, 2), keepdims=True) / np.maximum(
        masks.sum(axis=(1, 2))[:, None, None, None], 1
    )
    colour = np.where(np.abs(colour - local) < 0.3, 1.0 - local, colour)
    shading = rng.normal(0.0, 0.05, background.shape).astype(np.float32)
    images = np.where(masks[..., None], colour + shading, background)
    return np.clip(images, 0.0, 1.0).astype(np.float32), labels.astype(np.int32), masks


def _box_blur(x: np.ndarray, radius: int) -> np.ndarray:
    out = x
    for axis in (1, 2):
        padded = np.concatenate(
            [out.take([0] * radius, axis=axis), out, out.take([-1] * radius, axis=axis)], axis=axis
        )
        csum = np.cumsum(padded, axis=axis, dtype=np.float64)
        zero = np.zeros_like(csum.take([0], axis=axis))
        csum = np.concatenate([zero, csum], axis=axis)
        n = out.shape[axis]
        hi = csum.take(np.arange(2 * radius + 1, 2 * radius + 1 + n), axis=axis)
        lo = csum.take(np.arange(0, n), axis=axis)
        out = ((hi - lo) / (2 * radius + 1)).astype(np.float32)
    return out


def build_model(num_classes: int, input_shape=(IMAGE_SIZE, IMAGE_SIZE, 3)):
    """A small all-convolutional classifier (no pooling or dense layers) ending in softmax.

    3x3 ReLU convolutions (two of them strided), a 1x1 convolution to one map per class,
    global average pooling and softmax.
    """
    import keras

    inputs = keras.Input(input_shape, name="image")
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.Conv2D(48, 3, padding="same", activation="relu", name="conv3")(x)
    x = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu", name="conv4")(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="conv5")(x)
    x = keras.layers.Conv2D(num_classes, 1, name="class_maps")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Activation("softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="shapes_cnn")


# Every --task: the shapes one here, the others in demo_tasks.py.
TASKS = {
    "shapes": demo_tasks.Task(
        name="shapes",
        summary="32x32 images of four shapes on textures; all-conv CNN",
        class_names=SHAPES,
        make=make_shapes,
        build_model=lambda num_classes, x_train: build_model(num_classes, x_train.shape[1:]),
        epochs=10,
        train_size=6000,
        # Chosen by measurement (bench/baselines.py, README "Why the baseline matters"): the
        # trained network classifies the black (and the white) image as "circle" at 100%, so
        # with those the circles' maps explained changes near zero; expected gradients'
        # average over other probe examples leaves no example so. Pooling and softmax on top
        # hold no weights: the sanity check re-initialises the 1x1 convolution to one map per
        # class.
        attribution_options=lambda x_train: {"baseline": "expected", "sanity_layer": "class_maps"},
    ),
    **demo_tasks.TASKS,
}


def load_data(name: str, train_size: int, seed: int):
    """``(x_train, y_train, x_val, y_val, masks_val, class_names)`` for the chosen data set:
    ``shapes``, ``cifar10`` (no masks) or a task of :mod:`demo_tasks` (``series``,
    ``tabular``, ``text``)."""
    if name == "shapes" or name in demo_tasks.TASKS:
        task = TASKS[name]
        x_train, y_train, _ = task.make(train_size, seed=seed)
        x_val, y_val, m_val = task.make(max(256, train_size // 8), seed=seed + 1)
        return x_train, y_train, x_val, y_val, m_val, list(task.class_names)
    import keras

    (x_train, y_train), (x_val, y_val) = keras.datasets.cifar10.load_data()
    names = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
    return (
        x_train[:train_size].astype("float32") / 255.0,
        y_train[:train_size, 0].astype("int32"),
        x_val.astype("float32") / 255.0,
        y_val[:, 0].astype("int32"),
        None,
        names,
    )


def balanced_probe(labels: np.ndarray, size: int) -> np.ndarray:
    """Indices of ``size`` examples taking classes in turn, so every class is in the probe."""
    per_class = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    order = [idx for group in zip(*per_class, strict=False) for idx in group]
    return np.asarray(order[:size])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="tasks:\n"
        + "\n".join(
            f"  {t.name:8} {t.summary}\n{'':11}default --epochs {t.epochs}, "
            f"--train-size {t.train_size}"
            for t in TASKS.values()
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--task",
        choices=tuple(TASKS),
        default="shapes",
        help="what to train on, all generated offline (default shapes; see below)",
    )
    parser.add_argument("--logdir", default="logs/demo", help="log directory (default logs/demo)")
    parser.add_argument(
        "--epochs", type=int, help="training epochs (default: the task's, see below)"
    )
    parser.add_argument("--probe-size", type=int, default=16, help="probe examples (default 16)")
    parser.add_argument(
        "--dataset",
        choices=("shapes", "cifar10"),
        default="shapes",
        help="for --task shapes: shapes, generated offline (default); cifar10: downloaded by "
        "keras.datasets",
    )
    parser.add_argument(
        "--train-size", type=int, help="training examples (default: the task's, see below)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    task = TASKS[args.task]
    if args.dataset != "shapes" and args.task != "shapes":
        parser.error(f"--dataset {args.dataset} goes with --task shapes only")
    epochs = task.epochs if args.epochs is None else args.epochs
    train_size = task.train_size if args.train_size is None else args.train_size
    if epochs < 1 or args.probe_size < 1 or train_size < 1:
        parser.error("--epochs, --probe-size and --train-size must be positive")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms

    keras.utils.set_random_seed(args.seed)
    data = args.dataset if args.task == "shapes" else args.task
    x_train, y_train, x_val, y_val, m_val, class_names = load_data(data, train_size, args.seed)
    probe = balanced_probe(y_val, args.probe_size)
    model = task.build_model(len(class_names), x_train)
    model.compile(
        optimizer=keras.optimizers.Adam(task.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    probe_x = x_val[probe]
    callbacks = [
        keras.callbacks.TensorBoard(args.logdir),
        Attributions(
            args.logdir,
            probe_x,
            y_val[probe],
            class_names=class_names,
            probe_masks=None if m_val is None else m_val[probe],
            **task.attribution_options(x_train),
        ),
        ActivationSummaries(args.logdir, x_val[probe]),
        WeightHistograms(args.logdir),
    ]
    start = time.time()
    history = model.fit(
        x_train,
        y_train,
        batch_size=task.batch_size,
        epochs=epochs,
        validation_data=(x_val, y_val),
        callbacks=callbacks,
        verbose=2,
    )
    probe_accuracy = float(
        np.mean(model.predict(x_val[probe], verbose=0).argmax(axis=1) == y_val[probe])
    )
    print(
        f"trained in {time.time() - start:.0f} s; validation accuracy "
        f"{history.history['val_accuracy'][-1]:.2f}, probe accuracy {probe_accuracy:.2f} "
        f"(chance {1 / len(class_names):.2f})"
    )
    print("View it with:")
    print(f"  tensorboard --logdir {args.logdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
