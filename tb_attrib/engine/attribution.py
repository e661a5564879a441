"""Interior gradients and integrated gradients for Keras classifiers.

For a model ``F`` with target class ``t``, input ``x`` and baseline ``x'``:

Interior gradients (Sundararajan et al., 2016) are the gradients of ``F_t`` at the scaled
inputs ``x' + alpha * (x - x')`` for a sweep of alphas. They show how the gradient changes as
the input fades in; near ``alpha = 1`` a saturated network's gradient is often tiny.

Integrated gradients (Sundararajan et al., 2017) integrate them along the whole path::

    IG_i(x) = (x_i - x'_i) * integral_0^1 dF_t(x' + a (x - x')) / dx_i  da

and satisfy *completeness*: ``sum_i IG_i(x) = F_t(x) - F_t(x')``. The integral is computed
with a quadrature rule (:mod:`tb_attrib.engine.quadrature`); the completeness delta
``sum(IG) - (F_t(x) - F_t(x'))`` measures how well.

The score ``F_t`` is the model's own output for class ``t``: a probability for models that end
in softmax (or sigmoid), a logit for models that output logits. ``predictions`` are always
probabilities (softmax of logits).

All gradients are computed by :class:`AttributionEngine` in ``tf.function``s traced once per
model and input shape: interpolated inputs of all examples and alphas are flattened into one
stream and fed through the model in chunks of ``batch_size`` with ``training=False``;
integrated gradients accumulate the weighted sum of each chunk's gradients instead of keeping
them, so memory is bounded by ``batch_size``, not by ``steps``. The exception is the adaptive
rule (:mod:`tb_attrib.engine.adaptive`), which must keep the gradient at every point of the
examples it is still refining.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from tb_attrib.engine import adaptive, model_output, quadrature
from tb_attrib.engine import baselines as baselines_lib

DEFAULT_METHOD = "riemann_trapezoid"
"""The trapezoid rule: nested under refinement (16, 31, 61, ... points reuse every earlier
gradient), so ``steps="auto"`` never discards an evaluation. Measured over the demo's 10
epochs, ``steps="auto"`` spent 51 evaluations per example with it, 62 with the midpoint rule
and 92 with Gauss-Legendre (docs/benchmarks.md)."""
DEFAULT_STEPS: int | str = "auto"
DEFAULT_TOLERANCE = 0.01
DEFAULT_MAX_STEPS = 512
AUTO_START_STEPS = 16
"""First rule of ``steps="auto"`` for nested rules, whose refinements reuse every evaluation."""
AUTO_START_STEPS_GAUSS = 64
"""First rule of ``steps="auto"`` for Gauss-Legendre, which restarts at each refinement:
measured on the demo network, 64 points meet 1% completeness, so starting lower only adds
discarded evaluations (16 + 32 + 64 = 112 instead of 64)."""
SMALL_CHANGE_FRACTION = 0.02
"""An example whose ``|F(x) - F(baseline)|`` is below this fraction of the probe's largest is
judged against that floor, not its own near-zero change (see :func:`_tolerance_bounds`)."""
_INPUT_ELEMENTS_PER_BATCH = 3 * 2**19  # default batch bound: ~6 MB of float32 inputs per chunk
_ADAPTIVE_GRADIENT_BYTES = 256 * 2**20
"""Gradients the adaptive rule may hold at once (at ``steps`` or ``max_steps`` points per
example): examples are refined in groups that fit. Its error estimate briefly needs about two
more arrays of that size."""
_MIN_DEFAULT_BATCH = 8
_MAX_DEFAULT_BATCH = 1024


def default_batch_size(input_shape: Sequence[int]) -> int:
    """Interpolated inputs per chunk when ``batch_size`` is None: about 1.5M input elements
    (512 at 32x32x3, 128 at 64x64x3, 10 at 224x224x3), between 8 and 1024. Measured on the
    demo network on 2 CPU cores, chunks of 512 ran at 0.95-0.99 of the speed of one unchunked
    batch and chunks of 128-170 at 0.84, for about 140 MiB against 50 (docs/benchmarks.md)."""
    elements = max(1, math.prod(int(d) for d in input_shape))
    return int(
        min(_MAX_DEFAULT_BATCH, max(_MIN_DEFAULT_BATCH, _INPUT_ELEMENTS_PER_BATCH // elements))
    )


@dataclasses.dataclass(frozen=True)
class IntegratedGradientsResult:
    """Integrated gradients of a batch.

    Attributes:
      attributions: ``[N, *input_shape]`` float32 attributions.
      delta: ``[N]`` completeness delta ``sum(attributions) - (score_input - score_baseline)``.
      target: ``[N]`` the class explained for each example.
      score_input: ``[N]`` ``F_t(x)``.
      score_baseline: ``[N]`` ``F_t(baseline)`` (mean over draws for ``"uniform"``).
      method: quadrature rule used.
      steps: points of the finest rule any example ended with (for a fixed step count, that
        count).
      evaluations: the most gradient evaluations spent on one example (per baseline draw),
        including discarded coarser rules of a non-nested method in the adaptive mode.
      baseline_name: display name of the baseline.
      converged: with ``steps="auto"``, whether every example met the tolerance before
        ``max_steps``; always True for a fixed step count.
      finite: False when some gradient was NaN or infinite.
      example_steps: ``[N]`` points of the final rule of each example. With ``steps="auto"``
        examples stop refining once they meet the tolerance, so these differ.
      example_evaluations: ``[N]`` gradient evaluations spent on each example (per draw);
        their mean is the cost per example.
    """

    attributions: np.ndarray
    delta: np.ndarray
    target: np.ndarray
    score_input: np.ndarray
    score_baseline: np.ndarray
    method: str
    steps: int
    evaluations: int
    baseline_name: str
    converged: bool = True
    finite: bool = True
    example_steps: np.ndarray | None = None
    example_evaluations: np.ndarray | None = None

    @property
    def relative_delta(self) -> np.ndarray:
        """``|delta| / |F_t(x) - F_t(baseline)|`` per example (inf where the difference is 0)."""
        diff = np.abs(self.score_input - self.score_baseline)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.abs(self.delta) / diff


@dataclasses.dataclass(frozen=True)
class InteriorGradientsResult:
    """Interior gradients of a batch along an alpha sweep.

    Attributes:
      gradients: ``[N, K, *input_shape]`` gradients of ``F_t`` at ``baseline + a (x - baseline)``.
      predictions: ``[N, K, num_classes]`` class probabilities at each alpha.
      scores: ``[N, K]`` the target score ``F_t`` at each alpha.
      alphas: ``[K]`` the sweep.
      target: ``[N]`` the class explained for each example.
      baseline_name: display name of the baseline.
      finite: False when some gradient was NaN or infinite.
    """

    gradients: np.ndarray
    predictions: np.ndarray
    scores: np.ndarray
    alphas: np.ndarray
    target: np.ndarray
    baseline_name: str
    finite: bool = True


class AttributionEngine:
    """Compiled gradient computations for one model and one input shape.

    Build it once (a callback does so in ``on_train_begin``) and call it every epoch: its
    ``tf.function``s have a ``None`` batch dimension in their input signature, so they trace
    once whatever the chunk size, and read the model's current weights at each call.

    Args:
      model: A Keras model with one input and one output ``[batch, num_classes]``.
      input_shape: Shape of one input example (without the batch axis).
      output: ``"auto"``, ``"probabilities"`` or ``"logits"``: what the model's output means.
        ``"auto"`` reads the final activation, or for subclassed models checks the outputs.
    """

    def __init__(self, model: object, input_shape: Sequence[int], output: str = "auto"):
        if output not in model_output.OUTPUT_KINDS:
            raise ValueError(f"output must be one of {model_output.OUTPUT_KINDS}; got {output!r}")
        self.model = model
        self.input_shape = tuple(int(d) for d in input_shape)
        self._output = output
        self._output_kind: str | None = None if output == "auto" else output
        example = tf.TensorSpec([None, *self.input_shape], tf.float32)
        index = tf.TensorSpec([None], tf.int32)
        alpha = tf.TensorSpec([None], tf.float32)
        self._outputs_fn = tf.function(self._outputs, input_signature=[example])
        self._sweep_fn = tf.function(
            self._path_gradients, input_signature=[example, example, index, alpha, index]
        )
        self._integral_fn = tf.function(
            self._integral_chunk,
            input_signature=[example, example, index, alpha, alpha, index],
        )

    # ---- traced bodies -------------------------------------------------------------------

    def _outputs(self, inputs: tf.Tensor) -> tf.Tensor:
        out = self.model(inputs, training=False)
        return tf.reshape(tf.cast(out, tf.float32), [tf.shape(inputs)[0], -1])

    def _path_gradients(self, x, baseline, example, alpha, target):
        """Gradients of the target score at interpolated inputs (one per stream entry)."""
        xs = tf.gather(x, example)
        bs = tf.gather(baseline, example)
        scale = tf.reshape(alpha, [-1] + [1] * len(self.input_shape))
        inputs = bs + scale * (xs - bs)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = self._outputs(inputs)
            score = tf.gather(outputs, tf.gather(target, example), axis=1, batch_dims=1)
        return tape.gradient(score, inputs), outputs, score

    def _integral_chunk(self, x, baseline, example, alpha, weight, target):
        gradients, _, _ = self._path_gradients(x, baseline, example, alpha, target)
        weighted = gradients * tf.reshape(weight, [-1] + [1] * len(self.input_shape))
        return tf.math.unsorted_segment_sum(weighted, example, tf.shape(x)[0])

    # ---- public API ----------------------------------------------------------------------

    def outputs(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Raw model outputs ``[N, C]`` (float32), computed in chunks with ``training=False``."""
        x = self._as_input(x)
        size = batch_size or default_batch_size(self.input_shape)
        parts = [self._outputs_fn(x[i : i + size]).numpy() for i in range(0, x.shape[0], size)]
        return np.concatenate(parts, axis=0)

    def output_kind(self, x: np.ndarray | None = None) -> str:
        """``"probabilities"`` or ``"logits"``, inferred once (see ``output``)."""
        if self._output_kind is None:
            sample = self.outputs(x[:64]) if x is not None else np.zeros([0, 0])
            self._output_kind = model_output.infer_output_kind(self.model, sample)
        return self._output_kind

    def interior_gradients(
        self,
        x: np.ndarray,
        alphas: Sequence[float] | np.ndarray,
        *,
        target: object = None,
        baseline: object = "black",
        batch_size: int | None = None,
    ) -> InteriorGradientsResult:
        """Gradients of the target score at ``baseline + alpha * (x - baseline)`` for each alpha.

        See :func:`interior_gradients` for the arguments.
        """
        x = self._as_input(x)
        alphas = validate_alphas(alphas)
        base = baselines_lib.make(baseline, x, num_samples=1)[0]
        outputs = self.outputs(x, batch_size)
        targets = model_output.resolve_targets(target, x.shape[0], outputs.shape[1], outputs)
        n, k = x.shape[0], alphas.shape[0]
        example = np.repeat(np.arange(n, dtype=np.int32), k)
        alpha = np.tile(alphas.astype(np.float32), n)
        grads, outs, scores = [], [], []
        for chunk in _chunks(n * k, batch_size or default_batch_size(self.input_shape)):
            g, o, s = self._sweep_fn(x, base, example[chunk], alpha[chunk], targets)
            grads.append(g.numpy())
            outs.append(o.numpy())
            scores.append(s.numpy())
        gradients = np.concatenate(grads).reshape(n, k, *self.input_shape)
        raw = np.concatenate(outs).reshape(n, k, -1)
        return InteriorGradientsResult(
            gradients=gradients,
            predictions=model_output.to_probabilities(raw, self.output_kind(x)),
            scores=np.concatenate(scores).reshape(n, k),
            alphas=alphas,
            target=targets,
            baseline_name=baselines_lib.describe(baseline),
            finite=bool(np.all(np.isfinite(gradients))),
        )

    def integrated_gradients(
        self,
        x: np.ndarray,
        *,
        target: object = None,
        baseline: object = "black",
        steps: int | str = DEFAULT_STEPS,
        method: str = DEFAULT_METHOD,
        batch_size: int | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
        max_steps: int = DEFAULT_MAX_STEPS,
        num_baseline_samples: int | None = None,
    ) -> IntegratedGradientsResult:
        """Integrated gradients with their completeness delta.

        See :func:`integrated_gradients` for the arguments.
        """
        x = self._as_input(x)
        method = quadrature.validate_method(method)
        auto = validate_steps(steps, method)
        if auto:
            _check_tolerance(tolerance, max_steps, method)
        draws = baselines_lib.make(baseline, x, num_samples=num_baseline_samples)
        n = x.shape[0]
        size = batch_size or default_batch_size(self.input_shape)
        # F at the inputs and at every baseline draw, in one pass.
        every = self.outputs(np.concatenate([x, *draws]), size).reshape(1 + len(draws), n, -1)
        outputs = every[0]
        targets = model_output.resolve_targets(target, n, outputs.shape[1], outputs)
        rows = np.arange(n)
        score_input = outputs[rows, targets]
        score_baselines = every[1:, rows, targets]
        expected = score_input - score_baselines.mean(axis=0)

        if method == adaptive.METHOD:
            return self._adaptive_integrated_gradients(
                x,
                draws,
                targets,
                score_input,
                score_baselines,
                cap=int(max_steps) if auto else int(steps),
                bounds=_tolerance_bounds(expected, tolerance) if auto else None,
                size=size,
                baseline_name=baselines_lib.describe(baseline),
            )
        start = AUTO_START_STEPS if quadrature.is_nested(method) else AUTO_START_STEPS_GAUSS
        current = max(start, quadrature.min_steps(method)) if auto else int(steps)
        if auto:
            current = min(current, max_steps)
        # Per example: sum of u_j * gradient_j per draw, with u_j = w_j * norm the rule's
        # unnormalised weights (see _weight_normaliser), the norm, the final rule and the
        # evaluations spent. Only the examples still outside the tolerance are refined.
        sums = np.zeros((len(draws), *x.shape), np.float32)
        norms = np.ones(n, np.float64)
        example_steps = np.zeros(n, np.int64)
        example_evaluations = np.zeros(n, np.int64)
        active = rows
        done_steps = 0
        while True:
            fine = quadrature.rule(method, current)
            if done_steps and quadrature.is_nested(method):
                picked = quadrature.new_points(method, done_steps, current)
            else:
                picked = np.arange(fine.steps)
                sums[:, active] = 0.0
            # Unnormalised weights stay fixed under refinement of a nested rule, so earlier
            # sums are reused as they are.
            norm = _weight_normaliser(method, current)
            weights = (fine.weights[picked] * norm).astype(np.float32)
            for d, base in enumerate(draws):
                sums[d, active] += self._integrate(
                    x[active], base[active], fine.alphas[picked], weights, targets[active], size
                )
            norms[active] = norm
            example_steps[active] = current
            example_evaluations[active] += picked.shape[0]
            done_steps = current
            scale = (1.0 / norms).astype(np.float32).reshape(n, *[1] * (x.ndim - 1))
            attributions = np.mean(
                [(x - base) * (s * scale) for base, s in zip(draws, sums, strict=True)], axis=0
            ).astype(np.float32)
            delta = attributions.reshape(n, -1).sum(axis=1) - expected
            finite_rows = np.all(np.isfinite(attributions.reshape(n, -1)), axis=1)
            within = np.abs(delta) <= _tolerance_bounds(expected, tolerance)
            if not auto:
                break
            active = active[~within[active] & finite_rows[active]]
            following = quadrature.refine(method, current)
            if active.size == 0 or following > max_steps:
                break
            current = following
        return _result(
            attributions,
            targets,
            score_input,
            score_baselines,
            method=method,
            example_steps=example_steps,
            example_evaluations=example_evaluations,
            baseline_name=baselines_lib.describe(baseline),
            converged=bool(np.all(within)) if auto else True,
            finite=bool(np.all(finite_rows)),
        )

    # ---- helpers -------------------------------------------------------------------------

    def _adaptive_integrated_gradients(
        self, x, draws, targets, score_input, score_baselines, *, cap, bounds, size, baseline_name
    ) -> IntegratedGradientsResult:
        """Integrated gradients with the adaptive trapezoid rule (:mod:`.adaptive`).

        With ``bounds`` (``steps="auto"``) an example stops once its completeness delta on a
        path is within its bound, or at ``cap`` points; without, every example ends with
        exactly ``cap`` points. Each baseline draw is a path of its own.
        """
        n = x.shape[0]
        per_example = cap * math.prod(self.input_shape) * 4
        group = max(1, _ADAPTIVE_GRADIENT_BYTES // max(1, per_example))
        attributions = np.zeros_like(x)
        example_steps = np.zeros(n, np.int64)
        within = np.ones(n, bool)
        finite = np.ones(n, bool)
        for d, base in enumerate(draws):
            expected = score_input - score_baselines[d]
            for lo in range(0, n, group):
                rows = slice(lo, min(n, lo + group))
                integral, points, ok, good = self._adaptive_paths(
                    x[rows],
                    base[rows],
                    targets[rows],
                    expected[rows],
                    None if bounds is None else bounds[rows],
                    cap,
                    size,
                )
                attributions[rows] += (x[rows] - base[rows]) * integral / len(draws)
                example_steps[rows] = np.maximum(example_steps[rows], points)
                within[rows] &= ok
                finite[rows] &= good
        return _result(
            attributions,
            targets,
            score_input,
            score_baselines,
            method=adaptive.METHOD,
            example_steps=example_steps,
            example_evaluations=example_steps,  # every evaluation is kept
            baseline_name=baseline_name,
            converged=bool(np.all(within)),
            finite=bool(np.all(finite)),
        )

    def _adaptive_paths(self, x, base, targets, expected, bounds, cap, size):
        """One path per example, refined by bisection.

        Examples still refining always share their number of points (see
        :func:`adaptive.split_count`), so their grids and gradients are held as ``[A, K]`` and
        ``[A, K, D]`` arrays. Returns ``(integral [N, *shape], points [N], within [N],
        finite [N])``, ``integral`` being the trapezoid sum of the gradients on each example's
        final grid.
        """
        n = x.shape[0]
        difference = (x - base).reshape(n, -1)
        integral = np.zeros(difference.shape, np.float32)
        points = np.zeros(n, np.int64)
        within = np.zeros(n, bool)
        finite = np.ones(n, bool)
        active = np.arange(n)
        alphas = np.tile(adaptive.start_grid(cap), (n, 1))
        gradients = self._gradients_at(x, base, targets, active, alphas, size)
        while True:
            weights = adaptive.trapezoid_weights(alphas).astype(np.float32)
            integral[active] = np.einsum("ak,akd->ad", weights, gradients)
            points[active] = alphas.shape[1]
            finite[active] = np.all(np.isfinite(integral[active]), axis=1)
            if bounds is not None:
                delta = np.einsum("ad,ad->a", integral[active], difference[active])
                within[active] = np.abs(delta - expected[active]) <= bounds[active]
            keep = finite[active] & ~within[active]
            budget = cap - alphas.shape[1]
            if budget <= 0 or not keep.any():
                break
            active, alphas, gradients = active[keep], alphas[keep], gradients[keep]
            count = adaptive.split_count(alphas.shape[1], budget)
            middle = adaptive.split_points(alphas, gradients * difference[active, None], count)
            fresh = self._gradients_at(x, base, targets, active, middle, size)
            alphas = np.concatenate([alphas, middle], axis=1)
            order = np.argsort(alphas, axis=1, kind="stable")
            alphas = np.take_along_axis(alphas, order, axis=1)
            # Row-wise gather: whole [D] rows move (take_along_axis would index every element).
            rows = np.arange(order.shape[0])[:, None]
            gradients = np.concatenate([gradients, fresh], axis=1)[rows, order]
        if bounds is None:
            within[:] = True
        return integral.reshape(x.shape), points, within, finite

    def _gradients_at(self, x, base, targets, examples, alphas, size) -> np.ndarray:
        """``[A, K, D]`` gradients of the target score on the path of example
        ``examples[a]`` at ``alphas[a, k]``, computed in chunks across examples."""
        count, k = alphas.shape
        example = np.repeat(examples.astype(np.int32), k)
        alpha = alphas.reshape(-1).astype(np.float32)
        parts = []
        for chunk in _chunks(example.shape[0], size):
            gradients, _, _ = self._sweep_fn(x, base, example[chunk], alpha[chunk], targets)
            parts.append(gradients.numpy().reshape(gradients.shape[0], -1))
        return np.concatenate(parts).reshape(count, k, -1)

    def _integrate(self, x, base, alphas, weights, targets, size) -> np.ndarray:
        """``sum_j weights_j * gradient(alphas_j)`` per example, streamed in chunks."""
        n, k = x.shape[0], alphas.shape[0]
        example = np.repeat(np.arange(n, dtype=np.int32), k)
        alpha = np.tile(alphas.astype(np.float32), n)
        weight = np.tile(weights, n)
        total = None
        for chunk in _chunks(n * k, size):
            part = self._integral_fn(x, base, example[chunk], alpha[chunk], weight[chunk], targets)
            total = part if total is None else total + part
        return total.numpy()

    def _as_input(self, x: object) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"x has example shape {x.shape[1:]} but this engine was built for "
                f"{self.input_shape}"
            )
        if x.shape[0] == 0:
            raise ValueError("x is empty: at least one example is needed")
        return x


