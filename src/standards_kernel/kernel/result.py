"""The kernel's part of the canonical result: the evaluation as plain JSON data.

:mod:`standards_kernel.kernel.result_text` writes the same as canonical JSON text, from the
pieces defined here (what an indicator or rule writes the same way every time, and what varies).

Same submission, same standard content and same kernel version give the same data: decimals as
strings in their canonical form, units in id order, no timestamps. The whole decision document
(this plus the rectification list and the next-grade plan, with its format tag) is composed in one
place only, :mod:`standards_kernel.audit.decision`; the kernel knows nothing of features.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final, Mapping, Protocol, Sequence, cast

from ..version import __version__
from . import model as m
from .evaluate import Evaluation, IndicatorResult, Reading, RuleResult
from .readings import UnitReadings
from .numbers import canonical, canonical_texts, is_number


def result_data(evaluation: Evaluation, *, unit_reads: bool = True) -> dict[str, Any]:
    """The evaluation as plain JSON data (decimals as canonical strings), without the analysis.

    ``unit_reads=False`` leaves out what each unit read (the default trace, docs/trace.md).
    ``result_text.result_json`` writes the same as canonical JSON text, faster."""
    std = evaluation.standard
    sections = UnitSections(unit_reads)
    data = small_sections(evaluation)
    texts = sections.texts
    data.update({
        "gates": {rid: _rule(r, std, texts) for rid, r in evaluation.rules.items() if r.rule.kind == "gate"},
        "vetoes": {rid: _rule(r, std, texts) for rid, r in evaluation.rules.items() if r.rule.kind == "veto"},
        "indicators": {iid: _indicator(r, std, sections) for iid, r in sorted(evaluation.indicators.items())},
        "parameters": parameters_data(evaluation),
        "sources": sources_data(evaluation),
    })
    if std.inputs:
        data["inputs"] = inputs_data(std)
    return data


def small_sections(evaluation: Evaluation) -> dict[str, Any]:
    """The result's small top-level keys, in the order result_data has always written them."""
    data = {**standard_sections(evaluation.standard), **county_sections(evaluation)}
    return {key: data[key] for key in _SMALL_KEYS}


_SMALL_KEYS: Final = ("kernel_version", "input_sha256", "standard", "county", "as_of", "stage", "score", "max_score",
                      "grade_by_score", "grade", "grades", "lowered_by", "areas", "assumptions")


def standard_sections(std: m.Standard) -> dict[str, Any]:
    """The small top-level keys the same in every result under a standard (and kernel)."""
    return {
        "kernel_version": __version__,
        "standard": {
            "id": std.id,
            "edition": std.edition,
            "sha256": std.sha256,
            "title": _label(std.title),
            "extends": std.extends,
        },
        "grades": [{"id": g.id, "label": _label(g.label)} for g in std.grades],
    }


def county_sections(evaluation: Evaluation) -> dict[str, Any]:
    """The small top-level keys of this evaluation."""
    sub = evaluation.submission
    return {
        "input_sha256": sub.sha256,
        "county": dict(sorted(sub.county.items())),
        "as_of": evaluation.as_of.isoformat(),
        "stage": sub.stage,
        "score": _num(evaluation.score),
        "max_score": _num(evaluation.max_score),
        "grade_by_score": evaluation.grade_by_score,
        "grade": evaluation.grade,
        "lowered_by": [r.rule.id for r in evaluation.lowered_by],
        "areas": {
            aid: {
                "label": _label(a.area.label),
                "parent": a.area.parent,
                "points": _num(a.points),
                "max": _num(a.area.max),
            }
            for aid, a in evaluation.areas.items()
        },
        "assumptions": list(evaluation.assumptions),
    }


def parameters_data(evaluation: Evaluation) -> dict[str, Any]:
    std = evaluation.standard
    return {
        pid: {
            "label": _label(p.label),
            "value": value_text(d.value),
            "unit": p.unit,
            "in_force_from": None if d.start.year == 1 else d.start.isoformat(),
            **_citation(d.citation),
            **({"origin": p.origin} if p.origin != std.key else {}),
        }
        for pid, (p, d) in evaluation.parameters.items()
    }


def sources_data(evaluation: Evaluation) -> dict[str, Any]:
    used = used_sources(evaluation)
    return {
        sid: {k: v for k, v in {
            "title": s.title, "issuer": s.issuer, "number": s.number,
            "date": s.date.isoformat() if s.date else None, "address": s.address,
        }.items() if v}
        for sid, s in evaluation.standard.sources.items()
        if sid in used
    }


def inputs_data(std: m.Standard) -> dict[str, Any]:
    # The standard's own inputs (names outside the data dictionary), so that a report drawn from
    # the result alone names them by label; absent for a standard without any.
    return {name: {"label": _label(spec.label), "level": spec.level, "unit": spec.unit}
            for name, spec in sorted(std.inputs.items())}


def used_sources(evaluation: Evaluation) -> set[str]:
    used = {d.citation.source for _, d in evaluation.parameters.values()}
    used |= {r.indicator.citation.source for r in evaluation.indicators.values() if r.indicator.citation}
    used |= {r.rule.citation.source for r in evaluation.rules.values() if r.rule.citation}
    return used


def _label(label: m.Label) -> dict[str, str]:
    return {"zh": label.zh, "en": label.en}


def _num(value: Decimal | int) -> str:
    return canonical(value)


def value_text(value: Any) -> Any:
    if is_number(value):
        return canonical(value)
    return value


def number_text(value: Any, texts: dict[int, str]) -> Any:
    """:func:`value_text`, a number's text kept in ``texts`` by the object's id: most numbers of a
    result are written several times (an input, the indicator reading it, its gate; a limit).
    Only for objects the evaluation holds while its result is written, so no id is reused."""
    kind = type(value)
    if kind is Decimal:
        found = texts.get(id(value))
        if found is None:
            found = texts[id(value)] = canonical(value)
        return found
    if kind is bool or kind is str:
        return value
    return value_text(value)


def _citation(c: m.Citation | None) -> dict[str, Any]:
    if c is None:
        return {}
    data = {"source": c.source, "status": c.status, "locator": c.locator, "note": c.note, "text": c.text,
            "note_en": c.note_en}  # text and note_en only when given: older results keep their bytes
    return {k: v for k, v in data.items() if v}


