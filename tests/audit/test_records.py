"""Evaluation records: what they hold, their hashes, files, and the submission round trip."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.kernel.formats import content_json
from standards_kernel.kernel.numbers import canonical
from standards_kernel.audit.records import (
    FORMAT,
    canonical_text,
    RecordError,
    check_record,
    from_file_data,
    make_record,
    parse_json,
    read_record_file,
    record_evaluation,
    sha256_hex,
)
from standards_kernel.kernel.registry import default_registry
from standards_kernel.audit.decision import to_canonical
from standards_kernel.kernel.submission import read_submission, submission_from_data
from standards_kernel.kernel.vocabulary import vocabulary
from tests.helpers import ROOT

YUANJIANG = ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"


@pytest.fixture(scope="module")
def evaluation():
    submission = read_submission(YUANJIANG)
    standard = default_registry().resolve("yunnan.county-education", submission.as_of)
    return evaluate(submission, standard)


@pytest.fixture(scope="module")
def record(evaluation):
    return record_evaluation(evaluation, created_at="2025-01-01T00:00:00.000000Z")


def test_record_holds_everything_a_replay_needs(record, evaluation) -> None:
    body = record.body
    assert body["format"] == FORMAT
    assert body["submission"] == evaluation.submission.canonical()
    assert body["submission_sha256"] == evaluation.submission.sha256
    assert body["standard"] == {
        "id": "yunnan.county-education", "edition": "2009", "sha256": evaluation.standard.sha256,
        "requested": "yunnan.county-education@2009",
    }
    assert body["as_of"] == "2009-05-13"
    assert body["stage"] == "municipal_review"
    assert body["evaluator"] == "市人民政府教育工作督导复评组"
    assert body["result"] == to_canonical(evaluation)
    assert {p["name"] for p in body["plugins"]} == set(default_registry().plugins)
    assert all(p["version"] and p["distribution"] for p in body["plugins"])
    # The content itself is there and hashes to the standard's sha256: no dependence on what is
    # installed when the record is read.
    assert sha256_hex(content_json(record.standard_content)) == evaluation.standard.sha256
    assert check_record(record) == []


def test_decision_id_is_the_body_hash_and_ignores_created_at(evaluation, record) -> None:
    again = record_evaluation(evaluation, created_at="2031-06-30T12:00:00.000000Z")
    assert again.decision_id == record.decision_id
    assert record.record_sha256 == sha256_hex(content_json(record.body))
    assert canonical_text(record.body) == content_json(record.body) == record.body_text
    assert record.decision_id == record.record_sha256[:32]
    other = record_evaluation(evaluation, requested="yunnan.county-education@2009 (pinned)")
    assert other.decision_id != record.decision_id


def test_file_round_trip_keeps_hashes(record, tmp_path) -> None:
    path = tmp_path / "r.json"
    path.write_text(record.to_file_text(), "utf-8")
    back = read_record_file(path)
    assert back.body == record.body
    assert back.standard_content == record.standard_content
    assert back.decision_id == record.decision_id
    assert back.created_at == record.created_at
    # Decimals in the content are read back as Decimal, never as float.
    numbers = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        else:
            numbers.append(value)

    walk(back.standard_content)
    assert not any(isinstance(v, float) for v in numbers)
    assert any(isinstance(v, Decimal) for v in numbers)


def _file_data(record) -> dict:
    return parse_json(record.to_file_text(), file="t")


def test_changed_result_is_detected(record) -> None:
    data = _file_data(record)
    data["body"]["result"]["score"] = "99"
    with pytest.raises(RecordError, match="does not match record_sha256"):
        from_file_data(data, file="changed.json")


def test_changed_standard_content_is_detected(record) -> None:
    data = _file_data(record)
    data["standard_content"]["standard"]["title"]["en"] += " (edited)"
    with pytest.raises(RecordError, match="standard content does not match"):
        from_file_data(data, file="changed.json")


def test_rehashed_but_inconsistent_body_is_detected(record) -> None:
    body = copy.deepcopy(dict(record.body))
    body["submission"]["data"]["totals.dilapidated_d_area_m2"] = "1"
    forged = make_record(body, record.standard_content, record.created_at)
    problems = check_record(forged)
    assert "the submission does not match submission_sha256" in problems


def test_bad_files_name_the_problem(tmp_path, record) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"body": {}, \n "x": ', "utf-8")
    with pytest.raises(RecordError, match=r"bad.json:2: malformed JSON"):
        read_record_file(bad)
    data = _file_data(record)
    data["extra"] = 1
    with pytest.raises(RecordError, match="unknown key 'extra'"):
        from_file_data(data, file="x.json")
    data = _file_data(record)
    del data["standard_content"]
    with pytest.raises(RecordError, match="standard_content: required key missing"):
        from_file_data(data, file="x.json")
    with pytest.raises(RecordError, match="cannot read the record"):
        read_record_file(tmp_path / "missing.json")


# --- the canonical submission rebuilds the same submission ----------------------------------------


def _round_trip(raw: dict) -> None:
    submission = submission_from_data(raw)
    text = json.dumps(submission.canonical())  # what a record stores (decimals as text)
    again = submission_from_data(json.loads(text))
    assert again.canonical() == submission.canonical()
    assert again.sha256 == submission.sha256
    # Vocabulary names come back with their exact type and value. A standard's own inputs
    # (``yunnan.x``) are kept untyped until evaluation, which coerces them through the standard's
    # declared type, so a number that comes back as its canonical text evaluates the same.
    own = {k for k in submission.data if k.startswith("yunnan.")}
    assert {k: v for k, v in again.data.items() if k not in own} == {
        k: v for k, v in submission.data.items() if k not in own}
    for name in own:
        before, after = submission.data[name], again.data[name]
        if isinstance(before, Decimal):
            assert after == canonical(before)
        else:
            assert after == before and type(after) is type(before)
    assert [u.values for u in again.schools] == [u.values for u in submission.schools]
    assert [u.values for u in again.townships] == [u.values for u in submission.townships]


def _names_by_type(level: str) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for name, spec in sorted(vocabulary()[level].items()):
        if name in ("id", "township"):
            continue
        chosen.setdefault(spec.type, name[:-2] + ".x1" if name.endswith(".*") else name)
    return chosen


def _value(kind: str, name: str, level: str, number: Decimal, flag: bool):
    specs = vocabulary()[level]
    spec = specs.get(name) or specs[name.rsplit(".", 1)[0] + ".*"]
    if kind == "text":
        return spec.choices[0] if spec.choices else "文本 text"
    if kind == "bool":
        return flag
    if kind in ("count",):
        return int(number * 1000)
    if kind == "fact":
        return flag if number < Decimal("0.5") else int(number * 10)
    if kind == "rate":
        return number if flag else f"{number * 100}%"
    return number * 1000


@settings(max_examples=60, deadline=None)
@given(
    number=st.decimals(min_value=0, max_value=1, places=6, allow_nan=False, allow_infinity=False),
    flag=st.booleans(),
)
def test_every_vocabulary_type_round_trips(number: Decimal, flag: bool) -> None:
    levels = {level: _names_by_type(level) for level in ("county", "school", "township")}
    data = {name: _value(kind, name, "county", number, flag) for kind, name in levels["county"].items()}
    school = {"id": "s1", "students.primary": 10, "township": "t1"}
    school.update({name: _value(kind, name, "school", number, flag) for kind, name in levels["school"].items()})
    school["students.primary"] = 10
    township = {"id": "t1"}
    township.update({name: _value(kind, name, "township", number, flag) for kind, name in levels["township"].items()})
    data.update({"yunnan.own_number": number, "yunnan.own_text": "12.50", "yunnan.own_flag": flag})
    raw = {
        "county": {"code": "530428", "name": "元江", "province": "yunnan"},
        "evaluation": {"as_of": "2009-05-13", "stage": "self", "evaluator": "x", "standard": "yunnan.county-education"},
        "data": data,
        "schools": [school],
        "townships": [township],
    }
    _round_trip(raw)


def test_all_vocabulary_types_are_covered() -> None:
    kinds = set()
    for level in ("county", "school", "township"):
        kinds |= set(_names_by_type(level))
    assert {"count", "amount", "rate", "bool", "text", "fact", "points"} <= kinds


def test_yuanjiang_submission_round_trips() -> None:
    submission = read_submission(YUANJIANG)
    again = submission_from_data(json.loads(json.dumps(submission.canonical())))
    assert again.sha256 == submission.sha256
