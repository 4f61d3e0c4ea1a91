"""Draw a computational graph: one box per Value (name, data, grad), one small node per op.

The picture reads like the seeds' cause-and-effect tree: inputs, weights and biases on the
left, the cost on the right, each op between the nodes it combines. After `backward()` every
box also shows its gradient, dC/dnode. Names, ids, roles and numbers come from `view.GraphView`,
so the picture, the printed steps and the page agree on what `mul4` is.

Rendering uses the `dot` executable when it is on the PATH and otherwise the Graphviz library
bundled in pygraphviz's wheels (the `render` extra), so a fresh machine needs no system package.
This module is the one place that runs either: `render_bytes` for one picture, `render_svgs`
for many drawings at once (the network view's neurons).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from micrograd_like._io import atomic_write_bytes, check_writable, redirected_fd
from micrograd_like.engine import Value
from micrograd_like.floats import format_number
from micrograd_like.view import GraphView, count_nodes, printable

if TYPE_CHECKING:
    import graphviz

RENDER_FORMATS = ("svg", "png", "pdf")
SUFFIX_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
RANKDIRS = ("LR", "TB", "RL", "BT")

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


def _escape(text: str) -> str:
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
class DrawOptions:
    """The options of `draw_dot`, checked when made, before any work on the graph.

    `caller` names the public function in error messages (`draw_dot`, `save_backprop_html`).
    """

    format: str = "svg"
    rankdir: str = "LR"
    show_grad: bool = True
    number_format: str | None = None
    highlight_nodes: tuple[Value, ...] = ()
    highlight_edges: tuple[tuple[Value, Value], ...] = ()
    max_nodes: int = 500
    legend: bool = False
    caller: str = "draw_dot"

    def __post_init__(self) -> None:
        where = self.caller
        if self.format not in (*RENDER_FORMATS, "dot"):
            formats = ", ".join((*RENDER_FORMATS, "dot"))
            raise ValueError(f"{where}: format must be one of {formats}, got {self.format!r}")
        if self.rankdir not in RANKDIRS:
            raise ValueError(
                f"{where}: rankdir must be one of {', '.join(RANKDIRS)}, got {self.rankdir!r}"
            )
        for flag in ("show_grad", "legend"):
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
    rankdir: str = "LR",
    *,
    show_grad: bool = True,
    number_format: str | None = None,
    highlight_nodes: Iterable[Value] = (),
    highlight_edges: Iterable[tuple[Value, Value]] = (),
    max_nodes: int = 500,
    legend: bool = False,
    focus: Value | None = None,
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
    from the input into the output's op) are drawn in red.

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
    )
    if focus is None:
        check_size(root, options)
        return draw_view(GraphView(root), options)
    if not isinstance(focus, Value):
        raise TypeError(f"draw_dot: focus must be a Value, got {type(focus).__name__}: {focus!r}")
    view = GraphView(root)
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
    """
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

    graph = graph_class()(
        format=options.format if options.format in RENDER_FORMATS else "svg",
        graph_attr={"rankdir": options.rankdir},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.7", "fontname": "Helvetica", "fontsize": "9"},
    )
    for node in view.order:
        if node not in drawn:
            continue
        name, role = view.id(node), view.role(node)
        marked = node in marked_nodes
        title = _escape(shorten(view.name(node)))
        if not node.label:
            title = f'<FONT COLOR="{QUIET}"><I>{title}</I></FONT>'
        cells = [title, _escape(f"data {options.number(node.data)}")]
        if options.show_grad:
            cells.append(_escape(f"grad {options.number(node.grad)}"))
        style = ' STYLE="dashed"' if role == "constant" else ""  # a number, not an input
        row = "".join(f"<TD{style}>{cell}</TD>" for cell in cells)
        border = f' BORDER="3" COLOR="{HIGHLIGHT}"' if marked else ' BORDER="0"'
        table = (
            f'<TABLE{border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
            f'BGCOLOR="{ROLE_FILLS[role]}"><TR>{row}</TR></TABLE>'
        )
        graph.node(name, f"<{table}>", id=name, shape="plain", **{"class": f"value {role}"})
        if node.op and any(each in drawn for each in node.inputs):
            op_name = f"{name}_op"
            operands = view.operand_names(node)
            shape: dict[str, str] = {"shape": "ellipse", "style": "filled", "margin": "0.03"}
            label = _escape(shorten(node.op))
            if operands:  # a - b, a / b, base ** exp: one labelled port per input, in order
                label = _op_with_ports(label, operands, options.rankdir in ("LR", "RL"))
                shape = {"shape": "plain"}
            graph.node(
                op_name,
                f"<{label}>",
                id=op_name,
                fillcolor=OP_FILL,
                **shape,
                **{"class": "op"},
                **(HIGHLIGHT_OP if marked else {}),
            )
            for position, source in enumerate(node.inputs):
                if source not in drawn:
                    continue
                attributes = {"id": f"{name}_in{position}", "class": "input"}
                if (source, node) in marked_edges:
                    attributes.update(HIGHLIGHT_EDGE)
                head = f"{op_name}:in{position}" if operands else op_name
                graph.edge(view.id(source), head, **attributes)
            graph.edge(op_name, name, id=f"{name}_out", **{"class": "output"})
    if options.legend:
        graph.node("legend", f"<{legend_table(view.roles())}>", id="legend", shape="plain")
    return graph


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


