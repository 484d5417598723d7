"""Rules that mean something (issue #18): the slips an analyst makes in a standard that still loads,
each made once in tests/data/standards/synthetic.toml and caught by `check` with its key path and
line. The unchanged file and every built-in standard give no warning."""

from __future__ import annotations

import subprocess
from decimal import Decimal
import sys
from pathlib import Path

import pytest

from standards_kernel.authoring.lint import lint
from standards_kernel import evaluate
from standards_kernel.errors import StandardError
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.registry import default_registry
from tests.helpers import DATA, build, synthetic_county

SYNTHETIC = DATA / "standards" / "synthetic.toml"
SHARE = '''
[indicators.share_ok]
label = { zh = "达标学校比例", en = "share of schools meeting 2 of 3" }
unit = "ratio"
aggregate = { function = "share_met", of = "school_ok" }
check = { op = "LIMIT_OP", limit = "LIMIT" }
'''

#: (name, [(old, new)] edits of the synthetic standard, the finding's code, its key path)
MISTAKES = [
    ("a computed ratio checked against a percentage",
     [("[parameters.satisfaction_min]\nvalue = 0.85", "[parameters.satisfaction_min]\nvalue = 85")],
     "ratio-limit", "indicators.satisfaction.check"),
    ("a share of schools that must reach 85 (meaning 85%)",
     [("[areas.balance]", SHARE.replace("LIMIT_OP", ">=").replace("LIMIT", "85") + "\n[areas.balance]")],
     "check-never-passes", "indicators.share_ok.check"),
    ("a share of schools that must be at least 0: a rule that can never fail",
     [("[areas.balance]", SHARE.replace("LIMIT_OP", ">=").replace("LIMIT", "0") + "\n[areas.balance]")],
     "check-always-passes", "indicators.share_ok.check"),
    ("a share of schools at most 1: a rule that can never fail",
     [("[areas.balance]", SHARE.replace("LIMIT_OP", "<=").replace("LIMIT", "1") + "\n[areas.balance]")],
     "check-always-passes", "indicators.share_ok.check"),
    ("two bands starting at the same fraction",
     [("{ at_least = 0.8, share = 0.8 }", "{ at_least = 0.6, share = 0.8 }")],
     "band-repeated", "indicators.cv_area.scoring.bands"),
    ("no band gives the full points",
     [("{ at_least = 1, share = 1 }", "{ at_least = 1, share = 0.9 }")],
     "points-unreachable", "indicators.cv_area.scoring.bands"),
    ("levels that never reach the item's points",
     [("levels = { established = 10,", "levels = { established = 8,")],
     "points-unreachable", "indicators.mechanism.scoring.levels"),
    ("a grade above the maximum score",
     [("[parameters.top_cutoff]\nvalue = 90", "[parameters.top_cutoff]\nvalue = 120")],
     "grade-unreachable", "grades.top"),
    ("a worse grade that needs more points than a better one",
     [("[parameters.pass_cutoff]\nvalue = 60", "[parameters.pass_cutoff]\nvalue = 95")],
     "grade-order", "grades.pass"),
]


#: Slips the loader refuses outright: (name, edits, the error's key path, words of its message)
REFUSED = [
    ("a ratio parameter written as a percentage",
     [("[parameters.satisfaction_min]\nvalue = 0.85", "[parameters.satisfaction_min]\nunit = \"ratio\"\nvalue = 85")],
     "parameters.satisfaction_min.value", "a ratio of 85 is outside 0–1"),
    ("a percentage that is not a number",
     [("[parameters.satisfaction_min]\nvalue = 0.85", "[parameters.satisfaction_min]\nvalue = \"8x5%\"")],
     "parameters.satisfaction_min.value", "is not a percentage"),
    ("a check comparing people with a ratio",
     [("[parameters.satisfaction_min]\nvalue = 0.85", "[parameters.satisfaction_min]\nunit = \"人\"\nvalue = 0.85"),
      ("[indicators.satisfaction]\nlabel = { zh = \"满意度\", en = \"satisfaction\" }",
       "[indicators.satisfaction]\nlabel = { zh = \"满意度\", en = \"satisfaction\" }")],
     "indicators.satisfaction.check.limit", "is in '人' but the indicator is in 'ratio'"),
    ("bands whose points fall as the threshold rises",
     [("{ at_least = 0.8, share = 0.8 }", "{ at_least = 0.9, share = 0.4 }")],
     "indicators.cv_area.scoring.bands", "must not give fewer points"),
    ("a band share written as points",
     [("{ at_least = 1, share = 1 }", "{ at_least = 1, share = 20 }")],
     "indicators.cv_area.scoring.bands", "in [0, 1]"),
    ("an area whose items cannot add up to its points",
     [("[indicators.panel]\nlabel = { zh = \"评估组评分\", en = \"panel points\" }\ninput = \"panel_scores.government\"\n"
       "scoring = { kind = \"panel\", max = 10, area = \"government\" }",
       "[indicators.panel]\nlabel = { zh = \"评估组评分\", en = \"panel points\" }\ninput = \"panel_scores.government\"\n"
       "scoring = { kind = \"panel\", max = 5, area = \"government\" }")],
     "areas.government.max", "its items can reach only 25"),
]


