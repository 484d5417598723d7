"""The API's response models, as attrs classes derived from the kernel's model.

One source of truth: the models a response is documented with (OpenAPI, via Litestar's attrs
support) are made by :func:`twin` from the kernel's own attrs classes in
:mod:`standards_kernel.kernel.model`, field by field, and :func:`dump` writes a kernel object through the
same field list. Adding a field to ``model.Source`` therefore adds it to the API and to its
OpenAPI document at once. The twins differ from the kernel classes only where JSON needs it:
``Decimal`` becomes its exact text (never a binary float), a compiled ``Expression`` becomes its
formula text, tuples become lists, and fields that are internal (the merged content, the file
path, the evaluation order) are left out. A kernel class that needs no change is used as is.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import functools
import sys
import types
import typing
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, Literal, Mapping, Union

import attrs

from ...kernel import model as m
from ...kernel.expressions import Expression
from ...kernel.numbers import canonical
from ...audit.records import EvaluationRecord

#: Kernel fields that are not part of the API: internals, not facts about a standard.
DROPPED: dict[type, frozenset[str]] = {
    m.Standard: frozenset({"content", "file", "order"}),
    EvaluationRecord: frozenset({"body_text"}),  # the hashed text of ``body``, not a separate fact
}


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))


def _api_type(tp: Any) -> Any:
    """The JSON-facing type of a kernel field type."""
    if tp is Decimal or tp is Expression:
        return str
    if attrs.has(tp):
        return twin(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (Union, types.UnionType):
        mapped: list[Any] = []
        for arg in args:
            new = _api_type(arg)
            if new not in mapped:
                mapped.append(new)
        return functools.reduce(lambda a, b: a | b, mapped) if len(mapped) > 1 else mapped[0]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return list[_api_type(args[0])]  # type: ignore[misc]
        return tuple[tuple(_api_type(a) for a in args)]  # type: ignore[misc]
    if origin in (dict, Mapping, collections.abc.Mapping):
        return dict[args[0], _api_type(args[1])]  # type: ignore[valid-type, misc]  # a type built at run time
    if origin is Literal:
        return tp
    return tp


@functools.cache
def twin(cls: type) -> type:
    """The API model of a kernel attrs class (the class itself when JSON needs no change)."""
    hints = _hints(cls)
    dropped = DROPPED.get(cls, frozenset())
    fields = {f.name: _api_type(hints[f.name]) for f in attrs.fields(cls) if f.name not in dropped}
    if not dropped and all(fields[f.name] == hints[f.name] for f in attrs.fields(cls)):
        return cls
    return derive(cls.__name__, fields, doc=cls.__doc__)


def derive(name: str, fields: Mapping[str, Any], *, doc: str | None = None) -> type:
    """A frozen attrs class with the given fields (all present in every response)."""
    made = attrs.make_class(name, {key: attrs.field(type=tp) for key, tp in fields.items()}, frozen=True)
    made.__module__ = __name__
    made.__doc__ = doc
    return made


def fields_of(cls: type) -> tuple[str, ...]:
    """The names a kernel class shows in the API."""
    dropped = DROPPED.get(cls, frozenset())
    return tuple(f.name for f in attrs.fields(cls) if f.name not in dropped)


def dump(value: Any) -> Any:
    """A kernel value as plain JSON data, through the same field lists as :func:`twin`."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, Decimal)):
        return canonical(value) if isinstance(value, Decimal) else value
    if isinstance(value, Expression):
        return value.text
    if isinstance(value, dt.date):
        return value.isoformat()
    if attrs.has(type(value)):
        return {name: dump(getattr(value, name)) for name in fields_of(type(value))}
    if isinstance(value, Mapping):
        return {str(k): dump(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [dump(v) for v in value]
    raise TypeError(f"cannot write {type(value).__name__} into an API response")


# --- standards ------------------------------------------------------------------------------

#: The fields of a standard that a listing shows; the full edition shows every field.
SUMMARY_FIELDS = ("id", "edition", "jurisdiction", "title", "effective_from", "effective_until",
                  "extends", "description", "sha256")
#: Computed facts added to both views.
COMPUTED = {"key": str, "max_score": str}

StandardSummary = derive(
    "StandardSummary",
    {**{name: _api_type(_hints(m.Standard)[name]) for name in SUMMARY_FIELDS}, **COMPUTED},
    doc="One edition of a standard, in brief (GET /v1/standards).",
)
StandardEdition = derive(
    "StandardEdition",
    {**{name: _api_type(_hints(m.Standard)[name]) for name in fields_of(m.Standard)}, **COMPUTED},
    doc="One edition of a standard in full: sources, parameters with their sources and statuses, "
        "inputs, unit sets, indicators, areas, gates and vetoes (rules), grades.",
)


def summary(standard: m.Standard) -> dict[str, Any]:
    data = {name: dump(getattr(standard, name)) for name in SUMMARY_FIELDS}
    return {**data, **_computed(standard)}


def edition(standard: m.Standard) -> dict[str, Any]:
    return {**dump(standard), **_computed(standard)}


def _computed(standard: m.Standard) -> dict[str, Any]:
    return {"key": standard.key, "max_score": canonical(standard.max_score)}


@attrs.frozen
class StandardList:
    """The installed standards, one entry per edition, sorted by id then effective date."""

    kernel_version: str
    standards: list[StandardSummary]  # type: ignore[valid-type]


@attrs.frozen
class StandardDetail:
    """A standard's editions (all of them for ``{id}``, one for ``{id}@{edition}``)."""

    kernel_version: str
    id: str
    editions: list[StandardEdition]  # type: ignore[valid-type]


# --- evaluations ----------------------------------------------------------------------------


@attrs.frozen
class StandardRef:
    """Which standard an evaluation used: id, edition and the hash of its canonical content."""

    id: str
    edition: str
    sha256: str
    title: m.Label
    extends: str | None


@attrs.frozen
class EvaluationResult:
    """The canonical result of one evaluation (``standards-kernel evaluate --format json``).

    The body is byte for byte the canonical JSON the CLI prints (keys sorted, no spaces, decimals
    as strings). The nested tables' keys are ids of the standard's indicators, areas, rules and
    parameters; their values are typed in the OpenAPI document by :func:`result_schemas`.
    """

    #: @4 for every evaluation; a replay of an @3 record rebuilds its document in @3 (docs/audit.md).
    format: Literal["standards-kernel/evaluation@4", "standards-kernel/evaluation@3"]
    kernel_version: str
    input_sha256: str
    standard: StandardRef
    county: dict[str, str]
    as_of: dt.date
    stage: str | None
    score: str
    max_score: str
    grade_by_score: str
    grade: str
    grades: list[dict[str, Any]]
    lowered_by: list[str]
    gates: dict[str, dict[str, Any]]
    vetoes: dict[str, dict[str, Any]]
    indicators: dict[str, dict[str, Any]]
    areas: dict[str, dict[str, Any]]
    parameters: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    assumptions: list[str]
    gaps: list[dict[str, Any]]
    next_grade: dict[str, Any]
    inputs: dict[str, dict[str, Any]] | None = None
    sensitivity: dict[str, Any] | None = None  # only with ?sensitivity=true
    trace: Literal["full"] | None = None  # only with ?trace=full (then each unit's reads too)


@attrs.frozen
class RecordedEvaluation:
    """A recorded evaluation (``POST /v1/evaluations?record=true``, 201): the decision id, the record's
    address and the canonical result, whose bytes are those of the unrecorded answer."""

    decision_id: str
    location: str
    result: EvaluationResult


# --- the parts of a result, as named JSON Schemas ---------------------------------------------
#
# kernel/result.py writes each part of the canonical result from kernel objects. Each named
# schema below lists the keys of one part, and takes the type of each key from the kernel attrs
# field it is written from (``Decimal`` becomes a string in canonical form). A key is "always"
# present, or written only when it has a value; no part has keys beyond those listed (the tests
# validate the result of every fixture county against these schemas).

#: The canonical text of a decimal (kernel.numbers.canonical): no exponent, no trailing zeros.
DECIMAL_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$"
ALWAYS, WHEN_SET = True, False


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_type(tp: Any, *, nullable: bool = True) -> dict[str, Any]:
    """The JSON Schema of a kernel field type as the canonical result writes it."""
    from ...analysis.gaps.model import Fix, Target
    from ...analysis.plan import Change, Repair

    named = {Decimal: "Decimal", Fraction: "Decimal", m.Label: "ResultLabel", m.Check: "ResultCheck",
             Fix: "ResultFix", Target: "ResultTarget", Repair: "ResultRepair", Change: "ResultChange"}
    if tp is Any:
        return ref("ResultValue") if not nullable else {"anyOf": [ref("ResultValue"), {"type": "null"}]}
    if tp in named:
        return ref(named[tp])
    if attrs.has(tp) and tp.__module__.startswith("standards_kernel.analysis"):
        return ref("Result" + tp.__name__)  # analysis_schemas() names each of its models so
    simple = {str: {"type": "string"}, Expression: {"type": "string"}, bool: {"type": "boolean"},
              int: {"type": "integer"}, dt.date: {"type": "string", "format": "date"}}
    if tp in simple:
        return dict(simple[tp])
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        return {"enum": list(args)}
    if origin in (Union, types.UnionType):
        kept = [a for a in args if a is not type(None) and not (a is int and Decimal in args)]  # ints of a value are text
        options = [json_type(a) for a in kept]
        if type(None) in args and nullable:
            options.append({"type": "null"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin in (dict, Mapping, collections.abc.Mapping):
        return {"type": "object", "additionalProperties": json_type(args[1])}
    if origin is tuple:
        return {"type": "array", "items": json_type(args[0])}
    raise TypeError(f"no JSON Schema for {tp!r}")


def of(cls: type, name: str, always: bool) -> tuple[dict[str, Any], bool]:
    """The key ``name`` typed as the field ``name`` of the kernel class ``cls``."""
    return json_type(_hints(cls)[name], nullable=always), always


def part(description: str, keys: Mapping[str, tuple[dict[str, Any], bool]]) -> dict[str, Any]:
    return {"type": "object", "description": description, "additionalProperties": False,
            "properties": {key: schema for key, (schema, _) in keys.items()},
            "required": [key for key, (_, always) in keys.items() if always]}


def _citation_keys() -> dict[str, tuple[dict[str, Any], bool]]:
    # every field of the kernel's Citation: kernel/result.py writes each one that has a value
    return {name: of(m.Citation, name, WHEN_SET) for name in fields_of(m.Citation)}


def result_schemas() -> dict[str, dict[str, Any]]:
    """The named schemas of the result's parts (components of the OpenAPI document)."""
    from ...kernel.readings import AreaResult, IndicatorResult, Reading, RuleResult

    value = json_type(_hints(Reading)["value"], nullable=False)
    reading = {"value": of(Reading, "value", ALWAYS), "met": of(Reading, "met", WHEN_SET),
               "limit": of(Reading, "limit", WHEN_SET), "reads": of(Reading, "reads", WHEN_SET),
               "note": of(Reading, "note", WHEN_SET)}
    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "Decimal": {"type": "string", "pattern": DECIMAL_PATTERN,
                    "description": "an exact decimal in canonical form: no exponent, no trailing zeros"},
        "ResultValue": {**value, "description": "a value: a decimal (as text), a yes/no, or a text"},
        "ResultLabel": part("a name in Chinese and English",
                            {"zh": of(m.Label, "zh", ALWAYS), "en": of(m.Label, "en", ALWAYS)}),
        "ResultCheck": part("the indicator's check: value op limit (the limit's formula text)",
                      {"op": of(m.Check, "op", ALWAYS), "limit": of(m.Check, "limit", ALWAYS)}),
        "ResultGrade": part("a grade of the standard, lowest first", {"id": of(m.Grade, "id", ALWAYS),
                                                                "label": of(m.Grade, "label", ALWAYS)}),
        "ResultArea": part("an area of the score: its points and maximum", {
            "label": of(m.Area, "label", ALWAYS), "parent": of(m.Area, "parent", ALWAYS),
            "points": of(AreaResult, "points", ALWAYS), "max": of(m.Area, "max", ALWAYS)}),
        "ResultSource": part("a document the standard rests on", {
            name: of(m.Source, name, WHEN_SET) for name in ("title", "issuer", "number", "date", "address")}),
        "ResultParameter": part("a parameter the evaluation read, with the value in force and its citation", {
            "label": of(m.Parameter, "label", ALWAYS), "unit": of(m.Parameter, "unit", ALWAYS),
            "value": of(m.DatedValue, "value", ALWAYS),
            "in_force_from": (json_type(dt.date | None), ALWAYS),  # null: since the first edition
            **_citation_keys(), "origin": of(m.Parameter, "origin", WHEN_SET)}),
        "ResultInput": part("one of the standard's own inputs (outside the data dictionary), named for reports", {
            "label": of(m.InputSpec, "label", ALWAYS), "level": of(m.InputSpec, "level", ALWAYS),
            "unit": of(m.InputSpec, "unit", ALWAYS)}),
        "ResultUnitReading": part("one unit's (school's, township's) value of an indicator", reading),
        "ResultIndicator": part("an indicator: how it is computed, its value (or each unit's), check and points", {
            "label": of(m.Indicator, "label", ALWAYS), "level": of(m.Indicator, "level", ALWAYS),
            "unit": of(m.Indicator, "unit", ALWAYS), "how": ({"type": "string"}, ALWAYS),
            "direction": of(m.Indicator, "direction", WHEN_SET), "check": of(m.Indicator, "check", WHEN_SET),
            **{key: (schema, WHEN_SET) for key, (schema, _) in reading.items()},
            "units": ({"type": "object", "additionalProperties": ref("ResultUnitReading")}, WHEN_SET),
            "failed_units": (strings, WHEN_SET),
            "detail": ({"type": "object", "additionalProperties": ref("ResultValue")}, WHEN_SET),
            "points": of(IndicatorResult, "points", WHEN_SET), "max": of(m.Scoring, "max", WHEN_SET),
            "scoring": of(m.Scoring, "kind", WHEN_SET), "area": of(m.Scoring, "area", WHEN_SET),
            **_citation_keys(), "origin": of(m.Indicator, "origin", WHEN_SET)}),
        "ResultRule": part("a gate (failed) or veto (triggered): its effect on the grade and whether it applied", {
            "label": of(m.Rule, "label", ALWAYS), "indicator": of(m.Rule, "indicator", ALWAYS),
            "effect": of(m.Rule, "effect", ALWAYS), "applied": of(RuleResult, "applied", ALWAYS),
            "priority": of(m.Rule, "priority", ALWAYS), "group": of(m.Rule, "group", ALWAYS),
            "failed": of(RuleResult, "failed", WHEN_SET), "triggered": of(RuleResult, "failed", WHEN_SET),
            "grade": of(m.Rule, "grade", WHEN_SET), "value": of(RuleResult, "value", WHEN_SET),
            "limit": of(RuleResult, "limit", WHEN_SET), "failed_units": of(RuleResult, "failed_units", WHEN_SET),
            **_citation_keys(), "origin": of(m.Rule, "origin", WHEN_SET)}),
        **analysis_schemas(),
    }


def model_part(cls: type, description: str, always: Iterable[str], *,
               written: Mapping[str, tuple[dict[str, Any], bool]] | None = None,
               renamed: Mapping[str, str] | None = None, internal: Iterable[str] = ()) -> dict[str, Any]:
    """The named schema of an attrs class as the analysis writes it: every field of ``cls`` (so a
    field the model gains appears at once), typed from the field's type, present ``always`` or
    only when it has a value; ``written`` gives keys whose written form differs from the field
    (a fraction's ``<key>_exact``, a computed key), ``renamed`` field → key, and ``internal`` the
    fields that are never written."""
    hints, always, renamed, skip = _hints(cls), set(always), dict(renamed or {}), set(internal)
    keys: dict[str, tuple[dict[str, Any], bool]] = {}
    for field in attrs.fields(cls):
        if field.name in skip:
            continue
        key = renamed.get(field.name, field.name)
        keys[key] = of(cls, field.name, key in always) if field.name in hints else ({}, False)
    keys.update(written or {})
    return part(description, keys)


def analysis_schemas() -> dict[str, dict[str, Any]]:
    """The named schemas of the result's ``gaps`` and ``next_grade``, from the analysis's attrs
    models (analysis.gaps.model: Gap, Target, Fix, Held; analysis.plan: NextGrade, Repair,
    Change) as analysis/gaps/data.py and plan.plan_to_data write them: a fraction is a decimal
    (rounded toward the side that clears the gap) plus, when it does not terminate,
    ``<key>_exact`` as ``p/q``."""
    from ...analysis.gaps import model as gm
    from ...analysis.plan import Change, NextGrade, Repair

    exact = ({"type": "string", "pattern": r"^-?[0-9]+/[0-9]+$",
              "description": "the exact fraction p/q, when the decimal beside it does not terminate"}, WHEN_SET)
    detail = ({"type": "object", "description": "how a target or fix was worked out (e.g. a CV's mean and "
               "contributors)", "additionalProperties": {"anyOf": [
                   ref("ResultValue"), {"type": "null"},
                   {"type": "array", "items": {"type": "object", "additionalProperties": {
                       "anyOf": [ref("ResultFix"), ref("ResultValue"), {"type": "null"}]}}}]}}, WHEN_SET)
    schemas = {
        "ResultGap": model_part(gm.Gap, "a failed gate, a triggered veto, or a scored item below full points, "
                                "and what closes it", ("id", "kind", "indicator", "closable", "targets"),
                                written={"effect": ({"type": "string"}, WHEN_SET),
                                         "shortfall": (ref("Decimal"), WHEN_SET)}),
        "ResultTarget": model_part(gm.Target, "what one indicator (of the county, or of one school or township) "
                                   "must become", ("indicator", "value", "relation", "closable"),
                                   written={"required": (ref("ResultValue"), WHEN_SET), "required_exact": exact,
                                            "detail": detail}),
        "ResultFix": model_part(gm.Fix, "one change of one quantity that makes a target hold by itself",
                                ("name", "kind", "current", "relation", "required"), internal=("type", "lever", "held"),
                                written={"required_exact": exact, "change": (ref("Decimal"), ALWAYS),
                                         "change_exact": exact, "whole": (ref("Decimal"), WHEN_SET),
                                         "detail": detail}),
        "ResultNextGrade": model_part(NextGrade, "the smallest set of repairs that lifts the grade, checked by "
                                      "re-evaluation", ("from", "to", "status"),
                                      renamed={"current": "from", "target": "to"},
                                      internal=("candidates", "evaluated")),
        "ResultRepair": model_part(Repair, "one gap's repair: the values set", ("gap", "by", "changes"),
                                   internal=("effort",)),
        "ResultChange": model_part(Change, "one value set: a county input, a school's or township's field, "
                                   "or an indicator", ("where", "name", "relation", "value")),
    }
    held = getattr(gm, "Held", None)
    if held is not None:  # an input a target reads and no fix moves, stated as context
        schemas["ResultHeld"] = model_part(held, held.__doc__.split(".")[0] if held.__doc__ else "held input",
                                           ("name", "value", "reason"))
    return schemas


#: The result's keys typed by the named parts.
RESULT_PARTS: dict[str, dict[str, Any]] = {
    "score": ref("Decimal"), "max_score": ref("Decimal"),
    "grades": {"type": "array", "items": ref("ResultGrade")},
    "gates": {"type": "object", "additionalProperties": ref("ResultRule")},
    "vetoes": {"type": "object", "additionalProperties": ref("ResultRule")},
    "indicators": {"type": "object", "additionalProperties": ref("ResultIndicator")},
    "areas": {"type": "object", "additionalProperties": ref("ResultArea")},
    "parameters": {"type": "object", "additionalProperties": ref("ResultParameter")},
    "sources": {"type": "object", "additionalProperties": ref("ResultSource")},
    "inputs": {"type": "object", "additionalProperties": ref("ResultInput"),
               "description": "present when the standard declares inputs of its own"},
    "gaps": {"type": "array", "items": ref("ResultGap")},
    "next_grade": ref("ResultNextGrade"),
}


# --- records --------------------------------------------------------------------------------


def record_schemas() -> dict[str, dict[str, Any]]:
    """The record's hashed body as a named schema (audit/records.py writes it; ``check_body`` holds
    it to exactly these keys): the plugins as the registry's PluginInfo, the submission in its
    canonical form, the standard used and the canonical result."""
    from ...audit.records import BODY_KEYS, FORMAT
    from ...kernel.registry import PluginInfo
    from ...kernel.submission import STAGES

    hints = _hints(PluginInfo)
    plugin = {f.name: (json_type(hints[f.name]), ALWAYS) for f in attrs.fields(PluginInfo)}
    hex64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
    keys: dict[str, tuple[dict[str, Any], bool]] = {
        "format": ({"const": FORMAT}, ALWAYS),
        "kernel_version": ({"type": "string"}, ALWAYS),
        "plugins": ({"type": "array", "items": ref("RecordPlugin")}, ALWAYS),
        "functions": ({"type": "array", "items": {"type": "string"}}, ALWAYS),
        "submission": (ref("Submission"), ALWAYS),
        "submission_sha256": (hex64, ALWAYS),
        "standard": (part("the standard used, and the reference it was asked by", {
            "id": ({"type": "string"}, ALWAYS), "edition": ({"type": "string"}, ALWAYS),
            "sha256": (hex64, ALWAYS), "requested": ({"type": "string"}, ALWAYS)}), ALWAYS),
        "as_of": ({"type": "string", "format": "date"}, ALWAYS),
        "stage": ({"anyOf": [{"enum": list(STAGES)}, {"type": "null"}]}, ALWAYS),
        "evaluator": ({"anyOf": [{"type": "string"}, {"type": "null"}]}, ALWAYS),
        # a record kept from an earlier release may hold a result of an earlier form
        "result": ({"anyOf": [ref("EvaluationResult"), {"type": "object", "description": "an earlier result"}]},
                   ALWAYS),
    }
    assert set(keys) == set(BODY_KEYS), "records.BODY_KEYS changed: type the new key here"
    return {"RecordPlugin": part("a plugin of the process that evaluated", plugin),
            "RecordBody": part("the hashed body of an evaluation record", keys)}


if typing.TYPE_CHECKING:
    Record: typing.TypeAlias = EvaluationRecord  # to the type checker, the twin is the record it mirrors
else:
    Record = twin(EvaluationRecord)


@attrs.frozen
class ReplayDifference:
    """A field whose replayed value differs (``before``/``after`` absent when the field is)."""

    path: str
    before: Any = None
    after: Any = None


@attrs.frozen
class ReplayStandard:
    key: str
    sha256: str


@attrs.frozen
class ReplayResult:
    """The outcome of a replay (``standards-kernel replay --json``), with the serving kernel's version."""

    decision_id: str
    identical: bool
    standard: ReplayStandard
    recorded_kernel: str
    replayed_kernel: str
    differences: list[ReplayDifference]
    kernel_version: str
    error: str | None = None
    #: Only for a record made in an earlier result format: that format, and the sections whose
    #: meaning changed since and so were not compared (docs/audit.md).
    recorded_format: str | None = None
    not_compared: list[str] | None = None
    #: Only with ?trace=full: the replayed result with what each unit read (docs/trace.md).
    result: EvaluationResult | None = None


# --- service --------------------------------------------------------------------------------


@attrs.frozen
class PluginStatus:
    name: str
    distribution: str
    version: str


@attrs.frozen
class Health:
    """The service is up; what it serves."""

    status: Literal["ok"]
    kernel_version: str
    standards: int
    plugins: list[PluginStatus]
    plugin_errors: list[str]
    ledger: bool  # whether ?record=true and /v1/records are available
