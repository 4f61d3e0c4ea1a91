"""A backward pass as an animation: one frame per chain-rule step, for slides and videos.

`save_backprop_animation(root, path)` writes a `.gif`, a `.pdf` with one step per page, a `.mp4`
(when an ffmpeg is at hand) or a folder of numbered `.png` or `.svg` frames. Each frame is the
drawing at that step, as the page shows it (micrograd_like/page): the current node, its op and
the edges its shares go back along outlined in red; gradients only for the nodes the pass has
reached, italic amber while partial and bold green once final; and the step's chain-rule lines
written under the drawing with their numbers. The forward pass can come first, the values
appearing in the order the graph computes them. A network built by `nn` is animated in its
network view instead, one neuron at a time with the seeds' delta formulas, as the page does.

How a frame is made: the drawing is laid out once (viz's slide layout, with the room every
number will need reserved in its box) and every frame pins its nodes where that layout put them,
so nothing moves from one frame to the next but what the step changes. The frame is one Graphviz
graph: the drawing, the caption and the key, in a box of the frame's aspect (two invisible
corner nodes) that Graphviz scales to the frame's size; so the SVG and PDF frames keep their
text as text, and the GIF, video and PNG frames are Graphviz's own pictures at that size.

Like the page, the animation runs its own backward pass from leaf gradients of 0 and puts every
grad back as it found it (`stepping.put_back`); it changes no `data`.
"""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
import struct
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from micrograd_like._io import TEMP_MARK, atomic_write_bytes, check_writable
from micrograd_like.engine import Value, entry
from micrograd_like.floats import format_factor, format_number
from micrograd_like.interrupts import interrupts_deferred
from micrograd_like.network import NETWORK_MAX_NODES, find_network, network_data
from micrograd_like.stepping import put_back
from micrograd_like.steps import BackwardStep, backward_steps
from micrograd_like.view import GraphView, count_nodes, printable
from micrograd_like.viz import (
    FINAL,
    HIGHLIGHT,
    MAX_BANDS,
    OP_FILL,
    PX_PER_POINT,
    ROLE_FILLS,
    Drawing,
    DrawOptions,
    GraphTooLarge,
    Layout,
    PassState,
    bands,
    check_size,
    encode_video,
    find_ffmpeg,
    label_text,
    layouts,
    pass_state,
    pass_swatches,
    plan,
    render_many,
)

if TYPE_CHECKING:
    import graphviz

VIEWS = ("auto", "scalar", "network")
FILE_FORMATS = {".gif": "gif", ".pdf": "pdf", ".mp4": "mp4"}
FRAME_FORMATS = ("png", "svg")
SLIDE = (1920, 1080)

# Sizes on the frame, in its pixels at 1920 x 1080 (scaled with the frame's height otherwise).
# A drawing is shown at most twice its natural size (a three-node graph would fill the slide
# with four boxes), and refused when its 11-point text would be less than MIN_TEXT_PX high:
# unreadable on a slide, whatever the video's quality.
MAX_ZOOM = 2.0
MIN_TEXT_PX = 10.0
MARGIN_PX = 24.0
TITLE_PX = 40.0
STATUS_PX = 36.0
CAPTION_PX = 32.0  # about 24 points on a slide, the size a room can read the chain rule at
MIN_CAPTION_PX = 16.0  # a long caption is written smaller, down to this, before it wraps more
KEY_PX = 22.0
MONO_WIDTH = 0.6  # a monospaced character's width, in ems (DejaVu Sans Mono, Courier: 0.6)
LINE_HEIGHT = 1.3  # ems
DRAWING_TEXT_PT = 11.0  # the drawing's boxes (viz: node fontsize 11)

HOLD_LAST = 3  # the last frame stays this many steps' time before the animation starts again
FRAME_NAME = re.compile(r"frame_\d+\.(png|svg)")  # what a folder of frames holds, and only that

# The network view's colours: the page's (page/network.css), so frames and page agree.
NET = MappingProxyType(
    {
        "input": "#dbeafe",
        "cost": "#fecaca",
        "neuron": "#ffffff",
        "known": "#ecfdf5",
        "current_fill": "#fee2e2",
        "reading": "#d97706",
        "positive": "#2563eb",
        "negative": "#dc2626",
        "strong": "#111827",
        "to_cost": "#9ca3af",
        "border": "#374151",
        "quiet": "#6b7280",
    }
)
# The network view's layout, in points: across, the page's (network.js), layers as columns;
# down, layers as rows, whichever shows the network larger on the frame.
UNIT = (150.0, 50.0)  # a neuron's box
COLUMN_PITCH, ROW_PITCH, TITLE_ROOM = 215.0, 60.0, 34.0  # across
UNIT_PITCH, LAYER_PITCH, TITLE_WIDTH = 165.0, 120.0, 130.0  # down


class FrameTooSmall(ValueError):
    """The drawing would be too small on the frame to be read."""


@dataclass(frozen=True)
class Shot:
    """One frame before it is drawn: what it says (`status`, the chain-rule `lines`) and the
    state of the drawing (a `PassState` for the scalar view, a `NetShot` for the network)."""

    status: str
    lines: tuple[str, ...]
    state: PassState | NetShot


@dataclass(frozen=True)
class NetShot:
    """The network view at one frame: how far the forward pass has got (`level`: 0 the
    inputs, i layer i, L + 1 the cost), which neurons' deltas are known (layer, index), and
    the current neuron, whose step reads the deltas of the layer above it."""

    level: int
    known: frozenset[tuple[int, int]] = frozenset()
    current: tuple[int, int] | None = None


@dataclass(frozen=True)
class _Options:
    """The animation's options, checked."""

    view: str
    forward: bool
    size: tuple[int, int]
    number_format: str | None
    legend: bool
    show_local: bool
    title: str | None
    constants: bool
    identity: bool
    max_nodes: int
    max_frames: int
    caller: str

    def scale(self, px: float) -> float:
        """A size given for a 1080-pixel-high frame, on this frame."""
        return px * self.size[1] / SLIDE[1]


