"""A generated standard with N scored items, and counties for it: the next-grade search at scale.

Each item ``item_NN`` is a county resource per pupil (``test.rNN / test.pupils``) that earns its
points (1, 2 or 3) when it reaches its line; the pupils are fixed (``[levers]``), the resources
are the standard's own amounts and so levers that can rise. Three more rules make the plan read
the levers: a pupil-teacher ratio (hire teachers, never cut pupils), a satisfaction rate (more
people satisfied, never fewer surveyed) and a D-class share veto (remove D-class area, never build
more to dilute it). Grades: ``good`` at 80% of the points, ``fair`` at 50%, ``poor`` below.
With ``capped``, the first six items share an area worth half their points: an item's shortfall
then overstates what its repair adds, and a first plan can fall short.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from standards_kernel.errors import StandardError
from standards_kernel.kernel import model as m
from standards_kernel.kernel.formats import load_text
from standards_kernel.kernel.loader import build_standard


def points(i: int) -> int:
    return 1 + i % 3


def line(i: int) -> Decimal:
    return Decimal(2 + i % 5)


CAPPED = 6


def area_max(n: int) -> int:
    return sum(points(i) for i in range(min(n, CAPPED))) // 2


def standard_text(n: int, levers: bool = True, capped: bool = False) -> str:
    total = sum(points(i) for i in range(n)) + 4
    if capped:
        total -= sum(points(i) for i in range(min(n, CAPPED))) - area_max(n)
    parts = [f"""
format = 1
[standard]
id = "test.many-items"
edition = "{n}"
jurisdiction = "test"
title = {{ zh = "{n}项计分", en = "{n} scored items" }}
effective_from = 2000-01-01
[parameters.good_cutoff]
value = {Decimal(total) * Decimal("0.8")}
status = "assumed"
[parameters.fair_cutoff]
value = {Decimal(total) * Decimal("0.5")}
status = "assumed"
[parameters.pupil_teacher_limit]
value = 19
status = "assumed"
[parameters.d_class_limit]
value = 0.03
status = "assumed"
[inputs."test.pupils"]
level = "county"
type = "count"
label = {{ zh = "学生数", en = "pupils" }}
[inputs."test.teachers"]
level = "county"
type = "count"
label = {{ zh = "教师数", en = "teachers" }}
[indicators.pupil_teacher]
label = {{ zh = "生师比", en = "pupils per teacher" }}
direction = "lower"
formula = "test.pupils / test.teachers"
check = {{ op = "<=", limit = "pupil_teacher_limit" }}
scoring = {{ kind = "threshold", max = 2 }}
[indicators.satisfaction]
label = {{ zh = "满意度", en = "satisfaction" }}
unit = "ratio"
direction = "higher"
formula = "satisfaction_satisfied / satisfaction_surveyed"
check = {{ op = ">=", limit = 0.9 }}
scoring = {{ kind = "threshold", max = 2 }}
[indicators.d_class]
label = {{ zh = "D级危房比例", en = "D-class share" }}
unit = "ratio"
formula = "totals.dilapidated_d_area_m2 / totals.building_area_m2"
check = {{ op = "<=", limit = "d_class_limit" }}
[vetoes.d_class]
label = {{ zh = "D级危房", en = "D-class buildings" }}
indicator = "d_class"
effect = "cap"
grade = "fair"
"""]
    if levers:
        parts.append('[levers]\n"county.test.pupils" = "fixed"\n"county.test.teachers" = "up"\n')
    if capped:
        parts.append(f'[areas.capped]\nlabel = {{ zh = "封顶", en = "capped" }}\nmax = {area_max(n)}\n')
    for i in range(n):
        area = ', area = "capped"' if capped and i < CAPPED else ""
        parts.append(f"""
[inputs."test.r{i:02d}"]
level = "county"
type = "amount"
label = {{ zh = "资源{i}", en = "resource {i}" }}
[indicators.item_{i:02d}]
label = {{ zh = "生均资源{i}", en = "resource {i} per pupil" }}
direction = "higher"
formula = "test.r{i:02d} / test.pupils"
check = {{ op = ">=", limit = {line(i)} }}
scoring = {{ kind = "threshold", max = {points(i)}{area} }}
""")
    parts.append("""
[[grades]]
id = "good"
label = { zh = "好", en = "good" }
min_score = "good_cutoff"
[[grades]]
id = "fair"
label = { zh = "中", en = "fair" }
min_score = "fair_cutoff"
[[grades]]
id = "poor"
label = { zh = "差", en = "poor" }
""")
    return "".join(parts)


def standard(n: int, levers: bool = True, capped: bool = False) -> m.Standard:
    text = standard_text(n, levers, capped)
    return build_standard(load_text(text, fmt="toml", file="<many>", error=StandardError), file="<many>")


def county(n: int, seed: int = 0, met: float = 0.0) -> dict[str, Any]:
    """A county of 500 pupils meeting each item with probability ``met`` (the rest fall short by
    up to half their line), 27 teachers (18.5 pupils each: met), 900 of 1000 satisfied (met) and
    no D-class area."""
    rng = random.Random(seed)
    pupils = 500
    data: dict[str, Any] = {
        "test.pupils": pupils, "test.teachers": 27,
        "satisfaction_surveyed": 1000, "satisfaction_satisfied": 900,
        "totals": {"building_area_m2": 100000, "dilapidated_d_area_m2": 0},
    }
    for i in range(n):
        need = line(i) * pupils
        if rng.random() < met:
            data[f"test.r{i:02d}"] = need + rng.randint(0, 500)
        else:
            data[f"test.r{i:02d}"] = need - rng.randint(1, int(need) // 2)
    return {
        "county": {"code": "000002", "name": "多项县", "province": "test"},
        "evaluation": {"as_of": "2020-06-01", "stage": "self"},
        "data": data,
    }
