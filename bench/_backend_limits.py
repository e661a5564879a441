"""The bare limit of the engine benchmark on each Keras backend, and what a backend process
reports about itself.

The limit of ``bench/engine.py`` (a) is the same work as our integrated gradients done by the
backend's own batched input gradient in one compiled call and nothing else: interpolate every
(example, alpha) pair, take the gradient of each example's target score in one batch, return
``(x - b) * sum_j w_j grad(alpha_j)``. No chunking, no bookkeeping, no forward pass for ``F(x)``
or ``F(b)``.

- TensorFlow: one ``tf.function`` with a ``GradientTape`` (``input_signature`` with a ``None``
  batch axis: traced once).
- JAX: ``jax.jit`` of ``jax.grad`` of the model's ``stateless_call`` with the current variable
  values as arguments (what a JAX user writes; compiles once per shape).
- PyTorch: ``torch.autograd.grad`` of the model called eagerly on the whole batch, gradients
  for the inputs only (a Keras model is a ``torch.nn.Module`` there; nothing to compile).

Every limit takes and returns NumPy arrays, so the caller is backend-neutral. Nothing here
imports a backend's framework before it is asked for (the benchmark must run where only JAX or
only PyTorch is installed).
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

BACKENDS = ("tensorflow", "jax", "torch")

Limit = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""``limit(x, baseline, alphas, weights, targets) -> [N, *shape]`` attributions."""


def backend() -> str:
    import keras

    return keras.backend.backend()


def bare_limit(model, input_shape: Sequence[int], name: str | None = None) -> Limit:
    """The bare limit on backend ``name`` (default: the one Keras runs on)."""
    name = name or backend()
    build = {"tensorflow": _tensorflow, "jax": _jax, "torch": _torch}.get(name)
    if build is None:
        raise ValueError(f"no gradient on the {name!r} backend; choose from {BACKENDS}")
    return build(model, tuple(int(d) for d in input_shape))


def tensorflow_function(model, input_shape: Sequence[int]):
    """The TensorFlow limit as the ``tf.function`` itself (returns a tensor)."""
    import tensorflow as tf

    example = tf.TensorSpec([None, *input_shape], tf.float32)
    vector = tf.TensorSpec([None], tf.float32)
    index = tf.TensorSpec([None], tf.int32)
    rank = len(input_shape)

    @tf.function(input_signature=[example, example, vector, vector, index])
    def limit(x, baseline, alphas, weights, targets):
        n, k = tf.shape(x)[0], tf.shape(alphas)[0]
        xs = tf.repeat(x, k, axis=0)
        bs = tf.repeat(baseline, k, axis=0)
        scale = tf.reshape(tf.tile(alphas, [n]), [-1] + [1] * rank)
        inputs = bs + scale * (xs - bs)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = tf.cast(model(inputs, training=False), tf.float32)
            score = tf.gather(outputs, tf.repeat(targets, k), axis=1, batch_dims=1)
        gradients = tf.reshape(tape.gradient(score, inputs), tf.concat([[n, k], input_shape], 0))
        return (x - baseline) * tf.tensordot(weights, gradients, axes=[[0], [1]])

    return limit


def _tensorflow(model, input_shape) -> Limit:
    function = tensorflow_function(model, input_shape)

    def limit(x, baseline, alphas, weights, targets):
        return function(x, baseline, alphas, weights, targets).numpy()

    limit.function = function
    return limit


def _jax(model, input_shape) -> Limit:
    import jax
    import jax.numpy as jnp

    rank = len(input_shape)

    @jax.jit
    def function(trainable, non_trainable, x, baseline, alphas, weights, targets):
        n, k = x.shape[0], alphas.shape[0]
        xs = jnp.repeat(x, k, axis=0)
        bs = jnp.repeat(baseline, k, axis=0)
        scale = jnp.tile(alphas, n).reshape((-1,) + (1,) * rank)
        chosen = jnp.repeat(targets, k)[:, None]

        def score(inputs):
            outputs, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
            outputs = outputs.astype(jnp.float32)
            return jnp.sum(jnp.take_along_axis(outputs, chosen, axis=1))

        gradients = jax.grad(score)(bs + scale * (xs - bs)).reshape((n, k, *input_shape))
        return (x - baseline) * jnp.tensordot(weights, gradients, axes=[[0], [1]])

    def limit(x, baseline, alphas, weights, targets):
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        out = function(trainable, non_trainable, x, baseline, alphas, weights, targets)
        return np.asarray(out)

    limit.function = function
    return limit


