"""The two summary writers write the same bytes: ``tf.summary`` and TensorBoard's own.

Every log here is written twice (or three times) from the same data: through the TensorFlow
writer, through TensorBoard's ``EventFileWriter`` (forced, TensorFlow being installed), and,
for the write ops, through the literal ``tf.summary.write`` the ops used before the writer
seam. Events must match byte for byte apart from their wall time, and read back alike
through TensorBoard's data provider and ``tb_attrib.load``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import keras
import numpy as np
import plugin_logs as logs
import pytest
import tensorflow as tf
from conftest import small_cnn, tb_provider
from tensorboard import context
from tensorboard.backend.event_processing import event_file_loader

import tb_attrib
from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms, writers
from tb_attrib.summary import metadata, summary_v2
from tb_attrib.summary import writer as summary_writer


def events(run_dir: Path) -> list:
    """The events of the one event file in ``run_dir``."""
    (path,) = Path(run_dir).glob("*tfevents*")
    return list(event_file_loader.EventFileLoader(str(path)).Load())


def written(run_dir: Path) -> list[tuple[int, bytes]]:
    """``(step, serialized Summary)`` of every summary event, in file order, leaving out the
    callbacks' own timings (``overhead/...`` scalars differ from run to run)."""
    found = []
    for event in events(run_dir):
        kept = [v for v in event.summary.value if not v.tag.startswith("overhead/")]
        if kept:
            summary = type(event.summary)(value=kept)
            found.append((event.step, summary.SerializeToString()))
    return found


def assert_same_events(*run_dirs: Path) -> None:
    first, *others = [written(d) for d in run_dirs]
    assert first
    for other in others:
        assert len(other) == len(first)
        for (step_a, a), (step_b, b) in zip(first, other, strict=True):
            assert step_a == step_b
            assert a == b


@contextlib.contextmanager
def tf_summary_writers_are(backend: str):
    """``tf.summary.create_file_writer`` replaced by ``tb_attrib.summary.create_file_writer``
    on ``backend``, so that a helper that opens its own ``tf.summary`` writer writes through
    that backend instead."""
    original = tf.summary.create_file_writer

    def create(logdir, *args, **kwargs):
        tf.summary.create_file_writer = original  # the TensorFlow writer calls it
        try:
            return summary_writer.create_file_writer(logdir, backend=backend)
        finally:
            tf.summary.create_file_writer = create

    tf.summary.create_file_writer = create
    try:
        yield
    finally:
        tf.summary.create_file_writer = original


def write_blob_sequence_as_before(name, records, summary_metadata, step=None):
    """What the write ops did before :mod:`tb_attrib.summary.writer`: ``tf.summary.write`` of
    a string tensor under ``summary_scope``."""
    with tf.summary.experimental.summary_scope(name, "summary") as (tag, _):
        return tf.summary.write(
            tag=tag,
            tensor=tf.constant(records, dtype=tf.string),
            step=step,
            metadata=summary_metadata,
        )


MODALITY_RUNS = {
    "image": dict(modality="image", feature_maps=True),
    "two": dict(modality=["image", "tabular"], head="binary", label_and_predicted=True),
    "tokens": dict(modality="tokens"),
    "sequence": dict(modality="sequence", head="regression"),
}


@pytest.fixture(scope="module")
def three_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same modality runs, through the old ``tf.summary.write``, the TensorFlow writer
    and TensorBoard's writer."""
    roots = {}
    for way in ("before", summary_writer.TENSORFLOW, summary_writer.TENSORBOARD):
        root = roots[way] = tmp_path_factory.mktemp(f"writer_{way}")
        with contextlib.ExitStack() as stack:
            if way == "before":
                patch = pytest.MonkeyPatch()
                stack.callback(patch.undo)
                patch.setattr(summary_writer, "write_blob_sequence", write_blob_sequence_as_before)
            else:
                stack.enter_context(tf_summary_writers_are(way))
            for run, options in MODALITY_RUNS.items():
                logs.write_modality_log(root / run, epochs=3, examples=3, **options)
    return roots


def test_the_forced_writer_is_tensorboards(three_logs: dict[str, Path]) -> None:
    (first, *_) = events(three_logs[summary_writer.TENSORBOARD] / "image")
    assert first.source_metadata.writer == "tensorboard.summary.writer.event_file_writer"
    (first, *_) = events(three_logs[summary_writer.TENSORFLOW] / "image")
    assert first.source_metadata.writer == "tensorflow.core.util.events_writer"


