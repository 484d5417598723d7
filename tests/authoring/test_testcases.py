"""Test cases as data (*.case.toml): loading, exact comparison, the failure report with its trace,
the pytest plugin and `standards-kernel test`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from standards_kernel.authoring.cases import CaseError, load_cases, run_case, run_path
from tests.helpers import DATA, YUANJIANG

pytest_plugins = ["pytester"]

HEAD = f'''name = "Yuanjiang 2009"
standard = "yunnan.county-education"
submission = "{YUANJIANG}"
'''


def write(folder: Path, body: str, name: str = "yj.case.toml") -> Path:
    path = folder / name
    path.write_text(HEAD + textwrap.dedent(body), "utf-8")
    return path


def results(path: Path):
    return [run_case(case) for case in load_cases(path)]


def test_the_plugin_is_active_and_collects_this_repositorys_cases(request, tmp_path):
    assert request.config.pluginmanager.has_plugin("standards_kernel"), \
        "the pytest11 entry point is not installed: reinstall standards-kernel"
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          str(DATA / "tables")], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert [line for line in run.stdout.splitlines() if "::" in line] == [
        "tests/data/tables/synthetic.case.toml::" + name for name in (
            "schools from one CSV with vocabulary names", "the same schools from two tables with Chinese headers",
            "one school short of books: the school gate caps the grade")]


def test_a_documented_case_passes_with_its_variants(tmp_path):
    path = write(tmp_path, """
        [expect]
        score = 91.50
        grade = "qualified"
        grade_by_score = "advanced"
        vetoes = ["d_class_buildings"]
        gates_failed = ["township_junior_enrolment"]
        lowered_by = ["d_class_buildings"]
        [expect.indicators]
        d_class_ratio = { value = 0.1621, places = 4 }
        junior_dropout_rate = { value = "2.59%", met = true }
        township_junior_enrolment_rate = { units = { yinyuan = { value = 0.9237, met = false } }, met = false }
        [expect.areas]
        government = 18.5

        [[cases]]
        name = "exactly 3% is allowed"
        set = { "data.totals.dilapidated_d_area_m2" = 8436.27 }
        expect = { grade = "advanced", vetoes = [], indicators = { d_class_ratio = { value = 0.03, within = 0.0000001 } } }
    """)
    found = results(path)
    assert [r.case.name for r in found] == ["Yuanjiang 2009", "exactly 3% is allowed"]
    assert [r.report() for r in found if not r.passed] == []


def test_comparison_is_exact_unless_the_value_says_otherwise(tmp_path):
    path = write(tmp_path, """
        [expect]
        score = 91.49
        [expect.indicators]
        d_class_ratio = 0.1621
        junior_dropout_rate = 0.0259
    """)
    (result,) = results(path)
    ratio = str(Decimal(45584) / Decimal(281209))  # Python's default context: 28 digits, as the kernel's
    assert ratio.startswith("0.16210007")
    assert [(m.what, m.expected, m.actual) for m in result.mismatches] == [
        ("indicators.d_class_ratio", "0.1621", ratio),
        ("score", "91.49", "91.5"),
    ]


def test_a_failure_shows_expected_and_actual_and_traces_the_first_difference(tmp_path):
    path = write(tmp_path, """
        [[cases]]
        name = "a D-class area one hundredth of a m² over 3%"
        set = { "data.totals.dilapidated_d_area_m2" = 8436.28 }
        expect = { grade = "advanced", vetoes = [], score = 91.5 }
    """)
    (result,) = results(path)
    assert not result.passed
    report = result.report()
    assert report.startswith(f"{path}::a D-class area one hundredth of a m² over 3%: 2 value(s) differ\n")
    assert "  vetoes  expected [], got [d_class_buildings]\n" in report
    assert "  grade   expected 'advanced', got 'qualified'\n" in report
    trace = report.split("trace of the first differing value (vetoes):\n")[1].splitlines()
    assert trace[0] == "  veto d_class_buildings: triggered, applied (grade at most qualified; group d_class_ratio, priority 0)"
    assert trace[1].startswith("    d_class_ratio = 0.03000003556")  # the value, then how it is computed
    assert "[formula totals.dilapidated_d_area_m2 / totals.building_area_m2]" in trace[1]
    assert "      input totals.dilapidated_d_area_m2 = 8436.28" in trace
    assert ("      parameter d_class_limit = 0.03 (corroborated; yuanjiang_2009, 第7篇 一、“一是危房偏高”: "
            "关于d级危房比例不得高于3%的要求)") in trace
    assert "      check <= d_class_limit = 0.03: NOT met" in trace


def test_the_grade_trace_names_the_rule_that_lowered_it(tmp_path):
    (result,) = results(write(tmp_path, '[expect]\ngrade = "advanced"\n'))
    trace = result.mismatches[0].trace
    assert trace[0] == "score 91.5 reaches advanced; the grades, best first:"
    assert "  advanced: at least advanced_cutoff (parameter advanced_cutoff = 90 (assumed))" in trace
    assert "lowered from advanced to qualified by:" in trace


def test_an_expected_error(tmp_path):
    path = write(tmp_path, """
        unset = ["data.dropout_rate.junior"]
        [expect]
        error = "missing county input 'dropouts.junior'"
    """)
    assert [r.passed for r in results(path)] == [True]
    path = write(tmp_path, '[expect]\nerror = "anything"\n', "no-error.case.toml")
    (result,) = results(path)
    assert result.mismatches[0].actual == "grade qualified, score 91.5"


def test_a_case_that_cannot_run_says_why(tmp_path):
    path = write(tmp_path, """
        [[cases]]
        name = "unknown school"
        set = { "schools.S9.books" = 1 }
        expect = { grade = "advanced" }
        [[cases]]
        name = "unknown standard"
        standard = "yunnan.nothing"
        expect = { grade = "advanced" }
        [[cases]]
        name = "no such indicator"
        expect = { indicators = { dclass_ratio = 1 } }
    """)
    first, second, third = results(path)
    assert first.error == f"{path}:7: cases[0].set: 'schools.S9.books': no school 'S9' (ids: none)"
    assert second.error.startswith("no standard 'yunnan.nothing'")
    assert third.mismatches[0].what == "indicators.dclass_ratio" and third.mismatches[0].actual == "no such indicator"


@pytest.mark.parametrize("body, message", [
    ("[expect]\nscore = 1\ngarde = \"x\"\n", ":6: expect.garde: unknown key 'garde' (did you mean 'grade'?"),
    ("[expect]\nvetoes = \"d_class\"\n", ":5: expect.vetoes: vetoes must be a list of ids"),
    ("as_of = \"2009\"\n[expect]\nscore = 1\n", ":4: as_of: as_of must be a date YYYY-MM-DD"),
    ("[[cases]]\nname = \"x\"\n", ":4: cases[0].expect: a case needs expect"),
    ("[expect]\nindicators = { d_class_ratio = { value = 1, place = 4 } }\n",
     ":5: expect.indicators.d_class_ratio.place: unknown key 'place' (did you mean 'places'?"),
    ("[expect]\nscore = 1\n[[cases]]\nname = \"Yuanjiang 2009\"\nexpect = { score = 1 }\n",
     ": two cases are named 'Yuanjiang 2009'"),
    ("[expect\n", ":4: malformed TOML"),
])
def test_case_file_errors_name_the_line_and_key(tmp_path, body, message):
    path = write(tmp_path, body)
    error = pytest.raises(CaseError, load_cases, path).value
    assert str(error).startswith(str(path) + message), str(error)


def test_a_missing_submission_file(tmp_path):
    path = tmp_path / "x.case.toml"
    path.write_text('standard = "yunnan.county-education"\nsubmission = "nowhere.toml"\n[expect]\nscore = 1\n', "utf-8")
    error = pytest.raises(CaseError, load_cases, path).value
    assert str(error) == f"{path}:2: submission: cannot read the submission 'nowhere.toml': No such file or directory"


def test_the_pytest_plugin_runs_cases_as_items(pytester):
    passing = HEAD + "[expect]\ngrade = \"qualified\"\n[[cases]]\nname = \"wrong\"\nexpect = { score = 90 }\n"
    pytester.makefile(".case.toml", yj=passing)
    pytester.makefile(".case.toml", broken="[expect\n")
    run = pytester.runpytest("-p", "no:cacheprovider", "--continue-on-collection-errors")
    run.assert_outcomes(passed=1, failed=1, errors=1)
    out = run.stdout.str()
    assert "yj.case.toml::wrong: 1 value(s) differ" in out
    assert "score  expected 90, got 91.5" in out
    assert "trace of the first differing value (score):" in out
    assert "broken.case.toml:1: malformed TOML" in out
    assert "Traceback" not in out


def test_the_cli_runs_a_directory_and_exits_by_outcome(tmp_path):
    cli = [sys.executable, "-m", "standards_kernel", "test", "--lang", "en"]
    write(tmp_path, '[expect]\ngrade = "qualified"\n')
    run = subprocess.run(cli + [str(tmp_path)], capture_output=True, text=True)
    assert (run.returncode, run.stdout.splitlines()[-1]) == (0, "1 of 1 case(s) passed")
    write(tmp_path, '[expect]\ngrade = "advanced"\n', "z.case.toml")
    run = subprocess.run(cli + [str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 1 and "FAIL  " in run.stdout and run.stdout.splitlines()[-1] == "1 of 2 case(s) passed"
    (tmp_path / "bad.case.toml").write_text("x = 1\n", "utf-8")
    run = subprocess.run(cli + [str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 2 and f"ERROR {tmp_path / 'bad.case.toml'}:1: x: unknown key 'x'" in run.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    run = subprocess.run(cli + [str(empty)], capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.startswith(f"standards-kernel: error: no test cases (*.case.toml) under {empty}")


def test_run_path_on_this_repositorys_table_cases():
    found, problems = run_path(DATA / "tables")
    assert problems == [] and len(found) == 3 and all(r.passed for r in found)
