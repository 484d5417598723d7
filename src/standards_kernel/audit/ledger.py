"""The ledger: evaluation records, append-only and hash-chained — the interface both backends share.

A ledger lives in SQLite (a file: the embedded default, :mod:`.ledger_sqlite`) or in PostgreSQL
(a ``postgresql://`` URL: one chain that servers on several machines append to,
:mod:`.ledger_postgres`). ``Ledger(target)`` opens the right one; the records, the hashes and
what :meth:`Ledger.verify` checks are the same on both, so a ledger copied from one to the other
(:mod:`.ledger_copy`) has the same head.

Three tables: ``meta`` (the ledger format), ``standards`` (each standard's canonical content once
per sha256: content-addressed) and ``records`` (one row per record: the body as canonical JSON, a
few columns copied out of it for filtering, and the chain). Row ``seq`` stores ``prev_hash``, the
``entry_hash`` of row ``seq - 1`` (64 zeros for the first), and its own ``entry_hash`` = sha256
of the ledger format, ``prev_hash``, ``record_sha256`` and ``created_at``. The chain, not ``seq``,
defines the order.

Writes go through :meth:`Ledger.append_many` only: one transaction that holds the ledger's write
lock, so a batch is wholly in the ledger or absent, and concurrent writers each link to the real
last row. Triggers reject UPDATE and DELETE and any INSERT that does not extend the chain;
:meth:`Ledger.verify` does not rely on them and recomputes everything.

Recording the same evaluation twice gives the same decision id (see :mod:`records`); the ledger
then keeps the first row and returns it marked ``new=False`` instead of writing a second one.
That is also what makes a write retried after a dropped connection safe.

With a signing key (:mod:`.signing`), each append transaction also signs the new head into a fourth
table, ``heads`` (append-only too), and a head log outside the database; :meth:`Ledger.verify`
with the public key checks them (:mod:`.ledger_heads`). The records' hashes do not change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import os
import re
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, Sequence, TypeVar

import attrs

from ..errors import KernelError
from ..kernel.formats import content_json, exact_json
from .signing import HEAD_COLUMNS, Head, Signer, Verifier, head_of, signer_from_env
from .records import EvaluationRecord, RecordError, check_body, check_record, decision_id_for, make_record, utc_now

FORMAT = "standards-kernel/ledger@1"
ENV_LEDGER = "STANDARDS_KERNEL_LEDGER"
GENESIS = "0" * 64
BUSY_TIMEOUT_S = 60.0  # the longest a writer waits for another one's transaction

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
ENTRY_COLUMNS = ("seq", "decision_id", "record_sha256", "created_at", *(c for c, _ in INDEX_COLUMNS),
                 "prev_hash", "entry_hash")
#: A records row as stored: the entry's columns with the body before the chain.
ROW_COLUMNS = (*ENTRY_COLUMNS[:-2], "body", "prev_hash", "entry_hash")
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class LedgerError(KernelError):
    """A ledger that cannot be opened, read or written."""


class LedgerUnavailable(LedgerError):
    """The ledger's database cannot be reached, the connection dropped, or another writer held
    the write lock past the bounded wait: try again later (the server answers 503). A write that raised it may or may not have committed; recording
    the same decision again is safe (same decision id, the ledger keeps the first)."""


class StaleConnection(LedgerUnavailable):
    """A connection that broke while idle or mid-call: the operation is tried once more on a new one."""


def default_ledger_path() -> Path | str:
    """``$STANDARDS_KERNEL_LEDGER`` (a path, or a URL kept as text), else
    ``$XDG_DATA_HOME/standards-kernel/ledger.sqlite3`` (``~/.local/share/…`` when unset)."""
    env = os.environ.get(ENV_LEDGER)
    if env:
        return ledger_target(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "standards-kernel" / "ledger.sqlite3"


def ledger_target(value: str | Path) -> Path | str:
    """What ``--ledger`` names: a PostgreSQL URL stays text; ``sqlite:PATH``, ``sqlite:///PATH``
    and a plain path become a path."""
    if isinstance(value, Path):
        return value
    if is_postgres_url(value):
        return value
    if value.startswith("sqlite:"):
        rest = value[len("sqlite:"):]
        return Path(rest[2:] if rest.startswith("///") else rest)
    return Path(value)


def is_postgres_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(POSTGRES_SCHEMES)


def shown(target: str | Path) -> str:
    """A ledger's name for messages: the path, or the URL without its password."""
    text = str(target)
    text = re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", text)
    return re.sub(r"(password=)[^&\s]*", r"\1***", text)


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


