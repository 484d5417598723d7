"""One self-contained HTML report of an evaluation: the grade and why first, then the evidence,
each rule beside the law it rests on, and a block to sign.

The page is built from the canonical result, so a fresh evaluation and a recorded one (``report
DECISION_ID``) render alike. Everything is inline: the CSS (package data ``data/report/report.css``)
and the charts (SVG, drawn by :mod:`.charts`); no scripts, no fonts or images from the network.
One language at a time (Chinese by default), machine ids only when asked for. In print (A4) every
page carries a running header (county, standard, decision id) and its number (CSS paged media).
Numbers are rounded for display only, with the standard's declared display rounding.
"""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from typing import Any, Mapping, Sequence

from ..audit.decision import Decision, as_decision
from ..kernel.evaluate import Evaluation
from .basis import Basis, note_in, source_refs
from .catalogue import PAGE_WORDS, RECTIFICATION_WORDS, lang_of
from .charts import Charts
from .evidence import evidence_html, evidence_of
from .sensitivity import sensitivity_lines
from .view import View, esc
from .words import is_panel, panel_summary, rectification

#: The page's words (their home is :mod:`.catalogue`; ``report`` reads ``replayed`` from here).
WORDS = PAGE_WORDS


@functools.cache
def stylesheet() -> str:
    return resources.files("standards_kernel").joinpath("data/report/report.css").read_text("utf-8")


def evaluation_html(evaluation: Evaluation | Decision, *, lang: str = "zh", decision_id: str | None = None,
                    show_ids: bool = False, printed: dt.date | None = None) -> str:
    """The report of an evaluation or a decision; ``decision_id`` when it was recorded
    (``evaluate --record``), else the page says it is not recorded."""
    decision = as_decision(evaluation)
    rounding = decision.evaluation.standard.display_rounding
    return render_html(decision.document(), lang=lang, places=rounding.places, mode=rounding.mode,
                       decision_id=decision_id, show_ids=show_ids, printed=printed, evidence=evidence_of(decision))


def render_html(result: Mapping[str, Any], *, lang: str = "zh", places: int = 4, mode: str = "ROUND_HALF_UP",
                decision_id: str | None = None, note: str = "", show_ids: bool = False,
                printed: dt.date | None = None, evidence: Sequence[Mapping[str, str]] = ()) -> str:
    """The report of a canonical result (``standards_kernel.audit.decision.Decision.document``) as one
    page; ``printed`` is the print date the page shows (today when not given)."""
    lang = lang_of(lang)
    page = _Page(result, lang, places, mode, show_ids)
    day = (printed or dt.date.today()).isoformat()
    body = [
        page.header(decision_id, day),
        page.verdict(),
        page.rules(),
        page.indicators(),
        page.charts(),
        page.rectification(note),
        page.assumptions(),
        sensitivity_html(page),
        evidence_html(page, evidence),
        page.sources(),
        page.signatures(day, f"<footer>{esc(page.w['footer'].format(version=result.get('kernel_version', '')))}</footer>"),
    ]
    title = f"{page.county_name()} — {page.w['title']}"
    return (
        f'<!DOCTYPE html>\n<html lang="{page.w["lang"]}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>\n'
        f"<style>\n{stylesheet()}{page.paged(decision_id)}</style>\n</head>\n<body>\n"
        + "\n".join(b for b in body if b) + "\n</body>\n</html>\n"
    )


def sensitivity_html(page: View) -> str:
    """The sensitivity section (only when the result has one): a title and one list per parameter."""
    lines = sensitivity_lines(page)
    if not lines:
        return ""
    items: list[str] = []
    current: list[str] = []
    for line in lines[1:]:
        if line.startswith("    "):
            current.append(f"<li>{esc(line.strip())}</li>")
            continue
        if current:
            items[-1] += '<ul>' + "".join(current) + "</ul>"
            current = []
        items.append(esc(line.strip()))
    if current:
        items[-1] += '<ul>' + "".join(current) + "</ul>"
    return (f'<section id="sensitivity">\n<h2>{esc(lines[0])}</h2>\n<ul class="assumptions">'
            + "".join(f"<li>{i}</li>" for i in items) + "</ul>\n</section>")


#: The margin boxes' type: they do not inherit the body's fonts.
_BOX = ('font: 8pt "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
        '"DejaVu Sans", sans-serif; color: #57606a;')


