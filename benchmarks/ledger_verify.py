"""Ledger throughput: append records (one transaction each, and in batches), verify, list.

Run: ``python benchmarks/ledger_verify.py [N]`` (default N = 2000). Records are Yuanjiang 2009
evaluations that differ by evaluator, so each is a distinct decision of realistic size (~10 KB
body). Evaluation time is excluded from the append figures.

Reported figures (2-core VM shared with other sessions, Python 3.11.7, SQLite 3.40.1, ext4, N = 2000,
13.3 KB bodies of the evaluation@3 result, 2026-12-01):
  make a record (evaluate + record)         2.4 ms per record
  append one per transaction (synchronous=FULL)   0.90 ms per record
  append in batches of 100                  0.30 ms per record
  verify (one streaming pass, O(n))         0.22 ms per record: 0.45 s for 2000
  list (all)                                0.010 ms per record
Verify re-reads every body with exact_json (kernel/formats.py): 0.95-1.25 ms per record before
that reader parsed first and walked only when needed. (An older figure here, 0.081 ms, was for
the ~10 KB bodies of a result format without gaps and next grade.)
The fsync cost of a commit depends on the disk; on this VM it is small.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import attrs

from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.audit.ledger import Ledger
from standards_kernel.audit.records import record_evaluation
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import read_submission

ROOT = Path(__file__).resolve().parent.parent


def main(n: int) -> None:
    submission = read_submission(ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml")
    standard = default_registry().resolve("yunnan.county-education@2009", None)
    started = time.perf_counter()
    records = [record_evaluation(evaluate(attrs.evolve(submission, evaluator=f"bench {i}"), standard)) for i in range(n)]
    made = time.perf_counter() - started
    size = sum(len(r.body_text) for r in records) / n
    print(f"{n} records made in {made:.2f} s ({made / n * 1000:.2f} ms each, body {size / 1024:.1f} KB)")
    with tempfile.TemporaryDirectory() as folder:
        single = min(n, 200)
        with Ledger(Path(folder) / "one.sqlite3", create=True) as ledger:
            started = time.perf_counter()
            for record in records[:single]:
                ledger.append(record)
            took = time.perf_counter() - started
            print(f"append one per transaction: {took / single * 1000:.2f} ms per record ({single} records)")
        with Ledger(Path(folder) / "batch.sqlite3", create=True) as ledger:
            started = time.perf_counter()
            for start in range(0, n, 100):
                ledger.append_many(records[start:start + 100])
            took = time.perf_counter() - started
            print(f"append in batches of 100:   {took / n * 1000:.2f} ms per record")
            started = time.perf_counter()
            result = ledger.verify()
            took = time.perf_counter() - started
            assert result.ok and result.records == n, result
            print(f"verify:                     {took / n * 1000:.3f} ms per record ({took:.2f} s for {n})")
            started = time.perf_counter()
            listed = sum(1 for _ in ledger.entries())
            took = time.perf_counter() - started
            print(f"list:                       {took / listed * 1000:.3f} ms per record")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
