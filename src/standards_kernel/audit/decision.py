"""The one road from a submission to the decision document.

The CLI, the HTTP API, batch runs, the ledger and the property suite all write the same canonical
document, so it is composed here and nowhere else: the kernel's evaluation
(:func:`standards_kernel.kernel.result.result_data`), the rectification list
(:func:`standards_kernel.analysis.gaps.analyse`) and the smallest set of repairs that lifts the
grade (:func:`standards_kernel.analysis.plan.next_grade`). The kernel decides the grade; the
analysis only reads the evaluation and re-evaluates through the kernel's public ``evaluate``.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import attrs

from ..analysis.gaps import Gap, analyse, gaps_to_data
from ..analysis.plan import NextGrade, next_grade, plan_to_data
from ..kernel.evaluate import Evaluation, evaluate
from ..kernel.formats import canonical_json
from ..kernel.model import Standard
from ..kernel.numbers import KERNEL_CONTEXT
from ..kernel.result import result_data
from ..kernel.submission import Submission

#: The tag of the canonical document. A change to its bytes for the same input bumps it, and
#: records of older formats stay replayable (docs/audit.md).
FORMAT = "standards-kernel/evaluation@1"


@attrs.frozen
class Decision:
    """An evaluation with its analysis: what :func:`decide` returns and records keep."""

    evaluation: Evaluation
    gaps: tuple[Gap, ...]
    next_grade: NextGrade

    @property
    def grade(self) -> str:
        return self.evaluation.grade

    def document(self) -> dict[str, Any]:
        """The canonical document as plain JSON data (decimals as canonical strings)."""
        with decimal.localcontext(KERNEL_CONTEXT):  # the caller's decimal context must not change a digit
            return {
                "format": FORMAT,
                **result_data(self.evaluation),
                "gaps": gaps_to_data(self.gaps),
                "next_grade": plan_to_data(self.next_grade),
            }

    def to_json(self) -> str:
        """Canonical JSON text (one line, sorted keys): same input, same bytes."""
        return canonical_json(self.document())

    def __repr__(self) -> str:
        ev = self.evaluation
        return f"<Decision {ev.standard.key} {ev.submission.county.get('name', '')} grade={ev.grade}>"


def decide(submission: Submission, standard: Standard, as_of: dt.date | None = None) -> Decision:
    """Evaluate ``submission`` under ``standard`` and analyse the result: the whole decision."""
    return analysed(evaluate(submission, standard, as_of))


def analysed(evaluation: Evaluation) -> Decision:
    """The decision for an evaluation already made."""
    with decimal.localcontext(KERNEL_CONTEXT):  # the caller's decimal context must not change a digit
        gaps = analyse(evaluation)
        return Decision(evaluation, gaps, next_grade(evaluation, gaps))


def as_decision(item: Evaluation | Decision) -> Decision:
    """A decision as it is, or an evaluation analysed: for callers that accept either."""
    return item if isinstance(item, Decision) else analysed(item)


def to_canonical(evaluation: Evaluation) -> dict[str, Any]:
    """The canonical document of an evaluation (see :meth:`Decision.document`)."""
    return analysed(evaluation).document()


def to_json(evaluation: Evaluation) -> str:
    """The canonical JSON text of an evaluation (see :meth:`Decision.to_json`)."""
    return analysed(evaluation).to_json()
