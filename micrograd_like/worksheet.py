"""Worksheets with answer keys: the backward pass of any graph as a page to print and fill in.

`save_worksheet(root, path)` writes one self-contained HTML page, styled for paper (A4 or
Letter, from a browser's Print or "Save as PDF"):

- the drawing of the forward pass: every node's name and value, and beside the value an empty
  box for its gradient, numbered with the question that asks for it (the root's says 1: given);
- numbered questions in the order of the backward pass, from the root down. Each asks for one
  gradient d root / d node and names what it needs, by the chain rule

      dC/dnode = Σ over the ops that use node of  ∂user/∂node × dC/duser

  that is, for each op that uses the node, the op's *local derivative* ∂user/∂node (with ∂: the
  op's own, computed in the forward pass) and the *upstream gradient* dC/duser (with d: the
  cost's, the answer to an earlier question);
- the answer key, on a page of its own after the questions (or in a file of its own, with
  `key_path=`): each question's chain-rule line written out, symbols, the local derivative's
  formula, numbers and the answer.

Every number on the sheet and in the key is the engine's: the key comes from one fresh backward
pass of the root (`steps.backward_steps`, the engine's own loop, every leaf grad started at 0),
run inside `stepping.put_back`, so the graph's grads are put back exactly afterwards and its data
is never touched. Answers are written as the drawing writes values (`floats.format_number`: 4
decimals; or `number_format`), so the key shows the shown precision.

A graph built with `nn` can be asked in the seeds' language: `ask="deltas"` asks each neuron's
δ = dC/dz (the gradient of its weighted sum z), from the output layer back, and `layer=i` only
layer i's: δ_i = (W_{i+1}^T δ_{i+1}) ⊙ f'(z_i), with f'(z) the activation's local derivative.

`worksheet_questions(root, ...)` returns the same questions as data, to check or print.
"""

from __future__ import annotations

import html
import math
import os
import random
import re
from dataclasses import dataclass
from importlib import resources
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from micrograd_like._io import atomic_write_text, check_writable
from micrograd_like.engine import OPS, Value
from micrograd_like.network import Neuron, find_network, slope
from micrograd_like.stepping import put_back
from micrograd_like.steps import backward_steps, bracketed, local_formula
from micrograd_like.view import UNICODE, GraphView
from micrograd_like.viz import RANKDIRS, DrawOptions, check_size, draw_view, render_bytes

if TYPE_CHECKING:
    import graphviz

ASK = ("all", "leaves", "deltas")
"""What a worksheet asks: every node's gradient, only the leaves' (the inputs, weights and
biases), or the δ of each neuron of a network `nn` built."""

# The page area the drawing is sized for: what A4 (210 x 297 mm) and Letter (215.9 x 279.4 mm)
# share inside the stylesheet's 12 mm margins, 186 x 255.4 mm, in points (Graphviz measures its
# drawings in points, 72 to the inch). A drawing sized for it prints the same on either paper.
MM = 72 / 25.4
PAGE_WIDTH = 186 * MM
PAGE_HEIGHT = 255.4 * MM
DRAWING_HEIGHT = PAGE_HEIGHT - 80 * MM
"""The height a drawing (or one part of it) may take: the first page's area under the title, the
name line and the instructions. These take 52 mm, and 79 mm at most with a title of two lines,
the deltas' instructions and a part's caption (measured in Chromium; tests/test_worksheet.py
prints that sheet on Letter and checks that its first part ends on the first page)."""
MIN_SCALE = 0.7
"""The drawing's 11 pt text is printed no smaller than 7.7 pt: a drawing that does not fit the
page at this scale is printed in parts, a page each."""
BESIDE = 0.55
"""A drawing no wider than this share of the page stands at the left, the questions beside it."""
OVERLAP = 0.12
"""The parts of a large drawing overlap by this share of a part, so that a box cut by one part's
edge is whole in the next."""
BOX_WIDTH = 60  # points: the empty gradient box, wide enough to write a number by hand


@dataclass(frozen=True)
class Share:
    """One term of the chain rule for an asked node: what one op that uses the node sends back.

    `local` is ∂user/∂node, the local derivative the user's op stored in the forward pass, and
    `formula` the same in symbols (`a_prev` for ∂mul4/∂W; "?" for an op made by `Value.from_op`
    without formulas). `upstream` is d root / d user and `contribution` the product, as the
    engine computed them. `question` is the number of the question asking for d root / d user,
    None when it is not asked; `from_root` says the user is the root, whose gradient is 1."""

    user: Value
    user_name: str
    local: float
    formula: str
    upstream: float
    contribution: float
    question: int | None
    from_root: bool  # the user is the root: its gradient is 1, given