def _result(
    attributions,
    targets,
    score_input,
    score_baselines,
    *,
    example_steps,
    example_evaluations,
    **fields,
) -> IntegratedGradientsResult:
    """The result of either path: the completeness delta against the mean over baseline draws,
    float32 arrays, and the largest per-example steps and evaluations."""
    score_baseline = score_baselines.mean(axis=0)
    n = attributions.shape[0]
    delta = attributions.reshape(n, -1).sum(axis=1) - (score_input - score_baseline)
    return IntegratedGradientsResult(
        attributions=attributions.astype(np.float32),
        delta=delta.astype(np.float32),
        target=targets,
        score_input=score_input.astype(np.float32),
        score_baseline=score_baseline.astype(np.float32),
        steps=int(example_steps.max()),
        evaluations=int(example_evaluations.max()),
        example_steps=example_steps.astype(np.int32),
        example_evaluations=example_evaluations.astype(np.int32),
        **fields,
    )


def validate_alphas(alphas: object) -> np.ndarray:
    """Alphas as a float64 array, or ValueError unless they are numbers in (0, 1]."""
    try:
        values = np.asarray(alphas, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"alphas must be numbers in (0, 1]; got {alphas!r}") from None
    if values.size == 0:
        raise ValueError("alphas must hold at least one number in (0, 1]")
    if not np.all(np.isfinite(values)) or values.min() <= 0.0 or values.max() > 1.0:
        raise ValueError(f"alphas must be numbers in (0, 1]; got {values.tolist()}")
    return values


