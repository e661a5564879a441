"""The JAX path kernel: ``jax.jit`` over ``jax.grad`` of the model's ``stateless_call``.

During ``fit`` Keras keeps the JAX training state outside the model's variables and attaches
it again at the end of each epoch; a callback's ``self.model`` syncs it
(``model.jax_state_sync()``). The kernel reads ``variable.value`` of every variable at each
call, after that sync, and passes them to the jitted function as arguments, so the function
traces once per input shapes and always differentiates the current weights.

Chunks are padded to a handful of lengths (:func:`tb_attrib.engine.kernel.bucket`) so that
``jit`` does not compile once per chunk length.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from tb_attrib.engine.kernel import PathKernelBase, bucket


class PathKernel(PathKernelBase):
    """See :class:`tb_attrib.engine.kernel.PathKernelBase`."""

    def __init__(self, forward, attributed, fixed=(), model=None) -> None:
        super().__init__(forward, attributed, fixed, model)
        self._traces = {"outputs": 0, "gradients": 0, "weighted_sum": 0}
        self._outputs_fn = jax.jit(self._outputs)
        self._gradients_fn = jax.jit(self._gradients)
        self._weighted_fn = jax.jit(self._weighted)
        self._size = 1

    # ---- traced bodies -------------------------------------------------------------------

    def _call(self, trainable, non_trainable):
        model = self.model

        def call(inputs):
            out, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
            return out

        return call

    def _outputs(self, trainable, non_trainable, values, held):
        self._traces["outputs"] += 1
        return self.forward(list(values), list(held), self._call(trainable, non_trainable))

    def _path_gradients(self, trainable, non_trainable, x, base, held, path, alpha, index, sign):
        points = []
        for xs, bs in zip(x, base, strict=True):
            start = bs[path]
            scale = alpha.reshape((-1,) + (1,) * (xs.ndim - 1))
            points.append(start + scale * (xs[path] - start))
        fixed = [h[path] for h in held]
        call = self._call(trainable, non_trainable)
        chosen = index[path]

        def score(points):
            outputs = self.forward(list(points), fixed, call)
            picked = jnp.take_along_axis(outputs, chosen[:, None], axis=1)[:, 0]
            return jnp.sum(picked * sign[path]), (outputs, picked)

        gradients, (outputs, picked) = jax.grad(score, has_aux=True)(points)
        return list(gradients), outputs, picked

    def _gradients(self, *arguments):
        self._traces["gradients"] += 1
        return self._path_gradients(*arguments)

    def _weighted(self, trainable, non_trainable, x, base, held, path, alpha, weight, index, sign):
        self._traces["weighted_sum"] += 1
        gradients, _, _ = self._path_gradients(
            trainable, non_trainable, x, base, held, path, alpha, index, sign
        )
        count = x[0].shape[0]
        sums = []
        for g in gradients:
            w = weight.reshape((-1,) + (1,) * (g.ndim - 1))
            sums.append(jax.ops.segment_sum(g * w, path, num_segments=count))
        return sums

    # ---- chunks --------------------------------------------------------------------------

    def _state(self):
        model = self.model
        return (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
        )

    def _arguments(self, problem) -> tuple:
        x, base, held, index, sign = super()._arguments(problem)
        convert = lambda arrays: tuple(jnp.asarray(a) for a in arrays)  # noqa: E731
        return (convert(x), convert(base), convert(held), jnp.asarray(index), jnp.asarray(sign))

    def _pad(self, length: int) -> int:
        return bucket(length, self._size)

    def gradients(self, problem, paths, alphas, size):
        self._size = size
        return super().gradients(problem, paths, alphas, size)

    def weighted_sum(self, problem, paths, alphas, weights, size):
        self._size = size
        return super().weighted_sum(problem, paths, alphas, weights, size)

    def _outputs_chunk(self, values, held):
        n = values[0].shape[0] if values else held[0].shape[0]
        length = bucket(n, n)
        pad = lambda a: np.concatenate([a, np.repeat(a[:1], length - n, 0)]) if length > n else a  # noqa: E731
        out = self._outputs_fn(
            *self._state(),
            tuple(jnp.asarray(pad(v)) for v in values),
            tuple(jnp.asarray(pad(h)) for h in held),
        )
        return np.asarray(out)[:n]

    def _gradients_chunk(self, arguments, paths, alphas):
        x, base, held, index, sign = arguments
        g, o, s = self._gradients_fn(*self._state(), x, base, held, paths, alphas, index, sign)
        return [np.asarray(part) for part in g], np.asarray(o), np.asarray(s)

    def _weighted_chunk(self, arguments, paths, alphas, weights):
        x, base, held, index, sign = arguments
        return self._weighted_fn(*self._state(), x, base, held, paths, alphas, weights, index, sign)

    def tracing_counts(self) -> dict[str, int]:
        return dict(self._traces)
