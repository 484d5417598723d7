"""The ledger in PostgreSQL: one chain that many processes on many machines append to.

Chosen by a ``postgresql://`` URL; needs psycopg 3 (the ``postgres`` extra), imported only here.
Every append transaction first takes one transaction-level advisory lock
(``pg_advisory_xact_lock``), so appends from every client serialise and each links to the real
last row; the wait is bounded by ``lock_timeout``. Reads need no lock; verify reads one
REPEATABLE READ snapshot. The rows, hashes and chain are exactly the SQLite ledger's.

Append-only twice over: the role the servers use is granted SELECT and INSERT only (docs/deploy.md),
and triggers refuse UPDATE, DELETE, TRUNCATE and an INSERT that does not extend the chain (or,
for ``heads``, the signed heads, that does not name a later record as it is), even for the owner. A lost connection raises :class:`StaleConnection`; the operation is run once more on
a new connection, and when the database stays away the caller gets :class:`LedgerUnavailable`.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import threading
from pathlib import Path
from typing import Any, Iterator, Sequence

from .ledger import (
    BUSY_TIMEOUT_S, ENV_LEDGER, FORMAT, GENESIS, INDEX_COLUMNS, Ledger, LedgerError, LedgerUnavailable,
    StaleConnection, shown,
)
from .records import utc_now

CONNECT_TIMEOUT_S = 10
#: The key of the append lock: one chain per database (per schema on the search path, see docs).
LOCK_KEY = int.from_bytes(hashlib.sha256(f"{FORMAT}:append".encode()).digest()[:8], "big", signed=True)
TRIGGERS = (
    "records_no_update", "records_no_delete", "records_no_truncate", "records_extend_chain",
    "standards_no_update", "standards_no_delete", "standards_no_truncate",
    "meta_no_update", "meta_no_delete", "meta_no_truncate",
)
HEAD_TRIGGERS = ("heads_no_update", "heads_no_delete", "heads_no_truncate", "heads_extend")
_TEXT = 'TEXT COLLATE "C" NOT NULL'  # byte order, as SQLite compares: prefix lookups and sorting agree
SCHEMA = f"""
CREATE TABLE meta (key {_TEXT} PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE standards (
    sha256 {_TEXT} PRIMARY KEY,
    standard_id {_TEXT},
    edition {_TEXT},
    content TEXT NOT NULL
);
CREATE TABLE records (
    seq BIGINT PRIMARY KEY,
    decision_id {_TEXT} UNIQUE,
    record_sha256 {_TEXT},
    created_at {_TEXT},
    {", ".join(f"{c} {_TEXT}" for c, _ in INDEX_COLUMNS)},
    body TEXT NOT NULL,
    prev_hash {_TEXT},
    entry_hash {_TEXT} UNIQUE,
    FOREIGN KEY (standard_sha256) REFERENCES standards(sha256)
);
CREATE INDEX records_county ON records(county_code);
CREATE INDEX records_standard ON records(standard_id, edition);
CREATE INDEX records_as_of ON records(as_of);
CREATE FUNCTION standards_kernel_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the ledger is append-only: % cannot be %', TG_TABLE_NAME, TG_ARGV[0]; END $$;
CREATE FUNCTION standards_kernel_extend_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE last_seq BIGINT; last_hash TEXT;
BEGIN
    SELECT seq, entry_hash INTO last_seq, last_hash FROM records ORDER BY seq DESC LIMIT 1;
    IF NEW.seq IS DISTINCT FROM COALESCE(last_seq, 0) + 1
       OR NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, '{GENESIS}') THEN
        RAISE EXCEPTION 'the ledger is append-only: a record must extend the chain';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER records_extend_chain BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION standards_kernel_extend_chain();
""" + "".join(
    f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} FOR EACH {each} "
    f"EXECUTE FUNCTION standards_kernel_refuse('{past}');\n"
    for table in ("records", "standards", "meta")
    for verb, past, each in (("update", "changed", "ROW"), ("delete", "deleted", "ROW"), ("truncate", "truncated", "STATEMENT"))
)
#: The signed heads (audit.signing): created with a new ledger, or by the first signed append.
HEADS = f"""
CREATE TABLE heads (
    seq BIGINT PRIMARY KEY,
    first_seq BIGINT NOT NULL,
    entry_hash {_TEXT},
    signed_at {_TEXT},
    key_id {_TEXT},
    signature {_TEXT}
);
CREATE OR REPLACE FUNCTION standards_kernel_extend_heads() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq <= COALESCE((SELECT MAX(seq) FROM heads), 0)
       OR NEW.entry_hash IS DISTINCT FROM (SELECT entry_hash FROM records WHERE seq = NEW.seq) THEN
        RAISE EXCEPTION 'the ledger is append-only: a head must name a later record as it is';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER heads_extend BEFORE INSERT ON heads FOR EACH ROW EXECUTE FUNCTION standards_kernel_extend_heads();
