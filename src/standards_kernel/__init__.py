"""standards_kernel: exact, explained, replayable scoring of education supervision standards.

The public API (this module's ``__all__``; everything else may move)::

    from standards_kernel import decide, load_standard, read_submission

    submission = read_submission("fixtures/counties/yunnan/yuanjiang-2009.toml")
    standard = load_standard("yunnan.county-education", as_of=submission.as_of)
    decision = decide(submission, standard)
    decision.grade, decision.evaluation.score, decision.to_json()

``evaluate`` gives the kernel's evaluation alone; ``to_canonical``/``to_json`` write the whole
decision document of an evaluation. Plugins import ``hookimpl`` from here and nothing else.

The package is a house of one-way floors (docs/architecture.md): ``kernel`` (numbers, the model,
loading, evaluation), ``intake`` (tables), ``analysis`` (gaps, next grade), ``audit`` (the decision
document, records, ledger, replay), ``reporting`` (words, text, HTML), ``authoring`` (cases,
property kit, scaffold, template, diff), ``batch`` and ``interfaces`` (CLI, HTTP server).
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
    from .kernel.evaluate import Evaluation, evaluate
    from .kernel.model import Standard
    from .kernel.submission import Submission, parse_submission, read_submission, submission_from_data

__all__ = [
    "__version__", "hookimpl", "evaluate", "decide", "load_standard", "read_submission", "parse_submission",
    "submission_from_data", "to_canonical", "to_json", "Decision", "Evaluation", "Standard", "Submission",
    "KernelError", "with_sensitivity",
]

#: Where each public name lives. Importing ``standards_kernel`` (or any module inside it, e.g. for
#: the command line) loads none of them until one is used.
_HOMES = {
    "hookimpl": ".hookspecs", "KernelError": ".errors", "Standard": ".kernel.model",
    "Submission": ".kernel.submission", "parse_submission": ".kernel.submission",
    "read_submission": ".kernel.submission", "submission_from_data": ".kernel.submission",
    "Evaluation": ".kernel.evaluate", "evaluate": ".kernel.evaluate", "load_standard": ".kernel.api",
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
