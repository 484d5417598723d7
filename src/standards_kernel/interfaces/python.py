"""The Python API's one obvious place: ``assess`` a county and read everything from the answer.

:func:`assess` takes a submission (object, file path or parsed data) and a standard (object, id,
``id@edition`` or file path; by default the submission's ``evaluation.standard``) and returns an
:class:`Assessment`: the grade, the score, gates and vetoes by id, any indicator's value and the
readable trace of how it came about, the rectification list, the next grade, and the text, HTML
and JSON reports. :func:`assess_many` does the same for many counties with a progress callback.
:func:`evaluate` is the kernel's ``evaluate`` with the same conveniences, still returning the
kernel's :class:`~standards_kernel.kernel.evaluate.Evaluation` (callers and tests depend on it).

It lives among the interfaces because it reads every floor: the kernel decides, ``audit.decide``
composes the decision, ``analysis`` gives gaps and the next grade, ``reporting`` the words and
``authoring.traces`` the trace. Errors raised here speak of Python arguments (``as_of=…``), never of
command-line flags. docs/python-api.md shows it all; a test runs that page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ..analysis.gaps import Gap
from ..analysis.plan import NextGrade
from ..audit.decision import Decision, as_decision, decide, with_sensitivity
from ..errors import KernelError, StandardNotFound, SubmissionError
from ..kernel.completeness import check as check_complete
from ..kernel.completeness import read_data, read_file
from ..kernel.evaluate import Evaluation, Overrides
from ..kernel.evaluate import evaluate as kernel_evaluate
from ..kernel.model import Standard
from ..kernel.readings import RuleResult, Value
from ..kernel.registry import default_registry
from ..kernel.submission import Submission

__all__ = ["Assessment", "Rule", "UnknownName", "assess", "assess_many", "evaluate"]

#: What ``submission`` may be: a read submission, a path of a ``.toml``/``.json`` file, or the
#: parsed data (a dict as TOML or JSON gives it).
SubmissionLike = Submission | str | Path | Mapping[str, Any]
#: What ``standard`` may be: a loaded standard, an id (the edition in force on ``as_of``),
#: ``id@edition``, or the path of a standard file; None: the submission's ``evaluation.standard``.
StandardLike = Standard | str | Path | None
#: ``progress(done, total)``: called once before the first county (done 0) and after each one.
Progress = Callable[[int, int], object]


_RULE_KINDS = {"gates": "gate", "vetoes": "veto"}
_PLURAL = {kind: plural for plural, kind in _RULE_KINDS.items()}


class UnknownName(KernelError, KeyError):
    """An indicator, gate, veto or area id the standard does not have (also a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.render()


@attrs.frozen(repr=False)
class Rule:
    """One gate or veto as this county met it (``Assessment.gates`` / ``Assessment.vetoes``).

    - ``id``: the rule's id in the standard, e.g. ``d_class_buildings``.
    - ``kind``: ``"gate"`` (must be met) or ``"veto"`` (一票否决).
    - ``label``: the standard's own words for it, in Chinese.
    - ``label_en``: the English label (the Chinese one when the standard gives none).
    - ``triggered``: a veto triggered, or a gate not met: the county fails the rule.
    - ``applied``: the failure counts against the grade. A failed rule of effect ``none``, or a
      lower-priority failing rule of the same group, is reported without being applied.
    - ``value``: the indicator's value the rule judged (None for a rule over units).
    - ``limit``: the limit the value was judged against.
    - ``indicator``: the indicator the rule reads; ``explain(rule.indicator)`` shows how it came about.
    - ``effect``: ``"cap"`` (grade at most ``grade``), ``"deny"`` (the lowest grade) or ``"none"``
      (reported only).
    - ``grade``: the grade a ``cap`` limits to (None otherwise).
    - ``failed_units``: the schools or townships that fail a rule over units.
    """

    id: str
    kind: str
    label: str
    label_en: str
    triggered: bool
    applied: bool
    value: Value | None
    limit: Value | None
    indicator: str
    effect: str
    grade: str | None
    failed_units: tuple[str, ...]

    @classmethod
    def of(cls, result: RuleResult) -> Rule:
        """The rule as the kernel's result for it says."""
        rule = result.rule
        return cls(rule.id, rule.kind, rule.label.text("zh"), rule.label.text("en"), result.failed, result.applied,
                   result.value, result.limit, rule.indicator, rule.effect, rule.grade, tuple(result.failed_units))

    def __repr__(self) -> str:
        state = ("triggered" if self.kind == "veto" else "failed") if self.triggered else (
            "not triggered" if self.kind == "veto" else "passed")
        applied = ", applied" if self.applied else ""
        return f"<{self.kind} {self.id}: {state}{applied}>"


@attrs.frozen(repr=False, eq=False)
class Assessment:
    """One county under one standard: the decision, and everything it explains.

    - ``decision``: the :class:`~standards_kernel.audit.decision.Decision` (the kernel's
      evaluation with its gaps and next grade) that every property and method reads.

    :func:`assess` makes one. Numbers are ``Decimal``, exact.
    """

    decision: Decision

    # -- what was decided ---------------------------------------------------------------------

    @property
    def evaluation(self) -> Evaluation:
        """The kernel's evaluation (every indicator, area and rule result, the parameters read)."""
        return self.decision.evaluation

    @property
    def grade(self) -> str:
        """The final grade's id, after every applied gate and veto (e.g. ``"qualified"``)."""
        return self.evaluation.grade

    @property
    def grade_label(self) -> str:
        """The final grade in the standard's words (Chinese), e.g. ``合格``."""
        std = self.evaluation.standard
        return std.grades[std.grade_index(self.grade)].label.text("zh")

    @property
    def grade_by_score(self) -> str:
        """The grade the score alone reaches, before gates and vetoes."""
        return self.evaluation.grade_by_score

    @property
    def score(self) -> Decimal:
        """The total score, exact (rounded only where the standard declares it)."""
        return self.evaluation.score

    @property
    def max_score(self) -> Decimal:
        """The most points the standard gives."""
        return self.evaluation.max_score

    @property
    def county(self) -> str:
        """The county's name as the submission gives it."""
        return str(self.evaluation.submission.county.get("name", ""))

    @property
    def standard(self) -> str:
        """The standard's ``id@edition``."""
        return self.evaluation.standard.key

    @property
    def as_of(self) -> dt.date:
        """The evaluation date: which parameters and which edition were in force."""
        return self.evaluation.as_of

    @property
    def gates(self) -> dict[str, Rule]:
        """Every gate by id, each with ``triggered``, ``applied``, ``value``, ``limit``, ``label``."""
        return {rid: Rule.of(r) for rid, r in self.evaluation.rules.items() if r.rule.kind == "gate"}

    @property
    def vetoes(self) -> dict[str, Rule]:
        """Every veto (一票否决) by id, each with ``triggered``, ``applied``, ``value``, ``limit``, ``label``."""
        return {rid: Rule.of(r) for rid, r in self.evaluation.rules.items() if r.rule.kind == "veto"}

    @property
    def lowered_by(self) -> tuple[Rule, ...]:
        """The gates and vetoes that lowered the grade below ``grade_by_score``."""
        return tuple(Rule.of(r) for r in self.evaluation.lowered_by)

    @property
    def assumptions(self) -> tuple[str, ...]:
        """Every assumed (not published) parameter, area, indicator or rule the result used."""
        return self.evaluation.assumptions

    # -- reading one value ----------------------------------------------------------------------

    def value(self, indicator: str, unit: str | None = None) -> Any:
        """An indicator's value: a county indicator's value, or for a per-school (per-township)
        indicator a dict of unit id → value, or the value of ``unit``."""
        result = self.evaluation.indicators.get(indicator)
        if result is None:
            raise self._unknown("indicator", indicator, self.evaluation.indicators)
        if result.county is not None and unit is None:
            return result.county.value
        if unit is not None:
            if unit not in result.units:
                raise self._unknown(f"unit of {indicator}", unit, result.units)
            return result.units[unit].value
        return {uid: reading.value for uid, reading in result.units.items()}

    def explain(self, what: str, unit: str | None = None) -> str:
        """How a value came about, as lines of text (the trace a failing test case shows).

        ``what`` is an indicator id (its formula, what it read, parameters with their source and
        status, its check and points; ``unit`` picks a school or township), ``gates.<id>`` or
        ``vetoes.<id>``, ``areas.<id>``, ``"score"`` or ``"grade"``."""
        from ..authoring.traces import (
            trace_area,
            trace_grade,
            trace_indicator,
            trace_rule,
            trace_score,
        )

        ev = self.evaluation
        if what in ev.indicators:
            if unit is not None and unit not in ev.indicators[what].units:
                raise self._unknown(f"unit of {what}", unit, ev.indicators[what].units)
            return "\n".join(trace_indicator(ev, what, unit))
        kind, _, name = what.partition(".")
        if name in ev.rules and _RULE_KINDS.get(kind) == ev.rules[name].rule.kind:
            return "\n".join(trace_rule(ev, name))
        if kind == "areas" and name in ev.areas:
            return "\n".join(trace_area(ev, name))
        if what == "score":
            return "\n".join(trace_score(ev))
        if what == "grade":
            return "\n".join(trace_grade(ev))
        names = list(ev.indicators) + [f"{_PLURAL[r.rule.kind]}.{rid}" for rid, r in ev.rules.items()]
        raise self._unknown("indicator, gate, veto or area", what, names + [f"areas.{a}" for a in ev.areas] + ["score", "grade"])

    # -- what to do about it --------------------------------------------------------------------

    def gaps(self) -> tuple[Gap, ...]:
        """The rectification list: a gap for every failed gate, triggered veto and item below
        full points (``id``, ``kind``, ``indicator``, ``closable``, ``targets``: what must change)."""
        return self.decision.gaps

    def next_grade(self) -> NextGrade:
        """The fewest repairs that lift the county to the next better grade (``status``,
        ``target``, ``plan``: the changes, ``grade_after``, ``score_after``)."""
        return self.decision.next_grade

    # -- reports ----------------------------------------------------------------------------------

    def to_text(self, lang: str = "zh") -> str:
        """The text report (``lang`` ``"zh"`` or ``"en"``): grade and reason first, each rule with its basis."""
        from ..reporting.text import render_text

        return render_text(self.decision, _lang(lang))

    def to_html(self, lang: str = "zh") -> str:
        """The report as one self-contained, printable HTML page (``lang`` ``"zh"`` or ``"en"``)."""
        from ..reporting.html import evaluation_html

        return evaluation_html(self.decision, lang=_lang(lang))

    def to_json(self, *, trace: str = "summary") -> str:
        """The canonical decision document as JSON text: same input, same bytes (``trace="full"``:
        with what each unit read, docs/trace.md)."""
        return self.decision.to_json(trace=trace)

    def document(self, *, trace: str = "summary") -> dict[str, Any]:
        """The canonical decision document as plain data (decimals as canonical strings)."""
        return self.decision.document(trace=trace)

    def __repr__(self) -> str:
        return (f"<Assessment {self.county} {self.standard} grade={self.grade} "
                f"score={self.score}/{self.max_score}>")

    def _unknown(self, what: str, name: str, known: Iterable[str]) -> UnknownName:
        listed = sorted(known)
        shown = ", ".join(listed[:12]) + (f" … ({len(listed) - 12} more)" if len(listed) > 12 else "")
        return UnknownName(f"{self.standard} has no {what} {name!r}", hint="known: " + (shown or "none"))


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang is 'zh' or 'en', not {lang!r}")
    return lang


def _date(as_of: dt.date | str | None) -> dt.date | None:
    if as_of is None or (isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime)):
        return as_of
    if isinstance(as_of, str):
        try:
            return dt.date.fromisoformat(as_of)
        except ValueError:
            raise KernelError(f"as_of={as_of!r} is not a date", hint="give a datetime.date or 'YYYY-MM-DD'") from None
    raise KernelError(f"as_of is a {type(as_of).__name__}", hint="give a datetime.date or 'YYYY-MM-DD'")


