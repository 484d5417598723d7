"""Benchmark: the national case — every county of China under the 2017 standard.

Run: python benchmarks/national_batch.py [--counties 2850] [--schools 70] [--jobs 1,ALL]
         [--standard national.quality-balance] [--workdir DIR] [--sample 100]

1. ``standards-kernel synth`` makes the counties once (cached in the work folder by its arguments);
2. ``standards-kernel evaluate-batch`` runs as a fresh process for each ``--jobs`` value, timed
   wall-clock, with the resident memory of the process and its workers sampled every 50 ms
   (peak of the sum, and peak of the largest single process);
3. the results of every run must be byte-identical (the first run is the reference);
4. benchmarks/baseline_straight_line.py (the same rules written by hand in straight-line Decimal
   code) runs on the same file, and must agree with the kernel on every county (grade, failed gates,
   triggered vetoes, the fourteen coefficients);
5. on a sample of counties, in this process, in CPU time: the kernel's steps (reading the line,
   checking the submission, its hash, evaluate, the canonical result as JSON) and the
   baseline's computation, so the ratio can be read without the reading and writing around them.

No number here is asserted: the machines are shared and noisy. Figures go to benchmarks/batch_results.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import baseline_straight_line as baseline  # noqa: E402
from standards_kernel.batch.run import default_jobs  # noqa: E402
from standards_kernel.kernel.evaluate import evaluate  # noqa: E402
from standards_kernel.kernel.registry import default_registry  # noqa: E402
from standards_kernel.kernel.formats import exact_json  # noqa: E402
from standards_kernel.audit.decision import analysed  # noqa: E402
from standards_kernel.kernel.submission import submission_from_data  # noqa: E402
from standards_kernel.batch.synth import generate, write_ndjson  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# --- memory of a process tree ----------------------------------------------------------------------


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as stream:
            return int(stream.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stream:
                    fields = stream.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


class Sampler(threading.Thread):
    """Peak resident memory of a process and its children (the batch's workers)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_total = 0
        self.peak_single = 0
        self.processes = 1
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pids = [self.pid] + _children(self.pid)
            sizes = [_rss(p) for p in pids]
            self.processes = max(self.processes, len(pids))
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_single = max(self.peak_single, max(sizes))
            self.done.wait(0.05)


def timed_process(command: list[str]) -> tuple[float, float, Sampler, str]:
    """Wall seconds, CPU seconds (all processes), the memory sampler, standard output."""
    cpu = cpu_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if process.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr[-2000:]}")
    return seconds, cpu_seconds() - cpu, sampler, stdout