def _checked(caller: str, **given: Any) -> _Options:
    """Every option checked, each error naming its argument, before any work."""
    view = given["view"]
    if view not in VIEWS:
        raise ValueError(
            f"{caller}: view must be one of {', '.join(map(repr, VIEWS))}, got {view!r}"
        )
    for flag in ("forward", "legend", "show_local", "constants", "identity"):
        if not isinstance(given[flag], bool):
            raise TypeError(f"{caller}: {flag} must be True or False, got {given[flag]!r}")
    size = given["size"]
    if (
        not isinstance(size, tuple)
        or len(size) != 2
        or not all(type(each) is int and 160 <= each <= 7680 for each in size)
    ):
        raise ValueError(
            f"{caller}: size must be (width, height) in pixels, each a whole number from 160 to "
            f"7680, such as (1920, 1080), got {size!r}"
        )
    title = given["title"]
    if title is not None and not isinstance(title, str):
        raise TypeError(f"{caller}: title must be a str or None, got {type(title).__name__}")
    for name in ("max_nodes", "max_frames"):
        limit = given[name]
        if type(limit) is not int or limit < 1:
            raise (ValueError if type(limit) is int else TypeError)(
                f"{caller}: {name} must be a whole number of at least 1, got {limit!r}"
            )
    DrawOptions(number_format=given["number_format"], caller=caller)  # checks the format
    return _Options(caller=caller, **given)


def animation_frames(
    root: Value,
    *,
    view: str = "auto",
    forward: bool = True,
    size: tuple[int, int] = SLIDE,
    number_format: str | None = None,
    legend: bool = True,
    show_local: bool = False,
    title: str | None = None,
    constants: bool = True,
    identity: bool = True,
    max_nodes: int = 500,
    max_frames: int = 400,
) -> list[graphviz.Digraph]:
    """The frames of `save_backprop_animation(root, ...)` as Graphviz digraphs, in order (in a
    notebook, each shows itself; `viz.render_bytes(frame, "png")` renders one). The options are
    `save_backprop_animation`'s."""
    options = _checked(
        "animation_frames",
        view=view,
        forward=forward,
        size=size,
        number_format=number_format,
        legend=legend,
        show_local=show_local,
        title=title,
        constants=constants,
        identity=identity,
        max_nodes=max_nodes,
        max_frames=max_frames,
    )
    return _frames(root, options)


def save_backprop_animation(
    root: Value,
    path: str | os.PathLike[str],
    *,
    view: str = "auto",
    forward: bool = True,
    seconds_per_step: float = 1.5,
    frames_per_step: int = 1,
    size: tuple[int, int] = SLIDE,
    frame_format: str = "png",
    number_format: str | None = None,
    legend: bool = True,
    show_local: bool = False,
    title: str | None = None,
    constants: bool = True,
    identity: bool = True,
    max_nodes: int = 500,
    max_frames: int = 400,
) -> Path:
    """Write the backward pass of `root` as an animation and return the path written.

    The suffix of `path` picks what is written: `.gif` (Pillow), `.pdf` (one frame a page, its
    text kept as text: Graphviz draws each page and they are joined into one document), `.mp4`
    (needs an ffmpeg: the one on the PATH, or imageio-ffmpeg's; without one, an error says how
    to get it, before any work), or, for a path without a suffix, a folder of numbered frames
    `frame_0001.png`, ... (`frame_format="svg"` for SVG). A folder is written whole or not at
    all: the frames go into a new folder beside it, which then takes its place; an existing
    folder is replaced only when it is empty or holds nothing but frames, and otherwise refused.

    Frames: with `forward=True` the forward pass comes first (the leaves' values, then each
    op's value in the order the graph computes them, its formula and numbers under the
    drawing), then one frame per step of `backward_steps(root)`: the node of the step, its op
    and the edges its shares went back along outlined in red, gradients shown only for nodes
    the pass has reached (italic amber while partial, bold green once final, as on the page) and
    the step's chain-rule lines written under the drawing. `view="auto"` animates a network
    built by `nn` in its network view (one frame per neuron, δ layer by layer, as the page
    does) and any other graph in the scalar view; `"scalar"` or `"network"` ask for one.

    `seconds_per_step` is how long each step is shown (the last three times as long, before a
    GIF starts again); `frames_per_step` repeats each frame, for a video tool that plays a
    folder of frames at a fixed rate. `size` is the frame in pixels, a 16:9 slide by default.
    `number_format`, `legend` (a key under each frame) and `show_local` (local derivatives on
    the edges) are draw_dot's; `title` is written at the top of every frame; `constants` and
    `identity` are backward_steps' (`constants=False` takes no step for a constant, fewer
    frames).

    Checked before any work: every option, each error naming it; the path, as the package's
    writer checks it; the graph's size (`max_nodes`, draw_dot's); and, once laid out, that the
    drawing is readable on the frame (its text at least 10 px high) and that there are at most
    `max_frames` frames: a graph too large is refused with its numbers and what to do instead,
    never drawn for an hour. The gradients are those of one fresh backward pass, every leaf
    gradient starting at 0; every `grad` and `data` of the graph is left exactly as it was.
    """
    caller = "save_backprop_animation"
    options = _checked(
        caller,
        view=view,
        forward=forward,
        size=size,
        number_format=number_format,
        legend=legend,
        show_local=show_local,
        title=title,
        constants=constants,
        identity=identity,
        max_nodes=max_nodes,
        max_frames=max_frames,
    )
    if (
        isinstance(seconds_per_step, bool)
        or not isinstance(seconds_per_step, (int, float))
        or not 0.01 <= seconds_per_step <= 3600
    ):
        raise ValueError(
            f"{caller}: seconds_per_step must be a number of seconds from 0.01 to 3600, got "
            f"{seconds_per_step!r}"
        )
    if type(frames_per_step) is not int or not 1 <= frames_per_step <= 600:
        raise ValueError(
            f"{caller}: frames_per_step must be a whole number from 1 to 600, got "
            f"{frames_per_step!r}"
        )
    if frame_format not in FRAME_FORMATS:
        raise ValueError(
            f"{caller}: frame_format must be one of {', '.join(map(repr, FRAME_FORMATS))}, got "
            f"{frame_format!r}"
        )
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{caller}: path must be a str or a Path, got {type(path).__name__}: {path!r}"
        )
    suffix = Path(path).suffix.lower()
    kind = FILE_FORMATS.get(suffix, "folder" if not suffix else "")
    if not kind:
        raise ValueError(
            f"{caller}: cannot tell what to write from {Path(path).name!r}: use a .gif, .pdf or "
            ".mp4 file, or a path without a suffix for a folder of frames (frame_format='png' "
            "or 'svg')"
        )
    if kind == "mp4" and any(each % 2 for each in size):
        raise ValueError(f"{caller}: a .mp4 needs an even width and height, got size={size!r}")
    if kind == "folder":
        target = _check_folder(path, caller)
    else:
        target = check_writable(path, caller=caller)
    ffmpeg = find_ffmpeg() if kind == "mp4" else ""  # no ffmpeg: said now, not after the work
    if kind in ("gif", "mp4"):
        _pillow(caller)
    frames = _frames(root, options)
    durations = [seconds_per_step] * len(frames)
    durations[-1] *= HOLD_LAST
    if kind == "pdf":
        return atomic_write_bytes(target, join_pdfs(render_many(frames, "pdf"), caller))
    drawn = frame_format if kind == "folder" else "png"
    pictures = render_many(frames, drawn)
    if drawn == "png":
        pictures = [_exact(each, options.size, caller) for each in pictures]
    if kind == "folder":
        repeated = [picture for picture in pictures for _ in range(frames_per_step)]
        return _write_folder(target, repeated, frame_format)
    if kind == "gif":
        return atomic_write_bytes(target, _gif(pictures, durations, frames_per_step, caller))
    rate = frames_per_step / seconds_per_step
    shown = [
        picture
        for picture, seconds in zip(pictures, durations, strict=True)
        for _ in range(round(seconds * rate))
    ]
    return atomic_write_bytes(target, encode_video(shown, rate, ffmpeg))


