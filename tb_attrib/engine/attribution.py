"""Interior gradients and integrated gradients for Keras models.

For a model ``F`` with explained score ``F_t`` (see :mod:`tb_attrib.engine.heads`), input ``x``
and baseline ``x'``:

Interior gradients (Sundararajan et al., 2016) are the gradients of ``F_t`` at the scaled
inputs ``x' + alpha * (x - x')`` for a sweep of alphas. They show how the gradient changes as
the input fades in; near ``alpha = 1`` a saturated network's gradient is often tiny.

Integrated gradients (Sundararajan et al., 2017) integrate them along the whole path::

    IG_i(x) = (x_i - x'_i) * integral_0^1 dF_t(x' + a (x - x')) / dx_i  da

and satisfy *completeness*: ``sum_i IG_i(x) = F_t(x) - F_t(x')``. The integral is computed
with a quadrature rule (:mod:`tb_attrib.engine.quadrature`) by one of the drivers of
:mod:`tb_attrib.engine.integrate`; the completeness delta ``sum(IG) - (F_t(x) - F_t(x'))``
measures how well (:mod:`tb_attrib.engine.completeness`).

Models may take several inputs (a list or dict, as ``model.fit`` does): the path scales every
attributed input at once, each gets its own attributions, and one delta covers them all. Token
inputs (integer ids reaching an embedding layer) are attributed at the embedding's output and
summed over the embedding dimension, so their attributions are ``[N, T]``, one per token.

All gradients go through one path kernel per engine (:mod:`tb_attrib.engine.kernel`), whose
``tf.function``s trace once per model and input shapes; interpolated inputs are fed in chunks
of ``batch_size`` with ``training=False``, and fixed rules accumulate weighted sums instead of
keeping gradients, so memory is bounded by ``batch_size``, not by ``steps``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import weakref
from collections.abc import Mapping, Sequence

import numpy as np

from tb_attrib.engine import adaptive, completeness, forward, heads, inputs, integrate, quadrature
from tb_attrib.engine import baseline_health as health_lib
from tb_attrib.engine import baselines as baselines_lib
from tb_attrib.engine import kernel as kernel_lib
from tb_attrib.engine.results import IntegratedGradientsResult, InteriorGradientsResult

DEFAULT_METHOD = "adaptive_trapezoid"
"""The adaptive trapezoid rule: each example's points placed where its gradient map bends,
every evaluation kept, and a free estimate of its map's error after each round; chosen by
measurement against the even rules (docs/benchmarks.md, "What steps='auto' costs")."""
DEFAULT_STEPS: int | str = "auto"
DEFAULT_TOLERANCE = 0.01
DEFAULT_MAP_TOLERANCE = 0.02
DEFAULT_MAX_STEPS = 512
AUTO_START_STEPS = integrate.AUTO_START_STEPS
SMALL_CHANGE_FRACTION = completeness.SMALL_CHANGE_FRACTION
_INPUT_ELEMENTS_PER_BATCH = {"tensorflow": 3 * 2**19, "jax": 3 * 2**17, "torch": 3 * 2**17}
"""Default chunk bound in input elements per backend: ~6 MB of float32 inputs on TensorFlow,
a quarter of that on JAX and PyTorch, whose CPU kernels ran 1.6-2.1x faster in chunks of 128
than of 512 inputs at 32x32x3 (docs/benchmarks.md, "Backends")."""
WarmStart = integrate.WarmStart
_MIN_DEFAULT_BATCH = 8
_MAX_DEFAULT_BATCH = 1024
_LEGACY_OUTPUT_KINDS = ("probabilities", "logits")


def default_batch_size(
    input_shape: Sequence[int] | Sequence[Sequence[int]], backend: str | None = None
) -> int:
    """Interpolated inputs per chunk when ``batch_size`` is None, between 8 and 1024: on
    TensorFlow about 1.5M input elements (512 at 32x32x3, 128 at 64x64x3, 10 at 224x224x3), on
    JAX and PyTorch a quarter of that (128 at 32x32x3); chunk sizes are compared in
    docs/benchmarks.md. Several inputs count together. ``backend`` defaults to Keras's."""
    shapes = input_shape if input_shape and isinstance(input_shape[0], Sequence) else [input_shape]
    elements = max(1, sum(math.prod(int(d) for d in shape) for shape in shapes))
    budget = _INPUT_ELEMENTS_PER_BATCH.get(backend or kernel_lib.backend_name(), 3 * 2**19)
    return int(min(_MAX_DEFAULT_BATCH, max(_MIN_DEFAULT_BATCH, budget // elements)))


@dataclasses.dataclass
class _Setup:
    """What an engine learned from the first probe: layout, slots, kernel, output, head."""

    layout: inputs.InputLayout
    modalities: list[str]
    slots: list[forward.Slot]
    kernel: kernel_lib.PathKernelBase
    output_key: object
    shapes: list[tuple]


@dataclasses.dataclass
class _Paths:
    """The paths of one call: the problem, its targets, and the scores at both ends."""

    problem: integrate.PathProblem
    targets: heads.Targets
    score_input: np.ndarray  # [N]
    score_bases: np.ndarray  # [S, N], one row per baseline draw
    base_outputs: np.ndarray  # [S, N, W] raw outputs at every baseline draw


@dataclasses.dataclass(frozen=True)
class _IntegralOptions:
    """How to integrate: the rule and, with ``steps="auto"``, when to stop."""

    steps: int | str
    method: str
    tolerance: float
    map_tolerance: float | None
    max_steps: int
    auto: bool

    @classmethod
    def checked(cls, steps, method, tolerance, map_tolerance, max_steps) -> _IntegralOptions:
        """The options, or ValueError naming the first one that is not usable."""
        method = quadrature.validate_method(method)
        auto = validate_steps(steps, method)
        if auto:
            _check_tolerance(tolerance, max_steps, method, map_tolerance)
        return cls(steps, method, tolerance, map_tolerance, max_steps, auto)


class AttributionEngine:
    """Compiled gradient computations for one model and its input shapes.

    Build it once (a callback does so in ``on_train_begin``) and call it every epoch: its
    ``tf.function``s have a ``None`` batch dimension in their input signature, so they trace
    once whatever the chunk size, and read the model's current weights at each call.

    Args:
      model: A Keras model (Functional, Sequential or subclassed).
      input_shape: Shape of one example of a single input (checked on every call), or None.
      output: Which output of a model with several (its name or index); None for one output.
        For compatibility, ``"probabilities"`` or ``"logits"`` here mean ``output_kind``.
      output_kind: ``"auto"``, ``"probabilities"`` or ``"logits"``: what the output means.
        ``"auto"`` reads the final activation, or for subclassed models checks the outputs.
      head: ``"auto"`` or a kind of :mod:`tb_attrib.engine.heads` (``"multiclass"``,
        ``"binary"``, ``"multilabel"``, ``"regression"``).
      modality: ``None`` (detected), or one of :data:`tb_attrib.engine.inputs.MODALITIES`
        (a list or dict of them for several inputs). Only ``"tokens"`` changes what is
        differentiated.
      embedding_layer: Name of the embedding layer of a token input, when it is not the one
        embedding layer the input reaches (a list or dict for several token inputs).
      fixed_inputs: Names of inputs held fixed along the path (not attributed), e.g. masks.
    """

    def __init__(
        self,
        model: object,
        input_shape: Sequence[int] | None = None,
        *,
        output: object = None,
        output_kind: str = "auto",
        head: str = "auto",
        modality: object = None,
        embedding_layer: object = None,
        fixed_inputs: Sequence[str] | None = None,
    ) -> None:
        kernel_lib.check_backend()
        kernel_lib.check_model_backend(model)
        if output in _LEGACY_OUTPUT_KINDS or output == "auto":
            output_kind, output = ("auto" if output == "auto" else output), None
        self.model = model
        self.input_shape = None if input_shape is None else tuple(int(d) for d in input_shape)
        self.output = output
        self._head_arg = head
        self._output_kind_arg = output_kind
        heads.validate(head, output_kind)
        self._modality_arg = modality
        self._embedding_arg = embedding_layer
        if fixed_inputs is not None and (
            isinstance(fixed_inputs, str) or not all(isinstance(n, str) for n in fixed_inputs)
        ):
            raise ValueError(f"fixed_inputs must be a list of input names; got {fixed_inputs!r}")
        self.fixed_inputs = tuple(fixed_inputs or ())
        self._setup: _Setup | None = None
        self._head: heads.Head | None = None

    # ---- set-up ----------------------------------------------------------------------------

    def prepare(self, x: object) -> list[np.ndarray]:
        """One checked array per model input (float32, or int32 token ids); sets the engine up
        from the first probe it sees.

        Raises:
          ValueError: a structure, shape or modality that does not fit the model, naming the
            argument and what was expected.
        """
        setup = self._setup
        layout = setup.layout if setup else inputs.layout_of(self.model, x)
        raw = layout.split(x, "x")
        values = []
        for name, value in zip(layout.names, raw, strict=True):
            array = np.asarray(value)
            if array.dtype.kind not in "fiub":
                raise ValueError(f"x: input {name!r} must hold numbers; got dtype {array.dtype}")
            if array.ndim < 2 or array.shape[0] == 0:
                raise ValueError(
                    f"x: input {name!r} must be a non-empty batch [N, ...]; got {array.shape}"
                )
            values.append(array)
        if len({v.shape[0] for v in values}) != 1:
            counts = {n: v.shape[0] for n, v in zip(layout.names, values, strict=True)}
            raise ValueError(f"x: every input needs the same number of examples; got {counts}")
        single = self.input_shape is not None and len(values) == 1
        if single and values[0].shape[1:] != self.input_shape:
            raise ValueError(
                f"x has example shape {values[0].shape[1:]} but this engine was built for "
                f"{self.input_shape}"
            )
        if setup is None:
            self._setup = setup = self._build(layout, values)
        for name, value, shape in zip(layout.names, values, setup.shapes, strict=True):
            if value.shape[1:] != shape:
                raise ValueError(
                    f"x: input {name!r} has examples of shape {value.shape[1:]}; this engine "
                    f"was set up for {shape}"
                )
        return [
            v.astype(np.int32) if m == "tokens" else v.astype(np.float32)
            for v, m in zip(values, setup.modalities, strict=True)
        ]

    def _build(self, layout: inputs.InputLayout, values: list[np.ndarray]) -> _Setup:
        modalities = self._modalities(layout, values)
        unknown = [n for n in self.fixed_inputs if n not in layout.names]
        if unknown:
            raise ValueError(
                f"fixed_inputs names {unknown}, which the model does not have; its inputs are "
                f"{layout.describe()}"
            )
        embeddings = _per_input(self._embedding_arg, layout, "embedding_layer")
        slots, attributed, fixed = [], [], []
        for j, (name, value, modality) in enumerate(
            zip(layout.names, values, modalities, strict=True)
        ):
            example = tuple(value.shape[1:])
            if name in self.fixed_inputs:
                slots.append(forward.Slot("fixed"))
                fixed.append((example, "int32" if modality == "tokens" else "float32"))
            elif modality == "tokens":
                layer = inputs.find_embedding(self.model, j, embeddings[j])
                width = int(forward.embed(layer, value[:1].astype(np.int32)).shape[-1])
                slots.append(forward.Slot("tokens", layer))
                attributed.append(((*example, width), "float32"))
                fixed.append((example, "int32"))
            else:
                slots.append(forward.Slot("attributed"))
                attributed.append((example, "float32"))
        if not attributed:
            raise ValueError("fixed_inputs holds every input of the model: nothing to attribute")
        cast = [
            v.astype(np.int32) if m == "tokens" else v.astype(np.float32)
            for v, m in zip(values, modalities, strict=True)
        ]
        try:
            sample = forward.sample_output(self.model, layout, cast)
        except Exception as e:  # the probe does not fit the model
            raise ValueError(
                f"x cannot be fed to the model (its inputs are {layout.describe()}): "
                f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            ) from None
        key = forward.resolve_output(self.model, sample, self.output)
        run = forward.build(self.model, layout, slots, key)
        kernel = kernel_lib.make(run, attributed, fixed, self.model)
        shapes = [tuple(v.shape[1:]) for v in values]
        return _Setup(layout, modalities, slots, kernel, key, shapes)

    def _modalities(self, layout: inputs.InputLayout, values: list[np.ndarray]) -> list[str]:
        given = _per_input(self._modality_arg, layout, "modality")
        found = []
        for j, (name, value) in enumerate(zip(layout.names, values, strict=True)):
            if given[j] is None:
                modality = inputs.detect_modality(self.model, layout, j, value)
            else:
                modality = given[j]
                inputs.check_modality(modality, value, name)
            fractional = value.dtype.kind == "f" and not np.all(value == np.round(value))
            if modality == "tokens" and fractional:
                raise ValueError(f"input {name!r} is 'tokens' but does not hold integer ids")
            found.append(modality)
        return found

    @property
    def layout(self) -> inputs.InputLayout | None:
        return self._setup.layout if self._setup else None

    @property
    def modalities(self) -> list[str] | None:
        return list(self._setup.modalities) if self._setup else None

    @property
    def kernel(self) -> kernel_lib.PathKernelBase | None:
        return self._setup.kernel if self._setup else None

    def embedding_layers(self) -> list:
        """The embedding layer of each input (None for inputs that are not tokens)."""
        return [slot.embedding for slot in self._setup.slots] if self._setup else []

    # ---- outputs, head, targets --------------------------------------------------------------

    def outputs(self, x: object, batch_size: int | None = None) -> np.ndarray:
        """Raw outputs ``[N, W]`` (float32) of the explained output, ``training=False``."""
        values = self.prepare(x)
        attributed, held = self._path_ends(values)
        return self._setup.kernel.outputs(attributed, held, self._size(values, batch_size))

    def head(self, x: object = None, labels: object = None) -> heads.Head:
        """The model's head (detected once, from the probe's outputs and labels)."""
        if self._head is None:
            self._detect_head(self.outputs(x) if x is not None else np.zeros([0, 2]), labels)
        return self._head

    def _detect_head(self, outputs: np.ndarray, labels: object = None) -> heads.Head:
        self._head = heads.detect(
            self.model,
            outputs,
            head=self._head_arg,
            output_kind=self._output_kind_arg,
            labels=labels,
        )
        return self._head

    def output_kind(self, x: object = None) -> str:
        """``"probabilities"`` or ``"logits"`` (regression outputs count as logits)."""
        return self.head(x).output_kind

    def targets(self, target: object, x: object, outputs: np.ndarray | None = None, labels=None):
        """:class:`heads.Targets` for ``target`` (see :func:`integrated_gradients`)."""
        if isinstance(target, heads.Targets):
            return target
        outputs = self.outputs(x) if outputs is None else outputs
        head = self.head(x) if self._head is None else self._head
        return heads.resolve_targets(head, target, outputs, labels)

    # ---- paths -------------------------------------------------------------------------------

    def _path_ends(self, values: list[np.ndarray]) -> tuple[list, list]:
        """The attributed tensors at ``x`` (token ids embedded) and the fixed tensors."""
        attributed, held = [], []
        for slot, value in zip(self._setup.slots, values, strict=True):
            if slot.kind == "attributed":
                attributed.append(value)
            elif slot.kind == "fixed":
                held.append(value)
            else:
                attributed.append(forward.embed(slot.embedding, value))
                held.append(value)
        return attributed, held

    def path_ends(self, x: object, baseline: object = "black", batch_size: int | None = None):
        """What a method that evaluates the model between ``x`` and its baseline needs
        (:mod:`tb_attrib.engine.faithfulness`): ``(ends, held, bases, modalities, size)``, the
        attributed tensors at ``x`` (token ids embedded), the fixed tensors, the baseline of each
        attributed tensor (a ``"uniform"`` baseline's first draw), each attributed tensor's
        modality, and the chunk size ``batch_size`` resolves to."""
        values = self.prepare(x)
        ends, held = self._path_ends(values)
        bases = [b[0] for b in self._baselines(baseline, values, ends, 1)]
        modalities = [
            m
            for m, s in zip(self._setup.modalities, self._setup.slots, strict=True)
            if s.kind != "fixed"
        ]
        return ends, held, bases, modalities, self._size(values, batch_size)

    def with_model(self, view: object) -> AttributionEngine:
        """An engine set up as this one (layout, slots, output, head) whose kernel runs
        ``view`` instead of the model: an object that calls like the model and has its
        ``stateless_call`` and variables, such as the model with some weights replaced
        (:class:`tb_attrib.engine.randomisation.RandomisedView`). Call :meth:`prepare` first."""
        setup = self._setup
        run = forward.build(view, setup.layout, setup.slots, setup.output_key)
        old = setup.kernel
        attributed = [(shape, "float32") for shape in old.shapes]
        other = copy.copy(self)
        other.model = view
        other._setup = dataclasses.replace(
            setup, kernel=kernel_lib.make(run, attributed, old.fixed, view)
        )
        return other

    def check_baseline(self, x: object, baseline: object, background: object = None) -> None:
        """Raises ValueError (naming the input) unless ``baseline`` (and ``background``) fit
        every input of ``x``."""
        values = self.prepare(x)
        ends, _ = self._path_ends(values)
        self._baselines(baseline, values, ends, 1, background)

    def _baselines(self, baseline, values, ends, num_samples, background=None) -> list:
        """``[S, N, *shape]`` baselines per attributed tensor, all with the same ``S``."""
        specs = _per_input(baseline, self._setup.layout, "baseline", spec=True)
        expected = [isinstance(s, str) and s == baselines_lib.EXPECTED for s in specs]
        if background is not None and not any(expected):
            raise ValueError("background is used by baseline='expected' only")
        drawn = self._expected(values, background, num_samples) if any(expected) else None
        if drawn is not None and num_samples is None:
            num_samples = drawn[0].shape[0]
        made, a = [], 0
        for j, (slot, value, spec, name) in enumerate(
            zip(self._setup.slots, values, specs, self._setup.layout.names, strict=True)
        ):
            if slot.kind == "fixed":
                continue
            spec = "black" if spec is None else spec
            if expected[j]:
                made.append(self._drawn_baseline(slot, drawn[1][j][drawn[0]]))
            elif slot.kind == "tokens":
                made.append(_token_baseline(spec, slot.embedding, value, ends[a], name))
            else:
                try:
                    made.append(baselines_lib.make(spec, value, num_samples=num_samples))
                except ValueError as e:
                    prefix = "" if self._setup.layout.count == 1 else f"input {name!r}: "
                    raise ValueError(f"{prefix}{e}") from None
            a += 1
        draws = max(b.shape[0] for b in made)
        return [np.broadcast_to(b, (draws, *b.shape[1:])) if b.shape[0] == 1 else b for b in made]

    def _expected(self, values, background, num_samples) -> tuple[np.ndarray, list]:
        """Expected gradients' draws: ``[S, N]`` rows into the background (the probe itself
        by default) and the background's arrays, one per model input."""
        source = values if background is None else self._background(background)
        return baselines_lib.expected_rows(values, source, num_samples), source

    def _background(self, background: object) -> list[np.ndarray]:
        """The ``background=`` of expected gradients, checked like a probe."""
        try:
            return self.prepare(background)
        except ValueError as e:
            message = str(e)
            message = message[2:].lstrip() if message.startswith("x:") else message
            raise ValueError(f"background: {message}") from None

    @staticmethod
    def _drawn_baseline(slot: forward.Slot, rows: np.ndarray) -> np.ndarray:
        """``[S, N, *shape]`` baselines from ``[S, N, ...]`` background rows (token ids are
        embedded: the background sequences' embeddings)."""
        if slot.kind != "tokens":
            return rows.astype(np.float32)
        flat = rows.reshape(-1, *rows.shape[2:])
        embedded = np.asarray(forward.embed(slot.embedding, flat), np.float32)
        return embedded.reshape(*rows.shape[:2], *embedded.shape[1:])

    def _problem(self, values, baseline, target, size, num_samples, background=None):
        """The paths of every example and baseline draw (draw-major rows), their targets and
        scores, from one forward pass over the inputs and every baseline."""
        setup = self._setup
        ends, held = self._path_ends(values)
        bases = self._baselines(baseline, values, ends, num_samples, background)
        draws, n = bases[0].shape[0], values[0].shape[0]
        flat_bases = [b.reshape(draws * n, *b.shape[2:]) for b in bases]
        tiled_held = [np.concatenate([h] * draws) for h in held]
        outputs = setup.kernel.outputs(
            [np.concatenate([e, b]) for e, b in zip(ends, flat_bases, strict=True)],
            [np.concatenate([h, t]) for h, t in zip(held, tiled_held, strict=True)],
            size,
        )
        if self._head is None:
            self._detect_head(outputs[:n])
        targets = self.targets(target, None, outputs[:n])
        score_input = targets.scores(outputs[:n])
        score_bases = targets.scores(outputs[n:].reshape(draws, n, -1))  # [S, N]
        problem = integrate.PathProblem(
            kernel=setup.kernel,
            x=tuple(np.concatenate([e] * draws) for e in ends),
            base=tuple(flat_bases),
            held=tuple(tiled_held),
            index=np.tile(targets.index, draws),
            sign=np.tile(targets.sign, draws),
            change=(score_input[None] - score_bases).reshape(-1),
            size=size,
        )
        base_outputs = outputs[n:].reshape(draws, n, -1)
        return _Paths(problem, targets, score_input, score_bases, base_outputs)

    def paths(
        self,
        x: object,
        *,
        target: object = None,
        baseline: object = "black",
        batch_size: int | None = None,
    ):
        """The straight paths of ``x`` from ``baseline`` (one draw) with their targets and
        scores: what the methods of :mod:`tb_attrib.engine.methods` start from."""
        from tb_attrib.engine.methods import Paths

        values = self.prepare(x)
        size = self._size(values, batch_size)
        found = self._problem(values, baseline, target, size, 1)
        return Paths(
            problem=found.problem,
            targets=found.targets,
            score_input=found.score_input,
            score_baseline=found.score_bases[0],
            tokens=tuple(s.kind == "tokens" for s in self._attributed_slots()),
            structure=self._structured,
            head=self._head,
            input_names=self._setup.layout.names,
            baseline_name=_describe(baseline),
        )

    def _size(self, values, batch_size) -> int:
        if batch_size is not None:
            return int(batch_size)
        ends = []
        for slot, value in zip(self._setup.slots, values, strict=True):
            ends.append(value.shape[1:] if slot.kind != "tokens" else (*value.shape[1:], 64))
        return default_batch_size(ends)

    # ---- public API ----------------------------------------------------------------------

    def interior_gradients(
        self,
        x: object,
        alphas: Sequence[float] | np.ndarray,
        *,
        target: object = None,
        baseline: object = "black",
        batch_size: int | None = None,
        background: object = None,
    ) -> InteriorGradientsResult:
        """Gradients of the explained score at ``baseline + alpha * (x - baseline)`` for each
        alpha. See :func:`interior_gradients` for the arguments."""
        values = self.prepare(x)
        alphas = validate_alphas(alphas)
        size = self._size(values, batch_size)
        paths = self._problem(values, baseline, target, size, 1, background)
        return self._sweep(paths, alphas, baseline)[0]

    def _sweep(self, paths: _Paths, alphas: np.ndarray, baseline: object):
        """The sweep's result, and its gradients ``[N, K, D]`` (every attributed tensor
        flattened and joined, token inputs at their embeddings) for the adaptive rule."""
        problem, targets, head = paths.problem, paths.targets, self._head
        n, k = targets.index.shape[0], alphas.shape[0]
        stream = np.repeat(np.arange(n, dtype=np.int32), k)
        grads, raw, picked = problem.kernel.gradients(
            problem, stream, np.tile(alphas.astype(np.float32), n), problem.size
        )
        joined = np.concatenate([g.reshape(n, k, -1) for g in grads], axis=2)
        shown = []
        for g, d, slot in zip(grads, problem.difference(), self._attributed_slots(), strict=True):
            g = g.reshape(n, k, *g.shape[1:])
            if slot.kind == "tokens":
                g = np.einsum("nkte,nte->nkt", g, d[:n])
            shown.append(g.astype(np.float32))
        scores = targets.sign[:, None] * picked.reshape(n, k) + targets.offset[:, None]
        result = InteriorGradientsResult(
            gradients=self._structured(shown),
            predictions=heads.predictions(head, raw.reshape(n, k, -1)),
            scores=scores.astype(np.float32),
            alphas=alphas,
            target=targets.classes,
            baseline_name=_describe(baseline),
            finite=all(bool(np.all(np.isfinite(g))) for g in shown),
            head=head,
            input_names=self._setup.layout.names,
        )
        return result, joined

    def integrated_gradients(
        self,
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
        background: object = None,
        map_tolerance: float | None = DEFAULT_MAP_TOLERANCE,
        warm_start: integrate.WarmStart | None = None,
    ) -> IntegratedGradientsResult:
        """Integrated gradients with their completeness delta.

        See :func:`integrated_gradients` for the arguments.
        """
        options = _IntegralOptions.checked(steps, method, tolerance, map_tolerance, max_steps)
        values = self.prepare(x)
        size = self._size(values, batch_size)
        paths = self._problem(values, baseline, target, size, num_baseline_samples, background)
        return self._integrate(paths, options, baseline, None, warm_start)

    def sweep_and_integrate(
        self,
        x: object,
        alphas: Sequence[float] | np.ndarray,
        *,
        target: object = None,
        baseline: object = "black",
        steps: int | str = DEFAULT_STEPS,
        method: str = DEFAULT_METHOD,
        batch_size: int | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
        max_steps: int = DEFAULT_MAX_STEPS,
        num_baseline_samples: int | None = None,
        background: object = None,
        map_tolerance: float | None = DEFAULT_MAP_TOLERANCE,
        warm_start: integrate.WarmStart | None = None,
    ) -> tuple[InteriorGradientsResult, IntegratedGradientsResult]:
        """The interior-gradient sweep and integrated gradients of the same paths, at once.

        The same as :meth:`interior_gradients` then :meth:`integrated_gradients`, but with one
        forward pass for both; with a baseline of one draw, the adaptive rule also takes the
        sweep's gradients as points of its grids wherever it would bisect next to one
        (:func:`tb_attrib.engine.adaptive.snap`), so they are not computed twice. The
        callbacks call this every epoch.
        """
        options = _IntegralOptions.checked(steps, method, tolerance, map_tolerance, max_steps)
        values = self.prepare(x)
        alphas = validate_alphas(alphas)
        size = self._size(values, batch_size)
        paths = self._problem(values, baseline, target, size, num_baseline_samples, background)
        if paths.score_bases.shape[0] == 1:
            sweep, gradients = self._sweep(paths, alphas, baseline)
            seeds = integrate.Seeds(alphas, np.arange(paths.problem.count), gradients)
        else:  # several baseline draws: the sweep takes the first, IG all of them
            first = self._problem(values, baseline, target, size, 1, background)
            sweep = self._sweep(first, alphas, baseline)[0]
            seeds = None
        return sweep, self._integrate(paths, options, baseline, seeds, warm_start)

    def _integrate(self, paths, options, baseline, seeds, warm_start):
        problem = paths.problem
        auto, method = options.auto, options.method
        draws = paths.score_bases.shape[0]
        bounds = _path_bounds(problem.change, draws, options.tolerance) if auto else None
        if method == adaptive.METHOD:
            cap = int(options.max_steps) if auto else int(options.steps)
            start = warm_start.start(problem) if warm_start is not None and auto else None
            map_tolerance = options.map_tolerance if auto else None
            integral = integrate.adaptive(
                problem, cap, bounds, map_tolerance, seeds=seeds, start=start
            )
            if warm_start is not None and auto:
                warm_start.keep(problem, integral)
        elif auto:
            integral = integrate.refine(
                problem, method, int(options.max_steps), bounds, options.map_tolerance
            )
        else:
            integral = integrate.fixed(problem, method, int(options.steps))
        return self._result(paths, integral, auto, method=method, baseline_name=_describe(baseline))

    def baseline_health(self, result: IntegratedGradientsResult) -> health_lib.BaselineHealth:
        """What the model predicts on the baseline(s) of an integrated gradients ``result``
        (recorded from the forward pass that scored them; no model call here).

        Returns:
          :class:`tb_attrib.engine.baseline_health.BaselineHealth`: per example the
          baseline's predictions (mean over draws), top class and probability, and whether the
          map explains a change near zero because the baseline is its class.
        """
        if result.baseline_predictions is None:
            raise ValueError("this result does not hold the predictions on its baseline")
        change = result.score_input - result.score_baseline
        head = result.head or self._head
        return health_lib.assess(head, result.baseline_predictions[None], result.target, change)

    def _attributed_slots(self) -> list[forward.Slot]:
        return [s for s in self._setup.slots if s.kind != "fixed"]

    def _result(self, paths: _Paths, integral, auto: bool, **fields):
        """Per-example attributions averaged over baseline draws, and their delta."""
        problem, targets = paths.problem, paths.targets
        score_input, score_bases = paths.score_input, paths.score_bases
        draws, n = score_bases.shape
        attributions = []
        for a, slot in zip(integral.attributions(problem), self._attributed_slots(), strict=True):
            mean = a.reshape(draws, n, *a.shape[1:]).mean(axis=0)
            attributions.append(mean.sum(axis=-1) if slot.kind == "tokens" else mean)
        score_baseline = score_bases.mean(axis=0)
        total = sum(a.reshape(n, -1).sum(axis=1, dtype=np.float64) for a in attributions)
        delta = total - (score_input - score_baseline)
        per_draw = lambda v: v.reshape(draws, n).max(axis=0)  # noqa: E731
        return IntegratedGradientsResult(
            attributions=self._structured([a.astype(np.float32) for a in attributions]),
            delta=delta.astype(np.float32),
            target=targets.classes,
            score_input=score_input.astype(np.float32),
            score_baseline=score_baseline.astype(np.float32),
            baseline_predictions=heads.predictions(self._head, paths.base_outputs)
            .mean(axis=0)
            .astype(np.float32),
            steps=int(integral.steps.max()),
            evaluations=int(integral.evaluations.max()),
            example_steps=per_draw(integral.steps).astype(np.int32),
            example_evaluations=per_draw(integral.evaluations).astype(np.int32),
            map_error=None if integral.map_error is None else per_draw(integral.map_error),
            converged=bool(np.all(integral.within)) if auto else True,
            finite=bool(np.all(integral.finite)),
            head=self._head,
            input_names=self._setup.layout.names,
            **fields,
        )

    def _structured(self, attributed: list[np.ndarray]) -> object:
        """Per model input (None for fixed ones), in the structure the model takes."""
        it = iter(attributed)
        full = [None if s.kind == "fixed" else next(it) for s in self._setup.slots]
        return self._setup.layout.assemble(full)


def _path_bounds(change: np.ndarray, draws: int, tolerance: float) -> np.ndarray:
    """Completeness bound of each path (rows draw-major): that of its example's mean change
    over the draws, so that the delta averaged over draws is within ``tolerance`` of the
    change against the mean baseline score, as the result reports it. One draw: exactly
    :func:`completeness.bounds`. (Sharing the example's budget among its draws in proportion
    to ``|change|`` instead spent 18% more evaluations on the demo's GELU network.)"""
    per_example = np.asarray(change, np.float64).reshape(draws, -1).mean(axis=0)
    return np.tile(completeness.bounds(per_example, tolerance), draws)


def _describe(baseline: object) -> str:
    if isinstance(baseline, Mapping | list | tuple) and not _is_numeric_sequence(baseline):
        return "per input"
    return baselines_lib.describe(baseline)


def _is_numeric_sequence(value: object) -> bool:
    try:
        return np.asarray(value).dtype.kind in "fiub"
    except (TypeError, ValueError):
        return False


def _per_input(value: object, layout: inputs.InputLayout, argument: str, spec: bool = False):
    """``value`` for each input: a dict by input name, a list in the model's order (several
    inputs only), or one value for all."""
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in layout.names]
        if unknown:
            raise ValueError(
                f"{argument} names inputs {unknown} that the model does not have; its inputs "
                f"are {layout.describe()}"
            )
        return [value.get(n) for n in layout.names]
    per_input = isinstance(value, list | tuple) and layout.count > 1
    if spec:  # a baseline list may be a numeric array for one input
        per_input = per_input and len(value) == layout.count and not _is_numeric_sequence(value)
    if per_input:
        if len(value) != layout.count:
            raise ValueError(
                f"{argument} has {len(value)} entries but the model has {layout.count} inputs "
                f"({layout.describe()})"
            )
        return list(value)
    if isinstance(value, list | tuple) and not spec and value:
        raise ValueError(f"{argument} must be one value or a dict by input name; got {value!r}")
    return [value] * layout.count


def _token_baseline(spec, layer, ids, end, name) -> np.ndarray:
    """``[1, N, T, E]``: zero embeddings (``"black"``) or the embedding of one token id."""
    if isinstance(spec, str) and spec == "black":
        return np.zeros((1, *end.shape), np.float32)
    if isinstance(spec, int | np.integer) and not isinstance(spec, bool):
        vocabulary = getattr(layer, "input_dim", None)
        if spec < 0 or (vocabulary is not None and spec >= vocabulary):
            raise ValueError(
                f"baseline for token input {name!r}: token id {spec} is outside the "
                f"embedding's vocabulary [0, {vocabulary})"
            )
        return forward.embed(layer, np.full(ids.shape, int(spec), np.int32))[None]
    raise ValueError(
        f"baseline for token input {name!r} must be 'black' (zero embeddings), a token id "
        f"(an int) whose embedding is the baseline at every position, or 'expected' "
        f"(embeddings of background sequences); got {spec!r}"
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


def _check_tolerance(
    tolerance: float, max_steps: int, method: str, map_tolerance: float | None = None
) -> None:
    if not (isinstance(tolerance, int | float) and 0 < tolerance < 1):
        raise ValueError(f"tolerance must be a number in (0, 1); got {tolerance!r}")
    if map_tolerance is not None and not (
        isinstance(map_tolerance, int | float) and 0 < map_tolerance < 1
    ):
        raise ValueError(f"map_tolerance must be a number in (0, 1) or None; got {map_tolerance!r}")
    if not isinstance(max_steps, int | np.integer) or max_steps < quadrature.min_steps(method):
        raise ValueError(f"max_steps must be an int >= {quadrature.min_steps(method)}")


# One engine per model and options for the module-level functions, dropped with the model.
_ENGINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def engine_for(model: object, key: object = None, **options: object) -> AttributionEngine:
    """The cached :class:`AttributionEngine` of ``model`` for these options (and ``key``, the
    input shapes it serves)."""
    per_model = _ENGINES.setdefault(model, {})
    cache_key = repr((key, sorted(options.items())))
    if cache_key not in per_model:
        per_model[cache_key] = AttributionEngine(model, **options)
    return per_model[cache_key]


def _engine(model, x, output, head, modality, embedding_layer, fixed_inputs):
    shapes = tuple(
        (k, np.shape(v)[1:])
        for k, v in (
            x.items()
            if isinstance(x, Mapping)
            else enumerate(x if isinstance(x, list | tuple) else [x])
        )
    )
    return engine_for(
        model,
        shapes,
        output=output,
        head=head,
        modality=modality if not isinstance(modality, list) else tuple(modality),
        embedding_layer=embedding_layer,
        fixed_inputs=tuple(fixed_inputs) if fixed_inputs else None,
    )


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
    background: object = None,
    map_tolerance: float | None = DEFAULT_MAP_TOLERANCE,
    warm_start: integrate.WarmStart | None = None,
    output: object = None,
    head: str = "auto",
    modality: object = None,
    embedding_layer: object = None,
    fixed_inputs: Sequence[str] | None = None,
) -> IntegratedGradientsResult:
    """Integrated gradients of ``model``'s explained score for each example of ``x``.

    ``IG(x) = (x - baseline) * integral_0^1 grad F_t(baseline + a (x - baseline)) da``,
    with the integral replaced by the quadrature rule ``method`` at ``steps`` points.

    Args:
      model: A Keras model: multiclass, binary, multi-label or regression head (see
        :mod:`tb_attrib.engine.heads`), one or several inputs and outputs.
      x: ``[N, *input_shape]`` inputs (array or tensor), or a list or dict of them for several
        inputs, as ``model.fit`` takes them. Float inputs are interpolated in float32.
      target: None (multiclass and binary: each example's predicted class; multi-label: the
        highest-scoring output; regression: output 0), an int, or one int per example: the
        class (binary: 0 or 1) or output index explained.
      baseline: ``"black"``, ``"white"``, ``"uniform"``, ``"blur"``, ``"expected"``, a
        number, or an array broadcasting to ``x`` (see :mod:`tb_attrib.engine.baselines`);
        for token inputs ``"black"`` (zero embeddings), a token id or ``"expected"``. Several
        inputs: one value for all, or a list or dict per input.
      steps: Gradient evaluations per example, or ``"auto"``: refine each example's rule
        until its relative completeness (:mod:`tb_attrib.engine.completeness`) is within
        ``tolerance`` and its map's estimated relative L2 error within ``map_tolerance``, or
        ``max_steps``. The adaptive rule starts from 5 points and bisects where the gradient
        map bends; nested rules start at 16 points (Gauss-Legendre at 64) and double.
      method: ``"adaptive_trapezoid"`` (default: each example's points placed by bisection
        where its gradient map bends, see :mod:`tb_attrib.engine.adaptive`),
        ``"riemann_left"``, ``"riemann_right"``, ``"riemann_middle"``,
        ``"riemann_trapezoid"`` or ``"gausslegendre"``.
      batch_size: Interpolated inputs per model call; bounds memory and does not change the
        result beyond float rounding. None: :func:`default_batch_size`.
      tolerance: Relative completeness target of ``steps="auto"`` (default 0.01).
      max_steps: Most evaluations per example that ``steps="auto"`` may use (default 512).
      num_baseline_samples: Draws for ``baseline="uniform"`` (default 4) and
        ``"expected"`` (default 8) per example; attributions are averaged over draws and the
        completeness delta is against the mean baseline score.
      background: The inputs ``baseline="expected"`` draws its baselines from, in the
        structure of ``x`` (``[B, ...]`` arrays; token inputs: ids, whose embeddings are the
        baselines). Default None: ``x`` itself. An example is never its own baseline, and
        each example's draws are fixed by a seed and its bytes
        (:func:`tb_attrib.engine.baselines.expected_rows`).
      map_tolerance: Largest estimated relative L2 error of each example's map that
        ``steps="auto"`` accepts (default 0.02; None: completeness alone decides). The
        estimate is the distance between the example's last two rules, which costs nothing.
      warm_start: A :class:`WarmStart` kept between calls on the same probe (default None):
        the adaptive rule starts each example one round before its last grid. It saves
        rounds, not evaluations, and the callbacks do not use it (docs/benchmarks.md, (f)).
      output: The output to explain, by name or index, for a model with several outputs.
      head: ``"auto"``, ``"multiclass"``, ``"binary"``, ``"multilabel"`` or ``"regression"``.
      modality: Override of the detected modality of each input (see
        :mod:`tb_attrib.engine.inputs`).
      embedding_layer: The embedding layer of a token input, by name, when it is ambiguous.
      fixed_inputs: Names of inputs held fixed along the path (not attributed).

    Returns:
      :class:`IntegratedGradientsResult` with ``attributions`` shaped like ``x`` (tokens: one
      value per token) and ``delta`` the completeness delta over every input together.

    Example::

        ig = tb_attrib.integrated_gradients(model, x_test[:16], target=y_test[:16])
        print(ig.attributions.shape, abs(ig.delta).max())
    """
    engine = _engine(model, x, output, head, modality, embedding_layer, fixed_inputs)
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
        background=background,
        map_tolerance=map_tolerance,
        warm_start=warm_start,
    )


def interior_gradients(
    model: object,
    x: object,
    alphas: Sequence[float] | np.ndarray,
    *,
    target: object = None,
    baseline: object = "black",
    batch_size: int | None = None,
    background: object = None,
    output: object = None,
    head: str = "auto",
    modality: object = None,
    embedding_layer: object = None,
    fixed_inputs: Sequence[str] | None = None,
) -> InteriorGradientsResult:
    """Gradients of the explained score at ``baseline + alpha * (x - baseline)`` for each alpha.

    Args:
      model: A Keras model (see :func:`integrated_gradients`).
      x: ``[N, *input_shape]`` inputs, or a list or dict of them.
      alphas: K scaling factors in (0, 1], e.g. the classic sweep
        ``(0.01, 0.02, 0.03, 0.04, 0.1, 0.5, 0.6, 0.7, 0.8, 1.0)``.
      target: As for :func:`integrated_gradients`.
      baseline: As for :func:`integrated_gradients`; ``"uniform"`` and ``"expected"`` use
        their first draw.
      batch_size: Interpolated inputs per model call (None: :func:`default_batch_size`).
      background: As for :func:`integrated_gradients`.
      output, head, modality, embedding_layer, fixed_inputs: As for
        :func:`integrated_gradients`.

    Returns:
      :class:`InteriorGradientsResult`: ``gradients [N, K, *input_shape]``,
      ``predictions [N, K, P]`` and ``scores [N, K]``.
    """
    engine = _engine(model, x, output, head, modality, embedding_layer, fixed_inputs)
    return engine.interior_gradients(
        x, alphas, target=target, baseline=baseline, batch_size=batch_size, background=background
    )
