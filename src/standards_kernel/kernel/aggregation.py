"""Aggregation of per-unit values to the county, and the splitting of combined schools.

Difference coefficient (差异系数)
---------------------------------
教育部 教督〔2012〕3号 《县域义务教育均衡发展督导评估暂行办法》 judges the balance between
schools by the difference coefficient of each resource indicator, computed separately for
primary schools and for junior middle schools; 教督〔2017〕6号 (优质均衡) keeps the same
calculation. The provincial calculation notes (县域义务教育校际均衡指标计算方法, worked on
books per student) weight every school by its enrolment. For the schools ``i`` of one segment,
with enrolment ``P_i`` and indicator value ``X_i`` (e.g. books per student ``R_i / P_i``)::

    P  = Σ P_i
    X̄  = Σ P_i·X_i / P                        county total resource / county students
    S  = sqrt( Σ (P_i / P)·(X_i − X̄)² )       enrolment-weighted population SD (no n − 1)
    CV = S / X̄

The 2012 composite (综合差异系数) is the plain mean of the eight single-indicator CVs
(:func:`mean`).

Every result is a Decimal of :data:`~standards_kernel.kernel.numbers.KERNEL_CONTEXT`; there is no
binary floating point. Each Σ is computed exactly, its terms (products such as P_i·X_i and
P_i·(X_i − X̄)²) included, and rounded once (X̄, the variance, a mean: one rounding of an exact
quotient), so no result depends on the order in which the units arrive and no sort is needed.
Records of result formats @1-@3 replay with the sums of their time (numbers.SUMS, ``ordered``):
terms rounded to 28 digits, then added in ascending order, one rounding per addition.

Combined schools (九年一贯制, 完全中学, 十二年一贯制) report their physical resources for the
whole school; :func:`~standards_kernel.kernel.segments.segment_shares` (re-exported here) gives
each segment its part under the national weights.
"""

from __future__ import annotations

import decimal
import itertools
import operator
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Final, cast

import attrs

from ..errors import EvaluationError, NumberError
from .numbers import EXACT_CONTEXT, KERNEL_CONTEXT, SUMS
from .numbers import as_number as _number
from .numbers import kernel_sum as _sum
from .numbers import sqrt as _sqrt
# The split of combined schools lives in .segments; its names stay importable from here.
from .segments import NATIONAL_SEGMENT_WEIGHTS, SPLIT_RESOURCES, segment_shares

__all__ = [
    "CVResult",
    "Check",
    "KOfNResult",
    "NATIONAL_SEGMENT_WEIGHTS",
    "Weights",
    "SPLIT_RESOURCES",
    "all_true",
    "any_true",
    "count",
    "count_true",
    "k_of_n",
    "maximum",
    "mean",
    "minimum",
    "segment_shares",
    "total",
    "weighted_cv",
    "weighted_mean",
]


# ---------------------------------------------------------------------------------------------
# helpers


def _numbers(values: Iterable[object], where: str) -> list[Decimal]:
    return [_number(v, where) for v in values]


def _key(d: Decimal) -> tuple[object, ...]:
    # Value first, then the representation, so that equal values written differently
    # (Decimal("1.0") and Decimal("1")) also sort the same way whatever the input order.
    return (d, d.as_tuple())


def _flags(flags: Iterable[object], where: str) -> list[bool]:
    result: list[bool] = []
    for flag in flags:
        if not isinstance(flag, bool):
            raise EvaluationError(f"expected a boolean, got {type(flag).__name__} ({flag!r})", path=where)
        result.append(flag)
    return result


_PLAIN_TYPES = frozenset((Decimal, int))
_ZERO: Final = Decimal(0)


def _plain(values: Sequence[object]) -> bool:
    """Every value an int or a finite Decimal (exact types: a bool is not a number here)."""
    kinds = set(map(type, values))
    if not kinds <= _PLAIN_TYPES:
        return False
    if kinds == {Decimal}:
        return all(map(Decimal.is_finite, values))  # type: ignore[arg-type]
    if Decimal not in kinds:
        return True  # ints only
    return all(x.is_finite() for x in values if type(x) is Decimal)  # type: ignore[attr-defined]


