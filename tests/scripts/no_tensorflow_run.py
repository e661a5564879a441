"""Write, read and serve a tb_attrib log where TensorFlow is not installed.

Run by ``tests/test_no_tensorflow.py`` with the python of ``.venv-notf`` (``tests/notf_venv.py``)::

    python tests/scripts/no_tensorflow_run.py ops LOGDIR   # the public write ops, NumPy data
    KERAS_BACKEND=jax python tests/scripts/no_tensorflow_run.py fit LOGDIR  # model.fit on JAX

``ops`` writes a probe, sweeps, integrated gradients (with predicted-class maps), feature maps,
histograms and scalars with ``tb_attrib.summary``'s writer, reads them back with
``tb_attrib.load``, and serves the log with this venv's ``tensorboard`` CLI on both loading
paths. ``fit`` trains a small CNN for two epochs with the three callbacks and serves that
log. Each checks that the plugin's ``runs``, ``probe``, ``example`` and ``gallery`` routes
answer 200 with bundles that hold exactly the written records, that TensorBoard's own
Histograms and Scalars routes serve the standard summaries, and that TensorFlow was never
imported. The last line printed is a JSON summary.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import urllib.parse
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))

assert importlib.util.find_spec("tensorflow") is None, "TensorFlow is installed here"

import numpy as np  # noqa: E402
import plugin_logs  # noqa: E402  (tests/; written_records reads event files, no TensorFlow)
from tb_process import http_get, tensorboard_process, wait_until  # noqa: E402

import tb_attrib  # noqa: E402
import tb_attrib.summary as tbs  # noqa: E402
from tb_attrib.summary import codec, metadata  # noqa: E402
from tb_attrib.summary import writer as summary_writer  # noqa: E402

API = "/data/plugin/tb_attrib"
EPOCHS = 3
N, SIZE, CLASSES = 4, 8, 3
ALPHAS = (0.25, 0.5, 1.0)


def write_ops(run_dir: Path) -> dict:
    """Every kind of series, written with the public write ops at epochs 0 .. EPOCHS - 1."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (N, SIZE, SIZE, 3)).astype(np.float32)
    labels = np.arange(N) % CLASSES
    writer = tbs.create_file_writer(run_dir)
    assert isinstance(writer, summary_writer.TensorBoardWriter), type(writer)
    assert writer.backend == "tensorboard"
    scalars = {}
    for epoch in range(EPOCHS):
        with writer.as_default(step=epoch):
            if epoch == 0:
                assert tbs.probe(
                    metadata.TAG_PROBE,
                    x,
                    labels=labels,
                    class_names=["a", "b", "c"],
                    masks=x[..., 0] > 0.5,
                )
            assert tbs.interior_gradients(
                metadata.TAG_INTERIOR_GRADIENTS,
                ALPHAS,
                rng.normal(size=(N, len(ALPHAS), SIZE, SIZE, 3)),
                rng.dirichlet(np.ones(CLASSES), size=(N, len(ALPHAS))),
                labels,
                baseline="black",
            )
            attributions = rng.normal(size=(N, SIZE, SIZE, 3))
            predicted = (np.array([1]), _Result(rng.normal(size=(1, SIZE, SIZE, 3)), [2]))
            assert tbs.integrated_gradients(
                metadata.TAG_INTEGRATED_GRADIENTS,
                attributions=attributions,
                delta=rng.normal(size=N) * 1e-3,
                targets=labels,
                score_input=rng.uniform(0.5, 1, N),
                score_baseline=rng.uniform(0, 0.5, N),
                method="gausslegendre",
                steps=16,
                baseline="black",
                predicted=predicted,
            )
            assert tbs.feature_maps(
                metadata.TAG_FEATURE_MAPS_PREFIX + "conv",
                rng.uniform(0, 1, (N, 4, 4, 5)),
                layer="conv",
            )
            scalars[epoch] = float(epoch) / 2 + 0.25
            summary = summary_writer.dashboards_pb(
                histograms={"weights/kernel": rng.normal(size=100) + epoch},
                scalars={"tb_attrib/completeness": scalars[epoch]},
            )
            assert summary_writer.write_pb(summary)
    writer.close()
    assert summary_writer.default_writer() is None
    assert tbs.probe("outside", x) is False  # no default writer: nothing written
    return {"scalars": scalars}


class _Result:
    """The parts of an integrated-gradients result that ``predicted=`` reads."""

    def __init__(self, attributions: np.ndarray, target: list[int]) -> None:
        self.attributions = attributions
        self.delta = np.zeros(len(target), np.float32)
        self.target = np.asarray(target, np.int32)


def fit_on_jax(logdir: Path) -> dict:
    """Two epochs of ``model.fit`` with the three callbacks (KERAS_BACKEND=jax)."""
    import keras

    from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms

    assert keras.backend.backend() == "jax", keras.backend.backend()
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (48, 12, 12, 3)).astype(np.float32)
    y = np.arange(48) % CLASSES
    inputs = keras.Input((12, 12, 3))
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax")(h))
    model.compile("adam", "sparse_categorical_crossentropy")
    callbacks = [
        Attributions(logdir, x[:N], y[:N], class_names=["a", "b", "c"], ig_steps=8),
        ActivationSummaries(logdir, x[:N]),
        WeightHistograms(logdir),
    ]
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=callbacks)
    return {}


