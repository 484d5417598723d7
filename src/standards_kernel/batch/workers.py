"""Evaluating batch items, in a worker process or in this one: one results line per item.

Each item goes the one road to the canonical document (:func:`standards_kernel.audit.decision.decide`);
a bad input becomes an error line pointing at its file and line (NDJSON line, CSV row, TOML key),
and a kernel bug in one county becomes an error line too, never a stopped batch. With ``record``,
a chunk's decisions go into the ledger before its lines are written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import re
import signal
import time
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import attrs

from ..audit.decision import decide
from ..errors import KernelError, SubmissionError
from ..intake.sources import Item
from ..kernel.formats import exact_json, load_text
from ..kernel.locate import locate_line
from ..kernel.model import Standard
from ..kernel.submission import submission_from_data
from .results import CountyInfo, error_line, info_from_decision, ok_line, render_error


@attrs.frozen
class Config:
    """What every worker needs to know: the standard, the date, and whether to record."""

    standard: str | None  # as given: id, id@edition or a path; None: each submission's own
    as_of: dt.date | None
    record: bool = False
    ledger: str | None = None


@attrs.frozen
class Outcome:
    """One evaluated item: its results line, and the facts the summary tallies."""

    index: int
    line: bytes | bytearray  # UTF-8, without its newline
    seconds: float
    info: CountyInfo


def _county_of(raw: Any) -> dict[str, str]:
    """The county's code and name as the input gives them, for the error line of a bad input."""
    county = raw.get("county") if isinstance(raw, Mapping) else None
    if not isinstance(county, Mapping):
        return {}
    return {k: county[k] for k in ("code", "name") if isinstance(county.get(k), str)}


