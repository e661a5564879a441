"""The implementations compared by ``bench/peers.py``: ours and three peers, each run two ways.

Every implementation answers the same question for the same probe: integrated gradients of
the model's output for each example's target class (the probability, since the benchmark
networks end in softmax), from a black (all-zero) baseline, with a given number of gradient
evaluations per example. Each returns the full ``[N, H, W, C]`` attribution,
``(x - baseline) * integral``, so that all of them are compared on the same quantity; where
a peer's own output is something else (tf-explain), :meth:`Implementation.native` returns
what the peer itself hands to its user and the notes say how it differs.

The peers' quadrature rules, read from their code (saliency 0.2.1, tf-explain 0.3.1):

- saliency ``IntegratedGradients.GetMask``: ``n`` equally spaced points
  ``linspace(0, 1, n)`` (both ends included) with equal weights ``1/n``: first order, even on
  smooth paths. One example per call; ``batch_size`` path points per ``call_model_function``.
- tf-explain ``IntegratedGradients.explain``: the same points and weights, but it returns the
  mean path gradient without the ``(x - baseline)`` factor, as the absolute value summed over
  channels and normalised to [0, 1] per image, tiled into one 2D grid. One class index per
  call; the whole ``N * n`` interpolated batch goes through the model at once (no chunking).
- the TensorFlow tutorial: ``n`` points ``linspace(0, 1, n)`` with the trapezoid rule (end
  weights halved): second order. One example per call, in batches of path points.
- ours: the engine's default rule, the adaptive trapezoid rule: the same number of
  evaluations per example, placed by bisection where each example's integrand bends, in
  rounds, through one ``tf.function`` traced once. ``ours-trapezoid`` is the engine's even
  trapezoid rule (the tutorial's), the interpolated inputs of all examples in one stream cut
  into fixed-size chunks; ``ours-gausslegendre`` (not run by default) is Gauss-Legendre.

The TensorFlow tutorial is not a package: :class:`Tutorial` is written here from the
published algorithm (interpolate a batch of alphas, gradient of the target score, trapezoid
average, multiply by ``x - baseline``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# The same bound on interpolated inputs per model call that our engine uses by default, so
# that "best" peer configurations get batches as large as ours.
from tb_attrib.engine import default_batch_size


class Implementation:
    """One way of computing integrated gradients for a fixed model, probe and targets.

    Attributes:
      key: Short identifier used on the command line and in the tables.
      library: Who wrote the algorithm (``tb_attrib``, ``saliency``, ``tf-explain``,
        ``TF tutorial``).
      setting: How it is called (``as documented`` or ``best we can give it``).
      rule: Name of the quadrature rule; implementations with the same rule give the same
        numbers up to float rounding.
      min_evals: Fewest evaluations the rule accepts.
    """

    key = ""
    library = ""
    setting = ""
    rule = ""
    min_evals = 2
    native_is_attributions = True  # native() returns the same array as attribute()
    needs_warmup = True  # compiles on first use of a new evaluation count or class

    def __init__(self, model: object, x: np.ndarray, targets: np.ndarray):
        self.model = model
        self.x = np.asarray(x, np.float32)
        self.targets = np.asarray(targets, np.int32)
        self.baseline = np.zeros_like(self.x[0])

    def attribute(self, evals: int) -> np.ndarray:
        """``[N, H, W, C]`` integrated gradients with ``evals`` gradient evaluations each."""
        raise NotImplementedError

    def native(self, evals: int) -> object:
        """What the library itself returns to its user (default: :meth:`attribute`)."""
        return self.attribute(evals)

    def timed_call(self, evals: int) -> object:
        """The call whose wall time is reported: what a user of this setting runs."""
        return self.native(evals)


# ---- ours --------------------------------------------------------------------------------


class Ours(Implementation):
    """``tb_attrib.integrated_gradients`` with a fixed step count and the given rule (the
    engine's default rule unless told)."""

    library = "tb_attrib"

    def __init__(self, model, x, targets, method: str | None = None):
        super().__init__(model, x, targets)
        import tb_attrib
        from tb_attrib.engine import DEFAULT_METHOD, quadrature

        self._ig = tb_attrib.integrated_gradients
        self.method = method or DEFAULT_METHOD
        self.rule = self.method
        default = self.method == DEFAULT_METHOD
        short = {"adaptive_trapezoid": "adaptive"}.get(self.method, self.method.split("_")[-1])
        self.key = "ours" if default else f"ours-{short}"
        self.setting = f"default ({self.method})" if default else f"method={self.method!r}"
        self.min_evals = quadrature.min_steps(self.method)

    def result(self, evals: int) -> object:
        """The engine's full result (attributions, delta, scores)."""
        return self._ig(
            self.model, self.x, target=self.targets, baseline="black", steps=int(evals),
            method=self.method,
        )  # fmt: skip

    def attribute(self, evals: int) -> np.ndarray:
        return self.result(evals).attributions


# ---- saliency (PAIR) -----------------------------------------------------------------------


class SaliencyDocs(Implementation):
    """``saliency.core.IntegratedGradients`` as its core examples show it.

    An eager ``call_model_function`` (a ``GradientTape`` around ``model(images)``), one
    ``GetMask`` per example, ``batch_size=20`` path points per model call.
    """

    key = "saliency-docs"
    library = "saliency"
    setting = "as documented: eager, batch_size=20"
    rule = "equal weights, both ends"
    batch_size: int | None = 20
    needs_warmup = False  # eager: nothing to compile

    def __init__(self, model, x, targets):
        super().__init__(model, x, targets)
        import saliency.core as saliency

        self._saliency = saliency
        self._method = saliency.IntegratedGradients()
        self._call = self._make_call_model_function()

    def _make_call_model_function(self) -> Callable:
        import tensorflow as tf

        key = self._saliency.INPUT_OUTPUT_GRADIENTS
        model = self.model

        def call_model_function(images, call_model_args=None, expected_keys=None):
            images = tf.convert_to_tensor(images)
            with tf.GradientTape() as tape:
                tape.watch(images)
                score = model(images)[:, call_model_args["class"]]
            return {key: np.array(tape.gradient(score, images))}

        return call_model_function

    def _batch(self, evals: int) -> int:
        return int(self.batch_size or evals)

    def attribute(self, evals: int) -> np.ndarray:
        masks = [
            self._method.GetMask(
                self.x[i],
                self._call,
                {"class": int(self.targets[i])},
                x_steps=int(evals),
                x_baseline=self.baseline,
                batch_size=self._batch(evals),
            )
            for i in range(self.x.shape[0])
        ]
        return np.stack(masks).astype(np.float32)


class SaliencyBest(SaliencyDocs):
    """saliency with the best setup we can give it: a gradient function compiled once with
    ``tf.function`` (fixed input signature, ``training=False``), and ``batch_size`` large
    enough for a whole path in one call (bounded like our chunks)."""

    key = "saliency-best"
    setting = "tf.function, batch_size=whole path"
    batch_size = None
    needs_warmup = True

    def _make_call_model_function(self) -> Callable:
        import tensorflow as tf

        key = self._saliency.INPUT_OUTPUT_GRADIENTS
        model = self.model
        spec = tf.TensorSpec([None, *self.x.shape[1:]], tf.float32)

        @tf.function(input_signature=[spec, tf.TensorSpec([], tf.int32)])
        def gradient(images, target):
            with tf.GradientTape() as tape:
                tape.watch(images)
                score = tf.gather(
                    tf.cast(model(images, training=False), tf.float32), target, axis=1
                )
            return tape.gradient(score, images)

        def call_model_function(images, call_model_args=None, expected_keys=None):
            images = tf.convert_to_tensor(images, tf.float32)
            return {key: gradient(images, tf.constant(call_model_args["class"])).numpy()}

        return call_model_function

    def _batch(self, evals: int) -> int:
        return min(int(evals), default_batch_size(self.x.shape[1:]))


# ---- tf-explain ---------------------------------------------------------------------------


class TfExplainDocs(Implementation):
    """``tf_explain.core.integrated_gradients.IntegratedGradients.explain`` as documented.

    ``explain((images, None), model, class_index, n_steps)`` takes one class index for the
    whole batch, so the probe is explained one target class at a time. It returns a 2D grid
    of per-image normalised ``|mean gradient|`` maps (summed over channels), not attributions:
    the ``(x - baseline)`` factor is missing. :meth:`attribute` therefore calls tf-explain's
    own public ``get_integrated_gradients`` (the mean path gradient it computes) and applies
    the missing factor, which is the corrected quantity compared with everyone else.
    """

    key = "tfexplain-docs"
    library = "tf-explain"
    setting = "as documented: explain() per class"
    rule = "equal weights, both ends"
    native_is_attributions = False

    def __init__(self, model, x, targets):
        super().__init__(model, x, targets)
        from tf_explain.core.integrated_gradients import IntegratedGradients

        self._cls = IntegratedGradients
        self._explainer = IntegratedGradients()
        self._groups = [
            (int(c), np.flatnonzero(self.targets == c)) for c in np.unique(self.targets)
        ]

    def native(self, evals: int) -> list[tuple[int, np.ndarray]]:
        """``(class, grid)`` per target class: what ``explain`` returns."""
        return [
            (c, self._explainer.explain((self.x[idx], None), self.model, c, n_steps=int(evals)))
            for c, idx in self._groups
        ]

    def mean_gradients(self, evals: int) -> np.ndarray:
        """tf-explain's own ``[N, H, W, C]`` "integrated gradients": the mean path gradient."""
        out = np.zeros_like(self.x)
        for c, idx in self._groups:
            paths = self._cls.generate_interpolations(self.x[idx], int(evals))
            out[idx] = self._cls.get_integrated_gradients(paths, self.model, c, int(evals))
        return out

    def attribute(self, evals: int) -> np.ndarray:
        return (self.x - self.baseline) * self.mean_gradients(evals)


class TfExplainBest(TfExplainDocs):
    """tf-explain's own gradient code without its display post-processing: the compiled
    ``get_integrated_gradients`` per target class, times the missing ``(x - baseline)``."""

    key = "tfexplain-best"
    setting = "get_integrated_gradients + (x-b) factor"
    native_is_attributions = True

    def native(self, evals: int) -> np.ndarray:
        return self.attribute(evals)


# ---- the TensorFlow tutorial's algorithm ---------------------------------------------------


class Tutorial(Implementation):
    """The TensorFlow IG tutorial's algorithm, written here from its description.

    For each example: alphas ``linspace(0, 1, n)``; in batches of ``batch_size`` alphas, the
    interpolated images ``baseline + alpha * (x - baseline)`` and the gradient of the target
    score (one compiled function per batch); then the trapezoid average of the ``n``
    gradients, times ``x - baseline``. ``n = m_steps + 1`` gradient evaluations.

    As the tutorial has it: ``batch_size=32`` and a ``tf.function`` that retraces for each
    Python target class and each new batch length (warm-up hides that from the timing).
    """

    key = "tutorial-docs"
    library = "TF tutorial"
    setting = "as published: per example, batch 32"
    rule = "trapezoid"
    batch_size: int | None = 32

    def __init__(self, model, x, targets):
        super().__init__(model, x, targets)
        self._batch_fn = self._make_batch_fn()

    def _make_batch_fn(self) -> Callable:
        import tensorflow as tf

        model = self.model

        @tf.function
        def path_gradients(baseline, image, alphas, target):
            scale = tf.reshape(alphas, [-1, 1, 1, 1])
            images = baseline[None] + scale * (image - baseline)[None]
            with tf.GradientTape() as tape:
                tape.watch(images)
                score = model(images)[:, target]
            return tape.gradient(score, images)

        return lambda b, x, a, t: path_gradients(b, x, a, int(t))

    def _batch(self, evals: int) -> int:
        return int(self.batch_size or evals)

    def attribute(self, evals: int) -> np.ndarray:
        import tensorflow as tf

        evals = int(evals)
        alphas = tf.linspace(0.0, 1.0, evals)
        baseline = tf.constant(self.baseline)
        size = self._batch(evals)
        out = []
        for i in range(self.x.shape[0]):
            image = tf.constant(self.x[i])
            grads = [
                self._batch_fn(baseline, image, alphas[j : j + size], self.targets[i])
                for j in range(0, evals, size)
            ]
            g = tf.concat(grads, axis=0)
            average = tf.reduce_mean((g[:-1] + g[1:]) / 2.0, axis=0)
            out.append(((image - baseline) * average).numpy())
        return np.stack(out)


class TutorialBest(Tutorial):
    """The tutorial's algorithm with the best setup we can give it: one function compiled
    once (fixed input signature, target as a tensor, ``training=False``) and the whole path
    of an example in one batch (bounded like our chunks)."""

    key = "tutorial-best"
    setting = "compiled once, batch=whole path"
    batch_size = None

    def _make_batch_fn(self) -> Callable:
        import tensorflow as tf

        model = self.model
        shape = list(self.x.shape[1:])
        image_spec = tf.TensorSpec(shape, tf.float32)

        @tf.function(
            input_signature=[
                image_spec,
                image_spec,
                tf.TensorSpec([None], tf.float32),
                tf.TensorSpec([], tf.int32),
            ]
        )
        def path_gradients(baseline, image, alphas, target):
            scale = tf.reshape(alphas, [-1] + [1] * len(shape))
            images = baseline[None] + scale * (image - baseline)[None]
            with tf.GradientTape() as tape:
                tape.watch(images)
                out = tf.cast(model(images, training=False), tf.float32)
                score = tf.gather(out, target, axis=1)
            return tape.gradient(score, images)

        return lambda b, x, a, t: path_gradients(b, x, a, tf.constant(int(t)))

    def _batch(self, evals: int) -> int:
        bound = default_batch_size(self.x.shape[1:])
        chunks = math.ceil(evals / bound)
        return math.ceil(evals / chunks)


IMPLEMENTATIONS: dict[str, type[Implementation] | Callable[..., Implementation]] = {
    "ours": Ours,
    "ours-trapezoid": lambda m, x, t: Ours(m, x, t, method="riemann_trapezoid"),
    "ours-gausslegendre": lambda m, x, t: Ours(m, x, t, method="gausslegendre"),
    "saliency-docs": SaliencyDocs,
    "saliency-best": SaliencyBest,
    "tfexplain-docs": TfExplainDocs,
    "tfexplain-best": TfExplainBest,
    "tutorial-docs": Tutorial,
    "tutorial-best": TutorialBest,
}
"""Every implementation by key, in table order."""
