"""The dependency map as HTML, and `explain --why grade` on one result: every cut-off, gate and
veto that could lower the grade, which fired, and what each rests on."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from standards_kernel.audit.decision import as_decision
from standards_kernel.authoring.dependencies import dependency_map
from standards_kernel.authoring.dependency_html import map_page, map_section, why_section
from standards_kernel.authoring.why import why_grade, why_grade_lines
from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import read_submission
from tests.helpers import ROOT
from tests.helpers.server import cli, cli_main

YUANJIANG = ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"
FAIL_CV = ROOT / "fixtures" / "counties" / "national" / "basic-2012-fail-junior-cv.toml"
BUILT_IN = list(default_registry().keys())
VOID = {"meta", "br", "hr", "img", "input", "link"}


class Balance(HTMLParser):
    """Every opened element is closed, in order (a page a browser need not repair)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def balanced(page: str) -> bool:
    parser = Balance()
    parser.feed(page)
    return not parser.errors and not parser.stack


def result_of(path: Path) -> tuple[dict, object]:
    submission = read_submission(path)
    standard = default_registry().resolve(submission.standard, submission.as_of)
    return as_decision(evaluate(submission, standard)).document(), standard


def test_yuanjiang_the_d_class_veto_fired_and_caps_the_grade_on_a_corroborated_limit() -> None:
    result, standard = result_of(YUANJIANG)
    why = why_grade(result, standard)
    assert (why["grade"], why["grade_by_score"], why["score"]) == ("qualified", "advanced", "91.5")
    rules = {r["id"]: r for r in why["rules"]}
    veto = rules["d_class_buildings"]
    assert veto["could_lower"] and veto["fired"] and veto["applied"]
    assert (veto["effect"], veto["grade"], veto["status"], veto["source"]) == ("cap", "qualified", "corroborated", "yuanjiang_2009")
    assert veto["clause"].startswith("第7篇")
    assert veto["parameters"] == [{"id": "d_class_limit", "value": "0.03", "status": "corroborated",
                                   "source": "yuanjiang_2009", "clause": veto["parameters"][0]["clause"]}]
    assert veto["inputs"] == ["totals.building_area_m2", "totals.dilapidated_d_area_m2"]
    # the township enrolment gate fired, but is reported only: it cannot lower the grade
    gate = rules["township_junior_enrolment"]
    assert gate["fired"] and not gate["could_lower"] and not gate["applied"]
    assert not rules["junior_dropout"]["fired"]
    # the cut-offs rest on assumed values; the unread qualified cut-off comes from the standard
    cutoffs = {c["grade"]: c for c in why["cutoffs"]}
    assert cutoffs["advanced"]["reached"] and cutoffs["advanced"]["parameters"][0]["status"] == "assumed"
    assert cutoffs["qualified"]["parameters"][0]["value"] == "75"


def test_a_deny_gate_that_fired_lowers_the_grade_to_the_lowest() -> None:
    result, standard = result_of(FAIL_CV)
    why = why_grade(result, standard)
    fired = [r for r in why["rules"] if r["fired"] and r["could_lower"]]
    assert [r["id"] for r in fired] == ["composite_cv_junior"] and fired[0]["effect"] == "deny"
    assert why["lowered_by"] == ["composite_cv_junior"]
    en = why_grade_lines(why, standard, "en")
    assert any(line.startswith("  [FIRED, decided the grade] gate") and "the lowest grade" in line for line in en)
    zh = why_grade_lines(why, standard, "zh")
    assert any("[已触发，决定了等级] 必备条件" in line and "等级降为最低" in line for line in zh)


@pytest.mark.parametrize("key", BUILT_IN)
def test_the_html_map_renders_for_every_built_in_standard(key: str) -> None:
    standard = default_registry().get(key)
    dmap = dependency_map(standard)
    for lang in ("zh", "en"):
        section = map_section(dmap, lang)
        assert section.startswith('<section id="dependencies">') and balanced(section)
        for pid in standard.parameters:
            assert f"<code>parameters.{pid}</code>" in section
        for rid, rule in standard.rules.items():
            assert f"<code>{'gates' if rule.kind == 'gate' else 'vetoes'}.{rid}</code>" in section
    page = map_page(dmap, "en")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "http" not in page.split("<body>")[1]
    assert balanced(page.split("\n", 1)[1])


def test_the_map_page_escapes_labels_and_names_nodes_in_the_language() -> None:
    dmap = dependency_map(default_registry().get("yunnan.county-education@2009"))
    zh, en = map_section(dmap, "zh"), map_section(dmap, "en")
    assert "依赖关系图" in zh and "D级危房面积占校舍总面积比例上限（先进县）" in zh
    assert "Dependency map" in en and "Ceiling on the D-class dilapidated share" in en
    assert "<li>→ reaches the grade</li>" in en


def test_the_why_section_nests_and_balances() -> None:
    result, standard = result_of(YUANJIANG)
    section = why_section(why_grade(result, standard), standard, "zh")
    assert section.startswith('<section id="why-grade">') and balanced(section)
    assert "<h3>可能降低等级的门槛与否决：</h3>" in section and "有旁证" in section


def test_the_cli_explains_a_record_and_a_submission_alike(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite3"
    code, out = cli_main("evaluate", str(YUANJIANG), "--record", "--ledger", str(ledger))
    decision_id = out.strip().splitlines()[-1].split()[-1]
    assert code == 0 and len(decision_id) == 32
    code, from_record = cli_main("explain", decision_id, "--ledger", str(ledger), "--why", "grade", "--format", "json")
    assert code == 0
    code, from_submission = cli_main("explain", "yunnan.county-education", "--why", "grade", "--submission",
                                     str(YUANJIANG), "--format", "json")
    assert code == 0 and json.loads(from_record) == json.loads(from_submission)
    code, text = cli_main("explain", decision_id, "--ledger", str(ledger), "--why", "grade", "--lang", "en")
    assert code == 0 and "[FIRED, decided the grade] veto" in text
    code, page = cli_main("explain", decision_id, "--ledger", str(ledger), "--why", "grade", "--format", "html")
    assert code == 0 and '<section id="why-grade">' in page and balanced(page.split("\n", 1)[1])
    code, page = cli_main("explain", "national.basic-balance@2012", "--format", "html", "--lang", "en")
    assert code == 0 and '<section id="dependencies">' in page


def test_the_cli_refuses_unclear_requests_with_one_message(tmp_path: Path) -> None:
    run = ("explain", "yunnan.county-education")
    for args, words in (
        (["--submission", str(YUANJIANG)], "--why grade"),
        (["--why", "d_class_ratio", "--format", "html"], "--format html"),
    ):
        done = cli(*run, *args)
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
    bad = tmp_path / "changed.json"
    code, out = cli_main("evaluate", str(YUANJIANG), "--record", "--ledger", str(tmp_path / "l.sqlite3"))
    decision_id = out.strip().splitlines()[-1].split()[-1]
    _, shown = cli_main("ledger", "show", decision_id, "--ledger", str(tmp_path / "l.sqlite3"))
    record = json.loads(shown)
    record["body"]["result"]["grade"] = "advanced"
    bad.write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    done = cli("explain", str(bad), "--why", "grade")
    assert done.returncode == 2 and "does not verify" in done.stderr and "Traceback" not in done.stderr
