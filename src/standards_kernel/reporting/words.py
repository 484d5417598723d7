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
from ..kernel.vocabulary import lever_reasons
from ..kernel.vocabulary import lookup as vocabulary_lookup
from .catalogue import RECTIFICATION_WORDS, lang_of, unit_in, words

#: The rectification list's words (their home is :mod:`.catalogue`; kept here for importers).
WORDS = RECTIFICATION_WORDS

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
                  mode: str = "ROUND_HALF_UP", *, group: bool = False) -> Rectification:
    """The gaps and the next-grade plan of a canonical result, in words; ``group`` writes whole
    numbers in groups of three (45,584 m²), as the reports do."""
    say = _Sayer(result, lang_of(lang), places, mode, group)
    entries = tuple(say.entry(gap) for gap in result.get("gaps", ()))
    head, plan = say.next_grade(result.get("next_grade") or {})
    return Rectification(entries, head, plan)


def text_lines(rect: Rectification, lang: str = "zh", panel: str = "") -> list[str]:
    """The rectification list as plain text lines (for the text report); ``panel``, when given,
    is one line standing for every item the panel scores (see :func:`panel_summary`)."""
    w = words(RECTIFICATION_WORDS, lang)
    lines = [w["title"] + (":" if lang_of(lang) == "en" else "：")]
    shown = [e for e in rect.entries if not (panel and is_panel(e))]
    if not rect.entries:
        lines.append("  " + w["none_left"])
    for number, entry in enumerate(shown, 1):
        lines.append(f"  {number}. {entry.title}")
        lines.extend("     " + "  " * depth + text for depth, text in entry.lines)
    if panel and len(shown) < len(rect.entries):
        lines.append(f"  {len(shown) + 1}. {panel}")
    if rect.next_grade:
        lines.append("")
        lines.append(w["next"] + (":" if lang_of(lang) == "en" else "："))
        lines.extend("  " + line for line in rect.next_grade[:1])
        lines.extend(f"    {i}. {line}" for i, line in enumerate(rect.plan, 1))
        lines.extend("  " + line for line in rect.next_grade[1:])
    return lines


def is_panel(entry: Entry) -> bool:
    """An item only the panel's points close (grouped into one line by the reports)."""
    return entry.kind == "points" and entry.closable == "panel"


def panel_summary(result: Mapping[str, Any], rect: Rectification, lang: str, places: int, mode: str,
                  group: bool = True) -> tuple[str, list[str]]:
    """The items the panel scores, as one heading and one short part per item ("label 18.5/20")."""
    say = _Sayer(result, lang_of(lang), places, mode, group)
    gaps = {g["id"]: g for g in result.get("gaps", ())}
    parts, lost = [], Decimal(0)
    for entry in rect.entries:
        if is_panel(entry) and entry.gap in gaps:
            gap = gaps[entry.gap]
            lost += Decimal(str(gap.get("shortfall", "0")))
            parts.append(f"{say.indicator(gap['indicator'])} {say.number(gap['points'])}/{say.number(gap['max'])}")
    return say.number(lost), parts


def show_number(value: Any, unit: str, places: int, mode: str, how: str = "near", group: bool = False) -> str:
    """A number for display. ``how``: near (the standard's display mode), up and down (bounds
    that must stay true), away (the size of a change). Ratios and rates show as percentages;
    ``group`` writes the whole part in groups of three (45,584)."""
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
        return _grouped(canonical(round_to(number * 100, max(places - 2, 0), rounding)), group) + "%"
    shown = _grouped(canonical(round_to(number, places, rounding)), group)
    return shown + (f" {unit}" if unit and unit not in ("points", "分", "bool") else "")


def _grouped(text: str, group: bool) -> str:
    if not group:
        return text
    sign, rest = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, fraction = rest.partition(".")
    return sign + (f"{int(whole):,}" if whole.isdigit() else whole) + dot + fraction


def negate(op: str) -> str:
    """The relation a failed check shows: a value that fails ``>= limit`` is ``< limit``."""
    return _NEGATED.get(op, op)


_NEGATED = {"<=": ">", "<": ">=", ">=": "<", ">": "<=", "==": "!=", "!=": "=="}


