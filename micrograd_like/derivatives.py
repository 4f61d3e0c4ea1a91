"""Derivatives beyond one backward pass: gradients as graphs (to differentiate again) and
forward mode.

`C.backward()` stores each op's local derivative as a float, so a gradient it writes is a
number, and a number cannot be differentiated. Here the same chain rule runs with each local
derivative made a node instead: the op's formula in the registry (`OPS`, the strings written
beside each op, such as `1 - tanh(a)**2`) is evaluated on the node's inputs, so the gradient
comes out as a graph of ordinary ops, which `grad` can differentiate again, to any order. One
definition of each derivative, read three ways: as floats by the op itself in the forward pass
(the tests check that the two agree), as nodes here, and as text by `explain()`.

Forward mode (`jvp`) runs the chain rule the other way round: from the inputs to the output,
each node's tangent is Σ ∂node/∂input × d input, with the same stored local derivatives. One
forward pass gives the derivative along one direction; one backward pass gives the gradient
for every input at once, which is why networks are trained backwards.

Choices where a derivative does not exist: relu's derivative at 0 is 0 (`step(0) = 0`, as the
engine's relu uses), abs's is 0 there (`sign(0) = 0`), and step's own derivative is 0
everywhere (at 0 too).
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from micrograd_like.engine import Value, entry
from micrograd_like.floats import as_float, format_factor, format_number
from micrograd_like.view import UNICODE, GraphView, Notation, notation_for, printable

# What a formula's function names mean on nodes: the engine's one-input ops, and sign(a) as
# step(a) - step(-a), which keeps it made of ops (so a Tape can replay it).
NODE_FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": Value.sqrt,
    "sin": Value.sin,
    "cos": Value.cos,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "abs": Value.abs,
    "step": Value.step,
    "sign": lambda a: a.step() - (-a).step(),
}

_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda x, y: x + y,
    ast.Sub: lambda x, y: x - y,
    ast.Mult: lambda x, y: x * y,
    ast.Div: lambda x, y: x / y,
    ast.Pow: lambda x, y: x**y,
}


@functools.lru_cache(maxsize=1024)
def _parsed(formula: str) -> ast.expr:
    return ast.parse(formula, mode="eval").body


def evaluate(
    formula: str, names: Mapping[str, Any], functions: Mapping[str, Callable[[Any], Any]]
) -> Any:
    """A formula of the registry (numbers, the names a, b, out, n, + - * / **, one-argument
    calls) computed on `names`: floats, nodes or sympy symbols alike. Walks the syntax tree;
    anything else in it is an error, and nothing is ever passed to `eval`."""

    def walk(node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = walk(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](walk(node.left), walk(node.right))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in functions
            and len(node.args) == 1
            and not node.keywords
        ):
            return functions[node.func.id](walk(node.args[0]))
        raise ValueError(
            f"the formula {formula!r} has {ast.unparse(node)!r}, which has no meaning here "
            f"(names: {', '.join(names)}; functions: {', '.join(functions)})"
        )

    try:
        tree = _parsed(formula)
    except SyntaxError:
        raise ValueError(f"the formula {formula!r} is not an expression") from None
    return walk(tree)


def local_derivatives(node: Value) -> list[Value | float]:
    """∂node/∂input for each of the node's inputs, as nodes whose own graphs can be
    differentiated again (a plain number where the derivative is a constant, as 1 for +): the
    formulas its op wrote in the registry, computed on its inputs (a, b), on the node itself
    (out) and, for a number power x ** n, on n."""
    op = entry(node.op)
    if op.local is None:
        raise ValueError(
            f"the op {node.op!r} of {printable(repr(node))} was made with Value.from_op without "
            "a formula, so its local derivative is only a number and cannot be differentiated "
            'again: give it as formula=["..."] (in a, b and out)'
        )
    names: dict[str, Value | float] = {"a": node.inputs[0], "out": node}
    if node.input2 is not None:
        names["b"] = node.input2
    if op.name == "**n":
        names["n"] = n = float(node.op[2:])
        if n == 0:  # a**0 is the constant 1, with 0 for derivative even at a = 0, as the op says
            return [0.0]
    try:
        return [evaluate(formula, names, NODE_FUNCTIONS) for formula in op.local]
    except (ValueError, ArithmeticError) as error:
        raise type(error)(
            f"the local derivative of {printable(repr(node))} cannot be made a graph: {error}"
        ) from None


@overload
def grad(output: Value, inputs: Value, *, create_graph: bool = False) -> Value: ...


@overload
def grad(output: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Value]: ...


def grad(
    output: Value, inputs: Value | Sequence[Value], *, create_graph: bool = False
) -> Value | list[Value]:
    """d output / d input for each of `inputs` (a Value, or a list of them), by the chain rule
    from `output` back, as `backward()` runs it, but leaving every `.grad` as it was.

    Each result is a `Value`: with `create_graph=False` a leaf holding the number; with
    `create_graph=True` a node whose graph is the chain rule itself (local derivatives made
    nodes, see `local_derivatives`), so `grad(grad(f, x, create_graph=True), x)` is the second
    derivative, and so on to any order. An input that `output` does not depend on gets 0.
    Inside `no_grad()` no graph is recorded, so the results are numbers either way."""
    wanted = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, each in enumerate(wanted):
        if not isinstance(each, Value):
            raise TypeError(f"grad: input {i} must be a Value, got {type(each).__name__}")
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    order = output.topological_order()
    if create_graph:
        nodes = _chain_rule_on_nodes(output, order)
        found = [nodes[id(each)] if id(each) in nodes else Value(0.0) for each in wanted]
    else:
        numbers = _chain_rule_on_floats(output, order)
        found = [Value(numbers.get(id(each), 0.0)) for each in wanted]
    return found[0] if isinstance(inputs, Value) else found


def _chain_rule_on_floats(output: Value, order: list[Value]) -> dict[int, float]:
    """dC/d node for every node (by id), C = output: `backward()`'s loop, into a dict."""
    grads = {id(output): 1.0}
    for node in reversed(order):
        upstream = grads.get(id(node))
        if upstream is None or node.input1 is None:
            continue
        if upstream != upstream:
            raise ArithmeticError(f"grad: the gradient of {printable(repr(node))} would be NaN")
        for each, local in zip(node.inputs, node.local_grads, strict=True):
            grads[id(each)] = grads.get(id(each), 0.0) + local * upstream
    return grads