class WeightedDelta(NamedTuple):
    """One term of (W_{i+1}^T δ_{i+1})[k] for a hidden neuron k of layer i: the weight from it
    into neuron j of the layer above, times that neuron's δ."""

    weight: str  # the weight's name, as the drawing shows it
    w: float
    j: int
    delta: float
    question: int | None  # the question asking for that δ, if asked


@dataclass(frozen=True)
class Delta:
    """What a δ question adds to its node's: the neuron, and how dC/da (the upstream gradient
    of δ = dC/dz = f'(z) × dC/da) reaches its activation a."""

    neuron: str  # L1.N2
    layer: int
    index: int
    output: bool  # in the output layer: dC/da comes from the cost
    activation: str  # an activation op of engine.OPS, or "linear" (a = z, f'(z) = 1)
    a_name: str
    slope: float  # f'(z), the activation's local derivative ∂a/∂z
    da: float  # dC/da, the engine's
    above: tuple[WeightedDelta, ...]  # a hidden neuron: the terms of (W_{i+1}^T δ_{i+1})[k]
    cost_shares: tuple[Share, ...]  # an output neuron: the shares from the cost into a


@dataclass(frozen=True)
class Question:
    """One question of a worksheet: d root / d node, with what it needs and its answer.

    `answer` is d root / d node from one fresh backward pass (every leaf grad started at 0): the
    engine's number, bit for bit the grad `root.backward()` gives from zero leaf grads. `shares`
    are its chain-rule terms in the order the engine added them (their contributions add up to
    `answer`, in that order). A δ question (`ask="deltas"`) also has its `delta`."""

    number: int
    node: Value
    name: str
    root_name: str
    answer: float
    shares: tuple[Share, ...]
    delta: Delta | None = None

    def text(self, number_format: str | None = None) -> str:
        """The question as the worksheet prints it, without its number."""
        return "\n".join(_ask(self, _Numbers(number_format, "Question.text")))

    def key(self, number_format: str | None = None) -> str:
        """The question's lines in the answer key: the chain rule, worked."""
        return "\n".join(_answer(self, _Numbers(number_format, "Question.key")))


# ---- the questions: one fresh backward pass, read and put back


def worksheet_questions(
    root: Value,
    *,
    ask: str = "all",
    layer: int | None = None,
    sample: int | None = None,
    seed: int | random.Random | None = None,
) -> list[Question]:
    """The questions `save_worksheet` prints for `root`, with their answers; see there for the
    options. The graph's grads are left exactly as they were."""
    checked = _Ask.check("worksheet_questions", root, ask, layer, sample, seed)
    return _questions(GraphView(root), checked)[0]


@dataclass(frozen=True)
class _Ask:
    """The options that choose the questions, checked."""

    caller: str
    ask: str
    layer: int | None
    sample: int | None
    seed: int | random.Random | None

    @classmethod
    def check(
        cls,
        caller: str,
        root: object,
        ask: object,
        layer: object,
        sample: object,
        seed: object,
    ) -> _Ask:
        if not isinstance(root, Value):
            raise TypeError(f"{caller}: root must be a Value, got {type(root).__name__}: {root!r}")
        if not isinstance(ask, str) or ask not in ASK:
            raise ValueError(f"{caller}: ask must be one of {', '.join(ASK)}, got {ask!r}")
        if layer is not None and ask != "deltas":
            raise ValueError(
                f"{caller}: layer={layer!r} asks one layer's deltas: give ask='deltas' too"
            )
        if seed is not None and sample is None:
            raise ValueError(
                f"{caller}: seed={seed!r} draws the questions of sample=; give sample too"
            )
        drawn: int | random.Random | None
        if seed is None or isinstance(seed, random.Random):
            drawn = seed
        elif isinstance(seed, Integral) and not isinstance(seed, bool):
            drawn = int(seed)  # NumPy's integers too: random.Random takes only an int
        else:
            raise TypeError(
                f"{caller}: seed must be an int, a random.Random or None, got "
                f"{type(seed).__name__}: {seed!r}"
            )
        return cls(
            caller,
            ask,
            None if layer is None else _whole("layer", layer, caller),
            None if sample is None else _whole("sample", sample, caller),
            drawn,
        )


def _whole(name: str, number: object, caller: str) -> int:
    """`number`, checked to be an int of at least 1 (not a bool, not a float)."""
    if type(number) is not int or number < 1:
        raise (ValueError if type(number) is int else TypeError)(
            f"{caller}: {name} must be a whole number of at least 1, got {number!r}"
        )
    return number


