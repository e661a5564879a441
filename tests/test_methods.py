"""The methods beside IG: SmoothGrad, SmoothGrad on IG, Guided IG (tb_attrib.engine.methods).

Each reduces to a known quantity at its limit (tiny noise: the gradient or IG; a tiny
distance bound: IG's straight path with a left Riemann sum), follows its seed, serves every
modality, and is written by ``Attributions(methods=...)`` as its own series, which the
plugin lists and serves (``attribution`` route). Agreement with PAIR ``saliency`` is in
``tests/test_peers_methods.py``; the same numbers on every backend in ``tests/test_backends.py``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import plugin_logs
import pytest
from werkzeug import test as werkzeug_test

import tb_attrib
from tb_attrib.callbacks import Attributions
from tb_attrib.summary import codec

SHAPE = (10, 10, 3)
FIXTURE_V1 = Path(__file__).resolve().parent / "fixtures" / "v1_log"


def _rel(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def model():
    """A small CNN with non-zero biases (a bias-free ReLU network has a constant gradient
    along the path, where every method looks alike)."""
    keras.utils.set_random_seed(3)
    m = keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Conv2D(6, 3, activation="relu", bias_initializer="random_normal"),
            keras.layers.Flatten(),
            keras.layers.Dense(8, activation="relu", bias_initializer="random_normal"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    m.compile("adam", "sparse_categorical_crossentropy")
    return m


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).uniform(0, 1, (5, *SHAPE)).astype(np.float32)


def test_smoothgrad_with_tiny_noise_is_the_gradient(model, x):
    sg = tb_attrib.smoothgrad(model, x, target=1, noise_level=1e-7, samples=3)
    gradient = tb_attrib.interior_gradients(model, x, [1.0], target=1).gradients[:, 0]
    assert sg.method == "smoothgrad" and sg.evaluations == 3
    assert _rel(sg.attributions, gradient) < 1e-3
    assert np.all(np.isnan(sg.delta))  # no completeness for a gradient


def test_smoothgrad_averages_over_its_noise(model, x):
    a = tb_attrib.smoothgrad(model, x, target=1, samples=8, seed=4)
    b = tb_attrib.smoothgrad(model, x, target=1, samples=8, seed=4)
    c = tb_attrib.smoothgrad(model, x, target=1, samples=8, seed=5)
    np.testing.assert_array_equal(a.attributions, b.attributions)
    assert _rel(c.attributions, a.attributions) > 1e-3
    gradient = tb_attrib.interior_gradients(model, x, [1.0], target=1).gradients[:, 0]
    assert _rel(a.attributions, gradient) > 1e-2
    # Samples grouped per kernel call do not change the mean (batch_size=5: one per call).
    small = tb_attrib.smoothgrad(model, x, target=1, samples=8, seed=4, batch_size=5)
    assert _rel(small.attributions, a.attributions) < 1e-5


def test_smoothgrad_on_ig_with_tiny_noise_is_ig(model, x):
    sg = tb_attrib.smoothgrad(model, x, target=2, noise_level=1e-7, samples=2,
                              integrated=True, steps=24)  # fmt: skip
    ig = tb_attrib.integrated_gradients(model, x, target=2, steps=24,
                                        method="riemann_trapezoid")  # fmt: skip
    assert sg.method == "smoothgrad_ig" and sg.evaluations == 48
    assert _rel(sg.attributions, ig.attributions) < 1e-3
    np.testing.assert_allclose(sg.delta, ig.delta, atol=1e-4)


def test_guided_ig_with_a_tiny_bound_is_ig_with_a_left_riemann_sum(model, x):
    gig = tb_attrib.guided_integrated_gradients(model, x, target=0, steps=20, max_dist=1e-9)
    ig = tb_attrib.integrated_gradients(model, x, target=0, steps=20, method="riemann_left")
    assert gig.method == "guided_ig" and gig.steps == 20
    assert _rel(gig.attributions, ig.attributions) < 1e-3
    free = tb_attrib.guided_integrated_gradients(model, x, target=0, steps=20, max_dist=1.0)
    assert _rel(free.attributions, ig.attributions) > 1e-2
    # The delta is computed, not assumed: sum(GIG) - (F(x) - F(b)) of each example.
    moved = free.score_input - free.score_baseline
    total = free.attributions.reshape(len(x), -1).sum(axis=1)
    np.testing.assert_allclose(free.delta, total - moved, atol=1e-6)


def test_nan_gradients_end_guided_ig_as_nan_instead_of_looping():
    inputs = keras.Input((4,))
    hidden = keras.layers.Lambda(lambda t: keras.ops.sqrt(t - 0.5))(inputs)  # NaN below 0.5
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
    x = np.full((2, 4), 0.9, np.float32)
    gig = tb_attrib.guided_integrated_gradients(model, x, target=0, steps=5)
    assert not gig.finite and np.all(np.isnan(gig.attributions))


def test_methods_serve_token_and_two_input_models():
    keras.utils.set_random_seed(0)
    ids_in = keras.Input((7,), dtype="int32", name="ids")
    meta_in = keras.Input((3,), name="meta")
    hidden = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(20, 4)(ids_in))
    joined = keras.layers.Concatenate()([hidden, meta_in])
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.Dense(5, "tanh")(joined))
    model = keras.Model({"ids": ids_in, "meta": meta_in}, out)
    rng = np.random.default_rng(1)
    x = {"ids": rng.integers(1, 20, (4, 7)), "meta": rng.normal(size=(4, 3)).astype("float32")}
    for result in (
        tb_attrib.smoothgrad(model, x, samples=3),
        tb_attrib.smoothgrad(model, x, samples=2, integrated=True, steps=8),
        tb_attrib.guided_integrated_gradients(model, x, steps=8),
    ):
        assert result.attributions["ids"].shape == (4, 7), result.method
        assert result.attributions["meta"].shape == (4, 3), result.method
        assert result.finite


def test_explicit_noise_must_fit_the_probe(model, x):
    with pytest.raises(ValueError, match="noise must hold one array per attributed input"):
        tb_attrib.smoothgrad(model, x, noise=np.zeros((3, 2, *SHAPE)))


@pytest.fixture(scope="module")
def logdir(model, x, tmp_path_factory):
    """Two runs of one probe: one with every method, one with IG only (the default)."""
    root = tmp_path_factory.mktemp("methods")
    y = np.arange(24) % 3
    data = np.random.default_rng(2).uniform(0, 1, (24, *SHAPE)).astype(np.float32)
    options = {"smoothgrad": {"samples": 4}, "smoothgrad_ig": {"samples": 2, "steps": 8},
               "guided_ig": {"steps": 12}}  # fmt: skip
    every = Attributions(root, x, y[:5], run_name="every", ig_steps=16,
                         methods=["guided_ig", "smoothgrad", "smoothgrad_ig"],
                         method_options=options)  # fmt: skip
    model.fit(data, y, epochs=2, verbose=0, callbacks=[every])
    plain = Attributions(root, x, y[:5], run_name="plain", ig_steps=16)
    model.fit(data, y, epochs=1, verbose=0, callbacks=[plain])
    return root


def test_each_method_is_its_own_series(logdir):
    written = plugin_logs.written_records(logdir / "every")
    assert "tb_attrib/methods/smoothgrad" in written and "tb_attrib/methods/guided_ig" in written
    assert not any(t.startswith("tb_attrib/methods/") for t in plugin_logs.written_records(
        logdir / "plain"))  # fmt: skip
    records = written["tb_attrib/methods/smoothgrad_ig"][1]
    digest = codec.decode_record(records[0])
    assert digest.fields["attribution_method"] == "smoothgrad_ig"
    assert digest.fields["settings"] == {"noise_level": 0.15, "samples": 2, "seed": 0, "steps": 8}
    example = codec.decode_record(records[3])
    assert example.fields["attribution_method"] == "smoothgrad_ig"
    assert example.arrays["map"].shape == SHAPE[:2] and example.arrays["map"].dtype == np.int8
    scalars = _scalar_tags(logdir / "every")
    assert "attributions/methods/guided_ig/seconds" in scalars


def _scalar_tags(run_dir: Path) -> set[str]:
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(str(run_dir))
    acc.Reload()
    return set(acc.Tags()["tensors"]) | set(acc.Tags()["scalars"])


def _get(app, url: str):
    response = werkzeug_test.Client(app).get(f"/data/plugin/tb_attrib/{url}")
    return response.status_code, response.get_data()


def test_runs_list_methods_and_the_probe_digest(logdir):
    app, _ = plugin_logs.make_app(logdir)
    _, body = _get(app, "runs")
    runs = {r["run"]: r for r in json.loads(body)["runs"]}
    names = [m["name"] for m in runs["every"]["methods"]]
    assert names == ["integrated_gradients", "guided_ig", "smoothgrad", "smoothgrad_ig"]
    assert runs["every"]["methods"][1]["tag"] == "tb_attrib/methods/guided_ig"
    assert runs["every"]["methods"][1]["epochs"] == [0, 1]
    assert [m["name"] for m in runs["plain"]["methods"]] == ["integrated_gradients"]
    # IG stays IG: the method series never stand in for it.
    assert runs["every"]["ig_tag"] == "tb_attrib/integrated_gradients"
    assert runs["every"]["ig"]["method"] == tb_attrib.engine.DEFAULT_METHOD
    # The same probe: the same digest, so the dashboard can compare the two runs.
    assert runs["every"]["probe_digest"] == runs["plain"]["probe_digest"]
    assert len(runs["every"]["probe_digest"]) == 64


def test_the_attribution_route_serves_one_method_of_one_example(logdir):
    app, _ = plugin_logs.make_app(logdir)
    written = plugin_logs.written_records(logdir / "every")["tb_attrib/methods/guided_ig"]
    status, body = _get(app, "attribution?run=every&tag=tb_attrib/methods/guided_ig&index=2")
    assert status == 200
    records = codec.decode_bundle(body)
    assert codec.decode_record(records[0]).fields == {"epochs": [0, 1]}
    assert records[1:] == [written[0][3], written[1][3]]
    _, body = _get(app, "attribution?run=every&tag=tb_attrib/methods/guided_ig&index=2&epoch=1")
    assert codec.decode_bundle(body)[1:] == [written[1][3]]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("attribution?run=every&index=0", 400),
        ("attribution?run=every&tag=tb_attrib/methods/guided_ig", 400),
        ("attribution?run=every&tag=tb_attrib/methods/guided_ig&index=-1", 400),
        ("attribution?run=every&tag=tb_attrib/methods/lime&index=0", 404),
        ("attribution?run=every&tag=tb_attrib/interior_gradients&index=0", 404),
        ("attribution?run=every&tag=tb_attrib/methods/guided_ig&index=9", 404),
        ("attribution?run=every&tag=tb_attrib/methods/guided_ig&index=0&epoch=7", 404),
        ("attribution?run=nope&tag=tb_attrib/methods/guided_ig&index=0", 404),
    ],
)
def test_the_attribution_route_rejects_bad_requests(logdir, query, status):
    app, _ = plugin_logs.make_app(logdir)
    code, body = _get(app, query)
    assert code == status, body
    assert len(body) < 300


def test_a_v1_log_lists_ig_as_its_one_method_and_no_digest(tmp_path):
    shutil.copytree(FIXTURE_V1, tmp_path / "v1")
    app, _ = plugin_logs.make_app(tmp_path / "v1")
    _, body = _get(app, "runs")
    (run,) = json.loads(body)["runs"]
    assert [m["name"] for m in run["methods"]] == ["integrated_gradients"]
    assert run["probe_digest"] is None


def test_load_reads_every_method(logdir):
    log = tb_attrib.load(logdir)
    every, plain = log["every"], log["plain"]
    assert sorted(every.method_maps) == ["guided_ig", "smoothgrad", "smoothgrad_ig"]
    assert every.method_maps["guided_ig"].shape == every.ig_maps.shape == (2, 5, *SHAPE[:2])
    assert every.inputs[0].method_maps["smoothgrad"] is every.method_maps["smoothgrad"]
    assert "methods: guided_ig, smoothgrad, smoothgrad_ig" in repr(every)
    assert plain.method_maps == {}
    # The maps as written: GIG's map is not IG's.
    assert np.abs(every.method_maps["guided_ig"] - every.ig_maps).max() > 0