def _chain_rule_on_nodes(output: Value, order: list[Value]) -> dict[int, Value]:
    """dC/d node for every node (by id), each a node of a new graph: upstream gradients and
    local derivatives are nodes, so their products and sums are recorded."""
    grads: dict[int, Value] = {id(output): Value(1.0)}
    for node in reversed(order):
        upstream = grads.get(id(node))
        if upstream is None or node.input1 is None:
            continue
        for each, local in zip(node.inputs, local_derivatives(node), strict=True):
            if isinstance(local, (int, float)) and local in (0, 1, -1):  # + - neg, step
                if local == 0:
                    continue
                share = upstream if local == 1 else -upstream
            else:
                share = local * upstream
            before = grads.get(id(each))
            grads[id(each)] = share if before is None else before + share
    return grads


def jvp(output: Value, inputs: Sequence[Value], tangents: Sequence[float]) -> float:
    """Forward mode: the derivative of `output` when each of `inputs` moves by its tangent
    (d output = Σ d output/d input × tangent), in one pass from the inputs to the output: each
    node's tangent is Σ ∂node/∂input × (the input's tangent), with the local derivatives the
    forward pass stored. One pass per direction; `grad` gives every input's in one pass."""
    if len(inputs) != len(tangents):
        raise ValueError(f"jvp: {len(inputs)} inputs but {len(tangents)} tangents")
    tangent: dict[int, float] = {}
    for i, (each, t) in enumerate(zip(inputs, tangents, strict=True)):
        if not isinstance(each, Value):
            raise TypeError(f"jvp: input {i} must be a Value, got {type(each).__name__}")
        tangent[id(each)] = as_float(t, f"jvp: tangent {i}")
    for node in output.topological_order():
        if id(node) in tangent or node.input1 is None:
            continue
        moved = node.local1 * tangent.get(id(node.input1), 0.0)
        if node.input2 is not None:
            moved += node.local2 * tangent.get(id(node.input2), 0.0)
        tangent[id(node)] = moved
    return tangent.get(id(output), 0.0)