def kernel_fingerprint() -> str:
    """A hash of the kernel's code and standards: the runs compare only if it did not change."""
    digest = hashlib.sha256()
    for folder, pattern in ((ROOT / "src" / "standards_kernel", "*.py"), (ROOT / "provinces", "*.toml"),
                            (ROOT / "plugins", "*.py")):
        for path in sorted(folder.rglob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cpu_seconds() -> float:
    """User + system CPU time of the finished child processes (and their workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mib(size: int) -> str:
    return f"{size / (1 << 20):.0f} MiB"


# --- agreement with the baseline ----------------------------------------------------------------------


def agreement(results: Path, base: Path) -> tuple[int, int, Decimal]:
    """(counties compared, disagreements, largest relative difference of a coefficient)."""
    compared = disagree = 0
    worst = Decimal(0)
    with results.open(encoding="utf-8") as kernel_lines, base.open(encoding="utf-8") as base_lines:
        for kernel_line, base_line in zip(kernel_lines, base_lines):
            line = json.loads(kernel_line)
            mine = json.loads(base_line)
            compared += 1
            if not line["ok"]:
                disagree += 1
                continue
            r = line["result"]
            gates = sorted(g for g, v in r["gates"].items() if v["failed"])
            vetoes = sorted(v for v, x in r["vetoes"].items() if x["triggered"])
            if (mine["grade"], mine["gates"], mine["vetoes"]) != (r["grade"], gates, vetoes):
                disagree += 1
            for name, value in mine["cv"].items():
                theirs = Decimal(r["indicators"][name]["value"])
                worst = max(worst, abs(Decimal(value) - theirs) / theirs)
    return compared, disagree, worst


# --- in-process timing of the evaluation alone -----------------------------------------------------------


def per_county(fn, items, repeat: int = 3) -> float:
    """Median over ``repeat`` passes of the mean CPU seconds per item (this process's CPU time,
    which other processes on a shared machine disturb far less than the wall clock)."""
    passes = []
    for _ in range(repeat):
        start = time.process_time()
        for item in items:
            fn(item)
        passes.append((time.process_time() - start) / len(items))
    return statistics.median(passes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counties", type=int, default=2850)
    parser.add_argument("--schools", type=int, default=70)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--standard", default="national.quality-balance")
    parser.add_argument("--jobs", default="1,ALL", help="comma-separated; ALL = the machine's cores")
    parser.add_argument("--workdir", default="/tmp/standards-kernel-national-bench")
    parser.add_argument("--sample", type=int, default=100, help="counties timed in-process (step 5)")
    parser.add_argument("--keep", action="store_true", help="keep the results files")
    parser.add_argument("--memory-schools", type=int, default=10000,
                        help="then one county of this many schools: peak memory of the kernel's worker and of the "
                        "baseline (0: skip)")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    jobs = [default_jobs() if j.strip().upper() == "ALL" else int(j) for j in args.jobs.split(",")]
    standard = default_registry().resolve(args.standard, None)
    data = work / f"{standard.key}-{args.counties}x{args.schools}-seed{args.seed}.ndjson"

    print(f"# {standard.key}: {args.counties} counties × {args.schools} schools, seed {args.seed}")
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores "
          f"({default_jobs()} usable), {platform.platform()}")
    if data.exists():
        print(f"synth: cached {data} ({data.stat().st_size / (1 << 20):.0f} MiB)")
    else:
        start = time.perf_counter()
        partial = data.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as stream:
            write_ndjson(stream, generate(standard, args.counties, args.schools, args.seed, standard_ref=args.standard))
        partial.rename(data)
        print(f"synth: {time.perf_counter() - start:.1f} s -> {data} ({data.stat().st_size / (1 << 20):.0f} MiB)")

    fingerprint = kernel_fingerprint()
    print(f"load average before the runs: {os.getloadavg()[0]:.1f}; kernel fingerprint {fingerprint[:12]}")
    print("\n| run | wall | CPU (all processes) | counties/s | peak RSS (all processes) | peak RSS (largest process) | results |")
    print("|---|---|---|---|---|---|---|")
    reference: str | None = None
    first_results: Path | None = None
    runs: dict[int, tuple[float, float]] = {}
    for n in jobs:
        out = work / f"results-jobs{n}.ndjson"
        command = [sys.executable, "-m", "standards_kernel", "evaluate-batch", str(data), "--standard",
                   args.standard, "--out", str(out), "--jobs", str(n), "--restart"]
        seconds, cpu, sampler, _ = timed_process(command)
        runs[n] = (seconds, cpu)
        digest = sha256_file(out)
        reference = reference or digest
        same = "reference" if digest == reference and first_results is None else (
            "byte-identical" if digest == reference else "DIFFERENT")
        first_results = first_results or out
        print(f"| kernel, --jobs {n} | {seconds:.1f} s | {cpu:.1f} s | {args.counties / seconds:.1f} | {mib(sampler.peak_total)} "
              f"({sampler.processes} processes) | {mib(sampler.peak_single)} | {same}, {out.stat().st_size / (1 << 20):.0f} MiB |")
    assert first_results is not None
    if standard.key != "national.quality-balance@2017":
        if kernel_fingerprint() != fingerprint:
            print("\nWARNING: the kernel's code or standards changed during the runs: the results cannot be compared")
        print("\n(no hand-written baseline for this standard)")
        return
    base = work / "baseline.ndjson"
    command = [sys.executable, str(ROOT / "benchmarks" / "baseline_straight_line.py"), str(data), "--out", str(base)]
    seconds, cpu, sampler, _ = timed_process(command)
    print(f"| baseline (straight-line Decimal), 1 process | {seconds:.1f} s | {cpu:.1f} s | {args.counties / seconds:.1f} | "
          f"{mib(sampler.peak_total)} | {mib(sampler.peak_single)} | grades only |")
    if kernel_fingerprint() != fingerprint:
        print("\nWARNING: the kernel's code or standards changed during the runs: the results cannot be compared")
    compared, disagree, worst = agreement(first_results, base)
    print(f"\nagreement with the baseline: {compared} counties, {disagree} disagreements; "
          f"largest relative difference of a coefficient {worst:.1E}")
    if 1 in runs:
        print(f"\nwhole processes, same file: kernel --jobs 1 / baseline = {runs[1][0] / seconds:.2f}× wall, "
              f"{runs[1][1] / cpu:.2f}× CPU (each from its NDJSON input to its results file)")
        for n, (wall, _) in sorted(runs.items()):
            if n != 1:
                print(f"kernel --jobs {n}: {runs[1][0] / wall:.2f}× the rate of --jobs 1 (wall; load average now "
                      f"{os.getloadavg()[0]:.1f})")

    lines = []
    with data.open(encoding="utf-8") as stream:
        for line, _ in zip(stream, range(args.sample)):
            lines.append(line)
    sample = [exact_json(line) for line in lines]
    submissions = [submission_from_data(c) for c in sample]
    pairs = list(zip(submissions, sample))
    evaluations = [evaluate(sub, standard) for sub in submissions]
    read = per_county(exact_json, lines)
    parse = per_county(lambda c: submission_from_data(c), sample)
    hashed = per_county(lambda sub: attrs.evolve(sub).sha256, submissions)  # once per submission in a run
    kernel_eval = per_county(lambda sub: evaluate(sub, standard), submissions)
    written = per_county(lambda e: analysed(e).json_parts(), evaluations)  # as the batch writes a line
    base_eval = per_county(lambda pair: baseline.evaluate_county(pair[1]), pairs)
    base_parse = per_county(lambda line: json.loads(line, parse_float=Decimal), lines)
    kernel_total = read + parse + hashed + kernel_eval + written
    print(f"\nCPU per county, in-process, median of 3 passes over {len(sample)} counties:")
    print(f"- kernel: read the line {read * 1000:.2f} ms; check the submission {parse * 1000:.2f} ms; its hash "
          f"{hashed * 1000:.2f} ms; evaluate {kernel_eval * 1000:.2f} ms; the canonical result (gaps, next grade, "
          f"JSON) {written * 1000:.2f} ms; total {kernel_total * 1000:.2f} ms")
    print(f"- baseline: compute {base_eval * 1000:.2f} ms (its JSON parsing: {base_parse * 1000:.2f} ms)")
    print(f"- ratio kernel / baseline: evaluate alone {kernel_eval / base_eval:.1f}×; "
          f"read + check + hash + evaluate + canonical JSON {kernel_total / (base_eval + base_parse):.1f}× "
          f"the baseline's parse + compute")
    if args.memory_schools:
        memory(work, standard, args)
    if not args.keep:
        for n in jobs:
            (work / f"results-jobs{n}.ndjson").unlink(missing_ok=True)


def memory(work: Path, standard: Any, args: argparse.Namespace) -> None:
    """Peak memory of one county of ``--memory-schools`` schools: the kernel's batch worker and the
    baseline, each a fresh process reading the same one-line NDJSON file."""
    big = work / f"{standard.key}-1x{args.memory_schools}-seed{args.seed}.ndjson"
    if not big.exists():
        with big.open("w", encoding="utf-8") as stream:
            write_ndjson(stream, generate(standard, 1, args.memory_schools, args.seed, standard_ref=args.standard))
    out = work / "results-big.ndjson"
    kernel = [sys.executable, "-m", "standards_kernel", "evaluate-batch", str(big), "--standard", args.standard,
              "--out", str(out), "--jobs", "2", "--restart"]
    k_seconds, _, k_sampler, _ = timed_process(kernel)
    b_seconds, _, b_sampler, _ = timed_process(
        [sys.executable, str(ROOT / "benchmarks" / "baseline_straight_line.py"), str(big)])
    empty = [sys.executable, "-c", "import standards_kernel.batch.run, decimal, json"]
    _, _, e_sampler, _ = timed_process(empty)
    print(f"\none county of {args.memory_schools} schools ({big.stat().st_size / (1 << 20):.1f} MiB of NDJSON): "
          f"kernel worker peak {mib(k_sampler.peak_single)} ({k_seconds:.1f} s, all processes {mib(k_sampler.peak_total)}); "
          f"baseline peak {mib(b_sampler.peak_single)} ({b_seconds:.1f} s); "
          f"ratio {k_sampler.peak_single / b_sampler.peak_single:.2f}×; "
          f"a process that only imports the kernel: {mib(e_sampler.peak_single)}")
    out.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
