"""Five classic mistakes of a hand-written backward pass, each run on your own graph beside the
right pass and a finite-difference check, so that you see which gradients it changes and where.

    >>> from micrograd_like import misconceptions
    >>> result = misconceptions.backward_twice(C)
    >>> print(result)              # the short table: right, wrong, finite differences
    >>> result.draw()              # the graph holding the wrong grads, where they part in red

- `assign_instead_of_add(C)`: `grad = local × upstream` where the chain rule needs `+=`. A node
  used by two ops (or twice by one, `x * x`) keeps only the last share it receives.
- `backward_twice(C)`: a second `backward()` without `zero_grad()` between: each pass resets the
  op nodes' grads but adds into the leaves', so `w.grad` goes from 2.1 to 4.2.
- `forget_zero_grad(C, params)`: gradient descent without `zero_grad()` between steps: each
  step walks along the sum of every earlier gradient, and the cost can rise.
- `wrong_order(C, "creation")` and `wrong_order(C, "breadth-first")`: the chain rule walked in
  an order that is not a reversed topological one, so a node passes its gradient on before
  every node that uses it has given it its share.
- `recursive_sort(C)`: a recursive topological sort (micrograd's `build_topo`) on a deep graph,
  the sum of many copies of your cost, stops with `RecursionError`; the engine's loop does not.

`lab(C, params)` runs all of them. Every result holds the right gradients (`correct`, dC/dnode
by one fresh backward pass), the mistake's (`wrong`), central finite differences (`numeric`,
the referee that knows no chain rule: each node's value moved a little, the graph above it
recomputed by the ops themselves) and the nodes where the first two part (`parted`).

Each mistake is a few lines that run the wrong algorithm on plain numbers keyed by your nodes
(or on a private deep copy of your graph): your nodes' `data` and `grad` are left exactly as
they were. The names in the tables are the drawings' (`view.GraphView`): `mul4` in a table is
`mul4` in the picture. Forward hooks see none of the lab's scratch nodes; the engine's own
passes that `forget_zero_grad` and `recursive_sort` run on their copies are shown to the
backward hooks of the blocks you are inside, as any pass is.
"""

from __future__ import annotations

import copy
import math
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from micrograd_like import modes
from micrograd_like.checks import warn_accumulate
from micrograd_like.engine import Parameter, Value, entry
from micrograd_like.floats import format_factor, format_number
from micrograd_like.tape import Tape
from micrograd_like.view import GraphView, printable
from micrograd_like.viz import HIGHLIGHT, QUIET, ROLE_FILLS, draw_dot, graph_class

if TYPE_CHECKING:
    import graphviz

Grads = dict[Value, float]
WALKS = ("creation", "breadth-first")
MAX_ROWS = 12  # rows a printed table shows; `table(max_rows=None)` shows them all
SAFE_RECURSION_LIMIT = 10_000
"""`recursive_sort` refuses to recurse past this many calls: Python 3.10 keeps a C stack frame
for each Python call, and a recursion some tens of thousands deep overflows the C stack, which
kills the process instead of raising RecursionError."""


# ---- the right pass, and the orders a pass can walk, on plain numbers


def chain_rule(order: Sequence[Value]) -> Grads:
    """`backward()`'s loop on plain numbers: dC/dnode for every node of `order` (a topological
    order, C last), from grads of 0, using the local derivatives the ops stored."""
    grad = dict.fromkeys(order, 0.0)
    grad[order[-1]] = 1.0  # dC/dC
    for node in reversed(order):  # every node after all the nodes that use it: its grad is whole
        for each, local in zip(node.inputs, node.local_grads, strict=True):
            grad[each] += local * grad[node]  # dC/d input += ∂node/∂input × dC/d node
    return grad


def creation_order(root: Value) -> list[Value]:
    """The nodes in an order they could have been made in: every node after its inputs (the
    engine's topological order, read forwards, from the leaves up to the root)."""
    return root.topological_order()


def breadth_first_order(root: Value) -> list[Value]:
    """The root, then its inputs, then theirs, ...: each node once, where it is first reached
    (by the shortest path from the root)."""
    walk, seen = [root], {root}
    for node in walk:  # the list grows as it is read: a queue
        for each in node.inputs:
            if each not in seen:
                seen.add(each)
                walk.append(each)
    return walk


def recursive_topological_order(root: Value, path: list[Value] | None = None) -> list[Value]:
    """micrograd's `build_topo`: a depth-first search by recursion, one Python call per node on
    the way down, so a graph deeper than the recursion limit raises RecursionError. `path`
    (optional) holds the nodes whose calls are open, the root first; an error leaves it as it
    was when the error came."""
    topo: list[Value] = []
    visited: set[Value] = set()
    opened = [] if path is None else path

    def build(node: Value) -> None:
        if node not in visited:
            visited.add(node)
            opened.append(node)
            for child in node.inputs:
                build(child)  # one more call open, and one more frame on Python's stack
            opened.pop()
            topo.append(node)

    build(root)
    return topo


