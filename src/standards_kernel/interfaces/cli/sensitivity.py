"""``evaluate --sensitivity``: the decision with its sensitivity to assumed values, for the CLI.

The document carries the ``sensitivity`` section (audit/decision.py); the text and HTML reports
render it (reporting/sensitivity.py).
"""

from __future__ import annotations

import argparse
from typing import Any


def add_sensitivity(args: argparse.Namespace, decision: Any) -> Any:
    """The decision with its ``sensitivity`` section; a record keeps it and replay computes it again."""
    from ...audit.decision import with_sensitivity

    return with_sensitivity(decision)
