"""``tb_attrib.load`` on format-v2 logs: every modality, head, several inputs, predicted maps.

Most logs come from :func:`plugin_logs.write_modality_log`; what the reader returns is
checked against the records as written (read straight from the event files). One log is
written with the write ops and hand-made arrays, to check values end to end, and one holds
a modality this version does not know.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import plugin_logs as logs
import pytest

import tb_attrib
from tb_attrib.summary import codec, metadata, modalities

MODALITIES = ("image", "sequence", "tabular", "tokens")
MAP_SHAPES = {"image": (16, 16), "sequence": (64, 2), "tabular": (10,), "tokens": (24,)}
DISPLAY = {
    "image": (np.uint8, (16, 16, 3)),
    "sequence": (np.float32, (64, 2)),
    "tabular": (np.float32, (10,)),
    "tokens": (np.int32, (24,)),
}
EPOCHS, EXAMPLES, K = 3, 4, len(logs.CLASSIC_ALPHAS)

CASES = {
    **{kind: {"modality": kind} for kind in MODALITIES},
    "two": {"modality": ["image", "tabular"]},
    "regression": {"modality": "tabular", "head": "regression", "width": 2},
    "binary": {"modality": "image", "head": "binary"},
    "multilabel": {"modality": "sequence", "head": "multilabel"},
    "predicted": {"modality": ["tokens", "image"], "label_and_predicted": True, "epochs": 4},
    "fixed": {"modality": ["tabular", "image"], "fixed": [0]},
    "unnamed": {"modality": ["tabular", "tokens", "sequence"], "names": False},
}


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("reader_v2")
    written = {
        name: logs.write_modality_log(root / name, examples=EXAMPLES, **options)
        for name, options in CASES.items()
    }
    return root, written


@pytest.fixture(scope="module")
def runs(logdir) -> tb_attrib.reader.Log:
    return tb_attrib.load(logdir[0])


@pytest.fixture(scope="module")
def truth(logdir) -> dict[str, logs.ModalityLog]:
    return logdir[1]


def decoded(root: Path, run: str, tag: str) -> dict[int, list[codec.Record]]:
    return {
        step: [codec.decode_record(b) for b in elements]
        for step, elements in logs.written_records(root / run)[tag].items()
    }


@pytest.mark.parametrize("kind", MODALITIES)
def test_one_input_of_each_modality(runs, truth, logdir, kind: str) -> None:
    run, log = runs[kind], truth[kind]
    assert run.warnings == [] and run.format_version == metadata.FORMAT_VERSION
    (item,) = run.inputs
    dtype, shape = DISPLAY[kind]
    assert (item.index, item.modality, item.shape, item.attributed) == (0, kind, shape, True)
    assert item.name == log.specs[0].name
    assert item.display.dtype == dtype and item.display.shape == (EXAMPLES, *shape)
    np.testing.assert_array_equal(item.masks, log.masks[0].astype(np.uint8))
    assert item.sweep_maps.shape == (EPOCHS, EXAMPLES, K, *MAP_SHAPES[kind])
    assert item.ig_maps.shape == (EPOCHS, EXAMPLES, *MAP_SHAPES[kind])
    assert item.ig_predicted_maps is None and run.ig_predicted_target is None
    # The run-level arrays are the first input's (images only for an image input).
    assert run.images is (item.display if kind == "image" else None)
    assert run.masks is item.masks
    assert run.sweep_maps is item.sweep_maps and run.ig_maps is item.ig_maps
    assert run.input_shape == shape
    if kind != "image":
        assert run.display_range is None and item.display_range is None
    else:
        assert run.display_range == item.display_range == (0.0, 1.0)
    # Maps are the written records, dequantised.
    root = logdir[0]
    sweep, ig = decoded(root, kind, logs.SWEEP_TAG), decoded(root, kind, logs.IG_TAG)
    for e in range(EPOCHS):
        for i in range(EXAMPLES):
            s, g = sweep[e][1 + i], ig[e][1 + i]
            want = codec.dequantize_maps(s.arrays["maps"], s.arrays["scales"])
            np.testing.assert_array_equal(item.sweep_maps[e, i], want)
            want = codec.dequantize_maps(g.arrays["map"], g.arrays["scale"])
            np.testing.assert_array_equal(item.ig_maps[e, i], want)
        np.testing.assert_array_equal(run.ig_relative_delta[e], ig[e][0].arrays["relative_delta"])


def test_probe_display_is_what_was_written(runs, truth) -> None:
    np.testing.assert_array_equal(runs["sequence"].inputs[0].display, truth["sequence"].values[0])
    np.testing.assert_array_equal(runs["tabular"].inputs[0].display, truth["tabular"].values[0])
    np.testing.assert_array_equal(runs["tokens"].inputs[0].display, truth["tokens"].values[0])
    image = runs["image"].inputs[0].display
    np.testing.assert_array_equal(image, np.rint(truth["image"].values[0] * 255).astype(np.uint8))


def test_names_come_back_exactly_as_written(runs, truth) -> None:
    """Feature, channel and token names are user data: markup and all, untouched."""
    spec = truth["tabular"].specs[0]
    assert runs["tabular"].inputs[0].feature_names == list(spec.feature_names)
    assert set(logs.TRICKY_NAMES) <= set(runs["tabular"].inputs[0].feature_names)
    assert runs["sequence"].inputs[0].channel_names == ["x", "y"]
    tokens = runs["tokens"].inputs[0]
    vocabulary = truth["tokens"].specs[0].vocabulary
    assert tokens.padding_id == 0 and tokens.descriptor["has_vocabulary"] is True
    assert tokens.tokens == [[vocabulary[i] for i in row] for row in tokens.display.tolist()]
    assert runs["sequence"].inputs[0].value_range == pytest.approx(
        (truth["sequence"].values[0].min(), truth["sequence"].values[0].max())
    )


def test_inputs_without_names(runs) -> None:
    tabular, tokens, sequence = runs["unnamed"].inputs
    assert tabular.feature_names is None and sequence.channel_names is None
    assert tokens.tokens is None and tokens.descriptor["has_vocabulary"] is False
    assert tokens.display.dtype == np.int32


def test_two_inputs_read_the_suffixed_records(runs, truth, logdir) -> None:
    run = runs["two"]
    image, table = run.inputs
    assert (image.modality, table.modality) == ("image", "tabular")
    assert (table.index, table.name, table.shape) == (1, "features", (10,))
    np.testing.assert_array_equal(table.display, truth["two"].values[1])
    np.testing.assert_array_equal(table.masks, truth["two"].masks[1].astype(np.uint8))
    assert table.sweep_maps.shape == (EPOCHS, EXAMPLES, K, 10)
    assert run.images is image.display and run.sweep_maps is image.sweep_maps
    ig = decoded(logdir[0], "two", logs.IG_TAG)
    for e in range(EPOCHS):
        for i in range(EXAMPLES):
            record = ig[e][1 + i]
            want = codec.dequantize_maps(record.arrays["map@1"], record.arrays["scale@1"])
            np.testing.assert_array_equal(table.ig_maps[e, i], want)
    text = repr(run)
    assert "image [16, 16, 3] + tabular [10]" in text and len(text.splitlines()) <= 3


def test_regression_head_and_label_values(runs, truth) -> None:
    run = runs["regression"]
    assert run.head == {"kind": "regression", "width": 2, "output_kind": "logits", "output": None}
    assert run.labels is None
    np.testing.assert_array_equal(run.label_values, truth["regression"].label_values)
    assert run.label_values.dtype == np.float32 and run.label_values.shape == (EXAMPLES, 2)
    assert run.predictions.shape == (EPOCHS, EXAMPLES, K, 2)
    assert "regression head, label values [4, 2]" in repr(run)


def test_binary_head(runs) -> None:
    run = runs["binary"]
    assert run.head["kind"] == "binary" and run.head["width"] == 1
    np.testing.assert_array_equal(run.labels, [0, 1, 0, 1])
    assert run.label_values is None
    assert run.predictions.shape == (EPOCHS, EXAMPLES, K, 2)  # [1 - p, p]
    np.testing.assert_allclose(run.predictions.sum(-1), 1.0, rtol=1e-5)
    assert run.class_names == ["negative", "positive"]
    assert "binary head, labelled (2 classes)" in repr(run)


def test_multilabel_head(runs, truth) -> None:
    run = runs["multilabel"]
    assert run.head["kind"] == "multilabel" and run.labels is None
    np.testing.assert_array_equal(run.label_values, truth["multilabel"].label_values)


def test_predicted_class_maps(runs, truth, logdir) -> None:
    run, log = runs["predicted"], truth["predicted"]
    assert log.predicted  # the log does have misclassified examples
    expected = np.full((4, EXAMPLES), -1, np.int32)
    for e, (rows, classes) in log.predicted.items():
        expected[e, rows] = classes
    np.testing.assert_array_equal(run.ig_predicted_target, expected)
    absent = expected < 0
    assert np.isnan(run.ig_predicted_delta[absent]).all()
    assert np.isfinite(run.ig_predicted_delta[~absent]).all()
    ig = decoded(logdir[0], "predicted", logs.IG_TAG)
    for item in run.inputs:
        tail = "" if item.index == 0 else f"@{item.index}"
        maps = item.ig_predicted_maps
        assert maps.shape == item.ig_maps.shape
        assert np.isnan(maps[absent]).all() and np.isfinite(maps[~absent]).all()
        for e, i in zip(*np.nonzero(~absent), strict=True):
            record = ig[e][1 + i]
            assert record.fields["predicted_target"] == expected[e, i]
            want = codec.dequantize_maps(
                record.arrays["predicted_map" + tail], record.arrays["predicted_scale" + tail]
            )
            np.testing.assert_array_equal(maps[e, i], want)
    assert run.ig_predicted_maps is run.inputs[0].ig_predicted_maps
    assert "predicted-class maps" in repr(run)


def test_fixed_input_has_no_maps(runs) -> None:
    run = runs["fixed"]
    table, image = run.inputs
    assert table.attributed is False and image.attributed is True
    assert table.sweep_maps is None and table.ig_maps is None
    assert table.display is not None
    assert run.sweep_maps is None and run.ig_maps is None  # those of input 0
    assert image.ig_maps.shape == (EPOCHS, EXAMPLES, 16, 16)
    assert "tabular [10] (fixed)" in repr(run)


def test_repr_names_modalities_and_head_in_a_few_lines(runs) -> None:
    for name, run in runs.items():
        text = repr(run)
        assert len(text.splitlines()) <= 3, name
        assert f"{run.head['kind']} head" in text, name
        for item in run.inputs:
            assert f"{item.modality} {list(item.shape)}" in text, name
        assert "array(" not in text and "nan" not in text
    assert repr(runs["tokens"].inputs[0]) == (
        "<tb_attrib.reader.InputAttributions 0 'ids': tokens [24], display int32 [4, 24], "
        "sweep_maps float32 [3, 4, 10, 24], ig_maps float32 [3, 4, 24]>"
    )


def test_the_synthetic_maps_are_structured(runs) -> None:
    """What plugin_logs promises its users: the signal moves onto the ground-truth region."""
    for name in ("image", "sequence", "tabular", "tokens"):
        item = runs[name].inputs[0]
        positions = item.ig_maps if name != "sequence" else item.ig_maps.sum(-1)
        inside = item.masks.astype(bool)
        share = [
            np.abs(positions[e][inside]).sum() / np.abs(positions[e]).sum() for e in range(EPOCHS)
        ]
        assert share[-1] > 0.5 and share[-1] > share[0], (name, share)
        total = positions[-1].reshape(EXAMPLES, -1).sum(-1)
        run = runs[name]
        expected = run.ig_score_input[-1] - run.ig_score_baseline[-1] + run.ig_delta[-1]
        np.testing.assert_allclose(total, expected, atol=0.02 * np.abs(expected).max())


# --- A log written with the write ops and hand-made arrays -------------------------------


def test_hand_written_two_input_log(tmp_path: Path) -> None:
    import tensorflow as tf

    from tb_attrib.summary import summary_v2

    rng = np.random.default_rng(5)
    vocabulary = ["<pad>", "<i>x</i>", "b", "c & d"]
    ids = np.array([[1, 2, 3, 0], [3, 3, 1, 0]], np.int32)
    series = rng.normal(size=(2, 6, 2)).astype(np.float32)
    specs = [
        modalities.InputSpec("ids", "tokens", vocabulary=vocabulary, padding_id=0),
        modalities.InputSpec("series", "sequence", channel_names=["left", "right"]),
    ]
    token_ig = np.array([[0.5, -0.25, 0.125, 0.0], [0.1, 0.2, -0.3, 0.0]], np.float32)
    series_ig = rng.normal(size=(2, 6, 2)).astype(np.float32) * 0.1
    token_grad = rng.normal(size=(2, 3, 4)).astype(np.float32) * 0.1
    series_grad = rng.normal(size=(2, 3, 6, 2)).astype(np.float32)
    second = type("Second", (), {})()
    second.attributions = [np.array([[0.25, 0.5, 0.0, 0.0]], np.float32), series_ig[1:] * 2]
    second.delta, second.target = np.array([0.01], np.float32), np.array([0], np.int32)
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default(step=4):
        summary_v2.probe(
            "p",
            [ids, series],
            labels=np.array([1, 2]),
            class_names=["x", "y", "z"],
            masks=[ids == 3, None],
            input_specs=specs,
            head={"kind": "multiclass", "width": 3, "output_kind": "logits", "output": "out"},
        )
        summary_v2.interior_gradients(
            "s",
            [0.2, 0.6, 1.0],
            [token_grad, series_grad],
            rng.random((2, 3, 3)),
            [1, 2],
            input_specs=specs,
        )
        summary_v2.integrated_gradients(
            "g",
            attributions=[token_ig, series_ig],
            delta=np.array([0.01, -0.02]),
            targets=[1, 2],
            score_input=np.array([0.9, 0.4]),
            score_baseline=np.array([0.3, 0.3]),
            method="trapezoid",
            steps=8,
            input_specs=specs,
            predicted=(np.array([1]), second),
        )
    run = tb_attrib.load(tmp_path)["run"]
    assert run.head == {"kind": "multiclass", "width": 3, "output_kind": "logits", "output": "out"}
    np.testing.assert_array_equal(run.epochs, [4])
    tokens, seq = run.inputs
    assert tokens.tokens == [
        ["<i>x</i>", "b", "c & d", "<pad>"],
        ["c & d", "c & d", "<i>x</i>", "<pad>"],
    ]
    np.testing.assert_array_equal(tokens.display, ids)
    np.testing.assert_array_equal(tokens.masks, (ids == 3).astype(np.uint8))
    assert seq.masks is None and seq.channel_names == ["left", "right"]
    np.testing.assert_array_equal(seq.display, series)
    # Maps within the square-root code's bound: scale / 126 per value.
    np.testing.assert_allclose(tokens.ig_maps[0], token_ig, atol=0.5 / 126)
    np.testing.assert_allclose(seq.ig_maps[0], series_ig, atol=np.abs(series_ig).max() / 126)
    np.testing.assert_allclose(
        tokens.sweep_maps[0], token_grad, atol=np.abs(token_grad).max() / 126
    )
    np.testing.assert_allclose(seq.sweep_maps[0], series_grad, atol=np.abs(series_grad).max() / 126)
    np.testing.assert_array_equal(run.ig_predicted_target, [[-1, 0]])
    np.testing.assert_allclose(run.ig_predicted_delta, [[np.nan, 0.01]])
    assert np.isnan(tokens.ig_predicted_maps[0, 0]).all()
    np.testing.assert_allclose(tokens.ig_predicted_maps[0, 1], [0.25, 0.5, 0, 0], atol=0.5 / 126)
    np.testing.assert_allclose(
        seq.ig_predicted_maps[0, 1], series_ig[1] * 2, atol=np.abs(series_ig).max() * 2 / 126
    )
    np.testing.assert_allclose(run.ig_relative_delta[0], [0.01 / 0.6, 0.02 / 0.1], rtol=1e-5)


def test_unknown_modality_is_kept_without_display(tmp_path: Path) -> None:
    """A modality from a newer tb_attrib: reported, its descriptor and maps still read."""
    import tensorflow as tf

    descriptor = {"name": "cloud", "modality": "hologram", "shape": [5, 3], "attributed": True}
    digest = codec.encode_record(
        {"num_examples": 1, "input_shape": [5, 3], "inputs": [descriptor], "head": None}, {}
    )
    example = codec.encode_record({"index": 0}, {"points": np.zeros((5, 3), np.float32)})
    codes, scales = codec.quantize_maps(np.arange(5, dtype=np.float32)[None], map_ndim=1)
    ig_digest = codec.encode_record(
        {"method": "m", "steps": 4, "baseline": "b", "num_examples": 1},
        {"targets": np.zeros(1, np.int32), "delta": np.zeros(1, np.float32)},
    )
    ig_example = codec.encode_record({"index": 0}, {"map": codes[0], "scale": scales[0]})
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default(step=0):
        for tag, kind, records in (
            ("p", metadata.KIND_PROBE, [digest, example]),
            ("g", metadata.KIND_INTEGRATED_GRADIENTS, [ig_digest, ig_example]),
        ):
            tf.summary.write(
                tag, tf.constant(records), metadata=metadata.create_summary_metadata(kind)
            )
    run = tb_attrib.load(tmp_path)["run"]
    (item,) = run.inputs
    assert item.modality == "hologram" and item.display is None and item.shape == (5, 3)
    assert item.descriptor == descriptor
    np.testing.assert_allclose(item.ig_maps[0, 0], np.arange(5), atol=4 / 126)
    assert run.warnings == [
        "p: input 0 has modality 'hologram', unknown to this tb_attrib (no display)"
    ]
    assert run.head["kind"] == "multiclass"  # a null head reads as the default
    assert json.dumps(item.descriptor)
