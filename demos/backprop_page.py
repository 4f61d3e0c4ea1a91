"""The backward pass of the seeds' one-neuron network as an interactive page: open
backprop.html in a browser and press the right arrow to watch the chain rule, node by node."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from micrograd_like.engine import Value
from micrograd_like.page import save_backprop_html


def one_neuron() -> Value:
    """The cost C = (a - y)^2 of one sigmoid neuron a = sigmoid(W a_prev + b) on one example."""
    weight, bias = Value(0.8, label="W"), Value(0.1, label="b")
    a_prev, y = Value(1.5, label="a_prev"), Value(0.5, label="y")
    output = weight * a_prev + bias
    output.label = "O"
    activation = output.sigmoid()
    activation.label = "a"
    cost = (activation - y) ** 2
    cost.label = "C"
    return cost


def main() -> None:
    path = save_backprop_html(
        one_neuron(),
        output_dir() / "backprop.html",
        title="One neuron: C = (sigmoid(W a_prev + b) - y)^2",
    )
    print(f"Backpropagation, step by step (open in a browser, press the right arrow): {path}")


if __name__ == "__main__":
    main()
