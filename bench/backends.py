#!/usr/bin/env python3
"""The engine on TensorFlow, JAX and PyTorch side by side, and against Captum on PyTorch.

    .venv/bin/pip install -e ".[bench]"           # psutil, captum (and the TF peers)
    .venv/bin/python bench/backends.py            # every installed backend (about 5 minutes)
    .venv/bin/python bench/backends.py --quick    # tiny sizes, a smoke test
    .venv/bin/python bench/backends.py --backends jax torch --json out.json

The same work on every backend: the demo network trained as the demo trains it (cached under
``--cache`` as ``bench/peers.py`` caches it, trained on PyTorch where PyTorch is installed,
else on JAX, else on TensorFlow, then loaded from its ``.keras`` file by every backend: the
same weights everywhere), the peers' 16-example probe with its true labels, a black baseline.
Each backend runs in its own process (Keras fixes the backend at import,
``bench/_backend_worker.py``), and the driver times one call at a time, taking turns through
every (backend, implementation, size) in an order that rotates each round, so that the
machine's noise hits every contender alike; ratios are medians of per-round ratios.

1. **Each backend against its own bare limit**: our integrated gradients (default rule,
   default ``batch_size``, and at ``batch_size=128``) against that backend's bare batched input
   gradient of the same work in one compiled call (``bench/_backend_limits.py``). Goal: at least
   0.90 of the limit's speed.
2. **Backends side by side**: each backend's times over the first backend's (TensorFlow when
   installed) for the same calls.
3. **Peak memory**: each implementation once, cold, in a fresh process (resident high-water
   mark over the RSS after loading the model; the accelerator's peak where there is one).
4. **Captum** (PyTorch): ``captum.attr.IntegratedGradients`` on the Keras model against ours at
   equal evaluations (its default Gauss-Legendre rule against ours with the same rule; goal: no
   slower), and the time each needs to get within 1% relative L2 of a reference map (goal: at
   least 1.5x less than Captum). The reference is the midpoint rule at 3000 points computed by
   the bare limit with float64 sums (``bench/engine.py``'s (b)), not by the engine or Captum.

Nothing here needs TensorFlow: on a machine with only JAX or only PyTorch (and Keras), the bench
measures what is installed. Prints Markdown; ``docs/benchmarks.md`` ("Backends") records a run.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

BACKENDS = ("tensorflow", "jax", "torch")
TRAINERS = ("torch", "jax", "tensorflow")  # the backend that trains the network, if missing
LABELS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
LADDER = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
PREFIX = "@@ "
DEFAULT_CACHE = Path(os.environ.get("TB_ATTRIB_BENCH_CACHE", "/tmp/tb_attrib_bench"))
SPEED_GOAL = 0.90
CAPTUM_TIME_GOAL = 1.5


@dataclasses.dataclass(frozen=True)
class Config:
    probe: int  # examples explained
    steps: tuple[int, ...]  # evaluations per example timed on every backend
    repeats: int  # interleaved rounds
    reference_steps: int  # midpoint points of the reference map (a multiple of 3)
    ladder: tuple[int, ...]  # evaluation counts searched for 1%
    memory_steps: int  # evaluations of the peak-memory runs
    quick: bool = False


FULL = Config(16, (32, 128), 7, 3000, LADDER, 128)
QUICK = Config(4, (8,), 2, 96, LADDER[:11], 8, quick=True)


def say(text: str = "") -> None:
    print(text, flush=True)


def installed(backend: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("keras", backend))


def _env(backend: str) -> dict:
    return {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}


def _json_line(stdout: str) -> dict:
    lines = [line[len(PREFIX) :] for line in stdout.splitlines() if line.startswith(PREFIX)]
    if not lines:
        raise RuntimeError("no answer")
    return json.loads(lines[-1])


def _subprocess(backend: str, *args: str, timeout: float = 900) -> dict:
    """Runs this script with ``args`` on ``backend``; its ``@@`` answer."""
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(backend),
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{backend} {args[:1]} failed:\n{result.stderr[-3000:]}")
    return _json_line(result.stdout)


# ---- the network ---------------------------------------------------------------------------


def train(cache: Path, quick: bool) -> dict:
    """In a backend process: the cached network's path, trained here first if missing."""
    import _peers_models as models
    import keras

    start = time.perf_counter()
    if not quick:
        path = models.cached_path(models.MODEL_NAMES[0], cache)
        trained = not path.exists()
        models.load(models.MODEL_NAMES[0], cache, log=lambda text: print(text, file=sys.stderr))
    else:  # a smoke test: one short epoch
        path = cache / f"relu-quick-{models.fingerprint('relu')}.keras"
        trained = not path.exists()
        if trained:
            model = models.train("relu", epochs=1, train_size=640)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.keras")
            model.save(tmp)
            tmp.replace(path)
    return {
        "path": str(path),
        "trained_on": keras.backend.backend() if trained else None,
        "seconds": time.perf_counter() - start,
    }


