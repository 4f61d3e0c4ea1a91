"""save_backprop_animation: frames counted and read back (GIF, SVG, PNG, PDF, MP4), the pass
shown step by step as the page shows it, every grad left as it was, and every bad argument,
missing program and too large graph refused before any drawing."""

from __future__ import annotations

import io
import os
import stat
import sys
import xml.etree.ElementTree as ElementTree
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import GifImagePlugin, Image, ImageChops
from pypdf import PdfReader

from micrograd_like import Parameter, Value, backward_steps, save_backprop_animation
from micrograd_like.animation import FrameTooSmall, animation_frames, join_pdfs
from micrograd_like.view import GraphView
from micrograd_like.viz import (
    FINAL,
    HIGHLIGHT,
    PARTIAL,
    FfmpegNotFound,
    GraphTooLarge,
    render_bytes,
    render_many,
)

SMALL = (640, 360)  # a 16:9 frame small enough to render quickly
SVG = "{http://www.w3.org/2000/svg}"


def seed_002() -> tuple[Value, Value]:
    """Seed 002's single weight: a = i * w, C = (a - y)^2, i = 1.5, w = 0.8, y = 0.5."""
    i, w, y = Value(1.5, label="i"), Parameter(0.8, label="w"), Value(0.5, label="y")
    a = i * w
    a.label = "a"
    cost = (a - y) ** 2
    cost.label = "C"
    return cost, w


def shared() -> Value:
    """out = x*y + x: x's gradient is partial after out's step, final after m's."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    m = x * y
    m.label = "m"
    out = m + x
    out.label = "out"
    return out


def texts_of(svg: bytes, node_id: str) -> list[ElementTree.Element]:
    """The text elements of one node of an SVG frame (a box `n3`, a neuron `u1_0`)."""
    for group in ElementTree.fromstring(svg).iter(f"{SVG}g"):
        if group.get("id") == node_id or group.findtext(f"{SVG}title") == node_id:
            return list(group.iter(f"{SVG}text"))
    raise AssertionError(f"no node {node_id} in the frame")


def grad_text(svg: bytes, node_id: str) -> ElementTree.Element | None:
    found = [t for t in texts_of(svg, node_id) if (t.text or "").strip().startswith("grad")]
    return found[0] if found else None


def far_apart(one: Image.Image, other: Image.Image) -> int:
    """How many pixels of two pictures differ by more than a palette's rounding."""
    difference = ImageChops.difference(one, other).convert("L")
    return difference.point(lambda value: 255 if value > 48 else 0).histogram()[255]


def all_text(svg: bytes) -> str:
    return "\n".join(t.text or "" for t in ElementTree.fromstring(svg).iter(f"{SVG}text"))


# ---- a GIF of seed 002


def test_a_gif_of_seed_002_has_a_frame_per_step_and_the_forward_pass(tmp_path: Path) -> None:
    cost, w = seed_002()
    path = save_backprop_animation(cost, tmp_path / "seed.gif", size=SMALL, seconds_per_step=0.5)
    assert path == tmp_path / "seed.gif" and os.listdir(tmp_path) == ["seed.gif"]
    steps = len(list(backward_steps(seed_002()[0])))  # 6: C, sub4, a, and the three leaves
    forward = 1 + 3  # the leaves' values, then a, sub4 and C as the graph computes them
    gif = Image.open(path)
    assert isinstance(gif, GifImagePlugin.GifImageFile)
    assert gif.n_frames == steps + forward == 10
    assert gif.size == SMALL and gif.info["loop"] == 0
    durations = []
    for k in range(gif.n_frames):
        gif.seek(k)
        durations.append(gif.info["duration"])
    assert durations == [500] * 9 + [1500]  # the last step held three times as long
    # the GIF's last frame is the last frame drawn, whose w box shows dC/dw = 2.1, final
    frames = animation_frames(seed_002()[0], size=SMALL)
    assert len(frames) == gif.n_frames
    gif.seek(gif.n_frames - 1)
    shown = gif.convert("RGB")
    drawn = Image.open(io.BytesIO(render_bytes(frames[-1], "png"))).convert("RGB")
    assert far_apart(shown, drawn) < 0.01 * SMALL[0] * SMALL[1]  # the palette rounds edges
    gif.seek(0)
    assert far_apart(gif.convert("RGB"), drawn) > 0.01 * SMALL[0] * SMALL[1]  # (it can tell)
    last = render_bytes(frames[-1], "svg")
    view = GraphView(cost)
    w_grad = grad_text(last, view.id(w))
    assert w_grad is not None and w_grad.text == "grad 2.1" and w_grad.get("fill") == FINAL
    assert "dC/dw = 2.1" in all_text(last)  # the caption sums up what the pass found
    assert w.grad == 0.0  # the animation's pass left the graph's grads alone


