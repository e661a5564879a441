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
``"expected"``
    Expected gradients (Erion et al., 2021; SHAP's ``GradientExplainer``, Captum's
    ``GradientShap``): the path integral averaged over ``num_samples`` baselines (default
    :data:`DEFAULT_EXPECTED_SAMPLES`) drawn from a background set of real inputs (default: the
    probe's own examples), never the example itself. The reference is then "an average input"
    rather than one input the model may classify confidently, and completeness holds against
    the mean baseline score. Each example's draws are fixed: :func:`expected_rows`.
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

import hashlib
import numbers

import numpy as np

NAMED = ("black", "white", "uniform", "blur", "expected")
DEFAULT_UNIFORM_SAMPLES = 4
EXPECTED = "expected"
DEFAULT_EXPECTED_SAMPLES = 8
EXPECTED_SEED = 0
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
    if isinstance(baseline, str) and baseline == EXPECTED:
        raise ValueError(
            "baseline='expected' draws from a background set: use "
            "tb_attrib.integrated_gradients (or AttributionEngine) with background=, or "
            "expected_rows and the background's rows"
        )
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


def expected_rows(
    examples: list[np.ndarray], background: list[np.ndarray], num_samples: int | None = None
) -> np.ndarray:
    """The background rows each example's expected-gradient baselines are drawn from.

    For example ``i`` the candidates are the background rows that are not the example itself
    (equal in every input); ``num_samples`` of them are taken without replacement (cycling
    through every candidate first when there are fewer) by a generator seeded with
    :data:`EXPECTED_SEED` and the example's bytes. So the draws of an example do not depend on
    the epoch, on the other examples of the batch, or on the order of the probe.

    Args:
      examples: ``[N, ...]`` arrays, one per model input.
      background: ``[B, ...]`` arrays of the same inputs.
      num_samples: Draws per example (default :data:`DEFAULT_EXPECTED_SAMPLES`).

    Returns:
      int64 ``[S, N]`` row indices into the background.

    Raises:
      ValueError: ``num_samples`` below 1, or an example with no other background row.
    """
    samples = DEFAULT_EXPECTED_SAMPLES if num_samples is None else int(num_samples)
    if samples < 1:
        raise ValueError(f"num_baseline_samples must be at least 1, got {samples}")
    keys = _row_keys(background)
    rows = np.zeros((samples, examples[0].shape[0]), np.int64)
    for i, key in enumerate(_row_keys(examples)):
        candidates = np.flatnonzero([k != key for k in keys])
        if candidates.size == 0:
            raise ValueError(
                f"baseline='expected': example {i} has no background row other than itself; "
                "give background= with other inputs (or a probe of at least 2 examples)"
            )
        seed = int.from_bytes(key[:8], "little")
        rng = np.random.default_rng([EXPECTED_SEED, seed])
        rows[:, i] = np.resize(rng.permutation(candidates), samples)
    return rows


def _row_keys(arrays: list[np.ndarray]) -> list[bytes]:
    """A digest of each row over every input: equal rows, equal keys."""
    count = arrays[0].shape[0]
    keys = []
    for i in range(count):
        digest = hashlib.blake2b(digest_size=16)
        for a in arrays:
            digest.update(np.ascontiguousarray(a[i]).tobytes())
        keys.append(digest.digest())
    return keys


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
