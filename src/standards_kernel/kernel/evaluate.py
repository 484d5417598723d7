"""Evaluate one county submission under one standard: exact, deterministic and explained.

The flow: parameters in force on ``as_of`` → unit views (schools, per-segment views with combined
schools split by the national weights, townships; filtered) → indicators in dependency order
(inputs, formulas, aggregations, k-of-n; each with its check) → points rolled up the area tree →
the grade the score reaches → lowered by every failed gate and triggered veto. Every value keeps
what it read, so the result explains itself.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from decimal import Decimal
from typing import Any, Callable, Mapping

import attrs

from . import aggregation as agg
from . import model as m
from ..errors import EvaluationError, KernelError, NumberError, SubmissionError
from .numbers import KERNEL_CONTEXT, divide, is_number, round_to
from .submission import Submission, Unit
from .vocabulary import coerce, lookup as vocabulary_lookup

Value = Decimal | int | bool | str
_MISSING = object()


class MissingInput(SubmissionError):
    """An input the standard reads is not in the submission."""


@attrs.frozen
class UnitView:
    """One unit as an indicator sees it: a school, a school's segment, or a township."""

    id: str
    fields: Mapping[str, Value]
    place: str  # where it came from, for messages: schools[3]


@attrs.frozen
class Reading:
    """One computed value with what it read."""

    value: Value | None
    met: bool | None = None
    limit: Value | None = None
    reads: Mapping[str, Value] = attrs.Factory(dict)
    note: str = ""


@attrs.frozen
class IndicatorResult:
    indicator: m.Indicator
    county: Reading | None  # for county-level indicators
    units: Mapping[str, Reading]  # for unit-level indicators, by unit id
    points: Decimal | None = None
    detail: Mapping[str, Any] = attrs.Factory(dict)  # aggregation internals (CV mean, sd …)

    @property
    def failed_units(self) -> tuple[str, ...]:
        return tuple(uid for uid, r in self.units.items() if r.met is False)

    @property
    def met(self) -> bool | None:
        if self.county is not None:
            return self.county.met
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
        for rid, res in self.rules.items():
            c = res.rule.citation
            if c is not None and c.status == "assumed":
                found.add(f"{'vetoes' if res.rule.kind == 'veto' else 'gates'}.{rid}")
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


def evaluate(submission: Submission, standard: m.Standard, as_of: dt.date | None = None) -> Evaluation:
    """Score ``submission`` under ``standard`` with the parameters in force on ``as_of``.

    ``as_of`` defaults to the submission's ``evaluation.as_of``. Bad or missing input raises a
    :class:`~standards_kernel.errors.KernelError` naming the field; nothing is partly computed.
    """
    date = as_of or submission.as_of
    if date is None:
        raise SubmissionError(
            "no evaluation date", path="evaluation.as_of", hint="give evaluation.as_of in the submission or --as-of"
        )
    if not standard.in_force(date):
        until = standard.effective_until.isoformat() if standard.effective_until else "open-ended"
        raise KernelError(
            f"{standard.key} is in force from {standard.effective_from.isoformat()} to {until}, "
            f"not on {date.isoformat()}",
            hint="pick the edition in force on that date, or give --as-of",
        )
    with decimal.localcontext(KERNEL_CONTEXT):
        try:
            return _Run(submission, standard, date).run()
        except KernelError as error:
            raise error.located(file=submission.file or None) from None