def validate_steps(steps: object, method: str) -> bool:
    """Returns True for ``"auto"``; raises ValueError unless ``steps`` is a usable count."""
    if isinstance(steps, str):
        if steps != "auto":
            raise ValueError(f"steps must be a positive int or 'auto'; got {steps!r}")
        return True
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be a positive int or 'auto'; got {steps!r}")
    if steps < quadrature.min_steps(method):
        raise ValueError(f"{method} needs steps >= {quadrature.min_steps(method)}; got {steps}")
    return False


def _check_tolerance(tolerance: float, max_steps: int, method: str) -> None:
    if not (isinstance(tolerance, int | float) and 0 < tolerance < 1):
        raise ValueError(f"tolerance must be a number in (0, 1); got {tolerance!r}")
    if not isinstance(max_steps, int | np.integer) or max_steps < quadrature.min_steps(method):
        raise ValueError(f"max_steps must be an int >= {quadrature.min_steps(method)}")


def _weight_normaliser(method: str, steps: int) -> float:
    """``1 / w_interior`` of a nested rule (so that its unnormalised weights are 1 or 1/2)."""
    if method == "gausslegendre":
        return 1.0
    return float(steps - 1 if method == "riemann_trapezoid" else steps)


def _tolerance_bounds(expected: np.ndarray, tolerance: float) -> np.ndarray:
    """Largest ``|delta|`` that ``steps="auto"`` accepts per example: ``tolerance *
    |F(x) - F(b)|``, with a floor: an example whose score barely changes along the path (below
    :data:`SMALL_CHANGE_FRACTION` of the probe's largest change) is judged against that floor.
    Without it, one example with a change of 4e-4 beside others of 0.35 drove the adaptive mode
    to its cap (1008 evaluations per example) every epoch."""
    magnitude = np.abs(expected)
    floor = max(SMALL_CHANGE_FRACTION * float(magnitude.max(initial=0.0)), 1e-6)
    return tolerance * np.maximum(magnitude, floor)


