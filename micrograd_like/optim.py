"""Optimizers: move every parameter a small step against its gradient, w <- w - lr * dC/dw.

`step()` reads each parameter's `grad` (filled by `cost.backward()`) and sets its `data`
directly, so an update records no graph. The learning rate `lr` is a number or a function of
the step index (0, 1, 2, ...), such as micrograd's decay `lambda k: 1.0 - 0.9 * k / 100`.

A step is all or nothing: it works out every new weight (and the optimizer's running
averages) first, and if any gradient or any result is NaN or infinite it raises
`FloatingPointError` naming the parameter and the numbers, with nothing changed. A Ctrl-C
(KeyboardInterrupt) during a step changes nothing either, or waits until every weight, running
average and the step count have moved (`interrupts.interrupts_deferred`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from numbers import Real
from typing import cast

from micrograd_like.engine import Value
from micrograd_like.floats import is_number
from micrograd_like.interrupts import interrupts_deferred
from micrograd_like.view import printable

LearningRate = float | Callable[[int], float]


class Optimizer(ABC):
    """What SGD and Adam share: the parameters, the learning rate, the step count, and a
    `step()` that checks every gradient before it changes any parameter."""

    def __init__(self, params: Iterable[Value], lr: LearningRate) -> None:
        name = type(self).__name__
        if isinstance(params, (Value, str)) or not isinstance(params, Iterable):
            hint = "; pass model.parameters()" if hasattr(params, "parameters") else ""
            raise TypeError(
                f"{name}: params must be an iterable of Values (such as model.parameters()), "
                f"got {type(params).__name__}{hint}"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: got no parameters to optimize")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{name}: params[{i}] must be a Value, got {type(p).__name__}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{name}: a parameter appears twice; it would be updated twice")
        if not callable(lr):
            _check_range(name, "lr", lr, low=0.0, low_open=True)
            lr = float(lr)  # a NumPy float or a Fraction computes as a float
        self.lr = lr
        self.steps = 0  # the index of the next step, passed to a learning-rate schedule

    def learning_rate(self) -> float:
        """The learning rate of the next step."""
        if not callable(self.lr):
            return self.lr
        lr = self.lr(self.steps)
        if isinstance(lr, bool) or not isinstance(lr, Real) or not 0 <= _float(lr) < math.inf:
            raise ValueError(
                f"{type(self).__name__}: the learning-rate schedule gave {lr!r} at step "
                f"{self.steps}; it must give a finite number >= 0"
            )
        return float(lr)

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0, before the next backward pass accumulates into it."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Move every parameter one step downhill, or raise `FloatingPointError` and change
        nothing (no weight, no running average, no step count) if a gradient is NaN or
        infinite or the step would make a weight or a running average so."""
        lr = self.learning_rate()
        grads = self._gradients()
        try:
            new_data, new_state = self._proposal(lr, grads)
        except TypeError:
            raise TypeError(self._bad_weight()) from None
        self._check_finite(lr, new_data, new_state)
        with interrupts_deferred():  # a Ctrl-C waits until everything has moved
            for p, x in zip(self.params, new_data, strict=True):
                p.data = x
            for attribute, values in new_state.items():
                getattr(self, attribute)[:] = values
            self.steps += 1

    @abstractmethod
    def _proposal(
        self, lr: float, grads: list[float]
    ) -> tuple[list[float], dict[str, list[float]]]:
        """The optimizer's rule: each parameter's new data, and its new state lists (such as
        Adam's running means) by attribute name. Changes nothing itself."""

    def _gradients(self) -> list[float]:
        """Every parameter's grad, after checking that none is NaN or infinite."""
        grads = [p.grad for p in self.params]
        if not all(map(math.isfinite, grads)):
            bad = next(p for p in self.params if not math.isfinite(p.grad))
            raise FloatingPointError(
                f"{type(self).__name__}.step: the gradient of {_name(bad)} is "
                f"{bad.grad!r}; no parameter was updated"
            )
        return grads

    def _bad_weight(self) -> str:
        """Why the rule could not compute: a weight whose data is not a real number (a
        `Decimal`, a str set by hand)."""
        for p in self.params:
            if not is_number(p.data):
                return (
                    f"{type(self).__name__}.step: {_name(p)} holds {type(p.data).__name__}: "
                    f"{printable(repr(p.data))[:80]}, which the engine cannot compute with; set "
                    "its data to a float (p.data = float(p.data)); no parameter was updated"
                )
        return f"{type(self).__name__}.step: a weight or a setting is not a number"

    def _check_finite(
        self, lr: float, new_data: list[float], new_state: dict[str, list[float]]
    ) -> None:
        """Refuse a step that would make a weight or a running average NaN or infinite."""
        if all(map(math.isfinite, new_data)) and all(
            all(map(math.isfinite, values)) for values in new_state.values()
        ):
            return
        for attribute, values in [("data", new_data), *new_state.items()]:
            for p, x in zip(self.params, values, strict=True):
                if not math.isfinite(x):
                    what = _name(p) if attribute == "data" else f"{attribute} of {_name(p)}"
                    raise FloatingPointError(
                        f"{type(self).__name__}.step: this step would set {what} to {x!r} "
                        f"(data {p.data!r}, grad {p.grad!r}, lr {lr!r}); nothing was changed"
                    )


