"""The analysis of one evaluation: a gap for every failed rule and every item below full points.

For a failed gate or triggered veto, the targets its check sets (of the county, or of each failing
unit); for a scored item, the value it needs for its full points (threshold, deduction, bands,
``zero_if``), or that data cannot close it (panel points, levels). Gaps that lower the grade come
first. One gap that cannot be analysed is reported as not computed, never a failed evaluation.
"""

from __future__ import annotations

import decimal
from fractions import Fraction
from functools import partial
from typing import Any, Callable

import attrs
from ...errors import KernelError
from ...kernel import model as m
from ...kernel.evaluate import Evaluation, IndicatorResult, Reading, RuleResult
from ...kernel.numbers import KERNEL_CONTEXT, is_number
from .exact import Unsolvable, constant, frac, mentions
from .model import Gap, Target, worst
from .targets import own_typed_values
from .units import UnitTargets

_NEGATE = {"<=": ">", "<": ">=", ">=": "<", ">": "<=", "==": "!=", "!=": "=="}
_MIRROR = {"<=": ">=", "<": ">", ">=": "<=", ">": "<", "==": "==", "!=": "!="}


def analyse(evaluation: Evaluation) -> tuple[Gap, ...]:
    """Every gap of ``evaluation``, the grade-lowering rules first, then other failed rules, then
    items below their full points (largest shortfall first)."""
    with decimal.localcontext(KERNEL_CONTEXT):
        return Analysis(evaluation).gaps()



