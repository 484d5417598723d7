"""Replay and diff. The golden records in fixtures/records/ must all replay identically: this is
the test CI runs to catch any change of the kernel's semantics since they were recorded."""

from __future__ import annotations

import copy
import json
import datetime as dt
from pathlib import Path

import attrs
import pytest

from standards_kernel import __version__
from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.kernel.expressions import Function
from standards_kernel.audit.records import RecordError, make_record, read_record_file, record_evaluation
from standards_kernel.kernel.registry import default_registry
from standards_kernel.audit.decision import EARLIER_FORMATS, FORMAT
from standards_kernel.audit.replay import ABSENT, Difference, diff_records, json_diff, replay
from standards_kernel.kernel.submission import read_submission
from tests.helpers import ROOT

GOLDEN = sorted((ROOT / "fixtures" / "records").glob("*.json"))
YUANJIANG = ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"


def test_there_are_golden_records() -> None:
    names = {p.name for p in GOLDEN}
    assert "yunnan-yuanjiang-2009.json" in names


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name for p in GOLDEN])
def test_golden_record_replays_identically(path: Path) -> None:
    record = read_record_file(path)
    outcome = replay(record)
    assert outcome.error is None, outcome.error
    assert outcome.identical, "\n".join(d.render() for d in outcome.differences)
    assert outcome.differences == ()


def test_golden_records_do_not_depend_on_installed_standards(monkeypatch) -> None:
    """Replay reads the standard from the record: with no plugin installed at all it still works."""
    monkeypatch.setenv("STANDARDS_KERNEL_PLUGINS", "")  # empty: no plugin at all
    assert default_registry().keys() == []
    checked = 0
    for path in GOLDEN:
        record = read_record_file(path)
        if record.body["functions"]:  # those need their plugin's functions: covered above
            continue
        assert replay(record, functions={}).identical, path.name
        checked += 1
    assert checked >= 1


@pytest.fixture(scope="module")
def record():
    submission = read_submission(YUANJIANG)
    standard = default_registry().resolve("yunnan.county-education", submission.as_of)
    return record_evaluation(evaluate(submission, standard), created_at="2025-01-01T00:00:00.000000Z")


def _with_result(record, change):
    """A consistent record whose result differs, as a kernel with other semantics made it."""
    body = copy.deepcopy(dict(record.body))
    change(body["result"])
    return make_record(body, record.standard_content, record.created_at)


def test_a_changed_semantics_shows_field_by_field(record) -> None:
    def change(result):
        result["score"] = "90"
        result["indicators"]["panel_government"]["points"] = "17"
        result["vetoes"]["d_class_buildings"]["triggered"] = False

    outcome = replay(_with_result(record, change))
    assert not outcome.identical and outcome.error is None
    found = {d.path: (d.before, d.after) for d in outcome.differences}
    assert found == {
        "score": ("90", "91.5"),
        "indicators.panel_government.points": ("17", "18.5"),
        "vetoes.d_class_buildings.triggered": (False, True),
    }
    assert outcome.differences[0].render() == "indicators.panel_government.points: recorded \"17\", replayed \"18.5\""


def test_a_new_field_in_the_result_is_a_difference(record) -> None:
    outcome = replay(_with_result(record, lambda result: result.pop("assumptions")))
    assert not outcome.identical
    assert [(d.path, d.before) for d in outcome.differences] == [("assumptions", ABSENT)]


def test_kernel_version_alone_is_not_a_difference(record) -> None:
    def older(result):
        result["kernel_version"] = "0.0.9"

    body = copy.deepcopy(dict(record.body))
    body["kernel_version"] = "0.0.9"
    older(body["result"])
    outcome = replay(make_record(body, record.standard_content, record.created_at))
    assert outcome.identical
    assert (outcome.recorded_kernel, outcome.replayed_kernel) == ("0.0.9", __version__)


def test_a_changed_record_is_not_replayed(record) -> None:
    forged = attrs.evolve(record, body={**record.body, "evaluator": "someone else"})
    with pytest.raises(RecordError, match="does not verify"):
        replay(forged)


