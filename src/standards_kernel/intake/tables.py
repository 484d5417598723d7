"""School and township tables from spreadsheets, merged into a submission.

A table has one row per school (or township) and one column per field. The first row names the
columns: a vocabulary name (``books``, ``students.primary``), its Chinese label (图书册数,
在校生数（小学）) or its English label; an ``id`` column is required (学校标识码). Empty cells are
absent values. CSV files are UTF-8 (a byte-order mark is fine); XLSX files need the ``xlsx``
extra (openpyxl), read the first sheet unless one is named, and take a number cell's shortest
decimal text (what the spreadsheet shows at full precision: 0.1 is 0.1, never a binary expansion).

Tables as offices make them are read too (intake/headers.py): title rows above the header, a
header merged over sub-headers, a row of units, and columns the standard does not read, which are
set aside with a warning naming them (``strict``: refused). Every problem in the cells is reported
at once, each with its sheet, row and column.

Several tables may describe the same schools (one from 基础基522, one from 基础基422): rows with
the same id are merged field by field; one field given two different values is an error naming
both cells. Every error names the file, the row and the column, e.g.
``schools.xlsx:7: schools[5].books: cell D7 (图书册数): expected a whole number, got 12.5``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..errors import KernelError, SubmissionError
from ..kernel.files import check_xlsx, read_input_bytes, read_input_text
from ..kernel.formats import load_text
from ..kernel.model import InputSpec
from ..kernel.numbers import canonical
from ..kernel.submission import Submission, flatten, submission_from_data
from ..kernel.vocabulary import coerce, lookup, vocabulary
from .headers import Ignored, blank, column_letter, find_layout

TABLES = {"schools": "school", "townships": "township"}
TRUE_WORDS = {"true", "yes", "y", "1", "是", "有", "√", "✓"}
#: The most rows and columns a spreadsheet table may use (a county has at most a few hundred schools).
MAX_TABLE_ROWS = 10_000
MAX_TABLE_COLUMNS = 500
FALSE_WORDS = {"false", "no", "n", "0", "否", "无", "×"}
THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")  # ASCII digits only


@attrs.frozen
class Cell:
    """Where a value came from: the file, the 1-based row, and the column (letter and header)."""

    file: str
    row: int
    column: str
    header: str
    spreadsheet: bool
    sheet: str | None = None

    def describe(self) -> str:
        if not self.spreadsheet:
            return f"column {self.column} ({self.header})"
        place = f"sheet {self.sheet!r} cell" if self.sheet else "cell"
        return f"{place} {self.column}{self.row} ({self.header})"


class TableProblems(SubmissionError):
    """Every problem found in one table's cells, reported together (the first one leads)."""

    def __init__(self, problems: Sequence[SubmissionError], *, file: str) -> None:
        self.problems = tuple(problems)
        first = self.problems[0]
        rest = "".join(f"\n  {p}" for p in self.problems[1:])
        more = f"\n{len(self.problems) - 1} more problem(s) in this table:{rest}" if rest else ""
        super().__init__(first.message + (f" ({first.hint})" if first.hint else "") + more,
                         file=first.file or file, line=first.line, path=first.path)


@attrs.frozen
class Row:
    """One record of a table: its values by vocabulary name, and where each came from."""

    values: Mapping[str, Any]
    cells: Mapping[str, Cell]
    line: int
    file: str


