"""What it takes to reach the next grade: the fewest repairs that lift the grade, through levers.

Each gap that can affect the grade (a failed gate or triggered veto with an effect, an item below
its full points) offers one *repair*: its reachable fix with the smallest relative change applied
to the submission (the D-class area down to 8436.27 m²) — a fix is always a lever moved its allowed
way (:mod:`.gaps`), never enrolment cut or a total raised to dilute a share — or, where data cannot
close it, what the panel or the county would have to change (the panel's points to the item's
maximum, a level to the best level, a school's reported fact), marked as such. A gap no lever
closes offers none.

The search is polynomial in the number of gaps and usually costs one re-evaluation. The repairs of
the applied rules that hold the grade below the target are always in the plan (when one cannot be
repaired the result names it and no search runs). Further repairs are chosen for the points still
missing, each item counted at its shortfall (a repair of a gate or veto at none): the fewest
repairs whose shortfalls cover the missing points, and among sets of that size, greedily, the
preferred ones — repairs within the county's data before the panel's, then the smallest relative
change, then the order of the gaps — as long as the rest can still cover the points. The set is
judged by re-evaluating the submission with the repairs applied, under the standard's own grade
logic (cut-offs, gates, vetoes, groups, priorities), never by a re-implementation of it. If it
falls short, the points it actually gained are taken into account and more repairs are added the
same way (when the score is enough but a rule still stands in the way, the next preferred repair,
rules first), until the grade is reached or no repair is left; every round adds at least one
repair, and :data:`MAX_EVALUATIONS` bounds the rounds (``bounded`` says when it cut them short).
A repair that sets a whole indicator (a difference coefficient to its required value) is applied as
an override of that indicator's value and is marked ``by = "indicator"``: the school-level changes
behind it are in the gap's contributors, not in the plan.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, Sequence

import attrs

from ..kernel import model as m
from ..errors import KernelError
from ..kernel.evaluate import Evaluation, evaluate
from .gaps import Fix, Gap, Target, number_text, toward
from .gaps.model import effort
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
    effort: Fraction = attrs.field(default=Fraction(0), eq=False)  # its changes' relative sizes, summed


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


@attrs.frozen
class _Item:
    """A repair the search may add, with the most points it can add and its place in the gaps."""

    repair: Repair
    shortfall: Decimal  # the points its item lacks (a rule: none)
    index: int
    indicator: str
    gain: Decimal = Decimal(0)  # what it can add now: its shortfall, capped by the room in its areas

    @property
    def preference(self) -> tuple[Any, ...]:
        """Within the county's data first, then the smallest relative change, then the gaps' order."""
        return (_BY_ORDER.index(self.repair.by) > 0, self.repair.effort, self.index)


def next_grade(evaluation: Evaluation, gaps: Sequence[Gap]) -> NextGrade:
    """The fewest repairs, through levers, that lift ``evaluation`` to the next better grade.

    Every plan contains the repairs of the applied rules that cap the grade below the target;
    further repairs are chosen by :func:`_choose` for the points still missing and the set is
    re-evaluated, more being added (:func:`_search`) only when it falls short.
    """
    std = evaluation.standard
    index = std.grade_index(evaluation.grade)
    if index == 0:
        return NextGrade(evaluation.grade, None, "best")
    target_index = index - 1
    target = std.grades[target_index].id
    needed = _points_needed(evaluation, target_index)
    must: list[Repair] = []
    extras: list[_Item] = []
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
            extras.append(_Item(repair, shortfall, len(extras), gap.indicator))
    base = dict(current=evaluation.grade, target=target, points_needed=needed, candidates=len(must) + len(extras))
    if blocked:
        return NextGrade(status="not_found", blocked=tuple(blocked), **base)  # type: ignore[arg-type]
    return _search(_Search(evaluation, target_index), must, extras, needed, base)


def _search(search: "_Search", must: list[Repair], extras: list[_Item], needed: Decimal | None,
            base: dict[str, Any]) -> NextGrade:
    """Re-evaluate the chosen set; while it falls short, add repairs for what is still missing."""
    ev, std = search.ev, search.ev.standard
    deficit = needed
    chosen: list[_Item] = []
    if deficit:
        chosen = _choose(_gains(extras, ev), deficit) or []
    rounds = 0
    while True:
        plan = must + [item.repair for item in sorted(chosen, key=lambda item: item.index)]
        after = search.attempt(plan) if plan else None
        rounds += 1
        if after is not None and std.grade_index(after.grade) <= search.target_index:
            if rounds > 1:  # repairs added round by round: drop any the grade turns out not to need
                plan, after = _prune(search, must, chosen, plan, after)
            return search.found(plan, after, base)
        if search.bounded or (plan and after is None):
            break  # out of evaluations, or repairs that conflict or do not evaluate
        taken = {item.index for item in chosen}
        rest = _gains([item for item in extras if item.index not in taken], after or ev)
        if after is not None and needed is not None:
            deficit = max(Decimal(0), needed - (after.score - ev.score))
        if deficit:
            more = _choose(rest, deficit)
            if more is None:
                break  # the remaining items cannot add the points still missing
        else:  # the score is enough (or unknown): a rule stands in the way; rules first
            ordered = sorted(rest, key=lambda item: (item.shortfall > 0, item.preference))
            more = ordered[:1]
        if not more:
            break
        chosen.extend(more)
    return NextGrade(status="not_found", evaluated=search.evaluated, bounded=search.bounded, **base)  # type: ignore[arg-type]


def _prune(search: "_Search", must: list[Repair], chosen: list[_Item], plan: list[Repair],
           after: Evaluation) -> tuple[list[Repair], Evaluation]:
    """The plan without each added repair in turn, least preferred first, while it still reaches
    the grade (one re-evaluation each, within the bound)."""
    kept = list(chosen)
    for item in sorted(chosen, key=lambda item: item.preference, reverse=True):
        trial = [other for other in kept if other is not item]
        repairs = must + [other.repair for other in sorted(trial, key=lambda other: other.index)]
        if not repairs:
            continue
        again = search.attempt(repairs)
        if search.bounded:
            search.bounded = False  # the plan in hand stands; only the pruning stopped
            break
        if again is not None and search.ev.standard.grade_index(again.grade) <= search.target_index:
            kept, plan, after = trial, repairs, again
    return plan, after


def _gains(items: Sequence[_Item], ev: Evaluation) -> list[_Item]:
    """The items with what each can add to ``ev``'s score: its shortfall, capped by the room left
    in its area and every area above it (several items of one area may still overstate it)."""
    out = []
    for item in items:
        gain = item.shortfall
        scoring = ev.standard.indicators[item.indicator].scoring if item.indicator in ev.standard.indicators else None
        area = scoring.area if scoring is not None else None
        while area is not None and area in ev.areas and gain > 0:
            result = ev.areas[area]
            gain = min(gain, max(Decimal(0), result.area.max - result.raw_points))
            area = result.area.parent
        out.append(attrs.evolve(item, gain=gain))
    return out


def _outside(item: _Item) -> bool:
    return _BY_ORDER.index(item.repair.by) > 0  # not the county's data: the panel, a fact, an indicator


def _reach(pool: Sequence[_Item], places: int, outside: int) -> Decimal:
    """The most ``places`` items of ``pool`` can add, at most ``outside`` of them outside the data."""
    inside = sorted((i.gain for i in pool if not _outside(i)), reverse=True)
    other = sorted((i.gain for i in pool if _outside(i)), reverse=True)
    return max(sum(inside[:places - j], Decimal(0)) + sum(other[:j], Decimal(0))
               for j in range(min(places, outside) + 1))


def _choose(items: Sequence[_Item], deficit: Decimal) -> list[_Item] | None:
    """The fewest items whose gains add up to ``deficit`` (None: all of them do not); among the
    sets of that size, those with the fewest items outside the data; among those, greedily the
    preferred: an item is taken, in order of preference, when the items after it can still cover
    the rest with the places left. O(n³) at worst, on sorted lists of gains."""
    useful = [item for item in items if item.gain > 0]
    size, total = 0, Decimal(0)
    for gain in sorted((item.gain for item in useful), reverse=True):
        if total >= deficit:
            break
        size, total = size + 1, total + gain
    if total < deficit:
        return None
    limit = next(m for m in range(size + 1) if _reach(useful, size, m) >= deficit)
    order = sorted(useful, key=lambda item: item.preference)
    chosen: list[_Item] = []
    got, used = Decimal(0), 0
    for position, item in enumerate(order):
        if got >= deficit or len(chosen) == size:
            break
        outside = used + _outside(item)
        if outside > limit:
            continue
        rest = deficit - got - item.gain
        places = size - len(chosen) - 1
        if rest > 0 and (places <= 0 or _reach(order[position + 1:], places, limit - outside) < rest):
            continue
        chosen.append(item)
        got, used = got + item.gain, outside
    return chosen


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
    """The repair a gap offers, or None when nothing the county controls closes it (an event,
    no computable fix, no lever)."""
    if gap.closable in ("event", "not_computed"):
        return None
    changes: list[Change] = []
    cost = Cost()
    for target in gap.targets:
        found = _target_changes(target, evaluation, cost)
        if found is None:
            return None
        changes.extend(found)
    merged = _merge(changes)
    if merged is None or not merged:
        return None
    kind = max(cost.by, key=_BY_ORDER.index) if cost.by else "data"
    return Repair(gap.id, kind, merged, cost.effort)  # type: ignore[arg-type]


class Cost:
    """What a repair asks: who makes its changes (data, panel …) and their relative sizes, summed."""

    def __init__(self) -> None:
        self.by: set[str] = set()
        self.effort = Fraction(0)

    def add(self, other: "Cost") -> None:
        self.by |= other.by
        self.effort += other.effort


def _relative(current: Any, required: Any) -> Fraction:
    """How big a change of a panel's points or an indicator is, relative to its current value."""
    if not (is_number(current) and isinstance(required, Fraction)):
        return Fraction(1)
    now = Fraction(current)
    return effort(Fix("", "indicator", None, now, "==", required))


