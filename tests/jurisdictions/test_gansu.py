"""Gansu: basic balance as applied from 甘政发〔2012〕120号 (national 2012 rules, the disabled-children
enrolment rate reported against the dated target: 90% from 2014, 95% from 2017-07-28), on the
fixtures in fixtures/counties/gansu/.

Each fixture's expected result (score, grade, gates, the lines met exactly and one step past them)
is a test case in provinces/gansu/cases/; here: the coefficients recomputed independently, what is
inherited, the dated target, editions and properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel import KernelError, evaluate, load_standard, read_submission, to_canonical
from standards_kernel.kernel.submission import parse_submission
from tests.helpers import FIXTURES, ROOT, text_variant, toml_data
from tests.helpers.coefficients import assert_coefficients_agree

GANSU = FIXTURES / "counties" / "gansu"
BASIC = "gansu.basic-balance@2012"
BASIC_2017 = "gansu.basic-balance@2017"
NATIONAL = "national.basic-balance@2012"
D = Decimal


def path(name: str) -> Path:
    return GANSU / f"{name}.toml"


def raw(name: str) -> dict[str, Any]:
    return toml_data(path(name))


def variant(name: str, old: str, new: str, as_of: str | None = None):
    return text_variant(path(name), old, new, also={"as_of = 2016-09-20": f"as_of = {as_of}"} if as_of else None)


@pytest.fixture(scope="module")
def standard():
    return load_standard(BASIC)


def test_jia_has_its_coefficients_reproduced_and_the_national_parts_inherited(standard):
    result = evaluate(read_submission(path("jia-2016")), standard)
    assert_coefficients_agree(result, raw("jia-2016"))
    data = to_canonical(result)
    for gate in ("composite_cv_primary", "composite_cv_junior", "public_satisfaction", "provincial_school_standard"):
        assert data["gates"][gate]["origin"] == NATIONAL
    assert "origin" not in data["gates"]["disabled_enrolment"]
    assert "origin" not in data["indicators"]["disabled_enrolment_rate"]
    target = data["parameters"]["disabled_enrolment_target"]
    assert (target["value"], target["status"], target["in_force_from"]) == ("0.9", "corroborated", "2016-01-01")
    assert "parameters.disabled_enrolment_target" not in result.assumptions


def test_yis_failed_disabled_rate_is_not_applied(standard):
    result = evaluate(read_submission(path("yi-2016")), standard)
    assert result.rules["disabled_enrolment"].failed and result.rules["disabled_enrolment"].applied is False


@pytest.mark.parametrize(
    ("as_of", "value", "status", "source", "since"),
    [
        ("2013-06-30", "0.9", "assumed", None, "2012-10-24"),  # no target before the 2014 plan: carried back
        ("2014-01-19", "0.9", "assumed", None, "2012-10-24"),
        ("2014-01-20", "0.9", "corroborated", "spe_plan_2014", "2014-01-20"),  # 特殊教育提升计划（2014—2016年）
        ("2015-12-31", "0.9", "corroborated", "spe_plan_2014", "2014-01-20"),
        ("2016-01-01", "0.9", "corroborated", "gs_dis", "2016-01-01"),  # Gansu's 十三五 target
        ("2017-07-27", "0.9", "corroborated", "gs_dis", "2016-01-01"),
        ("2017-07-28", "0.95", "corroborated", "spe_plan_2017", "2017-07-28"),  # the second plan (2017—2020)
        ("2017-12-04", "0.95", "corroborated", "spe_plan_2017", "2017-07-28"),
    ],
)
def test_the_target_is_dated_by_the_national_plans_and_says_when_it_is_assumed(standard, as_of, value, status, source, since):
    result = evaluate(variant("jia-2016", "access = 19,", "access = 19,", as_of=as_of), standard)
    target = to_canonical(result)["parameters"]["disabled_enrolment_target"]
    assert (target["value"], target["status"], target.get("source"), target["in_force_from"]) == (value, status, source, since)
    assert ("parameters.disabled_enrolment_target" in result.assumptions) is (status == "assumed")
    # 188/200 = 94%: meets 90%, not 95%; reported only, the grade stays.
    assert result.rules["disabled_enrolment"].failed is (value == "0.95")
    assert result.grade == "recognised" and result.rules["disabled_enrolment"].applied is False


def test_editions_run_from_the_2012_opinion_and_follow_the_national_ones():
    assert load_standard("gansu.basic-balance", as_of=dt.date(2012, 10, 24)).edition == "2012"
    assert load_standard("gansu.basic-balance", as_of=dt.date(2017, 12, 4)).edition == "2012"
    assert load_standard("gansu.basic-balance", as_of=dt.date(2017, 12, 5)).edition == "2017"
    with pytest.raises(KernelError, match="no edition"):
        load_standard("gansu.basic-balance", as_of=dt.date(2012, 10, 23))


def with_dropouts(name: str, as_of: str, junior: int) -> str:
    text = path(name).read_text("utf-8").replace("as_of = 2016-09-20", f"as_of = {as_of}")
    return text.replace(
        "disabled_school_age = 200\n",
        f"disabled_school_age = 200\ndropouts = {{ primary = 2, junior = {junior} }}\n"
        "students_start_of_year = { primary = 1600, junior = 1300 }\n",
    )


@pytest.mark.parametrize(
    ("as_of", "junior", "grade", "target_status"),
    [
        ("2019-06-30", 23, "recognised", "corroborated"),  # 23/1300 = 1.77% ≤ 1.8%
        ("2019-06-30", 24, "not_recognised", "corroborated"),  # 1.85% > 1.8% (assumed national line)
        ("2021-06-30", 23, "recognised", "assumed"),  # after the second plan (to 2020) the 95% is carried forward
    ],
)
def test_the_2017_edition_adds_the_dropout_gate_and_keeps_the_disabled_rate(as_of, junior, grade, target_status):
    standard = load_standard(BASIC_2017)
    result = evaluate(parse_submission(with_dropouts("jia-2016", as_of, junior), file="gs-2017.toml"), standard)
    assert result.grade == grade
    data = to_canonical(result)
    assert data["parameters"]["disabled_enrolment_target"]["status"] == target_status
    assert data["parameters"]["disabled_enrolment_target"]["value"] == "0.95"
    assert data["gates"]["dropout_junior"]["origin"] == "national.basic-balance@2017"
    assert data["gates"]["public_satisfaction"]["origin"] == "national.basic-balance@2012"
    assert "origin" not in data["gates"]["disabled_enrolment"]
    # 188/200 = 94% < 95%: the reported gate fails and never applies.
    assert result.rules["disabled_enrolment"].failed is True and result.rules["disabled_enrolment"].applied is False


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(satisfied=st.integers(min_value=0, max_value=1000), enrolled=st.integers(min_value=0, max_value=200))
def test_satisfaction_decides_and_the_disabled_rate_never_does(standard, satisfied, enrolled):
    text = path("jia-2016").read_text("utf-8")
    text = text.replace("satisfaction_satisfied = 930", f"satisfaction_satisfied = {satisfied}")
    text = text.replace("disabled_enrolled = 188", f"disabled_enrolled = {enrolled}")
    result = evaluate(parse_submission(text, file="p.toml"), standard)
    assert result.grade == ("recognised" if satisfied >= 850 else "not_recognised")
    assert result.rules["disabled_enrolment"].failed is (enrolled < 180)
    assert standard.grade_index(result.grade) >= standard.grade_index(result.grade_by_score)


@settings(max_examples=100, deadline=None)
@given(access=st.decimals(min_value=0, max_value=20, places=1))
def test_more_work_points_never_lower_the_grade(standard, access):
    lower = evaluate(variant("bianjie-2016", "access = 18,", f"access = {access},"), standard)
    higher = evaluate(variant("bianjie-2016", "access = 18,", f"access = {min(access + 1, 20)},"), standard)
    assert standard.grade_index(higher.grade) <= standard.grade_index(lower.grade)
    assert lower.grade == ("recognised" if access + 67 >= 85 else "not_recognised")


def test_the_docs_name_every_assumption_of_the_gansu_standard():
    doc = (ROOT / "docs" / "provinces" / "gansu.md").read_text("utf-8")
    for key in (BASIC, BASIC_2017):
        standard = load_standard(key)
        assert key in doc
        for pid, parameter in standard.parameters.items():
            if any(d.citation.status == "assumed" for d in parameter.values) and parameter.origin == key:
                assert pid in doc, (key, pid)
