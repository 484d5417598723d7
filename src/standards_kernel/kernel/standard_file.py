"""The standard file format, as strict attrs classes that cattrs structures TOML (or JSON) into.

These classes mirror the file one to one; unknown keys are errors. The loader turns them into the
model (:mod:`standards_kernel.kernel.model`), compiling formulas and checking every reference.
The complete reference of each key is docs/standard-format.md.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ..errors import KernelError
from .numbers import KERNEL_CONTEXT, to_decimal

Scalar = Decimal | bool | str
Limit = Decimal | bool | str


@attrs.define
class RawLabel:
    zh: str
    en: str = ""


#: A note: one text, or ``{ zh = "…", en = "…" }`` in both languages.
Note = str | RawLabel


@attrs.define
class RawHeader:
    id: str
    edition: str
    jurisdiction: str
    title: RawLabel
    effective_from: dt.date
    effective_until: dt.date | None = None
    extends: str | None = None
    description: str = ""


@attrs.define
class RawRounding:
    places: int
    mode: str = "ROUND_HALF_UP"


@attrs.define
class RawRoundingTable:
    display: RawRounding | None = None
    score: RawRounding | None = None


@attrs.define
class RawSource:
    title: str
    issuer: str = ""
    number: str = ""
    date: dt.date | None = None
    address: str = ""
    note: Note = ""


@attrs.define
class RawDated:
    start: dt.date  # "from" in the file
    value: Scalar
    source: str | None = None
    locator: str = ""
    text: str = ""  # the short phrase of the source the value rests on, quoted
    status: str | None = None
    note: Note = ""


@attrs.define
class RawParameter:
    label: RawLabel | None = None
    unit: str = ""
    value: Scalar | None = None
    values: list[RawDated] | None = None
    source: str | None = None
    locator: str = ""
    text: str = ""  # the short phrase of the source the value rests on, quoted
    status: str | None = None
    note: Note = ""
    range: list[Scalar] | None = None  # [lo, hi]: the plausible values, read by the sensitivity analysis


@attrs.define
class RawInput:
    level: str
    type: str
    label: RawLabel
    unit: str = ""
    table: str = ""
    choices: list[str] = attrs.Factory(list)


@attrs.define
class RawUnitSet:
    base: str  # "from" in the file
    segment: str | None = None
    where: str | None = None
    label: RawLabel | None = None


@attrs.define
class RawCheck:
    op: str
    limit: Limit


@attrs.define
class RawAggregate:
    function: str
    of: str
    over: str | None = None
    weight: str | None = None


@attrs.define
class RawKOfN:
    k: int
    of: list[str]
    floor: Decimal | None = None


@attrs.define
class RawBand:
    # target form: at_least (fraction of the check's limit) and share; value form (on = "value"):
    # at_least or at_most (the value itself) and points. The loader says which is missing.
    at_least: Decimal | None = None
    share: Decimal | None = None
    at_most: Decimal | None = None
    points: Decimal | None = None


@attrs.define
class RawScoring:
    kind: str
    max: Decimal
    area: str | None = None
    per: Decimal | None = None
    deduct: Decimal | None = None
    steps: str | None = None
    target: Limit | None = None
    bands: list[RawBand] = attrs.Factory(list)
    levels: dict[str, Decimal] = attrs.Factory(dict)
    when: str | None = None
    on: str | None = None  # bands: "target" (value ÷ the check's limit, shares; default) or "value" (points)


@attrs.define
class RawIndicator:
    label: RawLabel
    unit: str = ""
    level: str = "county"
    direction: str | None = None
    input: str | None = None
    formula: str | None = None
    aggregate: RawAggregate | None = None
    k_of_n: RawKOfN | None = None
    fallback_input: str | None = None
    check: RawCheck | None = None
    scoring: RawScoring | None = None
    round: RawRounding | None = None
    source: str | None = None
    locator: str = ""
    text: str = ""  # the short phrase of the source the value rests on, quoted
    status: str | None = None
    note: Note = ""
    assessable: str | None = None  # "when_inputs_present": missing inputs make it not assessable


@attrs.define
class RawArea:
    label: RawLabel
    max: Decimal
    parent: str | None = None
    source: str | None = None
    locator: str = ""
    text: str = ""  # the short phrase of the source the value rests on, quoted
    status: str | None = None
    note: Note = ""


@attrs.define
class RawRule:
    label: RawLabel
    indicator: str
    effect: str
    grade: str | None = None
    group: str = ""
    priority: int = 0
    source: str | None = None
    locator: str = ""
    text: str = ""  # the short phrase of the source the value rests on, quoted
    status: str | None = None
    note: Note = ""


@attrs.define
class RawGrade:
    id: str
    label: RawLabel
    min_score: Limit | None = None


@attrs.define
class RawStandardFile:
    standard: RawHeader
    format: int = 1
    rounding: RawRoundingTable = attrs.Factory(RawRoundingTable)
    sources: dict[str, RawSource] = attrs.Factory(dict)
    parameters: dict[str, RawParameter] = attrs.Factory(dict)
    inputs: dict[str, RawInput] = attrs.Factory(dict)
    units: dict[str, RawUnitSet] = attrs.Factory(dict)
    indicators: dict[str, RawIndicator] = attrs.Factory(dict)
    areas: dict[str, RawArea] = attrs.Factory(dict)
    gates: dict[str, RawRule] = attrs.Factory(dict)
    vetoes: dict[str, RawRule] = attrs.Factory(dict)
    grades: list[RawGrade] = attrs.Factory(list)
    remove: list[str] = attrs.Factory(list)
    origins: dict[str, str] = attrs.Factory(dict)  # written by the loader into merged content
    levers: dict[str, str] = attrs.Factory(dict)  # "<level>.<name>" → up | down | fixed (vocabulary.lever)


def _structure_decimal(value: Any, _type: Any) -> Decimal:
    if isinstance(value, float):
        # tomli/json are told to parse floats as Decimal; a float here came from Python code.
        raise TypeError("binary floats are not accepted; write the number as text or Decimal")
    if isinstance(value, str) and value.strip().endswith("%"):  # "80%" as the texts write it: exactly 0.8
        return KERNEL_CONTEXT.divide(to_decimal(value.strip()[:-1], where="number"), 100)
    return to_decimal(value, where="number")


def _structure_scalar(value: Any, _type: Any) -> Scalar:
    if isinstance(value, bool) or isinstance(value, str):
        return value
    return _structure_decimal(value, Decimal)


def _structure_date(value: Any, _type: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise TypeError(f"expected a date YYYY-MM-DD, got {value!r}")


def _structure_str(value: Any, _type: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__} {value!r}")
    return value


def _structure_int(value: Any, _type: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value


def make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(Scalar, _structure_scalar)
    converter.register_structure_hook(
        Scalar | None, lambda v, t: None if v is None else _structure_scalar(v, t)
    )
    converter.register_structure_hook(dt.date, _structure_date)
    converter.register_structure_hook(Note, lambda v, _t: v if isinstance(v, str) else converter.structure(v, RawLabel))
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    # `from` is a Python keyword: the fields are named start/base and read from the key "from".
    converter.register_structure_hook(
        RawDated,
        make_dict_structure_fn(RawDated, converter, _cattrs_forbid_extra_keys=True, start=override(rename="from")),
    )
    converter.register_structure_hook(
        RawUnitSet,
        make_dict_structure_fn(RawUnitSet, converter, _cattrs_forbid_extra_keys=True, base=override(rename="from")),
    )
    return converter


CONVERTER = make_converter()


def structure_file(raw: dict[str, Any]) -> tuple[RawStandardFile | None, list[tuple[str, str]]]:
    """Structure parsed data; on failure return the errors as (key path, message) pairs."""
    try:
        return CONVERTER.structure(raw, RawStandardFile), []
    except Exception as exc:  # cattrs raises grouped exceptions; flatten them into paths
        messages = cattrs.transform_error(exc, path="$", format_exception=_format_exception)
        return None, [_split(message) for message in messages]


def _format_exception(exc: BaseException, type_: Any) -> str:
    if isinstance(exc, KernelError):
        return exc.message
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return "unknown key(s) " + ", ".join(repr(k) for k in sorted(exc.extra_fields))
    if isinstance(exc, KeyError):
        return "required key missing"
    if isinstance(exc, (TypeError, ValueError)) and str(exc):
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


def _split(message: str) -> tuple[str, str]:
    text, _, path = message.rpartition(" @ ")
    path = path.removeprefix("$").lstrip(".")
    path = re.sub(r"\['([^']*)'\]", r".\1", path).lstrip(".")
    path = path.replace(".start", ".from").replace(".base", ".from")
    return path, text
