"""County submissions: read from TOML or JSON, checked against the vocabulary, made canonical.

A submission has a header (``[county]``, ``[evaluation]``), county-level inputs (``[data]``),
and unit records (``[[schools]]``, ``[[townships]]``). Numbers are parsed from their text straight
to ``Decimal``; nested tables flatten to dotted names (``students.primary``). Units are kept sorted
by id, so the order a county lists its schools in never changes a result.

Evidence (``[[evidence]]``, 佐证资料) names supporting files by name and sha256, each for an input
(``data.x``, ``schools.<id>`` or ``schools.<id>.<field>``) or an indicator id. The kernel never
reads those files; the references are part of the canonical submission only when given, so a
submission without evidence keeps its bytes and its hash.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import attrs

from ..errors import KernelError, SubmissionError
from .files import read_input_text
from .formats import canonical_json, canonical_rows, load_text, sha256_text, string_json as _string
from .locate import locate_line
from .numbers import canonical
from .segments import SEGMENTS
from .vocabulary import coerce, lookup, plain, plain_column, suggest, vocabulary

_STUDENT_FIELDS = tuple(f"students.{s}" for s in SEGMENTS)
_BY_ID = operator.attrgetter("id")
STAGES = ("self", "municipal_review", "provincial", "national")
HEADER_KEYS = {
    "county": {"code", "name", "province"},
    "evaluation": {"as_of", "stage", "evaluator", "standard"},
}
TOP_KEYS = {"format", "county", "evaluation", "data", "schools", "townships", "evidence"}
EVIDENCE_KEYS = {"for", "name", "sha256", "note"}
SHA256 = re.compile(r"[0-9a-fA-F]{64}")
INDICATOR_ID = re.compile(r"[a-z][a-z0-9_]*")
#: What ``format`` may say, when a submission gives it: this version of the submission format.
FORMATS = (1, "standards-kernel/submission@1")
#: A standard a submission names: ``id`` or ``id@edition``, never a file (paths come from the
#: command line only, so a submission cannot make the kernel open ``/dev/zero`` or ``../x.toml``).
STANDARD_REF = re.compile(r"[a-z][a-z0-9_]*\.[a-z0-9][a-z0-9_-]*(@[A-Za-z0-9][A-Za-z0-9._-]*)?")
Value = Decimal | int | bool | str


@attrs.frozen
class Unit:
    """A school or township record: its id and its values by vocabulary name."""

    id: str
    values: Mapping[str, Value]
    index: int  # position in the file, for error messages


@attrs.frozen
class Evidence:
    """A reference to a supporting file (佐证资料): what it is for, its name and sha256, a note.

    ``target`` is an input path (``data.x``, ``schools.<id>[.<field>]``, ``townships.…``) or an
    indicator id; the file itself is never opened by the kernel."""

    target: str
    name: str
    sha256: str  # lower-case hex
    note: str | None = None
    index: int = attrs.field(default=0, eq=False)  # position in the file, for error messages

    @property
    def indicator(self) -> bool:
        return self.target.split(".", 1)[0] not in ("data", "schools", "townships")

    def canonical(self) -> dict[str, str]:
        entry = {"for": self.target, "name": self.name, "sha256": self.sha256}
        return entry | ({"note": self.note} if self.note is not None else {})


@attrs.frozen
class Submission:
    county: Mapping[str, str]
    as_of: dt.date | None
    stage: str | None
    evaluator: str | None
    standard: str | None
    data: Mapping[str, Value]
    schools: tuple[Unit, ...]
    townships: tuple[Unit, ...]
    file: str = ""
    evidence: tuple[Evidence, ...] = ()
    #: the hash, once computed: a submission is frozen, so its canonical text never changes
    _sha256: list[str] = attrs.field(factory=list, init=False, eq=False, repr=False)

    def canonical(self) -> dict[str, Any]:
        """The submission as canonical JSON data: sorted, decimals as text, units by id."""
        found = {
            "county": dict(sorted(self.county.items())),
            "data": _canonical_values(self.data),
            "evaluation": self._evaluation(),
            "schools": [{"id": u.id, **_canonical_values(u.values)} for u in self.schools],
            "townships": [{"id": u.id, **_canonical_values(u.values)} for u in self.townships],
        }
        if self.evidence:  # only when given: a submission without evidence keeps its hash
            found["evidence"] = [e.canonical() for e in self.evidence]
        return found

    def _evaluation(self) -> dict[str, str]:
        evaluation = {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "evaluator": self.evaluator,
            "stage": self.stage,
            "standard": self.standard,
        }
        return {k: v for k, v in evaluation.items() if v is not None}

    def canonical_text(self) -> str:
        """``canonical_json(self.canonical())``, the text the hash is of, written straight from
        the values (a column at a time: formats.canonical_rows) rather than through a dict per
        unit and ``json.dumps``. Whatever that road does not write (a value of another type, a
        NaN, a name that is not text), the general one writes, or refuses as it always has."""
        try:
            text = self._straight_text()
        except Exception:  # noqa: BLE001 - the general path below gives the text or the error
            text = None
        return text if text is not None else canonical_json(self.canonical())

    def _straight_text(self) -> str | None:
        data = canonical_rows([self.data])
        schools = canonical_rows([u.values for u in self.schools], [u.id for u in self.schools])
        townships = canonical_rows([u.values for u in self.townships], [u.id for u in self.townships])
        if data is None or schools is None or townships is None:
            return None
        # (a name or value that is not text fails string_json: the general path writes it)
        county = ",".join(f"{_string(k)}:{_string(v)}" for k, v in sorted(self.county.items()))
        evaluation = ",".join(f"{_string(k)}:{_string(v)}" for k, v in self._evaluation().items())
        evidence = f',"evidence":{canonical_json([e.canonical() for e in self.evidence])}' if self.evidence else ""
        return (f'{{"county":{{{county}}},"data":{data[0]},"evaluation":{{{evaluation}}}{evidence},'
                f'"schools":[{",".join(schools)}],"townships":[{",".join(townships)}]}}')

    @property
    def sha256(self) -> str:
        if not self._sha256:
            self._sha256.append(sha256_text(self.canonical_text()))
        return self._sha256[0]


def _canonical_values(values: Mapping[str, Value]) -> dict[str, Any]:
    # On the hash of every submission: names sorted alone (cheaper than sorting the items), and
    # _canonical_value inlined for the exact types of nearly every value
    found: dict[str, Any] = {}
    for name in sorted(values):
        value = values[name]
        kind = type(value)
        if name == "id":
            continue
        if kind is str:
            found[name] = value
        elif kind is int:
            found[name] = str(value)
        else:
            found[name] = canonical(value) if kind is Decimal else _canonical_value(value)  # type: ignore[arg-type]
    return found


def _canonical_value(value: Value) -> Any:
    kind = type(value)  # exact types first (the hash of every submission passes here)
    if kind is int:
        return str(value)
    if kind is str or kind is bool or isinstance(value, (bool, str)):
        return value
    return canonical(value)  # type: ignore[arg-type]


# --- reading -------------------------------------------------------------------------------


def read_submission(path: str | Path) -> Submission:
    """Read a submission file (``.toml`` or ``.json``); errors name the file and line.

    Read through the bounded reader: a regular UTF-8 file of at most 64 MiB
    (:data:`~standards_kernel.kernel.files.MAX_INPUT_BYTES`)."""
    path = Path(path)
    text = read_input_text(path, what="submission", error=SubmissionError)
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    return parse_submission(text, fmt=fmt, file=str(path))


def parse_submission(text: str, *, fmt: str = "toml", file: str = "<submission>") -> Submission:
    raw = load_text(text, fmt=fmt, file=file, error=SubmissionError)
    try:
        return submission_from_data(raw, file=file)
    except KernelError as error:
        line = locate_line(text, error.path or "") if fmt == "toml" else None
        raise error.located(file=file, line=line) from None


def submission_from_data(raw: Mapping[str, Any], *, file: str = "<submission>") -> Submission:
    """Build a checked :class:`Submission` from parsed data (a dict from TOML, JSON or the API)."""
    if not isinstance(raw, Mapping):
        raise SubmissionError("a submission must be a table/object", file=file)
    for key in raw:
        if key not in TOP_KEYS:
            raise SubmissionError(
                f"unknown top-level key {key!r}", path=key, hint="expected " + ", ".join(sorted(TOP_KEYS))
            )
    if "format" in raw:
        _format(raw["format"])
    county = _header(raw, "county")
    evaluation = _header(raw, "evaluation")
    _standard_ref(evaluation.get("standard"))
    as_of = _date(evaluation.get("as_of"), "evaluation.as_of")
    stage = evaluation.get("stage")
    if stage is not None and stage not in STAGES:
        raise SubmissionError(
            f"unknown stage {stage!r}", path="evaluation.stage", hint="one of " + ", ".join(STAGES)
        )
    data = _values(_table(raw.get("data", {}), "data"), "county", "data")
    townships = _units(raw.get("townships", []), "township", "townships")
    schools = _units(raw.get("schools", []), "school", "schools")
    known_townships = {u.id for u in townships}
    for school in schools:
        if not any(map(school.values.get, _STUDENT_FIELDS)):
            raise SubmissionError(
                f"school {school.id!r} has no students",
                path=f"schools[{school.index}].students",
                hint="give students.primary / students.junior; a closed school is left out",
            )
        township = school.values.get("township")
        if township is not None and known_townships and township not in known_townships:
            raise SubmissionError(
                f"school {school.id!r} names township {township!r}, which has no record",
                path=f"schools[{school.index}].township",
            )
    evidence = _evidence(raw.get("evidence", []), data, schools, townships)
    return Submission(
        county={k: str(v) for k, v in county.items()},
        as_of=as_of,
        stage=stage,
        evaluator=evaluation.get("evaluator"),
        standard=evaluation.get("standard"),
        data=data,
        schools=tuple(sorted(schools, key=_BY_ID)),
        townships=tuple(sorted(townships, key=_BY_ID)),
        file=file,
        evidence=evidence,
    )


def _evidence(items: Any, data: Mapping[str, Value], schools: list[Unit],
              townships: list[Unit]) -> tuple[Evidence, ...]:
    """The ``[[evidence]]`` entries, checked: known keys, a target the submission has, a sha256
    of 64 hex digits, no entry twice; sorted by target and name, as units are by id."""
    if not isinstance(items, list):
        raise SubmissionError("expected a list of evidence entries ([[evidence]])", path="evidence")
    if not items:  # nearly every submission: no index of its units to build
        return ()
    units = {"schools": {u.id: u for u in schools}, "townships": {u.id: u for u in townships}}
    found: list[Evidence] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        place = f"evidence[{index}]"
        entry = _table(item, place)
        for key in entry:
            if key not in EVIDENCE_KEYS:
                raise SubmissionError(f"unknown key {key!r} in an evidence entry", path=f"{place}.{key}",
                                      hint="expected " + ", ".join(sorted(EVIDENCE_KEYS)))
        for key in ("for", "name", "sha256", "note"):
            value = entry.get(key)
            if key != "note" and value is None:
                raise SubmissionError(f"an evidence entry needs {key!r}", path=f"{place}.{key}",
                                      hint='e.g. for = "data.x" (or an indicator id), name = "file.pdf", '
                                      "sha256 = 64 hex digits of the file")
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise SubmissionError(f"expected text, got {value!r}", path=f"{place}.{key}")
        if not SHA256.fullmatch(entry["sha256"]):
            raise SubmissionError(f"sha256 must be 64 hex digits, got {entry['sha256']!r}",
                                  path=f"{place}.sha256", hint="the sha256 of the file, e.g. from `sha256sum FILE`")
        _evidence_target(entry["for"], data, units, f"{place}.for")
        pair = (entry["for"], entry["name"])
        if pair in seen:
            raise SubmissionError(f"evidence {entry['name']!r} for {entry['for']!r} is given twice "
                                  f"(also evidence[{seen[pair]}])", path=f"{place}.name")
        seen[pair] = index
        found.append(Evidence(entry["for"], entry["name"], entry["sha256"].lower(), entry.get("note"), index))
    return tuple(sorted(found, key=lambda e: (e.target, e.name)))


def _evidence_target(target: str, data: Mapping[str, Value], units: Mapping[str, Mapping[str, Unit]],
                     where: str) -> None:
    """An input the submission gives, a unit it has (or one of its fields), or an indicator id
    (which standard has it is checked with the standard, in kernel.completeness)."""
    head, _, rest = target.partition(".")
    if head == "data":
        if rest not in data:
            raise SubmissionError(f"evidence for {target!r}: the submission gives no data field {rest!r}",
                                  path=where, hint="name a field of [data] (data.NAME), a unit or an indicator id")
        return
    if head in units:
        for uid, unit in units[head].items():
            if rest == uid or (rest.startswith(uid + ".") and rest[len(uid) + 1:] in unit.values):
                return
        raise SubmissionError(f"evidence for {target!r}: no such record or field in [[{head}]]", path=where,
                              hint=f"{head}.ID or {head}.ID.FIELD, with an id and a field the submission gives")
    if not INDICATOR_ID.fullmatch(target):
        raise SubmissionError(f"evidence for {target!r}: not an input path or an indicator id", path=where,
                              hint="data.NAME, schools.ID[.FIELD], townships.ID[.FIELD] or an indicator id")


def _header(raw: Mapping[str, Any], name: str) -> dict[str, Any]:
    table = _table(raw.get(name, {}), name)
    for key, value in table.items():
        if key not in HEADER_KEYS[name]:
            raise SubmissionError(
                f"unknown key {key!r} in [{name}]",
                path=f"{name}.{key}",
                hint="expected " + ", ".join(sorted(HEADER_KEYS[name]))
                + ("; county-level inputs go in [data]" if name == "county" else ""),
            )
        if key != "as_of" and not isinstance(value, str):
            raise SubmissionError(f"expected text, got {value!r}", path=f"{name}.{key}")
    return table


def _format(value: Any) -> None:
    if isinstance(value, bool) or value not in FORMATS or type(value) not in (int, str):
        raise SubmissionError(f"unknown submission format {value!r}", path="format",
                              hint="this kernel reads format = 1 (or leave format out)")


def _standard_ref(ref: Any) -> None:
    """``evaluation.standard`` names a standard by id, never a file."""
    if ref is None:
        return
    if not STANDARD_REF.fullmatch(ref) or ref.lower().endswith((".toml", ".json")):
        raise SubmissionError(
            f"evaluation.standard must be a standard id (id or id@edition), got {ref!r}",
            path="evaluation.standard",
            hint="a standard file is named on the command line (--standard PATH), never by the submission",
        )


def _table(value: Any, where: str) -> dict[str, Any]:
    if type(value) is not dict and not isinstance(value, Mapping):
        raise SubmissionError(f"expected a table/object, got {type(value).__name__}", path=where)
    return dict(value)


def _date(value: Any, where: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise SubmissionError(f"expected a date YYYY-MM-DD, got {value!r}", path=where)


#: Types that are never tables: tested first, so that the (slow) ``Mapping`` test runs only for
#: the rare value of another type.
_SCALARS = frozenset((str, int, bool, Decimal, float, list, dt.date, dt.datetime, type(None)))
_TEXT = frozenset((str,))
_DICT = frozenset((dict,))
_UNTYPED = frozenset((bool, str, int, Decimal))


def flatten(table: Mapping[str, Any], where: str, prefix: str = "") -> dict[str, Any]:
    """Nested tables to dotted names: ``{"students": {"primary": 3}}`` → ``students.primary``."""
    if not prefix and _SCALARS.issuperset(map(type, table.values())) and _TEXT.issuperset(map(type, table)):
        return dict(table)  # flat already (as JSON gives a school): the same names, two tests in C
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        kind = type(value)
        if kind is dict or (kind not in _SCALARS and isinstance(value, Mapping)):
            for inner, item in flatten(value, where, prefix=name + ".").items():
                if inner in flat:
                    raise SubmissionError(f"{inner!r} is given twice", path=f"{where}.{inner}")
                flat[inner] = item
        elif name in flat:
            raise SubmissionError(f"{name!r} is given twice", path=f"{where}.{name}")
        else:
            flat[name] = value
    return flat


def _values(table: Mapping[str, Any], level: str, where: str) -> dict[str, Value]:
    values: dict[str, Value] = {}
    specs = vocabulary()[level]  # exact names first, as lookup() does, without a call per value
    for name, value in flatten(table, where).items():
        spec = specs.get(name)
        if spec is None:
            spec = lookup(level, name)
        if spec is not None:
            found = plain(spec, value)  # the common valid value, before building the error path
            values[name] = found if found is not None else coerce(spec, value, where=f"{where}.{name}")
        elif _is_jurisdiction_name(name):
            # A standard's own input (``yunnan.x``): typed and checked by that standard.
            values[name] = _untyped(value, f"{where}.{name}")
        else:
            raise SubmissionError(
                f"unknown {level}-level field {name!r}", path=f"{where}.{name}", hint=suggest(level, name)
            )
    return values


def _is_jurisdiction_name(name: str) -> bool:
    return "." in name and name.split(".", 1)[0] not in _known_heads()


@functools.cache
def _known_heads() -> frozenset[str]:
    """The first parts of every vocabulary name (``students`` of ``students.primary``)."""
    return frozenset(n.split(".", 1)[0] for level in vocabulary().values() for n in level)


def _untyped(value: Any, where: str) -> Value:
    if isinstance(value, (bool, str, int, Decimal)):
        if isinstance(value, Decimal) and not value.is_finite():
            raise SubmissionError(f"expected a finite number, got {value}", path=where)
        return value
    raise SubmissionError(f"expected a number, text or true/false, got {value!r}", path=where)


def _units(items: Any, level: str, where: str) -> list[Unit]:
    if not isinstance(items, list):
        raise SubmissionError(f"expected a list of {where}", path=where)
    plainly = _plain_units(items, level)
    return plainly if plainly is not None else _record_units(items, level, where)


def _record_units(items: list[Any], level: str, where: str) -> list[Unit]:
    """Unit records one at a time: what :func:`_plain_units` must agree with, and what names the
    record and field of every error."""
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        place = f"{where}[{index}]"
        record = _table(item, place)
        unit_id = record.get("id")
        if not isinstance(unit_id, str) or not unit_id.strip():
            raise SubmissionError(f"every record in {where} needs a text id", path=f"{place}.id")
        if unit_id in seen:
            raise SubmissionError(
                f"duplicate {level} id {unit_id!r} (also {where}[{seen[unit_id]}])", path=f"{place}.id"
            )
        seen[unit_id] = index
        units.append(Unit(id=unit_id, values=_values(record, level, place), index=index))
    return units


def _plain_units(items: list[Any], level: str) -> list[Unit] | None:
    """What :func:`_units` gives, when every record is plainly valid (a flat table with a
    unique text id, every name known, every value plain): checked a column at a time, a name
    across every record that has it (one spec, a few calls: vocabulary.plain_column), rather
    than value by value. None when anything is not: the record-by-record road then says what,
    naming the first record and field as it always has."""
    if not _DICT.issuperset(map(type, items)):
        return None
    ids = [record.get("id") for record in items]
    if not _TEXT.issuperset(map(type, ids)) or len(set(ids)) != len(ids) or not all(map(str.strip, ids)):
        return None
    shapes = set(map(tuple, items))
    names = set().union(*shapes)
    if not _TEXT.issuperset(map(type, names)):
        return None
    vocabulary_specs = vocabulary()[level]
    specs = {name: vocabulary_specs.get(name) or lookup(level, name) for name in names}
    if any(spec is None and not _is_jurisdiction_name(name) for name, spec in specs.items()):
        return None  # an unknown name, or a nested table (TOML's students = {...}): before any column
    everywhere = names.intersection(*shapes)
    records = list(map(dict, items))  # each unit's values, in its own order, as flatten() copies them
    for name, spec in specs.items():
        if name in everywhere:
            column = list(map(operator.itemgetter(name), items))
        else:
            column = [record[name] for record in items if name in record]
        if spec is not None:
            found = plain_column(spec, column)
        elif _UNTYPED.issuperset(map(type, column)) and all(
                value.is_finite() for value in column if type(value) is Decimal):
            found = column  # a standard's own input, kept as _untyped() keeps it
        else:
            return None
        if found is None:
            return None
        if found is not column:  # values made exact (an int amount as a Decimal): in their places
            having = records if name in everywhere else [record for record in records if name in record]
            for record, value in zip(having, found):
                record[name] = value
    return [Unit(id=uid, values=record, index=index) for index, (uid, record) in enumerate(zip(ids, records))]