# ---- the story: what each frame shows


def _frames(root: Value, options: _Options) -> list[graphviz.Digraph]:
    if not isinstance(root, Value):
        raise TypeError(
            f"{options.caller}: root must be a Value, got {type(root).__name__}: {root!r}"
        )
    drawing_options = DrawOptions(
        number_format=options.number_format,
        max_nodes=options.max_nodes,
        caller=options.caller,
        layout="slide",
        show_local=options.show_local,
    )
    try:
        check_size(root, drawing_options)
        too_large = None
    except GraphTooLarge as error:  # the network view takes larger networks, as the page does
        if options.view == "scalar" or count_nodes(root, NETWORK_MAX_NODES) > NETWORK_MAX_NODES:
            raise
        too_large = error
    view = GraphView(root)
    network = find_network(view) if options.view != "scalar" else None
    if options.view == "network" and network is None:
        raise ValueError(
            f"{options.caller}: the graph of {view.name(root)} is not one network built by nn "
            "on one example, which the network view shows: use view='scalar' (or 'auto')"
        )
    if network is None and too_large is not None:
        raise too_large
    with put_back(view.order):  # a pass of our own, every grad put back exactly afterwards
        for leaf in view.leaves():
            leaf.grad = 0.0
        records = list(
            backward_steps(root, view=view, constants=options.constants, identity=options.identity)
        )
        texts = [record.text() for record in records]
        # the page's data: its own drawings of each neuron (not shown here) as the page's
        page = DrawOptions(show_grad=False, max_nodes=options.max_nodes, caller=options.caller)
        data = None if network is None else network_data(view, network, page)
    if data is not None:
        shots = _network_shots(data, options)
        _check_count(len(shots), options)
        return _network_frames(data, shots, options)
    shots = _scalar_shots(view, records, texts, options)
    _check_count(len(shots), options)
    return _scalar_frames(view, shots, drawing_options, options)


def _check_count(count: int, options: _Options) -> None:
    if count > options.max_frames:
        raise ValueError(
            f"{options.caller}: the animation would have {count:,} frames, more than "
            f"max_frames={options.max_frames}: too many to draw in reasonable time or to watch; "
            "leave out the forward pass (forward=False) or the constants (constants=False), "
            f"or raise the limit with max_frames={count}"
        )


def _scalar_shots(
    view: GraphView, records: list[BackwardStep], texts: list[str], options: _Options
) -> list[Shot]:
    """The forward frames (if asked for), then one per backward step."""
    shots = []
    if options.forward:
        leaves = [node for node in view.order if not node.op]
        known = set(leaves)
        ops = [node for node in view.order if node.op]
        total = len(ops) + 1
        given = ", ".join(f"{view.name(x)} = {format_number(x.data)}" for x in leaves)
        shots.append(
            Shot(
                f"Forward 1 of {total}: the leaves' values",
                (f"the inputs, parameters and constants: {given}",),
                PassState(values=frozenset(known)),
            )
        )
        for k, node in enumerate(ops, 2):
            known.add(node)
            edges = frozenset((each, node) for each in node.inputs)
            shots.append(
                Shot(
                    f"Forward {k} of {total}: {view.name(node)} ({node.op})",
                    (_forward_line(view, node),),
                    PassState(values=frozenset(known), current=node, edges=edges),
                )
            )
    for k in range(len(records)):
        record = records[k]
        what = f"({record.node.op})" if record.node.op else "(a leaf)"
        lines = texts[k].split("\n")
        if k == len(records) - 1:
            lines.append(_summary(view, records))
        shots.append(
            Shot(
                f"Backward step {k + 1} of {len(records)}: {record.name} {what}",
                tuple(lines),
                pass_state(view, records[: k + 1], caller=options.caller),
            )
        )
    return shots


SUMMED = 6  # the last frame sums up this many leaves' gradients at most


def _summary(view: GraphView, records: Sequence[BackwardStep]) -> str:
    """What the pass found, for its last frame: the parameters' gradients (else the labelled
    leaves'), those training would use."""
    grads = {record.node: record.upstream for record in records if not record.node.op}
    leaves = [node for node in grads if view.role(node) == "parameter"]
    leaves = leaves or [node for node in grads if view.role(node) == "input"] or list(grads)
    root = view.name(view.root)
    shown = ", ".join(
        f"d{root}/d{view.name(n)} = {format_number(grads[n])}" for n in leaves[:SUMMED]
    )
    more = f", and {len(leaves) - SUMMED} more" if len(leaves) > SUMMED else ""
    return f"The pass is done: {shown}{more}"


