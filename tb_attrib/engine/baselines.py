"""Baselines: the reference input that attributions are measured against.

A baseline is where the straight path of integrated gradients starts
(``baseline + alpha * (x - baseline)``, alpha from 0 to 1). The choices:

``"black"``
    All zeros: black for images scaled to [0, 1] or [0, 255]; the usual choice.
``"white"``
    Every element equal to the probe's largest value (1.0 for images in [0, 1]).
``"uniform"``
    Random noise: each element drawn uniformly between the probe's smallest and largest value.
    Integrated gradients averages over ``num_samples`` draws (default
    :data:`DEFAULT_UNIFORM_SAMPLES`) made with a fixed seed, so every epoch sees the same
    baselines and changes in the maps come from the model, not from the noise. The
    interior-gradient sweep uses the first draw.
``"blur"``
    The input blurred by a Gaussian of standard deviation :data:`BLUR_SIGMA_FRACTION` times the
    larger image side (3.2 pixels at 32x32), per channel, with reflected edges: "no fine detail"
    rather than "no signal".
a number
    Every element equal to that number.
an array
    Anything that broadcasts to the probe's shape ``[N, *input_shape]`` (one baseline for all
    examples, or one per example).
"""

from __future__ import annotations

import numbers

import numpy as np

NAMED = ("black", "white", "uniform", "blur")
DEFAULT_UNIFORM_SAMPLES = 4
BLUR_SIGMA_FRACTION = 0.1
UNIFORM_SEED = 0


def describe(baseline: object) -> str:
    """A short display name: the named choice, ``"constant(v)"`` or ``"array"``."""
    if isinstance(baseline, str):
        return baseline
    if isinstance(baseline, numbers.Real):
        return f"constant({float(baseline):g})"
    return "array"


def validate(baseline: object, input_shape: tuple[int, ...] | None = None) -> None:
    """Raises ValueError unless ``baseline`` is a known name, a finite number or an array
    that broadcasts to ``[N, *input_shape]`` (checked when ``input_shape`` is given)."""
    if isinstance(baseline, str):
        if baseline not in NAMED:
            raise ValueError(
                f"baseline must be one of {', '.join(map(repr, NAMED))}, a number or an array; "
                f"got {baseline!r}"
            )
        return
    if isinstance(baseline, bool):
        raise ValueError(f"baseline must be a name, a number or an array; got {baseline!r}")
    if isinstance(baseline, numbers.Real):
        if not np.isfinite(float(baseline)):
            raise ValueError(f"baseline must be finite; got {baseline!r}")
        return
    try:
        array = np.asarray(baseline, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(
            f"baseline must be a name, a number or an array; got {type(baseline).__name__}"
        ) from None
    if not np.all(np.isfinite(array)):
        raise ValueError("baseline array contains NaN or infinity")
    if input_shape is not None:
        target = (1, *input_shape)
        try:
            shape = np.broadcast_shapes(array.shape, target)
        except ValueError:
            shape = None
        if shape is None or shape[1:] != tuple(input_shape) or len(shape) != len(target):
            raise ValueError(
                f"baseline array of shape {array.shape} does not broadcast to the probe's "
                f"shape [N, {', '.join(map(str, input_shape))}]"
            )


def make(baseline: object, x: np.ndarray, num_samples: int | None = None) -> np.ndarray:
    """Builds the baseline(s) for probe ``x``.

    Returns:
      float32 ``[S, N, *input_shape]``: ``S`` baselines per example (``S = num_samples`` for
      ``"uniform"``, 1 otherwise).
    """
    x = np.asarray(x, dtype=np.float32)
    validate(baseline, x.shape[1:])
    if isinstance(baseline, str):
        if baseline == "black":
            out = np.zeros_like(x)
        elif baseline == "white":
            out = np.full_like(x, np.max(x))
        elif baseline == "blur":
            out = gaussian_blur(x, BLUR_SIGMA_FRACTION * max(_spatial_shape(x)))
        else:
            samples = DEFAULT_UNIFORM_SAMPLES if num_samples is None else int(num_samples)
            if samples < 1:
                raise ValueError(f"num_samples must be at least 1, got {samples}")
            rng = np.random.default_rng(UNIFORM_SEED)
            low, high = float(np.min(x)), float(np.max(x))
            return rng.uniform(low, high, size=(samples, *x.shape)).astype(np.float32)
    else:
        out = np.broadcast_to(np.asarray(baseline, dtype=np.float32), x.shape).copy()
    return out[None]


def _spatial_shape(x: np.ndarray) -> tuple[int, ...]:
    """Spatial sides of ``[N, H, W, C]``, ``[N, H, W]`` or ``[N, D]``."""
    if x.ndim == 4:
        return x.shape[1:3]
    return x.shape[1:]


def gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur over the spatial axes of ``[N, H, W, C]``, ``[N, H, W]`` or
    ``[N, D]`` inputs, with reflected edges."""
    x = np.asarray(x, dtype=np.float32)
    axes = (1, 2) if x.ndim >= 3 else (1,)
    radius = max(1, int(np.ceil(3 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    out = x
    for axis in axes:
        pad = [(0, 0)] * out.ndim
        pad[axis] = (radius, radius)
        mode = "reflect" if out.shape[axis] > radius else "edge"
        padded = np.pad(out, pad, mode=mode)
        out = np.apply_along_axis(lambda v: np.convolve(v, taps, mode="valid"), axis, padded)
    return out.astype(np.float32)
