#!/usr/bin/env python3
"""Integrated gradients side by side: tb_attrib against saliency, tf-explain and the TF tutorial.

    .venv/bin/pip install -e ".[bench]"          # saliency, tf-explain (+ OpenCV it imports)
    .venv/bin/python bench/peers.py               # full run: relu, gelu, mobilenet
    .venv/bin/python bench/peers.py --quick       # relu and gelu, fewer repeats, 1000-step ref

For each model (see ``bench/_peers_models.py``: the demo network trained as the demo trains
it, the same network with GELU, and MobileNetV2 at 64x64 with ``weights=None``) and the same
probe (16 examples, their true labels, black baseline), every implementation of
``bench/_peers_impls.py`` (ours, and each peer as documented and in the best configuration
we can give it) is measured in one process, in interleaved rounds (the order rotates every
round, so that a noisy neighbour hurts everyone alike):

- wall time at 32 and 128 gradient evaluations per example, and each one's time / ours,
  as the median of per-round ratios;
- relative L2 error ``||A - R|| / ||R||`` over the whole probe against a reference ``R``: the
  tutorial's trapezoid rule at 3000 evaluations, computed by the bench's own code (not by the
  engine under test) and cached in ``--cache`` by model file;
- the evaluations each needs to get within 1%: the smallest point of a ladder (2, 3, 4, 6, 8,
  12, ..., 2048) whose error is at most 1%, searched from an estimate (see
  :func:`find_evals_to_tolerance`). Implementations with the same rule give the same
  numbers, so this is done once per rule, with that rule's fastest implementation, and the
  others are checked against it at 32 and 128 evaluations;
- wall time to reach 1%: each implementation timed at its own needed evaluation count (a
  configuration whose single run would exceed ``--budget`` seconds is extrapolated linearly
  from its time at 128 evaluations instead, and marked ``~``);
- completeness gap ``sum_i |sum(A_i) - (F(x_i) - F(b))| / sum_i |F(x_i) - F(b)|`` at 128
  evaluations (for tf-explain also of its own output, which omits ``x - baseline``);
- peak memory: each implementation in a fresh subprocess (``--worker``) that loads the model,
  resets the kernel's resident-set high-water mark (``/proc/self/clear_refs``; loading a
  ``.keras`` file peaks above what a small network's attributions need), reads its resident
  set size, runs 32 then 128 evaluations once (cold, tracing included) and reads the
  high-water mark ``VmHWM`` after each. A fresh process is needed
  because TensorFlow's allocator keeps freed memory for reuse, so in one process every
  measurement would inherit the earlier peaks; ``tracemalloc`` does not see TensorFlow's C++
  allocations, and sampling RSS with psutil misses short spikes.

Prints Markdown (the "Peers" section of ``docs/benchmarks.md`` records a run) and, with
``--json``, writes every number measured.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import _peers_impls as impls_lib  # noqa: E402
import _peers_models as models_lib  # noqa: E402

EVALS = (32, 128)
TOLERANCE = 0.01
LADDER = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048)
DEFAULT_IMPLS = (
    "ours",
    "ours-trapezoid",
    "saliency-docs",
    "saliency-best",
    "tfexplain-docs",
    "tfexplain-best",
    "tutorial-docs",
    "tutorial-best",
)
# The implementation that walks the error ladder for each rule (the fastest one with it).
LADDER_IMPL = {
    "adaptive_trapezoid": "ours",
    "riemann_trapezoid": "ours-trapezoid",
    "gausslegendre": "ours-gausslegendre",
    "equal weights, both ends": "saliency-best",
    "trapezoid": "tutorial-best",
}
# tf-explain pushes N_class * n interpolated images through the model in one call: past this
# many input elements in one batch it is not run (it would need several GB).
TFEXPLAIN_MAX_ELEMENTS = 2048 * 32 * 32 * 3 * 4


def relative_l2(a: np.ndarray, reference: np.ndarray) -> float:
    """``||a - reference|| / ||reference||`` over all examples at once."""
    return float(np.linalg.norm(a - reference) / np.linalg.norm(reference))


def completeness_gap(attributions: np.ndarray, difference: np.ndarray) -> float:
    """``sum_i |sum(A_i) - dF_i| / sum_i |dF_i|``: 0 when completeness holds exactly."""
    totals = attributions.reshape(attributions.shape[0], -1).sum(axis=1)
    return float(np.abs(totals - difference).sum() / np.abs(difference).sum())


def score_difference(model: object, x: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``F_t(x) - F_t(black)`` per example, from the model's own output."""
    rows = np.arange(x.shape[0])
    at_x = np.asarray(model(x, training=False), np.float64)[rows, targets]
    at_b = np.asarray(model(np.zeros_like(x), training=False), np.float64)[rows, targets]
    return at_x - at_b


