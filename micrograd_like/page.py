"""The backward pass as an interactive page: one self-contained HTML file (inline SVG, CSS and
script; nothing fetched from the network) that steps through the chain rule node by node.

The front-end lives in `micrograd_like/page/` as ordinary files (page.html, page.css, page.js)
read with importlib.resources. `page.js` has one entry point, `mountBackprop(el, data)`, which
renders everything inside one element from the plain dict `backprop_data()` returns: the
standalone page here and the notebook widget both use it.
"""

from __future__ import annotations

import html
import json
import os
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from micrograd_like._io import atomic_write_text
from micrograd_like.engine import Value
from micrograd_like.network import NETWORK_MAX_NODES, find_network, network_data
from micrograd_like.steps import backward_steps
from micrograd_like.view import GraphView, count_nodes, format_number
from micrograd_like.viz import (
    OP_FILL,
    ROLE_FILLS,
    ROLE_WORDS,
    DrawOptions,
    GraphTooLarge,
    check_size,
    draw_view,
    render_bytes,
)


def asset(name: str) -> str:
    """The text of one of the page's files: `page.html`, `page.css` or `page.js`."""
    return resources.files("micrograd_like").joinpath("page").joinpath(name).read_text("utf-8")


def script() -> str:
    """The page's whole script: page.js and the network view (network.js) it opens on for nn
    networks. The notebook widget loads the same text."""
    return asset("page.js") + "\n" + asset("network.js")


def style() -> str:
    """The page's whole stylesheet: page.css and network.css."""
    return asset("page.css") + "\n" + asset("network.css")


def backprop_data(
    root: Value,
    *,
    rankdir: str = "LR",
    number_format: str | None = None,
    max_nodes: int = 500,
) -> dict[str, Any]:
    """Everything the stepper shows, as a plain JSON-able dict: the drawing (`svg`, the forward
    pass: values only), the `nodes` (id, name, op, role, data), the `steps` of one backward
    pass (the node, its gradient, each input's share and the chain-rule text), the `legend` and
    a `note` saying where the gradients come from.

    The gradients are those of one fresh backward pass, leaf grads started at 0, whatever the
    graph held before. It reads the graph and leaves it as it was: every node's grad is saved
    first and put back afterwards, exactly, even if something fails on the way. The drawing
    options (`rankdir`, `number_format`, `max_nodes`) are draw_dot's, and are all checked
    before any work.
    """
    return _collect(root, _options("backprop_data", rankdir, number_format, max_nodes))


def _options(caller: str, rankdir: str, number_format: str | None, max_nodes: int) -> DrawOptions:
    """The page's drawing: the forward pass (the page writes the gradients in as it steps)."""
    return DrawOptions(
        "svg",
        rankdir,
        show_grad=False,
        number_format=number_format,
        max_nodes=max_nodes,
        caller=caller,
    )


def _collect(root: Value, options: DrawOptions) -> dict[str, Any]:
    try:
        check_size(root, options)
        too_large = None
    except GraphTooLarge as error:  # refused, unless it is a network: the network view shows it
        if count_nodes(root, NETWORK_MAX_NODES) > NETWORK_MAX_NODES:
            raise
        too_large = error
    view = GraphView(root)
    network = find_network(view)
    if too_large is not None and network is None:
        raise too_large
    svg = None if too_large else render_bytes(draw_view(view, options), "svg").decode("utf-8")
    saved = [node.grad for node in view.order]
    try:
        for leaf in view.leaves():
            leaf.grad = 0.0  # a fresh pass: no gradient left over from an earlier backward()
        steps = [
            {
                "node": view.id(step.node),
                "name": step.name,
                "op": step.node.op,
                "upstream": format_number(step.upstream),
                "shares": [
                    {
                        "input": view.id(share.input),
                        "edge": f"{view.id(step.node)}_in{position}",
                        "grad": format_number(share.this_pass),
                    }
                    for position, share in enumerate(step.shares)
                ],
                "text": step.text(),
            }
            for step in backward_steps(root, view=view)
        ]
        # read while the grads are this pass's: each neuron's delta is its z's grad
        network_view = None if network is None else network_data(view, network, options)
    finally:
        for node, grad in zip(view.order, saved, strict=True):
            node.grad = grad
    nodes = [
        {
            "id": view.id(node),
            "name": view.name(node),
            "labelled": bool(node.label),
            "op": node.op,
            "role": view.role(node),
            "data": format_number(node.data),
        }
        for node in view.order
    ]
    root_name = view.name(root)
    legend = {
        "roles": [
            {"role": role, "words": ROLE_WORDS[role], "fill": ROLE_FILLS[role]}
            | ({"dashed": True} if role == "constant" else {})
            for role in view.roles()
        ],
        "op_fill": OP_FILL,
    }
    note = (
        f"The gradients shown are those of one fresh backward pass of {root_name}, every leaf "
        "gradient starting at 0; the grads your program holds were left as they were."
    )
    return {
        "root": root_name,
        "svg": None if svg is None else svg[svg.index("<svg") :],
        "too_large": None if too_large is None else str(too_large),
        "network": network_view,
        "nodes": nodes,
        "steps": steps,
        "legend": legend,
        "note": note,
    }


def save_backprop_html(
    root: Value,
    path: str | os.PathLike[str],
    *,
    title: str = "Backpropagation, step by step",
    rankdir: str = "LR",
    number_format: str | None = None,
    max_nodes: int = 500,
) -> Path:
    """Write a page that replays the backward pass of `root` and return its path.

    The page opens on the forward pass (every node's value, no gradients yet); Next / Previous,
    the arrow keys, Home / End and Play then walk the backward pass one node at a time: the
    current node and the edges to its inputs are outlined, gradients appear as they are computed
    (italic while partial, bold once final) in the graph and in the table, and the step's
    chain-rule lines are shown under the graph. A key explains the colours.

    A network built with `nn` (parameters labelled `L1.N1.w1`, ...) opens on its network view
    instead (micrograd_like.network): layers of neurons, stepped one neuron at a time with the
    seeds' delta formulas; the scalar graph is a second tab, drawn while it has at most
    `max_nodes` nodes and otherwise replaced by the advice to raise the limit.

    The gradients are those of one fresh backward pass (see `backprop_data`); every grad of the
    graph is left exactly as it was. Every argument is checked before any work: `title` a
    string, `path` a file in an existing folder, the drawing options as `draw_dot`'s. The file is
    written atomically.
    """
    if not isinstance(title, str):
        raise TypeError(
            f"save_backprop_html: title must be a str, got {type(title).__name__}: {title!r}"
        )
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"save_backprop_html: path must be a str or a Path, got {type(path).__name__}: {path!r}"
        )
    options = _options("save_backprop_html", rankdir, number_format, max_nodes)
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise IsADirectoryError(
            f"save_backprop_html: {str(target)!r} is a folder; give a file name such as "
            f"{str(target / 'backprop.html')!r}"
        )
    if not folder.is_dir():
        raise FileNotFoundError(
            f"save_backprop_html: cannot write {str(target)!r}: the folder {str(folder)!r} does "
            "not exist"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(
            f"save_backprop_html: cannot write {str(target)!r}: the folder {str(folder)!r} is not "
            "writable"
        )
    data = _collect(root, options)
    # "<" written as a JSON escape, so no "</script>" in a label can end the data block early
    payload = json.dumps(data).replace("<", "\\u003c")
    page = Template(asset("page.html")).substitute(
        title=html.escape(title), style=style(), script=script(), data=payload
    )
    return atomic_write_text(target, page)
