"""Replay a record and compare two records, field by field.

:func:`replay` rebuilds the submission from the record's canonical submission and the standard
from the record's own standard content (never from what is installed now), evaluates again on
the recorded ``as_of``, and compares the canonical result with the recorded one byte for byte.
The one field set aside is ``kernel_version``: it names the software, not the outcome, and a
release that changes nothing must still replay as identical; when it differs, the outcome says so.

:func:`diff_records` compares two records (a county's self-evaluation and the municipal review,
or two years): inputs, evaluation header, score and grade, vetoes and gates, indicators, areas.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator, Mapping

import attrs

from ..version import __version__
from ..errors import KernelError
from ..kernel.evaluate import Evaluation, evaluate
from ..kernel.formats import canonical_json
from ..kernel.loader import build_standard
from ..kernel.numbers import summing
from .records import EvaluationRecord, RecordError, check_record, record_evaluation
from .decision import (EARLIER_FORMATS, FORMAT, FULL_TRACE_FORMATS, SUMS_OF_FORMAT, analysed, summary_view,
                       with_sensitivity)
from ..kernel.submission import submission_from_data


class _Absent:
    def __repr__(self) -> str:
        return "absent"


ABSENT: Any = _Absent()


@attrs.frozen
class Difference:
    """One field that differs: its path (``indicators.d_class_ratio.points``) and both values."""

    path: str
    before: Any
    after: Any

    def render(self, before: str = "recorded", after: str = "replayed") -> str:
        return f"{self.path}: {before} {show(self.before)}, {after} {show(self.after)}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path}
        if self.before is not ABSENT:
            data["before"] = self.before
        if self.after is not ABSENT:
            data["after"] = self.after
        return data


def show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = canonical_json(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --- replay ----------------------------------------------------------------------------------


@attrs.frozen
class ReplayOutcome:
    decision_id: str
    standard_key: str
    standard_sha256: str
    recorded_kernel: str
    replayed_kernel: str
    identical: bool
    differences: tuple[Difference, ...] = ()
    error: str | None = None  # the replay could not evaluate (e.g. the kernel now rejects the input)
    replayed: Mapping[str, Any] | None = attrs.field(default=None, repr=False)
    recorded_format: str = FORMAT  # the result format the record was made in
    not_compared: tuple[str, ...] = ()  # sections of an earlier format whose meaning has changed since

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "decision_id": self.decision_id,
            "identical": self.identical,
            "standard": {"key": self.standard_key, "sha256": self.standard_sha256},
            "recorded_kernel": self.recorded_kernel,
            "replayed_kernel": self.replayed_kernel,
            "differences": [d.to_dict() for d in self.differences],
        }
        if self.error:
            data["error"] = self.error
        if self.recorded_format != FORMAT:
            data["recorded_format"] = self.recorded_format
            data["not_compared"] = list(self.not_compared)
        return data


def replay(record: EvaluationRecord, *, functions: Mapping[str, Any] | None = None,
           trace: str = "summary") -> ReplayOutcome:
    """Re-evaluate ``record`` with its own standard content and compare the results.

    A record that does not match its own hashes raises :class:`RecordError` (nothing to replay);
    a record that no longer evaluates gives an outcome with ``error`` set, not identical. The
    outcome's ``replayed`` is the replayed document; with ``trace="full"``, its full trace (what
    each unit read, docs/trace.md), whatever the record holds.
    """
    problems = check_record(record)
    if problems:
        raise RecordError(f"record {record.decision_id} does not verify: " + "; ".join(problems),
                          hint="a changed record cannot be replayed; run: standards-kernel ledger verify")
    if functions is None:
        from ..kernel.registry import default_registry

        functions = default_registry().functions
    recorded = dict(record.result)
    common: dict[str, Any] = dict(
        decision_id=record.decision_id,
        standard_key=record.standard_key,
        standard_sha256=record.standard_sha256,
        recorded_kernel=str(record.body["kernel_version"]),
        replayed_kernel=__version__,
    )
    recorded_format = str(recorded.get("format"))
    try:
        # With the sums of the record's format (decision.SUMS_OF_FORMAT): an @3 record is replayed
        # as its kernel computed it, and the document rebuilt carries that format.
        with summing(SUMS_OF_FORMAT.get(recorded_format, "exact")):
            decision = analysed(reevaluate(record, functions))
            if "sensitivity" in recorded:  # a record made with --sensitivity: the section is computed again
                decision = with_sensitivity(decision)
            replayed = decision.document(trace=trace)
            full = replayed if trace == "full" or recorded_format not in FULL_TRACE_FORMATS else (
                decision.document(trace="full"))
    except KernelError as error:
        missing = sorted(set(record.body.get("functions", ())) - set(functions))
        hint = f" (the record was made with plugin functions {', '.join(missing)}, not installed now)" if missing else ""
        return ReplayOutcome(**common, identical=False, error=f"{error}{hint}")
    if recorded_format in FULL_TRACE_FORMATS:
        # Its document held each unit's reads: compare it with today's full trace, every byte.
        comparable = {k: v for k, v in full.items() if k != "trace"}
    else:
        comparable = summary_view(replayed) if trace == "full" else dict(replayed)
    comparable["kernel_version"] = recorded.get("kernel_version")
    skipped: tuple[str, ...] = ()
    if recorded_format != FORMAT and recorded_format in EARLIER_FORMATS:
        # A record made in an earlier format: every value that format holds is compared, except the
        # sections whose meaning changed since (a record keeps what its kernel said; see decision.py).
        skipped = EARLIER_FORMATS[recorded_format]
        recorded = {k: v for k, v in recorded.items() if k not in skipped and k != "format"}
        comparable = {k: v for k, v in comparable.items() if k not in skipped and k != "format"}
    identical = canonical_json(comparable) == canonical_json(recorded)
    differences = () if identical else tuple(json_diff(recorded, comparable))
    return ReplayOutcome(**common, identical=identical, differences=differences, replayed=replayed,
                         recorded_format=recorded_format, not_compared=skipped)


def reevaluate(record: EvaluationRecord, functions: Mapping[str, Any]) -> Evaluation:
    """Evaluate the record's submission under the record's standard content on its date."""
    submission = submission_from_data(record.submission, file=f"record {record.decision_id}: submission")
    standard = build_standard(record.standard_content, file=f"record {record.decision_id}: standard content",
                              functions=functions)
    return evaluate(submission, standard, as_of=dt.date.fromisoformat(str(record.body["as_of"])))


def rerecord(record: EvaluationRecord, *, functions: Mapping[str, Any] | None = None) -> EvaluationRecord:
    """A new record of the same evaluation made by the kernel installed now, with the same
    recorded standard content (so an older edition stays the older edition). For refreshing golden
    records after an intended change of results; the old record is not touched, and the new one
    has its own decision id."""
    problems = check_record(record)
    if problems:
        raise RecordError(f"record {record.decision_id} does not verify: " + "; ".join(problems))
    from ..kernel.registry import default_registry

    registry = default_registry()
    evaluation = reevaluate(record, registry.functions if functions is None else functions)
    return record_evaluation(evaluation, plugins=registry.plugins,
                             functions=registry.functions if functions is None else functions,
                             requested=str(record.body["standard"]["requested"]))


# --- field-level differences -----------------------------------------------------------------


def json_diff(before: Any, after: Any, path: str = "") -> Iterator[Difference]:
    """Differences between two JSON values, field by field. Lists of objects with an ``id`` are
    matched by id (``schools[s01]``); other lists index by index when their lengths agree."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            yield from json_diff(before.get(key, ABSENT), after.get(key, ABSENT), _join(path, str(key)))
        return
    if isinstance(before, list) and isinstance(after, list):
        keyed_a, keyed_b = _by_id(before), _by_id(after)
        if keyed_a is not None and keyed_b is not None:
            for key in sorted(set(keyed_a) | set(keyed_b)):
                yield from json_diff(keyed_a.get(key, ABSENT), keyed_b.get(key, ABSENT), f"{path}[{key}]")
            return
        if len(before) == len(after) and before and all(isinstance(x, (Mapping, list)) for x in before + after):
            for index, (x, y) in enumerate(zip(before, after)):
                yield from json_diff(x, y, f"{path}[{index}]")
            return
    if before is ABSENT or after is ABSENT or type(before) is not type(after) or before != after:
        yield Difference(path or "(whole)", before, after)


