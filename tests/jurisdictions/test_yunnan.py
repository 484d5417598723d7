"""Yunnan 2009: the Yuanjiang municipal review reproduced exactly, from data, with the reason.

The expected result (score, grade, veto, the township gate, the 3% boundary) is the test case
provinces/yunnan/cases/yuanjiang-2009.case.toml; here: what a case cannot say.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel import evaluate, load_standard, read_submission, to_json
from standards_kernel.reporting.text import render_text
from standards_kernel.kernel.submission import parse_submission
from tests.helpers import YUANJIANG

AS_OF = dt.date(2009, 5, 13)


@pytest.fixture(scope="module")
def standard():
    return load_standard("yunnan.county-education", as_of=AS_OF)


def with_d_area(area: str):
    text = YUANJIANG.read_text("utf-8").replace("dilapidated_d_area_m2 = 45584", f"dilapidated_d_area_m2 = {area}")
    assert area in text
    return parse_submission(text, file="yuanjiang-variant.toml")


def test_the_d_class_veto_reads_the_exact_quotient(standard):
    veto = evaluate(read_submission(YUANJIANG), standard).rules["d_class_buildings"]
    assert veto.failed and veto.applied
    assert veto.value == Decimal(45584) / Decimal(281209)
    assert veto.limit == Decimal("0.03")


def test_yinyuan_township_fails_junior_enrolment_on_the_published_rate(standard):
    result = evaluate(read_submission(YUANJIANG), standard)
    township = result.indicators["township_junior_enrolment_rate"]
    assert township.failed_units == ("yinyuan",)
    assert township.units["yinyuan"].note  # the published rate was used, and the result says so
    gate = result.rules["township_junior_enrolment"]
    assert gate.failed and not gate.applied  # reported, no effect on the grade


def test_the_text_says_in_one_line_why_the_county_is_not_advanced(standard):
    text = render_text(evaluate(read_submission(YUANJIANG), standard), "en")
    lines = text.splitlines()
    grade_at = next(i for i, line in enumerate(lines) if line.startswith("Grade: qualified"))
    # the reason follows the grade line (after the line flagging assumed cut-offs, when shown)
    why = next(line for line in lines[grade_at + 1:] if not line.startswith("  [assumed]"))
    assert why.startswith("Not advanced")
    assert "16.21% > 3%" in why and "grade at most qualified" in why
    zh = render_text(evaluate(read_submission(YUANJIANG), standard), "zh")
    reason = next(line for line in zh.splitlines() if line.startswith("未评为"))
    assert "教育工作先进县" in reason and "16.21% > 3%" in reason


def test_the_result_says_it_rests_on_assumptions(standard):
    result = evaluate(read_submission(YUANJIANG), standard)
    assert "parameters.advanced_cutoff" in result.assumptions
    assert "areas.government" in result.assumptions
    cited = {pid: d.citation.status for pid, (_, d) in result.parameters.items()}
    assert cited["d_class_limit"] == "corroborated"


def test_canonical_json_is_byte_identical_across_runs_and_processes(standard):
    first = to_json(evaluate(read_submission(YUANJIANG), standard))
    second = to_json(evaluate(read_submission(YUANJIANG), standard))
    assert first == second
    run = subprocess.run(
        [sys.executable, "-m", "standards_kernel", "evaluate", str(YUANJIANG), "--format", "json"],
        capture_output=True, text=True, check=True,
    )
    assert run.stdout.rstrip("\n") == first


def test_the_edition_in_force_is_picked_by_date():
    with pytest.raises(Exception, match="no edition of yunnan.county-education is in force on 2020-01-01"):
        load_standard("yunnan.county-education", as_of=dt.date(2020, 1, 1))


@settings(max_examples=40, deadline=None)
@given(st.decimals(min_value=0, max_value=281209, places=2))
def test_a_smaller_d_class_area_never_lowers_the_grade(standard, area):
    # Monotonicity along the indicator's direction (lower is better).
    base = evaluate(with_d_area(str(area)), standard)
    better = evaluate(with_d_area(str(area / 2)), standard)
    rank = standard.grade_index
    assert rank(better.grade) <= rank(base.grade)
    assert better.score >= base.score
