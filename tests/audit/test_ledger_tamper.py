"""verify checks every column of every table (issue #14): each single-field change to any row of
`meta`, `standards` or `records`, made with the triggers dropped as an intruder would, is detected.
(Both backends share verify; this walks the SQLite file, whose rows a test can rewrite directly.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from standards_kernel import decide, load_standard, read_submission
from standards_kernel.audit.ledger import Ledger, LedgerError
from standards_kernel.audit.records import record_evaluation
from tests.helpers import FIXTURES

COUNTIES = ("yunnan/yuanjiang-2009.toml", "national/basic-2012-pass.toml")


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "ledger.sqlite3"
    with Ledger(path, create=True) as ledger:
        for name in COUNTIES:
            submission = read_submission(FIXTURES / "counties" / name)
            standard = load_standard(submission.standard or "", submission.as_of)
            ledger.append(record_evaluation(decide(submission, standard)))
        assert ledger.verify().ok
    return path


def fields(path: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(path) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [(table, column, rowid)
                for table in tables
                for column in (c[1] for c in conn.execute(f"PRAGMA table_info({table})"))
                for (rowid,) in conn.execute(f"SELECT rowid FROM {table}")]


def test_every_single_field_change_is_detected(original: Path, tmp_path: Path) -> None:
    found = fields(original)
    assert {t for t, _, _ in found} <= {"meta", "standards", "records", "heads"} and len(found) >= 40
    missed = []
    for number, (table, column, rowid) in enumerate(found):
        copy = tmp_path / f"tampered-{number}.sqlite3"
        with sqlite3.connect(original) as source, sqlite3.connect(copy) as target:
            source.backup(target)
            for (trigger,) in target.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                target.execute(f"DROP TRIGGER {trigger}")
            (value,) = target.execute(f"SELECT {column} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
            changed = value + 100 if isinstance(value, int) else f"{value}x"
            target.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (changed, rowid))
        try:
            with Ledger(copy) as ledger:
                verification = ledger.verify()
        except LedgerError as error:  # a changed format is refused when the ledger is opened
            assert table == "meta" and "ledger" in str(error)
            continue
        if verification.ok:
            missed.append(f"{table}.{column} of row {rowid}")
        else:
            assert any("trigger" in w for w in verification.warnings)  # the dropped triggers are named too
    assert missed == []
