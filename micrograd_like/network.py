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

The page's quiz asks for these numbers before it shows them. Each line of a step that gives a
gradient (dC/da of a hidden neuron, δ, dC/dw) carries its question (`Numbers.question`): the
line with `?` for the number, the number as the page writes it and how close a prediction must
come, and two hints, first which local derivative and which upstream gradient meet, then their
numbers. The page's scalar view asks its own questions the same way (page.py).

A typeset page (`network_data(..., typeset=True)`) also gets each line, rule and hint formula in
LaTeX (`latex.network_line_latex`), and each weight's explain() as the rows of an aligned
display: the page typesets only what it shows, so a line not yet reached has no LaTeX on it.
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from micrograd_like import nn
from micrograd_like.engine import OPS, Parameter, Value
from micrograd_like.latex import network_line_latex, to_latex
from micrograd_like.stepping import backward_pass, put_back
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
TYPESET_EXPLAIN_BUDGET = 100_000
"""A typeset page typesets each weight's explain() while weights x nodes stays under this (the
seeds' 3-4-2 network: 26 x 86; not micrograd's demo network, 304 x 982, whose explain() texts
as LaTeX would add 1.9 MB to its 4.3 MB page): past it a weight's explain() is its text alone."""
LISTED_WEIGHTS = 4
"""A step lists its neuron's weight gradients one per line up to this many inputs, else as one
vector line (a weight's own line is a click away)."""


# ---- numbers as the page writes them, and the questions its quiz asks


@dataclass(frozen=True)
class Formula:
    """A formula inside a hint's words (`∂a/∂O = 0.1683`): the page typesets it there."""

    text: str


Pieces = tuple[str | Formula, ...]
"""Words with the formulas in them marked."""
Words = Pieces | str
"""A hint: its pieces, or a str of words alone."""


class Numbers:
    """Numbers as the page writes them, in its tables, its network view and its quiz: the
    drawing's format (`format_number`'s 4 decimals, or draw_dot's `number_format`), except that
    a number that shows as zero shows without a minus sign (-5.551e-17 in '.4f' is 0.0000, not
    -0.0000; -0.0 is 0.0).

    `latex`, for a typeset page, writes a formula of the page's notation in LaTeX (for the
    root's name: `typesetter(cost)`); the questions then carry their rule and the formulas of
    their hints in LaTeX too. None: the page is not typeset."""

    def __init__(self, options: DrawOptions, latex: Callable[[str], str] | None = None) -> None:
        self.format = options.number_format
        self._number = options.number
        self.latex = latex

    def __call__(self, x: float) -> str:
        text = self._number(x)
        if math.isfinite(x) and "-" in text and not _NONZERO.search(_mantissa(text)):
            return self._number(0.0)  # the format's own zero, with its width and padding
        return text

    def factor(self, x: float) -> str:
        """A number inside a product (`0.5 × (-2.0)`): negatives in brackets."""
        text = self(x).strip()
        return f"({text})" if text.startswith("-") else text

    def within(self, x: float) -> float:
        """How far a prediction of `x` may be from it and still be right "to the shown
        precision": one unit in the last place the page writes (1e-4 for 0.1443, 1e-10 for
        1.235e-07; for '.3e', 1e-4 for 1.443e-01), or a few units in the last place of the float
        itself where that is coarser (a number of 1e20 is written to a handful of digits). An
        infinite number must be typed as inf."""
        if not math.isfinite(x):
            return 0.0
        if self.format is None:  # format_number: 4 decimals, or 4 digits for a small number
            small = round(x, 4) == 0 and x != 0
            unit = 10.0 ** (math.floor(math.log10(abs(x))) - 3) if small else 1e-4
        else:
            unit = _last_place(f"{x:{_alternate(self.format)}}")
        return max(unit, 4 * math.ulp(x))

    def question(
        self,
        name: str,
        rule: str,
        x: float,
        hints: tuple[Words, Words],
        *,
        rule_tex: str | None = None,
    ) -> dict[str, Any]:
        """What the quiz asks about the gradient `x`, named `name` (`dC/dW`, `δ of L2.N1`):
        its line's `rule`, the line without its numbers (the quiz asks `rule = ?`), the `answer`
        as the page writes it, the exact `value` (a string: JSON has no infinity) and `within`,
        how close a prediction must come, and the two `hints`: which local derivative and
        which upstream gradient meet, then their numbers. Neither hint holds the answer.

        Typeset (`latex`): also `rule_tex`, the rule in LaTeX (given, or written by `latex`),
        and `hints_tex`: for each hint, its formulas as `[start, end, LaTeX]`, where the formula
        is `hint[start:end]` in JavaScript's terms (UTF-16 code units, as the page slices it)."""
        value = repr(x) if math.isfinite(x) else ("inf" if x > 0 else "-inf")
        asked = {
            "name": name,
            "rule": rule,
            "answer": self(x).strip(),
            "value": value,
            "within": self.within(x),
            "hints": ["".join(_plain(hint)) for hint in hints],
        }
        if self.latex is not None:
            latex = self.latex
            asked["rule_tex"] = latex(rule) if rule_tex is None else rule_tex
            asked["hints_tex"] = [_formulas(hint, latex) for hint in hints]
        return asked


