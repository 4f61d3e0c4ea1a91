"""demos/derivatives.py and its notebook against oracles worked out here: Newton's iterates from
the closed-form derivatives of both costs in plain floats, tanh's derivatives from the
polynomial recurrence they obey, seed 003's Hessian by hand, the seed's delta formulas for the
3-4-2 network's gradient, and the pass counts from the number of parameters."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import nbformat
import pytest

from demos import derivatives as demo
from demos import seed_342_network
from demos.notebooks.build import HERE as NOTEBOOKS
from micrograd_like import MLP, Tape, backward_steps, explain
from micrograd_like.view import GraphView

INPUT, TARGET, BIAS = 1.5, 0.5, 0.1  # the neuron's input, target and bias


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def neuron_derivatives(w: float) -> tuple[float, float]:
    """C' and C'' of C = (s - y)^2, s = sigmoid(i w + b), by hand: s' = i s(1 - s) and
    s'' = i^2 s(1 - s)(1 - 2s), so C' = 2(s - y) s' and C'' = 2 s'^2 + 2(s - y) s''."""
    s = sigmoid(INPUT * w + BIAS)
    first = INPUT * s * (1 - s)
    second = INPUT * INPUT * s * (1 - s) * (1 - 2 * s)
    return 2 * (s - TARGET) * first, 2 * first * first + 2 * (s - TARGET) * second


def newton_by_hand(w: float, steps: int) -> list[float]:
    ws = [w]
    for _ in range(steps):
        slope, curvature = neuron_derivatives(ws[-1])
        ws.append(ws[-1] - slope / curvature)
    return ws


# ---- Newton's method


def test_newton_lands_on_seed_002s_minimum_in_one_step() -> None:
    start, landed = demo.newton(demo.one_weight_cost, 0.8, 1)
    # C = (i w - y)^2: C' = 2 i (i w - y) = 2.1 at w = 0.8, C'' = 2 i^2 = 4.5 everywhere
    assert (start.cost, start.slope, start.curvature) == pytest.approx((0.49, 2.1, 4.5))
    assert landed.w == pytest.approx(1 / 3, abs=1e-15)  # 0.8 - 2.1 / 4.5
    assert landed.slope == pytest.approx(0.0, abs=1e-14)


def test_gradient_descent_on_seed_002_needs_the_steps_its_contraction_says() -> None:
    # each step multiplies the distance to 1/3 by 1 - r C'' = 1 - 0.1 * 4.5 = 0.55
    path = demo.gradient_descent(demo.one_weight_cost, 0.8, 0.1, 40)
    for k, p in enumerate(path):
        assert p.w == pytest.approx(1 / 3 + (0.8 - 1 / 3) * 0.55**k, abs=1e-13)
    needed = math.ceil(math.log(demo.TOLERANCE / (0.8 - 1 / 3)) / math.log(0.55))
    assert demo.steps_to_converge([p.w for p in path], 1 / 3) == needed == 34


def test_newton_on_the_neuron_follows_the_iterates_by_hand() -> None:
    lesson = demo.newton_lesson()
    for path, start in ((lesson.neuron_newton, 0.8), (lesson.neuron_newton_close, 0.5)):
        by_hand = newton_by_hand(start, len(path) - 1)
        assert [p.w for p in path] == pytest.approx(by_hand, rel=1e-9, abs=1e-12)
    assert lesson.neuron_newton[1].w == pytest.approx(-38.128, abs=1e-3)
    # out in the flat tail C' ≈ -i s and C'' ≈ -i^2 s, so each step is -C'/C'' = -1/i
    tail = [p.w for p in lesson.neuron_newton[1:]]
    assert [b - a for a, b in pairwise(tail)] == pytest.approx([-1 / INPUT] * 5)
    close = [p.w for p in lesson.neuron_newton_close]
    assert demo.steps_to_converge(close, -BIAS / INPUT) == 5


