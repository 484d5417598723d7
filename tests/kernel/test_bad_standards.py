"""A corpus of broken standard files: each must fail to load with its message, naming the file.

Each file under tests/data/bad_standards/ says what it expects in its first lines:
``# expect: <regex>`` (matched against the message) and ``# path: <key path>`` where one applies.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from standards_kernel.errors import StandardError
from standards_kernel.kernel.loader import load_standard_file
from tests.helpers import DATA, expectations

CORPUS = sorted((DATA / "bad_standards").glob("*.toml"))


def test_the_corpus_is_there():
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_standard_fails_with_a_clear_message(path: Path):
    expected = expectations(path)
    with pytest.raises(StandardError) as caught:
        load_standard_file(path)
    error = caught.value
    assert re.search(expected["expect"], str(error)), str(error)
    assert error.file == str(path)
    if "path" in expected:
        assert error.path == expected["path"], str(error)
        assert error.line is not None, f"no line found for {error.path}"
        assert str(error).startswith(f"{path}:{error.line}: {error.path}: ")


def test_syntax_errors_name_the_line():
    error = pytest.raises(StandardError, load_standard_file, CORPUS[0].parent / "malformed_toml.toml").value
    assert error.line == 6


@pytest.mark.parametrize("path", CORPUS[:5], ids=lambda p: p.stem)
def test_the_cli_reports_one_line_and_exit_2_without_a_traceback(path: Path):
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "check", str(path)], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("standards-kernel: error: ") and run.stderr.count("\n") == 1
