"""Batch summaries print what inputs say (county names, error messages) escaped (issue #14): a
county named with a terminal escape sequence cannot clear an analyst's screen."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers import YUANJIANG


def test_a_county_name_with_an_escape_sequence_is_printed_escaped(tmp_path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    text = re.sub(r'name = "[^"]*"', r'name = "元江\\u001b[2J县"', YUANJIANG.read_text("utf-8"), count=1)
    (inputs / "a.toml").write_text(text, "utf-8")
    (inputs / "b.toml").write_text(text.replace('code = "', 'code = "9', 1), "utf-8")
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "evaluate-batch", str(inputs), "--out",
                          str(tmp_path / "r.ndjson"), "--jobs", "1"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "\x1b" not in run.stdout and "元江\\x1b[2J县" in run.stdout
    compared = subprocess.run([sys.executable, "-m", "standards_kernel", "compare", str(tmp_path / "r.ndjson"),
                               str(tmp_path / "r.ndjson"), "--all"], capture_output=True, text=True, timeout=300)
    assert compared.returncode == 0 and "\x1b" not in compared.stdout and "元江\\x1b[2J县" in compared.stdout
