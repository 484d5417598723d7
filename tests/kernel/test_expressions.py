"""Tests of the whitelisted formula language: parsing, exact evaluation, and refusals."""

from __future__ import annotations

import decimal
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standards_kernel.errors import EvaluationError, ExpressionError
from standards_kernel.kernel.expressions import (
    BUILTIN_FUNCTIONS,
    MAX_NESTING,
    Expression,
    Function,
    compile_expression,
)

WHERE = "indicators.d_class_ratio.formula"


def run(text: str, **values: object) -> object:
    return compile_expression(text, where=WHERE).evaluate(values.__getitem__)


def assert_kernel_value(value: object) -> None:
    assert type(value) in (Decimal, bool, str), f"{value!r} is a {type(value).__name__}"


# ------------------------------------------------------------------------ precedence, exactness

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 - 2 - 3", Decimal(-4)),
        ("12 / 4 / 3", Decimal(1)),
        ("2 + 3 * 4", Decimal(14)),
        ("(2 + 3) * 4", Decimal(20)),
        ("-2 * 3", Decimal(-6)),
        ("-3 - 2", Decimal(-5)),
        ("2 - -3", Decimal(5)),
        ("-(1 + 2) * +2", Decimal(-6)),
        ("2 * 3 - 4 / 2", Decimal(4)),
        ("1 + 2 < 4", True),
        ("2 * 3 >= 6", True),
    ],
)
def test_arithmetic_precedence_and_associativity(text: str, expected: object) -> None:
    result = run(text)
    assert result == expected
    assert_kernel_value(result)


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("not a and b", {"a": False, "b": False}, False),  # (not a) and b, not not (a and b)
        ("a or b and c", {"a": True, "b": False, "c": False}, True),  # a or (b and c)
        ("not x < 1", {"x": 0}, False),  # not (x < 1)
        ("not not a", {"a": True}, True),
        ("(x < 1) == (y < 1)", {"x": 0, "y": 5}, False),
    ],
)
def test_boolean_precedence(text: str, values: dict[str, object], expected: bool) -> None:
    assert run(text, **values) is expected


def test_decimal_literals_are_exact() -> None:
    result = run("0.1 + 0.2")
    assert result == Decimal("0.3") and str(result) == "0.3"
    assert_kernel_value(result)
    assert run("0.1 + 0.2 == 0.3") is True


def test_division_uses_the_28_digit_kernel_context_whatever_the_global_context() -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 5
        ctx.rounding = decimal.ROUND_DOWN
        assert run("1 / 3") == Decimal("0.3333333333333333333333333333")
        assert run("2 / 3") == Decimal("0.6666666666666666666666666667")
        assert run("books / students", books=45584, students=7) == Decimal("6512")


def test_int_values_from_lookup_give_decimal_arithmetic_results() -> None:
    result = run("books + 1", books=41)
    assert result == 42 and type(result) is Decimal
    assert run("students == 3.0", students=3) is True  # int and Decimal compare exactly


def test_string_and_boolean_literals() -> None:
    assert run("kind == 'teaching_point' and students < 50", kind="teaching_point", students=12) is True
    assert run('"小学"') == "小学"
    assert run("true != false") is True


# ---------------------------------------------------------------------- laziness, names, calls

def test_if_is_lazy_and_only_the_taken_branch_is_looked_up() -> None:
    asked: list[str] = []
    values = {"students": 0, "dilapidated_d_area_m2": Decimal(5), "building_area_m2": 0}

    def lookup(name: str) -> object:
        asked.append(name)
        return values[name]

    expr = compile_expression("if(students < 50, 0, dilapidated_d_area_m2 / building_area_m2)", where=WHERE)
    assert expr.evaluate(lookup) == 0
    assert asked == ["students"]
    assert run("if(s > 0, b / s, 0)", s=0, b=1) == 0


def test_and_or_short_circuit() -> None:
    assert run("students > 0 and books / students > 1", students=0, books=3) is False
    assert run("students == 0 or books / students > 1", students=0, books=3) is True


