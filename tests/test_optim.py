"""SGD and Adam against updates computed by hand, learning-rate schedules, clear rejections of
bad hyperparameters, and a small network that must learn."""

from __future__ import annotations

import math

import pytest

from micrograd_like import modes
from micrograd_like.engine import Value
from micrograd_like.losses import mse
from micrograd_like.nn import MLP
from micrograd_like.optim import SGD, Adam


def param(data: float, grad: float) -> Value:
    p = Value(data, label="w")
    p.grad = grad
    return p


def test_sgd_steps_against_the_gradient() -> None:
    p = param(1.0, 0.5)
    SGD([p], lr=0.1).step()
    assert p.data == pytest.approx(1.0 - 0.1 * 0.5)


def test_sgd_momentum_accumulates_velocity() -> None:
    p = param(1.0, 0.5)
    optimizer = SGD([p], lr=0.1, momentum=0.9)
    optimizer.step()  # v = 0.5, p = 1 - 0.05 = 0.95
    p.grad = 0.2
    optimizer.step()  # v = 0.9 * 0.5 + 0.2 = 0.65, p = 0.95 - 0.065 = 0.885
    assert optimizer.velocity == pytest.approx([0.65])
    assert p.data == pytest.approx(0.885)


def test_sgd_weight_decay_adds_decay_times_weight_to_the_gradient() -> None:
    p = param(2.0, 0.5)
    SGD([p], lr=0.1, weight_decay=0.01).step()  # g = 0.5 + 0.01 * 2 = 0.52
    assert p.data == pytest.approx(2.0 - 0.1 * 0.52)


def test_a_learning_rate_schedule_gets_the_step_index() -> None:
    seen: list[int] = []

    def schedule(k: int) -> float:
        seen.append(k)
        return 1.0 - 0.9 * k / 100  # micrograd's decay

    p = param(0.0, 1.0)
    optimizer = SGD([p], lr=schedule)
    for _ in range(3):
        optimizer.step()
    assert seen == [0, 1, 2]
    assert p.data == pytest.approx(-(1.0 + 0.991 + 0.982))


def test_adam_first_step_is_lr_in_the_gradients_direction() -> None:
    # bias correction: m_hat = g and v_hat = g^2 after one step, so the step is lr * g / |g|
    p, q = param(1.0, 0.3), param(1.0, -50.0)
    Adam([p, q], lr=0.01).step()
    assert p.data == pytest.approx(0.99, rel=1e-9)
    assert q.data == pytest.approx(1.01, rel=1e-9)


def test_adam_second_step_by_hand() -> None:
    p = param(1.0, 0.5)
    optimizer = Adam([p], lr=0.1, betas=(0.9, 0.99), eps=1e-8)
    optimizer.step()
    p.grad = -0.25
    optimizer.step()
    m = 0.9 * (0.1 * 0.5) + 0.1 * -0.25  # 0.02
    v = 0.99 * (0.01 * 0.25) + 0.01 * 0.0625  # 0.003100
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.99**2)
    first = 0.1 * 0.5 / (0.5 + 1e-8)  # m_hat / sqrt(v_hat) = g / |g| on the first step
    expected = 1.0 - first - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert p.data == pytest.approx(expected, rel=1e-12)


def test_adam_weight_decay_adds_decay_times_weight_to_the_gradient() -> None:
    p = param(2.0, 0.0)
    Adam([p], lr=0.1, weight_decay=0.5).step()  # g = 0.5 * 2 = 1 > 0: one step of lr down
    assert p.data == pytest.approx(1.9, rel=1e-9)


def test_a_step_builds_no_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    model = MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    out.backward()
    params = model.parameters()
    before = [p.data for p in params]
    made: list[Value] = []  # every node an op creates passes the engine's forward hook
    with modes.hooks(forward=made.append):
        for optimizer in (SGD(params, lr=0.1, momentum=0.5), Adam(params)):
            optimizer.step()
    assert made == []
    assert [p.data for p in params] != before  # the steps did update, in place
    assert all(p.op == "" and p.inputs == () for p in params)


def test_zero_grad_clears_every_gradient() -> None:
    params = [param(1.0, 0.5), param(2.0, -1.0)]
    Adam(params).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_a_non_finite_gradient_stops_the_step_before_any_update() -> None:
    params = [param(1.0, 0.5), param(2.0, math.inf)]
    with pytest.raises(FloatingPointError, match="gradient of w is inf; no parameter was updated"):
        SGD(params, lr=0.1).step()
    assert [p.data for p in params] == [1.0, 2.0]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: SGD(p, lr=-0.1), ValueError, r"SGD: lr must be in \(0.0, inf\), got -0.1"),
        (lambda p: SGD(p, lr=math.nan), ValueError, "lr must be in"),
        (lambda p: SGD(p, lr="0.1"), TypeError, "SGD: lr must be a number, got str"),  # type: ignore[arg-type]
        (lambda p: SGD(p, lr=0.1, momentum=1.0), ValueError, r"momentum must be in \[0.0, 1.0\)"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1), ValueError, "weight_decay must be in"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be in \[0.0, 1.0\)"),
        (lambda p: Adam(p, eps=0.0), ValueError, r"Adam: eps must be in \(0.0, inf\)"),
        (lambda p: SGD([], lr=0.1), ValueError, "SGD: got no parameters"),
        (lambda p: SGD([1.0], lr=0.1), TypeError, r"params\[0\] must be a Value, got float"),  # type: ignore[list-item]
        (lambda p: SGD(p + p, lr=0.1), ValueError, "a parameter appears twice"),
    ],
)
def test_bad_hyperparameters_are_rejected(make: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make([param(1.0, 0.0)])  # type: ignore[operator]


def test_a_schedule_giving_a_negative_rate_is_rejected_at_that_step() -> None:
    optimizer = SGD([param(1.0, 1.0)], lr=lambda k: 0.1 - 0.1 * k)
    optimizer.step()
    optimizer.step()  # k = 1: lr 0, allowed
    with pytest.raises(ValueError, match=r"schedule gave -0\.1.* at step 2"):
        optimizer.step()


@pytest.mark.parametrize(
    "make",
    [lambda p: SGD(p, lr=0.05, momentum=0.9), lambda p: Adam(p, lr=0.05)],
    ids=["SGD", "Adam"],
)
def test_a_small_network_learns_micrograds_four_examples(make: object) -> None:
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=1)
    optimizer = make(model.parameters())  # type: ignore[operator]
    costs = []
    for _ in range(100):
        cost = mse([model(x) for x in xs], ys)  # type: ignore[misc]
        optimizer.zero_grad()
        cost.backward()
        optimizer.step()
        costs.append(cost.data)
    assert costs[0] > 0.1
    assert costs[-1] < 0.01