@pytest.mark.parametrize("run", sorted(MODALITY_RUNS))
def test_write_ops_write_the_same_bytes_on_every_path(three_logs, run: str) -> None:
    assert_same_events(*(root / run for root in three_logs.values()))


def _provider_contents(logdir: Path) -> dict:
    """Every blob sequence of every run, read through TensorBoard's data provider."""
    provider = tb_provider(logdir)
    ctx = context.RequestContext()
    out = {}
    series = provider.read_blob_sequences(
        ctx,
        experiment_id="",
        plugin_name=metadata.PLUGIN_NAME,
        downsample=10**6,
        run_tag_filter=None,
    )
    for run, tags in series.items():
        for tag, data in tags.items():
            out[run, tag] = {
                d.step: [provider.read_blob(ctx, blob_key=v.blob_key) for v in d.values]
                for d in data
            }
    return out


def test_data_provider_reads_both_alike(three_logs) -> None:
    tf_log = _provider_contents(three_logs[summary_writer.TENSORFLOW])
    tb_log = _provider_contents(three_logs[summary_writer.TENSORBOARD])
    assert len(tf_log) == 4 * len(MODALITY_RUNS) - 3  # feature maps in "image" only
    assert tb_log == tf_log


def _assert_same_value(a: object, b: object, where: str) -> None:
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), where
        for key in a:
            _assert_same_value(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same_value(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dataclass_fields__"):
        for field in a.__dataclass_fields__:
            _assert_same_value(getattr(a, field), getattr(b, field), f"{where}.{field}")
    else:
        assert a == b, where


def test_tb_attrib_load_reads_both_alike(three_logs) -> None:
    tf_log = tb_attrib.load(three_logs[summary_writer.TENSORFLOW])
    tb_log = tb_attrib.load(three_logs[summary_writer.TENSORBOARD])
    assert sorted(tb_log) == sorted(MODALITY_RUNS)
    for run in tf_log:
        assert tb_log[run].sweep_maps is not None and tb_log[run].ig_maps is not None
        _assert_same_value(tf_log[run], tb_log[run], run)


# ---- the callbacks --------------------------------------------------------------------------


def _run_callbacks(log_dir: Path, model: keras.Model, epochs: int = 2) -> None:
    """The three callbacks at the ends of ``epochs`` epochs of ``model`` (no fit: the same
    weights every time, so that both writers get the same numbers)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (4, 12, 12, 3)).astype(np.float32)
    y = np.arange(4) % 4
    callbacks = [
        Attributions(log_dir, x, y, class_names=list("abcd"), alphas=[0.5, 1.0], ig_steps=8),
        ActivationSummaries(log_dir, x, max_channels=2),
        WeightHistograms(log_dir),
    ]
    for callback in callbacks:
        callback.set_model(model)
        callback.on_train_begin()
    for epoch in range(epochs):
        for callback in callbacks:
            callback.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    for callback in callbacks:
        callback.on_train_end()


@pytest.fixture(scope="module")
def callback_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    roots = {}
    keras.utils.set_random_seed(3)
    model = small_cnn()
    for backend in summary_writer.BACKENDS:
        roots[backend] = tmp_path_factory.mktemp(f"callbacks_{backend}")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(summary_writer.ENV_VAR, backend)
            _run_callbacks(roots[backend], model)
    return roots


@pytest.mark.parametrize("run", ["probe", "weights"])
def test_callbacks_write_the_same_bytes_with_either_writer(callback_logs, run: str) -> None:
    tf_dir, tb_dir = (callback_logs[b] / run for b in summary_writer.BACKENDS)
    (first, *_) = events(tb_dir)
    assert first.source_metadata.writer == "tensorboard.summary.writer.event_file_writer"
    assert_same_events(tf_dir, tb_dir)


def _dashboards(logdir: Path) -> dict:
    """Every histogram and scalar, read through TensorBoard's data provider."""
    provider = tb_provider(logdir)
    ctx = context.RequestContext()
    out = {}
    for plugin in ("histograms", "scalars"):
        read = provider.read_tensors if plugin == "histograms" else provider.read_scalars
        for run, tags in read(
            ctx, experiment_id="", plugin_name=plugin, downsample=10**6, run_tag_filter=None
        ).items():
            for tag, data in tags.items():
                if tag.startswith("overhead/"):  # timings differ from run to run
                    continue
                values = [
                    (d.step, np.asarray(d.numpy if plugin == "histograms" else d.value))
                    for d in data
                ]
                out[plugin, run, tag] = values
    return out


def test_histograms_and_scalars_read_alike_with_either_writer(callback_logs) -> None:
    tf_log, tb_log = (_dashboards(callback_logs[b]) for b in summary_writer.BACKENDS)
    kinds = {kind for kind, _, _ in tb_log}
    assert kinds == {"histograms", "scalars"}
    assert any(run == "weights" for _, run, _ in tb_log)
    assert sorted(tb_log) == sorted(tf_log)
    for key, values in tf_log.items():
        # Stability compares with the previous epoch: from the second one.
        expected = [1] if key[2].startswith("stability/") else [0, 1]
        assert [s for s, _ in tb_log[key]] == [s for s, _ in values] == expected, key
        for (_, a), (_, b) in zip(values, tb_log[key], strict=True):
            np.testing.assert_array_equal(a, b, err_msg=str(key))


def test_callbacks_share_one_tensorboard_writer_per_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(summary_writer.ENV_VAR, "tensorboard")
    _run_callbacks(tmp_path, small_cnn(), epochs=1)
    assert sorted(p.parent.name for p in tmp_path.rglob("*tfevents*")) == ["probe", "weights"]
    assert all(p.name.endswith(".tb_attrib.v2") for p in tmp_path.rglob("*tfevents*"))


# ---- the writer API -------------------------------------------------------------------------


def _probe(name: str = "tb_attrib/probe", **kwargs) -> bool:
    return summary_v2.probe(name, np.zeros((2, 3, 3, 3), np.float32), labels=[0, 1], **kwargs)


@pytest.mark.parametrize("backend", summary_writer.BACKENDS)
def test_default_step_and_explicit_step(tmp_path: Path, backend: str) -> None:
    writer = summary_writer.create_file_writer(tmp_path, backend=backend)
    assert writer.backend == backend
    with writer.as_default(step=5):
        assert summary_writer.default_writer() is writer
        assert _probe("a")
        assert _probe("b", step=9)
        with writer.as_default():  # the enclosing block's step
            assert _probe("c")
    assert summary_writer.default_writer() is None
    writer.close()
    steps = {e.summary.value[0].tag: e.step for e in events(tmp_path) if e.summary.value}
    assert steps == {"a": 5, "b": 9, "c": 5}


def test_no_default_writer_writes_nothing(tmp_path: Path) -> None:
    assert summary_writer.default_writer() is None
    assert _probe() is False
    assert summary_writer.write_pb(summary_writer.dashboards_pb(scalars={"s": 1.0})) is False
    # Nor without TensorFlow loaded (this process has it: hide it).
    with pytest.MonkeyPatch.context() as patch:
        patch.delitem(sys.modules, "tensorflow")
        assert _probe() is False


def test_tensorboard_writer_needs_a_step(tmp_path: Path) -> None:
    writer = summary_writer.create_file_writer(tmp_path, backend="tensorboard")
    with writer.as_default(), pytest.raises(ValueError, match="No step set"):
        _probe()
    writer.close()
    with writer.as_default(step=0), pytest.raises(ValueError, match="closed"):
        _probe()


def test_tensorboard_writer_flushes_at_the_end_of_a_block(tmp_path: Path) -> None:
    writer = summary_writer.create_file_writer(tmp_path, backend="tensorboard", flush_millis=10**7)
    with writer.as_default(step=1):
        _probe()
    assert [tag for tag in logs.written_records(tmp_path)] == ["tb_attrib/probe"]
    writer.close()
    writer.close()  # twice is fine


def test_a_users_own_tf_summary_writer_still_works(tmp_path: Path) -> None:
    with tf.summary.create_file_writer(str(tmp_path)).as_default(step=2):
        assert _probe() is True
        with tf.name_scope("outer"):  # tags under a name scope, as tf.summary ops name theirs
            assert _probe("scoped") is True
    tags = [e.summary.value[0].tag for e in events(tmp_path) if e.summary.value]
    assert tags == ["tb_attrib/probe", "outer/scoped"]


def test_record_always_overrides_record_if_on_the_tensorflow_writer(tmp_path: Path) -> None:
    writer = summary_writer.create_file_writer(tmp_path, backend="tensorflow")
    with tf.summary.record_if(False):
        with writer.as_default(step=0):
            assert _probe("dropped") is False
        with writer.as_default(step=0), writer.record_always():
            assert _probe("kept") is True
    writer.close()
    assert [e.summary.value[0].tag for e in events(tmp_path) if e.summary.value] == ["kept"]


def test_backend_choice(monkeypatch) -> None:
    monkeypatch.delenv(summary_writer.ENV_VAR, raising=False)
    assert summary_writer.resolve_backend() == "tensorflow"  # loaded here
    monkeypatch.setenv(summary_writer.ENV_VAR, " TensorBoard ")
    assert summary_writer.resolve_backend() == "tensorboard"
    assert summary_writer.resolve_backend("auto") == "tensorflow"  # the argument wins
    monkeypatch.setenv(summary_writer.ENV_VAR, "torch")
    with pytest.raises(ValueError, match=summary_writer.ENV_VAR):
        summary_writer.resolve_backend()
    with pytest.raises(ValueError, match="backend must be one of"):
        summary_writer.resolve_backend("tf")
    monkeypatch.setenv(summary_writer.ENV_VAR, "auto")
    # Installed but not loaded (a JAX or PyTorch process): TensorBoard's, TensorFlow unstarted,
    # and so it stays once TensorFlow is loaded (TensorBoard's writer imports it for gfile).
    monkeypatch.setattr(summary_writer, "_auto_choice", None)
    with monkeypatch.context() as hidden:
        hidden.delitem(sys.modules, "tensorflow")
        assert summary_writer.resolve_backend() == "tensorboard"
    assert "tensorflow" in sys.modules
    assert summary_writer.resolve_backend() == "tensorboard"
    assert summary_writer.resolve_backend("tensorflow") == "tensorflow"  # can be asked for
    monkeypatch.setattr(summary_writer, "_tensorflow_installed", lambda: False)
    with pytest.raises(ImportError, match="not installed"):
        summary_writer.resolve_backend("tensorflow")


def test_check_writable_without_tensorflow(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(summary_writer.ENV_VAR, "tensorboard")
    writers.check_writable(str(tmp_path / "new" / "run"))
    assert (tmp_path / "new" / "run").is_dir()
    assert not list((tmp_path / "new" / "run").iterdir())
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=r"log_dir .* cannot be written"):
        writers.check_writable(str(tmp_path / "file" / "run"))


def test_is_chief_without_tensorflow(monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "tensorflow")
    assert writers.is_chief() is True
    assert writers.is_chief(None) is True


_JAX_FIT = """
import glob, sys
import keras
import numpy as np
from tensorboard.backend.event_processing import event_file_loader
from tb_attrib.callbacks import ActivationSummaries, Attributions, WeightHistograms

assert keras.backend.backend() == "jax"
x = np.random.default_rng(0).uniform(0, 1, (16, 12, 12, 3)).astype("float32")
y = np.arange(16) % 3
inputs = keras.Input((12, 12, 3))
h = keras.layers.Flatten()(keras.layers.Conv2D(4, 3, activation="relu")(inputs))
model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h))
model.compile("adam", "sparse_categorical_crossentropy")
d = sys.argv[1]
callbacks = [
    Attributions(d, x[:4], y[:4], alphas=[0.5, 1.0], ig_steps=8),
    ActivationSummaries(d, x[:4]),
    WeightHistograms(d),
]
model.fit(x, y, epochs=2, verbose=0, callbacks=callbacks)
started = False
if "tensorflow" in sys.modules:
    from tensorflow.python.eager import context
    started = context.context()._initialized
writers = sorted(
    next(iter(event_file_loader.EventFileLoader(f).Load())).source_metadata.writer
    for f in glob.glob(d + "/*/*tfevents*")
)
print(started, writers)
"""


@pytest.mark.slow
def test_jax_process_with_tensorflow_installed_never_starts_it(tmp_path: Path) -> None:
    """Keras on JAX where TensorFlow is installed: TensorBoard's writer for every run, and
    TensorFlow's runtime (which would reserve the GPU's memory) never initialised."""
    import subprocess

    pytest.importorskip("jax")
    result = subprocess.run(
        [sys.executable, "-c", _JAX_FIT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    writer = "tensorboard.summary.writer.event_file_writer"
    assert result.stdout.strip().splitlines()[-1] == f"False {[writer, writer]}"
