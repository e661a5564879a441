"""The path kernel: gradients of an explained score along straight paths, batched.

A path runs from a baseline ``b`` to an input ``x`` through ``b + alpha * (x - b)``. Every
attribution method of the engine is built on the two operations of a kernel:

- ``gradients(problem, paths, alphas, size)``: the gradient of the score at given (path,
  alpha) pairs, with the model's outputs there (the interior-gradient sweep, the adaptive
  rule);
- ``weighted_sum(problem, paths, alphas, weights, size)``: ``sum_e w_e * gradient(e)`` per
  path, accumulated chunk by chunk so that memory is bounded by ``size`` (pairs per model
  call) and not by the number of points (integrated gradients with a fixed rule);

plus ``outputs(values, held, size)``, the raw outputs at path ends. The differentiated function
is built by :func:`tb_attrib.engine.forward.build` with ``keras.ops`` (the same on every
backend); its score is ``sign * output[index]``.

This module holds what every backend shares: the chunking and the loops over chunks
(:class:`PathKernelBase`). One module per Keras backend supplies the batched gradient of one
chunk: :mod:`~tb_attrib.engine.kernel_tensorflow` (``tf.function`` + ``GradientTape``),
:mod:`~tb_attrib.engine.kernel_jax` (``jax.jit`` over ``jax.grad`` of the model's
``stateless_call``), :mod:`~tb_attrib.engine.kernel_torch` (``torch.autograd.grad``). Each
traces or compiles once per model and input shapes and reads the current weights at every
call. :func:`make` picks the one Keras runs on.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence

import numpy as np

DIFFERENTIABLE_BACKENDS = ("tensorflow", "jax", "torch")


def backend_name() -> str:
    import keras

    return keras.backend.backend()


def check_backend(name: str | None = None) -> str:
    """The Keras backend, or ValueError naming the ones that can differentiate."""
    name = name or backend_name()
    if name not in DIFFERENTIABLE_BACKENDS:
        raise ValueError(
            f"Keras runs on the {name!r} backend, which cannot compute gradients; tb_attrib "
            f"works on {', '.join(DIFFERENTIABLE_BACKENDS)} (set KERAS_BACKEND before "
            "importing keras)"
        )
    return name


def check_model_backend(model: object) -> None:
    """Raises ValueError when ``model``'s variables belong to another backend than the one
    Keras runs on (a model built before ``keras.config.set_backend``)."""
    current = backend_name()
    for variable in getattr(model, "weights", [])[:1]:
        modules = [kind.__module__ for kind in type(variable).__mro__]
        for name in (*DIFFERENTIABLE_BACKENDS, "numpy", "openvino"):
            if any(f".backend.{name}." in m for m in modules) and name != current:
                raise ValueError(
                    f"the model was built under the {name!r} Keras backend, but Keras now runs "
                    f"on {current!r}: build or load it (keras.saving.load_model) again under "
                    f"{current!r}"
                )


def make(forward, attributed, fixed, model) -> PathKernelBase:
    """The kernel of the backend Keras runs on."""
    name = check_backend()
    module = importlib.import_module(f"tb_attrib.engine.kernel_{name}")
    return module.PathKernel(forward, attributed, fixed, model)


class PathKernelBase:
    """Chunk loops shared by every backend's kernel.

    Subclasses implement ``_outputs_chunk(values, held)``, ``_gradients_chunk(arguments,
    paths, alphas)`` (returning numpy ``(gradients list, outputs, picked)``) and
    ``_weighted_chunk(arguments, paths, alphas, weights)`` (returning backend tensors of
    ``[P, *shape]`` sums, added chunk by chunk with :meth:`_add`), and may convert the
    problem's arrays once per call in :meth:`_arguments`.

    Args:
      forward: The differentiated function (:func:`tb_attrib.engine.forward.build`).
      attributed: One example's shape and dtype per attributed tensor, ``[(shape, dtype)]``.
      fixed: The same for the fixed tensors.
      model: The Keras model (its variables, where the backend needs them).
    """

    def __init__(self, forward, attributed: Sequence, fixed: Sequence = (), model=None):
        self.forward = forward
        self.model = model
        self.shapes = [tuple(int(d) for d in shape) for shape, _ in attributed]
        self.fixed = [(tuple(int(d) for d in shape), dtype) for shape, dtype in fixed]

    # ---- hooks ---------------------------------------------------------------------------

    def _arguments(self, problem) -> tuple:
        """``(x, base, held, index, sign)`` as the backend wants them, once per call."""
        x, base, held = problem.arguments()
        index, sign = problem.target_arguments()
        return (tuple(x), tuple(base), tuple(held), index, sign)

    def _pad(self, length: int) -> int:
        """Length a chunk of ``length`` pairs is padded to (no padding by default)."""
        return length

    def _add(self, total, part):
        return part if total is None else [t + p for t, p in zip(total, part, strict=True)]

    def _to_numpy(self, tensors) -> list[np.ndarray]:
        return [np.asarray(t) for t in tensors]

    # ---- calls ---------------------------------------------------------------------------

    def outputs(self, values: list, held: list, size: int) -> np.ndarray:
        """Raw outputs ``[P, W]`` at every path end ``values`` (chunks of ``size``)."""
        total = values[0].shape[0] if values else held[0].shape[0]
        parts = []
        for chunk in chunks(total, size):
            parts.append(self._outputs_chunk([v[chunk] for v in values], [h[chunk] for h in held]))
        return np.concatenate(parts, axis=0)

    def gradients(self, problem, paths: np.ndarray, alphas: np.ndarray, size: int):
        """Gradients at ``(paths[e], alphas[e])`` for every stream entry ``e``.

        Returns ``(gradients, outputs, scores)``: one ``[E, *shape]`` array per attributed
        tensor, raw outputs ``[E, W]`` and the target output ``[E]`` (before ``sign``).
        """
        arguments = self._arguments(problem)
        grads: list[list[np.ndarray]] = [[] for _ in self.shapes]
        outs, scores = [], []
        for chunk in chunks(paths.shape[0], size):
            p, a, _, n = self._padded(paths[chunk], alphas[chunk], None)
            g, o, s = self._gradients_chunk(arguments, p, a)
            for j, part in enumerate(g):
                grads[j].append(part[:n])
            outs.append(o[:n])
            scores.append(s[:n])
        return [np.concatenate(g) for g in grads], np.concatenate(outs), np.concatenate(scores)

    def weighted_sum(
        self, problem, paths: np.ndarray, alphas: np.ndarray, weights: np.ndarray, size: int
    ) -> list[np.ndarray]:
        """``sum_e weights[e] * gradient(paths[e], alphas[e])`` per path: ``[P, *shape]``."""
        arguments = self._arguments(problem)
        total = None
        for chunk in chunks(paths.shape[0], size):
            p, a, w, _ = self._padded(paths[chunk], alphas[chunk], weights[chunk])
            total = self._add(total, self._weighted_chunk(arguments, p, a, w))
        return self._to_numpy(total)

    def _padded(self, paths, alphas, weights):
        """Pads a chunk to :meth:`_pad` entries (path 0, alpha 0, weight 0)."""
        n = paths.shape[0]
        length = self._pad(n)
        paths = paths.astype(np.int32)
        alphas = alphas.astype(np.float32)
        weights = None if weights is None else weights.astype(np.float32)
        if length > n:
            extra = length - n
            paths = np.concatenate([paths, np.zeros(extra, np.int32)])
            alphas = np.concatenate([alphas, np.zeros(extra, np.float32)])
            if weights is not None:
                weights = np.concatenate([weights, np.zeros(extra, np.float32)])
        return paths, alphas, weights, n

    def tracing_counts(self) -> dict[str, int]:
        """How often each compiled function traced, where the backend compiles."""
        return {}


def chunks(total: int, size: int) -> list[slice]:
    """Balanced slices of at most ``size`` covering ``range(total)``."""
    size = max(1, int(size))
    count = max(1, math.ceil(total / size))
    step = max(1, math.ceil(total / count))
    return [slice(i, min(i + step, total)) for i in range(0, total, step)]


def bucket(length: int, size: int) -> int:
    """``length`` rounded up to a power of two, at most ``max(size, length)``: the chunk
    lengths a compiling backend sees stay a handful whatever the probe and rule."""
    return min(max(int(size), length), 1 << max(0, (int(length) - 1).bit_length()))
