"""The test cases of the built-in jurisdictions (provinces/<jurisdiction>/cases/*.case.toml), run by
the project's own runner, one pytest item per case: each fixture county's expected result, as its
header works it out, stated as data next to the standards it tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from standards_kernel.authoring.cases import find_case_files, load_cases, run_case, run_path
from tests.helpers import FIXTURES, ROOT

PROVINCES = ROOT / "provinces"
JURISDICTIONS = ("gansu", "guizhou", "henan", "national", "yunnan")
FILES = find_case_files(PROVINCES)
CASES = [case for file in FILES for case in load_cases(file)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{Path(c.file).relative_to(PROVINCES)}::{c.name}")
def test_case(case):
    result = run_case(case)
    assert result.passed, result.report()


def test_every_jurisdiction_has_cases_and_every_fixture_county_one_file():
    assert sorted({f.parent.parent.name for f in FILES}) == list(JURISDICTIONS)
    counties = sorted(p.relative_to(FIXTURES / "counties").with_suffix("") for p in (FIXTURES / "counties").glob("*/*.toml"))
    cased = sorted(f.relative_to(PROVINCES).parent.parent / f.name.removesuffix(".case.toml") for f in FILES)
    assert cased == counties


def test_cases_are_not_shipped_as_standards():
    # The plugins contribute provinces/<jurisdiction>/*.toml only: cases/ is a folder beside them.
    from standards_kernel_plugins import bundled

    for jurisdiction in JURISDICTIONS:
        assert not any(f.name.endswith(".case.toml") for f in bundled(jurisdiction))


def test_a_wrong_expected_value_fails(tmp_path: Path):
    # A copy of a case file (its submission path still resolving) with one expected value changed.
    source = PROVINCES / "yunnan" / "cases" / "yuanjiang-2009.case.toml"
    folder = tmp_path / "a" / "b" / "c"
    folder.mkdir(parents=True)
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    text = source.read_text("utf-8")
    assert text.count("score = 91.5\n") == 1
    (folder / source.name).write_text(text.replace("score = 91.5\n", "score = 91.4\n"), "utf-8")
    results, problems = run_path(folder)
    assert problems == []
    failed = [r for r in results if not r.passed]
    assert [r.case.name for r in failed] == ["Yuanjiang 2009: the D-class veto holds the grade at qualified"]
    assert "score  expected 91.4, got 91.5" in failed[0].report()
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "test", str(folder), "--lang", "en"],
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    total = len(load_cases(source))  # the reviewed county and its variants
    assert total == len(results) > 1 and f"{total - 1} of {total} case(s) passed" in run.stdout


def test_the_command_line_runs_them_all():
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "test", str(PROVINCES)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(CASES)}/{len(CASES)} 个用例通过" in run.stdout  # Chinese unless asked otherwise
    assert run.stdout.count("通过 ") >= len(CASES) and "PASS" not in run.stdout
