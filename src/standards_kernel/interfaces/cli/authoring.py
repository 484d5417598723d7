"""The authoring commands: ``new``, ``test``, ``template``, ``diff-standard`` and ``merge``.

Exit codes as for every command: 0 success; 1 a test case or property that does not hold; 2 bad
input (a case file, a standard, a table that cannot be read), one message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...errors import KernelError
from .options import add_language, language


def register(commands: Any) -> None:
    new = commands.add_parser("new", help="create a plugin package for a new standard")
    new.add_argument("jurisdiction", help="e.g. lingnan (lower-case, the id's prefix)")
    new.add_argument("name", help="e.g. county-education")
    new.add_argument("--extends", metavar="ID", help="start from an installed standard (id or id@edition)")
    new.add_argument("--edition", help="edition of the new standard (default: this year)")
    new.add_argument("--dir", help="where to create it (default: ./standards-kernel-JURISDICTION-NAME)")
    new.set_defaults(handler=cmd_new)

    test = commands.add_parser("test", help="run test cases (*.case.toml) and/or the property suite")
    test.add_argument("path", nargs="?", help="a case file or a directory searched for *.case.toml "
                      "(default: the current directory, unless --properties is given)")
    test.add_argument("--properties", metavar="ID", action="append",
                      help="run the property suite on a standard (id, id@edition or file); repeatable")
    test.add_argument("--only", metavar="PROPERTY", action="append", help="run only this property; repeatable")
    test.add_argument("--max-examples", type=int, default=100, help="examples per property (default 100)")
    test.add_argument("--seed", type=int, help="a seed, to reproduce or vary the generated examples")
    test.add_argument("--save-failing", metavar="DIR", help="write each falsifying submission to DIR/<property>.toml")
    test.add_argument("--coverage", action="store_true",
                      help="after the cases: per standard, which indicators, checks, bands, gates, vetoes (each "
                      "side), grades and dated parameter values the cases reach, and which they never do")
    test.add_argument("--coverage-format", choices=("text", "json"), default="text")
    add_language(test, ids=False)
    test.set_defaults(handler=cmd_test)

    template = commands.add_parser("template", help="a submission template listing every input a standard reads")
    template.add_argument("standard", help="id, id@edition or a standard file")
    template.add_argument("--format", choices=("toml", "csv"), default="toml")
    template.add_argument("--table", choices=("schools", "townships"),
                          help="with --format csv: the header row of that spreadsheet, for `merge`")
    template.add_argument("--lang", choices=("en", "zh"), default="en", help="--table headers: names (en) or zh labels")
    template.add_argument("--as-of", help="pick the edition in force on this date (YYYY-MM-DD)")
    template.set_defaults(handler=cmd_template)

    explain = commands.add_parser("explain", help="the dependency map of a standard: parameter → indicators → "
                                  "rules → grade, with each node's status and source; --why grade: for one result")
    explain.add_argument("standard", help="id, id@edition or a standard file; with --why grade also a record "
                         "file (.json) or a decision id in the ledger")
    explain.add_argument("--why", metavar="ID", help="one node (an indicator, parameter, gate, veto, area or input; "
                         "kind prefix optional): what it rests on and what it touches. `--why grade` with a record "
                         "or --submission: every cut-off, gate and veto that could lower that result's grade, "
                         "which fired, and what each rests on")
    explain.add_argument("--submission", metavar="FILE", help="with --why grade: evaluate FILE under STANDARD and "
                         "explain its grade")
    explain.add_argument("--ledger", metavar="PATH", help="the ledger holding the decision id (default as for replay)")
    explain.add_argument("--format", choices=("text", "json", "html"), default="text",
                         help="html: one self-contained page (the map, or the why-grade answer)")
    explain.add_argument("--as-of", help="pick the edition in force on this date (YYYY-MM-DD)")
    add_language(explain, ids=False)
    explain.set_defaults(handler=cmd_explain)

    diff = commands.add_parser("diff-standard", help="what changed between two standards or editions")
    diff.add_argument("old", help="id@edition or a standard file")
    diff.add_argument("new", help="id@edition or a standard file")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(handler=cmd_diff)

    merge = commands.add_parser("merge", help="merge school/township spreadsheets (CSV, XLSX) into a submission")
    merge.add_argument("submission", help="the submission file (county, evaluation, data)")
    merge.add_argument("--schools", action="append", default=[], metavar="FILE", help="a school table; repeatable")
    merge.add_argument("--townships", action="append", default=[], metavar="FILE", help="a township table; repeatable")
    merge.add_argument("--sheet", help="the XLSX sheet to read (default: the first)")
    merge.add_argument("--header-row", type=int, metavar="N",
                       help="the row that holds the headers, as the spreadsheet numbers it (default: found)")
    merge.add_argument("--strict", action="store_true",
                       help="refuse columns the standard does not read (default: skip them with a warning)")
    merge.add_argument("--format", choices=("toml", "json"), default="toml")
    merge.add_argument("-o", "--output", help="write here instead of standard output")
    merge.set_defaults(handler=cmd_merge)


def _standard(ref: str, as_of: Any = None) -> Any:
    import datetime as dt

    from ...kernel.registry import default_registry

    date = None
    if as_of:
        try:
            date = dt.date.fromisoformat(as_of)
        except ValueError:
            raise KernelError(f"expected a date YYYY-MM-DD, got {as_of!r}") from None
    return default_registry().resolve(ref, date)


def _is_record(ref: str) -> bool:
    """A record file (``*.json``) or a decision id (32 hex digits), rather than a standard."""
    import re

    return ref.lower().endswith(".json") or re.fullmatch(r"[0-9a-f]{32}", ref) is not None


def cmd_explain(args: argparse.Namespace) -> int:
    from ...authoring.dependencies import dependency_map, map_lines, map_to_data, why_lines
    from ...kernel.formats import canonical_json

    if args.why == "grade" and (args.submission or _is_record(args.standard)):
        return _explain_grade(args)
    if args.submission:
        raise KernelError("--submission explains one result's grade", hint="use it with --why grade")
    dmap = dependency_map(_standard(args.standard, args.as_of))
    if args.format == "html":
        if args.why:
            raise KernelError("--format html draws the whole map, or one result with --why grade",
                              hint="drop --why, or give --submission FILE / a record")
        from ...authoring.dependency_html import map_page

        sys.stdout.write(map_page(dmap, language(args)))
        return 0
    if args.why:
        try:
            lines = why_lines(dmap, args.why)
        except KeyError:
            raise KernelError(f"{dmap.standard} has no node {args.why!r}",
                              hint="an indicator, parameter, gate, veto, area or input id; "
                              "`explain STANDARD --format json` lists them") from None
        if args.format == "json":
            nid = lines[0].split(" ")[0]
            print(canonical_json({"node": nid, "rests_on": dmap.upstream(nid), "touches": dmap.downstream(nid)}))
        else:
            print("\n".join(lines))
    else:
        print(canonical_json(map_to_data(dmap)) if args.format == "json" else "\n".join(map_lines(dmap)))
    return 0


def _explain_grade(args: argparse.Namespace) -> int:
    """``--why grade`` on one result: a record (file or decision id) or a submission evaluated now."""
    import datetime as dt

    from ...authoring.why import why_grade, why_grade_lines
    from ...kernel.formats import canonical_json, printable

    if args.submission:
        from ...audit.decision import as_decision
        from ...kernel.completeness import check as check_complete, read_file
        from ...kernel.evaluate import evaluate

        submission, issues = read_file(args.submission)
        when = args.as_of or (submission.as_of.isoformat() if submission.as_of else None)
        standard = _standard(args.standard, when)
        check_complete(submission, standard, issues=issues)
        as_of = dt.date.fromisoformat(when) if when else None  # checked by _standard
        result: Any = as_decision(evaluate(submission, standard, as_of=as_of)).document()
    else:
        from ...audit.records import RecordError, check_record
        from ...kernel.loader import build_standard
        from ...kernel.registry import default_registry
        from .audit import load_record

        record = load_record(args.standard, args)
        problems = check_record(record)
        if problems:
            raise RecordError(f"record {record.decision_id} does not verify: " + "; ".join(problems),
                              hint="run: standards-kernel ledger verify")
        standard = build_standard(record.standard_content, file=f"record {record.decision_id}: standard content",
                                  functions=default_registry().functions)
        result = record.result
    why = why_grade(result, standard)
    lang = language(args)
    if args.format == "json":
        print(canonical_json(why))
    elif args.format == "html":
        from ...authoring.dependency_html import why_page

        sys.stdout.write(why_page(why, standard, lang))
    else:
        print("\n".join(printable(line) for line in why_grade_lines(why, standard, lang)))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from ...authoring.scaffold import new_standard

    made = new_standard(args.jurisdiction, args.name, directory=args.dir, edition=args.edition, extends=args.extends)
    print(f"created {made.root}/ for {made.id}@{made.edition}:")
    for path in made.files:
        print(f"  {path.relative_to(made.root)}")
    module = made.standard_file.parent.relative_to(made.root)
    print("next:")
    print(f"  cd {made.root}")
    print(f"  standards-kernel check {made.standard_file.relative_to(made.root)}")
    print(f"  standards-kernel test {module}")
    print("  python -m pip install -e '.[test]' && python -m pytest")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    status = 0
    if args.path or not args.properties:
        status = max(status, _run_cases(args.path or ".", getattr(args, "coverage", False) and args.coverage_format,
                                        language(args)))
    for ref in args.properties or []:
        status = max(status, _run_properties(ref, args))
    return status


def _mark(outcome: str, lang: str) -> str:
    """PASS / FAIL / ERROR (通过 / 未通过 / 错误) padded to line the names up."""
    from ...reporting.differences import case_word

    word = case_word(outcome, lang)
    return f"{word:<5} " if lang == "en" else f"{word} "


def _run_cases(path: str, coverage: str | bool = False, lang: str = "zh") -> int:
    from ...authoring.cases import run_path
    from ...reporting.differences import case_summary

    results, problems = run_path(path)
    for problem in problems:
        print(f"{_mark('error', lang)}{problem}")
    for result in results:
        if result.passed:
            print(f"{_mark('pass', lang)}{result.case.id}")
        else:
            print(f"{_mark('fail', lang)}{result.report()}")
    if not results and not problems:
        raise KernelError(f"no test cases (*.case.toml) under {path}",
                          hint="name a case file or a directory holding some; --properties ID runs the property suite")
    unread = (f"; {len(problems)} case file(s) could not be read" if lang == "en" else f"；{len(problems)} 个用例文件无法读取")
    print(case_summary(sum(1 for r in results if r.passed), len(results), lang) + (unread if problems else ""))
    if coverage:
        from ...authoring.coverage import coverage as rule_coverage, coverage_lines, coverage_to_data
        from ...kernel.formats import canonical_json

        found = rule_coverage(r.evaluation for r in results if r.evaluation is not None)
        print(canonical_json(coverage_to_data(found)) if coverage == "json" else "\n".join(["coverage:", *coverage_lines(found)]))
    if problems:
        return 2
    return 0 if all(r.passed for r in results) else 1


def _run_properties(ref: str, args: argparse.Namespace) -> int:
    try:
        from ...authoring import properties as testing
    except ImportError as error:
        raise KernelError(f"the property suite needs hypothesis ({error})",
                          hint="pip install 'standards-kernel[test]'") from None
    standard = testing.load(ref)
    if args.max_examples < 1:
        raise KernelError("--max-examples must be at least 1")
    print(f"properties of {standard.key} ({args.max_examples} examples each"
          + (f", seed {args.seed}" if args.seed is not None else "") + ")")
    failed = 0
    for report in testing.check_properties(standard, names=args.only, max_examples=args.max_examples, seed=args.seed):
        lang = language(args)
        examples = f"{report.examples} examples" if lang == "en" else f"{report.examples} 个样例"
        print(f"{_mark('pass' if report.passed else 'fail', lang)}{report.name}: {report.claim} ({examples})")
        if report.note:
            print(f"      {report.note}")
        if not report.passed:
            failed += 1
            print("      " + testing.format_failure(standard, report).replace("\n", "\n      "))
            if args.save_failing and report.example is not None:
                from ...intake.tables import dump_submission

                folder = Path(args.save_failing)
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / f"{report.name}.toml"
                target.write_text(dump_submission(report.example), "utf-8")
                print(f"      saved to {target}")
    return 1 if failed else 0


def cmd_template(args: argparse.Namespace) -> int:
    from ...authoring.template import render_csv, render_toml

    standard = _standard(args.standard, args.as_of)
    if args.table and args.format != "csv":
        raise KernelError("--table writes a spreadsheet header: use it with --format csv")
    if args.format == "csv":
        sys.stdout.write(render_csv(standard, table=args.table, lang=args.lang))
    else:
        sys.stdout.write(render_toml(standard))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from ...authoring.diff import diff_standards, render_json, render_text

    old, new = _standard(args.old), _standard(args.new)
    changes = diff_standards(old, new)
    sys.stdout.write((render_json if args.format == "json" else render_text)(old, new, changes))
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from ...intake.tables import dump_submission, dump_submission_json, read_submission_with_tables, submission_data
    from ...kernel.formats import printable

    if not args.schools and not args.townships:
        raise KernelError("nothing to merge", hint="give --schools FILE and/or --townships FILE")
    submission = read_submission_with_tables(args.submission, schools=args.schools, townships=args.townships,
                                             sheet=args.sheet, header_row=args.header_row, strict=args.strict,
                                             warn=lambda text: print(f"standards-kernel: warning: {printable(text)}", file=sys.stderr))
    if args.format == "json":
        text = dump_submission_json(submission)
    else:
        text = dump_submission(submission_data(submission))
    if args.output:
        Path(args.output).write_text(text, "utf-8")
        print(f"wrote {args.output}: {len(submission.schools)} schools, {len(submission.townships)} townships")
    else:
        sys.stdout.write(text)
    return 0
