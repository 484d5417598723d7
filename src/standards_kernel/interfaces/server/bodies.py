"""Request bodies, read from the raw bytes: numbers become ``Decimal`` from their text.

The framework never decodes a body (it would read ``0.1`` as a binary float). Bodies are UTF-8
JSON; a batch may instead be NDJSON, one submission per line, read line by line as it arrives.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator

from ...kernel.formats import exact_json
from .problems import ApiProblem

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines")


def parse_json(body: bytes, *, line_offset: int = 0, index: int | None = None) -> Any:
    """One JSON value from UTF-8 bytes, with every non-integer number as an exact ``Decimal``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiProblem("malformed-body", f"the body is not UTF-8 text (byte {error.start})",
                         line=line_offset + 1 if line_offset else None, index=index) from None
    if not text.strip():
        raise ApiProblem("malformed-body", "the body is empty", hint="send a submission as a JSON object",
                         index=index)
    try:
        return exact_json(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise ApiProblem("malformed-body", f"malformed JSON: {error.msg}",
                         line=line_offset + error.lineno, column=error.colno, index=index) from None
    except RecursionError:
        raise ApiProblem("malformed-body", "the JSON is nested too deeply", index=index) from None
    except ArithmeticError:  # Decimal refuses the text, e.g. an exponent beyond 10**18
        raise ApiProblem("malformed-body", "a number is outside the range of exact decimals",
                         line=line_offset + 1 if line_offset else None, index=index) from None
    except ValueError as error:  # NaN/Infinity, or an integer with thousands of digits
        message = str(error)
        if "integer string conversion" in message:
            message = "a number has too many digits"
        raise ApiProblem("malformed-body", message, line=line_offset + 1 if line_offset else None,
                         index=index) from None


def is_ndjson(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in NDJSON_TYPES


async def ndjson_lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    """(line number, line) for each non-blank line of an NDJSON stream, as the chunks arrive."""
    pending = b""
    number = 0
    async for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            number += 1
            if line.strip():
                yield number, line
    if pending.strip():
        yield number + 1, pending
