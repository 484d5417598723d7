"""The audit commands end to end: evaluate --record, ledger verify/list/show, replay, diff."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from standards_kernel import __version__
from standards_kernel.interfaces.cli.main import main
from standards_kernel.audit.ledger import ENV_LEDGER
from standards_kernel.audit.records import parse_json
from tests.helpers import ROOT

YUANJIANG = str(ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml")
GOLDEN = str(ROOT / "fixtures" / "records" / "yunnan-yuanjiang-2009.json")


@pytest.fixture
def ledger_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "audit" / "ledger.sqlite3"
    monkeypatch.setenv(ENV_LEDGER, str(path))
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def record_one(capsys, *extra: str) -> str:
    code, _, err = run(capsys, "evaluate", YUANJIANG, "--record", "--format", "json", *extra)
    assert code == 0, err
    return err.strip().splitlines()[-1].removeprefix("decision_id: ")


def test_record_in_text_prints_the_report_then_the_id(capsys, ledger_path) -> None:
    _, plain, _ = run(capsys, "evaluate", YUANJIANG)
    code, out, err = run(capsys, "evaluate", YUANJIANG, "--record")
    assert code == 0, err
    report, _, last = out.rstrip("\n").rpartition("\n")
    assert report + "\n" == plain
    assert last.startswith("decision_id: ") and len(last.split()[1]) == 32
    assert ledger_path.exists()


def test_record_in_json_keeps_stdout_byte_identical(capsys, ledger_path) -> None:
    _, plain, _ = run(capsys, "evaluate", YUANJIANG, "--format", "json")
    code, out, err = run(capsys, "evaluate", YUANJIANG, "--format", "json", "--record")
    assert code == 0
    assert out == plain
    assert err.startswith("decision_id: ")
    # The same decision again: the ledger keeps the first, and says so.
    code, out, err = run(capsys, "evaluate", YUANJIANG, "--format", "json", "--record")
    assert code == 0 and out == plain
    assert "already recorded (seq 1" in err
    code, out, _ = run(capsys, "ledger", "list", "--format", "json")
    assert len(out.splitlines()) == 1


def test_ledger_flag_wins_over_the_environment(capsys, ledger_path, tmp_path) -> None:
    other = tmp_path / "other.sqlite3"
    record_one(capsys, "--ledger", str(other))
    assert other.exists() and not ledger_path.exists()


def test_ledger_without_record_is_a_usage_error(capsys, ledger_path) -> None:
    code, out, err = run(capsys, "evaluate", YUANJIANG, "--ledger", str(ledger_path))
    assert code == 2 and out == ""
    assert "--ledger names where --record writes" in err


def test_verify_intact_then_tampered(capsys, ledger_path) -> None:
    decision = record_one(capsys)
    code, out, _ = run(capsys, "ledger", "verify")
    assert code == 0 and "intact: 1 records, 1 standard contents; head " in out
    head = out.split("head ")[1].strip()
    code, out, _ = run(capsys, "ledger", "verify", "--expect-head", head, "--format", "json")
    assert code == 0 and json.loads(out)["intact"] is True
    conn = sqlite3.connect(str(ledger_path), isolation_level=None)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("UPDATE records SET body = replace(body, '91.5', '95.5')")
    conn.close()
    code, out, err = run(capsys, "ledger", "verify")
    assert code == 1
    assert f"NOT intact: record seq 1 (decision {decision}): content changed" in out
    assert "trigger records_no_update is missing" in err
    code, out, _ = run(capsys, "ledger", "verify", "--format", "json")
    problem = json.loads(out)["problem"]
    assert (code, problem["seq"], problem["kind"]) == (1, 1, "content changed")


def test_verify_of_a_missing_ledger_is_bad_input(capsys, ledger_path) -> None:
    code, out, err = run(capsys, "ledger", "verify")
    assert code == 2 and out == ""
    assert "no ledger here" in err and str(ledger_path) in err


def test_list_and_show(capsys, ledger_path, tmp_path) -> None:
    decision = record_one(capsys)
    code, out, err = run(capsys, "ledger", "list", "--county", "530428", "--standard", "yunnan.county-education@2009",
                         "--from", "2009-01-01", "--to", "2009-12-31", "--stage", "municipal_review")
    # Chinese unless asked otherwise: the stage and grade by their labels
    assert code == 0 and decision in out and "市级复评  教育工作合格县 91.5" in out and err == "共 1 条记录\n"
    code, out, err = run(capsys, "ledger", "list", "--county", "530428", "--lang", "en", "--show-ids")
    assert code == 0 and "municipal review  qualified county in education work [qualified] 91.5" in out
    assert err == "1 record\n"
    code, out, _ = run(capsys, "ledger", "list", "--county", "999999")
    assert code == 0 and out == ""
    code, out, _ = run(capsys, "ledger", "show", decision[:8])
    assert code == 0
    data = parse_json(out, file="-")
    assert data["decision_id"] == decision and data["ledger"]["seq"] == 1
    code, out, _ = run(capsys, "ledger", "show", decision, "--no-chain")
    assert "ledger" not in parse_json(out, file="-")
    path = tmp_path / "r.json"
    path.write_text(out, "utf-8")
    code, out, _ = run(capsys, "replay", str(path))
    assert code == 0 and out.startswith(f"重放 {decision}：完全一致")
    code, out, _ = run(capsys, "replay", str(path), "--lang", "en")
    assert code == 0 and out.startswith(f"replay {decision}: identical")
    code, out, err = run(capsys, "ledger", "show", "0000000000")
    assert code == 2 and "no decision 0000000000" in err


def test_replay_by_id_and_the_golden_record(capsys, ledger_path) -> None:
    decision = record_one(capsys)
    code, out, _ = run(capsys, "replay", decision, "--lang", "en")
    assert code == 0 and "identical" in out and "from the record" in out
    code, out, _ = run(capsys, "replay", decision, "--format", "json")
    assert code == 0 and json.loads(out) == {
        "decision_id": decision, "identical": True, "differences": [],
        "standard": {"key": "yunnan.county-education@2009", "sha256": json.loads(out)["standard"]["sha256"]},
        "recorded_kernel": __version__, "replayed_kernel": __version__}


def _fresh_record():
    from standards_kernel.kernel.evaluate import evaluate
    from standards_kernel.audit.records import record_evaluation
    from standards_kernel.kernel.registry import default_registry
    from standards_kernel.kernel.submission import read_submission

    submission = read_submission(YUANJIANG)
    return record_evaluation(evaluate(submission, default_registry().resolve("yunnan.county-education", submission.as_of)))


def test_replay_of_a_differing_record_exits_1(capsys, tmp_path) -> None:
    from standards_kernel.audit.records import make_record

    fresh = _fresh_record()
    body = json.loads(json.dumps(fresh.body))
    body["result"]["grade"] = "advanced"
    path = tmp_path / "older-kernel.json"
    path.write_text(make_record(body, fresh.standard_content, fresh.created_at).to_file_text(), "utf-8")
    code, out, _ = run(capsys, "replay", str(path), "--lang", "en")
    assert code == 1
    assert "DIFFERENT (1 field(s))" in out
    assert "Grade: advanced county in education work → qualified county in education work" in out
    code, out, _ = run(capsys, "replay", str(path))
    assert code == 1 and "不一致（1 处）" in out and "评定等级：教育工作先进县 → 教育工作合格县" in out


def test_replay_of_an_edited_record_is_refused(capsys, tmp_path) -> None:
    text = Path(GOLDEN).read_text("utf-8")
    assert '"score": "91.5"' in text
    text = text.replace('"score": "91.5"', '"score": "95"')
    path = tmp_path / "edited.json"
    path.write_text(text, "utf-8")
    code, out, err = run(capsys, "replay", str(path))
    assert code == 2 and out == ""
    assert "does not verify" in err and "edited.json" in err


def test_diff(capsys, ledger_path, tmp_path) -> None:
    review = record_one(capsys)
    changed = Path(YUANJIANG).read_text("utf-8").replace(
        "dilapidated_d_area_m2 = 45584", "dilapidated_d_area_m2 = 8436.27").replace(
        'stage = "municipal_review"', 'stage = "self"')
    self_file = tmp_path / "self.toml"
    self_file.write_text(changed, "utf-8")
    code, _, err = run(capsys, "evaluate", str(self_file), "--record", "--format", "json")
    self_eval = err.strip().removeprefix("decision_id: ")
    code, out, _ = run(capsys, "diff", self_eval, review)
    assert code == 1 and "阶段：自评 → 市级复评" in out and "全县中小学D级危房面积（公布值）：8,436.27 m² → 45,584 m²" in out
    assert "降等原因：无 → D级危房比例超过3%（先进县一票否决）" in out
    assert "d_class" not in out.split("\n", 2)[2]  # no ids below the two record lines, unless asked for
    code, out, _ = run(capsys, "diff", self_eval, review, "--lang", "en", "--show-ids")
    assert code == 1
    assert 'stage: "self" → "municipal_review"' in out
    assert 'data."totals.dilapidated_d_area_m2": "8436.27" → "45584"' in out
    assert 'grade: "advanced" → "qualified"' in out
    assert "vetoes.d_class_buildings.triggered: false → true" in out
    assert "other differences in the trace" in out
    code, out, _ = run(capsys, "ledger", "show", review)
    (tmp_path / "review.json").write_text(out, "utf-8")
    code, out, _ = run(capsys, "diff", review, str(tmp_path / "review.json"), "--format", "json")
    assert code == 0 and json.loads(out)["same"] is True


def test_ledger_without_an_action_prints_help(capsys) -> None:
    code, _, err = run(capsys, "ledger")
    assert code == 2 and "verify" in err


def test_a_ledger_whose_tables_were_removed(capsys, ledger_path) -> None:
    decision = record_one(capsys)
    conn = sqlite3.connect(str(ledger_path), isolation_level=None)
    conn.execute("DROP TABLE standards")  # its triggers go with it
    conn.close()
    code, out, err = run(capsys, "ledger", "show", decision)
    assert code == 2 and "cannot read the ledger: no such table: standards" in err
    code, out, err = run(capsys, "replay", decision)
    assert code == 2 and "no such table: standards" in err
    code, out, _ = run(capsys, "ledger", "verify")
    assert code == 1 and "NOT intact: the schema was altered" in out


def test_a_standard_given_as_a_path_is_recorded_by_file_name(capsys, ledger_path, monkeypatch) -> None:
    standard = ROOT / "provinces" / "yunnan" / "county-education-2009.toml"
    decision = record_one(capsys, "--standard", str(standard))
    monkeypatch.chdir(standard.parent)
    code, _, err = run(capsys, "evaluate", YUANJIANG, "--record", "--format", "json", "--standard", standard.name)
    assert code == 0 and f"decision_id: {decision}" in err  # the same evaluation, wherever it ran
    assert "already recorded" in err
    code, out, _ = run(capsys, "ledger", "show", decision)
    assert parse_json(out, file="-")["body"]["standard"]["requested"] == "file:county-education-2009.toml"