def _by_id(items: list[Any]) -> dict[str, Any] | None:
    if not items or not all(isinstance(x, Mapping) and isinstance(x.get("id"), str) for x in items):
        return None
    keyed = {x["id"]: x for x in items}
    return keyed if len(keyed) == len(items) else None


def _join(path: str, key: str) -> str:
    part = f'"{key}"' if "." in key else key
    return f"{path}.{part}" if path else part


# --- comparing two records -------------------------------------------------------------------

#: Sections of a comparison, in the order they are shown.
SECTIONS = ("evaluation", "inputs", "outcome", "vetoes", "gates", "indicators", "areas", "other")
_OUTCOME_KEYS = ("score", "max_score", "grade_by_score", "grade", "lowered_by")
_RULE_FIELDS = ("triggered", "failed", "applied", "value", "limit", "failed_units", "effect", "grade")
_INDICATOR_FIELDS = ("value", "met", "points", "max", "limit", "failed_units", "units")
_UNIT_FIELDS = ("value", "met", "limit")
#: Result fields already shown under "evaluation" (from the record's header).
_HEADER_IN_RESULT = ("as_of", "stage", "standard", "county", "kernel_version", "input_sha256")


@attrs.frozen
class RecordDiff:
    a: EvaluationRecord
    b: EvaluationRecord
    sections: Mapping[str, tuple[Difference, ...]]

    @property
    def same(self) -> bool:
        return not any(self.sections.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a.decision_id,
            "b": self.b.decision_id,
            "same": self.same,
            "sections": {name: [d.to_dict() for d in diffs] for name, diffs in self.sections.items()},
        }


