"""Evaluate one county submission under one standard: exact, deterministic and explained.

The flow: parameters in force on ``as_of`` → unit views (schools, per-segment views with combined
schools split by the national weights, townships; filtered) → indicators in dependency order
(inputs, formulas, aggregations, k-of-n; each with its check) → points rolled up the area tree →
the grade the score reaches → lowered by every failed gate and triggered veto. Every value keeps
what it read, so the result explains itself.

This module is the entry point; the work is done by :mod:`.scope` (what can be read),
:mod:`.indicators` (values and checks; unit indicators a column at a time through
:mod:`.columns`, with the per-unit path as fallback) and :mod:`.scoring` (points, areas, grade,
rules), and the result records live in :mod:`.readings` (their names stay importable from here).
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal

from . import model as m
from ..errors import KernelError, SubmissionError
from .compare import compare
from .indicators import Indicators, Overrides
from .numbers import KERNEL_CONTEXT, round_to
from .readings import (
    AreaResult,
    Evaluation,
    IndicatorResult,
    MissingInput,
    Reading,
    RuleResult,
    UnitView,
    Value,
)
from .scope import Scope
from .scoring import grade_for, judge_rules, roll_up
from .submission import Submission

__all__ = [
    "AreaResult",
    "Evaluation",
    "IndicatorResult",
    "MissingInput",
    "Overrides",
    "Reading",
    "RuleResult",
    "UnitView",
    "Value",
    "compare",
    "evaluate",
]


def evaluate(
    submission: Submission,
    standard: m.Standard,
    as_of: dt.date | None = None,
    *,
    overrides: Overrides | None = None,
) -> Evaluation:
    """Score ``submission`` under ``standard`` with the parameters in force on ``as_of``.

    ``as_of`` defaults to the submission's ``evaluation.as_of``. Bad or missing input raises a
    :class:`~standards_kernel.errors.KernelError` naming the field; nothing is partly computed.

    ``overrides`` maps ``(indicator id, unit id)`` — the unit id None for a county indicator — to
    a value that replaces the indicator's computed value (the next-grade search sets a difference
    coefficient at its required value this way). The indicator is still computed first, so its
    inputs must be present and its reads and notes are those of the computation; then the
    override value (not rounded) is checked against the limit, county points are scored from it,
    and every later indicator, area, grade and rule reads it. An override for a unit the
    indicator's unit set does not contain is ignored.
    """
    date = as_of or submission.as_of
    if date is None:
        raise SubmissionError(
            "no evaluation date", path="evaluation.as_of", hint="give evaluation.as_of in the submission (or the evaluation date: --as-of, as_of=)"
        )
    if not standard.in_force(date):
        until = standard.effective_until.isoformat() if standard.effective_until else "open-ended"
        raise KernelError(
            f"{standard.key} is in force from {standard.effective_from.isoformat()} to {until}, "
            f"not on {date.isoformat()}",
            hint="pick the edition in force on that date, or another evaluation date (--as-of, as_of=)",
        )
    with decimal.localcontext(KERNEL_CONTEXT):
        try:
            return _run(submission, standard, date, overrides)
        except KernelError as error:
            raise error.located(file=submission.file or None) from None


def _run(submission: Submission, standard: m.Standard, as_of: dt.date, overrides: Overrides | None) -> Evaluation:
    scope = Scope(submission, standard, as_of)
    views = scope.build_views()
    indicators = Indicators(scope, overrides)
    for iid in standard.order:
        indicators.compute(standard.indicators[iid])
    results = indicators.results
    areas = roll_up(standard, results)
    top = [a for a in areas.values() if a.area.parent is None]
    loose = [r.points for r in results.values() if r.points is not None and r.indicator.scoring and r.indicator.scoring.area is None]
    score = sum([a.points for a in top] + loose, Decimal(0))
    if standard.score_rounding is not None:
        score = round_to(score, standard.score_rounding.places, standard.score_rounding.mode)
    grade_by_score = grade_for(scope, score)
    rules = judge_rules(standard, results)
    index = standard.grade_index(grade_by_score)
    for r in rules.values():
        if r.applied and r.cap_index is not None:
            index = max(index, r.cap_index)
    return Evaluation(
        standard=standard,
        submission=submission,
        as_of=as_of,
        score=score,
        max_score=standard.max_score,
        grade_by_score=grade_by_score,
        grade=standard.grades[index].id,
        indicators=results,
        areas=areas,
        rules=rules,
        parameters={pid: scope.params[pid] for pid in sorted(scope.used_params)},
        units=views,
    )
