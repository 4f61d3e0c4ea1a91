"""Draw a computational graph: one box per Value (name, data, grad), one small node per op.

The picture reads like the seeds' cause-and-effect tree: inputs, weights and biases on the
left, the cost on the right, each op between the nodes it combines. After `backward()` every
box also shows its gradient, dC/dnode. Names, ids, roles and numbers come from `view.GraphView`,
so the picture, the printed steps and the page agree on what `mul4` is.

Rendering uses the `dot` executable when it is on the PATH and otherwise the Graphviz library
bundled in pygraphviz's wheels (the `render` extra), so a fresh machine needs no system package.
This module is the one place that runs either: `render_bytes` for one picture, `render_svgs`
and `render_many` for many drawings at once (the network view's neurons, an animation's frames),
and the one place that runs any other program: `encode_video` hands frames to ffmpeg.

Two layouts: "wide" (the default) is one box per node in one long row of cells, as Graphviz lays
it out; "slide" fits a 16:9 slide 1920 px wide with its text at its natural size, legible: the
cells stacked in each box, tighter spacing, networks built by `nn` drawn top to bottom, and a
long chain wrapped into bands, one under the other (`wrapped`). A drawing part-way through a
backward pass (`PassState`, draw_dot's `steps=`) shows only the gradients the pass has reached.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from micrograd_like._io import atomic_write_bytes, check_writable, redirected_fd
from micrograd_like.engine import Parameter, Value
from micrograd_like.floats import format_number
from micrograd_like.nn import Position
from micrograd_like.steps import BackwardStep
from micrograd_like.view import GraphView, count_nodes, printable

if TYPE_CHECKING:
    import graphviz

RENDER_FORMATS = ("svg", "png", "pdf")
SUFFIX_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
RANKDIRS = ("LR", "TB", "RL", "BT")
LAYOUTS = ("wide", "slide")

# The slide layout's target: a 16:9 slide 1920 px wide (1440 points: Graphviz measures in points,
# 72 to the inch, and a browser or a slide shows 96 px to the inch). Drawn at its natural size,
# a box's 11-point text is 14.7 px high there, as legible as a web page's small print.
SLIDE_PX = (1920, 1080)
PX_PER_POINT = 96 / 72
MAX_BANDS = 8  # a chain wrapped into more bands than this is too long for one slide anyway
BAND_GAP = 36.0  # points between the bands of a wrapped chain

# The fill colour of each role (see view.py); highlighted nodes and edges get a thick red outline.
ROLE_FILLS = {
    "input": "#dbeafe",  # blue: a labelled leaf, an input or a target
    "constant": "#f3f4f6",  # grey, dashed: a number lifted into the graph
    "parameter": "#fde68a",  # yellow: a weight or a bias, what training changes
    "intermediate": "#ffffff",
    "root": "#fecaca",  # red: the node drawn from, usually the cost
}
ROLE_WORDS = {
    "input": "input (a labelled leaf)",
    "constant": "constant (a number in the expression)",
    "parameter": "parameter (weight or bias)",
    "intermediate": "intermediate (made by an op)",
    "root": "root (usually the cost)",
}
OP_FILL = "#e5e7eb"
QUIET = "#6b7280"  # the names of unlabelled nodes: there to be found, not to be read first
HIGHLIGHT = "#dc2626"
HIGHLIGHT_OP = {"color": HIGHLIGHT, "penwidth": "3"}
HIGHLIGHT_EDGE = {"color": HIGHLIGHT, "penwidth": "2.5"}
# A gradient part-way through a pass, in the page's colours (page/page.css, .partial and .final),
# so that a drawing, an animation's frames and the page tell them apart the same way.
PARTIAL = "#b45309"  # italic: some node that uses this one has not passed its share back yet
FINAL = "#047857"  # bold: every node that uses this one has passed its share back

# What a box can hold. Graphviz refuses an HTML label past 16,384 characters, and a number
# format of width 100000000 writes 100 MB per number: names and op names longer than
# MAX_DRAWN_NAME are drawn shortened in the middle (the text and the page keep them whole), and
# a number_format may ask for a width and a precision of at most MAX_NUMBER_DIGITS.
MAX_DRAWN_NAME = 60  # characters
MAX_NUMBER_DIGITS = 40  # the width, and the digits after the point, of number_format

NO_RENDERER = (
    "cannot render the graph: no Graphviz found. Either install Graphviz so that `dot` is on "
    "the PATH (apt install graphviz, brew install graphviz, winget install graphviz), or install "
    "pygraphviz, whose wheels bundle Graphviz: python -m pip install pygraphviz"
)


class GraphTooLarge(ValueError):
    """The graph has more nodes than `max_nodes`: laying it out would take minutes."""


class RendererNotFound(RuntimeError):
    """Neither the `dot` executable nor pygraphviz is available."""


class MissingGraphviz(ModuleNotFoundError):
    """The Python package `graphviz`, which builds drawings, is not installed in this Python."""


def graph_class() -> type[graphviz.Digraph]:
    """`Graph`, made the first time a drawing is: the package `graphviz` is imported only
    then, so `import micrograd_like` (the engine, steps, the page) needs the standard library
    alone."""
    global _graph
    if _graph is None:
        try:
            import graphviz
        except ImportError:
            raise MissingGraphviz(
                f"drawing a graph needs the Python package graphviz, which {sys.executable} "
                "lacks: in the repository, run `make demo` once and use .venv/bin/python (or "
                ".venv/bin/micrograd-like), or run: python -m pip install graphviz"
            ) from None

        class Graph(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no type hints
            """A `graphviz.Digraph` that Jupyter displays inline as SVG, rendered by
            `render_bytes` (so it works without a system Graphviz too)."""

            def _repr_mimebundle_(
                self,
                include: Iterable[str] | None = None,
                exclude: Iterable[str] | None = None,
                **_: Any,
            ) -> dict[str, str | bytes]:
                wanted = set(include) if include is not None else {"image/svg+xml"}
                wanted -= set(exclude or ())
                bundle: dict[str, str | bytes] = {}
                if "image/svg+xml" in wanted:
                    bundle["image/svg+xml"] = render_bytes(self, "svg").decode("utf-8")
                if "image/png" in wanted:
                    bundle["image/png"] = render_bytes(self, "png")
                return bundle

        Graph.__module__, Graph.__qualname__ = __name__, "Graph"
        _graph = Graph
    return _graph


_graph: type[graphviz.Digraph] | None = None


def label_text(text: str) -> str:
    """Text for an HTML-like Graphviz label that shows exactly `text` and can inject nothing.

    Graphviz reads these labels twice: as XML (so & < > " ' become entities) and then for its
    own backslash escapes (\\N is the node name, \\\\ one backslash), so a backslash is doubled.
    Unprintable characters are shown as Python escapes (`view.printable`); a newline starts a
    new line.
    """
    lines = []
    for line in text.split("\n"):
        lines.append(html.escape(printable(line).replace("\\", "\\\\"), quote=True))
    return "<BR/>".join(lines)


def shorten(name: str, limit: int = MAX_DRAWN_NAME) -> str:
    """`name` as a drawing shows it: whole up to `limit` characters, else its beginning and its
    end around an ellipsis (`L1.N2.w1` stays; a 20,000-character label becomes its first 30 and
    last 29 characters), so that a box stays readable and Graphviz can lay it out."""
    if len(name) <= limit:
        return name
    head = limit // 2
    return f"{name[:head]}…{name[len(name) - (limit - head - 1) :]}"


@dataclass(frozen=True)
class PassState:
    """How far a backward pass has got, for a drawing taken part-way through it.

    `grads`: the gradient each node the pass has reached holds so far (d root / d node from the
    shares received; every other node's gradient cell is blank, not "grad 0.0"). `final`: the
    reached nodes whose gradient is complete, every node that uses them having passed its share
    back (bold green, as on the page; the others italic amber). `current`: the node whose
    chain-rule step this is, outlined with its op and the edge out of it; `edges`: the
    (input, node) edges its shares went back along. `values`: for the forward pass part-way,
    the nodes whose value is known (None: all). `widths`: the characters to keep for a node's
    (data, grad) cells, so that a series of drawings (an animation's frames) keeps every box
    the same size as numbers appear.
    """

    grads: Mapping[Value, float] = field(default_factory=lambda: MappingProxyType({}))
    final: frozenset[Value] = frozenset()
    current: Value | None = None
    edges: frozenset[tuple[Value, Value]] = frozenset()
    values: frozenset[Value] | None = None
    widths: Mapping[Value, tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))


def users_of(view: GraphView) -> dict[Value, set[Value]]:
    """The nodes that take each node as an input (a node used twice by one op counts once)."""
    users: dict[Value, set[Value]] = {node: set() for node in view.order}
    for node in view.order:
        for each in node.inputs:
            users[each].add(node)
    return users


def pass_state(
    view: GraphView, steps: Iterable[BackwardStep], *, caller: str = "draw_dot"
) -> PassState:
    """The state of the backward pass of `view`'s root after `steps`, the steps taken so far
    (`backward_steps(root)`'s records, in order). A node's gradient is known once the pass has
    reached it (its own step, or a share from a node that uses it) and final once every node
    that uses it has taken its step: by the chain rule, dC/dv is one share from each user, and
    the pass steps every user of v before v (the page colours it by the same rule)."""
    records = _tuple_of(steps, "steps", caller)
    grads: dict[Value, float] = {}
    stepped: set[Value] = set()
    for record in records:
        if not isinstance(record, BackwardStep):
            raise TypeError(
                f"{caller}: steps must hold the records backward_steps() yields, got "
                f"{type(record).__name__}: {record!r}"
            )
        if record.node not in view:
            raise ValueError(
                f"{caller}: steps has a step of {record.name}, which is not in the graph of "
                f"{view.name(view.root)}: give the steps of backward_steps({view.name(view.root)})"
            )
        grads[record.node] = record.upstream
        stepped.add(record.node)
        for share in record.shares:
            grads[share.input] = share.this_pass
    users = users_of(view)
    final = frozenset(node for node in grads if users[node] <= stepped)
    if not records:
        return PassState(MappingProxyType(grads), final)
    last = records[-1]
    edges = frozenset((share.input, last.node) for share in last.shares)
    return PassState(MappingProxyType(grads), final, last.node, edges)


@dataclass(frozen=True)
class DrawOptions:
    """The options of `draw_dot`, checked when made, before any work on the graph.

    `caller` names the public function in error messages (`draw_dot`, `save_backprop_html`).
    `rankdir` None is "LR", or for the slide layout its own choice (see `draw_view`).
    """

    format: str = "svg"
    rankdir: str | None = None
    show_grad: bool = True
    number_format: str | None = None
    highlight_nodes: tuple[Value, ...] = ()
    highlight_edges: tuple[tuple[Value, Value], ...] = ()
    max_nodes: int = 500
    legend: bool = False
    caller: str = "draw_dot"
    layout: str = "wide"
    show_local: bool = False
    state: PassState | None = None

    def __post_init__(self) -> None:
        where = self.caller
        if self.format not in (*RENDER_FORMATS, "dot"):
            formats = ", ".join((*RENDER_FORMATS, "dot"))
            raise ValueError(f"{where}: format must be one of {formats}, got {self.format!r}")
        if self.rankdir is not None and self.rankdir not in RANKDIRS:
            raise ValueError(
                f"{where}: rankdir must be one of {', '.join(RANKDIRS)}, got {self.rankdir!r}"
            )
        if self.layout not in LAYOUTS:
            raise ValueError(
                f"{where}: layout must be one of {', '.join(map(repr, LAYOUTS))}, got "
                f"{self.layout!r}"
            )
        if self.state is not None and not isinstance(self.state, PassState):
            raise TypeError(f"{where}: state must be a PassState, got {type(self.state).__name__}")
        for flag in ("show_grad", "legend", "show_local"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(
                    f"{where}: {flag} must be True or False, got {getattr(self, flag)!r}"
                )
        if self.number_format is not None:
            _check_number_format(self.number_format, where)
        if type(self.max_nodes) is not int or self.max_nodes < 1:
            raise (ValueError if type(self.max_nodes) is int else TypeError)(
                f"{where}: max_nodes must be a whole number of at least 1, got "
                f"{self.max_nodes!r}; the limit keeps a huge graph from hanging the layout"
            )
        nodes = _tuple_of(self.highlight_nodes, "highlight_nodes", where)
        for node in nodes:
            if not isinstance(node, Value):
                raise TypeError(
                    f"{where}: highlight_nodes must hold Values, got {type(node).__name__}: "
                    f"{node!r}"
                )
        edges = _tuple_of(self.highlight_edges, "highlight_edges", where)
        for edge in edges:
            if (
                not isinstance(edge, tuple)
                or len(edge) != 2
                or not all(isinstance(end, Value) for end in edge)
            ):
                raise TypeError(
                    f"{where}: highlight_edges must hold (input, output) pairs of Values, "
                    f"got {edge!r}"
                )
        object.__setattr__(self, "highlight_nodes", nodes)
        object.__setattr__(self, "highlight_edges", edges)

    def number(self, x: float) -> str:
        return format_number(x) if self.number_format is None else f"{x:{self.number_format}}"


# A float's format: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_FLOAT_FORMAT = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d*))?[eEfFgGn%]?", re.S
)


def _check_number_format(number_format: object, where: str) -> None:
    """A float format such as '.4f', whose width and precision are at most MAX_NUMBER_DIGITS:
    checked by reading it, before any number is formatted with it."""
    if not isinstance(number_format, str):
        raise TypeError(
            f"{where}: number_format must be a str such as '.4f' (or None), got "
            f"{type(number_format).__name__}"
        )
    shape = _FLOAT_FORMAT.fullmatch(number_format) if len(number_format) <= 20 else None
    if shape is None:
        shown = repr(number_format) if len(number_format) <= 40 else f"{number_format[:40]!r}..."
        raise ValueError(
            f"{where}: number_format {shown} is not a float format such as '.4f' (or None for "
            "the short format of the text)"
        )
    for part in ("width", "precision"):
        digits = shape[part]
        if digits and int(digits) > MAX_NUMBER_DIGITS:
            raise ValueError(
                f"{where}: number_format {number_format!r} asks for a {part} of {int(digits):,} "
                f"characters; the width and the precision may be at most {MAX_NUMBER_DIGITS} (a "
                "number that long would take minutes to draw), e.g. '.4f' or '>12.6g'"
            )
    try:
        f"{0.5:{number_format}}"
    except (ValueError, TypeError):
        raise ValueError(
            f"{where}: number_format {number_format!r} is not a float format such as '.4f' "
            "(or None for the short format of the text)"
        ) from None


def _tuple_of(items: object, name: str, where: str) -> tuple[Any, ...]:
    """`items` as a tuple, or a TypeError naming the argument if it is not a collection."""
    if isinstance(items, (str, bytes, Value)) or not isinstance(items, Iterable):
        raise TypeError(f"{where}: {name} must be a list or a set, got {items!r}")
    return tuple(items)


def check_size(root: Value, options: DrawOptions) -> None:
    """Refuse a graph of more than `max_nodes` nodes before any layout, saying how big it is.

    The count stops at 10 x max_nodes nodes, so even a huge graph fails in a moment, and the
    advice never switches the guard off: it names the exact size when it is known, else ten
    times the limit (a guard that still counts, and still refuses anything bigger).
    """
    if not isinstance(root, Value):
        raise TypeError(
            f"{options.caller}: root must be a Value, got {type(root).__name__}: {root!r}"
        )
    limit = options.max_nodes
    count = count_nodes(root, 10 * limit)
    if count > limit:
        known = count <= 10 * limit
        size = f"{count:,}" if known else f"more than {10 * limit:,}"
        raise GraphTooLarge(
            f"{options.caller}: the graph has {size} nodes, more than max_nodes={limit}: too "
            "many to lay out and read; draw a smaller part of it, or raise the limit with "
            f"{options.caller}(..., max_nodes={count if known else 10 * limit})"
        )


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str | None = None,
    *,
    show_grad: bool = True,
    number_format: str | None = None,
    highlight_nodes: Iterable[Value] = (),
    highlight_edges: Iterable[tuple[Value, Value]] = (),
    max_nodes: int = 500,
    legend: bool = False,
    focus: Value | None = None,
    layout: str = "wide",
    show_local: bool = False,
    steps: Iterable[BackwardStep] | None = None,
) -> graphviz.Digraph:
    """The graph that produced `root` as a Graphviz digraph, inputs before the ops that use them.

    Each Value is a box `name | data | grad`: the name is the label, or for an unlabelled node
    (in grey italics) the name the text uses, op word and index (`mul4`), so a line printed by
    `backward_steps()` or `explain()` can be found in the picture. The op that made a node is a
    small grey ellipse with one edge per input (`a * a` has two edges from `a`); the inputs of
    `-`, `/` and `**` are marked `a`, `b` and `base`, `exp`. Colours tell the roles apart (see
    `view.ROLES`): blue inputs, dashed grey constants, yellow parameters, red the root;
    `legend=True` adds a key. `show_grad=False` draws the forward pass only; numbers are written
    as the text writes them unless `number_format` (`".4f"`) says otherwise. `highlight_nodes`
    (Values, each with the op that made it) and `highlight_edges` ((input, output) pairs: the edge
    from the input into the output's op) are drawn in red. `rankdir` is "LR" (inputs on the left)
    unless given ("TB", "RL", "BT"), or for the slide layout its own choice.

    `layout="slide"` fits a 16:9 slide 1920 px wide with the text at its natural size: each
    box's cells stacked, tighter spacing, a network built by `nn` drawn top to bottom, and a
    graph still wider than the slide (a long chain) wrapped into bands one under the other,
    cut where its natural layout is widest (Graphviz lays the graph out once to measure it, so
    this layout runs Graphviz; the others only build the DOT text). `show_local=True` writes
    each op's local derivative on the edge from each input, `∂mul4/∂W = 1.5`.

    `steps=` draws the graph part-way through a backward pass: give the steps of
    `backward_steps(root)` taken so far, and a node's gradient shows only once the pass has
    reached it (blank before), in italic amber while partial, bold green once final (every
    node that uses it has passed its share back), as on the page; the last step's node, its op
    and the edges its shares went back along are outlined in red. The numbers are those of the
    steps, whatever the grads hold now.

    Ids in the SVG are the view's: box `n4`, its op `n4_op`, the edges into the op `n4_in0`,
    `n4_in1`, the edge out of it `n4_out`. The DOT text is the same on every run for the same
    graph. Every argument is checked first; a graph of more than `max_nodes` Values raises
    `GraphTooLarge` before any layout work.

    `focus=node` draws only the paths from `root` down to `node`: the nodes that depend on it
    (the drawing's counterpart of `explain(root, node)`), so one weight of a large network can
    be followed; `max_nodes` then counts the nodes drawn.
    """
    options = DrawOptions(
        format,
        rankdir,
        show_grad,
        number_format,
        highlight_nodes,  # type: ignore[arg-type]  # made a tuple by DrawOptions
        highlight_edges,  # type: ignore[arg-type]
        max_nodes,
        legend,
        layout=layout,
        show_local=show_local,
    )
    if focus is not None and not isinstance(focus, Value):
        raise TypeError(f"draw_dot: focus must be a Value, got {type(focus).__name__}: {focus!r}")
    if focus is None:
        check_size(root, options)
    view = GraphView(root)
    if steps is not None:
        options = replace(options, state=pass_state(view, steps))
    if focus is None:
        return draw_view(view, options)
    if focus not in view:
        raise ValueError(f"draw_dot: focus {focus!r} is not in the graph of {view.name(root)}")
    on_path = {focus}
    for node in view.order:  # inputs come first: a node depends on focus if an input does
        if any(each in on_path for each in node.inputs):
            on_path.add(node)
    if len(on_path) > options.max_nodes:
        raise GraphTooLarge(
            f"draw_dot: {len(on_path):,} nodes lie on the paths from {view.name(root)} to "
            f"{view.name(focus)}, more than max_nodes={options.max_nodes}; focus on a node "
            f"closer to the root, or raise the limit with draw_dot(..., max_nodes={len(on_path)})"
        )
    return draw_view(view, options, nodes=on_path)


def draw_view(
    view: GraphView, options: DrawOptions, nodes: Collection[Value] | None = None
) -> graphviz.Digraph:
    """`draw_dot` for a graph already seen through a `GraphView` (the page draws its own).

    `nodes`: draw only these (with the view's ids and names); a node's op is drawn when one of
    its inputs is, with the edges from the inputs drawn, so a part of a graph reads as a whole.
    The slide layout may wrap the drawing into bands (`wrapped`); the others return the plan
    as it is.
    """
    drawing = plan(view, options, nodes)
    if options.layout == "slide" and drawing.rankdir == "LR":
        return wrapped(drawing, SLIDE_PX[0] / PX_PER_POINT)
    return drawing.graph()


@dataclass
class Drawing:
    """A drawing before layout: its Graphviz nodes and edges, each with its attributes.

    `graph()` makes the Graphviz digraph, of the whole or of a part (`keep`), laid out by `dot`
    or, given `positions` (points, y up, as Graphviz writes them), with every node pinned
    there and the edges routed between them (neato's router, run by `dot` through the graph's
    `layout` attribute): a drawing laid out once keeps its nodes where they are in every copy,
    whatever changes in its boxes, so a wrapped chain's bands and an animation's frames hold
    still.
    """

    format: str
    rankdir: str
    graph_attr: dict[str, str]
    # in the order Graphviz is given them (it breaks ties by that order): a node is
    # (name, "", attributes), an edge (tail, head, attributes), its head "n4_op:in1" at a port
    items: list[tuple[str, str, dict[str, str]]]
    owner: dict[str, str]  # node -> the value box it belongs with: an op goes with its output

    def node(self, name: str, attributes: dict[str, str], owner: str) -> None:
        self.items.append((name, "", attributes))
        self.owner[name] = owner

    def edge(self, tail: str, head: str, attributes: dict[str, str]) -> None:
        self.items.append((tail, head, attributes))

    def graph(
        self,
        positions: Mapping[str, tuple[float, float]] | None = None,
        keep: Collection[str] | None = None,
        graph_attr: Mapping[str, str] | None = None,
        extra: Sequence[tuple[str, dict[str, str]]] = (),
    ) -> graphviz.Digraph:
        """The Graphviz digraph: of the nodes in `keep` (all by default) and the edges between
        them, pinned at `positions` when given, with `extra` nodes (name, attributes) after."""
        attributes: dict[str, str] = {}
        if positions is not None:
            # pinned in points (inputscale 72); overlap=true: nothing moves, nothing is checked
            attributes.update(layout="neato", inputscale="72", overlap="true", splines="true")
        attributes.update(self.graph_attr)
        attributes.update(graph_attr or {})
        graph = graph_class()(
            format=self.format,
            graph_attr=attributes,
            node_attr={"fontname": "Helvetica", "fontsize": "11"},
            edge_attr={"arrowsize": "0.7", "fontname": "Helvetica", "fontsize": "9"},
        )
        for tail, head, item in self.items:
            if head:
                if keep is None or (tail in keep and head.split(":")[0] in keep):
                    graph.edge(tail, head, **item)
            elif keep is None or tail in keep:
                if positions is not None:
                    x, y = positions[tail]
                    item = {**item, "pos": f"{x:.2f},{y:.2f}!"}
                graph.node(tail, **item)
        for name, item in extra:
            graph.node(name, **item)
        return graph


def plan(view: GraphView, options: DrawOptions, nodes: Collection[Value] | None = None) -> Drawing:
    """The nodes and edges `draw_view` draws, before any layout."""
    drawn = set(view.order) if nodes is None else set(nodes)
    where = options.caller
    marked_nodes = set(options.highlight_nodes)
    for node in marked_nodes:
        if node not in view:
            raise ValueError(f"{where}: highlight_nodes has {node!r}, which is not in the graph")
    marked_edges: set[tuple[Value, Value]] = set()
    for source, target in options.highlight_edges:
        if target not in view or not any(source is node for node in target.inputs):
            raise ValueError(
                f"{where}: highlight_edges has ({source!r}, {target!r}), "
                "but the first is not an input of the second in this graph"
            )
        marked_edges.add((source, target))
    state, slide = options.state, options.layout == "slide"
    if state is not None:  # the current step is outlined as the highlights are
        marked_edges |= state.edges
    rankdir = options.rankdir or ("TB" if slide and _is_network(view) else "LR")
    graph_attr = {"rankdir": rankdir}
    if slide:  # about half Graphviz's default spacing: the boxes, not the gaps, fill the slide
        graph_attr.update(nodesep="0.15", ranksep="0.25")
    drawing = Drawing(
        options.format if options.format in RENDER_FORMATS else "svg", rankdir, graph_attr, [], {}
    )
    for node in view.order:
        if node not in drawn:
            continue
        name, role = view.id(node), view.role(node)
        current = state is not None and node is state.current
        marked = node in marked_nodes or current
        table = _box(view, node, options, marked)
        box = {"label": f"<{table}>", "id": name, "shape": "plain", "class": f"value {role}"}
        drawing.node(name, box, name)
        if node.op and any(each in drawn for each in node.inputs):
            op_name = f"{name}_op"
            operands = view.operand_names(node)
            shape: dict[str, str] = {"shape": "ellipse", "style": "filled", "margin": "0.03"}
            label = label_text(shorten(node.op))
            if operands:  # a - b, a / b, base ** exp: one labelled port per input, in order
                label = _op_with_ports(label, operands, rankdir in ("LR", "RL"))
                shape = {"shape": "plain"}
            op = {"label": f"<{label}>", "id": op_name, "fillcolor": OP_FILL, **shape}
            drawing.node(op_name, {**op, "class": "op", **(HIGHLIGHT_OP if marked else {})}, name)
            for position, source in enumerate(node.inputs):
                if source not in drawn:
                    continue
                attributes = {"id": f"{name}_in{position}", "class": "input"}
                if (source, node) in marked_edges:
                    attributes.update(HIGHLIGHT_EDGE)
                if options.show_local:  # ∂node/∂input, the op's own, stored in the forward pass
                    local = f"∂{view.name(node)}/∂{view.name(source)}"
                    number = options.number(node.local_grads[position])
                    attributes["label"] = f"<{label_text(shorten(local))} = {label_text(number)}>"
                head = f"{op_name}:in{position}" if operands else op_name
                drawing.edge(view.id(source), head, attributes)
            out = {"id": f"{name}_out", "class": "output"}
            drawing.edge(op_name, name, {**out, **(HIGHLIGHT_EDGE if current else {})})
    if options.legend:
        key = legend_table(view.roles(), passing=state is not None)
        drawing.node("legend", {"label": f"<{key}>", "id": "legend", "shape": "plain"}, "legend")
    return drawing


def _is_network(view: GraphView) -> bool:
    """Whether `nn` built the graph: a parameter in it knows its place in a network."""
    return any(
        isinstance(node, Parameter) and isinstance(getattr(node, "position", None), Position)
        for node in view.order
    )


def _box(view: GraphView, node: Value, options: DrawOptions, marked: bool) -> str:
    """A value's box: its name, data and grad, as one row of cells (stacked for a slide).

    Part-way through a pass (`options.state`) the numbers are in a monospaced font and padded
    to the widths the state keeps, so a box stays the same size whether its cells are blank,
    partial (italic) or final (bold); and every box has room for the red outline of the
    current step, so outlining one moves nothing.
    """
    state, role = options.state, view.role(node)
    title = label_text(shorten(view.name(node)))
    if not node.label:
        title = f'<FONT COLOR="{QUIET}"><I>{title}</I></FONT>'
    cells = [title]
    if state is None:
        cells.append(label_text(f"data {options.number(node.data)}"))
        if options.show_grad:
            cells.append(label_text(f"grad {options.number(node.grad)}"))
    else:
        data_width, grad_width = state.widths.get(node, (0, 0))
        known = state.values is None or node in state.values
        data = f"data {options.number(node.data)}" if known else ""
        cells.append(_fixed(data, data_width))
        if options.show_grad:
            grad = state.grads.get(node)
            text = "" if grad is None else f"grad {options.number(grad)}"
            cell = _fixed(text, grad_width)
            if grad is not None:
                final = node in state.final
                colour, style = (FINAL, "B") if final else (PARTIAL, "I")
                cell = f'<{style}><FONT COLOR="{colour}">{cell}</FONT></{style}>'
            cells.append(cell)
    style = ' STYLE="dashed"' if role == "constant" else ""  # a number, not an input
    fill = f' BGCOLOR="{ROLE_FILLS[role]}"'
    border = f' BORDER="3" COLOR="{HIGHLIGHT}"' if marked else ' BORDER="0"'
    if state is not None:
        # every box has room for the outline (unseen but for the current step's), the fill
        # and the black lines in its cells, so that outlining a box moves and colours nothing
        colour = HIGHLIGHT if marked else "transparent"
        border, style, fill = f' BORDER="3" COLOR="{colour}"', f'{style} COLOR="black"{fill}', ""
    join = "</TR><TR>" if options.layout == "slide" else ""
    row = join.join(f"<TD{style}>{cell}</TD>" for cell in cells)
    return (
        f'<TABLE{border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4"{fill}>'
        f"<TR>{row}</TR></TABLE>"
    )


def _fixed(text: str, width: int) -> str:
    """`text` in a monospaced font, padded with no-break spaces to `width` characters (at least
    one: Graphviz gives an empty cell no height)."""
    padding = "&#160;" * max(width - len(text), 0 if text else 1)
    return f'<FONT FACE="monospace">{label_text(text)}{padding}</FONT>'


def wrapped(drawing: Drawing, width: float) -> graphviz.Digraph:
    """`drawing` (laid out left to right) within `width` points: as it is when its natural
    layout fits, else cut into as few bands as fit (`bands`), one under the other. Bands
    rather than a taller graph: the chain keeps reading left to right, line after line, as
    text does."""
    natural = layouts([drawing.graph()])[0]
    if natural.width <= width:
        return drawing.graph()
    count = min(math.ceil(natural.width / width), MAX_BANDS)
    laid = bands(drawing, natural, count)
    while laid.width > width and count < MAX_BANDS:
        count += 1
        laid = bands(drawing, natural, count)
    return drawing.graph(laid.positions)


def bands(drawing: Drawing, natural: Layout, count: int) -> Layout:
    """`drawing` cut into `count` bands, each laid out by `dot` on its own (one run for them
    all), placed one under the other, the first on top, left-aligned, the edges between bands
    left to be routed across (`Drawing.graph` with the positions).

    The cuts fall where the natural layout (`natural`) is widest: a node goes to band
    floor(x * count / W) by its box's x in the natural layout, W points wide; an op goes with
    its box, so a box is never cut from the op that makes it.
    """
    cut: list[set[str]] = [set() for _ in range(count)]
    for name, box in drawing.owner.items():
        x = natural.positions.get(box, (natural.left + natural.width, 0.0))[0] - natural.left
        cut[min(int(x * count / natural.width), count - 1)].add(name)
    laid = layouts([drawing.graph(keep=band) for band in cut if band])
    positions: dict[str, tuple[float, float]] = {}
    top = 0.0
    for band in laid:  # Graphviz's y grows upwards: each band goes under the one before
        for name, (x, y) in band.positions.items():
            positions[name] = (x - band.left, top - (band.top - y))
        top -= band.height + BAND_GAP
    height = -top - BAND_GAP
    return Layout(positions, 0.0, -height, max(band.width for band in laid), height)


@dataclass(frozen=True)
class Layout:
    """Where Graphviz put a drawing's nodes: their centres, in points (y up), and its box."""

    positions: dict[str, tuple[float, float]]
    left: float
    bottom: float
    width: float
    height: float

    @property
    def top(self) -> float:
        return self.bottom + self.height


def layouts(graphs: Sequence[graphviz.Digraph]) -> list[Layout]:
    """Each graph laid out (one run of Graphviz for them all), its nodes' positions read back."""
    found = []
    for data in render_many(graphs, "json"):
        laid = json.loads(data)
        left, bottom, right, top = (float(each) for each in laid["bb"].split(","))
        positions = {}
        for each in laid.get("objects", []):
            if "pos" in each:
                x, y = each["pos"].split(",")
                positions[each["name"]] = (float(x), float(y))
        found.append(Layout(positions, left, bottom, right - left, top - bottom))
    return found


def _op_with_ports(symbol: str, operands: tuple[str, ...], across: bool) -> str:
    """An op whose inputs do not commute, as a small table: the op symbol beside one cell per
    input, named (`a`, `b`), each a port its edge ends at. `across`: the graph runs left to
    right, so the input cells are stacked; otherwise they sit side by side."""
    cells = [
        f'<TD PORT="in{i}"><FONT POINT-SIZE="9">{word}</FONT></TD>'
        for i, word in enumerate(operands)
    ]
    table = (
        '<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" STYLE="rounded" '
        f'BGCOLOR="{OP_FILL}">'
    )
    if across:
        rows = f'<TR>{cells[0]}<TD ROWSPAN="{len(cells)}">{symbol}</TD></TR>'
        rows += "".join(f"<TR>{cell}</TR>" for cell in cells[1:])
    else:
        rows = f'<TR>{"".join(cells)}</TR><TR><TD COLSPAN="{len(cells)}">{symbol}</TD></TR>'
    return f"{table}{rows}</TABLE>"


PASS_WORDS = {
    "partial": "partial gradient: a node that uses this one has not passed its share back yet",
    "final": "final gradient: every node that uses this one has passed its share back",
    "current": "this step: the node, its op and the edges its shares go back along",
}


def pass_swatches() -> dict[str, str]:
    """What the key shows for each of `PASS_WORDS`, as HTML-like Graphviz cells' contents."""
    return {
        "partial": f'<I><FONT COLOR="{PARTIAL}" FACE="monospace">grad 0.1</FONT></I>',
        "final": f'<B><FONT COLOR="{FINAL}" FACE="monospace">grad 0.1</FONT></B>',
        "current": f'<FONT COLOR="{HIGHLIGHT}"><B>▭</B></FONT>',
    }


def legend_table(roles: Iterable[str], *, passing: bool = False) -> str:
    """The key to the colours, as an HTML-like Graphviz table: one row per role, then ops, and
    for a drawing part-way through a pass (`passing`) the partial and final gradients and the
    current step."""
    rows = []
    for role in roles:
        dashed = ' STYLE="dashed"' if role == "constant" else ""
        rows.append(
            f'<TR><TD BGCOLOR="{ROLE_FILLS[role]}"{dashed}>    </TD>'
            f'<TD ALIGN="LEFT">{label_text(ROLE_WORDS[role])}</TD></TR>'
        )
    rows.append(f'<TR><TD BGCOLOR="{OP_FILL}">    </TD><TD ALIGN="LEFT">op</TD></TR>')
    if passing:
        for kind, swatch in pass_swatches().items():
            rows.append(
                f'<TR><TD>{swatch}</TD><TD ALIGN="LEFT">{label_text(PASS_WORDS[kind])}</TD></TR>'
            )
    return (
        '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="2" CELLPADDING="4">'
        f'<TR><TD COLSPAN="2"><B>key</B></TD></TR>{"".join(rows)}</TABLE>'
    )


def render_bytes(graph: graphviz.Digraph, format: str) -> bytes:
    """The laid-out picture as bytes (`svg`, `png` or `pdf`); `dot` gives the DOT text itself.

    Uses the `dot` executable when it is on the PATH, else pygraphviz's bundled Graphviz.
    """
    if format == "dot":
        return str(graph.source).encode("utf-8")
    if format not in RENDER_FORMATS:
        raise ValueError(
            f"render_bytes: format must be one of {', '.join(RENDER_FORMATS)} or dot, "
            f"got {format!r}"
        )
    return _render(graph, format)


def _render(graph: graphviz.Digraph, format: str) -> bytes:
    """`graph` in one of `RENDER_FORMATS`, or `json` (the layout itself: every node's position).
    A graph whose `layout` attribute names another engine (neato, for pinned nodes) is laid out
    by it: `dot` reads the attribute itself, pygraphviz is told."""
    source = str(graph.source)
    run = _run_dot(source, format)
    if run is not None:
        if run.returncode != 0:
            message = run.stderr.decode(errors="replace").strip().replace("\n", " ")
            raise RuntimeError(f"render_bytes: {run.args[0]} failed: {message}")
        return run.stdout
    try:
        import pygraphviz
    except ImportError:
        raise RendererNotFound(NO_RENDERER) from None
    engine = graph.graph_attr.get("layout", "dot")
    # The bundled Fontconfig writes its complaints about the machine's font configuration
    # ("Fontconfig error: Cannot load default config file") straight to file descriptor 2,
    # which a terminal or a notebook shows; the picture is fine. Catch the C library's stderr
    # for the duration of the draw and pass on everything but those lines.
    with _FD2_LOCK, tempfile.TemporaryFile() as caught:
        sys.stderr.flush()
        with redirected_fd(2, caught.fileno()):  # a Ctrl-C leaves fd 2 where it was
            picture = bytes(pygraphviz.AGraph(string=source).draw(format=format, prog=engine))
        caught.seek(0)
        said = caught.read().decode(errors="replace").splitlines()
    kept = [line for line in said if not line.startswith("Fontconfig ")]
    if kept:
        print("\n".join(kept), file=sys.stderr)
    return picture


_FD2_LOCK = threading.Lock()  # one draw at a time borrows file descriptor 2


def render_svgs(graphs: Sequence[graphviz.Digraph]) -> list[str]:
    """Each graph laid out as SVG text, in order, each from its `<svg` tag on (no XML
    prologue, ready to put inside a page). See `render_many`."""
    pictures = render_many(graphs, "svg")
    return [_svg_element(picture.decode("utf-8")).rstrip() for picture in pictures]


def render_many(graphs: Sequence[graphviz.Digraph], format: str) -> list[bytes]:
    """Each graph rendered in `format` (svg, png, pdf, or json for the layout), in order.

    With the `dot` executable all of them go through one run of it (dot lays out every graph
    of its input in turn, and writes each picture after the other): a process per drawing
    would cost more than the layouts of many small ones, as the network view's one drawing
    per neuron or an animation's frames. Without `dot`, or should that one run fail, each
    graph is drawn by itself, and an error says what went wrong.
    """
    if format not in (*RENDER_FORMATS, "json"):
        raise ValueError(
            f"render_many: format must be one of {', '.join(RENDER_FORMATS)} or json, "
            f"got {format!r}"
        )
    if not graphs:
        return []
    run = _run_dot("\n".join(str(graph.source) for graph in graphs), format)
    if run is not None and run.returncode == 0:
        pictures = _split(run.stdout, format)
        if len(pictures) == len(graphs):
            return pictures
    return [_render(graph, format) for graph in graphs]


_PDF_END = re.compile(rb"(?<=%%EOF\n)(?=%PDF-)")  # where one PDF ends and the next begins


def _split(output: bytes, format: str) -> list[bytes]:
    """The pictures `dot` wrote one after the other, each whole (an empty list if the output
    cannot be cut into whole pictures: the caller then draws them one by one)."""
    if format == "svg":  # dot escapes every "<" of a label, so "</svg>" only ever ends one
        return [part.lstrip() + b"</svg>\n" for part in output.split(b"</svg>")[:-1]]
    if format == "json":
        text, decoder, found, at = output.decode("utf-8"), json.JSONDecoder(), [], 0
        while text[at:].strip():
            at += len(text[at:]) - len(text[at:].lstrip())
            try:
                _, end = decoder.raw_decode(text, at)
            except json.JSONDecodeError:
                return []
            found.append(text[at:end].encode("utf-8"))
            at = end
        return found
    if format == "png":  # chunk by chunk (length, type, data, CRC) to each one's IEND
        signature, found, at = b"\x89PNG\r\n\x1a\n", [], 0
        while at < len(output):
            if not output.startswith(signature, at):
                return []
            end = at + len(signature)
            kind = b""
            while kind != b"IEND":
                if end + 8 > len(output):
                    return []
                length, kind = struct.unpack(">I4s", output[end : end + 8])
                end += 12 + length
            found.append(output[at:end])
            at = end
        return found
    return [part for part in _PDF_END.split(output) if part]


def _svg_element(text: str) -> str:
    return text[text.index("<svg") :]


def _run_dot(source: str, format: str) -> subprocess.CompletedProcess[bytes] | None:
    """`dot -T<format>` on the DOT text `source`, or None when no `dot` is on the PATH: with
    `encode_video`'s ffmpeg, the one place the package runs a program."""
    executable = shutil.which("dot")
    if executable is None:
        return None
    return subprocess.run([executable, f"-T{format}"], input=source.encode(), capture_output=True)


class FfmpegNotFound(RuntimeError):
    """No ffmpeg to encode a video with."""


NO_FFMPEG = (
    "writing a .mp4 needs ffmpeg, which this machine lacks: install it so that `ffmpeg` is on "
    "the PATH (apt install ffmpeg, brew install ffmpeg, winget install ffmpeg), or install "
    "imageio-ffmpeg, whose wheels bundle one: python -m pip install imageio-ffmpeg. A .gif, "
    "a .pdf or a folder of frames needs neither"
)


def find_ffmpeg() -> str:
    """The ffmpeg program to run: the one on the PATH, else imageio-ffmpeg's own."""
    found = shutil.which("ffmpeg")
    if found is not None:
        return found
    try:
        import imageio_ffmpeg  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise FfmpegNotFound(NO_FFMPEG) from None
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def encode_video(frames: Sequence[bytes], frames_per_second: float, ffmpeg: str) -> bytes:
    """PNG `frames`, shown `frames_per_second` each second, as an H.264 .mp4 (the video every
    player and slide program plays) made by `ffmpeg`; the bytes of the file.

    The frames go in through a pipe; ffmpeg writes the video into a private temporary folder
    (an .mp4 is finished by seeking back to its start, which a pipe cannot do), and it is read
    back from there. The output runs at 25 frames a second, each frame repeated as long as it
    is shown, which players keep to better than a rate of one frame a second or slower.
    """
    rate = Fraction(frames_per_second).limit_denominator(1000)
    with tempfile.TemporaryDirectory(prefix="micrograd-like-video-") as folder:
        video = Path(folder) / "frames.mp4"
        command = [
            ffmpeg,
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "image2pipe",
            "-framerate",
            f"{rate.numerator}/{rate.denominator}",
            "-c:v",
            "png",
            "-i",
            "-",
            "-c:v",
            "libx264",
            "-tune",
            "stillimage",  # a slide: sharp text, nothing moving between steps
            "-pix_fmt",
            "yuv420p",  # what players expect of H.264
            "-r",
            "25",
            "-movflags",
            "+faststart",  # the index first: it plays while it downloads
            str(video),
        ]
        run = subprocess.run(command, input=b"".join(frames), capture_output=True)
        if run.returncode != 0 or not video.is_file():
            message = run.stderr.decode(errors="replace").strip().replace("\n", " ")
            raise RuntimeError(f"encode_video: {ffmpeg} failed: {message or 'no video written'}")
        return video.read_bytes()


def save_graph(root: Value, path: str | os.PathLike[str], **draw_dot_options: Any) -> Path:
    """Draw the graph of `root` and write it to `path` atomically; the suffix picks the format
    (.svg .png .pdf, or .dot for the DOT text). Returns the path. The path (as the writer,
    `_io.check_writable`, checks it) and the options are checked before any drawing."""
    target = check_writable(path, caller="save_graph")
    file_format = SUFFIX_FORMATS.get(target.suffix.lower())
    if file_format is None:
        raise ValueError(
            f"save_graph: cannot tell the format of {target.name!r}; "
            f"use one of the suffixes {', '.join(SUFFIX_FORMATS)}"
        )
    graph = draw_dot(root, **draw_dot_options)
    return atomic_write_bytes(target, render_bytes(graph, file_format))
