"""The PostgreSQL ledger under faults, with a real server and real processes.

Writers are killed with SIGKILL mid-append; the server is stopped as a crash would stop it
(``pg_ctl stop -m immediate``) while a writer is mid-batch; a writer's connection is cut from the
server side. After each: the ledger verifies, every acknowledged record is there (acknowledged =
printed after the commit returned), each batch is wholly present or absent, no decision twice,
one chain. Seeded and bounded: a few seconds each.
"""

from __future__ import annotations

import collections
import os
import random
import re
import signal
import subprocess
import sys
import time
from typing import Any

import psycopg
import pytest

from standards_kernel.audit.ledger import Ledger, LedgerUnavailable
from tests.audit.test_ledger import make_records
from tests.helpers import YUANJIANG
from tests.helpers.postgres import cluster

SEED = 20091201
KILLS = 10
ACK = re.compile(r"^ack (\d+) ([0-9a-f]{32})$", re.MULTILINE)

#: Appends batches of 1 to 4 records and acknowledges each committed record with its batch
#: number. With ``retry``, a batch that met an absent database is tried again until it commits,
#: as a resumed batch run would (the ledger answers decisions it already has with their rows).
WRITER = r"""
import sys, time, attrs
from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.audit.ledger import Ledger, LedgerUnavailable
from standards_kernel.audit.records import record_evaluation
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import read_submission

url, tag, limit, retry, fixture = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
sub = read_submission(fixture)
std = default_registry().resolve("yunnan.county-education@2009", None)
ledger = Ledger(url, create=True)
sys.stdout.write("ready\n"); sys.stdout.flush()
i = batch = 0
while i < limit:
    size = 1 + batch % 4
    records = [record_evaluation(evaluate(attrs.evolve(sub, evaluator=f"{tag} #{i + k}"), std)) for k in range(size)]
    while True:
        try:
            entries = ledger.append_many(records)
            break
        except LedgerUnavailable as error:
            if not retry:
                raise
            sys.stderr.write(f"unavailable: {error}\n"); sys.stderr.flush()
            time.sleep(0.05)
    sys.stdout.write("".join(f"ack {batch} {e.decision_id}\n" for e in entries)); sys.stdout.flush()
    i += size
    batch += 1
"""


def writer(url: str, tag: str, limit: int, *, retry: bool = False) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, tag, str(limit), "1" if retry else "0", str(YUANJIANG)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    return proc


def check(url: str) -> tuple[list[str], Any]:
    """The decision ids in chain order, after asserting the ledger verifies and has no duplicate."""
    with Ledger(url) as ledger:
        result = ledger.verify()
        assert result.ok, result.problem.render() if result.problem else ""
        ids = [e.decision_id for e in ledger.entries()]
    assert len(ids) == len(set(ids)) == result.records
    return ids, result


def whole_batches(ids: list[str], tag: str, base: Any) -> None:
    """Each batch the writer tried is wholly present or wholly absent (batch b holds 1 + b % 4)."""
    present = set(ids)
    i = batch = 0
    while i < 10_000:
        size = 1 + batch % 4
        wanted = {r.decision_id for r in make_records_tagged(base, tag, i, size)}
        inside = wanted & present
        assert inside in (set(), wanted), f"batch {batch} is partly in the ledger"
        if not inside:
            break
        i, batch = i + size, batch + 1


def make_records_tagged(base: Any, tag: str, start: int, size: int) -> list[Any]:
    import attrs

    from standards_kernel.audit.records import record_evaluation
    from standards_kernel.kernel.evaluate import evaluate

    submission, standard = base
    return [record_evaluation(evaluate(attrs.evolve(submission, evaluator=f"{tag} #{start + k}"), standard))
            for k in range(size)]


@pytest.fixture(scope="module")
def base():
    from standards_kernel.kernel.registry import default_registry
    from standards_kernel.kernel.submission import read_submission

    return read_submission(YUANJIANG), default_registry().resolve("yunnan.county-education@2009", None)


