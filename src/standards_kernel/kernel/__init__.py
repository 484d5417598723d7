"""The kernel: the only code that decides a score, a gate, a veto or a grade.

Numbers (exact Decimal), the model of a standard, the standard file format and its loader, the
plugin registry, submissions, the evaluation and the kernel's part of the canonical result. It
imports no feature: nothing in intake, analysis, audit, reporting, authoring, batch or the
interfaces can change what it decides.
"""

from .api import load_standard
from .evaluate import AreaResult, Evaluation, IndicatorResult, Overrides, Reading, RuleResult, evaluate
from .model import Standard
from .registry import Registry, default_registry
from .result import result_data
from .submission import Submission, parse_submission, read_submission, submission_from_data

__all__ = [
    "AreaResult",
    "default_registry",
    "evaluate",
    "Evaluation",
    "IndicatorResult",
    "load_standard",
    "Overrides",
    "parse_submission",
    "read_submission",
    "Reading",
    "Registry",
    "result_data",
    "RuleResult",
    "Standard",
    "Submission",
    "submission_from_data",
]