def finite_difference(root: Value, node: Value, eps: float = 1e-6) -> float | None:
    """dC/dnode by central differences, C being `root`: the node's value moved by ± h (h = eps
    × max(1, |value|)), every node that depends on it recomputed by its op from plain numbers,
    and C read off. It knows no local derivative and no chain rule. None where it cannot be
    computed: an op made with `Value.from_op` (which has no method to recompute it) depends on
    the node, or a value moved by h falls outside an op's domain."""
    if not isinstance(root, Value) or not isinstance(node, Value):
        raise TypeError(f"finite_difference: root and node must be Values, got {root!r}, {node!r}")
    order = root.topological_order()
    if not any(each is node for each in order):
        raise ValueError(f"finite_difference: {node!r} is not in the graph of {root!r}")
    return _finite_difference(order, node, eps)


# ---- the mistakes


def assign_instead_of_add(root: Value) -> Misconception:
    """`backward()` with `grad = local × upstream` where the chain rule needs `+=`.

    dC/dx sums one share per use of x (the multivariable chain rule): x used by two ops, or
    twice by one (`x * x`), receives two shares. With `=`, each share overwrites the one
    before, so x keeps the last share alone, and every node below x inherits the error."""
    order = _order(root, "assign_instead_of_add")
    grad = dict.fromkeys(order, 0.0)
    grad[root] = 1.0
    for node in reversed(order):
        for each, local in zip(node.inputs, node.local_grads, strict=True):
            grad[each] = local * grad[node]  # the mistake: `=` keeps the last share only
    view = GraphView(root)
    lost, notes = [], {}
    shares: dict[Value, list[tuple[Value, float]]] = {}  # each node's shares, as the pass gave them
    for node in reversed(order):
        for each, local in zip(node.inputs, node.local_grads, strict=True):
            shares.setdefault(each, []).append((node, local * grad[node]))
    for node, received in shares.items():
        if len(received) > 1:
            lost += [(node, user) for user, share in received[:-1] if share != 0]
            kept = received[-1][0]
            notes[node] = f"{len(received)} shares, kept the last (from {view.name(kept)})"
    used_twice = [view.name(node) for node in reversed(order) if len(shares.get(node, ())) > 1]
    if used_twice:
        lesson = (
            f"{_listed(used_twice)} {'is' if len(used_twice) == 1 else 'are'} used more than "
            "once: each use passes back a share, and `=` kept only the last, so the shares "
            "marked red were lost, with everything they would have passed further down."
        )
    else:
        lesson = (
            "No node of this graph is used twice, so every node receives one share and `=` "
            "gives the right numbers: the mistake hides until a node feeds two ops (or one op "
            "twice, as in x * x)."
        )
    return _compared(
        root,
        view,
        grad,
        mistake="backward() with `grad = local × upstream` where the chain rule needs `+=`",
        column="with =",
        edges=lost,
        notes=notes,
        lesson=lesson,
    )


def backward_twice(root: Value) -> Misconception:
    """`C.backward()` twice, without `zero_grad()` between, from grads of 0.

    Each pass sets C's grad to 1 and resets every op node's grad to 0, but adds into the
    leaves' grads (inputs, weights), as in PyTorch: the leaves end with two passes' worth."""
    order = _order(root, "backward_twice")
    grad = dict.fromkeys(order, 0.0)
    for _ in range(2):  # C.backward(); C.backward()
        for node in order:
            if node.inputs:
                grad[node] = 0.0  # each pass resets the op nodes' grads...
        grad[root] = 1.0
        for node in reversed(order):
            for each, local in zip(node.inputs, node.local_grads, strict=True):
                grad[each] += local * grad[node]  # ...but adds into what the leaves hold
    view, one = GraphView(root), chain_rule(order)
    shown = [node for node in view.leaves() if view.role(node) != "constant" and one[node] != 0]
    shown.sort(key=lambda node: (view.role(node) != "parameter", -abs(one[node])))
    notes = {node: f"{format_number(one[node])} + {format_factor(one[node])}" for node in shown}
    lesson = (
        "Each backward() resets the op nodes' grads and sets the root's to 1, so those are right "
        "after any number of passes; the leaves add each pass to what they hold"
    )
    if shown:
        first, name = shown[0], view.name(shown[0])
        lesson += (
            f": {name}.grad went from {format_number(one[first])} to "
            f"{format_number(grad[first])}. Call zero_grad() before each backward(), or run "
            "inside warn_accumulate() to be told."
        )
        passes = first.grad / one[first]  # what the leaf of your own graph holds now
        if first.grad != 0 and _same(passes, round(passes)) and round(passes) > 0:
            lesson += (
                f" Your {name}.grad holds {format_number(first.grad)} now: {round(passes)} "
                f"pass{'es' if round(passes) > 1 else ''}' worth."
            )
    else:
        lesson += ", and no leaf of this graph has a gradient other than 0."
    return _compared(
        root,
        view,
        grad,
        mistake="backward() called twice without zero_grad() between",
        column="2 passes",
        edges=[],
        notes=notes,
        lesson=lesson,
    )


