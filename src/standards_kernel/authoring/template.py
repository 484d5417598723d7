"""What a standard reads from a county's submission, and a template to fill it in.

:func:`inputs_read` walks a loaded standard (indicators, unit-set filters, aggregations, zero_if
conditions) and lists every input it reads, at which level, with the vocabulary's labels, unit and
the statistics table the figure usually comes from (e.g. 基础基522). Segment views are undone:
``teachers`` read by a primary-school view is the school field ``teachers.primary``.

:func:`render_toml` writes a submission template (every input a commented line to fill in);
:func:`render_csv` writes the same list as a table, or (``table=``) the header row of a school or
township spreadsheet that :mod:`standards_kernel.intake.tables` reads back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import attrs

from ..kernel import model as m
from ..kernel.expressions import Expression
from ..kernel.loader import BUILTIN_UNITS
from ..kernel.vocabulary import lookup, vocabulary

LEVEL_ORDER = ("county", "school", "township")
#: Fields of a segment view that the kernel adds itself (not inputs).
VIEW_ONLY = ("segment", "share")


@attrs.frozen
class InputUse:
    """One input a standard reads: its name in a submission, its spec and who reads it."""

    name: str
    level: str  # county | school | township
    spec: m.InputSpec
    read_by: tuple[str, ...]  # indicator ids, or units.<id>.where / aggregate weights
    fallback_only: bool = False  # read only as a published figure when a formula's inputs are absent

    @property
    def label(self) -> m.Label:
        return self.spec.label


def unit_level(standard: m.Standard, unit_set: str) -> str:
    """``school`` or ``township``: the records a unit set is made of."""
    return BUILTIN_UNITS[standard.units[unit_set].base]


def field_names(standard: m.Standard, unit_set: str, view_name: str) -> tuple[str, ...]:
    """The submission fields behind a name read in a unit set's view (none for ``share``)."""
    unit = standard.units[unit_set]
    if unit.segment is None:
        return (view_name,)
    if view_name in VIEW_ONLY:
        return ()
    if view_name == "students":
        return (f"students.{unit.segment}",)
    level = unit_level(standard, unit_set)
    segmented = f"{view_name}.{unit.segment}"
    if _spec(standard, level, segmented) is not None:
        return (segmented,)
    return (view_name,)


def _spec(standard: m.Standard, level: str, name: str) -> m.InputSpec | None:
    return lookup(level, name, standard.inputs)


def _is_input(standard: m.Standard, level: str, name: str) -> bool:
    return name not in standard.parameters and name not in standard.indicators and _spec(standard, level, name) is not None


def inputs_read(standard: m.Standard) -> list[InputUse]:
    """Every input ``standard`` reads, sorted by level (county, school, township) then name."""
    readers: dict[tuple[str, str], set[str]] = {}
    required: set[tuple[str, str]] = set()

    def add(level: str, name: str, reader: str, *, fallback: bool = False) -> None:
        readers.setdefault((level, name), set()).add(reader)
        if not fallback:
            required.add((level, name))

    used_sets = {i.level for i in standard.indicators.values() if i.level != "county"}
    used_sets |= {i.aggregate.over for i in standard.indicators.values() if i.aggregate}
    for uid in sorted(used_sets):
        unit = standard.units[uid]
        level = unit_level(standard, uid)
        if unit.segment is not None:
            add(level, f"students.{unit.segment}", f"units.{uid}")
        if unit.where is not None:
            for name in _names(unit.where):
                for field in field_names(standard, uid, name):
                    add(level, field, f"units.{uid}.where")
    for iid in standard.order:
        ind = standard.indicators[iid]
        if ind.level == "county":
            names = set(_names(ind.formula)) | ({ind.input} if ind.input else set())
            if ind.scoring is not None and ind.scoring.when is not None:
                names |= set(_names(ind.scoring.when)) - {"value"}
            for name in sorted(names):
                if _is_input(standard, "county", name):
                    add("county", name, iid)
            if ind.fallback_input:
                add("county", ind.fallback_input, iid, fallback=True)
            if ind.aggregate is not None:
                agg, level = ind.aggregate, unit_level(standard, ind.aggregate.over)
                for read in (agg.of, agg.weight):
                    if read and read not in standard.indicators:
                        for field in field_names(standard, agg.over, read):
                            add(level, field, iid)
            continue
        level = unit_level(standard, ind.level)
        names = set(_names(ind.formula)) | ({ind.input} if ind.input else set())
        for name in sorted(names):
            if name in standard.parameters or name in standard.indicators:
                continue
            for field in field_names(standard, ind.level, name):
                add(level, field, iid)
        if ind.fallback_input:
            for field in field_names(standard, ind.level, ind.fallback_input):
                add(level, field, iid, fallback=True)
    uses = []
    for (level, name), who in readers.items():
        spec = _spec(standard, level, name)
        if spec is None:  # a view-only or synthetic name; the loader has checked the rest
            continue
        uses.append(InputUse(name, level, spec, tuple(sorted(who)), (level, name) not in required))
    return sorted(uses, key=lambda u: (LEVEL_ORDER.index(u.level), u.name))


