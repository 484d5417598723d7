"""The fast paths of evaluate() (#13) give every digit and every error the slower code gave.

- ``aggregation.Weights``: a weight column checked once for all the coefficients it weights, its
  products with Decimal weights and ``d ** Decimal(2)``: held to the former ``weighted_cv``, kept
  here verbatim as the oracle;
- ``segments.SegmentRows`` / ``SegmentFields``: segment views as columns, built as dicts only when
  read: held to ``segment_view``;
- the k-of-n column (met columns reused, the floor tested only where a check is missed, notes
  written when read): held to the per-unit path (``per_unit_only()``) on national counties pushed
  around their limits and floors.
"""

from __future__ import annotations

import copy
import decimal
import itertools
import json
import pickle
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel.audit.decision import decide
from standards_kernel.batch.synth import generate
from standards_kernel.errors import KernelError
from standards_kernel.kernel import aggregation as agg
from standards_kernel.kernel.columns import per_unit_only
from standards_kernel.kernel.evaluate import evaluate
from standards_kernel.kernel.numbers import KERNEL_CONTEXT, ordered_sum, sqrt, summing
from standards_kernel.kernel.readings import UnitReadings
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.segments import (
    SEGMENTS,
    SegmentFields,
    SegmentRows,
    segment_row,
    segment_view,
    student_counts,
    view_sources,
)
from standards_kernel.kernel.submission import submission_from_data

# -- the former weighted_cv, verbatim: the oracle ---------------------------------------------------


def old_weighted_cv(values: Any, weights: Any, *, where: str = "difference coefficient") -> agg.CVResult:
    weights_, xs = agg._weighted(values, weights, where)
    with decimal.localcontext(KERNEL_CONTEXT) as context:
        total_weight = ordered_sum(weights_)
        if min(xs) == max(xs):
            x_bar, sd = min(xs, key=agg._key), Decimal(0)
        else:
            multiply = context.multiply
            x_bar = ordered_sum(list(map(multiply, weights_, xs))) / total_weight
            deviations = list(map(context.subtract, xs, itertools.repeat(x_bar, len(xs))))
            squares = map(pow, deviations, itertools.repeat(2, len(deviations)))
            variance = ordered_sum(list(map(multiply, weights_, squares))) / total_weight
            sd = sqrt(variance)
        if x_bar == 0:
            raise agg.NumberError("CV undefined when the county mean is 0", path=where)
        cv = sd / x_bar
    return agg.CVResult(mean=x_bar, sd=sd, cv=cv, units=len(xs), total_weight=total_weight)


def cv_outcome(run: Any) -> tuple[str, ...]:
    """Every digit and exponent of a result (str keeps them), or the error's type and message."""
    try:
        r = run()
    except KernelError as error:
        return ("error", type(error).__name__, str(error))
    return ("ok", str(r.mean), str(r.sd), str(r.cv), str(r.units), str(r.total_weight))


# Values as a formula gives them (28 digits), short ones, equal ones written otherwise, ints; now
# and then something that is not a plain number, to reach the errors.
decimals = st.one_of(
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100000"), allow_nan=False, places=3),
    st.builds(lambda a, b: KERNEL_CONTEXT.divide(Decimal(a), Decimal(b)),
              st.integers(1, 10**6), st.integers(1, 997)),
    st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("1.00"), Decimal("-2.5"), Decimal(0)]),
    st.integers(min_value=-5, max_value=10**6),
)
odd = st.sampled_from([True, Decimal("NaN"), Decimal("Infinity"), "12", 1.5])
weights_ = st.one_of(st.integers(min_value=0, max_value=4000), st.sampled_from([0, 0, -1, Decimal("2.5"), Decimal("0")]))


