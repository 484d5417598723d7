"""``value op limit``: the six comparisons of checks, expressions and gap searches, in one place."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

from ..errors import EvaluationError
from .numbers import is_number

__all__ = ["COMPARISONS", "compare", "holds"]

#: The comparison operators a standard may write, each as a function of (value, limit).
COMPARISONS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def holds(value: Any, op: str, limit: Any) -> bool:
    """``value op limit`` on values already known to be comparable (Decimal, int, Fraction …)."""
    return COMPARISONS[op](value, limit)


def compare(value: object, op: str, limit: object, where: str, unit_id: str | None = None) -> bool:
    """``value <op> limit`` on exact numbers (or equal-typed booleans and texts for == / !=);
    anything else raises :class:`EvaluationError` naming ``where`` (and the unit)."""
    if is_number(value) and is_number(limit):
        return holds(Decimal(value), op, Decimal(limit))
    if type(value) is type(limit) and op in ("==", "!="):
        return holds(value, op, limit)
    subject = f" for {unit_id!r}" if unit_id else ""
    raise EvaluationError(f"cannot compare {value!r} {op} {limit!r}{subject}", path=where)
