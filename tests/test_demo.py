"""What the real demo writes: completeness at default settings, every series, the byte budget;
and the same for each of its non-image tasks (``--task series|tabular|text``)."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, series_records, tb_provider
from tensorboard import context

from tb_attrib.engine import DEFAULT_METHOD
from tb_attrib.engine.completeness import SMALL_CHANGE_FRACTION
from tb_attrib.summary import codec, metadata


def _digests(logdir, tag):
    return series_records(logdir, tag, digests_only=True)


def test_demo_completeness_within_one_percent_at_default_settings(demo_logdir):
    digests = _digests(demo_logdir, metadata.TAG_INTEGRATED_GRADIENTS)
    assert sorted(digests) == [0, 1, 2]
    for digest in digests.values():
        assert digest.fields["method"] == DEFAULT_METHOD
        change = np.abs(digest.arrays["score_input"] - digest.arrays["score_baseline"])
        significant = (
            change > SMALL_CHANGE_FRACTION * change.max()
        )  # "not tiny", as steps="auto" judges it
        delta = np.abs(digest.arrays["delta"])
        assert np.all(delta[significant] <= 0.01 * change[significant]), (delta, change)


def test_demo_writes_every_series_for_every_epoch(demo_logdir):
    provider = tb_provider(demo_logdir)
    ctx = context.RequestContext()
    ours = provider.list_blob_sequences(ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME)
    tags = ours["probe"]
    assert {
        metadata.TAG_PROBE,
        metadata.TAG_INTERIOR_GRADIENTS,
        metadata.TAG_INTEGRATED_GRADIENTS,
    } <= set(tags)
    layers = {
        t[len(metadata.TAG_FEATURE_MAPS_PREFIX) :]
        for t in tags
        if t.startswith(metadata.TAG_FEATURE_MAPS_PREFIX)
    }
    assert {"conv1", "conv2", "conv3"} <= layers
    sweep = _digests(demo_logdir, metadata.TAG_INTERIOR_GRADIENTS)
    assert sweep[2].fields["alphas"] == [0.01, 0.02, 0.03, 0.04, 0.1, 0.5, 0.6, 0.7, 0.8, 1.0]
    assert sweep[2].arrays["predictions"].shape == (8, 10, 4)
    probe = _digests(demo_logdir, metadata.TAG_PROBE)[0]
    assert probe.fields["class_names"] == ["circle", "square", "triangle", "star"]
    assert sorted(set(probe.arrays["labels"].tolist())) == [0, 1, 2, 3]
    runs = set(provider.list_runs(ctx, experiment_id=""))
    assert {"train", "validation", "probe", "weights"} <= {r.run_name for r in runs}


def test_attribution_maps_stay_within_the_byte_budget(demo_logdir):
    """About 1.2 bytes per pixel per stored map for the sweep and IG series together."""
    provider = tb_provider(demo_logdir)
    ctx = context.RequestContext()
    series = provider.read_blob_sequences(
        ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME, downsample=10**6
    )["probe"]
    stored = pixels = 0
    for tag in (metadata.TAG_INTERIOR_GRADIENTS, metadata.TAG_INTEGRATED_GRADIENTS):
        for datum in series[tag]:
            blobs = [provider.read_blob(ctx, blob_key=r.blob_key) for r in datum.values]
            stored += sum(len(b) for b in blobs)
            for blob in blobs[1:]:
                record = codec.decode_record(blob)
                maps = record.arrays.get("maps", record.arrays.get("map"))
                pixels += maps.size
    assert pixels > 0
    assert stored / pixels <= 1.2, stored / pixels


# ---- the non-image tasks -----------------------------------------------------------------

# Short runs that still learn (a few seconds each): task -> (arguments, epochs, classes).
TASK_RUNS = {
    "series": (("--epochs", "4", "--train-size", "2000"), 4, 4),
    "tabular": (("--epochs", "5", "--train-size", "4000"), 5, 4),
    "text": (("--epochs", "3", "--train-size", "1000"), 3, 2),
}
# What the probe's input description says: its modality and the names the demo passes.
TASK_INPUT = {
    "series": {"modality": "sequence", "channel_names": ["x", "y", "z"]},
    "tabular": {"modality": "tabular"},
    "text": {"modality": "tokens", "has_vocabulary": True, "padding_id": 0},
}


@pytest.fixture(scope="module", params=sorted(TASK_RUNS))
def task_run(request, tmp_path_factory):
    """``(task, logdir, stdout)`` of ``demo_train.py --task <task>`` run as a user would."""
    task = request.param
    logdir = tmp_path_factory.mktemp(f"demo_{task}") / "logs"
    script = (sys.executable, str(ROOT / "demo_train.py"))
    result = subprocess.run(
        [*script, "--task", task, "--logdir", str(logdir), *TASK_RUNS[task][0]],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return task, logdir, result.stdout


def _steps(provider, ctx, plugin_name):
    """``{(run, tag): [steps]}`` of every scalar (or histogram) series in the log."""
    read = provider.read_scalars if plugin_name == "scalars" else provider.read_tensors
    data = read(ctx, experiment_id="", plugin_name=plugin_name, downsample=10**6)
    return {
        (run, tag): [d.step for d in points]
        for run, tags in data.items()
        for tag, points in tags.items()
    }


def _scalar(logdir, tag):
    """The values of scalar ``tag`` of the ``probe`` run, by epoch."""
    data = tb_provider(logdir).read_scalars(
        context.RequestContext(), experiment_id="", plugin_name="scalars", downsample=10**6
    )
    return [point.value for point in data["probe"][tag]]


def test_task_writes_every_series_for_every_epoch(task_run):
    task, logdir, _ = task_run
    epochs = list(range(TASK_RUNS[task][1]))
    provider = tb_provider(logdir)
    ctx = context.RequestContext()
    ours = provider.read_blob_sequences(
        ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME, downsample=10**6
    )["probe"]
    assert [d.step for d in ours[metadata.TAG_PROBE]] == [0]
    for tag in (metadata.TAG_INTERIOR_GRADIENTS, metadata.TAG_INTEGRATED_GRADIENTS):
        assert [d.step for d in ours[tag]] == epochs, tag
    probe = _digests(logdir, metadata.TAG_PROBE)[0]
    (described,) = probe.fields["inputs"]
    assert TASK_INPUT[task].items() <= described.items(), described
    if task == "tabular":
        assert described["feature_names"][:2] == ["age", "income"]

    scalars = _steps(provider, ctx, "scalars")
    histograms = _steps(provider, ctx, "histograms")
    for (run, tag), steps in {**scalars, **histograms}.items():
        if tag.endswith("_vs_iterations"):  # Keras's own, keyed by training step
            continue
        if tag.startswith(("stability/", "sanity/")):  # from the 2nd epoch; every 5th
            assert set(steps) <= set(epochs) and steps, (run, tag, steps)
            continue
        assert steps == epochs, (run, tag, steps)
    scalar_tags = {tag for run, tag in scalars if run == "probe"}
    assert {
        "attributions/completeness_delta_mean",
        "attributions/completeness_delta_max",
        "attributions/ig_evaluations",
        "attributions/localization",
        "interior_gradients/accuracy/alpha_1",
        "interior_gradients/mean_abs_gradient/alpha_1",
        "activations/probabilities/mean",
    } <= scalar_tags
    assert ("probe", "activations/probabilities") in histograms
    assert any(run == "weights" for run, _ in histograms)
    assert {("train", "epoch_loss"), ("validation", "epoch_accuracy")} <= set(scalars)


def test_task_completeness_within_one_percent_at_default_settings(task_run):
    task, logdir, _ = task_run
    digests = _digests(logdir, metadata.TAG_INTEGRATED_GRADIENTS)
    assert sorted(digests) == list(range(TASK_RUNS[task][1]))
    for step, digest in digests.items():
        assert digest.fields["method"] == DEFAULT_METHOD
        change = np.abs(digest.arrays["score_input"] - digest.arrays["score_baseline"])
        significant = (
            change > SMALL_CHANGE_FRACTION * change.max()
        )  # "not tiny", as steps="auto" judges it
        delta = np.abs(digest.arrays["delta"])
        relative = digest.arrays["relative_delta"]
        # 1e-6: float32 rounding of numbers the engine held within 1% in float64.
        assert np.all(delta[significant] <= 0.01 * change[significant] + 1e-6), (step, delta)
        assert np.all(relative[significant] <= 0.01 + 1e-6), (step, relative)


def test_task_learns_and_looks_at_the_ground_truth(task_run):
    task, logdir, stdout = task_run
    classes = TASK_RUNS[task][2]
    chance = 1 / classes
    printed = float(re.search(r"probe accuracy ([0-9.]+)", stdout).group(1))
    assert printed > chance + 0.25, stdout[-500:]
    # The same number from the records: the sweep's last alpha is the probe itself.
    assert _scalar(logdir, "interior_gradients/accuracy/alpha_1")[-1] == pytest.approx(
        printed, abs=0.01
    )

    # Attributions spread at random would put about the masks' share of positions inside
    # them; the trained network puts far more there.
    provider = tb_provider(logdir)
    ctx = context.RequestContext()
    datum = provider.read_blob_sequences(
        ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME, downsample=10**6
    )["probe"][metadata.TAG_PROBE][0]
    records = [
        codec.decode_record(provider.read_blob(ctx, blob_key=v.blob_key)) for v in datum.values[1:]
    ]
    shares = []
    for record in records:
        mask = record.arrays["mask"].astype(bool)
        assert mask.any()  # every example carries its ground truth
        present = record.arrays["ids"] != 0 if "ids" in record.arrays else np.ones_like(mask)
        shares.append(mask.sum() / present.sum())
    localization = _scalar(logdir, "attributions/localization")
    assert len(localization) == TASK_RUNS[task][1]
    assert localization[-1] > 2 * np.mean(shares), (localization, np.mean(shares))
