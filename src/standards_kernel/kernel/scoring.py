"""From readings to the grade: an indicator's points, the area tree, the grade, gates and vetoes.

Points follow the indicator's scoring rule; areas add their children's points and cap them at
their maximum (leaves first); the score picks the highest grade whose cutoff it reaches; every
failed gate and triggered veto (the highest priority of its group) may only lower that grade.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Mapping, cast

import attrs

from . import model as m
from ..errors import EvaluationError, SubmissionError
from .columns import standard_memo
from .numbers import is_number
from .readings import AreaResult, IndicatorResult, Reading, RuleResult, Value
from .scope import Lookup, Scope


def points(scope: Scope, ind: m.Indicator, reading: Reading, lookup: Lookup) -> Decimal:
    """The points ``ind`` earns with ``reading`` under its scoring rule."""
    s = ind.scoring
    assert s is not None
    value, where = reading.value, f"indicators.{ind.id}.scoring"
    if s.kind == "threshold":
        return s.max if reading.met else Decimal(0)
    if s.kind == "zero_if":
        assert s.when is not None

        def own(name: str) -> Value:
            return cast(Value, value) if name == "value" else lookup(name)

        hit = scope.eval_expr(s.when, own, f"{where}.when")
        if not isinstance(hit, bool):
            raise EvaluationError(f"the condition {s.when.text!r} must give true or false", path=f"{where}.when")
        return Decimal(0) if hit else s.max
    if s.kind == "panel":
        if not is_number(value):
            raise SubmissionError(f"panel points must be a number, got {value!r}", path=_input_path(ind))
        if not 0 <= value <= s.max:
            raise SubmissionError(
                f"panel points {value} outside 0..{s.max} for {ind.id!r}", path=_input_path(ind),
                hint="the item's maximum is set by the standard",
            )
        return Decimal(value)
    if s.kind == "levels":
        table = dict(s.levels)
        if not isinstance(value, str) or value not in table:
            raise SubmissionError(
                f"{value!r} is not a level of {ind.id!r}", path=_input_path(ind),
                hint="levels: " + ", ".join(table),
            )
        return table[value]
    if s.kind == "bands" and s.on == "value":
        if not is_number(value):
            raise EvaluationError(f"bands on the value need a number, got {value!r}", path=where)
        return _on_value(s, Decimal(value))
    limit = reading.limit
    if not is_number(value) or not is_number(limit):
        raise EvaluationError(f"{s.kind} scoring needs numbers, got {value!r} and {limit!r}", path=where)
    return _graded(ind, s, Decimal(value), Decimal(limit))


def _graded(ind: m.Indicator, s: m.Scoring, value: Decimal, limit: Decimal) -> Decimal:
    """Deduction and band points: how far ``value`` is from ``limit`` in the indicator's direction."""
    higher = ind.direction == "higher"
    if s.kind == "deduction":
        assert s.per is not None and s.deduct is not None
        shortfall = (limit - value) if higher else (value - limit)
        if shortfall <= 0:
            return s.max
        units = shortfall / s.per
        if s.steps == "whole":
            units = units.to_integral_value(rounding=decimal.ROUND_FLOOR)
        elif s.steps == "started":
            units = units.to_integral_value(rounding=decimal.ROUND_CEILING)
        return max(Decimal(0), s.max - units * s.deduct)
    # bands: the fraction of the target reached picks the share of the points
    if higher:
        fraction = Decimal(1) if limit == 0 else value / limit
    else:
        fraction = Decimal(1) if value == 0 else limit / value
    for band in s.bands:
        if fraction >= band.at_least:
            return s.max * band.share
    return Decimal(0)


def _on_value(s: m.Scoring, value: Decimal) -> Decimal:
    """Bands on the value itself (best first): the first band the value reaches gives its exact
    points; below (or above, for at_most) every band, 0."""
    for band in s.bands:
        assert band.points is not None
        if (value <= band.at_least) if s.upper else (value >= band.at_least):
            return band.points
    return Decimal(0)


def _input_path(ind: m.Indicator) -> str:
    return f"data.{ind.input}" if ind.input else f"indicators.{ind.id}"


