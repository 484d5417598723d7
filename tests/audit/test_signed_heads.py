"""Signed ledger heads (issue #14) on both backends: with the public key, verify detects a forged
append, a rewritten tail, a truncation (through the head log), a wrong key and a tampered
signature; without it, verify says what it cannot detect. The forgers here drop the triggers and
recompute every hash, as someone with write access to the database but not the key would."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from standards_kernel.audit.ledger import ENV_LEDGER, GENESIS, ROW_COLUMNS, Ledger, LedgerError, entry_hash, index_values
from standards_kernel.audit.ledger_copy import copy_ledger
from standards_kernel.audit.signing import (
    ENV_HEAD_LOG, ENV_SIGNING_KEY, SigningError, keygen, load_signer, load_verifier, read_head_log,
)
from standards_kernel.interfaces.cli.main import main
from tests.audit.test_ledger import base, is_postgres, ledger, make_records, new_target, raw  # noqa: F401 (fixtures)
from tests.helpers import YUANJIANG


@pytest.fixture(scope="module")
def records(base):  # noqa: F811
    return make_records(base, 6)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    keygen(folder / "private.pem", folder / "public.pem")
    return folder / "private.pem", folder / "public.pem"


@pytest.fixture
def signer(keys, tmp_path):
    return load_signer(str(keys[0]), str(tmp_path / "heads.log"))


@pytest.fixture
def public(keys):
    return load_verifier(keys[1])


def signed(ledger: Ledger, signer, records, batches=((0, 2), (2, 3), (3, 4))) -> None:  # noqa: F811
    ledger.signer = signer
    for start, end in batches:
        ledger.append_many(records[start:end])
    ledger.signer = None


def forger(ledger: Ledger) -> Any:  # noqa: F811
    """A connection with every trigger off, the heads' too."""
    hand = raw(ledger)
    if is_postgres(ledger):
        hand.execute("ALTER TABLE heads DISABLE TRIGGER USER")
    return hand


def forge_row(ledger: Ledger, record, seq: int) -> None:  # noqa: F811
    """Insert ``record`` at ``seq`` with every hash recomputed, after removing seq and later."""
    hand = forger(ledger)
    hand.execute("DELETE FROM records WHERE seq >= ?", (seq,))
    prev = GENESIS if seq == 1 else ledger._one("SELECT entry_hash FROM records WHERE seq = ?", (seq - 1,))[0]
    created = "2026-12-01T00:00:00.000000Z"
    row = (seq, record.decision_id, record.record_sha256, created, *index_values(record.body), record.body_text, prev,
           entry_hash(prev, record.record_sha256, created))
    hand.execute(f"INSERT INTO records ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * len(ROW_COLUMNS))})", row)


def check(ledger, public, log=None):  # noqa: F811
    return ledger.verify(public_key=public, head_log=log)


# --- signing ---------------------------------------------------------------------------------------


def test_each_append_signs_its_head(ledger, records, signer, public) -> None:  # noqa: F811
    signed(ledger, signer, records)
    entries = list(ledger.entries())
    for e in entries:  # the records' hashes are those of an unsigned ledger
        assert e.entry_hash == entry_hash(e.prev_hash, e.record_sha256, e.created_at)
    heads = [tuple(r) for r in ledger.head_rows()]
    assert [(h[0], h[1]) for h in heads] == [(2, 1), (3, 3), (4, 4)]
    assert [h[2] for h in heads] == [entries[1].entry_hash, entries[2].entry_hash, entries[3].entry_hash]
    log = read_head_log(signer.head_log)
    assert [h.row() for h in log.heads] == [tuple(h) for h in heads] and not log.torn
    result = check(ledger, public, signer.head_log)
    assert result.ok and result.signed.heads == 3 and result.signed.last_seq == 4 and result.signed.unsigned == 0
    assert result.signed.logged == 3 and result.signed.logged_seq == 4
    ledger.signer = signer
    ledger.append(records[0])  # already recorded: nothing new, no new head
    assert len(list(ledger.head_rows())) == 3 and ledger.verify(public_key=public).ok


