"""Every scoring kind, the roll-up, grades, gates and vetoes, on the synthetic standard."""

from __future__ import annotations

from decimal import Decimal

import pytest

from standards_kernel import evaluate
from standards_kernel.kernel.loader import build_standard, load_standard_file
from standards_kernel.kernel.numbers import round_to
from tests.helpers import DATA, build, synthetic_county


def run(standard, mutate=None):
    data = synthetic_county()
    if mutate:
        mutate(data)
    return evaluate(build(data), standard)


def test_a_passing_county(synthetic_standard):
    result = run(synthetic_standard)
    # balance 20 (threshold) + 20 (bands, CV well under the limit); people: satisfaction 0.90 ≥
    # 0.85 → 20, enrolment 1.000 ≥ 0.995 → 10; government: levels 10 + panel 9.5 + dropout 0.002 → 10.
    assert result.score == Decimal("99.5")
    assert result.grade == "top"
    assert not any(r.failed for r in result.rules.values())


@pytest.mark.parametrize(
    ("satisfied", "points"),
    [(850, "20"), (849, "18"), (840, "18"), (839, "16"), (500, "0"), (1000, "20")],
)
def test_deduction_counts_every_started_point_of_shortfall(synthetic_standard, satisfied, points):
    # 0.85 limit, 2 points per started percentage point below it, down to zero (扣完为止).
    result = run(synthetic_standard, lambda d: d["data"].update(satisfaction_satisfied=satisfied))
    assert result.indicators["satisfaction"].points == Decimal(points)


def test_deduction_exact_steps_are_proportional(synthetic_standard):
    # enrolment 0.99 vs 0.995: 0.5 of a percentage point short, 1 point per point → 9.5
    result = run(synthetic_standard, lambda d: d["data"]["enrolled"].update(primary=990))
    assert result.indicators["enrolment"].points == Decimal("9.5")


def test_levels_and_panel_and_zero_if(synthetic_standard):
    def mutate(d):
        d["data"]["levels"]["mechanism"] = "incomplete"
        d["data"]["panel_scores"]["government"] = 0
        d["data"]["dropouts"]["primary"] = 7  # 0.7% > 0.6% → 0 points
    result = run(synthetic_standard, mutate)
    assert result.indicators["mechanism"].points == 5
    assert result.indicators["panel"].points == 0
    assert result.indicators["dropout_zero"].points == 0
    assert result.areas["government"].points == 5


def test_bands_give_partial_credit_by_fraction_of_the_limit():
    standard = load_standard_file(DATA / "standards" / "synthetic.toml")
    scoring = standard.indicators["cv_area"].scoring
    # lower is better: fraction = limit / value. Check the band table directly on values.
    assert [b.share for b in scoring.bands] == [1, Decimal("0.8"), Decimal("0.5")]


def test_area_points_are_capped_at_the_area_maximum(synthetic_standard):
    result = run(synthetic_standard)
    for area in result.areas.values():
        assert 0 <= area.points <= area.area.max


def test_a_triggered_veto_caps_and_deny_takes_the_lowest_grade(synthetic_standard):
    capped = run(synthetic_standard, lambda d: d["data"]["totals"].update(dilapidated_d_area_m2=301))
    assert capped.grade_by_score == "top" and capped.grade == "pass"
    denied = run(synthetic_standard, lambda d: d["data"]["events"].update(exam_admission=True))
    assert denied.grade == "fail"
    assert [r.rule.id for r in denied.lowered_by] == ["exam"]


def test_a_failed_school_gate_names_the_school(synthetic_standard):
    def mutate(d):
        d["schools"][1]["books"] = 10  # books far under 85% of 20 per student
        d["schools"][1]["computers"] = 0
    result = run(synthetic_standard, mutate)
    assert result.rules["schools"].failed
    assert result.indicators["school_ok"].failed_units == ("S001",)
    assert "missed" in result.indicators["school_ok"].units["S001"].note
    assert result.grade == "pass"


