"""Exact numbers: parsing, the canonical text, floats from Python callers, the fixed context."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel.errors import NumberError
from standards_kernel.kernel.numbers import KERNEL_CONTEXT, canonical, divide, is_number, sqrt, to_decimal
from tests.helpers import build


def test_a_float_from_the_python_api_becomes_its_shortest_repr():
    assert to_decimal(0.1) == Decimal("0.1")  # not 0.1000000000000000055511151231257827…
    sub = build({"data": {"satisfaction_rate": 0.85}, "schools": [{"id": "a", "students": {"primary": 3}, "teaching_aux_area_m2": 12.3}]})
    assert sub.data["satisfaction_rate"] == Decimal("0.85")
    assert sub.schools[0].values["teaching_aux_area_m2"] == Decimal("12.3")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "NaN", "-Infinity", Decimal("NaN"), True, None, [1], "1,000"])
def test_non_numbers_are_refused(bad):
    with pytest.raises(NumberError):
        to_decimal(bad, where="x")


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("3.0"), "3"), (Decimal("100"), "100"), (Decimal("1E+2"), "100"), (Decimal("-0.0"), "0"),
     (Decimal("0.030"), "0.03"), (7, "7"), (Decimal("1E-7"), "0.0000001"),
     # the fast path (the text as Python writes it) and where it must not be taken: a trailing
     # zero after the point, more digits than the kernel's 28 (normalize() rounds them)
     (Decimal("-12.5"), "-12.5"), (Decimal("1.50"), "1.5"), (Decimal("120"), "120"),
     (Decimal("1234567890123456789012345678.9"), "1234567890123456789012345679")],
)
def test_canonical_text(value, text):
    assert canonical(value) == text


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**9, max_value=10**9))
def test_canonical_text_round_trips_to_an_equal_value(value):
    assert Decimal(canonical(value)) == value


def test_the_kernel_context_does_not_follow_the_callers_context():
    with decimal.localcontext() as ctx:
        ctx.prec = 5
        ctx.rounding = decimal.ROUND_DOWN
        assert str(divide(1, 3)) == "0.3333333333333333333333333333"
        assert str(sqrt(Decimal(2))) == "1.414213562373095048801688724"
    assert KERNEL_CONTEXT.prec == 28


def test_division_by_zero_names_its_place():
    with pytest.raises(NumberError, match="division by zero") as caught:
        divide(1, 0, where="indicators.x")
    assert caught.value.path == "indicators.x"


def test_booleans_are_not_numbers():
    assert is_number(Decimal(1)) and is_number(3)
    assert not is_number(True) and not is_number(1.0) and not is_number("1")


@pytest.mark.parametrize("bad", ["1E+999999", "1E+31", "-1e40", "1E+999999999999", "1e-999999999", 10**40])
def test_magnitudes_far_outside_any_quantity_are_refused(bad):
    with pytest.raises(NumberError, match="outside the kernel's range"):
        to_decimal(bad, where="x")


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_an_exponent_beyond_decimal_range_is_a_clear_error(fmt):
    from standards_kernel.errors import SubmissionError
    from standards_kernel.kernel.submission import parse_submission

    text = "[data]\nsatisfaction_rate = 1E+9999999999999999999\n" if fmt == "toml" else '{"data": {"satisfaction_rate": 1E+9999999999999999999}}'
    with pytest.raises(SubmissionError, match="outside|finite"):
        parse_submission(text, fmt=fmt)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
              st.integers(0, 1), st.lists(st.integers(0, 9), min_size=1, max_size=34), st.integers(-40, 10))),
    max_size=30))
def test_canonical_texts_of_a_column_are_each_values_canonical_text(values: list[Decimal]) -> None:
    from standards_kernel.kernel.numbers import canonical_texts

    assert canonical_texts(values) == [canonical(v) for v in values]
    # and each is the definition: the value normalized in the kernel context, without an exponent
    assert [canonical(v) for v in values] == ["0" if v.is_zero() else format(v.normalize(KERNEL_CONTEXT), "f")
                                               for v in values]


def test_an_input_of_more_significant_digits_than_the_kernel_keeps_is_refused() -> None:
    from standards_kernel.kernel.numbers import MAX_DIGITS

    assert MAX_DIGITS == KERNEL_CONTEXT.prec  # what the canonical text holds is what the kernel computes with
    with pytest.raises(NumberError, match="more than 28 significant digits") as raised:
        to_decimal(Decimal("45584.0000000000000000000000049"), where="data.x")
    assert raised.value.path == "data.x" and "round it in the source" in str(raised.value)
    with pytest.raises(NumberError, match="more than 28 significant digits"):
        to_decimal("0.12345678901234567890123456789")
    # trailing zeros are not digits lost: the value is exactly the shorter one
    assert to_decimal(Decimal("45584.000000000000000000000000000")) == 45584
    assert to_decimal("0.1234567890123456789012345678") == Decimal("0.1234567890123456789012345678")
    assert to_decimal(10**30) == 10**30  # an int is written exactly whatever its digits


@settings(max_examples=300, deadline=None)
@given(st.builds(lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
                 st.integers(0, 1), st.lists(st.integers(0, 9), min_size=1, max_size=34), st.integers(-30, 0)))
def test_an_input_is_accepted_exactly_when_its_canonical_text_holds_it(value: Decimal) -> None:
    """Accepted iff the canonical text (which the hash and replay use) is the same number."""
    from standards_kernel.kernel.numbers import significant_digits

    if value and not -30 <= value.adjusted() <= 30:
        return
    try:
        accepted = to_decimal(value)
    except NumberError:
        assert significant_digits(value) > 28
        assert Decimal(canonical(value)) != value  # written rounded: refusing it is what keeps hashes honest
    else:
        assert accepted == value and Decimal(canonical(value)) == value
