"""The gap analysis's model: gaps, the targets they set and the fixes that reach them.

A :class:`Gap` is a failed gate, a triggered veto or a scored item below its full points; its
:class:`Target` says what an indicator must become; a :class:`Fix` is one change of one quantity
that makes the target hold by itself, and only a *lever* (an input the county can change, moved
the way it may move: :func:`standards_kernel.kernel.vocabulary.lever`) is a fix; the inputs a
target reads that are held fixed are its :class:`Held` context ("given 500 pupils, 2 more
teachers"). Also here: how closable a gap is, and how big a fix is.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, Literal, Mapping

import attrs

Closable = Literal["data", "fact", "panel", "level", "no_lever", "event", "not_computed"]
CLOSABLE_ORDER = ("data", "fact", "level", "panel", "no_lever", "not_computed", "event")  # worst last


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
    lever: str = ""  # an input that is a lever moved its allowed way: its direction, "up", "down" or "either"
    held: str = ""  # why this move is not a repair (a key of vocabulary.lever_reasons): not listed

    @property
    def reachable(self) -> bool:
        return not self.problem

    @property
    def is_lever(self) -> bool:
        """A repair the county can make: a lever moved its way (or an indicator moved by levers)."""
        return not self.held and (self.kind == "indicator" or bool(self.lever))

    @property
    def move(self) -> str:
        """"up" or "down": which way the fix moves its quantity."""
        return "up" if self.relation in (">", ">=") or (self.relation == "==" and self.required > self.current) else "down"

    @property
    def target(self) -> Fraction:
        return Fraction(self.whole) if self.whole is not None else self.required

    @property
    def change(self) -> Fraction:
        return self.target - self.current


@attrs.frozen
class Held:
    """An input a target reads that no fix moves, stated as context: fixed (enrolment,
    population, people surveyed), or a lever that would have to move the other way, or a total
    that would only dilute its part's share. ``would`` is the move that alone would close the
    gap ("up"/"down"), when there is one; ``reason`` a key of ``vocabulary.lever_reasons``."""

    name: str
    unit: str | None
    value: Any
    reason: str
    measure: str = ""
    would: str = ""


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
    context: tuple[Held, ...] = ()  # inputs read and held fixed: "given 500 pupils"
    no_lever: str = ""  # closable == "no_lever": why (a key of vocabulary.lever_reasons)


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


def worst(values: Iterable[Closable]) -> Closable:
    """The least closable of ``values`` (none: not computed)."""
    items = list(values)
    if not items:
        return "not_computed"
    return max(items, key=CLOSABLE_ORDER.index)


def effort(fix: Fix) -> Fraction:
    """How big a change is, relative to the current value (unreachable: last)."""
    if not fix.reachable:
        return Fraction(10**9)
    if fix.current == 0:
        return Fraction(10**6) + abs(fix.change)
    return abs(fix.change / fix.current)


def target_effort(target: Target) -> Fraction:
    reachable = [f for f in target.fixes if f.reachable]
    return effort(reachable[0]) if reachable else Fraction(10**9)
