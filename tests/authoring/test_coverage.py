"""Rule coverage: what the cases reach and what they never do, per standard."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from standards_kernel.authoring.cases import load_cases, run_case
from standards_kernel.authoring.coverage import coverage, coverage_lines, coverage_to_data
from tests.helpers import YUANJIANG

CASE = f'''name = "Yuanjiang 2009"
standard = "yunnan.county-education"
submission = "{YUANJIANG}"
[expect]
grade = "qualified"
'''


def covered(tmp_path: Path, body: str = ""):
    path = tmp_path / "yj.case.toml"
    path.write_text(CASE + textwrap.dedent(body), "utf-8")
    results = [run_case(c) for c in load_cases(path)]
    assert all(r.passed for r in results), [r.report() for r in results]
    [found] = coverage(r.evaluation for r in results)
    return found


def test_one_case_reaches_one_side_of_each_rule(tmp_path):
    found = covered(tmp_path)
    assert found.standard == "yunnan.county-education@2009"
    # Yuanjiang as reviewed: the D-class veto (the only one) fails; only "qualified" is reached.
    assert found.reached["vetoes"] == {"d_class_buildings:failed"}
    assert found.missing("vetoes") == ("d_class_buildings:passed",)
    assert "junior_dropout:failed" in found.missing("gates")  # 2.59% ≤ 3%: the gate passes
    assert found.missing("grades") == ("advanced", "unqualified")
    assert "township_junior_enrolment_rate:not_met" in found.reached["checks"]
    data = coverage_to_data([found])["yunnan.county-education@2009"]
    assert data["grades"] == {"total": 3, "reached": 1, "missing": ["advanced", "unqualified"]}


def test_variants_fill_the_holes(tmp_path):
    found = covered(tmp_path, '''
        [[cases]]
        name = "no D-class area"
        set = { "data.totals.dilapidated_d_area_m2" = 0 }
        expect = { grade = "advanced" }
        [[cases]]
        name = "74.9 points"
        set = { "data.panel_scores.government" = 1.9 }
        expect = { grade = "unqualified" }
    ''')
    assert found.missing("grades") == ()
    assert "d_class_buildings:passed" in found.reached["vetoes"]
    assert any(line.startswith("  grades: 3 of 3 reached") for line in coverage_lines([found]))


def test_the_cli_prints_coverage(tmp_path):
    (tmp_path / "yj.case.toml").write_text(CASE, "utf-8")
    done = subprocess.run([sys.executable, "-m", "standards_kernel", "test", str(tmp_path), "--coverage"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "coverage:" in done.stdout
    assert "grades: 1 of 3 reached; never: advanced, unqualified" in done.stdout


def test_a_case_may_set_a_parameter_and_an_unknown_one_is_named(tmp_path):
    path = tmp_path / "yj.case.toml"
    path.write_text(CASE + textwrap.dedent('''
        [[cases]]
        name = "cut-off 91.6"
        set = { "parameters.advanced_cutoff" = 91.6 }
        expect = { grade_by_score = "qualified", assumptions = ["areas.compulsory", "areas.conditions", "areas.funding", "areas.government", "areas.other", "areas.teachers", "parameters.advanced_cutoff", "parameters.qualified_cutoff"] }
        [[cases]]
        name = "no such parameter"
        set = { "parameters.advanced_cutof" = 91.6 }
        expect = { grade = "qualified" }
    '''), "utf-8")
    first, cutoff, unknown = [run_case(c) for c in load_cases(path)]
    assert first.passed and cutoff.passed, cutoff.report()
    assert cutoff.evaluation.parameters["advanced_cutoff"][1].citation.note == "set by the test case 'cut-off 91.6'"
    assert unknown.error is not None and "no parameter 'advanced_cutof'" in unknown.error
    assert "cases[1].set" in unknown.error and "advanced_cutoff" in unknown.error  # the place and the hint
