"""The ``WeightHistograms`` callback: every weight, in TensorBoard's own dashboards."""

from __future__ import annotations

import os

import numpy as np

from tb_attrib.callbacks import base, dashboards


class WeightHistograms(base.RunCallback):
    """Writes a histogram of every weight of the model every ``freq`` epochs.

    Tags are the weights' Keras paths (``conv2d/kernel``, ``dense/bias``, ...), shown in
    TensorBoard's Histograms and Distributions tabs under the run ``log_dir/run_name``.
    Non-trainable weights (BatchNormalization moving statistics, for example) are included.

    Args:
      log_dir: Log directory (the same one ``keras.callbacks.TensorBoard`` gets is fine).
      freq: Write every ``freq`` epochs.
      run_name: Sub-directory of ``log_dir`` to write to.
    """

    def __init__(self, log_dir: str | os.PathLike, *, freq: int = 1, run_name: str = "weights"):
        super().__init__(log_dir, run_name, freq)

    def _begin_fit(self) -> None:
        self._open_writer()

    def _write_epoch(self, epoch: int, logs: dict | None) -> None:
        histograms = {}
        for variable in self.model.weights:
            tag = (getattr(variable, "path", None) or variable.name).replace(":", "_")
            histograms[tag] = np.asarray(variable.numpy(), dtype=np.float32)
        with self._writing(epoch):
            dashboards.write(histograms=histograms)
