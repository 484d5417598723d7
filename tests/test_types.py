"""mypy over the package at its default settings (pyproject's [tool.mypy]): the typed public API
is checked in the same test run as everything else, so README's one test command covers it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT


def test_mypy_finds_no_error(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir",
         str(tmp_path / "cache"), str(ROOT / "src" / "standards_kernel")],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
