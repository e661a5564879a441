"""Read tb_attrib series back from a log directory as NumPy arrays, for notebooks.

Loading goes through TensorBoard's own machinery (``EventMultiplexer`` and
``MultiplexerDataProvider``, with every tb_attrib step kept) and the same series lookup as
the TensorBoard plugin (:mod:`tb_attrib.plugin.data`), so a notebook sees what the dashboard
shows: series found by the kind in their metadata, future format versions reported in
``warnings`` rather than misread, maps dequantised with
:func:`tb_attrib.summary.codec.dequantize_maps`.

Example::

    >>> import tb_attrib
    >>> runs = tb_attrib.load("logs/demo")                      # doctest: +SKIP
    >>> runs                       # a summary: shapes and dtypes, never values  # doctest: +SKIP
    <tb_attrib.reader.Log 'logs/demo': 1 run
      'probe': 16 examples, image [32, 32, 3], multiclass head, labelled (4 classes), masks; ...
        sweep: 10 alphas, sweep_maps float32 [3, 16, 10, 32, 32]; ig: trapezoid 32 steps, ...
        feature maps: conv2d float32 [3, 16, 8, 30, 30], ...>
    >>> run = runs["probe"]                                      # doctest: +SKIP
    >>> run.epochs                                               # doctest: +SKIP
    array([0, 1, 2])
    >>> run.ig_maps.shape          # [epochs, examples, H, W]    # doctest: +SKIP
    (3, 16, 32, 32)
    >>> run.sweep_maps[-1, 0].shape  # last epoch, example 0: [alphas, H, W]  # doctest: +SKIP
    (10, 32, 32)
    >>> run.ig_delta[:, 0]         # completeness delta of example 0, per epoch  # doctest: +SKIP
    array([ 0.0123, -0.0031,  0.0008], dtype=float32)
    >>> run.class_names[run.labels[0]]                           # doctest: +SKIP
    'circle'

Arrays are indexed ``[epoch index, example, ...]`` over ``run.epochs`` (the sorted union of
the epochs of the sweep and IG series); an epoch that lacks a series holds NaN there (and -1
in integer arrays). Memory grows with epochs x examples x alphas x map size: pass ``runs`` or
``epochs`` to read less of a large log.

A model with several inputs, or an input that is not an image (format version 2), reads the
same way: ``run.inputs`` holds one :class:`InputAttributions` per model input, in the
model's order, with its display (images, values or token ids) and its maps; the run-level
``images``, ``masks``, ``sweep_maps``, ``ig_maps`` and ``ig_predicted_maps`` are those of
the first input (the very same arrays as ``run.inputs[0]``'s)::

    >>> run.inputs[1].modality, run.inputs[1].feature_names    # doctest: +SKIP
    ('tabular', ['age', 'income', 'score'])
    >>> run.inputs[1].ig_maps.shape  # [epochs, examples, F]     # doctest: +SKIP
    (3, 16, 3)
    >>> run.head["kind"]                                         # doctest: +SKIP
    'multiclass'

A version-1 log reads as one image input named ``"input"`` of a multiclass head.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tb_attrib.engine import baseline_health as health_lib
from tb_attrib.plugin import layout
from tb_attrib.summary import codec, metadata

if TYPE_CHECKING:
    from tb_attrib.plugin import data

__all__ = ["FeatureMaps", "InputAttributions", "Log", "RunAttributions", "load"]


@dataclasses.dataclass
class FeatureMaps:
    """Feature maps of one layer.

    Attributes:
      layer: Layer name.
      tag: Tag of the series.
      epochs: ``[E]`` epochs that hold this series.
      channels: ``[Ck]`` indices of the stored channels (newest epoch's selection).
      total_channels: Channels of the layer.
      maps: ``[E, N, Ck, h, w]`` dequantised activations.
      mean: ``[E, N, Ck]`` mean activation of each stored channel (exact).
    """

    layer: str
    tag: str
    epochs: np.ndarray
    channels: np.ndarray
    total_channels: int
    maps: np.ndarray
    mean: np.ndarray

    def __repr__(self) -> str:
        return f"<tb_attrib.reader.FeatureMaps {self.layer!r}: {_feature_maps_summary(self)}>"


@dataclasses.dataclass
class InputAttributions:
    """One model input of a run: how the probe shows it, and its maps.

    Shapes use E epochs, N examples, K alphas, and the input's modality's map shape ``*map``:
    ``[H, W]`` for an image (signed sum over channels), ``[T, C]`` for a sequence, ``[F]``
    for tabular features, ``[T]`` for tokens (summed over the embedding). Names (of the input,
    its features, channels and tokens) are returned exactly as written.

    Attributes:
      index: Position ``j`` of the input among the model's inputs (its arrays and fields
        carry the suffix ``@j`` in the records when ``j > 0``).
      name: The model's name for the input (``"input"`` in a version-1 log).
      modality: ``"image"``, ``"sequence"``, ``"tabular"`` or ``"tokens"``; another string
        (written by a newer tb_attrib) is kept, and then ``display`` is None.
      shape: Shape of one example of the input.
      attributed: False for an input held fixed along the path: it has no maps.
      display: ``[N, ...]`` what the probe stores to show the input: uint8 display images
        ``[N, H, W, 1 or 3]``, float32 values ``[N, T, C]`` (sequence) or ``[N, F]``
        (tabular), int32 token ids ``[N, T]``; None for an unknown modality or a missing
        probe example.
      tokens: For a token input written with a vocabulary, per example its T token strings
        (None for an example without them); None otherwise.
      feature_names: ``[F]`` names of a tabular input's features, or None.
      channel_names: ``[C]`` names of a sequence's channels, or None.
      padding_id: Token id that is padding (not drawn), or None.
      display_range: Image inputs: input values mapped to 0 and 255 in ``display``; else None.
      value_range: Sequence inputs: ``(low, high)`` of the probe's finite values; else None.
      masks: ``[N, *positions]`` uint8 ground-truth masks (1 inside; positions are pixels
        ``[H, W]``, time steps ``[T]``, features ``[F]`` or tokens ``[T]``), or None.
      sweep_maps: ``[E, N, K, *map]`` gradients at each alpha, or None (no sweep, or not
        attributed).
      ig_maps: ``[E, N, *map]`` integrated gradients, or None.
      ig_predicted_maps: ``[E, N, *map]`` integrated gradients of the predicted class of
        misclassified examples (``target="label_and_predicted"``), NaN where an example
        has none; None when the run has no such maps.
      method_maps: ``{method: [E, N, *map]}`` the maps of each method beside IG
        (``Attributions(methods=...)``: ``"smoothgrad"``, ``"guided_ig"``, ...), NaN where
        an epoch lacks one; empty when the run writes IG only.
      descriptor: The probe digest's descriptor of the input as written, including any field
        this version does not know.
    """

    index: int
    name: str
    modality: str
    shape: tuple[int, ...]
    attributed: bool = True
    display: np.ndarray | None = None
    tokens: list[list[str] | None] | None = None
    feature_names: list[str] | None = None
    channel_names: list[str] | None = None
    padding_id: int | None = None
    display_range: tuple[float, float] | None = None
    value_range: tuple[float, float] | None = None
    masks: np.ndarray | None = None
    sweep_maps: np.ndarray | None = None
    ig_maps: np.ndarray | None = None
    ig_predicted_maps: np.ndarray | None = None
    descriptor: dict = dataclasses.field(default_factory=dict)
    method_maps: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<tb_attrib.reader.InputAttributions {_input_summary(self)}>"


@dataclasses.dataclass
class RunAttributions:
    """Everything tb_attrib wrote for one run. Shapes use E epochs, N examples, K alphas.

    The arrays of the model's inputs (``images``, ``masks``, ``sweep_maps``, ``ig_maps``,
    ``ig_predicted_maps``) are those of its *first* input; ``inputs`` holds every input's,
    the first one's being the very same arrays. ``*map`` is the first input's map shape
    (``[H, W]`` for an image; see :class:`InputAttributions`).

    Attributes:
      run: Run name (path relative to the log directory).
      epochs: ``[E]`` sorted epochs holding a sweep or integrated gradients.
      images: ``[N, H, W, 1 or 3]`` uint8 display images of the probe, or None (also when
        the first input is not an image).
      masks: ``[N, *positions]`` uint8 masks of the first input (1 inside; ``[N, H, W]``
        for an image), or None.
      labels: ``[N]`` int32 class labels, or None (unlabelled probe, or labels given as
        ``label_values``).
      label_values: ``[N, W]`` float32 labels of a multi-label (multi-hot rows) or
        regression (target values) head, or None.
      class_names: Names of the classes (or outputs), or None.
      input_shape: Shape of one example of the first input, or None.
      display_range: Input values mapped to 0 and 255 in ``images``, or None.
      format_version: Summary format version of the probe series (else the newest of the
        run's readable series), or None.
      head: The model's head as written in the probe, ``{"kind": "multiclass" | "binary" |
        "multilabel" | "regression", "width": W, "output_kind": "probabilities" |
        "logits", "output": name or None}``. A probe that names none (format version 1,
        or written without ``head=``) reads as ``{"kind": "multiclass", "width": W,
        "output_kind": "probabilities", "output": None}``, W from the predictions (else
        the class names, else None). None without a readable probe.
      inputs: One :class:`InputAttributions` per model input, in the model's order (a
        version-1 log: one image input named ``"input"``); empty without a readable probe.
      alphas: ``[K]`` alphas of the sweep, or None.
      targets: ``[E, N]`` int32 target class (or explained output) per example (-1 where
        absent).
      sweep_maps: ``[E, N, K, *map]`` gradients at each alpha (channel-summed for images).
      predictions: ``[E, N, K, P]`` what the head predicts at each alpha: class probabilities
        (binary: ``[1 - p, p]``), each output's probability (multi-label), or the predicted
        values (regression).
      abs_mean: ``[E, N, K]`` mean absolute gradient over every input, at each alpha.
      ig_maps: ``[E, N, *map]`` integrated gradients (channel-summed for images).
      ig_delta: ``[E, N]`` completeness delta ``sum(IG) - (F(x) - F(baseline))``.
      ig_relative_delta: ``[E, N]`` relative completeness as written (the engine's
        ``|delta| / max(|F(x) - F(baseline)|, floor)``); for records that lack it (format
        version 1) ``|delta| / |F(x) - F(baseline)|``.
      ig_score_input: ``[E, N]`` target score ``F(x)``.
      ig_score_baseline: ``[E, N]`` target score ``F(baseline)``.
      ig_attribution_sum: ``[E, N]`` sum of the attributions.
      ig_steps: ``[E]`` points of the largest rule any example used (-1 where absent).
      ig_method: Quadrature rule of the newest IG epoch, or None.
      ig_predicted_target: ``[E, N]`` int32 predicted class of each example the model got
        wrong, whose IG of that class was written too (``target="label_and_predicted"``);
        -1 where an example has none. None when the run has no predicted-class maps.
      ig_predicted_delta: ``[E, N]`` completeness delta of those maps (NaN where absent),
        or None.
      ig_predicted_maps: ``[E, N, *map]`` those maps for the first input (NaN where absent),
        or None.
      method_maps: ``{method: [E, N, *map]}`` the first input's maps of each method beside
        IG (``Attributions(methods=...)``), NaN where an epoch lacks one; every input's are in
        ``inputs[j].method_maps``. Empty when the run writes IG only.
      baseline: Baseline name of the newest sweep or IG epoch, or None.
      ig_baseline_predictions: ``[E, N, P]`` what the head predicted on each example's
        baseline (mean over draws; NaN where absent), or None for logs written without it
        (before baseline health was recorded). :meth:`baseline_health` reads it.
      ig_baseline_affected: ``[E, N]`` bool: the baseline is the example's explained class
        at 90% or more, so its map explains a change near zero; None as above.
      trust: The checks of the IG maps (docs/format.md, "Trust") that the run holds, by name:
        ``deletion_auc``, ``insertion_auc``, ``random_auc``, ``stability``, ``sanity`` as
        ``[E, N]`` float32 (NaN where an epoch has none: ``sanity`` is only at sanity-check
        epochs), and the curves ``fractions``, ``deletion``, ``insertion``, ``random_order``
        as ``[E, N, S + 1]``. Empty for logs without checks.
      feature_maps: Feature maps by layer name.
      warnings: Series that could not be read (for example, written by a newer tb_attrib).
    """

    run: str
    epochs: np.ndarray
    images: np.ndarray | None = None
    masks: np.ndarray | None = None
    labels: np.ndarray | None = None
    class_names: list[str] | None = None
    input_shape: tuple[int, ...] | None = None
    display_range: tuple[float, float] | None = None
    alphas: np.ndarray | None = None
    targets: np.ndarray | None = None
    sweep_maps: np.ndarray | None = None
    predictions: np.ndarray | None = None
    abs_mean: np.ndarray | None = None
    ig_maps: np.ndarray | None = None
    ig_delta: np.ndarray | None = None
    ig_score_input: np.ndarray | None = None
    ig_score_baseline: np.ndarray | None = None
    ig_attribution_sum: np.ndarray | None = None
    ig_steps: np.ndarray | None = None
    ig_method: str | None = None
    baseline: str | None = None
    feature_maps: dict[str, FeatureMaps] = dataclasses.field(default_factory=dict)
    warnings: list[str] = dataclasses.field(default_factory=list)
    label_values: np.ndarray | None = None
    format_version: int | None = None
    head: dict | None = None
    inputs: list[InputAttributions] = dataclasses.field(default_factory=list)
    ig_relative_delta: np.ndarray | None = None
    ig_predicted_target: np.ndarray | None = None
    ig_predicted_delta: np.ndarray | None = None
    ig_predicted_maps: np.ndarray | None = None
    method_maps: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    ig_baseline_predictions: np.ndarray | None = None
    ig_baseline_affected: np.ndarray | None = None
    trust: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def baseline_health(self, epoch: int | None = None) -> health_lib.BaselineHealth | None:
        """The baseline's health at ``epoch`` (default the newest), as the callback assessed
        it: its top class and probability per example, the examples affected, and
        ``.message(class_names, baseline, epoch)``, the warning in words. None when the log
        does not record it or lacks that epoch."""
        if self.ig_baseline_predictions is None or len(self.epochs) == 0:
            return None
        epoch = int(self.epochs[-1]) if epoch is None else int(epoch)
        rows = np.flatnonzero(self.epochs == epoch)
        if rows.size == 0 or not np.all(np.isfinite(self.ig_baseline_predictions[rows[0]])):
            return None
        e = int(rows[0])
        return health_lib.BaselineHealth(
            predictions=self.ig_baseline_predictions[e],
            target=self.targets[e],
            change=self.ig_score_input[e] - self.ig_score_baseline[e],
            is_classifier=(self.head or {}).get("kind") != "regression",
        )

    def __repr__(self) -> str:
        head, *rest = _run_summary(self)
        lines = [f"<tb_attrib.reader.RunAttributions {self.run!r}: {head}"]
        lines += [f"  {line}" for line in rest]
        return "\n".join(lines) + ">"


class Log(dict):
    """What :func:`load` returns: ``{run name: RunAttributions}`` with a short ``repr``.

    A ``dict`` in every other respect. Its ``repr`` (what a notebook shows) summarises each
    run in a few lines: examples, epochs, and the shapes and dtypes of the arrays, never
    their values.

    Attributes:
      logdir: The log directory it was read from.
    """

    MAX_RUNS_SHOWN = 8
    """Runs summarised in the ``repr``; the others are only counted."""

    def __init__(self, runs: object = (), *, logdir: str | Path = "") -> None:
        super().__init__(runs)
        self.logdir = str(logdir)

    def __repr__(self) -> str:
        count = len(self)
        if not count:
            return f"<tb_attrib.reader.Log {self.logdir!r}: no runs with tb_attrib data>"
        lines = [f"<tb_attrib.reader.Log {self.logdir!r}: {_plural(count, 'run')}"]
        for name, run in list(self.items())[: self.MAX_RUNS_SHOWN]:
            if not isinstance(run, RunAttributions):
                lines.append(f"  {name!r}: {type(run).__name__}")
                continue
            head, *rest = _run_summary(run)
            lines.append(f"  {name!r}: {head}")
            lines += [f"    {line}" for line in rest]
        if count > self.MAX_RUNS_SHOWN:
            lines.append(f"  ... and {_plural(count - self.MAX_RUNS_SHOWN, 'more run')}")
        return "\n".join(lines) + ">"


def load(
    logdir: str | Path,
    *,
    runs: Iterable[str] | None = None,
    epochs: Iterable[int] | None = None,
) -> Log:
    """Reads every run of ``logdir`` that holds tb_attrib series.

    Args:
      logdir: Log directory, as given to ``tensorboard --logdir``.
      runs: Only these run names (default: all).
      epochs: Only these epochs (default: all).

    Returns:
      A :class:`Log`: ``{run name: RunAttributions}``, sorted by run name, whose ``repr``
      is a short summary.
    """
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider as tb_data_provider
    from tensorboard.backend.event_processing import plugin_event_multiplexer

    from tb_attrib.plugin import data

    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={metadata.PLUGIN_NAME: 0}  # 0 keeps every step
    )
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    reader = data.SeriesReader(
        tb_data_provider.MultiplexerDataProvider(data.NewestWritePerStep(multiplexer), str(logdir)),
        cache_bytes=0,
        index_ttl=0,
    )
    ctx = context.RequestContext()
    wanted_runs = set(runs) if runs is not None else None
    wanted_epochs = set(epochs) if epochs is not None else None
    result = Log(logdir=logdir)
    for name, run_data in sorted(reader.runs(ctx, "").items()):
        if wanted_runs is None or name in wanted_runs:
            result[name] = _RunLoader(reader, ctx, run_data, wanted_epochs).load()
    return result


class _RunLoader:
    """Reads and assembles one run's series."""

    def __init__(
        self,
        reader: data.SeriesReader,
        ctx: object,
        run_data: data.RunData,
        epochs: set[int] | None,
    ) -> None:
        self.reader, self.ctx, self.run_data, self.wanted = reader, ctx, run_data, epochs
        self.warnings = list(run_data.index.warnings)

    def load(self) -> RunAttributions:
        run_data = self.run_data
        probe = run_data.get(metadata.KIND_PROBE)
        sweep = run_data.get(metadata.KIND_INTERIOR_GRADIENTS)
        ig = run_data.get(metadata.KIND_INTEGRATED_GRADIENTS)
        epochs = sorted(self._steps(sweep) | self._steps(ig))
        out = RunAttributions(run=run_data.run, epochs=np.asarray(epochs, dtype=np.int64))
        out.format_version = _format_version(probe, run_data)
        probe_fields = self._load_probe(out, probe)
        if sweep is not None:
            self._load_sweep(out, sweep, epochs)
        if ig is not None:
            self._load_ig(out, ig, epochs)
        if probe_fields is not None:
            width = out.predictions.shape[-1] if out.predictions is not None else None
            width = layout.guess_width(width if width else None, out.class_names)
            out.head = layout.head(probe_fields, width)
        if out.inputs:
            first = out.inputs[0]
            out.sweep_maps, out.ig_maps = first.sweep_maps, first.ig_maps
            out.ig_predicted_maps = first.ig_predicted_maps
        for name, series in run_data.methods().items():
            self._load_method(out, name, series, epochs)
        for layer, series in sorted(run_data.feature_layers().items()):
            maps = self._load_feature_maps(layer, series)
            if maps is not None:
                out.feature_maps[layer] = maps
        out.warnings = list(dict.fromkeys(self.warnings))
        return out

    def _steps(self, series: data.Series | None) -> set[int]:
        if series is None:
            return set()
        return {s for s in series.steps if self.wanted is None or s in self.wanted}

    def _records(self, series: data.Series, step: int) -> list[codec.Record | None]:
        """Every element of one step, decoded (None for unreadable ones, with a warning)."""
        blobs = self.reader.read_blobs(self.ctx, list(series.steps[step]))
        records = []
        for blob in blobs:
            try:
                records.append(codec.decode_record(blob) if blob is not None else None)
            except codec.RecordError as e:
                self.warnings.append(f"{series.info.tag}: unreadable record ({e})")
                records.append(None)
        return records

    def _load_probe(self, out: RunAttributions, series: data.Series | None) -> dict | None:
        """Fills the probe's attributes and ``out.inputs``; returns the digest's fields."""
        step = series.newest_step() if series is not None else None
        if step is None:
            return None
        digest, *examples = self._records(series, step)
        if digest is None:
            return None
        fields = digest.fields
        out.class_names = fields.get("class_names")
        out.input_shape = tuple(fields["input_shape"]) if fields.get("input_shape") else None
        if "labels" in digest.arrays:
            out.labels = np.array(digest.arrays["labels"])
        if "label_values" in digest.arrays:
            out.label_values = np.array(digest.arrays["label_values"])
        problems: list[str] = []
        descriptors = layout.input_descriptors(fields, problems) or []
        self.warnings += [f"{series.info.tag}: {problem}" for problem in problems]
        if not all(r is not None for r in examples):
            examples = []
        out.inputs = [_input(j, d, examples) for j, d in enumerate(descriptors)]
        for item in out.inputs:
            if item.modality not in layout.DISPLAY_ARRAYS:
                self.warnings.append(
                    f"{series.info.tag}: input {item.index} has modality {item.modality!r}, "
                    "unknown to this tb_attrib (no display)"
                )
        if out.inputs:  # the run-level arrays are the first input's
            first = out.inputs[0]
            out.images = first.display if first.modality == "image" else None
            out.masks, out.display_range = first.masks, first.display_range
        else:
            out.images = _stack_examples(examples, "image")
            out.masks = _stack_examples(examples, "mask")
            low_high = fields.get("display_range")
            out.display_range = tuple(low_high) if low_high else None
        return fields

    def _load_sweep(self, out: RunAttributions, series: data.Series, epochs: list[int]) -> None:
        digests, examples = self._gather(series, epochs)
        first = _first(digests)
        if first is None:
            return
        out.alphas = np.asarray(first.fields["alphas"], dtype=np.float32)
        out.baseline = _newest(digests).fields.get("baseline")
        out.targets = _stack_digest(digests, "targets", np.int32, -1)
        out.predictions = _stack_digest(digests, "predictions", np.float32, np.nan)
        out.abs_mean = _stack_digest(digests, "abs_mean", np.float32, np.nan)
        if not out.inputs:
            out.sweep_maps = _stack_maps(examples, "maps", "scales")
        for item in out.inputs:
            if item.attributed:
                tail = layout.suffix(item.index)
                item.sweep_maps = _stack_maps(examples, "maps" + tail, "scales" + tail)

    def _load_ig(self, out: RunAttributions, series: data.Series, epochs: list[int]) -> None:
        digests, examples = self._gather(series, epochs)
        newest = _newest(digests)
        if newest is None:
            return
        out.ig_method = newest.fields.get("method")
        if out.baseline is None:
            out.baseline = newest.fields.get("baseline")
        if out.targets is None:
            out.targets = _stack_digest(digests, "targets", np.int32, -1)
        out.ig_delta = _stack_digest(digests, "delta", np.float32, np.nan)
        out.ig_score_input = _stack_digest(digests, "score_input", np.float32, np.nan)
        out.ig_score_baseline = _stack_digest(digests, "score_baseline", np.float32, np.nan)
        out.ig_attribution_sum = _stack_digest(digests, "attribution_sum", np.float32, np.nan)
        out.ig_relative_delta = _relative_delta(digests, out)
        if any(d is not None and "baseline_predictions" in d.arrays for d in digests):
            predictions = _stack_digest(digests, "baseline_predictions", np.float32, np.nan)
            out.ig_baseline_predictions = predictions
            affected = _stack_digest(digests, "baseline_affected", np.uint8, 0)
            out.ig_baseline_affected = affected.astype(bool)
        out.ig_steps = np.asarray(
            [d.fields.get("steps", -1) if d is not None else -1 for d in digests], dtype=np.int64
        )
        out.trust = _trust(digests, examples)
        predicted = _stack_example_fields(examples, "predicted_target")
        if predicted is not None:
            out.ig_predicted_target = predicted
            out.ig_predicted_delta = _stack_example_arrays(examples, "predicted_delta")
        if not out.inputs:
            out.ig_maps = _stack_maps(examples, "map", "scale")
            if predicted is not None:
                out.ig_predicted_maps = _stack_maps(examples, "predicted_map", "predicted_scale")
        for item in out.inputs:
            if not item.attributed:
                continue
            tail = layout.suffix(item.index)
            item.ig_maps = _stack_maps(examples, "map" + tail, "scale" + tail)
            if predicted is not None:
                item.ig_predicted_maps = _stack_maps(
                    examples, "predicted_map" + tail, "predicted_scale" + tail
                )

    def _load_method(
        self, out: RunAttributions, name: str, series: data.Series, epochs: list[int]
    ) -> None:
        """The maps of one method beside IG, per input, at the run's epochs."""
        _, examples = self._gather(series, epochs)
        items = out.inputs or [None]
        for item in items:
            if item is not None and not item.attributed:
                continue
            tail = layout.suffix(item.index) if item is not None else ""
            maps = _stack_maps(examples, "map" + tail, "scale" + tail)
            if maps is None:
                continue
            if item is not None:
                item.method_maps[name] = maps
            if item is None or item.index == 0:
                out.method_maps[name] = maps

    def _load_feature_maps(self, layer: str, series: data.Series) -> FeatureMaps | None:
        epochs = sorted(self._steps(series))
        digests, examples = self._gather(series, epochs)
        newest = _newest(digests)
        if newest is None:
            return None
        maps = _stack_maps(examples, "maps", "scales")
        return FeatureMaps(
            layer=layer,
            tag=series.info.tag,
            epochs=np.asarray(epochs, dtype=np.int64),
            channels=np.array(newest.arrays["channels"]),
            total_channels=int(newest.fields.get("total_channels", 0)),
            maps=maps if maps is not None else np.zeros((len(epochs), 0), np.float32),
            mean=_stack_digest(digests, "mean", np.float32, np.nan),
        )

    def _gather(
        self, series: data.Series, epochs: list[int]
    ) -> tuple[list[codec.Record | None], list[list[codec.Record | None]]]:
        """Per epoch of ``epochs``: the digest, and the example records (None if absent)."""
        digests, examples = [], []
        for epoch in epochs:
            if epoch in series.steps:
                digest, *records = self._records(series, epoch)
            else:
                digest, records = None, []
            digests.append(digest)
            examples.append(records)
        return digests, examples


