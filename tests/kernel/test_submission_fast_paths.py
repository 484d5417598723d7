"""The fast paths of reading and checking a submission give what the full paths gave (issue 13).

Reading a value (``vocabulary.plain`` before ``coerce``), a submission's values (``_values``), the
canonical text of a number and of a unit's values (the submission's hash), and the completeness
check (own inputs, missing inputs) each took a shorter road. The full roads they leave
(``vocabulary._checked``, ``numbers.normalized_text``) and, copied here, the code that assembled
them before are the oracle, and random values, tables and submissions must give the same result, or the
same error (type, message, path, hint), on both roads.
"""

from __future__ import annotations

import copy
import random
from decimal import Decimal
from typing import Any, Mapping

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standards_kernel.batch.synth import generate
from standards_kernel.errors import KernelError, SubmissionError
from standards_kernel.kernel import completeness as c
from standards_kernel.kernel import model as m
from standards_kernel.kernel.numbers import canonical, normalized_text
from standards_kernel.kernel.registry import default_registry
from standards_kernel.kernel.segments import students_by_segment, view_names
from standards_kernel.kernel.submission import (Submission, Unit, _canonical_values, _is_jurisdiction_name,
                                                _untyped, _values, flatten, submission_from_data)
from standards_kernel.kernel.vocabulary import _checked, coerce, lookup, plain, suggest, vocabulary

REGISTRY = default_registry(warn=False)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the oracle: the full roads (vocabulary._checked, numbers.normalized_text) and, copied, the code
# that assembled them before (HEAD of 2026-12-01) ----------------------------------------------


def old_canonical_values(values: Mapping[str, Any]) -> dict[str, Any]:
    def one(value: Any) -> Any:
        if isinstance(value, bool) or isinstance(value, str):
            return value
        return normalized_text(value)

    return {k: one(v) for k, v in sorted(values.items()) if k != "id"}


def old_values(table: Mapping[str, Any], level: str, where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in flatten(table, where).items():
        spec = lookup(level, name)
        if spec is None:
            if _is_jurisdiction_name(name):
                values[name] = _untyped(value, f"{where}.{name}")
                continue
            raise SubmissionError(
                f"unknown {level}-level field {name!r}", path=f"{where}.{name}", hint=suggest(level, name)
            )
        values[name] = _checked(spec, value, where=f"{where}.{name}")
    return values


def old_own_input_issues(submission: Submission, standard: m.Standard) -> list[c.Issue]:
    prefix = standard.jurisdiction + "."
    places = [("county", "data", submission.data)]
    places += [("school", f"schools[{u.index}]", u.values) for u in submission.schools]
    places += [("township", f"townships[{u.index}]", u.values) for u in submission.townships]
    issues: list[c.Issue] = []
    for level, where, values in places:
        for name, value in values.items():
            if not (name.startswith(prefix) or name in standard.inputs) or lookup(level, name) is not None:
                continue
            spec = standard.inputs.get(name)
            path = f"{where}.{name}"
            if spec is None or spec.level != level:
                declared = sorted(n for n, s in standard.inputs.items() if s.level == level)
                issues.append(c.Issue(path, "invalid", f"{name!r} is not an input of {standard.key}", None,
                                      "its declared inputs: " + (", ".join(declared) or "none")))
                continue
            try:
                _checked(spec, value, where=path)
            except SubmissionError as error:
                issues.append(c.Issue(path, "invalid", error.message, c.expected(spec), error.hint))
    return issues


def old_missing_inputs(submission: Submission, standard: m.Standard) -> list[c.Issue]:
    reads = c.reads_of(standard)
    data = submission.data
    issues: list[c.Issue] = []
    for name in sorted(reads.county_required):
        if name not in data:
            issues.append(c._missing_county(reads, name))
    for inputs, fallback in reads.county_alternatives:
        if fallback not in data:
            issues += [c._missing_county(reads, name, fallback) for name in sorted(inputs) if name not in data]
    units: list[c.Issue] = []
    views: dict[tuple[str, int, str | None], set[str] | None] = {}
    for uid in sorted(set(reads.set_required) | set(reads.set_alternatives)):
        names = reads.set_required.get(uid, set())
        unit_set = standard.units[uid]
        if not any(i.level == uid or (i.aggregate and i.aggregate.over == uid) for i in standard.indicators.values()):
            continue
        level = c.BASE_LEVEL[unit_set.base]
        source = submission.schools if unit_set.base == "schools" else submission.townships
        for unit in source:
            key = (unit_set.base, unit.index, unit_set.segment)
            if key not in views:
                views[key] = old_view_names(unit, unit_set.segment)
            present = views[key]
            if present is None:
                continue
            for name in sorted(names - present):
                if not reads.computed(name):
                    units.append(c._missing_unit(reads, level, unit, uid, name, unit_set.segment))
            for inputs, fallback in reads.set_alternatives.get(uid, ()):
                if fallback not in present:
                    units += [c._missing_unit(reads, level, unit, uid, name, unit_set.segment, fallback)
                              for name in sorted(inputs - present)]
    issues = [i for i in issues if not c._excused(reads, i.path.removeprefix("data."))]
    seen = {issue.path for issue in issues}
    for issue in sorted(units, key=c._unit_order):
        if issue.path not in seen:
            seen.add(issue.path)
            issues.append(issue)
    return c._dedupe(issues)


def old_view_names(unit: Unit, segment: str | None) -> set[str] | None:
    if segment is None:
        return set(unit.values)
    try:
        if students_by_segment(unit.values)[segment] <= 0:
            return None
    except (TypeError, ValueError):
        return None
    return view_names(unit.values, segment)


# --- comparing outcomes ---------------------------------------------------------------------


def outcome(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    """What a call gives, exactly: the value with its type and representation, or the error with
    its type, message, path and hint."""
    try:
        found = fn(*args, **kwargs)
    except KernelError as error:
        return ("error", type(error), error.message, error.path, error.hint)
    return ("value", exact(found))


def exact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return [(k, exact(v)) for k, v in value.items()]  # in order: the order is part of it
    return (type(value), repr(value))


# --- values ----------------------------------------------------------------------------------

DIGITS = "0123456789"
decimal_text = st.from_regex(r"[+-]?(\d{0,35}(\.\d{0,35})?|\.\d{1,5})([eE][+-]?\d{1,3})?", fullmatch=True)
odd_text = st.text(alphabet=DIGITS + ".-+eE_ %,１٣\u00b2\t\nNaInfity", max_size=12)
#: Decimals of every representation: trailing zeros, negative zero, exponents, 1 to 34 digits
exact_decimals = st.builds(lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
                           st.integers(0, 1), st.lists(st.integers(0, 9), min_size=1, max_size=34),
                           st.integers(-40, 10))
decimals = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-5, max_value=5),
    exact_decimals,
)
values = st.one_of(
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=-10**35, max_value=10**35),
    st.sampled_from([10**31 - 1, 10**31, 10**30, -0, True, False, None, [1], {"a": 1}, 0.5, float("nan")]),
    decimals,
    decimal_text,
    odd_text,
    st.sampled_from(["92.37%", " 12 ", "1_000", "12.", ".5", ".", "", "0", "00012", "0.000", "1.50", "yes"]),
    st.floats(allow_nan=True, allow_infinity=True),
)
KINDS = ("count", "amount", "rate", "decimal", "points", "fact", "bool", "text")
specs = st.one_of(
    st.builds(lambda kind, choices: m.InputSpec(name="x", level="school", type=kind, label=m.Label("", ""), choices=choices),
              st.sampled_from(KINDS), st.sampled_from([(), ("a", "yes", "12")])),
    st.sampled_from([spec for level in vocabulary().values() for spec in level.values()]),
)


