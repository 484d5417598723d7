"""Reading and writing text: TOML and JSON parsed with every number as Decimal, canonical JSON.

Canonical JSON is what hashes and byte-identical results rest on: keys sorted, no spaces, UTF-8
kept, dates as ``YYYY-MM-DD``. Two flavours of number: in results (the API's promise) decimals are
JSON *strings*; in a standard's content, numbers stay JSON *numbers* written from their canonical
text, so that content read back with ``parse_float=Decimal`` is the same content, exactly.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import operator
import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any, Final

import tomli

from ..errors import KernelError
from .numbers import MAX_DIGITS, canonical, canonical_texts


#: The deepest nesting of arrays and objects (tables) read from JSON or TOML. A submission is 3
#: levels deep, a standard about 6; 64 leaves room and stays far from Python's recursion limit.
MAX_DEPTH: Final = 64


class InputTextError(ValueError):
    """JSON or TOML text the kernel refuses (duplicate key, lone surrogate, too deep), with a
    ``path`` (the key path, when known) and a ``line``; a ``ValueError``, so callers that catch
    ``json.loads``' errors catch it too."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.message, self.path, self.line = message, path, line
        super().__init__((f"{path}: " if path else "") + message + (f" (line {line})" if line else ""))


def exact_json(text: str) -> Any:
    """``json.loads`` the kernel's way: every non-integer number a ``Decimal``, never a float;
    ``NaN``/``Infinity``, duplicate keys, lone surrogate escapes (``"\\ud800"``) and nesting
    deeper than :data:`MAX_DEPTH` refused (:class:`InputTextError`, a ``ValueError``; a syntax
    error is ``json.JSONDecodeError``).

    The C parser runs first, building its dicts itself; the walks in Python run only when they
    can find something: the bracket walk of the text (which names the line) when parsing failed
    or the data is too deep, the surrogate walk when the text holds a surrogate escape or
    character. A key given twice leaves fewer keys in the data than the text has, and every key
    of the text is followed by a colon of its own: when the text has as many colons as the data
    has keys, no key is given twice. Nor is one when no quote is followed by white space (so
    every key's quote is followed by its colon) and the text has as many ``":`` as the data has
    keys (colons in text values: a record's times). Otherwise the text is parsed again with the
    check of every object (:func:`_unique_keys`), which refuses the first key given twice.
    Refusals and their order are those of walking the text first, parsing, then walking the
    data (tests/kernel/test_exact_json.py keeps that reading as the oracle)."""
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except Exception:  # noqa: BLE001 - the checked parse raises what the kernel says
        data = _FAILED
    if data is _FAILED:  # outside the handler: its error carries no parser error as context
        return _checked_json(text)
    deep, keys = _shape(data)
    if deep:
        _check_json_depth(text)  # parsed JSON is as deep as its text: this raises, naming the line
    elif keys != text.count(":") and (keys != text.count('":') or _QUOTE_SPACE.search(text)):
        return _checked_json(text)  # a key perhaps given twice: every object checked
    if _may_hold_surrogate(text):
        check_text_values(data)
    return data


_FAILED: Final = object()
#: A quote followed by white space: where a key may end with no colon right after it.
_QUOTE_SPACE: Final = re.compile(r'"[ \t\n\r]')


def _checked_json(text: str) -> Any:
    """:func:`exact_json` with every object's keys checked as it is parsed."""
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except Exception as exc:  # noqa: BLE001 - re-raised below unless the text is too deep
        failure: Exception | None = exc
    else:
        failure = None
    if failure is not None:  # outside the handler: a depth refusal carries no parser error as context
        try:
            _check_json_depth(text)  # too deep text is refused before (and instead of) any parse error
            raise failure
        finally:
            failure = None  # no cycle through this frame's traceback keeps the text alive
    deep, _ = _shape(data)
    if deep:
        _check_json_depth(text)
    if deep or _may_hold_surrogate(text):
        check_text_values(data)
    return data


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)

#: A JSON escape of a UTF-16 surrogate (U+D800–U+DFFF): the only way JSON text in ASCII can
#: put a surrogate into the data (a pair is read as one character; a lone one is refused).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_json_depth(text: str) -> None:
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise InputTextError(f"nested deeper than {MAX_DEPTH} levels", line=line)
        elif token in "]}":
            depth -= 1


