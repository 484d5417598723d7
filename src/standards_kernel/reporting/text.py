"""A readable text report of an evaluation: the grade and why first, then the rules with their
basis, the indicators, the assumptions and the rectification list; one language at a time.

Drawn from the canonical result, like the HTML page, so a recorded evaluation reads the same.
Numbers are shown with the standard's declared display rounding (ratios as percentages, whole
parts in groups of three); machine ids only with ``show_ids``. The report never feeds back into
a decision: it only shows what the evaluation computed.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..audit.decision import Decision, as_decision
from ..kernel.evaluate import Evaluation
from ..kernel.formats import printable
from .basis import Basis, basis_text, source_refs
from .catalogue import TEXT_WORDS, words
from .evidence import evidence_lines, evidence_of
from .sensitivity import sensitivity_lines
from .view import View
from .words import negate, rectification_text


def render_text(item: Evaluation | Decision, lang: str = "zh", *, show_ids: bool = False) -> str:
    """The text report of an evaluation or a decision, grade and reason first."""
    decision = as_decision(item)
    rounding = decision.evaluation.standard.display_rounding
    return render_result_text(decision.document(), lang, rounding.places, rounding.mode, show_ids=show_ids,
                              evidence=evidence_of(decision))


def render_result_text(result: Mapping[str, Any], lang: str = "zh", places: int = 4, mode: str = "ROUND_HALF_UP",
                       *, show_ids: bool = False, evidence: Sequence[Mapping[str, str]] = ()) -> str:
    """The text report of a canonical result (``Decision.document()`` or a record's result);
    ``evidence``: the submission's canonical evidence entries (a record's ``submission.evidence``)."""
    v = _TextView(result, lang, places, mode, show_ids)
    lines = v.head() + [""] + v.rules() + [""] + v.indicators() + v.assumptions()
    section = sensitivity_lines(v)
    lines += ([""] + section if section else [])
    section = evidence_lines(v, evidence)
    lines += ([""] + section if section else []) + v.sources() + [""]
    lines.extend(rectification_text(result, v.lang, places, mode, group=True, panel=True))
    # Every line may carry submission text (county name, school ids, text values): each is made
    # printable, so that no escape sequence from an input reaches the terminal.
    return "\n".join(printable(line) for line in lines) + "\n"


class _TextView(View):
    def __init__(self, result: Mapping[str, Any], lang: str, places: int, mode: str, show_ids: bool) -> None:
        super().__init__(result, lang, places, mode, show_ids)
        self.t = words(TEXT_WORDS, self.lang)

    def sep(self) -> str:
        return self.w["colon"]

    def head(self) -> list[str]:
        r, t = self.r, self.t
        county = r.get("county", {})
        name = county.get("name", "") + (f" ({county['code']})" if county.get("code") else "")
        std = r.get("standard", {})
        sha = f" sha256 {std.get('sha256', '')[:12]}" if self.show_ids else ""
        lines = [f"{name} — {self.standard_title()}{sha}"]
        when = f"{t['as_of']} {r.get('as_of', '')}"
        if r.get("stage"):
            when += ("，" if self.lang == "zh" else ", ") + f"{t['stage']} {self.stage()}"
        lines += [when, ""]
        headline = f"{t['grade']}{self.sep()}{self.grade_label(r.get('grade'))}"
        if self.scored():  # a standard judged by gates alone has no score to show
            headline += f"   {t['score']}{self.sep()}{self.num(r.get('score'))} / {self.num(r.get('max_score'))}"
        lines.append(headline)
        cutoffs = self.assumed_cutoffs()
        if cutoffs:
            items = ("；" if self.lang == "zh" else "; ").join(f"{label} = {value}" for label, value in cutoffs)
            lines.append("  " + self.b["assumed_mark"] + " " + self.w["assumed_cutoffs"].format(items=items))
        if r.get("grade") != r.get("grade_by_score"):
            reached = self.grade_label(r.get("grade_by_score"))
            for rid in r.get("lowered_by", ()):
                rule = r[self.rule_table(rid)][rid]
                lines.append(f"{t['why_not']} {reached}{self.w['paren'].format(text=t['reaches'])}"
                             f"{'，' if self.lang == 'zh' else ', '}{t['because']}{self.sep()}{self.rule_sentence(rule, rid)}")
        return lines

    def basis_lines(self, bases: list[tuple[str, Basis]], indent: str) -> list[str]:
        lines = []
        for what, b in bases:
            line = f"{indent}{what}{self.sep()}{basis_text(b, self.lang)}"
            if b.note:
                line += f" — {b.note}"
            lines.append(line)
        return lines

    def rules(self) -> list[str]:
        t, lines = self.t, []
        for table, kind in (("vetoes", "veto"), ("gates", "gate")):
            for rid, rule in sorted(self.r.get(table, {}).items()):
                failed = rule.get("triggered", rule.get("failed"))
                state = (t["triggered"] if kind == "veto" else t["failed"]) if failed else (
                    t["not_triggered"] if kind == "veto" else t["passed"])
                state = t["not_assessable"] if rule.get("assessable") is False else state
                lines.append(f"  [{t[kind]} {state}] {self.rule_sentence(rule, rid, effect_always=False)}")
                lines.extend(self.basis_lines(self.rule_bases(rule), "      "))
        return lines

    def indicators(self) -> list[str]:
        t = self.t
        lines = [t["indicators"] + ("：" if self.lang == "zh" else ":")]
        for iid, ind in sorted(self.r.get("indicators", {}).items()):
            unit = ind.get("unit", "")
            bases = self.item_bases(iid)
            mark = f" {self.b['assumed_mark']}" if any(b.assumed for _, b in bases) else ""
            parts = []
            if ind.get("assessable") is False:
                parts.append(t["missing_inputs"].format(inputs=", ".join(ind.get("missing_inputs", ()))))
            elif "units" in ind:
                parts.append(t["units"].format(n=len(ind["units"])))
            else:
                parts.append(f"{t['value']} {self.num(ind.get('value'), unit)}")
                if ind.get("note"):
                    parts.append(t["published"])
            if "limit" in ind and "check" in ind:
                parts.append(f"{t['limit']} {ind['check']['op']} {self.num(ind['limit'], unit)}")
            if ind.get("met") is not None:
                parts.append(f"{t['met']} {t['yes'] if ind['met'] else t['no']}")
            if "points" in ind:
                parts.append(f"{t['points']} {self.num(ind['points'])}/{self.num(ind['max'])}")
            comma = "，" if self.lang == "zh" else ", "
            lines.append(f"  {self.named(ind, iid)}{self.sep()}{comma.join(parts)}{mark}")
            for uid in ind.get("failed_units", ()):
                reading = ind["units"][uid]
                op = negate(ind["check"]["op"]) if "check" in ind else ""
                shown = self.against(reading.get("value"), op, reading.get("limit"), unit)
                lines.append(f"      {t['units_failed']}{self.sep()}{uid} {shown}")
            own = "points" in ind or bases[0][1].status  # a computed check rests on its limit
            lines.extend(self.basis_lines(bases if own else bases[1:], "      "))
        return lines

    def sources(self) -> list[str]:
        """The documents the bases cite, numbered as they refer to them."""
        refs = source_refs(self.r)
        if not refs:
            return []
        lines = ["", self.w["sources"] + ("：" if self.lang == "zh" else ":")]
        for ref, _, s in refs:
            bits = [s.get("title", "")] + [str(s[k]) for k in ("issuer", "number", "date") if s.get(k)]
            lines.append(f"  {ref} " + " · ".join(bits))
        return lines

    def assumptions(self) -> list[str]:
        names = self.r.get("assumptions", ())
        if not names:
            return []
        lines = ["", self.t["assumptions"] + ("：" if self.lang == "zh" else ":")]
        for name in names:
            table, _, key = name.partition(".")
            entry = self.r.get(table, {}).get(key, {})
            line = f"  {self.b['assumed_mark']} {self.named(entry, name)}"
            if table == "parameters" and "value" in entry:
                line += f" = {self.num(entry['value'], entry.get('unit', ''))}"
            note = basis_text_note(entry, self)
            lines.append(line + (f" — {note}" if note else ""))
        return lines


def basis_text_note(entry: Mapping[str, Any], view: View) -> str:
    from .basis import note_in

    return note_in(entry, view.lang)
