"""Code written for micrograd runs unchanged on micrograd_like: the nn call semantics that
micrograd-era code relies on (a neuron's `nonlin` read at call time, every layer of an MLP
called), written here in that code's style."""

from __future__ import annotations

import math

import pytest

from micrograd_like.engine import Value
from micrograd_like.nn import MLP, Layer, Module, Neuron

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
