"""`standards-kernel diff-standard`: what changed between two editions or two standards."""

from __future__ import annotations

import json
import subprocess
import sys

from standards_kernel.authoring.diff import diff_standards, render_json, render_text
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.registry import default_registry
from tests.helpers import DATA

SYNTHETIC = DATA / "standards" / "synthetic.toml"


def edition_two(tmp_path):
    """The synthetic standard as a second edition: one limit raised with a new source, a check
    made strict, a veto turned into a cap, a grade band moved, an area resized, an item added."""
    text = SYNTHETIC.read_text("utf-8")
    text = text.replace('edition = "1"', 'edition = "2"')
    text = text.replace("[parameters.books_min]\nvalue = 20\nunit = \"册\"\nstatus = \"assumed\"",
                        "[sources.doc2]\ntitle = \"第二版\"\nnumber = \"测教〔2024〕2号\"\n\n"
                        "[parameters.books_min]\nvalue = 25\nunit = \"册\"\nsource = \"doc2\"\nlocator = \"第5条\"\nstatus = \"verified\"")
    text = text.replace('check = { op = ">=", limit = "area_min" }', 'check = { op = ">", limit = "area_min" }')
    text = text.replace('[vetoes.exam]\nlabel = { zh = "考试招生", en = "exam-based admission" }\nindicator = "exam_admission"\neffect = "deny"',
                        '[vetoes.exam]\nlabel = { zh = "考试招生", en = "exam-based admission" }\nindicator = "exam_admission"\neffect = "cap"\ngrade = "pass"')
    text = text.replace("[parameters.top_cutoff]\nvalue = 90", "[parameters.top_cutoff]\nvalue = 92")
    text = text.replace('[areas.people]\nlabel = { zh = "群众", en = "people" }\nmax = 30',
                        '[areas.people]\nlabel = { zh = "群众", en = "people" }\nmax = 25')
    path = tmp_path / "synthetic-2.toml"
    path.write_text(text, "utf-8")
    return load_standard_file(path)


def changes_by_id(changes):
    return {(c.section, c.id): c for c in changes}


def test_an_edition_change_lists_each_change_with_old_and_new(tmp_path):
    old, new = load_standard_file(SYNTHETIC), edition_two(tmp_path)
    found = changes_by_id(diff_standards(old, new))
    assert found[("standard", "header")].fields == (("edition", "1", "2"), ("max_score", "100", "95"))
    books = found[("parameters", "books_min")]
    assert books.kind == "changed"
    assert books.fields == (("value", "20 (assumed)", "25 (verified; doc2, 第5条)"),)
    assert found[("sources", "doc2")].kind == "added"
    assert found[("indicators", "area_per_student")].fields == (("check", ">= area_min", "> area_min"),)
    assert found[("vetoes", "exam")].fields == (("effect", "deny", "cap at pass"),)
    assert found[("parameters", "top_cutoff")].fields == (("value", "90 (assumed)", "92 (assumed)"),)
    assert found[("areas", "people")].fields == (("max", "30", "25"),)
    assert len(found) == 7  # nothing else is reported
    text = render_text(old, new, list(found.values()))
    assert "~ books_min: value 20 (assumed) → 25 (verified; doc2, 第5条)" in text
    assert "~ header\n    edition:\n      old: 1\n      new: 2\n    max_score:\n      old: 100\n      new: 95" in text
    assert "+ doc2: 第二版" in text


def test_added_and_removed_entries_and_the_grade_order(tmp_path):
    text = SYNTHETIC.read_text("utf-8").replace('edition = "1"', 'edition = "3"')
    text = text.replace('[vetoes.d_class]\nlabel = { zh = "D级危房", en = "D-class buildings" }\nindicator = "d_class_ratio"\neffect = "cap"\ngrade = "pass"\n', "")
    text = text.replace('[[grades]]\nid = "top"\nlabel = { zh = "优秀", en = "top" }\nmin_score = "top_cutoff"\n', "")
    path = tmp_path / "synthetic-3.toml"
    path.write_text(text, "utf-8")
    old, new = load_standard_file(SYNTHETIC), load_standard_file(path)
    found = changes_by_id(diff_standards(old, new))
    assert found[("vetoes", "d_class")].kind == "removed"
    assert found[("vetoes", "d_class")].summary.startswith("cap at pass")
    assert found[("grades", "top")].kind == "removed"
    assert found[("grades", "order")].fields == (("best first", "top, pass, fail", "pass, fail"),)
    back = changes_by_id(diff_standards(new, old))
    assert back[("vetoes", "d_class")].kind == "added"


def test_national_2012_to_2017_shows_the_dropout_gates():
    registry = default_registry()
    old, new = registry.get("national.basic-balance@2012"), registry.get("national.basic-balance@2017")
    found = changes_by_id(diff_standards(old, new))
    assert found[("gates", "dropout_junior")].kind == "added"
    assert found[("parameters", "dropout_control_line_junior")].summary.startswith("0.018 (assumed; prov_table")
    assert ("extends", "none", "national.basic-balance@2012") in found[("standard", "header")].fields
    assert not [c for c in found.values() if c.kind == "removed"]


def test_a_standard_against_itself_has_no_differences():
    standard = load_standard_file(SYNTHETIC)
    assert diff_standards(standard, standard) == []
    assert render_text(standard, standard, []).endswith("no differences (the same content)\n")


def test_the_cli_in_text_and_json(tmp_path):
    edition_two(tmp_path)
    cli = [sys.executable, "-m", "standards_kernel", "diff-standard", str(SYNTHETIC), str(tmp_path / "synthetic-2.toml")]
    run = subprocess.run(cli, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[2] == "1 added, 6 changed"
    run = subprocess.run(cli + ["--format", "json"], capture_output=True, text=True)
    data = json.loads(run.stdout)
    assert data["from"]["key"] == "test.synthetic@1" and data["to"]["key"] == "test.synthetic@2"
    assert {"section": "vetoes", "id": "exam", "kind": "changed",
            "fields": [{"field": "effect", "old": "deny", "new": "cap at pass"}]} in data["changes"]
    old, new = load_standard_file(SYNTHETIC), load_standard_file(tmp_path / "synthetic-2.toml")
    assert run.stdout == render_json(old, new, diff_standards(old, new))
    bad = subprocess.run(cli[:4] + ["national.basic-balance", str(SYNTHETIC)], capture_output=True, text=True)
    assert bad.returncode == 2 and "several editions" in bad.stderr and "Traceback" not in bad.stderr
