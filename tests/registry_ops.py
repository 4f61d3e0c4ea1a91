"""Every op of the one registry (engine.OPS) as a function tests can call on any numbers: the
ops that take any number as they are, the others fed values inside their domain. An op added to
the engine is in every test that draws its ops from here."""

from __future__ import annotations

from collections.abc import Callable

from micrograd_like.engine import OPS, Value

# by hand: the ops that take any number (exp of a bounded number), and the two-input ops whose
# second input needs a domain; every other op is fed (a * a + 1), in [1, 5) for a in (-2, 2)
ANY_NUMBER: dict[str, Callable[..., Value]] = {
    "neg": lambda a: -a,
    "exp": lambda a: a.tanh().exp(),
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "step": Value.step,
    "sin": Value.sin,
    "cos": Value.cos,
    "abs": abs,
    "**n": lambda a: a**2,
    "+": Value.__add__,
    "-": Value.__sub__,
    "*": Value.__mul__,
    "/": lambda a, b: a / (b * b + 1),
    "**": lambda a, b: (a * a + 1) ** b.tanh(),
}


def fed_inside_its_domain(method: Callable[..., Value]) -> Callable[..., Value]:
    return lambda *inputs: method(*(each * each + 1 for each in inputs))


def registry_ops(arity: int) -> dict[str, Callable[..., Value]]:
    """Every op of the registry with `arity` inputs that a method of Value makes."""
    return {
        name: ANY_NUMBER.get(name) or fed_inside_its_domain(op.method)
        for name, op in OPS.items()
        if op.method is not None and len(op.local or ()) == arity
    }
