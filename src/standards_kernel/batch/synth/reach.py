"""Reaching a synthetic county's unit targets: which units each set counts, which fail, the value
each unit's indicator should take (spread as the plan asks), and the field of the record that
brings it there, solved through the indicator's formula."""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from ...errors import KernelError
from ...kernel import model as m
from ...kernel.numbers import KERNEL_CONTEXT
from .county_inputs import input_value
from .draws import ZERO, chance, meets, spread, uniform
from .plan import Plan
from .solving import Target, View, field_for, in_set, nudge, ordered_names, solve, unit_indicator_value, view_key
from .typical import NUMERIC

if TYPE_CHECKING:
    from .synthesizer import Synthesizer


class UnitReach:
    """Sets the unit records' fields so that their indicators land where the plan aims."""

    def __init__(self, synth: Synthesizer, plan: Plan, rng: random.Random, schools: list[dict[str, Any]],
                 townships: list[dict[str, Any]]) -> None:
        self.s = synth
        self.std = synth.std
        self.plan = plan
        self.rng = rng
        self.schools = schools
        self.townships = townships
        self.owner: dict[tuple[int, str], str] = {}  # (record, field) → the indicator it was solved for
        self.tasks: list[tuple[m.Indicator, dict[str, Any], m.UnitSet, Decimal, Target | None]] = []
        self.members: dict[str, list[int]] = {}

    def units_of(self, unit_set: str) -> list[int]:
        """Positions of the units in the set, as the kernel would filter them (kinds and enrolments
        decide, and those never change, so this is computed once)."""
        if unit_set not in self.members:
            u = self.std.units[unit_set]
            records = self.townships if u.base == "townships" else self.schools
            self.members[unit_set] = [p for p, r in enumerate(records) if in_set(r, u, self.plan.param)]
        return self.members[unit_set]

    def reach_unit_targets(self) -> None:
        order = [i for i in self.std.order if self.std.indicators[i].level != "county"]
        # k-of-n first: it decides which of its parts each unit misses.
        misses: dict[str, dict[int, str]] = {}  # part → unit position → "miss" | "deep"
        for iid in order:
            ind = self.std.indicators[iid]
            if ind.k_of_n is None:
                continue
            units = self.units_of(ind.level)
            failing = self.pick(units, self.plan.unit_fail.get(iid, 0))
            parts = list(ind.k_of_n.of)
            slack = len(parts) - ind.k_of_n.k
            for position in units:
                if position in failing:  # one more than needed: a shared field may not go down
                    for part in self.rng.sample(parts, min(len(parts), slack + 2)):
                        misses.setdefault(part, {})[position] = "deep"
                elif slack > 0 and chance(self.rng, "0.2"):
                    misses.setdefault(self.rng.choice(parts), {})[position] = "miss"
        for iid in order:
            ind = self.std.indicators[iid]
            if ind.k_of_n is not None or ind.formula is None and ind.input is None:
                continue
            units = self.units_of(ind.level)
            target = self.plan.target_for(ind, met=True)
            fails = dict(misses.get(iid, {}))
            for position in self.pick(units, self.plan.unit_fail.get(iid, 0)):
                fails.setdefault(position, "deep")
            self.reach_unit_values(ind, units, target, fails)

    def pick(self, units: list[int], count: int) -> set[int]:
        return set(self.rng.sample(units, min(count, len(units))))

    def reach_unit_values(self, ind: m.Indicator, units: list[int], target: Target | None,
                          fails: dict[int, str]) -> None:
        u = self.std.units[ind.level]
        records = self.townships if u.base == "townships" else self.schools
        cv = self.plan.unit_cv.get(ind.id)
        if target is None and cv is None and ind.id not in self.plan.unit_level:
            return
        if target is not None and (isinstance(target.limit, bool) or not isinstance(target.limit, (int, Decimal))):
            for position in units:  # a yes/no (or text) per unit
                self.solve_unit(ind, records[position], u, self.plan.aim(attrs.evolve(target, met=position not in fails)))
            return
        level = self.plan.unit_level.get(ind.id)
        if level is None and target is not None and target.limit != 0:
            # the county's schools sit comfortably on the good side, spread as asked
            limit = Decimal(target.limit)
            room = 1 + (cv or Decimal("0.1")) * Decimal("1.5") + Decimal("0.1")
            level = (limit + (1 - limit) / 2 if 0 < limit < 1 else limit * room) if target.higher else limit / room
        if level is None:
            current = [v for p in units if (v := self.unit_value(ind, View(records[p], u))) is not None]
            level = KERNEL_CONTEXT.divide(sum(current, ZERO), len(current)) if current else None
        if level is None:
            return
        floor = self.floor_of(ind)
        for position in units:
            value = KERNEL_CONTEXT.multiply(level, spread(self.rng, cv) if cv else uniform(self.rng, "0.9", "1.1"))
            wanted = None
            if target is not None:
                limit = Decimal(target.limit)
                met = position not in fails
                wanted = attrs.evolve(target, met=met)
                if met and not meets(value, target.op, limit):
                    value = self.plan.aim(wanted)
                elif not met:
                    deep = fails[position] == "deep"
                    if deep and floor is not None:  # below the k-of-n floor
                        factor = uniform(self.rng, "0.5", str(floor - Decimal("0.05")))
                    elif floor is not None:  # missed, but above the floor (rounding must not sink it)
                        factor = uniform(self.rng, str(floor + Decimal("0.03")), "0.97")
                        edge = limit * floor if target.higher else KERNEL_CONTEXT.divide(limit, floor)
                        wanted = attrs.evolve(target, limit=edge, met=True)
                    else:
                        factor = uniform(self.rng, "0.6", "0.95")
                    value = limit * factor if target.higher else KERNEL_CONTEXT.divide(limit, factor)
            self.solve_unit(ind, records[position], u, value, wanted)

    def floor_of(self, ind: m.Indicator) -> Decimal | None:
        for other in self.std.indicators.values():
            if other.k_of_n is not None and ind.id in other.k_of_n.of and other.k_of_n.floor is not None:
                return other.k_of_n.floor
        return None

    def unit_value(self, ind: m.Indicator, view: Mapping[str, Any]) -> Decimal | None:
        try:
            value = unit_indicator_value(self.std, ind, view, self.plan.param)
        except (KeyError, KernelError, ArithmeticError):
            return None
        return Decimal(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else None

    def solve_unit(self, ind: m.Indicator, record: dict[str, Any], u: m.UnitSet, value: Any,
                   target: Target | None = None, *, again: bool = False) -> None:
        """Set the field of ``record`` that brings ``ind`` to ``value``. Each field belongs to the
        first indicator solved for it; another one that reads it (the junior view of a nine-year
        school's books) may only raise it, to meet its own check as well."""
        level = "township" if u.base == "townships" else "school"
        if ind.input is not None:
            field = field_for(u, ind.input)
            record[field] = input_value(self.s, level, field, value)
            return
        if not isinstance(value, Decimal):
            return
        if not again:
            self.tasks.append((ind, record, u, value, target))
        key = id(record)
        for name in ordered_names(ind.formula):
            if name in self.std.parameters or name in self.std.indicators or name in ("students", "share", "segment"):
                continue
            field = field_for(u, name)
            spec = self.s.spec(level, field)
            if spec is not None and spec.type == "bool" and target is not None and (key, field) not in self.owner:
                self.choose(ind, record, u, field, target)  # if(has_x, 1, 0) >= 1: a yes or a no
                return
            if spec is None or spec.type not in NUMERIC:
                continue
            owner = self.owner.get((key, field))
            if owner is not None and owner != ind.id and (target is None or not target.met):
                continue
            key_in_view, times = view_key(u, field, View(record, u))

            def f(x: Decimal | int, key_in_view: str = key_in_view, times: Decimal | None = times) -> Decimal | None:
                seen = x if times is None else KERNEL_CONTEXT.multiply(Decimal(x), times)
                return self.unit_value(ind, View(record, u, (key_in_view, seen)))

            current = record.get(field, 0)
            if owner is not None and owner != ind.id:
                now = f(current)
                if now is not None and target is not None and meets(now, target.op, target.limit):
                    return  # the shared field already serves this check too
            solved = solve(f, current, value, spec.type)
            if solved is None:
                continue
            if target is not None:
                solved = nudge(f, solved, target, spec.type)
            if owner is not None and owner != ind.id:
                if isinstance(current, (int, Decimal)) and solved > current:
                    record[field] = solved
                return
            record[field] = solved
            self.owner[(key, field)] = ind.id
            return

    def choose(self, ind: m.Indicator, record: dict[str, Any], u: m.UnitSet, field: str, target: Target) -> None:
        """A yes/no input: the answer that puts the indicator on the wanted side."""
        key_in_view, _ = view_key(u, field, View(record, u))
        for answer in (target.met, not target.met):
            got = self.unit_value(ind, View(record, u, (key_in_view, answer)))
            if got is not None and meets(got, target.op, target.limit) == target.met:
                record[field] = answer
                self.owner[(id(record), field)] = ind.id
                return

    def settle(self) -> None:
        """Solve again the unit targets that have moved: a field solved later (``largest_class``)
        may have moved an indicator solved earlier (``computers / largest_class``)."""
        for ind, record, u, value, target in self.tasks:
            now = self.unit_value(ind, View(record, u))
            if now is None:
                continue
            if target is not None and meets(now, target.op, target.limit) == target.met:
                continue
            if target is None and abs(now - value) <= abs(value) * Decimal("0.01"):
                continue
            self.solve_unit(ind, record, u, value, target, again=True)
