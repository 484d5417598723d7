"""Generating submissions: hypothesis strategies of valid county submissions for any standard
(every input it reads, at plausible values, with at least one school in every segment it looks at),
and one fixed example submission."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ...kernel import model as m
from ...kernel.segments import SEGMENTS, segment_of
from ...kernel.numbers import canonical, is_number
from ...kernel.vocabulary import lookup
from ..template import InputUse, inputs_read
from .formulas import denominators, dispersed, walk
from .ranges import STEPS, Range, plausible_range

#: Kinds of school and the segments they teach.
KIND_SEGMENTS = {
    "primary": ("primary",), "junior": ("junior",), "nine_year": ("primary", "junior"),
    "complete_middle": ("junior", "senior"), "twelve_year": ("primary", "junior", "senior"),
    "teaching_point": ("primary",), "special": ("primary", "junior"), "vocational": ("senior",),
}
#: A plain school of each segment, so that every segment view has at least one unit.
PLAIN_KIND = {"primary": "primary", "junior": "junior", "senior": "complete_middle"}

Pick = Callable[[int], int]  # an integer in [0, n]


class _Generator:
    """Builds one submission's raw data from integer picks (hypothesis draws, or fixed picks)."""

    def __init__(self, standard: m.Standard, pick: Pick, max_schools: int, max_townships: int) -> None:
        self.std = standard
        self.pick = pick
        self.max_schools = max_schools
        self.max_townships = max_townships
        self.uses = inputs_read(standard)
        self.denominators = denominators(standard) | dispersed(standard)
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
            fields = [u for u in fields if segment_of(u.name) in (None, *students)]
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
            whole: Any = known.get(rng.part_of)  # a submission value: a number, or text, or absent
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
                texts |= {n.value for n in walk(expr.tree) if n.kind == "literal" and isinstance(n.value, str)}
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
                       for n in walk(ind.formula.tree))
    return False


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