def test_a_record_that_no_longer_evaluates_says_why(record) -> None:
    """A standard calling a plugin function that is not installed any more."""
    content = copy.deepcopy(dict(record.standard_content))
    content["indicators"]["panel_other"]["formula"] = "halve(panel_scores.other)"
    content["indicators"]["panel_other"].pop("input", None)
    from standards_kernel.kernel.formats import content_json
    from standards_kernel.audit.records import sha256_hex

    body = copy.deepcopy(dict(record.body))
    sha = sha256_hex(content_json(content))
    body["standard"]["sha256"] = sha
    body["result"]["standard"]["sha256"] = sha
    body["functions"] = ["halve"]
    made = make_record(body, content, record.created_at)
    outcome = replay(made, functions={})
    assert not outcome.identical and outcome.error
    assert "halve" in outcome.error and "not installed now" in outcome.error
    halve = Function("halve", lambda x: x / 2, 1, 1)
    with_function = replay(made, functions={"halve": halve})
    assert with_function.error is None
    assert any(d.path.startswith("indicators.panel_other") for d in with_function.differences)


# --- json_diff and diff_records ----------------------------------------------------------------


def test_json_diff_matches_lists_by_id_and_quotes_dotted_keys() -> None:
    a = {"schools": [{"id": "s1", "books": "10"}, {"id": "s2"}], "data": {"totals.x": "1"}, "l": ["a"]}
    b = {"schools": [{"id": "s2"}, {"id": "s1", "books": "12"}, {"id": "s3"}], "data": {"totals.x": "1"}, "l": ["b"]}
    assert list(json_diff(a, b)) == [
        Difference("l", ["a"], ["b"]),
        Difference("schools[s1].books", "10", "12"),
        Difference("schools[s3]", ABSENT, {"id": "s3"}),
    ]
    assert list(json_diff({"d": {"a.b": 1}}, {"d": {"a.b": True}})) == [Difference('d."a.b"', 1, True)]
    assert list(json_diff(a, copy.deepcopy(a))) == []


def test_diff_of_self_evaluation_and_review(record) -> None:
    submission = read_submission(YUANJIANG)
    standard = default_registry().resolve("yunnan.county-education", submission.as_of)
    data = dict(submission.data)
    from decimal import Decimal

    data["totals.dilapidated_d_area_m2"] = Decimal("8436.27")  # exactly 3%: the veto is not triggered
    self_eval = attrs.evolve(submission, stage="self", evaluator="元江县人民政府", data=data)
    a = record_evaluation(evaluate(self_eval, standard))
    result = diff_records(a, record)
    assert not result.same
    s = result.sections
    assert [d.path for d in s["evaluation"]] == ["evaluator", "stage"]
    assert [(d.path, d.before, d.after) for d in s["inputs"]] == [
        ('data."totals.dilapidated_d_area_m2"', "8436.27", "45584")]
    assert {d.path: (d.before, d.after) for d in s["outcome"]} == {
        "grade": ("advanced", "qualified"), "lowered_by": ([], ["d_class_buildings"])}
    assert {d.path for d in s["vetoes"]} >= {"vetoes.d_class_buildings.triggered", "vetoes.d_class_buildings.applied"}
    assert {d.path for d in s["indicators"]} == {"indicators.d_class_ratio.value", "indicators.d_class_ratio.met"}
    assert s["areas"] == () and s["gates"] == ()
    assert diff_records(record, record).same


def test_diff_across_dates_shows_the_evaluation_header(record) -> None:
    submission = read_submission(YUANJIANG)
    standard = default_registry().resolve("yunnan.county-education", submission.as_of)
    later = record_evaluation(evaluate(submission, standard, as_of=dt.date(2010, 5, 13)))
    result = diff_records(record, later)
    assert [(d.path, d.before, d.after) for d in result.sections["evaluation"]] == [("as_of", "2009-05-13", "2010-05-13")]
    assert result.sections["inputs"] == ()


# --- editions: a record made under an older edition than the newest ------------------------------


def test_a_golden_record_was_made_under_an_older_edition() -> None:
    registry = default_registry()
    older = []
    for path in GOLDEN:
        record = read_record_file(path)
        sid, edition = record.body["standard"]["id"], record.body["standard"]["edition"]
        editions = [registry.get(k) for k in registry.keys() if k.split("@")[0] == sid]
        newest = max(editions, key=lambda s: s.effective_from)
        if newest.edition != edition:
            older.append((record, newest))
    assert older, "fixtures/records/ needs a record made under an edition older than the newest"
    for record, newest in older:
        as_of = dt.date.fromisoformat(record.body["as_of"])
        assert as_of < newest.effective_from
        # The edition in force on the recorded date is the recorded one …
        assert default_registry().resolve(record.body["standard"]["id"], as_of).sha256 == record.standard_sha256


