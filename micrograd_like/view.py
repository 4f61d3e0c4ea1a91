"""The graph as readers see it: one `GraphView` per root, computed once.

Drawings, the backward steps, `explain()`, the page, the command line and the anomaly messages all
need the same few things about a graph: the order of its nodes, an id for each, a name a learner
can find in the picture and in the text, what part each node plays, and how its numbers are
written. They all take them from here; nobody works them out again.

- **order**: `root.topological_order()`, inputs before the nodes that use them, the root last.
- **id**: `n{i}`, `i` the node's index in that order (`n4`); stable for the same graph.
- **name**: the node's label, else its op word and index (`mul4` is the unlabelled `W * a_prev`
  at index 4, `const3` an unlabelled number). The drawings print it in every box. A name is
  safe to print: a character a terminal would act on (an escape sequence, a bidi override) is
  written as its Python escape (`printable`), so a label cannot recolour, move or hide text.
- **role**: `root` (the node the view was made for, usually the cost); `parameter` (an
  `Parameter`: a weight or a bias, what training changes); `input` (a labelled leaf: an input
  or a target); `constant` (an unlabelled leaf: a number lifted into the graph, as the 2 in
  `2 * x`; label a leaf to make it an input); `intermediate` (every other node made by an op).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TextIO

from micrograd_like.engine import Parameter, Value, entry
from micrograd_like.floats import format_number as format_number  # readers' one formatter

ROLES = ("input", "constant", "parameter", "intermediate", "root")


def op_word(op: str) -> str:
    """The word for an op in node names, from the registry of ops: `mul` for `*`, `pow` for
    `**2`, `tanh` for tanh; `leaf` for ""."""
    return entry(op).word if op else "leaf"


def printable(text: str) -> str:
    """`text` with every character that `str.isprintable` refuses written as its Python escape
    (`\\x1b`, `\\u202e`, `\\n`): control characters, terminal escape sequences, bidi overrides,
    line separators and other invisible characters. Every printable character, ASCII or not
    (`W₁`, `ΔW`, `重み`), and a backslash stay as they are. Readers print names through it."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def count_nodes(root: Value, limit: int) -> int:
    """How many nodes `root` depends on (itself included), counting no further than `limit + 1`,
    so that refusing a huge graph takes no longer than drawing the largest accepted one."""
    seen = {root}
    stack = [root]
    while stack and len(seen) <= limit:
        for node in stack.pop().inputs:
            if node not in seen:
                seen.add(node)
                stack.append(node)
    return min(len(seen), limit + 1)


@dataclass(frozen=True)
class Notation:
    """How derivatives are written: `partial` for an op's local derivative (∂mul4/∂W), `d` for
    the root's gradient (dC/dW), `times` for a product."""

    partial: str
    times: str

    def local(self, node: str, of: str) -> str:
        """∂node/∂of: the op's local derivative, stored by the op in the forward pass."""
        return f"{self.partial}{node}/{self.partial}{of}"

    @staticmethod
    def grad(root: str, of: str) -> str:
        """d root / d of: the root's gradient with respect to a node."""
        return f"d{root}/d{of}"


UNICODE = Notation("∂", "×")
ASCII = Notation("partial ", "*")


def notation_for(stream: TextIO | None = None) -> Notation:
    """`UNICODE` if `stream` (default: sys.stdout) can encode ∂ and ×, else `ASCII`, so that
    printing a chain-rule line never fails on a console or a pipe limited to latin-1 or ASCII."""
    stream = sys.stdout if stream is None else stream
    encoding = getattr(stream, "encoding", None)
    if encoding is None:  # a text buffer (io.StringIO, doctest): it holds any character
        return UNICODE
    try:
        "∂×".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return ASCII
    return UNICODE


class GraphView:
    """Everything a reader needs to know about the graph behind `root`, worked out once.

    It reads the graph and never changes it (no `data`, no `grad`). Nodes made after the view
    are not in it: make a new view for a new graph.
    """

    def __init__(self, root: Value) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"GraphView: root must be a Value, got {type(root).__name__}: {root!r}")
        self.root = root
        self.order: tuple[Value, ...] = tuple(root.topological_order())
        self._index = {node: i for i, node in enumerate(self.order)}
        self._names: dict[Value, str] = {}

    def __len__(self) -> int:
        return len(self.order)

    def __contains__(self, node: object) -> bool:
        return node in self._index

    def index(self, node: Value) -> int:
        """The node's position in `order`; `ValueError` if it is not in the graph."""
        try:
            return self._index[node]
        except KeyError:
            raise ValueError(f"{node!r} is not in the graph of {self.name(self.root)}") from None

    def id(self, node: Value) -> str:
        """The node's id in drawings and on the page: `n` and its index."""
        return f"n{self.index(node)}"

    def name(self, node: Value) -> str:
        """The node's label, else its op word and index: `mul4`, `const3`; as `printable`
        writes it, so that printing it cannot send a terminal an escape sequence."""
        if node.label:
            return printable(node.label)
        name = self._names.get(node)
        if name is None:
            word = "const" if self.role(node) == "constant" else op_word(node.op)
            name = self._names[node] = printable(f"{word}{self.index(node)}")
        return name

    def role(self, node: Value) -> str:
        """One of `ROLES`; see the module docstring for what each means."""
        if node is self.root:
            return "root"
        if isinstance(node, Parameter):
            return "parameter"
        if node.op:
            return "intermediate"
        return "input" if node.label else "constant"

    def roles(self) -> list[str]:
        """The roles present in this graph, in the order of `ROLES`."""
        present = {self.role(node) for node in self.order}
        return [role for role in ROLES if role in present]

    def operand_names(self, node: Value) -> tuple[str, ...]:
        """What each input of `node` is called in drawings where the inputs do not commute
        (`a` and `b` of `a - b`, `base` and `exp` of `base ** exp`); () where order is free."""
        names = entry(node.op).operands if node.op else ()
        return names if len(names) == len(node.inputs) else ()

    def leaves(self) -> list[Value]:
        """The nodes made by no op, in order."""
        return [node for node in self.order if not node.op]