@dataclass(frozen=True)
class _Term:
    """A share as the pass gives it, before the questions are numbered."""

    user: Value
    position: int  # which input of user the node is
    local: float
    upstream: float
    contribution: float


def _questions(view: GraphView, ask: _Ask) -> tuple[list[Question], frozenset[Value]]:
    """The questions, and the graph's constants (the nodes no gradient is asked of)."""
    root = view.root
    network = find_network(view) if ask.ask == "deltas" else None
    if ask.ask == "deltas" and network is None:
        raise ValueError(
            f"{ask.caller}: ask='deltas' needs a network built with nn (MLP, Layer or Neuron) "
            f"evaluated once, and the graph of {view.name(root)} is not one; ask='all' or "
            "ask='leaves' work on any graph"
        )
    # One fresh backward pass, put back exactly on leaving: the graph's grads are as they were,
    # and a backward_steps() pass paused over this graph goes on undisturbed.
    with put_back(view.order):
        for leaf in view.leaves():
            leaf.grad = 0.0  # a fresh pass: no gradient left from an earlier backward()
        steps = list(backward_steps(root, view=view, constants=False))
    answers = {step.node: step.upstream for step in steps}  # d root / d node: final at its step
    # constants (numbers in the expression and the nodes made from them alone) have no step:
    # no one asks for their gradient, and a formula writes them as numbers
    constants = frozenset(node for node in view.order if node not in answers)
    terms: dict[Value, list[_Term]] = {}
    for step in steps:
        user = step.node
        positions = [p for p, each in enumerate(user.inputs) if each not in constants]
        for position, share in zip(positions, step.shares, strict=True):
            terms.setdefault(share.input, []).append(
                _Term(user, position, share.local, step.upstream, share.contribution)
            )

    candidates: list[Value]
    neurons: dict[Value, Neuron] = {}
    if network is not None:
        last = len(network.layers)
        if ask.layer is not None and ask.layer > last:
            raise ValueError(
                f"{ask.caller}: layer must be between 1 and {last} (the network has {last} "
                f"layer{'s' if last > 1 else ''}), got {ask.layer}"
            )
        for number, neurons_of in enumerate(network.layers, start=1):
            if ask.layer in (None, number):
                neurons.update((n.z, n) for n in neurons_of)
        candidates = [step.node for step in steps if step.node in neurons]
    elif ask.ask == "leaves":
        candidates = [step.node for step in steps if not step.node.op and step.node is not root]
    else:
        candidates = [step.node for step in steps if step.node is not root]
    if not candidates:
        what = "leaf" if ask.ask == "leaves" else "node"
        raise ValueError(
            f"{ask.caller}: nothing to ask: {view.name(root)} depends on no {what} but "
            "constants (numbers in the expression); label a leaf (Value(2.0, label='x')) to "
            "ask for its gradient"
        )
    if ask.sample is not None:
        if ask.sample > len(candidates):
            raise ValueError(
                f"{ask.caller}: sample={ask.sample} asks more questions than there are: "
                f"{len(candidates)} with ask={ask.ask!r}"
            )
        rng = ask.seed if isinstance(ask.seed, random.Random) else random.Random(ask.seed)
        drawn = set(rng.sample(range(len(candidates)), ask.sample))
        candidates = [node for i, node in enumerate(candidates) if i in drawn]  # pass order
    numbers = {node: i for i, node in enumerate(candidates, start=1)}

    def shares(node: Value) -> tuple[Share, ...]:
        return tuple(
            Share(
                t.user,
                view.name(t.user),
                t.local,
                local_formula(t.user, t.position, view, constants),
                t.upstream,
                t.contribution,
                numbers.get(t.user),
                t.user is root,
            )
            for t in terms.get(node, [])
        )

    questions = []
    for node in candidates:
        delta = None
        neuron = neurons.get(node)
        if neuron is not None and network is not None:
            output = neuron.layer == len(network.layers)
            above: tuple[WeightedDelta, ...] = ()
            if not output:
                k = neuron.index - 1
                above = tuple(
                    WeightedDelta(
                        view.name(n.weights[k]),
                        n.weights[k].data,
                        n.index,
                        answers[n.z],
                        numbers.get(n.z),
                    )
                    for n in network.layers[neuron.layer]
                )
            delta = Delta(
                neuron.name,
                neuron.layer,
                neuron.index,
                output,
                neuron.activation,
                view.name(neuron.a),
                slope(neuron),
                answers[neuron.a],
                above,
                shares(neuron.a) if output else (),
            )
        questions.append(
            Question(
                numbers[node],
                node,
                view.name(node),
                view.name(root),
                answers[node],
                shares(node),
                delta,
            )
        )
    return questions, constants


