"""The ``RUN`` objects of the ``runs`` route: what each run's probe and series hold.

Reads only digests (element 0) and the first probe example, so describing a run costs a few
small blob reads whatever the number of epochs. ``docs/format.md`` specifies the result.
The model's inputs and head come from the probe digest as written (format version 2), or the
version-1 defaults of :mod:`tb_attrib.plugin.layout`; names in them are passed on untouched.
"""

from __future__ import annotations

import math

import numpy as np

from tb_attrib.plugin import data, layout
from tb_attrib.summary import codec, metadata


def describe_runs(
    reader: data.SeriesReader, ctx: object, experiment_id: str
) -> list[dict[str, object]]:
    """Returns one ``RUN`` dict per run holding tb_attrib series, sorted by run name."""
    plans = [_Plan(run_data) for _, run_data in sorted(reader.runs(ctx, experiment_id).items())]
    blobs = reader.read_blobs(ctx, [ref for plan in plans for ref in plan.refs])
    out = []
    start = 0
    for plan in plans:
        out.append(plan.describe(blobs[start : start + len(plan.refs)]))
        start += len(plan.refs)
    return out


class _Plan:
    """Which records describe one run, and how to turn them into its ``RUN`` dict."""

    def __init__(self, run_data: data.RunData) -> None:
        self.index = run_data.index
        self.probe = run_data.get(metadata.KIND_PROBE)
        self.sweep = run_data.get(metadata.KIND_INTERIOR_GRADIENTS)
        self.ig = run_data.get(metadata.KIND_INTEGRATED_GRADIENTS)
        self.layers = dict(sorted(run_data.feature_layers().items()))
        self.methods = run_data.methods()
        probe_step = self.probe.newest_step() if self.probe else None
        self.refs = [
            self.probe.ref(probe_step, 0) if self.probe else None,
            self.probe.ref(probe_step, 1) if self.probe else None,
            _last_digest(self.sweep),
            _last_digest(self.ig),
        ]

    def describe(self, blobs: list[bytes | None]) -> dict[str, object]:
        warnings = list(self.index.warnings)
        probe_digest, probe_first, sweep_digest, ig_digest = (
            _decode(blob, series, warnings)
            for blob, series in zip(
                blobs, (self.probe, self.probe, self.sweep, self.ig), strict=True
            )
        )
        epochs = set()
        for series in (self.sweep, self.ig):
            if series is not None:
                epochs.update(series.steps)
        labels = probe_digest.arrays.get("labels") if probe_digest else None
        label_values = probe_digest.arrays.get("label_values") if probe_digest else None
        image = probe_first.arrays.get("image") if probe_first else None
        probe_fields = probe_digest.fields if probe_digest else {}
        problems: list[str] = []
        inputs = layout.input_descriptors(probe_fields, problems) if probe_digest else None
        warnings += [f"{self.probe.info.tag}: {problem}" for problem in problems]
        predictions = sweep_digest.arrays.get("predictions") if sweep_digest else None
        width = predictions.shape[-1] if predictions is not None and predictions.ndim else None
        width = layout.guess_width(width, probe_fields.get("class_names"))
        return {
            "run": self.index.run,
            "probe_tag": self.probe.info.tag if self.probe else None,
            "num_examples": _num_examples(probe_digest, sweep_digest, ig_digest),
            "input_shape": probe_fields.get("input_shape"),
            "image_shape": list(image.shape) if image is not None else None,
            "class_names": probe_fields.get("class_names"),
            "labels": labels.tolist() if labels is not None else None,
            "has_masks": bool(probe_first is not None and "mask" in probe_first.arrays),
            "sweep_tag": self.sweep.info.tag if self.sweep else None,
            "ig_tag": self.ig.info.tag if self.ig else None,
            "alphas": sweep_digest.fields.get("alphas") if sweep_digest else None,
            "ig": (
                {
                    "method": ig_digest.fields.get("method"),
                    "steps": ig_digest.fields.get("steps"),
                    "baseline": ig_digest.fields.get("baseline"),
                }
                if ig_digest
                else None
            ),
            "epochs": sorted(epochs),
            "methods": _methods(self.ig, self.methods),
            "probe_digest": _probe_digest(probe_fields),
            "feature_maps": [
                {"layer": layer, "tag": series.info.tag, "epochs": sorted(series.steps)}
                for layer, series in self.layers.items()
            ],
            "inputs": inputs,
            "head": layout.head(probe_fields if probe_digest else None, width),
            "label_values": _finite_rows(label_values),
            "format_version": self._format_version(),
            "warnings": list(dict.fromkeys(warnings)),
        }

    def _format_version(self) -> int | None:
        """The probe series' format version, else the newest of the readable series'."""
        if self.probe is not None:
            return int(self.probe.info.metadata.version)
        versions = [int(info.metadata.version) for info in self.index.tags.values()]
        return max(versions) if versions else None


def _methods(ig: data.Series | None, others: dict[str, data.Series]) -> list[dict[str, object]]:
    """IG's own series, then each other method's: ``{"name", "tag", "epochs"}``."""
    out = []
    if ig is not None:
        out.append({"name": "integrated_gradients", "tag": ig.info.tag, "epochs": sorted(ig.steps)})
    for name, series in others.items():
        out.append({"name": name, "tag": series.info.tag, "epochs": sorted(series.steps)})
    return out


def _probe_digest(fields: dict) -> str | None:
    """The probe's identity (``probe_sha256``: runs with the same one explain the same
    examples), or None for a probe written without it."""
    value = fields.get("probe_sha256")
    return value if isinstance(value, str) and value else None


def _last_digest(series: data.Series | None) -> data.BlobRef | None:
    if series is None or not series.steps:
        return None
    return series.ref(max(series.steps), 0)


def _decode(
    blob: bytes | None, series: data.Series | None, warnings: list[str]
) -> codec.Record | None:
    if blob is None or series is None:
        return None
    try:
        record = codec.decode_record(blob)
    except codec.RecordError as e:
        warnings.append(f"{series.info.tag}: unreadable record ({e})")
        return None
    return record


def _num_examples(*digests: codec.Record | None) -> int | None:
    """From the probe digest, else (a run without a readable probe) the sweep or IG digest."""
    for digest in digests:
        if digest is not None:
            count = _int_or_none(digest.fields.get("num_examples"))
            if count is not None:
                return count
    return None


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return int(value)


def _finite_rows(values: np.ndarray | None) -> list | None:
    """``[N, W]`` floats as JSON rows; a NaN or infinite value becomes null."""
    if values is None:
        return None
    rows = np.asarray(values, np.float64).reshape(values.shape[0] if values.ndim else 1, -1)
    return [[float(v) if math.isfinite(v) else None for v in row] for row in rows.tolist()]
