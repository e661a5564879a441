"""What the real demo writes: completeness at default settings, every series, the byte budget."""

from __future__ import annotations

import numpy as np
from conftest import tb_provider
from tensorboard import context

from tb_attrib.engine import DEFAULT_METHOD
from tb_attrib.summary import codec, metadata


def _digests(logdir, tag):
    provider = tb_provider(logdir)
    ctx = context.RequestContext()
    series = provider.read_blob_sequences(
        ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME, downsample=10**6
    )["probe"][tag]
    return {
        d.step: codec.decode_record(provider.read_blob(ctx, blob_key=d.values[0].blob_key))
        for d in series
    }


def test_demo_completeness_within_one_percent_at_default_settings(demo_logdir):
    digests = _digests(demo_logdir, metadata.TAG_INTEGRATED_GRADIENTS)
    assert sorted(digests) == [0, 1, 2]
    for digest in digests.values():
        assert digest.fields["method"] == DEFAULT_METHOD
        change = np.abs(digest.arrays["score_input"] - digest.arrays["score_baseline"])
        significant = change > 0.02 * change.max()  # "not tiny", as steps="auto" judges it
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