def test_as_of_selects_the_edition_then_in_force(capsys, tmp_path, monkeypatch) -> None:
    from standards_kernel.interfaces.cli.main import main
    from standards_kernel.audit.records import parse_json

    monkeypatch.setenv("STANDARDS_KERNEL_LEDGER", str(tmp_path / "l.sqlite3"))
    fixture = str(ROOT / "fixtures" / "counties" / "national" / "basic-2012-pass.toml")
    assert main(["evaluate", fixture, "--as-of", "2016-06-01", "--record", "--format", "json"]) == 0
    decision = capsys.readouterr().err.strip().removeprefix("decision_id: ")
    assert main(["ledger", "show", decision]) == 0
    shown = parse_json(capsys.readouterr().out, file="-")
    assert shown["body"]["standard"]["edition"] == "2012"
    golden = read_record_file(ROOT / "fixtures" / "records" / "national-basic-2012-pass.json")
    assert shown["body"]["standard"]["sha256"] == golden.standard_sha256
    assert shown["body"]["submission"] == golden.submission
    assert default_registry().resolve("national.basic-balance", dt.date(2018, 1, 1)).edition == "2017"


def test_rerecord_keeps_the_recorded_content_and_replays(record) -> None:
    from standards_kernel.audit.replay import rerecord

    def change(result):
        result["score"] = "1"

    stale = _with_result(record, change)  # as if made by a kernel with other semantics
    assert not replay(stale).identical
    fresh = rerecord(stale)
    assert fresh.standard_content == stale.standard_content
    assert fresh.body["standard"] == stale.body["standard"]
    assert fresh.submission == stale.submission and fresh.body["as_of"] == stale.body["as_of"]
    assert fresh.decision_id != stale.decision_id
    assert replay(fresh).identical


# --- records of an earlier result format ------------------------------------------------------

EARLIER = sorted((ROOT / "fixtures" / "records" / "evaluation-1").glob("*.json"))
EARLIER_2 = sorted((ROOT / "fixtures" / "records" / "evaluation-2").glob("*.json"))
EARLIER_3 = sorted((ROOT / "fixtures" / "records" / "evaluation-3").glob("*.json"))


def test_there_are_records_of_the_earlier_format() -> None:
    assert len(EARLIER) >= 4
    assert {read_record_file(p).result["format"] for p in EARLIER} == {"standards-kernel/evaluation@1"}
    assert {read_record_file(p).result["format"] for p in GOLDEN} == {FORMAT}
    assert {read_record_file(p).result["format"] for p in EARLIER_2} == {"standards-kernel/evaluation@2"}
    assert {read_record_file(p).result["format"] for p in EARLIER_3} == {"standards-kernel/evaluation@3"}
    assert {p.name for p in EARLIER_2} == {p.name for p in EARLIER_3} == {p.name for p in GOLDEN}


@pytest.mark.parametrize("path", EARLIER, ids=[p.name for p in EARLIER])
def test_an_earlier_format_record_replays_with_what_was_left_out_named(path: Path) -> None:
    outcome = replay(read_record_file(path))
    assert outcome.identical and outcome.error is None
    assert outcome.recorded_format == "standards-kernel/evaluation@1"
    assert outcome.not_compared == EARLIER_FORMATS["standards-kernel/evaluation@1"] == ("gaps", "next_grade", "inputs")
    assert outcome.to_dict()["not_compared"] == ["gaps", "next_grade", "inputs"]


def test_an_earlier_format_record_still_has_every_other_value_compared() -> None:
    from standards_kernel.audit.records import make_record

    old = read_record_file(ROOT / "fixtures" / "records" / "evaluation-1" / "yunnan-yuanjiang-2009.json")
    body = json.loads(json.dumps(old.body))
    body["result"]["indicators"]["d_class_ratio"]["value"] = "0.03"
    changed = replay(make_record(body, old.standard_content, old.created_at))
    assert not changed.identical and [d.path for d in changed.differences] == ["indicators.d_class_ratio.value"]
    body = json.loads(json.dumps(old.body))
    body["result"]["gaps"] = []  # a section whose meaning changed: not compared, and said so
    assert replay(make_record(body, old.standard_content, old.created_at)).identical


