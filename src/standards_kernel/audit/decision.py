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
from ..kernel.model import Standard
from ..kernel.numbers import KERNEL_CONTEXT, Sums
from ..kernel.result import result_data
from ..kernel.result_text import result_json
from ..kernel.submission import Submission

#: The tag of the canonical document. A change to its bytes for the same input bumps it, and
#: records of older formats stay replayable (docs/audit.md).
FORMAT = "standards-kernel/evaluation@4"
#: The format of a document computed with the sums of formats @1-@3 (numbers.SUMS ``ordered``):
#: what the replay of such a record rebuilds.
ORDERED_SUMS_FORMAT = "standards-kernel/evaluation@3"
#: Earlier result formats a replay still compares, and the sections whose meaning changed since
#: (compared no more: a record keeps what its kernel said; replay says what it left out).
#: @1 → @2: the rectification list moves only levers, states fixed inputs as context and marks gaps
#: no lever closes (gaps); the next-grade search chooses the fewest repairs (next_grade).
#: @2 also names a standard's own inputs (inputs), a section @1 did not hold.
#: @2 → @3: the canonical document no longer holds what each unit read (docs/trace.md); nothing
#: else changed, so an @2 record is compared in full with the full trace.
#: @3 → @4: every sum over units is exact and rounded once (numbers.exact_sum), so the last digit
#: of some coefficients and means differs; nothing else changed, and a record of @1-@3 replays
#: with the sums of its time (:data:`SUMS_OF_FORMAT`), compared in full.
EARLIER_FORMATS: dict[str, tuple[str, ...]] = {
    "standards-kernel/evaluation@1": ("gaps", "next_grade", "inputs"),
    "standards-kernel/evaluation@2": (),
    ORDERED_SUMS_FORMAT: (),
}
#: Formats whose canonical document held each unit's reads (the full trace): a replay of such a
#: record compares it with the full trace of today's kernel.
FULL_TRACE_FORMATS = frozenset({"standards-kernel/evaluation@1", "standards-kernel/evaluation@2"})
#: The sums each format was computed with (numbers.SUMS); a format not listed is today's.
SUMS_OF_FORMAT: dict[str, Sums] = {**{f: "ordered" for f in EARLIER_FORMATS}, FORMAT: "exact"}
#: What ``trace=`` may ask for: ``summary``, the canonical document (every value, check, limit,
#: note and point, without what each unit read), or ``full``, the same with each unit's reads and
#: ``"trace": "full"`` (never recorded; replay gives it back for a record).
TRACES = ("summary", "full")


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

    def document(self, *, trace: str = "summary") -> dict[str, Any]:
        """The canonical document as plain JSON data (decimals as canonical strings); with
        ``trace="full"`` each unit's reads too, marked ``"trace": "full"`` (docs/trace.md)."""
        full = _trace(trace)
        with decimal.localcontext(KERNEL_CONTEXT):  # the caller's decimal context must not change a digit
            return {**result_data(self.evaluation, unit_reads=full), **self._analysis(full)}

    def to_json(self, *, trace: str = "summary") -> str:
        """Canonical JSON text (one line, sorted keys): same input, same bytes. Written as text
        (:func:`~standards_kernel.kernel.result_text.result_json`): the bytes of
        ``canonical_json(self.document(trace=trace))`` without a dict per unit."""
        return "".join(self.json_parts(trace=trace))

    def json_parts(self, *, trace: str = "summary") -> list[str]:
        """:meth:`to_json` in pieces, in order: for writers that encode and write them one by one
        rather than hold a large county's result twice (the batch's results lines)."""
        full = _trace(trace)
        with decimal.localcontext(KERNEL_CONTEXT):  # the caller's decimal context must not change a digit
            return result_json(self.evaluation, unit_reads=full, extra=self._analysis(full))

    def _analysis(self, full: bool) -> dict[str, Any]:
        """The document's keys beyond the kernel's evaluation (its format tag and the analysis)."""
        return {
            "format": FORMAT if self.evaluation.sums == "exact" else ORDERED_SUMS_FORMAT,
            **({"trace": "full"} if full else {}),
            "gaps": gaps_to_data(self.gaps),
            "next_grade": plan_to_data(self.next_grade),
            **({"sensitivity": self.sensitivity} if self.sensitivity is not None else {}),
        }

    def __repr__(self) -> str:
        ev = self.evaluation
        return f"<Decision {ev.standard.key} {ev.submission.county.get('name', '')} grade={ev.grade}>"


def _trace(trace: str) -> bool:
    """Whether ``trace`` asks for the full trace (each unit's reads)."""
    if trace not in TRACES:
        raise ValueError(f"trace is 'summary' or 'full', not {trace!r}")
    return trace == "full"


def summary_view(document: dict[str, Any]) -> dict[str, Any]:
    """A full-trace document (``trace="full"``, or the result of an ``@1``/``@2`` record) without
    what each unit read and without the ``trace`` mark: the canonical ``summary`` shape."""
    indicators = {}
    for iid, data in document["indicators"].items():
        if "units" in data:
            units = {uid: {k: v for k, v in unit.items() if k != "reads"} for uid, unit in data["units"].items()}
            data = {**data, "units": units}
        indicators[iid] = data
    return {**{k: v for k, v in document.items() if k != "trace"}, "indicators": indicators}


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


def to_canonical(evaluation: Evaluation, *, sensitivity: bool = False, trace: str = "summary") -> dict[str, Any]:
    """The canonical document of an evaluation (see :meth:`Decision.document`); ``sensitivity``:
    with the section a record made with ``--sensitivity`` keeps; ``trace="full"``: with each
    unit's reads."""
    decision = analysed(evaluation)
    return (with_sensitivity(decision) if sensitivity else decision).document(trace=trace)


def to_json(evaluation: Evaluation) -> str:
    """The canonical JSON text of an evaluation (see :meth:`Decision.to_json`)."""
    return analysed(evaluation).to_json()
