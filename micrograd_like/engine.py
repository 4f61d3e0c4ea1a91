"""The scalar autograd engine: a `Value` node, its ops, and the backward pass.

Every op computes its forward value *and* its local derivatives (∂out/∂input, one per input)
in the same few lines, and stores both on the new node. `backward()` then walks the graph from
the cost back to the leaves and applies the chain rule in one loop (`backward_pass`):

    input.grad += local * upstream        # dC/d input += ∂node/∂input * dC/d node

Nodes hold no closures, so a graph has no reference cycles: it is freed by reference counting
the moment the last name for it goes, and Python's cyclic garbage collector has little to do.

This module imports nothing else of the package: readers (drawings, steps, checks) reach it
through its public names only.
"""

from __future__ import annotations

import gc
import math
import os
import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from numbers import Real
from typing import Any, NoReturn, TypeVar

Hook = Callable[["Value"], None]


class _Modes(threading.local):
    """This thread's modes: recording (off inside `no_grad()`) and the installed `hooks()`.

    They are worked out from the blocks the thread is inside (`blocks`, each the changes it
    asked for), again whenever one is entered or left, so blocks may be left in any order
    (interleaved generators, say) and leave the modes as if they had never been entered. A new
    thread starts with the class defaults: recording on, no hooks.
    """

    recording = True
    forward_hooks: tuple[Hook, ...] = ()
    backward_hooks: tuple[Hook, ...] = ()
    in_hook = False  # a forward hook is running: the nodes it makes are not shown to hooks

    def __init__(self) -> None:
        self.blocks: list[dict[str, Any]] = []


def _settle(state: dict[str, Any]) -> None:
    """Work a thread's modes out of the blocks it is inside, into its own attributes (`state`,
    its __dict__, whichever thread runs this: a generator's block may be left in another
    thread than the one that entered it): recording unless a block is no_grad(), every block's
    hooks in the order the blocks were entered, and a quiet block hides the forward hooks of
    the blocks entered before it, not after."""
    blocks = state["blocks"]
    state["recording"] = all(block.get("recording", True) for block in blocks)
    forward: tuple[Hook, ...] = ()
    for block in blocks:
        forward = () if block.get("quiet") else forward + block.get("forward", ())
    state["forward_hooks"] = forward
    state["backward_hooks"] = sum((block.get("backward", ()) for block in blocks), ())


_modes = _Modes()
# How many threads are inside a no_grad() or hooks() block. While it is 0, which is the usual
# case, making a node costs one check of this number; otherwise the node also asks its thread.
_threads_in_a_mode = 0
_modes_lock = threading.Lock()


@contextmanager
def _mode(**changes: Any) -> Iterator[None]:
    """Enter a block that changes this thread's modes (recording=False, forward=(hooks),
    backward=(hooks), quiet=True) until it is left, in whatever order blocks are left."""
    global _threads_in_a_mode
    state, block = _modes.__dict__, dict(changes)  # the entering thread's own attributes
    blocks: list[dict[str, Any]] = state["blocks"]
    if not blocks:
        with _modes_lock:
            _threads_in_a_mode += 1
    blocks.append(block)
    _settle(state)
    try:
        yield
    finally:
        blocks[:] = [each for each in blocks if each is not block]
        _settle(state)
        if not blocks:
            with _modes_lock:
                _threads_in_a_mode -= 1


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


def _as_float(data: object, where: str = "Value()") -> float:
    """Check that `data` is a real number a float can hold, and return it as a float."""
    number = data if type(data) is float else _other_number(data, where)
    if number != number:
        raise ValueError(f"{where}: nan is not a number and cannot enter the graph")
    return number


def _other_number(data: object, where: str) -> float:
    """The slow path of _as_float: an int, any other real number (numpy, Fraction) or a clear
    error."""
    if isinstance(data, Value):
        raise TypeError(f"{where}: expected a number, got a Value ({data!r}); use it directly")
    if not isinstance(data, Real) or isinstance(data, bool):
        raise TypeError(
            f"{where}: expected a real number (int or float), got {type(data).__name__}: {data!r}"
        )
    try:
        return float(data)
    except OverflowError:
        # the number of digits, from the bits: a 5,000-digit int cannot even be printed
        digits = int(abs(int(data)).bit_length() * math.log10(2)) + 1  # type: ignore[call-overload]
        raise OverflowError(
            f"{where}: the number {type(data).__name__}(about 1e{digits - 1}) is too large for a "
            f"float (the largest is about 1.8e308)"
        ) from None


def _lift(other: object, op: str) -> Value:
    """A plain number on either side of an operator becomes a constant leaf of the graph."""
    if isinstance(other, Value):
        return other
    if type(other) is float or type(other) is int or isinstance(other, Real):
        return Value(_as_float(other, op))
    raise TypeError(f"unsupported operand for {op}: Value and {type(other).__name__} ({other!r})")


def _unary(data: float, op: str, input1: Value, local1: float) -> Value:
    """Make the output node of a one-input op."""
    if data != data:  # NaN: only from an input changed by hand to NaN, never let it spread
        raise ValueError(f"{op}({input1.data!r}) is not a number")
    out = _allocate(Value)
    out._mark = None
    out.data = data
    out.grad = 0.0
    out._op = op
    out._input1 = input1
    out._local1 = local1
    out._input2 = None
    if _threads_in_a_mode:
        _apply_modes(out)
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
    out._mark = None
    out.data = data
    out.grad = 0.0
    out._op = op
    out._input1 = input1
    out._local1 = local1
    out._input2 = input2
    out._local2 = local2
    if _threads_in_a_mode:
        _apply_modes(out)
    return out


def _apply_modes(out: Value) -> None:
    """This thread's modes for a new node: inside no_grad() it forgets its inputs (a leaf with
    the value only); hooks() see it, but not the nodes a hook makes itself (a hook that
    computes with the node would otherwise call itself without end)."""
    modes = _modes
    if not modes.recording:
        out._op = ""
        out._input1 = out._input2 = None
    if modes.forward_hooks:
        _show(out, modes.forward_hooks)


