"""The callbacks under ``tf.distribute``: one writer, no duplicated rows, the same series.

Each test runs ``tests/scripts/distributed_run.py`` in subprocesses: logical devices and
``TF_CONFIG`` must be set before TensorFlow initialises, which the pytest process (shared with
every other test) has long done. Every subprocess is bounded in time and killed by its PID.

"The same series" is checked on the event files themselves: every run, tag and step a
distributed run writes, a single-device run with the same weights and probe writes too, with
equal values (float arrays within 1e-5 relative, quantised map codes within one level, whose
per-map scales are float arrays too).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tb_attrib.summary import codec, metadata

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "scripts" / "distributed_run.py"
PROBE_SIZE = 4  # as in the script
EPOCHS = 3
RUNS = ("probe", "weights")
TIMEOUT = 300.0  # seconds for one subprocess (TensorFlow start-up on a loaded 2-core machine)
RTOL = 1e-5
ATOL = 1e-6  # for values that are differences of O(1) scores (completeness deltas)

Series = dict[str, dict[str, list[tuple[int, object]]]]  # run -> tag -> [(step, value)]


# ---- running the script ------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    """The subprocess environment: quiet TensorFlow, no proxy for gRPC on 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(TF_CPP_MIN_LOG_LEVEL="2", NO_PROXY="127.0.0.1,localhost", **extra)
    return env


def _start(args: list[str], log: Path, **env: str) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, str(SCRIPT), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env=_env(**env),
        )


def _finish(processes: list[subprocess.Popen], logs: list[Path], timeout: float) -> None:
    """Waits for every process until a shared deadline; kills (by PID) whatever still runs.

    Raises AssertionError with the tail of each failed process's log.
    """
    deadline = time.monotonic() + timeout
    try:
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    failed = [
        f"{log.name} (exit {p.returncode}):\n{_tail(log)}"
        for p, log in zip(processes, logs, strict=True)
        if p.returncode != 0
    ]
    assert not failed, "\n\n".join(failed)


def _tail(log: Path, lines: int = 40) -> str:
    kept = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def run_script(tmp: Path, name: str, *args: str) -> None:
    """Runs the script once to completion (bounded), asserting success."""
    log = tmp / f"{name}.log"
    _finish([_start(list(args), log)], [log], TIMEOUT)


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports on 127.0.0.1 that were free a moment ago."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


# ---- reading event files -----------------------------------------------------------------


def read_series(logdir: Path) -> Series:
    """Every summary of every run under ``logdir``, in file order, one entry per write.

    Blob sequences (tb_attrib series) are lists of element bytes; other tensors (scalars,
    histograms) NumPy arrays.
    """
    from tensorboard.backend.event_processing import event_file_loader
    from tensorboard.util import tensor_util

    series: Series = {}
    for path in sorted(logdir.rglob("*tfevents*")):
        run = path.parent.relative_to(logdir).as_posix()
        for event in event_file_loader.LegacyEventFileLoader(str(path)).Load():
            for value in event.summary.value:
                tensor = value.tensor
                if tensor.string_val:
                    data: object = list(tensor.string_val)
                else:
                    data = tensor_util.make_ndarray(tensor)
                series.setdefault(run, {}).setdefault(value.tag, []).append((event.step, data))
    return series


def event_files(logdir: Path) -> list[Path]:
    return sorted(p for p in logdir.rglob("*") if p.is_file())


def writer_pid(path: Path) -> int:
    """The writing process's PID, from ``events.out.tfevents.<time>.<host>.<pid>.<n>.v2``."""
    match = re.fullmatch(r"events\.out\.tfevents\.\d+\..+\.(\d+)\.\d+\.v2", path.name)
    assert match, f"unexpected file in the log directory: {path}"
    return int(match.group(1))


# ---- checks ------------------------------------------------------------------------------


def assert_one_writer_per_run(logdir: Path) -> None:
    """Exactly the runs ``probe`` and ``weights``, each with one event file and nothing else."""
    files = event_files(logdir)
    runs = sorted(p.parent.relative_to(logdir).as_posix() for p in files)
    assert runs == sorted(RUNS), f"expected one event file per run, found {files}"


SOME_EPOCHS = ("stability/", "sanity/")
"""Scalars of some epochs only: stability from the second written epoch (it compares with the
previous one), the sanity check at every 5th."""


def assert_no_duplicates(series: Series) -> None:
    """Each tag has each step once, and tb_attrib series hold one row per probe example."""
    for run, tags in series.items():
        for tag, writes in tags.items():
            steps = [step for step, _ in writes]
            assert len(steps) == len(set(steps)), f"{run}/{tag} wrote a step twice: {steps}"
            if tag.startswith("tb_attrib/"):
                for step, elements in writes:
                    assert len(elements) == 1 + PROBE_SIZE, (run, tag, step, len(elements))
                    digest = codec.decode_record(elements[0])
                    assert digest.fields["num_examples"] == PROBE_SIZE
                    for name, array in digest.arrays.items():
                        if name not in ("channels",):
                            assert array.shape[0] == PROBE_SIZE, (tag, name, array.shape)
            elif tag.startswith(SOME_EPOCHS):
                assert set(steps) <= set(range(EPOCHS)), (run, tag, steps)
            else:
                assert sorted(steps) == list(range(EPOCHS)), (run, tag, steps)


