"""The path kernel: gradients of an explained score along straight paths, batched and traced once.

A path runs from a baseline ``b`` to an input ``x`` through ``b + alpha * (x - b)``. Every
attribution method of the engine is built on two operations of this module:

- :meth:`PathKernel.gradients`: the gradient of the score at given (path, alpha) pairs, with the
  model's outputs there (the interior-gradient sweep, the adaptive rule);
- :meth:`PathKernel.weighted_sum`: ``sum_j w_j * gradient(alpha_j)`` per path, accumulated
  chunk by chunk so that memory is bounded by ``batch_size`` and not by the number of points
  (integrated gradients with a fixed rule).

The differentiated function is a :class:`Forward`: attributed tensors (the model's float inputs,
or the output of an embedding layer for token inputs) and fixed tensors (inputs held as they
are, token ids) to raw outputs ``[batch, W]``. The score of each path is ``sign * output[index]``
(see :class:`tb_attrib.engine.heads.Targets`; a constant offset does not change gradients).

All (path, alpha) pairs of a call are one flat stream gathered inside the graph from the whole
probe, fed in balanced chunks of at most ``size`` pairs; each ``tf.function`` has a ``None``
batch axis in its input signature, so it traces once per model and input shapes and reads the
model's current weights at every call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

Forward = Callable[[list, list], tf.Tensor]
"""``forward(attributed, fixed) -> [batch, W]`` float32 raw outputs, ``training=False``."""


class PathKernel:
    """Compiled path gradients of one :data:`Forward` for fixed per-example shapes.

    Args:
      forward: The differentiated function.
      attributed: One example's shape and dtype per attributed tensor, ``[(shape, dtype)]``.
      fixed: The same for the fixed tensors.
    """

    def __init__(
        self,
        forward: Forward,
        attributed: Sequence[tuple[tuple[int, ...], object]],
        fixed: Sequence[tuple[tuple[int, ...], object]] = (),
    ) -> None:
        self.forward = forward
        self.shapes = [tuple(int(d) for d in shape) for shape, _ in attributed]
        spec = lambda shape, dtype: tf.TensorSpec([None, *shape], dtype)  # noqa: E731
        values = tuple(spec(shape, tf.float32) for shape in self.shapes)
        held = tuple(spec(shape, tf.as_dtype(dtype)) for shape, dtype in fixed)
        index = tf.TensorSpec([None], tf.int32)
        floats = tf.TensorSpec([None], tf.float32)
        self._outputs_fn = tf.function(self._outputs, input_signature=[values, held])
        self._gradients_fn = tf.function(
            self._gradients, input_signature=[values, values, held, index, floats, index, floats]
        )
        self._weighted_fn = tf.function(
            self._weighted,
            input_signature=[values, values, held, index, floats, floats, index, floats],
        )

    # ---- traced bodies -------------------------------------------------------------------

    def _outputs(self, values, held):
        return self.forward(list(values), list(held))

    def _gradients(self, x, base, held, path, alpha, index, sign):
        points = []
        for xs, bs in zip(x, base, strict=True):
            start = tf.gather(bs, path)
            scale = tf.reshape(alpha, [-1] + [1] * (len(xs.shape) - 1))
            points.append(start + scale * (tf.gather(xs, path) - start))
        fixed = [tf.gather(h, path) for h in held]
        with tf.GradientTape() as tape:
            tape.watch(points)
            outputs = self.forward(points, fixed)
            picked = tf.gather(outputs, tf.gather(index, path), axis=1, batch_dims=1)
            score = picked * tf.gather(sign, path)
        gradients = tape.gradient(score, points)
        gradients = [
            tf.zeros_like(p) if g is None else g for g, p in zip(gradients, points, strict=True)
        ]
        return gradients, outputs, picked

    def _weighted(self, x, base, held, path, alpha, weight, index, sign):
        gradients, _, _ = self._gradients(x, base, held, path, alpha, index, sign)
        count = tf.shape(x[0])[0]
        sums = []
        for g in gradients:
            w = tf.reshape(weight, [-1] + [1] * (len(g.shape) - 1))
            sums.append(tf.math.unsorted_segment_sum(g * w, path, count))
        return sums

    # ---- calls ---------------------------------------------------------------------------

    def outputs(self, values: list, held: list, size: int) -> np.ndarray:
        """Raw outputs ``[P, W]`` of every path's end ``values`` (chunks of ``size``)."""
        total = values[0].shape[0] if values else held[0].shape[0]
        parts = []
        for chunk in chunks(total, size):
            parts.append(
                self._outputs_fn(
                    tuple(v[chunk] for v in values), tuple(h[chunk] for h in held)
                ).numpy()
            )
        return np.concatenate(parts, axis=0)

    def gradients(self, problem, paths: np.ndarray, alphas: np.ndarray, size: int):
        """Gradients at ``(paths[e], alphas[e])`` for every stream entry ``e``.

        Returns ``(gradients, outputs, scores)``: one ``[E, *shape]`` array per attributed
        tensor, raw outputs ``[E, W]`` and the target output ``[E]`` (before ``sign``).
        """
        grads: list[list[np.ndarray]] = [[] for _ in self.shapes]
        outs, scores = [], []
        for chunk in chunks(paths.shape[0], size):
            g, o, s = self._gradients_fn(
                *problem.arguments(),
                paths[chunk].astype(np.int32),
                alphas[chunk].astype(np.float32),
                *problem.target_arguments(),
            )
            for j, part in enumerate(g):
                grads[j].append(part.numpy())
            outs.append(o.numpy())
            scores.append(s.numpy())
        return [np.concatenate(g) for g in grads], np.concatenate(outs), np.concatenate(scores)

    def weighted_sum(
        self, problem, paths: np.ndarray, alphas: np.ndarray, weights: np.ndarray, size: int
    ) -> list[np.ndarray]:
        """``sum_e weights[e] * gradient(paths[e], alphas[e])`` per path: ``[P, *shape]``."""
        total = None
        for chunk in chunks(paths.shape[0], size):
            part = self._weighted_fn(
                *problem.arguments(),
                paths[chunk].astype(np.int32),
                alphas[chunk].astype(np.float32),
                weights[chunk].astype(np.float32),
                *problem.target_arguments(),
            )
            total = part if total is None else [t + p for t, p in zip(total, part, strict=True)]
        return [t.numpy() for t in total]

    def tracing_counts(self) -> dict[str, int]:
        """How often each compiled function traced (each should trace once)."""
        return {
            name: fn.experimental_get_tracing_count()
            for name, fn in (
                ("outputs", self._outputs_fn),
                ("gradients", self._gradients_fn),
                ("weighted_sum", self._weighted_fn),
            )
        }


def chunks(total: int, size: int) -> list[slice]:
    """Balanced slices of at most ``size`` covering ``range(total)``."""
    size = max(1, int(size))
    count = max(1, math.ceil(total / size))
    step = max(1, math.ceil(total / count))
    return [slice(i, min(i + step, total)) for i in range(0, total, step)]
