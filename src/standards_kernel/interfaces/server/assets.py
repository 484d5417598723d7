"""The files of the docs page (``/docs/assets/NAME``), served from a list made at start-up.

A name is looked up in that list and nothing else: no path is built from a request, so ``..``,
encoded slashes, NUL bytes or a name of 100,000 characters are simply not in it (404 problem),
and the file system is never asked about them.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from litestar import Response, get

from .problems import ApiProblem

ASSETS = resources.files("standards_kernel.interfaces.server") / "assets"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".json": "application/json", ".html": "text/html; charset=utf-8"}


def _load() -> dict[str, tuple[bytes, str]]:
    found: dict[str, tuple[bytes, str]] = {}
    for entry in ASSETS.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in MEDIA_TYPES:
            found[entry.name] = (entry.read_bytes(), MEDIA_TYPES[suffix])
    return found


FILES = _load()


@get("/docs/assets/{name:str}", include_in_schema=False, sync_to_thread=False)
def asset(name: str) -> Response[Any]:
    found = FILES.get(name)
    if found is None:
        shown = name if len(name) <= 80 else name[:80] + "…"
        raise ApiProblem("not-found", f"no docs asset {shown!r}", hint="the docs page's files: " + ", ".join(sorted(FILES)))
    content, media_type = found
    return Response(content=content, media_type=media_type, headers={"Cache-Control": "no-cache"})


__all__ = ["FILES", "asset"]
