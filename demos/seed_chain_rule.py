"""The chain rule (seed 001): d/dx 3(x^2 + 1) = 6x.

Outer derivative (of 3u, ignoring what u is) times inner derivative (of u = x^2 + 1):
3 * 2x = 6x. The engine finds the same product by walking the graph backwards: the grad it
leaves on u is the outer derivative, and it multiplies that by u's local derivatives.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd_like import Value

POINTS = (-2.0, -0.5, 0.0, 1.0, 3.0)


@dataclass(frozen=True)
class ChainRule:
    """The derivative of 3(x^2 + 1) at x, and the two factors the chain rule multiplies."""

    x: float
    outer: float  # d 3u / du = 3, the grad backward() leaves on u
    inner: float  # d (x^2 + 1) / dx = 2x, from backward() on u alone
    total: float  # d 3(x^2 + 1) / dx, the grad backward() leaves on x


def chain_rule_at(x: float) -> ChainRule:
    leaf = Value(x, label="x")
    u = leaf**2 + 1
    u.backward()  # the inner function alone: du/dx lands on x
    inner = leaf.grad
    leaf.grad = 0.0  # leaf grads accumulate; start the next backward pass from zero

    out = 3 * u
    out.backward()  # the composition: d out/du lands on u, d out/dx on x
    return ChainRule(x, outer=u.grad, inner=inner, total=leaf.grad)


def main() -> None:
    print("Chain rule (seed 001): d/dx 3(x^2 + 1) = 3(...)' * (x^2 + 1)' = 3 * 2x = 6x")
    for x in POINTS:
        c = chain_rule_at(x)
        print(
            f"  x = {x:g}: outer {c.outer:g} * inner {c.inner:g} = {c.outer * c.inner:g};"
            f" engine {c.total:g}; 6x = {6 * x:g}"
        )


if __name__ == "__main__":
    main()
