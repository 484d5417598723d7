"""Find the line of a key path in TOML text, so that errors can name it.

tomli reports lines only for syntax errors; for a semantic error (unknown key, undefined name)
we search the text: the table header of the path (``[indicators.x]``, or the n-th
``[[schools]]``), then the key inside it. A best effort: ``None`` when the text does not say.
"""

from __future__ import annotations

import re

from ..errors import KernelError
from .files import read_input_text


def locate_in_file(file: str, path: str) -> int | None:
    """The line of ``path`` in the standard file ``file`` (read as every input is: a regular file,
    bounded); ``None`` when the file cannot be read or does not say (a standard built from data)."""
    if not file or not path:
        return None
    try:
        return locate_line(read_input_text(file, what="standard", error=KernelError), path)
    except (KernelError, OSError):
        return None


def locate_line(text: str, path: str) -> int | None:
    """The 1-based line of ``path`` (``indicators.x.formula``, ``schools[3].books``) in ``text``."""
    if not text or not path:
        return None
    lines = text.splitlines()
    # dots split the path, except inside brackets and quotes: inputs."yunnan.x".level
    parts = [p.strip('"') for p in re.findall(r'"[^"]*"(?:\[\d+\])?|[^."]+', path)]
    start, best = 0, None
    prefix: list[str] = []
    for part in parts:
        match = re.fullmatch(r"(.+?)\[(\d+)\]", part)
        name, index = (match.group(1), int(match.group(2))) if match else (part, None)
        prefix.append(name)
        found = _find(lines, start, prefix, name, index)
        if found is not None:  # a part without its own line (`indicators`) is passed over
            start, best = found, found
    return best + 1 if best is not None else None


def _find(lines: list[str], start: int, prefix: list[str], name: str, index: int | None) -> int | None:
    dotted = ".".join(_quote(p) for p in prefix)
    if index is not None:
        header = re.compile(r"^\s*\[\[\s*" + re.escape(dotted) + r"\s*\]\]")
        seen = -1
        for number in range(start, len(lines)):
            if header.match(lines[number]):
                seen += 1
                if seen == index:
                    return number
        return None
    table = re.compile(r"^\s*\[\[?\s*" + re.escape(dotted) + r"\s*\]\]?\s*(#.*)?$")
    for number, line in enumerate(lines):
        if table.match(line):
            return number
    # A key inside the current table: search up to the next table header.
    key = re.compile(r'^\s*"?' + re.escape(name) + r'"?\s*(=|\.)')
    for number in range(start + 1 if start else 0, len(lines)):
        if start and lines[number].lstrip().startswith("["):
            break
        if key.match(lines[number]):
            return number
    return None


def _quote(part: str) -> str:
    return part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
