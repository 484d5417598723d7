"""A corpus of hostile inputs, run through the command line as a user would run them.

Every input is given to ``python -m standards_kernel evaluate`` (or ``merge`` for tables) in a
child process held to 5 seconds and 512 MiB of address space. Each must end with exit code 2, one
message on stderr naming the file or the field, and no traceback; none may hang or eat memory.
The one exception is the ``text`` category, whose inputs are valid: there the text report must
print the county's name with its control characters escaped.

Categories: files (pipes, devices, directories, encodings), numbers (digits that are not ASCII,
magnitudes), text (lone surrogates, terminal escapes), structure (duplicate keys, nesting, format),
paths (a submission naming a file as its standard), sizes (files and workbooks over the limits).
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest

from tests.helpers import DATA, synthetic_county

STANDARD = DATA / "standards" / "synthetic.toml"
COUNTY_PART = DATA / "tables" / "county.toml"
MEMORY_LIMIT = 512 * 1024 * 1024
TIMEOUT = 5


def _limits() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "standards_kernel", *args], cwd=cwd, capture_output=True,
                          text=True, errors="backslashreplace", timeout=TIMEOUT, preexec_fn=_limits)


def county_json(**changes: object) -> str:
    """The synthetic county as JSON text (numbers as text, which the vocabulary reads exactly)."""
    data = synthetic_county(3)
    data.update(changes)
    return json.dumps(data, default=str, ensure_ascii=False)


@dataclass
class Case:
    name: str
    category: str
    make: Callable[[Path], list[str]]  # writes the input under the folder; returns the CLI arguments
    expect: str  # a regex the error message must match
    names: str = ""  # the file or field the message must name (default: the name of the first file given)
    needs: list[str] = field(default_factory=list)


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        path.write_text(content, "utf-8", errors="surrogatepass")
    else:
        path.write_bytes(content)
    return path


def evaluate(sub: Path, *more: str) -> list[str]:
    return ["evaluate", str(sub), "--standard", str(STANDARD), *more]


def text_sub(folder: Path, content: str, name: str = "sub.json") -> list[str]:
    return evaluate(write(folder / name, content))


def fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def sparse(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    with path.open("wb") as stream:
        stream.truncate(size)
    return path


def xlsx(folder: Path, name: str, sheet_xml: bytes, *, declared: int | None = None) -> Path:
    """A workbook made by openpyxl whose first sheet's XML is replaced by ``sheet_xml``."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["id", "students.primary"])
    base = folder / "base.xlsx"
    book.save(base)
    path = folder / name
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else source.read(info.filename)
            target.writestr(info.filename, data)
    if declared is not None:  # a member that claims to unpack to ``declared`` bytes
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as target:
            target.writestr("xl/padding.bin", b"\0" * declared)
    return path


def merge(folder: Path, table: Path) -> list[str]:
    sub = folder / "county.toml"
    shutil.copy(COUNTY_PART, sub)
    return ["merge", str(sub), "--schools", str(table)]


SHEET = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
FULL_WIDTH = "\uff11\uff12"  # １２
ARABIC_INDIC = "\u0661\u0662"  # ١٢
DEEP = 100_000