def _show(node: Value, forward_hooks: tuple[Hook, ...]) -> None:
    """Call the forward hooks on a node; the nodes they make themselves are shown to no hook."""
    modes = _modes
    if modes.in_hook:
        return
    modes.in_hook = True
    try:
        for hook in forward_hooks:
            hook(node)
    finally:
        modes.in_hook = False


_allocate = object.__new__


def _fmt(x: float) -> str:
    """Short, honest number formatting for repr: 4 decimals, but never rounds a small value to 0."""
    rounded = round(x, 4)
    return repr(rounded) if rounded != 0 or x == 0 else f"{x:.4g}"


def _undefined_local(message: str, error: type[Exception] = ZeroDivisionError) -> float:
    """A local derivative that does not exist: an error, except inside no_grad(), where no
    derivative is needed and the value alone is computed."""
    if not _modes.recording:
        return 0.0
    raise error(message)


def _power_local(base: float, exponent: float, op: str) -> float:
    """∂(base**n)/∂base = n * base**(n - 1), with an error where it is infinite or undefined."""
    if exponent == 0:
        return 0.0
    try:
        local = float(exponent * base ** (exponent - 1))
    except (ZeroDivisionError, OverflowError):
        return _undefined_local(
            f"{op}: the local derivative {exponent!r} * {base!r} ** {exponent - 1!r} is infinite"
        )
    if local != local:  # inf * 0 at an infinite exponent
        return _undefined_local(
            f"{op}: the local derivative {exponent!r} * {base!r} ** {exponent - 1!r} is not a "
            "number",
            ArithmeticError,
        )
    return local


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

    `data` is the number, `grad` is dC/d self after `backward()` (C the node it was called on),
    `label` is a name for drawings and debugger output. `op` is the operation that produced the
    node ("" for a leaf: an input, a weight, a bias or a constant) and `inputs` are its operands
    in order, duplicates kept (`a * a` has the two inputs `a, a`). `local_grads` are
    ∂self/∂input, one per input.

    Every op has one or two inputs, so they live in fixed slots (`_input1`, `_local1`,
    `_input2`, `_local2`) rather than in tuples: one allocation per node instead of three, which
    halves the time of a training step, most of it spent in the garbage collector otherwise.
    The `__dict__` slot lets your code keep its own attributes on a node (`p.m = 0.0`, as
    micrograd-era optimizers do); a node that has none never allocates the dictionary, but
    CPython 3.11 gives every node a small array for them (measured without the slot: 24 bytes
    less per node, 2% fewer instructions per training step, 4% with the collector on). A
    label lives there too, once set: an unlabelled node (nearly every node an op makes) reads
    the class's "" and costs neither a slot nor a store.

    `==` and hashing are identity (two nodes with the same value are different nodes, and a
    node can be a dictionary key); `< <= > >=` compare `data` and return a bool.
    """

    __slots__ = (
        "data",
        "grad",
        "_op",
        "_input1",
        "_local1",
        "_input2",
        "_local2",
        "_mark",
        "__dict__",
    )

    data: float
    grad: float
    label: str = ""  # in the node's __dict__ once set: unlabelled nodes share this one
    _op: str
    _input1: Value | None
    _local1: float
    _input2: Value | None
    _local2: float
    _mark: object  # the stamp of the last topological sort that reached this node

    def __init__(self, data: float, label: str = "") -> None:
        self.data = _as_float(data)
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        if label:
            self.label = label
        self._op = ""
        self._input1 = self._input2 = None
        self._local1 = self._local2 = 0.0
        self._mark = None

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
        """∂self/∂input for each input, computed by the op in the forward pass."""
        if self._input1 is None:
            return ()
        if self._input2 is None:
            return (self._local1,)
        return (self._local1, self._local2)

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the inputs: a set (order and duplicates lost; prefer `inputs`)."""
        return set(self.inputs)

    def _backward(self) -> None:
        """This node's own chain-rule step, as micrograd's closures do it: each input's grad
        receives ∂self/∂input * self.grad. `backward()` applies it to every node in order; call
        it by hand (root.grad = 1.0 first) to do backpropagation node by node."""
        upstream = self.grad
        for each, local in zip(self.inputs, self.local_grads, strict=True):
            each.grad += local * upstream

    def __repr__(self) -> str:
        text = f"Value(data={_fmt(self.data)}, grad={_fmt(self.grad)}"
        if self._op:
            text += f", op={self._op!r}"
        if self.label:
            text += f", label={self.label!r}"
        return text + ")"

    @classmethod
    def from_op(
        cls,
        op: str,
        data: float,
        inputs: Sequence[Value],
        local_grads: Sequence[float],
        formula: Sequence[str] | None = None,
    ) -> Value:
        """A node made by an op of your own: its name, its value, its one or two inputs and the
        local derivative ∂out/∂input for each (computed by you, as the built-in ops do).

        `formula`, optional, gives those derivatives symbolically for `explain()`, one per
        input, naming the inputs a and b and the output out: `Value.from_op("sin",
        math.sin(x.data), [x], [math.cos(x.data)], formula=["cos(a)"])`. The node works
        everywhere a built-in one does: backward, steps, explain, drawings, anomaly checks.
        """
        if not isinstance(op, str) or not op.strip() or not op.isprintable():
            raise ValueError(f"Value.from_op: op must be a non-empty printable name, got {op!r}")
        if op in BUILT_IN_OPS or op.startswith("**"):
            raise ValueError(f"Value.from_op: {op!r} is a built-in op; give yours its own name")
        if isinstance(inputs, Value) or not isinstance(inputs, Sequence):
            raise TypeError(
                f"Value.from_op({op!r}): inputs must be a list of one or two Values, got {inputs!r}"
            )
        if not 1 <= len(inputs) <= 2 or not all(isinstance(each, Value) for each in inputs):
            raise TypeError(
                f"Value.from_op({op!r}): inputs must be one or two Values, got {list(inputs)!r} "
                "(compose two-input ops for more)"
            )
        if isinstance(local_grads, (str, bytes)) or not isinstance(local_grads, Sequence):
            raise TypeError(
                f"Value.from_op({op!r}): local_grads must be a list of numbers, got {local_grads!r}"
            )
        if len(local_grads) != len(inputs):
            raise ValueError(
                f"Value.from_op({op!r}): {len(inputs)} input(s) but {len(local_grads)} local "
                "derivative(s); give one per input"
            )
        value = _as_float(data, f"{op}: value")
        locals_ = [_as_float(local, f"{op}: local derivative") for local in local_grads]
        if formula is not None:
            _register_formula(op, len(inputs), formula)
        if len(inputs) == 1:
            return _unary(value, op, inputs[0], locals_[0])
        return _binary(value, op, inputs[0], locals_[0], inputs[1], locals_[1])

    # ---- comparisons read the values; == stays identity, so nodes hash by identity

    def __lt__(self, other: Value | float) -> bool:
        that = _compared(other)
        return NotImplemented if that is NotImplemented else self.data < that

    def __le__(self, other: Value | float) -> bool:
        that = _compared(other)
        return NotImplemented if that is NotImplemented else self.data <= that

    def __gt__(self, other: Value | float) -> bool:
        that = _compared(other)
        return NotImplemented if that is NotImplemented else self.data > that

    def __ge__(self, other: Value | float) -> bool:
        that = _compared(other)
        return NotImplemented if that is NotImplemented else self.data >= that

    # ---- ops, in the order the seeds meet them: sums, products, powers, exp/log, activations

    @_derivatives("+", "a + b", "1", "1")
    def __add__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = _lift(other, "+")
        data = self.data + other.data
        if data != data:
            return _binary(data, "+", self, 1.0, other, 1.0)  # its error: inf - inf
        out = _allocate(Value)  # as in __mul__
        out._mark = None
        out.data = data
        out.grad = 0.0
        out._op = "+"
        out._input1 = self
        out._local1 = 1.0
        out._input2 = other
        out._local2 = 1.0
        if _threads_in_a_mode:
            _apply_modes(out)
        return out

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
        if not isinstance(other, Value):
            other = _lift(other, "*")
        a, b = self.data, other.data
        data = a * b
        if data != data:
            return _binary(data, "*", self, b, other, a)  # its error: inf * 0
        # + and * make nearly every node of a network: they build it here, as _binary does,
        # which saves a function call per node (4% of a training step, measured)
        out = _allocate(Value)
        out._mark = None
        out.data = data
        out.grad = 0.0
        out._op = "*"
        out._input1 = self
        out._local1 = b
        out._input2 = other
        out._local2 = a
        if _threads_in_a_mode:
            _apply_modes(out)
        return out

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
            n = _as_float(other, f"{a!r} ** exponent")
            # the exponent is part of the op: x**2 has the one input x
            op = f"**{int(n)}" if n.is_integer() and abs(n) < 2**53 else f"**{n!r}"
            where = f"{a!r} ** {other!r}"
            return _unary(_power(a, n, where), op, self, _power_local(a, n, where))
        b = other.data
        where = f"{a!r} ** Value({b!r})"
        out = _power(a, b, where)
        if a > 0:
            d_exponent = out * math.log(a)  # ∂(a**b)/∂b = a**b * log(a)
        elif a == 0 and b > 0:
            d_exponent = 0.0  # lim a->0+ of a**b * log(a) = 0 for b > 0
        else:
            d_exponent = _undefined_local(
                f"{where}: the derivative with respect to the exponent, out * log(base), needs "
                "base > 0; for a fixed exponent use a plain number: x ** 2",
                ValueError,
            )
        if d_exponent != d_exponent:  # inf * 0: an infinite power of a base near 1
            d_exponent = _undefined_local(
                f"{where}: the derivative with respect to the exponent, {out!r} * log({a!r}), "
                "is not a number",
                ArithmeticError,
            )
        return _binary(out, "**", self, _power_local(a, b, where), other, d_exponent)

    def __rpow__(self, other: float) -> Value:
        return _lift(other, "**") ** self

    @_derivatives("sqrt", "sqrt(a)", "1 / (2 * sqrt(a))")
    def sqrt(self) -> Value:
        a = self.data
        if a < 0:
            raise ValueError(f"sqrt({a!r}): input must be >= 0")
        out = math.sqrt(a)
        if out == 0:
            local = _undefined_local(
                f"sqrt({a!r}): the local derivative 1 / (2 * sqrt(a)) is infinite"
            )
        else:
            local = 0.5 / out
        return _unary(out, "sqrt", self, local)

    @_derivatives("abs", "abs(a)", "sign(a)")
    def __abs__(self) -> Value:
        a = self.data
        return _unary(abs(a), "abs", self, 1.0 if a > 0 else -1.0 if a < 0 else 0.0)  # 0 at 0

    def abs(self) -> Value:
        """|a|; also `abs(x)`. The local derivative at 0 is taken as 0 (a subgradient)."""
        return self.__abs__()

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
        if not a > 0:
            raise ValueError(f"log({a!r}): input must be > 0")
        return _unary(math.log(a), "log", self, 1.0 / a)

    @_derivatives("sin", "sin(a)", "cos(a)")
    def sin(self) -> Value:
        a = self.data
        if math.isinf(a):
            raise ValueError(f"sin({a!r}): the sine of an infinity is not a number")
        return _unary(math.sin(a), "sin", self, math.cos(a))

    @_derivatives("cos", "cos(a)", "-sin(a)")
    def cos(self) -> Value:
        a = self.data
        if math.isinf(a):
            raise ValueError(f"cos({a!r}): the cosine of an infinity is not a number")
        return _unary(math.cos(a), "cos", self, -math.sin(a))

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
        if a != a:
            raise ValueError(f"relu({a!r}) is not a number")
        return _unary(0.0, "relu", self, 0.0)

    # ---- the backward pass

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, inputs before the nodes that use them (post-order).

        Iterative depth-first search, so a graph of any depth works at the default
        recursion limit. A visited node is marked in its own slot, with a stamp new to each
        sort: a slot is read faster than a set of 65,818 nodes is searched (18% fewer
        instructions on the moons graph, measured). A node whose inputs are all marked goes
        into the order at once (in a DAG a marked input is a finished one): a neuron's products
        w * x do (13% fewer again). The slot costs 8 bytes per node. One sort marks at a
        time; a sort that starts meanwhile (in another thread, or a signal handler's) keeps a
        set instead and gives the same order.
        """
        if not _marking.acquire(blocking=False):
            return _order_with_a_set(self)
        try:
            order: list[Value] = []
            stamp = object()
            stack: list[Value | None] = [self]
            pop, push, done = stack.pop, stack.append, order.append
            while stack:
                node = pop()
                if node is None:  # marker: everything below the next node is in order
                    done(pop())  # type: ignore[arg-type]
                    continue
                if node._mark is stamp:  # pushed twice, reached by the later push
                    continue
                node._mark = stamp
                input1 = node._input1
                if input1 is None:  # a leaf is in order at once
                    done(node)
                    continue
                input2 = node._input2
                if input1._mark is not stamp:
                    push(node)
                    push(None)
                    push(input1)
                    if input2 is not None and input2._mark is not stamp:
                        push(input2)
                elif input2 is not None and input2._mark is not stamp:
                    push(node)
                    push(None)
                    push(input2)
                else:  # its inputs are in order already (a marked input is a finished one)
                    done(node)
            return order
        finally:
            _marking.release()

    def backward(self) -> None:
        """Fill `grad` on every node with d self / d node, by the chain rule from here back.

        Sets this node's grad to 1 and resets the grads of all other non-leaf nodes first, so
        calling backward() twice gives the same intermediate grads. Leaf grads (inputs, weights,
        biases) *accumulate*, as in PyTorch: gradients from several costs add up. Clear them
        before the next step with `Module.zero_grad()` or `for p in params: p.grad = 0.0`.
        Raises `ArithmeticError` naming the node and the numbers that met when a gradient would
        be NaN (an infinite upstream gradient times a zero local derivative, say).
        """
        deque(_chain_rule(self, None), maxlen=0)  # run the loop to the end, at C speed

    def backward_steps(self) -> Iterator[Any]:
        """The backward pass one node at a time, each step a record of the chain rule it
        applied; see `micrograd_like.steps.backward_steps`."""
        if _step_reader is None:
            raise RuntimeError("backward_steps: import micrograd_like to install the step reader")
        return _step_reader(self)

    def zero_grad(self) -> None:
        """Set grad to 0 on this node and everything it depends on."""
        for node in self.topological_order():
            node.grad = 0.0


class Parameter(Value):
    """A weight or a bias: a `Value` that a model owns and an optimizer updates.

    It behaves exactly like a `Value`; the class only lets a drawing or a debugger tell the
    parameters apart from inputs and intermediate nodes (`isinstance(node, Parameter)`).
    """

    __slots__ = ()


# Held by the one topological sort that is marking nodes (Value._mark) at a time. Taken
# without waiting, so nothing can deadlock on it; at worst it stays held (a Ctrl-C landing
# between its acquire and the sort's `try`), and every later sort keeps a set: slower, the
# same order.
_marking = threading.Lock()


def _new_marking_lock() -> None:
    """A forked child starts with a free lock, whatever sort its parent's threads were in."""
    global _marking
    _marking = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_new_marking_lock)