def _format_version(probe: data.Series | None, run_data: data.RunData) -> int | None:
    """The probe series' format version, else the newest of the run's readable series."""
    if probe is not None:
        return int(probe.info.metadata.version)
    versions = [int(s.info.metadata.version) for s in run_data.series.values()]
    return max(versions) if versions else None


def _input(j: int, descriptor: dict, examples: list[codec.Record]) -> InputAttributions:
    """Input ``j`` from its probe descriptor and the probe's example records."""
    tail = layout.suffix(j)
    modality = str(descriptor.get("modality"))
    display_name = layout.DISPLAY_ARRAYS.get(modality)
    item = InputAttributions(
        index=j,
        name=descriptor.get("name"),
        modality=modality,
        shape=tuple(int(d) for d in descriptor.get("shape", ())),
        attributed=bool(descriptor.get("attributed", True)),
        display=_stack_examples(examples, display_name + tail) if display_name else None,
        masks=_stack_examples(examples, "mask" + tail),
        display_range=layout.display_range(descriptor),
        descriptor=descriptor,
    )
    for key in layout.NAME_LISTS:
        names = descriptor.get(key)
        if isinstance(names, list):
            setattr(item, key, list(names))
    if modality == "sequence":
        value_range = descriptor.get("value_range")
        if isinstance(value_range, list) and len(value_range) == 2:
            item.value_range = (float(value_range[0]), float(value_range[1]))
    if modality == "tokens":
        padding = descriptor.get("padding_id")
        item.padding_id = padding if isinstance(padding, int) else None
        tokens = [r.fields.get("tokens" + tail) for r in examples]
        tokens = [list(t) if isinstance(t, list) else None for t in tokens]
        item.tokens = tokens if any(t is not None for t in tokens) else None
    return item


