"""One self-contained HTML report of an evaluation: the grade and why first, then the evidence.

The page is built from the canonical result, so a fresh evaluation and a recorded one (``report
DECISION_ID``) render alike. Everything is inline: the CSS (package data ``data/report/report.css``)
and the charts (SVG, drawn by :mod:`.charts`); no scripts, no fonts or images from the network. Chinese by
default, English on request; printable on A4. Numbers are rounded for display only, with the
standard's declared display rounding.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, Mapping

from ..audit.decision import Decision, as_decision
from ..kernel.evaluate import Evaluation
from .catalogue import PAGE_WORDS, RECTIFICATION_WORDS, lang_of
from .charts import Charts
from .view import View, esc
from .words import negate, rectification

#: The page's words (their home is :mod:`.catalogue`; ``report`` reads ``replayed`` from here).
WORDS = PAGE_WORDS


@functools.cache
def stylesheet() -> str:
    return resources.files("standards_kernel").joinpath("data/report/report.css").read_text("utf-8")


def evaluation_html(evaluation: Evaluation | Decision, *, lang: str = "zh", decision_id: str | None = None) -> str:
    """The report of an evaluation or a decision; ``decision_id`` when it was recorded
    (``evaluate --record``), else the page says it is not recorded."""
    decision = as_decision(evaluation)
    rounding = decision.evaluation.standard.display_rounding
    return render_html(decision.document(), lang=lang, places=rounding.places, mode=rounding.mode,
                       decision_id=decision_id)


def render_html(result: Mapping[str, Any], *, lang: str = "zh", places: int = 4, mode: str = "ROUND_HALF_UP",
                decision_id: str | None = None, note: str = "") -> str:
    """The report of a canonical result (``standards_kernel.audit.decision.Decision.document``) as one page."""
    lang = lang_of(lang)
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


class _Page(View):
    """The page's sections, top to bottom (the charts are :class:`.charts.Charts`')."""

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
            shown_op = negate(op) if failed else op
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

    def charts(self) -> str:
        return Charts(self.r, self.lang, self.places, self.mode).section()

    # -- rectification, assumptions, sources --------------------------------------------------

    def rectification(self, note: str) -> str:
        w = self.w
        rect = rectification(self.r, self.lang, self.places, self.mode)
        parts = [f'<section id="rectification">\n<h2>{esc(w["rectification"])}</h2>']
        if note:
            parts.append(f'<p class="na">{esc(note)}</p>')
        if not rect.entries:
            parts.append(f'<p>{esc(RECTIFICATION_WORDS[self.lang]["none_left"])}</p>')
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