@dataclass(frozen=True)
class ForwardStep:
    """One node of forward mode for one input x: d node / d x, the sum over the node's inputs
    of ∂node/∂input × d input / d x (each input's, found at its own step before)."""

    node: Value
    name: str
    wrt: str  # the input's name, x
    terms: tuple[tuple[str, float, float], ...]  # (input's name, ∂node/∂input, d input/dx)
    tangent: float  # d node / d x

    def text(self, notation: Notation = UNICODE) -> str:
        """The step's chain-rule line (`str()` picks the notation stdout can print)."""
        x, node, times = self.wrt, self.name, f" {notation.times} "
        if not self.terms:
            seed = "the input itself" if self.tangent == 1 else "it does not move with it"
            return f"{notation.grad(node, x)} = {format_number(self.tangent)} ({seed})"
        symbols = " + ".join(
            f"{notation.local(node, a)}{times}{notation.grad(a, x)}" for a, _, _ in self.terms
        )
        numbers = " + ".join(
            f"{format_factor(local)}{times}{format_factor(t)}" for _, local, t in self.terms
        )
        return f"{notation.grad(node, x)} = {symbols} = {numbers} = {format_number(self.tangent)}"

    def __str__(self) -> str:
        return self.text(notation_for())


def forward_steps(output: Value, wrt: Value) -> list[ForwardStep]:
    """Forward mode written out: d node / d `wrt` for every node `output` depends on, inputs
    first, each the sum of ∂node/∂input × d input / d wrt with the local derivatives the
    forward pass stored (the numbers of `jvp(output, [wrt], [1.0])`, node by node). The
    backward pass multiplies the same local derivatives, from the root down."""
    if not isinstance(wrt, Value) or not isinstance(output, Value):
        raise TypeError("forward_steps: output and wrt must be Values")
    view = GraphView(output)
    tangent: dict[int, float] = {id(wrt): 1.0}
    steps = []
    for node in output.topological_order():
        if node is wrt or node.input1 is None:
            terms: tuple[tuple[str, float, float], ...] = ()
            tangent.setdefault(id(node), 0.0)
        else:
            terms = tuple(
                (view.name(a), local, tangent[id(a)])
                for a, local in zip(node.inputs, node.local_grads, strict=True)
            )
            tangent[id(node)] = math.fsum(local * t for _, local, t in terms)
        steps.append(ForwardStep(node, view.name(node), view.name(wrt), terms, tangent[id(node)]))
    return steps


def hessian(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """The matrix of second derivatives d²output/(d x_i d x_j): each row the gradient of one
    first derivative (a graph, from `grad(..., create_graph=True)`)."""
    first = grad(output, list(inputs), create_graph=True)
    return [[g.data for g in grad(each, list(inputs))] for each in first]


def hvp(output: Value, inputs: Sequence[Value], vector: Sequence[float]) -> list[float]:
    """The Hessian times `vector`, without the Hessian: the gradient of (∇output · vector),
    two reverse passes whatever the number of inputs."""
    if len(inputs) != len(vector):
        raise ValueError(f"hvp: {len(inputs)} inputs but {len(vector)} numbers in vector")
    first = grad(output, list(inputs), create_graph=True)
    along = sum((g * as_float(v, "hvp: vector") for g, v in zip(first, vector, strict=True)),
                Value(0.0))  # fmt: skip
    return [g.data for g in grad(along, list(inputs))]
