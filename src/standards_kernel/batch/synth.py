"""Synthetic county submissions for any standard: deterministic, valid, with realistic spreads.

For benchmarks and demos only: every number here is invented. The generator reads the standard
(which inputs and school fields its indicators read, with their vocabulary types; the checks with
their limits in force on the date; panel maxima; levels; gates and vetoes) and builds counties:

1. a plan per county: how good its panel is, which gates fail and which vetoes trigger (about a
   quarter of counties fail a gate, about one in eight triggers a veto), whether each scored check
   is met;
2. schools of the usual kinds (primary, teaching points, junior, nine-year, complete middle) with
   enrolments, and every field the standard reads at a plausible per-student level (the table
   ``TYPICAL`` below, invented), townships when the standard reads them;
3. targets pushed down the indicator tree: a check to meet lands a little inside its limit, one to
   fail a little outside; a composite passes its target to its parts; a difference coefficient
   becomes the spread of the per-school values; ``all_met`` / ``share_met`` / ``k_of_n`` choose the
   schools that fail; and each target is reached by solving the indicator's formula for one of
   its inputs (students and school kinds are never changed).

The kernel stays the judge: a target is an aim, and what the evaluation finds is what counts.
Randomness comes from ``random.Random`` seeded with text (the same on every platform) and drawn as
integers; the noise is computed in Decimal, so the same seed gives the same bytes everywhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import functools
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TextIO

import attrs

from ..kernel import aggregation as agg
from ..kernel import model as m
from ..kernel.model import SEGMENTS
from ..errors import KernelError
from ..kernel.formats import content_json
from ..kernel.vocabulary import lookup as vocabulary_lookup

CTX = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)
NOISE = decimal.Context(prec=12, rounding=decimal.ROUND_HALF_EVEN)  # noise needs no more digits
SQRT3 = CTX.sqrt(Decimal(3))
ONE, ZERO = Decimal(1), Decimal(0)

#: School kinds drawn, with their weight and the enrolment range of each segment (invented).
KINDS: tuple[tuple[str, int, Mapping[str, tuple[int, int]]], ...] = (
    ("primary", 50, {"primary": (150, 1800)}),
    ("teaching_point", 8, {"primary": (12, 90)}),
    ("junior", 22, {"junior": (300, 2200)}),
    ("nine_year", 14, {"primary": (200, 1100), "junior": (120, 800)}),
    ("complete_middle", 6, {"junior": (300, 1400), "senior": (300, 1500)}),
)

#: Plausible levels, per student of the field's segment (or of the whole school/county when the
#: field has no segment), as ``(basis, value)``: ``per_student``, ``fixed`` or ``rate``. Invented
#: for synthetic data; they are not standards and no evaluation reads them.
TYPICAL: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "school": {
        "teaching_aux_area_m2": ("per_student", "5.5"), "sports_area_m2": ("per_student", "9"),
        "building_area_m2": ("per_student", "9"), "dilapidated_area_m2": ("per_student", "0.3"),
        "dilapidated_d_area_m2": ("per_student", "0.05"), "equipment_value_yuan": ("per_student", "2600"),
        "computers": ("per_student", "0.14"), "books": ("per_student", "32"),
        "multimedia_classrooms": ("per_student", "0.028"), "largest_class": ("fixed", "45"),
        "classes": ("per_student", "0.024"), "teachers": ("per_student", "0.065"),
        "teachers_above_required_qualification": ("per_student", "0.055"),
        "teachers_intermediate_title_or_above": ("per_student", "0.035"),
        "backbone_teachers": ("per_student", "0.012"), "pe_art_teachers": ("per_student", "0.011"),
        "dropouts": ("per_student", "0.002"), "students_start_of_year": ("per_student", "1"),
        "dropout_rate": ("rate", "0.003"),
    },
    "township": {
        "school_age_population": ("per_student", "1.02"), "enrolled": ("per_student", "1"),
        "enrolment_rate": ("rate", "0.99"),
    },
    "county": {
        "school_age_population": ("per_student", "1.02"), "enrolled": ("per_student", "1"),
        "disabled_school_age": ("per_student", "0.002"), "disabled_enrolled": ("per_student", "0.0019"),
        "dropouts": ("per_student", "0.002"), "students_start_of_year": ("per_student", "1"),
        "dropout_rate": ("rate", "0.003"), "satisfaction_surveyed": ("fixed", "1500"),
        "satisfaction_satisfied": ("fixed", "1380"), "satisfaction_rate": ("rate", "0.92"),
        "totals.building_area_m2": ("per_student", "9"), "totals.dilapidated_d_area_m2": ("per_student", "0.05"),
        "funding": ("per_student", "12000"),
    },
}
BY_TYPE = {"count": ("per_student", "0.05"), "amount": ("per_student", "100"), "rate": ("rate", "0.95"),
           "decimal": ("fixed", "1"), "points": ("fixed", "1")}
NUMERIC = ("count", "amount", "rate", "decimal", "points")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")


# --- numbers ----------------------------------------------------------------------------------


def uniform(rng: random.Random, low: Decimal | str, high: Decimal | str) -> Decimal:
    low, high = Decimal(low), Decimal(high)
    return CTX.add(low, CTX.multiply(high - low, Decimal(rng.randrange(1_000_000)) / 1_000_000))


def normal(rng: random.Random) -> Decimal:
    """About N(0, 1): four 16-bit uniforms of one draw, summed and scaled (Irwin–Hall), in Decimal."""
    bits = rng.getrandbits(64)
    total = sum((bits >> shift) & 0xFFFF for shift in (0, 16, 32, 48))
    return CTX.multiply(Decimal(total) / 65536 - 2, SQRT3)


@functools.lru_cache(maxsize=1024)
def _log_spread(cv: Decimal) -> tuple[Decimal, Decimal]:
    variance = CTX.ln(1 + cv * cv)
    return CTX.sqrt(variance), variance / 2


def spread(rng: random.Random, cv: Decimal) -> Decimal:
    """A log-normal factor of mean 1 whose coefficient of variation is ``cv``."""
    if cv <= 0:
        return ONE
    sigma, half = _log_spread(cv)
    return NOISE.exp(sigma * normal(rng) - half)


def chance(rng: random.Random, p: str) -> bool:
    return rng.randrange(1_000_000) < int(Decimal(p) * 1_000_000)


def quantize(value: Decimal, kind: str, rounding: str = decimal.ROUND_HALF_EVEN) -> Decimal | int:
    """An input value in the shape of its type: whole counts, cents, rates in [0, 1]."""
    value = max(value, ZERO)
    if kind in ("count", "fact"):
        return int(value.to_integral_value(rounding=rounding))
    if kind == "rate":
        return min(value, ONE).quantize(Decimal("0.0001"), rounding=rounding)
    if kind == "amount":
        return value.quantize(Decimal("0.01"), rounding=rounding)
    return value.quantize(Decimal("0.0001"), rounding=rounding)


def meets(value: Any, op: str, limit: Any) -> bool:
    try:
        a, b = Decimal(value), Decimal(limit)
    except (TypeError, decimal.InvalidOperation):
        return (value == limit) if op == "==" else (value != limit) if op == "!=" else False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]


# --- reading the standard ---------------------------------------------------------------------


def ordered_names(expr: m.Expression | None) -> list[str]:
    """The names of a formula in the order they appear in its text (a frozenset has no order)."""
    return [] if expr is None else list(_ordered_names(expr))


@functools.lru_cache(maxsize=4096)
def _ordered_names(expr: m.Expression) -> tuple[str, ...]:
    seen: list[str] = []
    for match in NAME.finditer(re.sub(r"'[^']*'", "", expr.text)):
        name = match.group(0)
        if name in expr.names and name not in seen:
            seen.append(name)
    return tuple(seen)


@attrs.frozen
class Target:
    """What one check should do in a county: its limit, and whether it is to be met."""

    op: str
    limit: Any
    met: bool
    higher: bool  # which side of the limit is better


class Synthesizer:
    """Generates county submissions for one standard on one date."""

    def __init__(self, standard: m.Standard, as_of: dt.date, seed: int, *, standard_ref: str | None = None) -> None:
        self.std = standard
        self.as_of = as_of
        self.seed = seed
        self.ref = standard_ref
        self.params: dict[str, Any] = {}
        for pid, parameter in standard.parameters.items():
            dated = parameter.at(as_of)
            if dated is not None:
                self.params[pid] = dated.value
        self.county_inputs: list[str] = []
        self.unit_fields: dict[str, list[str]] = {"school": [], "township": []}
        self._read_inputs()
        self.segments = sorted({u.segment for uid, u in standard.units.items() if u.segment and self._used(uid)},
                               key=SEGMENTS.index)
        self.uses_townships = bool(self.unit_fields["township"]) or any(
            u.base == "townships" for uid, u in standard.units.items() if self._used(uid)) or "township" in self.unit_fields["school"]

    # which inputs the standard reads -------------------------------------------------------------

    def _used(self, unit_set: str) -> bool:
        return any(i.level == unit_set for i in self.std.indicators.values()) or any(
            i.aggregate is not None and i.aggregate.over == unit_set for i in self.std.indicators.values())

    def _add(self, level: str, name: str) -> None:
        names = self.county_inputs if level == "county" else self.unit_fields[level]
        if name not in names:
            names.append(name)

    def _read_inputs(self) -> None:
        std = self.std
        for ind in std.indicators.values():
            names = ([ind.input] if ind.input else []) + ordered_names(ind.formula)
            names += ordered_names(ind.check.limit) if ind.check else []
            if ind.level == "county":
                if ind.scoring is not None and ind.scoring.when is not None:
                    names += [n for n in ordered_names(ind.scoring.when) if n != "value"]
                for name in names:
                    if name not in std.parameters and name not in std.indicators:
                        self._add("county", name)
                if ind.aggregate is not None:
                    for name in (ind.aggregate.of, ind.aggregate.weight):
                        if name and name not in std.indicators:
                            self._unit_field(ind.aggregate.over, name)
            else:
                for name in names:
                    if name not in std.parameters and name not in std.indicators:
                        self._unit_field(ind.level, name)
        for uid, unit_set in std.units.items():
            if self._used(uid):
                for name in ordered_names(unit_set.where):
                    if name not in std.parameters:
                        self._unit_field(uid, name)
        for grade in std.grades:
            for name in ordered_names(grade.min_score):
                if name not in std.parameters and name not in std.indicators:
                    self._add("county", name)

    def _unit_field(self, unit_set: str, name: str) -> None:
        u = self.std.units[unit_set]
        if u.base == "townships":
            self._add("township", name)
            return
        if name in ("share", "segment") or (u.segment is not None and name == "students"):
            return
        if u.segment is not None and vocabulary_lookup("school", f"{name}.{u.segment}") is not None:
            name = f"{name}.{u.segment}"
        if name not in ("id", "kind") and not name.startswith("students."):
            self._add("school", name)

    def spec(self, level: str, name: str) -> m.InputSpec | None:
        return vocabulary_lookup(level, name, self.std.inputs)

    # one county ----------------------------------------------------------------------------------

    def county(self, number: int, schools: int) -> dict[str, Any]:
        """County ``number`` (0-based) with ``schools`` schools, as submission data."""
        rng = random.Random(f"standards-kernel synth {self.seed} {self.std.key} {number}")
        with decimal.localcontext(CTX):  # the caller's decimal context must not change the data
            return _County(self, rng, number, schools).build()


def default_as_of(standard: m.Standard) -> dt.date:
    """A date the standard is in force on: a year after it starts, or its last day if sooner."""
    day = standard.effective_from + dt.timedelta(days=365)
    if standard.effective_until is not None and day > standard.effective_until:
        return standard.effective_until
    return day


class _County:
    """The making of one county (the plan, the schools, the targets)."""

    def __init__(self, synth: Synthesizer, rng: random.Random, number: int, schools: int) -> None:
        self.s = synth
        self.std = synth.std
        self.rng = rng
        self.number = number
        self.n_schools = schools
        self.code = f"{990000 + number + 1}" if number < 9999 else f"{10_000_000 + number + 1}"
        self.schools: list[dict[str, Any]] = []
        self.townships: list[dict[str, Any]] = []
        self.data: dict[str, Any] = {}
        self.targets: dict[str, Target] = {}  # county indicators: checks to meet or to fail
        self.values: dict[str, Decimal] = {}  # county indicators without a check: values to reach
        self.unit_fail: dict[str, int] = {}  # unit indicator → how many units fail it
        self.unit_cv: dict[str, Decimal] = {}  # unit indicator → spread of its values
        self.unit_level: dict[str, Decimal] = {}  # unit indicator → mean to aim at
        self.pinned: set[tuple[int, str]] = set()  # county inputs already solved for
        self.owner: dict[tuple[int, str], str] = {}  # (record, field) → the indicator it was solved for
        self.tasks: list[tuple[m.Indicator, dict[str, Any], m.UnitSet, Decimal, Target | None]] = []
        self.members: dict[str, list[int]] = {}

    def build(self) -> dict[str, Any]:
        self.panel = uniform(self.rng, "0.72", "1")  # how well the county's panel points go
        self.plan_rules()
        self.make_schools()
        self.make_townships()
        self.push_targets()
        self.reach_unit_targets()
        self.settle()
        self.make_county_data()
        evaluation: dict[str, Any] = {"as_of": self.s.as_of.isoformat(), "stage": "self"}
        if self.s.ref:
            evaluation["standard"] = self.s.ref
        submission: dict[str, Any] = {
            "county": {"code": self.code, "name": f"合成县{self.number + 1:04d}", "province": "synthetic"},
            "evaluation": evaluation,
            "data": self.data,
            "schools": self.schools,
        }
        if self.townships:
            submission["townships"] = self.townships
        return submission

    # the plan ------------------------------------------------------------------------------------

    def plan_rules(self) -> None:
        """Which rules this county breaks: a veto sometimes, a gate more often."""
        rules = sorted(self.std.rules.values(), key=lambda r: r.id)
        vetoes = [r for r in rules if r.kind == "veto" and r.effect != "none"]
        gates = [r for r in rules if r.kind == "gate" and r.effect != "none"]
        broken: set[str] = set()
        if vetoes and chance(self.rng, "0.12"):
            broken.add(self.rng.choice(vetoes).indicator)
        if gates and chance(self.rng, "0.25"):
            broken.add(self.rng.choice(gates).indicator)
            if chance(self.rng, "0.3"):
                broken.add(self.rng.choice(gates).indicator)
        for rule in rules:
            if rule.effect == "none" and chance(self.rng, "0.2"):
                broken.add(rule.indicator)
        self.broken = broken
        self.ruled = {r.indicator for r in rules}

    def is_met(self, ind: m.Indicator) -> bool:
        if ind.id in self.ruled:
            return ind.id not in self.broken
        return chance(self.rng, "0.75")

    def target_for(self, ind: m.Indicator, met: bool | None = None) -> Target | None:
        if ind.check is None:
            return self.zero_if_target(ind)
        try:
            limit = ind.check.limit.evaluate(self.param)
        except (KeyError, KernelError, ArithmeticError):
            return None
        higher = ind.direction != "lower" if ind.check.op not in (">=", ">", "<=", "<") else ind.check.op in (">=", ">")
        return Target(ind.check.op, limit, self.is_met(ind) if met is None else met, higher)

    def zero_if_target(self, ind: m.Indicator) -> Target | None:
        """``zero_if`` points on ``value > x``: aim around x as if it were a check."""
        s = ind.scoring
        if s is None or s.kind != "zero_if" or s.when is None:
            return None
        match = re.fullmatch(r"\s*value\s*(<=|>=|<|>)\s*(.+?)\s*", s.when.text)
        if not match:
            return None
        op = {"<=": ">", ">=": "<", "<": ">=", ">": "<="}[match.group(1)]
        names = [n for n in ordered_names(s.when) if n != "value"]
        try:
            limit = Decimal(match.group(2)) if not names else self.param(match.group(2))
        except (decimal.InvalidOperation, KeyError):
            return None
        return Target(op, limit, chance(self.rng, "0.8"), op in (">=", ">"))

    def param(self, name: str) -> Any:
        if name in self.s.params:
            return self.s.params[name]
        raise KeyError(name)

    # schools and townships ------------------------------------------------------------------------

    def make_schools(self) -> None:
        weights = [w for _, w, _ in KINDS]
        allowed = set(vocabulary_lookup("school", "kind").choices)  # type: ignore[union-attr]
        drawn = [self.rng.choices(KINDS, weights)[0] for _ in range(self.n_schools)]
        self.cover_segments(drawn)
        for i, (kind, _, ranges) in enumerate(drawn):
            record: dict[str, Any] = {"id": f"S{self.code}{i + 1:03d}", "name": f"合成学校{i + 1:03d}"}
            if kind in allowed:
                record["kind"] = kind
            for segment, (low, high) in ranges.items():
                record[f"students.{segment}"] = self.rng.randint(low, high)
            for name in self.s.unit_fields["school"]:
                if name in ("name", "kind", "township") or name in record:
                    continue
                value = self.baseline("school", name, record)
                if value is not None:
                    record[name] = value
            self.schools.append(record)

    def cover_segments(self, drawn: list[tuple[str, int, Mapping[str, tuple[int, int]]]]) -> None:
        """Every county has regular schools of each segment the standard reads (a county with no
        junior school has no junior difference coefficient): the last draws give way if needed."""
        plain = {segment: next(k for k in KINDS if k[0] == name)
                 for segment, name in (("primary", "primary"), ("junior", "junior"), ("senior", "complete_middle"))}
        wanted = 2 if len(drawn) >= 4 else 1
        position = len(drawn) - 1
        for segment in sorted(self.s.segments, key=SEGMENTS.index):
            serving = sum(1 for kind, _, ranges in drawn if segment in ranges and kind != "teaching_point")
            while serving < wanted and position >= 0:
                drawn[position] = plain[segment]
                position -= 1
                serving += 1

    def make_townships(self) -> None:
        if not self.s.uses_townships:
            return
        count = max(1, -(-self.n_schools // 6))
        for t in range(count):
            self.townships.append({"id": f"T{self.code}{t + 1:02d}", "name": f"合成镇{t + 1:02d}"})
        for i, school in enumerate(self.schools):
            school["township"] = self.townships[i % count]["id"]
        for t, township in enumerate(self.townships):
            mine = [s for i, s in enumerate(self.schools) if i % count == t]
            students = {seg: sum(s.get(f"students.{seg}", 0) for s in mine) for seg in SEGMENTS}
            for name in self.s.unit_fields["township"]:
                if name in township:
                    continue
                value = self.baseline("township", name, {f"students.{k}": max(v, 20) for k, v in students.items()})
                if value is not None:
                    township[name] = value

    def baseline(self, level: str, name: str, basis: Mapping[str, Any]) -> Any:
        """A plausible value of ``name`` for a unit (or the county) with the enrolments of ``basis``."""
        spec = self.s.spec(level, name)
        kind = spec.type if spec is not None else "decimal"
        if kind == "bool":
            return True
        if kind == "fact":
            return False
        if kind == "text":
            return spec.choices[0] if spec is not None and spec.choices else "synthetic"
        head, _, last = name.rpartition(".")
        segment = last if last in SEGMENTS else None
        stem = head if segment else name
        table = TYPICAL[level]
        how, value = table.get(name) or table.get(stem) or table.get(stem.split(".", 1)[0]) or BY_TYPE.get(kind, ("fixed", "1"))
        students = basis.get(f"students.{segment}", 0) if segment else sum(basis.get(f"students.{s}", 0) for s in SEGMENTS)
        number = Decimal(value)
        if how == "rate":
            return quantize(number, kind)
        if how == "per_student":
            number *= max(students, 1)
        amount = quantize(number * spread(self.rng, Decimal("0.15")), kind)
        if kind == "count" and amount == 0 and number >= Decimal("0.3"):
            return 1  # a small school still has a teacher, a computer: never a zero to divide by
        return amount

    # targets ---------------------------------------------------------------------------------------

    def push_targets(self) -> None:
        """From the top of the indicator tree down: what each indicator should come out as."""
        for iid in reversed(self.std.order):
            ind = self.std.indicators[iid]
            if ind.level != "county":
                self.unit_targets_from_rules(ind)
                continue
            target = self.target_for(ind)
            if target is not None:
                self.targets[iid] = target
                self.values[iid] = self.aim(target)
            value = self.values.get(iid)
            if ind.aggregate is not None:
                self.push_aggregate(ind, target, value)
            elif ind.formula is not None and value is not None:
                inner = [n for n in ordered_names(ind.formula) if n in self.std.indicators]
                if inner and all(n in self.std.indicators or n in self.std.parameters for n in ordered_names(ind.formula)):
                    for name in inner:  # a composite: each part aims at the whole's value
                        if name not in self.targets and self.std.indicators[name].check is None:
                            self.values[name] = CTX.multiply(value, uniform(self.rng, "0.85", "1.15"))

    def aim(self, target: Target) -> Any:
        """A value a little inside the limit when it is to be met, a little outside when not."""
        limit = target.limit
        if isinstance(limit, bool):
            return limit if target.met == (target.op == "==") else not limit
        if not isinstance(limit, (int, Decimal)):
            return limit
        limit = Decimal(limit)
        if limit == 0:  # a difference (beds − boarders ≥ 0): a little on the wanted side
            small = uniform(self.rng, "0.5", "3")
            if target.op in ("==", "!="):
                return ZERO if target.met == (target.op == "==") else small
            return small if target.higher == target.met else -small
        return self.beyond(limit, target.higher == target.met, target.met)

    def beyond(self, limit: Decimal, above: bool, near: bool = True) -> Decimal:
        """A value above or below ``limit``: a rate limit keeps the value under 1."""
        if above and 0 < limit < 1:
            return limit + (1 - limit) * uniform(self.rng, "0.05", "0.9")
        if above:
            return CTX.multiply(limit, uniform(self.rng, "1.01", "1.35") if near else uniform(self.rng, "1.05", "1.6"))
        return CTX.multiply(limit, uniform(self.rng, "0.45", "0.97") if near else uniform(self.rng, "0.6", "0.95"))

    def push_aggregate(self, ind: m.Indicator, target: Target | None, value: Any) -> None:
        a = ind.aggregate
        assert a is not None
        if a.of not in self.std.indicators:
            return
        fn = a.function
        if fn == "cv" and isinstance(value, Decimal) and value > 0:
            if target is not None and target.met and isinstance(target.limit, (int, Decimal)):
                # a county's coefficient drifts from its aim (few schools, whole counts): aim well inside
                value = CTX.multiply(Decimal(target.limit), uniform(self.rng, "0.3", "0.75"))
            self.unit_cv[a.of] = value
        elif fn in ("all_met", "share_met", "count_met") and (target is not None or ind.id in self.ruled):
            met = target.met if target is not None else ind.id not in self.broken
            if met:
                self.unit_fail.setdefault(a.of, 0)
            else:
                n = max(1, self.n_schools)
                if fn == "share_met" and target is not None and isinstance(target.limit, (int, Decimal)):
                    need = int(n * (1 - Decimal(target.limit))) + 1
                elif fn == "count_met" and target is not None and isinstance(target.limit, (int, Decimal)):
                    need = max(1, n - int(target.limit) + 1)
                else:
                    need = self.rng.randint(1, 3)
                self.unit_fail[a.of] = max(self.unit_fail.get(a.of, 0), need)
        elif fn in ("mean", "weighted_mean", "min", "max") and isinstance(value, Decimal):
            self.unit_level[a.of] = value

    def unit_targets_from_rules(self, ind: m.Indicator) -> None:
        """A gate or veto on a unit indicator (every school must meet it): a few schools fail it
        when the plan breaks the rule, none otherwise."""
        if ind.id in self.ruled:
            failing = self.rng.randint(1, 3) if ind.id in self.broken else 0
            self.unit_fail[ind.id] = max(self.unit_fail.get(ind.id, 0), failing)
        elif ind.k_of_n is not None and ind.id not in self.unit_fail:
            self.unit_fail[ind.id] = 0 if chance(self.rng, "0.85") else self.rng.randint(1, 3)

    # reaching the unit targets ------------------------------------------------------------------------

    def units_of(self, unit_set: str) -> list[int]:
        """Positions of the units in the set, as the kernel would filter them (kinds and enrolments
        decide, and those never change, so this is computed once)."""
        if unit_set not in self.members:
            u = self.std.units[unit_set]
            records = self.townships if u.base == "townships" else self.schools
            self.members[unit_set] = [p for p, r in enumerate(records) if in_set(r, u, self.param)]
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
            failing = self.pick(units, self.unit_fail.get(iid, 0))
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
            target = self.target_for(ind, met=True)
            fails = dict(misses.get(iid, {}))
            for position in self.pick(units, self.unit_fail.get(iid, 0)):
                fails.setdefault(position, "deep")
            self.reach_unit_values(ind, units, target, fails)

    def pick(self, units: list[int], count: int) -> set[int]:
        return set(self.rng.sample(units, min(count, len(units))))

    def reach_unit_values(self, ind: m.Indicator, units: list[int], target: Target | None,
                          fails: dict[int, str]) -> None:
        u = self.std.units[ind.level]
        records = self.townships if u.base == "townships" else self.schools
        cv = self.unit_cv.get(ind.id)
        if target is None and cv is None and ind.id not in self.unit_level:
            return
        if target is not None and (isinstance(target.limit, bool) or not isinstance(target.limit, (int, Decimal))):
            for position in units:  # a yes/no (or text) per unit
                self.solve_unit(ind, records[position], u, self.aim(attrs.evolve(target, met=position not in fails)))
            return
        level = self.unit_level.get(ind.id)
        if level is None and target is not None and target.limit != 0:
            # the county's schools sit comfortably on the good side, spread as asked
            limit = Decimal(target.limit)
            room = 1 + (cv or Decimal("0.1")) * Decimal("1.5") + Decimal("0.1")
            level = (limit + (1 - limit) / 2 if 0 < limit < 1 else limit * room) if target.higher else limit / room
        if level is None:
            current = [v for p in units if (v := self.unit_value(ind, View(records[p], u))) is not None]
            level = CTX.divide(sum(current, ZERO), len(current)) if current else None
        if level is None:
            return
        floor = self.floor_of(ind)
        for position in units:
            value = CTX.multiply(level, spread(self.rng, cv) if cv else uniform(self.rng, "0.9", "1.1"))
            wanted = None
            if target is not None:
                limit = Decimal(target.limit)
                met = position not in fails
                wanted = attrs.evolve(target, met=met)
                if met and not meets(value, target.op, limit):
                    value = self.aim(wanted)
                elif not met:
                    deep = fails[position] == "deep"
                    if deep and floor is not None:  # below the k-of-n floor
                        factor = uniform(self.rng, "0.5", str(floor - Decimal("0.05")))
                    elif floor is not None:  # missed, but above the floor (rounding must not sink it)
                        factor = uniform(self.rng, str(floor + Decimal("0.03")), "0.97")
                        edge = limit * floor if target.higher else CTX.divide(limit, floor)
                        wanted = attrs.evolve(target, limit=edge, met=True)
                    else:
                        factor = uniform(self.rng, "0.6", "0.95")
                    value = limit * factor if target.higher else CTX.divide(limit, factor)
            self.solve_unit(ind, records[position], u, value, wanted)

    def floor_of(self, ind: m.Indicator) -> Decimal | None:
        for other in self.std.indicators.values():
            if other.k_of_n is not None and ind.id in other.k_of_n.of and other.k_of_n.floor is not None:
                return other.k_of_n.floor
        return None

    def unit_value(self, ind: m.Indicator, view: Mapping[str, Any]) -> Decimal | None:
        try:
            value = unit_indicator_value(self.std, ind, view, self.param)
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
            record[field] = self.input_value(level, field, value)
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
                seen = x if times is None else CTX.multiply(Decimal(x), times)
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

    # the county's own inputs ----------------------------------------------------------------------

    def make_county_data(self) -> None:
        students = {f"students.{seg}": sum(s.get(f"students.{seg}", 0) for s in self.schools) for seg in SEGMENTS}
        for name in self.s.county_inputs:
            value = self.baseline("county", name, students)
            if value is not None:
                self.data[name] = value
        for iid in self.std.order:
            ind = self.std.indicators[iid]
            if ind.level != "county":
                continue
            if ind.scoring is not None and ind.scoring.kind == "panel" and ind.input:
                share = min(ONE, self.panel + uniform(self.rng, "-0.05", "0.05"))
                points = (ind.scoring.max * share * 2).to_integral_value(rounding=decimal.ROUND_FLOOR) / 2
                self.data[ind.input] = max(ZERO, min(points, ind.scoring.max))
                continue
            if ind.scoring is not None and ind.scoring.kind == "levels" and ind.input:
                levels = [name for name, _ in sorted(ind.scoring.levels, key=lambda pair: -pair[1])]
                pick = 0 if chance(self.rng, str(min(Decimal("0.95"), self.panel))) else self.rng.randrange(len(levels))
                self.data[ind.input] = levels[pick]
                continue
            target = self.targets.get(iid)
            wanted = self.values.get(iid)
            if wanted is None or ind.aggregate is not None:
                continue
            if ind.input is not None:
                self.data[ind.input] = self.input_value("county", ind.input, wanted)
            elif ind.formula is not None and isinstance(wanted, Decimal):
                self.solve_county(ind, wanted, target)

    def input_value(self, level: str, name: str, value: Any) -> Any:
        spec = self.s.spec(level, name)
        if spec is None or isinstance(value, (bool, str)):
            return value
        if spec.type == "fact":
            return int(value > 0) if isinstance(value, Decimal) else value
        if spec.type in NUMERIC:
            return quantize(Decimal(value), spec.type)
        return value

    def solve_county(self, ind: m.Indicator, value: Decimal, target: Target | None) -> None:
        assert ind.formula is not None
        for name in ordered_names(ind.formula):
            if name in self.std.parameters or name in self.std.indicators or (0, name) in self.pinned:
                continue
            spec = self.s.spec("county", name)
            if spec is None or spec.type not in NUMERIC:
                continue

            def f(x: Decimal | int, name: str = name) -> Decimal | None:
                trial = {**self.data, name: x}
                try:
                    got = ind.formula.evaluate(lambda n: self.s.params[n] if n in self.s.params else trial[n])  # type: ignore[union-attr]
                except (KeyError, KernelError, ArithmeticError):
                    return None
                return Decimal(got) if isinstance(got, (int, Decimal)) and not isinstance(got, bool) else None

            solved = solve(f, self.data.get(name, 0), value, spec.type)
            if solved is None:
                continue
            if target is not None:
                solved = nudge(f, solved, target, spec.type)
            self.data[name] = solved
            self.pinned.add((0, name))
            return


# --- views and solving ----------------------------------------------------------------------------


def field_for(u: m.UnitSet, name: str) -> str:
    """The unit record's field behind a view's name (``teachers`` → ``teachers.junior``)."""
    if u.segment is not None and vocabulary_lookup("school", f"{name}.{u.segment}") is not None:
        return f"{name}.{u.segment}"
    return name


class View(Mapping[str, Any]):
    """A unit record as an indicator of ``u`` sees it, read lazily (the kernel's segment view:
    ``teachers`` is ``teachers.junior`` in a junior view, split resources times the segment's
    share), with one name possibly replaced by a trial value."""

    def __init__(self, record: Mapping[str, Any], u: m.UnitSet, trial: tuple[str, Any] | None = None) -> None:
        self.record, self.u, self.trial = record, u, trial
        self._share: Decimal | None = None

    @property
    def share(self) -> Decimal:
        if self._share is None:
            students = tuple(int(self.record.get(f"students.{s}", 0) or 0) for s in SEGMENTS)
            self._share = _share(students, self.u.segment or "primary")
        return self._share

    def __getitem__(self, name: str) -> Any:
        if self.trial is not None and name == self.trial[0]:
            return self.trial[1]
        segment, record = self.u.segment, self.record
        if segment is None:
            return record[name]
        if name == "students":
            return int(record.get(f"students.{segment}", 0) or 0)
        if name == "segment":
            return segment
        if name == "share":
            return self.share
        own = f"{name}.{segment}"
        if own in record:
            return record[own]
        if name.rpartition(".")[2] in SEGMENTS:
            raise KeyError(name)
        value = record[name]
        if name in agg.SPLIT_RESOURCES and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return CTX.multiply(Decimal(value), self.share)
        return value

    def __iter__(self) -> Iterator[str]:  # pragma: no cover - only looked up by name
        return iter(())

    def __len__(self) -> int:  # pragma: no cover
        return 0


@functools.lru_cache(maxsize=65536)
def _share(students: tuple[int, ...], segment: str) -> Decimal:
    return agg.segment_shares({s: n for s, n in zip(SEGMENTS, students) if n > 0})[segment]


def view_key(u: m.UnitSet, field: str, view: Mapping[str, Any]) -> tuple[str, Decimal | None]:
    """Where a record's field shows in a view, and the share it is multiplied by (split resources)."""
    if u.segment is None:
        return field, None
    head, _, last = field.rpartition(".")
    if last == u.segment:
        return head, None
    if field in agg.SPLIT_RESOURCES:
        return field, view["share"]
    return field, None


