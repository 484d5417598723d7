"""Evidence slots (佐证资料): references to supporting files in a submission, hashed into the record
and the ledger, listed by the reports, never read; a submission without them keeps its bytes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema_rs
import pytest
from hypothesis import given, settings, strategies as st

from standards_kernel.audit.records import read_record_file
from standards_kernel.errors import SubmissionError
from standards_kernel.interfaces.server.schema import submission_schema
from standards_kernel.kernel.completeness import IncompleteSubmission, check
from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.kernel.formats import canonical_json
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import parse_submission, read_submission, submission_from_data
from standards_kernel.reporting.html import evaluation_html, render_html
from standards_kernel.reporting.text import render_result_text, render_text
from tests.helpers import ROOT
from tests.helpers.server import cli, cli_main

YUANJIANG = ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"
COUNTIES = sorted((ROOT / "fixtures" / "counties").rglob("*.toml"))
REPORT_SHA = hashlib.sha256(b"report").hexdigest()
TABLE_SHA = hashlib.sha256(b"table").hexdigest()
EVIDENCE = f'''
[[evidence]]
for = "data.totals.dilapidated_d_area_m2"
name = "D级危房鉴定报告.pdf"
sha256 = "{REPORT_SHA.upper()}"
note = "县住建局鉴定"

[[evidence]]
for = "d_class_ratio"
name = "校舍面积统计表.xlsx"
sha256 = "{TABLE_SHA}"

[[evidence]]
for = "townships.yinyuan.enrolment_rate.junior"
name = "因远镇入学统计.pdf"
sha256 = "{TABLE_SHA}"
'''

#: Canonical sha256 of every fixture county, taken before evidence existed: they must not move.
FIXTURE_SHA = {
    "gansu/bianjie-2016": "7b500ee2de5e2a01343249ed835a7090c08189af773f99deedfd91270a896df7",
    "gansu/jia-2016": "0d0533d205b874fa3b954fecb65aed6375803699f0c0d34c79b27ce2d252d04d",
    "yunnan/yuanjiang-2009": "89f45683ce085e28205f1b6355c67986f08e86ecc4ac05fbd2cc268fe72570d7",
}


def with_evidence(tmp_path: Path, extra: str = EVIDENCE) -> Path:
    path = tmp_path / "yuanjiang-evidence.toml"
    path.write_text(YUANJIANG.read_text("utf-8") + extra, "utf-8")
    return path


def test_evidence_is_read_normalised_sorted_and_hashed(tmp_path: Path) -> None:
    plain, given_ = read_submission(YUANJIANG), read_submission(with_evidence(tmp_path))
    assert [e.target for e in given_.evidence] == ["d_class_ratio", "data.totals.dilapidated_d_area_m2",
                                                   "townships.yinyuan.enrolment_rate.junior"]
    entries = given_.canonical()["evidence"]
    assert entries[1] == {"for": "data.totals.dilapidated_d_area_m2", "name": "D级危房鉴定报告.pdf",
                          "sha256": REPORT_SHA, "note": "县住建局鉴定"}
    assert "note" not in entries[0]
    assert given_.sha256 != plain.sha256
    without = {k: v for k, v in given_.canonical().items() if k != "evidence"}
    assert canonical_json(without) == canonical_json(plain.canonical())
    # the canonical form reads back to itself (replay rebuilds the submission from it)
    again = submission_from_data(json.loads(canonical_json(given_.canonical())))
    assert again.sha256 == given_.sha256 and again.evidence == given_.evidence


@pytest.mark.parametrize("fixture", COUNTIES, ids=[f"{p.parent.name}/{p.stem}" for p in COUNTIES])
def test_a_submission_without_evidence_keeps_its_canonical_bytes(fixture: Path) -> None:
    submission = read_submission(fixture)
    assert "evidence" not in submission.canonical()
    assert hashlib.sha256(canonical_json(submission.canonical()).encode()).hexdigest() == submission.sha256
    key = f"{fixture.parent.name}/{fixture.stem}"
    if key in FIXTURE_SHA:
        assert submission.sha256 == FIXTURE_SHA[key]


def test_golden_records_still_hold_the_submissions_they_were_made_of() -> None:
    golden = ROOT / "fixtures" / "records" / "yunnan-yuanjiang-2009.json"
    record = read_record_file(golden)
    assert "evidence" not in record.submission
    assert read_submission(YUANJIANG).sha256 == record.body["submission_sha256"]


@pytest.mark.parametrize("entry, path, words", [
    ('for = "data.nowhere"\nname = "a.pdf"\nsha256 = "{h}"', "evidence[0].for", "no data field 'nowhere'"),
    ('for = "schools.none.teachers"\nname = "a.pdf"\nsha256 = "{h}"', "evidence[0].for", "no such record"),
    ('for = "Not An Id!"\nname = "a.pdf"\nsha256 = "{h}"', "evidence[0].for", "not an input path"),
    ('for = "d_class_ratio"\nname = "a.pdf"\nsha256 = "abc123"', "evidence[0].sha256", "64 hex digits"),
    ('for = "d_class_ratio"\nname = "a.pdf"\nsha256 = "{h}z"', "evidence[0].sha256", "64 hex digits"),
    ('for = "d_class_ratio"\nsha256 = "{h}"', "evidence[0].name", "needs 'name'"),
    ('for = "d_class_ratio"\nname = "a.pdf"\nsha256 = "{h}"\nsize = 3', "evidence[0].size", "unknown key 'size'"),
    ('for = "d_class_ratio"\nname = 5\nsha256 = "{h}"', "evidence[0].name", "expected text"),
    ('for = "d_class_ratio"\nname = "a.pdf"\nsha256 = "{h}"\n\n[[evidence]]\nfor = "d_class_ratio"\n'
     'name = "a.pdf"\nsha256 = "{h}"', "evidence[1].name", "given twice"),
])
def test_bad_evidence_is_refused_naming_file_line_and_field(tmp_path: Path, entry: str, path: str, words: str) -> None:
    file = with_evidence(tmp_path, "\n[[evidence]]\n" + entry.format(h=REPORT_SHA) + "\n")
    with pytest.raises(SubmissionError) as caught:
        read_submission(file)
    error = caught.value
    assert error.path == path and words in error.message
    assert error.file == str(file)
    lines = file.read_text("utf-8").splitlines()
    assert error.line is not None and lines[error.line - 1].split("=")[0].strip() in (path.rsplit(".", 1)[1], "[[evidence]]")


def test_evidence_must_be_a_list() -> None:
    with pytest.raises(SubmissionError, match="list of evidence"):
        submission_from_data({"evidence": {"for": "x"}})


def test_an_indicator_the_standard_lacks_is_refused_before_evaluation(tmp_path: Path) -> None:
    file = with_evidence(tmp_path, f'\n[[evidence]]\nfor = "no_such_indicator"\nname = "a.pdf"\nsha256 = "{REPORT_SHA}"\n')
    submission = read_submission(file)  # the submission alone cannot know the standard's indicators
    standard = default_registry().resolve(submission.standard, submission.as_of)
    with pytest.raises(IncompleteSubmission) as caught:
        check(submission, standard)
    assert caught.value.path == "evidence[0].for" and "not an indicator of yunnan" in caught.value.message
    result = cli("evaluate", str(file))
    assert result.returncode == 2 and "evidence[0].for" in result.stderr and "Traceback" not in result.stderr


def test_evidence_round_trip_record_ledger_replay_report(tmp_path: Path) -> None:
    file, ledger = with_evidence(tmp_path), tmp_path / "ledger.sqlite3"
    code, out = cli_main("evaluate", str(file), "--record", "--ledger", str(ledger))
    assert code == 0
    decision_id = out.strip().splitlines()[-1].split()[-1]
    assert cli_main("ledger", "verify", "--ledger", str(ledger))[0] == 0
    code, out = cli_main("replay", decision_id, "--ledger", str(ledger), "--format", "json")
    assert code == 0 and json.loads(out)["identical"] is True
    code, shown = cli_main("ledger", "show", decision_id, "--ledger", str(ledger))
    record_file = tmp_path / "record.json"
    record_file.write_text(shown, "utf-8")
    record = read_record_file(record_file)
    assert record.submission["evidence"] == read_submission(file).canonical()["evidence"]
    assert record.body["submission_sha256"] == read_submission(file).sha256
    # the record hashes the evidence: change one digit and the record no longer verifies
    tampered = json.loads(shown)
    tampered["body"]["submission"]["evidence"][0]["sha256"] = "0" * 64
    record_file.write_text(json.dumps(tampered, ensure_ascii=False), "utf-8")
    with pytest.raises(Exception, match="does not verify"):
        read_record_file(record_file)
    # the reports list the files by label, in either language, from a record as from an evaluation
    zh = render_result_text(record.result, "zh", evidence=record.submission["evidence"])
    en = render_result_text(record.result, "en", evidence=record.submission["evidence"])
    assert "佐证资料：" in zh and "  D级危房面积占校舍总面积比例" in zh and f"sha256 {REPORT_SHA[:12]}) — 县住建局鉴定" in zh
    assert "乡镇 yinyuan · " in zh
    assert "Evidence:" in en and "  D-class dilapidated share of school floor area" in en
    assert "township yinyuan · junior enrolment rate" in en
    page = render_html(record.result, lang="en", evidence=record.submission["evidence"])
    assert '<section id="evidence">' in page and f'title="{REPORT_SHA}"' in page


def test_the_evaluate_command_and_the_html_page_list_evidence(tmp_path: Path) -> None:
    file = with_evidence(tmp_path)
    submission = read_submission(file)
    evaluation = evaluate(submission, default_registry().resolve(submission.standard, submission.as_of))
    assert "佐证资料" in render_text(evaluation) and "佐证资料" in evaluation_html(evaluation)
    code, out = cli_main("evaluate", str(file), "--lang", "en")
    assert code == 0 and "Evidence:" in out and "D级危房鉴定报告.pdf" in out
    plain = read_submission(YUANJIANG)
    bare = evaluate(plain, default_registry().resolve(plain.standard, plain.as_of))
    assert "佐证资料" not in render_text(bare) and 'id="evidence"' not in evaluation_html(bare)
    # the evidence changes the input hash and nothing of the decision
    assert evaluation.submission.sha256 != bare.submission.sha256


def test_convert_keeps_evidence_and_the_api_schema_accepts_it(tmp_path: Path) -> None:
    file = with_evidence(tmp_path)
    code, out = cli_main("convert", str(file))
    assert code == 0
    body = json.loads(out)
    assert [e["for"] for e in body["evidence"]][0] == "data.totals.dilapidated_d_area_m2"
    assert submission_from_data(json.loads(out, parse_float=str)).sha256 == read_submission(file).sha256
    standard = default_registry().resolve("yunnan.county-education@2009", None)
    validator = jsonschema_rs.Draft202012Validator(submission_schema(standard))
    assert validator.is_valid(body), [e.message for e in validator.iter_errors(body)]
    body["evidence"][0]["sha256"] = "nothex"
    assert not validator.is_valid(body)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["d_class_ratio", "data.totals.building_area_m2", "total_score"]),
                          st.text(min_size=1, max_size=8).filter(str.strip), st.binary(max_size=8)),
                min_size=1, max_size=5, unique_by=lambda t: (t[0], t[1])))
def test_the_order_of_evidence_entries_never_changes_the_hash(entries: list[tuple[str, str, bytes]]) -> None:
    base = json.loads(canonical_json(read_submission(YUANJIANG).canonical()))
    raw = [{"for": f, "name": n, "sha256": hashlib.sha256(b).hexdigest()} for f, n, b in entries]
    forward = submission_from_data({**base, "evidence": raw})
    backward = submission_from_data({**base, "evidence": raw[::-1]})
    assert forward.sha256 == backward.sha256
    assert len(forward.canonical()["evidence"]) == len(entries)


def test_the_api_records_evidence_and_refuses_an_unknown_indicator(tmp_path: Path) -> None:
    from tests.helpers.server import running_server, submission_json

    body = json.loads(submission_json(with_evidence(tmp_path)))
    with running_server("--ledger", str(tmp_path / "ledger.sqlite3")) as server:
        recorded = server.client.post("/v1/evaluations?record=true", content=json.dumps(body, ensure_ascii=False),
                                      headers={"Content-Type": "application/json"})
        assert recorded.status_code == 201, recorded.text
        decision_id = recorded.json()["decision_id"]
        record = server.client.get(f"/v1/records/{decision_id}").json()
        assert [e["for"] for e in record["body"]["submission"]["evidence"]] == [
            "d_class_ratio", "data.totals.dilapidated_d_area_m2", "townships.yinyuan.enrolment_rate.junior"]
        replayed = server.client.post(f"/v1/records/{decision_id}/replay")
        assert replayed.status_code == 200 and replayed.json()["identical"] is True
        body["evidence"][0]["for"] = "no_such_indicator"
        refused = server.client.post("/v1/evaluations", content=json.dumps(body, ensure_ascii=False))
        assert refused.status_code == 422 and "evidence[0].for" in refused.text
