"""Benchmark: one county with 100 schools, full trace, evaluation + canonical JSON.

Run: python benchmarks/evaluate_county.py [--schools 100] [--runs 200] [--standard PATH]
Reports the median, p10 and p90 wall time per evaluation (and per evaluation + canonical JSON),
and a profile of where the time goes with --profile. Figures are recorded in benchmarks/RESULTS.md;
no test asserts a time (these machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from standards_kernel import evaluate, to_json  # noqa: E402
from standards_kernel.kernel.loader import load_standard_file  # noqa: E402
from standards_kernel.kernel.submission import submission_from_data  # noqa: E402


def county(schools: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    records = []
    for i in range(schools):
        students = rng.randint(60, 2400)
        records.append({
            "id": f"S{i:04d}", "kind": "primary", "students": {"primary": students},
            "books": students * rng.randint(15, 40), "computers": students * rng.randint(6, 20) // 100,
            "teaching_aux_area_m2": Decimal(students) * Decimal(rng.randint(35, 80)) / 10,
        })
    return {
        "county": {"code": "000001", "name": "bench", "province": "test"},
        "evaluation": {"as_of": "2020-06-01"},
        "data": {
            "satisfaction_surveyed": 1000, "satisfaction_satisfied": 903,
            "enrolled": {"primary": 9990}, "school_age_population": {"primary": 10000},
            "levels": {"mechanism": "established"}, "panel_scores": {"government": 9},
            "dropouts": {"primary": 3}, "students_start_of_year": {"primary": 10000},
            "totals": {"building_area_m2": 500000, "dilapidated_d_area_m2": 1000},
            "events": {"exam_admission": False},
        },
        "schools": records,
    }


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def describe(label: str, times: list[float]) -> str:
    q = statistics.quantiles(times, n=10)
    return f"{label}: median {statistics.median(times) * 1000:.2f} ms, p10 {q[0] * 1000:.2f} ms, p90 {q[-1] * 1000:.2f} ms ({len(times)} runs)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--standard", default="national.quality-balance@2017",
                        help="an installed id@edition (synthetic county from `synth`) or 'synthetic' (tests/data)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.standard == "synthetic":
        standard = load_standard_file(ROOT / "tests" / "data" / "standards" / "synthetic.toml")
        submission = submission_from_data(county(args.schools))
    else:
        from standards_kernel.kernel.registry import default_registry
        from standards_kernel.batch.synth import generate

        standard = default_registry().get(args.standard)
        data = next(iter(generate(standard, 1, args.schools, seed=7)))
        submission = submission_from_data(data)
    evaluate(submission, standard)  # warm up
    print(f"standard {standard.key}, {args.schools} schools, Python {sys.version.split()[0]}")
    print(describe("evaluate", timed(lambda: evaluate(submission, standard), args.runs)))
    print(describe("evaluate + canonical JSON", timed(lambda: to_json(evaluate(submission, standard)), args.runs)))
    canonical = submission.canonical()
    print(describe("parse submission", timed(lambda: submission_from_data(canonical), args.runs // 4)))
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(50):
            to_json(evaluate(submission, standard))
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(18)


if __name__ == "__main__":
    main()