_SYMBOL = re.compile(r"\b(a|b|n)\b")


def _forward_line(view: GraphView, node: Value) -> str:
    """How the forward pass computes `node`, in the registry's formula: `a = i * w = 1.5 * 0.8
    = 1.2`; an op outside the registry's formulas is written by its inputs alone."""
    name, inputs = view.name(node), node.inputs
    try:
        formula = entry(node.op).value
    except LookupError:
        formula = ""
    if not formula or len(inputs) > 2:
        given = ", ".join(view.name(each) for each in inputs)
        return f"{name} = {node.op}({given}) = {format_number(node.data)}"
    names = {"a": view.name(inputs[0]), "n": node.op[2:]}
    numbers = {"a": format_factor(inputs[0].data), "n": node.op[2:]}
    if len(inputs) == 2:
        names["b"], numbers["b"] = view.name(inputs[1]), format_factor(inputs[1].data)

    def written(symbols: Mapping[str, str]) -> str:
        return _SYMBOL.sub(lambda match: symbols.get(match[1], match[1]), formula)

    return printable(f"{name} = {written(names)} = {written(numbers)} = {format_number(node.data)}")


def _network_shots(data: Mapping[str, Any], options: _Options) -> list[Shot]:
    """The network view's frames: the forward pass a layer at a time (if asked for), then one
    per neuron from the output layer back, each with the seeds' delta formulas."""
    layers, steps = data["layers"], data["steps"]
    depth, shots = len(layers), []
    cost = data["cost"]
    if options.forward:
        total = depth + 2
        given = ", ".join(f"{x['name']} = {x['value']}" for x in data["inputs"])
        shots.append(
            Shot(
                f"Forward 1 of {total}: the input x_0",
                (f"x_0 = [{given}]",),
                NetShot(0),
            )
        )
        for i, layer in enumerate(layers, 1):
            symbol = layer[0]["activation"]
            zs = ", ".join(n["z"] for n in layer)
            xs = ", ".join(n["a"] for n in layer)
            shots.append(
                Shot(
                    f"Forward {i + 1} of {total}: layer {i}",
                    (
                        f"z_{i} = W_{i} x_{i - 1} + b_{i} = [{zs}]",
                        f"x_{i} = {symbol}(z_{i}) = [{xs}]",
                    ),
                    NetShot(i),
                )
            )
        shots.append(
            Shot(
                f"Forward {total} of {total}: the cost",
                (f"{cost['name']} = {cost['value']} (from the output layer x_{depth})",),
                NetShot(depth + 1),
            )
        )
    known: set[tuple[int, int]] = set()
    for k, step in enumerate(steps, 1):
        at = (step["layer"], step["index"])
        known.add(at)
        name = layers[at[0] - 1][at[1] - 1]["name"]
        shots.append(
            Shot(
                f"Backward step {k} of {len(steps)}: {name} (layer {at[0]}, neuron {at[1]})",
                tuple(step["text"].split("\n")),
                NetShot(depth + 1, frozenset(known), at),
            )
        )
    return shots


# ---- the frame: the drawing, its caption and its key, on a box of the frame's shape


@dataclass(frozen=True)
class _Room:
    """One way to share the frame (in its pixels, y up from the bottom left): the room for
    the drawing, and the caption's box, under the drawing or in a panel at its right; how
    the caption is written (its font size, the characters a line of it may hold) and how the
    key is set out (one row under, one item a line beside)."""

    drawing: tuple[float, float, float, float]  # left, bottom, width, height
    caption: tuple[float, float, float, float]  # centre x, centre y, width, height
    caption_px: float
    status_px: float  # the status line's, a little larger than the caption's
    columns: int  # characters of a caption line
    status_columns: int  # characters of the status line
    side: bool


def _rooms(shots: Sequence[Shot], options: _Options) -> list[_Room]:
    """The ways the frame may be shared, each with room for the captions of all `shots` (the
    caption's box is as large as the longest needs, so that the drawing never moves): under
    the drawing (a wide drawing: a chain), or in a panel at its right (a tall one: a network
    with wide layers), a third to a half of the frame wide. A caption too wide for its box is
    written smaller, down to MIN_CAPTION_PX, and then wrapped."""
    width_px, height_px = options.size
    margin = options.scale(MARGIN_PX)
    top = margin + (options.scale(TITLE_PX) * LINE_HEIGHT if options.title else 0.0)
    usable = width_px - 2 * margin
    key_px = options.scale(KEY_PX)
    widest = max(len(line) for shot in shots for line in shot.lines)
    rooms: list[_Room] = []
    for side, share in ((False, 1.0), (True, 0.3), (True, 0.4), (True, 0.5)):
        box = usable * share
        caption_px = options.scale(CAPTION_PX)
        if widest * MONO_WIDTH * caption_px > box:
            caption_px = max(box / (widest * MONO_WIDTH), options.scale(MIN_CAPTION_PX))
        columns = max(int(box / (MONO_WIDTH * caption_px)), 20)
        status_px = min(options.scale(STATUS_PX), 1.25 * caption_px)
        status_columns = max(int(box / (0.6 * status_px)), 20)
        lines = max(len(_wrapped(shot.lines, columns)) for shot in shots)
        statuses = max(len(_wrapped([shot.status], status_columns)) for shot in shots)
        needed = statuses * status_px * LINE_HEIGHT + lines * caption_px * LINE_HEIGHT
        if not side:
            needed += key_px * 2.4 if options.legend else 0.0
            strip = needed + 2 * margin
            drawing = (margin, strip, usable, height_px - strip - top)
            caption = (width_px / 2, strip / 2, usable, needed)
        else:
            items = 9 if options.legend else 0  # the key, one item a line, under the caption
            needed += items * key_px * 1.5 + margin
            tall = height_px - top - margin
            drawing = (margin, margin, usable - box - margin, tall - margin)
            caption = (width_px - margin - box / 2, margin + tall / 2, box, tall)
            if needed > tall:
                continue  # this panel is too narrow for the captions
        rooms.append(_Room(drawing, caption, caption_px, status_px, columns, status_columns, side))
    return rooms


