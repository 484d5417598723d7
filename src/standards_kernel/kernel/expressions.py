"""The formula language of standard files: small, exact, and whitelisted.

Formulas such as ``books / students`` or ``if(students < 50, 0, d_area_m2 / building_area_m2)``
are written by policy teams, so they are parsed by the hand-written tokenizer and parser below
and never handed to Python's ``eval``, ``exec``, ``compile`` or ``ast``. Anything outside this
grammar is refused when the standard loads, with the place, the formula and the column.

Grammar, lowest precedence first::

    expression := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]   -- no chains: a < b and b < c
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | primary
    primary    := NUMBER | STRING | "true" | "false" | NAME | call | "(" expression ")"
    call       := IDENT "(" [expression ("," expression)*] ")"

* ``NUMBER`` is ``12`` or ``0.85`` (no exponent, no leading dot), read exactly as a ``Decimal``.
* ``STRING`` is text in single or double quotes, without backslashes.
* ``NAME`` is one or more ``[A-Za-z_][A-Za-z0-9_]*`` segments joined by ``.`` with no spaces
  (``students.primary`` is one name). Segments starting with ``__`` are refused. ``and``, ``or``,
  ``not``, ``true``, ``false`` and ``if`` are reserved.
* ``call`` uses a bare name from the whitelist: the built-ins ``if(cond, a, b)`` (lazy: only the
  chosen branch is evaluated), ``min(a, ...)``, ``max(a, ...)``, ``abs(x)``, ``sqrt(x)``,
  ``floor(x)``, ``ceil(x)``, ``round(x, places, 'ROUND_HALF_UP')`` (the mode is a required string
  literal, so rounding is always declared) and ``clamp(x, lo, hi)``, plus functions a plugin adds.
* Subscripts, attribute access, ``**``, ``%``, ``=``, ``;``, lambdas and everything else are errors.
  Sub-expressions (parentheses, call arguments, operands) may nest at most ``MAX_NESTING`` deep and
  the tree may be at most ``MAX_DEPTH`` operations deep (long chains included): recursion stays
  bounded, so hostile input gets an ``ExpressionError``, never a ``RecursionError``.

Evaluation: arithmetic takes numbers only (``Decimal`` or ``int``, never ``bool``) and runs in
``KERNEL_CONTEXT``, giving a ``Decimal``; division by zero is an ``EvaluationError`` naming the
formula. Numbers compare with numbers exactly; text and booleans compare only with their own kind
and only with ``==`` / ``!=``. ``and``, ``or``, ``not`` and the condition of ``if`` need booleans.
"""

from __future__ import annotations

import decimal
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final, cast

import attrs

from ..errors import EvaluationError, ExpressionError, KernelError
from .compare import COMPARISONS
from .numbers import KERNEL_CONTEXT, ROUNDING_MODES, Number, round_to
from .numbers import sqrt as _sqrt

MAX_NESTING: Final = 100  # sub-expressions inside each other, as the parser recurses
MAX_DEPTH: Final = 300  # depth of the tree; left-deep chains such as a + b + c count too

Lookup = Callable[[str], object]
_Evaluator = Callable[[Lookup], object]


@attrs.frozen
class Function:
    """A function formulas may call: ``call`` receives the evaluated arguments."""

    name: str
    call: Callable[..., object]
    min_args: int
    max_args: int | None
    doc: str = ""


@attrs.frozen
class Node:
    """One node of the parsed, immutable tree.

    ``kind`` is ``literal`` (value: Decimal, str or bool), ``name`` (value: the dotted name),
    ``op`` (value: the operator, ``neg``/``pos`` for unary minus/plus; args: one or two operands)
    or ``call`` (value: the function name; args: the arguments).
    """

    kind: str
    value: object
    args: tuple[Node, ...] = ()
    column: int = 0
    depth: int = attrs.field(init=False, eq=False, repr=False)

    @depth.default
    def _depth(self) -> int:
        return 1 + max((arg.depth for arg in self.args), default=0)


