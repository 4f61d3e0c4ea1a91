"""Watch backpropagation happen: the backward pass one node at a time, and the chain rule for one
leaf written out path by path.

Two kinds of derivative meet in every line, and they are written differently:

- ∂mul4/∂W, with ∂, is an op's *local derivative*: how the op's output moves with one of its
  inputs, computed by the op in the forward pass (for `W * a_prev` it is `a_prev`).
- dC/dW, with d, is the root's *gradient*: how the cost moves with the node, what `backward()`
  writes into `grad`.

The chain rule joins them: `dC/dW += ∂mul4/∂W × dC/dmul4 = 1.5 × 0.0962 = 0.1443`. On a stream
that cannot encode ∂ and × (a latin-1 console), `print()` spells them `partial` and `*`.

- `backward_steps(root)`: the backward pass itself (`stepping.backward_pass`), paused after
  each node, each step a record of the chain rule it just applied.
- `explain(root, leaf)`: d root / d leaf as a sum over every path of products of local
  derivatives, each with its formula and its number.

Both write every line by default. Two options thin the text without changing a number:

- `constants=False` leaves out the constants: the unlabelled leaves (a number lifted into the
  graph, as the 2 of `2 * x`, the targets a loss compares to, the n of a mean) and the unlabelled
  nodes computed from them alone. d root / d constant is exact, but no one changes a constant, so
  its lines are of no use to a learner; `explain()` writes a constant in a formula as its number
  (`1 / 3.0`, not `1 / const0`).
- `identity=False` leaves out the factors that are 1 whatever the numbers: the local derivatives
  whose formula is the constant 1 (both inputs of `+`, the `a` of `a - b`), through which an op
  passes the gradient on unchanged, and in a step the root's gradient of itself. x × 1 is
  exactly x in floating point, so every product stays the number it was. A factor that merely
  happens to be 1 (an input of 1.0 in `W * x`) is part of the derivation and stays.

Names, ids and number formatting come from `view.GraphView`: `mul4` here is `mul4` in the
drawings and on the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from micrograd_like.engine import Value, entry
from micrograd_like.floats import format_factor, format_number
from micrograd_like.stepping import backward_pass
from micrograd_like.view import UNICODE, GraphView, Notation, notation_for, printable

# ---- backward_steps: the engine's own backward pass, paused after each node


@dataclass(frozen=True)
class InputShare:
    """What one input received in a backward step.

    `local` is ∂node/∂input (computed by the op in the forward pass) and `contribution` is
    local × upstream, the share of the root's gradient passed back along this edge. After the
    whole step (an input used twice, as in `a * a`, has had both shares by then): `this_pass`
    is the input's d root / d input summed over the shares this pass has sent it so far, and
    `grad_after` is what its `.grad` holds. They differ only for a leaf that held a gradient
    before the pass: leaf grads accumulate across passes, as in PyTorch.
    """

    input: Value
    name: str
    local: float
    contribution: float
    this_pass: float
    grad_after: float
    identity: bool = False  # `local` is 1 whatever the numbers: the op passes the gradient on


@dataclass(frozen=True)
class BackwardStep:
    """One node of the backward pass: its gradient d root / d node (`upstream`, complete now:
    every node that uses it has passed its share back) and the share each of its inputs
    received by the chain rule. For a leaf (no shares), `grad_before` is what its `.grad` held
    before this pass; `node.grad` is then `grad_before + upstream`. `shares` leaves out the
    constants when the steps were asked for with `constants=False`; `identity` is False when
    they were asked for with `identity=False`, and the text then leaves out the factors that
    are 1 whatever the numbers."""

    node: Value
    name: str
    root_name: str
    upstream: float
    shares: tuple[InputShare, ...]
    grad_before: float = 0.0
    is_root: bool = False
    identity: bool = True

    def text(self, notation: Notation = UNICODE) -> str:
        """The step's chain-rule lines in the given notation (`str()` picks the one stdout
        can print)."""
        root, node, grad = self.root_name, self.name, notation.grad
        lines = []
        if self.is_root and self.node.op:  # its shares may all be constants' (constants=False)
            lines.append(f"{grad(root, root)} = 1 (the root: the gradient of {root} itself)")
        elif not self.shares:
            what = "the root" if self.is_root else "a leaf"
            line = f"{grad(root, node)} = {format_number(self.upstream)} ({what}: final"
            if self.grad_before == 0:
                lines.append(f"{line})")
            else:
                lines.append(
                    f"{line} for this pass; {node}.grad holds {format_number(self.node.grad)}, "
                    f"as it held {format_number(self.grad_before)} before: leaf grads add up)"
                )
        for share in self.shares:
            factors = [
                (notation.local(node, share.name), share.local, share.identity),
                (grad(root, node), self.upstream, self.is_root),  # d root / d root is 1
            ]
            if not self.identity:
                # x × 1 is exactly x: the contribution is the other factor, unchanged. When both
                # are 1, the upstream gradient stays, passed on as it is.
                factors = [each for each in factors if not each[2]] or factors[1:]
            if len(factors) == 1:
                written, number, _ = factors[0]
                lines.append(f"{grad(root, share.name)} += {written} = {format_number(number)}")
                continue
            (local, _, _), (upstream, _, _) = factors
            lines.append(
                f"{grad(root, share.name)} += {local} {notation.times} {upstream} = "
                f"{format_factor(share.local)} {notation.times} {format_factor(self.upstream)} = "
                f"{format_number(share.contribution)}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text(notation_for())


def backward_steps(
    root: Value,
    *,
    view: GraphView | None = None,
    constants: bool = True,
    identity: bool = True,
) -> Iterator[BackwardStep]:
    """Run the backward pass of `root` one node at a time, yielding a `BackwardStep` after each.

    The steps come from the engine's own chain-rule loop (`stepping.backward_pass`), in the order
    of `backward()`: `reversed(root.topological_order())`, the root first. Every node yields a
    step, leaves included, so the steps line up one to one with the nodes. It *is* the backward
    pass: it writes grads as `backward()` does.

    Exhausted, it leaves every grad exactly as `backward()` would. Stopped early, it leaves: the
    root's grad 1; every other non-leaf grad reset to 0 and then holding only the shares of the
    nodes already stepped; leaf grads equal to what they held before plus the shares received
    so far. If another backward pass runs over the graph while this one is paused, the next step
    raises the engine's `BackwardConflict` instead of mixing the two. `view` (a `GraphView` of
    `root`) saves working the names out again.

    `constants=False` yields no step for a constant (an unlabelled leaf, as a loss's targets or
    the 2 of `2 * x`, or an unlabelled node made from constants alone) and leaves the shares
    sent to constants out of each step, so no line is about a number no one changes; the root
    always steps. The pass still runs over every node: the grads are the same, the pass only
    pauses less often. `identity=False` writes no factor that is 1 whatever the numbers:
    `dC/da += ∂sub7/∂a × dC/dsub7 = 1.0 × 0.5717 = 0.5717` (∂(a - y)/∂a is 1) reads `dC/da +=
    dC/dsub7 = 0.5717`, and a share from the root (whose gradient of itself is 1) reads
    `dC/dsub7 += ∂C/∂sub7 = 0.5717`. Neither option changes a number.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps: root must be a Value, got {type(root).__name__}")
    _check_switches("backward_steps", constants=constants, identity=identity)
    if view is None:
        view = GraphView(root)
    elif not isinstance(view, GraphView):
        raise TypeError(
            f"backward_steps: view must be a GraphView of the root (GraphView(root)), got "
            f"{type(view).__name__}"
        )
    elif view.root is not root:
        raise ValueError("backward_steps: the view is of another root")
    return _steps(root, view, frozenset() if constants else _constants(view), identity)


