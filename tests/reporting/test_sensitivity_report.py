"""The sensitivity section in the reports (issue #19): one short section in the report's language,
labels not ids, the Yuanjiang flip at 91.5 stated; absent unless asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest

from standards_kernel import decide, load_standard, read_submission
from standards_kernel.audit.decision import with_sensitivity
from standards_kernel.reporting.html import evaluation_html
from standards_kernel.reporting.text import render_text
from tests.helpers import YUANJIANG


@pytest.fixture(scope="module")
def decisions():
    submission = read_submission(YUANJIANG)
    plain = decide(submission, load_standard("yunnan.county-education", submission.as_of))
    return plain, with_sensitivity(plain)


def section(text: str, title: str) -> str:
    start = text.index(title)
    return text[start:text.index("\n\n", start)]


def test_the_text_report_states_the_flip_in_each_language(decisions) -> None:
    _, sensitive = decisions
    zh = section(render_text(sensitive, "zh"), "对假定值的敏感性")
    assert "教育工作先进县分数线（假定，现值 90；默认范围 0–100，精确求解）" in zh
    assert "在整个范围内等级不变：教育工作合格县。" in zh
    assert "按分数的等级：教育工作先进县分数线 ≤ 91.5 时为教育工作先进县，高于 91.5 时为教育工作合格县。" in zh
    en = section(render_text(sensitive, "en"), "Sensitivity to assumed values")
    assert "Grade by score: advanced county in education work while Score needed for the advanced grade ≤ 91.5" in en
    for text, ids in ((zh, ("advanced_cutoff", "grade_by_score", "qualified", "assumed")),
                      (en, ("advanced_cutoff", "grade_by_score"))):
        assert not any(i in text for i in ids), text


def test_the_page_has_the_section_and_plain_reports_do_not(decisions) -> None:
    plain, sensitive = decisions
    assert 'id="sensitivity"' in evaluation_html(sensitive, lang="zh")
    assert 'id="sensitivity"' not in evaluation_html(plain, lang="zh")
    assert "对假定值的敏感性" not in render_text(plain, "zh")


def test_evaluate_sensitivity_prints_the_section_once() -> None:
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "evaluate", str(YUANJIANG), "--sensitivity"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("对假定值的敏感性") == 1 and "高于 91.5 时为教育工作合格县" in run.stdout