def wrong_order(root: Value, walk: str = "creation") -> Misconception:
    """The chain rule walked in the wrong order: `walk="creation"`, the nodes as they were made
    (every node after its inputs, leaves first: the topological order not reversed), or
    `walk="breadth-first"`, level by level from the root.

    A node's gradient is whole only once every node that uses it has passed its share back.
    Walked too early, a node passes on the part it holds then; a share arriving later stays in
    its grad (which may end right) and never reaches the nodes below it."""
    order = _order(root, "wrong_order")
    if walk not in WALKS:
        raise ValueError(f"wrong_order: walk must be one of {', '.join(WALKS)}, got {walk!r}")
    steps = creation_order(root) if walk == "creation" else breadth_first_order(root)
    grad = dict.fromkeys(order, 0.0)
    grad[root] = 1.0
    passed = {}  # what each node passed on: its grad when the walk reached it
    for node in steps:  # the mistake: not every node after all the nodes that use it
        passed[node] = grad[node]
        for each, local in zip(node.inputs, node.local_grads, strict=True):
            grad[each] += local * grad[node]
    view = GraphView(root)
    position = {node: i for i, node in enumerate(steps)}
    late = [  # shares that came after the node they went into had passed its gradient on
        (each, node)
        for node in steps
        for each, local in zip(node.inputs, node.local_grads, strict=True)
        if position[each] < position[node] and local * passed[node] != 0
    ]
    early = [node for node in steps if node.inputs and not _same(passed[node], grad[node])]
    notes = {node: f"passed on {format_number(passed[node])}, then received more" for node in early}
    how = "as the nodes were made (leaves first)" if walk == "creation" else "breadth-first"
    if early:
        first = early[0]
        lesson = (
            f"Walked {how}, {_listed([view.name(node) for node in early])} passed a gradient "
            f"on before it was whole: {view.name(first)} passed on "
            f"{format_number(passed[first])}, but d{view.name(root)}/d{view.name(first)} is "
            f"{format_number(grad[first])}. The shares marked red came too late to go further."
        )
    elif walk == "creation":
        lesson = (
            "Walked as the nodes were made, only the root passes on a gradient it has received; "
            "here every other node is a leaf, which passes nothing on, so the numbers are right."
        )
    else:
        lesson = (
            f"Walked {how}, every op node of this graph still comes after all the nodes that use "
            "it (a leaf may come early: it passes nothing on), so the numbers are right. The "
            "mistake hides until an op node is used at two distances from the root, as h is in "
            "h + tanh(h)."
        )
    return _compared(
        root,
        view,
        grad,
        mistake=f"the chain rule walked {how}, not in reversed topological order",
        column=f"{walk} order",
        edges=late,
        notes=notes,
        lesson=lesson,
        shown=early,
    )


def forget_zero_grad(
    root: Value,
    params: Iterable[Value] | None = None,
    *,
    lr: float = 0.1,
    steps: int = 4,
    watch: Value | None = None,
) -> TrainingMisconception:
    """Gradient descent on C, `p.data -= lr * p.grad` for each weight in `params` (default: the
    graph's `Parameter`s), `steps` times: once with `zero_grad()` before each backward pass and
    once without. Without it, each step's grad is the sum of every pass so far, so the weights
    keep moving along old gradients, past the minimum, and the cost can rise.

    Runs on two private deep copies of the graph, replayed by a `Tape` at each step. The
    table follows `watch` (default: the weight with the largest gradient at the first step);
    `correct`, `wrong` and `numeric` are the last step's, at the weights the run without
    zero_grad() reached."""
    view = GraphView(_checked_root(root, "forget_zero_grad"))
    trained = _params(view, params)
    if watch is None:  # the weight that moves most at the first step
        first = chain_rule(view.order)
        watch = max(trained, key=lambda p: abs(first[p]))
    if not any(watch is p for p in trained):
        raise ValueError(f"forget_zero_grad: watch={watch!r} is not one of the weights trained")
    lr = _positive(lr, "lr")
    if type(steps) is not int or not 2 <= steps <= 10_000:
        raise ValueError(f"forget_zero_grad: steps must be a whole number 2..10000, got {steps!r}")
    right, right_twin = _twin(view)
    wrong, wrong_twin = _twin(view)
    twin_order = GraphView(wrong_twin).order
    rows: list[TrainingStep] = []
    # the replays' scratch nodes are shown to no forward hook, and the passes accumulate on
    # purpose: no AccumulationWarning for them
    with modes.block(quiet=True), warn_accumulate(False):
        try:
            right_tape, wrong_tape = Tape(right_twin), Tape(wrong_twin)
        except ValueError as error:
            raise ValueError(f"forget_zero_grad: the graph must be recomputed: {error}") from None
        for node in view.leaves():
            right[node].grad = wrong[node].grad = 0.0
        for step in range(1, steps + 1):
            if step > 1:  # the step of gradient descent, w <- w - lr * dC/dw, in both runs
                for p in trained:
                    right[p].data -= lr * right[p].grad
                    wrong[p].data -= lr * wrong[p].grad
            for p in trained:
                right[p].grad = 0.0  # zero_grad(); the other run forgets it
            right_tape.replay()
            wrong_tape.replay()
            fresh = chain_rule(twin_order)[wrong[watch]]  # one pass at the same weights
            rows.append(
                TrainingStep(
                    step,
                    right[watch].data,
                    right_twin.data,
                    wrong[watch].data,
                    wrong_twin.data,
                    wrong[watch].grad,
                    fresh,
                    _finite_difference(twin_order, wrong[watch]),
                )
            )
    mine = {twin: node for node, twin in wrong.items()}
    correct = {mine[node]: grad for node, grad in chain_rule(twin_order).items()}
    held = {node: twin.grad for node, twin in wrong.items()}
    name, last = view.name(watch), rows[-1]
    rises = sum(row.wrong_cost > before.wrong_cost for before, row in pairwise(rows))
    right_rises = sum(row.right_cost > before.right_cost for before, row in pairwise(rows))
    lowest = min(rows, key=lambda row: row.wrong_cost)
    lesson = (
        f"With zero_grad() the cost went from {format_number(rows[0].right_cost)} to "
        f"{format_number(last.right_cost)}, rising at {right_rises} of {steps - 1} steps. "
        f"Without it, {name}.grad at step {steps} is the sum of {steps} passes, "
        f"{format_number(last.wrong_grad)}, where d{view.name(root)}/d{name} there is "
        f"{format_number(last.fresh_grad)}, and the cost rose at {rises} of {steps - 1} steps"
    )
    if last.wrong_cost > lowest.wrong_cost:
        lesson += (
            f" (lowest {format_number(lowest.wrong_cost)} at step {lowest.step}, "
            f"{format_number(last.wrong_cost)} at step {steps}): the old gradients keep pushing "
            "the weights the way the earlier steps went, past where the cost is lowest."
        )
    else:
        lesson += "."
    parted = _parted(view, correct, held)
    shown = _rows(view, parted, ())
    return TrainingMisconception(
        view=view,
        mistake=f"gradient descent (rate {lr:g}) without zero_grad() between the steps",
        column=f"after {steps} steps",
        lesson=lesson,
        correct=correct,
        wrong=held,
        numeric={node: _finite_difference(twin_order, wrong[node]) for node in shown},
        parted=parted,
        edges=(),
        rows=shown,
        notes={},
        twin=wrong_twin,
        twins=wrong,
        watch=watch,
        steps=tuple(rows),
    )