@FAST
@given(specs, values)
def test_plain_accepts_only_what_coerce_accepts_and_gives_the_same(spec, value):
    found = plain(spec, value)
    before = outcome(_checked, spec, value, where="schools[0].x")
    assert outcome(coerce, spec, value, where="schools[0].x") == before
    if found is not None:
        assert before == ("value", exact(found))


@pytest.mark.parametrize(("kind", "value"), [("count", 12), ("count", "12"), ("count", Decimal("12.0")),
                                             ("amount", "6346016.81"), ("amount", Decimal("2.50")),
                                             ("rate", "0.9237"), ("rate", 1), ("fact", True), ("bool", False),
                                             ("text", "nine_year"), ("points", 0)])
def test_the_common_values_take_the_fast_path(kind, value):
    assert plain(m.InputSpec(name="x", level="school", type=kind, label=m.Label("", "")), value) is not None


@pytest.mark.parametrize(("kind", "value"), [("count", -1), ("count", 10**31), ("count", "1e3"), ("count", " 1"),
                                             ("rate", "92.37%"), ("rate", 2), ("amount", "１２"), ("amount", True),
                                             ("count", Decimal("1.5")), ("amount", Decimal("-0.1"))])
def test_anything_else_takes_the_full_path(kind, value):
    assert plain(m.InputSpec(name="x", level="school", type=kind, label=m.Label("", "")), value) is None


# --- tables ----------------------------------------------------------------------------------

NAMES = {level: sorted(names) for level, names in vocabulary().items()}
extra_names = ["yunnan.extra_x", "national.gov_01_layout_planning", "unknown_field", "students.rural",
               "funding.other", "funding.x.y", "id"]