def _names(expr: Expression | None) -> Iterable[str]:
    return sorted(expr.names) if expr is not None else ()


# -- rendering --------------------------------------------------------------------------------

TYPE_WORDS = {
    "count": "whole number ≥ 0",
    "amount": "exact decimal ≥ 0",
    "rate": 'fraction 0–1 (or text "92.37%")',
    "decimal": "exact decimal",
    "points": "points ≥ 0",
    "fact": "true/false or a count of events",
    "bool": "true/false",
    "text": "text",
}
SAMPLES = {"count": "0", "amount": "0", "rate": "0", "decimal": "0", "points": "0", "fact": "false", "bool": "false"}


def _sample(use: InputUse, standard: m.Standard) -> str:
    spec = use.spec
    if spec.type == "text":
        choices = spec.choices or _levels_for(standard, use.name)
        return f'"{choices[0]}"' if choices else '""'
    return SAMPLES[spec.type]


def _levels_for(standard: m.Standard, name: str) -> tuple[str, ...]:
    """The levels a ``levels`` scoring accepts for an input (``levels.mechanism``)."""
    for ind in standard.indicators.values():
        if ind.input == name and ind.scoring is not None and ind.scoring.kind == "levels":
            return tuple(level for level, _ in ind.scoring.levels)
    return ()


def describe(use: InputUse, standard: m.Standard) -> str:
    """One line: labels, type, unit, table, who reads it."""
    spec = use.spec
    parts = [f"{spec.label.zh} / {spec.label.en}".strip(" /"), TYPE_WORDS[spec.type]]
    choices = spec.choices or _levels_for(standard, use.name)
    if choices:
        parts.append("one of " + ", ".join(choices))
    if spec.unit:
        parts.append(spec.unit)
    if spec.table:
        parts.append(f"from {spec.table}")
    reader = "read by " + ", ".join(use.read_by)
    if use.fallback_only:
        reader += " (a published figure, used when the formula's inputs are absent)"
    parts.append(reader)
    return "; ".join(parts)


def _key(name: str) -> str:
    return name if all(c.isalnum() or c in "_-" for c in name) else f'"{name}"'


def render_toml(standard: m.Standard) -> str:
    """A submission template: the header filled in, every input a commented line to complete."""
    uses = inputs_read(standard)
    out = [
        f"# Submission template for {standard.key}: {standard.title.zh} / {standard.title.en}",
        "# Every input this standard reads is listed below as a commented line: its labels, type, unit",
        "# and the statistics table it usually comes from. Fill in a value and remove the leading '# '.",
        "# An input marked 'published figure' is needed only when the inputs of its formula are absent.",
        "# School and township tables can also come from a spreadsheet: standards-kernel merge --schools.",
        "",
        "[county]",
        'code = ""        # 县级行政区划代码 (6 digits)',
        'name = ""        # 县名',
        f'province = "{standard.jurisdiction}"',
        "",
        "[evaluation]",
        f'standard = "{standard.id}"',
        f"# as_of = {standard.effective_from.isoformat()}   # the evaluation date (YYYY-MM-DD); the edition in force then applies",
        '# stage = "self"                # self | municipal_review | provincial | national',
        "",
        "[data]",
    ]
    county = [u for u in uses if u.level == "county"]
    if not county:
        out.append("# (no county-level inputs)")
    for use in county:
        out.append(f"# {_key(use.name)} = {_sample(use, standard)}    # {describe(use, standard)}")
    for level, table in (("school", "schools"), ("township", "townships")):
        fields = [u for u in uses if u.level == level]
        if not fields:
            continue
        out += ["", f"# One [[{table}]] table per {level}; every {level} needs an id."]
        out.append(f"[[{table}]]")
        out.append('id = ""')
        if level == "school":
            out.append('# name = ""')
        for use in fields:
            if use.name == "id":
                continue
            out.append(f"# {_key(use.name)} = {_sample(use, standard)}    # {describe(use, standard)}")
    return "\n".join(out) + "\n"


CSV_COLUMNS = ("level", "name", "label_zh", "label_en", "type", "unit", "table", "read_by", "fallback_only")


def render_csv(standard: m.Standard, *, table: str | None = None, lang: str = "en") -> str:
    """Every input as one CSV row; with ``table`` ("schools"/"townships"), the header row of that
    spreadsheet instead (vocabulary names, or zh labels with ``lang="zh"``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    uses = inputs_read(standard)
    if table is None:
        writer.writerow(CSV_COLUMNS)
        for use in uses:
            spec = use.spec
            writer.writerow([use.level, use.name, spec.label.zh, spec.label.en, spec.type, spec.unit, spec.table,
                             " ".join(use.read_by), "yes" if use.fallback_only else ""])
        return buffer.getvalue()
    level = {"schools": "school", "townships": "township"}[table]
    names = ["id", "name"] + [u.name for u in uses if u.level == level and u.name not in ("id", "name")]
    specs = vocabulary()[level]
    if lang == "zh":
        writer.writerow([(specs[n].label.zh if n in specs else _spec(standard, level, n).label.zh or n)  # type: ignore[union-attr]
                         for n in names])
    else:
        writer.writerow(names)
    return buffer.getvalue()
