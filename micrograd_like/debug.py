"""Watch backpropagation happen, and catch it going wrong.

- `backward_steps(root)`: the backward pass one node at a time, each step a record of the chain
  rule it just applied: `dC/dw += dz/dw * dC/dz = 1.5 * 0.0955 = 0.1433`.
- `explain(root, leaf)`: d root / d leaf written out as a sum over every path of products of
  local derivatives, each with its symbolic form and its number.
- `detect_anomaly()`: the first infinity or NaN in a forward op or a backward step raises an
  `AnomalyError` naming the op, its values and the line of your code that created the node.
- `gradcheck(f, *inputs)`: the engine's gradients against central finite differences.

Nodes without a label are named by their op and their index in `root.topological_order()`
(`mul2`, `sub5`, `leaf3`), the same index the renderer uses for its node ids (`v2`, `v5`, `v3`).
"""

from __future__ import annotations

import linecache
import math
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from micrograd_like import engine
from micrograd_like.engine import OP_FORMULAS, Value, _fmt

# ---- names: labels where nodes have them, op and index where they don't

_OP_WORDS = {"": "leaf", "+": "add", "-": "sub", "*": "mul", "/": "div"}


def node_names(order: Sequence[Value]) -> dict[Value, str]:
    """A name for every node of a topological order: its label, else op word + index (`mul2`)."""
    names: dict[Value, str] = {}
    for index, node in enumerate(order):
        word = "pow" if node.op.startswith("**") else _OP_WORDS.get(node.op, node.op)
        names[node] = node.label or f"{word}{index}"
    return names


def _d(top: str, bottom: str) -> str:
    """Leibniz notation: dC/dw."""
    return f"d{top}/d{bottom}"


def _num(x: float) -> str:
    """A number as the chain-rule lines print it; negatives in brackets inside a product."""
    text = _fmt(x)
    return f"({text})" if x < 0 else text


# ---- backward_steps: the engine's own backward pass, paused after each node


@dataclass(frozen=True)
class InputShare:
    """What one input received in a backward step.

    `local` is d node / d input (computed by the op in the forward pass), `contribution` is
    local * upstream, the share of the cost's gradient passed back along this edge, and
    `grad_after` is the input's grad once the whole step is done (inputs used twice, as in
    `a * a`, have received both shares by then).
    """

    input: Value
    name: str
    local: float
    contribution: float
    grad_after: float


@dataclass(frozen=True)
class BackwardStep:
    """One node of the backward pass: its upstream gradient d root / d node, now complete, and
    the share each of its inputs received by the chain rule."""

    node: Value
    name: str
    root_name: str
    upstream: float
    shares: tuple[InputShare, ...]

    def __str__(self) -> str:
        root, node = self.root_name, self.name
        if not self.shares:
            return f"{_d(root, node)} = {_fmt(self.upstream)} (a leaf: its gradient is final)"
        return "\n".join(
            f"{_d(root, share.name)} += {_d(node, share.name)} * {_d(root, node)}"
            f" = {_num(share.local)} * {_num(self.upstream)} = {_fmt(share.contribution)}"
            for share in self.shares
        )


def backward_steps(root: Value) -> Iterator[BackwardStep]:
    """Run `root.backward()` one node at a time, yielding a `BackwardStep` after each node.

    The steps come from the engine's own chain-rule loop (`engine.backward_pass`), in the same
    order as `backward()`: `reversed(root.topological_order())`, the root first. Every node
    yields a step, leaves included (a leaf's step has no shares: its grad is final), so the
    steps line up one to one with the nodes.

    Exhausted, it leaves every grad exactly as `backward()` would. Stopped early, it leaves:
    the root's grad 1; every other non-leaf grad reset to 0 and then holding only the shares of
    the nodes already stepped (complete for the stepped nodes themselves, partial for the rest);
    leaf grads equal to what they held before plus the shares received so far (leaf grads
    accumulate across backward passes, as with `backward()`).
    """
    names = node_names(root.topological_order())
    root_name = names[root]
    for node in engine.backward_pass(root):
        upstream = node.grad
        shares = tuple(
            InputShare(each, names[each], local, local * upstream, each.grad)
            for each, local in zip(node.inputs, node.local_grads, strict=True)
        )
        yield BackwardStep(node, names[node], root_name, upstream, shares)


# ---- explain: the chain rule for one leaf, path by path


@dataclass(frozen=True)
class Factor:
    """One local derivative on a path: d node / d input, symbolically and as a number."""

    node: str
    input: str
    formula: str
    local: float


@dataclass(frozen=True)
class ChainPath:
    """One path from the root down to the leaf: the product of the local derivatives on it."""

    factors: tuple[Factor, ...]

    @property
    def product(self) -> float:
        return math.prod(factor.local for factor in self.factors)


