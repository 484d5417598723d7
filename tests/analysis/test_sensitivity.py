"""Sensitivity to assumptions: exact flip points where a parameter is a limit, bisection elsewhere."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import tomli

from standards_kernel import evaluate
from standards_kernel.analysis.sensitivity import default_range, sensitivity, sensitivity_lines, sensitivity_to_data
from standards_kernel.errors import KernelError
from standards_kernel.kernel.loader import build_standard
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import read_submission
from tests.helpers import build

ROOT = Path(__file__).resolve().parents[2]


def evaluated(fixture: str):
    sub = read_submission(ROOT / "fixtures" / "counties" / fixture)
    return evaluate(sub, default_registry().resolve(sub.standard, sub.as_of))


def test_yuanjiang_grade_holds_and_the_score_reaches_advanced_up_to_91_5():
    result = sensitivity(evaluated("yunnan/yuanjiang-2009.toml"))
    cutoff = {p.id: p for p in result.parameters}["advanced_cutoff"]
    assert (cutoff.status, cutoff.value, cutoff.method) == ("assumed", Decimal(90), "exact")
    assert (cutoff.low, cutoff.high, cutoff.declared) == (Decimal(0), Decimal(100), False)  # points: [0, max score]
    # The veto on D-class buildings holds the grade at qualified for ANY cut-off.
    assert {s.grade for s in cutoff.segments} == {"qualified"}
    assert not [f for f in cutoff.flips if f.what == "grade"]
    # The score 91.5 reaches advanced while the cut-off is ≤ 91.5 (91.5 itself included), not above.
    [flip] = cutoff.flips
    assert (flip.what, flip.at, flip.at_side, flip.exact) == ("grade_by_score", Decimal("91.5"), "below", True)
    assert (flip.below, flip.above) == ("advanced", "qualified")
    first, second = cutoff.segments
    assert (first.low, first.high, first.high_closed, first.grade_by_score) == (0, Decimal("91.5"), True, "advanced")
    assert (second.low, second.low_closed, second.grade_by_score) == (Decimal("91.5"), False, "qualified")
    data = sensitivity_to_data(result)["parameters"]["advanced_cutoff"]
    assert data["flips"] == [{"what": "grade_by_score", "at": "91.5", "below": "advanced", "above": "qualified",
                              "at_side": "below", "exact": True}]
    assert "grade_by_score: advanced while advanced_cutoff ≤ 91.5, then qualified" in "\n".join(sensitivity_lines(result))


def test_only_assumed_or_reconstructed_parameters_are_moved():
    result = sensitivity(evaluated("yunnan/yuanjiang-2009.toml"))
    # d_class_limit, the dropout limit and the enrolment floor are corroborated by the 2009 speech.
    assert [p.id for p in result.parameters] == ["advanced_cutoff"]


def test_a_reconstructed_national_rate_flips_exactly_at_the_county_figure():
    ev = evaluated("national/quality-2017-floor-exact.toml")
    rate = ev.indicators["gov_11a_rotation"].county.value  # the county's rotation share
    result = sensitivity(ev, only=["gov_11_rotation_min"])
    [p] = result.parameters
    assert p.status == "reconstructed"
    # ≥ check: the gate holds while the required share is at most the county's own share.
    assert [(f.what, f.at, f.at_side) for f in p.flips] == [
        ("grade", rate, "below"), ("gates.gov_11a_rotation", rate, "below")]


FORMULA = '''
format = 1
[standard]
id = "test.sensitivity"
edition = "1"
jurisdiction = "test"
title = { zh = "敏感性" }
effective_from = 2000-01-01
[parameters.factor]
value = 1
status = "assumed"
range = [0.5, 2]
[parameters.ceiling]
value = 0.03
status = "assumed"
[indicators.weighted]
label = { zh = "加权辍学率" }
unit = "ratio"
direction = "lower"
formula = "dropout_rate.junior * factor"
check = { op = "<=", limit = "ceiling" }
[vetoes.dropout]
label = { zh = "辍学" }
indicator = "weighted"
effect = "deny"
[[grades]]
id = "pass"
label = { zh = "通过" }
[[grades]]
id = "fail"
label = { zh = "不通过" }
'''


def test_a_parameter_in_a_formula_is_bisected_and_a_declared_range_is_used():
    standard = build_standard(tomli.loads(FORMULA, parse_float=Decimal))
    ev = evaluate(build({"evaluation": {"as_of": "2020-01-01"}, "data": {"dropout_rate": {"junior": "0.02"}}}), standard)
    by_id = {p.id: p for p in sensitivity(ev).parameters}
    factor = by_id["factor"]
    assert (factor.low, factor.high, factor.declared, factor.method) == (Decimal("0.5"), Decimal(2), True, "bisection")
    # 0.02 × factor ≤ 0.03 ⇔ factor ≤ 1.5: the flip lies in a bracket of width 1.5 / 2**24 around 1.5.
    veto = [f for f in factor.flips if f.what == "vetoes.dropout"]
    assert len(veto) == 1 and not veto[0].exact
    assert veto[0].last_below <= Decimal("1.5") < veto[0].at
    assert veto[0].at - veto[0].last_below <= Decimal("1.5") / 2**24
    # The ceiling is a plain limit: solved exactly at 0.02 (the county's value), 0.02 itself passing.
    ceiling = by_id["ceiling"]
    assert ceiling.method == "exact" and (ceiling.low, ceiling.high) == (0, 1)
    assert [(f.what, f.at, f.at_side, f.below, f.above) for f in ceiling.flips] == [
        ("grade", Decimal("0.02"), "above", "fail", "pass"), ("vetoes.dropout", Decimal("0.02"), "above", "failed", "passed")]


@pytest.mark.parametrize("bad", ["[1]", "[2, 1]", "[1, 1]", '["a", "b"]'])
def test_a_bad_range_names_its_field(bad):
    text = FORMULA.replace("range = [0.5, 2]", f"range = {bad}")
    with pytest.raises(KernelError, match="range") as caught:
        build_standard(tomli.loads(text, parse_float=Decimal))
    assert "parameters.factor.range" in str(caught.value)


def test_the_default_range():
    from standards_kernel.kernel import model as m

    def param(unit):
        return m.Parameter("p", m.Label("p"), unit, (), "")

    assert default_range(param("points"), Decimal(90), Decimal(100)) == (0, 100)
    assert default_range(param("ratio"), Decimal("0.03"), Decimal(100)) == (0, 1)
    assert default_range(param("元"), Decimal(2000), Decimal(0)) == (1000, 3000)


def run_cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "standards_kernel", *args], capture_output=True, text=True, timeout=300)


def test_the_cli_adds_the_section_only_when_asked(tmp_path):
    import json

    fixture = str(ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml")
    plain = run_cli("evaluate", fixture, "--format", "json")
    asked = run_cli("evaluate", fixture, "--format", "json", "--sensitivity")
    assert plain.returncode == asked.returncode == 0, asked.stderr
    document = json.loads(asked.stdout)
    assert "sensitivity" not in json.loads(plain.stdout)
    assert document.pop("sensitivity")["parameters"]["advanced_cutoff"]["flips"][0]["at"] == "91.5"
    assert json.dumps(document, sort_keys=True) == json.dumps(json.loads(plain.stdout), sort_keys=True)
    text = run_cli("evaluate", fixture, "--sensitivity", "--lang", "en")
    assert ("Grade by score: advanced county in education work while Score needed for the advanced grade ≤ 91.5, "
            "qualified county in education work above 91.5.") in text.stdout
    # the record keeps the section, and replay computes it again to compare
    recorded = run_cli("evaluate", fixture, "--sensitivity", "--record", "--ledger", str(tmp_path / "l.db"),
                       "--format", "json")
    assert recorded.returncode == 0 and json.loads(recorded.stdout)["sensitivity"] == json.loads(asked.stdout)["sensitivity"]
    decision_id = recorded.stderr.strip().removeprefix("decision_id: ")
    replayed = run_cli("replay", decision_id, "--ledger", str(tmp_path / "l.db"), "--format", "json")
    assert replayed.returncode == 0 and json.loads(replayed.stdout)["identical"] is True
