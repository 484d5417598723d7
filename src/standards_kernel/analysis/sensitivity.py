"""Sensitivity to assumptions: would the grade, a gate or a veto change if an assumed value were wrong?

Every parameter the evaluation read whose value in force is ``assumed`` or ``reconstructed`` is
moved across its plausible range, the other parameters and the submission held fixed, and the
county is re-evaluated through the kernel's public ``evaluate`` on a copy of the standard with that
one value replaced (the copy is never recorded). The range is the parameter's declared
``range = [lo, hi]``; without one, the documented default (:func:`default_range`): ``[0, max
score]`` for points, ``[0, 1]`` for ratios, otherwise half to one and a half times the value.

Where the parameter is only the limit of checks or a grade's cut-off, the outcome is constant
between the values at which a compared quantity meets its limit exactly (an indicator's value, a
school's value over a k-of-n floor, the score); those values are solved exactly for the parameter
(:func:`~standards_kernel.analysis.gaps.exact.solve`, the solving the gap analysis uses), and the
county is evaluated at each of them and between them: the flip points are exact, and which side
the point itself belongs to is known. Where the parameter feeds a formula or a deduction, the range
is sampled and each change bisected over exact decimals to a width of (hi − lo) / 2**24, then narrowed to
short decimals: the flip lies between two values that are both reported.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from ..errors import KernelError
from ..kernel import model as m
from ..kernel.evaluate import Evaluation, evaluate
from ..kernel.numbers import canonical, is_number
from .gaps.exact import solve

__all__ = ["Flip", "ParameterSensitivity", "Segment", "Sensitivity", "default_range", "sensitivity",
           "sensitivity_lines", "sensitivity_to_data", "with_parameters"]

STATUSES = ("assumed", "reconstructed")
GRID = 16  # samples of a range where the flips cannot be solved
BISECTIONS = 24
SNAPS = 8

Signature = tuple[str, str, tuple[str, ...], tuple[str, ...]]  # grade, by score, gates failed, vetoes


@attrs.frozen
class Segment:
    """Values of the parameter from ``low`` to ``high`` that give the same outcome."""

    low: Decimal
    high: Decimal
    low_closed: bool
    high_closed: bool
    grade: str
    grade_by_score: str
    gates_failed: tuple[str, ...]
    vetoes: tuple[str, ...]


@attrs.frozen
class Flip:
    """At ``at`` the outcome ``what`` (grade, grade_by_score, gates.ID, vetoes.ID) changes.

    ``at_side`` says which outcome ``at`` itself gives: ``below`` (the outcome changes just above
    it) or ``above``. A bisected flip is not exact: it lies between ``last_below`` (the old outcome)
    and ``at`` (the new one), both evaluated.
    """

    what: str
    at: Decimal
    below: str
    above: str
    at_side: str
    exact: bool
    last_below: Decimal


@attrs.frozen
class ParameterSensitivity:
    id: str
    status: str
    value: Decimal
    low: Decimal
    high: Decimal
    declared: bool  # the range comes from the standard file, not the default
    method: str  # "exact" or "bisection"
    segments: tuple[Segment, ...]
    flips: tuple[Flip, ...]

    @property
    def stable(self) -> bool:
        return not self.flips


@attrs.frozen
class Sensitivity:
    standard: str
    as_of: dt.date
    grade: str
    parameters: tuple[ParameterSensitivity, ...]


def default_range(parameter: m.Parameter, value: Decimal, max_score: Decimal) -> tuple[Decimal, Decimal]:
    """The documented default plausible range of a parameter without ``range = [lo, hi]``."""
    if parameter.unit == "points" and max_score > 0:
        return Decimal(0), max_score
    if parameter.unit in ("ratio", "%") or (parameter.unit == "" and 0 <= value <= 1):
        return Decimal(0), Decimal(1)
    if value == 0:
        return Decimal(-1), Decimal(1)
    low, high = value / 2, value * 3 / 2
    return (low, high) if low < high else (high, low)


def sensitivity(evaluation: Evaluation, only: Iterable[str] | None = None) -> Sensitivity:
    """Move every assumed or reconstructed parameter the evaluation read across its range."""
    wanted = set(only) if only is not None else None
    found = []
    for pid, (parameter, dated) in sorted(evaluation.parameters.items()):
        if wanted is not None and pid not in wanted:
            continue
        if dated.citation.status not in STATUSES or not is_number(dated.value):
            continue
        found.append(_parameter(evaluation, parameter, Decimal(dated.value), dated.citation.status))
    return Sensitivity(evaluation.standard.key, evaluation.as_of, evaluation.grade, tuple(found))


def with_parameters(standard: m.Standard, values: Mapping[str, Any], as_of: dt.date, why: str) -> m.Standard:
    """A copy of ``standard`` whose parameters in force on ``as_of`` take ``values`` (marked
    ``assumed``, the note saying ``why``). The copy keeps the original's hash: it is for asking
    "what if", never for a record."""
    parameters = dict(standard.parameters)
    for pid, value in values.items():
        parameter = parameters.get(pid)
        chosen = parameter.at(as_of) if parameter is not None else None
        if parameter is None or chosen is None:
            raise KernelError(f"no parameter {pid!r} in force on {as_of.isoformat()} in {standard.key}",
                              path=f"parameters.{pid}", hint="parameters: " + ", ".join(sorted(standard.parameters)))
        if is_number(chosen.value) != is_number(value) or isinstance(value, bool) != isinstance(chosen.value, bool):
            raise KernelError(f"parameter {pid!r} is {chosen.value!r}; {value!r} is not a value of the same kind",
                              path=f"parameters.{pid}")
        replaced = attrs.evolve(chosen, value=Decimal(value) if is_number(value) else value,
                                citation=m.Citation("", "assumed", note=why))
        parameters[pid] = attrs.evolve(parameter, values=tuple(replaced if d is chosen else d for d in parameter.values))
    return attrs.evolve(standard, parameters=parameters)


# -- one parameter ----------------------------------------------------------------------------

def _parameter(evaluation: Evaluation, parameter: m.Parameter, value: Decimal, status: str) -> ParameterSensitivity:
    declared = parameter.range is not None
    low, high = parameter.range if parameter.range is not None else default_range(
        parameter, value, evaluation.max_score)
    outcome = _outcomes(evaluation, parameter)
    candidates = _candidates(evaluation, parameter.id)
    if candidates is not None:
        method = "exact"
        points = sorted({low, high} | {c for c in candidates if low < c < high})
        pieces = []
        for index, point in enumerate(points):
            pieces.append((point, point, True, True, outcome(point)))
            if index + 1 < len(points):
                after = points[index + 1]
                pieces.append((point, after, False, False, outcome((point + after) / 2)))
        segments = _merge(pieces)
        flips = _flips(segments, exact=True)
    else:
        method = "bisection"
        step = (high - low) / GRID
        samples = {low + step * k: outcome(low + step * k) for k in range(GRID)} | {high: outcome(high)}
        points = sorted(samples)
        for a, b in zip(points, points[1:]):
            if samples[a] != samples[b]:
                for _ in range(BISECTIONS):
                    mid = (a + b) / 2
                    samples[mid] = outcome(mid)
                    if samples[mid] == samples[a]:
                        a = mid
                    else:
                        b = mid
                for _ in range(SNAPS):  # narrow to short decimals, so that the bracket reads well
                    short = _shortest(a, b)
                    if short == b:
                        short = _shortest(a, b, from_below=True)
                        if short == a:
                            break
                    samples[short] = outcome(short)
                    if samples[short] == samples[a]:
                        a = short
                    else:
                        b = short
        pieces = [(p, p, True, True, samples[p]) for p in sorted(samples)]
        segments = _merge(pieces)
        flips = _flips(segments, exact=False)
    return ParameterSensitivity(parameter.id, status, value, low, high, declared, method, tuple(segments), tuple(flips))


def _shortest(low: Decimal, high: Decimal, from_below: bool = False) -> Decimal:
    """The decimal with the fewest places in (low, high], or in [low, high) ``from_below``."""
    for places in range(0, 40):
        step = Decimal(1).scaleb(-places)
        if from_below:
            candidate = (low / step).to_integral_value(rounding=decimal.ROUND_CEILING) * step
            if candidate < high:
                return candidate
        else:
            candidate = ((low / step).to_integral_value(rounding=decimal.ROUND_FLOOR) + 1) * step
            if candidate <= high:
                return candidate
    return low if from_below else high


def _outcomes(evaluation: Evaluation, parameter: m.Parameter) -> Callable[[Decimal], Signature]:
    """The outcome of the county with the parameter's value in force replaced (memoised)."""
    standard, as_of = evaluation.standard, evaluation.as_of
    seen: dict[Decimal, Signature] = {}

    def outcome(value: Decimal) -> Signature:
        if value in seen:
            return seen[value]
        variant = with_parameters(standard, {parameter.id: value}, as_of, "moved by the sensitivity analysis")
        try:
            result = evaluate(evaluation.submission, variant, as_of)
        except KernelError as error:
            seen[value] = ("error", str(error).splitlines()[0], (), ())
            return seen[value]
        rules = sorted(result.rules.values(), key=lambda r: r.rule.id)
        seen[value] = (result.grade, result.grade_by_score,
                       tuple(r.rule.id for r in rules if r.rule.kind == "gate" and r.failed),
                       tuple(r.rule.id for r in rules if r.rule.kind == "veto" and r.failed))
        return seen[value]

    return outcome


