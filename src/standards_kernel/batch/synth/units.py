"""A synthetic county's schools and townships: kinds drawn with their enrolments (every segment the
standard reads served by regular schools), and every field the standard reads at a plausible level
(:data:`~.typical.TYPICAL`, spread a little from unit to unit)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ...kernel.segments import SEGMENTS, split_name
from ...kernel.vocabulary import lookup as vocabulary_lookup
from .draws import quantize, spread
from .typical import BY_TYPE, KINDS, TYPICAL

if TYPE_CHECKING:
    from .synthesizer import Synthesizer

Kind = tuple[str, int, Mapping[str, tuple[int, int]]]


def make_schools(synth: Synthesizer, rng: random.Random, code: str, count: int) -> list[dict[str, Any]]:
    """``count`` schools of county ``code``."""
    weights = [w for _, w, _ in KINDS]
    kind_spec = vocabulary_lookup("school", "kind")
    assert kind_spec is not None  # the vocabulary always has the school kinds
    allowed = set(kind_spec.choices)
    drawn = [rng.choices(KINDS, weights)[0] for _ in range(count)]
    cover_segments(synth.segments, drawn)
    schools = []
    for i, (kind, _, ranges) in enumerate(drawn):
        record: dict[str, Any] = {"id": f"S{code}{i + 1:03d}", "name": f"合成学校{i + 1:03d}"}
        if kind in allowed:
            record["kind"] = kind
        for segment, (low, high) in ranges.items():
            record[f"students.{segment}"] = rng.randint(low, high)
        for name in synth.unit_fields["school"]:
            if name in ("name", "kind", "township") or name in record:
                continue
            value = baseline(synth, rng, "school", name, record)
            if value is not None:
                record[name] = value
        schools.append(record)
    return schools


def cover_segments(segments: list[str], drawn: list[Kind]) -> None:
    """Every county has regular schools of each segment the standard reads (a county with no
    junior school has no junior difference coefficient): the last draws give way if needed."""
    plain = {segment: next(k for k in KINDS if k[0] == name)
             for segment, name in (("primary", "primary"), ("junior", "junior"), ("senior", "complete_middle"))}
    wanted = 2 if len(drawn) >= 4 else 1
    position = len(drawn) - 1
    for segment in sorted(segments, key=SEGMENTS.index):
        serving = sum(1 for kind, _, ranges in drawn if segment in ranges and kind != "teaching_point")
        while serving < wanted and position >= 0:
            drawn[position] = plain[segment]
            position -= 1
            serving += 1


def make_townships(synth: Synthesizer, rng: random.Random, code: str, schools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The townships of county ``code`` (one per six schools), when the standard reads them; each
    school is given its township."""
    if not synth.uses_townships:
        return []
    count = max(1, -(-len(schools) // 6))
    townships: list[dict[str, Any]] = [{"id": f"T{code}{t + 1:02d}", "name": f"合成镇{t + 1:02d}"} for t in range(count)]
    for i, school in enumerate(schools):
        school["township"] = townships[i % count]["id"]
    for t, township in enumerate(townships):
        mine = [s for i, s in enumerate(schools) if i % count == t]
        students = {seg: sum(s.get(f"students.{seg}", 0) for s in mine) for seg in SEGMENTS}
        for name in synth.unit_fields["township"]:
            if name in township:
                continue
            value = baseline(synth, rng, "township", name, {f"students.{k}": max(v, 20) for k, v in students.items()})
            if value is not None:
                township[name] = value
    return townships


def baseline(synth: Synthesizer, rng: random.Random, level: str, name: str, basis: Mapping[str, Any]) -> Any:
    """A plausible value of ``name`` for a unit (or the county) with the enrolments of ``basis``."""
    spec = synth.spec(level, name)
    kind = spec.type if spec is not None else "decimal"
    if kind == "bool":
        return True
    if kind == "fact":
        return False
    if kind == "text":
        return spec.choices[0] if spec is not None and spec.choices else "synthetic"
    stem, segment = split_name(name)
    table = TYPICAL[level]
    how, value = table.get(name) or table.get(stem) or table.get(stem.split(".", 1)[0]) or BY_TYPE.get(kind, ("fixed", "1"))
    students = basis.get(f"students.{segment}", 0) if segment else sum(basis.get(f"students.{s}", 0) for s in SEGMENTS)
    number = Decimal(value)
    if how == "rate":
        return quantize(number, kind)
    if how == "per_student":
        number *= max(students, 1)
    amount = quantize(number * spread(rng, Decimal("0.15")), kind)
    if kind == "count" and amount == 0 and number >= Decimal("0.3"):
        return 1  # a small school still has a teacher, a computer: never a zero to divide by
    return amount
