"""The backward pass, stepped through inside a notebook (JupyterLab 4, Notebook 7, VS Code).

`BackpropWidget(root)` is the stepping page of `save_backprop_html` as a notebook output: the
same scripts and stylesheet (`micrograd_like/page/`), mounted by the same `mountBackprop(el,
data)` on the same data (`page.backprop_data`). One front-end, two hosts: the widget's module
is `page/widget.js` bundled with what it imports, as the page bundles `page/standalone.js`.
The widget is an anywidget, the `notebook` extra: `python -m pip install anywidget`.

    >>> from micrograd_like.notebook import show_backprop
    >>> show_backprop(cost)          # the last line of a cell: Next, Previous, Play, the keys

Like every reader it leaves the graph as it found it: the gradients it shows come from one
fresh backward pass, and every node's `.grad` is put back afterwards.

Its formulas are typeset by the KaTeX that ships in the package (`micrograd_like.latex`): the
module starts with `katex_script()` and the stylesheet ends with `katex_style()`, about 380 kB
sent to the notebook once per widget; nothing is fetched. `typeset=False` shows the text alone.
"""

from __future__ import annotations

import json
from typing import Any

from micrograd_like.engine import Value
from micrograd_like.latex import katex_script, katex_style
from micrograd_like.page import backprop_data, script, style

try:
    import anywidget
    import traitlets
except ImportError:  # the `notebook` extra is missing: say how to get it, in the notebook too
    raise ModuleNotFoundError(
        "micrograd_like.notebook needs anywidget (the `notebook` extra), which is not installed "
        "in this Python: run `%pip install anywidget` in a notebook cell, or "
        "`python -m pip install anywidget` in this environment, then restart the kernel",
        name="anywidget",
    ) from None


class BackpropWidget(anywidget.AnyWidget):
    """The backward pass of `root`, one node per step: the graph (current node and edges
    outlined, gradients written in as they arrive), the step's chain-rule lines, the table of
    nodes and the key. Next / Previous / Start / End / Play, and their keys: the arrows, Home,
    End and space. The keys go to the widget under the pointer or, with the pointer over none,
    to the one last clicked or stepped; never while typing in a cell (`page/widget.js`).

    `draw_options` are `backprop_data`'s (rankdir, number_format, max_nodes, quiz, and
    `forward=W`: a second tab steps through forward mode, dC/dW from the inputs up, as on the
    page of `save_backprop_html`; `typeset=False`: the formulas as text, not typeset). The
    widget holds a snapshot taken when it is made; make a new one to show a changed graph.
    """

    # anywidget's `render`, calling the page's mountBackprop, after KaTeX (one module: the
    # widget's only script), which typesets the formulas where the data gives their LaTeX
    _esm = katex_script() + script("widget.js")
    _css = style() + katex_style()
    data = traitlets.Unicode("{}").tag(sync=True)  # backprop_data(root) as JSON

    def __init__(self, root: Value, **draw_options: Any) -> None:
        if not isinstance(root, Value):
            raise TypeError(
                f"BackpropWidget: root must be a Value (the cost), got {type(root).__name__}: "
                f"{root!r}"
            )
        snapshot = backprop_data(root, **draw_options)
        forward = snapshot["forward"]
        beside = "" if forward is None else f", forward mode for {forward['title']} beside it"
        self._summary = (
            f"BackpropWidget: the backward pass of {snapshot['root']} in "
            f"{len(snapshot['steps'])} steps{beside} (run the notebook to step through it)"
        )
        super().__init__(data=json.dumps(snapshot))

    def __repr__(self) -> str:  # the text/plain a static viewer shows instead of the widget
        return self._summary


def show_backprop(root: Value, **draw_options: Any) -> BackpropWidget:
    """The stepping widget for `root`: put it last in a cell, or pass it to `display()`."""
    return BackpropWidget(root, **draw_options)
