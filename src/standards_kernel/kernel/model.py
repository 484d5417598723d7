"""The model of a standard, as attrs classes: what a standard file says, once loaded and checked.

A standard is data: sources, parameters (each with its source and status), unit sets (schools,
school segments, townships), indicators (an input, a formula or an aggregation, optionally a check
against a limit and a scoring rule), areas of an indicator tree, gates, vetoes and grades.
:mod:`standards_kernel.kernel.loader` builds these from TOML; :mod:`standards_kernel.kernel.evaluate` reads them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import attrs

from .expressions import Expression
from .segments import SEGMENTS as SEGMENTS  # re-exported; the segments' home is .segments

Status = Literal["verified", "corroborated", "reconstructed", "assumed"]
STATUSES: tuple[Status, ...] = ("verified", "corroborated", "reconstructed", "assumed")
Direction = Literal["higher", "lower"]
Op = Literal["<", "<=", ">", ">=", "==", "!="]
OPS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=")
#: What each comparison is called in the texts: 以上 → ≥, 不超过/以下/不高于 → ≤, 低于 → <.
OP_WORDS = {
    ">=": ("以上/不低于", "at least"),
    "<=": ("不超过/不高于", "at most"),
    ">": ("高于", "above"),
    "<": ("低于", "below"),
    "==": ("为", "equal to"),
    "!=": ("不为", "not equal to"),
}


@attrs.frozen
class Label:
    zh: str
    en: str = ""

    def text(self, lang: str) -> str:
        return (self.en or self.zh) if lang == "en" else (self.zh or self.en)


@attrs.frozen
class Source:
    """A document a standard rests on (title, issuer, number such as 教督〔2012〕3号, date, address)."""

    id: str
    title: str
    issuer: str = ""
    number: str = ""
    date: dt.date | None = None
    address: str = ""
    note: str = ""
    note_en: str = ""  # the English note when the note is given in both languages


@attrs.frozen
class Citation:
    """Where a value comes from and how sure we are: a source id, a locator, a status; ``text``
    the short phrase of the source the value rests on, quoted; ``note_en`` the English note when
    the note is given in both languages (``note`` then holds the Chinese)."""

    source: str
    status: Status
    locator: str = ""
    note: str = ""
    text: str = ""
    note_en: str = ""


@attrs.frozen
class DatedValue:
    start: dt.date
    value: Decimal | bool | str
    citation: Citation


@attrs.frozen
class Parameter:
    """A named value of the standard, with dated values where it changed over time."""

    id: str
    label: Label
    unit: str
    values: tuple[DatedValue, ...]  # sorted by start date; the first may start at date.min
    origin: str  # the standard id@edition that defined the value in force (inheritance is visible)
    range: tuple[Decimal, Decimal] | None = None  # declared plausible values (sensitivity analysis)

    def at(self, as_of: dt.date) -> DatedValue | None:
        chosen = None
        for dated in self.values:
            if dated.start <= as_of:
                chosen = dated
        return chosen


@attrs.frozen
class Rounding:
    places: int
    mode: str


@attrs.frozen
class UnitSet:
    """A set of units that indicators are computed for: schools, school segments, townships."""

    id: str
    base: Literal["schools", "townships"]
    segment: str | None = None  # "primary" / "junior" / "senior": a per-segment view of schools
    where: Expression | None = None
    label: Label = Label("")


@attrs.frozen
class Check:
    """The indicator's own standard: ``value <op> limit`` must hold (e.g. ``<= d_class_limit``)."""

    op: Op
    limit: Expression


@attrs.frozen
class Aggregate:
    """A county value made from a unit-level indicator or field."""

    function: str  # sum, min, max, count, mean, weighted_mean, cv, count_met, share_met, all_met
    of: str
    over: str  # unit set
    weight: str | None = None


@attrs.frozen
class KOfN:
    """A unit passes when at least ``k`` of the listed indicators meet their checks and, with a
    floor, none is below ``floor`` × its limit (2017: 6 of 7, every one ≥ 85%)."""

    k: int
    of: tuple[str, ...]
    floor: Decimal | None = None


@attrs.frozen
class Band:
    at_least: Decimal  # the band's bound: fraction of the target reached (target form), or the value
    share: Decimal  # share of the item's points awarded (value form: points ÷ max, for reading only)
    points: Decimal | None = None  # value form: the exact points the band gives