def recursive_sort(root: Value, *, terms: int | None = None) -> RecursionMisconception:
    """A recursive topological sort (micrograd's `build_topo`, `recursive_topological_order`)
    on a deep graph: total = C + C + ... + C, your cost summed `terms` times, as `sum(costs)`
    over a dataset builds it (default: 1.5 times the recursion limit). Beside it, the engine's
    `topological_order()`, a loop with a list, and `backward()` through the same graph.

    The recursive sort runs in a thread of its own, which starts with an empty stack, so the
    depth it reaches does not depend on how deep the code calling it is; its RecursionError is
    caught there. Nothing changes the recursion limit, and your graph is left as it was (the
    sum is built on a private copy)."""
    _checked_root(root, "recursive_sort")
    limit = sys.getrecursionlimit()
    if limit > SAFE_RECURSION_LIMIT:
        raise ValueError(
            f"recursive_sort: Python's recursion limit is {limit:,} here (raised from 1,000): a "
            "recursion that deep could overflow the C stack and crash the process instead of "
            "raising RecursionError, so this lab does not run it. Raising the limit moves the "
            "failure deeper; a loop with a list, as the engine's sort, removes it"
        )
    if terms is None:
        terms = limit + limit // 2
    if type(terms) is not int or not 1 <= terms <= 1_000_000:
        raise ValueError(f"recursive_sort: terms must be a whole number 1..1000000, got {terms!r}")
    if not modes.is_grad_enabled():
        raise RuntimeError("recursive_sort: inside no_grad() no graph is built; call it outside")
    view = GraphView(root)
    cost, cost_twin = _twin(view)
    with modes.block(quiet=True), warn_accumulate(False):
        total, partial_sums = cost_twin, {cost_twin: 1}
        for k in range(2, terms + 1):  # S_k = S_(k-1) + C, as sum() adds one term at a time
            total = total + cost_twin
            total.label, partial_sums[total] = f"S{k}", k
        total.label = "total"
        outcome = _recursive_sort_in_a_thread(total)
        order = total.topological_order()
        for node in order:
            node.grad = 0.0
        total.backward()
    chain = GraphView(total)
    correct = {node: cost[node].grad for node in view.order}
    right = chain_rule(view.order)
    expected = {node: terms * right[node] for node in view.order}
    leaves = [node for node in reversed(view.order) if view.role(node) in ("input", "parameter")]
    numeric = {node: _finite_difference(order, cost[node]) for node in leaves}
    return RecursionMisconception(
        view=view,
        limit=limit,
        terms=terms,
        nodes=len(order),
        depth=terms - 1 + _depth(view),
        frames=outcome.frames,
        error=outcome.error,
        reached=outcome.reached,
        stopped_at=chain.name(outcome.stopped) if outcome.stopped is not None else "",
        stopped_index=0 if outcome.stopped is None else partial_sums.get(outcome.stopped, 0),
        recursive_nodes=outcome.ordered,
        engine_nodes=len(order),
        correct=correct,
        expected=expected,
        numeric=numeric,
        rows=tuple(leaves),
    )


def lab(
    root: Value,
    params: Iterable[Value] | None = None,
    *,
    lr: float = 0.1,
    steps: int = 4,
) -> tuple[Misconception | RecursionMisconception, ...]:
    """Every misconception on the graph of `root`, in the order above, to print one by one;
    `params`, `lr` and `steps` are `forget_zero_grad`'s (the weights to train: the graph's
    Parameters by default, which a graph of plain Values must name, as `params=[w]`)."""
    return (
        assign_instead_of_add(root),
        backward_twice(root),
        forget_zero_grad(root, params, lr=lr, steps=steps),
        wrong_order(root, "creation"),
        wrong_order(root, "breadth-first"),
        recursive_sort(root),
    )


# ---- what a mistake gives back


