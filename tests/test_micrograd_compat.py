"""Code written for micrograd runs unchanged on micrograd_like, written here in that code's
style: its README's kind of expression, its demo notebook's training loop (NumPy data and all),
its trace_graph notebook's drawing code (reading `_prev` and `_op`), the lecture's backward pass
by hand (`_backward()` one node at a time), state kept on nodes, and the nn call semantics that
such code relies on (a neuron's `nonlin` read at call time, every layer of an MLP called)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from typing import Any

import graphviz
import pytest
from micrograd.engine import Value as MicrogradValue
from micrograd.nn import MLP as MicrogradMLP
from sklearn.datasets import make_moons

from benchmarks.engines import TupleValue
from micrograd_like.engine import Value
from micrograd_like.nn import MLP, Layer, Module, Neuron


@pytest.fixture
def global_random() -> Iterator[None]:
    """Tests that seed the global `random` module put its state back afterwards."""
    state = random.getstate()
    yield
    random.setstate(state)


# ---- Neuron: `nonlin` and `activation`, read when the neuron is called


def test_setting_nonlin_false_after_construction_makes_the_neuron_linear() -> None:
    neuron = Neuron(2, seed=0)
    neuron.w[0].data, neuron.w[1].data = 1.0, 1.0
    assert neuron([-2.0, 0.5]).data == 0.0  # ReLU of -1.5
    neuron.nonlin = False
    assert neuron([-2.0, 0.5]).data == -1.5
    assert neuron.activation == "linear"


def test_setting_nonlin_true_makes_a_linear_neuron_relu() -> None:
    neuron = Neuron(2, nonlin=False, seed=0)
    neuron.w[0].data, neuron.w[1].data = 1.0, 1.0
    assert neuron([-2.0, 0.5]).data == -1.5
    neuron.nonlin = True
    assert neuron([-2.0, 0.5]).data == 0.0
    assert neuron.activation == "relu"


def test_nonlin_true_keeps_a_tanh_neuron_tanh_and_false_makes_it_linear() -> None:
    neuron = Neuron(1, activation="tanh", seed=0)
    neuron.w[0].data = 1.0
    assert neuron.nonlin is True
    neuron.nonlin = True
    assert neuron([0.5]).data == math.tanh(0.5)
    neuron.nonlin = False
    assert neuron([0.5]).data == 0.5
    assert neuron.nonlin is False


def test_setting_activation_after_construction_takes_effect_and_is_checked() -> None:
    neuron = Neuron(1, seed=0)
    neuron.w[0].data = 1.0
    neuron.activation = "sigmoid"
    assert neuron([0.0]).data == 0.5
    assert neuron.nonlin is True
    with pytest.raises(ValueError, match="activation must be one of"):
        neuron.activation = "softplus"
    assert neuron([0.0]).data == 0.5  # a refused setting changes nothing


def test_a_neuron_turned_linear_is_saved_as_linear() -> None:
    neuron = Neuron(1, seed=0)
    neuron.nonlin = False
    assert neuron.architecture()["activation"] == "linear"


# ---- MLP: every layer is called


def test_mlp_calls_a_layer_subclass_own_call() -> None:
    calls: list[int] = []

    class CountingLayer(Layer):
        def __call__(self, x: object) -> Value | list[Value]:
            calls.append(1)
            return super().__call__(x)  # type: ignore[arg-type]

    model = MLP(2, [3, 1], seed=0)
    model.layers[0] = CountingLayer(2, 3, label="L1", seed=1)
    model([1.0, 2.0])
    assert calls == [1]


class Scale(Module):
    """A layer of one's own, micrograd style: a learnable factor per input."""

    def __init__(self, n: int) -> None:
        self.factors = [Value(2.0) for _ in range(n)]

    def __call__(self, x: list[Value]) -> list[Value]:
        return [f * xi for f, xi in zip(self.factors, x, strict=True)]

    def parameters(self) -> list[Value]:
        return self.factors


def test_a_custom_layer_appended_to_model_layers_is_called_and_trained() -> None:
    model = MLP(2, [3], seed=0)
    before = model([1.0, -1.0])
    assert isinstance(before, list)
    model.layers.append(Scale(3))  # type: ignore[arg-type]
    after = model([1.0, -1.0])
    assert isinstance(after, list)
    assert [a.data for a in after] == [2.0 * b.data for b in before]
    sum(after, Value(0.0)).backward()
    assert [f.grad for f in model.layers[-1].parameters()] == [b.data for b in before]
    assert len(model.parameters()) == 3 * 3 + 3
    assert "Scale" in repr(model)


def test_a_one_neuron_hidden_layer_feeds_the_next_layer() -> None:
    model = MLP(2, [1, 2], seed=0)
    hidden = model.layers[0]([1.0, 2.0])
    assert isinstance(hidden, Value)
    out = model([1.0, 2.0])
    assert isinstance(out, list)
    assert [o.data for o in out] == [n([hidden]).data for n in model.layers[1].neurons]

    # a neuron takes a bare Value as its one input, as the layer after a one-neuron layer does
    assert [n(hidden).data for n in model.layers[1].neurons] == [o.data for o in out]