def _weighted(
    values: Sequence[object], weights: Sequence[object], where: str
) -> tuple[list[Decimal | int], list[Decimal]]:
    """Validated weights and values (as Decimals) of the units with weight > 0; errors name ``where``."""
    values, weights = list(values), list(weights)
    if len(values) != len(weights):
        raise NumberError(f"{len(values)} values but {len(weights)} weights", path=where)
    if not values:
        raise NumberError("no units to aggregate", path=where)
    ws: list[Decimal | int]
    xs: list[Decimal]
    if _plain(values) and _plain(weights):  # the common case, checked a column at a time
        # ints stay ints as weights (their products are the same); values become Decimals
        ws = cast("list[Decimal | int]", weights)
        xs = cast("list[Decimal]", values) if set(map(type, values)) == {Decimal} else [
            x if type(x) is Decimal else Decimal(cast(int, x)) for x in values]
        lightest = min(ws)
        if lightest < 0:
            raise NumberError(f"negative weight {Decimal(next(w for w in ws if w < 0))}", path=where)
        if lightest == 0:  # zero-weight units (no students) contribute nothing and are dropped
            kept = [(w, x) for w, x in zip(ws, xs) if w > 0]
            ws, xs = [w for w, _ in kept], [x for _, x in kept]
    else:
        ws, xs = [], []
        for value, weight in zip(values, weights):
            x, w = _number(value, where), _number(weight, where)
            if w < 0:
                raise NumberError(f"negative weight {w}", path=where)
            if w > 0:  # zero-weight units (no students) contribute nothing and are dropped
                ws.append(w)
                xs.append(x)
    if not ws:
        raise NumberError("total weight is zero (no students)", path=where)
    return ws, xs


# ---------------------------------------------------------------------------------------------
# difference coefficient


@attrs.frozen
class CVResult:
    """Weighted mean, population SD and CV of one indicator; ``units`` counts units with weight > 0."""

    mean: Decimal
    sd: Decimal
    cv: Decimal
    units: int
    total_weight: Decimal


class Weights:
    """A column of weights checked once for all the coefficients it weights (the seven of a
    segment share its enrolment): usable when every weight is an int or a finite Decimal, none is
    negative and some is positive; then the kept (positive) positions, those weights as Decimals
    (a product of a Decimal and an int converts the int exactly: the same product) and their
    ordered sum, exactly as :func:`weighted_cv` computes them."""

    __slots__ = ("given", "usable", "kept", "decimals", "total")

    def __init__(self, weights: Sequence[object]) -> None:
        self.given = weights  # held, so that the column it was checked for stays the same object
        self.usable = bool(weights) and _plain(weights)
        self.kept: list[int] | None = None  # None: every position
        self.decimals: list[Decimal] = []
        self.total = Decimal(0)
        if not self.usable:
            return
        ws = cast("list[Decimal | int]", list(weights))
        lightest = min(ws)
        if lightest < 0:
            self.usable = False
            return
        if lightest == 0:
            self.kept = [i for i, w in enumerate(ws) if w > 0]
            ws = [ws[i] for i in self.kept]
            if not ws:
                self.usable = False
                return
        self.decimals = [w if type(w) is Decimal else Decimal(w) for w in ws]
        self.total = _sum(ws)


_TWO: Final = Decimal(2)  # d ** 2 with the exponent converted once: the same power, exactly