def _stack_examples(examples: list[codec.Record], name: str) -> np.ndarray | None:
    """``[N, ...]`` array ``name`` of every example; None unless all hold it, equally shaped."""
    arrays = [r.arrays.get(name) for r in examples]
    if not arrays or any(a is None for a in arrays):
        return None
    if any(a.shape != arrays[0].shape for a in arrays):
        return None
    return np.stack(arrays)


def _stack_example_fields(examples: list[list], name: str) -> np.ndarray | None:
    """``[E, N]`` int32 field ``name`` of the example records, -1 where absent; None when no
    record holds it."""
    if not any(r is not None and name in r.fields for records in examples for r in records):
        return None
    count = max((len(records) for records in examples), default=0)
    out = np.full((len(examples), count), -1, dtype=np.int32)
    for i, records in enumerate(examples):
        for j, record in enumerate(records):
            value = record.fields.get(name) if record is not None else None
            if isinstance(value, int) and not isinstance(value, bool):
                out[i, j] = value
    return out


def _stack_example_arrays(examples: list[list], name: str) -> np.ndarray:
    """``[E, N]`` float32 scalar array ``name`` of the example records, NaN where absent."""
    count = max((len(records) for records in examples), default=0)
    out = np.full((len(examples), count), np.nan, dtype=np.float32)
    for i, records in enumerate(examples):
        for j, record in enumerate(records):
            value = record.arrays.get(name) if record is not None else None
            if value is not None and value.size == 1:
                out[i, j] = float(value.reshape(()))
    return out