def css_string(text: str) -> str:
    """``text`` as a CSS string: quotes, backslashes, line breaks and ``<`` escaped (``</style>``
    can never close the sheet early)."""
    out = []
    for ch in text:
        if ch in '"\\<>' or ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class _Page(View):
    """The page's sections, top to bottom (the charts are :class:`.charts.Charts`')."""

    # -- print --------------------------------------------------------------------------------

    def paged(self, decision_id: str | None) -> str:
        """The page boxes of print: a running header (county, standard, decision id) and the
        page number, in the margins of every A4 page."""
        running = self.w["running"].format(county=self.county_name(), standard=self.standard_title(),
                                           decision=decision_id or self.w["unrecorded"])
        before, rest = self.w["page"].split("{page}")
        middle, after = rest.split("{pages}")
        number = f"{css_string(before)} counter(page) {css_string(middle)} counter(pages) {css_string(after)}"
        return ("@page {\n"
                f"  @top-left {{ content: {css_string(running)}; {_BOX} }}\n"
                f"  @bottom-right {{ content: {number}; {_BOX} }}\n"
                "}\n")

    # -- sections -----------------------------------------------------------------------------

    def header(self, decision_id: str | None, day: str) -> str:
        w, r = self.w, self.r
        std = r.get("standard", {})
        county = r.get("county", {})
        rows = [  # (term, definition as HTML)
            (w["county"], esc(county.get("name", "") + (f"（{county['code']}）" if county.get("code") else ""))),
            # the standard's key identifies the document, like the hashes below: always shown here
            (w["standard"], esc(f"{self.label({'label': std.get('title', {})})} · {std.get('id')}@{std.get('edition')}")),
            (w["sha"], f'<code id="standard-sha256">{esc(std.get("sha256", ""))}</code>'),
        ]
        if decision_id:
            rows.append((w["decision"], f'<code id="decision-id">{esc(decision_id)}</code>'))
        else:
            rows.append((w["decision"], f'<span class="na" id="decision-id">{esc(w["unrecorded"])}</span>'))
        rows.append((w["as_of"], esc(r.get("as_of", ""))))
        if r.get("stage"):
            rows.append((w["stage"], esc(self.stage())))
        rows.append((w["input"], f'<code>{esc(r.get("input_sha256", ""))}</code>'))
        rows.append((w["printed"], f'<span id="printed">{esc(day)}</span>'))
        meta = "".join(f"<dt>{esc(term)}</dt><dd>{definition}</dd>" for term, definition in rows)
        return (f'<header>\n<h1>{esc(self.county_name())} · {esc(w["title"])}</h1>\n'
                f'<dl class="meta">{meta}</dl>\n</header>')

    def verdict(self) -> str:
        w, r = self.w, self.r
        lowered = r.get("grade") != r.get("grade_by_score")
        grade_id = f'<span class="grade-id">{esc(r.get("grade", ""))}</span>' if self.show_ids else ""
        label = self.label(next((g for g in r.get("grades", ()) if g["id"] == r.get("grade")), None), r.get("grade", ""))
        parts = [f'<section class="verdict{" lowered" if lowered else ""}" id="verdict">',
                 f'<p class="grade" id="grade">{esc(label)}{grade_id}</p>']
        if self.scored():
            parts.append(f'<p class="score">{esc(w["score"])}{esc(w["colon"])}<strong id="score">{esc(self.num(r.get("score")))}</strong>'
                         f' / {esc(self.num(r.get("max_score")))}</p>')
        cutoffs = self.assumed_cutoffs()
        if cutoffs:
            items = ("；" if self.lang == "zh" else "; ").join(f"{label} = {value}" for label, value in cutoffs)
            parts.append(f'<p class="assumed-line">{self.mark()}{esc(w["assumed_cutoffs"].format(items=items))}</p>')
        if lowered:
            why = w["why" if self.scored() else "why_gates"].format(grade=self.grade_label(r.get("grade_by_score")))
            parts.append(f'<p>{esc(why)}</p><ul class="reasons">')
            for rid in r.get("lowered_by", ()):
                rule = r[self.rule_table(rid)][rid]
                parts.append(f"<li>{esc(self.rule_sentence(rule, rid))}{self.bases_html(self.rule_bases(rule)[:1])}</li>")
            parts.append("</ul>")
        parts.append("</section>")
        return "\n".join(parts)

    def mark(self) -> str:
        return f'<span class="assumed">{esc(self.b["assumed_mark"])}</span> '

    def basis_html(self, what: str, b: Basis) -> str:
        """One basis line: the document, the clause, the quoted phrase, the status, the note."""
        if not b.status:
            return f'<div class="basis"><span class="what">{esc(what)}</span> <span class="na">{esc(self.b["no_source"])}</span></div>'
        bits = []
        if b.ref or b.source:  # the number in the list of sources, the title as its tooltip
            bits.append(f'<cite title="{esc(b.source)}">{esc(b.ref or self.b["title"].format(title=b.source))}</cite>')
        if b.text and b.text in b.locator:  # the locator quotes the phrase: mark it there
            before, _, after = b.locator.partition(b.text)
            bits.append(f'<span class="clause">{esc(before)}<span class="law">{esc(b.text)}</span>{esc(after)}</span>')
        else:
            if b.locator:
                bits.append(f'<span class="clause">{esc(b.locator)}</span>')
            if b.text:
                bits.append(f'<q class="law">{esc(b.text)}</q>')
        status = self.b["status_" + b.status] if ("status_" + b.status) in self.b else b.status
        if not bits and b.assumed:
            status = self.b["assumed_alone"]
        bits.append(f'<span class="status {esc(b.status)}">{esc(status)}</span>')
        note = f'<div class="note">{esc(b.note)}</div>' if b.note else ""
        return f'<div class="basis"><span class="what">{esc(what)}</span> {" ".join(bits)}{note}</div>'

    def bases_html(self, bases: list[tuple[str, Basis]]) -> str:
        return "".join(self.basis_html(what, b) for what, b in bases)

    def rules(self) -> str:
        w, r = self.w, self.r
        rows = []
        for table, kind in (("vetoes", "veto"), ("gates", "gate")):
            for rid, rule in sorted(r.get(table, {}).items()):
                failed = rule.get("triggered", rule.get("failed"))
                state = (w["triggered"] if kind == "veto" else w["failed"]) if failed else (
                    w["not_triggered"] if kind == "veto" else w["passed"])
                state = w["not_assessable"] if rule.get("assessable") is False else state
                ind = r.get("indicators", {}).get(rule.get("indicator"), {})
                unit = ind.get("unit", "")
                op = ind.get("check", {}).get("op", "")
                value = self.num(rule["value"], unit) if "value" in rule else ""
                limit = f"{op} {self.num(rule['limit'], unit)}" if "limit" in rule else ""
                effect = {"cap": w["cap"].format(grade=self.grade_label(rule.get("grade"))), "deny": w["deny"],
                          "none": w["none"]}.get(rule.get("effect"), "")
                if rule.get("held_at"):  # not assessable: the grade it holds instead
                    effect = w["held"].format(grade=self.grade_label(rule["held_at"]))
                if rule.get("assessable") is False:
                    value = w["missing_inputs"].format(inputs=", ".join(rule.get("missing_inputs", ())))
                units = f'<div class="units">{esc(w["failed_units"].format(units=", ".join(rule["failed_units"])))}</div>' if rule.get("failed_units") else ""
                ident = f'<div class="units"><code>{esc(rid)}</code></div>' if self.show_ids else ""
                bases = self.rule_bases(rule)
                mark = self.mark() if any(b.assumed for _, b in bases) else ""
                rows.append(
                    f'<tr><td>{esc(w[kind])}</td><td>{mark}{esc(self.label(rule, rid))}{ident}{units}{self.bases_html(bases)}</td>'
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
            bases = self.item_bases(iid)
            if "points" not in ind and not bases[0][1].status:
                bases = bases[1:]  # a computed check rests on its limit
            mark = self.mark() if any(b.assumed for _, b in bases) else ""
            ident = f'<div class="units"><code>{esc(iid)}</code></div>' if self.show_ids else ""
            label = f'{mark}{esc(self.label(ind, iid))}{ident}'
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
                    limits = {repr(u.get("limit")): u.get("limit") for u in ind["units"].values() if "limit" in u}
                    if len(limits) == 1 and "check" in ind:
                        limit = f"{ind['check']['op']} {self.num(next(iter(limits.values())), unit)}"
            elif ind.get("assessable") is False:
                value = w["missing_inputs"].format(inputs=", ".join(ind.get("missing_inputs", ())))
            else:
                value = self.num(ind.get("value"), unit)
                if ind.get("note"):
                    label += f'<div class="units">{esc(w["published"])}</div>'
            label += self.bases_html(bases)
            rows.append(f'<tr><td>{label}</td><td class="num">{esc(value)}</td><td class="num">{esc(limit)}</td>'
                        f'{met_cell}<td class="num">{esc(points)}</td></tr>')
        head = "".join(f"<th>{esc(w[k])}</th>" for k in ("indicator", "value", "limit", "met", "points"))
        return (f'<section id="indicators">\n<h2>{esc(w["indicators"])}</h2>\n<table><thead><tr>{head}</tr></thead><tbody>\n'
                + "\n".join(rows) + "\n</tbody></table>\n</section>")

    def charts(self) -> str:
        return Charts(self.r, self.lang, self.places, self.mode, self.show_ids).section()

    # -- rectification, assumptions, sources, signatures --------------------------------------

    def rectification(self, note: str) -> str:
        w = self.w
        rect = rectification(self.r, self.lang, self.places, self.mode, group=True)
        panel = [e for e in rect.entries if is_panel(e)]
        grouped = len(panel) > 1  # one line for the panel's items, not a row each saying the same
        parts = [f'<section id="rectification">\n<h2>{esc(w["rectification"])}</h2>']
        if note:
            parts.append(f'<p class="na">{esc(note)}</p>')
        if not rect.entries:
            parts.append(f'<p>{esc(RECTIFICATION_WORDS[self.lang]["none_left"])}</p>')
        else:
            parts.append('<ol class="fix-list">')
            lowering = {g["id"] for g in self.r.get("gaps", ()) if g.get("lowers_grade")}
            for entry in rect.entries:
                if grouped and is_panel(entry):
                    continue
                classes = f"{entry.kind}{' lowers' if entry.gap in lowering else ''}"
                badge = f'<span class="badge {esc(entry.closable)}">{esc(w.get("closable_" + entry.closable, entry.closable))}</span>'
                lines = "".join(f'<div class="fix-line depth-{min(depth, 5)}">{esc(text)}</div>' for depth, text in entry.lines)
                parts.append(f'<li class="{classes}" id="gap-{esc(entry.gap)}"><div class="fix-title">{esc(entry.title)}{badge}</div>{lines}</li>')
            if grouped:
                lost, items = panel_summary(self.r, rect, self.lang, self.places, self.mode)
                badge = f'<span class="badge panel">{esc(w["closable_panel"])}</span>'
                cells = "".join(f"<li>{esc(item)}</li>" for item in items)
                parts.append(f'<li class="points" id="gap-panel"><div class="fix-title">{esc(w["panel_items"])}{badge}</div>'
                             f'<div class="fix-line">{esc(w["panel_lost"].format(lost=lost))}</div><ul class="panel-items">{cells}</ul></li>')
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
            ident = f" <code>{esc(name)}</code>" if self.show_ids else ""
            text = f"{self.mark()}{esc(self.label(entry, key))}{ident}"
            if table == "parameters" and "value" in entry:
                text += f" = <strong>{esc(self.num(entry['value'], entry.get('unit', '')))}</strong>"
            note = note_in(entry, self.lang)
            if note:
                text += f'<div class="units">{esc(note)}</div>'
            items.append(f"<li>{text}</li>")
        return f'<section id="assumptions">\n<h2>{esc(w["assumptions"])}</h2>\n<ul class="assumptions">' + "".join(items) + "</ul>\n</section>"

    def sources(self) -> str:
        sources = self.r.get("sources", {})
        if not sources:
            return ""
        items = []
        for ref, sid, s in source_refs(self.r):
            bits = [f"{esc(ref)} <cite>{esc(s.get('title', sid))}</cite>"] + [esc(s[k]) for k in ("issuer", "number", "date") if s.get(k)]
            address = f'<div class="units source-address">{esc(s["address"])}</div>' if s.get("address") else ""
            ident = f"<code>{esc(sid)}</code> " if self.show_ids else ""
            items.append(f'<li class="source">{ident}{" · ".join(bits)}{address}</li>')
        return f'<section id="sources">\n<h2>{esc(self.w["sources"])}</h2>\n<ul class="sources">' + "".join(items) + "</ul>\n</section>"

    def signatures(self, day: str, footer: str) -> str:
        """The block the panel and the reviewer sign, kept on one page with the page's footer."""
        w = self.w
        boxes = "".join(
            f'<div class="sign"><div class="sign-role">{esc(w[role])}</div><div class="sign-line"></div>'
            f'<div class="sign-date">{esc(w["sign_date"])}{esc(w["colon"])}</div></div>'
            for role in ("sign_panel", "sign_reviewer"))
        return (f'<section id="signatures">\n<h2>{esc(w["signatures"])}</h2>\n<div class="signs">{boxes}</div>\n'
                f'<p class="na">{esc(w["printed"])}{esc(w["colon"])}{esc(day)}</p>\n{footer}\n</section>')


__all__ = ["WORDS", "css_string", "evaluation_html", "render_html", "stylesheet"]