def diff_records(a: EvaluationRecord, b: EvaluationRecord) -> RecordDiff:
    """What differs between two records, grouped into :data:`SECTIONS`."""
    sections: dict[str, list[Difference]] = {name: [] for name in (*SECTIONS, "skip")}
    header_a, header_b = _header(a), _header(b)
    sections["evaluation"] = list(json_diff(header_a, header_b))
    inputs_a = {k: v for k, v in a.submission.items() if k != "evaluation"}
    inputs_b = {k: v for k, v in b.submission.items() if k != "evaluation"}
    sections["inputs"] = list(json_diff(inputs_a, inputs_b))
    for d in json_diff(*_comparable_results(a.result, b.result)):
        sections[_section_of(d.path)].append(d)
    return RecordDiff(a, b, {name: tuple(diffs) for name, diffs in sections.items() if name != "skip"})


def _comparable_results(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """The two results as far as both formats hold them: a record of a full-trace format (``@1``,
    ``@2``) against a later one is compared without each unit's reads, which the later format
    leaves out (its ``format`` still differs, and is shown)."""
    full_a, full_b = a.get("format") in FULL_TRACE_FORMATS, b.get("format") in FULL_TRACE_FORMATS
    if full_a and not full_b:
        return summary_view(dict(a)), b
    if full_b and not full_a:
        return a, summary_view(dict(b))
    return a, b


def _header(record: EvaluationRecord) -> dict[str, Any]:
    body = record.body
    return {
        "as_of": body["as_of"],
        "stage": body["stage"],
        "evaluator": body["evaluator"],
        "standard": {k: body["standard"][k] for k in ("id", "edition", "sha256")},
        "kernel_version": body["kernel_version"],
        "plugins": {p["name"]: f"{p['distribution']} {p['version']}" for p in body["plugins"]},
        "functions": body["functions"],
    }


def _section_of(path: str) -> str:
    parts = split_path(path)
    head = parts[0]
    if head in _HEADER_IN_RESULT:
        return "skip"
    if head in _OUTCOME_KEYS:
        return "outcome"
    if head in ("vetoes", "gates"):
        return head if len(parts) == 2 or parts[2] in _RULE_FIELDS else "other"
    if head == "indicators":
        if len(parts) == 2 or parts[2] in _INDICATOR_FIELDS and parts[2] != "units":
            return "indicators"
        if parts[2] == "units" and (len(parts) <= 4 or parts[4] in _UNIT_FIELDS):
            return "indicators"
        return "other"
    if head == "areas":
        return "areas" if len(parts) == 2 or parts[2] == "points" else "other"
    return "other"


def split_path(path: str) -> list[str]:
    """``indicators."a.b".units.x`` → ``["indicators", "a.b", "units", "x"]`` (as the diff writes paths)."""
    parts, current, quoted = [], "", False
    for char in path:
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts
