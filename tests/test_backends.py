"""tb_attrib on every Keras backend: the same weights give the same attributions on TensorFlow,
JAX and PyTorch; every model kind trains and writes on each; bad backends fail clearly.

Each backend runs in its own process (Keras fixes the backend at import), through
tests/scripts/backend_run.py. The models are built and saved once, here, under TensorFlow.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "scripts" / "backend_run.py"
OTHERS = [b for b in ("jax", "torch") if importlib.util.find_spec(b) is not None]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not OTHERS, reason="neither jax nor torch is installed"),
]


def _run(
    backend: str, *args: str, timeout: int = 300, **extra_env: str
) -> subprocess.CompletedProcess:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", **extra_env}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done


def _save_models(folder: Path) -> None:
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    # An image CNN with BatchNormalization (moving statistics from one epoch of training).
    image = keras.Sequential(
        [
            keras.Input((12, 12, 3)),
            keras.layers.Conv2D(6, 3, activation="gelu"),
            keras.layers.BatchNormalization(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    x = rng.uniform(0, 1, (32, 12, 12, 3)).astype(np.float32)
    y = (x[:, :6].mean(axis=(1, 2, 3)) * 6).astype(np.int32) % 3
    # A text model: token ids into an embedding with a padding mask.
    ids = rng.integers(1, 40, (32, 12)).astype(np.int32)
    ids[:, 9:] = 0
    inputs = keras.Input((12,), dtype="int32")
    hidden = keras.layers.Embedding(40, 8, mask_zero=True)(inputs)
    hidden = keras.layers.GlobalAveragePooling1D()(hidden)
    text = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
    # Two inputs, by name.
    pixels = keras.Input((6, 6, 1), name="pixels")
    meta = keras.Input((4,), name="meta")
    joined = keras.layers.Concatenate()([keras.layers.Flatten()(pixels), meta])
    joined = keras.layers.Dense(8, activation="tanh")(joined)
    two = keras.Model({"pixels": pixels, "meta": meta}, keras.layers.Dense(2)(joined))
    two_x = {
        "pixels": rng.uniform(size=(32, 6, 6, 1)).astype(np.float32),
        "meta": rng.normal(size=(32, 4)).astype(np.float32),
    }
    for name, model, data, labels, loss in [
        ("image", image, x, y, "sparse_categorical_crossentropy"),
        ("text", text, ids, ids[:, 0] % 2, "sparse_categorical_crossentropy"),
        ("two", two, two_x, (two_x["meta"][:, 0] > 0).astype(np.int32), None),
    ]:
        model.compile(
            optimizer="adam",
            loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        model.fit(data, labels, epochs=1, verbose=0)
        model.save(folder / f"{name}.keras")
        probe = (
            {f"x_{k}": v[:5] for k, v in data.items()}
            if isinstance(data, dict)
            else {"x": data[:5]}
        )
        np.savez(folder / f"{name}.npz", y=labels[:5], **probe)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict[str, np.ndarray]]:
    folder = tmp_path_factory.mktemp("models")
    _save_models(folder)
    found = {}
    for backend in ("tensorflow", *OTHERS):
        out = folder / f"{backend}.npz"
        _run(backend, "compare", str(folder), str(out))
        found[backend] = dict(np.load(out))
    return found


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


@pytest.mark.parametrize("backend", OTHERS)
def test_same_weights_same_numbers_on_every_backend(results, backend):
    reference, other = results["tensorflow"], results[backend]
    assert set(other) == set(reference)
    kinds = {key.split("/")[1] for key in reference}
    assert {"ig", "sweep", "predictions", "activation", "weight", "delta", "faithfulness"} <= kinds
    assert {"ig_gausslegendre", "ig_adaptive_trapezoid", "ig_uniform", "ig_blur"} <= kinds
    assert {"method_smoothgrad", "method_smoothgrad_ig", "method_guided_ig"} <= kinds
    for key in sorted(reference):
        if key.endswith("auto_relative"):
            continue
        if key.endswith("/delta"):  # float32 rounding of a sum near zero: compare absolutely
            np.testing.assert_allclose(other[key], reference[key], rtol=0, atol=1e-5)
            continue
        assert _relative(other[key], reference[key]) <= 1e-4, key


@pytest.mark.parametrize("backend", ["tensorflow", *OTHERS])
def test_completeness_at_the_defaults_on_every_backend(results, backend):
    for key, value in results[backend].items():
        if key.endswith("auto_relative"):
            assert np.all(value <= 0.01), (key, value)


@pytest.mark.parametrize("backend", OTHERS)
def test_every_model_kind_trains_and_writes(backend, tmp_path):
    out = tmp_path / "report.json"
    _run(backend, "kinds", str(tmp_path), str(out))
    report = json.loads(out.read_text())
    assert set(report) == {
        "functional_bn_dropout",
        "sequential_input",
        "sequential_no_input",
        "subclassed",
        "nested_backbone",
    }
    for name, kind in report.items():
        assert kind["epochs"] == [0, 1], name
        assert not kind["changed"], f"{name}: the callbacks moved a weight"
        assert kind["feature_maps"], name
    # Each epoch's attributions were computed with that epoch's weights (on JAX the training
    # state lives outside the model during an epoch).
    functional = report["functional_bn_dropout"]
    np.testing.assert_allclose(
        functional["score_input"], functional["recomputed_score_input"], rtol=1e-5
    )
    assert functional["score_input"][0] != functional["score_input"][1]


@pytest.mark.skipif("jax" not in OTHERS, reason="jax is not installed")
def test_jax_data_parallel_writes_once_and_equals_one_device(tmp_path):
    out = tmp_path / "parallel.json"
    flags = "--xla_force_host_platform_device_count=2"
    _run("jax", "parallel", str(tmp_path), str(out), XLA_FLAGS=flags)
    found = json.loads(out.read_text())
    assert found["devices"] == 2
    single, parallel = found["single"], found["parallel"]
    assert single["event_files"] == parallel["event_files"] == 1
    for key in ("ig", "sweep", "score"):
        a, b = np.asarray(parallel[key]), np.asarray(single[key])
        assert np.abs(a - b).max() <= 1e-5 * np.abs(b).max(), key


def test_backends_without_gradients_fail_at_construction():
    code = (
        "import numpy as np\n"
        "from tb_attrib.callbacks import Attributions\n"
        "try:\n"
        "    Attributions('unused', np.zeros((2, 3), 'float32'))\n"
        "except ValueError as e:\n"
        "    print(e)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "numpy", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert "Keras runs on the 'numpy' backend, which cannot compute gradients" in done.stdout
    assert "tensorflow, jax, torch" in done.stdout


def test_a_model_from_another_backend_fails_clearly():
    code = (
        "import keras, numpy as np\n"
        "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
        f"keras.config.set_backend({OTHERS[0]!r})\n"
        "import tb_attrib\n"
        "try:\n"
        "    tb_attrib.integrated_gradients(model, np.zeros((2, 3), 'float32'))\n"
        "except ValueError as e:\n"
        "    print(e)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert "built under the 'tensorflow' Keras backend, but Keras now runs on" in done.stdout
