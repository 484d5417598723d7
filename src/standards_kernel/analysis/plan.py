"""What it takes to reach the next grade: the smallest set of repairs that lifts the grade.

Each gap that can affect the grade (a failed gate or triggered veto with an effect, an item below
its full points) offers one *repair*: its first reachable fix applied to the submission (the D-class
area down to 8436.27 m²), or, where data cannot close it, what the panel or the county would have
to change (the panel's points to the item's maximum, a level to the best level, a school's
reported fact), marked as such. Subsets of repairs are tried in order of size; each is judged by
re-evaluating the submission with the repairs applied, under the standard's own grade logic (score
cut-offs, gates, vetoes, their groups and priorities), never by a re-implementation of it. The
points an item's repair can add are taken to be at most its shortfall, and a repair of a gate or
veto to add none; this only decides which sets are worth trying, never whether one works.

The search is bounded (:data:`MAX_EVALUATIONS`) and says when the bound cut it short. Rules that
hold the grade below the target and are applied must be among the repairs; when one of them cannot
be repaired (an event veto, an item without a computable fix) the result names it and no search
runs. A repair that sets a whole indicator (a difference coefficient to its required value) is
applied as an override of that indicator's value and is marked ``by = "indicator"``: the
school-level changes behind it are in the gap's contributors, not in the plan.
"""

from __future__ import annotations

import decimal
import itertools
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, Sequence

import attrs

from ..kernel import model as m
from ..errors import KernelError
from ..kernel.evaluate import Evaluation, evaluate
from .gaps import Fix, Gap, Target, number_text, toward
from ..kernel.numbers import KERNEL_CONTEXT, canonical, is_number
from ..kernel.submission import Submission

#: At most this many re-evaluations per search (a plan is usually found with one or two).
MAX_EVALUATIONS = 64
#: Strict bounds (``> x``) on a non-count field are met by this much beyond ``x``.
STRICT_STEP = {"rate": Decimal("0.0001"), "amount": Decimal("0.01")}
By = Literal["data", "fact", "panel", "level", "indicator"]
_BY_ORDER: tuple[str, ...] = ("data", "indicator", "fact", "level", "panel")  # the further, the less in the county's data


@attrs.frozen
class Change:
    """One value set for re-evaluation: a county input, a school/township field, or an indicator."""

    where: Literal["data", "schools", "townships", "indicator"]
    name: str
    unit: str | None
    value: Any
    relation: str = "=="  # merging two repairs of one field keeps the more demanding value


@attrs.frozen
class Repair:
    gap: str
    by: By
    changes: tuple[Change, ...]


@attrs.frozen
class NextGrade:
    current: str
    target: str | None  # None: already the best grade
    status: Literal["found", "not_found", "best"]
    plan: tuple[Repair, ...] = ()
    grade_after: str | None = None
    score_after: Decimal | None = None
    points_needed: Decimal | None = None  # the score still short of the target's cut-off
    candidates: int = 0
    evaluated: int = 0
    bounded: bool = False
    blocked: tuple[str, ...] = ()  # gaps that must close and cannot (by data or at all)


