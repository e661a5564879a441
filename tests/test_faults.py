"""Training that dies, restarts, or runs long: nothing written is lost or shown twice.

Real processes throughout: ``tests/scripts/fault_run.py`` trains a tiny CNN with the
tb_attrib callbacks in a subprocess (SIGKILLed by its PID in the middle of an epoch, or
restarted from a checkpoint with ``initial_epoch``), and the real ``tensorboard`` CLI serves
the log directory (``tb_process.tensorboard_process``). What the plugin serves is compared
byte for byte with the event files (``plugin_logs.written_records``: the newest write of each
step). Every process is bounded in time and stopped by its PID.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import plugin_logs as logs
import pytest
from tb_process import http_get, tensorboard_process, wait_until

import tb_attrib
from tb_attrib.summary import codec, metadata

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "scripts" / "fault_run.py"
API = "/data/plugin/tb_attrib"
SWEEP = metadata.TAG_INTERIOR_GRADIENTS
IG = metadata.TAG_INTEGRATED_GRADIENTS
RUN = "probe"
LAYER = "conv"
PROBE_SIZE = 4  # the script's default
TIMEOUT = 300.0  # one training subprocess, TensorFlow start-up on a loaded 2-core machine
CRASH_EPOCH = 4  # killed after the second batch of this epoch: epochs 0-3 are complete
CHECKPOINT_EVERY = 3  # last checkpoint before the crash: after epoch 2
RESTART_EPOCH = 3  # resumed from it, so epoch 3 is written a second time
RESTART_EPOCHS = 6
LONG_EPOCHS = 500
LONG_IMAGE = 32
BYTES_PER_PIXEL_BUDGET = 1.25
"""docs/format.md: the 1.2 budget holds at the default probe of 16 examples (tests/test_demo.py);
this run's 4 examples carry each epoch's digests and scalars over a quarter of the maps, and
each IG record's checks of the map (about 400 bytes, issue 14) over one 32x32 map: 1.203
measured, against 1.149 before those checks."""


# ---- processes ---------------------------------------------------------------------------


@contextlib.contextmanager
def training(log: Path, *args: str) -> Iterator[subprocess.Popen]:
    """Starts the training script; on exit kills it by PID if it still runs."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def train(log: Path, *args: str) -> None:
    """Runs the training script to completion, bounded by TIMEOUT, asserting success."""
    with training(log, *args) as process:
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"training did not finish in {TIMEOUT:.0f}s:\n{_tail(log)}")
        assert process.returncode == 0, _tail(log)


def _tail(log: Path, lines: int = 40) -> str:
    kept = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


# ---- event files -------------------------------------------------------------------------


def writer_pid(path: Path) -> int:
    """The PID in ``events.out.tfevents.<time>.<host>.<pid>.<n>.v2``."""
    match = re.fullmatch(r"events\.out\.tfevents\.\d+\..+\.(\d+)\.\d+\.v2", path.name)
    assert match, path
    return int(match.group(1))


def records_of_process(run_dir: Path, pid: int) -> dict[str, dict[int, list[bytes]]]:
    """``written_records`` of the event files one process wrote (copied aside to read)."""
    with tempfile.TemporaryDirectory(prefix="tb_attrib_faults_") as aside:
        for path in run_dir.glob("*tfevents*"):
            if writer_pid(path) == pid:
                shutil.copy(path, Path(aside) / path.name)
        return logs.written_records(aside)


# ---- what the plugin serves --------------------------------------------------------------


def _get(base_url: str, route: str, **params: object) -> bytes:
    query = urllib.parse.urlencode(params)
    response = http_get(f"{base_url}{API}/{route}?{query}")
    assert response.status == 200, (route, params, response.status, response.body[:300])
    return response.body


def served_epochs(base_url: str, run: str) -> list[int]:
    runs = http_get(f"{base_url}{API}/runs").json()["runs"]
    return next((r["epochs"] for r in runs if r["run"] == run), [])


def wait_for_epochs(base_url: str, run: str, epochs: list[int]) -> None:
    """Until the plugin lists exactly ``epochs`` for ``run`` (TensorBoard loads in the
    background)."""
    wait_until(
        lambda: served_epochs(base_url, run) == epochs,
        timeout=180,
        what=f"run {run!r} to list epochs {epochs[0]}..{epochs[-1]}",
    )