def in_set(record: Mapping[str, Any], u: m.UnitSet, param: Callable[[str], Any]) -> bool:
    """Whether the kernel counts this unit in ``u``: students in the segment, and its filter."""
    if u.segment is not None and int(record.get(f"students.{u.segment}", 0) or 0) <= 0:
        return False
    if u.where is None:
        return True
    view = View(record, u)

    def lookup(name: str) -> Any:
        try:
            return view[name]
        except KeyError:
            return param(name)

    try:
        return u.where.evaluate(lookup) is True
    except (KeyError, KernelError):
        return False


def unit_indicator_value(std: m.Standard, ind: m.Indicator, view: Mapping[str, Any], param: Callable[[str], Any]) -> Any:
    """An indicator's value on one unit view (formulas may read other indicators of the unit)."""
    def lookup(name: str) -> Any:
        if name in std.indicators and std.indicators[name].level == ind.level:
            return unit_indicator_value(std, std.indicators[name], view, param)
        if name in std.parameters:
            return param(name)
        return view[name]

    if ind.input is not None:
        return lookup(ind.input)
    if ind.formula is None:
        raise KeyError(ind.id)
    return ind.formula.evaluate(lookup)


def solve(f: Callable[[Decimal | int], Decimal | None], current: Any, value: Decimal, kind: str) -> Decimal | int | None:
    """The input that makes ``f`` reach ``value``, by the secant method: exact in one step when
    ``f`` is affine in it (``x / students``), a few steps otherwise (``students / x``)."""
    a = Decimal(current) if isinstance(current, (int, Decimal)) and not isinstance(current, bool) and current > 0 else ONE
    x0, x1 = quantize(a, kind), quantize(a * 2 + 1, kind)
    f0, f1 = f(x0), f(x1)
    if f0 is None or f1 is None or f0 == f1:
        return None  # the input does not move the indicator: try another
    for _ in range(8):
        if f1 == f0 or x1 == x0:
            break
        step = CTX.divide(CTX.multiply(value - f1, Decimal(x1) - Decimal(x0)), f1 - f0)
        guess = Decimal(x1) + step
        x2 = quantize(guess if guess > 0 else Decimal(x1) / 2, kind)
        f2 = f(x2)
        if f2 is None:
            break
        x0, f0, x1, f1 = x1, f1, x2, f2
        if abs(f1 - value) <= abs(value) * Decimal("0.001"):
            break
    return x1


