"""Build and check a standard's indicators: values, checks, aggregations, k-of-n, scoring, order.

Every name a formula reads must be an input of its level, a parameter or an indicator of the same
level; aggregations turn unit values into county values; the dependency order has no cycle.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import model as m
from .loader_core import AGGREGATES, NEEDS_CHECK, SCORING_KINDS, BuilderCore


class IndicatorBuilder(BuilderCore):
    """The indicators of a standard, checked, and the order to compute them in."""

    def check_name_clashes(self) -> None:
        for pid in self.raw.parameters:
            if pid in self.raw.indicators:
                raise self.error(f"{pid!r} is both a parameter and an indicator", f"indicators.{pid}", "rename one")
        for iid, ind in self.raw.indicators.items():
            level = ind.level
            if level != "county" and level in self.units and iid in self.unit_fields(self.units[level]):
                raise self.error(
                    f"indicator {iid!r} has the name of a field of {level}", f"indicators.{iid}", "rename it"
                )

    def build_indicators(self) -> dict[str, m.Indicator]:
        result = {}
        raw_indicators = self.raw.indicators
        for iid, ind in sorted(raw_indicators.items()):
            where = f"indicators.{iid}"
            level = ind.level
            if level != "county" and level not in self.units:
                raise self.error(f"unknown level {level!r}", f"{where}.level", "county or a unit set: " + ", ".join(sorted(self.units)))
            if ind.direction not in (None, "higher", "lower"):
                raise self.error(f"unknown direction {ind.direction!r}", f"{where}.direction", "higher or lower")
            kinds = [k for k in ("input", "formula", "aggregate", "k_of_n") if getattr(ind, k) is not None]
            if len(kinds) != 1:
                raise self.error(
                    "an indicator needs exactly one of input, formula, aggregate, k_of_n"
                    + (f" (got {', '.join(kinds)})" if kinds else ""), where,
                )
            same_level = {i for i, other in raw_indicators.items() if other.level == level}
            allowed = set(self.parameters) | same_level | self.scope(level)
            formula = aggregate = k_of_n = None
            if ind.input is not None:
                if not self.is_input(ind.input, level):
                    raise self.error(
                        f"unknown {level} input {ind.input!r}", f"{where}.input",
                        "inputs come from the data dictionary or the standard's [inputs]",
                    )
            if ind.fallback_input is not None and not self.is_input(ind.fallback_input, level):
                raise self.error(f"unknown {level} input {ind.fallback_input!r}", f"{where}.fallback_input",
                                 "inputs come from the data dictionary or the standard's [inputs]")
            if ind.formula is not None:
                formula = self.expr(ind.formula, f"{where}.formula")
                bad = {n for n in formula.names if n not in allowed and not self.is_input(n, level)}
                if bad:
                    name = sorted(bad)[0]
                    other = raw_indicators.get(name)
                    hint = (
                        f"{name!r} is computed for {other.level}, not {level}; aggregate it first"
                        if other is not None
                        else self.did_you_mean(name, sorted(allowed))
                    )
                    raise self.error(f"undefined name {name!r} in {ind.formula!r}", f"{where}.formula", hint)
            if ind.aggregate is not None:
                aggregate = self.build_aggregate(iid, ind, where)
            if ind.k_of_n is not None:
                k_of_n = self.build_k_of_n(iid, ind, where)
            check = None
            if ind.check is not None:
                if ind.check.op not in m.OPS:
                    raise self.error(f"unknown comparison {ind.check.op!r}", f"{where}.check.op", "one of " + " ".join(m.OPS))
                limit = self.expr(ind.check.limit, f"{where}.check.limit")
                self.require_names(limit, set(self.parameters) | {i for i in same_level if i != iid}, f"{where}.check.limit", "parameters")
                limit_units = {self.parameters[n].unit for n in limit.names if n in self.parameters} - {""}
                if ind.unit and len(limit_units) == 1 and ind.unit not in limit_units and limit.text.strip() in self.parameters:
                    (limit_unit,) = limit_units
                    raise self.error(f"the limit {limit.text} is in {limit_unit!r} but the indicator is in {ind.unit!r}",
                                     f"{where}.check.limit", "compare like with like: give both the same unit, "
                                     "or convert in the limit's formula")
                check = m.Check(ind.check.op, limit)  # type: ignore[arg-type]
            scoring = self.build_scoring(ind, check, where) if ind.scoring is not None else None
            if scoring is not None and level != "county":
                raise self.error("only county-level indicators earn points", f"{where}.scoring")
            if ind.assessable not in (None, "when_inputs_present"):
                raise self.error(f"unknown assessable {ind.assessable!r}", f"{where}.assessable",
                                 "\"when_inputs_present\": with an input missing the item is not assessable")
            if ind.assessable is not None and level != "county":
                raise self.error("only county-level indicators can be declared not assessable", f"{where}.assessable",
                                 "declare it on the county indicator that aggregates the units")
            result[iid] = m.Indicator(
                id=iid,
                label=self.label(ind.label, iid),
                unit=ind.unit,
                level=level,
                direction=ind.direction,  # type: ignore[arg-type]
                input=ind.input,
                formula=formula,
                aggregate=aggregate,
                k_of_n=k_of_n,
                fallback_input=ind.fallback_input,
                check=check,
                scoring=scoring,
                round=self.rounding(ind.round, f"{where}.round"),
                citation=self.citation(ind.source, ind.status, ind.locator, ind.note, where, ind.text),
                origin=self.origin("indicators", iid),
                assessable_when_inputs_present=ind.assessable is not None,
            )
        return result

    def build_aggregate(self, iid: str, ind: Any, where: str) -> m.Aggregate:
        agg = ind.aggregate
        place = f"{where}.aggregate"
        if ind.level != "county":
            raise self.error("aggregations make county values; set level = \"county\"", f"{where}.level")
        if agg.function not in AGGREGATES:
            raise self.error(f"unknown aggregation {agg.function!r}", f"{place}.function", "one of " + ", ".join(AGGREGATES))
        source = self.raw.indicators.get(agg.of)
        if source is not None:
            over = source.level
            if over == "county":
                raise self.error(f"{agg.of!r} is a county value; aggregate a unit-level indicator", f"{place}.of")
            if agg.over is not None and agg.over != over:
                raise self.error(f"{agg.of!r} is computed for {over}, not {agg.over}", f"{place}.over")
            if agg.function in NEEDS_CHECK and source.check is None and source.k_of_n is None:
                raise self.error(f"{agg.function} needs {agg.of!r} to have a check", f"{place}.of")
        else:
            if agg.over is None or agg.over not in self.units:
                raise self.error(
                    f"{agg.of!r} is not an indicator; to aggregate a field, name the unit set in over",
                    f"{place}.over" if agg.over else f"{place}.of",
                )
            over = agg.over
            if agg.of not in self.unit_fields(self.units[over]):
                raise self.error(f"{agg.of!r} is neither an indicator nor a field of {over}", f"{place}.of")
            if agg.function in NEEDS_CHECK:
                raise self.error(f"{agg.function} needs an indicator with a check", f"{place}.of")
        if agg.function in ("weighted_mean", "cv"):
            if agg.weight is None:
                raise self.error(f"{agg.function} needs a weight (e.g. students)", f"{place}.weight")
            fields = self.unit_fields(self.units[over])
            weight_source = self.raw.indicators.get(agg.weight)
            if agg.weight not in fields and not (weight_source and weight_source.level == over):
                raise self.error(f"weight {agg.weight!r} is not a field or indicator of {over}", f"{place}.weight")
        elif agg.weight is not None:
            raise self.error(f"{agg.function} takes no weight", f"{place}.weight",
                             "remove weight, or use weighted_mean / cv")
        return m.Aggregate(agg.function, agg.of, over, agg.weight)

    def build_k_of_n(self, iid: str, ind: Any, where: str) -> m.KOfN:
        spec = ind.k_of_n
        place = f"{where}.k_of_n"
        if not spec.of:
            raise self.error("k_of_n needs the indicators it counts", f"{place}.of")
        for name in spec.of:
            other = self.raw.indicators.get(name)
            if other is None:
                raise self.error(f"undefined indicator {name!r}", f"{place}.of", self.did_you_mean(name, self.raw.indicators))
            if other.level != ind.level:
                raise self.error(f"{name!r} is computed for {other.level}, not {ind.level}", f"{place}.of")
            if other.check is None:
                raise self.error(f"{name!r} has no check to count", f"{place}.of")
        if not 0 <= spec.k <= len(spec.of):
            raise self.error(f"k must be between 0 and {len(spec.of)}", f"{place}.k")
        if spec.floor is not None and not 0 < spec.floor <= 1:
            raise self.error("floor is a fraction of the limit, in (0, 1]", f"{place}.floor")
        return m.KOfN(spec.k, tuple(spec.of), spec.floor)

    def build_scoring(self, ind: Any, check: m.Check | None, where: str) -> m.Scoring:
        s = ind.scoring
        place = f"{where}.scoring"
        if s.kind not in SCORING_KINDS:
            raise self.error(f"unknown scoring kind {s.kind!r}", f"{place}.kind", "one of " + ", ".join(SCORING_KINDS))
        if s.max <= 0:
            raise self.error("max must be positive", f"{place}.max")
        if s.area is not None and s.area not in self.raw.areas:
            raise self.error(f"undefined area {s.area!r}", f"{place}.area", self.did_you_mean(s.area, self.raw.areas))
        on = s.on or "target"
        if s.on is not None and s.kind != "bands":
            raise self.error("on belongs to bands scoring", f"{place}.on", "remove it, or use kind = \"bands\"")
        if on not in ("target", "value"):
            raise self.error(f"unknown bands form on = {s.on!r}", f"{place}.on",
                             "\"value\" (bands on the value itself, with points) or \"target\" (value ÷ the check's limit, with shares)")
        bands: tuple[m.Band, ...] = ()
        upper = False
        if s.kind == "bands":  # the table first: points without on = "value" is the likelier slip
            bands, upper = value_bands(self, s, ind, place) if on == "value" else (target_bands(self, s, place), False)
        needs_check = s.kind in ("threshold", "deduction") or (s.kind == "bands" and on == "target")
        if needs_check and check is None:
            raise self.error(f"{s.kind} scoring compares with the indicator's check; add check = {{ op, limit }}", f"{where}.check")
        if s.kind == "deduction" and ind.direction is None or s.kind == "bands" and on == "target" and ind.direction is None:
            raise self.error(f"{s.kind} scoring needs the indicator's direction (higher or lower)", f"{where}.direction")
        levels: tuple[tuple[str, Decimal], ...] = ()
        when = None
        if s.kind == "deduction":
            if s.per is None or s.deduct is None or s.steps is None:
                raise self.error("deduction needs per, deduct and steps", place, "e.g. per = 0.01, deduct = 1, steps = \"started\"")
            if s.steps not in ("whole", "started", "exact"):
                raise self.error(f"unknown steps {s.steps!r}", f"{place}.steps", "whole, started or exact")
            if s.per <= 0 or s.deduct <= 0:
                raise self.error("per and deduct must be positive", place)
        if s.kind != "bands" and s.bands:
            raise self.error(f"bands belong to bands scoring, not {s.kind}", f"{place}.bands")
        if s.kind == "levels":
            if not s.levels:
                raise self.error("levels scoring needs levels = { name = points, ... }", f"{place}.levels")
            levels = tuple(sorted(s.levels.items()))
            if any(not 0 <= p <= s.max for _, p in levels):
                raise self.error("every level's points must lie between 0 and max", f"{place}.levels")
        if s.kind == "zero_if":
            if s.when is None:
                raise self.error("zero_if needs when = \"<condition>\"", f"{place}.when")
            when = self.expr(s.when, f"{place}.when")
            allowed = set(self.parameters) | set(self.raw.indicators) | self.scope("county") | {"value"}
            bad = [n for n in when.names if n not in allowed and not self.is_input(n, "county")]
            if bad:
                raise self.error(f"undefined name {bad[0]!r}", f"{place}.when",
                                 "`value` is the item's own value; " + self.did_you_mean(bad[0], sorted(allowed)))
        extra = {"per": s.per, "deduct": s.deduct, "steps": s.steps} if s.kind != "deduction" else {}
        if any(v is not None for v in extra.values()):
            raise self.error("per, deduct and steps belong to deduction scoring", place,
                             "remove them, or use kind = \"deduction\"")
        return m.Scoring(
            kind=s.kind, max=s.max, area=s.area, per=s.per, deduct=s.deduct, steps=s.steps,  # type: ignore[arg-type]
            bands=bands, levels=levels, when=when, on=on, upper=upper,  # type: ignore[arg-type]
        )

    def dependency_order(self) -> tuple[str, ...]:
        deps: dict[str, set[str]] = {}
        for iid, ind in self.indicators.items():
            refs: set[str] = set()
            for expr in (ind.formula, ind.check.limit if ind.check else None):
                if expr is not None:
                    refs |= set(expr.names)
            if ind.scoring and ind.scoring.when is not None:  # `value` there is the item's own value
                refs |= set(ind.scoring.when.names) - {"value"}
            if ind.aggregate:
                refs |= {ind.aggregate.of, ind.aggregate.weight or ""}
            if ind.k_of_n:
                refs |= set(ind.k_of_n.of)
            deps[iid] = {r for r in refs if r in self.indicators and r != iid}
            if iid in refs and iid in self.indicators:
                raise self.error(f"indicator {iid!r} refers to itself", f"indicators.{iid}",
                                 "compute it from inputs, parameters and other indicators")
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(node: str, stack: list[str]) -> None:
            if state.get(node) == 2:
                return
            if state.get(node) == 1:
                cycle = stack[stack.index(node):] + [node]
                raise self.error("cycle between indicators: " + " → ".join(cycle), f"indicators.{node}", "break the cycle")
            state[node] = 1
            for dep in sorted(deps[node]):
                visit(dep, stack + [node])
            state[node] = 2
            order.append(node)

        for node in sorted(deps):
            visit(node, [])
        return tuple(order)


def target_bands(self: BuilderCore, s: Any, place: str) -> tuple[m.Band, ...]:
    """Bands on value ÷ the check's limit: ``{ at_least, share }`` each (the first form)."""
    if not s.bands:
        raise self.error("bands scoring needs bands = [{ at_least, share }, ...]", f"{place}.bands")
    for i, b in enumerate(s.bands):
        if b.points is not None or b.at_most is not None:
            key = "points" if b.points is not None else "at_most"
            raise self.error(f"band {i + 1} gives {key}, which belongs to bands on the value", f"{place}.bands",
                             "add on = \"value\" to score the value itself with points, "
                             "or write { at_least = <fraction of the limit>, share = <fraction of max> }")
        if b.at_least is None or b.share is None:
            raise self.error(f"band {i + 1} needs at_least and share", f"{place}.bands",
                             "e.g. { at_least = 0.9, share = 0.75 }")
    bands = tuple(sorted((m.Band(b.at_least, b.share) for b in s.bands), key=lambda b: -b.at_least))
    if any(not 0 <= b.share <= 1 for b in bands):
        raise self.error("a band's share is a fraction of the points, in [0, 1]", f"{place}.bands")
    shares = [b.share for b in bands]
    if shares != sorted(shares, reverse=True):
        raise self.error("a higher band must not give fewer points than a lower one", f"{place}.bands")
    return bands

