"""Compute one indicator: its value (input, formula, aggregation or k-of-n), check and points.

:class:`Indicators` works through a :class:`~standards_kernel.kernel.scope.Scope`, so every value
keeps what it read. Overrides (used by the next-grade search) replace an indicator's computed
value after the kernel has computed it; the check, points and everything downstream then follow
the replaced value exactly as they would a computed one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping, Sequence, cast

import attrs

from . import aggregation as agg
from . import columns as col
from . import model as m
from ..errors import EvaluationError
from .compare import compare
from .expressions import Expression
from .numbers import divide, is_number, round_to
from .readings import IndicatorResult, MissingInput, Reading, UnitReadings, UnitView, Value
from .scope import Lookup, Scope
from .scoring import points

@attrs.frozen
class NotAssessable(IndicatorResult):
    """A county indicator declared ``assessable = "when_inputs_present"`` whose inputs are missing:
    no value, no check, no points; ``missing`` names what was missing (``data.x``)."""

    missing: tuple[str, ...] = ()


#: ``(indicator id, unit id)`` (None for a county indicator) → the value to use instead.
Overrides = Mapping[tuple[str, "str | None"], Value]

_MISSING = object()
_NUMBERS = frozenset((Decimal, int))  # exact types: a bool is not a number


class Indicators:
    """The indicators of one evaluation, computed in dependency order through one scope."""

    def __init__(self, scope: Scope, overrides: Overrides | None = None) -> None:
        self.scope = scope
        self.std = scope.std
        self.overrides: Overrides = overrides or {}
        self.results: dict[str, IndicatorResult] = {}
        self.limits: dict[str, Any] = {}
        #: every unit indicator computed so far: its values and limits, in the order of its views
        self.columns: dict[str, tuple[list[Any], list[Any]]] = {}
        # once per column and unit set in the evaluation (see columns._known_numeric, _ids)
        self.numeric: dict[int, tuple[Sequence[Any], bool]] = {}
        self.view_ids: dict[int, tuple[tuple[UnitView, ...], tuple[str, ...]]] = {}
        self.weights: dict[int, agg.Weights] = {}  # a weight column, checked, by its id (it holds the column)

    def compute(self, ind: m.Indicator) -> IndicatorResult:
        if ind.level == "county":
            computed = self.unassessed(ind)
            if isinstance(computed, NotAssessable):
                self.results[ind.id] = computed
                return computed
            result = computed if computed is not None else self.county(ind)
            assert result.county is not None
            # A computed (or overridden) county value is never None; later formulas read it.
            self.scope.county_values[ind.id] = cast(Value, result.county.value)
        else:
            views = self.scope.views[ind.level]
            result = self.unit(ind, views)
            units = result.units
            values: list[Any]
            if isinstance(units, UnitReadings):
                values, limits = list(units.value_column), [units.limit] * len(views)
            else:
                readings = [units[v.id] for v in views]
                values, limits = [r.value for r in readings], [r.limit for r in readings]
            self.columns[ind.id] = (values, limits)
            self.scope.unit_columns.setdefault(ind.level, {})[ind.id] = cast("list[Value]", values)  # never None
        self.results[ind.id] = result
        return result

    # -- not assessable ---------------------------------------------------------------------

    def unassessed(self, ind: m.Indicator) -> IndicatorResult | None:
        """The indicator as not assessable when an input (or an indicator) it reads is missing and
        the standard allows it; else its result if computing it told, or None (compute it). Without the declaration, reading a
        not-assessable indicator is an error naming it (a missing input stays one, as always)."""
        if not ind.assessable_when_inputs_present:
            # Only a not-assessable indicator it reads matters then (an error); else compute it.
            results = self.results
            if not any(isinstance(results.get(n), NotAssessable) for n in self.county_indicators_read(ind)):
                return None
        reads = self.county_names(ind)
        upstream = [self.results[n] for n in sorted(reads) if isinstance(self.results.get(n), NotAssessable)]
        missing = sorted({f"data.{n}" for n in reads if self.absent(n)}
                         | {p for r in upstream for p in cast(NotAssessable, r).missing})
        if not missing:
            if not ind.assessable_when_inputs_present:
                return None
            try:
                return self.county(ind)  # a unit field an aggregation reads may be missing too
            except MissingInput as error:
                missing = [error.path or f"indicators.{ind.id}"]
        if not ind.assessable_when_inputs_present:
            if upstream:
                raise EvaluationError(
                    f"{ind.id!r} reads {upstream[0].indicator.id!r}, which is not assessable "
                    f"(missing {', '.join(missing)})", path=f"indicators.{ind.id}",
                    hint="declare assessable = \"when_inputs_present\" on it too, or supply the inputs")
            return None  # the computation raises the missing input, as always
        return NotAssessable(ind, Reading(None), {}, None, {}, tuple(missing))

    def county_names(self, ind: m.Indicator) -> set[str]:
        names: set[str] = set()
        if ind.input is not None:
            names.add(ind.input)
        if ind.formula is not None:
            if ind.fallback_input is not None and ind.fallback_input in self.scope.data:
                names.add(ind.fallback_input)
            else:
                names |= set(ind.formula.names)
        if ind.check is not None:
            names |= set(ind.check.limit.names)
        if ind.scoring is not None and ind.scoring.when is not None:
            names |= set(ind.scoring.when.names) - {"value"}
        return names - set(self.std.parameters)

    def county_indicators_read(self, ind: m.Indicator) -> tuple[str, ...]:
        """The indicators among :meth:`county_names` (the same in every evaluation under the
        standard, but for whether a fallback input is present)."""
        key = ("county indicators read", ind.id, ind.fallback_input is not None and ind.fallback_input in self.scope.data)
        memo = self.scope.memo
        found: tuple[str, ...] | None = memo.get(key)
        if found is None:
            found = memo[key] = tuple(sorted(n for n in self.county_names(ind) if n in self.std.indicators))
        return found

    def absent(self, name: str) -> bool:
        return name not in self.std.indicators and name not in self.scope.data

    # -- county and unit indicators ---------------------------------------------------------

    def county(self, ind: m.Indicator) -> IndicatorResult:
        result = self.county_computed(ind)
        key = (ind.id, None)
        if key not in self.overrides or result.county is None:
            return result
        value = self.overrides[key]
        lookup = self.scope.county_lookup({})
        met, limit = self.check(ind, value, lookup, f"indicators.{ind.id}")
        reading = attrs.evolve(result.county, value=value, met=met, limit=limit)
        earned = points(self.scope, ind, reading, lookup) if ind.scoring else None
        return attrs.evolve(result, county=reading, points=earned)

    def county_computed(self, ind: m.Indicator) -> IndicatorResult:
        where = f"indicators.{ind.id}"
        reads: dict[str, Value] = {}
        detail: dict[str, Any] = {}
        note = ""
        lookup = self.scope.county_lookup(reads)
        if ind.input is not None:
            value = lookup(ind.input)
        elif ind.formula is not None:
            try:
                value = self.scope.eval_expr(ind.formula, lookup, f"{where}.formula")
            except MissingInput:
                if ind.fallback_input is None or ind.fallback_input not in self.scope.data:
                    raise
                reads.clear()
                value = lookup(ind.fallback_input)
                note = "published figure used: the inputs of the formula are not in the submission"
        else:
            assert ind.aggregate is not None
            value, detail = self.aggregate(ind, reads)
        value = self.rounded(ind, value)
        met, limit = self.check(ind, value, lookup, where)
        reading = Reading(value, met, limit, reads, note)
        earned = points(self.scope, ind, reading, lookup) if ind.scoring else None
        return IndicatorResult(ind, reading, {}, earned, detail)

    def unit(self, ind: m.Indicator, views: tuple[UnitView, ...]) -> IndicatorResult:
        result = self.unit_computed(ind, views)
        hits = {unit: v for (iid, unit), v in self.overrides.items() if iid == ind.id and unit is not None}
        if not hits:
            return result
        readings = dict(result.units)
        for view in views:
            if view.id in hits and view.id in readings:
                value = hits[view.id]
                lookup = self.scope.unit_lookup(view.fields, ind.level, view.id, view.place, {})
                met, limit = self.check(ind, value, lookup, f"indicators.{ind.id}", view.id)
                readings[view.id] = attrs.evolve(readings[view.id], value=value, met=met, limit=limit)
        return attrs.evolve(result, units=readings)

    def unit_computed(self, ind: m.Indicator, views: tuple[UnitView, ...]) -> IndicatorResult:
        fast = col.k_of_n_column(self, ind, views) if ind.k_of_n is not None else col.unit_values(self, ind, views)
        if fast is not None:
            return IndicatorResult(ind, None, fast)
        where = f"indicators.{ind.id}"
        readings: dict[str, Reading] = {}
        for view in views:
            reads: dict[str, Value] = {}
            lookup = self.scope.unit_lookup(view.fields, ind.level, view.id, view.place, reads)
            note = ""
            if ind.input is not None:
                value = lookup(ind.input)
            elif ind.formula is not None:
                try:
                    value = self.scope.eval_expr(ind.formula, lookup, f"{where}.formula", view.id)
                except MissingInput:
                    if ind.fallback_input is None or ind.fallback_input not in view.fields:
                        raise
                    reads.clear()
                    value = lookup(ind.fallback_input)
                    note = "published figure used"
            else:
                assert ind.k_of_n is not None
                value, note = self.k_of_n(ind.k_of_n, view, reads)
            value = self.rounded(ind, value)
            met, limit = self.check(ind, value, lookup, where, view.id)
            readings[view.id] = Reading(value, met, limit, reads, note)
        return IndicatorResult(ind, None, readings)

    # -- value, check -----------------------------------------------------------------------

    def rounded(self, ind: m.Indicator, value: Value) -> Value:
        if ind.round is not None and is_number(value):
            return round_to(Decimal(value), ind.round.places, ind.round.mode)
        return value

    def check(
        self, ind: m.Indicator, value: Value, lookup: Lookup, where: str, unit_id: str | None = None
    ) -> tuple[bool | None, Value | None]:
        if ind.check is None:
            return (value if isinstance(value, bool) else None), None
        limit = self.limits.get(ind.id, _MISSING)
        if limit is _MISSING:
            tree = ind.check.limit.tree
            if tree.kind == "name":  # what evaluating a bare name does (its errors pass unchanged)
                limit = lookup(str(tree.value))
            else:
                limit = self.scope.eval_expr(ind.check.limit, lookup, f"{where}.check.limit", unit_id)
            if self.parameters_only(ind.check.limit):
                self.limits[ind.id] = limit  # a limit of parameters only is the same for every unit
        return compare(value, ind.check.op, limit, f"{where}.check", unit_id), limit

    def parameters_only(self, expr: Expression) -> bool:
        """Whether ``expr`` reads parameters only (once per standard)."""
        memo = self.scope.memo
        key = ("parameters only", expr.text)
        found: bool | None = memo.get(key)
        if found is None:
            found = memo[key] = all(name in self.std.parameters for name in expr.names)
        return found

    # -- k of n, aggregations ---------------------------------------------------------------

    def k_of_n(self, spec: m.KOfN, view: UnitView, reads: dict[str, Value]) -> tuple[bool, str]:
        checks = []
        for name in spec.of:
            reading = self.results[name].units[view.id]
            ind = self.std.indicators[name]
            assert ind.check is not None
            value, limit = reading.value, reading.limit
            if not is_number(value) or not is_number(limit):
                raise EvaluationError(f"k_of_n counts numeric checks; {name!r} is not one", path=f"indicators.{name}")
            reads[name] = value
            checks.append(agg.Check(name, Decimal(value), Decimal(limit), ind.check.op in (">", ">=")))
        outcome = agg.k_of_n(checks, spec.k, spec.floor, where=f"unit {view.id!r}")
        parts = [f"met {len(outcome.met)} of {outcome.n} (needs {outcome.k})"]
        if outcome.missed:
            parts.append("missed: " + ", ".join(outcome.missed))
        if outcome.below_floor:
            parts.append("below the floor: " + ", ".join(outcome.below_floor))
        return outcome.passed, "; ".join(parts)

    def aggregate(self, ind: m.Indicator, reads: dict[str, Value]) -> tuple[Value, dict[str, Any]]:
        spec = ind.aggregate
        assert spec is not None
        where = f"indicators.{ind.id}.aggregate"
        views = self.scope.views[spec.over]
        source = self.results.get(spec.of)

        def column(name: str) -> list[Any]:
            if name in self.std.indicators:
                known = self.columns.get(name)
                if known is not None and self.std.indicators[name].level == spec.over:
                    return known[0]
                return [self.results[name].units[view.id].value for view in views]
            # kept for the evaluation: e.g. the enrolment every coefficient of a segment is weighted by
            field = self.scope.view_column(spec.over, name)
            if field is not None:
                return field
            for view in views:
                if name not in view.fields:
                    raise MissingInput(f"{view.place} ({view.id!r}) lacks {name!r}", path=f"{view.place}.{name}")
            raise AssertionError(f"the column {name!r} of {spec.over!r} has no missing value")  # pragma: no cover

        fn = spec.function
        detail: dict[str, Any] = {"units": len(views)}
        if fn in ("count_met", "share_met", "all_met"):
            assert source is not None
            flags = [source.units[v.id].met for v in views]
            if fn == "all_met":
                return agg.all_true([bool(f) for f in flags]), detail
            met = agg.count_true([bool(f) for f in flags])
            if fn == "count_met":
                return met, detail
            if not views:
                raise EvaluationError(
                    f"share_met over {spec.over!r} is undefined: the county has no such units", path=where,
                    hint="use all_met or count_met, which are defined for no units",
                )
            return divide(met, len(views), where=where), detail
        values = column(spec.of)  # every unit read first: a missing one names itself
        if not set(map(type, values)) <= _NUMBERS:
            for v, value in zip(views, values):
                if not is_number(value):
                    raise EvaluationError(f"{fn} needs numbers; {spec.of!r} of {v.id!r} is {value!r}", path=where)
        if fn == "count":
            return agg.count(values), detail
        if fn == "sum":
            return agg.total(values), detail
        if fn == "min":
            return agg.minimum(values, where=where), detail
        if fn == "max":
            return agg.maximum(values, where=where), detail
        if fn == "mean":
            return agg.mean(values, where=where), detail
        assert spec.weight is not None
        weights = column(spec.weight)
        if fn == "weighted_mean":
            return agg.weighted_mean(values, weights, where=where), detail
        checked = self.weights.get(id(weights))
        if checked is None or checked.given is not weights:  # the seven coefficients of a segment share one
            checked = self.weights[id(weights)] = agg.Weights(weights)
        cv = agg.weighted_cv(values, weights, where=where, checked=checked)
        detail.update({"mean": cv.mean, "sd": cv.sd, "total_weight": cv.total_weight})
        return cv.cv, detail
