"""A graph built by `nn` seen as a network: layers of neurons, each with its weighted sum z, its
activation a and its delta δ = dC/dz, and the backward pass as the seeds write it, per layer:

    δ_L = dC/da_L ⊙ f'(z_L)               (for C = ½‖a_L − y‖² and sigmoid: (a_L − y) ⊙ σ'(z_L))
    δ_i = (W_{i+1}^T δ_{i+1}) ⊙ f'(z_i)
    dC/dW_i = δ_i x_{i−1}^T,  dC/db_i = δ_i    (x_i = a_i, layer i's activations; x_0 the input)

The notation is the rest of the project's: d for a gradient of the cost (dC/dW_i, dC/da: what
`backward()` writes into `grad`), ∂ only for a local derivative (∂z/∂w = x, the weighted sum's
own), and the cost by its own name, the root's: dE/dW_2 for a cost labelled E, never a fixed C.

A network is recognised from where `nn` put its parameters, never from their labels: each
parameter a `Neuron` makes records its place as `p.position` (`nn.Position(2, 3, 1)` is the
weight from input 1 into neuron 3 of layer 2, `Position(2, 3, None)` that neuron's bias), or an
explicit `model` gives its layers (`model.layers[i].neurons[j].w[k]`, `.b`). Each weight feeds
one `*` node (the weight times its input), the bias starts the chain of `+` nodes that sums
them, the end of that chain is z, and the activation op reading z (relu, tanh, sigmoid) is a; a
linear neuron's a is its z. Labels only name things in the text, as everywhere else.
Every number shown is the engine's: δ is z's grad, dC/da is a's grad, f'(z) is the local
derivative the activation op stored in the forward pass.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from micrograd_like import nn
from micrograd_like.engine import OPS, Parameter, Value
from micrograd_like.floats import format_factor, format_number
from micrograd_like.steps import explain
from micrograd_like.view import GraphView
from micrograd_like.viz import DrawOptions, draw_view, render_svgs

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


@dataclass(frozen=True)
class Neuron:
    """One neuron of a recognised network: a = f(w · x + b), f its activation."""

    layer: int  # 1 for the first hidden layer, L for the output layer
    index: int  # 1 for the layer's first neuron
    weights: tuple[Value, ...]  # w1, w2, ... in order
    bias: Value
    inputs: tuple[Value, ...]  # x_k, the value each weight multiplies
    products: tuple[Value, ...]  # the `w_k * x_k` nodes
    sums: tuple[Value, ...]  # the `+` chain: b + w1 x1, ... ; the last is z
    activation: str  # an activation op of engine.OPS ("relu", "tanh", ...) or "linear"
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


_Skeleton = list[list[tuple[tuple[Value, ...], Value]]]
"""A network's parameters, layer by layer and neuron by neuron: (its weights in order, its bias)."""


def find_network(view: GraphView, model: nn.Module | None = None) -> Network | None:
    """The network `nn` built in the graph of `view`, or None if the graph is not one network
    evaluated once (no parameters made by `nn`, a parameter used twice as on a batch, a layer
    not fed by the one before it, a hidden activation used by anything but the next layer's
    weights, such as the cost itself: the seeds' δ formula would then be false, ...). It only
    reads the graph.

    Without `model`, the layers and neurons are those the parameters in the graph record in
    their `position` (see `nn.Position`): the labels may say anything. With `model` (an `MLP`,
    a `Layer` or a `Neuron`), they are the model's own, `model.layers[i].neurons[j]`; a model
    with a layer of your own (not an `nn.Layer`), or whose parameters are not in the graph,
    gives None."""
    skeleton = _placed_parameters(view) if model is None else _model_parameters(model)
    if not skeleton:
        return None
    consumers: dict[Value, list[Value]] = defaultdict(list)
    for node in view.order:
        for each in node.inputs:
            consumers[each].append(node)
    layers: list[list[Neuron]] = []
    for layer, parameters in enumerate(skeleton, start=1):
        neurons = []
        for index, (weights, bias) in enumerate(parameters, start=1):
            neuron = _neuron(layer, index, weights, bias, consumers)
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
        # and a hidden activation goes nowhere else (not into the cost directly, say): else
        # dC/da has more terms than (W^T δ) and the seeds' δ formula would be false
        for k, m in enumerate(below):
            feeds = consumers[m.a]  # in the graph's order, which need not be the neurons'
            weighed = {id(n.products[k]) for n in above}
            if len(feeds) != len(above) or {id(user) for user in feeds} != weighed:
                return None
    return Network(inputs, tuple(tuple(neurons) for neurons in layers))


