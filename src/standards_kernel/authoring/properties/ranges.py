"""Where the property kit's generated values lie: plausible ranges of every input by level, name
and type (per student, as a part of a whole, or absolute). Not law: a generator's choice, wide enough
to land on both sides of the limits found in the standards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from ...kernel.segments import split_name


@attrs.frozen
class Range:
    """Where a generated value lies: ``lo``..``hi``, absolute, per student of the unit (or of the
    segment the name ends in), or as a fraction of a whole (``part_of``)."""

    lo: Decimal
    hi: Decimal
    per_student: bool = False
    part_of: str | None = None
    at_least_one: bool = False


def _r(lo: str, hi: str, **kw: Any) -> Range:
    return Range(Decimal(lo), Decimal(hi), **kw)


#: Plausible ranges by level and name (``{s}``: a segment). Not law: a generator's choice, wide
#: enough to land on both sides of the limits found in the standards.
PLAUSIBLE: dict[str, dict[str, Range]] = {
    "school": {
        "teaching_aux_area_m2": _r("1", "12", per_student=True),
        "sports_area_m2": _r("1", "25", per_student=True),
        "building_area_m2": _r("3", "20", per_student=True),
        "dilapidated_area_m2": _r("0", "0.3", part_of="building_area_m2"),
        "dilapidated_d_area_m2": _r("0", "1", part_of="dilapidated_area_m2"),
        "equipment_value_yuan": _r("200", "6000", per_student=True),
        "computers": _r("0.02", "0.3", per_student=True, at_least_one=True),
        "books": _r("5", "60", per_student=True, at_least_one=True),
        "multimedia_classrooms": _r("0", "0.05", per_student=True),
        "largest_class": _r("20", "80"),
        "classes.{s}": _r("0.02", "0.045", per_student=True, at_least_one=True),
        "teachers.{s}": _r("0.03", "0.12", per_student=True, at_least_one=True),
        "teachers_above_required_qualification.{s}": _r("0.5", "1", part_of="teachers.{s}"),
        "teachers_intermediate_title_or_above.{s}": _r("0.1", "0.8", part_of="teachers.{s}"),
        "backbone_teachers.{s}": _r("0", "0.4", part_of="teachers.{s}"),
        "pe_art_teachers.{s}": _r("0", "0.3", part_of="teachers.{s}"),
        "students_start_of_year.{s}": _r("0.9", "1.1", per_student=True, at_least_one=True),
        "dropouts.{s}": _r("0", "0.05", part_of="students_start_of_year.{s}"),
        "dropout_rate.{s}": _r("0", "0.08"),
    },
    "township": {
        "school_age_population.{s}": _r("50", "5000", at_least_one=True),
        "enrolled.{s}": _r("0.85", "1", part_of="school_age_population.{s}"),
        "enrolment_rate.{s}": _r("0.85", "1"),
    },
    "county": {
        "school_age_population.{s}": _r("1000", "100000"),
        "enrolled.{s}": _r("0.9", "1", part_of="school_age_population.{s}"),
        "disabled_school_age": _r("10", "1000"),
        "disabled_enrolled": _r("0.6", "1", part_of="disabled_school_age"),
        "students_start_of_year.{s}": _r("1000", "100000"),
        "dropouts.{s}": _r("0", "0.03", part_of="students_start_of_year.{s}"),
        "dropout_rate.{s}": _r("0", "0.05"),
        "satisfaction_surveyed": _r("100", "5000"),
        "satisfaction_satisfied": _r("0.6", "1", part_of="satisfaction_surveyed"),
        "satisfaction_rate": _r("0.6", "1"),
        "totals.building_area_m2": _r("10000", "2000000"),
        "totals.dilapidated_d_area_m2": _r("0", "0.2", part_of="totals.building_area_m2"),
    },
}
#: By type, for names the table does not know (a standard's own inputs, new vocabulary names).
BY_TYPE: dict[str, dict[str, Range]] = {
    "school": {"count": _r("0", "1", per_student=True), "amount": _r("0", "100", per_student=True),
               "rate": _r("0", "1"), "decimal": _r("0", "100"), "points": _r("0", "10"), "fact": _r("0", "2")},
    "township": {"count": _r("0", "5000"), "amount": _r("0", "1000000"), "rate": _r("0", "1"),
                 "decimal": _r("0", "100"), "points": _r("0", "10"), "fact": _r("0", "2")},
    "county": {"count": _r("0", "100000"), "amount": _r("0", "10000000"), "rate": _r("0", "1"),
               "decimal": _r("0", "100"), "points": _r("0", "10"), "fact": _r("0", "2")},
}
STEPS = 1000  # a range is cut into this many steps; hypothesis shrinks towards the low end


def _pattern(name: str) -> tuple[str, str | None]:
    head, segment = split_name(name)
    return (head + ".{s}", segment) if segment else (name, None)


def plausible_range(level: str, name: str, kind: str) -> tuple[Range, str | None]:
    """The range of ``name`` and its segment (``teachers.primary`` → the ``teachers.{s}`` range)."""
    pattern, segment = _pattern(name)
    table = PLAUSIBLE[level]
    if name in table:
        return table[name], None
    if pattern in table:
        found = table[pattern]
        if found.part_of and segment:
            found = attrs.evolve(found, part_of=found.part_of.replace("{s}", segment))
        return found, segment
    return BY_TYPE[level].get(kind, _r("0", "100")), segment