def _wrapped(lines: Sequence[str], columns: int) -> list[str]:
    wrapped = []
    for line in lines:
        wrapped += textwrap.wrap(
            line, columns, subsequent_indent="    ", break_on_hyphens=False
        ) or [""]
    return wrapped


def _zoom(layout: Layout, room: _Room) -> float:
    """How much larger than its natural size a drawing is shown (frame px per drawing px)."""
    _, _, width, height = room.drawing
    if width <= 0 or height <= 0:
        return 0.0
    across = width / (layout.width * PX_PER_POINT)
    down = height / (layout.height * PX_PER_POINT)
    return min(across, down, MAX_ZOOM)


def _best(layouts: Sequence[Layout], rooms: Sequence[_Room]) -> tuple[Layout, _Room]:
    """The layout and the room that show the drawing largest (the first of equals)."""
    pairs = [(layout, room) for room in rooms for layout in layouts]
    return max(pairs, key=lambda pair: _zoom(*pair))


@dataclass(frozen=True)
class _Stage:
    """Where a frame's parts go, in points of the drawing's layout (y up), before Graphviz
    scales the whole `width` x `height` box to the frame's size; `unit` is layout points per
    frame pixel, `offset` moves the drawing into its place."""

    width: float
    height: float
    unit: float
    offset: tuple[float, float]
    title: tuple[float, float]  # centre
    room: _Room


def _stage(layout: Layout, room: _Room, options: _Options) -> _Stage:
    """The frame's plan for this drawing, or FrameTooSmall if its text would be unreadable."""
    zoom = _zoom(layout, room)
    text_px = DRAWING_TEXT_PT * PX_PER_POINT * zoom
    if text_px < options.scale(MIN_TEXT_PX):
        width_px, height_px = options.size
        raise FrameTooSmall(
            f"{options.caller}: the drawing is {layout.width * PX_PER_POINT:,.0f} x "
            f"{layout.height * PX_PER_POINT:,.0f} px at its natural size; on a {width_px} x "
            f"{height_px} frame, with its caption, it would be drawn at {zoom:.0%}, its text "
            f"{text_px:.1f} px high where {options.scale(MIN_TEXT_PX):.0f} px is the least that "
            "can be read. Animate a part of the graph, or a network built by nn in its network "
            "view (view='network'); save_backprop_html(root, path) writes a page that zooms"
        )
    unit = 1 / (PX_PER_POINT * zoom)  # layout points per frame pixel
    width, height = options.size[0] * unit, options.size[1] * unit
    left, bottom, room_w, room_h = room.drawing
    drawn_w = layout.width * PX_PER_POINT * zoom
    drawn_h = layout.height * PX_PER_POINT * zoom
    offset = (
        (left + (room_w - drawn_w) / 2) * unit - layout.left,
        (bottom + (room_h - drawn_h) / 2) * unit - layout.bottom,
    )
    margin = options.scale(MARGIN_PX)
    title = (width / 2, height - (margin + options.scale(TITLE_PX) * LINE_HEIGHT / 2) * unit)
    return _Stage(width, height, unit, offset, title, room)


def _frame_graph(
    drawing: Drawing,
    positions: Mapping[str, tuple[float, float]],
    stage: _Stage,
    shot: Shot,
    key: Sequence[tuple[str, str]],
    options: _Options,
) -> graphviz.Digraph:
    """One frame: the drawing pinned at `positions` (moved onto the stage), the caption beside
    it, the title over it, and two corner nodes that make the graph's box the frame's, so that
    Graphviz's `size` scales it to exactly the frame."""
    dx, dy = stage.offset
    placed = {name: (x + dx, y + dy) for name, (x, y) in positions.items()}
    # a point of 1 x 1 (an empty node of no size breaks the edge router), its box exactly its
    # label's in every renderer: shape=plain around a table of fixed size
    dot = '<TABLE FIXEDSIZE="TRUE" WIDTH="1" HEIGHT="1" BORDER="0"><TR><TD></TD></TR></TABLE>'
    corner = {"shape": "plain", "label": f"<{dot}>"}
    far = f"{stage.width - 0.5:.2f},{stage.height - 0.5:.2f}!"
    extra: list[tuple[str, dict[str, str]]] = [
        ("frame_corner0", {**corner, "pos": "0.5,0.5!"}),
        ("frame_corner1", {**corner, "pos": far}),
    ]
    x, y = (each * stage.unit for each in stage.room.caption[:2])
    label = _caption(shot, key, stage, options)
    extra.append(
        ("frame_caption", {"shape": "plain", "label": f"<{label}>", "pos": f"{x:.2f},{y:.2f}!"})
    )
    if options.title:
        size = options.scale(TITLE_PX) * stage.unit
        text = f'<<B><FONT POINT-SIZE="{size:.2f}">{label_text(options.title)}</FONT></B>>'
        x, y = stage.title
        extra.append(("frame_title", {"shape": "plain", "label": text, "pos": f"{x:.2f},{y:.2f}!"}))
    frame = {
        "size": f"{options.size[0] / 96:.4f},{options.size[1] / 96:.4f}!",  # 96 px an inch
        "margin": "0",
        "pad": "0",
        "notranslate": "true",
        "bgcolor": "white",
        "outputorder": "edgesfirst",  # lines under the boxes they end at
    }
    return drawing.graph(placed, graph_attr=frame, extra=extra)


