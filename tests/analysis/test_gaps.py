"""Gap analysis (整改清单) and the next-grade search: exact amounts, checked by re-evaluation."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
import tomli

from standards_kernel import evaluate, load_standard, read_submission, to_canonical, to_json
from standards_kernel.analysis import plan as gap_plan
from standards_kernel.kernel.expressions import compile_expression
from standards_kernel.kernel.formats import load_text
from standards_kernel.errors import StandardError
from standards_kernel.reporting.words import rectification
from standards_kernel.analysis.plan import Change, Repair, next_grade, reevaluate, repair_for
from standards_kernel.analysis.gaps import Gap, analyse, gaps_to_data, number_text, solve
from standards_kernel.kernel.loader import build_standard
from standards_kernel.kernel.submission import submission_from_data
from tests.helpers import FIXTURES, YUANJIANG, build, synthetic_county

AS_OF = dt.date(2009, 5, 13)
COUNTIES = sorted(FIXTURES.glob("counties/*/*.toml"))


@pytest.fixture(scope="module")
def yunnan():
    return load_standard("yunnan.county-education", as_of=AS_OF)


def yuanjiang_data() -> dict:
    return tomli.loads(YUANJIANG.read_text("utf-8"), parse_float=Decimal)


def evaluate_data(data: dict, standard):
    return evaluate(submission_from_data(copy.deepcopy(data), file="<variant>"), standard)


def gap(gaps, gid: str) -> Gap:
    return next(g for g in gaps if g.id == gid)


# --- Yuanjiang 2009 ---------------------------------------------------------------------------


def test_d_class_veto_names_the_area_to_remove_and_holds_the_floor_area_as_context(yunnan):
    ev = evaluate(read_submission(YUANJIANG), yunnan)
    gaps = analyse(ev)
    assert gaps[0].id == "vetoes.d_class_buildings" and gaps[0].lowers_grade and gaps[0].closable == "data"
    (target,) = gaps[0].targets
    assert target.relation == "<=" and target.required == Fraction(3, 100)
    (area,) = target.fixes  # building 1,238,257.67 m² more only dilutes the share: not a repair
    limit, d_area, floor = Fraction(3, 100), Fraction(45584), Fraction(281209)
    assert area.name == "totals.dilapidated_d_area_m2" and area.relation == "<=" and area.lever == "down"
    assert area.required == limit * floor == Fraction("8436.27")
    assert area.change == Fraction("-37147.73") == limit * floor - d_area
    (total,) = target.context  # given 281,209 m² of floor area
    assert (total.name, total.value, total.reason, total.would) == ("totals.building_area_m2", floor, "whole", "up")
    data = gaps_to_data(gaps)[0]["targets"][0]
    assert data["fixes"] == [{"change": "-37147.73", "current": "45584", "kind": "input", "measure": "m²",
                              "name": "totals.dilapidated_d_area_m2", "relation": "<=", "required": "8436.27"}]
    assert data["context"] == [{"measure": "m²", "name": "totals.building_area_m2", "reason": "whole",
                                "value": "281209", "would": "up"}]


@pytest.mark.parametrize(("field", "value", "grade"), [
    ("dilapidated_d_area_m2", Decimal("8436.27"), "advanced"),
    ("dilapidated_d_area_m2", Decimal("8436.28"), "qualified"),
])
def test_the_stated_amounts_are_the_exact_boundary(yunnan, field, value, grade):
    data = yuanjiang_data()
    data["data"]["totals"][field] = value
    assert evaluate_data(data, yunnan).grade == grade


def test_township_with_a_published_rate_gets_the_rate_and_is_told_counts_are_needed(yunnan):
    gaps = analyse(evaluate(read_submission(YUANJIANG), yunnan))
    township = gap(gaps, "gates.township_junior_enrolment")
    assert township.effect == "none" and not township.lowers_grade
    (target,) = township.targets
    assert target.unit == "yinyuan" and target.note == "published"
    assert target.counts == ("enrolled.junior", "school_age_population.junior")
    (fix,) = target.fixes
    assert fix.name == "enrolment_rate.junior" and fix.required == Fraction(95, 100)
    assert fix.change == Fraction(263, 10000)  # 92.37% → 95%: 2.63 percentage points


@pytest.mark.parametrize(("population", "pupils"), [(10000, 263), (10001, 264), (9723, 0)])
def test_township_with_counts_gets_a_whole_number_of_pupils(yunnan, population, pupils):
    data = yuanjiang_data()
    data["townships"][0] = {"id": "yinyuan", "name": "因远镇",
                            "enrolled": {"junior": 9237}, "school_age_population": {"junior": population}}
    ev = evaluate_data(data, yunnan)
    gaps = analyse(ev)
    if pupils == 0:  # 9237 / 9723 = 95.0015…%: nothing to fix
        assert not any(g.id == "gates.township_junior_enrolment" for g in gaps)
        return
    (target,) = gap(gaps, "gates.township_junior_enrolment").targets
    enrolled = target.fixes[0]
    assert enrolled.name == "enrolled.junior" and enrolled.unit == "yinyuan"
    assert enrolled.required == Fraction(95, 100) * population
    assert enrolled.whole == 9237 + pupils and enrolled.change == pupils
    # one pupil fewer would still fail
    data["townships"][0]["enrolled"]["junior"] = 9237 + pupils - 1
    assert evaluate_data(data, yunnan).indicators["township_junior_enrolment_rate"].units["yinyuan"].met is False
    data["townships"][0]["enrolled"]["junior"] = 9237 + pupils
    assert evaluate_data(data, yunnan).indicators["township_junior_enrolment_rate"].units["yinyuan"].met is True


def test_panel_points_are_listed_as_not_closable_by_data_largest_first(yunnan):
    gaps = analyse(evaluate(read_submission(YUANJIANG), yunnan))
    points = [g for g in gaps if g.kind == "points"]
    assert [g.indicator for g in points] == [
        "panel_conditions", "panel_funding", "panel_government", "panel_compulsory", "panel_teachers"]
    assert {g.closable for g in points} == {"panel"}
    assert [g.max - g.points for g in points] == [3, 2, Decimal("1.5"), 1, 1]


def test_next_grade_for_yuanjiang_is_clearing_the_veto_alone(yunnan):
    ev = evaluate(read_submission(YUANJIANG), yunnan)
    plan = next_grade(ev, analyse(ev))
    assert plan.status == "found" and plan.target == "advanced" and plan.grade_after == "advanced"
    (repair,) = plan.plan
    assert repair.gap == "vetoes.d_class_buildings" and repair.by == "data"
    assert repair.changes == (Change("data", "totals.dilapidated_d_area_m2", None, Decimal("8436.27"), "<="),)
    assert plan.score_after == Decimal("91.5") and plan.points_needed == 0 and plan.evaluated == 1


def test_next_grade_needs_the_fewest_items_then_the_smallest_relative_change(yunnan):
    data = yuanjiang_data()
    data["data"]["panel_scores"] = {"government": 17, "funding": 17, "conditions": 17, "teachers": 13,
                                    "compulsory": 13, "other": Decimal("9.5")}
    ev = evaluate_data(data, yunnan)
    assert ev.score == Decimal("86.5") and ev.grade == "qualified"
    gaps = analyse(ev)
    plan = next_grade(ev, gaps)
    assert plan.points_needed == Decimal("3.5")
    assert [r.gap for r in plan.plan] == ["vetoes.d_class_buildings", "points.panel_conditions", "points.panel_other"]
    assert plan.score_after == 90 and plan.grade_after == "advanced"
    assert {r.by for r in plan.plan} == {"data", "panel"}
    assert plan.evaluated == 1  # the set chosen for the 3.5 points missing lifts the grade at once
    # brute force over every subset: nothing smaller lifts the grade, nothing of that size asks a
    # smaller relative change (3/17 of the conditions' points and 0.5/9.5 of the others')
    repairs = [r for g in gaps if (r := repair_for(g, ev)) is not None]
    lifting = []
    for size in range(1, len(repairs) + 1):
        for combo in itertools.combinations(repairs, size):
            after = reevaluate(ev, combo)
            if after is not None and after.grade == "advanced":
                lifting.append((size, sum(r.effort for r in combo)))
    smallest = min(size for size, _ in lifting)
    assert smallest == len(plan.plan)
    assert min(cost for size, cost in lifting if size == smallest) == sum(r.effort for r in plan.plan)


def test_the_search_is_bounded_and_says_so(yunnan, monkeypatch):
    data = yuanjiang_data()  # three repairs are needed: without an evaluation none can be judged
    data["data"]["panel_scores"] = {"government": 17, "funding": 17, "conditions": 17, "teachers": 13,
                                    "compulsory": 13, "other": Decimal("9.5")}
    ev = evaluate_data(data, yunnan)
    monkeypatch.setattr(gap_plan, "MAX_EVALUATIONS", 0)
    plan = next_grade(ev, analyse(ev))
    assert plan.status == "not_found" and plan.bounded and plan.evaluated == 0


# --- the solver -------------------------------------------------------------------------------


def solved(text: str, var: str, values: dict, op: str, limit: str):
    tree = compile_expression(text).tree
    values = {k: Decimal(v) for k, v in values.items()}
    return solve(tree, var, values, op, Fraction(limit))


def test_solver_ratios_products_and_means():
    s = solved("computers * 100 / students", "computers", {"computers": 5, "students": 200}, ">=", "10")
    assert (s.relation, s.required, s.numerator) == (">=", 20, True)
    s = solved("computers * 100 / students", "students", {"computers": 5, "students": 200}, ">=", "10")
    assert (s.relation, s.required, s.numerator) == ("<=", 50, False)
    s = solved("(a + b + c) / 3", "b", {"a": "0.6", "b": "0.9", "c": "0.6"}, "<=", "0.65")
    assert (s.relation, s.required) == ("<=", Fraction("0.75"))
    s = solved("1 - kept / total", "kept", {"kept": 90, "total": 100}, "<", "0.05")
    assert (s.relation, s.required) == (">", 95)  # strictness is kept
    s = solved("(x + 1) / (x + 3)", "x", {"x": 1}, ">=", "0.75")  # a true ratio of linear functions
    assert (s.relation, s.required) == (">=", 5)


def test_solver_refuses_what_it_cannot_solve_exactly():
    assert solved("if(x > 1, x, 0) / y", "x", {"x": 2, "y": 1}, "<=", "1") is None
    assert solved("x * x", "x", {"x": 2}, "<=", "1") is None  # quadratic
    assert solved("a / b", "c", {"a": 1, "b": 2, "c": 3}, "<=", "0.1") is None  # does not depend on c
    assert solved("a / b", "a", {"a": 1, "b": 2}, "<=", "0.6") is None  # already met: nothing to solve
    assert solved("1 / x", "x", {"x": 2}, ">=", "-1") is None  # only beyond the pole at 0


def test_number_text_rounds_toward_the_side_that_clears():
    assert number_text(Fraction(1, 3), "ROUND_CEILING") == ("0.3333333333333333333333333334", "1/3")
    assert number_text(Fraction(1, 3), "ROUND_FLOOR") == ("0.3333333333333333333333333333", "1/3")
    assert number_text(Fraction("8436.27")) == ("8436.27", None)


# --- difference coefficients ------------------------------------------------------------------


def test_cv_contributors_are_the_weighted_squared_deviations(synthetic_standard):
    county = synthetic_county()
    for school in county["schools"][:3]:  # one book per student: far below the others' 22 to 24
        school["books"] = school["students"]["primary"]
    ev = evaluate(build(county), synthetic_standard)
    cv_gap = gap(analyse(ev), "points.cv_books")
    (target,) = cv_gap.targets
    assert target.relation == "<=" and target.required == Fraction("0.5")
    detail = target.detail
    schools = {s["id"]: s for s in county["schools"]}
    x = {sid: Fraction(s["books"], s["students"]["primary"]) for sid, s in schools.items()}
    p = {sid: Fraction(s["students"]["primary"]) for sid, s in schools.items()}
    total = sum(p.values())
    mean = sum(p[s] * x[s] for s in x) / total
    contribution = {s: p[s] / total * (x[s] - mean) ** 2 for s in x}
    largest = max(contribution, key=lambda s: contribution[s])
    first = detail["contributors"][0]
    assert first["unit"] == largest == "S002"
    assert abs(Fraction(first["contribution"]) - contribution[largest]) < Fraction(1, 10**20)
    assert abs(Fraction(first["from_mean"]) - (x[largest] - mean)) < Fraction(1, 10**20)
    # the school's own fix brings it to the county mean, in books, a whole number
    fix = first["fix"]
    assert fix.name == "books" and fix.unit == largest and fix.relation == ">="
    needed = Fraction(detail["mean"]) * p[largest]
    assert fix.whole == -(-needed.numerator // needed.denominator)
    shares = [Fraction(c["share_of_variance"]) for c in detail["contributors"]]
    assert shares == sorted(shares, reverse=True)
    assert abs(sum(Fraction(c["contribution"]) for c in detail["contributors"]) - Fraction(detail["sd"]) ** 2) < Fraction(1, 10**20)


def test_composite_cv_gap_lists_each_component_and_its_schools():
    path = FIXTURES / "counties" / "national" / "basic-2012-fail-junior-cv.toml"
    sub = read_submission(path)
    ev = evaluate(sub, load_standard(sub.standard, sub.as_of))
    g = gap(analyse(ev), "gates.composite_cv_junior")
    assert g.lowers_grade and g.closable == "data"
    (target,) = g.targets
    components = {f.name: f for f in target.fixes}
    assert len(components) == 8 and all(f.kind == "indicator" for f in components.values())
    values = {name: Fraction(ev.indicators[name].county.value) for name in components}
    for name, fix in components.items():  # alone, this CV must bring the mean of eight to 0.55
        others = sum(v for n, v in values.items() if n != name)
        assert fix.required == Fraction("0.55") * 8 - others
        assert fix.detail["contributors"][0]["from_mean"] < 0
    plan = next_grade(ev, analyse(ev))
    assert plan.status == "found" and plan.plan[0].by == "indicator"


# --- rules the data cannot close; k of n ------------------------------------------------------


def test_an_event_veto_cannot_be_closed_and_blocks_the_next_grade(synthetic_standard, county):
    county["data"]["events"]["exam_admission"] = True
    ev = evaluate(build(county), synthetic_standard)
    veto = gap(analyse(ev), "vetoes.exam")
    assert veto.closable == "event" and veto.targets[0].required is False
    plan = next_grade(ev, analyse(ev))
    assert plan.status == "not_found" and plan.blocked == ("vetoes.exam",) and plan.evaluated == 0


def test_k_of_n_floor_asks_only_for_the_missing_half_square_metre():
    path = FIXTURES / "counties" / "national" / "quality-2017-floor-below.toml"
    sub = read_submission(path)
    ev = evaluate(sub, load_standard(sub.standard, sub.as_of))
    (target,) = gap(analyse(ev), "gates.primary_school_resources").targets
    assert target.unit == "P3" and target.needed == 0  # 6 of 7 already met
    (floor,) = target.floor
    fix = floor.fixes[0]
    assert (fix.name, fix.required, fix.change) == ("sports_area_m2", Fraction("3187.5"), Fraction("0.5"))
    plan = next_grade(ev, analyse(ev))
    assert plan.status == "found" and plan.plan[0].changes[0].value == Decimal("3187.5")


SCORING = """
format = 1
[standard]
id = "test.scoring"
edition = "1"
jurisdiction = "test"
title = { zh = "计分", en = "scoring" }
effective_from = 2000-01-01
[parameters.floor]
value = 0.9
status = "assumed"
[indicators.whole]
label = { zh = "整", en = "whole steps" }
unit = "ratio"
direction = "higher"
formula = "satisfaction_satisfied / satisfaction_surveyed"
check = { op = ">=", limit = "floor" }
scoring = { kind = "deduction", max = 10, per = 0.01, deduct = 1, steps = "whole" }
[indicators.banded]
label = { zh = "档", en = "bands" }
unit = "ratio"
direction = "higher"
formula = "enrolled.primary / school_age_population.primary"
check = { op = ">=", limit = "floor" }
scoring = { kind = "bands", max = 10, bands = [ { at_least = 1, share = 1 }, { at_least = 0.5, share = 0.5 } ] }
[indicators.dropout]
label = { zh = "辍", en = "dropout" }
unit = "ratio"
direction = "lower"
formula = "dropouts.primary / students_start_of_year.primary"
scoring = { kind = "zero_if", max = 10, when = "value > 0.01" }
[indicators.mechanism]
label = { zh = "机制", en = "mechanism" }
input = "levels.mechanism"
scoring = { kind = "levels", max = 10, levels = { established = 10, incomplete = 5, absent = 0 } }
[[grades]]
id = "pass"
label = { zh = "合格", en = "pass" }
"""


def test_points_gaps_for_each_kind_of_scoring():
    std = build_standard(load_text(SCORING, fmt="toml", file="<scoring>", error=StandardError), file="<scoring>")
    data = {"evaluation": {"as_of": "2020-01-01"}, "data": {
        "satisfaction_surveyed": 1000, "satisfaction_satisfied": 850,
        "enrolled": {"primary": 800}, "school_age_population": {"primary": 1000},
        "dropouts": {"primary": 30}, "students_start_of_year": {"primary": 1000},
        "levels": {"mechanism": "incomplete"}}}
    ev = evaluate(submission_from_data(data), std)
    gaps = {g.indicator: g for g in analyse(ev)}
    # whole steps: a shortfall below one point (of %) is free, so 891 of 1000 already earn full points
    whole = gaps["whole"].targets[0]
    assert (whole.relation, whole.required) == (">", Fraction("0.89"))
    assert whole.fixes[0].whole == 891
    bands = gaps["banded"].targets[0]
    assert (bands.relation, bands.required, bands.fixes[0].whole) == (">=", Fraction("0.9"), 900)
    dropout = gaps["dropout"].targets[0]
    assert (dropout.relation, dropout.required, dropout.fixes[0].whole) == ("<=", Fraction("0.01"), 10)
    assert gaps["mechanism"].closable == "level" and gaps["mechanism"].targets[0].required == "established"
    for indicator, field, value in [("whole", "satisfaction_satisfied", 891), ("banded", "enrolled", {"primary": 900}),
                                    ("dropout", "dropouts", {"primary": 10})]:
        fixed = copy.deepcopy(data)
        fixed["data"][field] = value
        res = evaluate(submission_from_data(fixed), std).indicators[indicator]
        assert res.points == 10, indicator
    # one short of each, and the points are not full
    for field, value in [("satisfaction_satisfied", 890), ("enrolled", {"primary": 899}), ("dropouts", {"primary": 11})]:
        fixed = copy.deepcopy(data)
        fixed["data"][field] = value
        assert evaluate(submission_from_data(fixed), std).score < ev.score + 10


# --- every fixture ----------------------------------------------------------------------------


def _targets(targets):
    for target in targets:
        yield target
        yield from _targets(target.parts)
        yield from _targets(target.floor)


def test_every_input_fix_of_every_fixture_clears_its_target_alone():
    """Applied alone (everything else as submitted), each reachable fix of a field makes its
    indicator meet the target: the amounts are sufficient, in every county of fixtures/; and
    every fix moves a lever the way it may move."""
    checked = tight = 0
    for path in COUNTIES:
        sub = read_submission(path)
        ev = evaluate(sub, load_standard(sub.standard, sub.as_of))
        gaps = analyse(ev)
        assert to_canonical(ev)["gaps"] == gaps_to_data(gaps)
        for g in gaps:
            for target in _targets(g.targets):
                for fix in target.fixes:
                    if fix.kind != "input" or not fix.reachable:
                        continue
                    assert fix.lever in (fix.move, "either") and not fix.held, (path.name, g.id, fix.name)  # levers only
                    changes = gap_plan._fix_changes(fix, ev, target.indicator, gap_plan.Cost())
                    after = reevaluate(ev, [Repair(g.id, "data", tuple(changes or ()))])
                    assert after is not None, (path.name, g.id, fix.name)
                    res = after.indicators[target.indicator]
                    reading = res.county if target.unit is None else res.units[target.unit]
                    assert _holds(Fraction(reading.value), target.relation, target.required), (path.name, g.id, fix.name)
                    checked += 1
                    if fix.whole is not None and fix.relation in (">=", ">", "<=", "<"):  # and not one less
                        short = fix.whole - 1 if fix.relation.startswith(">") else fix.whole + 1
                        changes = [attrs.evolve(changes[0], value=short)]
                        after = reevaluate(ev, [Repair(g.id, "data", tuple(changes))])
                        res = after.indicators[target.indicator]
                        reading = res.county if target.unit is None else res.units[target.unit]
                        assert not _holds(Fraction(reading.value), target.relation, target.required), (path.name, fix.name)
                        tight += 1
    assert checked >= 12 and tight >= 5, (checked, tight)  # (the fixes that moved non-levers are gone)


def _holds(value: Fraction, relation: str, bound: Fraction) -> bool:
    return {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound, "==": value == bound}[relation]


def test_gaps_are_part_of_the_canonical_json_and_byte_identical(yunnan):
    first = to_json(evaluate(read_submission(YUANJIANG), yunnan))
    second = to_json(evaluate(read_submission(YUANJIANG), yunnan))
    assert first == second and '"gaps":[' in first and '"next_grade":{' in first
    result = to_canonical(evaluate(read_submission(YUANJIANG), yunnan))
    assert result["next_grade"]["plan"][0]["changes"][0] == {
        "where": "data", "name": "totals.dilapidated_d_area_m2", "relation": "<=", "value": "8436.27"}


def test_a_county_at_the_best_grade_has_no_next_grade(synthetic_standard, county):
    ev = evaluate(build(county), synthetic_standard)
    assert ev.grade == "top"
    assert next_grade(ev, analyse(ev)).status == "best"


def test_a_nine_year_schools_books_are_solved_for_the_whole_school_through_its_share():
    from standards_kernel.analysis.gaps import Analysis

    path = FIXTURES / "counties" / "national" / "basic-2012-nine-year.toml"
    data = tomli.loads(path.read_text("utf-8"), parse_float=Decimal)
    sub = submission_from_data(copy.deepcopy(data))
    std = load_standard(sub.standard, sub.as_of)
    ev = evaluate(sub, std)
    res = ev.indicators["junior_books_per_student"]
    target = Analysis(ev).target(res.indicator, "N1", res.units["N1"], ">=", Fraction(40))
    share = Fraction(11, 10) * 500 / (450 + Fraction(11, 10) * 500)  # national weights 1 : 1.1
    (books,) = target.fixes  # a combined school's students also move its share: not solved for
    assert (books.name, books.share, books.required) == ("books", share, 40 * 500 / share)
    assert books.whole == 36364 and books.current == 26000
    for count, met in ((36364, True), (36363, False)):
        data["schools"][0]["books"] = count
        again = evaluate(submission_from_data(copy.deepcopy(data)), std)
        assert (again.indicators["junior_books_per_student"].units["N1"].value >= 40) is met
    gap = gaps_to_data([Gap("gates.x", "gate", res.indicator.id, "data", (target,), effect="none")])
    lines = [text for _, text in rectification({"gaps": gap}, "zh").entries[0].lines]
    assert any("由 26000 册 增至不低于 36364 册" in line and "本学段占 55%" in line for line in lines), lines