def _torch(model, input_shape) -> Limit:
    import torch

    device = torch_device()
    rank = len(input_shape)

    def tensor(a):
        return torch.as_tensor(np.ascontiguousarray(a), device=device)

    def limit(x, baseline, alphas, weights, targets):
        x, baseline, alphas, weights = map(tensor, (x, baseline, alphas, weights))
        n, k = x.shape[0], alphas.shape[0]
        xs = torch.repeat_interleave(x, k, dim=0)
        bs = torch.repeat_interleave(baseline, k, dim=0)
        scale = alphas.repeat(n).reshape((-1,) + (1,) * rank)
        inputs = (bs + scale * (xs - bs)).requires_grad_(True)
        chosen = torch.repeat_interleave(tensor(targets).long(), k)[:, None]
        with torch.enable_grad():
            outputs = model(inputs, training=False).float()
            (gradients,) = torch.autograd.grad(outputs.gather(1, chosen).sum(), inputs)
        gradients = gradients.reshape((n, k, *input_shape))
        out = (x - baseline) * torch.tensordot(weights, gradients, dims=([0], [1]))
        return out.detach().cpu().numpy()

    return limit


def torch_device():
    """The device Keras's torch backend computes on."""
    import torch
    from keras.src.backend.torch.core import get_device

    return torch.device(get_device())


# ---- what a backend process reports --------------------------------------------------------


def describe(name: str | None = None) -> dict:
    """Versions and devices of backend ``name`` (default: Keras's), as plain data."""
    import keras

    name = name or backend()
    out = {
        "backend": name,
        "keras": keras.__version__,
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "devices": [],
    }
    if name == "tensorflow":
        import tensorflow as tf

        out["framework"] = f"TensorFlow {tf.__version__}"
        out["devices"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    elif name == "jax":
        import jax

        out["framework"] = f"JAX {jax.__version__}"
        out["devices"] = [
            str(getattr(d, "device_kind", d)) for d in jax.devices() if d.platform != "cpu"
        ]
    elif name == "torch":
        import torch

        out["framework"] = f"PyTorch {torch.__version__}"
        out["threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            out["devices"] = [
                torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())
            ]
    return out


def synchronize(name: str | None = None) -> None:
    """Waits for the backend's queued device work (the limits return NumPy arrays, which
    already waits; this is for code that does not)."""
    name = name or backend()
    if name == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()


# ---- peak memory -----------------------------------------------------------------------------


def reset_peak() -> None:
    """Resets the process's resident-set high-water mark, and the device's peak where there
    is one (Linux: ``/proc/self/clear_refs``)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    if backend() == "torch":
        import torch

        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()


def rss_bytes() -> int:
    """Resident set size now (``/proc/self/statm``; 0 where there is none)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """Resident-set high-water mark since start or :func:`reset_peak` (``VmHWM``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def device_peak_bytes() -> int | None:
    """Peak accelerator memory in use since :func:`reset_peak` (None on CPU, or where the
    backend does not say). JAX keeps no resettable peak: its number is since start."""
    name = backend()
    if name == "torch":
        import torch

        return int(torch.cuda.max_memory_allocated()) if torch.cuda.is_available() else None
    if name == "jax":
        import jax

        devices = [d for d in jax.devices() if d.platform != "cpu"]
        stats = devices[0].memory_stats() if devices else None
        return int(stats["peak_bytes_in_use"]) if stats and "peak_bytes_in_use" in stats else None
    if name == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])
    return None
