"""Can the map be trusted? Faithfulness curves, the sanity check by model randomisation and
stability over training: the engine's numbers against hand computations and SciPy, the
callback's records and scalars, and its bad inputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import scipy.stats
from conftest import series_records, tb_provider
from tensorboard import context

import tb_attrib
from tb_attrib.callbacks import Attributions
from tb_attrib.engine import AttributionEngine, faithfulness, randomisation, rank

# ---- rank ---------------------------------------------------------------------------------


def test_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    a = np.round(rng.normal(size=(6, 50)), 1)
    a[:, :20] = 0.0  # many exact zeros, as a black baseline gives
    b = a + rng.normal(scale=0.5, size=a.shape)
    b[:, :10] = 0.0
    ours = rank.spearman(a, b)
    theirs = [scipy.stats.spearmanr(x, y).statistic for x, y in zip(a, b, strict=True)]
    np.testing.assert_allclose(ours, theirs, atol=1e-6)
    assert np.isnan(rank.spearman(np.ones((1, 5)), np.arange(5.0)[None]))[0]


def test_settled_epoch_is_where_the_correlation_stays_above_the_threshold():
    epochs = [0, 1, 2, 3, 4, 5]
    assert rank.settled_epoch(epochs, [np.nan, 0.5, 0.95, 0.7, 0.92, 0.96]) == 4
    assert rank.settled_epoch(epochs, [np.nan, 0.95, 0.95, 0.95, 0.95, 0.8]) is None
    assert rank.settled_epoch(epochs, [np.nan, 0.91, 0.95, 0.95, 0.95, 0.93]) == 1


# ---- faithfulness -------------------------------------------------------------------------


def _linear(weights):
    model = keras.Sequential([keras.Input((len(weights),)), keras.layers.Dense(1, use_bias=False)])
    model.layers[-1].set_weights([np.asarray(weights, np.float32)[:, None]])
    return model


def test_curves_of_a_linear_model_are_the_hand_computed_ones():
    # F(x) = w . x with a zero baseline: IG = w * x exactly, and the score after any set of
    # units is put back is the sum of their contributions.
    w = np.array([3.0, -1.0, 0.5, 2.0, 0.0, 1.0, -2.0, 0.25, 1.5, -0.5])
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 1.5, (4, w.size)).astype(np.float32)
    engine = AttributionEngine(_linear(w), head="regression")
    targets = engine.targets(None, x)
    ig = engine.integrated_gradients(x, target=targets, steps=4)
    contributions = w * x
    np.testing.assert_allclose(ig.attributions, contributions, rtol=1e-5)
    result = faithfulness.evaluate(engine, x, [ig.attributions], targets, fraction=0.3)
    moved = np.array([0, 3, 6, 9, 10])
    np.testing.assert_allclose(result.fractions, moved / 10)
    assert result.evaluations == 3 * 3 + 2
    units = faithfulness.unit_maps([ig.attributions], ["tabular"])
    by_attribution, at_random = faithfulness.orders(units)
    for i in range(4):
        order = np.argsort(by_attribution[i])  # units, highest attribution first
        random_order = np.argsort(at_random[i])
        total = contributions[i].sum()
        deletion = [total - contributions[i, order[:m]].sum() for m in moved]
        insertion = [contributions[i, order[:m]].sum() for m in moved]
        random = [contributions[i, random_order[:m]].sum() for m in moved]
        np.testing.assert_allclose(result.deletion[i], deletion, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(result.insertion[i], insertion, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(result.random[i], random, rtol=1e-4, atol=1e-5)
    areas = np.trapezoid(result.deletion, result.fractions, axis=1)
    np.testing.assert_allclose(result.deletion_auc, areas, rtol=1e-5)
    # Exact attributions beat any random order on both curves.
    assert np.all(result.deletion_auc < result.random_auc)
    assert np.all(result.insertion_auc > result.random_auc)
    # Chunks of 5 inputs give the same numbers (one compiled function, chunked stream).
    chunked = faithfulness.evaluate(
        engine, x, [ig.attributions], targets, fraction=0.3, batch_size=5
    )
    np.testing.assert_allclose(chunked.deletion, result.deletion, rtol=1e-6)


def test_units_per_modality_and_the_baseline_replaces_whole_units():
    # An image is ranked by pixels (channels together), tokens through their embeddings.
    image = keras.Sequential(
        [keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(2, "softmax")]
    )
    x = np.random.default_rng(0).uniform(size=(3, 4, 4, 3)).astype(np.float32)
    engine = AttributionEngine(image)
    targets = engine.targets(None, x)
    ig = engine.integrated_gradients(x, target=targets, steps=8)
    result = faithfulness.evaluate(engine, x, [ig.attributions], targets, fraction=0.25)
    assert result.fractions.tolist() == [0, 0.25, 0.5, 0.75, 1.0]  # 16 pixels, 4 per step
    np.testing.assert_allclose(result.deletion[:, 0], ig.score_input, rtol=1e-5)
    np.testing.assert_allclose(result.insertion[:, 0], ig.score_baseline, rtol=1e-5)
    ids = np.array([[3, 5, 7, 0, 0, 0], [1, 2, 3, 4, 5, 6]], np.int32)
    inputs = keras.Input((6,), dtype="int32")
    hidden = keras.layers.Embedding(10, 4, mask_zero=True)(inputs)
    text = keras.Model(
        inputs, keras.layers.Dense(2, "softmax")(keras.layers.GlobalAveragePooling1D()(hidden))
    )
    engine = AttributionEngine(text)
    targets = engine.targets(None, ids)
    ig = engine.integrated_gradients(ids, target=targets, steps=8)
    result = faithfulness.evaluate(engine, ids, [ig.attributions], targets, fraction=0.5)
    assert result.deletion.shape == (2, 3) and np.all(np.isfinite(result.deletion))
    np.testing.assert_allclose(result.deletion[:, 0], ig.score_input, rtol=1e-5)


# ---- randomisation ------------------------------------------------------------------------


def _cnn(top_activation=False):
    inputs = keras.Input((6, 6, 1))
    h = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(inputs)
    h = keras.layers.GlobalAveragePooling2D(name="pool")(h)
    if top_activation:
        out = keras.layers.Activation("softmax", name="probs")(keras.layers.Dense(2, name="d")(h))
    else:
        out = keras.layers.Dense(2, activation="softmax", name="d")(h)
    return keras.Model(inputs, out)


def test_the_view_is_the_model_with_a_fresh_top_layer_and_never_touches_it():
    keras.utils.set_random_seed(0)
    model = _cnn()
    before = [w.copy() for w in model.get_weights()]
    x = np.random.default_rng(0).uniform(size=(5, 6, 6, 1)).astype(np.float32)
    view = randomisation.RandomisedView(model, model.get_layer("d"))
    fresh = [keras.ops.convert_to_numpy(view._fresh[id(v)]) for v in model.get_layer("d").weights]
    # The same network by hand: the model's weights, the top layer's replaced.
    twin = keras.models.clone_model(model)
    twin.set_weights(before[:-2] + fresh)
    got = keras.ops.convert_to_numpy(view(x))
    np.testing.assert_allclose(got, twin.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert not np.allclose(got, model.predict(x, verbose=0), atol=1e-3)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fresh[0], before[-2])  # a fresh kernel, seeded:
    again = randomisation.RandomisedView(model, model.get_layer("d"))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(again._fresh[id(model.layers[-1].kernel)]), fresh[0]
    )
    # A later weight of the model is read at the next call: the view follows training.
    model.get_layer("conv").kernel.assign(model.get_layer("conv").kernel * 2.0)
    twin.get_layer("conv").kernel.assign(twin.get_layer("conv").kernel * 2.0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(view(x)), twin.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_a_weightless_top_layer_names_the_layer_to_use():
    model = _cnn(top_activation=True)
    with pytest.raises(ValueError, match=r"top layer 'probs' .*sanity_layer='d'"):
        randomisation.choose_layer(model)
    assert randomisation.choose_layer(model, "d").name == "d"
    with pytest.raises(ValueError, match=r"sanity_layer='nope' is not a layer.*'conv', 'd'"):
        randomisation.choose_layer(model, "nope")


# ---- the callback -------------------------------------------------------------------------


def _data(n=24):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(n, 6, 6, 1)).astype(np.float32)
    y = (x[:, :3].mean(axis=(1, 2, 3)) > 0.5).astype(np.int32)
    return x, y


def _fit(model, callback, epochs=2, seen=None):
    x, y = _data()
    seen = [] if seen is None else seen
    recorder = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(e))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=epochs, verbose=0, callbacks=[recorder, callback])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(faithfulness_fraction=0), r"faithfulness_fraction must be a number in \(0, 1\)"),
        (dict(faithfulness_fraction=1.0), r"faithfulness_fraction must be a number in \(0, 1\)"),
        (dict(faithfulness_fraction="half"), "faithfulness_fraction must be a number"),
        (dict(sanity_freq=0), "sanity_freq must be a positive int"),
        (dict(sanity_freq=2.5), "sanity_freq must be a positive int"),
        (dict(sanity_freq="often"), "sanity_freq must be a positive int"),
        (dict(sanity_freq=-1), "sanity_freq must be a positive int"),
        (dict(sanity_layer=3), "sanity_layer must be a layer name"),
        (dict(sanity_steps=1), "sanity_steps must be an int >= 2"),
        (dict(faithfulness_baseline="grey"), "faithfulness_baseline must be one of"),
    ],
)
def test_bad_options_fail_at_construction(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        Attributions(tmp_path, _data(4)[0], **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "top layer 'probs' \\(Activation\\) has no weights.*sanity_layer='d'"),
        (dict(sanity_layer="pool"), "sanity_layer 'pool' .* has no weights.*sanity_layer='conv'"),
        (dict(sanity_layer="nope"), "sanity_layer='nope' is not a layer"),
    ],
)
def test_a_top_layer_without_weights_fails_before_any_epoch(kwargs, match, tmp_path):
    x, y = _data(4)
    callback = Attributions(tmp_path, x, y, **kwargs)
    seen = []
    with pytest.raises(ValueError, match=match):
        _fit(_cnn(top_activation=True), callback, seen=seen)
    assert seen == []


def _scalars(logdir, tag):
    data = tb_provider(logdir).read_scalars(
        context.RequestContext(), experiment_id="", plugin_name="scalars", downsample=10**6
    )
    return {point.step: point.value for point in data["probe"][tag]}


def test_the_callback_writes_the_checks_of_every_epoch(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _data(6)
    callback = Attributions(tmp_path, x, y, sanity_freq=2, ig_steps=16)
    _fit(_cnn(), callback, epochs=4)
    records = series_records(tmp_path, "tb_attrib/integrated_gradients")
    assert sorted(records) == [0, 1, 2, 3]
    for epoch, (digest, *examples) in sorted(records.items()):
        arrays = digest.arrays
        for name in ("deletion_auc", "insertion_auc", "random_auc", "stability"):
            assert arrays[name].shape == (6,), name
        assert np.all(np.isnan(arrays["stability"])) == (epoch == 0)
        assert ("sanity" in arrays) == (epoch in (1, 3))  # the 2nd and 4th written epochs
        if epoch in (1, 3):
            assert digest.fields["sanity_layer"] == "d"
            assert np.all(np.abs(arrays["sanity"]) <= 1)
        for i, record in enumerate(examples):
            curves = record.arrays
            assert curves["deletion"].shape == curves["fractions"].shape == (6,)
            assert curves["deletion"][0] == pytest.approx(curves["insertion"][-1])
            assert curves["deletion_auc"] == pytest.approx(arrays["deletion_auc"][i])
    loaded = tb_attrib.load(tmp_path)["probe"].trust  # the notebook reader: the same numbers
    assert loaded["deletion"].shape == (4, 6, 6)
    np.testing.assert_array_equal(loaded["random_auc"][3], records[3][0].arrays["random_auc"])
    assert np.isnan(loaded["sanity"][[0, 2]]).all() and np.isfinite(loaded["sanity"][[1, 3]]).all()
    deletion = _scalars(tmp_path, "faithfulness/deletion_auc")
    assert sorted(deletion) == [0, 1, 2, 3]
    minus = _scalars(tmp_path, "faithfulness/deletion_auc_minus_random")
    random = _scalars(tmp_path, "faithfulness/random_auc")
    assert minus[3] == pytest.approx(deletion[3] - random[3], abs=1e-6)
    assert sorted(_scalars(tmp_path, "sanity/randomized_top_layer_spearman")) == [1, 3]
    assert sorted(_scalars(tmp_path, "stability/spearman_previous_epoch")) == [1, 2, 3]


def test_off_switches_and_a_subclassed_model(tmp_path):
    class Net(keras.Model):  # no get_config: it could not be copied, and need not be
        def __init__(self, width):
            super().__init__()
            self.flat = keras.layers.Flatten()
            self.head = keras.layers.Dense(width, activation="softmax")

        def call(self, x, training=False):
            return self.head(self.flat(x))

    x, y = _data(4)
    _fit(Net(2), Attributions(tmp_path / "sub", x, y, sanity_freq=1, ig_steps=8))
    digest = series_records(tmp_path / "sub", "tb_attrib/integrated_gradients")[1][0]
    assert digest.fields["sanity_layer"].startswith("dense")
    assert digest.arrays["sanity"].shape == (4,)
    off = Attributions(tmp_path / "off", x, y, faithfulness_fraction=None, sanity_freq=None)
    _fit(_cnn(top_activation=True), off)
    digest = series_records(tmp_path / "off", "tb_attrib/integrated_gradients")[1][0]
    assert "deletion_auc" not in digest.arrays and "sanity" not in digest.arrays
    assert "stability" in digest.arrays
