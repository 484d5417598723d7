"""Unit views worked out once per evaluation (#13) give the rows, shares and errors they gave per unit.

- ``segments.segment_row``: a school of one segment has the share 1 without the weights, a combined
  school's shares are computed once for all its segments: held to the former ``segment_row`` (kept
  here verbatim as the oracle, through ``segment_shares``);
- ``segments.Schools``: the schools' counts and layouts once for every segment unit set: held to the
  former per-school loop that filled ``SegmentRows`` one school at a time;
- ``Scope.own_names`` kept per standard, the unit sets read kept per standard: the same views and
  the same errors in every evaluation under the standard.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel.audit.decision import decide
from standards_kernel.batch.synth import generate
from standards_kernel.errors import KernelError
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.scope import Scope
from standards_kernel.kernel.segments import (
    SEGMENTS,
    Schools,
    SegmentRows,
    segment_row,
    segment_shares,
    student_counts,
    view_sources,
)
from standards_kernel.kernel.submission import submission_from_data

# -- the former segment_row, verbatim but for the cache: the oracle ------------------------------------


def old_segment_row(counts: tuple[int, ...], segment: str) -> tuple[int, Decimal] | None:
    students = counts[SEGMENTS.index(segment)]
    if students <= 0:
        return None
    return students, segment_shares({s: n for s, n in zip(SEGMENTS, counts) if n > 0})[segment]


def exact(row: tuple[int, Decimal] | None) -> object:
    """Every digit and the exponent of a share (a Decimal 1 and 1.0 are told apart)."""
    return None if row is None else (row[0], type(row[1]), row[1].as_tuple())


counts_ = st.one_of(
    st.integers(-3, 3), st.integers(0, 5000), st.sampled_from([0, 0, 1, 10**27, 10**28 - 1, 10**28, 10**30 + 7, 10**40])
)


@settings(max_examples=500, deadline=None)
@given(counts=st.tuples(counts_, counts_, counts_))
def test_a_segment_row_is_the_former_one(counts: tuple[int, int, int]) -> None:
    for segment in SEGMENTS:
        assert exact(segment_row(counts, segment)) == exact(old_segment_row(counts, segment))


def test_the_share_of_a_school_of_one_segment_is_one_as_the_weights_give_it() -> None:
    for segment in SEGMENTS:
        counts = tuple(7 if s == segment else 0 for s in SEGMENTS)
        row = segment_row(counts, segment)
        assert row is not None and str(row[1]) == "1" and exact(row) == exact(old_segment_row(counts, segment))
    row = segment_row((400, 300, 0), "junior")  # a nine-year school: 1.1·300 / (400 + 1.1·300)
    assert row is not None and row[1] == Decimal(330) / Decimal(730)


# -- the former loop over the schools of a segment unit set: the oracle --------------------------------


def old_rows(schools: list[dict[str, Any]], segment: str) -> tuple[SegmentRows, list[int]]:
    rows, picked = SegmentRows(segment), []
    for i, fields in enumerate(schools):
        row = old_segment_row(student_counts(fields), segment)
        if row is None:
            continue
        rows.add(fields, view_sources(tuple(fields), segment), row[0], row[1])
        picked.append(i)
    return rows, picked


NAMES = ["books", "books.primary", "teachers.junior", "computers", "kind", "sports_area_m2", "students", "teachers.senior"]


@st.composite
def school(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {f"students.{s}": draw(st.sampled_from([0, 1, 35, 400, -2])) for s in SEGMENTS
                              if draw(st.booleans())}
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True)):
        fields[name] = draw(st.one_of(st.integers(0, 900), st.sampled_from(["x", Decimal("2.50")])))
    return {name: fields[name] for name in draw(st.permutations(list(fields)))}


@settings(max_examples=300, deadline=None)
@given(schools=st.lists(school(), max_size=12))
def test_the_schools_give_every_segment_the_rows_the_loop_gave(schools: list[dict[str, Any]]) -> None:
    table = Schools(schools)
    for segment in SEGMENTS:
        rows, picked = table.rows(segment)
        want, want_picked = old_rows(schools, segment)
        assert picked == want_picked
        assert all(a is b for a, b in zip(rows.fields, want.fields)) and len(rows.fields) == len(want.fields)
        assert rows.students == want.students
        assert [(type(s), s.as_tuple()) for s in rows.shares] == [(type(s), s.as_tuple()) for s in want.shares]
        assert rows.sources == want.sources
        assert sorted(map(str, rows.layouts.values())) == sorted(map(str, want.layouts.values()))
        for name in NAMES + ["students", "share", "segment", "teachers"]:
            got, expected = rows.column(name), want.column(name)
            assert (got is None) == (expected is None)
            if got is not None and expected is not None:
                assert [(type(v), str(v)) for v in got] == [(type(v), str(v)) for v in expected]


# -- what is kept per standard -----------------------------------------------------------------------


def county(key: str, schools: int = 12) -> dict[str, Any]:
    data = next(iter(generate(default_registry().get(key), 1, schools, seed=3)))
    return json.loads(json.dumps(data, default=str), parse_float=Decimal)


def outcome(data: dict[str, Any], key: str) -> tuple[str, ...]:
    try:
        decision = decide(submission_from_data(copy.deepcopy(data)), default_registry().get(key))
    except KernelError as error:
        return ("error", type(error).__name__, str(error), str(error.path))
    return ("ok", decision.to_json(), decision.to_json(trace="full"))


@pytest.mark.parametrize("key", ["national.quality-balance@2017", "national.basic-balance@2012", "henan.basic-balance@2017"])
def test_what_is_kept_per_standard_gives_the_same_views_and_errors_every_time(key: str) -> None:
    data = county(key)
    first = outcome(data, key)
    assert first[0] == "ok" and outcome(data, key) == first
    broken = copy.deepcopy(data)
    broken["schools"][1]["students.primary"] = "many"  # refused on reading, naming the field
    missing = copy.deepcopy(data)
    unread = next(name for name in sorted(missing["schools"][2]) if not name.startswith("students.") and name not in ("id", "name"))
    del missing["schools"][2][unread]
    for bad in (broken, missing):
        once = outcome(bad, key)
        assert outcome(bad, key) == once and outcome(data, key) == first  # nothing stale either way


def test_own_names_are_looked_through_once_per_standard_and_layout() -> None:
    standard = default_registry().get("national.quality-balance@2017")
    submission = submission_from_data(county("national.quality-balance@2017"))
    one, two = Scope(submission, standard, submission.as_of), Scope(submission, standard, submission.as_of)
    names = tuple(submission.data)
    assert one.own_names(names, "county") is two.own_names(names, "county")  # computed once, kept
    own = one.own_names(names, "county")
    assert own and all(n.startswith("national.") for n in own)  # the standard's own inputs, no vocabulary name
    assert "disabled_enrolled" in names and "disabled_enrolled" not in own
    assert one.own_names(("books", "national.x"), "school") == ("national.x",)
    assert two.own_names(("books", "national.x"), "school") == ("national.x",)
