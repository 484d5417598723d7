"""What the property kit reads from a standard's formulas: which way a value moves with a name
(sign), how it scales with it (degree), which way an indicator calls better, and the names divided
by or spread over units (generated at least 1)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from ...kernel import model as m
from ...kernel.expressions import Node
from ..template import field_names, unit_level


def negate(sign: int | None) -> int | None:
    return None if sign is None else -sign


def join_signs(*signs: int | None) -> int | None:
    """The sign of a sum of terms with these signs: all agreeing (ignoring 0), else unknown."""
    found = 0
    for sign in signs:
        if sign is None:
            return None
        if sign == 0:
            continue
        if found and sign != found:
            return None
        found = sign
    return found


def _nonnegative(node: Node) -> bool:
    """Whether the value is never negative, taking names (inputs, parameters, indicators) as ≥ 0."""
    if node.kind == "literal":
        return isinstance(node.value, Decimal) and node.value >= 0
    if node.kind == "name":
        return True
    if node.kind == "op":
        if node.value in ("+", "*", "/", "pos"):
            return all(_nonnegative(a) for a in node.args)
        return False
    if node.value in ("min", "max", "floor", "ceil", "round", "clamp"):
        return all(_nonnegative(a) for a in node.args if a.kind != "literal" or isinstance(a.value, Decimal))
    if node.value in ("abs", "sqrt"):
        return True
    if node.value == "if":
        return _nonnegative(node.args[1]) and _nonnegative(node.args[2])
    return False


def sign_in(node: Node, name: str) -> int | None:
    """+1 if the value never falls as ``name`` rises (everything else fixed, names ≥ 0), -1 if it
    never rises, 0 if it does not depend on it, None if the formula does not say."""
    kind = node.kind
    if kind == "literal":
        return 0
    if kind == "name":
        return 1 if node.value == name else 0
    signs = [sign_in(arg, name) for arg in node.args]
    if all(s == 0 for s in signs):
        return 0
    op = node.value
    if kind == "op":
        if op == "pos":
            return signs[0]
        if op in ("neg", "not"):  # for booleans, true counts above false
            return negate(signs[0])
        a, b = node.args
        sa, sb = signs
        if op in ("+", "and", "or"):
            return join_signs(sa, sb)
        if op == "-":
            return join_signs(sa, negate(sb))
        if op == "*":
            return join_signs(sa, sb) if _nonnegative(a) and _nonnegative(b) else None
        if op == "/":
            return join_signs(sa, negate(sb)) if _nonnegative(a) and _nonnegative(b) else None
        if op in (">", ">="):
            return join_signs(sa, negate(sb))
        if op in ("<", "<="):
            return join_signs(negate(sa), sb)
        return None  # == and != are not monotone
    if op in ("min", "max", "floor", "ceil", "sqrt"):
        return join_signs(*signs)
    if op in ("round", "clamp"):
        return signs[0] if all(s == 0 for s in signs[1:]) else None
    if op == "if" and signs[0] == 0:
        return join_signs(signs[1], signs[2])
    return None


def degree_in(node: Node, name: str) -> Fraction | None:
    """The degree ``d`` with f(c·name) = c^d·f(name) for every c > 0, or None if there is none."""
    kind = node.kind
    if kind == "literal":
        return Fraction(0)
    if kind == "name":
        return Fraction(1 if node.value == name else 0)
    found = [degree_in(arg, name) for arg in node.args]
    degrees = [d for d in found if d is not None]
    if len(degrees) < len(found):
        return None
    op = node.value
    if kind == "op":
        if op in ("pos", "neg"):
            return degrees[0]
        if op in ("+", "-"):
            return degrees[0] if degrees[0] == degrees[1] else None
        if op == "*":
            return degrees[0] + degrees[1]
        if op == "/":
            return degrees[0] - degrees[1]
        return Fraction(0) if all(d == 0 for d in degrees) else None
    if op in ("min", "max", "abs") and len(set(degrees)) == 1:
        return degrees[0]
    if op == "sqrt":
        return degrees[0] / 2
    if op == "if" and degrees[0] == 0 and degrees[1] == degrees[2]:
        return degrees[1]
    return Fraction(0) if all(d == 0 for d in degrees) else None


def implied_direction(ind: m.Indicator) -> int | None:
    """+1 if higher is better, -1 if lower: the declared direction, else a panel item's points,
    else the check (``>=``, ``>``: higher; ``<=``, ``<``: lower)."""
    if ind.direction is not None:
        return 1 if ind.direction == "higher" else -1
    if ind.scoring is not None and ind.scoring.kind == "panel":
        return 1
    if ind.check is not None and ind.check.op in (">=", ">"):
        return 1
    if ind.check is not None and ind.check.op in ("<=", "<"):
        return -1
    return None


def view_names(standard: m.Standard, ind: m.Indicator) -> set[str]:
    names = set(ind.formula.names) if ind.formula is not None else set()
    for extra in (ind.input, ind.fallback_input):
        if extra:
            names.add(extra)
    return {n for n in names if n not in standard.parameters and n not in standard.indicators}


def walk(node: Node) -> Iterable[Node]:
    yield node
    for arg in node.args:
        yield from walk(arg)


def denominators(standard: m.Standard) -> set[tuple[str, str]]:
    """(level, field) of every name divided by somewhere: generated at least 1, never 0."""
    found: set[tuple[str, str]] = set()
    for ind in standard.indicators.values():
        if ind.formula is None:
            continue
        for node in walk(ind.formula.tree):
            if node.kind == "op" and node.value == "/":
                for sub in walk(node.args[1]):
                    if sub.kind == "name":
                        if ind.level == "county":
                            found.add(("county", str(sub.value)))
                        else:
                            level = unit_level(standard, ind.level)
                            found |= {(level, f) for f in field_names(standard, ind.level, str(sub.value))}
    return found


def dispersed(standard: m.Standard) -> set[tuple[str, str]]:
    """(level, field) of the fields behind a difference coefficient: generated at least 1 in every
    unit, since a CV is undefined when the county mean is 0 (a legitimate refusal, not a finding)."""
    found: set[tuple[str, str]] = set()
    for ind in standard.indicators.values():
        if ind.aggregate is None or ind.aggregate.function != "cv":
            continue
        source = standard.indicators.get(ind.aggregate.of)
        over = ind.aggregate.over
        names = view_names(standard, source) if source is not None else {ind.aggregate.of}
        level = unit_level(standard, over)
        for name in names:
            found |= {(level, f) for f in field_names(standard, over, name)}
    return found

