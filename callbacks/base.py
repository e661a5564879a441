"""What the tb_attrib callbacks share: argument checks, the probe check, the run's writer."""

from __future__ import annotations

import contextlib
import os
import time

import keras
import numpy as np
from keras.src.utils import io_utils

from tb_attrib.callbacks import dashboards, overhead, writers
from tb_attrib.engine import inputs


def check_freq(freq: object) -> int:
    """Returns ``freq`` if it is a positive int, else raises ValueError naming it."""
    if isinstance(freq, bool) or not isinstance(freq, int | np.integer) or freq < 1:
        raise ValueError(f"freq must be a positive int (write every freq epochs); got {freq!r}")
    return int(freq)


def check_run_name(run_name: object) -> str:
    if not isinstance(run_name, str) or not run_name or os.path.isabs(run_name):
        raise ValueError(f"run_name must be a relative directory name; got {run_name!r}")
    return run_name


def check_probe(model: keras.Model, x: object) -> None:
    """Checks that ``model`` accepts the probe ``x`` (any structure ``model.fit`` takes).

    Raises:
      ValueError: naming ``probe_x``: a structure that does not match the model's inputs
        (with their names and shapes), a shape the model does not declare, or a call that
        fails.
    """
    layout = inputs.layout_of(model, x)
    values = layout.split(x)
    for name, value, shape in zip(layout.names, values, layout.shapes, strict=True):
        if shape is None:
            continue
        fits = len(shape) == np.ndim(value) - 1 and all(
            d is None or d == a for d, a in zip(shape, np.shape(value)[1:], strict=True)
        )
        if not fits:
            which = "probe_x" if layout.count == 1 else f"probe_x input {name!r}"
            raise ValueError(
                f"{which} has examples of shape {tuple(np.shape(value)[1:])} but the model "
                f"expects inputs of shape {tuple(shape)}"
            )
    try:
        model(
            layout.assemble([keras.ops.convert_to_tensor(np.asarray(v)[:2]) for v in values]),
            training=False,
        )
    except Exception as e:  # any failure here means the probe does not fit the model
        raise ValueError(
            f"probe_x cannot be fed to the model (its inputs are {layout.describe()}): "
            f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        ) from None


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
        self._meter = overhead.OverheadMeter(type(self).__name__)

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
        ``record_if(True)`` (the TensorFlow writer's ``record_always``) our end-of-epoch
        summaries would be dropped on most epochs. TensorBoard's own writer, used without
        TensorFlow, has no such condition.
        """
        with self._writer.as_default(step=step), self._writer.record_always():
            yield
        self._writer.flush()

    def _due(self, epoch: int) -> bool:
        return self.writes and epoch % self.freq == 0

    # ---- the epoch template: timing around each subclass's _write_epoch ------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._meter = overhead.OverheadMeter(type(self).__name__)
        self._begin_fit()

    def _begin_fit(self) -> None:
        """Per-fit set-up of a subclass (checks, writer), before any epoch."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._meter.start_epoch()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self._due(epoch):
            return
        started = time.perf_counter()
        self._write_epoch(epoch, logs)
        seconds, share = self._meter.measure(started, time.perf_counter())
        with self._writing(epoch):
            dashboards.write(scalars=self._meter.scalars(seconds, share))
        message = self._meter.report(seconds, share, self.freq)
        if message and (self.params or {}).get("verbose", 1) != 0:
            io_utils.print_msg(message)

    def _write_epoch(self, epoch: int, logs: dict | None) -> None:
        """What a subclass computes and writes at a written epoch."""
        raise NotImplementedError

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close_writer()
