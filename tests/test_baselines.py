"""Expected gradients (``baseline="expected"``) and baseline health, on real Keras models.

Expected gradients equal the mean of per-baseline integrated gradients computed one baseline at
a time; completeness holds against the mean baseline score at the defaults; the draws are
seeded, never the example itself, and the same every call. Baseline health: the warning,
scalars and records appear for a model that classifies the baseline confidently as an
example's class and not for one that does not; ``tb_attrib.load`` reads them.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from baseline_models import brightness_model, labelled_probe

import tb_attrib
from tb_attrib.callbacks import Attributions
from tb_attrib.engine import baseline_health, baselines

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _smooth_cnn(classes: int = 3, seed: int = 0):
    """A small GELU CNN with non-zero biases (a path gradient that is not constant)."""
    keras.utils.set_random_seed(seed)
    init = keras.initializers.RandomNormal(0.0, 0.3, seed=seed)
    return keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(6, 3, activation="gelu", bias_initializer=init),
            keras.layers.Flatten(),
            keras.layers.Dense(classes, activation="softmax", bias_initializer=init),
        ]
    )


def _probe(n: int = 6, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(size=(n, 8, 8, 3)).astype(np.float32)


def _one_at_a_time(model, x, y, rows, background, **options) -> np.ndarray:
    parts = [
        tb_attrib.integrated_gradients(model, x, target=y, baseline=background[r], **options)
        for r in rows
    ]
    return np.mean([p.attributions for p in parts], axis=0)


def test_expected_gradients_equal_the_mean_of_one_baseline_at_a_time() -> None:
    model, x = _smooth_cnn(), _probe()
    y = np.arange(len(x)) % 3
    ig = tb_attrib.integrated_gradients(model, x, target=y, baseline="expected", steps=24)
    rows = baselines.expected_rows([x], [x])
    assert rows.shape == (baselines.DEFAULT_EXPECTED_SAMPLES, len(x))
    mean = _one_at_a_time(model, x, y, rows, x, steps=24)
    assert np.abs(ig.attributions).max() > 1e-3
    np.testing.assert_allclose(ig.attributions, mean, atol=1e-5, rtol=0)
    assert ig.baseline_name == "expected"


def test_expected_gradients_with_a_background_array() -> None:
    model, x, background = _smooth_cnn(), _probe(4), _probe(10, seed=7)
    y = np.zeros(len(x), int)
    ig = tb_attrib.integrated_gradients(
        model,
        x,
        target=y,
        baseline="expected",
        background=background,
        steps=16,
        num_baseline_samples=3,
    )
    rows = baselines.expected_rows([x], [background], 3)
    np.testing.assert_allclose(
        ig.attributions, _one_at_a_time(model, x, y, rows, background, steps=16), atol=1e-5
    )


def test_draws_are_seeded_fixed_and_never_the_example_itself() -> None:
    x = _probe(5)
    rows = baselines.expected_rows([x], [x], 12)
    for i in range(len(x)):
        assert i not in rows[:, i]
        assert set(rows[:, i]) == set(range(len(x))) - {i}  # every other row, cycling
    np.testing.assert_array_equal(rows, baselines.expected_rows([x], [x], 12))
    # An example's draws do not depend on the batch it is in (the callback's subsets).
    subset = baselines.expected_rows([x[[3, 1]]], [x], 12)
    np.testing.assert_array_equal(subset, rows[:, [3, 1]])
    with pytest.raises(ValueError, match="no background row other than itself"):
        baselines.expected_rows([x[:1]], [x[:1]])


def test_completeness_holds_against_the_mean_baseline_score_at_defaults() -> None:
    model, x = _smooth_cnn(4), _probe(8)
    keras.utils.set_random_seed(3)
    model.compile("adam", "sparse_categorical_crossentropy")
    y = np.arange(len(x)) % 4
    model.fit(np.concatenate([x] * 8), np.concatenate([y] * 8), epochs=5, verbose=0)
    ig = tb_attrib.integrated_gradients(model, x, target=y, baseline="expected")
    total = ig.attributions.reshape(len(x), -1).sum(axis=1)
    rows = baselines.expected_rows([x], [x])
    outputs = keras.ops.convert_to_numpy(model(x[rows.reshape(-1)], training=False))
    mean_baseline = outputs[np.arange(rows.size), np.tile(y, len(rows))].reshape(rows.shape)
    np.testing.assert_allclose(ig.score_baseline, mean_baseline.mean(axis=0), atol=1e-5)
    assert np.all(ig.relative_delta <= 0.01), ig.relative_delta
    np.testing.assert_allclose(total - (ig.score_input - ig.score_baseline), ig.delta, atol=1e-5)


def test_expected_gradients_of_tokens_use_the_background_sequences_embeddings() -> None:
    keras.utils.set_random_seed(0)
    ids = keras.Input((6,), dtype="int32")
    h = keras.layers.Embedding(20, 4, name="embedding")(ids)
    h = keras.layers.GlobalAveragePooling1D()(h)
    model = keras.Model(ids, keras.layers.Dense(2, activation="softmax")(h))
    x = np.random.default_rng(0).integers(1, 20, (4, 6)).astype(np.int32)
    y = np.array([0, 1, 0, 1])
    ig = tb_attrib.integrated_gradients(model, x, target=y, baseline="expected", steps=8)
    assert ig.attributions.shape == (4, 6)
    # The mean score of the background sequences is the baseline score.
    rows = baselines.expected_rows([x], [x])
    scores = keras.ops.convert_to_numpy(model(x[rows.reshape(-1)]))
    expected = scores[np.arange(rows.size), np.tile(y, len(rows))].reshape(rows.shape).mean(0)
    np.testing.assert_allclose(ig.score_baseline, expected, atol=1e-5)
    assert np.all(ig.relative_delta < 0.01)


def test_bad_background_and_samples_fail_fast(tmp_path) -> None:
    x = _probe(4)
    with pytest.raises(ValueError, match="background is used by baseline='expected' only"):
        Attributions(tmp_path, x, background=x)
    with pytest.raises(ValueError, match="num_baseline_samples must be a positive int"):
        Attributions(tmp_path, x, baseline="expected", num_baseline_samples=0)
    model = _smooth_cnn()
    model.compile("adam", "sparse_categorical_crossentropy")
    callback = Attributions(tmp_path, x, baseline="expected", background=_probe(3)[..., :2])
    with pytest.raises(ValueError, match=r"^background: "):
        model.fit(x, np.zeros(4), epochs=1, verbose=0, callbacks=[callback])


def _fit_with(model, logdir, **options) -> list[str]:
    x, y = labelled_probe()
    callback = Attributions(logdir, x, y, class_names=["dark", "light"], **options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    return [str(w.message) for w in caught if "baseline" in str(w.message)]


def _scalars(run_dir) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for path in sorted(run_dir.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for v in event.summary.value:
                if v.tag.startswith("attributions/baseline"):
                    values.setdefault(v.tag, []).append(float(tf.make_ndarray(v.tensor)))
    return values


def test_a_confident_baseline_is_flagged_with_its_numbers(tmp_path) -> None:
    said = _fit_with(brightness_model(5.0), tmp_path)
    assert len(said) == 1  # once per fit
    assert 'classifies the baseline (black) as "dark" at 100%' in said[0]
    assert "examples [0, 2, 4, 6]" in said[0]
    scalars = _scalars(tmp_path / "probe")
    assert scalars["attributions/baseline_top_class"] == [0.0, 0.0]
    assert all(p > 0.99 for p in scalars["attributions/baseline_top_probability"])
    assert scalars["attributions/baseline_affected"] == [4.0, 4.0]
    run = tb_attrib.load(tmp_path)["probe"]
    np.testing.assert_array_equal(run.ig_baseline_affected, [[True, False] * 4] * 2)
    assert run.ig_baseline_predictions.shape == (2, 8, 2)
    health = run.baseline_health()
    assert health.top_class.tolist() == [0] * 8
    assert health.affected.sum() == 4
    change = run.ig_score_input[-1] - run.ig_score_baseline[-1]
    np.testing.assert_allclose(health.change, change)
    assert np.all(np.abs(change[health.affected]) < 0.1)
    assert "baseline confidently classified from epoch 0" in repr(run)
    message = health.message(run.class_names, run.baseline, 1)
    assert f"{change[0]:.3g}" in message


def test_a_neutral_baseline_is_not_flagged(tmp_path) -> None:
    assert _fit_with(brightness_model(0.0), tmp_path) == []
    scalars = _scalars(tmp_path / "probe")
    assert scalars["attributions/baseline_affected"] == [0.0, 0.0]
    assert all(p < 0.6 for p in scalars["attributions/baseline_top_probability"])
    run = tb_attrib.load(tmp_path)["probe"]
    assert not run.ig_baseline_affected.any()
    assert run.baseline_health().message(run.class_names, "black", 1) is None


def test_expected_baseline_of_the_confident_model_from_a_dataset(tmp_path) -> None:
    background = tf.data.Dataset.from_tensor_slices(labelled_probe()).batch(4)
    said = _fit_with(brightness_model(5.0), tmp_path, baseline="expected", background=background)
    assert said == []
    run = tb_attrib.load(tmp_path)["probe"]
    assert run.baseline == "expected"
    assert not run.ig_baseline_affected.any()
    assert np.all(run.ig_relative_delta <= 0.01)


def test_regression_writes_the_baseline_value(tmp_path) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = _probe(8).reshape(8, -1)[:, :5]
    model.fit(x, x.sum(1), epochs=1, verbose=0, callbacks=[Attributions(tmp_path, x, x.sum(1))])
    scalars = _scalars(tmp_path / "probe")
    assert list(scalars) == ["attributions/baseline_value"]
    run = tb_attrib.load(tmp_path)["probe"]
    bias = float(keras.ops.convert_to_numpy(model.layers[0].bias)[0])
    np.testing.assert_allclose(run.ig_baseline_predictions[0, :, 0], bias, atol=1e-5)
    assert not run.ig_baseline_affected.any()


def test_health_wording_names_class_and_change() -> None:
    head = tb_attrib.engine.heads.Head("multiclass", 2, "probabilities")
    health = baseline_health.assess(
        head, np.array([[[0.97, 0.03], [0.97, 0.03]]]), np.array([0, 1]), np.array([-0.014, 0.9])
    )
    assert health.affected.tolist() == [True, False]
    text = health.message(["circle", "square"], "black", 6)
    assert 'as "circle" at 97%' in text and "-0.014" in text and "examples [0]" in text


@pytest.mark.parametrize(
    "head, units, activation",
    [("binary", 1, "sigmoid"), ("multilabel", 3, "sigmoid"), ("regression", 2, None)],
)
def test_expected_gradients_for_every_head(head, units, activation) -> None:
    keras.utils.set_random_seed(0)
    init = keras.initializers.RandomNormal(0.0, 0.5, seed=1)
    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(8, activation="gelu", bias_initializer=init),
            keras.layers.Dense(units, activation=activation, bias_initializer=init),
        ]
    )
    x = np.random.default_rng(4).normal(size=(6, 10)).astype(np.float32)
    ig = tb_attrib.integrated_gradients(model, x, baseline="expected", head=head)
    assert ig.head.kind == head
    assert np.all(ig.relative_delta <= 0.01), ig.relative_delta
    rows = baselines.expected_rows([x], [x])
    fixed = tb_attrib.integrated_gradients(
        model, x, target=ig.target, baseline="expected", head=head, steps=16
    )
    mean = _one_at_a_time(model, x, ig.target, rows, x, steps=16, head=head)
    np.testing.assert_allclose(fixed.attributions, mean, atol=1e-5)


def test_expected_gradients_draw_every_input_from_the_same_background_row() -> None:
    keras.utils.set_random_seed(0)
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    h = keras.layers.Dense(5, activation="gelu")(keras.layers.Concatenate()([a, b]))
    model = keras.Model([a, b], keras.layers.Dense(2, activation="softmax")(h))
    rng = np.random.default_rng(5)
    x = [rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=(5, 3)).astype(np.float32)]
    y = np.array([0, 1, 0, 1, 0])
    ig = tb_attrib.integrated_gradients(model, x, target=y, baseline="expected", steps=16)
    rows = baselines.expected_rows(x, x)
    parts = [
        tb_attrib.integrated_gradients(
            model, x, target=y, baseline=[x[0][r], x[1][r]], steps=16
        ).attributions
        for r in rows
    ]
    for j in range(2):
        np.testing.assert_allclose(ig.attributions[j], np.mean([p[j] for p in parts], 0), atol=1e-5)
