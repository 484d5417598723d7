"""Benchmark: reading JSON the kernel's way (``exact_json``) against plain ``json.loads`` (issue 13).

Run: python benchmarks/json_reading.py [--rounds 200] [--repeat 10]

Texts: one county of 100 schools (``standards-kernel synth``'s generator, seed 7, under
``national.quality-balance@2017``) dumped as a batch line, once with ``json.dumps(default=str)``
(ASCII, Chinese as ``\\uXXXX`` escapes), once as UTF-8 text (``ensure_ascii=False``) and once as
``standards-kernel synth`` writes an NDJSON line (``content_json``: numbers as JSON numbers, what
``evaluate-batch`` reads); and the body of a ledger record (Yuanjiang 2009 evaluated: what
``ledger verify`` parses back per record).

Each round times, one after the other in CPU time of this process, ``--repeat`` calls of:
plain ``json.loads(text, parse_float=Decimal)`` (the floor); ``exact_json`` as it was before the
fast path (kept as the oracle in tests/kernel/test_exact_json.py); ``exact_json`` with every
object's keys checked as it is parsed (``formats._checked_json``: the reading of 2026-12-01,
which now runs only when the text's colons and the data's keys disagree); ``exact_json`` now. It
prints the median ms per call and each one's ratio to the floor. Last, ``check_text_values`` (the
walk ``load_text`` runs after ``tomli.loads``) before and now, on the county's parsed data. No
test asserts a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the oracle lives in the tests

from standards_kernel.audit.records import record_evaluation  # noqa: E402
from standards_kernel.batch.synth import generate  # noqa: E402
from standards_kernel.kernel.evaluate import evaluate  # noqa: E402
from standards_kernel.kernel.formats import _checked_json, check_text_values, content_json, exact_json  # noqa: E402
from standards_kernel.kernel.registry import default_registry  # noqa: E402
from standards_kernel.kernel.submission import read_submission  # noqa: E402
from tests.kernel.test_exact_json import old_check_text_values, old_exact_json  # noqa: E402


def texts() -> dict[str, str]:
    registry = default_registry()
    county = next(iter(generate(registry.get("national.quality-balance@2017"), 1, 100, seed=7)))
    submission = read_submission(ROOT / "fixtures" / "counties" / "yunnan" / "yuanjiang-2009.toml")
    record = record_evaluation(evaluate(submission, registry.resolve("yunnan.county-education@2009", None)))
    return {"county line (ASCII)": json.dumps(county, default=str),
            "county line (UTF-8)": json.dumps(county, default=str, ensure_ascii=False),
            "county line (synth NDJSON)": content_json(county),
            "record body": record.body_text}


def _once(read: Callable[[Any], Any], value: Any, repeat: int) -> float:
    started = time.process_time()
    for _ in range(repeat):
        read(value)
    return (time.process_time() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    readers: dict[str, Callable[[str], Any]] = {
        "json.loads": lambda text: json.loads(text, parse_float=Decimal),
        "exact_json before": old_exact_json,
        "keys checked": _checked_json,
        "exact_json now": exact_json,
    }
    samples = texts()
    for name, text in samples.items():
        assert repr(exact_json(text)) == repr(old_exact_json(text)) == repr(_checked_json(text)), name
        times: dict[str, list[float]] = {reader: [] for reader in readers}
        for _ in range(args.rounds):  # interleaved: a busy spell on the machine hits all three alike
            for reader, read in readers.items():
                times[reader].append(_once(read, text, args.repeat))
        floor = statistics.median(times["json.loads"])
        print(f"{name}: {len(text.encode('utf-8')) / 1024:.1f} KiB")
        for reader in readers:
            ms = statistics.median(times[reader])
            print(f"  {reader:18s} {ms:7.3f} ms  {ms / floor:5.2f}x json.loads")
        before, now = statistics.median(times["exact_json before"]), statistics.median(times["exact_json now"])
        print(f"  now / before       {now / before:7.3f}   ({before / now:.1f}x faster)")
        checked = statistics.median(times["keys checked"])
        print(f"  now / keys checked {now / checked:7.3f}   ({checked / now:.2f}x faster)")
    data = exact_json(samples["county line (UTF-8)"])
    walks = {"before": [_once(old_check_text_values, data, args.repeat) for _ in range(args.rounds)],
             "now": [_once(check_text_values, data, args.repeat) for _ in range(args.rounds)]}
    before, now = statistics.median(walks["before"]), statistics.median(walks["now"])
    print(f"check_text_values on the county's data: before {before:.3f} ms, now {now:.3f} ms ({before / now:.1f}x faster)")


if __name__ == "__main__":
    main()
