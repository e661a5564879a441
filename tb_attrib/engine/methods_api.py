"""``tb_attrib.smoothgrad`` and ``tb_attrib.guided_integrated_gradients``: the extra methods
(:mod:`tb_attrib.engine.methods`) as functions of a model, for notebooks and custom loops.

Each uses the same cached engine as :func:`tb_attrib.integrated_gradients` for the model and
options, so repeated calls compile nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence

from tb_attrib.engine import attribution, guided_ig, smoothing
from tb_attrib.engine.results import IntegratedGradientsResult


def smoothgrad(
    model: object,
    x: object,
    *,
    target: object = None,
    noise_level: float = 0.15,
    samples: int = 25,
    seed: int = 0,
    noise: object = None,
    integrated: bool = False,
    baseline: object = "black",
    steps: int = 32,
    rule: str = "riemann_trapezoid",
    batch_size: int | None = None,
    output: object = None,
    head: str = "auto",
    modality: object = None,
    embedding_layer: object = None,
    fixed_inputs: Sequence[str] | None = None,
) -> IntegratedGradientsResult:
    """SmoothGrad (Smilkov et al., 2017) of ``model``'s explained score for each example.

    ``SmoothGrad(x) = 1/S sum_s grad F_t(x + eps_s)``, ``eps_s ~ N(0, sigma^2)`` with
    ``sigma = noise_level * (max(x) - min(x))`` per example; with ``integrated=True``,
    SmoothGrad on IG: ``1/S sum_s IG(x + eps_s)`` (each IG from ``baseline`` with ``steps``
    points of the quadrature rule ``rule``).

    Args:
      model: A Keras model (see :func:`tb_attrib.integrated_gradients`).
      x: ``[N, *input_shape]`` inputs, or a list or dict of them.
      target: As for :func:`tb_attrib.integrated_gradients` (default None).
      noise_level: Noise standard deviation as a fraction of each example's range
        (default 0.15).
      samples: Noisy copies per example (default 25).
      seed: Seed of the noise (default 0).
      noise: Optional unit-normal draws ``[S, N, *shape]`` to use instead (default None).
      integrated: Average IG instead of gradients (default False).
      baseline: Path start of SmoothGrad-IG (default ``"black"``).
      steps: Points of each IG's rule (default 32).
      rule: Quadrature rule of each IG (default ``"riemann_trapezoid"``).
      batch_size: Points per model call (default None: a bound on memory).
      output, head, modality, embedding_layer, fixed_inputs: As for
        :func:`tb_attrib.integrated_gradients`.

    Returns:
      :class:`IntegratedGradientsResult` with ``method`` ``"smoothgrad"`` or
      ``"smoothgrad_ig"`` and ``attributions`` shaped like ``x`` (a token input: one value
      per token); see :func:`tb_attrib.engine.smoothing.smoothgrad`.

    Example::

        sg = tb_attrib.smoothgrad(model, x_test[:16], target=y_test[:16], samples=50)
    """
    engine = attribution._engine(model, x, output, head, modality, embedding_layer, fixed_inputs)
    return smoothing.smoothgrad(
        engine,
        x,
        target=target,
        baseline=baseline,
        noise_level=noise_level,
        samples=samples,
        seed=seed,
        noise=noise,
        integrated=integrated,
        steps=steps,
        rule=rule,
        batch_size=batch_size,
    )


def guided_integrated_gradients(
    model: object,
    x: object,
    *,
    target: object = None,
    baseline: object = "black",
    steps: int = 200,
    fraction: float = 0.25,
    max_dist: float = 0.02,
    batch_size: int | None = None,
    output: object = None,
    head: str = "auto",
    modality: object = None,
    embedding_layer: object = None,
    fixed_inputs: Sequence[str] | None = None,
) -> IntegratedGradientsResult:
    """Guided integrated gradients (Kapishnikov et al., 2021) for each example of ``x``.

    Integrates ``grad F_t`` along an adaptive path from ``baseline`` to ``x`` that moves the
    features of smallest ``|gradient|`` first (see :mod:`tb_attrib.engine.guided_ig`).

    Args:
      model: A Keras model (see :func:`tb_attrib.integrated_gradients`).
      x: ``[N, *input_shape]`` inputs, or a list or dict of them.
      target: As for :func:`tb_attrib.integrated_gradients` (default None).
      baseline: The path start (default ``"black"``).
      steps: Steps of the path, one gradient evaluation each (default 200).
      fraction: Share of features moved per step (default 0.25).
      max_dist: Largest lead or lag of a feature behind the straight line, in alpha
        (default 0.02).
      batch_size: Points per model call (default None: a bound on memory).
      output, head, modality, embedding_layer, fixed_inputs: As for
        :func:`tb_attrib.integrated_gradients`.

    Returns:
      :class:`IntegratedGradientsResult` with ``method`` ``"guided_ig"`` and its
      completeness delta.

    Example::

        gig = tb_attrib.guided_integrated_gradients(model, x_test[:16], target=y_test[:16])
    """
    engine = attribution._engine(model, x, output, head, modality, embedding_layer, fixed_inputs)
    return guided_ig.guided_integrated_gradients(
        engine,
        x,
        target=target,
        baseline=baseline,
        steps=steps,
        fraction=fraction,
        max_dist=max_dist,
        batch_size=batch_size,
    )
