"""One backend's side of ``bench/backends.py``: a process that Keras runs on one backend.

The driver starts one worker per backend (``KERAS_BACKEND`` set, the backend being fixed at
import) and sends it one JSON command per line on stdin; the worker answers one line,
``@@ {json}``, on stdout (anything else a library prints there is ignored). Commands:

- ``setup``: load the saved network, take the probe, build every implementation, run each once
  (traces and compiles outside the timed calls) and check that they agree;
- ``accuracy`` (PyTorch only): the reference map, each implementation's error, and the
  evaluations each rule needs to get within 1% of it;
- ``time``: one call of one task, timed here (the pipe is not in the time), right after an
  untimed call of the same task (see :meth:`Worker.time`);
- ``traces``, ``quit``.

Implementations (each ``attribute(n) -> [N, *shape]`` integrated gradients of the probe's true
labels from a black baseline with ``n`` gradient evaluations per example):

- ``ours``: the engine's even trapezoid rule (the kernel, against the limit computing the same
  rule), default ``batch_size``; ``ours-b128`` the same with chunks of 128 inputs;
  ``ours-gausslegendre`` and ``ours-adaptive`` (the default rule) its other rules;
- ``limit``: the backend's bare batched input gradient (``bench/_backend_limits.py``);
- on PyTorch, Captum's ``IntegratedGradients`` on the Keras model (a ``torch.nn.Module``
  there) through a wrapper whose ``forward`` calls it with ``training=False``:
  ``captum-docs`` as its documentation calls it (its default Gauss-Legendre rule, the whole
  batch at once), ``captum-b512`` with ``internal_batch_size`` equal to our default chunk, and
  ``captum-trapezoid`` with ``method="riemann_trapezoid"`` (our even rule's points; its
  weights are ``1/n``, halved at the ends, so they sum to ``1 - 1/n``).

``memory_worker`` runs one implementation once in a fresh process for its peak memory.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _backend_limits as limits  # noqa: E402
import _peers_models as models  # noqa: E402

MODEL_NAME = "relu"
SMALL_BATCH = 128
CAPTUM_IMPLS = ("captum-docs", "captum-b512", "captum-trapezoid")
OURS_RULES = ("ours-gausslegendre", "ours-adaptive")
# The rule of each implementation; implementations sharing a rule give the same map.
RULES = {
    "ours": "riemann_trapezoid",
    "ours-b128": "riemann_trapezoid",
    "limit": "riemann_trapezoid",
    "ours-gausslegendre": "gausslegendre",
    "ours-adaptive": "adaptive_trapezoid",
    "captum-docs": "gausslegendre",
    "captum-b512": "gausslegendre",
    # Captum's trapezoid points are ours, but its weights are 1/n (halved at both ends), which
    # sum to 1 - 1/n instead of 1: a rule of its own.
    "captum-trapezoid": "captum riemann_trapezoid",
}
# The implementation that walks the error ladder of each rule.
LADDER_IMPL = {
    "riemann_trapezoid": "ours",
    "gausslegendre": "ours-gausslegendre",
    "adaptive_trapezoid": "ours-adaptive",
    "captum riemann_trapezoid": "captum-trapezoid",
}
# Built and checked, but not timed at equal evaluations (their time to 1% is timed).
UNTIMED = ("ours-adaptive", "captum-trapezoid")
PREFIX = "@@ "


def relative_l2(value: np.ndarray, reference: np.ndarray) -> float:
    """``||A - R|| / ||R||`` over the whole probe (as ``bench/peers.py`` measures it)."""
    value = np.asarray(value, np.float64)
    return float(np.linalg.norm(value - reference) / np.linalg.norm(reference))


def evals_to_tolerance(
    attribute: Callable[[int], np.ndarray],
    reference: np.ndarray,
    ladder: Sequence[int],
    known: dict[int, float],
    tolerance: float = 0.01,
) -> tuple[int | None, dict[int, float]]:
    """Smallest ``ladder`` count whose error is within ``tolerance`` (the search of
    ``bench/peers.py``: start from the C/n estimate of the largest known count, step down
    while within, or up until within)."""
    errors = dict(known)

    def error(n: int) -> float:
        if n not in errors:
            errors[n] = relative_l2(attribute(n), reference)
        return errors[n]

    anchor = max(known) if known else ladder[len(ladder) // 2]
    estimate = anchor * error(anchor) / tolerance
    i = min(range(len(ladder)), key=lambda j: abs(np.log(ladder[j] / max(estimate, 1e-9))))
    if error(ladder[i]) <= tolerance:
        while i > 0 and error(ladder[i - 1]) <= tolerance:
            i -= 1
        return ladder[i], dict(sorted(errors.items()))
    while i + 1 < len(ladder):
        i += 1
        if error(ladder[i]) <= tolerance:
            return ladder[i], dict(sorted(errors.items()))
    return None, dict(sorted(errors.items()))


def keras_module(model):
    """A ``torch.nn.Module`` whose ``forward`` calls the Keras model with ``training=False``
    (Captum calls ``forward_func(inputs)``; a bare Keras call would default to inference too,
    but saying so keeps BatchNorm and Dropout out of any doubt)."""
    import torch

    class KerasInference(torch.nn.Module):
        def __init__(self, keras_model) -> None:
            super().__init__()
            self.keras_model = keras_model

        def forward(self, inputs):
            return self.keras_model(inputs, training=False)

    return KerasInference(model).eval()


class Worker:
    """Everything one backend process measures (see the module docstring)."""

    def __init__(self, model_path: str, probe_size: int) -> None:
        import keras

        from tb_attrib.engine import AttributionEngine, default_batch_size

        self.backend = keras.backend.backend()
        self.model = keras.models.load_model(model_path, compile=False)
        self.x, self.y = models.probe(MODEL_NAME, probe_size)
        self.zero = np.zeros_like(self.x)
        self.engine = AttributionEngine(self.model, self.x.shape[1:])
        self.limit = limits.bare_limit(self.model, self.x.shape[1:])
        self.batch = default_batch_size(self.x.shape[1:])
        self.impls: dict[str, Callable[[int], np.ndarray]] = {}
        self.tasks: dict[str, Callable[[], object]] = {}
        self.cache: Path | None = None
        self.model_path = Path(model_path)

    # ---- implementations ---------------------------------------------------------------

    def _ours(self, method: str, batch_size: int | None = None):
        def attribute(n: int) -> np.ndarray:
            return self.engine.integrated_gradients(
                self.x, target=self.y, steps=int(n), method=method, batch_size=batch_size
            ).attributions

        return attribute

    def _limit(self, n: int) -> np.ndarray:
        from tb_attrib.engine import quadrature

        rule = quadrature.rule(RULES["limit"], int(n))
        alphas, weights = rule.alphas.astype(np.float32), rule.weights.astype(np.float32)
        return self.limit(self.x, self.zero, alphas, weights, self.y)

    def _captum(self, method: str, internal_batch_size: int | None):
        import torch
        from captum.attr import IntegratedGradients

        device = limits.torch_device()
        ig = IntegratedGradients(keras_module(self.model))
        x = torch.as_tensor(self.x, device=device)
        baseline = torch.zeros_like(x)
        target = torch.as_tensor(self.y, device=device).long()

        def attribute(n: int) -> np.ndarray:
            out = ig.attribute(
                x,
                baselines=baseline,
                target=target,
                n_steps=int(n),
                method=method,
                internal_batch_size=internal_batch_size,
            )
            return out.detach().cpu().numpy()

        return attribute

    def build(self, names: Sequence[str]) -> None:
        makers = {
            "ours": lambda: self._ours(RULES["ours"]),
            "ours-b128": lambda: self._ours(RULES["ours"], SMALL_BATCH),
            "limit": lambda: self._limit,
            "ours-gausslegendre": lambda: self._ours("gausslegendre"),
            "ours-adaptive": lambda: self._ours("adaptive_trapezoid"),
            "captum-docs": lambda: self._captum("gausslegendre", None),
            "captum-b512": lambda: self._captum("gausslegendre", self.batch),
            "captum-trapezoid": lambda: self._captum("riemann_trapezoid", None),
        }
        for name in names:
            if name not in self.impls:
                self.impls[name] = makers[name]()

    # ---- commands ----------------------------------------------------------------------

    def setup(self, steps: Sequence[int], captum: bool) -> dict:
        """Builds the implementations, registers ``impl@n`` tasks, runs each once (tracing),
        and returns facts and agreements."""
        import keras

        names = ["ours", "ours-b128", "limit"]
        out: dict = {"describe": limits.describe(), "batch_size": self.batch}
        if captum and self.backend == "torch":
            try:
                import captum as captum_package

                out["captum"] = captum_package.__version__
                names += [*OURS_RULES, *CAPTUM_IMPLS]
            except ImportError as error:
                out["captum_error"] = f"{type(error).__name__}: {error}"
        self.build(names)
        predicted = keras.ops.convert_to_numpy(self.model(self.x, training=False)).argmax(axis=1)
        out["probe_accuracy"] = float(np.mean(predicted == self.y))
        out["params"] = int(self.model.count_params())
        out["probe"] = list(self.x.shape)
        first, agree = {}, {}
        for n in steps:
            maps = {}
            for name in names:
                start = time.perf_counter()
                maps[name] = self.impls[name](n)
                first[f"{name}@{n}"] = time.perf_counter() - start
                if name not in UNTIMED:
                    self.tasks[f"{name}@{n}"] = lambda f=self.impls[name], n=n: f(n)
            for name in names:
                anchor = next(o for o in names if RULES[o] == RULES[name])
                if anchor != name:
                    agree[f"{name}@{n}"] = relative_l2(maps[name], maps[anchor])
            if "captum-trapezoid" in maps:
                agree[f"captum-trapezoid vs ours@{n}"] = relative_l2(
                    maps["captum-trapezoid"], maps["ours"]
                )
        if "captum-trapezoid" in names:
            from captum.attr._utils.approximation_methods import approximation_parameters

            step_sizes, _ = approximation_parameters("riemann_trapezoid")
            out["captum_trapezoid_weight_sums"] = {n: float(sum(step_sizes(n))) for n in steps}
        out["first_call_s"] = first
        out["agreement"] = agree  # relative L2 to the first implementation of the same rule
        out["tasks"] = list(self.tasks)
        return out

    def accuracy(self, reference_steps: int, evals: Sequence[int], ladder: Sequence[int]) -> dict:
        """Errors against the midpoint reference, evaluations to 1% per rule, and ``tol:impl``
        tasks at those counts (PyTorch with Captum only)."""
        import engine as engine_bench  # bench/engine.py: the midpoint reference of its (b)

        start = time.perf_counter()
        path = self.cache / (
            f"reference-midpoint-{self.model_path.stem}-{len(self.x)}-{reference_steps}-"
            f"{int(self.model_path.stat().st_mtime)}.npz"
        )
        if path.exists():
            saved = np.load(path)
            reference = saved["attributions"]
            facts = {"floor": float(saved["floor"]), "cached": True}
        else:
            ref = engine_bench.midpoint_reference(
                self.engine, self.limit, self.x, self.y, reference_steps
            )
            reference = ref.attributions
            facts = {"floor": ref.floor, "cached": False}
            np.savez(path, attributions=reference, floor=ref.floor)
        facts["seconds"] = time.perf_counter() - start
        errors = {
            name: {n: relative_l2(self.impls[name](n), reference) for n in evals}
            for name in self.impls
            if name in LADDER_IMPL.values() or name.startswith("captum")
        }
        needed: dict[str, int | None] = {}
        walked: dict[str, dict[int, float]] = {}
        for rule, name in LADDER_IMPL.items():
            needed[rule], walked[rule] = evals_to_tolerance(
                self.impls[name], reference, ladder, errors[name]
            )
        for name in self.impls:
            n = needed.get(RULES[name])
            if n is not None and (name in LADDER_IMPL.values() or name.startswith("captum")):
                self.tasks[f"tol:{name}"] = lambda f=self.impls[name], n=n: f(n)
        return {
            "reference": facts,
            "errors": errors,
            "needed": needed,
            "ladder": {rule: {str(k): v for k, v in w.items()} for rule, w in walked.items()},
            "tasks": [t for t in self.tasks if t.startswith("tol:")],
        }

    def time(self, task: str, warm: bool = True) -> dict:
        """One timed call of ``task``; with ``warm``, right after an untimed one.

        The warm call matters on a loaded machine: after the process waited for its turn,
        PyTorch's OpenMP threads sleep, and waking them for every operator of the next call
        made single calls 2-40x slower here (TensorFlow and JAX less so); back to back, the
        timed call sees the steady state that a callback sees after training steps.
        """
        if warm:
            self.tasks[task]()
        start, cpu = time.perf_counter(), time.process_time()
        self.tasks[task]()
        return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}

    def traces(self) -> dict:
        kernel = self.engine.kernel
        return kernel.tracing_counts() if kernel is not None else {}


def serve(model_path: str, probe_size: int, cache: str) -> None:
    """The command loop (see the module docstring)."""
    worker = Worker(model_path, probe_size)
    worker.cache = Path(cache)
    print(PREFIX + json.dumps({"ready": worker.backend}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        op = command.pop("op")
        try:
            reply = {} if op == "quit" else getattr(worker, op)(**command)
        except Exception as error:  # reported to the driver, which stops
            reply = {
                "error": f"{type(error).__name__}: {error}",
                "traceback": traceback.format_exc(),
            }
        print(PREFIX + json.dumps(reply, default=float), flush=True)
        if op == "quit":
            return


def memory_worker(spec: dict) -> dict:
    """One implementation once, cold, in this fresh process: peak resident memory over the
    RSS after loading (the high-water mark reset after loading, read after the call), and the
    accelerator's peak where there is one."""
    worker = Worker(spec["model"], spec["probe"])
    worker.model(worker.x[:1], training=False)
    worker.build([spec["impl"]])
    limits.reset_peak()
    loaded = limits.rss_bytes()
    start = time.perf_counter()
    worker.impls[spec["impl"]](spec["steps"])
    return {
        "loaded": loaded,
        "peak": limits.peak_rss_bytes(),
        "device_peak": limits.device_peak_bytes(),
        "seconds": time.perf_counter() - start,
    }
