"""Benchmark: one county of 100 schools, as ratios to the hand-written floor measured in the same run.

Run: python benchmarks/evaluate_county.py [--schools 100] [--rounds 200] [--standard ID@EDITION]
         [--per-unit] [--profile] [--counties N]

The county is synthetic (``standards-kernel synth``'s generator, seed 7) under
``national.quality-balance@2017`` by default. Each round times, one after the other and in CPU
time of this process (which other processes disturb far less than the wall clock):

- the floor: benchmarks/baseline_straight_line.py, the same rules written by hand in straight-line
  exact Decimal code, from the parsed JSON of the same county;
- ``evaluate()``;
- ``evaluate`` + the canonical JSON document (``decide(...).to_json()``: every value and check,
  the rectification list and the next-grade plan; what the CLI's ``--format json`` and a record
  hold, format ``evaluation@3``);
- ``evaluate`` + the full-trace JSON (``--trace full``: the same with what each unit read).

``--counties N`` times N different counties (seeds 7, 8, ...) in turn instead of one: what is kept
per county (the shares of combined schools, caches keyed by the data) is then computed afresh as in a
batch, where each county comes once; one round is then a pass over the N counties, each timed.

It prints each median and its ratio to the floor's median. ``--per-unit`` evaluates without the
column path (the per-unit path alone, kernel/columns.py), for comparison. ``--profile`` adds where
the time goes (cProfile, evaluate + canonical JSON). Figures go to benchmarks/RESULTS.md; no test
asserts a time (these machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import pstats
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import baseline_straight_line as baseline  # noqa: E402
from standards_kernel import decide, evaluate  # noqa: E402
from standards_kernel.batch.synth import generate  # noqa: E402
from standards_kernel.kernel.columns import per_unit_only  # noqa: E402
from standards_kernel.kernel.registry import default_registry  # noqa: E402
from standards_kernel.kernel.submission import submission_from_data  # noqa: E402


def cpu(fn: Callable[[], Any]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--standard", default="national.quality-balance@2017")
    parser.add_argument("--per-unit", action="store_true", help="without the column path")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--counties", type=int, default=1, help="time this many different counties in turn")
    args = parser.parse_args()
    standard = default_registry().get(args.standard)
    counties = []
    for seed in range(7, 7 + args.counties):
        data = next(iter(generate(standard, 1, args.schools, seed=seed)))
        parsed = json.loads(json.dumps(data, default=str), parse_float=Decimal)  # as a batch line arrives
        counties.append((parsed, submission_from_data(parsed)))
    parsed, submission = counties[0]
    floor_here = standard.key == "national.quality-balance@2017"
    mode = per_unit_only() if args.per_unit else contextlib.nullcontext()
    with mode:
        # A fresh copy for every document: the submission's hash (cached on the object) is part of
        # what writing one county's document costs.
        steps: dict[str, Callable[[], Any]] = {
            "evaluate()": lambda: evaluate(submission, standard),
            "evaluate + canonical JSON (the default trace)": lambda: decide(attrs.evolve(submission), standard).to_json(),
            "evaluate + full-trace JSON (--trace full)":
                lambda: decide(attrs.evolve(submission), standard).to_json(trace="full"),
        }
        if floor_here:
            steps = {"floor (hand-written, exact Decimal)": lambda: baseline.evaluate_county(parsed), **steps}
            kernel_grade = decide(submission, standard).grade
            assert baseline.evaluate_county(parsed)["grade"] == kernel_grade, "the floor and the kernel disagree"
        for fn in steps.values():  # warm up: the standard's compiled columns, caches
            fn()
        times: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(args.rounds):
            for parsed, submission in counties:  # the steps read these names when called
                for name, fn in steps.items():
                    times[name].append(cpu(fn))
        print(f"standard {standard.key}, {args.schools} schools, {args.rounds} rounds"
              f"{f' of {args.counties} counties' if args.counties > 1 else ''}, Python {sys.version.split()[0]}"
              f"{', per-unit path only' if args.per_unit else ''}; CPU time per county, median")
        floor = statistics.median(next(iter(times.values()))) if floor_here else None
        for name, values in times.items():
            median = statistics.median(values)
            ratio = f"  {median / floor:5.2f}× the floor" if floor else ""
            print(f"- {name}: {median * 1000:.2f} ms{ratio}")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(50):
                decide(attrs.evolve(submission), standard).to_json()
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
