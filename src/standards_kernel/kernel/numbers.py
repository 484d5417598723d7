"""Exact numbers: every value that enters scoring is a ``Decimal`` (or an ``int``).

Numbers are parsed from the text of the input, never through binary floating point. All
arithmetic in the kernel runs inside :data:`KERNEL_CONTEXT`, a fixed and declared decimal context,
so that every machine computes the same digits (square roots included). Rounding happens only
where a standard declares it, through :func:`round_to`.
"""

from __future__ import annotations

import contextlib
import contextvars
import decimal
import operator
import re
from decimal import Decimal
from collections.abc import Iterable, Iterator, Sequence
from typing import Final, Literal, TypeGuard, cast

from ..errors import NumberError

#: The one arithmetic context of the kernel: 28 significant digits (Python's default precision,
#: fixed here so that a caller's global context cannot change a result), banker's rounding of the
#: 28th digit, and traps on every operation that would hide a mistake.
KERNEL_CONTEXT: Final = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999999,
    Emax=999999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

#: Rounding modes a standard may declare, by the name used in standard files.
ROUNDING_MODES: Final = {
    "ROUND_HALF_UP": decimal.ROUND_HALF_UP,  # 四舍五入
    "ROUND_HALF_EVEN": decimal.ROUND_HALF_EVEN,
    "ROUND_HALF_DOWN": decimal.ROUND_HALF_DOWN,
    "ROUND_UP": decimal.ROUND_UP,
    "ROUND_DOWN": decimal.ROUND_DOWN,
    "ROUND_CEILING": decimal.ROUND_CEILING,
    "ROUND_FLOOR": decimal.ROUND_FLOOR,
}

Number = Decimal | int
#: Decimal exponents the kernel accepts from input (zero aside): magnitudes 1e-30 to 9.99…e30.
#: Compared with ``Decimal.adjusted()``, which does no arithmetic and so cannot overflow.
#: The most significant digits an input number may have: the kernel's precision. A longer one
#: would be computed with as given but written rounded into the canonical submission and its hash,
#: so two inputs would share a hash and a replay would compute with the rounded value.
MAX_DIGITS: Final = KERNEL_CONTEXT.prec  # 28
MIN_EXPONENT: Final = -30
MAX_EXPONENT: Final = 30


def to_decimal(value: object, *, where: str = "value") -> Decimal:
    """Convert an input value to a finite ``Decimal``, exactly.

    Accepts ``Decimal``, ``int`` and numeric text (``"0.03"``, ``"45584"``). A ``float`` is
    accepted only from the Python API and converted through its shortest ``repr`` (``0.1`` becomes
    ``Decimal("0.1")``, not the binary expansion); files and JSON are parsed straight to Decimal
    and never reach this branch. ``bool``, NaN and infinities are rejected, naming ``where``.
    """
    kind = type(value)  # exact types first: every number of every submission passes here
    result: Decimal
    if kind is Decimal:
        result = value  # type: ignore[assignment]
    elif kind is int:
        result = Decimal(value)  # type: ignore[arg-type]
    elif isinstance(value, bool):
        raise NumberError(f"expected a number, got a boolean ({value!r})", path=where)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        result = parse_decimal_text(value, where=where)
    else:
        raise NumberError(f"expected a number, got {type(value).__name__}", path=where)
    if not result.is_finite():
        raise NumberError(f"expected a finite number, got {value!r}", path=where)
    if result and not MIN_EXPONENT <= result.adjusted() <= MAX_EXPONENT:
        # Far outside any count, area or sum of money; such magnitudes only make the 28-digit
        # context overflow, underflow to 0 in print, or take minutes in exact gap arithmetic.
        raise NumberError(f"{value} is outside the kernel's range (magnitudes 1e-30 to 1e31)", path=where)
    if kind is not int and len(str(result)) > MAX_DIGITS and significant_digits(result) > MAX_DIGITS:
        raise NumberError(f"{value} has more than {MAX_DIGITS} significant digits", path=where,
                          hint=f"round it in the source: the kernel computes with {MAX_DIGITS}, and the canonical "
                               "submission and its hash could not hold it exactly")
    return result


def significant_digits(value: Decimal) -> int:
    """The digits of a finite Decimal's coefficient without its trailing zeros (``45584.000`` has 5)."""
    digits = value.as_tuple().digits
    count = len(digits)
    while count > 1 and digits[count - 1] == 0:
        count -= 1
    return count


#: Number text as the kernel reads it: ASCII digits only (``Decimal`` alone would also read
#: full-width ``１２`` and Arabic-Indic ``١٢`` as numbers; the kernel refuses them).
NUMBER_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_decimal_text(value: str, *, where: str = "value") -> Decimal:
    """Numeric text (``"0.03"``, ``"45_584"``, `` 12 ``) to ``Decimal``: ASCII digits only."""
    text = value.strip().replace("_", "")
    if not NUMBER_TEXT.fullmatch(text):
        hint = "write the number with ASCII digits 0-9" if any(c.isnumeric() and not c.isascii() for c in text) else None
        raise NumberError(f"expected a number, got the text {_shown(value)}", path=where, hint=hint)
    try:
        return Decimal(text)
    except decimal.InvalidOperation:  # pragma: no cover - the pattern admits only valid text
        raise NumberError(f"expected a number, got the text {_shown(value)}", path=where) from None


