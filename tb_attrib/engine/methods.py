"""Attribution methods beside integrated gradients, and what they share.

Every method is written once, on the engine's path kernel (:mod:`tb_attrib.engine.kernel`),
which differentiates the explained score at (path, alpha) pairs of a
:class:`~tb_attrib.engine.integrate.PathProblem`: a point ``p`` is the path ``b = p`` at
alpha 0, and a noisy input ``x + noise`` is a path from its baseline to ``x + noise``. So each
method runs on every Keras backend and every input modality the engine supports.

- ``"integrated_gradients"``: the engine's own IG (:mod:`tb_attrib.engine.attribution`).
- ``"smoothgrad"``: noise-averaged gradients (Smilkov et al., 2017),
  :func:`tb_attrib.engine.smoothing.smoothgrad`.
- ``"smoothgrad_ig"``: SmoothGrad on integrated gradients: IG of noisy inputs, averaged.
- ``"guided_ig"``: Guided integrated gradients (Kapishnikov et al., 2021),
  :func:`tb_attrib.engine.guided_ig.guided_integrated_gradients`.

Each method returns an :class:`~tb_attrib.engine.results.IntegratedGradientsResult` whose
``method`` names the method, so one write op (``tb_attrib.summary.integrated_gradients``)
records any of them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from tb_attrib.engine import heads, integrate
from tb_attrib.engine.results import IntegratedGradientsResult

INTEGRATED_GRADIENTS = "integrated_gradients"
METHOD_NAMES = (INTEGRATED_GRADIENTS, "smoothgrad", "smoothgrad_ig", "guided_ig")
"""Every name ``Attributions(methods=...)`` accepts, IG first."""

OPTIONS = {
    "smoothgrad": {"noise_level": 0.15, "samples": 25, "seed": 0},
    "smoothgrad_ig": {"noise_level": 0.15, "samples": 10, "seed": 0, "steps": 32},
    "guided_ig": {"steps": 200, "fraction": 0.25, "max_dist": 0.02},
}
"""Each extra method's options and their defaults (those of PAIR ``saliency``, except
``smoothgrad_ig``'s ``samples``, lowered from 25 to keep its cost near ten IG calls)."""


@dataclasses.dataclass
class Paths:
    """The straight paths of a probe from its baseline (one draw), as the methods start.

    Attributes:
      problem: The :class:`~tb_attrib.engine.integrate.PathProblem` of the ``N`` examples.
      targets: The :class:`~tb_attrib.engine.heads.Targets` explained.
      score_input: ``[N]`` ``F_t(x)``.
      score_baseline: ``[N]`` ``F_t(b)``.
      tokens: Per attributed tensor, whether it is a token input's embeddings (shown summed
        over the embedding dimension).
      structure: Turns one array per attributed tensor into the structure of the probe.
      head: The model's head.
      input_names: The model's input names.
      baseline_name: The baseline's display name.
    """

    problem: integrate.PathProblem
    targets: heads.Targets
    score_input: np.ndarray
    score_baseline: np.ndarray
    tokens: tuple[bool, ...]
    structure: Callable[[list[np.ndarray]], object]
    head: heads.Head
    input_names: tuple[str, ...]
    baseline_name: str

    def with_ends(self, x: Sequence[np.ndarray], base: Sequence[np.ndarray], copies: int = 1):
        """A problem over ``copies`` copies of every path with new ends and starts (the held
        tensors and targets tiled alike); ``x`` and ``base`` hold ``copies * N`` rows."""
        p = self.problem
        return dataclasses.replace(
            p,
            x=tuple(np.asarray(v, np.float32) for v in x),
            base=tuple(np.asarray(v, np.float32) for v in base),
            held=tuple(np.concatenate([h] * copies) for h in p.held),
            index=np.tile(p.index, copies),
            sign=np.tile(p.sign, copies),
            change=np.zeros(copies * p.count),
        )

    def scores_at(self, values: Sequence[np.ndarray], copies: int = 1) -> np.ndarray:
        """``[copies, N]`` ``F_t`` at ``copies * N`` path ends ``values``."""
        p = self.problem
        held = [np.concatenate([h] * copies) for h in p.held]
        raw = p.kernel.outputs(list(values), held, p.size)
        return self.targets.scores(raw.reshape(copies, p.count, -1))

    def result(
        self, maps: list[np.ndarray], delta: np.ndarray, method: str, steps: int, evaluations: int
    ) -> IntegratedGradientsResult:
        """The result of a method: ``maps`` per attributed tensor (token embeddings summed)."""
        n = self.problem.count
        shown = [m.sum(axis=-1) if t else m for m, t in zip(maps, self.tokens, strict=True)]
        shown = [np.asarray(m, np.float32) for m in shown]
        finite = all(bool(np.all(np.isfinite(m))) for m in shown)
        return IntegratedGradientsResult(
            attributions=self.structure(shown),
            delta=np.asarray(delta, np.float32).reshape(n),
            target=self.targets.classes,
            score_input=self.score_input.astype(np.float32),
            score_baseline=self.score_baseline.astype(np.float32),
            method=method,
            steps=int(steps),
            evaluations=int(evaluations),
            baseline_name=self.baseline_name,
            finite=finite,
            example_steps=np.full(n, steps, np.int32),
            example_evaluations=np.full(n, evaluations, np.int32),
            head=self.head,
            input_names=self.input_names,
        )