def test_every_frame_is_the_frame_size_and_the_drawing_holds_still(tmp_path: Path) -> None:
    cost, _ = seed_002()
    frames = animation_frames(cost, size=SMALL)
    pngs = render_many(frames, "png")
    assert {Image.open(io.BytesIO(png)).size for png in pngs} == {SMALL}
    svgs = render_many(frames, "svg")
    for svg in svgs:
        assert b'<svg width="480pt" height="270pt"' in svg  # 640 x 360 px
    view = GraphView(cost)

    def outline(svg: bytes, node_id: str) -> str:
        for group in ElementTree.fromstring(svg).iter(f"{SVG}g"):
            if group.get("id") == node_id:
                polygon = group.find(f"{SVG}polygon")
                assert polygon is not None
                return polygon.get("points", "")
        raise AssertionError(node_id)

    for node in view.order:  # every box at the same place and size in every frame
        assert len({outline(svg, view.id(node)) for svg in svgs}) == 1


# ---- what the frames say


def test_the_svg_frames_show_a_gradient_only_once_the_pass_has_reached_it(
    tmp_path: Path,
) -> None:
    root = shared()
    folder = save_backprop_animation(root, tmp_path / "frames", frame_format="svg", size=SMALL)
    forward = 1 + 2
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == [f"frame_{k:04d}.svg" for k in range(1, 4 + forward + 1)]
    svgs = [f.read_bytes() for f in files]
    # the oracle, from the graph alone: the pass steps out, m, then the leaves; a node is
    # reached by its own step or a share from a node that uses it, final once all its users
    # have stepped; its gradient then is the sum of the shares received
    view = GraphView(root)
    out, m = root, root.inputs[0]
    x, y = m.inputs
    users = {out: [], m: [out], x: [m, out], y: [m]}
    order = [out, m, x, y]
    assert [step.node for step in backward_steps(shared())] != []  # (a pass of its own)
    expected_grad = {out: 1.0, m: 1.0, x: 1.0 + 3.0, y: 2.0}
    for svg in svgs[:forward]:  # the forward pass: no gradient anywhere
        assert all(grad_text(svg, view.id(node)) is None for node in order)
    for k, svg in enumerate(svgs[forward:], 1):
        stepped = order[:k]
        for node in order:
            reached = node in stepped or any(user in stepped for user in users[node])
            cell = grad_text(svg, view.id(node))
            assert (cell is not None) == reached, (k, view.name(node))
            if cell is None:
                continue
            final = all(user in stepped for user in users[node])
            locals_ = {out: (1.0, 1.0), m: (3.0, 2.0)}  # ∂out/∂(m, x); ∂m/∂(x, y) = (y, x)
            shares = sum(
                local
                for user in stepped
                if user in locals_
                for each, local in zip(user.inputs, locals_[user], strict=True)
                if each is node
            )
            value = expected_grad[node] if final else shares
            assert (cell.text or "").strip() == f"grad {value}", (k, view.name(node))
            assert cell.get("fill") == (FINAL if final else PARTIAL)
        assert f"step {k} of 4" in all_text(svg)
    # x after out's step: partial (1.0, m has not stepped), in italic amber, as on the page
    x_cell = grad_text(svgs[forward], view.id(x))
    assert x_cell is not None and x_cell.get("font-style") == "italic"


def test_each_step_writes_its_chain_rule_line_with_its_numbers() -> None:
    cost, _ = seed_002()
    frames = animation_frames(cost, size=SMALL, forward=False)
    svgs = render_many(frames, "svg")
    texts = [step.text() for step in backward_steps(seed_002()[0])]
    for svg, text in zip(svgs, texts, strict=True):
        shown = all_text(svg)
        for line in text.split("\n"):
            assert line in shown
    assert "dC/dw += ∂a/∂w × dC/da = 1.5 × 1.4 = 2.1" in all_text(svgs[2])


