"""The property kit: hypothesis strategies for any standard, and a ready property suite.

``submissions(standard)`` generates valid county submissions from what the standard reads
(:func:`standards_kernel.authoring.template.inputs_read`): each input by its type and unit, within plausible
ranges (per student for school resources, a part never above its whole, rates in [0, 1], panel
points within the item's maximum), with at least one school in every segment the standard looks
at. The data are a county's as a policy team would see them, not law: the ranges only aim to land
on both sides of the standard's limits.

The suite (:data:`PROPERTIES`), for any standard:

``determinism``
    the same submission gives byte-identical canonical JSON, also under another decimal context;
``unit_order``
    the order schools and townships are listed in never changes the result;
``monotonicity``
    moving an input the way the standard calls better never lowers a score, an item's points or
    the grade, never fails a check that was met, and moves every indicator with a direction its
    way. Which way is better for an input follows from the indicators that read it (their
    ``direction``, else a panel item's points, else their check: ``>=`` higher, ``<=`` lower) and
    from the formulas (``books / students`` rises with ``books``, falls with ``students``). A
    difference coefficient penalises dispersion, so raising one school's resource can rightly
    lower a CV item: a school field that feeds a CV is moved by scaling it by the same factor in
    every school (the CV does not change, every school's value improves), never in one school;
    inputs whose direction cannot be told (``students``, a filter, a weight, a field read two
    ways) are listed as not covered, never silently skipped;
``vetoes_never_raise``
    gates and vetoes only ever lower the grade the score reaches, and every applied cap holds;
``score_bounds``
    the score lies in [0, max], each area's points in [0, its max], each item's in [0, its max];
``canonical_round_trip``
    the result's canonical JSON reads back to the same text and numbers, the submission's
    canonical form gives the same hash and result, and the standard's content rebuilds to the
    same hash.

Run it with ``standards-kernel test --properties ID`` or from pytest::

    from standards_kernel.authoring.properties import property_tests
    test_properties = property_tests("lingnan.county-education")   # one pytest item per property
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import json
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import hypothesis
from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import strategies as st

from ..kernel import model as m
from ..kernel.model import SEGMENTS
from ..errors import KernelError
from ..kernel.evaluate import Evaluation, evaluate
from ..kernel.expressions import Node
from ..kernel.formats import canonical_json, content_json
from ..kernel.loader import build_standard
from ..kernel.aggregation import NATIONAL_SEGMENT_WEIGHTS
from ..kernel.numbers import canonical, is_number
from ..audit.decision import to_json
from ..kernel.submission import submission_from_data
from .template import InputUse, field_names, inputs_read, unit_level
from ..kernel.vocabulary import lookup

__all__ = [
    "PROPERTIES", "Handle", "PropertyFailure", "PropertyReport", "Uncovered", "check_properties",
    "example_submission", "handles", "property_tests", "submissions",
]

#: Kinds of school and the segments they teach.
KIND_SEGMENTS = {
    "primary": ("primary",), "junior": ("junior",), "nine_year": ("primary", "junior"),
    "complete_middle": ("junior", "senior"), "twelve_year": ("primary", "junior", "senior"),
    "teaching_point": ("primary",), "special": ("primary", "junior"), "vocational": ("senior",),
}
#: A plain school of each segment, so that every segment view has at least one unit.
PLAIN_KIND = {"primary": "primary", "junior": "junior", "senior": "complete_middle"}
#: Relative tolerance for moves that scale a field feeding a difference coefficient: the CV is
#: invariant under scaling, but computed in 28 significant digits it may move in its last digits.
SCALE_TOLERANCE = Decimal("1e-18")


# ==================================================================================================
# Plausible ranges
# ==================================================================================================

@attrs.frozen
class Range:
    """Where a generated value lies: ``lo``..``hi``, absolute, per student of the unit (or of the
    segment the name ends in), or as a fraction of a whole (``part_of``)."""

    lo: Decimal
    hi: Decimal
    per_student: bool = False
    part_of: str | None = None
    at_least_one: bool = False


def _r(lo: str, hi: str, **kw: Any) -> Range:
    return Range(Decimal(lo), Decimal(hi), **kw)


#: Plausible ranges by level and name (``{s}``: a segment). Not law: a generator's choice, wide
#: enough to land on both sides of the limits found in the standards.
PLAUSIBLE: dict[str, dict[str, Range]] = {
    "school": {
        "teaching_aux_area_m2": _r("1", "12", per_student=True),
        "sports_area_m2": _r("1", "25", per_student=True),
        "building_area_m2": _r("3", "20", per_student=True),
        "dilapidated_area_m2": _r("0", "0.3", part_of="building_area_m2"),
        "dilapidated_d_area_m2": _r("0", "1", part_of="dilapidated_area_m2"),
        "equipment_value_yuan": _r("200", "6000", per_student=True),
        "computers": _r("0.02", "0.3", per_student=True, at_least_one=True),
        "books": _r("5", "60", per_student=True, at_least_one=True),
        "multimedia_classrooms": _r("0", "0.05", per_student=True),
        "largest_class": _r("20", "80"),
        "classes.{s}": _r("0.02", "0.045", per_student=True, at_least_one=True),
        "teachers.{s}": _r("0.03", "0.12", per_student=True, at_least_one=True),
        "teachers_above_required_qualification.{s}": _r("0.5", "1", part_of="teachers.{s}"),
        "teachers_intermediate_title_or_above.{s}": _r("0.1", "0.8", part_of="teachers.{s}"),
        "backbone_teachers.{s}": _r("0", "0.4", part_of="teachers.{s}"),
        "pe_art_teachers.{s}": _r("0", "0.3", part_of="teachers.{s}"),
        "students_start_of_year.{s}": _r("0.9", "1.1", per_student=True, at_least_one=True),
        "dropouts.{s}": _r("0", "0.05", part_of="students_start_of_year.{s}"),
        "dropout_rate.{s}": _r("0", "0.08"),
    },
    "township": {
        "school_age_population.{s}": _r("50", "5000", at_least_one=True),
        "enrolled.{s}": _r("0.85", "1", part_of="school_age_population.{s}"),
        "enrolment_rate.{s}": _r("0.85", "1"),
    },
    "county": {
        "school_age_population.{s}": _r("1000", "100000"),
        "enrolled.{s}": _r("0.9", "1", part_of="school_age_population.{s}"),
        "disabled_school_age": _r("10", "1000"),
        "disabled_enrolled": _r("0.6", "1", part_of="disabled_school_age"),
        "students_start_of_year.{s}": _r("1000", "100000"),
        "dropouts.{s}": _r("0", "0.03", part_of="students_start_of_year.{s}"),
        "dropout_rate.{s}": _r("0", "0.05"),
        "satisfaction_surveyed": _r("100", "5000"),
        "satisfaction_satisfied": _r("0.6", "1", part_of="satisfaction_surveyed"),
        "satisfaction_rate": _r("0.6", "1"),
        "totals.building_area_m2": _r("10000", "2000000"),
        "totals.dilapidated_d_area_m2": _r("0", "0.2", part_of="totals.building_area_m2"),
    },
}
#: By type, for names the table does not know (a standard's own inputs, new vocabulary names).
BY_TYPE: dict[str, dict[str, Range]] = {
    "school": {"count": _r("0", "1", per_student=True), "amount": _r("0", "100", per_student=True),
               "rate": _r("0", "1"), "decimal": _r("0", "100"), "points": _r("0", "10"), "fact": _r("0", "2")},
    "township": {"count": _r("0", "5000"), "amount": _r("0", "1000000"), "rate": _r("0", "1"),
                 "decimal": _r("0", "100"), "points": _r("0", "10"), "fact": _r("0", "2")},
    "county": {"count": _r("0", "100000"), "amount": _r("0", "10000000"), "rate": _r("0", "1"),
               "decimal": _r("0", "100"), "points": _r("0", "10"), "fact": _r("0", "2")},
}
STEPS = 1000  # a range is cut into this many steps; hypothesis shrinks towards the low end


def _pattern(name: str) -> tuple[str, str | None]:
    head, _, last = name.rpartition(".")
    if last in SEGMENTS:
        return head + ".{s}", last
    return name, None


def plausible_range(level: str, name: str, kind: str) -> tuple[Range, str | None]:
    """The range of ``name`` and its segment (``teachers.primary`` → the ``teachers.{s}`` range)."""
    pattern, segment = _pattern(name)
    table = PLAUSIBLE[level]
    if name in table:
        return table[name], None
    if pattern in table:
        found = table[pattern]
        if found.part_of and segment:
            found = attrs.evolve(found, part_of=found.part_of.replace("{s}", segment))
        return found, segment
    return BY_TYPE[level].get(kind, _r("0", "100")), segment


# ==================================================================================================
# Which way is better: signs and degrees of formulas
# ==================================================================================================

def _neg(sign: int | None) -> int | None:
    return None if sign is None else -sign


def _join(*signs: int | None) -> int | None:
    """The sign of a sum of terms with these signs: all agreeing (ignoring 0), else unknown."""
    found = 0
    for sign in signs:
        if sign is None:
            return None
        if sign == 0:
            continue
        if found and sign != found:
            return None
        found = sign
    return found


def _nonnegative(node: Node) -> bool:
    """Whether the value is never negative, taking names (inputs, parameters, indicators) as ≥ 0."""
    if node.kind == "literal":
        return isinstance(node.value, Decimal) and node.value >= 0
    if node.kind == "name":
        return True
    if node.kind == "op":
        if node.value in ("+", "*", "/", "pos"):
            return all(_nonnegative(a) for a in node.args)
        return False
    if node.value in ("min", "max", "floor", "ceil", "round", "clamp"):
        return all(_nonnegative(a) for a in node.args if a.kind != "literal" or isinstance(a.value, Decimal))
    if node.value in ("abs", "sqrt"):
        return True
    if node.value == "if":
        return _nonnegative(node.args[1]) and _nonnegative(node.args[2])
    return False


def sign_in(node: Node, name: str) -> int | None:
    """+1 if the value never falls as ``name`` rises (everything else fixed, names ≥ 0), -1 if it
    never rises, 0 if it does not depend on it, None if the formula does not say."""
    kind = node.kind
    if kind == "literal":
        return 0
    if kind == "name":
        return 1 if node.value == name else 0
    signs = [sign_in(arg, name) for arg in node.args]
    if all(s == 0 for s in signs):
        return 0
    op = node.value
    if kind == "op":
        if op == "pos":
            return signs[0]
        if op in ("neg", "not"):  # for booleans, true counts above false
            return _neg(signs[0])
        a, b = node.args
        sa, sb = signs
        if op in ("+", "and", "or"):
            return _join(sa, sb)
        if op == "-":
            return _join(sa, _neg(sb))
        if op == "*":
            return _join(sa, sb) if _nonnegative(a) and _nonnegative(b) else None
        if op == "/":
            return _join(sa, _neg(sb)) if _nonnegative(a) and _nonnegative(b) else None
        if op in (">", ">="):
            return _join(sa, _neg(sb))
        if op in ("<", "<="):
            return _join(_neg(sa), sb)
        return None  # == and != are not monotone
    if op in ("min", "max", "floor", "ceil", "sqrt"):
        return _join(*signs)
    if op in ("round", "clamp"):
        return signs[0] if all(s == 0 for s in signs[1:]) else None
    if op == "if" and signs[0] == 0:
        return _join(signs[1], signs[2])
    return None


def degree_in(node: Node, name: str) -> Fraction | None:
    """The degree ``d`` with f(c·name) = c^d·f(name) for every c > 0, or None if there is none."""
    kind = node.kind
    if kind == "literal":
        return Fraction(0)
    if kind == "name":
        return Fraction(1 if node.value == name else 0)
    degrees = [degree_in(arg, name) for arg in node.args]
    if any(d is None for d in degrees):
        return None
    op = node.value
    if kind == "op":
        if op in ("pos", "neg"):
            return degrees[0]
        if op in ("+", "-"):
            return degrees[0] if degrees[0] == degrees[1] else None
        if op == "*":
            return degrees[0] + degrees[1]  # type: ignore[operator]
        if op == "/":
            return degrees[0] - degrees[1]  # type: ignore[operator]
        return Fraction(0) if all(d == 0 for d in degrees) else None
    if op in ("min", "max", "abs") and len(set(degrees)) == 1:
        return degrees[0]
    if op == "sqrt":
        return degrees[0] / 2  # type: ignore[operator]
    if op == "if" and degrees[0] == 0 and degrees[1] == degrees[2]:
        return degrees[1]
    return Fraction(0) if all(d == 0 for d in degrees) else None


def implied_direction(ind: m.Indicator) -> int | None:
    """+1 if higher is better, -1 if lower: the declared direction, else a panel item's points,
    else the check (``>=``, ``>``: higher; ``<=``, ``<``: lower)."""
    if ind.direction is not None:
        return 1 if ind.direction == "higher" else -1
    if ind.scoring is not None and ind.scoring.kind == "panel":
        return 1
    if ind.check is not None and ind.check.op in (">=", ">"):
        return 1
    if ind.check is not None and ind.check.op in ("<=", "<"):
        return -1
    return None


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
            views = [v for v in _view_names(standard, ind) if name in field_names(standard, ind.level, v)]
        for view in views:
            for how, tree in _reads(ind, view):
                sign = 1 if tree is None else sign_in(tree, view)
                if how == "when":  # the condition true means no points
                    direct.setdefault(reader, []).append(_neg(sign))
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
    better = _join(*contributions)
    if better is None:
        ups = sorted(r for r, cs in direct.items() if 1 in cs)
        downs = sorted(r for r, cs in direct.items() if -1 in cs)
        return no(f"it pulls two ways: higher is better for {', '.join(ups)}, lower for {', '.join(downs)}")
    if better == 0:
        return no("no indicator it feeds changes with it")
    readers = tuple(sorted(direct))
    kind = use.spec.type
    lowest = 1 if (level, name) in _denominators(standard) else 0
    if level == "county":
        return Handle(level, name, better, "one", readers, upper, kind, lowest)
    closure = _closure(readers, dependents)
    relative = sorted(i for i in closure if (lim := standard.indicators[i].check) is not None
                      and set(lim.limit.names) & closure)
    if relative:
        return no(f"{relative[0]} is judged against a value that moves with it")
    dispersion = sorted(i for i in closure if (a := standard.indicators[i].aggregate) is not None and a.function == "cv")
    if not dispersion:
        return Handle(level, name, better, "one", readers, upper, kind, lowest)
    # A difference coefficient penalises dispersion: move the field in every unit, by scaling it,
    # which leaves a CV of a homogeneous per-unit value unchanged and moves every unit's value.
    feeding = {standard.indicators[i].aggregate.of for i in dispersion}  # type: ignore[union-attr]
    if not feeding <= set(readers):
        return no(f"{dispersion[0]} is a difference coefficient of a value derived from it")
    for reader in readers:
        if any(d is None or d == 0 for d in degrees.get(reader, [None])):
            return no(f"{reader} does not scale with it, and it feeds {dispersion[0]}")
    if better < 0:
        return no(f"it feeds {dispersion[0]} and lower is better: a whole number cannot be scaled down exactly")
    return Handle(level, name, better, "scale", readers, upper, kind, lowest)  # handles() adds the shift


def _view_names(standard: m.Standard, ind: m.Indicator) -> set[str]:
    names = set(ind.formula.names) if ind.formula is not None else set()
    for extra in (ind.input, ind.fallback_input):
        if extra:
            names.add(extra)
    return {n for n in names if n not in standard.parameters and n not in standard.indicators}


# ==================================================================================================
# Generating submissions
# ==================================================================================================

Pick = Callable[[int], int]  # an integer in [0, n]


class _Generator:
    """Builds one submission's raw data from integer picks (hypothesis draws, or fixed picks)."""

    def __init__(self, standard: m.Standard, pick: Pick, max_schools: int, max_townships: int) -> None:
        self.std = standard
        self.pick = pick
        self.max_schools = max_schools
        self.max_townships = max_townships
        self.uses = inputs_read(standard)
        self.denominators = _denominators(standard) | _dispersed(standard)
        self.panel_max = {u.name: _panel_max(standard, u.name) for u in self.uses if u.spec.type == "points"}

    def choose(self, options: Sequence[Any]) -> Any:
        return options[self.pick(len(options) - 1)]

    def fraction(self, rng: Range) -> Decimal:
        return rng.lo + (rng.hi - rng.lo) * self.pick(STEPS) / STEPS

    def build(self) -> dict[str, Any]:
        std = self.std
        until = std.effective_until or (std.effective_from + dt.timedelta(days=365 * 15))
        span = (until - std.effective_from).days
        as_of = std.effective_from + dt.timedelta(days=self.pick(span) if span > 0 else 0)
        raw: dict[str, Any] = {
            "county": {"code": "999999", "name": "生成县", "province": std.jurisdiction},
            "evaluation": {"as_of": as_of, "standard": std.key},
            "data": self.values("county", [u for u in self.uses if u.level == "county"], None, {}),
        }
        townships = [u for u in self.uses if u.level == "township"]
        if townships:
            count = 1 + self.pick(self.max_townships - 1)
            raw["townships"] = [{"id": f"T{i + 1:02d}", **self.values("township", townships, None, {})} for i in range(count)]
        schools = [u for u in self.uses if u.level == "school"]
        if schools:
            raw["schools"] = self.schools(schools)
        return raw

    def schools(self, uses: list[InputUse]) -> list[dict[str, Any]]:
        needed = sorted({u.name.rpartition(".")[2] for u in uses if u.name.startswith("students.")}
                        & set(SEGMENTS), key=SEGMENTS.index) or ["primary"]
        kinds = [PLAIN_KIND[s] for s in needed]
        extra = self.pick(max(0, self.max_schools - len(kinds)))
        kinds += [self.choose(list(KIND_SEGMENTS)) for _ in range(extra)]
        records = []
        for index, kind in enumerate(kinds):
            plain = index < len(needed)
            students = {}
            for segment in KIND_SEGMENTS[kind]:
                low, high = (5, 60) if kind == "teaching_point" else (60 if plain else 20, 2500)
                students[segment] = low + self.pick(high - low)
            record: dict[str, Any] = {"id": f"S{index + 1:03d}", "kind": kind}
            record.update({f"students.{s}": n for s, n in students.items()})
            fields = [u for u in uses if not u.name.startswith("students.") and u.name not in ("id", "kind")]
            fields = [u for u in fields if _segment_of(u.name) in (None, *students)]
            record.update(self.values("school", fields, students, record))
            records.append(record)
        return records

    def values(self, level: str, uses: list[InputUse], students: Mapping[str, int] | None,
               known: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        wanted = {u.name: u.spec for u in uses}
        # wholes first: add the whole of every part, so that a part never exceeds it
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order or name in known:
                return
            spec = wanted.get(name) or lookup(level, name, self.std.inputs)
            if spec is None:
                return
            rng, _ = plausible_range(level, name, spec.type)
            if rng.part_of:
                visit(rng.part_of)
            wanted.setdefault(name, spec)
            order.append(name)

        for name in sorted(wanted):
            visit(name)
        for name in order:
            values[name] = self.value(level, name, wanted[name], students, {**known, **values})
        return values

    def value(self, level: str, name: str, spec: m.InputSpec, students: Mapping[str, int] | None,
              known: Mapping[str, Any]) -> Any:
        kind = spec.type
        if kind == "bool":
            return self.pick(1) == 1
        if kind == "text":
            choices = spec.choices or _text_choices(self.std, name)
            if name == "kind" and level == "school":
                return known.get("kind", "primary")
            return self.choose(choices) if choices else "x"
        if kind == "fact" and not _numeric_fact(self.std, name):
            return self.pick(3) == 3  # mostly no such event
        if kind == "points":
            top = self.panel_max.get(name) or Decimal(10)
            return (top * 2 * self.pick(STEPS) // STEPS) / 2  # half points
        rng, segment = plausible_range(level, name, kind)
        value = self.fraction(rng)
        if rng.part_of:
            whole = known.get(rng.part_of)
            value = value * Decimal(whole) if is_number(whole) else value * 100
        elif rng.per_student and students is not None:
            base = students.get(segment) if segment else sum(students.values())
            value = value * (base or 0)
        typed = _typed(kind, value, at_least_one=rng.at_least_one or (level, name) in self.denominators)
        if kind == "rate" and self.pick(3) == 0:  # as counties also write it: "92.505712%", read exactly
            typed = min(Decimal(1), typed + Decimal(self.pick(9999)) / 100000000)
            return canonical(typed * 100) + "%"
        return typed


def _typed(kind: str, value: Decimal, *, at_least_one: bool) -> Any:
    if kind in ("count", "fact"):
        whole = int(value.to_integral_value(rounding=decimal.ROUND_HALF_UP))
        return max(whole, 1) if at_least_one else whole
    if kind == "rate":
        return min(Decimal(1), value.quantize(Decimal("0.0001"), rounding=decimal.ROUND_HALF_UP))
    result = value.quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
    if at_least_one and result <= 0:
        return Decimal("0.01") if kind != "count" else 1
    return result


def _segment_of(name: str) -> str | None:
    last = name.rpartition(".")[2]
    return last if last in SEGMENTS else None


def _panel_max(standard: m.Standard, name: str) -> Decimal | None:
    tops = [i.scoring.max for i in standard.indicators.values()
            if i.input == name and i.scoring is not None and i.scoring.kind == "panel"]
    return min(tops) if tops else None


def _text_choices(standard: m.Standard, name: str) -> tuple[str, ...]:
    """The texts an input may take: a levels scoring's levels, or the texts formulas compare it with."""
    for ind in standard.indicators.values():
        if ind.input == name and ind.scoring is not None and ind.scoring.kind == "levels":
            return tuple(level for level, _ in ind.scoring.levels)
    texts: set[str] = set()
    for ind in standard.indicators.values():
        for expr in (ind.formula, ind.check.limit if ind.check else None):
            if expr is not None and (name in expr.names or ind.input == name):
                texts |= {n.value for n in _walk(expr.tree) if n.kind == "literal" and isinstance(n.value, str)}
    return tuple(sorted(texts))


def _numeric_fact(standard: m.Standard, name: str) -> bool:
    """A fact read as a count (compared with numbers or added up) rather than as true/false."""
    for ind in standard.indicators.values():
        if ind.level != "county":
            continue
        reads = ind.input == name or (ind.formula is not None and name in ind.formula.names)
        if not reads:
            continue
        if ind.check is not None and ind.check.limit.tree.kind == "literal":
            return not isinstance(ind.check.limit.tree.value, bool)
        if ind.formula is not None:
            return any(n.kind == "op" and n.value in ("+", "-", "*", "/", "<", ">", "<=", ">=")
                       for n in _walk(ind.formula.tree))
    return False


def _walk(node: Node) -> Iterable[Node]:
    yield node
    for arg in node.args:
        yield from _walk(arg)


def _denominators(standard: m.Standard) -> set[tuple[str, str]]:
    """(level, field) of every name divided by somewhere: generated at least 1, never 0."""
    found: set[tuple[str, str]] = set()
    for ind in standard.indicators.values():
        if ind.formula is None:
            continue
        for node in _walk(ind.formula.tree):
            if node.kind == "op" and node.value == "/":
                for sub in _walk(node.args[1]):
                    if sub.kind == "name":
                        if ind.level == "county":
                            found.add(("county", str(sub.value)))
                        else:
                            level = unit_level(standard, ind.level)
                            found |= {(level, f) for f in field_names(standard, ind.level, str(sub.value))}
    return found


def _dispersed(standard: m.Standard) -> set[tuple[str, str]]:
    """(level, field) of the fields behind a difference coefficient: generated at least 1 in every
    unit, since a CV is undefined when the county mean is 0 (a legitimate refusal, not a finding)."""
    found: set[tuple[str, str]] = set()
    for ind in standard.indicators.values():
        if ind.aggregate is None or ind.aggregate.function != "cv":
            continue
        source = standard.indicators.get(ind.aggregate.of)
        over = ind.aggregate.over
        names = _view_names(standard, source) if source is not None else {ind.aggregate.of}
        level = unit_level(standard, over)
        for name in names:
            found |= {(level, f) for f in field_names(standard, over, name)}
    return found


def submissions(standard: m.Standard, *, max_schools: int = 8, max_townships: int = 5) -> st.SearchStrategy[dict[str, Any]]:
    """Valid county submissions (raw data for :func:`standards_kernel.submission_from_data`) for
    ``standard``: every input it reads, plausible values, an evaluation date it is in force on."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        return _Generator(standard, lambda n: draw(st.integers(0, n)), max_schools, max_townships).build()

    return build()


def example_submission(standard: m.Standard, *, schools: int = 3, townships: int = 2) -> dict[str, Any]:
    """One plausible submission, always the same: every input at the middle of its range."""
    generator = _Generator(standard, lambda n: n // 2, schools * 2, townships * 2)
    return generator.build()


# ==================================================================================================
# The properties
# ==================================================================================================

class PropertyFailure(AssertionError):
    """A property that does not hold, with the submission that shows it."""

    def __init__(self, message: str, example: Mapping[str, Any] | None = None) -> None:
        self.example = example
        super().__init__(message)


def evaluate_raw(standard: m.Standard, raw: Mapping[str, Any], *, moved: str = "",
                 example: Mapping[str, Any] | None = None) -> Evaluation:
    """Evaluate raw submission data; a kernel error is a property failure naming the example
    (``moved``: the move that made ``raw`` from ``example``)."""
    try:
        return evaluate(submission_from_data(copy.deepcopy(dict(raw)), file="<generated>"), standard)
    except KernelError as error:
        what = f"after moving {moved}, the submission" if moved else "the generated submission"
        raise PropertyFailure(f"{what} cannot be evaluated: {error}", example or raw) from None


_LAST: list[Mapping[str, Any]] = []  # the submission the running example drew, for unexpected errors


def _draw(standard: m.Standard, data: st.DataObject) -> dict[str, Any]:
    raw = data.draw(submissions(standard), label="submission")
    _LAST[:] = [copy.deepcopy(raw)]
    return raw


def _rank(evaluation: Evaluation, grade: str) -> int:
    return evaluation.standard.grade_index(grade)  # 0 is the best


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """The first place two JSON values differ, as ``path: a ≠ b`` (keys in sorted order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}[{index}]")
    shown = [json.dumps(v, ensure_ascii=False) for v in (a, b)]
    return f"{path or 'the result'}: {shown[0][:200]} ≠ {shown[1][:200]}"


def _differ(first: str, second: str) -> str:
    return first_difference(json.loads(first), json.loads(second))


def prop_determinism(standard: m.Standard, data: st.DataObject) -> None:
    raw = _draw(standard, data)
    first = to_json(evaluate_raw(standard, raw))
    second = to_json(evaluate_raw(standard, copy.deepcopy(raw)))
    if first != second:
        raise PropertyFailure(f"two evaluations of the same submission differ at {_differ(first, second)}", raw)
    with decimal.localcontext(decimal.Context(prec=6, rounding=decimal.ROUND_DOWN)):
        third = to_json(evaluate_raw(standard, raw))
    if third != first:
        raise PropertyFailure("the caller's decimal context (6 digits, ROUND_DOWN) changed the result at "
                              + _differ(first, third), raw)


def prop_unit_order(standard: m.Standard, data: st.DataObject) -> None:
    raw = _draw(standard, data)
    shuffled = copy.deepcopy(raw)
    for table in ("schools", "townships"):
        if table in shuffled:
            shuffled[table] = data.draw(st.permutations(shuffled[table]), label=f"{table} order")
    first, second = to_json(evaluate_raw(standard, raw)), to_json(evaluate_raw(standard, shuffled))
    if first != second:
        raise PropertyFailure(f"listing the units in another order changed the result at {_differ(first, second)}", raw)


def prop_score_bounds(standard: m.Standard, data: st.DataObject) -> None:
    raw = _draw(standard, data)
    result = evaluate_raw(standard, raw)
    problems = []
    if not 0 <= result.score <= result.max_score:
        problems.append(f"score {result.score} outside [0, {result.max_score}]")
    for aid, area in result.areas.items():
        if not 0 <= area.points <= area.area.max:
            problems.append(f"area {aid}: {area.points} outside [0, {area.area.max}]")
    for iid, res in result.indicators.items():
        if res.points is not None and res.indicator.scoring and not 0 <= res.points <= res.indicator.scoring.max:
            problems.append(f"indicator {iid}: {res.points} points outside [0, {res.indicator.scoring.max}]")
    if problems:
        raise PropertyFailure("; ".join(problems), raw)


def prop_vetoes_never_raise(standard: m.Standard, data: st.DataObject) -> None:
    raw = _draw(standard, data)
    result = evaluate_raw(standard, raw)
    by_score, final = _rank(result, result.grade_by_score), _rank(result, result.grade)
    problems = []
    if final < by_score:
        problems.append(f"grade {result.grade} is better than {result.grade_by_score}, the grade the score reaches")
    applied = [r for r in result.rules.values() if r.applied and r.cap_index is not None]
    for rule in applied:
        if final < rule.cap_index:  # type: ignore[operator]
            cap = standard.grades[rule.cap_index].id  # type: ignore[index]
            problems.append(f"{rule.rule.kind} {rule.rule.id} caps at {cap}, yet the grade is {result.grade}")
    if not applied and result.grade != result.grade_by_score:
        problems.append(f"no rule applies, yet the grade {result.grade} differs from {result.grade_by_score}")
    for rule in result.rules.values():
        if rule.applied and not rule.failed:
            problems.append(f"{rule.rule.kind} {rule.rule.id} applies without failing")
    if problems:
        raise PropertyFailure("; ".join(problems), raw)


_CONTENT_CHECKED: dict[str, bool] = {}


def prop_canonical_round_trip(standard: m.Standard, data: st.DataObject) -> None:
    raw = _draw(standard, data)
    result = evaluate_raw(standard, raw)
    text = to_json(result)
    parsed = json.loads(text)
    if canonical_json(parsed) != text:
        raise PropertyFailure("the result's canonical JSON does not read back to the same text", raw)
    if Decimal(parsed["score"]) != result.score or Decimal(parsed["max_score"]) != result.max_score:
        raise PropertyFailure("the score in the canonical JSON is not the score computed", raw)
    submission = submission_from_data(copy.deepcopy(raw), file="<generated>")
    again = submission_from_data(json.loads(canonical_json(submission.canonical())), file="<canonical>")
    if again.sha256 != submission.sha256:
        raise PropertyFailure("the submission's canonical form does not give the same hash", raw)
    again_text = to_json(evaluate(again, standard))
    if again_text != text:
        raise PropertyFailure(f"the submission's canonical form gives another result at {_differ(text, again_text)}", raw)
    if not _CONTENT_CHECKED.get(standard.sha256):
        content = json.loads(content_json(standard.content), parse_float=Decimal)
        rebuilt = build_standard(content, file=standard.file or "<content>")
        if rebuilt.sha256 != standard.sha256:
            raise PropertyFailure(f"the standard's canonical content rebuilds to {rebuilt.sha256}, not {standard.sha256}")
        _CONTENT_CHECKED[standard.sha256] = True


def prop_monotonicity(standard: m.Standard, data: st.DataObject) -> None:
    moved, _ = handles(standard)
    if not moved:
        return  # nothing has a direction; check_properties reports the property as vacuous
    raw = _draw(standard, data)
    handle = data.draw(st.sampled_from(moved), label="input")
    better, description = apply_move(raw, handle, data)
    if better is None:
        return
    base = evaluate_raw(standard, raw)
    after = evaluate_raw(standard, better, moved=f"{handle.describe()}: {description}", example=raw)
    if handle.move == "shift" and not _shifted_evenly(base, after, handle.readers):
        return  # the readers are not per-student values (e.g. x / classes): the shift proves nothing
    problems = compare_monotone(base, after, scaled=handle.move in ("scale", "shift"))
    if problems:
        raise PropertyFailure(
            f"moving {handle.describe()}: {description}\n  " + "\n  ".join(problems[:12])
            + (f"\n  … and {len(problems) - 12} more" if len(problems) > 12 else ""), raw)


def _shifted_evenly(base: Evaluation, after: Evaluation, readers: Sequence[str]) -> bool:
    """Whether every reader's value rose by one same amount in all of its units."""
    for reader in readers:
        before, now = base.indicators[reader].units, after.indicators[reader].units
        steps = [Decimal(now[u].value) - Decimal(r.value) for u, r in before.items()  # type: ignore[arg-type]
                 if u in now and is_number(r.value) and is_number(now[u].value)]
        if not steps or min(steps) <= 0:
            return False
        if max(steps) - min(steps) > SCALE_TOLERANCE * max(Decimal(1), max(steps)):
            return False
    return True


def apply_move(raw: Mapping[str, Any], handle: Handle, data: st.DataObject) -> tuple[dict[str, Any] | None, str]:
    """A copy of ``raw`` with the handle moved the better way, and a description of the move."""
    moved = copy.deepcopy(dict(raw))
    if handle.level == "county":
        records = [moved["data"]]
        where = "data"
    else:
        table = "schools" if handle.level == "school" else "townships"
        records = moved.get(table, [])
        where = table
    if handle.move == "scale":
        factor = data.draw(st.sampled_from([2, 3, 10]), label="factor")
        for record in records:
            if is_number(record.get(handle.name)):
                record[handle.name] = record[handle.name] * factor
        return moved, f"{handle.name} × {factor} in every {handle.level}"
    if handle.move == "shift":
        return _shift(moved, records, handle, data)
    candidates = [r for r in records if is_number(r.get(handle.name))]
    if not candidates:
        return None, "absent"
    record = data.draw(st.sampled_from(candidates), label="unit") if len(candidates) > 1 else candidates[0]
    old = record[handle.name]
    new = _step(old, handle, record, data)
    if new == old:
        return None, "no room to move"
    record[handle.name] = new
    unit = f" of {record['id']}" if "id" in record else ""
    return moved, f"{where}: {handle.name}{unit} {old} → {new}"


def _shift(moved: dict[str, Any], records: list[dict[str, Any]], handle: Handle,
           data: st.DataObject) -> tuple[dict[str, Any] | None, str]:
    """Raise the field by the same amount per student in every unit: ``k·n_s`` for a segment's
    field (teachers.primary), ``k·Σ w_s·n_s`` for a school-wide resource, which a segment view
    splits by the national weights w_s, so that each view's per-student value rises by ``k·w_s``."""
    whole = handle.kind in ("count", "fact")
    # k·1.1 and k·1.32 are whole numbers for k a multiple of 50
    k: Any = 50 * data.draw(st.integers(1, 3), label="k") if whole else Decimal(data.draw(st.integers(1, 200), label="k")) / 10
    segment = _segment_of(handle.name)
    for record in records:
        if not is_number(record.get(handle.name)):
            continue
        if segment is not None:
            base: Any = record.get(f"students.{segment}", 0)
        else:
            base = sum((NATIONAL_SEGMENT_WEIGHTS[s] * record.get(f"students.{s}", 0) for s in SEGMENTS), Decimal(0))
        increase = k * base
        record[handle.name] = record[handle.name] + (int(increase) if whole else increase)
    return moved, f"{handle.name} + {k} per (weighted) student in every {handle.level}"


def _step(old: Any, handle: Handle, record: Mapping[str, Any], data: st.DataObject) -> Any:
    kind = handle.kind
    percent = data.draw(st.integers(1, 100), label="step %")
    if kind in ("count", "fact"):
        delta: Any = max(1, old * percent // 100)
    else:
        delta = max(Decimal("0.0001"), Decimal(old) * percent / 100) if old else Decimal(percent) / 100
    new = old + delta if handle.better > 0 else old - delta
    low: Any = handle.lowest
    high: Any = None
    rng, _ = plausible_range(handle.level, handle.name, kind)
    if rng.part_of and is_number(record.get(rng.part_of)):
        high = record[rng.part_of]  # a part stays within its whole
    for name, value in record.items():  # a whole stays above its parts
        part_range, _ = plausible_range(handle.level, name, "count")
        if part_range.part_of == handle.name and is_number(value):
            low = max(low, value)
    if kind == "rate":
        high = Decimal(1) if high is None else min(high, Decimal(1))
    if handle.upper is not None:
        high = handle.upper if high is None else min(high, handle.upper)
    if high is not None:
        new = min(new, high)
    new = max(new, low)
    if kind in ("count", "fact"):
        return int(new)
    return Decimal(new).quantize(Decimal("0.0001"), rounding=decimal.ROUND_HALF_UP) if kind == "rate" else new


def _worse(before: Any, after: Any, direction: int, tolerance: Decimal) -> bool:
    if not (is_number(before) and is_number(after)):
        return False
    slack = tolerance * max(Decimal(1), abs(Decimal(before)))
    return (Decimal(after) - Decimal(before)) * direction < -slack


def compare_monotone(base: Evaluation, after: Evaluation, *, scaled: bool) -> list[str]:
    """What got worse between two evaluations, in evaluation order: directed values that moved the
    wrong way, checks that stopped being met, points, the score, the grade, gates and vetoes."""
    tolerance = SCALE_TOLERANCE if scaled else Decimal(0)
    std = base.standard
    problems: list[str] = []
    for iid in std.order:
        ind = std.indicators[iid]
        b, a = base.indicators[iid], after.indicators[iid]
        direction = ind.direction and (1 if ind.direction == "higher" else -1)
        pairs = [("", b.county, a.county)] if b.county is not None else [
            (f" of {uid}", b.units[uid], a.units.get(uid)) for uid in b.units]
        for unit, rb, ra in pairs:
            if ra is None or rb is None:
                continue
            if direction and _worse(rb.value, ra.value, direction, tolerance):
                problems.append(f"indicator {iid}{unit} ({ind.direction} is better) went from {rb.value} to {ra.value}")
            ordered = ind.check is None or ind.check.op not in ("==", "!=") or isinstance(rb.value, bool)
            if rb.met is True and ra.met is False and ordered and not _within(rb.value, ra.value, tolerance):
                problems.append(f"indicator {iid}{unit} was met ({rb.value}) and is not any more ({ra.value})")
        if b.points is not None and a.points is not None and _worse(b.points, a.points, 1, tolerance):
            problems.append(f"indicator {iid} points fell from {b.points} to {a.points}")
    for aid in std.areas:
        if _worse(base.areas[aid].points, after.areas[aid].points, 1, tolerance):
            problems.append(f"area {aid} points fell from {base.areas[aid].points} to {after.areas[aid].points}")
    if _worse(base.score, after.score, 1, tolerance):
        problems.append(f"the score fell from {base.score} to {after.score}")
    if _rank(after, after.grade) > _rank(base, base.grade):
        problems.append(f"the grade fell from {base.grade} to {after.grade}")
    for rid, rule in base.rules.items():
        if not rule.failed and after.rules[rid].failed:
            problems.append(f"{rule.rule.kind} {rid} passed and now fails")
    return problems


def _within(before: Any, after: Any, tolerance: Decimal) -> bool:
    """For scaled moves: a check flipping on a value that moved only in its last digits."""
    if not tolerance or not (is_number(before) and is_number(after)):
        return False
    return abs(Decimal(after) - Decimal(before)) <= tolerance * max(Decimal(1), abs(Decimal(before)))


#: The suite: name → (what it claims, the body run on each generated example).
PROPERTIES: dict[str, tuple[str, Callable[[m.Standard, st.DataObject], None]]] = {
    "determinism": ("the same submission gives byte-identical canonical JSON, whatever the caller's decimal context", prop_determinism),
    "unit_order": ("the order schools and townships are listed in never changes the result", prop_unit_order),
    "monotonicity": ("moving an input the better way never lowers a score, points, a met check or the grade", prop_monotonicity),
    "vetoes_never_raise": ("gates and vetoes only lower the grade the score reaches, and applied caps hold", prop_vetoes_never_raise),
    "score_bounds": ("the score, each area's and each item's points lie in [0, max]", prop_score_bounds),
    "canonical_round_trip": ("result, submission and standard content survive canonical JSON unchanged", prop_canonical_round_trip),
}


# ==================================================================================================
# Running the suite
# ==================================================================================================

@attrs.frozen
class PropertyReport:
    name: str
    claim: str
    passed: bool
    examples: int
    message: str = ""
    example: Mapping[str, Any] | None = attrs.field(default=None, repr=False)
    note: str = ""


def run_property(standard: m.Standard, name: str, *, max_examples: int | None = None, seed: int | None = None,
                 quiet: bool = False, database: bool = True, shrink: bool = True) -> PropertyReport:
    """Run one property; a failure is returned (shrunk by hypothesis unless ``shrink`` is off), not raised."""
    claim, body = PROPERTIES[name]
    count = [0]

    def test(data: st.DataObject) -> None:
        count[0] += 1
        _LAST.clear()
        try:
            body(standard, data)
        except PropertyFailure:
            raise
        except Exception as exc:  # an escaping exception is a finding too: the kernel must never crash
            where = traceback.extract_tb(exc.__traceback__)[-1]
            raise PropertyFailure(f"{type(exc).__name__} escaped the kernel ({Path(where.filename).name}:{where.lineno} "
                                  f"in {where.name}): {exc}", _LAST[0] if _LAST else None) from None

    options: dict[str, Any] = {
        "deadline": None, "report_multiple_bugs": False, "derandomize": seed is None and not database,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                                  HealthCheck.large_base_example],
    }
    if max_examples is not None:
        options["max_examples"] = max_examples
    if quiet:
        options["verbosity"] = Verbosity.quiet
    if not database:
        options["database"] = None
    if not shrink:
        options["phases"] = [hypothesis.Phase.explicit, hypothesis.Phase.reuse, hypothesis.Phase.generate]
    runner = settings(**options)(given(st.data())(test))
    if seed is not None:
        runner = hypothesis.seed(seed)(runner)
    note = _note(standard, name)
    try:
        runner()
    except PropertyFailure as failure:
        return PropertyReport(name, claim, False, count[0], str(failure), failure.example, note)
    return PropertyReport(name, claim, True, count[0], note=note)


def _note(standard: m.Standard, name: str) -> str:
    if name != "monotonicity":
        return ""
    moved, uncovered = handles(standard)
    if not moved:
        return "vacuous: no input has a direction"
    fields = {(h.level, h.name) for h in moved}
    every = {(h.level, h.name) for h in moved if h.move != "one"}
    text = f"{len(fields)} inputs moved ({len(every)} in every unit at once: scaled, and shifted per student)"
    if uncovered:
        text += "; not covered: " + "; ".join(f"{u.name} ({u.reason})" for u in uncovered)
    return text


def check_properties(standard: m.Standard, *, names: Iterable[str] | None = None, max_examples: int | None = None,
                     seed: int | None = None, quiet: bool = True, database: bool = False,
                     shrink: bool = True) -> list[PropertyReport]:
    """Run the suite (or the named properties) on ``standard``; one report per property."""
    chosen = list(names) if names is not None else list(PROPERTIES)
    unknown = [n for n in chosen if n not in PROPERTIES]
    if unknown:
        raise KernelError(f"unknown property {unknown[0]!r}", hint="properties: " + ", ".join(PROPERTIES))
    return [run_property(standard, n, max_examples=max_examples, seed=seed, quiet=quiet, database=database,
                         shrink=shrink) for n in chosen]


def load(ref: str | Path | m.Standard) -> m.Standard:
    """A standard by object, path, ``id@edition`` or ``id`` (the only edition, or the latest)."""
    if isinstance(ref, m.Standard):
        return ref
    from ..kernel.registry import default_registry

    registry = default_registry()
    text = str(ref)
    if text.endswith((".toml", ".json")) or Path(text).is_file():
        return registry.load_path(text)
    if "@" in text:
        return registry.get(text)
    editions = [k for k in registry.keys() if k.partition("@")[0] == text]
    if not editions:
        return registry.resolve(text, None)  # raises the registry's own "not found" message
    standards = [registry.get(k) for k in editions]
    return max(standards, key=lambda s: s.effective_from)


def property_tests(ref: str | Path | m.Standard, *, max_examples: int | None = None) -> Callable[..., None]:
    """A pytest test function, parametrized with one item per property of the suite::

        test_properties = property_tests("provinces/lingnan/county-education-2024.toml")
    """
    import pytest

    @pytest.mark.parametrize("property_name", list(PROPERTIES))
    def test_property(property_name: str) -> None:
        standard = load(ref)
        report = run_property(standard, property_name, max_examples=max_examples)
        if not report.passed:
            pytest.fail(format_failure(standard, report), pytrace=False)

    return test_property


def format_failure(standard: m.Standard, report: PropertyReport) -> str:
    """A failed property: the claim, what broke, and the (shrunk) submission as TOML."""
    from ..intake.tables import dump_submission

    lines = [f"{standard.key}: property {report.name} does not hold: {report.claim}", report.message]
    if report.example is not None:
        lines += ["falsifying submission (save it and run standards-kernel evaluate on it):",
                  dump_submission(report.example)]
    return "\n".join(lines)