# ---- the workers ---------------------------------------------------------------------------


class Remote:
    """A worker process on one backend (``bench/_backend_worker.py``)."""

    def __init__(self, backend: str, model: str, config: Config, cache: Path) -> None:
        self.backend = backend
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in close())
        command = [
            sys.executable, str(Path(__file__).resolve()), "--worker", backend, "--model", model,
            "--probe", str(config.probe), "--cache", str(cache),
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            cwd=ROOT,
            env=_env(backend),
        )

    def send(self, op: str, **arguments) -> None:
        self._process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self._process.stdin.flush()

    def receive(self) -> dict:
        while True:
            line = self._process.stdout.readline()
            if not line:
                self._log.seek(0)
                raise RuntimeError(f"{self.backend} worker stopped:\n{self._log.read()[-3000:]}")
            if line.startswith(PREFIX):
                reply = json.loads(line[len(PREFIX) :])
                if "error" in reply:
                    raise RuntimeError(f"{self.backend} worker: {reply['traceback']}")
                return reply

    def call(self, op: str, **arguments) -> dict:
        self.send(op, **arguments)
        return self.receive()

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self.call("quit")
                self._process.wait(timeout=30)
            except (RuntimeError, OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        self._log.close()


def time_rounds(remotes: dict[str, Remote], tasks: dict[str, list[str]], repeats: int) -> dict:
    """``{(backend, task): [seconds per round]}``, one call at a time across every process, in
    an order that rotates each round."""
    order = [(b, t) for b, names in tasks.items() for t in names]
    times: dict[tuple[str, str], list[float]] = {key: [] for key in order}
    for r in range(repeats):
        shift = (r * len(order)) // max(1, repeats)
        for backend, task in order[shift:] + order[:shift]:
            time.sleep(0.05)  # lets the previous process's spinning threads go idle
            times[backend, task].append(remotes[backend].call("time", task=task)["seconds"])
    return times


def ratio(times: dict, numerator: tuple, denominator: tuple) -> list[float]:
    """Per-round ``time(numerator) / time(denominator)``."""
    return [a / b for a, b in zip(times[numerator], times[denominator], strict=True)]


def run_memory(specs: list[tuple[str, str]], model: str, config: Config) -> dict:
    """Peak memory of each ``(backend, impl)``, each in a fresh process, two at a time."""
    results, pending, running = {}, list(specs), []
    while pending or running:
        while pending and len(running) < 2:
            backend, impl = key = pending.pop(0)
            spec = {"model": model, "probe": config.probe, "impl": impl}
            spec["steps"] = config.memory_steps
            command = [sys.executable, str(Path(__file__).resolve()), "--memory-worker"]
            command.append(json.dumps(spec))
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                env=_env(backend),
            )
            running.append((key, process))
        key, process = running.pop(0)
        stdout, stderr = process.communicate()
        try:
            results[key] = _json_line(stdout) if process.returncode == 0 else None
        except (RuntimeError, ValueError):
            results[key] = None
        if results[key] is None:
            results[key] = {"error": (stderr.strip().splitlines() or ["no output"])[-1][:160]}
    return results


