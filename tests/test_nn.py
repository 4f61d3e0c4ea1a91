"""Neuron, Layer and MLP: micrograd's weights and outputs, labels, activations, initialisation,
seeds, and clear errors for wrong inputs."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import pytest
from micrograd.engine import Value as MicrogradValue
from micrograd.nn import MLP as MicrogradMLP

from micrograd_like.engine import Value
from micrograd_like.nn import MLP, Layer, Neuron, Parameter


@pytest.fixture
def global_random() -> Iterator[None]:
    """Tests that seed the global `random` module put its state back afterwards."""
    state = random.getstate()
    yield
    random.setstate(state)


# ---- micrograd compatibility


@pytest.mark.usefixtures("global_random")
def test_same_global_seed_gives_micrograds_weights_outputs_and_gradients() -> None:
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    random.seed(1337)
    theirs = MicrogradMLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]

    for x in ([0.5, -1.2], [2.0, 0.3]):
        out = ours([Value(xi) for xi in x])
        expected = theirs([MicrogradValue(xi) for xi in x])
        assert isinstance(out, Value)
        (out * out).backward()
        (expected * expected).backward()
        assert out.data == pytest.approx(expected.data, rel=1e-12, abs=1e-12)
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-12)


def test_defaults_are_micrograds_relu_hidden_linear_output_zero_bias() -> None:
    model = MLP(3, [4, 4, 1], seed=0)
    assert [layer.neurons[0].activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert [layer.neurons[0].nonlin for layer in model.layers] == [True, True, False]
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)
    assert all(-1 <= p.data <= 1 for p in model.parameters())
    assert Neuron(2, seed=0).activation == "relu"
    assert Neuron(2, nonlin=False, seed=0).activation == "linear"


def test_neuron_computes_activation_of_weighted_sum_plus_bias() -> None:
    neuron = Neuron(2, activation="tanh", seed=0)
    neuron.b.data = 0.3
    w1, w2 = neuron.w[0].data, neuron.w[1].data
    assert neuron([1.5, -2.0]).data == pytest.approx(math.tanh(w1 * 1.5 - w2 * 2.0 + 0.3))


def test_neuron_builds_micrograds_graph_shape() -> None:
    neuron = Neuron(2, nonlin=False, seed=0)
    x1, x2 = Value(1.0), Value(2.0)
    z = neuron([x1, x2])  # (b + w1*x1) + w2*x2
    first, second = z.inputs
    assert first.op == "+" and first.inputs[0] is neuron.b
    assert second.op == "*" and second.inputs == (neuron.w[1], x2)


@pytest.mark.parametrize(
    ("activation", "f"),
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_each_activation_is_applied_to_the_weighted_sum(activation: str, f: object) -> None:
    neuron = Neuron(1, activation=activation, seed=0)
    neuron.w[0].data, neuron.b.data = 2.0, -0.5
    for x in (-1.0, 0.1, 2.0):
        assert neuron([x]).data == pytest.approx(f(2.0 * x - 0.5))  # type: ignore[operator]


def test_layer_of_one_neuron_returns_a_bare_value_else_a_list() -> None:
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    outputs = Layer(2, 3, seed=0)([1.0, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 3


def test_mlp_with_a_one_neuron_hidden_layer_works() -> None:
    model = MLP(2, [1, 2], seed=0)  # micrograd fails here: its hidden Layer returns a bare Value
    hidden = model.layers[0].neurons[0]([1.0, 2.0])
    expected = [neuron([hidden]).data for neuron in model.layers[1].neurons]
    assert [out.data for out in model([1.0, 2.0])] == expected  # type: ignore[union-attr]


def test_mlp_gradients_match_finite_differences() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=4)
    x = [0.7, -0.4]

    def cost() -> float:
        out = model(x)
        assert isinstance(out, Value)
        return out.data

    out = model(x)
    assert isinstance(out, Value)
    out.backward()
    h = 1e-6
    for p in model.parameters():
        p.data += h
        up = cost()
        p.data -= 2 * h
        down = cost()
        p.data += h
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8), p.label


# ---- parameters, labels, repr


def test_parameter_labels_say_where_they_live() -> None:
    model = MLP(2, [2, 1], seed=0)
    assert [p.label for p in model.parameters()] == [
        "L1.N1.w1", "L1.N1.w2", "L1.N1.b",
        "L1.N2.w1", "L1.N2.w2", "L1.N2.b",
        "L2.N1.w1", "L2.N1.w2", "L2.N1.b",
    ]  # fmt: skip
    assert [p.label for p in Neuron(2, seed=0).parameters()] == ["N1.w1", "N1.w2", "N1.b"]


def test_parameters_are_parameter_values() -> None:
    params = MLP(2, [2, 1], seed=0).parameters()
    assert len(params) == 9
    assert all(isinstance(p, Parameter) and isinstance(p, Value) for p in params)
    assert repr(Parameter(0.5, "w")) == "Value(data=0.5, grad=0.0, label='w')"


def test_zero_grad_clears_every_parameter() -> None:
    model = MLP(2, [2, 1], seed=0)
    for p in model.parameters():
        p.grad = 3.0
    model.zero_grad()
    assert [p.grad for p in model.parameters()] == [0.0] * 9


def test_repr_reads_like_the_constructor() -> None:
    assert repr(MLP(2, [16, 16, 1], seed=0)) == (
        "MLP(2, [16, 16, 1], activations=['relu', 'relu', 'linear'])"
    )
    assert repr(Layer(3, 2, seed=0, activation="tanh")) == (
        "Layer(3, 2, activation='tanh', label='L1')"
    )
    assert repr(Neuron(3, seed=0)) == "Neuron(3, activation='relu', label='N1')"


# ---- initialisation and seeds


@pytest.mark.parametrize(
    ("init", "limit"), [("uniform", 1.0), ("xavier", math.sqrt(6 / 5)), ("he", math.sqrt(6 / 2))]
)
def test_init_draws_uniform_weights_within_its_limit(init: str, limit: float) -> None:
    layer = Layer(2, 3, init=init, seed=7)  # fan in 2, fan out 3
    rng = random.Random(7)
    expected = [rng.uniform(-limit, limit) for _ in range(6)]
    assert [w.data for n in layer.neurons for w in n.w] == expected


def test_a_seed_reproduces_weights_without_touching_global_random() -> None:
    state = random.getstate()
    first, second = MLP(2, [4, 1], seed=5), MLP(2, [4, 1], seed=5)
    assert random.getstate() == state
    assert [p.data for p in first.parameters()] == [p.data for p in second.parameters()]
    other = MLP(2, [4, 1], seed=6)
    assert [p.data for p in first.parameters()] != [p.data for p in other.parameters()]


def test_neurons_of_a_seeded_layer_differ() -> None:
    layer = Layer(2, 2, seed=5)
    assert [w.data for w in layer.neurons[0].w] != [w.data for w in layer.neurons[1].w]


def test_a_random_generator_can_be_the_seed() -> None:
    rng = random.Random(9)
    weights = [w.data for w in Neuron(3, seed=rng).w]
    check = random.Random(9)
    assert weights == [check.uniform(-1, 1) for _ in range(3)]


# ---- errors


def test_wrong_number_of_inputs_says_expected_and_got() -> None:
    with pytest.raises(ValueError, match=r"L1\.N1: expected 2 inputs, got 3"):
        MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0])


def test_a_non_number_input_names_its_position_and_type() -> None:
    with pytest.raises(TypeError, match=r"N1: input 2 must be a number or a Value, got str: 'a'"):
        Neuron(2, seed=0)([1.0, "a"])  # type: ignore[list-item]


def test_a_bool_input_is_rejected() -> None:
    with pytest.raises(TypeError, match="input 1 must be a number or a Value, got bool"):
        Neuron(1, seed=0)([True])


def test_a_bare_number_instead_of_a_list_says_a_sequence_was_expected() -> None:
    with pytest.raises(TypeError, match=r"expected a sequence of 1 inputs .* got float"):
        Neuron(1, seed=0)(1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Neuron(0), "nin must be a positive int, got 0"),
        (lambda: Neuron(2, activation="gelu"), "activation must be one of .* got 'gelu'"),
        (lambda: Neuron(2, init="normal"), "init must be one of .* got 'normal'"),
        (lambda: MLP(2, []), "nouts must be a non-empty list"),
        (lambda: MLP(2, [3, 0]), "every layer size in nouts must be a positive int, got 0"),
        (lambda: MLP(2, [1], output_activation="softmax"), "got 'softmax'"),
    ],
)
def test_bad_constructor_arguments_are_rejected(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_a_bool_seed_is_rejected() -> None:
    with pytest.raises(TypeError, match=r"seed must be an int, a random\.Random or None, got bool"):
        MLP(2, [1], seed=True)


def test_set_weights_takes_the_seeds_matrices_and_weights_gives_them_back() -> None:
    from demos.seed_342_network import initial_parameters

    model = MLP(3, [4, 2], activation="sigmoid", output_activation="sigmoid")
    params = initial_parameters()
    model.set_weights(params.weights, params.biases)
    Ws, bs = model.weights()
    assert Ws == [[list(map(float, row)) for row in W] for W in params.weights]
    assert bs == [list(map(float, b)) for b in params.biases]
    # W[j][k] is the weight from input k into neuron j: L2.N2.w4 is W_2's row 2, column 4
    assert model.layers[1].neurons[1].w[3].data == params.weights[1][1][3]


@pytest.mark.parametrize(
    ("Ws", "bs", "error", "match"),
    [
        ([[[1.0, 2.0]]], [[0.0]], ValueError, r"W\[0\] has 2 numbers; the layer needs 3"),
        ([[[1.0, 2.0, 3.0]] * 2], [[0.0]], ValueError, r"L1: W has 2 rows; the layer has 1"),
        ([[[1.0, 2.0, "3"]]], [[0.0]], TypeError, r"L1: W\[0\]\[2\].*str"),
        ([[[1.0, 2.0, math.inf]]], [[0.0]], ValueError, r"W\[0\]\[2\] is inf"),
        ([[[1.0, 2.0, 3.0]]], [[0.0, 1.0]], ValueError, r"L1: b has 2 numbers"),
        ([[[1.0, 2.0, 3.0]]], [], ValueError, r"bs has 0 entries for 1 layers"),
        ("W", [[0.0]], TypeError, r"Ws must be a list"),
    ],
)
def test_set_weights_checks_everything_before_changing_a_weight(
    Ws: object, bs: object, error: type[Exception], match: str
) -> None:
    model = MLP(3, [1], seed=1)
    before = model.weights()
    with pytest.raises(error, match=match):
        model.set_weights(Ws, bs)  # type: ignore[arg-type]
    assert model.weights() == before