def validate_methods(methods: object) -> tuple[str, ...]:
    """The method names, IG first, or ValueError naming ``methods`` and the known names."""
    if isinstance(methods, str) or not isinstance(methods, Sequence):
        raise ValueError(
            f"methods must be a list of method names from {list(METHOD_NAMES)}; got {methods!r}"
        )
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if unknown:
        raise ValueError(
            f"methods: unknown method name(s) {unknown}; expected names from {list(METHOD_NAMES)}"
        )
    extra = [m for m in METHOD_NAMES[1:] if m in methods]
    return (INTEGRATED_GRADIENTS, *extra)


def validate_options(options: object, methods: Sequence[str]) -> dict[str, dict]:
    """Each extra method's options (defaults filled in), or ValueError naming the bad one."""
    options = {} if options is None else options
    if not isinstance(options, Mapping):
        raise ValueError(f"method_options must be a dict by method name; got {options!r}")
    unknown = [name for name in options if name not in OPTIONS]
    if unknown:
        raise ValueError(
            f"method_options names {unknown}, which take no options; methods with options: "
            f"{list(OPTIONS)}"
        )
    out = {}
    for name in methods:
        if name not in OPTIONS:
            continue
        given = dict(options.get(name) or {})
        bad = [k for k in given if k not in OPTIONS[name]]
        if bad:
            raise ValueError(
                f"method_options[{name!r}]: unknown option(s) {bad}; {name} takes "
                f"{list(OPTIONS[name])}"
            )
        merged = {**OPTIONS[name], **given}
        _check_options(name, merged)
        out[name] = merged
    return out


def _check_options(name: str, options: dict) -> None:
    for key, value in options.items():
        if key in ("samples", "steps") and not _positive_int(value):
            raise ValueError(
                f"method_options[{name!r}][{key!r}] must be an int >= 1; got {value!r}"
            )
        if key == "seed" and not (isinstance(value, int) and not isinstance(value, bool)):
            raise ValueError(f"method_options[{name!r}]['seed'] must be an int; got {value!r}")
        if key in ("noise_level", "fraction", "max_dist") and not _fraction(value):
            raise ValueError(
                f"method_options[{name!r}][{key!r}] must be a number in (0, 1]; got {value!r}"
            )


def _positive_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 1


def _fraction(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= 1
    )


def joined(arrays: Sequence[np.ndarray], count: int) -> np.ndarray:
    """``[count, D]``: every array's rows flattened and joined (float64)."""
    return np.concatenate([np.asarray(a, np.float64).reshape(count, -1) for a in arrays], axis=1)
