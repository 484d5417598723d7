"""Build and check what a standard does with points: the area tree, the grades, gates and vetoes.

Areas form a tree whose items can reach every area's maximum; the lowest grade has no cutoff;
every gate and veto judges an indicator with a check, and two rules on one subject at the same
priority may not disagree.
"""

from __future__ import annotations

from decimal import Decimal

from . import model as m
from .loader_core import ID, BuilderCore
from .numbers import canonical
from .standard_file import RawRule

TABLES = {"gate": "gates", "veto": "vetoes"}


def _effect(rule: m.Rule) -> str:
    return f"cap at {rule.grade}" if rule.effect == "cap" else rule.effect


class RuleBuilder(BuilderCore):
    """The areas, grades and rules (gates and vetoes) of a standard, checked."""

    def build_areas(self) -> dict[str, m.Area]:
        areas = {}
        for aid, a in sorted(self.raw.areas.items()):
            where = f"areas.{aid}"
            if a.parent is not None and a.parent not in self.raw.areas:
                raise self.error(f"undefined parent area {a.parent!r}", f"{where}.parent",
                                 self.did_you_mean(a.parent, self.raw.areas))
            if a.max <= 0:
                raise self.error("max must be positive", f"{where}.max", "an area's max is its points, e.g. max = 20")
            areas[aid] = m.Area(aid, self.label(a.label, aid), a.max, a.parent, self.citation(a.source, a.status, a.locator, a.note, where, a.text))
        for aid in areas:
            seen: set[str] = set()
            node: str | None = aid
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
            raise self.error(f"undefined indicator {r.indicator!r}", f"{where}.indicator", self.did_you_mean(r.indicator, self.indicators))
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
            citation=self.citation(r.source, r.status, r.locator, r.note, where, r.text),
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