def normal_header(text: str) -> str:
    """The key a header (or a yes/no word) is compared by: NFKC, no whitespace, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def header_names(level: str, extra: Mapping[str, InputSpec] | None = None) -> dict[str, str | None]:
    """Every accepted header (normalised) → vocabulary name; None where a label is ambiguous."""
    specs = {n: s for n, s in vocabulary()[level].items() if not n.endswith(".*")}
    specs.update({n: s for n, s in (extra or {}).items() if s.level == level})
    found: dict[str, str | None] = {}
    for name, spec in specs.items():
        for text in (spec.label.zh, spec.label.en):
            if text:
                key = normal_header(text)
                found[key] = name if found.get(key, name) == name else None
    for name in specs:  # the names themselves win over any label
        found[normal_header(name)] = name
    return found


def read_table(path: str | Path, table: str = "schools", *, sheet: str | None = None,
               extra: Mapping[str, InputSpec] | None = None, header_row: int | None = None,
               strict: bool = False, warn: Callable[[str], None] | None = None) -> list[Row]:
    """The rows of a CSV or XLSX table, each value checked against the vocabulary.

    ``header_row`` names the header's row (1-based, as the spreadsheet numbers rows) instead of
    finding it; columns the standard does not read are passed to ``warn`` and skipped, or refused
    when ``strict``."""
    if table not in TABLES:
        raise KernelError(f"unknown table {table!r}", hint="schools or townships")
    path = Path(path)
    suffix = path.suffix.lower()
    shown: str | None = None
    if suffix in (".xlsx", ".xlsm"):
        (grid, shown), spreadsheet = _xlsx_rows(path, sheet), True
    elif suffix in (".csv", ".txt"):
        grid, spreadsheet = _csv_rows(path), False
    else:
        raise SubmissionError(f"cannot read a {suffix or 'suffix-less'} file as a table", file=str(path),
                              hint="save it as .csv (UTF-8) or .xlsx")
    return _rows(grid, str(path), TABLES[table], table, spreadsheet, extra,
                 sheet=shown, header_row=header_row, strict=strict, warn=warn)


def _csv_rows(path: Path) -> list[tuple[int, list[Any]]]:
    text = read_input_text(path, what="table", error=SubmissionError, encoding="utf-8-sig",
                           hint="save it as 'CSV UTF-8', or as .xlsx")
    reader = csv.reader(text.splitlines(keepends=True))
    rows = []
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
    except csv.Error as error:
        raise SubmissionError(f"malformed CSV: {error}", file=str(path), line=reader.line_num) from None
    return rows


def _xlsx_rows(path: Path, sheet: str | None) -> tuple[list[tuple[int, list[Any]]], str]:
    try:
        import openpyxl  # type: ignore[import-untyped]  # optional extra; its stubs are not a dependency
    except ImportError:
        raise KernelError("reading .xlsx needs openpyxl", file=str(path),
                          hint="pip install 'standards-kernel[xlsx]', or save the sheet as CSV") from None
    data = read_input_bytes(path, what="table", error=SubmissionError)
    check_xlsx(data, file=str(path), error=SubmissionError)  # a zip bomb ends here, unread
    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except OSError as error:
        raise SubmissionError(f"cannot read the table: {error.strerror or error}", file=str(path)) from None
    except Exception as error:  # openpyxl raises zipfile/KeyError/InvalidFileException for bad files
        raise SubmissionError(f"not a readable .xlsx workbook ({type(error).__name__}: {error})", file=str(path)) from None
    try:
        if sheet is not None and sheet not in values.sheetnames:
            raise SubmissionError(f"no sheet {sheet!r}", file=str(path), hint="sheets: " + ", ".join(values.sheetnames))
        name = sheet or values.sheetnames[0]
        rows = []
        last = column_letter(MAX_TABLE_COLUMNS - 1)
        declared = values[name].max_column  # from the sheet's <dimension>: every row is padded to it
        if declared is not None and declared > MAX_TABLE_COLUMNS:
            raise SubmissionError(f"the sheet's dimension reaches column {column_letter(declared - 1)}, beyond "
                                  f"column {last}", file=str(path), hint="a county's table is far narrower; "
                                  "delete the stray columns and save it again")
        for number, (cells, raw) in enumerate(zip(values[name].iter_rows(values_only=True),
                                                  formulas[name].iter_rows(values_only=True)), start=1):
            if number > MAX_TABLE_ROWS:  # the gap rows of a sparse sheet count: reading them is the cost
                raise SubmissionError(f"the sheet has rows beyond row {MAX_TABLE_ROWS}", file=str(path), line=number,
                                      hint="a county's table is far smaller; remove the stray cells")
            if len(cells) > MAX_TABLE_COLUMNS:
                raise SubmissionError(f"the sheet has cells beyond column {last}", file=str(path), line=number)
            if all(blank(c) for c in cells):
                continue  # blank rows are not kept
            row = list(cells)
            for index, (value, formula) in enumerate(zip(row, raw)):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    raise SubmissionError(
                        f"cell {column_letter(index)}{number} holds the formula {formula} with no saved value",
                        file=str(path), line=number,
                        hint="open and save the workbook in a spreadsheet program, or paste the values")
            rows.append((number, row))
        return rows, name
    finally:
        values.close()
        formulas.close()


def _rows(grid: list[tuple[int, list[Any]]], file: str, level: str, table: str, spreadsheet: bool,
          extra: Mapping[str, InputSpec] | None, *, sheet: str | None = None, header_row: int | None = None,
          strict: bool = False, warn: Callable[[str], None] | None = None) -> list[Row]:
    grid = [(n, cells) for n, cells in grid if not all(blank(c) for c in cells)]
    if not grid:
        raise SubmissionError("the table is empty", file=file, hint="the first row names the columns")
    known = header_names(level, extra)
    layout = find_layout(grid, known, normal_header, file=file, header_row=header_row)
    header_line = layout.header_line
    if layout.ignored:
        _set_aside(layout.ignored, file=file, line=header_line, level=level, table=table, strict=strict, warn=warn)
    seen = {name: index for index, (name, _) in layout.columns.items()}
    if "id" not in seen:
        label = vocabulary()[level]["id"].label.zh
        raise SubmissionError("no id column", file=file, line=header_line,
                              hint=f"add a column 'id' ({label}) naming each {level}")
    rows: list[Row] = []
    problems: list[SubmissionError] = []
    lines_of: dict[str, int] = {}
    for line, cells in grid[layout.first_data:]:
        values: dict[str, Any] = {}
        where: dict[str, Cell] = {}
        for index, (name, text) in layout.columns.items():
            raw = cells[index] if index < len(cells) else None
            if blank(raw):
                continue
            cell = Cell(file, line, column_letter(index), text, spreadsheet, sheet)
            spec = lookup(level, name, extra)
            assert spec is not None
            try:
                values[name] = _value(spec, raw, cell, f"{table}[{len(rows)}].{name}")
            except SubmissionError as error:
                problems.append(error)
                continue
            where[name] = cell
        if "id" not in values:
            if not any(p.line == line for p in problems):
                problems.append(SubmissionError(f"row {line} has no id", file=file, line=line, path=f"{table}[{len(rows)}].id",
                                                hint=f"fill in column {column_letter(seen['id'])}"))
            continue
        unit_id = str(values["id"])
        if unit_id in lines_of:
            problems.append(SubmissionError(f"{level} {unit_id!r} is in rows {lines_of[unit_id]} and {line}", file=file,
                                            line=line, path=f"{table}.{unit_id}", hint=f"one row per {level}"))
            continue
        lines_of[unit_id] = line
        rows.append(Row(values, where, line, file))
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise TableProblems(problems, file=file)
    return rows


def _set_aside(ignored: Sequence[Ignored], *, file: str, line: int, level: str, table: str, strict: bool,
               warn: Callable[[str], None] | None) -> None:
    """Columns the standard does not read: a warning naming them, or (strict) an error."""
    listed = "; ".join(column.describe() for column in ignored)
    if strict:
        first = ignored[0]
        if len(ignored) == 1 and first.header:
            raise SubmissionError(f"column {first.letter}: unknown header {first.header!r}", file=file, line=line,
                                  hint=_header_hint(first.header, header_names(level), level, table))
        raise SubmissionError(f"columns the standard does not read: {listed}", file=file, line=line,
                              hint=f"remove them, or leave out --strict to skip them; "
                                   f"standards-kernel template ID --format csv --table {table} lists the headers")
    if warn is not None:
        warn(f"{file}:{line}: skipped columns the standard does not read: {listed}")


def _specs(level: str, extra: Mapping[str, InputSpec] | None) -> dict[str, InputSpec]:
    specs = dict(vocabulary()[level])
    specs.update({n: s for n, s in (extra or {}).items() if s.level == level})
    return specs


def _header_hint(text: str, known: Mapping[str, str | None], level: str, table: str) -> str:
    import difflib

    close = difflib.get_close_matches(normal_header(text), list(known), n=3, cutoff=0.6)
    names = sorted({name for name in (known[c] for c in close) if name})
    hint = ("did you mean " + " or ".join(repr(n) for n in names) + "? ") if names else ""
    return hint + (f"headers are {level}-level vocabulary names or their zh/en labels; "
                   f"standards-kernel template ID --format csv --table {table} writes them")


def _value(spec: InputSpec, raw: Any, cell: Cell, path: str) -> Any:
    """A cell's value in the kernel's exact types, checked against its spec."""
    value = raw
    if spec.type == "text" and isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        value = canonical(number)  # a numeric id typed into a spreadsheet: 5301001, not 5301001.0
    elif isinstance(raw, bool):
        value = raw
    elif isinstance(raw, float):
        value = Decimal(repr(raw))  # the shortest text of the binary number the spreadsheet holds
    elif isinstance(raw, (dt.datetime, dt.date, dt.time)):
        raise SubmissionError(f"{cell.describe()}: expected {spec.type}, got a date {raw}",
                              file=cell.file, line=cell.row, path=path, hint="format the cell as a number or text")
    elif isinstance(raw, str):
        text = raw.strip()
        if spec.type in ("bool", "fact") and normal_header(text) in TRUE_WORDS | FALSE_WORDS and not (
                spec.type == "fact" and text.isdigit()):
            value = normal_header(text) in TRUE_WORDS
        elif spec.type not in ("text", "bool") and THOUSANDS.fullmatch(text):
            value = text.replace(",", "")
        else:
            value = text
    try:
        return coerce(spec, value, where=path)
    except SubmissionError as error:
        raise SubmissionError(f"{cell.describe()}: {error.message}", file=cell.file, line=cell.row,
                              path=path, hint=error.hint) from None


# -- merging ------------------------------------------------------------------------------------

def merge_rows(tables: Sequence[Sequence[Row]], table: str) -> tuple[list[dict[str, Any]], dict[str, Row]]:
    """Records from several tables, merged by id; returns the records and, by id, the first row."""
    records: dict[str, dict[str, Any]] = {}
    first: dict[str, Row] = {}
    origins: dict[tuple[str, str], Cell] = {}
    for rows in tables:
        for row in rows:  # ids are unique within a table (read_table checks)
            unit_id = str(row.values["id"])
            record = records.setdefault(unit_id, {})
            first.setdefault(unit_id, row)
            for name, value in row.values.items():
                if name in record and record[name] != value:
                    before = origins[(unit_id, name)]
                    raise SubmissionError(
                        f"{table[:-1]} {unit_id!r}: {name} is {_show(record[name])} in {before.file} "
                        f"{before.describe()} row {before.row} but {_show(value)} here ({row.cells[name].describe()})",
                        file=row.file, line=row.line, path=f"{table}.{unit_id}.{name}",
                        hint="the tables must agree")
                record[name] = value
                origins.setdefault((unit_id, name), row.cells[name])
    return [records[k] for k in records], first


def _show(value: Any) -> str:
    return canonical(value) if isinstance(value, (Decimal, int)) and not isinstance(value, bool) else repr(value)


def merge_tables(raw: Mapping[str, Any], *, schools: Iterable[str | Path] = (), townships: Iterable[str | Path] = (),
                 sheet: str | None = None, extra: Mapping[str, InputSpec] | None = None,
                 file: str = "<submission>", **reading: Any) -> tuple[dict[str, Any], dict[tuple[str, int], Row]]:
    """``raw`` submission data with the tables' records added; and, for messages, the row behind
    each added record by (table, index). ``reading`` goes to :func:`read_table` (``header_row``,
    ``strict``, ``warn``)."""
    merged = dict(raw)
    provenance: dict[tuple[str, int], Row] = {}
    for table, paths in (("schools", list(schools)), ("townships", list(townships))):
        if not paths:
            continue
        rows = [read_table(p, table, sheet=sheet, extra=extra, **reading) for p in paths]
        records, first = merge_rows(rows, table)
        existing = list(merged.get(table, []))
        if not isinstance(existing, list):
            raise SubmissionError(f"expected a list of {table}", file=file, path=table)
        ids = {str(r.get("id")): i for i, r in enumerate(existing) if isinstance(r, Mapping)}
        for record in records:
            unit_id = str(record["id"])
            if unit_id in ids:
                row = first[unit_id]
                raise SubmissionError(f"{table[:-1]} {unit_id!r} is both in the submission ({table}[{ids[unit_id]}]) "
                                      f"and in row {row.line}", file=row.file, line=row.line,
                                      hint="give each unit in one place")
            provenance[(table, len(existing))] = first[unit_id]
            existing.append(record)
        merged[table] = existing
    return merged, provenance


def submission_with_tables(raw: Mapping[str, Any], *, schools: Iterable[str | Path] = (),
                           townships: Iterable[str | Path] = (), sheet: str | None = None,
                           extra: Mapping[str, InputSpec] | None = None, file: str = "<submission>",
                           edit: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                           **reading: Any) -> Submission:
    """A checked submission from ``raw`` data and tables; an error in a table's record names its
    row. ``edit`` may change the merged data before it is checked (a test case's ``set``)."""
    merged, provenance = merge_tables(raw, schools=schools, townships=townships, sheet=sheet, extra=extra, file=file,
                                      **reading)
    if edit is not None:
        merged = edit(merged)
    try:
        return submission_from_data(merged, file=file)
    except SubmissionError as error:
        match = re.match(r"(schools|townships)\[(\d+)\]", error.path or "")
        row = provenance.get((match.group(1), int(match.group(2)))) if match else None
        if row is None:
            raise
        raise SubmissionError(f"row {row.line}: {error.message}", file=row.file, line=row.line, path=error.path,
                              hint=error.hint) from None


def read_submission_with_tables(path: str | Path, *, schools: Iterable[str | Path] = (),
                                townships: Iterable[str | Path] = (), sheet: str | None = None,
                                **reading: Any) -> Submission:
    """Read a submission file and merge school/township tables into it (``reading``: see
    :func:`merge_tables`)."""
    path = Path(path)
    text = read_input_text(path, what="submission", error=SubmissionError)  # regular, ≤ 64 MiB, UTF-8
    raw = load_text(text, fmt="json" if path.suffix.lower() == ".json" else "toml", file=str(path), error=SubmissionError)
    return submission_with_tables(raw, schools=schools, townships=townships, sheet=sheet, file=str(path), **reading)


# -- writing a submission back ----------------------------------------------------------------

def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return canonical(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)


def dump_submission(raw: Mapping[str, Any]) -> str:
    """Submission data as TOML text (``flat.names`` quoted), readable by ``read_submission``."""
    lines: list[str] = []
    for header in ("county", "evaluation"):
        table = raw.get(header)
        if table:
            lines.append(f"[{header}]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if v is not None]
            lines.append("")
    data = flatten(raw.get("data", {}), "data")
    lines.append("[data]")
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in sorted(data.items())]
    for table in ("townships", "schools"):
        for record in raw.get(table, []):
            lines += ["", f"[[{table}]]"]
            flat = flatten(record, table)
            lines.append(f"id = {_toml_value(flat.pop('id'))}")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in sorted(flat.items())]
    for entry in raw.get("evidence", []):  # references to evidence files, kept as given
        lines += ["", "[[evidence]]"] + [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in entry.items() if v is not None]
    return "\n".join(lines) + "\n"


def submission_data(submission: Submission) -> dict[str, Any]:
    """A checked submission back as raw data in exact types (for :func:`dump_submission`)."""
    evaluation = {"as_of": submission.as_of, "standard": submission.standard, "stage": submission.stage,
                  "evaluator": submission.evaluator}
    return {
        "county": dict(submission.county),
        "evaluation": {k: v for k, v in evaluation.items() if v is not None},
        "data": dict(submission.data),
        "schools": [{"id": u.id, **{k: v for k, v in u.values.items() if k != "id"}} for u in submission.schools],
        "townships": [{"id": u.id, **{k: v for k, v in u.values.items() if k != "id"}} for u in submission.townships],
        **({"evidence": [e.canonical() for e in submission.evidence]} if submission.evidence else {}),
    }


def dump_submission_json(submission: Submission) -> str:
    """The canonical JSON form of a checked submission (numbers as text)."""
    return json.dumps(submission.canonical(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
