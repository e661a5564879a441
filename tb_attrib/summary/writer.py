"""How a tb_attrib record reaches an event file, with TensorFlow or without it.

Everything tb_attrib writes is a ``Summary`` protobuf built here with TensorBoard's own protos
(a ``TensorProto`` of strings for the blob sequences, ``histogram_pb``/``scalar_pb`` for the
dashboards' summaries) and handed to a writer as it is. Two writers carry it to disk:

- ``"tensorflow"``: a ``tf.summary.create_file_writer`` writer; the summary goes through
  ``tf.summary.experimental.write_raw_pb``, so it honours ``tf.summary``'s default writer, step
  and ``record_if`` and interleaves with ``keras.callbacks.TensorBoard`` and a user's own
  ``writer.as_default(step=...)`` blocks.
- ``"tensorboard"``: TensorBoard's ``EventFileWriter`` (the one PyTorch's ``SummaryWriter`` is
  built on), for JAX and PyTorch users without TensorFlow.

Both write the same event bytes apart from the wall time (``tests/test_writer.py``).
:func:`create_file_writer` picks ``"tensorflow"`` when TensorFlow is loaded the first time
it chooses (Keras on the TensorFlow backend, a training loop that imported it), else
``"tensorboard"``, and keeps that choice for the process: a JAX or PyTorch process that merely
has TensorFlow installed is not made to start it (its first eager op would reserve most of the
GPU's memory), even after TensorBoard's writer imported it for ``tf.io.gfile``. The
``backend`` argument or the environment variable ``TB_ATTRIB_SUMMARY_WRITER``
(``tensorflow``, ``tensorboard`` or ``auto``) chooses::

    writer = tb_attrib.summary.create_file_writer("logs/probe")
    with writer.as_default(step=epoch):
        tb_attrib.summary.probe("tb_attrib/probe", x_probe, labels=y_probe)

The write functions go to the innermost default writer entered with ``as_default`` of a writer
of this module; when none is, to ``tf.summary``'s default writer if TensorFlow is loaded (a
user's own ``tf.summary.create_file_writer(...).as_default()`` block); else they write nothing
and return False. Only the ``"tensorflow"`` writer imports TensorFlow (TensorBoard's own writer
imports it for ``tf.io.gfile`` where it is installed, without starting its runtime).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

ENV_VAR = "TB_ATTRIB_SUMMARY_WRITER"
"""Environment variable naming the writer backend: ``tensorflow``, ``tensorboard`` or ``auto``."""

TENSORFLOW = "tensorflow"
TENSORBOARD = "tensorboard"
BACKENDS = (TENSORFLOW, TENSORBOARD)

# The process's automatic choice, made once: TensorBoard's EventFileWriter imports TensorFlow
# where it is installed (for tf.io.gfile), which must not turn the next choice to TensorFlow.
_auto_choice: str | None = None


def resolve_backend(backend: str | None = None) -> str:
    """The writer backend to use: ``backend``, else ``$TB_ATTRIB_SUMMARY_WRITER``, else
    (``"auto"``) ``"tensorflow"`` when TensorFlow was loaded at the process's first automatic
    choice and ``"tensorboard"`` when it was not.

    Raises:
      ValueError: an unknown name.
      ImportError: ``"tensorflow"`` asked for where TensorFlow is not installed.
    """
    chosen = backend if backend is not None else os.environ.get(ENV_VAR, "") or "auto"
    chosen = str(chosen).strip().lower()
    if chosen == "auto":
        global _auto_choice
        if _auto_choice is None:
            _auto_choice = TENSORFLOW if _tensorflow_loaded() else TENSORBOARD
        return _auto_choice
    if chosen not in BACKENDS:
        source = "backend" if backend is not None else ENV_VAR
        raise ValueError(f"{source} must be one of {(*BACKENDS, 'auto')}; got {chosen!r}")
    if chosen == TENSORFLOW and not _tensorflow_installed():
        raise ImportError(
            "the 'tensorflow' summary writer needs TensorFlow, which is not installed; "
            "use backend='tensorboard' (TensorBoard's own event-file writer)"
        )
    return chosen


def create_file_writer(
    logdir: str | os.PathLike,
    *,
    backend: str | None = None,
    max_queue: int = 10,
    flush_millis: int = 10_000,
) -> SummaryWriter:
    """A summary writer for ``logdir`` (created if missing), on :func:`resolve_backend`'s
    backend. ``max_queue`` and ``flush_millis`` are ``tf.summary.create_file_writer``'s."""
    logdir = os.fspath(logdir)
    if resolve_backend(backend) == TENSORFLOW:
        return TensorFlowWriter(logdir, max_queue=max_queue, flush_millis=flush_millis)
    return TensorBoardWriter(logdir, max_queue=max_queue, flush_millis=flush_millis)


