"""The ledger on both backends (SQLite, and a real PostgreSQL): append-only, hash-chained, verified
even when the triggers were dropped. Every test taking ``ledger`` runs once per backend."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import attrs
import psycopg
import pytest

from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.audit.ledger import ENV_LEDGER, GENESIS, Ledger, LedgerError, default_ledger_path, entry_hash
from standards_kernel.audit.records import RecordError, check_record, record_evaluation
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import read_submission
from tests.helpers import ROOT
from tests.helpers.postgres import cluster

YUANJIANG = ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"


@pytest.fixture(scope="module")
def base():
    submission = read_submission(YUANJIANG)
    return submission, default_registry().resolve("yunnan.county-education@2009", None)


def make_records(base, n: int, *, start: int = 0, code: str = "530428", name: str = "元江县", stage: str = "self"):
    submission, standard = base
    county = {"code": code, "name": name, "province": "yunnan"}
    return [
        record_evaluation(evaluate(attrs.evolve(submission, evaluator=f"evaluator {i}", county=county, stage=stage), standard))
        for i in range(start, start + n)
    ]


BACKENDS = ("sqlite", "postgres")


def new_target(kind: str, tmp_path) -> Any:
    """A new ledger's place: a file, or an empty database of the test cluster."""
    return tmp_path / "ledger.sqlite3" if kind == "sqlite" else cluster().database()


_opened: list[Any] = []  # hand-made connections, closed when the test ends


@pytest.fixture(params=BACKENDS)
def ledger(request, tmp_path):
    with Ledger(new_target(request.param, tmp_path), create=True) as opened:
        yield opened
    while _opened:
        _opened.pop().close()


def is_postgres(ledger: Ledger) -> bool:
    return hasattr(ledger, "url")


