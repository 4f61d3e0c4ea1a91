"""The seeds' one-neuron network, a = sigmoid(w * x + b) with cost C = (a - y)^2: build the
graph, run backward(), and print every node's value and gradient (d C / d node)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from micrograd_like import Value, save_graph


def build() -> Value:
    """The cost of one sigmoid neuron on one example."""
    x = Value(1.5, label="x")
    w = Value(0.8, label="w")
    b = Value(0.1, label="b")
    y = Value(0.5, label="y")
    z = w * x + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    cost = (a - y) ** 2
    cost.label = "C"
    return cost


def main() -> None:
    cost = build()
    cost.backward()
    print("One neuron, a = sigmoid(w*x + b), cost C = (a - y)^2, after C.backward():")
    for node in reversed(cost.topological_order()):
        print(f"  {node!r}")
    path = save_graph(cost, output_dir() / "one_neuron.svg")
    print(f"The graph, drawn (each box: label, data, grad; grey ellipses are ops): {path}")


if __name__ == "__main__":
    main()
