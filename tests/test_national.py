"""The national standards: basic balance (2012, 2017) and quality balance (2017), on fixtures whose
expected results are worked out by hand in their headers and recomputed here independently."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import FIXTURES
from standards_kernel import evaluate, load_standard, read_submission, to_canonical
from standards_kernel.registry import default_registry

NATIONAL = FIXTURES / "counties" / "national"


def fixture(name: str):
    return read_submission(NATIONAL / f"{name}.toml")


# --- kernel fixes this work needed -------------------------------------------------------------


def test_a_province_can_extend_a_standard_that_declares_inputs(tmp_path: Path):
    # The parent's own inputs (national.*) keep their prefix in the child and are still typed:
    # "100%" arrives as 1, and the province's stricter funding floor decides.
    child = tmp_path / "testprov.toml"
    child.write_text(
        'format = 1\n[standard]\nid = "testprov.quality-balance"\nedition = "2019"\njurisdiction = "testprov"\n'
        'title = { zh = "测试省", en = "test province" }\neffective_from = 2019-01-01\n'
        'extends = "national.quality-balance@2017"\n'
        '[parameters.gov_07_special_funding_min]\nlabel = { zh = "特教生均公用经费（本省）", en = "x" }\n'
        'unit = "元"\nvalue = 8000\nstatus = "assumed"\n',
        "utf-8",
    )
    standard = default_registry().load_path(child)
    assert standard.inputs["national.gov_09_training_completion_rate"].type == "rate"
    result = evaluate(fixture("quality-2017-floor-exact"), standard)
    assert result.indicators["gov_09_training_completion"].county.value == 1
    failed = sorted(rid for rid, r in result.rules.items() if r.failed)
    assert failed == ["gov_07_special_school_funding"]
    assert result.grade == "not_recognised"
    assert "parameters.gov_07_special_funding_min" in result.assumptions


def test_inherited_gates_show_their_origin_in_the_result():
    result = evaluate(fixture("basic-2017-dropout"), load_standard("national.basic-balance@2017"))
    data = to_canonical(result)
    assert data["gates"]["composite_cv_junior"]["origin"] == "national.basic-balance@2012"
    assert "origin" not in data["gates"]["dropout_junior"]  # defined by the edition evaluated
    assert data["indicators"]["composite_cv_junior"]["origin"] == "national.basic-balance@2012"
    assert "origin" not in data["indicators"]["dropout_rate_junior"]


def test_editions_are_picked_by_date():
    assert load_standard("national.basic-balance", as_of=dt.date(2016, 6, 1)).edition == "2012"
    assert load_standard("national.basic-balance", as_of=dt.date(2019, 6, 1)).edition == "2017"