class SummaryWriter:
    """What tb_attrib needs of a writer: a default-writer block, flush and close."""

    backend: str = ""

    def __init__(self, logdir: str) -> None:
        self.logdir = logdir

    @contextlib.contextmanager
    def as_default(self, step: int | None = None) -> Iterator[SummaryWriter]:
        """Makes this the default writer (and ``step`` the default step, when given) inside the
        block; flushes on a normal exit, like ``tf.summary``'s."""
        raise NotImplementedError

    def record_always(self) -> contextlib.AbstractContextManager:
        """A block in which summaries are recorded whatever ``tf.summary.record_if`` an
        enclosing block set (``keras.callbacks.TensorBoard`` with a batch-level ``update_freq``
        sets one for the whole fit). A no-op for writers that have no such condition."""
        return contextlib.nullcontext()

    def flush(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _write(self, summary: summary_pb2.Summary, step: int | None) -> bool:
        raise NotImplementedError

    def _tag(self, name: str) -> str:
        return name


class TensorFlowWriter(SummaryWriter):
    """A ``tf.summary.create_file_writer`` writer (``tf_writer``)."""

    backend = TENSORFLOW

    def __init__(self, logdir: str, *, max_queue: int = 10, flush_millis: int = 10_000) -> None:
        super().__init__(logdir)
        import tensorflow as tf

        self._tf = tf
        self.tf_writer = tf.summary.create_file_writer(
            logdir, max_queue=max_queue, flush_millis=flush_millis
        )

    @contextlib.contextmanager
    def as_default(self, step: int | None = None) -> Iterator[SummaryWriter]:
        with self.tf_writer.as_default(step=step), _entered(self, None):
            yield self

    def record_always(self) -> contextlib.AbstractContextManager:
        return self._tf.summary.record_if(True)

    def flush(self) -> None:
        self.tf_writer.flush()

    def close(self) -> None:
        self.tf_writer.close()

    def _write(self, summary: summary_pb2.Summary, step: int | None) -> bool:
        return _tf_write(self._tf, summary, step)

    def _tag(self, name: str) -> str:
        return _tf_tag(self._tf, name)


class TensorBoardWriter(SummaryWriter):
    """TensorBoard's ``EventFileWriter``: no TensorFlow needed."""

    backend = TENSORBOARD

    def __init__(self, logdir: str, *, max_queue: int = 10, flush_millis: int = 10_000) -> None:
        super().__init__(logdir)
        from tensorboard.summary.writer import event_file_writer

        # events.out.tfevents.<time>.<host>.<pid>.<n>.tb_attrib.v2: TensorBoard reads any
        # "*tfevents*" file; the suffix keeps the name apart from a tf.summary writer's
        # (<pid>.<n>.v2, its own counter) created in the same directory in the same second.
        self._events = event_file_writer.EventFileWriter(
            logdir,
            max_queue_size=max_queue,
            flush_secs=max(flush_millis, 1) / 1000.0,
            filename_suffix=".tb_attrib.v2",
        )
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def as_default(self, step: int | None = None) -> Iterator[SummaryWriter]:
        with _entered(self, step):
            yield self
            self.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._closed:
                self._events.flush()

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._events.close()

    def _write(self, summary: summary_pb2.Summary, step: int | None) -> bool:
        if step is None:
            step = _default_step()
            if step is None:
                raise ValueError(
                    "No step set: pass step= to the write op or to writer.as_default(step=...)"
                )
        event = event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary)
        with self._lock:
            if self._closed:
                raise ValueError(f"the summary writer of {self.logdir!r} is closed")
            self._events.add_event(event)
        return True


# ---- the records ---------------------------------------------------------------------------