def value_bands(self: BuilderCore, s: Any, ind: Any, place: str) -> tuple[tuple[m.Band, ...], bool]:
    """Bands on the value itself, as the texts write them (100% 得20分, 90%以上得15分): each
    ``{ at_least, points }`` (higher is better) or ``{ at_most, points }`` (lower is better),
    best band first, exact points; below the last band, 0."""
    if not s.bands:
        raise self.error("bands on the value need bands = [{ at_least, points }, ...]", f"{place}.bands",
                         "e.g. [ { at_least = 1, points = 20 }, { at_least = 0.9, points = 15 } ]")
    kinds = set()
    for i, b in enumerate(s.bands):
        if b.share is not None:
            raise self.error(f"band {i + 1} gives a share; bands on the value give points", f"{place}.bands",
                             f"write points = <the band's points, up to {s.max}>, or leave out on = \"value\"")
        if b.points is None:
            raise self.error(f"band {i + 1} needs points", f"{place}.bands", "e.g. { at_least = 0.9, points = 15 }")
        if (b.at_least is None) == (b.at_most is None):
            raise self.error(f"band {i + 1} needs one of at_least and at_most", f"{place}.bands",
                             "at_least when higher is better (90%以上), at_most when lower is better (不超过)")
        if not 0 <= b.points <= s.max:
            raise self.error(f"band {i + 1} gives {b.points} points, outside 0..{s.max} (the item's max)",
                             f"{place}.bands", "a band's points lie between 0 and max")
        kinds.add("at_least" if b.at_least is not None else "at_most")
    if len(kinds) > 1:
        raise self.error("bands mix at_least and at_most", f"{place}.bands",
                         "one table reads one way: at_least (higher is better) or at_most (lower is better)")
    upper = kinds == {"at_most"}
    expected = "lower" if upper else "higher"
    if ind.direction is not None and ind.direction != expected:
        raise self.error(f"{'at_most' if upper else 'at_least'} bands read {expected} as better, but the "
                         f"indicator's direction is {ind.direction!r}", f"{place}.bands",
                         "use at_least for higher is better, at_most for lower is better")
    bounds = [b.at_most if upper else b.at_least for b in s.bands]
    best_first = sorted(bounds) if upper else sorted(bounds, reverse=True)
    if bounds != best_first or len(set(bounds)) != len(bounds):
        raise self.error("bands must be written best first, each bound once ("
                         + ("at_most rising" if upper else "at_least falling") + ")", f"{place}.bands",
                         "order: " + ", ".join(str(b) for b in best_first))
    pts = [b.points for b in s.bands]
    if pts != sorted(pts, reverse=True):
        raise self.error("a better band must not give fewer points than a worse one", f"{place}.bands")
    return tuple(m.Band(bound, b.points / s.max, b.points) for bound, b in zip(bounds, s.bands)), upper
