"""The rectification list (整改清单) in words, Chinese or English, from a canonical result.

Both the text report and the HTML report say the gaps through this module, and both work from
the canonical result (``gaps`` and ``next_grade``), so a recorded evaluation reads the same as a
fresh one. Numbers are rounded here, and only here, for display: a bound "at least x" is rounded
up, "at most x" down, and the size of a change up, so that the rounded sentence is still true.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any, Mapping, Sequence

import attrs

from ..kernel.numbers import canonical, round_to
from ..kernel.vocabulary import lookup as vocabulary_lookup

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "veto": "否决项", "gate": "必备条件", "points": "失分", "cap": "等级至多为", "deny": "不予认定",
        "none": "仅记录，不影响等级", ">=": "不低于", ">": "高于", "<=": "不超过", "<": "低于", "==": "为",
        "now": "现为", "must": "须", "or": "或", "raise": "增至", "reduce": "减至", "set": "改为",
        "by_up": "至少增加", "by_down": "至少减少", "pp": "个百分点", "from": "由", "sep": "：", "semi": "；",
        "points_of": "{points}/{max} 分，差 {shortfall} 分",
        "panel": "由评估组评分：数据无法弥补这一差距",
        "level": "须达到“{required}”（现为“{value}”），由评估组认定",
        "event": "已发生的事件（{value}）：数据无法弥补，本次评估中该否决成立",
        "fact": "须为 {required}（现为 {value}）：所报告的事实本身须改变",
        "not_computed": "整改量无法由公式精确求出（{note}）",
        "negative": "单独调整{field}无法达到（须为负数）", "above_one": "单独调整{field}无法达到（须超过100%）",
        "no_solution": "单独调整{field}无法达到（须为非整数）",
        "published": "采用的是公布的比率；要换算为人数，需提供 {counts}",
        "cv_head": "全县平均 {mean}，标准差 {sd}",
        "cv_sd": "全县平均不变时，标准差须降至不超过 {sd}",
        "cv_from": "差异主要来自：", "below_mean": "低于全县平均 {d}", "above_mean": "高于全县平均 {d}",
        "variance": "占方差 {p}%", "to_mean": "达到全县平均需 {fix}",
        "k_of_n": "达标 {met}/{n} 项，须至少 {k} 项", "k_more": "须再达标 {needed} 项，可选：",
        "floor": "低于下限（标准的 {floor} 倍）的项须至少达到下限：",
        "units_failing": "未达标单位 {n} 个", "units_more": "须至少再有 {needed} 个达标",
        "best": "已是最高等级。",
        "found": "达到“{target}”最少需要 {n} 项整改：",
        "needed_points": "（得分距“{target}”分数线还差 {points} 分）",
        "after": "整改后：得分 {score}，等级“{grade}”（已重新评估验证）。",
        "after_grade": "整改后：等级“{grade}”（已重新评估验证）。",
        "bounded": "搜索有上限，可能存在更小的方案。",
        "blocked": "无法达到“{target}”：{items} 不能通过数据整改弥补。",
        "not_found_bounded": "在搜索上限内未找到达到“{target}”的方案。",
        "not_found": "即使完成全部可由数据完成的整改，也达不到“{target}”。",
        "by_panel": "（由评估组评分）", "by_level": "（由评估组认定）", "by_fact": "（事实须改变）",
        "by_indicator": "（须逐校整改，见上）", "unit_of": "{unit}", "next": "达到上一等级",
        "title": "整改清单", "none_left": "无需整改：没有未达到的条件，也没有失分项。",
        "no_bound": "该计分方式没有可求的满分界限", "no_closed_form": "公式对任一输入都不是线性比值",
        "not_numeric": "不是数值", "aggregate": "汇总方式无逐项整改量", "too_deep": "嵌套过深",
        "analysis": "分析失败", "share": "（全校数，本学段占 {p}%）",
    },
    "en": {
        "veto": "veto", "gate": "gate", "points": "points", "cap": "grade at most", "deny": "not recognised",
        "none": "reported only, no effect on the grade", ">=": "at least", ">": "above", "<=": "at most",
        "<": "below", "==": "equal to", "now": "now", "must": "must be", "or": "or ", "raise": "raise",
        "reduce": "reduce", "set": "set", "by_up": "an increase of at least", "by_down": "a reduction of at least",
        "pp": "percentage points", "from": "from", "sep": ": ", "semi": "; ",
        "points_of": "{points} of {max} points, {shortfall} short",
        "panel": "awarded by the panel: data cannot close this gap",
        "level": "must become “{required}” (now “{value}”), as the panel judges",
        "event": "an event that happened ({value}): data cannot undo it; the veto stands for this evaluation",
        "fact": "must be {required} (now {value}): the reported fact itself must change",
        "not_computed": "the amount cannot be derived exactly from the formula ({note})",
        "negative": "{field} alone cannot do it (it would have to be negative)",
        "above_one": "{field} alone cannot do it (it would have to exceed 100%)",
        "no_solution": "{field} alone cannot do it (no whole number does)",
        "published": "a published rate was used; a number of pupils needs the counts {counts}",
        "cv_head": "county mean {mean}, standard deviation {sd}",
        "cv_sd": "with the mean unchanged, the standard deviation must fall to at most {sd}",
        "cv_from": "the dispersion comes mostly from:", "below_mean": "{d} below the county mean",
        "above_mean": "{d} above the county mean", "variance": "{p}% of the variance", "to_mean": "to reach the mean: {fix}",
        "k_of_n": "meets {met} of {n}, needs {k}", "k_more": "{needed} more of these:",
        "floor": "items below the floor ({floor} × the standard) must at least reach it:",
        "units_failing": "{n} units do not meet it", "units_more": "at least {needed} more must",
        "best": "Already the best grade.",
        "found": "The fewest repairs that reach “{target}”: {n}.",
        "needed_points": " (the score is {points} points short of the cut-off of “{target}”)",
        "after": "After them: score {score}, grade “{grade}” (checked by re-evaluation).",
        "after_grade": "After them: grade “{grade}” (checked by re-evaluation).",
        "bounded": "The search is bounded; a smaller plan may exist.",
        "blocked": "“{target}” cannot be reached: {items} cannot be closed by data.",
        "not_found_bounded": "No plan reaching “{target}” within the bound of the search.",
        "not_found": "Even with every repair the data allows, “{target}” is not reached.",
        "by_panel": " (awarded by the panel)", "by_level": " (judged by the panel)", "by_fact": " (the fact must change)",
        "by_indicator": " (school by school, see above)", "unit_of": "{unit}", "next": "Reaching the next grade",
        "title": "Rectification list", "none_left": "Nothing to rectify: every condition is met and no point is lost.",
        "no_bound": "this kind of scoring has no computable full-points bound",
        "no_closed_form": "the formula is not a ratio of linear functions of any input",
        "not_numeric": "not a number", "aggregate": "this aggregation gives no per-item amount", "too_deep": "nested too deep",
        "analysis": "analysis failed", "share": " (the whole school's; this segment's share is {p}%)",
    },
}


@attrs.frozen
class Entry:
    """One item of the rectification list: a heading and indented lines."""

    gap: str
    kind: str
    closable: str
    title: str
    lines: tuple[tuple[int, str], ...]


@attrs.frozen
class Rectification:
    entries: tuple[Entry, ...]
    next_grade: tuple[str, ...]
    plan: tuple[str, ...]  # the plan's repairs, one line each


def rectification(result: Mapping[str, Any], lang: str = "zh", places: int = 4,
                  mode: str = "ROUND_HALF_UP") -> Rectification:
    """The gaps and the next-grade plan of a canonical result, in words."""
    say = _Sayer(result, "en" if lang == "en" else "zh", places, mode)
    entries = tuple(say.entry(gap) for gap in result.get("gaps", ()))
    head, plan = say.next_grade(result.get("next_grade") or {})
    return Rectification(entries, head, plan)


def text_lines(rect: Rectification, lang: str = "zh") -> list[str]:
    """The rectification list as plain text lines (for the text report)."""
    w = WORDS["en" if lang == "en" else "zh"]
    lines = [w["title"] + ":"]
    if not rect.entries:
        lines.append("  " + w["none_left"])
    for number, entry in enumerate(rect.entries, 1):
        lines.append(f"  {number}. {entry.title}")
        lines.extend("     " + "  " * depth + text for depth, text in entry.lines)
    if rect.next_grade:
        lines.append("")
        lines.append(w["next"] + ":")
        lines.extend("  " + line for line in rect.next_grade[:1])
        lines.extend(f"    {i}. {line}" for i, line in enumerate(rect.plan, 1))
        lines.extend("  " + line for line in rect.next_grade[1:])
    return lines


def show_number(value: Any, unit: str, places: int, mode: str, how: str = "near") -> str:
    """A number for display. ``how``: near (the standard's display mode), up and down (bounds
    that must stay true), away (the size of a change). Ratios and rates show as percentages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        number = Decimal(str(value))
    except decimal.InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    rounding = {"near": mode, "up": "ROUND_CEILING", "down": "ROUND_FLOOR", "away": "ROUND_UP"}[how]
    if unit in ("ratio", "rate"):
        return canonical(round_to(number * 100, max(places - 2, 0), rounding)) + "%"
    shown = canonical(round_to(number, places, rounding))
    return shown + (f" {unit}" if unit and unit not in ("points", "分", "bool") else "")


