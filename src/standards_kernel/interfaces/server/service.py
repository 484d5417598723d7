"""What the API does, apart from HTTP: find standards, score submissions, record and replay.

Standards are looked up in the registry by id or ``id@edition`` only: a reference that looks like
a path is never opened (the CLI may load a standard file; a network client may not). Every
listing and schema is computed once per process: the installed standards do not change while the
server runs. Before a submission is scored, kernel.completeness collects every missing or invalid
input, so that one 422 lists them all.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from pathlib import Path
from typing import Any

import attrs

from ...version import __version__
from ...errors import KernelError, StandardNotFound, SubmissionError
from ...kernel.evaluate import Evaluation
from ...kernel.formats import canonical_json
from ...kernel.model import Standard
from ...kernel.registry import Registry
from ...audit.decision import Decision, decide, with_sensitivity
from ...kernel.completeness import IncompleteSubmission, Issue, read_data
from ...kernel.completeness import check as check_complete
from ...kernel.submission import Submission
from . import models
from .problems import ApiProblem, kernel_problem
from .schema import submission_schema

#: Standard references a client may give: ``id`` or ``id@edition``, nothing that reads as a path.
REF = re.compile(r"[a-z0-9][a-z0-9_.-]*(@[A-Za-z0-9][A-Za-z0-9_.+-]*)?")


@attrs.frozen
class ServerConfig:
    """How the server runs: the ledger for ``?record=true`` and /v1/records, the body limit."""

    ledger: Path | str | None = None  # a SQLite file, or a PostgreSQL URL (audit.ledger)
    max_body_bytes: int = 8 * 1024 * 1024


@attrs.frozen
class Scored:
    """One evaluation: the standard used, the evaluation, and its canonical JSON."""

    standard: Standard
    decision: Decision
    text: str
    plugin: str = ""  # the plugin that contributed the standard, as "name distribution/version"
    plugins: str = ""  # every plugin of the process (as a record lists them), comma-separated

    @property
    def evaluation(self) -> Evaluation:
        return self.decision.evaluation


class Service:
    def __init__(self, registry: Registry, config: ServerConfig) -> None:
        self.registry = registry
        self.config = config
        self._ledger: Any = None
        self._ledger_lock = threading.Lock()

    # -- standards ------------------------------------------------------------------------------

    @functools.cached_property
    def _loaded(self) -> tuple[list[Standard], list[str]]:
        standards, problems = self.registry.load_all()
        return standards, [str(p) for p in problems]

    @property
    def standards(self) -> list[Standard]:
        """Every installed standard that builds (the others are reported by /v1/health)."""
        return self._loaded[0]

    @property
    def standard_problems(self) -> list[str]:
        return self._loaded[1]

    def editions(self, ref: str) -> list[Standard]:
        """The editions ``ref`` names: all of an id, or the one ``id@edition``."""
        checked = self.checked_ref(ref)
        if "@" in checked:
            return [self.registry.get(checked)]
        found = [s for s in self.standards if s.id == checked]
        if not found:
            self.registry.edition_key(checked, None)  # raises StandardNotFound naming what exists
            raise StandardNotFound(f"no standard {checked!r}")
        return found

    def resolve(self, ref: str, as_of: dt.date | None) -> Standard:
        """One standard: ``id@edition``, or of an ``id`` the edition in force on ``as_of``."""
        checked = self.checked_ref(ref)
        if "@" in checked:
            return self.registry.get(checked)
        return self.registry.get(self.registry.edition_key(checked, as_of))

    @staticmethod
    def checked_ref(ref: str) -> str:
        if not REF.fullmatch(ref):
            raise StandardNotFound(f"{ref!r} is not a standard id", hint="give ID or ID@EDITION, e.g. "
                                   "yunnan.county-education@2009; GET /v1/standards lists them")
        return ref

    @functools.lru_cache(maxsize=1)
    def listing_json(self) -> bytes:
        data = {"kernel_version": __version__, "standards": [models.summary(s) for s in self.standards]}
        return canonical_json(data).encode("utf-8")

    @functools.lru_cache(maxsize=256)  # keys are valid references only: errors are not cached
    def detail_json(self, ref: str) -> bytes:
        editions = self.editions(ref)
        data = {"kernel_version": __version__, "id": editions[0].id, "editions": [models.edition(s) for s in editions]}
        return canonical_json(data).encode("utf-8")

    @functools.lru_cache(maxsize=256)
    def schema_json(self, ref: str, as_of: dt.date | None) -> bytes:
        if "@" in ref or as_of is not None:
            standard = self.resolve(ref, as_of)
        else:  # a bare id: its newest edition
            standard = max(self.editions(ref), key=lambda s: (s.effective_from, s.edition))
        return canonical_json(submission_schema(standard)).encode("utf-8")

    # -- evaluations ----------------------------------------------------------------------------

    def submission(self, data: Any, *, index: int | None = None) -> tuple[Submission, list[Issue]]:
        """The submission, and every invalid value it had (left out of it; see kernel.completeness)."""
        if isinstance(data, list):
            raise ApiProblem("invalid-submission", "expected one submission (a JSON object), got a list",
                             hint="POST several to /v1/evaluations/batch", index=index)
        try:
            return read_data(data, file="<request>")
        except KernelError as error:
            raise _with_index(kernel_problem(error), index) from None
        except ApiProblem as problem:
            raise _with_index(problem, index) from None

    def score(self, data: Any, *, standard: str | None, as_of: dt.date | None, index: int | None = None,
              sensitivity: bool = False, trace: str = "summary") -> Scored:
        """Score one submission (parsed JSON data), as ``standards-kernel evaluate`` does: every
        missing or invalid input is answered in one problem before anything is evaluated."""
        submission, issues = self.submission(data, index=index)
        date = as_of or submission.as_of
        ref = standard or submission.standard
        try:
            if issues and (ref is None or date is None):
                raise IncompleteSubmission(issues)
            if ref is None:
                raise SubmissionError("no standard given", path="evaluation.standard",
                                      hint="name it in evaluation.standard or with ?standard=ID")
            if date is None:
                raise SubmissionError("no evaluation date", path="evaluation.as_of",
                                      hint="give evaluation.as_of in the submission or ?as_of=YYYY-MM-DD")
            try:
                chosen = self.resolve(ref, date)
            except StandardNotFound:
                if issues:  # the values are wrong whatever the standard: say so first, as before
                    raise IncompleteSubmission(issues) from None
                raise
            check_complete(submission, chosen, issues=issues)
            decision = decide(submission, chosen, as_of=date)  # the one road, as the CLI and batch take it
            if sensitivity:  # as evaluate --sensitivity: a section the record keeps and replay recomputes
                decision = with_sensitivity(decision)
            return Scored(chosen, decision, decision.to_json(trace=trace), *self.provenance(chosen))
        except KernelError as error:
            raise _with_index(kernel_problem(error), index) from None
        except (ArithmeticError, RecursionError) as error:
            # A number far outside what the kernel computes with (e.g. 1E+999999999): bad input.
            raise ApiProblem("cannot-evaluate", f"a value is out of the range the kernel computes with "
                             f"({type(error).__name__})", hint="check the magnitudes of the numbers", index=index) from None

    def provenance(self, standard: Standard) -> tuple[str, str]:
        """Which plugin answered with ``standard``, and every plugin loaded (name distribution/version)."""
        owner = self.registry.plugin_of(standard.key)
        return (self._plugin_token(owner) if owner else "none"), self.all_plugins()

    def all_plugins(self) -> str:
        """Every plugin of this process, as a record lists them: ``name distribution/version, …``."""
        return ", ".join(self._plugin_token(n) for n in sorted(self.registry.plugins))

    def _plugin_token(self, name: str) -> str:
        info = self.registry.plugins.get(name)
        if info is None:
            return name
        return f"{name} {info.distribution.replace(' ', '-')}/{info.version or 'unknown'}"

    # -- records --------------------------------------------------------------------------------

    def ledger(self) -> Any:
        """The ledger, opened on first use in this process (None when the server has none)."""
        if self.config.ledger is None:
            return None
        with self._ledger_lock:
            if self._ledger is None:
                from ...audit.ledger import Ledger

                self._ledger = Ledger(self.config.ledger, create=True)
            return self._ledger

    def require_ledger(self) -> Any:
        ledger = self.ledger()
        if ledger is None:
            raise ApiProblem("ledger-not-configured", "this server keeps no ledger",
                             hint="start it with: standards-kernel serve --ledger PATH")
        return ledger

    def record(self, scored: Scored, requested: str | None) -> Any:
        """Append the evaluation's record to the ledger; returns the ledger entry."""
        from ...audit.records import record_evaluation

        ledger = self.require_ledger()
        record = record_evaluation(scored.decision, plugins=self.registry.plugins,
                                   functions=self.registry.functions, requested=requested)
        return ledger.append(record)

    def find_record(self, decision_id: str) -> Any:
        from ...audit.ledger import LedgerError

        ledger = self.require_ledger()
        if not re.fullmatch(r"[0-9a-f]{8,64}", decision_id):
            raise ApiProblem("unknown-record", f"{decision_id!r} is not a decision id", path="path.decision_id",
                             hint="a decision id is 32 hexadecimal digits (at least the first 8 will do)")
        try:
            return ledger.get(decision_id)
        except LedgerError as error:
            if "no decision" in error.message or "ambiguous" in error.message:
                raise ApiProblem("unknown-record", error.message, hint=error.hint) from None
            raise


def _with_index(problem: ApiProblem, index: int | None) -> ApiProblem:
    if index is not None:
        problem.extra["index"] = index
    return problem
