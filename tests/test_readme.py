"""The README's "Every kind of model" snippets run as they are."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippets() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Every kind of model") : text.index("## The engine without")]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_section_has_a_snippet_per_kind():
    assert len(_snippets()) == 6


@pytest.mark.slow
@pytest.mark.parametrize("index", range(6))
def test_snippet_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = _snippets()[index]
    exec(compile(code, f"README snippet {index}", "exec"), {"__name__": "__readme__"})
    assert any(p.name.startswith("events.out") for p in Path("logs").rglob("*")), os.listdir()
