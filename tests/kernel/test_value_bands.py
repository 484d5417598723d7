"""Bands on the value itself, as 督导 texts write them ("100% 得20分, 90%以上得15分, 否则0分").

A small standard of the shape an analyst writes; the value form scores exact points (10 of 30
stays 10), the first form (value ÷ the check's limit, shares) is unchanged, and a corpus of the
mistakes an analyst makes with the new form fails to load with file, line and key path.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel import evaluate
from standards_kernel.errors import StandardError
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.submission import parse_submission

VALUE_BANDS = ('scoring = { kind = "bands", max = 20, on = "value", area = "a", bands = [ '
               '{ at_least = 1, points = 20 }, { at_least = 0.9, points = 15 }, { at_least = 0.8, points = 10 } ] }')

STANDARD = """format = 1

[standard]
id = "demo.bands"
edition = "1"
jurisdiction = "demo"
title = {{ zh = "演示", en = "demo" }}
effective_from = 2020-01-01

[inputs."demo.coverage"]
level = "county"
type = "rate"
label = {{ zh = "覆盖率", en = "coverage" }}

[inputs."demo.class_size"]
level = "county"
type = "decimal"
label = {{ zh = "平均班额", en = "mean class size" }}

[parameters.coverage_target]
value = 1
unit = "ratio"
status = "assumed"

[indicators.coverage]
label = {{ zh = "覆盖率", en = "coverage" }}
unit = "ratio"
direction = "higher"
input = "demo.coverage"
{coverage}

[indicators.class_size]
label = {{ zh = "平均班额", en = "mean class size" }}
direction = "lower"
input = "demo.class_size"
{class_size}

[areas.a]
label = {{ zh = "甲", en = "a" }}
max = 50

[[grades]]
id = "good"
label = {{ zh = "优秀", en = "good" }}
min_score = 40

[[grades]]
id = "other"
label = {{ zh = "其他", en = "other" }}
"""

CLASS_SIZE = ('scoring = { kind = "bands", max = 30, on = "value", area = "a", bands = [ '
              '{ at_most = 45, points = 30 }, { at_most = 50, points = 10 } ] }')


def write(tmp_path: Path, coverage: str = VALUE_BANDS, class_size: str = CLASS_SIZE) -> Path:
    path = tmp_path / "demo.toml"
    path.write_text(STANDARD.format(coverage=coverage, class_size=class_size), encoding="utf-8")
    return path


def run(standard, coverage: str, class_size: str):
    text = f"""[county]
code = "000001"
name = "演示县"
province = "demo"

[evaluation]
as_of = 2021-06-01

