"""Synthetic tb_attrib logs for the serve-side tests, written with the public write ops.

Every record says which epoch it belongs to, so a test can check that a served record is
the one written for that epoch: the ``baseline`` field of sweep and IG records is
``"e<epoch>"``, and feature-map activations of epoch ``e`` have the maximum ``e + 1``.

:func:`written_records` reads event files back byte for byte, independently of
TensorBoard's data providers, as the ground truth the routes must match.

:func:`write_modality_log` writes format-v2 runs of every modality (image, sequence, tabular,
tokens), head and several inputs, at small or realistic sizes, with structured synthetic
maps (signal where a ground-truth mask is); the frontend's browser tests use it too::

    from plugin_logs import write_modality_log
    write_modality_log(tmp_path / "text", "tokens", realistic=True, epochs=5, examples=8)
    write_modality_log(tmp_path / "two", ["image", "tabular"], head="binary",
                       label_and_predicted=True)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from tb_attrib.summary import metadata

SWEEP_TAG = metadata.TAG_INTERIOR_GRADIENTS
IG_TAG = metadata.TAG_INTEGRATED_GRADIENTS
PROBE_TAG = metadata.TAG_PROBE
LAYER = "conv<1>"
FM_TAG = metadata.TAG_FEATURE_MAPS_PREFIX + "conv1"
ALPHAS = (0.25, 0.5, 1.0)


class RunWriter:
    """Writes the epochs of one run, one call per epoch, into one event file.

    ``ig_every=2`` writes integrated gradients only at even epochs, so some epochs have a
    sweep but no IG (the routes must send an empty record there); ``ig_every=0`` writes none.
    ``labels=False`` writes an unlabelled probe without class names; ``label`` prefixes the
    ``baseline`` fields, to tell two writes of the same epoch apart.
    """

    def __init__(
        self,
        run_dir: Path | str,
        *,
        examples: int = 3,
        size: int = 4,
        classes: int = 3,
        class_names: list[str] | None = None,
        labels: bool = True,
        label: str = "",
        masks: bool = True,
        feature_maps: bool = True,
        ig_every: int = 1,
    ) -> None:
        import tensorflow as tf

        self._writer = tf.summary.create_file_writer(str(run_dir))
        self._rng = np.random.default_rng(0)
        self._examples, self._size, self._classes = examples, size, classes
        self._class_names = class_names or [f"c{i}" for i in range(classes)]
        self._labels, self._label, self._masks = labels, label, masks
        self._feature_maps, self._ig_every = feature_maps, ig_every

    def write(self, epoch: int, *, probe: bool = False) -> None:
        """Writes sweep, IG (per ``ig_every``) and feature maps of ``epoch``; the probe too."""
        import tb_attrib.summary as tbs

        rng, n, size, classes = self._rng, self._examples, self._size, self._classes
        targets = np.arange(n) % classes
        with self._writer.as_default(step=epoch):
            if probe:
                x = rng.random((n, size, size, 3)).astype(np.float32)
                tbs.probe(
                    PROBE_TAG,
                    x,
                    labels=targets if self._labels else None,
                    class_names=self._class_names if self._labels else None,
                    masks=(x[..., 0] > 0.5) if self._masks else None,
                )
            tbs.interior_gradients(
                SWEEP_TAG,
                ALPHAS,
                rng.normal(size=(n, len(ALPHAS), size, size, 3)),
                rng.random((n, len(ALPHAS), classes)),
                targets,
                baseline=f"{self._label}e{epoch}",
            )
            if self._ig_every and epoch % self._ig_every == 0:
                tbs.integrated_gradients(
                    IG_TAG,
                    attributions=rng.normal(size=(n, size, size, 3)),
                    delta=rng.normal(size=n),
                    targets=targets,
                    score_input=rng.random(n),
                    score_baseline=rng.random(n),
                    method="trapezoid",
                    steps=8,
                    baseline=f"{self._label}e{epoch}",
                )
            if self._feature_maps:
                activations = rng.random((n, 2, 2, 4)).astype(np.float32)
                activations /= activations.max()
                tbs.feature_maps(FM_TAG, activations * (epoch + 1), layer=LAYER)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


def write_run(
    run_dir: Path | str, epochs: Iterable[int], *, probe: bool = True, **options: object
) -> None:
    """Writes ``epochs`` of one run (the probe at the first) with a :class:`RunWriter`."""
    writer = RunWriter(run_dir, **options)
    for i, epoch in enumerate(epochs):
        writer.write(epoch, probe=probe and i == 0)
    writer.close()


def write_future_series(run_dir: Path | str, tag: str, *, version: int = 99) -> None:
    """Writes one blob sequence whose metadata claims a newer format version."""
    import tensorflow as tf
    from tensorboard.compat.proto import summary_pb2

    content = json.dumps({"kind": metadata.KIND_INTERIOR_GRADIENTS, "version": version})
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=metadata.PLUGIN_NAME, content=content.encode()
        ),
        data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE,
    )
    writer = tf.summary.create_file_writer(str(run_dir))
    with writer.as_default(step=0):
        tf.summary.write(tag, tf.constant([b"NEWFORMAT", b"x"]), metadata=meta)
    writer.close()


def written_records(run_dir: Path | str) -> dict[str, dict[int, list[bytes]]]:
    """``{tag: {step: [element bytes]}}`` of every tb_attrib series in ``run_dir``'s files.

    Reads the event files directly (not through a data provider); a step written twice keeps
    the write with the newest wall time, as the plugin does.
    """
    from tensorboard.backend.event_processing import event_file_loader

    newest: dict[str, dict[int, tuple[float, list[bytes]]]] = {}
    plugin_tags: set[str] = set()
    for path in sorted(Path(run_dir).glob("*tfevents*")):
        for event in event_file_loader.LegacyEventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME:
                    plugin_tags.add(value.tag)
                if value.tag not in plugin_tags:
                    continue
                elements = list(value.tensor.string_val)
                by_step = newest.setdefault(value.tag, {})
                old = by_step.get(event.step)
                if old is None or old[0] <= event.wall_time:
                    by_step[event.step] = (event.wall_time, elements)
    return {tag: {s: v[1] for s, v in steps.items()} for tag, steps in newest.items()}


def make_app(logdir: Path | str):
    """TensorBoard's WSGI app over ``logdir`` with this plugin, in process (Python loading).

    Returns ``(app, plugin)``. The multiplexer keeps every tb_attrib step, as the CLI does
    after :class:`tb_attrib.plugin.loader.AttributionsLoader` raised the sampling.
    """
    from tensorboard.backend import application
    from tensorboard.backend.event_processing import data_provider as tb_data_provider
    from tensorboard.backend.event_processing import plugin_event_multiplexer
    from tensorboard.plugins import base_plugin

    from tb_attrib.plugin.loader import AttributionsLoader

    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={metadata.PLUGIN_NAME: 0}
    )
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    data_provider = tb_data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    context = base_plugin.TBContext(
        data_provider=data_provider, logdir=str(logdir), sampling_hints={}
    )
    plugin = AttributionsLoader().load(context)
    return application.TensorBoardWSGI([plugin], data_provider=data_provider), plugin


# --- Format-v2 logs of every modality, head and several inputs -------------------------------

CLASSIC_ALPHAS = (0.01, 0.02, 0.03, 0.04, 0.1, 0.5, 0.6, 0.7, 0.8, 1.0)

SMALL_SHAPES = {"image": (16, 16, 3), "sequence": (64, 2), "tabular": (10,), "tokens": (24,)}
"""Default example shape of each modality: small and quick to write."""

REALISTIC_SHAPES = {
    "image": (224, 224, 3),
    "sequence": (1000, 3),
    "tabular": (100,),
    "tokens": (256,),
}
"""Example shapes of real models (``realistic=True``): an ImageNet image, a 1000-step
three-axis sensor trace, a 100-column table, a 256-token text with a vocabulary."""

HEADS = ("multiclass", "binary", "multilabel", "regression")

# A few names that must come back and be shown exactly as written (markup, entities,
# non-ASCII, spaces); mixed into feature, channel and token names.
TRICKY_NAMES = ("<b>bold</b>", "a&amp;b", "naïve café", "日本語", " spaced ")


@dataclasses.dataclass
class ModalityLog:
    """What :func:`write_modality_log` wrote: the ground truth a test checks against.

    Attributes:
      run_dir: The run's directory.
      epochs: The steps written (the probe at the first).
      specs: One ``InputSpec`` per model input, as given to the write ops.
      values: Per input, the probe batch ``[N, *shape]`` given to ``probe``.
      masks: Per input, ``[N, *positions]`` bool: where its signal is (the ground truth).
      head: The head dict written in the probe.
      class_names: Names of the prediction columns.
      labels: ``[N]`` int class labels (multiclass, binary), else None.
      label_values: ``[N, W]`` float labels (multi-hot, regression targets), else None.
      targets: ``[N]`` the class or output explained (the same at every epoch).
      predicted: ``{epoch: (rows, predicted classes)}`` of the examples given a second,
        predicted-class map (``label_and_predicted=True``; empty otherwise).
    """

    run_dir: Path
    epochs: list[int]
    specs: list
    values: list[np.ndarray]
    masks: list[np.ndarray]
    head: dict
    class_names: list[str]
    labels: np.ndarray | None
    label_values: np.ndarray | None
    targets: np.ndarray
    predicted: dict[int, tuple[np.ndarray, np.ndarray]]


def write_modality_log(
    run_dir: Path | str,
    modality: str | Sequence[str] = "image",
    *,
    epochs: int | Iterable[int] = 3,
    examples: int = 4,
    shape: Sequence[int] | Sequence[Sequence[int] | None] | None = None,
    realistic: bool = False,
    head: str = "multiclass",
    width: int | None = None,
    class_names: Sequence[str] | None = None,
    alphas: Sequence[float] = CLASSIC_ALPHAS,
    masks: bool = True,
    fixed: Sequence[int] = (),
    label_and_predicted: bool = False,
    input_names: Sequence[str] | None = None,
    names: bool = True,
    vocabulary_size: int | None = None,
    feature_maps: bool = False,
    trust: bool = False,
    seed: int = 0,
) -> ModalityLog:
    """Writes a format-v2 run (probe, sweep, IG; optional feature maps) with the write ops.

    No model is trained: the maps are synthetic but *structured*, so a test or a person
    can read them. Each input has a ground-truth region (an image's disc, a burst in a time
    series, a few informative features, a few keyword tokens), returned in ``masks`` and
    written as the probe's masks. Early epochs attribute diffusely (a smooth pattern over the
    whole input); as the epochs pass the attributions concentrate on the region, with a
    little negative evidence beside it; the target's probability grows; gradients fade with
    alpha as a saturating network's do; the completeness delta shrinks. Every IG map sums to
    ``F(x) - F(baseline) + delta`` over all inputs, as a real one does.

    Args:
      run_dir: Directory of the run (created).
      modality: ``"image"``, ``"sequence"``, ``"tabular"`` or ``"tokens"``; a list of them
        for a model with several inputs (input ``j > 0`` gets the ``@j`` names).
      epochs: The number of epochs (steps 0 .. epochs - 1), or the steps themselves.
      examples: Probe examples N.
      shape: Example shape of the input (a list of shapes, or None entries, for several
        inputs); default :data:`SMALL_SHAPES`, or :data:`REALISTIC_SHAPES` with
        ``realistic``. Images ``[H, W, C]`` (C 1 or 3), sequences ``[T, C]``, tabular
        ``[F]``, tokens ``[T]``.
      realistic: Real-model sizes (see :data:`REALISTIC_SHAPES`) where ``shape`` is None.
      head: One of :data:`HEADS`.
      width: Output units W of the head (default 3 for multiclass and multilabel, 1 for
        binary and regression).
      class_names: Names of the prediction columns (default generated).
      alphas: The sweep's alphas.
      masks: Write the ground-truth masks in the probe.
      fixed: Indices of inputs held fixed (no maps, ``attributed`` false).
      label_and_predicted: Also write predicted-class maps for the examples the synthetic
        model gets wrong (odd examples, in the first half of the epochs); classifier heads
        only (multiclass, binary).
      input_names: The model's input names (default ``image``, ``series``, ...; ``_j``
        appended where a modality repeats).
      names: Give tabular features, sequence channels and tokens names (a vocabulary),
        a few of them from :data:`TRICKY_NAMES`; False writes none (indices shown).
      vocabulary_size: Tokens in the vocabulary (default 1000 with ``realistic``, else 60).
      feature_maps: Also write a half-resolution feature-map series (``"conv1"``) derived
        from the first image input's maps.
      trust: Also write the IG records' checks (:func:`synthetic_trust`).
      seed: Random seed; the same arguments write the same records.

    Returns:
      A :class:`ModalityLog` of what was written.
    """
    import types

    import tensorflow as tf

    import tb_attrib.summary as tbs

    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}")
    if label_and_predicted and head not in ("multiclass", "binary"):
        raise ValueError("label_and_predicted needs a classifier head (multiclass or binary)")
    kinds = [modality] if isinstance(modality, str) else list(modality)
    shapes = _shapes(kinds, shape, realistic)
    steps = list(range(epochs)) if isinstance(epochs, int) else [int(e) for e in epochs]
    rng = np.random.default_rng(seed)
    n, alphas = int(examples), np.asarray(alphas, np.float32)
    width = width or (1 if head in ("binary", "regression") else 3)
    columns = 2 if head == "binary" else width
    class_names = list(class_names) if class_names else _column_names(head, columns)

    inputs = []
    used: dict[str, int] = {}
    for j, (kind, example_shape) in enumerate(zip(kinds, shapes, strict=True)):
        name = input_names[j] if input_names else _input_name(kind, used)
        size = vocabulary_size or (1000 if realistic else 60)
        inputs.append(_SYNTHESISERS[kind](rng, n, example_shape, name, names, size))
    specs = [
        dataclasses.replace(item.spec, attributed=j not in fixed) for j, item in enumerate(inputs)
    ]
    labels, label_values, targets = _labels(head, n, width)
    winner = targets.copy()  # the class the synthetic model predicts at the last alpha
    head_json = {
        "kind": head,
        "width": width,
        "output_kind": "logits" if head == "regression" else "probabilities",
        "output": None,
    }
    attributed = [j for j in range(len(inputs)) if j not in fixed]
    fade = np.exp(-3.0 * alphas)  # saturation: gradients shrink as alpha grows
    writer = tf.summary.create_file_writer(str(run_dir))
    predicted_log: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    with writer.as_default():
        tbs.probe(
            PROBE_TAG,
            [item.values for item in inputs],
            step=steps[0],
            labels=labels if labels is not None else label_values,
            class_names=class_names,
            masks=[item.mask for item in inputs] if masks else None,
            input_specs=specs,
            head=head_json,
        )
        for k, epoch in enumerate(steps):
            t = (k + 1) / len(steps)  # training progress in (0, 1]
            wrong = np.zeros(n, bool)
            if label_and_predicted:
                wrong = (np.arange(n) % 2 == 1) & (k < (len(steps) + 1) // 2)
            chosen = np.where(wrong, _other_class(head, targets, columns), winner)
            predictions = _predictions(head, alphas, t, targets, chosen, label_values, columns)
            score_input, score_baseline = _scores(head, predictions, targets)
            delta = (score_input - score_baseline) * 0.05 * (1 - t) + 1e-4
            total = score_input - score_baseline + delta
            strength = np.where(wrong, 0.4, 1.0)
            ig = [None] * len(inputs)
            for j in attributed:
                share = total / len(attributed)
                ig[j] = inputs[j].attributions(t, share, strength)
            gradients = [
                None
                if a is None
                else (
                    a[:, None] * fade.reshape(1, -1, *[1] * (a.ndim - 1))
                    + 0.1 * (1 - t) * inputs[j].noise[:, None] * np.abs(a).max()
                ).astype(np.float32)
                for j, a in enumerate(ig)
            ]
            predicted = None
            rows = np.flatnonzero(wrong)
            if rows.size:
                second_total = (score_input[rows] - score_baseline[rows]) * -0.5 + 0.2
                second = [None] * len(inputs)
                for j in attributed:
                    second[j] = inputs[j].attributions(
                        1.0,
                        second_total / len(attributed),
                        np.ones(rows.size),
                        predicted=True,
                        rows=rows,
                    )
                predicted = (
                    rows,
                    types.SimpleNamespace(
                        attributions=second,
                        delta=np.full(rows.size, 1e-3, np.float32),
                        target=chosen[rows].astype(np.int32),
                    ),
                )
                predicted_log[epoch] = (rows, chosen[rows].astype(np.int32))
            tbs.interior_gradients(
                SWEEP_TAG,
                alphas,
                gradients,
                predictions,
                targets,
                step=epoch,
                baseline="black",
                input_specs=specs,
            )
            tbs.integrated_gradients(
                IG_TAG,
                step=epoch,
                attributions=ig,
                delta=delta,
                targets=targets,
                score_input=score_input,
                score_baseline=score_baseline,
                method="gausslegendre",
                steps=np.where(np.arange(n) % 3 == 0, 32, 16),
                baseline="black",
                input_specs=specs,
                predicted=predicted,
                trust=synthetic_trust(score_input, score_baseline, k, len(steps))
                if trust
                else None,
            )
            images = [j for j in attributed if kinds[j] == "image"]
            if feature_maps and images:
                pattern = ig[images[0]].sum(axis=-1)[:, ::2, ::2]  # [N, h, w]
                channel = np.arange(8, dtype=np.float32)
                activations = np.maximum(
                    0.0, pattern[..., None] * np.cos(channel + 3 * t) + 0.1 * channel
                ).astype(np.float32)
                tbs.feature_maps(FM_TAG, activations, step=epoch, layer=LAYER)
    writer.close()
    return ModalityLog(
        run_dir=Path(run_dir),
        epochs=steps,
        specs=specs,
        values=[item.values for item in inputs],
        masks=[item.mask for item in inputs],
        head=head_json,
        class_names=class_names,
        labels=labels,
        label_values=label_values,
        targets=targets,
        predicted=predicted_log,
    )


def synthetic_trust(score_input, score_baseline, k: int, count: int) -> dict:
    """The checks of written epoch ``k`` of ``count`` as a trained model's look: deletion
    falls and insertion rises faster than the random order as training goes on; example
    ``i``'s stability reaches 0.95 at epoch ``1 + (i + 1) % (count - 1)`` (example 0 keeps
    changing); the last epoch has a sanity check that example 1 fails (its map correlates
    highly with the randomised model's)."""
    t = (k + 1) / count
    n = score_input.shape[0]
    fractions = np.linspace(0.0, 1.0, 6)
    gap = (score_input - score_baseline)[:, None]
    shape = (1.0 - fractions[None]) ** (1.0 + 6.0 * t)
    curves = {
        "deletion": score_baseline[:, None] + gap * shape,
        "insertion": score_baseline[:, None] + gap * (1.0 - shape),
        "random_order": score_baseline[:, None] + gap * fractions[None] ** 1.2,
    }
    values = {"fractions": np.broadcast_to(fractions, (n, 6)), **curves}
    for name, key in (("deletion", "deletion_auc"), ("insertion", "insertion_auc")):
        values[key] = np.trapezoid(curves[name], fractions, axis=1)
    values["random_auc"] = np.trapezoid(curves["random_order"], fractions, axis=1)
    settles = 1 + (np.arange(n) + 1) % max(1, count - 1)  # example i settles at this epoch
    stability = np.where(k >= settles, 0.95, 0.7)
    stability[0] = 0.6
    values["stability"] = np.full(n, np.nan) if k == 0 else stability
    if k == count - 1:
        sanity = np.full(n, 0.12)
        sanity[1 % n] = 0.83
        values["sanity"] = sanity
        values["sanity_layer"] = "class_maps"
    return values


@dataclasses.dataclass
class _Synthetic:
    """One synthetic input: its probe values and ground truth, and how it is attributed.

    ``pattern`` and ``distractor`` are ``[N, *shape]`` attributions of a fully trained model
    for the label and for a wrong class; ``noise`` a smooth zero-mean pattern of the same
    shape (what an untrained model attributes, zero on padding); ``region`` and
    ``decoy_region`` (``[N, *shape]``, 1 inside) are where each one's evidence lies, and
    where the completeness correction goes as training progresses (early on it is spread over
    ``support``, the whole input but padding).
    """

    spec: object
    values: np.ndarray
    mask: np.ndarray
    pattern: np.ndarray
    distractor: np.ndarray
    noise: np.ndarray
    region: np.ndarray
    decoy_region: np.ndarray
    support: np.ndarray | None = None

    def attributions(
        self,
        t: float,
        total: np.ndarray,
        strength: np.ndarray,
        *,
        predicted: bool = False,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """``[N, *shape]`` attributions at progress ``t`` summing to ``total`` per example:
        of the label (the ``pattern``), or of a wrong predicted class (the ``distractor``)."""
        pick = slice(None) if rows is None else rows
        pattern = (self.distractor if predicted else self.pattern)[pick]
        region = (self.decoy_region if predicted else self.region)[pick]
        support = np.ones_like(region) if self.support is None else self.support[pick]
        weight = t * region + (1 - t) * support * region.sum() / max(support.sum(), 1e-6)
        noise = self.noise[pick]
        n, lead = pattern.shape[0], (-1,) + (1,) * (pattern.ndim - 1)
        total = np.asarray(total, np.float64).reshape(n)
        raw = (t * pattern + (1 - 0.85 * t) * noise) * np.asarray(strength).reshape(lead)
        l1 = np.abs(raw).reshape(n, -1).sum(-1)
        raw = raw * (1.2 * np.abs(total) / np.maximum(l1, 1e-12)).reshape(lead)
        # Completeness: what the pattern lacks of the total goes to the input's regions.
        fix = (total - raw.reshape(n, -1).sum(-1)) / np.maximum(weight.reshape(n, -1).sum(-1), 1e-6)
        return (raw + weight * fix.reshape(lead)).astype(np.float32)


def _smooth(rng: np.random.Generator, n: int, axes: Sequence[int], waves: int = 3) -> np.ndarray:
    """``[n, *axes]`` smooth zero-mean fields in about [-1, 1]: a few random low sinusoids."""
    grids = np.meshgrid(*[np.linspace(0, 1, a, dtype=np.float32) for a in axes], indexing="ij")
    out = np.zeros((n, *axes), np.float32)
    for _ in range(waves):
        freq = rng.uniform(0.5, 3.0, (n, len(axes))).astype(np.float32)
        phase = rng.uniform(0, 2 * np.pi, (n, 1)).astype(np.float32)
        arg = sum(freq[:, i].reshape(-1, *[1] * len(axes)) * grids[i] for i in range(len(axes)))
        out += np.sin(2 * np.pi * arg + phase.reshape(-1, *[1] * len(axes)))
    return out / waves


def _image(rng, n, shape, name, names, vocabulary_size) -> _Synthetic:
    from tb_attrib.summary import modalities

    h, w, c = (*shape, 1)[:3]
    yy, xx = np.meshgrid(
        (np.arange(h, dtype=np.float32) + 0.5) / h,
        (np.arange(w, dtype=np.float32) + 0.5) / w,
        indexing="ij",
    )
    cy, cx = rng.uniform(0.3, 0.7, (2, n, 1, 1)).astype(np.float32)
    radius = rng.uniform(0.12, 0.22, (n, 1, 1)).astype(np.float32)
    distance = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
    mask = distance <= radius
    ring = (distance > radius) & (distance <= radius * 1.5)
    # The distractor: a blob in the corner farthest from the disc.
    dy, dx = np.where(cy < 0.5, 0.85, 0.15), np.where(cx < 0.5, 0.85, 0.15)
    blob = np.sqrt((yy - dy) ** 2 + (xx - dx) ** 2) <= radius * 0.8
    tint = rng.uniform(0.2, 0.8, (n, 1, 1, 3)).astype(np.float32)
    background = tint * (0.5 + 0.5 * np.stack([xx, yy, 1 - xx], axis=-1)[None])
    colour = rng.uniform(0.0, 1.0, (n, 1, 1, 3)).astype(np.float32)
    values = np.clip(np.where(mask[..., None], colour, background), 0, 1).astype(np.float32)
    if c == 1:
        values = values.mean(axis=-1, keepdims=True)
    values = values if len(shape) == 3 else values[..., 0]
    per_channel = np.full(c, 1.0 / c, np.float32)[None, None, None, :]

    def spread(map2d):  # [N, H, W] -> the input's shape, channel-summing back to map2d
        full = map2d[..., None] * per_channel
        return full if len(shape) == 3 else full[..., 0]

    pattern = np.where(mask, 1.0, 0.0) - 0.3 * ring
    return _Synthetic(
        spec=modalities.InputSpec(name, "image"),
        values=values,
        mask=mask,
        pattern=spread(pattern.astype(np.float32)),
        distractor=spread((blob * 1.0 - 0.2 * mask).astype(np.float32)),
        noise=spread(_smooth(rng, n, (h, w))),
        region=spread(mask.astype(np.float32)),
        decoy_region=spread(blob.astype(np.float32)),
    )


def _sequence(rng, n, shape, name, names, vocabulary_size) -> _Synthetic:
    from tb_attrib.summary import modalities

    steps, channels = shape
    time = np.arange(steps, dtype=np.float32)
    width = max(2, steps // 10)
    start = rng.integers(0, steps - width, n)
    other = (start + steps // 2) % (steps - width)
    window = (time[None] >= start[:, None]) & (time[None] < (start + width)[:, None])
    elsewhere = (time[None] >= other[:, None]) & (time[None] < (other + width)[:, None])
    burst_channel = np.arange(n) % channels
    base = np.sin(2 * np.pi * time[None, :, None] / rng.uniform(40, 120, (n, 1, channels)))
    values = (0.5 * base + 0.1 * rng.normal(size=(n, steps, channels))).astype(np.float32)
    bump = np.sin(np.pi * (time[None] - start[:, None]) / width) * window  # [N, T]
    onehot = np.eye(channels, dtype=np.float32)[burst_channel][:, None, :]  # [N, 1, C]
    values += 2.0 * bump[..., None] * onehot
    pattern = window[..., None] * (0.9 * onehot + 0.1) - 0.2 * elsewhere[..., None] * onehot
    distractor = elsewhere[..., None] * (0.9 * onehot + 0.1)
    channel_names = None
    if names:
        channel_names = [("x", "y", "z")[c] if c < 3 else f"ch {c}" for c in range(channels)]
        if channels > 3:
            channel_names[3] = TRICKY_NAMES[0]
    return _Synthetic(
        spec=modalities.InputSpec(name, "sequence", channel_names=channel_names),
        values=values,
        mask=window,
        pattern=pattern.astype(np.float32),
        distractor=distractor.astype(np.float32),
        noise=_smooth(rng, n, (steps, channels)),
        region=(window[..., None] * onehot).astype(np.float32),
        decoy_region=(elsewhere[..., None] * onehot).astype(np.float32),
    )


def _tabular(rng, n, shape, name, names, vocabulary_size) -> _Synthetic:
    from tb_attrib.summary import modalities

    (features,) = shape
    count = min(features, max(2, features // 10))
    informative = rng.permutation(features)[:count]
    decoys = np.setdiff1d(np.arange(features), informative)[: max(1, count // 2)]
    values = rng.normal(size=(n, features)).astype(np.float32)
    weights = np.zeros(features, np.float32)
    weights[informative] = np.where(np.arange(informative.size) % 3 == 2, -0.7, 1.0)
    mask = np.zeros((n, features), bool)
    mask[:, informative] = True
    # Evidence on the informative features: most for the class, every third against it.
    pattern = weights[None] * (np.abs(values) + 0.5)
    distractor = np.zeros((n, features), np.float32)
    distractor[:, decoys] = np.abs(values[:, decoys]) + 0.5
    decoy_region = np.zeros((n, features), np.float32)
    decoy_region[:, decoys] = 1.0
    feature_names = None
    if names:
        feature_names = [f"feature {i:03d}" for i in range(features)]
        for i, tricky in enumerate(TRICKY_NAMES[: max(0, features - 1)]):
            feature_names[(i * 7 + 1) % features] = tricky
    noise = _smooth(rng, n, (features,), waves=5) * 0.5
    return _Synthetic(
        spec=modalities.InputSpec(name, "tabular", feature_names=feature_names),
        values=values,
        mask=mask,
        pattern=pattern.astype(np.float32),
        distractor=distractor,
        noise=noise.astype(np.float32),
        region=(mask * (weights > 0)[None]).astype(np.float32),
        decoy_region=decoy_region,
    )


# fmt: off
_WORDS = (
    "the", "a", "movie", "film", "plot", "actor", "scene", "was", "is", "and", "but", "not",
    "very", "quite", "really", "story", "music", "ending", "camera", "it", "this", "that",
    "with", "of", "to", "in", "for", "on",
)
# fmt: on
_KEYWORDS = ("great", "wonderful", "brilliant", "awful", "boring", "terrible")


def _tokens(rng, n, shape, name, names, vocabulary_size) -> _Synthetic:
    from tb_attrib.summary import modalities

    (length,) = shape
    words = ["<pad>", "<unk>", *_KEYWORDS, *TRICKY_NAMES, *_WORDS]
    vocabulary = words + [f"w{i}" for i in range(max(0, vocabulary_size - len(words)))]
    vocabulary = vocabulary[: max(vocabulary_size, len(words))]
    first_keyword, plain = 2, 2 + len(_KEYWORDS)
    ids = rng.integers(plain, len(vocabulary), (n, length)).astype(np.int32)
    lengths = rng.integers(max(2, length // 2), length + 1, n)
    real = np.arange(length)[None] < lengths[:, None]
    ids[~real] = 0  # padding at the end
    mask = np.zeros((n, length), bool)
    decoy = np.zeros((n, length), bool)
    for i in range(n):
        spots = rng.choice(lengths[i], size=min(lengths[i], max(2, length // 20)), replace=False)
        half = max(1, spots.size // 2)
        ids[i, spots] = rng.integers(first_keyword, plain, spots.size)
        mask[i, spots[:half]] = True
        decoy[i, spots[half:]] = True
    pattern = mask * 1.0 - 0.25 * decoy
    return _Synthetic(
        spec=modalities.InputSpec(
            name, "tokens", vocabulary=vocabulary if names else None, padding_id=0
        ),
        values=ids,
        mask=mask,
        pattern=pattern.astype(np.float32),
        distractor=(decoy * 1.0 - 0.2 * mask).astype(np.float32),
        noise=(_smooth(rng, n, (length,), waves=6) * real).astype(np.float32),
        region=mask.astype(np.float32),
        decoy_region=decoy.astype(np.float32),
        support=real.astype(np.float32),
    )


_SYNTHESISERS = {"image": _image, "sequence": _sequence, "tabular": _tabular, "tokens": _tokens}
_INPUT_NAMES = {"image": "image", "sequence": "series", "tabular": "features", "tokens": "ids"}


def _input_name(kind: str, used: dict[str, int]) -> str:
    base = _INPUT_NAMES[kind]
    used[base] = used.get(base, 0) + 1
    return base if used[base] == 1 else f"{base}_{used[base] - 1}"


def _shapes(kinds: list[str], shape: object, realistic: bool) -> list[tuple[int, ...]]:
    for kind in kinds:
        if kind not in _SYNTHESISERS:
            raise ValueError(f"unknown modality {kind!r}; one of {sorted(_SYNTHESISERS)}")
    if shape is None:
        given = [None] * len(kinds)
    elif len(kinds) == 1 and all(isinstance(d, int | np.integer) for d in shape):
        given = [tuple(shape)]
    else:
        given = list(shape)
        if len(given) != len(kinds):
            raise ValueError(f"shape has {len(given)} entries for {len(kinds)} inputs")
    defaults = REALISTIC_SHAPES if realistic else SMALL_SHAPES
    return [
        tuple(int(d) for d in (s if s is not None else defaults[k]))
        for k, s in zip(kinds, given, strict=True)
    ]


def _column_names(head: str, columns: int) -> list[str]:
    if head == "binary":
        return ["negative", "positive"]
    prefix = {"multiclass": "class", "multilabel": "label", "regression": "output"}[head]
    names = [f"{prefix} {i}" for i in range(columns)]
    if columns > 1:
        names[1] = TRICKY_NAMES[0]
    return names


def _labels(head: str, n: int, width: int):
    """``(labels, label_values, targets)`` for the head."""
    rows = np.arange(n)
    if head == "multiclass":
        labels = (rows % width).astype(np.int32)
        return labels, None, labels
    if head == "binary":
        labels = (rows % 2).astype(np.int32)
        return labels, None, labels
    if head == "multilabel":
        hot = ((rows[:, None] + np.arange(width)[None]) % 3 == 0).astype(np.float32)
        hot[hot.sum(-1) == 0, 0] = 1.0
        return None, hot, hot.argmax(-1).astype(np.int32)
    values = 0.2 + 0.6 * ((rows[:, None] * 0.37 + np.arange(width) * 0.29) % 1.0)
    values = values.astype(np.float32)
    return None, values, np.zeros(n, np.int32)


def _other_class(head: str, targets: np.ndarray, columns: int) -> np.ndarray:
    return (1 - targets) if head == "binary" else (targets + 1) % columns


def _predictions(head, alphas, t, targets, chosen, label_values, columns) -> np.ndarray:
    """``[N, K, P]`` what the head predicts at each alpha (grows with alpha and progress)."""
    n, k = targets.size, alphas.size
    rise = (1 - np.exp(-5 * alphas))[None, :, None]  # [1, K, 1]
    rows = np.arange(n)
    if head == "regression":
        return (label_values[:, None, :] * rise * (0.5 + 0.5 * t)).astype(np.float32)
    if head == "multilabel":
        goal = np.where(label_values > 0, 0.6 + 0.35 * t, 0.4 - 0.3 * t)[:, None, :]
        return (0.5 + (goal - 0.5) * rise).astype(np.float32)
    logits = np.zeros((n, k, columns), np.float32)
    curve = rise[0, :, 0][None, :]  # [1, K]; fancy indexing below gives [N, K]
    logits[rows, :, chosen] += (1.0 + 3.0 * t) * curve
    logits[rows, :, targets] += 0.5 * curve * (chosen != targets)[:, None]
    exp = np.exp(logits - logits.max(-1, keepdims=True))
    return (exp / exp.sum(-1, keepdims=True)).astype(np.float32)


def _scores(head: str, predictions: np.ndarray, targets: np.ndarray):
    """``F(x)`` and ``F(baseline)`` of the explained column (the first alpha is near 0)."""
    rows = np.arange(targets.size)
    column = targets  # binary predictions are [1 - p, p]: the class is the column
    score_input = predictions[rows, -1, column].astype(np.float32)
    if head == "regression":
        return score_input, np.zeros_like(score_input)
    return score_input, predictions[rows, 0, column].astype(np.float32)


GALLERY = {
    "image": {"modality": "image", "feature_maps": True},
    "sequence": {"modality": "sequence"},
    "tabular": {"modality": "tabular"},
    "tokens": {"modality": "tokens"},
    "image_and_tabular": {"modality": ["image", "tabular"]},
    "binary": {"modality": "image", "head": "binary", "label_and_predicted": True},
    "regression": {"modality": "tabular", "head": "regression", "width": 2},
    "multilabel": {"modality": "sequence", "head": "multilabel"},
    "tokens_predicted": {"modality": "tokens", "label_and_predicted": True},
    "fixed_meta": {"modality": ["image", "tabular"], "fixed": [1]},
}
"""Runs :func:`write_modality_gallery` writes: one of each modality, head and input layout."""


def write_modality_gallery(
    root: Path | str, *, realistic: bool = False, **options: object
) -> dict[str, ModalityLog]:
    """Writes every run of :data:`GALLERY` under ``root`` (``options`` go to each run)."""
    return {
        name: write_modality_log(Path(root) / name, realistic=realistic, **{**case, **options})
        for name, case in GALLERY.items()
    }


if __name__ == "__main__":  # python tests/plugin_logs.py LOGDIR [--realistic]: to look at
    import argparse

    parser = argparse.ArgumentParser(description="Writes synthetic format-v2 tb_attrib logs.")
    parser.add_argument("logdir")
    parser.add_argument("--realistic", action="store_true", help="real-model input sizes")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--examples", type=int, default=8)
    args = parser.parse_args()
    write_modality_gallery(
        args.logdir, realistic=args.realistic, epochs=args.epochs, examples=args.examples
    )
    print(f"tensorboard --logdir {args.logdir}")
