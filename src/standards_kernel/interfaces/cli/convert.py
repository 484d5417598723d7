"""``standards-kernel convert SUBMISSION…``: submission files as the JSON body the API takes.

A TOML submission converts key for key: numbers stay exact (written from their text, never
through a binary float), dates become ``YYYY-MM-DD`` text, and keys are sorted so the same file
always gives the same bytes. Each file is read by the kernel first, so a malformed or invalid one
ends in the usual error naming file, line and field (every bad value at once) instead of a body the server would
refuse. ``--to ndjson`` writes one submission per line: the body of ``POST /v1/evaluations/batch``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ...errors import SubmissionError
from ...kernel.files import read_input_text
from ...kernel.formats import content_json, load_text
from ...kernel.completeness import IncompleteSubmission, read_file


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    convert = commands.add_parser(
        "convert", help="submission files (.toml or .json) as the JSON body of the scoring API",
        description="Write a submission as the JSON body POST /v1/evaluations takes (several as the NDJSON "
                    "body of POST /v1/evaluations/batch). Numbers are written exactly as in the file.")
    convert.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="submission file(s), .toml or .json")
    convert.add_argument("--to", choices=("json", "ndjson"), default=None,
                         help="json: one submission (the default for one file); ndjson: one per line "
                              "(the default for several)")
    convert.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    convert.set_defaults(handler=cmd_convert)


def body(path: str | Path) -> str:
    """The JSON body of one submission file: its content, key for key, numbers exact."""
    _, issues = read_file(path)  # refuse what the API would refuse, naming every bad value and its line
    if issues:
        raise IncompleteSubmission(issues, file=str(path))
    text = read_input_text(path, what="submission", error=SubmissionError)
    fmt = "json" if Path(path).suffix.lower() == ".json" else "toml"
    return content_json(load_text(text, fmt=fmt, file=str(path), error=SubmissionError))


def cmd_convert(args: argparse.Namespace) -> int:
    to = args.to or ("json" if len(args.submissions) == 1 else "ndjson")
    if to == "json" and len(args.submissions) > 1:
        raise SubmissionError("--to json writes one submission", hint="give one file, or --to ndjson for a batch")
    bodies = [body(path) for path in args.submissions]
    from .report import write_output

    write_output(args.out, "".join(b + "\n" for b in bodies))
    return 0