class Evaluator:
    """Evaluates items; one per process. Standards are resolved once per (reference, date)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._standards: dict[tuple[str, dt.date | None, bool], Standard] = {}
        self._paths: dict[str, bool] = {}  # is_path by reference: one stat per reference, not per county
        self._ledger: Any = None

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    def standard(self, ref: str, as_of: dt.date | None, *, from_submission: bool = False) -> Standard:
        """``--standard`` may name a file; a submission's ``evaluation.standard`` only an id."""
        if from_submission:
            key: tuple[str, dt.date | None, bool] = (ref, as_of, True)
        else:  # a file is the same standard on every date
            path = self._paths.get(ref)
            if path is None:
                path = self._paths[ref] = is_path(ref)
            key = (ref, None if path else as_of, False)
        if key not in self._standards:
            from ..kernel.registry import default_registry

            registry = default_registry()
            self._standards[key] = registry.resolve_id(ref, as_of) if from_submission else registry.resolve(ref, as_of)
        return self._standards[key]

    def run(self, items: Sequence[Item]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        records: list[Any] = []
        for item in items:
            outcome, record = self.one(item)
            outcomes.append(outcome)
            if record is not None:
                records.append(record)
        if records:
            # In the ledger before the lines are written: an interruption in between means the
            # chunk is redone, and the ledger answers the same decision ids with their old rows.
            self.ledger().append_many(records)
        return outcomes

    def ledger(self) -> Any:
        if self._ledger is None:
            from ..audit.ledger import Ledger, default_ledger_path

            self._ledger = Ledger(self.config.ledger or default_ledger_path(), create=True)
        return self._ledger

    def one(self, item: Item) -> tuple[Outcome, Any]:
        start = time.perf_counter()
        record = None
        county: dict[str, str] = {"code": item.county} if item.county else {}
        try:
            if item.fmt == "error":
                return self._failed(item, exact_json(item.text), start, county), None
            raw = load_text(item.text, fmt="toml" if item.fmt == "toml" else "json", file=item.file,
                            error=SubmissionError)
            county = _county_of(raw) or county
            submission = submission_from_data(raw, file=item.file)
            del raw  # the submission holds what it needs: a large county is not held twice
            as_of = self.config.as_of or submission.as_of
            ref = self.config.standard or submission.standard
            if not ref:
                raise KernelError("no standard given", hint="give --standard, or evaluation.standard in the submission")
            decision = decide(submission, self.standard(ref, as_of, from_submission=not self.config.standard), as_of)
            parts = decision.json_parts()
            decision_id = None
            if self.config.record:
                from ..audit.records import record_evaluation

                record = record_evaluation(decision, requested=requested_name(ref))
                decision_id = record.decision_id
            line = ok_line(item, parts, decision_id)
            del parts
            info = info_from_decision(item.label, decision)
            return Outcome(item.index, line, time.perf_counter() - start, info), record
        except KernelError as error:
            return self._failed(item, self.locate(error, item).to_dict(), start, county), None
        except Exception as exc:  # noqa: BLE001 - a kernel bug in one county must not stop the others
            problem = {"error": "InternalError", "message": f"{type(exc).__name__}: {exc}", "file": item.file,
                       "hint": "a bug in the kernel or a plugin; please report it with this input"}
            return self._failed(item, problem, start, county), None

    def _failed(self, item: Item, error: Mapping[str, Any], start: float, county: Mapping[str, str]) -> Outcome:
        info = CountyInfo(False, item.label, code=county.get("code", ""), name=county.get("name", ""),
                          error=render_error(error))
        return Outcome(item.index, error_line(item, error, county), time.perf_counter() - start, info)

    def locate(self, error: KernelError, item: Item) -> KernelError:
        """Point the error at the input's file and line (NDJSON line, CSV row, TOML key)."""
        if item.fmt == "ndjson":
            error.file, error.line = item.file, item.line
        elif item.fmt == "csv":
            where = _csv_place(error.path or "")
            found = [(f, n) for place, f, n in item.locations if place == where]
            error.file, error.line = found[0] if found else (item.file, item.line)
        elif item.fmt == "toml" and error.line is None:
            error.file = error.file or item.file
            error.line = locate_line(item.text, error.path or "")
        else:
            error.file = error.file or item.file
        error.args = (error.render(),)
        return error


def is_path(ref: str) -> bool:
    """The registry's rule: a reference naming a file rather than a standard id."""
    return ref.endswith((".toml", ".json")) or os.sep in ref or "/" in ref or Path(ref).is_file()


def requested_name(ref: str) -> str:
    """The standard reference as a record keeps it: a path becomes ``file:NAME`` (as ``evaluate
    --record`` does), so that a decision id does not depend on where the command ran."""
    return f"file:{Path(ref).name}" if is_path(ref) else ref


def _csv_place(path: str) -> str:
    match = re.match(r"^(schools|townships)\[\d+\]", path)
    if match:
        return match.group(0)
    return "data" if path.startswith("data") else ""


_WORKER: Evaluator | None = None

#: The collector's first threshold while a batch runs (Python's default is 700). A county's
#: evaluation makes tens of thousands of short-lived containers that reference counting frees, so
#: the default starts a young collection every few hundred of them, for nothing: 3% of a national
#: run's CPU. Cycles (a caught error's traceback) are still collected, every 10,000 allocations.
BATCH_GC_THRESHOLD = 10_000


@contextlib.contextmanager
def settled_collector(evaluator: Evaluator) -> Iterator[None]:
    """For the length of a batch in this process: what lives as long as the batch (modules, the
    standard, its compiled columns) frozen out of the collector's walks, and young collections
    rarer. Both are undone after, so a caller of ``run_batch`` keeps its own settings."""
    _load_standard(evaluator)
    threshold = gc.get_threshold()
    freeze = gc.get_freeze_count() == 0  # never unfreeze what a caller froze itself
    if freeze:
        gc.freeze()
    gc.set_threshold(BATCH_GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if freeze:
            gc.unfreeze()


def _load_standard(evaluator: Evaluator) -> None:
    """The batch's standard loaded now, before the freeze, so that its objects are frozen too."""
    if evaluator.config.standard:
        try:
            evaluator.standard(evaluator.config.standard, evaluator.config.as_of)
        except KernelError:
            pass  # every item reports it, with its own line


def init_worker(config: Config) -> None:
    """The pool's initializer: one Evaluator per worker process, standard loaded once."""
    global _WORKER
    # Ctrl-C reaches the whole process group: the parent decides when to stop, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER = Evaluator(config)
    _load_standard(_WORKER)
    # What the worker holds from now on (modules, the standard, its compiled columns) lives as
    # long as the worker: the collector need not walk it again for every county, and a forked
    # worker's pages stay shared with the parent's instead of being copied as the walk touches them.
    gc.freeze()
    gc.set_threshold(BATCH_GC_THRESHOLD, *gc.get_threshold()[1:])


def run_chunk(items: Sequence[Item]) -> list[Outcome]:
    """Evaluate a chunk in a worker set up by :func:`init_worker`."""
    assert _WORKER is not None
    return _WORKER.run(items)

