"""`standards-kernel check` (issue #18): by file or by id, one way of counting assumed values shared
with `list`, and TOML typed with a Chinese input method named as such."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

YUNNAN = ROOT / "provinces" / "yunnan" / "county-education-2009.toml"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "standards_kernel", *args], capture_output=True, text=True, timeout=120)


def test_check_takes_a_file_an_id_or_an_id_at_edition() -> None:
    by_file, by_id, pinned = cli("check", str(YUNNAN)), cli("check", "yunnan.county-education"), \
        cli("check", "yunnan.county-education@2009")
    assert by_file.returncode == by_id.returncode == pinned.returncode == 0, by_id.stderr
    assert by_file.stdout == by_id.stdout == pinned.stdout
    several = cli("check", "national.basic-balance")
    assert several.returncode == 2 and "several editions" in several.stderr
    dated = cli("check", "national.basic-balance", "--as-of", "2013-06-01")
    assert dated.returncode == 0 and dated.stdout.startswith("national.basic-balance@2012：")


def test_check_and_list_count_assumed_parameters_alike() -> None:
    listing = json.loads(cli("list", "--format", "json").stdout)
    checked = 0
    for entry in listing["standards"]:
        for edition in entry["editions"]:
            key = f"{entry['id']}@{edition['edition']}"
            counts = {s: n for s, n in edition["parameters"].items() if n}
            out = cli("check", key, "--lang", "en").stdout
            line = next(l for l in out.splitlines() if "parameters by status" in l)
            shown = dict((s, int(n)) for s, n in (part.split() for part in line.split(": ", 1)[1].split(", ")))
            assert shown == counts, (key, line, counts)
            named = next((l for l in out.splitlines() if l.strip().startswith("assumed parameters")), "")
            assert (f"assumed parameters ({counts['assumed']};" in named) if counts.get("assumed") else named == ""
            zh = cli("check", key).stdout  # Chinese by default, the same count
            assert (f"假定参数（{counts.get('assumed')} 个" in zh) == bool(counts.get("assumed"))
            checked += 1
    assert checked >= 10


def test_full_width_punctuation_is_named(tmp_path: Path) -> None:
    path = tmp_path / "typed.toml"
    path.write_text('[parameters.ratio]\nlabel = { zh = “生师比”, en = "ratio" }\n', "utf-8")
    run = cli("check", str(path))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{path}:2: malformed TOML" in run.stderr and "“ (write \")" in run.stderr
    path.write_text('[parameters.ratio]\nvalue ＝ 1\n', "utf-8")
    assert "＝ (write =)" in cli("check", str(path)).stderr
    path.write_text('[parameters.ratio]\nnote = "“引号”在字符串里没问题" x\n', "utf-8")  # inside quotes: not the cause
    assert "full-width" not in cli("check", str(path)).stderr
