"""A parameter's value read against its unit: percent text made exact, a ratio kept in 0–1,
a count or amount never negative.

Policy texts write "85%"; a standard file may too (``value = "85%"``), and it means exactly 0.85,
as it does in a submission. A ``ratio`` parameter outside 0–1 is almost always a percentage typed
as a number (``value = 85``): a load error that says what to write, never a silent 85 that no
county can reach.
"""

from __future__ import annotations

from decimal import Decimal

from ..errors import NumberError, StandardError
from .numbers import KERNEL_CONTEXT, canonical, to_decimal

#: Units whose values are shares: 0–1.
RATIO_UNITS = frozenset({"ratio"})
#: Units of things counted or measured, and of rates of them: never negative (a count may still be a
#: per-100 rate, so whole numbers are not required of a parameter).
NON_NEGATIVE_UNITS = frozenset({"人", "元", "册", "m²", "m", "台", "间", "所", "班", "床", "台/百生", "人/生",
                                "人/师", "台/人", "years", "points"})


def parameter_value(value: Decimal | bool | str, unit: str, where: str) -> Decimal | bool | str:
    """``value`` as the kernel uses it: ``"85%"`` → ``Decimal("0.85")``; a ratio checked."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = KERNEL_CONTEXT.divide(to_decimal(value.strip()[:-1], where=where), 100)
        except NumberError as error:
            raise StandardError(f"{value!r} is not a percentage", path=where,
                                hint='write a number such as 0.85, or "85%"') from error
    if unit in RATIO_UNITS and isinstance(value, Decimal) and not Decimal(0) <= value <= Decimal(1):
        shown = canonical(value)
        hint = (f'{shown} looks like a percentage: write {canonical(value / 100)} or "{shown}%"'
                if Decimal(1) < value <= Decimal(100) else "a ratio lies between 0 and 1")
        raise StandardError(f"a ratio of {shown} is outside 0–1", path=where, hint=hint)
    if unit in NON_NEGATIVE_UNITS and isinstance(value, Decimal) and value < 0:
        raise StandardError(f"a value of {canonical(value)} {unit} is negative", path=where,
                            hint=f"'{unit}' counts or measures something: the value cannot be below 0")
    return value
