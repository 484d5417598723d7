"""Writing synthetic submissions: NDJSON (one per line), a folder of JSON files, or CSV tables
(schools, counties, townships) as ``standards-kernel batch`` reads them."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from ...kernel.formats import content_json


def write_ndjson(stream: TextIO, submissions: Iterator[dict[str, Any]]) -> int:
    count = 0
    for submission in submissions:
        stream.write(content_json(submission) + "\n")
        count += 1
    return count


def write_directory(folder: Path, submissions: Iterator[dict[str, Any]]) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for submission in submissions:
        (folder / f"{submission['county']['code']}.json").write_text(content_json(submission) + "\n", "utf-8")
        count += 1
    return count


def write_csv(folder: Path, submissions: Iterator[dict[str, Any]]) -> int:
    """``schools.csv``, ``counties.counties.csv`` and (if any) ``townships.townships.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict[str, Any]]] = {"schools": [], "counties": [], "townships": []}
    count = 0
    for submission in submissions:
        count += 1
        head = {"county": submission["county"]["code"]}
        head.update({f"county.{k}": v for k, v in submission["county"].items() if k != "code"})
        head.update({f"evaluation.{k}": v for k, v in submission["evaluation"].items()})
        rows["counties"].append({**head, **submission["data"]})
        rows["schools"].extend({"county": head["county"], **s} for s in submission["schools"])
        rows["townships"].extend({"county": head["county"], **t} for t in submission.get("townships", []))
    names = {"schools": "schools.csv", "counties": "counties.counties.csv", "townships": "townships.townships.csv"}
    for table, records in rows.items():
        if not records:
            continue
        columns = list(dict.fromkeys(k for r in records for k in r))
        with (folder / names[table]).open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(columns)
            for record in records:
                writer.writerow([_csv_text(record.get(c)) for c in columns])
    return count


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return content_json(value)
    return str(value)