@dataclass(frozen=True, eq=False)
class Misconception:
    """One mistake run on one graph, beside the right pass and finite differences.

    `correct`, `wrong`: dC/dnode for every node, by one fresh backward pass and by the
    mistake; `numeric`: finite differences for the nodes of the table (`rows`); `parted`: the
    nodes whose two gradients differ, the root's side first (numbers lifted into the graph,
    whose grads nobody reads, left out); `edges`: the (input, user) shares the mistake lost
    or passed too late. `str()` is the table; `draw()` the picture."""

    view: GraphView
    mistake: str
    column: str  # the table's header for the wrong numbers
    lesson: str  # what went wrong where, from the numbers
    correct: Mapping[Value, float]
    wrong: Mapping[Value, float]
    numeric: Mapping[Value, float | None]
    parted: tuple[Value, ...]
    edges: tuple[tuple[Value, Value], ...]
    rows: tuple[Value, ...]
    notes: Mapping[Value, str]  # a word on a row: why its number is what it is
    twin: Value = field(repr=False)  # a private copy of the graph holding what the mistake left
    twins: Mapping[Value, Value] = field(repr=False)  # your node -> its copy

    @property
    def root(self) -> Value:
        return self.view.root

    def table(self, max_rows: int | None = MAX_ROWS) -> str:
        """The mistake, one row per node shown (the root's side first), and the lesson."""
        root = self.view.name(self.root)
        header = ["node", f"d{root}/dnode", self.column, "finite diff", ""]
        lines = [
            [
                self.view.name(node),
                format_number(self.correct[node]),
                format_number(self.wrong[node]),
                _shown(self.numeric.get(node), self.correct[node]),
                _mark(node in self.parted, self.notes.get(node, "")),
            ]
            for node in self.rows
        ]
        return _text(self.mistake, header, lines, self.lesson, max_rows)

    def __str__(self) -> str:
        return self.table()

    def draw(self, **draw_dot_options: Any) -> graphviz.Digraph:
        """The graph as the mistake leaves it (its grads in every box), the nodes whose grads
        part from the right ones outlined in red, each with a note of the right number and the
        finite difference, and the shares the mistake lost or passed too late in red.
        `draw_dot_options`: draw_dot's (rankdir, number_format, legend, ...)."""
        twins = self.twins
        graph = draw_dot(
            self.twin,
            highlight_nodes=[twins[node] for node in self.parted],
            highlight_edges=[(twins[a], twins[b]) for a, b in self.edges],
            **draw_dot_options,
        )
        drawn, root = GraphView(self.twin), self.view.name(self.root)
        for node in self.parted:
            name = drawn.id(twins[node])
            lines = [f"d{root}/d{self.view.name(node)} = {format_number(self.correct[node])}"]
            numeric = self.numeric.get(node)
            if numeric is not None:
                lines.append(f"finite diff {_shown(numeric, self.correct[node])}")
            graph.node(
                f"{name}_right",
                _dot_lines(*lines),
                shape="note",
                fontsize="10",
                color=HIGHLIGHT,
                fontcolor=HIGHLIGHT,
                id=f"{name}_right",
            )
            graph.edge(f"{name}_right", name, style="dashed", color=HIGHLIGHT, arrowhead="none")
        graph.attr(
            label=_dot_lines(self.mistake, "(red: where the grads part)"),
            labelloc="t",
            fontname="Helvetica",
        )
        return graph


@dataclass(frozen=True, eq=False)
class TrainingStep:
    """One step of `forget_zero_grad`'s two runs: the watched weight, the cost, and the grad
    the run without zero_grad() steps along, beside one pass's and finite differences' at the
    same weights."""

    step: int
    right_weight: float
    right_cost: float
    wrong_weight: float
    wrong_cost: float
    wrong_grad: float  # w.grad without zero_grad(): the sum of every pass so far
    fresh_grad: float  # dC/dw by one pass at the weights of the run without zero_grad()
    numeric: float | None  # dC/dw by finite differences there


@dataclass(frozen=True, eq=False)
class TrainingMisconception(Misconception):
    """`forget_zero_grad`'s result: a Misconception of the last step, and every step."""

    watch: Value = field(repr=False)  # the weight the table follows
    steps: tuple[TrainingStep, ...]

    def table(self, max_rows: int | None = MAX_ROWS) -> str:
        w, root = self.view.name(self.watch), self.view.name(self.root)
        groups = ["", "with zero_grad()", "", "without it", "", "", "", "", ""]
        header = ["step", w, root, w, root, f"{w}.grad", f"d{root}/d{w}", "finite diff", ""]
        lines = []
        shown: Sequence[int] = range(len(self.steps))
        if max_rows is not None and len(self.steps) > max_rows:  # evenly spaced, and the lowest
            last = len(self.steps) - 1
            lowest = min(shown, key=lambda i: self.steps[i].wrong_cost)
            shown = sorted({round(i * last / (max_rows - 1)) for i in range(max_rows)} | {lowest})
        for i in shown:
            row, before = self.steps[i], self.steps[i - 1] if i else None
            parts = not _same(row.wrong_grad, row.fresh_grad)
            rose = before is not None and row.wrong_cost > before.wrong_cost
            lines.append(
                [
                    str(row.step),
                    format_number(row.right_weight),
                    format_number(row.right_cost),
                    format_number(row.wrong_weight),
                    format_number(row.wrong_cost),
                    format_number(row.wrong_grad),
                    format_number(row.fresh_grad),
                    _shown(row.numeric, row.fresh_grad),
                    "<- cost rose" if rose else "<- parts" if parts else "",
                ]
            )
        caption = (
            f"{self.mistake}: {w}.grad is what the step moves along; d{root}/d{w} is one pass "
            "at the same weights"
        )
        if len(lines) < len(self.steps):
            caption += f" ({len(lines)} of the {len(self.steps)} steps; table(max_rows=None): all)"
        return _text(caption, header, lines, self.lesson, None, groups)


