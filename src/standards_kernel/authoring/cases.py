"""Test cases as data: a submission, a date and what the evaluation must give, in a TOML file.

A case file is named ``*.case.toml`` and lives next to the standard it tests. The pytest plugin
(:mod:`standards_kernel.authoring.pytest_plugin`) runs every case as a pytest item; ``standards-kernel test
[PATH]`` runs them without pytest. docs/authoring.md is the reference; in short::

    name = "Yuanjiang 2009: the D-class veto holds the grade at qualified"
    standard = "yunnan.county-education"   # id, id@edition, or a file relative to this one
    submission = "yuanjiang-2009.toml"     # a file relative to this one, or an inline [submission]
    as_of = 2009-05-13                     # default: the submission's evaluation.as_of
    schools = ["schools.csv"]              # optional tables merged into the submission

    [expect]
    score = 91.5                           # exact: 91.5 == 91.50, but 91.49 is not 91.5
    grade = "qualified"
    grade_by_score = "advanced"
    vetoes = ["d_class_buildings"]         # exactly the vetoes triggered
    gates_failed = ["township_junior_enrolment"]
    [expect.indicators]
    d_class_ratio = { value = 0.1621, places = 4 }       # rounded half-up to 4 places first
    township_junior_enrolment_rate = { units = { yinyuan = 0.9237 }, met = false }

    [[cases]]                              # variants: same setup, some values changed
    name = "exactly 3% is allowed"
    set = { "data.totals.dilapidated_d_area_m2" = 8436.27 }
    expect = { grade = "advanced", vetoes = [] }

    [[cases]]                              # another reading of the law: a parameter set
    name = "a cut-off of 91.6 is not reached"
    set = { "parameters.advanced_cutoff" = 91.6 }
    expect = { grade_by_score = "qualified" }

A ``parameters.<id>`` key of ``set`` replaces the value of that parameter in force on the case's
date (marked assumed in the result, its note naming the case); everything else in ``set`` and
``unset`` changes the submission.

Comparison is exact unless a value says ``places`` or ``within``. A failure lists every expected
value that differs (expected vs actual) and the trace of the first one, in evaluation order: what
that value read, the parameters and their sources, the check and the points
(:mod:`standards_kernel.authoring.traces`).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..kernel import model as m
from ..errors import KernelError
from ..kernel.evaluate import Evaluation, evaluate
from ..kernel.formats import load_text
from ..kernel.locate import locate_line
from ..kernel.numbers import canonical, is_number, round_to
from ..kernel.submission import flatten
from .traces import show, trace_area, trace_grade, trace_grade_by_score, trace_indicator, trace_rule, trace_score

SUFFIX = ".case.toml"
CASE_KEYS = {"name", "standard", "submission", "as_of", "schools", "townships", "sheet", "set", "unset", "expect", "note"}
TOP_KEYS = CASE_KEYS | {"cases"}
EXPECT_KEYS = {"score", "max_score", "grade", "grade_by_score", "vetoes", "gates_failed", "lowered_by",
               "assumptions", "indicators", "areas", "error"}
VALUE_KEYS = {"value", "places", "within", "met", "points", "units"}


class CaseError(KernelError):
    """A test case file that cannot be read: syntax, an unknown key, a missing file."""


@attrs.frozen
class Case:
    """One test case, ready to run."""

    name: str
    file: str
    line: int | None
    standard: str | None  # id, id@edition or a path (already made absolute)
    submission: Mapping[str, Any]  # raw submission data, before the tables and changes
    submission_file: str
    as_of: dt.date | None
    changes: tuple[tuple[Any, Any, str], ...] = ()  # (set, unset, key path) applied after the tables
    schools: tuple[str, ...] = ()
    townships: tuple[str, ...] = ()
    sheet: str | None = None
    expect: Mapping[str, Any] = attrs.Factory(dict)

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"

    @property
    def parameters(self) -> dict[str, Any]:
        """``parameters.<id>`` keys of ``set`` (the top level's, then the variant's)."""
        found: dict[str, Any] = {}
        for changes, _, _ in self.changes:
            for key, value in _dotted(changes):
                if key.startswith("parameters."):
                    found[key.removeprefix("parameters.")] = value
        return found


@attrs.frozen
class Mismatch:
    what: str  # e.g. indicators.d_class_ratio, score
    expected: str
    actual: str
    trace: tuple[str, ...] = ()


@attrs.frozen
class CaseResult:
    case: Case
    mismatches: tuple[Mismatch, ...]
    error: str | None = None  # the case could not run (bad submission, unknown standard)
    evaluation: Evaluation | None = attrs.field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None

    def report(self) -> str:
        """Expected vs actual for every difference, then the trace of the first."""
        if self.error is not None:
            return f"{self.case.id}: could not run: {self.error}"
        if self.passed:
            return f"{self.case.id}: passed"
        width = max(len(x.what) for x in self.mismatches)
        lines = [f"{self.case.id}: {len(self.mismatches)} value(s) differ"]
        for x in self.mismatches:
            lines.append(f"  {x.what.ljust(width)}  expected {x.expected}, got {x.actual}")
        first = self.mismatches[0]
        if first.trace:
            lines.append(f"trace of the first differing value ({first.what}):")
            lines += ["  " + t for t in first.trace]
        return "\n".join(lines)


# -- reading ----------------------------------------------------------------------------------

def find_case_files(path: str | Path) -> list[Path]:
    """``path`` itself if it is a case file, else every ``*.case.toml`` under it, sorted."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CaseError("no such file or directory", file=str(path))
    return sorted(p for p in path.rglob("*" + SUFFIX) if p.is_file())


