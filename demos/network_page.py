"""Backpropagation through whole networks, one neuron at a time: two pages to open in a browser.

- `network_342.html`: the seeds' 3-4-2 sigmoid network (seed 003) on its example, the cost
  E = 1/2 ||x_2 - y||^2, with the demo's weights (demos/seed_342_network.py).
- `network_micrograd.html`: micrograd's demo network MLP(2, [16, 16, 1]) on one example, cost
  (out - y)^2: 982 nodes. The network view opens first; the scalar graph is one tab away.

Each page opens on the network view: press the right arrow to step the backward pass from the
output layer back, with the seeds' delta formulas and the engine's numbers at every neuron.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from demos.seed_342_network import INPUT, TARGET, initial_parameters
from micrograd_like import MLP, Value, save_backprop_html


def seed_network() -> tuple[MLP, Value]:
    """The seeds' 3-4-2 sigmoid network with the demo's parameters, and its error E."""
    model = MLP(3, [4, 2], activation="sigmoid", output_activation="sigmoid")
    params = initial_parameters()
    model.set_weights(params.weights, params.biases)  # the seeds' W_l and b_l, as matrices
    out = model([Value(x, f"x{k}") for k, x in enumerate(INPUT, 1)])
    assert isinstance(out, list)
    cost = 0.5 * sum(((a - y) ** 2 for a, y in zip(out, TARGET, strict=True)), Value(0.0))
    cost.label = "E"
    return model, cost


def micrograd_network() -> tuple[MLP, Value]:
    """micrograd's demo network on one example, with the cost (out - y)^2: 982 nodes."""
    model = MLP(2, [16, 16, 1], seed=0)
    out = model([Value(0.5, "x1"), Value(-1.0, "x2")])
    assert isinstance(out, Value)
    cost = (out - Value(1.0, "y")) ** 2
    cost.label = "C"
    return model, cost


def main() -> None:
    folder = output_dir()
    _, error = seed_network()
    seed = save_backprop_html(error, folder / "network_342.html", title="The 3-4-2 network")
    _, cost = micrograd_network()
    demo = save_backprop_html(cost, folder / "network_micrograd.html", title="MLP(2, [16, 16, 1])")
    print(f"The seeds' 3-4-2 network, neuron by neuron: {seed}")
    print(f"micrograd's demo network (982 nodes): {demo}")


if __name__ == "__main__":
    main()
