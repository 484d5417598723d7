"""``standards-kernel report RECORD``: the HTML report of a recorded evaluation.

RECORD is a decision id (looked up in the ledger, as ``replay`` does) or a record file. The page
is drawn from the recorded result itself, with the recorded standard's display rounding, so it
shows what was decided; a record made before results carried the rectification list gets the list
by replaying the record, and the page says so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...errors import KernelError


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from .audit import LEDGER_HELP

    report = commands.add_parser("report", help="the HTML report of a recorded evaluation")
    report.add_argument("record", help="decision id (looked up in the ledger) or a record file (.json)")
    report.add_argument("--ledger", metavar="PATH", help=LEDGER_HELP)
    report.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="the page's language (default: $STANDARDS_KERNEL_LANG, else zh)")
    report.add_argument("--show-ids", action="store_true", help="show machine ids beside labels")
    report.add_argument("--out", metavar="FILE", help="write the page to FILE instead of standard output")
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    import sqlite3

    from .audit import load_record
    from ...reporting.basis import default_lang
    from ...reporting.html import WORDS, render_html
    from ...audit.ledger import LedgerError
    from ...audit.records import RecordError, check_record
    from ...audit.replay import replay

    try:
        record = load_record(args.record, args)
    except sqlite3.DatabaseError as error:
        raise LedgerError(f"cannot read the ledger: {error}", hint="run: standards-kernel ledger verify") from None
    lang = args.lang or default_lang()
    problems = check_record(record)
    if problems:  # a page must never present a changed record as the decision
        raise RecordError(f"record {record.decision_id} does not verify: " + "; ".join(problems),
                          hint="run: standards-kernel ledger verify")
    result: dict[str, Any] = dict(record.result)
    note = ""
    if "gaps" not in result:
        outcome = replay(record)
        if outcome.replayed is not None:
            result["gaps"] = outcome.replayed.get("gaps", [])
            result["next_grade"] = outcome.replayed.get("next_grade", {})
            note = WORDS[lang]["replayed"]
    places, mode = display_rounding(record.standard_content)
    page = render_html(result, lang=lang, places=places, mode=mode, decision_id=record.decision_id, note=note,
                       show_ids=args.show_ids, evidence=record.submission.get("evidence", ()))
    write_output(args.out, page)
    return 0


def display_rounding(content: Any) -> tuple[int, str]:
    """The display rounding of a standard's recorded content (the format's default when absent)."""
    display = (content.get("rounding") or {}).get("display") or {} if isinstance(content, dict) else {}
    try:
        return int(display.get("places", 4)), str(display.get("mode", "ROUND_HALF_UP"))
    except (TypeError, ValueError):
        return 4, "ROUND_HALF_UP"


def write_output(path: str | None, text: str) -> None:
    """``text`` to standard output, or whole to ``path`` (written aside, then moved into place)."""
    if not path:
        sys.stdout.write(text)
        return
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, "utf-8")
        partial.replace(target)
    except OSError as error:
        if partial.parent.is_dir():
            partial.unlink(missing_ok=True)
        raise KernelError(f"cannot write {path}: {error.strerror}",
                          hint="check that the folder exists and is writable") from None
