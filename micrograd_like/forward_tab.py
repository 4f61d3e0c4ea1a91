"""Forward mode beside the backward pass: the data of the page's and the widget's forward tab.

`save_backprop_html(C, path, forward=W)` (and `backprop_data`, `BackpropWidget`) add a tab
that steps through `derivatives.forward_steps(C, W)` on the same drawing: from the inputs up,
each node's tangent d node/dW = Σ ∂node/∂input × d input/dW, written under its box as the
pass reaches it, with the step's chain-rule line. The last step is dC/dW, the number the
backward pass gives W; there the tab compares the two passes: the same number, the same local
derivatives multiplied in the other order (path by path, the backward pass's running products
being the gradients dC/d node and forward mode's the tangents d node/dW), and the count, one
forward pass per input against one backward pass for all.

Everything here is read from the graph (`forward_steps` and `explain` write no grad) and from
the backward data the page has already made (`page._collect`'s steps: where W's gradient is
final, and the lines that give it), so the tab agrees with the other one by construction.

In quiz mode the tab asks nothing, but its last number is a backward gradient, dC/dW: the
page's script holds that number and the comparison back while any question of the backward
pass up to `reached` (the step after which W's gradient is final) is open, and shows `held`
instead (page/forward.js).
"""

from __future__ import annotations

from typing import Any

from micrograd_like.derivatives import forward_steps
from micrograd_like.engine import Value
from micrograd_like.floats import format_factor, format_number
from micrograd_like.network import Numbers
from micrograd_like.steps import ChainPath, explain
from micrograd_like.view import UNICODE, GraphView, printable

# The comparison sets out at most this many paths, with at most this many local derivatives
# in all: what a reader takes in at a glance. Past it, it says so and names explain().
MAX_PATHS = 4
MAX_FACTORS = 120
NAMES_LISTED = 6  # of the graph's inputs, in the count; then "and 25 more"


def checked_wrt(caller: str, root: object, forward: object) -> Value | None:
    """`forward` as the page takes it: None (no forward tab), or a node of `root`'s graph,
    usually an input or a weight. Anything else is refused, naming `caller`: a TypeError for
    what is not a Value, a ValueError for a Value the root does not depend on. Walks the graph
    once; nothing else is done."""
    if forward is None:
        return None
    if not isinstance(root, Value):
        raise TypeError(f"{caller}: root must be a Value, got {type(root).__name__}: {root!r}")
    if not isinstance(forward, Value):
        raise TypeError(
            f"{caller}: forward must be a Value of the graph (the node forward mode "
            f"differentiates by, such as a weight), got {type(forward).__name__}: {forward!r}"
        )
    view = GraphView(root)
    if forward not in view:
        leaves = ", ".join(view.name(node) for node in view.leaves()[:NAMES_LISTED])
        raise ValueError(
            f"{caller}: forward={printable(repr(forward))} is not in the graph of "
            f"{view.name(view.root)}, which does not depend on it: give one of its own nodes, "
            f"such as its inputs {leaves}"
        )
    return forward


def forward_data(
    view: GraphView, wrt: Value, backward: list[dict[str, Any]], number: Numbers
) -> dict[str, Any]:
    """The forward tab's data, JSON-able: forward mode of `view.root` by `wrt`, one node a step,
    and the comparison with the backward pass whose page steps are `backward` (`page._collect`'s
    `steps`, the root's first). Numbers under the boxes are written as the page writes them
    (`number`); the chain-rule lines as `ForwardStep.text()` writes them."""
    root, ids = view.root, {node: view.id(node) for node in view.order}
    title = UNICODE.grad(view.name(root), view.name(wrt))
    steps = forward_steps(root, wrt)
    tangent = format_number(steps[-1].tangent)
    last = steps[-1].text()
    reached = _reached(backward, ids[wrt])
    return {
        "node": ids[wrt],
        "name": view.name(wrt),
        "root": view.name(root),
        "title": title,
        "intro": (
            f"Every node holds its value. Forward mode finds {title} from the inputs up: each "
            f"node's d node/d{view.name(wrt)} = Σ ∂node/∂input × d input/d{view.name(wrt)}, one "
            f"node a step, inputs first, with the same local derivatives ∂node/∂input that the "
            f"backward pass multiplies from {view.name(root)} down. Press Next or the right "
            "arrow to start."
        ),
        "steps": [
            {
                "node": ids[step.node],
                "name": step.name,
                "op": step.node.op,
                "tangent": number(step.tangent),
                "zero": step.tangent == 0,
                "seed": step.node is wrt,
                "text": step.text(),
                "inputs": [ids[each] for each in step.node.inputs] if step.terms else [],
                "edges": [f"{ids[step.node]}_in{k}" for k in range(len(step.terms))],
            }
            for step in steps
        ],
        "reached": reached,
        "held": {
            "text": last[: last.rindex(" = ")] + " = ?" if " = " in last else f"{title} = ?",
            "note": (
                f"{title} is also a gradient of the backward pass, one the quiz asks for: "
                f"answer the backward pass's questions up to its step {reached} (the other "
                "tab), and this step shows its number and compares the two passes."
            ),
        },
        "end": {
            "summary": _summary(title, tangent, last, len(steps), backward, ids[wrt]),
            "paths": _paths(view, wrt),
            "count": _count(view, wrt, title),
        },
    }


def _reached(backward: list[dict[str, Any]], wrt: str) -> int:
    """The backward step (from 1) after which `wrt`'s gradient is final: that of its last user,
    which passes it the last share; the root, which nothing uses, has dC/dC = 1 from step 1.
    (The page's completeAt, page/page.js, reads the steps the same way.)"""
    users = [
        k for k, step in enumerate(backward, 1) if any(s["input"] == wrt for s in step["shares"])
    ]
    return users[-1] if users else 1