def test_forged_append_without_the_key_is_detected(ledger, records, signer, public) -> None:  # noqa: F811
    signed(ledger, signer, records)
    with Ledger(ledger.url if is_postgres(ledger) else ledger.path) as keyless:
        keyless.append(records[4])  # through the ledger's own code, triggers on
    assert ledger.verify().ok  # the chain alone cannot tell
    problem = check(ledger, public).problem
    assert problem.kind == "unsigned append" and problem.seq == 5 and "after the last signed head" in problem.detail
    forge_row(ledger, records[5], 5)  # by hand, triggers dropped, hashes recomputed
    assert ledger.verify().ok
    assert check(ledger, public, signer.head_log).problem.kind == "unsigned append"
    ledger.signer = signer  # a later signed append does not bless the forged record
    ledger.append(records[4])
    problem = check(ledger, public).problem
    assert problem.kind == "unsigned append" and problem.seq == 5 and "before the signed head at seq 6" in problem.detail


def test_rewritten_tail_is_detected(ledger, records, signer, public) -> None:  # noqa: F811
    signed(ledger, signer, records)
    forge_row(ledger, records[5], 4)
    assert ledger.verify().ok
    problem = check(ledger, public).problem
    assert problem.kind == "head mismatch" and problem.seq == 4 and "rewritten" in problem.detail
    forger(ledger).execute("DELETE FROM heads WHERE seq = 4")  # the head removed too: seq 4 is unsigned
    assert check(ledger, public).problem.kind == "unsigned append"
    problem = check(ledger, public, signer.head_log).problem  # the head log still names the old seq 4
    assert problem.kind == "head mismatch" and "head log" in problem.detail


def test_truncation_is_detected_through_the_head_log(ledger, records, signer, public) -> None:  # noqa: F811
    signed(ledger, signer, records)
    hand = forger(ledger)
    hand.execute("DELETE FROM records WHERE seq >= 3")
    problem = check(ledger, public).problem  # its head rows still there
    assert problem.kind == "record missing" and problem.seq == 3
    hand.execute("DELETE FROM heads WHERE seq >= 3")
    result = check(ledger, public)
    assert result.ok and result.records == 2  # a valid prefix: the database alone cannot show it
    problem = check(ledger, public, signer.head_log).problem
    assert problem.kind == "record missing" and problem.seq == 3 and "removed from the end" in problem.detail


def test_wrong_key_and_tampered_signatures(ledger, records, signer, public, tmp_path) -> None:  # noqa: F811
    signed(ledger, signer, records)
    keygen(tmp_path / "other.pem", tmp_path / "other.pub")
    other = load_verifier(tmp_path / "other.pub")
    problem = check(ledger, other).problem
    assert problem.kind == "signature invalid" and problem.seq == 2
    assert f"signed by key {public.key_id}, the public key is {other.key_id}" in problem.detail
    row = ledger._one("SELECT signature FROM heads WHERE seq = 3")
    flipped = ("1" if row[0][0] == "0" else "0") + row[0][1:]
    forger(ledger).execute("UPDATE heads SET signature = ? WHERE seq = 3", (flipped,))
    problem = check(ledger, public).problem
    assert problem.kind == "signature invalid" and problem.seq == 3 and "signed by key" not in problem.detail


def test_tampered_head_log_is_detected(ledger, records, signer, public) -> None:  # noqa: F811
    signed(ledger, signer, records)
    lines = signer.head_log.read_text().splitlines(keepends=True)
    item = json.loads(lines[-1])
    item["seq"] = 3  # a log line moved back to hide a truncation
    signer.head_log.write_text("".join(lines[:-1]) + json.dumps(item) + "\n")
    problem = check(ledger, public, signer.head_log).problem
    assert problem.kind == "signature invalid" and "head log" in problem.detail
    signer.head_log.write_text("".join(lines) + '{"seq": 9')  # a torn last line: ignored
    assert check(ledger, public, signer.head_log).ok
    signer.head_log.write_text("".join(lines) + "not a head\n")
    with pytest.raises(SigningError, match=r"heads\.log:4: not a signed head"):
        check(ledger, public, signer.head_log)