def assert_records_equal(got: bytes, want: bytes, where: str) -> None:
    """Two tb_attrib records hold the same fields and the same arrays (see module doc)."""
    a, b = codec.decode_record(got), codec.decode_record(want)
    assert a.fields == b.fields, where
    assert a.arrays.keys() == b.arrays.keys(), where
    for name, x in a.arrays.items():
        y = b.arrays[name]
        assert x.shape == y.shape and x.dtype == y.dtype, (where, name)
        if x.dtype == np.int8:  # quantised maps: one level of rounding at most
            diff = np.abs(x.astype(np.int32) - y.astype(np.int32))
            assert diff.max(initial=0) <= 1, (where, name)
        elif x.dtype == np.float32:
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=ATOL, err_msg=f"{where} {name}")
        else:
            np.testing.assert_array_equal(x, y, err_msg=f"{where} {name}")


def assert_same_series(got: Series, want: Series) -> None:
    """Same runs, tags and steps, with equal values (see the module doc)."""
    assert got.keys() == want.keys()
    for run in want:
        assert got[run].keys() == want[run].keys(), run
        for tag, writes in want[run].items():
            if tag.startswith("overhead/"):  # timings, different in every run
                continue
            mine = dict(got[run][tag])
            assert sorted(mine) == sorted(dict(writes)), (run, tag)
            for step, value in writes:
                where = f"{run}/{tag} step {step}"
                if isinstance(value, list):
                    assert len(mine[step]) == len(value), where
                    for i, (x, y) in enumerate(zip(mine[step], value, strict=True)):
                        assert_records_equal(x, y, f"{where} element {i}")
                else:
                    np.testing.assert_allclose(
                        mine[step], value, rtol=RTOL, atol=ATOL, err_msg=where
                    )


def assert_all_series_present(series: Series) -> None:
    """Every callback wrote: weight histograms, activations, feature maps, sweep and IG."""
    probe, weights = series["probe"], series["weights"]
    assert {"conv/kernel", "conv/bias", "out/kernel", "out/bias"} <= weights.keys()
    for tag in (
        metadata.TAG_PROBE,
        metadata.TAG_INTERIOR_GRADIENTS,
        metadata.TAG_INTEGRATED_GRADIENTS,
        metadata.TAG_FEATURE_MAPS_PREFIX + "conv",
        "activations/conv",
        "activations/out/mean",
        "attributions/completeness_delta_max",
    ):
        assert tag in probe, (tag, sorted(probe))


# ---- tests -------------------------------------------------------------------------------


@pytest.mark.slow
def test_mirrored_strategy_writes_once_what_one_device_writes(tmp_path: Path) -> None:
    """Two replicas (two logical CPUs): one writer, one row per probe example, and the same
    series as a single-device run with the same weights and probe."""
    run_script(tmp_path, "mirrored", "mirrored", "--out", str(tmp_path))
    report = json.loads((tmp_path / "mirrored_report.json").read_text())
    assert report["replicas"] == 2
    assert report["ig_max_abs"] > 0
    assert report["ig_max_relative_difference"] <= RTOL

    mirrored = read_series(tmp_path / "mirrored")
    assert_one_writer_per_run(tmp_path / "mirrored")
    assert_all_series_present(mirrored)
    assert_no_duplicates(mirrored)
    assert_same_series(mirrored, read_series(tmp_path / "single"))


@pytest.mark.slow
def test_multi_worker_only_the_chief_writes(tmp_path: Path) -> None:
    """Two worker processes on 127.0.0.1: only the chief (worker 0) creates files in the
    shared log directory, and its series equal a single-process run's on the same weights."""
    logdir = tmp_path / "logs"
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    processes, logs = [], []
    try:
        for index in range(2):
            tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            logs.append(tmp_path / f"worker{index}.log")
            args = ["worker", "--logdir", str(logdir), "--weights", str(tmp_path / "w.npz")]
            args += ["--report", str(tmp_path / f"worker{index}.json")]
            processes.append(_start(args, logs[-1], TF_CONFIG=tf_config))
    finally:  # started or not, every process is waited for (bounded) and killed if needed
        _finish(processes, logs, TIMEOUT)

    reports = [json.loads((tmp_path / f"worker{i}.json").read_text()) for i in range(2)]
    assert [r["is_chief"] for r in reports] == [True, False]
    assert all(r["replicas"] == 2 for r in reports)
    assert {writer_pid(p) for p in event_files(logdir)} == {reports[0]["pid"]}
    assert_one_writer_per_run(logdir)

    chief = read_series(logdir)
    assert_all_series_present(chief)
    assert_no_duplicates(chief)
    run_script(
        tmp_path,
        "replay",
        "replay",
        "--logdir",
        str(tmp_path / "single"),
        "--weights",
        str(tmp_path / "w.npz"),
    )
    assert_same_series(chief, read_series(tmp_path / "single"))
