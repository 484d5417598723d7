"""The shared ground of building a standard: constants, errors, expressions, citations, scopes.

:class:`BuilderCore` holds the parsed file and what has been built so far, and answers the
questions every part of the build asks: make an error at a key path, compile an expression with
the registry's functions, check a citation, and say which names a formula at a level may read.
The parts (:mod:`.loader_indicators`, :mod:`.loader_rules`) extend it; :mod:`.loader` drives them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Mapping

from . import model as m
from ..errors import ExpressionError, StandardError
from .expressions import Expression, Function, compile_expression
from .numbers import ROUNDING_MODES, canonical
from .segments import view_names
from .standard_file import Note, RawLabel, RawStandardFile
from .vocabulary import vocabulary

ID = re.compile(r"[a-z][a-z0-9_]*")
STANDARD_ID = re.compile(r"[a-z][a-z0-9_]*\.[a-z0-9][a-z0-9_-]*")
AGGREGATES = ("sum", "min", "max", "count", "mean", "weighted_mean", "cv", "count_met", "share_met", "all_met")
NEEDS_CHECK = ("count_met", "share_met", "all_met")
SCORING_KINDS = ("threshold", "deduction", "bands", "levels", "panel", "zero_if")
BUILTIN_UNITS = {"schools": "school", "townships": "township"}


class BuilderCore:
    """The parsed file, the parts built so far, and the helpers every build step uses."""

    # Built in this order by the loader; later steps read the earlier ones.
    parameters: dict[str, m.Parameter]
    inputs: dict[str, m.InputSpec]
    units: dict[str, m.UnitSet]
    indicators: dict[str, m.Indicator]

    def __init__(
        self,
        raw: RawStandardFile,
        content: dict[str, Any],
        file: str,
        functions: Mapping[str, Function],
    ) -> None:
        self.raw = raw
        self.content = content
        self.file = file
        self.functions = functions
        header = raw.standard
        self.key = f"{header.id}@{header.edition}"

    def error(self, message: str, path: str, hint: str | None = None) -> StandardError:
        return StandardError(message, path=path, hint=hint)

    def expr(self, text: Any, where: str) -> Expression:
        source = canonical(text) if isinstance(text, (Decimal, int)) and not isinstance(text, bool) else text
        if isinstance(source, bool):
            source = "true" if source else "false"
        try:
            return compile_expression(str(source), where=where, functions=self.functions)
        except ExpressionError as error:
            raise error.located(file=None) from None

    def citation(self, source: str | None, status: str | None, locator: str, note: Note, where: str,
                 text: str = "") -> m.Citation | None:
        if source is None and status is None:
            return None
        if status is None:
            raise self.error("a cited value needs a status", f"{where}.status", "one of " + ", ".join(m.STATUSES))
        if status not in m.STATUSES:
            raise self.error(f"unknown status {status!r}", f"{where}.status", "one of " + ", ".join(m.STATUSES))
        if source is None:
            if status != "assumed":
                raise self.error(
                    f"a {status} value needs a source", f"{where}.source", "name an entry of [sources]"
                )
            source = ""
        elif source not in self.raw.sources:
            raise self.error(f"undefined source {source!r}", f"{where}.source", self.did_you_mean(source, self.raw.sources))
        zh, en = notes(note)
        return m.Citation(source=source, status=status, locator=locator, note=zh, text=text,  # type: ignore[arg-type]
                          note_en=en)

    @staticmethod
    def did_you_mean(name: str, known: Mapping[str, Any] | list[str]) -> str:
        import difflib

        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
        if close:
            return "did you mean " + " or ".join(repr(c) for c in close) + "?"
        return "defined: " + (", ".join(sorted(known)) or "none")

    def label(self, raw: Any, fallback: str) -> m.Label:
        return m.Label(raw.zh, raw.en) if raw is not None else m.Label(fallback, fallback)

    def rounding(self, raw: Any, where: str) -> m.Rounding | None:
        if raw is None:
            return None
        if raw.mode not in ROUNDING_MODES:
            raise self.error(f"unknown rounding mode {raw.mode!r}", f"{where}.mode", "one of " + ", ".join(sorted(ROUNDING_MODES)))
        if not 0 <= raw.places <= 12:
            raise self.error("places must be between 0 and 12", f"{where}.places", "e.g. places = 2 for 0.01")
        return m.Rounding(raw.places, raw.mode)

    def origin(self, table: str, name: str) -> str:
        return self.raw.origins.get(f"{table}.{name}", self.key)

    def require_names(self, expr: Expression, allowed: set[str], where: str, what: str) -> None:
        for name in sorted(expr.names):
            if name not in allowed:
                raise self.error(
                    f"undefined name {name!r} in {expr.text!r}", where,
                    f"it is not one of the {what}; " + self.did_you_mean(name, sorted(allowed)),
                )

    def unit_fields(self, unit: m.UnitSet) -> set[str]:
        """The names a formula over ``unit`` may read: the vocabulary of its level, per segment."""
        level = BUILTIN_UNITS[unit.base]
        names = {n for n in vocabulary()[level] if not n.endswith(".*")}
        names |= {n for n, s in self.inputs.items() if s.level == level}
        if unit.segment is None:
            return names
        return view_names(names, unit.segment)

    def scope(self, level: str) -> set[str]:
        """Input names a formula at ``level`` may read (parameters and indicators come on top)."""
        if level == "county":
            return {n for n in vocabulary()["county"] if not n.endswith(".*")} | {
                n for n, s in self.inputs.items() if s.level == "county"
            }
        return self.unit_fields(self.units[level])

    def is_input(self, name: str, level: str) -> bool:
        if name in self.scope(level):
            return True
        if level == "county" and "." in name:
            return name.rsplit(".", 1)[0] + ".*" in vocabulary()["county"]
        return False


def notes(note: Note) -> tuple[str, str]:
    """A note as (note, English note): one text stays as written; a note in both languages gives
    its Chinese (or, without one, its English) and, when both are given, the English."""
    if isinstance(note, RawLabel):
        return (note.zh or note.en), (note.en if note.zh else "")
    return note, ""