def _order_with_a_set(root: Value) -> list[Value]:
    """`root.topological_order()` while another sort is marking nodes: the same search, with
    the visited nodes in a set of its own."""
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    pop, push, visit, done = stack.pop, stack.append, visited.add, order.append
    while stack:
        node = pop()
        if node is None:
            done(pop())  # type: ignore[arg-type]
            continue
        if node in visited:
            continue
        visit(node)
        input1 = node._input1
        if input1 is None:
            done(node)
            continue
        push(node)
        push(None)
        if input1 not in visited:
            push(input1)
        input2 = node._input2
        if input2 is not None and input2 not in visited:
            push(input2)
    return order


def weighted_sum(
    weights: Iterable[Value | float], inputs: Iterable[Value | float], start: Value | float
) -> Value:
    """start + w1*x1 + w2*x2 + ...: a neuron's z = b + Σ w_i x_i.

    The same nodes, in the same order, with the same errors as
    `sum(map(operator.mul, weights, inputs), start)`, micrograd's way: ((b + w1*x1) + w2*x2) ...
    (except that weights and inputs of different lengths raise ValueError, and that a number
    `start` is a constant node even when there are no terms).
    Built in one loop, so that a term costs no calls of `__mul__` and `__add__` (a third of the
    time of making its two nodes, measured). A term of plain numbers, or any term while a
    thread is inside no_grad() or hooks(), goes through the operators themselves.
    """
    total = start if isinstance(start, Value) else _lift(start, "+")
    # nodes of this module's types only: a subclass of your own keeps its own operators (its
    # start's __add__ included). A sum built here is a Value, so `total` is checked only where
    # an operator made it.
    plain = not _threads_in_a_mode and (type(total) is Value or type(total) is Parameter)
    for w, x in zip(weights, inputs, strict=True):
        if not (
            plain
            and (type(w) is Parameter or type(w) is Value)
            and (type(x) is Value or type(x) is Parameter)
        ):
            total = total + w * x
            plain = not _threads_in_a_mode and (type(total) is Value or type(total) is Parameter)
            continue
        a, b = w.data, x.data
        product = a * b
        data = total.data + product
        if data != data:  # NaN: inf * 0 or inf - inf; the operators raise their own errors
            total = total + w * x
            continue
        term = _allocate(Value)  # w * x, as __mul__ makes it
        term._mark = None
        term.data = product
        term.grad = 0.0
        term._op = "*"
        term._input1 = w
        term._local1 = b
        term._input2 = x
        term._local2 = a
        out = _allocate(Value)  # total + term, as __add__ makes it
        out._mark = None
        out.data = data
        out.grad = 0.0
        out._op = "+"
        out._input1 = total
        out._local1 = 1.0
        out._input2 = term
        out._local2 = 1.0
        total = out
    return total


