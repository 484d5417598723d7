"""What every part of the HTML report reads: the canonical result, its language's words, and
labels and numbers as the page shows them (numbers with the standard's display rounding)."""

from __future__ import annotations

import html
from typing import Any, Mapping

from .catalogue import PAGE_WORDS
from .words import show_number


def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


class View:
    """The result being drawn, in one language, with the standard's display rounding."""

    def __init__(self, result: Mapping[str, Any], lang: str, places: int, mode: str) -> None:
        self.r = result
        self.lang = lang
        self.w = PAGE_WORDS[lang]
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