@attrs.frozen
class Scoring:
    """How an indicator earns points: threshold, deduction, bands, levels, panel or zero_if."""

    kind: Literal["threshold", "deduction", "bands", "levels", "panel", "zero_if"]
    max: Decimal
    area: str | None = None
    per: Decimal | None = None  # deduction: size of one unit of shortfall (0.01 = one point of %)
    deduct: Decimal | None = None  # deduction: points per unit of shortfall
    steps: Literal["whole", "started", "exact"] | None = None  # deduction: partial units
    target: Expression | None = None  # bands: the target the fraction is taken of
    bands: tuple[Band, ...] = ()
    levels: tuple[tuple[str, Decimal], ...] = ()
    when: Expression | None = None  # zero_if: no points when this holds
    on: Literal["target", "value"] = "target"  # bands: value ÷ the check's limit, or the value itself
    upper: bool = False  # bands on the value: the bounds are at_most (lower is better)


@attrs.frozen
class Indicator:
    id: str
    label: Label
    unit: str
    level: str  # "county" or a unit set id
    direction: Direction | None
    input: str | None = None
    formula: Expression | None = None
    aggregate: Aggregate | None = None
    k_of_n: KOfN | None = None
    fallback_input: str | None = None  # a published figure used when the formula's inputs are absent
    check: Check | None = None
    scoring: Scoring | None = None
    round: Rounding | None = None
    citation: Citation | None = None
    origin: str = ""
    assessable_when_inputs_present: bool = False  # missing inputs: not assessable, not an error


@attrs.frozen
class Area:
    id: str
    label: Label
    max: Decimal
    parent: str | None = None
    citation: Citation | None = None


@attrs.frozen
class Rule:
    """A gate (must be met) or a veto (一票否决: triggered when its indicator's check fails).

    Both read one indicator with a check; for a unit-level indicator every unit must meet it.
    Effects: ``cap`` (grade at most ``grade``), ``deny`` (the lowest grade), ``none`` (reported
    only, e.g. a 不合格指标 that the panel notes without an effect on the grade).
    """

    id: str
    kind: Literal["gate", "veto"]
    label: Label
    indicator: str
    effect: Literal["cap", "deny", "none"]
    grade: str | None = None
    group: str = ""
    priority: int = 0
    citation: Citation | None = None
    origin: str = ""


@attrs.frozen
class Grade:
    id: str
    label: Label
    min_score: Expression | None = None


@attrs.frozen
class Standard:
    id: str
    edition: str
    jurisdiction: str
    title: Label
    effective_from: dt.date
    effective_until: dt.date | None
    description: str
    extends: str | None
    display_rounding: Rounding
    score_rounding: Rounding | None
    sources: dict[str, Source]
    parameters: dict[str, Parameter]
    inputs: dict[str, "InputSpec"]
    units: dict[str, UnitSet]
    indicators: dict[str, Indicator]
    order: tuple[str, ...]  # indicators in dependency order (then by id): evaluation order
    areas: dict[str, Area]
    rules: dict[str, Rule]
    grades: tuple[Grade, ...]  # best first
    sha256: str  # hash of the canonical content
    content: dict[str, object] = attrs.field(eq=False, repr=False)  # canonical content (merged)
    file: str = ""
    levers: dict[str, str] = attrs.field(factory=dict)  # [levers]: "<level>.<name>" → up | down | fixed

    @property
    def key(self) -> str:
        return f"{self.id}@{self.edition}"

    def in_force(self, as_of: dt.date) -> bool:
        if as_of < self.effective_from:
            return False
        return self.effective_until is None or as_of <= self.effective_until

    @property
    def max_score(self) -> Decimal:
        top = [a.max for a in self.areas.values() if a.parent is None]
        loose = [
            i.scoring.max for i in self.indicators.values() if i.scoring and i.scoring.area is None
        ]
        return sum(top + loose, Decimal(0))

    def parameter_statuses(self) -> dict[str, int]:
        """Parameters counted by status, each once, under the least certain status of its dated
        values (how `list` and `check` count them): every status, zeros included, most certain first."""
        rank = {status: index for index, status in enumerate(STATUSES)}
        counts: dict[str, int] = {status: 0 for status in STATUSES}
        for parameter in self.parameters.values():
            if parameter.values:
                counts[max((d.citation.status for d in parameter.values), key=rank.__getitem__)] += 1
        return counts

    def grade_index(self, grade_id: str) -> int:
        for index, grade in enumerate(self.grades):
            if grade.id == grade_id:
                return index
        raise KeyError(grade_id)


@attrs.frozen
class InputSpec:
    """One name of the input vocabulary (or a standard's own input)."""

    name: str
    level: Literal["school", "township", "county"]
    type: Literal["count", "amount", "rate", "decimal", "points", "fact", "bool", "text"]
    label: Label
    unit: str = ""
    table: str = ""
    choices: tuple[str, ...] = ()