def _chunks(total: int, size: int) -> list[slice]:
    """Balanced slices of at most ``size`` covering ``range(total)``."""
    size = max(1, int(size))
    count = max(1, math.ceil(total / size))
    step = math.ceil(total / count)
    return [slice(i, min(i + step, total)) for i in range(0, total, step)]


# One engine per model and input shape for the module-level functions, dropped with the model.
_ENGINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def engine_for(
    model: object, input_shape: Sequence[int], output: str = "auto"
) -> AttributionEngine:
    """The cached :class:`AttributionEngine` of ``model`` for ``input_shape`` and ``output``."""
    per_model = _ENGINES.setdefault(model, {})
    key = (tuple(int(d) for d in input_shape), output)
    if key not in per_model:
        per_model[key] = AttributionEngine(model, key[0], output=output)
    return per_model[key]


def integrated_gradients(
    model: object,
    x: object,
    *,
    target: object = None,
    baseline: object = "black",
    steps: int | str = DEFAULT_STEPS,
    method: str = DEFAULT_METHOD,
    batch_size: int | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    max_steps: int = DEFAULT_MAX_STEPS,
    num_baseline_samples: int | None = None,
    output: str = "auto",
) -> IntegratedGradientsResult:
    """Integrated gradients of ``model``'s target score for each example of ``x``.

    ``IG(x) = (x - baseline) * integral_0^1 grad F_t(baseline + a (x - baseline)) da``,
    with the integral replaced by the quadrature rule ``method`` at ``steps`` points.

    Args:
      model: Keras classifier with one input and one output ``[batch, num_classes]``.
      x: ``[N, *input_shape]`` inputs (array or tensor), interpolated in float32.
      target: None (each example's predicted class), an int, or one int per example.
      baseline: ``"black"``, ``"white"``, ``"uniform"``, ``"blur"``, a number, or an array
        broadcasting to ``x`` (see :mod:`tb_attrib.engine.baselines`).
      steps: Gradient evaluations per example, or ``"auto"``: start at 16 points (64 for
        Gauss-Legendre, 5 for the adaptive rule) and refine the rule (reusing the earlier
        points of nested rules) for each example until its
        ``|delta| <= tolerance * |F_t(x) - F_t(baseline)|``, or ``max_steps`` is reached.
        Each example stops as soon as it meets the tolerance, so easy examples cost few
        evaluations. Examples whose change is below 2% of the probe's
        largest are judged against that 2% instead.
      method: ``"riemann_left"``, ``"riemann_right"``, ``"riemann_middle"``,
        ``"riemann_trapezoid"`` (default), ``"gausslegendre"``, or ``"adaptive_trapezoid"``:
        each example's points placed by bisection where its gradient map bends (see
        :mod:`tb_attrib.engine.adaptive`); ``steps`` is then the points each example gets,
        and ``"auto"`` bisects until the tolerance holds.
      batch_size: Interpolated inputs per model call; bounds memory and does not change the
        result beyond float rounding. None: :func:`default_batch_size`.
      tolerance: Relative completeness target of ``steps="auto"``.
      max_steps: Most evaluations per example that ``steps="auto"`` may use.
      num_baseline_samples: Draws for ``baseline="uniform"`` (default 4); attributions are
        averaged over draws.
      output: ``"auto"``, ``"probabilities"`` or ``"logits"``: what the model outputs.

    Returns:
      :class:`IntegratedGradientsResult` with ``attributions`` shaped like ``x`` and ``delta``
      the completeness delta ``sum(attributions) - (F_t(x) - F_t(baseline))``.

    Example::

        ig = tb_attrib.integrated_gradients(model, x_test[:16], target=y_test[:16])
        print(ig.attributions.shape, abs(ig.delta).max())
    """
    x = np.asarray(x, dtype=np.float32)
    engine = engine_for(model, x.shape[1:], output)
    return engine.integrated_gradients(
        x,
        target=target,
        baseline=baseline,
        steps=steps,
        method=method,
        batch_size=batch_size,
        tolerance=tolerance,
        max_steps=max_steps,
        num_baseline_samples=num_baseline_samples,
    )


