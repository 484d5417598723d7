"""The canonical submission text written straight from the values is the text json.dumps wrote
(issue 13).

``Submission.canonical_text`` (what ``sha256`` hashes) writes the canonical JSON column by column
(``formats.canonical_rows``) instead of building a dict per unit and calling ``json.dumps`` with
``sort_keys``. The road it replaced is kept here as the oracle: random submissions (keys and text
JSON must escape, non-ASCII names, ``%``, empty unit lists, units of several shapes, integers and
decimals of many shapes, values of other types) must give the same text byte for byte, or the same
error.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel.batch.synth import generate
from standards_kernel.kernel.formats import canonical_rows, content_json
from standards_kernel.kernel.numbers import normalized_text
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.submission import Evidence, Submission, Unit, read_submission, submission_from_data

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "counties"
REGISTRY = default_registry(warn=False)
STANDARDS = ["national.quality-balance@2017", "national.basic-balance@2017", "yunnan.county-education@2009",
             "henan.advanced-county@2014", "guizhou.county-education@2005"]


# --- the oracle: the text as it was written before (HEAD of 2026-12-01), each number by its definition ---


def old_values(values: Mapping[str, Any]) -> dict[str, Any]:
    def one(value: Any) -> Any:
        return value if isinstance(value, (bool, str)) else normalized_text(value)

    return {k: one(v) for k, v in sorted(values.items()) if k != "id"}


def old_text(sub: Submission) -> str:
    evaluation = {"as_of": sub.as_of.isoformat() if sub.as_of else None, "evaluator": sub.evaluator,
                  "stage": sub.stage, "standard": sub.standard}
    found = {
        "county": dict(sorted(sub.county.items())),
        "data": old_values(sub.data),
        "evaluation": {k: v for k, v in evaluation.items() if v is not None},
        "schools": [{"id": u.id, **old_values(u.values)} for u in sub.schools],
        "townships": [{"id": u.id, **old_values(u.values)} for u in sub.townships],
    }
    if sub.evidence:
        found["evidence"] = [e.canonical() for e in sub.evidence]
    return json.dumps(found, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def outcome(fn: Any, *args: Any) -> tuple[Any, ...]:
    try:
        return ("text", fn(*args))
    except Exception as error:  # noqa: BLE001 - the kind of failure is what is compared
        return ("error", type(error).__name__)


# --- random submissions -------------------------------------------------------------------------

#: Text JSON writes escaped or as it is: quotes, backslashes, controls, DEL, non-ASCII, emoji, %.
awkward = st.text(alphabet=st.sampled_from(list('ab"\\\n\t\x00\x1f\x7f%,:{}') + ["学", "校", "é", "\u2028", "😀", "0", "E"]),
                  max_size=6)
names = st.one_of(st.sampled_from(["id", "students.primary", "a", "b", "name", "kind", "z.z", "%s", "%%", "Id"]), awkward)
decimals = st.one_of(
    st.builds(lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
              st.integers(0, 1), st.lists(st.integers(0, 9), min_size=1, max_size=34), st.integers(-40, 10)),
    st.sampled_from([Decimal(t) for t in ["0", "-0", "0.000", "1.50", "100", "1E+2", "12.5", "-12.5", "3561739.4",
                                          "0.0000001", "1234567890123456789012345678", "12345678901234567890123456789",
                                          "0.1234567890123456789012345678", "5.000000"]]),
)
common = st.one_of(st.integers(-10**30, 10**30), st.integers(0, 9), st.booleans(), awkward, decimals)


class Colour(enum.IntEnum):
    RED = 1


class Tag(str):
    pass


#: Values no submission read from a file holds, but the Python API can put into one.
odd = st.sampled_from([Decimal("NaN"), Decimal("-Infinity"), Decimal("sNaN"), None, 1.5, [1], Colour.RED, Tag("x"),
                       Decimal("1.50")])
values = st.one_of(common, common, common, odd)


@st.composite
def unit_lists(draw: Any, odd_ones: bool) -> tuple[Unit, ...]:
    """Units of a few shapes (the same names in the same order, as a county's schools have), with
    a name some units lack now and then, sorted by id as a Submission holds them."""
    shapes = draw(st.lists(st.lists(names, max_size=6, unique=True), min_size=1, max_size=3))
    ids = draw(st.lists(awkward.filter(str.strip) | st.sampled_from(["S1", "S2", "S10"]), max_size=9, unique=True))
    units = []
    for index, uid in enumerate(sorted(ids)):
        shape = shapes[draw(st.integers(0, len(shapes) - 1))]
        if shape and draw(st.integers(0, 5)) == 0:
            shape = shape[1:]
        kinds = values if odd_ones else common
        record: dict[str, Any] = {name: draw(kinds) for name in shape}
        if "id" in record and draw(st.booleans()):
            record["id"] = uid
        units.append(Unit(id=uid, values=record, index=index))
    return tuple(units)


@st.composite
def submissions(draw: Any) -> Submission:
    odd_ones = draw(st.integers(0, 4)) == 0
    text = st.one_of(awkward, st.none())
    evidence = draw(st.lists(st.builds(Evidence, awkward, awkward, st.just("ab" * 32), text), max_size=2))
    return Submission(
        county=draw(st.dictionaries(st.sampled_from(["code", "name", "province"]) | awkward, awkward, max_size=3)),
        as_of=draw(st.one_of(st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)))),
        stage=draw(text), evaluator=draw(text), standard=draw(text),
        data=draw(st.dictionaries(names, values if odd_ones else common, max_size=8)),
        schools=draw(unit_lists(odd_ones)), townships=draw(unit_lists(odd_ones)),
        evidence=tuple(evidence),
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_the_text_is_the_text_json_dumps_wrote(sub):
    before = outcome(old_text, sub)
    assert outcome(Submission.canonical_text, sub) == (before if before[0] == "text" else outcome(
        lambda s: json.dumps(s.canonical()), sub))  # an error: the one the general path raises


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(names, common, max_size=6), min_size=3, max_size=12).flatmap(
    lambda rows: st.tuples(st.just(rows), st.none() | st.just([f"u{i}" for i in range(len(rows))]))))
def test_rows_of_plain_values_are_written_by_columns_as_json_dumps_writes_them(case):
    rows, ids = case
    expected = [json.dumps({**old_values(row), **({"id": ids[i]} if ids else {})}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False) for i, row in enumerate(rows)]
    assert canonical_rows(rows, ids) == expected


@pytest.mark.parametrize("row", [{"a": 1.5}, {"a": None}, {"a": Colour.RED}, {"a": Tag("x")}, {7: "x"}])
def test_a_value_of_another_type_is_left_to_the_general_path(row):
    assert canonical_rows([row] * 4) is None
    assert canonical_rows([row]) is None


@pytest.mark.parametrize("uid", [7, True, Decimal("1.50"), Tag("S1"), None])
@pytest.mark.parametrize("count", [1, 4])
def test_an_id_not_of_text_is_written_as_json_dumps_writes_it(uid, count):
    units = tuple(Unit(id=uid if i == 0 else f"S{i}", values={"a": 1, "id": "x"}, index=i) for i in range(count))
    sub = Submission(county={}, as_of=None, stage=None, evaluator=None, standard=None, data={}, schools=units,
                     townships=())
    assert outcome(Submission.canonical_text, sub) == outcome(old_text, sub)


def test_an_empty_submission_and_empty_unit_lists():
    sub = Submission(county={}, as_of=None, stage=None, evaluator=None, standard=None, data={}, schools=(), townships=())
    assert sub.canonical_text() == old_text(sub) == '{"county":{},"data":{},"evaluation":{},"schools":[],"townships":[]}'


# --- whole counties: synthetic, and every fixture -----------------------------------------------


@pytest.mark.parametrize("key", STANDARDS)
def test_synthetic_counties_hash_as_before_and_take_the_straight_road(key):
    standard = REGISTRY.get(key)
    for data in generate(standard, 3, 40, seed=11):
        sub = submission_from_data(json.loads(content_json(data), parse_float=Decimal))
        assert sub._straight_text() is not None  # not the general road: the fast one is what runs
        assert sub.canonical_text() == old_text(sub)
        assert attrs.evolve(sub).sha256 == __import__("hashlib").sha256(old_text(sub).encode()).hexdigest()


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.toml")), ids=lambda p: p.stem)
def test_every_fixture_county_is_written_as_before(path):
    sub = read_submission(path)
    assert sub.canonical_text() == old_text(sub)
