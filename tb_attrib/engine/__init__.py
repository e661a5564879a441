"""The attribution engine: interior and integrated gradients of Keras models.

Usable without any callback, from a notebook or a custom training loop::

    import tb_attrib
    ig = tb_attrib.integrated_gradients(model, x, target=y)
    sweep = tb_attrib.interior_gradients(model, x, alphas=[0.1, 0.5, 1.0])
    sg = tb_attrib.smoothgrad(model, x, samples=25)
    gig = tb_attrib.guided_integrated_gradients(model, x)
"""

import importlib

from tb_attrib.engine.quadrature import METHODS

# TensorFlow is loaded only when a name that needs it is first used, so that the pure-NumPy
# modules (completeness, heads, quadrature, baselines) import without it.
_FROM_ATTRIBUTION = (
    "DEFAULT_MAP_TOLERANCE",
    "DEFAULT_MAX_STEPS",
    "DEFAULT_METHOD",
    "DEFAULT_STEPS",
    "DEFAULT_TOLERANCE",
    "AttributionEngine",
    "IntegratedGradientsResult",
    "InteriorGradientsResult",
    "WarmStart",
    "default_batch_size",
    "engine_for",
    "integrated_gradients",
    "interior_gradients",
    "validate_alphas",
    "validate_steps",
)


_FROM_METHODS_API = ("smoothgrad", "guided_integrated_gradients")


def __getattr__(name: str) -> object:
    if name in _FROM_METHODS_API:
        return getattr(importlib.import_module("tb_attrib.engine.methods_api"), name)
    if name in _FROM_ATTRIBUTION:
        return getattr(importlib.import_module("tb_attrib.engine.attribution"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


CLASSIC_ALPHAS = (0.01, 0.02, 0.03, 0.04, 0.1, 0.5, 0.6, 0.7, 0.8, 1.0)
"""The alpha sweep of the interior-gradients paper, the callbacks' default."""

__all__ = ["CLASSIC_ALPHAS", "METHODS", *_FROM_ATTRIBUTION, *_FROM_METHODS_API]
