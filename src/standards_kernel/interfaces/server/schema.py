"""The JSON Schema (2020-12) of a county submission, generic or for one standard.

Built from three things, never written by hand: the input vocabulary (every name a submission may
carry, with its type), the standard's own inputs (``<jurisdiction>.<name>``), and what the standard
reads (the names its indicators, unit filters and checks look up). The schema describes the
canonical, flat form of a submission (dotted names such as ``students.primary``); the API also
accepts nested objects (``{"students": {"primary": 3}}``), which the kernel flattens.

``required`` lists only what the standard reads on every path: county inputs of ``input``
indicators and of formulas outside ``if``/``and``/``or`` (a formula with a published fallback
needs either its inputs or the fallback), the fields a unit filter reads, and the fields read
for every unit of an unfiltered unit set (for a segment view, of every school that has students
in that segment). Everything the standard reads is listed under ``x-read-by``; what it reads is
worked out by :class:`standards_kernel.kernel.completeness.Reads`, the same facts the API's 422
lists missing inputs by.

Families of names (``panel_scores.*``) are ``patternProperties``, which code generators drop; so
every object with patterns also has a typed ``additionalProperties`` and a ``propertyNames`` that
keeps the set of valid submissions as it was (:func:`_generator_friendly`), and the schema for
all installed standards lists each family member a standard reads as a property of its own.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from ...kernel import model as m
from ...kernel.completeness import Reads
from ...kernel.segments import SEGMENTS
from ...kernel.submission import HEADER_KEYS, STAGES
from ...kernel.vocabulary import lookup, vocabulary

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Numbers as text: the exact form a client should send to keep every digit (no exponent).
_DECIMAL = r"^\s*[+-]?[0-9]+(\.[0-9]+)?\s*$"
_NON_NEGATIVE = r"^\s*\+?[0-9]+(\.[0-9]+)?\s*$"
_WHOLE = r"^\s*\+?[0-9]+(\.0+)?\s*$"
_PERCENT = r"^\s*\+?[0-9]+(\.[0-9]+)?\s*%?\s*$"


def value_schema(spec: m.InputSpec) -> dict[str, Any]:
    """The schema of one input's value, by its vocabulary type."""
    kind = spec.type
    if kind == "text":
        schema: dict[str, Any] = {"type": "string"}
        if spec.choices:
            schema["enum"] = list(spec.choices)
    elif kind == "bool":
        schema = {"type": "boolean"}
    elif kind == "count":
        schema = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": _WHOLE}]}
    elif kind == "fact":
        schema = {"anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 0},
                            {"type": "string", "pattern": _WHOLE}]}
    elif kind == "rate":
        schema = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                            {"type": "string", "pattern": _PERCENT}],
                  "description": 'a fraction in [0, 1], or text such as "92.37%"'}
    elif kind == "decimal":
        schema = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": _DECIMAL}]}
    else:  # amount, points
        schema = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _NON_NEGATIVE}]}
    label = spec.label.en or spec.label.zh
    schema["title"] = label
    notes = [spec.label.zh] if spec.label.zh and spec.label.zh != label else []
    if spec.unit:
        notes.append(f"unit: {spec.unit}")
    if spec.table:
        notes.append(f"statistical table: {spec.table}")
    if notes:
        schema["description"] = "; ".join(notes + ([schema["description"]] if "description" in schema else []))
    schema["x-type"] = kind
    return schema


# --- what a standard reads: kernel.completeness.Reads (the same facts the 422 lists) --------


# --- the schema ----------------------------------------------------------------------------


def _splits(name: str) -> list[tuple[str, str]]:
    """Every way to write a dotted name as a key holding an object: ``a.b.c`` → (a, b.c), (a.b, c)."""
    parts = name.split(".")
    return [(".".join(parts[:i]), ".".join(parts[i:])) for i in range(1, len(parts))]


