"""One self-contained HTML report of an evaluation: the grade and why first, then the evidence.

The page is built from the canonical result, so a fresh evaluation and a recorded one (``report
DECISION_ID``) render alike. Everything is inline: the CSS (package data ``data/report/report.css``)
and the charts (SVG drawn here); no scripts, no fonts or images from the network. Chinese by
default, English on request; printable on A4. Numbers are rounded for display only, with the
standard's declared display rounding.
"""

from __future__ import annotations

import functools
import html
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any, Iterable, Mapping, Sequence

from .words import rectification, show_number

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "lang": "zh-CN", "title": "督导评估结果报告", "county": "县（市、区）", "standard": "评估标准",
        "sha": "标准内容哈希（SHA-256）", "decision": "决策编号",
        "unrecorded": "未记录（evaluate --record 记入台账后才有决策编号）", "as_of": "评估日期", "stage": "评估阶段",
        "evaluator": "评估者", "input": "提交数据哈希", "kernel": "内核版本", "grade": "评定等级",
        "score": "得分", "why": "为何不是“{grade}”（分数已达到）：", "why_gates": "为何不是“{grade}”：", "rules": "必备条件与否决项",
        "kind": "类别", "rule": "条目", "state": "状态", "value": "值", "limit": "标准", "effect": "影响",
        "veto": "否决项", "gate": "必备条件", "triggered": "触发", "not_triggered": "未触发",
        "failed": "未达到", "passed": "通过", "cap": "等级至多为 {grade}", "deny": "不予认定", "none": "仅记录",
        "indicators": "指标", "indicator": "指标", "met": "达标", "points": "得分", "yes": "是", "no": "否",
        "units": "{n} 个单位", "failed_units": "未达标：{units}", "published": "采用公布值",
        "charts": "图表", "chart_limit": "各指标值与标准（以标准为 100%）",
        "chart_limit_note": "条形为 值 ÷ 标准；竖线为标准；红色为未达标",
        "chart_cv": "各差异系数与其上限", "chart_cv_note": "竖线为上限；综合上限指该系数所属综合差异系数的上限",
        "composite": "综合上限", "chart_points": "各领域得分", "chart_points_note": "深色为得分，浅色为满分",
        "no_chart": "本标准没有可绘制的此类数据。", "rectification": "整改清单",
        "next": "达到上一等级", "assumptions": "本结果所依据的假定", "no_assumptions": "本结果不依赖任何假定参数。",
        "sources": "依据文件", "footer": "由 standards-kernel {version} 生成：自包含页面，无脚本、无外部字体；数值仅为显示而舍入。",
        "closable_data": "可由数据整改", "closable_fact": "须改变事实", "closable_panel": "评估组评分",
        "closable_level": "评估组认定", "closable_event": "不可弥补", "closable_not_computed": "未能求出整改量",
        "area": "领域", "max": "满分", "replayed": "本记录不含整改清单（记录早于该功能）；下列清单由重放本记录算出。",
    },
    "en": {
        "lang": "en", "title": "Supervision evaluation report", "county": "County", "standard": "Standard",
        "sha": "Standard content hash (SHA-256)", "decision": "Decision id",
        "unrecorded": "not recorded (evaluate --record gives it a decision id)", "as_of": "Evaluation date", "stage": "Stage",
        "evaluator": "Evaluator", "input": "Submission hash", "kernel": "Kernel version", "grade": "Grade",
        "score": "Score", "why": "Why not “{grade}” (the score reaches it):", "why_gates": "Why not “{grade}”:", "rules": "Gates and vetoes",
        "kind": "kind", "rule": "rule", "state": "state", "value": "value", "limit": "limit", "effect": "effect",
        "veto": "veto", "gate": "gate", "triggered": "TRIGGERED", "not_triggered": "not triggered",
        "failed": "FAILED", "passed": "passed", "cap": "grade at most {grade}", "deny": "not recognised",
        "none": "reported only", "indicators": "Indicators", "indicator": "indicator", "met": "met",
        "points": "points", "yes": "yes", "no": "NO", "units": "{n} units", "failed_units": "not meeting it: {units}",
        "published": "published figure", "charts": "Charts",
        "chart_limit": "Each indicator against its limit (limit = 100%)",
        "chart_limit_note": "bars are value ÷ limit; the line is the limit; red: not met",
        "chart_cv": "Difference coefficients against their ceilings",
        "chart_cv_note": "the line is the ceiling; “composite” marks the ceiling of the composite it belongs to",
        "composite": "composite", "chart_points": "Points by area", "chart_points_note": "dark: points; light: maximum",
        "no_chart": "This standard has no data of this kind to draw.", "rectification": "Rectification list",
        "next": "Reaching the next grade", "assumptions": "Assumptions this result rests on",
        "no_assumptions": "This result rests on no assumed parameter.", "sources": "Sources",
        "footer": "Made by standards-kernel {version}: a self-contained page, no scripts, no remote fonts; numbers rounded for display only.",
        "closable_data": "closable by data", "closable_fact": "the fact must change", "closable_panel": "panel points",
        "closable_level": "judged by the panel", "closable_event": "cannot be closed", "closable_not_computed": "amount not derived",
        "area": "area", "max": "max", "replayed": "This record predates the rectification list; the list below comes from replaying it.",
    },
}