class Raw:
    """A second connection, as someone editing the database by hand would use (SQL with ``?``)."""

    def __init__(self, ledger: Ledger, *, drop_triggers: bool) -> None:
        self.pg = is_postgres(ledger)
        if self.pg:
            self.conn: Any = psycopg.connect(ledger.url, autocommit=True)  # the owner (a superuser here)
            if drop_triggers:
                for table in ("records", "standards", "meta"):
                    self.conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            self.conn = sqlite3.connect(str(ledger.path), isolation_level=None)
            if drop_triggers:
                for (name,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                    self.conn.execute(f"DROP TRIGGER {name}")
        _opened.append(self.conn)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(sql.replace("?", "%s") if self.pg else sql, params)


def raw(ledger: Ledger) -> Raw:
    return Raw(ledger, drop_triggers=True)


def scalar(ledger: Ledger, sql: str) -> Any:
    row = ledger._one(sql)
    assert row is not None
    return row[0]


# --- appending and reading -----------------------------------------------------------------------


def test_append_chains_records(ledger, base) -> None:
    records = make_records(base, 3)
    entries = [ledger.append(r) for r in records]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS
    for before, after in zip(entries, entries[1:]):
        assert after.prev_hash == before.entry_hash
    for e in entries:
        assert e.entry_hash == entry_hash(e.prev_hash, e.record_sha256, e.created_at)
    if not is_postgres(ledger):
        assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    result = ledger.verify()
    assert result.ok and result.records == 3 and result.standards == 1
    assert result.head == entries[-1].entry_hash


def test_standard_content_is_stored_once(ledger, base) -> None:
    ledger.append_many(make_records(base, 4))
    assert scalar(ledger, "SELECT COUNT(*) FROM standards") == 1


def test_same_decision_twice_keeps_the_first(ledger, base) -> None:
    record = make_records(base, 1)[0]
    first = ledger.append(record)
    second = ledger.append(attrs.evolve(record, created_at="2040-01-01T00:00:00.000000Z"))
    assert first.new and not second.new
    assert second.seq == first.seq and second.created_at == first.created_at
    assert ledger.count() == 1


def test_get_returns_a_self_contained_record(ledger, base) -> None:
    record = make_records(base, 1)[0]
    entry = ledger.append(record)
    back = ledger.get(record.decision_id[:10])
    assert back.body == record.body
    assert back.standard_content == record.standard_content
    assert back.created_at == entry.created_at
    assert back.ledger == {"seq": 1, "prev_hash": GENESIS, "entry_hash": entry.entry_hash}
    assert check_record(back) == []


def test_find_rejects_bad_and_unknown_ids(ledger, base) -> None:
    ledger.append(make_records(base, 1)[0])
    with pytest.raises(LedgerError, match="not a decision id"):
        ledger.find("abc")
    with pytest.raises(LedgerError, match="not a decision id"):
        ledger.find("zzzzzzzzzz")
    with pytest.raises(LedgerError, match="no decision 00000000"):
        ledger.find("00000000")


def test_list_filters(ledger, base) -> None:
    ledger.append_many(make_records(base, 2, code="530428", name="元江哈尼族彝族傣族自治县", stage="self"))
    ledger.append_many(make_records(base, 1, start=10, code="530400", name="玉溪市辖", stage="municipal_review"))
    assert len(list(ledger.entries())) == 3
    assert [e.seq for e in ledger.entries(county="530428")] == [1, 2]
    assert [e.seq for e in ledger.entries(county="玉溪")] == [3]
    assert [e.seq for e in ledger.entries(stage="municipal_review")] == [3]
    assert len(list(ledger.entries(standard="yunnan.county-education"))) == 3
    assert len(list(ledger.entries(standard="yunnan.county-education@2009"))) == 3
    assert list(ledger.entries(standard="yunnan.county-education@2010")) == []
    assert len(list(ledger.entries(since=dt.date(2009, 5, 13), until=dt.date(2009, 5, 13)))) == 3
    assert list(ledger.entries(since=dt.date(2009, 5, 14))) == []
    assert list(ledger.entries(until=dt.date(2009, 5, 12))) == []
    assert len(list(ledger.entries(limit=2))) == 2


def test_batch_is_all_or_nothing(ledger, base) -> None:
    good = make_records(base, 3)
    ledger.append(good[0])
    # The third record claims the first one's decision id with other content: the ledger refuses
    # it inside the transaction, and the record before it in the batch is rolled back too.
    clash = attrs.evolve(good[2], decision_id=good[0].decision_id)
    with pytest.raises(RecordError):  # caught before the transaction: it does not verify
        ledger.append_many([good[1], clash])
    assert ledger.count() == 1
    ledger.append_many(good[1:])
    assert ledger.count() == 3 and ledger.verify().ok


def test_batch_rolls_back_when_the_database_refuses(ledger, base, monkeypatch) -> None:
    records = make_records(base, 3)
    calls = {"n": 0}
    original = Ledger._append_one

    def failing(self, record):
        calls["n"] += 1
        if calls["n"] == 3:
            self._run("INSERT INTO records (seq) VALUES (NULL)")  # violates NOT NULL
        return original(self, record)

    monkeypatch.setattr(Ledger, "_append_one", failing)
    with pytest.raises(LedgerError, match="refused the write"):
        ledger.append_many(records)
    monkeypatch.undo()
    assert ledger.count() == 0
    assert scalar(ledger, "SELECT COUNT(*) FROM standards") == 0
    assert ledger.verify().ok


def test_a_record_with_foreign_content_is_refused(ledger, base) -> None:
    record = make_records(base, 1)[0]
    content = dict(record.standard_content)
    content["description"] = "not what was hashed"
    with pytest.raises(RecordError, match="standard content does not match"):
        ledger.append(attrs.evolve(record, standard_content=content))
    assert ledger.count() == 0


def test_opening_errors(tmp_path) -> None:
    with pytest.raises(LedgerError, match="no ledger here"):
        Ledger(tmp_path / "absent.sqlite3")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database at all, just some text" * 20)
    with pytest.raises(LedgerError, match="not a usable ledger"):
        Ledger(junk)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(str(other)).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(LedgerError, match="not a standards-kernel ledger"):
        Ledger(other)


def test_default_path(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(ENV_LEDGER, str(tmp_path / "x.sqlite3"))
    assert default_ledger_path() == tmp_path / "x.sqlite3"
    monkeypatch.delenv(ENV_LEDGER)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_ledger_path() == tmp_path / "data" / "standards-kernel" / "ledger.sqlite3"
    url = "postgresql://writer@db.example/ledger?sslmode=require"
    monkeypatch.setenv(ENV_LEDGER, url)
    assert default_ledger_path() == url  # a URL stays text: a Path would fold its //
    monkeypatch.setenv(ENV_LEDGER, f"sqlite://{tmp_path}/y.sqlite3")
    assert default_ledger_path() == tmp_path / "y.sqlite3"


# --- the triggers ------------------------------------------------------------------------------


def test_triggers_reject_update_delete_and_rewrites(ledger, base) -> None:
    ledger.append_many(make_records(base, 2))
    conn = Raw(ledger, drop_triggers=False)
    sqlite_only = [
        # REPLACE deletes the old row without firing delete triggers: the insert trigger stops it.
        "INSERT OR REPLACE INTO records SELECT * FROM records WHERE seq = 1",
        "INSERT INTO standards SELECT * FROM standards",
    ]
    postgres_only = [
        "TRUNCATE records, standards, meta",
        "TRUNCATE meta",
        "INSERT INTO records SELECT * FROM records WHERE seq = 1 ON CONFLICT (seq) DO UPDATE SET grade = 'x'",
    ]
    refused = [*(postgres_only if conn.pg else sqlite_only),
        "UPDATE records SET grade = 'advanced' WHERE seq = 1",
        "DELETE FROM records WHERE seq = 2",
        "UPDATE standards SET content = '{}'",
        "DELETE FROM standards",
        "UPDATE meta SET value = 'x'",
        "DELETE FROM meta",
        # A row that does not link to the last one.
        "INSERT INTO records SELECT 3, 'x', record_sha256, created_at, county_code, county_name, province, "
        "standard_id, edition, standard_sha256, as_of, stage, grade, score, body, 'bad', 'y' FROM records WHERE seq = 1",
    ]
    for statement in refused:
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
            conn.execute(statement)
    assert ledger.count() == 2 and ledger.verify().ok and ledger.triggers_missing() == []


# --- verify finds what was changed by hand, triggers dropped ------------------------------------


@pytest.fixture
def five(ledger, base):
    entries = ledger.append_many(make_records(base, 5))
    return ledger, entries


def _problem(ledger: Ledger, **kwargs):
    result = ledger.verify(**kwargs)
    assert not result.ok
    return result.problem


def test_verify_names_a_changed_body(five) -> None:
    ledger, entries = five
    conn = raw(ledger)
    conn.execute("UPDATE records SET body = replace(body, '\"score\":\"91.5\"', '\"score\":\"95\"') WHERE seq = 3")
    problem = _problem(ledger)
    assert (problem.seq, problem.kind, problem.decision_id) == (3, "content changed", entries[2].decision_id)
    assert "body does not match" in problem.detail
    assert ledger.verify().records == 2
    assert any("trigger" in w for w in ledger.verify().warnings)


def test_verify_names_a_changed_timestamp(five) -> None:
    ledger, _ = five
    raw(ledger).execute("UPDATE records SET created_at = '2001-01-01T00:00:00.000000Z' WHERE seq = 4")
    problem = _problem(ledger)
    assert (problem.seq, problem.kind) == (4, "content changed")
    assert "entry hash" in problem.detail


def test_verify_names_a_changed_index_column(five) -> None:
    ledger, _ = five
    raw(ledger).execute("UPDATE records SET grade = 'advanced' WHERE seq = 2")
    problem = _problem(ledger)
    assert (problem.seq, problem.kind) == (2, "content changed")
    assert "column grade" in problem.detail


def test_verify_names_a_rehashed_body_whose_chain_no_longer_matches(five) -> None:
    ledger, entries = five
    # A careful forger rewrites body and record hash, but cannot fix the chain without rewriting
    # every later row: the entry hash no longer matches.
    conn = raw(ledger)
    body = conn.execute("SELECT body FROM records WHERE seq = 2").fetchone()[0].replace('"evaluator 1"', '"forger"')
    import hashlib

    digest = hashlib.sha256(body.encode()).hexdigest()
    conn.execute("UPDATE records SET body = ?, record_sha256 = ?, decision_id = ? WHERE seq = 2",
                 (body, digest, digest[:32]))
    problem = _problem(ledger)
    assert (problem.seq, problem.kind) == (2, "content changed")


def test_verify_names_a_missing_record(five) -> None:
    ledger, _ = five
    raw(ledger).execute("DELETE FROM records WHERE seq = 3")
    problem = _problem(ledger)
    assert (problem.seq, problem.kind) == (4, "record missing")
    assert "seq 3 is absent" in problem.detail


def test_verify_names_a_missing_record_after_renumbering(five) -> None:
    ledger, _ = five
    conn = raw(ledger)
    conn.execute("DELETE FROM records WHERE seq = 3")
    conn.execute("UPDATE records SET seq = seq - 1 WHERE seq > 3")
    problem = _problem(ledger)
    assert (problem.seq, problem.kind) == (3, "record missing")
    assert "chained after is not in the ledger" in problem.detail


def test_verify_names_a_missing_first_record(five) -> None:
    ledger, _ = five
    raw(ledger).execute("DELETE FROM records WHERE seq = 1")
    problem = _problem(ledger)
    assert (problem.seq, problem.kind) == (2, "record missing")


def test_verify_names_a_changed_order(five) -> None:
    ledger, entries = five
    conn = raw(ledger)
    conn.execute("UPDATE records SET seq = 100 WHERE seq = 2")
    conn.execute("UPDATE records SET seq = 2 WHERE seq = 3")
    conn.execute("UPDATE records SET seq = 3 WHERE seq = 100")
    problem = _problem(ledger)
    assert (problem.seq, problem.kind) == (2, "order changed")
    assert problem.decision_id == entries[2].decision_id
    assert "seq 3" in problem.detail


def test_verify_names_a_changed_standard(five) -> None:
    ledger, _ = five
    raw(ledger).execute("UPDATE standards SET content = replace(content, '先进县', '优秀县')")
    problem = _problem(ledger)
    assert problem.kind == "standard changed"


def test_verify_detects_truncation_against_a_noted_head(five) -> None:
    ledger, entries = five
    noted = ledger.verify().head
    assert ledger.verify(expect_head=noted).ok
    assert ledger.verify(expect_head=entries[2].entry_hash).ok  # an older head is still in the chain
    raw(ledger).execute("DELETE FROM records WHERE seq = 5")
    assert ledger.verify().ok  # a chain alone cannot show a cut at its end …
    problem = _problem(ledger, expect_head=noted)  # … the noted head can
    assert problem.kind == "record missing" and noted in problem.detail


def test_verify_is_a_single_pass_over_many_records(ledger, base) -> None:
    ledger.append_many(make_records(base, 60))
    result = ledger.verify()
    assert result.ok and result.records == 60