def test_the_neuron_cost_curves_upwards_exactly_inside_the_stated_interval() -> None:
    low, high = demo.CONVEX_WEIGHTS
    assert math.acosh(2) == pytest.approx(demo.CONVEX_EDGE)  # acosh 2 = ln(2 + sqrt 3)
    for edge, inwards in ((low, 1e-6), (high, -1e-6)):
        inside, outside = edge + inwards, edge - inwards
        assert demo.point(demo.one_neuron_cost, inside).curvature > 0
        assert demo.point(demo.one_neuron_cost, outside).curvature < 0
        assert neuron_derivatives(edge)[1] == pytest.approx(0.0, abs=1e-15)
    # the start 0.8 lies inside, barely: C'' is small and Newton's step long
    assert low < 0.8 < high and 0.003 < neuron_derivatives(0.8)[1] < 0.004


def test_guarded_newton_halves_the_first_step_then_converges_as_newton() -> None:
    path = demo.guarded_newton(demo.one_neuron_cost, 0.8, 7)
    slope, curvature = neuron_derivatives(0.8)
    step = -slope / curvature

    def cost(w: float) -> float:
        return (sigmoid(INPUT * w + BIAS) - TARGET) ** 2

    halvings = next(
        k for k in range(60) if cost(0.8 + step / 2**k) <= cost(0.8) + 1e-4 * slope * step / 2**k
    )
    assert halvings == 5
    assert path[0].newton and path[0].fraction == 1 / 32
    assert path[0].next_w == pytest.approx(0.8 + step / 32, rel=1e-12)
    assert all(s.newton and s.fraction == 1 for s in path[1:4])  # near the minimum: plain Newton
    for a, b in pairwise(path):
        assert b.at.cost <= a.at.cost
    assert demo.steps_to_converge(demo.guarded_weights(path), -BIAS / INPUT) == 4


def test_where_the_curvature_is_negative_the_guarded_step_goes_down_the_slope() -> None:
    (first,) = demo.guarded_newton(demo.one_neuron_cost, 3.0, 1)
    slope, curvature = neuron_derivatives(3.0)
    assert curvature < 0 and not first.newton
    assert first.next_w == pytest.approx(3.0 - first.fraction * slope, rel=1e-12)
    assert demo.point(demo.one_neuron_cost, first.next_w).cost < first.at.cost


# ---- the Hessian and a Hessian-vector product


@pytest.mark.parametrize("x, y", [(1.0, 2.0), (-1.5, 0.5), (0.3, -2.0)])
def test_seed_003s_hessian_and_hvp_are_the_closed_forms(x: float, y: float) -> None:
    by_hand = [[4.0, 3.0], [3.0, 6 * y]]  # of 2x^2 + 3xy + y^3
    assert demo.hessian_at(x, y) == [pytest.approx(row, abs=1e-12) for row in by_hand]
    v = [0.7, -1.3]
    product = [row[0] * v[0] + row[1] * v[1] for row in by_hand]
    assert demo.hvp_at(x, y, v) == pytest.approx(product, abs=1e-12)


# ---- tanh: its derivatives, their graphs, its Taylor polynomials


def tanh_derivative_polynomials(order: int) -> list[list[Fraction]]:
    """The k-th derivative of tanh is a polynomial P_k in t = tanh(x): P_0 = t and, since
    dt/dx = 1 - t^2, P_{k+1} = P_k'(t) (1 - t^2). Coefficients, lowest power first."""
    polynomials = [[Fraction(0), Fraction(1)]]
    for _ in range(order):
        p = polynomials[-1]
        derivative = [k * c for k, c in enumerate(p)][1:]
        times = [Fraction(0)] * (len(derivative) + 2)
        for k, c in enumerate(derivative):  # (1 - t^2) * derivative
            times[k] += c
            times[k + 2] -= c
        polynomials.append(times)
    return polynomials


def closed_form_derivatives(a: float, order: int) -> list[float]:
    t = math.tanh(a)
    return [
        sum(float(c) * t**k for k, c in enumerate(p)) for p in tanh_derivative_polynomials(order)
    ]


@pytest.mark.parametrize("a", [0.5, -1.2, 2.0, 1e-8])
def test_taylor_coefficients_of_tanh_are_the_closed_forms(a: float) -> None:
    expected = [d / math.factorial(k) for k, d in enumerate(closed_form_derivatives(a, 5))]
    assert demo.taylor_coefficients(a, 5) == pytest.approx(expected, rel=1e-11, abs=1e-14)


