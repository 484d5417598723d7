"""The ``standards-kernel`` command.

Exit codes: 0 success; 1 a check that did not pass (e.g. a ledger that does not verify); 2 bad
input or usage, with one clear message on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
from typing import Sequence

from .options import date_arg
from ...version import __version__
from ...errors import KernelError
from ...kernel.formats import printable
from ...audit.decision import decide


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=words[0] if words and words[0] in ("evaluate", "check") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.handler(args) or 0)
    except KernelError as error:
        shown = "\n".join(printable(line) for line in str(error).split("\n"))  # file names carry input text too
        print(f"standards-kernel: error: {shown}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command's parser; ``only`` (a command of this module) leaves out the other modules'
    commands, so that a one-off ``evaluate`` does not import batch, audit and server code."""
    parser = argparse.ArgumentParser(
        prog="standards-kernel",
        description="Score county education supervision standards exactly, explained and replayable.",
    )
    parser.add_argument("--version", action="version", version=f"standards-kernel {__version__}")
    commands = parser.add_subparsers(metavar="COMMAND")

    run = commands.add_parser("evaluate", help="evaluate a county submission under a standard")
    run.add_argument("submission", help="submission file (.toml or .json)")
    run.add_argument("--standard", help="standard id (id or id@edition) or path to a standard file; "
                     "default: the submission's evaluation.standard")
    run.add_argument("--as-of", type=date_arg, help="evaluation date YYYY-MM-DD (default: evaluation.as_of)")
    run.add_argument("--format", choices=("text", "json", "html"), default="text",
                     help="html: one self-contained, printable page with charts and the rectification list")
    run.add_argument("--lang", choices=("zh", "en"), default="zh")
    run.add_argument("--trace", choices=("summary", "full"), default="summary",
                     help="json: summary (the canonical document, what a record keeps) or full (the same with "
                     "what each unit read; docs/trace.md)")
    run.add_argument("--out", metavar="FILE", help="write the report to FILE instead of standard output")
    run.add_argument("--record", action="store_true",
                     help="append the evaluation to the ledger and print its decision_id (docs/audit.md)")
    run.add_argument("--ledger", metavar="PATH", help="ledger file for --record (default: $STANDARDS_KERNEL_LEDGER, "
                     "else ~/.local/share/standards-kernel/ledger.sqlite3)")
    run.add_argument("--signing-key", metavar="PRIVATE.pem", help="with --record: the key that signs the ledger's "
                     "head (default: $STANDARDS_KERNEL_SIGNING_KEY; docs/audit.md)")
    run.add_argument("--sensitivity", action="store_true",
                     help="re-evaluate with each assumed or reconstructed parameter moved across its plausible "
                     "range: where the grade, a gate or a veto flips (docs/auditors.md)")
    run.set_defaults(handler=cmd_evaluate)

    check = commands.add_parser("check", help="validate a standard file and summarise it")
    check.add_argument("standard", help="a standard file, or an installed standard's id or id@edition")
    check.add_argument("--as-of", type=date_arg, help="for an id with several editions: the one in force on this date")
    check.add_argument("--lang", choices=("zh", "en"), default=None,
                       help="language of the summary (default: $STANDARDS_KERNEL_LANG, else zh)")
    check.add_argument("--strict", action="store_true",
                       help="exit 1 when there are warnings (rules that cannot fire or cannot pass, bands, grades)")
    check.set_defaults(handler=cmd_check)
    for name in COMMAND_MODULES if only is None else ():
        importlib.import_module(f"{__package__}.{name}").register(commands)
    return parser


#: Modules that add their own subcommands: each has ``register(subparsers)``. One module per
#: concern keeps the commands of plugins, audit and the server apart.
COMMAND_MODULES: tuple[str, ...] = ("plugins", "audit", "batch", "report", "server", "authoring", "shipped",
                                   "convert")



