"""The national standards: basic balance (教督〔2012〕3号, and its 2017 edition with the dropout gate)
and quality balance (教督〔2017〕6号), on the fixtures in fixtures/counties/national/.

Each fixture's header works its expected result out by hand; those results are the test cases in
provinces/national/cases/. Here is what a case cannot say: every difference coefficient recomputed
independently of the kernel (tests/helpers/coefficients.py), the split of combined schools, the
origin of inherited rules, error paths, the sources' statuses, and properties.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel import KernelError, evaluate, load_standard, read_submission, to_canonical
from standards_kernel.interfaces.cli.main import main
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import parse_submission, submission_from_data
from tests.helpers import FIXTURES, ROOT, failed_rules, text_variant, toml_data
from tests.helpers.coefficients import (
    BASIC_8, QUALITY_7, agrees, county_value, mean60, reference_cv, segment_rows,
)

NATIONAL = FIXTURES / "counties" / "national"
BASIC_2012 = "national.basic-balance@2012"
BASIC_2017 = "national.basic-balance@2017"
QUALITY = "national.quality-balance@2017"
D = Decimal


def path(name: str) -> Path:
    return NATIONAL / f"{name}.toml"


def fixture(name: str):
    return read_submission(path(name))


def raw(name: str) -> dict[str, Any]:
    return toml_data(path(name))


def variant(name: str, old: str, new: str):
    return text_variant(path(name), old, new)


def assert_basic_cvs_agree(result, name: str) -> dict[str, Decimal]:
    """Every CV and both composites of a basic-balance result against the reference."""
    data = raw(name)
    composites = {}
    for segment in ("primary", "junior"):
        rows = segment_rows(data, segment, teaching_point_min=None)
        assert sorted(u.id for u in result.units[f"{segment}_schools"]) == sorted(r["id"] for r in rows)
        cvs = []
        for key, value in BASIC_8.items():
            expected = reference_cv(rows, value)
            got = county_value(result, f"cv_{segment}_{key}")
            assert agrees(got, expected), (segment, key, got, expected)
            cvs.append(expected)
        composites[segment] = mean60(cvs)
        assert agrees(county_value(result, f"composite_cv_{segment}"), composites[segment])
    return composites


# --- basic balance, 2012 ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def basic_2012():
    return load_standard(BASIC_2012)


def test_passing_county_has_every_cv_reproduced(basic_2012):
    result = evaluate(fixture("basic-2012-pass"), basic_2012)
    composites = assert_basic_cvs_agree(result, "basic-2012-pass")
    assert composites["primary"] < D("0.65") and composites["junior"] < D("0.55")
    # The header's hand-worked books CV: sqrt(12.109375) / 24.375.
    books = county_value(result, "cv_primary_books")
    with decimal.localcontext(decimal.Context(prec=60)):
        assert agrees(books, Decimal("12.109375").sqrt() / Decimal("24.375"))
    assert result.indicators["cv_primary_books"].detail["mean"] == D("24.375")


def test_the_difference_coefficient_is_enrolment_weighted(basic_2012):
    result = evaluate(fixture("basic-2012-pass"), basic_2012)
    rows = segment_rows(raw("basic-2012-pass"), "primary", teaching_point_min=None)
    unweighted = reference_cv(rows, BASIC_8["books"], weighted=False)
    with decimal.localcontext(decimal.Context(prec=60)):
        assert agrees(unweighted, (Decimal(50) / 3).sqrt() / 25)  # the header's unweighted figure
    assert abs(county_value(result, "cv_primary_books") - unweighted) > D("0.02")  # 0.1428 vs 0.1633


def test_teaching_points_and_special_schools_are_outside_the_coefficients_but_inside_part_one(basic_2012):
    result = evaluate(fixture("basic-2012-pass"), basic_2012)
    assert [u.id for u in result.units["primary_schools"]] == ["P1", "P2", "P3"]
    assert [u.id for u in result.units["junior_schools"]] == ["J1", "J2"]
    # Part 1 reads every school, even those outside the CV scope (the case T1 fails it).
    assert sorted(result.indicators["school_meets_provincial_standard"].units) == ["J1", "J2", "P1", "P2", "P3", "S1", "T1"]


def test_the_failing_junior_composite_is_reproduced(basic_2012):
    result = evaluate(fixture("basic-2012-fail-junior-cv"), basic_2012)
    composites = assert_basic_cvs_agree(result, "basic-2012-fail-junior-cv")
    assert composites["junior"] > D("0.55")
    # The header's hand-worked teacher ratio CV is 1/sqrt(6).
    with decimal.localcontext(decimal.Context(prec=60)):
        assert agrees(county_value(result, "cv_junior_teacher_student_ratio"), 1 / Decimal(6).sqrt())


def test_nine_year_and_complete_middle_schools_are_split_by_the_national_weights(basic_2012):
    result = evaluate(fixture("basic-2012-nine-year"), basic_2012)
    views = {seg: {u.id: u.fields for u in result.units[f"{seg}_schools"]} for seg in ("primary", "junior")}
    n1_primary, n1_junior, c1_junior = views["primary"]["N1"], views["junior"]["N1"], views["junior"]["C1"]
    assert n1_primary["share"] == D("0.45") and n1_junior["share"] == D("0.55")  # 450 : 1.1·500
    assert c1_junior["share"] == D("0.5")  # 1.1·600 : 1.32·500
    assert n1_primary["books"] == 11700 and n1_junior["books"] == 14300 and c1_junior["books"] == 30000
    assert n1_primary["teaching_aux_area_m2"] == 2250 and n1_junior["teaching_aux_area_m2"] == 2750
    assert n1_primary["equipment_value_yuan"] == 900000 and n1_junior["computers"] == 55
    assert n1_primary["teachers"] == 27 and n1_junior["teachers"] == 40  # per segment, not split
    # The trace shows the split values each per-school indicator read.
    trace = to_canonical(result, trace="full")["indicators"]  # the full trace: what each unit read
    assert trace["primary_books_per_student"]["units"]["N1"] == {"reads": {"books": "11700", "students": "450"}, "value": "26"}
    assert trace["junior_books_per_student"]["units"]["N1"]["reads"]["books"] == "14300"
    assert trace["junior_books_per_student"]["units"]["C1"]["value"] == "50"
    assert trace["junior_teacher_student_ratio"]["units"]["N1"]["reads"]["teachers"] == "40"
    assert_basic_cvs_agree(result, "basic-2012-nine-year")


def test_panel_points_beyond_an_area_are_refused_with_the_field_named(basic_2012):
    with pytest.raises(KernelError) as caught:
        evaluate(variant("basic-2012-pass", "access = 18", "access = 21"), basic_2012)
    message = str(caught.value)
    assert "panel_scores.access" in message and "0..20" in message


def test_the_assumptions_are_in_the_canonical_document(basic_2012):
    # Which they are (the unsourced work areas) is stated by the case basic-2012-pass.
    result = evaluate(fixture("basic-2012-pass"), basic_2012)
    assert result.assumptions and to_canonical(result)["assumptions"] == list(result.assumptions)


# --- basic balance, 2017 edition ----------------------------------------------------------------


def test_editions_are_picked_by_date():
    assert load_standard("national.basic-balance", as_of=dt.date(2016, 6, 1)).edition == "2012"
    assert load_standard("national.basic-balance", as_of=dt.date(2017, 12, 4)).edition == "2012"
    assert load_standard("national.basic-balance", as_of=dt.date(2017, 12, 5)).edition == "2017"
    assert load_standard("national.basic-balance", as_of=dt.date(2019, 6, 1)).edition == "2017"
    with pytest.raises(KernelError, match="no edition"):
        load_standard("national.basic-balance", as_of=dt.date(2011, 6, 1))


def test_the_2017_dropout_gate_rests_on_the_assumed_lines():
    submission = fixture("basic-2017-dropout")
    standard = load_standard("national.basic-balance", as_of=submission.as_of)
    assert standard.key == BASIC_2017
    result = evaluate(submission, standard)
    assert county_value(result, "dropout_rate_primary") == D(3) / D(1700)
    assert "parameters.dropout_control_line_junior" in result.assumptions
    assert "parameters.dropout_control_line_primary" in result.assumptions
    assert_basic_cvs_agree(result, "basic-2017-dropout")
    # The same county in 2016: the 2012 edition applies and has no dropout gate.
    earlier = dt.date(2016, 6, 1)
    old = evaluate(submission, load_standard("national.basic-balance", as_of=earlier), as_of=earlier)
    assert old.standard.key == BASIC_2012
    assert "dropout_rate_junior" not in old.indicators
    with pytest.raises(KernelError, match="not on 2019-06-01"):
        evaluate(submission, load_standard(BASIC_2012))


def test_the_dropout_gate_shows_where_each_rule_comes_from():
    result = evaluate(fixture("basic-2017-dropout"), load_standard(BASIC_2017))
    assert result.rules["dropout_junior"].rule.origin == BASIC_2017
    assert result.rules["composite_cv_junior"].rule.origin == BASIC_2012
    data = to_canonical(result)
    assert "origin" not in data["gates"]["dropout_junior"]  # defined by the edition evaluated
    assert "origin" not in data["indicators"]["dropout_rate_junior"]
    assert data["gates"]["composite_cv_junior"]["origin"] == BASIC_2012  # inherited: shown
    assert data["indicators"]["composite_cv_junior"]["origin"] == BASIC_2012
    assert data["parameters"]["work_score_cutoff"]["origin"] == BASIC_2012
    assert "origin" not in data["parameters"]["dropout_control_line_junior"]
    assert data["parameters"]["dropout_control_line_junior"]["status"] == "assumed"


def test_the_published_dropout_rate_is_used_when_the_counts_are_missing():
    data = raw("basic-2017-dropout")
    del data["data"]["dropouts"], data["data"]["students_start_of_year"]
    data["data"]["dropout_rate"] = {"primary": "0.2%", "junior": "1.8%"}
    result = evaluate(submission_from_data(data), load_standard(BASIC_2017))
    junior = result.indicators["dropout_rate_junior"].county
    assert junior.value == D("0.018") and junior.met is True  # exactly at the line: passes
    assert junior.note and junior.reads["dropout_rate.junior"] == D("0.018") and "dropouts.junior" not in junior.reads
    assert result.grade == "recognised"


def test_a_province_overrides_the_control_line(tmp_path: Path):
    child = tmp_path / "testprov-basic.toml"
    child.write_text(
        'format = 1\n[standard]\nid = "testprov.basic-balance"\nedition = "2018"\njurisdiction = "testprov"\n'
        'title = { zh = "测试省基本均衡", en = "test province" }\neffective_from = 2018-01-01\n'
        'extends = "national.basic-balance@2017"\n'
        '[sources.testprov_doc]\ntitle = "测试省控辍保学通知"\n'
        '[parameters.dropout_control_line_junior]\nlabel = { zh = "初中年辍学率控制线（本省）", en = "x" }\n'
        'unit = "ratio"\nvalue = 0.02\nsource = "testprov_doc"\nstatus = "verified"\n',
        "utf-8",
    )
    standard = default_registry().load_path(child)
    result = evaluate(fixture("basic-2017-dropout"), standard)
    assert result.grade == "recognised"  # 2% is within the province's 2% line
    assert "parameters.dropout_control_line_junior" not in result.assumptions
    assert "parameters.dropout_control_line_primary" in result.assumptions  # still the placeholder
    data = to_canonical(result)
    assert "origin" not in data["parameters"]["dropout_control_line_junior"]  # the province's own value
    assert data["parameters"]["dropout_control_line_primary"]["origin"] == BASIC_2017  # inherited
    assert data["gates"]["dropout_junior"]["origin"] == BASIC_2017


# --- quality balance, 2017 ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def quality():
    return load_standard("national.quality-balance", as_of=dt.date(2021, 6, 1))


def assert_quality_cvs_agree(result, name: str) -> dict[str, dict[str, Decimal]]:
    data = raw(name)
    found: dict[str, dict[str, Decimal]] = {}
    for segment, prefix in (("primary", "qb_primary"), ("junior", "qb_junior")):
        rows = segment_rows(data, segment, teaching_point_min=50)
        assert sorted(u.id for u in result.units[prefix]) == sorted(r["id"] for r in rows)
        found[segment] = {}
        for key, value in QUALITY_7.items():
            expected = reference_cv(rows, value)
            assert agrees(county_value(result, f"cv_{segment}_{key}"), expected), (segment, key)
            found[segment][key] = expected
        assert agrees(county_value(result, f"mean_cv_{segment}"), mean60(list(found[segment].values())))
    return found


def test_each_coefficient_is_judged_not_their_mean(quality):
    result = evaluate(fixture("quality-2017-cv-one-above"), quality)
    cvs = assert_quality_cvs_agree(result, "quality-2017-cv-one-above")
    assert cvs["primary"]["backbone_teachers"] > D("0.5")
    assert mean60(list(cvs["primary"].values())) < D("0.5")  # the mean would pass
    assert all(v <= D("0.5") for k, v in cvs["primary"].items() if k != "backbone_teachers")


def test_quality_scope_keeps_teaching_points_of_50_or_more(quality):
    result = evaluate(fixture("quality-2017-cv-one-above"), quality)
    assert [u.id for u in result.units["qb_primary"]] == ["P1", "P2", "P3", "T1"]  # T2 (30) and S1 out
    assert [u.id for u in result.units["qb_junior"]] == ["J1", "J2"]
    # T2 with 50 pupils would be in scope, and it meets almost nothing.
    text = path("quality-2017-cv-one-above").read_text("utf-8").replace("students = { primary = 30 }", "students = { primary = 50 }")
    wider = evaluate(parse_submission(text, file="t2-50.toml"), quality)
    assert "T2" in [u.id for u in wider.units["qb_primary"]]
    assert wider.rules["primary_school_resources"].failed_units == ("T2",)


def test_a_school_at_exactly_85_percent_of_its_seventh_standard_passes(quality):
    result = evaluate(fixture("quality-2017-floor-exact"), quality)
    school = result.indicators["primary_school_resources"].units["P3"]
    assert school.value is True and "met 6 of 7" in school.note
    cvs = assert_quality_cvs_agree(result, "quality-2017-floor-exact")
    assert cvs["primary"]["backbone_teachers"] <= D("0.5")


def test_a_school_just_below_85_percent_fails(quality):
    result = evaluate(fixture("quality-2017-floor-below"), quality)
    school = result.indicators["primary_school_resources"].units["P3"]
    assert school.value is False and "below the floor" in school.note
    assert result.rules["primary_school_resources"].failed_units == ("P3",)
    assert_quality_cvs_agree(result, "quality-2017-floor-below")


def test_an_undeclared_national_input_is_refused_with_its_name(quality):
    with pytest.raises(KernelError) as caught:
        evaluate(variant("quality-2017-floor-exact", "falsification = false", "falsification = false\nfalsified = true"), quality)
    assert "national.falsified" in str(caught.value)


def test_a_province_can_extend_a_standard_that_declares_inputs(tmp_path: Path):
    # Kernel fix: the parent's own inputs (national.*) keep their prefix in a province's standard
    # and are still typed there: "100%" arrives as 1, and the province's funding floor decides.
    child = tmp_path / "testprov-quality.toml"
    child.write_text(
        'format = 1\n[standard]\nid = "testprov.quality-balance"\nedition = "2019"\njurisdiction = "testprov"\n'
        'title = { zh = "测试省", en = "test province" }\neffective_from = 2019-01-01\n'
        'extends = "national.quality-balance@2017"\n'
        '[parameters.gov_07_special_funding_min]\nlabel = { zh = "特教生均公用经费（本省）", en = "x" }\n'
        'unit = "元"\nvalue = 8000\nstatus = "assumed"\n',
        "utf-8",
    )
    standard = default_registry().load_path(child)
    assert standard.inputs["national.gov_09_training_completion_rate"].type == "rate"
    result = evaluate(fixture("quality-2017-floor-exact"), standard)
    assert result.indicators["gov_09_training_completion"].county.value == 1
    assert failed_rules(result) == ["gov_07_special_school_funding"]
    assert result.grade == "not_recognised"
    # The province's assumed floor, with the national file's own assumed entries (issue #19: the
    # 0.15 and level III of quality item 9, and three vetoes in no report of the 办法).
    assert result.assumptions == (
        "indicators.no_falsification", "indicators.no_major_accident_or_violation", "indicators.no_unfilled_posts",
        "indicators.quality_09a_attainment", "indicators.quality_09b_difference_rate",
        "parameters.gov_07_special_funding_min", "parameters.quality_09_difference_rate_max",
        "vetoes.falsification", "vetoes.major_accident_or_violation", "vetoes.unfilled_posts")
    # A province's own inputs still need its own prefix.
    bad = tmp_path / "bad.toml"
    bad.write_text(child.read_text("utf-8") + '[inputs."national.extra"]\nlevel = "county"\ntype = "bool"\nlabel = { zh = "x" }\n', "utf-8")
    with pytest.raises(KernelError, match="testprov.<name>"):
        default_registry().load_path(bad)


def test_the_documented_province_example_works(tmp_path: Path):
    doc = (ROOT / "docs" / "national.md").read_text("utf-8")
    block = doc.split("<!-- example: exampleprov -->", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    child = tmp_path / "exampleprov.toml"
    child.write_text(block, "utf-8")
    standard = default_registry().load_path(child)
    result = evaluate(fixture("basic-2012-pass"), standard)
    assert result.grade == "recognised" and result.assumptions == ()
    assert result.indicators["school_meets_provincial_standard"].units["P2"].note.startswith("met 2 of 3")
    data = to_canonical(result)
    assert data["gates"]["provincial_school_standard"]["origin"] == BASIC_2012
    assert "origin" not in data["indicators"]["school_meets_provincial_standard"]
    assert data["areas"]["teachers"]["max"] == "28"
    # P2 (20 books, 8 computers, 4.0 m²) drops to 1 of 3 with one computer fewer: part 1 fails.
    worse = evaluate(variant("basic-2012-pass", "computers = 40", "computers = 39"), standard)
    assert failed_rules(worse) == ["provincial_school_standard"]
    assert worse.rules["provincial_school_standard"].failed_units == ("P2",)


# --- what the standards claim about their sources -----------------------------------------------


@pytest.mark.parametrize(
    ("key", "assumed"),
    [
        (BASIC_2012, set()),
        (BASIC_2017, {"dropout_control_line_junior", "dropout_control_line_primary"}),
        (QUALITY, {"quality_09_difference_rate_max"}),  # nothing read gives 0.15 (issue #19)
    ],
)
def test_every_parameter_has_a_status_and_the_assumed_ones_are_named(key, assumed):
    standard = load_standard(key)
    found = set()
    for parameter in standard.parameters.values():
        for dated in parameter.values:
            assert dated.citation.status in ("verified", "corroborated", "reconstructed", "assumed")
            if dated.citation.status == "assumed":
                found.add(parameter.id)
            else:
                assert dated.citation.source in standard.sources, parameter.id
    assert found == assumed
    for indicator in standard.indicators.values():
        if indicator.citation is not None and indicator.citation.source:
            assert indicator.citation.source in standard.sources, indicator.id


def test_nothing_is_verified_that_was_not_read_in_a_primary_text():
    for key in (BASIC_2012, BASIC_2017, QUALITY):
        standard = load_standard(key)
        statuses = {d.citation.status for p in standard.parameters.values() for d in p.values}
        assert "verified" not in statuses


# --- command line -----------------------------------------------------------------------------


def test_the_cli_resolves_the_edition_by_the_submission_date(capsys):
    assert main(["evaluate", str(path("basic-2017-dropout")), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"edition":"2017"' in out and '"grade":"not_recognised"' in out
    assert main(["evaluate", str(path("basic-2017-dropout")), "--as-of", "2016-06-01", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"edition":"2012"' in out and '"grade":"recognised"' in out


# --- properties -------------------------------------------------------------------------------


def _scaled_books(data: dict[str, Any], factor: int) -> dict[str, Any]:
    scaled = copy.deepcopy(data)
    for school in scaled["schools"]:
        school["books"] = school["books"] * factor
    return scaled


@settings(max_examples=100, deadline=None)
@given(factor=st.integers(min_value=2, max_value=10**6))
def test_scaling_every_schools_books_leaves_the_books_cv_unchanged(basic_2012, factor):
    data = raw("basic-2012-nine-year")
    base = evaluate(submission_from_data(copy.deepcopy(data)), basic_2012)
    scaled = evaluate(submission_from_data(_scaled_books(data, factor)), basic_2012)
    for segment in ("primary", "junior"):
        before = county_value(base, f"cv_{segment}_books")
        after = county_value(scaled, f"cv_{segment}_books")
        assert agrees(after, before, digits=25)
        assert county_value(scaled, f"cv_{segment}_computers") == county_value(base, f"cv_{segment}_computers")


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(["special", "vocational", "teaching_point"]),
    pupils=st.integers(min_value=1, max_value=5000),
    books=st.integers(min_value=0, max_value=10**6),
)
def test_a_school_outside_the_scope_never_changes_a_coefficient(basic_2012, kind, pupils, books):
    data = raw("basic-2012-pass")
    base = evaluate(submission_from_data(copy.deepcopy(data)), basic_2012)
    extra = copy.deepcopy(data)
    extra["schools"].append({
        "id": "X1", "kind": kind, "students": {"primary": pupils}, "books": books, "computers": 0,
        "teaching_aux_area_m2": 1, "sports_area_m2": 1, "equipment_value_yuan": 1,
        "teachers": {"primary": 1}, "teachers_above_required_qualification": {"primary": 0},
        "teachers_intermediate_title_or_above": {"primary": 0}, "meets_provincial_standard": True,
    })
    widened = evaluate(submission_from_data(extra), basic_2012)
    for segment in ("primary", "junior"):
        for key in BASIC_8:
            name = f"cv_{segment}_{key}"
            assert county_value(widened, name) == county_value(base, name)
    assert widened.grade == base.grade == "recognised"
