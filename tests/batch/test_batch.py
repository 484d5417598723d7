"""evaluate-batch: inputs of every kind, error lines, input order, byte-identity with `evaluate
--format json` and between --jobs 1 and --jobs 2, resume after a torn line or a signal, --record
without duplicate decisions, the summary and the progress display."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from standards_kernel.interfaces import cli
from standards_kernel.batch.run import BatchError, Config, StopFlag, Summary, plan_inputs, run_batch
from standards_kernel.interfaces.cli.batch import Progress, render_summary
from standards_kernel.kernel.formats import canonical_json, content_json
from standards_kernel.kernel.loader import load_standard_file
from standards_kernel.batch.synth import generate, write_csv, write_directory, write_ndjson
from tests.helpers import DATA, YUANJIANG

SYNTHETIC = str(DATA / "standards" / "synthetic.toml")
CONFIG = Config(standard=SYNTHETIC, as_of=None)


def lines(path: Path) -> list[dict]:
    return [json.loads(raw) for raw in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def standard():
    return load_standard_file(SYNTHETIC)


@pytest.fixture(scope="module")
def counties(standard) -> list[dict]:
    return list(generate(standard, 24, 6, seed=11))


@pytest.fixture(scope="module")
def ndjson(tmp_path_factory, counties) -> Path:
    path = tmp_path_factory.mktemp("in") / "counties.ndjson"
    with path.open("w", encoding="utf-8") as stream:
        write_ndjson(stream, iter(counties))
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory, ndjson) -> Path:
    """An uninterrupted sequential run: what every other run must reproduce byte for byte."""
    out = tmp_path_factory.mktemp("ref") / "results.ndjson"
    summary = run_batch([str(ndjson)], out, CONFIG, jobs=1)
    assert summary.ok == 24 and not summary.failed
    return out


# --- results lines ---------------------------------------------------------------------------


def test_each_result_is_byte_identical_to_evaluate_json(tmp_path, capsys, reference, counties):
    text = reference.read_text("utf-8").splitlines()
    for position in (0, 7, 23):
        one = tmp_path / f"c{position}.json"
        one.write_text(content_json(counties[position]), "utf-8")
        assert cli.main(["evaluate", str(one), "--standard", SYNTHETIC, "--format", "json"]) == 0
        printed = capsys.readouterr().out.rstrip("\n")
        line = text[position]
        assert line.endswith(',"result":' + printed + "}")
        assert canonical_json(json.loads(line)) == line  # the line itself is canonical JSON


def test_lines_follow_input_order_with_their_hashes(reference, ndjson):
    found = lines(reference)
    raw = ndjson.read_bytes().splitlines()
    assert [d["index"] for d in found] == list(range(24))
    assert [d["input"] for d in found] == [f"{ndjson}:{n}" for n in range(1, 25)]
    import hashlib

    assert [d["input_sha256"] for d in found] == [hashlib.sha256(r).hexdigest() for r in raw]
    assert [d["result"]["county"]["code"] for d in found] == [f"{990001 + n}" for n in range(24)]


def test_parallel_run_is_byte_identical_to_sequential(tmp_path, ndjson, reference):
    out = tmp_path / "parallel.ndjson"
    summary = run_batch([str(ndjson)], out, CONFIG, jobs=2)
    assert summary.jobs == 2
    assert out.read_bytes() == reference.read_bytes()


# --- kinds of input ----------------------------------------------------------------------------


def test_directory_csv_and_ndjson_give_the_same_results(tmp_path, counties, reference):
    folder, tables = tmp_path / "dir", tmp_path / "csv"
    write_directory(folder, iter(counties))
    write_csv(tables, iter(counties))
    out_dir, out_csv = tmp_path / "d.ndjson", tmp_path / "c.ndjson"
    run_batch([str(folder)], out_dir, CONFIG, jobs=1)
    run_batch(sorted(str(p) for p in tables.iterdir()), out_csv, CONFIG, jobs=2)
    expected = [d["result"] for d in lines(reference)]
    assert [d["result"] for d in lines(out_dir)] == expected
    assert [d["result"] for d in lines(out_csv)] == expected
    assert lines(out_dir)[0]["input"] == str(folder / "990001.json")
    assert lines(out_csv)[0]["input"] == f"{tables / 'counties.counties.csv'}#county=990001"


def test_a_file_gone_before_it_is_read_is_one_failed_input(tmp_path, counties):
    write_directory(tmp_path, iter(counties[:3]))
    plan = plan_inputs([str(tmp_path)])
    (tmp_path / "990002.json").unlink()  # listed, then gone (or unreadable) when its turn comes
    items = list(plan.items())
    assert [item.fmt for item in items] == ["json", "error", "json"]
    assert "cannot read the submission" in json.loads(items[1].text)["message"]
    assert items[1].index == 1 and items[2].index == 2


def test_directory_is_read_recursively_in_path_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("b/z.toml", "a.json", "b/a.toml", ".hidden/x.toml", "notes.txt"):
        (tmp_path / name).write_text("x", "utf-8")
    labels = [item.label for item in plan_inputs([str(tmp_path)]).items()]
    assert labels == [str(tmp_path / "a.json"), str(tmp_path / "b" / "a.toml"), str(tmp_path / "b" / "z.toml")]


def test_bad_inputs_become_error_lines_and_the_rest_is_written(tmp_path, counties, capsys):
    folder = tmp_path / "subs"
    write_directory(folder, iter(counties[:3]))
    bad_toml = YUANJIANG.read_text("utf-8").replace('"dropout_rate.junior" = "2.59%"', '"dropout_rate.junior" = "259%"')
    (folder / "bad.toml").write_text(bad_toml, "utf-8")
    bad_line = bad_toml.splitlines().index('"dropout_rate.junior" = "259%"') + 1
    feed = tmp_path / "feed.ndjson"
    castle = json.loads(content_json(counties[3]))
    castle["schools"][0]["kind"] = "castle"
    feed.write_text(content_json(counties[3]) + "\n\n{not json\n" + json.dumps(castle) + "\n", "utf-8")
    out = tmp_path / "out.ndjson"
    code = cli.main(["evaluate-batch", str(folder), str(feed), "--standard", SYNTHETIC, "--out", str(out), "--jobs", "2"])
    assert code == 1
    found = lines(out)
    assert [d["ok"] for d in found] == [True, True, True, False, True, False, False]
    bad = found[3]["error"]
    assert bad["file"] == str(folder / "bad.toml") and bad["line"] == bad_line and "rate" in bad["message"]
    assert found[5]["error"]["file"] == str(feed) and found[5]["error"]["line"] == 3
    assert "malformed JSON" in found[5]["error"]["message"]
    assert found[6]["error"]["line"] == 4 and "castle" in found[6]["error"]["message"]
    assert found[6]["input"] == f"{feed}:4"
    summary = capsys.readouterr().out
    assert "7 inputs: 4 evaluated, 3 failed" in summary
    assert f"{folder / 'bad.toml'}:{bad_line}: data.dropout_rate.junior: a rate must lie between 0 and 1" in summary


def test_csv_errors_name_the_row(tmp_path, counties):
    tables = tmp_path / "csv"
    write_csv(tables, iter(counties[:2]))
    schools = (tables / "schools.csv").read_text("utf-8").splitlines()
    header = schools[0].split(",")
    row = schools[3].split(",")
    row[header.index("books")] = "-5"
    schools[3] = ",".join(row)
    schools.append("," + ",".join("" for _ in header[1:]))  # a row with no county
    orphan = [""] * len(header)
    orphan[header.index("id")] = "lost"
    schools.append(",".join(orphan))
    (tables / "schools.csv").write_text("\n".join(schools) + "\n", "utf-8")
    out = tmp_path / "out.ndjson"
    summary = run_batch([str(tables / "schools.csv"), str(tables / "counties.counties.csv")], out, CONFIG, jobs=1)
    found = lines(out)
    assert len(found) == 3 and len(summary.failed) == 2
    county_code = row[0]
    failed = next(d for d in found if not d["ok"] and "county=" in d["input"])
    assert failed["input"].endswith(f"#county={county_code}")
    assert failed["error"]["file"] == str(tables / "schools.csv") and failed["error"]["line"] == 4
    assert "negative" in failed["error"]["message"]
    assert found[-1]["error"]["line"] == len(schools) and "no county code" in found[-1]["error"]["message"]


def test_csv_headers_may_be_labels_and_cells_yes_no_words(tmp_path, counties):
    """The columns of a statistics export: 图书册数 for books, 是/否 for yes/no, 1,234 with commas."""
    from standards_kernel.kernel.vocabulary import vocabulary

    plain, labelled = tmp_path / "plain", tmp_path / "labelled"
    write_csv(plain, iter(counties[:3]))
    labelled.mkdir()
    for table, level in (("schools.csv", "school"), ("counties.counties.csv", "county")):
        rows = (plain / table).read_text("utf-8").splitlines()
        header = rows[0].split(",")
        named = [vocabulary()[level][h].label.zh if h in vocabulary()[level] else h for h in header]
        body = "\n".join(rows[1:]).replace(",false", ",否").replace(",true", ",是")
        (labelled / table).write_text(",".join(named) + "\n" + body + "\n", "utf-8")
    assert "图书册数" in (labelled / "schools.csv").read_text("utf-8")
    assert ",否" in (labelled / "counties.counties.csv").read_text("utf-8")
    books = (labelled / "schools.csv").read_text("utf-8").splitlines()
    header = books[0].split(",")
    first = books[1].split(",")
    first[header.index("图书册数")] = '"{:,}"'.format(int(first[header.index("图书册数")]))
    books[1] = ",".join(first)
    (labelled / "schools.csv").write_text("\n".join(books) + "\n", "utf-8")
    assert '"' in books[1]  # a number written 27,752
    outs = []
    for folder in (plain, labelled):
        out = tmp_path / f"{folder.name}.ndjson"
        run_batch([str(folder / "schools.csv"), str(folder / "counties.counties.csv")], out, CONFIG, jobs=1)
        outs.append([d.get("result") for d in lines(out)])
    assert outs[0] == outs[1] and all(outs[0])


def test_csv_conflicting_header_values_are_an_error_of_that_county(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("county,evaluation.as_of,id,kind,students.primary\n"
                     "1,2020-06-01,a,primary,10\n1,2021-06-01,b,primary,10\n", "utf-8")
    found = [item for item in plan_inputs([str(table)]).items()]
    assert found[0].fmt == "error" and found[0].line == 3
    assert "2021-06-01" in json.loads(found[0].text)["message"]


@pytest.mark.parametrize("text, message", [
    ("id,kind\n", "no 'county' column"),
    ("county,id,id\n", "appears twice"),
    ("county,,id\n", "column 2 has no name"),
])
def test_unusable_csv_header_stops_the_batch(tmp_path, text, message):
    table = tmp_path / "t.csv"
    table.write_text(text, "utf-8")
    with pytest.raises(BatchError, match=message):
        plan_inputs([str(table)])


def test_unusable_arguments_exit_2(tmp_path, ndjson, capsys):
    out = str(tmp_path / "o.ndjson")
    assert cli.main(["evaluate-batch", str(tmp_path / "missing"), "--standard", SYNTHETIC, "--out", out]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert cli.main(["evaluate-batch", str(ndjson), "--standard", str(tmp_path / "none.toml"), "--out", out]) == 2
    assert "none.toml" in capsys.readouterr().err
    assert cli.main(["evaluate-batch", str(ndjson), "--standard", "no.such-standard", "--out", out]) == 2
    assert "no standard 'no.such-standard'" in capsys.readouterr().err
    (tmp_path / "x.xlsx").write_text("", "utf-8")
    assert cli.main(["evaluate-batch", str(tmp_path / "x.xlsx"), "--standard", SYNTHETIC, "--out", out]) == 2
    assert "unknown kind of input" in capsys.readouterr().err


def test_submissions_naming_their_own_standard(tmp_path):
    out = tmp_path / "y.ndjson"
    summary = run_batch([str(YUANJIANG)], out, Config(standard=None, as_of=None), jobs=1)
    assert summary.grades == {"yunnan.county-education@2009": {"qualified": 1}}
    assert summary.vetoes == {"d_class_buildings": 1}


# --- resuming ------------------------------------------------------------------------------------


def test_torn_last_line_is_cut_and_redone(tmp_path, ndjson, reference):
    out = tmp_path / "r.ndjson"
    data = reference.read_bytes()
    cut = [i for i, b in enumerate(data) if b == ord("\n")][9] + 1
    out.write_bytes(data[: cut + 500])  # ten whole lines and the start of the eleventh
    summary = run_batch([str(ndjson)], out, CONFIG, jobs=2)
    assert summary.cut_bytes == 500 and summary.resumed == 10 and summary.evaluated == 14
    assert out.read_bytes() == data


def test_finished_batch_is_not_redone(tmp_path, ndjson, reference):
    out = tmp_path / "r.ndjson"
    out.write_bytes(reference.read_bytes())
    summary = run_batch([str(ndjson)], out, CONFIG, jobs=1)
    assert summary.evaluated == 0 and summary.resumed == 24 and summary.ok == 24
    assert out.read_bytes() == reference.read_bytes()


def test_resume_refuses_results_of_other_inputs(tmp_path, ndjson, reference, counties):
    other = tmp_path / "other.ndjson"
    with other.open("w", encoding="utf-8") as stream:
        write_ndjson(stream, iter(counties[1:]))
    out = tmp_path / "r.ndjson"
    out.write_bytes(b"\n".join(reference.read_bytes().splitlines()[:2]) + b"\n")
    with pytest.raises(BatchError, match="line 1 is for another input"):
        run_batch([str(other)], out, CONFIG, jobs=1)
    run_batch([str(other)], out, CONFIG, jobs=1, restart=True)
    assert len(lines(out)) == 23
    out.write_text("not json\n", "utf-8")
    with pytest.raises(BatchError, match="line 1 is not a results line"):
        run_batch([str(ndjson)], out, CONFIG, jobs=1)


def test_two_batches_cannot_write_one_results_file(tmp_path, ndjson):
    from standards_kernel.batch.run import ResultsFile

    out = tmp_path / "r.ndjson"
    first = ResultsFile(out)
    try:
        with pytest.raises(BatchError, match="another evaluate-batch is writing this results file"):
            run_batch([str(ndjson)], out, CONFIG, jobs=1)
    finally:
        first.close()
    assert run_batch([str(ndjson)], out, CONFIG, jobs=1).ok == 24


def test_stop_flag_stops_after_a_chunk_and_the_rest_resumes(tmp_path, ndjson, reference):
    out = tmp_path / "r.ndjson"
    stop = StopFlag()

    def interrupt(summary: Summary) -> None:
        stop.signal = "SIGTERM"

    first = run_batch([str(ndjson)], out, CONFIG, jobs=2, progress=interrupt, stop=stop)
    assert first.interrupted == "SIGTERM" and 0 < first.written < 24
    assert len(lines(out)) == first.written
    second = run_batch([str(ndjson)], out, CONFIG, jobs=2)
    assert second.resumed == first.written and second.interrupted is None
    assert out.read_bytes() == reference.read_bytes()


@pytest.fixture(scope="module")
def big(tmp_path_factory, standard) -> tuple[Path, Path]:
    """Enough work that a signal lands mid-batch (about a second of it after the first line)."""
    folder = tmp_path_factory.mktemp("big")
    feed = folder / "big.ndjson"
    with feed.open("w", encoding="utf-8") as stream:
        write_ndjson(stream, generate(standard, 200, 10, seed=5))
    out = folder / "reference.ndjson"
    run_batch([str(feed)], out, CONFIG, jobs=2)
    return feed, out


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_leaves_a_valid_prefix_that_resumes_to_the_same_bytes(tmp_path, big, sig, code):
    feed, reference = big
    out = tmp_path / "r.ndjson"
    command = [sys.executable, "-m", "standards_kernel", "evaluate-batch", str(feed),
               "--standard", SYNTHETIC, "--out", str(out), "--jobs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size == 0):
        time.sleep(0.005)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    assert f"interrupted by {sig.name}" in stderr and "Traceback" not in stderr
    done = lines(out)  # every line whole and valid
    assert 0 < len(done) < 200
    assert out.read_bytes() == reference.read_bytes()[: len(out.read_bytes())]
    summary = run_batch([str(feed)], out, CONFIG, jobs=2)
    assert summary.resumed == len(done) and summary.evaluated == 200 - len(done)
    assert out.read_bytes() == reference.read_bytes()


# --- recording ------------------------------------------------------------------------------------


def test_record_never_duplicates_decisions_across_a_resume(tmp_path, ndjson):
    from standards_kernel.audit.ledger import Ledger

    ledger = tmp_path / "ledger.sqlite3"
    config = Config(standard=SYNTHETIC, as_of=None, record=True, ledger=str(ledger))
    out = tmp_path / "r.ndjson"
    stop = StopFlag()

    def interrupt(summary: Summary) -> None:
        stop.signal = "SIGINT"

    first = run_batch([str(ndjson)], out, config, jobs=2, progress=interrupt, stop=stop)
    assert 0 < first.written < 24
    with Ledger(ledger) as opened:
        assert opened.count() >= first.written  # chunks in flight may be recorded, not written
    run_batch([str(ndjson)], out, config, jobs=2)
    found = lines(out)
    with Ledger(ledger) as opened:
        entries = list(opened.entries())
        assert opened.verify().ok
    assert len(entries) == 24
    assert sorted(e.decision_id for e in entries) == sorted(d["decision_id"] for d in found)
    assert len({(e.county_code, e.decision_id) for e in entries}) == 24
    # the whole batch again, from scratch: the ledger answers with the rows it has
    again = tmp_path / "again.ndjson"
    run_batch([str(ndjson)], again, config, jobs=1)
    assert again.read_bytes() == out.read_bytes()
    with Ledger(ledger) as opened:
        assert opened.count() == 24


def test_batch_and_evaluate_record_the_same_decision(tmp_path, ndjson, counties, capsys):
    ledger = tmp_path / "ledger.sqlite3"
    one = tmp_path / "one.json"
    one.write_text(content_json(counties[5]), "utf-8")
    args = ["evaluate", str(one), "--standard", SYNTHETIC, "--format", "json", "--record", "--ledger", str(ledger)]
    assert cli.main(args) == 0
    decision = capsys.readouterr().err.split("decision_id: ")[1].strip()
    out = tmp_path / "r.ndjson"
    run_batch([str(ndjson)], out, Config(standard=SYNTHETIC, as_of=None, record=True, ledger=str(ledger)), jobs=1)
    assert lines(out)[5]["decision_id"] == decision


def test_resume_keeps_the_record_setting(tmp_path, ndjson, reference):
    out = tmp_path / "r.ndjson"
    out.write_bytes(b"\n".join(reference.read_bytes().splitlines()[:2]) + b"\n")
    config = Config(standard=SYNTHETIC, as_of=None, record=True, ledger=str(tmp_path / "l.sqlite3"))
    with pytest.raises(BatchError, match="were not recorded"):
        run_batch([str(ndjson)], out, config, jobs=1)


# --- summary and progress -----------------------------------------------------------------------------


def test_summary_counts_grades_vetoes_gates_and_failures(reference, ndjson, tmp_path):
    found = lines(reference)
    out = tmp_path / "r.ndjson"
    summary = run_batch([str(ndjson)], out, CONFIG, jobs=1)
    grades = {}
    for d in found:
        grades[d["result"]["grade"]] = grades.get(d["result"]["grade"], 0) + 1
    assert dict(summary.grades["test.synthetic@1"]) == grades
    triggered = sum(v["triggered"] for d in found for v in d["result"]["vetoes"].values())
    assert sum(summary.vetoes.values()) == triggered > 0
    assert sum(summary.gates.values()) == sum(g["failed"] for d in found for g in d["result"]["gates"].values())
    text = "\n".join(render_summary(summary, str(out), "en"))
    assert "counties per grade (test.synthetic@1):" in text
    assert text.index("  top") < text.index("  pass") < text.index("  fail")  # best grade first
    assert "vetoes triggered, by veto:" in text and "slowest counties (this run):" in text
    assert len(summary.slowest) == 10


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise():
    summary = Summary(total=4, evaluated=4, seconds=1.0)
    summary.grades["s@1"] = {"a": 4}  # type: ignore[assignment]
    plain, bar = io.StringIO(), _Terminal()
    for stream in (plain, bar):
        progress = Progress(stream)
        progress(summary)
        progress.finish()
    assert plain.getvalue().startswith("evaluate-batch: 4/4 (100%), 0 failed, ")
    assert "\r" not in plain.getvalue() and plain.getvalue().endswith(" 0:00:00 left\n")
    assert bar.getvalue().startswith("\r[" + "#" * 30 + "] 4/4 (100%)") and bar.getvalue().endswith("\n")


def test_a_batch_here_settles_the_collector_and_gives_the_callers_settings_back(tmp_path, ndjson, reference):
    import gc

    from standards_kernel.batch.workers import BATCH_GC_THRESHOLD

    seen: list[tuple[int, bool]] = []
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    out = tmp_path / "results.ndjson"
    run_batch([str(ndjson)], out, CONFIG, jobs=1, progress=lambda _: seen.append(
        (gc.get_threshold()[0], gc.get_freeze_count() > 0)))
    assert seen and set(seen) == {(BATCH_GC_THRESHOLD, True)}  # during the batch
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0  # and the caller's settings after
    assert out.read_bytes() == reference.read_bytes()
    gc.freeze()  # a caller that froze its own objects keeps them frozen
    try:
        frozen = gc.get_freeze_count()
        run_batch([str(ndjson)], tmp_path / "again.ndjson", CONFIG, jobs=1, restart=True)
        # still frozen (less what was freed meanwhile), not moved back by the batch's undo
        assert gc.get_freeze_count() > frozen * 0.9 and gc.get_threshold() == before
    finally:
        gc.unfreeze()
