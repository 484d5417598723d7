"""Unit indicators computed a column at a time: one pass per indicator over all units of a set.

The per-unit path of :mod:`.indicators` interprets a formula once per unit through a lookup that
records what it read. Here a standard is compiled once (cached per :class:`~.model.Standard`
object) into column steps: a formula made only of names, numbers and ``+ - * /`` becomes a chain
of ``map`` calls of the kernel context's own operations over whole columns, so every digit is the
one the per-unit path computes. k-of-n runs as one loop over the units with its thresholds
computed once.

Nothing here decides differently from the per-unit path: whenever a column is not plain (a
missing input, a text where a number belongs, a zero divisor, a decimal trap, a filter-dependent
limit, a formula with ``if``/``and``/``or`` or a function call), :func:`unit_values` returns None
and the per-unit path computes the indicator, raising exactly the error it always raised.
Reads are the formula's names (a plain formula reads every name it has, once per unit).
"""

from __future__ import annotations

import contextlib
import contextvars
import decimal
import itertools
import operator
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast, overload

from . import model as m
from ..errors import KernelError
from .compare import COMPARISONS
from .expressions import Node
from .numbers import KERNEL_CONTEXT, round_to
from .readings import UnitReadings, UnitView, Value

if TYPE_CHECKING:
    from .indicators import Indicators
    from .scope import Scope

__all__ = ["Columns", "Step", "compiled", "enabled", "k_of_n_column", "per_unit_only", "standard_memo", "unit_filter", "unit_values"]

_NUMERIC: Final = (Decimal, int)
_ARITHMETIC: Final[Mapping[str, Callable[[Any, Any], Decimal]]] = {
    "+": KERNEL_CONTEXT.add, "-": KERNEL_CONTEXT.subtract, "*": KERNEL_CONTEXT.multiply, "/": KERNEL_CONTEXT.divide,
}
_MISSING: Final = object()

Column = Sequence[Any]
ColumnFn = Callable[[Mapping[str, Column], int], Column]


class _NotPlain(Exception):
    """The column path does not apply to these units: the per-unit path computes them."""


class Step:
    """One unit indicator compiled: its column function (None: per unit only) and what it reads."""

    __slots__ = ("run", "names")

    def __init__(self, run: ColumnFn | None, names: tuple[str, ...]) -> None:
        self.run = run
        self.names = names  # what one unit reads, in the formula's order


class Columns:
    """A standard compiled into column steps, once per Standard object."""

    __slots__ = ("steps",)

    def __init__(self, steps: Mapping[str, Step]) -> None:
        self.steps = steps


#: False inside :func:`per_unit_only`: every unit indicator and filter takes the per-unit path.
_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar("standards_kernel_columns", default=True)


@contextlib.contextmanager
def per_unit_only() -> Iterator[None]:
    """Evaluate without the column path (the per-unit path alone): the oracle the tests hold the
    column path to, and a way to rule it out when a result is in doubt."""
    token = _ENABLED.set(False)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def enabled() -> bool:
    """False inside :func:`per_unit_only` (unit views are then built a unit at a time as well)."""
    return _ENABLED.get()


_CACHE: dict[int, tuple[weakref.ref[m.Standard], Columns]] = {}
_LOCK = threading.Lock()


def compiled(standard: m.Standard) -> Columns:
    """The column steps of ``standard``, compiled on first use and kept while the object lives."""
    key = id(standard)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is standard:
        return hit[1]
    steps: dict[str, Step] = {}
    for iid, ind in standard.indicators.items():
        if ind.level == "county":
            continue
        if ind.formula is not None:
            names: list[str] = []
            run = _compile(ind.formula.tree, names)
            steps[iid] = Step(run, tuple(names))
        elif ind.input is not None:
            steps[iid] = Step(_column_of(ind.input), (ind.input,))
    columns = Columns(steps)
    with _LOCK:
        _CACHE[key] = (weakref.ref(standard, _forget(_CACHE, key)), columns)
    return columns


