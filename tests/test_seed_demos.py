"""The seeds' worked examples, reproduced by the demos through the library's API.

Every number is checked against an oracle written out here: the seeds' formulas in plain
floats, closed forms, or central finite differences.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

from demos import (
    seed_342_network,
    seed_chain_rule,
    seed_cost_surface,
    seed_hidden_layers,
    seed_one_neuron_layers,
    seed_one_weight,
    seed_partial_derivatives,
    seed_softmax,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header chunk."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# ---- 1. one weight (seed 002)


def test_one_weight_first_step_is_the_seeds_chain_rule() -> None:
    step = seed_one_weight.gradient_step(0.8)
    assert step.a == pytest.approx(1.2, abs=1e-12)
    assert step.dcost_da == pytest.approx(2 * (1.2 - 0.5), abs=1e-12)  # dC/da = 2(a - y)
    assert step.da_dw == 1.5  # da/dw = i
    assert step.dcost_dw == pytest.approx(2 * (1.2 - 0.5) * 1.5, abs=1e-12)  # = 2.1
    assert step.next_w == pytest.approx(0.59, abs=1e-9)


def test_one_weight_follows_the_closed_form_to_one_third() -> None:
    # w_{k+1} = w_k - r * 2 i (i w_k - y) contracts towards y / i by the factor 1 - 2 r i^2
    path = seed_one_weight.descend(steps=50)
    factor = 1 - 2 * 0.1 * 1.5**2
    for k, step in enumerate(path):
        assert step.w == pytest.approx(1 / 3 + (0.8 - 1 / 3) * factor**k, abs=1e-12)
    assert path[-1].next_w == pytest.approx(1 / 3, abs=1e-9)


# ---- 2. partial derivatives (seed 003)


@pytest.mark.parametrize("x, y", [(1.0, 2.0), (-1.5, 0.5), (0.0, -2.0), (3.0, 1.0), (0.7, -0.3)])
def test_the_engines_gradient_of_f_is_the_seeds(x: float, y: float) -> None:
    g = seed_partial_derivatives.gradient_at(x, y)
    assert g.f == pytest.approx(2 * x**2 + 3 * x * y + y**3, abs=1e-12)
    assert g.df_dx == pytest.approx(4 * x + 3 * y, abs=1e-9)
    assert g.df_dy == pytest.approx(3 * x + 3 * y**2, abs=1e-9)


# ---- 3. chain rule (seed 001)


@pytest.mark.parametrize("x", [-2.0, -0.5, 0.0, 1.0, 3.0])
def test_chain_rule_derivative_is_outer_times_inner_is_6x(x: float) -> None:
    c = seed_chain_rule.chain_rule_at(x)
    assert c.outer == 3.0  # d 3u / du
    assert c.inner == pytest.approx(2 * x, abs=1e-12)  # d (x^2 + 1) / dx
    assert c.total == pytest.approx(6 * x, abs=1e-9)


# ---- 4. one neuron per layer (seed 000)


def chain_by_hand(
    weights: tuple[float, ...], biases: tuple[float, ...], x: float
) -> tuple[list[float], list[float]]:
    """Forward pass in plain floats: the activations a_0..a_L and the outputs O_1..O_L."""
    activations, outputs = [x], []
    for w, b in zip(weights, biases, strict=True):
        outputs.append(w * activations[-1] + b)
        activations.append(sigmoid(outputs[-1]))
    return activations, outputs


def test_one_neuron_layers_last_weight_and_bias_match_the_seeds_formula() -> None:
    net = seed_one_neuron_layers.build()
    a, o = chain_by_hand(seed_one_neuron_layers.WEIGHTS, seed_one_neuron_layers.BIASES, 1.5)
    y = seed_one_neuron_layers.Y
    dsigma = sigmoid(o[-1]) * (1 - sigmoid(o[-1]))  # sigma'(O_L)
    assert net.weights[-1].grad == pytest.approx(2 * (a[-1] - y) * dsigma * a[-2], abs=1e-9)
    assert net.biases[-1].grad == pytest.approx(2 * (a[-1] - y) * dsigma, abs=1e-9)


def test_one_neuron_layers_one_layer_down_matches_the_seeds_formula() -> None:
    net = seed_one_neuron_layers.build()
    weights = seed_one_neuron_layers.WEIGHTS
    a, o = chain_by_hand(weights, seed_one_neuron_layers.BIASES, 1.5)
    y = seed_one_neuron_layers.Y
    dsigma_last = sigmoid(o[-1]) * (1 - sigmoid(o[-1]))
    dsigma_below = sigmoid(o[-2]) * (1 - sigmoid(o[-2]))
    # dC/da_{L-1} = 2(a_L - y) sigma'(O_L) W_L, then two more links down to W_{L-1} and b_{L-1}
    dc_da_below = 2 * (a[-1] - y) * dsigma_last * weights[-1]
    assert net.weights[-2].grad == pytest.approx(dc_da_below * dsigma_below * a[-3], abs=1e-9)
    assert net.biases[-2].grad == pytest.approx(dc_da_below * dsigma_below, abs=1e-9)


def test_one_neuron_layers_training_drives_the_cost_down_every_step() -> None:
    costs, _, _ = seed_one_neuron_layers.train(steps=100)
    assert all(later < earlier for earlier, later in pairwise(costs))
    assert costs[0] > 0.1
    assert costs[-1] < 1e-10


# ---- 5. the 3-4-2 network (seed 003)


def test_342_network_has_20_weights_and_6_biases() -> None:
    params = seed_342_network.initial_parameters()
    assert sum(len(row) for matrix in params.weights for row in matrix) == 20
    assert sum(len(vector) for vector in params.biases) == 6


def test_342_engine_gradients_equal_the_vectorised_delta_formulas() -> None:
    params = seed_342_network.initial_parameters(seed=3)
    engine = seed_342_network.engine_gradients(params)
    formulas = seed_342_network.vectorised_gradients(params)
    assert engine.error == pytest.approx(formulas.error, abs=1e-12)
    for ours, theirs in zip(engine.weights, formulas.weights, strict=True):  # dE/dW_i
        for row, expected in zip(ours, theirs, strict=True):
            assert row == pytest.approx(expected, abs=1e-9)
    for ours_b, theirs_b in zip(engine.biases, formulas.biases, strict=True):  # dE/db_i
        assert ours_b == pytest.approx(theirs_b, abs=1e-9)


def error_by_hand(params: seed_342_network.Parameters, x0: list[float], y: list[float]) -> float:
    """E = 1/2 ||x_2 - y||^2, the forward pass in plain floats."""
    x = x0
    for matrix, vector in zip(params.weights, params.biases, strict=True):
        x = [
            sigmoid(sum(w * xi for w, xi in zip(row, x, strict=True)) + b)
            for row, b in zip(matrix, vector, strict=True)
        ]
    return 0.5 * sum((xi - yi) ** 2 for xi, yi in zip(x, y, strict=True))


def test_342_engine_gradients_equal_central_finite_differences() -> None:
    params = seed_342_network.initial_parameters(seed=5)
    x0, y = [0.5, -1.0, 2.0], [0.2, 0.9]
    engine = seed_342_network.engine_gradients(params, x0, y)
    # every weight and bias as (the list holding it, its index), in the gradients' order
    slots = [(row, j) for matrix in params.weights for row in matrix for j in range(len(row))]
    slots += [(vector, j) for vector in params.biases for j in range(len(vector))]
    grads = [g for matrix in engine.weights for row in matrix for g in row]
    grads += [g for vector in engine.biases for g in vector]
    h = 1e-6
    for (holder, j), grad in zip(slots, grads, strict=True):
        original = holder[j]
        holder[j] = original + h
        up = error_by_hand(params, x0, y)
        holder[j] = original - h
        down = error_by_hand(params, x0, y)
        holder[j] = original
        assert grad == pytest.approx((up - down) / (2 * h), abs=1e-8)


# ---- 6. hidden layers and nonlinearity (seed 001)


def test_a_perceptron_learns_f_x_equals_x() -> None:
    fit = seed_hidden_layers.perceptron(seed_hidden_layers.identity)
    assert fit.parameters == [pytest.approx(1.0, abs=1e-9)]
    assert fit.cost < 1e-12


def test_a_perceptron_cannot_learn_x_squared() -> None:
    # on points symmetric about 0 the best w in wx is 0, leaving the cost mean(x^4): training
    # gets there, and it is far from a fit
    xs = seed_hidden_layers.TRAIN_XS
    best = sum(x**4 for x in xs) / len(xs)
    fit = seed_hidden_layers.perceptron(seed_hidden_layers.square)
    assert fit.parameters == [pytest.approx(0.0, abs=1e-9)]
    assert fit.cost == pytest.approx(best, rel=1e-9)
    assert best > 0.2


def test_a_hidden_layer_without_nonlinearity_is_still_a_line() -> None:
    # the best line through the symmetric points is the flat mean: its cost is var(x^2);
    # a stack of linear layers is a line, so training ends there, far from a fit
    squares = [x * x for x in seed_hidden_layers.TRAIN_XS]
    mean = sum(squares) / len(squares)
    variance = sum((s - mean) ** 2 for s in squares) / len(squares)
    fit = seed_hidden_layers.network(seed_hidden_layers.square, "linear")
    assert fit.cost == pytest.approx(variance, rel=1e-9)
    assert variance > 0.1


def test_a_tanh_hidden_layer_learns_x_squared() -> None:
    fit = seed_hidden_layers.network(seed_hidden_layers.square, "tanh")
    assert fit.cost < 1e-3


# ---- 7. the cost surface (seed 001)


def test_cost_surface_gradient_is_the_chain_rules() -> None:
    # C = 1/2 (t1 t2 x - y)^2: dC/dt1 = (t1 t2 x - y) t2 x, dC/dt2 = (t1 t2 x - y) t1 x
    for t1, t2 in [(2.5, -0.6), (0.3, 2.4), (-1.0, -1.5)]:
        p = seed_cost_surface.cost_at(t1, t2)
        residual = t1 * t2 * 1.0 - 2.0
        assert p.cost == pytest.approx(0.5 * residual**2, abs=1e-12)
        assert p.dcost_dtheta1 == pytest.approx(residual * t2, abs=1e-9)
        assert p.dcost_dtheta2 == pytest.approx(residual * t1, abs=1e-9)


def test_cost_surface_descent_reaches_the_valley_theta1_theta2_equals_2() -> None:
    path = seed_cost_surface.descend()
    assert all(later.cost <= earlier.cost for earlier, later in pairwise(path))
    assert path[-1].theta1 * path[-1].theta2 == pytest.approx(2.0, abs=1e-9)


# ---- 8. softmax and cross-entropy (seed 004)


def softmax_by_hand(logits: list[float]) -> list[float]:
    exps = [math.exp(z) for z in logits]
    return [e / sum(exps) for e in exps]


@pytest.mark.parametrize(
    "logits, target",
    [
        ([2.0, 1.0, 0.1], 0),
        ([2.0, 1.0, 0.1], 2),
        ([-3.0, 0.5, 4.0, 1.5], 1),
        ([0.3, -0.2, 0.9], [0.2, 0.5, 0.3]),  # a soft target: still p - y
    ],
)
def test_cross_entropy_gradient_is_p_minus_y(
    logits: list[float], target: int | list[float]
) -> None:
    g = seed_softmax.softmax_gradient(tuple(logits), target)
    p = softmax_by_hand(logits)
    y = [float(k == target) for k in range(len(p))] if isinstance(target, int) else target
    assert g.engine == pytest.approx([pk - yk for pk, yk in zip(p, y, strict=True)], abs=1e-9)
    assert g.cost == pytest.approx(
        -sum(yk * math.log(pk) for pk, yk in zip(p, y, strict=True)), abs=1e-12
    )


def test_softmax_classifier_learns_the_three_blobs() -> None:
    model, points, labels, costs = seed_softmax.train_classifier()
    assert costs[-1] < 0.1 * costs[0]
    correct = sum(seed_softmax.predict(model, p) == y for p, y in zip(points, labels, strict=True))
    assert correct >= 0.95 * len(points)


# ---- every demo runs and writes its pictures where it is told


@pytest.mark.parametrize(
    "main, pictures",
    [
        (seed_one_weight.main, ["one_weight_cost.png"]),
        (seed_cost_surface.main, ["cost_surface.png"]),
        (seed_partial_derivatives.main, ["partial_derivatives_graph.svg"]),
        (seed_one_neuron_layers.main, ["one_neuron_layers_graph.svg"]),
    ],
)
def test_demo_main_writes_its_pictures_into_the_given_folder(
    main: Callable[[Path], None],
    pictures: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(tmp_path)
    printed = capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(pictures)
    for name in pictures:
        assert str(tmp_path / name) in printed
        if name.endswith(".png"):
            width, height = png_size(tmp_path / name)
            assert width > 300 and height > 200
        else:
            assert "<svg" in (tmp_path / name).read_text()


def test_hidden_layers_plot_is_a_png_in_the_given_folder(tmp_path: Path) -> None:
    # a few steps are enough to draw: the fits' quality is tested above
    line = seed_hidden_layers.perceptron(seed_hidden_layers.identity, steps=2)
    parabola = [seed_hidden_layers.network(seed_hidden_layers.square, "tanh", steps=2)]
    path = seed_hidden_layers.plot_fits(line, parabola, tmp_path)
    assert path == tmp_path / "hidden_layers_fits.png"
    assert png_size(path)[0] > 300


def test_softmax_classifier_plot_is_a_png_in_the_given_folder(tmp_path: Path) -> None:
    model, points, labels, _ = seed_softmax.train_classifier(steps=1)
    path = seed_softmax.plot_classifier(model, points, labels, tmp_path)
    assert path == tmp_path / "softmax_classifier.png"
    assert png_size(path)[0] > 300
