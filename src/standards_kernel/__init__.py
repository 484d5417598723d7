"""standards_kernel: exact, explained, replayable scoring of education supervision standards.

The public API::

    import datetime
    from standards_kernel import evaluate, load_standard, read_submission, to_canonical

    standard = load_standard("yunnan.county-education", as_of=datetime.date(2009, 5, 13))
    evaluation = evaluate(read_submission("fixtures/counties/yunnan/yuanjiang-2009.toml"), standard)
    evaluation.grade, evaluation.score, to_canonical(evaluation)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .hookspecs import hookimpl  # noqa: E402  (plugins import this first)
from .errors import KernelError  # noqa: E402
from .model import Standard  # noqa: E402
from .submission import Submission, parse_submission, read_submission, submission_from_data  # noqa: E402
from .evaluate import Evaluation, evaluate  # noqa: E402  (the function shadows the module name here)
from .result import to_canonical, to_json  # noqa: E402
from .api import load_standard  # noqa: E402

__all__ = [
    "__version__", "hookimpl", "evaluate", "load_standard", "read_submission", "parse_submission",
    "submission_from_data", "to_canonical", "to_json", "Evaluation", "Standard", "Submission", "KernelError",
]
