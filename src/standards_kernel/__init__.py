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

from .version import __version__
from .hookspecs import hookimpl
from .errors import KernelError
from .kernel.model import Standard
from .kernel.submission import Submission, parse_submission, read_submission, submission_from_data
from .kernel.evaluate import Evaluation, evaluate
from .kernel.api import load_standard
from .audit.decision import Decision, decide, to_canonical, to_json

__all__ = [
    "__version__", "hookimpl", "evaluate", "decide", "load_standard", "read_submission", "parse_submission",
    "submission_from_data", "to_canonical", "to_json", "Decision", "Evaluation", "Standard", "Submission",
    "KernelError",
]
