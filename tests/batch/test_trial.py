"""`check` tries a standard on synthetic counties (issue #14): a standard that loads but can never
evaluate (a constant 1/0, sqrt of a negative, text added to a number, a grade threshold given as
text) fails `check` with the key path and line, instead of failing later in front of a county."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from standards_kernel.batch.trial import trial
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.registry import default_registry
from tests.helpers import DATA

SYNTHETIC = DATA / "standards" / "synthetic.toml"
FORMULA = 'formula = "satisfaction_satisfied / satisfaction_surveyed"'

#: (name, old, new, the key path the error names, words of the error)
UNEVALUABLE = [
    ("a constant division by zero", FORMULA, 'formula = "satisfaction_satisfied / satisfaction_surveyed + 1/0"',
     "indicators.satisfaction.formula", "division by zero"),
    ("the square root of a negative constant", FORMULA,
     'formula = "satisfaction_satisfied / satisfaction_surveyed + sqrt(0 - 1)"',
     "indicators.satisfaction.formula", "square root of a negative number"),
    ("text added to a number", FORMULA, "formula = \"satisfaction_satisfied / satisfaction_surveyed + 'a'\"",
     "indicators.satisfaction.formula", "cannot apply '+' to number and text"),
    ("a grade threshold written as text", 'min_score = "top_cutoff"', "min_score = \"'high'\"",
     "grades.top.min_score", "must give a number"),
    ("a grade threshold parameter holding text", "[parameters.top_cutoff]\nvalue = 90",
     '[parameters.top_cutoff]\nvalue = "high"', "grades.top.min_score", "must give a number"),
    ("a check limit dividing by zero", 'check = { op = ">=", limit = "satisfaction_min" }',
     'check = { op = ">=", limit = "satisfaction_min / 0" }', "indicators.satisfaction.check.limit", "division by zero"),
    ("a zero_if condition dividing by zero", 'when = "value > 0.006"', 'when = "value > 0.006 / 0"',
     "indicators.dropout_zero.scoring.when", "division by zero"),
]


def standard_file(tmp_path: Path, old: str, new: str) -> Path:
    text = SYNTHETIC.read_text("utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "unevaluable.toml"
    path.write_text(text.replace(old, new), "utf-8")
    return path


def test_every_built_in_standard_and_the_synthetic_one_evaluate() -> None:
    registry = default_registry()
    assert {key: trial(registry.get(key)) for key in registry.keys()} == {key: [] for key in registry.keys()}
    assert trial(load_standard_file(SYNTHETIC)) == []


@pytest.mark.parametrize("name, old, new, path, words", UNEVALUABLE, ids=[u[0] for u in UNEVALUABLE])
def test_a_standard_that_cannot_evaluate_fails_check(tmp_path, name, old, new, path, words) -> None:
    file = standard_file(tmp_path, old, new)
    (problem,) = trial(load_standard_file(file))
    assert problem.generated and problem.message.startswith(path + ":") and words in problem.message
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "check", str(file)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"standards-kernel: error: {file}:") and f": {path}: " in run.stderr
    line = int(run.stderr.split(f"{file}:", 1)[1].split(":", 1)[0])
    key = path.split(".")[-1]
    assert key in file.read_text("utf-8").splitlines()[line - 1] or "[[grades]]" in file.read_text("utf-8").splitlines()[line - 1] \
        or "min_score" in file.read_text("utf-8").splitlines()[line - 1]
