"""The attribution engine: integrated gradients, interior gradients, baselines, targets."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import small_cnn

import tb_attrib
from tb_attrib.engine import AttributionEngine, baselines
from tb_attrib.engine.completeness import SMALL_CHANGE_FRACTION


def _rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def probe():
    return np.random.default_rng(0).uniform(0, 1, (6, 12, 12, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def relu_model():
    keras.utils.set_random_seed(1)
    return small_cnn("relu")


@pytest.fixture(scope="module")
def gelu_model():
    keras.utils.set_random_seed(2)
    return small_cnn("gelu")


def test_linear_model_ig_equals_weight_times_input_difference():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5, 5, 2))
    logits = keras.layers.Dense(3)(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, logits)
    x = np.random.default_rng(1).normal(size=(4, 5, 5, 2)).astype(np.float32)
    base = np.full((5, 5, 2), 0.3, np.float32)
    for method in tb_attrib.engine.METHODS:
        ig = tb_attrib.integrated_gradients(
            model, x, target=2, baseline=base, steps=3, method=method
        )
        w = model.layers[-1].kernel.numpy()[:, 2].reshape(5, 5, 2)
        np.testing.assert_allclose(ig.attributions, w * (x - base), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ig.delta, 0.0, atol=1e-4)


def test_interior_gradient_at_alpha_one_is_the_input_gradient(relu_model, probe):
    x = tf.constant(probe)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = relu_model(x, training=False)[:, 1]
    expected = tape.gradient(score, x).numpy()
    sweep = tb_attrib.interior_gradients(relu_model, probe, [0.3, 1.0], target=1)
    assert sweep.gradients.shape == (6, 2, 12, 12, 3)
    np.testing.assert_allclose(sweep.gradients[:, 1], expected, rtol=1e-5, atol=1e-7)
    assert sweep.predictions.shape == (6, 2, 4)
    np.testing.assert_allclose(sweep.predictions.sum(axis=-1), 1.0, atol=1e-5)


def test_interior_gradients_scale_the_input_from_the_baseline(relu_model, probe):
    sweep = tb_attrib.interior_gradients(relu_model, probe, [0.5], target=0, baseline=0.2)
    scaled = 0.2 + 0.5 * (probe - 0.2)
    x = tf.constant(scaled)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = relu_model(x, training=False)[:, 0]
    np.testing.assert_allclose(
        sweep.gradients[:, 0], tape.gradient(score, x).numpy(), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("model_name", ["relu_model", "gelu_model"])
def test_completeness_with_default_settings(model_name, probe, request):
    model = request.getfixturevalue(model_name)
    ig = tb_attrib.integrated_gradients(model, probe)
    assert ig.attributions.shape == probe.shape
    diff = np.abs(ig.score_input - ig.score_baseline)
    significant = diff > SMALL_CHANGE_FRACTION * diff.max()
    assert np.all(np.abs(ig.delta)[significant] <= 0.01 * diff[significant])
    np.testing.assert_allclose(
        ig.attributions.reshape(6, -1).sum(1) - (ig.score_input - ig.score_baseline),
        ig.delta,
        atol=1e-6,
    )


def test_per_example_targets(relu_model, probe):
    targets = np.array([0, 1, 2, 3, 0, 1])
    together = tb_attrib.integrated_gradients(relu_model, probe, target=targets, steps=16)
    np.testing.assert_array_equal(together.target, targets)
    for i in (0, 3):
        alone = tb_attrib.integrated_gradients(
            relu_model, probe[i : i + 1], target=int(targets[i]), steps=16
        )
        np.testing.assert_allclose(
            alone.attributions[0], together.attributions[i], rtol=1e-4, atol=1e-7
        )
    predicted = tb_attrib.integrated_gradients(relu_model, probe, steps=8)
    np.testing.assert_array_equal(predicted.target, relu_model.predict(probe, verbose=0).argmax(1))


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid", "adaptive_trapezoid"])
def test_results_do_not_depend_on_batch_size(gelu_model, probe, method):
    ref = tb_attrib.integrated_gradients(
        gelu_model, probe, steps=40, method=method, batch_size=1000
    )
    for batch_size in (1, 7, 64):
        ig = tb_attrib.integrated_gradients(
            gelu_model, probe, steps=40, method=method, batch_size=batch_size
        )
        assert _rel(ig.attributions, ref.attributions) <= 1e-5
    sweep_ref = tb_attrib.interior_gradients(gelu_model, probe, [0.1, 0.5, 1.0], batch_size=1000)
    sweep = tb_attrib.interior_gradients(gelu_model, probe, [0.1, 0.5, 1.0], batch_size=5)
    assert _rel(sweep.gradients, sweep_ref.gradients) <= 1e-5


def test_gauss_legendre_beats_trapezoid_on_a_smooth_network(gelu_model, probe):
    ref = tb_attrib.integrated_gradients(gelu_model, probe, steps=2048, method="riemann_trapezoid")
    for steps in (8, 16):
        gauss = tb_attrib.integrated_gradients(
            gelu_model, probe, steps=steps, method="gausslegendre"
        )
        trap = tb_attrib.integrated_gradients(
            gelu_model, probe, steps=steps, method="riemann_trapezoid"
        )
        assert _rel(gauss.attributions, ref.attributions) < _rel(
            trap.attributions, ref.attributions
        )


def test_auto_steps_meet_the_tolerance_and_report_evaluations(relu_model, probe):
    for method in ("riemann_trapezoid", "gausslegendre", "riemann_middle"):
        ig = tb_attrib.integrated_gradients(
            relu_model, probe, method=method, steps="auto", tolerance=0.002
        )
        assert ig.converged
        change = np.abs(ig.score_input - ig.score_baseline)
        assert np.all(
            np.abs(ig.delta) <= 0.002 * np.maximum(change, SMALL_CHANGE_FRACTION * change.max())
        )
        assert ig.evaluations >= ig.steps >= 16
        if method != "gausslegendre":
            assert ig.evaluations == ig.steps  # nested rules reuse every earlier evaluation
    capped = tb_attrib.integrated_gradients(
        relu_model, probe, steps="auto", tolerance=1e-9, max_steps=40
    )
    assert not capped.converged and capped.steps <= 40


@pytest.mark.parametrize("method", ["riemann_trapezoid", "gausslegendre"])
def test_auto_steps_refine_each_example_on_its_own(relu_model, probe, method):
    """Examples that meet the tolerance early stop there: each one's attributions are those of
    the fixed rule it ended with, and the cheap ones spent fewer evaluations."""
    ig = tb_attrib.integrated_gradients(
        relu_model, probe, method=method, steps="auto", tolerance=0.002
    )
    assert ig.example_steps.shape == ig.example_evaluations.shape == (probe.shape[0],)
    assert ig.steps == ig.example_steps.max() and ig.evaluations == ig.example_evaluations.max()
    assert len(set(ig.example_steps.tolist())) > 1, "every example needed the same rule"
    for count in sorted(set(ig.example_steps.tolist())):
        rows = np.flatnonzero(ig.example_steps == count)
        fixed = tb_attrib.integrated_gradients(
            relu_model, probe[rows], method=method, steps=int(count)
        )
        assert _rel(ig.attributions[rows], fixed.attributions) < 1e-5
    if method == "riemann_trapezoid":
        np.testing.assert_array_equal(ig.example_evaluations, ig.example_steps)
    else:  # Gauss-Legendre restarts: 64, then 64 + 128, ...
        assert np.all(ig.example_evaluations >= ig.example_steps)


def _steep_sigmoid_model(steepness: float, centre: float):
    """A two-class softmax whose class-1 logit is ``steepness * (alpha - centre)`` along the path
    from black to an all-ones 4x4 image: its score rises over a stretch ``~4 / steepness`` wide,
    and its integrated gradients are known exactly."""
    inputs = keras.Input((4, 4, 1))
    dense = keras.layers.Dense(2)
    model = keras.Model(inputs, keras.layers.Softmax()(dense(keras.layers.Flatten()(inputs))))
    kernel = np.zeros((16, 2), np.float32)
    kernel[:, 1] = steepness / 16.0
    dense.set_weights([kernel, np.array([0.0, -steepness * centre], np.float32)])
    return model


def test_adaptive_rule_puts_its_points_on_a_steep_rise():
    """At the same 33 evaluations, the adaptive rule finds the short stretch where the score
    rises and beats the even trapezoid rule; both are checked against the exact IG. (On a
    gentler rise, steepness 20-40, the even rule wins: it is spectrally accurate on smooth
    integrands that vanish at both ends, which docs/benchmarks.md discusses.)"""
    model = _steep_sigmoid_model(steepness=80.0, centre=0.3)
    scales = np.array([1.0, 0.9, 0.8])
    x = np.ones((3, 4, 4, 1), np.float32) * scales.reshape(3, 1, 1, 1).astype(np.float32)
    # Logit 80 * (alpha * s - 0.3): IG_i = x_i w_i (p(1) - p(0)) / (w . x) = (p(1) - p(0)) / 16.
    change = 1.0 / (1.0 + np.exp(-80.0 * (scales - 0.3))) - 1.0 / (1.0 + np.exp(24.0))
    exact = np.broadcast_to(change.reshape(3, 1, 1, 1) / 16.0, x.shape)
    even = tb_attrib.integrated_gradients(model, x, target=1, steps=33, method="riemann_trapezoid")
    fitted = tb_attrib.integrated_gradients(
        model, x, target=1, steps=33, method="adaptive_trapezoid"
    )
    np.testing.assert_array_equal(fitted.example_steps, 33)
    assert fitted.steps == fitted.evaluations == 33
    assert _rel(fitted.attributions, exact) < 0.005
    assert _rel(even.attributions, exact) > 2 * _rel(fitted.attributions, exact)


def test_adaptive_rule_converges_on_a_relu_network(relu_model, probe):
    ref = tb_attrib.integrated_gradients(relu_model, probe, steps=2049)
    errors = [
        _rel(
            tb_attrib.integrated_gradients(
                relu_model, probe, steps=steps, method="adaptive_trapezoid"
            ).attributions,
            ref.attributions,
        )
        for steps in (8, 32, 128)
    ]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.01


def test_adaptive_rule_in_auto_mode_stops_each_example_on_its_own(relu_model, probe):
    ig = tb_attrib.integrated_gradients(
        relu_model, probe, method="adaptive_trapezoid", tolerance=0.002
    )
    assert ig.converged and ig.method == "adaptive_trapezoid"
    change = np.abs(ig.score_input - ig.score_baseline)
    assert np.all(
        np.abs(ig.delta) <= 0.002 * np.maximum(change, SMALL_CHANGE_FRACTION * change.max())
    )
    np.testing.assert_array_equal(ig.example_evaluations, ig.example_steps)
    assert len(set(ig.example_steps.tolist())) > 1, "every example needed the same grid"
    capped = tb_attrib.integrated_gradients(
        relu_model, probe, method="adaptive_trapezoid", tolerance=1e-9, max_steps=20
    )
    assert not capped.converged and capped.steps == 20
    drawn = tb_attrib.integrated_gradients(
        relu_model,
        probe,
        method="adaptive_trapezoid",
        baseline="uniform",
        num_baseline_samples=2,
    )
    diff = np.abs(drawn.score_input - drawn.score_baseline)
    assert np.all(
        np.abs(drawn.delta) <= 0.01 * np.maximum(diff, SMALL_CHANGE_FRACTION * diff.max())
    )


def test_softmax_and_logit_models_give_probabilities(probe):
    keras.utils.set_random_seed(3)
    logits_model = small_cnn("relu", final=None)
    softmax_model = keras.Sequential([logits_model, keras.layers.Softmax()])
    logit_sweep = tb_attrib.interior_gradients(logits_model, probe, [1.0], target=0)
    prob_sweep = tb_attrib.interior_gradients(softmax_model, probe, [1.0], target=0)
    np.testing.assert_allclose(
        logit_sweep.predictions, prob_sweep.predictions, rtol=1e-5, atol=1e-6
    )
    # The score is the model's own output: a logit for one, a probability for the other.
    np.testing.assert_allclose(prob_sweep.scores[:, 0], prob_sweep.predictions[:, 0, 0], rtol=1e-5)
    assert not np.allclose(logit_sweep.scores, prob_sweep.scores)
    for model in (logits_model, softmax_model):
        ig = tb_attrib.integrated_gradients(model, probe, target=0)
        assert np.all(np.abs(ig.relative_delta) <= 0.01)


def test_baselines_follow_their_definitions(probe):
    assert np.all(baselines.make("black", probe) == 0)
    assert np.all(baselines.make("white", probe) == probe.max())
    uniform = baselines.make("uniform", probe, num_samples=3)
    assert uniform.shape == (3, *probe.shape)
    assert uniform.min() >= probe.min() and uniform.max() <= probe.max()
    np.testing.assert_array_equal(uniform, baselines.make("uniform", probe, num_samples=3))
    blurred = baselines.make("blur", probe)[0]
    assert blurred.shape == probe.shape and blurred.std() < probe.std()
    np.testing.assert_allclose(blurred.mean(), probe.mean(), rtol=0.05)
    assert np.all(baselines.make(0.25, probe) == 0.25)
    row = np.linspace(0, 1, 3, dtype=np.float32)
    np.testing.assert_array_equal(baselines.make(row, probe)[0, 2, 4, 7], row)
    with pytest.raises(ValueError, match="does not broadcast"):
        baselines.make(np.zeros((5, 5)), probe)
    with pytest.raises(ValueError, match="baseline must be one of"):
        baselines.make("grey", probe)


def test_uniform_baseline_averages_draws_and_keeps_completeness(relu_model, probe):
    ig = tb_attrib.integrated_gradients(
        relu_model, probe, baseline="uniform", num_baseline_samples=2
    )
    assert ig.baseline_name == "uniform"
    diff = np.abs(ig.score_input - ig.score_baseline)
    assert np.all(np.abs(ig.delta) <= 0.01 * np.maximum(diff, SMALL_CHANGE_FRACTION * diff.max()))


def test_functions_trace_once_and_are_reused(relu_model, probe):
    engine = AttributionEngine(relu_model, probe.shape[1:])
    for batch_size in (5, 16, 100):
        engine.integrated_gradients(probe, steps=10, batch_size=batch_size)
        engine.integrated_gradients(
            probe, steps=10, method="riemann_trapezoid", batch_size=batch_size
        )
        engine.interior_gradients(probe, [0.5, 1.0], batch_size=batch_size)
    assert engine.kernel.tracing_counts() == {"outputs": 1, "gradients": 1, "weighted_sum": 1}


def test_training_false_leaves_batchnorm_statistics_alone(probe):
    keras.utils.set_random_seed(4)
    model = keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            keras.layers.Conv2D(4, 3),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.5),
            keras.layers.Flatten(),
            keras.layers.Dense(3),
        ]
    )
    before = [w.numpy().copy() for w in model.weights]
    a = tb_attrib.integrated_gradients(model, probe, steps=8)
    b = tb_attrib.integrated_gradients(model, probe, steps=8)
    for w, old in zip(model.weights, before, strict=True):
        np.testing.assert_array_equal(w.numpy(), old)
    np.testing.assert_array_equal(a.attributions, b.attributions)  # Dropout is off


def test_bad_arguments_name_themselves(relu_model, probe):
    with pytest.raises(ValueError, match="method must be one of"):
        tb_attrib.integrated_gradients(relu_model, probe, method="simpson")
    with pytest.raises(ValueError, match="steps must be"):
        tb_attrib.integrated_gradients(relu_model, probe, steps=0)
    with pytest.raises(ValueError, match="alphas must be numbers in"):
        tb_attrib.interior_gradients(relu_model, probe, [0.0, 0.5])
    with pytest.raises(ValueError, match="target classes must lie in"):
        tb_attrib.integrated_gradients(relu_model, probe, target=9)
    with pytest.raises(ValueError, match="target has 2 entries"):
        tb_attrib.integrated_gradients(relu_model, probe, target=[0, 1])
