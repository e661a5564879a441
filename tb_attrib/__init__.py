"""tb_attrib: watch what a Keras network looks at while it learns, in TensorBoard.

Public API::

    from tb_attrib.callbacks import Attributions, ActivationSummaries, WeightHistograms
    tb_attrib.integrated_gradients(model, x, ...)   # -> IntegratedGradientsResult
    tb_attrib.interior_gradients(model, x, alphas)  # -> InteriorGradientsResult
    tb_attrib.smoothgrad(model, x, ...)             # SmoothGrad (integrated=True: on IG)
    tb_attrib.guided_integrated_gradients(model, x, ...)
    tb_attrib.summary.probe / interior_gradients / integrated_gradients / feature_maps
    tb_attrib.load(logdir)                          # read written series back as NumPy

Importing this package is cheap: TensorFlow is loaded only when an attribute that needs it
is first used, because TensorBoard imports the plugin's entry point on start-up.
"""

from __future__ import annotations

import importlib

from tb_attrib._version import __version__
from tb_attrib.summary.metadata import PLUGIN_NAME

_LAZY = {
    "integrated_gradients": "tb_attrib.engine",
    "interior_gradients": "tb_attrib.engine",
    "smoothgrad": "tb_attrib.engine",
    "guided_integrated_gradients": "tb_attrib.engine",
    "IntegratedGradientsResult": "tb_attrib.engine",
    "InteriorGradientsResult": "tb_attrib.engine",
    "AttributionEngine": "tb_attrib.engine",
    "WarmStart": "tb_attrib.engine",
    "load": "tb_attrib.reader",
}

__all__ = ["PLUGIN_NAME", "__version__", *_LAZY]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