def test_names_and_functions_are_reported() -> None:
    expr = compile_expression("if(kind == 'x', min(students.primary, panel_scores.a1), abs(c)) + 1")
    assert expr.names == frozenset({"kind", "students.primary", "panel_scores.a1", "c"})
    assert expr.functions == frozenset({"if", "min", "abs"})
    assert compile_expression("true and 'students' == 'x'").names == frozenset()


def test_dotted_names_are_one_name() -> None:
    seen: list[str] = []

    def lookup(name: str) -> object:
        seen.append(name)
        return Decimal(2)

    assert compile_expression("students.primary * students.junior").evaluate(lookup) == 4
    assert seen == ["students.primary", "students.junior"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("min(3, 1.5, 2)", Decimal("1.5")),
        ("max(3, 1.5, 2)", Decimal(3)),
        ("abs(-2.5)", Decimal("2.5")),
        ("sqrt(2)", Decimal("1.414213562373095048801688724")),
        ("floor(-2.5)", Decimal(-3)),
        ("ceil(2.1)", Decimal(3)),
        ("round(2.345, 2, 'ROUND_HALF_UP')", Decimal("2.35")),
        ("round(2.345, 2, 'ROUND_HALF_EVEN')", Decimal("2.34")),
        ("clamp(5, 0, 3)", Decimal(3)),
        ("clamp(-1, 0, 3)", Decimal(0)),
    ],
)
def test_builtin_functions(text: str, expected: Decimal) -> None:
    result = run(text)
    assert result == expected and type(result) is Decimal


def test_builtin_table_is_the_documented_whitelist_and_read_only() -> None:
    assert set(BUILTIN_FUNCTIONS) == {"if", "min", "max", "abs", "sqrt", "floor", "ceil", "round", "clamp"}
    with pytest.raises(TypeError):
        BUILTIN_FUNCTIONS["open"] = BUILTIN_FUNCTIONS["min"]  # type: ignore[index]


def test_expression_is_immutable_and_compares_by_text() -> None:
    expr = compile_expression("a + 1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        expr.text = "b"  # type: ignore[misc]
    assert expr == compile_expression("a + 1", where="elsewhere")
    assert hash(expr) == hash(compile_expression("a + 1"))


# ------------------------------------------------------------------------- load-time refusals

@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os')", "dunder names are not allowed: '__import__'"),
        ("x.__class__", "dunder names are not allowed: '__class__'"),
        ("().__class__", "dunder names are not allowed"),
        ("a.__b", "dunder names are not allowed"),
        ("open('f')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("math.sqrt(2)", "called by bare name"),
        ("x[0]", "subscripts are not allowed"),
        ("min(x).y", "attribute access is not allowed"),
        ("(a) .b", "attribute access is not allowed"),
        ("(min)(1)", "only whitelisted functions can be called"),
        ("2(3)", "only whitelisted functions can be called"),
        ("lambda: 1", "unexpected character ':'"),
        ("import os", "unexpected token 'os'"),
        ("1 +", "unexpected end of formula"),
        ("(1", "unbalanced parentheses"),
        ("1)", "unbalanced parentheses"),
        ("min(1", "unbalanced parentheses"),
        ("()", "empty parentheses"),
        ("a < b < c", "comparisons cannot be chained"),
        ("a == b != c", "comparisons cannot be chained"),
        ("2 ** 3", "unexpected token '**'"),
        ("7 // 2", "unexpected token '//'"),
        ("7 % 2", "unexpected character '%'"),
        ("a; b", "unexpected character ';'"),
        ("a = 1", "unexpected token '='"),
        ("a @ b", "unexpected character '@'"),
        ("`a`", "unexpected character '`'"),
        ("a == not b", "'not' needs parentheses"),
        ("min()", "min() takes at least 1 argument"),
        ("abs(1, 2)", "abs() takes exactly 1 argument"),
        ("if(a, b)", "if() takes exactly 3 argument"),
        ("round(x, 2)", "round() needs a rounding mode"),
        ("round(x, 2, 'HALF_UP')", "round() mode must be a quoted rounding mode"),
        ("round(x, 2, mode)", "round() mode must be a quoted rounding mode"),
        ("if", "'if' is reserved"),
        ("1.", "malformed number"),
        ("1.2.3", "malformed number"),
        ("1e5", "malformed number"),
        (".5", "unexpected token '.'"),
        ("'abc", "unterminated string"),
        ("'a\\b'", "backslashes are not allowed"),
        ("x（1）", "unexpected character '（'"),
        ("True", "unknown name 'True'"),
    ],
)
def test_bad_formulas_are_refused_at_load_time(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, where=WHERE)
    message = str(caught.value)
    assert fragment in message
    assert WHERE in message and caught.value.path == WHERE
    assert "column" in message


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_formula(text: str) -> None:
    with pytest.raises(ExpressionError, match="empty formula"):
        compile_expression(text, where=WHERE)


