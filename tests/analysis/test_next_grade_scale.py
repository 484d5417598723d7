"""The next-grade search at scale: polynomial in the number of scored items, usually one
re-evaluation, and still the fewest repairs (tests/analysis/many_items.py generates the standard)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel import evaluate
from standards_kernel.analysis import analyse, next_grade
from standards_kernel.analysis import plan as gap_plan
from standards_kernel.analysis.plan import Repair, reevaluate
from standards_kernel.kernel.submission import submission_from_data
from tests.analysis import many_items


def fewest(shortfalls: list[Decimal], needed: Decimal) -> int:
    """The least number of items whose shortfalls cover ``needed``, independently of the plan."""
    total, count = Decimal(0), 0
    for shortfall in sorted(shortfalls, reverse=True):
        if total >= needed:
            break
        total, count = total + shortfall, count + 1
    return count


def test_forty_scored_items_find_the_fewest_repairs_in_one_re_evaluation():
    std = many_items.standard(40)
    ev = evaluate(submission_from_data(many_items.county(40)), std)  # every item short: 4 points of 84
    assert ev.grade == "poor" and len([i for i in std.indicators.values() if i.scoring]) == 42
    gaps = analyse(ev)
    plan = next_grade(ev, gaps)  # the old search enumerated every subset: over 2 minutes here
    assert plan.status == "found" and plan.target == "fair" and plan.evaluated == 1 and not plan.bounded
    after = reevaluate(ev, plan.plan)
    assert after is not None and after.grade == plan.grade_after == "fair" and after.score == plan.score_after
    shortfalls = [g.max - g.points for g in gaps if g.kind == "points"]
    assert len(plan.plan) == fewest(shortfalls, plan.points_needed) == 13
    assert all(r.by == "data" for r in plan.plan)
    # every repair raises a resource, never cuts the pupils (fixed by the standard's [levers])
    assert all(c.name.startswith("test.r") for r in plan.plan for c in r.changes)


def test_forty_items_with_area_caps_still_give_valid_plans():
    std = many_items.standard(40, capped=True)
    for seed in range(4):
        ev = evaluate(submission_from_data(many_items.county(40, seed=seed, met=0.4)), std)
        plan = next_grade(ev, analyse(ev))
        if plan.status == "best":
            continue
        assert plan.status == "found" and plan.evaluated <= 4, (seed, plan.evaluated)
        after = reevaluate(ev, plan.plan)
        assert after is not None and std.grade_index(after.grade) <= std.grade_index(plan.target)


def capped_case():
    """A county whose first chosen set falls short: two repairs of one capped area."""
    std = many_items.standard(8, capped=True)
    ev = evaluate(submission_from_data(many_items.county(8, seed=30, met=0.3)), std)
    return std, ev


def test_a_set_that_falls_short_is_completed_and_then_pruned_to_what_the_grade_needs():
    std, ev = capped_case()
    gaps = analyse(ev)
    plan = next_grade(ev, gaps)
    assert plan.status == "found" and plan.evaluated > 1
    # brute force: no smaller set of the same repairs lifts the grade
    repairs = [r for g in gaps if (r := gap_plan.repair_for(g, ev)) is not None]
    smallest = next(size for size in range(1, len(repairs) + 1)
                    if any((after := reevaluate(ev, combo)) is not None and after.grade == plan.target
                           for combo in itertools.combinations(repairs, size)))
    assert len(plan.plan) == smallest


def test_the_bound_cuts_the_rounds_and_says_so(monkeypatch):
    std, ev = capped_case()
    monkeypatch.setattr(gap_plan, "MAX_EVALUATIONS", 1)
    plan = next_grade(ev, analyse(ev))
    assert plan.status == "not_found" and plan.bounded and plan.evaluated == 1
    assert gap_plan.plan_to_data(plan)["bounded"] is True


def item(index: int, gain: str, effort: str = "1", by: str = "data") -> gap_plan._Item:
    repair = Repair(f"points.i{index}", by, (), Decimal(effort))  # type: ignore[arg-type]
    return gap_plan._Item(repair, Decimal(gain), index, f"i{index}", Decimal(gain))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 9), st.booleans()), min_size=1, max_size=9),
       st.integers(1, 30))
def test_choose_takes_the_fewest_items_that_cover_the_points(rows, deficit):
    items = [item(i, str(g), str(e), "panel" if panel else "data") for i, (g, e, panel) in enumerate(rows)]
    chosen = gap_plan._choose(items, Decimal(deficit))
    sizes = [size for size in range(1, len(items) + 1)
             if any(sum(i.gain for i in combo) >= deficit for combo in itertools.combinations(items, size))]
    if not sizes:
        assert chosen is None
        return
    assert chosen is not None and sum(i.gain for i in chosen) >= deficit and len(chosen) == sizes[0]
    # and no set of that size needs fewer repairs from outside the data
    outside = min(sum(i.repair.by != "data" for i in combo) for combo in itertools.combinations(items, sizes[0])
                  if sum(i.gain for i in combo) >= deficit)
    assert sum(i.repair.by != "data" for i in chosen) == outside


def test_choose_prefers_the_smallest_relative_change_among_equal_sets():
    items = [item(0, "2", "0.5"), item(1, "2", "0.1"), item(2, "2", "0.3")]
    assert [i.index for i in gap_plan._choose(items, Decimal(4))] == [1, 2]
