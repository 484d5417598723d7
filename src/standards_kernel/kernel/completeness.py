"""Every missing or invalid input of a submission at once, before it is evaluated.

Evaluation stops at the first input it lacks, and reading a submission stops at the first bad
value: a county missing ten inputs would learn of them one round trip at a time. This module
collects them all and raises one :class:`IncompleteSubmission` listing each (its field path,
what is wrong and what was expected). The CLI's ``evaluate`` and the API call it before they
evaluate; evaluation itself is unchanged and still reports whatever this check cannot foresee.

What a standard reads is worked out from its formulas (:class:`Reads`, also what the API's
submission schema marks ``required``): only what is read on every path counts as required, so a
submission the kernel scores is never refused here (the tests run every fixture county through
it). Unit fields are checked on the unit as the kernel sees it: a segment view of a combined
school (``teachers.junior`` read as ``teachers``), and for a filtered unit set only the names the
filter reads, since the filter may leave a unit out.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence

import attrs

from . import model as m
from ..errors import SubmissionError
from .expressions import Expression, Node
from .files import read_input_text
from .formats import load_text
from .locate import locate_line
from .segments import VIEW_NAMES, field_for, students_by_segment, view_names
from .submission import Submission, Unit, flatten, read_submission, submission_from_data
from .vocabulary import coerce, lookup

__all__ = ["IncompleteSubmission", "Issue", "Reads", "always_read", "check", "expected", "missing_inputs",
           "evidence_issues", "own_input_issues", "read_data", "read_file", "reads_of"]

SYNTHESISED = set(VIEW_NAMES)  # names a segment view adds (see kernel.segments.segment_view)
BASE_LEVEL = {"schools": "school", "townships": "township"}

EXPECTED = {
    "text": "text", "bool": "true or false", "count": "a whole number >= 0",
    "fact": "true/false or a whole number >= 0", "rate": 'a fraction in [0, 1] or text such as "92.37%"',
    "decimal": "a number", "amount": "a number >= 0", "points": "a number >= 0",
}


# --- what a standard reads -----------------------------------------------------------------


def always_read(node: Node) -> set[str]:
    """Names read on every evaluation of the formula (``if`` and ``and``/``or`` may skip a part)."""
    if node.kind == "name":
        return {str(node.value)}
    if node.kind == "call" and node.value == "if":
        return always_read(node.args[0])
    if node.kind == "op" and node.value in ("and", "or"):
        return always_read(node.args[0])
    found: set[str] = set()
    for arg in node.args:
        found |= always_read(arg)
    return found


class Reads:
    """What a standard reads from a submission, by level, and what it reads on every path."""

    def __init__(self, standard: m.Standard) -> None:
        self.std = standard
        self.by: dict[str, dict[str, set[str]]] = {lvl: defaultdict(set) for lvl in ("county", "school", "township")}
        self.county_required: set[str] = set()
        self.county_alternatives: list[tuple[set[str], str]] = []  # (formula inputs, published fallback)
        # (level, segment or None) -> fields read for every unit of that level (and segment)
        self.unit_required: dict[tuple[str, str | None], set[str]] = defaultdict(set)
        # unit set id -> names (as the unit set's view has them) read for every unit of the set
        self.set_required: dict[str, set[str]] = defaultdict(set)
        # unit set id -> (formula names read on every path, published fallback), for unfiltered sets
        self.set_alternatives: dict[str, list[tuple[set[str], str]]] = defaultdict(list)
        for unit in standard.units.values():
            if unit.where is not None:
                self.unit_reads(unit, unit.where.names, f"units.{unit.id}.where",
                                required=always_read(unit.where.tree))
        for ind in standard.indicators.values():
            if ind.level == "county":
                self.county_indicator(ind)
            else:
                self.unit_indicator(ind, standard.units[ind.level])

    def computed(self, name: str) -> bool:
        return name in self.std.parameters or name in self.std.indicators

    def county_indicator(self, ind: m.Indicator) -> None:
        if ind.input is not None:
            self.read("county", [ind.input], ind.id)
            self.county_required.add(ind.input)
        if ind.formula is not None:
            names = {n for n in ind.formula.names if not self.computed(n)}
            self.read("county", names, ind.id)
            always = {n for n in always_read(ind.formula.tree) if not self.computed(n)}
            if ind.fallback_input is not None:
                self.read("county", [ind.fallback_input], ind.id)
                self.county_alternatives.append((always, ind.fallback_input))
            else:
                self.county_required |= always
        for expr in self.other_expressions(ind):
            self.read("county", [n for n in expr.names if not self.computed(n)], ind.id)
        if ind.aggregate is not None:
            unit = self.std.units[ind.aggregate.over]
            fields = [n for n in (ind.aggregate.of, ind.aggregate.weight) if n and not self.computed(n)]
            self.unit_reads(unit, fields, ind.id, required=set(fields))

    def unit_indicator(self, ind: m.Indicator, unit: m.UnitSet) -> None:
        names: set[str] = set()
        always: set[str] = set()
        if ind.input is not None:
            names.add(ind.input)
            always.add(ind.input)
        if ind.formula is not None:
            names |= ind.formula.names
            if ind.fallback_input is None:
                always |= always_read(ind.formula.tree)
            else:
                names.add(ind.fallback_input)
        for expr in self.other_expressions(ind):
            names |= expr.names
        names = {n for n in names if not self.computed(n)}
        self.unit_reads(unit, names, ind.id, required={n for n in always if not self.computed(n)})
        if ind.formula is not None and ind.fallback_input is not None and unit.where is None:
            inputs = {n for n in always_read(ind.formula.tree) if not self.computed(n)}
            if inputs and not (unit.segment is not None and inputs & SYNTHESISED - {"students"}):
                self.set_alternatives[unit.id].append((inputs, ind.fallback_input))

    @staticmethod
    def other_expressions(ind: m.Indicator) -> Iterable[Expression]:
        if ind.check is not None:
            yield ind.check.limit
        if ind.scoring is not None:
            for expr in (ind.scoring.target, ind.scoring.when):
                if expr is not None:
                    yield expr

    def unit_reads(self, unit: m.UnitSet, names: Iterable[str], by: str, *, required: set[str]) -> None:
        level = BASE_LEVEL[unit.base]
        for name in names:
            if unit.segment is not None and name in SYNTHESISED:
                if name != "students":
                    continue
                field = field_for("students", unit.segment)
            else:
                field = self.field_of(level, name, unit.segment)
            self.by[level][field].add(by)
            # A filter may leave a unit out, so only an unfiltered set (or the filter's own names)
            # makes a field necessary for every unit.
            if name in required and (unit.where is None or by.startswith("units.")):
                self.unit_required[(level, unit.segment)].add(field)
                self.set_required[unit.id].add(name)

    def field_of(self, level: str, name: str, segment: str | None) -> str:
        if segment is not None and self.spec(level, field_for(name, segment)) is not None:
            return field_for(name, segment)
        return name

    def spec(self, level: str, name: str) -> m.InputSpec | None:
        return lookup(level, name, self.std.inputs)

    def read(self, level: str, names: Iterable[str], by: str) -> None:
        for name in names:
            self.by[level][name].add(by)


_READS: dict[tuple[str, str], Reads] = {}


def reads_of(standard: m.Standard) -> Reads:
    """:class:`Reads` of a standard, worked out once per edition and content."""
    key = (standard.key, standard.sha256)
    found = _READS.get(key)
    if found is None:
        if len(_READS) > 256:  # standards loaded from many files (a test run): keep it bounded
            _READS.clear()
        found = _READS[key] = Reads(standard)
    return found


# --- issues --------------------------------------------------------------------------------


@attrs.frozen
class Issue:
    """One missing or invalid input: where (``data.x``, ``schools[3].teachers``), what is wrong,
    what was expected there, and what to do."""

    path: str
    kind: Literal["missing", "invalid"]
    message: str
    expected: str | None = None
    hint: str | None = None
    line: int | None = None  # in a TOML submission file

    def to_dict(self) -> dict[str, str]:
        data = {"path": self.path, "problem": self.kind, "detail": self.message}
        for key in ("expected", "hint"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    def text(self) -> str:
        """A short phrase for a person: where, what is wrong, what belongs there."""
        where = (f"line {self.line}: " if self.line else "") + self.path
        if self.kind == "missing":
            return f"{where} missing" + (f" ({self.expected})" if self.expected else "")
        return f"{where}: {self.message}" + (f" (expected {self.expected})" if self.expected else "")


class IncompleteSubmission(SubmissionError):
    """A submission with one or more missing or invalid inputs, all of them listed in ``issues``.

    ``path`` is the first issue's; ``message`` and ``hint`` too when there is one issue, so a
    single problem reads as it always did. With several, the message counts them and ``str()``
    lists every one, on one line as the command line's errors are."""

    def __init__(self, issues: Sequence[Issue], *, file: str | None = None) -> None:
        self.issues = tuple(issues)
        first = self.issues[0]
        if len(self.issues) == 1:
            super().__init__(first.message, file=file, path=first.path, hint=first.hint)
        else:
            missing = sum(1 for i in self.issues if i.kind == "missing")
            invalid = len(self.issues) - missing
            what = ("missing" if not invalid else "invalid" if not missing
                    else f"missing or invalid ({missing} missing, {invalid} invalid)")
            super().__init__(f"{len(self.issues)} inputs are {what}", file=file, path=first.path,
                             hint="every one is listed; fix them all before sending again")

    def render(self) -> str:
        issues = getattr(self, "issues", ())
        if len(issues) <= 1:
            return super().render()
        # One line, as every error of the command line is: the count, then each issue (its path
        # in place of the first issue's, which the exception keeps for callers that show one).
        where = self.file + (f":{self.line}" if self.line else "") + ": " if self.file else ""
        return f"{where}{self.message}: " + "; ".join(issue.text() for issue in issues)


