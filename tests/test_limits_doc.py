"""docs/limits.md states the limits on input: each figure there is the code's constant."""

from __future__ import annotations

import re

from standards_kernel.intake import tables
from standards_kernel.interfaces.server import guard, service
from standards_kernel.kernel import expressions, files, formats, numbers
from tests.helpers import ROOT

DOC = (ROOT / "docs" / "limits.md").read_text("utf-8")


def row(constant: str) -> str:
    (line,) = [line for line in DOC.splitlines() if line.startswith("|") and constant in line]
    return line


def mib(value: int) -> str:
    assert value % (1024 * 1024) == 0
    return f"{value // (1024 * 1024)} MiB"


def test_every_limit_in_the_doc_is_the_codes() -> None:
    assert mib(files.MAX_INPUT_BYTES) in row("MAX_INPUT_BYTES")
    assert mib(files.MAX_XLSX_UNPACKED) in row("MAX_XLSX_UNPACKED")
    assert f"| {files.MAX_XLSX_ENTRIES} |" in row("MAX_XLSX_ENTRIES")
    assert f"| {tables.MAX_TABLE_ROWS} |" in row("MAX_TABLE_ROWS")
    assert f"| {tables.MAX_TABLE_COLUMNS} |" in row("MAX_TABLE_COLUMNS")
    assert f"| {formats.MAX_DEPTH} |" in row("formats.py: MAX_DEPTH")
    assert f"| {expressions.MAX_NESTING} |" in row("MAX_NESTING")
    assert f"| {expressions.MAX_DEPTH} |" in row("expressions.py: MAX_DEPTH")
    assert f"1e{numbers.MIN_EXPONENT} to 9.99…e{numbers.MAX_EXPONENT}" in row("MIN_EXPONENT")
    assert f"| {numbers.MAX_DIGITS} |" in row("MAX_DIGITS")
    assert mib(service.ServerConfig().max_body_bytes) in row("max_body_bytes")
    assert f"{guard.MAX_HEAD_BYTES // 1024} KiB, at most {guard.MAX_HEADERS} headers" in row("MAX_HEAD_BYTES")
    assert f"| {guard.MAX_TOKEN_BYTES} bytes |" in row("MAX_TOKEN_BYTES")


def test_the_doc_names_only_constants_that_exist() -> None:
    modules = {"kernel/files.py": files, "intake/tables.py": tables, "kernel/formats.py": formats,
               "kernel/expressions.py": expressions, "kernel/numbers.py": numbers,
               "interfaces/server/guard.py": guard, "interfaces/server/service.py": service}
    for path, names in re.findall(r"`([a-z/_]+\.py): ([A-Za-z_.]+)`", DOC):
        assert hasattr(modules[path], names.split(".")[0]), (path, names)