def _shape(data: Any) -> tuple[bool, int]:
    """Whether parsed JSON is nested deeper than :data:`MAX_DEPTH`, and (when not) how many keys
    its objects hold: a walk of its containers, level by level (json's C parser itself gives up
    only near the recursion limit, ~1000 levels)."""
    level = [data] if type(data) is dict or type(data) is list else []
    keys = 0
    for _ in range(MAX_DEPTH):
        if not level:
            return False, keys
        keys += sum([len(container) for container in level if type(container) is dict])
        level = [item for container in level for item in (container.values() if type(container) is dict else container)
                 if type(item) is dict or type(item) is list]
    return bool(level), keys


def _may_hold_surrogate(text: str) -> bool:
    """Whether data parsed from ``text`` can hold a surrogate: from an escape, or from a surrogate
    character in the ``str`` itself (text decoded from UTF-8 holds none, but a caller's may)."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return _SURROGATE_ESCAPE.search(text) is not None  # alone: quicker than a '\\u' in text test first


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)  # in C; a key seen twice leaves fewer entries than pairs
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InputTextError(f"duplicate key {_shown(key)}: a key may appear once in an object")
            seen.add(key)
    return data


def check_text_values(data: Any) -> None:
    """Refuse a lone surrogate (text that is not Unicode, from a ``\\ud800`` escape) in any key or
    text value, and nesting deeper than :data:`MAX_DEPTH`, naming the key path. Iterative: a
    quick walk without key paths first, the walk that names the path only when it finds something."""
    if not _plainly_valid(data):
        _check_text_values_naming(data)


def _plainly_valid(data: Any) -> bool:
    """No container deeper than :data:`MAX_DEPTH` and every text encodable: one walk, level by
    level, with the texts encoded in one call at the end."""
    texts: list[str] = []
    level = [data]
    depth = 0
    while level:
        below: list[Any] = []
        for value in level:
            if isinstance(value, str):
                texts.append(value)
            elif isinstance(value, dict):
                if depth >= MAX_DEPTH:
                    return False
                texts.extend(value)  # the keys (one that is not text fails the join: the slow walk decides)
                below.extend(value.values())
            elif isinstance(value, list):
                if depth >= MAX_DEPTH:
                    return False
                below.extend(value)
        level, depth = below, depth + 1
    try:
        "".join(texts).encode("utf-8")
    except (TypeError, UnicodeEncodeError):
        return False
    return True


def _check_text_values_naming(data: Any) -> None:
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            _check_unicode(value, path)
            continue
        if isinstance(value, dict) or isinstance(value, list):
            if depth >= MAX_DEPTH:
                raise InputTextError(f"nested deeper than {MAX_DEPTH} levels", path=path or None)
            if isinstance(value, dict):
                for key, item in value.items():
                    name = f"{path}.{key}" if path else str(key)
                    if isinstance(key, str):
                        _check_unicode(key, path or "<top level>", key=True)
                    stack.append((item, name, depth + 1))
            else:
                stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))


def _check_unicode(text: str, path: str, *, key: bool = False) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        what = "a key" if key else "text"
        raise InputTextError(f"{what} holds a lone surrogate \\u{code:04x}, which is not a Unicode character",
                             path=path.encode("utf-8", "backslashreplace").decode("utf-8") or None) from None


def _shown(key: str) -> str:
    return repr(key.encode("utf-8", "backslashreplace").decode("utf-8"))


def load_text(text: str, *, fmt: str, file: str, error: type[KernelError]) -> dict[str, Any]:
    """Parse TOML or JSON with every number as ``Decimal``/``int``; syntax errors name the line;
    duplicate keys, lone surrogates and nesting deeper than :data:`MAX_DEPTH` are ``error`` too."""
    if fmt == "json":
        try:
            data = exact_json(text)
        except json.JSONDecodeError as exc:
            raise error(f"malformed JSON: {exc.msg}", file=file, line=exc.lineno) from None
        except InputTextError as exc:
            raise error(exc.message, file=file, path=exc.path, line=exc.line) from None
        except (ValueError, decimal.InvalidOperation) as exc:
            raise error(str(exc) if isinstance(exc, ValueError) else "a number is outside the range of exact decimals", file=file) from None
        if not isinstance(data, dict):
            raise error("the top level must be an object", file=file)
        return data
    try:
        parsed = tomli.loads(text, parse_float=Decimal)
        check_text_values(parsed)
        return parsed
    except decimal.InvalidOperation:
        raise error("a number is outside the range of exact decimals", file=file) from None
    except RecursionError:
        raise error(f"nested deeper than {MAX_DEPTH} levels", file=file) from None
    except InputTextError as exc:
        raise error(exc.message, file=file, path=exc.path, line=exc.line) from None
    except tomli.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        message = getattr(exc, "msg", str(exc))
        hint = _full_width_hint(text.splitlines()[line - 1]) if line and line <= len(text.splitlines()) else None
        raise error(f"malformed TOML: {message}", file=file, line=line, hint=hint) from None


#: Punctuation a Chinese input method types where TOML needs its ASCII twin.
FULL_WIDTH = {"“": '"', "”": '"', "‘": "'", "’": "'", "［": "[", "］": "]", "【": "[", "】": "]",
              "｛": "{", "｝": "}", "＝": "=", "，": ",", "：": ":", "\u3000": "a space", "＃": "#", "．": "."}


def _full_width_hint(line: str) -> str | None:
    """Name the full-width punctuation outside quoted strings on a line TOML refused: the usual
    cause when an analyst types a standard with a Chinese input method on (“生师比” for "生师比")."""
    found: list[str] = []
    quote: str | None = None
    for char in line:
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in FULL_WIDTH and char not in found:
            found.append(char)
    if not found:
        return None
    named = ", ".join(f"{c} (write {FULL_WIDTH[c]})" if len(FULL_WIDTH[c]) == 1 else f"the full-width space (write {FULL_WIDTH[c]})"
                      for c in found)
    return f"full-width punctuation outside quotes: {named}; switch the input method to half-width for TOML syntax"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number the kernel accepts (NaN and infinities are rejected)")


def canonical_json(data: Any) -> str:
    """Canonical JSON of plain data whose decimals are already text (results, submissions)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


