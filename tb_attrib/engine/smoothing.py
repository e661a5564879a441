"""SmoothGrad: gradients, or integrated gradients, averaged over noisy copies of the input.

For an input ``x`` with noise ``eps_s ~ N(0, sigma^2)``, ``sigma = noise_level * (max(x) -
min(x))`` per example and attributed tensor (Smilkov et al., 2017; PAIR ``saliency``'s
``GetSmoothedMask`` with ``magnitude=False``)::

    SmoothGrad(x)    = 1/S sum_s grad F_t(x + eps_s)
    SmoothGrad-IG(x) = 1/S sum_s IG(x + eps_s)      (each IG from the baseline to x + eps_s)

On the path kernel a noisy point ``x + eps`` is the path ``b = x + eps`` at alpha 0
(SmoothGrad), or a path from the baseline to ``x + eps`` integrated by a fixed quadrature
rule (SmoothGrad-IG). Samples are taken in groups whose paths fit one chunk of
``batch_size``, so memory stays bounded whatever ``samples`` is. A token input gets its noise
on its embeddings; its SmoothGrad per token is ``grad . (e(x) - e(baseline))``, as in the
interior-gradient sweep.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tb_attrib.engine import integrate, methods

SAMPLE_BYTES = 64 * 2**20
"""Noisy copies of the probe held at once (their sums): samples are grouped to fit."""


def smoothgrad(
    engine: object,
    x: object,
    *,
    target: object = None,
    baseline: object = "black",
    noise_level: float = 0.15,
    samples: int = 25,
    seed: int = 0,
    noise: object = None,
    integrated: bool = False,
    steps: int = 32,
    rule: str = "riemann_trapezoid",
    batch_size: int | None = None,
) -> object:
    """SmoothGrad (``integrated=False``) or SmoothGrad on IG of ``x`` with ``engine``.

    Args:
      engine: An :class:`~tb_attrib.engine.AttributionEngine` of the model.
      x: The inputs, as :func:`tb_attrib.integrated_gradients` takes them.
      target: As for :func:`tb_attrib.integrated_gradients` (default None).
      baseline: The path start of SmoothGrad-IG (default ``"black"``; a ``"uniform"``
        baseline uses its first draw); SmoothGrad uses it only for token inputs.
      noise_level: ``sigma`` as a fraction of each example's ``max - min`` (default 0.15).
      samples: Noisy copies ``S`` per example (default 25).
      seed: Seed of the noise (default 0): the same seed draws the same noise, so the maps
        of successive epochs differ only through the model.
      noise: Optional unit-normal draws ``[S, N, *shape]`` (a list, one per attributed
        tensor, for several), used instead of drawing; ``samples`` is then ``S``.
      integrated: False (default): average gradients; True: average IG.
      steps: Points of the quadrature rule of each IG (default 32).
      rule: Quadrature rule of each IG (default ``"riemann_trapezoid"``).
      batch_size: Interpolated inputs per model call (default None: the engine's bound).

    Returns:
      An :class:`~tb_attrib.engine.results.IntegratedGradientsResult` with ``method``
      ``"smoothgrad"`` or ``"smoothgrad_ig"``, ``steps`` the samples (SmoothGrad) or the
      rule's points (SmoothGrad-IG) and ``evaluations`` the gradients per example. Its
      ``delta`` is NaN for SmoothGrad (no completeness) and, for SmoothGrad-IG,
      ``sum(attributions) - mean_s (F_t(x + eps_s) - F_t(b))``.
    """
    paths = engine.paths(x, target=target, baseline=baseline, batch_size=batch_size)
    p = paths.problem
    draws = _unit_noise(noise, p.x, samples)
    samples = int(draws[0].shape[0]) if draws is not None else int(samples)
    rng = np.random.default_rng(seed)
    sigma = [_sigma(v, noise_level) for v in p.x]
    total = [np.zeros(v.shape, np.float64) for v in p.x]
    moved = np.zeros(p.count, np.float64)
    group = _group(p, samples)
    for start in range(0, samples, group):
        g = min(group, samples - start)
        unit = (
            [d[start : start + g] for d in draws]
            if draws is not None
            else [rng.standard_normal((g, *v.shape)).astype(np.float32) for v in p.x]
        )
        noisy = [
            (v[None] + s * u).reshape(g * p.count, *v.shape[1:])
            for v, s, u in zip(p.x, sigma, unit, strict=True)
        ]
        if integrated:
            part, change = _integrated(paths, noisy, g, steps, rule)
            moved += change
        else:
            part = _gradients(paths, noisy, g)
        for t, s in zip(total, part, strict=True):
            t += s.reshape(g, p.count, *s.shape[1:]).sum(axis=0)
    mean = [t / samples for t in total]
    if integrated:
        delta = methods.joined(mean, p.count).sum(axis=1) - moved / samples
        return paths.result(mean, delta, "smoothgrad_ig", steps, samples * steps)
    mean = [_per_token(m, d, t) for m, d, t in zip(mean, p.difference(), paths.tokens, strict=True)]
    delta = np.full(p.count, np.nan)
    return paths.result(mean, delta, "smoothgrad", samples, samples)


def _gradients(paths: methods.Paths, noisy: list[np.ndarray], copies: int) -> list[np.ndarray]:
    """``[copies * N, *shape]`` gradients at the noisy points (paths ``b = p`` at alpha 0)."""
    problem = paths.with_ends(noisy, noisy, copies)
    rows = np.arange(problem.count)
    zeros = np.zeros(problem.count, np.float32)
    return problem.weighted_sum(rows, zeros, np.ones(problem.count, np.float32))


def _integrated(paths, noisy, copies, steps, rule) -> tuple[list[np.ndarray], np.ndarray]:
    """IG of every noisy copy from the baseline, and ``sum_copies F(x + eps) - F(b)``."""
    p = paths.problem
    base = [np.concatenate([b] * copies) for b in p.base]
    problem = paths.with_ends(noisy, base, copies)
    integral = integrate.fixed(problem, rule, int(steps))
    change = paths.scores_at(noisy, copies) - paths.score_baseline[None]
    return integral.attributions(problem), change.sum(axis=0)


def _per_token(mean: np.ndarray, difference: np.ndarray, tokens: bool) -> np.ndarray:
    """A token input's gradient per embedding component times ``e(x) - e(b)`` (summed over
    the embedding later); other inputs' gradients as they are."""
    return mean * difference if tokens else mean


