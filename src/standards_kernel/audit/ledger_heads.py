"""Checking a ledger's signed heads against its chain (``ledger verify --public-key``).

Run after the chain itself verified. Each stored head must carry a valid signature by the given
key and name the entry hash the record at its seq has (else the tail was rewritten); each head
covers the records from its ``first_seq``, so a gap between two heads, or records after the last
one, were appended without the key (a forged append). A head log, kept outside the database,
must hold only valid heads that are in the chain: its latest head shows a truncation, which the
database alone cannot (a valid prefix of a chain stays valid, and its heads rows can be deleted
with it). Records before the first head were written before signing began: counted, not a problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import attrs

from .ledger import FORMAT, Problem
from .signing import Head, HeadLog, Verifier


@attrs.frozen
class SignedHeads:
    """What the signed heads show (``ledger verify --format json``: ``signed_heads``)."""

    key_id: str
    heads: int  # heads rows checked
    last_seq: int  # the last signed head's seq (0: none)
    last_hash: str | None
    before_signing: int  # records before the first signed head
    unsigned: int  # records after the last signed head
    head_log: str | None = None
    logged: int = 0  # heads in the head log
    logged_seq: int | None = None  # the latest logged head's seq

    def to_dict(self) -> dict[str, object]:
        return attrs.asdict(self)


def check_heads(heads: Sequence[Head], hashes: dict[int, str], records: int, key: Verifier,
                log: HeadLog | None, log_path: Path | None) -> tuple[SignedHeads, Problem | None]:
    last = heads[-1] if heads else None
    facts = SignedHeads(
        key_id=key.key_id, heads=len(heads), last_seq=last.seq if last else 0,
        last_hash=last.entry_hash if last else None,
        before_signing=min(heads[0].first_seq - 1, records) if heads else 0,
        unsigned=max(records - (last.seq if last else 0), 0),
        head_log=str(log_path) if log is not None else None, logged=len(log.heads) if log else 0,
        logged_seq=max((h.seq for h in log.heads), default=None) if log else None)
    return facts, _first_problem(heads, hashes, records, key, log, log_path)


def _first_problem(heads: Sequence[Head], hashes: dict[int, str], records: int, key: Verifier,
                   log: HeadLog | None, log_path: Path | None) -> Problem | None:
    previous = 0
    for head in heads:
        wrong = _wrong(head, hashes, records, key, "head")
        if wrong:
            return wrong
        if head.first_seq < 1 or head.first_seq > head.seq:
            return Problem("head changed", f"the head at seq {head.seq} says it covers from seq {head.first_seq}",
                           head.seq)
        if previous and head.first_seq != previous + 1:
            return _unsigned(previous + 1, head.first_seq - 1, f"before the signed head at seq {head.seq}")
        previous = head.seq
    if log is not None:
        for head in log.heads:
            wrong = _wrong(head, hashes, records, key, f"the head log {log_path}'s head")
            if wrong:
                return wrong
    if records > previous:
        return _unsigned(previous + 1, records, "after the last signed head" if heads else "and no head is signed")
    return None


def _wrong(head: Head, hashes: dict[int, str], records: int, key: Verifier, what: str) -> Problem | None:
    if head.key_id != key.key_id or not key.valid(head, FORMAT):
        by = "" if head.key_id == key.key_id else f" (signed by key {head.key_id}, the public key is {key.key_id})"
        return Problem("signature invalid", f"{what} at seq {head.seq} does not verify with the public key{by}",
                       head.seq)
    if head.seq > records:
        return Problem("record missing", f"{what} at seq {head.seq} is signed, but the chain ends at seq {records}: "
                       "records were removed from the end", head.seq)
    if hashes.get(head.seq) != head.entry_hash:
        return Problem("head mismatch", f"{what} at seq {head.seq} signs entry hash {head.entry_hash}, the record "
                       f"there has {hashes.get(head.seq)}: the chain was rewritten", head.seq)
    return None


def _unsigned(first: int, last: int, where: str) -> Problem:
    span = f"seq {first}" if first == last else f"seq {first} to {last}"
    return Problem("unsigned append", f"{span} {where}: appended without the signing key "
                   "(a forged append, or a writer without the key configured)", first)