def _check_switches(where: str, **switches: object) -> None:
    """A TypeError naming the argument for a switch that is not True or False (0, "no")."""
    for name, switch in switches.items():
        if not isinstance(switch, bool):
            raise TypeError(f"{where}: {name} must be True or False, got {switch!r}")


def _constants(view: GraphView) -> frozenset[Value]:
    """The view's constants, the root excepted: its unlabelled leaves that are not parameters
    (`view.role` "constant": numbers lifted into the graph) and the unlabelled nodes computed
    from them alone (the `2 * 3` of an expression). No learnable number flows into them, so
    d root / d constant, though exact, tells a learner nothing. A label makes a node an input."""
    found: set[Value] = set()
    for node in view.order:  # inputs first: a node's inputs are decided before it
        if node is view.root or node.label:
            continue
        if node.op:
            if all(each in found for each in node.inputs):
                found.add(node)
        elif view.role(node) == "constant":
            found.add(node)
    return frozenset(found)


def _passes_through(op: str, position: int, local: float) -> bool:
    """Whether the local derivative `local` of the op's input `position` is 1 whatever the
    numbers: the op stored exactly 1 and the formula registered beside it is the constant 1
    (both inputs of +, the a of a - b)."""
    if local != 1.0:
        return False
    try:
        formulas = entry(op).local
    except LookupError:  # an op outside the registry: its factor is written out
        return False
    return formulas is not None and position < len(formulas) and formulas[position] == "1"


