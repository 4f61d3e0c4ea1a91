"""The scalar autograd engine: a `Value` node, the chain rule, and every op with its derivative.

Read it top to bottom. A node holds one number (`data`), the gradient of the cost with respect
to it (`grad`), the op that made it and its one or two inputs, each with the op's *local
derivative* ∂node/∂input, computed in the forward pass. `backward()` visits the nodes from the
cost back to the leaves and applies the chain rule at each:

    input.grad += local * node.grad      # dC/d input += ∂node/∂input × dC/d node

Then come the ops, each its value and its local derivatives side by side, collected in `OPS`,
the one registry of ops. Under this module sit `modes` (no_grad(), hooks, paused stepping) and
`floats` (numbers in, out and failing); speed lives in `faster` and `tape` (docs/speed.md).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from micrograd_like import copies, floats, modes
from micrograd_like.floats import as_float, format_number

Method = TypeVar("Method", bound=Callable[..., Any])


def operation(name: str, value: str, *local: str, **more: Any) -> Callable[[Method], Method]:
    """Write an op's maths beside the method that makes it, as `Op` (below the class) spells
    it: its value and its local derivative for each input; `more`: Op's other fields."""

    def enter(method: Method) -> Method:
        method.ops = (*getattr(method, "ops", ()), (name, value, local, more))  # type: ignore[attr-defined]
        return method

    return enter


