"""What an indicator can read during one evaluation: checked inputs, parameters, unit views.

One :class:`Scope` per evaluation holds the submission's inputs (the standard's own ones checked
against their declarations), the parameters in force on the evaluation date (and which were
read), the views of every unit set (per-segment views of schools, filtered), and the values
computed so far; its lookups record what each formula read, so that every value explains itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Mapping, cast

from . import model as m
from ..errors import EvaluationError, KernelError, NumberError, SubmissionError
from .expressions import Expression
from .readings import MissingInput, UnitView, Value
from .segments import segment_view
from .submission import Submission
from .vocabulary import coerce, lookup as vocabulary_lookup

Lookup = Callable[[str], Value]


class Scope:
    """The inputs, parameters, unit views and computed values of one evaluation, and lookups."""

    def __init__(self, submission: Submission, standard: m.Standard, as_of: dt.date) -> None:
        self.sub = submission
        self.std = standard
        self.as_of = as_of
        self.params: dict[str, tuple[m.Parameter, m.DatedValue]] = {}
        self.used_params: set[str] = set()
        self.county_values: dict[str, Value] = {}
        self.unit_values: dict[str, dict[str, dict[str, Value]]] = {}  # unit set → unit → name → value
        self.views: dict[str, tuple[UnitView, ...]] = {}
        self.data = self.own_inputs(submission.data, "county", "data")

    # -- inputs -----------------------------------------------------------------------------

    def own_inputs(self, values: Mapping[str, Value], level: str, where: str) -> dict[str, Value]:
        """Check the standard's own inputs (``<jurisdiction>.x``, and those it inherits through
        ``extends``, e.g. ``national.x`` in a province's standard) against their declarations."""
        prefix = self.std.jurisdiction + "."
        checked = dict(values)
        for name, value in values.items():
            if (name.startswith(prefix) or name in self.std.inputs) and vocabulary_lookup(level, name) is None:
                spec = self.std.inputs.get(name)
                if spec is None or spec.level != level:
                    raise SubmissionError(
                        f"{name!r} is not an input of {self.std.key}", path=f"{where}.{name}",
                        hint="its declared inputs: " + (", ".join(sorted(self.std.inputs)) or "none"),
                    )
                checked[name] = coerce(spec, value, where=f"{where}.{name}")
        return checked

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
        needed = {i.level for i in self.std.indicators.values()}
        self.views = {uid: self.unit_views(u) for uid, u in sorted(self.std.units.items()) if uid in needed}
        return self.views

    def unit_views(self, unit_set: m.UnitSet) -> tuple[UnitView, ...]:
        if unit_set.base == "townships":
            source = [(u, f"townships[{u.index}]") for u in self.sub.townships]
            level = "township"
        else:
            source = [(u, f"schools[{u.index}]") for u in self.sub.schools]
            level = "school"
        views = []
        for unit, place in source:
            fields = self.own_inputs(unit.values, level, place)
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

    def unit_lookup(
        self, fields: Mapping[str, Value], unit_set: str, unit_id: str, place: str, reads: dict[str, Value]
    ) -> Lookup:
        computed = self.unit_values.get(unit_set, {}).get(unit_id, {})

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