def reset_peak_rss() -> bool:
    """Resets this process's resident-set high-water mark (Linux >= 4.0: ``clear_refs``)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """Peak resident set size of this process since start or the last reset, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    """Resident set size of this process now, in MB."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _why(error: BaseException) -> str:
    """One line naming an exception, for the table."""
    text = f"{type(error).__name__}: {error}".strip().splitlines()[0]
    return text[:160]


def tfexplain_fits(impl: impls_lib.Implementation, evals: int) -> bool:
    """Whether tf-explain's unchunked batch (largest class group x evals) stays bounded."""
    if not impl.key.startswith("tfexplain"):
        return True
    group = max(len(idx) for _, idx in impl._groups)
    return group * evals * int(np.prod(impl.x.shape[1:])) <= TFEXPLAIN_MAX_ELEMENTS


# ---- the worker (peak memory, in its own process) ---------------------------------------------


def worker(model_name: str, key: str, evals: Sequence[int], cache: Path) -> dict:
    """Loads ``model_name``, then runs ``key`` at each of ``evals`` once, cold; peak RSS."""
    model = models_lib.load(model_name, cache, log=lambda *_: None)
    x, y = models_lib.probe(model_name)
    model(x[:1], training=False)
    impl = impls_lib.IMPLEMENTATIONS[key](model, x, y)
    # Loading the model file peaks above what a small network's attributions need: start the
    # high-water mark afresh so that the peak is that of the attribution calls.
    out: dict = {"reset": reset_peak_rss(), "rss_loaded_mb": current_rss_mb(), "peak_mb": {}}
    for n in evals:
        if not tfexplain_fits(impl, n):
            continue
        impl.timed_call(n)
        out["peak_mb"][str(n)] = peak_rss_mb()
    return out


def measure_memory(
    model_name: str, keys: Sequence[str], cache: Path, parallel: int = 2
) -> dict[str, dict]:
    """Peak RSS of each implementation, each in its own subprocess (``parallel`` at a time)."""
    results: dict[str, dict] = {}
    pending = list(keys)
    running: list[tuple[str, subprocess.Popen]] = []
    while pending or running:
        while pending and len(running) < parallel:
            key = pending.pop(0)
            cmd = [
                sys.executable, str(Path(__file__).resolve()), "--worker", model_name, key,
                "--cache", str(cache),
            ]  # fmt: skip
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            running.append((key, proc))
        key, proc = running.pop(0)
        stdout, stderr = proc.communicate()
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        if proc.returncode == 0 and lines:
            results[key] = json.loads(lines[-1])
        else:
            results[key] = {"error": (stderr.strip().splitlines() or ["no output"])[-1][:160]}
    return results


# ---- timing --------------------------------------------------------------------------------


