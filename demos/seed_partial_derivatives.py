"""Partial derivatives (seed 003): f(x, y) = 2x^2 + 3xy + y^3.

Holding y fixed, df/dx = 4x + 3y; holding x fixed, df/dy = 3x + 3y^2. One backward() from f
gives both at once, as the grads of the leaves x and y: the gradient (4x + 3y, 3x + 3y^2).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from micrograd_like import Value, save_graph

POINTS = ((1.0, 2.0), (-1.5, 0.5), (0.0, -2.0), (3.0, 1.0))


@dataclass(frozen=True)
class Gradient:
    """f and its gradient at (x, y), by the engine and by the seed's formulas."""

    x: float
    y: float
    f: float
    df_dx: float
    df_dy: float
    formula_dx: float  # 4x + 3y
    formula_dy: float  # 3x + 3y^2


def f(x: Value, y: Value) -> Value:
    """The seed's function, built from the engine's ops."""
    return 2 * x**2 + 3 * x * y + y**3


def build(x: float, y: float) -> tuple[Value, Value, Value]:
    """The graph of f at (x, y), labelled for drawing: returns (f, x, y)."""
    vx, vy = Value(x, label="x"), Value(y, label="y")
    out = f(vx, vy)
    out.label = "f"
    return out, vx, vy


def gradient_of(out: Value, vx: Value, vy: Value) -> Gradient:
    """Run backward() from f, then read the gradient off the leaves x and y."""
    out.backward()
    x, y = vx.data, vy.data
    return Gradient(x, y, out.data, vx.grad, vy.grad, 4 * x + 3 * y, 3 * x + 3 * y**2)


def gradient_at(x: float, y: float) -> Gradient:
    return gradient_of(*build(x, y))


def main(folder: Path | None = None) -> None:
    print("Partial derivatives (seed 003): f(x, y) = 2x^2 + 3xy + y^3")
    graphs = [build(x, y) for x, y in POINTS]  # the first one is drawn below, after backward()
    for graph in graphs:
        g = gradient_of(*graph)
        print(
            f"  at ({g.x:g}, {g.y:g}): engine grad ({g.df_dx:g}, {g.df_dy:g});"
            f" (4x + 3y, 3x + 3y^2) = ({g.formula_dx:g}, {g.formula_dy:g})"
        )
    path = save_graph(graphs[0][0], (folder or output_dir()) / "partial_derivatives_graph.svg")
    print(f"  graph of f at {POINTS[0]}, after backward(): {path}")


if __name__ == "__main__":
    main()