_TRUST_SCALARS = ("deletion_auc", "insertion_auc", "random_auc", "stability", "sanity")
_TRUST_CURVES = ("fractions", "deletion", "insertion", "random_order")


def _trust(digests: list, examples: list[list]) -> dict[str, np.ndarray]:
    """The IG checks the run holds: digest arrays ``[E, N]``, example curves ``[E, N, L]``."""
    found = {}
    for name in _TRUST_SCALARS:
        if any(d is not None and name in d.arrays for d in digests):
            found[name] = _stack_digest(digests, name, np.float32, np.nan)
    for name in _TRUST_CURVES:
        curves = [
            r.arrays[name] for rs in examples for r in rs if r is not None and name in r.arrays
        ]
        if not curves:
            continue
        count = max(len(records) for records in examples)
        out = np.full((len(examples), count, curves[0].shape[0]), np.nan, np.float32)
        for i, records in enumerate(examples):
            for j, record in enumerate(records):
                value = None if record is None else record.arrays.get(name)
                if value is not None and value.shape == curves[0].shape:
                    out[i, j] = value
        found[name] = out
    return found


def _relative_delta(digests: list, out: RunAttributions) -> np.ndarray:
    """``[E, N]`` relative completeness as written; computed for digests that lack it."""
    written = _stack_digest(digests, "relative_delta", np.float32, np.nan)
    if written.shape != out.ig_delta.shape:
        written = np.full(out.ig_delta.shape, np.nan, np.float32)
    if out.ig_score_input.shape != written.shape or out.ig_score_baseline.shape != written.shape:
        return written  # no scores to compute it from
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = np.abs(out.ig_delta) / np.abs(out.ig_score_input - out.ig_score_baseline)
    for i, digest in enumerate(digests):
        if digest is not None and "relative_delta" not in digest.arrays:
            written[i] = computed[i]
    return written