# ---- the text of questions and answers


class _Numbers:
    """Numbers as the drawing writes them: `format_number` (4 decimals), or `number_format`."""

    def __init__(self, number_format: str | None, caller: str) -> None:
        self.options = DrawOptions(number_format=number_format, caller=caller)  # checks it

    def __call__(self, x: float) -> str:
        return self.options.number(x)

    def factor(self, x: float) -> str:
        """A number inside a product: negatives in brackets, `0.5 × (-2.0)`."""
        text = self.options.number(x)
        return f"({text})" if x < 0 else text

    def words(self) -> str:
        """How the numbers are rounded, for the instructions."""
        if self.options.number_format is None:
            return "to 4 decimal places"
        return f"in the format {self.options.number_format!r}"


def _grad(root: str, node: str) -> str:
    return UNICODE.grad(root, node)


def _local(node: str, of: str) -> str:
    return UNICODE.local(node, of)


_TIMES = f" {UNICODE.times} "


def _needed(q: Question, share: Share) -> str:
    """One term as a question names it: ∂user/∂node × dC/duser, and where dC/duser comes from."""
    if share.question is not None:
        where = f" (answer\u00a0{share.question})"  # a no-break space: never split in two
    else:
        where = " (= 1)" if share.from_root else " (not asked)"
    return f"{_local(share.user_name, q.name)}{_TIMES}{_grad(q.root_name, share.user_name)}{where}"


def _ask(q: Question, n: _Numbers) -> list[str]:
    """The question's lines on the worksheet (plain text; the page escapes them)."""
    root, d = q.root_name, q.delta
    if d is None:
        terms = " + ".join(_needed(q, share) for share in q.shares)
        return [f"{_grad(root, q.name)} = {terms}"]
    f = _slope_name(d.activation)
    da = _grad(root, d.a_name)
    if d.output:
        source = f"{da} comes from the cost {root}: the output layer"
    else:
        asked = [str(t.question) for t in d.above if t.question is not None]
        many = "answers" if len(asked) > 1 else "answer"
        where = f" ({many} {', '.join(asked)})" if asked else " (not asked: work them out first)"
        source = (
            f"{da} = (W_{d.layer + 1}^T δ_{d.layer + 1})[{d.index}] = "
            f"Σ_j W_{d.layer + 1}[j,{d.index}] δ_{d.layer + 1}[j], from the layer above: "
            f"the deltas δ_{d.layer + 1}{where}"
        )
    if d.activation == "linear":  # a = z, f'(z) = 1: δ is the gradient of a itself
        return [
            f"δ of {d.neuron}: δ_{d.layer}[{d.index}] = {_grad(root, q.name)}, a linear "
            "neuron (a = z)",
            source,
        ]
    return [
        f"δ of {d.neuron}: δ_{d.layer}[{d.index}] = {_grad(root, q.name)} = "
        f"{_local(d.a_name, q.name)}{_TIMES}{da} = {f}(z){_TIMES}{da}",
        f"z = {q.name}, its weighted sum; a = {d.a_name}, its activation; {source}",
    ]


def _slope_name(activation: str) -> str:
    """f' as the seeds write it: σ' for sigmoid, tanh' for tanh, f' for a linear neuron."""
    return "f'" if activation == "linear" else f"{OPS[activation].symbol}'"


def _is_number(formula: str) -> bool:
    try:
        float(formula)
    except ValueError:
        return False
    return True


def _chain_line(root: str, name: str, shares: tuple[Share, ...], total: float, n: _Numbers) -> str:
    """d root / d name by the chain rule, worked: in symbols, with the local derivatives'
    formulas (where one says more than its number), in numbers, and the engine's total."""
    symbols = " + ".join(
        f"{_local(s.user_name, name)}{_TIMES}{_grad(root, s.user_name)}" for s in shares
    )
    parts = [f"{_grad(root, name)} = {symbols}"]
    if any(s.formula != "?" and not _is_number(s.formula) for s in shares):
        parts.append(
            " + ".join(
                f"{bracketed(s.formula) if s.formula != '?' else _local(s.user_name, name)}"
                f"{_TIMES}{_grad(root, s.user_name)}"
                for s in shares
            )
        )
    parts.append(" + ".join(f"{n.factor(s.local)}{_TIMES}{n.factor(s.upstream)}" for s in shares))
    parts.append(n(total))
    return " = ".join(parts)


