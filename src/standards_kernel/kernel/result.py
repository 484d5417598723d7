"""The kernel's part of the canonical result: the evaluation as plain JSON data (``result_data``)
and as its canonical JSON text (``result_json``, the same bytes, written faster).

Same submission, same standard content and same kernel version give the same data: decimals as
strings in their canonical form, units in id order, no timestamps. The whole decision document
(this plus the rectification list and the next-grade plan, with its format tag) is composed in one
place only, :mod:`standards_kernel.audit.decision`; the kernel knows nothing of features.
"""

from __future__ import annotations

import operator
import threading
import weakref
from decimal import Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any, Iterable, Mapping, Sequence, cast

from ..version import __version__
from . import model as m
from .evaluate import Evaluation, IndicatorResult, Reading, RuleResult
from .readings import UnitReadings
from .formats import canonical_json
from .numbers import canonical, canonical_texts, is_number


def result_data(evaluation: Evaluation, *, unit_reads: bool = True) -> dict[str, Any]:
    """The evaluation as plain JSON data (decimals as canonical strings), without the analysis.

    ``unit_reads=False`` leaves out what each unit read (the default trace, docs/trace.md).
    :func:`result_json` writes the same as canonical JSON text, faster."""
    std = evaluation.standard
    sections = _UnitSections(unit_reads, text=False)
    data = _small_sections(evaluation)
    data.update({
        "gates": {rid: _rule(r, std) for rid, r in evaluation.rules.items() if r.rule.kind == "gate"},
        "vetoes": {rid: _rule(r, std) for rid, r in evaluation.rules.items() if r.rule.kind == "veto"},
        "indicators": {iid: _indicator(r, std, sections) for iid, r in sorted(evaluation.indicators.items())},
        "parameters": _parameters(evaluation),
        "sources": _sources(evaluation),
    })
    if std.inputs:
        data["inputs"] = _inputs(std)
    return data


def result_json(evaluation: Evaluation, *, unit_reads: bool = True,
                extra: Mapping[str, Any] | None = None) -> list[str]:
    """``canonical_json({**result_data(evaluation, unit_reads=…), **extra})`` as pieces, in order:
    the same bytes, written from text kept per standard (labels, citations, how each indicator is
    computed) and from the evaluation's columns, without a dict per unit or a second copy of a
    large county's result (tests/kernel/test_result_text.py holds it to the data, byte for byte)."""
    std = evaluation.standard
    frags = _fragments(std)
    sections = _UnitSections(unit_reads, text=True)
    pairs: list[tuple[str, list[str]]] = [(k, [_json_value(v)]) for k, v in _small_sections(evaluation).items()]
    pairs += [(k, [_json_value(v)]) for k, v in (extra or {}).items()]
    for kind, key in (("gate", "gates"), ("veto", "vetoes")):
        pairs.append((key, _object_pieces((rid, [frags.rule_text(r)]) for rid, r in evaluation.rules.items()
                                          if r.rule.kind == kind)))
    pairs.append(("indicators", _object_pieces((iid, frags.indicator_pieces(r, sections))
                                               for iid, r in evaluation.indicators.items())))
    pairs.append(("parameters", [frags.parameters_text(evaluation)]))
    pairs.append(("sources", [frags.sources_text(evaluation)]))
    if std.inputs:
        pairs.append(("inputs", [frags.inputs_text()]))
    return _coalesced(_object_pieces(pairs))


def _coalesced(pieces: list[str]) -> list[str]:
    """The pieces with each run of small ones joined: few pieces to encode and write, and a large
    unit section still a piece of its own (never copied into a larger string)."""
    out: list[str] = []
    run: list[str] = []
    for piece in pieces:
        if len(piece) > _LARGE:
            out += ["".join(run), piece]
            run = []
        else:
            run.append(piece)
    out.append("".join(run))
    return out


def _small_sections(evaluation: Evaluation) -> dict[str, Any]:
    std = evaluation.standard
    sub = evaluation.submission
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


def _parameters(evaluation: Evaluation) -> dict[str, Any]:
    std = evaluation.standard
    return {
        pid: {
            "label": _label(p.label),
            "value": _val(d.value),
            "unit": p.unit,
            "in_force_from": None if d.start.year == 1 else d.start.isoformat(),
            **_citation(d.citation),
            **({"origin": p.origin} if p.origin != std.key else {}),
        }
        for pid, (p, d) in evaluation.parameters.items()
    }


