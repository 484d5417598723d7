"""Why one result has its grade: every cut-off, gate and veto that could lower it, which fired,
and what each rests on (Catala's exception tree, for one result).

Drawn from a canonical result (an evaluation's ``Decision.document()`` or a record's result) and
the standard it was evaluated under (for a record, its recorded content), through the dependency
map: for each rule with an effect (``cap``: the grade at most a named grade; ``deny``: the lowest
grade) whether it fired (a gate failed, a veto triggered) and whether it was the one applied, with
its indicator's value and limit, its source, clause (locator) and status, and the parameters and
inputs it rests on, each parameter with its value, status and source. Rules reported only (effect
``none``) are listed apart: they fired or not, but cannot lower the grade. The grade cut-offs come
first: which grades the score reaches, and on which parameters each cut-off rests.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from ..kernel import model as m
from ..kernel.numbers import canonical
from .dependencies import dependency_map

__all__ = ["why_grade", "why_grade_lines"]

STATUSES = {"assumed": "假定", "reconstructed": "推定", "corroborated": "有旁证", "verified": "已核实"}
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "{county}：等级“{grade}”的由来（{std}）",
        "score": "得分 {score}，按分数为“{by_score}”",
        "cutoffs": "分数线：", "reached": "已达到", "not_reached": "未达到",
        "rules": "可能降低等级的门槛与否决：", "reported": "仅记录、不影响等级的规则：",
        "none": "（无）", "fired": "已触发", "not_fired": "未触发", "applied": "，决定了等级",
        "cap": "等级至多为“{grade}”", "deny": "等级降为最低",
        "gate": "必备条件", "veto": "否决项", "value": "现值 {value}，限值 {limit}",
        "rests": "依据", "status": "状态", "clause": "条款", "source": "来源", "inputs": "读取数据",
        "colon": "：", "sep": "；",
    },
    "en": {
        "title": "{county}: why the grade is {grade} ({std})",
        "score": "score {score}, grade by score {by_score}",
        "cutoffs": "Cut-offs:", "reached": "reached", "not_reached": "not reached",
        "rules": "Gates and vetoes that could lower the grade:", "reported": "Reported only (no effect on the grade):",
        "none": "(none)", "fired": "FIRED", "not_fired": "not fired", "applied": ", decided the grade",
        "cap": "grade at most {grade}", "deny": "the lowest grade",
        "gate": "gate", "veto": "veto", "value": "value {value}, limit {limit}",
        "rests": "rests on", "status": "status", "clause": "clause", "source": "source", "inputs": "reads",
        "colon": ": ", "sep": "; ",
    },
}


def _parameter(result: Mapping[str, Any], standard: m.Standard, pid: str) -> dict[str, Any]:
    """A parameter as the result read it; one the evaluation did not read (a cut-off of a grade
    the score passed by) as the standard has it on the result's date."""
    entry = result.get("parameters", {}).get(pid)
    if entry is not None:
        return {"id": pid, "value": entry.get("value"), "status": entry.get("status", ""),
                "source": entry.get("source", ""), "clause": entry.get("locator", "")}
    as_of = result.get("as_of")
    dated = standard.parameters[pid].at(dt.date.fromisoformat(as_of)) if isinstance(as_of, str) else None
    if dated is None:
        return {"id": pid, "value": None, "status": "", "source": "", "clause": ""}
    value = dated.value if isinstance(dated.value, (bool, str)) else canonical(dated.value)
    return {"id": pid, "value": value, "status": dated.citation.status, "source": dated.citation.source,
            "clause": dated.citation.locator}


