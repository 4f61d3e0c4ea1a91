"""The backward pass as an interactive page: one self-contained HTML file (inline SVG, CSS and
script; nothing fetched from the network) that steps through the chain rule node by node.

The front-end lives in `micrograd_like/page/` as ordinary files read with importlib.resources:
page.html, three stylesheets, and ES modules that import from each other what they use, one
way (no cycle, and none wires itself into another when it is loaded):

    forward.js     the forward-mode tab beside the scalar view (micrograd_like.forward_tab);
                   it imports nothing: page.js hands it the helpers it shares
    page.js        the scalar view, mountScalar, and what the network view shares with it
                   (stepControls, make, and the quiz: Quiz, quizBar, quizView); it imports
                   forward.js alone
    network.js     the network view of a network `nn` built, in two tabs with the scalar view
    backprop.js    mountBackprop(el, data, options): the one entry point, picking the view
    standalone.js  this page's entry: mountBackprop on the page's element and JSON data block
    widget.js      the notebook widget's entry (micrograd_like.notebook), anywidget's `render`

All of them render from the plain dict `backprop_data()` returns.

KaTeX (`page/katex/`, through `micrograd_like.latex`) is no module of theirs: the page runs it
as a classic script of its own before them, the widget at the start of its module, and it
publishes `micrograd_like_katex`, which page.js's `typeset()` alone reads. The data carries the
LaTeX of each formula beside its text (`typeset=True`); a formula is typeset once shown, and
where KaTeX is missing its text stays.

A page opened from file:// may not load one module file from another, so `script(entry)`
bundles: `entry` and every module it imports, each once, dependencies first, as the text of
one module script, with the `import {...} from "./file.js";` lines left out. The rest stays as
written (`export` is allowed in a module script), so the names an import line brings are the
same names in the bundle. The modules then share one scope: `bundle` refuses a top-level name
declared in two files, an import cycle, and an import the other file does not export, and
tests/test_page_scripts.py checks that no file uses another's name without importing it and
runs the files unbundled, as separate modules, in Chromium.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from micrograd_like._io import atomic_write_text, check_writable
from micrograd_like.engine import Value
from micrograd_like.forward_tab import checked_wrt, forward_data
from micrograd_like.latex import katex_script, katex_style, latex_lines
from micrograd_like.network import (
    NETWORK_MAX_NODES,
    Formula,
    Line,
    Numbers,
    find_network,
    network_data,
    typesetter,
)
from micrograd_like.stepping import put_back
from micrograd_like.steps import BackwardStep, backward_steps, local_formula
from micrograd_like.view import UNICODE, GraphView, count_nodes
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
    """The text of one of the page's files: `page.html`, `page.css`, `page.js`, ..."""
    return resources.files("micrograd_like").joinpath("page").joinpath(name).read_text("utf-8")


def style() -> str:
    """The page's whole stylesheet: page.css, network.css and forward.css."""
    return asset("page.css") + "\n" + asset("network.css") + "\n" + asset("forward.css")


def scripts() -> dict[str, str]:
    """The page's modules, `page/*.js`: each file's name and text."""
    folder = resources.files("micrograd_like").joinpath("page")
    return {
        file.name: file.read_text("utf-8")
        for file in sorted(folder.iterdir(), key=lambda file: file.name)
        if file.name.endswith(".js")
    }


def script(entry: str) -> str:
    """The module `entry` of `page/` (`standalone.js` or `widget.js`) and every module it
    imports, bundled into the text of one module script (see `bundle`)."""
    return bundle(entry, scripts())


_IMPORT = re.compile(
    r'import \{(?P<names>[\w$]+(?:, [\w$]+)*)\} from "\./(?P<module>[\w.-]+\.js)";'
)
_EXPORT = re.compile(r"export (?:(?:function|const|class) (?P<name>[\w$]+)|(?P<default>default) )")
_DECLARATION = re.compile(r"(?:export )?(?:function|const|let|class) (?P<name>[\w$]+)")


