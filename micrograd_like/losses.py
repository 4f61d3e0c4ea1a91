"""Cost functions: one number that says how wrong the network's outputs are.

Each takes the network's outputs (Values, or plain numbers) and the targets, checks that they
pair up, and returns the cost as a `Value`, so `cost.backward()` gives d cost / d weight for
every weight behind the outputs. The cost is labelled with the function's name (`mse`, `hinge`,
...), so the steps, `explain()` and the drawings write dmse/dw rather than ddiv10/dw; a label
set afterwards (`cost.label = "C"`) replaces it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence, Set
from functools import reduce
from numbers import Integral, Real
from operator import add

from micrograd_like.engine import Value


def _items(name: str, what: str, xs: object) -> list[object]:
    """The items of `xs`: a list, a tuple, a NumPy array or any other ordered collection."""
    if isinstance(xs, (Value, Real, str, bytes, Mapping, Set)) or not isinstance(xs, Iterable):
        raise TypeError(f"{name}: {what} must be a sequence, got {type(xs).__name__}: {xs!r}")
    return list(xs)


def _values(name: str, what: str, xs: Sequence[Value | float]) -> list[Value]:
    """The sequence `xs` as Values (numbers become constant leaves), with clear errors."""
    items = _items(name, what, xs)
    if not items:
        raise ValueError(f"{name}: {what} is empty")
    return [
        x if isinstance(x, Value) else Value(_number(name, f"{what}[{i}]", x))
        for i, x in enumerate(items)
    ]


def _number(name: str, what: str, x: object) -> float:
    """`x` as a float: TypeError for what is not a real number, ValueError for NaN or inf."""
    if not isinstance(x, Real) or isinstance(x, bool):
        raise TypeError(f"{name}: {what} must be a finite number, got {type(x).__name__}: {x!r}")
    try:
        number = float(x)
    except OverflowError:  # an int too large for a float
        raise ValueError(f"{name}: {what} must be a finite number, got a huge int") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: {what} must be a finite number, got {x!r}")
    return number


def _numbers(name: str, what: str, xs: object) -> list[float]:
    return [_number(name, f"{what}[{i}]", x) for i, x in enumerate(_items(name, what, xs))]


def _same_length(name: str, first: str, n1: int, second: str, n2: int) -> None:
    if n1 != n2:
        raise ValueError(
            f"{name}: {first} and {second} must have the same length, got {n1} and {n2}"
        )


def _named(cost: Value, name: str) -> Value:
    """`cost` labelled `name`. Each loss returns a node it has just made, so there is no user's
    label to keep; the check keeps that true should a loss ever return a node it was given."""
    if not cost.label:
        cost.label = name
    return cost


def _total(values: Sequence[Value]) -> Value:
    """v1 + v2 + ... without the extra `0 +` node that `sum()` starts with."""
    return reduce(add, values)


def _differences(
    name: str, predictions: Sequence[Value | float], targets: Sequence[Value | float]
) -> list[Value]:
    outputs = _values(name, "predictions", predictions)
    wanted = _values(name, "targets", targets)
    _same_length(name, "predictions", len(outputs), "targets", len(wanted))
    return [a - y for a, y in zip(outputs, wanted, strict=True)]


def sse(predictions: Sequence[Value | float], targets: Sequence[Value | float]) -> Value:
    """Sum of squared errors, C = sum_i (a_i - y_i)^2: the seeds' cost for one example."""
    return _named(_total([d**2 for d in _differences("sse", predictions, targets)]), "sse")


def half_sse(predictions: Sequence[Value | float], targets: Sequence[Value | float]) -> Value:
    """E = 1/2 sum_i (a_i - y_i)^2: the 1/2 cancels the 2 of the derivative, dE/da_i = a_i - y_i."""
    squares = [d**2 for d in _differences("half_sse", predictions, targets)]
    return _named(0.5 * _total(squares), "half_sse")


