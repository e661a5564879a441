"""The tb_attrib summary format: metadata, record codec, writers and ``tf.summary``-style ops.

``metadata`` and ``codec`` import no TensorFlow, so the TensorBoard plugin can use them on a
machine without it. Neither do the write ops (``probe``, ``interior_gradients``,
``integrated_gradients``, ``feature_maps``) nor ``create_file_writer``
(:mod:`tb_attrib.summary.writer`): they write under a ``tf.summary`` default writer where
TensorFlow is in use, and through TensorBoard's own event-file writer where it is not. All of
them are loaded on first use, because TensorBoard imports the plugin's entry point on start-up.
"""

from __future__ import annotations

import importlib

from tb_attrib.summary.metadata import PLUGIN_NAME

_WRITE_OPS = ("probe", "interior_gradients", "integrated_gradients", "feature_maps")
_WRITER = ("create_file_writer", "SummaryWriter")

__all__ = ["PLUGIN_NAME", *_WRITE_OPS, *_WRITER]


def __getattr__(name: str) -> object:
    if name in _WRITE_OPS:
        return getattr(importlib.import_module("tb_attrib.summary.summary_v2"), name)
    if name in _WRITER:
        return getattr(importlib.import_module("tb_attrib.summary.writer"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
