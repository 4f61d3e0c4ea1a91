"""A graph built by `nn` seen as a network: layers of neurons, each with its weighted sum z, its
activation a and its delta δ = dC/dz, and the backward pass as the seeds write it, per layer:

    δ_L = dC/da_L ⊙ f'(z_L)               (for C = ½‖a_L − y‖² and sigmoid: (a_L − y) ⊙ σ'(z_L))
    δ_i = (W_{i+1}^T δ_{i+1}) ⊙ f'(z_i)
    ∂C/∂W_i = δ_i x_{i−1}^T,  ∂C/∂b_i = δ_i    (x_i = a_i, layer i's activations; x_0 the input)

A network is recognised from the labels `nn` gives its parameters: `L2.N3.w1` is the weight from
input 1 into neuron 3 of layer 2, `L2.N3.b` its bias. Each weight feeds one `*` node (the weight
times its input), the bias starts the chain of `+` nodes that sums them, the end of that chain
is z, and the activation op reading z (relu, tanh, sigmoid) is a; a linear neuron's a is its z.
Every number shown is the engine's: δ is z's grad, dC/da is a's grad, f'(z) is the local
derivative the activation op stored in the forward pass.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from micrograd_like.engine import Parameter, Value
from micrograd_like.steps import explain
from micrograd_like.view import GraphView, format_number
from micrograd_like.viz import DrawOptions, Graph, draw_view, render_bytes

NETWORK_MAX_NODES = 20_000
"""The page draws a network of up to this many nodes in its network view, however large
`max_nodes` (the limit of the scalar drawing) is."""
EXPLAIN_BUDGET = 1_000_000
"""explain() reads the whole graph for each weight: the page writes it out for every weight
while weights x nodes stays under this (micrograd's demo network: 304 x 982), else a weight
shows its one-line chain rule dC/dw = δ x and how to get explain() in Python."""
LISTED_WEIGHTS = 4
"""A step lists its neuron's weight gradients one per line up to this many inputs, else as one
vector line (a weight's own line is a click away)."""
PARAMETER_LABEL = re.compile(r"^L(\d+)\.N(\d+)\.(?:w(\d+)|b)$")
ACTIVATION_OPS = ("relu", "tanh", "sigmoid")
# f'(z) as the seeds write it, by activation
SLOPES = {"sigmoid": "σ'", "tanh": "tanh'", "relu": "relu'", "linear": "f'"}


@dataclass(frozen=True)
class Neuron:
    """One neuron of a recognised network: a = f(w · x + b), f its activation."""

    layer: int  # 1 for the first hidden layer, L for the output layer
    index: int  # 1-based, as in its label
    weights: tuple[Value, ...]  # w1, w2, ... in order
    bias: Value
    inputs: tuple[Value, ...]  # x_k, the value each weight multiplies
    products: tuple[Value, ...]  # the `w_k * x_k` nodes
    sums: tuple[Value, ...]  # the `+` chain: b + w1 x1, ... ; the last is z
    activation: str  # "relu", "tanh", "sigmoid" or "linear"
    a: Value

    @property
    def name(self) -> str:
        return f"L{self.layer}.N{self.index}"

    @property
    def z(self) -> Value:
        return self.sums[-1]

    def nodes(self) -> list[Value]:
        """The neuron's own part of the graph: parameters, products, sums and activation."""
        own = [*self.weights, self.bias, *self.products, *self.sums]
        return own if self.a is self.z else [*own, self.a]


@dataclass(frozen=True)
class Network:
    """The layers of neurons found in a graph, first hidden layer first."""

    inputs: tuple[Value, ...]  # x_0
    layers: tuple[tuple[Neuron, ...], ...]


def find_network(view: GraphView) -> Network | None:
    """The network `nn` built in the graph of `view`, or None if the graph is not one network
    evaluated once (no `L1.N1.w1` labels, a parameter used twice as on a batch, a layer not fed
    by the one before it, ...). It only reads the graph."""
    consumers: dict[Value, list[Value]] = defaultdict(list)
    for node in view.order:
        for each in node.inputs:
            consumers[each].append(node)
    found: dict[tuple[int, int], dict[str, Any]] = defaultdict(lambda: {"w": {}})
    for node in view.order:
        match = PARAMETER_LABEL.match(node.label) if isinstance(node, Parameter) else None
        if match is None:
            continue
        key = (int(match.group(1)), int(match.group(2)))
        if match.group(3) is None:
            found[key]["b"] = node
        else:
            found[key]["w"][int(match.group(3))] = node
    if not found:
        return None
    depth = max(layer for layer, _ in found)
    layers: list[list[Neuron]] = []
    for layer in range(1, depth + 1):
        width = max((index for lay, index in found if lay == layer), default=0)
        neurons = []
        for index in range(1, width + 1):
            neuron = _neuron(layer, index, found.get((layer, index)), consumers)
            if neuron is None:
                return None
            neurons.append(neuron)
        if not neurons:
            return None
        layers.append(neurons)
    inputs = layers[0][0].inputs
    # numbers given as inputs are lifted into a constant per use: the first layer's inputs
    # agree by value, every later layer reads the activations of the one below
    if any([x.data for x in n.inputs] != [x.data for x in inputs] for n in layers[0]):
        return None
    for below, above in pairwise(layers):
        if any(n.inputs != tuple(m.a for m in below) for n in above):
            return None
    return Network(inputs, tuple(tuple(neurons) for neurons in layers))


def _neuron(
    layer: int, index: int, parts: dict[str, Any] | None, consumers: dict[Value, list[Value]]
) -> Neuron | None:
    """One neuron from its parameters, following the graph nn builds: ((b + w1 x1) + w2 x2)..."""
    if parts is None or "b" not in parts or not parts["w"]:
        return None
    weights_by_number: dict[int, Value] = parts["w"]
    if sorted(weights_by_number) != list(range(1, len(weights_by_number) + 1)):
        return None
    weights = tuple(weights_by_number[k] for k in sorted(weights_by_number))
    products, inputs = [], []
    for weight in weights:
        users = consumers.get(weight, [])
        if len(users) != 1 or users[0].op != "*" or users[0].inputs[0] is not weight:
            return None
        products.append(users[0])
        inputs.append(users[0].inputs[1])
    sums: list[Value] = []
    current: Value = parts["b"]
    for product in products:
        users = consumers.get(current, [])
        if len(users) != 1 or users[0].op != "+" or users[0].inputs != (current, product):
            return None
        current = users[0]
        sums.append(current)
    if any(len(consumers.get(product, [])) != 1 for product in products):
        return None
    users = consumers.get(current, [])
    if len(users) == 1 and users[0].op in ACTIVATION_OPS:
        activation, a = users[0].op, users[0]
    else:
        activation, a = "linear", current
    return Neuron(
        layer,
        index,
        weights,
        parts["b"],
        tuple(inputs),
        tuple(products),
        tuple(sums),
        activation,
        a,
    )


def slope(neuron: Neuron) -> float:
    """f'(z): the local derivative ∂a/∂z the activation op stored in the forward pass."""
    return 1.0 if neuron.a is neuron.z else neuron.a.local_grads[0]


def _n(x: float) -> str:
    text = format_number(x)
    return f"({text})" if x < 0 else text


def _step_text(network: Network, neuron: Neuron, view: GraphView) -> str:
    """The seeds' formulas for one neuron's delta and its parameters' gradients, with numbers.
    Read while the grads are those of the pass (δ is z.grad, dC/da is a.grad)."""
    i, f = neuron.layer, SLOPES[neuron.activation]
    last = len(network.layers)
    cost = view.name(view.root)
    d = cost  # the root's name, in dC/d...
    lines = []
    fz = f"{f}(z)"
    if neuron.activation == "linear":
        why = "a linear neuron: a = z, f'(z) = 1"
    elif neuron.activation == "relu":
        why = f"relu'(z) = {'1 as z > 0' if neuron.z.data > 0 else '0 as z ≤ 0'}"
    elif neuron.activation == "sigmoid":
        why = "σ'(z) = σ(z)(1 − σ(z)) = a(1 − a)"
    else:
        why = "tanh'(z) = 1 − tanh(z)² = 1 − a²"
    if i == last:
        lines.append(f"δ_{i} = d{d}/da_{i} ⊙ {f}(z_{i})   (the output layer: from the cost)")
        lines.append(
            f"{neuron.name}: δ = d{d}/da × {fz} = {_n(neuron.a.grad)} × {_n(slope(neuron))} = "
            f"{format_number(neuron.z.grad)}   ({why})"
        )
    else:
        above = network.layers[i]  # layer i + 1
        lines.append(f"δ_{i} = (W_{i + 1}^T δ_{i + 1}) ⊙ {f}(z_{i})   (from the layer above)")
        k = neuron.index - 1
        terms = " + ".join(f"{_n(n.weights[k].data)} × {_n(n.z.grad)}" for n in above)
        lines.append(
            f"{neuron.name}: (W_{i + 1}^T δ_{i + 1})_{neuron.index} = "
            f"Σ_j W_{i + 1}[j,{neuron.index}] δ_{i + 1}[j] = {terms} = "
            f"{format_number(neuron.a.grad)}"
        )
        lines.append(
            f"{neuron.name}: δ = {_n(neuron.a.grad)} × {fz} = {_n(neuron.a.grad)} × "
            f"{_n(slope(neuron))} = {format_number(neuron.z.grad)}   ({why})"
        )
    delta = neuron.z.grad
    below = {m.a: f"a({m.name})" for m in network.layers[i - 2]} if i > 1 else {}
    row = f"∂{d}/∂W_{i} = δ_{i} x_{i - 1}^T, row {neuron.index}"
    pairs = list(zip(neuron.weights, neuron.inputs, strict=True))
    if len(pairs) <= LISTED_WEIGHTS:  # one line per weight
        lines.append(f"{row}:")
        for weight, x in pairs:
            lines.append(
                f"  d{d}/d{weight.label} = δ × {below.get(x, view.name(x))} = {_n(delta)} × "
                f"{_n(x.data)} = {format_number(weight.grad)}"
            )
    else:  # a wide layer: the row as vectors, each weight's line a click away
        (w_first, x_first), (w_last, x_last) = pairs[0], pairs[-1]
        xs = ", ".join(format_number(x.data) for _, x in pairs)
        grads = ", ".join(format_number(w.grad) for w, _ in pairs)
        lines.append(
            f"{row}: d{d}/d{w_first.label} … d{d}/d{w_last.label} = δ × "
            f"[{below.get(x_first, view.name(x_first))} … "
            f"{below.get(x_last, view.name(x_last))}] = {_n(delta)} × [{xs}] = [{grads}]"
        )
    lines.append(
        f"∂{d}/∂b_{i} = δ_{i}: d{d}/d{neuron.bias.label} = {format_number(neuron.bias.grad)}"
    )
    return "\n".join(lines)


def network_data(view: GraphView, network: Network, options: DrawOptions) -> dict[str, Any]:
    """The network view's data, plain JSON: the input units, the layers of neurons (z, a, δ,
    dC/da, f'(z), their weights with value, gradient and `explain()` text), and the steps of
    the backward pass, one per neuron from the output layer back, each with its formulas and
    numbers. Each neuron also carries the drawing of its own part of the graph (`svg`, the
    scalar view of that neuron, drawn with `options`). Call it while the graph's grads are
    those of one fresh backward pass of the root."""
    root = view.root
    weights = sum(len(n.weights) for neurons in network.layers for n in neurons)
    explained = weights * len(view) <= EXPLAIN_BUDGET
    drawings = iter(
        render_svgs(
            [
                draw_view(view, options, nodes={*n.nodes(), *n.inputs})
                for neurons in network.layers
                for n in neurons
            ]
        )
    )
    layers = []
    for neurons in network.layers:
        layers.append(
            [
                {
                    "name": n.name,
                    "z": format_number(n.z.data),
                    "a": format_number(n.a.data),
                    "delta": format_number(n.z.grad),
                    "dC_da": format_number(n.a.grad),
                    "slope": format_number(slope(n)),
                    "activation": n.activation,
                    "z_id": view.id(n.z),
                    "a_id": view.id(n.a),
                    "nodes": [view.id(node) for node in n.nodes()],
                    "inputs": [view.id(x) for x in n.inputs],
                    "svg": next(drawings),
                    "bias": {
                        "id": view.id(n.bias),
                        "name": n.bias.label,
                        "data": format_number(n.bias.data),
                        "grad": format_number(n.bias.grad),
                    },
                    "weights": [
                        {
                            "id": view.id(w),
                            "name": w.label,
                            "data": w.data,
                            "value": format_number(w.data),
                            "grad": format_number(w.grad),
                            "explain": _explained(root, w, view)
                            if explained
                            else _briefly(root, w, n, x, view, weights),
                        }
                        for w, x in zip(n.weights, n.inputs, strict=True)
                    ],
                }
                for n in neurons
            ]
        )
    steps = [
        {"layer": n.layer, "index": n.index, "text": _step_text(network, n, view)}
        for neurons in reversed(network.layers)
        for n in neurons
    ]
    return {
        "inputs": [
            {"id": view.id(x), "name": view.name(x), "value": format_number(x.data)}
            for x in network.inputs
        ],
        "layers": layers,
        "steps": steps,
        "cost": {"name": view.name(root), "value": format_number(root.data)},
    }


def render_svgs(graphs: list[Graph]) -> list[str]:
    """Each graph laid out as SVG text. With the `dot` executable they go through one run of
    it (dot lays out every graph of its input in turn): a process per neuron would cost more
    than the layouts."""
    executable = shutil.which("dot")
    if executable is not None and graphs:
        source = "\n".join(str(graph.source) for graph in graphs)
        run = subprocess.run([executable, "-Tsvg"], input=source.encode(), capture_output=True)
        pictures = run.stdout.decode("utf-8").split("</svg>")[:-1]
        if run.returncode == 0 and len(pictures) == len(graphs):
            return [picture[picture.index("<svg") :] + "</svg>" for picture in pictures]
    return [_svg(render_bytes(graph, "svg").decode("utf-8")) for graph in graphs]


def _svg(text: str) -> str:
    return text[text.index("<svg") :]


def _briefly(
    root: Value, weight: Value, neuron: Neuron, x: Value, view: GraphView, weights: int
) -> str:
    """A weight's chain rule through its neuron, for networks too large to explain every path
    of every weight in the page."""
    cost = view.name(root)
    return (
        f"d{cost}/d{weight.label} = ∂z/∂{weight.label} × d{cost}/dz = x × δ = "
        f"{_n(x.data)} × {_n(neuron.z.grad)} = {format_number(weight.grad)}\n"
        f"(z is {neuron.name}'s weighted sum, δ its delta. Every path from {cost} to "
        f"{weight.label} is written out by explain({cost}, {weight.label}) in Python; the page "
        f"does not hold it for all {weights:,} weights of a network this size.)"
    )


def _explained(root: Value, weight: Value, view: GraphView) -> str:
    try:
        return explain(root, weight, view=view).text()
    except ValueError as error:  # too many paths to list
        return str(error)
