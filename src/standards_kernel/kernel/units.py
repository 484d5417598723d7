"""A parameter's value read against its unit: percent text made exact, a ratio kept in 0–1.

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
    return value
