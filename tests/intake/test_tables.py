"""School tables from spreadsheets (CSV, XLSX) merged into a submission; row/column-precise errors."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from standards_kernel import evaluate, read_submission, to_json
from standards_kernel.errors import SubmissionError
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.intake.tables import column_letter, read_submission_with_tables, read_table
from tests.helpers import DATA, build, synthetic_county

TABLES = DATA / "tables"
STANDARD = load_standard_file(DATA / "standards" / "synthetic.toml")


def reference():
    """The synthetic county as one TOML/dict submission: what every table form must reproduce."""
    return evaluate(build(synthetic_county()), STANDARD)


def merged(*schools: Path | str, townships=(), sheet=None):
    return read_submission_with_tables(TABLES / "county.toml", schools=schools, townships=townships, sheet=sheet)


def test_a_csv_school_table_gives_the_same_result_as_the_toml_county():
    submission = merged(TABLES / "schools.csv")
    assert [s.id for s in submission.schools] == ["S000", "S001", "S002", "S003", "S004", "S005"]
    assert submission.schools[0].values["teaching_aux_area_m2"] == Decimal("480.0")
    assert to_json(evaluate(submission, STANDARD)) == to_json(reference())


def test_two_tables_with_chinese_headers_merge_by_id():
    # Half-width parentheses, padded headers, a byte-order mark, rows in another order and
    # thousands separators ("2,200") are all read.
    submission = merged(TABLES / "enrolment-zh.csv", TABLES / "resources-zh.csv")
    assert submission.sha256 == build(synthetic_county()).sha256
    assert to_json(evaluate(submission, STANDARD)) == to_json(reference())


def write_xlsx(path: Path, rows: list[list[object]], sheet: str = "学校") -> Path:
    book = openpyxl.Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_an_xlsx_table_reads_numbers_exactly_and_numeric_ids_as_text(tmp_path):
    county = synthetic_county()
    rows = [["学校标识码", "办学类型", "在校生数（小学）", "图书册数", "教学及辅助用房面积", "教学用计算机台数"]]
    for school in county["schools"]:
        # Excel holds the area as a binary double; 657.6 must come back as exactly 657.6.
        rows.append([school["id"], school["kind"], school["students"]["primary"], school["books"],
                     float(school["teaching_aux_area_m2"]), school["computers"]])
    submission = merged(write_xlsx(tmp_path / "schools.xlsx", rows))
    assert submission.schools[1].values["teaching_aux_area_m2"] == Decimal("657.6")
    assert to_json(evaluate(submission, STANDARD)) == to_json(reference())
    (row,) = read_table(write_xlsx(tmp_path / "ids.xlsx", [["id", "students.primary"], [5301001, 40]]), "schools")
    assert row.values["id"] == "5301001"


def test_an_xlsx_sheet_by_name(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["this sheet explains the table"])
    data = book.create_sheet("学校")
    data.append(["id", "students.primary", "books"])
    data.append(["S1", 100, 2000])
    book.save(tmp_path / "two.xlsx")
    (row,) = read_table(tmp_path / "two.xlsx", "schools", sheet="学校")
    assert dict(row.values) == {"id": "S1", "students.primary": 100, "books": 2000}
    error = pytest.raises(SubmissionError, read_table, tmp_path / "two.xlsx", "schools", sheet="Sheet9").value
    assert str(error) == f"{tmp_path / 'two.xlsx'}: no sheet 'Sheet9' (sheets: 说明, 学校)"


def csv_file(tmp_path: Path, text: str, name: str = "schools.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ("id,students.primary,bookz\nS1,100,2000\n", ":1: column C: unknown header 'bookz' (did you mean 'books'?"),
    ("id,students.primary,books\nS1,100,2000\nS2,120,12.5\n",
     ":3: schools[1].books: column C (books): expected a whole number, got 12.5"),
    ("学校标识码,在校生数（小学）,图书册数\nS1,100,-3\n",
     ":2: schools[0].books: column C (图书册数): must not be negative, got -3"),
    ("id,students.primary\nS1,100\nS1,120\n", ":3: schools.S1: school 'S1' is in rows 2 and 3 (one row per school)"),
    ("students.primary,books\n100,2000\n", ":1: no id column (add a column 'id' (学校标识码) naming each school)"),
    ("id,students.primary\n,100\n", ":2: schools[0].id: row 2 has no id (fill in column A)"),
    ("id,,books\nS1,100,2000\n", ":1: columns the standard does not read: B (no header): it has values but no header"),
    ("id,books,图书册数\nS1,1,1\n", ":1: columns B and C are both 'books'"),
    ("id,kind,students.primary\nS1,middle,100\n",
     ":2: schools[0].kind: column B (kind): 'middle' is not one of the allowed values (allowed: primary, junior,"),
    ("id,public,students.primary\nS1,maybe,100\n", ":2: schools[0].public: column B (public): expected true or false"),
])
def test_errors_name_the_file_the_row_and_the_column(tmp_path, text, message):
    path = csv_file(tmp_path, text)
    # strict: a column the standard does not read is refused too (without it: a warning, see
    # tests/intake/test_office_tables.py)
    error = pytest.raises(SubmissionError, read_table, path, "schools", strict=True).value
    assert str(error).startswith(str(path) + message), str(error)


def test_words_for_true_and_false_and_rates_in_percent(tmp_path):
    path = csv_file(tmp_path, "id,public,students.primary,dropout_rate.junior\nS1,是,100,2.59%\nS2,FALSE,90,0.01\n")
    first, second = read_table(path, "schools")
    assert first.values["public"] is True and second.values["public"] is False
    assert first.values["dropout_rate.junior"] == Decimal("0.0259")


def test_an_error_found_when_the_submission_is_checked_names_the_row(tmp_path):
    path = csv_file(tmp_path, "id,students.primary,books\nS1,100,2000\nS2,0,10\n")
    error = pytest.raises(SubmissionError, merged, path).value
    assert str(error).startswith(f"{path}:3: schools[1].students: row 3: school 'S2' has no students")


def test_two_tables_must_agree(tmp_path):
    one = csv_file(tmp_path, "id,students.primary\nS1,100\n", "one.csv")
    two = csv_file(tmp_path, "id,students.primary\nS1,101\n", "two.csv")
    error = pytest.raises(SubmissionError, merged, one, two).value
    assert str(error) == (f"{two}:2: schools.S1.students.primary: school 'S1': students.primary is 100 in {one} "
                          "column B (students.primary) row 2 but 101 here (column B (students.primary)) (the tables must agree)")


def test_a_school_in_the_submission_and_in_a_table_is_refused(tmp_path):
    submission = tmp_path / "county.toml"
    submission.write_text((TABLES / "county.toml").read_text("utf-8") + '\n[[schools]]\nid = "S000"\n"students.primary" = 5\n', "utf-8")
    error = pytest.raises(SubmissionError, read_submission_with_tables, submission, schools=[TABLES / "schools.csv"]).value
    assert str(error).startswith(f"{TABLES / 'schools.csv'}:2: school 'S000' is both in the submission (schools[0]) and in row 2")


def test_unreadable_files(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,students.primary\nS\xe9,1\n".encode("latin-1"))
    assert "is not UTF-8" in str(pytest.raises(SubmissionError, read_table, latin).value)
    other = csv_file(tmp_path, "x", "schools.ods")
    assert "cannot read a .ods file as a table" in str(pytest.raises(SubmissionError, read_table, other).value)
    fake = csv_file(tmp_path, "not a zip", "schools.xlsx")
    assert "not a readable .xlsx workbook" in str(pytest.raises(SubmissionError, read_table, fake).value)
    empty = csv_file(tmp_path, "\n\n", "empty.csv")
    assert str(pytest.raises(SubmissionError, read_table, empty).value).endswith("the table is empty (the first row names the columns)")


def test_an_xlsx_formula_without_a_saved_value_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "formula.xlsx", [["id", "students.primary", "books"], ["S1", 100, "=B2*20"]])
    error = pytest.raises(SubmissionError, read_table, path, "schools").value
    assert str(error).startswith(f"{path}:2: cell C2 holds the formula =B2*20 with no saved value")


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_merge_writes_a_submission_that_reads_back(tmp_path):
    out = tmp_path / "merged.toml"
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "merge", str(TABLES / "county.toml"),
                          "--schools", str(TABLES / "enrolment-zh.csv"), "--schools", str(TABLES / "resources-zh.csv"),
                          "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"wrote {out}: 6 schools, 0 townships\n"
    assert read_submission(out).sha256 == build(synthetic_county()).sha256
    bad = subprocess.run([sys.executable, "-m", "standards_kernel", "merge", str(TABLES / "county.toml"),
                          "--schools", str(csv_file(tmp_path, "id,students.primary\nS1,x\n"))], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("standards-kernel: error: ") and ":2: schools[0].students.primary: column B" in bad.stderr


def test_merge_keeps_the_evidence_references(tmp_path):
    county = tmp_path / "county.toml"
    county.write_text((TABLES / "county.toml").read_text("utf-8") + '\n[[evidence]]\nfor = "data.satisfaction_surveyed"\n'
                      'name = "问卷汇总.pdf"\nsha256 = "' + "ab" * 32 + '"\nnote = "县督导室"\n', "utf-8")
    out = tmp_path / "merged.toml"
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "merge", str(county),
                          "--schools", str(TABLES / "enrolment-zh.csv"), "--schools", str(TABLES / "resources-zh.csv"),
                          "-o", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    merged = read_submission(out)
    assert [e.canonical() for e in merged.evidence] == [
        {"for": "data.satisfaction_surveyed", "name": "问卷汇总.pdf", "sha256": "ab" * 32, "note": "县督导室"}]
    direct = read_submission_with_tables(county, schools=[TABLES / "enrolment-zh.csv", TABLES / "resources-zh.csv"])
    assert merged.sha256 == direct.sha256
