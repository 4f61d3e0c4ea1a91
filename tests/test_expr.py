"""The expression parser: what it builds (checked against hand derivatives and finite
differences) and what it refuses, with the column and the offending text."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_like.expr import (
    FUNCTIONS,
    MAX_LENGTH,
    ExpressionError,
    parse_assignment,
    parse_assignments,
    parse_expression,
)


def test_the_readme_example_gives_value_and_partial_derivatives() -> None:
    out, leaves = parse_expression("2*x**2 + 3*x*y + y**3").evaluate({"x": 1.0, "y": 2.0})
    out.backward()
    x, y = 1.0, 2.0
    assert out.data == 2 * x**2 + 3 * x * y + y**3 == 16
    assert leaves["x"].grad == 4 * x + 3 * y == 10  # d/dx by hand
    assert leaves["y"].grad == 3 * x + 3 * y**2 == 15  # d/dy by hand


def test_every_function_and_operator_matches_finite_differences() -> None:
    text = "exp(x) * tanh(y) + log(x) / sigmoid(-y) - relu(x - y) ** 2 + 2 ** +x"

    def f(x: float, y: float) -> float:  # the same formula in plain Python
        sigmoid = 1 / (1 + math.exp(y))
        return math.exp(x) * math.tanh(y) + math.log(x) / sigmoid - max(x - y, 0) ** 2 + 2**x

    x, y, h = 1.7, 0.4, 1e-6
    out, leaves = parse_expression(text).evaluate({"x": x, "y": y})
    out.backward()
    assert out.data == pytest.approx(f(x, y), rel=1e-12)
    assert leaves["x"].grad == pytest.approx((f(x + h, y) - f(x - h, y)) / (2 * h), rel=1e-6)
    assert leaves["y"].grad == pytest.approx((f(x, y + h) - f(x, y - h)) / (2 * h), rel=1e-6)


def test_a_constant_exponent_is_part_of_the_op() -> None:
    out, leaves = parse_expression("x ** -2").evaluate({"x": -2.0})
    assert (out.op, out.inputs) == ("**-2", (leaves["x"],))
    assert out.data == 0.25


def test_a_number_alone_is_a_value() -> None:
    out, leaves = parse_expression("1 / 4").evaluate({})
    assert (out.data, leaves) == (0.25, {})


def test_names_are_listed_in_order_of_first_use() -> None:
    assert parse_expression("b * a + c * b").names == ("b", "a", "c")


def test_a_variable_used_twice_is_one_leaf() -> None:
    out, leaves = parse_expression("x * x").evaluate({"x": 3.0})
    assert out.inputs == (leaves["x"], leaves["x"])


REFUSED = {
    "__import__('os').system('touch X')": rf"only {re.escape(', '.join(FUNCTIONS))} can be called "
    r"\(column 1: .__import__",
    "x.real": r"not allowed: attribute access \(column 1: 'x.real'\)",
    "x + y[0]": r"not allowed: subscripts \(column 5: 'y\[0\]'\)",
    "(lambda: 1)()": r"only .*exp.* can be called \(column 1",
    "exp(lambda: 1)": r"not allowed: lambdas \(column 5: 'lambda: 1'\)",
    "sum(x for x in y)": r"only .*exp.* can be called",
    "exp([x for x in y])": r"not allowed: comprehensions \(column 5",
    "open('f')": r"only .*exp.* can be called \(column 1: \"open\('f'\)\"\)",
    "exp(x, y)": r"exp takes exactly one argument",
    "exp(x=1)": r"exp takes exactly one argument",
    "9**9**9": r"not allowed: a power tower, a power in an exponent \(column 4: '9\*\*9'\)",
    "x ** 101": r"constant exponent must be between -100 and 100 \(column 6: '101'\)",
    "x ** -1e9": r"constant exponent must be between -100 and 100",
    "'text' * 3": r"not allowed: strings \(column 1",
    "x if y else 1": r"not allowed: if/else",
    "x < y": r"not allowed: comparisons",
    "x // 2": r"not allowed: the operator // \(column 1: 'x // 2'\)",
    "x ^ 2": r"the operator \^ \(column 1: 'x \^ 2'\); for a power write \*\* \(x\*\*2\)",
    "tahn(x)": r"can be called \(column 1: 'tahn\(x\)'\); did you mean tanh\?",
    "2x": r"invalid decimal literal .*; for a product write 2\*x, not 2x",
    "x + 0.5y": r"; for a product write 0.5\*y, not 0.5y",
    "~x": r"not allowed: the operator ~",
    "True + x": r"not allowed: bool values \(column 1: 'True'\)",
    "1e999 * x": r"number is too large",
    "exp": r"exp is a function: call it",
    "x +": r"invalid syntax \(column",
    "(x := 1)": r"not allowed: assignments",
    "": r"the expression is empty",
    "x\ny": r"must be on one line",
    "x" * (MAX_LENGTH + 1): rf"{MAX_LENGTH + 1} characters long; the limit is {MAX_LENGTH}",
    "-(" * 150 + "x" + ")" * 150: r"nested more than 100 levels deep",
    "(" * 300 + "x" + ")" * 300: r"too many nested parentheses",
    "+".join(["(x+x+x+x+x+x+x+x)"] * 20): r"more than 300 numbers, names and operations",
}


@pytest.mark.parametrize("text", REFUSED)
def test_refused_expressions_say_why_and_where(text: str) -> None:
    with pytest.raises(ExpressionError, match=REFUSED[text]):
        parse_expression(text)


def test_the_column_counts_characters_not_bytes() -> None:
    with pytest.raises(ExpressionError, match=r"column 5: 'β.x'"):
        parse_expression("α + β.x")


def test_a_variable_without_a_value_is_named() -> None:
    with pytest.raises(ExpressionError, match="no value for y: give it as NAME=NUMBER"):
        parse_expression("x * y").evaluate({"x": 1.0})


def test_a_value_the_expression_does_not_use_is_named() -> None:
    with pytest.raises(ExpressionError, match="z is given but not used in 'x'"):
        parse_expression("x").evaluate({"x": 1.0, "z": 2.0})


def test_a_domain_error_comes_from_the_engine() -> None:
    with pytest.raises(ValueError, match=r"log\(-1.0\): input must be > 0"):
        parse_expression("log(x)").evaluate({"x": -1.0})


def test_assignments_parse_to_names_and_numbers() -> None:
    assert parse_assignment("x=1.5") == ("x", 1.5)
    assert parse_assignments(["b=-2", "a=1e-3"]) == {"b": -2.0, "a": 0.001}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x", "'x' is not NAME=NUMBER"),
        ("=1", "'=1' is not NAME=NUMBER"),
        ("2x=1", "'2x=1' is not NAME=NUMBER"),
        ("if=1", "'if=1' is not NAME=NUMBER"),
        ("x=one", "'one' is not a number"),
        ("x=", "'' is not a number"),
        ("x=nan", "must be a finite number"),
        ("x=inf", "must be a finite number"),
        ("exp=1", "exp is a function"),
    ],
)
def test_malformed_assignments_are_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_assignment(text)


def test_a_name_given_twice_is_refused() -> None:
    with pytest.raises(ExpressionError, match="x is given twice"):
        parse_assignments(["x=1", "x=2"])


def test_the_functions_are_the_engines_one_input_ops() -> None:
    from micrograd_like.engine import OPS, Value
    from micrograd_like.expr import FUNCTIONS

    assert {"exp", "log", "tanh", "sigmoid", "relu"} <= set(FUNCTIONS)
    for name, function in FUNCTIONS.items():
        assert len(OPS[name].local or ()) == 1 and function is getattr(Value, name)


def test_an_assignment_names_the_variable_python_reads_in_the_expression() -> None:
    # ast folds the full-width ｘ of an expression to x (NFKC); ｘ=1.5 must give x its value
    assert parse_expression("ｘ * 2").names == ("x",)
    assert parse_assignment("ｘ=1.5") == ("x", 1.5)
    assert parse_assignment("ℌ=2") == ("H", 2.0)
    out, leaves = parse_expression("ｘ * 2").evaluate(parse_assignments(["ｘ=1.5"]))
    assert (out.data, list(leaves)) == (3.0, ["x"])


def test_a_name_that_folds_to_a_keyword_or_a_function_is_refused_as_what_it_reads() -> None:
    with pytest.raises(ExpressionError, match=r"'ｉｆ=1' is not NAME=NUMBER"):
        parse_assignment("ｉｆ=1")
    with pytest.raises(ExpressionError, match=r"'ｅｘｐ=1': exp is a function"):
        parse_assignment("ｅｘｐ=1")
    with pytest.raises(ExpressionError, match=r"'ｉｆ' reads as 'if', a Python keyword"):
        parse_expression("ｉｆ + 1")


# ---- naming the parts: a = i*w; C = (a - y)**2


SEED_002 = {"i": 1.5, "w": 0.8, "y": 0.5}


def test_named_parts_label_their_nodes_and_the_output() -> None:
    expression = parse_expression("a = i*w; C = (a - y)**2")
    assert (expression.names, expression.output) == (("i", "w", "y"), "C")
    built = expression.build(SEED_002)
    built.out.backward()
    a, cost = built.parts["a"], built.out
    assert (a.label, a.op, a.inputs) == ("a", "*", (built.leaves["i"], built.leaves["w"]))
    assert (cost.label, list(built.parts)) == ("C", ["a", "C"])
    # seed 002 by hand: a = 1.5 * 0.8 = 1.2, dC/da = 2(a - y) = 1.4, dC/dw = 1.4 * i = 2.1
    assert a.data == pytest.approx(1.2) and cost.data == pytest.approx(0.49)
    assert a.grad == pytest.approx(1.4) and built.leaves["w"].grad == pytest.approx(2.1)


def test_an_unnamed_output_and_a_trailing_semicolon() -> None:
    out, leaves = parse_expression("u = x*y; exp(u) + u;").evaluate({"x": 1.0, "y": 2.0})
    assert out.label == "" and out.data == pytest.approx(math.exp(2.0) + 2.0)
    assert list(leaves) == ["x", "y"]


@settings(max_examples=50, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3))
def test_naming_the_parts_changes_no_number(x: float, y: float, z: float) -> None:
    # the same ops in the same order: data and grads equal bit for bit, only labels differ
    values = {"x": x, "y": y, "z": z}
    inline, inline_leaves = parse_expression("tanh(x*y - z)**2 + x").evaluate(values)
    built = parse_expression("u = x*y; v = tanh(u - z); C = v**2 + x").build(values)
    inline.backward()
    built.out.backward()
    assert built.out.data == inline.data
    assert [leaf.grad for leaf in built.leaves.values()] == [
        leaf.grad for leaf in inline_leaves.values()
    ]


PARTS_REFUSED = {
    "import os; x": r"not allowed: import \(column 1: 'import os'\); a part is NAME = EXPR",
    "x = __import__('os'); x": r"only .* can be called \(column 5",
    "a = b = x; a": r"not allowed: one part, several names",
    "a += 1": r"not allowed: augmented assignments",
    "x.y = 1": r"not allowed: attribute access before =",
    "a, b = x, y": r"not allowed: tuples before =",
    "x; y": r"only the last part may be a bare expression; name the others, NAME = EXPR",
    "a = 2*x; a = 3*x; a": r"a is named twice \(column 10: 'a = 3\*x'\)",
    "a = a*2": r"a is used before the part that names it",
    "y = a*2; a = x*2; y": r"a is used before the part that names it",
    "exp = x*2; exp": r"exp is a function and cannot name a part",
    "ｉｆ = x*2; ｉｆ": r"names a part 'if', a Python keyword",
    "a = i*w; b = 2*w; a**2": r"b is named but no later part uses it \(column 10: 'b = 2\*w'\)",
    "a = i*w; (A - y)**2": r"a is named but no .*; did you mean a where it says A\?",
    "for i in x: y": r"not allowed: for \(column 1",
    "def f(): pass": r"not allowed: def",
    "# a comment": r"the expression is empty",
}


@pytest.mark.parametrize("text", PARTS_REFUSED)
def test_parts_that_are_not_name_equals_expression_are_refused(text: str) -> None:
    with pytest.raises(ExpressionError, match=PARTS_REFUSED[text]):
        parse_expression(text)


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("a = i; a*2", {"i": 1.0}, r"a = i only gives i a second name; .* e.g. a = 2\*i"),
        ("C = x", {"x": 1.0}, r"C = x only gives x a second name"),
        ("a = -2; a*x", {"x": 1.0}, r"a = -2 is a number, .* after the expression, a=-2"),
        ("x = 1; x**2", {}, r"give a number as a value after the expression, x=1"),
        ("a = i*w; a**2", {"i": 1, "w": 1, "a": 3}, r"a is both named .* and given a value"),
    ],
)
def test_a_part_must_compute_something_of_its_own(
    text: str, values: dict[str, float], message: str
) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text).evaluate(values)


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("X**2", {"x": 1.0}, r"no value for X: did you mean x\? \(names are case-sensitive"),
        ("X*x", {"x": 1.0}, r"no value for X: did you mean x\?"),
        ("w1*x", {"w": 1.0, "x": 2.0}, r"no value for w1: did you mean w\? \(or give w1 a value"),
        ("a = i*w; a*A", {"i": 1.0, "w": 1.0}, r"no value for A: did you mean a\?"),
        ("x*y*Z", {"z": 1.0}, r"no value for x, y, Z: .* \(did you mean z for Z\?\)"),
    ],
)
def test_a_name_without_a_value_gets_a_did_you_mean(
    text: str, values: dict[str, float], message: str
) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text).evaluate(values)


def test_a_part_given_as_a_value_says_where_parts_go() -> None:
    with pytest.raises(
        ExpressionError, match=r"put it inside the expression, .*\"a = i\*w; \.\.\.\""
    ):
        parse_assignment("a = i*w")