def assert_served_as_written(
    base_url: str,
    run_dir: Path,
    epochs: list[int],
    *,
    examples: range = range(PROBE_SIZE),
    layer: str | None = LAYER,
) -> None:
    """Every listed epoch of the gallery, of each example and of the feature maps comes back
    byte for byte as its newest write in the event files, each epoch once."""
    written = logs.written_records(run_dir)
    sweep, ig = written[SWEEP], written[IG]
    assert sorted(sweep) == sorted(ig) == epochs

    def check(bundle: bytes, per_epoch: list) -> None:
        index, *records = codec.decode_bundle(bundle)
        assert codec.decode_record(index).fields["epochs"] == epochs
        assert records == [element for e in epochs for element in per_epoch(e)]

    check(_get(base_url, "gallery", run=RUN), lambda e: [sweep[e][0], ig[e][0]])
    for i in examples:
        check(
            _get(base_url, "example", run=RUN, index=i),
            lambda e, i=i: [sweep[e][1 + i], ig[e][1 + i]],
        )
    if layer is not None:
        maps = written[metadata.TAG_FEATURE_MAPS_PREFIX + layer]
        check(_get(base_url, "feature_maps", run=RUN, layer=layer, index=0), lambda e: [maps[e][1]])


def core_steps(base_url: str, plugin: str, run: str, tag: str) -> list[int]:
    """Steps of a scalar or histogram series through TensorBoard's own routes."""
    query = urllib.parse.urlencode({"run": run, "tag": tag})
    response = http_get(f"{base_url}/data/plugin/{plugin}/{plugin}?{query}")
    assert response.status == 200, (plugin, tag, response.body[:300])
    rows = response.json()
    return [row["step"] if isinstance(row, dict) else row[1] for row in rows]


# ---- the crash ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | int]:
    """A log directory and checkpoints left by a training process SIGKILLed mid-epoch."""
    root = tmp_path_factory.mktemp("crash")
    logdir, checkpoints, ready = root / "logs", root / "checkpoints", root / "ready"
    args = ["--logdir", str(logdir), "--epochs", "50", "--hang-at", str(CRASH_EPOCH)]
    args += ["--ready", str(ready), "--checkpoint-dir", str(checkpoints)]
    args += ["--checkpoint-every", str(CHECKPOINT_EVERY)]
    with training(root / "crash.log", *args) as process:
        wait_until(
            lambda: ready.exists() or process.poll() is not None,
            timeout=TIMEOUT,
            what="training to reach the middle of the crash epoch",
        )
        assert process.poll() is None, _tail(root / "crash.log")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return {"root": root, "logdir": logdir, "checkpoints": checkpoints, "pid": process.pid}


def test_sigkill_mid_epoch_keeps_every_completed_epoch(crashed: dict) -> None:
    """Killed in the middle of epoch 4: epochs 0-3 of every series are served, exactly as
    written, by the real ``tensorboard`` CLI (the default loading path, the Rust data server),
    through the plugin's routes and TensorBoard's own Scalars and Histograms routes."""
    logdir = crashed["logdir"]
    completed = list(range(CRASH_EPOCH))
    with tensorboard_process(logdir) as url:
        wait_for_epochs(url, RUN, completed)
        assert_served_as_written(url, logdir / RUN, completed)
        probe = codec.decode_bundle(_get(url, "probe", run=RUN))
        assert len(probe) == 1 + PROBE_SIZE
        for plugin, run, tag in (
            ("scalars", RUN, "attributions/completeness_delta_mean"),
            ("histograms", RUN, "activations/conv"),
            ("histograms", "weights", "conv/kernel"),
        ):
            assert core_steps(url, plugin, run, tag) == completed, (plugin, tag)


