"""Records in words, one language at a time: the differences of two records (``diff``), a replay's
outcome (``replay``), ledger listings (``ledger list``), a standard's summary (``check``) and the
words of case runs (``test``).

Values are shown as the reports show them: a path that names a known field (an indicator's value,
a rule's limit, the score) is labelled and its numbers are formatted with the standard's display
rounding and the indicator's unit (16.21%, 45,584 m²), grades by their labels; raw 28-digit
decimals and machine ids appear only with ``show_ids``. The command line wires these in (the
commands' ``--lang``, defaulting to :func:`.basis.default_lang`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Sequence

from ..audit.ledger import Entry as LedgerEntry
from ..audit.decision import FORMAT, FULL_TRACE_FORMATS, SUMS_OF_FORMAT
from ..audit.replay import ABSENT, SECTIONS, Difference, RecordDiff, ReplayOutcome, split_path
from ..kernel import model as m
from ..kernel.formats import canonical_json
from ..kernel.vocabulary import lookup
from .basis import stage_word, status_word
from .catalogue import LISTING_WORDS, lang_of
from .view import View
from .words import show_number


class _Values(View):
    """Paths and values of one result, said in one language."""

    def field_unit(self, parts: list[str]) -> str:
        """The unit a value at ``parts`` is measured in ("" for points and plain numbers)."""
        head = parts[0]
        if head == "indicators" and len(parts) >= 3:
            return str(self.r.get("indicators", {}).get(parts[1], {}).get("unit", ""))
        if head in ("vetoes", "gates") and len(parts) >= 3:
            ind = self.r.get(head, {}).get(parts[1], {}).get("indicator", "")
            return str(self.r.get("indicators", {}).get(ind, {}).get("unit", ""))
        if head == "parameters" and len(parts) >= 3:
            return str(self.r.get("parameters", {}).get(parts[1], {}).get("unit", ""))
        if head == "data" and len(parts) == 2:
            spec = lookup("county", parts[1])
            return spec.unit if spec is not None and spec.type != "rate" else ""
        return ""

    def path(self, path: str) -> str:
        """A path in words: ``indicators.d_class_ratio.value`` → "D级危房…比例 · 值"."""
        parts = split_path(path)
        if self.show_ids or not parts:
            return path
        head, words = parts[0], []
        if head in ("indicators", "vetoes", "gates", "areas", "parameters") and len(parts) >= 2:
            words.append(self.label(self.r.get(head, {}).get(parts[1]), parts[1]))
            rest = parts[2:]
        elif head == "data" and len(parts) == 2 and parts[1] in self.r.get("inputs", {}):  # the standard's own
            return self.label(self.r["inputs"][parts[1]], parts[1])
        elif head == "data" and len(parts) == 2:  # a county input: its label in the data dictionary
            spec = lookup("county", parts[1])
            return spec.label.text(self.lang) if spec is not None and spec.label.zh else parts[1]
        else:
            rest = parts
        for part in rest:
            words.append(self.field_word(part))
        return " · ".join(w for w in words if w)

    def field_word(self, part: str) -> str:
        key = {"grade_by_score": "grade_by_score", "max_score": "max", "triggered": "state", "failed": "state"}.get(part, part)
        return self.l.get("field_" + key) or self.w.get(key) or part

    def value(self, path: str, value: Any) -> str:
        if value is ABSENT:
            return self.l["absent"]
        parts = split_path(path)
        if self.show_ids:
            return canonical_json(value)
        last = parts[-1] if parts else ""
        if last in ("grade", "grade_by_score", "to", "grade_after") and isinstance(value, str):
            return self.grade_label(value)
        if last == "stage" and isinstance(value, str):
            return stage_word(value, self.lang)
        if last == "status" and isinstance(value, str):
            return status_word(value, self.lang)
        if last == "lowered_by" and isinstance(value, list):  # rules by their labels
            named = [self.label(self.r.get("vetoes", {}).get(rid) or self.r.get("gates", {}).get(rid), str(rid))
                     for rid in value]
            return ("、" if self.lang == "zh" else ", ").join(named) or self.l["none"]
        if isinstance(value, bool):
            return self.w["yes"] if value else self.w["no"]
        if isinstance(value, str) and _is_decimal(value):
            unit = "" if last in ("points", "max", "score", "max_score") else self.field_unit(parts)
            return self.num(value, unit)
        if isinstance(value, Mapping) and "zh" in value and set(value) <= {"zh", "en"}:
            return str(value.get("en") or value.get("zh")) if self.lang == "en" else str(value.get("zh") or value.get("en"))
        text = canonical_json(value)
        return text if len(text) <= 120 else text[:117] + "..."

    @property
    def l(self) -> Mapping[str, str]:  # noqa: E743 - the listing words
        return LISTING_WORDS[self.lang]


def _is_decimal(text: str) -> bool:
    try:
        return Decimal(text).is_finite() and not text.strip().startswith(("+", " "))
    except InvalidOperation:
        return False


def difference_line(d: Difference, result: Mapping[str, Any], lang: str = "zh", *, places: int = 4,
                    mode: str = "ROUND_HALF_UP", show_ids: bool = False) -> str:
    """One difference: its path in words, the value before → after, formatted as the report does."""
    v = _Values(result, lang_of(lang), places, mode, show_ids)
    before, after = v.value(d.path, d.before), v.value(d.path, d.after)
    if before == after and isinstance(d.before, str) and isinstance(d.after, str):
        # Alike once rounded for reading (e.g. a coefficient's 28th digit): every digit is shown.
        before, after = d.before, d.after
    return f"{v.path(d.path)}{v.w['colon']}{before} → {after}"


def render_diff(diff: RecordDiff, lang: str = "zh", *, show_all: bool = False, show_ids: bool = False,
                places: int = 4, mode: str = "ROUND_HALF_UP") -> list[str]:
    """``diff A B`` in words: both records in one line each, then each section's differences."""
    lang = lang_of(lang)
    w = LISTING_WORDS[lang]
    lines = [f"A {summary(diff.a.decision_id, diff.a.body, lang)}", f"B {summary(diff.b.decision_id, diff.b.body, lang)}"]
    if diff.same:
        return lines + [w["same"]]
    result = diff.b.result  # labels and units from the later record: a new field is labelled too
    for section in SECTIONS:
        diffs = diff.sections[section]
        if section == "other" and not show_all:
            if diffs:
                lines.append(w["other"].format(n=len(diffs)))
            continue
        if diffs:
            name = w["section_other"] if section == "other" else w.get(section, section)
            lines.append(f"{name} ({len(diffs)}):" if lang == "en" else f"{name}（{len(diffs)}）：")
            lines.extend("  " + difference_line(d, result, lang, places=places, mode=mode, show_ids=show_ids)
                         for d in diffs)
    return lines