def time_rounds(
    tasks: dict[str, Callable[[], object]], repeats: int, budget_s: float
) -> dict[str, list[float]]:
    """Wall times of each task over ``repeats`` interleaved rounds, order rotated per round;
    the process CPU times (all threads) of the same calls under ``"cpu:" + label``.

    A task whose accumulated time passes ``budget_s`` is not repeated further (it keeps at
    least one sample), so that one slow configuration cannot eat the whole run.
    """
    labels = list(tasks)
    times: dict[str, list[float]] = {label: [] for label in labels}
    for r in range(repeats if labels else 0):
        order = labels[r % len(labels) :] + labels[: r % len(labels)]
        for label in order:
            if times[label] and sum(times[label]) > budget_s:
                continue
            start, cpu = time.perf_counter(), time.process_time()
            tasks[label]()
            times[label].append(time.perf_counter() - start)
            times.setdefault(f"cpu:{label}", []).append(time.process_time() - cpu)
    return times


def paired_ratio(times: dict[str, list[float]], label: str, anchor: str) -> float:
    """Median over rounds of ``time(label) / time(anchor)`` measured in the same round."""
    n = min(len(times[label]), len(times[anchor]))
    if n == 0:
        return float("nan")
    if n < len(times[label]) or n < len(times[anchor]):
        return float(np.median(times[label]) / np.median(times[anchor]))
    return float(np.median(np.asarray(times[label][:n]) / np.asarray(times[anchor][:n])))


# ---- one model ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
    """Everything measured for one implementation on one model."""

    key: str
    library: str = ""
    setting: str = ""
    rule: str = ""
    error: str = ""  # why it could not be built or run
    time: dict = dataclasses.field(default_factory=dict)  # evals -> median seconds
    ratio: dict = dataclasses.field(default_factory=dict)  # evals -> median time / ours
    cpu_time: dict = dataclasses.field(default_factory=dict)  # evals -> median CPU seconds
    cpu_ratio: dict = dataclasses.field(default_factory=dict)  # evals -> CPU time / ours
    first_call_s: float = float("nan")
    rel_error: dict = dataclasses.field(default_factory=dict)  # evals -> relative L2
    evals_to_tol: int | None = None
    time_to_tol: float = float("nan")
    to_tol_extrapolated: bool = False
    ratio_to_tol: float = float("nan")
    completeness: float = float("nan")
    completeness_native: float = float("nan")
    peak_mb: dict = dataclasses.field(default_factory=dict)
    rss_loaded_mb: float = float("nan")
    note: str = ""


def find_evals_to_tolerance(
    impl: impls_lib.Implementation,
    reference: np.ndarray,
    known: dict[int, float],
    log: Callable,
) -> tuple[int | None, dict[int, float]]:
    """Smallest :data:`LADDER` count whose relative L2 error is within :data:`TOLERANCE`.

    Assumes the error decreases with the evaluation count, and searches from an estimate
    instead of walking the whole ladder (which costs several times the answer on a deep
    network): first-order rules have error ~ C/n, so ``n ~ 128 * err(128) / tolerance``;
    from the ladder count nearest to that, step down while the error stays within the
    tolerance, or up until it gets there. ``known`` holds errors already measured.
    """
    ladder = [n for n in LADDER if n >= impl.min_evals and tfexplain_fits(impl, n)]
    errors = dict(known)

    def error(n: int) -> float:
        if n not in errors:
            errors[n] = relative_l2(impl.attribute(n), reference)
        return errors[n]

    anchor = max(known) if known else 32
    estimate = anchor * known.get(anchor, 1.0) / TOLERANCE
    if estimate > 2 * ladder[-1]:  # walking there would cost more than the rest of the run
        log(f"    {impl.rule}: not searched, ~{estimate:.0f} evaluations by the C/n estimate")
        return None, {n: errors[n] for n in sorted(errors)}
    i = min(range(len(ladder)), key=lambda j: abs(np.log(ladder[j] / max(estimate, 1e-9))))
    if error(ladder[i]) <= TOLERANCE:
        while i > 0 and error(ladder[i - 1]) <= TOLERANCE:
            i -= 1
        log(f"    {impl.rule}: {ladder[i]} evaluations -> {errors[ladder[i]]:.2e}")
        return ladder[i], {n: errors[n] for n in sorted(errors)}
    while i + 1 < len(ladder):
        i += 1
        if error(ladder[i]) <= TOLERANCE:
            log(f"    {impl.rule}: {ladder[i]} evaluations -> {errors[ladder[i]]:.2e}")
            return ladder[i], {n: errors[n] for n in sorted(errors)}
    log(f"    {impl.rule}: not within 1% by {ladder[-1]} evaluations")
    return None, {n: errors[n] for n in sorted(errors)}