def _pieces(hint: Words) -> Pieces:
    return (hint,) if isinstance(hint, str) else hint


def _plain(hint: Words) -> list[str]:
    return [piece if isinstance(piece, str) else piece.text for piece in _pieces(hint)]


def _formulas(hint: Words, latex: Callable[[str], str]) -> list[list[int | str]]:
    """The formulas of a hint, each `[start, end, LaTeX]` in UTF-16 code units of its text."""
    found: list[list[int | str]] = []
    at = 0
    for piece in _pieces(hint):
        text = piece if isinstance(piece, str) else piece.text
        end = at + len(text.encode("utf-16-le")) // 2
        if isinstance(piece, Formula):
            found.append([at, end, latex(text)])
        at = end
    return found


def typesetter(cost: str) -> Callable[[str], str]:
    """LaTeX for a line, rule or formula of the page written for the cost named `cost`; each
    text written once per page (a step's upstream gradient is in the hints of all its shares)."""
    return functools.cache(functools.partial(network_line_latex, cost=cost))


_NONZERO = re.compile(r"[1-9]")
# the spec of a float format up to where `#` (the alternate form) goes:
# [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_BEFORE_ALTERNATE = re.compile(r"(?P<head>(?:.?[<>=^])?[-+ ]?z?)#?(?P<tail>.*)", re.S)
_DIGITS = re.compile(r"\d[\d,_]*(?:\.(?P<decimals>\d*))?(?:[eE](?P<exponent>[-+]?\d+))?")


def _mantissa(text: str) -> str:
    """The digits of a formatted number before its exponent (`-0.0000` of `-0.0000e+00`)."""
    return re.split(r"[eE]", text, maxsplit=1)[0]


def _alternate(number_format: str) -> str:
    """`number_format` in its alternate form (`#`), which keeps the trailing zeros of 'g'
    (`#.4g` writes 0.077 as 0.07700): the last digit written is then the precision asked."""
    found = _BEFORE_ALTERNATE.fullmatch(number_format)
    if found is None:  # not a spec viz accepts; it was checked before any work
        return number_format
    alternate = f"{found['head']}#{found['tail']}"
    try:
        f"{0.5:{alternate}}"
    except ValueError:
        return number_format
    return alternate


def _last_place(text: str) -> float:
    """One unit in the last place of a formatted number: 1e-4 for 0.1443, 1e-4 for 1.443e-01,
    1e-4 for 14.43%."""
    found = _DIGITS.search(text)
    if found is None:
        return 0.0
    decimals = len(found["decimals"] or "")
    unit = 10.0 ** (int(found["exponent"] or 0) - decimals)
    return unit / 100 if text.rstrip().endswith("%") else unit


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


def _slope_why(neuron: Neuron, number: Numbers) -> str:
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
    return f"{text} = {number(slope(neuron)).strip()} at z = {number(neuron.z.data).strip()}"


