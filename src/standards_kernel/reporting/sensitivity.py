"""The sensitivity section of a report: would the grade change if an assumed value were wrong?

Drawn from the ``sensitivity`` section of the canonical result (analysis/sensitivity.py computes
it when asked, ``evaluate --sensitivity``), in the report's language, with labels rather than ids:
for each assumed or reconstructed parameter the evaluation read, its value and the range it was
moved across, whether the final grade holds over the whole range, and each point where the grade,
the grade by score, a gate or a veto changes. An auditor reads it as: does this verdict hang on an
assumption, and on which side of the assumed value is the county?
"""

from __future__ import annotations

from typing import Any, Mapping

from .view import View

WORDS: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "对假定值的敏感性",
        "declared": "声明范围", "default": "默认范围", "exact": "精确求解", "bisection": "二分查找",
        "grade": "等级", "grade_by_score": "按分数的等级",
        "holds": "在整个范围内等级不变：{grade}。",
        "stable": "在整个范围内等级、门槛与否决均不变。",
        "none": "本次评估未读取假定或重构的参数。",
        "exact_below": "{what}：{name} ≤ {at} 时为{below}，高于 {at} 时为{above}。",
        "exact_above": "{what}：{name} < {at} 时为{below}，不低于 {at} 时为{above}。",
        "between": "{what}：{name} 在 {low} 与 {at} 之间由{below}变为{above}。",
        "passed": "通过", "failed": "未通过",
        "status": {"assumed": "假定", "reconstructed": "推定", "corroborated": "有旁证", "verified": "已核实"},
        "head": "{name}（{status}，现值 {value}；{kind} {low}–{high}，{method}）",
    },
    "en": {
        "title": "Sensitivity to assumed values",
        "declared": "declared range", "default": "default range", "exact": "solved exactly",
        "bisection": "found by bisection",
        "grade": "Grade", "grade_by_score": "Grade by score",
        "holds": "The grade is {grade} across the whole range.",
        "stable": "Grade, gates and vetoes do not change across the whole range.",
        "none": "The evaluation read no assumed or reconstructed value.",
        "exact_below": "{what}: {below} while {name} ≤ {at}, {above} above {at}.",
        "exact_above": "{what}: {below} while {name} < {at}, {above} from {at}.",
        "between": "{what}: {below} → {above} between {low} and {at} of {name}.",
        "passed": "passed", "failed": "failed",
        "status": {"assumed": "assumed", "reconstructed": "reconstructed", "corroborated": "corroborated",
                   "verified": "verified"},
        "head": "{name} ({status}, value {value}; {kind} {low}–{high}, {method})",
    },
}


def sensitivity_lines(view: View) -> list[str]:
    """The section as lines (empty when the result has no sensitivity section)."""
    data = view.r.get("sensitivity")
    if not data:
        return []
    w = WORDS["en" if view.lang == "en" else "zh"]
    lines: list[str] = [w["title"]]
    parameters: Mapping[str, Any] = data.get("parameters", {})
    if not parameters:
        return lines + ["  " + w["none"]]
    for pid, p in parameters.items():
        name = view.named(view.r.get("parameters", {}).get(pid), pid)
        unit = view.r.get("parameters", {}).get(pid, {}).get("unit", "")
        low, high = (view.num(x, unit) for x in p["range"])
        kind = w["declared"] if p.get("range_declared") else w["default"]
        lines.append("  " + w["head"].format(name=name, status=w["status"].get(p["status"], p["status"]),
                                             value=view.num(p["value"], unit), kind=kind, low=low, high=high,
                                             method=w.get(p["method"], p["method"])))
        if p.get("stable"):
            lines.append("    " + w["stable"])
            continue
        if not any(f["what"] == "grade" for f in p.get("flips", ())):
            lines.append("    " + w["holds"].format(grade=view.grade_label(data.get("grade"))))
        for flip in p.get("flips", ()):
            lines.append("    " + _flip(flip, name, unit, view, w))
    return lines


def _flip(flip: Mapping[str, Any], name: str, unit: str, view: View, w: Mapping[str, Any]) -> str:
    what = flip["what"]
    if what in ("grade", "grade_by_score"):
        label, below, above = w[what], view.grade_label(flip["below"]), view.grade_label(flip["above"])
    else:
        table, rid = what.split(".", 1)
        label = view.named(view.r.get(table, {}).get(rid), rid)
        below, above = w.get(flip["below"], flip["below"]), w.get(flip["above"], flip["above"])
    at = view.num(flip["at"], unit)
    if flip.get("exact"):
        key = "exact_below" if flip.get("at_side") == "below" else "exact_above"
        return w[key].format(what=label, name=name, at=at, below=below, above=above)
    return w["between"].format(what=label, name=name, low=view.num(flip["last_below"], unit), at=at, below=below,
                               above=above)