""" + "".join(
    f"CREATE TRIGGER heads_no_{verb} BEFORE {verb.upper()} ON heads FOR EACH {each} "
    f"EXECUTE FUNCTION standards_kernel_refuse('{past}');\n"
    for verb, past, each in (("update", "changed", "ROW"), ("delete", "deleted", "ROW"), ("truncate", "truncated", "STATEMENT"))
)
#: SQLSTATEs that mean the connection is gone or the server is not serving (yet).
_GONE = ("57P01", "57P02", "57P03")
#: SQLSTATEs that mean a wrong URL, not an absent database: no point retrying.
_MISCONFIGURED = ("28000", "28P01", "3D000")
_cursor_names = itertools.count(1)


def _driver() -> Any:
    try:
        import psycopg
    except ImportError:
        raise LedgerError("a postgresql:// ledger needs the psycopg driver, which is not installed",
                          hint='install the extra: pip install "standards-kernel[postgres]"') from None
    return psycopg


class PostgresLedger(Ledger):
    """A ledger in a PostgreSQL database. ``create=True`` makes the tables if they are not there
    (which needs a role that may create them: the owner, not the servers' role)."""

    CONTAINS = "strpos(county_name, ?) > 0"
    TRIGGERS = TRIGGERS
    HEAD_TRIGGERS = HEAD_TRIGGERS

    def __init__(self, target: str | Path | None = None, *, create: bool = False) -> None:
        self.psycopg = _driver()
        self.url = str(target)
        self.location = shown(self.url)
        self._lock = threading.RLock()  # one connection, used by one thread at a time
        self._conn: Any = None
        self._depth = 0  # open transactions (reads inside one reuse it)
        try:
            self._init_schema(create)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- the connection -------------------------------------------------------------------------

    def _connection(self) -> Any:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        if conn is not None:
            conn.close()
            self._conn = None
        if self._depth:  # the transaction died with its connection: never go on in a new one
            raise StaleConnection("the connection to the ledger's database was lost mid-transaction",
                                  file=self.location)
        conninfo = self.psycopg.conninfo
        params = conninfo.conninfo_to_dict(self.url)
        # The URL's own settings win; these bound a dead network's cost.
        for key, value in (("connect_timeout", CONNECT_TIMEOUT_S), ("application_name", "standards-kernel"),
                           ("keepalives", 1), ("keepalives_idle", 30), ("keepalives_interval", 10),
                           ("keepalives_count", 3)):
            params.setdefault(key, value)
        try:
            self._conn = self.psycopg.connect(conninfo.make_conninfo(**params), autocommit=True)
        except self.psycopg.OperationalError as error:
            message = _first_line(error)
            if getattr(error, "sqlstate", None) in _MISCONFIGURED or _misconfigured(message):
                raise LedgerError(f"cannot open the ledger's database: {message}", file=self.location,
                                  hint="check the URL's user, password and database name") from None
            raise LedgerUnavailable(f"cannot reach the ledger's database: {message}", file=self.location,
                                    hint="the database is down or unreachable; try again later") from None
        return self._conn

    @contextlib.contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Database errors as ledger errors: a lost connection is :class:`StaleConnection`, a
        refused write a :class:`LedgerError`; other read errors pass as they are (as SQLite's
        do: the CLI reports a hand-altered schema)."""
        try:
            yield
        except self.psycopg.Error as error:
            conn = self._conn
            sqlstate = getattr(error, "sqlstate", None) or ""
            if conn is None or conn.closed or conn.broken or sqlstate in _GONE or sqlstate.startswith("08"):
                if conn is not None and not self._depth:
                    conn.close()
                raise StaleConnection(f"the ledger's database went away: {_first_line(error)}", file=self.location,
                                      hint="the database restarted or the network dropped; try again") from None
            if sqlstate == "55P03":
                raise LedgerUnavailable(f"cannot lock the ledger for writing: {_first_line(error)}", file=self.location,
                                  hint=f"another writer held it for more than {BUSY_TIMEOUT_S:.0f} s") from None
            if doing == "write":
                raise LedgerError(f"the ledger refused the write: {_first_line(error)}", file=self.location) from None
            raise

    @contextlib.contextmanager
    def _transaction(self, doing: str, *first: str) -> Iterator[Any]:
        with self._lock, self._guard(doing):
            conn = self._connection()
            with conn.transaction():
                for statement in first:
                    conn.execute(statement)
                self._depth += 1
                try:
                    yield conn
                finally:
                    self._depth -= 1

    def _write(self) -> Any:
        return self._transaction("write", f"SET LOCAL lock_timeout = '{int(BUSY_TIMEOUT_S * 1000)}ms'",
                                 f"SELECT pg_advisory_xact_lock({LOCK_KEY})")

    def _snapshot(self) -> Any:
        return self._transaction("read", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

    # -- schema ---------------------------------------------------------------------------------

    def _init_schema(self, create: bool) -> None:
        if self._format() is None:
            if not create:
                raise LedgerError("no ledger here (the database has no ledger tables)", file=self.location,
                                  hint=f"create it as the database owner: standards-kernel ledger init URL "
                                       f"(or give another --ledger / ${ENV_LEDGER})")
            with self._transaction("write", f"SELECT pg_advisory_xact_lock({LOCK_KEY})") as conn:
                if conn.execute("SELECT to_regclass('meta') IS NULL").fetchone()[0]:
                    encoding = conn.execute("SHOW server_encoding").fetchone()[0]
                    if encoding.upper() not in ("UTF8", "UTF-8"):
                        raise LedgerError(f"the database's encoding is {encoding}, not UTF8", file=self.location,
                                          hint="create the database with ENCODING 'UTF8'")
                    conn.execute(SCHEMA + HEADS)
                    conn.execute("INSERT INTO meta VALUES ('format', %s), ('created_at', %s)", (FORMAT, utc_now()))
        found = self._format()
        if found != FORMAT:
            raise LedgerError(f"unknown ledger format {found!r}", file=self.location, hint=f"this kernel reads {FORMAT}")

    def _format(self) -> str | None:
        exists = self._one("SELECT to_regclass('meta') IS NOT NULL")
        if not exists or not exists[0]:
            return None
        row = self._one("SELECT value FROM meta WHERE key = 'format'")
        return None if row is None else str(row[0])

    def triggers_missing(self) -> list[str]:
        found = {str(r[0]) for r in self._iterate(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
            "AND tgrelid IN (to_regclass('records'), to_regclass('standards'), to_regclass('meta'), "
            "to_regclass('heads'))")}
        expected = TRIGGERS + (HEAD_TRIGGERS if self.has_heads() else ())
        return [t for t in expected if t not in found]

    def has_heads(self) -> bool:
        # A role granted only the three tables of a ledger made before signed heads (docs/deploy.md)
        # reads and writes as before: for it, there are no heads.
        found = self._one("SELECT to_regclass('heads') IS NOT NULL AND has_table_privilege(to_regclass('heads'), 'SELECT')")
        return bool(found and found[0])

    def _create_heads(self) -> None:
        # Needs a role that may create tables: a ledger made before signed heads gets the table
        # from `standards-kernel ledger init URL`, run by the owner.
        there = self._one("SELECT to_regclass('heads') IS NOT NULL")
        if there and there[0]:
            raise LedgerError("this role may not read the ledger's heads table, so it cannot sign heads",
                              file=self.location, hint="as the owner: GRANT SELECT, INSERT ON heads TO the role")
        self._run(HEADS)

    # -- the primitives -------------------------------------------------------------------------

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock, self._guard("read"):
            row = self._connection().execute(_pg(sql), tuple(params)).fetchone()
        return None if row is None else tuple(row)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._lock, self._guard("read"):
            self._connection().execute(_pg(sql), tuple(params))

    def _iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows streamed through a server-side cursor (a verify of millions of rows stays small)."""
        with self._lock, contextlib.ExitStack() as stack:
            if not self._depth:
                stack.enter_context(self._snapshot())
            with self._guard("read"):
                cursor = stack.enter_context(self._connection().cursor(name=f"standards_kernel_{next(_cursor_names)}"))
                cursor.itersize = 500
                cursor.execute(_pg(sql), tuple(params))
                for row in cursor:
                    yield tuple(row)


def _pg(sql: str) -> str:
    """The ledger's SQL is written with ``?`` placeholders (SQLite's); psycopg's are ``%s``."""
    return sql.replace("?", "%s")


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _misconfigured(message: str) -> bool:
    return any(part in message for part in ("password authentication failed", "does not exist",
                                            "no password supplied", "role \""))