Line = dict[str, Any]
"""A line of a step as the page gets it: its `text` and, for a line that gives a gradient, the
question the quiz asks before showing it (`ask`, see `Numbers.question`: with the line's rule,
the line without its numbers); a line of a share that is not asked has its `rule` itself."""


def _line(text: str, ask: dict[str, Any] | None = None) -> Line:
    return {"text": text} if ask is None else {"text": text, "ask": ask}


def _step_lines(network: Network, neuron: Neuron, view: GraphView, number: Numbers) -> list[Line]:
    """The seeds' formulas for one neuron's delta and its parameters' gradients, with numbers,
    line by line, each gradient's line with its question. Read while the grads are those of
    the pass (δ is z.grad, dC/da is a.grad)."""
    i, f = neuron.layer, _slope_name(neuron.activation)
    last = len(network.layers)
    d = view.name(view.root)  # the cost's own name, in every gradient d{d}/d...
    lines = []
    fz = f"{f}(z)"
    why = _slope_why(neuron, number)
    # the numbers of δ = dC/da × f'(z), as factors and as the result
    da, fz_value, delta_text = (
        number.factor(neuron.a.grad),
        number.factor(slope(neuron)),
        number(neuron.z.grad).strip(),
    )
    name = neuron.name
    delta_rule = f"δ = d{d}/da × {fz}"
    delta_meet: Pieces = (
        "the local derivative ",
        Formula(f"{fz} = ∂a/∂z"),
        f" (how {name}'s activation a moves with its weighted sum z) times the upstream gradient ",
        Formula(f"d{d}/da"),
    )
    delta_numbers: Pieces = (
        "Their numbers: ",
        Formula(f"d{d}/da = {number(neuron.a.grad).strip()}"),
        " and ",
        Formula(f"{fz} = {number(slope(neuron)).strip()}"),
        " (",
        Formula(why),
        ").",
    )
    if i == last:
        lines.append(_line(f"δ_{i} = d{d}/da_{i} ⊙ {f}(z_{i})   (the output layer: from the cost)"))
        upstream = "which the cost passes back to the output"
    else:
        above = network.layers[i]  # layer i + 1
        lines.append(
            _line(f"δ_{i} = (W_{i + 1}^T δ_{i + 1}) ⊙ {f}(z_{i})   (from the layer above)")
        )
        k = neuron.index - 1
        terms = " + ".join(
            f"{number.factor(n.weights[k].data)} × {number.factor(n.z.grad)}" for n in above
        )
        # dC/da of a hidden neuron is the sum of the shares its users (the next layer's
        # products w_jk a_k) passed back: Σ_j ∂z_j/∂a × δ_j with ∂z_j/∂a = W[j,k]
        sum_rule = (
            f"{name}: d{d}/da = (W_{i + 1}^T δ_{i + 1})_{neuron.index} = "
            f"Σ_j W_{i + 1}[j,{neuron.index}] δ_{i + 1}[j]"
        )
        pairs: list[str | Formula] = []
        for j, n in enumerate(above, start=1):
            pairs += [
                *(["; "] if pairs else []),
                Formula(f"W_{i + 1}[{j},{neuron.index}] = {number(n.weights[k].data).strip()}"),
                " and ",
                Formula(f"δ_{i + 1}[{j}] = {number(n.z.grad).strip()}"),
            ]
        ask = number.question(
            f"d{d}/da of {name}",
            sum_rule,
            neuron.a.grad,
            (
                (
                    f"For each neuron j of layer {i + 1}: the local derivative ",
                    Formula("∂z/∂a"),
                    f" of its weighted sum z with respect to {name}'s activation a, which is "
                    "its weight ",
                    Formula(f"W_{i + 1}[j,{neuron.index}]"),
                    ", times its upstream gradient ",
                    Formula(f"δ_{i + 1}[j] = d{d}/dz"),
                    "; then add them up: ",
                    Formula(f"d{d}/da = Σ_j W_{i + 1}[j,{neuron.index}] × δ_{i + 1}[j]"),
                    ".",
                ),
                ("Their numbers: ", *pairs, "."),
            ),
        )
        lines.append(_line(f"{sum_rule} = {terms} = {number(neuron.a.grad).strip()}", ask))
        upstream = "just found, the sum above"
    ask = number.question(
        f"δ of {name}",
        f"{name}: {delta_rule}",
        neuron.z.grad,
        (
            ("Which factors meet: ", *delta_meet, f", {upstream}: ", Formula(delta_rule), "."),
            delta_numbers,
        ),
    )
    lines.append(_line(f"{name}: {delta_rule} = {da} × {fz_value} = {delta_text}   ({why})", ask))
    delta = neuron.z.grad
    below = {m.a: f"a({m.name})" for m in network.layers[i - 2]} if i > 1 else {}
    row = f"d{d}/dW_{i} = δ_{i} x_{i - 1}^T, row {neuron.index}"
    pairs_wx = list(zip(neuron.weights, neuron.inputs, strict=True))

    def weight_question(weight: Value, x: Value) -> dict[str, Any]:
        w, x_name = view.name(weight), below.get(x, view.name(x))
        return number.question(
            f"d{d}/d{w}",
            f"d{d}/d{w} = δ × {x_name}",
            weight.grad,
            (
                (
                    "Which factors meet: the local derivative ",
                    Formula(f"∂z/∂{w} = {x_name}"),
                    ", the input the weight multiplies, times the upstream gradient ",
                    Formula(f"δ = d{d}/dz"),
                    f" of {name}: ",
                    Formula(f"d{d}/d{w} = ∂z/∂{w} × d{d}/dz"),
                    ".",
                ),
                (
                    "Their numbers: ",
                    Formula(f"{x_name} = {number(x.data).strip()}"),
                    " and ",
                    Formula(f"δ = {number(delta).strip()}"),
                    ".",
                ),
            ),
        )

    if len(pairs_wx) <= LISTED_WEIGHTS:  # one line per weight
        lines.append(_line(f"{row}:"))
        for weight, x in pairs_wx:
            lines.append(
                _line(
                    f"  d{d}/d{view.name(weight)} = δ × {below.get(x, view.name(x))} = "
                    f"{number.factor(delta)} × {number.factor(x.data)} = "
                    f"{number(weight.grad).strip()}",
                    weight_question(weight, x),
                )
            )
    else:  # a wide layer: the row as vectors (the quiz asks its first weight's), each weight's
        # line a click away
        (w_first, x_first), (w_last, x_last) = pairs_wx[0], pairs_wx[-1]
        xs = ", ".join(number(x.data).strip() for _, x in pairs_wx)
        grads = ", ".join(number(w.grad).strip() for w, _ in pairs_wx)
        lines.append(
            _line(
                f"{row}: d{d}/d{view.name(w_first)} … d{d}/d{view.name(w_last)} = δ × "
                f"[{below.get(x_first, view.name(x_first))} … "
                f"{below.get(x_last, view.name(x_last))}] = {number.factor(delta)} × [{xs}] = "
                f"[{grads}]",
                weight_question(w_first, x_first),
            )
        )
    lines.append(
        _line(
            f"d{d}/db_{i} = δ_{i}: d{d}/d{view.name(neuron.bias)} = "
            f"{number(neuron.bias.grad).strip()}"
        )
    )
    if number.latex is not None:  # typeset: each line in LaTeX too
        for line in lines:
            line["tex"] = number.latex(line["text"])
    return lines


