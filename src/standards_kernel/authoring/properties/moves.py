"""The monotonicity property: move one input the better way (in one unit, or scaled or shifted per
student in every unit) and find what got worse between the two evaluations."""

from __future__ import annotations

import copy
import decimal
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ...kernel import model as m
from ...kernel.evaluate import Evaluation
from ...kernel.numbers import is_number
from ...kernel.segments import NATIONAL_SEGMENT_WEIGHTS, SEGMENTS, segment_of
from .checks import PropertyFailure, draw_submission, evaluate_raw, rank
from .handles import Handle, handles
from .ranges import plausible_range

#: Relative tolerance for moves that scale a field feeding a difference coefficient: the CV is
#: invariant under scaling, but computed in 28 significant digits it may move in its last digits.
SCALE_TOLERANCE = Decimal("1e-18")


def prop_monotonicity(standard: m.Standard, data: st.DataObject) -> None:
    moved, _ = handles(standard)
    if not moved:
        return  # nothing has a direction; check_properties reports the property as vacuous
    raw = draw_submission(standard, data)
    handle = data.draw(st.sampled_from(moved), label="input")
    better, description = apply_move(raw, handle, data)
    if better is None:
        return
    base = evaluate_raw(standard, raw)
    after = evaluate_raw(standard, better, moved=f"{handle.describe()}: {description}", example=raw)
    if handle.move == "shift" and not _shifted_evenly(base, after, handle.readers):
        return  # the readers are not per-student values (e.g. x / classes): the shift proves nothing
    problems = compare_monotone(base, after, scaled=handle.move in ("scale", "shift"))
    if problems:
        raise PropertyFailure(
            f"moving {handle.describe()}: {description}\n  " + "\n  ".join(problems[:12])
            + (f"\n  … and {len(problems) - 12} more" if len(problems) > 12 else ""), raw)


def _shifted_evenly(base: Evaluation, after: Evaluation, readers: Sequence[str]) -> bool:
    """Whether every reader's value rose by one same amount in all of its units."""
    for reader in readers:
        before, now = base.indicators[reader].units, after.indicators[reader].units
        steps = [_exact(now[u].value) - _exact(r.value) for u, r in before.items()
                 if u in now and is_number(r.value) and is_number(now[u].value)]
        if not steps or min(steps) <= 0:
            return False
        if max(steps) - min(steps) > SCALE_TOLERANCE * max(Decimal(1), max(steps)):
            return False
    return True


def _exact(value: Any) -> Decimal:
    """A value :func:`is_number` has accepted (a Decimal or an int), as a Decimal."""
    return Decimal(value)


def apply_move(raw: Mapping[str, Any], handle: Handle, data: st.DataObject) -> tuple[dict[str, Any] | None, str]:
    """A copy of ``raw`` with the handle moved the better way, and a description of the move."""
    moved = copy.deepcopy(dict(raw))
    if handle.level == "county":
        records = [moved["data"]]
        where = "data"
    else:
        table = "schools" if handle.level == "school" else "townships"
        records = moved.get(table, [])
        where = table
    if handle.move == "scale":
        factor = data.draw(st.sampled_from([2, 3, 10]), label="factor")
        for record in records:
            if is_number(record.get(handle.name)):
                record[handle.name] = record[handle.name] * factor
        return moved, f"{handle.name} × {factor} in every {handle.level}"
    if handle.move == "shift":
        return _shift(moved, records, handle, data)
    candidates = [r for r in records if is_number(r.get(handle.name))]
    if not candidates:
        return None, "absent"
    record = data.draw(st.sampled_from(candidates), label="unit") if len(candidates) > 1 else candidates[0]
    old = record[handle.name]
    new = _step(old, handle, record, data)
    if new == old:
        return None, "no room to move"
    record[handle.name] = new
    unit = f" of {record['id']}" if "id" in record else ""
    return moved, f"{where}: {handle.name}{unit} {old} → {new}"


def _shift(moved: dict[str, Any], records: list[dict[str, Any]], handle: Handle,
           data: st.DataObject) -> tuple[dict[str, Any] | None, str]:
    """Raise the field by the same amount per student in every unit: ``k·n_s`` for a segment's
    field (teachers.primary), ``k·Σ w_s·n_s`` for a school-wide resource, which a segment view
    splits by the national weights w_s, so that each view's per-student value rises by ``k·w_s``."""
    whole = handle.kind in ("count", "fact")
    # k·1.1 and k·1.32 are whole numbers for k a multiple of 50
    k: Any = 50 * data.draw(st.integers(1, 3), label="k") if whole else Decimal(data.draw(st.integers(1, 200), label="k")) / 10
    segment = segment_of(handle.name)
    for record in records:
        if not is_number(record.get(handle.name)):
            continue
        if segment is not None:
            base: Any = record.get(f"students.{segment}", 0)
        else:
            base = sum((NATIONAL_SEGMENT_WEIGHTS[s] * record.get(f"students.{s}", 0) for s in SEGMENTS), Decimal(0))
        increase = k * base
        record[handle.name] = record[handle.name] + (int(increase) if whole else increase)
    return moved, f"{handle.name} + {k} per (weighted) student in every {handle.level}"


