"""The dependency map of a standard: parameter → indicators → rules → the grade, with sources.

Nodes are named by kind: ``parameters.X``, ``inputs.X`` (a submission input or a unit's field),
``indicators.X``, ``gates.X``, ``vetoes.X``, ``areas.X``, ``score`` and ``grade``. An edge A → B
means B reads A: an indicator reads its input, the names of its formula, the indicator it
aggregates or counts, the parameters of its check's limit and of its scoring; a rule reads its
indicator; an area reads its scored indicators and its sub-areas; the score reads the top areas
and the loose scored indicators; the grade reads the score, the parameters of the cut-offs and
every gate and veto with an effect. Each node carries its status and source where the standard
gives one. ``why`` answers "what does this rest on, and what does it touch" for one node.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ..kernel import model as m

__all__ = ["DependencyMap", "Node", "dependency_map", "map_lines", "map_to_data", "why_lines"]


@attrs.frozen
class Node:
    id: str
    kind: str
    label: str = ""
    status: str = ""
    source: str = ""
    label_en: str = ""  # for the English page; ``label`` is the Chinese one


@attrs.define
class DependencyMap:
    standard: str
    nodes: dict[str, Node]
    reads: dict[str, set[str]]  # node -> what it reads
    read_by: dict[str, set[str]]  # node -> what reads it

    def upstream(self, node: str) -> list[str]:
        return _walk(node, self.reads)

    def downstream(self, node: str) -> list[str]:
        return _walk(node, self.read_by)


def _walk(start: str, edges: dict[str, set[str]]) -> list[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in sorted(edges.get(todo.pop(), ())):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return sorted(seen - {start})


def _citation(c: m.Citation | None) -> dict[str, str]:
    return {"status": c.status, "source": c.source} if c is not None else {}


def dependency_map(std: m.Standard) -> DependencyMap:
    nodes: dict[str, Node] = {}
    reads: dict[str, set[str]] = {}

    def node(nid: str, kind: str, label: str | m.Label = "", citation: m.Citation | None = None) -> str:
        zh, en = (label, "") if isinstance(label, str) else (label.zh, label.en)
        nodes.setdefault(nid, Node(nid, kind, zh, label_en=en, **_citation(citation)))
        reads.setdefault(nid, set())
        return nid

    def name(n: str) -> str:
        if n in std.indicators:
            return f"indicators.{n}"
        if n in std.parameters:
            return f"parameters.{n}"
        return node(f"inputs.{n}", "input")

    for pid, p in std.parameters.items():
        last = p.values[-1].citation
        node(f"parameters.{pid}", "parameter", p.label, last)
    for iid, ind in std.indicators.items():
        nid = node(f"indicators.{iid}", "indicator", ind.label, ind.citation)
        names: set[str] = set()
        for expression in _expressions(ind):
            names |= set(expression.names)
        for n in names:
            reads[nid].add(name(n))
        for n in filter(None, (ind.input, ind.fallback_input)):
            reads[nid].add(node(f"inputs.{n}", "input"))
        if ind.aggregate is not None:
            reads[nid].add(f"indicators.{ind.aggregate.of}")
        if ind.k_of_n is not None:
            reads[nid] |= {f"indicators.{x}" for x in ind.k_of_n.of}
        level = std.units.get(ind.level)
        if level is not None and level.where is not None:
            reads[nid] |= {name(n) for n in level.where.names}
    for aid, area in std.areas.items():
        node(f"areas.{aid}", "area", area.label, area.citation)
    for aid, area in std.areas.items():
        if area.parent is not None:
            reads[f"areas.{area.parent}"].add(f"areas.{aid}")
    score = node("score", "score", "总分")
    for iid, ind in std.indicators.items():
        if ind.scoring is not None:
            target = f"areas.{ind.scoring.area}" if ind.scoring.area else score
            reads[target].add(f"indicators.{iid}")
    reads[score] |= {f"areas.{a}" for a, area in std.areas.items() if area.parent is None}
    grade = node("grade", "grade", "等级 / " + ", ".join(g.id for g in std.grades))
    if any(g.min_score is not None for g in std.grades):
        reads[grade].add(score)
    for g in std.grades:
        if g.min_score is not None:
            reads[grade] |= {name(n) for n in g.min_score.names}
    for rid, rule in std.rules.items():
        rnode = node(f"{'gates' if rule.kind == 'gate' else 'vetoes'}.{rid}", rule.kind, rule.label, rule.citation)
        reads[rnode].add(f"indicators.{rule.indicator}")
        if rule.effect != "none":
            reads[grade].add(rnode)
    read_by: dict[str, set[str]] = {n: set() for n in nodes}
    for nid, sources in reads.items():
        for src in sources:
            read_by.setdefault(src, set()).add(nid)
    return DependencyMap(std.key, nodes, reads, read_by)


def _expressions(ind: m.Indicator) -> Iterable[m.Expression]:
    found = [ind.formula, ind.check.limit if ind.check else None]
    if ind.scoring is not None:
        found += [ind.scoring.target, ind.scoring.when]
    return [e for e in found if e is not None]


def map_to_data(dmap: DependencyMap) -> dict[str, Any]:
    return {"standard": dmap.standard, "nodes": {
        nid: {"kind": n.kind, "label": n.label, "status": n.status, "source": n.source,
              "reads": sorted(dmap.reads.get(nid, ())), "read_by": sorted(dmap.read_by.get(nid, ()))}
        for nid, n in sorted(dmap.nodes.items())}}


def _shown(dmap: DependencyMap, nid: str) -> str:
    n = dmap.nodes.get(nid)
    if n is None or not (n.status or n.source):
        return nid
    return f"{nid} [{n.status}{', ' + n.source if n.source else ''}]"


def map_lines(dmap: DependencyMap) -> list[str]:
    """Every parameter, with what it reaches: indicators, rules, the grade."""
    lines = [f"{dmap.standard}: what each parameter reaches"]
    for nid in sorted(n for n in dmap.nodes if n.startswith("parameters.")):
        down = dmap.downstream(nid)
        lines.append(f"  {_shown(dmap, nid)}")
        for kind in ("indicators.", "gates.", "vetoes.", "areas."):
            hit = [d for d in down if d.startswith(kind)]
            if hit:
                lines.append(f"    {kind[:-1]}: {', '.join(hit)}")
        if "grade" in down:
            lines.append("    → grade")
    return lines


def why_lines(dmap: DependencyMap, nid: str) -> list[str]:
    """What one node rests on (inputs, parameters, indicators) and what it touches."""
    if nid not in dmap.nodes:
        for prefix in ("indicators.", "parameters.", "gates.", "vetoes.", "areas.", "inputs."):
            if prefix + nid in dmap.nodes:
                nid = prefix + nid
                break
        else:
            raise KeyError(nid)
    up, down = dmap.upstream(nid), dmap.downstream(nid)
    lines = [_shown(dmap, nid), "  rests on:"]
    lines += [f"    {_shown(dmap, u)}" for u in up] or ["    (nothing: a submission input)"]
    lines.append("  touches:")
    lines += [f"    {_shown(dmap, d)}" for d in down] or ["    (nothing: reported only)"]
    return lines