def mse(predictions: Sequence[Value | float], targets: Sequence[Value | float]) -> Value:
    """Mean squared error, 1/n sum_i (a_i - y_i)^2."""
    squares = [d**2 for d in _differences("mse", predictions, targets)]
    return _named(_total(squares) / len(squares), "mse")


def hinge(scores: Sequence[Value | float], labels: Sequence[float]) -> Value:
    """micrograd's max-margin cost: the mean of max(0, 1 - y_i * score_i), labels y_i = -1 or +1.

    A point costs nothing once its score is on the right side of 0 with a margin of 1.
    """
    outputs = _values("hinge", "scores", scores)
    ys = _numbers("hinge", "labels", labels)
    _same_length("hinge", "scores", len(outputs), "labels", len(ys))
    for i, y in enumerate(ys):
        if y not in (-1.0, 1.0):
            raise ValueError(f"hinge: labels must be -1 or +1, got labels[{i}] = {y!r}")
    margins = [(1 + -y * s).relu() for y, s in zip(ys, outputs, strict=True)]
    return _named(_total(margins) * (1.0 / len(margins)), "hinge")


def binary_cross_entropy(
    probabilities: Sequence[Value | float],
    targets: Sequence[float],
    *,
    from_logits: bool = False,
    eps: float = 1e-7,
) -> Value:
    """Mean of -[y log p + (1 - y) log(1 - p)] for targets y in [0, 1].

    With probabilities (a sigmoid's outputs), p is clamped to [eps, 1 - eps] so that an output
    of exactly 0 or 1 gives a large but finite cost; the gradient passes through the clamp as if
    p were eps. With `from_logits=True` the inputs are the pre-sigmoid scores z, and the cost
    is computed as softplus(z) - y z, exact for any z and with the gradient sigmoid(z) - y.
    """
    name = "binary_cross_entropy"
    if not isinstance(from_logits, bool):
        raise TypeError(f"{name}: from_logits must be True or False, got {from_logits!r}")
    inputs = _values(name, "probabilities", probabilities)
    ys = _numbers(name, "targets", targets)
    _same_length(name, "probabilities", len(inputs), "targets", len(ys))
    for i, y in enumerate(ys):
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"{name}: targets must be in [0, 1], got targets[{i}] = {y!r}")
    if from_logits:
        costs = [_softplus(z) - y * z for z, y in zip(inputs, ys, strict=True)]
    else:
        if not 0.0 < _number(name, "eps", eps) < 0.5:
            raise ValueError(f"{name}: eps must be in (0, 0.5), got {eps!r}")
        for i, p in enumerate(inputs):
            if not 0.0 <= p.data <= 1.0:
                raise ValueError(
                    f"{name}: probabilities must be in [0, 1], got probabilities[{i}] = {p.data!r}"
                    " (for raw scores pass from_logits=True)"
                )
        costs = []
        for p, y in zip(inputs, ys, strict=True):
            clamped = min(max(p.data, eps), 1.0 - eps)
            q = p if clamped == p.data else p + (clamped - p.data)  # same gradient, safe value
            costs.append(-(y * q.log() + (1.0 - y) * (1.0 - q).log()))
    return _named(_total(costs) * (1.0 / len(costs)), name)


def _softplus(z: Value) -> Value:
    """log(1 + e^z), never overflowing: for z >= 0 it equals z + log(1 + e^-z)."""
    if z.data >= 0:
        return z + (1.0 + (-z).exp()).log()
    return (1.0 + z.exp()).log()


def softmax(logits: Sequence[Value | float]) -> list[Value]:
    """p_k = e^(z_k) / sum_j e^(z_j): scores turned into probabilities that sum to 1.

    The largest logit m is subtracted first (softmax(z - m) = softmax(z)), so no exponential
    overflows; m is a constant, which changes neither the values nor the gradients.
    """
    zs = _values("softmax", "logits", logits)
    m = max(z.data for z in zs)
    exps = [(z - m).exp() for z in zs]
    total = _total(exps)
    return [e / total for e in exps]