class Value:
    """One number in a computational graph, with the gradient of the cost with respect to it.

    A node made by an op keeps the op's name (`op`; "" for a leaf: an input, a weight, a
    constant) and its inputs in order, each with its local derivative: `input1`, `local1` and,
    for a two-input op, `input2`, `local2` (as tuples: `inputs`, `local_grads`).
    """

    __slots__ = ("data", "grad", "_op", "input1", "local1", "input2", "local2", "mark", "__dict__")

    def backward(self) -> None:
        """Fill `grad` on every node with dC/d node (C: this node) by the chain rule, from C back.
        Sets C's grad to 1 and the other op nodes' grads to 0 first; leaf grads (inputs, weights)
        *accumulate*, as in PyTorch: `Module.zero_grad()` clears them. A gradient that would be
        NaN raises `ArithmeticError` naming the node and the numbers that met."""
        order = self.topological_order()  # inputs before the nodes that use them
        with modes.one_pass:  # passes run one at a time, whichever threads start them
            watching = modes.start_backward(order)  # hooks to call; a paused stepping pass stops
            for node in order:
                if node.input1 is not None:
                    node.grad = 0.0
            self.grad = 1.0
            for node in reversed(order):
                upstream = node.grad  # dC/d node, complete: every node that uses it is done
                if upstream != upstream:  # NaN, the one float unequal to itself
                    raise floats.nan_gradient(node, order)
                input1 = node.input1
                if input1 is not None:  # the chain rule: dC/d input += ∂node/∂input × dC/d node
                    input1.grad += node.local1 * upstream
                    input2 = node.input2
                    if input2 is not None:
                        input2.grad += node.local2 * upstream
                if watching:  # hooks(backward=...) blocks are open in this thread
                    for hook in watching:
                        hook(node)

    def _backward(self) -> None:
        """One node's step of the loop above, as micrograd's closures take it (the stepping pass
        does): each input's grad receives ∂self/∂input × self.grad."""
        upstream = self.grad
        input1 = self.input1
        if input1 is not None:
            input1.grad += self.local1 * upstream
            input2 = self.input2
            if input2 is not None:
                input2.grad += self.local2 * upstream

    def topological_order(self) -> list[Value]:
        """Every node this one depends on, inputs before the nodes that use them (post-order):
        a depth-first search with a stack, not recursion, so a chain of a million ops works. A
        visited node is marked with a stamp new to each search; a node whose inputs are all
        marked is in order at once (in a graph without cycles, a marked input is a finished one).
        """
        with modes.MarkingSearch() as mine:  # one search marks at a time; Ctrl-C waits
            if not mine:  # another search is marking nodes
                return modes.order_with_a_set(self)
            order: list[Value] = []
            stamp = object()
            stack: list[Value | None] = [self]
            pop, push, done = stack.pop, stack.append, order.append
            while stack:
                node = pop()
                if node is None:  # a marker: the node below it has every input in order
                    done(pop())  # type: ignore[arg-type]
                    continue
                if node.mark is stamp:  # pushed twice, reached by the later push
                    continue
                node.mark = stamp
                input1 = node.input1
                if input1 is None:  # a leaf is in order at once
                    done(node)
                    continue
                input2 = node.input2
                if input1.mark is not stamp:  # its inputs first, then (the marker) the node
                    push(node)
                    push(None)
                    push(input1)
                    if input2 is not None and input2.mark is not stamp:
                        push(input2)
                elif input2 is not None and input2.mark is not stamp:
                    push(node)
                    push(None)
                    push(input2)
                else:
                    done(node)
            return order

    def zero_grad(self) -> None:
        """Set grad to 0 on this node and everything it depends on."""
        for node in self.topological_order():
            node.grad = 0.0

    def backward_steps(self) -> NoReturn:  # moved above the engine: the stepper reads it
        raise AttributeError("C.backward_steps() is now backward_steps(C), from micrograd_like")

    # pickle, copy.copy and copy.deepcopy take a graph in one loop, so any depth works
    __reduce_ex__ = copies.reduced
    __copy__ = copies.shallow
    __deepcopy__ = copies.deep

    # ---- what a node is

    grad: float  # dC/d node, once C.backward() has run
    _label = ""  # in the node's __dict__ once set: an unlabelled node reads the class's

    def __init__(self, data: float, label: str = "") -> None:
        self.data: float = as_float(data)
        self.grad = 0.0
        if label or not isinstance(label, str):
            self.label = label
        self._op = ""
        self.input1: Value | None = None
        self.input2: Value | None = None
        self.local1: float = 0.0
        self.local2: float = 0.0
        self.mark: object = None  # the stamp of the last topological search that reached it

    @property
    def label(self) -> str:
        """A name for drawings, steps and debuggers ("" for none)."""
        return self._label

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}: {label!r}")
        self._label = label

    @property
    def op(self) -> str:
        """The operation that produced this node; "" for a leaf."""
        return self._op

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The operands of `op`, in order, duplicates kept (`a * a` has `a, a`); () for a leaf."""
        if self.input1 is None:
            return ()
        return (self.input1,) if self.input2 is None else (self.input1, self.input2)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂input for each input, computed by the op in the forward pass."""
        if self.input1 is None:
            return ()
        return (self.local1,) if self.input2 is None else (self.local1, self.local2)

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the inputs: a set (order and duplicates lost; prefer `inputs`)."""
        return set(self.inputs)

    def __repr__(self) -> str:
        op = f", op={self._op!r}" if self._op else ""
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={format_number(self.data)}, grad={format_number(self.grad)}{op}{label})"

    # `==` and hashing stay identity (a node can be a dictionary key); < <= > >= compare data
    def __lt__(self, other: Value | float) -> bool:
        return _compared(self, other, operator.lt)

    def __le__(self, other: Value | float) -> bool:
        return _compared(self, other, operator.le)

    def __gt__(self, other: Value | float) -> bool:
        return _compared(self, other, operator.gt)

    def __ge__(self, other: Value | float) -> bool:
        return _compared(self, other, operator.ge)

    # ---- the ops, in the order the seeds (the articles this project grew from) meet them: each
    # its value and its local derivative(s), with their maths in its @operation line

    @operation("+", "a + b", "1", "1", word="add")
    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else lift(other, "+")
        data = self.data + other.data
        if data != data or modes.active:
            return make_node(data, "+", self, 1.0, other, 1.0)
        # make_node(data, "+", self, 1.0, other, 1.0), written out: + and * make most nodes
        out = _new(Value)
        out.data = data
        out.grad = 0.0
        out._op = "+"
        out.input1 = self
        out.local1 = 1.0
        out.input2 = other
        out.local2 = 1.0
        out.mark = None
        return out

    @operation("-", "a - b", "1", "-1", word="sub", operands=("a", "b"))
    def __sub__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else lift(other, "-")
        return make_node(self.data - other.data, "-", self, 1.0, other, -1.0)

    @operation("neg", "-a", "-1")
    def __neg__(self) -> Value:
        return make_node(-self.data, "neg", self, -1.0)

    @operation("*", "a * b", "b", "a", word="mul")
    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else lift(other, "*")
        a, b = self.data, other.data
        data = a * b
        if data != data or modes.active:
            return make_node(data, "*", self, b, other, a)
        out = _new(Value)  # make_node(data, "*", self, b, other, a), written out as in __add__
        out.data = data
        out.grad = 0.0
        out._op = "*"
        out.input1 = self
        out.local1 = b
        out.input2 = other
        out.local2 = a
        out.mark = None
        return out

    @operation("/", "a / b", "1 / b", "-a / b**2", word="div", operands=("a", "b"))
    def __truediv__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else lift(other, "/")
        a, b = self.data, other.data
        if b == 0:
            raise ZeroDivisionError(f"division {a!r} / {b!r}: the divisor is zero")
        return make_node(a / b, "/", self, 1.0 / b, other, -(a / b) / b)

    @operation("**n", "a**n", "n * a**(n - 1)", word="pow")
    @operation("**", "a**b", "b * a**(b - 1)", "out * log(a)", word="pow", operands=("base", "exp"))
    def __pow__(self, other: Value | float) -> Value:
        """`x ** 2` (the op "**2", whose one input is x) or `x ** y` (both differentiable)."""
        a = self.data
        if isinstance(other, Value):
            b, where = other.data, f"{a!r} ** Value({other.data!r})"
            out = floats.power(a, b, where)
            local_b = floats.exponent_local(a, b, out, where)
            return make_node(out, "**", self, floats.power_local(a, b, where), other, local_b)
        n, where = floats.exponent(other, a), f"{a!r} ** {other!r}"
        name = f"**{int(n)}" if n.is_integer() and abs(n) < 2**53 else f"**{n!r}"
        return make_node(floats.power(a, n, where), name, self, floats.power_local(a, n, where))

    @operation("sqrt", "sqrt(a)", "1 / (2 * sqrt(a))")
    def sqrt(self) -> Value:
        a = self.data
        if a < 0:
            raise ValueError(f"sqrt({a!r}): input must be >= 0")
        out = math.sqrt(a)
        if out == 0:
            why = f"sqrt({a!r}): the local derivative 1 / (2 * sqrt(a)) is infinite"
            return make_node(out, "sqrt", self, floats.undefined_local(why))
        return make_node(out, "sqrt", self, 0.5 / out)

    @operation("abs", "abs(a)", "sign(a)")
    def __abs__(self) -> Value:
        """|a|; also `x.abs()`. The local derivative at 0 is taken as 0 (a subgradient)."""
        a = self.data
        return make_node(abs(a), "abs", self, 1.0 if a > 0 else -1.0 if a < 0 else 0.0)

    abs = __abs__

    @operation("exp", "exp(a)", "exp(a)")
    def exp(self) -> Value:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp({self.data!r}): the result is too large for a float (inputs above 709.78)"
            ) from None
        return make_node(out, "exp", self, out)

    @operation("log", "log(a)", "1 / a")
    def log(self) -> Value:
        a = self.data
        if not a > 0:
            raise ValueError(f"log({a!r}): input must be > 0")
        return make_node(math.log(a), "log", self, 1.0 / a)

    @operation("sin", "sin(a)", "cos(a)")
    def sin(self) -> Value:
        a = self.data
        if math.isinf(a):
            raise ValueError(f"sin({a!r}): the sine of an infinity is not a number")
        return make_node(math.sin(a), "sin", self, math.cos(a))

    @operation("cos", "cos(a)", "-sin(a)")
    def cos(self) -> Value:
        a = self.data
        if math.isinf(a):
            raise ValueError(f"cos({a!r}): the cosine of an infinity is not a number")
        return make_node(math.cos(a), "cos", self, -math.sin(a))

    @operation("tanh", "tanh(a)", "1 - tanh(a)**2", activation=True)
    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return make_node(t, "tanh", self, 1.0 - t * t)

    @operation(
        "sigmoid", "sigmoid(a)", "sigmoid(a) * (1 - sigmoid(a))", activation=True, symbol="σ"
    )
    def sigmoid(self) -> Value:
        a = self.data
        if a >= 0:  # 1 / (1 + e^-a) never overflows here; for a < 0 use e^a / (1 + e^a)
            s = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            s = e / (1.0 + e)
        return make_node(s, "sigmoid", self, s * (1.0 - s))

    @operation("relu", "max(a, 0)", "step(a)", activation=True)
    def relu(self) -> Value:
        a = self.data
        if a != a:
            raise floats.not_a_number("relu", (a,))
        return make_node(a, "relu", self, 1.0) if a > 0 else make_node(0.0, "relu", self, 0.0)

    @operation("step", "step(a)", "0")
    def step(self) -> Value:
        """1 where a > 0, else 0: relu's local derivative as a node, so that a gradient through
        relu can be differentiated again (`derivatives.grad`). Flat: its own derivative is 0."""
        a = self.data
        if a != a:
            raise floats.not_a_number("step", (a,))
        return make_node(1.0 if a > 0 else 0.0, "step", self, 0.0)

    # plain numbers on the left: 2 * x, 1 - x, 2 ** x
    def __radd__(self, other: float) -> Value:
        return lift(other, "+") + self

    def __rsub__(self, other: float) -> Value:
        return lift(other, "-") - self

    def __rmul__(self, other: float) -> Value:
        return lift(other, "*") * self

    def __rtruediv__(self, other: float) -> Value:
        return lift(other, "/") / self

    def __rpow__(self, other: float) -> Value:
        return lift(other, "**") ** self

    @classmethod
    def from_op(
        cls,
        op: str,
        data: float,
        inputs: Sequence[Value],
        local_grads: Sequence[float],
        formula: Sequence[str] | None = None,
    ) -> Value:
        """A node made by an op of your own: its name, value, one or two inputs and the local
        derivative ∂out/∂input for each; `formula`, optional, gives them in maths for explain(),
        naming the inputs a, b and the output out: `Value.from_op("sine", math.sin(x.data), [x],
        [math.cos(x.data)], ["cos(a)"])`. A `Tape` replays it given the function that makes it."""
        if not isinstance(op, str) or not op.strip() or not op.isprintable():
            raise ValueError(f"Value.from_op: op must be a non-empty printable name, got {op!r}")
        known = OPS.get(op)
        if op.startswith("**") or (known is not None and known.method is not None):
            raise ValueError(f"Value.from_op: {op!r} is a built-in op; give yours its own name")
        one_or_two = isinstance(inputs, Sequence) and 1 <= len(inputs) <= 2
        if not one_or_two or not all(isinstance(each, Value) for each in inputs):
            raise TypeError(
                f"Value.from_op({op!r}): inputs must be a list of one or two Values, got "
                f"{inputs!r} (compose two-input ops for more)"
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
        value = as_float(data, f"{op}: value")
        locals_ = [as_float(local, f"{op}: local derivative") for local in local_grads]
        _enter_own_op(op, len(inputs), formula)
        if len(inputs) == 1:
            return make_node(value, op, inputs[0], locals_[0])
        return make_node(value, op, inputs[0], locals_[0], inputs[1], locals_[1])


class Parameter(Value):
    """A weight or a bias: a `Value` that a model owns and an optimizer updates. It behaves
    exactly like a `Value`; the class lets drawings and debuggers tell parameters apart."""

    __slots__ = ()


@dataclass(frozen=True)
class Op:
    """One op's entry in `OPS`. Formulas name the inputs a and b, the output out, and n the
    number exponent of `x ** n`; they are sympy-readable, so the tests can check them."""

    name: str  # a node's `op`: "+", "tanh"; "**n" stands for every number power "**2", ...
    value: str  # out, in maths: "tanh(a)"
    local: tuple[str, ...] | None  # ∂out/∂a (and ∂out/∂b); None: an op made without formulas
    word: str  # how an unlabelled node's name starts: "add" for "+" (else the op's name)
    symbol: str  # how the seeds write the function: "σ" for sigmoid (else the op's name)
    operands: tuple[str, ...] = ()  # what the inputs are called where their order matters
    method: Callable[..., Value] | None = None  # the method that makes it; None: Value.from_op
    activation: bool = False  # a neuron may use it as its f


OPS: dict[str, Op] = {}
"""Every op, by name: the ops of Value's methods marked with @operation (of its subclasses too),
and those made with `Value.from_op`. The Tape's replay rules, the parser's functions, the
drawings' words, nn's activations and the tests' lists of ops are all read from here."""


