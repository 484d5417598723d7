"""The input vocabulary: every name a submission may carry, its level, type, unit and labels.

The vocabulary is data (``data/vocabulary.toml``), shared by all standards. A standard may add
inputs of its own under its jurisdiction's prefix (``yunnan.<name>``). Values are checked here
against their type: counts are whole and non-negative, amounts non-negative, rates within [0, 1]
(text such as ``"92.37%"`` is read exactly as 0.9237), and nothing is ever a float.

The vocabulary also says which inputs are *levers* (:func:`lever`): what a county can change to
meet a standard, and which way (teachers and floor area can rise, D-class area can fall; enrolment,
population and the people surveyed are fixed), and which input is part of which total (D-class
area of the floor area), so that a total is not moved to dilute its part's share. A standard may
override a lever in its ``[levers]`` table (:func:`check_levers`); a standard's own input without
one is a lever either way when it is a number or yes/no (the kernel cannot know better: the
standard should say), else fixed.
"""

from __future__ import annotations

import difflib
import functools
from decimal import Decimal
from importlib import resources
from typing import Any, Literal, Mapping

import attrs
import tomli

from ..errors import NumberError, SubmissionError
from .model import InputSpec, Label
from .numbers import KERNEL_CONTEXT, MAX_DIGITS, MAX_EXPONENT, MIN_EXPONENT, to_decimal

LEVELS = ("school", "township", "county")


@functools.cache
def _data() -> dict[str, Any]:
    text = resources.files("standards_kernel").joinpath("data/vocabulary.toml").read_text("utf-8")
    return tomli.loads(text)


@functools.cache
def vocabulary() -> dict[str, dict[str, InputSpec]]:
    """The vocabulary by level, then by name (names ending in ``.*`` admit any last segment)."""
    raw = _data()
    return {
        level: {
            name: InputSpec(
                name=name,
                level=level,  # type: ignore[arg-type]
                type=spec["type"],
                label=Label(spec.get("zh", ""), spec.get("en", "")),
                unit=spec.get("unit", ""),
                table=spec.get("table", ""),
                choices=tuple(spec.get("choices", ())),
            )
            for name, spec in raw.get(level, {}).items()
        }
        for level in LEVELS
    }


def lookup(
    level: str, name: str, extra: Mapping[str, InputSpec] | None = None
) -> InputSpec | None:
    """The spec of ``name`` at ``level``: exact name, then a ``prefix.*`` pattern, then ``extra``."""
    specs = vocabulary()[level]
    if name in specs:
        return specs[name]
    if "." in name:
        pattern = name.rsplit(".", 1)[0] + ".*"
        if pattern in specs:
            return attrs.evolve(specs[pattern], name=name)
    if extra and name in extra and extra[name].level == level:
        return extra[name]
    return None


# -- levers ----------------------------------------------------------------------------------

LEVER_DIRECTIONS = ("up", "down", "either", "fixed")
#: A standard's own input without a lever: of these types it may move either way (its standard
#: knows which way, and says so in ``[levers]``); others (text, points, facts) are fixed.
_OWN_LEVER_TYPES = ("count", "amount", "rate", "decimal", "bool")


@attrs.frozen
class Lever:
    """Whether a county can change an input to meet a standard, and which way."""

    direction: Literal["up", "down", "either", "fixed"]
    why: str = ""  # fixed: the key of its wording in :func:`lever_reasons`
    part_of: str = ""  # the total (same level) this input is part of: D-class area of the floor area
    by: Literal["vocabulary", "standard", "type"] = "vocabulary"

    def allows(self, move: str) -> bool:
        """Whether moving the input ``move`` ("up" or "down") is a repair a county can make."""
        return self.direction in (move, "either")


@functools.cache
def _vocabulary_levers() -> dict[str, dict[str, Lever]]:
    raw = _data()
    return {
        level: {
            name: Lever(spec.get("lever", "fixed"), spec.get("why", "" if "lever" in spec else "not_declared"),
                        spec.get("part_of", ""))
            for name, spec in raw.get(level, {}).items()
        }
        for level in LEVELS
    }


def _pattern(name: str) -> str | None:
    return name.rsplit(".", 1)[0] + ".*" if "." in name else None