def test_the_forward_pass_shows_values_in_the_order_they_are_computed() -> None:
    cost, _ = seed_002()
    view = GraphView(cost)
    svgs = render_many(animation_frames(cost, size=SMALL)[:4], "svg")
    ops = [node for node in view.order if node.op]  # a, sub4, C

    def shows_value(svg: bytes, node: Value) -> bool:
        return any((t.text or "").startswith("data") for t in texts_of(svg, view.id(node)))

    for k, svg in enumerate(svgs):
        assert [shows_value(svg, node) for node in ops] == [j < k for j in range(3)]
        assert all(shows_value(svg, leaf) for leaf in view.leaves())
    assert "a = i * w = 1.5 * 0.8 = 1.2" in all_text(svgs[1])
    assert "C = sub4**2 = 0.7**2 = 0.49" in all_text(svgs[3])


def test_number_format_show_local_title_and_the_key_reach_the_frames() -> None:
    cost, _ = seed_002()
    (svg,) = render_many(
        animation_frames(
            cost, size=SMALL, forward=False, number_format=".2f", show_local=True, title="Seed 2"
        )[:1],
        "svg",
    )
    shown = all_text(svg)
    assert "data 0.80" in shown and "grad 1.00" in shown
    assert "∂a/∂w = 1.50" in shown  # the local derivative on the edge from w
    assert "Seed 2" in shown
    assert "partial gradient" in shown and "final gradient" in shown and "parameter" in shown
    (bare,) = render_many(
        animation_frames(cost, size=SMALL, forward=False, legend=False)[:1], "svg"
    )
    assert "partial gradient" not in all_text(bare)


def test_the_current_step_is_outlined_in_red() -> None:
    cost, _ = seed_002()
    view = GraphView(cost)
    frames = animation_frames(cost, size=SMALL, forward=False)
    sub = cost.inputs[0]
    source = frames[1].source  # sub4's step: its box, op, the edge out, the edges to a and y
    current = view.id(sub)
    assert f'BORDER="3" COLOR="{HIGHLIGHT}"' in source.split(f"\t{current} [")[1].split("\n")[0]
    for edge in (f"{current}_in0", f"{current}_in1", f"{current}_out"):
        line = next(line for line in source.splitlines() if f"id={edge}" in line)
        assert f'color="{HIGHLIGHT}"' in line
    assert source.count(f'BORDER="3" COLOR="{HIGHLIGHT}"') == 1


# ---- the network view


def test_an_nn_network_is_animated_one_neuron_at_a_time() -> None:
    from demos.network_page import seed_network

    _, error = seed_network()
    frames = animation_frames(error, size=SMALL, forward=False)
    assert len(frames) == 4 + 2  # one frame per neuron, the output layer first
    svgs = render_many(frames, "svg")
    order = [(2, 1), (2, 2), (1, 1), (1, 2), (1, 3), (1, 4)]
    for k, svg in enumerate(svgs):
        for at in order:
            delta = [
                t.text or ""
                for t in texts_of(svg, f"u{at[0]}_{at[1] - 1}")
                if (t.text or "").startswith("δ")
            ]
            assert delta and (delta[0] != "δ …") == (at in order[: k + 1]), (k, at)
        assert f"step {k + 1} of 6" in all_text(svg)
    assert "δ_2 = dE/da_2 ⊙ σ'(z_2)" in all_text(svgs[0])
    assert "δ_1 = (W_2^T δ_2) ⊙ σ'(z_1)" in all_text(svgs[2])
    with_forward = animation_frames(error, size=SMALL)
    assert len(with_forward) == 6 + 4  # x_0, layer 1, layer 2, the cost


def test_micrograds_demo_network_is_animated_in_its_network_view() -> None:
    from demos.network_page import micrograd_network

    _, cost = micrograd_network()  # 982 nodes: more than a scalar drawing's 500
    frames = animation_frames(cost, forward=False)
    assert len(frames) == 16 + 16 + 1
    with pytest.raises(GraphTooLarge, match="has 982 nodes, more than max_nodes=500"):
        animation_frames(cost, view="scalar")