def _enter_marked_ops(cls: type[Value]) -> None:
    """Enter in `OPS` the ops of every method marked with @operation, in `cls` and below it."""
    classes = [cls]
    while classes:
        now = classes.pop()
        classes += now.__subclasses__()
        for method in list(vars(now).values()):
            for name, value, local, more in getattr(method, "ops", ()):
                named = {"word": name, "symbol": name} | more
                OPS.setdefault(name, Op(name, value, local, method=method, **named))


_enter_marked_ops(Value)

_new = object.__new__
MAX_OPS = 10_000  # op names in `OPS` at most: Value.from_op refuses a new name beyond it
_NAME = re.compile(r"\b([A-Za-z_]\w*)\b(?!\s*\()")


def make_node(
    data: float,
    op: str,
    input1: Value,
    local1: float,
    input2: Value | None = None,
    local2: float = 0.0,
) -> Value:
    """The node an op makes: its value, and each input with its local derivative ∂out/∂input.
    Inside `no_grad()` it is a leaf; `hooks(forward=...)` are shown it."""
    if data != data:  # NaN: only from infinities (inf - inf, inf * 0) or a hand-set NaN
        inputs = (input1.data,) if input2 is None else (input1.data, input2.data)
        raise floats.not_a_number(op, inputs)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._op = op
    out.input1 = input1
    out.local1 = local1
    out.input2 = input2
    out.local2 = local2
    out.mark = None
    if modes.active:  # some thread is inside no_grad() or hooks(): is this one?
        if not modes.is_grad_enabled():
            out._op = ""
            out.input1 = out.input2 = None
        forward = modes.forward_hooks()
        if forward:
            modes.show(out, forward)
    return out