def network_data(
    view: GraphView, network: Network, options: DrawOptions, *, typeset: bool = False
) -> dict[str, Any]:
    """The network view's data, plain JSON: the input units, the layers of neurons (z, a, δ,
    dC/da, f'(z), their weights with value, gradient and `explain()` text), and the steps of
    the backward pass, one per neuron from the output layer back, each with its formulas and
    numbers, line by line, and the quiz's question for each line that gives a gradient. Each
    neuron also carries the drawing of its own part of the graph (`svg`, the scalar view of
    that neuron, drawn with `options`). Numbers are written as `options` says (`Numbers`).
    Call it while the graph's grads are those of one fresh backward pass of the root.

    A weight's `explain` ends with its gradient; `explain_before` numbers the lines of it that
    hold no number (the paths and the local derivatives' formulas), what the page shows of it
    before the weight's neuron's step: a weight's gradient is never shown before its step.

    `typeset=True` adds the LaTeX of what the page typesets: each step's lines (`tex`), the
    questions' rules and hint formulas (see `Numbers.question`), and, while weights x nodes
    stays under `TYPESET_EXPLAIN_BUDGET`, each weight's `explain_tex`, one row of an aligned
    display for each line of `explain` (`left &right`; None for a line of prose, which keeps
    its text)."""
    root = view.root
    number = Numbers(options, typesetter(view.name(root)) if typeset else None)
    weights = sum(len(n.weights) for neurons in network.layers for n in neurons)
    explained = weights * len(view) <= EXPLAIN_BUDGET
    typeset_explain = typeset and weights * len(view) <= TYPESET_EXPLAIN_BUDGET
    drawings = iter(
        render_svgs(
            [
                draw_view(view, options, nodes={*n.nodes(), *n.inputs})
                for neurons in network.layers
                for n in neurons
            ]
        )
    )

    def weight(w: Value, n: Neuron, x: Value) -> dict[str, Any]:
        full, before, rows = (
            _explained(root, w, view, typeset_explain)
            if explained
            else _briefly(root, w, n, x, view, weights, number)
        )
        return {
            "id": view.id(w),
            "name": view.name(w),
            "data": w.data,
            "value": number(w.data),
            "grad": number(w.grad),
            "explain": full,
            "explain_before": before,
            **({} if rows is None else {"explain_tex": rows}),
        }

    layers = []
    for neurons in network.layers:
        layers.append(
            [
                {
                    "name": n.name,
                    "z": number(n.z.data),
                    "a": number(n.a.data),
                    "delta": number(n.z.grad),
                    "dC_da": number(n.a.grad),
                    "slope": number(slope(n)),
                    "activation": n.activation,
                    "z_id": view.id(n.z),
                    "a_id": view.id(n.a),
                    "nodes": [view.id(node) for node in n.nodes()],
                    "inputs": [view.id(x) for x in n.inputs],
                    "svg": next(drawings),
                    "bias": {
                        "id": view.id(n.bias),
                        "name": view.name(n.bias),
                        "data": number(n.bias.data),
                        "grad": number(n.bias.grad),
                    },
                    "weights": [weight(w, n, x) for w, x in zip(n.weights, n.inputs, strict=True)],
                }
                for n in neurons
            ]
        )
    steps = []
    for neurons in reversed(network.layers):
        for n in neurons:
            lines = _step_lines(network, n, view, number)
            steps.append(
                {
                    "layer": n.layer,
                    "index": n.index,
                    "text": "\n".join(line["text"] for line in lines),
                    "lines": lines,
                }
            )
    return {
        "inputs": [
            {"id": view.id(x), "name": view.name(x), "value": number(x.data)}
            for x in network.inputs
        ],
        "layers": layers,
        "steps": steps,
        "cost": {"name": view.name(root), "value": number(root.data)},
    }


