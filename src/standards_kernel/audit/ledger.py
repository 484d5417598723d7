"""The ledger: evaluation records in SQLite, append-only and hash-chained.

One file, WAL mode, ``synchronous=FULL``. Three tables: ``meta`` (the ledger format),
``standards`` (each standard's canonical content once per sha256: content-addressed) and
``records`` (one row per record: the body as canonical JSON, a few columns copied out of it for
filtering, and the chain). Row ``seq`` stores ``prev_hash``, the ``entry_hash`` of row ``seq - 1``
(64 zeros for the first), and its own ``entry_hash`` = sha256 of the ledger format, ``prev_hash``,
``record_sha256`` and ``created_at``. The chain, not ``seq``, defines the order.

Writes go through :meth:`Ledger.append_many` only: one ``BEGIN IMMEDIATE`` transaction, so a
batch is wholly in the ledger or absent, and concurrent writers queue on SQLite's lock and each
link to the real last row. Triggers reject UPDATE and DELETE on every table and any INSERT that
does not extend the chain; :meth:`Ledger.verify` does not rely on them and recomputes everything.

Recording the same evaluation twice gives the same decision id (see :mod:`records`); the ledger
then keeps the first row and returns it marked ``new=False`` instead of writing a second one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterator, Sequence

import attrs

from ..errors import KernelError
from ..kernel.formats import content_json, exact_json
from .records import EvaluationRecord, RecordError, check_body, check_record, decision_id_for, make_record, utc_now

FORMAT = "standards-kernel/ledger@1"
ENV_LEDGER = "STANDARDS_KERNEL_LEDGER"
GENESIS = "0" * 64
BUSY_TIMEOUT_S = 60.0

#: Columns copied out of the body for filtering: (column, how to read it from the body).
INDEX_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("county_code", ("submission", "county", "code")),
    ("county_name", ("submission", "county", "name")),
    ("province", ("submission", "county", "province")),
    ("standard_id", ("standard", "id")),
    ("edition", ("standard", "edition")),
    ("standard_sha256", ("standard", "sha256")),
    ("as_of", ("as_of",)),
    ("stage", ("stage",)),
    ("grade", ("result", "grade")),
    ("score", ("result", "score")),
)
TRIGGERS = (
    "records_no_update", "records_no_delete", "records_extend_chain",
    "standards_no_update", "standards_no_delete", "standards_once",
    "meta_no_update", "meta_no_delete",
)
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
"""


class LedgerError(KernelError):
    """A ledger that cannot be opened, read or written."""


def default_ledger_path() -> Path:
    """``$STANDARDS_KERNEL_LEDGER``, else ``$XDG_DATA_HOME/standards-kernel/ledger.sqlite3``
    (``~/.local/share/…`` when XDG_DATA_HOME is unset)."""
    env = os.environ.get(ENV_LEDGER)
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "standards-kernel" / "ledger.sqlite3"


def entry_hash(prev_hash: str, record_sha256: str, created_at: str) -> str:
    text = f"{FORMAT}\n{prev_hash}\n{record_sha256}\n{created_at}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen
class Entry:
    """One row of the ledger as ``list`` shows it; ``new`` is False when an append found the
    decision already recorded."""

    seq: int
    decision_id: str
    record_sha256: str
    created_at: str
    county_code: str
    county_name: str
    province: str
    standard_id: str
    edition: str
    standard_sha256: str
    as_of: str
    stage: str
    grade: str
    score: str
    prev_hash: str
    entry_hash: str
    new: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in attrs.asdict(self).items() if k != "new"}


_ENTRY_COLUMNS = ("seq", "decision_id", "record_sha256", "created_at", *(c for c, _ in INDEX_COLUMNS),
                  "prev_hash", "entry_hash")


def _entry_of(values: Sequence[Any]) -> Entry:
    """An entry from its column values in :data:`_ENTRY_COLUMNS` order (a row of the ledger)."""
    return Entry(**dict(zip(_ENTRY_COLUMNS, values, strict=True)))


@attrs.frozen
class Problem:
    """The first thing wrong in a ledger. ``kind``: content changed, record missing, order
    changed, standard changed, or not a ledger."""

    kind: str
    detail: str
    seq: int | None = None
    decision_id: str | None = None

    def render(self) -> str:
        where = f"record seq {self.seq}" if self.seq is not None else "ledger"
        if self.decision_id:
            where += f" (decision {self.decision_id})"
        return f"{where}: {self.kind}: {self.detail}"


@attrs.frozen
class Verification:
    records: int  # records checked (up to the first problem)
    standards: int
    head: str  # entry hash of the last record checked
    problem: Problem | None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None