def _sources(evaluation: Evaluation) -> dict[str, Any]:
    used = _used_sources(evaluation)
    return {
        sid: {k: v for k, v in {
            "title": s.title, "issuer": s.issuer, "number": s.number,
            "date": s.date.isoformat() if s.date else None, "address": s.address,
        }.items() if v}
        for sid, s in evaluation.standard.sources.items()
        if sid in used
    }


def _inputs(std: m.Standard) -> dict[str, Any]:
    # The standard's own inputs (names outside the data dictionary), so that a report drawn from
    # the result alone names them by label; absent for a standard without any.
    return {name: {"label": _label(spec.label), "level": spec.level, "unit": spec.unit}
            for name, spec in sorted(std.inputs.items())}


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


def _column_texts(units: UnitReadings, texts: dict[int, str], reads: bool) -> tuple[
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
                    out[i] = texts.setdefault(id(value), canonical(value) if kind is Decimal or kind is int else _val(value))
        return out

    column = units.value_column
    # computed values are new objects, each written once: the whole column at a time
    values = (canonical_texts(cast(Sequence[Decimal], column)) if all(type(v) is Decimal for v in column)
              else column_text(column))
    limit = None if units.limit is None else _val(units.limit)
    order = sorted(range(len(units.names)), key=units.names.__getitem__)
    columns = [(units.names[j], column_text(units.columns[j])) for j in order] if reads else []
    return values, limit, columns


def _columns(units: UnitReadings, texts: dict[int, str], reads: bool = True) -> dict[str, Any]:
    """The readings of a column-computed indicator, as :func:`_reading` writes each of them,
    written from the columns without building a Reading per unit."""
    values, limit, columns = _column_texts(units, texts, reads)
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
            data["reads"] = {k: _val(v) for k, v in sorted(units.reads(0).items())}
        elif columns:
            data["reads"] = {name: column[i] for name, column in columns}
        note = units.note(i)
        if note:
            data["note"] = note
        out[ids[i]] = data
    return out


def _json_atoms(column: list[Any]) -> list[str]:
    """JSON text of each value of a column of canonical texts (numbers are JSON strings)."""
    return [encode_basestring(v) if type(v) is str else _atom(v) for v in column]


def _atom(value: Any) -> str:
    if isinstance(value, str):
        return str(encode_basestring(value))
    return "true" if value is True else "false" if value is False else "null"


def _columns_json(units: UnitReadings, texts: dict[int, str], reads: bool,
                  keys: dict[tuple[str, ...], tuple[list[int], list[str]]]) -> str:
    """The JSON text of :func:`_columns`' object, byte for byte what ``canonical_json`` writes of
    it, without the per-unit dicts: the largest part of a document, written once as text.
    ``keys`` keeps, per tuple of unit ids, their order and their JSON keys (most unit indicators
    of a document share their units)."""
    values, limit, columns = _column_texts(units, texts, reads)
    found = keys.get(units.ids)
    if found is None:
        order = sorted(range(len(units.ids)), key=units.ids.__getitem__)
        found = keys[units.ids] = (order, [encode_basestring(units.ids[i]) + ":{" for i in order])
    order, unit_keys = found
    mets = units.met_column
    value_json = _json_atoms(values)
    head = "" if limit is None else '"limit":' + _atom(limit) + ","
    met_json = [_MET_JSON[met] for met in mets]
    notes = [("" if not n else '"note":' + encode_basestring(n) + ",") for n in units.notes] if units.notes else None
    read_json: list[str] | None = None
    if columns:
        names = [encode_basestring(name) + ":" for name, _ in columns]
        atoms = [_json_atoms(column) for _, column in columns]
        read_json = ['"reads":{' + ",".join(map(str.__add__, names, row)) + "}," for row in zip(*atoms)]
        if units.first_reads:  # the first unit also read the limit's parameters
            read_json[0] = '"reads":' + canonical_json({k: _val(v) for k, v in sorted(units.reads(0).items())}) + ","
    if notes is None and read_json is None:  # the common case: value, check and limit
        parts = [f'{key}{head}{met_json[i]}"value":{value_json[i]}}}' for key, i in zip(unit_keys, order)]
    else:
        parts = [f'{key}{head}{met_json[i]}{notes[i] if notes else ""}{read_json[i] if read_json else ""}'
                 f'"value":{value_json[i]}}}' for key, i in zip(unit_keys, order)]
    return "{" + ",".join(parts) + "}"


_MET_JSON = {True: '"met":true,', False: '"met":false,', None: ""}


class _UnitSections:
    """Writes each unit indicator's ``units`` object: as data, or as JSON text (:class:`_Json`)."""

    def __init__(self, reads: bool, *, text: bool) -> None:
        self.reads, self.text = reads, text
        self.texts: dict[int, str] = {}  # each number's text, once per document (see _column_texts)
        self.keys: dict[tuple[str, ...], tuple[list[int], list[str]]] = {}  # see _columns_json

    def section(self, units: Mapping[str, Reading]) -> Any:
        if isinstance(units, UnitReadings):
            if self.text:
                return _Json(_columns_json(units, self.texts, self.reads, self.keys))
            return _columns(units, self.texts, self.reads)
        data = {uid: _reading(r, self.reads) for uid, r in sorted(units.items())}  # the per-unit path
        return _Json(canonical_json(data)) if self.text else data


class _Json(str):
    """Text that is JSON already (a unit section): written as it is."""


def _json_value(value: Any) -> str:
    """``canonical_json(value)``, with the common small values written without json.dumps."""
    kind = type(value)
    if kind is _Json:
        return value  # type: ignore[no-any-return]
    if kind is str:
        return str(encode_basestring(value))
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if kind is list and all(type(x) is str for x in value):  # unit ids, missing inputs
        return "[" + ",".join(map(encode_basestring, value)) + "]"
    if kind is dict and all(type(k) is str and type(v) is str for k, v in value.items()):  # reads, detail
        return "{" + ",".join([encode_basestring(k) + ":" + encode_basestring(value[k]) for k in sorted(value)]) + "}"
    return canonical_json(value)


def _object_pieces(pairs: Iterable[tuple[str, list[str]]]) -> list[str]:
    """The pieces of a JSON object from (key, the pieces of its value), keys sorted as
    ``canonical_json`` sorts them."""
    out = ["{"]
    for key, pieces in sorted(pairs, key=_first):
        if len(out) > 1:
            out.append(",")
        out.append(encode_basestring(key) + ":")
        out += pieces
    out.append("}")
    return out


def _first(pair: tuple[str, Any]) -> str:
    return pair[0]


# --- what is the same for every evaluation under a standard, kept as text ---------------------


class _Fragments:
    """The JSON text of what a standard writes the same way into every result: each indicator's
    and rule's label, citation and description, the parameters in force (by their dated values),
    the sources used, the standard's own inputs. Built on first use, kept while the standard lives.

    Every entry keeps the objects it was written from and is used only for those very objects
    (``is``), so an indicator, rule or dated value made anew (an override, a sensitivity run) is
    written afresh, never from another object's text that happened to have the same id."""

    LIMIT = 64  # parameter sets kept (a sensitivity run makes new dated values each time)

    def __init__(self, std: m.Standard) -> None:
        self.std = weakref.ref(std)
        self.indicators: dict[str, tuple[m.Indicator, dict[str, str], dict[str, str]]] = {}
        self.rules: dict[str, tuple[m.Rule, dict[str, str]]] = {}
        self.parameters: dict[tuple[int, ...], tuple[tuple[Any, ...], str]] = {}
        self.sources: dict[frozenset[str], str] = {}
        self.inputs: str | None = None
        self.templates: dict[tuple[str, ...], tuple[object, _Template]] = {}

    def standard(self) -> m.Standard:
        std = self.std()
        assert std is not None  # the caller holds it
        return std

    def indicator_pieces(self, res: IndicatorResult, sections: _UnitSections) -> list[str]:
        ind = res.indicator
        fixed = self.indicators.get(ind.id)
        if fixed is None or fixed[0] is not ind:
            head, tail = _indicator_fixed(ind, self.standard())
            fixed = self.indicators[ind.id] = (ind, {k: _json_value(v) for k, v in head.items()},
                                               {k: _json_value(v) for k, v in tail.items()})
        varying = _indicator_varying(res, sections)
        # a citation's note stands over a reading's (as in the data): the tail comes last
        template = self.template(("i", ind.id, *varying), ind, fixed[1], varying, fixed[2])
        return _filled(template, varying)

    def rule_text(self, r: RuleResult) -> str:
        rule = r.rule
        fixed = self.rules.get(rule.id)
        if fixed is None or fixed[0] is not rule:
            fixed = self.rules[rule.id] = (rule, {k: _json_value(v) for k, v in _rule_fixed(rule, self.standard()).items()})
        varying = _rule_varying(r)
        return "".join(_filled(self.template(("r", rule.id, *varying), rule, fixed[1], varying, {}), varying))

    def template(self, key: tuple[str, ...], owner: object, head: Mapping[str, str], varying: Mapping[str, Any],
                 tail: Mapping[str, str]) -> _Template:
        """The object's text with a slot for each varying key, keys sorted: ``{**head, **varying,
        **tail}`` as data would merge them. Kept per owner and set of varying keys."""
        found = self.templates.get(key)
        if found is not None and found[0] is owner:
            return found[1]
        merged: dict[str, str | None] = {**head, **dict.fromkeys(varying), **tail}
        template: list[tuple[str, str | None]] = []
        text = "{"
        for k in sorted(merged):
            text += ("," if text != "{" or template else "") + encode_basestring(k) + ":"
            known = merged[k]
            if known is None:
                template.append((text, k))
                text = ""
            else:
                text += known
        template.append((text + "}", None))
        self.templates[key] = (owner, template)
        return template

    def parameters_text(self, evaluation: Evaluation) -> str:
        held = tuple(x for pair in evaluation.parameters.values() for x in pair)  # each parameter and its dated value
        key = tuple(map(id, held))
        found = self.parameters.get(key)
        if found is not None and all(map(operator.is_, found[0], held)):
            return found[1]
        if len(self.parameters) >= self.LIMIT:
            self.parameters.clear()
        text = canonical_json(_parameters(evaluation))
        self.parameters[key] = (held, text)
        return text

    def sources_text(self, evaluation: Evaluation) -> str:
        key = frozenset(_used_sources(evaluation))  # the standard's own sources: the same objects
        text = self.sources.get(key)
        if text is None:
            text = self.sources[key] = canonical_json(_sources(evaluation))
        return text

    def inputs_text(self) -> str:
        if self.inputs is None:
            self.inputs = canonical_json(_inputs(self.standard()))
        return self.inputs


#: Text longer than this (a large county's unit section) is kept as a piece of its own.
_LARGE = 4096
#: An object's text as constant pieces, each followed by the varying key whose value comes next.
_Template = list[tuple[str, "str | None"]]


def _filled(template: _Template, varying: Mapping[str, Any]) -> list[str]:
    """The template with each varying value's JSON text in its slot, as pieces: a unit section
    (already JSON text) stays a piece of its own, the rest is joined."""
    out: list[str] = []
    pieces: list[str] = []
    for text, slot in template:
        out.append(text)
        if slot is not None:
            value = varying[slot]
            if type(value) is _Json and len(value) > _LARGE:  # a large unit section: not copied
                pieces += ["".join(out), value]
                out = []
            else:
                out.append(_json_value(value))
    pieces.append("".join(out))
    return pieces


_FRAGMENTS: dict[int, _Fragments] = {}
_FRAGMENTS_LOCK = threading.Lock()


def _fragments(std: m.Standard) -> _Fragments:
    """The standard's fragments, by object: a changed standard is another object, so another entry."""
    key = id(std)
    found = _FRAGMENTS.get(key)
    if found is not None and found.std() is std:
        return found
    made = _Fragments(std)
    with _FRAGMENTS_LOCK:
        _FRAGMENTS[key] = made
        weakref.finalize(std, _FRAGMENTS.pop, key, None)
    return made


def _indicator(res: IndicatorResult, std: m.Standard, sections: _UnitSections) -> dict[str, Any]:
    head, tail = _indicator_fixed(res.indicator, std)
    return {**head, **_indicator_varying(res, sections), **tail}  # a citation's note stands over a reading's


def _indicator_fixed(ind: m.Indicator, std: m.Standard) -> tuple[dict[str, Any], dict[str, Any]]:
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


def _indicator_varying(res: IndicatorResult, sections: _UnitSections) -> dict[str, Any]:
    """What an indicator's result says this time: its value(s), check, points."""
    ind = res.indicator
    data: dict[str, Any] = {}
    missing = getattr(res, "missing", ())  # not assessable (kernel.indicators.NotAssessable)
    if missing:
        data["assessable"] = False
        data["missing_inputs"] = list(missing)
    elif res.county is not None:
        data.update(_reading(res.county))
    else:
        data["units"] = sections.section(res.units)
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
    return {**_rule_fixed(r.rule, std), **_rule_varying(r)}


def _rule_fixed(rule: m.Rule, std: m.Standard) -> dict[str, Any]:
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


def _rule_varying(r: RuleResult) -> dict[str, Any]:
    """What a gate or veto says this time."""
    data: dict[str, Any] = {("triggered" if r.rule.kind == "veto" else "failed"): r.failed, "applied": r.applied}
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
    return data
