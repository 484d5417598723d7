"""Synthetic numbers: random draws made from integers and computed in Decimal (the same seed gives
the same digits on every platform), and input values in the shape of their type."""

from __future__ import annotations

import decimal
import functools
import random
from decimal import Decimal
from typing import Any

from ...kernel.compare import holds
from ...kernel.numbers import KERNEL_CONTEXT

# Noise is a different job from the kernel's arithmetic: a factor of a few percent needs no more
# than 12 digits, and the exp of the log-normal spread is computed in these (changing them would
# change every synthetic county's bytes).
NOISE = decimal.Context(prec=12, rounding=decimal.ROUND_HALF_EVEN)
SQRT3 = KERNEL_CONTEXT.sqrt(Decimal(3))
ONE, ZERO = Decimal(1), Decimal(0)


def uniform(rng: random.Random, low: Decimal | str, high: Decimal | str) -> Decimal:
    low, high = Decimal(low), Decimal(high)
    return KERNEL_CONTEXT.add(low, KERNEL_CONTEXT.multiply(high - low, Decimal(rng.randrange(1_000_000)) / 1_000_000))


def normal(rng: random.Random) -> Decimal:
    """About N(0, 1): four 16-bit uniforms of one draw, summed and scaled (Irwin–Hall), in Decimal."""
    bits = rng.getrandbits(64)
    total = sum((bits >> shift) & 0xFFFF for shift in (0, 16, 32, 48))
    return KERNEL_CONTEXT.multiply(Decimal(total) / 65536 - 2, SQRT3)


@functools.lru_cache(maxsize=1024)
def _log_spread(cv: Decimal) -> tuple[Decimal, Decimal]:
    variance = KERNEL_CONTEXT.ln(1 + cv * cv)
    return KERNEL_CONTEXT.sqrt(variance), variance / 2


def spread(rng: random.Random, cv: Decimal) -> Decimal:
    """A log-normal factor of mean 1 whose coefficient of variation is ``cv``."""
    if cv <= 0:
        return ONE
    sigma, half = _log_spread(cv)
    return NOISE.exp(sigma * normal(rng) - half)


def chance(rng: random.Random, p: str) -> bool:
    return rng.randrange(1_000_000) < int(Decimal(p) * 1_000_000)


def quantize(value: Decimal, kind: str, rounding: str = decimal.ROUND_HALF_EVEN) -> Decimal | int:
    """An input value in the shape of its type: whole counts, cents, rates in [0, 1]."""
    value = max(value, ZERO)
    if kind in ("count", "fact"):
        return int(value.to_integral_value(rounding=rounding))
    if kind == "rate":
        return min(value, ONE).quantize(Decimal("0.0001"), rounding=rounding)
    if kind == "amount":
        return value.quantize(Decimal("0.01"), rounding=rounding)
    return value.quantize(Decimal("0.0001"), rounding=rounding)




def meets(value: Any, op: str, limit: Any) -> bool:
    """``value op limit`` as numbers when both read as numbers, else only ``==`` / ``!=``."""
    try:
        a, b = Decimal(value), Decimal(limit)
    except (TypeError, decimal.InvalidOperation):
        return holds(value, op, limit) if op in ("==", "!=") else False
    return holds(a, op, b)
