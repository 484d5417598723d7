"""Sums over units, in both of the kernel's ways (numbers.SUMS).

``exact`` (result format @4 on): every Σ is the exact total, rounded once; held here to an oracle in
fractions. ``ordered`` (formats @1-@3, kept for their replay): the terms sorted by (value,
representation), one 28-digit addition at a time, and the coefficient built on it; held here to
that former code, kept as the oracle.
"""

from __future__ import annotations

import decimal
import random
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

import pytest

from standards_kernel.kernel.aggregation import mean as plain_mean
from standards_kernel.kernel.aggregation import total, weighted_cv, weighted_mean
from standards_kernel.kernel.numbers import KERNEL_CONTEXT, SUMS, exact_sum, kernel_sum, ordered_sum, sqrt, summing


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


# A county's column and its enrolment: positive values of every shape, some units without students.
columns = st.lists(st.one_of(quotients, decimals.filter(lambda d: d > 0), st.integers(min_value=1, max_value=10**6)),
                   min_size=1, max_size=40)
enrolments = st.lists(st.integers(min_value=0, max_value=5000), min_size=40, max_size=40)


def weights_for(values: list[Decimal | int], weights: list[int]) -> list[int]:
    """As many weights as values, and some unit with students."""
    weights = weights[: len(values)]
    if not any(weights):
        weights[0] = 1
    return weights


@settings(max_examples=300, deadline=None)
@given(values=columns, weights=enrolments)
def test_ordered_sums_give_the_former_digits(values: list[Decimal | int], weights: list[int]) -> None:
    weights = weights_for(values, weights)
    mean, sd, cv, total_weight = reference_cv(values, weights)
    with summing("ordered"):
        result = weighted_cv(values, weights)
        got_mean = weighted_mean(values, weights)
    assert same(result.mean, mean) and same(result.sd, sd) and same(result.cv, cv)
    assert same(result.total_weight, total_weight)
    assert result.units == sum(1 for w in weights if w > 0)
    with decimal.localcontext(KERNEL_CONTEXT):
        pairs = [(Decimal(w), Decimal(x)) for x, w in zip(values, weights) if w > 0]
        expected_mean = reference_sum([w * x for w, x in pairs]) / reference_sum([w for w, _ in pairs])
    assert same(got_mean, expected_mean)


# --- exact sums (format @4 on) ------------------------------------------------------------------


def rounded(value: Fraction) -> Decimal:
    """``value`` correctly rounded to the kernel's 28 digits (half even): the oracle of one rounding."""
    return KERNEL_CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))


@settings(max_examples=400, deadline=None)
@given(terms=terms, seed=st.integers(min_value=0, max_value=2**32))
def test_an_exact_sum_is_the_exact_total_rounded_once_in_any_order(terms: list[Decimal | int], seed: int) -> None:
    got = exact_sum(terms)
    assert got == rounded(sum(map(Fraction, terms), Fraction(0)))
    shuffled = list(terms)
    random.Random(seed).shuffle(shuffled)
    assert same(exact_sum(shuffled), got)  # digit for digit, representation included
    with decimal.localcontext(KERNEL_CONTEXT) as context:
        context.clear_flags()
        sum(sorted(terms), Decimal(0))
        if not context.flags[decimal.Rounded]:  # nothing to round: the very digits of the former sums
            assert same(got, ordered_sum(terms))


def test_kernel_sum_follows_the_mode_and_the_mode_is_restored() -> None:
    terms = [Decimal("9735.732394366197183098591549"), Decimal("6792.819148936170212765957447"), Decimal("119.74"),
             Decimal("8649.715789473684210526315789")]
    assert SUMS.get() == "exact" and same(kernel_sum(terms), exact_sum(terms))
    with summing("ordered"):
        assert same(kernel_sum(terms), ordered_sum(terms))
    assert SUMS.get() == "exact"
    # a sum the two ways round differently: ascending, 119.74 + 6792.81… is rounded before the rest
    assert exact_sum(terms) == Decimal("25298.00733277605160639086478") != ordered_sum(terms)
    with pytest.raises(ValueError, match="'exact' or 'ordered'"):
        with summing("sorted"):  # type: ignore[arg-type]
            pass


@settings(max_examples=300, deadline=None)
@given(values=columns, weights=enrolments)
def test_exact_coefficients_round_each_exact_quotient_once(values: list[Decimal | int], weights: list[int]) -> None:
    weights = weights_for(values, weights)
    pairs = [(Fraction(w), Fraction(x)) for x, w in zip(values, weights) if w > 0]
    total_weight = sum(w for w, _ in pairs)
    result = weighted_cv(values, weights)
    assert result.total_weight == total_weight and result.units == len(pairs)
    if len({x for _, x in pairs}) == 1:
        assert result.mean == pairs[0][1] and result.sd == 0 and result.cv == 0
    else:
        assert result.mean == rounded(sum(w * x for w, x in pairs) / total_weight)
        x_bar = Fraction(result.mean)  # the spread about the mean the result reports
        variance = rounded(sum(w * (x - x_bar) ** 2 for w, x in pairs) / total_weight)
        assert same(result.sd, sqrt(variance))
        assert same(result.cv, KERNEL_CONTEXT.divide(result.sd, result.mean))
    assert weighted_mean(values, weights) == rounded(sum(w * x for w, x in pairs) / total_weight)
    assert plain_mean(values) == rounded(sum(map(Fraction, values)) / len(values))
    assert total(values) == rounded(sum(map(Fraction, values), Fraction(0)))