@settings(max_examples=400, deadline=None)
@given(
    rows=st.lists(st.tuples(decimals, weights_), min_size=0, max_size=40),
    more=st.lists(st.lists(decimals, min_size=0, max_size=40), min_size=1, max_size=4),
    spoil=st.one_of(st.none(), st.tuples(st.integers(0, 39), odd, st.booleans())),
    ragged=st.booleans(),
)
def test_the_coefficient_with_checked_weights_is_the_former_one(rows: list[tuple[Any, Any]], more: list[list[Any]],
                                                                 spoil: tuple[int, Any, bool] | None, ragged: bool) -> None:
    values = [v for v, _ in rows]
    weights = [w for _, w in rows]
    if spoil is not None and rows:
        at, bad, in_weights = spoil
        (weights if in_weights else values)[at % len(rows)] = bad
    columns = [values] + [(column + values)[: len(values) + (1 if ragged else 0)] for column in more]
    checked = agg.Weights(weights)  # one check for every column weighted by these weights
    for column in columns:
        oracle = cv_outcome(lambda: old_weighted_cv(column, weights, where="cv.x"))
        with summing("ordered"):  # the sums of formats @1-@3, which the oracle computes
            assert cv_outcome(lambda: agg.weighted_cv(column, weights, where="cv.x", checked=checked)) == oracle
            assert cv_outcome(lambda: agg.weighted_cv(column, weights, where="cv.x")) == oracle
        # today's exact sums: the checked path gives every digit the unchecked one gives, and the same errors
        exact = cv_outcome(lambda: agg.weighted_cv(column, weights, where="cv.x"))
        assert cv_outcome(lambda: agg.weighted_cv(column, weights, where="cv.x", checked=checked)) == exact
        assert exact[0] == oracle[0] and (exact[0] == "ok" or exact == oracle)


def test_checked_weights_are_used_only_for_the_column_they_were_checked_for() -> None:
    weights = [3, 0, 5]
    checked = agg.Weights(weights)
    assert checked.usable and checked.kept == [0, 2] and checked.total == 8
    values = [Decimal("1.5"), Decimal(7), Decimal("2.25")]
    other = [3, 1, 5]  # equal but another list: checked again, the zero not dropped
    assert agg.weighted_cv(values, other, checked=checked).units == 3
    assert agg.weighted_cv(values, weights, checked=checked).units == 2
    assert not agg.Weights([1, -1]).usable and not agg.Weights([0, 0]).usable and not agg.Weights([]).usable
    assert not agg.Weights([1, True]).usable


# -- segment views as columns ----------------------------------------------------------------------------

FIELD_NAMES = ["books", "books.primary", "books.junior", "computers", "computers.senior", "sports_area_m2", "teachers",
               "teachers.primary", "teachers.junior", "teachers.senior", "kind", "classes.junior", "multimedia_classrooms",
               "students", "share"]
field_value = st.one_of(st.integers(0, 5000), st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
                        st.sampled_from(["x", "primary", True]))


@st.composite
def school(draw: st.DrawFn) -> dict[str, Any]:
    counts = {f"students.{s}": draw(st.integers(0, 3)) * draw(st.sampled_from([0, 1, 17, 400])) for s in SEGMENTS}
    names = draw(st.lists(st.sampled_from(FIELD_NAMES), unique=True, max_size=len(FIELD_NAMES)))
    fields: dict[str, Any] = {**{k: v for k, v in counts.items() if v or draw(st.booleans())},
                              **{name: draw(field_value) for name in names}}
    order = draw(st.permutations(list(fields)))  # schools of one county come in a few layouts
    return {name: fields[name] for name in order}


@settings(max_examples=200, deadline=None)
@given(schools=st.lists(school(), min_size=1, max_size=10), segment=st.sampled_from(SEGMENTS),
       keep=st.lists(st.booleans(), min_size=10, max_size=10))
