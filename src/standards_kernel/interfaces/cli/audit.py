"""The audit commands: ``ledger verify|list|show|copy|init|keygen``, ``replay``, ``diff``; and ``evaluate --record``.

``--ledger`` (or ``$STANDARDS_KERNEL_LEDGER``) names a SQLite file (a path or ``sqlite:PATH``) or a
PostgreSQL database (``postgresql://…``); every command works the same on both.

Exit codes follow the CLI's: 0 intact / identical / same; 1 a check that did not pass (a ledger
that does not verify, a replay that differs, two records that differ); 2 bad input.
"""

from __future__ import annotations

import argparse
import functools
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable

import attrs

from .options import add_language, date_arg, language
from ...errors import KernelError
from ...kernel.formats import canonical_json, printable
from ...audit.decision import Decision
from ...audit.ledger import ENV_LEDGER, Entry, Ledger, LedgerError, default_ledger_path, ledger_target, shown
from ...audit.records import EvaluationRecord, read_record_file, record_evaluation
from ...audit.replay import diff_records, replay

LEDGER_HELP = (f"ledger file, or postgresql://… URL (default: ${ENV_LEDGER}, else $XDG_DATA_HOME or ~/.local/share, "
               "/standards-kernel/ledger.sqlite3)")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ledger = commands.add_parser("ledger", help="verify, list or show the records of an evaluation ledger")
    actions = ledger.add_subparsers(metavar="ACTION")

    verify = actions.add_parser("verify", help="recompute every hash and the chain; exit 1 at the first bad record")
    verify.add_argument("--ledger", metavar="LEDGER", help=LEDGER_HELP)
    verify.add_argument("--expect-head", metavar="HASH",
                        help="an entry hash noted earlier that must still be in the chain (detects truncation)")
    verify.add_argument("--public-key", metavar="PUBLIC.pem",
                        help="check the signed heads with this key: detects a forged append, a rewritten tail, "
                             "and with --head-log a truncation (docs/audit.md)")
    verify.add_argument("--head-log", metavar="FILE",
                        help="the head log the signing writers appended to (needs --public-key): its latest head "
                             "must be in the chain")
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.set_defaults(handler=cmd_verify)

    keys = actions.add_parser("keygen", help="make an Ed25519 key pair for signed ledger heads")
    keys.add_argument("private", metavar="PRIVATE.pem", help="the signing key (written readable by you only)")
    keys.add_argument("public", metavar="PUBLIC.pem", help="the public key, for ledger verify --public-key")
    keys.set_defaults(handler=cmd_keygen)

    listing = actions.add_parser("list", help="list records, oldest first")
    listing.add_argument("--ledger", metavar="LEDGER", help=LEDGER_HELP)
    listing.add_argument("--county", help="county code, or part of its name")
    listing.add_argument("--standard", help="standard id or id@edition")
    listing.add_argument("--from", dest="since", type=date_arg, metavar="DATE", help="evaluation date (as_of) on or after")
    listing.add_argument("--to", dest="until", type=date_arg, metavar="DATE", help="evaluation date (as_of) on or before")
    listing.add_argument("--stage", help="self, municipal_review, provincial or national")
    listing.add_argument("--limit", type=int, help="at most this many records")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="json: one object per line")
    add_language(listing)
    listing.set_defaults(handler=cmd_list)

    show_cmd = actions.add_parser("show", help="print one record as a self-contained record file")
    show_cmd.add_argument("decision_id", help="decision id (or a unique prefix of at least 8 hex digits)")
    show_cmd.add_argument("--ledger", metavar="LEDGER", help=LEDGER_HELP)
    show_cmd.add_argument("--no-chain", action="store_true",
                          help="leave out the record's place in this ledger (seq and hashes), for a file kept elsewhere")
    show_cmd.set_defaults(handler=cmd_show)
    copy = actions.add_parser("copy", help="copy a ledger to another (SQLite ⇄ PostgreSQL), rows and hashes as they are")
    copy.add_argument("source", metavar="SRC", help="the ledger to copy: a file or a postgresql:// URL")
    copy.add_argument("target", metavar="DST", help="a new (or empty) ledger, or an interrupted copy of SRC")
    copy.add_argument("--batch", type=int, default=1000, help="records per transaction (default 1000)")
    copy.set_defaults(handler=cmd_copy)

    init = actions.add_parser("init", help="create an empty ledger (e.g. in PostgreSQL, as the database owner)")
    init.add_argument("target", metavar="LEDGER", help="a file or a postgresql:// URL")
    init.set_defaults(handler=cmd_init)
    ledger.set_defaults(handler=lambda args: _usage(ledger))

    run = commands.add_parser("replay", help="re-evaluate a record with its recorded standard; exit 1 if it differs")
    run.add_argument("record", help="decision id (looked up in the ledger) or a record file (.json)")
    run.add_argument("--ledger", metavar="LEDGER", help=LEDGER_HELP)
    run.add_argument("--format", choices=("text", "json"), default="text")
    run.add_argument("--out", metavar="FILE", help="also write the replayed result (canonical JSON) to FILE")
    run.add_argument("--trace", choices=("summary", "full"), default="summary",
                     help="with --out: full writes the full trace, what each unit read too (docs/trace.md)")
    add_language(run)
    run.set_defaults(handler=cmd_replay)

    diff = commands.add_parser("diff", help="compare two records: inputs, indicators, points, grade, vetoes")
    diff.add_argument("a", help="decision id or record file")
    diff.add_argument("b", help="decision id or record file")
    diff.add_argument("--ledger", metavar="LEDGER", help=LEDGER_HELP)
    diff.add_argument("--all", action="store_true", help="also list the other differences of the trace")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    add_language(diff)
    diff.set_defaults(handler=cmd_diff)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2