def test_the_scalar_view_of_a_graph_too_large_to_read_is_refused() -> None:
    from demos.network_page import seed_network

    _, error = seed_network()
    with pytest.raises(FrameTooSmall, match=r"too small|least that can be read") as refused:
        animation_frames(error, view="scalar")
    assert "view='network'" in str(refused.value)
    # forty inputs side by side: too tall for any number of bands
    total = Value(0.0, label="start")
    for k in range(40):
        total = total + Value(float(k), label=f"x{k}") * Value(0.5, label=f"w{k}")
    with pytest.raises(FrameTooSmall, match="animation_frames: the drawing is"):
        animation_frames(total)
    # a long chain is no trouble: it is cut into bands that fill the frame
    chain = Value(0.5, label="x")
    for _ in range(40):
        chain = chain.tanh()
    assert len(animation_frames(chain, forward=False)) == 41
    with pytest.raises(ValueError, match="is not one network built by nn"):
        animation_frames(seed_002()[0], view="network")


def test_too_many_frames_are_refused_before_any_drawing() -> None:
    cost, _ = seed_002()
    with pytest.raises(ValueError, match=r"would have 10 frames, more than max_frames=5.*=10"):
        animation_frames(cost, max_frames=5)


# ---- the files


def test_the_pdf_has_one_page_per_frame_with_its_text_as_text(tmp_path: Path) -> None:
    cost, _ = seed_002()
    path = save_backprop_animation(cost, tmp_path / "steps.pdf", forward=False)
    pdf = PdfReader(path, strict=True)
    assert len(pdf.pages) == 6
    # 1920 x 1080 px at 96 px an inch: a 16:9 slide, in points
    assert {(float(p.mediabox.width), float(p.mediabox.height)) for p in pdf.pages} == {
        (1440.0, 810.0)
    }
    text = " ".join(pdf.pages[2].extract_text().split())  # text, not a picture of it
    assert "dC/dw += ∂a/∂w × dC/da = 1.5 × 1.4 = 2.1" in text


def test_join_pdfs_reads_cross_reference_streams_and_object_streams() -> None:
    classic = simple_pdf(b"BT (one) Tj ET")
    packed = packed_pdf(b"BT (two) Tj ET")
    joined = PdfReader(io.BytesIO(join_pdfs([classic, packed, classic])), strict=True)
    contents = [page.get_contents().get_data() for page in joined.pages]  # type: ignore[union-attr]
    assert contents == [b"BT (one) Tj ET", b"BT (two) Tj ET", b"BT (one) Tj ET"]
    with pytest.raises(RuntimeError, match=r"join_pdfs: cannot read the PDF .* for page 2"):
        join_pdfs([classic, b"%PDF-1.5 not a pdf"])