def test_segment_columns_are_the_columns_of_the_segment_views(schools: list[dict[str, Any]], segment: str,
                                                              keep: list[bool]) -> None:
    rows = SegmentRows(segment)
    views = []
    for fields in schools:
        assert student_counts(fields) == tuple(int(fields.get(f"students.{s}", 0) or 0) for s in SEGMENTS)
        row = segment_row(student_counts(fields), segment)
        view = segment_view(fields, segment)
        assert (row is None) == (view is None)
        if row is None or view is None:
            continue
        rows.add(fields, view_sources(tuple(fields), segment), *row)
        views.append(view)
        lazy = SegmentFields(fields, segment)
        assert lazy == view and list(lazy) == list(view) and len(lazy) == len(view) and repr(lazy) == repr(view)
        assert all(lazy[k] is view[k] or str(lazy[k]) == str(view[k]) for k in view)
        assert "nothing" not in lazy and lazy.get("nothing", 7) == 7
        copied = pickle.loads(pickle.dumps(lazy))
        assert type(copied) is dict and copied == view
    kept = rows.kept(keep[: len(views)] + [True] * (len(views) - len(keep)))
    kept_views = [v for v, k in zip(views, keep[: len(views)] + [True] * len(views)) if k]
    for name in FIELD_NAMES + ["students", "share", "segment", "books.primary", "teachers.junior"]:
        for these, those in ((rows, views), (kept, kept_views)):
            column = these.column(name)
            if any(name not in view for view in those):
                assert column is None
            else:
                assert column is not None
                assert [(type(v), str(v)) for v in column] == [(type(view[name]), str(view[name])) for view in those]


# -- k of n, around the limits and floors -------------------------------------------------------------------

NATIONAL = "national.quality-balance@2017"
SCALED = ("backbone_teachers", "pe_art_teachers", "teachers_above_required_qualification", "sports_area_m2",
          "teaching_aux_area_m2", "equipment_value_yuan", "multimedia_classrooms")


def scaled(school: dict[str, Any], name: str, factor: Decimal) -> None:
    """Multiply the school's ``name`` (and ``name.<segment>``) by ``factor``."""
    for key, value in list(school.items()):
        if (key == name or key.rpartition(".")[0] == name) and type(value) in (int, Decimal):
            school[key] = int(value * factor) if type(value) is int else value * factor


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6),
       factors=st.lists(st.tuples(st.integers(0, 69), st.sampled_from(SCALED),
                                  st.sampled_from([Decimal("0"), Decimal("0.5"), Decimal("0.8"), Decimal("0.9"), Decimal("1.2")])),
                        max_size=30))
def test_k_of_n_columns_decide_as_the_per_unit_path(seed: int, factors: list[tuple[int, str, Decimal]]) -> None:
    standard = default_registry().get(NATIONAL)
    raw = json.loads(json.dumps(next(iter(generate(standard, 1, 12, seed=seed))), default=str), parse_float=Decimal)
    for at, name, factor in factors:
        scaled(raw["schools"][at % len(raw["schools"])], name, factor)

    def run() -> tuple[str, str]:
        try:
            return "ok", decide(submission_from_data(copy.deepcopy(raw)), standard).to_json(trace="full")
        except KernelError as error:
            return "error", f"{type(error).__name__}: {error}"

    columnar = run()
    with per_unit_only():
        assert run() == columnar


def test_the_k_of_n_column_is_taken_and_writes_its_notes_when_read() -> None:
    standard = default_registry().get(NATIONAL)
    raw = json.loads(json.dumps(next(iter(generate(standard, 1, 30, seed=3))), default=str), parse_float=Decimal)
    evaluation = evaluate(submission_from_data(raw), standard)
    units = evaluation.indicators["primary_school_resources"].units
    assert isinstance(units, UnitReadings) and units.notes is not None
    assert len(units.notes) == len(units.ids)
    with per_unit_only():
        oracle = evaluate(submission_from_data(raw), standard)
    assert [units[uid].note for uid in units] == [oracle.indicators["primary_school_resources"].units[uid].note for uid in units]
    assert any("missed" in note for note in units.notes)
    views = evaluation.units["qb_primary"]
    assert all(isinstance(view.fields, SegmentFields) for view in views)
    assert evaluation == oracle  # segment views read as the dicts the per-unit path builds
