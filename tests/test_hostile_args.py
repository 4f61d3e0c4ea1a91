"""Hostile arguments to the costs, the optimizers and the networks: NumPy numbers work as the
numbers they are, and everything else is refused with the exception a Python user expects
(TypeError for a wrong kind, ValueError for a wrong value) naming the function, the argument
and the value. An optimizer step that would make a weight NaN or infinite changes nothing."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from micrograd_like.engine import Value
from micrograd_like.losses import binary_cross_entropy, cross_entropy, mse
from micrograd_like.nn import MLP, Layer, Module, Neuron
from micrograd_like.optim import SGD, Adam, Optimizer

# --- costs -----------------------------------------------------------------------------------


def test_cross_entropy_takes_a_numpy_integer_as_the_class_index() -> None:
    logits = [Value(1.0), Value(2.0), Value(0.5)]
    assert cross_entropy(logits, np.int64(1)).data == cross_entropy(logits, 1).data


def test_costs_take_numpy_arrays() -> None:
    assert mse(np.array([1.0, 3.0]), np.array([2.0, 1.0])).data == 2.5  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: cross_entropy([1.0, 2.0], 1.0),  # type: ignore[arg-type]
            TypeError,
            r"cross_entropy: target must be a class index \(an int\) or a list of class "
            r"probabilities, got float: 1\.0",
        ),
        (lambda: cross_entropy([1.0, 2.0], None), TypeError, "target must be a class index"),  # type: ignore[arg-type]
        (
            lambda: cross_entropy([1.0, 2.0], 10**5000),
            ValueError,
            r"cross_entropy: target class a huge int is outside 0\.\.1",
        ),
        (lambda: mse([1.0], [math.nan]), ValueError, r"mse: targets\[0\] must be a finite number"),
        (lambda: mse([1.0], [10**400]), ValueError, r"targets\[0\] must be a finite number, got a"),
        (
            lambda: binary_cross_entropy([0.5], [1.0], eps="a"),  # type: ignore[arg-type]
            TypeError,
            "binary_cross_entropy: eps must be a finite number, got str: 'a'",
        ),
        (lambda: binary_cross_entropy([0.5], [1.0], eps=None), TypeError, "eps must be a finite"),  # type: ignore[arg-type]
        (
            lambda: binary_cross_entropy([0.5], [1.0], from_logits="no"),  # type: ignore[arg-type]
            TypeError,
            "binary_cross_entropy: from_logits must be True or False, got 'no'",
        ),
    ],
    ids=[
        "float target",
        "None target",
        "huge target",
        "nan target",
        "huge int target",
        "str eps",
        "None eps",
        "str from_logits",
    ],
)
def test_costs_refuse_bad_arguments_by_name(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


# --- optimizers ------------------------------------------------------------------------------


def test_an_optimizer_takes_numpy_and_fraction_learning_rates_as_floats() -> None:
    from fractions import Fraction

    for lr in (np.float32(0.5), Fraction(1, 2)):
        w = Value(1.0, label="w")
        w.grad = 1.0
        optimizer = SGD([w], lr=lr)  # type: ignore[arg-type]
        optimizer.step()
        assert type(w.data) is float and w.data == 0.5
    schedule = SGD([w], lr=lambda k: np.float32(0.25))
    assert schedule.learning_rate() == 0.25


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            None,
            r"SGD: params must be an iterable of Values \(such as model\.parameters\(\)\), got "
            "NoneType$",
        ),
        (MLP(2, [1], seed=0), "got MLP; pass model.parameters()"),
        (Value(1.0), "params must be an iterable of Values .* got Value$"),
    ],
    ids=["None", "a model", "one Value"],
)
def test_an_optimizer_names_what_params_should_be(params: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        SGD(params, lr=0.1)  # type: ignore[arg-type]


def test_a_learning_rate_too_large_for_a_float_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match=r"SGD: lr must be in \(0.0, inf\), got a huge int"):
        SGD([Value(1.0)], lr=10**400)


def state(optimizer: Optimizer) -> list[object]:
    """Everything a step may change: the weights, the running averages, the step count."""
    saved = {k: list(v) if isinstance(v, list) else v for k, v in vars(optimizer).items()}
    del saved["params"]
    return [[p.data for p in optimizer.params], saved]


@pytest.mark.parametrize(
    ("make", "data", "grads", "message"),
    [
        (
            lambda ps: SGD(ps, lr=10.0),
            [1.0, 2.0],
            [1.0, 1e308],
            r"^SGD\.step: this step would set b to -inf \(data 2\.0, grad 1e\+308, lr 10\.0\); "
            "nothing was changed$",
        ),
        (
            lambda ps: SGD(ps, lr=10.0, momentum=0.9),
            [1.0, 2.0],
            [1.0, 1e308],
            r"SGD\.step: this step would set b to -inf",
        ),
        (
            lambda ps: SGD(ps, lr=0.1, weight_decay=1e300),
            [1e10, 2.0],
            [1.0, 1.0],
            r"SGD\.step: this step would set a to -inf \(data 10000000000\.0",
        ),
        (
            lambda ps: Adam(ps, lr=1e308),
            [-1e308, 2.0],
            [1.0, 1.0],
            r"Adam\.step: this step would set a to -inf",
        ),
        (
            lambda ps: Adam(ps, lr=0.1),
            [1.0, 2.0],
            [1.0, 1e200],
            r"Adam\.step: this step would set v of b to inf \(data 2\.0, grad 1e\+200",
        ),
    ],
    ids=["sgd", "sgd momentum", "sgd weight decay", "adam weight", "adam squared gradient"],
)
def test_a_step_that_would_make_a_weight_or_state_non_finite_changes_nothing(
    make: Callable[[list[Value]], Optimizer], data: list[float], grads: list[float], message: str
) -> None:
    a, b = Value(data[0], label="a"), Value(data[1], label="b")
    a.grad, b.grad = grads
    optimizer = make([a, b])
    before = state(optimizer)
    with pytest.raises(FloatingPointError, match=message):
        optimizer.step()
    assert state(optimizer) == before  # a, whose step was fine, did not move either


# --- networks --------------------------------------------------------------------------------


def weights(model: Module) -> list[float]:
    return [p.data for p in model.parameters()]


def test_networks_take_numpy_sizes_and_seeds_and_save_them_as_plain_ints(tmp_path: Path) -> None:
    model = MLP(np.int64(2), np.array([3, 1]), seed=np.int64(7))  # type: ignore[arg-type]
    assert weights(model) == weights(MLP(2, [3, 1], seed=7))
    model.save(tmp_path / "model.json")  # JSON cannot hold a NumPy integer
    twin = MLP(2, [3, 1], seed=8)
    twin.load(tmp_path / "model.json")
    assert weights(twin) == weights(model)
    assert repr(Layer(np.int64(2), np.int64(1), seed=0)).startswith("Layer(2, 1,")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Neuron("3"), TypeError, "Neuron: nin must be a positive int, got str: '3'"),  # type: ignore[arg-type]
        (lambda: Neuron(2.0), TypeError, "Neuron: nin must be a positive int, got float: 2.0"),  # type: ignore[arg-type]
        (lambda: Neuron(None), TypeError, "nin must be a positive int, got NoneType"),  # type: ignore[arg-type]
        (lambda: Neuron(True), TypeError, "nin must be a positive int, got bool"),
        (
            lambda: Neuron(-(10**5000)),
            ValueError,
            "Neuron: nin must be a positive int, got a huge negative int",
        ),
        (
            lambda: Neuron(2, activation=[]),  # type: ignore[arg-type]
            TypeError,
            r"Neuron: activation must be one of \[.*\], got list: \[\]",
        ),
        (lambda: Layer(2, 2, label=None), TypeError, "Layer: label must be a str, got NoneType"),  # type: ignore[arg-type]
        (lambda: Layer(2, 2, activation="gelu"), ValueError, "Layer: activation must be one of"),
        (lambda: Layer(2, 2, init="zeros"), ValueError, "Layer: init must be one of .* 'zeros'"),
        (lambda: MLP(2, 3), TypeError, "MLP: nouts must be a list of layer sizes, got int: 3"),  # type: ignore[arg-type]
        (lambda: MLP(2, None), TypeError, "MLP: nouts must be a list of layer sizes, got None"),  # type: ignore[arg-type]
        (lambda: MLP(2, [1], init="zeros"), ValueError, "MLP: init must be one of .* 'zeros'"),
    ],
    ids=[
        "str size",
        "float size",
        "None size",
        "bool size",
        "huge negative size",
        "list activation",
        "None label",
        "layer activation",
        "layer init",
        "int nouts",
        "None nouts",
        "unknown init",
    ],
)
def test_networks_refuse_bad_arguments_by_name(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def test_loading_into_a_model_whose_labels_repeat_is_refused(tmp_path: Path) -> None:
    model = MLP(2, [2, 1], seed=0)
    model.save(tmp_path / "model.json")
    model.parameters()[1].label = model.parameters()[0].label  # a hand-edited label
    before = weights(model)
    with pytest.raises(ValueError, match=r"two parameters of this model share the label 'L1\.N1"):
        model.load(tmp_path / "model.json")
    assert weights(model) == before
