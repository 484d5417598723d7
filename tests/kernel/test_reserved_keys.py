"""A standard file cannot set `origins`, the loader's own record of where merged entries come from
(issue #14): with it, `extends` was silently skipped (41 entries became 1) while `check` said
"extends"."""

from __future__ import annotations

import subprocess
import sys

import pytest

from standards_kernel.errors import StandardError
from standards_kernel.kernel.registry import default_registry
from tests.helpers import ROOT

GANSU = ROOT / "provinces" / "gansu" / "basic-balance-2012.toml"


def test_an_origins_table_is_refused_with_its_line(tmp_path) -> None:
    text = GANSU.read_text("utf-8") + '\n[origins]\n"indicators.x" = "national.basic-balance@2012"\n'
    path = tmp_path / "gansu.toml"
    path.write_text(text, "utf-8")
    error = pytest.raises(StandardError, default_registry().load_path, str(path)).value
    assert error.path == "origins" and error.line == text.splitlines().index("[origins]") + 1
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "check", str(path)], capture_output=True, text=True)
    assert run.returncode == 2 and "origins is not a key a standard file may set" in run.stderr and run.stdout == ""


def test_without_it_the_merge_keeps_every_inherited_entry() -> None:
    merged = default_registry().load_path(str(GANSU))
    parent = default_registry().get("national.basic-balance@2012")
    assert set(parent.indicators) <= set(merged.indicators) and len(merged.indicators) > 1