def reading_data(r: Reading, reads: bool, texts: dict[int, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"value": number_text(r.value, texts)}
    if r.met is not None:
        data["met"] = r.met
    if r.limit is not None:
        data["limit"] = number_text(r.limit, texts)
    if r.reads and reads:
        data["reads"] = {k: number_text(v, texts) for k, v in sorted(r.reads.items())}
    if r.note:
        data["note"] = r.note
    return data


def column_texts(units: UnitReadings, texts: dict[int, str], reads: bool) -> tuple[
        list[Any], Any, list[tuple[str, list[Any]]]]:
    """Each unit's value, the limit and what each unit read (by name, in name order) as canonical
    text: what both writers below write from.

    A value read by several units or indicators (a school's students, its share) is one object, so
    its text is kept in ``texts`` by the object's id: the evaluation holds every such object while
    the result is written, so no id is reused meanwhile."""

    def column_text(column: Sequence[Any]) -> list[Any]:
        out: list[Any] = list(map(texts.get, map(id, column)))  # what is known already, in C
        for i, known in enumerate(out):
            if known is None:
                value = column[i]
                kind = type(value)
                if kind is bool or kind is str or value is None:
                    out[i] = value
                else:  # a number (a Decimal or an int): its canonical text, once per object
                    out[i] = texts.setdefault(id(value), canonical(value) if kind is Decimal or kind is int else value_text(value))
        return out

    column = units.value_column
    # computed values are new objects, each written once: the whole column at a time
    values = (canonical_texts(cast(Sequence[Decimal], column)) if set(map(type, column)) <= _DECIMAL
              else column_text(column))
    limit = None if units.limit is None else value_text(units.limit)
    order = sorted(range(len(units.names)), key=units.names.__getitem__)
    columns = [(units.names[j], column_text(units.columns[j])) for j in order] if reads else []
    return values, limit, columns


_DECIMAL: Final = frozenset((Decimal,))


def _columns(units: UnitReadings, texts: dict[int, str], reads: bool = True) -> dict[str, Any]:
    """The readings of a column-computed indicator, as :func:`reading_data` writes each of them,
    written from the columns without building a Reading per unit."""
    values, limit, columns = column_texts(units, texts, reads)
    ids, mets = units.ids, units.met_column
    order = sorted(range(len(ids)), key=ids.__getitem__)
    out: dict[str, Any] = {}
    for i in order:
        data: dict[str, Any] = {"value": values[i]}
        if mets[i] is not None:
            data["met"] = mets[i]
        if limit is not None:
            data["limit"] = limit
        if i == 0 and units.first_reads and reads:
            data["reads"] = {k: value_text(v) for k, v in sorted(units.reads(0).items())}
        elif columns:
            data["reads"] = {name: column[i] for name, column in columns}
        note = units.note(i)
        if note:
            data["note"] = note
        out[ids[i]] = data
    return out


class Sections(Protocol):
    """What writes a unit indicator's ``units`` object: :class:`UnitSections` (data) or
    ``result_text.TextSections`` (JSON text)."""

    texts: dict[int, str]  # each number's text, once per document (see number_text)

    def section(self, units: Mapping[str, Reading]) -> Any: ...


class UnitSections:
    """Writes each unit indicator's ``units`` object as data (kernel/result_text.py has the same
    for text): every unit's reading, its reads only when asked for."""

    def __init__(self, reads: bool) -> None:
        self.reads = reads
        self.texts: dict[int, str] = {}  # each number's text, once per document (see column_texts)

    def section(self, units: Mapping[str, Reading]) -> Any:
        if isinstance(units, UnitReadings):
            return _columns(units, self.texts, self.reads)
        return {uid: reading_data(r, self.reads, self.texts) for uid, r in sorted(units.items())}  # the per-unit path


def _indicator(res: IndicatorResult, std: m.Standard, sections: UnitSections) -> dict[str, Any]:
    head, tail = indicator_fixed(res.indicator, std)
    return {**head, **indicator_varying(res, sections), **tail}  # a citation's note stands over a reading's


def indicator_fixed(ind: m.Indicator, std: m.Standard) -> tuple[dict[str, Any], dict[str, Any]]:
    """What an indicator writes the same way in every result: before and after its values."""
    head: dict[str, Any] = {"label": _label(ind.label), "level": ind.level, "unit": ind.unit, "how": how(ind)}
    if ind.direction:
        head["direction"] = ind.direction
    if ind.check is not None:
        head["check"] = {"op": ind.check.op, "limit": ind.check.limit.text}
    tail = _citation(ind.citation)
    if ind.origin and ind.origin != std.key:
        tail["origin"] = ind.origin
    return head, tail


def indicator_varying(res: IndicatorResult, sections: Sections) -> dict[str, Any]:
    """What an indicator's result says this time: its value(s), check, points."""
    ind = res.indicator
    data: dict[str, Any]
    missing = getattr(res, "missing", ())  # not assessable (kernel.indicators.NotAssessable)
    if missing:
        data = {"assessable": False, "missing_inputs": list(missing)}
    elif res.county is not None:
        data = reading_data(res.county, True, sections.texts)
    else:
        data = {"units": sections.section(res.units)}
        if res.met is not None:
            data["met"] = res.met
            data["failed_units"] = list(res.failed_units)
    if res.detail:
        data["detail"] = {k: number_text(v, sections.texts) for k, v in sorted(res.detail.items())}
    if ind.scoring is not None and missing:  # points not awarded: the item's max, no points
        data["max"] = _num(ind.scoring.max)
        data["scoring"] = ind.scoring.kind
    if ind.scoring is not None and res.points is not None:
        data["points"] = _num(res.points)
        data["max"] = _num(ind.scoring.max)
        data["scoring"] = ind.scoring.kind
        if ind.scoring.area:
            data["area"] = ind.scoring.area
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


def _rule(r: RuleResult, std: m.Standard, texts: dict[int, str]) -> dict[str, Any]:
    return {**rule_fixed(r.rule, std), **rule_varying(r, texts)}


def rule_fixed(rule: m.Rule, std: m.Standard) -> dict[str, Any]:
    """What a gate or veto writes the same way in every result."""
    data: dict[str, Any] = {
        "label": _label(rule.label),
        "indicator": rule.indicator,
        "effect": rule.effect,
        "priority": rule.priority,
        "group": rule.group,
    }
    if rule.grade:
        data["grade"] = rule.grade
    data.update(_citation(rule.citation))
    if rule.origin and rule.origin != std.key:  # inherited through extends: visible in the trace
        data["origin"] = rule.origin
    return data


def rule_varying(r: RuleResult, texts: dict[int, str]) -> dict[str, Any]:
    """What a gate or veto says this time."""
    data: dict[str, Any] = {("triggered" if r.rule.kind == "veto" else "failed"): r.failed, "applied": r.applied}
    if r.value is not None:
        data["value"] = number_text(r.value, texts)
    if r.limit is not None:
        data["limit"] = number_text(r.limit, texts)
    if r.failed_units:
        data["failed_units"] = list(r.failed_units)
    missing = getattr(r, "missing", ())  # its indicator is not assessable (kernel.scoring.UnassessedRule)
    if missing:
        data["assessable"] = False
        data["missing_inputs"] = list(missing)
        if getattr(r, "held_at", None) is not None:
            data["held_at"] = getattr(r, "held_at")
    return data