def next_grade(evaluation: Evaluation, gaps: Sequence[Gap]) -> NextGrade:
    """The smallest set of repairs that lifts ``evaluation`` to the next better grade.

    Every plan contains the repairs of the applied rules that cap the grade below the target.
    Further repairs are added in sets of growing size; a set whose items cannot add the points
    still missing (each item at most its shortfall) is not tried. Within a size the sets are tried
    in order of preference (fewest repairs outside the data, then the fewest points asked for,
    then the order of the gaps) and the first that lifts the grade on re-evaluation is the plan.
    """
    std = evaluation.standard
    index = std.grade_index(evaluation.grade)
    if index == 0:
        return NextGrade(evaluation.grade, None, "best")
    target_index = index - 1
    target = std.grades[target_index].id
    needed = _points_needed(evaluation, target_index)
    must: list[Repair] = []
    extras: list[tuple[Repair, Decimal]] = []  # with the most points each can add
    blocked: list[str] = []
    for gap in gaps:
        if gap.kind != "points" and gap.effect == "none":
            continue  # reported only: it never moves the grade
        repair = repair_for(gap, evaluation)
        holds_down = gap.kind != "points" and bool(gap.applied) and _cap_index(gap, std) > target_index
        if repair is None:
            if holds_down:
                blocked.append(gap.id)
        elif holds_down:
            must.append(repair)
        else:
            shortfall = (gap.max - gap.points) if gap.max is not None and gap.points is not None else Decimal(0)
            extras.append((repair, shortfall))
    base = dict(current=evaluation.grade, target=target, points_needed=needed, candidates=len(must) + len(extras))
    if blocked:
        return NextGrade(status="not_found", blocked=tuple(blocked), **base)  # type: ignore[arg-type]
    search = _Search(evaluation, target_index)
    deficit = needed
    if must:
        after = search.attempt(must)
        if after is not None and std.grade_index(after.grade) <= target_index:
            return search.found(must, after, base)
        if after is not None and needed is not None:
            deficit = max(Decimal(0), needed - (after.score - evaluation.score))
    if deficit == 0:  # the score is enough: only rules can still stand in the way
        extras = [(r, b) for r, b in extras if b == 0]
    for size in range(1, len(extras) + 1):
        combos = [c for c in itertools.combinations(range(len(extras)), size)
                  if deficit is None or sum((extras[i][1] for i in c), Decimal(0)) >= deficit]
        combos.sort(key=lambda c: (sum(_BY_ORDER.index(extras[i][0].by) > 0 for i in c),
                                   sum((extras[i][1] for i in c), Decimal(0)), c))
        for combo in combos:
            chosen = must + [extras[i][0] for i in combo]
            after = search.attempt(chosen)
            if after is not None and std.grade_index(after.grade) <= target_index:
                return search.found(chosen, after, base)
            if search.bounded:
                break
        if search.bounded:
            break
    return NextGrade(status="not_found", evaluated=search.evaluated, bounded=search.bounded, **base)  # type: ignore[arg-type]


class _Search:
    """Re-evaluations counted against :data:`MAX_EVALUATIONS`."""

    def __init__(self, evaluation: Evaluation, target_index: int) -> None:
        self.ev = evaluation
        self.target_index = target_index
        self.evaluated = 0
        self.bounded = False

    def attempt(self, repairs: Sequence[Repair]) -> Evaluation | None:
        if self.evaluated >= MAX_EVALUATIONS:
            self.bounded = True
            return None
        self.evaluated += 1
        return reevaluate(self.ev, repairs)

    def found(self, plan: Sequence[Repair], after: Evaluation, base: dict[str, Any]) -> NextGrade:
        return NextGrade(status="found", plan=tuple(plan), grade_after=after.grade, score_after=after.score,
                         evaluated=self.evaluated, bounded=False, **base)  # type: ignore[arg-type]


def _cap_index(gap: Gap, std: m.Standard) -> int:
    if gap.effect == "deny":
        return len(std.grades) - 1
    if gap.effect == "cap" and gap.grade is not None:
        return std.grade_index(gap.grade)
    return -1


def _points_needed(evaluation: Evaluation, target_index: int) -> Decimal | None:
    """How far the score is below the target grade's cut-off (0 when it reaches it)."""
    grade = evaluation.standard.grades[target_index]
    if grade.min_score is None:
        return Decimal(0)
    params = evaluation.standard.parameters

    def lookup(name: str) -> Any:
        dated = params[name].at(evaluation.as_of) if name in params else None
        if dated is None:
            raise KeyError(name)
        return dated.value

    try:
        with decimal.localcontext(KERNEL_CONTEXT):
            cutoff = grade.min_score.evaluate(lookup)
    except (KernelError, KeyError, ArithmeticError):
        return None
    if not is_number(cutoff):
        return None
    return max(Decimal(0), Decimal(cutoff) - evaluation.score)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# repairs


