#!/usr/bin/env python3
"""Engine benchmark: speed, quadrature accuracy, callback overhead and memory of tb_attrib.

    .venv/bin/python bench/engine.py              # full run (about 10 minutes on 2 shared cores)
    .venv/bin/python bench/engine.py --quick      # smaller sizes, a smoke test (about 5 minutes)
    .venv/bin/python bench/engine.py --sections a,d
    .venv/bin/python bench/engine.py --sections f      # evaluations over the demo's epochs
    .venv/bin/python bench/engine.py --backend jax     # (a) and (d) on JAX (or torch)

``--backend`` picks the Keras backend (``KERAS_BACKEND``, fixed at import: one backend per
process); the default is TensorFlow, where every section runs. On JAX and PyTorch the default
sections are (a) and (d), against that backend's own bare limit (``bench/_backend_limits.py``);
(b) and (c) run there too when asked (without TensorFlow, (c) leaves out Keras's TensorBoard
callback). ``--model FILE`` explains a saved ``.keras`` demo network instead of training one.
``bench/backends.py`` runs the backends side by side.

Everything is measured side by side in one run, on the demo's own network (``demo_train``'s
``build_model`` trained on its ``make_shapes`` data the way the demo trains it, fewer epochs,
fixed seed), and printed as Markdown tables; ``docs/benchmarks.md`` ("Engine") records a run.

(a) **Speed against the bare limit.** Our ``integrated_gradients`` (default method, fixed
    steps, default ``batch_size``, and again at ``batch_size=128``) against one compiled call
    of the backend (``tf.function``, ``jax.jit``, or ``torch.autograd.grad`` on one batch) that
    computes the same input gradients in a single batch and nothing else. The contenders
    take turns in an order that rotates every round, so that the machine's noise hits all of
    them; the median of the per-round ratios ``limit time / our time`` is the fraction of the
    limit's speed we reach. Also checks that the engine's functions traced once.
(b) **Quadrature accuracy.** Relative L2 error of each example's IG map against a 3000-point
    midpoint reference computed here, independently of the engine (so an engine bug cannot hide
    in its own reference), for every rule at 8..128 evaluations, on the ReLU demo network and on
    the same network with GELU trained the same way; the completeness ``|delta| / |F(x)-F(b)|``
    beside it; and what ``steps="auto"`` (tolerance 1%, each example refined on its own)
    spends with each rule, measured.
(c) **Callback overhead.** The demo's training exactly as ``demo_train.py`` runs it at its
    defaults (6000 examples, 10 epochs, 16 probe examples, all its callbacks): each
    callback's epoch hooks are timed in place and divided by the epoch's wall time (first epoch,
    which traces the functions, reported apart), with the engine's calls inside
    ``Attributions`` timed and their evaluations counted. Then each method beside IG
    (``Attributions(methods=...)``, off by default: SmoothGrad, SmoothGrad on IG, Guided IG) at
    its default options on the trained network, against the callback's IG in rotating order:
    seconds per written epoch and the share of a demo epoch it would add.
    ``Attributions`` timed and their evaluations counted, and the checks of the maps
    (faithfulness curves, stability, the sanity check every 5th written epoch) timed apart.
(d) **Memory.** Peak resident memory added by one IG call, each configuration in a fresh
    subprocess (the kernel's high-water mark, reset before the call, plus psutil sampling):
    3000 steps on 16 examples at the default ``batch_size``, a sweep of batch sizes, and the
    unchunked computation extrapolated from that sweep (running it would take ~12 GiB); then
    the time and memory of building Gauss-Legendre rules.
(e) **Expected gradients.** ``baseline="expected"`` at its defaults (8 draws from the probe's
    other examples, ``steps="auto"``) against the default black baseline, side by side in
    interleaved rounds: time per epoch's IG; and its map error (relative L2 per example)
    against a converged reference computed here by the bare limit (midpoint rule at
    ``reference_steps / 3`` points per draw), once for the same draws (the quadrature's
    error) and once over every other probe example (the expectation over the whole default
    background: sampling error included), at 4, 8 and every draw.
(f) **Evaluations over training.** The demo trained as in (c), each epoch's weights kept;
    at each epoch the probe explained by the previous default ``steps="auto"`` (even
    trapezoid, completeness only), by the default as the callback calls it (the sweep's
    gradients reused) and by the default warm-started from the previous epoch, each map
    against a reference computed at that epoch: evaluations per example and map errors.

The machine is shared and noisy: read times as ratios measured side by side, never as
absolute numbers; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # demo_train lives at the top level, beside tb_attrib
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))  # _backend_limits, when imported from elsewhere
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SECTIONS = ("a", "b", "c", "d", "e", "f")
DEMO_TRAIN_SIZE = 6000  # demo_train.py's default --train-size
DEMO_EPOCHS = 10  # demo_train.py's default --epochs
DEMO_LEARNING_RATE = 2e-3  # demo_train.py's Adam learning rate


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes of one benchmark run (full or ``--quick``)."""

    train_size: int  # training examples (the demo's default is 5000)
    epochs: int  # training epochs of both networks in (a), (b) (the demo's default is 10)
    demo_train_size: int  # training examples of the demo run timed in (c)
    demo_epochs: int  # epochs of the demo run timed in (c)
    probe_size: int  # probe examples explained in (a) and (b)
    reference_steps: int  # midpoint points of the reference IG in (b); a multiple of 3
    counts: tuple[int, ...]  # evaluation counts of the accuracy table in (b)
    speed_sizes: tuple[tuple[int, int], ...]  # (examples, steps) pairs timed in (a)
    speed_repeats: int  # interleaved rounds per size in (a)
    memory_steps: int  # steps of the headline memory run in (d)
    sweep_steps: int  # steps of the batch-size sweep in (d)
    sweep_batches: tuple[int | None, ...]  # batch sizes of the sweep in (d); None = default


FULL = Config(
    train_size=5000,
    epochs=3,
    demo_train_size=DEMO_TRAIN_SIZE,
    demo_epochs=DEMO_EPOCHS,
    probe_size=16,
    reference_steps=3000,
    counts=(8, 16, 32, 64, 128),
    speed_sizes=((16, 32), (16, 128)),
    speed_repeats=5,
    memory_steps=3000,
    sweep_steps=128,
    sweep_batches=(128, None, 2048),
)
QUICK = Config(
    train_size=1500,
    epochs=2,
    demo_train_size=1500,
    demo_epochs=3,
    probe_size=8,
    reference_steps=600,
    counts=(8, 16, 32, 64),
    speed_sizes=((16, 32),),
    speed_repeats=3,
    memory_steps=300,
    sweep_steps=64,
    sweep_batches=(128,),
)


