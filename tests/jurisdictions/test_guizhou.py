"""Guizhou: the revised basic-conditions index (the 7-of-9 门槛), the county-government evaluation
of 黔府办发〔2005〕100号, and basic balance, on the fixtures in fixtures/counties/guizhou/.

Each fixture's header works its expected result out by hand; those results (grades, scores, gates,
vetoes, per-school values and credits, the cut-offs and one item either side of seven) are the test
cases in provinces/guizhou/cases/. Here: what a case cannot say — the notes that name the missed
items, limits, the coefficients recomputed independently, what is inherited, errors, properties.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel import KernelError, evaluate, load_standard, read_submission, to_canonical
from standards_kernel.kernel.submission import parse_submission, submission_from_data
from tests.helpers import FIXTURES, ROOT, failed_rules, text_variant, toml_data
from tests.helpers.coefficients import assert_coefficients_agree, assert_same_block

GUIZHOU = FIXTURES / "counties" / "guizhou"
SCHOOL = "guizhou.school-conditions@2014"
COUNTY = "guizhou.county-education@2005"
BASIC = "guizhou.basic-balance@2013"
BASIC_2017 = "guizhou.basic-balance@2017"
NATIONAL = "national.basic-balance@2012"
D = Decimal
VETOES = ("liangji_not_passed", "vocational_school_closed", "new_wage_arrears", "funds_diverted", "major_safety_accident")


def path(name: str) -> Path:
    return GUIZHOU / f"{name}.toml"


def raw(name: str) -> dict[str, Any]:
    return toml_data(path(name))


def variant(name: str, old: str, new: str):
    return text_variant(path(name), old, new)


@pytest.fixture(scope="module")
def school():
    return load_standard(SCHOOL)


@pytest.fixture(scope="module")
def county_std():
    return load_standard(COUNTY)


# --- the school standard ------------------------------------------------------------------------


def test_the_notes_name_the_missed_items(school):
    result = evaluate(read_submission(path("jia-2015")), school)
    notes = {
        (seg, uid): r.note
        for seg in ("primary", "junior")
        for uid, r in result.indicators[f"{seg}_threshold"].units.items()
    }
    assert notes[("primary", "gz-a")] == "met 9 of 9 (needs 7)"
    assert notes[("primary", "gz-b")] == "met 7 of 9 (needs 7); missed: primary_largest_class, primary_sports_area"
    assert notes[("primary", "gz-c")] == "met 9 of 9 (needs 7)"
    assert notes[("junior", "gz-c")] == "met 7 of 9 (needs 7); missed: junior_books, junior_equipment"
    assert notes[("junior", "gz-d")] == "met 7 of 9 (needs 7); missed: junior_largest_class, junior_music_art_equipment"


def test_the_nine_year_school_is_split_and_judged_per_segment(school):
    result = evaluate(read_submission(path("jia-2015")), school)
    # 130000 × 11/26 = 55000 against the junior floor for 4 classes (the values: the case jia-2015)
    assert result.indicators["junior_equipment"].units["gz-c"].limit == 100000
    assert result.indicators["junior_students_per_teacher"].units["gz-c"].reads["teachers"] == 13


def test_the_teaching_points_note_names_its_three_missed_items(school):
    result = evaluate(read_submission(path("yi-2015")), school)
    unit = result.indicators["primary_threshold"].units["yi-tp"]
    assert unit.note == "met 6 of 9 (needs 7); missed: primary_books, primary_computers, primary_sports_area"


def test_equipment_floor_follows_the_class_count(school):
    # gz-b has 6 classes (≤ 12): 35000 suffices. At 13 classes the floor is 50000 and gz-b drops to 6 of 9.
    result = evaluate(variant("jia-2015", "classes = { primary = 6 }\nlargest_class = 48", "classes = { primary = 13 }\nlargest_class = 48"), school)
    assert result.indicators["primary_equipment"].units["gz-b"].limit == 50000  # the grade: the case jia-2015


def test_a_missing_yes_no_item_is_named(school):
    with pytest.raises(KernelError) as caught:
        evaluate(variant("yi-2015", "guizhou = { class_multimedia = true, music_art_equipment = true, sports_equipment = true }\n\n[[schools]]\nid = \"yi-tp\"", "\n[[schools]]\nid = \"yi-tp\""), school)
    message = str(caught.value)
    assert "guizhou.class_multimedia" in message and "yi-zx" in message


# --- the county-government evaluation ---------------------------------------------------------


def test_bings_excellent_rests_on_assumed_cut_offs(county_std):
    result = evaluate(read_submission(path("bing-2010")), county_std)
    assert set(result.assumptions) >= {"parameters.excellent_cutoff", "areas.total"}


@pytest.mark.parametrize("veto", VETOES)
def test_each_of_the_five_conditions_is_verified(county_std, veto):
    # What each does to the grade: the cases bing-2010 and ding-2010.
    assert county_std.rules[veto].kind == "veto" and county_std.rules[veto].effect == "deny"
    assert county_std.rules[veto].citation.status == "verified"


def test_the_county_evaluation_starts_in_2006(county_std):
    assert county_std.in_force(dt.date(2006, 1, 1)) and not county_std.in_force(dt.date(2005, 12, 31))


# --- basic balance ------------------------------------------------------------------------------


def test_basic_balance_uses_guizhous_threshold_and_shows_what_is_inherited():
    standard = load_standard(BASIC)
    result = evaluate(read_submission(path("jia-2015")), standard)
    assert_coefficients_agree(result, raw("jia-2015"))
    data = to_canonical(result)
    assert "school_meets_provincial_standard" not in data["indicators"]
    assert "provincial_school_standard" not in data["gates"]
    for gate in ("provincial_school_standard_primary", "provincial_school_standard_junior"):
        assert "origin" not in data["gates"][gate]
    assert "origin" not in data["indicators"]["primary_threshold"]
    assert "origin" not in data["parameters"]["books_primary"]
    assert data["gates"]["public_satisfaction"]["origin"] == NATIONAL
    assert data["indicators"]["cv_primary_books"]["origin"] == NATIONAL
    assert data["parameters"]["satisfaction_min"]["origin"] == NATIONAL
    # The banded credit belongs to the school standard only.
    assert not any(i.endswith("_credit") for i in data["indicators"])
    # Teaching points are in the 门槛 but not in the coefficients.
    assert [u.id for u in result.units["all_primary_schools"]] == ["gz-a", "gz-b", "gz-c"]


def test_basic_balance_editions_follow_the_national_ones():
    assert load_standard("guizhou.basic-balance", as_of=dt.date(2013, 1, 1)).edition == "2013"
    assert load_standard("guizhou.basic-balance", as_of=dt.date(2017, 12, 4)).edition == "2013"
    assert load_standard("guizhou.basic-balance", as_of=dt.date(2017, 12, 5)).edition == "2017"
    with pytest.raises(KernelError, match="no edition"):
        load_standard("guizhou.basic-balance", as_of=dt.date(2012, 12, 31))


def with_dropouts(as_of: str, primary: int, junior: int) -> str:
    text = path("jia-2015").read_text("utf-8").replace("as_of = 2015-10-15", f"as_of = {as_of}")
    return text.replace(
        "satisfaction_satisfied = 1068\n",
        f"satisfaction_satisfied = 1068\ndropouts = {{ primary = {primary}, junior = {junior} }}\n"
        "students_start_of_year = { primary = 1500, junior = 1000 }\n",
    )


def test_from_2017_the_same_threshold_sits_on_the_national_dropout_edition_with_guizhous_lines():
    standard = load_standard(BASIC_2017)
    # 3/1500 = 0.2% ≤ 1.8%; 20/1000 = 2% ≤ 2.8% (Guizhou's line; the national placeholder 1.8% failed it).
    result = evaluate(parse_submission(with_dropouts("2018-10-15", 3, 20), file="jia-2018.toml"), standard)
    assert result.grade == "recognised" and failed_rules(result) == []
    assert result.rules["dropout_junior"].limit == D("0.028") and result.rules["dropout_primary"].limit == D("0.018")
    data = to_canonical(result)
    assert data["gates"]["dropout_junior"]["origin"] == "national.basic-balance@2017"
    assert "origin" not in data["parameters"]["dropout_control_line_junior"]  # Guizhou's own, not inherited
    assert "origin" not in data["gates"]["provincial_school_standard_primary"]
    # 29/1000 = 2.9% > 2.8%: denied, on the junior gate alone.
    over = evaluate(parse_submission(with_dropouts("2018-10-15", 3, 29), file="jia-2018b.toml"), standard)
    assert over.grade == "not_recognised" and failed_rules(over) == ["dropout_junior"]


@pytest.mark.parametrize(
    ("as_of", "status", "listed"),
    [
        ("2017-12-05", "corroborated", False),  # the 2014 line, reported by 央广网 (gz_cnr_2014)
        ("2017-12-31", "corroborated", False),
        ("2018-01-01", "assumed", True),  # carried past 2017-12: an assumption, and the result says so
        ("2024-06-30", "assumed", True),
    ],
)
def test_guizhous_dropout_lines_are_corroborated_for_2014_and_assumed_when_carried_past_2017(as_of, status, listed):
    result = evaluate(parse_submission(with_dropouts(as_of, 3, 20), file="d.toml"), load_standard(BASIC_2017))
    data = to_canonical(result)
    for pid, value in (("dropout_control_line_primary", "0.018"), ("dropout_control_line_junior", "0.028")):
        line = data["parameters"][pid]
        assert (line["value"], line["status"]) == (value, status)
        assert (f"parameters.{pid}" in result.assumptions) is listed
        if status == "corroborated":
            assert (line["source"], line["in_force_from"]) == ("gz_cnr_2014", "2014-01-01")


def test_the_class_size_ambiguity_is_recorded_where_the_value_is():
    for key in (SCHOOL, BASIC, BASIC_2017):
        for pid in ("class_limit_primary", "class_limit_junior"):
            (value,) = load_standard(key).parameters[pid].values
            assert "不多于55人" in value.citation.locator and "55" in value.citation.note, (key, pid)
    assert "不多于55人" in (ROOT / "docs" / "provinces" / "guizhou.md").read_text("utf-8")


def test_the_school_items_are_the_same_in_all_three_files():
    # The banded credit (indicators *_credit, parameters band_*) is the school standard's alone.
    basics = [load_standard(BASIC), load_standard(BASIC_2017)]
    assert_same_block(load_standard(SCHOOL), basics, only_in_school=("_credit", "band_"))
    assert not any(p.startswith("band_") for b in basics for p in b.parameters)


# --- properties ---------------------------------------------------------------------------------

FIELDS_HIGHER = ("sports_area_m2", "computers", "equipment_value_yuan", "books")


@settings(max_examples=80, deadline=None)
@given(
    which=st.integers(min_value=0, max_value=3),
    field=st.sampled_from(FIELDS_HIGHER + ("teachers", "largest_class")),
    factor=st.sampled_from([D("0.5"), D("0.8"), D("0.99"), D("1.01"), D("1.25"), D(2)]),
)
def test_moving_an_item_the_right_way_never_lowers_the_grade_or_a_credit(school, which, field, factor):
    data = raw("jia-2015")
    changed = copy.deepcopy(data)
    record = changed["schools"][which]
    if field == "teachers":
        record["teachers"] = {k: max(1, int(v * factor)) for k, v in record["teachers"].items()}
    else:
        value = D(record[field]) * factor
        record[field] = max(1, int(value)) if field in ("computers", "books", "largest_class") else value
    better = factor > 1 if field != "largest_class" else factor < 1
    base = evaluate(submission_from_data(copy.deepcopy(data)), school)
    after = evaluate(submission_from_data(changed), school)
    rank = school.grade_index
    for seg in ("primary", "junior"):
        for uid, before in base.indicators[f"{seg}_threshold"].units.items():
            now = after.indicators[f"{seg}_threshold"].units[uid]
            if better:
                assert now.value or not before.value
            else:
                assert before.value or not now.value
        for iid, res in base.indicators.items():
            if iid.endswith("_credit") and iid.startswith(seg):
                for uid, r in res.units.items():
                    later = after.indicators[iid].units[uid].value
                    assert (later >= r.value) if better else (later <= r.value), (iid, uid)
    assert (rank(after.grade) <= rank(base.grade)) if better else (rank(after.grade) >= rank(base.grade))


@settings(max_examples=200, deadline=None)
@given(books=st.integers(min_value=0, max_value=60000))
def test_book_credit_bands_are_exact_at_their_edges(school, books):
    # gz-a has 900 pupils and a floor of 20 books each: 18000 full, 14400 (80%) and 10800 (60%) edges.
    result = evaluate(variant("jia-2015", "books = 18000", f"books = {books}"), school)
    credit = result.indicators["primary_books_credit"].units["gz-a"].value
    expected = D(1) if books >= 18000 else D("0.8") if books >= 14400 else D("0.5") if books >= 10800 else D(0)
    assert credit == expected
    assert result.indicators["primary_books"].units["gz-a"].met is (books >= 18000)


@settings(max_examples=100, deadline=None)
@given(
    total=st.decimals(min_value=0, max_value=100, places=1),
    vetoes=st.lists(st.sampled_from(VETOES), unique=True, max_size=5),
)
def test_county_grade_follows_the_score_and_a_veto_never_raises_it(county_std, total, vetoes):
    text = path("wu-2010").read_text("utf-8").replace("total = 80", f"total = {total}")
    for veto in vetoes:
        text = text.replace(f"{veto} = false", f"{veto} = true")
    result = evaluate(parse_submission(text, file="vetoes.toml"), county_std)
    rank = county_std.grade_index
    by_score = "excellent" if total >= 90 else "good" if total >= 80 else "qualified" if total >= 60 else "unqualified"
    assert result.grade_by_score == by_score
    assert rank(result.grade) >= rank(result.grade_by_score)
    assert result.grade == ("unqualified" if vetoes else by_score)


def test_the_docs_name_every_assumption_of_the_guizhou_standards():
    doc = (ROOT / "docs" / "provinces" / "guizhou.md").read_text("utf-8")
    for key in (SCHOOL, COUNTY, BASIC, BASIC_2017):
        standard = load_standard(key)
        assert key in doc
        for pid, parameter in standard.parameters.items():
            if any(d.citation.status in ("assumed", "reconstructed") for d in parameter.values) and parameter.origin == key:
                assert pid in doc, (key, pid)


@settings(max_examples=100, deadline=None)
@given(computers=st.integers(min_value=0, max_value=40), satisfied=st.integers(min_value=800, max_value=1200))
def test_basic_balance_grade_is_exactly_the_threshold_and_the_national_gates(computers, satisfied):
    # gz-b (240 pupils) has 7 of 9 with 15 computers (6.25 per hundred); 14 (5.83) leaves it 6 of 9.
    standard = load_standard(BASIC)
    text = path("jia-2015").read_text("utf-8").replace("computers = 15", f"computers = {computers}")
    text = text.replace("satisfaction_satisfied = 1068", f"satisfaction_satisfied = {satisfied}")
    result = evaluate(parse_submission(text, file="p.toml"), standard)
    school_ok = computers * 100 >= 6 * 240
    satisfied_ok = satisfied * 100 >= 85 * 1200
    assert result.grade_by_score == "recognised"  # 88 points whatever these two are
    assert result.grade == ("recognised" if school_ok and satisfied_ok else "not_recognised")
    assert result.rules["provincial_school_standard_primary"].failed is (not school_ok)