def _answer(q: Question, n: _Numbers) -> list[str]:
    """The question's lines in the key (plain text)."""
    root, d = q.root_name, q.delta
    if d is None:
        return [_chain_line(root, q.name, q.shares, q.answer, n)]
    delta = f"δ_{d.layer}[{d.index}]"
    if d.output:
        da_line = _chain_line(root, d.a_name, d.cost_shares, d.da, n)
    else:
        i = d.layer + 1
        symbols = " + ".join(f"{t.weight}{_TIMES}δ_{i}[{t.j}]" for t in d.above)
        numbers = " + ".join(f"{n.factor(t.w)}{_TIMES}{n.factor(t.delta)}" for t in d.above)
        da_line = (
            f"{_grad(root, d.a_name)} = (W_{i}^T δ_{i})[{d.index}] = {symbols} = {numbers} = "
            f"{n(d.da)}"
        )
    if d.activation == "linear":  # a = z: δ is dC/da itself
        return [f"{delta} = {da_line}"]
    f = _slope_name(d.activation)
    da = _grad(root, d.a_name)
    return [
        da_line,
        f"{delta} = {_grad(root, q.name)} = {_local(d.a_name, q.name)}{_TIMES}{da} = "
        f"{f}({q.name}){_TIMES}{da} = {n.factor(d.slope)}{_TIMES}{n.factor(d.da)} = "
        f"{n(q.answer)}",
    ]


# ---- the drawing: the forward pass, with an empty box for each gradient

# Every value box of draw_view ends its one row with this; a label cannot write it (the drawing
# escapes < and " in names), so it marks exactly where the box's last cell ends.
_ROW_END = '</TR></TABLE>> class="value '
_NODE_LINE = re.compile(r"\t(n\d+) \[label=<")  # a value box's line (an op's id is n4_op)


def _boxes(
    graph: graphviz.Digraph, view: GraphView, questions: list[Question], constants: frozenset[Value]
) -> None:
    """Give each value box of a `draw_view(show_grad=False)` drawing a gradient cell: empty and
    numbered for an asked node, empty for one not asked (room to work it out on the way), `grad
    1` for the root, the one gradient given. Constants get none: no one asks for theirs."""
    asked = {q.node: q.number for q in questions}
    boxes = 0
    for i, line in enumerate(graph.body):
        found = _NODE_LINE.match(line)
        if found is None:
            continue  # an op or an edge
        boxes += 1
        node = view.order[int(found[1][1:])]
        if node is view.root:
            cell = '<TD BGCOLOR="#ffffff">grad 1</TD>'
        elif node in constants:
            continue
        elif node in asked:
            cell = (
                f'<TD WIDTH="{BOX_WIDTH}" ALIGN="LEFT" VALIGN="TOP" BGCOLOR="#ffffff">'
                f'<FONT POINT-SIZE="8"><B>{asked[node]}</B></FONT></TD>'
            )
        else:
            cell = f'<TD WIDTH="{BOX_WIDTH}" BGCOLOR="#ffffff"> </TD>'
        if line.count(_ROW_END) != 1:
            raise RuntimeError(
                "the worksheet cannot find where a box of viz.draw_view ends (its markup "
                f"changed): {line[:120]!r}; micrograd_like/worksheet.py must follow it"
            )
        graph.body[i] = line.replace(_ROW_END, f"{cell}{_ROW_END}")
    if boxes != len(view):
        raise RuntimeError(
            f"the worksheet found {boxes} value boxes in viz.draw_view's drawing of {len(view)} "
            "nodes (its markup changed); micrograd_like/worksheet.py must follow it"
        )


@dataclass(frozen=True)
class _Drawing:
    """A drawing laid out by Graphviz: what is inside its <svg> element, and its viewBox (in
    points)."""

    body: str
    left: float
    top: float
    width: float
    height: float


_SVG_TAG = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"')


def _drawing(
    view: GraphView, questions: list[Question], constants: frozenset[Value], options: DrawOptions
) -> _Drawing:
    graph = draw_view(view, options)
    _boxes(graph, view, questions, constants)
    svg = render_bytes(graph, "svg").decode("utf-8")
    tag = _SVG_TAG.search(svg)
    box = None if tag is None else _VIEWBOX.search(tag[0])
    if tag is None or box is None:
        raise RuntimeError(f"Graphviz drew no <svg> with a viewBox: {svg[:200]!r}")
    left, top, width, height = (float(each) for each in box.groups())
    return _Drawing(svg[tag.end() : svg.rindex("</svg>")], left, top, width, height)


