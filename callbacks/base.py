"""What the tb_attrib callbacks share: argument checks, the model check, the run's writer."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from tb_attrib.callbacks import writers


def check_freq(freq: object) -> int:
    """Returns ``freq`` if it is a positive int, else raises ValueError naming it."""
    if isinstance(freq, bool) or not isinstance(freq, int | np.integer) or freq < 1:
        raise ValueError(f"freq must be a positive int (write every freq epochs); got {freq!r}")
    return int(freq)


def check_run_name(run_name: object) -> str:
    if not isinstance(run_name, str) or not run_name or os.path.isabs(run_name):
        raise ValueError(f"run_name must be a relative directory name; got {run_name!r}")
    return run_name


def check_model(model: keras.Model, x: np.ndarray) -> int:
    """Checks that ``model`` is a single-input, single-output classifier that accepts ``x``.

    Returns:
      The number of classes (width of the output).

    Raises:
      ValueError: several inputs or outputs (not supported yet), a probe whose example shape
        differs from the model's input, or an output that is not ``[batch, num_classes]``.
    """
    inputs = symbolic_tensors(model, "inputs")
    if inputs is not None and len(inputs) > 1:
        raise ValueError(
            f"model has {len(inputs)} inputs; tb_attrib supports single-input models only "
            "(several inputs are not supported yet)"
        )
    outputs = symbolic_tensors(model, "outputs")
    if outputs is not None and len(outputs) > 1:
        raise ValueError(
            f"model has {len(outputs)} outputs; tb_attrib supports single-output classifiers "
            "only (several outputs are not supported yet)"
        )
    if inputs:
        expected = tuple(inputs[0].shape)[1:]
        if len(expected) != x.ndim - 1 or any(
            e is not None and e != a for e, a in zip(expected, x.shape[1:], strict=False)
        ):
            raise ValueError(
                f"probe_x has examples of shape {tuple(x.shape[1:])} but the model expects "
                f"inputs of shape {tuple(None if e is None else int(e) for e in expected)}"
            )
    try:
        out = model(x[:2], training=False)
    except Exception as e:  # any failure here means the probe does not fit the model
        raise ValueError(
            f"probe_x with examples of shape {tuple(x.shape[1:])} cannot be fed to the model: "
            f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        ) from None
    if isinstance(out, list | tuple | dict):
        raise ValueError(
            "model returns several outputs; tb_attrib supports single-output classifiers only "
            "(several outputs are not supported yet)"
        )
    if len(out.shape) != 2:
        raise ValueError(
            f"model output must be [batch, num_classes] class scores; got shape {tuple(out.shape)}"
        )
    return int(out.shape[1])


def symbolic_tensors(model: keras.Model, attribute: str) -> Sequence | None:
    """``model.inputs`` / ``model.outputs`` where they exist (not on subclassed models)."""
    try:
        value = getattr(model, attribute, None)
    except (AttributeError, ValueError):
        return None
    if value is None:
        return None
    return value if isinstance(value, list | tuple) else [value]


class RunCallback(keras.callbacks.Callback):
    """A callback that writes every ``freq`` epochs to ``log_dir/run_name``.

    Epoch numbers are Keras's own (0-based, starting at ``initial_epoch``), so every series
    lines up with ``keras.callbacks.TensorBoard`` on the same log directory.
    """

    def __init__(self, log_dir: str | os.PathLike, run_name: str, freq: int) -> None:
        super().__init__()
        if not isinstance(log_dir, str | os.PathLike) or not os.fspath(log_dir):
            raise ValueError(f"log_dir must be a directory path; got {log_dir!r}")
        self.log_dir = os.fspath(log_dir)
        self.run_name = check_run_name(run_name)
        self.freq = check_freq(freq)
        self.run_dir = os.path.join(self.log_dir, self.run_name)
        self._writer = None

    @property
    def writes(self) -> bool:
        """False on non-chief workers, which compute nothing and write nothing."""
        return self._writer is not None

    def _open_writer(self) -> None:
        if writers.is_chief(self._strategy()):
            writers.check_writable(self.run_dir, argument="log_dir")
            self._writer = writers.POOL.acquire(self.run_dir)

    def _close_writer(self) -> None:
        if self._writer is not None:
            writers.POOL.release(self.run_dir)
            self._writer = None

    def _strategy(self):
        return getattr(self.model, "distribute_strategy", None)

    @contextlib.contextmanager
    def _writing(self, step: int):
        """Makes this run's writer the default at ``step`` and records unconditionally.

        ``keras.callbacks.TensorBoard`` with a batch-level ``update_freq`` pushes its own writer
        *and* a ``tf.summary.record_if`` condition on its batch counter for the whole fit; without
        ``record_if(True)`` our end-of-epoch summaries would be dropped on most epochs.
        """
        with self._writer.as_default(step=step), tf.summary.record_if(True):
            yield
        self._writer.flush()

    def _due(self, epoch: int) -> bool:
        return self.writes and epoch % self.freq == 0

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close_writer()