def render_replay(outcome: ReplayOutcome, result: Mapping[str, Any], lang: str = "zh", *, show_ids: bool = False,
                  places: int = 4, mode: str = "ROUND_HALF_UP") -> list[str]:
    """``replay`` in words: identical, or each differing field (recorded → replayed)."""
    lang = lang_of(lang)
    w = LISTING_WORDS[lang]
    versions = (w["kernel"].format(version=outcome.recorded_kernel) if outcome.recorded_kernel == outcome.replayed_kernel
                else w["kernels"].format(a=outcome.recorded_kernel, b=outcome.replayed_kernel))
    about = ["  " + w["from_record"].format(key=outcome.standard_key, sha=outcome.standard_sha256[:12])
             + ("；" if lang == "zh" else "; ") + versions]
    if outcome.not_compared:  # a record of an earlier result format: say what was left out, and why
        sections = ("、" if lang == "zh" else ", ").join(w.get("skipped_" + s, s) for s in outcome.not_compared)
        about.append("  " + w["earlier_format"].format(format=outcome.recorded_format, sections=sections))
    elif outcome.recorded_format in FULL_TRACE_FORMATS:  # an earlier format compared in full (its full trace)
        about.append("  " + w["earlier_format_full"].format(format=outcome.recorded_format))
    elif outcome.recorded_format != FORMAT:  # compared in full, with nothing else to say but its sums
        about.append("  " + w["earlier_format_plain"].format(format=outcome.recorded_format))
    if SUMS_OF_FORMAT.get(outcome.recorded_format) == "ordered":
        about.append("  " + w["earlier_sums"].format(current=FORMAT))
    # One line each: the CLI writes a line break inside a line as an escape, never as a break.
    if outcome.identical:
        return [w["identical"].format(id=outcome.decision_id), *about]
    if outcome.error:
        lines = [w["failed"].format(id=outcome.decision_id, error=outcome.error)]
    else:
        lines = [w["different"].format(id=outcome.decision_id, n=len(outcome.differences))]
        lines.extend("  " + difference_line(d, result, lang, places=places, mode=mode, show_ids=show_ids)
                     for d in outcome.differences)
    return lines + about

def ledger_line(e: LedgerEntry, lang: str = "zh", grades: Mapping[str, Any] | None = None, *,
                show_ids: bool = False) -> str:
    """One ledger row: sequence, decision id, date, county, standard, stage, grade, score, when recorded.
    ``grades`` maps grade ids to their ``{"zh", "en"}`` labels (a recorded result's ``grades``)."""
    lang = lang_of(lang)
    w = LISTING_WORDS[lang]
    label = (grades or {}).get(e.grade) or {}
    grade = (label.get("en") or label.get("zh") if lang == "en" else label.get("zh") or label.get("en")) or e.grade
    if show_ids and grade != e.grade:
        grade += f" [{e.grade}]"
    stage = stage_word(e.stage, lang) if e.stage else "-"
    score = show_number(e.score, "", 4, "ROUND_HALF_UP", group=True) if e.score else ""
    return (f"{e.seq:>6}  {e.decision_id}  {e.as_of}  {e.county_code} {e.county_name}  {e.standard_id}@{e.edition}  "
            f"{stage}  {grade} {score}  {w['recorded_at'].format(at=e.created_at)}")


