"""``tb_attrib.load``: written series come back as NumPy arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plugin_logs as logs
import pytest

import tb_attrib
from tb_attrib.summary import codec


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reader")
    logs.write_run(root / "main", range(4), ig_every=2, class_names=["a", "<b>", "c"])
    logs.write_run(root / "bare", range(2), labels=False, masks=False, feature_maps=False,
                   ig_every=0)  # fmt: skip
    logs.write_future_series(root / "main", "tb_attrib/from_the_future")
    return root


@pytest.fixture(scope="module")
def runs(logdir: Path) -> dict[str, tb_attrib.reader.RunAttributions]:
    return tb_attrib.load(logdir)


def _decoded(logdir: Path, run: str, tag: str) -> dict[int, list[codec.Record]]:
    return {
        step: [codec.decode_record(b) for b in elements]
        for step, elements in logs.written_records(logdir / run)[tag].items()
    }


def test_load_is_exported_lazily_from_the_package() -> None:
    from tb_attrib import reader

    assert tb_attrib.load is reader.load
    assert "tb_attrib.load(" in (reader.__doc__ or "")


def test_runs_with_tb_attrib_data_are_returned(runs: dict) -> None:
    assert list(runs) == ["bare", "main"]


def test_probe(runs: dict, logdir: Path) -> None:
    run = runs["main"]
    _, *examples = _decoded(logdir, "main", logs.PROBE_TAG)[0]
    np.testing.assert_array_equal(run.labels, [0, 1, 2])
    assert run.class_names == ["a", "<b>", "c"]
    assert run.input_shape == (4, 4, 3)
    assert run.display_range == (0.0, 1.0)
    np.testing.assert_array_equal(run.images, np.stack([r.arrays["image"] for r in examples]))
    np.testing.assert_array_equal(run.masks, np.stack([r.arrays["mask"] for r in examples]))
    assert run.images.dtype == np.uint8 and run.images.shape == (3, 4, 4, 3)


def test_sweep(runs: dict, logdir: Path) -> None:
    run = runs["main"]
    written = _decoded(logdir, "main", logs.SWEEP_TAG)
    np.testing.assert_array_equal(run.epochs, [0, 1, 2, 3])
    np.testing.assert_allclose(run.alphas, logs.ALPHAS)
    assert run.baseline == "e3"
    assert run.sweep_maps.shape == (4, 3, len(logs.ALPHAS), 4, 4)
    assert run.predictions.shape == (4, 3, len(logs.ALPHAS), 3)
    for e in range(4):
        digest, *examples = written[e]
        np.testing.assert_array_equal(run.targets[e], digest.arrays["targets"])
        np.testing.assert_array_equal(run.predictions[e], digest.arrays["predictions"])
        np.testing.assert_array_equal(run.abs_mean[e], digest.arrays["abs_mean"])
        for i, record in enumerate(examples):
            expected = codec.dequantize_maps(record.arrays["maps"], record.arrays["scales"])
            np.testing.assert_array_equal(run.sweep_maps[e, i], expected)


def test_integrated_gradients_with_absent_epochs(runs: dict, logdir: Path) -> None:
    run = runs["main"]
    written = _decoded(logdir, "main", logs.IG_TAG)
    assert run.ig_maps.shape == (4, 3, 4, 4)
    assert run.ig_method == "trapezoid"
    np.testing.assert_array_equal(run.ig_steps, [8, -1, 8, -1])
    for e in (1, 3):  # no integrated gradients at odd epochs
        assert np.isnan(run.ig_maps[e]).all() and np.isnan(run.ig_delta[e]).all()
    for e in (0, 2):
        digest, *examples = written[e]
        np.testing.assert_array_equal(run.ig_delta[e], digest.arrays["delta"])
        np.testing.assert_array_equal(run.ig_score_input[e], digest.arrays["score_input"])
        np.testing.assert_array_equal(run.ig_score_baseline[e], digest.arrays["score_baseline"])
        np.testing.assert_array_equal(run.ig_attribution_sum[e], digest.arrays["attribution_sum"])
        for i, record in enumerate(examples):
            expected = codec.dequantize_maps(record.arrays["map"], record.arrays["scale"])
            np.testing.assert_array_equal(run.ig_maps[e, i], expected)


def test_feature_maps(runs: dict) -> None:
    maps = runs["main"].feature_maps[logs.LAYER]
    assert maps.tag == logs.FM_TAG and maps.total_channels == 4
    np.testing.assert_array_equal(maps.epochs, [0, 1, 2, 3])
    np.testing.assert_array_equal(maps.channels, [0, 1, 2, 3])
    assert maps.maps.shape == (4, 3, 4, 2, 2) and maps.mean.shape == (4, 3, 4)
    for e in range(4):  # epoch e wrote activations whose maximum is e + 1
        assert np.nanmax(maps.maps[e]) == pytest.approx(e + 1, rel=1e-6)


def test_future_series_are_reported(runs: dict) -> None:
    assert runs["main"].warnings == [
        "tb_attrib/from_the_future: written by a newer tb_attrib (format version 99)"
    ]
    assert runs["bare"].warnings == []


def test_unlabelled_run_without_ig(runs: dict) -> None:
    run = runs["bare"]
    assert run.labels is None and run.class_names is None and run.masks is None
    assert run.ig_maps is None and run.ig_delta is None
    assert run.feature_maps == {}
    assert run.sweep_maps.shape == (2, 3, len(logs.ALPHAS), 4, 4)


def test_runs_and_epochs_filters(logdir: Path) -> None:
    some = tb_attrib.load(logdir, runs=["main"], epochs=[1, 2, 9])
    assert list(some) == ["main"]
    run = some["main"]
    np.testing.assert_array_equal(run.epochs, [1, 2])
    assert run.sweep_maps.shape[0] == 2
    np.testing.assert_array_equal(run.ig_steps, [-1, 8])
    np.testing.assert_array_equal(run.feature_maps[logs.LAYER].epochs, [1, 2])


def test_maps_match_the_written_gradients(tmp_path: Path) -> None:
    """End to end through the write op: within the documented quantisation bound."""
    import tensorflow as tf

    import tb_attrib.summary as tbs

    rng = np.random.default_rng(3)
    gradients = rng.normal(size=(2, 3, 5, 6, 3)).astype(np.float32)
    with tf.summary.create_file_writer(str(tmp_path / "r")).as_default(step=7):
        tbs.interior_gradients("sweep", [0.1, 0.5, 1.0], gradients, rng.random((2, 3, 4)), [1, 2])
    run = tb_attrib.load(tmp_path)["r"]
    summed = gradients.sum(axis=-1)  # channel-summed maps
    scale = np.abs(summed).max(axis=(-1, -2), keepdims=True)
    assert run.sweep_maps.shape == (1, 2, 3, 5, 6)
    assert np.all(np.abs(run.sweep_maps[0] - summed) <= scale / 126 + 1e-6)
    np.testing.assert_allclose(run.abs_mean[0], np.abs(gradients).reshape(2, 3, -1).mean(-1))
    np.testing.assert_array_equal(run.targets[0], [1, 2])


def test_log_repr_summarises_without_array_values(runs: dict, logdir: Path) -> None:
    text = repr(runs)
    assert isinstance(runs, tb_attrib.reader.Log) and isinstance(runs, dict)
    assert runs.logdir == str(logdir)
    assert text == "\n".join(
        [
            f"<tb_attrib.reader.Log {str(logdir)!r}: 2 runs",
            "  'bare': 3 examples, image [4, 4, 3], multiclass head; epochs 0-1 (2)",
            "    sweep: 3 alphas, sweep_maps float32 [2, 3, 3, 4, 4]",
            "  'main': 3 examples, image [4, 4, 3], multiclass head, labelled (3 classes), masks; "
            "epochs 0-3 (4)",
            "    sweep: 3 alphas, sweep_maps float32 [4, 3, 3, 4, 4]; "
            "ig: trapezoid 8 steps, ig_maps float32 [4, 3, 4, 4]",
            f"    feature maps: {logs.LAYER} float32 [4, 3, 4, 2, 2]; 1 warning (see .warnings)>",
        ]
    )
    assert str(runs) == text


def test_run_and_feature_map_reprs_are_short(runs: dict) -> None:
    run = runs["main"]
    text = repr(run)
    assert text.startswith(
        "<tb_attrib.reader.RunAttributions 'main': 3 examples, image [4, 4, 3], multiclass head, "
    )
    assert text.endswith(">") and len(text.splitlines()) == 3
    assert "array(" not in text and "nan" not in text
    assert repr(run.feature_maps[logs.LAYER]) == (
        f"<tb_attrib.reader.FeatureMaps {logs.LAYER!r}: 4 of 4 channels, "
        "maps float32 [4, 3, 4, 2, 2]; epochs 0-3 (4)>"
    )


def test_repr_stays_short_for_a_large_run() -> None:
    """Size of the repr does not grow with the arrays; many runs are counted, not listed."""
    big = tb_attrib.reader.RunAttributions(
        run="big",
        epochs=np.arange(500),
        images=np.zeros((64, 224, 224, 3), np.uint8),
        input_shape=(224, 224, 3),
        alphas=np.linspace(0.1, 1, 10, dtype=np.float32),
        sweep_maps=np.zeros((500, 64, 10, 8, 8), np.float32),
    )
    assert repr(big) == (
        "<tb_attrib.reader.RunAttributions 'big': 64 examples [224, 224, 3]; epochs 0-499 (500)\n"
        "  sweep: 10 alphas, sweep_maps float32 [500, 64, 10, 8, 8]>"
    )
    many = tb_attrib.reader.Log({f"r{i:02d}": big for i in range(20)}, logdir="logs")
    lines = repr(many).splitlines()
    assert lines[0] == "<tb_attrib.reader.Log 'logs': 20 runs"
    assert lines[-1] == "  ... and 12 more runs>"
    assert len(lines) == 2 + 2 * tb_attrib.reader.Log.MAX_RUNS_SHOWN
    assert repr(tb_attrib.reader.Log(logdir="x")) == (
        "<tb_attrib.reader.Log 'x': no runs with tb_attrib data>"
    )


def test_epoch_summaries() -> None:
    one = tb_attrib.reader.RunAttributions(run="one", epochs=np.array([7]))
    assert repr(one) == "<tb_attrib.reader.RunAttributions 'one': no probe; epoch 7>"
    none = tb_attrib.reader.RunAttributions(run="none", epochs=np.array([], np.int64))
    assert repr(none) == "<tb_attrib.reader.RunAttributions 'none': no probe; no epochs>"
