"""The ledger under crashes and concurrency, with real processes.

A writer is killed with SIGKILL at random moments (seeded, so the run is repeatable) while it
appends single records and batches; after every kill the ledger must verify and hold every record
the writer acknowledged (printed after its commit returned). Several writers appending at once
must leave one valid chain holding all their records. Bounded: about 25 kills, a few seconds.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from standards_kernel.audit.ledger import Ledger
from tests.helpers import ROOT

YUANJIANG = ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"
KILLS = 25
SEED = 20090513
ACK = re.compile(r"^ack ([0-9a-f]{32})$", re.MULTILINE)

#: The writer: appends records (alternately one and a batch of four) and acknowledges each
#: committed record on stdout; stops after ``limit`` records.
WRITER = r"""
import sys, attrs
from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.audit.ledger import Ledger
from standards_kernel.audit.records import record_evaluation
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import read_submission

path, tag, limit, fixture = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sub = read_submission(fixture)
std = default_registry().resolve("yunnan.county-education@2009", None)
ledger = Ledger(path, create=True)
sys.stdout.write("ready\n"); sys.stdout.flush()
i = 0
while i < limit:
    size = 1 if (i // 5) % 2 == 0 else 4
    batch = [record_evaluation(evaluate(attrs.evolve(sub, evaluator=f"{tag} #{i + k}"), std)) for k in range(size)]
    entries = ledger.append_many(batch)
    sys.stdout.write("".join(f"ack {e.decision_id}\n" for e in entries)); sys.stdout.flush()
    i += size
"""


def _writer(path: Path, tag: str, limit: int) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), tag, str(limit), str(YUANJIANG)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def _present(path: Path) -> tuple[set[str], int]:
    with Ledger(path) as ledger:
        result = ledger.verify()
        assert result.ok, result.problem.render() if result.problem else ""
        ids = {e.decision_id for e in ledger.entries()}
    return ids, result.records


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path) -> None:
    rng = random.Random(SEED)
    path = tmp_path / "ledger.sqlite3"
    acknowledged: set[str] = set()
    sizes = []
    for run in range(KILLS):
        proc = _writer(path, f"run {run}", limit=100_000)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
        time.sleep(rng.uniform(0.0, 0.2))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        assert proc.returncode == -signal.SIGKILL  # killed while still writing, never finished
        acknowledged |= set(ACK.findall(out))
        present, count = _present(path)
        missing = acknowledged - present
        assert not missing, f"after kill {run}: {len(missing)} acknowledged records are missing"
        assert count == len(present)
        sizes.append(count)
    assert sizes == sorted(sizes) and sizes[-1] >= len(acknowledged) > 0


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_while_creating_a_ledger(tmp_path) -> None:
    rng = random.Random(SEED + 1)
    for run in range(5):
        path = tmp_path / f"fresh-{run}.sqlite3"
        proc = _writer(path, f"fresh {run}", limit=100_000)
        time.sleep(rng.uniform(0.05, 0.6))  # from before the ledger exists to mid-writing
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        acknowledged = set(ACK.findall(out))
        if path.exists():
            with Ledger(path, create=True) as ledger:  # a half-made ledger is finished, not broken
                assert ledger.verify().ok
                assert acknowledged <= {e.decision_id for e in ledger.entries()}
        else:
            assert not acknowledged


def test_concurrent_writers_keep_one_valid_chain(tmp_path) -> None:
    path = tmp_path / "shared.sqlite3"  # created by the race itself
    writers = [_writer(path, f"writer {w}", limit=25) for w in range(4)]
    acknowledged: set[str] = set()
    for proc in writers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        acknowledged |= set(ACK.findall(out))
    assert len(acknowledged) == 100
    present, count = _present(path)
    assert present == acknowledged and count == 100


def test_processes_opening_one_new_ledger_at_once_all_succeed(tmp_path) -> None:
    """Six processes making the same new ledger at once: each opens it (SQLite may answer "database
    is locked" at once while another switches the new file to WAL; the ledger tries again)."""
    code = "import sys; from standards_kernel.audit.ledger import Ledger; Ledger(sys.argv[1], create=True).close()"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    failures = []
    for run in range(8):
        path = tmp_path / f"new-{run}.sqlite3"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], stderr=subprocess.PIPE, text=True, env=env)
                 for _ in range(6)]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            if proc.returncode:
                failures.append(err.strip().splitlines()[-1])
        with Ledger(path) as ledger:
            assert ledger.verify().ok
    assert failures == []