def test_sigkill_mid_append_loses_nothing_acknowledged(base) -> None:
    rng = random.Random(SEED)
    url = cluster().database()
    acknowledged: set[str] = set()
    counts = []
    for run in range(KILLS):
        proc = writer(url, f"run {run}", 100_000)
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        assert proc.returncode == -signal.SIGKILL
        acknowledged |= {d for _, d in ACK.findall(out)}
        ids, _ = check(url)
        assert acknowledged <= set(ids), f"after kill {run}: acknowledged records missing"
        whole_batches(ids, f"run {run}", base)
        counts.append(len(ids))
    assert counts == sorted(counts) and len(acknowledged) > 0
    print(f"\nsigkill: {KILLS} kills, {len(acknowledged)} acknowledged, {counts[-1]} present, 0 lost")


def test_server_crash_mid_batch_then_the_batch_resumes(base) -> None:
    """The server stops as in a crash, three times, while a writer appends; the writer retries
    each batch that met the absent server until it commits: nothing acknowledged is lost, no
    decision is written twice, and the writer finishes."""
    db = cluster()
    url = db.database()
    proc = writer(url, "resumed", 120, retry=True)
    rng = random.Random(SEED + 1)
    for _ in range(3):
        time.sleep(rng.uniform(0.1, 0.4))
        db.stop("immediate")
        time.sleep(0.2)
        db.start()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "unavailable" in err  # the writer did meet the absent server
    acked = ACK.findall(out)
    ids, _ = check(url)
    assert len(ids) == 120 and {d for _, d in acked} == set(ids)
    assert all(n == 1 for n in collections.Counter(d for _, d in acked).values())
    whole_batches(ids, "resumed", base)
    print(f"\nrestart: 3 crashes, {err.count('unavailable:')} appends met the absent server, {len(acked)} acknowledged, "
          f"{len(ids)} present, 0 lost, 0 duplicates")


def test_dropped_connection_is_unavailable_then_recovers(base) -> None:
    db = cluster()
    url = db.database()
    records = make_records_tagged(base, "dropped", 0, 3)
    with Ledger(url, create=True) as ledger, db.admin() as admin:
        ledger.append(records[0])

        def cut() -> None:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'standards-kernel' AND pid <> pg_backend_pid()")

        cut()  # between calls: the next call notices and reconnects by itself
        assert ledger.append(records[1]).seq == 2
        cut()
        assert ledger.get(records[0].decision_id).decision_id == records[0].decision_id
        db.stop("immediate")  # away for good: a clear LedgerUnavailable, not a traceback
        with pytest.raises(LedgerUnavailable, match="cannot reach the ledger's database"):
            ledger.append(records[2])
        db.start()
    with Ledger(url) as ledger:
        assert ledger.append(records[2]).seq == 3  # recovers by itself
        assert ledger.verify().ok


def test_concurrent_writers_keep_one_chain(base) -> None:
    url = cluster().database()
    with Ledger(url, create=True):
        pass
    writers = [writer(url, f"writer {w}", 30) for w in range(6)]
    acknowledged: set[str] = set()
    for proc in writers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        acknowledged |= {d for _, d in ACK.findall(out)}
    ids, _ = check(url)
    assert set(ids) == acknowledged and len(ids) == 180


def test_same_decisions_from_two_writers_are_stored_once(base) -> None:
    url = cluster().database()
    with Ledger(url, create=True):
        pass
    twins = [writer(url, "twin", 40) for _ in range(2)]  # the same tag: the same 40 decisions
    for proc in twins:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    ids, _ = check(url)
    assert len(ids) == 40


def test_a_held_lock_is_a_bounded_wait(base, monkeypatch) -> None:
    from standards_kernel.audit import ledger_postgres

    url = cluster().database()
    monkeypatch.setattr(ledger_postgres, "BUSY_TIMEOUT_S", 0.3)
    record = make_records_tagged(base, "lock", 0, 1)[0]
    with Ledger(url, create=True) as ledger, psycopg.connect(url) as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (ledger_postgres.LOCK_KEY,))  # held, not committed
        started = time.monotonic()
        with pytest.raises(LedgerUnavailable, match="cannot lock the ledger for writing"):
            ledger.append(record)
        assert time.monotonic() - started < 5
        other.rollback()
        assert ledger.append(record).seq == 1