def interior_gradients(
    model: object,
    x: object,
    alphas: Sequence[float] | np.ndarray,
    *,
    target: object = None,
    baseline: object = "black",
    batch_size: int | None = None,
    output: str = "auto",
) -> InteriorGradientsResult:
    """Gradients of the target score at ``baseline + alpha * (x - baseline)`` for each alpha.

    Args:
      model: Keras classifier with one input and one output ``[batch, num_classes]``.
      x: ``[N, *input_shape]`` inputs.
      alphas: K scaling factors in (0, 1], e.g. the classic sweep
        ``(0.01, 0.02, 0.03, 0.04, 0.1, 0.5, 0.6, 0.7, 0.8, 1.0)``.
      target: None (each example's predicted class), an int, or one int per example.
      baseline: As for :func:`integrated_gradients`; ``"uniform"`` uses its first draw.
      batch_size: Interpolated inputs per model call (None: :func:`default_batch_size`).
      output: ``"auto"``, ``"probabilities"`` or ``"logits"``: what the model outputs.

    Returns:
      :class:`InteriorGradientsResult`: ``gradients [N, K, *input_shape]``,
      ``predictions [N, K, num_classes]`` (probabilities) and ``scores [N, K]``.
    """
    x = np.asarray(x, dtype=np.float32)
    engine = engine_for(model, x.shape[1:], output)
    return engine.interior_gradients(
        x, alphas, target=target, baseline=baseline, batch_size=batch_size
    )
