"""What an indicator can read during one evaluation: checked inputs, parameters, unit views.

One :class:`Scope` per evaluation holds the submission's inputs (the standard's own ones checked
against their declarations), the parameters in force on the evaluation date (and which were
read), the views of every unit set (per-segment views of schools, filtered), and the values
computed so far; its lookups record what each formula read, so that every value explains itself.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, Callable, Mapping, cast

from . import model as m
from ..errors import EvaluationError, KernelError, NumberError, SubmissionError
from .expressions import Expression
from .readings import MissingInput, UnitView, Value
from .segments import Schools, SegmentFields, SegmentRows, segment_view
from .columns import enabled as columns_enabled, standard_memo, unit_filter
from .submission import Submission, Unit
from .vocabulary import coerce, lookup as vocabulary_lookup

Lookup = Callable[[str], Value]
_MISSING = object()


class Scope:
    """The inputs, parameters, unit views and computed values of one evaluation, and lookups."""

    def __init__(self, submission: Submission, standard: m.Standard, as_of: dt.date) -> None:
        self.sub = submission
        self.std = standard
        self.as_of = as_of
        self.params: dict[str, tuple[m.Parameter, m.DatedValue]] = {}
        self.used_params: set[str] = set()
        self.county_values: dict[str, Value] = {}
        #: unit set → indicator → its values in the order of the set's views (computed so far)
        self.unit_columns: dict[str, dict[str, list[Value]]] = {}
        self._positions: dict[str, dict[str, int]] = {}  # unit set → unit id → position in its views
        self.views: dict[str, tuple[UnitView, ...]] = {}
        self._checked: dict[str, dict[str, Value]] = {}  # a unit's checked inputs, by its place
        #: what is the same in every evaluation under the standard (see columns.standard_memo)
        self.memo: dict[Any, Any] = standard_memo(standard)
        #: level → its units, places and checked inputs; the schools as segment sets read them
        self._units: dict[str, list[tuple[Unit, str, Mapping[str, Value]]]] = {}
        self._schools: dict[str, Schools] = {}
        #: segment unit set → its views' rows (views built a column at a time: see column_views)
        self._rows: dict[str, SegmentRows] = {}
        self._view_columns: dict[tuple[str, str], object] = {}  # (unit set, name) → view_column
        self.data = self.own_inputs(submission.data, "county", "data")

    # -- inputs -----------------------------------------------------------------------------

    def own_inputs(self, values: Mapping[str, Value], level: str, where: str) -> dict[str, Value]:
        """Check the standard's own inputs (``<jurisdiction>.x``, and those it inherits through
        ``extends``, e.g. ``national.x`` in a province's standard) against their declarations."""
        checked = dict(values)
        for name in self.own_names(tuple(values), level):
            spec = self.std.inputs.get(name)
            if spec is None or spec.level != level:
                raise SubmissionError(
                    f"{name!r} is not an input of {self.std.key}", path=f"{where}.{name}",
                    hint="its declared inputs: " + (", ".join(sorted(self.std.inputs)) or "none"),
                )
            checked[name] = coerce(spec, values[name], where=f"{where}.{name}")
        return checked

    def own_names(self, names: tuple[str, ...], level: str) -> tuple[str, ...]:
        """Which of ``names`` are the standard's own inputs (units of a county share a few layouts
        of names, so each layout is looked through once)."""
        key = ("own names", names, level)
        found: tuple[str, ...] | None = self.memo.get(key)
        if found is None:
            prefix = self.std.jurisdiction + "."
            found = self.memo[key] = tuple(
                name for name in names
                if (name.startswith(prefix) or name in self.std.inputs) and vocabulary_lookup(level, name) is None
            )
        return found

    def parameter(self, pid: str) -> Value:
        if pid not in self.params:
            parameter = self.std.parameters[pid]
            dated = parameter.at(self.as_of)
            if dated is None:
                raise KernelError(
                    f"parameter {pid!r} has no value in force on {self.as_of.isoformat()}",
                    path=f"parameters.{pid}",
                    hint="its values start on " + ", ".join(d.start.isoformat() for d in parameter.values),
                )
            self.params[pid] = (parameter, dated)
        return self.params[pid][1].value

    # -- units ------------------------------------------------------------------------------

    def build_views(self) -> dict[str, tuple[UnitView, ...]]:
        """The views of every unit set some indicator is computed for."""
        memo = self.memo
        needed = memo.get(("unit sets read",))
        if needed is None:
            levels = {i.level for i in self.std.indicators.values()}
            needed = memo[("unit sets read",)] = tuple(u for uid, u in sorted(self.std.units.items()) if uid in levels)
        self.views = {u.id: self.unit_views(u) for u in needed}
        return self.views

    def unit_views(self, unit_set: m.UnitSet) -> tuple[UnitView, ...]:
        level = "township" if unit_set.base == "townships" else "school"
        fast = self.column_views(unit_set, level)
        if fast is not None:
            return fast
        views = []
        checked = self._checked
        for unit, place in self.source(level):
            fields = checked.get(place)
            if fields is None:  # checked once for every unit set that reads the unit
                fields = checked[place] = self.own_inputs(unit.values, level, place)
            if unit_set.segment is not None:
                view = segment_view(fields, unit_set.segment, where=f"school {unit.id!r}")
                if view is None:
                    continue
                fields = view
            if unit_set.where is not None:
                keep = self.eval_expr(unit_set.where, self.unit_lookup(fields, unit_set.id, unit.id, place, {}), f"units.{unit_set.id}.where", unit.id)
                if not isinstance(keep, bool):
                    raise EvaluationError(f"the filter {unit_set.where.text!r} must give true or false", path=f"units.{unit_set.id}.where")
                if not keep:
                    continue
            views.append(UnitView(unit.id, fields, place))
        return tuple(views)

    def source(self, level: str) -> list[tuple[Unit, str]]:
        """The units of ``level`` (``school`` or ``township``) with their places: ``schools[3]``."""
        if level == "township":
            return [(u, f"townships[{u.index}]") for u in self.sub.townships]
        return [(u, f"schools[{u.index}]") for u in self.sub.schools]

    def units(self, level: str) -> list[tuple[Unit, str, Mapping[str, Value]]] | None:
        """Every unit of ``level`` with its place and checked inputs (once per evaluation for all
        its unit sets), or None when some unit's inputs are wrong: the per-unit loop then raises."""
        table = self._units.get(level)
        if table is None:
            checked = self._checked
            table = []
            try:
                for unit, place in self.source(level):
                    fields = checked.get(place)
                    if fields is None:
                        fields = checked[place] = self.own_inputs(unit.values, level, place)
                    table.append((unit, place, fields))
            except KernelError:
                return None
            self._units[level] = table
        return table

    def column_views(self, unit_set: m.UnitSet, level: str) -> tuple[UnitView, ...] | None:
        """The views of a segment or filtered unit set built a column at a time (the filter run
        over columns, a segment view's fields built only when something reads them), or None:
        the per-unit loop then builds them, raising any error in the order it always did."""
        segment = unit_set.segment
        if (unit_set.where is None and segment is None) or not columns_enabled():
            return None
        table = self.units(level)
        if table is None:
            return None
        rows: SegmentRows | None = None
        if segment is None:
            candidates = table
        else:
            schools = self._schools.get(level)
            if schools is None:  # once for every segment unit set of the level
                schools = self._schools[level] = Schools([fields for _, _, fields in table])
            rows, picked = schools.rows(segment)
            candidates = [table[i] for i in picked]
        if unit_set.where is None:
            keep = [True] * len(candidates)
        else:
            column: Callable[[str], list[Value] | None]
            if rows is None:
                def column(name: str) -> list[Value] | None:
                    try:
                        return [fields[name] for _, _, fields in candidates]
                    except KeyError:
                        return None
            else:
                column = rows.column
            found = unit_filter(self, unit_set, len(candidates), column)
            if found is None:
                return None
            keep = found
        kept = candidates if all(keep) else [c for c, k in zip(candidates, keep) if k]
        ids, places = [unit.id for unit, _, _ in kept], [place for _, place, _ in kept]
        if rows is None:
            return UnitView.many(ids, [fields for _, _, fields in kept], places)
        self._rows[unit_set.id] = rows if kept is candidates else rows.kept(keep)
        return UnitView.many(ids, map(SegmentFields, [fields for _, _, fields in kept], itertools.repeat(rows.segment)), places)

    def view_column(self, unit_set: str, name: str) -> list[Value] | None:
        """``[view.fields[name] for view in self.views[unit_set]]`` (kept for the evaluation), or
        None when some view lacks ``name``."""
        key = (unit_set, name)
        column = self._view_columns.get(key, _MISSING)
        if column is _MISSING:
            rows = self._rows.get(unit_set)
            if rows is None:
                try:
                    column = [view.fields[name] for view in self.views[unit_set]]
                except KeyError:
                    column = None
            else:
                column = rows.column(name)
            self._view_columns[key] = column
        return cast("list[Value] | None", column)

    # -- lookups ----------------------------------------------------------------------------

    def county_lookup(self, reads: dict[str, Value]) -> Lookup:
        def lookup(name: str) -> Value:
            if name in self.county_values:
                value = self.county_values[name]
            elif name in self.std.parameters:
                value = self.parameter(name)
                self.used_params.add(name)
            elif name in self.data:
                value = self.data[name]
            else:
                raise MissingInput(
                    f"missing county input {name!r}", path=f"data.{name}",
                    hint="add it to [data]; standards-kernel template lists every input",
                )
            reads[name] = value
            return value

        return lookup

    def computed(self, unit_set: str, unit_id: str) -> dict[str, Value]:
        """The values of the unit indicators computed so far for one unit, by indicator id."""
        columns = self.unit_columns.get(unit_set)
        if not columns:
            return {}
        positions = self._positions.get(unit_set)
        if positions is None:
            positions = self._positions[unit_set] = {v.id: i for i, v in enumerate(self.views[unit_set])}
        i = positions.get(unit_id)
        return {} if i is None else {iid: values[i] for iid, values in columns.items()}

    def unit_lookup(
        self, fields: Mapping[str, Value], unit_set: str, unit_id: str, place: str, reads: dict[str, Value]
    ) -> Lookup:
        computed = self.computed(unit_set, unit_id)

        def lookup(name: str) -> Value:
            if name in computed:
                value = computed[name]
            elif name in self.std.parameters:
                value = self.parameter(name)
                self.used_params.add(name)
            elif name in fields:
                value = fields[name]
            else:
                raise MissingInput(
                    f"{place} ({unit_id!r}) lacks {name!r}", path=f"{place}.{name}",
                    hint=f"the standard reads it for every unit of {unit_set}",
                )
            reads[name] = value
            return value

        return lookup

    def eval_expr(self, expr: Expression, lookup: Lookup, where: str, unit_id: str | None = None) -> Value:
        try:
            return cast(Value, expr.evaluate(lookup))  # expressions give numbers, booleans or texts
        except MissingInput:
            raise
        except NumberError as error:
            subject = f" for {unit_id!r}" if unit_id else ""
            raise EvaluationError(f"{error.message} in {expr.text!r}{subject}", path=where) from None
        except EvaluationError as error:
            if unit_id and unit_id not in error.message:
                error.message += f" (unit {unit_id!r})"
                error.args = (error.render(),)
            raise