def serve_and_check(logdir: Path, run: str, epochs: list[int], load_fast: str) -> dict:
    """Starts this venv's ``tensorboard`` on ``logdir``; the routes must serve what was
    written."""
    written = plugin_logs.written_records(logdir / run)
    sweep_tag, ig_tag = metadata.TAG_INTERIOR_GRADIENTS, metadata.TAG_INTEGRATED_GRADIENTS
    started = time.monotonic()
    with tensorboard_process(logdir, f"--load_fast={load_fast}", "--reload_interval=1") as url:

        def loaded() -> dict | None:
            body = http_get(f"{url}{API}/runs").json()
            runs = {r["run"]: r for r in body["runs"]}
            return runs.get(run) if runs.get(run, {}).get("epochs") == epochs else None

        entry = wait_until(loaded, timeout=90, what=f"TensorBoard to load {run}")
        assert entry["num_examples"] == N and entry["class_names"] == ["a", "b", "c"], entry
        assert entry["warnings"] == [], entry["warnings"]

        probe = _bundle(url, "probe", run=run)
        assert probe == written[metadata.TAG_PROBE][0], "probe bundle differs from the log"
        for index in range(N):
            example = _bundle(url, "example", run=run, index=index)
            assert codec.decode_record(example[0]).fields["epochs"] == epochs
            for k, epoch in enumerate(epochs):
                assert example[1 + 2 * k] == written[sweep_tag][epoch][1 + index]
                assert example[2 + 2 * k] == written[ig_tag][epoch][1 + index]
                codec.decode_record(example[1 + 2 * k])  # decodable
                codec.decode_record(example[2 + 2 * k])
        gallery = _bundle(url, "gallery", run=run)
        assert gallery[1] == written[sweep_tag][epochs[0]][0]

        tags = http_get(f"{url}/data/plugin/histograms/tags").json()
        histogram_tags = sorted(tags.get(run, {}))
        assert histogram_tags, tags
        histograms = http_get(
            f"{url}/data/plugin/histograms/histograms?"
            + urllib.parse.urlencode({"run": run, "tag": histogram_tags[0]})
        )
        assert histograms.status == 200, histograms.body[:300]
        assert [step for _, step, _ in histograms.json()] == epochs
        scalar_tags = sorted(http_get(f"{url}/data/plugin/scalars/tags").json().get(run, {}))
        scalars = {}
        for tag in scalar_tags:
            answer = http_get(
                f"{url}/data/plugin/scalars/scalars?"
                + urllib.parse.urlencode({"run": run, "tag": tag})
            )
            assert answer.status == 200, answer.body[:300]
            scalars[tag] = {step: value for _, step, value in answer.json()}
    return {
        "load_fast": load_fast,
        "seconds": round(time.monotonic() - started, 1),
        "histogram_tags": histogram_tags,
        "scalars": scalars,
    }


def _bundle(url: str, route: str, **params: object) -> list[bytes | None]:
    answer = http_get(f"{url}{API}/{route}?{urllib.parse.urlencode(params)}")
    assert answer.status == 200, (route, answer.status, answer.body[:300])
    assert answer.header("Content-Type") == "application/octet-stream"
    return codec.decode_bundle(answer.body)


def main() -> None:
    part, logdir = sys.argv[1], Path(sys.argv[2])
    report: dict = {"part": part}
    if part == "ops":
        written = write_ops(logdir / "ops")
        log = tb_attrib.load(logdir)
        run = log["ops"]
        assert run.epochs.tolist() == list(range(EPOCHS)), run.epochs
        assert run.ig_maps.shape == (EPOCHS, N, SIZE, SIZE), run.ig_maps.shape
        assert run.sweep_maps.shape == (EPOCHS, N, len(ALPHAS), SIZE, SIZE)
        assert run.ig_predicted_target[:, 1].tolist() == [2] * EPOCHS
        assert sorted(run.feature_maps) == ["conv"]
        report["serve"] = [
            serve_and_check(logdir, "ops", list(range(EPOCHS)), load_fast)
            for load_fast in ("auto", "false")
        ]
        for served in report["serve"]:
            assert served["scalars"]["tb_attrib/completeness"] == written["scalars"], served
    elif part == "fit":
        fit_on_jax(logdir)
        log = tb_attrib.load(logdir)
        assert log["probe"].epochs.tolist() == [0, 1]
        assert np.isfinite(log["probe"].ig_delta).all()
        report["serve"] = [serve_and_check(logdir, "probe", [0, 1], "auto")]
        assert report["serve"][0]["histogram_tags"], "no activation histograms"
    else:
        raise SystemExit(f"unknown part {part!r}")
    assert "tensorflow" not in sys.modules, "TensorFlow was imported"
    report["tensorflow_imported"] = False
    print(json.dumps(report))


if __name__ == "__main__":
    main()
