"""Batch evaluation: many county submissions under one standard, into one NDJSON results file.

Inputs (in the order given; see docs/batch.md): a directory of submission files (``*.toml``,
``*.json``, recursively, sorted by path), a single submission file, an NDJSON file (one JSON
submission per line), or CSV tables (a schools table with a ``county`` column, optionally a
``*.counties.csv`` and a ``*.townships.csv``), merged by county code.

The results file has one line per input, in input order::

    {"index":0,"input":"subs/a.toml","input_sha256":"…","ok":true,"result":{…}}
    {"error":{"error":"SubmissionError","file":"subs/b.toml","line":12,…},"index":1,…,"ok":false}

``result`` is, byte for byte, what ``standards-kernel evaluate --format json`` prints for that
input (it is the last key, so the line ends with it). ``decision_id`` is added when the batch
records to the ledger. Lines carry no timings, so a parallel run writes the same bytes as a
sequential one.

Robustness: one bad input becomes an error line and the batch goes on. Lines are appended whole
and flushed one by one, fsynced after each chunk; an interrupted batch (SIGINT, SIGTERM) stops
after the chunk in hand and leaves a valid prefix. Run again with the same arguments, it resumes:
a torn last line (a crash mid-write) is cut off, every finished line is checked against its input
(position and sha256 of the input's bytes) and skipped. With ``--record``, a chunk's decisions
are in the ledger before its lines are written, and the ledger keeps one row per decision id, so
redoing a chunk after an interruption never records a decision twice.
"""

from __future__ import annotations

import concurrent.futures as futures
import csv
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import signal
import threading
import time
import unicodedata
from collections import Counter, deque
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import attrs

from ..errors import KernelError, SubmissionError
from ..kernel.evaluate import evaluate
from ..kernel.formats import canonical_json, load_text
from ..kernel.locate import locate_line
from ..kernel.model import Standard
from ..audit.decision import to_canonical
from ..kernel.submission import HEADER_KEYS, submission_from_data
from ..intake.tables import FALSE_WORDS, THOUSANDS, TRUE_WORDS, header_names
from ..kernel.vocabulary import lookup as vocabulary_lookup

SUBMISSION_SUFFIXES = (".toml", ".json")
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
CSV_KINDS = {".counties.csv": "counties", ".townships.csv": "townships", ".schools.csv": "schools"}
MAX_CHUNK = 32
POLL_SECONDS = 0.1


class BatchError(KernelError):
    """The batch cannot go on: unreadable inputs, a results file of another batch, a ledger failure."""


# --- inputs -----------------------------------------------------------------------------------


@attrs.frozen
class Item:
    """One input as it travels to a worker: where it came from and its text (or a found problem)."""

    index: int
    label: str  # what results and messages call it: path, path:line, path#county=code
    fmt: str  # toml | json | ndjson | csv | error
    text: str  # the input's text; for ``error``, the JSON of the error
    sha256: str  # of the input's bytes (a CSV county: of its assembled canonical JSON)
    file: str
    line: int | None = None
    locations: tuple[tuple[str, str, int], ...] = ()  # CSV: (place, file, line), place e.g. schools[3]
    county: str = ""  # the county code when known before parsing (CSV)


class _Source:
    count: int

    def items(self, start: int) -> Iterator[Item]:  # pragma: no cover - interface
        raise NotImplementedError


class _FileSource(_Source):
    def __init__(self, path: Path, label: str) -> None:
        self.path, self.label, self.count = path, label, 1

    def items(self, start: int) -> Iterator[Item]:
        fmt = "json" if self.path.suffix.lower() == ".json" else "toml"
        try:
            data = self.path.read_bytes()
        except OSError as error:  # one unreadable file is one failed input, not a failed batch
            problem = SubmissionError(f"cannot read the submission: {error.strerror}", file=self.label)
            yield _error_item(start, self.label, hashlib.sha256(b"").hexdigest(), problem)
            return
        sha = hashlib.sha256(data).hexdigest()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            yield _error_item(start, self.label, sha, SubmissionError("the submission is not UTF-8 text", file=self.label))
            return
        yield Item(start, self.label, fmt, text, sha, self.label)


