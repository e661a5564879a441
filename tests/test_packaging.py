"""A plain (non-editable) install gives one tb_attrib package with its frontend files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _wheel(tmp_path: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(tmp_path.glob("tb_attrib-*.whl"))


def test_wheel_holds_one_package_with_frontend_and_entry_point(tmp_path):
    wheel = _wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == {"tb_attrib"}, top_level
    assert "tb_attrib/callbacks/__init__.py" in names
    assert "tb_attrib/frontend/index.js" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[tensorboard_plugins]" in text and "tb_attrib.plugin.loader:AttributionsLoader" in text
    metadata = (
        zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    )
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    # TensorFlow only through an extra, so an existing tensorflow or tensorflow-cpu is kept.
    assert not [r for r in requires if "tensorflow" in r and "extra ==" not in r], requires


def test_installed_copy_imports_and_finds_its_frontend(tmp_path):
    wheel = _wheel(tmp_path)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert not (target / "callbacks").exists()
    script = (
        "import importlib.resources, tb_attrib, tb_attrib.callbacks;"
        "from tb_attrib.plugin import loader;"
        f"assert tb_attrib.__file__.startswith({str(target)!r});"
        "files = {p.name for p in importlib.resources.files('tb_attrib.frontend').iterdir()};"
        "assert 'index.js' in files, files;"
        "print(tb_attrib.PLUGIN_NAME, tb_attrib.__version__,"
        " tb_attrib.callbacks.Attributions.__name__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "tb_attrib" in out.stdout and "Attributions" in out.stdout


def test_set_up_installs_valid_targets_with_and_without_tensorflow():
    """tasks.py's install target: the CPU build only when no TensorFlow is present, and never
    the invalid ``.[]`` (the demo job, no extras, in a venv the test job filled)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    assert tasks.install_target("", has_tensorflow=True) == "."
    assert tasks.install_target("", has_tensorflow=False) == ".[cpu]"
    assert tasks.install_target("test,bench", has_tensorflow=True) == ".[test,bench]"
    assert tasks.install_target("test,bench", has_tensorflow=False) == ".[cpu,test,bench]"