CASES = [
    # -- files -----------------------------------------------------------------------------
    Case("fifo-submission", "files", lambda d: evaluate(fifo(d, "sub.toml")), r"not a regular file \(a pipe\)"),
    Case("dev-zero-submission", "files", lambda d: evaluate(Path("/dev/zero")), r"not a regular file \(a device\)",
         names="/dev/zero"),
    Case("directory-submission", "files", lambda d: evaluate(Path(d)), r"not a regular file \(a directory\)"),
    Case("fifo-standard", "files", lambda d: ["evaluate", str(write(d / "s.json", county_json())), "--standard",
                                              str(fifo(d, "std.toml"))], r"standard is not a regular file",
         names="std.toml"),
    Case("dev-zero-standard", "files", lambda d: ["evaluate", str(write(d / "s.json", county_json())), "--standard",
                                                  "/dev/zero"], r"standard is not a regular file", names="/dev/zero"),
    Case("gbk-submission", "files", lambda d: evaluate(write(d / "sub.toml", COUNTY_PART.read_text("utf-8")
                                                             .encode("gbk"))), r"submission is not UTF-8 text"),
    Case("gbk-standard", "files", lambda d: ["evaluate", str(write(d / "s.json", county_json())), "--standard",
                                             str(write(d / "std.toml", STANDARD.read_text("utf-8").encode("gbk", "replace")))],
         r"standard is not UTF-8 text", names="std.toml"),
    Case("gbk-csv-table", "files", lambda d: merge(d, write(d / "schools.csv", "id,学生\nS1,10\n".encode("gbk"))),
         r"table is not UTF-8 text", names="schools.csv"),
    Case("fifo-csv-table", "files", lambda d: merge(d, fifo(d, "schools.csv")), r"table is not a regular file",
         names="schools.csv"),
    Case("not-a-zip-xlsx", "files", lambda d: merge(d, write(d / "schools.xlsx", b"PK\x03\x04 not a zip")),
         r"not a readable \.xlsx workbook", names="schools.xlsx", needs=["openpyxl"]),
    # -- numbers ---------------------------------------------------------------------------
    Case("full-width-digits", "numbers",
         lambda d: text_sub(d, county_json(data={**synthetic_county()["data"], "satisfaction_surveyed": FULL_WIDTH})),
         r"expected a number.*ASCII digits", names="data.satisfaction_surveyed"),
    Case("arabic-indic-digits-toml", "numbers",
         lambda d: evaluate(write(d / "sub.toml", COUNTY_PART.read_text("utf-8").replace(
             "satisfaction_surveyed = 1000", f'satisfaction_surveyed = "{ARABIC_INDIC}"'))),
         r"expected a number.*ASCII digits", names="data.satisfaction_surveyed"),
    Case("full-width-digits-csv", "numbers",
         lambda d: merge(d, write(d / "schools.csv", f"id,kind,students.primary\nS1,primary,{FULL_WIDTH}\n")),
         r"expected a number", names="schools.csv"),
    Case("huge-exponent", "numbers", lambda d: text_sub(d, county_json().replace('"9.5"', "9.5e999999999")),
         r"outside", names="sub.json"),
    Case("nan", "numbers", lambda d: text_sub(d, county_json().replace('"9.5"', "NaN")), r"NaN", names="sub.json"),
    Case("five-thousand-digits", "numbers", lambda d: text_sub(d, county_json().replace('"9.5"', "9" * 5000)),
         r"digits", names="sub.json"),
    # -- text ------------------------------------------------------------------------------
    Case("lone-surrogate-value", "text",
         lambda d: text_sub(d, county_json().replace("测试县", "\\ud800")), r"lone surrogate \\ud800",
         names="county.name"),
    Case("lone-surrogate-key", "text",
         lambda d: text_sub(d, county_json().replace('"province"', '"\\udfff"')), r"lone surrogate \\udfff",
         names="sub.json"),
    Case("lone-surrogate-raw", "text",
         lambda d: text_sub(d, county_json().replace("测试县", "\ud800")), r"submission is not UTF-8 text",
         names="sub.json"),
    # -- structure -------------------------------------------------------------------------
    Case("duplicate-key", "structure",
         lambda d: text_sub(d, county_json().replace('"province": "test"', '"province": "test", "province": "x"')),
         r"duplicate key 'province'", names="sub.json"),
    Case("duplicate-key-nested", "structure",
         lambda d: text_sub(d, county_json().replace('"dropouts": {', '"dropouts": {"primary": 3, ')),
         r"duplicate key 'primary'", names="sub.json"),
    Case("deep-json-arrays", "structure", lambda d: text_sub(d, '{"data": ' + "[" * DEEP + "]" * DEEP + "}"),
         r"nested deeper than 64 levels", names="sub.json"),
    Case("deep-json-objects", "structure", lambda d: text_sub(d, '{"data": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}"),
         r"nested deeper than 64 levels", names="sub.json"),
    Case("deep-toml-arrays", "structure",
         lambda d: evaluate(write(d / "sub.toml", "[data]\nx = " + "[" * DEEP + "]" * DEEP + "\n")),
         r"nested deeper than 64 levels", names="sub.toml"),
    Case("deep-toml-dotted-keys", "structure",
         lambda d: evaluate(write(d / "sub.toml", "[data]\n" + ".".join(["a"] * 500) + " = 1\n")),
         r"nested deeper than 64 levels", names="sub.toml"),
    Case("deep-toml-standard", "structure",
         lambda d: ["evaluate", str(write(d / "s.json", county_json())), "--standard",
                    str(write(d / "std.toml", "x = " + "[" * DEEP + "]" * DEEP + "\n"))],
         r"nested deeper than 64 levels", names="std.toml"),
    Case("top-level-array", "structure", lambda d: text_sub(d, "[1, 2]"), r"top level must be an object",
         names="sub.json"),
    Case("unknown-format-number", "structure", lambda d: text_sub(d, county_json(format=2)),
         r"unknown submission format 2", names="format"),
    Case("a-result-as-submission", "structure",
         lambda d: text_sub(d, county_json(format="standards-kernel/evaluation@1")),
         r"unknown submission format 'standards-kernel/evaluation@1'", names="format"),
    # -- paths -----------------------------------------------------------------------------
    Case("standard-dev-zero", "paths",
         lambda d: ["evaluate", str(write(d / "s.json", county_json(evaluation={"standard": "/dev/zero"})))],
         r"must be a standard id", names="evaluation.standard"),
    Case("standard-relative-file", "paths",
         lambda d: ["evaluate", str(write(d / "s.json", county_json(
             evaluation={"standard": "../standards/synthetic.toml"})))], r"must be a standard id",
         names="evaluation.standard"),
    Case("standard-file-in-cwd", "paths",
         lambda d: (shutil.copy(STANDARD, d / "synthetic.toml"),
                    ["evaluate", str(write(d / "s.json", county_json(evaluation={"standard": "synthetic.toml"})))])[1],
         r"must be a standard id", names="evaluation.standard"),
    Case("standard-id-shaped-file-in-cwd", "paths",  # a file named like an id is never read for it
         lambda d: (shutil.copy(STANDARD, d / "test.synthetic"),
                    ["evaluate", str(write(d / "s.json", county_json(evaluation={"standard": "test.synthetic"})))])[1],
         r"no standard 'test.synthetic'", names="test.synthetic"),
    # -- sizes -----------------------------------------------------------------------------
    Case("submission-over-64-mib", "sizes", lambda d: evaluate(sparse(d, "sub.json", 65 * 1024 * 1024)),
         r"submission is 68157440 bytes, over the limit of 64 MiB"),
    Case("standard-over-64-mib", "sizes",
         lambda d: ["evaluate", str(write(d / "s.json", county_json())), "--standard",
                    str(sparse(d, "std.toml", 65 * 1024 * 1024))], r"over the limit of 64 MiB", names="std.toml"),
    Case("csv-over-64-mib", "sizes", lambda d: merge(d, sparse(d, "schools.csv", 65 * 1024 * 1024)),
         r"table is 68157440 bytes, over the limit", names="schools.csv"),
    Case("xlsx-sparse-bomb", "sizes",  # 5 KB: one cell in row 1 048 576, column XFD
         lambda d: merge(d, xlsx(d, "bomb.xlsx", SHEET + b'<dimension ref="A1:XFD1048576"/><sheetData><row r="1">'
                                 b'<c r="A1" t="inlineStr"><is><t>id</t></is></c></row><row r="1048576">'
                                 b'<c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')),
         r"dimension reaches column XFD", names="bomb.xlsx", needs=["openpyxl"]),
    Case("xlsx-sparse-rows", "sizes",  # no dimension: a million empty rows to the one cell at the end
         lambda d: merge(d, xlsx(d, "tall.xlsx", SHEET + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id'
                                 b'</t></is></c></row><row r="1048576"><c r="A1048576"><v>1</v></c></row>'
                                 b'</sheetData></worksheet>')),
         r"rows beyond row 10000", names="tall.xlsx", needs=["openpyxl"]),
    Case("xlsx-wide-row", "sizes",
         lambda d: merge(d, xlsx(d, "wide.xlsx", SHEET + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id'
                                 b'</t></is></c><c r="ZZ1"><v>1</v></c></row></sheetData></worksheet>')),
         r"cells beyond column SF", names="wide.xlsx", needs=["openpyxl"]),
    Case("xlsx-wide-dimension", "sizes",
         lambda d: merge(d, xlsx(d, "wide.xlsx", SHEET + b'<dimension ref="A1:XFD2"/><sheetData><row r="1"><c r="A1" '
                                 b't="inlineStr"><is><t>id</t></is></c></row></sheetData></worksheet>')),
         r"dimension reaches column XFD", names="wide.xlsx", needs=["openpyxl"]),
    Case("xlsx-unpacks-too-large", "sizes",
         lambda d: merge(d, xlsx(d, "big.xlsx", SHEET + b"<sheetData/></worksheet>", declared=65 * 1024 * 1024)),
         r"unpacks to \d+ bytes, over the limit of 64 MiB", names="big.xlsx", needs=["openpyxl"]),
]


def test_the_corpus_covers_every_category() -> None:
    counts = {c: sum(1 for case in CASES if case.category == c) for c in
              ("files", "numbers", "text", "structure", "paths", "sizes")}
    assert all(n >= 3 for n in counts.values()), counts
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.category}-{c.name}")
def test_a_hostile_input_ends_in_a_clear_error(case: Case, tmp_path: Path) -> None:
    for module in case.needs:
        pytest.importorskip(module)
    args = case.make(tmp_path)
    done = run_cli(*args, cwd=tmp_path)
    message = done.stderr
    assert "Traceback" not in message and "Traceback" not in done.stdout, message
    assert done.returncode == 2, (done.returncode, message)
    assert message.startswith("standards-kernel: error: "), message
    assert message.count("\n") == 1, message  # one message, one line
    assert re.search(case.expect, message), message
    named = case.names or Path(args[1]).name
    assert named in message, (named, message)