@dataclass(frozen=True, eq=False)
class RecursionMisconception:
    """`recursive_sort`'s result: how far the recursive sort got on the deep sum before
    RecursionError, beside the engine's sort and backward() through it.

    `correct`: d total/d node by the engine on the deep graph, for each node of your graph;
    `expected`: `terms` × dC/dnode by one pass on your graph; `numeric`: finite differences
    of the total, for your inputs and weights (`rows`)."""

    view: GraphView
    limit: int  # sys.getrecursionlimit()
    terms: int  # how many times the cost is summed
    nodes: int  # nodes in the deep graph
    depth: int  # nodes on its longest path, from the total down to a leaf
    frames: int  # frames on the thread's stack below the recursive sort when it started
    error: str  # the RecursionError's message; "" if the sort finished
    reached: int  # calls open when it stopped (or the deepest it went, had it finished)
    stopped_at: str  # the node whose call raised, by its name in the deep graph
    stopped_index: int  # which partial sum that is: S_k has k (0: not a partial sum)
    recursive_nodes: int  # nodes the recursive sort put in order (0 if it stopped)
    engine_nodes: int  # nodes the engine's sort put in order
    correct: Mapping[Value, float]
    expected: Mapping[Value, float]
    numeric: Mapping[Value, float | None]
    rows: tuple[Value, ...]

    @property
    def root(self) -> Value:
        return self.view.root

    @property
    def parted(self) -> tuple[Value, ...]:
        """The nodes of your graph whose gradients the engine got wrong on the deep graph:
        none (the recursive sort gave no gradients at all)."""
        return tuple(
            node for node in self.view.order if not _same(self.correct[node], self.expected[node])
        )

    def table(self, max_rows: int | None = MAX_ROWS) -> str:
        cost = self.view.name(self.root)
        if self.error:
            recursive = (
                f"RecursionError with {self.reached:,} calls open (the deepest at "
                f"{self.stopped_at}) on {self.frames} frames: no order, no gradients"
            )
        else:
            recursive = f"all {self.recursive_nodes:,} nodes in order ({self.reached:,} calls deep)"
        lines = [
            ["recursive: a call per node", recursive],
            [
                "the engine's: a loop, a list",
                f"all {self.engine_nodes:,} nodes in order; backward() fine",
            ],
        ]
        title = (
            f"a recursive topological sort (micrograd's build_topo) on total = {cost} + {cost} + "
            f"... + {cost}, {self.terms:,} terms as sum(costs) adds them: {self.nodes:,} nodes, "
            f"{self.depth:,} deep; Python's recursion limit: {self.limit:,} calls"
        )
        sorts = _text(title, ["sort", "result"], lines, "", None)
        header = ["node", "dtotal/dnode", f"{self.terms:,} × d{cost}/dnode", "finite diff"]
        grads = [
            [
                self.view.name(node),
                format_number(self.correct[node]),
                format_number(self.expected[node]),
                _shown(self.numeric.get(node), self.expected[node]),
            ]
            for node in self.rows
        ]
        lesson = (
            "Each recursive call holds a frame of Python's stack until every node below it is "
            f"done, so a path of {self.depth:,} nodes needs {self.depth:,} frames at once; the "
            "engine keeps its path in a list, which has no such limit. Raising the limit only "
            "moves the failure deeper (and past the C stack, crashes the process)."
        )
        return sorts + "\n" + _text("", header, grads, lesson, max_rows)

    def __str__(self) -> str:
        return self.table()

    def draw(self) -> graphviz.Digraph:
        """The deep sum from your graph (left) to the total (right), each run of partial sums
        one box: the calls the recursive sort had open when it stopped (red), the call that
        raised (outlined), what it never reached (dashed); below, what the engine's sort did."""
        graph = graph_class()(
            graph_attr={
                "rankdir": "LR",
                "label": f"a recursive sort of total = {self.terms:,} × "
                f"{self.view.name(self.root)} (recursion limit {self.limit:,} calls)",
                "labelloc": "t",
                "fontname": "Helvetica",
            },
            node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "box"},
            edge_attr={"arrowsize": "0.7"},
        )
        never = {"style": "dashed,filled", "fillcolor": ROLE_FILLS["constant"], "color": QUIET}
        open_ = {"style": "filled", "fillcolor": "#fee2e2", "color": HIGHLIGHT}
        stop = {"style": "filled", "fillcolor": ROLE_FILLS["root"], "color": HIGHLIGHT}
        done = {"style": "filled", "fillcolor": "#dcfce7"}
        cost, k, n = self.view.name(self.root), self.stopped_index, self.terms
        raised = [f"call {self.reached:,}, the deepest:", "its next call raised", "RecursionError"]
        boxes: list[tuple[list[str], dict[str, str]]] = []  # from the leaves' side to the root
        if not self.error:
            boxes = [([f"{cost}: your graph"], done), ([_run(2, n, total=n), "in order"], done)]
        elif k == 0:  # it stopped inside your graph, a deep one
            boxes = [
                ([f"{cost}: your graph", f"{self.stopped_at}: {raised[0]}", *raised[1:]], stop)
            ]
            boxes.append(([_run(2, n, total=n), "calls open"], open_))
        else:
            boxes = [([f"{cost}: your graph", "never reached"], never)]
            boxes.append(([_run(2, k - 1, total=n), "never reached"], never))
            boxes.append(([f"S{k}", *raised], {**stop, "penwidth": "3"}))
            open_calls = f"calls {self.reached - 1:,} to 1 open"
            boxes.append(([_run(k + 1, n, total=n), open_calls], open_))
        boxes = [(lines, style) for lines, style in boxes if lines[0]]
        for i, (lines, style) in enumerate(boxes):
            graph.node(f"b{i}", _dot_lines(*lines), id=f"b{i}", **style)
            if i:
                graph.edge(f"b{i - 1}", f"b{i}")
        graph.node(
            "engine",
            _dot_lines(
                "the engine's topological_order():",
                f"all {self.engine_nodes:,} nodes in order,",
                "its path kept in a list;",
                "backward() fine",
            ),
            id="engine",
            **done,
        )
        graph.edge(f"b{len(boxes) - 1}", "engine", style="invis")  # beside the total, at the end
        return graph