# The ops defined above; Value.from_op refuses their names.
BUILT_IN_OPS = frozenset(OP_FORMULAS)


def _compared(other: object) -> Any:
    """What a comparison compares `data` with: another node's data, or the number itself (a
    float and an int compare exactly, even past the floats' range); NotImplemented lets Python
    try the other side, then say which types it could not compare."""
    if isinstance(other, Value):
        return other.data
    if isinstance(other, Real) and not isinstance(other, bool):
        return other
    return NotImplemented


def _register_formula(op: str, arity: int, formula: Sequence[str]) -> None:
    """Record the symbolic derivatives of an op made with `Value.from_op`, for explain()."""
    if isinstance(formula, str) or not isinstance(formula, Sequence):
        raise TypeError(
            f"Value.from_op({op!r}): formula must be a list of strings, one per input, "
            f"got {formula!r}"
        )
    if not all(isinstance(each, str) for each in formula):
        raise TypeError(
            f"Value.from_op({op!r}): formula must be a list of strings, one per input, "
            f"got {formula!r}"
        )
    if len(formula) != arity:
        raise ValueError(f"Value.from_op({op!r}): {arity} input(s) but {len(formula)} formula(s)")
    entry = (f"{op}(a)" if arity == 1 else f"{op}(a, b)", tuple(formula))
    known = OP_FORMULAS.setdefault(op, entry)
    if known != entry:
        raise ValueError(
            f"Value.from_op({op!r}): the op already has the formula {list(known[1])!r}; "
            f"one op name, one derivative (got {list(formula)!r})"
        )