def _submission(submission: SubmissionLike) -> tuple[Submission, list[Any]]:
    """The submission, and (for a file) every invalid value in it, listed at once with the rest."""
    if isinstance(submission, Submission):
        return submission, []
    if isinstance(submission, (str, Path)):
        return read_file(submission)
    if isinstance(submission, Mapping):
        return read_data(submission)
    raise SubmissionError(f"submission is a {type(submission).__name__}",
                          hint="give a Submission, the path of a .toml/.json file, or its parsed data (a dict)")


def _prepared(submission: SubmissionLike, standard: StandardLike,
              as_of: dt.date | str | None) -> tuple[Submission, Standard, dt.date, list[Any]]:
    """The submission, the standard and the date, with the errors worded for Python callers."""
    sub, issues = _submission(submission)
    date = _date(as_of) or sub.as_of
    if date is None:
        raise SubmissionError("no evaluation date", file=sub.file or None, path="evaluation.as_of",
                              hint="give as_of=… (a datetime.date), or evaluation.as_of in the submission")
    if isinstance(standard, Standard):
        std = standard
    elif standard is not None:
        std = default_registry().resolve(str(standard), date)
    elif sub.standard:
        std = default_registry().resolve_id(sub.standard, date)  # a submission names an id, never a file
    else:
        raise StandardNotFound("no standard given", file=sub.file or None, path="evaluation.standard",
                               hint="give standard=… (an id, 'id@edition', a path or a Standard), "
                                    "or evaluation.standard in the submission")
    if not std.in_force(date):
        until = std.effective_until.isoformat() if std.effective_until else "open-ended"
        raise StandardNotFound(f"{std.key} is in force from {std.effective_from.isoformat()} to {until}, "
                               f"not on {date.isoformat()}", file=sub.file or None,
                               hint="give the standard's id alone (the edition in force is chosen), "
                                    "or another as_of=…")
    return sub, std, date, issues


