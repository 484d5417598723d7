"""The text writers of kernel/result_text.py against what they stand for, on random inputs: a value
written by ``_json_value`` is ``canonical_json`` of it, and a column-computed unit section written
by ``_columns_json`` is ``canonical_json`` of the data path's ``_columns`` (value kinds, checks,
limits, notes, reads, the first unit's extra reads, unit ids and names that JSON must escape)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel.audit.decision import decide
from standards_kernel.batch.synth import generate
from standards_kernel.kernel import result_text
from standards_kernel.kernel.formats import canonical_json
from standards_kernel.kernel.readings import UnitReadings
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.result import _columns
from standards_kernel.kernel.submission import submission_from_data

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6) | st.sampled_from(
    ['"', "\\", "\n", "\u2028", "学校", ""])
DECIMALS = st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [Decimal("1.50"), Decimal("-0"), Decimal("1E+3"), Decimal("0.000"), Decimal("12345678901234567890123456789.5")])
ATOMS = st.none() | st.booleans() | TEXT | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
JSON_DATA = st.recursive(ATOMS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                         | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(value=JSON_DATA)
def test_a_value_is_written_as_canonical_json_writes_it(value: Any) -> None:
    assert result_text._json_value(value) == canonical_json(value)


#: The kinds of value a column holds: numbers (the common case), checks, text, nothing, or a mix.
COLUMN_VALUES = st.sampled_from(["decimal", "int", "bool", "text", "mixed"])


def column(draw: st.DrawFn, kind: str, n: int) -> list[Any]:
    one = {"decimal": DECIMALS, "int": st.integers(), "bool": st.booleans(), "text": TEXT,
           "mixed": DECIMALS | st.integers() | st.booleans() | st.none() | TEXT}[kind]
    return draw(st.lists(one, min_size=n, max_size=n))


@st.composite
def unit_readings(draw: st.DrawFn) -> UnitReadings:
    ids = draw(st.lists(st.text(min_size=1, max_size=4) | st.sampled_from(["s-1", "s-10", "s-2", '"a"']),
                        max_size=6, unique=True))
    n = len(ids)
    names = draw(st.lists(TEXT, max_size=3, unique=True))
    return UnitReadings(
        ids,
        column(draw, draw(COLUMN_VALUES), n),
        draw(st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n)),
        draw(st.none() | DECIMALS | st.booleans()),
        names,
        [column(draw, draw(COLUMN_VALUES), n) for _ in names],
        first_reads=draw(st.dictionaries(TEXT, DECIMALS, max_size=2)),
        notes=draw(st.none() | st.lists(TEXT, min_size=n, max_size=n)),
    )


@settings(max_examples=300, deadline=None)
@given(units=unit_readings(), reads=st.booleans())
def test_a_unit_section_is_written_as_canonical_json_writes_its_data(units: UnitReadings, reads: bool) -> None:
    texts: dict[int, str] = {}
    keys: dict[tuple[str, ...], Any] = {}
    written = result_text._columns_json(units, texts, reads, keys)
    assert written == canonical_json(_columns(units, {}, reads))
    # a second indicator over the same units, and numbers whose text is known already, write the same
    assert result_text._columns_json(units, texts, reads, keys) == written


def test_a_large_countys_unit_sections_are_pieces_of_their_own_and_the_whole_is_its_canonical_json() -> None:
    standard = default_registry().get("national.quality-balance@2017")
    raw = next(iter(generate(standard, 1, 500, seed=3)))
    decision = decide(submission_from_data(json.loads(json.dumps(raw, default=str), parse_float=Decimal)), standard)
    for trace in ("summary", "full"):
        parts = decision.json_parts(trace=trace)
        assert "".join(parts) == canonical_json(decision.document(trace=trace))
        large = parts[1::2]  # between runs of small pieces joined
        if trace == "summary":  # no section runs past the limit: the whole text, joined once
            assert len(parts) == 1
        else:  # the k-of-n sections' units, with all each read, do
            assert len(large) >= 2
        for part in large:  # each a whole units object, not a larger text it was copied into
            assert len(part) > result_text._LARGE
            units = json.loads(part)
            assert units and all("value" in reading for reading in units.values())