class _NdjsonSource(_Source):
    def __init__(self, path: Path, label: str) -> None:
        self.path, self.label = path, label
        try:
            with path.open("rb") as stream:
                self.count = sum(1 for raw in stream if raw.strip())
        except OSError as error:
            raise BatchError(f"cannot read the input: {error.strerror}", file=label) from None

    def items(self, start: int) -> Iterator[Item]:
        index = start
        with self.path.open("rb") as stream:
            for number, raw in enumerate(stream, 1):
                if not raw.strip():
                    continue
                body = raw.rstrip(b"\r\n")
                sha = hashlib.sha256(body).hexdigest()
                label = f"{self.label}:{number}"
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    error = SubmissionError("the line is not UTF-8 text", file=self.label, line=number)
                    yield _error_item(index, label, sha, error)
                else:
                    yield Item(index, label, "ndjson", text, sha, self.label, number)
                index += 1


def _error_item(index: int, label: str, sha: str, error: KernelError, county: str = "") -> Item:
    return Item(index, label, "error", canonical_json(error.to_dict()), sha, error.file or label, error.line,
                county=county)


# --- CSV tables -------------------------------------------------------------------------------


@attrs.define
class _CsvCounty:
    code: str
    raw: dict[str, Any]
    first: tuple[str, int]
    locations: list[tuple[str, str, int]] = attrs.Factory(list)
    problem: KernelError | None = None


class _CsvSource(_Source):
    """Schools, counties and townships tables, merged by the ``county`` column."""

    def __init__(self, paths: list[tuple[Path, str]]) -> None:
        self.counties: dict[str, _CsvCounty] = {}
        self.orphans: list[Item] = []  # rows that name no county: each an error of its own
        for path, label in paths:
            self._read(path, label)
        self.count = len(self.counties) + len(self.orphans)

    def items(self, start: int) -> Iterator[Item]:
        index = start
        for county in self.counties.values():
            text = canonical_json(county.raw)
            sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
            file, line = county.first
            label = f"{file}#county={county.code}"
            if county.problem is not None:
                yield _error_item(index, label, sha, county.problem, county.code)
            else:
                yield Item(index, label, "csv", text, sha, file, line, tuple(county.locations), county.code)
            index += 1
        for orphan in self.orphans:
            yield attrs.evolve(orphan, index=index)
            index += 1

    def _read(self, path: Path, label: str) -> None:
        name = path.name.lower()
        kind = next((k for suffix, k in CSV_KINDS.items() if name.endswith(suffix)), "schools")
        level = {"schools": "school", "townships": "township", "counties": "county"}[kind]
        try:
            stream = path.open(encoding="utf-8-sig", newline="")
        except OSError as error:
            raise BatchError(f"cannot read the input: {error.strerror}", file=label) from None
        with stream:
            reader = csv.reader(stream)
            try:
                header = [cell.strip() for cell in next(reader, [])]
            except (csv.Error, UnicodeDecodeError) as error:
                raise BatchError(f"unreadable CSV header: {error}", file=label, line=1) from None
            header = _columns(header, level, label)
            code_at = header.index("county")
            previous = reader.line_num
            while True:
                line = previous + 1
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except (csv.Error, UnicodeDecodeError) as error:
                    raise BatchError(f"unreadable CSV row: {error}", file=label, line=line) from None
                previous = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                self._row(kind, level, header, code_at, row, label, line)

    def _row(self, kind: str, level: str, header: list[str], code_at: int, row: list[str], file: str, line: int) -> None:
        code = row[code_at].strip() if code_at < len(row) else ""
        if not code:
            error = SubmissionError("the row has no county code", file=file, line=line, path="county")
            text = canonical_json(row)
            self.orphans.append(_error_item(0, f"{file}:{line}", hashlib.sha256(text.encode()).hexdigest(), error))
            return
        county = self.counties.get(code)
        if county is None:
            county = self.counties[code] = _CsvCounty(code, {"county": {"code": code}}, (file, line))
        if county.problem is not None:
            return
        if len(row) != len(header):
            county.problem = SubmissionError(
                f"the row has {len(row)} cells, the header {len(header)}", file=file, line=line)
            return
        record: dict[str, Any] = {}
        for name, cell in zip(header, row):
            value = cell.strip()
            if name == "county" or value == "":
                continue
            table, _, key = name.partition(".")
            if table in HEADER_KEYS and key in HEADER_KEYS[table]:
                section = county.raw.setdefault(table, {})
                if section.get(key, value) != value:
                    county.problem = SubmissionError(
                        f"{name} is {value!r} here but {section[key]!r} on an earlier row of county {code}",
                        file=file, line=line, path=name)
                    return
                section[key] = value
            else:
                record[name] = _cell(level, name, value)
        if kind == "counties":
            data = county.raw.setdefault("data", {})
            for name, value in record.items():
                if data.get(name, value) != value:
                    county.problem = SubmissionError(
                        f"{name} is given twice for county {code} with different values", file=file, line=line,
                        path=f"data.{name}")
                    return
                data[name] = value
            county.locations.append(("data", file, line))
        elif record:
            units = county.raw.setdefault(kind, [])
            county.locations.append((f"{kind}[{len(units)}]", file, line))
            units.append(record)


