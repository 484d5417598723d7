"""A corpus of bad submissions: each ends in a clear error naming the field (and line).

TOML files under tests/data/bad_submissions/ carry ``# expect:`` and ``# path:`` headers; JSON
cases (which cannot carry comments) are listed here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from standards_kernel import evaluate
from standards_kernel.errors import EvaluationError, KernelError, SubmissionError
from standards_kernel.kernel.submission import parse_submission, read_submission
from tests.helpers import DATA, build, expectations, synthetic_county

CORPUS = sorted((DATA / "bad_submissions").glob("*.toml"))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_bad_submission_fails_naming_the_place(path: Path):
    expected = expectations(path)
    with pytest.raises(SubmissionError) as caught:
        read_submission(path)
    error = caught.value
    assert re.search(expected["expect"], str(error)), str(error)
    assert error.file == str(path)
    if "path" in expected:
        assert error.path == expected["path"], str(error)
        assert error.line is not None


def test_the_corpus_is_there():
    assert len(CORPUS) >= 15


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ('{"county": {"code": "1"}, "schools": [{"id": "a", "books": NaN}]}', "NaN is not a number"),
        ('{"county": {"code": "1"}, "schools": [{"id": "a", "books": Infinity}]}', "Infinity is not a number"),
        ('{"county": {"code": "1"}', "malformed JSON"),
        ('[1, 2]', "top level must be an object"),
        ('{"schools": [{"id": "a", "students": {"primary": -1}}]}', "must not be negative"),
        ('{"schools": [{"id": "a", "students": {"primary": 1.5}}]}', "expected a whole number"),
        ('{"schools": [{"id": "a", "books": 3000.00000000000000000000000000001}]}', "more than 28 significant digits"),
    ],
)
def test_bad_json_submissions(text: str, expect: str):
    with pytest.raises(SubmissionError, match=expect):
        parse_submission(text, fmt="json", file="x.json")


def test_json_numbers_are_read_exactly():
    sub = parse_submission('{"data": {"satisfaction_rate": 0.1}}', fmt="json")
    assert str(sub.data["satisfaction_rate"]) == "0.1"


def test_a_missing_input_names_the_field(synthetic_standard):
    data = synthetic_county()
    del data["data"]["levels"]
    with pytest.raises(SubmissionError, match="missing county input 'levels.mechanism'") as caught:
        evaluate(build(data), synthetic_standard)
    assert caught.value.path == "data.levels.mechanism"


def test_a_missing_unit_field_names_the_school(synthetic_standard):
    data = synthetic_county()
    del data["schools"][2]["books"]
    with pytest.raises(SubmissionError, match=r"schools\[2\] \('S002'\) lacks 'books'"):
        evaluate(build(data), synthetic_standard)


def test_a_zero_denominator_names_the_formula_and_the_county(synthetic_standard):
    data = synthetic_county()
    data["data"]["satisfaction_surveyed"] = 0
    with pytest.raises(EvaluationError, match="division by zero in 'satisfaction_satisfied / satisfaction_surveyed'"):
        evaluate(build(data), synthetic_standard)


def test_panel_points_above_the_maximum_are_rejected(synthetic_standard):
    data = synthetic_county()
    data["data"]["panel_scores"]["government"] = 11
    with pytest.raises(SubmissionError, match="panel points 11 outside 0..10"):
        evaluate(build(data), synthetic_standard)


def test_an_unknown_level_is_rejected(synthetic_standard):
    data = synthetic_county()
    data["data"]["levels"]["mechanism"] = "planned"
    with pytest.raises(SubmissionError, match="'planned' is not a level of 'mechanism'"):
        evaluate(build(data), synthetic_standard)


def test_an_undeclared_jurisdiction_input_is_rejected(synthetic_standard):
    data = synthetic_county()
    data["data"]["test.unknown_fact"] = True
    with pytest.raises(SubmissionError, match="'test.unknown_fact' is not an input of test.synthetic@1"):
        evaluate(build(data), synthetic_standard)


def test_evaluation_outside_the_editions_dates_is_refused(synthetic_standard):
    data = synthetic_county()
    data["evaluation"]["as_of"] = "1999-12-31"
    with pytest.raises(KernelError, match="in force from 2000-01-01"):
        evaluate(build(data), synthetic_standard)


@pytest.mark.parametrize("path", CORPUS[:4], ids=lambda p: p.stem)
def test_cli_exit_2_one_line_no_traceback(path: Path):
    run = subprocess.run(
        [sys.executable, "-m", "standards_kernel", "evaluate", str(path), "--standard", str(DATA / "standards" / "synthetic.toml")],
        capture_output=True, text=True,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1
    assert str(path) in run.stderr


def test_trailing_zeros_are_not_digits_lost(tmp_path: Path):
    """A value written with more zeros after it than the kernel keeps is the same value."""
    text = (DATA / "bad_submissions" / "rate_over_one.toml").read_text("utf-8")
    plain = parse_submission(text.replace("satisfaction_rate = 92", "satisfaction_rate = 0.92"))
    zeros = parse_submission(text.replace("satisfaction_rate = 92", "satisfaction_rate = 0.92000000000000000000000000000000"))
    assert plain.data["satisfaction_rate"] == zeros.data["satisfaction_rate"] and plain.sha256 == zeros.sha256