def simple_pdf(content: bytes) -> bytes:
    """A one-page PDF with a cross-reference table (as cairo 1.16 writes)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [ 3 0 R ] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 100 50 ] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out, offsets = bytearray(b"%PDF-1.5\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def packed_pdf(content: bytes) -> bytes:
    """A one-page PDF as newer cairo writes it: its dictionaries packed in an object stream,
    its cross-reference a compressed stream with a PNG predictor."""
    packed = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [ 3 0 R ] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 100 50 ] /Contents 4 0 R >>",
    ]
    heads, bodies, at = [], b"", 0
    for number, body in enumerate(packed, 1):
        heads.append(b"%d %d" % (number, at))
        bodies += body + b"\n"
        at += len(body) + 1
    head = b" ".join(heads) + b"\n"
    stream = zlib.compress(head + bodies)
    out = bytearray(b"%PDF-1.7\n")
    offset_content = len(out)
    out += b"4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(content), content)
    offset_stream = len(out)
    out += b"5 0 obj\n<< /Type /ObjStm /N 3 /First %d /Length %d /Filter /FlateDecode >>\n" % (
        len(head),
        len(stream),
    )
    out += b"stream\n" + stream + b"\nendstream\nendobj\n"
    offset_xref = len(out)
    rows = [(0, 0, 255), (2, 5, 0), (2, 5, 1), (2, 5, 2), (1, offset_content, 0)]
    rows += [(1, offset_stream, 0), (1, offset_xref, 0)]
    raw, previous = b"", bytes(6)
    for kind, field, index in rows:  # /W [1 4 1], each row filtered with PNG's "up"
        row = bytes([kind]) + field.to_bytes(4, "big") + bytes([index])
        raw += b"\x02" + bytes((a - b) & 0xFF for a, b in zip(row, previous, strict=True))
        previous = row
    table = zlib.compress(raw)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [ 1 4 1 ] /Root 1 0 R /Filter /FlateDecode "
        b"/DecodeParms << /Columns 6 /Predictor 12 >> /Length %d >>\nstream\n" % len(table)
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offset_xref
    return bytes(out)


def test_a_folder_of_frames_is_written_whole_and_replaced_whole(tmp_path: Path) -> None:
    cost, _ = seed_002()
    folder = tmp_path / "frames"
    save_backprop_animation(cost, folder, size=SMALL, frames_per_step=2)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"frame_{k:04d}.png" for k in range(1, 21)]  # 10 frames, twice each
    first, second = (folder / names[0]).read_bytes(), (folder / names[1]).read_bytes()
    assert first == second and Image.open(folder / names[0]).size == SMALL
    # written again with fewer frames: none of the old ones is left to follow the new ones
    save_backprop_animation(cost, folder, size=SMALL, forward=False)
    assert sorted(p.name for p in folder.iterdir()) == [f"frame_{k:04d}.png" for k in range(1, 7)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]  # no temporary folder left


def test_a_folder_holding_other_files_is_refused_before_any_drawing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_drawing(*_: object) -> None:
        raise AssertionError("drew before checking the folder")

    monkeypatch.setattr("micrograd_like.animation._frames", no_drawing)
    cost, _ = seed_002()
    folder = tmp_path / "slides"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "frame_0001.png").write_bytes(b"old")
    with pytest.raises(FileExistsError, match=r"holds other files than frames \(notes.txt\)"):
        save_backprop_animation(cost, folder)
    assert (folder / "notes.txt").read_text() == "mine"
    (tmp_path / "file").write_text("a file")
    with pytest.raises(FileExistsError, match="it is a file, not a folder"):
        save_backprop_animation(cost, tmp_path / "file")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_backprop_animation(cost, tmp_path / "nowhere" / "frames")


def test_a_failed_drawing_leaves_the_old_folder_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cost, _ = seed_002()
    folder = tmp_path / "frames"
    save_backprop_animation(cost, folder, size=SMALL, forward=False)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    written = []

    def failing(path: Path, data: bytes) -> Path:
        written.append(path)
        if len(written) == 3:
            raise OSError("disk full")
        Path(path).write_bytes(data)
        return Path(path)

    monkeypatch.setattr("micrograd_like.animation.atomic_write_bytes", failing)
    with pytest.raises(OSError, match="disk full"):
        save_backprop_animation(cost, folder, size=SMALL)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


def test_a_file_is_written_atomically_and_checked_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cost, _ = seed_002()
    locked = tmp_path / "old.gif"
    locked.write_bytes(b"old")
    locked.chmod(stat.S_IRUSR)

    def no_drawing(*_: object) -> None:
        raise AssertionError("drew before checking the path")

    monkeypatch.setattr("micrograd_like.animation._frames", no_drawing)
    with pytest.raises(PermissionError, match=r"^save_backprop_animation: cannot write .*old.gif"):
        save_backprop_animation(cost, locked)
    assert locked.read_bytes() == b"old"


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"view": "graph"}, ValueError, "view must be one of 'auto', 'scalar', 'network'"),
        ({"forward": "yes"}, TypeError, "forward must be True or False, got 'yes'"),
        ({"size": (1920,)}, ValueError, r"size must be \(width, height\) in pixels"),
        ({"size": (100, 50)}, ValueError, r"size .* each a whole number from 160 to 7680"),
        ({"seconds_per_step": 0}, ValueError, "seconds_per_step must be a number of seconds"),
        ({"seconds_per_step": True}, ValueError, "seconds_per_step must be"),
        ({"frames_per_step": 0}, ValueError, "frames_per_step must be a whole number from 1"),
        ({"frame_format": "jpg"}, ValueError, "frame_format must be one of 'png', 'svg'"),
        ({"number_format": "x"}, ValueError, "number_format 'x' is not a float format"),
        ({"title": 3}, TypeError, "title must be a str or None, got int"),
        ({"max_frames": 0}, ValueError, "max_frames must be a whole number of at least 1"),
        ({"legend": None}, TypeError, "legend must be True or False"),
    ],
)
def test_bad_options_are_named_before_any_work(
    options: dict[str, Any], error: type[Exception], message: str, tmp_path: Path
) -> None:
    with pytest.raises(error, match=f"save_backprop_animation: {message}"):
        save_backprop_animation(seed_002()[0], tmp_path / "a.gif", **options)
    assert list(tmp_path.iterdir()) == []


def test_a_path_of_no_known_kind_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot tell what to write from 'a.avi': use a .gif"):
        save_backprop_animation(seed_002()[0], tmp_path / "a.avi")
    with pytest.raises(TypeError, match="path must be a str or a Path, got int"):
        save_backprop_animation(seed_002()[0], 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        save_backprop_animation(2.0, tmp_path / "a.gif")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"a .mp4 needs an even width and height"):
        save_backprop_animation(seed_002()[0], tmp_path / "a.mp4", size=(641, 360))


# ---- video


def no_ffmpeg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)


def test_an_mp4_without_ffmpeg_says_how_to_get_one_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_ffmpeg(monkeypatch, tmp_path)

    def no_drawing(*_: object) -> None:
        raise AssertionError("drew before looking for ffmpeg")

    monkeypatch.setattr("micrograd_like.animation._frames", no_drawing)
    with pytest.raises(
        FfmpegNotFound, match=r"apt install ffmpeg.*pip install imageio-ffmpeg.*\.gif"
    ):
        save_backprop_animation(seed_002()[0], tmp_path / "a.mp4")
    assert not (tmp_path / "a.mp4").exists()


FAKE_FFMPEG = """#!{python}
import sys
frames = sys.stdin.buffer.read().count(b"\\x89PNG\\r\\n\\x1a\\n")
with open(sys.argv[-1], "w") as out:
    out.write(" ".join(sys.argv[1:-1]) + f"\\nframes {{frames}}\\n")
