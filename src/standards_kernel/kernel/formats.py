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
from decimal import Decimal
from typing import Any

import tomli

from ..errors import KernelError
from .numbers import canonical


def exact_json(text: str) -> Any:
    """``json.loads`` the kernel's way: every non-integer number a ``Decimal``, never a float, and
    ``NaN``/``Infinity`` refused (``ValueError``; a syntax error is ``json.JSONDecodeError``)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


def load_text(text: str, *, fmt: str, file: str, error: type[KernelError]) -> dict[str, Any]:
    """Parse TOML or JSON with every number as ``Decimal``/``int``; syntax errors name the line."""
    if fmt == "json":
        try:
            data = exact_json(text)
        except json.JSONDecodeError as exc:
            raise error(f"malformed JSON: {exc.msg}", file=file, line=exc.lineno) from None
        except (ValueError, decimal.InvalidOperation) as exc:
            raise error(str(exc) if isinstance(exc, ValueError) else "a number is outside the range of exact decimals", file=file) from None
        if not isinstance(data, dict):
            raise error("the top level must be an object", file=file)
        return data
    try:
        return tomli.loads(text, parse_float=Decimal)
    except decimal.InvalidOperation:
        raise error("a number is outside the range of exact decimals", file=file) from None
    except tomli.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        message = getattr(exc, "msg", str(exc))
        raise error(f"malformed TOML: {message}", file=file, line=line) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number the kernel accepts (NaN and infinities are rejected)")


def canonical_json(data: Any) -> str:
    """Canonical JSON of plain data whose decimals are already text (results, submissions)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