def expected(spec: m.InputSpec | None) -> str | None:
    """What a field of this spec holds, in words: its type, then its label and unit."""
    if spec is None:
        return None
    words = EXPECTED.get(spec.type, spec.type)
    if spec.choices:
        words = "one of " + ", ".join(spec.choices)
    label = spec.label.en or spec.label.zh
    if label:
        words += f": {label}" + (f", in {spec.unit}" if spec.unit else "")
    return words


def check(submission: Submission, standard: m.Standard, *, issues: Sequence[Issue] = ()) -> None:
    """Raise :class:`IncompleteSubmission` listing ``issues`` (from :func:`read_data`) and every
    input ``standard`` reads on every path that ``submission`` lacks; return if there are none."""
    found = list(issues)
    reported = {issue.path for issue in found}
    found += [i for i in own_input_issues(submission, standard) if i.path not in reported]
    reported |= {issue.path for issue in found}
    found += [i for i in missing_inputs(submission, standard) if i.path not in reported]
    found += evidence_issues(submission, standard)
    if found:
        raise IncompleteSubmission(found, file=submission.file or None)


def evidence_issues(submission: Submission, standard: m.Standard) -> list[Issue]:
    """Evidence (佐证资料) for an indicator ``standard`` does not have (input paths are checked
    when the submission is read; an indicator id only the standard can tell)."""
    return [Issue(f"evidence[{e.index}].for", "invalid",
                  f"evidence {e.name!r} is for {e.target!r}, which is not an indicator of {standard.key}",
                  None, "name an indicator id of the standard or an input path (data.NAME)")
            for e in submission.evidence if e.indicator and e.target not in standard.indicators]