class _Sayer:
    def __init__(self, result: Mapping[str, Any], lang: str, places: int, mode: str, group: bool = False) -> None:
        self.r = result
        self.lang = lang
        self.w = RECTIFICATION_WORDS[lang]
        self.places = places
        self.mode = mode
        self.group = group

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
        own = self.r.get("inputs", {}).get(name)
        if own:  # a standard's own input, named in the result
            return self.label(own, name), "", own.get("unit", "")
        for level in (("county",) if unit is None else ("school", "township")):
            spec = vocabulary_lookup(level, name)
            if spec is not None:
                text = spec.label.en if self.lang == "en" else spec.label.zh
                return (text or name), spec.type, spec.unit
        for iid, ind in self.r.get("indicators", {}).items():  # a standard's own input: its indicator's label
            if ind.get("how") == f"input {name}":
                return self.indicator(iid), "", ""
        return name, "", ""

    def unit_of(self, target: Mapping[str, Any]) -> str:
        unit = target.get("unit")
        return f" ({unit})" if unit and self.lang == "en" else (f"（{unit}）" if unit else "")

    # -- numbers ------------------------------------------------------------------------------

    def number(self, value: Any, unit: str = "", how: str = "near", places: int | None = None) -> str:
        if isinstance(value, bool):
            return ("yes" if value else "no") if self.lang == "en" else ("是" if value else "否")
        return show_number(value, unit_in(unit, self.lang), self.places if places is None else places, self.mode,
                           how, self.group)

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
        given = self.given(t.get("context", ()))
        for number, fix in enumerate(t.get("fixes", ())):
            lines.extend(self.fix(fix, depth + 1, number > 0, given))
        if closable == "no_lever" or t.get("no_lever"):  # no lever closes it: say so, and why
            lines.append((depth + 1, w["no_lever"]))
            lines.extend((depth + 2, why) for why in self.held_reasons(t.get("context", ())))
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

    def fix(self, f: Mapping[str, Any], depth: int, alternative: bool, given: str = "") -> list[tuple[int, str]]:
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
        if given:  # the inputs held fixed, as context: "given 500 pupils, 2 more teachers"
            text = w["given"].format(given=given) + (text if self.lang == "zh" or not text else text[0].lower() + text[1:])
        lines = [(depth, text)]
        for inner in f.get("then", ()):
            lines.extend(self.fix(inner, depth + 1, False))
        if "contributors" in f.get("detail", {}):
            lines.extend(self.contributors(f["detail"], f["name"], depth + 1))
        return lines

    def given(self, items: Any) -> str:
        """The inputs a target holds fixed, as context ("given 500 pupils"): the analysis'
        ``context``, a list of ``{"name", "value", "reason"}`` (``unit`` for a school or
        township, ``measure`` its unit)."""
        shown = []
        for item in items or ():
            if isinstance(item, Mapping) and "name" in item:
                label, kind, measure = self.field(str(item["name"]), item.get("unit"))
                value = self.number(item.get("value", ""), "rate" if kind == "rate" else item.get("measure") or measure,
                                    "near", None if kind == "rate" else 0 if kind == "count" else min(self.places, 2))
                shown.append(f"{label} {value}")
        return ("、" if self.lang == "zh" else ", ").join(shown)

    def held_reasons(self, items: Any) -> list[str]:
        """Why each input held fixed is not a repair (``vocabulary.lever_reasons``, in words)."""
        reasons = lever_reasons()
        lines = []
        for item in items or ():
            if isinstance(item, Mapping) and item.get("reason") in reasons:
                label = self.field(str(item["name"]), item.get("unit"))[0]
                lines.append(reasons[item["reason"]].text(self.lang).format(name=label))
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
            blocked = ("、" if self.lang == "zh" else ", ").join(self.rule(g) for g in plan["blocked"])
            return (w["blocked"].format(target=target, items=blocked),), ()
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


def rectification_text(result: Mapping[str, Any], lang: str, places: int, mode: str, *, group: bool = False,
                       panel: bool = False) -> list[str]:
    """The rectification list as text lines; ``panel`` groups the items the panel scores."""
    rect = rectification(result, lang, places, mode, group=group)
    line = ""
    if panel and sum(1 for e in rect.entries if is_panel(e)) > 1:
        lost, parts = panel_summary(result, rect, lang, places, mode, group)
        w = PANEL_WORDS[lang_of(lang)]
        line = w["head"].format(lost=lost) + ("；".join(parts) if lang_of(lang) == "zh" else "; ".join(parts))
    return text_lines(rect, lang, line)


#: The one line standing for the items the panel scores.
PANEL_WORDS = {
    "zh": {"head": "[失分] 由评估组评分的项目，共失 {lost} 分（数据无法弥补，由评估组评分）："},
    "en": {"head": "[points] items the panel scores, {lost} points lost in all (data cannot close these; the panel scores them): "},
}


__all__: Sequence[str] = ("Entry", "Rectification", "rectification", "rectification_text", "text_lines", "show_number",
                          "negate", "WORDS", "is_panel", "panel_summary")