def nudge(f: Callable[[Decimal | int], Decimal | None], x: Decimal | int, target: Target, kind: str) -> Decimal | int:
    """Rounding to a whole count can cross the limit: step until the value is on the wanted side
    (never to a value the formula cannot take, such as a zero divisor)."""
    got = f(x)
    for _ in range(6):
        if got is None or meets(got, target.op, target.limit) == target.met:
            return x
        up = f(quantize(Decimal(x) + 1, kind))
        better = up is not None and (up > got) == (target.higher == target.met)
        step = 1 if kind in ("count", "fact") else max(Decimal(x) * Decimal("0.01"), Decimal("0.0001"))
        trial = quantize(Decimal(x) + (step if better else -step), kind)
        tried = f(trial)
        if tried is None or trial == x:
            return x
        x, got = trial, tried
    return x


# --- writing -------------------------------------------------------------------------------------


def generate(standard: m.Standard, counties: int, schools: int, seed: int, *, as_of: dt.date | None = None,
             standard_ref: str | None = None) -> Iterator[dict[str, Any]]:
    """``counties`` submissions (data for :func:`~standards_kernel.kernel.submission.submission_from_data`)."""
    if counties < 0 or schools < 1:
        raise KernelError("need --counties ≥ 0 and --schools-per-county ≥ 1")
    date = as_of or default_as_of(standard)
    if not standard.in_force(date):
        raise KernelError(f"{standard.key} is not in force on {date.isoformat()}", hint="give another --as-of")
    synth = Synthesizer(standard, date, seed, standard_ref=standard_ref)
    for number in range(counties):
        yield synth.county(number, schools)


