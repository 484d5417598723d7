"""What an evaluation gives: the readings of indicators, rules and areas, and the Evaluation.

These are plain frozen records; :mod:`standards_kernel.kernel.evaluate` fills them and
:mod:`standards_kernel.kernel.result` writes them out.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterable, Iterator, Mapping, Sequence

import attrs

from . import model as m
from ..errors import SubmissionError
from .numbers import SUMS, Sums
from .submission import Submission

Value = Decimal | int | bool | str


class MissingInput(SubmissionError):
    """An input the standard reads is not in the submission."""


@attrs.frozen
class UnitView:
    """One unit as an indicator sees it: a school, a school's segment, or a township."""

    id: str
    fields: Mapping[str, Value]
    place: str  # where it came from, for messages: schools[3]

    @classmethod
    def many(cls, ids: Iterable[str], fields: Iterable[Mapping[str, Value]], places: Iterable[str]) -> tuple[UnitView, ...]:
        """``tuple(map(UnitView, ids, fields, places))`` with the slots set directly: the same
        views, without the frozen ``__init__``'s cost (a unit set has a view per school)."""
        new = object.__new__
        views = []
        for view_id, view_fields, place in zip(ids, fields, places):
            view = new(cls)
            _SET_ID(view, view_id)
            _SET_FIELDS(view, view_fields)
            _SET_PLACE(view, place)
            views.append(view)
        return tuple(views)


# The slots' own setters (a frozen class refuses setattr; these are what its __init__ calls).
_SET_ID, _SET_FIELDS, _SET_PLACE = (UnitView.__dict__[name].__set__ for name in ("id", "fields", "place"))


@attrs.frozen
class Reading:
    """One computed value with what it read."""

    value: Value | None
    met: bool | None = None
    limit: Value | None = None
    reads: Mapping[str, Value] = attrs.Factory(dict)
    note: str = ""


class UnitReadings(Mapping[str, Reading]):
    """The readings of a unit indicator computed a column at a time, by unit id in view order.

    Holds the columns (values, checks, what each unit read) and builds a unit's :class:`Reading`
    only when it is asked for: the trace is explained on demand, and equals the per-unit path's.
    """

    __slots__ = ("ids", "value_column", "met_column", "limit", "names", "columns", "first_reads", "notes", "_index", "_built")

    def __init__(
        self,
        ids: Sequence[str],
        values: Sequence[Value],
        mets: Sequence[bool | None],
        limit: Value | None,
        names: Sequence[str],
        columns: Sequence[Sequence[Value]],
        first_reads: Mapping[str, Value] | None = None,
        notes: Sequence[str] | None = None,
    ) -> None:
        self.ids, self.value_column, self.met_column, self.limit = tuple(ids), values, mets, limit
        self.names, self.columns = tuple(names), columns  # what unit i read: names[j] = columns[j][i]
        self.first_reads = first_reads or {}  # also read by the first unit (a limit of parameters)
        self.notes = notes
        self._index: dict[str, int] | None = None
        self._built: dict[int, Reading] = {}

    def reads(self, i: int) -> dict[str, Value]:
        reads = {name: column[i] for name, column in zip(self.names, self.columns)}
        if i == 0 and self.first_reads:
            reads.update(self.first_reads)
        return reads

    def note(self, i: int) -> str:
        return self.notes[i] if self.notes is not None else ""

    def reading(self, i: int) -> Reading:
        built = self._built.get(i)
        if built is None:
            built = self._built[i] = Reading(self.value_column[i], self.met_column[i], self.limit, self.reads(i), self.note(i))
        return built

    def __getitem__(self, unit_id: str) -> Reading:
        if self._index is None:
            self._index = {uid: i for i, uid in enumerate(self.ids)}
        return self.reading(self._index[unit_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def failed(self) -> tuple[str, ...]:
        return tuple(uid for uid, met in zip(self.ids, self.met_column) if met is False)

    def __reduce__(self) -> Any:  # pickled (batch workers) as the plain readings it stands for
        return (dict, (dict(self.items()),))


@attrs.frozen
class IndicatorResult:
    indicator: m.Indicator
    county: Reading | None  # for county-level indicators
    units: Mapping[str, Reading]  # for unit-level indicators, by unit id
    points: Decimal | None = None
    detail: Mapping[str, Any] = attrs.Factory(dict)  # aggregation internals (CV mean, sd …)

    @property
    def failed_units(self) -> tuple[str, ...]:
        if isinstance(self.units, UnitReadings):
            return self.units.failed()
        return tuple(uid for uid, r in self.units.items() if r.met is False)

    @property
    def met(self) -> bool | None:
        if self.county is not None:
            return self.county.met
        if isinstance(self.units, UnitReadings):
            flags = [m for m in self.units.met_column if m is not None]
        else:
            flags = [r.met for r in self.units.values() if r.met is not None]
        return all(flags) if flags else None


@attrs.frozen
class RuleResult:
    rule: m.Rule
    failed: bool  # gate not met, or veto triggered
    applied: bool  # the effect counts (the highest-priority failing rule of its group)
    value: Value | None
    limit: Value | None
    failed_units: tuple[str, ...]
    cap_index: int | None  # the grade index the effect caps at (None: no effect)


@attrs.frozen
class AreaResult:
    area: m.Area
    points: Decimal
    raw_points: Decimal  # before the cap at the area's maximum


@attrs.frozen
class Evaluation:
    """The result of one evaluation; :func:`standards_kernel.kernel.result.to_canonical` writes it."""

    standard: m.Standard
    submission: Submission
    as_of: dt.date
    score: Decimal
    max_score: Decimal
    grade_by_score: str
    grade: str
    indicators: Mapping[str, IndicatorResult]
    areas: Mapping[str, AreaResult]
    rules: Mapping[str, RuleResult]
    parameters: Mapping[str, tuple[m.Parameter, m.DatedValue]]  # those the evaluation read
    units: Mapping[str, tuple[UnitView, ...]]
    #: How its sums were computed (numbers.SUMS when it was made): which result format it writes.
    sums: Sums = attrs.field(factory=SUMS.get)

    @property
    def assumptions(self) -> tuple[str, ...]:
        """Ids of the ``assumed`` parameters, indicators and rules this result rests on."""
        found = {f"parameters.{pid}" for pid, (_, d) in self.parameters.items() if d.citation.status == "assumed"}
        for iid, res in self.indicators.items():
            c = res.indicator.citation
            if c is not None and c.status == "assumed":
                found.add(f"indicators.{iid}")
        for aid, area in self.areas.items():
            c = area.area.citation
            if c is not None and c.status == "assumed":
                found.add(f"areas.{aid}")
        for rid, judged in self.rules.items():
            c = judged.rule.citation
            if c is not None and c.status == "assumed":
                found.add(f"{'vetoes' if judged.rule.kind == 'veto' else 'gates'}.{rid}")
        return tuple(sorted(found))

    @property
    def lowered_by(self) -> tuple[RuleResult, ...]:
        """The rules that hold the grade below the one the score reaches, worst first."""
        by_score = self.standard.grade_index(self.grade_by_score)
        return tuple(
            sorted(
                (r for r in self.rules.values() if r.applied and r.cap_index is not None and r.cap_index > by_score),
                key=lambda r: (-(r.cap_index or 0), r.rule.id),
            )
        )