def bundle(entry: str, sources: Mapping[str, str]) -> str:
    """The module `entry` and every module it imports, from `sources` (file name -> text):
    each once, dependencies first, in the order the import lines name them, joined into the
    text of one module script without their import lines.

    A module imports with lines of one form, `import {a, b} from "./file.js";`, and exports
    with `export function`, `export const` or `export class` (and `export default`, in the
    entry only), each at the start of a line. Anything else is refused with a ValueError
    naming the file, and so is what would make the bundle differ from the separate modules:
    an import of a file not in `sources` or of a name that file does not export, a cycle of
    imports (named: `a.js -> b.js -> a.js`), and a top-level name declared in two files.
    """
    parsed: dict[str, _Module] = {}
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            cycle = " -> ".join((*path[path.index(name) :], name))
            raise ValueError(f"the page's scripts import each other in a cycle: {cycle}")
        if name in parsed:
            return
        module = parsed[name] = _parse(name, sources[name], entry=name == entry)
        for source, names in module.imports.items():
            if source not in sources:
                raise ValueError(
                    f"page/{name} imports from ./{source}, which is not one of the page's "
                    f"scripts ({', '.join(sources)})"
                )
            visit(source, (*path, name))
            for imported in names:
                if imported not in parsed[source].exports:
                    raise ValueError(
                        f"page/{name} imports {imported} from ./{source}, which does not export it"
                    )
        order.append(name)

    if entry not in sources:
        raise ValueError(f"no script {entry!r} in page/; there are {', '.join(sources)}")
    visit(entry, ())
    declared: dict[str, str] = {}
    for name in order:
        for top in parsed[name].declared:
            if top in declared:
                raise ValueError(
                    f"{top} is declared at the top level of both page/{declared[top]} and "
                    f"page/{name}: in the bundle they share one scope"
                )
            declared[top] = name
    return "\n".join(parsed[name].text for name in order)


@dataclass(frozen=True)
class _Module:
    """One of the page's scripts, as `bundle` reads it: its text without its import lines, what
    it imports (file -> names), what it exports and the names it declares at its top level."""

    text: str
    imports: dict[str, list[str]]
    exports: set[str]
    declared: set[str]


def _parse(name: str, text: str, *, entry: bool) -> _Module:
    kept: list[str] = []
    imports: dict[str, list[str]] = {}
    exports: set[str] = set()
    declared: set[str] = set()
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        where = f"page/{name}, line {number}"
        if line.startswith("import"):
            found = _IMPORT.fullmatch(line.rstrip())
            if found is None:
                raise ValueError(
                    f'{where}: imports must read `import {{a, b}} from "./file.js";`, got '
                    f"{line.strip()!r}"
                )
            imports.setdefault(found["module"], []).extend(found["names"].split(", "))
            continue
        if line.startswith("export"):
            export = _EXPORT.match(line)
            if export is None or (export["default"] and not entry):
                allowed = "export function, const or class" + (" or default" if entry else "")
                raise ValueError(f"{where}: {allowed} only, got {line.strip()!r}")
            if export["name"]:
                exports.add(export["name"])
        declaration = _DECLARATION.match(line)
        if declaration is not None:
            declared.add(declaration["name"])
        kept.append(line)
    return _Module("".join(kept), imports, exports, declared)


def backprop_data(
    root: Value,
    *,
    rankdir: str = "LR",
    number_format: str | None = None,
    max_nodes: int = 500,
    quiz: bool = False,
    forward: Value | None = None,
    typeset: bool = True,
) -> dict[str, Any]:
    """Everything the stepper shows, as a plain JSON-able dict: the drawing (`svg`, the forward
    pass: values only), the `nodes` (id, name, op, role, data), the `steps` of one backward
    pass (the node, its gradient, each input's share and the chain-rule text, also line by
    line with the quiz's question for each share), the `legend`, a `note` saying where the
    gradients come from, `quiz`: whether the page opens with its quiz on, and `forward`:
    None, or for `forward=W` the forward-mode tab's data (`forward_tab.forward_data`; see
    `save_backprop_html`). Numbers are written as the drawing writes them (`number_format`),
    a zero never with a minus sign. `typeset=True` adds the LaTeX of every formula the page
    typesets, beside its text: each line's `tex`, each question's `rule_tex` and `hints_tex`
    (`network.Numbers.question`), each weight's `explain_tex` (`network.network_data`).

    The gradients are those of one fresh backward pass, leaf grads started at 0, whatever the
    graph held before. It reads the graph and leaves it as it was: every node's grad is put
    back afterwards, exactly, even if something fails on the way (`stepping.put_back`), and a
    `backward_steps()` pass paused over the graph goes on undisturbed. The drawing
    options (`rankdir`, `number_format`, `max_nodes`) are draw_dot's, and are all checked
    before any work.
    """
    options = _options("backprop_data", rankdir, number_format, max_nodes)
    quiz = _switch("backprop_data", quiz)
    typeset = _switch("backprop_data", typeset, "typeset")
    wrt = checked_wrt("backprop_data", root, forward)
    return _collect(root, options, quiz, wrt, typeset=typeset)


def _switch(caller: str, value: object, name: str = "quiz") -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{caller}: {name} must be True or False, got {value!r}")
    return value


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


