"""The plugin's entry point: light to import, discoverable, and raising the sampling limit."""

from __future__ import annotations

import argparse
import importlib.metadata
import subprocess
import sys

import pytest
from tensorboard.plugins import base_plugin
from tensorboard.plugins.core import core_plugin

from tb_attrib.plugin import loader
from tb_attrib.summary.metadata import PLUGIN_NAME


def _parsed_flags(*argv: str) -> argparse.Namespace:
    """Parses ``argv`` with TensorBoard's own core flag definitions."""
    parser = argparse.ArgumentParser()
    core_plugin.CorePluginLoader().define_flags(parser)
    return parser.parse_args(list(argv))


def test_entry_point_names_the_loader() -> None:
    points = importlib.metadata.entry_points(group="tensorboard_plugins")
    (point,) = [p for p in points if p.name == PLUGIN_NAME]
    assert point.value == "tb_attrib.plugin.loader:AttributionsLoader"
    assert point.load() is loader.AttributionsLoader


def test_entry_point_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, tb_attrib.plugin.loader as m; m.AttributionsLoader();"
        "heavy = [n for n in ('tensorflow', 'keras', 'numpy', 'tb_attrib.plugin.data',"
        " 'tb_attrib.summary.codec', 'tb_attrib.summary.summary_v2') if n in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == ""


def test_default_sampling_keeps_every_epoch() -> None:
    flags = _parsed_flags()
    assert flags.samples_per_plugin == {}  # TensorBoard 2.21 parses the flag into a dict
    loader.AttributionsLoader().fix_flags(flags)
    assert flags.samples_per_plugin == {PLUGIN_NAME: loader.DEFAULT_SAMPLES}
    assert loader.DEFAULT_SAMPLES >= 500


@pytest.mark.parametrize("value", ["tb_attrib=7", "images=3,tb_attrib=0", "tb_attrib=7,"])
def test_users_own_samples_per_plugin_wins(value: str) -> None:
    flags = _parsed_flags("--samples_per_plugin", value)
    expected = dict(flags.samples_per_plugin)
    loader.AttributionsLoader().fix_flags(flags)
    assert flags.samples_per_plugin == expected


def test_other_plugins_hints_are_kept() -> None:
    flags = _parsed_flags("--samples_per_plugin", "images=3")
    loader.AttributionsLoader().fix_flags(flags)
    assert flags.samples_per_plugin == {"images": 3, PLUGIN_NAME: loader.DEFAULT_SAMPLES}


def test_unparsed_string_from_configure_is_parsed() -> None:
    flags = argparse.Namespace(samples_per_plugin="scalars=5, tb_attrib=9")
    loader.AttributionsLoader().fix_flags(flags)
    assert flags.samples_per_plugin == {"scalars": 5, PLUGIN_NAME: 9}
    flags = argparse.Namespace(samples_per_plugin="")
    loader.AttributionsLoader().fix_flags(flags)
    assert flags.samples_per_plugin == {PLUGIN_NAME: loader.DEFAULT_SAMPLES}


@pytest.mark.parametrize("value", ["tb_attrib", "tb_attrib=all", 3])
def test_malformed_samples_per_plugin_is_a_flags_error(value: object) -> None:
    with pytest.raises(base_plugin.FlagsError):
        loader.AttributionsLoader().fix_flags(argparse.Namespace(samples_per_plugin=value))


def test_load_returns_the_plugin_with_frontend_metadata() -> None:
    context = base_plugin.TBContext(data_provider=None, sampling_hints={})
    plugin = loader.AttributionsLoader().load(context)
    assert plugin.plugin_name == PLUGIN_NAME
    assert plugin.data_plugin_names() == (PLUGIN_NAME,)
    assert plugin.is_active() is False  # activity comes from the data provider's listing
    meta = plugin.frontend_metadata()
    assert meta.es_module_path == "/static/index.js"
    assert meta.tab_name == "Attributions"
    assert not meta.disable_reload
