"""Reaching a value through a formula: the names of a formula in text order, a check's target, a
unit record as an indicator's segment view sees it, which units a set counts, and the secant solve
(with a nudge across the limit) that finds the input giving the value aimed at."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs

from ...errors import KernelError
from ...kernel import model as m
from ...kernel.numbers import KERNEL_CONTEXT
from ...kernel.segments import SPLIT_RESOURCES, segment_of, segment_share, students_by_segment, view_field
from ...kernel.vocabulary import lookup as vocabulary_lookup
from .draws import ONE, meets, quantize

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")


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
            self._share = segment_share(students_by_segment(self.record), self.u.segment or "primary")
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
        if segment_of(name) is not None:  # another segment's field
            raise KeyError(name)
        value = record[name]
        if name in SPLIT_RESOURCES and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return KERNEL_CONTEXT.multiply(Decimal(value), self.share)
        return value

    def __iter__(self) -> Iterator[str]:  # pragma: no cover - only looked up by name
        return iter(())

    def __len__(self) -> int:  # pragma: no cover
        return 0


def view_key(u: m.UnitSet, field: str, view: Mapping[str, Any]) -> tuple[str, Decimal | None]:
    """Where a record's field shows in a view, and the share it is multiplied by (split resources)."""
    if u.segment is None:
        return field, None
    target, split = view_field(field, u.segment)  # target None: another segment's field, read as is
    return target or field, view["share"] if split else None


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
        step = KERNEL_CONTEXT.divide(KERNEL_CONTEXT.multiply(value - f1, Decimal(x1) - Decimal(x0)), f1 - f0)
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

