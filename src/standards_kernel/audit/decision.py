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
FORMAT = "standards-kernel/evaluation@2"
#: Earlier result formats a replay still compares, and the sections whose meaning changed since
#: (compared no more: a record keeps what its kernel said; replay says what it left out).
#: @1 → @2: the rectification list moves only levers, states fixed inputs as context and marks gaps
#: no lever closes (gaps); the next-grade search chooses the fewest repairs (next_grade).
#: @2 also names a standard's own inputs (inputs), a section @1 did not hold.
EARLIER_FORMATS: dict[str, tuple[str, ...]] = {"standards-kernel/evaluation@1": ("gaps", "next_grade", "inputs")}


@attrs.frozen
class Decision:
    """An evaluation with its analysis: what :func:`decide` returns and records keep."""

    evaluation: Evaluation
    gaps: tuple[Gap, ...]
    next_grade: NextGrade
    sensitivity: dict[str, Any] | None = None  # only when asked (analysis/sensitivity.py); absent: no key

    @property
    def grade(self) -> str:
        return self.evaluation.grade

    def document(self, *, trace: str = "full") -> dict[str, Any]:
        """The canonical document as plain JSON data (decimals as canonical strings); with
        ``trace="summary"`` the summary view of :func:`summary_view`, built without the reads."""
        if trace not in ("full", "summary"):
            raise ValueError(f"trace is 'full' or 'summary', not {trace!r}")
        summary = {"trace": "summary"} if trace == "summary" else {}
        with decimal.localcontext(KERNEL_CONTEXT):  # the caller's decimal context must not change a digit
            return {
                "format": FORMAT,
                **result_data(self.evaluation, unit_reads=not summary),
                **summary,
                "gaps": gaps_to_data(self.gaps),
                "next_grade": plan_to_data(self.next_grade),
                **({"sensitivity": self.sensitivity} if self.sensitivity is not None else {}),
            }

    def to_json(self, *, trace: str = "full") -> str:
        """Canonical JSON text (one line, sorted keys): same input, same bytes. ``trace="summary"``
        gives the shorter view of :func:`summary_view` instead (not the canonical document)."""
        return canonical_json(self.document(trace=trace))

    def __repr__(self) -> str:
        ev = self.evaluation
        return f"<Decision {ev.standard.key} {ev.submission.county.get('name', '')} grade={ev.grade}>"


def summary_view(document: dict[str, Any]) -> dict[str, Any]:
    """The document without what each unit read (per-unit ``reads``), marked ``"trace": "summary"``.

    Every value, check, note, point and decision stays; a unit's reads come back in full from
    :meth:`Decision.document`, or from a record by replay (docs/trace.md). Never recorded."""
    indicators = {}
    for iid, data in document["indicators"].items():
        if "units" in data:
            units = {uid: {k: v for k, v in unit.items() if k != "reads"} for uid, unit in data["units"].items()}
            data = {**data, "units": units}
        indicators[iid] = data
    return {**document, "indicators": indicators, "trace": "summary"}


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


def with_sensitivity(decision: Decision) -> Decision:
    """The decision with its sensitivity to assumed values (a ``sensitivity`` section)."""
    from ..analysis.sensitivity import sensitivity, sensitivity_to_data

    with decimal.localcontext(KERNEL_CONTEXT):
        return attrs.evolve(decision, sensitivity=sensitivity_to_data(sensitivity(decision.evaluation)))


def to_canonical(evaluation: Evaluation, *, sensitivity: bool = False) -> dict[str, Any]:
    """The canonical document of an evaluation (see :meth:`Decision.document`); ``sensitivity``:
    with the section a record made with ``--sensitivity`` keeps."""
    decision = analysed(evaluation)
    return (with_sensitivity(decision) if sensitivity else decision).document()


def to_json(evaluation: Evaluation) -> str:
    """The canonical JSON text of an evaluation (see :meth:`Decision.to_json`)."""
    return analysed(evaluation).to_json()