def repair_for(gap: Gap, evaluation: Evaluation) -> Repair | None:
    """The repair a gap offers, or None when nothing the county controls closes it."""
    if gap.closable in ("event", "not_computed"):
        return None
    changes: list[Change] = []
    by: set[str] = set()
    for target in gap.targets:
        found = _target_changes(target, evaluation, by)
        if found is None:
            return None
        changes.extend(found)
    merged = _merge(changes)
    if merged is None or not merged:
        return None
    kind = max(by, key=_BY_ORDER.index) if by else "data"
    return Repair(gap.id, kind, merged)  # type: ignore[arg-type]


def _target_changes(target: Target, ev: Evaluation, by: set[str]) -> list[Change] | None:
    if target.closable == "panel" or target.closable == "level":
        if target.field is None:
            return None
        by.add(target.closable)
        value = Decimal(target.required.numerator) / target.required.denominator if isinstance(target.required, Fraction) else target.required
        return [Change("data", target.field, None, value)]
    if target.closable == "fact":
        if target.field is None:
            return None
        by.add("fact")
        return [_field_change(ev, target.indicator, target.unit, target.field, target.required, "==")]
    for fix in target.fixes:
        found = _fix_changes(fix, ev, target.indicator, by)
        if found is not None:
            return found
    if target.parts:
        chosen: list[Target] = []
        for part in target.parts:
            if target.needed is not None and len(chosen) >= target.needed:
                break
            chosen.append(part)
        if target.needed is not None and len(chosen) < target.needed:
            return None
        changes: list[Change] = []
        lifted = {(p.indicator, p.unit) for p in chosen}
        for part in chosen + [f for f in target.floor if (f.indicator, f.unit) not in lifted]:
            found = _target_changes(part, ev, by)
            if found is None:
                return None
            changes.extend(found)
        return changes
    if target.floor:
        changes = []
        for part in target.floor:
            found = _target_changes(part, ev, by)
            if found is None:
                return None
            changes.extend(found)
        return changes
    if "contributors" in target.detail and isinstance(target.required, Fraction):
        by.add("indicator")  # a difference coefficient: set to its required value as a whole
        return [Change("indicator", target.indicator, target.unit,
                       _value(target.required, target.relation, digits=OVERRIDE_DIGITS), target.relation)]
    return None


def _fix_changes(fix: Fix, ev: Evaluation, indicator: str, by: set[str]) -> list[Change] | None:
    if not fix.reachable:
        return None
    if fix.kind == "indicator":
        for inner in fix.then:
            found = _fix_changes(inner, ev, fix.name, by)
            if found is not None:
                return found
        by.add("indicator")
        return [Change("indicator", fix.name, fix.unit, _value(fix.required, fix.relation, digits=OVERRIDE_DIGITS),
                       fix.relation)]
    by.add("data")
    if fix.whole is not None:
        value: Any = fix.whole
    else:
        value = _value(fix.required, fix.relation, STRICT_STEP.get(fix.type, Decimal("0.01")))
    return [_field_change(ev, indicator, fix.unit, fix.name, value, fix.relation)]


def _field_change(ev: Evaluation, indicator: str, unit: str | None, name: str, value: Any, relation: str) -> Change:
    if unit is None:
        return Change("data", name, None, value, relation)
    level = ev.standard.indicators[indicator].level
    base = ev.standard.units[level].base
    return Change(base, name, unit, value, relation)  # type: ignore[arg-type]


def _value(required: Fraction, relation: str, step: Decimal = Decimal("1e-12"), digits: int = 28) -> Decimal:
    """A decimal that satisfies ``x <relation> required``: rounded toward that side to ``digits``
    significant digits, and a step beyond the bound when the bound itself is excluded."""
    text, _ = number_text(required, toward(relation))
    value = Decimal(text)
    if digits < 28 and value:
        value = value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1), rounding=toward(relation))
    if relation == ">" and Fraction(value) <= required:
        value += step
    elif relation == "<" and Fraction(value) >= required:
        value -= step
    return value