class Ledger:
    """An open ledger. ``Ledger(path, create=True)`` makes the file if it is not there."""

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.path = Path(path)
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
            self._init_schema(create)
        except sqlite3.DatabaseError as error:
            raise LedgerError(f"not a usable ledger: {error}", file=str(self.path)) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    def _write(self) -> "_Transaction":
        return _Transaction(self.conn, self.path)

    # -- writing --------------------------------------------------------------------------------

    def append(self, record: EvaluationRecord) -> Entry:
        return self.append_many([record])[0]

    def append_many(self, records: Sequence[EvaluationRecord]) -> list[Entry]:
        """Append records in one transaction (all or none); returns their entries in order."""
        for record in records:
            problems = check_record(record, content=False)  # the content: when it is stored
            if problems:
                raise RecordError(f"record {record.decision_id} does not verify: " + "; ".join(problems))
        entries: list[Entry] = []
        with self._write():
            for record in records:
                entries.append(self._append_one(record))
        return entries

    def _append_one(self, record: EvaluationRecord) -> Entry:
        existing = self._entry_where("decision_id = ?", (record.decision_id,))
        if existing is not None:
            if existing.record_sha256 != record.record_sha256:
                raise LedgerError(f"decision id {record.decision_id} is already taken by a different record",
                                  file=str(self.path))
            return attrs.evolve(existing, new=False)
        std = record.body["standard"]
        if self.conn.execute("SELECT 1 FROM standards WHERE sha256 = ?", (std["sha256"],)).fetchone() is None:
            text = content_json(record.standard_content)  # once per content: it is the costly part
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != std["sha256"]:
                raise RecordError(f"record {record.decision_id}: the standard content does not match standard.sha256")
            self.conn.execute("INSERT INTO standards (sha256, standard_id, edition, content) VALUES (?, ?, ?, ?)",
                              (std["sha256"], std["id"], std["edition"], text))
        last = self.conn.execute("SELECT seq, entry_hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        created_at = utc_now()
        columns = [_text(_dig(record.body, path)) for _, path in INDEX_COLUMNS]
        row = (seq, record.decision_id, record.record_sha256, created_at, *columns, record.body_text, prev,
               entry_hash(prev, record.record_sha256, created_at))
        names = ("seq", "decision_id", "record_sha256", "created_at", *(c for c, _ in INDEX_COLUMNS),
                 "body", "prev_hash", "entry_hash")
        self.conn.execute(f"INSERT INTO records ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", row)
        return _entry_of((*row[:4], *columns, prev, row[-1]))

    # -- reading --------------------------------------------------------------------------------

    def _entry_where(self, where: str, params: tuple[Any, ...]) -> Entry | None:
        row = self.conn.execute(f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM records WHERE {where}", params).fetchone()
        return _entry_of(row) if row else None

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def entries(
        self,
        *,
        county: str | None = None,
        standard: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        stage: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Entry]:
        """Entries in chain order. ``county``: a code, or part of a name; ``standard``: an id or
        ``id@edition``; ``since``/``until``: bounds on the evaluation date (``as_of``), inclusive."""
        where, params = ["1"], []
        if county:
            where.append("(county_code = ? OR instr(county_name, ?) > 0)")
            params += [county, county]
        if standard:
            sid, _, edition = standard.partition("@")
            where.append("standard_id = ?")
            params.append(sid)
            if edition:
                where.append("edition = ?")
                params.append(edition)
        if since:
            where.append("as_of >= ?")
            params.append(since.isoformat())
        if until:
            where.append("as_of <= ?")
            params.append(until.isoformat())
        if stage:
            where.append("stage = ?")
            params.append(stage)
        sql = f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM records WHERE {' AND '.join(where)} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for row in self.conn.execute(sql, params):
            yield _entry_of(row)

    def find(self, decision_id: str) -> Entry:
        """The entry of a decision id, or of a unique prefix of at least 8 hex digits."""
        ref = decision_id.strip().lower()
        if len(ref) < 8 or any(c not in "0123456789abcdef" for c in ref):
            raise LedgerError(f"{decision_id!r} is not a decision id", hint="give the id (or at least its first 8 hex digits)")
        rows = self.conn.execute(
            f"SELECT {', '.join(_ENTRY_COLUMNS)} FROM records WHERE decision_id >= ? AND decision_id < ? LIMIT 6",
            (ref, ref + "g"),
        ).fetchall()
        if not rows:
            raise LedgerError(f"no decision {decision_id} in the ledger", file=str(self.path))
        if len(rows) > 1:
            raise LedgerError(f"{decision_id} is ambiguous", file=str(self.path),
                              hint="candidates: " + ", ".join(r[1] for r in rows[:5]))
        return _entry_of(rows[0])

    def get(self, decision_id: str) -> EvaluationRecord:
        """The self-contained record of a decision (body, standard content, created_at, chain)."""
        entry = self.find(decision_id)
        body_text, content_text = self.conn.execute(
            "SELECT r.body, s.content FROM records r LEFT JOIN standards s ON s.sha256 = r.standard_sha256 "
            "WHERE r.seq = ?", (entry.seq,)
        ).fetchone()
        if content_text is None:
            raise LedgerError(f"record {entry.decision_id}: its standard content {entry.standard_sha256} is missing",
                              file=str(self.path), hint="run: standards-kernel ledger verify")
        body = exact_json(body_text)
        content = exact_json(content_text)
        chain = {"seq": entry.seq, "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash}
        record = make_record(body, content, entry.created_at, ledger=chain)
        # Keep the stored hashes, so that a changed row shows as a mismatch rather than re-hashed.
        return attrs.evolve(record, record_sha256=entry.record_sha256, decision_id=entry.decision_id)

    # -- verifying ------------------------------------------------------------------------------

    def triggers_missing(self) -> list[str]:
        found = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        return [t for t in TRIGGERS if t not in found]

    def verify(self, *, expect_head: str | None = None) -> Verification:
        """Recompute every hash and the chain in one streaming pass; stop at the first problem.

        Does not rely on the triggers (they may have been dropped). ``expect_head``: an entry
        hash noted earlier (e.g. printed by a previous verify), which must still be in the chain;
        it is what detects a ledger truncated at the end, which a chain alone cannot show.
        """
        warnings = tuple(f"trigger {t} is missing: someone has altered the schema" for t in self.triggers_missing())
        good_standards: set[str] = set()
        n_standards = 0
        for sha, text in self.conn.execute("SELECT sha256, content FROM standards ORDER BY sha256"):
            n_standards += 1
            if hashlib.sha256(str(text).encode("utf-8")).hexdigest() != sha:
                changed = Problem("standard changed", f"the stored content of standard {sha} does not match its hash")
                return Verification(0, n_standards, GENESIS, changed, warnings)
            good_standards.add(sha)
        expected_seq, prev, head_seen, checked = 1, GENESIS, expect_head is None, 0
        sql = f"SELECT {', '.join(_ENTRY_COLUMNS)}, body FROM records ORDER BY seq"
        for row in self.conn.execute(sql):
            entry, body_text = _entry_of(row[:-1]), row[-1]
            problem = self._check_row(entry, body_text, expected_seq, prev, good_standards)
            if problem is not None:
                return Verification(checked, n_standards, prev, problem, warnings)
            checked += 1
            expected_seq, prev = entry.seq + 1, entry.entry_hash
            head_seen = head_seen or entry.entry_hash == expect_head
        if not head_seen:
            problem = Problem("record missing", f"the expected head {expect_head} is not in the chain: "
                              "records were removed from the end, or the chain was rewritten")
            return Verification(checked, n_standards, prev, problem, warnings)
        return Verification(checked, n_standards, prev, None, warnings)

    def _check_row(self, e: Entry, body_text: str, expected_seq: int, prev: str, standards: set[str]) -> Problem | None:
        def problem(kind: str, detail: str) -> Problem:
            return Problem(kind, detail, e.seq, e.decision_id)

        if e.seq != expected_seq:
            span = f"seq {expected_seq}" if e.seq == expected_seq + 1 else f"seq {expected_seq} to {e.seq - 1}"
            jump = f"the ledger starts at seq {e.seq}" if expected_seq == 1 else f"the chain jumps from seq {expected_seq - 1} to {e.seq}"
            return problem("record missing", f"{span} is absent: {jump}")
        if hashlib.sha256(body_text.encode("utf-8")).hexdigest() != e.record_sha256:
            return problem("content changed", "the record body does not match its record_sha256")
        if e.decision_id != decision_id_for(e.record_sha256):
            return problem("content changed", "the decision id does not match the record's hash")
        if entry_hash(e.prev_hash, e.record_sha256, e.created_at) != e.entry_hash:
            return problem("content changed", "the entry hash does not match (created_at, record hash or prev_hash altered)")
        if e.prev_hash != prev:
            where = self.conn.execute("SELECT seq, decision_id FROM records WHERE entry_hash = ?", (e.prev_hash,)).fetchone()
            if where is not None:
                return problem("order changed", f"it was chained after seq {where[0]} (decision {where[1]}), "
                               f"but sits after seq {e.seq - 1}")
            return problem("record missing", "the record it was chained after is not in the ledger "
                           f"(expected predecessor entry hash {e.prev_hash})")
        try:
            body = exact_json(body_text)
        except ValueError as error:
            return problem("content changed", f"the body is not JSON: {error}")
        inner = check_body(body)
        if inner:
            return problem("content changed", "; ".join(inner))
        for column, path in INDEX_COLUMNS:
            want = _text(_dig(body, path))
            if getattr(e, column) != want:
                return problem("content changed", f"column {column} says {getattr(e, column)!r}, the record says {want!r}")
        if e.standard_sha256 not in standards:
            return problem("standard changed", f"its standard content {e.standard_sha256} is not in the ledger")
        return None


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error; a busy ledger is a clear error."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn, self.path = conn, path

    def __enter__(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise LedgerError(f"cannot lock the ledger for writing: {error}", file=str(self.path),
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
        if isinstance(error, sqlite3.DatabaseError):
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


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _text(value: Any) -> str:
    return "" if value is None else str(value)
