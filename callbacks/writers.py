"""Summary writers shared by the callbacks that write to the same run directory.

TensorBoard's Python loader reads a run directory's event files one after another and can miss
data when two writers append to two files of one directory at once. The callbacks therefore
share one writer per directory: each ``acquire``s it in ``on_train_begin`` and ``release``s it
in ``on_train_end``; the last release flushes and closes it.

Under multi-worker training only the chief writes (:func:`is_chief`), so other workers never
create event files in the user's log directory.

The writers are :mod:`tb_attrib.summary.writer`'s: ``tf.summary`` writers where TensorFlow is
installed, TensorBoard's own event-file writer where it is not. TensorFlow is imported only
when it is installed.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from typing import TYPE_CHECKING

from tb_attrib.summary import writer as summary_writer

if TYPE_CHECKING:
    import tensorflow as tf


class WriterPool:
    """Reference-counted summary writers keyed by directory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writers: dict[str, list] = {}

    def acquire(self, directory: str) -> summary_writer.SummaryWriter:
        key = _normalise(directory)
        with self._lock:
            entry = self._writers.get(key)
            if entry is None:
                entry = [summary_writer.create_file_writer(directory), 0]
                self._writers[key] = entry
            entry[1] += 1
            return entry[0]

    def release(self, directory: str) -> None:
        key = _normalise(directory)
        with self._lock:
            entry = self._writers.get(key)
            if entry is None:
                return
            entry[1] -= 1
            entry[0].flush()
            if entry[1] <= 0:
                entry[0].close()
                del self._writers[key]


POOL = WriterPool()
"""The process's writer pool (a resource cache, like logging's handlers)."""


def _normalise(directory: str) -> str:
    return directory if "://" in directory else os.path.abspath(directory)


def check_writable(log_dir: str, argument: str = "log_dir") -> None:
    """Creates ``log_dir`` and writes and removes a small file in it.

    Raises:
      ValueError: naming ``argument`` when the directory cannot be created or written.
    """
    if not isinstance(log_dir, str | os.PathLike) or not str(log_dir):
        raise ValueError(f"{argument} must be a directory path; got {log_dir!r}")
    path = os.fspath(log_dir)
    marker = os.path.join(path, f".tb_attrib_write_check_{uuid.uuid4().hex}")
    if summary_writer.resolve_backend() == summary_writer.TENSORFLOW:
        import tensorflow as tf

        errors: tuple[type[BaseException], ...] = (OSError, tf.errors.OpError)
        makedirs, opener, remove = tf.io.gfile.makedirs, tf.io.gfile.GFile, tf.io.gfile.remove
    elif "://" in path:
        # TensorBoard's own gfile (S3, fsspec) cannot remove a file: create, do not probe.
        from tensorboard.compat.tensorflow_stub import errors as stub_errors
        from tensorboard.compat.tensorflow_stub.io import gfile

        errors = (OSError, stub_errors.OpError)
        makedirs, opener, remove = gfile.makedirs, None, None
    else:
        errors, makedirs, opener, remove = (OSError,), _makedirs, open, os.remove
    try:
        makedirs(path)
        if opener is not None:
            with opener(marker, "w") as f:
                f.write("ok")
            remove(marker)
    except errors as e:
        message = getattr(e, "message", None) or str(e)
        raise ValueError(f"{argument} {path!r} cannot be written: {message}") from None


def _makedirs(path: str) -> None:
    os.makedirs(path, exist_ok=True)


def is_chief(strategy: tf.distribute.Strategy | None = None) -> bool:
    """True unless this process is a non-chief worker of a multi-worker strategy.

    The chief is task ``chief`` or, in a cluster without one, ``worker`` 0 (the convention of
    ``tf.distribute``'s multi-worker training). Without TensorFlow loaded there is no
    ``tf.distribute`` strategy, and every process writes.
    """
    if strategy is None:
        tf = sys.modules.get("tensorflow")  # a strategy scope needs TensorFlow loaded
        if tf is None or not hasattr(tf, "distribute"):
            return True
        strategy = tf.distribute.get_strategy()
    resolver = getattr(strategy, "cluster_resolver", None)
    extended = getattr(strategy, "extended", None)
    in_multi_worker = bool(getattr(extended, "_in_multi_worker_mode", lambda: False)())
    if not in_multi_worker or resolver is None:
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type == "chief":
        return True
    cluster = resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and "chief" not in cluster
