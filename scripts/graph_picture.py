"""`make graph-picture`: draw docs/graph.svg, the seeds' one neuron a = sigmoid(w*x + b) with
cost C = (a - y)^2, after backward(), for the README."""

from __future__ import annotations

from pathlib import Path

from micrograd_like.engine import Value
from micrograd_like.nn import Parameter
from micrograd_like.viz import save_graph

TARGET = Path(__file__).resolve().parent.parent / "docs" / "graph.svg"


def main() -> None:
    w, b = Parameter(0.8, label="w"), Parameter(0.1, label="b")  # a weight and a bias
    x, y = Value(1.5, label="x"), Value(0.5, label="y")  # an input and its target
    z = w * x + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"  # the activation
    cost = (a - y) ** 2
    cost.label = "C"
    cost.backward()
    print(f"wrote {save_graph(cost, TARGET)}")


if __name__ == "__main__":
    main()
