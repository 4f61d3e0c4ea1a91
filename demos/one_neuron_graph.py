"""The seeds' one-neuron network, a = sigmoid(W a_prev + b) with cost C = (a - y)^2: build the
graph, run backward(), print every node's value and gradient (d C / d node), and draw it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from micrograd_like import Parameter, Value, save_graph


def build() -> Value:
    """The cost C = (a - y)^2 of one sigmoid neuron a = sigmoid(O), O = W a_prev + b, on one
    example, named as in the seeds (the backprop page demo and scripts/graph_picture.py use it
    too)."""
    weight, bias = Parameter(0.8, label="W"), Parameter(0.1, label="b")
    a_prev, y = Value(1.5, label="a_prev"), Value(0.5, label="y")
    output = weight * a_prev + bias
    output.label = "O"
    activation = output.sigmoid()
    activation.label = "a"
    cost = (activation - y) ** 2
    cost.label = "C"
    return cost


def main() -> None:
    cost = build()
    cost.backward()
    print("One neuron, a = sigmoid(W a_prev + b), cost C = (a - y)^2, after C.backward():")
    for node in reversed(cost.topological_order()):
        print(f"  {node!r}")
    path = save_graph(cost, output_dir() / "one_neuron.svg")
    print(f"The graph, drawn (each box: label, data, grad; grey ellipses are ops): {path}")


if __name__ == "__main__":
    main()
