"""Benchmark: how long a one-off ``standards-kernel evaluate`` takes against importing what it needs.

Run: python benchmarks/startup.py [--runs 9]

Times two fresh processes in turn, ``--runs`` times each after one warm-up, in CPU time of the
child (user + system, from the operating system's accounting of each finished process):

- ``standards-kernel evaluate fixtures/counties/yunnan/yuanjiang-2009.toml --format json``: start,
  find the plugins, load the Yunnan standard, score Yuanjiang, write the canonical JSON;
- ``python -c "import attrs, cattrs, pluggy, tomli, importlib.metadata, …"``: the interpreter and
  the libraries the command needs (pluggy finds plugins through importlib.metadata).

It prints each median and their ratio (issue 13's target: ~2×). Python writes no bytecode cache
when PYTHONDONTWRITEBYTECODE is set; an installed wheel has its cache compiled at install, so the
script runs the command once with the variable unset first, as an installed package would start.
No test asserts a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPENDENCIES = "import attrs, cattrs, pluggy, tomli, importlib.metadata, decimal, json, hashlib, argparse"


def cpu_of(command: list[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    evaluate = [sys.executable, "-m", "standards_kernel", "evaluate",
                str(ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml"), "--format", "json"]
    imports = [sys.executable, "-c", DEPENDENCIES]
    for command in (evaluate, imports):  # warm up, and write the bytecode cache
        cpu_of(command, env)
    times: dict[str, list[float]] = {"evaluate": [], "imports": []}
    for _ in range(args.runs):
        times["evaluate"].append(cpu_of(evaluate, env))
        times["imports"].append(cpu_of(imports, env))
    a, b = statistics.median(times["evaluate"]), statistics.median(times["imports"])
    print(f"CPU per process, median of {args.runs}: standards-kernel evaluate (Yuanjiang, JSON) {a * 1000:.0f} ms; "
          f"importing its dependencies {b * 1000:.0f} ms; ratio {a / b:.2f}×")


if __name__ == "__main__":
    main()
