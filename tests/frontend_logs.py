"""Synthetic tb_attrib logs for the frontend's browser tests and benchmark.

Written with the public write ops only (no model, no training), with *structured* maps that
change from epoch to epoch: every example has a coloured disc on a smooth background; its
gradient maps move from a diffuse background pattern towards the disc as the epochs pass,
fade with alpha as a saturating network's do, and the predicted probability of the target
class grows with both. That is enough for a test to see pixels change when the epoch changes,
and for the benchmark to render realistic maps at any size.

    from frontend_logs import write_synthetic_run
    write_synthetic_run(tmp_path / "run", size=16, epochs=3, examples=4)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

CLASSIC_ALPHAS = (0.01, 0.02, 0.03, 0.04, 0.1, 0.5, 0.6, 0.7, 0.8, 1.0)


def _probe(rng: np.random.Generator, examples: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Discs of random colour on smooth backgrounds: images [N, S, S, 3] in [0, 1], masks."""
    grid = (np.arange(size, dtype=np.float32) + 0.5) / size
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    cx, cy = rng.uniform(0.3, 0.7, (2, examples, 1, 1)).astype(np.float32)
    radius = rng.uniform(0.15, 0.3, (examples, 1, 1)).astype(np.float32)
    masks = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius**2
    tint = rng.uniform(0.2, 0.8, (examples, 1, 1, 3)).astype(np.float32)
    background = tint * (0.5 + 0.5 * np.stack([xx, yy, 1 - xx], axis=-1)[None])
    colour = rng.uniform(0.0, 1.0, (examples, 1, 1, 3)).astype(np.float32)
    images = np.where(masks[..., None], colour, background)
    return np.clip(images, 0.0, 1.0).astype(np.float32), masks


