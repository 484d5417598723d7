"""Benchmark: what the kernel does to a submission before it evaluates it (issue 13).

Run: python benchmarks/submission_steps.py [--schools 70] [--rounds 200] [--profile]

The county is synthetic (``standards-kernel synth``'s generator, seed 7) under
``national.quality-balance@2017``, written as ``evaluate-batch`` reads it: one NDJSON line of
``content_json`` (numbers as JSON numbers), or with ``--text-numbers`` numbers as JSON text (as
``json.dumps(default=str)`` writes them). Each round times, in CPU time of this process (medians of
``--repeat`` calls), each step now and by the road it took before, side by side:

- read: ``exact_json(line)`` now; before, every object's keys checked as it is parsed
  (``formats._checked_json``, the reading before, which now runs only when the colons of the
  text do not match the keys of the data);
- build: ``submission_from_data(parsed)`` now (units checked a column at a time); before, with
  the column road off, record by record (``submission._units`` without ``_plain_units``);
- hash: ``Submission.sha256`` of a fresh submission (``attrs.evolve``: the hash is cached) now
  (``canonical_text``: the JSON written column by column); before, ``sha256_text(canonical_json(
  submission.canonical()))``;
- check: ``completeness.check(submission, standard, issues=[])`` as the CLI and the API call it.

It checks first that both roads give the same data, units and hash, then prints each median in
ms with the ratio. To compare with an older tree as a whole, run the same file with that tree's
``src`` first on the path (``PYTHONPATH=/tmp/old/src``; the "before" columns then mean nothing
there). ``--profile`` adds cProfile's top functions of each new step. No test asserts a time.

Figures (2026-12-01 06:40 UTC, load average 2.2 on 2 shared cores; CPU medians, before -> now):
70 schools: read 0.291 -> 0.262 ms (1.11x), build 0.403 -> 0.233 (1.73x), hash 0.471 -> 0.296
(1.59x), the three 1.165 -> 0.791 ms (1.47x); 100 schools: read 0.417 -> 0.378, build 0.569 ->
0.322, hash 0.687 -> 0.397, the three 1.673 -> 1.097 ms (1.53x); 70 schools, numbers as text:
build 0.464 -> 0.340, hash 0.515 -> 0.344. The check is unchanged (0.22 ms at 70 schools).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import statistics
import time
from typing import Any, Callable, Iterator

import attrs

import standards_kernel
from standards_kernel.batch.synth import generate
from standards_kernel.kernel import formats, submission
from standards_kernel.kernel.completeness import check
from standards_kernel.kernel.formats import canonical_json, content_json, exact_json, sha256_text
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import submission_from_data


def cpu(fn: Callable[[], Any], repeat: int) -> float:
    """CPU seconds of one call, as the mean of ``repeat`` calls (sub-millisecond steps)."""
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


@contextlib.contextmanager
def record_by_record() -> Iterator[None]:
    """The build as it was: every unit record read value by value (the column road off)."""
    plain_units = submission._plain_units
    submission._plain_units = lambda items, level: None  # type: ignore[assignment]
    try:
        yield
    finally:
        submission._plain_units = plain_units


def build_before(parsed: dict[str, Any]) -> submission.Submission:
    with record_by_record():
        return submission_from_data(parsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=70)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=10, help="calls per round (one round's time is their mean)")
    parser.add_argument("--text-numbers", action="store_true", help="numbers as JSON text, not JSON numbers")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    std = default_registry().get("national.quality-balance@2017")
    data = next(iter(generate(std, 1, args.schools, seed=7)))
    line = json.dumps(data, default=str, ensure_ascii=False) if args.text_numbers else content_json(data)
    parsed = exact_json(line)
    sub = submission_from_data(parsed)
    assert repr(formats._checked_json(line)) == repr(parsed)
    assert build_before(parsed) == sub and [u.values for u in build_before(parsed).schools] == [u.values for u in sub.schools]
    assert sub.canonical_text() == canonical_json(sub.canonical())
    check(sub, std, issues=[])  # warm: the standard's Reads are worked out once per process
    steps: dict[str, tuple[Callable[[], Any], Callable[[], Any] | None]] = {
        "read": (lambda: exact_json(line), lambda: formats._checked_json(line)),
        "build": (lambda: submission_from_data(parsed), lambda: build_before(parsed)),
        "hash": (lambda: attrs.evolve(sub).sha256,
                 lambda: sha256_text(canonical_json(attrs.evolve(sub).canonical()))),
        "check": (lambda: check(sub, std, issues=[]), None),
    }
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):  # interleaved, so that a burst of load falls on every step alike
        for name, (now, before) in steps.items():
            times.setdefault((name, "now"), []).append(cpu(now, args.repeat))
            if before is not None:
                times.setdefault((name, "before"), []).append(cpu(before, args.repeat))
    print(f"{standards_kernel.__file__}")
    print(f"{args.schools} schools, numbers as {'text' if args.text_numbers else 'JSON numbers'}, "
          f"{args.rounds} rounds x {args.repeat} calls, CPU medians (load average {os.getloadavg()[0]:.2f}):")
    print(f"  {'step':6} {'before':>9} {'now':>9}  ratio")
    total = {"before": 0.0, "now": 0.0}
    for name, (_, before) in steps.items():
        now_ms = statistics.median(times[(name, "now")]) * 1000
        before_ms = statistics.median(times[(name, "before")]) * 1000 if before is not None else now_ms
        total["now"] += now_ms
        total["before"] += before_ms
        print(f"  {name:6} {before_ms:7.3f}ms {now_ms:7.3f}ms  {before_ms / now_ms:5.2f}x")
    print(f"  {'total':6} {total['before']:7.3f}ms {total['now']:7.3f}ms  {total['before'] / total['now']:5.2f}x")
    if args.profile:
        for name, (fn, _) in steps.items():
            profile = cProfile.Profile()
            profile.runcall(lambda: [fn() for _ in range(200)])
            print(f"\n--- {name} (200 calls) ---")
            pstats.Stats(profile).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