def reference_for(
    model_name: str, model: object, x: np.ndarray, y: np.ndarray, steps: int, cache: Path
) -> np.ndarray:
    """The tutorial's trapezoid rule at ``steps`` evaluations (bench code, not the engine),
    cached next to the model file and keyed by its modification time."""
    stamp = int(models_lib.cached_path(model_name, cache).stat().st_mtime)
    path = cache / f"reference-{model_name}-{steps}-{stamp}.npy"
    if path.exists():
        return np.load(path)
    reference = impls_lib.TutorialBest(model, x, y).attribute(steps)
    np.save(path, reference)
    return reference


def tfexplain_display_error(
    impl: impls_lib.TfExplainDocs, evals: int, reference: np.ndarray
) -> float:
    """Relative L2 between tf-explain's ``explain`` grids and the same display (its own
    grayscale transform and grid) of the reference IG: what its user sees vs IG."""
    import tensorflow as tf
    from tf_explain.utils.display import grid_display
    from tf_explain.utils.image import transform_to_normalized_grayscale

    grids = impl.native(evals)
    shown, wanted = [], []
    for (c, grid), (c2, idx) in zip(grids, impl._groups, strict=True):
        assert c == c2
        display = transform_to_normalized_grayscale(tf.abs(reference[idx])).numpy()
        shown.append(np.asarray(grid, np.float64).ravel())
        wanted.append(np.asarray(grid_display(display), np.float64).ravel())
    return relative_l2(np.concatenate(shown), np.concatenate(wanted))


