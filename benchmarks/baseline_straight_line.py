"""Baseline: national.quality-balance@2017 written by hand as straight-line Decimal code.

The yardstick for benchmarks/national_batch.py: the same rules on the same data, with none of the
kernel's generality (no standard file, no expression language, no validation, no trace). It reads
an NDJSON file of submissions (as ``standards-kernel synth`` writes them) and writes one short
line per county: grade, failed gates, triggered vetoes and the fourteen difference coefficients.

The numbers below are copied from provinces/national/quality-balance-2017.toml (their sources and
statuses are there; none is restated here). The benchmark checks that this code and the kernel
agree on every county, so a change of the standard shows up as a disagreement, not a silent drift.

Run: python benchmarks/baseline_straight_line.py COUNTIES.ndjson [--out GRADES.ndjson]
"""

from __future__ import annotations

import argparse
import decimal
import json
import sys
import time
from decimal import Decimal
from typing import Any, Iterable

D = Decimal
CTX = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)  # the kernel's precision
WEIGHTS = {"primary": D(1), "junior": D("1.1"), "senior": D("1.32")}
SPLIT = ("teaching_aux_area_m2", "sports_area_m2", "equipment_value_yuan", "computers", "books")

# (suffix of the indicator id, field, how: per100 | per_student | per100_share, limit) per segment
SCHOOL_ITEMS = {
    "primary": (
        ("qualified_teachers_per_100", "teachers_above_required_qualification", "per100", D("4.2")),
        ("backbone_teachers_per_100", "backbone_teachers", "per100", D(1)),
        ("pe_art_teachers_per_100", "pe_art_teachers", "per100", D("0.9")),
        ("teaching_aux_area_per_student", "teaching_aux_area_m2", "per_student", D("4.5")),
        ("sports_area_per_student", "sports_area_m2", "per_student", D("7.5")),
        ("equipment_value_per_student", "equipment_value_yuan", "per_student", D(2000)),
        ("multimedia_classrooms_per_100", "multimedia_classrooms", "per100_share", D("2.3")),
    ),
    "junior": (
        ("qualified_teachers_per_100", "teachers_above_required_qualification", "per100", D("5.3")),
        ("backbone_teachers_per_100", "backbone_teachers", "per100", D(1)),
        ("pe_art_teachers_per_100", "pe_art_teachers", "per100", D("0.9")),
        ("teaching_aux_area_per_student", "teaching_aux_area_m2", "per_student", D("5.8")),
        ("sports_area_per_student", "sports_area_m2", "per_student", D("10.2")),
        ("equipment_value_per_student", "equipment_value_yuan", "per_student", D(2500)),
        ("multimedia_classrooms_per_100", "multimedia_classrooms", "per100_share", D("2.4")),
    ),
}
CV_LIMIT = {"primary": D("0.50"), "junior": D("0.45")}
CV_NAMES = {  # the standard's id of each coefficient, by the school indicator it is taken of
    "qualified_teachers_per_100": "qualified_teachers", "backbone_teachers_per_100": "backbone_teachers",
    "pe_art_teachers_per_100": "pe_art_teachers", "teaching_aux_area_per_student": "teaching_aux_area",
    "sports_area_per_student": "sports_area", "equipment_value_per_student": "equipment_value",
    "multimedia_classrooms_per_100": "multimedia_classrooms",
}
K, FLOOR = 6, D("0.85")

N = "national."
YES_GATES = ("gov_01_layout_planning", "gov_02_unified_standards", "gov_03_music_art_rooms", "gov_04_school_size",
             "gov_05_class_size", "gov_06_small_school_funding", "gov_08_teacher_pay", "gov_10_staffing_allocation",
             "quality_03_charters_informatisation", "quality_05_ict_use", "quality_06_moral_education",
             "quality_07_curriculum", "quality_08_no_excessive_burden", "quality_09_attainment_level_iii")
GATE_ID = {"gov_15_left_behind_care": "gov_15a_left_behind_care", "quality_03_charters_informatisation": "quality_03_charters",
           "quality_09_attainment_level_iii": "quality_09a_attainment"}
AT_LEAST = (  # (gate id, input, limit)
    ("eligibility_years", "basic_balance_recognised_years", D(3)),
    ("gov_07_special_school_funding", "gov_07_special_school_funding_per_student", D(6000)),
    ("gov_09_training_completion", "gov_09_training_completion_rate", D(1)),
    ("gov_11a_rotation", "gov_11_rotation_rate", D("0.10")),
    ("gov_11b_backbone_rotation", "gov_11_backbone_share_of_rotation", D("0.20")),
    ("gov_12_certificates", "gov_12_certificate_rate", D(1)),
    ("gov_13a_nearby_primary", "gov_13_nearby_enrolment_primary", D(1)),
    ("gov_13b_nearby_junior", "gov_13_nearby_enrolment_junior", D("0.95")),
    ("gov_14_quota_allocation", "gov_14_quota_allocation_rate", D("0.50")),
    ("gov_15b_migrant_public", "gov_15_migrant_public_rate", D("0.85")),
    ("quality_01_junior_retention", "quality_01_junior_retention_rate", D("0.95")),
    ("quality_04_training_funding", "quality_04_lowest_training_funding_share", D("0.05")),
)
NO_VETOES = (("exam_based_admission", "exam_based_admission"), ("illegal_school_choice", "illegal_school_choice"),
             ("key_schools_or_classes", "key_schools_or_classes"),
             ("unfilled_posts", "unfilled_posts_or_contract_teachers"),
             ("major_accident_or_violation", "major_accident_or_violation"), ("falsification", "falsification"))


