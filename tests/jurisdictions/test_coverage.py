"""Rule coverage of the built-in standards: every veto (both sides) and every grade of every
built-in standard is reached by a case in provinces/*/cases (hand-worked, not copied from output)."""

from __future__ import annotations

import pytest

from standards_kernel.authoring.cases import run_path
from standards_kernel.authoring.coverage import coverage
from standards_kernel.kernel.registry import default_registry
from tests.helpers import ROOT

JURISDICTIONS = ("gansu", "guizhou", "henan", "national", "yunnan")
BUILT_IN = [k for k in default_registry().keys() if k.split(".")[0] in JURISDICTIONS]


@pytest.fixture(scope="module")
def found():
    results, problems = run_path(ROOT / "provinces")
    assert not problems and all(r.passed for r in results)
    return {c.standard: c for c in coverage(r.evaluation for r in results if r.evaluation is not None)}


def test_there_are_fourteen_built_in_standards():
    assert len(BUILT_IN) == 14


@pytest.mark.parametrize("key", BUILT_IN)
def test_every_veto_and_grade_is_reached(found, key):
    assert key in found, f"no case evaluates {key}"
    assert found[key].missing("vetoes") == ()
    assert found[key].missing("grades") == ()