#: How ``json.dumps(..., ensure_ascii=False)`` writes a string (the C function, when there is one).
string_json: Final = json.encoder.encode_basestring
_BOOLEANS: Final = {True: "true", False: "false"}
_WRITTEN: Final = frozenset((str, int, bool, Decimal))
_FIRST_COMMA: Final = operator.methodcaller("replace", "{,", "{", 1)


def canonical_rows(rows: Sequence[Mapping[str, Any]], ids: Sequence[str] | None = None) -> list[str] | None:
    """``canonical_json`` of each row's canonical data, written straight from the row: every
    name but ``id`` with its value (text as it is, ``true``/``false``, an int or a Decimal as its
    canonical text in quotes), and with ``ids``, ``id`` as the row's id; keys sorted.

    A column at a time (a name across every row that has it), then each row one join of its
    pieces: the key texts between the values are the same in every row. None when a name is not
    text or a value not of exactly those four types: the caller's general path writes them (or
    says what is wrong); an error on the way (a NaN) is the caller's to hand to that path too."""
    if ids is not None and not {str}.issuperset(map(type, ids)):
        return None  # an id is written as what it is, not as a value (an int id is a JSON number)
    count = len(rows)
    if count < 3:  # too few rows for columns to pay (the county's own data)
        rows_written = [_row_json(row, None if ids is None else ids[i]) for i, row in enumerate(rows)]
        return None if None in rows_written else rows_written  # type: ignore[return-value]
    pieces = _pieces(rows, ids)
    if pieces is None:
        return None
    if not any(type(piece) is list for piece in pieces):
        return ["{}"] * count
    merged: list[str | list[str]] = []
    for piece in [*pieces, "}"]:  # neighbouring texts every row has, as one
        if type(piece) is str and merged and type(merged[-1]) is str:
            merged[-1] += piece  # type: ignore[operator]
        elif piece != "":
            merged.append(piece)
    first = merged[0]
    if type(first) is str:  # every row starts with this key: its comma is the brace
        merged[0] = "{" + first[1:]
    else:  # the first name some rows lack: each row's first comma goes (a row of none is "{}")
        merged.insert(0, "{")
    texts = map("".join, zip(*(repeat(piece) if type(piece) is str else piece for piece in merged)))
    return list(texts) if type(first) is str else list(map(_FIRST_COMMA, texts))


