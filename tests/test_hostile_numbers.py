"""Hostile numbers: no op, no local derivative and no backward pass ever makes a NaN silently;
numbers too large for a float are errors naming the op and the number."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_like import Value
from micrograd_like.engine import OPS

NAN, INF = float("nan"), float("inf")

# every op of the one registry (a number power as x ** 2), so a new op is tested here too
ONE_INPUT_OPS: dict[str, Callable[[Value], Value]] = {
    name: (lambda v: v**2) if name == "**n" else op.method
    for name, op in OPS.items()
    if op.method is not None and len(op.local or ()) == 1
}
TWO_INPUT_OPS: list[Callable[[Value, Value], Value]] = [
    op.method for op in OPS.values() if op.method is not None and len(op.local or ()) == 2
]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Value(NAN), r"Value\(\): nan is not a number"),
        (lambda: Value(2.0) ** NAN, "nan is not a number"),
        (lambda: Value(2.0) + NAN, r"\+: nan is not a number"),
        (lambda: Value(INF) - Value(INF), r"-: \(inf - inf\) is not a number"),
        (lambda: Value(INF) * 0, r"\*: \(inf \* 0.0\) is not a number"),
        (lambda: Value(2.0) ** -INF, r"local derivative -inf \* 2.0 \*\* -inf is not a number"),
        (lambda: Value(INF).sin(), r"sin\(inf\)"),
        (lambda: Value(-INF).cos(), r"cos\(-inf\)"),
    ],
)
def test_an_op_that_would_make_a_nan_raises_naming_it(
    make: Callable[[], Value], words: str
) -> None:
    with pytest.raises((ValueError, ArithmeticError), match=words):
        make()


def test_one_input_ops_refuse_a_nan_put_in_by_hand() -> None:
    x = Value(1.0)
    x.data = NAN
    for name, op in ONE_INPUT_OPS.items():  # relu too: max(nan, 0) is no number either
        # a power first works out its local derivative, n * nan ** (n - 1): not a number
        with pytest.raises(ArithmeticError if name == "**n" else ValueError, match="nan"):
            op(x)


@pytest.mark.parametrize(
    ("make", "op"),
    [
        (lambda: Value(10**400), "Value()"),
        (lambda: Value(1.0) + 10**400, "+"),
        (lambda: 10**400 * Value(1.0), "*"),
        (lambda: Value(2.0) ** 10**400, "2.0 ** exponent"),
    ],
)
def test_an_int_too_large_for_a_float_names_the_op_and_the_size(
    make: Callable[[], Value], op: str
) -> None:
    with pytest.raises(OverflowError) as caught:
        make()
    message = str(caught.value)
    assert message.startswith(op)
    assert "about 1e400" in message
    assert "too large for a float" in message


def test_a_5000_digit_int_is_refused_without_printing_it() -> None:
    with pytest.raises(OverflowError, match="about 1e4999"):
        Value(10**4999)


@pytest.mark.parametrize(
    ("build", "node_words"),
    [
        (lambda x: x / x, "infinities of opposite signs"),  # 1e320 - 1e320 in x.grad
        (lambda x: x.log() * 0, r"inf \* 0.0 is not a number"),  # ∂log/∂x = 1/x = inf
    ],
)
def test_backward_that_would_write_a_nan_gradient_raises_naming_the_node(
    build: Callable[[Value], Value], node_words: str
) -> None:
    x = Value(1e-320, "x")
    out = build(x)
    with pytest.raises(ArithmeticError, match=node_words) as caught:
        out.backward()
    assert "label='x'" in str(caught.value)


def test_an_infinite_gradient_is_allowed_as_in_ieee() -> None:
    x = Value(1e-320)
    x.log().backward()
    assert x.grad == INF


EXTREMES = st.sampled_from([0.0, -0.0, 1e-320, -1e-320, 1e-300, 1e300, -1e300, 1.7e308, INF, -INF])
FINITE = st.floats(-1e3, 1e3, allow_nan=False)
UNARY: list[Callable[[Value], Value]] = [
    *ONE_INPUT_OPS.values(),
    lambda v: v**-1,
    lambda v: v**0.5,
    lambda v: v**1e308,
]
BINARY = TWO_INPUT_OPS


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(EXTREMES, FINITE), min_size=2, max_size=3),
    st.lists(st.tuples(st.booleans(), st.integers(0, 99), st.integers(0, 99)), max_size=12),
)
def test_random_graphs_with_extreme_inputs_never_hold_a_silent_nan(
    start: list[float], plan: list[tuple[bool, int, int]]
) -> None:
    nodes = [Value(x) for x in start]
    for unary, i, j in plan:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        try:
            made = UNARY[j % len(UNARY)](a) if unary else BINARY[j % len(BINARY)](a, b)
        except (ValueError, ArithmeticError, OverflowError):
            continue  # refused with an error: allowed
        nodes.append(made)
    root = nodes[-1]
    assert all(not math.isnan(node.data) for node in nodes)
    assert all(not math.isnan(g) for node in nodes for g in node.local_grads)
    try:
        root.backward()
    except ArithmeticError:
        return  # refused with an error: allowed
    assert all(not math.isnan(node.grad) for node in root.topological_order())


@pytest.mark.parametrize("step", ["forward", "SGD", "Adam"])
def test_a_weight_set_to_a_decimal_is_named_not_the_inputs(step: str) -> None:
    from decimal import Decimal

    from micrograd_like.nn import MLP
    from micrograd_like.optim import SGD, Adam

    model = MLP(2, [3, 1])
    weight = model.parameters()[4]
    weight.data, weight.grad = Decimal("0.5"), 1.0  # type: ignore[assignment]
    others = [p.data for p in model.parameters() if p is not weight]
    with pytest.raises(TypeError, match=r"L1\.N2\.w2 holds Decimal: Decimal\('0\.5'\).*float"):
        if step == "forward":
            model([1.0, 2.0])
        else:
            (SGD if step == "SGD" else Adam)(model.parameters(), lr=0.1).step()
    assert [p.data for p in model.parameters() if p is not weight] == others  # none moved
