"""Where a table's header is, and what each column holds, as office spreadsheets lay them out.

County tables come from office software, not from the template: a title row or two sit above the
header (``元江县2009年学校办学条件统计表``), a header cell is merged over two sub-headers
(``在校生数`` over ``小学`` and ``初中``), a row of units sits under the header (``人``, ``册``),
and columns the standard does not read (``序号``, ``备注``) stand beside those it does. This module
finds the header row (the first of the top rows naming the id column, unless the user gives
``--header-row``), joins a two-row header into the labels the vocabulary knows, skips a units row,
and sets aside the columns it does not know, so that the caller can warn about them (or refuse them
when strict). Merged cells arrive as a value in the first cell and blanks after it: a blank upper
header over a named sub-header continues the upper header to its left.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..errors import SubmissionError

#: How many of a table's first non-blank rows may be titles above the header.
SEARCH_ROWS = 10


@attrs.frozen
class Ignored:
    """A column the table has and the standard does not read."""

    letter: str
    header: str  # empty when the column has values but no header
    hint: str

    def describe(self) -> str:
        what = f"{self.letter} ({self.header})" if self.header else f"{self.letter} (no header)"
        return what + (f": {self.hint}" if self.hint else "")


@attrs.frozen
class Layout:
    """The header's place and meaning: columns by index as (vocabulary name, header text)."""

    header_line: int
    first_data: int  # index in the grid of the first data row
    columns: Mapping[int, tuple[str, str]]
    ignored: tuple[Ignored, ...]
    skipped: tuple[int, ...]  # the lines above the header and under it (sub-header, units) not read as data


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _text(value: Any) -> str:
    return "" if blank(value) else str(value).strip()


def _joined(upper: str, lower: str) -> list[str]:
    """The ways a two-row header may spell one label: 在校生数 over 小学 is 在校生数（小学）."""
    if not upper:
        return [lower] if lower else []
    if not lower:
        return [upper]
    return [f"{upper}（{lower}）", f"{upper}{lower}", f"{upper}.{lower}", lower, upper]


def _carried(cells: Sequence[Any], below: Sequence[Any]) -> list[str]:
    """Upper headers with a merged cell's text continued over the blanks to its right that have a
    sub-header beneath them."""
    out: list[str] = []
    last = ""
    for index, cell in enumerate(cells):
        text = _text(cell)
        if text:
            last = text
        elif index < len(below) and _text(below[index]):
            text = last
        else:
            last = ""
        out.append(text)
    return out


def find_layout(grid: Sequence[tuple[int, Sequence[Any]]], known: Mapping[str, str | None],
                normal: Any, *, file: str, header_row: int | None = None) -> Layout:
    """The layout of a grid of (line, cells) rows with blank rows removed. ``known`` maps a
    normalised header to its vocabulary name (None: ambiguous); ``normal`` normalises a header."""
    index = _header_index(grid, known, normal, file=file, header_row=header_row)
    header_line, headers = grid[index]
    skipped = [line for line, _ in grid[:index]]
    single = {i: _text(h) for i, h in enumerate(headers)}
    names = {i: [t] if t else [] for i, t in single.items()}
    first_data = index + 1
    id_index = next((i for i, t in single.items() if t and known.get(normal(t)) == "id"), None)

    below = grid[index + 1][1] if index + 1 < len(grid) else ()
    if below and _not_data(below, id_index):
        width = max(len(headers), len(below))
        padded = list(headers) + [None] * (width - len(headers))
        uppers = _carried(padded, below)
        two_row = {i: _joined(uppers[i], _text(below[i]) if i < len(below) else "") for i in range(width)}
        if _recognised(two_row, known, normal) > _recognised(names, known, normal):
            names, first_data = two_row, index + 2
            skipped.append(grid[index + 1][0])
    if first_data < len(grid) and _units_row(grid[first_data][1], id_index):
        skipped.append(grid[first_data][0])
        first_data += 1

    columns: dict[int, tuple[str, str]] = {}
    ignored: list[Ignored] = []
    seen: dict[str, int] = {}
    data = grid[first_data:]
    for i in sorted(names):
        spellings = names[i]
        letter = column_letter(i)
        if not spellings:
            if any(i < len(cells) and not blank(cells[i]) for _, cells in data):
                ignored.append(Ignored(letter, "", "it has values but no header"))
            continue
        match = next((s for s in spellings if normal(s) in known), None)
        if match is None:
            ignored.append(Ignored(letter, spellings[0], _did_you_mean(spellings[0], known, normal)))
            continue
        name = known[normal(match)]
        if name is None:
            raise SubmissionError(f"column {letter}: the header {match!r} is the label of several fields",
                                  file=file, line=header_line, hint="use the field's name")
        if name in seen:
            raise SubmissionError(f"columns {column_letter(seen[name])} and {letter} are both {name!r}", file=file,
                                  line=header_line)
        seen[name] = i
        columns[i] = (name, match)
    return Layout(header_line, first_data, columns, tuple(ignored), tuple(skipped))


def _header_index(grid: Sequence[tuple[int, Sequence[Any]]], known: Mapping[str, str | None], normal: Any, *,
                  file: str, header_row: int | None) -> int:
    if header_row is not None:
        for index, (line, _) in enumerate(grid):
            if line == header_row:
                return index
        raise SubmissionError(f"row {header_row} is blank or beyond the table", file=file,
                              hint="--header-row names the row (as the spreadsheet numbers it) that holds the headers")
    for index, (_, cells) in enumerate(grid[:SEARCH_ROWS]):
        if any(not blank(c) and known.get(normal(str(c).strip())) == "id" for c in cells):
            return index
    return 0  # no id header in sight: read the first row, whose check then says what is missing


def _not_data(cells: Sequence[Any], id_index: int | None) -> bool:
    """A row under the header that holds no record: no id, and no numbers."""
    if id_index is not None and id_index < len(cells) and not blank(cells[id_index]):
        return False
    return all(blank(c) or isinstance(c, str) for c in cells)


def _units_row(cells: Sequence[Any], id_index: int | None) -> bool:
    """A row of short unit words (人, 册, m², 元, %) under the header, with no id."""
    if not _not_data(cells, id_index):
        return False
    words = [_text(c) for c in cells if not blank(c)]
    return bool(words) and all(len(w) <= 6 and not any(ch.isdigit() for ch in w) for w in words)


def _recognised(names: Mapping[int, list[str]], known: Mapping[str, str | None], normal: Any) -> int:
    return sum(1 for spellings in names.values() if any(normal(s) in known for s in spellings))


def _did_you_mean(text: str, known: Mapping[str, str | None], normal: Any) -> str:
    close = difflib.get_close_matches(normal(text), list(known), n=3, cutoff=0.6)
    names = sorted({name for name in (known[c] for c in close) if name})
    return ("did you mean " + " or ".join(repr(n) for n in names) + "?") if names else ""