_BAR_GOOD, _BAR_BAD, _BAR_NEUTRAL, _BAR_SOFT = "#1a7f37", "#c62828", "#0b5cad", "#d6e4f5"


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


@functools.cache
def stylesheet() -> str:
    return resources.files("standards_kernel").joinpath("data/report/report.css").read_text("utf-8")


def evaluation_html(evaluation: Any, *, lang: str = "zh", decision_id: str | None = None) -> str:
    """The report of an :class:`~standards_kernel.kernel.evaluate.Evaluation`; ``decision_id`` when it
    was recorded (``evaluate --record``), else the page says it is not recorded."""
    from ..audit.decision import to_canonical

    rounding = evaluation.standard.display_rounding
    return render_html(to_canonical(evaluation), lang=lang, places=rounding.places, mode=rounding.mode,
                       decision_id=decision_id)


def render_html(result: Mapping[str, Any], *, lang: str = "zh", places: int = 4, mode: str = "ROUND_HALF_UP",
                decision_id: str | None = None, note: str = "") -> str:
    """The report of a canonical result (``standards_kernel.kernel.result.to_canonical``) as one page."""
    lang = "en" if lang == "en" else "zh"
    page = _Page(result, lang, places, mode)
    body = [
        page.header(decision_id),
        page.verdict(),
        page.rules(),
        page.indicators(),
        page.charts(),
        page.rectification(note),
        page.assumptions(),
        page.sources(),
        f"<footer>{esc(page.w['footer'].format(version=result.get('kernel_version', '')))}</footer>",
    ]
    title = f"{page.county_name()} — {page.w['title']}"
    return (
        f'<!DOCTYPE html>\n<html lang="{page.w["lang"]}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>\n'
        f"<style>\n{stylesheet()}</style>\n</head>\n<body>\n" + "\n".join(b for b in body if b) + "\n</body>\n</html>\n"
    )


