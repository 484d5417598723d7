"""The ``evaluate-batch``, ``synth`` and ``compare`` subcommands.

``evaluate-batch`` exit codes: 0 every input evaluated; 1 some inputs failed (each is an error line
in the results and is listed in the summary; every good result is written); 2 the batch could not
run (bad arguments, unreadable inputs, a results file of another batch); 130 / 143 interrupted by
SIGINT / SIGTERM (the results file is a valid prefix: run the same command again to resume).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from .options import date_arg
from ...batch.run import Config, StopFlag, Summary, default_jobs, run_batch
from ...errors import KernelError
from ...kernel.formats import printable

TICK_TTY = 0.1  # seconds between redraws of the progress bar
TICK_PLAIN = 5.0  # seconds between progress lines when stderr is not a terminal


def register(commands: argparse._SubParsersAction) -> None:
    batch = commands.add_parser(
        "evaluate-batch", help="evaluate many county submissions into an NDJSON results file",
        description="Evaluate every submission of the inputs (directories of .toml/.json files, .ndjson files, "
                    "CSV tables with a county column) under one standard, in parallel, into one NDJSON file "
                    "(one line per input, in input order). Running the same command again resumes an "
                    "interrupted batch. See docs/batch.md.",
    )
    batch.add_argument("inputs", nargs="+", metavar="INPUT")
    batch.add_argument("--standard", help="standard id, id@edition or file (default: each submission's evaluation.standard)")
    batch.add_argument("--as-of", type=date_arg, help="evaluation date YYYY-MM-DD (default: each submission's evaluation.as_of)")
    batch.add_argument("--out", required=True, metavar="RESULTS.ndjson", help="results file (resumed if it exists)")
    batch.add_argument("--jobs", type=_positive, default=None, metavar="N",
                       help=f"worker processes (default: the machine's cores, here {default_jobs()})")
    batch.add_argument("--record", action="store_true", help="record every evaluation in the ledger")
    batch.add_argument("--ledger", help="the ledger file for --record (default: $STANDARDS_KERNEL_LEDGER or the user's data folder)")
    batch.add_argument("--signing-key", metavar="PRIVATE.pem", help="with --record: the key that signs the ledger's "
                       "head at each append (default: $STANDARDS_KERNEL_SIGNING_KEY; docs/audit.md)")
    batch.add_argument("--restart", action="store_true", help="start the results file again instead of resuming it")
    batch.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels in the summary")
    batch.set_defaults(handler=cmd_evaluate_batch)

    synth = commands.add_parser(
        "synth", help="generate synthetic county submissions for a standard (benchmarks, demos)",
        description="Deterministic synthetic submissions (invented data) with realistic spreads: some counties "
                    "fail gates, some trigger vetoes. Same seed, same bytes.",
    )
    synth.add_argument("--counties", type=_count, required=True, metavar="N")
    synth.add_argument("--schools-per-county", type=_positive, required=True, metavar="M")
    synth.add_argument("--seed", type=int, default=1, metavar="S")
    synth.add_argument("--standard", required=True, help="standard id, id@edition or file")
    synth.add_argument("--as-of", type=date_arg, help="evaluation date (default: a year after the edition starts)")
    synth.add_argument("--format", choices=("ndjson", "dir", "csv"), default="ndjson",
                       help="ndjson (one submission per line), dir (one .json file per county) or csv (tables)")
    synth.add_argument("--out", help="file (ndjson) or folder (dir, csv); ndjson goes to stdout without it")
    synth.set_defaults(handler=cmd_synth)

    comparing = commands.add_parser(
        "compare", help="compare two evaluate-batch results files county by county",
        description="What changed between two years or two editions: grade moves, new vetoes, newly failed gates.",
    )
    comparing.add_argument("a", metavar="RESULTS_A")
    comparing.add_argument("b", metavar="RESULTS_B")
    comparing.add_argument("--format", choices=("text", "json"), default="text")
    comparing.add_argument("--all", action="store_true", help="list unchanged counties too")
    comparing.set_defaults(handler=cmd_compare)


def _positive(text: str) -> int:
    number = _count(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return number


def _count(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return number


# --- evaluate-batch -------------------------------------------------------------------------------


class Progress:
    """A bar redrawn in place on a terminal; a plain line every few seconds otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, summary: Summary) -> None:
        now = time.monotonic()
        done = summary.written
        if now - self.last < (TICK_TTY if self.tty else TICK_PLAIN) and done < summary.total:
            return
        self.last = now
        rate = summary.evaluated / max(now - self.started, 1e-9)
        left = (summary.total - done) / rate if rate > 0 else 0.0
        percent = 100 * done / summary.total if summary.total else 100.0
        tail = f"{done}/{summary.total} ({percent:.0f}%), {len(summary.failed)} failed, {rate:.1f}/s, {_clock(left)} left"
        if self.tty:
            filled = int(30 * done / summary.total) if summary.total else 30
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {tail}\x1b[K")
            self.drawn = True
        else:
            self.stream.write(f"evaluate-batch: {tail}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def cmd_evaluate_batch(args: argparse.Namespace) -> int:
    config = Config(standard=args.standard, as_of=args.as_of, record=args.record, ledger=args.ledger)
    if args.record:
        from .audit import use_signing_key

        use_signing_key(args.signing_key)  # the workers inherit it
    jobs = args.jobs or default_jobs()
    progress = Progress(sys.stderr)
    with StopFlag() as stop:
        try:
            summary = run_batch(args.inputs, args.out, config, jobs=jobs, restart=args.restart,
                                progress=progress, stop=stop)
        finally:
            progress.finish()
    for line in render_summary(summary, args.out, args.lang):
        print(printable(line))  # county names and error messages come from the inputs
    if summary.interrupted:
        print(f"interrupted by {summary.interrupted}: {summary.written} of {summary.total} done; "
              "run the same command again to resume", file=sys.stderr)
        return 130 if summary.interrupted == "SIGINT" else 143
    return 1 if summary.failed else 0


def render_summary(s: Summary, out: str, lang: str = "zh") -> list[str]:
    lines = [f"{s.total} inputs: {s.ok} evaluated, {len(s.failed)} failed, {s.total - s.written} not done "
             f"-> {out}"]
    if s.resumed:
        lines.append(f"resumed: {s.resumed} lines were already done; this run evaluated {s.evaluated}")
    if s.cut_bytes:
        lines.append(f"an incomplete last line ({s.cut_bytes} bytes) was cut off and redone")
    for standard, grades in sorted(s.grades.items()):
        lines.append(f"counties per grade ({standard}):")
        order = list(s.grade_order.get(standard, ())) + sorted(set(grades) - set(s.grade_order.get(standard, ())))
        width = max(len(g) for g in order)
        for grade in order:
            lines.append(f"  {grade:<{width}}  {grades.get(grade, 0):>7}")
    for title, counts in (("vetoes triggered, by veto:", s.vetoes), ("failed gates, by gate:", s.gates)):
        lines.append(title + (" none" if not counts else ""))
        width = max((len(k) for k in counts), default=0)
        for rule, n in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])):
            label = _pick(s.labels.get(rule, ""), lang)
            lines.append(f"  {rule:<{width}}  {n:>7}  {label}".rstrip())
    if s.failed:
        lines.append(f"failed inputs ({len(s.failed)}):")
        for info in s.failed[:20]:
            lines.append(f"  {info.error}")
        if len(s.failed) > 20:
            lines.append(f"  … and {len(s.failed) - 20} more (the error lines of the results file)")
    if s.slowest:
        lines.append("slowest counties (this run):")
        for seconds, name in s.slowest[:5]:
            lines.append(f"  {seconds * 1000:8.1f} ms  {name}")
    rate = s.evaluated / s.seconds if s.seconds else 0.0
    lines.append(f"{s.seconds:.1f} s wall, {s.jobs} process{'es' if s.jobs > 1 else ''}, {rate:.1f} inputs/s")
    return lines


