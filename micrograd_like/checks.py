"""Catch backpropagation going wrong.

- `detect_anomaly()`: the first infinity in a forward op or a backward step raises an
  `AnomalyError` naming the op, its values and the line of your code that created the node.
- `gradcheck(f, *inputs)`: the engine's gradients against central finite differences.
- `warn_accumulate()`: a backward pass about to add into a weight's grad that still holds an
  earlier pass's says so (`AccumulationWarning`), for learners.

Watching it go right is in `steps.py` (`backward_steps`, `explain`).
"""

from __future__ import annotations

import linecache
import math
import os
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any

from micrograd_like import modes
from micrograd_like.engine import Parameter, Value
from micrograd_like.floats import format_number
from micrograd_like.interrupts import AtomicBlock
from micrograd_like.view import GraphView, printable

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


class _Sites(threading.local):
    """This thread's creation sites, recorded while it is inside detect_anomaly(): id(node) ->
    (node, site). The node is kept in the entry so that its id cannot be reused by another node
    before the block ends; the outermost block's end clears them."""

    def __init__(self) -> None:
        self.sites: dict[int, tuple[Value, Site]] = {}
        self.depth = 0


_here = _Sites()


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
    """`*(10.0, 1e+308)`: the op and its input values, exact as repr gives them (a hook sees no
    root, so there is no graph view to name the node by; its repr shows its label)."""
    if not node.op:
        return f"the leaf {node!r}"
    values = ", ".join(repr(each.data) for each in node.inputs)
    return f"{node.op}({values})"


def _created(node: Value) -> str:
    entry = _here.sites.get(id(node))
    if entry is not None and entry[0] is node:
        return f"created at {entry[1]}"
    return "created outside detect_anomaly()" if node.op else "a leaf made with Value()"


def _check_forward(node: Value) -> None:
    site = _user_site()
    _here.sites[id(node)] = (node, site)
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


class AnomalyBlock(AtomicBlock):
    """The block of `detect_anomaly()`: a hooks() block with the two checks, and this thread's
    creation sites kept while any such block is open."""

    def __init__(self) -> None:
        self._hooks: modes.Block | None = None
        self._sites: _Sites | None = None  # the entering thread's sites

    def apply(self) -> None:
        self._hooks = None
        self._sites = sites = _here
        sites.depth += 1
        self._hooks = modes.hooks(forward=_check_forward, backward=_check_backward)
        self._hooks.apply()

    def undo(self) -> None:
        sites, inner = self._sites, self._hooks
        self._sites = self._hooks = None
        if inner is not None:
            inner.undo()
        if sites is not None:
            sites.depth -= 1
            if sites.depth == 0:
                sites.sites.clear()


def detect_anomaly() -> AnomalyBlock:
    """Raise `AnomalyError` at the first infinity or NaN made inside the block.

    Forward: every new node is checked as the op makes it; the error names the op, its input
    values and the line of your code that created the node. Backward: after each step, every
    input's grad is checked; the error names the op, the values, the local derivative, the
    upstream gradient and where the node was created. Creation sites are recorded only inside
    this block (it is slower; use it to find a bug, not to train). Blocks nest. Like
    `no_grad()`, it is per thread: other threads are not checked. A Ctrl-C at any moment,
    entering or leaving, leaves the checks off outside the block (see `interrupts.AtomicBlock`).
    """
    return AnomalyBlock()


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