@attrs.frozen
class Expression:
    """A compiled formula. Equal when the text is equal; ``evaluate`` runs the compiled closures."""

    text: str
    names: frozenset[str]
    functions: frozenset[str]
    where: str = attrs.field(eq=False)
    tree: Node = attrs.field(eq=False, repr=False)
    _run: _Evaluator = attrs.field(eq=False, repr=False)

    def evaluate(self, lookup: Callable[[str], object]) -> object:
        """Evaluate with ``lookup(name)`` giving each name's value; returns Decimal, bool or str."""
        return self._run(lookup)


# ---------------------------------------------------------------------------------- tokenizer

@attrs.frozen
class _Token:
    kind: str  # number, string, name, bool, op, end
    text: str
    column: int


_DIGITS: Final = frozenset("0123456789")  # ASCII only: str.isdigit() also accepts '²' and '٣'
_IDENT_START: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_IDENT_CHARS: Final = _IDENT_START | _DIGITS
_KEYWORDS: Final = frozenset({"and", "or", "not"})
_RESERVED: Final = _KEYWORDS | {"true", "false", "if"}
_TWO_CHAR: Final = frozenset({"<=", ">=", "==", "!="})
_ONE_CHAR: Final = frozenset("<>+-*/(),[].")
_REFUSED: Final = {  # common slips, refused with a hint rather than a bare "unexpected"
    "**": "exponentiation is not supported",
    "//": "floor division is not supported; use floor(a / b)",
    "&&": "use 'and'",
    "||": "use 'or'",
    "=": "use '==' to compare",
    "!": "use 'not'",
}


def _shown(text: str) -> str:
    """The formula as quoted in messages, cut short when a fuzzer or a typo makes it huge."""
    return repr(text) if len(text) <= 120 else repr(text[:100]) + f"... ({len(text)} characters)"


def _tokenize(text: str, error: Callable[..., ExpressionError]) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch, col = text[i], i + 1
        if ch in " \t\r\n":
            i += 1
        elif ch in _DIGITS:
            j = i
            while j < n and text[j] in _DIGITS:
                j += 1
            if j < n and text[j] == "." and j + 1 < n and text[j + 1] in _DIGITS:
                j += 1
                while j < n and text[j] in _DIGITS:
                    j += 1
            if j < n and (text[j] in _IDENT_CHARS or text[j] == "."):
                bad = re.match(r"[\w.]*", text[i:]).group()  # type: ignore[union-attr]
                raise error(f"malformed number {bad!r}", col, "write numbers as 12 or 0.85")
            tokens.append(_Token("number", text[i:j], col))
            i = j
        elif ch in _IDENT_START:
            j = i
            while True:  # one segment, then more while a '.' is directly followed by a segment
                start = j
                while j < n and text[j] in _IDENT_CHARS:
                    j += 1
                if text.startswith("__", start):
                    raise error(f"dunder names are not allowed: {text[start:j]!r}", start + 1)
                if not (j + 1 < n and text[j] == "." and text[j + 1] in _IDENT_START):
                    break
                j += 1
            word = text[i:j]
            kind = "op" if word in _KEYWORDS else "bool" if word in ("true", "false") else "name"
            tokens.append(_Token(kind, word, col))
            i = j
        elif ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise error("unterminated string", col)
            if "\\" in text[i + 1:end]:
                raise error("backslashes are not allowed in strings", col)
            tokens.append(_Token("string", text[i + 1:end], col))
            i = end + 1
        elif text[i:i + 2] in _TWO_CHAR:
            tokens.append(_Token("op", text[i:i + 2], col))
            i += 2
        elif text[i:i + 2] in _REFUSED or ch in _REFUSED:
            bad = text[i:i + 2] if text[i:i + 2] in _REFUSED else ch
            raise error(f"unexpected token {bad!r}", col, _REFUSED[bad])
        elif ch in _ONE_CHAR:
            tokens.append(_Token("op", ch, col))
            i += 1
        else:
            ascii_form = unicodedata.normalize("NFKC", ch)  # full-width （ ） ， from Chinese input
            hint = f"did you mean {ascii_form!r}?" if ascii_form != ch and ascii_form.isascii() else None
            raise error(f"unexpected character {ch!r}", col, hint)
    tokens.append(_Token("end", "", n + 1))
    return tokens