def evaluate(submission: SubmissionLike, standard: StandardLike = None, as_of: dt.date | str | None = None, *,
             overrides: Overrides | None = None) -> Evaluation:
    """The kernel's :func:`~standards_kernel.kernel.evaluate.evaluate`, with ``submission`` and
    ``standard`` given as :func:`assess` takes them; returns the kernel's ``Evaluation``.
    :func:`assess` gives the same with everything it explains."""
    sub, std, date, issues = _prepared(submission, standard, as_of)
    if issues:  # what was read without the invalid values must not be evaluated: list them all
        check_complete(sub, std, issues=issues)
    return kernel_evaluate(sub, std, date, overrides=overrides)


def assess(submission: SubmissionLike | Evaluation | Decision, standard: StandardLike = None,
           as_of: dt.date | str | None = None, *, sensitivity: bool = False) -> Assessment:
    """One county under one standard, explained.

    ``submission``: a :class:`Submission`, the path of a ``.toml``/``.json`` submission, or its
    parsed data; an ``Evaluation`` or ``Decision`` already made is wrapped as it is.
    ``standard``: a :class:`Standard`, an id (the edition in force on ``as_of``), ``id@edition``
    or the path of a standard file; by default the submission's ``evaluation.standard``.
    ``as_of``: a date (or ``"YYYY-MM-DD"``); by default the submission's ``evaluation.as_of``.
    ``sensitivity``: also compute where an assumed value would flip the grade, a gate or a veto.

    Bad input raises :class:`~standards_kernel.KernelError` naming the file, field and line; every
    missing or invalid input of the submission is listed at once.
    """
    if isinstance(submission, (Evaluation, Decision)):
        if standard is not None or as_of is not None:
            raise TypeError("an Evaluation or Decision is assessed as it is: give no standard or as_of")
        decision = as_decision(submission)
    else:
        sub, std, date, issues = _prepared(submission, standard, as_of)
        check_complete(sub, std, issues=issues)
        decision = decide(sub, std, date)
    return Assessment(with_sensitivity(decision) if sensitivity else decision)


def assess_many(submissions: Iterable[SubmissionLike], standard: StandardLike = None,
                as_of: dt.date | str | None = None, *, progress: Progress | None = None) -> list[Assessment]:
    """:func:`assess` for each submission, in order, in this process; ``progress(done, total)`` is
    called with 0 before the first and after each one (a notebook's progress bar, a log line).

    The first bad submission raises its error, naming its file; for thousands of counties, with
    one error line per bad input, resuming and worker processes, use ``standards-kernel
    evaluate-batch`` (docs/batch.md)."""
    items: Sequence[SubmissionLike] = list(submissions)
    total = len(items)
    std = standard
    if isinstance(standard, (str, Path)) and ("@" in str(standard) or Path(standard).suffix in (".toml", ".json")):
        std = default_registry().resolve(str(standard), None)  # one edition for all: loaded once
    done: list[Assessment] = []
    if progress is not None:
        progress(0, total)
    for item in items:
        done.append(assess(item, std, as_of))
        if progress is not None:
            progress(len(done), total)
    return done
