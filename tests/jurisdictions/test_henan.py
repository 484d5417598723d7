"""Henan: the 2012 school standard, the 2014 advanced-county award, and basic balance (2012 and 2017
editions), on the fixtures in fixtures/counties/henan/.

Each fixture's header works its expected result out by hand; those results (grades, scores, gates,
vetoes, per-school values, one step past each limit) are the test cases in provinces/henan/cases/.
Here: what a case cannot say — exact quotients and the coefficients recomputed independently of the
kernel (tests/helpers/coefficients.py), notes, limits, what is inherited, editions, properties.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, ROOT, text_variant, toml_data
from tests.helpers.coefficients import agrees, assert_coefficients_agree, assert_same_block, dec60
from standards_kernel import KernelError, evaluate, load_standard, read_submission, to_canonical
from standards_kernel.kernel.submission import parse_submission, submission_from_data

HENAN = FIXTURES / "counties" / "henan"
SCHOOL = "henan.school-conditions@2012"
AWARD = "henan.advanced-county@2014"
BASIC_2012 = "henan.basic-balance@2012"
BASIC_2017 = "henan.basic-balance@2017"
NATIONAL_2012 = "national.basic-balance@2012"
NATIONAL_2017 = "national.basic-balance@2017"
D = Decimal


def path(name: str) -> Path:
    return HENAN / f"{name}.toml"


def raw(name: str, base: Path = HENAN) -> dict[str, Any]:
    return toml_data(base / f"{name}.toml")


def variant(name: str, old: str, new: str, base: Path = HENAN):
    return text_variant(base / f"{name}.toml", old, new)


# --- the school standard ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def school():
    return load_standard(SCHOOL)


def test_dongyao_primary_misses_three_items_of_the_standard(school):
    # The school's own 2013 self-check report, read against the 2012 standard (see the fixture).
    result = evaluate(read_submission(path("dongyao-2013")), school)
    unit = result.indicators["primary_standard_met"].units["dongyao"]
    assert unit.note == "met 5 of 8 (needs 8); missed: primary_building_area, primary_largest_class, primary_site_area"
    value = lambda name: result.indicators[name].units["dongyao"].value  # noqa: E731
    assert value("primary_books") == D(26000) / D(1288)
    assert value("primary_site_area") == D(7196) / D(1288)  # the report's "生均校舍面积5.6㎡"
    assert value("primary_building_area") == D(4214) / D(1288)  # 3.27 m², below 5.2


def test_the_nine_year_schools_site_area_is_shared_out_400_to_330(school):
    result = evaluate(read_submission(path("bing-2014")), school)
    unit = lambda ind, uid: result.indicators[ind].units[uid]  # noqa: E731
    assert agrees(unit("primary_site_area", "hn-3").value, dec60(Fraction(18000 * 400, 730 * 400)))
    assert agrees(unit("junior_site_area", "hn-3").value, dec60(Fraction(18000 * 330, 730 * 300)))


# --- the 2014 advanced-county award ---------------------------------------------------------------


@pytest.fixture(scope="module")
def award():
    return load_standard(AWARD)


def test_jia_has_every_coefficient_reproduced(award):
    result = evaluate(read_submission(path("jia-2014")), award)
    composites = assert_coefficients_agree(result, raw("jia-2014"))
    assert composites["primary"] < D("0.1") and composites["junior"] < D("0.1")
    assert_coefficients_agree(evaluate(read_submission(path("yi-2014")), award), raw("yi-2014"))


def test_strict_review_findings_are_reported_without_effect(award):
    text = path("jia-2014").read_text("utf-8")
    text = text.replace("largest_class = 50", "largest_class = 66").replace("serious_school_choice = false", "serious_school_choice = true")
    result = evaluate(parse_submission(text, file="strict.toml"), award)
    # the rules and the grade: the case jia-2014; here the school named
    assert result.rules["no_super_large_classes"].failed_units == ("hn-4",)
    assert not any(r.applied for r in result.rules.values())


def test_the_super_large_class_line_is_national_usage_corroborated_not_assumed(award):
    result = evaluate(read_submission(path("jia-2014")), award)
    line = to_canonical(result)["parameters"]["super_large_class"]
    assert (line["value"], line["status"], line["source"]) == ("66", "corroborated", "moe_class_2020")
    assert "parameters.super_large_class" not in result.assumptions
    assert "66人以上" in award.sources["moe_class_2020"].note
    # 66 is super-large, 65 is not (the case jia-2014 has both sides with the grade).
    for size, failed in ((65, ()), (66, ("hn-4",))):
        text = path("jia-2014").read_text("utf-8").replace("largest_class = 50", f"largest_class = {size}")
        got = evaluate(parse_submission(text, file="c.toml"), award)
        assert got.rules["no_super_large_classes"].failed_units == failed


def test_the_award_is_in_force_only_for_its_round(award):
    assert award.in_force(dt.date(2014, 8, 21)) and not award.in_force(dt.date(2014, 8, 20))
    with pytest.raises(KernelError, match="not on 2015-03-01"):
        evaluate(read_submission(path("jia-2014")), award, as_of=dt.date(2015, 3, 1))


# --- basic balance ------------------------------------------------------------------------------


def test_basic_balance_2012_uses_henans_school_standard_as_the_threshold():
    standard = load_standard(BASIC_2012)
    result = evaluate(read_submission(path("bing-2014")), standard)
    assert_coefficients_agree(result, raw("bing-2014"))
    data = to_canonical(result)
    # The national yes/no is gone; Henan's gates read Henan's items (no origin: defined here).
    assert "school_meets_provincial_standard" not in data["indicators"]
    assert "provincial_school_standard" not in data["gates"]
    assert "origin" not in data["gates"]["provincial_school_standard_primary"]
    assert "origin" not in data["indicators"]["primary_standard_met"]
    assert "origin" not in data["parameters"]["books_primary"]
    # Everything else is the national standard's, and says so.
    assert data["gates"]["composite_cv_primary"]["origin"] == NATIONAL_2012
    assert data["indicators"]["composite_cv_primary"]["origin"] == NATIONAL_2012
    assert data["parameters"]["work_score_cutoff"]["origin"] == NATIONAL_2012


def test_basic_balance_editions_are_picked_by_date():
    assert load_standard("henan.basic-balance", as_of=dt.date(2012, 2, 16)).edition == "2012"
    assert load_standard("henan.basic-balance", as_of=dt.date(2017, 12, 4)).edition == "2012"
    assert load_standard("henan.basic-balance", as_of=dt.date(2017, 12, 5)).edition == "2017"
    with pytest.raises(KernelError, match="no edition"):
        load_standard("henan.basic-balance", as_of=dt.date(2012, 2, 15))


def test_the_2022_monitoring_line_is_reported_for_a_planning_county():
    standard = load_standard(BASIC_2017)
    result = evaluate(read_submission(path("ding-2023")), standard)
    assert not any(r.applied for r in result.rules.values())
    assert_coefficients_agree(result, raw("ding-2023"))
    assert result.rules["monitoring_primary"].limit == D("0.60")
    data = to_canonical(result)
    assert data["parameters"]["planning_cv_primary_limit"]["in_force_from"] == "2022-11-13"
    assert data["gates"]["dropout_primary"]["origin"] == NATIONAL_2017
    assert "parameters.dropout_control_line_primary" in result.assumptions  # Henan's line not found


def test_before_2022_11_13_the_planning_line_is_the_national_one():
    standard = load_standard(BASIC_2017)
    result = evaluate(read_submission(path("ding-2023")), standard, as_of=dt.date(2022, 11, 12))
    assert result.rules["monitoring_primary"].limit == D("0.65")


def test_a_county_not_planning_quality_balance_is_monitored_against_the_national_line():
    standard = load_standard(BASIC_2017)
    result = evaluate(variant("ding-2023", "plans_quality_balance = true", "plans_quality_balance = false"), standard)
    assert result.rules["monitoring_junior"].limit == D("0.55")


def test_the_school_items_are_the_same_in_all_three_files():
    school, *others = (load_standard(k) for k in (SCHOOL, BASIC_2012, BASIC_2017))
    assert_same_block(school, others)


# --- properties ---------------------------------------------------------------------------------

HIGHER = ("books", "computers", "building_area_m2")
HENAN_HIGHER = ("track_length_m", "site_area_m2", "beds", "dormitory_area_m2")


@settings(max_examples=60, deadline=None)
@given(
    which=st.integers(min_value=0, max_value=3),
    field=st.sampled_from(HIGHER + HENAN_HIGHER),
    factor=st.sampled_from([D("0.5"), D("0.9"), D("0.99"), D("1.01"), D("1.5"), D(3)]),
)
def test_more_of_a_higher_is_better_resource_never_lowers_the_grade(school, which, field, factor):
    data = raw("bing-2014")
    changed = copy.deepcopy(data)
    record = changed["schools"][which]
    holder = record["henan"] if field in HENAN_HIGHER else record
    amount = Decimal(holder[field]) * factor
    holder[field] = int(amount) if field in ("books", "computers", "beds") else amount
    base = evaluate(submission_from_data(copy.deepcopy(data)), school)
    after = evaluate(submission_from_data(changed), school)
    rank = school.grade_index
    if factor > 1:  # more: never worse
        assert rank(after.grade) <= rank(base.grade)
    else:  # less: never better
        assert rank(after.grade) >= rank(base.grade)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=1, max_value=120), boarders=st.integers(min_value=0, max_value=400))
def test_a_smaller_largest_class_never_lowers_the_grade(school, size, boarders):
    data = raw("dongyao-2013")
    data["schools"][0]["henan"]["boarders"] = boarders
    data["schools"][0]["henan"]["beds"] = boarders
    data["schools"][0]["henan"]["dormitory_area_m2"] = boarders * 3
    data["schools"][0]["largest_class"] = size
    smaller = copy.deepcopy(data)
    smaller["schools"][0]["largest_class"] = max(1, size - 1)
    rank = school.grade_index
    a = evaluate(submission_from_data(data), school)
    b = evaluate(submission_from_data(smaller), school)
    assert rank(b.grade) <= rank(a.grade)
    # The class-size item is met exactly when the class is at most 45 (不超过: 45 itself is met).
    assert a.indicators["primary_largest_class"].units["dongyao"].met is (size <= 45)


@settings(max_examples=60, deadline=None)
@given(
    accident=st.booleans(), growths=st.booleans(), choice=st.booleans(), conduct=st.booleans(), panel=st.booleans(),
)
def test_a_veto_never_raises_the_grade(award, accident, growths, choice, conduct, panel):
    text = path("jia-2014").read_text("utf-8")
    text = (
        text.replace("major_campus_accident_two_years = false", f"major_campus_accident_two_years = {str(accident).lower()}")
        .replace("three_growths_achieved = true", f"three_growths_achieved = {str(growths).lower()}")
        .replace("serious_school_choice = false", f"serious_school_choice = {str(choice).lower()}")
        .replace("irregular_conduct = false", f"irregular_conduct = {str(conduct).lower()}")
        .replace("scoring_rules_met = true", f"scoring_rules_met = {str(panel).lower()}")
    )
    result = evaluate(parse_submission(text, file="vetoes.toml"), award)
    rank = award.grade_index
    assert rank(result.grade) >= rank(result.grade_by_score)
    denied = accident or not growths or not panel
    assert result.grade == ("not_advanced" if denied else "advanced")  # 从严考评 findings never decide


def test_the_docs_name_every_assumption_of_the_henan_standards():
    doc = (ROOT / "docs" / "provinces" / "henan.md").read_text("utf-8")
    for key in (SCHOOL, AWARD, BASIC_2012, BASIC_2017):
        standard = load_standard(key)
        assert key in doc
        for pid, parameter in standard.parameters.items():
            if any(d.citation.status == "assumed" for d in parameter.values) and parameter.origin == key:
                assert pid in doc, (key, pid)


@settings(max_examples=60, deadline=None)
@given(
    plans=st.booleans(),
    day=st.dates(min_value=dt.date(2017, 12, 5), max_value=dt.date(2030, 12, 31)),
    satisfied=st.integers(min_value=800, max_value=1000),
)
def test_the_monitoring_line_never_changes_the_basic_balance_grade(plans, day, satisfied):
    standard = load_standard(BASIC_2017)
    text = path("ding-2023").read_text("utf-8")
    text = text.replace("plans_quality_balance = true", f"plans_quality_balance = {str(plans).lower()}")
    text = text.replace("satisfaction_satisfied = 900", f"satisfaction_satisfied = {satisfied}")
    result = evaluate(parse_submission(text, file="m.toml"), standard, as_of=day)
    assert result.grade == ("recognised" if satisfied >= 850 else "not_recognised")
    strict = plans and day >= dt.date(2022, 11, 13)
    assert result.rules["monitoring_primary"].failed is strict  # 0.62: above 0.60, within 0.65
    assert result.rules["monitoring_junior"].failed is strict  # 0.52: above 0.50, within 0.55