def _summary(
    title: str, tangent: str, last: str, count: int, backward: list[dict[str, Any]], wrt: str
) -> list[str]:
    """The two passes' lines that give dC/dW: the backward pass's shares to W (one line per
    node that uses W, at its step) and forward mode's last step."""
    lines = [f"{title} = {tangent} both ways:"]
    for k, step in enumerate(backward, 1):
        head = len(step["lines"]) - len(step["shares"])
        for position, share in enumerate(step["shares"]):
            if share["input"] == wrt:
                lines.append(f"  backward pass, step {k}: {step['lines'][head + position]['text']}")
    if len(lines) == 1:  # W is the root: its own step says dC/dC = 1
        lines.append(f"  backward pass, step 1: {backward[0]['lines'][0]['text']}")
    lines.append(f"  forward mode, step {count}: {last}")
    return lines


def _paths(view: GraphView, wrt: Value) -> dict[str, Any]:
    """The local derivatives of each path from the root down to `wrt`, multiplied both ways: a
    table per path, whose rows are the running products, the backward pass's from the root down
    and forward mode's from `wrt` up. With one path the running products are the gradients
    dC/d node and the tangents d node/dW themselves (every node on the only path has one path to
    the root and one from `wrt`); with several, each path's product is its share of the sum."""
    root, leaf = view.name(view.root), view.name(wrt)
    title = UNICODE.grad(root, leaf)
    try:
        found = explain(
            view.root, wrt, view=view, max_paths=MAX_PATHS, max_factors=MAX_FACTORS
        ).paths
    except ValueError:  # too many or too long to set out: say so
        return {
            "note": (
                f"The paths from {root} down to {leaf} are too many or too long to set out here "
                f"(more than {MAX_PATHS} paths, or more than {MAX_FACTORS} local derivatives "
                f"on them): explain({root}, {leaf}) writes each one, a product of the same local "
                "derivatives that both passes multiply."
            ),
            "tables": [],
        }
    if not found[0].factors:  # forward mode by the root itself: nothing to multiply
        return {"note": f"{title} = 1: {leaf} is the root itself.", "tables": []}
    one = len(found) == 1
    tables = [_path_table(path, root, leaf, one) for path in found]
    if one:
        note = (
            "The same local derivatives, multiplied in the other order: going down, the "
            f"backward pass's running product is d{root}/d node at each node; going up, "
            f"forward mode's is d node/d{leaf}."
        )
    else:
        products = " + ".join(format_factor(path.product) for path in found)
        note = (
            f"{title} is a sum over {len(found)} paths from {root} down to {leaf}, "
            f"{title} = {products}: each path's product of local derivatives, the same numbers "
            "multiplied in the other order (backward sums the paths where they part on the "
            "way down, forward mode where they meet on the way up):"
        )
    for number, table in enumerate(tables, 1):
        table["title"] = "" if one else f"path {number} of {len(found)}"
    return {"note": note, "tables": tables}


def _path_table(path: ChainPath, root: str, leaf: str, one: bool) -> dict[str, Any]:
    """One path: four columns, the factor and the running product of each pass. Row k of the
    backward side multiplies the k-th local derivative from the root; of the forward side, the
    k-th from the leaf."""
    factors = path.factors
    times = UNICODE.times

    def side(order: list[tuple[str, str, float]], start: str) -> list[tuple[str, str]]:
        cells, running = [("start", f"{start} = 1")], 1.0
        for reached, symbol, local in order:
            running *= local
            product = format_number(running)
            cells.append((f"{times} {symbol} = {format_factor(local)}", f"{reached} = {product}"))
        return cells

    down = [(f.input, UNICODE.local(f.node, f.input), f.local) for f in factors]
    up = [(f.node, UNICODE.local(f.node, f.input), f.local) for f in reversed(factors)]
    backward = side(
        [(UNICODE.grad(root, name) if one else "so far", s, x) for name, s, x in down],
        UNICODE.grad(root, root),
    )
    forward = side(
        [(UNICODE.grad(name, leaf) if one else "so far", s, x) for name, s, x in up],
        UNICODE.grad(leaf, leaf),
    )
    return {
        "head": [f"backward pass, from {root} down", f"forward mode, from {leaf} up"],
        "rows": [[*b, *f] for b, f in zip(backward, forward, strict=True)],
    }


def _count(view: GraphView, wrt: Value, title: str) -> str:
    """What each mode costs for the whole gradient: forward mode one pass over every node per
    input, the backward pass one pass for all."""
    nodes = len(view.order)
    # the leaves one could differentiate by (numbers lifted into the graph are no input)
    inputs = [node for node in view.leaves() if view.role(node) != "constant"] or [wrt]
    named = ", ".join(view.name(node) for node in inputs[:NAMES_LISTED])
    if len(inputs) > NAMES_LISTED:
        named += f" and {len(inputs) - NAMES_LISTED:,} more"
    root = view.name(view.root)
    if len(inputs) == 1:
        return (
            f"The count: forward mode found {title} in one pass over the {nodes:,} "
            f"node{'s' if nodes > 1 else ''}, and the "
            f"backward pass in one pass too: with one input ({named}) the two cost the same. "
            "With n inputs forward mode needs n passes, the backward pass still one."
        )
    return (
        f"The count: forward mode found {title} alone, in one pass over all {nodes:,} nodes. "
        f"The whole gradient of {root} needs one such pass per input: {len(inputs):,} passes "
        f"({named}), {len(inputs) * nodes:,} node steps. The backward pass found d{root}/dx "
        f"for all {len(inputs):,} of them, and for every other node x, in one pass of "
        f"{nodes:,} steps."
    )
