"""Tests of aggregation: the difference coefficient, plain aggregations, k of n, segment shares.

Expected CVs are computed independently of the kernel: exact ``Fraction`` mean and variance,
then the square root of the exact variance in a 60-digit Decimal context.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from standards_kernel.kernel.aggregation import (
    NATIONAL_SEGMENT_WEIGHTS,
    SPLIT_RESOURCES,
    Check,
    CVResult,
    all_true,
    any_true,
    count,
    count_true,
    k_of_n,
    maximum,
    mean,
    minimum,
    segment_shares,
    total,
    weighted_cv,
    weighted_mean,
)
from standards_kernel.errors import EvaluationError, NumberError
from standards_kernel.kernel.numbers import KERNEL_CONTEXT, round_to

D = Decimal
TOL = D("1e-20")  # 20 significant digits


# --------------------------------------------------------------------------------------------
# independent reference


def _dec(q: Fraction) -> Decimal:
    with decimal.localcontext(decimal.Context(prec=60)):
        return Decimal(q.numerator) / Decimal(q.denominator)


def _sqrt(q: Fraction) -> Decimal:
    with decimal.localcontext(decimal.Context(prec=60)):
        return _dec(q).sqrt()


def reference_cv(values, weights, *, weighted=True, sample=False) -> Decimal:
    """CV from exact fractions: weighted (enrolment) or unweighted, population or sample (n−1)."""
    xs = [Fraction(x) for x in values]
    ws = [Fraction(w) if weighted else Fraction(1) for w in weights]
    total_w = sum(ws)
    m = sum(w * x for w, x in zip(ws, xs)) / total_w
    ss = sum(w * (x - m) ** 2 for w, x in zip(ws, xs))
    variance = ss / (total_w - 1 if sample else total_w)
    with decimal.localcontext(decimal.Context(prec=60)):
        return _sqrt(variance) / _dec(m)


def close(actual: Decimal, expected: Decimal, tol: Decimal = TOL) -> bool:
    with decimal.localcontext(decimal.Context(prec=60)):
        return abs(actual - expected) <= tol * abs(expected)


# --------------------------------------------------------------------------------------------
# weighted_cv: worked examples


def test_hand_worked_two_schools():
    # X̄ = (100·2 + 300·6)/400 = 5; variance = 0.25·9 + 0.75·1 = 3; CV = sqrt(3)/5.
    r = weighted_cv([2, 6], [100, 300])
    assert r.mean == 5
    assert r.sd == KERNEL_CONTEXT.sqrt(D(3))
    # sqrt(3)/5 = 0.34641016151377545870548926830…; the kernel rounds S to 28 digits and then
    # divides (CV = S / X̄ step by step), which lands one unit higher in the 28th digit.
    assert r.cv == KERNEL_CONTEXT.divide(KERNEL_CONTEXT.sqrt(D(3)), D(5))
    assert r.cv == D("0.3464101615137754587054892684")
    assert abs(r.cv - D("0.3464101615137754587054892683")) <= D("1e-28")
    assert close(r.cv, reference_cv([2, 6], [100, 300]))
    assert r.units == 2 and r.total_weight == 400


# Five schools: a small school far above the mean and a big school close to it, so that
# weighting by enrolment changes the answer.
FIVE_VALUES = [D("3.2"), D("5.0"), D("9.5"), D("4.1"), D("12.25")]
FIVE_WEIGHTS = [50, 120, 800, 300, 1500]


def test_discriminating_fixture_is_enrolment_weighted_population_cv():
    r = weighted_cv(FIVE_VALUES, FIVE_WEIGHTS)
    expected = reference_cv(FIVE_VALUES, FIVE_WEIGHTS)
    unweighted = reference_cv(FIVE_VALUES, FIVE_WEIGHTS, weighted=False)
    unweighted_sample = reference_cv(FIVE_VALUES, FIVE_WEIGHTS, weighted=False, sample=True)
    weighted_sample = reference_cv(FIVE_VALUES, FIVE_WEIGHTS, sample=True)
    # The fixture tells the forms apart...
    assert abs(expected - unweighted) > D("0.01")
    assert abs(expected - unweighted_sample) > D("0.01")
    assert not close(weighted_sample, expected)
    # ...and the kernel computes the weighted population form.
    assert close(r.cv, expected)
    assert r.mean == KERNEL_CONTEXT.divide(D(27965), D(2770))  # Σ P·X = 27965, P = 2770
    assert r.units == 5 and r.total_weight == 2770


def test_published_worked_example_books_per_student():
    # The provincial calculation note's example (5 primary schools, books per student): the
    # note rounds its steps and reports CV 0.52; exact per-school quotients give 0.5153.
    students = [45, 37, 89, 76, 55]
    books = [279, 137, 935, 160, 402]
    with decimal.localcontext(KERNEL_CONTEXT):
        per_student = [D(b) / D(p) for b, p in zip(books, students)]
    r = weighted_cv(per_student, students)
    assert round_to(r.mean, 2, "ROUND_HALF_UP") == D("6.33")
    assert round_to(r.cv, 2, "ROUND_HALF_UP") == D("0.52")
    assert close(r.cv, reference_cv([Fraction(b, p) for b, p in zip(books, students)], students), D("1e-26"))
    assert r.cv <= D("0.65")  # 2012 primary limit


def test_county_at_the_limit():
    # Equal enrolment, X = (1.55, 0.45): CV = |x1 − x2| / (x1 + x2) = 1.1 / 2 = 0.55 exactly,
    # the 2012 junior limit (≤ 0.55): passes; a hair more spread fails.
    at = weighted_cv([D("1.55"), D("0.45")], [100, 100])
    assert at.cv == D("0.55")
    assert at.cv <= D("0.55")
    over = weighted_cv([D("1.5501"), D("0.45")], [100, 100])
    assert over.cv > D("0.55")


def test_single_school_has_cv_zero():
    r = weighted_cv([D("7.123456789012345678901234567")], [3])
    assert (r.mean, r.sd, r.cv, r.units) == (D("7.123456789012345678901234567"), 0, 0, 1)


def test_equal_values_give_exactly_zero_even_when_the_mean_would_round():
    # Σ P·X / P rounds to …566 here (2·x + 3·x has 29 digits); the spread is still exactly 0.
    x = D("7.123456789012345678901234567")
    r = weighted_cv([x, x], [2, 3])
    assert (r.mean, r.sd, r.cv) == (x, 0, 0)


def test_zero_weight_school_is_ignored():
    with_empty = weighted_cv([2, 6, 1000], [100, 300, 0])
    assert with_empty == weighted_cv([2, 6], [100, 300])
    assert with_empty.units == 2


@pytest.mark.parametrize(
    ("values", "weights", "message"),
    [
        ([1, 2], [1], "2 values but 1 weights"),
        ([], [], "no units"),
        ([1, 2], [1, -1], "negative weight"),
        ([1, 2], [0, 0], "no students"),
        ([0, 0], [5, 7], "CV undefined when the county mean is 0"),
        ([-1, 1], [5, 5], "CV undefined when the county mean is 0"),
        ([True, 2], [1, 1], "boolean"),
        ([1.5, 2], [1, 1], "float"),
        ([D("NaN"), 2], [1, 1], "finite"),
    ],
)
def test_weighted_cv_errors(values, weights, message):
    with pytest.raises(NumberError, match=message) as info:
        weighted_cv(values, weights, where="primary.books_per_student")
    assert info.value.path == "primary.books_per_student"


def test_result_does_not_depend_on_the_callers_context():
    with decimal.localcontext(decimal.Context(prec=5)):
        r = weighted_cv([2, 6], [100, 300])
    assert r == weighted_cv([2, 6], [100, 300])
    assert r.cv == D("0.3464101615137754587054892684")


# --------------------------------------------------------------------------------------------
# weighted_cv: properties

values_st = st.decimals(min_value=D("0.01"), max_value=D("10000"), places=4)
units_st = st.lists(st.tuples(values_st, st.integers(0, 5000)), min_size=1, max_size=12).filter(
    lambda units: any(w > 0 for _, w in units)
)


def _cv(units):
    return weighted_cv([x for x, _ in units], [w for _, w in units])


def _digits(r: CVResult):
    return tuple(str(d) for d in (r.mean, r.sd, r.cv, r.total_weight)) + (r.units,)


@given(units_st, st.randoms(use_true_random=False))
def test_order_independence(units, rnd):
    shuffled = list(units)
    rnd.shuffle(shuffled)
    assert _digits(_cv(shuffled)) == _digits(_cv(units))


@given(units_st, st.sampled_from([D(2), D(10), D("0.5"), D(7)]))
def test_scale_invariance(units, c):
    # CV is scale free, but 7·X̄ and X̄ round differently in the 28th digit (and so do the
    # square root and the quotient), so the two results agree closely, not digit for digit.
    base = _cv(units)
    scaled = _cv([(x * c, w) for x, w in units])
    if base.cv == 0:
        assert scaled.cv == 0
    else:
        assert close(scaled.cv, base.cv)


@given(units_st, st.integers(2, 50))
def test_weight_scaling_invariance(units, m):
    base = _cv(units)
    scaled = _cv([(x, w * m) for x, w in units])
    assert scaled.total_weight == base.total_weight * m
    if base.cv == 0:
        assert scaled.cv == 0
    else:
        assert close(scaled.cv, base.cv)


@given(units_st)
def test_cv_non_negative_and_matches_reference(units):
    r = _cv(units)
    assert r.cv >= 0 and r.sd >= 0
    expected = reference_cv([x for x, _ in units], [w for _, w in units])
    if expected == 0:
        assert r.cv == 0
    else:
        assert close(r.cv, expected)


@given(values_st, st.lists(st.integers(0, 5000), min_size=1, max_size=12))
def test_constant_indicator_has_cv_zero(x, weights):
    assume(any(weights))
    r = weighted_cv([x] * len(weights), weights)
    assert (r.mean, r.sd, r.cv) == (x, 0, 0)


# --------------------------------------------------------------------------------------------
# plain aggregations


def test_plain_aggregations():
    xs = [D("2.5"), 7, D("-1")]
    assert total(xs) == D("8.5")
    assert minimum(xs) == -1
    assert maximum(xs) == 7
    assert count(xs) == 3
    assert mean(xs) == D("8.5") / 3
    assert mean([D("0.31"), D("0.42"), D("0.50")]) == D("0.41")
    assert weighted_mean([2, 6], [100, 300]) == 5
    assert count_true([True, False, True]) == 2
    assert all_true([True, True]) and not all_true([True, False])
    assert any_true([False, True]) and not any_true([False, False])


def test_empty_inputs():
    assert total([]) == 0
    assert count([]) == 0
    assert count_true([]) == 0
    assert all_true([]) is True
    assert any_true([]) is False
    for fn in (minimum, maximum, mean):
        with pytest.raises(NumberError) as info:
            fn([], where="junior.composite")
        assert info.value.path == "junior.composite"
    with pytest.raises(NumberError, match="no units"):
        weighted_mean([], [], where="w")


@pytest.mark.parametrize("fn", [total, minimum, maximum, mean])
def test_booleans_are_not_numbers(fn):
    with pytest.raises(NumberError, match="boolean") as info:
        fn([D(1), True], where="x")
    assert info.value.path == "x"


def test_weighted_mean_rejects_booleans_and_bad_weights():
    with pytest.raises(NumberError, match="boolean"):
        weighted_mean([1, 2], [True, 1])
    with pytest.raises(NumberError, match="negative weight"):
        weighted_mean([1, 2], [1, -1])
    with pytest.raises(NumberError, match="no students"):
        weighted_mean([1, 2], [0, 0])


@pytest.mark.parametrize("fn", [count_true, all_true, any_true])
def test_flags_must_be_booleans(fn):
    with pytest.raises(EvaluationError, match="expected a boolean"):
        fn([True, 1], where="flags")


def test_equal_values_written_differently_give_the_same_digits_in_any_order():
    for fn in (minimum, maximum, total):
        assert str(fn([D("1.0"), D("1"), D("0.50")])) == str(fn([D("0.50"), D("1"), D("1.0")]))
    a = weighted_cv([D("2.0"), D("2")], [1, 1])
    b = weighted_cv([D("2"), D("2.0")], [1, 1])
    assert str(a.mean) == str(b.mean)


big_st = st.decimals(min_value=D("-1e30"), max_value=D("1e30"), allow_nan=False, allow_infinity=False)


@given(st.lists(big_st, max_size=15), st.randoms(use_true_random=False))
def test_total_and_mean_are_order_independent(xs, rnd):
    shuffled = list(xs)
    rnd.shuffle(shuffled)
    assert str(total(shuffled)) == str(total(xs))
    if xs:
        assert str(mean(shuffled)) == str(mean(xs))
        assert str(minimum(shuffled)) == str(minimum(xs))
        assert str(maximum(shuffled)) == str(maximum(xs))


# --------------------------------------------------------------------------------------------
# k of n (2017 school rule: at least 6 of 7 met, the rest not below 85% of the requirement)

LIMITS = [D("4.2"), D("0.9"), D("2"), D("1.5"), D("5"), D("2.5"), D("4.2")]
FLOOR = D("0.85")


def _checks(seventh: Decimal, *, sixth: Decimal | None = None) -> list[Check]:
    values = list(LIMITS[:5]) + [LIMITS[5] if sixth is None else sixth, seventh]
    return [Check(f"i{n}", v, lim) for n, (v, lim) in enumerate(zip(values, LIMITS), 1)]


def test_six_of_seven_with_the_seventh_exactly_at_85_percent_passes():
    r = k_of_n(_checks(D("4.2") * FLOOR), 6, FLOOR)
    assert r.passed
    assert r.met == ("i1", "i2", "i3", "i4", "i5", "i6")
    assert r.missed == ("i7",) and r.below_floor == ()
    assert (r.k, r.n) == (6, 7)


def test_seventh_just_below_85_percent_fails():
    r = k_of_n(_checks(D("4.2") * FLOOR - D("0.0001")), 6, FLOOR)
    assert not r.passed
    assert r.below_floor == ("i7",)


def test_without_floor_only_the_count_matters():
    assert k_of_n(_checks(D(0)), 6).passed


def test_five_of_seven_fails():
    r = k_of_n(_checks(D("4"), sixth=D("2.4")), 6, FLOOR)
    assert not r.passed
    assert r.missed == ("i6", "i7") and r.below_floor == ()
    assert len(r.met) == 5


def test_lower_is_better():
    # e.g. class size ≤ 45: 45 met, 46 missed, the floor is 45 / 0.85 = 52.94…
    assert k_of_n([Check("class", D(45), D(45), higher_is_better=False)], 1).passed
    missed = k_of_n([Check("class", D(46), D(45), higher_is_better=False)], 1)
    assert not missed.passed and missed.missed == ("class",)
    inside = k_of_n([Check("class", D(52), D(45), False)], 0, FLOOR)
    assert inside.passed and inside.below_floor == ()
    outside = k_of_n([Check("class", D(53), D(45), False)], 0, FLOOR)
    assert not outside.passed and outside.below_floor == ("class",)


def test_results_are_sorted_by_name():
    checks = [Check("b", D(0), D(1)), Check("a", D(0), D(1)), Check("c", D(2), D(1))]
    r = k_of_n(checks, 1, FLOOR)
    assert r.missed == ("a", "b") and r.below_floor == ("a", "b") and r.met == ("c",)


@pytest.mark.parametrize("k", [-1, 8, True])
def test_k_out_of_range(k):
    with pytest.raises(NumberError, match="k must be") as info:
        k_of_n(_checks(D(5)), k, where="school S01")
    assert info.value.path == "school S01"


@pytest.mark.parametrize("floor", [D(0), D("1.2"), D(-1)])
def test_bad_floor(floor):
    with pytest.raises(NumberError, match="floor"):
        k_of_n(_checks(D(5)), 6, floor)


def test_duplicate_check_names():
    with pytest.raises(NumberError, match="unique"):
        k_of_n([Check("a", D(1), D(1)), Check("a", D(1), D(1))], 1)


# --------------------------------------------------------------------------------------------
# segment shares


def _q(a, b) -> Decimal:
    return KERNEL_CONTEXT.divide(D(a), D(b))


def test_nine_year_school():
    shares = segment_shares({"primary": 600, "junior": 400})
    assert shares == {"primary": _q(600, 1040), "junior": _q(440, 1040)}
    assert abs(sum(shares.values()) - 1) <= D("1e-27")


def test_complete_middle_school_is_one_to_one_point_two():
    shares = segment_shares({"junior": 500, "senior": 500})
    assert shares == {"junior": _q(1, D("2.2")), "senior": _q(D("1.2"), D("2.2"))}
    assert shares["junior"] == _q(5, 11)


def test_twelve_year_school():
    shares = segment_shares({"primary": 100, "junior": 100, "senior": 100})
    whole = D("3.42")
    assert shares == {"primary": _q(1, whole), "junior": _q(D("1.1"), whole), "senior": _q(D("1.32"), whole)}
    assert abs(sum(shares.values()) - 1) <= D("1e-27")


def test_single_segment_and_empty_segments():
    assert segment_shares({"primary": 321}) == {"primary": 1}
    assert segment_shares({"primary": 0, "junior": 250}) == {"junior": 1}


def test_national_constants():
    assert NATIONAL_SEGMENT_WEIGHTS["senior"] / NATIONAL_SEGMENT_WEIGHTS["junior"] == D("1.2")
    assert SPLIT_RESOURCES == (
        "teaching_aux_area_m2",
        "sports_area_m2",
        "equipment_value_yuan",
        "computers",
        "books",
    )


def test_custom_weights():
    assert segment_shares({"primary": 1, "junior": 1}, {"primary": D(1), "junior": D(3)}) == {
        "primary": D("0.25"),
        "junior": D("0.75"),
    }


@pytest.mark.parametrize(
    ("students", "message"),
    [
        ({"primary": 0, "junior": 0}, "no students in any segment"),
        ({}, "no students in any segment"),
        ({"primary": -1, "junior": 10}, "non-negative integer"),
        ({"primary": True}, "non-negative integer"),
        ({"primary": D(10)}, "non-negative integer"),
        ({"kindergarten": 10}, "unknown segment 'kindergarten'"),
    ],
)
def test_segment_share_errors(students, message):
    with pytest.raises(NumberError, match=message) as info:
        segment_shares(students, where="school 'S07'")
    assert info.value.path == "school 'S07'"


def test_segment_share_error_text():
    with pytest.raises(NumberError) as info:
        segment_shares({"primary": 0}, where="school 'S07'")
    assert str(info.value) == "school 'S07': no students in any segment"