def roll_up(standard: m.Standard, results: Mapping[str, IndicatorResult]) -> dict[str, AreaResult]:
    """Every area's points: its indicators' and child areas' points, capped at its maximum."""
    raw: dict[str, Decimal] = {aid: Decimal(0) for aid in standard.areas}
    for res in results.values():
        s = res.indicator.scoring
        if s is not None and s.area is not None and res.points is not None:
            raw[s.area] += res.points
    areas: dict[str, AreaResult] = {}
    depth = {aid: _depth(standard.areas, aid) for aid in standard.areas}
    for aid in sorted(standard.areas, key=lambda a: (-depth[a], a)):  # leaves first
        area = standard.areas[aid]
        earned = min(raw[aid], area.max)
        areas[aid] = AreaResult(area, earned, raw[aid])
        if area.parent is not None:
            raw[area.parent] += earned
    return dict(sorted(areas.items()))


def _depth(areas: Mapping[str, m.Area], aid: str) -> int:
    depth, node = 0, areas[aid].parent
    while node is not None:
        depth, node = depth + 1, areas[node].parent
    return depth


def grade_for(scope: Scope, score: Decimal) -> str:
    """The highest grade whose cutoff ``score`` reaches (cutoffs may read parameters)."""
    lookup = scope.county_lookup({})
    for grade in scope.std.grades:
        if grade.min_score is None:
            return grade.id
        cutoff = scope.eval_expr(grade.min_score, lookup, f"grades.{grade.id}.min_score")
        if not is_number(cutoff):
            raise EvaluationError(f"the cutoff {grade.min_score.text!r} must give a number, got {cutoff!r}",
                                  path=f"grades.{grade.id}.min_score")
        if score >= cutoff:
            return grade.id
    return scope.std.grades[-1].id


def judge_rules(standard: m.Standard, results: Mapping[str, IndicatorResult]) -> dict[str, RuleResult]:
    """Every gate and veto: failed or not, and whether its effect applies."""
    lowest = len(standard.grades) - 1
    failing: dict[str, tuple[bool, tuple[str, ...], Value | None, Value | None]] = {}
    memo = standard_memo(standard)
    ordered: tuple[tuple[str, m.Rule], ...] | None = memo.get(("rules in order",))
    if ordered is None:  # the same for every evaluation under the standard
        ordered = memo[("rules in order",)] = tuple(sorted(standard.rules.items()))
    for rid, rule in ordered:
        res = results[rule.indicator]
        if getattr(res, "missing", ()):
            failing[rid] = (False, (), None, None)
        elif res.county is not None:
            failed = res.county.met is False
            failing[rid] = (failed, (), res.county.value, res.county.limit)
        else:
            bad = res.failed_units
            worst = bad[0] if bad else None
            reading = res.units.get(worst) if worst else None
            failing[rid] = (bool(bad), bad, reading.value if reading else None, reading.limit if reading else None)
    # Within a group, the failing rule(s) of the highest priority decide (an exception wins).
    top: dict[str, int] = {}
    for rid, rule in standard.rules.items():
        if failing[rid][0] and rule.effect != "none":
            top[rule.group] = max(top.get(rule.group, rule.priority), rule.priority)
    judged: dict[str, RuleResult] = {}
    for rid, rule in ordered:
        missing = getattr(results[rule.indicator], "missing", ())
        if missing:  # not assessable: neither passed nor failed; the grade is held (see below)
            judged[rid] = _unassessed(standard, rule, tuple(missing))
            continue
        failed, units, value, limit = failing[rid]
        applied = failed and rule.effect != "none" and top.get(rule.group) == rule.priority
        cap = None
        if rule.effect == "cap" and rule.grade is not None:
            cap = standard.grade_index(rule.grade)
        elif rule.effect == "deny":
            cap = lowest
        judged[rid] = RuleResult(rule, failed, applied, value, limit, units, cap)
    return judged


@attrs.frozen
class UnassessedRule(RuleResult):
    """A gate or veto whose indicator is not assessable: it neither passes nor fails. With an
    effect, it holds the grade at most at the grade below the top (never lower than the rule
    itself would when failed): a county cannot reach the top grade on a rule nobody could judge,
    nor be punished as if it had failed it. ``held_at`` is that grade; ``missing`` the inputs."""

    missing: tuple[str, ...] = ()
    held_at: str | None = None


def _unassessed(standard: m.Standard, rule: m.Rule, missing: tuple[str, ...]) -> RuleResult:
    lowest = len(standard.grades) - 1
    if rule.effect == "none":
        return UnassessedRule(rule, False, False, None, None, (), None, missing, None)
    cap = standard.grade_index(rule.grade) if rule.effect == "cap" and rule.grade is not None else lowest
    hold = min(1, lowest, cap)
    return UnassessedRule(rule, False, hold > 0, None, None, (), hold, missing, standard.grades[hold].id)