def test_a_one_neuron_layers_bare_value_reaches_a_layer_of_ones_own_as_it_is() -> None:
    """micrograd hands each layer's output to the next unchanged: after a one-neuron layer,
    a layer of one's own receives that Value itself, not a list wrapped around it."""
    received: list[object] = []

    class Double(Module):
        def __call__(self, x: Value) -> Value:
            received.append(x)
            return x * 2.0

    model = MLP(2, [1], seed=0)
    model.layers.append(Double())  # type: ignore[arg-type]
    out = model([1.0, 2.0])
    (given,) = received
    assert isinstance(given, Value) and isinstance(out, Value)
    assert out.data == 2.0 * given.data


# ---- micrograd's README: an expression of every op, then backward()


def readme_style_expression(value: Callable[[float], Any]) -> tuple[Any, Any, Any]:
    """Operators on both sides of numbers, in-place +=, ** and relu, as micrograd's README
    example mixes them."""
    p = value(-3.0)
    q = value(1.5)
    r = p * q + q**2
    r += 2 * r + (q - p).relu()
    s = p - q / 4.0
    s += 1 + s + (-q) * 3
    t = (r * s - 1.0) ** 2
    u = t / 3.0 + 5.0 / (t + 1)
    u.backward()
    return u, p, q


def test_a_readme_style_expression_gives_micrograds_value_and_gradients() -> None:
    u, p, q = readme_style_expression(Value)
    mu, mp, mq = readme_style_expression(MicrogradValue)
    assert u.data == pytest.approx(mu.data, rel=1e-12)
    assert p.grad == pytest.approx(mp.grad, rel=1e-12)
    assert q.grad == pytest.approx(mq.grad, rel=1e-12)


# ---- micrograd's demo.ipynb: the moons training loop, NumPy data and all


