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
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

from ..errors import NumberError
from .numbers import KERNEL_CONTEXT, as_number, is_number, ordered_sum

__all__ = [
    "NATIONAL_SEGMENT_WEIGHTS",
    "SEGMENTS",
    "SPLIT_RESOURCES",
    "SegmentFields",
    "SegmentRows",
    "Schools",
    "VIEW_NAMES",
    "field_for",
    "segment_of",
    "segment_row",
    "segment_share",
    "segment_shares",
    "segment_view",
    "split_name",
    "student_counts",
    "students_by_segment",
    "view_field",
    "view_names",
    "view_sources",
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


_WEIGHTS: Final = tuple(NATIONAL_SEGMENT_WEIGHTS[s] for s in SEGMENTS)


@functools.lru_cache(maxsize=4096)
def _view_shares(students: tuple[int, ...]) -> tuple[Decimal | None, ...]:
    """Every segment's share (None: no students), in :data:`SEGMENTS` order: one computation for
    all the segment views of a combined school, each digit the one :func:`segment_shares` gives
    (the same products, sum and quotients in the kernel context; with ints above 0 and the
    national weights it has nothing to refuse)."""
    parts = [KERNEL_CONTEXT.multiply(w, n) if n > 0 else None for w, n in zip(_WEIGHTS, students)]
    whole = ordered_sum([part for part in parts if part is not None])
    return tuple(None if part is None else KERNEL_CONTEXT.divide(part, whole) for part in parts)


_ONE: Final = Decimal(1)  # w·n / w·n: the share of a school's only segment, exactly
_EXACT: Final = 10**28  # a count below this times a weight cannot overflow (a huge one raises there)
_POSITION: Final = {s: i for i, s in enumerate(SEGMENTS)}
_POSITIVE: Final = (0).__lt__


def _share_at(counts: tuple[int, ...], position: int) -> Decimal:
    share = _view_shares(counts)[position]
    assert share is not None  # called for a segment with students
    return share


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


def student_counts(fields: Mapping[str, Any]) -> tuple[int, ...]:
    """The school's students of every segment, in :data:`SEGMENTS` order (0 where not given)."""
    get = fields.get  # the three segments written out: no generator per school
    return int(get("students.primary", 0) or 0), int(get("students.junior", 0) or 0), int(get("students.senior", 0) or 0)


def segment_row(counts: tuple[int, ...], segment: str) -> tuple[int, Decimal] | None:
    """A school's (by its :func:`student_counts`) students of ``segment`` and that segment's
    share (None: no such students)."""
    students = counts[_POSITION[segment]]
    if students <= 0:
        return None
    if sum(map(_POSITIVE, counts)) == 1 and students < _EXACT:  # most schools: no weights to apply
        return students, _ONE
    return students, _share_at(counts, _POSITION[segment])


def segment_view(
    fields: Mapping[str, V], segment: str, *, where: str = "school"
) -> dict[str, V | int | str | Decimal] | None:
    """The school as seen by one segment: its students, its teachers, its share of resources
    (None when the segment has no students)."""
    row = segment_row(student_counts(fields), segment)
    if row is None:
        return None
    students, share = row
    kept, split = _view_plan(tuple(fields), segment)
    view: dict[str, V | int | str | Decimal] = {target: fields[name] for name, target in kept}
    for name, target in split:
        value = fields[name]
        view[target] = KERNEL_CONTEXT.multiply(value, share) if is_number(value) else value  # type: ignore[arg-type]
    view["students"] = students
    view["segment"] = segment
    view["share"] = share
    return view


@functools.lru_cache(maxsize=1024)
def view_sources(names: tuple[str, ...], segment: str) -> Mapping[str, tuple[str, bool]]:
    """For schools whose fields are ``names``: each name of the segment view (but those the view
    adds itself) → the school field it comes from and whether it is split by the share. Later
    fields win over earlier ones and split over kept, as in :func:`segment_view`'s dict."""
    kept, split = _view_plan(names, segment)
    sources = {target: (name, False) for name, target in kept}
    sources.update((target, (name, True)) for name, target in split)
    for name in VIEW_NAMES:
        sources.pop(name, None)
    return sources


class Schools:
    """The schools of one evaluation as its segment unit sets read them, worked out once for all
    of them: each one's students by segment, the layout of its fields (one tuple for equal
    layouts) and whether it has students of one segment only (its share is then 1)."""

    __slots__ = ("fields", "counts", "layouts", "single")

    def __init__(self, fields: Sequence[Mapping[str, Any]]) -> None:
        self.fields = fields
        self.counts = list(map(student_counts, fields))
        interned: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.layouts = [interned.setdefault(names, names) for names in map(tuple, fields)]
        self.single = [  # the three segments of student_counts written out: no call per school
            (p > 0) + (j > 0) + (s > 0) == 1 and p < _EXACT and j < _EXACT and s < _EXACT for p, j, s in self.counts
        ]

    def rows(self, segment: str) -> tuple[SegmentRows, list[int]]:
        """The rows of the schools with students of ``segment`` (as :func:`segment_row` and
        :func:`view_sources` give them), and their positions among the schools."""
        position = _POSITION[segment]
        counts, single, fields = self.counts, self.single, self.fields
        picked = [i for i, c in enumerate(counts) if c[position] > 0]
        rows = SegmentRows(segment)
        rows.fields = [fields[i] for i in picked]
        rows.students = [counts[i][position] for i in picked]
        rows.shares = [_ONE if single[i] else _share_at(counts[i], position) for i in picked]
        by_layout: dict[int, Mapping[str, tuple[str, bool]]] = {}  # the layouts are interned
        sources = []
        for layout in [self.layouts[i] for i in picked]:
            found = by_layout.get(id(layout))
            if found is None:
                found = by_layout[id(layout)] = view_sources(layout, segment)
            sources.append(found)
        rows.sources = sources
        rows.layouts = {id(found): found for found in by_layout.values()}
        return rows, picked


class SegmentRows:
    """The schools of a segment unit set, a column at a time: each one's fields, the
    :func:`view_sources` of their layout, its students of the segment and the segment's share."""

    __slots__ = ("segment", "fields", "sources", "students", "shares", "layouts")

    def __init__(self, segment: str) -> None:
        self.segment = segment
        self.fields: list[Mapping[str, Any]] = []
        self.sources: list[Mapping[str, tuple[str, bool]]] = []
        self.students: list[int] = []
        self.shares: list[Decimal] = []
        self.layouts: dict[int, Mapping[str, tuple[str, bool]]] = {}  # schools share a few layouts

    def add(self, fields: Mapping[str, Any], sources: Mapping[str, tuple[str, bool]], students: int, share: Decimal) -> None:
        self.fields.append(fields)
        self.sources.append(sources)
        self.students.append(students)
        self.shares.append(share)
        if id(sources) not in self.layouts:
            self.layouts[id(sources)] = sources

    def kept(self, keep: Sequence[bool]) -> SegmentRows:
        """The rows whose flag in ``keep`` is true."""
        rows = SegmentRows(self.segment)
        for i, k in enumerate(keep):
            if k:
                rows.add(self.fields[i], self.sources[i], self.students[i], self.shares[i])
        return rows

    def column(self, name: str) -> list[Any] | None:
        """``[segment_view(fields, segment)[name] for each row]`` without building the views (each
        split value multiplied by the share exactly as there), or None when some view lacks it."""
        if name == "students":
            return self.students
        if name == "share":
            return self.shares
        if name == "segment":
            return [self.segment] * len(self.fields)
        picks = {key: sources.get(name) for key, sources in self.layouts.items()}
        if None in picks.values():
            return None
        if len(set(picks.values())) == 1:  # the same field everywhere: a column in one call
            source, split = next(iter(picks.values()))  # type: ignore[misc]  # none is None (above)
            values: list[Any] = list(map(operator.itemgetter(source), self.fields))
            splits: list[bool] = [split] * len(values)
        else:
            chosen = [cast("tuple[str, bool]", picks[id(sources)]) for sources in self.sources]
            values = [fields[source] for fields, (source, _) in zip(self.fields, chosen)]
            splits = [split for _, split in chosen]
        if not any(splits):
            return values
        if all(splits) and set(map(type, values)) <= _PLAIN:
            return list(map(KERNEL_CONTEXT.multiply, values, self.shares))
        multiply = KERNEL_CONTEXT.multiply
        return [
            multiply(value, share) if split and is_number(value) else value
            for value, share, split in zip(values, self.shares, splits)
        ]


_PLAIN: Final = frozenset((Decimal, int))  # exact types: a bool is not a number


class SegmentFields(Mapping[str, Any]):
    """A segment view's fields, built (by :func:`segment_view`) only when something reads them:
    the column path reads :func:`segment_column` instead; gaps, reports and the per-unit path
    read these."""

    __slots__ = ("_fields", "_segment", "_view")

    def __init__(self, fields: Mapping[str, Any], segment: str) -> None:
        self._fields, self._segment = fields, segment
        self._view: dict[str, Any] | None = None

    def built(self) -> dict[str, Any]:
        view = self._view
        if view is None:
            view = segment_view(self._fields, self._segment)
            assert view is not None  # made only for schools with students of the segment
            self._view = view
        return view

    def __getitem__(self, name: str) -> Any:
        return self.built()[name]

    def __contains__(self, name: object) -> bool:
        return name in self.built()

    def get(self, name: str, default: Any = None) -> Any:
        return self.built().get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.built())

    def __len__(self) -> int:
        return len(self.built())

    def __repr__(self) -> str:
        return repr(self.built())

    def __reduce__(self) -> Any:  # pickled (batch workers) as the plain dict it stands for
        return (dict, (dict(self.built()),))
