"""The school segments: their names, national weights, and a school's split into segment views.

A school reports per-segment fields with the segment as the last part of the name
(``students.primary``, ``teachers.junior``) and its physical resources for the whole school
(``books``). A unit set with ``segment = "junior"`` sees each school with junior students as a
*segment view*: ``teachers.junior`` becomes ``teachers``, other segments' fields disappear, each
split resource is multiplied by the segment's share under the national weights, and the view adds
``students``, ``segment`` and ``share``. This module is the one place that mapping is written.
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Final, TypeVar

from ..errors import NumberError
from .numbers import KERNEL_CONTEXT, as_number, is_number, ordered_sum

__all__ = [
    "NATIONAL_SEGMENT_WEIGHTS",
    "SEGMENTS",
    "SPLIT_RESOURCES",
    "VIEW_NAMES",
    "field_for",
    "segment_of",
    "segment_share",
    "segment_shares",
    "segment_view",
    "split_name",
    "students_by_segment",
    "view_field",
    "view_names",
]

#: The school segments of compulsory education and the senior segment of combined schools, in
#: their national order; ``X.primary``-style fields and segment views are named by them.
SEGMENTS: Final[tuple[str, ...]] = ("primary", "junior", "senior")

#: Weight of one student of each segment relative to a primary pupil (national rule:
#: 九年一贯制 primary:junior = 1:1.1, 完全中学 junior:senior = 1:1.2, 十二年一贯制 1:1.1:1.32).
NATIONAL_SEGMENT_WEIGHTS: Final[Mapping[str, Decimal]] = {
    "primary": Decimal(1),
    "junior": Decimal("1.1"),
    "senior": Decimal("1.32"),
}

#: The physical resources of a combined school that are split between its segments; teacher
#: counts are reported per segment and are not split.
SPLIT_RESOURCES: Final = (
    "teaching_aux_area_m2",
    "sports_area_m2",
    "equipment_value_yuan",
    "computers",
    "books",
)

#: The names a segment view adds itself (they are not school fields).
VIEW_NAMES: Final = ("students", "segment", "share")

V = TypeVar("V")


def split_name(name: str) -> tuple[str, str | None]:
    """``teachers.junior`` → ``("teachers", "junior")``; a name of no segment → ``(name, None)``."""
    head, _, last = name.rpartition(".")
    return (head, last) if last in SEGMENTS else (name, None)


def segment_of(name: str) -> str | None:
    """The segment a school field belongs to (its last part), or None for a whole-school field."""
    return split_name(name)[1]


def field_for(name: str, segment: str) -> str:
    """The school field that holds a segment view's ``name`` for ``segment``: ``teachers.junior``."""
    return f"{name}.{segment}"


@functools.cache
def view_field(name: str, segment: str) -> tuple[str | None, bool]:
    """How a school field appears in a segment view: its name there (None: another segment's)
    and whether it is one of the physical resources split by the segment's share."""
    head, own = split_name(name)
    if own is not None:
        return (head if own == segment else None), False
    return name, name in SPLIT_RESOURCES


def view_names(names: Iterable[str], segment: str) -> set[str]:
    """The names a segment view has, for a school with (or a vocabulary of) ``names``."""
    view = {target for target, _ in (view_field(n, segment) for n in names) if target is not None}
    return view | set(VIEW_NAMES)


_STUDENT_FIELDS: Final = tuple(f"students.{s}" for s in SEGMENTS)


def students_by_segment(fields: Mapping[str, Any]) -> dict[str, int]:
    """The school's students of every segment (0 where not given), in :data:`SEGMENTS` order."""
    return {s: int(fields.get(f"students.{s}", 0) or 0) for s in SEGMENTS}


def segment_shares(
    students: Mapping[str, int],
    weights: Mapping[str, Decimal] = NATIONAL_SEGMENT_WEIGHTS,
    *,
    where: str = "school",
) -> dict[str, Decimal]:
    """Share of each segment with students: ``w_s·n_s / Σ_t w_t·n_t``.

    Only segments with ``n_s > 0`` appear, in the order of ``weights``. Raises
    :class:`NumberError` naming ``where`` for an unknown segment, a count that is not a
    non-negative integer, a non-positive weight, or no students at all.
    """
    for name, n in students.items():
        if name not in weights:
            known = ", ".join(weights)
            raise NumberError(f"unknown segment {name!r}", path=where, hint=f"use one of {known}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise NumberError(
                f"students of segment {name!r} must be a non-negative integer, got {n!r}", path=where
            )
    with decimal.localcontext(KERNEL_CONTEXT):
        weighted: dict[str, Decimal] = {}
        for name, w in weights.items():
            n = students.get(name, 0)
            if n > 0:
                w = as_number(w, where)
                if w <= 0:
                    raise NumberError(f"weight of segment {name!r} must be positive, got {w}", path=where)
                weighted[name] = w * n
        if not weighted:
            raise NumberError("no students in any segment", path=where)
        whole = ordered_sum(weighted.values())
        return {name: part / whole for name, part in weighted.items()}


@functools.lru_cache(maxsize=65536)
def _share(students: tuple[int, ...], segment: str, where: str) -> Decimal:
    return segment_shares({s: n for s, n in zip(SEGMENTS, students) if n > 0}, where=where)[segment]


@functools.lru_cache(maxsize=4096)
def _view_share(students: tuple[int, ...], segment: str) -> Decimal:
    # Counts are non-negative ints and the segment has students: segment_shares cannot fail here.
    return segment_shares({s: n for s, n in zip(SEGMENTS, students) if n > 0})[segment]


def segment_share(students: Mapping[str, int], segment: str, *, where: str = "school") -> Decimal:
    """The share of ``segment`` in a school with these students (by segment) under the national
    weights; raises :class:`NumberError` naming ``where`` if the segment has no students."""
    counts = tuple(int(students.get(s, 0)) for s in SEGMENTS)
    if counts[SEGMENTS.index(segment)] <= 0:
        raise NumberError(f"no students in segment {segment!r}", path=where)
    return _share(counts, segment, where)


@functools.lru_cache(maxsize=1024)
def _view_plan(names: tuple[str, ...], segment: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """For schools whose fields are ``names`` (schools of one county share a few layouts): the
    fields the segment view keeps as they are and those it splits by the share, each with its
    name in the view, in the order of ``names``."""
    kept: list[tuple[str, str]] = []
    split: list[tuple[str, str]] = []
    for name in names:
        target, shared = view_field(name, segment)
        if target is not None:
            (split if shared else kept).append((name, target))
    return tuple(kept), tuple(split)


def segment_view(
    fields: Mapping[str, V], segment: str, *, where: str = "school"
) -> dict[str, V | int | str | Decimal] | None:
    """The school as seen by one segment: its students, its teachers, its share of resources
    (None when the segment has no students)."""
    counts = tuple(int(fields.get(name, 0) or 0) for name in _STUDENT_FIELDS)  # type: ignore[arg-type]
    students = counts[SEGMENTS.index(segment)]
    if students <= 0:
        return None
    share = _view_share(counts, segment)
    kept, split = _view_plan(tuple(fields), segment)
    view: dict[str, V | int | str | Decimal] = {target: fields[name] for name, target in kept}
    for name, target in split:
        value = fields[name]
        view[target] = KERNEL_CONTEXT.multiply(value, share) if is_number(value) else value  # type: ignore[arg-type]
    view["students"] = students
    view["segment"] = segment
    view["share"] = share
    return view