def _run(first: int, last: int, total: int) -> str:
    """The partial sums S_first ... S_last, as a box names them ("" for none); S_total is the
    total."""
    if first > last:
        return ""
    end = f"S{last} = total" if last == total else f"S{last}"
    return end if first == last else f"S{first} ... {end}"


def _dot_lines(*lines: str) -> str:
    """Lines of a plain Graphviz label: a backslash shown as itself, each line centred (\\n)."""
    return "\\n".join(line.replace("\\", "\\\\") for line in lines)


# ---- helpers


def _checked_root(root: object, where: str) -> Value:
    if not isinstance(root, Value):
        raise TypeError(f"{where}: root must be a Value (the cost), got {type(root).__name__}")
    return root


def _order(root: object, where: str) -> list[Value]:
    return _checked_root(root, where).topological_order()


def _same(a: float, b: float) -> bool:
    """Equal up to rounding: two sums of the same shares in another order may differ in the
    last bits, which is no mistake."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _parted(
    view: GraphView, correct: Mapping[Value, float], wrong: Mapping[Value, float]
) -> tuple[Value, ...]:
    return tuple(
        node
        for node in reversed(view.order)
        if view.role(node) != "constant" and not _same(correct[node], wrong[node])
    )


def _rows(view: GraphView, parted: Sequence[Value], shown: Iterable[Value]) -> tuple[Value, ...]:
    """The nodes a table shows, the root's side first: where the numbers part, the inputs and
    weights, and the nodes a mistake names (`shown`); not the root (its grad is 1) nor the
    numbers lifted into the graph."""
    wanted = {*parted, *shown} | {node for node in view.leaves() if view.role(node) != "constant"}
    return tuple(node for node in reversed(view.order) if node in wanted and node is not view.root)


def _compared(
    root: Value,
    view: GraphView,
    wrong: Grads,
    *,
    mistake: str,
    column: str,
    edges: Sequence[tuple[Value, Value]],
    notes: Mapping[Value, str],
    lesson: str,
    shown: Iterable[Value] = (),
) -> Misconception:
    """The result of a mistake run on plain numbers: the right pass beside it, finite
    differences for the rows, and a private copy of the graph holding the wrong grads."""
    correct = chain_rule(view.order)
    parted = _parted(view, correct, wrong)
    rows = _rows(view, parted, shown)
    twins, twin = _twin(view)
    for node, grad in wrong.items():
        twins[node].grad = grad
    return Misconception(
        view=view,
        mistake=mistake,
        column=column,
        lesson=lesson,
        correct=correct,
        wrong=wrong,
        numeric={node: _finite_difference(view.order, node) for node in rows},
        parted=parted,
        edges=tuple(dict.fromkeys(edges)),
        rows=rows,
        notes=notes,
        twin=twin,
        twins=twins,
    )


def _twin(view: GraphView) -> tuple[dict[Value, Value], Value]:
    """A private deep copy of the graph, and the map from each node to its copy."""
    memo: dict[int, object] = {}
    twin = copy.deepcopy(view.root, memo)
    return {node: memo[id(node)] for node in view.order}, twin  # type: ignore[misc]


def _params(view: GraphView, params: Iterable[Value] | None) -> list[Value]:
    if params is None:
        found: list[Value] = [node for node in view.leaves() if isinstance(node, Parameter)]
        if not found:
            raise ValueError(
                f"forget_zero_grad: the graph of {view.name(view.root)} has no Parameter; "
                "name the weights to train: params=[w]"
            )
        return found
    if isinstance(params, Value) or not isinstance(params, Iterable):
        raise TypeError(f"forget_zero_grad: params must be a list of Values, got {params!r}")
    chosen = list(params)
    for p in chosen:
        if not isinstance(p, Value) or p not in view or p.inputs:
            raise ValueError(
                f"forget_zero_grad: params must be leaves of the graph (weights), got {p!r}"
            )
    if not chosen:
        raise ValueError("forget_zero_grad: params is empty; name the weights to train")
    return list(dict.fromkeys(chosen))


def _positive(number: object, name: str) -> float:
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise TypeError(f"forget_zero_grad: {name} must be a number, got {number!r}")
    value = float(number)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"forget_zero_grad: {name} must be a finite number > 0, got {number!r}")
    return value


def _depth(view: GraphView) -> int:
    """Nodes on the longest path from the root down to a leaf."""
    longest: dict[Value, int] = {}
    for node in view.order:
        longest[node] = 1 + max((longest[each] for each in node.inputs), default=0)
    return longest[view.root]


@dataclass
class _SortOutcome:
    error: str = ""
    reached: int = 0
    stopped: Value | None = None
    ordered: int = 0
    frames: int = 0
    failure: BaseException | None = None


def _recursive_sort_in_a_thread(root: Value) -> _SortOutcome:
    """`recursive_topological_order(root)` in a new thread, its RecursionError caught there:
    how deep it went, where it stopped, and how many frames were below it."""
    outcome = _SortOutcome()

    def run() -> None:
        path: list[Value] = []
        frame, frames = sys._getframe(), 0
        while frame is not None:
            frame, frames = frame.f_back, frames + 1  # type: ignore[assignment]
        outcome.frames = frames
        try:
            outcome.ordered = len(recursive_topological_order(root, path))
            outcome.reached = _depth_of(root)
        except RecursionError as error:
            outcome.error = str(error)
            outcome.reached, outcome.stopped = len(path), path[-1] if path else None
        except BaseException as error:  # handed to the caller's thread, raised there
            outcome.failure = error

    thread = threading.Thread(target=run, name="micrograd_like recursive sort", daemon=True)
    thread.start()
    thread.join()
    if outcome.failure is not None:
        raise outcome.failure
    return outcome


def _depth_of(root: Value) -> int:
    return _depth(GraphView(root))


def _finite_difference(order: Sequence[Value], node: Value, eps: float = 1e-6) -> float | None:
    """dC/dnode by central differences over `order` (C last); see `finite_difference`."""
    x = node.data
    h = eps * max(1.0, abs(x))
    up, down = _moved(order, node, x + h), _moved(order, node, x - h)
    if up is None or down is None:
        return None
    return (up - down) / ((x + h) - (x - h))  # the step the floats took, not 2h


def _moved(order: Sequence[Value], node: Value, x: float) -> float | None:
    """C with `node`'s value set to x and every node that depends on it recomputed by its op,
    on scratch leaves: values only, no graph recorded, shown to no hook."""
    value: dict[Value, float] = {node: x}
    start = next(i for i, each in enumerate(order) if each is node)
    try:
        with modes.block(recording=False, quiet=True):
            for each in order[start + 1 :]:
                if any(i in value for i in each.inputs):
                    numbers = [value.get(i, i.data) for i in each.inputs]
                    value[each] = _recomputed(each.op, numbers)
    except (ArithmeticError, ValueError, _NoMethod):  # out of an op's domain at x ± h
        return None
    root = order[-1]
    return value.get(root, root.data)


class _NoMethod(Exception):
    """An op made with Value.from_op: nothing to recompute it with."""


def _recomputed(op: str, numbers: Sequence[float]) -> float:
    """The value of `op` at `numbers`, by the engine's own method for it."""
    method: Callable[..., Value] | None = entry(op).method
    if method is None:
        raise _NoMethod(op)
    leaves = [Value(x) for x in numbers]
    if op.startswith("**") and op != "**":  # x ** n: the exponent is in the op's name
        return (leaves[0] ** float(op[2:])).data
    return method(*leaves).data