def _candidates(evaluation: Evaluation, pid: str) -> set[Decimal] | None:
    """The values of the parameter at which a compared quantity meets its limit exactly; None when
    the parameter is read anywhere but a check's limit or a grade's cut-off (or cannot be solved)."""
    std = evaluation.standard
    values: dict[str, Any] = {p: d.value for p, (_, d) in evaluation.parameters.items()}
    found: set[Decimal] = set()

    def add(expression: m.Expression, quantity: Any, scale: Decimal = Decimal(1)) -> bool:
        if not is_number(quantity):
            return True
        limit = Fraction(Decimal(quantity)) / Fraction(scale)
        if expression.tree.kind == "name" and expression.tree.value == pid:
            found.add(Decimal(quantity) / scale)
            return True
        solution = solve(expression.tree, pid, values, "==", limit)
        if solution is None:
            return False
        found.add(Decimal(solution.required.numerator) / Decimal(solution.required.denominator))
        return True

    for grade in std.grades:
        if grade.min_score is not None and pid in grade.min_score.names and not add(grade.min_score, evaluation.score):
            return None
    floors: dict[str, Decimal] = {}
    for indicator in std.indicators.values():
        if indicator.k_of_n is not None and indicator.k_of_n.floor is not None:
            for member in indicator.k_of_n.of:
                floors[member] = indicator.k_of_n.floor
    for iid, indicator in std.indicators.items():
        if _reads_elsewhere(indicator, pid):
            return None
        if indicator.check is None or pid not in indicator.check.limit.names:
            continue
        if indicator.scoring is not None and indicator.scoring.kind not in ("threshold", "zero_if", "panel"):
            return None  # points move with the limit: not a step
        result = evaluation.indicators.get(iid)
        if result is None:
            continue
        readings = [result.county] if result.county is not None else [result.units[uid] for uid in result.units]
        for reading in readings:
            if not add(indicator.check.limit, reading.value):
                return None
            if iid in floors and is_number(reading.value) and not add(indicator.check.limit, reading.value, floors[iid]):
                return None
    for unit in std.units.values():
        if unit.where is not None and pid in unit.where.names:
            return None
    return found