def load_cases(path: str | Path) -> list[Case]:
    """The cases of one file: the top level (if it has ``expect``) and each ``[[cases]]`` entry."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CaseError(f"cannot read the case file: {getattr(error, 'strerror', None) or error}", file=str(path)) from None
    raw = load_text(text, fmt="toml", file=str(path), error=CaseError)
    try:
        return _cases(raw, path, text)
    except CaseError as error:
        raise error.located(file=str(path), line=locate_line(text, error.path or "")) from None


def _cases(raw: Mapping[str, Any], path: Path, text: str) -> list[Case]:
    _keys(raw, TOP_KEYS, "")
    variants = raw.get("cases", [])
    if not isinstance(variants, list) or not all(isinstance(v, Mapping) for v in variants):
        raise CaseError("cases must be [[cases]] tables", path="cases")
    if "expect" not in raw and not variants:
        raise CaseError("a case file needs [expect] or [[cases]] with their own expect",
                        hint="add [expect] with at least one of score, grade, vetoes, indicators")
    cases = []
    if "expect" in raw:
        cases.append(_case(raw, {}, path, text, "", _line(text, "expect")))
    for index, variant in enumerate(variants):
        where = f"cases[{index}]"
        _keys(variant, CASE_KEYS, where)
        if "expect" not in variant:
            raise CaseError("a case needs expect", path=f"{where}.expect")
        cases.append(_case(raw, variant, path, text, where, locate_line(text, where)))
    names = [c.name for c in cases]
    for name in names:
        if names.count(name) > 1:
            raise CaseError(f"two cases are named {name!r}", hint="give each [[cases]] entry its own name")
    return cases


def _line(text: str, key: str) -> int | None:
    return locate_line(text, key)


def _keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            import difflib

            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            raise CaseError(f"unknown key {key!r}", path=f"{where}.{key}".lstrip("."),
                            hint=(f"did you mean {close[0]!r}? " if close else "") + "keys: " + ", ".join(sorted(allowed)))


def _case(base: Mapping[str, Any], variant: Mapping[str, Any], path: Path, text: str, where: str,
          line: int | None) -> Case:
    def get(key: str) -> Any:
        return variant[key] if key in variant else base.get(key)

    def place(key: str) -> str:
        return f"{where}.{key}" if where and key in variant else key

    folder = path.parent
    name = variant.get("name") or (base.get("name") if not where else None) or (where or path.name.removesuffix(SUFFIX))
    if not isinstance(name, str):
        raise CaseError("name must be text", path=place("name"))
    standard = get("standard")
    if standard is not None:
        if not isinstance(standard, str):
            raise CaseError("standard must be text: an id, id@edition or a file", path=place("standard"))
        if standard.endswith((".toml", ".json")):
            standard = str(folder / standard)
    submission = get("submission")
    submission_file = str(path)
    if isinstance(submission, str):
        file = folder / submission
        try:
            sub_text = file.read_text("utf-8")
        except OSError as error:
            raise CaseError(f"cannot read the submission {submission!r}: {error.strerror}", path=place("submission")) from None
        raw = load_text(sub_text, fmt="json" if file.suffix.lower() == ".json" else "toml", file=str(file), error=CaseError)
        submission_file = str(file)
    elif isinstance(submission, Mapping):
        raw = copy.deepcopy(dict(submission))
    elif submission is None:
        raise CaseError("no submission", path=place("submission"),
                        hint="name a submission file, or give it inline as [submission]")
    else:
        raise CaseError("submission must be a file name or a table", path=place("submission"))
    changes = [(base.get("set", {}), base.get("unset", []), "")]
    if where:
        changes.append((variant.get("set", {}), variant.get("unset", []), where))
    for changed, removed, place_of in changes:
        _check_changes(changed, removed, place_of)
    as_of = get("as_of")
    if as_of is not None and (not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime)):
        raise CaseError(f"as_of must be a date YYYY-MM-DD, got {as_of!r}", path=place("as_of"))
    tables = {}
    for key in ("schools", "townships"):
        value = get(key) or []
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CaseError(f"{key} must be a file name or a list of them", path=place(key))
        tables[key] = tuple(str(folder / v) for v in value)
    expect = get("expect")
    if not isinstance(expect, Mapping):
        raise CaseError("expect must be a table", path=place("expect"))
    _check_expect(expect, place("expect"))
    sheet = get("sheet")
    return Case(name=name, file=str(path), line=line, standard=standard, submission=raw, submission_file=submission_file,
                changes=tuple(changes), as_of=as_of, schools=tables["schools"], townships=tables["townships"], sheet=sheet, expect=expect)


def _check_expect(expect: Mapping[str, Any], where: str) -> None:
    _keys(expect, EXPECT_KEYS, where)
    for key in ("vetoes", "gates_failed", "lowered_by", "assumptions"):
        if key in expect and (not isinstance(expect[key], list) or not all(isinstance(x, str) for x in expect[key])):
            raise CaseError(f"{key} must be a list of ids", path=f"{where}.{key}")
    for key in ("grade", "grade_by_score", "error"):
        if key in expect and not isinstance(expect[key], str):
            raise CaseError(f"{key} must be text", path=f"{where}.{key}")
    for table in ("indicators", "areas"):
        entries = expect.get(table, {})
        if not isinstance(entries, Mapping):
            raise CaseError(f"{table} must be a table of ids", path=f"{where}.{table}")
        for key, value in entries.items():
            if isinstance(value, Mapping):
                _keys(value, VALUE_KEYS if table == "indicators" else {"value", "places", "within"}, f"{where}.{table}.{key}")


def _check_changes(changes: Any, removals: Any, where: str) -> None:
    if not isinstance(changes, Mapping):
        raise CaseError("set must be a table of \"path\" = value", path=f"{where}.set".lstrip("."))
    if not isinstance(removals, list):
        raise CaseError("unset must be a list of paths", path=f"{where}.unset".lstrip("."))


def _changed(raw: dict[str, Any], changes: Any, removals: Any, where: str) -> dict[str, Any]:
    """Apply ``set`` (``"data.x" = v``, ``"schools.S1.books" = v``) and ``unset`` to the submission."""
    _check_changes(changes, removals, where)
    if not changes and not removals:
        return raw
    raw = copy.deepcopy(raw)
    edits = [(k, v, False) for k, v in _dotted(changes) if not k.startswith("parameters.")]
    edits += [(str(k), None, True) for k in removals]
    for key, value, remove in edits:
        place = f"{where}.{'unset' if remove else 'set'}".lstrip(".")
        head, _, rest = key.partition(".")
        if head in ("county", "evaluation", "data") and rest:
            table = flatten(raw.get(head, {}), head) if head == "data" else dict(raw.get(head, {}))
            target, name = table, rest
            raw[head] = table
        elif head in ("schools", "townships") and rest.count(".") >= 1:
            unit_id, _, name = rest.partition(".")
            matches = [i for i, r in enumerate(raw.get(head, [])) if isinstance(r, Mapping) and r.get("id") == unit_id]
            if not matches:
                known = [str(r.get("id")) for r in raw.get(head, []) if isinstance(r, Mapping)]
                raise CaseError(f"{key!r}: no {head[:-1]} {unit_id!r}", path=place,
                                hint="ids: " + (", ".join(known) or "none"))
            record = flatten(raw[head][matches[0]], head)
            raw[head][matches[0]] = record
            target = record
        else:
            raise CaseError(f"cannot change {key!r}", path=place,
                            hint='write "data.<name>", "schools.<id>.<field>" or "townships.<id>.<field>"')
        if remove:
            if name not in target:
                raise CaseError(f"{key!r} is not in the submission", path=place)
            del target[name]
        else:
            target[name] = value
    return raw


def _dotted(changes: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """``set`` written with nested tables (set.data.x = 1) or quoted dotted keys, as (path, value)."""
    found = []
    for key, value in changes.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            found += _dotted(value, name + ".")
        else:
            found.append((name, value))
    return found


# -- running ----------------------------------------------------------------------------------

def run_case(case: Case) -> CaseResult:
    """Evaluate the case and compare; a case that cannot run is reported, never raised."""
    from ..kernel.registry import default_registry
    from ..intake.tables import submission_with_tables

    expect = case.expect
    try:
        submission = submission_with_tables(case.submission, schools=case.schools, townships=case.townships,
                                            sheet=case.sheet, file=case.submission_file, edit=lambda raw: _edit(case, raw))
        as_of = case.as_of or submission.as_of
        ref = case.standard or submission.standard
        if not ref:
            raise CaseError("no standard", path="standard", hint="name it in the case (standard = ...) or the submission")
        standard = default_registry().resolve(ref, as_of)
        if case.parameters:
            standard = _with_parameters(case, standard, as_of or standard.effective_from)
        evaluation = evaluate(submission, standard, as_of=as_of)
    except KernelError as error:
        if "error" in expect:
            if re.search(expect["error"], str(error)):
                return CaseResult(case, ())
            return CaseResult(case, (Mismatch("error", f"an error matching {expect['error']!r}", repr(str(error))),))
        return CaseResult(case, (), error=str(error))
    if "error" in expect:
        return CaseResult(case, (Mismatch("error", f"an error matching {expect['error']!r}",
                                          f"grade {evaluation.grade}, score {canonical(evaluation.score)}"),), None, evaluation)
    return CaseResult(case, tuple(compare(evaluation, expect)), None, evaluation)


def _with_parameters(case: Case, standard: m.Standard, as_of: dt.date) -> m.Standard:
    from ..analysis.sensitivity import with_parameters

    try:
        return with_parameters(standard, case.parameters, as_of, f"set by the test case {case.name!r}")
    except KernelError as error:
        text = Path(case.file).read_text("utf-8")
        where = next((w for c, _, w in case.changes for k, _ in _dotted(c) if k == error.path), "")
        place = f"{where}.set" if where else "set"
        raise CaseError(error.message, path=place, hint=error.hint).located(
            file=case.file, line=locate_line(text, place)) from None


def _edit(case: Case, raw: dict[str, Any]) -> dict[str, Any]:
    for changes, removals, where in case.changes:
        try:
            raw = _changed(raw, changes, removals, where)
        except CaseError as error:
            text = Path(case.file).read_text("utf-8")
            raise error.located(file=case.file, line=locate_line(text, error.path or "")) from None
    return raw


def run_path(path: str | Path) -> tuple[list[CaseResult], list[KernelError]]:
    """Every case under ``path``; files that cannot be read are returned as errors."""
    results: list[CaseResult] = []
    problems: list[KernelError] = []
    for file in find_case_files(path):
        try:
            cases = load_cases(file)
        except KernelError as error:
            problems.append(error)
            continue
        results += [run_case(c) for c in cases]
    return results, problems


# -- comparing --------------------------------------------------------------------------------

def _expected_number(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        try:
            return Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
        except ArithmeticError:
            return value
    return value


def _differs(actual: Any, spec: Any) -> tuple[bool, str]:
    """Whether ``actual`` misses the expectation ``spec`` (a value, or {value, places, within})."""
    places = within = None
    expected = spec
    if isinstance(spec, Mapping):
        expected, places, within = spec.get("value"), spec.get("places"), spec.get("within")
    if is_number(actual):
        wanted = _expected_number(expected)
        if not is_number(wanted) or isinstance(wanted, bool):
            return True, show(expected)
        shown = canonical(wanted)
        value = Decimal(actual)
        if places is not None:
            value = round_to(value, int(places), "ROUND_HALF_UP")
            shown += f" (to {places} places)"
        if within is not None:
            return abs(value - Decimal(wanted)) > Decimal(within), shown + f" ± {canonical(Decimal(within))}"
        return value != Decimal(wanted), shown
    return actual != expected, show(expected)


def _depth(areas: Mapping[str, m.Area], aid: str) -> int:
    depth, node = 0, areas[aid].parent
    while node is not None:
        depth, node = depth + 1, areas[node].parent
    return depth


def compare(evaluation: Evaluation, expect: Mapping[str, Any]) -> list[Mismatch]:
    """Every expected value that differs, in evaluation order (indicators in dependency order,
    areas leaves first, then the score, the grade the score reaches, gates, vetoes, the grade)."""
    std = evaluation.standard
    found: list[Mismatch] = []
    indicators = dict(expect.get("indicators", {}))
    for iid in indicators:
        if iid not in std.indicators:
            found.append(Mismatch(f"indicators.{iid}", "an indicator of the standard", "no such indicator",
                                  ("indicators: " + ", ".join(sorted(std.indicators)),)))
    for iid in std.order:
        if iid in indicators:
            found += _compare_indicator(evaluation, iid, indicators[iid])
    areas = dict(expect.get("areas", {}))
    for aid in sorted(areas, key=lambda a: (-_depth(std.areas, a), a) if a in std.areas else (0, a)):
        result = evaluation.areas.get(aid)
        if result is None:
            found.append(Mismatch(f"areas.{aid}", "an area of the standard", "no such area"))
            continue
        bad, shown = _differs(result.points, areas[aid])
        if bad:
            found.append(Mismatch(f"areas.{aid}", shown, show(result.points), trace_area(evaluation, aid)))
    checks: list[tuple[str, Any, Any, tuple[str, ...]]] = [
        ("max_score", expect.get("max_score"), evaluation.max_score, ()),
        ("score", expect.get("score"), evaluation.score, ()),
        ("grade_by_score", expect.get("grade_by_score"), evaluation.grade_by_score, ()),
    ]
    for key, wanted, actual, _ in checks:
        if key not in expect:
            continue
        bad, shown = _differs(actual, wanted)
        if bad:
            trace = trace_score(evaluation) if key in ("score", "max_score") else trace_grade_by_score(evaluation)
            found.append(Mismatch(key, shown, show(actual), trace))
    sets = {
        "gates_failed": sorted(r.rule.id for r in evaluation.rules.values() if r.rule.kind == "gate" and r.failed),
        "vetoes": sorted(r.rule.id for r in evaluation.rules.values() if r.rule.kind == "veto" and r.failed),
        "lowered_by": [r.rule.id for r in evaluation.lowered_by],
        "assumptions": list(evaluation.assumptions),
    }
    for key, actual_ids in sets.items():
        if key not in expect:
            continue
        wanted_ids = expect[key] if key == "lowered_by" else sorted(expect[key])
        if wanted_ids != actual_ids:
            differing = sorted(set(wanted_ids) ^ set(actual_ids)) or actual_ids
            trace = tuple(line for rid in differing if rid in std.rules for line in trace_rule(evaluation, rid))
            found.append(Mismatch(key, show(wanted_ids), show(actual_ids), trace))
    if "grade" in expect and expect["grade"] != evaluation.grade:
        found.append(Mismatch("grade", show(expect["grade"]), show(evaluation.grade), trace_grade(evaluation)))
    return found


def _compare_indicator(evaluation: Evaluation, iid: str, spec: Any) -> list[Mismatch]:
    result = evaluation.indicators[iid]
    found: list[Mismatch] = []
    table = spec if isinstance(spec, Mapping) else {"value": spec}
    if "value" in table:
        if result.county is None:
            found.append(Mismatch(f"indicators.{iid}", "a county value", f"a value per unit of {result.indicator.level}",
                                  ("write units = { <id> = value, ... } for a unit-level indicator",)))
        else:
            bad, shown = _differs(result.county.value, table)
            if bad:
                found.append(Mismatch(f"indicators.{iid}", shown, show(result.county.value), trace_indicator(evaluation, iid)))
    for uid, wanted in dict(table.get("units", {})).items():
        reading = result.units.get(uid)
        if reading is None:
            found.append(Mismatch(f"indicators.{iid}.units.{uid}", show(wanted.get("value") if isinstance(wanted, Mapping) else wanted),
                                  "no such unit", ("units: " + (", ".join(sorted(result.units)) or "none"),)))
            continue
        unit_spec = wanted if isinstance(wanted, Mapping) else {"value": wanted}
        if "value" in unit_spec:
            bad, shown = _differs(reading.value, unit_spec)
            if bad:
                found.append(Mismatch(f"indicators.{iid}.units.{uid}", shown, show(reading.value),
                                      trace_indicator(evaluation, iid, uid)))
        if "met" in unit_spec and reading.met != unit_spec["met"]:
            found.append(Mismatch(f"indicators.{iid}.units.{uid}.met", show(unit_spec["met"]), show(reading.met),
                                  trace_indicator(evaluation, iid, uid)))
    if "met" in table and result.met != table["met"]:
        found.append(Mismatch(f"indicators.{iid}.met", show(table["met"]), show(result.met), trace_indicator(evaluation, iid)))
    if "points" in table:
        bad, shown = _differs(result.points if result.points is not None else Decimal(0), table["points"])
        if bad or result.points is None:
            found.append(Mismatch(f"indicators.{iid}.points", shown, show(result.points), trace_indicator(evaluation, iid)))
    return found
