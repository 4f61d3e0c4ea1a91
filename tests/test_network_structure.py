"""The network view takes a network's layers and neurons from the model's structure, never from
its labels: each parameter a `Neuron` makes records its place (`p.position`, an `nn.Position`),
or `find_network(view, model=...)` reads the model's own layers. Labels only name things."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from demos.network_page import micrograd_network, seed_network
from micrograd_like.engine import Parameter, Value
from micrograd_like.network import find_network
from micrograd_like.nn import MLP, Layer, Neuron, Position
from micrograd_like.page import backprop_data
from micrograd_like.view import GraphView


def neurons_of(model: MLP) -> list[list[tuple[tuple[Value, ...], Value]]]:
    """The oracle: the model's parameters as its layers hold them, (weights, bias) per neuron."""
    return [[(tuple(n.w), n.b) for n in layer.neurons] for layer in model.layers]


def found(cost: Value, model: MLP | None = None) -> list[list[tuple[tuple[Value, ...], Value]]]:
    """The (weights, bias) of each neuron of the network found in the graph of `cost`."""
    network = find_network(GraphView(cost), model=model)
    assert network is not None
    return [[(n.weights, n.bias) for n in layer] for layer in network.layers]


# ---- nn records where each parameter lives


def test_every_parameter_of_an_mlp_records_its_layer_neuron_and_input() -> None:
    model = MLP(3, [4, 2], seed=0)
    for i, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            places = [w.position for w in neuron.w]  # type: ignore[attr-defined]
            assert places == [Position(i, j, k) for k in range(1, layer.nin + 1)]
            assert neuron.b.position == Position(i, j, None)  # type: ignore[attr-defined]


def test_a_layer_and_a_neuron_made_alone_say_where_they_sit_when_told() -> None:
    assert Neuron(2, seed=0).b.position == Position(1, 1, None)  # type: ignore[attr-defined]
    neuron = Neuron(2, layer=3, index=4, seed=0)
    assert neuron.w[1].position == Position(3, 4, 2)  # type: ignore[attr-defined]
    layer = Layer(2, 3, index=2, seed=0)
    assert layer.neurons[2].b.position == Position(2, 3, None)  # type: ignore[attr-defined]
    assert [n.label for n in layer.neurons] == ["L1.N1", "L1.N2", "L1.N3"]  # labels: unchanged


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Neuron(2, layer=0), "Neuron: layer must be a positive int, got 0"),
        (lambda: Neuron(2, index="1"), "Neuron: index must be a positive int, got str: '1'"),  # type: ignore[arg-type]
        (lambda: Layer(2, 2, index=-1), "Layer: index must be a positive int, got -1"),
    ],
)
def test_a_place_that_is_not_a_positive_int_is_refused(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        make()


# ---- the view reads positions, not labels


def test_relabelling_every_parameter_keeps_the_network() -> None:
    model, cost = micrograd_network()
    for p in model.parameters():
        p.label = "foo"
    assert found(cost) == neurons_of(model)


def test_relabelled_weights_are_named_by_their_labels_in_the_steps() -> None:
    model, cost = seed_network()
    for k, p in enumerate(model.parameters()):
        p.label = f"p{k}"
    data = backprop_data(cost)
    network = data["network"]
    assert network is not None
    first = network["layers"][0][0]
    assert [w["name"] for w in first["weights"]] == ["p0", "p1", "p2"]
    assert first["bias"]["name"] == "p3"
    step = next(s["text"] for s in network["steps"] if (s["layer"], s["index"]) == (1, 1))
    assert "dE/dp0 = δ × x1 = " in step
    assert "dE/db_1 = δ_1: dE/dp3 = " in step
    assert "L1.N1" in step  # the neuron's name: its place, whatever its parameters are called
    assert "δ_1 = (W_2^T δ_2) ⊙ σ'(z_1)" in step


def test_unlabelled_parameters_are_named_as_the_drawing_names_them() -> None:
    model, cost = seed_network()
    for p in model.parameters():
        p.label = ""
    view = GraphView(cost)
    data = backprop_data(cost)
    assert data["network"] is not None
    weight = model.layers[1].neurons[0].w[0]
    shown = data["network"]["layers"][1][0]["weights"][0]["name"]
    assert shown == view.name(weight) == f"leaf{view.index(weight)}"
    step = data["network"]["steps"][0]["text"]  # layer 2, neuron 1
    assert f"dE/d{shown} = δ × a(L1.N1) = " in step


def test_labels_that_look_like_nn_labels_do_not_make_a_network() -> None:
    w, b = Parameter(0.8, "L1.N1.w1"), Parameter(0.1, "L1.N1.b")  # made by hand, not by nn
    out = (b + w * Value(1.5, "x")).tanh()
    assert find_network(GraphView(out)) is None


def test_a_graph_of_two_networks_is_not_one_network() -> None:
    one, other = MLP(2, [2, 1], seed=0), MLP(2, [2, 1], seed=1)
    outs = [one([1.0, 2.0]), other([1.0, 2.0])]
    total = sum((out for out in outs if isinstance(out, Value)), Value(0.0))
    assert find_network(GraphView(total)) is None  # every place is taken twice


def test_a_parameter_that_lost_its_position_means_no_network_unless_the_model_is_given() -> None:
    model, cost = seed_network()
    del model.layers[1].neurons[1].w[2].position  # type: ignore[attr-defined]
    assert find_network(GraphView(cost)) is None
    assert found(cost, model) == neurons_of(model)


# ---- or the model's own layers


def test_an_explicit_model_gives_the_same_network() -> None:
    model, cost = micrograd_network()
    assert found(cost, model) == found(cost) == neurons_of(model)


def test_a_layer_or_a_neuron_as_the_model_is_a_network_of_one_layer() -> None:
    layer = Layer(2, 3, activation="tanh", seed=0)
    outs = layer([Value(0.5, "x1"), Value(-1.0, "x2")])
    assert isinstance(outs, list)
    total = sum(outs, Value(0.0))
    network = find_network(GraphView(total), model=layer)
    assert network is not None and [len(neurons) for neurons in network.layers] == [3]
    neuron = layer.neurons[1]
    single = find_network(GraphView(neuron([Value(0.5, "x1"), Value(-1.0, "x2")])), model=neuron)
    assert single is not None and single.layers[0][0].weights == tuple(neuron.w)


def test_a_model_whose_parameters_are_not_in_the_graph_gives_no_network() -> None:
    _, cost = seed_network()
    assert find_network(GraphView(cost), model=MLP(3, [4, 2], seed=0)) is None


def test_a_model_with_a_layer_of_your_own_gives_no_network() -> None:
    class Doubling:
        def __call__(self, x: list[Value]) -> list[Value]:
            return [2 * xi for xi in x]

        def parameters(self) -> list[Value]:
            return []

    model = MLP(2, [2, 2], seed=0)
    model.layers.append(Doubling())  # type: ignore[arg-type]
    out = model([1.0, 2.0])
    assert isinstance(out, list)
    assert find_network(GraphView(sum(out, Value(0.0))), model=model) is None


def test_a_model_that_is_not_an_nn_network_is_a_type_error() -> None:
    _, cost = seed_network()
    with pytest.raises(TypeError, match="find_network: model must be an nn MLP, Layer or Neuron"):
        find_network(GraphView(cost), model=3)  # type: ignore[arg-type]