def test_replay_says_in_words_what_an_earlier_format_left_out(capsys) -> None:
    from standards_kernel.interfaces.cli import main

    path = ROOT / "fixtures" / "records" / "evaluation-1" / "national-basic-2012-pass.json"
    assert main(["replay", str(path)]) == 0
    out = capsys.readouterr().out
    assert "记录为旧格式 standards-kernel/evaluation@1：整改清单、升级方案、标准自设输入的名称未比较" in out
    assert main(["replay", str(path), "--lang", "en"]) == 0
    assert "recorded in the earlier format standards-kernel/evaluation@1: rectification list, next-grade plan, " \
           "the names of the standard's own inputs not compared" in capsys.readouterr().out
    assert main(["replay", str(GOLDEN[0])]) == 0 and "旧格式" not in capsys.readouterr().out


# --- records of @2, whose document held the full trace ---------------------------------------


@pytest.mark.parametrize("path", EARLIER_2, ids=[p.name for p in EARLIER_2])
def test_an_at2_record_replays_against_the_full_trace_with_nothing_left_out(path: Path) -> None:
    old = read_record_file(path)
    assert any("reads" in unit for ind in old.result["indicators"].values() for unit in ind.get("units", {}).values())
    outcome = replay(old)
    assert outcome.identical and outcome.error is None
    assert outcome.recorded_format == "standards-kernel/evaluation@2" and outcome.not_compared == ()
    assert outcome.to_dict()["recorded_format"] == "standards-kernel/evaluation@2"


def test_an_at2_record_has_each_units_reads_compared() -> None:
    old = read_record_file(ROOT / "fixtures" / "records" / "evaluation-2" / "national-quality-2017-floor-exact.json")
    body = json.loads(json.dumps(old.body))
    iid, ind = next((k, v) for k, v in sorted(body["result"]["indicators"].items())
                    if any("reads" in u for u in v.get("units", {}).values()))
    uid, unit = next((k, u) for k, u in sorted(ind["units"].items()) if "reads" in u)
    name = sorted(unit["reads"])[0]
    unit["reads"][name] = "12345.6789"
    changed = replay(make_record(body, old.standard_content, old.created_at))
    assert not changed.identical
    assert [d.path for d in changed.differences] == [f"indicators.{iid}.units.{uid}.reads.{name}"]


def test_replay_says_an_at2_record_was_compared_with_the_full_trace(capsys) -> None:
    from standards_kernel.interfaces.cli import main

    path = ROOT / "fixtures" / "records" / "evaluation-2" / "yunnan-yuanjiang-2009.json"
    assert main(["replay", str(path)]) == 0
    assert "记录为旧格式 standards-kernel/evaluation@2（含每个单位读取的数据）：已与完整追踪逐字节比较" in capsys.readouterr().out
    assert main(["replay", str(path), "--lang", "en"]) == 0
    assert "recorded in the earlier format standards-kernel/evaluation@2 (with what each unit read): compared with " \
           "the full trace, byte for byte" in capsys.readouterr().out


def test_the_canonical_result_leaves_out_each_units_reads_and_the_full_trace_adds_them(record) -> None:
    from standards_kernel.audit.decision import analysed, summary_view
    from standards_kernel.audit.replay import reevaluate

    decision = analysed(reevaluate(record, default_registry().functions))
    summary, full = decision.document(), decision.document(trace="full")
    assert "trace" not in summary and full["trace"] == "full"
    assert not any("reads" in u for ind in summary["indicators"].values() for u in ind.get("units", {}).values())
    assert any("reads" in u for ind in full["indicators"].values() for u in ind.get("units", {}).values())
    assert summary_view(full) == summary
    assert record.result == summary  # what a record keeps is the canonical (summary) document


def test_replay_gives_the_full_trace_of_a_record_back(tmp_path: Path, capsys) -> None:
    from standards_kernel.audit.decision import summary_view
    from standards_kernel.interfaces.cli import main

    path = ROOT / "fixtures" / "records" / "national-quality-2017-floor-exact.json"
    record = read_record_file(path)
    out = tmp_path / "full.json"
    assert main(["replay", str(path), "--trace", "full", "--out", str(out)]) == 0
    full = json.loads(out.read_text("utf-8"))
    assert full["trace"] == "full" and summary_view(full) == record.result
    units = [u for ind in full["indicators"].values() for u in ind.get("units", {}).values()]
    assert sum("reads" in u for u in units) > 40
    # the @3 record of the same county, replayed with its sums, gives the full trace the @2 record
    # held itself: the same reads and digits, byte for byte; it says it is @3
    at3 = ROOT / "fixtures" / "records" / "evaluation-3" / path.name
    assert main(["replay", str(at3), "--trace", "full", "--out", str(out)]) == 0
    full = json.loads(out.read_text("utf-8"))
    assert full["format"] == "standards-kernel/evaluation@3" and summary_view(full) == read_record_file(at3).result
    at2 = read_record_file(ROOT / "fixtures" / "records" / "evaluation-2" / path.name)
    assert {k: v for k, v in full.items() if k not in ("trace", "format", "kernel_version")} == \
        {k: v for k, v in at2.result.items() if k not in ("format", "kernel_version")}
    assert main(["replay", str(path), "--trace", "full"]) == 2
    assert "--trace full names what --out writes" in capsys.readouterr().err


