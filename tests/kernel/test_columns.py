"""The column path (kernel/columns.py) decides exactly as the per-unit path: same documents, same errors.

The per-unit path stays in the kernel as the fallback of every column that is not plain, so it is
also the oracle here: ``per_unit_only()`` evaluates without the column path.
"""

from __future__ import annotations

import copy
import gc
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel.audit.decision import decide, summary_view
from standards_kernel.errors import KernelError
from standards_kernel.kernel import columns
from standards_kernel.kernel.columns import compiled, per_unit_only
from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.kernel.readings import Reading, UnitReadings
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import read_submission, submission_from_data
from standards_kernel.reporting.text import render_text
from standards_kernel.testing import submissions
from tests.helpers import DATA, ROOT, synthetic_county

FIXTURES = sorted((ROOT / "fixtures" / "counties").rglob("*.toml"))
STANDARDS = ("national.quality-balance@2017", "national.basic-balance@2012", "yunnan.county-education@2009",
             "henan.basic-balance@2017", "guizhou.school-conditions@2014")


def outcome(run: Callable[[], Any]) -> tuple[str, str]:
    """What a run gives: ("ok", canonical JSON) or ("error", the error's type and message)."""
    try:
        return "ok", run()
    except KernelError as error:
        return "error", f"{type(error).__name__}: {error}"


def both(run: Callable[[], Any]) -> tuple[tuple[str, str], tuple[str, str]]:
    columnar = outcome(run)
    with per_unit_only():
        per_unit = outcome(run)
    return columnar, per_unit


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_fixture_county_gives_the_same_document_and_report(path: Path) -> None:
    submission = read_submission(path)
    assert submission.standard is not None
    standard = default_registry().resolve(submission.standard, submission.as_of)
    columnar, per_unit = both(lambda: decide(submission, standard).to_json())
    assert columnar == per_unit
    text, text_per_unit = both(lambda: render_text(decide(submission, standard), "en"))
    assert text == text_per_unit


@pytest.mark.parametrize("key", STANDARDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_submissions_give_the_same_document_or_error(key: str, data: st.DataObject) -> None:
    standard = default_registry().get(key)
    raw = data.draw(submissions(standard, max_schools=8))
    columnar, per_unit = both(lambda: decide(submission_from_data(copy.deepcopy(raw)), standard).to_json())
    assert columnar == per_unit


@settings(max_examples=40, deadline=None)
@given(
    students=st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=12),
    books=st.lists(st.integers(min_value=0, max_value=90000), min_size=12, max_size=12),
    kinds=st.lists(st.sampled_from(["primary", "special", "teaching_point"]), min_size=12, max_size=12),
    drop=st.sampled_from([None, "books", "students", "kind"]),
)
def test_edge_units_give_the_same_document_or_error(synthetic_standard: Any, students: list[int], books: list[int], kinds: list[str],
                                                     drop: str | None) -> None:
    # Zero students (a zero divisor), missing fields and filtered units: the column path either
    # computes what the per-unit path computes or hands the units back to it, whose error stands.
    county = synthetic_county()
    schools = []
    for i, n in enumerate(students):
        school = copy.deepcopy(county["schools"][i % len(county["schools"])])
        school.update({"id": f"T{i:03d}", "kind": kinds[i], "students": {"primary": n}, "books": books[i]})
        if drop is not None and i == len(students) - 1:
            school.pop(drop, None)
        schools.append(school)
    raw = {**county, "schools": schools}

    def run() -> str:
        return decide(submission_from_data(copy.deepcopy(raw)), synthetic_standard).to_json()

    columnar, per_unit = both(run)
    assert columnar == per_unit


def test_the_column_path_is_taken_and_builds_readings_only_when_asked(synthetic_standard: Any,
                                                                     county: dict[str, Any]) -> None:
    evaluation = evaluate(submission_from_data(county), synthetic_standard)
    units = evaluation.indicators["books_per_student"].units
    assert isinstance(units, UnitReadings)
    assert units._built == {}  # nothing built by the evaluation itself
    with per_unit_only():
        oracle = evaluate(submission_from_data(county), synthetic_standard)
    assert dict(units) == dict(oracle.indicators["books_per_student"].units)  # builds every reading
    assert list(units) == list(oracle.indicators["books_per_student"].units)
    assert evaluation.indicators["school_ok"].failed_units == oracle.indicators["school_ok"].failed_units
    assert evaluation.indicators["school_ok"].met == oracle.indicators["school_ok"].met
    assert evaluation == oracle


