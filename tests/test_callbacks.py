"""The callbacks on every supported kind of model and probe, read back through TensorBoard."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import tb_provider
from tensorboard import context
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.compat.proto import summary_pb2

from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms
from tb_attrib.summary import codec, metadata

SHAPE = (10, 10, 3)
CLASSES = 3


def _data(count=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (count, *SHAPE)).astype(np.float32)
    y = (x[:, :5].mean(axis=(1, 2, 3)) * 6).astype(np.int32) % CLASSES
    return x, y


def _blobs(provider, run, tag):
    ctx = context.RequestContext()
    series = provider.read_blob_sequences(
        ctx,
        experiment_id="",
        plugin_name=metadata.PLUGIN_NAME,
        downsample=10**6,
        run_tag_filter=None,
    )[run][tag]
    return {
        d.step: [provider.read_blob(ctx, blob_key=r.blob_key) for r in d.values] for d in series
    }


def _functional():
    inputs = keras.Input(SHAPE)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.Dropout(0.3)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax")(x))


def _sequential_with_input():
    return keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(CLASSES),
        ]
    )


def _sequential_without_input():
    return keras.Sequential(
        [
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ]
    )


class SubclassedNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = keras.layers.Conv2D(4, 3, activation="relu", name="sub_conv")
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.head = keras.layers.Dense(CLASSES)

    def call(self, x, training=False):
        return self.head(self.pool(self.conv(x)))


def _nested_backbone():
    backbone = keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Conv2D(4, 3, activation="relu", name="backbone_conv"),
            keras.layers.BatchNormalization(),
        ],
        name="backbone",
    )
    inputs = keras.Input(SHAPE)
    x = keras.layers.GlobalAveragePooling2D()(backbone(inputs))
    return keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax")(x))


MODELS = {
    "functional_bn_dropout": _functional,
    "sequential_input": _sequential_with_input,
    "sequential_no_input": _sequential_without_input,
    "subclassed": SubclassedNet,
    "nested_backbone": _nested_backbone,
}


def _fit(model, logdir, epochs=2, initial_epoch=0, **kwargs):
    x, y = _data()
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=not _ends_in_softmax(model)),
    )
    callbacks = [
        Attributions(
            logdir,
            x[:4],
            y[:4],
            class_names=["a", "b", "c"],
            ig_steps=8,
            alphas=[0.25, 1.0],
            **kwargs,
        ),
        ActivationSummaries(logdir, x[:4]),
        WeightHistograms(logdir),
    ]
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=epochs,
        initial_epoch=initial_epoch,
        verbose=0,
        callbacks=callbacks,
    )
    return callbacks


def _ends_in_softmax(model):
    from tb_attrib.engine.model_output import final_activation

    return final_activation(model) == "softmax"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_kind_writes_every_series(name, tmp_path):
    keras.utils.set_random_seed(0)
    model = MODELS[name]()
    _fit(model, tmp_path)
    provider = tb_provider(tmp_path)
    ctx = context.RequestContext()
    listed = provider.list_blob_sequences(ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME)
    tags = set(listed["probe"])
    assert {
        metadata.TAG_PROBE,
        metadata.TAG_INTERIOR_GRADIENTS,
        metadata.TAG_INTEGRATED_GRADIENTS,
    } <= tags
    assert any(t.startswith(metadata.TAG_FEATURE_MAPS_PREFIX) for t in tags), tags
    sweeps = _blobs(provider, "probe", metadata.TAG_INTERIOR_GRADIENTS)
    assert sorted(sweeps) == [0, 1]
    assert len(sweeps[1]) == 5  # digest + 4 examples
    example = codec.decode_record(sweeps[1][2])
    assert example.arrays["maps"].shape == (2, 10, 10)
    assert example.arrays["predictions"].shape == (2, CLASSES)
    scalars = provider.list_scalars(ctx, experiment_id="", plugin_name="scalars")
    assert "attributions/completeness_delta_max" in scalars["probe"]
    assert "interior_gradients/accuracy/alpha_0.25" in scalars["probe"]
    histograms = provider.list_tensors(ctx, experiment_id="", plugin_name="histograms")
    assert any(t.startswith("activations/") for t in histograms["probe"])
    assert any("kernel" in t for t in histograms["weights"])


def test_histograms_and_scalars_hold_the_values_of_the_last_epoch(tmp_path):
    """What TensorBoard's own dashboards read: every weight's histogram counts all of its
    values over its range, and the activation scalars are those of the probe."""
    keras.utils.set_random_seed(0)
    model = _functional()
    x, _ = _data()
    _fit(model, tmp_path, epochs=2)
    provider = tb_provider(tmp_path)
    ctx = context.RequestContext()
    histograms = provider.read_tensors(
        ctx, experiment_id="", plugin_name="histograms", downsample=100
    )
    weights = {(v.path or v.name).replace(":", "_"): v.numpy() for v in model.weights}
    assert set(histograms["weights"]) == set(weights)
    for tag, value in weights.items():
        last = max(histograms["weights"][tag], key=lambda d: d.step)
        buckets = last.numpy  # [k, 3]: left edge, right edge, count
        assert last.step == 1
        assert buckets[:, 2].sum() == value.size
        assert buckets[0, 0] <= value.min() + 1e-6 and buckets[-1, 1] >= value.max() - 1e-6
    conv = keras.Model(model.input, model.get_layer("conv_a").output)(x[:4]).numpy()
    scalars = provider.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=100)
    probe = scalars["probe"]
    for name, expected in (
        ("mean", conv.mean()),
        ("std", conv.std()),
        ("fraction_zero", np.mean(conv == 0.0)),
    ):
        last = max(probe[f"activations/conv_a/{name}"], key=lambda d: d.step)
        assert last.value == pytest.approx(float(expected), rel=1e-4, abs=1e-6)
    count = max(histograms["probe"]["activations/conv_a"], key=lambda d: d.step)
    assert count.numpy[:, 2].sum() == conv.size


def test_series_have_the_blob_sequence_data_class(tmp_path):
    keras.utils.set_random_seed(0)
    _fit(_functional(), tmp_path, epochs=1)
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    content = multiplexer.AllSummaryMetadata()["probe"]
    ours = {t: m for t, m in content.items() if m.plugin_data.plugin_name == metadata.PLUGIN_NAME}
    assert len(ours) >= 4
    assert all(m.data_class == summary_pb2.DATA_CLASS_BLOB_SEQUENCE for m in ours.values())


def test_callbacks_leave_batchnorm_statistics_unchanged(tmp_path):
    keras.utils.set_random_seed(0)
    model = _functional()
    x, y = _data()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    bn = model.get_layer("bn")
    callbacks = [
        Attributions(tmp_path, x[:4], y[:4], ig_steps=8),
        ActivationSummaries(tmp_path, x[:4]),
    ]
    for cb in callbacks:
        cb.set_model(model)
        cb.on_train_begin()
    before = [w.numpy().copy() for w in bn.weights]
    for cb in callbacks:
        cb.on_epoch_begin(0)
        cb.on_epoch_end(0)
        cb.on_train_end()
    for w, old in zip(bn.weights, before, strict=True):
        np.testing.assert_array_equal(w.numpy(), old)


def test_probe_may_be_a_tensor_or_a_dataset_with_one_hot_labels(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _data()
    one_hot = np.eye(CLASSES, dtype=np.float32)[y]
    probes = {
        "tensor": (tf.constant(x[:4]), tf.constant(y[:4])),
        "batched": (tf.data.Dataset.from_tensor_slices((x, one_hot)).batch(3), None),
        "unbatched": (tf.data.Dataset.from_tensor_slices((x, y)), None),
    }
    for name, (px, py) in probes.items():
        model = _sequential_with_input()
        model.compile(
            optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        cb = Attributions(tmp_path / name, px, py, ig_steps=4, alphas=[1.0], probe_size=5)
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
        blobs = _blobs(tb_provider(tmp_path / name), "probe", metadata.TAG_PROBE)
        digest = codec.decode_record(blobs[0][0])
        expected = 4 if name == "tensor" else 5
        assert digest.fields["num_examples"] == expected
        np.testing.assert_array_equal(digest.arrays["labels"], y[:expected])


@pytest.mark.parametrize("update_freq", ["epoch", 2])
def test_epochs_line_up_with_keras_tensorboard_and_initial_epoch(tmp_path, update_freq):
    """Keras's callback with a batch-level update_freq sets a global record_if condition that
    drops most epoch-end summaries, its own included; ours must still land on every epoch."""
    keras.utils.set_random_seed(0)
    model = _functional()
    x, y = _data()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callbacks = [
        keras.callbacks.TensorBoard(str(tmp_path), update_freq=update_freq),
        Attributions(tmp_path, x[:4], y[:4], ig_steps=4, alphas=[1.0]),
        WeightHistograms(tmp_path, freq=2),
    ]
    model.fit(x, y, batch_size=8, epochs=5, initial_epoch=2, verbose=0, callbacks=callbacks)
    provider = tb_provider(tmp_path)
    ctx = context.RequestContext()
    ours = _blobs(provider, "probe", metadata.TAG_INTEGRATED_GRADIENTS)
    assert set(ours) == {2, 3, 4}
    if update_freq == "epoch":
        keras_loss = provider.read_scalars(
            ctx, experiment_id="", plugin_name="scalars", downsample=100
        )["train"]["epoch_loss"]
        assert {d.step for d in keras_loss} == {2, 3, 4}
    assert set(_blobs(provider, "probe", metadata.TAG_PROBE)) == {2}
    weight_steps = {
        d.step
        for series in provider.read_tensors(
            ctx, experiment_id="", plugin_name="histograms", downsample=100
        )["weights"].values()
        for d in series
    }
    assert weight_steps == {2, 4}


def test_masks_give_a_localization_score(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _data()
    masks = np.zeros((4, 10, 10), bool)
    masks[:, 2:6, 2:6] = True
    model = _functional()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[Attributions(tmp_path, x[:4], y[:4], ig_steps=8, probe_masks=masks)],
    )
    provider = tb_provider(tmp_path)
    scalars = provider.read_scalars(
        context.RequestContext(), experiment_id="", plugin_name="scalars", downsample=10
    )["probe"]["attributions/localization"]
    assert 0.0 <= scalars[0].value <= 1.0
    probe = _blobs(provider, "probe", metadata.TAG_PROBE)[0]
    np.testing.assert_array_equal(codec.decode_record(probe[1]).arrays["mask"], masks[0])


def test_mixed_bfloat16_policy(tmp_path):
    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = _functional()
        cbs = _fit(model, tmp_path, epochs=1)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    ig = _blobs(tb_provider(tmp_path), "probe", metadata.TAG_INTEGRATED_GRADIENTS)[0]
    digest = codec.decode_record(ig[0])
    assert np.all(np.isfinite(digest.arrays["delta"]))
    assert cbs[0]._engine is not None


def test_nonfinite_and_zero_gradients_warn_once_and_training_goes_on(tmp_path):
    x, y = _data()
    zero = keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(CLASSES, kernel_initializer="zeros"),
        ]
    )
    zero.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    with pytest.warns(RuntimeWarning, match="all gradients are zero"):
        zero.fit(
            x,
            np.eye(CLASSES)[y],
            epochs=2,
            verbose=0,
            callbacks=[Attributions(tmp_path / "zero", x[:2], ig_steps=4, alphas=[1.0])],
        )

    class Exploding(keras.layers.Layer):
        def call(self, inputs):
            return tf.math.sqrt(inputs - 0.5)  # NaN gradient below 0.5

    nan_model = keras.Sequential(
        [keras.Input(SHAPE), Exploding(), keras.layers.Flatten(), keras.layers.Dense(CLASSES)]
    )
    nan_model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    history = None
    with pytest.warns(RuntimeWarning, match="NaN or infinite gradients"):
        history = nan_model.fit(
            x,
            np.eye(CLASSES)[y],
            epochs=2,
            verbose=0,
            callbacks=[Attributions(tmp_path / "nan", x[:2], ig_steps=4, alphas=[1.0])],
        )
    assert len(history.history["loss"]) == 2
    ig = _blobs(tb_provider(tmp_path / "nan"), "probe", metadata.TAG_INTEGRATED_GRADIENTS)
    assert sorted(ig) == [0, 1]
    assert np.isnan(codec.decode_record(ig[1][0]).arrays["delta"]).any()


def test_adaptive_rule_through_the_callback_records_its_method_and_steps(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _data()
    model = _functional()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callback = Attributions(tmp_path, x[:4], y[:4], ig_steps=12, ig_method="adaptive_trapezoid")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    records = _blobs(tb_provider(tmp_path), "probe", metadata.TAG_INTEGRATED_GRADIENTS)[0]
    digest = codec.decode_record(records[0])
    assert digest.fields["method"] == "adaptive_trapezoid" and digest.fields["steps"] == 12
    assert [codec.decode_record(r).fields["steps"] for r in records[1:]] == [12] * 4
    assert np.all(np.isfinite(digest.arrays["delta"]))


def test_auto_steps_that_hit_the_cap_warn_once_per_fit(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _data()
    model = _functional()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callback = Attributions(tmp_path, x[:4], y[:4], ig_max_steps=2, alphas=[1.0])
    with pytest.warns(RuntimeWarning, match="reached ig_max_steps=2") as caught:
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    assert sum("ig_max_steps" in str(w.message) for w in caught) == 1


def test_each_callback_reports_its_cost_once_per_fit(tmp_path, capsys):
    keras.utils.set_random_seed(0)
    x, y = _data()
    model = _functional()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callbacks = [
        Attributions(tmp_path, x[:4], y[:4], ig_steps=8, alphas=[1.0]),
        ActivationSummaries(tmp_path, x[:4]),
        WeightHistograms(tmp_path),
    ]
    model.fit(x, y, epochs=3, verbose=2, callbacks=callbacks)
    printed = capsys.readouterr().out
    for name in ("Attributions", "ActivationSummaries", "WeightHistograms"):
        assert printed.count(f"tb_attrib {name}: ") == 1, printed
    assert re.search(r"tb_attrib Attributions: [0-9.]+ s per written epoch, [0-9.]+% of", printed)
    scalars = tb_provider(tmp_path).read_scalars(
        context.RequestContext(), experiment_id="", plugin_name="scalars", downsample=100
    )["probe"]
    shares = [p.value for p in scalars["overhead/Attributions/share_of_epoch"]]
    assert len(shares) == 3 and all(0 < s < 1 for s in shares)
    model.fit(x, y, epochs=2, verbose=0, callbacks=callbacks)  # silent with verbose=0
    assert "tb_attrib" not in capsys.readouterr().out


def test_a_high_share_names_freq():
    from tb_attrib.callbacks import overhead

    meter = overhead.OverheadMeter("Attributions")
    for _ in range(2):
        meter.epoch_started = 0.0
        seconds, share = meter.measure(1.0, 2.0)  # 1 s of work after 1 s of training
    assert share == pytest.approx(0.5)
    assert "freq=3 (now freq=1)" in meter.report(seconds, share, freq=1)
    assert meter.report(seconds, share, freq=1) is None  # once per fit