def run_model(model_name: str, keys: Sequence[str], args: argparse.Namespace, log: Callable):
    """Measures every implementation in ``keys`` on one model; returns ``(rows, facts)``."""
    cache = Path(args.cache)
    model = models_lib.load(model_name, cache, log=log)
    x, y = models_lib.probe(model_name)
    difference = score_difference(model, x, y)
    facts: dict = {
        "model": model_name,
        "input": list(x.shape[1:]),
        "params": int(model.count_params()),
        "probe_accuracy": float(np.mean(np.argmax(model(x, training=False), axis=1) == y)),
        "mean_abs_score_difference": float(np.abs(difference).mean()),
    }
    rows: dict[str, Row] = {}
    impls: dict[str, impls_lib.Implementation] = {}
    for key in keys:
        row = rows[key] = Row(key)
        try:
            impl = impls_lib.IMPLEMENTATIONS[key](model, x, y)
        except Exception as error:  # a peer that cannot be installed or imported
            row.error = f"cannot be built: {_why(error)}"
            log(f"  {key}: {row.error}")
            continue
        row.library, row.setting, row.rule = impl.library, impl.setting, impl.rule
        impls[key] = impl

    start = time.perf_counter()
    reference = reference_for(model_name, model, x, y, args.reference_steps, cache)
    log(f"  reference ({args.reference_steps} evaluations): {time.perf_counter() - start:.0f} s")

    # Warm up (tracing), keep the outputs at 32 and 128 evaluations for errors and checks.
    outputs: dict[str, dict[int, np.ndarray]] = {}
    for key, impl in list(impls.items()):
        try:
            outputs[key] = {}
            for n in EVALS:
                if not tfexplain_fits(impl, n):
                    continue
                start = time.perf_counter()
                native = impl.timed_call(n)
                if n == EVALS[0]:
                    rows[key].first_call_s = time.perf_counter() - start
                outputs[key][n] = native if impl.native_is_attributions else impl.attribute(n)
        except Exception as error:
            rows[key].error = f"fails with TF/Keras here: {_why(error)}"
            log(f"  {key}: {rows[key].error}")
            traceback.print_exc(file=sys.stderr)
            impls.pop(key)
    for key in impls:
        row = rows[key]
        row.rel_error = {n: relative_l2(a, reference) for n, a in outputs[key].items()}
        if EVALS[-1] in outputs[key]:
            row.completeness = completeness_gap(outputs[key][EVALS[-1]], difference)
        if isinstance(impls[key], impls_lib.TfExplainDocs) and EVALS[-1] in outputs[key]:
            raw = impls[key].mean_gradients(EVALS[-1])
            row.completeness_native = completeness_gap(raw, difference)
            if key == "tfexplain-docs":
                shown = tfexplain_display_error(impls[key], EVALS[-1], reference)
                row.note = (
                    f"explain() returns a 2D uint8 grid of |mean gradient| (no x-b factor), "
                    f"per-image standardised, x255, cast to uint8 (wraps around); vs the same "
                    f"display of the reference IG: {shown:.0%} relative L2 at {EVALS[-1]}"
                )

    # Equal evaluations: interleaved rounds.
    log(f"  timing at {EVALS} evaluations, {args.repeats} rounds")
    tasks = {
        f"{key}@{n}": (lambda impl=impl, n=n: impl.timed_call(n))
        for key, impl in impls.items()
        for n in EVALS
        if tfexplain_fits(impl, n)
    }
    times = time_rounds(tasks, args.repeats, args.budget)
    for key in impls:
        for n in EVALS:
            label = f"{key}@{n}"
            if label in times:
                rows[key].time[n] = float(np.median(times[label]))
                rows[key].cpu_time[n] = float(np.median(times[f"cpu:{label}"]))
                if "ours" in impls:
                    rows[key].ratio[n] = paired_ratio(times, label, f"ours@{n}")
                    rows[key].cpu_ratio[n] = paired_ratio(times, f"cpu:{label}", f"cpu:ours@{n}")

    # Evaluations to reach 1%: one ladder per rule, checked against the other members.
    log("  evaluations to reach 1% relative L2")
    needed: dict[str, int | None] = {}
    ladders: dict[str, dict[int, float]] = {}
    for rule in dict.fromkeys(impl.rule for impl in impls.values()):
        members = [k for k, impl in impls.items() if impl.rule == rule]
        walker = LADDER_IMPL.get(rule) if LADDER_IMPL.get(rule) in members else members[0]
        known = {n: rows[walker].rel_error[n] for n in rows[walker].rel_error}
        needed[rule], ladders[rule] = find_evals_to_tolerance(impls[walker], reference, known, log)
        for k in members:
            if k != walker and outputs[k] and outputs[walker]:
                n = max(set(outputs[k]) & set(outputs[walker]))
                gap = relative_l2(outputs[k][n], outputs[walker][n])
                if gap > 1e-4:
                    rows[k].note += f"; differs from {walker} by {gap:.1e} at {n}"
    facts["ladders"] = {rule: {str(n): e for n, e in v.items()} for rule, v in ladders.items()}

    # Time to reach 1%, interleaved.
    tasks = {}
    extrapolated = {}
    for key, impl in impls.items():
        n = needed[impl.rule]
        rows[key].evals_to_tol = n
        if n is None:
            continue
        predicted = rows[key].time.get(EVALS[-1], 0.0) * n / EVALS[-1]
        if not tfexplain_fits(impl, n):
            rows[key].note += f"; not run at {n}: its unchunked batch would need several GB"
        elif predicted > args.budget and key != "ours":
            extrapolated[key] = predicted
            rows[key].note += (
                f"; time to 1% extrapolated linearly from {EVALS[-1]} evaluations "
                f"(one run would take ~{predicted:.0f} s, over the {args.budget:.0f} s budget)"
            )
        else:
            tasks[key] = lambda impl=impl, n=n: impl.timed_call(n)
    for key in tasks:  # traces for the new evaluation counts stay out of the timing
        if impls[key].needs_warmup:
            tasks[key]()
    log(f"  timing to 1%, {args.repeats} rounds")
    times = time_rounds(tasks, args.repeats, args.budget)
    facts["to_tol_times"] = times
    for key in tasks:
        rows[key].time_to_tol = float(np.median(times[key]))
        if "ours" in tasks:
            rows[key].ratio_to_tol = paired_ratio(times, key, "ours")
    for key, predicted in extrapolated.items():
        rows[key].time_to_tol = predicted
        rows[key].to_tol_extrapolated = True
        if "ours" in tasks:
            rows[key].ratio_to_tol = predicted / rows["ours"].time_to_tol

    if not args.no_memory:
        log("  peak memory (one subprocess per implementation)")
        memory = measure_memory(model_name, list(impls), cache, parallel=args.memory_parallel)
        for key, result in memory.items():
            if "error" in result:
                rows[key].note += f"; memory worker failed: {result['error']}"
                continue
            rows[key].rss_loaded_mb = result["rss_loaded_mb"]
            rows[key].peak_mb = {int(n): v for n, v in result["peak_mb"].items()}
    return list(rows.values()), facts


