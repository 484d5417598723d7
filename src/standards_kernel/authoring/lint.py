"""Rules that mean something: what `check` warns about in a standard that loads.

A standard can load cleanly and still not say what its authors meant. The slips a policy team makes
most often, found without any county data:

- a check on a ratio against a limit beyond 0–1 (85 meaning 85%), so that the rule can never pass
  or never fail (a ratio *parameter* outside 0–1 does not load: kernel/units.py);
- a check on a quantity that cannot be negative (people, m², yuan) against a limit at or below 0;
- bands whose thresholds repeat, a top band that never gives full points;
- levels that never reach the item's points;
- a grade whose threshold is above the standard's maximum score, or above a better grade's.

(Bands whose points fall as the threshold rises, a share outside 0–1 and an area its items cannot
fill are load errors already: the loader refuses them.)

Each finding names the key path and, where the file says, the line. ``check`` prints them as
warnings; ``check --strict`` makes them an error for CI.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from ..kernel.locate import locate_in_file
from ..kernel.expressions import Expression
from ..kernel.model import Check, Indicator, Parameter, Standard
from ..kernel.units import NON_NEGATIVE_UNITS, RATIO_UNITS
from ..kernel.numbers import canonical


@attrs.frozen
class Finding:
    """One warning about a standard: a stable code, the key path, what is wrong, and where."""

    code: str
    path: str
    message: str
    file: str = ""
    line: int | None = None

    def render(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        return f"{where}{self.path}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "path": self.path, "message": self.message}
        if self.file:
            data["file"] = self.file
        if self.line:
            data["line"] = self.line
        return data


def lint(standard: Standard) -> list[Finding]:
    """Every finding for ``standard``, in key-path order, located in its file where possible."""
    found: list[tuple[str, str, str]] = []
    found += _checks(standard)
    found += _scoring(standard)
    found += _grades(standard)
    return [Finding(code, path, message, standard.file, locate_in_file(standard.file, path))
            for code, path, message in sorted(set(found), key=lambda f: (f[1], f[0]))]


def _number(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) and not isinstance(value, bool) else None


def _limit_values(check: Check, standard: Standard) -> list[Decimal]:
    """The limit's value under each dated value of the parameters it names (none if it reads more)."""
    names = check.limit.names
    if not names <= standard.parameters.keys():
        return []
    starts = sorted({max(d.start, standard.effective_from) for n in names for d in standard.parameters[n].values}
                    | {standard.effective_from})
    values = []
    for start in starts:
        value = _value_at(check.limit, standard.parameters, start)
        if value is not None:
            values.append(value)
    return values


def _value_at(expression: Expression, parameters: dict[str, Parameter], as_of: dt.date) -> Decimal | None:
    """An expression of parameters only, with the values in force on ``as_of`` (None if it reads more)."""
    def lookup(name: str) -> object:
        dated = parameters[name].at(as_of)
        if dated is None:
            raise LookupError(name)
        return dated.value

    try:
        return _number(expression.evaluate(lookup))
    except Exception:  # a limit that does not evaluate without data is not this module's to judge
        return None


def _checks(standard: Standard) -> list[tuple[str, str, str]]:
    out = []
    for iid, indicator in standard.indicators.items():
        if indicator.check is None:
            continue
        where = f"indicators.{iid}.check"
        bounds = _bounds(indicator)
        for limit in _limit_values(indicator.check, standard):
            if bounds is None:
                if indicator.unit in RATIO_UNITS and Decimal(1) < limit <= 100:
                    # A computed ratio may exceed 1 (a growth rate), but a limit of 85 is most often 85%.
                    out.append(("ratio-limit", where,
                                f"a ratio checked against {canonical(limit)}: if it means {canonical(limit)}%, "
                                f"write {canonical(limit / 100)}"))
                continue
            low, high = bounds
            verdict = _verdict(indicator.check.op, limit, low, high)
            if verdict:
                span = f"{canonical(low)}–{canonical(high)}" if high is not None else f"≥ {canonical(low)}"
                out.append((f"check-{verdict.replace(' ', '-')}", where,
                            f"the check {indicator.check.op} {canonical(limit)} {verdict} for any value of this "
                            f"indicator ({span})"
                            + (f": {canonical(limit)} looks like a percentage, write {canonical(limit / 100)}"
                               if high == 1 and Decimal(1) < limit <= 100 else "")))
    return out