def _placed_parameters(view: GraphView) -> _Skeleton | None:
    """The network the graph's parameters say they form, by their `position`: every layer from
    1 to the last, every neuron of a layer from 1 to its last, each with its bias and its
    weights 1 to n; None if a place is missing or taken twice (two models in one graph)."""
    found: dict[tuple[int, int], dict[int | None, Value]] = defaultdict(dict)
    for node in view.order:
        if not isinstance(node, Parameter):
            continue
        position = getattr(node, "position", None)
        if not isinstance(position, nn.Position):
            continue
        parts = found[position.layer, position.neuron]
        if position.input in parts:
            return None
        parts[position.input] = node
    if not found:
        return None
    skeleton: _Skeleton = []
    depth = max(layer for layer, _ in found)
    for layer in range(1, depth + 1):
        width = max((index for at, index in found if at == layer), default=0)
        neurons = []
        for index in range(1, width + 1):
            parts = found.get((layer, index), {})
            count = len(parts) - 1  # its weights: every part but the bias
            if None not in parts or count < 1 or any(k not in parts for k in range(1, count + 1)):
                return None
            neurons.append((tuple(parts[k] for k in range(1, count + 1)), parts[None]))
        skeleton.append(neurons)
    return skeleton


def _model_parameters(model: nn.Module) -> _Skeleton | None:
    """The network of an `nn` model, as its layers hold it now."""
    if isinstance(model, nn.Neuron):
        return [[(tuple(model.w), model.b)]]
    if isinstance(model, nn.Layer):
        layers = [model]
    elif isinstance(model, nn.MLP):
        layers = model.layers
    else:
        raise TypeError(
            f"find_network: model must be an nn MLP, Layer or Neuron, got "
            f"{type(model).__name__}: {model!r}"
        )
    skeleton: _Skeleton = []
    for layer in layers:
        if not isinstance(layer, nn.Layer) or not all(
            isinstance(neuron, nn.Neuron) for neuron in layer.neurons
        ):
            return None
        skeleton.append([(tuple(neuron.w), neuron.b) for neuron in layer.neurons])
    return skeleton


def _neuron(
    layer: int,
    index: int,
    weights: tuple[Value, ...],
    bias: Value,
    consumers: dict[Value, list[Value]],
) -> Neuron | None:
    """One neuron from its parameters, following the graph nn builds: ((b + w1 x1) + w2 x2)..."""
    if not weights:
        return None
    products, inputs = [], []
    for weight in weights:
        users = consumers.get(weight, [])
        if len(users) != 1 or users[0].op != "*" or users[0].inputs[0] is not weight:
            return None
        products.append(users[0])
        inputs.append(users[0].inputs[1])
    sums: list[Value] = []
    current: Value = bias
    for product in products:
        users = consumers.get(current, [])
        if len(users) != 1 or users[0].op != "+" or users[0].inputs != (current, product):
            return None
        current = users[0]
        sums.append(current)
    if any(len(consumers.get(product, [])) != 1 for product in products):
        return None
    users = consumers.get(current, [])
    if len(users) == 1 and users[0].op in OPS and OPS[users[0].op].activation:
        activation, a = users[0].op, users[0]
    else:
        activation, a = "linear", current
    return Neuron(
        layer,
        index,
        weights,
        bias,
        tuple(inputs),
        tuple(products),
        tuple(sums),
        activation,
        a,
    )


def slope(neuron: Neuron) -> float:
    """f'(z): the local derivative ∂a/∂z the activation op stored in the forward pass."""
    return 1.0 if neuron.a is neuron.z else neuron.a.local_grads[0]


def _slope_name(activation: str) -> str:
    """f' as the seeds write it: σ' for sigmoid, tanh' for tanh, f' for a linear neuron."""
    return "f'" if activation == "linear" else f"{OPS[activation].symbol}'"


_SYMBOL = re.compile(r"\b(a|out)\b")


def _slope_why(neuron: Neuron) -> str:
    """What f'(z) is, from the activation op's derivative in the registry of ops, written in
    z (the op's input) and a (its output): σ'(z) = σ(z) * (1 - σ(z)) = a * (1 - a)."""
    if neuron.activation == "linear":
        return "a linear neuron: a = z, f'(z) = 1"
    op = OPS[neuron.activation]
    local = op.local[0] if op.local else "?"

    def written(formula: str) -> str:
        formula = _SYMBOL.sub(lambda m: "z" if m.group(1) == "a" else "a", formula)
        return formula.replace(f"{op.name}(", f"{op.symbol}(")

    text = f"{_slope_name(op.name)}(z) = {written(local)}"
    in_a = local.replace(f"{op.name}(a)", "out")
    if in_a != local:  # the derivative in terms of the output: as the seeds write it
        return f"{text} = {written(in_a)}"
    z, slope_value = format_number(neuron.z.data), format_number(slope(neuron))
    return f"{text} = {slope_value} at z = {z}"


