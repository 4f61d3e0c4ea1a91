"""The scalar autograd engine: a `Value` node, its ops, and the backward pass.

Every op computes its forward value *and* its local derivatives (d out / d input, one per
input) in the same few lines, and stores both on the new node. `backward()` then walks the
graph from the cost back to the leaves and applies the chain rule in one loop:

    input.grad += local * upstream        # d cost/d input += d node/d input * d cost/d node

Nodes hold no closures, so a graph has no reference cycles: it is freed by reference counting
the moment the last name for it goes, and Python's cyclic garbage collector has little to do.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Real
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from micrograd_like.debug import BackwardStep

# The recording switch (no_grad() turns it off) and two optional checks that
# detect_anomaly() in debug.py installs: one sees each new node, one each backward step.
_grad_enabled = True
_forward_hook: Callable[[Value], None] | None = None
_backward_hook: Callable[[Value], None] | None = None

# Symbolic local derivatives, written beside each op by @_derivatives: op name -> (forward
# formula, one derivative formula per input). explain() prints them; tests check them against
# the numbers the op stores. Formulas name the inputs a and b and the output out.
OP_FORMULAS: dict[str, tuple[str, tuple[str, ...]]] = {}


Op = TypeVar("Op", bound=Callable[..., Any])


def _derivatives(op: str, forward: str, *local: str) -> Callable[[Op], Op]:
    """Register the maths of an op beside its code; the function itself is returned unchanged."""

    def register(method: Op) -> Op:
        OP_FORMULAS[op] = (forward, local)
        return method

    return register


def _as_float(data: object) -> float:
    """Check that `data` is a real number and return it as a float."""
    number = float(data) if type(data) is float or type(data) is int else _other_number(data)
    if number != number:
        raise ValueError("Value(nan): a NaN cannot enter the graph; check where it was computed")
    return number


def _other_number(data: object) -> float:
    """The slow path of _as_float: any other real number (numpy, Fraction) or a clear error."""
    if isinstance(data, Value):
        raise TypeError(f"Value() expects a number, got another Value ({data!r}); use it directly")
    if not isinstance(data, Real) or isinstance(data, bool):
        raise TypeError(
            f"Value() expects a real number (int or float), got {type(data).__name__}: {data!r}"
        )
    return float(data)


def _lift(other: object, op: str) -> Value:
    """A plain number on either side of an operator becomes a constant leaf of the graph."""
    if isinstance(other, Value):
        return other
    if (
        type(other) is float
        or type(other) is int
        or (isinstance(other, Real) and not isinstance(other, bool))
    ):
        return Value(other)  # type: ignore[arg-type]
    raise TypeError(f"unsupported operand for {op}: Value and {type(other).__name__} ({other!r})")


def _unary(data: float, op: str, input1: Value, local1: float) -> Value:
    """Make the output node of a one-input op (the fast path: the op already checked its input)."""
    out = _allocate(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._input2 = None
    if _grad_enabled:
        out._op = op
        out._input1 = input1
        out._local1 = local1
    else:  # inside no_grad(): the value without the graph behind it
        out._op = ""
        out._input1 = None
    if _forward_hook is not None:
        _forward_hook(out)
    return out


def _binary(
    data: float, op: str, input1: Value, local1: float, input2: Value, local2: float
) -> Value:
    """Make the output node of a two-input op."""
    if data != data:  # NaN: only infinities make it here (inf - inf, inf * 0), never leave it
        raise ValueError(
            f"{op}: ({input1.data!r} {op} {input2.data!r}) is not a number; an infinity from "
            "an earlier overflow reached it (detect_anomaly() finds where)"
        )
    out = _allocate(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _grad_enabled:
        out._op = op
        out._input1 = input1
        out._local1 = local1
        out._input2 = input2
        out._local2 = local2
    else:
        out._op = ""
        out._input1 = None
        out._input2 = None
    if _forward_hook is not None:
        _forward_hook(out)
    return out


_allocate = object.__new__


def _fmt(x: float) -> str:
    """Short, honest number formatting for repr: 4 decimals, but never rounds a small value to 0."""
    rounded = round(x, 4)
    return repr(rounded) if rounded != 0 or x == 0 else f"{x:.4g}"


def _power_local(base: float, exponent: float, op: str) -> float:
    """d(base**n)/d base = n * base**(n - 1), with an error where it is infinite."""
    if exponent == 0:
        return 0.0
    try:
        return float(exponent * base ** (exponent - 1))
    except (ZeroDivisionError, OverflowError):
        raise ZeroDivisionError(
            f"{op}: the local derivative {exponent!r} * {base!r} ** {exponent - 1!r} is infinite"
        ) from None


def _power(base: float, exponent: float, op: str) -> float:
    """base ** exponent for real numbers, with the op and the values in every error."""
    if base < 0 and not exponent.is_integer():
        raise ValueError(f"{op}: a negative base to a non-integer power is not a real number")
    try:
        return float(base**exponent)
    except ZeroDivisionError:
        raise ZeroDivisionError(f"{op}: 0.0 cannot be raised to a negative power") from None
    except OverflowError:
        raise OverflowError(f"{op}: the result is too large for a float") from None


class Value:
    """One number in a computational graph, with the gradient of the cost with respect to it.

    `data` is the number, `grad` is d cost / d self after `backward()`, `label` is a name for
    drawings and debugger output. `op` is the operation that produced the node ("" for a leaf:
    an input, a weight, a bias or a constant) and `inputs` are its operands in order, duplicates
    kept (`a * a` has the two inputs `a, a`). `local_grads` are d self / d input, one per input.

    Every op has one or two inputs, so they live in fixed slots (`_input1`, `_local1`,
    `_input2`, `_local2`) rather than in tuples: one allocation per node instead of three, which
    halves the time of a training step, most of it spent in the garbage collector otherwise.
    """

    __slots__ = ("data", "grad", "label", "_op", "_input1", "_local1", "_input2", "_local2")

    data: float
    grad: float
    label: str
    _op: str
    _input1: Value | None
    _local1: float
    _input2: Value | None
    _local2: float

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _as_float(data)
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        self.label = label
        self._op = ""
        self._input1 = self._input2 = None
        self._local1 = self._local2 = 0.0

    @property
    def op(self) -> str:
        """The operation that produced this node; "" for a leaf."""
        return self._op

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The operands of `op`, in order; () for a leaf."""
        if self._input1 is None:
            return ()
        if self._input2 is None:
            return (self._input1,)
        return (self._input1, self._input2)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d self / d input for each input, computed by the op in the forward pass."""
        if self._input1 is None:
            return ()
        if self._input2 is None:
            return (self._local1,)
        return (self._local1, self._local2)

    def __repr__(self) -> str:
        text = f"Value(data={_fmt(self.data)}, grad={_fmt(self.grad)}"
        if self._op:
            text += f", op={self._op!r}"
        if self.label:
            text += f", label={self.label!r}"
        return text + ")"

    # ---- ops, in the order the seeds meet them: sums, products, powers, exp/log, activations

    @_derivatives("+", "a + b", "1", "1")
    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else _lift(other, "+")
        return _binary(self.data + other.data, "+", self, 1.0, other, 1.0)

    def __radd__(self, other: float) -> Value:
        return _lift(other, "+") + self

    @_derivatives("-", "a - b", "1", "-1")
    def __sub__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else _lift(other, "-")
        return _binary(self.data - other.data, "-", self, 1.0, other, -1.0)

    def __rsub__(self, other: float) -> Value:
        return _lift(other, "-") - self

    @_derivatives("neg", "-a", "-1")
    def __neg__(self) -> Value:
        return _unary(-self.data, "neg", self, -1.0)

    @_derivatives("*", "a * b", "b", "a")
    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else _lift(other, "*")
        a, b = self.data, other.data
        return _binary(a * b, "*", self, b, other, a)

    def __rmul__(self, other: float) -> Value:
        return _lift(other, "*") * self

    @_derivatives("/", "a / b", "1 / b", "-a / b**2")
    def __truediv__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else _lift(other, "/")
        a, b = self.data, other.data
        if b == 0:
            raise ZeroDivisionError(f"division {a!r} / {b!r}: the divisor is zero")
        quotient = a / b
        return _binary(quotient, "/", self, 1.0 / b, other, -quotient / b)

    def __rtruediv__(self, other: float) -> Value:
        return _lift(other, "/") / self

    @_derivatives("**n", "a**n", "n * a**(n - 1)")
    @_derivatives("**", "a**b", "b * a**(b - 1)", "out * log(a)")
    def __pow__(self, other: Value | float) -> Value:
        """`x ** 2` (a number exponent, a constant of the op) or `x ** y` (both differentiable)."""
        a = self.data
        if not isinstance(other, Value):
            if not isinstance(other, Real) or isinstance(other, bool):
                raise TypeError(
                    f"unsupported exponent for **: {type(other).__name__} ({other!r}); "
                    "use an int, a float or a Value"
                )
            n = float(other)
            op = f"**{other!r}"  # the exponent is part of the op: x**2 has the one input x
            where = f"{a!r} ** {other!r}"
            return _unary(_power(a, n, where), op, self, _power_local(a, n, where))
        b = other.data
        where = f"{a!r} ** Value({b!r})"
        out = _power(a, b, where)
        if a > 0:
            d_exponent = out * math.log(a)
        elif a == 0 and b > 0:
            d_exponent = 0.0  # lim a->0+ of a**b * log(a) = 0 for b > 0
        else:
            raise ValueError(
                f"{where}: the derivative with respect to the exponent, out * log(base), needs "
                "base > 0; for a fixed exponent use a plain number: x ** 2"
            )
        return _binary(out, "**", self, _power_local(a, b, where), other, d_exponent)

    def __rpow__(self, other: float) -> Value:
        return _lift(other, "**") ** self

    @_derivatives("exp", "exp(a)", "exp(a)")
    def exp(self) -> Value:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp({self.data!r}): the result is too large for a float (inputs above 709.78)"
            ) from None
        return _unary(out, "exp", self, out)

    @_derivatives("log", "log(a)", "1 / a")
    def log(self) -> Value:
        a = self.data
        if a <= 0:
            raise ValueError(f"log({a!r}): input must be > 0")
        return _unary(math.log(a), "log", self, 1.0 / a)

    @_derivatives("tanh", "tanh(a)", "1 - tanh(a)**2")
    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return _unary(t, "tanh", self, 1.0 - t * t)

    @_derivatives("sigmoid", "sigmoid(a)", "sigmoid(a) * (1 - sigmoid(a))")
    def sigmoid(self) -> Value:
        a = self.data
        if a >= 0:  # 1 / (1 + e^-a) never overflows here; for a < 0 use e^a / (1 + e^a)
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            s = e / (1.0 + e)
        return _unary(s, "sigmoid", self, s * (1.0 - s))

    @_derivatives("relu", "max(a, 0)", "step(a)")
    def relu(self) -> Value:
        a = self.data
        if a > 0:
            return _unary(a, "relu", self, 1.0)
        return _unary(0.0, "relu", self, 0.0)

    # ---- the backward pass

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, inputs before the nodes that use them (post-order).

        Iterative depth-first search, so a graph of any depth works at the default
        recursion limit.
        """
        order: list[Value] = []
        visited: set[Value] = set()
        stack: list[Value | None] = [self]
        while stack:
            node = stack.pop()
            if node is None:  # marker: everything below the next node is in order
                order.append(stack.pop())  # type: ignore[arg-type]
            elif node not in visited:
                visited.add(node)
                stack.append(node)
                stack.append(None)
                if node._input1 is not None:
                    stack.append(node._input1)
                    if node._input2 is not None:
                        stack.append(node._input2)
        return order

    def backward(self) -> None:
        """Fill `grad` on every node with d self / d node, by the chain rule from here back.

        Sets this node's grad to 1 and resets the grads of all other non-leaf nodes first, so
        calling backward() twice gives the same intermediate grads. Leaf grads (inputs, weights,
        biases) *accumulate*, as in PyTorch: gradients from several costs add up. Clear them
        before the next step with `Module.zero_grad()` or `for p in params: p.grad = 0.0`.
        """
        deque(_backward_pass(self), maxlen=0)  # run the generator to the end, at C speed

    def backward_steps(self) -> Iterator[BackwardStep]:
        """The backward pass one node at a time; see `micrograd_like.debug.backward_steps`."""
        from micrograd_like.debug import backward_steps

        return backward_steps(self)

    def zero_grad(self) -> None:
        """Set grad to 0 on this node and everything it depends on."""
        for node in self.topological_order():
            node.grad = 0.0


def _backward_pass(root: Value) -> Iterator[Value]:
    """Apply the chain rule node by node, yielding each node once its inputs got their share.

    backward() runs this to the end; backward_steps() stops after each node to show it.
    """
    order = root.topological_order()
    for node in order:
        if node._input1 is not None:
            node.grad = 0.0
    root.grad = 1.0
    hook = _backward_hook
    for node in reversed(order):
        upstream = node.grad  # d root / d node, complete: every node that uses it is done
        input1, input2 = node._input1, node._input2
        if input1 is not None:  # chain rule: d root/d input += d node/d input * d root/d node
            input1.grad += node._local1 * upstream
            if input2 is not None:
                input2.grad += node._local2 * upstream
        if hook is not None:
            hook(node)
        yield node


@contextmanager
def no_grad() -> Iterator[None]:
    """Compute values without recording the graph (for evaluation and parameter updates).

    Results made inside are leaves: no inputs, nothing for backward() to walk.
    """
    global _grad_enabled
    previous = _grad_enabled
    _grad_enabled = False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()`."""
    return _grad_enabled