def _first(records: list) -> codec.Record | None:
    return next((r for r in records if r is not None), None)


def _newest(records: list) -> codec.Record | None:
    return next((r for r in reversed(records) if r is not None), None)


def _stack_digest(digests: list, name: str, dtype: type, fill: float) -> np.ndarray:
    """Stacks the digest array ``name`` over epochs, filling absent epochs with ``fill``."""
    template = next((d.arrays[name] for d in digests if d is not None and name in d.arrays), None)
    if template is None:
        return np.full((len(digests), 0), fill, dtype=dtype)
    out = np.full((len(digests), *template.shape), fill, dtype=dtype)
    for i, digest in enumerate(digests):
        if digest is not None and name in digest.arrays:
            value = digest.arrays[name]
            if value.shape == template.shape:
                out[i] = value
    return out


def _stack_maps(examples: list[list], codes: str, scales: str) -> np.ndarray | None:
    """``[E, N, *map shape]`` dequantised maps ``codes``; NaN where an epoch or example (or
    its map) is absent; None when no record holds ``codes``."""
    template = next(
        (r.arrays[codes] for records in examples for r in records if r and codes in r.arrays),
        None,
    )
    if template is None:
        return None
    count = max(len(records) for records in examples)
    shape = template.shape
    out = np.full((len(examples), count, *shape), np.nan, dtype=np.float32)
    for i, records in enumerate(examples):
        for j, record in enumerate(records):
            if record is None or codes not in record.arrays or scales not in record.arrays:
                continue
            if record.arrays[codes].shape == shape:
                out[i, j] = codec.dequantize_maps(record.arrays[codes], record.arrays[scales])
    return out