def _step_text(network: Network, neuron: Neuron, view: GraphView) -> str:
    """The seeds' formulas for one neuron's delta and its parameters' gradients, with numbers.
    Read while the grads are those of the pass (δ is z.grad, dC/da is a.grad)."""
    i, f = neuron.layer, _slope_name(neuron.activation)
    last = len(network.layers)
    d = view.name(view.root)  # the cost's own name, in every gradient d{d}/d...
    lines = []
    fz = f"{f}(z)"
    why = _slope_why(neuron)
    # the numbers of δ = dC/da × f'(z), as factors and as the result
    da, fz_value, delta_text = (
        format_factor(neuron.a.grad),
        format_factor(slope(neuron)),
        format_number(neuron.z.grad),
    )
    if i == last:
        lines.append(f"δ_{i} = d{d}/da_{i} ⊙ {f}(z_{i})   (the output layer: from the cost)")
        lines.append(
            f"{neuron.name}: δ = d{d}/da × {fz} = {da} × {fz_value} = {delta_text}   ({why})"
        )
    else:
        above = network.layers[i]  # layer i + 1
        lines.append(f"δ_{i} = (W_{i + 1}^T δ_{i + 1}) ⊙ {f}(z_{i})   (from the layer above)")
        k = neuron.index - 1
        terms = " + ".join(
            f"{format_factor(n.weights[k].data)} × {format_factor(n.z.grad)}" for n in above
        )
        # dC/da of a hidden neuron is the sum of the shares its users (the next layer's
        # products w_jk a_k) passed back: Σ_j ∂z_j/∂a × δ_j with ∂z_j/∂a = W[j,k]
        lines.append(
            f"{neuron.name}: d{d}/da = (W_{i + 1}^T δ_{i + 1})_{neuron.index} = "
            f"Σ_j W_{i + 1}[j,{neuron.index}] δ_{i + 1}[j] = {terms} = "
            f"{format_number(neuron.a.grad)}"
        )
        lines.append(
            f"{neuron.name}: δ = d{d}/da × {fz} = {da} × {fz_value} = {delta_text}   ({why})"
        )
    delta = neuron.z.grad
    below = {m.a: f"a({m.name})" for m in network.layers[i - 2]} if i > 1 else {}
    row = f"d{d}/dW_{i} = δ_{i} x_{i - 1}^T, row {neuron.index}"
    pairs = list(zip(neuron.weights, neuron.inputs, strict=True))
    if len(pairs) <= LISTED_WEIGHTS:  # one line per weight
        lines.append(f"{row}:")
        for weight, x in pairs:
            lines.append(
                f"  d{d}/d{view.name(weight)} = δ × {below.get(x, view.name(x))} = "
                f"{format_factor(delta)} × {format_factor(x.data)} = {format_number(weight.grad)}"
            )
    else:  # a wide layer: the row as vectors, each weight's line a click away
        (w_first, x_first), (w_last, x_last) = pairs[0], pairs[-1]
        xs = ", ".join(format_number(x.data) for _, x in pairs)
        grads = ", ".join(format_number(w.grad) for w, _ in pairs)
        lines.append(
            f"{row}: d{d}/d{view.name(w_first)} … d{d}/d{view.name(w_last)} = δ × "
            f"[{below.get(x_first, view.name(x_first))} … "
            f"{below.get(x_last, view.name(x_last))}] = {format_factor(delta)} × [{xs}] = [{grads}]"
        )
    lines.append(
        f"d{d}/db_{i} = δ_{i}: d{d}/d{view.name(neuron.bias)} = {format_number(neuron.bias.grad)}"
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
                        "name": view.name(n.bias),
                        "data": format_number(n.bias.data),
                        "grad": format_number(n.bias.grad),
                    },
                    "weights": [
                        {
                            "id": view.id(w),
                            "name": view.name(w),
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


def _briefly(
    root: Value, weight: Value, neuron: Neuron, x: Value, view: GraphView, weights: int
) -> str:
    """A weight's chain rule through its neuron, for networks too large to explain every path
    of every weight in the page."""
    cost, w = view.name(root), view.name(weight)
    return (
        f"d{cost}/d{w} = ∂z/∂{w} × d{cost}/dz = x × δ = "
        f"{format_factor(x.data)} × {format_factor(neuron.z.grad)} = "
        f"{format_number(weight.grad)}\n"
        f"(z is {neuron.name}'s weighted sum, δ its delta. Every path from {cost} to "
        f"{w} is written out by explain({cost}, {w}) in Python; the page "
        f"does not hold it for all {weights:,} weights of a network this size.)"
    )


def _explained(root: Value, weight: Value, view: GraphView) -> str:
    try:
        return explain(root, weight, view=view).text()
    except ValueError as error:  # too many paths to list
        return str(error)