def test_terminal_escapes_in_a_county_name_are_printed_escaped(tmp_path: Path) -> None:
    name = "测试县\x1b]0;pwned\x07\x1b[2J\u202e\r"
    sub = write(tmp_path / "sub.json", county_json(county={"code": "000001", "name": name, "province": "test"}))
    done = run_cli(*evaluate(sub), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("测试县\\x1b]0;pwned\\x07\\x1b[2J\\u202e\\x0d (000001)"), first
    assert not any(c in done.stdout for c in "\x1b\x07\r\u202e")


def test_escaped_unicode_pairs_and_chinese_are_not_refused(tmp_path: Path) -> None:
    """The refusals are exact: a surrogate *pair* escape is a valid character and is read."""
    sub = write(tmp_path / "sub.json", county_json().replace("测试县", "\\ud83d\\ude00县"))
    done = run_cli(*evaluate(sub), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("\U0001f600县 (000001)")


def test_a_number_with_ascii_digits_in_text_still_reads(tmp_path: Path) -> None:
    data = {**synthetic_county()["data"], "satisfaction_surveyed": " 1_000 ", "satisfaction_satisfied": Decimal(900)}
    done = run_cli(*text_sub(tmp_path, county_json(data=data)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_a_batch_with_hostile_lines_finishes_and_resumes(tmp_path: Path) -> None:
    """A lone surrogate once stopped ``evaluate-batch`` at its line on every resume."""
    good = county_json()
    lines = [good, good.replace("测试县", "\\ud800"), good.replace('"province": "test"', '"province": "test", '
                                                                  '"province": "x"'), good]
    feed = write(tmp_path / "feed.ndjson", "\n".join(lines) + "\n")
    out = tmp_path / "out.ndjson"
    args = ["evaluate-batch", str(feed), "--standard", str(STANDARD), "--out", str(out), "--jobs", "1"]
    done = run_cli(*args, cwd=tmp_path)
    assert "Traceback" not in done.stderr and done.returncode == 1, done.stderr
    results = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r.get("ok", False) for r in results] == [True, False, False, True]
    assert results[1]["error"]["path"] == "county.name" and "lone surrogate" in results[1]["error"]["message"]
    assert "duplicate key 'province'" in results[2]["error"]["message"]
    again = run_cli(*args, cwd=tmp_path)  # a resume finds everything done
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert len(out.read_text("utf-8").splitlines()) == 4


def test_a_file_name_with_terminal_escapes_is_shown_escaped(tmp_path: Path) -> None:
    done = run_cli("evaluate", "x\x1b[2Jy.toml", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "x\\x1b[2Jy.toml: cannot read the submission: No such file or directory" in done.stderr
    assert "\x1b" not in done.stderr