def _briefly(
    root: Value,
    weight: Value,
    neuron: Neuron,
    x: Value,
    view: GraphView,
    weights: int,
    number: Numbers,
) -> tuple[str, list[int], list[str | None] | None]:
    """A weight's chain rule through its neuron, for networks too large to explain every path
    of every weight in the page, the numbers of its lines without numbers and, typeset, their
    rows (see `_explained`): the rule, its numbers under it, and why there is no more."""
    cost, w = view.name(root), view.name(weight)
    rule = f"d{cost}/d{w} = ∂z/∂{w} × d{cost}/dz = x × δ"
    numbers = (
        f"{' ' * len(f'd{cost}/d{w}')} = {number.factor(x.data)} × "
        f"{number.factor(neuron.z.grad)} = {number(weight.grad).strip()}"
    )
    why = (
        f"(z is {neuron.name}'s weighted sum, δ its delta. Every path from {cost} to "
        f"{w} is written out by explain({cost}, {w}) in Python; the page "
        f"does not hold it for all {weights:,} weights of a network this size.)"
    )
    text = f"{rule}\n{numbers}\n{why}"
    if number.latex is None:
        return text, [0, 2], None
    latex, head = number.latex, f"d{cost}/d{w}"
    rows = [
        f"{latex(head)} &{latex(rule.removeprefix(head))}",
        f"&{latex(numbers.strip())}",
        None,  # prose: its text says it
    ]
    return text, [0, 2], rows