def _steps(
    root: Value, view: GraphView, hidden: frozenset[Value], identity: bool
) -> Iterator[BackwardStep]:
    root_name = view.name(root)
    before = {node: node.grad for node in view.leaves()}  # leaf grads accumulate across passes
    # d root / d node from this pass alone, summed in the engine's order (so a non-leaf's equals
    # its grad exactly, and a leaf's is its grad less what it held before the pass)
    this_pass: dict[Value, float] = {root: 1.0}
    for node in backward_pass(root):
        upstream = this_pass.get(node, 0.0)
        shares = []
        for each, local in zip(node.inputs, node.local_grads, strict=True):
            contribution = local * upstream
            this_pass[each] = this_pass.get(each, 0.0) + contribution
        if hidden and node in hidden:
            continue  # the pass has taken the step all the same: only the pause is left out
        for position, (each, local) in enumerate(zip(node.inputs, node.local_grads, strict=True)):
            if hidden and each in hidden:
                continue
            shares.append(
                InputShare(
                    each,
                    view.name(each),
                    local,
                    local * upstream,
                    this_pass[each],
                    each.grad,
                    _passes_through(node.op, position, local),
                )
            )
        name, grad_before = view.name(node), before.get(node, 0.0)
        yield BackwardStep(
            node, name, root_name, upstream, tuple(shares), grad_before, node is root, identity
        )


# ---- explain: the chain rule for one leaf, path by path


Symbol = str | int | float
"""What a symbol of an op's formula stands for in a graph: a node's name (str), or a number:
a constant's value, or the exponent n of a number power (an int where the op's name has one)."""


@dataclass(frozen=True)
class Factor:
    """One local derivative on a path: ∂node/∂input, symbolically and as a number.

    `formula` is the text form (`local_formula`); `template` and `symbols` are the same maths
    before the names go in, for readers that typeset it (`latex.to_latex`): the registry's
    formula in a, b, out and n (None for an op registered without formulas) and what each of
    those symbols stands for here: a node's name, or a number."""

    node: str
    input: str
    formula: str
    local: float
    identity: bool = False  # `local` is 1 whatever the numbers: the op passes the gradient on
    template: str | None = None
    symbols: tuple[tuple[str, Symbol], ...] = ()


@dataclass(frozen=True)
class _Link:
    """A path as a chain of links back towards the root: each link adds one factor to the path
    its parent link ends. Paths share their common beginnings, so finding them all costs time
    linear in what is printed, not in the square of the depth."""

    factor: Factor
    parent: _Link | None
    product: float  # of the local derivatives from the root down to here, in the engine's order


@dataclass(frozen=True)
class ChainPath:
    """One path from the root down to the leaf: the product of the local derivatives on it."""

    end: _Link | None  # None: the path from a node to itself (no factor, product 1)

    @property
    def factors(self) -> tuple[Factor, ...]:
        found = []
        link = self.end
        while link is not None:
            found.append(link.factor)
            link = link.parent
        return tuple(reversed(found))

    @property
    def product(self) -> float:
        return 1.0 if self.end is None else self.end.product