def lever(level: str, name: str, levers: Mapping[str, str] | None = None,
          extra: Mapping[str, InputSpec] | None = None) -> Lever:
    """The lever of ``name`` at ``level``: the standard's ``[levers]`` entry (``levers``, keyed
    ``<level>.<name>`` or ``<level>.<prefix>.*``), else the vocabulary's, else for a standard's own
    input (``extra``) by its type, else fixed."""
    known = _vocabulary_levers()[level]
    pattern = _pattern(name)
    base = known.get(name) or (known.get(pattern) if pattern else None)
    if base is None:
        spec = (extra or {}).get(name)
        if spec is not None and spec.level == level and spec.type in _OWN_LEVER_TYPES:
            base = Lever("either", by="type")
        else:
            base = Lever("fixed", "not_declared", by="type")
    for key in (f"{level}.{name}", f"{level}.{pattern}" if pattern else None):
        if key and levers and key in levers:
            direction = levers[key]
            return Lever(direction, "standard" if direction == "fixed" else "", base.part_of, "standard")  # type: ignore[arg-type]
    return base


def check_levers(levers: Mapping[str, Any], extra: Mapping[str, InputSpec]) -> list[tuple[str, str, str]]:
    """Problems of a standard's ``[levers]`` table, as ``(key, message, hint)``: every key names a
    known input as ``<level>.<name>``, every value is up, down, either or fixed."""
    problems = []
    for key, value in sorted(levers.items()):
        level, _, name = key.partition(".")
        if level not in LEVELS or not name:
            problems.append((key, f"{key!r} does not name an input as <level>.<name>",
                             'write e.g. "school.building_area_m2" or "county.funding.*"'))
        elif lookup(level, name, extra) is None and name not in vocabulary()[level]:
            problems.append((key, f"unknown {level} input {name!r}", suggest(level, name, extra) or ""))
        elif value not in LEVER_DIRECTIONS:
            problems.append((key, f"{value!r} is not a lever direction", "one of " + ", ".join(LEVER_DIRECTIONS)))
    return problems


@functools.cache
def lever_reasons() -> dict[str, Label]:
    """Why an input is not a lever (or not here), in zh and en; ``{name}`` stands for its label."""
    return {key: Label(text["zh"], text["en"]) for key, text in _data().get("lever_reasons", {}).items()}


def suggest(level: str, name: str, extra: Mapping[str, InputSpec] | None = None) -> str | None:
    """A hint naming the closest known names, for an unknown one."""
    known = list(vocabulary()[level]) + [n for n, s in (extra or {}).items() if s.level == level]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f"see the {level}-level names of the data dictionary (standards-kernel template)"


#: Numeric spec types, and the whole ones among them.
_NUMERIC = frozenset(("count", "fact", "amount", "decimal", "points", "rate"))
_INT_LIMIT = 10 ** (MAX_EXPONENT + 1)  # an int below this is within to_decimal's range


def plain(spec: InputSpec, value: object) -> Decimal | int | bool | str | None:
    """``value`` in the kernel's exact type when it is plainly valid for ``spec``, else None.

    The common case of every submission value (an int count, numeric text or a Decimal amount,
    text, a bool) decided by a few tests of exact types, without building the error path's
    ``where``; whatever this does not accept, :func:`coerce` checks in full and names what is
    wrong. Whenever it returns a value, it is the value :func:`coerce` returns (tested against
    the full path in tests/kernel/test_submission_fast_paths.py)."""
    kind = spec.type
    vtype = type(value)
    v: Any = value  # its type is tested exactly below (not narrowed: isinstance is slower)
    number: Decimal
    if vtype is int:
        if 0 <= v < _INT_LIMIT:
            if kind == "count" or kind == "fact":
                return v
            if kind == "amount" or kind == "decimal" or kind == "points" or (kind == "rate" and v <= 1):
                return Decimal(v)
        return None
    if vtype is str:
        if kind == "text":
            return v if not spec.choices or v in spec.choices else None
        # ASCII digits with at most one point: what NUMBER_TEXT admits with nothing to strip
        if kind not in _NUMERIC or not v.isascii() or not v.replace(".", "", 1).isdigit():
            return None
        number = Decimal(v)
    elif vtype is Decimal:
        if kind not in _NUMERIC or not v.is_finite() or v < 0:
            return None
        number = v
    elif vtype is bool:
        return v if kind == "bool" or kind == "fact" else None
    else:
        return None
    if number and not MIN_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        return None
    if kind == "count" or kind == "fact":
        return int(number) if number == number.to_integral_value() else None
    if len(str(number)) > MAX_DIGITS:  # perhaps more digits than the kernel keeps: the full check decides
        return None
    if kind == "rate" and number > 1:
        return None
    return number


