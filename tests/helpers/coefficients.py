"""An independent reference for the national difference coefficients (差异系数), shared by the
jurisdiction tests: the fixture's TOML read directly, combined schools split with exact fractions
(1 : 11/10 : 33/25), each CV taken from the exact Fraction variance with a 60-digit square root.
The kernel's 28-digit values must agree with it to 20 significant digits.

Also here: :func:`assert_same_block`, which holds a province's extensions of its school standard to
that standard's items, units, inputs and values."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable

WEIGHTS = {"primary": Fraction(1), "junior": Fraction(11, 10), "senior": Fraction(33, 25)}
SPLIT = ("teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan", "computers", "books")
Row = dict[str, Any]

BASIC_8: dict[str, Callable[[Row], Fraction]] = {
    "teaching_aux_area": lambda r: r["teaching_aux_area_m2"] / r["students"],
    "sports_area": lambda r: r["sports_area_m2"] / r["students"],
    "equipment_value": lambda r: r["equipment_value_yuan"] / r["students"],
    "computers": lambda r: r["computers"] * 100 / r["students"],
    "books": lambda r: r["books"] / r["students"],
    "teacher_student_ratio": lambda r: r["teachers"] / r["students"],
    "qualified_teachers": lambda r: r["teachers_above_required_qualification"] / r["students"],
    "titled_teachers": lambda r: r["teachers_intermediate_title_or_above"] / r["students"],
}
QUALITY_7: dict[str, Callable[[Row], Fraction]] = {
    "qualified_teachers": lambda r: r["teachers_above_required_qualification"] * 100 / r["students"],
    "backbone_teachers": lambda r: r["backbone_teachers"] * 100 / r["students"],
    "pe_art_teachers": lambda r: r["pe_art_teachers"] * 100 / r["students"],
    "teaching_aux_area": lambda r: r["teaching_aux_area_m2"] / r["students"],
    "sports_area": lambda r: r["sports_area_m2"] / r["students"],
    "equipment_value": lambda r: r["equipment_value_yuan"] / r["students"],
    "multimedia_classrooms": lambda r: r["multimedia_classrooms"] * 100 / r["students"],
}


def segment_rows(data: dict[str, Any], segment: str, *, teaching_point_min: int | None = None) -> list[Row]:
    """The schools of one segment as the national notes describe them, with exact fractions.

    Special and vocational schools are out; teaching points are out altogether
    (``teaching_point_min=None``, 2012) or below that many pupils (2017: 50). A combined school's
    physical resources (and, for 2017, its multimedia classrooms) go to the segment by its share."""
    rows = []
    for school in data["schools"]:
        if school["kind"] in ("special", "vocational"):
            continue
        students = {k: int(v) for k, v in school["students"].items()}
        n = students.get(segment, 0)
        if n == 0:
            continue
        if school["kind"] == "teaching_point" and (teaching_point_min is None or n < teaching_point_min):
            continue
        share = WEIGHTS[segment] * n / sum(WEIGHTS[k] * v for k, v in students.items() if v > 0)
        row: Row = {"id": school["id"], "students": n, "share": share}
        for key, value in school.items():
            if isinstance(value, dict):
                if segment in value:
                    row[key] = Fraction(value[segment])
            elif key in SPLIT or key == "multimedia_classrooms":
                row[key] = Fraction(value) * share
        rows.append(row)
    return rows


def dec60(q: Fraction) -> Decimal:
    with decimal.localcontext(decimal.Context(prec=60)):
        return Decimal(q.numerator) / Decimal(q.denominator)


def reference_cv(rows: list[Row], value: Callable[[Row], Fraction], *, weighted: bool = True) -> Decimal:
    pairs = [(Fraction(r["students"]) if weighted else Fraction(1), value(r)) for r in rows]
    total = sum(w for w, _ in pairs)
    mean = sum(w * x for w, x in pairs) / total
    variance = sum(w * (x - mean) ** 2 for w, x in pairs) / total
    with decimal.localcontext(decimal.Context(prec=60)):
        return dec60(variance).sqrt() / dec60(mean)


def mean60(values: list[Decimal]) -> Decimal:
    with decimal.localcontext(decimal.Context(prec=60)):
        return sum(values, Decimal(0)) / len(values)


def agrees(kernel: Any, reference: Decimal, digits: int = 20) -> bool:
    """Equal to ``digits`` significant digits (exactly equal when the reference is 0)."""
    kernel = Decimal(kernel)
    if reference == 0:
        return kernel == 0
    with decimal.localcontext(decimal.Context(prec=60)):
        return abs(kernel - reference) <= abs(reference) * Decimal(10) ** -digits


def county_value(result: Any, indicator: str) -> Any:
    return result.indicators[indicator].county.value


def reference_composites(data: dict[str, Any]) -> dict[str, tuple[Decimal, dict[str, Decimal]]]:
    """Per segment (basic balance, teaching points out): the composite (mean of the eight
    coefficients) and the eight themselves."""
    found = {}
    for segment in ("primary", "junior"):
        rows = segment_rows(data, segment)
        cvs = {key: reference_cv(rows, fn) for key, fn in BASIC_8.items()}
        found[segment] = (mean60(list(cvs.values())), cvs)
    return found


def assert_coefficients_agree(result: Any, data: dict[str, Any]) -> dict[str, Decimal]:
    """Every basic-balance CV and both composites of ``result`` against the reference."""
    composites = {}
    for segment, (composite, cvs) in reference_composites(data).items():
        for key, expected in cvs.items():
            assert agrees(county_value(result, f"cv_{segment}_{key}"), expected), (segment, key)
        assert agrees(county_value(result, f"composite_cv_{segment}"), composite), segment
        composites[segment] = composite
    return composites


def assert_same_block(school: Any, others: list[Any], *, only_in_school: tuple[str, ...] = ()) -> None:
    """The school standard's items, units, inputs and values appear unchanged in each extension
    (except entries whose id starts or ends with one of ``only_in_school``)."""
    skip = lambda name: any(name.startswith(s) or name.endswith(s) for s in only_in_school)  # noqa: E731
    own = {i for i, ind in school.indicators.items() if ind.level != "county" and not skip(i)}
    for other in others:
        for iid in own:
            a, b = school.indicators[iid], other.indicators[iid]
            assert (a.level, a.direction, a.formula.text if a.formula else None, a.k_of_n) == (
                b.level, b.direction, b.formula.text if b.formula else None, b.k_of_n
            ), iid
            if a.check is None:
                assert b.check is None, iid
            else:
                assert (a.check.op, a.check.limit.text) == (b.check.op, b.check.limit.text), iid
            assert a.citation == b.citation, iid
        for pid, parameter in school.parameters.items():
            if not skip(pid):
                assert other.parameters[pid].values == parameter.values, pid
        for uid in ("all_primary_schools", "all_junior_schools"):
            assert other.units[uid] == school.units[uid]
        for name, spec in school.inputs.items():
            assert other.inputs[name] == spec
