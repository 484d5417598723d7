"""Typed entry points of the Python API that are not a single module's job."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .model import Standard
from .registry import default_registry


def load_standard(ref: str | Path, as_of: dt.date | None = None) -> Standard:
    """A standard by path, by ``id@edition``, or by ``id`` (the edition in force on ``as_of``)."""
    return default_registry().resolve(str(ref), as_of)
