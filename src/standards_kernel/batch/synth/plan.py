"""One synthetic county's plan: how good its panel is, which gates fail and which vetoes trigger,
whether each check is met, and the targets pushed down the indicator tree (a value near each limit,
a composite's value to its parts, a difference coefficient's spread, how many units fail)."""

from __future__ import annotations

import decimal
import random
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ...errors import KernelError
from ...kernel import model as m
from ...kernel.numbers import KERNEL_CONTEXT
from .draws import ZERO, chance, uniform
from .solving import Target, ordered_names

if TYPE_CHECKING:
    from .synthesizer import Synthesizer


class Plan:
    """What one county is to be: drawn first (the panel, the broken rules), then its targets."""

    def __init__(self, synth: Synthesizer, rng: random.Random, schools: int) -> None:
        self.s = synth
        self.std = synth.std
        self.rng = rng
        self.n_schools = schools
        self.targets: dict[str, Target] = {}  # county indicators: checks to meet or to fail
        self.values: dict[str, Decimal] = {}  # county indicators without a check: values to reach
        self.unit_fail: dict[str, int] = {}  # unit indicator → how many units fail it
        self.unit_cv: dict[str, Decimal] = {}  # unit indicator → spread of its values
        self.unit_level: dict[str, Decimal] = {}  # unit indicator → mean to aim at
        self.panel = uniform(self.rng, "0.72", "1")  # how well the county's panel points go
        self.plan_rules()

    def plan_rules(self) -> None:
        """Which rules this county breaks: a veto sometimes, a gate more often."""
        rules = sorted(self.std.rules.values(), key=lambda r: r.id)
        vetoes = [r for r in rules if r.kind == "veto" and r.effect != "none"]
        gates = [r for r in rules if r.kind == "gate" and r.effect != "none"]
        broken: set[str] = set()
        if vetoes and chance(self.rng, "0.12"):
            broken.add(self.rng.choice(vetoes).indicator)
        if gates and chance(self.rng, "0.25"):
            broken.add(self.rng.choice(gates).indicator)
            if chance(self.rng, "0.3"):
                broken.add(self.rng.choice(gates).indicator)
        for rule in rules:
            if rule.effect == "none" and chance(self.rng, "0.2"):
                broken.add(rule.indicator)
        self.broken = broken
        self.ruled = {r.indicator for r in rules}

    def is_met(self, ind: m.Indicator) -> bool:
        if ind.id in self.ruled:
            return ind.id not in self.broken
        return chance(self.rng, "0.75")

    def target_for(self, ind: m.Indicator, met: bool | None = None) -> Target | None:
        if ind.check is None:
            return self.zero_if_target(ind)
        try:
            limit = ind.check.limit.evaluate(self.param)
        except (KeyError, KernelError, ArithmeticError):
            return None
        higher = ind.direction != "lower" if ind.check.op not in (">=", ">", "<=", "<") else ind.check.op in (">=", ">")
        return Target(ind.check.op, limit, self.is_met(ind) if met is None else met, higher)

    def zero_if_target(self, ind: m.Indicator) -> Target | None:
        """``zero_if`` points on ``value > x``: aim around x as if it were a check."""
        s = ind.scoring
        if s is None or s.kind != "zero_if" or s.when is None:
            return None
        match = re.fullmatch(r"\s*value\s*(<=|>=|<|>)\s*(.+?)\s*", s.when.text)
        if not match:
            return None
        op = {"<=": ">", ">=": "<", "<": ">=", ">": "<="}[match.group(1)]
        names = [n for n in ordered_names(s.when) if n != "value"]
        try:
            limit = Decimal(match.group(2)) if not names else self.param(match.group(2))
        except (decimal.InvalidOperation, KeyError):
            return None
        return Target(op, limit, chance(self.rng, "0.8"), op in (">=", ">"))

    def param(self, name: str) -> Any:
        if name in self.s.params:
            return self.s.params[name]
        raise KeyError(name)
    # targets ---------------------------------------------------------------------------------------

    def push_targets(self) -> None:
        """From the top of the indicator tree down: what each indicator should come out as."""
        for iid in reversed(self.std.order):
            ind = self.std.indicators[iid]
            if ind.level != "county":
                self.unit_targets_from_rules(ind)
                continue
            target = self.target_for(ind)
            if target is not None:
                self.targets[iid] = target
                self.values[iid] = self.aim(target)
            value = self.values.get(iid)
            if ind.aggregate is not None:
                self.push_aggregate(ind, target, value)
            elif ind.formula is not None and value is not None:
                inner = [n for n in ordered_names(ind.formula) if n in self.std.indicators]
                if inner and all(n in self.std.indicators or n in self.std.parameters for n in ordered_names(ind.formula)):
                    for name in inner:  # a composite: each part aims at the whole's value
                        if name not in self.targets and self.std.indicators[name].check is None:
                            self.values[name] = KERNEL_CONTEXT.multiply(value, uniform(self.rng, "0.85", "1.15"))

    def aim(self, target: Target) -> Any:
        """A value a little inside the limit when it is to be met, a little outside when not."""
        limit = target.limit
        if isinstance(limit, bool):
            return limit if target.met == (target.op == "==") else not limit
        if not isinstance(limit, (int, Decimal)):
            return limit
        limit = Decimal(limit)
        if limit == 0:  # a difference (beds − boarders ≥ 0): a little on the wanted side
            small = uniform(self.rng, "0.5", "3")
            if target.op in ("==", "!="):
                return ZERO if target.met == (target.op == "==") else small
            return small if target.higher == target.met else -small
        return self.beyond(limit, target.higher == target.met, target.met)

    def beyond(self, limit: Decimal, above: bool, near: bool = True) -> Decimal:
        """A value above or below ``limit``: a rate limit keeps the value under 1."""
        if above and 0 < limit < 1:
            return limit + (1 - limit) * uniform(self.rng, "0.05", "0.9")
        if above:
            return KERNEL_CONTEXT.multiply(limit, uniform(self.rng, "1.01", "1.35") if near else uniform(self.rng, "1.05", "1.6"))
        return KERNEL_CONTEXT.multiply(limit, uniform(self.rng, "0.45", "0.97") if near else uniform(self.rng, "0.6", "0.95"))

    def push_aggregate(self, ind: m.Indicator, target: Target | None, value: Any) -> None:
        a = ind.aggregate
        assert a is not None
        if a.of not in self.std.indicators:
            return
        fn = a.function
        if fn == "cv" and isinstance(value, Decimal) and value > 0:
            if target is not None and target.met and isinstance(target.limit, (int, Decimal)):
                # a county's coefficient drifts from its aim (few schools, whole counts): aim well inside
                value = KERNEL_CONTEXT.multiply(Decimal(target.limit), uniform(self.rng, "0.3", "0.75"))
            self.unit_cv[a.of] = value
        elif fn in ("all_met", "share_met", "count_met") and (target is not None or ind.id in self.ruled):
            met = target.met if target is not None else ind.id not in self.broken
            if met:
                self.unit_fail.setdefault(a.of, 0)
            else:
                n = max(1, self.n_schools)
                if fn == "share_met" and target is not None and isinstance(target.limit, (int, Decimal)):
                    need = int(n * (1 - Decimal(target.limit))) + 1
                elif fn == "count_met" and target is not None and isinstance(target.limit, (int, Decimal)):
                    need = max(1, n - int(target.limit) + 1)
                else:
                    need = self.rng.randint(1, 3)
                self.unit_fail[a.of] = max(self.unit_fail.get(a.of, 0), need)
        elif fn in ("mean", "weighted_mean", "min", "max") and isinstance(value, Decimal):
            self.unit_level[a.of] = value

    def unit_targets_from_rules(self, ind: m.Indicator) -> None:
        """A gate or veto on a unit indicator (every school must meet it): a few schools fail it
        when the plan breaks the rule, none otherwise."""
        if ind.id in self.ruled:
            failing = self.rng.randint(1, 3) if ind.id in self.broken else 0
            self.unit_fail[ind.id] = max(self.unit_fail.get(ind.id, 0), failing)
        elif ind.k_of_n is not None and ind.id not in self.unit_fail:
            self.unit_fail[ind.id] = 0 if chance(self.rng, "0.85") else self.rng.randint(1, 3)