def _pick(label: str, lang: str) -> str:
    zh, _, en = label.partition(" / ")
    return (en or zh) if lang == "en" else zh


# --- synth ------------------------------------------------------------------------------------------


def cmd_synth(args: argparse.Namespace) -> int:
    from ...batch import synth
    from ...kernel.registry import default_registry

    standard = default_registry().resolve(args.standard, args.as_of)
    is_path = args.standard.endswith((".toml", ".json")) or Path(args.standard).is_file()
    submissions = synth.generate(standard, args.counties, args.schools_per_county, args.seed, as_of=args.as_of,
                                 standard_ref=None if is_path else args.standard)
    if args.format == "ndjson":
        if args.out:
            with open(args.out, "w", encoding="utf-8") as stream:
                count = synth.write_ndjson(stream, submissions)
        else:
            count = synth.write_ndjson(sys.stdout, submissions)
    else:
        if not args.out:
            raise KernelError(f"--format {args.format} writes a folder: give it with --out")
        writer = synth.write_directory if args.format == "dir" else synth.write_csv
        count = writer(Path(args.out), submissions)
    if args.out:
        print(f"{count} synthetic counties for {standard.key} -> {args.out}", file=sys.stderr)
    return 0


# --- compare ------------------------------------------------------------------------------------------


def cmd_compare(args: argparse.Namespace) -> int:
    from ...batch.compare import compare, render_text

    comparison = compare(args.a, args.b)
    if args.format == "json":
        data = {"a": comparison.a, "b": comparison.b, "torn": list(comparison.torn),
                "counts": {m: comparison.count(m) for m in ("up", "down", "changed", "same")},
                "counties": [c.to_dict() for c in comparison.changes]}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n")
    else:
        for line in render_text(comparison, show_all=args.all):
            print(printable(line))  # county names come from the results files
    return 0
