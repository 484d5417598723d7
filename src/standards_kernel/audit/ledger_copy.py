"""``ledger copy``: move a ledger between SQLite and PostgreSQL, rows verbatim.

The copy keeps every row as it is (seq, created_at, body, hashes), so the copy's chain and head
are the source's: ``verify`` on both prints the same head. The source must verify first; the
target must be empty or hold a beginning of the source (an interrupted copy), and the copy goes on
from there, in transactions of ``batch`` rows. Records the source gains while the copy runs are
left for the next copy: it copies up to the head it verified. Signed heads (:mod:`.signing`) go
with the records they name, signatures as they are: the copy verifies with the same public key.
"""

from __future__ import annotations

import itertools
from typing import Any

import attrs

from .ledger import Ledger, LedgerError


@attrs.frozen
class CopyResult:
    copied: int  # records written by this copy
    kept: int  # records the target already held
    standards: int  # standard contents written by this copy
    head: str  # the source's head, verified, and now the target's


def copy_ledger(source: Ledger, target: Ledger, *, batch: int = 1000) -> CopyResult:
    if source.location == target.location:
        raise LedgerError("the source and the target are the same ledger", file=source.location)
    checked = source.verify()
    if not checked.ok:
        assert checked.problem is not None
        raise LedgerError(f"the source does not verify: {checked.problem.render()}", file=source.location,
                          hint="a copy would carry the damage: run standards-kernel ledger verify on it")
    there = target.verify()
    if not there.ok:
        assert there.problem is not None
        raise LedgerError(f"the target does not verify: {there.problem.render()}", file=target.location)
    kept = there.records
    if kept > checked.records or (kept and _head_at(source, kept) != there.head):
        raise LedgerError("the target holds other records than the source's", file=target.location,
                          hint="copy into a new ledger (a new file, or an empty database)")
    have = {str(row[0]) for row in target.standard_rows()}
    standards = [tuple(row) for row in source.standard_rows() if str(row[0]) not in have]
    n_standards = len(standards)
    signed_there = max((int(row[0]) for row in target.head_rows()), default=0)
    heads = [tuple(h) for h in source.head_rows(after=signed_there) if int(h[0]) <= checked.records]
    rows = source.rows(after=kept)
    copied = 0
    try:
        while copied < checked.records - kept:
            chunk = [tuple(r) for r in itertools.islice(rows, min(batch, checked.records - kept - copied))]
            if not chunk:
                break
            last = int(chunk[-1][0])
            target.take(standards, chunk, [h for h in heads if int(h[0]) <= last])
            heads = [h for h in heads if int(h[0]) > last]
            standards, copied = [], copied + len(chunk)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    if standards or heads:  # a source with standards and no new records, or heads an earlier copy missed
        target.take(standards, [], heads)
    final = target.verify(expect_head=checked.head)
    if not final.ok or final.head != checked.head:
        problem = final.problem.render() if final.problem else f"head {final.head}"
        raise LedgerError(f"the copy does not verify against the source's head {checked.head}: {problem}",
                          file=target.location)
    return CopyResult(copied, kept, n_standards, checked.head)


def _head_at(ledger: Ledger, seq: int) -> Any:
    row = ledger._one("SELECT entry_hash FROM records WHERE seq = ?", (seq,))
    return None if row is None else row[0]
