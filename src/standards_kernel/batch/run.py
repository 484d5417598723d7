"""Batch evaluation: many county submissions under one standard, into one NDJSON results file.

The parts: :mod:`standards_kernel.intake.sources` reads the inputs (directories of submission
files, NDJSON feeds, CSV tables merged by county; see docs/batch.md) into items;
:mod:`.workers` evaluates them, in worker processes or in this one; :mod:`.results` writes and
resumes the results file, one line per input in input order. This module runs the batch and
keeps its tallies.

Robustness: one bad input becomes an error line and the batch goes on. Lines are appended whole
and flushed one by one, fsynced after each chunk; an interrupted batch (SIGINT, SIGTERM) stops
after the chunk in hand and leaves a valid prefix. Run again with the same arguments, it resumes:
a torn last line (a crash mid-write) is cut off, every finished line is checked against its input
(position and sha256 of the input's bytes) and skipped. With ``--record``, a chunk's decisions
are in the ledger before its lines are written, and the ledger keeps one row per decision id, so
redoing a chunk after an interruption never records a decision twice.
"""

from __future__ import annotations

import concurrent.futures as futures
import datetime as dt
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import attrs

from ..errors import KernelError
from ..intake.sources import BatchError, InputPlan, Item, plan_inputs
from .results import CountyInfo, Done, ResultsFile, error_line, info_from_line, info_from_result, ok_line
from .workers import Config, Evaluator, Outcome, init_worker, run_chunk, is_path, requested_name, settled_collector

# The names this module has always offered (the CLI, ``compare``, tests and benchmarks import them here).
__all__ = [
    "BatchError", "Config", "CountyInfo", "Done", "Evaluator", "InputPlan", "Item", "Outcome", "ProgressFn",
    "ResultsFile", "StopFlag", "Summary", "check_standard", "chunk_size", "default_jobs", "error_line",
    "info_from_line", "info_from_result", "ok_line", "plan_inputs", "requested_name", "run_batch",
]

MAX_CHUNK = 32
POLL_SECONDS = 0.1


@attrs.define
class Summary:
    """Tallies of a batch: the whole results file, including lines of an earlier run."""

    total: int = 0
    resumed: int = 0  # lines found done at the start
    evaluated: int = 0  # evaluated by this run (ok or failed)
    failed: list[CountyInfo] = attrs.Factory(list)
    grades: dict[str, Counter[str]] = attrs.Factory(dict)  # standard → grade → counties
    grade_order: dict[str, tuple[str, ...]] = attrs.Factory(dict)
    vetoes: Counter[str] = attrs.Factory(Counter)
    gates: Counter[str] = attrs.Factory(Counter)
    labels: dict[str, str] = attrs.Factory(dict)
    slowest: list[tuple[float, str]] = attrs.Factory(list)  # this run only (timings are not in the file)
    seconds: float = 0.0
    jobs: int = 1
    cut_bytes: int = 0
    interrupted: str | None = None  # the signal's name

    @property
    def ok(self) -> int:
        return sum(sum(c.values()) for c in self.grades.values())

    @property
    def written(self) -> int:
        return self.ok + len(self.failed)

    def add(self, info: CountyInfo, seconds: float | None = None) -> None:
        if not info.ok:
            self.failed.append(info)
        else:
            self.grades.setdefault(info.standard, Counter())[info.grade] += 1
            self.grade_order.setdefault(info.standard, info.grades)
            self.vetoes.update(info.vetoes)
            self.gates.update(info.gates)
            self.labels.update(info.labels)
        if seconds is not None:
            self.evaluated += 1
            if info.ok:
                self.slowest.append((seconds, f"{info.code} {info.name}".strip()))
                self.slowest.sort(key=lambda pair: -pair[0])
                del self.slowest[10:]


ProgressFn = Callable[[Summary], None]


