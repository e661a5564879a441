"""The plugin on format-v2 logs: every modality, head, several inputs, predicted-class maps.

The ``runs`` answer describes each run's inputs (the probe digest's descriptors as
written), head, label values and format version; the binary routes pass every record
through byte for byte, whatever its modality. Checked on the ``*_impl`` methods and once
over HTTP; ``tests/test_plugin_cli.py`` covers the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import plugin_logs as logs
import pytest
from conftest import tb_provider
from tensorboard import context
from tensorboard.plugins import base_plugin
from werkzeug import test as werkzeug_test

from tb_attrib.plugin import attributions_plugin
from tb_attrib.summary import codec, metadata

CTX = context.RequestContext()
EXP = ""
EPOCHS, EXAMPLES = 3, 4

CASES = {
    "image": {"modality": "image", "feature_maps": True},
    "sequence": {"modality": "sequence"},
    "tabular": {"modality": "tabular"},
    "tokens": {"modality": "tokens"},
    "two": {"modality": ["image", "tabular"]},
    "regression": {"modality": "tabular", "head": "regression", "width": 2},
    "binary": {"modality": "image", "head": "binary"},
    "predicted": {"modality": ["tokens", "sequence"], "label_and_predicted": True},
    "fixed": {"modality": ["tabular", "image"], "fixed": [0]},
}


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("plugin_v2")
    written = {
        name: logs.write_modality_log(root / name, examples=EXAMPLES, epochs=EPOCHS, **options)
        for name, options in CASES.items()
    }
    return root, written


@pytest.fixture(scope="module")
def plugin(logdir) -> attributions_plugin.AttributionsPlugin:
    return attributions_plugin.AttributionsPlugin(
        base_plugin.TBContext(data_provider=tb_provider(logdir[0]), sampling_hints={})
    )


@pytest.fixture(scope="module")
def runs(plugin) -> dict[str, dict]:
    answer = plugin.runs_impl(CTX, EXP)
    assert json.loads(json.dumps(answer, allow_nan=False)) == answer  # plain JSON, no NaN
    return {run["run"]: run for run in answer["runs"]}


@pytest.fixture(scope="module")
def written(logdir) -> dict[str, dict[str, dict[int, list[bytes]]]]:
    return {name: logs.written_records(logdir[0] / name) for name in CASES}


def digest_fields(written: dict, run: str) -> dict:
    return codec.decode_record(written[run][logs.PROBE_TAG][0][0]).fields


def test_every_run_keeps_every_v1_key_and_adds_the_v2_ones(runs) -> None:
    v1_keys = {
        "run", "probe_tag", "num_examples", "input_shape", "image_shape", "class_names",
        "labels", "has_masks", "sweep_tag", "ig_tag", "alphas", "ig", "epochs", "feature_maps",
        "warnings",
    }  # fmt: skip
    assert set(runs) == set(CASES)
    for name, run in runs.items():
        v2_keys = {"inputs", "head", "label_values", "format_version", "methods", "probe_digest"}
        assert set(run) == v1_keys | v2_keys, name
        assert run["format_version"] == metadata.FORMAT_VERSION
        assert run["warnings"] == [] and run["epochs"] == list(range(EPOCHS))
        assert run["num_examples"] == EXAMPLES


@pytest.mark.parametrize("name", list(CASES))
def test_inputs_are_the_probe_digests_descriptors(runs, written, name: str) -> None:
    run, fields = runs[name], digest_fields(written, name)
    assert run["inputs"] == fields["inputs"]
    assert run["head"] == fields["head"]
    assert run["input_shape"] == fields["inputs"][0]["shape"]


def test_descriptors_by_modality(runs, logdir) -> None:
    truth = logdir[1]
    (image,) = runs["image"]["inputs"]
    assert image == {
        "name": "image",
        "modality": "image",
        "shape": [16, 16, 3],
        "attributed": True,
        "display_range": [0.0, 1.0],
    }
    (sequence,) = runs["sequence"]["inputs"]
    assert sequence["modality"] == "sequence" and sequence["shape"] == [64, 2]
    assert sequence["channel_names"] == ["x", "y"] and len(sequence["value_range"]) == 2
    (tabular,) = runs["tabular"]["inputs"]
    assert tabular["feature_names"] == list(truth["tabular"].specs[0].feature_names)
    assert set(logs.TRICKY_NAMES) <= set(tabular["feature_names"])  # as written, untouched
    (tokens,) = runs["tokens"]["inputs"]
    assert tokens == {
        "name": "ids",
        "modality": "tokens",
        "shape": [24],
        "attributed": True,
        "padding_id": 0,
        "has_vocabulary": True,
    }
    table, picture = runs["fixed"]["inputs"]
    assert table["attributed"] is False and picture["attributed"] is True


def test_image_shape_and_masks_describe_the_first_input(runs) -> None:
    assert runs["image"]["image_shape"] == [16, 16, 3] and runs["image"]["has_masks"] is True
    assert runs["two"]["image_shape"] == [16, 16, 3]
    for name in ("sequence", "tabular", "tokens", "fixed"):
        assert runs[name]["image_shape"] is None, name
        assert runs[name]["has_masks"] is True, name  # mask of input 0, whatever its modality


def test_heads_and_labels(runs, logdir) -> None:
    truth = logdir[1]
    assert runs["image"]["head"] == {
        "kind": "multiclass",
        "width": 3,
        "output_kind": "probabilities",
        "output": None,
    }
    assert runs["image"]["labels"] == [0, 1, 2, 0] and runs["image"]["label_values"] is None
    regression = runs["regression"]
    assert regression["head"]["kind"] == "regression" and regression["head"]["width"] == 2
    assert regression["labels"] is None
    assert regression["label_values"] == truth["regression"].label_values.tolist()  # exact f4
    binary = runs["binary"]
    assert binary["head"]["kind"] == "binary" and binary["labels"] == [0, 1, 0, 1]
    assert binary["class_names"] == ["negative", "positive"]


def test_non_finite_label_values_are_null(tmp_path: Path) -> None:
    import numpy as np
    import tensorflow as tf

    from tb_attrib.summary import summary_v2

    with tf.summary.create_file_writer(str(tmp_path / "r")).as_default(step=0):
        summary_v2.probe(
            "p",
            np.zeros((2, 3), np.float32),
            labels=np.array([[1.5], [np.nan]], np.float32),
            head={"kind": "regression", "width": 1, "output_kind": "logits", "output": None},
        )
    plugin = attributions_plugin.AttributionsPlugin(
        base_plugin.TBContext(data_provider=tb_provider(tmp_path), sampling_hints={})
    )
    (run,) = plugin.runs_impl(CTX, EXP)["runs"]
    assert run["label_values"] == [[1.5], [None]]
    assert run["inputs"][0]["modality"] == "tabular"


@pytest.mark.parametrize("name", list(CASES))
def test_binary_routes_pass_every_modality_through(plugin, written, name: str) -> None:
    records = written[name]
    sweep, ig = records[logs.SWEEP_TAG], records[logs.IG_TAG]
    assert plugin.probe_impl(CTX, EXP, name) == records[logs.PROBE_TAG][0]
    for index in range(EXAMPLES):
        bundle = plugin.example_impl(CTX, EXP, name, index)
        assert codec.decode_record(bundle[0]).fields == {"epochs": list(range(EPOCHS))}
        assert bundle[1::2] == [sweep[e][1 + index] for e in range(EPOCHS)]
        assert bundle[2::2] == [ig[e][1 + index] for e in range(EPOCHS)]
    one = plugin.example_impl(CTX, EXP, name, 1, epoch=2)
    assert one[1:] == [sweep[2][2], ig[2][2]]
    gallery = plugin.gallery_impl(CTX, EXP, name)
    assert gallery[1::2] == [sweep[e][0] for e in range(EPOCHS)]
    assert gallery[2::2] == [ig[e][0] for e in range(EPOCHS)]


def test_served_records_hold_every_inputs_maps(plugin) -> None:
    sweep, ig = (codec.decode_record(r) for r in plugin.example_impl(CTX, EXP, "two", 0, 0)[1:])
    assert sweep.arrays["maps"].shape == (10, 16, 16) and sweep.arrays["maps@1"].shape == (10, 10)
    assert ig.arrays["map"].shape == (16, 16) and ig.arrays["map@1"].shape == (10,)
    probe = [codec.decode_record(r) for r in plugin.probe_impl(CTX, EXP, "two")]
    assert {"image", "mask", "values@1", "mask@1"} <= set(probe[1].arrays)
    fixed = codec.decode_record(plugin.example_impl(CTX, EXP, "fixed", 0, 0)[2])
    assert "map" not in fixed.arrays and fixed.arrays["map@1"].shape == (16, 16)
    tokens = codec.decode_record(plugin.probe_impl(CTX, EXP, "tokens")[1])
    assert len(tokens.fields["tokens"]) == 24 and tokens.arrays["ids"].shape == (24,)


def test_predicted_class_maps_are_served(plugin, logdir) -> None:
    predicted = logdir[1]["predicted"].predicted
    assert predicted
    for epoch, (rows, classes) in predicted.items():
        for row, cls in zip(rows.tolist(), classes.tolist(), strict=True):
            record = codec.decode_record(plugin.example_impl(CTX, EXP, "predicted", row, epoch)[2])
            assert record.fields["predicted_target"] == cls
            assert {"predicted_map", "predicted_map@1", "predicted_delta"} <= set(record.arrays)
    right = codec.decode_record(plugin.example_impl(CTX, EXP, "predicted", 0, 0)[2])
    assert "predicted_target" not in right.fields and "predicted_map" not in right.arrays


def test_feature_maps_of_a_v2_image_run(plugin, written) -> None:
    bundle = plugin.feature_maps_impl(CTX, EXP, "image", logs.LAYER, 3)
    assert bundle[1:] == [written["image"][logs.FM_TAG][e][4] for e in range(EPOCHS)]


def test_runs_over_http(logdir) -> None:
    app, _ = logs.make_app(logdir[0])
    response = werkzeug_test.Client(app).get("/data/plugin/tb_attrib/runs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.get_data())
    run = {r["run"]: r for r in body["runs"]}["tokens"]
    assert run["inputs"][0]["modality"] == "tokens" and run["head"]["kind"] == "multiclass"


def test_unknown_modality_and_malformed_inputs(tmp_path: Path) -> None:
    """A newer modality's descriptor is passed through; a malformed list is a warning."""
    import tensorflow as tf

    descriptor = {"name": "cloud", "modality": "hologram", "shape": [5, 3], "attributed": True}
    for run, inputs in (("newer", [descriptor]), ("broken", {"not": "a list"})):
        digest = codec.encode_record({"num_examples": 1, "input_shape": [5], "inputs": inputs}, {})
        with tf.summary.create_file_writer(str(tmp_path / run)).as_default(step=0):
            tf.summary.write(
                "p",
                tf.constant([digest, codec.encode_record({"index": 0}, {})]),
                metadata=metadata.create_summary_metadata(metadata.KIND_PROBE),
            )
    plugin = attributions_plugin.AttributionsPlugin(
        base_plugin.TBContext(data_provider=tb_provider(tmp_path), sampling_hints={})
    )
    answer = {r["run"]: r for r in plugin.runs_impl(CTX, EXP)["runs"]}
    assert answer["newer"]["inputs"] == [descriptor] and answer["newer"]["warnings"] == []
    assert answer["broken"]["inputs"] is None
    assert answer["broken"]["warnings"] == ["p: malformed 'inputs' field in the probe digest"]
    assert answer["newer"]["head"]["kind"] == "multiclass"
