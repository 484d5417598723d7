"""``standards-kernel example`` and ``standards-kernel docs``: what the wheel carries besides code.

A user who installed only the wheel has no clone: the example submissions (the published cases,
Yuanjiang 2009 among them) and the documentation that error messages point to ship as package data
(``standards_kernel_examples`` from fixtures/counties, ``standards_kernel_docs`` from docs/) and
are printed or written from there.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from ...errors import KernelError

EXAMPLES = "standards_kernel_examples"
DOCS = "standards_kernel_docs"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    example = commands.add_parser(
        "example", help="print a shipped example submission (e.g. `example yuanjiang`); no name: list them")
    example.add_argument("name", nargs="?", help="the example's name or a unique part of it, e.g. yuanjiang")
    example.add_argument("-o", "--output", metavar="FILE", help="write it to FILE (e.g. yuanjiang-2009.toml)")
    example.set_defaults(handler=cmd_example)

    docs = commands.add_parser("docs", help="print a shipped document (e.g. `docs standard-format`); no name: list them")
    docs.add_argument("name", nargs="?", help="the document's name, e.g. standard-format or zh/tutorial-new-standard")
    docs.set_defaults(handler=cmd_docs)


def shipped(package: str, suffix: str) -> dict[str, Traversable]:
    """Every file with ``suffix`` in one package-data folder (one level of subfolders), by name
    without the suffix: ``yunnan/yuanjiang-2009``, ``standard-format``, ``zh/tutorial-new-standard``."""
    root = resources.files(package)
    found: dict[str, Traversable] = {}
    for entry in root.iterdir():
        children = [entry] if entry.is_file() else list(entry.iterdir()) if entry.is_dir() else []
        for child in children:
            if child.is_file() and child.name.endswith(suffix):
                name = child.name[: -len(suffix)]
                found[name if child is entry else f"{entry.name}/{name}"] = child
    return dict(sorted(found.items()))


def choose(kind: str, name: str, available: dict[str, Traversable]) -> Traversable:
    """The one entry named ``name`` exactly, or the only one whose name contains it."""
    if name in available:
        return available[name]
    matches = [key for key in available if name.lower() in key.lower()]
    pages = {key.removeprefix("zh/") for key in matches}
    if len(pages) == 1 and not name.lower().startswith("zh"):  # a page and its Chinese copy: the page
        matches = [pages.pop()] if pages & set(available) else matches
    if len(matches) == 1:
        return available[matches[0]]
    if not matches:
        raise KernelError(f"no shipped {kind} named {name!r}; the {kind}s are: {', '.join(available)}")
    raise KernelError(f"{name!r} names several shipped {kind}s ({', '.join(matches)}): give more of the name")


def _listing(available: dict[str, Traversable]) -> int:
    for key in available:
        print(key)
    return 0


def cmd_example(args: argparse.Namespace) -> int:
    available = shipped(EXAMPLES, ".toml")
    if not args.name:
        return _listing(available)
    text = choose("example", args.name, available).read_text("utf-8")
    if args.output:
        target = Path(args.output)
        if target.exists():
            raise KernelError(f"{target}: already exists; not overwritten (remove it or choose another --output)")
        target.write_text(text, "utf-8")
        print(f"wrote {target}: evaluate it with `standards-kernel evaluate {target}`", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    available = shipped(DOCS, ".md")
    if not args.name:
        return _listing(available)
    name = args.name.removeprefix("docs/").removesuffix(".md")
    sys.stdout.write(choose("document", name, available).read_text("utf-8"))
    return 0