def weighted_cv(
    values: Sequence[Decimal | int],
    weights: Sequence[object],  # checked here: each a finite number ≥ 0
    *,
    where: str = "difference coefficient",
    checked: Weights | None = None,
) -> CVResult:
    """Enrolment-weighted difference coefficient ``CV = S / X̄`` (教督〔2012〕3号).

    ``values[i]`` is the indicator of unit ``i`` and ``weights[i]`` its enrolment. Units with
    weight 0 are ignored. Raises :class:`NumberError` naming ``where`` when the lengths differ,
    there are no units, a weight is negative, the total weight is 0, or the mean is 0.
    ``checked`` is :class:`Weights` of ``weights`` when the caller has it (the same result).
    """
    weights_: Sequence[Decimal | int]
    if (checked is not None and checked.usable and checked.given is weights and len(values) == len(weights)
            and _plain(values)):
        weights_, total_weight = checked.decimals, checked.total
        xs = cast("list[Decimal]", values) if set(map(type, values)) == {Decimal} else [
            x if type(x) is Decimal else Decimal(x) for x in values]
        if checked.kept is not None:
            xs = [xs[i] for i in checked.kept]
    else:
        weights_, xs = _weighted(values, weights, where)
        total_weight = None
    with decimal.localcontext(KERNEL_CONTEXT):
        if total_weight is None:
            total_weight = _sum(weights_)
        if xs.count(xs[0]) == len(xs):
            # One value throughout: the spread is exactly 0, and the mean is that value (not a
            # Σ P·X / P that could differ from it in the 28th digit).
            x_bar, sd = min(xs, key=_key), Decimal(0)
        elif SUMS.get() == "exact":
            x_bar, variance = _exact_moments(weights_, xs, total_weight)
            sd = _sqrt(variance)
        else:  # the sums of formats @1-@3 (numbers.ordered_sum), kept for their replay
            # Whole columns at a time, each product rounded once. Every x is a Decimal, so the
            # operators compute in the current context, this one: the context's own methods give
            # the same digits, but parse their arguments more slowly.
            multiply = operator.mul
            x_bar = _sum(list(map(multiply, weights_, xs))) / total_weight
            # Σ (P_i/P)·d_i² computed as Σ P_i·d_i² / P: the same quantity, one division.
            deviations = list(map(operator.sub, xs, itertools.repeat(x_bar, len(xs))))
            # d ** 2 as before, not d * d: a power is not always the correctly rounded product,
            # and the digits must stay those every earlier result was computed with.
            squares = map(pow, deviations, itertools.repeat(_TWO, len(deviations)))
            variance = _sum(list(map(multiply, weights_, squares))) / total_weight
            sd = _sqrt(variance)
        if x_bar == 0:
            raise NumberError("CV undefined when the county mean is 0", path=where)
        cv = sd / x_bar
    return CVResult(mean=x_bar, sd=sd, cv=cv, units=len(xs), total_weight=total_weight)


def _exact_moments(ws: Sequence[Decimal | int], xs: Sequence[Decimal], total: Decimal) -> tuple[Decimal, Decimal]:
    """``X̄ = Σ P_i·X_i / P`` and the variance ``Σ P_i·(X_i − X̄)² / P`` about that X̄ (the mean the
    result reports): each numerator exact, products and sum alike, and each quotient rounded once."""
    with decimal.localcontext(EXACT_CONTEXT):
        first = sum(map(operator.mul, ws, xs), _ZERO)
    x_bar = KERNEL_CONTEXT.divide(first, total)
    with decimal.localcontext(EXACT_CONTEXT):
        deviations = list(map(operator.sub, xs, itertools.repeat(x_bar, len(xs))))
        second = sum(map(operator.mul, ws, map(operator.mul, deviations, deviations)), _ZERO)
    return x_bar, KERNEL_CONTEXT.divide(second, total)


def _exact_total(terms: Iterable[Decimal | int]) -> Decimal:
    """The exact Σ, not rounded: a quotient of it is then rounded once."""
    with decimal.localcontext(EXACT_CONTEXT):
        return Decimal(sum(terms, _ZERO))  # a Decimal already (0 + an int is one): Decimal() returns it


# ---------------------------------------------------------------------------------------------
# plain aggregations


def total(values: Iterable[Decimal | int], *, where: str = "total") -> Decimal:
    """Σ of the values (0 when there are none), summed in sorted order."""
    return _sum(_numbers(values, where))


def minimum(values: Iterable[Decimal | int], *, where: str = "minimum") -> Decimal:
    """The smallest value; no values is a :class:`NumberError` naming ``where``."""
    numbers = _numbers(values, where)
    if not numbers:
        raise NumberError("minimum of no values", path=where)
    return min(numbers, key=_key)


def maximum(values: Iterable[Decimal | int], *, where: str = "maximum") -> Decimal:
    """The largest value; no values is a :class:`NumberError` naming ``where``."""
    numbers = _numbers(values, where)
    if not numbers:
        raise NumberError("maximum of no values", path=where)
    return max(numbers, key=_key)