# ---- report --------------------------------------------------------------------------------


def _ms(values: Sequence[float]) -> str:
    return f"{statistics.median(values) * 1e3:.0f}"


def _range(values: Sequence[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def report(facts: dict, times: dict, memory: dict, accuracy: dict | None, config: Config) -> list:
    """Prints the tables; returns the verdicts ``[(text, met)]``."""
    from engine import markdown_table

    backends = list(facts)
    anchor = backends[0]
    n_probe = config.probe
    verdicts = []

    say("\n### Each backend against its own bare limit\n")
    rows = []
    for b in backends:
        ok = True
        for n in config.steps:
            speed = ratio(times, (b, f"limit@{n}"), (b, f"ours@{n}"))
            small = ratio(times, (b, f"limit@{n}"), (b, f"ours-b128@{n}"))
            ok &= statistics.median(speed) >= SPEED_GOAL
            chunks = -(-n_probe * n // facts[b]["batch_size"])
            rows.append(
                [
                    LABELS[b],
                    f"{n_probe} x {n}",
                    chunks,
                    _ms(times[b, f"ours@{n}"]),
                    _ms(times[b, f"limit@{n}"]),
                    f"**{statistics.median(speed):.2f}**",
                    _range(speed),
                    _ms(times[b, f"ours-b128@{n}"]),
                    f"{statistics.median(small):.2f}",
                    f"{facts[b]['agreement'][f'limit@{n}']:.0e}",
                ]
            )
        speeds = [
            statistics.median(ratio(times, (b, f"limit@{n}"), (b, f"ours@{n}")))
            for n in config.steps
        ]
        verdicts.append(
            (
                f"{LABELS[b]}: ours at the default batch_size, speed vs the bare limit "
                + ", ".join(f"{s:.2f}" for s in speeds)
                + f" (goal >= {SPEED_GOAL:.2f})",
                ok,
            )
        )
    say(
        markdown_table(
            [
                "backend",
                "examples x steps",
                "our chunks",
                "ours ms",
                "limit ms",
                "speed vs limit",
                "range",
                "ours at batch 128 ms",
                "its speed vs limit",
                "limit vs ours (rel. L2)",
            ],
            rows,
        )
    )
    say(
        "\nspeed vs limit = limit time / our time, median of per-round ratios (range: smallest "
        f"and largest round); {config.repeats} interleaved rounds. Our default batch_size here "
        "(interpolated inputs per chunk): "
        + ", ".join(f"{LABELS[b]} {facts[b]['batch_size']}" for b in backends)
        + ". Traces: "
        + "; ".join(f"{LABELS[b]} {facts[b].get('traces') or 'n/a (eager)'}" for b in backends)
        + "."
    )

    if len(backends) > 1:
        say(f"\n### Backends side by side (time / {LABELS[anchor]}'s time for the same call)\n")
        rows = []
        for n in config.steps:
            for b in backends:
                row = [f"{n_probe} x {n}", LABELS[b]]
                for impl in ("ours", "ours-b128", "limit"):
                    task = f"{impl}@{n}"
                    row.append(_ms(times[b, task]))
                    row.append(f"{statistics.median(ratio(times, (b, task), (anchor, task))):.2f}")
                rows.append(row)
        say(
            markdown_table(
                [
                    "examples x steps",
                    "backend",
                    "ours ms",
                    f"x {LABELS[anchor]}",
                    "ours at batch 128 ms",
                    f"x {LABELS[anchor]}",
                    "limit ms",
                    f"x {LABELS[anchor]}",
                ],
                rows,
            )
        )

    if memory:
        say(
            f"\n### Peak memory ({n_probe} x {config.memory_steps}, one cold call in a fresh "
            "process)\n"
        )
        rows = []
        mib = 2**20
        for (b, impl), out in memory.items():
            if "error" in out:
                rows.append([LABELS[b], impl, "", "", f"failed: {out['error']}", ""])
                continue
            device = out.get("device_peak")
            rows.append(
                [
                    LABELS[b],
                    impl,
                    f"{out['loaded'] / mib:.0f}",
                    f"{out['peak'] / mib:.0f}",
                    f"**{(out['peak'] - out['loaded']) / mib:.0f}**",
                    "" if device is None else f"{device / mib:.0f}",
                ]
            )
        say(
            markdown_table(
                [
                    "backend",
                    "implementation",
                    "RSS loaded MiB",
                    "peak RSS MiB",
                    "call adds MiB",
                    "device peak MiB",
                ],
                rows,
            )
        )
        say(
            "\nCold: the call traces or compiles on JAX and TensorFlow (included); the limit "
            "holds the whole batch at once, ours one chunk at a time."
        )

    if accuracy is not None and "torch" in times_backends(times):
        verdicts += report_captum(times, accuracy, facts["torch"], memory, config)
    return verdicts


def times_backends(times: dict) -> set[str]:
    return {b for b, _ in times}


CAPTUM_ROWS = ("captum-docs", "captum-b512", "captum-trapezoid")
CAPTUM_MEMORY = ("captum-docs", "captum-b512")
SETTINGS = {
    "ours": "method='riemann_trapezoid' (the kernel against its limit)",
    "ours-gausslegendre": "method='gausslegendre'",
    "ours-adaptive": "default (adaptive_trapezoid)",
    "captum-docs": "as documented: default gausslegendre, internal_batch_size=None",
    "captum-b512": "gausslegendre, internal_batch_size = our default chunk",
    "captum-trapezoid": "method='riemann_trapezoid' (weights sum to 1 - 1/n)",
}
# Each Captum row's time at equal evaluations is divided by ours with the same rule.
SAME_RULE = {"captum-docs": "ours-gausslegendre", "captum-b512": "ours-gausslegendre"}


def _median_ratio(times: dict, numerator: tuple, denominator: tuple) -> float | None:
    if numerator not in times or denominator not in times:
        return None
    return statistics.median(ratio(times, numerator, denominator))


def report_captum(times, accuracy, facts, memory, config) -> list:
    """The Captum table and its verdicts (PyTorch)."""
    from _backend_worker import RULES
    from engine import markdown_table

    say(f"\n### Captum {facts['captum']} against ours on PyTorch (same model, same probe)\n")
    ref = accuracy["reference"]
    say(
        f"Reference: midpoint rule at {config.reference_steps} points by the bare limit, float64 "
        f"sums ({ref['seconds']:.0f} s{', cached' if ref['cached'] else ''}); its own map error "
        f"<= {ref['floor']:.1e} (from its 1/3-point sub-rule). Errors: relative L2 over the "
        "whole probe.\n"
    )
    t = lambda task: ("torch", task)  # noqa: E731
    rows = []
    for impl in ("ours", "ours-gausslegendre", "ours-adaptive", *CAPTUM_ROWS):
        row = [impl, SETTINGS[impl]]
        for n in config.steps:
            same = _median_ratio(times, t(f"{impl}@{n}"), t(f"{SAME_RULE.get(impl, impl)}@{n}"))
            row.append(_ms(times[t(f"{impl}@{n}")]) if t(f"{impl}@{n}") in times else "-")
            row.append("-" if same is None else f"{same:.2f}")
        errors = accuracy["errors"].get(impl, {})
        row += [f"{errors[str(n)]:.1e}" for n in config.steps]
        needed = accuracy["needed"].get(RULES[impl])
        row.append(needed if needed is not None else f"> {config.ladder[-1]}")
        to_tol = _median_ratio(times, t(f"tol:{impl}"), t("tol:ours"))
        row.append(_ms(times[t(f"tol:{impl}")]) if to_tol is not None else "-")
        row.append("-" if to_tol is None else f"{to_tol:.2f}")
        peak = memory.get(("torch", "ours" if impl == "ours-gausslegendre" else impl), {})
        row.append(f"{(peak['peak'] - peak['loaded']) / 2**20:.0f}" if "peak" in peak else "")
        rows.append(row)
    header = ["implementation", "setting"]
    for n in config.steps:
        header += [f"ms @{n}", "x ours, same rule"]
    header += [f"err @{n}" for n in config.steps]
    header += ["evals to 1%", "ms to 1%", "x ours", f"adds MiB @{config.memory_steps}"]
    say(markdown_table(header, rows))
    sums = facts.get("captum_trapezoid_weight_sums", {})
    gap = facts["agreement"]
    say(
        "\n'x ours, same rule': time / ours' time with the same rule and evaluations "
        "(Gauss-Legendre rows / ours-gausslegendre), median of per-round ratios. 'evals to 1%': "
        f"the smallest count of the ladder {config.ladder[0]}, {config.ladder[1]}, ..., "
        f"{config.ladder[-1]} within 1% (searched per rule); 'ms to 1%' each one timed at its own "
        "count, 'x ours' its time / ours' (default rule). Captum's Gauss-Legendre maps equal "
        "ours-gausslegendre's to "
        + ", ".join(f"{gap[f'captum-docs@{n}']:.0e} (@{n})" for n in config.steps)
        + "; its trapezoid rule has our points but weights summing to "
        + ", ".join(f"{v:.4f} (@{n})" for n, v in sums.items())
        + ", so its maps are ours scaled down by 1/n ("
        + ", ".join(f"{gap[f'captum-trapezoid vs ours@{n}']:.1e}" for n in config.steps)
        + " apart). Memory: one cold call in a fresh process (ours-gausslegendre: ours' row)."
    )
    verdicts = []
    for n in config.steps:
        r = _median_ratio(times, t(f"captum-docs@{n}"), t(f"ours-gausslegendre@{n}"))
        b = _median_ratio(times, t(f"captum-b512@{n}"), t(f"ours-gausslegendre@{n}"))
        verdicts.append(
            (
                f"PyTorch, {n} evaluations, Gauss-Legendre both: Captum as documented takes "
                f"{r:.2f}x ours' time (with our chunk size: {b:.2f}x; goal: no slower, >= 1.00)",
                r >= 1.0,
            )
        )
    captum = {impl: t(f"tol:{impl}") for impl in CAPTUM_ROWS if t(f"tol:{impl}") in times}
    for ours in ("ours", "ours-adaptive"):
        r = _median_ratio(times, t("tol:captum-docs"), t(f"tol:{ours}"))
        if r is None:
            verdicts.append((f"PyTorch, time to 1%: {ours} or Captum not within 1%", False))
            continue
        fastest = min(captum, key=lambda impl: statistics.median(times[captum[impl]]))
        best = _median_ratio(times, captum[fastest], t(f"tol:{ours}"))
        verdicts.append(
            (
                f"PyTorch, time to 1%, {ours} ({SETTINGS[ours]}): Captum as documented takes "
                f"{r:.2f}x its time (its fastest configuration, {fastest}: {best:.2f}x; "
                f"goal >= {CAPTUM_TIME_GOAL})",
                r >= CAPTUM_TIME_GOAL,
            )
        )
    return verdicts


# ---- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--repeats", type=int, help="interleaved rounds (default 7, quick 2)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="trained networks")
    parser.add_argument("--no-captum", action="store_true", help="skip the Captum comparison")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--json", type=Path, help="also write every number measured here")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--probe", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--train", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker or args.train or args.memory_worker:  # a backend process (KERAS_BACKEND set)
        if args.worker:
            os.environ["KERAS_BACKEND"] = args.worker
        import _backend_worker

        if args.worker:
            _backend_worker.serve(args.model, args.probe, str(args.cache))
        elif args.train:
            print(PREFIX + json.dumps(train(args.cache, args.quick)), flush=True)
        else:
            out = _backend_worker.memory_worker(json.loads(args.memory_worker))
            print(PREFIX + json.dumps(out), flush=True)
        return 0

    config = QUICK if args.quick else FULL
    if args.repeats:
        config = dataclasses.replace(config, repeats=args.repeats)
    begin = time.perf_counter()
    backends = [b for b in BACKENDS if b in args.backends and installed(b)]
    missing = [b for b in args.backends if b not in backends]
    say(f"# tb_attrib on every backend{' (--quick)' if config.quick else ''}\n")
    say(f"load average {os.getloadavg()[0]:.1f} at start; {os.cpu_count()} cores")
    if missing:
        say(f"not installed here (skipped): {', '.join(missing)}")
    if not backends:
        say("no backend to measure")
        return 1
    args.cache.mkdir(parents=True, exist_ok=True)
    trainer = next(b for b in TRAINERS if b in backends)
    model = _subprocess(
        trainer, "--train", "--cache", str(args.cache), *(["--quick"] * config.quick)
    )
    say(
        f"network: {model['path']}"
        + (
            f" (trained on {model['trained_on']} in {model['seconds']:.0f} s)"
            if model["trained_on"]
            else ""
        )
    )

    remotes = {b: Remote(b, model["path"], config, args.cache) for b in backends}
    facts: dict[str, dict] = {}
    accuracy = None
    try:
        for remote in remotes.values():
            remote.receive()  # ready: imports and loading ran in parallel
        captum = not args.no_captum
        for remote in remotes.values():
            remote.send("setup", steps=list(config.steps), captum=captum)
        for b, remote in remotes.items():
            facts[b] = remote.receive()
            d = facts[b]["describe"]
            say(
                f"- {LABELS[b]}: {d['framework']}, Keras {d['keras']}, "
                f"{', '.join(d['devices']) or 'CPU'}; probe accuracy "
                f"{facts[b]['probe_accuracy']:.2f}"
                + (f"; Captum {facts[b]['captum']}" if "captum" in facts[b] else "")
                + (f"; {facts[b]['captum_error']}" if "captum_error" in facts[b] else "")
            )
        tasks = {b: list(facts[b]["tasks"]) for b in backends}
        if "torch" in remotes and "captum" in facts["torch"]:
            start = time.perf_counter()
            accuracy = remotes["torch"].call(
                "accuracy",
                reference_steps=config.reference_steps,
                evals=list(config.steps),
                ladder=list(config.ladder),
            )
            tasks["torch"] += accuracy["tasks"]
            say(
                f"Captum accuracy: reference and evaluations to 1% in "
                f"{time.perf_counter() - start:.0f} s: "
                + ", ".join(f"{rule} {n}" for rule, n in accuracy["needed"].items())
            )
        count = sum(len(t) for t in tasks.values())
        say(f"timing: {config.repeats} rounds of {count} calls")
        times = time_rounds(remotes, tasks, config.repeats)
        for b, remote in remotes.items():
            facts[b]["traces"] = remote.call("traces")
    finally:
        for remote in remotes.values():
            remote.close()

    memory = {}
    if not args.no_memory:
        specs = [(b, impl) for b in backends for impl in ("ours", "limit")]
        if accuracy is not None:
            specs += [("torch", impl) for impl in CAPTUM_MEMORY]
        if config.quick:
            specs = [(b, "ours") for b in backends]
        memory = run_memory(specs, model["path"], config)

    verdicts = report(facts, times, memory, accuracy, config)
    say("\n### Goals\n")
    for text, met in verdicts:
        say(f"- {text}: {'met' if met else 'MISSED'}")
    total = time.perf_counter() - begin
    say(f"\nTotal {total:.0f} s; load average {os.getloadavg()[0]:.1f} at the end.")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "model": model,
                    "facts": facts,
                    "times": {f"{b}:{t}": v for (b, t), v in times.items()},
                    "memory": {f"{b}:{i}": v for (b, i), v in memory.items()},
                    "accuracy": accuracy,
                    "verdicts": verdicts,
                    "seconds": total,
                },
                indent=1,
                default=float,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