# ------------------------------------------------------------------------------------- parser

_BINARY: Final = {"or": 1, "and": 2, "+": 5, "-": 5, "*": 6, "/": 6}
_BINARY.update(dict.fromkeys(_TWO_CHAR | {"<", ">"}, 4))
_NOT, _COMPARISON, _UNARY = 3, 4, 7


class _Parser:
    """Precedence climbing: one recursive call per nesting level keeps the Python stack shallow."""

    def __init__(self, text: str, where: str, functions: Mapping[str, Function]) -> None:
        self.text, self.where, self.functions = text, where, functions
        self.tokens = _tokenize(text, self.error)
        self.pos = 0
        self.nesting = 0
        self.names: set[str] = set()
        self.called: set[str] = set()

    def error(self, what: str, column: int, hint: str | None = None) -> ExpressionError:
        return ExpressionError(f"{what} in {_shown(self.text)} at column {column}", path=self.where, hint=hint)

    def at(self, text: str) -> bool:
        token = self.tokens[self.pos]
        return token.kind == "op" and token.text == text

    def unexpected(self, token: _Token) -> ExpressionError:
        if token.kind == "end":
            return self.error("unexpected end of formula", token.column)
        if token.kind == "op" and token.text == ")":
            return self.error("unbalanced parentheses: unexpected ')'", token.column)
        shown = repr(token.text) if token.kind != "string" else f"text {token.text!r}"
        return self.error(f"unexpected token {shown}", token.column)

    def node(self, kind: str, value: object, args: tuple[Node, ...], column: int) -> Node:
        made = Node(kind, value, args, column)
        if made.depth > MAX_DEPTH:
            raise self.error(f"formula is too long or too deeply nested (over {MAX_DEPTH} levels)",
                             column, "split it into named intermediate values")
        return made

    def parse(self) -> Node:
        if self.tokens[0].kind == "end":
            raise ExpressionError("empty formula", path=self.where)
        tree = self.expression(0)
        if self.tokens[self.pos].kind != "end":
            raise self.unexpected(self.tokens[self.pos])
        return tree

    def expression(self, min_prec: int) -> Node:
        self.nesting += 1
        token = self.tokens[self.pos]
        if self.nesting > MAX_NESTING:
            raise self.error(f"formula is nested too deeply (over {MAX_NESTING} levels)", token.column)
        left = self.prefix(min_prec)
        chained = False
        while True:
            token = self.tokens[self.pos]
            prec = _BINARY.get(token.text) if token.kind == "op" else None
            if prec is None or prec < min_prec:
                break
            if prec == _COMPARISON and chained:
                raise self.error("comparisons cannot be chained", token.column, "use 'and': a < b and b < c")
            self.pos += 1
            right = self.expression(prec + 1)  # +1: every binary operator is left-associative
            left = self.node("op", token.text, (left, right), token.column)
            chained = prec == _COMPARISON
        self.nesting -= 1
        return left

    def prefix(self, min_prec: int) -> Node:
        token = self.tokens[self.pos]
        if token.kind == "op" and token.text == "not":
            if min_prec > _NOT:  # as in Python, `a == not b` needs parentheses
                raise self.error("'not' needs parentheses here", token.column)
            self.pos += 1
            return self.node("op", "not", (self.expression(_NOT),), token.column)
        if token.kind == "op" and token.text in ("-", "+"):
            self.pos += 1
            return self.node("op", "neg" if token.text == "-" else "pos",
                             (self.expression(_UNARY),), token.column)
        result = self.primary()
        after = self.tokens[self.pos]
        if after.kind == "op" and after.text in ("[", ".", "("):  # postfix forms the grammar does not have
            what = {"[": "subscripts are not allowed", ".": "attribute access is not allowed",
                    "(": "only whitelisted functions can be called, by bare name"}[after.text]
            raise self.error(what, after.column)
        return result

    def primary(self) -> Node:
        token = self.tokens[self.pos]
        if token.kind == "number":
            self.pos += 1
            return self.node("literal", Decimal(token.text), (), token.column)
        if token.kind == "string":
            self.pos += 1
            return self.node("literal", token.text, (), token.column)
        if token.kind == "bool":
            self.pos += 1
            return self.node("literal", token.text == "true", (), token.column)
        if token.kind == "name":
            self.pos += 1
            if self.at("("):
                return self.call(token)
            if token.text in _RESERVED:
                raise self.error(f"{token.text!r} is reserved", token.column, "write if(condition, a, b)")
            if token.text in ("True", "False"):
                raise self.error(f"unknown name {token.text!r}", token.column, "write true or false")
            self.names.add(token.text)
            return self.node("name", token.text, (), token.column)
        if self.at("("):
            self.pos += 1
            if self.at(")"):
                raise self.error("empty parentheses", token.column)
            inner = self.expression(0)
            if not self.at(")"):
                if self.tokens[self.pos].kind == "end":
                    raise self.error("unbalanced parentheses: '(' is not closed", token.column)
                raise self.unexpected(self.tokens[self.pos])
            self.pos += 1
            return inner
        raise self.unexpected(token)

    def call(self, token: _Token) -> Node:
        name, column = token.text, token.column
        if "." in name:
            raise self.error(f"{name!r} is not a function; functions are called by bare name", column)
        function = self.functions.get(name)
        if function is None:
            raise self.error(f"unknown function {name!r}", column,
                             "allowed: " + ", ".join(sorted(self.functions)))
        self.pos += 1  # the '('
        args: list[Node] = []
        while not self.at(")"):
            args.append(self.expression(0))
            if self.at(","):
                self.pos += 1
            elif not self.at(")"):
                if self.tokens[self.pos].kind == "end":
                    raise self.error(f"unbalanced parentheses: '(' of {name}() is not closed", column)
                raise self.unexpected(self.tokens[self.pos])
        self.pos += 1
        low, high = function.min_args, function.max_args
        if name == "round" and len(args) == 2:
            raise self.error("round() needs a rounding mode", column, "e.g. round(x, 2, 'ROUND_HALF_UP')")
        if len(args) < low or (high is not None and len(args) > high):
            wanted = (f"exactly {low}" if low == high else f"at least {low}" if high is None
                      else f"{low} to {high}")
            raise self.error(f"{name}() takes {wanted} argument(s), got {len(args)}", column)
        if name == "round":  # rounding must be declared, so the mode is a literal checked now
            mode = args[2]
            if mode.kind != "literal" or mode.value not in ROUNDING_MODES:
                raise self.error("round() mode must be a quoted rounding mode", mode.column,
                                 "one of " + ", ".join(sorted(ROUNDING_MODES)))
        self.called.add(name)
        return self.node("call", name, tuple(args), column)