def _columns(header: list[str], level: str, file: str) -> list[str]:
    """The field each column holds. A column is named by the vocabulary name (``books``) or, as in
    a statistics export, by its label (图书册数, "books"), as :mod:`standards_kernel.intake.tables` reads
    them; ``county`` and the header keys (``county.name``, ``evaluation.as_of`` …) by their names."""
    labels = header_names(level)
    names: list[str] = []
    for position, text in enumerate(header):
        if not text:
            raise BatchError(f"column {position + 1} has no name", file=file, line=1)
        table, _, key = text.partition(".")
        if text == "county" or (table in HEADER_KEYS and key in HEADER_KEYS[table]):
            name = text
        else:
            found = labels.get(_normal(text), "")
            if found is None:
                raise BatchError(f"column {position + 1} ({text!r}) is the label of several fields", file=file,
                                 line=1, hint="name the column by its vocabulary name instead")
            name = found or text  # not in the vocabulary: a standard's own input, or an error later
        if name in names:
            raise BatchError(f"column {text!r} appears twice" + (f" (as {name!r})" if name != text else ""),
                             file=file, line=1)
        names.append(name)
    if "county" not in names:
        raise BatchError("the CSV table has no 'county' column", file=file, line=1,
                         hint="every table needs the county code of each row; see docs/batch.md")
    return names