class _Page:
    def __init__(self, result: Mapping[str, Any], lang: str, places: int, mode: str) -> None:
        self.r = result
        self.lang = lang
        self.w = WORDS[lang]
        self.places = places
        self.mode = mode

    # -- helpers ------------------------------------------------------------------------------

    def label(self, data: Mapping[str, Any] | None, fallback: str = "") -> str:
        text = (data or {}).get("label", {})
        if self.lang == "en":
            return text.get("en") or text.get("zh") or fallback
        return text.get("zh") or text.get("en") or fallback

    def num(self, value: Any, unit: str = "") -> str:
        return show_number(value, unit, self.places, self.mode)

    def grade_label(self, gid: str | None) -> str:
        for g in self.r.get("grades", ()):
            if g["id"] == gid:
                return self.label(g, gid or "")
        return gid or ""

    def county_name(self) -> str:
        county = self.r.get("county", {})
        return county.get("name") or county.get("code") or ""

    def scored(self) -> bool:
        return self.r.get("max_score") not in (None, "0")

    # -- sections -----------------------------------------------------------------------------

    def header(self, decision_id: str | None) -> str:
        w, r = self.w, self.r
        std = r.get("standard", {})
        county = r.get("county", {})
        rows = [  # (term, definition as HTML)
            (w["county"], esc(county.get("name", "") + (f"（{county['code']}）" if county.get("code") else ""))),
            (w["standard"], esc(f"{self.label({'label': std.get('title', {})})} · {std.get('id')}@{std.get('edition')}")),
            (w["sha"], f'<code id="standard-sha256">{esc(std.get("sha256", ""))}</code>'),
        ]
        if decision_id:
            rows.append((w["decision"], f'<code id="decision-id">{esc(decision_id)}</code>'))
        else:
            rows.append((w["decision"], f'<span class="na" id="decision-id">{esc(w["unrecorded"])}</span>'))
        rows.append((w["as_of"], esc(r.get("as_of", ""))))
        if r.get("stage"):
            rows.append((w["stage"], esc(r["stage"])))
        rows.append((w["input"], f'<code>{esc(r.get("input_sha256", ""))}</code>'))
        meta = "".join(f"<dt>{esc(term)}</dt><dd>{definition}</dd>" for term, definition in rows)
        return (f'<header>\n<h1>{esc(self.county_name())} · {esc(w["title"])}</h1>\n'
                f'<dl class="meta">{meta}</dl>\n</header>')

    def verdict(self) -> str:
        w, r = self.w, self.r
        lowered = r.get("grade") != r.get("grade_by_score")
        parts = [f'<section class="verdict{" lowered" if lowered else ""}" id="verdict">',
                 f'<p class="grade" id="grade">{esc(self.grade_label(r.get("grade")))}'
                 f'<span class="grade-id">{esc(r.get("grade", ""))}</span></p>']
        if self.scored():
            parts.append(f'<p class="score">{esc(w["score"])}: <strong id="score">{esc(self.num(r.get("score")))}</strong>'
                         f' / {esc(self.num(r.get("max_score")))}</p>')
        if lowered:
            why = w["why" if self.scored() else "why_gates"].format(grade=self.grade_label(r.get("grade_by_score")))
            parts.append(f'<p>{esc(why)}</p><ul class="reasons">')
            for rid in r.get("lowered_by", ()):
                table = "vetoes" if rid in r.get("vetoes", {}) else "gates"
                parts.append(f"<li>{esc(self.rule_sentence(r[table][rid], table))}</li>")
            parts.append("</ul>")
        parts.append("</section>")
        return "\n".join(parts)

    def rule_sentence(self, rule: Mapping[str, Any], table: str) -> str:
        w = self.w
        ind = self.r.get("indicators", {}).get(rule.get("indicator"), {})
        text = self.label(rule, rule.get("indicator", ""))
        failed = rule.get("triggered", rule.get("failed"))
        if "value" in rule:
            op = ind.get("check", {}).get("op", "")
            shown_op = _negate(op) if failed else op
            units = f" ({', '.join(rule['failed_units'])})" if rule.get("failed_units") else ""
            limit = f" {shown_op} {self.num(rule['limit'], ind.get('unit', ''))}" if "limit" in rule and op else ""
            text += f"{units}: {self.num(rule['value'], ind.get('unit', ''))}{limit}"
        effect = rule.get("effect")
        if effect == "cap":
            text += " → " + w["cap"].format(grade=self.grade_label(rule.get("grade")))
        elif effect == "deny":
            text += " → " + w["deny"]
        return text

    def rules(self) -> str:
        w, r = self.w, self.r
        rows = []
        for table, kind in (("vetoes", "veto"), ("gates", "gate")):
            for rid, rule in sorted(r.get(table, {}).items()):
                failed = rule.get("triggered", rule.get("failed"))
                state = (w["triggered"] if kind == "veto" else w["failed"]) if failed else (
                    w["not_triggered"] if kind == "veto" else w["passed"])
                ind = r.get("indicators", {}).get(rule.get("indicator"), {})
                unit = ind.get("unit", "")
                op = ind.get("check", {}).get("op", "")
                value = self.num(rule["value"], unit) if "value" in rule else ""
                limit = f"{op} {self.num(rule['limit'], unit)}" if "limit" in rule else ""
                effect = {"cap": w["cap"].format(grade=self.grade_label(rule.get("grade"))), "deny": w["deny"],
                          "none": w["none"]}.get(rule.get("effect"), "")
                units = f'<div class="units">{esc(w["failed_units"].format(units=", ".join(rule["failed_units"])))}</div>' if rule.get("failed_units") else ""
                rows.append(
                    f'<tr><td>{esc(w[kind])}</td><td>{esc(self.label(rule, rid))}<div class="units"><code>{esc(rid)}</code></div>{units}</td>'
                    f'<td class="{"no" if failed else "ok"}">{esc(state)}</td><td class="num">{esc(value)}</td>'
                    f'<td class="num">{esc(limit)}</td><td class="{"" if failed else "na"}">{esc(effect)}</td></tr>')
        if not rows:
            return ""
        head = "".join(f"<th>{esc(w[k])}</th>" for k in ("kind", "rule", "state", "value", "limit", "effect"))
        return f'<section id="rules">\n<h2>{esc(w["rules"])}</h2>\n<table><thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(rows) + "\n</tbody></table>\n</section>"

    def indicators(self) -> str:
        w = self.w
        rows = []
        for iid, ind in sorted(self.r.get("indicators", {}).items()):
            unit = ind.get("unit", "")
            label = f'{esc(self.label(ind, iid))}<div class="units"><code>{esc(iid)}</code></div>'
            met = ind.get("met")
            met_cell = f'<td class="{"ok" if met else "no"}">{esc(w["yes"] if met else w["no"])}</td>' if met is not None else '<td class="na">—</td>'
            limit = f"{ind['check']['op']} {self.num(ind['limit'], unit)}" if "limit" in ind and "check" in ind else ""
            points = f"{self.num(ind['points'])} / {self.num(ind['max'])}" if "points" in ind else ""
            if "units" in ind:
                failed = ind.get("failed_units", [])
                value = w["units"].format(n=len(ind["units"]))
                if failed:
                    shown = ", ".join(f"{u} {self.num(ind['units'][u].get('value'), unit)}" for u in failed[:8])
                    more = f" …(+{len(failed) - 8})" if len(failed) > 8 else ""
                    label += f'<div class="units">{esc(w["failed_units"].format(units=shown + more))}</div>'
                if not limit:
                    limits = {str(u.get("limit")) for u in ind["units"].values() if "limit" in u}
                    if len(limits) == 1 and "check" in ind:
                        limit = f"{ind['check']['op']} {self.num(limits.pop(), unit)}"
            else:
                value = self.num(ind.get("value"), unit)
                if ind.get("note"):
                    label += f'<div class="units">{esc(w["published"])}</div>'
            rows.append(f'<tr><td>{label}</td><td class="num">{esc(value)}</td><td class="num">{esc(limit)}</td>'
                        f'{met_cell}<td class="num">{esc(points)}</td></tr>')
        head = "".join(f"<th>{esc(w[k])}</th>" for k in ("indicator", "value", "limit", "met", "points"))
        return (f'<section id="indicators">\n<h2>{esc(w["indicators"])}</h2>\n<table><thead><tr>{head}</tr></thead><tbody>\n'
                + "\n".join(rows) + "\n</tbody></table>\n</section>")

    # -- charts -------------------------------------------------------------------------------

    def charts(self) -> str:
        w = self.w
        figures = [
            self.figure("chart-limits", w["chart_limit"], w["chart_limit_note"], self.limit_chart()),
            self.figure("chart-cv", w["chart_cv"], w["chart_cv_note"], self.cv_chart()),
            self.figure("chart-points", w["chart_points"], w["chart_points_note"], self.points_chart()),
        ]
        return f'<section id="charts">\n<h2>{esc(w["charts"])}</h2>\n' + "\n".join(figures) + "\n</section>"

    def figure(self, fid: str, caption: str, note: str, svg: str | None) -> str:
        body = svg if svg else f'<p class="na">{esc(self.w["no_chart"])}</p>'
        return f'<figure id="{fid}"><figcaption>{esc(caption)} <span class="note">— {esc(note)}</span></figcaption>\n{body}\n</figure>'

    def limit_chart(self) -> str | None:
        rows = []
        for iid, ind in sorted(self.r.get("indicators", {}).items()):
            op = ind.get("check", {}).get("op")
            value, limit = _dec(ind.get("value")), _dec(ind.get("limit"))
            if op not in ("<", "<=", ">", ">=") or value is None or limit is None or limit <= 0 or value < 0:
                continue
            if str(ind.get("how", "")).startswith("cv of"):
                continue  # difference coefficients have their own chart
            unit = ind.get("unit", "")
            rows.append((self.label(ind, iid), value / limit, bool(ind.get("met")),
                         f"{self.num(value, unit)} / {op} {self.num(limit, unit)}"))
        for iid, ind in sorted(self.r.get("indicators", {}).items()):  # and the units that fail
            op = ind.get("check", {}).get("op")
            if op not in ("<", "<=", ">", ">=") or "units" not in ind:
                continue
            for uid in ind.get("failed_units", [])[:10]:
                reading = ind["units"][uid]
                value, limit = _dec(reading.get("value")), _dec(reading.get("limit"))
                if value is None or limit is None or limit <= 0 or value < 0:
                    continue
                unit = ind.get("unit", "")
                rows.append((f"{self.label(ind, iid)} · {uid}", value / limit, False,
                             f"{self.num(value, unit)} / {op} {self.num(limit, unit)}"))
        if not rows:
            return None
        top = max([Decimal(1)] + [ratio for _, ratio, _, _ in rows])
        scale = min(top * Decimal("1.1"), Decimal(6))
        bars = [(label, ratio, _BAR_GOOD if met else _BAR_BAD, text) for label, ratio, met, text in rows]
        return _bar_svg(bars, scale, [(Decimal(1), "100%")] * len(bars))

    def cv_chart(self) -> str | None:
        indicators = self.r.get("indicators", {})
        ceilings: dict[str, tuple[Decimal, bool]] = {}
        for iid, ind in indicators.items():  # a composite's ceiling applies to the CVs it reads
            limit = _dec(ind.get("limit"))
            if limit is not None and ind.get("check", {}).get("op") in ("<", "<="):
                for name in ind.get("reads", {}):
                    if str(indicators.get(name, {}).get("how", "")).startswith("cv of"):
                        ceilings.setdefault(name, (limit, True))
        rows = []
        for iid, ind in sorted(indicators.items()):
            if not str(ind.get("how", "")).startswith("cv of") or _dec(ind.get("value")) is None:
                continue
            own = _dec(ind.get("limit"))
            ceiling = (own, False) if own is not None else ceilings.get(iid)
            rows.append((iid, ind, _dec(ind["value"]), ceiling))
        if not rows:
            return None
        top = max([v for *_, v, _ in rows] + [c[0] for *_, c in rows if c is not None] + [Decimal("0.01")])
        scale = top * Decimal("1.15")
        bars, marks = [], []
        for iid, ind, value, ceiling in rows:
            ok = ceiling is None or value <= ceiling[0]
            suffix = ""
            if ceiling is not None:
                suffix = f" / ≤ {self.num(ceiling[0])}" + (f" ({self.w['composite']})" if ceiling[1] else "")
            bars.append((self.label(ind, iid), value, _BAR_NEUTRAL if ceiling is None else _BAR_GOOD if ok else _BAR_BAD,
                         f"{self.num(value)}{suffix}"))
            marks.append((ceiling[0], "") if ceiling is not None else None)
        return _bar_svg(bars, scale, marks)

    def points_chart(self) -> str | None:
        areas = self.r.get("areas", {})
        rows = []
        for aid, area in sorted(areas.items(), key=lambda item: (item[1].get("parent") or "", item[0])):
            points, top = _dec(area.get("points")), _dec(area.get("max"))
            if points is None or top is None or top <= 0:
                continue
            rows.append((self.label(area, aid), points, top))
        if not rows:
            return None
        scale = max(top for *_, top in rows)
        height, label_w, width = 26, 300, 900
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height * len(rows) + 10}" role="img">']
        span = width - label_w - 160
        for i, (label, points, top) in enumerate(rows):
            y = 5 + i * height
            full = Decimal(top) / scale * span  # SVG coordinates, exact too (formatted to 0.1)
            got = Decimal(points) / scale * span
            colour = _BAR_GOOD if points >= top else _BAR_NEUTRAL
            parts.append(f'<text x="0" y="{y + 17}"><title>{esc(label)}</title>{esc(_short(label))}</text>')
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{full:.1f}" height="16" fill="{_BAR_SOFT}"/>')
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{got:.1f}" height="16" fill="{colour}"/>')
            parts.append(f'<text x="{label_w + full + 8:.1f}" y="{y + 17}">{esc(self.num(points))} / {esc(self.num(top))}</text>')
        parts.append("</svg>")
        return "\n".join(parts)

    # -- rectification, assumptions, sources --------------------------------------------------

    def rectification(self, note: str) -> str:
        w = self.w
        rect = rectification(self.r, self.lang, self.places, self.mode)
        parts = [f'<section id="rectification">\n<h2>{esc(w["rectification"])}</h2>']
        if note:
            parts.append(f'<p class="na">{esc(note)}</p>')
        if not rect.entries:
            from .words import WORDS as GAP_WORDS

            parts.append(f'<p>{esc(GAP_WORDS[self.lang]["none_left"])}</p>')
        else:
            parts.append('<ol class="fix-list">')
            lowering = {g["id"] for g in self.r.get("gaps", ()) if g.get("lowers_grade")}
            for entry in rect.entries:
                classes = f"{entry.kind}{' lowers' if entry.gap in lowering else ''}"
                badge = f'<span class="badge {esc(entry.closable)}">{esc(w.get("closable_" + entry.closable, entry.closable))}</span>'
                lines = "".join(f'<div class="fix-line depth-{min(depth, 5)}">{esc(text)}</div>' for depth, text in entry.lines)
                parts.append(f'<li class="{classes}" id="gap-{esc(entry.gap)}"><div class="fix-title">{esc(entry.title)}{badge}</div>{lines}</li>')
            parts.append("</ol>")
        if rect.next_grade:
            found = (self.r.get("next_grade") or {}).get("status") in ("found", "best")
            parts.append(f'<h3>{esc(w["next"])}</h3><div class="plan{"" if found else " none"}" id="next-grade">'
                         f"<p>{esc(rect.next_grade[0])}</p>")
            if rect.plan:
                parts.append("<ol>" + "".join(f"<li>{esc(step)}</li>" for step in rect.plan) + "</ol>")
            parts.extend(f"<p>{esc(line)}</p>" for line in rect.next_grade[1:])
            parts.append("</div>")
        parts.append("</section>")
        return "\n".join(parts)

    def assumptions(self) -> str:
        w, r = self.w, self.r
        names = r.get("assumptions", ())
        if not names:
            return f'<section id="assumptions">\n<h2>{esc(w["assumptions"])}</h2>\n<p>{esc(w["no_assumptions"])}</p>\n</section>'
        items = []
        for name in names:
            table, _, key = name.partition(".")
            entry = r.get(table, {}).get(key, {}) if table in ("parameters", "areas", "indicators", "gates", "vetoes") else {}
            text = f"<code>{esc(name)}</code> {esc(self.label(entry))}"
            if table == "parameters" and "value" in entry:
                text += f" = <strong>{esc(self.num(entry['value'], entry.get('unit', '')))}</strong>"
            if entry.get("note"):
                text += f'<div class="units">{esc(entry["note"])}</div>'
            items.append(f"<li>{text}</li>")
        return f'<section id="assumptions">\n<h2>{esc(w["assumptions"])}</h2>\n<ul class="assumptions">' + "".join(items) + "</ul>\n</section>"

    def sources(self) -> str:
        sources = self.r.get("sources", {})
        if not sources:
            return ""
        items = []
        for sid, s in sorted(sources.items()):
            bits = [esc(s.get("title", sid))] + [esc(s[k]) for k in ("issuer", "number", "date") if s.get(k)]
            address = f'<div class="units">{esc(s["address"])}</div>' if s.get("address") else ""
            items.append(f"<li><code>{esc(sid)}</code> {' · '.join(bits)}{address}</li>")
        return f'<section id="sources">\n<h2>{esc(self.w["sources"])}</h2>\n<ul>' + "".join(items) + "</ul>\n</section>"