@dataclass(frozen=True)
class Explanation:
    """d root / d leaf as the sum, over every path from root to leaf, of the product of the
    local derivatives along the path. `total` is that sum: `leaf.grad` after a backward pass
    from fresh leaf grads."""

    root: str
    leaf: str
    paths: tuple[ChainPath, ...]

    @property
    def total(self) -> float:
        return math.fsum(path.product for path in self.paths)

    def __str__(self) -> str:
        whole = _d(self.root, self.leaf)
        if not self.paths:
            return f"{self.root} does not depend on {self.leaf}: {whole} = 0"
        count = len(self.paths)
        lines = [f"{whole}: {count} path{'s' if count > 1 else ''} from {self.root} to {self.leaf}"]
        for number, path in enumerate(self.paths, 1):
            factors = path.factors
            if not factors:  # the root itself
                lines.append(f"  path {number}: {whole} = 1")
                continue
            pad = " " * len(f"  path {number}: {whole}")
            lines.append(
                f"  path {number}: {whole} = "
                + " * ".join(_d(factor.node, factor.input) for factor in factors)
            )
            lines.append(f"{pad} = " + " * ".join(_bracket(f.formula) for f in factors))
            lines.append(f"{pad} = " + " * ".join(_num(f.local) for f in factors))
            lines.append(f"{pad} = {_fmt(path.product)}")
        how = "the sum over the paths" if count > 1 else "the one path"
        lines.append(f"{whole} = {_fmt(self.total)} ({how})")
        return "\n".join(lines)


def _bracket(formula: str) -> str:
    """Brackets around a formula that is not a product, so that a product of them reads right."""
    depth = 0
    for i, char in enumerate(formula):
        depth += (char == "(") - (char == ")")
        if depth == 0 and formula[i : i + 3] in (" + ", " - ", " / "):
            return f"({formula})"
    return f"({formula})" if formula.startswith("-") else formula


_SYMBOL = re.compile(r"\b(a|b|n|out)\b")


def _local_formula(node: Value, position: int, names: dict[Value, str]) -> str:
    """d node / d input `position`, from the formula registered beside the op in the engine,
    with the inputs', the output's and the exponent's names put in for a, b, out and n."""
    op = node.op
    key = "**n" if op.startswith("**") and op != "**" else op
    formula = OP_FORMULAS[key][1][position]
    inputs = node.inputs
    symbols = {"a": names[inputs[0]], "out": names[node], "n": op[2:]}
    if len(inputs) == 2:
        symbols["b"] = names[inputs[1]]
    return _SYMBOL.sub(lambda match: symbols[match.group(1)], formula)


def explain(root: Value, leaf: Value, *, max_paths: int = 64) -> Explanation:
    """Write out d root / d leaf by the chain rule: every path from `root` down to `leaf`, each
    as the product of its local derivatives (d node / d input, symbolic and numeric), summed.

    It reads only the graph and the local derivatives the ops stored in the forward pass; it
    neither needs nor runs `backward()`, so it is an independent check of it: after
    `root.backward()` from fresh leaf grads, `explain(root, leaf).total == leaf.grad` (up to
    rounding). A graph with more than `max_paths` paths to the leaf is refused: the list would
    not be read, and the count grows exponentially with depth.
    """
    order = root.topological_order()
    names = node_names(order)
    if leaf not in names:
        return Explanation(names[root], leaf.label or "that node", ())
    # paths[node] = how many paths lead from node down to the leaf; inputs come first in order
    paths: dict[Value, int] = {}
    for node in order:
        count = 1 if node is leaf else sum(paths.get(each, 0) for each in node.inputs)
        if count:
            paths[node] = count
    if paths[root] > max_paths:
        raise ValueError(
            f"explain({names[root]}, {names[leaf]}): {paths[root]} paths lead from "
            f"{names[root]} to {names[leaf]}, more than max_paths={max_paths}; explain a "
            "node closer to the root, or raise max_paths"
        )
    found: list[ChainPath] = []
    stack: list[tuple[Value, tuple[Factor, ...]]] = [(root, ())]
    while stack:  # depth first, first input first, without recursion
        node, factors = stack.pop()
        if node is leaf:
            found.append(ChainPath(factors))
            continue
        edges = list(enumerate(zip(node.inputs, node.local_grads, strict=True)))
        for position, (each, local) in reversed(edges):
            if each in paths:
                formula = _local_formula(node, position, names)
                factor = Factor(names[node], names[each], formula, local)
                stack.append((each, (*factors, factor)))
    return Explanation(names[root], names[leaf], tuple(found))


# ---- detect_anomaly: infinities and NaNs caught where they are made


class AnomalyError(ArithmeticError):
    """An infinity or NaN appeared in a forward op or a backward step under detect_anomaly()."""


@dataclass(frozen=True)
class Site:
    """A line of user code: where a node was created."""

    filename: str
    lineno: int
    code: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}: {self.code}"


_PACKAGE = str(Path(__file__).resolve().parent)
# While detect_anomaly() is active: id(node) -> (node, creation site). The node is kept in the
# entry so that its id cannot be reused by another node before the context ends.
_sites: dict[int, tuple[Value, Site]] = {}
_depth = 0


