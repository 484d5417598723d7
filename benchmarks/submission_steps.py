"""Benchmark: what the kernel does to a submission before it evaluates it (issue 13).

Run: python benchmarks/submission_steps.py [--schools 100] [--rounds 300] [--profile]

The county is synthetic (``standards-kernel synth``'s generator, seed 7) under
``national.quality-balance@2017``, parsed from its JSON text with ``parse_float=Decimal`` as the
API and ``evaluate-batch`` parse it. Each round times, in CPU time of this process (medians):

- build: ``submission_from_data(parsed)`` (reading, vocabulary coercion, per-school checks);
- check: ``completeness.check(submission, standard, issues=[])`` as the CLI and the API call it;
- hash: ``Submission.sha256`` of a fresh submission (``attrs.evolve``: the hash is cached);

and prints each median in ms. To compare with an older tree, run the same file with that tree's
``src`` first on the path: ``PYTHONPATH=/tmp/old/src python benchmarks/submission_steps.py``
(the editable install's finder comes after ``PYTHONPATH``). ``--profile`` adds cProfile's top
functions of each step. No test asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import time
from decimal import Decimal
from typing import Any, Callable

import attrs

import standards_kernel
from standards_kernel.batch.synth import generate
from standards_kernel.kernel.completeness import check
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import submission_from_data


def cpu(fn: Callable[[], Any], repeat: int) -> float:
    """CPU seconds of one call, as the mean of ``repeat`` calls (sub-millisecond steps)."""
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=10, help="calls per round (one round's time is their mean)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    std = default_registry().get("national.quality-balance@2017")
    data = next(iter(generate(std, 1, args.schools, seed=7)))
    parsed = json.loads(json.dumps(data, default=str), parse_float=Decimal)
    sub = submission_from_data(parsed)
    check(sub, std, issues=[])  # warm: the standard's Reads are worked out once per process
    steps: dict[str, Callable[[], Any]] = {
        "build": lambda: submission_from_data(parsed),
        "check": lambda: check(sub, std, issues=[]),
        "hash": lambda: attrs.evolve(sub).sha256,
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.rounds):  # interleaved, so that a burst of load falls on every step alike
        for name, fn in steps.items():
            times[name].append(cpu(fn, args.repeat))
    print(f"{standards_kernel.__file__}")
    print(f"{args.schools} schools, {args.rounds} rounds x {args.repeat} calls, CPU medians:")
    total = 0.0
    for name, found in times.items():
        median = statistics.median(found) * 1000
        total += median
        print(f"  {name:6} {median:7.3f} ms")
    print(f"  {'total':6} {total:7.3f} ms")
    if args.profile:
        for name, fn in steps.items():
            profile = cProfile.Profile()
            profile.runcall(lambda: [fn() for _ in range(200)])
            print(f"\n--- {name} (200 calls) ---")
            pstats.Stats(profile).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
