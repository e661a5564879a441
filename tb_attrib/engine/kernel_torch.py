"""The PyTorch path kernel: ``torch.autograd.grad`` with respect to the interpolated inputs.

A Keras model is a ``torch.nn.Module`` on this backend; it is called eagerly (nothing to trace)
with ``training=False``, on the device Keras uses, and only the inputs' gradients are asked
for (``torch.autograd.grad(..., inputs=points)``), so no weight gradient is accumulated.
"""

from __future__ import annotations

import numpy as np
import torch

from tb_attrib.engine.kernel import PathKernelBase


def _device() -> torch.device:
    from keras.src.backend.torch.core import get_device

    return torch.device(get_device())


class PathKernel(PathKernelBase):
    """See :class:`tb_attrib.engine.kernel.PathKernelBase`."""

    def __init__(self, forward, attributed, fixed=(), model=None) -> None:
        super().__init__(forward, attributed, fixed, model)
        self.device = _device()

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        array = np.asarray(array)
        if not (array.flags.writeable and array.flags.c_contiguous):
            array = np.array(array, order="C")  # torch wants writable, contiguous memory
        return torch.as_tensor(array, device=self.device)

    def _arguments(self, problem) -> tuple:
        x, base, held, index, sign = super()._arguments(problem)
        convert = lambda arrays: tuple(self._tensor(a) for a in arrays)  # noqa: E731
        return (
            convert(x),
            convert(base),
            convert(held),
            self._tensor(index).long(),
            self._tensor(sign),
        )

    def _path_gradients(self, arguments, paths, alphas):
        x, base, held, index, sign = arguments
        path = self._tensor(paths).long()
        alpha = self._tensor(alphas)
        points = []
        for xs, bs in zip(x, base, strict=True):
            start = bs[path]
            scale = alpha.reshape((-1,) + (1,) * (xs.ndim - 1))
            points.append((start + scale * (xs[path] - start)).detach().requires_grad_(True))
        fixed = [h[path] for h in held]
        with torch.enable_grad():
            outputs = self.forward(points, fixed)
            picked = outputs.gather(1, index[path][:, None])[:, 0]
            gradients = torch.autograd.grad((picked * sign[path]).sum(), points, allow_unused=True)
        gradients = [
            torch.zeros_like(p) if g is None else g for g, p in zip(gradients, points, strict=True)
        ]
        return gradients, outputs.detach(), picked.detach(), path

    def _outputs_chunk(self, values, held):
        with torch.no_grad():
            out = self.forward([self._tensor(v) for v in values], [self._tensor(h) for h in held])
        return out.detach().cpu().numpy()

    def _gradients_chunk(self, arguments, paths, alphas):
        gradients, outputs, picked, _ = self._path_gradients(arguments, paths, alphas)
        numpy = lambda t: t.detach().cpu().numpy()  # noqa: E731
        return [numpy(g) for g in gradients], numpy(outputs), numpy(picked)

    def _weighted_chunk(self, arguments, paths, alphas, weights):
        gradients, _, _, path = self._path_gradients(arguments, paths, alphas)
        count = arguments[0][0].shape[0]
        weight = self._tensor(weights)
        sums = []
        for g in gradients:
            w = weight.reshape((-1,) + (1,) * (g.ndim - 1))
            total = torch.zeros((count, *g.shape[1:]), dtype=g.dtype, device=g.device)
            sums.append(total.index_add_(0, path, (g * w).detach()))
        return sums

    def _to_numpy(self, tensors) -> list[np.ndarray]:
        return [t.detach().cpu().numpy() for t in tensors]