class StopFlag:
    """Set by SIGINT/SIGTERM: the batch stops after the chunk in hand."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopFlag":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: object) -> None:
        # Only a flag: raising here could cut a line in the middle of its write.
        self.signal = signal.Signals(signum).name

    def __bool__(self) -> bool:
        return self.signal is not None


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def chunk_size(remaining: int, jobs: int) -> int:
    """Chunks small enough to spread over the workers (and to stop soon on a signal), large enough
    that passing them between processes costs little."""
    return max(1, min(MAX_CHUNK, remaining // (jobs * 4) or 1))


def check_standard(ref: str | None, as_of: dt.date | None) -> None:
    """Fail early on a ``--standard`` that cannot be right for any input (a broken path, an
    unknown id), rather than once per county."""
    if not ref:
        return
    from ..kernel.registry import default_registry

    registry = default_registry()
    if is_path(ref):
        registry.load_path(ref)
    elif "@" in ref:
        registry.get(ref)
    elif as_of is not None:
        registry.edition_key(ref, as_of)
    elif not any(e.id == ref for e in registry.entries()):
        registry.edition_key(ref, None)  # raises "no standard …" with the installed ids


def run_batch(
    inputs: Sequence[str],
    out: str | Path,
    config: Config,
    *,
    jobs: int = 1,
    restart: bool = False,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> Summary:
    """Evaluate every input into ``out`` (resuming it unless ``restart``); returns the tallies.

    Raises :class:`BatchError` when the batch cannot go on; the results file then holds a valid
    prefix and the same call resumes it."""
    started = time.perf_counter()
    check_standard(config.standard, config.as_of)
    if config.record:
        _open_ledger(config)
    plan = plan_inputs(inputs)
    results = ResultsFile(out, restart=restart)
    summary = Summary(total=plan.total, jobs=jobs, cut_bytes=results.cut_bytes)
    stop = stop if stop is not None else StopFlag()
    try:
        items = plan.items()
        _skip_done(results, items, plan.total, config, summary)
        remaining = plan.total - len(results.done)
        chunks = _chunks(items, chunk_size(remaining, jobs))
        workers = min(jobs, -(-remaining // chunk_size(remaining, jobs))) if remaining else 1
        if workers <= 1:
            _run_here(chunks, config, results, summary, progress, stop)
        else:
            _run_pool(chunks, config, workers, results, summary, progress, stop)
    finally:
        results.close()
        summary.seconds = time.perf_counter() - started
        summary.interrupted = stop.signal
    return summary


def _open_ledger(config: Config) -> None:
    """Create the ledger here, once, before workers race to create it; a bad path fails early."""
    try:
        from ..audit.ledger import Ledger, default_ledger_path
    except ImportError as error:  # pragma: no cover - the audit modules ship with the kernel
        raise BatchError(f"--record needs the ledger module ({error})") from None
    Ledger(config.ledger or default_ledger_path(), create=True).close()


def _skip_done(results: ResultsFile, items: Iterator[Item], total: int, config: Config, summary: Summary) -> None:
    if len(results.done) > total:
        raise BatchError(f"the results file has {len(results.done)} lines for {total} inputs",
                         file=str(results.path), hint="it belongs to another batch: give another --out, or --restart")
    for position, done in enumerate(results.done):
        item = next(items)
        if done.index != position or done.sha256 != item.sha256:
            raise BatchError(
                f"line {position + 1} is for another input than {item.label} (input {position + 1} has changed)",
                file=str(results.path), line=position + 1,
                hint="resume only with the same inputs; give another --out, or --restart to evaluate everything again")
        if done.info.ok and done.recorded != config.record:
            state = "recorded" if done.recorded else "not recorded"
            raise BatchError(f"the finished lines were {state} in the ledger; this run would "
                             + ("not record" if config.record is False else "record") + " the rest",
                             file=str(results.path), hint="resume with the same --record setting, or --restart")
        summary.add(done.info)
    summary.resumed = len(results.done)


def _chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write(outcomes: list[Outcome], results: ResultsFile, summary: Summary, progress: ProgressFn | None) -> None:
    results.write(o.line for o in outcomes)
    for outcome in outcomes:
        summary.add(outcome.info, outcome.seconds)
    if progress is not None:
        progress(summary)


def _run_here(chunks: Iterator[list[Item]], config: Config, results: ResultsFile, summary: Summary,
              progress: ProgressFn | None, stop: StopFlag) -> None:
    evaluator = Evaluator(config)
    try:
        with settled_collector(evaluator):
            for chunk in chunks:
                if stop:
                    return
                _write(evaluator.run(chunk), results, summary, progress)
    finally:
        evaluator.close()


def _run_pool(chunks: Iterator[list[Item]], config: Config, workers: int, results: ResultsFile, summary: Summary,
              progress: ProgressFn | None, stop: StopFlag) -> None:
    methods = multiprocessing.get_all_start_methods()
    # fork: the workers start with the parent's loaded standards and plugins (spawn elsewhere).
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = futures.ProcessPoolExecutor(workers, mp_context=context, initializer=init_worker, initargs=(config,))
    pending: deque[futures.Future[list[Outcome]]] = deque()
    window = workers * 2  # chunks in flight: one running and one waiting per worker; bounds memory
    try:
        for chunk in chunks:
            pending.append(pool.submit(run_chunk, chunk))
            while len(pending) >= window:
                if not _drain_one(pending, results, summary, progress, stop):
                    return
        while pending:
            if not _drain_one(pending, results, summary, progress, stop):
                return
    except futures.process.BrokenProcessPool:
        raise BatchError("a worker process died (out of memory?)", file=str(results.path),
                         hint="the results so far are kept: run the same command again, perhaps with fewer --jobs") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _drain_one(pending: deque[futures.Future[list[Outcome]]], results: ResultsFile, summary: Summary,
               progress: ProgressFn | None, stop: StopFlag) -> bool:
    """Wait for the oldest chunk and write it; False when a signal asked to stop."""
    first = pending[0]
    while True:
        if stop:
            return False
        try:
            outcomes = first.result(timeout=POLL_SECONDS)
            break
        except futures.TimeoutError:
            continue
        except (KernelError, futures.process.BrokenProcessPool):
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. the ledger's database refusing a write
            raise BatchError(f"a worker failed: {type(exc).__name__}: {exc}",
                             hint="the results so far are kept: run the same command again") from None
    pending.popleft()
    _write(outcomes, results, summary, progress)
    return True
