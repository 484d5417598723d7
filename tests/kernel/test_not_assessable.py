"""Not assessable: an indicator declared ``assessable = "when_inputs_present"`` whose inputs a
county could not report is neither passed nor failed, earns no points, and a gate or veto on it
holds the grade at most at the grade below the top (never lower than failing it would)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel import evaluate
from standards_kernel.errors import StandardError, SubmissionError
from standards_kernel.kernel import completeness
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.result import result_data
from standards_kernel.kernel.submission import parse_submission

STANDARD = """format = 1

[standard]
id = "demo.unknown"
edition = "1"
jurisdiction = "demo"
title = {{ zh = "演示", en = "demo" }}
effective_from = 2020-01-01

[inputs."demo.surveyed"]
level = "county"
type = "count"
label = {{ zh = "调查人数", en = "people surveyed" }}

[inputs."demo.satisfied"]
level = "county"
type = "count"
label = {{ zh = "满意人数", en = "people satisfied" }}

[inputs."demo.funding"]
level = "county"
type = "rate"
label = {{ zh = "经费占比", en = "funding share" }}

[parameters.target]
value = 0.85
unit = "ratio"
status = "assumed"

[indicators.satisfaction]
label = {{ zh = "满意度", en = "satisfaction" }}
unit = "ratio"
direction = "higher"
formula = "demo.satisfied / demo.surveyed"
check = {{ op = ">=", limit = "target" }}
scoring = {{ kind = "threshold", max = 40, area = "a" }}
{assessable}

[indicators.funding]
label = {{ zh = "经费", en = "funding" }}
unit = "ratio"
direction = "higher"
input = "demo.funding"
check = {{ op = ">=", limit = "target" }}
scoring = {{ kind = "threshold", max = 60, area = "a" }}

[areas.a]
label = {{ zh = "甲", en = "a" }}
max = 100

[{table}.satisfaction]
label = {{ zh = "满意度", en = "satisfaction" }}
indicator = "satisfaction"
{effect}

[[grades]]
id = "top"
label = {{ zh = "优秀", en = "top" }}
min_score = 90

[[grades]]
id = "good"
label = {{ zh = "良好", en = "good" }}
min_score = 50

[[grades]]
id = "fail"
label = {{ zh = "不合格", en = "fail" }}
"""

DECLARED = 'assessable = "when_inputs_present"'


def load(tmp_path: Path, *, table: str = "gates", effect: str = 'effect = "deny"', assessable: str = DECLARED):
    path = tmp_path / "demo.toml"
    path.write_text(STANDARD.format(table=table, effect=effect, assessable=assessable), encoding="utf-8")
    return load_standard_file(path)


def submission(**data: str):
    lines = "\n".join(f'"demo.{k}" = {v}' for k, v in data.items())
    return parse_submission(f"""[county]
code = "000001"
name = "演示县"
province = "demo"

[evaluation]
as_of = 2021-06-01