def test_heads_are_append_only(ledger, records, signer) -> None:  # noqa: F811
    signed(ledger, signer, records)
    for sql in ("UPDATE heads SET signed_at = 'x'", "DELETE FROM heads WHERE seq = 4"):
        with pytest.raises(LedgerError, match="append-only"):
            with ledger._write():
                ledger._run(sql)
    head = next(iter(ledger.head_rows()))
    with pytest.raises(LedgerError, match="a head must name a later record"):
        ledger.take([], [], [head])
    assert ledger.triggers_missing() == []
    forger(ledger)
    assert {t for t in ledger.HEAD_TRIGGERS} <= set(ledger.triggers_missing())


def test_a_ledger_made_before_signed_heads_gets_its_table(ledger, records, signer, public) -> None:  # noqa: F811
    hand = forger(ledger)
    hand.execute("DROP TABLE heads")  # as a ledger made before signed heads
    assert not ledger.has_heads() and not set(ledger.HEAD_TRIGGERS) & set(ledger.triggers_missing())
    before = [e.entry_hash for e in ledger.append_many(records[:2])]
    assert check(ledger, public).problem.kind == "unsigned append"  # no heads at all
    signed(ledger, signer, records, batches=((2, 3),))
    assert ledger.has_heads() and [e.entry_hash for e in ledger.entries()][:2] == before
    result = check(ledger, public, signer.head_log)
    assert result.ok and result.signed.before_signing == 2 and result.signed.heads == 1


def test_copy_carries_the_heads(ledger, records, signer, public, tmp_path) -> None:  # noqa: F811
    signed(ledger, signer, records)
    other = new_target("postgres" if not is_postgres(ledger) else "sqlite", tmp_path)
    with Ledger(other, create=True) as target:
        done = copy_ledger(ledger, target, batch=3)
        assert done.copied == 4
        assert [tuple(h) for h in target.head_rows()] == [tuple(h) for h in ledger.head_rows()]
        result = check(target, public, signer.head_log)
        assert result.ok and result.signed.heads == 3 and result.head == done.head


# --- keys and the command line ----------------------------------------------------------------------


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path, capsys) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub"
    assert main(["ledger", "keygen", str(private), str(public)]) == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert load_signer(str(private)).key_id == load_verifier(public).key_id
    before = private.read_bytes()
    assert main(["ledger", "keygen", str(private), str(tmp_path / "new.pub")]) == 2
    assert "does not overwrite" in capsys.readouterr().err
    assert private.read_bytes() == before and not (tmp_path / "new.pub").exists()
    with pytest.raises(SigningError, match="not an unencrypted Ed25519 private key"):
        load_signer(str(public))
    with pytest.raises(SigningError, match="not an Ed25519 public key"):
        load_verifier(private)


def test_cli_records_signed_and_verify_says_what_it_checks(ledger, records, keys, tmp_path, monkeypatch, capsys) -> None:  # noqa: F811
    target = ledger.url if is_postgres(ledger) else str(ledger.path)
    log = tmp_path / "cli.heads"
    monkeypatch.setenv(ENV_LEDGER, target)
    monkeypatch.setenv(ENV_HEAD_LOG, str(log))
    monkeypatch.setenv(ENV_SIGNING_KEY, "")  # set by --signing-key: recorded here, so undone after the test
    assert main(["evaluate", str(YUANJIANG), "--record", "--signing-key", str(keys[0]), "--format", "json"]) == 0
    assert os.environ[ENV_SIGNING_KEY] == str(keys[0].absolute()) and len(read_head_log(log).heads) == 1
    capsys.readouterr()
    assert main(["ledger", "verify"]) == 0
    out, err = capsys.readouterr()
    assert "intact: 1 records" in out and "cannot detect a record appended with recomputed hashes" in err
    assert "holds 1 signed heads: give --public-key" in err
    assert main(["ledger", "verify", "--format", "json"]) == 0
    assert "cannot detect" in json.loads(capsys.readouterr().out)["cannot_detect"]
    assert main(["ledger", "verify", "--public-key", str(keys[1]), "--head-log", str(log), "--format", "json"]) == 0
    facts = json.loads(capsys.readouterr().out)["signed_heads"]
    assert facts["heads"] == 1 and facts["logged_seq"] == 1 and facts["unsigned"] == 0
    forge_row(ledger, records[5], 2)
    assert main(["ledger", "verify", "--public-key", str(keys[1])]) == 1
    out = capsys.readouterr().out
    assert "record seq 2: unsigned append" in out and "the chain of 2 records verifies" in out
    assert main(["ledger", "verify", "--head-log", str(log)]) == 2


