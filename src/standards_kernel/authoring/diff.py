"""What changed between two standards: two editions of one, or a province's and the national.

Both sides are loaded standards (``extends`` already merged), compared entry by entry: the header,
rounding, sources, parameters (every dated value with its source, locator and status), inputs,
unit sets, indicators (how each is computed, its check, its scoring), areas, gates and vetoes
(effect, grade, group, priority) and grades (order and score thresholds). A reviewer of a new
edition reads what moved, with the old and the new value and where each comes from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..kernel import model as m
from ..kernel.formats import canonical_json
from ..kernel.numbers import canonical, is_number
from ..kernel.result import how

SECTIONS = ("standard", "rounding", "sources", "parameters", "inputs", "units", "indicators", "areas",
            "gates", "vetoes", "grades")


@attrs.frozen
class Change:
    """One entry added, removed or changed; ``fields`` are (field, old, new) texts."""

    section: str
    id: str
    kind: str  # added | removed | changed
    fields: tuple[tuple[str, str, str], ...] = ()
    summary: str = ""  # the entry in one line, for added and removed ones

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"section": self.section, "id": self.id, "kind": self.kind}
        if self.fields:
            data["fields"] = [{"field": f, "old": old, "new": new} for f, old, new in self.fields]
        if self.summary:
            data["summary"] = self.summary
        return data


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return canonical(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _cite(c: m.Citation | None) -> str:
    if c is None:
        return "no citation"
    where = ", ".join(x for x in (c.source, c.locator) if x)
    return f"{c.status}" + (f"; {where}" if where else "")


def _label(label: m.Label) -> str:
    return " / ".join(x for x in (label.zh, label.en) if x)


def _values(p: m.Parameter) -> str:
    parts = []
    for d in p.values:
        since = "" if d.start == dt.date.min else f" from {d.start.isoformat()}"
        parts.append(f"{_text(d.value)}{since} ({_cite(d.citation)})")
    return "; ".join(parts)


def _rounding(r: m.Rounding | None) -> str:
    return "none" if r is None else f"{r.places} places, {r.mode}"


def _scoring(s: m.Scoring | None) -> str:
    if s is None:
        return "none"
    parts = [s.kind, f"max {_text(s.max)}"]
    if s.area:
        parts.append(f"area {s.area}")
    if s.kind == "deduction":
        parts.append(f"{_text(s.deduct)} per {_text(s.per)} ({s.steps})")
    if s.bands:
        parts.append("bands " + ", ".join(f"≥{_text(b.at_least)}→{_text(b.share)}" for b in s.bands))
    if s.levels:
        parts.append("levels " + ", ".join(f"{k}={_text(v)}" for k, v in s.levels))
    if s.when is not None:
        parts.append(f"when {s.when.text}")
    return "; ".join(parts)


def _rule_effect(r: m.Rule) -> str:
    return f"cap at {r.grade}" if r.effect == "cap" else r.effect


FieldGetter = Callable[[Any], str]

FIELDS: dict[str, tuple[tuple[str, FieldGetter], ...]] = {
    "sources": (("title", lambda s: s.title), ("issuer", lambda s: s.issuer), ("number", lambda s: s.number),
                ("date", lambda s: _text(s.date)), ("address", lambda s: s.address), ("note", lambda s: s.note)),
    "parameters": (("value", _values), ("unit", lambda p: p.unit), ("label", lambda p: _label(p.label))),
    "inputs": (("level", lambda i: i.level), ("type", lambda i: i.type), ("unit", lambda i: i.unit),
               ("table", lambda i: i.table), ("choices", lambda i: ", ".join(i.choices)), ("label", lambda i: _label(i.label))),
    "units": (("from", lambda u: u.base), ("segment", lambda u: _text(u.segment)),
              ("where", lambda u: u.where.text if u.where else "none"), ("label", lambda u: _label(u.label))),
    "indicators": (("how", how), ("level", lambda i: i.level), ("direction", lambda i: _text(i.direction)),
                   ("check", lambda i: f"{i.check.op} {i.check.limit.text}" if i.check else "none"),
                   ("scoring", lambda i: _scoring(i.scoring)), ("round", lambda i: _rounding(i.round)),
                   ("unit", lambda i: i.unit), ("label", lambda i: _label(i.label)), ("citation", lambda i: _cite(i.citation))),
    "areas": (("max", lambda a: _text(a.max)), ("parent", lambda a: _text(a.parent)), ("label", lambda a: _label(a.label)),
              ("citation", lambda a: _cite(a.citation))),
    "rules": (("indicator", lambda r: r.indicator), ("effect", _rule_effect), ("group", lambda r: r.group),
              ("priority", lambda r: str(r.priority)), ("label", lambda r: _label(r.label)), ("citation", lambda r: _cite(r.citation))),
    "grades": (("min_score", lambda g: g.min_score.text if g.min_score else "none"), ("label", lambda g: _label(g.label))),
}
#: The field that sums up an added or removed entry.
SUMMARY = {"sources": "title", "parameters": "value", "inputs": "type", "units": "from", "indicators": "how",
           "areas": "max", "rules": "effect", "grades": "min_score"}


def _compare(section: str, fields: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    getters = FIELDS[fields]
    changes = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            changes.append(Change(section, key, "removed", summary=_summary(fields, old[key])))
        elif key not in old:
            changes.append(Change(section, key, "added", summary=_summary(fields, new[key])))
        else:
            moved = tuple((name, get(old[key]), get(new[key])) for name, get in getters if get(old[key]) != get(new[key]))
            if moved:
                changes.append(Change(section, key, "changed", moved))
    return changes


def _summary(fields: str, entry: Any) -> str:
    wanted = SUMMARY[fields]
    for name, get in FIELDS[fields]:
        if name == wanted:
            text = get(entry)
            label = getattr(entry, "label", None)
            return text + (f" — {_label(label)}" if isinstance(label, m.Label) and fields != "parameters" else "")
    return ""


def diff_standards(a: m.Standard, b: m.Standard) -> list[Change]:
    """Every difference from ``a`` to ``b``, section by section (see :data:`SECTIONS`)."""
    changes: list[Change] = []
    header = [
        ("id", a.id, b.id), ("edition", a.edition, b.edition), ("jurisdiction", a.jurisdiction, b.jurisdiction),
        ("title", _label(a.title), _label(b.title)), ("effective_from", _text(a.effective_from), _text(b.effective_from)),
        ("effective_until", _text(a.effective_until), _text(b.effective_until)),
        ("extends", _text(a.extends), _text(b.extends)), ("description", a.description, b.description),
        ("max_score", _text(a.max_score), _text(b.max_score)),
    ]
    moved = tuple((f, o, n) for f, o, n in header if o != n)
    if moved:
        changes.append(Change("standard", "header", "changed", moved))
    rounding = tuple((f, o, n) for f, o, n in (
        ("display", _rounding(a.display_rounding), _rounding(b.display_rounding)),
        ("score", _rounding(a.score_rounding), _rounding(b.score_rounding))) if o != n)
    if rounding:
        changes.append(Change("rounding", "rounding", "changed", rounding))
    changes += _compare("sources", "sources", a.sources, b.sources)
    changes += _compare("parameters", "parameters", a.parameters, b.parameters)
    changes += _compare("inputs", "inputs", a.inputs, b.inputs)
    builtin = ("schools", "townships")
    changes += _compare("units", "units", {k: v for k, v in a.units.items() if k not in builtin},
                        {k: v for k, v in b.units.items() if k not in builtin})
    changes += _compare("indicators", "indicators", a.indicators, b.indicators)
    changes += _compare("areas", "areas", a.areas, b.areas)
    for kind, section in (("gate", "gates"), ("veto", "vetoes")):
        changes += _compare(section, "rules", {k: r for k, r in a.rules.items() if r.kind == kind},
                            {k: r for k, r in b.rules.items() if r.kind == kind})
    changes += _compare("grades", "grades", {g.id: g for g in a.grades}, {g.id: g for g in b.grades})
    order_a, order_b = [g.id for g in a.grades], [g.id for g in b.grades]
    if order_a != order_b:
        changes.append(Change("grades", "order", "changed", (("best first", ", ".join(order_a), ", ".join(order_b)),)))
    return changes


def render_text(a: m.Standard, b: m.Standard, changes: list[Change]) -> str:
    lines = [f"--- {a.key}  ({a.file or 'content'}, sha256 {a.sha256[:12]})",
             f"+++ {b.key}  ({b.file or 'content'}, sha256 {b.sha256[:12]})"]
    if not changes:
        lines.append("no differences" + (" (the same content)" if a.sha256 == b.sha256 else ""))
        return "\n".join(lines) + "\n"
    counts = {k: sum(1 for c in changes if c.kind == k) for k in ("added", "removed", "changed")}
    lines.append(", ".join(f"{n} {k}" for k, n in counts.items() if n))
    marks = {"added": "+", "removed": "-", "changed": "~"}
    for section in SECTIONS:
        entries = [c for c in changes if c.section == section]
        if not entries:
            continue
        lines += ["", f"[{section}]"]
        for change in entries:
            head = f"{marks[change.kind]} {change.id}"
            if change.kind != "changed":
                lines.append(f"{head}: {change.summary}")
                continue
            if len(change.fields) == 1 and len(change.fields[0][1]) + len(change.fields[0][2]) < 70:
                field, old, new = change.fields[0]
                lines.append(f"{head}: {field} {old} → {new}")
                continue
            lines.append(head)
            for field, old, new in change.fields:
                lines.append(f"    {field}:")
                lines.append(f"      old: {old}")
                lines.append(f"      new: {new}")
    return "\n".join(lines) + "\n"


def render_json(a: m.Standard, b: m.Standard, changes: list[Change]) -> str:
    data = {
        "from": {"key": a.key, "sha256": a.sha256}, "to": {"key": b.key, "sha256": b.sha256},
        "changes": [c.to_dict() for c in changes],
    }
    return canonical_json(data) + "\n"