def _name(p: Value) -> str:
    return printable(p.label) if p.label else repr(p)


def _float(x: Real) -> float:
    """float(x), with an int too large for a float taken as infinite."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if cast(float, x) > 0 else -math.inf


def _check_range(
    name: str, what: str, x: object, low: float, high: float = math.inf, low_open: bool = False
) -> None:
    """Reject a hyperparameter outside [low, high) ((low, high) when low_open)."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{name}: {what} must be a number, got {type(x).__name__}: {x!r}")
    number = _float(x)
    above = number > low if low_open else number >= low
    if not (above and number < high):
        interval = f"{'(' if low_open else '['}{low}, {high})"
        shown = f"{x!r}" if math.isfinite(number) or isinstance(x, float) else "a huge int"
        raise ValueError(f"{name}: {what} must be in {interval}, got {shown}")


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay (PyTorch's rules).

    Per parameter p with gradient g:  g += weight_decay * p;  v = momentum * v + g;
    p -= lr * v.  With momentum 0 this is plain gradient descent, p -= lr * g.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        _check_range("SGD", "momentum", momentum, 0.0, 1.0)
        _check_range("SGD", "weight_decay", weight_decay, 0.0)
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.velocity = [0.0] * len(self.params)

    def _proposal(
        self, lr: float, grads: list[float]
    ) -> tuple[list[float], dict[str, list[float]]]:
        mu, decay, params = self.momentum, self.weight_decay, self.params
        if decay:  # d/dp of the L2 penalty decay/2 * p^2
            grads = [g + decay * p.data for p, g in zip(params, grads, strict=True)]
        if not mu:
            return [p.data - lr * g for p, g in zip(params, grads, strict=True)], {}
        velocity = [mu * v + g for v, g in zip(self.velocity, grads, strict=True)]
        new_data = [p.data - lr * v for p, v in zip(params, velocity, strict=True)]
        return new_data, {"velocity": velocity}


class Adam(Optimizer):
    """Adam: a step along a running mean of the gradient, scaled by its running spread.

    Per parameter, at step t = 1, 2, ...:  g += weight_decay * p;
    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    p -= lr * m_hat / (sqrt(v_hat) + eps)  with the bias corrections
    m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t) (m and v start at 0, so early means are
    too small without them).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LearningRate = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, tuple) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (b1, b2), got {betas!r}")
        _check_range("Adam", "betas[0]", betas[0], 0.0, 1.0)
        _check_range("Adam", "betas[1]", betas[1], 0.0, 1.0)
        _check_range("Adam", "eps", eps, 0.0, low_open=True)
        _check_range("Adam", "weight_decay", weight_decay, 0.0)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps, self.weight_decay = float(eps), float(weight_decay)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _proposal(
        self, lr: float, grads: list[float]
    ) -> tuple[list[float], dict[str, list[float]]]:
        decay, eps, (b1, b2), params = self.weight_decay, self.eps, self.betas, self.params
        t = self.steps + 1
        correction1, correction2 = 1.0 - b1**t, 1.0 - b2**t
        if decay:
            grads = [g + decay * p.data for p, g in zip(params, grads, strict=True)]
        m = [b1 * m_i + (1.0 - b1) * g for m_i, g in zip(self.m, grads, strict=True)]
        v = [b2 * v_i + (1.0 - b2) * g * g for v_i, g in zip(self.v, grads, strict=True)]
        new_data = [
            p.data - lr * (m_i / correction1) / (math.sqrt(v_i / correction2) + eps)
            for p, m_i, v_i in zip(params, m, v, strict=True)
        ]
        return new_data, {"m": m, "v": v}