def count(values: Iterable[object], *, where: str = "count") -> int:
    """The number of units (0 when there are none)."""
    return len(list(values))


def count_true(flags: Iterable[bool], *, where: str = "count true") -> int:
    """How many flags are ``True``; a non-boolean is an :class:`EvaluationError`."""
    return sum(1 for flag in _flags(flags, where) if flag)


def all_true(flags: Iterable[bool], *, where: str = "all true") -> bool:
    """Every flag is ``True`` (``True`` for no flags)."""
    return all(_flags(flags, where))


def any_true(flags: Iterable[bool], *, where: str = "any true") -> bool:
    """At least one flag is ``True`` (``False`` for no flags)."""
    return any(_flags(flags, where))


def mean(values: Iterable[Decimal | int], *, where: str = "mean") -> Decimal:
    """Unweighted arithmetic mean (e.g. the 2012 composite = mean of the 8 CVs)."""
    numbers = _numbers(values, where)
    if not numbers:
        raise NumberError("mean of no values", path=where)
    if SUMS.get() == "exact":
        return KERNEL_CONTEXT.divide(_exact_total(numbers), len(numbers))
    with decimal.localcontext(KERNEL_CONTEXT):
        return _sum(numbers) / len(numbers)


def weighted_mean(
    values: Sequence[Decimal | int],
    weights: Sequence[object],  # checked here: each a finite number ≥ 0
    *,
    where: str = "weighted mean",
) -> Decimal:
    """``Σ w·x / Σ w``; errors as for :func:`weighted_cv` (lengths, none, negative, zero total)."""
    ws, xs = _weighted(values, weights, where)
    if SUMS.get() == "exact":
        return KERNEL_CONTEXT.divide(_exact_total(map(operator.mul, ws, xs)), _exact_total(ws))
    with decimal.localcontext(KERNEL_CONTEXT):
        return _sum(w * x for w, x in zip(ws, xs)) / _sum(ws)


# ---------------------------------------------------------------------------------------------
# k of n with a floor on the misses (2017: 至少6项达到要求，余项不能低于要求的85%)


@attrs.frozen
class Check:
    """One indicator of one unit against its threshold."""

    name: str
    value: Decimal
    limit: Decimal
    higher_is_better: bool = True


@attrs.frozen
class KOfNResult:
    passed: bool
    met: tuple[str, ...]
    missed: tuple[str, ...]
    below_floor: tuple[str, ...]
    k: int
    n: int


def k_of_n(
    checks: Sequence[Check], k: int, floor: Decimal | None = None, *, where: str = "k of n"
) -> KOfNResult:
    """Pass when at least ``k`` checks are met and no missed check falls below the floor.

    Met: ``value ≥ limit`` (higher is better) or ``value ≤ limit`` (lower is better). Below the
    floor, for a missed check: ``value < floor·limit`` or, lower being better,
    ``value > limit / floor``. ``0 ≤ k ≤ n`` and ``0 < floor ≤ 1``, else :class:`NumberError`.
    """
    checks = list(checks)
    n = len(checks)
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= n:
        raise NumberError(f"k must be an integer from 0 to {n}, got {k!r}", path=where)
    if floor is not None:
        floor = _number(floor, where)
        if not 0 < floor <= 1:
            raise NumberError(f"floor must be in (0, 1], got {floor}", path=where)
    names = [c.name for c in checks]
    if len(set(names)) != n:
        raise NumberError("check names must be unique", path=where)
    met: list[str] = []
    missed: list[str] = []
    below: list[str] = []
    with decimal.localcontext(KERNEL_CONTEXT):
        for c in checks:
            value, limit = _number(c.value, f"{where}: {c.name}"), _number(c.limit, f"{where}: {c.name}")
            ok = value >= limit if c.higher_is_better else value <= limit
            (met if ok else missed).append(c.name)
            if not ok and floor is not None:
                if (value < floor * limit) if c.higher_is_better else (value > limit / floor):
                    below.append(c.name)
    return KOfNResult(
        passed=len(met) >= k and not below,
        met=tuple(sorted(met)),
        missed=tuple(sorted(missed)),
        below_floor=tuple(sorted(below)),
        k=k,
        n=n,
    )