@st.composite
def tables(draw: Any, level: str) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(NAMES[level] + extra_names), max_size=8, unique=True))
    table: dict[str, Any] = {name: draw(values) for name in names}
    if draw(st.booleans()):  # a nested table, as TOML and JSON give ``students = {primary = 3}``
        table["students"] = {"primary": draw(values), "junior": draw(values)}
    if draw(st.integers(0, 9)) == 0:  # a name that is not text (from the Python API)
        table[7] = draw(values)  # type: ignore[index]
    return table


@FAST
@given(st.sampled_from(["school", "township", "county"]).flatmap(lambda lvl: st.tuples(st.just(lvl), tables(lvl))))
def test_values_of_a_table_are_read_as_before(case):
    level, table = case
    assert outcome(_values, table, level, "schools[3]") == outcome(old_values, table, level, "schools[3]")


# --- the canonical text and the hash -----------------------------------------------------------


@FAST
@given(st.one_of(decimals, st.integers(), exact_decimals.map(lambda d: Decimal(format(d, "f")))))
def test_canonical_text_is_as_before(value):
    assert outcome(canonical, value) == outcome(normalized_text, value)


@pytest.mark.parametrize("text", ["1.50", "-0", "-0.00", "100", "1E+2", "1.2E+3", "0.0000001", "-12.5",
                                  "1234567890123456789012345678", "1234567890123456789012345678.9",
                                  "12345678901234567890123456.78", "0.1234567890123456789012345678",
                                  "99999999999999999999999999999", "NaN", "-Infinity", "1E-30", "5.000000",
                                  "-0.00012345678901234567890123456789", "-0.001234567890123456789012345678",
                                  "0.00000012345678901234567890123456", "10.00000000000000000000000000001"])
def test_canonical_text_of_edge_cases_is_as_before(text):
    assert outcome(canonical, Decimal(text)) == outcome(normalized_text, Decimal(text))


@FAST
@given(st.dictionaries(st.sampled_from(["id", "a", "b.primary", "c", "name"]),
                       st.one_of(st.integers(), st.booleans(), st.text(max_size=3), decimals)))
def test_canonical_values_are_as_before(values):
    assert outcome(_canonical_values, values) == outcome(old_canonical_values, values)


# --- whole submissions: reading, the hash, the completeness check -------------------------------

STANDARDS = ["national.quality-balance@2017", "national.basic-balance@2017", "yunnan.county-education@2009",
             "henan.advanced-county@2014", "guizhou.county-education@2005"]


@st.composite
def submissions(draw: Any) -> tuple[m.Standard, dict[str, Any]]:
    """A synthetic county of a standard, with fields taken out and others changed or added."""
    standard = REGISTRY.get(draw(st.sampled_from(STANDARDS)))
    raw = copy.deepcopy(next(iter(generate(standard, 1, draw(st.integers(1, 6)), seed=draw(st.integers(0, 99))))))
    pick = random.Random(draw(st.integers(0, 2**32)))
    tables_ = [raw.setdefault("data", {})] + [u for key in ("schools", "townships") for u in raw.get(key, [])]
    for _ in range(draw(st.integers(0, 6))):
        table = pick.choice(tables_)
        names = [n for n in table if n != "id"]
        move = draw(st.sampled_from(["drop", "change", "add"]))
        if move == "drop" and names:
            del table[pick.choice(names)]
        elif move == "change" and names:
            table[pick.choice(names)] = draw(values)
        else:
            own = [n for n in standard.inputs] + [standard.jurisdiction + ".not_declared"]
            table[pick.choice(own + extra_names)] = draw(values)
    return standard, raw


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(submissions())
def test_a_changed_county_is_read_hashed_and_checked_as_before(case):
    standard, raw = case
    try:
        submission, _ = c.read_data(copy.deepcopy(raw))
    except KernelError:
        return  # a fault beside the values: reading is compared value by value above
    again = attrs.evolve(submission)
    expected_hash = Submission.canonical(again)
    for key in ("data",):
        expected_hash[key] = old_canonical_values(getattr(again, key))
    expected_hash["schools"] = [{"id": u.id, **old_canonical_values(u.values)} for u in again.schools]
    expected_hash["townships"] = [{"id": u.id, **old_canonical_values(u.values)} for u in again.townships]
    assert again.canonical() == expected_hash
    assert c.own_input_issues(submission, standard) == old_own_input_issues(submission, standard)
    assert c.missing_inputs(submission, standard) == old_missing_inputs(submission, standard)


@pytest.mark.parametrize("key", STANDARDS)
def test_a_synthetic_county_reads_to_the_same_values(key):
    standard = REGISTRY.get(key)
    raw = next(iter(generate(standard, 1, 20, seed=7)))
    submission = submission_from_data(raw)
    assert [exact(u.values) for u in submission.schools] == [
        exact(old_values({k: v for k, v in u.items()}, "school", "s")) for u in sorted(raw["schools"], key=lambda u: u["id"])]
    assert exact(submission.data) == exact(old_values(raw.get("data", {}), "county", "data"))
