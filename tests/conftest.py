"""Shared fixtures: small Keras models and a log directory written by the real demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
# Small enough for CI, large enough that the demo network learns something and every series
# (probe, sweep, IG, feature maps, scalars, histograms) is written for several epochs.
DEMO_ARGS = ("--epochs", "3", "--train-size", "1200", "--probe-size", "8")


@pytest.fixture(scope="session")
def demo_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log directory written by ``demo_train.py`` (run as a user would, in a subprocess)."""
    logdir = tmp_path_factory.mktemp("demo") / "logs"
    result = subprocess.run(
        [sys.executable, str(ROOT / "demo_train.py"), "--logdir", str(logdir), *DEMO_ARGS],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"tensorboard --logdir {logdir}" in result.stdout
    return logdir


def tb_provider(logdir):
    """TensorBoard's own ``MultiplexerDataProvider`` over ``logdir``, keeping every tb_attrib
    sample (a bare multiplexer would keep 500 and could hide sampling limits: the CLI tests
    cover those)."""
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer

    from tb_attrib.summary import metadata

    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={metadata.PLUGIN_NAME: 0}
    )
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    return data_provider.MultiplexerDataProvider(multiplexer, str(logdir))


def series_records(logdir, tag, run="probe", digests_only=False):
    """``{step: [decoded record, ...]}`` of one tb_attrib series, read through TensorBoard's
    data provider (element 0 is the digest; with ``digests_only``, ``{step: digest}``)."""
    from tensorboard import context

    from tb_attrib.summary import codec, metadata

    provider = tb_provider(logdir)
    ctx = context.RequestContext()
    series = provider.read_blob_sequences(
        ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME, downsample=10**6
    )[run][tag]

    def read(value):
        return codec.decode_record(provider.read_blob(ctx, blob_key=value.blob_key))

    if digests_only:
        return {d.step: read(d.values[0]) for d in series}
    return {d.step: [read(v) for v in d.values] for d in series}


def small_cnn(activation: str = "relu", num_classes: int = 4, final: str | None = "softmax"):
    """A tiny CNN on 12x12x3 inputs with random non-zero biases (so that the gradient along the
    integration path is not constant, as it is for a freshly initialised ReLU network)."""
    import keras

    init = keras.initializers.RandomNormal(stddev=0.3)
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(8, 3, activation=activation, bias_initializer=init)(inputs)
    x = keras.layers.Conv2D(8, 3, strides=2, activation=activation, bias_initializer=init)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(num_classes, bias_initializer=init, activation=final)(x)
    return keras.Model(inputs, x)
