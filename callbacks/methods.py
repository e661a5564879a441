"""The attribution methods ``Attributions(methods=...)`` writes beside integrated gradients.

Each extra method (:mod:`tb_attrib.engine.methods`) runs on the callback's engine, probe,
targets and baseline every written epoch, and is written as its own ``integrated_gradients``
series, ``tb_attrib/methods/<name>``, whose metadata and records name the method
(``attribution_method``) and whose digest holds its settings; its maps are quantised like
IG's, with the same fixed-across-epochs scales in the dashboard. The noise of SmoothGrad is
drawn from the same seed at every epoch, so its maps change only with the model.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

from tb_attrib.engine import guided_ig, smoothing
from tb_attrib.engine import methods as methods_lib
from tb_attrib.summary import metadata, summary_v2


def check(methods: object, options: object) -> tuple[tuple[str, ...], dict[str, dict]]:
    """``(names, options)`` for the constructor: ValueError for an unknown name or option."""
    names = methods_lib.validate_methods(methods)
    return names, methods_lib.validate_options(options, names)


def tag(name: str) -> str:
    """The series of method ``name``."""
    return metadata.TAG_METHODS_PREFIX + name


def compute(engine, x, targets, baseline, batch_size, name: str, options: Mapping):
    """One extra method's result on the probe."""
    common = dict(target=targets, baseline=baseline, batch_size=batch_size)
    if name == "smoothgrad":
        return smoothing.smoothgrad(engine, x, **common, **options)
    if name == "smoothgrad_ig":
        return smoothing.smoothgrad(engine, x, integrated=True, **common, **options)
    if name == "guided_ig":
        return guided_ig.guided_integrated_gradients(engine, x, **common, **options)
    raise ValueError(f"unknown method {name!r}")


def write_all(
    engine, x, targets, baseline, batch_size, options: Mapping[str, dict], specs: Sequence
) -> dict[str, float]:
    """Computes and writes every extra method (under the caller's default writer); returns
    the seconds each took, as scalars ``attributions/methods/<name>/seconds``."""
    seconds = {}
    for name, settings in options.items():
        started = time.perf_counter()
        result = compute(engine, x, targets, baseline, batch_size, name, settings)
        summary_v2.integrated_gradients(
            tag(name),
            result,
            attributions=result.attribution_list,
            input_specs=specs,
            attribution_method=name,
            settings=settings,
        )
        seconds[f"attributions/methods/{name}/seconds"] = time.perf_counter() - started
    return seconds