@pytest.mark.parametrize("path", EARLIER_2, ids=[p.name for p in EARLIER_2])
def test_diff_of_an_at2_record_and_its_at3_record_shows_only_the_format(path: Path) -> None:
    """Each unit's reads are not in @3: a diff compares the @2 record without them, not 49 removals."""
    old, new = read_record_file(path), read_record_file(ROOT / "fixtures" / "records" / "evaluation-3" / path.name)
    for a, b in ((old, new), (new, old)):
        result = diff_records(a, b)
        changed = [(name, d.path) for name, diffs in result.sections.items() for d in diffs]
        assert changed == [("other", "format")], changed
    reads = copy.deepcopy(old.body)  # but a value that differs is still shown
    iid = next(k for k, v in sorted(reads["result"]["indicators"].items()) if v.get("units"))
    uid = sorted(reads["result"]["indicators"][iid]["units"])[0]
    reads["result"]["indicators"][iid]["units"][uid]["value"] = "12345"
    changed_record = make_record(reads, old.standard_content, old.created_at)
    paths = [d.path for diffs in diff_records(changed_record, new).sections.values() for d in diffs]
    assert f"indicators.{iid}.units.{uid}.value" in paths


# --- records of @3, whose sums rounded each term and each addition --------------------------------


@pytest.mark.parametrize("path", EARLIER_3, ids=[p.name for p in EARLIER_3])
def test_an_at3_record_replays_with_the_sums_of_its_time(path: Path) -> None:
    old = read_record_file(path)
    outcome = replay(old)
    assert outcome.identical and outcome.error is None
    assert outcome.recorded_format == "standards-kernel/evaluation@3" and outcome.not_compared == ()
    assert outcome.replayed is not None and outcome.replayed["format"] == "standards-kernel/evaluation@3"
    assert outcome.replayed == old.result | {"kernel_version": __version__}


def test_the_sums_decide_the_last_digits_of_some_coefficients() -> None:
    """The @3 and @4 records of one county differ only in the last digit of aggregated values: @3 is
    replayed with its own sums (not today's), or it would not be identical."""
    from standards_kernel.audit.decision import analysed
    from standards_kernel.audit.replay import reevaluate
    from decimal import Decimal

    name = "national-quality-2017-floor-exact.json"
    at3 = read_record_file(ROOT / "fixtures" / "records" / "evaluation-3" / name)
    at4 = read_record_file(ROOT / "fixtures" / "records" / name)
    today = analysed(reevaluate(at3, default_registry().functions)).document()
    assert today["format"] == FORMAT and today != at3.result
    paths = [d.path for diffs in diff_records(at3, at4).sections.values() for d in diffs]
    assert "format" in paths and any(p.endswith(".value") for p in paths)
    for d in json_diff(at3.result, at4.result):
        if d.path == "format" or d.path.endswith("kernel_version"):
            continue
        before, after = Decimal(d.before), Decimal(d.after)  # a value, never a verdict or a label
        assert before != after and abs(before - after) <= abs(after).scaleb(-27), d.path


def test_replay_says_an_at3_record_was_computed_with_its_own_sums(capsys) -> None:
    from standards_kernel.interfaces.cli import main

    path = ROOT / "fixtures" / "records" / "evaluation-3" / "national-basic-2012-pass.json"
    assert main(["replay", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2] == "  记录为旧格式 standards-kernel/evaluation@3：逐字节比较"
    assert out[3].startswith("  按记录当时的求和方式重算（各项先舍入到 28 位有效数字，再按升序逐次相加）")
    assert main(["replay", str(path), "--lang", "en"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2] == "  recorded in the earlier format standards-kernel/evaluation@3: compared byte for byte"
    assert "computes every sum exactly and rounds it once" in out[3]
    assert all("\\x0a" not in line for line in out)  # one line each, not an escaped break
    assert main(["replay", str(GOLDEN[0])]) == 0 and len(capsys.readouterr().out.splitlines()) == 2
