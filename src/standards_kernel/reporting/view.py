"""What both reports read: the canonical result, its language's words, and labels, numbers and
bases as the reports show them (numbers with the standard's display rounding, whole parts in
groups of three; machine ids only when asked for)."""

from __future__ import annotations

import html
from typing import Any, Mapping

from .basis import Basis, basis_of, item_entry, limit_parameter, stage_word
from .catalogue import BASIS_WORDS, PAGE_WORDS, lang_of, unit_in
from .words import negate, show_number


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


class View:
    """The result being drawn, in one language, with the standard's display rounding."""

    def __init__(self, result: Mapping[str, Any], lang: str, places: int, mode: str, show_ids: bool = False) -> None:
        self.r = result
        self.lang = lang_of(lang)
        self.w = PAGE_WORDS[self.lang]
        self.b = BASIS_WORDS[self.lang]
        self.places = places
        self.mode = mode
        self.show_ids = show_ids

    # -- helpers ------------------------------------------------------------------------------

    def label(self, data: Mapping[str, Any] | None, fallback: str = "") -> str:
        text = (data or {}).get("label", {})
        if self.lang == "en":
            return text.get("en") or text.get("zh") or fallback
        return text.get("zh") or text.get("en") or fallback

    def named(self, data: Mapping[str, Any] | None, ident: str) -> str:
        """A label, with its id after it only when ids are asked for (``--show-ids``)."""
        return self.label(data, ident) + (f" [{ident}]" if self.show_ids and ident else "")

    def num(self, value: Any, unit: str = "") -> str:
        if isinstance(value, bool):  # a reported fact: yes or no, in the report's language
            return self.w["yes"] if value else self.w["no"]
        return show_number(value, unit_in(unit, self.lang), self.places, self.mode, group=True)

    def against(self, value: Any, op: str, limit: Any, unit: str) -> str:
        """``value op limit``; when rounding would show two different numbers as equal (3.0000036%
        against 3%), both are shown in full, so that the line never contradicts itself."""
        if limit is None or not op or isinstance(value, bool):
            return self.num(value, unit)
        left, right = self.num(value, unit), self.num(limit, unit)
        if left == right and str(value) != str(limit):
            left = show_number(value, unit_in(unit, self.lang), 30, self.mode, group=True)
            right = show_number(limit, unit_in(unit, self.lang), 30, self.mode, group=True)
        return f"{left} {op} {right}"

    def grade_label(self, gid: str | None) -> str:
        for g in self.r.get("grades", ()):
            if g["id"] == gid:
                return self.named(g, gid or "")
        return gid or ""

    def county_name(self) -> str:
        county = self.r.get("county", {})
        return county.get("name") or county.get("code") or ""

    def scored(self) -> bool:
        return self.r.get("max_score") not in (None, "0")

    def stage(self) -> str:
        stage = self.r.get("stage") or ""
        return stage_word(stage, self.lang) + (f" [{stage}]" if self.show_ids and stage else "")

    def standard_title(self) -> str:
        std = self.r.get("standard", {})
        title = self.label({"label": std.get("title", {})})
        return title + (f" [{std.get('id')}@{std.get('edition')}]" if self.show_ids else "")

    # -- rules and their bases ----------------------------------------------------------------

    def rule_table(self, rid: str) -> str:
        return "vetoes" if rid in self.r.get("vetoes", {}) else "gates"

    def rule_sentence(self, rule: Mapping[str, Any], rid: str, effect_always: bool = True) -> str:
        """The rule, its value against its limit, and (when it fails, or always) its effect."""
        w = self.w
        ind = self.r.get("indicators", {}).get(rule.get("indicator"), {})
        text = self.named(rule, rid)
        failed = rule.get("triggered", rule.get("failed"))
        if rule.get("assessable") is False:  # neither passed nor failed: the grade it holds, if any
            held = rule.get("held_at")
            shown = w["held"].format(grade=self.grade_label(held)) if held else w["not_assessable"]
            missing = w["missing"].format(inputs=", ".join(rule.get("missing_inputs", ())))
            return f"{text}{w['colon']}{shown}" + w["paren"].format(text=missing)
        if "value" in rule:
            op = ind.get("check", {}).get("op", "")
            shown_op = negate(op) if failed else op
            units = f" ({', '.join(rule['failed_units'])})" if rule.get("failed_units") else ""
            shown = self.against(rule["value"], shown_op if "limit" in rule else "", rule.get("limit"), ind.get("unit", ""))
            text += f"{units}{w['colon']}{shown}"
        if failed or effect_always:
            effect = rule.get("effect")
            if effect == "cap":
                text += " → " + w["cap"].format(grade=self.grade_label(rule.get("grade")))
            elif effect == "deny":
                text += " → " + w["deny"]
            elif failed:
                text += w["paren"].format(text=w["none"])
        return text

    def rule_bases(self, rule: Mapping[str, Any]) -> list[tuple[str, Basis]]:
        """The rule's own basis and, when its limit is a parameter, the limit's."""
        found = [(self.w["basis"], basis_of(self.r, rule, self.lang))]
        ind = self.r.get("indicators", {}).get(rule.get("indicator"), {})
        pid = limit_parameter(self.r, ind)
        if pid is not None:
            found.append((self.w["limit_basis"], basis_of(self.r, self.r["parameters"][pid], self.lang)))
        return found

    def item_bases(self, iid: str) -> list[tuple[str, Basis]]:
        """A scored item's basis (its own, else its area's) and its limit's, when it has one."""
        ind = self.r.get("indicators", {}).get(iid, {})
        found = [(self.w["basis"], basis_of(self.r, item_entry(self.r, iid), self.lang))]
        pid = limit_parameter(self.r, ind)
        if pid is not None:
            found.append((self.w["limit_basis"], basis_of(self.r, self.r["parameters"][pid], self.lang)))
        return found

    def assumed_cutoffs(self) -> list[tuple[str, str]]:
        """Assumed parameters no check compares with (the grade cut-offs): (label, value)."""
        limits = {limit_parameter(self.r, ind) for ind in self.r.get("indicators", {}).values()}
        shown = []
        for name in self.r.get("assumptions", ()):
            table, _, pid = name.partition(".")
            entry = self.r.get("parameters", {}).get(pid, {})
            if table == "parameters" and pid not in limits and "value" in entry:
                shown.append((self.named(entry, pid), self.num(entry["value"], entry.get("unit", ""))))
        return shown
