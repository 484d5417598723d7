"""A synthetic county's own inputs: plausible values, panel points and levels by the plan, and the
inputs solved so that each county indicator reaches its target."""

from __future__ import annotations

import decimal
import random
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ...errors import KernelError
from ...kernel import model as m
from ...kernel.segments import SEGMENTS
from .draws import ONE, ZERO, chance, quantize, uniform
from .solving import Target, nudge, ordered_names, solve
from .typical import NUMERIC
from .units import baseline

if TYPE_CHECKING:
    from .plan import Plan
    from .synthesizer import Synthesizer


def county_data(synth: Synthesizer, plan: Plan, rng: random.Random, schools: list[dict[str, Any]]) -> dict[str, Any]:
    """The county's ``data``: every county input it reads, panel points, levels, and the inputs that
    bring each county indicator to the plan's value."""
    data: dict[str, Any] = {}
    solved: set[str] = set()  # inputs already solved for (a later indicator may not move them)
    std = synth.std
    students = {f"students.{seg}": sum(s.get(f"students.{seg}", 0) for s in schools) for seg in SEGMENTS}
    for name in synth.county_inputs:
        value = baseline(synth, rng, "county", name, students)
        if value is not None:
            data[name] = value
    for iid in std.order:
        ind = std.indicators[iid]
        if ind.level != "county":
            continue
        if ind.scoring is not None and ind.scoring.kind == "panel" and ind.input:
            share = min(ONE, plan.panel + uniform(rng, "-0.05", "0.05"))
            points = (ind.scoring.max * share * 2).to_integral_value(rounding=decimal.ROUND_FLOOR) / 2
            data[ind.input] = max(ZERO, min(points, ind.scoring.max))
            continue
        if ind.scoring is not None and ind.scoring.kind == "levels" and ind.input:
            levels = [name for name, _ in sorted(ind.scoring.levels, key=lambda pair: -pair[1])]
            pick = 0 if chance(rng, str(min(Decimal("0.95"), plan.panel))) else rng.randrange(len(levels))
            data[ind.input] = levels[pick]
            continue
        target = plan.targets.get(iid)
        wanted = plan.values.get(iid)
        if wanted is None or ind.aggregate is not None:
            continue
        if ind.input is not None:
            data[ind.input] = input_value(synth, "county", ind.input, wanted)
        elif ind.formula is not None and isinstance(wanted, Decimal):
            _solve_county(synth, data, solved, ind.formula, wanted, target)
    return data


def input_value(synth: Synthesizer, level: str, name: str, value: Any) -> Any:
    """``value`` in the shape of the input's type (whole counts, cents, a rate in [0, 1])."""
    spec = synth.spec(level, name)
    if spec is None or isinstance(value, (bool, str)):
        return value
    if spec.type == "fact":
        return int(value > 0) if isinstance(value, Decimal) else value
    if spec.type in NUMERIC:
        return quantize(Decimal(value), spec.type)
    return value


def _solve_county(synth: Synthesizer, data: dict[str, Any], solved: set[str], formula: m.Expression, value: Decimal,
                  target: Target | None) -> None:
    """Set the first input of ``formula`` not yet solved for that brings it to ``value``."""
    std = synth.std
    for name in ordered_names(formula):
        if name in std.parameters or name in std.indicators or name in solved:
            continue
        spec = synth.spec("county", name)
        if spec is None or spec.type not in NUMERIC:
            continue

        def f(x: Decimal | int, name: str = name) -> Decimal | None:
            trial = {**data, name: x}
            try:
                got = formula.evaluate(lambda n: synth.params[n] if n in synth.params else trial[n])
            except (KeyError, KernelError, ArithmeticError):
                return None
            return Decimal(got) if isinstance(got, (int, Decimal)) and not isinstance(got, bool) else None

        found = solve(f, data.get(name, 0), value, spec.type)
        if found is None:
            continue
        if target is not None:
            found = nudge(f, found, target, spec.type)
        data[name] = found
        solved.add(name)
        return