def test_every_single_field_change_of_a_head_is_detected(records, keys, tmp_path) -> None:
    path = tmp_path / "signed.sqlite3"
    signer = load_signer(str(keys[0]), str(tmp_path / "h.log"))
    with Ledger(path, create=True) as made:
        signed(made, signer, records)
    public = load_verifier(keys[1])
    columns = [c[1] for c in sqlite3.connect(path).execute("PRAGMA table_info(heads)")]
    missed = []
    for seq in (2, 3, 4):
        for column in columns:
            copy = tmp_path / f"{seq}-{column}.sqlite3"
            with sqlite3.connect(path) as source, sqlite3.connect(copy) as hand:
                source.backup(hand)
                hand.execute("DROP TRIGGER heads_no_update")
                (value,) = hand.execute(f"SELECT {column} FROM heads WHERE seq = ?", (seq,)).fetchone()
                changed = value + 100 if isinstance(value, int) else ("1" if value[0] == "0" else "0") + value[1:]
                hand.execute(f"UPDATE heads SET {column} = ? WHERE seq = ?", (changed, seq))
            with Ledger(copy) as tampered:
                if tampered.verify(public_key=public).ok:
                    missed.append(f"{column} of head {seq}")
    assert missed == []


def test_the_servers_role_signs_once_granted_the_heads_table(records, signer, public) -> None:
    from tests.helpers.postgres import cluster

    db = cluster()
    owner_url = db.database()
    name = owner_url.split("@/")[1].split("?")[0]
    Ledger(owner_url, create=True).close()
    with db.admin(name) as admin:
        admin.execute("DROP ROLE IF EXISTS sk_signer")
        admin.execute("CREATE ROLE sk_signer LOGIN")
        admin.execute("GRANT SELECT, INSERT ON meta, standards, records TO sk_signer")
    with Ledger(db.url(name, user="sk_signer")) as writer:
        writer.signer = signer
        with pytest.raises(LedgerError, match="GRANT SELECT, INSERT ON heads"):
            writer.append(records[0])
        assert writer.count() == 0  # all or nothing: the record went with its head
        with db.admin(name) as admin:
            admin.execute("GRANT SELECT, INSERT ON heads TO sk_signer")
        writer.append(records[0])
        assert check(writer, public, signer.head_log).ok
    with db.admin(name) as admin:
        admin.execute("DROP OWNED BY sk_signer")
        admin.execute("DROP ROLE sk_signer")


def test_a_recording_batch_signs_with_the_key(keys, tmp_path, monkeypatch, capsys) -> None:
    ledger_file, log = tmp_path / "batch.sqlite3", tmp_path / "batch.heads"
    monkeypatch.setenv(ENV_HEAD_LOG, str(log))
    monkeypatch.setenv(ENV_SIGNING_KEY, "")  # set by --signing-key: recorded here, so undone after the test
    code = main(["evaluate-batch", str(YUANJIANG), "--out", str(tmp_path / "out.ndjson"), "--jobs", "1", "--record",
                 "--ledger", str(ledger_file), "--signing-key", str(keys[0])])
    assert code == 0, capsys.readouterr().err
    with Ledger(ledger_file) as written:
        result = written.verify(public_key=load_verifier(keys[1]), head_log=log)
    assert result.ok and result.records == 1 and result.signed.heads == 1 and result.signed.logged == 1
    assert main(["evaluate-batch", str(YUANJIANG), "--out", str(tmp_path / "o2.ndjson"), "--record",
                 "--signing-key", str(keys[1])]) == 2  # a public key given as the signing key: refused up front
    assert "not an unencrypted Ed25519 private key" in capsys.readouterr().err