def why_grade(result: Mapping[str, Any], standard: m.Standard) -> dict[str, Any]:
    """The cut-offs, and every gate and veto of ``result`` with what it rests on, as JSON data."""
    dmap = dependency_map(standard)
    grades = [g.id for g in standard.grades]
    by_score = result.get("grade_by_score")
    rank = grades.index(by_score) if by_score in grades else len(grades)
    cutoffs = []
    for index, g in enumerate(standard.grades):
        if g.min_score is None:
            continue
        names = sorted(n for n in g.min_score.names if n in standard.parameters)
        cutoffs.append({"grade": g.id, "reached": result.get("score") is not None and index >= rank,
                        "parameters": [_parameter(result, standard, n) for n in names]})
    rules: list[dict[str, Any]] = []
    lowered = set(result.get("lowered_by", ()))
    for table, kind, fired_key in (("gates", "gate", "failed"), ("vetoes", "veto", "triggered")):
        for rid, entry in sorted(result.get(table, {}).items()):
            nid = f"{table}.{rid}"
            up = dmap.upstream(nid) if nid in dmap.nodes else []
            rules.append({
                "id": rid, "kind": kind, "label": entry.get("label", {}), "effect": entry.get("effect"),
                "grade": entry.get("grade"), "could_lower": entry.get("effect") != "none",
                "fired": bool(entry.get(fired_key)), "applied": bool(entry.get("applied")) or rid in lowered,
                "indicator": entry.get("indicator"), "value": entry.get("value"), "limit": entry.get("limit"),
                "source": entry.get("source", ""), "clause": entry.get("locator", ""), "status": entry.get("status", ""),
                "parameters": [_parameter(result, standard, u.split(".", 1)[1])
                               for u in up if u.startswith("parameters.")],
                "inputs": [u.split(".", 1)[1] for u in up if u.startswith("inputs.")],
            })
    return {"standard": standard.key, "county": result.get("county", {}), "score": result.get("score"),
            "grade_by_score": by_score, "grade": result.get("grade"), "lowered_by": sorted(lowered),
            "cutoffs": cutoffs, "rules": rules}


def _label(data: Mapping[str, Any], lang: str, fallback: str) -> str:
    label = data.get("label") or {}
    return (label.get(lang) or label.get("zh") or label.get("en") or fallback) if isinstance(label, Mapping) else fallback


def _basis(p: Mapping[str, Any], w: Mapping[str, str]) -> str:
    status = p.get("status") or ""
    bits = [f"{w['status']} {STATUSES.get(status, status) if w['colon'] == '：' else status}"] if status else []
    bits += [f"{w['source']} {p['source']}"] if p.get("source") else []
    bits += [f"{w['clause']} {p['clause']}"] if p.get("clause") else []
    return w["sep"].join(bits)


def why_grade_lines(why: Mapping[str, Any], standard: m.Standard, lang: str = "zh") -> list[str]:
    """:func:`why_grade` as text, in one language: cut-offs, rules that could lower, rules reported only."""
    w = WORDS["en" if lang == "en" else "zh"]
    lang = "en" if lang == "en" else "zh"
    grade_label = {g.id: (g.label.en or g.label.zh if lang == "en" else g.label.zh or g.label.en) for g in standard.grades}
    county = why["county"].get("name", "")
    lines = [w["title"].format(county=county, grade=grade_label.get(why["grade"], why["grade"]), std=why["standard"])]
    if why["score"] is not None:
        lines.append("  " + w["score"].format(score=why["score"], by_score=grade_label.get(why["grade_by_score"], why["grade_by_score"])))
    if why["cutoffs"]:
        lines.append(w["cutoffs"])
        for c in why["cutoffs"]:
            lines.append(f"  {grade_label.get(c['grade'], c['grade'])}{w['colon']}{w['reached'] if c['reached'] else w['not_reached']}")
            lines += [f"    {p['id']} = {p['value']} ({_basis(p, w)})" for p in c["parameters"]]
    for title, wanted in (("rules", True), ("reported", False)):
        chosen = [r for r in why["rules"] if r["could_lower"] == wanted]
        lines.append(w[title])
        if not chosen:
            lines.append("  " + w["none"])
        for r in chosen:
            effect = (w["cap"].format(grade=grade_label.get(r["grade"], r["grade"])) if r["effect"] == "cap"
                      else w["deny"] if r["effect"] == "deny" else "")
            state = (w["fired"] if r["fired"] else w["not_fired"]) + (w["applied"] if r["applied"] and wanted else "")
            lines.append(f"  [{state}] {w[r['kind']]} {_label(r, lang, r['id'])} [{r['id']}]"
                         + (f" → {effect}" if effect else ""))
            if r["value"] is not None:
                lines.append("    " + w["value"].format(value=r["value"], limit=r["limit"]))
            basis = _basis(r, w)
            if basis:
                lines.append(f"    {w['rests']}{w['colon']}{basis}")
            lines += [f"    {p['id']} = {p['value']} ({_basis(p, w)})" for p in r["parameters"]]
            if r["inputs"]:
                lines.append(f"    {w['inputs']}{w['colon']}{', '.join(r['inputs'])}")
    return lines