def _caption(shot: Shot, key: Sequence[tuple[str, str]], stage: _Stage, options: _Options) -> str:
    """The caption: the status line in bold, the chain-rule lines in a monospaced font, each
    wrapped to its box, and the key (a row under the drawing, a list in a side panel); a
    table of fixed size, so that no caption moves the drawing. Sizes are frame pixels times
    `stage.unit`, the frame's scale."""
    room, unit = stage.room, stage.unit
    status = room.status_px * unit
    statuses = '<BR ALIGN="LEFT"/>'.join(
        label_text(line) for line in _wrapped([shot.status], room.status_columns)
    )
    body = '<BR ALIGN="LEFT"/>'.join(
        label_text(line) for line in _wrapped(shot.lines, room.columns)
    )
    rows = [
        f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" VALIGN="TOP"><B><FONT POINT-SIZE="{status:.2f}">'
        f'{statuses}<BR ALIGN="LEFT"/></FONT></B></TD></TR>',
        f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" VALIGN="TOP"><FONT FACE="monospace" '
        f'POINT-SIZE="{room.caption_px * unit:.2f}">{body}<BR ALIGN="LEFT"/></FONT></TD></TR>',
    ]
    if key:
        size = options.scale(KEY_PX) * unit
        rows.append(f'<TR><TD ALIGN="LEFT" VALIGN="BOTTOM">{_key(key, size, room.side)}</TD></TR>')
    _, _, width, height = room.caption
    return (
        f'<TABLE FIXEDSIZE="TRUE" WIDTH="{width * unit:.0f}" HEIGHT="{height * unit:.0f}" '
        f'BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(rows)}</TABLE>'
    )


def _key(items: Sequence[tuple[str, str]], size: float, listed: bool) -> str:
    """The key: each swatch (a cell, its `{size}` and `{wide}` filled in with the sizes of a
    box for text of `size` points) beside its words, in one row, or `listed` one a line."""
    cells = [
        f'{swatch.format(size=0.8 * size, wide=1.6 * size)}<TD ALIGN="LEFT">{label_text(words)}'
        "&#160;&#160;</TD>"
        for swatch, words in items
    ]
    rows = "".join(f"<TR>{cell}</TR>" for cell in cells) if listed else f"<TR>{''.join(cells)}</TR>"
    return (
        f'<FONT POINT-SIZE="{size:.2f}"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" '
        f'CELLPADDING="1">{rows}</TABLE></FONT>'
    )


def _swatch(fill: str, dashed: bool = False, border: str = "#374151", width: int = 1) -> str:
    """A cell of the key: a small box in `fill` with its border, of fixed size."""
    style = ' STYLE="dashed"' if dashed else ""
    return (
        f'<TD BGCOLOR="{fill}" BORDER="{width}" COLOR="{border}"{style} FIXEDSIZE="TRUE" '
        'WIDTH="{wide:.0f}" HEIGHT="{size:.0f}"></TD>'
    )


def _shown(text: str) -> str:
    """A cell of the key that shows `text` (an HTML-like label's markup)."""
    return f"<TD>{text.replace('{', '{{').replace('}', '}}')}</TD>"


# ---- the scalar view


def _scalar_frames(
    view: GraphView, shots: list[Shot], drawing_options: DrawOptions, options: _Options
) -> list[graphviz.Digraph]:
    """The scalar view's frames: the drawing laid out once, every frame pinned to it."""
    # each box keeps room for the longest number it will show: its data, and its gradient at
    # any step (a partial one may be longer than the final), so boxes never change size
    grad_text: dict[Value, int] = {}
    for shot in shots:
        assert isinstance(shot.state, PassState)
        for node, grad in shot.state.grads.items():
            width = len(f"grad {drawing_options.number(grad)}")
            grad_text[node] = max(grad_text.get(node, 0), width)
    widths = MappingProxyType(
        {
            node: (len(f"data {drawing_options.number(node.data)}"), grad_text.get(node, 6))
            for node in view.order
        }
    )
    # laid out once, as the widest frame: every value and every gradient shown
    full = PassState(
        MappingProxyType({node: node.grad for node in view.order}),
        frozenset(view.order),
        widths=widths,
    )
    widest = plan(view, replace(drawing_options, state=full))
    layout, room = _best(_candidates(widest), _rooms(shots, options))
    stage = _stage(layout, room, options)
    key = _scalar_key(view) if options.legend else []
    frames = []
    for shot in shots:
        assert isinstance(shot.state, PassState)
        state = replace(shot.state, widths=widths)
        drawing = plan(view, replace(drawing_options, state=state))
        frames.append(_frame_graph(drawing, layout.positions, stage, shot, key, options))
    return frames


def _candidates(drawing: Drawing) -> list[Layout]:
    """The drawing's natural layout and, left to right, the same cut into 2, 3, ... bands (viz's
    `bands`) while that makes it less wide than tall: a long chain fills a 16:9 frame in two or
    three bands where in one row its text would be too small to read."""
    natural = layouts([drawing.graph()])[0]
    found = [natural]
    if drawing.rankdir != "LR":
        return found
    for count in range(2, MAX_BANDS + 1):
        if found[-1].width * 9 <= found[-1].height * 16:
            break  # narrower than the frame already: more bands only make it taller
        found.append(bands(drawing, natural, count))
    return found


def _scalar_key(view: GraphView) -> list[tuple[str, str]]:
    items = [(_swatch(ROLE_FILLS[role], role == "constant"), role) for role in view.roles()]
    items.append((_swatch(OP_FILL), "op"))
    swatches = pass_swatches()
    items += [
        (_shown(swatches["partial"]), "partial gradient"),
        (_shown(swatches["final"]), "final gradient"),
        (_swatch("#ffffff", border=HIGHLIGHT, width=2), "this step"),
    ]
    return items


# ---- the network view


def _network_frames(
    data: Mapping[str, Any], shots: list[Shot], options: _Options
) -> list[graphviz.Digraph]:
    """Frames of the network view: laid out as the page lays it out, or down the frame when
    that shows it larger (`_network_layout`), weights as lines from each unit to the next
    (blue positive, red negative, thicker larger)."""
    layers = data["layers"]
    counts = [len(data["inputs"]), *(len(layer) for layer in layers), 1]
    candidates = [_network_layout(counts, True), _network_layout(counts, False)]
    layout, room = _best(candidates, _rooms(shots, options))
    stage = _stage(layout, room, options)
    key = _network_key(data["cost"]["name"]) if options.legend else []
    weights = [abs(w["data"]) for layer in layers for n in layer for w in n["weights"]]
    largest = max(weights) or 1.0
    frames = []
    for shot in shots:
        assert isinstance(shot.state, NetShot)
        drawing = _network_drawing(data, shot.state, largest)
        frames.append(_frame_graph(drawing, layout.positions, stage, shot, key, options))
    return frames