def _normal(text: str) -> str:
    """The key :func:`standards_kernel.intake.tables.header_names` files labels under."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _cell(level: str, name: str, text: str) -> Any:
    """A CSV cell for ``submission_from_data``: yes/no words (true, 是, √ …) as booleans, numbers
    with thousands separators without them, everything else as written (the vocabulary parses
    numbers from their text, exactly)."""
    spec = vocabulary_lookup(level, name)
    word = _normal(text)
    if spec is None or spec.type == "bool" or (spec.type == "fact" and not text.isdigit()):
        if word in TRUE_WORDS - {"1"} or (spec is not None and word == "1"):
            return True
        if word in FALSE_WORDS - {"0"} or (spec is not None and word == "0"):
            return False
    if spec is not None and spec.type not in ("text", "bool") and THOUSANDS.fullmatch(text):
        return text.replace(",", "")
    return text


# --- planning the inputs --------------------------------------------------------------------------


@attrs.frozen
class InputPlan:
    sources: tuple[_Source, ...]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sources)

    def items(self) -> Iterator[Item]:
        index = 0
        for source in self.sources:
            for item in source.items(index):
                yield item
            index += source.count


def plan_inputs(paths: Sequence[str]) -> InputPlan:
    """The inputs named on the command line, in order; CSV tables are merged into one source at
    the place of the first. Unreadable or unknown paths raise :class:`BatchError`."""
    sources: list[_Source] = []
    tables: list[tuple[Path, str]] = []
    csv_at: int | None = None
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(
                (p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUBMISSION_SUFFIXES
                 and not any(part.startswith(".") for part in p.relative_to(path).parts)),
                key=lambda p: p.relative_to(path).as_posix(),
            )
            if not files:
                raise BatchError("no submission files (*.toml, *.json) in the directory", file=given)
            sources.extend(_FileSource(p, str(p)) for p in files)
        elif path.is_file():
            suffix = path.suffix.lower()
            if suffix in NDJSON_SUFFIXES:
                sources.append(_NdjsonSource(path, given))
            elif suffix == ".csv":
                if csv_at is None:
                    csv_at = len(sources)
                    sources.append(_Source())  # placeholder, replaced below
                tables.append((path, given))
            elif suffix in SUBMISSION_SUFFIXES:
                sources.append(_FileSource(path, given))
            else:
                raise BatchError("unknown kind of input", file=given,
                                 hint="a directory, a .toml/.json submission, an .ndjson file or .csv tables")
        else:
            raise BatchError("no such file or directory", file=given)
    if csv_at is not None:
        sources[csv_at] = _CsvSource(tables)
    return InputPlan(tuple(sources))


# --- evaluating (in a worker process, or in this one) --------------------------------------------


@attrs.frozen
class Config:
    standard: str | None  # as given: id, id@edition or a path; None: each submission's own
    as_of: dt.date | None
    record: bool = False
    ledger: str | None = None


@attrs.frozen
class CountyInfo:
    """What the summary and ``compare`` need from one results line."""

    ok: bool
    input: str
    code: str = ""
    name: str = ""
    standard: str = ""
    grade: str = ""
    score: str = ""
    grades: tuple[str, ...] = ()  # best first
    vetoes: tuple[str, ...] = ()  # triggered
    gates: tuple[str, ...] = ()  # failed
    labels: Mapping[str, str] = attrs.Factory(dict)  # rule id → label (zh / en) of those above
    error: str = ""


@attrs.frozen
class Outcome:
    index: int
    line: str
    seconds: float
    info: CountyInfo


def info_from_line(data: Mapping[str, Any]) -> CountyInfo:
    """The summary facts of one parsed results line (ok or failed)."""
    label = str(data.get("input", ""))
    if not data.get("ok"):
        error = data.get("error") or {}
        county = data.get("county") or {}
        return CountyInfo(False, label, code=str(county.get("code", "")), name=str(county.get("name", "")),
                          error=_render_error(error))
    return info_from_result(label, data["result"])


def info_from_result(label: str, result: Mapping[str, Any]) -> CountyInfo:
    county = result.get("county") or {}
    std = result.get("standard") or {}
    vetoes = {k: v for k, v in (result.get("vetoes") or {}).items() if v.get("triggered")}
    gates = {k: v for k, v in (result.get("gates") or {}).items() if v.get("failed")}
    labels = {k: _label(v.get("label")) for k, v in {**vetoes, **gates}.items()}
    return CountyInfo(
        True, label, code=str(county.get("code", "")), name=str(county.get("name", "")),
        standard=f"{std.get('id')}@{std.get('edition')}", grade=str(result.get("grade", "")),
        score=str(result.get("score", "")), grades=tuple(g["id"] for g in result.get("grades", ())),
        vetoes=tuple(sorted(vetoes)), gates=tuple(sorted(gates)), labels=labels,
    )


def _label(label: Any) -> str:
    if isinstance(label, Mapping):
        zh, en = label.get("zh", ""), label.get("en", "")
        return f"{zh} / {en}" if zh and en else zh or en
    return ""


def _render_error(error: Mapping[str, Any]) -> str:
    known = {k: error.get(k) for k in ("file", "path", "line", "hint")}
    rendered = KernelError(str(error.get("message", "")), **known)  # type: ignore[arg-type]
    return rendered.render()


def ok_line(item: Item, result_text: str, decision_id: str | None) -> str:
    head: dict[str, Any] = {"index": item.index, "input": item.label, "input_sha256": item.sha256, "ok": True}
    if decision_id:
        head["decision_id"] = decision_id
    # Every key sorts before "result": the line is canonical JSON ending with the result's bytes.
    return canonical_json(head)[:-1] + ',"result":' + result_text + "}"


def error_line(item: Item, error: Mapping[str, Any], county: Mapping[str, str]) -> str:
    line = {"error": dict(error), "index": item.index, "input": item.label, "input_sha256": item.sha256, "ok": False}
    if county:
        line["county"] = dict(county)
    return canonical_json(line)


def _county_of(raw: Any) -> dict[str, str]:
    """The county's code and name as the input gives them, for the error line of a bad input."""
    county = raw.get("county") if isinstance(raw, Mapping) else None
    if not isinstance(county, Mapping):
        return {}
    return {k: county[k] for k in ("code", "name") if isinstance(county.get(k), str)}


