"""What synthetic schools look like: the kinds drawn with their enrolments, and plausible levels of
every input per student (or fixed, or as a rate). Invented for synthetic data: they are not
standards and no evaluation reads them."""

from __future__ import annotations

from collections.abc import Mapping

#: School kinds drawn, with their weight and the enrolment range of each segment (invented).
KINDS: tuple[tuple[str, int, Mapping[str, tuple[int, int]]], ...] = (
    ("primary", 50, {"primary": (150, 1800)}),
    ("teaching_point", 8, {"primary": (12, 90)}),
    ("junior", 22, {"junior": (300, 2200)}),
    ("nine_year", 14, {"primary": (200, 1100), "junior": (120, 800)}),
    ("complete_middle", 6, {"junior": (300, 1400), "senior": (300, 1500)}),
)

#: Plausible levels, per student of the field's segment (or of the whole school/county when the
#: field has no segment), as ``(basis, value)``: ``per_student``, ``fixed`` or ``rate``. Invented
#: for synthetic data; they are not standards and no evaluation reads them.
TYPICAL: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "school": {
        "teaching_aux_area_m2": ("per_student", "5.5"), "sports_area_m2": ("per_student", "9"),
        "building_area_m2": ("per_student", "9"), "dilapidated_area_m2": ("per_student", "0.3"),
        "dilapidated_d_area_m2": ("per_student", "0.05"), "equipment_value_yuan": ("per_student", "2600"),
        "computers": ("per_student", "0.14"), "books": ("per_student", "32"),
        "multimedia_classrooms": ("per_student", "0.028"), "largest_class": ("fixed", "45"),
        "classes": ("per_student", "0.024"), "teachers": ("per_student", "0.065"),
        "teachers_above_required_qualification": ("per_student", "0.055"),
        "teachers_intermediate_title_or_above": ("per_student", "0.035"),
        "backbone_teachers": ("per_student", "0.012"), "pe_art_teachers": ("per_student", "0.011"),
        "dropouts": ("per_student", "0.002"), "students_start_of_year": ("per_student", "1"),
        "dropout_rate": ("rate", "0.003"),
    },
    "township": {
        "school_age_population": ("per_student", "1.02"), "enrolled": ("per_student", "1"),
        "enrolment_rate": ("rate", "0.99"),
    },
    "county": {
        "school_age_population": ("per_student", "1.02"), "enrolled": ("per_student", "1"),
        "disabled_school_age": ("per_student", "0.002"), "disabled_enrolled": ("per_student", "0.0019"),
        "dropouts": ("per_student", "0.002"), "students_start_of_year": ("per_student", "1"),
        "dropout_rate": ("rate", "0.003"), "satisfaction_surveyed": ("fixed", "1500"),
        "satisfaction_satisfied": ("fixed", "1380"), "satisfaction_rate": ("rate", "0.92"),
        "totals.building_area_m2": ("per_student", "9"), "totals.dilapidated_d_area_m2": ("per_student", "0.05"),
        "funding": ("per_student", "12000"),
    },
}
BY_TYPE = {"count": ("per_student", "0.05"), "amount": ("per_student", "100"), "rate": ("rate", "0.95"),
           "decimal": ("fixed", "1"), "points": ("fixed", "1")}
NUMERIC = ("count", "amount", "rate", "decimal", "points")