def _sigma(values: np.ndarray, level: float) -> np.ndarray:
    """``[N, 1, ...]`` noise scale of each example: ``level * (max - min)``."""
    flat = values.reshape(values.shape[0], -1)
    spread = flat.max(axis=1) - flat.min(axis=1)
    return (level * spread).astype(np.float32).reshape(-1, *[1] * (values.ndim - 1))


def _group(problem: integrate.PathProblem, samples: int) -> int:
    """Noisy copies per kernel call: a chunk of paths, within :data:`SAMPLE_BYTES`."""
    width = sum(int(np.prod(v.shape[1:])) for v in problem.x) * 8
    by_chunk = max(1, problem.size // max(1, problem.count))
    by_memory = max(1, SAMPLE_BYTES // max(1, width * problem.count))
    return int(max(1, min(samples, by_chunk, by_memory)))


def _unit_noise(noise: object, ends: Sequence[np.ndarray], samples: int):
    """Given draws as one ``[S, N, *shape]`` array per attributed tensor, or None."""
    if noise is None:
        if not (isinstance(samples, int | np.integer) and samples >= 1):
            raise ValueError(f"samples must be an int >= 1; got {samples!r}")
        return None
    draws = list(noise) if isinstance(noise, list | tuple) else [noise]
    draws = [np.asarray(d, np.float32) for d in draws]
    if len(draws) != len(ends) or any(
        d.ndim < 2 or d.shape[1:] != e.shape for d, e in zip(draws, ends, strict=False)
    ):
        shapes = [("S", *e.shape) for e in ends]
        raise ValueError(f"noise must hold one array per attributed input, of shapes {shapes}")
    if len({d.shape[0] for d in draws}) != 1:
        raise ValueError("noise: every array needs the same number of samples")
    return draws