def _column_of(name: str) -> ColumnFn:
    return lambda cols, n: cols[name]


def _forget(cache: dict[int, Any], key: int) -> Callable[[object], None]:
    """The weak reference's callback: the standard is gone, and so is its entry."""
    return lambda _: cache.pop(key, None) and None


def _compile(node: Node, names: list[str]) -> ColumnFn | None:
    """Column function of a plain tree (names, numbers, + - * /, unary signs), else None."""
    if node.kind == "literal":
        value = node.value
        if type(value) not in _NUMERIC:
            return None
        return lambda cols, n: [value] * n
    if node.kind == "name":
        name = str(node.value)
        if name not in names:
            names.append(name)
        return lambda cols, n: cols[name]
    if node.kind != "op":
        return None
    parts = [_compile(arg, names) for arg in node.args]
    if any(p is None for p in parts):
        return None
    if node.value in ("neg", "pos"):
        (operand,) = parts
        assert operand is not None
        sign = KERNEL_CONTEXT.minus if node.value == "neg" else KERNEL_CONTEXT.plus
        return lambda cols, n: list(map(sign, operand(cols, n)))
    if node.value not in _ARITHMETIC:
        return None
    left, right = parts
    assert left is not None and right is not None
    apply = _ARITHMETIC[str(node.value)]
    # A zero divisor traps (DivisionByZero, or InvalidOperation for 0/0): unit_values then leaves
    # the indicator to the per-unit path, which names the unit.
    return lambda cols, n: list(map(apply, left(cols, n), right(cols, n)))


_NUMERIC_TYPES: Final = frozenset(_NUMERIC)


def _booleans(column: Column) -> bool:
    return set(map(type, column)) <= {bool}


def _known_numeric(indicators: Indicators, column: Column) -> bool:
    """:func:`_numeric`, once per column object in an evaluation (a unit set's enrolment is read
    by every indicator of the set); the entry holds the column, so its id stays its own."""
    known = indicators.numeric.get(id(column))
    if known is None or known[0] is not column:
        known = indicators.numeric[id(column)] = (column, _numeric(column))
    return known[1]


def _ids(indicators: Indicators, views: tuple[UnitView, ...]) -> tuple[str, ...]:
    """The unit ids of ``views``, once per unit set in an evaluation."""
    known = indicators.view_ids.get(id(views))
    if known is None or known[0] is not views:
        known = indicators.view_ids[id(views)] = (views, tuple(v.id for v in views))
    return known[1]


def _numeric(column: Column) -> bool:
    """Every value a Decimal or an int (exact types: a bool is not a number here)."""
    return set(map(type, column)) <= _NUMERIC_TYPES


def _fields(views: Sequence[UnitView], name: str) -> Column | None:
    try:
        return [v.fields[name] for v in views]
    except KeyError:
        return None


def unit_values(indicators: Indicators, ind: m.Indicator, views: tuple[UnitView, ...]) -> UnitReadings | None:
    """The readings of a formula or input indicator over ``views``, or None (per-unit path)."""
    step = compiled(indicators.std).steps.get(ind.id)
    if step is None or step.run is None or not views or not _ENABLED.get():
        return None
    scope = indicators.scope
    n = len(views)
    cols: dict[str, Column] = {}
    params: list[str] = []
    std = indicators.std
    try:
        for name in step.names:
            if name in std.indicators and std.indicators[name].level == ind.level:
                computed = indicators.columns.get(name)
                if computed is None:
                    return None
                cols[name] = computed[0]
            elif name in std.parameters:
                cols[name] = [scope.parameter(name)] * n
                params.append(name)
            else:
                column = scope.view_column(ind.level, name) if views is scope.views.get(ind.level) else _fields(views, name)
                if column is None:
                    return None
                cols[name] = column
        if ind.input is None and not all(_known_numeric(indicators, cols[name]) for name in step.names):
            return None
        with decimal.localcontext(KERNEL_CONTEXT):
            values = list(step.run(cols, n))
    except (_NotPlain, ArithmeticError, KernelError):  # decimal traps are ArithmeticErrors
        return None  # the per-unit path computes these units, and raises what it raises in order
    if ind.round is not None:
        places, mode = ind.round.places, ind.round.mode
        values = [round_to(Decimal(v), places, mode) if type(v) in _NUMERIC else v for v in values]
    first_reads: dict[str, Value] = {}
    checked = _checked(indicators, ind, values, views, first_reads)
    if checked is None:
        return None
    mets, limit = checked
    scope.used_params.update(params)
    names = step.names
    return UnitReadings(_ids(indicators, views), values, mets, limit, names, [cols[name] for name in names], first_reads)