@dataclass(frozen=True)
class Explanation:
    """d root / d leaf as the sum, over every path from root to leaf, of the product of the
    local derivatives along the path. `total` is that sum: `leaf.grad` after a backward pass
    from a zero leaf grad (up to rounding). The paths hold every factor; with `identity` False
    the text leaves out those that are 1 whatever the numbers (`explain(..., identity=False)`)."""

    root: str
    leaf: str
    paths: tuple[ChainPath, ...]
    identity: bool = True

    @property
    def total(self) -> float:
        """The sum of the path products; ±inf where it is too large for a float, as backward()
        would give (math.fsum itself raises OverflowError there)."""
        products = [path.product for path in self.paths]
        try:
            return math.fsum(products)
        except OverflowError:  # finite products whose exact sum is past the largest float
            exact = sum(Fraction(each) for each in products)
            return math.inf if exact > 0 else -math.inf

    def text(self, notation: Notation = UNICODE) -> str:
        """The derivation in the given notation (`str()` picks the one stdout can print)."""
        whole, times = notation.grad(self.root, self.leaf), f" {notation.times} "
        if not self.paths:
            return f"{self.root} does not depend on {self.leaf}: {whole} = 0"
        count = len(self.paths)
        lines = [f"{whole}: {count} path{'s' if count > 1 else ''} from {self.root} to {self.leaf}"]
        for number, path in enumerate(self.paths, 1):
            every = path.factors
            if not every:  # the root itself
                lines.append(f"  path {number}: {whole} = 1 (a node's gradient of itself)")
                continue
            # x × 1 is exactly x: leaving out the factors that are 1 leaves the product as it is
            factors = every if self.identity else [f for f in every if not f.identity]
            left_out = len(every) - len(factors)
            if not factors:
                many = f"all {left_out:,} local derivatives on it are"
                if left_out == 1:
                    many = "its one local derivative is"
                lines.append(f"  path {number}: {whole} = {format_number(path.product)} ({many} 1)")
                continue
            pad = " " * len(f"  path {number}: {whole}")
            local = times.join(notation.local(f.node, f.input) for f in factors)
            lines.append(f"  path {number}: {whole} = {local}")
            lines.append(f"{pad} = " + times.join(bracketed(f.formula) for f in factors))
            lines.append(f"{pad} = " + times.join(format_factor(f.local) for f in factors))
            note = ""
            if left_out:
                note = f" ({left_out:,} factor{'s' if left_out > 1 else ''} of 1 left out)"
            lines.append(f"{pad} = {format_number(path.product)}{note}")
        how = "the sum over the paths" if count > 1 else "the one path"
        lines.append(f"{whole} = {format_number(self.total)} ({how})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text(notation_for())


def bracketed(formula: str) -> str:
    """Brackets around a formula that is not a product, so that a product of them reads right."""
    depth = 0
    for i, char in enumerate(formula):
        depth += (char == "(") - (char == ")")
        if depth == 0 and formula[i : i + 3] in (" + ", " - ", " / "):
            return f"({formula})"
    return f"({formula})" if formula.startswith("-") else formula


_SYMBOL = re.compile(r"\b(a|b|n|out)\b")


def _maths(
    node: Value, position: int, view: GraphView, numbers: frozenset[Value]
) -> tuple[str | None, dict[str, Symbol]]:
    """∂node/∂input `position` before the names go in: the formula the registry of ops gives
    for it, in a, b, out and n (None for an op made with Value.from_op without formulas), and
    what a, b and out stand for at `node` (the inputs' and its own names; an input in
    `numbers`, a constant, as its number) and, for a number power `**n`, n its exponent."""
    known = entry(node.op)
    local = known.local
    template = None
    if local is not None and position < len(local) and isinstance(local[position], str):
        template = local[position]

    def written(each: Value) -> Symbol:
        return each.data if each in numbers else view.name(each)

    inputs = node.inputs
    symbols = {"a": written(inputs[0]), "out": written(node)}
    if len(inputs) == 2:
        symbols["b"] = written(inputs[1])
    if known.name == "**n":  # the number power x ** 2: its op is "**2"
        exponent = node.op[2:]
        symbols["n"] = int(exponent) if exponent.lstrip("-").isdigit() else float(exponent)
    return template, symbols


def local_formula(
    node: Value, position: int, view: GraphView, numbers: frozenset[Value] = frozenset()
) -> str:
    """∂node/∂input `position`, from the formula registered beside the op in the engine, with
    the inputs' and the output's names put in for a, b and out (an input in `numbers`, a
    constant, as its number), and for a number power `**n` the exponent put in for n. Any other
    name (a `b` in a one-input op's formula) is printed as written, and the whole as `printable`
    writes it: a formula is text a user gave."""
    return _written(node.op, *_maths(node, position, view, numbers))


def _written(op: str, template: str | None, symbols: dict[str, Symbol]) -> str:
    """`local_formula`'s text, from `_maths`."""
    if template is None:
        return "?"  # an op made with Value.from_op without formulas: its number is still exact

    def put(match: re.Match[str]) -> str:
        symbol = match[1]
        if symbol == "n" and "n" in symbols:
            return op[2:]  # as the op's name writes it: 2, not 2.0
        each = symbols.get(symbol, symbol)
        return each if isinstance(each, str) else format_factor(each)

    return printable(_SYMBOL.sub(put, template))


_EXACT = 10**15  # counts in messages are exact below this, then a power of ten


def _how_many(count: int) -> str:
    """A count for a message: `1,234` below 10**15, else `about 3.2e5117`, from its logarithm
    (Python refuses to turn an int of more than 4,300 digits into text)."""
    return f"{count:,}" if count < _EXACT else _power_of_ten(math.log10(count))


def _power_of_ten(log10: float) -> str:
    exponent = math.floor(log10)
    mantissa = round(10 ** (log10 - exponent), 1)
    if mantissa >= 10:
        mantissa, exponent = 1.0, exponent + 1
    return f"about {mantissa}e{exponent}"


def _paths_written(view: GraphView, leaf: Value) -> str:
    """How many paths lead from the view's root down to `leaf`, for the message that refuses
    them: exactly below 10**15, else as a power of ten added up in logarithms. (The exact count
    of a deep graph is an int of thousands of digits: slow to add up, too long to print.)"""
    exact: dict[Value, int] = {leaf: 1}  # the counts below _EXACT
    log10: dict[Value, float] = {leaf: 0.0}  # every count, as its logarithm
    for node in view.order:
        on = [each for each in node.inputs if each in log10]
        if node is leaf or not on:
            continue
        top = max(log10[each] for each in on)
        log10[node] = top + math.log10(math.fsum(10 ** (log10[each] - top) for each in on))
        count = sum(exact.get(each, _EXACT) for each in on)
        if count < _EXACT:
            exact[node] = count
    root = view.root
    return f"{exact[root]:,}" if root in exact else _power_of_ten(log10[root])


def explain(
    root: Value,
    leaf: Value,
    *,
    max_paths: int = 64,
    max_factors: int = 100_000,
    view: GraphView | None = None,
    constants: bool = True,
    identity: bool = True,
) -> Explanation:
    """Write out d root / d leaf by the chain rule: every path from `root` down to `leaf`, each
    as the product of its local derivatives (∂node/∂input, symbolic and numeric), summed.

    It reads only the graph and the local derivatives the ops stored in the forward pass; it
    neither needs nor runs `backward()` and changes no grad, so it is an independent check of
    it: after `root.backward()` from a zero leaf grad, `explain(root, leaf).total == leaf.grad`
    (up to rounding).

    What it writes is counted before any of it is written: more than `max_paths` paths to the
    leaf, or more than `max_factors` local derivatives on them in all (64 paths through a chain
    of 100,000 nodes hold 6.4 million, gigabytes of text), is refused with the count and the
    argument to raise. The counting takes time linear in the size of the graph (the counts stop
    at the limits, so they stay small numbers), the writing time linear in `max_factors`.

    `constants=False` writes a constant (an unlabelled leaf, or an unlabelled node made from
    constants alone) in a formula as its number: ∂mse/∂add82 = `1 / 3.0` rather than
    `1 / const0`. `identity=False` leaves out of the text the local derivatives that are 1
    whatever the numbers, the factors of `+` and of `a - y` with respect to `a` (a path through
    the seeds' 3-4-2 network goes from 15 factors to 6), and says how many it left out; every
    product and the total are the same numbers either way. The limits count every factor,
    written or not.
    """
    for name, node in (("root", root), ("leaf", leaf)):
        if not isinstance(node, Value):
            raise TypeError(f"explain: {name} must be a Value, got {type(node).__name__}: {node!r}")
    for name, limit in (("max_paths", max_paths), ("max_factors", max_factors)):
        if type(limit) is not int or limit < 1:
            raise (ValueError if type(limit) is int else TypeError)(
                f"explain: {name} must be a whole number of at least 1, got {limit!r}"
            )
    _check_switches("explain", constants=constants, identity=identity)
    if view is None:
        view = GraphView(root)
    elif not isinstance(view, GraphView):
        raise TypeError(
            f"explain: view must be a GraphView of the root (GraphView(root)), got "
            f"{type(view).__name__}"
        )
    elif view.root is not root:
        raise ValueError("explain: the view is of another root")
    if leaf not in view:
        return Explanation(view.name(root), printable(leaf.label) or "that node", (), identity)
    numbers = frozenset() if constants else _constants(view)
    # How many paths lead from each node down to the leaf, and how many local derivatives they
    # have in all, counted no further than the limits (inputs come first in order): the exact
    # counts of a deep graph are ints of thousands of digits, slow to add up.
    paths: dict[Value, int] = {leaf: 1}
    factors: dict[Value, int] = {leaf: 0}
    for node in view.order:
        on = [each for each in node.inputs if each in paths]
        if node is leaf or not on:
            continue
        paths[node] = min(sum(paths[each] for each in on), max_paths + 1)
        factors[node] = min(sum(factors[each] + paths[each] for each in on), _EXACT)
    where = f"explain({view.name(root)}, {view.name(leaf)})"
    if paths[root] > max_paths:
        raise ValueError(
            f"{where}: {_paths_written(view, leaf)} paths lead from {view.name(root)} to "
            f"{view.name(leaf)}, more than max_paths={_how_many(max_paths)}; explain a node "
            "closer to the root, or raise max_paths"
        )
    if factors[root] > max_factors:
        many = "more than 10**15" if factors[root] == _EXACT else _how_many(factors[root])
        count, hold = (f"{paths[root]:,} paths", "hold") if paths[root] > 1 else ("1 path", "holds")
        raise ValueError(
            f"{where}: the {count} from {view.name(root)} to {view.name(leaf)} {hold} {many} "
            f"local derivatives in all, more than max_factors={_how_many(max_factors)}: too long "
            "a text to write and to read; explain from a node nearer the leaf, or raise "
            "max_factors"
        )
    found: list[ChainPath] = []
    stack: list[tuple[Value, _Link | None]] = [(root, None)]
    while stack:  # depth first, first input first, without recursion
        node, link = stack.pop()
        if node is leaf:
            found.append(ChainPath(link))
            continue
        edges = list(enumerate(zip(node.inputs, node.local_grads, strict=True)))
        for position, (each, local) in reversed(edges):
            if each in paths:
                template, symbols = _maths(node, position, view, numbers)
                factor = Factor(
                    view.name(node),
                    view.name(each),
                    _written(node.op, template, symbols),
                    local,
                    _passes_through(node.op, position, local),
                    template,
                    tuple(symbols.items()),
                )
                product = local if link is None else link.product * local
                if product != product:  # inf x 0: the derivative along this path is undefined
                    raise ArithmeticError(
                        f"explain({view.name(root)}, {view.name(leaf)}): along the path through "
                        f"{factor.node}, the product {link.product if link else 1.0!r} x "
                        f"{local!r} is not a number (an overflow met a zero local derivative); "
                        "backward() refuses this graph too"
                    )
                stack.append((each, _Link(factor, link, product)))
    return Explanation(view.name(root), view.name(leaf), tuple(found), identity)
