"""The cost surface (seed 001): f(x) = theta_1 * theta_2 * x with x = 1 and target y = 2.

With the input and target fixed, the cost C = 1/2 (theta_1 theta_2 x - y)^2 is a function of
the two parameters only: a surface whose valley floor is the hyperbola theta_1 theta_2 = 2.
Gradient descent is a ball rolling downhill on it, one step against the gradient at a time.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from demos.common import output_dir, save_png
from micrograd_like import Value

X, Y = 1.0, 2.0
START = (2.5, -0.6)
LEARNING_RATE = 0.05


@dataclass(frozen=True)
class Point:
    """Where gradient descent stands: the parameters, the cost there and its gradient."""

    theta1: float
    theta2: float
    cost: float
    dcost_dtheta1: float
    dcost_dtheta2: float


def cost_at(theta1: float, theta2: float, x: float = X, y: float = Y) -> Point:
    """C = 1/2 (theta_1 theta_2 x - y)^2 and its gradient, by the engine."""
    t1, t2 = Value(theta1, label="theta1"), Value(theta2, label="theta2")
    cost = 0.5 * (t1 * t2 * x - y) ** 2
    cost.backward()
    return Point(theta1, theta2, cost.data, t1.grad, t2.grad)


def descend(
    start: tuple[float, float] = START, steps: int = 100, learning_rate: float = LEARNING_RATE
) -> list[Point]:
    """Gradient descent from `start`: each step moves both parameters against the gradient."""
    path = [cost_at(*start)]
    for _ in range(steps):
        p = path[-1]
        path.append(
            cost_at(
                p.theta1 - learning_rate * p.dcost_dtheta1,
                p.theta2 - learning_rate * p.dcost_dtheta2,
            )
        )
    return path


def plot_surface(path: list[Point], folder: Path) -> Path:
    """Contours of C(theta_1, theta_2) with the descent path drawn on them."""
    grid = [-3.0 + 6.0 * k / 120 for k in range(121)]
    costs = [[0.5 * (t1 * t2 * X - Y) ** 2 for t1 in grid] for t2 in grid]
    figure = Figure(figsize=(6, 5.4))
    axes = figure.subplots()
    levels = [0, 0.02, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
    # colours by band, not by value: the valley floor is as visible as the steep walls
    norm = BoundaryNorm(levels, ncolors=256)
    contours = axes.contourf(
        grid, grid, costs, levels=levels, cmap="viridis", norm=norm, extend="max"
    )
    axes.plot(
        grid,
        [2 / t1 if abs(t1) > 0.6 else float("nan") for t1 in grid],
        ":",
        color="tab:orange",
        label=r"$\theta_1 \theta_2 = 2$",
    )
    figure.colorbar(contours, ax=axes, label="cost C")
    axes.plot([p.theta1 for p in path], [p.theta2 for p in path], ".-", color="tab:red")
    axes.plot([path[0].theta1], [path[0].theta2], "o", color="tab:red", label="start")
    axes.set_ylim(grid[0], grid[-1])
    axes.set_xlabel(r"$\theta_1$")
    axes.set_ylabel(r"$\theta_2$")
    axes.set_title(r"C = $\frac{1}{2}(\theta_1 \theta_2 x - y)^2$, x = 1, y = 2")
    axes.legend(loc="lower left", framealpha=0.9)
    return save_png(figure, folder, "cost_surface.png")


def main(folder: Path | None = None) -> None:
    path = descend()
    first, last = path[0], path[-1]
    print("Cost surface (seed 001): f(x) = theta1 * theta2 * x, x = 1, y = 2")
    print(
        f"  start ({first.theta1}, {first.theta2}): C = {first.cost:.4g}, gradient"
        f" (dC/dtheta1, dC/dtheta2) = ({first.dcost_dtheta1:.4g}, {first.dcost_dtheta2:.4g})"
    )
    print(
        f"  after {len(path) - 1} steps: ({last.theta1:.4f}, {last.theta2:.4f}),"
        f" theta1 * theta2 = {last.theta1 * last.theta2:.6f}, C = {last.cost:.2e}"
    )
    print(f"  picture: {plot_surface(path, folder or output_dir())}")


if __name__ == "__main__":
    main()