def write_synthetic_run(
    run_dir: Path | str,
    *,
    size: int = 16,
    epochs: int = 3,
    examples: int = 4,
    alphas: Sequence[float] = CLASSIC_ALPHAS,
    class_names: Sequence[str] = ("disc", "square", "triangle", "star"),
    feature_layer: str | None = "conv1",
    feature_channels: int = 8,
    seed: int = 0,
) -> None:
    """Writes probe, interior gradients, integrated gradients and feature maps of one run.

    Args:
      run_dir: Directory of the run (created).
      size: Side of the square RGB probe images.
      epochs: Epochs 0 .. epochs - 1 are written.
      examples: Probe examples.
      alphas: The sweep.
      class_names: Names of the classes (their number is the number of classes).
      feature_layer: Layer name of a feature-map series at half resolution, or None.
      feature_channels: Channels of that layer.
      seed: Random seed.
    """
    import tensorflow as tf

    import tb_attrib.summary as tbs

    rng = np.random.default_rng(seed)
    classes = len(class_names)
    alphas = np.asarray(alphas, dtype=np.float32)
    k = len(alphas)
    images, masks = _probe(rng, examples, size)
    labels = np.arange(examples) % classes
    # Two patterns per example: a diffuse one (early epochs) and one on the disc (late).
    grid = np.linspace(0.0, 2 * np.pi, size, dtype=np.float32)
    waves = np.sin(3 * grid)[None, :, None] * np.cos(2 * grid)[None, None, :]
    early = waves * rng.uniform(0.5, 1.5, (examples, 1, 1)).astype(np.float32)
    late = np.where(masks, 1.0, -0.15).astype(np.float32) * rng.uniform(0.8, 1.2, (examples, 1, 1))
    fade = np.exp(-3.0 * alphas)[None, :, None, None, None]  # saturation: gradients fade
    half = max(1, size // 2)
    writer = tf.summary.create_file_writer(str(run_dir))
    with writer.as_default():
        for epoch in range(epochs):
            w = epoch / max(1, epochs - 1)
            pattern = ((1 - w) * early + w * late)[:, None, :, :, None]  # [N, 1, S, S, 1]
            noise = rng.normal(0.0, 0.05, (examples, k, size, size, 1)).astype(np.float32)
            gradients = (pattern + noise) * fade * (0.01 + 0.02 * w)
            gradients[:, :, :, : max(1, size // 8)] *= -1  # some negative gradient too
            logits = rng.normal(0.0, 0.3, (examples, k, classes)).astype(np.float32)
            boost = (0.5 + 4.0 * w) * alphas[None, :]
            logits[np.arange(examples), :, labels] += boost
            predictions = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
            attributions = (pattern[:, 0] * images.mean(axis=-1, keepdims=True)) * (0.1 + w)
            score_input = predictions[np.arange(examples), -1, labels]
            score_baseline = np.full(examples, 1.0 / classes, np.float32)
            delta = attributions.reshape(examples, -1).sum(-1) - (score_input - score_baseline)
            if epoch == 0:
                tbs.probe(
                    "tb_attrib/probe",
                    images,
                    step=epoch,
                    labels=labels,
                    class_names=list(class_names),
                    masks=masks,
                )
            tbs.interior_gradients(
                "tb_attrib/interior_gradients",
                alphas,
                gradients,
                predictions,
                labels,
                step=epoch,
                baseline="black",
            )
            tbs.integrated_gradients(
                "tb_attrib/integrated_gradients",
                step=epoch,
                attributions=attributions,
                delta=delta * 0.01,
                targets=labels,
                score_input=score_input,
                score_baseline=score_baseline,
                method="gausslegendre",
                steps=32,
                baseline="black",
            )
            if feature_layer:
                channel = np.arange(feature_channels, dtype=np.float32)
                small = pattern[:, 0, ::2, ::2, :][:, :half, :half]
                activations = np.maximum(
                    0.0, small * np.cos(channel + 3 * w)[None, None, None, :] + 0.1 * channel
                )
                tbs.feature_maps(
                    f"tb_attrib/feature_maps/{feature_layer}",
                    activations,
                    step=epoch,
                    layer=feature_layer,
                )
    writer.close()


def write_html_names_run(
    run_dir: Path | str,
    text: str,
    *,
    epochs: int = 2,
    examples: int = 2,
    seed: int = 0,
) -> None:
    """A small format-v2 run whose user-given names are all ``text`` (say, an HTML injection).

    Three inputs, one of each modality the image view does not draw: a sequence whose first
    channel is named ``text``, a table row whose first feature is ``text`` and a token input
    whose vocabulary holds ``text`` (every example starts with that token); the first class
    name is ``text`` too. For the browser's XSS test: every one must show as text. The maps
    are random (the general-purpose writer with structured maps is
    ``plugin_logs.write_modality_log``; this one exists only for the names).
    """
    import tensorflow as tf

    import tb_attrib.summary as tbs
    from tb_attrib.summary import modalities

    rng = np.random.default_rng(seed)
    n, steps, features, length = examples, 40, 6, 12
    vocabulary = ["<pad>", text, "plain", "words", "only"]
    specs = [
        modalities.InputSpec("series " + text, "sequence", channel_names=[text, "y"]),
        modalities.InputSpec(
            "table", "tabular", feature_names=[text] + [f"f{i}" for i in range(1, features)]
        ),
        modalities.InputSpec("ids", "tokens", vocabulary=vocabulary, padding_id=0),
    ]
    series = rng.normal(size=(n, steps, 2)).astype(np.float32)
    table = rng.normal(size=(n, features)).astype(np.float32)
    ids = rng.integers(2, len(vocabulary), (n, length)).astype(np.int32)
    ids[:, 0] = 1
    ids[:, -2:] = 0
    labels = np.arange(n) % 3
    masks = [np.zeros((n, steps), bool), np.eye(features, dtype=bool)[:n], ids == 1]
    masks[0][:, 5:12] = True
    alphas = np.asarray(CLASSIC_ALPHAS, np.float32)
    writer = tf.summary.create_file_writer(str(run_dir))
    with writer.as_default():
        tbs.probe(
            "tb_attrib/probe",
            [series, table, ids],
            step=0,
            labels=labels,
            class_names=[text, "cat", "dog"],
            masks=masks,
            input_specs=specs,
            head={"kind": "multiclass", "width": 3, "output_kind": "probabilities", "output": None},
        )
        for epoch in range(epochs):
            shapes = [(steps, 2), (features,), (length,)]
            sweep = [rng.normal(size=(n, alphas.size, *s)).astype(np.float32) for s in shapes]
            ig = [rng.normal(size=(n, *s)).astype(np.float32) for s in shapes]
            logits = rng.normal(size=(n, alphas.size, 3)).astype(np.float32)
            predictions = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
            tbs.interior_gradients(
                "tb_attrib/interior_gradients",
                alphas,
                sweep,
                predictions,
                labels,
                step=epoch,
                baseline="black",
                input_specs=specs,
            )
            tbs.integrated_gradients(
                "tb_attrib/integrated_gradients",
                step=epoch,
                attributions=ig,
                delta=np.full(n, 1e-3, np.float32),
                targets=labels,
                score_input=np.full(n, 0.9, np.float32),
                score_baseline=np.full(n, 0.1, np.float32),
                method="gausslegendre",
                steps=16,
                baseline="black",
                input_specs=specs,
            )
    writer.close()
