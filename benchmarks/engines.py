"""Two other designs of a scalar autograd node, written here to time them on the microgpt step.

- `TupleValue`: microgpt's design. A slotted node keeps its children and their local
  derivatives in two tuples; `backward()` multiplies each local derivative by the upstream
  gradient in one loop. No closures, so no reference cycles.
- `ClosureValue`: micrograd's design. Each node keeps a set of its children and a `_backward`
  closure that applies its own chain rule; every closure refers back to its node, so every node
  is in a reference cycle and only Python's cyclic garbage collector frees a graph.

micrograd 0.1.0 itself has no exp or log, which a GPT needs, so its design is rewritten here with
them. Both sort the graph recursively, as microgpt and micrograd do: quicker in CPython than an
iterative sort, though it stops at the recursion limit (a microgpt graph is a few hundred nodes
deep). Neither checks its inputs as micrograd_like does (domains, NaN): they time the bare design.
`topological_order` is an iterative sort for counting the nodes of any graph.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TypeVar

N = TypeVar("N")


def topological_order(root: N, inputs: Callable[[N], Iterable[N]]) -> list[N]:
    """Post-order depth-first search without recursion: inputs before the nodes using them."""
    order: list[N] = []
    visited: set[int] = set()
    stack: list[tuple[N, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:  # all its inputs are in order
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack += [(child, False) for child in inputs(node) if id(child) not in visited]
    return order


class TupleValue:
    """microgpt's node: data, grad, and tuples of children and local derivatives."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(
        self,
        data: float,
        children: tuple[TupleValue, ...] = (),
        local_grads: tuple[float, ...] = (),
    ) -> None:
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: TupleValue | float) -> TupleValue:
        other = other if isinstance(other, TupleValue) else TupleValue(other)
        return TupleValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: TupleValue | float) -> TupleValue:
        other = other if isinstance(other, TupleValue) else TupleValue(other)
        return TupleValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, exponent: float) -> TupleValue:
        # d(x^n)/dx = n x^(n-1)
        return TupleValue(self.data**exponent, (self,), (exponent * self.data ** (exponent - 1),))

    def exp(self) -> TupleValue:
        e = math.exp(self.data)
        return TupleValue(e, (self,), (e,))  # d e^x / dx = e^x

    def log(self) -> TupleValue:
        return TupleValue(math.log(self.data), (self,), (1.0 / self.data,))

    def relu(self) -> TupleValue:
        return TupleValue(max(0.0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> TupleValue:
        return self * -1.0

    def __radd__(self, other: float) -> TupleValue:
        return self + other

    def __sub__(self, other: TupleValue | float) -> TupleValue:
        return self + (-other)

    def __rsub__(self, other: float) -> TupleValue:
        return other + (-self)

    def __rmul__(self, other: float) -> TupleValue:
        return self * other

    def __truediv__(self, other: TupleValue | float) -> TupleValue:
        return self * other**-1.0

    def backward(self) -> None:
        order: list[TupleValue] = []
        visited: set[TupleValue] = set()

        def visit(node: TupleValue) -> None:
            if node not in visited:
                visited.add(node)
                for child in node._children:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            for child, local in zip(node._children, node._local_grads, strict=True):
                child.grad += local * node.grad  # chain rule


class ClosureValue:
    """micrograd's node: each op leaves a closure that pushes its gradient to its children."""

    def __init__(self, data: float, children: tuple[ClosureValue, ...] = (), op: str = "") -> None:
        self.data = data
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = set(children)
        self._op = op

    def __add__(self, other: ClosureValue | float) -> ClosureValue:
        other = other if isinstance(other, ClosureValue) else ClosureValue(other)
        out = ClosureValue(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: ClosureValue | float) -> ClosureValue:
        other = other if isinstance(other, ClosureValue) else ClosureValue(other)
        out = ClosureValue(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> ClosureValue:
        out = ClosureValue(self.data**exponent, (self,), f"**{exponent}")

        def _backward() -> None:
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> ClosureValue:
        out = ClosureValue(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> ClosureValue:
        out = ClosureValue(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def relu(self) -> ClosureValue:
        out = ClosureValue(max(0.0, self.data), (self,), "ReLU")

        def _backward() -> None:
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> ClosureValue:
        return self * -1.0

    def __radd__(self, other: float) -> ClosureValue:
        return self + other

    def __sub__(self, other: ClosureValue | float) -> ClosureValue:
        return self + (-other)

    def __rsub__(self, other: float) -> ClosureValue:
        return other + (-self)

    def __rmul__(self, other: float) -> ClosureValue:
        return self * other

    def __truediv__(self, other: ClosureValue | float) -> ClosureValue:
        return self * other**-1.0

    def backward(self) -> None:
        order: list[ClosureValue] = []
        visited: set[ClosureValue] = set()

        def visit(node: ClosureValue) -> None:
            if node not in visited:
                visited.add(node)
                for child in node._prev:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
