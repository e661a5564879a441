"""``tf.summary``-style write ops for tb_attrib series.

Each op has the shape of ``tf.summary.image``: ``op(name, data..., step=None)`` writes to the
default summary writer and returns True on success, False when no default writer is set.
They encode with NumPy, so call them eagerly (outside ``tf.function``), as Keras callbacks
and most custom training loops do at the end of an epoch::

    writer = tf.summary.create_file_writer("logs/probe")
    with writer.as_default(step=epoch):
        tb_attrib.summary.probe("tb_attrib/probe", x_probe, labels=y_probe, class_names=names)
        ig = tb_attrib.integrated_gradients(model, x_probe, target=y_probe)
        tb_attrib.summary.integrated_gradients("tb_attrib/integrated_gradients", ig)

Every series is a blob sequence whose element 0 is a *digest* record for the whole batch and
whose element ``1 + i`` is the record of probe example ``i``, so a reader can fetch one example,
or only the digests, without reading the rest. ``docs/format.md`` lists every field.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from tb_attrib.summary import codec, metadata


def probe(
    name: str,
    images: np.ndarray,
    step: int | None = None,
    *,
    labels: Sequence[int] | np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    masks: np.ndarray | None = None,
    description: str | None = None,
) -> bool:
    """Writes the probe examples: display images, labels, class names and optional masks.

    Args:
      name: Tag of the series.
      images: Probe inputs ``[N, H, W, C]``, ``[N, H, W]`` or ``[N, D]`` (float or integer).
        They are stored as uint8 display images (see :func:`codec.display_images`).
      step: Step to write at; defaults to ``tf.summary.experimental.get_step()``.
      labels: Optional sparse labels, one int per example.
      class_names: Optional names of the model's classes, indexed by class id.
      masks: Optional object masks ``[N, H, W]`` (non-zero inside the object).
      description: Optional Markdown description.
    """
    images = np.asarray(images)
    display, (low, high) = codec.display_images(images)
    n = images.shape[0]
    digest_arrays = {}
    if labels is not None:
        digest_arrays["labels"] = np.asarray(labels, dtype=np.int32).reshape(n)
    digest = codec.encode_record(
        {
            "num_examples": int(n),
            "input_shape": [int(d) for d in images.shape[1:]],
            "display_range": [low, high],
            "class_names": [str(c) for c in class_names] if class_names is not None else None,
        },
        digest_arrays,
    )
    records = [digest]
    for i in range(n):
        arrays = {"image": display[i]}
        if masks is not None:
            arrays["mask"] = (np.asarray(masks[i]) != 0).astype(np.uint8)
        records.append(codec.encode_record({"index": i}, arrays))
    return _write(name, metadata.KIND_PROBE, records, step, description)


def interior_gradients(
    name: str,
    alphas: Sequence[float] | np.ndarray,
    gradients: np.ndarray,
    predictions: np.ndarray,
    targets: Sequence[int] | np.ndarray,
    step: int | None = None,
    *,
    baseline: str = "",
    description: str | None = None,
) -> bool:
    """Writes the interior-gradient sweep of one step.

    Args:
      name: Tag of the series.
      alphas: The K scaling factors, in (0, 1].
      gradients: ``[N, K, *input_shape]`` gradients of the target score at
        ``baseline + alpha * (x - baseline)``. Stored as signed channel-summed maps, square-root
        quantised to int8, with the mean ``|gradient|`` over all input elements kept exactly.
      predictions: ``[N, K, num_classes]`` class probabilities at each alpha.
      targets: The class whose score was differentiated, one per example.
      step: Step to write at; defaults to ``tf.summary.experimental.get_step()``.
      baseline: Name of the baseline, for display.
      description: Optional Markdown description.
    """
    gradients = np.asarray(gradients, dtype=np.float32)
    predictions = np.asarray(predictions, dtype=np.float32)
    alphas = [float(a) for a in np.asarray(alphas, dtype=np.float64).reshape(-1)]
    n, k = gradients.shape[:2]
    targets = np.asarray(targets, dtype=np.int32).reshape(n)
    abs_mean = np.abs(gradients).reshape(n, k, -1).mean(axis=-1)
    codes, scales = codec.quantize_maps(_display_maps(gradients, leading=2))
    fields = {"alphas": alphas, "baseline": str(baseline)}
    records = [
        codec.encode_record(
            {**fields, "num_examples": int(n)},
            {"targets": targets, "predictions": predictions, "abs_mean": abs_mean},
        )
    ]
    for i in range(n):
        records.append(
            codec.encode_record(
                {**fields, "index": i, "target": int(targets[i])},
                {
                    "maps": codes[i],
                    "scales": scales[i],
                    "predictions": predictions[i],
                    "abs_mean": abs_mean[i],
                },
            )
        )
    return _write(name, metadata.KIND_INTERIOR_GRADIENTS, records, step, description)


def integrated_gradients(
    name: str,
    result: object = None,
    step: int | None = None,
    *,
    attributions: np.ndarray | None = None,
    delta: np.ndarray | None = None,
    targets: Sequence[int] | np.ndarray | None = None,
    score_input: np.ndarray | None = None,
    score_baseline: np.ndarray | None = None,
    method: str | None = None,
    steps: int | Sequence[int] | np.ndarray | None = None,
    baseline: str | None = None,
    description: str | None = None,
) -> bool:
    """Writes the integrated gradients of one step.

    Pass either an :class:`tb_attrib.IntegratedGradientsResult` as ``result`` or the keyword
    arrays; keywords override fields of ``result``.

    Args:
      name: Tag of the series.
      result: The engine's result object, or None.
      step: Step to write at; defaults to ``tf.summary.experimental.get_step()``.
      attributions: ``[N, *input_shape]`` attributions; stored as signed channel-summed maps,
        square-root quantised to int8.
      delta: ``[N]`` completeness deltas ``sum(attributions) - (F(x) - F(baseline))``.
      targets: ``[N]`` target classes.
      score_input: ``[N]`` target score ``F(x)``.
      score_baseline: ``[N]`` target score ``F(baseline)``.
      method: Quadrature rule name.
      steps: Points of the rule used: one count, or one per example (as ``steps="auto"``
        refines each example on its own). Each example's record holds its own; the digest
        holds the largest.
      baseline: Baseline name, for display.
      description: Optional Markdown description.
    """
    attributions = _pick(attributions, result, "attributions")
    attributions = np.asarray(attributions, dtype=np.float32)
    n = attributions.shape[0]
    delta = np.asarray(_pick(delta, result, "delta"), dtype=np.float32).reshape(n)
    targets = np.asarray(_pick(targets, result, "target"), dtype=np.int32).reshape(n)
    score_input = _optional_vector(_pick(score_input, result, "score_input", required=False), n)
    score_baseline = _optional_vector(
        _pick(score_baseline, result, "score_baseline", required=False), n
    )
    if steps is None and result is not None:
        steps = getattr(result, "example_steps", None)
        if steps is None:
            steps = getattr(result, "steps", None)
    example_steps = np.broadcast_to(np.asarray(0 if steps is None else steps, np.int64), [n])
    fields = {
        "method": str(_pick(method, result, "method", required=False) or ""),
        "steps": int(example_steps.max(initial=0)),
        "baseline": str(_pick(baseline, result, "baseline_name", required=False) or ""),
    }
    codes, scales = codec.quantize_maps(_display_maps(attributions, leading=1))
    sums = attributions.reshape(n, -1).sum(axis=-1)
    records = [
        codec.encode_record(
            {**fields, "num_examples": int(n)},
            {
                "targets": targets,
                "delta": delta,
                "score_input": score_input,
                "score_baseline": score_baseline,
                "attribution_sum": sums,
            },
        )
    ]
    for i in range(n):
        records.append(
            codec.encode_record(
                {**fields, "steps": int(example_steps[i]), "index": i, "target": int(targets[i])},
                {
                    "map": codes[i],
                    "scale": scales[i],
                    "delta": delta[i],
                    "score_input": score_input[i],
                    "score_baseline": score_baseline[i],
                },
            )
        )
    return _write(name, metadata.KIND_INTEGRATED_GRADIENTS, records, step, description)


def feature_maps(
    name: str,
    activations: np.ndarray,
    step: int | None = None,
    *,
    layer: str,
    channels: Sequence[int] | np.ndarray | None = None,
    description: str | None = None,
) -> bool:
    """Writes conv feature maps of the probe examples at one layer.

    Args:
      name: Tag of the series.
      activations: ``[N, h, w, C]`` activations of the layer (channels last).
      step: Step to write at; defaults to ``tf.summary.experimental.get_step()``.
      layer: Name of the layer, for display.
      channels: Indices of the channels to keep (all when None). Each kept channel is stored
        as a square-root quantised int8 map with its own scale.
      description: Optional Markdown description.
    """
    activations = np.asarray(activations, dtype=np.float32)
    if activations.ndim != 4:
        raise ValueError(f"activations must be [N, h, w, C], got shape {activations.shape}")
    n, _, _, total = activations.shape
    kept = np.arange(total) if channels is None else np.asarray(channels, dtype=np.int32)
    maps = np.moveaxis(activations[..., kept], -1, 1)  # [N, Ck, h, w]
    codes, scales = codec.quantize_maps(maps)
    fields = {"layer": str(layer), "total_channels": int(total)}
    records = [
        codec.encode_record(
            {**fields, "num_examples": int(n)},
            {"channels": kept, "mean": maps.mean(axis=(2, 3))},
        )
    ]
    for i in range(n):
        records.append(
            codec.encode_record(
                {**fields, "index": i},
                {"maps": codes[i], "scales": scales[i], "channels": kept},
            )
        )
    return _write(name, metadata.KIND_FEATURE_MAPS, records, step, description, layer=str(layer))


def _display_maps(values: np.ndarray, leading: int) -> np.ndarray:
    """Reduces ``[*lead, *example_shape]`` to ``[*lead, H, W]``: signed sum over channels."""
    example_ndim = values.ndim - leading
    if example_ndim == 3:
        return values.sum(axis=-1)
    if example_ndim == 2:
        return values
    if example_ndim == 1:
        return values[..., None, :]
    raise ValueError(f"examples must have 1 to 3 axes, got shape {values.shape[leading:]}")


def _pick(value: object, result: object, attribute: str, required: bool = True) -> object:
    """``value`` if given, else ``result.attribute``; None or ValueError when neither has it."""
    if value is not None:
        return value
    if result is None or not hasattr(result, attribute):
        if not required:
            return None
        raise ValueError(f"{attribute} is required when result does not provide it")
    return getattr(result, attribute)


def _optional_vector(value: object, n: int) -> np.ndarray:
    if value is None:
        return np.full([n], np.nan, dtype=np.float32)
    return np.asarray(value, dtype=np.float32).reshape(n)


def _write(
    name: str,
    kind: str,
    records: list[bytes],
    step: int | None,
    description: str | None,
    **extra: object,
) -> bool:
    summary_metadata = metadata.create_summary_metadata(
        kind, description=description or "", **extra
    )
    with tf.summary.experimental.summary_scope(name, f"{kind}_summary") as (tag, _):
        return tf.summary.write(
            tag=tag,
            tensor=tf.constant(records, dtype=tf.string),
            step=step,
            metadata=summary_metadata,
        )