[data]
{lines}
""")


def test_a_gate_on_a_not_assessable_indicator_holds_the_grade_below_the_top(tmp_path):
    standard = load(tmp_path)  # gate, deny: failing it would give the lowest grade
    sub = submission(funding="0.9")
    completeness.check(sub, standard)  # the declared inputs may be missing: no refusal
    result = evaluate(sub, standard)
    sat = result.indicators["satisfaction"]
    assert sat.points is None and sat.missing == ("data.demo.satisfied", "data.demo.surveyed")
    assert result.score == 60 and result.grade_by_score == "good"  # its 40 points not awarded
    rule = result.rules["satisfaction"]
    assert rule.failed is False and rule.held_at == "good"
    data = result_data(result)
    assert data["indicators"]["satisfaction"]["assessable"] is False
    assert data["indicators"]["satisfaction"]["missing_inputs"] == ["data.demo.satisfied", "data.demo.surveyed"]
    assert "value" not in data["indicators"]["satisfaction"] and "points" not in data["indicators"]["satisfaction"]
    assert data["gates"]["satisfaction"]["failed"] is False
    assert data["gates"]["satisfaction"]["assessable"] is False
    assert data["gates"]["satisfaction"]["held_at"] == "good"


def test_the_hold_is_explicit_when_it_lowers_the_grade(tmp_path):
    standard = load(tmp_path, table="vetoes")
    # the score cannot reach the top without the item's points, so only a lower cutoff shows the
    # hold: every other path to the top grade is closed by it.
    result = evaluate(submission(funding="0.9"), standard)
    assert result.grade == "good"
    assert result_data(result)["vetoes"]["satisfaction"]["triggered"] is False


def test_a_veto_on_a_not_assessable_indicator_holds_even_a_top_score(tmp_path):
    standard = load(tmp_path, table="vetoes", effect='effect = "cap"\ngrade = "fail"')
    path = tmp_path / "demo.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("min_score = 90", "min_score = 60"), encoding="utf-8")
    standard = load_standard_file(path)
    result = evaluate(submission(funding="0.9"), standard)
    assert result.grade_by_score == "top" and result.grade == "good"
    assert [r.rule.id for r in result.lowered_by] == ["satisfaction"]
    data = result_data(result)
    assert data["lowered_by"] == ["satisfaction"] and data["vetoes"]["satisfaction"]["held_at"] == "good"


def test_a_rule_without_effect_holds_nothing(tmp_path):
    path = tmp_path / "x.toml"
    standard = load(tmp_path, table="vetoes", effect='effect = "none"')
    text = (tmp_path / "demo.toml").read_text(encoding="utf-8").replace("min_score = 90", "min_score = 60")
    path.write_text(text, encoding="utf-8")
    standard = load_standard_file(path)
    result = evaluate(submission(funding="0.9"), standard)
    assert result.grade == "top" and "held_at" not in result_data(result)["vetoes"]["satisfaction"]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_with_inputs_present_the_declaration_changes_nothing(tmp_path_factory, surveyed, satisfied):
    satisfied = min(satisfied, surveyed)
    declared = load(tmp_path_factory.mktemp("d"))
    plain = load(tmp_path_factory.mktemp("p"), assessable="")
    sub = submission(funding="0.9", surveyed=str(surveyed), satisfied=str(satisfied))
    a, b = result_data(evaluate(sub, declared)), result_data(evaluate(sub, plain))
    for data in (a, b):
        data.pop("standard")
    assert a == b


def test_without_the_declaration_a_missing_input_stays_an_error(tmp_path):
    standard = load(tmp_path, assessable="")
    with pytest.raises(SubmissionError, match="demo.satisfied"):
        evaluate(submission(funding="0.9"), standard)
    with pytest.raises(completeness.IncompleteSubmission) as caught:
        completeness.check(submission(funding="0.9"), standard)
    assert {i.path for i in caught.value.issues} == {"data.demo.satisfied", "data.demo.surveyed"}


def test_an_undeclared_input_is_still_refused_beside_a_declared_one(tmp_path):
    standard = load(tmp_path)
    with pytest.raises(completeness.IncompleteSubmission) as caught:
        completeness.check(submission(), standard)
    assert {i.path for i in caught.value.issues} == {"data.demo.funding"}


def test_an_indicator_reading_a_not_assessable_one_must_declare_it_too(tmp_path):
    path = tmp_path / "demo.toml"
    load(tmp_path)
    text = path.read_text(encoding="utf-8").replace("[areas.a]", """[indicators.twice]
label = { zh = "两倍", en = "twice" }
formula = "satisfaction * 2"

[areas.a]""")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="reads 'satisfaction', which is not assessable"):
        evaluate(submission(funding="0.9"), load_standard_file(path))
    path.write_text(text.replace('formula = "satisfaction * 2"', 'formula = "satisfaction * 2"\n' + DECLARED), encoding="utf-8")
    result = evaluate(submission(funding="0.9"), load_standard_file(path))
    assert result.indicators["twice"].missing == ("data.demo.satisfied", "data.demo.surveyed")


@pytest.mark.parametrize(("assessable", "expect"), [
    ('assessable = "always"', "unknown assessable 'always'"),
    ('assessable = "when_input_present"', "unknown assessable"),
])
def test_a_misspelt_declaration_fails_to_load_with_its_line(tmp_path, assessable, expect):
    with pytest.raises(StandardError, match=expect) as caught:
        load(tmp_path, assessable=assessable)
    assert caught.value.path == "indicators.satisfaction.assessable" and caught.value.line is not None


def test_both_reports_say_not_assessable_with_the_missing_inputs(tmp_path):
    from standards_kernel.reporting.html import evaluation_html
    from standards_kernel.reporting.text import render_text
    result = evaluate(submission(funding="0.9"), load(tmp_path, table="vetoes"))
    zh, en = render_text(result), render_text(result, "en")
    assert "满意度：不可评估（缺少 data.demo.satisfied, data.demo.surveyed）" in zh
    assert "[否决项 不可评估]" in zh and "等级至多为 良好" in zh
    assert "[veto not assessable]" in en and "None" not in en
    page = evaluation_html(result, lang="en")
    assert "not assessable (missing data.demo.satisfied, data.demo.surveyed)" in page
    assert "not assessable, grade at most good" in page