def _finite_float(name: str, number: Real | float, error: type[Exception]) -> float:
    """`float(number)`, or `error` naming the argument for a number that is not a finite float
    (an infinity, a NaN, an int such as 10**400 that no float holds)."""
    try:
        value = float(number)
    except OverflowError:
        shown = "a number"
        if isinstance(number, int):
            shown = f"an int of about {int(number.bit_length() * math.log10(2)) + 1:,} digits"
        raise error(
            f"gradcheck: {name} must be a finite number, got {shown}, too large for a float"
        ) from None
    if not math.isfinite(value):
        raise error(f"gradcheck: {name} must be a finite number, got {number!r}")
    return value


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
    if not callable(f):
        raise TypeError(f"gradcheck: f must be a function of the inputs, got {f!r}")
    if not inputs:
        raise ValueError("gradcheck: give at least one input, a number or a Value")
    for i, each in enumerate(inputs):
        if not isinstance(each, Value) and (not isinstance(each, Real) or isinstance(each, bool)):
            raise TypeError(
                f"gradcheck: input {i} must be a number or a Value, got "
                f"{type(each).__name__}: {each!r}"
            )
    for name, number in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not isinstance(number, Real) or isinstance(number, bool):
            raise TypeError(f"gradcheck: {name} must be a finite number, got {number!r}")
        value = _finite_float(name, number, TypeError)
        if value < 0 or (name == "eps" and value == 0):
            raise ValueError(
                f"gradcheck: {name} must be {'> 0' if name == 'eps' else '>= 0'}, got {number!r}"
            )
    points = [
        _finite_float(f"input {i}", each.data if isinstance(each, Value) else each, ValueError)
        for i, each in enumerate(inputs)
    ]
    labels = [
        printable(each.label) if isinstance(each, Value) and each.label else f"input {i}"
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


# ---- teaching: a leaf grad that a pass is about to add into


class AccumulationWarning(UserWarning):
    """Inside `warn_accumulate()`: a backward pass is about to add into a leaf's grad that still
    holds a gradient from an earlier pass (a forgotten `zero_grad()`, a second `backward()`)."""


def warn_accumulate(on: bool = True) -> modes.Block:
    """Warn, once per backward pass, when the pass is about to add into a weight's grad that
    is not 0: leaf grads accumulate, so a second `backward()` takes `w.grad` from 2.1 to 4.2,
    and a training loop without `zero_grad()` steps along a sum of old gradients. The
    `AccumulationWarning` names the weight and the grad it holds. The weights are the graph's
    `Parameter`s if it has any, else its labelled leaves (as the seeds' w, a plain Value);
    numbers in the expression are never named (nobody reads their grads).

    Meant for learning, as `detect_anomaly()` is for debugging. Every backward pass checks:
    `backward()`, a Tape's replay, `backward_steps()`. Per thread, nests (the innermost block
    decides: `warn_accumulate(False)` silences a part of an outer one), works as a decorator,
    and a Ctrl-C at any moment, entering or leaving, leaves the switch as it was outside the
    block (see `AtomicBlock`). Outside every block a pass pays nothing for it: one look at
    `active`, which it takes anyway. Inside, a pass looks at each leaf once, before its first
    step, and the warning is raised before any grad changes (so with warnings made errors,
    the pass stops with every grad as it was). Adding passes up on purpose (gradient
    accumulation over examples) warns too: leave that loop outside the block.
    """
    if not isinstance(on, bool):
        raise TypeError(f"warn_accumulate: on must be True or False, got {on!r}")
    return modes.block(before_pass=_warn_if_accumulating if on else None)


def _warn_if_accumulating(order: list[Any]) -> None:
    """Before a pass inside `warn_accumulate()`: one `AccumulationWarning` if a weight of
    `order` (a leaf; the root, last, aside: a pass sets its grad to 1) holds a grad that the
    pass will add to: the graph's Parameters, or if it has none, its labelled leaves."""
    leaves = [node for node in order[:-1] if node.input1 is None]
    weights = [node for node in leaves if isinstance(node, Parameter)]
    if not weights:  # the seeds' weights are plain Values: every labelled leaf may be one
        weights = [node for node in leaves if node.label]
    held = [node for node in weights if node.grad != 0.0]
    if held:
        message = _accumulating(order, held)
        warnings.warn(message, AccumulationWarning, stacklevel=_users_level())


def _accumulating(order: list[Value], held: Sequence[Value]) -> str:
    """What the warning says: the weights that hold a grad, the largest first, by the names
    the drawings and the steps give them. Other leaves add up too, but nobody reads their
    grads: the numbers lifted into the graph (the 2 in 2 * x, a network's inputs) and, in a
    graph of Parameters, the inputs and targets, which `zero_grad()` leaves alone."""
    view = GraphView(order[-1])
    held = sorted(held, key=lambda node: -abs(node.grad))
    root, first = view.name(order[-1]), view.name(held[0])
    grad = format_number(held[0].grad)
    others = [f"{view.name(node)}.grad = {format_number(node.grad)}" for node in held[1:4]]
    if len(held) > 4:
        others.append(f"{len(held) - 4} more")
    also = f" (so do {', '.join(others)})" if others else ""
    return (
        f"this backward pass from {root} adds into leaf grads that already hold a gradient: "
        f"{first}.grad = {grad} before the pass{also}. Leaf grads accumulate, so {first}.grad "
        f"will be {grad} + d{root}/d{first}, not d{root}/d{first}; if this pass's gradient "
        "alone is what you want, set the grads to 0 first (zero_grad())"
    )


def _users_level() -> int:
    """The `stacklevel` of the innermost frame outside this package: the line of your code
    that started the pass (backward(), a replay, a step of backward_steps())."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(1), 1  # level 1: the function that calls warnings.warn
    while frame.f_back is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level
