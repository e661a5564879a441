"""Synthetic tb_attrib logs for the serve-side tests, written with the public write ops.

Every record says which epoch it belongs to, so a test can check that a served record is
the one written for that epoch: the ``baseline`` field of sweep and IG records is
``"e<epoch>"``, and feature-map activations of epoch ``e`` have the maximum ``e + 1``.

:func:`written_records` reads event files back byte for byte, independently of
TensorBoard's data providers, as the ground truth the routes must match.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
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