# ---------------------------------------------------------------------------------- built-ins

_NUMERIC: Final = (Decimal, int)  # tested with type(): bool is a subclass of int and is refused


def _kind(value: object) -> str:
    if type(value) in _NUMERIC:
        return "number"
    return {bool: "boolean", str: "text"}.get(type(value), type(value).__name__)


def _number(value: object) -> Decimal | int:
    if type(value) not in _NUMERIC:
        raise EvaluationError(f"expected a number, got {_kind(value)}")
    return value  # type: ignore[return-value]


def _if(condition: object, then: object, otherwise: object) -> object:
    if type(condition) is not bool:
        raise EvaluationError(f"the condition must be a boolean, got {_kind(condition)}")
    return then if condition else otherwise


def _clamp(value: object, low: object, high: object) -> Decimal:
    value, low, high = _number(value), _number(low), _number(high)
    if low > high:
        raise EvaluationError(f"lower bound {low} is above upper bound {high}")
    return Decimal(min(max(value, low), high))


def _round(value: object, places: object, mode: object) -> Decimal:
    places = Decimal(_number(places))
    if places != places.to_integral_value(context=KERNEL_CONTEXT):
        raise EvaluationError(f"places must be a whole number, got {places}")
    return round_to(Decimal(_number(value)), int(places), str(mode))