def entry(op_name: str) -> Op:
    """The registry's entry for a node's `op` ("**2" is the number power "**n"); an op with
    none (a method that makes nodes without `@operation`) fails here, named."""
    key = "**n" if op_name.startswith("**") and op_name != "**" else op_name
    if key not in OPS:  # an op marked after the engine was loaded: a subclass's, say
        _enter_marked_ops(Value)
    found = OPS.get(key)
    if found is None:
        raise LookupError(
            f"the op {op_name!r} has no entry in micrograd_like.engine.OPS: decorate the method "
            "that makes it with @operation(name, value, local derivatives...), as tanh is, or make "
            "its nodes with Value.from_op"
        )
    return found


def lift(other: object, op: str) -> Value:
    """A plain number on either side of an operator becomes a constant leaf of the graph."""
    if floats.is_number(other):
        return Value(as_float(other, op))
    raise TypeError(f"unsupported operand for {op}: Value and {type(other).__name__} ({other!r})")


def _compared(node: Value, other: object, compare: Callable[[float, Any], bool]) -> bool:
    """`node.data` compared with another node's data or a number (exact, even for huge ints)."""
    if isinstance(other, Value):
        return compare(node.data, other.data)
    return compare(node.data, other) if floats.is_number(other) else NotImplemented


def _enter_own_op(op: str, arity: int, formula: Sequence[str] | None) -> None:
    """Enter an op made with `Value.from_op` in `OPS`: one op name, one derivative."""
    if formula is not None:
        if isinstance(formula, str) or not isinstance(formula, Sequence):
            raise TypeError(f"Value.from_op({op!r}): formula must be a list, got {formula!r}")
        names = {"a", "out"} | ({"b"} if arity == 2 else set())  # a name not called: a variable
        named = [set(_NAME.findall(each)) if isinstance(each, str) else {""} for each in formula]
        if len(formula) != arity or not all(each <= names for each in named):
            raise ValueError(
                f"Value.from_op({op!r}): formula must be {arity} string(s), one per input, "
                f"naming only {', '.join(sorted(names))}, got {formula!r}"
            )
    value = f"{op}(a)" if arity == 1 else f"{op}(a, b)"
    new = Op(op, value, None if formula is None else tuple(formula), op, op)
    if op not in OPS and len(OPS) >= MAX_OPS:
        raise ValueError(
            f"Value.from_op({op!r}): {len(OPS):,} op names are known already; an op's name names "
            "a kind of op (its value goes in data), so make it one of a few"
        )
    known = OPS.setdefault(op, new)
    if known.local is None and new.local is not None:
        OPS[op] = known = new
    if new.local is not None and new.local != known.local:
        raise ValueError(
            f"Value.from_op({op!r}): the op already has the formula {list(known.local or ())!r}; "
            f"one op name, one derivative (got {list(new.local)!r})"
        )
