"""Every head and every modality, end to end: a real Keras model trained a few epochs with all
three callbacks, its series read back through TensorBoard's data provider, completeness within
1% on its path at the defaults."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from conftest import series_records, tb_provider
from tensorboard import context

import tb_attrib
from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms
from tb_attrib.summary import metadata

RNG = np.random.default_rng(0)
N = 48


def _records(logdir, tag):
    return series_records(logdir, tag)


def _scalars(logdir):
    provider = tb_provider(logdir)
    found = provider.read_scalars(
        context.RequestContext(), experiment_id="", plugin_name="scalars", downsample=100
    )
    return {tag: [p.value for p in points] for tag, points in found.get("probe", {}).items()}


def _image():
    x = RNG.uniform(0, 1, (N, 8, 8, 3)).astype(np.float32)
    return x, keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
        ]
    )


def _series():
    x = RNG.normal(size=(N, 60, 2)).astype(np.float32)
    return x, keras.Sequential(
        [
            keras.Input((60, 2)),
            keras.layers.Conv1D(4, 5, activation="gelu"),
            keras.layers.GlobalAveragePooling1D(),
        ]
    )


def _tabular():
    x = RNG.normal(size=(N, 12)).astype(np.float32)
    return x, keras.Sequential([keras.Input((12,)), keras.layers.Dense(8, activation="tanh")])


def _tokens():
    x = RNG.integers(1, 30, (N, 10)).astype(np.int32)
    x[:, 7:] = 0  # padding
    return x, keras.Sequential(
        [
            keras.Input((10,), dtype="int32"),
            keras.layers.Embedding(30, 6, mask_zero=True),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(8, activation="tanh"),
        ]
    )


MODALITIES = {"image": _image, "sequence": _series, "tabular": _tabular, "tokens": _tokens}

HEADS = {
    # name: (final layer, loss, labels from a [N] signal, predictions width)
    "multiclass": (
        lambda: keras.layers.Dense(3, activation="softmax"),
        "sparse_categorical_crossentropy",
        lambda s: (np.argsort(np.argsort(s)) * 3 // len(s)).astype(np.int32),
        3,
    ),
    "binary": (
        lambda: keras.layers.Dense(1, activation="sigmoid"),
        "binary_crossentropy",
        lambda s: (s > np.median(s)).astype(np.int32),
        2,
    ),
    "multilabel": (
        lambda: keras.layers.Dense(3, activation="sigmoid"),
        "binary_crossentropy",
        lambda s: np.stack([s > np.median(s), s < np.median(s), s > 0], 1).astype(np.float32),
        3,
    ),
    "regression": (
        lambda: keras.layers.Dense(2),
        "mse",
        lambda s: np.stack([s, -2 * s], 1).astype(np.float32),
        2,
    ),
}


def _signal(x):
    flat = np.asarray(x, np.float32).reshape(len(x), -1)
    return flat[:, : flat.shape[1] // 2].mean(axis=1) - flat.mean(axis=1)


def _train(modality, head, logdir, epochs=2, **kwargs):
    keras.utils.set_random_seed(0)
    x, body = MODALITIES[modality]()
    final, loss, labels, _ = HEADS[head]
    model = keras.Sequential([body, final()])
    model.compile(optimizer="adam", loss=loss)
    y = labels(_signal(x))
    callbacks = [
        Attributions(logdir, x[:4], y[:4], alphas=[0.5, 1.0], **kwargs),
        ActivationSummaries(logdir, x[:4]),
        WeightHistograms(logdir),
    ]
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=callbacks)
    return model, x, y


@pytest.mark.slow
@pytest.mark.parametrize("head", sorted(HEADS))
@pytest.mark.parametrize("modality", sorted(MODALITIES))
def test_every_head_and_modality_writes_and_keeps_completeness(modality, head, tmp_path):
    _train(modality, head, tmp_path)
    probe = _records(tmp_path, metadata.TAG_PROBE)[0]
    described = probe[0].fields["inputs"][0]
    assert described["modality"] == modality
    assert probe[0].fields["head"]["kind"] == head
    key = {"image": "image", "sequence": "values", "tabular": "values", "tokens": "ids"}
    assert key[modality] in probe[1].arrays
    sweeps = _records(tmp_path, metadata.TAG_INTERIOR_GRADIENTS)
    igs = _records(tmp_path, metadata.TAG_INTEGRATED_GRADIENTS)
    assert sorted(sweeps) == sorted(igs) == [0, 1]
    width = HEADS[head][3]
    assert sweeps[1][0].arrays["predictions"].shape == (4, 2, width)
    map_shape = {"image": (8, 8), "sequence": (60, 2), "tabular": (12,), "tokens": (10,)}
    assert sweeps[1][1].arrays["maps"].shape == (2, *map_shape[modality])
    assert igs[1][1].arrays["map"].shape == map_shape[modality]
    digest = igs[1][0]
    change = np.abs(digest.arrays["score_input"] - digest.arrays["score_baseline"])
    assert np.all(digest.arrays["relative_delta"] <= 0.01), (digest.arrays, change)
    np.testing.assert_allclose(
        digest.arrays["attribution_sum"]
        - (digest.arrays["score_input"] - digest.arrays["score_baseline"]),
        digest.arrays["delta"],
        atol=1e-5,
    )
    scalars = _scalars(tmp_path)
    metric = "mean_absolute_error" if head == "regression" else "accuracy"
    assert f"interior_gradients/{metric}/alpha_0.5" in scalars
    assert len(scalars["attributions/completeness_delta_max"]) == 2


def test_binary_head_explains_the_labelled_class(tmp_path):
    model, x, y = _train("tabular", "binary", tmp_path, epochs=1)
    igs = _records(tmp_path, metadata.TAG_INTEGRATED_GRADIENTS)[0]
    p = model(x[:4], training=False).numpy()[:, 0]
    score = igs[0].arrays["score_input"]
    np.testing.assert_allclose(score, np.where(y[:4] == 1, p, 1 - p), rtol=1e-5)
    np.testing.assert_array_equal(igs[0].arrays["targets"], y[:4])
    sweep = _records(tmp_path, metadata.TAG_INTERIOR_GRADIENTS)[0][0]
    np.testing.assert_allclose(sweep.arrays["predictions"][:, -1].sum(axis=-1), 1.0, rtol=1e-6)


def test_text_completeness_holds_on_the_embedding_path():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((10,), dtype="int32")
    embedding = keras.layers.Embedding(30, 6, name="embed")
    hidden = keras.layers.GlobalAveragePooling1D()(embedding(inputs))
    hidden = keras.layers.Dense(8, activation="gelu")(hidden)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    ids = RNG.integers(0, 30, (5, 10)).astype(np.int32)
    ig = tb_attrib.integrated_gradients(model, ids, target=1, steps=64)
    assert ig.attributions.shape == (5, 10)
    # F at the baseline: the model from the embedding's output on, fed zero embeddings.
    after = keras.Model(embedding.output, model.output)
    at_zero = after(np.zeros((5, 10, 6), np.float32)).numpy()[:, 1]
    np.testing.assert_allclose(ig.score_baseline, at_zero, rtol=1e-5)
    change = ig.score_input - at_zero
    np.testing.assert_allclose(ig.attributions.sum(axis=1), change, rtol=1e-3, atol=1e-6)
    # A token id as the baseline: every position starts from that token's embedding.
    pad = tb_attrib.integrated_gradients(model, ids, target=1, steps=64, baseline=0)
    start = after(embedding(np.zeros((5, 10), np.int32)).numpy()).numpy()
    np.testing.assert_allclose(pad.score_baseline, start[:, 1], rtol=1e-5)


def test_several_inputs_have_one_delta_and_fixed_inputs_stay_fixed(tmp_path):
    keras.utils.set_random_seed(2)
    image = keras.Input((6, 6, 1), name="image")
    meta = keras.Input((4,), name="meta")
    weight = keras.Input((1,), name="weight")
    hidden = keras.layers.Concatenate()([keras.layers.Flatten()(image), meta])
    hidden = keras.layers.Dense(8, activation="tanh")(hidden)
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.Multiply()([hidden, weight]))
    out = keras.layers.Dense(2, activation="softmax")(out)
    model = keras.Model({"image": image, "meta": meta, "weight": weight}, out)
    x = {
        "image": RNG.uniform(size=(6, 6, 6, 1)).astype(np.float32),
        "meta": RNG.normal(size=(6, 4)).astype(np.float32),
        "weight": RNG.uniform(0.5, 1.5, (6, 1)).astype(np.float32),
    }
    ig = tb_attrib.integrated_gradients(model, x, steps=128, fixed_inputs=["weight"])
    assert set(ig.attributions) == {"image", "meta", "weight"}
    assert ig.attributions["weight"] is None
    total = ig.attributions["image"].reshape(6, -1).sum(1) + ig.attributions["meta"].sum(1)
    np.testing.assert_allclose(total - (ig.score_input - ig.score_baseline), ig.delta, atol=1e-5)
    assert np.all(np.abs(ig.delta) <= 0.01 * np.abs(ig.score_input - ig.score_baseline) + 1e-6)
    # Through the callback, as a list in the model's order, with the same delta.
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    names = [t.name for t in model.inputs]
    probe = [x[name] for name in names]
    callback = Attributions(
        tmp_path, probe, np.zeros(6, np.int32), fixed_inputs=["weight"], ig_steps=128
    )
    activations = ActivationSummaries(tmp_path, x)  # the same probes, here as a dict
    model.fit(probe, np.zeros(6, np.int32), epochs=1, verbose=0, callbacks=[callback, activations])
    assert any(t.startswith("activations/dense") for t in _scalars(tmp_path))
    record = _records(tmp_path, metadata.TAG_INTEGRATED_GRADIENTS)[0][1]
    inputs = _records(tmp_path, metadata.TAG_PROBE)[0][0].fields["inputs"]
    assert [d["name"] for d in inputs] == names
    assert [d["attributed"] for d in inputs] == [n != "weight" for n in names]
    tails = {"" if j == 0 else f"@{j}" for j, n in enumerate(names) if n != "weight"}
    assert {k[len("map") :] for k in record.arrays if k.startswith("map")} == tails


def test_several_outputs_explain_the_named_one(tmp_path):
    keras.utils.set_random_seed(3)
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(6, activation="relu")(inputs)
    outputs = {
        "kind": keras.layers.Dense(3, activation="softmax", name="kind")(hidden),
        "size": keras.layers.Dense(1, name="size")(hidden),
    }
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss={"kind": "sparse_categorical_crossentropy", "size": "mse"})
    x = RNG.normal(size=(16, 5)).astype(np.float32)
    y = {"kind": (x[:, 0] > 0).astype(np.int32), "size": x[:, 1:2]}
    callback = Attributions(tmp_path, x[:4], y["size"][:4], output="size", head="regression")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    probe = _records(tmp_path, metadata.TAG_PROBE)[0][0]
    assert probe.fields["head"] == {
        "kind": "regression",
        "width": 1,
        "output_kind": "logits",
        "output": "size",
    }
    np.testing.assert_allclose(probe.arrays["label_values"], y["size"][:4])
    ig = _records(tmp_path, metadata.TAG_INTEGRATED_GRADIENTS)[0][0]
    np.testing.assert_allclose(
        ig.arrays["score_input"], model(x[:4])["size"].numpy()[:, 0], rtol=1e-5
    )


def test_label_and_predicted_writes_a_second_map_for_mistakes(tmp_path):
    keras.utils.set_random_seed(4)
    x = RNG.normal(size=(8, 6)).astype(np.float32)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    predicted = model(x).numpy().argmax(1)
    y = predicted.copy()
    y[[1, 4]] = (predicted[[1, 4]] + 1) % 3  # two mistakes, as the model stands
    callback = Attributions(tmp_path, x, y, target="label_and_predicted", ig_steps=64)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    records = _records(tmp_path, metadata.TAG_INTEGRATED_GRADIENTS)[0]
    now = model(x).numpy().argmax(1)
    for i, record in enumerate(records[1:]):
        assert record.fields["target"] == y[i]
        if now[i] != y[i]:
            assert record.fields["predicted_target"] == now[i]
            assert record.arrays["predicted_map"].shape == (6,)
        else:
            assert "predicted_target" not in record.fields
    assert any(now != y)


def test_a_second_fit_starts_afresh(tmp_path):
    """Per-fit state (probe written, warnings, feature-map channels) is reset in
    on_train_begin: a second fit into another log directory writes its own probe."""
    keras.utils.set_random_seed(5)
    x, body = _image()
    model = keras.Sequential([body, keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    y = HEADS["multiclass"][2](_signal(x))
    attributions = Attributions(tmp_path / "a", x[:4], y[:4], ig_steps=8, alphas=[1.0])
    activations = ActivationSummaries(tmp_path / "a", x[:4], max_channels=2)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[attributions, activations])
    chosen = dict(activations._channels)
    for callback in (attributions, activations):
        callback.log_dir = str(tmp_path / "b")
        callback.run_dir = str(tmp_path / "b" / "probe")
    model.fit(x, y, epochs=2, initial_epoch=1, verbose=0, callbacks=[attributions, activations])
    assert sorted(_records(tmp_path / "b", metadata.TAG_PROBE)) == [1]
    assert set(activations._channels) == set(chosen)


def test_a_dataset_of_dicts_is_a_probe(tmp_path):
    import tensorflow as tf

    keras.utils.set_random_seed(6)
    image = keras.Input((6, 6, 1), name="image")
    meta = keras.Input((4,), name="meta")
    hidden = keras.layers.Concatenate()([keras.layers.Flatten()(image), meta])
    model = keras.Model(
        {"image": image, "meta": meta}, keras.layers.Dense(2, activation="softmax")(hidden)
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = {
        "image": RNG.uniform(size=(10, 6, 6, 1)).astype(np.float32),
        "meta": RNG.normal(size=(10, 4)).astype(np.float32),
    }
    y = (x["meta"][:, 0] > 0).astype(np.int32)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    callback = Attributions(tmp_path, dataset, probe_size=6, ig_steps=16, alphas=[1.0])
    model.fit(dataset, epochs=1, verbose=0, callbacks=[callback])
    probe = _records(tmp_path, metadata.TAG_PROBE)[0]
    assert [d["name"] for d in probe[0].fields["inputs"]] == ["image", "meta"]
    np.testing.assert_array_equal(probe[0].arrays["labels"], y[:6])
    np.testing.assert_allclose(probe[1].arrays["values@1"], x["meta"][0])