"""


def test_an_mp4_is_made_by_ffmpeg_from_the_frames_each_shown_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_ffmpeg(monkeypatch, tmp_path)
    fake = tmp_path / "empty-bin" / "ffmpeg"
    fake.write_text(FAKE_FFMPEG.format(python=sys.executable))
    fake.chmod(0o755)
    path = save_backprop_animation(
        seed_002()[0], tmp_path / "a.mp4", size=SMALL, forward=False, seconds_per_step=1.5
    )
    said = path.read_text()
    assert "-framerate 2/3" in said  # a frame each 1.5 s
    assert "-c:v libx264" in said and "-pix_fmt yuv420p" in said
    assert "frames 8" in said  # 6 steps, the last shown 3 times
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "empty-bin"]


# ---- the graph is left as it was


def test_every_grad_and_data_is_left_as_found_even_by_a_failed_animation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cost, _ = seed_002()
    cost.backward()
    cost.backward()  # leaf grads accumulate: 4.2 for w
    view = GraphView(cost)
    before = [(node.data, node.grad) for node in view.order]
    frames = animation_frames(cost, size=SMALL)
    assert [(node.data, node.grad) for node in view.order] == before
    # the frames show one fresh pass, whatever the grads held: dC/dw = 2.1, not 4.2
    assert "dC/dw = 2.1" in all_text(render_bytes(frames[-1], "svg"))

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the drawing failed")

    monkeypatch.setattr("micrograd_like.animation.network_data", broken)
    from demos.network_page import seed_network

    _, error = seed_network()
    error.backward()
    net_view = GraphView(error)
    net_before = [(node.data, node.grad) for node in net_view.order]
    with pytest.raises(RuntimeError, match="the drawing failed"):
        animation_frames(error)
    assert [(node.data, node.grad) for node in net_view.order] == net_before


def test_a_paused_backward_pass_goes_on_undisturbed() -> None:
    cost, _ = seed_002()
    paused = backward_steps(cost)
    taken = [next(paused), next(paused)]
    animation_frames(cost, size=SMALL)
    taken += list(paused)  # no BackwardConflict: the animation's pass was put back
    fresh, _ = seed_002()
    assert [step.upstream for step in taken] == [step.upstream for step in backward_steps(fresh)]