class Analysis(UnitTargets):
    """The gaps of one evaluation."""

    def __init__(self, ev: Evaluation) -> None:
        super().__init__(ev)
        self.lowering = {r.rule.id for r in ev.lowered_by}

    def gaps(self) -> tuple[Gap, ...]:
        found: list[tuple[tuple[Any, ...], Gap]] = []
        for rid, r in sorted(self.ev.rules.items()):
            if not r.failed:
                continue
            gap = self.guard(partial(self.rule_gap, r), f"{rule_table(r.rule)}.{rid}", r.rule.kind, r.rule.indicator)
            rank = 0 if rid in self.lowering else (1 if r.rule.effect != "none" else 2)
            found.append(((rank, gap.id), gap))
        for iid, res in sorted(self.ev.indicators.items()):
            s = res.indicator.scoring
            if s is None or res.points is None or res.points >= s.max:
                continue
            gap = self.guard(partial(self.points_gap, res), f"points.{iid}", "points", iid)
            found.append(((3, -(s.max - res.points), gap.id), gap))
        return tuple(g for _, g in sorted(found, key=lambda item: item[0]))

    def guard(self, build: Callable[[], Gap], gid: str, kind: str, indicator: str) -> Gap:
        """One gap that cannot be analysed must not cost the county its result."""
        try:
            return build()
        except (KernelError, ArithmeticError, Unsolvable, KeyError) as error:
            return Gap(gid, kind, indicator, "not_computed", reason=f"analysis failed: {error}")  # type: ignore[arg-type]

    # -- rules and points ---------------------------------------------------------------------

    def rule_gap(self, r: RuleResult) -> Gap:
        rule = r.rule
        res = self.ev.indicators[rule.indicator]
        targets = []
        if res.county is not None:
            targets.append(self.check_target(res, None, res.county))
        else:
            for uid in r.failed_units:
                targets.append(self.check_target(res, uid, res.units[uid]))
        closable = worst(t.closable for t in targets)
        if rule.kind == "veto" and closable in ("fact", "no_lever") and all(
                t.field is not None or t.no_lever == "event" for t in targets if t.closable != "data"):
            closable = "event"  # a veto reads something that happened: data cannot undo it
            targets = [as_event(t) for t in targets]
        return Gap(
            id=f"{rule_table(rule)}.{rule.id}", kind=rule.kind, indicator=rule.indicator, closable=closable,
            targets=tuple(targets), effect=rule.effect, grade=rule.grade, applied=r.applied,
            lowers_grade=rule.id in self.lowering,
        )

    def points_gap(self, res: IndicatorResult) -> Gap:
        ind = res.indicator
        s = ind.scoring
        assert s is not None and res.county is not None and res.points is not None
        gap = dict(id=f"points.{ind.id}", kind="points", indicator=ind.id, points=res.points, max=s.max)
        reading = res.county
        if s.kind == "panel":
            target = Target(ind.id, None, reading.value, "==", frac(s.max), closable="panel", field=ind.input)
            return Gap(closable="panel", targets=(target,), **gap)  # type: ignore[arg-type]
        if s.kind == "levels":
            best = max(s.levels, key=lambda level: (level[1], level[0]))[0]
            target = Target(ind.id, None, reading.value, "==", best, closable="level", field=ind.input)
            return Gap(closable="level", targets=(target,), **gap)  # type: ignore[arg-type]
        bound = self.full_points_bound(ind, reading)
        if bound is None:
            target = Target(ind.id, None, reading.value, "", None, closable="not_computed", note="no_bound")
            return Gap(closable="not_computed", targets=(target,), reason="no_bound", **gap)  # type: ignore[arg-type]
        relation, required = bound
        target = self.target(ind, None, reading, relation, required)
        return Gap(closable=target.closable, targets=(target,), **gap)  # type: ignore[arg-type]

    def full_points_bound(self, ind: m.Indicator, reading: Reading) -> tuple[str, Fraction] | None:
        """The value the item needs for its full points, as ``(relation, bound)``."""
        s = ind.scoring
        assert s is not None
        higher = ind.direction == "higher"  # as the kernel scores: no direction counts as lower
        if s.kind == "threshold":
            if ind.check is None or not is_number(reading.limit):
                return None
            return ind.check.op, frac(reading.limit)
        if s.kind == "zero_if":
            return self.zero_if_bound(ind)
        if not is_number(reading.limit):
            return None
        limit = frac(reading.limit)
        if s.kind == "deduction":
            assert s.per is not None
            if s.steps == "whole":  # only whole units of shortfall cost points: less than one is free
                return (">", limit - frac(s.per)) if higher else ("<", limit + frac(s.per))
            return (">=", limit) if higher else ("<=", limit)
        if s.kind == "bands":
            if not s.bands:
                return None
            top = max(s.bands, key=lambda b: (b.share, -b.at_least))
            at_least = frac(top.at_least)
            if higher:
                return ">=", at_least * limit
            if at_least == 0:
                return None
            return "<=", limit / at_least
        return None

    def zero_if_bound(self, ind: m.Indicator) -> tuple[str, Fraction] | None:
        """``when = "value > X"``: full points need ``value <= X``."""
        s = ind.scoring
        assert s is not None and s.when is not None
        tree = s.when.tree
        if tree.kind != "op" or tree.value not in _NEGATE or len(tree.args) != 2:
            return None
        left, right = tree.args
        if mentions(left, "value") and not mentions(right, "value") and left.kind == "name":
            op, other = str(tree.value), right
        elif mentions(right, "value") and not mentions(left, "value") and right.kind == "name":
            op, other = _MIRROR[str(tree.value)], left
        else:
            return None
        try:
            bound = constant(other, self.county_names())
        except (Unsolvable, ZeroDivisionError):
            return None
        return _NEGATE[op], bound

    def county_names(self) -> dict[str, Any]:
        names: dict[str, Any] = dict(own_typed_values(self.ev.submission.data, self.std, "county"))
        names.update({pid: d.value for pid, (_, d) in self.ev.parameters.items()})
        names.update({iid: r.county.value for iid, r in self.ev.indicators.items() if r.county is not None})
        return names


def as_event(target: Target) -> Target:
    """A fact a veto reads is something that happened, whatever way its input could move."""
    if target.closable != "no_lever":
        return target
    context = tuple(attrs.evolve(h, reason="event") for h in target.context)
    return attrs.evolve(target, no_lever="event", context=context)


def rule_table(rule: m.Rule) -> str:
    return "vetoes" if rule.kind == "veto" else "gates"
