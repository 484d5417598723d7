"""The canonical result written as JSON text: the bytes ``canonical_json`` gives of
:func:`~standards_kernel.kernel.result.result_data`, written faster and in pieces.

Units are written straight from the evaluation's columns, without a dict per unit; what a standard
writes the same way into every result (labels, citations, how an indicator is computed, the
parameters in force, the sources, its own inputs, the standard itself and its grades) from text
kept per standard object, used only for the very objects it was written from; each number's text
once per document. tests/kernel/test_result_text.py holds it to the data, byte for byte, and
tests/kernel/test_result_writers.py its writers, on random values and unit columns. The pieces let
a writer encode a large county's result without a second copy.
"""

from __future__ import annotations

import operator
import threading
import weakref
from decimal import Decimal
from itertools import chain, repeat
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any, Callable, Iterable, Mapping

import attrs

from . import model as m
from .evaluate import Evaluation, IndicatorResult, Reading, RuleResult
from .formats import canonical_json
from .readings import UnitReadings
from .result import (
    column_texts, county_sections, indicator_fixed, indicator_varying, inputs_data, parameters_data, reading_data, rule_fixed,
    rule_varying, sources_data, standard_sections, used_sources, value_text,
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
    rules = evaluation.rules
    written = [(k, _json_value(v)) for k, v in {**county_sections(evaluation), **(extra or {})}.items()]
    large = any(len(text) > _LARGE for _, text in written)  # the analysis of a large county
    pairs = [(k, [text]) for k, text in written + frags.head()]
    for kind, key in (("gate", "gates"), ("veto", "vetoes")):
        pairs.append((key, _members(frags.rule_pieces(rid, rules[rid], sections.texts) for rid in sorted(rules)
                                    if rules[rid].rule.kind == kind)))
    indicators = evaluation.indicators
    pairs.append(("indicators", _members(frags.indicator_pieces(iid, indicators[iid], sections)
                                         for iid in sorted(indicators))))
    pairs.append(("parameters", [frags.parameters_text(evaluation)]))
    pairs.append(("sources", [frags.sources_text(evaluation)]))
    if std.inputs:
        pairs.append(("inputs", [frags.inputs_text()]))
    return _coalesced(_object_pieces(pairs), large or sections.large)


def _coalesced(pieces: list[str], large: bool) -> list[str]:
    """The pieces with each run of small ones joined: few pieces to encode and write, and a large
    county's unit section or analysis still a piece of its own (never copied into a larger string).
    Without one (``large``: most counties), all of them in one join."""
    if not large:
        return ["".join(pieces)]
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


def _json_atoms(column: list[Any]) -> Iterable[str]:
    """JSON text of each value of a column of canonical texts (numbers are JSON strings)."""
    return map(encode_basestring, column) if set(map(type, column)) <= _STR else _json_values(column)


def _columns_json(units: UnitReadings, texts: dict[int, str], reads: bool,
                  keys: dict[tuple[str, ...], tuple[list[int] | None, list[str]]]) -> str:
    """The JSON text of :func:`_columns`' object, byte for byte what ``canonical_json`` writes of
    it, without the per-unit dicts: the largest part of a document, written once as text, column
    by column (each column's texts laid into every k-th place of one list, then one join).
    ``keys`` keeps, per tuple of unit ids, their order (None: in order already) and their JSON
    keys, each but the first after a comma (most unit indicators of a document share their units)."""
    values, limit, columns = column_texts(units, texts, reads)
    found = keys.get(units.ids)
    if found is None:
        ids = units.ids
        by_id = sorted(range(len(ids)), key=ids.__getitem__)
        found = keys[units.ids] = (None if by_id == list(range(len(ids))) else by_id,
                                   [("," if k else "") + encode_basestring(ids[i]) + ":{" for k, i in enumerate(by_id)])
    order, unit_keys = found
    n = len(unit_keys)
    # each unit's keys in canonical order: limit, met, note, reads, value
    fields: list[list[str]] = [unit_keys]
    if limit is not None:
        fields.append(['"limit":' + _json_value(limit) + ","] * n)
    between: list[list[str]] = []  # a unit's note and reads, between its check and value
    if units.notes:
        between.append([("" if not note else '"note":' + encode_basestring(note) + ",") for note in units.notes])
    if reads and (columns or units.first_reads):
        read_fields: list[list[str]] = [[""] * n]
        for j, (name, column) in enumerate(columns):  # each name before its column, "reads" before the first
            read_fields += [[('"reads":{' if j == 0 else ",") + encode_basestring(name) + ":"] * n,
                            list(_json_atoms(column))]
        if columns:
            read_fields.append(["},"] * n)
        if units.first_reads and n:  # the first unit also read the limit's parameters: its reads written whole
            for field in read_fields:
                field[0] = ""
            read_fields[0][0] = '"reads":' + canonical_json({k: value_text(v) for k, v in sorted(units.reads(0).items())}) + ","
        between += read_fields
    # numbers' texts (the common case) need no escaping: their quotes go with the text around them
    number = set(map(type, units.value_column)) <= _NUMBERS
    opening, closing = ('"value":"', '"}') if number else ('"value":', "}")
    if between:
        fields += [list(map(_MET_JSON.__getitem__, units.met_column)), *between, [opening] * n]
    else:
        fields.append(list(map((_MET_NUMBER if number else _MET_VALUE).__getitem__, units.met_column)))
    fields += [values if number else list(_json_atoms(values)), [closing] * n]
    stride = len(fields)
    parts = [""] * (stride * n)
    for k, field in enumerate(fields):
        parts[k::stride] = field if order is None or k == 0 else list(map(field.__getitem__, order))
    return "{" + "".join(parts) + "}"


_NUMBERS = frozenset((Decimal, int))
_MET_JSON = {True: '"met":true,', False: '"met":false,', None: ""}
_MET_VALUE = {met: text + '"value":' for met, text in _MET_JSON.items()}
_MET_NUMBER = {met: text + '"value":"' for met, text in _MET_JSON.items()}


class TextSections:
    """Writes each unit indicator's ``units`` object as JSON text (:class:`_Json`), as
    :class:`~standards_kernel.kernel.result.UnitSections` writes it as data."""

    def __init__(self, reads: bool) -> None:
        self.reads = reads
        self.texts: dict[int, str] = {}  # each number's text, once per document (see column_texts)
        self.keys: dict[tuple[str, ...], tuple[list[int] | None, list[str]]] = {}  # see _columns_json
        self.large = False  # whether a section is longer than _LARGE (see _coalesced)

    def section(self, units: Mapping[str, Reading]) -> Any:
        if isinstance(units, UnitReadings):
            text = _columns_json(units, self.texts, self.reads, self.keys)
        else:  # the per-unit path
            text = canonical_json({uid: reading_data(r, self.reads, self.texts) for uid, r in sorted(units.items())})
        self.large = self.large or len(text) > _LARGE
        return _Json(text)


@attrs.frozen
class _Json:
    """Text that is JSON already (a unit section): written as it is, never copied."""

    text: str


def _json_value(value: Any) -> str:
    """``canonical_json(value)``: strings, booleans, None and flat lists and dicts of them (string
    keys) written by :data:`_WRITERS` without json.dumps (whose set-up costs more than they do);
    anything else (an int, a tuple, nested data) by json.dumps, in C."""
    return _WRITERS.get(type(value), canonical_json)(value)  # type: ignore[no-any-return]


def _json_values(values: list[Any]) -> Iterable[str]:
    """:func:`_json_value` of each value, in C calls (a writer per value by its type)."""
    return map(operator.call, map(_WRITERS.get, map(type, values), repeat(canonical_json)), values)


def _list_json(value: list[Any]) -> str:
    for x in value:  # (a loop beats all() with a generator on these short lists)
        if type(x) is not str:
            return canonical_json(value)
    return "[" + ",".join(map(encode_basestring, value)) + "]"


def _dict_json(value: dict[Any, Any]) -> str:
    parts = []
    for k in sorted(value):  # as canonical_json sorts them
        v = value[k]
        write = _ATOMS.get(type(v))
        if write is None or type(k) is not str:
            return canonical_json(value)
        parts.append(encode_basestring(k) + ":" + write(v))
    return "{" + ",".join(parts) + "}"


#: The JSON writer of a value by its exact type (True == 1: a bool is never looked up as an int).
_ATOMS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring, bool: {True: "true", False: "false"}.__getitem__, type(None): {None: "null"}.__getitem__,
}
_WRITERS: dict[type, Callable[[Any], str]] = {**_ATOMS, _Json: operator.attrgetter("text"), list: _list_json, dict: _dict_json}
_STR = frozenset((str,))


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
        self.parameters: dict[tuple[int, ...], tuple[tuple[Any, ...], str]] = {}
        self.sources: dict[frozenset[str], str] = {}
        self.inputs: str | None = None
        self.small: list[tuple[str, str]] | None = None
        self.templates: dict[tuple[str, ...], tuple[object, _Template]] = {}

    def standard(self) -> m.Standard:
        std = self.std()
        assert std is not None  # the caller holds it
        return std

    def indicator_pieces(self, iid: str, res: IndicatorResult, sections: TextSections) -> list[str]:
        """``,"iid":{…}``: the indicator's member of the ``indicators`` object, as pieces."""
        ind = res.indicator
        varying = indicator_varying(res, sections)
        key = ("i", iid, *varying)
        found = self.templates.get(key)
        if found is None or found[0] is not ind:
            head, tail = indicator_fixed(ind, self.standard())
            # a citation's note stands over a reading's (as in the data): the tail comes last
            found = self.template(key, iid, ind, head, varying, tail)
        return _filled(found[1], varying)

    def rule_pieces(self, rid: str, r: RuleResult, texts: dict[int, str]) -> list[str]:
        """``,"rid":{…}``: the gate's or veto's member of its object, as pieces."""
        rule = r.rule
        varying = rule_varying(r, texts)
        key = ("r", rid, *varying)
        found = self.templates.get(key)
        if found is None or found[0] is not rule:
            found = self.template(key, rid, rule, rule_fixed(rule, self.standard()), varying, {})
        return _filled(found[1], varying)

    def template(self, key: tuple[str, ...], member: str, owner: object, head: Mapping[str, Any],
                 varying: Mapping[str, Any], tail: Mapping[str, Any]) -> tuple[object, _Template]:
        """The text of ``,"member":{…}`` with a slot for each varying key, keys sorted:
        ``{**head, **varying, **tail}`` as data would merge them (head and tail as data, written
        here). Kept per owner, member name and set of varying keys."""
        merged: dict[str, str | None] = {**{k: _json_value(v) for k, v in head.items()}, **dict.fromkeys(varying),
                                         **{k: _json_value(v) for k, v in tail.items()}}
        template: list[tuple[str, str | None]] = []
        text = "," + encode_basestring(member) + ":{"
        first = True
        for k in sorted(merged):
            text += ("" if first else ",") + encode_basestring(k) + ":"
            first = False
            known = merged[k]
            if known is None:
                template.append((text, k))
                text = ""
            else:
                text += known
        template.append((text + "}", None))
        found = self.templates[key] = (owner, template)
        return found

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

    def head(self) -> list[tuple[str, str]]:
        """The small top-level keys the same in every result (its kernel, standard and grades)."""
        if self.small is None:
            self.small = [(k, _json_value(v)) for k, v in standard_sections(self.standard()).items()]
        return self.small

    def inputs_text(self) -> str:
        if self.inputs is None:
            self.inputs = canonical_json(inputs_data(self.standard()))
        return self.inputs


#: Text longer than this (a large county's unit section) is kept as a piece of its own: a
#: shorter one costs less to copy once than to keep apart.
_LARGE = 65536
#: A member's text as constant pieces, each followed by the varying key whose value comes next.
_Template = list[tuple[str, "str | None"]]


def _filled(template: _Template, varying: Mapping[str, Any]) -> list[str]:
    """The template with each varying value's JSON text in its slot, as pieces (a unit section,
    already JSON text, is one of them: runs of small pieces are joined once, by :func:`_coalesced`)."""
    out: list[str] = []
    for text, slot in template:
        out.append(text)
        if slot is not None:
            value = varying[slot]
            out.append(_WRITERS.get(type(value), canonical_json)(value))  # _json_value, inlined
    return out


def _members(members: Iterable[list[str]]) -> list[str]:
    """The pieces of a JSON object from its members' pieces (``,"key":value``, keys in order)."""
    out = ["{", *chain.from_iterable(members), "}"]
    if len(out) > 2:
        out[1] = out[1][1:]  # the first member's comma
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
