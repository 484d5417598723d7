"""Spreadsheets as offices make them (issue #18): title rows above the header, a header merged over
sub-headers, a units row, columns the standard does not read (序号, 备注), numbers typed as text,
and every problem of a table reported at once with its sheet, row and column. Each layout must give
exactly the records of the plain table."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from standards_kernel.errors import SubmissionError
from standards_kernel.intake.tables import TableProblems, read_table
from tests.helpers import DATA

PLAIN = [
    {"id": "S1", "students.primary": 420, "students.junior": 0, "books": 12345},
    {"id": "S2", "students.primary": 0, "students.junior": 388, "books": 20480},
]


def xlsx(path: Path, rows: list[list[object]], merges: tuple[str, ...] = (), title: str = "学校") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)
    return path


def records(rows) -> list[dict[str, object]]:
    return [dict(row.values) for row in rows]


def test_title_rows_above_the_header_are_found(tmp_path):
    path = xlsx(tmp_path / "t.xlsx", [
        ["元江县2009年义务教育学校基本情况统计表"],
        ["填报单位：县教育局", None, None, "2009年9月"],
        ["学校标识码", "在校生数（小学）", "在校生数（初中）", "图书册数"],
        ["S1", 420, 0, 12345],
        ["S2", 0, 388, 20480],
    ], merges=("A1:D1",))
    assert records(read_table(path)) == PLAIN


def test_a_header_merged_over_sub_headers_and_a_units_row(tmp_path):
    path = xlsx(tmp_path / "m.xlsx", [
        ["学校基本情况"],
        ["学校标识码", "在校生数", None, "图书册数"],
        [None, "小学", "初中", None],
        [None, "人", "人", "册"],
        ["S1", 420, 0, 12345],
        ["S2", 0, 388, 20480],
    ], merges=("A1:D1", "A2:A4", "B2:C2", "D2:D3"))
    assert records(read_table(path)) == PLAIN


def test_a_units_row_under_a_plain_header(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("学校标识码,在校生数（小学）,在校生数（初中）,图书册数\n,人,人,册\nS1,420,0,12345\nS2,0,388,20480\n", "utf-8")
    assert records(read_table(path)) == PLAIN


def test_columns_the_standard_does_not_read_are_skipped_with_a_warning(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("序号,学校标识码,在校生数（小学）,在校生数（初中）,图书册数,备注,bookz\n"
                    "1,S1,420,0,12345,新建,1\n2,S2,0,388,20480,,2\n", "utf-8")
    warnings: list[str] = []
    assert records(read_table(path, warn=warnings.append)) == PLAIN
    assert warnings == [f"{path}:1: skipped columns the standard does not read: A (序号); F (备注); "
                        "G (bookz): did you mean 'books'?"]
    error = pytest.raises(SubmissionError, read_table, path, strict=True).value
    assert str(error).startswith(f"{path}:1: columns the standard does not read: A (序号); F (备注); G (bookz)")


def test_the_header_row_can_be_named(tmp_path):
    # The title row itself names a field (图书册数): the search would stop there; --header-row decides.
    path = xlsx(tmp_path / "h.xlsx", [
        ["学校标识码 说明：按教育部学校代码填写"],
        ["学校标识码", "在校生数（小学）", "在校生数（初中）", "图书册数"],
        ["S1", 420, 0, 12345],
        ["S2", 0, 388, 20480],
    ])
    assert records(read_table(path, header_row=2)) == PLAIN
    error = pytest.raises(SubmissionError, read_table, path, header_row=9).value
    assert "row 9 is blank or beyond the table" in str(error)


def test_numbers_typed_as_text_are_read_exactly(tmp_path):
    path = xlsx(tmp_path / "n.xlsx", [
        ["学校标识码", "在校生数（小学）", "图书册数", "教学及辅助用房面积", "初中年辍学率（公布值）"],
        ["S1", "1,234", "12,345", "1,234.56", "0.59%"],
    ])
    (row,) = read_table(path)
    assert dict(row.values) == {"id": "S1", "students.primary": 1234, "books": 12345,
                                "teaching_aux_area_m2": Decimal("1234.56"), "dropout_rate.junior": Decimal("0.0059")}


def test_every_problem_is_reported_at_once_with_sheet_row_and_column(tmp_path):
    path = xlsx(tmp_path / "p.xlsx", [
        ["学校标识码", "在校生数（小学）", "图书册数"],
        ["S1", 12.5, 100],
        ["S2", 10, -3],
        [None, 10, 10],
        ["S2", 10, 10],
    ])
    error = pytest.raises(TableProblems, read_table, path).value
    lines = str(error).splitlines()
    assert lines[0] == (f"{path}:2: schools[0].students.primary: sheet '学校' cell B2 (在校生数（小学）): "
                        "expected a whole number, got 12.5")
    assert lines[1] == f"3 more problem(s) in this table:"
    assert f"{path}:3: schools[1].books: sheet '学校' cell C3 (图书册数): must not be negative, got -3" in lines[2]
    assert f"{path}:4: schools[2].id: row 4 has no id" in lines[3]
    assert f"{path}:5: schools.S2: school 'S2' is in rows 3 and 5" in lines[4]
    assert len(error.problems) == 4


def test_merge_takes_header_row_and_strict_and_warns_on_stderr(tmp_path):
    table = tmp_path / "office.csv"
    county = DATA / "tables" / "county.toml"
    table.write_text("县学校统计表\n序号,id,students.primary\n1,S1,100\n", "utf-8")
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "merge", str(county), "--schools", str(table)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr == f"standards-kernel: warning: {table}:2: skipped columns the standard does not read: A (序号)\n"
    assert 'id = "S1"' in run.stdout
    strict = subprocess.run([sys.executable, "-m", "standards_kernel", "merge", str(county), "--schools", str(table),
                             "--strict"], capture_output=True, text=True)
    assert strict.returncode == 2 and "unknown header '序号'" in strict.stderr and "Traceback" not in strict.stderr
    named = subprocess.run([sys.executable, "-m", "standards_kernel", "merge", str(county), "--schools", str(table),
                            "--header-row", "3"], capture_output=True, text=True)
    assert named.returncode == 2 and "no id column" in named.stderr