# ---- shared set-up --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DemoData:
    """The demo's training data and its probe (chosen as ``demo_train`` chooses it)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_names: list[str]
    probe_x: np.ndarray
    probe_y: np.ndarray
    probe_masks: np.ndarray


def load_demo_data(config: Config, seed: int, train_size: int | None = None) -> DemoData:
    """The shapes data set and a class-balanced probe, exactly as ``demo_train.main`` builds
    them, at ``train_size`` (default ``config.train_size``) training examples."""
    import demo_train

    x_train, y_train, x_val, y_val, m_val, names = demo_train.load_data(
        "shapes", train_size or config.train_size, seed
    )
    probe = demo_train.balanced_probe(y_val, config.probe_size)
    return DemoData(x_train, y_train, x_val, y_val, names, x_val[probe], y_val[probe], m_val[probe])


def build_network(activation: str, num_classes: int, seed: int):
    """The demo's network, compiled as the demo compiles it; ``activation`` replaces ReLU.

    The smooth variant is a clone of ``demo_train.build_model`` whose ReLU activation layers
    become ``activation``, so both networks keep the demo's exact architecture.
    """
    import keras

    import demo_train

    keras.utils.set_random_seed(seed)
    model = demo_train.build_model(num_classes)
    if activation != "relu":

        def swap(layer):
            config = layer.get_config()
            if isinstance(layer, keras.layers.Activation) and config["activation"] == "relu":
                config["activation"] = activation
            return layer.__class__.from_config(config)

        model = keras.models.clone_model(model, clone_function=swap)
    model.compile(
        optimizer=keras.optimizers.Adam(DEMO_LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def fit(model, data: DemoData, epochs: int, callbacks: Sequence = ()) -> float:
    """Trains as ``demo_train`` does (batch 64, validation each epoch); returns the probe
    accuracy."""
    model.fit(
        data.x_train,
        data.y_train,
        batch_size=64,
        epochs=epochs,
        validation_data=(data.x_val, data.y_val),
        callbacks=list(callbacks),
        verbose=0,
    )
    predicted = model.predict(data.probe_x, verbose=0).argmax(axis=1)
    return float(np.mean(predicted == data.probe_y))


def bare_limit(model, input_shape: Sequence[int]):
    """The limit of (a), also the reference integrator of (b), on the backend Keras runs on.

    One compiled call (``bench/_backend_limits.py``: ``tf.function`` + ``GradientTape``,
    ``jax.jit`` of ``jax.grad``, or ``torch.autograd.grad``): interpolate every (example,
    alpha) pair, take the gradient of each target score in one batch, and return
    ``(x - b) * sum_j w_j grad(alpha_j)`` as a NumPy array. No chunking, no bookkeeping, no
    forward pass for ``F(x)`` or ``F(b)``.
    """
    import _backend_limits

    return _backend_limits.bare_limit(model, input_shape)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table as text: the first column (labels) left-aligned, the rest right."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |"]
    align = [str.ljust] + [str.rjust] * (len(widths) - 1)  # labels left, numbers right
    rules = [":" + "-" * (widths[0] + 1)] + ["-" * (w + 1) + ":" for w in widths[1:]]
    lines.append("|" + "|".join(rules) + "|")
    for row in cells[1:]:
        padded = (pad(c, w) for pad, c, w in zip(align, row, widths, strict=True))
        lines.append("| " + " | ".join(padded) + " |")
    return "\n".join(lines)


def say(text: str = "") -> None:
    print(text, flush=True)


# ---- (a) speed against the bare limit ------------------------------------------------------


SMALL_BATCH = 128  # a smaller batch_size timed beside the default in (a)
KERNEL_RULE = "riemann_trapezoid"  # the rule (a) times: one stream of full chunks


def measure_speed(model, x: np.ndarray, y: np.ndarray, config: Config) -> None:
    """Prints our IG time against the bare limit's at each (examples, steps) size.

    Three contenders per round, in an order that rotates every round: ours at the default
    ``batch_size``, ours at ``SMALL_BATCH`` (what a smaller default would cost), the limit.
    Both compute the even trapezoid rule (:data:`KERNEL_RULE`), so this measures the kernel;
    the default adaptive rule's cost per evaluation is in the Peers section.
    """
    from tb_attrib.engine import AttributionEngine, default_batch_size, quadrature

    engine = AttributionEngine(model, x.shape[1:])
    limit = bare_limit(model, x.shape[1:])
    default = default_batch_size(x.shape[1:])
    rows = []
    for examples, steps in config.speed_sizes:
        xs = np.resize(x, (examples, *x.shape[1:]))  # repeats the probe when asked for more
        ys = np.resize(y, examples).astype(np.int32)
        zero = np.zeros_like(xs)
        rule = quadrature.rule(KERNEL_RULE, steps)
        alphas, weights = rule.alphas.astype(np.float32), rule.weights.astype(np.float32)

        def ours(batch_size=None, xs=xs, ys=ys, steps=steps):
            return engine.integrated_gradients(
                xs, target=ys, steps=steps, method=KERNEL_RULE, batch_size=batch_size
            )

        def bare(xs=xs, ys=ys, zero=zero, alphas=alphas, weights=weights) -> np.ndarray:
            return limit(xs, zero, alphas, weights, ys)

        contenders = {"ours": ours, "small": functools.partial(ours, SMALL_BATCH), "limit": bare}
        # Agreement first (it also traces every side, outside the timed rounds).
        want = bare()
        agreement = max(
            _relative_l2(ours(size).attributions, want).max() for size in (None, SMALL_BATCH)
        )
        times: dict[str, list[float]] = {name: [] for name in contenders}
        names = list(contenders)
        for round_ in range(config.speed_repeats):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter()
                contenders[name]()
                times[name].append(time.perf_counter() - start)

        speed = {
            name: [lim / t for lim, t in zip(times["limit"], times[name], strict=True)]
            for name in ("ours", "small")
        }
        rows.append(
            [
                f"{examples} x {steps}",
                examples * steps,
                -(-examples * steps // default),
                f"{statistics.median(times['ours']) * 1e3:.0f}",
                f"{statistics.median(times['limit']) * 1e3:.0f}",
                f"**{statistics.median(speed['ours']):.2f}**",
                f"{min(speed['ours']):.2f}-{max(speed['ours']):.2f}",
                f"{statistics.median(speed['small']):.2f}",
                f"{agreement:.0e}",
            ]
        )
    traces = _tracing_counts(engine)
    say(
        markdown_table(
            [
                "examples x steps",
                "gradients",
                "our chunks",
                "ours ms",
                "limit ms",
                "speed vs limit",
                "range",
                f"same at batch {SMALL_BATCH}",
                "max rel. diff",
            ],
            rows,
        )
    )
    say(
        f"\nMethod {KERNEL_RULE}, default batch_size ({default}); medians of "
        f"{config.speed_repeats} interleaved rounds. 'speed vs limit' = limit time / our time "
        "(goal >= 0.90); 'range' = its smallest and largest round. 'max rel. diff' = ours "
        "against the limit's map. Traces of the engine's functions over all calls: "
        + (", ".join(f"{k} {v}" for k, v in traces.items()) or "none (eager backend)")
        + "."
    )


def _tracing_counts(engine) -> dict[str, int]:
    """How often each of the engine's ``tf.function``s traced (1 each is right)."""
    return engine.kernel.tracing_counts() if engine.kernel is not None else {}


# ---- (b) quadrature accuracy ---------------------------------------------------------------


