"""A readable text report of an evaluation: the grade and why first, then the details.

Numbers are shown with the standard's declared display rounding; ratios as percentages. The
report never feeds back into a decision: it only shows what the evaluation computed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..audit.decision import Decision, as_decision
from ..kernel import model as m
from ..kernel.evaluate import Evaluation, RuleResult
from ..kernel.formats import printable
from ..kernel.numbers import canonical, is_number, round_to
from .catalogue import TEXT_WORDS, words
from .words import negate, rectification_text


def render_text(item: Evaluation | Decision, lang: str = "zh") -> str:
    """The text report of an evaluation or a decision, grade and reason first."""
    decision = as_decision(item)
    evaluation = decision.evaluation
    w = words(TEXT_WORDS, lang)
    std, sub = evaluation.standard, evaluation.submission
    grades = {g.id: g for g in std.grades}
    lines: list[str] = []
    county = sub.county.get("name", "") + (f" ({sub.county['code']})" if sub.county.get("code") else "")
    lines.append(f"{county} — {std.title.text(lang)} [{std.key}, sha256 {std.sha256[:12]}]")
    lines.append(f"{w['as_of']} {evaluation.as_of.isoformat()}" + (f", {w['stage']} {sub.stage}" if sub.stage else ""))
    lines.append("")
    grade = grades[evaluation.grade]
    headline = f"{w['grade']}: {grade.id} {grade.label.text(lang)}"
    if evaluation.max_score > 0:  # a standard judged by gates alone has no score to show
        headline += f"   {w['score']}: {fmt(evaluation.score, std, '')} / {fmt(evaluation.max_score, std, '')}"
    lines.append(headline)
    if evaluation.grade != evaluation.grade_by_score:
        reached = grades[evaluation.grade_by_score]
        for rule in evaluation.lowered_by:
            lines.append(
                f"{w['why_not']} {reached.id} {reached.label.text(lang)} ({w['reaches']}), {w['because']}: "
                + rule_sentence(rule, evaluation, lang)
            )
    lines.append("")
    for r in evaluation.rules.values():
        state = (w["triggered"] if r.rule.kind == "veto" else w["failed"]) if r.failed else (
            w["not_triggered"] if r.rule.kind == "veto" else w["passed"])
        lines.append(f"  [{w[r.rule.kind]} {state}] {r.rule.id}: {rule_sentence(r, evaluation, lang)}")
    lines.append("")
    lines.append(w["indicators"] + ":")
    for iid in std.order:
        res = evaluation.indicators[iid]
        ind = res.indicator
        label = ind.label.text(lang)
        if res.county is not None:
            parts = [f"{w['value']} {fmt(res.county.value, std, ind.unit)}"]
            if res.county.limit is not None and ind.check is not None:
                parts.append(f"{w['limit']} {ind.check.op} {fmt(res.county.limit, std, ind.unit)}")
            if res.county.met is not None:
                parts.append(f"{w['met']} {w['yes'] if res.county.met else w['no']}")
            if res.points is not None and ind.scoring is not None:
                parts.append(f"{w['points']} {fmt(res.points, std, '')}/{fmt(ind.scoring.max, std, '')}")
            if res.county.note:
                parts.append(w["published"])
            lines.append(f"  {iid} {label}: " + ", ".join(parts))
        else:
            failed = res.failed_units
            summary = f"{len(res.units)} units"
            if res.met is not None:
                summary += f", {w['met']} {w['yes'] if res.met else w['no']}"
            lines.append(f"  {iid} {label}: {summary}")
            for uid in failed:
                reading = res.units[uid]
                note = f" ({reading.note})" if reading.note and ind.k_of_n else ""
                shown = _against(reading.value, negate(ind.check.op) if ind.check else "", reading.limit, std, ind.unit)
                lines.append(f"      {w['units_failed']}: {uid} {shown}{note}")
    if evaluation.assumptions:
        lines.append("")
        lines.append(w["assumptions"] + ":")
        for name in evaluation.assumptions:
            lines.append(f"  {name}{_assumed_value(evaluation, name, std)}")
    lines.append("")
    lines.extend(rectification_lines(decision, lang))
    # Every line may carry submission text (county name, school ids, text values): each is made
    # printable, so that no escape sequence from an input reaches the terminal.
    return "\n".join(printable(line) for line in lines) + "\n"


def rectification_lines(item: Evaluation | Decision, lang: str = "zh") -> list[str]:
    """The rectification list (整改清单) and the next-grade plan, as text lines."""
    decision = as_decision(item)
    rounding = decision.evaluation.standard.display_rounding
    return rectification_text(decision.document(), lang, rounding.places, rounding.mode)


def _assumed_value(evaluation: Evaluation, name: str, std: m.Standard) -> str:
    table, _, pid = name.partition(".")
    if table == "parameters" and pid in evaluation.parameters:
        parameter, dated = evaluation.parameters[pid]
        note = f" — {dated.citation.note}" if dated.citation.note else ""
        return f" = {fmt(dated.value, std, parameter.unit)}{note}"
    return ""


def rule_sentence(r: RuleResult, evaluation: Evaluation, lang: str) -> str:
    """One line: the rule, its value against its limit, and its effect."""
    w = words(TEXT_WORDS, lang)
    std = evaluation.standard
    ind = std.indicators[r.rule.indicator]
    text = r.rule.label.text(lang)
    if r.value is not None:
        op = ind.check.op if ind.check else ""
        subject = f" ({', '.join(r.failed_units)})" if r.failed_units else ""
        relation = negate(op) if r.failed else op
        text += f"{subject}: " + _against(r.value, relation, r.limit, std, ind.unit)
    if not r.failed:
        return text  # the effect only matters when the rule fails
    if r.rule.effect == "cap":
        grade = next(g for g in std.grades if g.id == r.rule.grade)
        text += f" → {w['capped']} {grade.id} {grade.label.text(lang)}"
    elif r.rule.effect == "deny":
        lowest = std.grades[-1]
        text += f" → {w['denied']}: {lowest.id} {lowest.label.text(lang)}"
    else:
        text += f" ({w['none']})"
    return text


def _against(value: Any, op: str, limit: Any, std: m.Standard, unit: str) -> str:
    """``value op limit`` for display; when rounding would show two different numbers as equal
    (3.0000036% against 3%), both are shown in full so that the line never contradicts itself."""
    if limit is None or not op:
        return fmt(value, std, unit)
    left, right = fmt(value, std, unit), fmt(limit, std, unit)
    if left == right and value != limit and is_number(value) and is_number(limit):
        left, right = fmt(value, std, unit, exact=True), fmt(limit, std, unit, exact=True)
    return f"{left} {op} {right}"


def fmt(value: Any, std: m.Standard, unit: str, *, exact: bool = False) -> str:
    """A number for display, with the standard's declared display rounding (ratios as %)."""
    if not is_number(value):
        return str(value).lower() if isinstance(value, bool) else str(value)
    rounding = std.display_rounding
    number = Decimal(value)
    if unit == "ratio":
        percent = number * 100
        shown = percent if exact else round_to(percent, max(rounding.places - 2, 0), rounding.mode)
        return canonical(shown) + "%"
    shown = number if exact else round_to(number, rounding.places, rounding.mode)
    return canonical(shown) + (f" {unit}" if unit and unit not in ("points", "分") else "")
