"""The properties that evaluate one generated submission and check the result: determinism, unit
order, score bounds, vetoes that never raise, the canonical round trip; and what every property
shares (the failure, evaluating raw data, the first difference of two results)."""

from __future__ import annotations

import copy
import decimal
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ...audit.decision import to_json
from ...errors import KernelError
from ...kernel import model as m
from ...kernel.evaluate import Evaluation, evaluate
from ...kernel.formats import canonical_json, content_json, exact_json
from ...kernel.loader import build_standard
from ...kernel.submission import submission_from_data
from .generate import submissions


class PropertyFailure(AssertionError):
    """A property that does not hold, with the submission that shows it."""

    def __init__(self, message: str, example: Mapping[str, Any] | None = None) -> None:
        self.example = example
        super().__init__(message)


def evaluate_raw(standard: m.Standard, raw: Mapping[str, Any], *, moved: str = "",
                 example: Mapping[str, Any] | None = None) -> Evaluation:
    """Evaluate raw submission data; a kernel error is a property failure naming the example
    (``moved``: the move that made ``raw`` from ``example``)."""
    try:
        return evaluate(submission_from_data(copy.deepcopy(dict(raw)), file="<generated>"), standard)
    except KernelError as error:
        what = f"after moving {moved}, the submission" if moved else "the generated submission"
        raise PropertyFailure(f"{what} cannot be evaluated: {error}", example or raw) from None


LAST_DRAWN: list[Mapping[str, Any]] = []  # the submission the running example drew, for unexpected errors


def draw_submission(standard: m.Standard, data: st.DataObject) -> dict[str, Any]:
    raw = data.draw(submissions(standard), label="submission")
    LAST_DRAWN[:] = [copy.deepcopy(raw)]
    return raw


def rank(evaluation: Evaluation, grade: str) -> int:
    return evaluation.standard.grade_index(grade)  # 0 is the best


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """The first place two JSON values differ, as ``path: a ≠ b`` (keys in sorted order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}[{index}]")
    shown = [json.dumps(v, ensure_ascii=False, default=str) for v in (a, b)]  # default: a Decimal
    return f"{path or 'the result'}: {shown[0][:200]} ≠ {shown[1][:200]}"


def _differ(first: str, second: str) -> str:
    return first_difference(exact_json(first), exact_json(second))


def prop_determinism(standard: m.Standard, data: st.DataObject) -> None:
    raw = draw_submission(standard, data)
    first = to_json(evaluate_raw(standard, raw))
    second = to_json(evaluate_raw(standard, copy.deepcopy(raw)))
    if first != second:
        raise PropertyFailure(f"two evaluations of the same submission differ at {_differ(first, second)}", raw)
    with decimal.localcontext(decimal.Context(prec=6, rounding=decimal.ROUND_DOWN)):
        third = to_json(evaluate_raw(standard, raw))
    if third != first:
        raise PropertyFailure("the caller's decimal context (6 digits, ROUND_DOWN) changed the result at "
                              + _differ(first, third), raw)


def prop_unit_order(standard: m.Standard, data: st.DataObject) -> None:
    raw = draw_submission(standard, data)
    shuffled = copy.deepcopy(raw)
    for table in ("schools", "townships"):
        if table in shuffled:
            shuffled[table] = data.draw(st.permutations(shuffled[table]), label=f"{table} order")
    first, second = to_json(evaluate_raw(standard, raw)), to_json(evaluate_raw(standard, shuffled))
    if first != second:
        raise PropertyFailure(f"listing the units in another order changed the result at {_differ(first, second)}", raw)


def prop_score_bounds(standard: m.Standard, data: st.DataObject) -> None:
    raw = draw_submission(standard, data)
    result = evaluate_raw(standard, raw)
    problems = []
    if not 0 <= result.score <= result.max_score:
        problems.append(f"score {result.score} outside [0, {result.max_score}]")
    for aid, area in result.areas.items():
        if not 0 <= area.points <= area.area.max:
            problems.append(f"area {aid}: {area.points} outside [0, {area.area.max}]")
    for iid, res in result.indicators.items():
        if res.points is not None and res.indicator.scoring and not 0 <= res.points <= res.indicator.scoring.max:
            problems.append(f"indicator {iid}: {res.points} points outside [0, {res.indicator.scoring.max}]")
    if problems:
        raise PropertyFailure("; ".join(problems), raw)


def prop_vetoes_never_raise(standard: m.Standard, data: st.DataObject) -> None:
    raw = draw_submission(standard, data)
    result = evaluate_raw(standard, raw)
    by_score, final = rank(result, result.grade_by_score), rank(result, result.grade)
    problems = []
    if final < by_score:
        problems.append(f"grade {result.grade} is better than {result.grade_by_score}, the grade the score reaches")
    caps = [(r, r.cap_index) for r in result.rules.values() if r.applied and r.cap_index is not None]
    for rule, cap_index in caps:
        if final < cap_index:
            cap = standard.grades[cap_index].id
            problems.append(f"{rule.rule.kind} {rule.rule.id} caps at {cap}, yet the grade is {result.grade}")
    if not caps and result.grade != result.grade_by_score:
        problems.append(f"no rule applies, yet the grade {result.grade} differs from {result.grade_by_score}")
    for rule in result.rules.values():
        if rule.applied and not rule.failed:
            problems.append(f"{rule.rule.kind} {rule.rule.id} applies without failing")
    if problems:
        raise PropertyFailure("; ".join(problems), raw)


_CONTENT_CHECKED: dict[str, bool] = {}


def prop_canonical_round_trip(standard: m.Standard, data: st.DataObject) -> None:
    raw = draw_submission(standard, data)
    result = evaluate_raw(standard, raw)
    text = to_json(result)
    parsed = exact_json(text)
    if canonical_json(parsed) != text:
        raise PropertyFailure("the result's canonical JSON does not read back to the same text", raw)
    if Decimal(parsed["score"]) != result.score or Decimal(parsed["max_score"]) != result.max_score:
        raise PropertyFailure("the score in the canonical JSON is not the score computed", raw)
    submission = submission_from_data(copy.deepcopy(raw), file="<generated>")
    again = submission_from_data(exact_json(canonical_json(submission.canonical())), file="<canonical>")
    if again.sha256 != submission.sha256:
        raise PropertyFailure("the submission's canonical form does not give the same hash", raw)
    again_text = to_json(evaluate(again, standard))
    if again_text != text:
        raise PropertyFailure(f"the submission's canonical form gives another result at {_differ(text, again_text)}", raw)
    if not _CONTENT_CHECKED.get(standard.sha256):
        content = exact_json(content_json(standard.content))
        rebuilt = build_standard(content, file=standard.file or "<content>")
        if rebuilt.sha256 != standard.sha256:
            raise PropertyFailure(f"the standard's canonical content rebuilds to {rebuilt.sha256}, not {standard.sha256}")
        _CONTENT_CHECKED[standard.sha256] = True