# ---- report ----------------------------------------------------------------------------------


def _f(value: float | None, fmt: str, missing: str = "-") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return missing
    return format(value, fmt)


def render(results: list[tuple[list[Row], dict]], args: argparse.Namespace) -> str:
    """The Markdown report: one table per model, then the goals and notes."""
    import keras
    import tensorflow as tf

    lines = [
        f"Run: `{' '.join(['bench/peers.py', *args.argv])}` on {platform.machine()}, "
        f"{os.cpu_count()} cores; TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"{_versions()}. Probe: 16 examples, true labels, black baseline; medians of "
        f"{args.repeats} interleaved rounds; reference: trapezoid at {args.reference_steps} "
        "evaluations. `x ours`: that time / ours, median of per-round ratios.",
        "",
    ]
    for rows, facts in results:
        lines += [
            f"**{facts['model']}** ({'x'.join(map(str, facts['input']))} input, "
            f"{facts['params']:,} parameters, probe accuracy {facts['probe_accuracy']:.2f}, "
            f"mean |F(x) - F(b)| {facts['mean_abs_score_difference']:.3f})",
            "",
            "| implementation | setting | s @32 | x ours | s @128 | x ours | err @32 | err @128 "
            "| evals to 1% | s to 1% | x ours | peak MB @128 (+ over loaded) | completeness gap "
            "@128 |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            if row.error:
                lines.append(f"| {row.key} | {row.error} |" + " |" * 11)
                continue
            peak = row.peak_mb.get(128)
            memory = f"{peak:.0f} (+{peak - row.rss_loaded_mb:.0f})" if peak is not None else "-"
            gap = _f(row.completeness, ".1e")
            if np.isfinite(row.completeness_native):
                gap += f"; own output: {row.completeness_native:.2f} (no x-b)"
            lines.append(
                "| "
                + " | ".join(
                    [
                        row.key,
                        row.setting,
                        _f(row.time.get(32), ".2f"),
                        _f(row.ratio.get(32), ".2f"),
                        _f(row.time.get(128), ".2f"),
                        _f(row.ratio.get(128), ".2f"),
                        _f(row.rel_error.get(32), ".1e"),
                        _f(row.rel_error.get(128), ".1e"),
                        str(row.evals_to_tol) if row.evals_to_tol else f"> {LADDER[-1]}",
                        ("~" if row.to_tol_extrapolated else "") + _f(row.time_to_tol, ".2f"),
                        ("~" if row.to_tol_extrapolated else "") + _f(row.ratio_to_tol, ".2f"),
                        memory,
                        gap,
                    ]
                )
                + " |"
            )
        notes = [f"{row.key}: {row.note.strip('; ')}" for row in rows if row.note.strip("; ")]
        if notes:
            lines += [""] + [f"- {note}" for note in notes]
        lines.append("")
    lines += goals(results)
    return "\n".join(lines)


def goals(results: list[tuple[list[Row], dict]]) -> list[str]:
    """The issue's goals, met or missed, from the measured numbers."""
    out = ["Goals:", ""]
    wanted = {"gelu": 1.5, "relu": 1.5}  # issue 13, goal 4 (the 3x on GELU is retired)
    for rows, facts in results:
        by_key = {row.key: row for row in rows if not row.error}
        if "ours" not in by_key:
            continue
        peers = [row for key, row in by_key.items() if not key.startswith("ours")]
        name = facts["model"]
        # Time to 1%: for each of our rules (the user picks one with `method=`), against every
        # peer, from the same rounds' times where both were timed.
        times = facts.get("to_tol_times", {})
        for ours in (row for key, row in by_key.items() if key.startswith("ours")):
            if name not in wanted or not np.isfinite(ours.time_to_tol):
                continue
            ratios = {
                peer.key: paired_ratio(times, peer.key, ours.key)
                if peer.key in times and ours.key in times
                else peer.time_to_tol / ours.time_to_tol
                for peer in peers
                if np.isfinite(peer.time_to_tol)
            }
            if ratios:
                closest = min(ratios, key=ratios.get)
                met = ratios[closest] >= wanted[name]
                out.append(
                    f"- {name}, time to 1%, {ours.key} ({ours.rule}): at least "
                    f"{wanted[name]:g}x less than every peer: {'met' if met else 'MISSED'} "
                    f"(closest: {closest}, {ratios[closest]:.2f}x {ours.key})"
                )
        for n in EVALS:
            fastest = min(
                (r for r in peers if n in r.ratio), key=lambda r: r.ratio[n], default=None
            )
            if fastest is not None:
                met = fastest.ratio[n] >= 1.0
                cpu = fastest.cpu_ratio.get(n, float("nan"))
                out.append(
                    f"- {name}, {n} evaluations: no slower than the fastest peer: "
                    f"{'met' if met else 'MISSED'} ({fastest.key}: {fastest.ratio[n]:.2f}x ours "
                    f"in wall time, {cpu:.2f}x in CPU time)"
                )
    return out


def _versions() -> str:
    from importlib import metadata

    parts = []
    for name in ("saliency", "tf-explain", "opencv-python-headless"):
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} not installed")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="relu+gelu, 3 rounds, 1000-step ref")
    parser.add_argument("--models", nargs="+", choices=models_lib.MODEL_NAMES)
    parser.add_argument("--impls", nargs="+", choices=list(impls_lib.IMPLEMENTATIONS))
    parser.add_argument("--repeats", type=int, help="interleaved rounds (default 5, quick 3)")
    parser.add_argument("--budget", type=float, default=30.0, help="max seconds per config")
    parser.add_argument("--reference-steps", type=int, help="default 3000 (quick 1000)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--memory-parallel", type=int, default=2)
    parser.add_argument("--cache", default=str(models_lib.DEFAULT_CACHE), help="models, refs")
    parser.add_argument("--json", help="also write every number to this file")
    parser.add_argument("--worker", nargs=2, metavar=("MODEL", "IMPL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.worker:
        result = worker(args.worker[0], args.worker[1], EVALS, Path(args.cache))
        print(json.dumps(result))
        return 0
    args.models = args.models or (["relu", "gelu"] if args.quick else list(models_lib.MODEL_NAMES))
    args.repeats = args.repeats or (3 if args.quick else 5)
    args.reference_steps = args.reference_steps or (1000 if args.quick else 3000)
    keys = args.impls or list(DEFAULT_IMPLS)
    if "ours" not in keys:
        keys = ["ours", *keys]

    def log(*parts: object) -> None:
        print(*parts, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results = []
    for name in args.models:
        log(f"{name}:")
        results.append(run_model(name, keys, args, log))
    report = render(results, args)
    print(report)
    log(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        payload = [
            {"facts": facts, "rows": [dataclasses.asdict(row) for row in rows]}
            for rows, facts in results
        ]
        Path(args.json).write_text(json.dumps(payload, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