def _integral(rounding: str) -> Callable[[object], Decimal]:
    return lambda x: Decimal(_number(x)).to_integral_value(rounding=rounding, context=KERNEL_CONTEXT)


BUILTIN_FUNCTIONS: Final[Mapping[str, Function]] = MappingProxyType({f.name: f for f in (
    Function("if", _if, 3, 3, "if(cond, a, b): a when cond is true, else b; only that one is evaluated"),
    Function("min", lambda *xs: Decimal(min(map(_number, xs))), 1, None, "the smallest argument"),
    Function("max", lambda *xs: Decimal(max(map(_number, xs))), 1, None, "the largest argument"),
    Function("abs", lambda x: KERNEL_CONTEXT.abs(_number(x)), 1, 1, "absolute value"),
    Function("sqrt", lambda x: _sqrt(Decimal(_number(x))), 1, 1, "square root, 28 digits"),
    Function("floor", _integral(decimal.ROUND_FLOOR), 1, 1, "largest whole number <= x"),
    Function("ceil", _integral(decimal.ROUND_CEILING), 1, 1, "smallest whole number >= x"),
    Function("round", _round, 3, 3, "round(x, places, 'ROUND_HALF_UP'): round with a declared mode"),
    Function("clamp", _clamp, 3, 3, "clamp(x, lo, hi): x limited to [lo, hi]"),
)})

_FUNCTION_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def function_table(extra: Mapping[str, Function] | None, where: str) -> Mapping[str, Function]:
    """The built-in functions plus ``extra`` (a plugin's), each extra one checked: a plain,
    non-dunder name that shadows nothing, and a possible argument count; errors name ``where``."""
    if not extra:
        return BUILTIN_FUNCTIONS
    table = dict(BUILTIN_FUNCTIONS)
    for name, function in extra.items():
        problem = None
        if not isinstance(function, Function) or function.name != name:
            problem = f"extra function {name!r} must be a Function with name {name!r}"
        elif not _FUNCTION_NAME.fullmatch(name):
            problem = f"extra function name {name!r} is not a plain identifier"
        elif name.startswith("__"):
            problem = f"dunder names are not allowed: {name!r}"
        elif name in BUILTIN_FUNCTIONS or name in _RESERVED:
            problem = f"extra function {name!r} would shadow a built-in or reserved word"
        elif function.min_args < 0 or (function.max_args is not None and function.max_args < function.min_args):
            problem = f"extra function {name!r} has an impossible argument count"
        if problem:
            raise ExpressionError(problem, path=where)
        table[name] = function
    return table


# ----------------------------------------------------------------------------------- compiler

_ARITHMETIC: Final = {"+": KERNEL_CONTEXT.add, "-": KERNEL_CONTEXT.subtract,
                      "*": KERNEL_CONTEXT.multiply, "/": KERNEL_CONTEXT.divide}