def _target_changes(target: Target, ev: Evaluation, cost: Cost) -> list[Change] | None:
    if target.closable == "panel" or target.closable == "level":
        if target.field is None:
            return None
        cost.by.add(target.closable)
        cost.effort += _relative(target.value, target.required)
        value = Decimal(target.required.numerator) / target.required.denominator if isinstance(target.required, Fraction) else target.required
        return [Change("data", target.field, None, value)]
    if target.closable == "fact":
        if target.field is None:
            return None
        cost.by.add("fact")
        cost.effort += 1
        return [_field_change(ev, target.indicator, target.unit, target.field, target.required, "==")]
    for fix in target.fixes:  # levers only, the smallest relative change first
        found = _fix_changes(fix, ev, target.indicator, cost)
        if found is not None:
            return found
    if target.parts or target.floor:
        changes: list[Change] = []
        lifted: set[tuple[str, str | None]] = set()
        for part in target.parts:  # the parts asking least first: any ``needed`` of them (None: all)
            if target.needed is not None and len(lifted) >= target.needed:
                break
            part_cost = Cost()
            found = _target_changes(part, ev, part_cost)
            if found is None:
                if target.needed is None:
                    return None
                continue
            changes.extend(found)
            cost.add(part_cost)
            lifted.add((part.indicator, part.unit))
        if target.needed is not None and len(lifted) < target.needed:
            return None
        for part in target.floor:
            if (part.indicator, part.unit) in lifted:
                continue
            found = _target_changes(part, ev, cost)
            if found is None:
                return None
            changes.extend(found)
        return changes
    if "contributors" in target.detail and isinstance(target.required, Fraction):
        cost.by.add("indicator")  # a difference coefficient: set to its required value as a whole
        cost.effort += _relative(target.value, target.required)
        return [Change("indicator", target.indicator, target.unit,
                       _value(target.required, target.relation, digits=OVERRIDE_DIGITS), target.relation)]
    return None


def _fix_changes(fix: Fix, ev: Evaluation, indicator: str, cost: Cost) -> list[Change] | None:
    if not fix.reachable or not fix.is_lever:
        return None
    if fix.kind == "indicator":
        for inner in fix.then:
            found = _fix_changes(inner, ev, fix.name, cost)
            if found is not None:
                return found
        cost.by.add("indicator")
        cost.effort += effort(fix)
        return [Change("indicator", fix.name, fix.unit, _value(fix.required, fix.relation, digits=OVERRIDE_DIGITS),
                       fix.relation)]
    cost.by.add("data")
    cost.effort += effort(fix)
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