# ---- the chain rule, in one loop


class BackwardConflict(RuntimeError):
    """Another backward pass ran on a graph while a stepping pass over it was paused."""


class _Pass:
    """A backward pass that can pause between nodes (stepping). It remembers each leaf's grad
    from before the pass and as the pass last left it, so that a pass that takes over can set
    the leaves back instead of adding to a half-made sum."""

    __slots__ = ("interrupted", "before", "left")

    def __init__(self) -> None:
        self.interrupted = ""
        self.before: dict[Value, float] = {}
        self.left: dict[Value, float] = {}

    def roll_back(self) -> None:
        """Give every leaf the grad it had before this pass, unless someone changed it since."""
        for leaf, grad in self.left.items():
            if leaf.grad == grad:
                leaf.grad = self.before[leaf]


# id(node) -> the paused stepping pass that holds the node's grad half-way
_paused: dict[int, _Pass] = {}


def _chain_rule(
    root: Value, paused: _Pass | None, order: list[Value] | None = None
) -> Iterator[Value]:
    """Apply the chain rule node by node.

    `paused` is given by a pass that stops between nodes (backward_pass): it yields each node
    once its inputs got their share, and its nodes are registered so that another pass over
    them can tell it to stop. Without it the loop runs straight through on the first `next()`
    (backward(), and a Tape's replay under hooks), which spares a pause per node. A `Tape`
    hands in the order it recorded.
    """
    if order is None:
        order = root.topological_order()
    if _paused:  # some stepping pass is paused: does it share a node with this one?
        _interrupt_paused(order, paused)
    if paused is not None:
        for node in order:
            _paused[id(node)] = paused
            if node._input1 is None:
                paused.before[node] = node.grad
    try:
        for node in order:
            if node._input1 is not None:
                node.grad = 0.0
        root.grad = 1.0
        backward_hooks = _modes.backward_hooks if _threads_in_a_mode else ()
        watched = bool(backward_hooks) or paused is not None
        for node in reversed(order):
            upstream = node.grad  # d root / d node, complete: every node that uses it is done
            if upstream != upstream:
                raise _nan_error(node, order)
            input1, input2 = node._input1, node._input2
            if input1 is not None:  # chain rule: d root/d input += ∂node/∂input * d root/d node
                input1.grad += node._local1 * upstream
                if input2 is not None:
                    input2.grad += node._local2 * upstream
            if watched:
                for hook in backward_hooks:
                    hook(node)
                if paused is not None:  # a stepping pass: pause here; backward() runs straight on
                    if node is order[0]:
                        _release(order, paused)  # every step applied: nothing left to take over
                    yield node
    finally:
        if paused is not None:
            _release(order, paused)


def _release(order: list[Value], paused: _Pass) -> None:
    for node in order:
        if _paused.get(id(node)) is paused:
            del _paused[id(node)]


def _interrupt_paused(order: list[Value], current: _Pass | None) -> None:
    for node in order:
        other = _paused.get(id(node))
        if other is not None and other is not current and not other.interrupted:
            other.roll_back()
            other.interrupted = (
                f"backward_steps: another backward pass ran over {node!r} while this one was "
                "paused; its partial grads are gone and the leaves it had added to were set "
                "back; start a new backward_steps()"
            )


def backward_pass(root: Value) -> Iterator[Value]:
    """The backward pass as a generator: THE chain-rule loop, paused after each node.

    Resets every non-leaf grad to 0 and sets root.grad to 1, then, for each node in
    `reversed(root.topological_order())` (the root first), adds ∂node/∂input * d root/d node to
    each input's grad and yields the node: by then the node's own grad is final. Drained, it
    leaves every grad exactly as `root.backward()` does (which runs this same loop). Hooks
    installed with `hooks(backward=...)` run after each node.

    While it is paused between nodes, another backward pass over any of its nodes (a
    `backward()`, another stepping pass) takes over: this one then raises `BackwardConflict` at
    its next step instead of mixing two passes' gradients.
    """
    state = _Pass()
    for node in _chain_rule(root, state):
        for each in node.inputs:
            if each in state.before:  # a leaf: remember what this pass left in it
                state.left[each] = each.grad
        yield node
        if state.interrupted:  # checked on resuming, before the next node's step
            raise BackwardConflict(state.interrupted)


