"""Evaluation records: everything needed to reproduce one evaluation, years later.

A record has a *body*, the hashed part, and around it what is not hashed:

- ``body`` (canonical JSON, hashed): the record format; the kernel version and the plugins (name,
  distribution, version) and plugin functions of the process that evaluated; the canonical
  submission and its sha256; the standard's id, edition, the sha256 of its merged canonical
  content and the reference it was asked for by; ``as_of``, stage and evaluator; the canonical
  result, which is the full trace (every value with what it read, every parameter with its source).
- ``standard_content``: the standard's merged canonical content itself. It is bound to the body
  through ``body.standard.sha256`` rather than copied into it, so that a ledger stores each
  content once per hash (content-addressed) while a record file stays self-contained.
- ``created_at``: when the record was made or, in a ledger, accepted. Outside the hash, so that
  the same evaluation recorded twice has the same hash; a ledger's hash chain covers it instead.

The decision id is the first 32 hex digits (128 bits) of the body's sha256: deterministic, so
that anyone can recompute it from a record file, a retry after a crash cannot record a decision
twice, and an id quoted in a letter pins the exact content it names. Decimals in the body are
canonical strings; in the standard content they are JSON numbers read back as ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, Iterator, Mapping

import attrs

from ..version import __version__
from ..errors import KernelError
from ..kernel.evaluate import Evaluation
from ..kernel.files import read_input_text
from ..kernel.formats import InputTextError, canonical_json, content_json, exact_json
from .decision import Decision, as_decision

FORMAT = "standards-kernel/record@1"
#: Keys of a record file (a record outside a ledger); ``ledger`` is informational only.
FILE_KEYS = ("body", "created_at", "decision_id", "ledger", "record_sha256", "standard_content")
BODY_KEYS = (
    "as_of", "evaluator", "format", "functions", "kernel_version", "plugins", "result", "stage",
    "standard", "submission", "submission_sha256",
)
DECISION_ID_LENGTH = 32


class RecordError(KernelError):
    """A record that cannot be read or does not match its own hashes."""


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_text(data: Any) -> str:
    """The canonical JSON that hashes are taken of: :func:`content_json`, computed by the C
    encoder when the data holds no ``Decimal`` (a body: its decimals are text), which gives the
    same text far faster; with decimals (standard content) the exact writer is used."""
    try:
        return canonical_json(data)
    except TypeError:
        return content_json(data)


def decision_id_for(record_sha256: str) -> str:
    return record_sha256[:DECISION_ID_LENGTH]


def utc_now() -> str:
    """An ISO 8601 UTC timestamp with microseconds, e.g. ``2025-01-31T08:00:00.123456Z``."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


@attrs.frozen
class EvaluationRecord:
    """One recorded evaluation. Build it with :func:`record_evaluation` or :func:`from_file_data`."""

    body: Mapping[str, Any]
    standard_content: Mapping[str, Any]
    created_at: str
    body_text: str = attrs.field(eq=False, repr=False)  # canonical JSON of ``body``: what is hashed
    record_sha256: str = ""
    decision_id: str = ""
    ledger: Mapping[str, Any] | None = attrs.field(default=None, eq=False)  # seq/prev/entry hash

    @property
    def submission(self) -> Mapping[str, Any]:
        return self.body["submission"]

    @property
    def result(self) -> Mapping[str, Any]:
        return self.body["result"]

    @property
    def standard_sha256(self) -> str:
        return str(self.body["standard"]["sha256"])

    @property
    def standard_key(self) -> str:
        return f"{self.body['standard']['id']}@{self.body['standard']['edition']}"

    @property
    def county(self) -> Mapping[str, str]:
        return self.submission.get("county", {})

    def to_file_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "body": self.body,
            "created_at": self.created_at,
            "decision_id": self.decision_id,
            "record_sha256": self.record_sha256,
            "standard_content": self.standard_content,
        }
        if self.ledger:
            data["ledger"] = dict(self.ledger)
        return data

    def to_file_text(self) -> str:
        """The record as an indented, sorted JSON file (whitespace is not part of any hash)."""
        return pretty_json(self.to_file_data()) + "\n"