def _user_site() -> Site:
    """The innermost calling frame outside the micrograd_like package."""
    frame = sys._getframe(1)
    while frame.f_back is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
        _PACKAGE
    ):
        frame = frame.f_back
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    return Site(filename, lineno, linecache.getline(filename, lineno).strip())


def _describe(node: Value) -> str:
    """`*(10.0, 1e+308)`, the op and its input values; `a leaf` for a leaf."""
    if not node.op:
        return f"the leaf {node!r}"
    values = ", ".join(repr(each.data) for each in node.inputs)
    return f"{node.op}({values})"


def _created(node: Value) -> str:
    entry = _sites.get(id(node))
    if entry is not None and entry[0] is node:
        return f"created at {entry[1]}"
    return "created outside detect_anomaly()" if node.op else "a leaf made with Value()"


def _check_forward(node: Value) -> None:
    site = _user_site()
    _sites[id(node)] = (node, site)
    if not math.isfinite(node.data):
        raise AnomalyError(
            f"{_describe(node)} = {node.data!r}: the forward pass produced a non-finite value, "
            f"created at {site}"
        )


def _check_backward(node: Value) -> None:
    for position, (each, local) in enumerate(zip(node.inputs, node.local_grads, strict=True), 1):
        if not math.isfinite(each.grad):
            raise AnomalyError(
                f"backward step of {_describe(node)} = {node.data!r} ({_created(node)}): "
                f"input {position} ({each!r}, {_created(each)}) got grad {each.grad!r} from "
                f"local derivative {local!r} * upstream {node.grad!r}"
            )


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise `AnomalyError` at the first infinity or NaN made inside the block.

    Forward: every new node is checked as the op makes it; the error names the op, its input
    values and the line of your code that created the node. Backward: after each step, every
    input's grad is checked; the error names the op, the values, the local derivative, the
    upstream gradient and where the node was created. Creation sites are recorded only inside
    this block (it is slower; use it to find a bug, not to train). Blocks nest.
    """
    global _depth
    _depth += 1
    try:
        with engine.hooks(forward=_check_forward, backward=_check_backward):
            yield
    finally:
        _depth -= 1
        if _depth == 0:
            _sites.clear()


# ---- gradcheck: analytic gradients against central finite differences


@dataclass(frozen=True)
class GradcheckRow:
    """One input: the engine's d f / d input, the finite-difference estimate, and whether they
    agree within atol + rtol * |numeric|."""

    name: str
    analytic: float
    numeric: float
    error: float
    ok: bool


@dataclass(frozen=True)
class GradcheckReport:
    """The per-input comparison made by `gradcheck`; `str()` is a table."""

    rows: tuple[GradcheckRow, ...]
    eps: float
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def __str__(self) -> str:
        header = ("input", "analytic", "numeric", "error", "ok")
        cells = [
            (
                row.name,
                f"{row.analytic:.8g}",
                f"{row.numeric:.8g}",
                f"{row.error:.2e}",
                "yes" if row.ok else "NO",
            )
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
        lines = [
            "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
            for line in [header, *cells]
        ]
        verdict = "all gradients agree" if self.ok else "some gradients DISAGREE"
        lines.append(
            f"{verdict} (central differences, eps={self.eps:g}, atol={self.atol:g}, "
            f"rtol={self.rtol:g})"
        )
        return "\n".join(lines)


class GradcheckError(AssertionError):
    """The engine's gradients disagree with finite differences; `.report` holds the table."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(f"gradcheck failed:\n{report}")
        self.report = report


def gradcheck(
    f: Callable[..., Value],
    *inputs: Value | float,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Compare the engine's gradients of `f` at `inputs` with central finite differences.

    `f` takes one Value per input and returns a Value (the cost). Each input is a number or a
    Value (its data and label are used; it is not modified). The analytic gradient comes from
    one `backward()` on fresh leaves; the numeric one is (f(x + eps) - f(x - eps)) / (2 eps).
    Raises `GradcheckError` with the report when any input disagrees, unless
    `raise_exception=False`.
    """
    points = [each.data if isinstance(each, Value) else float(each) for each in inputs]
    labels = [
        each.label if isinstance(each, Value) and each.label else f"input {i}"
        for i, each in enumerate(inputs)
    ]

    def evaluate(at: list[float]) -> tuple[Value, list[Value]]:
        leaves = [Value(x, label) for x, label in zip(at, labels, strict=True)]
        out = f(*leaves)
        if not isinstance(out, Value):
            raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
        return out, leaves

    out, leaves = evaluate(points)
    out.backward()
    rows = []
    for i, leaf in enumerate(leaves):
        up, down = list(points), list(points)
        up[i] += eps
        down[i] -= eps
        numeric = (evaluate(up)[0].data - evaluate(down)[0].data) / (2 * eps)
        error = abs(leaf.grad - numeric)
        ok = error <= atol + rtol * abs(numeric)
        rows.append(GradcheckRow(labels[i], leaf.grad, numeric, error, ok))
    report = GradcheckReport(tuple(rows), eps, atol, rtol)
    if raise_exception and not report.ok:
        raise GradcheckError(report)
    return report


engine.set_step_reader(backward_steps)
