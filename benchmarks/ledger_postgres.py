"""Ledger appends from 1, 4 and 16 concurrent writers, on PostgreSQL and on SQLite; verify per record.

Run: ``python benchmarks/ledger_postgres.py [RECORDS_PER_WRITER]`` (default 150). PostgreSQL is a
throw-away cluster in a temporary folder on a Unix socket (tests/helpers/postgres.py: Debian's
server binaries, fsync on, default settings otherwise); SQLite is a file in a temporary folder
(WAL, synchronous=FULL). Each writer is its own process with its own connection and appends one
record per transaction (the server's case: one evaluation, one append). The records are the
golden Yuanjiang 2009 record (fixtures/records) re-made with another evaluator each (about 10 KB
of body), so no evaluation time is in the figures. Prints a Markdown table.
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from standards_kernel.audit.ledger import Ledger  # noqa: E402
from standards_kernel.audit.records import EvaluationRecord, make_record, read_record_file  # noqa: E402

GOLDEN = ROOT / "fixtures" / "records" / "yunnan-yuanjiang-2009.json"


def records(tag: str, n: int) -> list[EvaluationRecord]:
    golden = read_record_file(GOLDEN)
    made = []
    for i in range(n):
        body = dict(golden.body)
        body["evaluator"] = f"bench {tag} {i}"
        made.append(make_record(body, golden.standard_content, golden.created_at))
    return made


def _write(target: str, tag: str, n: int, start: Any, done: Any) -> None:
    batch = records(tag, n)
    with Ledger(target) as ledger:
        start.wait()
        for record in batch:
            ledger.append(record)
    done.put(tag)


def appends_per_second(target: str, writers: int, n: int) -> float:
    with Ledger(target, create=True):
        pass
    ctx = multiprocessing.get_context("spawn")
    start, done = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=_write, args=(target, f"{writers}w{w}", n, start, done)) for w in range(writers)]
    for proc in procs:
        proc.start()
    start.wait()
    began = time.perf_counter()
    for _ in procs:
        done.get(timeout=600)
    elapsed = time.perf_counter() - began
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0
    with Ledger(target) as ledger:
        assert ledger.verify().ok and ledger.count() == writers * n
    return writers * n / elapsed


def verify_ms_per_record(target: str) -> tuple[float, int]:
    with Ledger(target) as ledger:
        began = time.perf_counter()
        result = ledger.verify()
        elapsed = time.perf_counter() - began
    assert result.ok
    return elapsed * 1000 / result.records, result.records


def main(n: int) -> None:
    from tests.helpers.postgres import Cluster

    db = Cluster(fsync=True)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for writers in (1, 4, 16):
            sqlite = str(Path(folder) / f"w{writers}.sqlite3")
            pg = db.database("bench")
            rows.append((writers, appends_per_second(pg, writers, n), appends_per_second(sqlite, writers, n), pg, sqlite))
        pg_verify, pg_n = verify_ms_per_record(rows[-1][3])
        sq_verify, sq_n = verify_ms_per_record(rows[-1][4])
    db.destroy()
    print(f"| writers | PostgreSQL appends/s | SQLite appends/s |   ({n} records per writer, one per transaction)")
    print("|---:|---:|---:|")
    for writers, pg_rate, sq_rate, _, _ in rows:
        print(f"| {writers} | {pg_rate:.0f} | {sq_rate:.0f} |")
    print(f"verify: PostgreSQL {pg_verify:.3f} ms per record ({pg_n} records), "
          f"SQLite {sq_verify:.3f} ms per record ({sq_n} records)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150)