class _Sayer:
    def __init__(self, result: Mapping[str, Any], lang: str, places: int, mode: str) -> None:
        self.r = result
        self.lang = lang
        self.w = WORDS[lang]
        self.places = places
        self.mode = mode

    # -- labels -------------------------------------------------------------------------------

    def label(self, data: Mapping[str, Any] | None, fallback: str) -> str:
        if not data:
            return fallback
        text = data.get("label", {})
        return (text.get("en") or text.get("zh") if self.lang == "en" else text.get("zh") or text.get("en")) or fallback

    def indicator(self, iid: str) -> str:
        return self.label(self.r.get("indicators", {}).get(iid), iid)

    def grade(self, gid: str | None) -> str:
        for g in self.r.get("grades", ()):
            if g["id"] == gid:
                return self.label(g, gid or "")
        return gid or ""

    def rule(self, gid: str) -> str:
        table, _, rid = gid.partition(".")
        if table in ("gates", "vetoes"):
            return self.label(self.r.get(table, {}).get(rid), rid)
        if table == "points":
            return self.indicator(rid)
        return gid

    def field(self, name: str, unit: str | None) -> tuple[str, str, str]:
        """A submission field's label, type (``rate`` fields show as percentages) and unit."""
        for level in (("county",) if unit is None else ("school", "township")):
            spec = vocabulary_lookup(level, name)
            if spec is not None:
                text = spec.label.en if self.lang == "en" else spec.label.zh
                return (text or name), spec.type, spec.unit
        return name, "", ""

    def unit_of(self, target: Mapping[str, Any]) -> str:
        unit = target.get("unit")
        return f" ({unit})" if unit and self.lang == "en" else (f"（{unit}）" if unit else "")

    # -- numbers ------------------------------------------------------------------------------

    def number(self, value: Any, unit: str = "", how: str = "near", places: int | None = None) -> str:
        return show_number(value, unit, self.places if places is None else places, self.mode, how)

    def bound_how(self, relation: str) -> str:
        return "up" if relation in (">=", ">") else "down" if relation in ("<=", "<") else "near"

    # -- entries ------------------------------------------------------------------------------

    def entry(self, gap: Mapping[str, Any]) -> Entry:
        w = self.w
        kind = gap["kind"]
        if kind == "points":
            title = f"[{w['points']}] {self.indicator(gap['indicator'])}{w['sep']}" + w["points_of"].format(
                points=self.number(gap["points"]), max=self.number(gap["max"]), shortfall=self.number(gap["shortfall"]))
        else:
            title = f"[{w[kind]}] {self.rule(gap['id'])}"
            if gap.get("effect") == "cap":
                title += f" → {w['cap']} {self.grade(gap.get('grade'))}"
            elif gap.get("effect") == "deny":
                title += f" → {w['deny']}"
            else:
                title += f" ({w['none']})" if self.lang == "en" else f"（{w['none']}）"
        lines: list[tuple[int, str]] = []
        if gap.get("reason") and not gap.get("targets"):
            lines.append((0, w["not_computed"].format(note=self._note(gap["reason"]))))
        for target in gap.get("targets", ()):
            lines.extend(self.target(target, 0, gap["closable"] == "event"))
        return Entry(gap["id"], kind, gap["closable"], title, tuple(lines))

    def _note(self, note: str) -> str:
        key = note.split(":", 1)[0].replace("analysis failed", "analysis")
        return self.w.get(key, note)

    def target(self, t: Mapping[str, Any], depth: int, event: bool = False) -> list[tuple[int, str]]:
        w = self.w
        ind = self.r.get("indicators", {}).get(t["indicator"], {})
        unit = ind.get("unit", "")
        name = self.indicator(t["indicator"]) + self.unit_of(t)
        closable = t.get("closable")
        lines: list[tuple[int, str]] = []
        if closable == "panel":
            return [(depth, w["panel"])]
        if closable == "level":
            return [(depth, w["level"].format(required=t.get("required"), value=t.get("value")))]
        if closable == "fact":
            key = "event" if event else "fact"
            text = w[key].format(required=self.number(t.get("required")), value=self.number(t.get("value")))
            return [(depth, f"{name}{w['sep']}{text}")]
        relation = t.get("relation", "")
        if "required" in t and not isinstance(t["required"], bool) and relation in (">=", ">", "<=", "<", "=="):
            lines.append((depth, f"{name}{w['sep']}{w['now']} {self.number(t['value'], unit)}{self._comma()}"
                                 f"{w['must']}{self._space()}{w[relation]} {self.number(t['required'], unit, self.bound_how(relation))}"))
        elif "k" in t.get("detail", {}):
            d = t["detail"]
            lines.append((depth, f"{t.get('unit', '')}{w['sep']}" + w["k_of_n"].format(met=d["met"], n=d["n"], k=d["k"])))
        elif t.get("parts") is not None:
            lines.append((depth, name))
        for number, fix in enumerate(t.get("fixes", ())):
            lines.extend(self.fix(fix, depth + 1, number > 0))
        if t.get("note") == "published":
            names = [self.field(n, t.get("unit"))[0] for n in t.get("counts", ())]
            counts = "、".join(names) if self.lang == "zh" else ", ".join(names)
            lines.append((depth + 1, w["published"].format(counts=counts)))
        detail = t.get("detail", {})
        if "contributors" in detail:
            lines.extend(self.contributors(detail, t["indicator"], depth + 1))
        parts = t.get("parts", ())
        if parts:
            if "k" in detail:
                if t.get("needed"):
                    lines.append((depth + 1, w["k_more"].format(needed=t["needed"])))
                    for part in parts:
                        lines.extend(self.target(part, depth + 2))
            else:
                head = w["units_failing"].format(n=len(parts))
                if t.get("needed") is not None:
                    head += (w["semi"] if self.lang == "zh" else "; ") + w["units_more"].format(needed=t["needed"])
                lines.append((depth + 1, head + (w["sep"] if self.lang == "zh" else ":")))
                for part in parts:
                    lines.extend(self.target(part, depth + 2))
        if t.get("floor"):
            lines.append((depth + 1, w["floor"].format(floor=self.number(detail.get("floor", "")))))
            for part in t["floor"]:
                lines.extend(self.target(part, depth + 2))
        if closable == "not_computed" and not t.get("fixes") and not parts:
            lines.append((depth + 1, w["not_computed"].format(note=self._note(t.get("note", "no_closed_form")))))
        return lines

    def _comma(self) -> str:
        return "，" if self.lang == "zh" else ", "

    def _space(self) -> str:
        return "" if self.lang == "zh" else " "

    def fix(self, f: Mapping[str, Any], depth: int, alternative: bool) -> list[tuple[int, str]]:
        w = self.w
        relation = f["relation"]
        if f["kind"] == "indicator":
            unit = self.r.get("indicators", {}).get(f["name"], {}).get("unit", "")
            label, kind = self.indicator(f["name"]), ("rate" if unit == "ratio" else "")
        else:
            label, kind, _ = self.field(f["name"], f.get("unit"))
            unit = f.get("measure", "")
        subject = label + (f"（{f['unit']}）" if f.get("unit") and self.lang == "zh" else f" ({f['unit']})" if f.get("unit") else "")
        lead = w["or"] if alternative else ""
        if f.get("problem"):
            return [(depth, lead + w[f["problem"]].format(field=subject))]
        shown_unit = "rate" if kind == "rate" else unit
        if kind == "rate" or f["kind"] == "indicator":
            places = None  # percentages and indicator values: the standard's display places
        else:
            places = 0 if f.get("whole") is not None else min(self.places, 2)  # m², 元: to the cent
        required = self.number(f.get("whole", f["required"]), shown_unit, self.bound_how(relation), places)
        current = self.number(f["current"], shown_unit, "near", places)
        change = Decimal(f["change"])
        rising = relation in (">=", ">") or (relation == "==" and change > 0)
        verb = w["raise"] if rising else w["reduce"] if relation != "==" else w["set"]
        if kind == "rate":
            size = canonical(round_to(abs(change) * 100, max(self.places - 2, 0), "ROUND_UP")) + f" {w['pp']}"
        else:
            size = self.number(abs(change), unit, "away", places)
        by = w["by_up"] if change > 0 else w["by_down"]
        rel = "" if relation == "==" else w[relation] + " "
        if self.lang == "zh":
            text = f"{lead}将{subject}{w['from']} {current} {verb}{rel.strip()} {required}（{by} {size}）"
        else:
            text = f"{lead}{verb} {subject} {w['from']} {current} to {rel}{required} ({by} {size})"
        if f.get("share"):
            text += w["share"].format(p=canonical(round_to(Decimal(f["share"]) * 100, 2, "ROUND_HALF_UP")))
        lines = [(depth, text)]
        for inner in f.get("then", ()):
            lines.extend(self.fix(inner, depth + 1, False))
        if "contributors" in f.get("detail", {}):
            lines.extend(self.contributors(f["detail"], f["name"], depth + 1))
        return lines

    def contributors(self, detail: Mapping[str, Any], iid: str, depth: int) -> list[tuple[int, str]]:
        w = self.w
        of_unit = ""  # the unit indicator's own unit is not in the CV's entry: plain numbers
        lines = [(depth, w["cv_head"].format(mean=self.number(detail["mean"], of_unit), sd=self.number(detail["sd"], of_unit)))]
        if "sd_required" in detail:
            lines.append((depth, w["cv_sd"].format(sd=self.number(detail["sd_required"], of_unit, "down"))))
        rows = detail.get("contributors", ())
        if rows:
            lines.append((depth, w["cv_from"]))
        for row in rows:
            d = Decimal(row["from_mean"])
            where = (w["below_mean"] if d < 0 else w["above_mean"]).format(d=self.number(abs(d), of_unit))
            share = canonical(round_to(Decimal(row["share_of_variance"]) * 100, 1, "ROUND_HALF_UP"))
            text = f"{row['unit']}{w['sep']}{self.number(row['value'], of_unit)}" + (
                f"（{where}，{w['variance'].format(p=share)}）" if self.lang == "zh" else f" ({where}, {w['variance'].format(p=share)})")
            if "fix" in row:
                (_, fix_text), *_ = self.fix(row["fix"], 0, False)
                text += (w["semi"] if self.lang == "zh" else "; ") + w["to_mean"].format(fix=fix_text)
            lines.append((depth + 1, text))
        return lines

    # -- the next grade -----------------------------------------------------------------------

    def next_grade(self, plan: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        w = self.w
        status = plan.get("status")
        if not status:
            return (), ()
        if status == "best":
            return (w["best"],), ()
        target = self.grade(plan.get("to"))
        if status == "found":
            steps = plan.get("plan", ())
            head = w["found"].format(target=target, n=len(steps))
            if plan.get("points_needed") not in (None, "0"):
                head += w["needed_points"].format(target=target, points=self.number(plan["points_needed"]))
            items = tuple(self.repair(step) for step in steps)
            scored = self.r.get("max_score") not in (None, "0")  # a standard of gates alone has no score
            tail = [w["after" if scored else "after_grade"].format(
                score=self.number(plan.get("score_after", "")), grade=self.grade(plan.get("grade_after")))]
            if plan.get("bounded"):
                tail.append(w["bounded"])
            return (head, *tail), items
        if plan.get("blocked"):
            items = ("、" if self.lang == "zh" else ", ").join(self.rule(g) for g in plan["blocked"])
            return (w["blocked"].format(target=target, items=items),), ()
        if plan.get("bounded"):
            return (w["not_found_bounded"].format(target=target),), ()
        return (w["not_found"].format(target=target),), ()

    def repair(self, step: Mapping[str, Any]) -> str:
        w = self.w
        parts = []
        for change in step.get("changes", ()):
            relation = change.get("relation", "==")
            if change["where"] == "indicator":
                unit = self.r.get("indicators", {}).get(change["name"], {}).get("unit", "")
                subject = self.indicator(change["name"])
                value = self.number(change["value"], unit, self.bound_how(relation))
            else:
                subject, kind, measure = self.field(change["name"], change.get("unit"))
                if change.get("unit"):
                    subject += f"（{change['unit']}）" if self.lang == "zh" else f" ({change['unit']})"
                value = self.number(change["value"], "rate" if kind == "rate" else measure, self.bound_how(relation),
                                    None if kind == "rate" else 0 if kind == "count" else min(self.places, 2))
            parts.append(f"{subject} {w[relation] if relation != '==' else ('=' if self.lang == 'en' else '为')} {value}")
        by = {"panel": w["by_panel"], "level": w["by_level"], "fact": w["by_fact"], "indicator": w["by_indicator"]}.get(step.get("by", ""), "")
        joined = ("；" if self.lang == "zh" else "; ").join(parts)
        return f"{self.rule(step['gap'])}{w['sep']}{joined}{by}"


def rectification_text(result: Mapping[str, Any], lang: str, places: int, mode: str) -> list[str]:
    return text_lines(rectification(result, lang, places, mode), lang)


__all__: Sequence[str] = ("Entry", "Rectification", "rectification", "rectification_text", "text_lines", "WORDS")
