"""One neuron per layer (seed 000): a_n = sigmoid(O_n), O_n = W_n a_{n-1} + b_n, C = (a_L - y)^2.

The cost depends on W_L only through O_L and a_L, so by the chain rule
dC/dW_L = dC/da_L * da_L/dO_L * dO_L/dW_L = 2(a_L - y) * sigma'(O_L) * a_{L-1}.
One layer down the chain is two links longer, through a_{L-1} and O_{L-1}:
dC/dW_{L-1} = 2(a_L - y) * sigma'(O_L) * W_L * sigma'(O_{L-1}) * a_{L-2}.
backward() multiplies exactly these local derivatives, for every layer at once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from micrograd_like import Value, save_graph

X, Y = 1.5, 0.2  # the input a_0 and the desired output y
WEIGHTS = (0.8, -1.2, 1.5)  # W_1 .. W_L: three layers of one neuron each
BIASES = (0.1, 0.3, -0.2)
LEARNING_RATE = 2.0


@dataclass(frozen=True)
class Network:
    """The graph of the chain: its cost and the nodes the seed names, layer by layer."""

    cost: Value
    weights: list[Value]  # W_1 .. W_L
    biases: list[Value]  # b_1 .. b_L
    outputs: list[Value]  # O_1 .. O_L
    activations: list[Value]  # a_0 (the input) .. a_L


def build(
    weights: tuple[float, ...] = WEIGHTS,
    biases: tuple[float, ...] = BIASES,
    x: float = X,
    y: float = Y,
) -> Network:
    """Forward pass through the chain of one-neuron layers, every node labelled as in the seed,
    then backward() from the cost: every node's grad is filled in on return."""
    ws = [Value(w, label=f"W{n}") for n, w in enumerate(weights, 1)]
    bs = [Value(b, label=f"b{n}") for n, b in enumerate(biases, 1)]
    activations = [Value(x, label="a0")]
    outputs = []
    for n, (w, b) in enumerate(zip(ws, bs, strict=True), 1):
        o = w * activations[-1] + b
        o.label = f"O{n}"
        a = o.sigmoid()
        a.label = f"a{n}"
        outputs.append(o)
        activations.append(a)
    cost = (activations[-1] - Value(y, label="y")) ** 2
    cost.label = "C"
    cost.backward()
    return Network(cost, ws, bs, outputs, activations)


def train(
    steps: int = 100, learning_rate: float = LEARNING_RATE
) -> tuple[list[float], tuple[float, ...], tuple[float, ...]]:
    """Gradient descent on every W_n and b_n; returns the cost before each step and the result."""
    weights: tuple[float, ...] = WEIGHTS
    biases: tuple[float, ...] = BIASES
    costs = []
    for _ in range(steps):
        net = build(weights, biases)
        costs.append(net.cost.data)
        weights = tuple(w.data - learning_rate * w.grad for w in net.weights)
        biases = tuple(b.data - learning_rate * b.grad for b in net.biases)
    return costs, weights, biases


def main(folder: Path | None = None) -> None:
    net = build()
    a, o = [v.data for v in net.activations], [v.data for v in net.outputs]
    last = len(net.weights)
    dc_da = 2 * (a[last] - Y)  # dC/da_L
    sigma_last = a[last] * (1 - a[last])  # sigma'(O_L) = sigma(O_L)(1 - sigma(O_L))
    sigma_below = a[last - 1] * (1 - a[last - 1])  # sigma'(O_{L-1})
    print(f"One neuron per layer (seed 000): {last} layers, a0 = {X}, y = {Y}")
    print(f"  C = (a_L - y)^2 = ({a[last]:.4f} - {Y})^2 = {net.cost.data:.4f}")
    print(
        f"  dC/dW_L = 2(a_L - y) * sigma'(O_L) * a_{{L-1}} = {dc_da:.4f} * {sigma_last:.4f}"
        f" * {a[last - 1]:.4f} = {dc_da * sigma_last * a[last - 1]:.6f};"
        f" engine {net.weights[-1].grad:.6f}"
    )
    w_last = net.weights[-1].data  # W_L
    below = dc_da * sigma_last * w_last * sigma_below * a[last - 2]
    print(
        f"  dC/dW_{{L-1}} = 2(a_L - y) * sigma'(O_L) * W_L * sigma'(O_{{L-1}}) * a_{{L-2}}"
        f" = {below:.6f};"
        f" engine {net.weights[-2].grad:.6f}"
    )
    print(f"  (O_L = {o[-1]:.4f}, O_{{L-1}} = {o[-2]:.4f})")
    costs, _, _ = train()
    print(f"  training: C = {costs[0]:.4f} -> {costs[-1]:.2e} in {len(costs)} steps")
    path = save_graph(net.cost, (folder or output_dir()) / "one_neuron_layers_graph.svg")
    print(f"  cause-and-effect tree: {path}")


if __name__ == "__main__":
    main()
