"""Shared helpers for the tests: paths, a synthetic county for tests/data/standards/synthetic.toml,
fixture files read as the kernel reads them, and the header of a corpus file.

Tests import them as ``from tests.helpers import ...``; conftest.py holds the fixtures only."""

from __future__ import annotations

import copy
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from standards_kernel.kernel.submission import parse_submission, submission_from_data

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
FIXTURES = ROOT / "fixtures"
DATA = TESTS / "data"
YUANJIANG = FIXTURES / "counties" / "yunnan" / "yuanjiang-2009.toml"


def synthetic_county(schools: int = 6) -> dict[str, Any]:
    """A plain county for tests/data/standards/synthetic.toml, passing everything."""
    records = []
    for i in range(schools):
        students = 100 + 37 * i
        records.append({
            "id": f"S{i:03d}", "kind": "primary", "students": {"primary": students},
            "books": students * (22 + i % 3), "teaching_aux_area_m2": Decimal(students) * Decimal("4.8"),
            "computers": students // 8,
        })
    return {
        "county": {"code": "000001", "name": "测试县", "province": "test"},
        "evaluation": {"as_of": "2020-06-01", "stage": "self"},
        "data": {
            "satisfaction_surveyed": 1000, "satisfaction_satisfied": 900,
            "enrolled": {"primary": 1000}, "school_age_population": {"primary": 1000},
            "levels": {"mechanism": "established"}, "panel_scores": {"government": Decimal("9.5")},
            "dropouts": {"primary": 2}, "students_start_of_year": {"primary": 1000},
            "totals": {"building_area_m2": 10000, "dilapidated_d_area_m2": 100},
            "events": {"exam_admission": False},
        },
        "schools": records,
    }


def expectations(path: Path) -> dict[str, str]:
    """The ``# expect: <regex>`` and ``# path: <key path>`` header lines of a corpus file."""
    found = {}
    for line in path.read_text("utf-8").splitlines():
        match = re.match(r"# (expect|path): (.*)", line)
        if not match:
            break
        found[match.group(1)] = match.group(2)
    return found


def toml_data(path: Path) -> dict[str, Any]:
    """A fixture file's data, numbers as Decimal (as the kernel reads it)."""
    return tomllib.loads(path.read_text("utf-8"), parse_float=Decimal)


def text_variant(path: Path, old: str, new: str, *, also: dict[str, str] | None = None):
    """The submission at ``path`` with one exact text change (``old`` must occur once), plus
    ``also`` replacements applied as they are."""
    text = path.read_text("utf-8")
    assert text.count(old) == 1, old
    text = text.replace(old, new)
    for before, after in (also or {}).items():
        text = text.replace(before, after)
    return parse_submission(text, file=f"{path.stem}-variant.toml")


def failed_rules(result) -> list[str]:
    """Ids of the gates and vetoes that failed, sorted."""
    return sorted(rid for rid, r in result.rules.items() if r.failed)


def build(data: dict[str, Any]):
    """A submission from plain data (copied first, so the caller's data is left as it was)."""
    return submission_from_data(copy.deepcopy(data), file="<test>")