def _collect(
    root: Value,
    options: DrawOptions,
    quiz: bool,
    forward: Value | None = None,
    *,
    typeset: bool = False,
) -> dict[str, Any]:
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
    number = Numbers(options, typesetter(view.name(root)) if typeset else None)
    svg = None if too_large else render_bytes(draw_view(view, options), "svg").decode("utf-8")
    # the page's own pass, put back exactly afterwards: invisible to the program, and to a
    # backward_steps() pass paused over this graph, which goes on as if nothing had run
    with put_back(view.order):
        for leaf in view.leaves():
            leaf.grad = 0.0  # a fresh pass: no gradient left over from an earlier backward()
        steps = [
            {
                "node": view.id(step.node),
                "name": step.name,
                "op": step.node.op,
                "upstream": number(step.upstream),
                "shares": [
                    {
                        "input": view.id(share.input),
                        "edge": f"{view.id(step.node)}_in{position}",
                        "grad": number(share.this_pass),
                    }
                    for position, share in enumerate(step.shares)
                ],
                "text": step.text(),
                "lines": _step_lines(step, view, number),
            }
            for step in backward_steps(root, view=view)
        ]
        # read while the grads are this pass's: each neuron's delta is its z's grad
        network_view = (
            None if network is None else network_data(view, network, options, typeset=typeset)
        )
    nodes = [
        {
            "id": view.id(node),
            "name": view.name(node),
            "labelled": bool(node.label),
            "op": node.op,
            "role": view.role(node),
            "data": number(node.data),
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
        "quiz": quiz,
        "svg": None if svg is None else svg[svg.index("<svg") :],
        "too_large": None if too_large is None else str(too_large),
        "network": network_view,
        "nodes": nodes,
        "steps": steps,
        "legend": legend,
        "note": note,
        "forward": None if forward is None else forward_data(view, forward, steps, number),
    }


def _step_lines(step: BackwardStep, view: GraphView, number: Numbers) -> list[Line]:
    """The chain-rule lines of one backward step (`step.text()`, line by line), each share's
    line with the question the quiz asks before showing it (`ask`, with the line's rule: the
    line without its numbers, which the network view also shows while the number is not due):
    the share this input receives, local derivative × upstream gradient. The shares of
    constants (numbers lifted into the graph, which no one changes) are shown with their step,
    not asked: their line has its `rule` alone. With every factor written (identity=True, as
    the page's steps are), `text()` writes one line per share, after at most one line about
    the node itself (the root's dC/dC = 1, a leaf's final gradient).

    Typeset (`number.latex`), each line has its `tex` (`latex.latex_lines`), and each rule its
    `rule_tex`: the line's LaTeX up to its first ` = `, where its numbers start (the LaTeX of a
    name never holds a space, so that ` = ` is the line's own)."""
    lines = step.text().split("\n")
    head = len(lines) - len(step.shares)
    if head not in (0, 1):
        raise AssertionError(f"{step.name}'s step has {len(lines)} lines for its shares")
    texs: list[str | None] = [None] * len(lines)
    if number.latex is not None:
        texs = list(latex_lines(step))
    found: list[Line] = [
        {"text": line} | ({} if tex is None else {"tex": tex})
        for line, tex in zip(lines[:head], texs[:head], strict=True)
    ]
    root, node, times = step.root_name, step.name, UNICODE.times
    upstream = UNICODE.grad(root, node)
    shares = zip(step.shares, lines[head:], texs[head:], strict=True)
    for position, (share, line, tex) in enumerate(shares):
        target, local = UNICODE.grad(root, share.name), UNICODE.local(node, share.name)
        rule = f"{target} += {local} {times} {upstream}"  # the line without its numbers
        typeset = {} if tex is None else {"tex": tex}
        rule_tex = None if tex is None else tex.split(" = ", 1)[0]
        if view.role(share.input) == "constant":
            found.append({"text": line, "rule": rule} | typeset)
            if rule_tex is not None:
                found[-1]["rule_tex"] = rule_tex
            continue
        formula = local_formula(step.node, position, view)
        ask = number.question(
            target,
            rule,
            share.contribution,
            (
                (
                    "Which factors meet: the local derivative ",
                    Formula(local + ("" if formula == "?" else f" = {formula}")),
                    f", computed by {node}'s op in the forward pass, times the upstream gradient ",
                    Formula(upstream),
                    ", found before.",
                ),
                (
                    "Their numbers: ",
                    Formula(f"{local} = {number(share.local).strip()}"),
                    " and ",
                    Formula(f"{upstream} = {number(step.upstream).strip()}"),
                    ".",
                ),
            ),
            rule_tex=rule_tex,
        )
        found.append({"text": line, "ask": ask} | typeset)
    return found


def save_backprop_html(
    root: Value,
    path: str | os.PathLike[str],
    *,
    title: str = "Backpropagation, step by step",
    rankdir: str = "LR",
    number_format: str | None = None,
    max_nodes: int = 500,
    quiz: bool = False,
    forward: Value | None = None,
    typeset: bool = True,
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

    `quiz=True` opens the page with its quiz on (a switch at its top turns it on or off): before
    each step's gradients are shown (a share dC/dx += ∂node/∂x × dC/dnode in the scalar view;
    dC/da, δ and dC/dw in the network view), the learner types a prediction, checked against
    the engine's number to the precision the page writes it. A wrong one gets a hint, first
    which local derivative and which upstream gradient meet, then their numbers; never the
    answer unless asked: Esc reveals it. Enter checks, ? gives the next hint, and a running
    score counts the answers right and revealed. The page cannot step past an open question,
    and nothing on it (tables, the graph, lines, a clicked neuron or weight) shows a gradient
    before its step; the numbers are in the page's data block, which a browser does not show.

    `forward=W` (a node of the graph, usually a weight or an input) puts the scalar view in a
    tab beside a second one, "Forward mode: dC/dW", which steps through forward mode
    (`derivatives.forward_steps(root, W)`) on the same drawing from the inputs up: the current
    node and the inputs it reads outlined, each node's tangent d node/dW written under its box
    as the pass reaches it, and the step's chain-rule line. Its last step, dC/dW, compares the
    two passes: the same number, the same local derivatives multiplied in the other order, and
    the count (one forward pass per input, one backward pass for all). It asks no question; in
    quiz mode its dC/dW and the comparison wait until the backward pass's questions up to W's
    gradient are answered.

    The formulas are typeset (`typeset=True`) by KaTeX, inlined in the page with its fonts
    (`latex.katex_script`, `latex.katex_style`: about 390 kB, nothing fetched): each step's
    chain-rule lines and a weight's explain() as maths, with the lines as `backward_steps()` and
    `explain()` print them beneath, and the quiz's question and the formulas of its hints.
    Where the script cannot run, or KaTeX refuses a formula, the text stays. `typeset=False`
    writes the page without KaTeX and its LaTeX: the text alone, a smaller file.

    The browser's own Print prints the view as it stands: no buttons, the whole drawing, the
    current step and the table (on landscape paper when the drawing is wider than tall).
    Ticking "print every step" beside the buttons prints every step instead, one to a page (in
    quiz mode, the steps answered so far).

    The gradients are those of one fresh backward pass (see `backprop_data`); every grad of the
    graph is left exactly as it was. Every argument is checked before any work: `title` a
    string, `quiz` True or False, `forward` None or a node of the graph, the drawing options
    as `draw_dot`'s, `path` as the writer checks it (`_io.check_writable`: a new or writable
    regular file in an existing, writable folder). The file is written atomically.
    """
    if not isinstance(title, str):
        raise TypeError(
            f"save_backprop_html: title must be a str, got {type(title).__name__}: {title!r}"
        )
    options = _options("save_backprop_html", rankdir, number_format, max_nodes)
    quiz = _switch("save_backprop_html", quiz)
    typeset = _switch("save_backprop_html", typeset, "typeset")
    wrt = checked_wrt("save_backprop_html", root, forward)
    try:
        target = check_writable(path, caller="save_backprop_html")
    except IsADirectoryError as error:  # the writer's refusal, and the name it would take
        advice = IsADirectoryError(
            f"{error}; give a file name such as {Path(path) / 'backprop.html'}"
        )
        advice.errno = error.errno
        raise advice from None
    data = _collect(root, options, quiz, wrt, typeset=typeset)
    # "<" written as a JSON escape, so no "</script>" in a label can end the data block early
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    # KaTeX in a classic script of its own, run before the page's module: were it to fail to
    # load or to start, the page still runs, with its formulas as text
    katex = f"<script>\n{katex_script()}</script>" if typeset else ""
    page = Template(asset("page.html")).substitute(
        title=html.escape(title),
        style=style() + (katex_style() if typeset else "") + _paper(data),
        katex=katex,
        script=script("standalone.js"),
        data=payload,
    )
    return atomic_write_text(target, page)


_SVG_SIZE = re.compile(r'<svg width="(?P<width>[\d.]+)pt" height="(?P<height>[\d.]+)pt"')


def _paper(data: Mapping[str, Any]) -> str:
    """The page's paper for the browser's Print: landscape when the view it opens on is wider
    than tall (a network's columns, a graph drawn left to right), so that the drawing, scaled
    to the page, prints at a size its text can be read at; else the browser's own choice."""
    found = None if data["svg"] is None else _SVG_SIZE.match(data["svg"])
    wide = data["network"] is not None or (
        found is not None and float(found["width"]) > float(found["height"])
    )
    return "\n@page { size: landscape; }\n" if wide else ""
