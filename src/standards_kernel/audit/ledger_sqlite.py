"""The ledger in one SQLite file: the embedded default.

WAL mode, ``synchronous=FULL`` (an acknowledged record is on disk, also against power loss).
Writes take ``BEGIN IMMEDIATE``: concurrent writers queue on SQLite's lock for up to
``BUSY_TIMEOUT_S`` and each links to the real last row. Triggers reject UPDATE and DELETE on every
table and any INSERT that does not extend the chain, and (``heads``, the signed heads) any INSERT
that does not name a later record as it is.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from .ledger import BUSY_TIMEOUT_S, ENV_LEDGER, FORMAT, GENESIS, INDEX_COLUMNS, Ledger, LedgerError, LedgerUnavailable
from .records import utc_now

TRIGGERS = (
    "records_no_update", "records_no_delete", "records_extend_chain",
    "standards_no_update", "standards_no_delete", "standards_once",
    "meta_no_update", "meta_no_delete",
)
HEAD_TRIGGERS = ("heads_no_update", "heads_no_delete", "heads_extend")
HEADS = """
CREATE TABLE IF NOT EXISTS heads (
    seq INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    entry_hash TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS heads_no_update BEFORE UPDATE ON heads
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: heads cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS heads_no_delete BEFORE DELETE ON heads
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: heads cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS heads_extend BEFORE INSERT ON heads
WHEN NEW.seq <= COALESCE((SELECT MAX(seq) FROM heads), 0)
  OR NEW.entry_hash IS NOT (SELECT entry_hash FROM records WHERE seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: a head must name a later record as it is'); END;
"""
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS standards (
    sha256 TEXT PRIMARY KEY,
    standard_id TEXT NOT NULL,
    edition TEXT NOT NULL,
    content TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    decision_id TEXT NOT NULL UNIQUE,
    record_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    {", ".join(f"{c} TEXT NOT NULL" for c, _ in INDEX_COLUMNS)},
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL UNIQUE,
    FOREIGN KEY (standard_sha256) REFERENCES standards(sha256)
);
CREATE INDEX IF NOT EXISTS records_county ON records(county_code);
CREATE INDEX IF NOT EXISTS records_standard ON records(standard_id, edition);
CREATE INDEX IF NOT EXISTS records_as_of ON records(as_of);
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: records cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: records cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS records_extend_chain BEFORE INSERT ON records
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM records)
  OR NEW.prev_hash IS NOT COALESCE((SELECT entry_hash FROM records WHERE seq = NEW.seq - 1), '{GENESIS}')
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: a record must extend the chain'); END;
CREATE TRIGGER IF NOT EXISTS standards_no_update BEFORE UPDATE ON standards
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: standards cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS standards_no_delete BEFORE DELETE ON standards
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: standards cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS standards_once BEFORE INSERT ON standards
WHEN EXISTS (SELECT 1 FROM standards WHERE sha256 = NEW.sha256)
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: a standard content is stored once'); END;
CREATE TRIGGER IF NOT EXISTS meta_no_update BEFORE UPDATE ON meta
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: meta cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS meta_no_delete BEFORE DELETE ON meta
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: meta cannot be deleted'); END;
""" + HEADS


class SqliteLedger(Ledger):
    """A ledger file. ``create=True`` makes the file (and its folder) if it is not there."""

    TRIGGERS = TRIGGERS
    HEAD_TRIGGERS = HEAD_TRIGGERS

    def __init__(self, target: str | Path | None = None, *, create: bool = False) -> None:
        from .ledger import default_ledger_path, ledger_target

        chosen = ledger_target(default_ledger_path() if target is None else target)
        self.path = Path(chosen)
        self.location = str(self.path)
        if not self.path.exists():
            if not create:
                raise LedgerError("no ledger here", file=str(self.path),
                                  hint=f"record an evaluation first (evaluate --record), or give --ledger / ${ENV_LEDGER}")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise LedgerError(f"cannot create the ledger's folder: {error.strerror}", file=str(self.path)) from None
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._init_with_retries(create)
        except sqlite3.DatabaseError as error:
            raise LedgerError(f"not a usable ledger: {error}", file=str(self.path)) from None

    def _init_with_retries(self, create: bool) -> None:
        """:meth:`_init_schema`, tried again while another process makes the same new ledger.

        Switching a new file to WAL, or reading it while another connection does, can answer
        "database is locked" at once, without waiting the busy timeout (SQLite does not call its
        busy handler there): several writers starting on one new ledger met it about once in a
        hundred. Every step of the schema is idempotent, so it is simply tried again, for at most
        the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._init_schema(create)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def close(self) -> None:
        self.conn.close()

    # -- schema ---------------------------------------------------------------------------------

    def _init_schema(self, create: bool) -> None:
        if self._format() is None:
            if not create:
                raise LedgerError("not a standards-kernel ledger (no meta table)", file=str(self.path))
            mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise LedgerError(f"cannot switch the ledger to WAL mode (got {mode})", file=str(self.path))
            with self._write():
                # one by one: executescript would COMMIT the transaction half-way
                for statement in _statements(SCHEMA):
                    self.conn.execute(statement)
                if self.conn.execute("SELECT 1 FROM meta WHERE key = 'format'").fetchone() is None:
                    self.conn.execute("INSERT INTO meta VALUES ('format', ?), ('created_at', ?)", (FORMAT, utc_now()))
        found = self._format()
        if found != FORMAT:
            raise LedgerError(f"unknown ledger format {found!r}", file=str(self.path), hint=f"this kernel reads {FORMAT}")
        # Durable at each commit, also against power loss: an acknowledged record is on disk.
        self.conn.execute("PRAGMA synchronous=FULL")

    def _format(self) -> str | None:
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return None
            raise
        return None if row is None else str(row[0])

    def triggers_missing(self) -> list[str]:
        found = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        expected = TRIGGERS + (HEAD_TRIGGERS if self.has_heads() else ())
        return [t for t in expected if t not in found]

    def has_heads(self) -> bool:
        return self._one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'heads'") is not None

    def _create_heads(self) -> None:
        for statement in _statements(HEADS):
            self.conn.execute(statement)

    # -- the primitives -------------------------------------------------------------------------

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self.conn.execute(sql, tuple(params)).fetchone()
        return None if row is None else tuple(row)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(sql, tuple(params))

    def _iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        yield from self.conn.execute(sql, tuple(params))

    def _write(self) -> "_Transaction":
        return _Transaction(self.conn, self.path, "BEGIN IMMEDIATE")

    def _snapshot(self) -> "_Transaction":
        # A deferred read transaction: in WAL mode, one snapshot while writers go on.
        return _Transaction(self.conn, self.path, "BEGIN")


class _Transaction:
    """``BEGIN [IMMEDIATE]`` … ``COMMIT``, rolled back on any error; a busy ledger is a clear error."""

    def __init__(self, conn: sqlite3.Connection, path: Path, begin: str) -> None:
        self.conn, self.path, self.begin = conn, path, begin

    def __enter__(self) -> None:
        try:
            self.conn.execute(self.begin)
        except sqlite3.OperationalError as error:
            raise LedgerUnavailable(f"cannot lock the ledger for writing: {error}", file=str(self.path),
                              hint=f"another process held it for more than {BUSY_TIMEOUT_S:.0f} s") from None

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        if kind is None:
            try:
                self.conn.execute("COMMIT")
                return
            except sqlite3.DatabaseError as exc:
                self.conn.execute("ROLLBACK")
                raise LedgerError(f"cannot commit to the ledger: {exc}", file=str(self.path)) from None
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        if isinstance(error, sqlite3.DatabaseError) and self.begin == "BEGIN IMMEDIATE":
            raise LedgerError(f"the ledger refused the write: {error}", file=str(self.path)) from None


def _statements(script: str) -> list[str]:
    """Split the schema into statements (triggers contain ``;`` inside BEGIN … END)."""
    statements, current = [], ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements
