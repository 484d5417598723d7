"""A page to sign (printed by Chromium to a PDF, its pages counted), the citation's quoted text
and bilingual notes as the loader reads them, and records' listings in one language."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

import pytest

from standards_kernel import load_standard, read_submission
from standards_kernel.audit.decision import decide
from standards_kernel.audit.records import make_record, read_record_file
from standards_kernel.audit.replay import diff_records
from standards_kernel.errors import KernelError
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.reporting.basis import default_lang, note_in
from standards_kernel.reporting.differences import render_diff
from standards_kernel.reporting.html import css_string, evaluation_html
from tests.helpers import ROOT, YUANJIANG
from tests.reporting.test_html_report import chromium

GOLDEN = ROOT / "fixtures" / "records" / "yunnan-yuanjiang-2009.json"


@pytest.fixture(scope="module")
def decision():
    sub = read_submission(YUANJIANG)
    return decide(sub, load_standard(sub.standard, sub.as_of))


def test_the_printed_page_has_header_numbers_date_and_signatures(decision, tmp_path):
    page = evaluation_html(decision, decision_id="c58b00b63f900c681e34991f90d27b6b", printed=dt.date(2026, 12, 1))
    assert "@top-left" in page and "counter(page)" in page and "counter(pages)" in page
    assert "决策编号 c58b00b63f900c681e34991f90d27b6b" in page and "元江哈尼族彝族傣族自治县" in page.split("@top-left")[1][:200]
    assert '<span id="printed">2026-12-01</span>' in page and "评估组组长" in page and "复核人" in page
    html = tmp_path / "page.html"
    html.write_text(page, "utf-8")
    pdf = tmp_path / "page.pdf"
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", html.as_uri()], capture_output=True, timeout=180)
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert data.startswith(b"%PDF") and 2 <= pages <= 8, pages


def test_a_css_string_cannot_close_the_sheet():
    assert css_string('a"</style>\\') == '"a\\22 \\3c /style\\3e \\5c "'


def test_citation_text_and_bilingual_notes_are_read(tmp_path):
    text = (ROOT / "provinces" / "yunnan" / "county-education-2009.toml").read_text("utf-8")
    std = load_standard_file(ROOT / "provinces" / "yunnan" / "county-education-2009.toml")
    veto = std.rules["d_class_buildings"].citation
    assert veto is not None and veto.text.startswith("涉及") and veto.note.startswith("评估组") and veto.note_en.startswith("The panel")
    assert std.sources["yuanjiang_2009"].note_en.startswith("Reports the municipal review")
    bad = text.replace('text = "d级危房比例不得高于3%"', "text = 3")
    (tmp_path / "bad.toml").write_text(bad, "utf-8")
    with pytest.raises(KernelError) as error:
        load_standard_file(tmp_path / "bad.toml")
    assert "d_class_limit" in str(error.value)


def test_a_note_shows_only_in_its_own_language():
    assert note_in({"note": "未见于任何来源。"}, "zh") == "未见于任何来源。"
    assert note_in({"note": "未见于任何来源。"}, "en") == ""
    assert note_in({"note": "Same as the 2012 edition (教督〔2012〕3号)."}, "zh") == ""
    assert note_in({"note": "中文", "note_en": "English"}, "en") == "English"


def test_the_language_defaults_to_one_environment_variable():
    assert default_lang({}) == "zh" and default_lang({"STANDARDS_KERNEL_LANG": "en"}) == "en"
    assert default_lang({"STANDARDS_KERNEL_LANG": "zh_CN.UTF-8"}) == "zh"


def test_differences_read_as_the_report_does():
    golden = read_record_file(GOLDEN)
    body = json.loads(json.dumps(golden.body))
    body["result"]["indicators"]["d_class_ratio"]["value"] = "0.02844859161691126528667290165"
    body["result"]["grade"] = "advanced"
    changed = make_record(body, golden.standard_content, golden.created_at)
    zh = "\n".join(render_diff(diff_records(golden, changed), "zh"))
    assert "D级危房面积占校舍总面积比例 · 值：16.21% → 2.84%" in zh and "教育工作合格县 → 教育工作先进县" in zh
    assert "0.0284485916" not in zh and "d_class_ratio" not in zh
    en = "\n".join(render_diff(diff_records(golden, changed), "en"))
    assert "qualified county in education work → advanced county in education work" in en
    ids = "\n".join(render_diff(diff_records(golden, changed), "en", show_ids=True))
    assert "indicators.d_class_ratio.value" in ids


def test_replay_ledger_and_check_read_in_one_language():
    from standards_kernel.reporting.differences import case_summary, case_word, ledger_count, render_check, render_replay

    from standards_kernel.audit.replay import Difference, ReplayOutcome

    golden = read_record_file(GOLDEN)
    same = ReplayOutcome(golden.decision_id, golden.standard_key, "ab" * 32, "0.1.0", "0.1.0", True)
    zh = render_replay(same, golden.result, "zh")
    assert zh == [f"重放 {golden.decision_id}：完全一致", "  标准 yunnan.county-education@2009（sha256 abababababab，取自记录）；内核 0.1.0"]
    assert render_replay(same, golden.result, "en")[0].endswith(": identical")
    moved = (Difference("score", "91.5", "90"), Difference("indicators.d_class_ratio.value", "0.1621000750331603896034621936", "0.03"))
    other = ReplayOutcome(golden.decision_id, golden.standard_key, "ab" * 32, "0.1.0", "0.2.0", False, moved)
    lines = render_replay(other, golden.result, "zh")
    assert lines[1:3] == ["  得分：91.5 → 90", "  D级危房面积占校舍总面积比例 · 值：16.21% → 3%"]
    assert "记录时内核 0.1.0，重放时内核 0.2.0" in lines[3]
    std = load_standard("yunnan.county-education", dt.date(2009, 5, 13))
    check = "\n".join(render_check(std, "zh"))
    assert "否决项：D级危房比例超过3%（先进县一票否决） [d_class_buildings]" in check and "假定 2" in check
    assert "vetoes: D-class dilapidated share above 3% (veto on the advanced grade)" in "\n".join(render_check(std, "en", show_ids=False))
    assert (case_word("pass", "zh"), case_word("fail", "en"), case_summary(3, 4, "zh")) == ("通过", "FAIL", "3/4 个用例通过")
    assert ledger_count(1, "en") == "1 record" and ledger_count(2, "zh") == "共 2 条记录"


def test_a_ledger_row_in_words(tmp_path):
    from standards_kernel.audit.ledger import Ledger
    from standards_kernel.reporting.differences import ledger_line

    golden = read_record_file(GOLDEN)
    with Ledger(tmp_path / "l.sqlite3", create=True) as ledger:
        entry = ledger.append(golden)
    grades = {g["id"]: g["label"] for g in golden.result["grades"]}
    zh, en = ledger_line(entry, "zh", grades), ledger_line(entry, "en", grades)
    assert "市级复评  教育工作合格县 91.5" in zh and "municipal review  qualified county in education work 91.5" in en
    assert "[qualified]" in ledger_line(entry, "zh", grades, show_ids=True)


@pytest.mark.parametrize("value", ["0", "7", "45584", "1519466.67", "-37147.73", "1234567890.5"])
def test_grouped_numbers_read_back_as_the_same_number(value):
    from decimal import Decimal

    from standards_kernel.reporting.words import show_number

    shown = show_number(value, "", 2, "ROUND_HALF_UP", group=True)
    assert Decimal(shown.replace(",", "")) == Decimal(value)
    assert all(len(part) == 3 for part in shown.lstrip("-").split(".")[0].split(",")[1:])


def test_report_takes_its_language_from_the_environment_and_shows_ids_on_request(monkeypatch, capsys):
    from standards_kernel.interfaces.cli.main import main

    monkeypatch.setenv("STANDARDS_KERNEL_LANG", "en")
    assert main(["report", str(GOLDEN)]) == 0
    page = capsys.readouterr().out
    assert '<html lang="en">' in page and "<code>d_class_buildings</code>" not in page  # ids only in attributes
    assert main(["report", str(GOLDEN), "--lang", "zh", "--show-ids"]) == 0
    page = capsys.readouterr().out
    assert '<html lang="zh-CN">' in page and "<code>d_class_buildings</code>" in page