def _object(entries: dict[str, dict[str, Any]], patterns: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An object accepting each dotted name flat or nested at any dot (the kernel flattens both).

    ``entries``: name → value schema; ``patterns``: name prefixes (``funding``) whose one further
    segment is any name (``funding.*``) → value schema.
    """
    properties: dict[str, Any] = dict(entries)
    pattern_properties: dict[str, Any] = {}
    nested: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for name, schema in entries.items():
        for head, tail in _splits(name):
            nested.setdefault(head, ({}, {}))[0][tail] = schema
    for prefix, schema in patterns.items():
        pattern_properties["^" + re.escape(prefix) + r"\.[^.]+$"] = schema
        nested.setdefault(prefix, ({}, {}))[1][""] = schema
        for head, tail in _splits(prefix):
            nested.setdefault(head, ({}, {}))[1][tail] = schema
    for head, (inner, inner_patterns) in sorted(nested.items()):
        if head in properties:
            continue  # a name that is also a prefix: only the value is meant
        any_name = inner_patterns.pop("", None)
        child = _object(inner, inner_patterns)
        if any_name is not None:
            child.setdefault("patternProperties", {})[r"^[^.]+$"] = any_name
        properties[head] = child
    result: dict[str, Any] = {"type": "object", "properties": dict(sorted(properties.items())),
                              "additionalProperties": False}
    if pattern_properties:
        result["patternProperties"] = pattern_properties
    return result


def _generator_friendly(schema: Any) -> Any:
    """The same schema, readable by code generators that ignore ``patternProperties``.

    openapi-python-client (and others) drop every name a ``patternProperties`` entry admits, so a
    generated client would silently lose ``panel_scores.*``, ``events.*``, ``levels.*`` and
    ``funding.*``. Each object with patterns therefore also says what any further name holds
    (``additionalProperties``: the union of the pattern's value schemas, which generators keep as a
    typed mapping), and ``propertyNames`` admits only the listed names and the patterns' names, so
    the set of valid submissions is exactly what it was."""
    if isinstance(schema, list):
        return [_generator_friendly(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _generator_friendly(value) if key not in ("enum", "const", "required") else value
           for key, value in schema.items()}
    patterns = out.get("patternProperties")
    if patterns and out.get("additionalProperties") is False:
        values: list[Any] = []
        for value in patterns.values():
            if value not in values:
                values.append(value)
        out["additionalProperties"] = values[0] if len(values) == 1 else {"anyOf": values}
        names: list[dict[str, Any]] = [{"pattern": pattern} for pattern in patterns]
        if out.get("properties"):
            names.insert(0, {"enum": list(out["properties"])})
        out["propertyNames"] = names[0] if len(names) == 1 else {"anyOf": names}
    return out


def requirement(name: str) -> dict[str, Any]:
    """The schema that ``name`` is present, flat or nested at any dot."""
    options: list[dict[str, Any]] = [{"required": [name]}]
    for head, tail in _splits(name):
        options.append({"required": [head], "properties": {head: requirement(tail)}})
    return options[0] if len(options) == 1 else {"anyOf": options}


def _all_present(names: Iterable[str]) -> list[dict[str, Any]]:
    return [requirement(n) for n in sorted(names)]


def _level_object(level: str, inputs: Mapping[str, m.InputSpec], reads: Reads | None,
                  known: Iterable[str] = ()) -> dict[str, Any]:
    """``known``: further names to list explicitly (those of ``prefix.*`` patterns that installed
    standards read), so that a generated client has a typed field for each."""
    entries: dict[str, dict[str, Any]] = {}
    patterns: dict[str, dict[str, Any]] = {}
    for name, spec in vocabulary()[level].items():
        if name.endswith(".*"):
            patterns[name[:-2]] = value_schema(spec)
        else:
            entries[name] = value_schema(spec)
    for name, spec in sorted(inputs.items()):
        if spec.level == level:
            entries[name] = value_schema(spec)
    if reads is not None:
        for name, by in reads.by[level].items():
            base = entries.get(name)
            if base is None and "." in name:
                base = patterns.get(name.rsplit(".", 1)[0])
            if base is not None:
                entries[name] = {**base, "x-read-by": sorted(by)}
    for name in sorted(known):
        head = name.rsplit(".", 1)[0]
        if name not in entries and "." in name and head in patterns:
            entries[name] = patterns[head]
    return _object(entries, patterns)


def _unit_schema(level: str, inputs: Mapping[str, m.InputSpec], reads: Reads | None,
                 known: Iterable[str] = ()) -> dict[str, Any]:
    schema = _level_object(level, inputs, reads, known)
    schema["properties"]["id"] = {**schema["properties"]["id"], "minLength": 1, "pattern": r"\S"}
    schema["required"] = ["id"]
    conditions: list[dict[str, Any]] = []
    if level == "school":
        # The kernel needs students in at least one segment (a closed school is left out).
        conditions.append({"anyOf": [requirement(f"students.{s}") for s in SEGMENTS]})
    if reads is not None:
        conditions += _all_present(reads.unit_required.get((level, None), set()) - {"id"})
        for segment in SEGMENTS:
            needed = reads.unit_required.get((level, segment), set()) - {f"students.{segment}"}
            if needed:
                key = f"students.{segment}"
                conditions.append({
                    "if": {"allOf": [requirement(key), {"properties": {key: {"not": {"const": 0}}}}]},
                    "then": {"allOf": _all_present(needed)},
                })
    if conditions:
        schema["allOf"] = conditions
    return schema


#: ``[[evidence]]`` (佐证资料): references to supporting files, hashed into the record, never read.
EVIDENCE_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "references to evidence files (佐证资料), each for an input path (data.NAME, schools.ID[.FIELD], "
                   "townships.ID[.FIELD]) or an indicator id; the kernel records them and never reads the files",
    "items": {
        "type": "object",
        "properties": {
            "for": {"type": "string", "minLength": 1, "description": "an input path or an indicator id"},
            "name": {"type": "string", "minLength": 1, "description": "the file's name"},
            "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": "the file's sha256"},
            "note": {"type": "string", "minLength": 1},
        },
        "required": ["for", "name", "sha256"],
        "additionalProperties": False,
    },
}


def submission_schema(standard: m.Standard | None = None, *, standards: Iterable[m.Standard] = ()) -> dict[str, Any]:
    """The JSON Schema of a submission for ``standard``, or, without one, for any of ``standards``
    (the vocabulary and the own inputs of them all)."""
    reads = Reads(standard) if standard is not None else None
    inputs: dict[str, m.InputSpec] = dict(standard.inputs) if standard is not None else {}
    known: dict[str, set[str]] = {"county": set(), "school": set(), "township": set()}
    if standard is None:
        for other in standards:
            inputs.update(other.inputs)
            for level, names in Reads(other).by.items():
                known[level] |= set(names)
    header: dict[str, dict[str, Any]] = {
        "county": {name: {"type": "string"} for name in sorted(HEADER_KEYS["county"])},
        "evaluation": {
            "as_of": {"type": "string", "format": "date", "description": "evaluation date YYYY-MM-DD"},
            "evaluator": {"type": "string"},
            "stage": {"enum": list(STAGES)},
            "standard": {"type": "string", "description": "a standard id, or id@edition"},
        },
    }
    if standard is not None:
        header["evaluation"]["standard"] = {"enum": [standard.id, standard.key]}
    evaluation: dict[str, Any] = {"type": "object", "properties": header["evaluation"], "additionalProperties": False}
    if standard is not None:
        evaluation["required"] = ["as_of"]
    data = _level_object("county", inputs, reads, known["county"])
    if reads is not None:
        needed = _all_present(reads.county_required)
        for formula_inputs, fallback in reads.county_alternatives:
            if formula_inputs:
                needed.append({"anyOf": [{"allOf": _all_present(formula_inputs)}, requirement(fallback)]})
        if needed:
            data["allOf"] = needed
    properties: dict[str, Any] = {
        "format": {"description": "an optional format marker; not read"},
        "county": {"type": "object", "properties": header["county"], "additionalProperties": False},
        "evaluation": evaluation,
        "data": data,
        "schools": {"type": "array", "items": _unit_schema("school", inputs, reads, known["school"])},
        "townships": {"type": "array", "items": _unit_schema("township", inputs, reads, known["township"])},
        "evidence": EVIDENCE_SCHEMA,
    }
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "title": f"County submission for {standard.key}" if standard else "County submission",
        "description": (
            "A county's data for one evaluation, in the flat form (dotted names); nested objects "
            "are accepted too. Numbers may be JSON numbers or text and are read exactly as "
            "decimals. Names are those of the input vocabulary" + (
                f" plus the own inputs of {standard.key}; x-read-by names the indicators, unit "
                "filters and checks that read each field." if standard else
                " plus the own inputs (<jurisdiction>.<name>) of the installed standards."
            )
        ),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if standard is not None:
        schema["x-standard"] = {"id": standard.id, "edition": standard.edition, "sha256": standard.sha256}
        required = ["evaluation"]
        if data.get("allOf"):
            required.append("data")
        if reads and any(reads.unit_required.get(("school", s)) for s in (None, *SEGMENTS)):
            required.append("schools")
        if reads and any(reads.unit_required.get(("township", s)) for s in (None, *SEGMENTS)):
            required.append("townships")
        schema["required"] = required
    return _generator_friendly(schema)
