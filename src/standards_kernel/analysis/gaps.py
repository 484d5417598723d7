"""Gap analysis (整改清单): what must change, by how much, for every failed rule and lost point.

For every failed gate, triggered veto and scored item below its full points, the analysis says
what the indicator must become (the *target*) and, where the data can close the gap, the change of
one input that clears it by itself (a *fix*): "the D-class area must fall from 45584 m² to at most
8436.27 m²; or the total floor area must rise to at least 4558400/3 m²". Where data cannot close
a gap it says so: points the panel awards, an event a veto reads, a level the panel judges.

How a fix is found: the indicator's formula is read as a function of one input at a time, the
others held at their submitted values. When that function is a ratio of two linear functions
(``a / b``, ``x * 100 / students``, a mean of difference coefficients …) the boundary is solved
exactly with fractions; anything else (``if``, ``round``, plugin functions) is reported as not
computed rather than guessed. Difference coefficients list the schools that contribute most to
the dispersion and how far each is from the county mean; k-of-n rules list the items a school
misses and how many it must recover. Arithmetic is exact (``fractions.Fraction``); JSON carries a
decimal rounded *toward the side that clears the gap* plus the exact fraction when the decimal
does not terminate; reports round only for display.

:func:`analyse` gives the gaps; :mod:`standards_kernel.analysis.plan` searches the smallest set of
repairs that lifts the grade.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Literal, Mapping, Sequence

import attrs

from ..kernel import aggregation as agg
from ..kernel import model as m
from ..errors import KernelError
from ..kernel.evaluate import Evaluation, IndicatorResult, Reading, UnitView
from ..kernel.expressions import Node
from ..kernel.numbers import KERNEL_CONTEXT, canonical, is_number
from ..kernel.vocabulary import coerce
from ..kernel.vocabulary import lookup as vocabulary_lookup

Closable = Literal["data", "fact", "panel", "level", "event", "not_computed"]
#: How many contributors to a difference coefficient a gap lists (largest first).
TOP_CONTRIBUTORS = 10
_NEGATE = {"<=": ">", "<": ">=", ">=": "<", ">": "<=", "==": "!=", "!=": "=="}
_MIRROR = {"<=": ">=", "<": ">", ">=": "<=", ">": "<", "==": "==", "!=": "!="}
_CLOSABLE_ORDER = ("data", "fact", "level", "panel", "not_computed", "event")  # worst last


# ---------------------------------------------------------------------------------------------
# the model


@attrs.frozen
class Fix:
    """One change of one quantity that, by itself, makes a target hold.

    ``name`` is a submission field (for a school or township: ``unit`` is its id) or, for
    ``kind == "indicator"``, another indicator the formula reads; then ``then`` lists the inputs
    that move it and ``detail`` how it can be moved (e.g. the contributors to a CV).
    """

    name: str
    kind: Literal["input", "indicator"]
    unit: str | None
    current: Fraction
    relation: str  # the quantity must be <relation> required
    required: Fraction
    whole: int | None = None  # counts: the nearest whole number that satisfies the relation
    problem: str = ""  # why it cannot be done: "negative", "above_one", "no_solution"
    share: Fraction | None = None  # segment views: this school's share of a split resource
    measure: str = ""  # the field's unit (m², 人 …)
    type: str = ""  # the field's type in the vocabulary: count, amount, rate …
    detail: Mapping[str, Any] = attrs.field(factory=dict)
    then: tuple["Fix", ...] = ()

    @property
    def reachable(self) -> bool:
        return not self.problem

    @property
    def target(self) -> Fraction:
        return Fraction(self.whole) if self.whole is not None else self.required

    @property
    def change(self) -> Fraction:
        return self.target - self.current


@attrs.frozen
class Target:
    """What one indicator (of the county, or of one school or township) must become."""

    indicator: str
    unit: str | None
    value: Any  # the current value (Decimal, int, bool or text)
    relation: str  # the indicator must be <relation> required
    required: Any  # Fraction for numbers; bool / text for facts; None when unknown
    fixes: tuple[Fix, ...] = ()  # alternatives: any one reachable fix clears the target
    parts: tuple["Target", ...] = ()  # units or items of which ``needed`` must be cleared
    needed: int | None = None  # how many parts must be cleared (None: all of them)
    floor: tuple["Target", ...] = ()  # k-of-n: missed items below the floor, to lift to it
    closable: Closable = "data"
    note: str = ""  # "published": the value is a published figure; "rounded": see the indicator
    counts: tuple[str, ...] = ()  # published rate: the counts a number of pupils would need
    field: str | None = None  # a fact or a panel's points: the submission field that holds it
    detail: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Gap:
    """A failed gate, a triggered veto, or a scored item below its full points."""

    id: str  # vetoes.<id>, gates.<id>, points.<indicator id>
    kind: Literal["veto", "gate", "points"]
    indicator: str
    closable: Closable
    targets: tuple[Target, ...] = ()
    effect: str | None = None
    grade: str | None = None
    applied: bool | None = None
    lowers_grade: bool = False
    points: Decimal | None = None
    max: Decimal | None = None
    reason: str = ""


# ---------------------------------------------------------------------------------------------
# exact numbers


def frac(value: Any) -> Fraction:
    """An exact fraction from a kernel number (Decimal or int)."""
    if not is_number(value):
        raise _Unsolvable(f"not a number: {value!r}")
    return Fraction(value)


def _terminates(fr: Fraction) -> bool:
    den = fr.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return den == 1


def number_text(fr: Fraction, rounding: str = decimal.ROUND_HALF_EVEN) -> tuple[str, str | None]:
    """``(decimal text, exact "p/q" or None)``: the decimal is exact when the fraction terminates,
    else 28 significant digits rounded with ``rounding`` (toward the side that clears a gap)."""
    if _terminates(fr):
        places = 0
        while (fr * 10**places).denominator != 1:
            places += 1
        return canonical(Decimal(int(fr * 10**places)).scaleb(-places)), None
    context = KERNEL_CONTEXT.copy()
    context.rounding = rounding
    return canonical(context.divide(Decimal(fr.numerator), Decimal(fr.denominator))), f"{fr.numerator}/{fr.denominator}"


def toward(relation: str) -> str:
    """The rounding that keeps a bound true: up for "at least", down for "at most"."""
    return decimal.ROUND_CEILING if relation in (">=", ">") else decimal.ROUND_FLOOR if relation in ("<=", "<") else decimal.ROUND_HALF_EVEN


def satisfies(value: Fraction, relation: str, bound: Fraction) -> bool:
    return {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound,
            "==": value == bound, "!=": value != bound}[relation]


# ---------------------------------------------------------------------------------------------
# formulas as ratios of linear functions of one variable


class _Unsolvable(Exception):
    """The formula is not a ratio of linear functions of the variable (or reads a non-number)."""


Poly = tuple[Fraction, ...]  # coefficients, lowest degree first
_MAX_DEGREE = 4


def _trim(p: Sequence[Fraction]) -> Poly:
    items = list(p)
    while len(items) > 1 and items[-1] == 0:
        items.pop()
    return tuple(items) or (Fraction(0),)


def _padd(p: Poly, q: Poly, sign: int = 1) -> Poly:
    n = max(len(p), len(q))
    return _trim([(p[i] if i < len(p) else 0) + sign * (q[i] if i < len(q) else 0) for i in range(n)])


def _pmul(p: Poly, q: Poly) -> Poly:
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    result = _trim(out)
    if len(result) - 1 > _MAX_DEGREE:
        raise _Unsolvable("degree too high")
    return result


def _mentions(node: Node, name: str) -> bool:
    if node.kind == "name":
        return node.value == name
    return any(_mentions(arg, name) for arg in node.args)


def _constant(node: Node, values: Mapping[str, Any]) -> Fraction:
    """A sub-formula that does not read the variable, evaluated exactly."""
    if node.kind == "call" and node.value in ("min", "max", "abs"):
        args = [_constant(arg, values) for arg in node.args]
        return {"min": min, "max": max, "abs": lambda x: abs(x)}[node.value](*args)  # type: ignore[operator,index]
    num, den = _ratio(node, "", values)
    if len(num) > 1 or len(den) > 1 or den[0] == 0:
        raise _Unsolvable("not a constant")
    return num[0] / den[0]


def _ratio(node: Node, var: str, values: Mapping[str, Any]) -> tuple[Poly, Poly]:
    """The sub-formula as ``num(x) / den(x)`` with exact coefficients."""
    one = (Fraction(1),)
    if node.kind == "literal":
        return (frac(node.value),), one
    if node.kind == "name":
        if node.value == var:
            return (Fraction(0), Fraction(1)), one
        if node.value not in values:
            raise _Unsolvable(f"{node.value} was not read")
        return (frac(values[node.value]),), one  # type: ignore[index]
    if node.kind == "call":
        if var and _mentions(node, var):
            raise _Unsolvable(f"{node.value}() of the variable")
        return (_constant(node, values),), one
    op = node.value
    if op == "pos":
        return _ratio(node.args[0], var, values)
    if op == "neg":
        num, den = _ratio(node.args[0], var, values)
        return tuple(-c for c in num), den
    if op not in ("+", "-", "*", "/"):
        raise _Unsolvable(f"operator {op}")
    (n1, d1), (n2, d2) = _ratio(node.args[0], var, values), _ratio(node.args[1], var, values)
    if op in ("+", "-"):
        if d1 == d2:
            return _padd(n1, n2, 1 if op == "+" else -1), d1
        return _padd(_pmul(n1, d2), _pmul(n2, d1), 1 if op == "+" else -1), _pmul(d1, d2)
    if op == "*":
        return _pmul(n1, n2), _pmul(d1, d2)
    if n2 == (Fraction(0),):
        raise _Unsolvable("division by zero")
    return _pmul(n1, d2), _pmul(d1, n2)


@attrs.frozen
class Solution:
    """``variable <relation> required`` makes ``formula <op> limit`` hold (the others fixed)."""

    relation: str
    required: Fraction
    numerator: bool  # the variable is in the numerator only (the measured quantity, not the base)


def solve(tree: Node, var: str, values: Mapping[str, Any], op: str, limit: Fraction) -> Solution | None:
    """Solve ``formula(var) <op> limit`` for ``var``, the other names at ``values``.

    None when the formula is not a ratio of linear functions of ``var``, does not depend on it,
    or cannot reach the limit on the branch where the current value lies.
    """
    if op not in ("<", "<=", ">", ">=", "=="):
        return None
    try:
        num, den = _ratio(tree, var, values)
    except (_Unsolvable, ZeroDivisionError):
        return None
    if len(num) > 2 or len(den) > 2:
        return None
    b, a = num[0], (num[1] if len(num) > 1 else Fraction(0))
    d, c = den[0], (den[1] if len(den) > 1 else Fraction(0))
    slope = a * d - b * c  # the sign of the derivative, on either side of a pole
    if slope == 0 or a - limit * c == 0:
        return None
    required = (limit * d - b) / (a - limit * c)
    current = frac(values[var])
    if c != 0:
        pole = -d / c
        if (current - pole) * (required - pole) <= 0:
            return None  # the limit lies beyond a pole: not reachable by moving this value
    if op == "==":
        relation = "=="
    else:
        smaller = op in ("<", "<=")  # the formula must become small enough
        rising = slope > 0
        relation = ("<" if rising == smaller else ">") + ("=" if op.endswith("=") else "")
    if satisfies(current, relation, required):
        return None  # already on the good side: the failure comes from elsewhere (rounding)
    return Solution(relation, required, numerator=c == 0)


# ---------------------------------------------------------------------------------------------
# the analysis


def analyse(evaluation: Evaluation) -> tuple[Gap, ...]:
    """Every gap of ``evaluation``, the grade-lowering rules first, then other failed rules, then
    items below their full points (largest shortfall first)."""
    with decimal.localcontext(KERNEL_CONTEXT):
        return _Analysis(evaluation).gaps()


def _own_typed_values(values: Mapping[str, Any], std: m.Standard, level: str) -> dict[str, Any]:
    """Values with the standard's own inputs typed by their declarations, as the evaluation reads
    them: a submission keeps them as given (text after a canonical round trip), not knowing the standard."""
    own = {n: s for n, s in std.inputs.items() if s.level == level}
    return {n: coerce(own[n], v, where=n) if n in own else v for n, v in values.items()}


def _own_typed(unit: Any, std: m.Standard, level: str) -> Any:
    return attrs.evolve(unit, values=_own_typed_values(unit.values, std, level))


class _Analysis:
    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.std = ev.standard
        self.lowering = {r.rule.id for r in ev.lowered_by}
        self.views: dict[str, dict[str, UnitView]] = {s: {v.id: v for v in vs} for s, vs in ev.units.items()}
        self.raw_units = {("schools", u.id): _own_typed(u, self.std, "school") for u in ev.submission.schools}
        self.raw_units.update({("townships", u.id): _own_typed(u, self.std, "township") for u in ev.submission.townships})

    def gaps(self) -> tuple[Gap, ...]:
        found: list[tuple[tuple[Any, ...], Gap]] = []
        for rid, r in sorted(self.ev.rules.items()):
            if not r.failed:
                continue
            gap = self.guard(lambda r=r: self.rule_gap(r), f"{_table(r.rule)}.{rid}", r.rule.kind, r.rule.indicator)
            rank = 0 if rid in self.lowering else (1 if r.rule.effect != "none" else 2)
            found.append(((rank, gap.id), gap))
        for iid, res in sorted(self.ev.indicators.items()):
            s = res.indicator.scoring
            if s is None or res.points is None or res.points >= s.max:
                continue
            gap = self.guard(lambda res=res: self.points_gap(res), f"points.{iid}", "points", iid)
            found.append(((3, -(s.max - res.points), gap.id), gap))
        return tuple(g for _, g in sorted(found, key=lambda item: item[0]))

    def guard(self, build: Callable[[], Gap], gid: str, kind: str, indicator: str) -> Gap:
        """One gap that cannot be analysed must not cost the county its result."""
        try:
            return build()
        except (KernelError, ArithmeticError, _Unsolvable, KeyError) as error:
            return Gap(gid, kind, indicator, "not_computed", reason=f"analysis failed: {error}")  # type: ignore[arg-type]

    # -- rules and points ---------------------------------------------------------------------

    def rule_gap(self, r: Any) -> Gap:
        rule = r.rule
        res = self.ev.indicators[rule.indicator]
        targets = []
        if res.county is not None:
            targets.append(self.check_target(res, None, res.county))
        else:
            for uid in r.failed_units:
                targets.append(self.check_target(res, uid, res.units[uid]))
        closable = _worst(t.closable for t in targets)
        if closable == "fact" and rule.kind == "veto":
            closable = "event"  # a veto reads something that happened: data cannot undo it
        return Gap(
            id=f"{_table(rule)}.{rule.id}", kind=rule.kind, indicator=rule.indicator, closable=closable,
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
        if _mentions(left, "value") and not _mentions(right, "value") and left.kind == "name":
            op, other = str(tree.value), right
        elif _mentions(right, "value") and not _mentions(left, "value") and right.kind == "name":
            op, other = _MIRROR[str(tree.value)], left
        else:
            return None
        try:
            bound = _constant(other, self.county_names())
        except (_Unsolvable, ZeroDivisionError):
            return None
        return _NEGATE[op], bound

    def county_names(self) -> dict[str, Any]:
        names: dict[str, Any] = dict(_own_typed_values(self.ev.submission.data, self.std, "county"))
        names.update({pid: d.value for pid, (_, d) in self.ev.parameters.items()})
        names.update({iid: r.county.value for iid, r in self.ev.indicators.items() if r.county is not None})
        return names

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
        fixes = []
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
                fixes.append((not solution.numerator, _effort(fix), fix.name, fix))
        ordered = tuple(f for *_, f in sorted(fixes, key=lambda item: item[:3]))
        closable: Closable = "data" if any(f.reachable for f in ordered) else "not_computed"
        return Target(fixes=ordered, closable=closable, note=note or ("" if ordered else "no_closed_form"), **base)

    def is_input(self, name: str, ind: m.Indicator) -> bool:
        return name not in self.std.parameters and name not in self.std.indicators and name not in ("share", "segment")

    def input_fix(self, name: str, level: str, unit: str | None, current: Any, solution: Solution) -> Fix | None:
        """The change of one submitted field; unit-level names are mapped back to the record."""
        if unit is None:
            spec = vocabulary_lookup("county", name, self.std.inputs)
            return _bounded_fix(name, None, frac(current), solution, spec)
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
        return _bounded_fix(raw_name, unit, frac(raw.values[raw_name]), solution, spec, share)

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
            return (f"students.{segment}" if share == 1 else None), None
        if name in agg.SPLIT_RESOURCES:
            return name, (share if share != 1 else None)
        if f"{name}.{segment}" in raw.values:
            return f"{name}.{segment}", None
        return name, None

    def aggregate_target(self, ind: m.Indicator, reading: Reading, relation: str, required: Fraction,
                         base: dict[str, Any], depth: int) -> Target:
        spec = ind.aggregate
        assert spec is not None
        if spec.function == "cv":
            detail = self.cv_detail(ind, relation, required, depth)
            return Target(closable="data", detail=detail, **base)
        if spec.function in ("min", "max"):
            source = self.ev.indicators.get(spec.of)
            parts = []
            for view in self.ev.units.get(spec.over, ()):
                if source is not None and spec.of in self.std.indicators:
                    unit_reading = source.units[view.id]
                    if is_number(unit_reading.value) and not satisfies(frac(unit_reading.value), relation, required):
                        parts.append(self.target(source.indicator, view.id, unit_reading, relation, required, depth + 1))
                elif is_number(view.fields.get(spec.of)) and not satisfies(frac(view.fields[spec.of]), relation, required):
                    fix = self.input_fix(spec.of, spec.over, view.id, view.fields[spec.of], Solution(relation, required, True))
                    value = view.fields[spec.of]
                    parts.append(Target(spec.of, view.id, value, relation, required, fixes=(fix,) if fix else (),
                                        closable="data" if fix else "not_computed"))
            closable = _worst(p.closable for p in parts) if parts else "not_computed"
            return Target(parts=tuple(parts), closable=closable, **base)
        if spec.function in ("count_met", "share_met"):
            return self.units_met_target(ind, reading, base, depth)
        return Target(closable="not_computed", note="aggregate", **base)

    def units_met_target(self, ind: m.Indicator, reading: Reading, base: dict[str, Any], depth: int) -> Target:
        """all_met / count_met / share_met: the failing units, and how many must come to meet."""
        spec = ind.aggregate
        assert spec is not None
        source = self.ev.indicators[spec.of]
        failing = sorted(uid for uid, r in source.units.items() if r.met is False)
        parts = [self.check_target(source, uid, source.units[uid]) for uid in failing]
        parts.sort(key=lambda t: (_target_effort(t), t.unit or ""))
        needed = None
        if spec.function != "all_met" and isinstance(base["required"], Fraction):
            total = len(source.units)
            met = total - len(failing)
            bound = base["required"] * (total if spec.function == "share_met" else 1)
            least = _least_whole(base["relation"], bound)
            if least is None:
                return Target(parts=tuple(parts), closable="not_computed", note="aggregate", **base)
            needed = max(0, least - met)
        closable = _worst(p.closable for p in parts) if parts else "not_computed"
        return Target(parts=tuple(parts), needed=needed, closable=closable, **base)

    def k_of_n_target(self, ind: m.Indicator, unit: str, base: dict[str, Any]) -> Target:
        """A unit failing k of n: the items it misses (it must recover ``needed`` of them) and
        the missed items below the floor (each must at least reach the floor)."""
        spec = ind.k_of_n
        assert spec is not None
        parts, floors, met = [], [], 0
        for name in spec.of:
            res = self.ev.indicators[name]
            sub = res.indicator
            reading = res.units[unit]
            assert sub.check is not None
            higher = sub.check.op in (">", ">=")
            value, limit = frac(reading.value), frac(reading.limit)
            if (value >= limit) if higher else (value <= limit):
                met += 1
                continue
            parts.append(self.target(sub, unit, reading, ">=" if higher else "<=", limit, 1))
            if spec.floor is not None:
                floor = frac(spec.floor)
                bound = floor * limit if higher else limit / floor
                if (value < bound) if higher else (value > bound):
                    floors.append(self.target(sub, unit, reading, ">=" if higher else "<=", bound, 1))
        parts.sort(key=lambda t: (_target_effort(t), t.indicator))
        closable = _worst([p.closable for p in parts] + [f.closable for f in floors]) if parts else "not_computed"
        detail = {"k": spec.k, "n": len(spec.of), "met": met}
        if spec.floor is not None:
            detail["floor"] = spec.floor
        return Target(parts=tuple(parts), needed=max(0, spec.k - met), floor=tuple(floors), closable=closable,
                      detail=detail, **base)

    def cv_detail(self, ind: m.Indicator, relation: str, required: Fraction, depth: int) -> dict[str, Any]:
        """Who makes the difference coefficient: each unit's share of the weighted variance,
        ``(P_i/P)(X_i − X̄)²``, and how far it lies from the county mean ``X̄``."""
        spec = ind.aggregate
        assert spec is not None and spec.weight is not None
        views = self.ev.units.get(spec.over, ())
        source = self.ev.indicators.get(spec.of) if spec.of in self.std.indicators else None

        def unit_value(view: UnitView, name: str) -> Any:
            if name in self.std.indicators:
                return self.ev.indicators[name].units[view.id].value
            return view.fields.get(name)

        rows = []
        for view in views:
            x, w = unit_value(view, spec.of), unit_value(view, spec.weight)
            if is_number(x) and is_number(w) and w > 0:
                rows.append((view.id, Decimal(x), Decimal(w)))
        res = self.ev.indicators[ind.id]
        total = sum(sorted(w for _, _, w in rows), Decimal(0))
        if not rows or total == 0 or "mean" not in res.detail:
            return {"units": len(rows)}
        mean = Decimal(res.detail["mean"])
        contributions = [(uid, x, w, w / total * (x - mean) ** 2) for uid, x, w in rows]
        variance = sum(sorted(c for *_, c in contributions), Decimal(0))
        contributions.sort(key=lambda row: (-row[3], row[0]))
        listed = []
        for uid, x, w, c in contributions[:TOP_CONTRIBUTORS]:
            row: dict[str, Any] = {
                "unit": uid, "value": x, "weight": w, "contribution": c,
                "share_of_variance": (c / variance) if variance else Decimal(0), "from_mean": x - mean,
            }
            if source is not None and x < mean and depth < 2:
                target = self.target(source.indicator, uid, source.units[uid], ">=", frac(mean), depth + 1)
                reachable = [f for f in target.fixes if f.reachable]
                if reachable:
                    row["fix"] = reachable[0]
            listed.append(row)
        detail: dict[str, Any] = {
            "mean": mean, "sd": Decimal(res.detail.get("sd", 0)), "units": len(rows),
            "contributors": listed, "total_weight": total,
        }
        if relation in ("<=", "<") and required >= 0:
            detail["sd_required"] = required * frac(mean)  # holding the county mean where it is
        return detail


# ---------------------------------------------------------------------------------------------
# helpers


def _table(rule: m.Rule) -> str:
    return "vetoes" if rule.kind == "veto" else "gates"


def _worst(values: Any) -> Closable:
    items = list(values)
    if not items:
        return "not_computed"
    return max(items, key=_CLOSABLE_ORDER.index)


def _least_whole(relation: str, bound: Fraction) -> int | None:
    """The smallest whole number ``n`` with ``n <relation> bound`` (for "at least" relations)."""
    if relation == ">=":
        return -((-bound.numerator) // bound.denominator)
    if relation == ">":
        return bound.numerator // bound.denominator + 1
    return None


def _bounded_fix(name: str, unit: str | None, current: Fraction, solution: Solution, spec: m.InputSpec | None,
                 share: Fraction | None = None) -> Fix:
    """A fix with the field's own limits: counts are whole, nothing is negative, rates ≤ 100%."""
    relation, required = solution.relation, solution.required
    whole = None
    kind = spec.type if spec is not None else "decimal"
    problem = ""
    if kind in ("count", "fact"):
        if relation in (">=", ">"):
            whole = _least_whole(relation, required)
        elif relation in ("<=", "<"):
            whole = required.numerator // required.denominator
            if relation == "<" and Fraction(whole) == required:
                whole -= 1
        elif required.denominator == 1:
            whole = int(required)
        else:
            problem = "no_solution"
    lowest = whole if whole is not None else required
    if kind in ("count", "amount", "rate", "points", "fact"):
        if (relation in ("<=", "==") and lowest < 0) or (relation == "<" and (lowest < 0 if whole is not None else required <= 0)):
            problem = "negative"
        if kind == "rate" and relation in (">=", ">", "==") and (lowest > 1 or (relation == ">" and whole is None and required >= 1)):
            problem = "above_one"
    measure = spec.unit if spec is not None else ""
    return Fix(name, "input", unit, current, relation, required, whole, problem, share, measure, kind)