def _network_layout(counts: Sequence[int], across: bool) -> Layout:
    """Where the network view's units go: `counts` units in each column (x_0, the layers, the
    cost), each column centred on the others. `across`: as the page, a column per layer, left
    to right, titles above; else a row per layer, top to bottom, titles on the left."""
    positions: dict[str, tuple[float, float]] = {}
    widest = max(counts)
    for column, count in enumerate(counts):
        for k in range(count):
            if across:
                x = 20 + column * COLUMN_PITCH + UNIT[0] / 2
                y = TITLE_ROOM + (widest - count) * ROW_PITCH / 2 + k * ROW_PITCH + UNIT[1] / 2
            else:
                x = TITLE_WIDTH + (widest - count) * UNIT_PITCH / 2 + k * UNIT_PITCH
                x, y = x + UNIT[0] / 2, column * LAYER_PITCH + UNIT[1] / 2
            name = "cost" if column == len(counts) - 1 else _unit(column, k)
            positions[name] = (x, -y)  # Graphviz's y grows upwards
        if across:
            positions[f"title{column}"] = (
                20 + column * COLUMN_PITCH + UNIT[0] / 2,
                -TITLE_ROOM / 2,
            )
        else:
            positions[f"title{column}"] = (TITLE_WIDTH / 2, -(column * LAYER_PITCH + UNIT[1] / 2))
    right = max(x for x, _ in positions.values()) + UNIT[0] / 2 + 20
    low = min(y for _, y in positions.values()) - UNIT[1] / 2 - 10
    return Layout(positions, 0.0, low, right, -low)


def _unit(column: int, k: int) -> str:
    return f"u{column}_{k}"


def _network_drawing(data: Mapping[str, Any], state: NetShot, largest: float) -> Drawing:
    """The network view at one frame, its nodes named as `_network_frames` places them."""
    layers, depth = data["layers"], len(data["layers"])
    drawing = Drawing("svg", "LR", {"splines": "false"}, [], {})
    titles = ["input x_0", *(f"layer {i}" for i in range(1, depth)), f"output layer {depth}"]
    for column, title in enumerate([*titles, "cost"]):
        label = f'<<B><FONT POINT-SIZE="13" COLOR="#374151">{label_text(title)}</FONT></B>>'
        drawing.node(f"title{column}", {"shape": "plain", "label": label}, f"title{column}")
    current = state.current
    above = current[0] + 1 if current is not None and current[0] < depth else None
    for k, x in enumerate(data["inputs"]):
        lines = [f"<B>{label_text(x['name'])}</B>", label_text(f"x = {x['value']}")]
        drawing.node(_unit(0, k), _unit_box(lines, NET["input"]), _unit(0, k))
    for i, layer in enumerate(layers, 1):
        for j, n in enumerate(layer, 1):
            values = f"z {n['z']}   a {n['a']}" if state.level >= i else "z …   a …"
            if (i, j) in state.known:
                delta = f'<B><FONT COLOR="{FINAL}">{label_text("δ " + n["delta"])}</FONT></B>'
            else:
                delta = f'<FONT COLOR="{NET["quiet"]}">δ …</FONT>'
            lines = [
                f"<B>{label_text(n['name'] + '  ' + n['activation'])}</B>",
                label_text(values),
                delta,
            ]
            fill = NET["known"] if (i, j) in state.known else NET["neuron"]
            border, width = NET["border"], 1
            if (i, j) == current:
                fill, border, width = NET["current_fill"], HIGHLIGHT, 3
            elif i == above:  # the deltas this step reads: W_{i+1}^T δ_{i+1}
                border, width = NET["reading"], 3
            drawing.node(_unit(i, j - 1), _unit_box(lines, fill, border, width), _unit(i, j - 1))
    cost = data["cost"]
    value = f"{cost['name']} = {cost['value']}" if state.level > depth else "…"
    lines = [f"<B>{label_text(cost['name'])}</B>", label_text(value)]
    drawing.node("cost", _unit_box(lines, NET["cost"]), "cost")
    for i, layer in enumerate(layers, 1):
        for j, n in enumerate(layer, 1):
            for k, w in enumerate(n["weights"]):
                # the page's colours, at its stroke-opacity 0.45 (alpha 0x73)
                colour = (NET["positive"] if w["data"] >= 0 else NET["negative"]) + "73"
                if (i, j) == current:  # the weights into this step's neuron
                    colour = NET["strong"]
                elif current is not None and i == above and k == current[1] - 1:
                    colour = NET["reading"]  # the weights W_{i+1}[j, k] the step reads
                thickness = 0.4 + 2.6 * abs(w["data"]) / largest
                drawing.edge(
                    _unit(i - 1, k),
                    _unit(i, j - 1),
                    {"dir": "none", "color": colour, "penwidth": f"{thickness:.2f}"},
                )
    for j in range(len(layers[-1])):
        drawing.edge(_unit(depth, j), "cost", {"dir": "none", "color": NET["to_cost"]})
    return drawing


def _unit_box(
    lines: Sequence[str], fill: str, border: str = NET["border"], width: int = 1
) -> dict[str, str]:
    """A unit of the network view: a box of fixed size (the page's 150 x 50), its lines left
    aligned, so that a thicker border or a longer number moves nothing."""
    body = '<BR ALIGN="LEFT"/>'.join(lines)
    table = (
        f'<TABLE FIXEDSIZE="TRUE" WIDTH="{UNIT[0]:.0f}" HEIGHT="{UNIT[1]:.0f}" BORDER="{width}" '
        f'COLOR="{border}" STYLE="rounded" BGCOLOR="{fill}" CELLPADDING="4" CELLBORDER="0">'
        f'<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="11">{body}<BR ALIGN="LEFT"/>'
        "</FONT></TD></TR></TABLE>"
    )
    return {"shape": "plain", "label": f"<{table}>"}


