"""Compare two batch results files county by county: two years, or two editions of a standard.

Counties are matched by their code (``result.county.code``, or the ``county`` of an error line);
an input so broken that it names no county is matched by its input label. For each county present
in both: the grade before and after (a move up or down when both results grade on the same
scale), the score, the vetoes newly triggered or cleared, the gates newly failed or passed.
Counties found in only one file, and inputs that failed in either, are listed too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Literal

import attrs

from ..errors import KernelError
from ..kernel.formats import exact_json
from .results import CountyInfo, info_from_line

Move = Literal["up", "down", "same", "changed"]


class CompareError(KernelError):
    """A results file that cannot be read."""


@attrs.frozen
class Change:
    key: str  # county code, or the input label of a failed input
    name: str
    before: CountyInfo | None
    after: CountyInfo | None
    move: Move | None  # None when either side failed or is missing
    new_vetoes: tuple[str, ...] = ()
    cleared_vetoes: tuple[str, ...] = ()
    new_gates: tuple[str, ...] = ()
    passed_gates: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        def side(info: CountyInfo | None) -> dict[str, Any] | None:
            if info is None:
                return None
            if not info.ok:
                return {"ok": False, "input": info.input, "error": info.error}
            return {"ok": True, "input": info.input, "standard": info.standard, "grade": info.grade,
                    "score": info.score, "vetoes": list(info.vetoes), "gates_failed": list(info.gates)}

        return {"county": self.key, "name": self.name, "before": side(self.before), "after": side(self.after),
                "move": self.move, "new_vetoes": list(self.new_vetoes), "cleared_vetoes": list(self.cleared_vetoes),
                "new_failed_gates": list(self.new_gates), "passed_gates": list(self.passed_gates)}


@attrs.frozen
class Comparison:
    a: str
    b: str
    changes: tuple[Change, ...]  # in the order of file A, then the counties only in B
    torn: tuple[str, ...] = ()  # files whose last line was cut (ignored)

    def count(self, move: str) -> int:
        return sum(1 for c in self.changes if c.move == move)

    @property
    def only_a(self) -> list[Change]:
        return [c for c in self.changes if c.after is None]

    @property
    def only_b(self) -> list[Change]:
        return [c for c in self.changes if c.before is None]


def read_results(path: str | Path) -> tuple[list[CountyInfo], bool]:
    """The county facts of every complete line; also whether a torn last line was ignored."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CompareError(f"cannot read the results: {error.strerror}", file=str(path)) from None
    end = data.rfind(b"\n") + 1
    infos = []
    for number, raw in enumerate(data[:end].splitlines(), 1):
        if not raw.strip():
            continue
        try:
            infos.append(info_from_line(exact_json(raw.decode("utf-8"))))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CompareError(f"not a results line ({type(exc).__name__}: {exc})", file=str(path), line=number,
                               hint="compare reads the NDJSON written by evaluate-batch") from None
    return infos, end < len(data)


def _key(info: CountyInfo) -> str:
    return info.code or info.input


def compare(path_a: str | Path, path_b: str | Path) -> Comparison:
    before, torn_a = read_results(path_a)
    after, torn_b = read_results(path_b)
    by_key_a = _unique(before, path_a)
    by_key_b = _unique(after, path_b)
    changes = [_change(key, info, by_key_b.get(key)) for key, info in by_key_a.items()]
    changes += [_change(key, None, info) for key, info in by_key_b.items() if key not in by_key_a]
    torn = tuple(str(p) for p, t in ((path_a, torn_a), (path_b, torn_b)) if t)
    return Comparison(str(path_a), str(path_b), tuple(changes), torn)


def _unique(infos: list[CountyInfo], path: str | Path) -> dict[str, CountyInfo]:
    found: dict[str, CountyInfo] = {}
    for info in infos:
        key = _key(info)
        if key in found:
            raise CompareError(f"county {key} appears twice", file=str(path),
                               hint="one line per county: evaluate-batch results of one batch")
        found[key] = info
    return found


def _change(key: str, a: CountyInfo | None, b: CountyInfo | None) -> Change:
    name = next((i.name for i in (b, a) if i is not None and i.name), "")
    if a is None or b is None or not a.ok or not b.ok:
        return Change(key, name, a, b, None)
    if a.grade == b.grade:
        move: Move = "same"
    elif a.grades == b.grades and a.grade in a.grades and b.grade in b.grades:
        move = "up" if a.grades.index(b.grade) < a.grades.index(a.grade) else "down"
    else:
        move = "changed"  # different grade scales (two standards): no up or down
    return Change(
        key, name, a, b, move,
        new_vetoes=tuple(sorted(set(b.vetoes) - set(a.vetoes))),
        cleared_vetoes=tuple(sorted(set(a.vetoes) - set(b.vetoes))),
        new_gates=tuple(sorted(set(b.gates) - set(a.gates))),
        passed_gates=tuple(sorted(set(a.gates) - set(b.gates))),
    )


def render_text(comparison: Comparison, *, show_all: bool = False) -> Iterator[str]:
    """The comparison as lines of text: the tallies, then each county that changed."""
    c = comparison
    both = [x for x in c.changes if x.move is not None]
    yield f"A: {c.a}"
    yield f"B: {c.b}"
    yield (f"{len(both)} counties in both: {c.count('up')} up, {c.count('down')} down, "
           f"{c.count('changed')} changed scale, {c.count('same')} same grade")
    new_vetoes = sum(1 for x in both if x.new_vetoes)
    new_gates = sum(1 for x in both if x.new_gates)
    yield f"new vetoes in {new_vetoes} counties, newly failed gates in {new_gates} counties"
    for path in c.torn:
        yield f"note: the last line of {path} is incomplete and was ignored"
    shown = [x for x in both if show_all or x.move != "same" or x.new_vetoes or x.cleared_vetoes
             or x.new_gates or x.passed_gates]
    if shown:
        yield ""
        yield "county changes:"
    for x in shown:
        assert x.before is not None and x.after is not None
        grade = x.after.grade if x.move == "same" else f"{x.before.grade} → {x.after.grade} ({x.move})"
        parts = [grade, f"score {x.before.score} → {x.after.score}"]
        for label, items in (("new vetoes", x.new_vetoes), ("vetoes cleared", x.cleared_vetoes),
                             ("newly failed gates", x.new_gates), ("gates now passed", x.passed_gates)):
            if items:
                parts.append(f"{label}: {', '.join(items)}")
        yield f"  {x.key} {x.name}".rstrip() + ": " + "; ".join(parts)
    failed = [x for x in c.changes if x.move is None and x.before is not None and x.after is not None]
    for title, group in (("only in A:", c.only_a), ("only in B:", c.only_b), ("failed in A or B:", failed)):
        if group:
            yield ""
            yield title
            for x in group:
                side = x.before if x.before is not None else x.after
                assert side is not None
                detail = side.grade if side.ok else "failed"
                if x.before is not None and x.after is not None:
                    detail = f"A {'ok' if x.before.ok else 'failed'}, B {'ok' if x.after.ok else 'failed'}"
                    errors = [i.error for i in (x.before, x.after) if not i.ok]
                    detail += ": " + " | ".join(errors)
                yield f"  {x.key} {x.name}".rstrip() + f": {detail}"
