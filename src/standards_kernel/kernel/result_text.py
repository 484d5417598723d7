"""The canonical result written as JSON text: the bytes ``canonical_json`` gives of
:func:`~standards_kernel.kernel.result.result_data`, written faster and in pieces.

Units are written straight from the evaluation's columns, without a dict per unit; what a standard
writes the same way into every result (labels, citations, how an indicator is computed, the
parameters in force, the sources, its own inputs) from text kept per standard object, used only
for the very objects it was written from. tests/kernel/test_result_text.py holds it to the data,
byte for byte. The pieces let a writer encode a large county's result without a second copy.
"""

from __future__ import annotations

import operator
import threading
import weakref
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any, Iterable, Mapping

from . import model as m
from .evaluate import Evaluation, IndicatorResult, Reading, RuleResult
from .formats import canonical_json
from .readings import UnitReadings
from .result import (
    column_texts, indicator_fixed, indicator_varying, inputs_data, parameters_data, reading_data, rule_fixed,
    rule_varying, small_sections, sources_data, used_sources, value_text,
)


def result_json(evaluation: Evaluation, *, unit_reads: bool = True,
                extra: Mapping[str, Any] | None = None) -> list[str]:
    """``canonical_json({**result_data(evaluation, unit_reads=…), **extra})`` as pieces, in order:
    the same bytes, written from text kept per standard (labels, citations, how each indicator is
    computed) and from the evaluation's columns, without a dict per unit or a second copy of a
    large county's result (tests/kernel/test_result_text.py holds it to the data, byte for byte)."""
    std = evaluation.standard
    frags = _fragments(std)
    sections = TextSections(unit_reads)
    pairs: list[tuple[str, list[str]]] = [(k, [_json_value(v)]) for k, v in small_sections(evaluation).items()]
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


def _json_atoms(column: list[Any]) -> list[str]:
    """JSON text of each value of a column of canonical texts (numbers are JSON strings)."""
    return [encode_basestring(v) if type(v) is str else _json_value(v) for v in column]


def _columns_json(units: UnitReadings, texts: dict[int, str], reads: bool,
                  keys: dict[tuple[str, ...], tuple[list[int], list[str]]]) -> str:
    """The JSON text of :func:`_columns`' object, byte for byte what ``canonical_json`` writes of
    it, without the per-unit dicts: the largest part of a document, written once as text.
    ``keys`` keeps, per tuple of unit ids, their order and their JSON keys (most unit indicators
    of a document share their units)."""
    values, limit, columns = column_texts(units, texts, reads)
    found = keys.get(units.ids)
    if found is None:
        order = sorted(range(len(units.ids)), key=units.ids.__getitem__)
        found = keys[units.ids] = (order, [encode_basestring(units.ids[i]) + ":{" for i in order])
    order, unit_keys = found
    mets = units.met_column
    value_json = _json_atoms(values)
    head = "" if limit is None else '"limit":' + _json_value(limit) + ","
    met_json = [_MET_JSON[met] for met in mets]
    notes = [("" if not n else '"note":' + encode_basestring(n) + ",") for n in units.notes] if units.notes else None
    read_json: list[str] | None = None
    if columns:
        names = [encode_basestring(name) + ":" for name, _ in columns]
        atoms = [_json_atoms(column) for _, column in columns]
        read_json = ['"reads":{' + ",".join(map(str.__add__, names, row)) + "}," for row in zip(*atoms)]
        if units.first_reads:  # the first unit also read the limit's parameters
            read_json[0] = '"reads":' + canonical_json({k: value_text(v) for k, v in sorted(units.reads(0).items())}) + ","
    if notes is None and read_json is None:  # the common case: value, check and limit
        parts = [f'{key}{head}{met_json[i]}"value":{value_json[i]}}}' for key, i in zip(unit_keys, order)]
    else:
        parts = [f'{key}{head}{met_json[i]}{notes[i] if notes else ""}{read_json[i] if read_json else ""}'
                 f'"value":{value_json[i]}}}' for key, i in zip(unit_keys, order)]
    return "{" + ",".join(parts) + "}"


_MET_JSON = {True: '"met":true,', False: '"met":false,', None: ""}


class TextSections:
    """Writes each unit indicator's ``units`` object as JSON text (:class:`_Json`), as
    :class:`~standards_kernel.kernel.result.UnitSections` writes it as data."""

    def __init__(self, reads: bool) -> None:
        self.reads = reads
        self.texts: dict[int, str] = {}  # each number's text, once per document (see column_texts)
        self.keys: dict[tuple[str, ...], tuple[list[int], list[str]]] = {}  # see _columns_json

    def section(self, units: Mapping[str, Reading]) -> Any:
        if isinstance(units, UnitReadings):
            return _Json(_columns_json(units, self.texts, self.reads, self.keys))
        data = {uid: reading_data(r, self.reads) for uid, r in sorted(units.items())}  # the per-unit path
        return _Json(canonical_json(data))


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
    for key, pieces in sorted(pairs, key=operator.itemgetter(0)):
        if len(out) > 1:
            out.append(",")
        out.append(encode_basestring(key) + ":")
        out += pieces
    out.append("}")
    return out


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

    def indicator_pieces(self, res: IndicatorResult, sections: TextSections) -> list[str]:
        ind = res.indicator
        fixed = self.indicators.get(ind.id)
        if fixed is None or fixed[0] is not ind:
            head, tail = indicator_fixed(ind, self.standard())
            fixed = self.indicators[ind.id] = (ind, {k: _json_value(v) for k, v in head.items()},
                                               {k: _json_value(v) for k, v in tail.items()})
        varying = indicator_varying(res, sections)
        # a citation's note stands over a reading's (as in the data): the tail comes last
        template = self.template(("i", ind.id, *varying), ind, fixed[1], varying, fixed[2])
        return _filled(template, varying)

    def rule_text(self, r: RuleResult) -> str:
        rule = r.rule
        fixed = self.rules.get(rule.id)
        if fixed is None or fixed[0] is not rule:
            fixed = self.rules[rule.id] = (rule, {k: _json_value(v) for k, v in rule_fixed(rule, self.standard()).items()})
        varying = rule_varying(r)
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
        text = canonical_json(parameters_data(evaluation))
        self.parameters[key] = (held, text)
        return text

    def sources_text(self, evaluation: Evaluation) -> str:
        key = frozenset(used_sources(evaluation))  # the standard's own sources: the same objects
        text = self.sources.get(key)
        if text is None:
            text = self.sources[key] = canonical_json(sources_data(evaluation))
        return text

    def inputs_text(self) -> str:
        if self.inputs is None:
            self.inputs = canonical_json(inputs_data(self.standard()))
        return self.inputs


#: Text longer than this (a large county's unit section) is kept as a piece of its own.
_LARGE = 4096
#: An object's text as constant pieces, each followed by the varying key whose value comes next.
_Template = list[tuple[str, "str | None"]]


def _filled(template: _Template, varying: Mapping[str, Any]) -> list[str]:
    """The template with each varying value's JSON text in its slot, as pieces (a unit section,
    already JSON text, is one of them: runs of small pieces are joined once, by :func:`_coalesced`)."""
    out: list[str] = []
    for text, slot in template:
        out.append(text)
        if slot is not None:
            out.append(_json_value(varying[slot]))
    return out


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
