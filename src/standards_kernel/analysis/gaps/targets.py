"""What one indicator must become, and the change of one input (or indicator) that gets it there.

:class:`Targets` holds the evaluation being analysed and finds, for an indicator of the county
or of one school or township, the target its rule sets and the fixes that reach it: the formula
is solved for each input it reads (:func:`.exact.solve`), unit-level names are mapped back to the
record field behind a segment view, and each fix is bounded by its field's own limits (counts are
whole, nothing is negative, rates stay within 100%). Only levers are fixes: an input the
vocabulary (or the standard's ``[levers]``) says the county can change, moved the way it may move,
and never a total moved to dilute the share of a part the same formula reads; every other input
the formula reads is stated as context (:class:`.model.Held`), and a target only such moves would
close is ``no_lever``. Targets over sets of units (min/max, CV, k of n, counts of units that meet)
are :class:`.units.UnitTargets`'.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping

import attrs

from ...kernel import model as m
from ...kernel.evaluate import Evaluation, IndicatorResult, Reading, UnitView
from ...kernel.numbers import is_number
from ...kernel.segments import SPLIT_RESOURCES, field_for
from ...kernel.vocabulary import Lever, coerce, lever
from ...kernel.vocabulary import lookup as vocabulary_lookup
from .exact import Solution, frac, least_whole, solve
from .model import Closable, Fix, Held, Target, effort


def own_typed_values(values: Mapping[str, Any], std: m.Standard, level: str) -> dict[str, Any]:
    """Values with the standard's own inputs typed by their declarations, as the evaluation reads
    them: a submission keeps them as given (text after a canonical round trip), not knowing the standard."""
    own = {n: s for n, s in std.inputs.items() if s.level == level}
    return {n: coerce(own[n], v, where=n) if n in own else v for n, v in values.items()}


def own_typed(unit: Any, std: m.Standard, level: str) -> Any:
    return attrs.evolve(unit, values=own_typed_values(unit.values, std, level))



class _RawUnits:
    """The submitted school and township records, typed as the evaluation reads them, by
    ``(base, id)``; each typed when a target first asks for it (most never are)."""

    def __init__(self, ev: Evaluation, std: m.Standard) -> None:
        self.std = std
        self.records = {("schools", u.id): u for u in ev.submission.schools}
        self.records.update({("townships", u.id): u for u in ev.submission.townships})
        self.typed: dict[tuple[str, str], Any] = {}

    def get(self, key: tuple[str, str | None]) -> Any:
        if key in self.typed:
            return self.typed[key]
        record = self.records.get(key)  # type: ignore[arg-type]
        if record is None:
            return None
        typed = self.typed[key] = own_typed(record, self.std, "school" if key[0] == "schools" else "township")  # type: ignore[index]
        return typed


class Targets:
    """The target machinery over one evaluation (the unit-set targets are the subclass's)."""

    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.std = ev.standard
        self.views: dict[str, dict[str, UnitView]] = {s: {v.id: v for v in vs} for s, vs in ev.units.items()}
        self.raw_units = _RawUnits(ev, self.std)
        self.levers: dict[tuple[str, str], tuple[Lever, str]] = {}

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
                held = self.held_fact(ind.level, unit, field, value, required)
                if held is not None:
                    return Target(closable="no_lever", field=field, context=(held,), no_lever=held.reason, **base)
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
            if fix is not None and fix.held:
                stated = Held(fix.name, fix.unit, fix.current, fix.held, fix.measure, fix.move)
                return Target(closable="no_lever", note=note, counts=counts, context=(stated,), no_lever=fix.held, **base)
            fixes = (fix,) if fix is not None else ()
            return Target(fixes=fixes, closable="data" if fixes else "not_computed", note=note, counts=counts, **base)
        if ind.formula is None:
            return Target(closable="not_computed", note="not_numeric", **base)
        found: list[tuple[Fraction, bool, str, Fix]] = []
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
                found.append((effort(fix), not solution.numerator, fix.name, fix))
        ordered = [f for *_, f in sorted(found, key=lambda item: item[:3])]  # the smallest relative change first
        levers, context, left_out = self.levers_only(ind, level, unit, reading, ordered)
        closable: Closable = "data" if any(f.reachable for f in levers) else "not_computed"
        no_lever = ""
        if closable != "data" and left_out:
            closable, no_lever = "no_lever", left_out[0]
        note = note or ("" if ordered else "no_closed_form")
        return Target(fixes=levers, closable=closable, note=note, context=context, no_lever=no_lever, **base)

    # -- levers -------------------------------------------------------------------------------

    def field_lever(self, level: str, unit: str | None, name: str) -> tuple[Lever, str]:
        """The lever of a submitted field (of the county, or a school's or township's record field),
        and its unit of measure."""
        where = "county"
        if unit is not None:
            unit_set = self.std.units.get(level)
            where = "township" if unit_set is not None and unit_set.base == "townships" else "school"
        key = (where, name)
        if key not in self.levers:  # asked once per field and level, not once per unit
            spec = vocabulary_lookup(where, name, self.std.inputs)
            self.levers[key] = lever(where, name, self.std.levers, self.std.inputs), (spec.unit if spec is not None else "")
        return self.levers[key]

    def lever_move(self, level: str, unit: str | None, name: str, current: Fraction, solution: Solution) -> tuple[str, str]:
        """``(lever, held)`` of moving a field as ``solution`` asks: the lever's direction when it
        may move that way, else why not (a key of ``vocabulary.lever_reasons``)."""
        found, _ = self.field_lever(level, unit, name)
        up = solution.relation in (">", ">=") or (solution.relation == "==" and solution.required > current)
        if found.direction == "fixed":
            return "", found.why or "not_declared"
        if not found.allows("up" if up else "down"):
            return "", "up_only" if found.direction == "up" else "down_only"
        return found.direction, ""

    def held_fact(self, level: str, unit: str | None, field: str | None, value: Any, required: Any) -> Held | None:
        """A reported fact that must change: held when it is not a lever (an event, an identity) or
        may only move the other way (true → false for a condition that can only be met)."""
        if field is None:
            return None
        found, _ = self.field_lever(level, unit, field)
        move = ("up" if required else "down") if isinstance(required, bool) else found.direction
        if found.direction == "fixed":
            return Held(field, unit, value, found.why or "not_declared", would=move if isinstance(required, bool) else "")
        if not found.allows(move):
            return Held(field, unit, value, "up_only" if found.direction == "up" else "down_only", would=move)
        return None

    def levers_only(self, ind: m.Indicator, level: str, unit: str | None, reading: Reading,
                    fixes: list[Fix]) -> tuple[tuple[Fix, ...], tuple[Held, ...], list[str]]:
        """The fixes that move levers; the context: every input the formula reads that is held
        fixed, or whose only fix is not a lever's move (a total diluting its part: ``whole``); and
        why each fix that is not a lever's move was left out, in the fixes' order."""
        assert ind.formula is not None
        read: dict[str, Any] = {}  # record field → its value
        for name in sorted(ind.formula.names):
            if not self.is_input(name, ind) or name not in reading.reads:
                continue
            raw_name = name if unit is None else self.raw_field(level, unit, name)[0]
            if raw_name is not None:
                raw = self.raw_units.get((self.std.units[level].base, unit)) if unit is not None else None
                read[raw_name] = raw.values.get(raw_name, reading.reads[name]) if raw is not None else reading.reads[name]
        levers = {name: self.field_lever(level, unit, name) for name in read}
        totals = {found.part_of for found, _ in levers.values() if found.part_of} & set(read)
        kept: list[Fix] = []
        context: dict[str, Held] = {}
        held: list[str] = []
        for fix in fixes:
            if fix.kind == "input" and not fix.held and fix.name in totals:
                fix = attrs.evolve(fix, held="whole", lever="")
            if fix.is_lever:
                kept.append(fix)
                continue
            held.append(fix.held)
            if fix.kind == "input":
                context[fix.name] = Held(fix.name, fix.unit, fix.current, fix.held, fix.measure, fix.move)
        moved = {f.name for f in kept if f.kind == "input"}
        for name, (found, measure) in sorted(levers.items()):
            if name not in moved and name not in context and found.direction == "fixed":
                context[name] = Held(name, unit, read[name], found.why or "not_declared", measure)
        return tuple(kept), tuple(context[k] for k in sorted(context)), held

    def is_input(self, name: str, ind: m.Indicator) -> bool:
        return name not in self.std.parameters and name not in self.std.indicators and name not in ("share", "segment")

    def input_fix(self, name: str, level: str, unit: str | None, current: Any, solution: Solution) -> Fix | None:
        """The change of one submitted field; unit-level names are mapped back to the record."""
        if unit is None:
            spec = vocabulary_lookup("county", name, self.std.inputs)
            now = frac(current)
            return bounded_fix(name, None, now, solution, spec, move=self.lever_move(level, None, name, now, solution))
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
        now = frac(raw.values[raw_name])
        return bounded_fix(raw_name, unit, now, solution, spec, share, self.lever_move(level, unit, raw_name, now, solution))

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
        held = (target.no_lever or "no_lever") if target.closable == "no_lever" else ""
        return attrs.evolve(fix, then=target.fixes, detail=dict(target.detail), held=held)

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
                 share: Fraction | None = None, move: tuple[str, str] = ("", "")) -> Fix:
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
    lever, held = move
    return Fix(name, "input", unit, current, relation, required, whole, problem, share, measure, kind, lever=lever, held=held)