[data]
"demo.coverage" = {coverage}
"demo.class_size" = {class_size}
"""
    return evaluate(parse_submission(text), standard)


@pytest.fixture
def standard(tmp_path):
    return load_standard_file(write(tmp_path))


@pytest.mark.parametrize(("coverage", "points"), [
    ("1", "20"), ("0.95", "15"), ("0.9", "15"), ("0.8999", "10"), ("0.8", "10"), ("0.79", "0"), ("0", "0")])
def test_points_follow_the_text_on_the_value_itself(standard, coverage, points):
    assert run(standard, coverage, "40").indicators["coverage"].points == Decimal(points)


@pytest.mark.parametrize(("size", "points"), [("30", "30"), ("45", "30"), ("45.5", "10"), ("50", "10"), ("51", "0")])
def test_at_most_bands_read_lower_as_better_with_exact_points(standard, size, points):
    earned = run(standard, "1", size).indicators["class_size"].points
    assert earned == Decimal(points) and str(earned) == points  # 10 of 30, not 30 × 0.333…


def test_the_result_is_exact_and_canonical(standard):
    from standards_kernel.kernel.result import result_data
    data = result_data(run(standard, "0.9", "48"))
    assert data["indicators"]["class_size"]["points"] == "10"
    assert data["indicators"]["coverage"]["points"] == "15"
    assert data["score"] == "25"


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=0, max_value=1, places=4), st.decimals(min_value=0, max_value=1, places=4))
def test_more_coverage_never_earns_fewer_points_and_points_are_a_band(tmp_path_factory, a, b):
    standard = load_standard_file(write(tmp_path_factory.mktemp("s")))
    low, high = sorted((a, b))
    p_low = run(standard, str(low), "40").indicators["coverage"].points
    p_high = run(standard, str(high), "40").indicators["coverage"].points
    assert p_low <= p_high
    assert p_high in {Decimal(0), Decimal(10), Decimal(15), Decimal(20)}


def test_the_first_form_is_unchanged(tmp_path):
    first = ('check = { op = ">=", limit = "coverage_target" }\n'
             'scoring = { kind = "bands", max = 20, area = "a", bands = [ { at_least = 1, share = 1 }, '
             '{ at_least = 0.9, share = 0.75 } ] }')
    standard = load_standard_file(write(tmp_path, coverage=first))
    scoring = standard.indicators["coverage"].scoring
    assert scoring.on == "target" and all(b.points is None for b in scoring.bands)
    assert run(standard, "0.95", "40").indicators["coverage"].points == Decimal(15)
    assert "on" not in standard.content["indicators"]["coverage"]["scoring"]


def _bands(*bands: str, extra: str = "") -> str:
    return f'scoring = {{ kind = "bands", max = 20, area = "a"{extra}, bands = [ {", ".join(bands)} ] }}'


V = ', on = "value"'

#: Mistakes an analyst makes writing bands on the value: (what, scoring line, expected message).
MISTAKES = [
    ("points above max", _bands("{ at_least = 1, points = 25 }", extra=V), r"gives 25 points, outside 0\.\.20"),
    ("negative points", _bands("{ at_least = 1, points = -1 }", extra=V), r"outside 0\.\.20"),
    ("bands in rising order", _bands("{ at_least = 0.9, points = 15 }", "{ at_least = 1, points = 20 }", extra=V),
     r"best first.*at_least falling"),
    ("at_most bands in falling order", "class_size:" + _bands("{ at_most = 50, points = 10 }", "{ at_most = 45, points = 20 }", extra=V),
     r"best first.*at_most rising"),
    ("a bound repeated", _bands("{ at_least = 1, points = 20 }", "{ at_least = 1, points = 15 }", extra=V),
     r"each bound once"),
    ("at_least and at_most mixed", _bands("{ at_least = 1, points = 20 }", "{ at_most = 0.5, points = 5 }", extra=V),
     r"mix at_least and at_most"),
    ("both bounds in one band", _bands("{ at_least = 1, at_most = 2, points = 20 }", extra=V), r"one of at_least and at_most"),
    ("no bound", _bands("{ points = 20 }", extra=V), r"one of at_least and at_most"),
    ("share in a value band", _bands("{ at_least = 1, share = 1 }", extra=V), r"gives a share; bands on the value give points"),
    ("points in a target band", _bands("{ at_least = 1, points = 20 }"), r"points, which belongs to bands on the value"),
    ("at_most in a target band", _bands("{ at_most = 1, share = 1 }"), r"at_most, which belongs to bands on the value"),
    ("share missing in the first form", _bands("{ at_least = 1 }"), r"needs at_least and share"),
    ("points missing", _bands("{ at_least = 1 }", extra=V), r"band 1 needs points"),
    ("a worse band giving more", _bands("{ at_least = 1, points = 10 }", "{ at_least = 0.9, points = 15 }", extra=V),
     r"better band must not give fewer points"),
    ("unknown form", _bands("{ at_least = 1, points = 20 }", extra=', on = "values"'), r"unknown bands form"),
    ("on outside bands", 'scoring = { kind = "threshold", max = 20, area = "a", on = "value" }\n'
     'check = { op = ">=", limit = "coverage_target" }', r"on belongs to bands scoring"),
    ("no bands at all", _bands(extra=V), r"need bands = "),
    ("at_most against direction higher", _bands("{ at_most = 1, points = 20 }", extra=V),
     r"at_most bands read lower as better, but the indicator's direction is 'higher'"),
]


@pytest.mark.parametrize(("scoring", "expect"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_band_mistakes_fail_to_load_naming_file_line_and_key(tmp_path, scoring, expect):
    target, _, own = scoring.partition(":") if scoring.startswith("class_size:") else ("coverage", "", scoring)
    path = write(tmp_path, **{target: own})
    with pytest.raises(StandardError) as caught:
        load_standard_file(path)
    error = caught.value
    assert re.search(expect, str(error)), str(error)
    assert error.file == str(path)
    assert error.path is not None and error.path.startswith(f"indicators.{target}.scoring")
    line = path.read_text(encoding="utf-8").splitlines()[error.line - 1]
    assert "scoring" in line, (error.line, line)


def test_the_corpus_is_large_enough():
    assert len(MISTAKES) >= 15