def _listed(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    shown = list(names[:4]) + ([f"{len(names) - 4} more"] if len(names) > 4 else [])
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _shown(numeric: float | None, exact: float) -> str:
    """A finite difference as a table prints it. Its error (about 1e-9 here) is far below the
    4 decimals shown, but a rounding boundary can still split two equal numbers (-0.30975 by
    one pass, -0.3097499999 by finite differences: -0.3098 and -0.3097), so one that agrees
    with the exact gradient to 1e-6 is printed with the exact gradient's digits."""
    if numeric is None:
        return "n/a"
    close = math.isclose(numeric, exact, rel_tol=1e-6, abs_tol=1e-9)
    return format_number(exact if close else numeric)


def _mark(parts: bool, note: str) -> str:
    if parts:
        return f"<- parts: {note}" if note else "<- parts"
    return f"<- {note}" if note else ""


def _text(
    title: str,
    header: list[str],
    lines: list[list[str]],
    lesson: str,
    max_rows: int | None,
    groups: list[str] | None = None,
) -> str:
    """A table: the title, a header and rows in columns, a line for rows left out, a lesson.
    `groups`: a line above the header naming groups of columns, each name over the first
    column of its group (a group runs up to the next name)."""
    hidden = 0
    if max_rows is not None and len(lines) > max_rows:
        hidden, lines = len(lines) - max_rows, lines[:max_rows]
    cells = [[printable(cell) for cell in line] for line in [header, *lines]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    if groups is not None:
        starts = [i for i, name in enumerate(groups) if name] + [len(groups)]
        for start, end in pairwise(starts):  # widen a group's last column to fit its name
            span = sum(widths[start:end]) + 2 * (end - start - 1)
            widths[end - 1] += max(0, len(groups[start]) - span)
        cells.insert(0, groups)
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    if hidden:
        text.append(f"... {hidden} more rows: table(max_rows=None) shows them all")
    return "\n".join(([title] if title else []) + text + ([lesson] if lesson else []))
