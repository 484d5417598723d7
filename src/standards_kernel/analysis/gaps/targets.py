"""What one indicator must become, and the change of one input (or indicator) that gets it there.

:class:`Targets` holds the evaluation being analysed and finds, for an indicator of the county
or of one school or township, the target its rule sets and the fixes that reach it: the formula
is solved for each input it reads (:func:`.exact.solve`), unit-level names are mapped back to the
record field behind a segment view, and each fix is bounded by its field's own limits (counts are
whole, nothing is negative, rates stay within 100%). Targets over sets of units (min/max, CV,
k of n, counts of units that meet) are :class:`.units.UnitTargets`'.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping

import attrs

from ...kernel import model as m
from ...kernel.evaluate import Evaluation, IndicatorResult, Reading, UnitView
from ...kernel.numbers import is_number
from ...kernel.segments import SPLIT_RESOURCES, field_for
from ...kernel.vocabulary import coerce
from ...kernel.vocabulary import lookup as vocabulary_lookup
from .exact import Solution, frac, least_whole, solve
from .model import Closable, Fix, Target, effort


def own_typed_values(values: Mapping[str, Any], std: m.Standard, level: str) -> dict[str, Any]:
    """Values with the standard's own inputs typed by their declarations, as the evaluation reads
    them: a submission keeps them as given (text after a canonical round trip), not knowing the standard."""
    own = {n: s for n, s in std.inputs.items() if s.level == level}
    return {n: coerce(own[n], v, where=n) if n in own else v for n, v in values.items()}


def own_typed(unit: Any, std: m.Standard, level: str) -> Any:
    return attrs.evolve(unit, values=own_typed_values(unit.values, std, level))



class Targets:
    """The target machinery over one evaluation (the unit-set targets are the subclass's)."""

    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.std = ev.standard
        self.views: dict[str, dict[str, UnitView]] = {s: {v.id: v for v in vs} for s, vs in ev.units.items()}
        self.raw_units = {("schools", u.id): own_typed(u, self.std, "school") for u in ev.submission.schools}
        self.raw_units.update({("townships", u.id): own_typed(u, self.std, "township") for u in ev.submission.townships})

    # -- targets over sets of units: :class:`.units.UnitTargets` ---------------------------------

    def aggregate_target(self, ind: m.Indicator, reading: Reading, relation: str, required: Fraction,
                         base: dict[str, Any], depth: int) -> Target:
        raise NotImplementedError

    def units_met_target(self, ind: m.Indicator, reading: Reading, base: dict[str, Any], depth: int) -> Target:
        raise NotImplementedError

    def k_of_n_target(self, ind: m.Indicator, unit: str, base: dict[str, Any]) -> Target:
        raise NotImplementedError

    # -- targets ------------------------------------------------------------------------------

    def check_target(self, res: IndicatorResult, unit: str | None, reading: Reading) -> Target:
        """The target a failed check sets: ``value <op> limit`` (or a boolean that must be true)."""
        ind = res.indicator
        if ind.check is not None:
            limit = reading.limit
            required = frac(limit) if is_number(limit) else limit
            return self.target(ind, unit, reading, ind.check.op, required)
        return self.target(ind, unit, reading, "==", True)

    def target(self, ind: m.Indicator, unit: str | None, reading: Reading, relation: str, required: Any,
               depth: int = 0) -> Target:
        """What ``ind`` (of ``unit``) must become, and the changes that get it there."""
        base = dict(indicator=ind.id, unit=unit, value=reading.value, relation=relation, required=required)
        value = reading.value
        if depth > 3:
            return Target(closable="not_computed", note="too_deep", **base)
        if not is_number(value) or not isinstance(required, Fraction):
            if ind.k_of_n is not None and unit is not None:
                return self.k_of_n_target(ind, unit, base)
            if ind.aggregate is not None and ind.aggregate.function in ("all_met", "count_met", "share_met"):
                return self.units_met_target(ind, reading, base, depth)
            if ind.input is not None or reading.note:  # a reported fact: true/false, a text
                name = ind.input or ind.fallback_input
                field = self.raw_field(ind.level, unit, name)[0] if unit is not None and name else name
                return Target(closable="fact", field=field, **base)
            return Target(closable="not_computed", note="not_numeric", **base)
        note = "rounded" if ind.round is not None else ""
        if ind.aggregate is not None:
            return self.aggregate_target(ind, reading, relation, required, base, depth)
        level = "county" if unit is None else ind.level
        if ind.input is not None or reading.note:  # the value is an input (or a published figure)
            name = ind.input or ind.fallback_input
            assert name is not None
            fix = self.input_fix(name, level, unit, reading.value, Solution(relation, required, True))
            counts: tuple[str, ...] = ()
            if reading.note and ind.formula is not None:
                note = "published"
                counts = tuple(sorted(n for n in ind.formula.names if self.is_input(n, ind)))
            fixes = (fix,) if fix is not None else ()
            return Target(fixes=fixes, closable="data" if fixes else "not_computed", note=note, counts=counts, **base)
        if ind.formula is None:
            return Target(closable="not_computed", note="not_numeric", **base)
        found: list[tuple[bool, Fraction, str, Fix]] = []
        for name in sorted(ind.formula.names):
            if name in self.std.parameters or name in ("share", "segment") or name not in reading.reads:
                continue
            if not is_number(reading.reads[name]):
                continue
            solution = solve(ind.formula.tree, name, reading.reads, relation, required)
            if solution is None:
                continue
            if name in self.std.indicators:
                fix = self.indicator_fix(name, unit, reading.reads[name], solution, depth)
            else:
                fix = self.input_fix(name, level, unit, reading.reads[name], solution)
            if fix is not None:
                found.append((not solution.numerator, effort(fix), fix.name, fix))
        ordered = tuple(f for *_, f in sorted(found, key=lambda item: item[:3]))
        closable: Closable = "data" if any(f.reachable for f in ordered) else "not_computed"
        return Target(fixes=ordered, closable=closable, note=note or ("" if ordered else "no_closed_form"), **base)

    def is_input(self, name: str, ind: m.Indicator) -> bool:
        return name not in self.std.parameters and name not in self.std.indicators and name not in ("share", "segment")

    def input_fix(self, name: str, level: str, unit: str | None, current: Any, solution: Solution) -> Fix | None:
        """The change of one submitted field; unit-level names are mapped back to the record."""
        if unit is None:
            spec = vocabulary_lookup("county", name, self.std.inputs)
            return bounded_fix(name, None, frac(current), solution, spec)
        raw_name, share = self.raw_field(level, unit, name)
        unit_set = self.std.units.get(level)
        raw = self.raw_units.get((unit_set.base, unit)) if unit_set is not None else None
        if unit_set is None or raw is None or raw_name is None:
            return None
        if raw_name not in raw.values or not is_number(raw.values[raw_name]):
            return None
        spec = vocabulary_lookup("school" if unit_set.base == "schools" else "township", raw_name, self.std.inputs)
        if share is not None:
            solution = Solution(solution.relation, solution.required / share, solution.numerator)
        return bounded_fix(raw_name, unit, frac(raw.values[raw_name]), solution, spec, share)

    def indicator_fix(self, name: str, unit: str | None, current: Any, solution: Solution, depth: int) -> Fix:
        """The change of another indicator the formula reads, with what moves it."""
        inner = self.std.indicators[name]
        res = self.ev.indicators[name]
        reading = res.county if unit is None else res.units.get(unit)
        problem = ""
        if solution.required < 0 and solution.relation in ("<=", "<", "=="):
            problem = "negative"
        fix = Fix(name, "indicator", unit, frac(current), solution.relation, solution.required, problem=problem)
        if reading is None or problem:
            return fix
        target = self.target(inner, unit, reading, solution.relation, solution.required, depth + 1)
        return attrs.evolve(fix, then=target.fixes, detail=dict(target.detail))

    def raw_field(self, level: str, unit: str, name: str) -> tuple[str | None, Fraction | None]:
        """The record field behind a unit view's ``name``, and the share the view scales it by:
        a segment view shows ``students.junior`` as ``students`` and a nine-year school's books
        times the junior share. None when the view's value is not one field (a combined school's
        students also move its share)."""
        unit_set = self.std.units.get(level)
        view = self.views.get(level, {}).get(unit)
        raw = self.raw_units.get((unit_set.base, unit)) if unit_set is not None else None
        if unit_set is None or view is None or raw is None:
            return None, None
        if unit_set.segment is None:
            return name, None
        segment = unit_set.segment
        share = frac(view.fields.get("share", 1))
        if name == "students":
            return (field_for("students", segment) if share == 1 else None), None
        if name in SPLIT_RESOURCES:
            return name, (share if share != 1 else None)
        if field_for(name, segment) in raw.values:
            return field_for(name, segment), None
        return name, None


def bounded_fix(name: str, unit: str | None, current: Fraction, solution: Solution, spec: m.InputSpec | None,
                 share: Fraction | None = None) -> Fix:
    """A fix with the field's own limits: counts are whole, nothing is negative, rates ≤ 100%."""
    relation, required = solution.relation, solution.required
    whole = None
    kind = spec.type if spec is not None else "decimal"
    problem = ""
    if kind in ("count", "fact"):
        if relation in (">=", ">"):
            whole = least_whole(relation, required)
        elif relation in ("<=", "<"):
            whole = required.numerator // required.denominator
            if relation == "<" and Fraction(whole) == required:
                whole -= 1
        elif required.denominator == 1:
            whole = int(required)
        else:
            problem = "no_solution"
    lowest: Fraction | int = whole if whole is not None else required
    if kind in ("count", "amount", "rate", "points", "fact"):
        if (relation in ("<=", "==") and lowest < 0) or (relation == "<" and (lowest < 0 if whole is not None else required <= 0)):
            problem = "negative"
        if kind == "rate" and relation in (">=", ">", "==") and (lowest > 1 or (relation == ">" and whole is None and required >= 1)):
            problem = "above_one"
    measure = spec.unit if spec is not None else ""
    return Fix(name, "input", unit, current, relation, required, whole, problem, share, measure, kind)

