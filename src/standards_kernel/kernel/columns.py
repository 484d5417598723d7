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
import operator
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast

from . import model as m
from ..errors import KernelError
from .compare import COMPARISONS
from .expressions import Node
from .numbers import KERNEL_CONTEXT, round_to
from .readings import UnitReadings, UnitView, Value

if TYPE_CHECKING:
    from .indicators import Indicators
    from .scope import Scope

__all__ = ["Columns", "Step", "compiled", "k_of_n_column", "per_unit_only", "unit_filter", "unit_values"]

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
    if node.value == "/":
        def divide(cols: Mapping[str, Column], n: int) -> Column:
            a, b = left(cols, n), right(cols, n)
            if not all(b):
                raise _NotPlain  # a zero divisor: the per-unit path names the unit
            return list(map(apply, a, b))
        return divide
    return lambda cols, n: list(map(apply, left(cols, n), right(cols, n)))


_NUMERIC_TYPES: Final = frozenset(_NUMERIC)


def _booleans(column: Column) -> bool:
    return set(map(type, column)) <= {bool}


def _numeric(column: Column) -> bool:
    """Every value a Decimal or an int (exact types: a bool is not a number here)."""
    return set(map(type, column)) <= _NUMERIC_TYPES


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
                try:
                    cols[name] = [v.fields[name] for v in views]
                except KeyError:
                    return None
        if ind.input is None and not all(_numeric(cols[name]) for name in step.names):
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
    return UnitReadings([v.id for v in views], values, mets, limit, names, [cols[name] for name in names], first_reads)


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
        view = views[0]
        lookup = indicators.scope.unit_lookup(view.fields, ind.level, view.id, view.place, first_reads)
        try:
            limit = indicators.scope.eval_expr(limit_expr, lookup, f"indicators.{ind.id}.check.limit", view.id)
        except KernelError:
            return None  # the per-unit path raises it
        indicators.limits[ind.id] = limit
    if type(limit) not in _NUMERIC or not _numeric(values):
        return None
    op = COMPARISONS[ind.check.op]
    return [op(v, limit) for v in values], limit


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
        if not _numeric(values) or not _numeric(limits):
            return None
        sources.append((name, values, limits, of.check.op in (">", ">=")))
    order = sorted(range(n), key=lambda j: spec.of[j])  # names in sorted order, as the per-unit path lists them
    count = len(views)
    met_columns: list[list[bool]] = []
    below_columns: list[list[bool] | None] = []
    with decimal.localcontext(KERNEL_CONTEXT) as context:
        for j in order:
            name, values, limits, higher = sources[j]
            met_columns.append(list(map(operator.ge if higher else operator.le, values, limits)))
            if floor is None:
                below_columns.append(None)
            elif higher:  # below the floor: value < floor·limit
                below_columns.append(list(map(operator.lt, values, map(context.multiply, [floor] * count, limits))))
            else:  # lower is better: value > limit / floor
                below_columns.append(list(map(operator.gt, values, map(context.divide, limits, [floor] * count))))
    names = [spec.of[j] for j in order]
    everything = f"met {n} of {n} (needs {k})"
    passes: list[bool] = []
    notes: list[str] = []
    for i, flags in enumerate(zip(*met_columns)):
        met = sum(flags)
        if met == n:
            passes.append(n >= k)
            notes.append(everything)
            continue
        missed = [name for name, flag in zip(names, flags) if not flag]
        below = [name for name, flag, column in zip(names, flags, below_columns) if not flag and column is not None and column[i]]
        passes.append(met >= k and not below)
        note = f"met {met} of {n} (needs {k}); missed: " + ", ".join(missed)
        if below:
            note += "; below the floor: " + ", ".join(below)
        notes.append(note)
    if n == 0:  # no checks at all: every unit meets 0 of 0
        passes, notes = [0 >= k] * count, [f"met 0 of 0 (needs {k})"] * count
    columns = [source[1] for source in sources]
    return UnitReadings([v.id for v in views], passes, passes, None, spec.of, columns, None, notes)


# -- filters of unit sets ---------------------------------------------------------------------------

Rows = list[int]
RowFn = Callable[[Callable[[str], Column], Rows], list[Any]]
_ORDERING: Final = frozenset(("<", "<=", ">", ">="))


def unit_filter(scope: Scope, unit_set: m.UnitSet, candidates: Sequence[Mapping[str, Value]]) -> list[bool] | None:
    """Which candidate units a unit set's ``where`` keeps, a column at a time, or None (per unit).

    Like the per-unit path, ``and``/``or`` look right only for the units the left side does not
    decide, and a parameter counts as read only when some unit reads it."""
    assert unit_set.where is not None
    run = _filter_cache(scope.std).get(unit_set.id, _MISSING)
    if run is _MISSING:
        run = _filter_cache(scope.std)[unit_set.id] = _rows(unit_set.where.tree)
    if run is None or not candidates or not _ENABLED.get():
        return None
    std = scope.std
    params: list[str] = []
    columns: dict[str, Column] = {}

    def get(name: str) -> Column:
        column = columns.get(name)
        if column is None:
            if name in std.parameters:  # nothing is computed yet while unit sets are built
                column = [scope.parameter(name)] * len(candidates)
                params.append(name)
            else:
                try:
                    column = [fields[name] for fields in candidates]
                except KeyError:
                    raise _NotPlain from None  # the per-unit path names the unit that lacks it
            columns[name] = column
        return column

    try:
        with decimal.localcontext(KERNEL_CONTEXT):
            keep = run(get, list(range(len(candidates))))
    except (_NotPlain, ArithmeticError, KernelError):
        return None
    if not _booleans(keep):
        return None
    scope.used_params.update(params)
    return keep


_FILTERS: dict[int, tuple[weakref.ref[m.Standard], dict[str, Any]]] = {}


def _filter_cache(standard: m.Standard) -> dict[str, Any]:
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
            if _numeric(a) and _numeric(b):
                return list(map(op, a, b))
            if ordering:
                raise _NotPlain
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
