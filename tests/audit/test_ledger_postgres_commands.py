"""Every ledger command on both backends (SQLite, a real PostgreSQL), ``ledger copy`` both ways,
batch ``--record`` with a resume, the server's recording, and PostgreSQL's own guarantees: the
servers' role can insert and read only, clear errors for a wrong URL or a missing driver."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel.audit.ledger import ENV_LEDGER, Ledger, LedgerError, LedgerUnavailable
from standards_kernel.batch.run import Config, StopFlag, Summary, run_batch
from standards_kernel.batch.synth import generate, write_ndjson
from standards_kernel.interfaces.cli.main import main
from standards_kernel.kernel.loader import load_standard_file
from tests.helpers import DATA, YUANJIANG
from tests.helpers.postgres import cluster

SYNTHETIC = str(DATA / "standards" / "synthetic.toml")


@pytest.fixture(params=("sqlite", "postgres"))
def target(request, tmp_path, monkeypatch) -> str:
    where = str(tmp_path / "ledger.sqlite3") if request.param == "sqlite" else cluster().database()
    monkeypatch.setenv(ENV_LEDGER, where)
    return where


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def record(capsys, path: str = str(YUANJIANG)) -> str:
    code, _, err = run(capsys, "evaluate", path, "--record", "--format", "json")
    assert code == 0, err
    return err.strip().splitlines()[-1].removeprefix("decision_id: ")


def test_every_command_on_both_backends(capsys, target, tmp_path) -> None:
    first = record(capsys)
    changed = YUANJIANG.read_text("utf-8").replace('stage = "municipal_review"', 'stage = "self"')
    other_file = tmp_path / "self.toml"
    other_file.write_text(changed, "utf-8")
    second = record(capsys, str(other_file))
    assert "already recorded (seq 1" in run(capsys, "evaluate", str(YUANJIANG), "--record", "--format", "json")[2]
    code, out, _ = run(capsys, "ledger", "verify", "--format", "json")
    verified = json.loads(out)
    assert code == 0 and verified["intact"] and verified["records"] == 2
    assert "***" not in verified["ledger"] or "@" in verified["ledger"]
    code, out, err = run(capsys, "ledger", "list", "--county", "元江", "--stage", "self", "--lang", "en")
    assert code == 0 and second in out and first not in out and err == "1 record\n"
    code, out, _ = run(capsys, "ledger", "show", first[:8])
    assert code == 0 and json.loads(out)["ledger"]["seq"] == 1
    code, out, _ = run(capsys, "replay", first, "--lang", "en")
    assert code == 0 and "identical" in out
    code, out, _ = run(capsys, "diff", second, first, "--lang", "en", "--show-ids")
    assert code == 1 and 'stage: "self" → "municipal_review"' in out
    page = tmp_path / "page.html"
    code, _, err = run(capsys, "report", first, "--out", str(page))
    assert code == 0, err
    assert first in page.read_text("utf-8")
    code, out, err = run(capsys, "ledger", "show", "0000000000")
    assert code == 2 and "no decision 0000000000" in err


def test_batch_record_resumes_without_duplicates(target, tmp_path) -> None:
    standard = load_standard_file(SYNTHETIC)
    feed = tmp_path / "in.ndjson"
    with feed.open("w", encoding="utf-8") as stream:
        write_ndjson(stream, iter(generate(standard, 16, 4, seed=3)))
    config = Config(standard=SYNTHETIC, as_of=None, record=True, ledger=target)
    out = tmp_path / "r.ndjson"
    stop = StopFlag()

    def interrupt(summary: Summary) -> None:
        stop.signal = "SIGINT"

    first = run_batch([str(feed)], out, config, jobs=2, progress=interrupt, stop=stop)
    assert 0 < first.written < 16
    run_batch([str(feed)], out, config, jobs=2)
    written = [json.loads(line)["decision_id"] for line in out.read_text("utf-8").splitlines()]
    with Ledger(target) as ledger:
        assert ledger.verify().ok
        stored = [e.decision_id for e in ledger.entries()]
    assert len(stored) == len(set(stored)) == 16 and set(stored) == set(written)


def test_copy_both_ways_gives_the_same_head(capsys, tmp_path) -> None:
    source = tmp_path / "source.sqlite3"
    for stage in ("self", "municipal_review", "provincial"):
        variant = tmp_path / f"{stage}.toml"
        variant.write_text(YUANJIANG.read_text("utf-8").replace('stage = "municipal_review"', f'stage = "{stage}"'), "utf-8")
        assert main(["evaluate", str(variant), "--record", "--format", "json", "--ledger", str(source)]) == 0
    capsys.readouterr()
    url = cluster().database()
    back = tmp_path / "back.sqlite3"
    heads = set()
    for src, dst in ((str(source), url), (url, f"sqlite:{back}")):
        code, out, err = run(capsys, "ledger", "copy", src, dst)
        assert code == 0, err
        assert "copied 3 records and 1 standard contents" in out
        code, out, _ = run(capsys, "ledger", "verify", "--ledger", dst, "--format", "json")
        heads.add(json.loads(out)["head"])
    code, out, _ = run(capsys, "ledger", "verify", "--ledger", str(source), "--format", "json")
    heads.add(json.loads(out)["head"])
    assert len(heads) == 1
    with Ledger(back) as copied:
        assert copied.count() == 3
    # again: nothing left to copy; into a ledger holding other records: refused
    code, out, _ = run(capsys, "ledger", "copy", str(source), url)
    assert code == 0 and "copied 0 records" in out and "3 were there already" in out
    other = tmp_path / "other.sqlite3"
    assert main(["evaluate", str(YUANJIANG), "--record", "--format", "json", "--ledger", str(other)]) == 0
    capsys.readouterr()
    code, _, err = run(capsys, "ledger", "copy", str(source), str(other))
    assert code == 2 and "holds other records" in err


def test_copy_refuses_a_source_that_does_not_verify(capsys, tmp_path) -> None:
    import sqlite3

    source = tmp_path / "source.sqlite3"
    assert main(["evaluate", str(YUANJIANG), "--record", "--format", "json", "--ledger", str(source)]) == 0
    conn = sqlite3.connect(str(source), isolation_level=None)
    conn.execute("DROP TRIGGER records_no_update")
    conn.execute("UPDATE records SET grade = 'advanced'")
    conn.close()
    capsys.readouterr()
    code, _, err = run(capsys, "ledger", "copy", str(source), cluster().database())
    assert code == 2 and "the source does not verify" in err and "column grade" in err


def test_the_server_records_in_postgres(tmp_path) -> None:
    from standards_kernel.interfaces.server.service import ServerConfig, Service
    from standards_kernel.kernel.registry import default_registry

    db = cluster()
    url = db.database()
    service = Service(default_registry(), ServerConfig(ledger=url))  # type: ignore[arg-type]
    from tests.helpers import toml_data

    scored = service.score(toml_data(YUANJIANG), standard=None, as_of=None)
    entry = service.record(scored, requested="yunnan.county-education")
    assert service.find_record(entry.decision_id[:8]).decision_id == entry.decision_id
    db.stop("immediate")
    try:
        with pytest.raises(LedgerUnavailable):
            service.find_record(entry.decision_id)
    finally:
        db.start()
    assert service.find_record(entry.decision_id).decision_id == entry.decision_id  # recovered by itself
    service.ledger().close()


def test_the_servers_role_can_insert_and_read_only(capsys, tmp_path) -> None:
    db = cluster()
    owner_url = db.database()
    name = owner_url.split("@/")[1].split("?")[0]
    with Ledger(owner_url, create=True):
        pass
    with db.admin(name) as admin:
        admin.execute("DROP ROLE IF EXISTS sk_writer")
        admin.execute("CREATE ROLE sk_writer LOGIN")
        admin.execute("GRANT SELECT, INSERT ON meta, standards, records TO sk_writer")
    writer_url = db.url(name, user="sk_writer")
    assert main(["evaluate", str(YUANJIANG), "--record", "--format", "json", "--ledger", writer_url]) == 0
    capsys.readouterr()
    with psycopg.connect(writer_url, autocommit=True) as conn:
        for statement in ("UPDATE records SET grade = 'advanced'", "DELETE FROM records",
                          "UPDATE standards SET content = ''", "TRUNCATE records", "DROP TABLE records"):
            with pytest.raises(psycopg.Error, match="permission denied|must be owner"):
                conn.execute(statement)
    with Ledger(writer_url) as ledger:
        assert ledger.count() == 1 and ledger.verify().ok
    with db.admin(name) as admin:
        admin.execute("DROP OWNED BY sk_writer")
        admin.execute("DROP ROLE sk_writer")


def test_opening_errors_in_postgres(tmp_path) -> None:
    db = cluster()
    empty = db.database()
    with pytest.raises(LedgerError, match="no ledger here"):
        Ledger(empty)
    with pytest.raises(LedgerError, match="cannot open the ledger's database") as wrong:
        Ledger(db.url("no_such_database"))
    assert not isinstance(wrong.value, LedgerUnavailable)
    with pytest.raises(LedgerUnavailable, match="cannot reach"):
        Ledger(f"postgresql://x@/db?host={tmp_path}&port=1&connect_timeout=2")
    with pytest.raises(LedgerError) as hidden:
        Ledger(f"postgresql://x:secret@/db?host={tmp_path}&port=1")
    assert "secret" not in str(hidden.value) and "x:***@" in str(hidden.value)


def test_without_psycopg_the_error_names_the_extra(tmp_path) -> None:
    code = ("import sys; sys.modules['psycopg'] = None\n"
            "from standards_kernel.interfaces.cli.main import main\n"
            "raise SystemExit(main(['ledger', 'verify', '--ledger', 'postgresql://u@/db']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "standards-kernel[postgres]" in done.stderr


def test_a_postgres_ledger_whose_table_was_dropped(capsys) -> None:
    db = cluster()
    url = db.database()
    assert main(["evaluate", str(YUANJIANG), "--record", "--format", "json", "--ledger", url]) == 0
    capsys.readouterr()
    with db.admin(url.split("@/")[1].split("?")[0]) as admin:
        admin.execute("DROP TABLE records")
    code, out, _ = run(capsys, "ledger", "verify", "--ledger", url)
    assert code == 1 and "NOT intact: the schema was altered" in out and "LINE 1" not in out
    for argv in (["ledger", "list"], ["replay", "0123456789"]):
        code, _, err = run(capsys, *argv, "--ledger", url)
        assert code == 2 and "cannot read the ledger" in err and "Traceback" not in err


def _golden_variants(n: int) -> list:
    from standards_kernel.audit.records import make_record, read_record_file

    golden = read_record_file(YUANJIANG.parents[2] / "records" / "yunnan-yuanjiang-2009.json")
    return [make_record({**golden.body, "evaluator": f"copy {i}"}, golden.standard_content, golden.created_at)
            for i in range(n)]


@given(sizes=st.lists(st.integers(1, 4), min_size=0, max_size=5), batch=st.integers(1, 5),
       cut=st.integers(0, 20))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_copy_property_same_head_also_after_an_interrupted_copy(tmp_path_factory, sizes, batch, cut) -> None:
    from standards_kernel.audit.ledger_copy import copy_ledger

    folder = tmp_path_factory.mktemp("copy")
    records = iter(_golden_variants(sum(sizes)))
    with Ledger(folder / "src.sqlite3", create=True) as source:
        for size in sizes:
            source.append_many([next(records) for _ in range(size)])
        url = cluster().database()
        with Ledger(url, create=True) as target:
            # an interrupted earlier copy: a beginning of the source is already there
            done = [tuple(r) for r in source.rows()][: min(cut, source.count())]
            if done:
                target.take([tuple(r) for r in source.standard_rows()], done)
            result = copy_ledger(source, target, batch=batch)
            assert result.kept == len(done) and result.copied == source.count() - len(done)
            with Ledger(folder / "back.sqlite3", create=True) as back:
                copy_ledger(target, back, batch=batch)
                heads = {source.verify().head, target.verify().head, back.verify().head}
                assert len(heads) == 1
                assert [e.to_dict() for e in back.entries()] == [e.to_dict() for e in source.entries()]
