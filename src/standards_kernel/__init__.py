"""standards_kernel: exact, explained, replayable scoring of education supervision standards.

The public API::

    from standards_kernel import evaluate, load_standard, read_submission, to_canonical
    standard = load_standard("yunnan.county-education", as_of=datetime.date(2009, 5, 13))
    evaluation = evaluate(read_submission("fixtures/counties/yunnan/yuanjiang-2009.toml"), standard)
    evaluation.grade, evaluation.score, to_canonical(evaluation)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .hookspecs import hookimpl  # noqa: E402

__all__ = [
    "__version__", "hookimpl", "evaluate", "load_standard", "read_submission", "parse_submission",
    "submission_from_data", "to_canonical", "to_json", "Evaluation", "Standard", "Submission", "KernelError",
]


def __getattr__(name: str):  # lazy, so that plugins importing ``hookimpl`` stay light
    if name in ("evaluate", "Evaluation"):
        from . import evaluate as module

        return getattr(module, name)
    if name in ("read_submission", "parse_submission", "submission_from_data", "Submission"):
        from . import submission

        return getattr(submission, name)
    if name in ("to_canonical", "to_json"):
        from . import result

        return getattr(result, name)
    if name == "Standard":
        from .model import Standard

        return Standard
    if name == "KernelError":
        from .errors import KernelError

        return KernelError
    if name == "load_standard":
        from .api import load_standard

        return load_standard
    raise AttributeError(name)