def _shown(value: str) -> str:
    """``repr`` of input text with control characters and lone surrogates escaped."""
    return repr(value.encode("utf-8", "backslashreplace").decode("utf-8"))


def is_number(value: object) -> TypeGuard[Decimal | int]:
    """True for the kernel's numeric values (``Decimal`` or ``int``, never ``bool``)."""
    kind = type(value)  # exact types: a bool is an int subclass and must not count (hot path)
    return kind is Decimal or kind is int or (kind is not bool and isinstance(value, (Decimal, int)))


_NON_ZERO_DIGITS: Final = frozenset("123456789")


def canonical(value: Decimal | int) -> str:
    """The canonical text of a number: no exponent, no trailing zeros, no negative zero.

    Equal values give equal text (``Decimal("3.0")`` and ``Decimal("3")`` both give ``"3"``),
    which is what canonical JSON and content hashes need.
    """
    if type(value) is Decimal:  # the common case, first
        text = str(value)
        if _as_written(text):
            return text
        if value and value.is_finite():
            if "E" not in text:
                if "." in text:  # trailing zeros after the point ("1.50", "100.0"): dropped as normalize() would
                    text = text.rstrip("0").rstrip(".")
                if _digits(text) <= MAX_DIGITS:
                    return text  # a whole number ending in zeros ("100") is canonical as written
            return format(value.normalize(KERNEL_CONTEXT), "f")
    return normalized_text(value)


def normalized_text(value: Decimal | int) -> str:
    """:func:`canonical` by its definition, with no shortcut: the value normalized in the kernel
    context and written without an exponent (``"0"`` for any zero); what its quicker roads give."""
    if isinstance(value, bool):
        raise NumberError(f"cannot serialise the boolean {value} as a number")
    if isinstance(value, int):
        return str(value)
    if not value.is_finite():
        raise NumberError(f"cannot serialise the non-finite number {value}")
    if value.is_zero():
        return "0"
    return format(value.normalize(KERNEL_CONTEXT), "f")


def canonical_texts(values: Sequence[Decimal]) -> list[str]:
    """``[canonical(v) for v in values]`` for a column of Decimals, with the common case (the
    text Python writes is canonical already, as in :func:`canonical`) decided for the whole
    column at once."""
    texts = list(map(str, values))
    digits, limit = _NON_ZERO_DIGITS, MAX_DIGITS
    # _as_written(t) written out: one call per column, not one per value
    for i in [i for i, t in enumerate(texts) if t[-1] not in digits or "E" in t or (len(t) > limit and _digits(t) > limit)]:
        texts[i] = canonical(values[i])
    return texts


def _as_written(text: str) -> bool:
    """Whether a Decimal's ``str()`` is its canonical text already (most computed values): no
    exponent, at most 28 digits (which normalize() would not round), and a last digit 1-9, which
    also means finite, not zero and no trailing zero."""
    return text[-1] in _NON_ZERO_DIGITS and "E" not in text and (len(text) <= MAX_DIGITS or _digits(text) <= MAX_DIGITS)


def _digits(text: str) -> int:
    """The digits of a plain decimal text's coefficient: after any sign and leading zeros, less the point."""
    digits = text.lstrip("-0.")
    return len(digits) - ("." in digits)


def round_to(value: Decimal, places: int, mode: str) -> Decimal:
    """Round ``value`` to ``places`` decimal places with a declared mode (e.g. ``ROUND_HALF_UP``)."""
    try:
        rounding = ROUNDING_MODES[mode]
    except KeyError:
        raise NumberError(
            f"unknown rounding mode {mode!r}", hint="use one of " + ", ".join(sorted(ROUNDING_MODES))
        ) from None
    exponent = Decimal(1).scaleb(-places)
    return Decimal(value).quantize(exponent, rounding=rounding, context=KERNEL_CONTEXT)


def sqrt(value: Decimal) -> Decimal:
    """Square root in the kernel context (correctly rounded to 28 digits, the same everywhere)."""
    if value < 0:
        raise NumberError(f"square root of a negative number ({value})")
    return KERNEL_CONTEXT.sqrt(Decimal(value))


def divide(numerator: Number, denominator: Number, *, where: str = "division") -> Decimal:
    """``numerator / denominator`` in the kernel context; a zero denominator names ``where``."""
    if denominator == 0:
        raise NumberError("division by zero", path=where)
    return KERNEL_CONTEXT.divide(Decimal(numerator), Decimal(denominator))


def as_number(value: object, where: str) -> Decimal:
    """A finite Decimal from a Decimal or int; bools, floats, text and the rest are refused."""
    if isinstance(value, bool):
        raise NumberError(f"expected a number, got a boolean ({value!r})", path=where)
    if not is_number(value):
        kind = type(value).__name__
        raise NumberError(f"expected a Decimal or int, got {kind} ({value!r})", path=where)
    result = Decimal(value)
    if not result.is_finite():
        raise NumberError(f"expected a finite number, got {value!r}", path=where)
    return result