def _reads_elsewhere(indicator: m.Indicator, pid: str) -> bool:
    expressions = [indicator.formula]
    if indicator.scoring is not None:
        expressions += [indicator.scoring.target, indicator.scoring.when]
    return any(e is not None and pid in e.names for e in expressions)


Piece = tuple[Decimal, Decimal, bool, bool, Signature]


def _merge(pieces: list[Piece]) -> list[Segment]:
    """Adjacent pieces with the same outcome as one segment."""
    runs: list[list[Any]] = []
    for low, high, low_closed, high_closed, sig in pieces:
        if runs and runs[-1][4] == sig:
            runs[-1][1], runs[-1][3] = high, high_closed
        else:
            runs.append([low, high, low_closed, high_closed, sig])
    return [Segment(r[0], r[1], r[2], r[3], r[4][0], r[4][1], r[4][2], r[4][3]) for r in runs]


def _flips(segments: list[Segment], exact: bool) -> list[Flip]:
    flips = []
    for before, after in zip(segments, segments[1:]):
        # exact: the segments touch at one value, which belongs to one of them; bisected: the
        # last value evaluated with the old outcome and the first with the new one
        at = before.high if exact else after.low
        side = "below" if exact and before.high_closed else "above"
        aspects: list[tuple[str, Any, Any]] = [
            ("grade", before.grade, after.grade), ("grade_by_score", before.grade_by_score, after.grade_by_score)]
        for kind, old, new in (("gates", before.gates_failed, after.gates_failed), ("vetoes", before.vetoes, after.vetoes)):
            for rid in sorted(set(old) ^ set(new)):
                aspects.append((f"{kind}.{rid}", "failed" if rid in old else "passed", "failed" if rid in new else "passed"))
        for what, old, new in aspects:
            if old != new:
                flips.append(Flip(what, at, str(old), str(new), side, exact, before.high))
    return flips