class _Run:
    def __init__(self, submission: Submission, standard: m.Standard, as_of: dt.date) -> None:
        self.sub = submission
        self.std = standard
        self.as_of = as_of
        self.params: dict[str, tuple[m.Parameter, m.DatedValue]] = {}
        self.used_params: set[str] = set()
        self.county_values: dict[str, Value] = {}
        self.unit_values: dict[str, dict[str, dict[str, Value]]] = {}  # unit set → unit → name → value
        self.results: dict[str, IndicatorResult] = {}
        self.limits: dict[str, Any] = {}
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
                view = self.segment_view(unit, fields, unit_set.segment, place)
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

    def segment_view(self, unit: Unit, fields: Mapping[str, Value], segment: str, place: str) -> dict[str, Value] | None:
        """The school as seen by one segment: its students, its teachers, its share of resources."""
        students = {s: int(fields.get(f"students.{s}", 0) or 0) for s in m.SEGMENTS}
        if students[segment] <= 0:
            return None
        shares = agg.segment_shares({s: n for s, n in students.items() if n > 0}, where=f"school {unit.id!r}")
        share = shares[segment]
        view: dict[str, Value] = {}
        for name, value in fields.items():
            target, split = _segment_field(name, segment)
            if target is None:
                continue
            view[target] = KERNEL_CONTEXT.multiply(Decimal(value), share) if split and is_number(value) else value
        view["students"] = students[segment]
        view["segment"] = segment
        view["share"] = share
        return view

    # -- lookups ----------------------------------------------------------------------------

    def county_lookup(self, reads: dict[str, Value]) -> Callable[[str], Value]:
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
    ) -> Callable[[str], Value]:
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

    def eval_expr(self, expr: Any, lookup: Callable[[str], Value], where: str, unit_id: str | None = None) -> Value:
        try:
            return expr.evaluate(lookup)
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

    # -- indicators -------------------------------------------------------------------------

    def run(self) -> Evaluation:
        views = {uid: self.unit_views(u) for uid, u in sorted(self.std.units.items()) if self.needed(uid)}
        self.views = views
        for iid in self.std.order:
            ind = self.std.indicators[iid]
            if ind.level == "county":
                result = self.county_indicator(ind)
                self.county_values[iid] = result.county.value if result.county else None  # type: ignore[assignment]
            else:
                result = self.unit_indicator(ind, views[ind.level])
            self.results[iid] = result
        areas = self.roll_up()
        top = [a for a in areas.values() if a.area.parent is None]
        loose = [r.points for r in self.results.values() if r.points is not None and r.indicator.scoring and r.indicator.scoring.area is None]
        score = sum([a.points for a in top] + loose, Decimal(0))
        if self.std.score_rounding is not None:
            score = round_to(score, self.std.score_rounding.places, self.std.score_rounding.mode)
        grade_by_score = self.grade_for(score)
        rules = self.judge_rules()
        index = self.std.grade_index(grade_by_score)
        for r in rules.values():
            if r.applied and r.cap_index is not None:
                index = max(index, r.cap_index)
        return Evaluation(
            standard=self.std,
            submission=self.sub,
            as_of=self.as_of,
            score=score,
            max_score=self.std.max_score,
            grade_by_score=grade_by_score,
            grade=self.std.grades[index].id,
            indicators=self.results,
            areas=areas,
            rules=rules,
            parameters={pid: self.params[pid] for pid in sorted(self.used_params)},
            units=views,
        )

    def needed(self, unit_set: str) -> bool:
        return any(i.level == unit_set for i in self.std.indicators.values())

    def county_indicator(self, ind: m.Indicator) -> IndicatorResult:
        where = f"indicators.{ind.id}"
        reads: dict[str, Value] = {}
        detail: dict[str, Any] = {}
        note = ""
        lookup = self.county_lookup(reads)
        if ind.input is not None:
            value = lookup(ind.input)
        elif ind.formula is not None:
            try:
                value = self.eval_expr(ind.formula, lookup, f"{where}.formula")
            except MissingInput:
                if ind.fallback_input is None or ind.fallback_input not in self.data:
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
        points = self.points(ind, reading, lookup) if ind.scoring else None
        return IndicatorResult(ind, reading, {}, points, detail)

    def unit_indicator(self, ind: m.Indicator, views: tuple[UnitView, ...]) -> IndicatorResult:
        where = f"indicators.{ind.id}"
        store = self.unit_values.setdefault(ind.level, {})
        readings: dict[str, Reading] = {}
        for view in views:
            reads: dict[str, Value] = {}
            lookup = self.unit_lookup(view.fields, ind.level, view.id, view.place, reads)
            note = ""
            if ind.input is not None:
                value = lookup(ind.input)
            elif ind.formula is not None:
                try:
                    value = self.eval_expr(ind.formula, lookup, f"{where}.formula", view.id)
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
            store.setdefault(view.id, {})[ind.id] = value
        return IndicatorResult(ind, None, readings)

    def rounded(self, ind: m.Indicator, value: Value) -> Value:
        if ind.round is not None and is_number(value):
            return round_to(Decimal(value), ind.round.places, ind.round.mode)
        return value

    def check(
        self, ind: m.Indicator, value: Value, lookup: Callable[[str], Value], where: str, unit_id: str | None = None
    ) -> tuple[bool | None, Value | None]:
        if ind.check is None:
            return (value if isinstance(value, bool) else None), None
        limit = self.limits.get(ind.id, _MISSING)
        if limit is _MISSING:
            limit = self.eval_expr(ind.check.limit, lookup, f"{where}.check.limit", unit_id)
            if all(name in self.std.parameters for name in ind.check.limit.names):
                self.limits[ind.id] = limit  # a limit of parameters only is the same for every unit
        return compare(value, ind.check.op, limit, f"{where}.check", unit_id), limit

    def k_of_n(self, spec: m.KOfN, view: UnitView, reads: dict[str, Value]) -> tuple[bool, str]:
        checks = []
        for name in spec.of:
            reading = self.results[name].units[view.id]
            ind = self.std.indicators[name]
            assert ind.check is not None
            if not is_number(reading.value) or not is_number(reading.limit):
                raise EvaluationError(f"k_of_n counts numeric checks; {name!r} is not one", path=f"indicators.{name}")
            reads[name] = reading.value  # type: ignore[assignment]
            checks.append(agg.Check(name, Decimal(reading.value), Decimal(reading.limit), ind.check.op in (">", ">=")))  # type: ignore[arg-type]
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
        views = self.views[spec.over]
        source = self.results.get(spec.of)

        def unit_value(view: UnitView, name: str) -> Value:
            if name in self.std.indicators:
                return self.results[name].units[view.id].value  # type: ignore[return-value]
            if name not in view.fields:
                raise MissingInput(f"{view.place} ({view.id!r}) lacks {name!r}", path=f"{view.place}.{name}")
            return view.fields[name]

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
        values = [unit_value(v, spec.of) for v in views]
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
        weights = [unit_value(v, spec.weight) for v in views]
        if fn == "weighted_mean":
            return agg.weighted_mean(values, weights, where=where), detail
        cv = agg.weighted_cv(values, weights, where=where)
        detail.update({"mean": cv.mean, "sd": cv.sd, "total_weight": cv.total_weight})
        return cv.cv, detail

    # -- points -----------------------------------------------------------------------------

    def points(self, ind: m.Indicator, reading: Reading, lookup: Callable[[str], Value]) -> Decimal:
        s = ind.scoring
        assert s is not None
        value, where = reading.value, f"indicators.{ind.id}.scoring"
        if s.kind == "threshold":
            return s.max if reading.met else Decimal(0)
        if s.kind == "zero_if":
            assert s.when is not None

            def own(name: str) -> Value:
                return value if name == "value" else lookup(name)  # type: ignore[return-value]

            hit = self.eval_expr(s.when, own, f"{where}.when")
            if not isinstance(hit, bool):
                raise EvaluationError(f"the condition {s.when.text!r} must give true or false", path=f"{where}.when")
            return Decimal(0) if hit else s.max
        if s.kind == "panel":
            if not is_number(value):
                raise SubmissionError(f"panel points must be a number, got {value!r}", path=self.input_path(ind))
            if not 0 <= value <= s.max:  # type: ignore[operator]
                raise SubmissionError(
                    f"panel points {value} outside 0..{s.max} for {ind.id!r}", path=self.input_path(ind),
                    hint="the item's maximum is set by the standard",
                )
            return Decimal(value)  # type: ignore[arg-type]
        if s.kind == "levels":
            table = dict(s.levels)
            if value not in table:
                raise SubmissionError(
                    f"{value!r} is not a level of {ind.id!r}", path=self.input_path(ind),
                    hint="levels: " + ", ".join(table),
                )
            return table[value]  # type: ignore[index]
        limit = reading.limit
        if not is_number(value) or not is_number(limit):
            raise EvaluationError(f"{s.kind} scoring needs numbers, got {value!r} and {limit!r}", path=where)
        value, limit = Decimal(value), Decimal(limit)  # type: ignore[arg-type]
        higher = ind.direction == "higher"
        if s.kind == "deduction":
            assert s.per is not None and s.deduct is not None
            shortfall = (limit - value) if higher else (value - limit)
            if shortfall <= 0:
                return s.max
            units = shortfall / s.per
            if s.steps == "whole":
                units = units.to_integral_value(rounding=decimal.ROUND_FLOOR)
            elif s.steps == "started":
                units = units.to_integral_value(rounding=decimal.ROUND_CEILING)
            return max(Decimal(0), s.max - units * s.deduct)
        # bands: the fraction of the target reached picks the share of the points
        if higher:
            fraction = Decimal(1) if limit == 0 else value / limit
        else:
            fraction = Decimal(1) if value == 0 else limit / value
        for band in s.bands:
            if fraction >= band.at_least:
                return s.max * band.share
        return Decimal(0)

    def input_path(self, ind: m.Indicator) -> str:
        return f"data.{ind.input}" if ind.input else f"indicators.{ind.id}"

    def roll_up(self) -> dict[str, AreaResult]:
        raw: dict[str, Decimal] = {aid: Decimal(0) for aid in self.std.areas}
        for res in self.results.values():
            s = res.indicator.scoring
            if s is not None and s.area is not None and res.points is not None:
                raw[s.area] += res.points
        results: dict[str, AreaResult] = {}
        depth = {aid: _depth(self.std.areas, aid) for aid in self.std.areas}
        for aid in sorted(self.std.areas, key=lambda a: (-depth[a], a)):  # leaves first
            area = self.std.areas[aid]
            points = min(raw[aid], area.max)
            results[aid] = AreaResult(area, points, raw[aid])
            if area.parent is not None:
                raw[area.parent] += points
        return dict(sorted(results.items()))

    # -- grade ------------------------------------------------------------------------------

    def grade_for(self, score: Decimal) -> str:
        lookup = self.county_lookup({})
        for grade in self.std.grades:
            if grade.min_score is None:
                return grade.id
            cutoff = self.eval_expr(grade.min_score, lookup, f"grades.{grade.id}.min_score")
            if score >= cutoff:  # type: ignore[operator]
                return grade.id
        return self.std.grades[-1].id

    def judge_rules(self) -> dict[str, RuleResult]:
        lowest = len(self.std.grades) - 1
        failing: dict[str, tuple[bool, tuple[str, ...], Value | None, Value | None]] = {}
        for rid, rule in sorted(self.std.rules.items()):
            res = self.results[rule.indicator]
            if res.county is not None:
                failed = res.county.met is False
                failing[rid] = (failed, (), res.county.value, res.county.limit)
            else:
                bad = res.failed_units
                worst = bad[0] if bad else None
                reading = res.units.get(worst) if worst else None
                failing[rid] = (bool(bad), bad, reading.value if reading else None, reading.limit if reading else None)
        # Within a group, the failing rule(s) of the highest priority decide (an exception wins).
        top: dict[str, int] = {}
        for rid, rule in self.std.rules.items():
            if failing[rid][0] and rule.effect != "none":
                top[rule.group] = max(top.get(rule.group, rule.priority), rule.priority)
        results = {}
        for rid, rule in sorted(self.std.rules.items()):
            failed, units, value, limit = failing[rid]
            applied = failed and rule.effect != "none" and top.get(rule.group) == rule.priority
            cap = None
            if rule.effect == "cap" and rule.grade is not None:
                cap = self.std.grade_index(rule.grade)
            elif rule.effect == "deny":
                cap = lowest
            results[rid] = RuleResult(rule, failed, applied, value, limit, units, cap)
        return results


@functools.cache
def _segment_field(name: str, segment: str) -> tuple[str | None, bool]:
    """How a school field appears in a segment view: its name there (None: another segment's)
    and whether it is one of the physical resources split by the segment's share."""
    head, _, last = name.rpartition(".")
    if last in m.SEGMENTS:
        return (head if last == segment else None), False
    return name, name in agg.SPLIT_RESOURCES


def _depth(areas: Mapping[str, m.Area], aid: str) -> int:
    depth, node = 0, areas[aid].parent
    while node is not None:
        depth, node = depth + 1, areas[node].parent
    return depth


def compare(value: Value, op: str, limit: Value, where: str, unit_id: str | None = None) -> bool:
    """``value <op> limit`` on exact numbers (or equal-typed booleans and texts for == / !=)."""
    if is_number(value) and is_number(limit):
        a, b = Decimal(value), Decimal(limit)  # type: ignore[arg-type]
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]
    if type(value) is type(limit) and op in ("==", "!="):
        return (value == limit) if op == "==" else (value != limit)
    subject = f" for {unit_id!r}" if unit_id else ""
    raise EvaluationError(f"cannot compare {value!r} {op} {limit!r}{subject}", path=where)
