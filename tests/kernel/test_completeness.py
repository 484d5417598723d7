"""Every missing or invalid input at once (kernel/completeness.py).

The check must never refuse what the kernel scores (every fixture county, and synthetic counties
of every installed standard, pass it), and what it lists as missing must really be missing: taking
any set of required inputs out of a county makes it list exactly those, and evaluation alone then
fails too.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel.batch.synth import generate
from standards_kernel.errors import SubmissionError
from standards_kernel.kernel.completeness import (IncompleteSubmission, Reads, check, missing_inputs, read_data,
                                                 read_file)
from standards_kernel.kernel.evaluate import MissingInput, evaluate
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import flatten, read_submission, submission_from_data
from tests.helpers import FIXTURES, YUANJIANG

REGISTRY = default_registry(warn=False)
COUNTIES = sorted((FIXTURES / "counties").glob("*/*.toml"))


def scored(path: Path) -> tuple[Any, Any] | None:
    """The fixture's submission and standard, when the kernel scores it (None for bad-input fixtures)."""
    submission = read_submission(path)
    try:
        standard = REGISTRY.resolve_id(submission.standard, submission.as_of)
        evaluate(submission, standard)
    except Exception:  # a fixture of bad input: not this test's subject
        return None
    return submission, standard


@pytest.mark.parametrize("path", COUNTIES, ids=[f"{p.parent.name}/{p.stem}" for p in COUNTIES])
def test_no_fixture_county_the_kernel_scores_is_refused(path: Path) -> None:
    found = scored(path)
    assert found is not None, f"{path} no longer evaluates"
    submission, standard = found
    assert missing_inputs(submission, standard) == []
    check(submission, standard)  # raises if anything is listed


@pytest.mark.parametrize("key", sorted(s.key for s in REGISTRY.load_all()[0]))
def test_synthetic_counties_of_every_standard_pass(key: str) -> None:
    standard = REGISTRY.get(key)
    for data in generate(standard, counties=3, schools=4, seed=7, standard_ref=key):
        submission = submission_from_data(data)
        assert missing_inputs(submission, standard) == [], key


def _raw(path: Path) -> dict[str, Any]:
    import tomllib
    from decimal import Decimal

    return tomllib.loads(path.read_text("utf-8"), parse_float=Decimal)


def _without(raw: dict[str, Any], names: list[str]) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    out["data"] = {k: v for k, v in flatten(out.get("data", {}), "data").items() if k not in names}
    return out


def _required_county(path: Path) -> list[str]:
    found = scored(path)
    assert found is not None
    submission, standard = found
    reads = Reads(standard)
    return sorted(n for n in reads.county_required if n in submission.data)


# The fixtures whose standards read county inputs on every path.
WITH_COUNTY_INPUTS = [p for p in COUNTIES if scored(p) is not None and _required_county(p)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_removed_county_inputs_are_listed_exactly_and_are_really_needed(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(WITH_COUNTY_INPUTS))
    required = _required_county(path)
    removed = data.draw(st.lists(st.sampled_from(required), min_size=1, unique=True))
    submission, issues = read_data(_without(_raw(path), removed))
    assert issues == []
    standard = REGISTRY.resolve_id(submission.standard, submission.as_of)
    with pytest.raises(IncompleteSubmission) as caught:
        check(submission, standard)
    listed = {i.path for i in caught.value.issues}
    assert listed == {f"data.{n}" for n in removed}
    assert all(i.kind == "missing" and i.expected for i in caught.value.issues)
    with pytest.raises(MissingInput):  # the kernel, alone, agrees that something is missing
        evaluate(submission, standard)


def test_ten_missing_inputs_are_one_error_listing_ten() -> None:
    raw = _raw(YUANJIANG)
    raw["data"] = {}
    raw["townships"] = [{"id": "a", "name": "甲"}, {"id": "b", "name": "乙"}]
    submission, _ = read_data(raw)
    standard = REGISTRY.resolve_id(submission.standard, submission.as_of)
    with pytest.raises(IncompleteSubmission) as caught:
        check(submission, standard)
    paths = [i.path for i in caught.value.issues]
    assert len(paths) >= 10 and len(set(paths)) == len(paths)
    assert {"data.panel_scores.government", "data.totals.building_area_m2", "townships[0].enrolled.junior",
            "townships[1].enrolled.junior"} <= set(paths)
    text = str(caught.value)
    assert f"{len(paths)} inputs are missing" in text and all(p in text for p in paths)
    assert paths.index("townships[0].enrolled.junior") < paths.index("townships[1].enrolled.junior")
    # a formula with a published fallback: its inputs are listed, and the hint names the fallback
    assert "'enrolment_rate.junior'" in next(i.hint for i in caught.value.issues if i.path.startswith("townships"))


def test_a_unit_lacking_a_field_is_named_by_its_place() -> None:
    raw = _raw(YUANJIANG)
    raw["townships"] = [{"id": "z", "name": "甲", "enrolment_rate": {"junior": "90%"}}, {"id": "a", "name": "乙"}]
    submission, _ = read_data(raw)
    standard = REGISTRY.resolve_id(submission.standard, submission.as_of)
    issues = missing_inputs(submission, standard)
    # the file's order (not the ids'); the township's junior enrolment rate has a published fallback
    assert [i.path for i in issues] == ["townships[1].enrolled.junior", "townships[1].school_age_population.junior"]
    assert "'a'" in issues[0].message


def test_units_with_the_same_field_names_are_still_seen_each_by_its_own_students() -> None:
    # The check works out a segment view's names once per set of field names; whether a school
    # is in a segment's unit set at all still depends on its own students.
    standard = REGISTRY.get("national.quality-balance@2017")
    raw = next(iter(generate(standard, 1, 3, seed=7)))
    fields = {"name": "x", "students.primary": 0, "students.junior": 0, "students.senior": 0}
    raw["schools"] = [{"id": "a", **fields, "students.senior": 40},  # in neither segment's set
                      {"id": "b", **fields, "students.junior": 30},  # in qb_junior only
                      {"id": "c", **fields, "students.senior": 40}]
    submission = submission_from_data(raw)
    # qb_junior and qb_primary read ``kind`` for every school: only b is in one of them
    assert [i.path for i in missing_inputs(submission, standard)] == ["schools[1].kind"]
    raw["schools"][2]["students.primary"] = 5
    assert [i.path for i in missing_inputs(submission_from_data(raw), standard)] == ["schools[1].kind",
                                                                                     "schools[2].kind"]


def test_every_invalid_value_is_listed_with_its_line(tmp_path: Path) -> None:
    text = YUANJIANG.read_text("utf-8")
    text = text.replace('"dropout_rate.junior" = "2.59%"', '"dropout_rate.junior" = "lots"')
    text = text.replace("building_area_m2 = 281209", "building_area_m2 = -5")
    assert "lots" in text and "-5" in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('"enrolment_rate.junior" = "92.37%"', '"enrolment_rate.junior" = 7'), "utf-8")
    submission, issues = read_file(bad)
    assert [i.path for i in issues] == ["data.dropout_rate.junior", "data.totals.building_area_m2",
                                        "townships[0].enrolment_rate.junior"]
    lines = bad.read_text("utf-8").splitlines()
    for issue in issues:
        assert issue.kind == "invalid" and issue.line is not None
        assert issue.path.rsplit(".", 1)[-1].split(".")[-1] in lines[issue.line - 1]
    standard = REGISTRY.resolve_id(submission.standard, submission.as_of)
    with pytest.raises(IncompleteSubmission) as caught:  # the invalid ones, and what is missing without them
        check(submission, standard, issues=issues)
    listed = [i.path for i in caught.value.issues]
    assert listed[:3] == [i.path for i in issues] and len(listed) > 3