def _checked(
    indicators: Indicators, ind: m.Indicator, values: list[Any], views: tuple[UnitView, ...], first_reads: dict[str, Value]
) -> tuple[list[bool | None], Value | None] | None:
    """Every unit's check against a limit of parameters only (the per-unit path's cache), or None.

    The per-unit path evaluates such a limit once, through the first unit's lookup, so the first
    unit's reads also hold the limit's parameters: ``first_reads`` receives them likewise."""
    if ind.check is None:
        return [v if type(v) is bool else None for v in values], None
    limit_expr = ind.check.limit
    if not all(name in indicators.std.parameters for name in limit_expr.names):
        return None
    limit = indicators.limits.get(ind.id, _MISSING)
    if limit is _MISSING:
        scope, tree = indicators.scope, limit_expr.tree
        try:
            if tree.kind == "name" and tree.value not in indicators.std.indicators:
                # one parameter: what the first unit's lookup gives and records, without the lookup
                name = str(tree.value)
                limit = first_reads[name] = scope.parameter(name)
                scope.used_params.add(name)
            else:
                view = views[0]
                lookup = scope.unit_lookup(view.fields, ind.level, view.id, view.place, first_reads)
                limit = scope.eval_expr(limit_expr, lookup, f"indicators.{ind.id}.check.limit", view.id)
        except KernelError:
            return None  # the per-unit path raises it
        indicators.limits[ind.id] = limit
    if type(limit) not in _NUMERIC or not _numeric(values):
        return None
    op = COMPARISONS[ind.check.op]
    return list(map(op, values, itertools.repeat(limit, len(values)))), limit


def k_of_n_column(indicators: Indicators, ind: m.Indicator, views: tuple[UnitView, ...]) -> UnitReadings | None:
    """Every unit's k-of-n in one loop, or None when the per-unit path must decide (and raise)."""
    spec = ind.k_of_n
    assert spec is not None
    std = indicators.std
    n, k, floor = len(spec.of), spec.k, spec.floor
    if ind.check is not None or not views or not _ENABLED.get():
        return None
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= n or len(set(spec.of)) != n:
        return None
    if floor is not None and (type(floor) is not Decimal or not floor.is_finite() or not 0 < floor <= 1):
        return None
    sources = []
    for name in spec.of:
        column = indicators.columns.get(name)
        of = std.indicators[name]
        if column is None or of.check is None or of.level != ind.level:
            return None
        values, limits = column
        if not _known_numeric(indicators, values) or not _known_numeric(indicators, limits):
            return None
        # A check of >= or <= already holds k-of-n's own comparison of every unit: its met column.
        units = indicators.results[name].units
        mets = units.met_column if isinstance(units, UnitReadings) and of.check.op in (">=", "<=") else None
        sources.append((name, values, limits, of.check.op in (">", ">="), mets))
    order = sorted(range(n), key=lambda j: spec.of[j])  # names in sorted order, as the per-unit path lists them
    count = len(views)
    met_columns: list[list[bool]] = []
    below_sets: list[set[int] | None] = []  # per check, the units that miss it and are below the floor
    with decimal.localcontext(KERNEL_CONTEXT) as context:
        for j in order:
            name, values, limits, higher, mets = sources[j]
            met = cast("list[bool]", list(mets)) if mets is not None else list(map(operator.ge if higher else operator.le, values, limits))
            met_columns.append(met)
            if floor is None:
                below_sets.append(None)
            elif False not in met:
                below_sets.append(set())
            else:  # only a missed check is held to the floor (no bound here can trap: 0 < floor ≤ 1)
                missed = [i for i, flag in enumerate(met) if not flag]
                if higher:  # below the floor: value < floor·limit
                    below_sets.append({i for i in missed if values[i] < context.multiply(floor, limits[i])})
                else:  # lower is better: value > limit / floor
                    below_sets.append({i for i in missed if values[i] > context.divide(limits[i], floor)})
    names = [spec.of[j] for j in order]
    passes: list[bool]
    notes: Sequence[str]
    if n == 0:  # no checks at all: every unit meets 0 of 0
        passes, notes = [0 >= k] * count, [f"met 0 of 0 (needs {k})"] * count
    else:
        below_any = set().union(*[b for b in below_sets if b])
        passes = [met >= k and i not in below_any for i, met in enumerate(map(sum, zip(*met_columns)))]
        notes = _KOfNNotes(names, met_columns, below_sets, k, count)
    columns = [source[1] for source in sources]
    return UnitReadings(_ids(indicators, views), passes, passes, None, spec.of, columns, None, notes)


