"""Bad input fails fast, before any epoch, with a message naming the argument."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms

SHAPE = (8, 8, 3)


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Conv2D(2, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(3),
        ]
    )
    m.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _x(n=4, shape=SHAPE):
    return np.random.default_rng(0).uniform(0, 1, (n, *shape)).astype(np.float32)


def _fit_fails(model, callback, match):
    """Asserts fit raises ValueError matching ``match`` and that no epoch began."""
    epochs = []
    recorder = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epochs.append(e))
    with pytest.raises(ValueError, match=match):
        model.fit(_x(6), np.zeros(6, np.int32), epochs=2, verbose=0, callbacks=[recorder, callback])
    assert epochs == []


CONSTRUCTION_ERRORS = [
    (dict(probe_x=np.zeros((0, *SHAPE))), "probe_x is empty"),
    (dict(probe_x=np.full((2, *SHAPE), np.nan)), "probe_x contains .* NaN or infinite"),
    (dict(probe_x=np.full((2, *SHAPE), np.inf)), "probe_x contains .* NaN or infinite"),
    (dict(probe_x=np.array(["a", "b"])), "probe_x must hold numbers"),
    (dict(probe_y=[0, 1, 2]), "probe_y has 3 labels but probe_x has 4"),
    (dict(alphas=[0.0, 0.5]), "alphas must be numbers in \\(0, 1\\]"),
    (dict(alphas=[0.5, 1.5]), "alphas must be numbers in \\(0, 1\\]"),
    (dict(alphas=["a"]), "alphas must be numbers in \\(0, 1\\]"),
    (dict(alphas=[]), "alphas must hold at least one"),
    (dict(ig_steps=0), "ig_steps: steps must be a positive int"),
    (dict(ig_steps=-3), "ig_steps: steps must be a positive int"),
    (dict(ig_steps="many"), "ig_steps: steps must be a positive int or 'auto'"),
    (dict(ig_method="simpson"), "ig_method: method must be one of"),
    (
        dict(ig_steps=1, ig_method="adaptive_trapezoid"),
        "ig_steps: adaptive_trapezoid needs steps >= 2",
    ),
    (dict(ig_tolerance=0), "ig_tolerance must be a number in \\(0, 1\\)"),
    (dict(ig_max_steps=1), "ig_max_steps must be an int >= 2"),
    (dict(ig_map_tolerance=1.5), "ig_map_tolerance must be a number in \\(0, 1\\) or None"),
    (dict(ig_map_tolerance="2%"), "ig_map_tolerance must be a number in \\(0, 1\\) or None"),
    (dict(baseline="grey"), "baseline must be one of"),
    (dict(baseline=np.zeros((5, 5))), "baseline array of shape \\(5, 5\\) does not broadcast"),
    (dict(freq=0), "freq must be a positive int"),
    (dict(probe_masks=np.zeros((4, 3, 3))), "probe_masks must have shape"),
    (dict(target="label"), "target must be None, 'predicted'"),
    (
        dict(methods=["smoothgrad", "lime"]),
        "methods: unknown method name\\(s\\) \\['lime'\\]; expected names from "
        "\\['integrated_gradients', 'smoothgrad', 'smoothgrad_ig', 'guided_ig'\\]",
    ),
    (dict(methods="smoothgrad"), "methods must be a list of method names"),
    (dict(method_options={"integrated_gradients": {}}), "method_options names"),
    (
        dict(methods=["smoothgrad"], method_options={"smoothgrad": {"sigma": 1}}),
        "method_options\\['smoothgrad'\\]: unknown option\\(s\\) \\['sigma'\\]",
    ),
    (
        dict(methods=["guided_ig"], method_options={"guided_ig": {"steps": 0}}),
        "method_options\\['guided_ig'\\]\\['steps'\\] must be an int >= 1",
    ),
    (
        dict(methods=["smoothgrad_ig"], method_options={"smoothgrad_ig": {"noise_level": 2}}),
        "method_options\\['smoothgrad_ig'\\]\\['noise_level'\\] must be a number in",
    ),
]


@pytest.mark.parametrize(("kwargs", "match"), CONSTRUCTION_ERRORS)
def test_attributions_checks_its_arguments_at_construction(kwargs, match, tmp_path):
    arguments = {"probe_x": _x(), **kwargs}
    with pytest.raises(ValueError, match=match):
        Attributions(tmp_path, **arguments)


def test_other_callbacks_check_their_arguments(tmp_path):
    with pytest.raises(ValueError, match="freq must be a positive int"):
        WeightHistograms(tmp_path, freq=-1)
    with pytest.raises(ValueError, match="max_channels must be a positive int"):
        ActivationSummaries(tmp_path, _x(), max_channels=0)
    with pytest.raises(ValueError, match="layers must be None or a list"):
        ActivationSummaries(tmp_path, _x(), layers="conv")
    with pytest.raises(ValueError, match="probe_x is empty"):
        ActivationSummaries(tmp_path, np.zeros((0, *SHAPE)))


def test_probe_shape_must_match_the_model(model, tmp_path):
    _fit_fails(model, Attributions(tmp_path, _x(shape=(9, 9, 3))), "probe_x has examples of shape")
    _fit_fails(
        model, ActivationSummaries(tmp_path, _x(shape=(8, 8))), "probe_x has examples of shape"
    )


def test_labels_outside_the_model_classes(model, tmp_path):
    _fit_fails(
        model, Attributions(tmp_path, _x(), [0, 1, 2, 3]), "probe_y holds class ids from 0 to 3"
    )
    _fit_fails(
        model, Attributions(tmp_path, _x(), [-1, 0, 0, 0]), "probe_y holds class ids from -1"
    )
    _fit_fails(model, Attributions(tmp_path, _x(), target=7), "target: target classes must lie in")
    _fit_fails(
        model, Attributions(tmp_path, _x(), class_names=["a", "b"]), "class_names has 2 names"
    )


def test_unknown_layer_names(model, tmp_path):
    _fit_fails(
        model, ActivationSummaries(tmp_path, _x(), layers=["nope"]), "layers names \\['nope'\\]"
    )


def test_probe_structure_and_outputs_must_match_the_model(tmp_path):
    a, b = keras.Input(SHAPE, name="left"), keras.Input(SHAPE, name="right")
    merged = keras.layers.Flatten()(keras.layers.Add()([a, b]))
    two_in = keras.Model([a, b], keras.layers.Dense(3)(merged))
    two_in.compile(optimizer="sgd", loss="mse")
    for probe, match in [
        (_x(), r"probe_x is one array, but the model has 2 inputs \('left' \[8, 8, 3\]"),
        ([_x()], r"probe_x is a list of 1 items, but the model's inputs are 'left'"),
        ({"left": _x(), "other": _x()}, r"probe_x is a dict with keys \['left', 'other'\]"),
        ([_x(), _x(shape=(4, 4, 3))], r"probe_x input 'right' has examples of shape \(4, 4, 3\)"),
    ]:
        callback = Attributions(tmp_path, probe)
        callback.set_model(two_in)
        with pytest.raises(ValueError, match=match):
            callback.on_train_begin()
    c = keras.Input(SHAPE)
    flat = keras.layers.Flatten()(c)
    outputs = {"kind": keras.layers.Dense(3)(flat), "size": keras.layers.Dense(1)(flat)}
    two_out = keras.Model(c, outputs)
    callback = Attributions(tmp_path, _x())
    callback.set_model(two_out)
    with pytest.raises(ValueError, match=r"2 outputs \('kind', 'size'\): pass output="):
        callback.on_train_begin()
    callback = Attributions(tmp_path, _x(), output="nope")
    callback.set_model(two_out)
    with pytest.raises(ValueError, match=r"output 'nope' is not an output of the model"):
        callback.on_train_begin()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_log_dir_as_user(model, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    _fit_fails(model, WeightHistograms(locked), "log_dir .* cannot be written")


def test_unwritable_log_dir(model, tmp_path):
    # A regular file where the directory should be: unwritable even for root.
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    _fit_fails(model, WeightHistograms(blocker / "logs"), "log_dir .* cannot be written")
    _fit_fails(model, Attributions(blocker, _x()), "log_dir .* cannot be written")


def test_errors_leave_the_log_dir_empty_of_summaries(model, tmp_path):
    _fit_fails(model, Attributions(tmp_path, _x(), [0, 1, 2, 5]), "probe_y")
    assert not list(tmp_path.rglob("events.out.tfevents*"))


def test_dataset_probe_errors_surface_in_on_train_begin(model, tmp_path):
    empty = tf.data.Dataset.from_tensor_slices(np.zeros((0, *SHAPE), np.float32))
    _fit_fails(model, Attributions(tmp_path, empty), "probe_x: the dataset is empty")


def _fails_before_any_epoch(model, x, y, callback, match):
    epochs = []
    recorder = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epochs.append(e))
    with pytest.raises(ValueError, match=match):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[recorder, callback])
    assert epochs == []


def _text_model(embedding=True):
    inputs = keras.Input((6,), dtype="int32", name="ids")
    if embedding:
        hidden = keras.layers.GlobalAveragePooling1D()(
            keras.layers.Embedding(20, 4, name="embed")(inputs)
        )
    else:
        hidden = keras.layers.Lambda(lambda t: keras.ops.cast(t, "float32"))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


IDS = np.random.default_rng(0).integers(0, 20, (4, 6)).astype(np.int32)
LABELS = np.array([0, 1, 2, 0], np.int32)


def test_token_inputs_check_their_embedding_and_vocabulary(tmp_path):
    _fails_before_any_epoch(
        _text_model(embedding=False),
        IDS,
        LABELS,
        Attributions(tmp_path, IDS, LABELS),
        "integer inputs reach no keras.layers.Embedding.*pass embedding_layer=",
    )
    model = _text_model()
    _fails_before_any_epoch(
        model,
        IDS,
        LABELS,
        Attributions(tmp_path, IDS, LABELS, embedding_layer="nope"),
        "embedding_layer 'nope' is not a layer of the model",
    )
    short = [f"w{i}" for i in range(5)]
    _fails_before_any_epoch(
        model,
        IDS,
        LABELS,
        Attributions(tmp_path, IDS, LABELS, vocabulary=short),
        "vocabulary has 5 tokens but input 'ids' holds ids from 0 to 1[0-9]",
    )
    _fails_before_any_epoch(
        model,
        IDS,
        LABELS,
        Attributions(tmp_path, IDS, LABELS, baseline="white"),
        "baseline for token input 'ids' must be 'black'",
    )
    _fails_before_any_epoch(
        model,
        IDS,
        LABELS,
        Attributions(tmp_path, IDS, LABELS, feature_names=["a"] * 6),
        "feature_names is for tabular inputs, but the model's inputs are \\['tokens'\\]",
    )


def _dense(width, activation, loss, shape=(5,)):
    model = keras.Sequential([keras.Input(shape), keras.layers.Dense(width, activation=activation)])
    model.compile(optimizer="sgd", loss=loss)
    return model


ROWS = np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32)


def test_heads_check_their_labels_targets_and_names(tmp_path):
    binary = _dense(1, "sigmoid", "binary_crossentropy")
    _fails_before_any_epoch(
        binary,
        ROWS,
        np.zeros(4),
        Attributions(tmp_path, ROWS, [0, 1, 2, 1]),
        "probe_y of a binary model .* must hold labels 0 or 1",
    )
    _fails_before_any_epoch(
        binary,
        ROWS,
        np.zeros(4),
        Attributions(tmp_path, ROWS, [0, 1, 1, 0], class_names=["a", "b", "c"]),
        "class_names has 3 names but a binary model names its 2 classes",
    )
    regression = _dense(2, None, "mse")
    values = np.zeros((4, 2), np.float32)
    _fails_before_any_epoch(
        regression,
        ROWS,
        values,
        Attributions(tmp_path, ROWS, values, target=2),
        "target: target outputs must lie in \\[0, 2\\) for this regression model with 2 outputs",
    )
    _fails_before_any_epoch(
        regression,
        ROWS,
        values,
        Attributions(tmp_path, ROWS, np.zeros((4, 3))),
        "probe_y must hold target values \\[N, 2\\] for this regression model",
    )
    multiclass = _dense(3, "softmax", "sparse_categorical_crossentropy")
    _fails_before_any_epoch(
        multiclass,
        ROWS,
        np.zeros(4),
        Attributions(tmp_path, ROWS, [0.5, 1, 2, 0]),
        "probe_y must hold integer class ids for a multiclass model",
    )
    _fails_before_any_epoch(
        multiclass,
        ROWS,
        np.zeros(4),
        Attributions(tmp_path, ROWS, feature_names=["a", "b"]),
        "feature_names has 2 names but the input has 5 features",
    )


def test_modalities_and_masks_must_fit_the_input(tmp_path):
    series = keras.Sequential(
        [
            keras.Input((12, 2)),
            keras.layers.Conv1D(2, 3),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    series.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(2).normal(size=(4, 12, 2)).astype(np.float32)
    y = np.array([0, 1, 0, 1], np.int32)
    _fails_before_any_epoch(
        series,
        x,
        y,
        Attributions(tmp_path, x, y, modality="tabular"),
        "modality 'tabular' expects examples shaped \\[F\\]",
    )
    _fails_before_any_epoch(
        series,
        x,
        y,
        Attributions(tmp_path, x, y, probe_masks=np.zeros((4, 12, 2))),
        "probe_masks must have shape \\(4, 12\\) \\(one \\[T\\] mask of time steps",
    )
    _fails_before_any_epoch(
        series,
        x,
        y,
        Attributions(tmp_path, x, y, channel_names=["a", "b", "c"]),
        "channel_names has 3 names but the input has 2 channels",
    )
    _fails_before_any_epoch(
        series, x, y, Attributions(tmp_path, x, y, modality="video"), "modality must be one of"
    )


def test_sequence_masks_are_checked_by_modality_not_as_images(tmp_path):
    x = np.zeros((4, 50, 3), np.float32)
    Attributions(tmp_path, x, np.zeros(4, np.int32), probe_masks=np.zeros((4, 50), bool))
