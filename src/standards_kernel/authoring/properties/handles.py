"""Which inputs the monotonicity property moves, which way is better for each and how it is moved
(in one unit, or scaled and shifted in every unit behind a difference coefficient), and the inputs
it cannot move, with the reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction

import attrs

from ...kernel import model as m
from ...kernel.expressions import Node
from ..template import InputUse, field_names, inputs_read
from .formulas import (
    degree_in,
    denominators,
    implied_direction,
    join_signs,
    negate,
    sign_in,
    view_names,
)


@attrs.frozen
class Handle:
    """An input the monotonicity property moves: a county value or one unit's field (``one``); a
    field behind a difference coefficient is moved in every unit, either scaled by one factor
    (``scale``: the CV stays, every unit's value improves) or raised by the same amount per
    (weighted) student (``shift``: every unit's per-student value rises by the same amount, so the
    spread stays, the mean rises and the CV falls)."""

    level: str
    name: str
    better: int  # +1: higher is better; -1: lower
    move: str  # "one" | "scale"
    readers: tuple[str, ...]
    upper: Decimal | None = None  # e.g. a panel item's maximum
    kind: str = "decimal"  # the input's type: count, amount, rate …
    lowest: int = 0  # 1 for a name some formula divides by

    def describe(self) -> str:
        way = "higher" if self.better > 0 else "lower"
        where = {"county": "county", "school": "one school's", "township": "one township's"}[self.level]
        if self.move in ("scale", "shift"):
            where = f"every {self.level}'s"
        return f"{where} {self.name} ({way} is better, read by {', '.join(self.readers)})"


@attrs.frozen
class Uncovered:
    """An input the monotonicity property does not move, and why."""

    level: str
    name: str
    reason: str


def _dependents(standard: m.Standard) -> dict[str, set[str]]:
    """Indicator → the indicators that read it (formulas, limits, aggregations, k of n, zero_if)."""
    found: dict[str, set[str]] = {iid: set() for iid in standard.indicators}
    for iid, ind in standard.indicators.items():
        names: set[str] = set()
        for expr in (ind.formula, ind.check.limit if ind.check else None,
                     ind.scoring.when if ind.scoring else None):
            if expr is not None:
                names |= set(expr.names)
        if ind.aggregate:
            names |= {ind.aggregate.of, ind.aggregate.weight or ""}
        if ind.k_of_n:
            names |= set(ind.k_of_n.of)
        for name in names & set(standard.indicators):
            if name != iid:
                found[name].add(iid)
    return found


def _closure(start: Iterable[str], dependents: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(dependents.get(node, ()))
    return seen


def _reads(ind: m.Indicator, name: str) -> list[tuple[str, Node | None]]:
    """How ``ind`` reads ``name`` (a view or county name): ("value", formula tree or None for a
    plain input) or ("when", the zero_if condition)."""
    found: list[tuple[str, Node | None]] = []
    if ind.input == name or ind.fallback_input == name:
        found.append(("value", None))
    if ind.formula is not None and name in ind.formula.names:
        found.append(("value", ind.formula.tree))
    if ind.scoring is not None and ind.scoring.when is not None and name in ind.scoring.when.names and name != "value":
        found.append(("when", ind.scoring.when.tree))
    return found


def handles(standard: m.Standard) -> tuple[list[Handle], list[Uncovered]]:
    """The inputs the monotonicity property moves, and those it cannot, with the reason."""
    dependents = _dependents(standard)
    moved: list[Handle] = []
    uncovered: list[Uncovered] = []
    for use in inputs_read(standard):
        if use.spec.type not in ("count", "amount", "rate", "decimal", "points", "fact"):
            uncovered.append(Uncovered(use.level, use.name, f"a {use.spec.type} value has no order"))
            continue
        verdict = _verdict(standard, use, dependents)
        if isinstance(verdict, Uncovered):
            uncovered.append(verdict)
        elif verdict.move == "scale":  # a field behind a CV: scaled, and shifted per student
            moved += [verdict, attrs.evolve(verdict, move="shift")]
        else:
            moved.append(verdict)
    return moved, uncovered


def _verdict(standard: m.Standard, use: InputUse, dependents: Mapping[str, set[str]]) -> Handle | Uncovered:
    level, name = use.level, use.name

    def no(reason: str) -> Uncovered:
        return Uncovered(level, name, reason)

    direct: dict[str, list[int | None]] = {}
    degrees: dict[str, list[Fraction | None]] = {}
    upper: Decimal | None = None
    for reader in use.read_by:
        if reader.startswith("units."):
            return no("it decides which units are counted or their shares" if reader.endswith(".where")
                      else "it sets a segment's students, and so every share and per-student value")
        ind = standard.indicators[reader]
        if level == "county":
            views = [name]
        else:
            if ind.level == "county":  # an aggregation reading a field directly
                agg = ind.aggregate
                assert agg is not None
                if agg.weight is not None and name in field_names(standard, agg.over, agg.weight):
                    return no(f"it weights {reader}")
                views = [v for v in (agg.of,) if name in field_names(standard, agg.over, v)]
                if agg.function == "cv":
                    return no(f"{reader} is a difference coefficient of the raw field")
                sign = {"sum": 1, "min": 1, "max": 1, "mean": 1, "weighted_mean": 1, "count": 0}.get(agg.function)
                direction = implied_direction(ind)
                if sign is None or direction is None:
                    return no(f"{reader} gives it no direction")
                direct.setdefault(reader, []).append(sign * direction)
                continue
            views = [v for v in view_names(standard, ind) if name in field_names(standard, ind.level, v)]
        for view in views:
            for how, tree in _reads(ind, view):
                sign = 1 if tree is None else sign_in(tree, view)
                if how == "when":  # the condition true means no points
                    direct.setdefault(reader, []).append(negate(sign))
                    continue
                direction = implied_direction(ind)
                if direction is None:
                    return no(f"{reader} has no direction (declare one, or give it a check)")
                direct.setdefault(reader, []).append(None if sign is None else sign * direction)
                degrees.setdefault(reader, []).append(Fraction(1) if tree is None else degree_in(tree, view))
        if ind.scoring is not None and ind.scoring.kind == "panel" and ind.input == name:
            upper = ind.scoring.max if upper is None else min(upper, ind.scoring.max)
    contributions = [c for cs in direct.values() for c in cs]
    if not contributions:
        return no("no indicator reads it")
    if any(c is None for c in contributions):
        bad = sorted(r for r, cs in direct.items() if None in cs)
        return no(f"{', '.join(bad)} is not monotone in it")
    better = join_signs(*contributions)
    if better is None:
        ups = sorted(r for r, cs in direct.items() if 1 in cs)
        downs = sorted(r for r, cs in direct.items() if -1 in cs)
        return no(f"it pulls two ways: higher is better for {', '.join(ups)}, lower for {', '.join(downs)}")
    if better == 0:
        return no("no indicator it feeds changes with it")
    readers = tuple(sorted(direct))
    kind = use.spec.type
    lowest = 1 if (level, name) in denominators(standard) else 0
    if level == "county":
        return Handle(level, name, better, "one", readers, upper, kind, lowest)
    closure = _closure(readers, dependents)
    relative = sorted(i for i in closure if (lim := standard.indicators[i].check) is not None
                      and set(lim.limit.names) & closure)
    if relative:
        return no(f"{relative[0]} is judged against a value that moves with it")
    cvs = {i: a for i in closure if (a := standard.indicators[i].aggregate) is not None and a.function == "cv"}
    dispersion = sorted(cvs)
    if not dispersion:
        return Handle(level, name, better, "one", readers, upper, kind, lowest)
    # A difference coefficient penalises dispersion: move the field in every unit, by scaling it,
    # which leaves a CV of a homogeneous per-unit value unchanged and moves every unit's value.
    feeding = {a.of for a in cvs.values()}
    if not feeding <= set(readers):
        return no(f"{dispersion[0]} is a difference coefficient of a value derived from it")
    for reader in readers:
        if any(d is None or d == 0 for d in degrees.get(reader, [None])):
            return no(f"{reader} does not scale with it, and it feeds {dispersion[0]}")
    if better < 0:
        return no(f"it feeds {dispersion[0]} and lower is better: a whole number cannot be scaled down exactly")
    return Handle(level, name, better, "scale", readers, upper, kind, lowest)  # handles() adds the shift