def _nan_error(node: Value, order: list[Value]) -> ArithmeticError:
    """Name the node whose gradient became NaN and the numbers that met to make it."""
    where = order.index(node)
    shares = [
        (user, local, user.grad)
        for user in order[where + 1 :]
        for each, local in zip(user.inputs, user.local_grads, strict=True)
        if each is node
    ]
    products = [f"{local!r} * {upstream!r} from {user!r}" for user, local, upstream in shares]
    met = [f"{local!r} * {up!r}" for _, local, up in shares if (local * up) != (local * up)]
    how = f"{met[0]} is not a number" if met else "infinities of opposite signs were added"
    return ArithmeticError(
        f"backward: the gradient of {node!r} would be NaN: {how} "
        f"(the shares it received: {'; '.join(products) or 'none'}); "
        "the backward pass stopped, grads are partial (detect_anomaly() finds where the "
        "infinity was made)"
    )


def _first_nan_error(found: Value, order: list[Value]) -> ArithmeticError:
    """The error of the node eager's loop stops at: the first, from the root down, whose grad
    is NaN. `found` is NaN, and every node after it in the order holds its final grad."""
    lowest = order.index(found)
    first = next(node for node in reversed(order[lowest:]) if node.grad != node.grad)
    return _nan_error(first, order)


@contextmanager
def no_grad() -> Iterator[None]:
    """Compute values without recording the graph (for evaluation and parameter updates).

    Results made inside are leaves: no inputs, nothing for backward() to walk; ops whose local
    derivative does not exist (`Value(0.0) ** 0.5`) still give their value. Per thread, as in
    PyTorch: other threads keep recording, and a new thread starts with recording on.
    """
    with _mode(recording=False):
        yield


def is_grad_enabled() -> bool:
    """True unless this thread is inside `no_grad()`."""
    return _modes.recording