def ledger_path(args: argparse.Namespace) -> Path | str:
    """The ledger the command names: a path, or a PostgreSQL URL (text)."""
    return ledger_target(args.ledger) if getattr(args, "ledger", None) else default_ledger_path()


def database_errors() -> tuple[type[Exception], ...]:
    """The database errors a hand-altered schema raises, from whichever backend is loaded."""
    errors: list[type[Exception]] = [sqlite3.DatabaseError]
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        errors.append(psycopg.Error)
    return tuple(errors)


def first_line(error: BaseException) -> str:
    """PostgreSQL's messages go on with the statement and a caret: the first line says it."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _open(args: argparse.Namespace, *, create: bool = False) -> Ledger:
    return Ledger(ledger_path(args), create=create)


# --- evaluate --record -------------------------------------------------------------------------

SIGNING_KEY_HELP = ("Ed25519 key that signs the ledger's head at each append (default: $STANDARDS_KERNEL_SIGNING_KEY; "
                    "head log: the key's path + .heads, or $STANDARDS_KERNEL_HEAD_LOG; docs/audit.md)")


def use_signing_key(path: str | None) -> None:
    """Check the signing key now (a bad key is a clear error before any work), and name it in
    the environment, which the ledger reads at each append: worker processes inherit it."""
    from ...audit.signing import ENV_SIGNING_KEY, load_signer

    chosen = path or os.environ.get(ENV_SIGNING_KEY)
    if chosen:
        absolute = str(Path(chosen).absolute())
        load_signer(absolute, os.environ.get("STANDARDS_KERNEL_HEAD_LOG"))
        os.environ[ENV_SIGNING_KEY] = absolute



def record_for_cli(args: argparse.Namespace, decision: Decision) -> Entry:
    """Record an evaluation made by ``evaluate`` (called before anything is printed)."""
    from ...kernel.registry import default_registry

    registry = default_registry()
    requested = args.standard or decision.evaluation.submission.standard
    if requested and (requested.endswith((".toml", ".json")) or "/" in requested or Path(requested).is_file()):
        # A path depends on where the command ran; the content is recorded anyway.
        requested = f"file:{Path(requested).name}"
    record = record_evaluation(decision, plugins=registry.plugins, functions=registry.functions, requested=requested)
    use_signing_key(getattr(args, "signing_key", None))
    with _open(args, create=True) as ledger:
        entry = ledger.append(record)
    if not entry.new:
        print(f"standards-kernel: decision {entry.decision_id} was already recorded (seq {entry.seq}, "
              f"{entry.created_at}); the ledger keeps that record", file=sys.stderr)
    return entry


# --- ledger ------------------------------------------------------------------------------------


#: What verify says it cannot detect without a public key.
UNSIGNED_LIMITS = ("without --public-key, verify cannot detect a record appended with recomputed hashes, "
                   "a rewritten tail, or records removed from the end (unless --expect-head names a later head)")


def cmd_keygen(args: argparse.Namespace) -> int:
    from ...audit.signing import ENV_SIGNING_KEY, keygen

    key_id = keygen(args.private, args.public)
    print(f"key {key_id}: signing key {args.private} (mode 0600: keep it secret), public key {args.public}")
    print(f"sign with: {ENV_SIGNING_KEY}={args.private} (or --signing-key); "
          f"check with: standards-kernel ledger verify --public-key {args.public} --head-log {args.private}.heads")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from ...audit.signing import load_verifier

    path = shown(ledger_path(args))
    if args.head_log and not args.public_key:
        raise LedgerError("--head-log needs --public-key: the head log's heads are signed", hint="add --public-key PUBLIC.pem")
    key = load_verifier(args.public_key) if args.public_key else None
    with _open(args) as ledger:
        try:
            result = ledger.verify(expect_head=args.expect_head, public_key=key,
                                   head_log=Path(args.head_log) if args.head_log else None)
        except database_errors() as error:  # a table or column removed by hand
            print(f"ledger {path}: NOT intact: the schema was altered: {first_line(error)}")
            return 1
    for warning in result.warnings:
        print(f"standards-kernel: warning: {warning}", file=sys.stderr)
    if key is None:
        stored = f"; the ledger holds {result.heads} signed heads: give --public-key to check them" if result.heads else ""
        print(f"standards-kernel: note: {UNSIGNED_LIMITS}{stored}", file=sys.stderr)
    elif not args.head_log:
        print("standards-kernel: note: without --head-log, verify cannot detect records removed from the end "
              "together with their signed heads", file=sys.stderr)
    if args.format == "json":
        data: dict[str, Any] = {"ledger": str(path), "intact": result.ok, "records": result.records,
                                "standards": result.standards, "head": result.head}
        if result.problem:
            p = result.problem
            data["problem"] = {"kind": p.kind, "detail": p.detail, "seq": p.seq, "decision_id": p.decision_id}
        data["warnings"] = list(result.warnings)
        if key is not None:
            data["signed_heads"] = result.signed.to_dict() if result.signed else None
        else:
            data["cannot_detect"] = UNSIGNED_LIMITS
        print(canonical_json(data))
    elif result.ok:
        print(f"ledger {path}: intact: {result.records} records, {result.standards} standard contents; "
              f"head {result.head}")
        if result.signed is not None:
            s = result.signed
            print(f"  signed heads: {s.heads} by key {s.key_id}, the last at seq {s.last_seq}"
                  + (f"; {s.before_signing} records from before signing began" if s.before_signing else "")
                  + (f"; head log {s.head_log}: {s.logged} heads, the latest at seq {s.logged_seq}" if s.head_log else ""))
    else:
        assert result.problem is not None
        print(f"ledger {path}: NOT intact: {result.problem.render()}")
        if result.signed is not None:  # the chain verified; its signed heads did not
            print(f"  the chain of {result.records} records verifies; its signed heads do not")
        else:
            print(f"  {result.records} records before it verify")
    return 0 if result.ok else 1


def _reading(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A ledger whose schema was altered by hand is a clear error, never a traceback."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except database_errors() as error:
            raise LedgerError(f"cannot read the ledger: {first_line(error)}", file=shown(ledger_path(args)),
                              hint="run: standards-kernel ledger verify") from None

    return run


@_reading
def cmd_copy(args: argparse.Namespace) -> int:
    from ...audit.ledger_copy import copy_ledger

    if args.batch < 1:
        raise LedgerError(f"--batch must be at least 1, not {args.batch}")
    with Ledger(ledger_target(args.source)) as source, Ledger(ledger_target(args.target), create=True) as target:
        done = copy_ledger(source, target, batch=args.batch)
    kept = f" ({done.kept} were there already)" if done.kept else ""
    print(f"copied {done.copied} records and {done.standards} standard contents from {source.location} "
          f"to {target.location}{kept}; both verify, head {done.head}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    with Ledger(ledger_target(args.target), create=True) as ledger:
        added = ledger.add_heads_table()  # a ledger made before signed heads gets their table
        count = ledger.count()
    extra = " (added the heads table for signed heads)" if added else ""
    print(f"ledger {ledger.location}: ready, {count} record{'s' if count != 1 else ''}{extra}")
    return 0


@_reading
def cmd_list(args: argparse.Namespace) -> int:
    from ...reporting.differences import ledger_count, ledger_line

    lang = language(args)
    with _open(args) as ledger:
        rows = list(ledger.entries(county=args.county, standard=args.standard, since=args.since,
                                   until=args.until, stage=args.stage, limit=args.limit))
        labels: dict[str, dict[str, Any]] = {}  # grade labels, from one record per standard edition
        for e in rows:
            if args.format == "json":
                print(canonical_json(e.to_dict()))
                continue
            key = f"{e.standard_id}@{e.edition}"
            if key not in labels:
                labels[key] = {g["id"]: g["label"] for g in ledger.get(e.decision_id).result.get("grades", ())}
            print(printable(ledger_line(e, lang, labels[key], show_ids=args.show_ids)))
    if args.format == "text":
        print(ledger_count(len(rows), lang), file=sys.stderr)
    return 0


@_reading
def cmd_show(args: argparse.Namespace) -> int:
    from ...audit.records import check_record

    with _open(args) as ledger:
        record = ledger.get(args.decision_id)
    if args.no_chain:
        record = attrs.evolve(record, ledger=None)
    sys.stdout.write(record.to_file_text())
    problems = check_record(record)
    if problems:
        print(f"standards-kernel: warning: this record does not verify: {'; '.join(problems)}", file=sys.stderr)
        return 1
    return 0


# --- replay and diff ---------------------------------------------------------------------------


def load_record(ref: str, args: argparse.Namespace) -> EvaluationRecord:
    """A record file (a path that exists, or ends in .json) or a decision id in the ledger."""
    if ref.lower().endswith(".json") or Path(ref).is_file():
        return read_record_file(ref)
    with _open(args) as ledger:
        try:
            return ledger.get(ref)
        except database_errors() as error:  # a schema altered by hand: a clear error for every caller
            raise LedgerError(f"cannot read the ledger: {first_line(error)}", file=ledger.location,
                              hint="run: standards-kernel ledger verify") from None


@_reading
def cmd_replay(args: argparse.Namespace) -> int:
    record = load_record(args.record, args)
    if args.trace == "full" and not args.out:
        raise KernelError("--trace full names what --out writes", hint="add --out FILE")
    outcome = replay(record, trace=args.trace)
    if args.out and outcome.replayed is not None:
        from .report import write_output

        write_output(args.out, canonical_json(outcome.replayed) + "\n")
    if args.format == "json":
        print(canonical_json(outcome.to_dict()))
        return 0 if outcome.identical else 1
    from ...reporting.differences import render_replay
    from .report import display_rounding

    places, mode = display_rounding(record.standard_content)
    for line in render_replay(outcome, record.result, language(args), show_ids=args.show_ids, places=places,
                              mode=mode):
        print(printable(line))
    return 0 if outcome.identical else 1


@_reading
def cmd_diff(args: argparse.Namespace) -> int:
    a, b = load_record(args.a, args), load_record(args.b, args)
    result = diff_records(a, b)
    if args.format == "json":
        print(canonical_json(result.to_dict()))
        return 0 if result.same else 1
    from ...reporting.differences import render_diff
    from .report import display_rounding

    places, mode = display_rounding(b.standard_content)
    for line in render_diff(result, language(args), show_all=args.all, show_ids=args.show_ids, places=places,
                            mode=mode):
        print(printable(line))
    return 0 if result.same else 1