def cross_entropy(
    logits: Sequence[Value | float],
    target: int | Sequence[Value | float],
    *,
    fused: bool = False,
) -> Value:
    """-sum_k y_k log p_k with p = softmax(logits): the cost of a classifier's scores.

    `fused=True` builds it in seed 004's form: one node per logit, the term -y_k log p_k,
    whose local derivative is the whole chain rule through the softmax, p_k - y_k (every
    logit moves every p, and the paths add up to that). So `explain(cost, z_k)` is one path
    with the one factor the seed derives; the value and the gradients are the same numbers.
    Its op, "softmax_cross_entropy", has no formula in a and out (p_k depends on every logit):
    its gradient cannot be differentiated again, and a `Tape` cannot replay it.

    `target` is the index of the right class or a list of class probabilities (one-hot or
    soft) that sums to 1. Probabilities given as Values (leaves a `Tape` refills with each
    example's one-hot label) keep a term for every class, so the right class is not built
    into the graph's shape. Computed through log-sum-exp, log sum_j e^(z_j) = m + log sum_j
    e^(z_j - m), so -log p_k = lse - z_k never takes the log of an underflowed 0 and logits of
    +-1000 are fine. Its gradient is d cost / d z_k = p_k - y_k. The shift m is a constant
    of the graph: a `Tape` replays with the m of the logits it was built from, which gives the
    same cost and gradient up to rounding in the last bits.
    """
    name = "cross_entropy"
    zs = _values(name, "logits", logits)
    m = max(z.data for z in zs)
    lse = _total([(z - m).exp() for z in zs]).log() + m
    if not isinstance(fused, bool):
        raise TypeError(f"{name}: fused must be True or False, got {fused!r}")
    if isinstance(target, Integral) and not isinstance(target, bool):  # NumPy ints too
        k = int(target)
        if not 0 <= k < len(zs):
            shown = k if k.bit_length() < 64 else "a huge int"
            raise ValueError(f"{name}: target class {shown} is outside 0..{len(zs) - 1}")
        if fused:
            return _named(_fused(zs, [float(j == k) for j in range(len(zs))], lse.data), name)
        return _named(lse - zs[k], name)
    if isinstance(target, (Real, str, bytes)) or not isinstance(target, Iterable):
        raise TypeError(
            f"{name}: target must be a class index (an int) or a list of class probabilities, "
            f"got {type(target).__name__}: {target!r}"
        )
    items = _items(name, "target", target)
    ys = _numbers(name, "target", [y.data if isinstance(y, Value) else y for y in items])
    _same_length(name, "logits", len(zs), "target", len(ys))
    if min(ys) < 0 or abs(math.fsum(ys) - 1.0) > 1e-9:
        raise ValueError(f"{name}: target must be probabilities >= 0 that sum to 1, got {ys!r}")
    if fused:
        return _named(_fused(zs, ys, lse.data), name)
    if any(isinstance(y, Value) for y in items):  # every term stays: see the docstring
        weights = [y if isinstance(y, Value) else v for y, v in zip(items, ys, strict=True)]
        return _named(_total([y * (lse - z) for z, y in zip(zs, weights, strict=True)]), name)
    return _named(_total([y * (lse - z) for z, y in zip(zs, ys, strict=True) if y != 0.0]), name)


def _fused(zs: list[Value], ys: list[float], lse: float) -> Value:
    """Cross-entropy as seed 004 writes its gradient: the term -y_k log p_k = y_k (lse - z_k)
    of each logit, with p_k - y_k as its local derivative, summed."""
    terms = [
        Value.from_op(
            "softmax_cross_entropy", y * (lse - z.data), [z], [math.exp(z.data - lse) - y]
        )
        for z, y in zip(zs, ys, strict=True)
    ]
    return _total(terms)
