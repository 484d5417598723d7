"""The one bounded reader for every file the project opens for input.

A submission, a standard, a table, a record: each is read through :func:`read_input_bytes` or
:func:`read_input_text`, which accept only a regular file (a FIFO, a device such as ``/dev/zero``
or a directory is refused before a byte is read, so nothing hangs and nothing fills memory), read
at most a declared number of bytes, and decode with a named encoding. Every refusal is the
caller's :class:`~standards_kernel.errors.KernelError` subclass, naming the file.

Limits: 64 MiB for any input file (:data:`MAX_INPUT_BYTES`);
an XLSX workbook may unpack to at most 64 MiB in at most 10 000 zip entries (checked before
openpyxl reads it, so a zip bomb is refused in milliseconds); intake/tables.py bounds a table's
rows and columns as it reads them.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path
from typing import BinaryIO, Final

from ..errors import KernelError

#: The largest input file read, in bytes: 64 MiB, far beyond any county's submission or standard.
MAX_INPUT_BYTES: Final = 64 * 1024 * 1024
#: The most an XLSX workbook may unpack to, and the most entries its zip may hold.
MAX_XLSX_UNPACKED: Final = 64 * 1024 * 1024
MAX_XLSX_ENTRIES: Final = 10_000


def read_input_bytes(path: str | Path, *, what: str, error: type[KernelError],
                     limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; anything else is ``error``."""
    name = str(path)
    try:
        # O_NONBLOCK: opening a FIFO without a writer must not wait; it is refused just below.
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", file=name) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"the {what} is not a regular file ({_kind(info.st_mode)})", file=name,
                        hint="give a file; pipes, devices and directories are not read")
        if info.st_size > limit:
            raise error(f"the {what} is {info.st_size} bytes, over the limit of {_size(limit)}", file=name)
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # the file grew while being read
                raise error(f"the {what} is over the limit of {_size(limit)}", file=name)
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", file=name) from None
    finally:
        os.close(fd)


def open_input(path: str | Path, *, what: str, error: type[KernelError]) -> BinaryIO:
    """A regular file opened for reading in binary, for inputs read as a stream (NDJSON feeds,
    CSV tables), whose reader bounds each line with :data:`MAX_INPUT_BYTES` itself."""
    name = str(path)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise error(f"cannot read the {what}: {exc.strerror}", file=name) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise error(f"the {what} is not a regular file ({_kind(mode)})", file=name,
                        hint="give a file; pipes, devices and directories are not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_input_text(path: str | Path, *, what: str, error: type[KernelError], encoding: str = "utf-8",
                    limit: int = MAX_INPUT_BYTES, hint: str | None = None) -> str:
    """The text of a regular file, decoded strictly; an undecodable byte names the encoding."""
    data = read_input_bytes(path, what=what, error=error, limit=limit)
    return decode_input(data, file=str(path), what=what, error=error, encoding=encoding, hint=hint)


def decode_input(data: bytes, *, file: str, what: str, error: type[KernelError], encoding: str = "utf-8",
                 hint: str | None = None) -> str:
    """``data`` decoded strictly; a byte that is not ``encoding`` is an error naming its line."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        label = "UTF-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8") else encoding
        raise error(f"the {what} is not {label} text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                    file=file, line=line, hint=hint or f"save it as {label}") from None


def check_xlsx(data: bytes, *, file: str, error: type[KernelError]) -> None:
    """Refuse a workbook whose zip would unpack to more than :data:`MAX_XLSX_UNPACKED` bytes or
    holds more than :data:`MAX_XLSX_ENTRIES` entries, before any XML of it is parsed.

    The sizes are those the zip declares; :mod:`zipfile` never unpacks a member beyond its
    declared size (a member that tries fails its CRC check), so the declared sizes bound it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise error(f"not a readable .xlsx workbook ({exc})", file=file) from None
    if len(entries) > MAX_XLSX_ENTRIES:
        raise error(f"the workbook holds {len(entries)} zip entries, over the limit of {MAX_XLSX_ENTRIES}",
                    file=file)
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_XLSX_UNPACKED:
        raise error(f"the workbook unpacks to {unpacked} bytes, over the limit of {_size(MAX_XLSX_UNPACKED)}",
                    file=file, hint="a genuine school table is far smaller; save it as .csv")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"
