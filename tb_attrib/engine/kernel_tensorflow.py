"""The TensorFlow path kernel: ``tf.function`` + ``GradientTape``.

The (path, alpha) pairs of a chunk are gathered inside the graph from the whole probe, and
each ``tf.function`` has a ``None`` batch axis in its input signature, so it traces once per
model and input shapes whatever the chunk and probe sizes, and reads the model's current
weights at every call. Weighted sums are ``unsorted_segment_sum``s per path.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tb_attrib.engine.kernel import PathKernelBase


class PathKernel(PathKernelBase):
    """See :class:`tb_attrib.engine.kernel.PathKernelBase`."""

    def __init__(self, forward, attributed, fixed=(), model=None) -> None:
        super().__init__(forward, attributed, fixed, model)
        spec = lambda shape, dtype: tf.TensorSpec([None, *shape], dtype)  # noqa: E731
        values = tuple(spec(shape, tf.float32) for shape in self.shapes)
        held = tuple(spec(shape, tf.as_dtype(dtype)) for shape, dtype in self.fixed)
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

    # ---- chunks --------------------------------------------------------------------------

    def _outputs_chunk(self, values, held):
        return self._outputs_fn(tuple(values), tuple(held)).numpy()

    def _gradients_chunk(self, arguments, paths, alphas):
        x, base, held, index, sign = arguments
        g, o, s = self._gradients_fn(x, base, held, paths, alphas, index, sign)
        return [part.numpy() for part in g], o.numpy(), s.numpy()

    def _weighted_chunk(self, arguments, paths, alphas, weights):
        x, base, held, index, sign = arguments
        return self._weighted_fn(x, base, held, paths, alphas, weights, index, sign)

    def _to_numpy(self, tensors) -> list[np.ndarray]:
        return [t.numpy() for t in tensors]

    def tracing_counts(self) -> dict[str, int]:
        return {
            name: fn.experimental_get_tracing_count()
            for name, fn in (
                ("outputs", self._outputs_fn),
                ("gradients", self._gradients_fn),
                ("weighted_sum", self._weighted_fn),
            )
        }