@dataclasses.dataclass
class Reference:
    """The reference IG of (b) and what it is checked against."""

    attributions: np.ndarray
    difference: np.ndarray  # F(x) - F(b) per example
    completeness: float  # max over examples of |sum(ref) - diff| / |diff|
    floor: float  # mean relative L2 between the 1/3-point sub-rule and the reference, / 2
    seconds: float


def midpoint_reference(engine, limit, x, y, steps: int) -> Reference:
    """IG by the midpoint rule at ``steps`` points, computed by ``limit`` in float64 sums.

    The points ``(i + 0.5) / steps`` fall in three interleaved families (``i mod 3``); the
    middle family alone is the midpoint rule at ``steps / 3`` points. Its distance to the full
    rule bounds the reference's own error: for a rule converging as 1/n (ReLU) the error of the
    ``steps``-point rule is about half that distance, for 1/n^2 (smooth) an eighth.
    """
    start = time.perf_counter()
    baseline = np.zeros_like(x)
    third = steps // 3
    per_call = max(1, 512 // x.shape[0])  # about 512 interpolated inputs per call
    families = []
    for family in range(3):
        alphas = ((3 * np.arange(third) + family + 0.5) / steps).astype(np.float32)
        total = np.zeros(x.shape, np.float64)
        for i in range(0, third, per_call):
            part = alphas[i : i + per_call]
            weights = np.full(part.shape, 1.0 / third, np.float32)
            total += limit(x, baseline, part, weights, y)
        families.append(total)
    attributions = np.mean(families, axis=0)
    rows = np.arange(x.shape[0])
    difference = (engine.outputs(x)[rows, y] - engine.outputs(baseline)[rows, y]).astype(np.float64)
    completeness = np.abs(attributions.reshape(len(x), -1).sum(axis=1) - difference)
    return Reference(
        attributions=attributions,
        difference=difference,
        completeness=float(np.max(completeness / np.abs(difference))),
        floor=float(_relative_l2(families[1], attributions).mean() / 2),
        seconds=time.perf_counter() - start,
    )


def _relative_l2(value: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-example ``||value - reference|| / ||reference||``."""
    n = reference.shape[0]
    value, reference = value.reshape(n, -1), np.asarray(reference, np.float64).reshape(n, -1)
    return np.linalg.norm(value - reference, axis=1) / np.linalg.norm(reference, axis=1)


def completeness_ratios(
    delta: np.ndarray, difference: np.ndarray, floor: float | None = None
) -> np.ndarray:
    """Per-example ``|delta| / max(|F(x)-F(b)|, floor * largest |F(x)-F(b)|)``.

    With the default ``floor`` (the engine's ``SMALL_CHANGE_FRACTION``) this is completeness
    as ``steps="auto"`` judges it (``attribution._within_tolerance``): it stops refining an
    example once its ratio is within the tolerance.
    """
    from tb_attrib.engine.attribution import SMALL_CHANGE_FRACTION

    floor = SMALL_CHANGE_FRACTION if floor is None else floor
    magnitude = np.abs(difference)
    least = max(floor * float(magnitude.max(initial=0.0)), 1e-6)
    return np.abs(delta) / np.maximum(magnitude, least)


@dataclasses.dataclass
class AccuracyReport:
    """Everything (b) measured on one network, for the verdicts and the recommendation."""

    name: str
    error: dict[str, dict[int, float]]  # method -> count -> mean relative L2
    worst: dict[str, dict[int, float]]  # method -> count -> max relative L2
    completeness: dict[str, dict[int, float]]  # method -> count -> worst completeness ratio
    completeness_median: dict[str, dict[int, float]]  # method -> count -> median ratio
    auto_worst: float = float("nan")  # worst example's map error at the defaults


def measure_accuracy(name: str, model, x: np.ndarray, y: np.ndarray, config: Config):
    """Prints the accuracy tables of (b) for one trained network and returns its report."""
    from tb_attrib.engine import (
        DEFAULT_MAX_STEPS,
        DEFAULT_METHOD,
        DEFAULT_TOLERANCE,
        METHODS,
        AttributionEngine,
    )
    from tb_attrib.engine.completeness import SMALL_CHANGE_FRACTION

    engine = AttributionEngine(model, x.shape[1:])
    reference = midpoint_reference(
        engine, bare_limit(model, x.shape[1:]), x, y, config.reference_steps
    )
    say(
        f"\nReference: midpoint rule at {config.reference_steps} points "
        f"({reference.seconds:.0f} s); "
        f"its completeness {reference.completeness:.1e}, its estimated map error "
        f"<= {reference.floor:.1e}. |F(x)-F(b)| from {np.abs(reference.difference).min():.3f} "
        f"to {np.abs(reference.difference).max():.3f}."
    )
    results: dict[tuple[str, int], object] = {}

    def fixed(method: str, count: int):
        if (method, count) not in results:
            results[method, count] = engine.integrated_gradients(
                x, target=y, steps=count, method=method
            )
        return results[method, count]

    report = AccuracyReport(name, {}, {}, {}, {})
    for method in METHODS:
        for values in (report.error, report.worst, report.completeness, report.completeness_median):
            values[method] = {}
        for count in config.counts:
            ig = fixed(method, count)
            errors = _relative_l2(ig.attributions, reference.attributions)
            report.error[method][count] = float(errors.mean())
            report.worst[method][count] = float(errors.max())
            ratios = completeness_ratios(ig.delta, reference.difference)
            report.completeness[method][count] = float(ratios.max())
            report.completeness_median[method][count] = float(np.median(ratios))

    def table(values: dict[str, dict[int, float]]) -> str:
        rows = []
        for method in METHODS:
            best = [min(values[m][c] for m in METHODS) for c in config.counts]
            rows.append(
                [method + (" (default)" if method == DEFAULT_METHOD else "")]
                + [
                    f"**{values[method][c]:.1e}**"
                    if values[method][c] == b
                    else f"{values[method][c]:.1e}"
                    for c, b in zip(config.counts, best, strict=True)
                ]
            )
        return markdown_table(["method \\ evaluations", *map(str, config.counts)], rows)

    say(f"\nMap error, mean over {len(x)} examples of relative L2 (best in bold):\n")
    say(table(report.error))
    say("\nMap error, worst example:\n")
    say(table(report.worst))
    say(
        '\nCompleteness |delta| / |F(x)-F(b)| as steps="auto" judges it (|F(x)-F(b)| floored '
        f"at {SMALL_CHANGE_FRACTION:.0%} of the probe's largest), worst example:\n"
    )
    say(table(report.completeness))
    say("\nCompleteness, median example:\n")
    say(table(report.completeness_median))

    # What steps="auto" spends with each rule: refined per example, measured (not simulated).
    say(
        f'\nsteps="auto" (tolerance {DEFAULT_TOLERANCE:.0%}, max_steps {DEFAULT_MAX_STEPS}) with '
        "each rule: every example is refined until its own completeness is within the "
        "tolerance. Evaluations per example: mean (the cost) and largest.\n"
    )
    rows = []
    for method in ("adaptive_trapezoid", "riemann_trapezoid", "riemann_middle", "gausslegendre"):
        ig = engine.integrated_gradients(x, target=y, method=method)
        label = method + (" (default)" if method == DEFAULT_METHOD else "")
        rows.append([label, *_auto_row(ig, reference)])
        if method == DEFAULT_METHOD:
            report.auto_worst = float(_relative_l2(ig.attributions, reference.attributions).max())
    with previous_default():
        ig = engine.integrated_gradients(x, target=y, **PREVIOUS_DEFAULT)
    rows.append(["previous default (trapezoid, completeness only)", *_auto_row(ig, reference)])
    say(
        markdown_table(
            [
                "rule",
                "final steps (largest)",
                "evaluations: mean",
                "largest",
                "converged",
                "map error: mean",
                "worst example",
                "estimated (largest)",
                "completeness",
            ],
            rows,
        )
    )
    return report


def _auto_row(ig, reference: Reference) -> list[object]:
    errors = _relative_l2(ig.attributions, reference.attributions)
    estimated = "-" if ig.map_error is None else f"{np.nanmax(ig.map_error):.1e}"
    return [
        ig.steps,
        f"{np.mean(ig.example_evaluations):.0f}",
        ig.evaluations,
        "yes" if ig.converged else "no",
        f"{errors.mean():.1e}",
        f"{errors.max():.1e}",
        estimated,
        f"{completeness_ratios(ig.delta, reference.difference).max():.1e}",
    ]


@contextlib.contextmanager
def previous_default():
    """The completeness floor of the previous default ``steps="auto"`` (2% of the probe's
    largest change; with ``method="riemann_trapezoid", map_tolerance=None`` that is the old
    default exactly), for rows measured beside the current one."""
    from tb_attrib.engine import completeness

    kept = completeness.SMALL_CHANGE_FRACTION
    completeness.SMALL_CHANGE_FRACTION = 0.02
    try:
        yield
    finally:
        completeness.SMALL_CHANGE_FRACTION = kept


PREVIOUS_DEFAULT = dict(method="riemann_trapezoid", map_tolerance=None)
"""The previous default ``steps="auto"`` (with :func:`previous_default`): the even trapezoid
rule, stopping on completeness alone."""


def accuracy_verdicts(relu: AccuracyReport | None, smooth: AccuracyReport | None) -> None:
    """Prints the goals of (b) with their measured values."""
    from tb_attrib.engine import DEFAULT_METHOD, METHODS

    for report in (relu, smooth):
        if report is not None:
            worst = report.auto_worst
            say(
                f"- {report.name} network: worst example's map error at the defaults "
                f"{worst:.1e} (goal <= 2e-2: {'met' if worst <= 0.02 else 'MISSED'})"
            )
    if relu is not None:
        parts, met = [], True
        for count, ours in relu.error[DEFAULT_METHOD].items():
            best = min(relu.error[m][count] for m in METHODS)
            met &= ours <= best * 1.0001
            parts.append(f"{count}: {ours / best:.2f}")
        say(
            f"- ReLU network: {DEFAULT_METHOD} map error / best rule's, by evaluations: "
            + ", ".join(parts)
            + f" (goal <= 1.00 everywhere: {'met' if met else 'MISSED'})"
        )


# ---- (e) expected gradients -------------------------------------------------------------


def expected_reference(limit, x, y, rows: np.ndarray, steps: int) -> np.ndarray:
    """Expected gradients over the draws ``rows`` ``[S, N]`` (background = the probe): the mean
    over draws of each draw's midpoint-rule IG at ``steps`` points, by the bare limit."""
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    weights = np.full(steps, 1.0 / steps, np.float32)
    per_call = max(1, 512 // x.shape[0])
    total = np.zeros(x.shape, np.float64)
    for draw in rows:
        for i in range(0, steps, per_call):
            part = slice(i, i + per_call)
            total += limit(x, x[draw], alphas[part], weights[part], y)
    return total / rows.shape[0]


def measure_expected(model, x: np.ndarray, y: np.ndarray, config: Config) -> None:
    """Section (e): cost per epoch and map error of ``baseline="expected"``."""
    from tb_attrib.engine import DEFAULT_TOLERANCE, AttributionEngine, baselines

    engine = AttributionEngine(model)
    limit = bare_limit(model, x.shape[1:])
    every = x.shape[0] - 1
    draws = sorted({4, baselines.DEFAULT_EXPECTED_SAMPLES, every})
    runs = {"black": dict(baseline="black")}
    runs.update(
        {f"expected, {s} draws": dict(baseline="expected", num_baseline_samples=s) for s in draws}
    )
    results = {name: engine.integrated_gradients(x, target=y, **o) for name, o in runs.items()}
    times = {name: [] for name in runs}
    names = list(runs)
    for r in range(config.speed_repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            engine.integrated_gradients(x, target=y, **runs[name])
            times[name].append(time.perf_counter() - start)
    steps = config.reference_steps // 3
    start = time.perf_counter()
    all_rows = baselines.expected_rows([x], [x], every)
    full = expected_reference(limit, x, y, all_rows, steps)
    seconds = time.perf_counter() - start
    say(f"Reference: {steps}-point midpoint rule per draw, {every} draws, {seconds:.0f} s.\n")
    base = statistics.median(times["black"])
    table = []
    for name, result in results.items():
        row = [
            name,
            f"{statistics.median(times[name]):.2f}",
            f"{statistics.median(times[name]) / base:.1f}x",
        ]
        row.append(
            f"{np.mean(result.example_evaluations) * runs[name].get('num_baseline_samples', 1):.0f}"
        )
        row.append(f"{result.relative_delta.max():.4f}")
        if name == "black":
            row += ["", ""]
        else:
            count = runs[name]["num_baseline_samples"]
            rows = baselines.expected_rows([x], [x], count)
            same = full if count == every else expected_reference(limit, x, y, rows, steps)
            own = _relative_l2(result.attributions, same)
            total = _relative_l2(result.attributions, full)
            row += [
                f"{own.mean():.3f} / {own.max():.3f}",
                f"{total.mean():.3f} / {total.max():.3f}",
            ]
        table.append(row)
    header = [
        "baseline",
        "s / epoch",
        "vs black",
        "evaluations / example (at most)",
        "worst completeness",
        "map error, same draws (mean / max)",
        f"map error vs all {every} draws (mean / max)",
    ]
    say(markdown_table(header, table))
    say(
        f"\nMedians of {config.speed_repeats} interleaved rounds; IG at the callback's defaults "
        f"(steps='auto', tolerance {DEFAULT_TOLERANCE:g}); evaluations count every draw."
    )


# ---- (c) callback overhead -----------------------------------------------------------------


class EpochClock:
    """Wall time of each epoch, from the first callback's ``on_epoch_begin`` to the last
    callback's ``on_epoch_end`` (``start()`` and ``end()`` give the two marker callbacks)."""

    def __init__(self) -> None:
        self.begun: dict[int, float] = {}
        self.seconds: dict[int, float] = {}

    def start(self):
        import keras

        clock = self

        class Start(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                clock.begun[epoch] = time.perf_counter()

        return Start()

    def end(self):
        import keras

        clock = self

        class End(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                clock.seconds[epoch] = time.perf_counter() - clock.begun[epoch]

        return End()


class HookTimer:
    """Times a callback's ``on_train_begin``, ``on_epoch_begin`` and ``on_epoch_end`` in place
    (instance attributes shadow the methods; Keras calls them through the instance)."""

    def __init__(self, callback, after_train_begin: Callable[[], None] | None = None) -> None:
        self.train_begin = 0.0
        self.per_epoch: dict[int, float] = {}
        self._after = after_train_begin
        begin, epoch_begin, epoch_end = (
            callback.on_train_begin,
            callback.on_epoch_begin,
            callback.on_epoch_end,
        )

        def on_train_begin(logs=None):
            start = time.perf_counter()
            begin(logs)
            self.train_begin = time.perf_counter() - start
            if self._after is not None:
                self._after()

        def timed(hook):
            def run(epoch, logs=None):
                start = time.perf_counter()
                hook(epoch, logs)
                self.per_epoch[epoch] = self.per_epoch.get(epoch, 0.0) + (
                    time.perf_counter() - start
                )

            return run

        callback.on_train_begin = on_train_begin
        callback.on_epoch_begin = timed(epoch_begin)
        callback.on_epoch_end = timed(epoch_end)


class EngineRecorder:
    """Records the time and evaluations of an engine's calls (wraps the instance methods)."""

    def __init__(self) -> None:
        # (kind, seconds, mean gradient evaluations per example)
        self.calls: list[tuple[str, float, float]] = []

    def attach(self, engine) -> None:
        for kind in ("interior_gradients", "integrated_gradients", "sweep_and_integrate"):
            method = getattr(engine, kind)

            def run(*args, _method=method, _kind=kind, **kwargs):
                start = time.perf_counter()
                result = _method(*args, **kwargs)
                if _kind == "sweep_and_integrate":
                    seconds = time.perf_counter() - start
                    evaluations = float(np.mean(result[1].example_evaluations))
                    self.calls.append(("sweep + IG", seconds, evaluations))
                    return result
                per_example = getattr(result, "example_evaluations", None)
                if per_example is None:
                    evaluations = float(len(getattr(result, "alphas", ())))
                else:
                    evaluations = float(np.mean(per_example))
                self.calls.append((_kind, time.perf_counter() - start, evaluations))
                return result

            setattr(engine, kind, run)


class TrustRecorder:
    """Times the checks of the maps inside ``Attributions`` (issue 14) by epoch: the
    faithfulness curves, stability and the sanity check (wraps the instance methods)."""

    KINDS = ("faithfulness", "stability", "sanity")

    def __init__(self) -> None:
        self.seconds: dict[str, dict[int, float]] = {kind: {} for kind in self.KINDS}
        self.epoch = 0

    def attach(self, checks) -> None:
        epoch_method = checks.epoch

        def epoch(epoch_number, *args, **kwargs):
            self.epoch = epoch_number
            return epoch_method(epoch_number, *args, **kwargs)

        checks.epoch = epoch
        for kind in self.KINDS:
            method = getattr(checks, kind)

            def run(*args, _method=method, _kind=kind, **kwargs):
                start = time.perf_counter()
                result = _method(*args, **kwargs)
                spent = self.seconds[_kind]
                spent[self.epoch] = spent.get(self.epoch, 0.0) + time.perf_counter() - start
                return result

            setattr(checks, kind, run)

    def rows(self, epochs: Sequence[int], epoch_seconds: dict[int, float]) -> list[list[str]]:
        """Per check: seconds at its first run in ``epochs`` (the sanity check's copy traces
        its functions then) and at the later ones, and its share of the epoch averaged over
        ``epochs`` without that first run's tracing (the every-5th cost spread over all)."""
        rows, total = [], [0.0] * len(epochs)
        for kind in self.KINDS:
            ran = [e for e in epochs if e in self.seconds[kind]]
            later = [self.seconds[kind][e] for e in ran[1:]] or [
                self.seconds[kind].get(ran[0], 0.0) if ran else 0.0
            ]
            steady = statistics.median(later)
            shares = [
                (steady if e in self.seconds[kind] else 0.0) / epoch_seconds[e] for e in epochs
            ]
            total = [t + s for t, s in zip(total, shares, strict=True)]
            first = self.seconds[kind][ran[0]] if ran else 0.0
            rows.append(
                [
                    kind,
                    ", ".join(map(str, ran)) if len(ran) < len(epochs) else "every one",
                    f"{first:.3f}",
                    f"{steady:.3f}",
                    f"{statistics.mean(shares):.2%}",
                ]
            )
        rows.append(["**the three checks**", "", "", "", f"**{statistics.mean(total):.2%}**"])
        return rows


def measure_callbacks(config: Config, seed: int) -> None:
    """Trains the ReLU demo network as ``demo_train.py`` does at its defaults (training set
    size, epochs, probe, callbacks) and prints each callback's share of the epoch."""
    import keras

    from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms

    data = load_demo_data(config, seed, train_size=config.demo_train_size)
    model = build_network("relu", len(data.class_names), seed)
    with tempfile.TemporaryDirectory(prefix="tb_attrib_bench_") as logdir:
        ours = {
            "Attributions": Attributions(
                logdir,
                data.probe_x,
                data.probe_y,
                class_names=data.class_names,
                probe_masks=data.probe_masks,
                sanity_layer="class_maps",  # as demo_train.py names it
            ),
            "ActivationSummaries": ActivationSummaries(logdir, data.probe_x),
            "WeightHistograms": WeightHistograms(logdir),
        }
        recorder = EngineRecorder()
        checks = TrustRecorder()
        attributions = ours["Attributions"]

        def attach() -> None:
            recorder.attach(attributions._engine)
            checks.attach(attributions._trust)

        timers = {
            name: HookTimer(cb, attach if name == "Attributions" else None)
            for name, cb in ours.items()
        }
        theirs = []
        try:  # Keras's TensorBoard callback writes through tf.summary: not without TensorFlow
            import tensorflow  # noqa: F401
        except ImportError:
            say("(TensorFlow is not installed: keras.callbacks.TensorBoard is not run)")
        else:
            theirs.append(keras.callbacks.TensorBoard(logdir))
            timers["keras TensorBoard (not ours)"] = HookTimer(theirs[0])
        clock = EpochClock()
        accuracy = fit(
            model,
            data,
            config.demo_epochs,
            [clock.start(), *theirs, *ours.values(), clock.end()],
        )
    epochs = sorted(clock.seconds)
    steady = epochs[1:] or epochs
    rows = []
    for name, timer in timers.items():
        shares = [timer.per_epoch.get(e, 0.0) / clock.seconds[e] for e in steady]
        first = timer.per_epoch.get(epochs[0], 0.0)
        rows.append(
            [
                name,
                f"{statistics.median(timer.per_epoch.get(e, 0.0) for e in steady):.2f}",
                f"{statistics.median(shares):.1%}",
                f"{first:.2f}",
                f"{first / clock.seconds[epochs[0]]:.1%}",
                f"{timer.train_begin:.2f}",
            ]
        )
    total = [
        sum(t.per_epoch.get(e, 0.0) for n, t in timers.items() if "not ours" not in n)
        / clock.seconds[e]
        for e in steady
    ]
    rows.append(["**the three together**", "", f"**{statistics.median(total):.1%}**", "", "", ""])
    say(
        markdown_table(
            [
                "callback",
                "s / epoch",
                "share",
                "first epoch s",
                "first share",
                "on_train_begin s",
            ],
            rows,
        )
    )
    ig_calls = [c for c in recorder.calls if c[0] in ("integrated_gradients", "sweep + IG")]
    sweep_calls = [c for c in recorder.calls if c[0] == "interior_gradients"]
    epoch_seconds = statistics.median(clock.seconds[e] for e in steady)
    say(
        f"\n{config.demo_train_size} training examples, {config.demo_epochs} epochs, probe "
        f"{len(data.probe_x)}; median epoch {epoch_seconds:.1f} s over epochs "
        f"{steady[0]}-{steady[-1]} (epoch 0, which traces every function, apart); probe "
        f"accuracy after training {accuracy:.2f}. Inside Attributions: the sweep took "
        + ", ".join(f"{c[1]:.2f}" for c in sweep_calls)
        + " s; IG (with the sweep, where one call does both) took "
        + ", ".join(f"{c[1]:.2f} s ({c[2]:.0f})" for c in ig_calls)
        + " per epoch (in brackets: mean gradient evaluations per example)."
    )
    say(
        "\nInside Attributions, the checks of the maps (issue 14), each epoch's cost over "
        "that epoch's wall time, averaged over the epochs above:\n"
    )
    say(
        markdown_table(
            ["check", "epochs it ran", "first run s", "later runs s", "mean share of an epoch"],
            checks.rows(steady, clock.seconds),
        )
    )
    removal_baselines(model, data)
    if config.demo_train_size != DEMO_TRAIN_SIZE:
        say(
            f"(Shorter epochs than the demo's {DEMO_TRAIN_SIZE} examples: shares are larger "
            "than the demo's and not comparable.)"
        )
    measure_methods(model, data, epoch_seconds, rounds=3 if config.demo_epochs > 3 else 2)


def measure_methods(model, data: DemoData, epoch_seconds: float, rounds: int) -> None:
    """Each extra method of ``Attributions(methods=...)`` (off by default) at its default
    options on the trained demo network and probe, against the callback's own IG (its
    defaults), in rotating order: seconds per written epoch, ratio to IG, and the share of a
    demo epoch (``seconds / (epoch + seconds)``, the epoch as measured above) it would add."""
    from tb_attrib.callbacks import methods as methods_lib
    from tb_attrib.engine import AttributionEngine
    from tb_attrib.engine import methods as engine_methods

    engine = AttributionEngine(model)
    x, targets = data.probe_x, data.probe_y
    options = engine_methods.validate_options(None, engine_methods.METHOD_NAMES)
    jobs = {"integrated_gradients": lambda: engine.integrated_gradients(x, target=targets)}
    for name, settings in options.items():
        jobs[name] = functools.partial(
            methods_lib.compute, engine, x, targets, "black", None, name, settings
        )
    for job in jobs.values():  # compile and warm up
        job()
    times: dict[str, list[float]] = {name: [] for name in jobs}
    evaluations: dict[str, int] = {}
    names = list(jobs)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            result = jobs[name]()
            times[name].append(time.perf_counter() - start)
            evaluations[name] = int(np.mean(result.example_evaluations))
    ig = statistics.median(times[names[0]])
    rows = []
    for name in names:
        seconds = statistics.median(times[name])
        settings = ", ".join(f"{k}={v}" for k, v in options.get(name, {}).items())
        share = seconds / (epoch_seconds + seconds)
        rows.append([name, settings or "steps='auto'", evaluations[name], f"{seconds:.2f}",
                     f"{seconds / ig:.1f}x", f"{share:.1%}"])  # fmt: skip
    say("\nMethods beside IG (`Attributions(methods=...)`, off by default), each on its own:")
    say(markdown_table(
        ["method", "options (defaults)", "gradients / example", "s / epoch", "vs IG",
         "share of a demo epoch"],
        rows,
    ))  # fmt: skip
    say(
        f"(median of {rounds} rounds in rotating order; probe {len(x)}; demo epoch "
        f"{epoch_seconds:.1f} s)"
    )


# ---- (e) evaluations over training ---------------------------------------------------------


def measure_epochs(config: Config, seed: int) -> None:
    """Trains the demo as (c) does, keeping each epoch's weights, then explains the probe at
    each epoch as the callback does: the previous default ``steps="auto"`` (even trapezoid,
    completeness only) beside the current default (with the sweep's gradients reused, as
    the callback calls it) and the current default warm-started from the previous epoch;
    each map against a reference computed at that epoch."""
    import keras

    from tb_attrib.engine import CLASSIC_ALPHAS, AttributionEngine, WarmStart

    data = load_demo_data(config, seed, train_size=config.demo_train_size)
    model = build_network("relu", len(data.class_names), seed)
    kept = []

    class Keep(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            kept.append([np.array(w) for w in self.model.get_weights()])

    fit(model, data, config.demo_epochs, [Keep()])
    x, y = data.probe_x, data.probe_y
    engine = AttributionEngine(model, x.shape[1:])
    limit = bare_limit(model, x.shape[1:])
    warm = WarmStart()
    names = ("previous default", "default (sweep reused)", "default, warm-started")
    found: dict[str, list[tuple[float, np.ndarray]]] = {n: [] for n in names}
    rows = []
    for epoch, weights in enumerate(kept):
        model.set_weights(weights)
        reference = midpoint_reference(engine, limit, x, y, config.reference_steps)
        with previous_default():
            old = engine.integrated_gradients(x, target=y, **PREVIOUS_DEFAULT)
        _, new = engine.sweep_and_integrate(x, CLASSIC_ALPHAS, target=y)
        _, warmed = engine.sweep_and_integrate(x, CLASSIC_ALPHAS, target=y, warm_start=warm)
        row = [str(epoch)]
        for name, ig in zip(names, (old, new, warmed), strict=True):
            errors = _relative_l2(ig.attributions, reference.attributions)
            found[name].append((float(np.mean(ig.example_evaluations)), errors))
            row += [f"{np.mean(ig.example_evaluations):.1f}", f"{errors.max():.1e}"]
        rows.append(row)
    header = ["epoch"]
    for name in names:
        header += [f"{name}: evaluations", "worst map error"]
    say(markdown_table(header, rows))
    summary = []
    for name in names:
        evaluations = np.mean([e for e, _ in found[name]])
        errors = np.concatenate([err for _, err in found[name]])
        summary.append([name, f"{evaluations:.1f}", f"{errors.mean():.1e}", f"{errors.max():.1e}"])
    say("\nOver the epochs (evaluations: mean per example and epoch; errors over every map):\n")
    say(markdown_table(["", "evaluations", "map error: mean", "worst"], summary))
    before = np.mean([e for e, _ in found[names[0]]])
    after = np.mean([e for e, _ in found[names[1]]])
    worse = max(err.max() for _, err in found[names[1]]) > max(
        err.max() for _, err in found[names[0]]
    )
    say(
        f"\n- {before / after:.2f}x fewer evaluations per example than the previous default "
        f"(goal >= 1.5x at the same or smaller map error: "
        f"{'met' if before / after >= 1.5 and not worse else 'MISSED'})"
    )


def removal_baselines(model, data: DemoData) -> None:
    """Faithfulness of the trained network's IG maps (black baseline) when removed pixels
    become black, as IG's baseline, or a blurred copy (``faithfulness_baseline="auto"``)."""
    from tb_attrib.engine import AttributionEngine, faithfulness, heads

    engine = AttributionEngine(model)
    outputs = engine.outputs(data.probe_x)
    targets = heads.resolve_targets(engine.head(data.probe_x), None, outputs, data.probe_y)
    ig = engine.integrated_gradients(data.probe_x, target=targets)
    rows = []
    for removal in ("black", "blur"):
        for fraction in (0.2, 0.1, 0.05):
            r = faithfulness.evaluate(
                engine,
                data.probe_x,
                [ig.attributions],
                targets,
                baseline=removal,
                fraction=fraction,
            )
            n = len(r.deletion_auc)
            rows.append(
                [
                    removal,
                    f"{fraction:g}",
                    f"{r.deletion_auc.mean():.3f}",
                    f"{r.insertion_auc.mean():.3f}",
                    f"{r.random_auc.mean():.3f}",
                    f"{int((r.deletion_auc < r.random_auc).sum())}/{n}",
                    f"{int((r.insertion_auc > r.random_auc).sum())}/{n}",
                ]
            )
    say("\nFaithfulness of the trained network's IG maps by what removed pixels become:\n")
    say(
        markdown_table(
            [
                "removed pixels become",
                "fraction",
                "deletion AUC",
                "insertion AUC",
                "random AUC",
                "deletion < random",
                "insertion > random",
            ],
            rows,
        )
    )


# ---- (d) memory ----------------------------------------------------------------------------


class PeakMemory:
    """Peak resident memory of a block of code in this process.

    On Linux the kernel's high-water mark (``VmHWM``) is reset by writing 5 to
    ``/proc/self/clear_refs`` and read back afterwards, which misses nothing; a psutil sampler
    (every 2 ms) runs as well, and is all there is elsewhere. It also keeps the time of each
    sample, so :meth:`peak_until` tells whether memory still grew late in the block. Sizes are
    bytes.
    """

    def __init__(self) -> None:
        try:
            import psutil
        except ImportError:  # a JAX- or PyTorch-only machine may not have it
            import _backend_limits

            self._rss = _backend_limits.rss_bytes
        else:
            process = psutil.Process()
            self._rss = lambda: process.memory_info().rss
        self.before = self.peak = 0
        self.samples: list[tuple[float, int]] = []
        self._done = threading.Event()

    def __enter__(self) -> PeakMemory:
        self.before = self.peak = self._rss()
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        self._start = time.perf_counter()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.002):
            self.samples.append((time.perf_counter(), self._rss()))

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._sampler.join()
        self.seconds = time.perf_counter() - self._start
        self.peak = max([self.before] + [rss for _, rss in self.samples])
        with contextlib.suppress(OSError, ValueError, StopIteration):
            status = Path("/proc/self/status").read_text().splitlines()
            line = next(s for s in status if s.startswith("VmHWM:"))
            self.peak = max(self.peak, int(line.split()[1]) * 1024)

    def peak_until(self, fraction: float) -> int:
        """Largest sampled RSS in the first ``fraction`` of the block's duration."""
        end = self._start + fraction * self.seconds
        return max([self.before] + [rss for t, rss in self.samples if t <= end])

    @property
    def added(self) -> int:
        return self.peak - self.before


def memory_worker(spec: dict) -> dict:
    """Runs one IG configuration in this (fresh) process and returns its memory and time.

    ``spec``: ``{"examples", "steps", "batch_size" (None = default), "method"}``. The model is
    the demo's (untrained: memory and time do not depend on the weights). The functions are
    traced on a tiny call first, so the measured call holds only its own data.
    """
    import _backend_limits
    import keras

    import demo_train
    from tb_attrib.engine import AttributionEngine

    keras.utils.set_random_seed(0)
    model = demo_train.build_model(len(demo_train.SHAPES))
    x, y, _ = demo_train.make_shapes(spec["examples"], seed=1)
    engine = AttributionEngine(model, x.shape[1:])
    engine.integrated_gradients(x[:1], target=y[:1], steps=2, method=spec["method"], batch_size=2)
    _backend_limits.reset_peak()
    with PeakMemory() as memory:
        engine.integrated_gradients(
            x, target=y, steps=spec["steps"], method=spec["method"], batch_size=spec["batch_size"]
        )
    return {
        "before": memory.before,
        "peak": memory.peak,
        "peak_first_quarter": memory.peak_until(0.25),
        "seconds": memory.seconds,
        "device_peak": _backend_limits.device_peak_bytes(),
    }


def run_memory_worker(spec: dict) -> dict:
    """Runs :func:`memory_worker` in a subprocess (a fresh process per configuration, so one
    configuration's allocations cannot raise another's peak)."""
    result = subprocess.run(
        [sys.executable, __file__, "--memory-worker", json.dumps(spec), "--backend", _backend()],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"memory worker {spec} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_memory(config: Config) -> None:
    """Prints peak memory of chunked IG runs and the unchunked estimate.

    Runs: the headline ``config.memory_steps``-step IG at the default ``batch_size``, then
    ``config.sweep_steps`` steps at each of ``config.sweep_batches`` (the largest one unchunked).
    Memory added by a call should be a constant plus a term proportional to the chunk size,
    whatever the steps; a line through the sweep estimates the unchunked headline run.
    """
    import demo_train
    from tb_attrib.engine import default_batch_size, quadrature

    examples, method = 16, "riemann_middle"
    default = default_batch_size((demo_train.IMAGE_SIZE, demo_train.IMAGE_SIZE, 3))
    mib = 1024**2
    specs = [(config.memory_steps, None)] + [(config.sweep_steps, b) for b in config.sweep_batches]
    rows, sweep = [], []
    for steps, batch_size in specs:
        spec = {"examples": examples, "steps": steps, "batch_size": batch_size, "method": method}
        out = run_memory_worker(spec)
        inputs = examples * steps
        chunk = min(batch_size or default, inputs)
        added = (out["peak"] - out["before"]) / mib
        sweep.append((chunk, added))
        rows.append(
            [
                f"{examples} x {steps}",
                f"{chunk}"
                + (" (default)" if batch_size is None else "")
                + (" = unchunked" if chunk == inputs else ""),
                -(-inputs // chunk),
                f"{out['before'] / mib:.0f}",
                f"{out['peak'] / mib:.0f}",
                f"{added:.0f}",
                f"{(out['peak_first_quarter'] - out['before']) / mib:.0f}",
                f"{out['seconds']:.1f}",
            ]
        )
    sizes = np.array([s for s, _ in sweep], np.float64)
    slope, intercept = np.polyfit(sizes, np.array([m for _, m in sweep]), 1)
    unchunked = examples * config.memory_steps
    estimate = intercept + slope * unchunked
    rows.append(
        [
            f"{examples} x {config.memory_steps}",
            f"{unchunked} = unchunked",
            1,
            "",
            "",
            f"~{estimate:.0f} (estimate)",
            "",
            "not run",
        ]
    )
    say(
        markdown_table(
            [
                "examples x steps",
                "batch",
                "chunks",
                "RSS before MiB",
                "peak MiB",
                "IG adds MiB",
                "added in first 1/4 of the call",
                "s",
            ],
            rows,
        )
    )
    say(
        f"\nDemo network, method {method}, one fresh process per row. Line through the rows: "
        f"{intercept:.0f} MiB + {slope * 1024:.0f} MiB per 1024 inputs in a chunk; unchunked "
        f"{config.memory_steps}-step IG: ~{estimate / 1024:.1f} GiB."
    )
    # Gauss-Legendre nodes come from numpy's leggauss (a dense n x n eigenvalue problem):
    # measured here, in this process, because a user asking for many steps pays it per call.
    parts = []
    for n in (128, 512, config.memory_steps):
        start = time.perf_counter()
        with PeakMemory() as memory:
            quadrature.rule("gausslegendre", n)
        parts.append(
            f"{n} points {time.perf_counter() - start:.2f} s, {memory.added / mib:.0f} MiB"
        )
    say("Building the Gauss-Legendre rule: " + "; ".join(parts) + ".")


# ---- main ----------------------------------------------------------------------------------


def _backend() -> str:
    import keras

    return keras.backend.backend()


def describe_machine() -> str:
    import _backend_limits

    facts = _backend_limits.describe()
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 1024**3:.0f} GiB RAM, "
    except ImportError:
        ram = ""
    devices = ", ".join(facts["devices"]) or "no accelerator"
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {ram}{devices}; "
        f"load average {os.getloadavg()[0]:.1f} at start; Python {platform.python_version()}, "
        f"Keras {facts['keras']} on {facts['framework']}"
    )


def select_backend(name: str) -> None:
    """Makes Keras run on ``name``: sets ``KERAS_BACKEND`` before Keras is imported (the
    backend is fixed at import, so each backend is measured in a process of its own)."""
    if "keras" in sys.modules and sys.modules["keras"].backend.backend() != name:
        raise SystemExit(
            f"Keras is already imported on {sys.modules['keras'].backend.backend()!r}; run "
            f"--backend {name} in a fresh process"
        )
    os.environ["KERAS_BACKEND"] = name


@contextlib.contextmanager
def section(label: str, title: str):
    """Prints a section heading, then how long the section took."""
    say(f"\n## ({label}) {title}\n")
    start = time.perf_counter()
    yield
    say(f"\n(section {label} took {time.perf_counter() - start:.0f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    parser.add_argument(
        "--backend",
        choices=("tensorflow", "jax", "torch"),
        default="tensorflow",
        help="the Keras backend to measure on (default tensorflow; sets KERAS_BACKEND)",
    )
    parser.add_argument(
        "--sections",
        default=None,
        help="comma-separated subset of a,b,c,d,e,f (default: all on tensorflow, a,d elsewhere)",
    )
    parser.add_argument("--seed", type=int, default=0, help="data and weight seed (default 0)")
    parser.add_argument(
        "--model",
        type=Path,
        help="a saved .keras file of the demo network to explain in (a) and (b) instead of "
        "training one here (its probe accuracy is printed)",
    )
    parser.add_argument("--memory-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    select_backend(args.backend)
    if args.memory_worker:
        print(json.dumps(memory_worker(json.loads(args.memory_worker))))
        return 0
    if args.sections is None:
        args.sections = ",".join(SECTIONS) if args.backend == "tensorflow" else "a,d"
    chosen = {s.strip() for s in args.sections.split(",") if s.strip()}
    if not chosen <= set(SECTIONS):
        parser.error(f"--sections takes a subset of {','.join(SECTIONS)}")
    config = QUICK if args.quick else FULL
    begin = time.perf_counter()

    from tb_attrib.engine import (
        DEFAULT_MAX_STEPS,
        DEFAULT_METHOD,
        DEFAULT_STEPS,
        attribution,
    )

    say(f"# tb_attrib engine benchmark on {args.backend}{' (--quick)' if args.quick else ''}\n")
    say(describe_machine())
    say(
        f"Engine defaults: method {DEFAULT_METHOD}, steps {DEFAULT_STEPS}, "
        f"tolerance {attribution.DEFAULT_TOLERANCE:g} (completeness) and "
        f"{attribution.DEFAULT_MAP_TOLERANCE:g} (map), max_steps {DEFAULT_MAX_STEPS}."
    )
    if "c" in chosen:
        with section("c", "Callbacks' share of epoch wall time (demo, default settings)"):
            measure_callbacks(config, args.seed)
    if chosen & {"a", "b", "e"}:
        data = load_demo_data(config, args.seed)
        if args.model is not None:
            import keras

            relu = keras.models.load_model(args.model, compile=False)
            predicted = keras.ops.convert_to_numpy(relu(data.probe_x, training=False)).argmax(1)
            say(f"\nLoaded {args.model}: probe accuracy {np.mean(predicted == data.probe_y):.2f}")
        else:
            say(f"\nTraining the ReLU demo network on {args.backend}...")
            relu = build_network("relu", len(data.class_names), args.seed)
            say(f"probe accuracy {fit(relu, data, config.epochs):.2f}")
    if "a" in chosen:
        with section("a", "Our IG time against the bare limit"):
            measure_speed(relu, data.probe_x, data.probe_y, config)
    if "b" in chosen:
        with section("b", "Quadrature accuracy against a reference"):
            say("### ReLU demo network")
            relu_report = measure_accuracy("relu", relu, data.probe_x, data.probe_y, config)
            say("\n### Same network with GELU, trained the same way\n")
            smooth = build_network("gelu", len(data.class_names), args.seed)
            say(f"probe accuracy {fit(smooth, data, config.epochs):.2f}")
            smooth_report = measure_accuracy("gelu", smooth, data.probe_x, data.probe_y, config)
            say("\n### Goals\n")
            accuracy_verdicts(relu_report, smooth_report)
    if "e" in chosen:
        with section("e", "Expected gradients: cost and map error"):
            measure_expected(relu, data.probe_x, data.probe_y, config)
    if "d" in chosen:
        with section("d", "Peak memory of IG"):
            measure_memory(config)
    if "f" in chosen:
        with section("f", "Evaluations over the demo's epochs against the previous default"):
            measure_epochs(config, args.seed)
    say(f"\nTotal {time.perf_counter() - begin:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
