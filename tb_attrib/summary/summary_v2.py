"""``tf.summary``-style write ops for tb_attrib series.

Each op has the shape of ``tf.summary.image``: ``op(name, data..., step=None)`` writes to the
default summary writer and returns True on success, False when no default writer is set.
They encode with NumPy, so call them eagerly (outside ``tf.function``), as Keras callbacks
and most custom training loops do at the end of an epoch::

    writer = tb_attrib.summary.create_file_writer("logs/probe")  # or tf.summary's own
    with writer.as_default(step=epoch):
        tb_attrib.summary.probe("tb_attrib/probe", x_probe, labels=y_probe, class_names=names)
        ig = tb_attrib.integrated_gradients(model, x_probe, target=y_probe)
        tb_attrib.summary.integrated_gradients("tb_attrib/integrated_gradients", ig)

Every series is a blob sequence whose element 0 is a *digest* record for the whole batch and
whose element ``1 + i`` is the record of probe example ``i``, so a reader can fetch one example,
or only the digests, without reading the rest. ``docs/format.md`` lists every field.

The records reach the event file through :mod:`tb_attrib.summary.writer`: under a
``tf.summary`` default writer when TensorFlow is in use, and through TensorBoard's own
event-file writer without TensorFlow (the same bytes). This module imports no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tb_attrib.engine import baseline_health as health_lib
from tb_attrib.engine import completeness
from tb_attrib.summary import codec, metadata, modalities, writer


def probe(
    name: str,
    inputs: object,
    step: int | None = None,
    *,
    labels: object = None,
    class_names: Sequence[str] | None = None,
    masks: object = None,
    input_specs: Sequence[modalities.InputSpec] | None = None,
    head: Mapping | None = None,
    description: str | None = None,
) -> bool:
    """Writes the probe examples: display inputs, labels, class names and optional masks.

    Args:
      name: Tag of the series.
      inputs: Probe inputs ``[N, ...]``, or a list with one array per model input (in the
        model's order). Each is stored as its modality shows it (see
        :mod:`tb_attrib.summary.modalities`): images as uint8 display images, sequences and
        tabular rows as float32 values, tokens as int32 ids with their strings.
      step: Step to write at; defaults to the default writer's step (``as_default(step=...)``).
      labels: Optional labels: one class id per example (multiclass, binary), or ``[N, K]``
        float rows (multi-hot for multi-label, target values for regression).
      class_names: Optional names of the model's classes (or outputs), indexed by id.
      masks: Optional ground truth of where the signal is, per example: ``[N, H, W]`` for an
        image, ``[N, T]`` (time steps) for a sequence, ``[N, F]`` for tabular, ``[N, T]`` for
        tokens; non-zero inside. A list gives one (or None) per input.
      input_specs: One :class:`~tb_attrib.summary.modalities.InputSpec` per input; default
        from each input's shape (:func:`~tb_attrib.summary.modalities.default_spec`).
      head: The model's head as ``{"kind": ..., "width": ...}`` (see
        :mod:`tb_attrib.engine.heads`); default multiclass.
      description: Optional Markdown description.
    """
    values, specs = _inputs_and_specs(inputs, input_specs, check_names=True)
    n = values[0].shape[0]
    per_input_masks = _per_input(masks, len(values))
    digest_arrays = {}
    label_values = None if labels is None else np.asarray(labels)
    as_values = (
        label_values is not None
        and label_values.dtype.kind == "f"
        and (label_values.ndim == 2 or not np.all(label_values == np.round(label_values)))
    )
    if as_values:
        digest_arrays["label_values"] = label_values.astype(np.float32).reshape(n, -1)
    elif label_values is not None:
        digest_arrays["labels"] = label_values.astype(np.int32).reshape(n)
    descriptors = [modalities.descriptor(spec, v) for spec, v in zip(specs, values, strict=True)]
    first = descriptors[0]
    digest_fields = (
        {
            "num_examples": int(n),
            "input_shape": first["shape"],
            "display_range": first.get("display_range"),  # of input 0 when it is an image
            "class_names": [str(c) for c in class_names] if class_names is not None else None,
            "inputs": descriptors,
            "head": dict(head) if head is not None else None,
        },
    )[0]
    per_example = [{"fields": {"index": i}, "arrays": {}} for i in range(n)]
    for j, (spec, value) in enumerate(zip(specs, values, strict=True)):
        tail = modalities.suffix(j)
        for i, entry in enumerate(modalities.of(spec).example_arrays(spec, value)):
            for key, field in entry.pop("fields", {}).items():
                per_example[i]["fields"][key + tail] = field
            for key, array in entry.items():
                per_example[i]["arrays"][key + tail] = array
        if per_input_masks[j] is not None:
            mask = np.asarray(per_input_masks[j]) != 0
            for i in range(n):
                per_example[i]["arrays"]["mask" + tail] = mask[i].astype(np.uint8)
    examples = [codec.encode_record(e["fields"], e["arrays"]) for e in per_example]
    digest_fields["probe_sha256"] = codec.probe_identity(examples, digest_arrays)
    digest = codec.encode_record(digest_fields, digest_arrays)
    return _write(name, metadata.KIND_PROBE, [digest, *examples], step, description)


def interior_gradients(
    name: str,
    alphas: Sequence[float] | np.ndarray,
    gradients: object,
    predictions: np.ndarray,
    targets: Sequence[int] | np.ndarray,
    step: int | None = None,
    *,
    baseline: str = "",
    input_specs: Sequence[modalities.InputSpec] | None = None,
    description: str | None = None,
) -> bool:
    """Writes the interior-gradient sweep of one step.

    Args:
      name: Tag of the series.
      alphas: The K scaling factors, in (0, 1].
      gradients: ``[N, K, *input_shape]`` gradients of the explained score at
        ``baseline + alpha * (x - baseline)``, or a list with one per model input (None for
        inputs held fixed). Stored as each modality's maps (images: signed channel sums),
        square-root quantised to int8, with the mean ``|gradient|`` over all input elements
        kept exactly.
      predictions: ``[N, K, P]`` the head's predictions at each alpha (class probabilities,
        output probabilities or predicted values).
      targets: The class (or output) explained, one per example.
      step: Step to write at; defaults to the default writer's step (``as_default(step=...)``).
      baseline: Name of the baseline, for display.
      input_specs: As for :func:`probe` (default from the gradients' shapes).
      description: Optional Markdown description.
    """
    arrays, specs = _inputs_and_specs(gradients, input_specs, leading=2)
    predictions = np.asarray(predictions, dtype=np.float32)
    alphas = [float(a) for a in np.asarray(alphas, dtype=np.float64).reshape(-1)]
    present = [a for a in arrays if a is not None]
    n, k = present[0].shape[:2]
    targets = np.asarray(targets, dtype=np.int32).reshape(n)
    magnitude = sum(np.abs(a).reshape(n, k, -1).sum(axis=-1, dtype=np.float64) for a in present)
    abs_mean = (magnitude / sum(a[0, 0].size for a in present)).astype(np.float32)
    maps = _quantized(arrays, specs, leading=2)
    fields = {"alphas": alphas, "baseline": str(baseline)}
    records = [
        codec.encode_record(
            {**fields, "num_examples": int(n)},
            {"targets": targets, "predictions": predictions, "abs_mean": abs_mean},
        )
    ]
    for i in range(n):
        example = {"predictions": predictions[i], "abs_mean": abs_mean[i]}
        for tail, (codes, scales) in maps.items():
            example["maps" + tail] = codes[i]
            example["scales" + tail] = scales[i]
        records.append(
            codec.encode_record({**fields, "index": i, "target": int(targets[i])}, example)
        )
    return _write(name, metadata.KIND_INTERIOR_GRADIENTS, records, step, description)


def integrated_gradients(
    name: str,
    result: object = None,
    step: int | None = None,
    *,
    attributions: object = None,
    delta: np.ndarray | None = None,
    targets: Sequence[int] | np.ndarray | None = None,
    score_input: np.ndarray | None = None,
    score_baseline: np.ndarray | None = None,
    relative_delta: np.ndarray | None = None,
    method: str | None = None,
    steps: int | Sequence[int] | np.ndarray | None = None,
    baseline: str | None = None,
    input_specs: Sequence[modalities.InputSpec] | None = None,
    predicted: object = None,
    baseline_health: object = None,
    attribution_method: str | None = None,
    settings: Mapping | None = None,
    trust: Mapping | None = None,
    description: str | None = None,
) -> bool:
    """Writes the integrated gradients of one step.

    Pass either an :class:`tb_attrib.IntegratedGradientsResult` as ``result`` or the keyword
    arrays; keywords override fields of ``result``.

    Args:
      name: Tag of the series.
      result: The engine's result object, or None.
      step: Step to write at; defaults to the default writer's step (``as_default(step=...)``).
      attributions: ``[N, *input_shape]`` attributions, or a list per model input (None for
        inputs held fixed); stored as each modality's maps, square-root quantised to int8.
      delta: ``[N]`` completeness deltas ``sum(attributions) - (F(x) - F(baseline))``.
      targets: ``[N]`` the class (or output) explained.
      score_input: ``[N]`` explained score ``F(x)``.
      score_baseline: ``[N]`` explained score ``F(baseline)``.
      relative_delta: ``[N]`` relative completeness (default: from ``result``, else computed
        by :func:`tb_attrib.engine.completeness.relative`).
      method: Quadrature rule name.
      steps: Points of the rule used: one count, or one per example. Each example's record
        holds its own; the digest holds the largest.
      baseline: Baseline name, for display.
      input_specs: As for :func:`probe`.
      predicted: Optional second explanation for misclassified examples (the predicted class
        where ``targets`` holds the true one): ``(rows, result)`` with ``rows`` the example
        indices and ``result`` an integrated-gradients result over exactly those examples.
        Stored in those examples' records as ``predicted_map`` (``@j``), ``predicted_scale``,
        ``predicted_delta`` and the field ``predicted_target``.
      baseline_health: Optional :class:`tb_attrib.engine.baseline_health.BaselineHealth` of
        this step: the model's predictions on the baseline (``baseline_predictions``) and the
        examples it leaves with a change near zero (``baseline_affected``).
      attribution_method: None for integrated gradients; else the method the maps come
        from (``"smoothgrad"``, ``"smoothgrad_ig"``, ``"guided_ig"``: one series per
        method, conventionally tagged ``tb_attrib/methods/<name>``). Stored in the series'
        metadata and in every record as the field ``attribution_method``.
      settings: Optional JSON-serialisable settings of that method (noise, samples,
        steps), stored in the digest as the field ``settings``.
      trust: Optional checks of the maps (``docs/format.md``, "Trust"): a mapping of names to
        ``[N]`` arrays (stored in the digest and, one value each, in the examples' records),
        ``[N, L]`` arrays (the examples' records only) and strings (a field of every record).
      description: Optional Markdown description.
    """
    attributions = _pick(attributions, result, "attributions")
    arrays, specs = _inputs_and_specs(attributions, input_specs, leading=1)
    n = next(a for a in arrays if a is not None).shape[0]
    delta = np.asarray(_pick(delta, result, "delta"), dtype=np.float32).reshape(n)
    targets = np.asarray(_pick(targets, result, "target"), dtype=np.int32).reshape(n)
    score_input = _optional_vector(_pick(score_input, result, "score_input", required=False), n)
    score_baseline = _optional_vector(
        _pick(score_baseline, result, "score_baseline", required=False), n
    )
    relative = _pick(relative_delta, result, "relative_delta", required=False)
    if relative is None:
        relative = completeness.relative(delta, score_input - score_baseline)
    relative = np.asarray(relative, np.float32).reshape(n)
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
    series = {} if attribution_method is None else {"attribution_method": str(attribution_method)}
    fields.update(series)
    digest_extra = {"settings": dict(settings)} if settings else {}
    maps = _quantized(arrays, specs, leading=1)
    sums = sum(a.reshape(n, -1).sum(axis=-1) for a in arrays if a is not None)
    second = _predicted_maps(predicted, specs, n)
    health_fields, health_digest, health_rows = _health(baseline_health, n)
    fields.update(health_fields)
    checks, texts = _trust(trust, n)
    fields.update(texts)
    records = [
        codec.encode_record(
            {**fields, "num_examples": int(n), **digest_extra},
            {
                "targets": targets,
                "delta": delta,
                "score_input": score_input,
                "score_baseline": score_baseline,
                "attribution_sum": np.asarray(sums, np.float32),
                "relative_delta": relative,
                **health_digest,
                **{k: v for k, v in checks.items() if v.ndim == 1},
            },
        )
    ]
    for i in range(n):
        example = {
            "delta": delta[i],
            "score_input": score_input[i],
            "score_baseline": score_baseline[i],
            "relative_delta": relative[i],
            **health_rows[i][0],
            **{k: v[i] for k, v in checks.items()},
        }
        for tail, (codes, scales) in maps.items():
            example["map" + tail] = codes[i]
            example["scale" + tail] = scales[i]
        extra = dict(health_rows[i][1])
        if i in second:
            extra["predicted_target"] = second[i].pop("target")
            example.update(second[i])
        head = {**fields, "steps": int(example_steps[i]), "index": i, "target": int(targets[i])}
        records.append(codec.encode_record({**head, **extra}, example))
    return _write(name, metadata.KIND_INTEGRATED_GRADIENTS, records, step, description, **series)


def _health(health: object, n: int) -> tuple[dict, dict, list]:
    """The baseline health's fields (digest and examples), digest arrays and, per example,
    ``(arrays, fields)``; empty without one."""
    if health is None:
        return {}, {}, [({}, {})] * n
    predictions = np.asarray(health.predictions, np.float32).reshape(n, -1)
    affected = np.asarray(health.affected, bool).reshape(n)
    fields = {"baseline_threshold": float(health_lib.CONFIDENT_PROBABILITY)}
    digest = {"baseline_predictions": predictions, "baseline_affected": affected.astype(np.uint8)}
    rows = [
        ({"baseline_predictions": predictions[i]}, {"baseline_affected": bool(affected[i])})
        for i in range(n)
    ]
    return fields, digest, rows


def _trust(trust: Mapping | None, n: int) -> tuple[dict, dict]:
    """``trust`` split into float32 arrays ``[N, ...]`` and string fields."""
    arrays, fields = {}, {}
    for key, value in (trust or {}).items():
        if isinstance(value, str):
            fields[str(key)] = value
            continue
        array = np.ascontiguousarray(value, dtype=np.float32)
        if array.ndim not in (1, 2) or array.shape[0] != n:
            raise ValueError(f"trust[{key!r}] must be [N] or [N, L] with N={n}; got {array.shape}")
        arrays[str(key)] = array
    return arrays, fields


def _predicted_maps(predicted: object, specs, n: int) -> dict[int, dict]:
    """Per example row of ``predicted``: its second map(s), scale(s), delta and target."""
    if predicted is None:
        return {}
    rows, result = predicted
    rows = np.asarray(rows, np.int64).reshape(-1)
    if rows.size == 0:
        return {}
    if rows.min() < 0 or rows.max() >= n:
        raise ValueError(f"predicted rows must lie in [0, {n}); got {rows.tolist()}")
    arrays, _ = _inputs_and_specs(result.attributions, specs, leading=1)
    maps = _quantized(arrays, specs, leading=1)
    delta = np.asarray(result.delta, np.float32).reshape(-1)
    target = np.asarray(result.target, np.int32).reshape(-1)
    out = {}
    for r, row in enumerate(rows):
        entry = {"target": int(target[r]), "predicted_delta": delta[r]}
        for tail, (codes, scales) in maps.items():
            entry["predicted_map" + tail] = codes[r]
            entry["predicted_scale" + tail] = scales[r]
        out[int(row)] = entry
    return out


def _inputs_and_specs(values: object, specs, leading: int = 1, check_names: bool = False):
    """``values`` as a list (one per input, None allowed) and one spec per input; with
    ``check_names``, the specs' names checked against the inputs (the probe only)."""
    if isinstance(values, Mapping):
        names = list(values)
        values = [values[k] for k in names]
    elif isinstance(values, list | tuple):
        names = [f"input_{j}" for j in range(len(values))]
        values = list(values)
    else:
        names = ["input"]
        values = [values]
    arrays = [None if v is None else np.asarray(v) for v in values]
    if specs is None:
        specs = [
            modalities.default_spec(a.shape[leading:], names[j], a.dtype if leading == 1 else None)
            if a is not None
            else modalities.InputSpec(names[j], attributed=False)
            for j, a in enumerate(arrays)
        ]
    specs = list(specs)
    if len(specs) != len(arrays):
        raise ValueError(f"input_specs has {len(specs)} entries for {len(arrays)} inputs")
    if check_names:
        for spec, a in zip(specs, arrays, strict=True):
            modalities.of(spec).check_names(spec, a)
    return arrays, specs


def _quantized(arrays, specs, leading: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``suffix -> (codes, scales)`` of every attributed input's maps."""
    out = {}
    for j, (a, spec) in enumerate(zip(arrays, specs, strict=True)):
        if a is None:
            continue
        modality = modalities.of(spec)
        maps = modality.to_maps(np.asarray(a, np.float32), leading)
        out[modalities.suffix(j)] = codec.quantize_maps(maps, modality.map_ndim)
    return out


def _per_input(value: object, count: int) -> list:
    """One mask (or None) per input from one mask, or a list of masks (arrays or None)."""
    is_list = isinstance(value, list | tuple) and all(
        v is None or isinstance(v, np.ndarray) for v in value
    )
    if is_list and (count > 1 or len(value) == 1):
        if len(value) != count:
            raise ValueError(f"masks has {len(value)} entries for {count} inputs")
        return list(value)
    return [value] + [None] * (count - 1)


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
      step: Step to write at; defaults to the default writer's step (``as_default(step=...)``).
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
    return writer.write_blob_sequence(name or f"{kind}_summary", records, summary_metadata, step)
