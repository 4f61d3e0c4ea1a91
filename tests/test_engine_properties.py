"""Property tests: random expression graphs, built twice (engine and sympy), must agree on the
value and on every partial derivative. Inputs are kept inside each op's domain by construction:
log and fractional powers only ever see u*u + 1 > 0, division divides by u*u + 1."""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd_like import Value
from micrograd_like.engine import OPS

NAMES = ("x", "y", "z")
SYMBOLS = {name: sympy.Symbol(name, real=True) for name in NAMES}  # real: quick assumptions
Pair = tuple[Value, sympy.Expr]  # the same subexpression in the engine and in sympy


# the registry's ops written by hand below, with their sympy counterparts; any other op of the
# registry (one added to the engine) is fed u*u + 1 and compared with sympy's own derivative of
# the value formula its @operation line gives (not with its local derivatives)
BY_HAND = {"+", "-", "*", "/", "**", "**n", "neg", "tanh", "sigmoid", "exp", "log", "sqrt"}
BY_HAND |= {"sin", "cos", "abs", "relu"}
OTHER_OPS = sorted(name for name, op in OPS.items() if op.method and name not in BY_HAND)
FUNCTIONS = {
    "sigmoid": sympy.Lambda(sympy.Symbol("t"), 1 / (1 + sympy.exp(-sympy.Symbol("t")))),
    "max": sympy.Max,
    "sign": sympy.sign,
    "step": sympy.Lambda(sympy.Symbol("t"), sympy.Heaviside(sympy.Symbol("t"), 0)),
}


def by_the_registry(op: str, args: list[Pair]) -> Pair:
    """An op of the registry not written by hand: its method on positive inputs, and its value
    formula read by sympy with those inputs put in for a and b."""
    positives = [positive(arg) for arg in args]
    method = OPS[op].method
    assert method is not None
    names = {"a": positives[0][1], "b": positives[-1][1]}
    expr = sympy.sympify(OPS[op].value, locals={**FUNCTIONS, **names})
    return method(*(value for value, _ in positives)), expr


def arity(op: str) -> int:
    return len(OPS[op].local or ())


def test_the_ops_written_by_hand_are_ops_of_the_registry() -> None:
    assert set(OPS) >= BY_HAND


def positive(pair: Pair) -> Pair:
    value, expr = pair
    return value * value + 1, expr * expr + 1


def combine(op: str, left: Pair, right: Pair) -> Pair:
    (a, sa), (b, sb) = left, right
    if op == "+":
        return a + b, sa + sb
    if op == "-":
        return a - b, sa - sb
    if op == "*":
        return a * b, sa * sb
    if op == "/":
        (pb, spb) = positive(right)
        return a / pb, sa / spb
    (pa, spa) = positive(left)  # "**": a positive base to a Value exponent, kept small
    (tb, stb) = b.tanh(), sympy.tanh(sb)
    return pa**tb, spa**stb


def apply(op: str, arg: Pair) -> Pair:
    a, sa = arg
    if op == "neg":
        return -a, -sa
    if op == "tanh":
        return a.tanh(), sympy.tanh(sa)
    if op == "sigmoid":
        return a.sigmoid(), 1 / (1 + sympy.exp(-sa))
    if op == "exp":  # exp of a bounded argument cannot overflow
        return a.tanh().exp(), sympy.exp(sympy.tanh(sa))
    if op == "log":
        pa, spa = positive(arg)
        return pa.log(), sympy.log(spa)
    if op == "square":
        return a**2, sa**2
    if op == "sqrt":
        pa, spa = positive(arg)
        return pa**0.5, sympy.sqrt(spa)
    if op == "sin":
        return a.sin(), sympy.sin(sa)
    if op == "cos":
        return a.cos(), sympy.cos(sa)
    if op == "abs":
        assume(abs(a.data) > 1e-6)  # the kink again
        return abs(a), sympy.Abs(sa)
    if op == "root":
        pa, spa = positive(arg)
        return pa.sqrt(), sympy.sqrt(spa)
    if op == "relu":
        assume(abs(a.data) > 1e-6)  # the kink itself has no derivative to compare
        return a.relu(), sympy.Max(sa, 0)
    return 3.0 * a + 0.5, 3 * sa + sympy.Rational(1, 2)  # "affine": numbers mixed in


ONE_INPUT_OTHERS = [op for op in OTHER_OPS if arity(op) == 1]
TWO_INPUT_OTHERS = [op for op in OTHER_OPS if arity(op) == 2]


@st.composite
def expressions(draw: st.DrawFn, leaves: dict[str, Value], depth: int = 4) -> Pair:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            name = draw(st.sampled_from(NAMES))
            return leaves[name], SYMBOLS[name]
        c = draw(st.integers(-3, 3))
        return Value(c), sympy.Integer(c)
    if draw(st.booleans()):
        op = draw(st.sampled_from(["+", "-", "*", "/", "**", *TWO_INPUT_OTHERS]))
        left = draw(expressions(leaves, depth - 1))
        right = draw(expressions(leaves, depth - 1))
        if op in TWO_INPUT_OTHERS:
            return by_the_registry(op, [left, right])
        return combine(op, left, right)
    unary = ["neg", "tanh", "sigmoid", "exp", "log", "square", "sqrt", "relu", "affine"]
    unary += ["sin", "cos", "abs", "root", *ONE_INPUT_OTHERS]
    op, arg = draw(st.sampled_from(unary)), draw(expressions(leaves, depth - 1))
    return by_the_registry(op, [arg]) if op in ONE_INPUT_OTHERS else apply(op, arg)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[dict[str, Value], Pair, dict[sympy.Symbol, float]]:
    point = {name: draw(st.floats(-2.0, 2.0, allow_nan=False)) for name in NAMES}
    leaves = {name: Value(x, label=name) for name, x in point.items()}
    root = draw(expressions(leaves))
    return leaves, root, {SYMBOLS[name]: x for name, x in point.items()}


def at(expr: sympy.Expr, point: dict[sympy.Symbol, float]) -> float:
    """The exact expression evaluated numerically, compiled by sympy to plain `math` calls
    (substituting floats into a large tree can make sympy simplify for minutes)."""
    symbols = list(point)
    return float(sympy.lambdify(symbols, expr, modules="math")(*point.values()))


@settings(max_examples=150)
@given(graphs())
def test_random_expression_matches_sympy_value_and_gradient(
    case: tuple[dict[str, Value], Pair, dict[sympy.Symbol, float]],
) -> None:
    leaves, (root, expr), point = case
    exact = at(expr, point)
    assume(math.isfinite(exact) and abs(exact) < 1e6)
    root.backward()
    assert root.data == pytest.approx(exact, rel=1e-9, abs=1e-9)
    for name, leaf in leaves.items():
        symbol = SYMBOLS[name]
        expected = at(sympy.diff(expr, symbol), point) if expr.has(symbol) else 0.0
        assert leaf.grad == pytest.approx(expected, rel=1e-7, abs=1e-7), name


@settings(max_examples=100)
@given(graphs())
def test_backward_twice_gives_same_intermediate_grads(
    case: tuple[dict[str, Value], Pair, dict[sympy.Symbol, float]],
) -> None:
    _, (root, _), _ = case
    root.backward()
    first = [node.grad for node in root.topological_order() if node.inputs]
    root.backward()
    assert [node.grad for node in root.topological_order() if node.inputs] == first
