"""Load a standard: parse, merge with the standard it extends, structure, check, hash.

Strict by design: an unknown key, a duplicate or undefined name, a formula outside the whitelist,
a cycle between indicators, a veto capping to an undefined grade, or two vetoes on one subject
with different effects and the same priority all stop the load with an error that names the file,
the key path and (where the text shows it) the line, and says what to do.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping

from . import model as m
from ..errors import KernelError, StandardError
from .expressions import Function
from .files import read_input_text
from .formats import content_json, load_text, sha256_text
from .locate import locate_line
from .loader_core import (  # re-exported: importers know these names from here
    AGGREGATES as AGGREGATES,
    BUILTIN_UNITS as BUILTIN_UNITS,
    ID as ID,
    NEEDS_CHECK as NEEDS_CHECK,
    SCORING_KINDS as SCORING_KINDS,
    STANDARD_ID as STANDARD_ID,
)
from .loader_core import notes
from .loader_indicators import IndicatorBuilder
from .loader_rules import RuleBuilder
from .segments import SEGMENTS
from .standard_file import structure_file
from .units import parameter_value
from .vocabulary import LEVELS, check_levers

#: Tables merged entry by entry when a standard extends another (the child's entry wins).
MERGED_TABLES = ("sources", "parameters", "inputs", "units", "indicators", "areas", "gates", "vetoes")

#: Looks up the canonical content of a standard to extend, by ``id@edition`` (or id).
Resolver = Callable[[str], Mapping[str, Any]]


def load_standard_file(
    path: str | Path,
    *,
    resolver: Resolver | None = None,
    functions: Mapping[str, Function] | None = None,
) -> m.Standard:
    """Load a standard from a TOML (or JSON) file."""
    path = Path(path)
    text = read_input_text(path, what="standard", error=StandardError)  # regular, ≤ 64 MiB, UTF-8
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    raw = load_text(text, fmt=fmt, file=str(path), error=StandardError)
    if "origins" in raw:  # the loader's own mark of merged content: a file setting it would skip `extends`
        raise StandardError("origins is not a key a standard file may set", file=str(path),
                            line=locate_line(text, "origins"), path="origins",
                            hint="the loader records where each entry comes from; delete the [origins] table")
    return build_standard(raw, file=str(path), text=text, resolver=resolver, functions=functions)


def build_standard(
    raw: Mapping[str, Any],
    *,
    file: str = "<standard>",
    text: str = "",
    resolver: Resolver | None = None,
    functions: Mapping[str, Function] | None = None,
) -> m.Standard:
    """Build a standard from parsed data (a file's, or a record's canonical content)."""
    try:
        content = _merge_parent(raw, resolver)
        parsed, problems = structure_file(content)
        if problems:
            path, message = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise StandardError(message + more, path=path or None, hint=_hint_for(message))
        assert parsed is not None
        return _Builder(parsed, content, file, functions or {}).build()
    except KernelError as error:
        line = locate_line(text, error.path or "") if text else None
        raise error.located(file=file, line=line) from None


def _hint_for(message: str) -> str | None:
    if message.startswith("unknown key"):
        return "check the spelling against docs/standard-format.md"
    if message == "required key missing":
        return "add the key; docs/standard-format.md lists what each table needs"
    return None


def _merge_parent(raw: Mapping[str, Any], resolver: Resolver | None) -> dict[str, Any]:
    """The child's content on top of its parent's, with the origin of every entry recorded."""
    content = copy.deepcopy(dict(raw))
    header = content.get("standard")
    if not isinstance(header, Mapping):
        return content
    key = f"{header.get('id')}@{header.get('edition')}"
    parent_key = header.get("extends")
    if content.get("origins"):
        return content  # already merged: canonical content from a record or the registry
    if not parent_key:
        content["origins"] = {
            f"{table}.{name}": key for table in MERGED_TABLES for name in content.get(table, {})
        }
        return content
    if resolver is None:
        raise StandardError(
            f"extends {parent_key!r}, but no registry is available to find it",
            path="standard.extends",
            hint="load it through the registry (standards-kernel evaluate --standard ID) or pass a resolver",
        )
    parent = copy.deepcopy(dict(resolver(str(parent_key))))
    merged: dict[str, Any] = {k: v for k, v in parent.items() if k not in ("standard", "remove")}
    origins = dict(parent.get("origins", {}))
    for table in MERGED_TABLES:
        entries = dict(parent.get(table, {}))
        for name, entry in content.get(table, {}).items():
            entries[name] = entry
            origins[f"{table}.{name}"] = key
        merged[table] = entries
    for item in content.get("remove", []):
        table, _, name = str(item).partition(".")
        if table not in MERGED_TABLES or name not in merged.get(table, {}):
            raise StandardError(
                f"remove names {item!r}, which the parent {parent_key} does not define",
                path="remove",
                hint="write <table>.<id>, e.g. indicators.satisfaction",
            )
        del merged[table][name]
        origins.pop(item, None)
    for key_name in ("rounding", "grades", "format"):
        if key_name in content:
            merged[key_name] = content[key_name]
    if "levers" in content:  # entry by entry, the child's entry winning
        merged["levers"] = {**parent.get("levers", {}), **content["levers"]}
    merged["standard"] = content["standard"]
    merged["origins"] = origins
    return merged


class _Builder(IndicatorBuilder, RuleBuilder):
    """One standard from its structured file: the header, parameters, inputs and unit sets here,
    the indicators and the rules through their parts, then the hash of the content."""

    def build(self) -> m.Standard:
        raw = self.raw
        header = raw.standard
        if raw.format != 1:
            raise self.error(f"unsupported format {raw.format}", "format", "this kernel reads format 1")
        if not STANDARD_ID.fullmatch(header.id):
            raise self.error(
                f"invalid standard id {header.id!r}", "standard.id", "write <jurisdiction>.<name>, e.g. yunnan.county-education"
            )
        if not header.id.startswith(header.jurisdiction + "."):
            raise self.error(
                f"the id {header.id!r} must start with the jurisdiction {header.jurisdiction!r}", "standard.id",
                f"write id = \"{header.jurisdiction}.<name>\", or correct the jurisdiction",
            )
        if header.effective_until and header.effective_until < header.effective_from:
            raise self.error("effective_until is before effective_from", "standard.effective_until",
                             "correct the dates; leave effective_until out while the edition is in force")
        for table in ("parameters", "units", "indicators", "areas", "gates", "vetoes"):
            for name in getattr(raw, table):
                if not ID.fullmatch(name):
                    raise self.error(
                        f"invalid id {name!r}", f"{table}.{name}", "ids are lower-case letters, digits and _, starting with a letter"
                    )
        sources = {
            sid: m.Source(sid, s.title, s.issuer, s.number, s.date, s.address, *notes(s.note))
            for sid, s in sorted(raw.sources.items())
        }
        self.parameters = self.build_parameters()
        self.inputs = self.build_inputs()
        for key, message, hint in check_levers(raw.levers, self.inputs):
            raise self.error(message, f'levers."{key}"', hint or None)
        self.units = self.build_units()
        self.check_name_clashes()
        self.indicators = self.build_indicators()
        order = self.dependency_order()
        areas = self.build_areas()
        self.check_scoring_areas(areas)
        grades = self.build_grades()
        rules = self.build_rules(grades)
        rounding = raw.rounding
        display = self.rounding(rounding.display, "rounding.display") or m.Rounding(4, "ROUND_HALF_UP")
        score = self.rounding(rounding.score, "rounding.score")
        text = content_json(self.content)
        return m.Standard(
            id=header.id,
            edition=header.edition,
            jurisdiction=header.jurisdiction,
            title=m.Label(header.title.zh, header.title.en),
            effective_from=header.effective_from,
            effective_until=header.effective_until,
            description=header.description,
            extends=header.extends,
            display_rounding=display,
            score_rounding=score,
            sources=sources,
            parameters=self.parameters,
            inputs=self.inputs,
            units=self.units,
            indicators=self.indicators,
            order=order,
            areas=areas,
            rules=rules,
            grades=grades,
            sha256=sha256_text(text),
            content=self.content,
            file=self.file,
            levers=dict(raw.levers),
        )

    def build_parameters(self) -> dict[str, m.Parameter]:
        result = {}
        for pid, p in sorted(self.raw.parameters.items()):
            where = f"parameters.{pid}"
            if (p.value is None) == (p.values is None):
                raise self.error("give either value or values (dated), not both or neither", where)
            if p.value is not None:
                citation = self.citation(p.source, p.status, p.locator, p.note, where, p.text)
                if citation is None:
                    raise self.error(
                        "every parameter needs a status (and a source unless assumed)",
                        f"{where}.status",
                        "add status = \"verified\" | \"corroborated\" | \"reconstructed\" | \"assumed\"",
                    )
                dated: tuple[m.DatedValue, ...] = (
                    m.DatedValue(dt.date.min, parameter_value(p.value, p.unit, f"{where}.value"), citation),)
            else:
                assert p.values is not None
                items = []
                for index, d in enumerate(p.values):
                    place = f"{where}.values[{index}]"
                    citation = self.citation(
                        d.source or p.source, d.status or p.status, d.locator or p.locator, d.note or p.note, place,
                        d.text or p.text)
                    if citation is None:
                        raise self.error("every dated value needs a status", f"{place}.status")
                    items.append(m.DatedValue(d.start, parameter_value(d.value, p.unit, f"{place}.value"), citation))
                starts = [d.start for d in items]
                if len(set(starts)) != len(starts):
                    raise self.error("two dated values start on the same day", f"{where}.values",
                                     "each [[values]] entry needs its own from date; keep the one in force")
                dated = tuple(sorted(items, key=lambda d: d.start))
                if not dated:
                    raise self.error("values is empty", f"{where}.values")
            result[pid] = m.Parameter(pid, self.label(p.label, pid), p.unit, dated, self.origin("parameters", pid),
                                      self.plausible_range(p.range, dated, f"{where}.range"))
        return result

    def plausible_range(self, raw: list[Any] | None, dated: tuple[m.DatedValue, ...],
                        where: str) -> tuple[Decimal, Decimal] | None:
        """``range = [lo, hi]``: two numbers, lo < hi, for a numeric parameter."""
        if raw is None:
            return None
        if (len(raw) != 2 or not all(isinstance(x, Decimal) for x in raw)
                or not all(isinstance(d.value, Decimal) and not isinstance(d.value, bool) for d in dated)):
            raise self.error("range must be two numbers [lo, hi] of a numeric parameter", where)
        if not raw[0] < raw[1]:
            raise self.error(f"range [{raw[0]}, {raw[1]}] must have lo < hi", where)
        return (raw[0], raw[1])

    def build_inputs(self) -> dict[str, m.InputSpec]:
        jurisdiction = self.raw.standard.jurisdiction
        result = {}
        for name, spec in sorted(self.raw.inputs.items()):
            where = f'inputs."{name}"'
            # An input inherited through extends keeps its parent's prefix (national.x in a province).
            inherited = self.origin("inputs", name) != self.key
            if not inherited and not name.startswith(jurisdiction + "."):
                raise self.error(
                    f"a standard's own input must be named {jurisdiction}.<name>", where,
                    "inputs outside the jurisdiction's prefix belong in the shared vocabulary",
                )
            if spec.level not in LEVELS:
                raise self.error(f"unknown level {spec.level!r}", f"{where}.level", "one of " + ", ".join(LEVELS))
            if spec.type not in ("count", "amount", "rate", "decimal", "points", "fact", "bool", "text"):
                raise self.error(f"unknown type {spec.type!r}", f"{where}.type")
            result[name] = m.InputSpec(
                name, spec.level, spec.type, m.Label(spec.label.zh, spec.label.en),  # type: ignore[arg-type]
                spec.unit, spec.table, tuple(spec.choices),
            )
        return result

    def build_units(self) -> dict[str, m.UnitSet]:
        units = {
            "schools": m.UnitSet("schools", "schools", label=m.Label("学校", "schools")),
            "townships": m.UnitSet("townships", "townships", label=m.Label("乡镇", "townships")),
        }
        for uid, u in sorted(self.raw.units.items()):
            where = f"units.{uid}"
            if uid in units:
                raise self.error(f"{uid!r} is a built-in unit set", where)
            if u.base not in BUILTIN_UNITS:
                raise self.error(f"unknown unit set {u.base!r} to start from", f"{where}.from", "schools or townships")
            if u.segment is not None and (u.base != "schools" or u.segment not in SEGMENTS):
                raise self.error(f"unknown segment {u.segment!r}", f"{where}.segment", "primary, junior or senior (schools only)")
            unit = m.UnitSet(uid, u.base, u.segment, None, self.label(u.label, uid))  # type: ignore[arg-type]
            where_expr = self.expr(u.where, f"{where}.where") if u.where else None
            if where_expr is not None:
                self.require_names(where_expr, self.unit_fields(unit), f"{where}.where", "fields of the unit")
            units[uid] = m.UnitSet(uid, u.base, u.segment, where_expr, unit.label)  # type: ignore[arg-type]
        return units
