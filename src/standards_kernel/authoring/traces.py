"""How a value of an evaluation came about, as lines of text: an indicator (its formula, what it
read, parameters with their source and status, its check and points), an area, the score, the grade
the score reaches, a gate or veto, and the final grade. A failing test case shows the trace of its
first differing value."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..kernel import model as m
from ..kernel.evaluate import Evaluation, Reading
from ..kernel.numbers import canonical, is_number
from ..kernel.result import how


def show(value: Any) -> str:
    """A value as a case report writes it: numbers canonical, texts quoted, nothing for None."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return canonical(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _param_line(evaluation: Evaluation, pid: str) -> str:
    parameter, dated = evaluation.parameters[pid]
    c = dated.citation
    source = ", ".join(x for x in (c.source, c.locator) if x)
    since = "" if dated.start == dt.date.min else f", in force from {dated.start.isoformat()}"
    return f"parameter {pid} = {show(dated.value)} ({c.status}{'; ' + source if source else ''}{since})"


def _reading_lines(evaluation: Evaluation, ind: m.Indicator, reading: Reading, depth: int, indent: str) -> list[str]:
    lines = []
    for name, value in sorted(reading.reads.items()):
        if name in evaluation.parameters:
            lines.append(f"{indent}{_param_line(evaluation, name)}")
        elif name in evaluation.indicators and depth > 0 and evaluation.indicators[name].county is not None:
            lines += trace_indicator(evaluation, name, depth=depth - 1, indent=indent)
        else:
            kind = "indicator" if name in evaluation.indicators else "input"
            lines.append(f"{indent}{kind} {name} = {show(value)}")
    if ind.check is not None:
        state = {True: "met", False: "NOT met", None: "not judged"}[reading.met]
        limit = ind.check.limit.text
        shown = show(reading.limit)
        lines.append(f"{indent}check {ind.check.op} {limit}" + (f" = {shown}" if shown != limit else "") + f": {state}")
    if reading.note:
        lines.append(f"{indent}note: {reading.note}")
    return lines


def trace_indicator(evaluation: Evaluation, iid: str, unit: str | None = None, *, depth: int = 2,
                    indent: str = "") -> tuple[str, ...]:
    """How one indicator's value came about: its formula, what it read (parameters with their
    source and status, indicators traced a level deeper), its check, its points."""
    result = evaluation.indicators[iid]
    ind = result.indicator
    lines: list[str] = []
    if result.county is not None:
        county = result.county
        lines.append(f"{indent}{iid} = {show(county.value)}   [{how(ind)}]")
        lines += _reading_lines(evaluation, ind, county, depth, indent + "  ")
        if result.detail:
            lines.append(indent + "  " + ", ".join(f"{k} {show(v)}" for k, v in sorted(result.detail.items())))
        if ind.aggregate is not None and ind.aggregate.of in evaluation.indicators:
            source = evaluation.indicators[ind.aggregate.of]
            shown = [f"{u} {show(r.value)}" for u, r in sorted(source.units.items())]
            more = f" … ({len(shown) - 12} more)" if len(shown) > 12 else ""
            lines.append(f"{indent}  {ind.aggregate.of} by unit: " + ", ".join(shown[:12]) + more)
    else:
        units = [unit] if unit else list(result.failed_units[:3]) or sorted(result.units)[:3]
        lines.append(f"{indent}{iid} per unit of {ind.level}   [{how(ind)}]")
        for uid in units:
            reading = result.units.get(uid)
            if reading is None:
                continue
            lines.append(f"{indent}  {uid}: {show(reading.value)}")
            lines += _reading_lines(evaluation, ind, reading, depth, indent + "    ")
    if ind.scoring is not None and result.points is not None:
        area = f" in area {ind.scoring.area}" if ind.scoring.area else ""
        lines.append(f"{indent}  points {show(result.points)} of {show(ind.scoring.max)} ({ind.scoring.kind}{area})")
    return tuple(lines)


def trace_area(evaluation: Evaluation, aid: str) -> tuple[str, ...]:
    std = evaluation.standard
    area = evaluation.areas[aid]
    lines = [f"area {aid} = {show(area.points)} of {show(area.area.max)}"
             + (f" (capped; the items add up to {show(area.raw_points)})" if area.raw_points != area.points else "")]
    for iid, res in evaluation.indicators.items():
        if res.indicator.scoring and res.indicator.scoring.area == aid:
            lines.append(f"  item {iid}: {show(res.points)} of {show(res.indicator.scoring.max)} ({res.indicator.scoring.kind})")
    for child, result in evaluation.areas.items():
        if std.areas[child].parent == aid:
            lines.append(f"  area {child}: {show(result.points)} of {show(result.area.max)}")
    return tuple(lines)


def trace_score(evaluation: Evaluation) -> tuple[str, ...]:
    std = evaluation.standard
    lines = [f"score {show(evaluation.score)} of {show(evaluation.max_score)}: the sum of"]
    for aid, result in evaluation.areas.items():
        if result.area.parent is None:
            lines.append(f"  area {aid}: {show(result.points)} of {show(result.area.max)}")
            lines += ["    " + line for line in trace_area(evaluation, aid)[1:]]
    for iid, res in evaluation.indicators.items():
        if res.indicator.scoring and res.indicator.scoring.area is None:
            lines.append(f"  item {iid}: {show(res.points)} of {show(res.indicator.scoring.max)}")
    if std.score_rounding is not None:
        lines.append(f"  rounded to {std.score_rounding.places} places, {std.score_rounding.mode}")
    return tuple(lines)


def trace_grade_by_score(evaluation: Evaluation) -> tuple[str, ...]:
    lines = [f"score {show(evaluation.score)} reaches {evaluation.grade_by_score}; the grades, best first:"]
    for grade in evaluation.standard.grades:
        if grade.min_score is None:
            lines.append(f"  {grade.id}: no minimum")
            continue
        params = [p for p in sorted(grade.min_score.names) if p in evaluation.parameters]
        detail = "; ".join(_param_line(evaluation, p) for p in params)
        lines.append(f"  {grade.id}: at least {grade.min_score.text}" + (f" ({detail})" if detail else ""))
    return tuple(lines)


def trace_rule(evaluation: Evaluation, rid: str) -> tuple[str, ...]:
    result = evaluation.rules[rid]
    rule = result.rule
    state = ("triggered" if rule.kind == "veto" else "failed") if result.failed else (
        "not triggered" if rule.kind == "veto" else "passed")
    effect = {"cap": f"grade at most {rule.grade}", "deny": "the lowest grade", "none": "reported only"}[rule.effect]
    applied = ", applied" if result.applied else ""
    lines = [f"{rule.kind} {rid}: {state}{applied} ({effect}; group {rule.group}, priority {rule.priority})"]
    lines += ["  " + line for line in trace_indicator(evaluation, rule.indicator, depth=1)]
    return tuple(lines)


def trace_grade(evaluation: Evaluation) -> tuple[str, ...]:
    lines = list(trace_grade_by_score(evaluation))
    lowered = evaluation.lowered_by
    if lowered:
        lines.append(f"lowered from {evaluation.grade_by_score} to {evaluation.grade} by:")
        for rule in lowered:
            lines += ["  " + line for line in trace_rule(evaluation, rule.rule.id)]
    else:
        lines.append("no gate or veto lowers it")
    return tuple(lines)
