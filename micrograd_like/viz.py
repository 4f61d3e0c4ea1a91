"""Draw a computational graph: one box per Value (label, data, grad), one small node per op.

The picture reads like the seeds' cause-and-effect tree: inputs, weights and biases on the
left, the cost on the right, each op between the nodes it combines. After `backward()` every
box also shows its gradient, d cost / d node.

Rendering uses the `dot` executable when it is on the PATH and otherwise the Graphviz library
bundled in pygraphviz's wheels (the `render` extra), so a fresh machine needs no system package.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz

from micrograd_like._io import atomic_write_bytes
from micrograd_like.engine import Value
from micrograd_like.nn import Parameter

RENDER_FORMATS = ("svg", "png", "pdf")
SUFFIX_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
RANKDIRS = ("LR", "TB", "RL", "BT")
COUNT_LIMIT = 100_000  # past this many nodes the size error stops counting

# Fill colours that tell the roles apart; highlighted nodes and edges get a thick red outline.
INPUT_FILL = "#dbeafe"  # a leaf: an input, a target or a constant
PARAMETER_FILL = "#fde68a"  # a weight or a bias (nn.Parameter): what training changes
OUTPUT_FILL = "#fecaca"  # the root: usually the cost
INTERMEDIATE_FILL = "#ffffff"
OP_FILL = "#e5e7eb"
HIGHLIGHT = "#dc2626"
HIGHLIGHT_OP = {"color": HIGHLIGHT, "penwidth": "3"}
HIGHLIGHT_EDGE = {"color": HIGHLIGHT, "penwidth": "2.5"}

NO_RENDERER = (
    "cannot render the graph: no Graphviz found. Either install Graphviz so that `dot` is on "
    "the PATH (apt install graphviz, brew install graphviz, winget install graphviz), or install "
    "pygraphviz, whose wheels bundle Graphviz: python -m pip install pygraphviz"
)


class GraphTooLarge(ValueError):
    """The graph has more nodes than `max_nodes`: laying it out would take minutes."""


class RendererNotFound(RuntimeError):
    """Neither the `dot` executable nor pygraphviz is available."""


class Graph(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no type hints
    """A `graphviz.Digraph` that Jupyter displays inline as SVG, rendered by `render_bytes`
    (so it works without a system Graphviz too)."""

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


def _escape(text: str) -> str:
    """Text for an HTML-like Graphviz label that shows exactly `text` and can inject nothing.

    Graphviz reads these labels twice: as XML (so & < > " ' become entities) and then for its
    own backslash escapes (\\N is the node name, \\\\ one backslash), so a backslash is doubled.
    Unprintable characters are shown as Python escapes; a newline starts a new line.
    """
    lines = []
    for line in text.split("\n"):
        visible = "".join(
            ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in line
        )
        lines.append(html.escape(visible.replace("\\", "\\\\"), quote=True))
    return "<BR/>".join(lines)


def _check_size(root: Value, max_nodes: int) -> None:
    """Refuse a graph of more than max_nodes nodes, saying how big it is, before any layout.

    The count itself stops at COUNT_LIMIT nodes, so even a huge graph fails in a fraction of
    a second.
    """
    seen = {root}
    stack = [root]
    while stack and len(seen) <= COUNT_LIMIT:
        for node in stack.pop().inputs:
            if node not in seen:
                seen.add(node)
                stack.append(node)
    if len(seen) > max_nodes:
        size = f"{len(seen):,}" if not stack else f"more than {COUNT_LIMIT:,}"
        raise GraphTooLarge(
            f"draw_dot: the graph has {size} nodes, more than max_nodes={max_nodes}: too many to "
            "lay out and read; draw a smaller part of it, or raise the limit with "
            f"draw_dot(..., max_nodes={max(len(seen), max_nodes * 10)})"
        )


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    show_grad: bool = True,
    number_format: str = ".4f",
    highlight_nodes: Iterable[Value] = (),
    highlight_edges: Iterable[tuple[Value, Value]] = (),
    max_nodes: int = 500,
) -> Graph:
    """The graph that produced `root` as a Graphviz digraph, inputs before the ops that use them.

    Each Value is a box `label | data | grad` with id `v{i}`, i its index in
    `root.topological_order()`; the op that made it is a small node `v{i}_op`, with one edge
    per input (so `a * a` shows two edges from `a`). Colours: blue leaves (inputs), yellow
    parameters (weights and biases), red the output, grey ops. `show_grad=False` draws the
    forward pass only. `highlight_nodes` (Values, each with the op that made it) and
    `highlight_edges` ((input, output) pairs: the edge from the input into the output's op) are
    drawn in red. The DOT text is the same on every run for the same graph.

    Raises `GraphTooLarge` past `max_nodes` Values, before any layout work.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    try:
        f"{0.5:{number_format}}"
    except ValueError:
        raise ValueError(
            f"draw_dot: number_format {number_format!r} is not a float format such as '.4f'"
        ) from None
    _check_size(root, max_nodes)
    order = root.topological_order()
    index = {node: i for i, node in enumerate(order)}
    marked_nodes = set(highlight_nodes)
    for node in marked_nodes:
        if node not in index:
            raise ValueError(f"draw_dot: highlight_nodes has {node!r}, which is not in the graph")
    marked_edges: set[tuple[int, int]] = set()
    for source, target in highlight_edges:
        if target not in index or not any(source is node for node in target.inputs):
            raise ValueError(
                f"draw_dot: highlight_edges has ({source!r}, {target!r}), "
                "but the first is not an input of the second in this graph"
            )
        marked_edges.add((index[source], index[target]))

    graph = Graph(
        format=format,
        graph_attr={"rankdir": rankdir},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.7"},
    )
    for i, node in enumerate(order):
        name = f"v{i}"
        marked = node in marked_nodes
        cells = [f"data {node.data:{number_format}}"]
        if show_grad:
            cells.append(f"grad {node.grad:{number_format}}")
        if node.label:
            cells.insert(0, node.label)
        row = "".join(f"<TD>{_escape(cell)}</TD>" for cell in cells)
        border = f' BORDER="3" COLOR="{HIGHLIGHT}"' if marked else ' BORDER="0"'
        fill = _fill(node, root)
        table = (
            f'<TABLE{border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="{fill}">'
            f"<TR>{row}</TR></TABLE>"
        )
        graph.node(name, f"<{table}>", id=name, shape="plain")
        if node.op:
            op_name = f"{name}_op"
            graph.node(
                op_name,
                f"<{_escape(node.op)}>",
                id=op_name,
                shape="ellipse",
                style="filled",
                fillcolor=OP_FILL,
                margin="0.03",
                **(HIGHLIGHT_OP if marked else {}),
            )
            for source in node.inputs:
                j = index[source]
                graph.edge(f"v{j}", op_name, **(HIGHLIGHT_EDGE if (j, i) in marked_edges else {}))
            graph.edge(op_name, name)
    return graph


def _fill(node: Value, root: Value) -> str:
    """The colour of a node's role: the output, a parameter, an input, or a step between."""
    if node is root:
        return OUTPUT_FILL
    if isinstance(node, Parameter):
        return PARAMETER_FILL
    return INTERMEDIATE_FILL if node.op else INPUT_FILL


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
    executable = shutil.which("dot")
    if executable is not None:
        run = subprocess.run(
            [executable, f"-T{format}"], input=source.encode(), capture_output=True
        )
        if run.returncode != 0:
            message = run.stderr.decode(errors="replace").strip().replace("\n", " ")
            raise RuntimeError(f"render_bytes: {executable} failed: {message}")
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
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all: nothing to keep clean
            return bytes(pygraphviz.AGraph(string=source).draw(format=format, prog="dot"))
        os.dup2(caught.fileno(), 2)
        try:
            picture = bytes(pygraphviz.AGraph(string=source).draw(format=format, prog="dot"))
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        caught.seek(0)
        said = caught.read().decode(errors="replace").splitlines()
    kept = [line for line in said if not line.startswith("Fontconfig ")]
    if kept:
        print("\n".join(kept), file=sys.stderr)
    return picture


_FD2_LOCK = threading.Lock()  # one draw at a time borrows file descriptor 2


def save_graph(root: Value, path: str | Path, **draw_dot_options: Any) -> Path:
    """Draw the graph of `root` and write it to `path` atomically; the suffix picks the format
    (.svg .png .pdf, or .dot for the DOT text). Returns the path."""
    target = Path(path)
    file_format = SUFFIX_FORMATS.get(target.suffix.lower())
    if file_format is None:
        raise ValueError(
            f"save_graph: cannot tell the format of {target.name!r}; "
            f"use one of the suffixes {', '.join(SUFFIX_FORMATS)}"
        )
    graph = draw_dot(root, **draw_dot_options)
    return atomic_write_bytes(target, render_bytes(graph, file_format))
