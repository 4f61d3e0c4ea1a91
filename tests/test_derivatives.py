"""Gradients as graphs and forward mode (`micrograd_like.derivatives`) against independent
oracles: sympy's exact second and third derivatives of every built-in op, finite differences of
first derivatives on random graphs of every op, the classic perturbation-confusion case, and
`jvp` against finite differences and `grad`."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_like import Tape, Value, explain, no_grad
from micrograd_like.derivatives import evaluate, grad, hessian, hvp, jvp, local_derivatives
from micrograd_like.engine import OPS
from tests.registry_ops import registry_ops
from tests.test_engine import SYMBOLS, built_in_ops

EXPONENT = 3.0  # x ** n is tested as x ** 3
REAL = {name: sympy.Symbol(name, real=True) for name in ("a", "b", "n", "out")}
LOCALS = {**SYMBOLS, **REAL}  # real symbols: abs(a) and sign(a) differentiate as on the line


def op_function(kind: str) -> Callable[..., Value]:
    if kind == "**n":
        return lambda a: a**EXPONENT
    method = OPS[kind].method
    assert method is not None
    return method


def points(kind: str) -> list[tuple[float, ...]]:
    """Where the op and all its derivatives up to the third exist and are smooth."""
    arity = len(OPS[kind].local or ())
    firsts = [0.7, 1.5] if kind in ("log", "sqrt", "**") else [0.7, -1.7, 1.5]
    return [(a,) for a in firsts] if arity == 1 else [(a, b) for a in firsts for b in (-0.5, 1.5)]


def nested_grad(kind: str, point: tuple[float, ...], wrt: tuple[int, ...]) -> float:
    """d^k op / d x_{wrt[0]} ... d x_{wrt[k-1]} at `point`, by `grad` applied k times."""
    xs = [Value(v) for v in point]
    f = op_function(kind)(*xs)
    for k, i in enumerate(wrt):
        f = grad(f, xs[i], create_graph=k < len(wrt) - 1)
    return f.data


def sympy_derivative(kind: str, point: tuple[float, ...], wrt: tuple[int, ...]) -> float:
    a, b, n = REAL["a"], REAL["b"], REAL["n"]
    expression = sympy.sympify(OPS[kind].value, locals=LOCALS).subs(n, EXPONENT)
    for i in wrt:
        expression = sympy.diff(expression, (a, b)[i])
    values = dict(zip((a, b), point, strict=False))
    return float(expression.subs(values).doit())


@pytest.mark.parametrize("kind", built_in_ops())
def test_second_and_third_derivatives_of_every_op_are_sympys(kind: str) -> None:
    arity = len(OPS[kind].local or ())
    checked = 0
    for point in points(kind):
        for order in (1, 2, 3):
            for wrt in itertools.product(range(arity), repeat=order):
                expected = sympy_derivative(kind, point, wrt)
                found = nested_grad(kind, point, wrt)
                assert found == pytest.approx(expected, rel=1e-9, abs=1e-12), (point, wrt)
                checked += 1
    assert checked >= 6


def test_every_local_derivative_formula_made_nodes_gives_the_stored_numbers() -> None:
    # the one definition read twice: the op's own floats, and its formula computed on nodes
    for kind in built_in_ops():
        for point in points(kind):
            node = op_function(kind)(*(Value(v) for v in point))
            made = [
                each.data if isinstance(each, Value) else float(each)
                for each in local_derivatives(node)
            ]
            assert made == pytest.approx(list(node.local_grads), rel=1e-12, abs=1e-15), kind


def test_relu_abs_and_step_at_zero_follow_the_documented_choices() -> None:
    x = Value(0.0)
    for f in (Value.relu, Value.abs, Value.step):
        first = grad(f(x), x, create_graph=True)
        assert first.data == 0.0 and grad(first, x).data == 0.0
    assert grad(Value(2.0).step(), Value(2.0)).data == 0.0


# ---- random graphs of every op, against finite differences of the first derivatives

ONE_INPUT = registry_ops(1)
TWO_INPUTS = registry_ops(2)


def build(recipe: list[tuple[str, int, int]], x: Value, y: Value) -> Value:
    """A graph from a recipe: each step applies an op to earlier nodes (by index mod count)."""
    nodes = [x, y]
    for kind, i, j in recipe:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        step = TWO_INPUTS[kind](a, b) if kind in TWO_INPUTS else ONE_INPUT[kind](a)
        nodes.append(step.tanh() if abs(step.data) > 3 else step)  # moderate numbers
    # (relu, abs and step are left out: finite differences across their kink measure nothing)
    return nodes[-1]


RECIPES = st.lists(
    st.tuples(
        st.sampled_from(sorted((set(ONE_INPUT) | set(TWO_INPUTS)) - {"relu", "abs", "step"})),
        st.integers(0, 50),
        st.integers(0, 50),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(RECIPES, st.floats(-1.2, 1.2), st.floats(-1.2, 1.2))
def test_the_hessian_of_random_graphs_is_the_finite_difference_of_the_gradient(
    recipe: list[tuple[str, int, int]], x0: float, y0: float
) -> None:
    def gradient(x1: float, y1: float) -> list[float]:
        x, y = Value(x1), Value(y1)
        return [g.data for g in grad(build(recipe, x, y), [x, y])]

    x, y = Value(x0), Value(y0)
    found = hessian(build(recipe, x, y), [x, y])
    h = 1e-5
    for i in range(2):
        plus = gradient(x0 + h * (i == 0), y0 + h * (i == 1))
        minus = gradient(x0 - h * (i == 0), y0 - h * (i == 1))
        for j in range(2):
            expected = (plus[j] - minus[j]) / (2 * h)
            assert found[j][i] == pytest.approx(expected, rel=1e-4, abs=1e-5), (i, j)


@settings(max_examples=60, deadline=None)
@given(RECIPES, st.floats(-1.2, 1.2), st.floats(-1.2, 1.2), st.floats(-2, 2), st.floats(-2, 2))
def test_jvp_is_the_directional_derivative_of_grad_and_of_finite_differences(
    recipe: list[tuple[str, int, int]], x0: float, y0: float, u: float, v: float
) -> None:
    x, y = Value(x0), Value(y0)
    f = build(recipe, x, y)
    forward = jvp(f, [x, y], [u, v])
    dx, dy = grad(f, [x, y])
    assert forward == pytest.approx(dx.data * u + dy.data * v, rel=1e-9, abs=1e-12)
    h = 1e-6
    moved = build(recipe, Value(x0 + h * u), Value(y0 + h * v)).data
    back = build(recipe, Value(x0 - h * u), Value(y0 - h * v)).data
    assert forward == pytest.approx((moved - back) / (2 * h), rel=1e-4, abs=1e-6)


# ---- the classic cases and the guarantees


def test_no_perturbation_confusion() -> None:
    # d/dx [x * d/dy (x + y)] at y = 1 is 1: the inner derivative is 1, whatever x is
    x, y = Value(3.0, "x"), Value(1.0, "y")
    inner = grad(x + y, y, create_graph=True)
    assert grad(x * inner, x).data == 1.0


def test_grad_leaves_every_grad_and_value_as_it_was() -> None:
    x, y = Value(0.5, "x"), Value(-1.5, "y")
    f = (x * y).tanh() + x**2
    f.backward()
    before = [(node.data, node.grad) for node in f.topological_order()]
    grad(grad(f, x, create_graph=True), [x, y])
    assert [(node.data, node.grad) for node in f.topological_order()] == before


def test_inputs_the_output_does_not_depend_on_get_zero() -> None:
    x, unused = Value(2.0), Value(5.0)
    assert [g.data for g in grad(x * x, [x, unused], create_graph=True)] == [4.0, 0.0]


def test_newtons_method_takes_one_step_where_gradient_descent_takes_many() -> None:
    # seed 002: a = i * w, C = (a - y)^2 with i = 1.5, y = 0.5; the minimum is at w = y / i
    def cost(weight: Value) -> Value:
        return (weight * 1.5 - 0.5) ** 2

    weight = Value(0.8)
    first = grad(cost(weight), weight, create_graph=True)
    assert (first.data, grad(first, weight).data) == pytest.approx((2.1, 4.5))
    newton = 0.8 - first.data / grad(first, weight).data  # C is quadratic: one step is exact
    assert newton == pytest.approx(1 / 3, abs=1e-15)
    w, steps = 0.8, 0
    while abs(w - 1 / 3) > 1e-6:
        weight = Value(w)
        w -= 0.1 * grad(cost(weight), weight).data
        steps += 1
    assert steps == 22  # each shrinks the distance by 1 - 0.1 * 4.5 = 0.55: 0.47 * 0.55^22 < 1e-6


def test_hvp_is_the_hessian_times_the_vector() -> None:
    x, y = Value(0.3), Value(-0.8)
    f = (x * y).sin() + (x**2) * y.exp()
    matrix = hessian(f, [x, y])
    assert hvp(f, [x, y], [2.0, -1.0]) == pytest.approx(
        [2.0 * row[0] - 1.0 * row[1] for row in matrix], rel=1e-12
    )


def test_an_op_of_your_own_is_differentiated_again_through_its_formula() -> None:
    def cube(a: Value) -> Value:
        return Value.from_op("cube_d2", a.data**3, [a], [3 * a.data**2], ["3 * a**2"])

    x = Value(1.5)
    first = grad(cube(x), x, create_graph=True)
    assert (first.data, grad(first, x).data) == (3 * 1.5**2, 6 * 1.5)


def test_an_op_without_a_formula_says_why_it_cannot_be_differentiated_again() -> None:
    x = Value(1.5)
    node = Value.from_op("nameless_d2", math.sin(1.5), [x], [math.cos(1.5)])
    assert grad(node, x).data == math.cos(1.5)  # a first derivative needs only the number
    with pytest.raises(ValueError, match=r"nameless_d2.*without a formula.*formula="):
        grad(node, x, create_graph=True)


def test_a_gradients_graph_is_a_graph_like_any_other() -> None:
    x = Value(0.4, "x")
    first = grad((x * 3.0).relu() * x + x.tanh(), x, create_graph=True)
    first.label = "g"
    assert "dg/dx" in str(explain(first, x))
    tape = Tape(first)  # replayed at new data: relu's step is an op, so it is recomputed too
    x.data = -0.4
    tape.forward()
    fresh = Value(-0.4)
    expected = grad((fresh * 3.0).relu() * fresh + fresh.tanh(), fresh).data
    assert first.data == pytest.approx(expected, rel=1e-15)


def test_inside_no_grad_the_results_are_numbers() -> None:
    x = Value(2.0)
    cube = x**3
    with no_grad():
        first = grad(cube, x, create_graph=True)
    assert first.data == 12.0 and first.inputs == ()


def test_formulas_are_evaluated_without_eval() -> None:
    assert evaluate("2 * a + 1", {"a": 3.0}, {}) == 7.0
    for hostile in ("__import__('os')", "a.__class__", "[a]", "a if a else a", "open(a)"):
        with pytest.raises(ValueError, match=r"has no meaning here|not an expression"):
            evaluate(hostile, {"a": 1.0}, {})


def test_arguments_are_checked() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="grad: input 1 must be a Value, got float"):
        grad(x * x, [x, 2.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="jvp: 1 inputs but 2 tangents"):
        jvp(x * x, [x], [1.0, 2.0])
    with pytest.raises(ValueError, match="hvp: 1 inputs but 0 numbers"):
        hvp(x * x, [x], [])


def test_a_power_of_zero_has_derivative_zero_even_at_zero() -> None:
    x = Value(0.0)
    first = grad(x**1, x, create_graph=True)  # 1 * x**0: the constant 1, a graph through x**0
    assert (first.data, grad(first, x).data) == (1.0, 0.0)


def test_forward_steps_write_forward_mode_out_with_the_backward_passes_numbers() -> None:
    from micrograd_like.derivatives import forward_steps

    W, a_prev, b, y = Value(0.8, "W"), Value(1.5, "a_prev"), Value(0.1, "b"), Value(0.5, "y")
    z = W * a_prev + b
    z.label = "O"  # the seeds' O
    a = z.sigmoid()
    a.label = "a"
    C = (a - y) ** 2
    C.label = "C"
    steps = forward_steps(C, W)
    assert [step.node for step in steps] == C.topological_order()  # inputs first
    assert steps[-1].tangent == jvp(C, [W], [1.0]) == pytest.approx(grad(C, W).data, rel=1e-15)
    lines = [step.text() for step in steps]
    assert "dW/dW = 1.0 (the input itself)" in lines
    assert "dy/dW = 0.0 (it does not move with it)" in lines
    # the one-neuron example's factors, from the leaves up: 1.5, then σ'(O) = 0.1683, then 0.5717
    assert lines[-3] == "da/dW = ∂a/∂O × dO/dW = 0.1683 × 1.5 = 0.2524"
    assert lines[-1] == "dC/dW = ∂C/∂sub7 × dsub7/dW = 0.5717 × 0.2524 = 0.1443"
    assert [(node.data, node.grad) for node in C.topological_order()] == [
        (node.data, 0.0) for node in C.topological_order()
    ]  # nothing written into .grad
