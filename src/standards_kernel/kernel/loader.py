"""Load a standard: parse, merge with the standard it extends, structure, check, hash.

Strict by design: an unknown key, a duplicate or undefined name, a formula outside the whitelist,
a cycle between indicators, a veto capping to an undefined grade, or two vetoes on one subject
with different effects and the same priority all stop the load with an error that names the file,
the key path and (where the text shows it) the line, and says what to do.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping

from . import model as m
from ..errors import ExpressionError, KernelError, StandardError
from .expressions import Expression, Function, compile_expression
from .formats import content_json, load_text, sha256_text
from .locate import locate_line
from .numbers import ROUNDING_MODES, canonical
from .standard_file import RawRule, RawStandardFile, structure_file
from .vocabulary import LEVELS, vocabulary

ID = re.compile(r"[a-z][a-z0-9_]*")
STANDARD_ID = re.compile(r"[a-z][a-z0-9_]*\.[a-z0-9][a-z0-9_-]*")
AGGREGATES = ("sum", "min", "max", "count", "mean", "weighted_mean", "cv", "count_met", "share_met", "all_met")
NEEDS_CHECK = ("count_met", "share_met", "all_met")
SCORING_KINDS = ("threshold", "deduction", "bands", "levels", "panel", "zero_if")
BUILTIN_UNITS = {"schools": "school", "townships": "township"}
#: Tables merged entry by entry when a standard extends another (the child's entry wins).
MERGED_TABLES = ("sources", "parameters", "inputs", "units", "indicators", "areas", "gates", "vetoes")

TABLES = {"gate": "gates", "veto": "vetoes"}


def _effect(rule: m.Rule) -> str:
    return f"cap at {rule.grade}" if rule.effect == "cap" else rule.effect


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
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        raise StandardError(f"cannot read the standard: {error.strerror}", file=str(path)) from None
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    raw = load_text(text, fmt=fmt, file=str(path), error=StandardError)
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
    merged["standard"] = content["standard"]
    merged["origins"] = origins
    return merged


class _Builder:
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

    # -- helpers ----------------------------------------------------------------------------

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

    def citation(self, source: str | None, status: str | None, locator: str, note: str, where: str) -> m.Citation | None:
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
            raise self.error(f"undefined source {source!r}", f"{where}.source", self._did_you_mean(source, self.raw.sources))
        return m.Citation(source=source, status=status, locator=locator, note=note)  # type: ignore[arg-type]

    @staticmethod
    def _did_you_mean(name: str, known: Mapping[str, Any] | list[str]) -> str:
        import difflib

        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
        if close:
            return "did you mean " + " or ".join(repr(c) for c in close) + "?"
        return "defined: " + (", ".join(sorted(known)) or "none")

    def label(self, raw: Any, fallback: str) -> m.Label:
        return m.Label(raw.zh, raw.en) if raw is not None else m.Label(fallback, fallback)

    # -- build ------------------------------------------------------------------------------

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
            sid: m.Source(sid, s.title, s.issuer, s.number, s.date, s.address, s.note)
            for sid, s in sorted(raw.sources.items())
        }
        self.parameters = self.build_parameters()
        self.inputs = self.build_inputs()
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
        )

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

    def build_parameters(self) -> dict[str, m.Parameter]:
        result = {}
        for pid, p in sorted(self.raw.parameters.items()):
            where = f"parameters.{pid}"
            if (p.value is None) == (p.values is None):
                raise self.error("give either value or values (dated), not both or neither", where)
            if p.value is not None:
                citation = self.citation(p.source, p.status, p.locator, p.note, where)
                if citation is None:
                    raise self.error(
                        "every parameter needs a status (and a source unless assumed)",
                        f"{where}.status",
                        "add status = \"verified\" | \"corroborated\" | \"reconstructed\" | \"assumed\"",
                    )
                dated = (m.DatedValue(dt.date.min, p.value, citation),)
            else:
                assert p.values is not None
                items = []
                for index, d in enumerate(p.values):
                    place = f"{where}.values[{index}]"
                    citation = self.citation(
                        d.source or p.source, d.status or p.status, d.locator or p.locator, d.note or p.note, place
                    )
                    if citation is None:
                        raise self.error("every dated value needs a status", f"{place}.status")
                    items.append(m.DatedValue(d.start, d.value, citation))
                starts = [d.start for d in items]
                if len(set(starts)) != len(starts):
                    raise self.error("two dated values start on the same day", f"{where}.values",
                                     "each [[values]] entry needs its own from date; keep the one in force")
                dated = tuple(sorted(items, key=lambda d: d.start))
                if not dated:
                    raise self.error("values is empty", f"{where}.values")
            result[pid] = m.Parameter(pid, self.label(p.label, pid), p.unit, dated, self.origin("parameters", pid))
        return result

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
            if u.segment is not None and (u.base != "schools" or u.segment not in m.SEGMENTS):
                raise self.error(f"unknown segment {u.segment!r}", f"{where}.segment", "primary, junior or senior (schools only)")
            unit = m.UnitSet(uid, u.base, u.segment, None, self.label(u.label, uid))  # type: ignore[arg-type]
            where_expr = self.expr(u.where, f"{where}.where") if u.where else None
            if where_expr is not None:
                self.require_names(where_expr, self.unit_fields(unit), f"{where}.where", "fields of the unit")
            units[uid] = m.UnitSet(uid, u.base, u.segment, where_expr, unit.label)  # type: ignore[arg-type]
        return units

    def unit_fields(self, unit: m.UnitSet) -> set[str]:
        """The names a formula over ``unit`` may read: the vocabulary of its level, per segment."""
        level = BUILTIN_UNITS[unit.base]
        names = {n for n in vocabulary()[level] if not n.endswith(".*")}
        names |= {n for n, s in self.inputs.items() if s.level == level}
        if unit.segment is None:
            return names
        view = set()
        for name in names:
            head, _, last = name.rpartition(".")
            if last in m.SEGMENTS:
                if last == unit.segment:
                    view.add(head)
            else:
                view.add(name)
        return view | {"students", "segment", "share"}

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

    def check_name_clashes(self) -> None:
        for pid in self.raw.parameters:
            if pid in self.raw.indicators:
                raise self.error(f"{pid!r} is both a parameter and an indicator", f"indicators.{pid}", "rename one")
        for iid, ind in self.raw.indicators.items():
            level = ind.level
            if level != "county" and level in self.units and iid in self.unit_fields(self.units[level]):
                raise self.error(
                    f"indicator {iid!r} has the name of a field of {level}", f"indicators.{iid}", "rename it"
                )

    def require_names(self, expr: Expression, allowed: set[str], where: str, what: str) -> None:
        for name in sorted(expr.names):
            if name not in allowed:
                raise self.error(
                    f"undefined name {name!r} in {expr.text!r}", where,
                    f"it is not one of the {what}; " + self._did_you_mean(name, sorted(allowed)),
                )

    def build_indicators(self) -> dict[str, m.Indicator]:
        result = {}
        raw_indicators = self.raw.indicators
        for iid, ind in sorted(raw_indicators.items()):
            where = f"indicators.{iid}"
            level = ind.level
            if level != "county" and level not in self.units:
                raise self.error(f"unknown level {level!r}", f"{where}.level", "county or a unit set: " + ", ".join(sorted(self.units)))
            if ind.direction not in (None, "higher", "lower"):
                raise self.error(f"unknown direction {ind.direction!r}", f"{where}.direction", "higher or lower")
            kinds = [k for k in ("input", "formula", "aggregate", "k_of_n") if getattr(ind, k) is not None]
            if len(kinds) != 1:
                raise self.error(
                    "an indicator needs exactly one of input, formula, aggregate, k_of_n"
                    + (f" (got {', '.join(kinds)})" if kinds else ""), where,
                )
            same_level = {i for i, other in raw_indicators.items() if other.level == level}
            allowed = set(self.parameters) | same_level | self.scope(level)
            formula = aggregate = k_of_n = None
            if ind.input is not None:
                if not self.is_input(ind.input, level):
                    raise self.error(
                        f"unknown {level} input {ind.input!r}", f"{where}.input",
                        "inputs come from the data dictionary or the standard's [inputs]",
                    )
            if ind.fallback_input is not None and not self.is_input(ind.fallback_input, level):
                raise self.error(f"unknown {level} input {ind.fallback_input!r}", f"{where}.fallback_input",
                                 "inputs come from the data dictionary or the standard's [inputs]")
            if ind.formula is not None:
                formula = self.expr(ind.formula, f"{where}.formula")
                bad = {n for n in formula.names if n not in allowed and not self.is_input(n, level)}
                if bad:
                    name = sorted(bad)[0]
                    other = raw_indicators.get(name)
                    hint = (
                        f"{name!r} is computed for {other.level}, not {level}; aggregate it first"
                        if other is not None
                        else self._did_you_mean(name, sorted(allowed))
                    )
                    raise self.error(f"undefined name {name!r} in {ind.formula!r}", f"{where}.formula", hint)
            if ind.aggregate is not None:
                aggregate = self.build_aggregate(iid, ind, where)
            if ind.k_of_n is not None:
                k_of_n = self.build_k_of_n(iid, ind, where)
            check = None
            if ind.check is not None:
                if ind.check.op not in m.OPS:
                    raise self.error(f"unknown comparison {ind.check.op!r}", f"{where}.check.op", "one of " + " ".join(m.OPS))
                limit = self.expr(ind.check.limit, f"{where}.check.limit")
                self.require_names(limit, set(self.parameters) | {i for i in same_level if i != iid}, f"{where}.check.limit", "parameters")
                check = m.Check(ind.check.op, limit)  # type: ignore[arg-type]
            scoring = self.build_scoring(ind, check, where) if ind.scoring is not None else None
            if scoring is not None and level != "county":
                raise self.error("only county-level indicators earn points", f"{where}.scoring")
            result[iid] = m.Indicator(
                id=iid,
                label=self.label(ind.label, iid),
                unit=ind.unit,
                level=level,
                direction=ind.direction,  # type: ignore[arg-type]
                input=ind.input,
                formula=formula,
                aggregate=aggregate,
                k_of_n=k_of_n,
                fallback_input=ind.fallback_input,
                check=check,
                scoring=scoring,
                round=self.rounding(ind.round, f"{where}.round"),
                citation=self.citation(ind.source, ind.status, ind.locator, ind.note, where),
                origin=self.origin("indicators", iid),
            )
        return result

    def build_aggregate(self, iid: str, ind: Any, where: str) -> m.Aggregate:
        agg = ind.aggregate
        place = f"{where}.aggregate"
        if ind.level != "county":
            raise self.error("aggregations make county values; set level = \"county\"", f"{where}.level")
        if agg.function not in AGGREGATES:
            raise self.error(f"unknown aggregation {agg.function!r}", f"{place}.function", "one of " + ", ".join(AGGREGATES))
        source = self.raw.indicators.get(agg.of)
        if source is not None:
            over = source.level
            if over == "county":
                raise self.error(f"{agg.of!r} is a county value; aggregate a unit-level indicator", f"{place}.of")
            if agg.over is not None and agg.over != over:
                raise self.error(f"{agg.of!r} is computed for {over}, not {agg.over}", f"{place}.over")
            if agg.function in NEEDS_CHECK and source.check is None and source.k_of_n is None:
                raise self.error(f"{agg.function} needs {agg.of!r} to have a check", f"{place}.of")
        else:
            if agg.over is None or agg.over not in self.units:
                raise self.error(
                    f"{agg.of!r} is not an indicator; to aggregate a field, name the unit set in over",
                    f"{place}.over" if agg.over else f"{place}.of",
                )
            over = agg.over
            if agg.of not in self.unit_fields(self.units[over]):
                raise self.error(f"{agg.of!r} is neither an indicator nor a field of {over}", f"{place}.of")
            if agg.function in NEEDS_CHECK:
                raise self.error(f"{agg.function} needs an indicator with a check", f"{place}.of")
        if agg.function in ("weighted_mean", "cv"):
            if agg.weight is None:
                raise self.error(f"{agg.function} needs a weight (e.g. students)", f"{place}.weight")
            fields = self.unit_fields(self.units[over])
            weight_source = self.raw.indicators.get(agg.weight)
            if agg.weight not in fields and not (weight_source and weight_source.level == over):
                raise self.error(f"weight {agg.weight!r} is not a field or indicator of {over}", f"{place}.weight")
        elif agg.weight is not None:
            raise self.error(f"{agg.function} takes no weight", f"{place}.weight",
                             "remove weight, or use weighted_mean / cv")
        return m.Aggregate(agg.function, agg.of, over, agg.weight)

    def build_k_of_n(self, iid: str, ind: Any, where: str) -> m.KOfN:
        spec = ind.k_of_n
        place = f"{where}.k_of_n"
        if not spec.of:
            raise self.error("k_of_n needs the indicators it counts", f"{place}.of")
        for name in spec.of:
            other = self.raw.indicators.get(name)
            if other is None:
                raise self.error(f"undefined indicator {name!r}", f"{place}.of", self._did_you_mean(name, self.raw.indicators))
            if other.level != ind.level:
                raise self.error(f"{name!r} is computed for {other.level}, not {ind.level}", f"{place}.of")
            if other.check is None:
                raise self.error(f"{name!r} has no check to count", f"{place}.of")
        if not 0 <= spec.k <= len(spec.of):
            raise self.error(f"k must be between 0 and {len(spec.of)}", f"{place}.k")
        if spec.floor is not None and not 0 < spec.floor <= 1:
            raise self.error("floor is a fraction of the limit, in (0, 1]", f"{place}.floor")
        return m.KOfN(spec.k, tuple(spec.of), spec.floor)

    def build_scoring(self, ind: Any, check: m.Check | None, where: str) -> m.Scoring:
        s = ind.scoring
        place = f"{where}.scoring"
        if s.kind not in SCORING_KINDS:
            raise self.error(f"unknown scoring kind {s.kind!r}", f"{place}.kind", "one of " + ", ".join(SCORING_KINDS))
        if s.max <= 0:
            raise self.error("max must be positive", f"{place}.max")
        if s.area is not None and s.area not in self.raw.areas:
            raise self.error(f"undefined area {s.area!r}", f"{place}.area", self._did_you_mean(s.area, self.raw.areas))
        needs_check = s.kind in ("threshold", "deduction", "bands")
        if needs_check and check is None:
            raise self.error(f"{s.kind} scoring compares with the indicator's check; add check = {{ op, limit }}", f"{where}.check")
        if s.kind in ("deduction", "bands") and ind.direction is None:
            raise self.error(f"{s.kind} scoring needs the indicator's direction (higher or lower)", f"{where}.direction")
        bands: tuple[m.Band, ...] = ()
        levels: tuple[tuple[str, Decimal], ...] = ()
        when = None
        if s.kind == "deduction":
            if s.per is None or s.deduct is None or s.steps is None:
                raise self.error("deduction needs per, deduct and steps", place, "e.g. per = 0.01, deduct = 1, steps = \"started\"")
            if s.steps not in ("whole", "started", "exact"):
                raise self.error(f"unknown steps {s.steps!r}", f"{place}.steps", "whole, started or exact")
            if s.per <= 0 or s.deduct <= 0:
                raise self.error("per and deduct must be positive", place)
        if s.kind == "bands":
            if not s.bands:
                raise self.error("bands scoring needs bands = [{ at_least, share }, ...]", f"{place}.bands")
            bands = tuple(sorted((m.Band(b.at_least, b.share) for b in s.bands), key=lambda b: -b.at_least))
            if any(not 0 <= b.share <= 1 for b in bands):
                raise self.error("a band's share is a fraction of the points, in [0, 1]", f"{place}.bands")
            shares = [b.share for b in bands]
            if shares != sorted(shares, reverse=True):
                raise self.error("a higher band must not give fewer points than a lower one", f"{place}.bands")
        if s.kind == "levels":
            if not s.levels:
                raise self.error("levels scoring needs levels = { name = points, ... }", f"{place}.levels")
            levels = tuple(sorted(s.levels.items()))
            if any(not 0 <= p <= s.max for _, p in levels):
                raise self.error("every level's points must lie between 0 and max", f"{place}.levels")
        if s.kind == "zero_if":
            if s.when is None:
                raise self.error("zero_if needs when = \"<condition>\"", f"{place}.when")
            when = self.expr(s.when, f"{place}.when")
            allowed = set(self.parameters) | set(self.raw.indicators) | self.scope("county") | {"value"}
            bad = [n for n in when.names if n not in allowed and not self.is_input(n, "county")]
            if bad:
                raise self.error(f"undefined name {bad[0]!r}", f"{place}.when",
                                 "`value` is the item's own value; " + self._did_you_mean(bad[0], sorted(allowed)))
        extra = {"per": s.per, "deduct": s.deduct, "steps": s.steps} if s.kind != "deduction" else {}
        if any(v is not None for v in extra.values()):
            raise self.error("per, deduct and steps belong to deduction scoring", place,
                             "remove them, or use kind = \"deduction\"")
        return m.Scoring(
            kind=s.kind, max=s.max, area=s.area, per=s.per, deduct=s.deduct, steps=s.steps,  # type: ignore[arg-type]
            bands=bands, levels=levels, when=when,
        )

    def dependency_order(self) -> tuple[str, ...]:
        deps: dict[str, set[str]] = {}
        for iid, ind in self.indicators.items():
            refs: set[str] = set()
            for expr in (ind.formula, ind.check.limit if ind.check else None):
                if expr is not None:
                    refs |= set(expr.names)
            if ind.scoring and ind.scoring.when is not None:  # `value` there is the item's own value
                refs |= set(ind.scoring.when.names) - {"value"}
            if ind.aggregate:
                refs |= {ind.aggregate.of, ind.aggregate.weight or ""}
            if ind.k_of_n:
                refs |= set(ind.k_of_n.of)
            deps[iid] = {r for r in refs if r in self.indicators and r != iid}
            if iid in refs and iid in self.indicators:
                raise self.error(f"indicator {iid!r} refers to itself", f"indicators.{iid}",
                                 "compute it from inputs, parameters and other indicators")
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(node: str, stack: list[str]) -> None:
            if state.get(node) == 2:
                return
            if state.get(node) == 1:
                cycle = stack[stack.index(node):] + [node]
                raise self.error("cycle between indicators: " + " → ".join(cycle), f"indicators.{node}", "break the cycle")
            state[node] = 1
            for dep in sorted(deps[node]):
                visit(dep, stack + [node])
            state[node] = 2
            order.append(node)

        for node in sorted(deps):
            visit(node, [])
        return tuple(order)

    def build_areas(self) -> dict[str, m.Area]:
        areas = {}
        for aid, a in sorted(self.raw.areas.items()):
            where = f"areas.{aid}"
            if a.parent is not None and a.parent not in self.raw.areas:
                raise self.error(f"undefined parent area {a.parent!r}", f"{where}.parent",
                                 self._did_you_mean(a.parent, self.raw.areas))
            if a.max <= 0:
                raise self.error("max must be positive", f"{where}.max", "an area's max is its points, e.g. max = 20")
            areas[aid] = m.Area(aid, self.label(a.label, aid), a.max, a.parent, self.citation(a.source, a.status, a.locator, a.note, where))
        for aid in areas:
            seen, node = set(), aid
            while node is not None:
                if node in seen:
                    raise self.error(f"areas form a cycle through {aid!r}", f"areas.{aid}.parent",
                                     "following parent from any area must reach a top-level area (no parent)")
                seen.add(node)
                node = areas[node].parent
        return areas

    def check_scoring_areas(self, areas: dict[str, m.Area]) -> None:
        """Each area's children must be able to reach its maximum (else points can never add up)."""
        reach: dict[str, Decimal] = {aid: Decimal(0) for aid in areas}
        for ind in self.indicators.values():
            if ind.scoring and ind.scoring.area:
                reach[ind.scoring.area] += ind.scoring.max
        for aid in sorted(areas, key=lambda a: -self._depth(areas, a)):
            parent = areas[aid].parent
            if parent is not None:
                reach[parent] += areas[aid].max
        for aid, area in sorted(areas.items()):
            if reach[aid] < area.max:
                raise self.error(
                    f"area {aid!r} has {canonical(area.max)} points but its items can reach only {canonical(reach[aid])}",
                    f"areas.{aid}.max", "add the missing items (a panel-scored item if the text is not available)",
                )

    @staticmethod
    def _depth(areas: dict[str, m.Area], aid: str) -> int:
        depth, node = 0, areas[aid].parent
        while node is not None:
            depth, node = depth + 1, areas[node].parent
        return depth

    def build_grades(self) -> tuple[m.Grade, ...]:
        if not self.raw.grades:
            raise self.error("a standard needs at least one grade", "grades", "add [[grades]] tables, best first")
        seen: set[str] = set()
        grades = []
        for index, g in enumerate(self.raw.grades):
            where = f"grades[{index}]"
            if not ID.fullmatch(g.id):
                raise self.error(f"invalid grade id {g.id!r}", f"{where}.id")
            if g.id in seen:
                raise self.error(f"duplicate grade {g.id!r}", f"{where}.id", "each [[grades]] entry needs its own id")
            seen.add(g.id)
            min_score = self.expr(g.min_score, f"{where}.min_score") if g.min_score is not None else None
            if min_score is not None:
                self.require_names(min_score, set(self.parameters), f"{where}.min_score", "parameters")
            grades.append(m.Grade(g.id, self.label(g.label, g.id), min_score))
        if grades[-1].min_score is not None:
            raise self.error("the lowest grade must not have a min_score (every county gets a grade)", f"grades[{len(grades) - 1}].min_score")
        return tuple(grades)

    def build_rules(self, grades: tuple[m.Grade, ...]) -> dict[str, m.Rule]:
        grade_ids = [g.id for g in grades]
        rules: dict[str, m.Rule] = {}
        for kind, table in (("gate", self.raw.gates), ("veto", self.raw.vetoes)):
            for rid, r in sorted(table.items()):
                where = f"{TABLES[kind]}.{rid}"
                if rid in rules:
                    raise self.error(f"{rid!r} is both a gate and a veto", where, "rename one")
                rules[rid] = self.build_rule(kind, rid, r, where, grade_ids)
        self.check_conflicts(rules)
        return rules

    def build_rule(self, kind: str, rid: str, r: RawRule, where: str, grade_ids: list[str]) -> m.Rule:
        ind = self.indicators.get(r.indicator)
        if ind is None:
            raise self.error(f"undefined indicator {r.indicator!r}", f"{where}.indicator", self._did_you_mean(r.indicator, self.indicators))
        if ind.check is None and ind.k_of_n is None and not (ind.aggregate and ind.aggregate.function == "all_met"):
            raise self.error(f"indicator {r.indicator!r} has no check to pass or fail", f"{where}.indicator", "add check = { op, limit } to the indicator")
        if r.effect not in ("cap", "deny", "none"):
            raise self.error(f"unknown effect {r.effect!r}", f"{where}.effect", "cap, deny or none")
        if r.effect == "cap":
            if r.grade is None:
                raise self.error("a cap needs the grade it caps at", f"{where}.grade",
                                 "add grade = one of " + ", ".join(grade_ids))
            if r.grade not in grade_ids:
                raise self.error(f"undefined grade {r.grade!r}", f"{where}.grade", "defined: " + ", ".join(grade_ids))
        elif r.grade is not None:
            raise self.error(f"effect {r.effect!r} takes no grade", f"{where}.grade",
                             "remove grade, or use effect = \"cap\" to cap at it")
        return m.Rule(
            id=rid, kind=kind, label=self.label(r.label, rid), indicator=r.indicator,  # type: ignore[arg-type]
            effect=r.effect, grade=r.grade, group=r.group or r.indicator, priority=r.priority,  # type: ignore[arg-type]
            citation=self.citation(r.source, r.status, r.locator, r.note, where),
            origin=self.origin(TABLES[kind], rid),
        )

    def check_conflicts(self, rules: dict[str, m.Rule]) -> None:
        """Two rules on one subject (group) with the same priority must not disagree on the effect."""
        by_group: dict[tuple[str, int], list[m.Rule]] = {}
        for rule in rules.values():
            if rule.effect != "none":
                by_group.setdefault((rule.group, rule.priority), []).append(rule)
        for (group, priority), members in sorted(by_group.items()):
            effects = {(r.effect, r.grade) for r in members}
            if len(effects) > 1:
                a, b = sorted(members, key=lambda r: r.id)[:2]
                raise self.error(
                    f"{TABLES[a.kind]} {a.id!r} and {b.id!r} judge {group!r} with different effects "
                    f"({_effect(a)} vs {_effect(b)}) at the same priority {priority}",
                    f"{TABLES[b.kind]}.{b.id}.priority",
                    "give the exception a higher priority, or put them in different groups",
                )