def ledger_count(n: int, lang: str = "zh") -> str:
    """The line after a listing: how many records."""
    lang = lang_of(lang)
    return LISTING_WORDS[lang]["records"].format(n=n) if lang == "zh" or n != 1 else "1 record"


def summary(decision_id: str, body: Mapping[str, Any], lang: str = "zh") -> str:
    """One record in one line: id, county, stage and date, standard, grade (by label) and score."""
    lang = lang_of(lang)
    result = body.get("result", {})
    county = result.get("county") or body.get("county") or {}
    grades = {g["id"]: g for g in result.get("grades", ())}
    label = grades.get(result.get("grade"), {}).get("label", {})
    grade = (label.get("en") or label.get("zh") if lang == "en" else label.get("zh") or label.get("en")) or result.get("grade")
    std = body.get("standard", {})
    stage = stage_word(body.get("stage") or "", lang) if body.get("stage") else "-"
    score = show_number(result["score"], "", 4, "ROUND_HALF_UP", group=True) if result.get("score") not in (None, "0") else ""
    return (f"{decision_id}  {county.get('name', '')} ({county.get('code', '')})  {stage} {body.get('as_of', '')}  "
            f"{std.get('id')}@{std.get('edition')}  → {grade} {score}").rstrip()


def render_check(standard: m.Standard, lang: str = "zh", *, show_ids: bool = True) -> list[str]:
    """``check STANDARD`` in words. Ids name what an author edits, so they stay by default; labels
    come first in the chosen language."""
    lang = lang_of(lang)
    w = LISTING_WORDS[lang]

    def named(label: m.Label, ident: str) -> str:
        return label.text(lang) + (f" [{ident}]" if show_ids else "")

    def joined(names: Iterable[str]) -> str:
        items = list(names)
        return ("、" if lang == "zh" else ", ").join(items) or w["none"]

    counts = {status: n for status, n in standard.parameter_statuses().items() if n}
    values: dict[str, int] = {}
    for p in standard.parameters.values():
        for d in p.values:
            values[d.citation.status] = values.get(d.citation.status, 0) + 1
    until = standard.effective_until.isoformat() if standard.effective_until else w["open"]
    rules = sorted(standard.rules.values(), key=lambda r: r.id)
    lines = [w["check_title"].format(key=standard.key, title=standard.title.text(lang)),
             f"  sha256 {standard.sha256}",
             "  " + w["in_force"].format(start=standard.effective_from.isoformat(), end=until)
             + (w["extends"].format(base=standard.extends) if standard.extends else ""),
             "  " + w["n_indicators"].format(n=len(standard.indicators),
                                              scored=sum(1 for i in standard.indicators.values() if i.scoring)),
             "  " + w["max_score"].format(score=show_number(standard.max_score, "", 4, "ROUND_HALF_UP", group=True)),
             "  " + w["n_gates"].format(names=joined(named(r.label, r.id) for r in rules if r.kind == "gate")),
             "  " + w["n_vetoes"].format(names=joined(named(r.label, r.id) for r in rules if r.kind == "veto")),
             "  " + w["grades"].format(names=joined(named(g.label, g.id) for g in standard.grades)),
             "  " + w["statuses"].format(counts=joined(f"{status_word(s, lang)} {n}" for s, n in counts.items())),
             "  " + w["value_statuses"].format(counts=joined(f"{status_word(s, lang)} {values[s]}"
                                                             for s in counts_order(values)))]
    assumed = sorted((p for p in standard.parameters.values() if any(d.citation.status == "assumed" for d in p.values)),
                     key=lambda p: p.id)
    if assumed:
        lines.append("  " + w["assumed"].format(n=len(assumed), names=joined(named(p.label, p.id) for p in assumed)))
    return lines


def counts_order(counts: Mapping[str, int]) -> list[str]:
    """Statuses present in ``counts``, most certain first."""
    return [s for s in m.STATUSES if counts.get(s)]


def case_word(outcome: str, lang: str = "zh") -> str:
    """``pass``, ``fail`` or ``error`` as ``test`` prints it before a case's name."""
    return LISTING_WORDS[lang_of(lang)][outcome]


def case_summary(passed: int, total: int, lang: str = "zh") -> str:
    return LISTING_WORDS[lang_of(lang)]["summary"].format(passed=passed, total=total)


__all__: Sequence[str] = ("case_summary", "case_word", "difference_line", "ledger_count", "ledger_line",
                          "render_check", "render_diff", "render_replay", "summary")