# --- missing inputs ------------------------------------------------------------------------


def missing_inputs(submission: Submission, standard: m.Standard) -> list[Issue]:
    """The inputs ``standard`` reads on every path that ``submission`` lacks, county first, then
    schools and townships in the order of the file."""
    reads = reads_of(standard)
    data = submission.data
    issues: list[Issue] = []
    for name in sorted(reads.county_required):
        if name not in data:
            issues.append(_missing_county(reads, name))
    for inputs, fallback in reads.county_alternatives:
        if fallback not in data:
            issues += [_missing_county(reads, name, fallback) for name in sorted(inputs) if name not in data]
    units: list[Issue] = []
    views = _Views()
    for uid in sorted(set(reads.set_required) | set(reads.set_alternatives)):
        names = reads.set_required.get(uid, set())
        unit_set = standard.units[uid]
        if not any(i.level == uid or (i.aggregate and i.aggregate.over == uid) for i in standard.indicators.values()):
            continue  # no indicator is computed for the set: the kernel builds no view of it
        level = BASE_LEVEL[unit_set.base]
        source = submission.schools if unit_set.base == "schools" else submission.townships
        for unit in source:
            present = views.names(unit_set.base, unit, unit_set.segment)
            if present is None:
                continue
            for name in sorted(names - present):
                if not reads.computed(name):
                    units.append(_missing_unit(reads, level, unit, uid, name, unit_set.segment))
            for inputs, fallback in reads.set_alternatives.get(uid, ()):
                if fallback not in present:
                    units += [_missing_unit(reads, level, unit, uid, name, unit_set.segment, fallback)
                              for name in sorted(inputs - present)]
    issues = [i for i in issues if not _excused(reads, i.path.removeprefix("data."))]
    seen = {issue.path for issue in issues}
    for issue in sorted(units, key=_unit_order):
        if issue.path not in seen:
            seen.add(issue.path)
            issues.append(issue)
    return _dedupe(issues)