def _compile(node: Node, text: str, where: str, functions: Mapping[str, Function]) -> _Evaluator:
    """Turn the tree into nested closures: checks that can be done now are not repeated per call."""

    def fail(what: str) -> EvaluationError:
        return EvaluationError(f"{what} in {_shown(text)} at column {node.column}", path=where)

    kind, value = node.kind, node.value
    if kind == "literal":
        return lambda lookup: value
    if kind == "name":
        return lambda lookup: lookup(value)  # type: ignore[arg-type]
    args = []
    for arg in node.args:  # a loop, not a comprehension: one stack frame per tree level
        args.append(_compile(arg, text, where, functions))
    if kind == "call" and value == "if":
        condition, then, otherwise = args

        def run_if(lookup: Lookup) -> object:
            chosen = condition(lookup)
            if chosen is True:
                return then(lookup)
            if chosen is False:
                return otherwise(lookup)
            raise fail(f"the condition of if() must be a boolean, got {_kind(chosen)}")
        return run_if
    if kind == "call":
        call = functions[value].call  # type: ignore[index]

        def run_call(lookup: Lookup) -> object:
            try:
                return call(*[arg(lookup) for arg in args])
            except (KernelError, ArithmeticError) as exc:  # includes NumberError and decimal traps
                message = exc.message if isinstance(exc, KernelError) else type(exc).__name__
                raise fail(f"{value}(): {message}") from exc
        return run_call
    if value in ("neg", "pos", "not"):
        (operand,) = args
        if value == "not":
            def run_not(lookup: Lookup) -> object:
                x = operand(lookup)
                if type(x) is bool:
                    return not x
                raise fail(f"'not' needs a boolean, got {_kind(x)}")
            return run_not
        sign = KERNEL_CONTEXT.minus if value == "neg" else KERNEL_CONTEXT.plus
        symbol = "-" if value == "neg" else "+"

        def run_sign(lookup: Lookup) -> object:
            x = operand(lookup)
            if type(x) in _NUMERIC:
                return sign(cast(Number, x))  # the type test above is exact (bool refused)
            raise fail(f"cannot apply unary '{symbol}' to {_kind(x)}")
        return run_sign
    left, right = args
    if value in ("and", "or"):
        stop = value == "or"  # the value that decides the result without looking right

        def run_logic(lookup: Lookup) -> object:
            a = left(lookup)
            if type(a) is not bool:
                raise fail(f"'{value}' needs booleans, got {_kind(a)}")
            if a is stop:
                return a
            b = right(lookup)
            if type(b) is not bool:
                raise fail(f"'{value}' needs booleans, got {_kind(b)}")
            return b
        return run_logic
    if value in COMPARISONS:
        compare, ordering = COMPARISONS[value], value not in ("==", "!=")  # type: ignore[index]

        def run_compare(lookup: Lookup) -> object:
            a, b = left(lookup), right(lookup)
            if type(a) in _NUMERIC and type(b) in _NUMERIC:
                return compare(a, b)
            if not ordering and type(a) is type(b) and type(a) in (str, bool):
                return compare(a, b)
            raise fail(f"cannot compare {_kind(a)} with {_kind(b)} using '{value}'")
        return run_compare
    apply = _ARITHMETIC[value]  # type: ignore[index]
    divide = value == "/"

    def run_arithmetic(lookup: Lookup) -> object:
        a, b = left(lookup), right(lookup)
        if type(a) not in _NUMERIC or type(b) not in _NUMERIC:
            raise fail(f"cannot apply '{value}' to {_kind(a)} and {_kind(b)}")
        if divide and not b:
            raise fail("division by zero")
        try:
            return apply(cast(Number, a), cast(Number, b))  # checked numeric above
        except decimal.DecimalException as exc:  # e.g. Overflow beyond the kernel's exponent range
            raise fail(f"arithmetic error in '{value}' ({type(exc).__name__})") from exc
    return run_arithmetic


def compile_expression(
    text: str, *, where: str = "formula", functions: Mapping[str, Function] | None = None
) -> Expression:
    """Parse and compile ``text``; ``where`` names the place in errors, ``functions`` adds to the built-ins.

    Raises :class:`ExpressionError` for anything outside the grammar or the function whitelist.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"a formula must be text, got {type(text).__name__}", path=where)
    table = function_table(functions, where)
    parser = _Parser(text, where, table)
    tree = parser.parse()
    run = _compile(tree, text, where, table)
    return Expression(text, frozenset(parser.names), frozenset(parser.called), where, tree, run)