def test_teaching_points_under_50_are_out_of_scope(synthetic_standard):
    def mutate(d):
        d["schools"].append({"id": "T1", "kind": "teaching_point", "students": {"primary": 49}, "books": 0,
                             "teaching_aux_area_m2": 0, "computers": 0})
    result = run(synthetic_standard, mutate)
    assert "T1" not in result.indicators["books_per_student"].units
    assert result.grade == "top"


VETO_PRIORITY = '''
format = 1
[standard]
id = "test.priority"
edition = "1"
jurisdiction = "test"
title = { zh = "优先级" }
effective_from = 2000-01-01
[parameters.general]
value = 0.03
status = "assumed"
[parameters.relaxed]
value = 0.05
status = "assumed"
[indicators.ratio]
label = { zh = "比例" }
unit = "ratio"
direction = "lower"
input = "dropout_rate.junior"
check = { op = "<=", limit = "general" }
[indicators.ratio_relaxed]
label = { zh = "放宽" }
unit = "ratio"
direction = "lower"
input = "dropout_rate.junior"
check = { op = "<=", limit = "relaxed" }
[vetoes.general]
label = { zh = "一般" }
indicator = "ratio"
effect = "deny"
group = "dropout"
[vetoes.exception]
label = { zh = "例外" }
indicator = "ratio_relaxed"
effect = "cap"
grade = "middle"
group = "dropout"
priority = 1
[[grades]]
id = "top"
label = { zh = "优" }
[[grades]]
id = "middle"
label = { zh = "中" }
[[grades]]
id = "bottom"
label = { zh = "差" }
'''


@pytest.mark.parametrize(("rate", "grade"), [("0.02", "top"), ("0.04", "bottom"), ("0.06", "middle")])
def test_within_a_group_the_highest_priority_failing_rule_decides(rate, grade):
    import tomli

    standard = build_standard(tomli.loads(VETO_PRIORITY, parse_float=Decimal))
    sub = build({"evaluation": {"as_of": "2020-01-01"}, "data": {"dropout_rate": {"junior": rate}}})
    result = evaluate(sub, standard)
    # 0.04: only the general rule fails → deny. 0.06: both fail, the exception (priority 1) decides.
    assert result.grade == grade


@pytest.mark.parametrize(
    ("value", "places", "mode", "expected"),
    [
        ("2.345", 2, "ROUND_HALF_UP", "2.35"),
        ("2.345", 2, "ROUND_HALF_EVEN", "2.34"),
        ("2.345", 2, "ROUND_HALF_DOWN", "2.34"),
        ("2.341", 2, "ROUND_UP", "2.35"),
        ("2.349", 2, "ROUND_DOWN", "2.34"),
        ("-2.341", 2, "ROUND_CEILING", "-2.34"),
        ("-2.341", 2, "ROUND_FLOOR", "-2.35"),
        ("0.125", 2, "ROUND_HALF_UP", "0.13"),
    ],
)
def test_declared_rounding_modes(value, places, mode, expected):
    assert str(round_to(Decimal(value), places, mode)) == expected


def test_share_met_over_no_units_is_a_clear_error():
    import tomli

    from standards_kernel.errors import EvaluationError

    text = VETO_PRIORITY.replace("[vetoes.general]", '''[indicators.shelf]
label = { zh = "书" }
level = "schools"
input = "books"
check = { op = ">=", limit = "general" }
[indicators.shelf_share]
label = { zh = "达标比例" }
aggregate = { function = "share_met", of = "shelf" }
[vetoes.general]''')
    standard = build_standard(tomli.loads(text, parse_float=Decimal))
    sub = build({"evaluation": {"as_of": "2020-01-01"}, "data": {"dropout_rate": {"junior": "0.01"}}})
    with pytest.raises(EvaluationError, match="share_met over 'schools' is undefined: the county has no such units"):
        evaluate(sub, standard)
