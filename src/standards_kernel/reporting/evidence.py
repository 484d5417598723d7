"""The evidence section of a report (佐证资料): the files a submission names in support, by label.

A submission's ``[[evidence]]`` entries (kernel/submission.py) reference files by name and sha256,
each for an input or an indicator. The report lists them under the label of what they support, in
the report's language, with the first 12 hex digits of the hash (the whole hash with ``show_ids``)
and the note. The kernel never opens the files: the section only repeats what the submission says,
so that a reader can match each file to its hash. Nothing is shown when there is no evidence.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..kernel.vocabulary import lookup
from .view import View, esc

WORDS = {
    "zh": {"title": "佐证资料", "school": "学校", "township": "乡镇", "indicator": "指标", "input": "数据"},
    "en": {"title": "Evidence", "school": "school", "township": "township", "indicator": "indicator",
           "input": "input"},
}
LEVEL = {"schools": "school", "townships": "township"}


def evidence_of(item: Any) -> list[dict[str, str]]:
    """The canonical evidence entries of a submission, a decision or an evaluation (empty when none)."""
    submission = getattr(getattr(item, "evaluation", item), "submission", item)
    return [e.canonical() for e in getattr(submission, "evidence", ())]


def target_label(view: View, target: str) -> str:
    """What an entry supports, as the report names it: an indicator's label, an input's label."""
    w = WORDS[view.lang]
    head, _, rest = target.partition(".")
    if head == "data":
        label = _input_label(view, "county", rest)
        return (label or rest) + (f" [{target}]" if view.show_ids and label else "")
    if head in LEVEL:
        for uid in sorted(_unit_ids(view), key=len, reverse=True):
            if rest == uid or rest.startswith(uid + "."):
                field = rest[len(uid) + 1:]
                label = (_input_label(view, LEVEL[head], field) or field) if field else ""
                return f"{w[LEVEL[head]]} {uid}" + (f" · {label}" if label else "")
        return f"{w[LEVEL[head]]} {rest}"
    indicator = view.r.get("indicators", {}).get(target)
    return view.named(indicator, target) if indicator is not None else target


def _input_label(view: View, level: str, name: str) -> str:
    spec = lookup(level, name)
    if spec is None:  # a standard's own input: the result does not carry its label
        return ""
    return (spec.label.en or spec.label.zh) if view.lang == "en" else (spec.label.zh or spec.label.en)


def _unit_ids(view: View) -> set[str]:
    """Unit ids the result knows (its unit readings); a target naming another shows as written."""
    found: set[str] = set()
    for ind in view.r.get("indicators", {}).values():
        found |= set(ind.get("units", {}) or {})
    return found


def evidence_lines(view: View, evidence: Iterable[Mapping[str, str]]) -> list[str]:
    """The section as text lines: a title, then one line per file under its target's label."""
    entries = list(evidence)
    if not entries:
        return []
    w = WORDS[view.lang]
    colon = "：" if view.lang == "zh" else ":"
    lines = [w["title"] + colon]
    for target in sorted({e["for"] for e in entries}):
        lines.append(f"  {target_label(view, target)}")
        for e in (e for e in entries if e["for"] == target):
            digest = e["sha256"] if view.show_ids else e["sha256"][:12]
            note = f" — {e['note']}" if e.get("note") else ""
            lines.append(f"    {e['name']} (sha256 {digest}){note}")
    return lines


def evidence_html(view: View, evidence: Iterable[Mapping[str, str]]) -> str:
    """The section as HTML (empty when there is no evidence)."""
    entries = list(evidence)
    if not entries:
        return ""
    items = []
    for target in sorted({e["for"] for e in entries}):
        files = "".join(
            f'<li>{esc(e["name"])} <code title="{esc(e["sha256"])}">sha256 {esc(e["sha256"][:12])}</code>'
            + (f" — {esc(e['note'])}" if e.get("note") else "") + "</li>"
            for e in entries if e["for"] == target)
        items.append(f"<li>{esc(target_label(view, target))}<ul>{files}</ul></li>")
    return (f'<section id="evidence">\n<h2>{esc(WORDS[view.lang]["title"])}</h2>\n<ul class="assumptions">'
            + "".join(items) + "</ul>\n</section>")