@dataclass(frozen=True)
class _Layout:
    """How a drawing is printed: at `scale`, in `columns` x `rows` overlapping parts, each at
    most PAGE_WIDTH x DRAWING_HEIGHT once scaled."""

    drawing: _Drawing
    scale: float
    columns: int = 1
    rows: int = 1
    beside: bool = False  # one part, at the left of the questions

    @property
    def parts(self) -> int:
        return self.columns * self.rows

    def windows(self) -> list[tuple[float, float, float, float]]:
        """Each part's window onto the drawing, row by row: x, y, width, height in its points."""
        d = self.drawing
        width = min(d.width, PAGE_WIDTH / self.scale)
        height = min(d.height, DRAWING_HEIGHT / self.scale)
        xs = _starts(d.left, d.width, width, self.columns)
        ys = _starts(d.top, d.height, height, self.rows)
        return [(x, y, width, height) for y in ys for x in xs]


def _count(length: float, room: float) -> int:
    """How many windows of `room` cover `length` when each overlaps the next by OVERLAP of it."""
    if length <= room:
        return 1
    return 1 + math.ceil((length - room) / (room * (1 - OVERLAP)))


def _starts(start: float, length: float, window: float, count: int) -> list[float]:
    """Where `count` windows begin, evenly spaced from `start`, the last ending at the end: the
    step is at most a window less OVERLAP of it (`_count` chose `count` so), so they overlap."""
    if count == 1:
        return [start]
    step = (length - window) / (count - 1)
    return [start + k * step for k in range(count)]


def _layout(d: _Drawing) -> _Layout:
    """The whole drawing on the first page, as large as fits there (never enlarged), beside the
    questions if it fits in BESIDE of the width at MIN_SCALE or more, else above them; when even
    the whole width would shrink its text below MIN_SCALE, in parts: as wide as the page (at
    MIN_SCALE at least), as many rows of parts as its height needs."""
    fits = DRAWING_HEIGHT / d.height
    beside = min(1.0, BESIDE * PAGE_WIDTH / d.width, fits)
    if beside >= MIN_SCALE:
        return _Layout(d, beside, beside=True)
    whole = min(1.0, PAGE_WIDTH / d.width, fits)
    if whole >= MIN_SCALE:
        return _Layout(d, whole)
    scale = min(1.0, max(MIN_SCALE, PAGE_WIDTH / d.width))
    return _Layout(
        d, scale, _count(d.width * scale, PAGE_WIDTH), _count(d.height * scale, DRAWING_HEIGHT)
    )


def _best(layouts: list[_Layout]) -> _Layout:
    """The layout of fewest parts, then one beside the questions (it saves their space), then
    the one of largest text."""
    return min(layouts, key=lambda layout: (layout.parts, not layout.beside, -layout.scale))


# ---- the page


def style() -> str:
    """The worksheet's stylesheet, `worksheet/worksheet.css`."""
    folder = resources.files("micrograd_like").joinpath("worksheet")
    return folder.joinpath("worksheet.css").read_text("utf-8")


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{style()}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )


def _figure(layout: _Layout, root: str) -> str:
    """The drawing, defined once and shown through one window per part (an SVG <use> of it)."""
    d = layout.drawing
    windows = layout.windows()
    parts = len(windows)
    out = [f'<div class="drawing{" beside" if layout.beside else ""}">']
    out.append(
        f'<svg class="defs" aria-hidden="true"><defs><g id="drawing">{d.body}</g></defs></svg>'
    )
    for k, (x, y, width, height) in enumerate(windows):
        caption = ""
        label = f"The forward pass of {root}"
        if parts > 1:
            row, column = divmod(k, layout.columns)
            label += f", part {k + 1} of {parts}"
            caption = (
                f"<figcaption>The drawing, part {k + 1} of {parts}: row {row + 1} of "
                f"{layout.rows}, column {column + 1} of {layout.columns}</figcaption>"
            )
        out.append(
            f'<figure>{caption}<svg class="part" viewBox="{x:.2f} {y:.2f} {width:.2f} '
            f'{height:.2f}" width="{width * layout.scale:.2f}pt" '
            f'height="{height * layout.scale:.2f}pt" role="img" aria-label="{html.escape(label)}">'
            '<use href="#drawing"/></svg></figure>'
        )
    out.append("</div>")
    return "".join(out)