#: An indicator set from outside feeds 28-digit arithmetic (a mean of eight CVs): fewer digits,
#: rounded toward the side that clears, leave room for the last digit's rounding downstream.
OVERRIDE_DIGITS = 20


def _merge(changes: Sequence[Change]) -> tuple[Change, ...] | None:
    """One change per field; two demands on one field keep the stricter, a conflict gives None."""
    merged: dict[tuple[str, str, str | None], Change] = {}
    for change in changes:
        key = (change.where, change.name, change.unit)
        old = merged.get(key)
        if old is None or old.value == change.value:
            merged[key] = change
            continue
        if not (is_number(old.value) and is_number(change.value)) or old.relation[0] != change.relation[0]:
            return None
        higher = change.relation.startswith(">")
        merged[key] = max(old, change, key=lambda c: c.value) if higher else min(old, change, key=lambda c: c.value)
    return tuple(merged[k] for k in sorted(merged, key=lambda k: (k[0], k[1], k[2] or "")))


# ---------------------------------------------------------------------------------------------
# re-evaluation


def reevaluate(evaluation: Evaluation, repairs: Sequence[Repair]) -> Evaluation | None:
    """The evaluation again, with the repairs applied (None when the repairs conflict or the
    changed submission does not evaluate)."""
    merged = _merge([c for r in repairs for c in r.changes])
    if merged is None:
        return None
    submission, overrides = _apply(evaluation.submission, merged)
    try:
        return evaluate(submission, evaluation.standard, evaluation.as_of, overrides=overrides)
    except (KernelError, ArithmeticError):
        return None


def _apply(sub: Submission, changes: Sequence[Change]) -> tuple[Submission, dict[tuple[str, str | None], Any]]:
    data = dict(sub.data)
    units = {"schools": {u.id: dict(u.values) for u in sub.schools},
             "townships": {u.id: dict(u.values) for u in sub.townships}}
    overrides: dict[tuple[str, str | None], Any] = {}
    for c in changes:
        if c.where == "data":
            data[c.name] = c.value
        elif c.where == "indicator":
            overrides[(c.name, c.unit)] = c.value
        else:
            units[c.where][c.unit][c.name] = c.value  # type: ignore[index]
    return attrs.evolve(
        sub,
        data=data,
        schools=tuple(attrs.evolve(u, values=units["schools"][u.id]) for u in sub.schools),
        townships=tuple(attrs.evolve(u, values=units["townships"][u.id]) for u in sub.townships),
    ), overrides


# ---------------------------------------------------------------------------------------------
# canonical JSON


def plan_to_data(plan: NextGrade) -> dict[str, Any]:
    """The plan as canonical JSON data: what to change and the grade it gives, not how the search
    went (so that a faster search leaves recorded results as they were)."""
    data: dict[str, Any] = {"from": plan.current, "to": plan.target, "status": plan.status}
    if plan.status == "best":
        return data
    data["bounded"] = plan.bounded  # how many sets were tried is the search's business, not the result's
    if plan.points_needed is not None:
        data["points_needed"] = canonical(plan.points_needed)
    if plan.blocked:
        data["blocked"] = list(plan.blocked)
    if plan.status == "found":
        data["plan"] = [
            {"gap": r.gap, "by": r.by, "changes": [_change_data(c) for c in r.changes]} for r in plan.plan
        ]
        data["grade_after"] = plan.grade_after
        data["score_after"] = canonical(plan.score_after) if plan.score_after is not None else None
    return data


def _change_data(c: Change) -> dict[str, Any]:
    data: dict[str, Any] = {"where": c.where, "name": c.name, "relation": c.relation,
                            "value": canonical(c.value) if is_number(c.value) else c.value}
    if c.unit is not None:
        data["unit"] = c.unit
    return data