def test_near_zero_the_coefficients_are_tanhs_maclaurin_series() -> None:
    series = [0.0, 1.0, 0.0, -1 / 3, 0.0, 2 / 15]  # tanh x = x - x^3/3 + 2x^5/15 - ...
    assert demo.taylor_coefficients(1e-9, 5) == pytest.approx(series, abs=1e-8)


def test_taylor_coefficients_at_exactly_zero() -> None:
    # tanh(0)**0 is in the graph of tanh's third derivative: a**0's derivative is 0 at a = 0 too
    assert demo.taylor_coefficients(0.0, 5) == pytest.approx([0, 1, 0, -1 / 3, 0, 2 / 15])


def test_the_taylor_polynomial_is_the_sum_of_its_terms() -> None:
    coefficients = demo.taylor_coefficients()
    for x in (-1.0, 0.5, 0.8, 2.4):
        terms = sum(c * (x - 0.5) ** k for k, c in enumerate(coefficients))
        assert demo.taylor_polynomial(coefficients, 0.5, x) == pytest.approx(terms, rel=1e-14)
    assert demo.convergence_radius(0.5) == pytest.approx(abs(complex(0.5, -math.pi / 2)))


def test_the_derivatives_graphs_hold_the_closed_forms_and_explain_steps_through_them() -> None:
    graphs = demo.tanh_graphs(0.5)
    t = math.tanh(0.5)
    assert graphs.first.data == pytest.approx(1 - t * t, rel=1e-15)
    assert graphs.second.data == pytest.approx(-2 * t * (1 - t * t), rel=1e-15)
    # y' = (1 - tanh(x)**2) * 1: tanh, its square, 1 minus it, times the 1 the chain starts from
    ops = sorted(node.op for node in graphs.first.topological_order() if node.op)
    assert ops == ["*", "**2", "-", "tanh"]
    # y: x and tanh; y': those, **2, -, * and two 1s; y'': the 15 boxes of its drawing
    assert demo.derivative_graph_sizes(0.5, 5)[:3] == [2, 7, 15]
    # explain() and the backward pass treat the gradient's graph as any other: d y'/dx = y''
    explanation = explain(graphs.first, graphs.x)
    assert explanation.total == pytest.approx(graphs.second.data, rel=1e-15)
    assert "dy'/dx: 1 path from y' to x" in str(explanation)
    for _ in backward_steps(graphs.first):
        pass
    assert graphs.x.grad == pytest.approx(graphs.second.data, rel=1e-15)


# ---- forward mode against reverse mode


def test_forward_and_reverse_mode_give_the_seeds_delta_formulas_for_the_342_network() -> None:
    row = demo.compare_modes((3, 4, 2), repeats=1)
    assert row.parameters == (3 + 1) * 4 + (4 + 1) * 2 == 26  # Σ (inputs + bias) x neurons
    assert (row.forward_passes, row.reverse_passes) == (26, 1)
    # the seed's vectorised backprop on the same weights, in MLP.parameters()'s order
    Ws, bs = MLP(3, [4, 2], activation="sigmoid", output_activation="sigmoid", seed=0).weights()
    formulas = seed_342_network.vectorised_gradients(seed_342_network.Parameters(Ws, bs))
    expected = [
        g
        for layer_w, layer_b in zip(formulas.weights, formulas.biases, strict=True)
        for row_w, b in zip(layer_w, layer_b, strict=True)
        for g in (*row_w, b)
    ]
    assert row.reverse_gradient == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert row.forward_gradient == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert row.largest_difference < 1e-15
    assert row.forward_seconds > 0 and row.reverse_seconds > 0


def test_forward_mode_needs_a_pass_per_parameter_and_agrees_with_finite_differences() -> None:
    cost, parameters = demo.network_cost((3, 2, 2))
    gradient, passes = demo.forward_mode_gradient(cost, parameters)
    assert passes == len(parameters) == (3 + 1) * 2 + (2 + 1) * 2
    reverse, one = demo.reverse_mode_gradient(cost, parameters)
    assert one == 1 and gradient == pytest.approx(reverse, rel=1e-12, abs=1e-15)
    tape, h = Tape(cost), 1e-6  # E again at nudged weights: the recorded graph, recomputed
    for p, g in zip(parameters, gradient, strict=True):
        keep = p.data
        p.data = keep + h
        tape.forward()
        up = cost.data
        p.data = keep - h
        tape.forward()
        down = cost.data
        p.data = keep
        assert g == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)