def write_ndjson(stream: TextIO, submissions: Iterator[dict[str, Any]]) -> int:
    count = 0
    for submission in submissions:
        stream.write(content_json(submission) + "\n")
        count += 1
    return count


def write_directory(folder: Path, submissions: Iterator[dict[str, Any]]) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for submission in submissions:
        (folder / f"{submission['county']['code']}.json").write_text(content_json(submission) + "\n", "utf-8")
        count += 1
    return count


def write_csv(folder: Path, submissions: Iterator[dict[str, Any]]) -> int:
    """``schools.csv``, ``counties.counties.csv`` and (if any) ``townships.townships.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict[str, Any]]] = {"schools": [], "counties": [], "townships": []}
    count = 0
    for submission in submissions:
        count += 1
        head = {"county": submission["county"]["code"]}
        head.update({f"county.{k}": v for k, v in submission["county"].items() if k != "code"})
        head.update({f"evaluation.{k}": v for k, v in submission["evaluation"].items()})
        rows["counties"].append({**head, **submission["data"]})
        rows["schools"].extend({"county": head["county"], **s} for s in submission["schools"])
        rows["townships"].extend({"county": head["county"], **t} for t in submission.get("townships", []))
    names = {"schools": "schools.csv", "counties": "counties.counties.csv", "townships": "townships.townships.csv"}
    for table, records in rows.items():
        if not records:
            continue
        columns = list(dict.fromkeys(k for r in records for k in r))
        with (folder / names[table]).open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(columns)
            for record in records:
                writer.writerow([_csv_text(record.get(c)) for c in columns])
    return count


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return content_json(value)
    return str(value)
