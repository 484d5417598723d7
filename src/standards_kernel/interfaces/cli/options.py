"""Argument types shared by the command families."""

from __future__ import annotations

import argparse
import datetime as dt


def date_arg(text: str) -> dt.date:
    """``--as-of``/``--from``/``--to``: an ISO date, or a usage error naming what was given."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def add_language(parser: argparse.ArgumentParser, *, ids: bool = True) -> None:
    """``--lang`` (default: ``$STANDARDS_KERNEL_LANG``, else Chinese) and, with ``ids``, ``--show-ids``."""
    parser.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="language of the output (default: $STANDARDS_KERNEL_LANG, else zh)")
    if ids:
        parser.add_argument("--show-ids", action="store_true", help="show machine ids beside labels")


def language(args: argparse.Namespace) -> str:
    """The language ``--lang`` asked for, else ``$STANDARDS_KERNEL_LANG``, else zh."""
    from ...reporting.basis import default_lang

    return getattr(args, "lang", None) or default_lang()