def _effort(fix: Fix) -> Fraction:
    """How big a change is, relative to the current value (unreachable: last)."""
    if not fix.reachable:
        return Fraction(10**9)
    if fix.current == 0:
        return Fraction(10**6) + abs(fix.change)
    return abs(fix.change / fix.current)


def _target_effort(target: Target) -> Fraction:
    reachable = [f for f in target.fixes if f.reachable]
    return _effort(reachable[0]) if reachable else Fraction(10**9)


# ---------------------------------------------------------------------------------------------
# canonical JSON


def gaps_to_data(gaps: Sequence[Gap]) -> list[dict[str, Any]]:
    """The gaps as plain JSON data: decimals as canonical text, fractions with their exact form."""
    return [_gap_data(g) for g in gaps]


def _gap_data(gap: Gap) -> dict[str, Any]:
    data: dict[str, Any] = {"id": gap.id, "kind": gap.kind, "indicator": gap.indicator, "closable": gap.closable,
                            "targets": [_target_data(t) for t in gap.targets]}
    if gap.kind != "points":
        data.update({"effect": gap.effect, "applied": gap.applied, "lowers_grade": gap.lowers_grade})
        if gap.grade:
            data["grade"] = gap.grade
    if gap.points is not None and gap.max is not None:
        data.update({"points": canonical(gap.points), "max": canonical(gap.max), "shortfall": canonical(gap.max - gap.points)})
    if gap.reason:
        data["reason"] = gap.reason
    return data


