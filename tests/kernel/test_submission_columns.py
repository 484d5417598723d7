"""A county's unit records checked a column at a time give what the record-by-record road gave
(issue 13).

``submission._units`` first tries ``_plain_units``: a name across every record that has it, its
spec once, a few calls over the column (``vocabulary.plain_column``). When anything is not plainly
valid it gives up and the record-by-record road (kept here as the oracle, as it was) runs and
names the first bad record and field. Random lists of records (shapes shared or not, names some
records lack, valid and invalid values of every type, bad and duplicate ids, nested tables,
jurisdiction and unknown names) must give the same units, or the same error, both ways.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any, Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel.batch.synth import generate
from standards_kernel.errors import KernelError, SubmissionError
from standards_kernel.kernel import model as m
from standards_kernel.kernel.formats import content_json
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import Unit, _plain_units, _record_units, _units, submission_from_data
from standards_kernel.kernel.vocabulary import plain, plain_column, vocabulary

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the oracle: the record-by-record road (submission._record_units), which names every error --------


def old_units(items: Any, level: str, where: str) -> list[Unit]:
    if not isinstance(items, list):
        raise SubmissionError(f"expected a list of {where}", path=where)
    return _record_units(items, level, where)


def exact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return [(k, exact(v)) for k, v in value.items()]  # in order: the order is part of it
    if isinstance(value, Unit):
        return (value.id, exact(value.values), value.index)
    if isinstance(value, list):
        return [exact(v) for v in value]
    return (type(value), repr(value))


def outcome(fn: Any, *args: Any) -> tuple[Any, ...]:
    try:
        found = fn(*args)
    except KernelError as error:
        return ("error", type(error), error.message, error.path, error.hint)
    return ("value", exact(found))


# --- random records ---------------------------------------------------------------------------

decimal_texts = ["0", "-0", "0.000", "1.50", "100", "1E+2", "12.5", "-12.5", "3561739.4", "0.0000001", "1E-40",
                 "0E-50", "1234567890123456789012345678", "12345678901234567890123456789", "0.9237", "1", "1.0001",
                 "0.1234567890123456789012345678", "NaN", "Infinity", "sNaN", "99999999999999999999999999.5"]
#: One column's values: mostly of one plain kind (so the column road is taken), now and then not.
column_values = st.one_of(
    st.integers(0, 5000), st.integers(0, 1), st.integers(-3, 3), st.sampled_from([10**28, 10**31 - 1, 10**31]),
    st.sampled_from([Decimal(t) for t in decimal_texts]),
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
    st.booleans(), st.sampled_from(["primary", "junior", "nowhere", "12", "92.37%", " 3", "", "学校", "0.5"]),
    st.sampled_from([None, 1.5, [1], {"primary": 3}, {"x": {"y": 1}}]),
)


def names_of(level: str) -> list[str]:
    by_type: dict[str, list[str]] = {}
    for name, spec in vocabulary()[level].items():
        if not name.endswith("*") and name != "id":
            by_type.setdefault(spec.type, []).append(name)
    return [name for names in by_type.values() for name in names[:3]] + ["kind", "national.own_x", "yunnan.y"]


def valid_values(level: str, name: str) -> st.SearchStrategy[Any]:
    """Values plainly valid for the name's type (most of a county's), of the shapes JSON gives."""
    spec = vocabulary()[level].get(name)
    kind = spec.type if spec else "any"
    amounts = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False)
    return {
        "count": st.integers(0, 5000), "fact": st.integers(0, 9) | st.booleans(), "bool": st.booleans(),
        "amount": amounts | st.integers(0, 10**6), "decimal": amounts, "points": amounts,
        "rate": st.decimals(min_value=0, max_value=1, places=4) | st.integers(0, 1),
        "text": st.sampled_from(spec.choices) if spec and spec.choices else st.text(max_size=4),
    }.get(kind, st.integers(0, 9) | st.text(max_size=3) | amounts | st.booleans())


@st.composite
def records(draw: Any, level: str) -> list[Any]:
    names = draw(st.lists(st.sampled_from(names_of(level)), max_size=6, unique=True))
    if draw(st.integers(0, 5)) == 0:  # a name the vocabulary does not know, or a table
        names.append(draw(st.sampled_from(["not_a_field", "students", "name.x"])))
    column_kind = {name: draw(st.lists(column_values, min_size=1, max_size=3) if draw(st.integers(0, 7)) == 0
                              else st.lists(valid_values(level, name), min_size=1, max_size=6)) for name in names}
    count = draw(st.integers(0, 9))
    found: list[Any] = []
    for index in range(count):
        record: dict[str, Any] = {"id": f"U{index:02d}"}
        for name in names:
            if draw(st.integers(0, 7)) == 0:
                continue  # a name this record lacks
            record[name] = draw(st.sampled_from(column_kind[name]))
        found.append(record)
    for _ in range(draw(st.integers(-3, 2))):  # a fault beside the values, now and then
        index = draw(st.integers(0, len(found) - 1)) if found else -1
        if index >= 0 and isinstance(found[index], dict):
            fault = draw(st.sampled_from(["no id", "blank id", "number id", "same id", "not a table", "name not text",
                                          "id last"]))
            if fault == "no id":
                found[index].pop("id", None)
            elif fault == "blank id":
                found[index]["id"] = " "
            elif fault == "number id":
                found[index]["id"] = 7
            elif fault == "same id":
                found[index]["id"] = found[0].get("id") if isinstance(found[0], dict) else "U00"
            elif fault == "not a table":
                found[index] = draw(st.sampled_from([[1], "x", None]))
            elif fault == "name not text":
                found[index][3] = 1
            else:  # the same names in another order: another shape
                found[index]["id"] = found[index].pop("id", "U99")
    return found


@FAST
@given(st.sampled_from(["school", "township"]).flatmap(lambda lvl: st.tuples(st.just(lvl), records(lvl))))
def test_records_read_by_columns_as_record_by_record(case):
    level, items = case
    before = outcome(old_units, copy.deepcopy(items), level, "schools")
    assert outcome(_units, items, level, "schools") == before
    plainly = _plain_units(items, level)
    if plainly is not None:  # the column road answered: only ever with what the old road gives
        assert before == ("value", exact(plainly))


# --- one column -------------------------------------------------------------------------------

specs = st.one_of(
    st.builds(lambda kind, choices: m.InputSpec(name="x", level="school", type=kind, label=m.Label("", ""), choices=choices),
              st.sampled_from(["count", "amount", "rate", "decimal", "points", "fact", "bool", "text"]),
              st.sampled_from([(), ("primary", "junior", "12")])),
)


@FAST
@given(specs, st.lists(column_values, min_size=1, max_size=3).flatmap(lambda kinds: st.lists(st.sampled_from(kinds),
                                                                                             min_size=1, max_size=12)))
def test_a_column_is_what_plain_gives_each_value(spec, column):
    each = [plain(spec, value) for value in column]
    found = plain_column(spec, list(column))
    if None in each:
        assert found is None
    else:
        assert exact(found) == exact(each)


@pytest.mark.parametrize(("kind", "column"), [("count", [3, 0, 12]), ("amount", [Decimal("1.5"), Decimal("20")]),
                                              ("rate", [Decimal("0.9"), Decimal("1")]), ("text", ["a", "b"]),
                                              ("bool", [True, False])])
def test_a_plain_column_is_kept_as_it_is(kind, column):
    assert plain_column(m.InputSpec(name="x", level="school", type=kind, label=m.Label("", "")), column) is column


def test_an_int_amount_among_decimals_is_made_a_decimal():
    spec = m.InputSpec(name="x", level="school", type="amount", label=m.Label("", ""))
    assert exact(plain_column(spec, [Decimal("1.5"), 20])) == exact([Decimal("1.5"), Decimal(20)])


# --- whole counties -------------------------------------------------------------------------

STANDARDS = ["national.quality-balance@2017", "national.basic-balance@2017", "yunnan.county-education@2009",
             "henan.advanced-county@2014", "guizhou.county-education@2005"]


@pytest.mark.parametrize("key", STANDARDS)
def test_synthetic_counties_take_the_column_road_to_the_same_units(key):
    standard = default_registry(warn=False).get(key)
    for data in generate(standard, 3, 30, seed=5):
        raw = json.loads(content_json(data), parse_float=Decimal)  # as evaluate-batch reads a line
        for level, where in (("school", "schools"), ("township", "townships")):
            items = raw.get(where, [])
            assert _plain_units(items, level) is not None
            assert exact(_units(items, level, where)) == exact(old_units(items, level, where))
        assert submission_from_data(raw).schools == tuple(sorted(old_units(raw["schools"], "school", "schools"),
                                                                 key=lambda u: u.id))