def _excused(reads: Reads, name: str) -> bool:
    """A county input read only by indicators declared ``assessable = "when_inputs_present"``
    may be missing: those indicators are then not assessable (the evaluation says so)."""
    readers = reads.by["county"].get(name) or set()
    indicators = reads.std.indicators
    return bool(readers) and all(
        r in indicators and indicators[r].assessable_when_inputs_present for r in readers)


class _Views:
    """The names each unit has as a unit set of a segment sees it (None: not in the set), as
    kernel.segments.segment_view would give them, without computing the view's values.

    Each is worked out once per unit and segment (several sets see a unit the same way), its
    students once per unit, and the names once per set of field names, which most units share
    (the sets are read, never changed, so units share them)."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, int, str | None], set[str] | None] = {}
        self.students: dict[tuple[str, int], dict[str, int] | None] = {}
        self.named: dict[tuple[str | None, tuple[str, ...]], set[str]] = {}

    def names(self, base: str, unit: Unit, segment: str | None) -> set[str] | None:
        key = (base, unit.index, segment)
        if key not in self.found:
            self.found[key] = self.view(base, unit, segment)
        return self.found[key]

    def view(self, base: str, unit: Unit, segment: str | None) -> set[str] | None:
        if segment is not None:
            place = (base, unit.index)
            if place not in self.students:
                try:
                    self.students[place] = students_by_segment(unit.values)
                except (TypeError, ValueError):
                    self.students[place] = None  # not a count: the evaluation reports it
            students = self.students[place]
            if students is None or students[segment] <= 0:
                return None
        key = (segment, tuple(unit.values))
        found = self.named.get(key)
        if found is None:
            found = self.named[key] = set(unit.values) if segment is None else view_names(unit.values, segment)
        return found


def _missing_county(reads: Reads, name: str, fallback: str | None = None) -> Issue:
    hint = "add it to [data]; standards-kernel template lists every input"
    if fallback:
        hint = f"add it to [data], or give the published figure {fallback!r}"
    return Issue(f"data.{name}", "missing", f"missing county input {name!r}",
                 expected(reads.spec("county", name)), hint)


def _missing_unit(reads: Reads, level: str, unit: Unit, uid: str, name: str, segment: str | None,
                  fallback: str | None = None) -> Issue:
    place = f"{'schools' if level == 'school' else 'townships'}[{unit.index}]"
    field = reads.field_of(level, name, segment)
    hint = f"the standard reads it for every unit of {uid}"
    if fallback:
        hint += f", or the published figure {reads.field_of(level, fallback, segment)!r}"
    return Issue(f"{place}.{field}", "missing", f"{place} ({unit.id!r}) lacks {field!r}",
                 expected(reads.spec(level, field)), hint)


def _unit_order(issue: Issue) -> tuple[str, int, str]:
    head, _, rest = issue.path.partition("[")
    index, _, field = rest.partition("]")
    return (head, int(index), field)


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen: set[str] = set()
    kept = []
    for issue in issues:
        if issue.path not in seen:
            seen.add(issue.path)
            kept.append(issue)
    return kept


# --- invalid inputs ------------------------------------------------------------------------


def own_input_issues(submission: Submission, standard: m.Standard) -> list[Issue]:
    """The standard's own inputs (``<jurisdiction>.x``) that it does not declare at that level, or
    whose values do not fit their declaration (as the evaluation's scope checks them)."""
    prefix = standard.jurisdiction + "."
    places: list[tuple[str, str, int | None, Mapping[str, Any]]] = [("county", "data", None, submission.data)]
    places += [("school", "schools", u.index, u.values) for u in submission.schools]
    places += [("township", "townships", u.index, u.values) for u in submission.townships]
    # names that are not the standard's own inputs, or that the vocabulary has, by level: the
    # same for every unit, so each is decided once and most units are passed over in one test
    passed: dict[str, set[str]] = {"county": set(), "school": set(), "township": set()}
    issues: list[Issue] = []
    for level, head, index, values in places:
        skip = passed[level]
        if skip.issuperset(values):
            continue
        where = head if index is None else f"{head}[{index}]"
        for name, value in values.items():
            if name in skip:
                continue
            if not (name.startswith(prefix) or name in standard.inputs) or lookup(level, name) is not None:
                skip.add(name)
                continue
            spec = standard.inputs.get(name)
            path = f"{where}.{name}"
            if spec is None or spec.level != level:
                declared = sorted(n for n, s in standard.inputs.items() if s.level == level)
                issues.append(Issue(path, "invalid", f"{name!r} is not an input of {standard.key}", None,
                                    "its declared inputs: " + (", ".join(declared) or "none")))
                continue
            try:
                coerce(spec, value, where=path)
            except SubmissionError as error:
                issues.append(Issue(path, "invalid", error.message, expected(spec), error.hint))
    return issues


def read_data(raw: Any, *, file: str = "<submission>") -> tuple[Submission, list[Issue]]:
    """A checked submission from parsed data, with every invalid field listed.

    When the data reads, the issues are empty. When values are invalid, each one is an issue and
    the submission is what remains without them (so that the inputs still missing can be listed
    too); when the fault is not in a value (an unknown top-level key, a duplicate id), the
    kernel's own error is raised as it is."""
    try:
        return submission_from_data(raw, file=file), []
    except SubmissionError as error:
        first = error
    issues, cleaned = _invalid_fields(raw)
    if not issues:
        raise first
    try:
        submission = submission_from_data(cleaned, file=file)
    except SubmissionError as error:  # a fault beside the values (an unknown key, a duplicate id)
        raise IncompleteSubmission([*issues, _invalid(error, None)],
                                   file=file if file != "<submission>" else None) from None
    return submission, issues


def read_file(path: str | Path) -> tuple[Submission, list[Issue]]:
    """:func:`read_data` for a submission file: the kernel reads it (errors name file and line),
    and when values are invalid every one is listed, with its line in a TOML file."""
    try:
        return read_submission(path), []
    except SubmissionError as error:
        first = error
    fmt = "json" if Path(path).suffix.lower() == ".json" else "toml"
    try:
        text = read_input_text(path, what="submission", error=SubmissionError)
        raw = load_text(text, fmt=fmt, file=str(path), error=SubmissionError)
        submission, issues = read_data(raw, file=str(path))
    except IncompleteSubmission as error:
        raise IncompleteSubmission(_located(error.issues, text, fmt), file=str(path)) from None
    except SubmissionError:
        raise first from None
    return submission, _located(issues, text, fmt)


def _located(issues: Iterable[Issue], text: str, fmt: str) -> list[Issue]:
    if fmt != "toml":
        return list(issues)
    return [attrs.evolve(issue, line=locate_line(text, issue.path)) for issue in issues]


def _invalid_fields(raw: Any) -> tuple[list[Issue], dict[str, Any]]:
    """Each value the kernel refuses, checked on its own, and the data without them."""
    if not isinstance(raw, Mapping):
        return [], {}
    cleaned = dict(raw)
    issues: list[Issue] = []
    if isinstance(raw.get("data"), Mapping):
        good, bad = _fields(raw["data"], "county", "data")
        cleaned["data"] = good
        issues += bad
    for where, level in (("schools", "school"), ("townships", "township")):
        items = raw.get(where)
        if not isinstance(items, list):
            continue
        kept = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                kept.append(item)
                continue
            good, bad = _fields({k: v for k, v in item.items() if k != "id"}, level, f"{where}[{index}]")
            kept.append({**({"id": item["id"]} if "id" in item else {}), **good})
            issues += bad
        cleaned[where] = kept
    return issues, cleaned


def _fields(table: Mapping[str, Any], level: str, where: str) -> tuple[dict[str, Any], list[Issue]]:
    try:
        flat = flatten(table, where)
    except SubmissionError as error:
        return dict(table), [_invalid(error, None)]
    good: dict[str, Any] = {}
    bad: list[Issue] = []
    for name, value in flat.items():
        try:
            _check_field(level, name, value)
        except SubmissionError as error:
            bad.append(_invalid(error, f"{where}.{name}", lookup(level, name)))
        else:
            good[name] = value
    return good, bad


def _check_field(level: str, name: str, value: Any) -> None:
    """One field checked exactly as reading a submission checks it (by the kernel's own reader)."""
    if level == "county":
        submission_from_data({"data": {name: value}})
        return
    spec = lookup(level, name)
    if spec is not None:
        coerce(spec, value, where=name)
    else:  # unknown names and a jurisdiction's own inputs: the reader decides
        submission_from_data({"townships": [{"id": "-", name: value}]} if level == "township"
                             else {"schools": [{"id": "-", "students.primary": 1, name: value}]})


def _invalid(error: SubmissionError, path: str | None, spec: m.InputSpec | None = None) -> Issue:
    return Issue(path or error.path or "", "invalid", error.message, expected(spec), error.hint)
