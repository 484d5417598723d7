"""What each rule on the page rests on, in the report's language: source, clause, quote, status.

Read from the canonical result (a rule's or item's ``source``, ``locator``, ``text``, ``status``,
``note``/``note_en``), so a recorded result and a fresh one say the same. Also the small words
every report shares: statuses, stages, a note in one language, numbers with digit groups.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

import attrs

from .catalogue import BASIS_WORDS, lang_of

#: The one environment variable that sets the default language of every report and listing.
LANG_ENV = "STANDARDS_KERNEL_LANG"

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_NUMBER = re.compile(r"(?<![\w.])(-?)(\d{4,})(?=[.\s%]|$|[^\w])")


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """The language asked for by ``STANDARDS_KERNEL_LANG`` (``en`` or ``zh``); Chinese when unset."""
    value = (os.environ if environ is None else environ).get(LANG_ENV, "").strip().lower()
    return "en" if value.startswith("en") else "zh"


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def written_in(text: str) -> str:
    """The language a note of one text is written in: Chinese when its Chinese characters are
    at least twice as many as its Latin words ("Same as 2012 (教督〔2012〕3号)" is English)."""
    return "zh" if len(_CJK.findall(text)) >= 2 * len(_LATIN_WORD.findall(text)) else "en"


def group_digits(text: str) -> str:
    """Whole-number parts of four or more digits in groups of three: 45584 m² → 45,584 m²."""
    def group(match: re.Match[str]) -> str:
        return match.group(1) + f"{int(match.group(2)):,}"
    return _NUMBER.sub(group, text)


def note_in(entry: Mapping[str, Any], lang: str) -> str:
    """An entry's note in ``lang``, or "" when it has none in that language (a note written in one
    language only is shown only in a report of that language: never a foreign sentence)."""
    note, english = str(entry.get("note") or ""), str(entry.get("note_en") or "")
    if lang_of(lang) == "en":
        return english or (note if note and written_in(note) == "en" else "")
    return note if note and written_in(note) == "zh" else ""


def status_word(status: str, lang: str) -> str:
    return BASIS_WORDS[lang_of(lang)].get("status_" + status, status)


def stage_word(stage: str, lang: str) -> str:
    return BASIS_WORDS[lang_of(lang)].get("stage_" + stage, stage)


@attrs.frozen
class Basis:
    """One rule's basis: the document, where in it, the quoted phrase, the status and a note."""

    source: str  # the document's title ("" when none is cited)
    ref: str  # its number in the report's list of sources: "[1]"
    locator: str
    text: str
    status: str  # the status id (verified, corroborated, reconstructed, assumed, or "")
    note: str

    @property
    def assumed(self) -> bool:
        return self.status == "assumed"


def basis_of(result: Mapping[str, Any], entry: Mapping[str, Any] | None, lang: str) -> Basis:
    """The basis of a rule, item, area or parameter entry of ``result``."""
    entry = entry or {}
    sid = str(entry.get("source") or "")
    sources = result.get("sources", {})
    source = sources.get(sid, {}).get("title", sid) if sid else ""
    ref = f"[{sorted(sources).index(sid) + 1}]" if sid in sources else ""
    return Basis(source, ref, str(entry.get("locator") or ""), str(entry.get("text") or ""),
                 str(entry.get("status") or ""), note_in(entry, lang))


def source_refs(result: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """The sources a result cites, numbered as the bases refer to them: (ref, id, source)."""
    sources = result.get("sources", {})
    return [(f"[{n}]", sid, sources[sid]) for n, sid in enumerate(sorted(sources), 1)]


def limit_parameter(result: Mapping[str, Any], indicator: Mapping[str, Any]) -> str | None:
    """The parameter an indicator's check compares with, when its limit is one parameter."""
    limit = str((indicator.get("check") or {}).get("limit", ""))
    return limit if limit in result.get("parameters", {}) else None


def item_entry(result: Mapping[str, Any], iid: str) -> Mapping[str, Any]:
    """What a scored item rests on: its own citation, else its area's (up the area tree)."""
    indicator = result.get("indicators", {}).get(iid, {})
    if indicator.get("status"):
        return indicator
    # An area's citation is not in the result; whether it is assumed is (``assumptions``).
    assumed = set(result.get("assumptions", ()))
    areas = result.get("areas", {})
    area = indicator.get("area")
    seen: set[str] = set()
    while area and area not in seen:
        seen.add(area)
        if f"areas.{area}" in assumed:
            return {"status": "assumed"}
        area = areas.get(area, {}).get("parent")
    return {}


def basis_text(b: Basis, lang: str) -> str:
    """One line: [1] locator “quote” (status), [1] numbering the list of sources — or "no source
    cited"."""
    w = BASIS_WORDS[lang_of(lang)]
    if not b.status:
        return w["no_source"]
    parts = []
    if b.ref or b.source:
        parts.append(b.ref or w["title"].format(title=b.source))
    if b.locator:
        parts.append(b.locator)
    if b.text and b.text not in b.locator:  # a locator that quotes the phrase already says it
        parts.append(w["quote"].format(text=b.text))
    status = w["paren"].format(text=status_word(b.status, lang))
    if not parts:
        return w["assumed_alone"] if b.assumed else status
    return " ".join(parts) + status