class _KOfNNotes(Sequence[str]):
    """Each unit's k-of-n note (met, missed, below the floor), written when first read."""

    __slots__ = ("_args", "_count", "_notes")

    def __init__(self, names: list[str], met_columns: list[list[bool]], below_sets: list[set[int] | None], k: int, count: int) -> None:
        self._args = (names, met_columns, below_sets, k)
        self._count = count
        self._notes: list[str] | None = None

    def _built(self) -> list[str]:
        if self._notes is None:
            names, met_columns, below_sets, k = self._args
            n = len(names)
            everything = f"met {n} of {n} (needs {k})"
            notes: list[str] = []
            for i, flags in enumerate(zip(*met_columns)):
                met = sum(flags)
                if met == n:
                    notes.append(everything)
                    continue
                missed = [name for name, flag in zip(names, flags) if not flag]
                below = [name for name, flag, found in zip(names, flags, below_sets) if not flag and found is not None and i in found]
                note = f"met {met} of {n} (needs {k}); missed: " + ", ".join(missed)
                if below:
                    note += "; below the floor: " + ", ".join(below)
                notes.append(note)
            self._notes = notes
        return self._notes

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...
    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        return self._built()[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return self._count


# -- filters of unit sets ---------------------------------------------------------------------------

Rows = list[int]
RowFn = Callable[[Callable[[str], Column], Rows], list[Any]]
_ORDERING: Final = frozenset(("<", "<=", ">", ">="))


def unit_filter(
    scope: Scope, unit_set: m.UnitSet, count: int, field: Callable[[str], Column | None]
) -> list[bool] | None:
    """Which of ``count`` candidate units a unit set's ``where`` keeps, a column at a time, or
    None (per unit). ``field(name)`` is the candidates' column of a field, None when one lacks it.

    Like the per-unit path, ``and``/``or`` look right only for the units the left side does not
    decide, and a parameter counts as read only when some unit reads it."""
    assert unit_set.where is not None
    run = scope.memo.get(unit_set.id, _MISSING)
    if run is _MISSING:
        run = scope.memo[unit_set.id] = _rows(unit_set.where.tree)
    if run is None or not count or not _ENABLED.get():
        return None
    std = scope.std
    params: list[str] = []
    columns: dict[str, Column] = {}

    def get(name: str) -> Column:
        column = columns.get(name)
        if column is None:
            if name in std.parameters:  # nothing is computed yet while unit sets are built
                column = [scope.parameter(name)] * count
                params.append(name)
            else:
                column = field(name)
                if column is None:
                    raise _NotPlain  # the per-unit path names the unit that lacks it
            columns[name] = column
        return column

    try:
        with decimal.localcontext(KERNEL_CONTEXT):
            keep = run(get, list(range(count)))
    except (_NotPlain, ArithmeticError, KernelError):
        return None
    if not _booleans(keep):
        return None
    scope.used_params.update(params)
    return keep


_FILTERS: dict[int, tuple[weakref.ref[m.Standard], dict[str, Any]]] = {}


def standard_memo(standard: m.Standard) -> dict[Any, Any]:
    """A dict kept while ``standard`` lives, for what is the same in every evaluation under it
    (the filters of its unit sets, by unit set id; others, by tuple keys)."""
    key = id(standard)
    hit = _FILTERS.get(key)
    if hit is None or hit[0]() is not standard:
        with _LOCK:
            hit = _FILTERS[key] = (weakref.ref(standard, _forget(_FILTERS, key)), {})
    return hit[1]


def _rows(node: Node) -> RowFn | None:
    """A row function of a filter's tree: names, literals, comparisons, and/or/not, arithmetic."""
    kind, value = node.kind, node.value
    if kind == "literal":
        return lambda get, rows: [value] * len(rows)
    if kind == "name":
        name = str(value)

        def read(get: Callable[[str], Column], rows: Rows) -> list[Any]:
            if not rows:
                return []
            column = get(name)
            if len(rows) == len(column):  # rows rise through the candidates: all of them
                return list(column)
            return [column[i] for i in rows]
        return read
    if kind != "op":
        return None
    parts = [_rows(arg) for arg in node.args]
    if any(p is None for p in parts):
        return None
    if value == "not":
        operand = cast(RowFn, parts[0])  # none is None (checked above)

        def negate(get: Callable[[str], Column], rows: Rows) -> list[Any]:
            xs = operand(get, rows)
            if not _booleans(xs):
                raise _NotPlain
            return [not x for x in xs]
        return negate
    if value in ("neg", "pos"):
        operand = cast(RowFn, parts[0])
        sign = KERNEL_CONTEXT.minus if value == "neg" else KERNEL_CONTEXT.plus

        def signed(get: Callable[[str], Column], rows: Rows) -> list[Any]:
            xs = operand(get, rows)
            if not _numeric(xs):
                raise _NotPlain
            return list(map(sign, xs))
        return signed
    left, right = parts
    assert left is not None and right is not None
    if value in ("and", "or"):
        stop = value == "or"

        def logic(get: Callable[[str], Column], rows: Rows) -> list[Any]:
            a = left(get, rows)
            if not _booleans(a):
                raise _NotPlain
            need = [i for i, x in zip(rows, a) if x is not stop]
            b = iter(right(get, need))
            out = [x if x is stop else next(b) for x in a]
            if not _booleans(out):
                raise _NotPlain
            return out
        return logic
    if value in COMPARISONS:
        op, ordering = COMPARISONS[str(value)], value in _ORDERING

        def compare(get: Callable[[str], Column], rows: Rows) -> list[Any]:
            a, b = left(get, rows), right(get, rows)
            kinds = set(map(type, a)) | set(map(type, b))
            if kinds <= _NUMERIC_TYPES:
                return list(map(op, a, b))
            if ordering:
                raise _NotPlain
            if kinds == {str} or kinds == {bool}:  # texts with texts, booleans with booleans
                return list(map(op, a, b))
            for x, y in zip(a, b):
                if not (type(x) in _NUMERIC and type(y) in _NUMERIC) and not (type(x) is type(y) and type(x) in (str, bool)):
                    raise _NotPlain
            return list(map(op, a, b))
        return compare
    if value not in _ARITHMETIC:
        return None
    apply = _ARITHMETIC[str(value)]
    divide = value == "/"

    def arithmetic(get: Callable[[str], Column], rows: Rows) -> list[Any]:
        a, b = left(get, rows), right(get, rows)
        if not _numeric(a) or not _numeric(b) or (divide and not all(b)):
            raise _NotPlain
        return list(map(apply, a, b))
    return arithmetic
