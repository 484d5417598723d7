"""Targets over sets of units: the lowest or highest school, a difference coefficient, k of n
items, and rules on how many units meet a check.

A difference coefficient lists the schools that contribute most to the dispersion and how far
each is from the county mean; k-of-n rules list the items a school misses and how many it must
recover; count and share rules list the failing units and how many must come to meet.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from ...kernel import model as m
from ...kernel.compare import holds
from ...kernel.evaluate import Reading, UnitView
from ...kernel.numbers import is_number
from .exact import Solution, frac, least_whole
from .model import Held, Target, target_effort, worst
from .targets import Targets

#: How many contributors to a difference coefficient a gap lists (largest first).
TOP_CONTRIBUTORS = 10


class UnitTargets(Targets):
    """:class:`.targets.Targets` with the targets of indicators over sets of units."""

    def aggregate_target(self, ind: m.Indicator, reading: Reading, relation: str, required: Fraction,
                         base: dict[str, Any], depth: int) -> Target:
        spec = ind.aggregate
        assert spec is not None
        if spec.function == "cv":
            detail = self.cv_detail(ind, relation, required, depth)
            return Target(closable="data", detail=detail, **base)
        if spec.function in ("min", "max"):
            source = self.ev.indicators.get(spec.of)
            parts = []
            for view in self.ev.units.get(spec.over, ()):
                if source is not None and spec.of in self.std.indicators:
                    unit_reading = source.units[view.id]
                    if is_number(unit_reading.value) and not holds(frac(unit_reading.value), relation, required):
                        parts.append(self.target(source.indicator, view.id, unit_reading, relation, required, depth + 1))
                elif is_number(view.fields.get(spec.of)) and not holds(frac(view.fields[spec.of]), relation, required):
                    fix = self.input_fix(spec.of, spec.over, view.id, view.fields[spec.of], Solution(relation, required, True))
                    value = view.fields[spec.of]
                    if fix is not None and fix.held:  # not a lever: stated, not proposed
                        held = Held(fix.name, fix.unit, fix.current, fix.held, fix.measure, fix.move)
                        parts.append(Target(spec.of, view.id, value, relation, required, closable="no_lever",
                                            context=(held,), no_lever=fix.held))
                        continue
                    parts.append(Target(spec.of, view.id, value, relation, required, fixes=(fix,) if fix else (),
                                        closable="data" if fix else "not_computed"))
            closable = worst(p.closable for p in parts) if parts else "not_computed"
            return Target(parts=tuple(parts), closable=closable, **base)
        if spec.function in ("count_met", "share_met"):
            return self.units_met_target(ind, reading, base, depth)
        return Target(closable="not_computed", note="aggregate", **base)

    def units_met_target(self, ind: m.Indicator, reading: Reading, base: dict[str, Any], depth: int) -> Target:
        """all_met / count_met / share_met: the failing units, and how many must come to meet."""
        spec = ind.aggregate
        assert spec is not None
        source = self.ev.indicators[spec.of]
        failing = sorted(uid for uid, r in source.units.items() if r.met is False)
        parts = [self.check_target(source, uid, source.units[uid]) for uid in failing]
        parts.sort(key=lambda t: (target_effort(t), t.unit or ""))
        needed = None
        if spec.function != "all_met" and isinstance(base["required"], Fraction):
            total = len(source.units)
            met = total - len(failing)
            bound = base["required"] * (total if spec.function == "share_met" else 1)
            least = least_whole(base["relation"], bound)
            if least is None:
                return Target(parts=tuple(parts), closable="not_computed", note="aggregate", **base)
            needed = max(0, least - met)
        closable = worst(p.closable for p in parts) if parts else "not_computed"
        return Target(parts=tuple(parts), needed=needed, closable=closable, **base)

    def k_of_n_target(self, ind: m.Indicator, unit: str, base: dict[str, Any]) -> Target:
        """A unit failing k of n: the items it misses (it must recover ``needed`` of them) and
        the missed items below the floor (each must at least reach the floor)."""
        spec = ind.k_of_n
        assert spec is not None
        parts, floors, met = [], [], 0
        for name in spec.of:
            res = self.ev.indicators[name]
            sub = res.indicator
            reading = res.units[unit]
            assert sub.check is not None
            higher = sub.check.op in (">", ">=")
            value, limit = frac(reading.value), frac(reading.limit)
            if (value >= limit) if higher else (value <= limit):
                met += 1
                continue
            parts.append(self.target(sub, unit, reading, ">=" if higher else "<=", limit, 1))
            if spec.floor is not None:
                floor = frac(spec.floor)
                bound = floor * limit if higher else limit / floor
                if (value < bound) if higher else (value > bound):
                    floors.append(self.target(sub, unit, reading, ">=" if higher else "<=", bound, 1))
        parts.sort(key=lambda t: (target_effort(t), t.indicator))
        closable = worst([p.closable for p in parts] + [f.closable for f in floors]) if parts else "not_computed"
        detail: dict[str, Any] = {"k": spec.k, "n": len(spec.of), "met": met}
        if spec.floor is not None:
            detail["floor"] = spec.floor
        return Target(parts=tuple(parts), needed=max(0, spec.k - met), floor=tuple(floors), closable=closable,
                      detail=detail, **base)

    def cv_detail(self, ind: m.Indicator, relation: str, required: Fraction, depth: int) -> dict[str, Any]:
        """Who makes the difference coefficient: each unit's share of the weighted variance,
        ``(P_i/P)(X_i − X̄)²``, and how far it lies from the county mean ``X̄``."""
        spec = ind.aggregate
        assert spec is not None and spec.weight is not None
        views = self.ev.units.get(spec.over, ())
        source = self.ev.indicators.get(spec.of) if spec.of in self.std.indicators else None

        def unit_value(view: UnitView, name: str) -> Any:
            if name in self.std.indicators:
                return self.ev.indicators[name].units[view.id].value
            return view.fields.get(name)

        rows = []
        for view in views:
            x, w = unit_value(view, spec.of), unit_value(view, spec.weight)
            if is_number(x) and is_number(w) and w > 0:
                rows.append((view.id, Decimal(x), Decimal(w)))
        res = self.ev.indicators[ind.id]
        total = sum(sorted(w for _, _, w in rows), Decimal(0))
        if not rows or total == 0 or "mean" not in res.detail:
            return {"units": len(rows)}
        mean = Decimal(res.detail["mean"])
        contributions = [(uid, x, w, w / total * (x - mean) ** 2) for uid, x, w in rows]
        variance = sum(sorted(c for *_, c in contributions), Decimal(0))
        contributions.sort(key=lambda row: (-row[3], row[0]))
        listed = []
        for uid, x, w, c in contributions[:TOP_CONTRIBUTORS]:
            row: dict[str, Any] = {
                "unit": uid, "value": x, "weight": w, "contribution": c,
                "share_of_variance": (c / variance) if variance else Decimal(0), "from_mean": x - mean,
            }
            if source is not None and x < mean and depth < 2:
                target = self.target(source.indicator, uid, source.units[uid], ">=", frac(mean), depth + 1)
                reachable = [f for f in target.fixes if f.reachable]
                if reachable:
                    row["fix"] = reachable[0]
            listed.append(row)
        detail: dict[str, Any] = {
            "mean": mean, "sd": Decimal(res.detail.get("sd", 0)), "units": len(rows),
            "contributors": listed, "total_weight": total,
        }
        if relation in ("<=", "<") and required >= 0:
            detail["sd_required"] = required * frac(mean)  # holding the county mean where it is
        return detail