def legend_table(roles: Iterable[str]) -> str:
    """The key to the colours, as an HTML-like Graphviz table: one row per role, then ops."""
    rows = []
    for role in roles:
        dashed = ' STYLE="dashed"' if role == "constant" else ""
        rows.append(
            f'<TR><TD BGCOLOR="{ROLE_FILLS[role]}"{dashed}>    </TD>'
            f'<TD ALIGN="LEFT">{_escape(ROLE_WORDS[role])}</TD></TR>'
        )
    rows.append(f'<TR><TD BGCOLOR="{OP_FILL}">    </TD><TD ALIGN="LEFT">op</TD></TR>')
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
    # The bundled Fontconfig writes its complaints about the machine's font configuration
    # ("Fontconfig error: Cannot load default config file") straight to file descriptor 2,
    # which a terminal or a notebook shows; the picture is fine. Catch the C library's stderr
    # for the duration of the draw and pass on everything but those lines.
    with _FD2_LOCK, tempfile.TemporaryFile() as caught:
        sys.stderr.flush()
        with redirected_fd(2, caught.fileno()):  # a Ctrl-C leaves fd 2 where it was
            picture = bytes(pygraphviz.AGraph(string=source).draw(format=format, prog="dot"))
        caught.seek(0)
        said = caught.read().decode(errors="replace").splitlines()
    kept = [line for line in said if not line.startswith("Fontconfig ")]
    if kept:
        print("\n".join(kept), file=sys.stderr)
    return picture


_FD2_LOCK = threading.Lock()  # one draw at a time borrows file descriptor 2


def render_svgs(graphs: Sequence[graphviz.Digraph]) -> list[str]:
    """Each graph laid out as SVG text, in order, each from its `<svg` tag on (no XML
    prologue, ready to put inside a page).

    With the `dot` executable all of them go through one run of it (dot lays out every graph
    of its input in turn): a process per drawing would cost more than the layouts of many
    small ones, as the network view's one drawing per neuron. Without `dot`, or should that
    one run fail, each graph is drawn by `render_bytes`, which says what went wrong.
    """
    if not graphs:
        return []
    run = _run_dot("\n".join(str(graph.source) for graph in graphs), "svg")
    if run is not None and run.returncode == 0:
        # dot escapes every "<" of a label, so "</svg>" only ever ends a picture
        pictures = run.stdout.decode("utf-8").split("</svg>")[:-1]
        if len(pictures) == len(graphs):
            return [_svg_element(picture + "</svg>") for picture in pictures]
    return [_svg_element(render_bytes(graph, "svg").decode("utf-8")) for graph in graphs]


def _svg_element(text: str) -> str:
    return text[text.index("<svg") :]


def _run_dot(source: str, format: str) -> subprocess.CompletedProcess[bytes] | None:
    """`dot -T<format>` on the DOT text `source`, or None when no `dot` is on the PATH: the
    one place the package runs a program."""
    executable = shutil.which("dot")
    if executable is None:
        return None
    return subprocess.run([executable, f"-T{format}"], input=source.encode(), capture_output=True)


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