def entry_of(values: Sequence[Any]) -> Entry:
    """An entry from its column values in :data:`ENTRY_COLUMNS` order (a row of the ledger)."""
    return Entry(**dict(zip(ENTRY_COLUMNS, values, strict=True)))


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
    signed: Any = None  # ledger_heads.SignedHeads when verified with a public key
    heads: int = 0  # signed heads stored (counted also without a key)

    @property
    def ok(self) -> bool:
        return self.problem is None


T = TypeVar("T")


def once_more(method: Callable[..., T]) -> Callable[..., T]:
    """Run a whole operation again, once, when the connection under it was found broken (e.g.
    the database restarted since the last call): the backend reconnects on the next use."""

    @functools.wraps(method)
    def run(self: "Ledger", *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except StaleConnection:
            return method(self, *args, **kwargs)

    return run


class Ledger:
    """An open ledger. ``Ledger(path_or_url, create=True)`` makes it if it is not there.

    ``Ledger(...)`` returns the backend for the target (a subclass), so that every caller opens
    a ledger the same way whatever it is stored in. Backends provide the connection, the write
    transaction, the schema and three primitives (:meth:`_one`, :meth:`_run`, :meth:`_iterate`,
    SQL written with ``?`` placeholders); the rest is here, shared.
    """

    location: str  # path or URL (password hidden), for messages
    CONTAINS = "instr(county_name, ?) > 0"  # SQL: the county name contains the parameter
    TRIGGERS: tuple[str, ...] = ()
    HEAD_TRIGGERS: tuple[str, ...] = ()
    #: The key that signs each append's head; None: ``$STANDARDS_KERNEL_SIGNING_KEY``, if set.
    signer: Signer | None = None

    def __new__(cls, target: str | Path | None = None, *, create: bool = False) -> "Ledger":
        if cls is Ledger:
            chosen = ledger_target(default_ledger_path() if target is None else target)
            if is_postgres_url(chosen):
                from .ledger_postgres import PostgresLedger

                return super().__new__(PostgresLedger)
            from .ledger_sqlite import SqliteLedger

            return super().__new__(SqliteLedger)
        return super().__new__(cls)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what a backend provides ----------------------------------------------------------------

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        raise NotImplementedError

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    def _iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def _write(self) -> ContextManager[None]:
        """A write transaction holding the ledger's one write lock (bounded wait)."""
        raise NotImplementedError

    def _snapshot(self) -> ContextManager[None]:
        """A read transaction: one consistent view for a multi-query read such as verify."""
        return contextlib.nullcontext()

    def triggers_missing(self) -> list[str]:
        raise NotImplementedError

    def has_heads(self) -> bool:
        """Whether the ledger has its ``heads`` table (ledgers made before signed heads do not)."""
        raise NotImplementedError

    def _create_heads(self) -> None:
        """Create the ``heads`` table and its triggers, inside :meth:`_write`."""
        raise NotImplementedError

    def add_heads_table(self) -> bool:
        """Create the ``heads`` table in a ledger made before signed heads; False if it was there.
        The records, their hashes and the ledger format do not change."""
        with self._write():
            if self.has_heads():
                return False
            self._create_heads()
        return True

    # -- writing --------------------------------------------------------------------------------

    def append(self, record: EvaluationRecord) -> Entry:
        return self.append_many([record])[0]

    @once_more
    def append_many(self, records: Sequence[EvaluationRecord]) -> list[Entry]:
        """Append records in one transaction (all or none); returns their entries in order."""
        for record in records:
            problems = check_record(record, content=False)  # the content: when it is stored
            if problems:
                raise RecordError(f"record {record.decision_id} does not verify: " + "; ".join(problems))
        signer = self.signer or signer_from_env()
        entries: list[Entry] = []
        head: Head | None = None
        with self._write():
            for record in records:
                entries.append(self._append_one(record))
            added = [e for e in entries if e.new]
            if signer is not None and added:
                head = self._sign_head(signer, added[0].seq, added[-1])
        if head is not None and signer is not None:
            # After the commit: a logged head is always in the chain, unless records were removed.
            signer.log(head)
        return entries

    def _sign_head(self, signer: Signer, first_seq: int, last: Entry) -> Head:
        if not self.has_heads():
            self._create_heads()
        head = signer.sign(FORMAT, last.seq, first_seq, last.entry_hash, utc_now())
        self._insert_head(head.row())
        return head

    def _insert_head(self, row: Sequence[Any]) -> None:
        self._run(f"INSERT INTO heads ({', '.join(HEAD_COLUMNS)}) VALUES ({', '.join('?' * len(HEAD_COLUMNS))})", row)

    def _append_one(self, record: EvaluationRecord) -> Entry:
        existing = self._entry_where("decision_id = ?", (record.decision_id,))
        if existing is not None:
            if existing.record_sha256 != record.record_sha256:
                raise LedgerError(f"decision id {record.decision_id} is already taken by a different record",
                                  file=self.location)
            return attrs.evolve(existing, new=False)
        std = record.body["standard"]
        if self._one("SELECT 1 FROM standards WHERE sha256 = ?", (std["sha256"],)) is None:
            text = content_json(record.standard_content)  # once per content: it is the costly part
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != std["sha256"]:
                raise RecordError(f"record {record.decision_id}: the standard content does not match standard.sha256")
            self._insert_standard(std["sha256"], std["id"], std["edition"], text)
        last = self._one("SELECT seq, entry_hash FROM records ORDER BY seq DESC LIMIT 1")
        seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
        created_at = utc_now()
        columns = index_values(record.body)
        row = (seq, record.decision_id, record.record_sha256, created_at, *columns, record.body_text, prev,
               entry_hash(prev, record.record_sha256, created_at))
        self._insert_row(row)
        return entry_of((*row[:4], *columns, prev, row[-1]))

    def take(self, standards: Sequence[Sequence[Any]], rows: Sequence[Sequence[Any]],
             heads: Sequence[Sequence[Any]] = ()) -> None:
        """Insert standards, records and heads rows copied from another ledger verbatim (same
        seq, times, hashes and signatures: see :mod:`.ledger_copy`), in one transaction; the
        triggers still check that the rows extend this ledger's chain."""
        with self._write():
            for sha256, standard_id, edition, content in standards:
                self._insert_standard(sha256, standard_id, edition, content)
            for row in rows:
                self._insert_row(row)
            if heads and not self.has_heads():
                self._create_heads()
            for head in heads:
                self._insert_head(head)

    def _insert_standard(self, sha256: str, standard_id: str, edition: str, content: str) -> None:
        self._run("INSERT INTO standards (sha256, standard_id, edition, content) VALUES (?, ?, ?, ?)",
                  (sha256, standard_id, edition, content))

    def _insert_row(self, row: Sequence[Any]) -> None:
        """Insert one records row (:data:`ROW_COLUMNS` order), inside :meth:`_write`."""
        self._run(f"INSERT INTO records ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * len(ROW_COLUMNS))})",
                  row)

    # -- reading --------------------------------------------------------------------------------

    def _entry_where(self, where: str, params: Sequence[Any]) -> Entry | None:
        row = self._one(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM records WHERE {where}", params)
        return entry_of(row) if row else None

    @once_more
    def count(self) -> int:
        row = self._one("SELECT COUNT(*) FROM records")
        return int(row[0]) if row else 0

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
        where: list[str] = ["TRUE"]
        params: list[Any] = []
        if county:
            where.append(f"(county_code = ? OR {self.CONTAINS})")
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
        sql = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM records WHERE {' AND '.join(where)} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for row in self._iterate(sql, params):
            yield entry_of(row)

    def rows(self, *, after: int = 0) -> Iterator[tuple[Any, ...]]:
        """Stored records rows (:data:`ROW_COLUMNS` order) with ``seq > after``, in seq order."""
        return self._iterate(f"SELECT {', '.join(ROW_COLUMNS)} FROM records WHERE seq > ? ORDER BY seq", (after,))

    def head_rows(self, *, after: int = 0) -> Iterator[tuple[Any, ...]]:
        """Stored heads rows (:data:`.signing.HEAD_COLUMNS` order) with ``seq > after``, in seq order."""
        if not self.has_heads():
            return iter(())
        return self._iterate(f"SELECT {', '.join(HEAD_COLUMNS)} FROM heads WHERE seq > ? ORDER BY seq", (after,))

    def standard_rows(self) -> Iterator[tuple[Any, ...]]:
        """Stored standards rows: (sha256, standard_id, edition, content), by sha256."""
        return self._iterate("SELECT sha256, standard_id, edition, content FROM standards ORDER BY sha256")

    @once_more
    def find(self, decision_id: str) -> Entry:
        """The entry of a decision id, or of a unique prefix of at least 8 hex digits."""
        ref = decision_id.strip().lower()
        if len(ref) < 8 or any(c not in "0123456789abcdef" for c in ref):
            raise LedgerError(f"{decision_id!r} is not a decision id", hint="give the id (or at least its first 8 hex digits)")
        rows = list(self._iterate(
            f"SELECT {', '.join(ENTRY_COLUMNS)} FROM records WHERE decision_id >= ? AND decision_id < ? "
            "ORDER BY decision_id LIMIT 6", (ref, ref + "g")))
        if not rows:
            raise LedgerError(f"no decision {decision_id} in the ledger", file=self.location)
        if len(rows) > 1:
            raise LedgerError(f"{decision_id} is ambiguous", file=self.location,
                              hint="candidates: " + ", ".join(str(r[1]) for r in rows[:5]))
        return entry_of(rows[0])

    @once_more
    def get(self, decision_id: str) -> EvaluationRecord:
        """The self-contained record of a decision (body, standard content, created_at, chain)."""
        entry = self.find(decision_id)
        found = self._one(
            "SELECT r.body, s.content FROM records r LEFT JOIN standards s ON s.sha256 = r.standard_sha256 "
            "WHERE r.seq = ?", (entry.seq,))
        assert found is not None  # the row find() just read: the ledger is append-only
        body_text, content_text = found
        if content_text is None:
            raise LedgerError(f"record {entry.decision_id}: its standard content {entry.standard_sha256} is missing",
                              file=self.location, hint="run: standards-kernel ledger verify")
        body = exact_json(body_text)
        content = exact_json(content_text)
        chain = {"seq": entry.seq, "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash}
        record = make_record(body, content, entry.created_at, ledger=chain)
        # Keep the stored hashes, so that a changed row shows as a mismatch rather than re-hashed.
        return attrs.evolve(record, record_sha256=entry.record_sha256, decision_id=entry.decision_id)

    # -- verifying ------------------------------------------------------------------------------

    @once_more
    def verify(self, *, expect_head: str | None = None, public_key: Verifier | None = None,
               head_log: Path | None = None) -> Verification:
        """Recompute every hash and the chain in one streaming pass; stop at the first problem.

        Does not rely on the triggers (they may have been dropped). ``expect_head``: an entry
        hash noted earlier (e.g. printed by a previous verify), which must still be in the chain;
        it is what detects a ledger truncated at the end, which a chain alone cannot show.
        ``public_key``: also check the signed heads (:mod:`.ledger_heads`), and with ``head_log``
        that its latest head is in the chain.
        """
        from .signing import read_head_log

        log = read_head_log(head_log) if head_log is not None and public_key is not None else None
        with self._snapshot():
            heads = [head_of(row) for row in self.head_rows()]
            hashes: dict[int, str] = {}  # the entry hashes at the seqs the heads name
            wanted = {h.seq for h in heads} | {h.seq for h in (log.heads if log else ())}
            result = attrs.evolve(_verify(self, expect_head, wanted, hashes), heads=len(heads))
            if public_key is None or not result.ok:
                return result
            from .ledger_heads import check_heads

            signed, problem = check_heads(heads, hashes, result.records, public_key, log, head_log)
            return attrs.evolve(result, signed=signed, problem=problem)


def _verify(ledger: Ledger, expect_head: str | None, wanted: set[int], hashes: dict[int, str]) -> Verification:
    """The chain's verification; fills ``hashes`` with the entry hashes at the ``wanted`` seqs."""
    warnings = tuple(f"trigger {t} is missing: someone has altered the schema" for t in ledger.triggers_missing())
    good_standards: set[str] = set()
    n_standards = 0
    meta = {str(k): str(v) for k, v in ledger._iterate("SELECT key, value FROM meta ORDER BY key")}
    if meta.get("format") != FORMAT or set(meta) != {"format", "created_at"} \
            or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", meta.get("created_at", "")):
        # created_at is the one field no hash covers: informational, checked for shape only
        changed = Problem("meta changed", f"the ledger's meta table is not as written: {sorted(meta.items())}")
        return Verification(0, 0, GENESIS, changed, warnings)
    for sha, standard_id, edition, text in ledger.standard_rows():
        n_standards += 1
        if hashlib.sha256(str(text).encode("utf-8")).hexdigest() != sha:
            changed = Problem("standard changed", f"the stored content of standard {sha} does not match its hash")
            return Verification(0, n_standards, GENESIS, changed, warnings)
        header = _standard_header(str(text))
        if header != (standard_id, edition):
            changed = Problem("standard changed", f"the row of standard {sha} names {standard_id}@{edition}, "
                              f"its content {header[0]}@{header[1]}")
            return Verification(0, n_standards, GENESIS, changed, warnings)
        good_standards.add(str(sha))
    # The empty chain's head (64 zeros) begins every chain: it is always "still there".
    expected_seq, prev, head_seen, checked = 1, GENESIS, expect_head in (None, GENESIS), 0
    sql = f"SELECT {', '.join(ENTRY_COLUMNS)}, body FROM records ORDER BY seq"
    for row in ledger._iterate(sql):
        entry, body_text = entry_of(row[:-1]), row[-1]
        problem = _check_row(ledger, entry, body_text, expected_seq, prev, good_standards)
        if problem is not None:
            return Verification(checked, n_standards, prev, problem, warnings)
        checked += 1
        expected_seq, prev = entry.seq + 1, entry.entry_hash
        if entry.seq in wanted:
            hashes[entry.seq] = entry.entry_hash
        head_seen = head_seen or entry.entry_hash == expect_head
    if not head_seen:
        problem = Problem("record missing", f"the expected head {expect_head} is not in the chain: "
                          "records were removed from the end, or the chain was rewritten")
        return Verification(checked, n_standards, prev, problem, warnings)
    return Verification(checked, n_standards, prev, None, warnings)

def _check_row(ledger: Ledger, e: Entry, body_text: str, expected_seq: int, prev: str, standards: set[str]) -> Problem | None:
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
        where = ledger._one("SELECT seq, decision_id FROM records WHERE entry_hash = ?", (e.prev_hash,))
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
    for column, want in zip((c for c, _ in INDEX_COLUMNS), index_values(body)):
        if getattr(e, column) != want:
            return problem("content changed", f"column {column} says {getattr(e, column)!r}, the record says {want!r}")
    if e.standard_sha256 not in standards:
        return problem("standard changed", f"its standard content {e.standard_sha256} is not in the ledger")
    return None


def _standard_header(text: str) -> tuple[Any, Any]:
    """(id, edition) from a stored standard's canonical content (None, None when unreadable)."""
    try:
        header = exact_json(text).get("standard", {})
    except (ValueError, AttributeError):
        return None, None
    return (header.get("id"), header.get("edition")) if isinstance(header, dict) else (None, None)


def index_values(body: Any) -> list[str]:
    """The :data:`INDEX_COLUMNS` values of a record body, as stored."""
    return [_text(_dig(body, path)) for _, path in INDEX_COLUMNS]


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _text(value: Any) -> str:
    return "" if value is None else str(value)