def test_the_table_counts_passes_and_products_and_times_only_when_asked() -> None:
    row = demo.compare_modes((3, 2, 2), repeats=1)
    graph = demo.network_cost((3, 2, 2))[0].topological_order()
    assert row.edges == sum(len(node.inputs) for node in graph)
    table = demo.modes_table([row], times=False)
    assert f"{row.parameters} / 1" in table
    assert f"{row.parameters * row.edges:,} / {row.edges:,}" in table
    assert "ms" not in table  # no time: the notebook's outputs are the same on every run
    assert " ms / " in demo.modes_table([row], times=True)


def test_the_names_the_notebook_reads_the_second_derivative_by_are_the_drawings() -> None:
    graphs = demo.tanh_graphs(0.5)
    first, second = GraphView(graphs.first), GraphView(graphs.second)
    # y' = (1 - tanh(x)**2) x const0: the local derivative times the 1 the chain rule starts from
    assert [first.name(node) for node in graphs.first.inputs] == ["sub5", "const0"]
    # y'' = sub13 x mul9 = (1 - tanh(x)**2) x (-2 tanh(x))
    sub13, mul9 = graphs.second.inputs
    assert [second.name(sub13), second.name(mul9)] == ["sub13", "mul9"]
    t = math.tanh(0.5)
    assert (sub13.data, mul9.data) == pytest.approx((1 - t * t, -2 * t), rel=1e-15)


# ---- the pictures and the notebook


def test_write_draws_every_picture(tmp_path: Path) -> None:
    paths = demo.write(tmp_path)
    assert [path.name for path in paths] == [
        "newton_vs_descent.png",
        "taylor_tanh.png",
        "derivative_graph_1.svg",
        "derivative_graph_2.svg",
    ]
    for path in paths[:2]:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    graphs = demo.tanh_graphs(0.5)
    for path, root, label in zip(
        paths[2:], (graphs.first, graphs.second), ("y&#39;", "y&#39;&#39;"), strict=True
    ):
        svg = path.read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml")
        assert len(re.findall(r'id="n\d+"', svg)) == len(root.topological_order())  # a box each
        number = f"{root.data:.4f}".replace("-", "&#45;")  # as Graphviz writes it
        assert f">{label}</text>" in svg and f"data {number}" in svg


def test_the_committed_notebook_shows_the_lessons_numbers() -> None:
    notebook = nbformat.read(NOTEBOOKS / "7_derivatives_of_derivatives.ipynb", as_version=4)
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    printed = "".join(output.get("text", "") for output in outputs)
    for line in (
        "y'' = -0.726862; by hand -2 tanh(x)(1 - tanh(x)^2) = -0.726862",
        "dy'/dx = -0.7269 (the one path)",
        "x.grad = -0.7269 = y''",
        "Newton: w = 0.8 - C'/C'' = 0.333333333333",
        "gradient descent, r = 0.1: 34 steps to within 1e-09",
        "guarded Newton from 0.8: 4 steps (Newton x 1/32,",
        "Hessian at (1, 2): [[4.0, 3.0], [3.0, 12.0]]",
        "H v for v = (1, -1): [1.0, -9.0]",
        "26 parameters: 26 forward passes, 1 reverse pass",
        "3-16-16-2     370   1133           370 / 1     513,560 / 1,388",
    ):
        assert line in printed
    assert " ms" not in printed  # no times: the same outputs on every run
    kinds = [mime for output in outputs for mime in output.get("data", {}) if mime != "text/plain"]
    assert kinds == ["image/svg+xml", "image/svg+xml", "image/png", "image/png"]
    svgs = [
        output["data"]["image/svg+xml"]
        for output in outputs
        if "image/svg+xml" in output.get("data", {})
    ]
    assert all(name in svgs[1] for name in ("mul9", "sub13", "y&#39;&#39;"))