class Evaluator:
    """Evaluates items; one per process. Standards are resolved once per (reference, date)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._standards: dict[tuple[str, dt.date | None], Standard] = {}
        self._ledger: Any = None

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    def standard(self, ref: str, as_of: dt.date | None) -> Standard:
        key = (ref, None if _is_path(ref) else as_of)  # a file is the same standard on every date
        if key not in self._standards:
            from ..kernel.registry import default_registry

            self._standards[key] = default_registry().resolve(ref, as_of)
        return self._standards[key]

    def run(self, items: Sequence[Item]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        records: list[Any] = []
        for item in items:
            outcome, record = self.one(item)
            outcomes.append(outcome)
            if record is not None:
                records.append(record)
        if records:
            # In the ledger before the lines are written: an interruption in between means the
            # chunk is redone, and the ledger answers the same decision ids with their old rows.
            self.ledger().append_many(records)
        return outcomes

    def ledger(self) -> Any:
        if self._ledger is None:
            from ..audit.ledger import Ledger, default_ledger_path

            self._ledger = Ledger(self.config.ledger or default_ledger_path(), create=True)
        return self._ledger

    def one(self, item: Item) -> tuple[Outcome, Any]:
        start = time.perf_counter()
        record = None
        county: dict[str, str] = {"code": item.county} if item.county else {}
        try:
            if item.fmt == "error":
                return self._failed(item, json.loads(item.text), start, county), None
            raw = load_text(item.text, fmt="toml" if item.fmt == "toml" else "json", file=item.file,
                            error=SubmissionError)
            county = _county_of(raw) or county
            submission = submission_from_data(raw, file=item.file)
            as_of = self.config.as_of or submission.as_of
            ref = self.config.standard or submission.standard
            if not ref:
                raise KernelError("no standard given", hint="give --standard, or evaluation.standard in the submission")
            evaluation = evaluate(submission, self.standard(ref, as_of), as_of=as_of)
            result = to_canonical(evaluation)
            decision = None
            if self.config.record:
                from ..audit.records import record_evaluation

                record = record_evaluation(evaluation, requested=requested_name(ref))
                decision = record.decision_id
            line = ok_line(item, canonical_json(result), decision)
            info = info_from_result(item.label, result)
            return Outcome(item.index, line, time.perf_counter() - start, info), record
        except KernelError as error:
            return self._failed(item, self.locate(error, item).to_dict(), start, county), None
        except Exception as exc:  # noqa: BLE001 - a kernel bug in one county must not stop the others
            problem = {"error": "InternalError", "message": f"{type(exc).__name__}: {exc}", "file": item.file,
                       "hint": "a bug in the kernel or a plugin; please report it with this input"}
            return self._failed(item, problem, start, county), None

    def _failed(self, item: Item, error: Mapping[str, Any], start: float, county: Mapping[str, str]) -> Outcome:
        info = CountyInfo(False, item.label, code=county.get("code", ""), name=county.get("name", ""),
                          error=_render_error(error))
        return Outcome(item.index, error_line(item, error, county), time.perf_counter() - start, info)

    def locate(self, error: KernelError, item: Item) -> KernelError:
        """Point the error at the input's file and line (NDJSON line, CSV row, TOML key)."""
        if item.fmt == "ndjson":
            error.file, error.line = item.file, item.line
        elif item.fmt == "csv":
            where = _csv_place(error.path or "")
            found = [(f, n) for place, f, n in item.locations if place == where]
            error.file, error.line = found[0] if found else (item.file, item.line)
        elif item.fmt == "toml" and error.line is None:
            error.file = error.file or item.file
            error.line = locate_line(item.text, error.path or "")
        else:
            error.file = error.file or item.file
        error.args = (error.render(),)
        return error


