"""Sums and difference coefficients without sorting every time give the digits sorting gives.

The references below are the kernel's former code, kept here as the oracle: a sum of the terms
sorted by (value, representation), one 28-digit addition at a time, and the coefficient built on it.
"""

from __future__ import annotations

import decimal
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel.kernel.aggregation import weighted_cv, weighted_mean
from standards_kernel.kernel.numbers import KERNEL_CONTEXT, ordered_sum, sqrt


def reference_sum(terms: list[Decimal | int]) -> Decimal:
    result = Decimal(0)
    with decimal.localcontext(KERNEL_CONTEXT):
        for term in sorted(terms, key=lambda d: (d, Decimal(d).as_tuple())):
            result += term
    return result


def reference_cv(values: list[Decimal | int], weights: list[int]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    pairs = [(Decimal(w), Decimal(x)) for x, w in zip(values, weights) if w > 0]
    with decimal.localcontext(KERNEL_CONTEXT):
        total = reference_sum([w for w, _ in pairs])
        if len({x for _, x in pairs}) == 1:
            mean, sd = min((x for _, x in pairs), key=lambda d: (d, d.as_tuple())), Decimal(0)
        else:
            mean = reference_sum([w * x for w, x in pairs]) / total
            sd = sqrt(reference_sum([w * (x - mean) ** 2 for w, x in pairs]) / total)
        return mean, sd, sd / mean, total


def same(a: Decimal, b: Decimal) -> bool:
    """Equal digit for digit: value and representation (exponent, trailing zeros, sign)."""
    return Decimal(a).as_tuple() == Decimal(b).as_tuple()


# Numbers of every shape the kernel meets: 28-digit quotients, exact few-digit values, equal values
# written differently (1000 and 1000.000…), zeros with exponents, negatives, and ints.
digits = st.integers(min_value=-(10**30), max_value=10**30)
exponents = st.integers(min_value=-30, max_value=6)
decimals = st.builds(lambda c, e: Decimal(c).scaleb(e, KERNEL_CONTEXT), digits, exponents)
ties = st.sampled_from([Decimal("1000"), Decimal("1000.000000000000000000000000"), Decimal("1E+3"),
                        Decimal("0"), Decimal("0E-25"), Decimal("-0"), Decimal("999.9999999999999999999999999")])
quotients = st.builds(lambda a, b: KERNEL_CONTEXT.divide(Decimal(a), Decimal(b)),
                      st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=10**4))
terms = st.lists(st.one_of(decimals, ties, quotients, st.integers(min_value=-(10**29), max_value=10**29)), max_size=60)


@settings(max_examples=400, deadline=None)
@given(terms=terms, seed=st.integers(min_value=0, max_value=2**32))
def test_ordered_sum_is_the_sorted_sum_digit_for_digit_in_any_order(terms: list[Decimal | int], seed: int) -> None:
    expected = reference_sum(terms)
    assert same(ordered_sum(terms), expected)
    shuffled = list(terms)
    random.Random(seed).shuffle(shuffled)
    assert same(ordered_sum(shuffled), expected)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.one_of(quotients, decimals.filter(lambda d: d > 0), st.integers(min_value=1, max_value=10**6)),
                    min_size=1, max_size=40),
    weights=st.lists(st.integers(min_value=0, max_value=5000), min_size=40, max_size=40),
)
def test_weighted_cv_and_mean_give_the_former_digits(values: list[Decimal | int], weights: list[int]) -> None:
    weights = weights[: len(values)]
    if not any(weights):
        weights[0] = 1
    mean, sd, cv, total = reference_cv(values, weights)
    result = weighted_cv(values, weights)
    assert same(result.mean, mean) and same(result.sd, sd) and same(result.cv, cv)
    assert same(result.total_weight, total)
    assert result.units == sum(1 for w in weights if w > 0)
    with decimal.localcontext(KERNEL_CONTEXT):
        pairs = [(Decimal(w), Decimal(x)) for x, w in zip(values, weights) if w > 0]
        expected_mean = reference_sum([w * x for w, x in pairs]) / reference_sum([w for w, _ in pairs])
    assert same(weighted_mean(values, weights), expected_mean)