def test_unknown_function_lists_the_allowed_names() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("open('f')", where=WHERE)
    assert "allowed: abs, ceil, clamp, floor, if, max, min, round, sqrt" in str(caught.value)


def test_error_names_the_column() -> None:
    with pytest.raises(ExpressionError, match="at column 7"):
        compile_expression("books % students")


@pytest.mark.parametrize(
    "text",
    [
        "(" * 1000 + "1" + ")" * 1000,
        "-" * 1000 + "1",
        "not " * 1000 + "true",
        "min(" * 1000 + "1" + ")" * 1000,
        "1" + " + 1" * 1000,
    ],
)
def test_deep_or_long_formulas_are_refused_cleanly(text: str) -> None:
    with pytest.raises(ExpressionError, match="too deeply nested|nested too deeply"):
        compile_expression(text, where=WHERE)


def test_formulas_within_the_limits_still_work() -> None:
    depth = MAX_NESTING - 2
    assert run("(" * depth + "1" + ")" * depth) == 1
    assert run("1" + " + 1" * 250) == 251  # a long chain compiles and evaluates without recursion trouble


# ---------------------------------------------------------------------- evaluation-time errors

@pytest.mark.parametrize(
    ("text", "values", "fragment"),
    [
        ("'a' + 1", {}, "cannot apply '+' to text and number"),
        ("true + 1", {}, "cannot apply '+' to boolean and number"),
        ("-flag", {"flag": True}, "cannot apply unary '-' to boolean"),
        ("1 / 0", {}, "division by zero in '1 / 0'"),
        ("books / students", {"books": 1, "students": 0}, "division by zero in 'books / students'"),
        ("'a' < 'b'", {}, "cannot compare text with text using '<'"),
        ("1 == 'a'", {}, "cannot compare number with text"),
        ("true == 1", {}, "cannot compare boolean with number"),
        ("x and true", {"x": 1}, "'and' needs booleans, got number"),
        ("x or true", {"x": 1}, "'or' needs booleans, got number"),
        ("false or x", {"x": 1}, "'or' needs booleans, got number"),
        ("not x", {"x": "yes"}, "'not' needs a boolean, got text"),
        ("if(x, 1, 2)", {"x": 1}, "condition of if() must be a boolean"),
        ("sqrt(-1)", {}, "sqrt(): square root of a negative number"),
        ("min(1, 'a')", {}, "min(): expected a number, got text"),
        ("clamp(1, 3, 0)", {}, "lower bound 3 is above upper bound 0"),
        ("round(x, 1.5, 'ROUND_UP')", {"x": 1}, "places must be a whole number"),
        ("x + 1", {"x": 0.5}, "cannot apply '+' to float and number"),  # floats never get in
    ],
)
def test_evaluation_errors(text: str, values: dict[str, object], fragment: str) -> None:
    expr = compile_expression(text, where=WHERE)
    with pytest.raises(EvaluationError) as caught:
        expr.evaluate(values.__getitem__)
    assert fragment in str(caught.value)
    assert caught.value.path == WHERE and repr(text) in str(caught.value)


def test_overflow_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match="arithmetic error"):
        run("x * x", x=Decimal("1e600000"))


# --------------------------------------------------------------------------- extra functions

def _double(x: object) -> Decimal:
    return Decimal(2) * Decimal(x)  # type: ignore[arg-type]


