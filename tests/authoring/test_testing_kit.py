"""The property kit (standards_kernel.authoring.properties): strategies for any standard, which way is better for
each input, the property suite on every installed standard, and a broken standard it catches."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel import evaluate, read_submission
from standards_kernel.kernel.expressions import compile_expression
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import submission_from_data
from standards_kernel.authoring.properties import (
    PROPERTIES, check_properties, degree_in, example_submission, format_failure, handles, property_tests, run_property,
    sign_in, submissions,
)
from tests.helpers import DATA

SYNTHETIC = load_standard_file(DATA / "standards" / "synthetic.toml")
BROKEN = DATA / "broken_standard" / "satisfaction-op-typo.toml"
#: Examples per property when sweeping every installed standard (the canonical-JSON properties cost
#: three JSON renderings per example); deeper runs: standards-kernel test --properties ID.
SWEEP_EXAMPLES = {"monotonicity": 25, "vetoes_never_raise": 10, "score_bounds": 10}


def tree(text: str):
    return compile_expression(text).tree


@pytest.mark.parametrize("formula, name, sign", [
    ("books / students", "books", 1),
    ("books / students", "students", -1),
    ("computers * 100 / students", "computers", 1),
    ("(a + b) / 8", "a", 1),
    ("a - b", "b", -1),
    ("min(a, b)", "a", 1),
    ("if(x > 1, a, b)", "a", 1),
    ("if(x > 1, a, b)", "x", None),  # the branch taken changes
    ("value > 0.006", "value", 1),
    ("not (a >= 3)", "a", -1),
    ("a * (0 - b)", "a", None),  # a factor that may be negative
    ("a == 1", "a", None),
    ("round(a, 2, 'ROUND_HALF_UP')", "a", 1),
    ("abs(a - 1)", "a", None),
    ("c * 2", "a", 0),
])
def test_signs_of_formulas(formula, name, sign):
    assert sign_in(tree(formula), name) == sign


@pytest.mark.parametrize("formula, name, degree", [
    ("books / students", "books", Fraction(1)),
    ("books / students", "students", Fraction(-1)),
    ("computers * 100 / students", "computers", Fraction(1)),
    ("(books + gifts) / students", "books", None),
    ("sqrt(a * a)", "a", Fraction(1)),
    ("max(a, 2 * a)", "a", Fraction(1)),
    ("a + 1", "a", None),
])
def test_degrees_of_formulas(formula, name, degree):
    assert degree_in(tree(formula), name) == degree


def test_which_way_is_better_for_the_synthetic_standards_inputs():
    moved, uncovered = handles(SYNTHETIC)
    found = {(h.level, h.name, h.move): h.better for h in moved}
    assert found[("county", "satisfaction_satisfied", "one")] == 1
    assert found[("county", "satisfaction_surveyed", "one")] == -1   # a denominator
    assert found[("county", "dropouts.primary", "one")] == -1          # zero_if on the item's own value, lower is better
    assert found[("county", "panel_scores.government", "one")] == 1    # a panel item's points
    assert found[("school", "computers", "one")] == 1                  # feeds no difference coefficient: one school
    # books feed a CV: moved in every school, scaled or shifted per student, never in one school
    assert {k for k in found if k[1] == "books"} == {("school", "books", "scale"), ("school", "books", "shift")}
    reasons = {u.name: u.reason for u in uncovered}
    assert reasons["students.primary"] == "it weights cv_area"
    assert reasons["levels.mechanism"] == "a text value has no order"
    assert reasons["events.exam_admission"].startswith("exam_admission has no direction")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_generated_submissions_are_valid_and_evaluate_for_every_installed_standard(data):
    registry = default_registry()
    standard = registry.get(data.draw(st.sampled_from(registry.keys())))
    raw = data.draw(submissions(standard))
    result = evaluate(submission_from_data(raw), standard)
    assert standard.in_force(result.as_of)
    for school in raw.get("schools", []):
        for name, value in school.items():
            if name.startswith("teachers_") and name.rpartition(".")[2] in ("primary", "junior"):
                assert value <= school["teachers." + name.rpartition(".")[2]]  # a part within its whole


def test_example_submissions_are_the_same_every_time_and_evaluate():
    for key in default_registry().keys():
        standard = default_registry().get(key)
        assert example_submission(standard) == example_submission(standard)
        evaluate(submission_from_data(example_submission(standard)), standard)


@pytest.mark.parametrize("name", list(PROPERTIES))
def test_the_synthetic_standard_passes_every_property(name):
    report = run_property(SYNTHETIC, name, max_examples=30, quiet=True, database=False, shrink=False)
    assert report.passed, report.message


@pytest.mark.parametrize("name", list(PROPERTIES))
@pytest.mark.parametrize("key", default_registry().keys())
def test_every_installed_standard_passes_the_suite(key, name):
    standard = default_registry().get(key)
    report = run_property(standard, name, max_examples=SWEEP_EXAMPLES.get(name, 4), quiet=True, database=False,
                          shrink=False)
    assert report.passed, format_failure(standard, report)


def test_the_broken_standard_is_caught_by_monotonicity_and_only_by_it():
    standard = load_standard_file(BROKEN)
    reports = {r.name: r for r in check_properties(standard, max_examples=40)}
    assert [n for n, r in reports.items() if not r.passed] == ["monotonicity"]
    failure = reports["monotonicity"]
    assert failure.message.startswith("moving county satisfaction_satisfied (higher is better, read by satisfaction)")
    assert "indicator satisfaction was met" in failure.message and "and is not any more" in failure.message
    assert "gate satisfaction passed and now fails" in failure.message
    # the falsifying submission is a valid one: it evaluates, and the indicator's check holds there
    result = evaluate(submission_from_data(failure.example), standard)
    assert result.indicators["satisfaction"].county.met is True


def test_property_tests_make_one_pytest_item_per_property():
    test = property_tests(DATA / "standards" / "synthetic.toml", max_examples=5)
    (mark,) = test.pytestmark
    assert mark.name == "parametrize" and mark.args == ("property_name", list(PROPERTIES))
    test("score_bounds")  # runs, passes
    broken = property_tests(BROKEN, max_examples=60)
    with pytest.raises(pytest.fail.Exception) as caught:
        broken("monotonicity")
    assert "broken.satisfaction@1: property monotonicity does not hold" in str(caught.value)
    assert "falsifying submission" in str(caught.value)


def test_the_cli_runs_the_suite_and_saves_the_falsifying_example(tmp_path):
    cli = [sys.executable, "-m", "standards_kernel", "test", "--lang", "en", "--max-examples", "5"]
    run = subprocess.run(cli + ["--properties", str(DATA / "standards" / "synthetic.toml")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("PASS  ") == len(PROPERTIES)
    run = subprocess.run(cli[:-1] + ["30", "--properties", str(BROKEN), "--only", "monotonicity", "--save-failing", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "FAIL  monotonicity" in run.stdout and f"saved to {tmp_path / 'monotonicity.toml'}" in run.stdout
    saved = read_submission(tmp_path / "monotonicity.toml")
    assert evaluate(saved, load_standard_file(BROKEN)).indicators["satisfaction"].county.value <= Decimal("0.85")
    bad = subprocess.run(cli + ["--properties", str(BROKEN), "--only", "speed"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown property 'speed'" in bad.stderr