def _sum_key(d: Decimal | int) -> tuple[object, ...]:
    # Value first, then the representation, so that equal values written differently
    # (Decimal("1.0") and Decimal("1")) also sort the same way whatever the input order.
    return (d, Decimal(d).as_tuple())


_INT_SUM_LIMIT: Final = 10**28  # an int total below this is a Decimal sum with no rounding


# ---------------------------------------------------------------------------------------------
# sums over units

#: How the kernel sums over units (docs/trace.md, "Sums"). ``exact`` (result format ``@4`` on):
#: every Σ is the exact total of its exact terms, rounded once to the kernel's precision, so it is
#: order independent by construction and needs no sort. ``ordered`` (formats ``@1``-``@3``): each
#: term rounded to 28 digits, then the terms added in ascending order with one rounding per
#: addition; kept so that a record made in those formats replays digit for digit.
Sums = Literal["exact", "ordered"]
SUMS: Final[contextvars.ContextVar[Sums]] = contextvars.ContextVar("standards_kernel_sums", default="exact")

#: Where an exact sum is taken: enough digits for any total of the kernel's numbers (inputs lie
#: within 1e-30..1e31, computed values within the kernel context's exponents), and Inexact trapped
#: so that a sum that could not be held exactly fails loudly rather than rounding.
EXACT_CONTEXT: Final = decimal.Context(
    prec=decimal.MAX_PREC, rounding=decimal.ROUND_HALF_EVEN, Emin=decimal.MIN_EMIN, Emax=decimal.MAX_EMAX,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact],
)
_ZERO: Final = Decimal(0)


@contextlib.contextmanager
def summing(mode: Sums) -> Iterator[None]:
    """Sums inside the block computed as ``mode`` says (replay of an earlier format: ``ordered``)."""
    if mode not in ("exact", "ordered"):
        raise ValueError(f"sums are 'exact' or 'ordered', not {mode!r}")
    token = SUMS.set(mode)
    try:
        yield
    finally:
        SUMS.reset(token)


def exact_sum(terms: Iterable[Decimal | int]) -> Decimal:
    """Σ of the terms computed exactly and rounded once to the kernel's precision (order independent).

    With no rounding needed it is the exact total, written with the smallest exponent of the terms
    and of the starting 0: the very value and representation :func:`ordered_sum` gives then."""
    with decimal.localcontext(EXACT_CONTEXT):
        whole = sum(terms, _ZERO)  # a Decimal: 0 + an int converts the int exactly
    return KERNEL_CONTEXT.plus(whole)


def kernel_sum(terms: Iterable[Decimal | int]) -> Decimal:
    """Σ of the terms as the current :data:`SUMS` says: :func:`exact_sum` or :func:`ordered_sum`."""
    return exact_sum(terms) if SUMS.get() == "exact" else ordered_sum(terms)


def ordered_sum(terms: Iterable[Decimal | int]) -> Decimal:
    """Σ of the terms in ascending order, in the kernel context (order independent): the sums of
    result formats ``@1``-``@3``."""
    # Decimal sums are rounded to 28 digits after every addition, so the last digit of a long
    # sum can depend on the order of the terms. Sorting the terms (the products P_i·X_i, the
    # P_i·d_i², ...) first makes every sum a function of the set of units alone, whatever order
    # the data arrived in.
    #
    # The order matters only when some partial sum is rounded: a sum with no rounding is the
    # exact total (with the smallest exponent of the terms and of the starting 0) in every
    # order, and so is a sum of ints below 10^28. Equal values written differently
    # (1.0 and 1.00) are ordered by their representation only when rounding makes it matter.
    terms = list(terms)
    if set(map(type, terms)) == {int}:
        whole = sum(terms)
        if -_INT_SUM_LIMIT < whole < _INT_SUM_LIMIT:
            return Decimal(whole)  # (an int: Decimal(whole) is exact)
    ordered = sorted(terms)
    with decimal.localcontext(KERNEL_CONTEXT) as context:
        context.clear_flags()
        result = Decimal(sum(ordered, Decimal(0)))  # a Decimal already: Decimal() returns it as it is
        if not context.flags[decimal.Rounded]:
            return result
        # Equal neighbours written differently (compared, not hashed: hashing a Decimal of
        # 28 digits costs more than sorting it) are the only ties the full key orders otherwise.
        after = ordered[1:]
        if any(map(operator.eq, ordered, after)) and any(a == b and str(a) != str(b) for a, b in zip(ordered, after)):
            if int in set(map(type, terms)):
                ordered = sorted(terms, key=_sum_key)
            else:  # the same order as the key (value, then representation), decorated in C
                decimals = cast("list[Decimal]", terms)
                ordered = [t for t, _ in sorted(zip(decimals, map(Decimal.as_tuple, decimals)))]
            result = Decimal(sum(ordered, Decimal(0)))
    return result