def _value(value: Any) -> Any:
    if isinstance(value, Fraction):
        return number_text(value)[0]
    if is_number(value):
        return canonical(value)
    return value


def _put(data: dict[str, Any], key: str, fr: Fraction, relation: str) -> None:
    text, exact = number_text(fr, toward(relation))
    data[key] = text
    if exact:
        data[f"{key}_exact"] = exact


def _target_data(t: Target) -> dict[str, Any]:
    data: dict[str, Any] = {"indicator": t.indicator, "value": _value(t.value), "relation": t.relation,
                            "closable": t.closable}
    if t.unit is not None:
        data["unit"] = t.unit
    if isinstance(t.required, Fraction):
        _put(data, "required", t.required, t.relation)
    elif t.required is not None:
        data["required"] = t.required
    if t.fixes:
        data["fixes"] = [_fix_data(f) for f in t.fixes]
    if t.parts:
        data["parts"] = [_target_data(p) for p in t.parts]
    if t.needed is not None:
        data["needed"] = t.needed
    if t.floor:
        data["floor"] = [_target_data(p) for p in t.floor]
    if t.note:
        data["note"] = t.note
    if t.counts:
        data["counts"] = list(t.counts)
    if t.field:
        data["field"] = t.field
    if t.detail:
        data["detail"] = _detail_data(t.detail, t.relation)
    return data


def _fix_data(f: Fix) -> dict[str, Any]:
    data: dict[str, Any] = {"name": f.name, "kind": f.kind, "current": _value(f.current), "relation": f.relation}
    if f.unit is not None:
        data["unit"] = f.unit
    _put(data, "required", f.required, f.relation)
    if f.whole is not None:
        data["whole"] = str(f.whole)
    _put(data, "change", f.change, f.relation)
    if f.problem:
        data["problem"] = f.problem
    if f.share is not None:
        data["share"] = _value(f.share)
    if f.measure:
        data["measure"] = f.measure
    if f.detail:
        data["detail"] = _detail_data(f.detail, f.relation)
    if f.then:
        data["then"] = [_fix_data(x) for x in f.then]
    return data


def _detail_data(detail: Mapping[str, Any], relation: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sorted(detail.items()):
        if key == "contributors":
            out[key] = [
                {k: (_fix_data(v) if isinstance(v, Fix) else _value(v)) for k, v in sorted(row.items())}
                for row in value
            ]
        elif key == "sd_required":
            _put(out, key, value, relation)
        else:
            out[key] = _value(value)
    return out