def make_record(body: Mapping[str, Any], standard_content: Mapping[str, Any], created_at: str,
                ledger: Mapping[str, Any] | None = None) -> EvaluationRecord:
    """A record from its parts, hashes computed (no consistency check: see :func:`check_record`)."""
    body_text = canonical_text(body)
    digest = sha256_hex(body_text)
    return EvaluationRecord(body, standard_content, created_at, body_text, digest, decision_id_for(digest), ledger)


def record_evaluation(
    evaluation: Evaluation | Decision,
    *,
    plugins: Mapping[str, Any] | None = None,
    functions: Mapping[str, Any] | None = None,
    requested: str | None = None,
    created_at: str | None = None,
) -> EvaluationRecord:
    """The record of ``evaluation``. ``plugins`` and ``functions`` default to the default
    registry's; ``requested`` is the standard reference the user gave (id, id@edition or path).
    Given a :class:`~standards_kernel.audit.decision.Decision`, its analysis is not run again."""
    decision = as_decision(evaluation)
    evaluation = decision.evaluation
    if plugins is None or functions is None:
        from ..kernel.registry import default_registry

        registry = default_registry()
        plugins = registry.plugins if plugins is None else plugins
        functions = registry.functions if functions is None else functions
    standard = evaluation.standard
    submission = evaluation.submission
    # The content as plain JSON data, exactly as it will read back from a file or the ledger.
    content_text = content_json(standard.content)
    content = exact_json(content_text)
    body = {
        "format": FORMAT,
        "kernel_version": __version__,
        "plugins": [
            {"name": p.name, "distribution": p.distribution, "version": p.version, "module": p.module,
             "hooks": list(p.hooks)}
            for _, p in sorted(plugins.items())
        ],
        "functions": sorted(functions),
        "submission": submission.canonical(),
        "submission_sha256": submission.sha256,
        "standard": {
            "id": standard.id,
            "edition": standard.edition,
            "sha256": standard.sha256,
            "requested": requested if requested is not None else standard.key,
        },
        "as_of": evaluation.as_of.isoformat(),
        "stage": submission.stage,
        "evaluator": submission.evaluator,
        "result": decision.document(),
    }
    record = make_record(body, content, created_at or utc_now())
    problems = check_record(record, content=False)
    if sha256_hex(content_text) != standard.sha256:
        problems.append("the standard content does not match standard.sha256")
    if problems:  # a kernel bug, not bad input: the record would not verify later
        raise RecordError("the new record is inconsistent: " + "; ".join(problems))
    return record


# --- checking --------------------------------------------------------------------------------


def check_body(body: Mapping[str, Any]) -> list[str]:
    """What is inconsistent inside a body (empty when it is consistent)."""
    problems: list[str] = []
    if not isinstance(body, Mapping):
        return ["the body is not an object"]
    missing = [k for k in BODY_KEYS if k not in body]
    if missing:
        return ["the body lacks " + ", ".join(missing)]
    extra = sorted(set(body) - set(BODY_KEYS))
    if extra:
        problems.append("the body has unknown keys " + ", ".join(extra))
    if body["format"] != FORMAT:
        problems.append(f"unknown record format {body['format']!r} (this kernel reads {FORMAT})")
    try:
        submission_sha = sha256_hex(canonical_text(body["submission"]))
    except TypeError as exc:
        return problems + [f"the submission is not JSON data: {exc}"]
    if submission_sha != body["submission_sha256"]:
        problems.append("the submission does not match submission_sha256")
    result = body["result"]
    standard = body["standard"]
    if not isinstance(result, Mapping) or not isinstance(standard, Mapping):
        return problems + ["result and standard must be objects"]
    for key in ("id", "edition", "sha256"):
        if not isinstance(standard.get(key), str):
            problems.append(f"standard.{key} must be text")
    if result.get("input_sha256") != body["submission_sha256"]:
        problems.append("result.input_sha256 is not the submission's sha256")
    for key in ("id", "edition", "sha256"):
        if (result.get("standard") or {}).get(key) != standard.get(key):
            problems.append(f"result.standard.{key} differs from standard.{key}")
    if result.get("as_of") != body["as_of"]:
        problems.append("result.as_of differs from as_of")
    return problems