def write(tmp_path: Path, edits: list[tuple[str, str]]) -> Path:
    text = SYNTHETIC.read_text("utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "mistake.toml"
    path.write_text(text, "utf-8")
    return path


def test_the_synthetic_standard_and_every_built_in_one_are_clean() -> None:
    assert lint(load_standard_file(SYNTHETIC)) == []
    registry = default_registry()
    assert {key: [f.render() for f in lint(registry.get(key))] for key in registry.keys()} == \
        {key: [] for key in registry.keys()}


@pytest.mark.parametrize("name, edits, code, path", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_named_with_its_path_and_line(tmp_path, name, edits, code, path) -> None:
    file = write(tmp_path, edits)
    findings = lint(load_standard_file(file))
    match = [f for f in findings if f.code == code and f.path == path]
    assert match, [f.render() for f in findings]
    finding = match[0]
    assert finding.file == str(file) and finding.line is not None
    lines = file.read_text("utf-8").splitlines()
    # the line is the entry's own: its table header or the key inside it
    assert path.split(".")[1] in lines[finding.line - 1] or path.split(".")[-1] in lines[finding.line - 1] \
        or lines[finding.line - 1].startswith("[")


@pytest.mark.parametrize("name, edits, path, words", REFUSED, ids=[m[0] for m in REFUSED])
def test_worse_slips_do_not_load(tmp_path, name, edits, path, words) -> None:
    file = write(tmp_path, edits)
    error = pytest.raises(StandardError, load_standard_file, file).value
    assert error.path == path and words in error.message and error.line is not None


def test_a_percentage_slip_says_what_to_write(tmp_path) -> None:
    error = pytest.raises(StandardError, load_standard_file, write(tmp_path, REFUSED[0][1])).value
    assert error.hint == 'write 0.85 or "85%"'.replace("write", "85 looks like a percentage: write")


def test_percent_text_is_read_exactly(tmp_path) -> None:
    edits = [("[parameters.satisfaction_min]\nvalue = 0.85", "[parameters.satisfaction_min]\nvalue = \"85%\"")]
    standard = load_standard_file(write(tmp_path, edits))
    assert standard.parameters["satisfaction_min"].values[0].value == Decimal("0.85")
    plain = load_standard_file(SYNTHETIC)
    county = build(synthetic_county())
    typed, usual = (evaluate(county, s).indicators["satisfaction"].county for s in (standard, plain))
    assert (typed.limit, typed.met) == (usual.limit, usual.met) == (Decimal("0.85"), usual.met)


def test_check_prints_warnings_and_strict_fails(tmp_path) -> None:
    (edits,) = [m[1] for m in MISTAKES if m[2] == "grade-unreachable"]
    file = write(tmp_path, edits)
    run = subprocess.run([sys.executable, "-m", "standards_kernel", "check", str(file)], capture_output=True, text=True)
    assert run.returncode == 0
    assert f"standards-kernel: warning: {file}:" in run.stderr and "[grade-unreachable]" in run.stderr
    strict = subprocess.run([sys.executable, "-m", "standards_kernel", "check", str(file), "--strict"],
                            capture_output=True, text=True)
    assert strict.returncode == 1 and "--strict" in strict.stderr
    clean = subprocess.run([sys.executable, "-m", "standards_kernel", "check", str(SYNTHETIC), "--strict"],
                           capture_output=True, text=True)
    assert clean.returncode == 0 and clean.stderr == ""


def test_percent_text_reads_exactly_in_bands_too(tmp_path) -> None:
    edits = [("{ at_least = 0.8, share = 0.8 }", '{ at_least = "80%", share = "80%" }')]
    bands = load_standard_file(write(tmp_path, edits)).indicators["cv_area"].scoring.bands
    assert [(b.at_least, b.share) for b in bands] == [(Decimal(1), Decimal(1)), (Decimal("0.8"), Decimal("0.8")),
                                                      (Decimal("0.6"), Decimal("0.5"))]


def test_the_property_kit_reports_what_check_warns_about(tmp_path) -> None:
    from standards_kernel.authoring.properties import check_properties

    (edits,) = [m[1] for m in MISTAKES if m[2] == "grade-unreachable"]
    (report,) = check_properties(load_standard_file(write(tmp_path, edits)), names=["rules_mean_something"],
                                 max_examples=2)
    assert not report.passed and "[grade-unreachable]" in report.message
    (clean,) = check_properties(load_standard_file(SYNTHETIC), names=["rules_mean_something"], max_examples=2)
    assert clean.passed


def test_a_negative_count_or_amount_does_not_load(tmp_path) -> None:
    edits = [("[parameters.satisfaction_min]\nvalue = 0.85", "[parameters.satisfaction_min]\nunit = \"册\"\nvalue = -3")]
    error = pytest.raises(StandardError, load_standard_file, write(tmp_path, edits)).value
    assert error.path == "parameters.satisfaction_min.value" and "-3 册 is negative" in error.message
