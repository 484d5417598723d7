"""Rule coverage: which parts of a standard the test cases reach, and which they never do.

For every standard the cases evaluate (by id@edition), coverage lists its indicators (a value
computed), checks (met and not met), scoring bands and levels (awarded), gates and vetoes (passed
and failed), grades (the final grade) and dated parameter values (the value in force read). A part
no case reaches is a hole: a rule of the law nobody has shown the kernel applying. ``standards-kernel
test --coverage`` prints it; the jurisdiction tests fail a built-in standard that leaves a veto
(either side) or a grade unreached.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from ..kernel import model as m
from ..kernel.evaluate import Evaluation
from ..kernel.numbers import canonical

__all__ = ["Coverage", "coverage", "coverage_lines", "coverage_to_data"]

KINDS = ("indicators", "checks", "bands", "gates", "vetoes", "grades", "parameter_values")


@attrs.frozen
class Coverage:
    """One standard: every coverable item of each kind, and those the cases reach."""

    standard: str
    items: dict[str, tuple[str, ...]]  # kind -> every item, in the standard's order
    reached: dict[str, frozenset[str]]

    def missing(self, kind: str) -> tuple[str, ...]:
        return tuple(i for i in self.items[kind] if i not in self.reached[kind])


def _items(std: m.Standard) -> dict[str, tuple[str, ...]]:
    bands = []
    for iid in std.order:
        scoring = std.indicators[iid].scoring
        if scoring is not None and scoring.kind == "bands":
            bands += [f"{iid}@{canonical(b.at_least)}" for b in scoring.bands] + [f"{iid}@none"]
        elif scoring is not None and scoring.kind == "levels":
            bands += [f"{iid}@{name}" for name, _ in scoring.levels]
    rules = sorted(std.rules.values(), key=lambda r: r.id)
    return {
        "indicators": tuple(std.order),
        "checks": tuple(f"{iid}:{side}" for iid in std.order if std.indicators[iid].check is not None
                        for side in ("met", "not_met")),
        "bands": tuple(bands),
        "gates": tuple(f"{r.id}:{side}" for r in rules if r.kind == "gate" for side in ("passed", "failed")),
        "vetoes": tuple(f"{r.id}:{side}" for r in rules if r.kind == "veto" for side in ("passed", "failed")),
        "grades": tuple(g.id for g in std.grades),
        "parameter_values": tuple(f"{pid}@{d.start.isoformat()}" for pid, p in sorted(std.parameters.items())
                                  if len(p.values) > 1 for d in p.values),
    }


def _reached(evaluation: Evaluation, into: dict[str, set[str]]) -> None:
    std = evaluation.standard
    for iid, result in evaluation.indicators.items():
        readings = [result.county] if result.county is not None else [result.units[uid] for uid in result.units]
        if any(r.value is not None for r in readings):
            into["indicators"].add(iid)
        for r in readings:
            if r.met is True:
                into["checks"].add(f"{iid}:met")
            elif r.met is False:
                into["checks"].add(f"{iid}:not_met")
        scoring = result.indicator.scoring
        if scoring is not None and result.points is not None and scoring.kind in ("bands", "levels"):
            into["bands"].update(iid + b for b in _band(scoring, result.points, readings))
    for rid, rule in evaluation.rules.items():
        into["gates" if rule.rule.kind == "gate" else "vetoes"].add(f"{rid}:{'failed' if rule.failed else 'passed'}")
    into["grades"].add(evaluation.grade)
    for pid, (parameter, dated) in evaluation.parameters.items():
        if pid in std.parameters and len(std.parameters[pid].values) > 1:
            into["parameter_values"].add(f"{pid}@{dated.start.isoformat()}")


def _band(scoring: m.Scoring, points: Decimal, readings: list[Any]) -> set[str]:
    share = points / scoring.max if scoring.max else Decimal(0)
    if scoring.kind == "levels":
        values = {str(r.value) for r in readings if r.value is not None}
        return {f"@{name}" for name, _ in scoring.levels if name in values}
    for band in sorted(scoring.bands, key=lambda b: b.at_least, reverse=True):
        if band.share == share:
            return {f"@{canonical(band.at_least)}"}
    return {"@none"} if points == 0 else set()


def coverage(evaluations: Iterable[Evaluation]) -> list[Coverage]:
    """Coverage per standard (id@edition) over ``evaluations``, sorted by standard."""
    standards: dict[str, m.Standard] = {}
    reached: dict[str, dict[str, set[str]]] = {}
    for evaluation in evaluations:
        key = evaluation.standard.key
        standards.setdefault(key, evaluation.standard)
        _reached(evaluation, reached.setdefault(key, {kind: set() for kind in KINDS}))
    return [Coverage(key, _items(std), {k: frozenset(v) for k, v in reached[key].items()})
            for key, std in sorted(standards.items())]


def coverage_to_data(found: list[Coverage]) -> dict[str, Any]:
    return {c.standard: {kind: {"total": len(c.items[kind]), "reached": len(c.items[kind]) - len(c.missing(kind)),
                                "missing": list(c.missing(kind))} for kind in KINDS} for c in found}


def coverage_lines(found: list[Coverage]) -> list[str]:
    lines = []
    for c in found:
        lines.append(f"{c.standard}")
        for kind in KINDS:
            total = len(c.items[kind])
            if not total:
                continue
            missing = c.missing(kind)
            lines.append(f"  {kind}: {total - len(missing)} of {total} reached"
                         + (f"; never: {', '.join(missing)}" if missing else ""))
    return lines
