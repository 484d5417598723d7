"""`standards-kernel template`: every input a standard reads, with labels, units and tables."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from decimal import Decimal

import tomli

from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.registry import default_registry
from standards_kernel.intake.tables import read_table
from standards_kernel.authoring.template import inputs_read, render_csv, render_toml
from tests.helpers import DATA

SYNTHETIC = load_standard_file(DATA / "standards" / "synthetic.toml")


def yunnan():
    return default_registry().get("yunnan.county-education@2009")


def test_yunnan_reads_exactly_these_inputs():
    found = {(u.level, u.name): u for u in inputs_read(yunnan())}
    assert sorted(found) == [
        ("county", "dropout_rate.junior"), ("county", "dropouts.junior"),
        ("county", "panel_scores.compulsory"), ("county", "panel_scores.conditions"),
        ("county", "panel_scores.funding"), ("county", "panel_scores.government"),
        ("county", "panel_scores.other"), ("county", "panel_scores.teachers"),
        ("county", "students_start_of_year.junior"), ("county", "totals.building_area_m2"),
        ("county", "totals.dilapidated_d_area_m2"),
        ("school", "dropout_rate.junior"), ("school", "dropouts.junior"), ("school", "students.junior"),
        ("school", "students_start_of_year.junior"),
        ("township", "enrolled.junior"), ("township", "enrolment_rate.junior"),
        ("township", "school_age_population.junior"),
    ]
    # The published rate is an alternative to the counts, read only when they are absent.
    assert found[("county", "dropout_rate.junior")].fallback_only
    assert not found[("county", "dropouts.junior")].fallback_only
    # A segment view's `dropouts` is the school field dropouts.junior.
    assert found[("school", "dropouts.junior")].read_by == ("school_junior_dropout_rate",)
    assert found[("school", "students.junior")].read_by == ("units.junior_schools",)


def test_a_segment_views_names_map_to_the_school_fields_and_keep_their_table():
    national = default_registry().get("national.basic-balance@2012")
    found = {(u.level, u.name): u for u in inputs_read(national)}
    teachers = found[("school", "teachers.primary")]
    assert teachers.read_by == ("primary_teacher_student_ratio",)
    assert teachers.spec.table == "基础基422"
    assert ("school", "books") in found and ("school", "teachers") not in found
    assert found[("school", "kind")].read_by == ("units.junior_schools.where", "units.primary_schools.where")


def test_the_toml_template_lists_every_input_with_label_unit_and_table_and_parses():
    text = render_toml(SYNTHETIC)
    data = tomli.loads(text)
    assert data["evaluation"]["standard"] == "test.synthetic"
    for use in inputs_read(SYNTHETIC):
        line = next(line for line in text.splitlines() if line.startswith(f"# {use.name} =")
                    or line.startswith(f'# "{use.name}" ='))
        assert use.spec.label.zh in line and use.spec.label.en in line
        if use.spec.unit:
            assert use.spec.unit in line
        if use.spec.table:
            assert f"from {use.spec.table}" in line
    assert '# "levels.mechanism" = "absent"' in text  # a levels input offers the standard's levels
    assert "one of absent, established, incomplete" in text


def test_a_filled_in_toml_template_evaluates():
    lines = []
    values = {"books": "6000", "computers": "30", "kind": '"primary"', "students.primary": "200",
              "teaching_aux_area_m2": "1000", "levels.mechanism": '"established"', "events.exam_admission": "false",
              "panel_scores.government": "9", "satisfaction_surveyed": "100", "satisfaction_satisfied": "90",
              "satisfaction_rate": "0.9", "enrolled.primary": "99", "school_age_population.primary": "100",
              "dropouts.primary": "0", "students_start_of_year.primary": "100",
              "totals.building_area_m2": "1000", "totals.dilapidated_d_area_m2": "0"}
    for line in render_toml(SYNTHETIC).splitlines():
        if line.startswith("# ") and " = " in line.split("#")[1]:
            key = line[2:].split(" = ")[0].strip('"')
            if key in values:
                line = f'"{key}" = {values[key]}'
        if line == "# as_of = 2000-01-01   # the evaluation date (YYYY-MM-DD); the edition in force then applies":
            line = "as_of = 2020-06-01"
        lines.append(line.replace('id = ""', 'id = "S1"').replace('code = ""', 'code = "1"'))
    from standards_kernel import evaluate, parse_submission

    result = evaluate(parse_submission("\n".join(lines)), SYNTHETIC)
    # 40 (one school: both CVs 0) + 20 + 9.5 (enrolment 0.99: half a point short of 0.995) + 29
    assert (result.score, result.grade) == (Decimal("98.5"), "top")


def test_the_csv_listing_has_one_row_per_input():
    rows = list(csv.DictReader(io.StringIO(render_csv(yunnan()))))
    assert len(rows) == len(inputs_read(yunnan()))
    row = next(r for r in rows if r["level"] == "school" and r["name"] == "students.junior")
    assert row == {"level": "school", "name": "students.junior", "label_zh": "在校生数（初中）",
                   "label_en": row["label_en"], "type": "count", "unit": "人", "table": "基础基313",
                   "read_by": "units.junior_schools", "fallback_only": ""}
    assert next(r for r in rows if r["level"] == "county" and r["name"] == "dropout_rate.junior")["fallback_only"] == "yes"


def test_a_spreadsheet_header_from_the_template_reads_back(tmp_path):
    for lang in ("en", "zh"):
        header = render_csv(SYNTHETIC, table="schools", lang=lang)
        file = tmp_path / f"schools-{lang}.csv"
        file.write_text(header + "S1,一小,6000,30,primary,200,1000\n", "utf-8")
        (row,) = read_table(file, "schools")
        assert dict(row.values) == {"id": "S1", "name": "一小", "books": 6000, "computers": 30, "kind": "primary",
                                    "students.primary": 200, "teaching_aux_area_m2": 1000}
    assert render_csv(SYNTHETIC, table="schools", lang="zh").startswith("学校标识码,学校名称,图书册数,")


def test_the_cli_writes_both_formats():
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "template", "yunnan.county-education"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert tomli.loads(run.stdout)["county"]["province"] == "yunnan"
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "template", str(DATA / "standards" / "synthetic.toml"),
                          "--format", "csv", "--table", "schools"], capture_output=True, text=True)
    assert run.stdout == "id,name,books,computers,kind,students.primary,teaching_aux_area_m2\n"
    bad = subprocess.run([sys.executable, "-m", "standards_kernel", "template", "nowhere.nothing"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("standards-kernel: error: no standard 'nowhere.nothing'")
    assert "Traceback" not in bad.stderr