def _is_path(ref: str) -> bool:
    """The registry's rule: a reference naming a file rather than a standard id."""
    return ref.endswith((".toml", ".json")) or os.sep in ref or "/" in ref or Path(ref).is_file()


def requested_name(ref: str) -> str:
    """The standard reference as a record keeps it: a path becomes ``file:NAME`` (as ``evaluate
    --record`` does), so that a decision id does not depend on where the command ran."""
    return f"file:{Path(ref).name}" if _is_path(ref) else ref


def _csv_place(path: str) -> str:
    match = re.match(r"^(schools|townships)\[\d+\]", path)
    if match:
        return match.group(0)
    return "data" if path.startswith("data") else ""


_WORKER: Evaluator | None = None


def _init_worker(config: Config) -> None:
    global _WORKER
    # Ctrl-C reaches the whole process group: the parent decides when to stop, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER = Evaluator(config)


def _run_chunk(items: Sequence[Item]) -> list[Outcome]:
    assert _WORKER is not None
    return _WORKER.run(items)


# --- the results file ---------------------------------------------------------------------------


@attrs.frozen
class Done:
    """A finished line found in an existing results file."""

    index: int
    sha256: str
    recorded: bool
    info: CountyInfo


class ResultsFile:
    """The append-only results file: whole lines, flushed one by one, fsynced per chunk. Locked
    while a batch writes it, so that a second batch on the same file stops at once."""

    def __init__(self, path: str | Path, *, restart: bool = False) -> None:
        self.path = Path(path)
        self.done: list[Done] = []
        self.cut_bytes = 0  # a torn last line, cut off
        try:
            self.stream = self.path.open("a+b")  # appends always go to the end
        except OSError as error:
            raise BatchError(f"cannot open the results file: {error.strerror}", file=str(self.path)) from None
        try:
            self._lock()
            if restart:
                self.stream.truncate(0)
            else:
                self._read_existing()
        except BaseException:
            self.stream.close()
            raise

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: no lock
            return
        try:
            fcntl.flock(self.stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchError("another evaluate-batch is writing this results file", file=str(self.path),
                             hint="wait for it to finish (or stop it), then run this command again") from None

    def _read_existing(self) -> None:
        """Read the finished lines one by one (a national file is hundreds of MiB); cut off a last
        line without its newline (a crash mid-write): it is redone."""
        self.stream.seek(0)
        end = 0
        for number, raw in enumerate(self.stream, 1):
            if not raw.endswith(b"\n"):
                self.cut_bytes = len(raw)
                break
            end += len(raw)
            try:
                line = json.loads(raw)
                done = Done(int(line["index"]), str(line["input_sha256"]), "decision_id" in line, info_from_line(line))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise BatchError(f"line {number} is not a results line ({type(exc).__name__}: {exc})",
                                 file=str(self.path), line=number,
                                 hint="give another --out, or --restart to start this file again") from None
            self.done.append(done)
        if self.cut_bytes:
            self.stream.truncate(end)
            os.fsync(self.stream.fileno())

    def write(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.stream.write(line.encode("utf-8") + b"\n")
            self.stream.flush()
        os.fsync(self.stream.fileno())

    def close(self) -> None:
        if not self.stream.closed:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            self.stream.close()


# --- running ------------------------------------------------------------------------------------


@attrs.define
class Summary:
    """Tallies of a batch: the whole results file, including lines of an earlier run."""

    total: int = 0
    resumed: int = 0  # lines found done at the start
    evaluated: int = 0  # evaluated by this run (ok or failed)
    failed: list[CountyInfo] = attrs.Factory(list)
    grades: dict[str, Counter[str]] = attrs.Factory(dict)  # standard → grade → counties
    grade_order: dict[str, tuple[str, ...]] = attrs.Factory(dict)
    vetoes: Counter[str] = attrs.Factory(Counter)
    gates: Counter[str] = attrs.Factory(Counter)
    labels: dict[str, str] = attrs.Factory(dict)
    slowest: list[tuple[float, str]] = attrs.Factory(list)  # this run only (timings are not in the file)
    seconds: float = 0.0
    jobs: int = 1
    cut_bytes: int = 0
    interrupted: str | None = None  # the signal's name

    @property
    def ok(self) -> int:
        return sum(sum(c.values()) for c in self.grades.values())

    @property
    def written(self) -> int:
        return self.ok + len(self.failed)

    def add(self, info: CountyInfo, seconds: float | None = None) -> None:
        if not info.ok:
            self.failed.append(info)
        else:
            self.grades.setdefault(info.standard, Counter())[info.grade] += 1
            self.grade_order.setdefault(info.standard, info.grades)
            self.vetoes.update(info.vetoes)
            self.gates.update(info.gates)
            self.labels.update(info.labels)
        if seconds is not None:
            self.evaluated += 1
            if info.ok:
                self.slowest.append((seconds, f"{info.code} {info.name}".strip()))
                self.slowest.sort(key=lambda pair: -pair[0])
                del self.slowest[10:]


ProgressFn = Callable[[Summary], None]


class StopFlag:
    """Set by SIGINT/SIGTERM: the batch stops after the chunk in hand."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopFlag":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: object) -> None:
        # Only a flag: raising here could cut a line in the middle of its write.
        self.signal = signal.Signals(signum).name

    def __bool__(self) -> bool:
        return self.signal is not None


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def chunk_size(remaining: int, jobs: int) -> int:
    """Chunks small enough to spread over the workers (and to stop soon on a signal), large enough
    that passing them between processes costs little."""
    return max(1, min(MAX_CHUNK, remaining // (jobs * 4) or 1))


def check_standard(ref: str | None, as_of: dt.date | None) -> None:
    """Fail early on a ``--standard`` that cannot be right for any input (a broken path, an
    unknown id), rather than once per county."""
    if not ref:
        return
    from ..kernel.registry import default_registry

    registry = default_registry()
    if _is_path(ref):
        registry.load_path(ref)
    elif "@" in ref:
        registry.get(ref)
    elif as_of is not None:
        registry.edition_key(ref, as_of)
    elif not any(e.id == ref for e in registry.entries()):
        registry.edition_key(ref, None)  # raises "no standard …" with the installed ids


def run_batch(
    inputs: Sequence[str],
    out: str | Path,
    config: Config,
    *,
    jobs: int = 1,
    restart: bool = False,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> Summary:
    """Evaluate every input into ``out`` (resuming it unless ``restart``); returns the tallies.

    Raises :class:`BatchError` when the batch cannot go on; the results file then holds a valid
    prefix and the same call resumes it."""
    started = time.perf_counter()
    check_standard(config.standard, config.as_of)
    if config.record:
        _open_ledger(config)
    plan = plan_inputs(inputs)
    results = ResultsFile(out, restart=restart)
    summary = Summary(total=plan.total, jobs=jobs, cut_bytes=results.cut_bytes)
    stop = stop if stop is not None else StopFlag()
    try:
        items = plan.items()
        _skip_done(results, items, plan.total, config, summary)
        remaining = plan.total - len(results.done)
        chunks = _chunks(items, chunk_size(remaining, jobs))
        workers = min(jobs, -(-remaining // chunk_size(remaining, jobs))) if remaining else 1
        if workers <= 1:
            _run_here(chunks, config, results, summary, progress, stop)
        else:
            _run_pool(chunks, config, workers, results, summary, progress, stop)
    finally:
        results.close()
        summary.seconds = time.perf_counter() - started
        summary.interrupted = stop.signal
    return summary


def _open_ledger(config: Config) -> None:
    """Create the ledger here, once, before workers race to create it; a bad path fails early."""
    try:
        from ..audit.ledger import Ledger, default_ledger_path
    except ImportError as error:  # pragma: no cover - the audit modules ship with the kernel
        raise BatchError(f"--record needs the ledger module ({error})") from None
    Ledger(config.ledger or default_ledger_path(), create=True).close()


def _skip_done(results: ResultsFile, items: Iterator[Item], total: int, config: Config, summary: Summary) -> None:
    if len(results.done) > total:
        raise BatchError(f"the results file has {len(results.done)} lines for {total} inputs",
                         file=str(results.path), hint="it belongs to another batch: give another --out, or --restart")
    for position, done in enumerate(results.done):
        item = next(items)
        if done.index != position or done.sha256 != item.sha256:
            raise BatchError(
                f"line {position + 1} is for another input than {item.label} (input {position + 1} has changed)",
                file=str(results.path), line=position + 1,
                hint="resume only with the same inputs; give another --out, or --restart to evaluate everything again")
        if done.info.ok and done.recorded != config.record:
            state = "recorded" if done.recorded else "not recorded"
            raise BatchError(f"the finished lines were {state} in the ledger; this run would "
                             + ("not record" if config.record is False else "record") + " the rest",
                             file=str(results.path), hint="resume with the same --record setting, or --restart")
        summary.add(done.info)
    summary.resumed = len(results.done)


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write(outcomes: list[Outcome], results: ResultsFile, summary: Summary, progress: ProgressFn | None) -> None:
    results.write(o.line for o in outcomes)
    for outcome in outcomes:
        summary.add(outcome.info, outcome.seconds)
    if progress is not None:
        progress(summary)


def _run_here(chunks: Iterator[list[Item]], config: Config, results: ResultsFile, summary: Summary,
              progress: ProgressFn | None, stop: StopFlag) -> None:
    evaluator = Evaluator(config)
    try:
        for chunk in chunks:
            if stop:
                return
            _write(evaluator.run(chunk), results, summary, progress)
    finally:
        evaluator.close()


def _run_pool(chunks: Iterator[list[Item]], config: Config, workers: int, results: ResultsFile, summary: Summary,
              progress: ProgressFn | None, stop: StopFlag) -> None:
    methods = multiprocessing.get_all_start_methods()
    # fork: the workers start with the parent's loaded standards and plugins (spawn elsewhere).
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(config,))
    pending: deque[futures.Future[list[Outcome]]] = deque()
    window = workers * 2  # chunks in flight: one running and one waiting per worker; bounds memory
    try:
        for chunk in chunks:
            pending.append(pool.submit(_run_chunk, chunk))
            while len(pending) >= window:
                if not _drain_one(pending, results, summary, progress, stop):
                    return
        while pending:
            if not _drain_one(pending, results, summary, progress, stop):
                return
    except futures.process.BrokenProcessPool:
        raise BatchError("a worker process died (out of memory?)", file=str(results.path),
                         hint="the results so far are kept: run the same command again, perhaps with fewer --jobs") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _drain_one(pending: deque[futures.Future[list[Outcome]]], results: ResultsFile, summary: Summary,
               progress: ProgressFn | None, stop: StopFlag) -> bool:
    """Wait for the oldest chunk and write it; False when a signal asked to stop."""
    first = pending[0]
    while True:
        if stop:
            return False
        try:
            outcomes = first.result(timeout=POLL_SECONDS)
            break
        except futures.TimeoutError:
            continue
        except (KernelError, futures.process.BrokenProcessPool):
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the ledger's database refusing a write
            raise BatchError(f"a worker failed: {type(exc).__name__}: {exc}",
                             hint="the results so far are kept: run the same command again") from None
    pending.popleft()
    _write(outcomes, results, summary, progress)
    return True