def blob_sequence_pb(
    tag: str, records: Sequence[bytes], metadata: summary_pb2.SummaryMetadata
) -> summary_pb2.Summary:
    """One blob-sequence value: ``records`` as a rank-1 string tensor, as ``tf.summary.write``
    of ``tf.constant(records)`` stores it."""
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=len(records))]
        ),
        string_val=[bytes(r) for r in records],
    )
    summary = summary_pb2.Summary()
    summary.value.add(tag=tag, tensor=tensor, metadata=metadata)
    return summary


def dashboards_pb(
    histograms: Mapping[str, np.ndarray] | None = None,
    scalars: Mapping[str, float] | None = None,
) -> summary_pb2.Summary:
    """Standard v2 histogram and scalar values (TensorBoard's ``histogram_pb``/``scalar_pb``),
    as the Histograms, Distributions and Scalars dashboards read them, in one ``Summary``."""
    from tensorboard.plugins.histogram import summary_v2 as histogram_summary
    from tensorboard.plugins.scalar import summary_v2 as scalar_summary

    summary = summary_pb2.Summary()
    for tag, values in (histograms or {}).items():
        data = np.asarray(values, dtype=np.float64).reshape(-1)
        summary.value.extend(histogram_summary.histogram_pb(tag, data).value)
    for tag, value in (scalars or {}).items():
        summary.value.extend(scalar_summary.scalar_pb(tag, float(value)).value)
    return summary


# ---- writing to the default writer ---------------------------------------------------------


def write_blob_sequence(
    name: str,
    records: Sequence[bytes],
    metadata: summary_pb2.SummaryMetadata,
    step: int | None = None,
) -> bool:
    """Writes ``records`` as the blob sequence ``name`` to the default writer.

    On the TensorFlow path the tag is ``name`` under the enclosing ``tf.name_scope``, as
    ``tf.summary`` ops name theirs. Returns False when no default writer is set.

    Raises:
      ValueError: no ``step`` given and no default step set.
    """
    target = _target()
    if target is None:
        return False
    return target._write(blob_sequence_pb(target._tag(name), records, metadata), step)


def write_pb(summary: summary_pb2.Summary, step: int | None = None) -> bool:
    """Writes a ``Summary`` to the default writer as it is; False when none is set."""
    target = _target()
    if target is None:
        return False
    return target._write(summary, step)


def default_writer() -> SummaryWriter | None:
    """The innermost writer of this module entered with ``as_default`` in this thread."""
    stack = _stack()
    return stack[-1][0] if stack else None


_STATE = threading.local()


def _stack() -> list:
    if not hasattr(_STATE, "stack"):
        _STATE.stack = []
    return _STATE.stack


@contextlib.contextmanager
def _entered(writer: SummaryWriter, step: int | None) -> Iterator[None]:
    stack = _stack()
    if step is None and stack:
        step = stack[-1][1]
    stack.append((writer, step))
    try:
        yield
    finally:
        stack.pop()


def _default_step() -> int | None:
    stack = _stack()
    return stack[-1][1] if stack else None


class _TensorFlowDefault(SummaryWriter):
    """``tf.summary``'s own default writer, whoever created it."""

    backend = TENSORFLOW

    def __init__(self, tf) -> None:
        super().__init__("")
        self._tf = tf

    def _write(self, summary: summary_pb2.Summary, step: int | None) -> bool:
        return _tf_write(self._tf, summary, step)

    def _tag(self, name: str) -> str:
        return _tf_tag(self._tf, name)


def _target() -> SummaryWriter | None:
    writer = default_writer()
    if writer is not None:
        return writer
    tf = sys.modules.get("tensorflow")  # no tf.summary writer can be set before it is loaded
    if tf is None or not hasattr(tf, "summary"):
        return None
    return _TensorFlowDefault(tf)


def _tf_write(tf, summary: summary_pb2.Summary, step: int | None) -> bool:
    written = tf.summary.experimental.write_raw_pb(summary.SerializeToString(), step=step)
    return bool(written) if tf.executing_eagerly() else written


def _tf_tag(tf, name: str) -> str:
    with tf.summary.experimental.summary_scope(name) as (tag, _):
        return tag


def _tensorflow_loaded() -> bool:
    tf = sys.modules.get("tensorflow")
    return tf is not None and hasattr(tf, "summary")


def _tensorflow_installed() -> bool:
    if _tensorflow_loaded():
        return True
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False
