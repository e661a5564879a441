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
      'probe': 16 examples [32, 32, 3], labelled (4 classes), masks; epochs 0-2 (3)
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
in integer arrays). Memory grows with epochs x examples x alphas x H x W: pass ``runs`` or
``epochs`` to read less of a large log.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tb_attrib.summary import codec, metadata

if TYPE_CHECKING:
    from tb_attrib.plugin import data

__all__ = ["FeatureMaps", "Log", "RunAttributions", "load"]


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
class RunAttributions:
    """Everything tb_attrib wrote for one run. Shapes use E epochs, N examples, K alphas.

    Attributes:
      run: Run name (path relative to the log directory).
      epochs: ``[E]`` sorted epochs holding a sweep or integrated gradients.
      images: ``[N, H, W, 1 or 3]`` uint8 display images of the probe, or None.
      masks: ``[N, H, W]`` uint8 object masks (1 inside), or None.
      labels: ``[N]`` int32 labels, or None for an unlabelled probe.
      class_names: Class names, or None.
      input_shape: Shape of one model input, or None.
      display_range: Input values mapped to 0 and 255 in ``images``, or None.
      alphas: ``[K]`` alphas of the sweep, or None.
      targets: ``[E, N]`` int32 target class per example (-1 where absent).
      sweep_maps: ``[E, N, K, H, W]`` channel-summed gradients at each alpha.
      predictions: ``[E, N, K, C]`` class probabilities at each alpha.
      abs_mean: ``[E, N, K]`` mean absolute gradient over the whole input, at each alpha.
      ig_maps: ``[E, N, H, W]`` channel-summed integrated gradients.
      ig_delta: ``[E, N]`` completeness delta ``sum(IG) - (F(x) - F(baseline))``.
      ig_score_input: ``[E, N]`` target score ``F(x)``.
      ig_score_baseline: ``[E, N]`` target score ``F(baseline)``.
      ig_attribution_sum: ``[E, N]`` sum of the attributions.
      ig_steps: ``[E]`` points of the largest rule any example used (-1 where absent).
      ig_method: Quadrature rule of the newest IG epoch, or None.
      baseline: Baseline name of the newest sweep or IG epoch, or None.
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
        sweep = run_data.get(metadata.KIND_INTERIOR_GRADIENTS)
        ig = run_data.get(metadata.KIND_INTEGRATED_GRADIENTS)
        epochs = sorted(self._steps(sweep) | self._steps(ig))
        out = RunAttributions(run=run_data.run, epochs=np.asarray(epochs, dtype=np.int64))
        self._load_probe(out, run_data.get(metadata.KIND_PROBE))
        if sweep is not None:
            self._load_sweep(out, sweep, epochs)
        if ig is not None:
            self._load_ig(out, ig, epochs)
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

    def _load_probe(self, out: RunAttributions, series: data.Series | None) -> None:
        step = series.newest_step() if series is not None else None
        if step is None:
            return
        digest, *examples = self._records(series, step)
        if digest is None:
            return
        fields = digest.fields
        out.class_names = fields.get("class_names")
        out.input_shape = tuple(fields["input_shape"]) if fields.get("input_shape") else None
        low_high = fields.get("display_range")
        out.display_range = tuple(low_high) if low_high else None
        if "labels" in digest.arrays:
            out.labels = np.array(digest.arrays["labels"])
        if examples and all(r is not None for r in examples):
            out.images = np.stack([r.arrays["image"] for r in examples])
            if all("mask" in r.arrays for r in examples):
                out.masks = np.stack([r.arrays["mask"] for r in examples])

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
        out.sweep_maps = _stack_maps(examples, "maps", "scales")

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
        out.ig_steps = np.asarray(
            [d.fields.get("steps", -1) if d is not None else -1 for d in digests], dtype=np.int64
        )
        out.ig_maps = _stack_maps(examples, "map", "scale")

    def _load_feature_maps(self, layer: str, series: data.Series) -> FeatureMaps | None:
        epochs = sorted(self._steps(series))
        digests, examples = self._gather(series, epochs)
        newest = _newest(digests)
        if newest is None:
            return None
        return FeatureMaps(
            layer=layer,
            tag=series.info.tag,
            epochs=np.asarray(epochs, dtype=np.int64),
            channels=np.array(newest.arrays["channels"]),
            total_channels=int(newest.fields.get("total_channels", 0)),
            maps=_stack_maps(examples, "maps", "scales"),
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


def _stack_maps(examples: list[list], codes: str, scales: str) -> np.ndarray:
    """``[E, N, *map shape]`` dequantised maps; NaN where an epoch or example is absent."""
    template = next((r for records in examples for r in records if r is not None), None)
    if template is None:
        return np.zeros((len(examples), 0), dtype=np.float32)
    count = max(len(records) for records in examples)
    shape = template.arrays[codes].shape
    out = np.full((len(examples), count, *shape), np.nan, dtype=np.float32)
    for i, records in enumerate(examples):
        for j, record in enumerate(records):
            if record is not None and record.arrays[codes].shape == shape:
                out[i, j] = codec.dequantize_maps(record.arrays[codes], record.arrays[scales])
    return out


# Summaries for the reprs: counts, ranges, shapes and dtypes only, never array values.

_MAX_LAYERS_SHOWN = 4


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
    if run.images is not None:
        count = int(run.images.shape[0])
    elif run.targets is not None and run.targets.ndim == 2:
        count = int(run.targets.shape[1])
    else:
        count = None
    probe = [_plural(count, "example") if count is not None else "no probe"]
    if run.input_shape is not None:
        probe[0] += f" {list(run.input_shape)}"
    if run.images is None and count is not None:
        probe.append("no probe images")
    if run.labels is not None:
        classes = run.class_names
        probe.append(
            f"labelled ({_plural(len(classes), 'class', 'classes')})" if classes else "labelled"
        )
    if run.masks is not None:
        probe.append("masks")
    lines = [", ".join(probe) + "; " + _epochs(run.epochs)]
    series = []
    if run.sweep_maps is not None:
        alphas = _plural(len(run.alphas), "alpha") if run.alphas is not None else "no alphas"
        series.append(f"sweep: {alphas}, sweep_maps {_array(run.sweep_maps)}")
    if run.ig_maps is not None:
        steps = np.unique(run.ig_steps[run.ig_steps >= 0]) if run.ig_steps is not None else []
        if len(steps) == 1:
            rule = f" {int(steps[0])} steps"
        elif len(steps) > 1:
            rule = f" {int(steps[0])}-{int(steps[-1])} steps"
        else:
            rule = ""
        series.append(f"ig: {run.ig_method}{rule}, ig_maps {_array(run.ig_maps)}")
    if series:
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
    if run.warnings:
        extra.append(f"{_plural(len(run.warnings), 'warning')} (see .warnings)")
    if extra:
        lines.append("; ".join(extra))
    return lines


def _feature_maps_summary(maps: FeatureMaps) -> str:
    return (
        f"{len(maps.channels)} of {maps.total_channels} channels, maps {_array(maps.maps)}; "
        f"{_epochs(maps.epochs)}"
    )
