"""``exact_json`` and ``check_text_values`` read as they did before the fast path (issue #13).

The reading before is the oracle below: walk the text's brackets, parse, walk every value.
The kernel now parses first and walks only when a walk can find something; on any text, valid or
not, it must return the same data or raise the same error (type, message, path, line, position).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from standards_kernel.kernel.formats import (MAX_DEPTH, InputTextError, _check_json_depth, _check_text_values_naming,
                                             _reject_constant, _shown, check_text_values, exact_json)

# -- the oracle: formats.py's reading as of commit b86d74a: walk the text's brackets, parse with -----
# -- every object's keys checked, walk every value. The two walks are formats.py's own, unchanged ----


def old_exact_json(text: str) -> Any:
    _check_json_depth(text)
    data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_old_unique_keys)
    _check_text_values_naming(data)
    return data


def _old_unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise InputTextError(f"duplicate key {_shown(key)}: a key may appear once in an object")
        data[key] = value
    return data


def outcome(read: Any, value: Any) -> tuple[object, ...]:
    """What a reader did: the data exactly (``repr`` tells ``Decimal('1.0')`` from ``Decimal('1')``
    and keeps key order), or the error with everything a caller can read from it."""
    try:
        data = read(value)
    except RecursionError as exc:  # a refusal is an outcome too
        return ("error", "RecursionError", str(exc)[:40])
    except Exception as exc:  # noqa: BLE001
        fields = (type(exc).__name__, str(exc), getattr(exc, "path", None), getattr(exc, "line", None),
                  getattr(exc, "lineno", None), getattr(exc, "colno", None), getattr(exc, "pos", None))
        return ("error", *fields)
    return ("data", repr(data))


# -- random JSON-ish text -------------------------------------------------------------------------

SURROGATE_ISH = st.characters(min_codepoint=0xD7F0, max_codepoint=0xE00F)
TEXTS = st.text(st.characters(codec=None) | SURROGATE_ISH | st.sampled_from('[]{}"\\:,\n'), max_size=8)
RAW_STRINGS = st.sampled_from([
    '"\\ud800"', '"a\\uDFFF"', '"\\ud83d\\ude00"', '"\\ude00\\ud83d"', '"\\\\ud800"', '"\\u00e9\\u6d4b"',
    '"[{"', '"]}]}"', '"\\""', '"\\\\"', '"\\u005b"', '"x\\nx"', '"\ud800"', '"\udfff\ud800"', '"测试县"',
])
NUMBERS = st.sampled_from(["0", "-1", "1.50", "1e5", "2E-3", "12345678901234567890", "NaN", "-Infinity", "Infinity",
                           "1.0e999999", "true", "false", "null"])


def _string(value: str, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)


SCALARS = NUMBERS | RAW_STRINGS | st.builds(_string, TEXTS, st.booleans())
KEYS = RAW_STRINGS | st.sampled_from(['"a"', '"b"', '"a"', '"[{"', '"\\u0061"']) | st.builds(_string, TEXTS, st.booleans())
SPACE = st.sampled_from(["", "", " ", "\n", "\n  ", "\r\n"])


def _array(items: list[str], space: str) -> str:
    return "[" + space + ("," + space).join(items) + space + "]"


def _object(pairs: list[tuple[str, str]], space: str) -> str:
    return "{" + space + ("," + space).join(f"{key}:{space}{value}" for key, value in pairs) + space + "}"


def _nested(inner: str, levels: int, kinds: str, space: str) -> str:
    opening = "".join("[" + space if kinds[i % len(kinds)] == "[" else '{"k":' + space for i in range(levels))
    closing = "".join(space + ("]" if kinds[i % len(kinds)] == "[" else "}") for i in reversed(range(levels)))
    return opening + inner + closing


VALUES = st.recursive(
    SCALARS,
    lambda inner: st.builds(_array, st.lists(inner, max_size=4), SPACE)
    | st.builds(_object, st.lists(st.tuples(KEYS, inner), max_size=4), SPACE)
    | st.builds(_nested, inner, st.integers(0, MAX_DEPTH + 6), st.sampled_from(["[", "{", "[{", "{{["]), SPACE),
    max_leaves=12,
)


@st.composite
def json_ish(draw: st.DrawFn) -> str:
    """Valid JSON, and JSON broken by cutting, inserting or deleting a few characters."""
    text = draw(VALUES)
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(text)))
            change = draw(st.sampled_from(["cut", "insert", "delete"]))
            if change == "cut":
                text = text[:at]
            elif change == "insert":
                text = text[:at] + draw(st.sampled_from(list('[]{}",:\\\nx1') + ["[" * 70, "\ud800"])) + text[at:]
            else:
                text = text[:at] + text[at + 1:]
    return text


@settings(max_examples=1500, deadline=None)
@given(json_ish())
def test_exact_json_reads_every_text_as_the_old_reading_did(text: str) -> None:
    assert outcome(exact_json, text) == outcome(old_exact_json, text)


PLAIN = st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=False) | st.dates() \
    | st.text(st.characters(codec=None) | SURROGATE_ISH, max_size=6)
DATA = st.recursive(
    PLAIN,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(st.characters(codec=None) | SURROGATE_ISH, max_size=4) | st.integers(0, 3), inner, max_size=4)
    | st.builds(lambda value, levels: _wrap(value, levels), inner, st.integers(0, MAX_DEPTH + 3)),
    max_leaves=12,
)


def _wrap(value: Any, levels: int) -> Any:
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


@settings(max_examples=800, deadline=None)
@given(DATA)
def test_check_text_values_refuses_what_the_old_walk_refused(data: Any) -> None:
    assert outcome(check_text_values, data) == outcome(_check_text_values_naming, data)


# -- the cases that matter, written out --------------------------------------------------------------


def test_a_county_line_reads_as_before() -> None:
    from standards_kernel.batch.synth import generate
    from standards_kernel.kernel.registry import default_registry

    data = next(iter(generate(default_registry().get("national.quality-balance@2017"), 1, 100, seed=7)))
    for ascii_only in (True, False):
        text = json.dumps(data, default=str, ensure_ascii=ascii_only)
        assert outcome(exact_json, text) == outcome(old_exact_json, text)
        assert outcome(exact_json, text)[0] == "data"


@pytest.mark.parametrize("text", [
    "\n\n" + "[" * 1_000_000,                       # the C parser gives up (RecursionError): the text walk names line 3
    "[" * 1_000_000 + "]" * 1_000_000,
    '{"a":' * 1_000_000 + "1" + "}" * 1_000_000,
    "[\n" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),  # valid and parsed in C: refused after, with its line
    "[" * 500 + "]" * 500,
    "[" * (MAX_DEPTH + 1) + "x",                      # too deep wins over the syntax error, as before
    '[1, "' + "[" * 100 + '"]',                       # brackets in text do not count
    "]" * 10 + "[" * 70,                              # the old walk's count, unbalanced text included
])
def test_deep_text_is_refused_as_before(text: str) -> None:
    assert outcome(exact_json, text) == outcome(old_exact_json, text)


def test_a_million_levels_are_refused_with_the_line_and_no_parser_error_attached() -> None:
    with pytest.raises(InputTextError) as caught:
        exact_json("\n\n" + "[" * 1_000_000)
    assert str(caught.value) == f"nested deeper than {MAX_DEPTH} levels (line 3)"
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    with pytest.raises(InputTextError, match=r"\(line 65\)"):
        exact_json("[\n" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_a_surrogate_character_in_the_callers_str_is_refused_like_an_escape() -> None:
    for text in ('{"county": {"name": "\ud800"}}', '{"county": {"name": "\\ud800"}}'):
        with pytest.raises(InputTextError) as caught:
            exact_json(text)
        assert caught.value.path == "county.name" and "lone surrogate \\ud800" in caught.value.message
    with pytest.raises(InputTextError, match=r"a key holds a lone surrogate \\udfff"):
        exact_json('{"a": {"\udfff": 1}}')
    assert exact_json('{"a": "\\\\ud800"}') == {"a": "\\ud800"}  # an escaped backslash, then text
    assert exact_json('{"a": "\\uD83D\\uDE00"}') == {"a": "\U0001f600"}


def test_the_first_duplicate_key_is_named() -> None:
    with pytest.raises(InputTextError, match="duplicate key 'b'"):
        exact_json('{"a": 1, "b": 1, "b": 2, "a": 3}')
    with pytest.raises(InputTextError, match="duplicate key 'a'"):
        exact_json('{"a": 1, "\\u0061": 2}')
    with pytest.raises(InputTextError) as caught:
        exact_json('{"\\ud800": 1, "\\ud800": 2}')
    assert caught.value.message == "duplicate key '\\\\ud800': a key may appear once in an object"


def test_check_text_values_names_the_path_of_the_first_refusal() -> None:
    with pytest.raises(InputTextError) as caught:
        check_text_values({"a": [1, {"b": "x\udc00"}], "c": dt.date(2020, 1, 1)})
    assert caught.value.path == "a[1].b"
    with pytest.raises(InputTextError) as caught:
        check_text_values({"a": _wrap("x", MAX_DEPTH + 1)})
    assert caught.value.message == f"nested deeper than {MAX_DEPTH} levels"
    assert outcome(check_text_values, {1: "x", "k": ["\ud800"]}) == outcome(_check_text_values_naming, {1: "x", "k": ["\ud800"]})
    check_text_values({"a": [_wrap(Decimal("1.5"), MAX_DEPTH - 2)], 2: None})  # 64 levels: the most allowed


@pytest.mark.parametrize("text", [
    '{"a":1,"a":2}',                     # compact: more colons than keys read
    '{"a":{"b":1,"b":2},"c":{"b":3}}',   # the same key in two objects is no fault; twice in one is
    '{"a" :1,"a"\n:2}',                  # white space before the colon
    '{"a":"x:y","a":2}',                 # a colon in a value as well
    '{"a":"x:y","b":"::"}',              # colons in values, no key twice: read by the checked parse
    '[{"a":1},{"a":1,"a":1}]',
    '{"\\u0061":1,"a":2}',                # the same key written two ways
    '{"a":[1,{"b":"c"}],"d":{}}',
])
def test_a_key_given_twice_is_refused_as_before_and_the_rest_read(text: str) -> None:
    assert outcome(exact_json, text) == outcome(old_exact_json, text)


def test_a_county_line_has_a_colon_per_key_so_the_parse_without_the_key_check_stands() -> None:
    from standards_kernel.batch.synth import generate
    from standards_kernel.kernel.formats import _shape, content_json
    from standards_kernel.kernel.registry import default_registry

    text = content_json(next(iter(generate(default_registry().get("national.quality-balance@2017"), 1, 20, seed=3))))
    assert _shape(json.loads(text, parse_float=Decimal)) == (False, text.count(":"))
    assert outcome(exact_json, text) == outcome(old_exact_json, text)