def test_one_problem_reads_as_it_always_did() -> None:
    raw = _raw(YUANJIANG)
    raw["data"]["panel_scores"]["teachers"] = -1
    with pytest.raises(SubmissionError) as plain:
        submission_from_data(raw)
    submission, issues = read_data(raw)
    assert len(issues) == 1 and issues[0].path == plain.value.path and issues[0].message == plain.value.message
    error = IncompleteSubmission(issues)
    assert error.path == plain.value.path and error.message == plain.value.message


def test_a_fault_that_is_not_a_value_is_the_kernels_own_error() -> None:
    raw = _raw(YUANJIANG)
    raw["schools"] = [{"id": "x", "students": {"primary": 3}}, {"id": "x", "students": {"primary": 4}}]
    with pytest.raises(SubmissionError, match="duplicate") as caught:
        read_data(raw)
    assert not isinstance(caught.value, IncompleteSubmission)


def _unit_candidates() -> list[tuple[Path, int, str]]:
    """(fixture, school index, field) for every field some unfiltered set reads of every school."""
    found = []
    for path in COUNTIES:
        got = scored(path)
        if got is None:
            continue
        submission, standard = got
        reads = Reads(standard)
        fields = set().union(*[f for (level, _), f in reads.unit_required.items() if level == "school"] or [set()])
        for unit in submission.schools:
            # not students: a school without any is refused before anything is read
            found += [(path, unit.index, f) for f in sorted(fields) if f in unit.values and not f.startswith("students")]
    return found


UNIT_CANDIDATES = _unit_candidates()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_removed_school_field_is_listed_and_really_needed(data: st.DataObject) -> None:
    path, index, field = data.draw(st.sampled_from(UNIT_CANDIDATES))
    raw = _raw(path)
    school = flatten(raw["schools"][index], f"schools[{index}]")
    del school[field]
    raw["schools"][index] = school
    submission, issues = read_data(raw)
    standard = REGISTRY.resolve_id(submission.standard, submission.as_of)
    listed = [i.path for i in missing_inputs(submission, standard)]
    try:
        evaluate(submission, standard)
    except SubmissionError:
        assert f"schools[{index}].{field}" in listed
    else:  # a field of a segment the school does not teach, or held as a whole-school field too
        assert f"schools[{index}].{field}" not in listed


def test_bad_values_and_a_fault_beside_them_are_listed_together() -> None:
    raw = _raw(YUANJIANG)
    raw["data"]["panel_scores"]["teachers"] = "many"
    raw["data"]["totals"]["building_area_m2"] = -1
    raw["nonsense"] = 1
    with pytest.raises(IncompleteSubmission) as caught:
        read_data(raw)
    paths = [i.path for i in caught.value.issues]  # the values in the file's order, then the fault
    assert sorted(paths[:2]) == ["data.panel_scores.teachers", "data.totals.building_area_m2"]
    assert paths[2] == "nonsense"