def test_extra_function_is_callable_and_reported() -> None:
    double = Function("double", _double, 1, 1, "twice x")
    expr = compile_expression("double(2) + min(1, 2)", functions={"double": double})
    assert expr.evaluate(lambda name: 0) == 5
    assert expr.functions == frozenset({"double", "min"})
    with pytest.raises(ExpressionError, match="double\\(\\) takes exactly 1 argument"):
        compile_expression("double(1, 2)", functions={"double": double})
    with pytest.raises(ExpressionError, match="unknown function 'double'"):
        compile_expression("double(2)")  # only where it was passed
    with pytest.raises(ExpressionError, match="allowed: abs, ceil, clamp, double"):
        compile_expression("triple(2)", functions={"double": double})


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("__import__", "dunder names are not allowed"),
        ("__x", "dunder names are not allowed"),
        ("min", "would shadow a built-in"),
        ("if", "would shadow a built-in"),
        ("and", "would shadow a built-in or reserved word"),
        ("a.b", "not a plain identifier"),
        ("", "not a plain identifier"),
    ],
)
def test_bad_extra_functions_are_refused(name: str, fragment: str) -> None:
    with pytest.raises(ExpressionError, match=fragment):
        compile_expression("1", where=WHERE, functions={name: Function(name, _double, 1, 1, "")})


def test_extra_function_must_match_its_key() -> None:
    with pytest.raises(ExpressionError, match="must be a Function with name 'double'"):
        compile_expression("1", functions={"double": Function("twice", _double, 1, 1, "")})


def test_errors_raised_inside_a_function_name_the_formula() -> None:
    def invert(x: object) -> Decimal:
        return Decimal(1) / Decimal(x)  # type: ignore[arg-type]  # raises decimal.DivisionByZero

    expr = compile_expression("invert(0)", where=WHERE, functions={"invert": Function("invert", invert, 1, 1, "")})
    with pytest.raises(EvaluationError, match=r"invert\(\): DivisionByZero in 'invert\(0\)'"):
        expr.evaluate(lambda name: 0)


# -------------------------------------------------------------------------------- properties

_PRECEDENCE = {"+": 1, "-": 1, "*": 2}

_leaves = st.one_of(
    st.integers(-50, 50).map(Decimal),
    st.integers(-99, 99).map(lambda i: Decimal(i).scaleb(-1)),  # one decimal place: 0.5, -9.9
).map(lambda d: ("lit", d))
_trees = st.recursive(
    _leaves, lambda sub: st.tuples(st.sampled_from(sorted(_PRECEDENCE)), sub, sub), max_leaves=8
)


def _show(tree: tuple, parent: int = 0, right: bool = False) -> str:
    """Print with as few parentheses as the grammar allows, so the parser's precedence is tested."""
    if tree[0] == "lit":
        return str(tree[1])
    op, left, rhs = tree
    prec = _PRECEDENCE[op]
    text = f"{_show(left, prec)} {op} {_show(rhs, prec, right=True)}"
    return f"({text})" if prec < parent or (right and prec == parent) else text


def _fraction(tree: tuple) -> Fraction:
    if tree[0] == "lit":
        return Fraction(tree[1])
    op, left, rhs = tree
    a, b = _fraction(left), _fraction(rhs)
    return a + b if op == "+" else a - b if op == "-" else a * b


@given(_trees)
def test_arithmetic_matches_an_independent_fraction_evaluation(tree: tuple) -> None:
    text = _show(tree)
    result = compile_expression(text).evaluate(lambda name: 0)
    assert type(result) is Decimal
    assert Fraction(result) == _fraction(tree), text


_PIECES = list("0123456789.()+-*/<>=!,' \"_[]ab") + [
    "and ", "or ", "not ", "true", "false", "if(", "min(", "round(", "sqrt(", "x.y", "__", "'ROUND_UP'",
]


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)))
def test_random_text_only_ever_raises_expression_error(text: str) -> None:
    try:
        expr = compile_expression(text, where=WHERE)
    except ExpressionError as error:
        assert error.path == WHERE
        return
    assert isinstance(expr, Expression)
    try:  # what compiles must evaluate to a kernel value or fail with an EvaluationError
        assert_kernel_value(expr.evaluate(lambda name: Decimal(2)))
    except EvaluationError:
        pass
