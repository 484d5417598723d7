"""The gaps as canonical JSON data: decimals as canonical text, fractions with their exact form.

A bound is written as a decimal rounded *toward the side that clears the gap*, plus the exact
fraction (``p/q``) when the decimal does not terminate; reports round only for display. Every
fix listed moves a lever its allowed way (``relation`` says which); a target's ``context`` lists
the inputs it reads that are held fixed, each with its value and ``reason`` (a key of
``vocabulary.lever_reasons``), and ``no_lever`` says why no lever closes it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Mapping, Sequence

from ...kernel.numbers import canonical, is_number
from .exact import number_text, toward
from .model import Fix, Gap, Held, Target


def gaps_to_data(gaps: Sequence[Gap]) -> list[dict[str, Any]]:
    """The gaps as plain JSON data: decimals as canonical text, fractions with their exact form."""
    return [_gap_data(g) for g in gaps]


def _gap_data(gap: Gap) -> dict[str, Any]:
    data: dict[str, Any] = {"id": gap.id, "kind": gap.kind, "indicator": gap.indicator, "closable": gap.closable,
                            "targets": [_target_data(t) for t in gap.targets]}
    if gap.kind != "points":
        data.update({"effect": gap.effect, "applied": gap.applied, "lowers_grade": gap.lowers_grade})
        if gap.grade:
            data["grade"] = gap.grade
    if gap.points is not None and gap.max is not None:
        data.update({"points": canonical(gap.points), "max": canonical(gap.max), "shortfall": canonical(gap.max - gap.points)})
    if gap.reason:
        data["reason"] = gap.reason
    return data


def _value(value: Any) -> Any:
    if isinstance(value, Fraction):
        return number_text(value)[0]
    if is_number(value):
        return canonical(value)
    return value


def _put(data: dict[str, Any], key: str, fr: Fraction, relation: str) -> None:
    text, exact = number_text(fr, toward(relation))
    data[key] = text
    if exact:
        data[f"{key}_exact"] = exact


def _target_data(t: Target) -> dict[str, Any]:
    data: dict[str, Any] = {"indicator": t.indicator, "value": _value(t.value), "relation": t.relation,
                            "closable": t.closable}
    if t.unit is not None:
        data["unit"] = t.unit
    if isinstance(t.required, Fraction):
        _put(data, "required", t.required, t.relation)
    elif t.required is not None:
        data["required"] = t.required
    if t.fixes:
        data["fixes"] = [_fix_data(f) for f in t.fixes]
    if t.parts:
        data["parts"] = [_target_data(p) for p in t.parts]
    if t.needed is not None:
        data["needed"] = t.needed
    if t.floor:
        data["floor"] = [_target_data(p) for p in t.floor]
    if t.note:
        data["note"] = t.note
    if t.counts:
        data["counts"] = list(t.counts)
    if t.field:
        data["field"] = t.field
    if t.detail:
        data["detail"] = _detail_data(t.detail, t.relation)
    if t.context:
        data["context"] = [_held_data(h) for h in t.context]
    if t.no_lever:
        data["no_lever"] = t.no_lever
    return data


def _held_data(h: Held) -> dict[str, Any]:
    data: dict[str, Any] = {"name": h.name, "value": _value(h.value), "reason": h.reason}
    if h.unit is not None:
        data["unit"] = h.unit
    if h.measure:
        data["measure"] = h.measure
    if h.would:
        data["would"] = h.would
    return data


def _fix_data(f: Fix) -> dict[str, Any]:
    data: dict[str, Any] = {"name": f.name, "kind": f.kind, "current": _value(f.current), "relation": f.relation}
    if f.unit is not None:
        data["unit"] = f.unit
    _put(data, "required", f.required, f.relation)
    if f.whole is not None:
        data["whole"] = str(f.whole)
    _put(data, "change", f.change, f.relation)
    if f.problem:
        data["problem"] = f.problem
    if f.share is not None:
        data["share"] = _value(f.share)
    if f.measure:
        data["measure"] = f.measure
    if f.detail:
        data["detail"] = _detail_data(f.detail, f.relation)
    if f.then:
        data["then"] = [_fix_data(x) for x in f.then]
    return data


def _detail_data(detail: Mapping[str, Any], relation: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in sorted(detail.items()):
        if key == "contributors":
            out[key] = [
                {k: (_fix_data(v) if isinstance(v, Fix) else _value(v)) for k, v in sorted(row.items())}
                for row in value
            ]
        elif key == "sd_required":
            _put(out, key, value, relation)
        else:
            out[key] = _value(value)
    return out