def test_unit_readings_behave_as_a_mapping_and_pickle_as_one() -> None:
    units = UnitReadings(["b", "a"], [1, 2], [True, False], 1, ["x"], [[10, 20]], {"lim": 1}, ["n0", "n1"])
    assert list(units) == ["b", "a"] and len(units) == 2 and "a" in units and "c" not in units
    assert units["b"] == Reading(1, True, 1, {"x": 10, "lim": 1}, "n0")
    assert units["a"] == Reading(2, False, 1, {"x": 20}, "n1")
    assert units.failed() == ("a",)
    with pytest.raises(KeyError):
        units["c"]
    assert pickle.loads(pickle.dumps(units)) == dict(units)


def test_a_standard_is_compiled_once_and_forgotten_with_it() -> None:
    standard = load_standard_file(DATA / "standards" / "synthetic.toml")
    first = compiled(standard)
    assert compiled(standard) is first
    assert first.steps["books_per_student"].names == ("books", "students")
    key = id(standard)
    assert key in columns._CACHE
    del standard, first
    gc.collect()
    assert key not in columns._CACHE


def test_a_filter_looks_right_of_or_only_where_the_left_does_not_decide(tmp_path: Path,
                                                                       county: dict[str, Any]) -> None:
    # A primary school without books never reaches the division on the right of ``or``; a
    # special school without books does, and that is the per-unit path's error, word for word.
    text = (DATA / "standards" / "synthetic.toml").read_text("utf-8")
    text = text.replace("where = \"kind != 'special' and not (kind == 'teaching_point' and students < 50)\"",
                        "where = \"kind == 'primary' or students / books >= 0\"")
    path = tmp_path / "filtered.toml"
    path.write_text(text, "utf-8")
    standard = load_standard_file(path)
    schools = county["schools"]
    empty_primary = {**schools[0], "id": "Z", "books": 0}
    empty_special = {**empty_primary, "kind": "special"}
    big_special = {**schools[1], "id": "Y", "kind": "special"}
    results = []
    for extra in ([], [big_special], [empty_primary, big_special], [empty_special]):
        submission = submission_from_data({**county, "schools": schools + extra})
        columnar, per_unit = both(lambda: decide(submission, standard).to_json())
        assert columnar == per_unit
        results.append(columnar[0])
    assert results == ["ok", "ok", "ok", "error"]


def test_the_summary_view_drops_only_what_each_unit_read(synthetic_standard: Any, county: dict[str, Any]) -> None:
    document = decide(submission_from_data(county), synthetic_standard).document(trace="full")
    summary = summary_view(document)
    assert document["trace"] == "full" and "trace" not in summary
    for iid, data in document["indicators"].items():
        if "units" not in data:
            assert summary["indicators"][iid] == data
            continue
        for uid, unit in data["units"].items():
            assert {k: v for k, v in unit.items() if k != "reads"} == summary["indicators"][iid]["units"][uid]
    assert any("reads" in u for d in document["indicators"].values() for u in d.get("units", {}).values())
    assert {k: v for k, v in summary.items() if k != "indicators"} == \
        {k: v for k, v in document.items() if k not in ("indicators", "trace")}
    decision = decide(submission_from_data(county), synthetic_standard)
    assert decision.document() == decision.document(trace="summary") == summary  # built without the reads
    with per_unit_only():
        assert decide(submission_from_data(county), synthetic_standard).document() == summary
    with pytest.raises(ValueError):
        decision.document(trace="everything")


def test_the_submission_hash_is_kept_and_a_changed_copy_gets_its_own(county: dict[str, Any]) -> None:
    submission = submission_from_data(county)
    first = submission.sha256
    assert submission.sha256 == first
    changed = attrs.evolve(submission, data={**submission.data, "satisfaction_surveyed": 1001})
    assert changed.sha256 != first
    assert submission_from_data(county).sha256 == first


def test_the_command_prints_the_canonical_document_by_default_and_the_full_trace_on_request(capsys: Any) -> None:
    from standards_kernel.interfaces.cli.main import main

    path = ROOT / "fixtures" / "counties" / "national" / "quality-2017-floor-exact.toml"
    assert main(["evaluate", str(path), "--format", "json"]) == 0
    canonical = capsys.readouterr().out
    assert main(["evaluate", str(path), "--format", "json", "--trace", "summary"]) == 0
    assert capsys.readouterr().out == canonical
    assert main(["evaluate", str(path), "--format", "json", "--trace", "full"]) == 0
    full = json.loads(capsys.readouterr().out)
    submission = read_submission(path)
    assert submission.standard is not None
    decision = decide(submission, default_registry().resolve(submission.standard, submission.as_of))
    assert canonical == decision.to_json() + "\n"
    assert full["trace"] == "full" and summary_view(full) == json.loads(canonical)


def test_importing_the_package_loads_no_feature_until_a_name_is_used() -> None:
    code = ("import sys, standards_kernel as s; before = 'standards_kernel.audit.decision' in sys.modules; "
            "s.decide; print(before, 'standards_kernel.audit.decision' in sys.modules, s.hookimpl is not None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "True"]