def resolve_standard(ref: str | None, as_of: dt.date | None, *, from_submission: bool = False):  # noqa: ANN201 - Standard
    """A standard by ``--standard`` (id, id@edition or a path), or by the submission's
    ``evaluation.standard`` (``from_submission``: an id only, never a file)."""
    from ...kernel.registry import default_registry

    if not ref:
        raise KernelError("no standard given", hint="name it with --standard or evaluation.standard in the submission")
    if from_submission:
        return default_registry().resolve_id(ref, as_of)
    return default_registry().resolve(ref, as_of)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ...kernel.completeness import check as check_complete, read_file

    submission, issues = read_file(args.submission)  # every invalid value at once, not the first
    as_of = args.as_of or submission.as_of
    if args.standard:
        standard = resolve_standard(args.standard, as_of)
    else:
        standard = resolve_standard(submission.standard, as_of, from_submission=True)
    check_complete(submission, standard, issues=issues)  # every missing or invalid input in one error
    decision = decide(submission, standard, as_of=as_of)  # the one road: evaluation and its analysis
    if getattr(args, "sensitivity", False):
        from .sensitivity import add_sensitivity

        decision = add_sensitivity(args, decision)
    decision_id = None
    if args.ledger and not args.record:
        raise KernelError("--ledger names where --record writes", hint="add --record")
    if getattr(args, "signing_key", None) and not args.record:
        raise KernelError("--signing-key signs what --record writes", hint="add --record")
    if args.record:  # recorded before anything is printed: no result is shown as recorded unless it is
        from .audit import record_for_cli

        decision_id = record_for_cli(args, decision).decision_id
    from .report import write_output

    if args.format == "json":
        write_output(args.out, decision.to_json(trace=args.trace) + "\n")  # unchanged by --record: the id goes to stderr
        if decision_id:
            print(f"decision_id: {decision_id}", file=sys.stderr)
    elif args.format == "html":
        from ...reporting.html import evaluation_html

        write_output(args.out, evaluation_html(decision, lang=args.lang, decision_id=decision_id))
        if decision_id:
            print(f"decision_id: {decision_id}", file=sys.stderr)
    else:
        from ...reporting.text import render_text  # only for the text report: a JSON run starts without it

        text = render_text(decision, args.lang) + (f"decision_id: {decision_id}\n" if decision_id else "")
        write_output(args.out, text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from ...kernel.registry import default_registry

    standard = default_registry().resolve(args.standard, args.as_of)
    from ...batch.trial import trial  # before the summary: a standard that cannot evaluate is not summarised

    failed = False
    for problem in trial(standard, as_of=args.as_of):
        if problem.generated:
            failed = True
            print(f"standards-kernel: error: {printable(_located(standard, problem.message))} (it loads, but "
                  f"evaluating it on a synthetic county, invented data filling every input, fails)", file=sys.stderr)
        else:
            print(f"standards-kernel: warning: {printable(problem.message)}", file=sys.stderr)
    if failed:
        return 2
    from ...reporting.differences import render_check
    from .options import language

    for line in render_check(standard, language(args)):  # ids stay beside labels: authors edit ids
        print(line)
    from ...authoring.lint import lint

    findings = lint(standard)
    for finding in findings:
        print(f"standards-kernel: warning: {printable(finding.render())}", file=sys.stderr)
    if findings and args.strict:
        print(f"standards-kernel: {len(findings)} warning(s) and --strict: failing", file=sys.stderr)
        return 1
    return 0


def _located(standard, message: str) -> str:  # noqa: ANN001 - a Standard
    """``message`` (``key.path: …``) prefixed with the standard's file and the key path's line."""
    from ...kernel.locate import locate_in_file

    path = message.split(":", 1)[0]
    line = locate_in_file(standard.file, path) if " " not in path else None
    return f"{standard.file}:{line}: {message}" if line else (f"{standard.file}: {message}" if standard.file else message)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
