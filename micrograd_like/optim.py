"""Optimizers: move every parameter a small step against its gradient, w <- w - lr * dC/dw.

`step()` reads each parameter's `grad` (filled by `cost.backward()`) and sets its `data`
directly, so an update records no graph. The learning rate `lr` is a number or a function of
the step index (0, 1, 2, ...), such as micrograd's decay `lambda k: 1.0 - 0.9 * k / 100`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable

from micrograd_like.engine import Value

LearningRate = float | Callable[[int], float]


class Optimizer(ABC):
    """What SGD and Adam share: the parameters, the learning rate, the step count, and a
    `step()` that checks every gradient before it changes any parameter."""

    def __init__(self, params: Iterable[Value], lr: LearningRate) -> None:
        name = type(self).__name__
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
        self.lr = lr
        self.steps = 0  # the index of the next step, passed to a learning-rate schedule

    def learning_rate(self) -> float:
        """The learning rate of the next step."""
        if not callable(self.lr):
            return self.lr
        lr = self.lr(self.steps)
        if (
            isinstance(lr, bool)
            or not isinstance(lr, (int, float))
            or not lr >= 0
            or lr == math.inf
        ):
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
        """Move every parameter one step downhill."""
        lr = self.learning_rate()
        self._update(lr, self._gradients())
        self.steps += 1

    @abstractmethod
    def _update(self, lr: float, grads: list[float]) -> None:
        """Set each parameter's data from its gradient (the optimizer's rule)."""

    def _gradients(self) -> list[float]:
        """Every parameter's grad, after checking that none is NaN or infinite."""
        grads = [p.grad for p in self.params]
        if not all(map(math.isfinite, grads)):
            bad = next(p for p in self.params if not math.isfinite(p.grad))
            raise FloatingPointError(
                f"{type(self).__name__}.step: the gradient of {bad.label or repr(bad)} is "
                f"{bad.grad!r}; no parameter was updated"
            )
        return grads


def _check_range(
    name: str, what: str, x: object, low: float, high: float = math.inf, low_open: bool = False
) -> None:
    """Reject a hyperparameter outside [low, high) ((low, high) when low_open)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{name}: {what} must be a number, got {type(x).__name__}: {x!r}")
    above = x > low if low_open else x >= low
    if not (above and x < high):
        interval = f"{'(' if low_open else '['}{low}, {high})"
        raise ValueError(f"{name}: {what} must be in {interval}, got {x!r}")


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

    def _update(self, lr: float, grads: list[float]) -> None:
        mu, decay, velocity = self.momentum, self.weight_decay, self.velocity
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            g += decay * p.data  # d/dp of the L2 penalty decay/2 * p^2
            if mu:
                g = velocity[i] = mu * velocity[i] + g
            p.data -= lr * g


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

    def _update(self, lr: float, grads: list[float]) -> None:
        decay, eps, (b1, b2) = self.weight_decay, self.eps, self.betas
        t = self.steps + 1
        correction1, correction2 = 1.0 - b1**t, 1.0 - b2**t
        m, v = self.m, self.v
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            g += decay * p.data
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= lr * (m[i] / correction1) / (math.sqrt(v[i] / correction2) + eps)
