"""The tb_attrib summary format: metadata, record codec and ``tf.summary``-style write ops.

``metadata`` and ``codec`` import no TensorFlow, so the TensorBoard plugin can use them on a
machine without it; the write ops (``probe``, ``interior_gradients``,
``integrated_gradients``, ``feature_maps``) load TensorFlow on first use.
"""

from __future__ import annotations

import importlib

from tb_attrib.summary.metadata import PLUGIN_NAME

_WRITE_OPS = ("probe", "interior_gradients", "integrated_gradients", "feature_maps")

__all__ = ["PLUGIN_NAME", *_WRITE_OPS]


def __getattr__(name: str) -> object:
    if name in _WRITE_OPS:
        return getattr(importlib.import_module("tb_attrib.summary.summary_v2"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
