"""The input vocabulary: every name a submission may carry, its level, type, unit and labels.

The vocabulary is data (``data/vocabulary.toml``), shared by all standards. A standard may add
inputs of its own under its jurisdiction's prefix (``yunnan.<name>``). Values are checked here
against their type: counts are whole and non-negative, amounts non-negative, rates within [0, 1]
(text such as ``"92.37%"`` is read exactly as 0.9237), and nothing is ever a float.
"""

from __future__ import annotations

import difflib
import functools
from decimal import Decimal
from importlib import resources
from typing import Mapping

import attrs
import tomli

from ..errors import NumberError, SubmissionError
from .model import InputSpec, Label
from .numbers import KERNEL_CONTEXT, to_decimal

LEVELS = ("school", "township", "county")


@functools.cache
def vocabulary() -> dict[str, dict[str, InputSpec]]:
    """The vocabulary by level, then by name (names ending in ``.*`` admit any last segment)."""
    text = resources.files("standards_kernel").joinpath("data/vocabulary.toml").read_text("utf-8")
    raw = tomli.loads(text)
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


def suggest(level: str, name: str, extra: Mapping[str, InputSpec] | None = None) -> str | None:
    """A hint naming the closest known names, for an unknown one."""
    known = list(vocabulary()[level]) + [n for n, s in (extra or {}).items() if s.level == level]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f"see the {level}-level names of the data dictionary (standards-kernel template)"


def coerce(spec: InputSpec, value: object, *, where: str) -> Decimal | int | bool | str:
    """Check ``value`` against its spec and return it in the kernel's exact types."""
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