def moons_training(value: Callable[[float], Any], mlp: Callable[..., Any]) -> list[float]:
    """Three steps of the demo notebook's loop, on sklearn's moons (NumPy arrays)."""
    X, y = make_moons(n_samples=30, noise=0.1, random_state=0)
    y = y * 2 - 1  # labels -1 and 1, as NumPy ints
    random.seed(1337)
    model = mlp(2, [8, 8, 1])
    costs = []
    for k in range(3):
        inputs = [list(map(value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (si.data > 0) for yi, si in zip(y, scores, strict=True)]
        assert 0 <= sum(accuracy) / len(accuracy) <= 1
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        costs.append(total_loss.data)
    return costs


@pytest.mark.usefixtures("global_random")
def test_the_demo_notebooks_training_loop_runs_and_matches_micrograd_step_by_step() -> None:
    ours = moons_training(Value, MLP)
    theirs = moons_training(MicrogradValue, MicrogradMLP)
    assert ours == pytest.approx(theirs, rel=1e-12)


# ---- trace_graph.ipynb: a drawing made from _prev and _op


def trace(root: Any) -> tuple[set[Any], set[tuple[Any, Any]]]:
    """Every node and (input, output) edge, found through `_prev` as micrograd's notebook does."""
    nodes: set[Any] = set()
    edges: set[tuple[Any, Any]] = set()

    def visit(v: Any) -> None:
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                visit(child)

    visit(root)
    return nodes, edges


def draw(root: Any) -> graphviz.Digraph:
    """A record per node (data | grad), an oval per op, as in micrograd's trace_graph.ipynb."""
    dot = graphviz.Digraph(graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        dot.node(str(id(n)), label=f"{{ data {n.data:.4f} | grad {n.grad:.4f} }}", shape="record")
        if n._op:
            dot.node(str(id(n)) + n._op, label=n._op)
            dot.edge(str(id(n)) + n._op, str(id(n)))
    for child, parent in edges:
        dot.edge(str(id(child)), str(id(parent)) + parent._op)
    return dot


def test_the_trace_graph_drawing_code_reads_prev_and_op() -> None:
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    source = draw(y).source
    assert "data 3.0000 | grad 1.0000" in source  # y
    assert "data 1.0000 | grad 2.0000" in source  # x: dy/dx = 2
    for op in ("*", "+", "relu"):
        assert f"label={op}" in source or f'label="{op}"' in source
    nodes, edges = trace(y)
    mx = MicrogradValue(1.0)
    m_nodes, m_edges = trace((mx * 2 + 1).relu())
    assert (len(nodes), len(edges)) == (len(m_nodes), len(m_edges)) == (6, 5)


def test_prev_is_a_set_of_the_inputs_and_op_the_ops_name() -> None:
    a = Value(3.0)
    b = a * a
    assert b._prev == {a}  # a set: one edge for a * a, as micrograd draws it
    assert b._op == "*" and a._op == ""
    c = a + 1
    assert c._prev == set(c.inputs) and len(c._prev) == 2  # a and the constant 1


# ---- the lecture: backpropagation by hand, one node's _backward() at a time


def lecture_neuron() -> dict[str, Value]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return {v.label: v for v in (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o)}


def test_the_lectures_by_hand_backward_cells_give_its_numbers() -> None:
    v = lecture_neuron()
    v["o"].grad = 1.0
    v["o"]._backward()
    assert v["n"].grad == pytest.approx(0.5)  # do/dn = 1 - o**2 = 1 - 0.7071**2
    v["n"]._backward()
    v["b"]._backward()  # a leaf: nothing to pass on
    v["x1*w1 + x2*w2"]._backward()
    v["x2*w2"]._backward()
    v["x1*w1"]._backward()
    expected = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    assert {k: v[k].grad for k in expected} == pytest.approx(expected)


def test_the_lectures_topological_sort_over_prev_then_backward_equals_backward() -> None:
    by_hand, automatic = lecture_neuron(), lecture_neuron()
    topo: list[Value] = []
    visited: set[Value] = set()

    def build_topo(v: Value) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(by_hand["o"])
    by_hand["o"].grad = 1.0
    for node in reversed(topo):
        node._backward()
    automatic["o"].backward()
    assert {k: x.grad for k, x in by_hand.items()} == {k: x.grad for k, x in automatic.items()}


def test_a_node_used_twice_gets_both_shares_as_the_lecture_fixes_it() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert a.grad == 2.0


# ---- state of one's own on a node, as micrograd-era optimizers keep it


def test_an_optimizer_can_keep_its_momentum_on_each_parameter() -> None:
    model = MLP(2, [4, 1], seed=0)
    for p in model.parameters():
        p.velocity = 0.0  # type: ignore[attr-defined]
    costs = []
    for _ in range(5):
        out = model([Value(0.5), Value(-1.0)])
        assert isinstance(out, Value)
        cost = (out - 1.0) ** 2
        model.zero_grad()
        cost.backward()
        for p in model.parameters():
            p.velocity = 0.9 * p.velocity + p.grad  # type: ignore[attr-defined]
            p.data -= 0.05 * p.velocity  # type: ignore[attr-defined]
        costs.append(cost.data)
    assert costs[-1] < costs[0]
    assert all(isinstance(p.velocity, float) for p in model.parameters())  # type: ignore[attr-defined]


def test_a_label_is_read_set_and_kept_like_any_attribute() -> None:
    """Unlabelled nodes read ""; a label set later sticks and
    sits beside attributes of your own."""
    x = Value(2.0)
    y = x * 3.0
    assert (x.label, y.label) == ("", "")
    y.label = "y"
    y.tag = "seen"  # type: ignore[attr-defined]
    assert (y.label, y.tag, x.label) == ("y", "seen", "")  # type: ignore[attr-defined]
    assert Value(1.0, "w").label == "w" and repr(y).endswith("label='y')")
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, 5)  # type: ignore[arg-type]


# ---- microgpt: its style of model code (sum() from 0, max over .data, ** -0.5, grad = 0)


def microgpt_style_loss(value: Callable[[float], Any], weights: list[list[float]]) -> Any:
    """A one-head attention over two positions and a softmax cost, written the way microgpt
    writes its model: plain sum() (so 0 + Value), a max over .data, a / by a float, ** -0.5."""
    w = [[value(x) for x in row] for row in weights]

    def linear(x: list[Any], m: list[list[Any]]) -> list[Any]:
        return [sum(wi * xi for wi, xi in zip(row, x, strict=True)) for row in m]

    def rmsnorm(x: list[Any]) -> list[Any]:
        scale = (sum(xi * xi for xi in x) / len(x) + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def softmax(logits: list[Any]) -> list[Any]:
        top = max(v.data for v in logits)
        exps = [(v - top).exp() for v in logits]
        total = sum(exps)
        return [e / total for e in exps]

    xs = [rmsnorm([value(0.5), value(-1.0)]), rmsnorm([value(2.0), value(0.25)])]
    q, keys = linear(xs[1], w), [linear(x, w) for x in xs]
    scores = [sum(qi * ki for qi, ki in zip(q, k, strict=True)) / 2**0.5 for k in keys]
    attention = softmax(scores)
    mixed = [sum(a * k[j] for a, k in zip(attention, keys, strict=True)) for j in range(2)]
    probabilities = softmax([m.relu() + 0.1 for m in mixed])
    loss = -probabilities[0].log()
    for row in w:
        for p in row:
            p.grad = 0  # microgpt zeroes with an int
    loss.backward()
    return loss, [p.grad for row in w for p in row]


def test_microgpt_style_model_code_gives_microgpts_engine_loss_and_gradients() -> None:
    weights = [[0.3, -0.7], [0.9, 0.2]]
    loss, grads = microgpt_style_loss(Value, weights)
    their_loss, their_grads = microgpt_style_loss(TupleValue, weights)
    assert loss.data == pytest.approx(their_loss.data, rel=1e-12)
    assert grads == pytest.approx(their_grads, rel=1e-9)
    assert any(g != 0 for g in grads)
