"""Why hidden layers and nonlinearity (seed 001).

A single perceptron f(x, w) = wx can only draw lines through the origin: it learns f(x) = x
(w -> 1) but not f(x) = x^2. Stacking layers without an activation function does not help,
since a composition of linear functions is still a line. A hidden layer with a nonlinear
activation (tanh) adds the "bend", and the same gradient descent then fits the parabola.

Every fit minimises the mean squared error over the training points, cost = mean (f(x) - y)^2
(`losses.mse`: no factor 1/2 in front, unlike the seed's MSE, so the numbers are twice its).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matplotlib.figure import Figure

from demos.common import output_dir, save_png
from micrograd_like import MLP, Value, losses, no_grad, optim

TRAIN_XS = [k / 10 - 1 for k in range(21)]  # -1.0, -0.9, ..., 1.0
PLOT_XS = [k / 50 - 1.2 for k in range(121)]
HIDDEN = 8
SEED = 2


@dataclass(frozen=True)
class Fit:
    """A trained model: its name, its final cost mean (f(x) - y)^2 over TRAIN_XS, its curve on
    PLOT_XS and its parameters' final values (for the perceptron, [w])."""

    name: str
    cost: float
    curve: list[float]
    parameters: list[float]


def fit(
    name: str,
    predict: Callable[[float], Value],
    optimizer: optim.Optimizer,
    target: Callable[[float], float],
    steps: int,
) -> Fit:
    """Full-batch gradient descent on cost = mean (f(x) - y)^2 over TRAIN_XS (no 1/2)."""
    ys = [target(x) for x in TRAIN_XS]
    for _ in range(steps):
        optimizer.zero_grad()
        cost = losses.mse([predict(x) for x in TRAIN_XS], ys)
        cost.backward()
        optimizer.step()
    with no_grad():
        cost = losses.mse([predict(x) for x in TRAIN_XS], ys)
        curve = [predict(x).data for x in PLOT_XS]
    return Fit(name, cost.data, curve, [p.data for p in optimizer.params])


def perceptron(target: Callable[[float], float], steps: int = 100) -> Fit:
    """The single perceptron f(x, w) = wx, trained by plain gradient descent."""
    w = Value(0.2, label="w")
    return fit("perceptron f(x, w) = wx", lambda x: w * x, optim.SGD([w], lr=0.5), target, steps)


def network(target: Callable[[float], float], activation: str, steps: int = 300) -> Fit:
    """An MLP with one hidden layer of HIDDEN neurons, trained with Adam."""
    model = MLP(1, [HIDDEN, 1], activation=activation, seed=SEED)

    def predict(x: float) -> Value:
        out = model([x])
        assert isinstance(out, Value)  # one output neuron: a bare Value
        return out

    name = f"1-{HIDDEN}-1 network, {activation} hidden layer"
    return fit(name, predict, optim.Adam(model.parameters(), lr=0.05), target, steps)


def square(x: float) -> float:
    return x * x


def identity(x: float) -> float:
    return x


def plot_fits(line: Fit, parabola: Sequence[Fit], folder: Path) -> Path:
    """Left: the perceptron learns f(x) = x. Right: only the nonlinear network bends to x^2."""
    figure = Figure(figsize=(11, 4.2))
    left, right = figure.subplots(1, 2)
    for axes, target, fits in ((left, identity, [line]), (right, square, parabola)):
        axes.plot(TRAIN_XS, [target(x) for x in TRAIN_XS], "o", color="black", label="data")
        for f in fits:
            axes.plot(PLOT_XS, f.curve, label=f"{f.name} (cost {f.cost:.2g})")
        axes.set_xlabel("x")
        axes.legend(fontsize=8, loc="upper center")
    left.set_title("f(x) = x")
    right.set_title("f(x) = x$^2$")
    right.set_ylim(-0.6, 1.6)
    return save_png(figure, folder, "hidden_layers_fits.png")


def main(folder: Path | None = None) -> None:
    print("Why hidden layers and nonlinearity (seed 001): fitting f(x) = x and f(x) = x^2")
    print("  cost = mean (f(x) - y)^2 over the 21 training points (mean squared error, no 1/2)")
    line = perceptron(identity)
    print(f"  perceptron on f(x) = x:   w = {line.parameters[0]:.6f}, cost {line.cost:.2e}")
    parabola = [
        perceptron(square),
        network(square, "linear"),
        network(square, "tanh"),
    ]
    for f in parabola:
        print(f"  {f.name} on f(x) = x^2: cost {f.cost:.2e}")
    print(f"  picture: {plot_fits(line, parabola, folder or output_dir())}")


if __name__ == "__main__":
    main()
