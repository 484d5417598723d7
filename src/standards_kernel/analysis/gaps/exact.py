"""Exact numbers of the gap analysis, and formulas solved for one variable.

Arithmetic is exact (``fractions.Fraction``). A formula is read as a function of one input at a
time, the others held at their submitted values; when it is a ratio of two linear functions
(``a / b``, ``x * 100 / students``, a mean of difference coefficients …) the boundary is solved
exactly. Anything else (``if``, ``round``, plugin functions) is :class:`Unsolvable`, reported as
not computed rather than guessed.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping, Sequence

import attrs

from ...kernel.compare import holds
from ...kernel.expressions import Node
from ...kernel.numbers import KERNEL_CONTEXT, canonical, is_number


def frac(value: Any) -> Fraction:
    """An exact fraction from a kernel number (Decimal or int)."""
    if not is_number(value):
        raise Unsolvable(f"not a number: {value!r}")
    return Fraction(value)


def _terminates(fr: Fraction) -> bool:
    den = fr.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    return den == 1


def number_text(fr: Fraction, rounding: str = decimal.ROUND_HALF_EVEN) -> tuple[str, str | None]:
    """``(decimal text, exact "p/q" or None)``: the decimal is exact when the fraction terminates,
    else 28 significant digits rounded with ``rounding`` (toward the side that clears a gap)."""
    if _terminates(fr):
        places = 0
        while (fr * 10**places).denominator != 1:
            places += 1
        return canonical(Decimal(int(fr * 10**places)).scaleb(-places)), None
    context = KERNEL_CONTEXT.copy()
    context.rounding = rounding
    return canonical(context.divide(Decimal(fr.numerator), Decimal(fr.denominator))), f"{fr.numerator}/{fr.denominator}"


def toward(relation: str) -> str:
    """The rounding that keeps a bound true: up for "at least", down for "at most"."""
    return decimal.ROUND_CEILING if relation in (">=", ">") else decimal.ROUND_FLOOR if relation in ("<=", "<") else decimal.ROUND_HALF_EVEN



def least_whole(relation: str, bound: Fraction) -> int | None:
    """The smallest whole number ``n`` with ``n <relation> bound`` (for "at least" relations)."""
    if relation == ">=":
        return -((-bound.numerator) // bound.denominator)
    if relation == ">":
        return bound.numerator // bound.denominator + 1
    return None


# -- formulas as ratios of linear functions of one variable --------------------------------


class Unsolvable(Exception):
    """The formula is not a ratio of linear functions of the variable (or reads a non-number)."""


Poly = tuple[Fraction, ...]  # coefficients, lowest degree first
_MAX_DEGREE = 4


def _trim(p: Sequence[Fraction]) -> Poly:
    items = list(p)
    while len(items) > 1 and items[-1] == 0:
        items.pop()
    return tuple(items) or (Fraction(0),)


def _padd(p: Poly, q: Poly, sign: int = 1) -> Poly:
    n = max(len(p), len(q))
    zero = Fraction(0)
    return _trim([(p[i] if i < len(p) else zero) + sign * (q[i] if i < len(q) else zero) for i in range(n)])


def _pmul(p: Poly, q: Poly) -> Poly:
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    result = _trim(out)
    if len(result) - 1 > _MAX_DEGREE:
        raise Unsolvable("degree too high")
    return result


def mentions(node: Node, name: str) -> bool:
    if node.kind == "name":
        return node.value == name
    return any(mentions(arg, name) for arg in node.args)


def constant(node: Node, values: Mapping[str, Any]) -> Fraction:
    """A sub-formula that does not read the variable, evaluated exactly."""
    if node.kind == "call" and node.value in ("min", "max", "abs"):
        args = [constant(arg, values) for arg in node.args]
        return {"min": min, "max": max, "abs": lambda x: abs(x)}[node.value](*args)  # type: ignore[operator,index]
    num, den = _ratio(node, "", values)
    if len(num) > 1 or len(den) > 1 or den[0] == 0:
        raise Unsolvable("not a constant")
    return num[0] / den[0]


def _ratio(node: Node, var: str, values: Mapping[str, Any]) -> tuple[Poly, Poly]:
    """The sub-formula as ``num(x) / den(x)`` with exact coefficients."""
    one = (Fraction(1),)
    if node.kind == "literal":
        return (frac(node.value),), one
    if node.kind == "name":
        if node.value == var:
            return (Fraction(0), Fraction(1)), one
        if node.value not in values:
            raise Unsolvable(f"{node.value} was not read")
        return (frac(values[node.value]),), one  # type: ignore[index]
    if node.kind == "call":
        if var and mentions(node, var):
            raise Unsolvable(f"{node.value}() of the variable")
        return (constant(node, values),), one
    op = node.value
    if op == "pos":
        return _ratio(node.args[0], var, values)
    if op == "neg":
        num, den = _ratio(node.args[0], var, values)
        return tuple(-c for c in num), den
    if op not in ("+", "-", "*", "/"):
        raise Unsolvable(f"operator {op}")
    (n1, d1), (n2, d2) = _ratio(node.args[0], var, values), _ratio(node.args[1], var, values)
    if op in ("+", "-"):
        if d1 == d2:
            return _padd(n1, n2, 1 if op == "+" else -1), d1
        return _padd(_pmul(n1, d2), _pmul(n2, d1), 1 if op == "+" else -1), _pmul(d1, d2)
    if op == "*":
        return _pmul(n1, n2), _pmul(d1, d2)
    if n2 == (Fraction(0),):
        raise Unsolvable("division by zero")
    return _pmul(n1, d2), _pmul(d1, n2)


@attrs.frozen
class Solution:
    """``variable <relation> required`` makes ``formula <op> limit`` hold (the others fixed)."""

    relation: str
    required: Fraction
    numerator: bool  # the variable is in the numerator only (the measured quantity, not the base)


def solve(tree: Node, var: str, values: Mapping[str, Any], op: str, limit: Fraction) -> Solution | None:
    """Solve ``formula(var) <op> limit`` for ``var``, the other names at ``values``.

    None when the formula is not a ratio of linear functions of ``var``, does not depend on it,
    or cannot reach the limit on the branch where the current value lies.
    """
    if op not in ("<", "<=", ">", ">=", "=="):
        return None
    try:
        num, den = _ratio(tree, var, values)
    except (Unsolvable, ZeroDivisionError):
        return None
    if len(num) > 2 or len(den) > 2:
        return None
    b, a = num[0], (num[1] if len(num) > 1 else Fraction(0))
    d, c = den[0], (den[1] if len(den) > 1 else Fraction(0))
    slope = a * d - b * c  # the sign of the derivative, on either side of a pole
    if slope == 0 or a - limit * c == 0:
        return None
    required = (limit * d - b) / (a - limit * c)
    current = frac(values[var])
    if c != 0:
        pole = -d / c
        if (current - pole) * (required - pole) <= 0:
            return None  # the limit lies beyond a pole: not reachable by moving this value
    if op == "==":
        relation = "=="
    else:
        smaller = op in ("<", "<=")  # the formula must become small enough
        rising = slope > 0
        relation = ("<" if rising == smaller else ">") + ("=" if op.endswith("=") else "")
    if holds(current, relation, required):
        return None  # already on the good side: the failure comes from elsewhere (rounding)
    return Solution(relation, required, numerator=c == 0)