def flat(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def evaluate_county(county: dict[str, Any]) -> dict[str, Any]:
    """Grade, failed gates, triggered vetoes and coefficients of one submission (as parsed JSON)."""
    with decimal.localcontext(CTX):
        return _evaluate(county)


def _evaluate(county: dict[str, Any]) -> dict[str, Any]:
    gates: list[str] = []
    coefficients: dict[str, Decimal] = {}
    schools = [flat(s) for s in county.get("schools", [])]
    for segment, items in SCHOOL_ITEMS.items():
        weights: list[int] = []
        values: list[list[Decimal]] = [[] for _ in items]
        school_fails = False
        for school in schools:
            kind = school.get("kind")
            students = int(school.get(f"students.{segment}", 0))
            if students <= 0 or kind in ("special", "vocational") or (kind == "teaching_point" and students < 50):
                continue
            whole = sum(WEIGHTS[s] * int(school.get(f"students.{s}", 0)) for s in WEIGHTS)
            share = WEIGHTS[segment] * students / whole
            met = below = 0
            for position, (_, field, how, limit) in enumerate(items):
                if how == "per100":
                    value = D(school[f"{field}.{segment}"]) * 100 / students
                elif how == "per_student":
                    amount = D(school[field])
                    value = (amount * share if field in SPLIT else amount) / students
                else:
                    value = D(school[field]) * share * 100 / students
                values[position].append(value)
                if value >= limit:
                    met += 1
                elif value < FLOOR * limit:
                    below += 1
            weights.append(students)
            if met < K or below:
                school_fails = True
        if school_fails:
            gates.append(f"{segment}_school_resources")
        total = sum(weights)
        for position, (suffix, _, _, _) in enumerate(items):
            xs = values[position]
            mean = sum(p * x for p, x in zip(weights, xs)) / total
            variance = sum(p * (x - mean) * (x - mean) for p, x in zip(weights, xs)) / total
            cv = variance.sqrt() / mean
            name = f"cv_{segment}_{CV_NAMES[suffix]}"
            coefficients[name] = cv
            if cv > CV_LIMIT[segment]:
                gates.append(name)
    data = flat(county.get("data", {}))
    if data.get(N + "annual_monitoring_maintained") is not True:
        gates.append("eligibility_monitoring")
    for name in YES_GATES:
        if data.get(N + name) is not True:
            gates.append(GATE_ID.get(name, name))
    if data.get(N + "gov_15_left_behind_care") is not True:
        gates.append("gov_15a_left_behind_care")
    for gate, name, limit in AT_LEAST:
        if D(data[N + name]) < limit:
            gates.append(gate)
    if "disabled_school_age" in data and "disabled_enrolled" in data:
        disabled = D(data["disabled_enrolled"]) / D(data["disabled_school_age"])
    else:
        disabled = D(data[N + "quality_02_disabled_enrolment_rate"])
    if disabled < D("0.95"):
        gates.append("quality_02_disabled_enrolment")
    if not D(data[N + "quality_09_max_difference_rate"]) < D("0.15"):
        gates.append("quality_09b_difference_rate")
    vetoes = [veto for veto, name in NO_VETOES if data.get(N + name) is not False]
    if D(data[N + "social_recognition_rate"]) < D("0.85"):
        vetoes.append("social_recognition")
    return {
        "code": county["county"]["code"],
        "grade": "not_recognised" if gates or vetoes else "recognised",
        "gates": sorted(gates),
        "vetoes": sorted(vetoes),
        "cv": {k: format(v, "f") for k, v in sorted(coefficients.items())},
    }


def read(path: str) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line, parse_float=Decimal)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("counties", help="NDJSON of submissions (standards-kernel synth … --standard national.quality-balance)")
    parser.add_argument("--out", help="write one line per county here")
    args = parser.parse_args()
    start = time.perf_counter()
    count = 0
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    for county in read(args.counties):
        result = evaluate_county(county)
        count += 1
        if out is not None:
            out.write(json.dumps(result, ensure_ascii=False, sort_keys=True) + "\n")
    if out is not None:
        out.close()
    seconds = time.perf_counter() - start
    print(f"baseline: {count} counties in {seconds:.2f} s ({count / seconds:.1f}/s)", file=sys.stderr)


if __name__ == "__main__":
    main()