def _what(ask: _Ask, count: int) -> str:
    """What the questions ask, in words: the heading of the questions and of the key."""
    what = {
        "all": "the gradients of every node but the constants",
        "leaves": "the gradients of the leaves: the inputs, weights and biases",
        "deltas": "the δ of every neuron" if ask.layer is None else f"the δ of layer {ask.layer}",
    }[ask.ask]
    if ask.sample is None:
        return what
    seed = f" (seed {ask.seed})" if isinstance(ask.seed, int) else ""
    return f"{count} drawn at random{seed} from {what}"


def _instructions(root: str, layout: _Layout, ask: _Ask, n: _Numbers) -> str:
    one = _grad(root, root)
    parts = ""
    if layout.parts > 1:
        parts = (
            f" It is too large for one page: it is printed in {layout.parts} overlapping "
            f"parts, a page each, {layout.rows} row{'s' if layout.rows > 1 else ''} of "
            f"{layout.columns}: lay them side by side to see it whole."
        )
    paragraphs = [
        f"The drawing is the forward pass of {root}: each box is a node, with its name and its "
        f"value. The empty box after the value is for the node's gradient d{root}/d(node): "
        f"how much {root} moves with it. The numbered boxes are the questions; the others are "
        f"room to work in.{parts}",
        f"Work backwards from {root}, whose gradient is {one} = 1. Each gradient is the chain "
        f"rule: for each op that uses the node, the op's local derivative ∂op/∂node (∂: how "
        f"that op's output moves with this input) times the upstream gradient d{root}/d(op) "
        f"(d: an answer you have already found), added up over those ops. Give your answers "
        f"{n.words()}.",
    ]
    if ask.ask == "deltas":
        paragraphs.append(
            f"A neuron's δ is d{root}/dz, the gradient of its weighted sum z = w · x + b, and "
            f"a = f(z) is its activation: the output layer's δ_L = d{root}/da_L ⊙ f'(z_L), a "
            "hidden layer's δ_i = (W_{i+1}^T δ_{i+1}) ⊙ f'(z_i)."
        )
    return "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)


def _question_item(q: Question, n: _Numbers) -> str:
    first, *more = _ask(q, n)
    asked = f"δ_{q.delta.layer}[{q.delta.index}]" if q.delta else _grad(q.root_name, q.name)
    needs = "".join(f'<p class="needs">{html.escape(line)}</p>' for line in more)
    return (
        f'<li id="q{q.number}"><span class="number">{q.number}.</span>'
        f'<p class="asks">{html.escape(first)}</p>{needs}'
        f'<p class="answer">{html.escape(asked)} = <span class="blank"></span></p></li>'
    )


def _key_item(q: Question, n: _Numbers) -> str:
    lines = _answer(q, n)
    *before, last = lines
    head, _, result = last.rpartition(" = ")
    written = [f"<p>{html.escape(line)}</p>" for line in before]
    written.append(
        f'<p>{html.escape(head)} = <span class="result">{html.escape(result)}</span></p>'
    )
    lines_html = "".join(written)
    return f'<li><span class="number">{q.number}.</span><div class="lines">{lines_html}</div></li>'


def _key(
    title: str, root: str, questions: list[Question], ask: _Ask, n: _Numbers, alone: bool
) -> str:
    note = (
        f"Every answer is the engine's, from one fresh backward pass of {root} (each leaf's "
        f"gradient starting at 0), written {n.words()}. Working from the rounded numbers of the "
        "sheet can change an answer's last digit."
    )
    items = "".join(_key_item(q, n) for q in questions)
    return (
        f'<section class="key{" alone" if alone else ""}"><h1>{html.escape(f"Answer key: {title}")}'
        f'</h1><p class="note">{html.escape(note)}</p><h2>Questions: '
        f"{html.escape(_what(ask, len(questions)))}</h2><ol>{items}</ol></section>\n"
    )


def _sheet(
    title: str, root: str, layout: _Layout, questions: list[Question], ask: _Ask, n: _Numbers
) -> str:
    after_parts = " after-parts" if layout.parts > 1 else ""
    items = "".join(_question_item(q, n) for q in questions)
    return (
        f'<main class="worksheet"><header><h1>{html.escape(title)}</h1>'
        '<p class="who">Name<span class="line"></span>Date<span class="line"></span></p>'
        f'</header><section class="how">{_instructions(root, layout, ask, n)}</section>'
        f"{_figure(layout, root)}"
        f'<section class="questions{after_parts}"><h2>Questions: '
        f"{html.escape(_what(ask, len(questions)))}</h2><ol>{items}</ol></section></main>\n"
    )


