"""Properties that must hold for any county (hypothesis), on the synthetic standard."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel import evaluate, to_json
from standards_kernel.kernel.loader import load_standard_file
from tests.helpers import DATA, build

STANDARD = load_standard_file(DATA / "standards" / "synthetic.toml")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def schools(draw) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 7))
    result = []
    for i in range(count):
        students = draw(st.integers(50, 2000))
        result.append({
            "id": f"S{i}",
            "kind": "primary",
            "students": {"primary": students},
            "books": draw(st.integers(1, students * 40)),
            "teaching_aux_area_m2": draw(st.decimals(min_value=1, max_value=students * 8, places=2)),
            "computers": draw(st.integers(0, students // 4)),
        })
    return result


@st.composite
def counties(draw) -> dict[str, Any]:
    surveyed = draw(st.integers(1, 5000))
    age = draw(st.integers(1, 5000))
    building = draw(st.integers(1, 10**6))
    start = draw(st.integers(1, 10**5))
    return {
        "county": {"code": "000001", "name": "县", "province": "test"},
        "evaluation": {"as_of": "2020-06-01"},
        "data": {
            "satisfaction_surveyed": surveyed,
            "satisfaction_satisfied": draw(st.integers(0, surveyed)),
            "enrolled": {"primary": draw(st.integers(0, age))},
            "school_age_population": {"primary": age},
            "levels": {"mechanism": draw(st.sampled_from(["established", "incomplete", "absent"]))},
            "panel_scores": {"government": draw(st.decimals(min_value=0, max_value=10, places=1))},
            "dropouts": {"primary": draw(st.integers(0, start // 50))},
            "students_start_of_year": {"primary": start},
            "totals": {"building_area_m2": building, "dilapidated_d_area_m2": draw(st.integers(0, building))},
            "events": {"exam_admission": draw(st.booleans())},
        },
        "schools": draw(schools()),
    }


def result_of(data: dict[str, Any]):
    return evaluate(build(data), STANDARD)


def rank(grade: str) -> int:
    return STANDARD.grade_index(grade)  # 0 is the best grade


@SETTINGS
@given(counties())
def test_deterministic_and_score_within_bounds(data):
    first, second = result_of(data), result_of(copy.deepcopy(data))
    assert to_json(first) == to_json(second)
    assert 0 <= first.score <= first.max_score


@SETTINGS
@given(counties(), st.randoms())
def test_school_order_does_not_matter(data, random):
    shuffled = copy.deepcopy(data)
    random.shuffle(shuffled["schools"])
    assert to_json(result_of(shuffled)) == to_json(result_of(data))


@SETTINGS
@given(counties(), st.sampled_from([2, 3, 10, 7]))
def test_difference_coefficients_do_not_change_when_a_resource_is_scaled(data, factor):
    scaled = copy.deepcopy(data)
    for school in scaled["schools"]:
        school["books"] *= factor
    before, after = result_of(data), result_of(scaled)
    cv_before = before.indicators["cv_books"].county.value
    cv_after = after.indicators["cv_books"].county.value
    # Equal up to the last of the 28 digits: every intermediate is rounded once in that context.
    assert abs(cv_before - cv_after) <= Decimal("1e-25") * max(Decimal(1), cv_before)


@SETTINGS
@given(counties(), st.integers(1, 500), st.integers(0, 6))
def test_more_books_per_student_everywhere_never_lower_the_score_or_grade(data, extra, school):
    # Books per student is higher-is-better per school. Raising ONE school can widen the
    # dispersion and so lower a difference-coefficient item: monotonicity holds for the same
    # per-student increase in every school (each value up by `extra`, the spread unchanged,
    # the mean up, so the CV falls), which is what is asserted here.
    better = copy.deepcopy(data)
    for s in better["schools"]:
        s["books"] += extra * s["students"]["primary"]
    base, improved = result_of(data), result_of(better)
    assert improved.score >= base.score
    assert rank(improved.grade) <= rank(base.grade)


@SETTINGS
@given(counties(), st.integers(1, 1000))
def test_more_satisfied_people_never_lower_the_score_or_grade(data, more):
    better = copy.deepcopy(data)
    surveyed = better["data"]["satisfaction_surveyed"]
    better["data"]["satisfaction_satisfied"] = min(surveyed, better["data"]["satisfaction_satisfied"] + more)
    base, improved = result_of(data), result_of(better)
    assert improved.score >= base.score
    assert rank(improved.grade) <= rank(base.grade)


@SETTINGS
@given(counties())
def test_a_triggered_veto_never_raises_a_grade(data):
    clean = copy.deepcopy(data)
    clean["data"]["events"]["exam_admission"] = False
    clean["data"]["totals"]["dilapidated_d_area_m2"] = 0
    vetoed = copy.deepcopy(clean)
    vetoed["data"]["events"]["exam_admission"] = True
    a, b = result_of(clean), result_of(vetoed)
    assert rank(b.grade) >= rank(a.grade)
    assert b.grade == "fail"
    for result in (a, b):
        assert rank(result.grade) >= rank(result.grade_by_score)  # rules only ever lower a grade
