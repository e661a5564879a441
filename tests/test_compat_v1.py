"""Logs written by summary format version 1 keep opening, in notebooks and in TensorBoard.

``tests/fixtures/v1_log`` was written by format version 1 (``tests/fixtures/README.md``;
never regenerate it). These tests check what such a log must keep giving, not that anything
still *says* version 1: a newer tb_attrib may raise the format and routes versions and add
fields and arrays, so records are compared field by field and array by array against what
the v1 writer wrote ("the served record keeps every v1 field and array"), never byte for
byte, and answers are checked for the keys v1 clients read.

Served three ways: the plugin's ``*_impl`` methods over TensorBoard's
``MultiplexerDataProvider`` (in process), and the real ``tensorboard`` CLI on both loading
paths (Rust data server and ``--load_fast=false``).
"""

from __future__ import annotations

import shutil
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import plugin_logs as logs
import pytest
from conftest import tb_provider
from tb_process import http_get, tensorboard_process, wait_until
from tensorboard import context
from tensorboard.plugins import base_plugin

import tb_attrib
from tb_attrib.summary import codec

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "v1_log"
RUN = "probe"  # the run holding the tb_attrib series; "weights" holds only histograms
EPOCHS = [0, 1, 2]
EXAMPLES = 3
ALPHAS = [0.1, 0.5, 1.0]
CLASS_NAMES = ["a", "b", "c", "d"]
LAYER = "conv"
PROBE_TAG = "tb_attrib/probe"
SWEEP_TAG = "tb_attrib/interior_gradients"
IG_TAG = "tb_attrib/integrated_gradients"
FM_TAG = "tb_attrib/feature_maps/conv"
API = "/data/plugin/tb_attrib"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture, so that nothing run here can touch the committed files."""
    root = tmp_path_factory.mktemp("compat_v1") / "v1_log"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture(scope="module")
def written() -> dict[str, dict[int, list[codec.Record]]]:
    """``{tag: {step: [decoded element]}}`` as the v1 writer wrote them (read directly)."""
    return {
        tag: {step: [codec.decode_record(b) for b in elements] for step, elements in steps.items()}
        for tag, steps in logs.written_records(FIXTURE / RUN).items()
    }


def test_the_fixture_is_the_v1_log(written: dict) -> None:
    """Guards the premise: the committed files are the v1 log the README describes."""
    assert sorted(written) == sorted([PROBE_TAG, SWEEP_TAG, IG_TAG, FM_TAG])
    assert sorted(written[PROBE_TAG]) == [0]
    for tag in (SWEEP_TAG, IG_TAG, FM_TAG):
        assert sorted(written[tag]) == EPOCHS
        assert all(len(elements) == 1 + EXAMPLES for elements in written[tag].values())


# --- (a) tb_attrib.load ------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(logdir: Path) -> tb_attrib.reader.RunAttributions:
    runs = tb_attrib.load(logdir)
    assert list(runs) == [RUN]
    return runs[RUN]


def test_load_reads_every_series_without_warnings(run) -> None:
    assert run.warnings == []
    np.testing.assert_array_equal(run.epochs, EPOCHS)
    assert "'probe'" in repr(run) and len(repr(run).splitlines()) <= 4


def test_load_probe(run, written: dict) -> None:
    _, *examples = written[PROBE_TAG][0]
    assert run.images.shape == (EXAMPLES, 8, 8, 3) and run.images.dtype == np.uint8
    np.testing.assert_array_equal(run.images, np.stack([r.arrays["image"] for r in examples]))
    assert run.masks.shape == (EXAMPLES, 8, 8) and set(np.unique(run.masks)) <= {0, 1}
    np.testing.assert_array_equal(run.masks, np.stack([r.arrays["mask"] for r in examples]))
    assert run.labels.shape == (EXAMPLES,)
    assert run.class_names == CLASS_NAMES
    assert run.input_shape == (8, 8, 3)
    assert run.display_range == (0.0, 1.0)


def test_load_sweep(run, written: dict) -> None:
    np.testing.assert_allclose(run.alphas, ALPHAS, rtol=1e-6)
    assert run.baseline == "black"
    assert run.sweep_maps.shape == (3, EXAMPLES, 3, 8, 8)
    assert run.predictions.shape == (3, EXAMPLES, 3, 4)
    assert run.abs_mean.shape == (3, EXAMPLES, 3) and run.targets.shape == (3, EXAMPLES)
    np.testing.assert_allclose(run.predictions.sum(-1), 1.0, rtol=1e-5)  # probabilities
    assert np.all((run.targets >= 0) & (run.targets < len(CLASS_NAMES)))
    for e in EPOCHS:
        digest, *examples = written[SWEEP_TAG][e]
        np.testing.assert_array_equal(run.abs_mean[e], digest.arrays["abs_mean"])
        for i, record in enumerate(examples):
            expected = codec.dequantize_maps(record.arrays["maps"], record.arrays["scales"])
            np.testing.assert_array_equal(run.sweep_maps[e, i], expected)


def test_load_integrated_gradients(run, written: dict) -> None:
    assert "trapezoid" in run.ig_method  # as written: "riemann_trapezoid"
    np.testing.assert_array_equal(run.ig_steps, [8, 8, 8])
    assert run.ig_maps.shape == (3, EXAMPLES, 8, 8) and run.ig_delta.shape == (3, EXAMPLES)
    completeness = run.ig_attribution_sum - (run.ig_score_input - run.ig_score_baseline)
    np.testing.assert_allclose(run.ig_delta, completeness, rtol=1e-4, atol=1e-5)
    for e in EPOCHS:
        _, *examples = written[IG_TAG][e]
        for i, record in enumerate(examples):
            expected = codec.dequantize_maps(record.arrays["map"], record.arrays["scale"])
            np.testing.assert_array_equal(run.ig_maps[e, i], expected)


def test_load_feature_maps(run, written: dict) -> None:
    assert list(run.feature_maps) == [LAYER]
    maps = run.feature_maps[LAYER]
    assert maps.tag == FM_TAG and maps.total_channels == 4
    np.testing.assert_array_equal(maps.epochs, EPOCHS)
    assert maps.channels.shape == (2,) and np.all((maps.channels >= 0) & (maps.channels < 4))
    assert maps.maps.shape == (3, EXAMPLES, 2, 6, 6) and maps.mean.shape == (3, EXAMPLES, 2)
    for e in EPOCHS:
        _, *examples = written[FM_TAG][e]
        for i, record in enumerate(examples):
            expected = codec.dequantize_maps(record.arrays["maps"], record.arrays["scales"])
            np.testing.assert_array_equal(maps.maps[e, i], expected)


def test_load_reads_v1_as_one_image_input_of_a_multiclass_head(run) -> None:
    assert run.format_version == 1
    assert run.head == {
        "kind": "multiclass",
        "width": len(CLASS_NAMES),
        "output_kind": "probabilities",
        "output": None,
    }
    assert run.label_values is None
    (item,) = run.inputs
    assert (item.index, item.name, item.modality, item.shape) == (0, "input", "image", (8, 8, 3))
    assert item.attributed and item.display_range == (0.0, 1.0)
    # The run-level arrays are the first input's, the very same objects.
    assert item.display is run.images and item.masks is run.masks
    assert item.sweep_maps is run.sweep_maps and item.ig_maps is run.ig_maps
    assert item.tokens is None and item.feature_names is None and item.ig_predicted_maps is None
    assert run.ig_predicted_target is None and run.ig_predicted_maps is None


def test_load_computes_relative_completeness_that_v1_lacks(run) -> None:
    expected = np.abs(run.ig_delta) / np.abs(run.ig_score_input - run.ig_score_baseline)
    np.testing.assert_allclose(run.ig_relative_delta, expected, rtol=1e-6)


# --- (b) the plugin's routes -----------------------------------------------------------


class Served:
    """One way of asking the plugin: ``runs()`` answers the runs dict, ``bundle(route,
    **params)`` the list of records of a binary route (None for an absent record)."""

    def __init__(self, runs: Callable[[], dict], bundle: Callable[..., list]) -> None:
        self.runs, self.bundle = runs, bundle


def _in_process(logdir: Path) -> Served:
    from tb_attrib.plugin.attributions_plugin import AttributionsPlugin

    plugin = AttributionsPlugin(
        base_plugin.TBContext(data_provider=tb_provider(logdir), sampling_hints={})
    )
    ctx = context.RequestContext()
    return Served(
        lambda: plugin.runs_impl(ctx, ""),
        lambda route, **params: getattr(plugin, f"{route}_impl")(ctx, "", **params),
    )


def _over_http(base: str) -> Served:
    def runs() -> dict:
        response = http_get(f"{base}{API}/runs")
        assert response.status == 200, response.body[:300]
        assert response.header("Content-Type") == "application/json"
        return response.json()

    def bundle(route: str, **params: object) -> list:
        response = http_get(f"{base}{API}/{route}?{urllib.parse.urlencode(params)}")
        assert response.status == 200, (route, params, response.body[:300])
        assert response.header("Content-Type") == "application/octet-stream"
        return codec.decode_bundle(response.body)

    return Served(runs, bundle)


def _fully_loaded(served: Served) -> bool:
    run = next((r for r in served.runs()["runs"] if r["run"] == RUN), None)
    return bool(
        run and run["epochs"] == EPOCHS and [fm["epochs"] for fm in run["feature_maps"]] == [EPOCHS]
    )


@pytest.fixture(
    scope="module",
    params=[
        "impl",
        pytest.param("auto", marks=pytest.mark.slow, id="cli-rust"),
        pytest.param("false", marks=pytest.mark.slow, id="cli-python"),
    ],
)
def served(request: pytest.FixtureRequest, logdir: Path) -> Served:
    if request.param == "impl":
        yield _in_process(logdir)
        return
    with tensorboard_process(logdir, f"--load_fast={request.param}") as base:
        listing = wait_until(
            lambda: http_get(f"{base}/data/plugins_listing").json().get("tb_attrib"),
            what="the plugin to be listed",
        )
        assert listing["enabled"] is True
        served = _over_http(base)
        wait_until(lambda: _fully_loaded(served), what="TensorBoard to load the v1 log")
        yield served


def assert_keeps(served: bytes | None, written: codec.Record) -> codec.Record:
    """``served`` decodes, and holds every field and array of the v1 record ``written``."""
    assert served is not None
    record = codec.decode_record(served)
    for name, value in written.fields.items():
        assert record.fields.get(name) == value, name
    for name, array in written.arrays.items():
        assert name in record.arrays, name
        assert record.arrays[name].dtype == array.dtype, name
        np.testing.assert_array_equal(record.arrays[name], array, err_msg=name)
    return record


def test_runs_lists_the_v1_run(served: Served) -> None:
    runs = {r["run"]: r for r in served.runs()["runs"]}
    assert list(runs) == [RUN]
    run = runs[RUN]
    expected = {
        "probe_tag": PROBE_TAG,
        "num_examples": EXAMPLES,
        "input_shape": [8, 8, 3],
        "image_shape": [8, 8, 3],
        "class_names": CLASS_NAMES,
        "has_masks": True,
        "sweep_tag": SWEEP_TAG,
        "ig_tag": IG_TAG,
        "epochs": EPOCHS,
        "warnings": [],
    }
    assert {key: run.get(key) for key in expected} == expected
    assert len(run["labels"]) == EXAMPLES
    np.testing.assert_allclose(run["alphas"], ALPHAS, rtol=1e-6)
    assert run["ig"]["steps"] == 8 and run["ig"]["baseline"] == "black"
    assert "trapezoid" in run["ig"]["method"]
    (layer,) = run["feature_maps"]
    assert (layer["layer"], layer["tag"], layer["epochs"]) == (LAYER, FM_TAG, EPOCHS)


def test_runs_synthesizes_v2_keys_for_the_v1_run(served: Served) -> None:
    """A v1 run is one image input of a multiclass head, in the keys format v2 added."""
    run = next(r for r in served.runs()["runs"] if r["run"] == RUN)
    assert run["format_version"] == 1
    assert run["inputs"] == [
        {
            "name": "input",
            "modality": "image",
            "shape": [8, 8, 3],
            "attributed": True,
            "display_range": [0.0, 1.0],
        }
    ]
    assert run["head"] == {
        "kind": "multiclass",
        "width": len(CLASS_NAMES),
        "output_kind": "probabilities",
        "output": None,
    }
    assert run["label_values"] is None


def test_probe(served: Served, written: dict) -> None:
    records = served.bundle("probe", run=RUN)
    assert len(records) == 1 + EXAMPLES
    for got, want in zip(records, written[PROBE_TAG][0], strict=True):
        assert_keeps(got, want)
    assert len(served.bundle("probe", run=RUN, tag=PROBE_TAG)) == 1 + EXAMPLES


@pytest.mark.parametrize("index", range(EXAMPLES))
def test_example_every_epoch(served: Served, written: dict, index: int) -> None:
    records = served.bundle("example", run=RUN, index=index)
    assert codec.decode_record(records[0]).fields["epochs"] == EPOCHS
    assert len(records) == 1 + 2 * len(EPOCHS)
    for i, epoch in enumerate(EPOCHS):
        sweep = assert_keeps(records[1 + 2 * i], written[SWEEP_TAG][epoch][1 + index])
        assert_keeps(records[2 + 2 * i], written[IG_TAG][epoch][1 + index])
        assert sweep.fields["index"] == index


def test_example_one_epoch_and_named_tags(served: Served, written: dict) -> None:
    records = served.bundle(
        "example", run=RUN, index=2, epoch=1, sweep_tag=SWEEP_TAG, ig_tag=IG_TAG
    )
    assert codec.decode_record(records[0]).fields["epochs"] == [1]
    assert len(records) == 3
    assert_keeps(records[1], written[SWEEP_TAG][1][3])
    assert_keeps(records[2], written[IG_TAG][1][3])


def test_gallery(served: Served, written: dict) -> None:
    records = served.bundle("gallery", run=RUN)
    assert codec.decode_record(records[0]).fields["epochs"] == EPOCHS
    assert len(records) == 1 + 2 * len(EPOCHS)
    for i, epoch in enumerate(EPOCHS):
        assert_keeps(records[1 + 2 * i], written[SWEEP_TAG][epoch][0])
        assert_keeps(records[2 + 2 * i], written[IG_TAG][epoch][0])


def test_feature_maps(served: Served, written: dict) -> None:
    records = served.bundle("feature_maps", run=RUN, layer=LAYER, index=1)
    index = codec.decode_record(records[0]).fields
    assert index["epochs"] == EPOCHS and index["layer"] == LAYER
    assert len(records) == 1 + len(EPOCHS)
    for got, epoch in zip(records[1:], EPOCHS, strict=True):
        assert_keeps(got, written[FM_TAG][epoch][2])
    one = served.bundle("feature_maps", run=RUN, layer=LAYER, index=0, epoch=2)
    assert codec.decode_record(one[0]).fields["epochs"] == [2]
    assert_keeps(one[1], written[FM_TAG][2][1])