def _writable(path: str | os.PathLike[str], caller: str, example: str) -> Path:
    """`path` as the writer checks it; a folder is refused with a file name to give instead."""
    try:
        return check_writable(path, caller=caller)
    except IsADirectoryError as error:
        advice = IsADirectoryError(f"{error}; give a file name such as {Path(path) / example}")
        advice.errno = error.errno
        raise advice from None


def save_worksheet(
    root: Value,
    path: str | os.PathLike[str],
    *,
    key_path: str | os.PathLike[str] | None = None,
    ask: str = "all",
    layer: int | None = None,
    sample: int | None = None,
    seed: int | random.Random | None = None,
    title: str = "Backpropagation worksheet",
    rankdir: str = "auto",
    number_format: str | None = None,
    max_nodes: int = 500,
) -> Path:
    """Write a printable worksheet on the backward pass of `root`, with its answer key, and
    return its path.

    The page (HTML, self-contained, styled for print on A4 or Letter) holds the drawing of the
    forward pass, each node's gradient box empty and numbered with its question; the questions
    in the order of the backward pass, each naming the local derivatives ∂user/∂node and
    upstream gradients d root / d user it needs (and which earlier answers those are); and, on
    a page of its own after them, the answer key: each question's chain-rule line worked out
    with the engine's numbers. `key_path=` writes the key to that file instead, and the
    worksheet holds none.

    What is asked:
    - `ask="all"`: every node's gradient but the root's (1) and the constants' (the numbers in
      the expression, and the nodes made from them alone).
    - `ask="leaves"`: only the leaves': the inputs, weights and biases.
    - `ask="deltas"`: for a network built with `nn` (evaluated once), each neuron's δ = dC/dz,
      from the output layer back; `layer=i` only layer i's (1 is the first hidden layer).
    - `sample=k`: k of those, drawn at random by `seed` (an int or a `random.Random`; None, a
      fresh draw each time; the global random state is never used), kept in the pass's order.

    The drawing is laid out top to bottom or left to right, whichever prints its text larger
    (`rankdir="auto"`; or draw_dot's "LR", "TB", ...): beside the questions when narrow, and,
    when even the better one would print its text smaller than 7.7 pt, in overlapping parts, a
    page each. Numbers are written as the drawing writes them (`number_format`, draw_dot's;
    default 4 decimals), the key's answers too: the shown precision. `max_nodes` is draw_dot's.
    `title` heads the sheet and the key; a longer one than two printed lines pushes the
    drawing to the next page.

    The key's numbers come from one fresh backward pass (every leaf grad started at 0); the
    graph's grads are put back exactly and its data is never changed, and a `backward_steps()`
    pass paused over the graph goes on undisturbed. Every argument is checked before any work,
    each error naming the argument; `path` and `key_path` as the package's writer checks them
    (`_io.check_writable`). Each file is written atomically.
    """
    caller = "save_worksheet"
    checked = _Ask.check(caller, root, ask, layer, sample, seed)
    if not isinstance(title, str):
        raise TypeError(f"{caller}: title must be a str, got {type(title).__name__}: {title!r}")
    if rankdir != "auto" and rankdir not in RANKDIRS:
        raise ValueError(
            f"{caller}: rankdir must be 'auto' or one of {', '.join(RANKDIRS)}, got {rankdir!r}"
        )
    options = [
        DrawOptions(
            "svg",
            each,
            show_grad=False,
            number_format=number_format,
            max_nodes=max_nodes,
            caller=caller,
        )
        for each in (("TB", "LR") if rankdir == "auto" else (rankdir,))
    ]
    numbers = _Numbers(number_format, caller)
    target = _writable(path, caller, "worksheet.html")
    key_target = None
    if key_path is not None:
        key_target = _writable(key_path, f"{caller} (key_path)", "worksheet_key.html")
        if key_target.resolve() == target.resolve():
            raise ValueError(
                f"{caller}: key_path must be another file than path (both are {str(path)!r}); "
                "leave key_path out to put the key in the worksheet, after a page break"
            )
    check_size(root, options[0])
    view = GraphView(root)
    questions, constants = _questions(view, checked)
    layout = _best([_layout(_drawing(view, questions, constants, each)) for each in options])
    name = view.name(root)
    sheet = _sheet(title, name, layout, questions, checked, numbers)
    if key_target is None:
        return atomic_write_text(
            target, _document(title, sheet + _key(title, name, questions, checked, numbers, False))
        )
    atomic_write_text(
        key_target,
        _document(f"Answer key: {title}", _key(title, name, questions, checked, numbers, True)),
    )
    return atomic_write_text(target, _document(title, sheet))