# ---------------------------------------------------------------------------------------------
# drawing


def _dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _negate(op: str) -> str:
    return {"<=": ">", "<": ">=", ">=": "<", ">": "<=", "==": "!=", "!=": "=="}.get(op, op)


def _short(text: str, limit: int = 44) -> str:
    """Cut a label to about ``limit`` columns: a CJK character takes two, a Latin letter one."""
    width = 0
    for i, ch in enumerate(text):
        width += 2 if ord(ch) > 0x2E80 else 1
        if width > limit:
            return text[:i - 1] + "…"
    return text


def _bar_svg(bars: Sequence[tuple[str, Decimal, str, str]], scale: Decimal,
             marks: Iterable[tuple[Decimal, str] | None]) -> str:
    """Horizontal bars (label, length in the scale's units, colour, text), each with an optional
    mark (a limit). Bars longer than the scale are cut and end in a double stroke."""
    height, label_w, width = 26, 300, 900
    span = width - label_w - 230
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height * len(bars) + 10}" role="img">']
    for i, ((label, length, colour, text), mark) in enumerate(zip(bars, marks)):
        y = 5 + i * height
        cut = length > scale
        shown = Decimal(min(length, scale)) / scale * span if scale > 0 else Decimal(0)
        parts.append(f'<text x="0" y="{y + 17}"><title>{esc(label)}</title>{esc(_short(label))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{shown:.1f}" height="16" fill="{colour}"/>')
        if cut:
            x = label_w + shown
            parts.append(f'<path d="M{x - 10:.1f} {y + 2} l6 20 M{x - 5:.1f} {y + 2} l6 20" stroke="#fff" stroke-width="3"/>')
        if mark is not None and scale > 0:
            x = label_w + Decimal(min(mark[0], scale)) / scale * span
            parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 24}" stroke="#1b1f24" stroke-width="2" stroke-dasharray="4 2"/>')
        parts.append(f'<text x="{label_w + span + 10}" y="{y + 17}" class="muted">{esc(text)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