# -- output -----------------------------------------------------------------------------------

def sensitivity_to_data(result: Sensitivity) -> dict[str, Any]:
    """Canonical JSON data (numbers as canonical text), for the record and the API."""
    def seg(s: Segment) -> dict[str, Any]:
        return {"low": canonical(s.low), "high": canonical(s.high), "low_closed": s.low_closed,
                "high_closed": s.high_closed, "grade": s.grade, "grade_by_score": s.grade_by_score,
                "gates_failed": list(s.gates_failed), "vetoes": list(s.vetoes)}

    def flip(f: Flip) -> dict[str, Any]:
        data = {"what": f.what, "at": canonical(f.at), "below": f.below, "above": f.above, "at_side": f.at_side,
                "exact": f.exact}
        if not f.exact:
            data["last_below"] = canonical(f.last_below)
        return data

    return {
        "standard": result.standard,
        "as_of": result.as_of.isoformat(),
        "grade": result.grade,
        "parameters": {
            p.id: {"status": p.status, "value": canonical(p.value), "range": [canonical(p.low), canonical(p.high)],
                   "range_declared": p.declared, "method": p.method, "stable": p.stable,
                   "segments": [seg(s) for s in p.segments], "flips": [flip(f) for f in p.flips]}
            for p in result.parameters
        },
    }


def _interval(s: Segment) -> str:
    return f"{'[' if s.low_closed else '('}{canonical(s.low)}, {canonical(s.high)}{']' if s.high_closed else ')'}"


def sensitivity_lines(result: Sensitivity, lang: str = "en") -> list[str]:
    """The sensitivity section as plain lines (zh or en)."""
    zh = lang == "zh"
    lines = [("对假定值的敏感性" if zh else "Sensitivity to assumed and reconstructed values")
             + f" ({result.standard}, {result.as_of.isoformat()})"]
    if not result.parameters:
        lines.append("  本次评估未读取假定或重构的参数。" if zh else "  The evaluation read no assumed or reconstructed parameter.")
    for p in result.parameters:
        where = ("声明范围" if zh else "declared range") if p.declared else ("默认范围" if zh else "default range")
        head = f"  {p.id} = {canonical(p.value)} ({p.status}; {where} [{canonical(p.low)}, {canonical(p.high)}]; {p.method})"
        lines.append(head)
        if p.stable:
            lines.append("    整个范围内等级、门槛与否决均不变。" if zh else
                         "    grade, gates and vetoes do not change anywhere in the range")
            continue
        for s in p.segments:
            rules = ", ".join([*s.gates_failed, *s.vetoes]) or "-"
            lines.append(f"    {_interval(s)}：等级 {s.grade}（按分数 {s.grade_by_score}）；未通过：{rules}" if zh else
                         f"    {_interval(s)}: grade {s.grade} (by score {s.grade_by_score}); failed: {rules}")
        for f in p.flips:
            at = canonical(f.at)
            if f.exact:
                side = "≤" if f.at_side == "below" else "<"
                beyond = "高于" if f.at_side == "below" else "不低于"
                lines.append(f"    {f.what}：{p.id} {side} {at} 时为 {f.below}，{beyond} {at} 时为 {f.above}" if zh else
                             f"    {f.what}: {f.below} while {p.id} {side} {at}, then {f.above}")
            else:
                low = canonical(f.last_below)
                lines.append(f"    {f.what}：在 {low} 与 {at} 之间由 {f.below} 变为 {f.above}" if zh else
                             f"    {f.what}: {f.below} → {f.above} between {low} and {at}")
    return lines