def _bounds(indicator: Indicator) -> tuple[Decimal, Decimal | None] | None:
    """The values an indicator can take whatever the county's data, where that is certain: a share
    of units meeting a check, a count, or an input read as it is (a ratio, a count, an area)."""
    aggregate = indicator.aggregate
    if aggregate is not None and aggregate.function == "share_met":
        return Decimal(0), Decimal(1)
    if aggregate is not None and aggregate.function in ("count", "count_met"):
        return Decimal(0), None
    if indicator.input is not None and indicator.formula is None and aggregate is None:
        if indicator.unit in RATIO_UNITS:
            return Decimal(0), Decimal(1)
        if indicator.unit in NON_NEGATIVE_UNITS:
            return Decimal(0), None
    return None


def _verdict(op: str, limit: Decimal, low: Decimal, high: Decimal | None) -> str:
    """'never passes' / 'always passes' when every value in [low, high] gives the same answer."""
    above = high is not None
    if op in (">=", ">"):
        if above and (limit > high or (op == ">" and limit == high)):  # type: ignore[operator]
            return "never passes"
        if limit < low or (op == ">=" and limit == low):
            return "always passes"
    if op in ("<=", "<"):
        if limit < low or (op == "<" and limit == low):
            return "never passes"
        if above and (limit > high or (op == "<=" and limit == high)):  # type: ignore[operator]
            return "always passes"
    return ""


def _scoring(standard: Standard) -> list[tuple[str, str, str]]:
    out = []
    for iid, indicator in standard.indicators.items():
        scoring = indicator.scoring
        if scoring is None:
            continue
        where = f"indicators.{iid}.scoring"
        if scoring.kind == "bands" and scoring.bands:
            ordered = sorted(scoring.bands, key=lambda b: b.at_least)
            seen: set[Decimal] = set()
            for band in ordered:
                if band.at_least in seen:
                    out.append(("band-repeated", f"{where}.bands",
                                f"two bands start at {canonical(band.at_least)}: one of them can never apply"))
                seen.add(band.at_least)
            if max(b.share for b in ordered) < 1:
                out.append(("points-unreachable", f"{where}.bands",
                            f"no band gives the full {canonical(scoring.max)} points (the best gives a share of "
                            f"{canonical(max(b.share for b in ordered))})"))
        if scoring.kind == "levels" and scoring.levels:
            best = max(points for _, points in scoring.levels)
            if best < scoring.max:
                out.append(("points-unreachable", f"{where}.levels",
                            f"the best level gives {canonical(best)} of the item's {canonical(scoring.max)} points"))
    return out


def _grades(standard: Standard) -> list[tuple[str, str, str]]:
    out = []
    top = standard.max_score
    previous: tuple[str, Decimal] | None = None
    for grade in standard.grades:  # best first
        threshold = None
        if grade.min_score is not None and grade.min_score.names <= standard.parameters.keys():
            threshold = _value_at(grade.min_score, standard.parameters, standard.effective_from)
        if threshold is None:
            continue
        if threshold > top:
            out.append(("grade-unreachable", f"grades.{grade.id}",
                        f"needs {canonical(threshold)} points but the standard gives at most {canonical(top)}"))
        if previous is not None and threshold > previous[1]:
            out.append(("grade-order", f"grades.{grade.id}",
                        f"needs {canonical(threshold)} points, more than the better grade {previous[0]} "
                        f"({canonical(previous[1])}): a score can never land on it"))
        previous = (grade.id, threshold)
    return out