_collector_lock = threading.Lock()
_collector_pauses = 0  # how many collector_paused() blocks are open, in every thread
_collector_was_enabled = False  # whether the collector was on when the first of them opened


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block: an opt-in for training loops.

    A graph here holds no reference cycles, so reference counting frees it and the collector
    finds nothing to collect; yet it runs every few hundred new nodes and scans them, a fifth
    to a quarter of an eager training step (measured on the moons step: see the README's Speed).
    Inside the block it does not run. The collector is one switch for the whole process:
    it stays off while any thread is inside such a block, and when the last one is left it
    is on again if it was on when the first was entered; its next run collects whatever
    cycles your own code made meanwhile.
    """
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


@contextmanager
def hooks(*, forward: Hook | None = None, backward: Hook | None = None) -> Iterator[None]:
    """Call `forward(node)` for every node made in this thread inside the block, and
    `backward(node)` after each node's chain-rule step of every backward pass in it.

    Blocks nest (inner hooks run after outer ones) and are per thread. The nodes a forward hook
    makes itself are shown to no hook, so a hook may compute with its node. `detect_anomaly()`
    is built on this.
    """
    for name, hook in (("forward", forward), ("backward", backward)):
        if hook is not None and not callable(hook):
            raise TypeError(f"hooks: {name} must be a function of a node, got {hook!r}")
    with _mode(forward=(forward,) if forward else (), backward=(backward,) if backward else ()):
        yield


_step_reader: Callable[[Value], Iterator[Any]] | None = None


def set_step_reader(reader: Callable[[Value], Iterator[Any]]) -> None:
    """Install the function behind `Value.backward_steps()` (micrograd_like.steps does, on
    import), so that the engine imports nothing of the package."""
    global _step_reader
    _step_reader = reader


# ---- replay: a recorded graph recomputed in place


class Tape:
    """A built graph, recorded once, then recomputed in place as often as you like.

    `Tape(cost)` flattens the graph behind `cost` (its topological order and, per node, how to
    recompute it). `tape.replay()` then recomputes every node's value and local derivatives from
    the leaves' current data, along the recorded ops, and runs the backward pass: `.data`,
    `.grad` and `local_grads` are written into the same Value objects, so every reader
    (drawings, steps, the page) works on a replayed graph. It skips the topological sort,
    makes no nodes of the graph again (only a scratch node for each op other than +, * and
    relu, which it recomputes by calling the op) and takes a neuron's sum b + w1*x1 + ... in one
    step, which makes a training step several times faster than building the graph again.

    The numbers are those of a fresh forward and backward of the same expression, bit for bit
    (each op runs the same arithmetic, and every gradient is summed in the same order), an
    out-of-domain value raises the same error (the replay then stops half-way: fix the data and
    replay again; with several, the one named may differ), and leaf grads accumulate as with
    `backward()`. Data-dependent ops such as `relu` pick their branch again on every replay.
    The limit: the graph's *shape* must not depend on the data (a Python `if` on a value,
    `max(values)`): such a graph must be built again. Ops made with `Value.from_op` need a
    rule: `Tape(cost, rules={"my_op": my_op})`, the function that made the node.
    """

    def __init__(
        self, root: Value, *, rules: dict[str, Callable[..., Value]] | None = None
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Tape: root must be a Value, got {type(root).__name__}: {root!r}")
        extra = dict(rules or {})
        for op, rule in extra.items():
            if op in BUILT_IN_OPS or op.startswith("**"):
                raise ValueError(f"Tape: {op!r} is a built-in op; rules= is for ops of your own")
            if not callable(rule):
                raise TypeError(f"Tape: the rule for {op!r} must be a function, got {rule!r}")
        self.root = root
        self.order = root.topological_order()
        self._leaves = [node for node in self.order if node._input1 is None]
        self._rules: dict[str, Callable[..., Value]] = {}  # op -> the eager op that remakes it
        for node in self.order:
            op = node._op
            if node._input1 is None or op in self._rules:
                continue
            found = extra.get(op) or _replay_rule(op)
            if found is None:
                raise ValueError(
                    f"Tape: cannot replay the op {op!r} of {node!r}: it was made with "
                    f"Value.from_op; pass the function that makes it: "
                    f"Tape(root, rules={{{op!r}: your_function}})"
                )
            self._rules[op] = found
        self._plan = self._make_plan(_sums_of_products(self.order))

    def _make_plan(self, chains: dict[Value, _Chain]) -> list[_Step]:
        """One step per op node, in order: (node, kind, input1, input2, rule); + * relu, nearly
        every node of a network, are written out in forward(), the rest call their op. A chain
        of sums of products takes one step, where its last sum stands in the order."""
        plan: list[_Step] = []
        for node in self.order:
            if node._input1 is None:
                continue
            chain = chains.get(node)
            if chain is None or not chain.whole:
                kind = _FAST_KINDS.get(node._op, _CALL)
                plan.append((node, kind, node._input1, node._input2, self._rules[node._op]))
            elif node is chain.links[-1][3]:
                plan.append((node, _CHAIN, chain.start, None, tuple(chain.links)))
        return plan

    def __len__(self) -> int:
        """The number of nodes recorded."""
        return len(self.order)

    @property
    def steps(self) -> int:
        """How many steps a replay takes: one per op node, but one for each chain of sums of
        products (a neuron's b + w1*x1 + w2*x2 + ...), forward and backward."""
        return len(self._plan)

    def forward(self) -> None:
        """Recompute every node's value and local derivatives from the leaves' data, and set
        the grads of the recomputed nodes to 0 (they belonged to the old values); leaf grads
        are left as they are, to accumulate.

        A stepping pass paused over this graph is stopped (its next step raises
        `BackwardConflict`), as another backward pass would stop it. Forward hooks installed
        with `hooks()` see each recomputed node, in order, as if it were made again.
        """
        if not _modes.recording:
            raise RuntimeError(
                "Tape: replaying inside no_grad() would give local derivatives that do not "
                "exist the value 0; replay outside the no_grad() block"
            )
        if _paused:
            _interrupt_paused(self.order, None)
        watching = _modes.forward_hooks if _threads_in_a_mode else ()
        if not watching:
            self._recompute()
            return
        with _mode(quiet=True):  # the ops called below make scratch nodes, not the graph's
            for node in self.order:  # node by node, each op by its own code, for the hooks
                if node._input1 is not None:
                    fresh = self._made_again(node)
                    node.data, node._local1 = fresh.data, fresh._local1
                    if node._input2 is not None:
                        node._local2 = fresh._local2
                    node.grad = 0.0
                    _show(node, watching)

    def _made_again(self, node: Value) -> Value:
        """A scratch node: the node's op called on its inputs, as the eager code makes it."""
        rule, a, b = self._rules[node._op], node._input1, node._input2
        return rule(a) if b is None else rule(a, b)

    def _recompute(self) -> None:
        for node, kind, a, b, rule in self._plan:
            node.grad = 0.0  # it belonged to the old values; backward() adds into it afresh
            if kind == _CHAIN:  # a sum of products: start + w1*x1 + w2*x2 + ...
                total = a.data
                for term, w, x, partial in rule:
                    p = w.data
                    q = x.data
                    product = p * q
                    total = total + product
                    if total != total:  # NaN: the eager ops raise their errors
                        _raise_nan_error(partial._input1, w, x)
                    term.data = product
                    term._local1 = q  # ∂(w*x)/∂w = x, ∂(w*x)/∂x = w
                    term._local2 = p
                    term.grad = 0.0
                    partial.data = total
                    partial.grad = 0.0
            elif kind == _MUL:  # ∂(a*b)/∂a = b, ∂(a*b)/∂b = a
                x = a.data
                y = b.data
                out = x * y
                if out != out:
                    rule(a, b)  # the op's own error: inf * 0
                node.data = out
                node._local1 = y
                node._local2 = x
            elif kind == _ADD:  # the local derivatives stay 1, 1
                out = a.data + b.data
                if out != out:
                    rule(a, b)
                node.data = out
            elif kind == _RELU:  # the branch is chosen again: the step function of a
                x = a.data
                if x > 0:
                    node.data = x
                    node._local1 = 1.0
                else:
                    if x != x:
                        rule(a)
                    node.data = 0.0
                    node._local1 = 0.0
            elif b is None:
                fresh = rule(a)
                node.data = fresh.data
                node._local1 = fresh._local1
            else:
                fresh = rule(a, b)
                node.data = fresh.data
                node._local1 = fresh._local1
                node._local2 = fresh._local2

    def replay(self, *, check: bool = False) -> None:
        """Forward along the recorded ops, then backward from the root, in place.

        `check=True` also recomputes every node with the eager op code, one node at a time,
        and raises `ReplayMismatch` naming the first node whose value or local derivatives
        differ (slow; for tests and for doubt).
        """
        self.forward()
        if check:
            self.check()
        root = self.root
        if _threads_in_a_mode and _modes.backward_hooks:  # the stepping loop shows them every node
            deque(_chain_rule(root, None, self.order), maxlen=0)
            return
        # backward_pass's chain rule, written per op as forward() is: forward() has set every
        # non-leaf grad to 0, and a sum passes its upstream gradient on unchanged (∂ = 1, 1)
        root.grad = 1.0
        for node, kind, a, b, rule in reversed(self._plan):
            upstream = node.grad  # d root / d node, complete: every node that uses it is done
            if upstream != upstream:
                raise _first_nan_error(node, self.order)
            if kind == _CHAIN:
                # every sum and product inside gets the last sum's gradient (∂ of a sum is 1;
                # eager adds it to 0.0, which changes no bit: a grad summed from 0.0 is never
                # -0.0), and its shares go out in the order the eager loop reaches them: the
                # start's, then the products' from the first to the last (_sums_of_products)
                a.grad += upstream
                for term, w, x, partial in rule:
                    partial.grad = term.grad = upstream
                    w.grad += term._local1 * upstream
                    x.grad += term._local2 * upstream
            elif kind == _ADD:
                a.grad += upstream
                b.grad += upstream
            else:
                a.grad += node._local1 * upstream
                if b is not None:
                    b.grad += node._local2 * upstream
        for leaf in self._leaves:  # the loop above checked every other node
            if leaf.grad != leaf.grad:
                raise _first_nan_error(leaf, self.order)

    def check(self) -> None:
        """Compare every node with what the eager op makes from the same inputs, bit for bit."""
        with _mode(quiet=True):  # scratch nodes, not the graph's: forward hooks do not see them
            self._check()

    def _check(self) -> None:
        for node in self.order:
            if node._input1 is None:
                continue
            fresh = self._made_again(node)
            if (fresh.data, fresh.local_grads) != (node.data, node.local_grads):
                raise ReplayMismatch(
                    f"Tape.check: {node!r} replayed to data {node.data!r} with local "
                    f"derivatives {node.local_grads!r}, but {node.op} of its inputs gives "
                    f"{fresh.data!r} and {fresh.local_grads!r}"
                )


class _Chain:
    """start + w1*x1 + w2*x2 + ... + wn*xn as micrograd builds it, ((start + t1) + t2) + ...,
    where every product t_k and every partial sum but the last is used by the next sum only."""

    __slots__ = ("start", "links", "first", "end", "whole")

    def __init__(self, start: Value, first: int) -> None:
        self.start = start
        self.links: list[tuple[Value, Value, Value, Value]] = []  # (t_k, w_k, x_k, sum_k)
        self.first = first  # where its first node stands in the order
        self.end = first  # where its last sum stands
        self.whole = False  # replayed as one step

    def reads(self) -> dict[Value, int]:
        """How many times the chain reads each node it adds a gradient into."""
        count = {self.start: 1}
        for _, w, x, _ in self.links:
            count[w] = count.get(w, 0) + 1
            count[x] = count.get(x, 0) + 1
        return count


def _sums_of_products(order: list[Value]) -> dict[Value, _Chain]:
    """The chains of sums of products in a graph, by each of their nodes; a Tape replays the
    `whole` ones as one step each.

    One step does a chain's forward where its last sum stands in the order, and its backward
    there too: the start's share, then the products' from the first to the last, which is the
    order the eager loop reaches them in (the depth-first order puts a chain's products before
    its sums, the last product first). Other nodes may stand between them in the order (an
    input's own graph, met first there); a chain is whole only if none of those reads a node
    the chain reads, that is adds into a gradient the chain adds into, so that every gradient
    is the same sum, in the same order, bit for bit.
    """
    uses: dict[Value, int] = {}
    for node in order:
        for each in (node._input1, node._input2):
            if each is not None:
                uses[each] = uses.get(each, 0) + 1
    chain_of: dict[Value, _Chain] = {}
    product_at: dict[Value, int] = {}  # where each product used once stands
    for position, node in enumerate(order):
        term, before = node._input2, node._input1
        if node._op == "*" and uses.get(node) == 1:
            product_at[node] = position
        if node._op != "+" or term is None or term not in product_at:
            continue
        assert before is not None and term._input1 is not None and term._input2 is not None
        chain = chain_of.get(before) if uses[before] == 1 else None
        if chain is None or chain.links[-1][3] is not before:
            chain = _Chain(before, product_at[term])
        chain.links.append((term, term._input1, term._input2, node))
        chain.first = min(chain.first, product_at[term])
        chain.end = position
        chain_of[term] = chain_of[node] = chain
    chains = [chain for chain in set(chain_of.values()) if len(chain.links) > 1]
    # where each node a chain reads is read, in order: a chain is whole if, between its first
    # node and its last sum, it is read by the chain alone
    read_at: dict[Value, list[int]] = {node: [] for chain in chains for node in chain.reads()}
    for position, node in enumerate(order):
        for each in (node._input1, node._input2):
            found = read_at.get(each)  # type: ignore[arg-type]
            if found is not None:
                found.append(position)
    for chain in chains:
        chain.whole = all(
            bisect_right(read_at[node], chain.end) - bisect_left(read_at[node], chain.first)
            == count
            for node, count in chain.reads().items()
        )
    return chain_of


def _raise_nan_error(before: Value, w: Value, x: Value) -> NoReturn:
    """The error of before + w*x that came out NaN: the product's (inf * 0) or the sum's."""
    before + w * x
    raise AssertionError(f"Tape: {before!r} + {w!r} * {x!r} is NaN, yet no op refused it")


# (node, kind, input1, input2, rule), or for a chain (last sum, _CHAIN, start, None, links)
_Step = tuple[Value, int, Any, Any, Any]


class ReplayMismatch(AssertionError):
    """A replayed node differs from the eager op on the same inputs."""


_ADD, _MUL, _RELU, _CALL, _CHAIN = 0, 1, 2, 3, 4
_FAST_KINDS = {"+": _ADD, "*": _MUL, "relu": _RELU}
_METHODS: dict[str, Callable[..., Value]] = {
    "+": Value.__add__,
    "-": Value.__sub__,
    "*": Value.__mul__,
    "/": Value.__truediv__,
    "**": Value.__pow__,
    "neg": Value.__neg__,
    "exp": Value.exp,
    "log": Value.log,
    "sin": Value.sin,
    "cos": Value.cos,
    "sqrt": Value.sqrt,
    "abs": Value.__abs__,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
}


def _replay_rule(op: str) -> Callable[..., Value] | None:
    """The eager op that recomputes a node: its method, or the power with its exponent."""
    if op.startswith("**") and op != "**":
        exponent = float(op[2:])
        return lambda base: base**exponent
    return _METHODS.get(op)