def check_record(record: EvaluationRecord, *, content: bool = True) -> list[str]:
    """Everything that does not match in a record: body hash, decision id, body, and (unless
    ``content`` is False, for a ledger that already holds that content) the content's hash."""
    problems: list[str] = []
    try:
        digest = sha256_hex(canonical_text(record.body))
    except TypeError as exc:
        return [f"the body is not JSON data: {exc}"]
    if digest != record.record_sha256:
        problems.append("the body does not match record_sha256 (content changed)")
    if record.decision_id != decision_id_for(record.record_sha256):
        problems.append("decision_id is not the first 32 hex digits of record_sha256")
    if content and isinstance(record.body.get("standard"), Mapping):
        if content_sha256(record) != record.body["standard"].get("sha256"):
            problems.append("the standard content does not match standard.sha256")
    problems.extend(check_body(record.body))
    return problems


def content_sha256(record: EvaluationRecord) -> str:
    try:
        return sha256_hex(content_json(record.standard_content))
    except TypeError as exc:
        return f"unserialisable ({exc})"


# --- files -----------------------------------------------------------------------------------


def from_file_data(data: Any, *, file: str = "<record>") -> EvaluationRecord:
    """A record from a parsed record file; its hashes are checked, a mismatch raises."""
    if not isinstance(data, Mapping):
        raise RecordError("a record file must be a JSON object", file=file)
    unknown = sorted(set(data) - set(FILE_KEYS))
    if unknown:
        raise RecordError(f"unknown key {unknown[0]!r}", file=file, hint="expected " + ", ".join(FILE_KEYS))
    for key in ("body", "created_at", "decision_id", "record_sha256", "standard_content"):
        if key not in data:
            raise RecordError("required key missing", file=file, path=key)
    for key in ("body", "standard_content"):
        if not isinstance(data[key], Mapping):
            raise RecordError("expected an object", file=file, path=key)
    for key in ("created_at", "decision_id", "record_sha256"):
        if not isinstance(data[key], str):
            raise RecordError("expected text", file=file, path=key)
    record = EvaluationRecord(
        body=data["body"],
        standard_content=data["standard_content"],
        created_at=data["created_at"],
        body_text=canonical_text(data["body"]),
        record_sha256=data["record_sha256"],
        decision_id=data["decision_id"],
        ledger=data.get("ledger"),
    )
    problems = check_record(record)
    if problems:
        raise RecordError("the record does not verify: " + "; ".join(problems), file=file,
                          hint="a record file must not be edited; take it again from the ledger")
    return record


def read_record_file(path: str | Path) -> EvaluationRecord:
    path = Path(path)
    text = read_input_text(path, what="record", error=RecordError)  # regular, ≤ 64 MiB, UTF-8
    return from_file_data(parse_json(text, file=str(path)), file=str(path))


def parse_json(text: str, *, file: str) -> Any:
    """JSON with every non-integer number as ``Decimal`` (never a binary float)."""
    try:
        return exact_json(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"malformed JSON: {exc.msg}", file=file, line=exc.lineno) from None
    except InputTextError as exc:  # duplicate key, lone surrogate, nesting too deep
        raise RecordError(exc.message, file=file, path=exc.path, line=exc.line) from None
    except ValueError as exc:
        raise RecordError(str(exc), file=file) from None


def pretty_json(data: Any, indent: int = 1) -> str:
    """Sorted JSON with one entry per line; decimals written exactly as :func:`content_json` does."""
    return "".join(_pretty(data, 0, indent))


def _pretty(data: Any, depth: int, indent: int) -> Iterator[str]:
    pad, inner = " " * (depth * indent), " " * ((depth + 1) * indent)
    if isinstance(data, Mapping) and data:
        yield "{\n"
        items = sorted(data.items())
        for index, (key, value) in enumerate(items):
            yield inner + json.dumps(str(key), ensure_ascii=False) + ": "
            yield from _pretty(value, depth + 1, indent)
            yield ",\n" if index < len(items) - 1 else "\n"
        yield pad + "}"
    elif isinstance(data, (list, tuple)) and data:
        yield "[\n"
        for index, value in enumerate(data):
            yield inner
            yield from _pretty(value, depth + 1, indent)
            yield ",\n" if index < len(data) - 1 else "\n"
        yield pad + "]"
    else:
        yield content_json(data)