def _step(old: Any, handle: Handle, record: Mapping[str, Any], data: st.DataObject) -> Any:
    kind = handle.kind
    percent = data.draw(st.integers(1, 100), label="step %")
    if kind in ("count", "fact"):
        delta: Any = max(1, old * percent // 100)
    else:
        delta = max(Decimal("0.0001"), Decimal(old) * percent / 100) if old else Decimal(percent) / 100
    new = old + delta if handle.better > 0 else old - delta
    low: Any = handle.lowest
    high: Any = None
    rng, _ = plausible_range(handle.level, handle.name, kind)
    if rng.part_of and is_number(record.get(rng.part_of)):
        high = record[rng.part_of]  # a part stays within its whole
    for name, value in record.items():  # a whole stays above its parts
        part_range, _ = plausible_range(handle.level, name, "count")
        if part_range.part_of == handle.name and is_number(value):
            low = max(low, value)
    if kind == "rate":
        high = Decimal(1) if high is None else min(high, Decimal(1))
    if handle.upper is not None:
        high = handle.upper if high is None else min(high, handle.upper)
    if high is not None:
        new = min(new, high)
    new = max(new, low)
    if kind in ("count", "fact"):
        return int(new)
    return Decimal(new).quantize(Decimal("0.0001"), rounding=decimal.ROUND_HALF_UP) if kind == "rate" else new


def _worse(before: Any, after: Any, direction: int, tolerance: Decimal) -> bool:
    if not (is_number(before) and is_number(after)):
        return False
    slack = tolerance * max(Decimal(1), abs(Decimal(before)))
    return (Decimal(after) - Decimal(before)) * direction < -slack


def compare_monotone(base: Evaluation, after: Evaluation, *, scaled: bool) -> list[str]:
    """What got worse between two evaluations, in evaluation order: directed values that moved the
    wrong way, checks that stopped being met, points, the score, the grade, gates and vetoes."""
    tolerance = SCALE_TOLERANCE if scaled else Decimal(0)
    std = base.standard
    problems: list[str] = []
    for iid in std.order:
        ind = std.indicators[iid]
        b, a = base.indicators[iid], after.indicators[iid]
        direction = ind.direction and (1 if ind.direction == "higher" else -1)
        pairs = [("", b.county, a.county)] if b.county is not None else [
            (f" of {uid}", b.units[uid], a.units.get(uid)) for uid in b.units]
        for unit, rb, ra in pairs:
            if ra is None or rb is None:
                continue
            if direction and _worse(rb.value, ra.value, direction, tolerance):
                problems.append(f"indicator {iid}{unit} ({ind.direction} is better) went from {rb.value} to {ra.value}")
            ordered = ind.check is None or ind.check.op not in ("==", "!=") or isinstance(rb.value, bool)
            if rb.met is True and ra.met is False and ordered and not _within(rb.value, ra.value, tolerance):
                problems.append(f"indicator {iid}{unit} was met ({rb.value}) and is not any more ({ra.value})")
        if b.points is not None and a.points is not None and _worse(b.points, a.points, 1, tolerance):
            problems.append(f"indicator {iid} points fell from {b.points} to {a.points}")
    for aid in std.areas:
        if _worse(base.areas[aid].points, after.areas[aid].points, 1, tolerance):
            problems.append(f"area {aid} points fell from {base.areas[aid].points} to {after.areas[aid].points}")
    if _worse(base.score, after.score, 1, tolerance):
        problems.append(f"the score fell from {base.score} to {after.score}")
    if rank(after, after.grade) > rank(base, base.grade):
        problems.append(f"the grade fell from {base.grade} to {after.grade}")
    for rid, rule in base.rules.items():
        if not rule.failed and after.rules[rid].failed:
            problems.append(f"{rule.rule.kind} {rid} passed and now fails")
    return problems


def _within(before: Any, after: Any, tolerance: Decimal) -> bool:
    """For scaled moves: a check flipping on a value that moved only in its last digits."""
    if not tolerance or not (is_number(before) and is_number(after)):
        return False
    return abs(Decimal(after) - Decimal(before)) <= tolerance * max(Decimal(1), abs(Decimal(before)))