def _network_key(cost: str) -> list[tuple[str, str]]:
    return [
        (_swatch(NET["input"]), "input x_0"),
        (_swatch(NET["known"]), f"δ = d{cost}/dz known"),
        (_swatch(NET["current_fill"], border=HIGHLIGHT, width=2), "this step's neuron"),
        (_swatch(NET["neuron"], border=NET["reading"], width=2), "the layer it reads (W^T δ)"),
        (_swatch(NET["positive"], border=NET["positive"]), "weight > 0"),
        (_swatch(NET["negative"], border=NET["negative"]), "weight < 0 (thicker: larger)"),
    ]


# ---- writing


def _pillow(caller: str) -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ModuleNotFoundError(
            f"{caller}: writing a .gif or a .mp4 needs Pillow: run `make demo` once and use "
            ".venv/bin/python, or run: python -m pip install pillow (a .pdf or a folder of "
            "frames does without)"
        ) from None
    return Image


def _exact(png: bytes, size: tuple[int, int], caller: str) -> bytes:
    """`png` on a white canvas of exactly `size` pixels, centred, should Graphviz's scaling
    have left it a pixel short (a GIF or a video wants every frame the same size; the frame's
    corner nodes make that rare)."""
    if struct.unpack(">II", png[16:24]) == size:  # the PNG header's width and height
        return png
    image_module = _pillow(caller)
    picture = image_module.open(io.BytesIO(png)).convert("RGB")
    canvas = image_module.new("RGB", size, "white")
    canvas.paste(picture, ((size[0] - picture.size[0]) // 2, (size[1] - picture.size[1]) // 2))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()


def _gif(
    pictures: Sequence[bytes], seconds: Sequence[float], frames_per_step: int, caller: str
) -> bytes:
    """The frames as a looping GIF, each shown its seconds. Each frame gets its own palette of
    up to 255 colours (a drawing has a dozen, and the greys of its letters' edges); Pillow
    stores only the part of a frame that changed from the one before, so a step is small."""
    image_module = _pillow(caller)
    images = [
        image_module.open(io.BytesIO(picture))
        .convert("RGB")
        .quantize(colors=255, method=image_module.Quantize.FASTOCTREE)
        for picture in pictures
        for _ in range(frames_per_step)
    ]
    durations = [
        round(1000 * each / frames_per_step) for each in seconds for _ in range(frames_per_step)
    ]
    out = io.BytesIO()
    images[0].save(
        out, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0
    )
    return out.getvalue()


def _check_folder(path: str | os.PathLike[str], caller: str) -> Path:
    """A folder of frames may be written at `path`: a new folder in a writable folder, or an
    existing one that is empty or holds frames alone (which the new frames replace)."""
    where = Path(path)
    if "\0" in str(where):
        raise ValueError(f"{caller}: path must not contain a NUL character, got {str(where)!r}")
    target = Path(os.path.realpath(where))  # a symlink to a folder: the folder it names
    if not target.exists():
        check_writable(where, caller=caller)  # its folder exists and is writable
        return where
    if not target.is_dir():
        raise FileExistsError(
            f"{caller}: cannot write frames into {where}: it is a file, not a folder (give a "
            "path without a suffix for a folder of frames, or .gif, .pdf, .mp4 for one file)"
        )
    others = sorted(
        entry.name for entry in target.iterdir() if not FRAME_NAME.fullmatch(entry.name)
    )
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        taken = FileExistsError(
            f"{caller}: the folder {where} holds other files than frames ({shown}); the frames "
            "replace the whole folder, so give a new or empty folder, or one of frames only"
        )
        taken.errno = errno.EEXIST
        raise taken
    if not os.access(target.parent, os.W_OK | os.X_OK):
        locked = PermissionError(
            f"{caller}: cannot write {where}: the folder {target.parent} is not writable"
        )
        locked.errno = errno.EACCES
        raise locked
    return where


def _write_folder(where: Path, pictures: Sequence[bytes], suffix: str) -> Path:
    """The pictures as `frame_0001.<suffix>`, ... in the folder `where`, written whole or not
    at all: into a new folder beside it, each file by the atomic writer, which then takes the
    folder's place (the old folder, of frames alone, is removed after). Frames left over from
    a longer animation could otherwise follow the new ones into a video."""
    target = Path(os.path.realpath(where))
    digits = max(4, len(str(len(pictures))))
    fresh = target.parent / f".{target.name[:50]}{TEMP_MARK}{os.urandom(4).hex()}.tmp"
    old = fresh.with_suffix(".old")
    fresh.mkdir()
    try:
        for k, picture in enumerate(pictures, 1):
            atomic_write_bytes(fresh / f"frame_{k:0{digits}d}.{suffix}", picture)
        with interrupts_deferred():  # a Ctrl-C waits: the folder is the old one or the new one
            if target.exists():
                os.rename(target, old)
            os.rename(fresh, target)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        if old.exists() and not target.exists():
            os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return where


# ---- one PDF from the pages Graphviz wrote


def join_pdfs(documents: Sequence[bytes], caller: str = "join_pdfs") -> bytes:
    """The pages of `documents` (PDFs as Graphviz writes them, one page or more each) as one
    PDF, in order, by pypdf (the `render` extra): each page is Graphviz's own, copied as it is,
    so the text stays text, crisp at any zoom (a PDF of Pillow's images would blur it)."""
    try:
        from pypdf import PdfReader, PdfWriter
        from pypdf.errors import PdfReadError
    except ImportError:
        raise ModuleNotFoundError(
            f"{caller}: writing a .pdf needs pypdf: run `make demo` once and use "
            ".venv/bin/python, or run: python -m pip install pypdf"
        ) from None
    writer = PdfWriter()
    for k, document in enumerate(documents, 1):
        try:
            writer.append(PdfReader(io.BytesIO(document), strict=True))
        except (PdfReadError, ValueError, KeyError) as error:
            raise RuntimeError(
                f"{caller}: cannot read the PDF Graphviz wrote for page {k}: {error}"
            ) from None
    joined = io.BytesIO()
    writer.write(joined)
    return joined.getvalue()