# ---- the restart -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def restarted(crashed: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A copy of the crashed log directory, continued from the checkpoint of epoch 2 with
    ``initial_epoch=3`` (and another shuffling seed, so that epoch 3 gets other values)."""
    root = tmp_path_factory.mktemp("restart")
    logdir = root / "logs"
    shutil.copytree(crashed["logdir"], logdir)  # the crash fixture stays as it was
    checkpoint = crashed["checkpoints"] / f"epoch_{RESTART_EPOCH - 1}.weights.h5"
    args = ["--logdir", str(logdir), "--epochs", str(RESTART_EPOCHS), "--seed", "1"]
    args += ["--initial-epoch", str(RESTART_EPOCH), "--resume-from", str(checkpoint)]
    train(root / "restart.log", *args)

    run_dir = logdir / RUN
    pids = {writer_pid(p) for p in run_dir.glob("*tfevents*")}
    assert len(pids) == 2 and crashed["pid"] in pids
    (restart_pid,) = pids - {crashed["pid"]}
    old = records_of_process(run_dir, crashed["pid"])
    new = records_of_process(run_dir, restart_pid)
    for tag in (SWEEP, IG):
        assert sorted(old[tag]) == list(range(CRASH_EPOCH))
        assert sorted(new[tag]) == list(range(RESTART_EPOCH, RESTART_EPOCHS))
        assert old[tag][RESTART_EPOCH] != new[tag][RESTART_EPOCH]  # the test tells them apart
    return {"logdir": logdir, "old": old, "new": new}


def test_restart_continues_and_plugin_shows_newest_write_once(restarted: dict) -> None:
    """After the restart the plugin (real CLI, default loading path) lists epochs 0-5, each
    once, and serves the restarted process's write of epoch 3, not the crashed one's."""
    logdir, new = restarted["logdir"], restarted["new"]
    newest = logs.written_records(logdir / RUN)
    for tag in (SWEEP, IG, metadata.TAG_FEATURE_MAPS_PREFIX + LAYER):
        assert newest[tag][RESTART_EPOCH] == new[tag][RESTART_EPOCH]
    epochs = list(range(RESTART_EPOCHS))
    with tensorboard_process(logdir) as url:
        wait_for_epochs(url, RUN, epochs)
        assert_served_as_written(url, logdir / RUN, epochs)
        served = codec.decode_bundle(_get(url, "example", run=RUN, index=0, epoch=RESTART_EPOCH))
        assert served[1:] == [new[SWEEP][RESTART_EPOCH][1], new[IG][RESTART_EPOCH][1]]


def test_restart_tb_attrib_load_shows_newest_write_once(restarted: dict) -> None:
    """``tb_attrib.load`` lists epochs 0-5 once each, with the restart's values at epoch 3."""
    new = restarted["new"]
    run = tb_attrib.load(restarted["logdir"])[RUN]
    epochs = list(range(RESTART_EPOCHS))
    np.testing.assert_array_equal(run.epochs, epochs)
    assert run.feature_maps[LAYER].epochs.tolist() == epochs
    at = epochs.index(RESTART_EPOCH)
    sweep_digest = codec.decode_record(new[SWEEP][RESTART_EPOCH][0])
    ig_digest = codec.decode_record(new[IG][RESTART_EPOCH][0])
    np.testing.assert_array_equal(run.predictions[at], sweep_digest.arrays["predictions"])
    np.testing.assert_array_equal(run.ig_delta[at], ig_digest.arrays["delta"])
    for i in range(PROBE_SIZE):
        sweep = codec.decode_record(new[SWEEP][RESTART_EPOCH][1 + i])
        expected = codec.dequantize_maps(sweep.arrays["maps"], sweep.arrays["scales"])
        np.testing.assert_array_equal(run.sweep_maps[at, i], expected)
        ig = codec.decode_record(new[IG][RESTART_EPOCH][1 + i])
        expected = codec.dequantize_maps(ig.arrays["map"], ig.arrays["scale"].reshape(()))
        np.testing.assert_array_equal(run.ig_maps[at, i], expected)


# ---- the long run ------------------------------------------------------------------------


def test_500_epochs_are_all_served_within_the_byte_budget(tmp_path: Path) -> None:
    """A 500-epoch run (tiny model, ``freq=1``, 4 probe examples of 32x32, the default
    10-alpha sweep) keeps every epoch in the plugin, and its event files stay within about
    1.25 bytes per pixel of every stored map (10 sweep maps and 1 IG map per example and
    epoch), headers, digests and the callback's scalars included."""
    logdir = tmp_path / "logs"
    args = ["--logdir", str(logdir), "--epochs", str(LONG_EPOCHS), "--image", str(LONG_IMAGE)]
    args += ["--train-size", "2", "--batch-size", "2", "--only-attributions"]
    train(tmp_path / "long.log", *args)

    run_dir = logdir / RUN
    written = logs.written_records(run_dir)
    sweep = written[SWEEP]
    alphas = len(codec.decode_record(sweep[0][0]).fields["alphas"])
    maps = LONG_EPOCHS * PROBE_SIZE * (alphas + 1)
    size = sum(p.stat().st_size for p in run_dir.iterdir())
    per_pixel = size / (maps * LONG_IMAGE * LONG_IMAGE)
    assert per_pixel <= BYTES_PER_PIXEL_BUDGET, f"{per_pixel:.3f} bytes per pixel per map"

    epochs = list(range(LONG_EPOCHS))
    with tensorboard_process(logdir) as url:
        wait_for_epochs(url, RUN, epochs)
        assert_served_as_written(url, run_dir, epochs, examples=range(0, PROBE_SIZE, 3), layer=None)