def _explained(
    root: Value, weight: Value, view: GraphView, typeset: bool
) -> tuple[str, list[int], list[str | None] | None]:
    """explain(root, weight) as text, and the numbers (from 0) of its lines that hold no
    number, which the page shows before the weight's neuron's step: the first, and for each
    path the local derivatives' names and formulas, not their numbers, the path's product or
    the total. Each path with factors is written in four lines (names, formulas, numbers,
    product), as `Explanation.text` writes them with every factor (identity=True); a text of
    any other shape keeps its first line alone, which says what it explains. `typeset`: also
    the rows of `to_latex(explanation)`'s aligned display, one for each line of the text."""
    try:
        explanation = explain(root, weight, view=view)
    except ValueError as error:  # too many paths to list: the message holds no gradient
        message = str(error)
        return message, list(range(message.count("\n") + 1)), None
    text, paths = explanation.text(), explanation.paths
    rows = _aligned_rows(to_latex(explanation), text.count("\n") + 1) if typeset else None
    if any(not path.factors for path in paths) or text.count("\n") != 1 + 4 * len(paths):
        return text, [0], rows
    before = [0, *(line for k in range(len(paths)) for line in (1 + 4 * k, 2 + 4 * k))]
    return text, before, rows


def _aligned_rows(latex: str, lines: int) -> list[str | None]:
    r"""The rows of `to_latex`'s aligned display (`\begin{aligned}`, rows `left &right` joined by
    `\\` and a newline, `\end{aligned}`), which writes one row per line of the text: `lines`
    of them, checked."""
    head, tail = "\\begin{aligned}\n", "\n\\end{aligned}"
    if not (latex.startswith(head) and latex.endswith(tail)):
        raise AssertionError(f"to_latex wrote no aligned display: {latex[:60]!r}")
    rows: list[str | None] = list(latex[len(head) : -len(tail)].split(" \\\\\n"))
    if len(rows) != lines:
        raise AssertionError(f"to_latex wrote {len(rows)} rows for {lines} lines")
    return rows


def network_deltas(cost: Value, *, model: nn.Module | None = None) -> list[list[float]]:
    """δ = dC/dz for every neuron of the network `nn` built in the graph of `cost`, as a table:
    one row per layer, the first hidden layer first, each neuron in order, so that
    `network_deltas(C)[i - 1][j - 1]` is the δ of layer i's neuron j, the number the network
    view shows at its step. They are the weighted sums' gradients of one fresh backward pass
    (every leaf grad started at 0), run aside: every grad of the graph is left exactly as it
    was. The network is found as the page finds it (`find_network`: from where `nn` put each
    parameter, or from `model`'s layers); a graph that is not one network evaluated once is a
    ValueError saying so."""
    if not isinstance(cost, Value):
        raise TypeError(
            f"network_deltas: cost must be a Value, got {type(cost).__name__}: {cost!r}"
        )
    if model is not None and not isinstance(model, (nn.MLP, nn.Layer, nn.Neuron)):
        raise TypeError(
            f"network_deltas: model must be an nn MLP, Layer or Neuron, got "
            f"{type(model).__name__}: {model!r}"
        )
    view = GraphView(cost)
    network = find_network(view, model)
    if network is None:
        raise ValueError(
            f"network_deltas: the graph of {view.name(cost)} is not one network built by nn "
            "and evaluated once (no parameters made by nn, a weight used twice as on a batch, "
            "or a hidden activation used outside the next layer), so it has no deltas per layer"
        )
    with put_back(view.order):
        for leaf in view.leaves():
            leaf.grad = 0.0
        for _ in backward_pass(cost):
            pass
        return [[n.z.grad for n in layer] for layer in network.layers]
