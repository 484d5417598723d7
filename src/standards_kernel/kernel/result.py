"""The kernel's part of the canonical result: the evaluation as plain JSON data.

Same submission, same standard content and same kernel version give the same data: decimals as
strings in their canonical form, units in id order, no timestamps. The whole decision document
(this plus the rectification list and the next-grade plan, with its format tag) is composed in one
place only, :mod:`standards_kernel.audit.decision`; the kernel knows nothing of features.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

from ..version import __version__
from . import model as m
from .evaluate import Evaluation, IndicatorResult, Reading, RuleResult
from .readings import UnitReadings
from .numbers import canonical, is_number


def result_data(evaluation: Evaluation, *, unit_reads: bool = True) -> dict[str, Any]:
    """The evaluation as plain JSON data (decimals as canonical strings), without the analysis.

    ``unit_reads=False`` leaves out what each unit read (the summary trace, docs/trace.md)."""
    std = evaluation.standard
    sub = evaluation.submission
    texts: dict[int, str] | None = {} if unit_reads else None  # each number's text, once (see _columns)
    return {
        "kernel_version": __version__,
        "input_sha256": sub.sha256,
        "standard": {
            "id": std.id,
            "edition": std.edition,
            "sha256": std.sha256,
            "title": _label(std.title),
            "extends": std.extends,
        },
        "county": dict(sorted(sub.county.items())),
        "as_of": evaluation.as_of.isoformat(),
        "stage": sub.stage,
        "score": _num(evaluation.score),
        "max_score": _num(evaluation.max_score),
        "grade_by_score": evaluation.grade_by_score,
        "grade": evaluation.grade,
        "grades": [{"id": g.id, "label": _label(g.label)} for g in std.grades],
        "lowered_by": [r.rule.id for r in evaluation.lowered_by],
        "gates": {rid: _rule(r, std) for rid, r in evaluation.rules.items() if r.rule.kind == "gate"},
        "vetoes": {rid: _rule(r, std) for rid, r in evaluation.rules.items() if r.rule.kind == "veto"},
        "indicators": {iid: _indicator(r, std, texts) for iid, r in sorted(evaluation.indicators.items())},
        "areas": {
            aid: {
                "label": _label(a.area.label),
                "parent": a.area.parent,
                "points": _num(a.points),
                "max": _num(a.area.max),
            }
            for aid, a in evaluation.areas.items()
        },
        "parameters": {
            pid: {
                "label": _label(p.label),
                "value": _val(d.value),
                "unit": p.unit,
                "in_force_from": None if d.start.year == 1 else d.start.isoformat(),
                **_citation(d.citation),
                **({"origin": p.origin} if p.origin != std.key else {}),
            }
            for pid, (p, d) in evaluation.parameters.items()
        },
        "sources": {
            sid: {k: v for k, v in {
                "title": s.title, "issuer": s.issuer, "number": s.number,
                "date": s.date.isoformat() if s.date else None, "address": s.address,
            }.items() if v}
            for sid, s in std.sources.items()
            if sid in _used_sources(evaluation)
        },
        "assumptions": list(evaluation.assumptions),
        # The standard's own inputs (names outside the data dictionary), so that a report drawn
        # from the result alone names them by label; absent for a standard without any.
        **({"inputs": {name: {"label": _label(spec.label), "level": spec.level, "unit": spec.unit}
                       for name, spec in sorted(std.inputs.items())}} if std.inputs else {}),
    }


def _used_sources(evaluation: Evaluation) -> set[str]:
    used = {d.citation.source for _, d in evaluation.parameters.values()}
    used |= {r.indicator.citation.source for r in evaluation.indicators.values() if r.indicator.citation}
    used |= {r.rule.citation.source for r in evaluation.rules.values() if r.rule.citation}
    return used


def _label(label: m.Label) -> dict[str, str]:
    return {"zh": label.zh, "en": label.en}


def _num(value: Decimal | int) -> str:
    return canonical(value)


def _val(value: Any) -> Any:
    if is_number(value):
        return canonical(value)
    return value


def _citation(c: m.Citation | None) -> dict[str, Any]:
    if c is None:
        return {}
    data = {"source": c.source, "status": c.status, "locator": c.locator, "note": c.note, "text": c.text,
            "note_en": c.note_en}  # text and note_en only when given: older results keep their bytes
    return {k: v for k, v in data.items() if v}


def _reading(r: Reading, reads: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"value": _val(r.value)}
    if r.met is not None:
        data["met"] = r.met
    if r.limit is not None:
        data["limit"] = _val(r.limit)
    if r.reads and reads:
        data["reads"] = {k: _val(v) for k, v in sorted(r.reads.items())}
    if r.note:
        data["note"] = r.note
    return data


def _columns(units: UnitReadings, texts: dict[int, str], reads: bool = True) -> dict[str, Any]:
    """The readings of a column-computed indicator, as :func:`_reading` writes each of them.

    Written from the columns, without building a Reading per unit. A value read by several units
    or indicators (a school's students, its share) is one object, so its text is kept in
    ``texts`` by the object's id: the evaluation holds every such object while the result is
    written, so no id is reused meanwhile."""

    def column_text(column: Sequence[Any]) -> list[Any]:
        out: list[Any] = list(map(texts.get, map(id, column)))  # what is known already, in C
        for i, known in enumerate(out):
            if known is None:
                value = column[i]
                kind = type(value)
                out[i] = value if kind is bool or kind is str else texts.setdefault(id(value), _val(value))
        return out

    ids, mets = units.ids, units.met_column
    values = column_text(units.value_column)
    limit = None if units.limit is None else _val(units.limit)
    order = sorted(range(len(units.names)), key=units.names.__getitem__)
    columns = [(units.names[j], column_text(units.columns[j])) for j in order] if reads else []
    out: dict[str, Any] = {}
    for i in sorted(range(len(ids)), key=ids.__getitem__):
        data: dict[str, Any] = {"value": values[i]}
        if mets[i] is not None:
            data["met"] = mets[i]
        if limit is not None:
            data["limit"] = limit
        if i == 0 and units.first_reads and reads:
            data["reads"] = {k: _val(v) for k, v in sorted(units.reads(0).items())}
        elif columns:
            data["reads"] = {name: column[i] for name, column in columns}
        note = units.note(i)
        if note:
            data["note"] = note
        out[ids[i]] = data
    return out


def _indicator(res: IndicatorResult, std: m.Standard, texts: dict[int, str] | None = None) -> dict[str, Any]:
    ind = res.indicator
    data: dict[str, Any] = {"label": _label(ind.label), "level": ind.level, "unit": ind.unit, "how": how(ind)}
    if ind.direction:
        data["direction"] = ind.direction
    if ind.check is not None:
        data["check"] = {"op": ind.check.op, "limit": ind.check.limit.text}
    missing = getattr(res, "missing", ())  # not assessable (kernel.indicators.NotAssessable)
    if missing:
        data["assessable"] = False
        data["missing_inputs"] = list(missing)
    elif res.county is not None:
        data.update(_reading(res.county))
    else:
        if isinstance(res.units, UnitReadings):
            data["units"] = _columns(res.units, {} if texts is None else texts, texts is not None)
        else:
            data["units"] = {uid: _reading(r, texts is not None) for uid, r in sorted(res.units.items())}
        if res.met is not None:
            data["met"] = res.met
            data["failed_units"] = list(res.failed_units)
    if res.detail:
        data["detail"] = {k: _val(v) for k, v in sorted(res.detail.items())}
    if ind.scoring is not None and missing:  # points not awarded: the item's max, no points
        data["max"] = _num(ind.scoring.max)
        data["scoring"] = ind.scoring.kind
    if ind.scoring is not None and res.points is not None:
        data["points"] = _num(res.points)
        data["max"] = _num(ind.scoring.max)
        data["scoring"] = ind.scoring.kind
        if ind.scoring.area:
            data["area"] = ind.scoring.area
    data.update(_citation(ind.citation))
    if ind.origin and ind.origin != std.key:
        data["origin"] = ind.origin
    return data


def how(ind: m.Indicator) -> str:
    """One line saying how the indicator is computed."""
    if ind.input is not None:
        return f"input {ind.input}"
    if ind.formula is not None:
        tail = f" (or the published {ind.fallback_input})" if ind.fallback_input else ""
        return f"formula {ind.formula.text}{tail}"
    if ind.aggregate is not None:
        a = ind.aggregate
        weight = f" weighted by {a.weight}" if a.weight else ""
        return f"{a.function} of {a.of} over {a.over}{weight}"
    assert ind.k_of_n is not None
    floor = f", every one at least {canonical(ind.k_of_n.floor)} of its limit" if ind.k_of_n.floor else ""
    return f"at least {ind.k_of_n.k} of {len(ind.k_of_n.of)} met ({', '.join(ind.k_of_n.of)}){floor}"


def _rule(r: RuleResult, std: m.Standard) -> dict[str, Any]:
    rule = r.rule
    data: dict[str, Any] = {
        "label": _label(rule.label),
        "indicator": rule.indicator,
        "effect": rule.effect,
        ("triggered" if rule.kind == "veto" else "failed"): r.failed,
        "applied": r.applied,
        "priority": rule.priority,
        "group": rule.group,
    }
    if rule.grade:
        data["grade"] = rule.grade
    if r.value is not None:
        data["value"] = _val(r.value)
    if r.limit is not None:
        data["limit"] = _val(r.limit)
    if r.failed_units:
        data["failed_units"] = list(r.failed_units)
    missing = getattr(r, "missing", ())  # its indicator is not assessable (kernel.scoring.UnassessedRule)
    if missing:
        data["assessable"] = False
        data["missing_inputs"] = list(missing)
        if getattr(r, "held_at", None) is not None:
            data["held_at"] = getattr(r, "held_at")
    data.update(_citation(rule.citation))
    if rule.origin and rule.origin != std.key:  # inherited through extends: visible in the trace
        data["origin"] = rule.origin
    return data
