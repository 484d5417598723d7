"""standards_kernel: exact, explained, replayable scoring of education supervision standards.

The public API (this module's ``__all__``; everything else may move). The one obvious place is
:func:`assess` (docs/python-api.md)::

    from standards_kernel import assess

    county = assess("fixtures/counties/yunnan/yuanjiang-2009.toml")  # standard and date from the file
    county.grade, county.score, county.vetoes, county.explain("d_class_ratio"), county.gaps()
    county.to_text(lang="en"), county.to_html(), county.to_json()

``assess_many`` does many counties with a ``progress(done, total)`` callback. ``evaluate`` takes
the same arguments and gives the kernel's ``Evaluation`` alone; ``decide`` gives the
``Decision`` (evaluation, gaps, next grade); ``to_canonical``/``to_json`` write the whole
decision document of an evaluation. Plugins import ``hookimpl`` from here and nothing else.

The package is a house of one-way floors (docs/architecture.md): ``kernel`` (numbers, the model,
loading, evaluation), ``intake`` (tables), ``analysis`` (gaps, next grade), ``audit`` (the decision
document, records, ledger, replay), ``reporting`` (words, text, HTML), ``authoring`` (cases,
property kit, scaffold, template, diff), ``batch`` and ``interfaces`` (CLI, HTTP server, and the
Python API's ``assess``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:  # the names below are imported on first use (a one-off command starts faster)
    from .audit.decision import Decision, decide, to_canonical, to_json, with_sensitivity
    from .errors import KernelError
    from .hookspecs import hookimpl
    from .kernel.api import load_standard
    from .interfaces.python import Assessment, assess, assess_many, evaluate
    from .kernel.evaluate import Evaluation
    from .kernel.model import Standard
    from .kernel.submission import Submission, parse_submission, read_submission, submission_from_data

__all__ = [
    "__version__", "hookimpl", "assess", "assess_many", "Assessment", "evaluate", "decide", "load_standard",
    "read_submission", "parse_submission", "submission_from_data", "to_canonical", "to_json", "Decision", "Evaluation", "Standard", "Submission",
    "KernelError", "with_sensitivity",
]

#: Where each public name lives. Importing ``standards_kernel`` (or any module inside it, e.g. for
#: the command line) loads none of them until one is used.
_HOMES = {
    "hookimpl": ".hookspecs", "KernelError": ".errors", "Standard": ".kernel.model",
    "Submission": ".kernel.submission", "parse_submission": ".kernel.submission",
    "read_submission": ".kernel.submission", "submission_from_data": ".kernel.submission",
    "Evaluation": ".kernel.evaluate", "evaluate": ".interfaces.python", "assess": ".interfaces.python",
    "assess_many": ".interfaces.python", "Assessment": ".interfaces.python", "load_standard": ".kernel.api",
    "Decision": ".audit.decision", "decide": ".audit.decision", "to_canonical": ".audit.decision",
    "to_json": ".audit.decision", "with_sensitivity": ".audit.decision",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # once: later uses find it as a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
