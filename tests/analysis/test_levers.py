"""Levers: the rectification list and the next-grade plan move only what a county can change, the
way it can change it, and state what is held fixed ("given 500 pupils, 2 more teachers")."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel import evaluate, load_standard, read_submission, to_canonical
from standards_kernel.analysis import analyse, next_grade
from standards_kernel.analysis.gaps import Gap, Target
from standards_kernel.analysis.plan import reevaluate
from standards_kernel.errors import StandardError
from standards_kernel.kernel.formats import load_text
from standards_kernel.kernel.loader import build_standard
from standards_kernel.kernel.submission import submission_from_data
from standards_kernel.kernel.vocabulary import _data, lever, lever_reasons, vocabulary
from tests.analysis import many_items
from tests.helpers import FIXTURES, YUANJIANG

COUNTIES = sorted(FIXTURES.glob("counties/*/*.toml"))


def targets(items):
    for target in items:
        yield target
        yield from targets(target.parts)
        yield from targets(target.floor)


def gap(gaps, gid: str) -> Gap:
    return next(g for g in gaps if g.id == gid)


def many(n: int = 4, **data):
    std = many_items.standard(n)
    county = many_items.county(n)
    county["data"].update(data)
    ev = evaluate(submission_from_data(copy.deepcopy(county)), std)
    return std, county, ev, analyse(ev)


# --- the vocabulary -------------------------------------------------------------------------


def test_every_vocabulary_input_says_whether_it_is_a_lever_and_every_reason_has_both_words():
    raw = _data()
    reasons = lever_reasons()
    for level, names in vocabulary().items():
        for name in names:
            spec = raw[level][name]
            assert spec.get("lever") in ("up", "down", "fixed"), (level, name)  # the vocabulary knows which way
            found = lever(level, name)
            if found.direction == "fixed":
                assert found.why in reasons, (level, name)
            if found.part_of:
                assert lever(level, found.part_of).direction != "down", (level, name)  # a total
                assert found.part_of in names, (level, name)
    for key, label in reasons.items():
        assert "{name}" in label.zh or key == "no_lever", key
        assert label.zh and label.en and re.search("[\u4e00-\u9fff]", label.zh) and not re.search("[\u4e00-\u9fff]", label.en)


@pytest.mark.parametrize(("level", "name", "direction"), [
    ("school", "teachers.primary", "up"), ("school", "teaching_aux_area_m2", "up"), ("school", "books", "up"),
    ("school", "equipment_value_yuan", "up"), ("county", "funding.budget_2009", "up"),
    ("school", "dilapidated_d_area_m2", "down"), ("county", "totals.dilapidated_d_area_m2", "down"),
    ("school", "students.junior", "fixed"), ("county", "students_start_of_year.junior", "fixed"),
    ("county", "satisfaction_surveyed", "fixed"), ("county", "school_age_population.primary", "fixed"),
    ("township", "school_age_population.junior", "fixed"), ("county", "events.exam_admission", "fixed"),
])
def test_the_levers_the_issue_names(level, name, direction):
    assert lever(level, name).direction == direction


# --- the standard's override ----------------------------------------------------------------


def test_a_standard_overrides_a_lever_and_its_own_inputs_default_by_type():
    std = many_items.standard(2)
    assert std.levers == {"county.test.pupils": "fixed", "county.test.teachers": "up"}
    pupils = lever("county", "test.pupils", std.levers, std.inputs)
    assert (pupils.direction, pupils.why, pupils.by) == ("fixed", "standard", "standard")
    assert lever("county", "test.r00", std.levers, std.inputs).direction == "either"  # an own amount: undeclared
    assert lever("county", "totals.building_area_m2", {"county.totals.building_area_m2": "fixed"}).direction == "fixed"
    assert lever("county", "funding.x", {"county.funding.*": "fixed"}).direction == "fixed"  # a pattern
    assert lever("school", "books", {"county.books": "fixed"}).direction == "up"  # another level's key


@pytest.mark.parametrize(("entry", "message"), [
    ('"county.test.pupil" = "fixed"', r"unknown county input 'test.pupil'.*did you mean 'test.pupils'"),
    ('"pupils" = "fixed"', r"does not name an input as <level>.<name>"),
    ('"county.test.pupils" = "sideways"', r"'sideways' is not a lever direction"),
])
def test_a_bad_levers_entry_is_refused_with_its_key(entry, message):
    text = many_items.standard_text(1, levers=False) + f"\n[levers]\n{entry}\n"
    with pytest.raises(StandardError) as error:
        build_standard(load_text(text, fmt="toml", file="<levers>", error=StandardError), file="<levers>")
    assert re.search(message, str(error.value)) and "levers." in str(error.value)


def test_levers_merge_entry_by_entry_through_extends():
    parent = load_text(many_items.standard_text(1), fmt="toml", file="<parent>", error=StandardError)
    child = load_text('''
format = 1
remove = []
[standard]
id = "test.child"
edition = "1"
jurisdiction = "test"
title = { zh = "子", en = "child" }
effective_from = 2000-01-01
extends = "test.many-items@1"
[levers]
"county.test.teachers" = "fixed"
''', fmt="toml", file="<child>", error=StandardError)
    resolved = build_standard(parent, file="<parent>").content
    std = build_standard(child, file="<child>", resolver=lambda key: resolved)
    assert std.levers == {"county.test.pupils": "fixed", "county.test.teachers": "fixed"}


# --- Yuanjiang: remove the D-class area ------------------------------------------------------


def test_yuanjiang_removes_d_class_area_and_never_builds_to_dilute_it():
    sub = read_submission(YUANJIANG)
    ev = evaluate(sub, load_standard(sub.standard, sub.as_of))
    result = to_canonical(ev)
    veto = next(g for g in result["gaps"] if g["id"] == "vetoes.d_class_buildings")
    (target,) = veto["targets"]
    assert [f["name"] for f in target["fixes"]] == ["totals.dilapidated_d_area_m2"]
    assert target["context"] == [{"measure": "m²", "name": "totals.building_area_m2", "reason": "whole",
                                  "value": "281209", "would": "up"}]
    assert "1238257" not in str(result["gaps"]) and "1519466" not in str(result["gaps"])
    (repair,) = result["next_grade"]["plan"]
    assert repair["changes"] == [{"where": "data", "name": "totals.dilapidated_d_area_m2", "relation": "<=",
                                  "value": "8436.27"}]


# --- teachers, not pupils; satisfied people, not fewer surveyed --------------------------------


def test_a_pupil_teacher_ratio_hires_teachers_given_the_pupils():
    std, county, ev, gaps = many(**{"test.teachers": 25})  # 500 / 25 = 20 > 19
    (target,) = gap(gaps, "points.pupil_teacher").targets
    (fix,) = target.fixes
    assert (fix.name, fix.current, fix.whole, fix.change, fix.lever) == ("test.teachers", 25, 27, 2, "up")
    (held,) = target.context  # given 500 pupils, 2 more teachers
    assert (held.name, held.value, held.reason) == ("test.pupils", 500, "standard")


def test_a_satisfaction_rate_is_repaired_by_people_satisfied_never_by_surveying_fewer():
    std, county, ev, gaps = many(satisfaction_satisfied=850)
    (target,) = gap(gaps, "points.satisfaction").targets
    assert [(f.name, f.whole) for f in target.fixes] == [("satisfaction_satisfied", 900)]
    (held,) = target.context
    assert (held.name, held.reason, held.would) == ("satisfaction_surveyed", "surveyed", "down")


def test_no_lever_says_so_plainly_and_the_plan_does_not_use_it():
    text = many_items.standard_text(2).replace('"county.test.teachers" = "up"', '"county.test.teachers" = "fixed"')
    std = build_standard(load_text(text, fmt="toml", file="<fixed>", error=StandardError), file="<fixed>")
    county = many_items.county(2)
    county["data"]["test.teachers"] = 25
    ev = evaluate(submission_from_data(county), std)
    g = gap(analyse(ev), "points.pupil_teacher")
    (target,) = g.targets
    assert g.closable == target.closable == "no_lever" and not target.fixes
    assert target.no_lever == "standard" and {h.name for h in target.context} == {"test.pupils", "test.teachers"}
    data = to_canonical(ev)["gaps"]
    assert next(x for x in data if x["id"] == "points.pupil_teacher")["targets"][0]["no_lever"] == "standard"
    plan = next_grade(ev, analyse(ev))
    assert all(r.gap != "points.pupil_teacher" for r in plan.plan)


def test_a_lever_that_would_have_to_move_the_other_way_is_context():
    std, county, ev, gaps = many(**{"test.teachers": 25})
    g = gap(gaps, "points.pupil_teacher")
    assert g.closable == "data"
    # a share of teachers with a title: more teachers would lower it, and teachers only rise
    from standards_kernel.analysis.gaps import Analysis
    analysis = Analysis(ev)
    res = ev.indicators["pupil_teacher"]
    flipped = analysis.target(res.indicator, None, res.county, ">=", Fraction(21))  # asks for fewer teachers
    assert not flipped.fixes and flipped.closable == "no_lever"
    assert {(h.name, h.reason) for h in flipped.context} == {("test.teachers", "up_only"), ("test.pupils", "standard")}
    assert flipped.no_lever in {h.reason for h in flipped.context}


# --- every fixture, and properties -----------------------------------------------------------


def _current(sub, change):
    if change.where == "data":
        return sub.data.get(change.name)
    units = sub.schools if change.where == "schools" else sub.townships
    return next(u for u in units if u.id == change.unit).values.get(change.name)


def assert_levers_only(ev, plan, gaps) -> None:
    """Every fix listed moves a lever its way; every data change of the plan too."""
    std = ev.standard
    for g in gaps:
        for target in targets(g.targets):
            for fix in target.fixes:
                if fix.kind == "input":
                    assert fix.lever in (fix.move, "either") and not fix.held, (g.id, fix.name)
    for repair in plan.plan:
        if repair.by != "data":
            continue
        for change in repair.changes:
            level = {"data": "county", "schools": "school", "townships": "township"}[change.where]
            found = lever(level, change.name, std.levers, std.inputs)
            now = _current(ev.submission, change)
            move = "up" if Decimal(change.value) > Decimal(now) else "down"
            assert found.direction in (move, "either"), (repair.gap, change)


@pytest.mark.parametrize("path", COUNTIES, ids=lambda p: p.stem)
def test_no_plan_or_fix_of_a_fixture_moves_a_non_lever(path):
    sub = read_submission(path)
    ev = evaluate(sub, load_standard(sub.standard, sub.as_of))
    gaps = analyse(ev)
    plan = next_grade(ev, gaps)
    assert_levers_only(ev, plan, gaps)
    if plan.status == "found":
        after = reevaluate(ev, plan.plan)
        assert after is not None and after.grade == plan.grade_after and after.score == plan.score_after


@st.composite
def counties(draw):
    n = draw(st.integers(2, 9))
    county = many_items.county(n, seed=draw(st.integers(0, 10**6)), met=draw(st.sampled_from([0.0, 0.3, 0.7])))
    data = county["data"]
    data["test.teachers"] = draw(st.integers(15, 40))
    data["satisfaction_satisfied"] = draw(st.integers(700, 1000))
    data["totals"]["dilapidated_d_area_m2"] = draw(st.sampled_from([0, 2999, 3001, 10000]))
    return n, draw(st.booleans()), county


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counties())
def test_any_plan_moves_levers_their_way_and_reaches_the_target_exactly(case):
    n, capped, county = case
    std = many_items.standard(n, capped=capped)
    ev = evaluate(submission_from_data(copy.deepcopy(county)), std)
    gaps = analyse(ev)
    plan = next_grade(ev, gaps)
    assert_levers_only(ev, plan, gaps)
    if plan.status == "best":
        return
    assert plan.status == "found"  # every item here has a lever: a plan always exists
    after = reevaluate(ev, plan.plan)
    assert after is not None and after.grade == plan.grade_after and after.score == plan.score_after
    assert std.grade_index(after.grade) <= std.grade_index(plan.target)  # the target grade, or better
    # exactly: each whole-number change is the least that works (one less of any count fails its target)
    for g in gaps:
        for target in targets(g.targets):
            for fix in target.fixes:
                if fix.whole is not None and fix.reachable and fix.relation in (">=", "<="):
                    short = fix.whole - 1 if fix.relation == ">=" else fix.whole + 1
                    again = copy.deepcopy(county)
                    again["data"][fix.name] = short
                    res = evaluate(submission_from_data(again), std).indicators[target.indicator].county
                    assert not _holds(Fraction(res.value), target.relation, target.required), fix.name


def _holds(value: Fraction, relation: str, bound: Fraction) -> bool:
    return {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound}[relation]


def test_the_gap_model_exposes_lever_data():
    std, county, ev, gaps = many(**{"test.teachers": 25})
    (target,) = gap(gaps, "points.pupil_teacher").targets
    assert isinstance(target, Target)
    fix = target.fixes[0]
    assert fix.is_lever and fix.lever == "up" and fix.move == "up" and fix.held == ""
    assert target.no_lever == "" and target.context[0].reason in lever_reasons()


def test_guizhou_students_per_teacher_hires_teachers_given_the_pupils():
    from standards_kernel.analysis.gaps import Analysis
    from tests.helpers import text_variant

    sub = text_variant(FIXTURES / "counties" / "guizhou" / "yi-2015.toml", "teachers = { primary = 30 }",
                       "teachers = { primary = 25 }")  # 600 / 25 = 24 > 22 pupils per teacher
    ev = evaluate(sub, load_standard(sub.standard, sub.as_of))
    res = ev.indicators["primary_students_per_teacher"]
    assert res.units["yi-zx"].met is False
    target = Analysis(ev).target(res.indicator, "yi-zx", res.units["yi-zx"], "<=", Fraction(22))
    (fix,) = target.fixes  # 600 / 22 = 27.27…: 28 teachers, 3 more; never 550 pupils
    assert (fix.name, fix.whole, fix.change, fix.lever) == ("teachers.primary", 28, 3, "up")
    (held,) = target.context
    assert (held.name, held.value, held.reason, held.would) == ("students.primary", 600, "enrolment", "down")