def _pieces(rows: Sequence[Mapping[str, Any]], ids: Sequence[str] | None) -> list[str | list[str]] | None:
    """The rows' JSON in pieces, names in order: a text every row has (a key, a quote), or the
    list of each row's text (a value; or, for a name some rows lack, its key and value or "")."""
    shapes = set(map(tuple, rows))
    names: set[str] = set().union(*shapes)
    if not {str}.issuperset(map(type, names)):
        return None
    names.discard("id")
    everywhere = names.intersection(*shapes)
    columns = {name: list(map(operator.itemgetter(name), rows)) for name in everywhere}
    if ids is not None:
        names.add("id")
        columns["id"] = list(ids)
    pieces: list[str | list[str]] = []
    for name in sorted(names):
        key = "," + string_json(name) + ":"
        column = columns.get(name)
        present = [] if column is not None else [i for i, row in enumerate(rows) if name in row]
        written = _column_json(column if column is not None else [rows[i][name] for i in present])
        if written is None:
            return None
        quote, texts = written
        if column is not None:
            pieces += [key + quote, texts, quote]
        else:  # its key in its texts, and nothing in the rows without it
            found = [""] * len(rows)
            for index, text in zip(present, texts):
                found[index] = f"{key}{quote}{text}{quote}"
            pieces.append(found)
    return pieces


def _row_json(row: Mapping[str, Any], id_: str | None) -> str | None:
    items = [(name, value) for name, value in row.items() if name != "id"]
    if id_ is not None:
        items.append(("id", id_))
    if not {str}.issuperset(type(name) for name, _ in items) or not _WRITTEN.issuperset(type(v) for _, v in items):
        return None
    items.sort()  # by name alone: names differ
    return "{" + ",".join([string_json(name) + ":" + _value_json(value) for name, value in items]) + "}"


def _column_json(column: list[Any]) -> tuple[str, list[str]] | None:
    """The JSON of a column's values, and the quote around each (numbers are written as text)."""
    kinds = set(map(type, column))
    if len(kinds) == 1:
        kind = next(iter(kinds))
        if kind is int:
            return '"', list(map(str, column))
        if kind is Decimal:
            return '"', _decimal_texts(column)
        if kind is str:
            return "", list(map(string_json, column))
        if kind is bool:
            return "", list(map(_BOOLEANS.__getitem__, column))
    if not _WRITTEN.issuperset(kinds):
        return None
    return "", list(map(_value_json, column))


def _decimal_texts(column: list[Decimal]) -> list[str]:
    """``canonical_texts(column)``, with the common case decided for the whole column by a few
    scans of its joined texts: no exponent (E), NaN or Infinity, no text ending in 0 (so none
    is a zero or has trailing zeros) and none longer than MAX_DIGITS characters: each text is
    then canonical as written (numbers._as_written)."""
    texts = list(map(str, column))
    joined = "\n".join(texts) + "\n"
    if "E" in joined or "N" in joined or "I" in joined or "0\n" in joined or max(map(len, texts)) > MAX_DIGITS:
        return canonical_texts(column)
    return texts


def _value_json(value: str | int | bool | Decimal) -> str:
    kind = type(value)
    if kind is str:
        return string_json(value)  # type: ignore[arg-type]
    if kind is bool:
        return _BOOLEANS[value]  # type: ignore[index]
    return '"' + (str(value) if kind is int else canonical(value)) + '"'  # type: ignore[arg-type]


def content_json(data: Any) -> str:
    """Canonical JSON of a standard's content: decimals as exact JSON numbers, dates as text."""
    if isinstance(data, dict):
        items = sorted(data.items())
        return "{" + ",".join(canonical_json(str(k)) + ":" + content_json(v) for k, v in items) + "}"
    if isinstance(data, (list, tuple)):
        return "[" + ",".join(content_json(v) for v in data) + "]"
    if isinstance(data, bool) or data is None or isinstance(data, str):
        return canonical_json(data)
    if isinstance(data, (int, Decimal)):
        return canonical(data)
    if isinstance(data, (dt.date, dt.datetime)):
        return canonical_json(data.isoformat())
    raise TypeError(f"cannot write {type(data).__name__} into canonical content")


#: Characters never written raw into text output: bidirectional overrides and isolates, which
#: reorder what a terminal shows (control characters and lone surrogates are found by category).
_BIDI_CONTROLS: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str) -> str:
    """Text from input, safe to print on a terminal: control characters (escape sequences,
    carriage returns, newlines), bidirectional overrides and lone surrogates are written as
    ``\\x1b`` / ``\\u202e`` escapes; every other character, Chinese included, stays as it is."""
    if text.isprintable():  # the common case: nothing to escape (isprintable is False for all of them)
        return text
    return "".join(_escaped(c) if _unsafe(c) else c for c in text)


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