_INT, _DECIMAL, _STR, _BOOL = frozenset((int,)), frozenset((Decimal,)), frozenset((str,)), frozenset((bool,))
_EXACT = frozenset((int, Decimal))


def plain_column(spec: InputSpec, column: list[Any]) -> list[Any] | None:
    """``[plain(spec, v) for v in column]`` when every value is plainly valid, else None; the
    ``column`` itself when each value is kept as it is.

    The common columns of a county's schools are decided by a few calls over the whole column:
    whole counts by their least and greatest, Decimal amounts and rates by their texts (no
    exponent, sign, NaN or Infinity and at most MAX_DIGITS characters: finite, not negative,
    within the exponent range and short enough), text by its set, yes/no by its types."""
    kinds = set(map(type, column))
    kind = spec.type
    if kinds == _INT and (kind == "count" or kind == "fact"):
        if min(column) >= 0 and max(column) < _INT_LIMIT:
            return column
    elif _EXACT.issuperset(kinds) and (kind == "amount" or kind == "decimal" or kind == "points" or kind == "rate"):
        texts = list(map(str, column))  # (an int's text passes only below 10**28: under _INT_LIMIT)
        joined = "".join(texts)
        if ("E" not in joined and "N" not in joined and "I" not in joined and "-" not in joined
                and max(map(len, texts)) <= MAX_DIGITS and (kind != "rate" or max(column) <= 1)):
            return column if kinds == _DECIMAL else list(map(Decimal, column))  # an int amount made a Decimal
    elif kinds == _STR:
        if kind == "text" and (not spec.choices or set(column).issubset(spec.choices)):
            return column
    elif kinds == _BOOL and (kind == "bool" or kind == "fact"):
        return column
    found = [plain(spec, value) for value in column]
    return None if None in found else found


def coerce(spec: InputSpec, value: object, *, where: str) -> Decimal | int | bool | str:
    """Check ``value`` against its spec and return it in the kernel's exact types."""
    found = plain(spec, value)
    return found if found is not None else _checked(spec, value, where=where)


def _checked(spec: InputSpec, value: object, *, where: str) -> Decimal | int | bool | str:
    """:func:`coerce` in full: every check, each error naming ``where``."""
    kind = spec.type
    try:
        if kind == "text":
            if not isinstance(value, str):
                raise SubmissionError(f"expected text, got {_show(value)}", path=where)
            if spec.choices and value not in spec.choices:
                raise SubmissionError(
                    f"{value!r} is not one of the allowed values",
                    path=where,
                    hint="allowed: " + ", ".join(spec.choices),
                )
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                raise SubmissionError(f"expected true or false, got {_show(value)}", path=where)
            return value
        if kind == "fact" and isinstance(value, bool):
            return value
        if isinstance(value, str) and kind == "rate" and value.strip().endswith("%"):
            # in the kernel's context: the caller's (say 6 digits) must not cut "2.5934567%" short
            number = KERNEL_CONTEXT.divide(to_decimal(value.strip()[:-1], where=where), 100)
        else:
            number = to_decimal(value, where=where)
        if number < 0:
            raise SubmissionError(f"must not be negative, got {value}", path=where)
        if kind in ("count", "fact"):
            if number != number.to_integral_value():
                raise SubmissionError(f"expected a whole number, got {value}", path=where)
            return int(number)
        if kind == "rate" and number > 1:
            raise SubmissionError(
                f"a rate must lie between 0 and 1, got {value}",
                path=where,
                hint='write 0.9237 or "92.37%"',
            )
        return number
    except NumberError as error:
        raise SubmissionError(error.message, path=where, hint=error.hint) from None


def _show(value: object) -> str:
    return f"{type(value).__name__} {value!r}"
