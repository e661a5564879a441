"""Relative completeness, defined once for the engine, the callbacks and the dashboard.

Integrated gradients satisfy ``sum(IG) = F(x) - F(baseline)`` exactly; the *completeness
delta* ``delta = sum(IG) - (F(x) - F(baseline))`` is the error of the quadrature. Relative to
the change it explains::

    relative = |delta| / max(|F(x) - F(baseline)|, floor)
    floor    = max(SMALL_CHANGE_FRACTION * max over the probe of |F(x) - F(baseline)|, 1e-6)

The floor keeps an example whose score barely changes along its path from counting as
hopelessly inaccurate: judged against its own near-zero change it drove ``steps="auto"`` to
its cap every epoch, for a sum accurate far beyond its map (an example whose baseline the
model already gives its class; docs/benchmarks.md, "What steps='auto' costs", measures the
floor). ``steps="auto"`` stops an example once ``relative <= tolerance`` and its map's
estimated error (:func:`relative_map_error`) is within its own tolerance; the
``attributions/completeness_delta_*`` scalars and the dashboard show the same ``relative``,
written per example with the integrated gradients.
"""

from __future__ import annotations

import numpy as np

SMALL_CHANGE_FRACTION = 0.10
"""Changes below this fraction of the probe's largest are judged against that fraction."""
ABSOLUTE_FLOOR = 1e-6


def change_floor(change: np.ndarray) -> float:
    """The smallest ``|F(x) - F(baseline)|`` an example is judged against, for this probe."""
    largest = float(np.max(np.abs(np.nan_to_num(change)), initial=0.0))
    return max(SMALL_CHANGE_FRACTION * largest, ABSOLUTE_FLOOR)


def bounds(change: np.ndarray, tolerance: float) -> np.ndarray:
    """Largest ``|delta|`` within ``tolerance`` for each example: ``tolerance * max(|change|,
    floor)``."""
    magnitude = np.abs(np.asarray(change, np.float64))
    return tolerance * np.maximum(magnitude, change_floor(magnitude))


def relative(delta: np.ndarray, change: np.ndarray) -> np.ndarray:
    """``|delta| / max(|change|, floor)`` per example (NaN where ``delta`` is NaN)."""
    magnitude = np.abs(np.asarray(change, np.float64))
    return np.abs(np.asarray(delta, np.float64)) / np.maximum(magnitude, change_floor(magnitude))


def relative_map_error(error_norm: np.ndarray, map_norm: np.ndarray, largest: float) -> np.ndarray:
    """``||map error|| / max(||map||, floor)`` per example, the floor being
    :data:`SMALL_CHANGE_FRACTION` of the probe's ``largest`` map norm (the same guard as
    :func:`relative`: a map of almost nothing is judged against a tenth of the probe's largest)."""
    floor = max(SMALL_CHANGE_FRACTION * float(largest), ABSOLUTE_FLOOR)
    return np.asarray(error_norm, np.float64) / np.maximum(np.asarray(map_norm, np.float64), floor)
