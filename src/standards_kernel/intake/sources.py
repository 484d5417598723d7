"""The inputs of a batch: directories of submissions, NDJSON feeds and CSV tables, as items.

A batch names its inputs in order (see docs/batch.md): a directory of submission files
(``*.toml``, ``*.json``, recursively, sorted by path), a single submission file, an NDJSON file
(one JSON submission per line), or CSV tables (a schools table with a ``county`` column,
optionally a ``*.counties.csv`` and a ``*.townships.csv``), merged by county code. Each input
becomes one :class:`Item`: its text (or the error found reading it), where it came from and the
sha256 of its bytes, by which a resumed batch recognises its finished lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Sequence

import attrs

from ..errors import KernelError, SubmissionError
from ..kernel.files import MAX_INPUT_BYTES, decode_input, open_input, read_input_bytes
from ..kernel.formats import canonical_json
from ..kernel.submission import HEADER_KEYS
from ..kernel.vocabulary import lookup as vocabulary_lookup
from .tables import FALSE_WORDS, THOUSANDS, TRUE_WORDS, header_names, normal_header

SUBMISSION_SUFFIXES = (".toml", ".json")
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
CSV_KINDS = {".counties.csv": "counties", ".townships.csv": "townships", ".schools.csv": "schools"}


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
        try:  # the bounded reader: a regular file of at most 64 MiB
            data = read_input_bytes(self.path, what="submission", error=SubmissionError)
        except SubmissionError as problem:  # one unreadable file is one failed input, not a failed batch
            problem.file = self.label
            problem.args = (problem.render(),)
            yield _error_item(start, self.label, hashlib.sha256(b"").hexdigest(), problem)
            return
        sha = hashlib.sha256(data).hexdigest()
        try:
            text = decode_input(data, file=self.label, what="submission", error=SubmissionError)
        except SubmissionError as problem:
            yield _error_item(start, self.label, sha, problem)
            return
        yield Item(start, self.label, fmt, text, sha, self.label)


class _NdjsonSource(_Source):
    def __init__(self, path: Path, label: str) -> None:
        self.path, self.label = path, label
        try:
            with open_input(path, what="input", error=BatchError) as stream:
                self.count = sum(1 for raw in _lines(stream) if raw.strip())
        except OSError as error:
            raise BatchError(f"cannot read the input: {error.strerror}", file=label) from None

    def items(self, start: int) -> Iterator[Item]:
        index = start
        with open_input(self.path, what="input", error=BatchError) as stream:
            for number, raw in enumerate(_lines(stream), 1):
                if not raw.strip():
                    continue
                body = raw.rstrip(b"\r\n")
                sha = hashlib.sha256(body).hexdigest()
                label = f"{self.label}:{number}"
                if raw is _TOO_LONG:
                    error = SubmissionError(f"the line is longer than {MAX_INPUT_BYTES} bytes", file=self.label,
                                            line=number)
                    yield _error_item(index, label, sha, error)
                    index += 1
                    continue
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    error = SubmissionError("the line is not UTF-8 text", file=self.label, line=number)
                    yield _error_item(index, label, sha, error)
                else:
                    yield Item(index, label, "ndjson", text, sha, self.label, number)
                index += 1


#: What :func:`_lines` yields for a line over :data:`MAX_INPUT_BYTES` (its bytes are skipped).
_TOO_LONG = b"<a line over the size limit>"


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of an NDJSON feed, none held in memory beyond the input size limit."""
    while True:
        raw = stream.readline(MAX_INPUT_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_INPUT_BYTES and not raw.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield _TOO_LONG
        else:
            yield raw


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
        binary = open_input(path, what="input", error=BatchError)
        with io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as stream:
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
            found = labels.get(normal_header(text), "")
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


def _cell(level: str, name: str, text: str) -> Any:
    """A CSV cell for ``submission_from_data``: yes/no words (true, 是, √ …) as booleans, numbers
    with thousands separators without them, everything else as written (the vocabulary parses
    numbers from their text, exactly)."""
    spec = vocabulary_lookup(level, name)
    word = normal_header(text)
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

