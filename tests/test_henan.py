"""Henan: the 2012 school standard, the 2014 advanced-county award, and basic balance (2012 and 2017
editions), on the fixtures in fixtures/counties/henan/.

Each fixture's header works its expected result out by hand. Difference coefficients are recomputed
here independently of the kernel (exact fractions, 60-digit square roots): :func:`reference_composites`
is shared with the Guizhou and Gansu tests.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, failed_rules, text_variant, toml_data
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


def county(result, indicator: str) -> Any:
    return result.indicators[indicator].county.value


# --- an independent reference for the 8-indicator coefficients (also used by Guizhou and Gansu) ---

WEIGHTS = {"primary": Fraction(1), "junior": Fraction(11, 10), "senior": Fraction(33, 25)}
SPLIT = ("teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan", "computers", "books")
EIGHT: dict[str, Callable[[dict[str, Any]], Fraction]] = {
    "teaching_aux_area": lambda r: r["teaching_aux_area_m2"] / r["students"],
    "sports_area": lambda r: r["sports_area_m2"] / r["students"],
    "equipment_value": lambda r: r["equipment_value_yuan"] / r["students"],
    "computers": lambda r: r["computers"] * 100 / r["students"],
    "books": lambda r: r["books"] / r["students"],
    "teacher_student_ratio": lambda r: r["teachers"] / r["students"],
    "qualified_teachers": lambda r: r["teachers_above_required_qualification"] / r["students"],
    "titled_teachers": lambda r: r["teachers_intermediate_title_or_above"] / r["students"],
}


def _rows(data: dict[str, Any], segment: str) -> list[dict[str, Any]]:
    rows = []
    for school in data["schools"]:
        if school["kind"] in ("special", "vocational", "teaching_point"):
            continue
        students = {k: int(v) for k, v in school["students"].items()}
        n = students.get(segment, 0)
        if n == 0:
            continue
        share = WEIGHTS[segment] * n / sum(WEIGHTS[k] * v for k, v in students.items() if v > 0)
        row: dict[str, Any] = {"students": n}
        for key, value in school.items():
            if isinstance(value, dict) and segment in value:
                row[key] = Fraction(value[segment])
            elif key in SPLIT:
                row[key] = Fraction(value) * share
        rows.append(row)
    return rows


def _cv(rows: list[dict[str, Any]], value: Callable[[dict[str, Any]], Fraction]) -> Decimal:
    total = sum(Fraction(r["students"]) for r in rows)
    mean = sum(r["students"] * value(r) for r in rows) / total
    variance = sum(r["students"] * (value(r) - mean) ** 2 for r in rows) / total
    with decimal.localcontext(decimal.Context(prec=60)):
        as_dec = lambda q: Decimal(q.numerator) / Decimal(q.denominator)  # noqa: E731
        return as_dec(variance).sqrt() / as_dec(mean)


def reference_composites(data: dict[str, Any]) -> dict[str, tuple[Decimal, dict[str, Decimal]]]:
    """Per segment: the composite (mean of the eight coefficients) and the eight themselves."""
    found = {}
    for segment in ("primary", "junior"):
        rows = _rows(data, segment)
        cvs = {key: _cv(rows, fn) for key, fn in EIGHT.items()}
        with decimal.localcontext(decimal.Context(prec=60)):
            found[segment] = (sum(cvs.values(), Decimal(0)) / 8, cvs)
    return found


def agrees(kernel: Any, reference: Decimal, digits: int = 20) -> bool:
    if reference == 0:
        return Decimal(kernel) == 0
    with decimal.localcontext(decimal.Context(prec=60)):
        return abs(Decimal(kernel) - reference) <= abs(reference) * Decimal(10) ** -digits


def assert_coefficients_agree(result, data: dict[str, Any]) -> dict[str, Decimal]:
    composites = {}
    for segment, (composite, cvs) in reference_composites(data).items():
        for key, expected in cvs.items():
            assert agrees(county(result, f"cv_{segment}_{key}"), expected), (segment, key)
        assert agrees(county(result, f"composite_cv_{segment}"), composite), segment
        composites[segment] = composite
    return composites


# --- the school standard ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def school():
    return load_standard(SCHOOL)


def test_dongyao_primary_misses_three_items_of_the_standard(school):
    # The school's own 2013 self-check report, read against the 2012 standard (see the fixture).
    result = evaluate(read_submission(path("dongyao-2013")), school)
    assert result.grade == "not_met" and failed_rules(result) == ["primary_schools"]
    unit = result.indicators["primary_standard_met"].units["dongyao"]
    assert unit.value is False
    assert unit.note == "met 5 of 8 (needs 8); missed: primary_building_area, primary_largest_class, primary_site_area"
    value = lambda name: result.indicators[name].units["dongyao"].value  # noqa: E731
    assert value("primary_books") == D(26000) / D(1288) and value("primary_books") >= 20
    assert value("primary_site_area") == D(7196) / D(1288)  # the report's "生均校舍面积5.6㎡"
    assert value("primary_building_area") == D(4214) / D(1288)  # 3.27 m², below 5.2
    assert value("primary_track") == 200 and result.indicators["primary_track"].units["dongyao"].met  # exactly 200
    assert value("primary_largest_class") == 58


def test_every_school_meeting_every_item_meets_the_standard(school):
    result = evaluate(read_submission(path("bing-2014")), school)
    assert result.grade == "met" and failed_rules(result) == []
    assert county(result, "primary_schools_meeting") == 3 and county(result, "junior_schools_meeting") == 2
    unit = lambda ind, uid: result.indicators[ind].units[uid]  # noqa: E731
    # On the limit: beds and dormitory area of the nine-year school (junior value 3.3 m²), class 50.
    assert unit("junior_beds_surplus", "hn-3").value == 0 and unit("junior_beds_surplus", "hn-3").met
    assert unit("junior_dorm_area_surplus", "hn-3").value == 0 and unit("junior_dorm_area_surplus", "hn-3").met
    assert unit("primary_dorm_area_surplus", "hn-3").value == 60  # 660 − 3.0 × 200
    assert unit("junior_largest_class", "hn-4").value == 50 and unit("junior_largest_class", "hn-4").met
    # The nine-year school's site area is shared out 400 : 330.
    assert agrees(unit("primary_site_area", "hn-3").value, decimal_of(Fraction(18000 * 400, 730 * 400)))
    assert agrees(unit("junior_site_area", "hn-3").value, decimal_of(Fraction(18000 * 330, 730 * 300)))


def decimal_of(q: Fraction) -> Decimal:
    with decimal.localcontext(decimal.Context(prec=60)):
        return Decimal(q.numerator) / Decimal(q.denominator)


@pytest.mark.parametrize(
    ("old", "new", "gate", "unit"),
    [
        ("beds = 200,", "beds = 199,", "junior_schools", "hn-3"),  # also primary: one bed short
        ("dormitory_area_m2 = 660", "dormitory_area_m2 = 659.99", "junior_schools", "hn-3"),
        ("largest_class = 50", "largest_class = 51", "junior_schools", "hn-4"),
        ("track_length_m = 200,", "track_length_m = 199.9,", "primary_schools", "hn-1"),
    ],
)
def test_one_step_past_an_item_fails_the_school(school, old, new, gate, unit):
    result = evaluate(variant("bing-2014", old, new), school)
    assert result.grade == "not_met"
    assert gate in failed_rules(result)
    assert unit in result.rules[gate].failed_units


def test_the_nine_year_school_judges_its_dormitory_by_each_segments_value(school):
    # 640 m² for 200 boarders: 3.2 per boarder meets the primary 3.0 but not the junior 3.3.
    result = evaluate(variant("bing-2014", "dormitory_area_m2 = 660", "dormitory_area_m2 = 640"), school)
    assert failed_rules(result) == ["junior_schools"]
    assert result.indicators["primary_dorm_area_surplus"].units["hn-3"].met is True
    assert result.indicators["junior_dorm_area_surplus"].units["hn-3"].value == -20


def test_a_missing_school_fact_is_named(school):
    with pytest.raises(KernelError) as caught:
        evaluate(variant("dongyao-2013", "track_length_m = 200, ", ""), school)
    assert "henan.track_length_m" in str(caught.value) and "schools[0]" in str(caught.value)


# --- the 2014 advanced-county award ---------------------------------------------------------------


@pytest.fixture(scope="module")
def award():
    return load_standard(AWARD)


def test_jia_is_an_advanced_county_with_every_coefficient_reproduced(award):
    result = evaluate(read_submission(path("jia-2014")), award)
    assert result.grade == "advanced" and failed_rules(result) == [] and result.lowered_by == ()
    composites = assert_coefficients_agree(result, raw("jia-2014"))
    assert composites["primary"] < D("0.1") and composites["junior"] < D("0.1")
    assert str(county(result, "composite_cv_primary")).startswith("0.064459491936")
    assert set(result.assumptions) == {
        "parameters.composite_cv_junior_limit", "parameters.composite_cv_primary_limit", "parameters.super_large_class",
    }


def test_a_campus_accident_vetoes_the_award(award):
    result = evaluate(read_submission(path("yi-2014")), award)
    assert result.grade == "not_advanced"
    assert [r.rule.id for r in result.lowered_by] == ["campus_accident"]
    assert failed_rules(result) == ["campus_accident"]
    assert result.rules["campus_accident"].applied


def test_without_the_three_growths_the_award_is_vetoed(award):
    result = evaluate(variant("jia-2014", "three_growths_achieved = true", "three_growths_achieved = false"), award)
    assert result.grade == "not_advanced" and failed_rules(result) == ["three_growths"]


def test_composites_exactly_on_the_ceilings_pass(award):
    result = evaluate(read_submission(path("bianjie-2014")), award)
    assert county(result, "composite_cv_primary") == D("0.65")
    assert county(result, "composite_cv_junior") == D("0.55")
    for key in EIGHT:
        assert county(result, f"cv_primary_{key}") == D("0.65")
        assert county(result, f"cv_junior_{key}") == D("0.55")
    assert result.grade == "advanced"
    one_more = evaluate(variant("bianjie-2014", "books = 3300\n", "books = 3301\n"), award)
    assert county(one_more, "composite_cv_primary") > D("0.65")
    assert one_more.grade == "not_advanced" and failed_rules(one_more) == ["composite_cv_primary"]


def test_strict_review_findings_are_reported_without_effect(award):
    text = path("jia-2014").read_text("utf-8")
    text = text.replace("largest_class = 50", "largest_class = 66").replace("serious_school_choice = false", "serious_school_choice = true")
    result = evaluate(parse_submission(text, file="strict.toml"), award)
    assert failed_rules(result) == ["no_super_large_classes", "school_choice"]
    assert result.rules["no_super_large_classes"].failed_units == ("hn-4",)
    assert not any(r.applied for r in result.rules.values())
    assert result.grade == "advanced"


def test_the_award_is_in_force_only_for_its_round(award):
    assert award.in_force(dt.date(2014, 8, 21)) and not award.in_force(dt.date(2014, 8, 20))
    with pytest.raises(KernelError, match="not on 2015-03-01"):
        evaluate(read_submission(path("jia-2014")), award, as_of=dt.date(2015, 3, 1))


# --- basic balance ------------------------------------------------------------------------------


def test_basic_balance_2012_uses_henans_school_standard_as_the_threshold():
    standard = load_standard(BASIC_2012)
    result = evaluate(read_submission(path("bing-2014")), standard)
    assert result.grade == "recognised" and result.score == 89 and failed_rules(result) == []
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
    # A school missing one item now denies recognition.
    worse = evaluate(variant("bing-2014", "largest_class = 50", "largest_class = 51"), standard)
    assert worse.grade == "not_recognised" and failed_rules(worse) == ["provincial_school_standard_junior"]


def test_basic_balance_editions_are_picked_by_date():
    assert load_standard("henan.basic-balance", as_of=dt.date(2012, 2, 16)).edition == "2012"
    assert load_standard("henan.basic-balance", as_of=dt.date(2017, 12, 4)).edition == "2012"
    assert load_standard("henan.basic-balance", as_of=dt.date(2017, 12, 5)).edition == "2017"
    with pytest.raises(KernelError, match="no edition"):
        load_standard("henan.basic-balance", as_of=dt.date(2012, 2, 15))


def test_the_2022_monitoring_line_is_reported_for_a_planning_county():
    standard = load_standard(BASIC_2017)
    result = evaluate(read_submission(path("ding-2023")), standard)
    assert county(result, "composite_cv_primary") == D("0.62") and county(result, "composite_cv_junior") == D("0.52")
    assert result.grade == "recognised" and result.score == 88
    assert failed_rules(result) == ["monitoring_junior", "monitoring_primary"]
    assert not any(r.applied for r in result.rules.values())
    assert result.rules["monitoring_primary"].limit == D("0.60")
    data = to_canonical(result)
    assert data["parameters"]["planning_cv_primary_limit"]["in_force_from"] == "2022-11-13"
    assert data["gates"]["dropout_primary"]["origin"] == NATIONAL_2017
    assert "parameters.dropout_control_line_primary" in result.assumptions  # Henan's line not found


def test_before_2022_11_13_the_planning_line_is_the_national_one():
    standard = load_standard(BASIC_2017)
    result = evaluate(read_submission(path("ding-2023")), standard, as_of=dt.date(2022, 11, 12))
    assert failed_rules(result) == []
    assert result.rules["monitoring_primary"].limit == D("0.65")


def test_a_county_not_planning_quality_balance_is_monitored_against_the_national_line():
    standard = load_standard(BASIC_2017)
    result = evaluate(variant("ding-2023", "plans_quality_balance = true", "plans_quality_balance = false"), standard)
    assert failed_rules(result) == [] and result.rules["monitoring_junior"].limit == D("0.55")


def test_the_school_items_are_the_same_in_all_three_files():
    school, *others = (load_standard(k) for k in (SCHOOL, BASIC_2012, BASIC_2017))
    assert_same_block(school, others)


def assert_same_block(school, others, *, only_in_school: tuple[str, ...] = ()) -> None:
    """The school standard's items, units, inputs and values appear unchanged in each extension
    (except entries whose id starts or ends with one of ``only_in_school``)."""
    skip = lambda name: any(name.startswith(s) or name.endswith(s) for s in only_in_school)  # noqa: E731
    own = {i for i, ind in school.indicators.items() if ind.level != "county" and not skip(i)}
    for other in others:
        for iid in own:
            a, b = school.indicators[iid], other.indicators[iid]
            assert (a.level, a.direction, a.formula.text if a.formula else None, a.k_of_n) == (
                b.level, b.direction, b.formula.text if b.formula else None, b.k_of_n
            ), iid
            if a.check is None:
                assert b.check is None, iid
            else:
                assert (a.check.op, a.check.limit.text) == (b.check.op, b.check.limit.text), iid
            assert a.citation == b.citation, iid
        for pid, parameter in school.parameters.items():
            if not skip(pid):
                assert other.parameters[pid].values == parameter.values, pid
        for uid in ("all_primary_schools", "all_junior_schools"):
            assert other.units[uid] == school.units[uid]
        for name, spec in school.inputs.items():
            assert other.inputs[name] == spec


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
