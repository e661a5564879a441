"""The ``ActivationSummaries`` callback: what each layer outputs on the probe, every epoch."""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras
import numpy as np

from tb_attrib.callbacks import base, dashboards
from tb_attrib.callbacks import probe as probe_lib
from tb_attrib.engine import forward
from tb_attrib.engine import inputs as inputs_lib
from tb_attrib.summary import metadata, summary_v2

DEFAULT_MAX_CHANNELS = 16
_SKIPPED_LAYERS = (keras.layers.InputLayer, keras.layers.Dropout)


def leaf_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Every layer of ``model`` that holds no sublayers, nested models included, in order."""
    found = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, _SKIPPED_LAYERS):
            continue
        if list(layer._flatten_layers(include_self=False, recursive=False)):
            continue  # a container: its leaves are listed on their own
        found.append(layer)
    return found


def unique_names(layers: Sequence[keras.layers.Layer]) -> list[str]:
    """Layer names, made unique with a ``_1``, ``_2`` suffix (nested models may repeat them)."""
    seen: dict[str, int] = {}
    names = []
    for layer in layers:
        count = seen.get(layer.name, 0)
        seen[layer.name] = count + 1
        names.append(layer.name if count == 0 else f"{layer.name}_{count}")
    return names


def is_conv(layer: keras.layers.Layer) -> bool:
    """Convolution layers, whose rank-4 outputs are shown as feature maps."""
    return "Conv" in type(layer).__name__ and "Transpose" not in type(layer).__name__


class LayerCapture:
    """Outputs of chosen layers for a batch.

    Works alike for Functional, Sequential (with or without an ``Input``) and subclassed
    models: while the model runs, each chosen layer's ``call`` is wrapped to record its output,
    then restored. On TensorFlow this happens once, while one ``tf.function`` is traced, and
    the graph keeps returning those outputs; on JAX and PyTorch the model runs eagerly with the
    wrappers in place (JAX reads the variables Keras synced for the callback).
    """

    def __init__(
        self, model: keras.Model, layers: Sequence[keras.layers.Layer], names: Sequence[str]
    ):
        self.model = model
        self.layers = list(layers)
        self.names = list(names)
        self._fn = self._run
        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            self._fn = tf.function(self._run, reduce_retracing=True)

    def _run(self, x: object) -> dict[str, object]:
        captured: dict[str, object] = {}
        recorders = {}
        for name, layer in zip(self.names, self.layers, strict=True):
            bound = layer.call

            def recording(*args, _bound=bound, _name=name, **kwargs):
                out = _bound(*args, **kwargs)
                if keras.ops.is_tensor(out):
                    captured[_name] = keras.ops.cast(out, "float32")
                return out

            recorders[layer] = recording
        with forward.replaced_calls(recorders):
            self.model(x, training=False)
        return captured

    def __call__(self, x: object) -> dict[str, np.ndarray]:
        tensors = keras.tree.map_structure(keras.ops.convert_to_tensor, x)
        with _no_gradients():
            found = self._fn(tensors)
        return {name: keras.ops.convert_to_numpy(value) for name, value in found.items()}


def _no_gradients():
    """PyTorch records no autograd graph for the capture; other backends need nothing."""
    if keras.backend.backend() == "torch":
        import torch

        return torch.no_grad()
    import contextlib

    return contextlib.nullcontext()


class ActivationSummaries(base.RunCallback):
    """Writes per-layer activation summaries of a fixed probe batch every ``freq`` epochs.

    To ``log_dir/run_name``, for TensorBoard's own dashboards:
    ``activations/<layer>`` histograms (Histograms and Distributions tabs) and
    ``activations/<layer>/mean``, ``.../std`` and ``.../fraction_zero`` scalars. For the
    tb_attrib dashboard: the feature maps of convolution layers for every probe example
    (``tb_attrib/feature_maps/<layer>``).

    Feature maps are bounded to ``max_channels`` channels per layer: the ones whose mean
    activation varies most across the probe examples at the first written epoch (channels that
    tell the examples apart; dead channels are never chosen before live ones). The same
    channels are kept for the rest of training, so one cell of the grid always shows one filter.

    Args:
      log_dir: Log directory (the same one ``keras.callbacks.TensorBoard`` gets is fine).
      probe_x: A probe in any form ``Attributions`` takes (an array, a list or dict of arrays
        for several inputs, or a ``tf.data.Dataset``).
      layers: Names of the layers to summarise; None for every leaf layer (Dropout and input
        layers excepted).
      freq: Write every ``freq`` epochs.
      max_channels: Most channels of feature maps kept per conv layer.
      feature_maps: Write feature maps of conv layers for the dashboard.
      probe_size: Examples taken from a dataset probe.
      run_name: Sub-directory of ``log_dir`` to write to (shared with ``Attributions``, so
        that the dashboard shows feature maps beside the attributions of the same examples).
    """

    def __init__(
        self,
        log_dir: str | os.PathLike,
        probe_x: object,
        *,
        layers: Sequence[str] | None = None,
        freq: int = 1,
        max_channels: int = DEFAULT_MAX_CHANNELS,
        feature_maps: bool = True,
        probe_size: int = probe_lib.DEFAULT_DATASET_PROBE_SIZE,
        run_name: str = "probe",
    ) -> None:
        super().__init__(log_dir, run_name, freq)
        if layers is not None and (
            isinstance(layers, str) or not all(isinstance(n, str) for n in layers)
        ):
            raise ValueError(f"layers must be None or a list of layer names; got {layers!r}")
        if isinstance(max_channels, bool) or not isinstance(max_channels, int) or max_channels < 1:
            raise ValueError(f"max_channels must be a positive int; got {max_channels!r}")
        self.layer_names = None if layers is None else list(layers)
        self.max_channels = max_channels
        self.feature_maps = bool(feature_maps)
        self.probe_size = probe_size
        self._probe_x = probe_x
        self._probe = None if probe_lib.is_dataset(probe_x) else probe_lib.make_probe(probe_x)
        self._capture: LayerCapture | None = None
        self._channels: dict[str, np.ndarray] = {}
        self._conv: set[str] = set()

    def _begin_fit(self) -> None:
        if self._probe is None:
            inputs = inputs_lib.symbolic_tensors(self.model, "inputs")
            rank = len(inputs[0].shape) if inputs else None
            self._probe = probe_lib.make_probe(
                self._probe_x, dataset_size=self.probe_size, model_input_rank=rank
            )
        self._channels = {}  # per fit: a new fit may bring another model
        base.check_probe(self.model, self._probe.x)
        layers = leaf_layers(self.model)
        names = unique_names(layers)
        if self.layer_names is not None:
            unknown = [n for n in self.layer_names if n not in names]
            if unknown:
                raise ValueError(
                    f"layers names {unknown} that the model does not have; its layers are {names}"
                )
            keep = [i for i, n in enumerate(names) if n in self.layer_names]
            layers, names = [layers[i] for i in keep], [names[i] for i in keep]
        self._conv = {n for n, layer in zip(names, layers, strict=True) if is_conv(layer)}
        self._open_writer()
        if self.writes:
            self._capture = LayerCapture(self.model, layers, names)

    def _write_epoch(self, epoch: int, logs: dict | None) -> None:
        self._capture.model = self.model  # on JAX, reading self.model syncs the training state
        outputs = self._capture(self._probe.x)
        histograms, scalars = {}, {}
        for name, value in outputs.items():
            finite = value[np.isfinite(value)]
            histograms[f"activations/{name}"] = finite
            scalars[f"activations/{name}/mean"] = finite.mean() if finite.size else np.nan
            scalars[f"activations/{name}/std"] = finite.std() if finite.size else np.nan
            scalars[f"activations/{name}/fraction_zero"] = np.mean(value == 0.0)
        with self._writing(epoch):
            dashboards.write(histograms=histograms, scalars=scalars)
            if not self.feature_maps:
                return
            for name, value in outputs.items():
                if name in self._conv and value.ndim == 4:
                    summary_v2.feature_maps(
                        metadata.TAG_FEATURE_MAPS_PREFIX + name,
                        value,
                        layer=name,
                        channels=self._channels_of(name, value),
                    )

    def _channels_of(self, name: str, value: np.ndarray) -> np.ndarray:
        if name not in self._channels:
            spread = value.mean(axis=(1, 2)).std(axis=0)  # [C]: variation across examples
            liveness = np.abs(value).mean(axis=(0, 1, 2))
            order = np.lexsort((-spread, ~(liveness > 0)))  # live first, then by spread
            self._channels[name] = np.sort(order[: self.max_channels]).astype(np.int32)
        return self._channels[name]
