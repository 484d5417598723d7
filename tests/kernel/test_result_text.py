"""The canonical JSON written as text (kernel/result_text.py ``result_json``) is, byte
for byte, ``canonical_json`` of the document written as data: on every fixture county, on
generated counties of every built-in standard, in both traces, and with unit ids and notes that
JSON must escape."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel.audit.decision import decide
from standards_kernel.errors import KernelError
from standards_kernel.batch.results import info_from_decision, info_from_result
from standards_kernel.kernel.formats import canonical_json
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import read_submission, submission_from_data
from standards_kernel.authoring.properties.generate import submissions
from tests.helpers import ROOT

FIXTURES = sorted((ROOT / "fixtures" / "counties").rglob("*.toml"))


def written_both_ways(decision: Any, trace: str) -> tuple[str, str]:
    return decision.to_json(trace=trace), canonical_json(decision.document(trace=trace))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_fixture_county_is_written_as_text_as_canonical_json_writes_its_data(path: Path) -> None:
    submission = read_submission(path)
    assert submission.standard is not None
    decision = decide(submission, default_registry().resolve(submission.standard, submission.as_of))
    for trace in ("summary", "full"):
        text, data = written_both_ways(decision, trace)
        assert text == data
    # what the batch's summary reads, from the decision as from its document
    assert info_from_decision("x", decision) == info_from_result("x", decision.document())


@pytest.mark.parametrize("key", ["national.quality-balance@2017", "national.basic-balance@2012",
                                 "yunnan.county-education@2009", "henan.basic-balance@2017",
                                 "guizhou.school-conditions@2014", "gansu.basic-balance@2017", "henan.advanced-county@2014"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_counties_are_written_as_text_as_their_data(key: str, data: st.DataObject) -> None:
    standard = default_registry().get(key)
    raw = data.draw(submissions(standard, max_schools=6))
    decision = decide(submission_from_data(copy.deepcopy(raw)), standard)
    for trace in ("summary", "full"):
        text, written = written_both_ways(decision, trace)
        assert text == written
    assert info_from_decision("x", decision) == info_from_result("x", decision.document())


UNIT_IDS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(UNIT_IDS, min_size=1, max_size=6, unique=True))
def test_unit_ids_json_must_escape_are_written_as_canonical_json_writes_them(ids: list[str]) -> None:
    path = ROOT / "fixtures" / "counties" / "national" / "quality-2017-floor-exact.toml"
    submission = read_submission(path)
    raw = copy.deepcopy(submission.canonical())
    schools = raw["schools"]
    for school, new_id in zip(schools, ids):
        school["id"] = new_id
    try:
        sub = submission_from_data(raw)
    except KernelError:  # an id the kernel refuses (e.g. a duplicate of a school left as it was)
        return
    standard = default_registry().resolve(str(submission.standard), submission.as_of)
    decision = decide(sub, standard)
    for trace in ("summary", "full"):
        text, written = written_both_ways(decision, trace)
        assert text == written


def test_text_kept_per_standard_is_used_only_for_the_objects_it_was_written_from() -> None:
    """An override makes new dated values (and a changed standard new indicators and rules): the
    text kept for the old objects must not be written for them, even where an id is reused."""
    import attrs

    from standards_kernel.kernel.evaluate import evaluate

    path = ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"
    submission = read_submission(path)
    standard = default_registry().resolve(str(submission.standard), submission.as_of)
    first = decide(submission, standard)
    assert first.to_json() == canonical_json(first.document())
    pid, (param, dated) = next((k, v) for k, v in evaluate(submission, standard).parameters.items()
                               if isinstance(v[1].value, Decimal))
    for value in ("0.5", "0.25", "0.125"):  # new dated values, each evaluated and dropped
        changed = attrs.evolve(dated, value=Decimal(value))
        evaluation = attrs.evolve(first.evaluation, parameters={**first.evaluation.parameters, pid: (param, changed)})
        again = attrs.evolve(first, evaluation=evaluation)
        text = again.to_json()
        assert text == canonical_json(again.document())
        assert json.loads(text)["parameters"][pid]["value"] == value
    assert first.to_json() == canonical_json(first.document())  # and the standard's own text still


def test_a_decision_with_its_sensitivity_section_is_written_as_its_data() -> None:
    from standards_kernel.audit.decision import with_sensitivity

    path = ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"
    submission = read_submission(path)
    decision = with_sensitivity(decide(submission, default_registry().resolve(str(submission.standard), submission.as_of)))
    assert decision.sensitivity  # the section is there, with flips
    for trace in ("summary", "full"):
        text, data = written_both_ways(decision, trace)
        assert text == data and '"sensitivity":' in text