# Summaries for the reprs: counts, ranges, shapes and dtypes only, never array values.

_MAX_LAYERS_SHOWN = 4
_MAX_INPUTS_SHOWN = 4


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _array(array: np.ndarray) -> str:
    return f"{array.dtype} {list(array.shape)}"


def _epochs(epochs: np.ndarray) -> str:
    if len(epochs) == 0:
        return "no epochs"
    if len(epochs) == 1:
        return f"epoch {int(epochs[0])}"
    return f"epochs {int(epochs[0])}-{int(epochs[-1])} ({len(epochs)})"


def _run_summary(run: RunAttributions) -> list[str]:
    """One to three lines: probe and epochs; sweep and IG; feature maps and warnings."""
    count = _example_count(run)
    probe = [_plural(count, "example") if count is not None else "no probe"]
    if run.inputs:
        shown = [_input_short(item) for item in run.inputs[:_MAX_INPUTS_SHOWN]]
        if len(run.inputs) > _MAX_INPUTS_SHOWN:
            shown.append(_plural(len(run.inputs) - _MAX_INPUTS_SHOWN, "more input"))
        probe.append(" + ".join(shown))
    else:
        if run.input_shape is not None:
            probe[0] += f" {list(run.input_shape)}"
        if run.images is None and count is not None:
            probe.append("no probe images")
    if run.head is not None:
        probe.append(f"{run.head.get('kind')} head")
    if run.labels is not None:
        classes = run.class_names
        probe.append(
            f"labelled ({_plural(len(classes), 'class', 'classes')})" if classes else "labelled"
        )
    if run.label_values is not None:
        probe.append(f"label values {list(run.label_values.shape)}")
    if run.masks is not None or any(item.masks is not None for item in run.inputs):
        probe.append("masks")
    lines = [", ".join(probe) + "; " + _epochs(run.epochs)]
    series = []
    if run.alphas is not None or run.sweep_maps is not None:
        alphas = _plural(len(run.alphas), "alpha") if run.alphas is not None else "no alphas"
        maps = f", sweep_maps {_array(run.sweep_maps)}" if run.sweep_maps is not None else ""
        series.append(f"sweep: {alphas}{maps}")
    if run.ig_method is not None or run.ig_maps is not None:
        steps = np.unique(run.ig_steps[run.ig_steps >= 0]) if run.ig_steps is not None else []
        if len(steps) == 1:
            rule = f" {int(steps[0])} steps"
        elif len(steps) > 1:
            rule = f" {int(steps[0])}-{int(steps[-1])} steps"
        else:
            rule = ""
        maps = f", ig_maps {_array(run.ig_maps)}" if run.ig_maps is not None else ""
        second = ", predicted-class maps" if run.ig_predicted_target is not None else ""
        series.append(f"ig: {run.ig_method}{rule}{maps}{second}")
    if run.method_maps:
        series.append("methods: " + ", ".join(run.method_maps))
    if series:
        if len(run.inputs) > 1:
            series.append("maps of input 0 (every input's in .inputs)")
        lines.append("; ".join(series))
    extra = []
    if run.feature_maps:
        shown = [
            f"{layer} {_array(maps.maps)}"
            for layer, maps in list(run.feature_maps.items())[:_MAX_LAYERS_SHOWN]
        ]
        if len(run.feature_maps) > _MAX_LAYERS_SHOWN:
            shown.append(f"{len(run.feature_maps) - _MAX_LAYERS_SHOWN} more")
        extra.append("feature maps: " + ", ".join(shown))
    if run.ig_baseline_affected is not None and run.ig_baseline_affected.any():
        first = int(run.epochs[np.flatnonzero(run.ig_baseline_affected.any(axis=1))[0]])
        extra.append(f"baseline confidently classified from epoch {first} (.baseline_health())")
    if run.warnings:
        extra.append(f"{_plural(len(run.warnings), 'warning')} (see .warnings)")
    if extra:
        lines.append("; ".join(extra))
    return lines


def _example_count(run: RunAttributions) -> int | None:
    for array in (
        run.images,
        run.inputs[0].display if run.inputs else None,
        run.labels,
        run.label_values,
    ):
        if array is not None:
            return int(array.shape[0])
    if run.targets is not None and run.targets.ndim == 2:
        return int(run.targets.shape[1])
    return None


def _input_short(item: InputAttributions) -> str:
    """``modality [shape]``, and ``(fixed)`` for an input without maps: no names, no values."""
    text = f"{item.modality} {list(item.shape)}"
    return text if item.attributed else text + " (fixed)"


def _input_summary(item: InputAttributions) -> str:
    parts = [f"{item.index} {item.name!r}: {_input_short(item)}"]
    if item.display is not None:
        parts.append(f"display {_array(item.display)}")
    for name in ("sweep_maps", "ig_maps", "ig_predicted_maps"):
        value = getattr(item, name)
        if value is not None:
            parts.append(f"{name} {_array(value)}")
    return ", ".join(parts)


def _feature_maps_summary(maps: FeatureMaps) -> str:
    return (
        f"{len(maps.channels)} of {maps.total_channels} channels, maps {_array(maps.maps)}; "
        f"{_epochs(maps.epochs)}"
    )
