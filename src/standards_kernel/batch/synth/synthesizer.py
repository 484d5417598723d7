"""The synthesizer of one standard on one date: what the standard reads (county inputs, unit fields,
segments, townships), its parameters in force, and the making of each county (plan, schools,
targets, the fields and inputs that reach them) from a seed."""

from __future__ import annotations

import datetime as dt
import decimal
import random
from collections.abc import Iterator
from typing import Any

from ...errors import KernelError
from ...kernel import model as m
from ...kernel.numbers import KERNEL_CONTEXT
from ...kernel.segments import SEGMENTS
from ...kernel.vocabulary import lookup as vocabulary_lookup
from .county_inputs import county_data
from .plan import Plan
from .reach import UnitReach
from .solving import ordered_names
from .units import make_schools, make_townships


class Synthesizer:
    """Generates county submissions for one standard on one date."""

    def __init__(self, standard: m.Standard, as_of: dt.date, seed: int, *, standard_ref: str | None = None) -> None:
        self.std = standard
        self.as_of = as_of
        self.seed = seed
        self.ref = standard_ref
        self.params: dict[str, Any] = {}
        for pid, parameter in standard.parameters.items():
            dated = parameter.at(as_of)
            if dated is not None:
                self.params[pid] = dated.value
        self.county_inputs: list[str] = []
        self.unit_fields: dict[str, list[str]] = {"school": [], "township": []}
        self._read_inputs()
        self.segments = sorted({u.segment for uid, u in standard.units.items() if u.segment and self._used(uid)},
                               key=SEGMENTS.index)
        self.uses_townships = bool(self.unit_fields["township"]) or any(
            u.base == "townships" for uid, u in standard.units.items() if self._used(uid)) or "township" in self.unit_fields["school"]

    # which inputs the standard reads -------------------------------------------------------------

    def _used(self, unit_set: str) -> bool:
        return any(i.level == unit_set for i in self.std.indicators.values()) or any(
            i.aggregate is not None and i.aggregate.over == unit_set for i in self.std.indicators.values())

    def _add(self, level: str, name: str) -> None:
        names = self.county_inputs if level == "county" else self.unit_fields[level]
        if name not in names:
            names.append(name)

    def _read_inputs(self) -> None:
        std = self.std
        for ind in std.indicators.values():
            names = ([ind.input] if ind.input else []) + ordered_names(ind.formula)
            names += ordered_names(ind.check.limit) if ind.check else []
            if ind.level == "county":
                if ind.scoring is not None and ind.scoring.when is not None:
                    names += [n for n in ordered_names(ind.scoring.when) if n != "value"]
                for name in names:
                    if name not in std.parameters and name not in std.indicators:
                        self._add("county", name)
                if ind.aggregate is not None:
                    for read in (ind.aggregate.of, ind.aggregate.weight):
                        if read and read not in std.indicators:
                            self._unit_field(ind.aggregate.over, read)
            else:
                for name in names:
                    if name not in std.parameters and name not in std.indicators:
                        self._unit_field(ind.level, name)
        for uid, unit_set in std.units.items():
            if self._used(uid):
                for name in ordered_names(unit_set.where):
                    if name not in std.parameters:
                        self._unit_field(uid, name)
        for grade in std.grades:
            for name in ordered_names(grade.min_score):
                if name not in std.parameters and name not in std.indicators:
                    self._add("county", name)

    def _unit_field(self, unit_set: str, name: str) -> None:
        u = self.std.units[unit_set]
        if u.base == "townships":
            self._add("township", name)
            return
        if name in ("share", "segment") or (u.segment is not None and name == "students"):
            return
        if u.segment is not None and vocabulary_lookup("school", f"{name}.{u.segment}") is not None:
            name = f"{name}.{u.segment}"
        if name not in ("id", "kind") and not name.startswith("students."):
            self._add("school", name)

    def spec(self, level: str, name: str) -> m.InputSpec | None:
        return vocabulary_lookup(level, name, self.std.inputs)

    # one county ----------------------------------------------------------------------------------

    def county(self, number: int, schools: int) -> dict[str, Any]:
        """County ``number`` (0-based) with ``schools`` schools, as submission data."""
        rng = random.Random(f"standards-kernel synth {self.seed} {self.std.key} {number}")
        with decimal.localcontext(KERNEL_CONTEXT):  # the caller's decimal context must not change the data
            return make_county(self, rng, number, schools)


def make_county(synth: Synthesizer, rng: random.Random, number: int, schools: int) -> dict[str, Any]:
    """One county, in the order its draws are made: the plan, the schools and townships, the
    targets, the unit fields that reach them (settled again), the county's own inputs."""
    code = f"{990000 + number + 1}" if number < 9999 else f"{10_000_000 + number + 1}"
    plan = Plan(synth, rng, schools)
    school_records = make_schools(synth, rng, code, schools)
    townships = make_townships(synth, rng, code, school_records)
    plan.push_targets()
    reach = UnitReach(synth, plan, rng, school_records, townships)
    reach.reach_unit_targets()
    reach.settle()
    evaluation: dict[str, Any] = {"as_of": synth.as_of.isoformat(), "stage": "self"}
    if synth.ref:
        evaluation["standard"] = synth.ref
    submission: dict[str, Any] = {
        "county": {"code": code, "name": f"合成县{number + 1:04d}", "province": "synthetic"},
        "evaluation": evaluation,
        "data": county_data(synth, plan, rng, school_records),
        "schools": school_records,
    }
    if townships:
        submission["townships"] = townships
    return submission


def default_as_of(standard: m.Standard) -> dt.date:
    """A date the standard is in force on: a year after it starts, or its last day if sooner."""
    day = standard.effective_from + dt.timedelta(days=365)
    if standard.effective_until is not None and day > standard.effective_until:
        return standard.effective_until
    return day


def generate(standard: m.Standard, counties: int, schools: int, seed: int, *, as_of: dt.date | None = None,
             standard_ref: str | None = None) -> Iterator[dict[str, Any]]:
    """``counties`` submissions (data for :func:`~standards_kernel.kernel.submission.submission_from_data`)."""
    if counties < 0 or schools < 1:
        raise KernelError("need --counties ≥ 0 and --schools-per-county ≥ 1")
    date = as_of or default_as_of(standard)
    if not standard.in_force(date):
        raise KernelError(f"{standard.key} is not in force on {date.isoformat()}", hint="give another --as-of")
    synth = Synthesizer(standard, date, seed, standard_ref=standard_ref)
    for number in range(counties):
        yield synth.county(number, schools)
