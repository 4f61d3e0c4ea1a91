"""The graph drawing: DOT text, escaping, colours, highlights, size limit, and real renders
with and without a `dot` executable on the PATH."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pygraphviz
import pytest

from micrograd_like import Parameter
from micrograd_like.engine import Value
from micrograd_like.view import GraphView
from micrograd_like.viz import (
    OP_FILL,
    ROLE_FILLS,
    GraphTooLarge,
    RendererNotFound,
    draw_dot,
    render_bytes,
    render_svgs,
    save_graph,
)

MAGIC = {"svg": b"<?xml", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


def neuron() -> Value:
    """The seeds' neuron: a = sigmoid(w*x + b), cost C = (a - y)^2, after backward()."""
    w, b = Parameter(0.8, label="w"), Parameter(0.1, label="b")
    x, y = Value(1.5, label="x"), Value(0.5, label="y")
    cost = ((w * x + b).sigmoid() - y) ** 2
    cost.label = "C"
    cost.backward()
    return cost


def svg_texts(svg: bytes) -> list[str]:
    """Every piece of text the SVG shows, in document order."""
    root = ElementTree.fromstring(svg)
    return [element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text")]


def hide_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A PATH on which no `dot` executable can be found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def need_dot() -> None:
    """The `dot` executable; skipped only on a machine without it outside CI (.ci/run installs
    Graphviz, so CI never skips)."""
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("no `dot` on the PATH (install Graphviz to run this; CI must not skip)")


def hide_pygraphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # the next import raises ImportError


# ---- the DOT text


def test_each_value_is_a_box_with_label_data_and_grad() -> None:
    source = draw_dot(neuron(), number_format=".4f").source
    a = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.1)))  # the activation, by hand
    assert "<TD>w</TD><TD>data 0.8000</TD>" in source
    assert f"<TD>C</TD><TD>data {(a - 0.5) ** 2:.4f}</TD><TD>grad 1.0000</TD>" in source
    # d C / d w = 2 (a - y) * a (1 - a) * x
    assert (
        f"<TD>w</TD><TD>data 0.8000</TD><TD>grad {2 * (a - 0.5) * a * (1 - a) * 1.5:.4f}" in source
    )


def test_numbers_are_written_as_the_text_writes_them_by_default() -> None:
    source = draw_dot(Value(1.5e-7, "x") * Value(0.25, "y")).source
    assert "data 1.5e-07" in source  # 4 decimals would have made it 0.0000
    assert "data 0.25</TD>" in source


def test_every_box_shows_the_name_the_text_uses() -> None:
    x, w = Value(1.5, "x"), Value(0.8, "w")
    out = (x * w + 2).tanh()
    out.label = "out"
    source = draw_dot(out).source
    # the order visits second inputs first: the constant 2 (0), w, x, x*w (3), the sum (4), out
    assert '<TD STYLE="dashed"><FONT COLOR="#6b7280"><I>const0</I></FONT></TD>' in source
    assert '<TD><FONT COLOR="#6b7280"><I>mul3</I></FONT></TD>' in source
    assert '<TD><FONT COLOR="#6b7280"><I>add4</I></FONT></TD>' in source
    assert "<TD>out</TD>" in source and "<TD>x</TD>" in source  # labelled: plain


def test_node_ids_are_the_views() -> None:
    cost = neuron()
    view = GraphView(cost)
    source = draw_dot(cost).source
    for node in view.order:
        name = view.id(node)
        assert f"\t{name} [label=<" in source and f"id={name} " in source
        assert (f"\t{name}_op [" in source) == bool(node.op)
    last = view.id(cost)
    assert f"{last}_op -> {last} [class=output id={last}_out]" in source


def test_a_node_used_twice_shows_two_edges() -> None:
    a = Value(3.0, label="a")
    square = a * a
    source = draw_dot(square).source
    assert "\tn0 -> n1_op [class=input id=n1_in0]" in source
    assert "\tn0 -> n1_op [class=input id=n1_in1]" in source


@pytest.mark.parametrize(
    ("make", "ports"),
    [
        (lambda x, y: x - y, ("a", "b")),
        (lambda x, y: x / y, ("a", "b")),
        (lambda x, y: x**y, ("base", "exp")),
    ],
)
def test_inputs_that_do_not_commute_end_at_named_ports(
    make: Callable[[Value, Value], Value], ports: tuple[str, str]
) -> None:
    y, x = Value(2.0, "y"), Value(3.0, "x")
    out = make(x, y)  # x first, though y was made first: x is the left operand
    view = GraphView(out)
    source = draw_dot(out).source
    op = f"{view.id(out)}_op"
    assert f"{view.id(x)} -> {op}:in0 " in source
    assert f"{view.id(y)} -> {op}:in1 " in source
    assert f'<TD PORT="in0"><FONT POINT-SIZE="9">{ports[0]}</FONT></TD>' in source
    assert f'<TD PORT="in1"><FONT POINT-SIZE="9">{ports[1]}</FONT></TD>' in source


def test_the_ports_show_in_the_svg_next_to_their_edges() -> None:
    y, x = Value(2.0, "y"), Value(3.0, "x")
    texts = svg_texts(render_bytes(draw_dot(x - y), "svg"))
    assert {"a", "b", "-"} <= set(texts)


def test_commutative_ops_have_no_ports() -> None:
    source = draw_dot(Value(2.0, "y") * Value(3.0, "x")).source
    assert "PORT=" not in source


def test_legend_names_the_roles_present() -> None:
    source = draw_dot(neuron(), legend=True).source
    assert "parameter (weight or bias)" in source
    assert "input (a labelled leaf)" in source
    assert "constant" not in source  # the neuron has no number in it
    assert "legend" not in draw_dot(neuron()).source


def test_the_dot_text_is_identical_in_another_process() -> None:
    script = (
        "from tests.test_viz import neuron; from micrograd_like.viz import draw_dot; "
        "print(draw_dot(neuron()).source, end='')"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": "", "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert other.stdout == draw_dot(neuron()).source


def test_show_grad_false_draws_the_forward_pass_only() -> None:
    source = draw_dot(neuron(), show_grad=False).source
    assert "data 0.8" in source
    assert "grad" not in source


def test_number_format_applies_to_data_and_grad() -> None:
    source = draw_dot(Value(1234.5, label="x"), number_format=".2e").source
    assert "data 1.23e+03" in source
    assert "grad 0.00e+00" in source


def test_rankdir_sets_the_direction_and_rejects_others() -> None:
    assert "rankdir=TB" in draw_dot(neuron(), rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB"):
        draw_dot(neuron(), rankdir="up")


def test_a_bad_number_format_is_named() -> None:
    with pytest.raises(ValueError, match="number_format 'x' is not a float format"):
        draw_dot(neuron(), number_format="x")


def test_colours_tell_inputs_constants_parameters_output_and_ops_apart() -> None:
    w, b = Parameter(0.8, label="w"), Parameter(0.1, label="b")
    x, y = Value(1.5, label="x"), Value(0.5, label="y")
    cost = 2 * ((w * x + b).sigmoid() - y) ** 2
    source = draw_dot(cost).source
    lines = {
        line.split(" ", 1)[0].strip(): line for line in source.splitlines() if " [label=" in line
    }
    for i, node in enumerate(cost.topological_order()):
        if node is cost:
            expected = "root"
        elif node.label in ("w", "b"):
            expected = "parameter"
        elif node.label in ("x", "y"):
            expected = "input"
        elif node.op:
            expected = "intermediate"
        else:
            expected = "constant"  # the 2: a number lifted into the graph
        assert f'BGCOLOR="{ROLE_FILLS[expected]}"' in lines[f"n{i}"], node
        assert f'class="value {expected}"' in lines[f"n{i}"]
        if node.op:
            assert f'fillcolor="{OP_FILL}"' in lines[f"n{i}_op"]
    assert len(set(ROLE_FILLS.values())) == len(ROLE_FILLS)


def test_highlighted_nodes_and_edges_are_outlined() -> None:
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    product = x * w
    out = product.tanh()
    source = draw_dot(out, highlight_nodes=[product], highlight_edges=[(w, product)]).source
    order = out.topological_order()
    p, iw, ix = order.index(product), order.index(w), order.index(x)
    lines = source.splitlines()
    assert any(line.startswith(f"\tn{p} [") and 'BORDER="3"' in line for line in lines)
    assert f"\tn{iw} -> n{p}_op [class=input color=" in source
    assert f"\tn{ix} -> n{p}_op [class=input id=n{p}_in0]\n" in source  # stays plain
    assert source.count('BORDER="3"') == 1


def test_highlighting_something_outside_the_graph_is_an_error() -> None:
    x = Value(2.0, label="x")
    out = x.exp()
    with pytest.raises(ValueError, match="highlight_nodes has Value"):
        draw_dot(out, highlight_nodes=[Value(1.0)])
    with pytest.raises(ValueError, match="first is not an input of the second"):
        draw_dot(out, highlight_edges=[(out, x)])


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"max_nodes": None},
            TypeError,
            "max_nodes must be a whole number of at least 1, got None",
        ),
        ({"max_nodes": 0}, ValueError, "max_nodes must be a whole number of at least 1, got 0"),
        ({"max_nodes": 2.5}, TypeError, "max_nodes must be a whole number"),
        ({"highlight_edges": [Value(1.0)]}, TypeError, "highlight_edges must hold .input, output."),
        ({"highlight_edges": [(1, 2)]}, TypeError, r"pairs of Values, got \(1, 2\)"),
        ({"highlight_edges": Value(1.0)}, TypeError, "highlight_edges must be a list or a set"),
        ({"highlight_nodes": [3]}, TypeError, "highlight_nodes must hold Values, got int: 3"),
        ({"show_grad": "no"}, TypeError, "show_grad must be True or False"),
        ({"legend": 1}, TypeError, "legend must be True or False"),
        ({"format": "gif"}, ValueError, "format must be one of svg, png, pdf, dot, got 'gif'"),
    ],
)
def test_bad_options_are_named_before_any_work(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        draw_dot(neuron(), **options)


def test_drawing_a_number_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match=r"draw_dot: root must be a Value, got float: 3\.0"):
        draw_dot(3.0)  # type: ignore[arg-type]


def test_drawing_leaves_every_grad_and_value_as_it_was() -> None:
    cost = neuron()
    before = [(node.data, node.grad) for node in cost.topological_order()]
    draw_dot(cost, legend=True)
    assert [(node.data, node.grad) for node in cost.topological_order()] == before


# ---- escaping

HOSTILE_LABELS = [
    'say "hi"',
    "{a|b}",
    "<b>bold</b> & <i>",
    "back\\slash\\N\\G\\\\",
    "line one\nline two",
    '"]; evil [label="injected"]; x -> y; //',
    "}}>>{{<<",
    "bell\x07",
]


def test_hostile_labels_do_not_change_the_graph_structure() -> None:
    def graph(labels: list[str]) -> pygraphviz.AGraph:
        leaves = [Value(float(i), label=label) for i, label in enumerate(labels)]
        total = leaves[0]
        for leaf in leaves[1:]:
            total = total + leaf
        total.label = labels[0]
        return pygraphviz.AGraph(string=draw_dot(total).source)

    plain, hostile = graph(["n"] * len(HOSTILE_LABELS)), graph(HOSTILE_LABELS)
    assert hostile.number_of_nodes() == plain.number_of_nodes()
    assert hostile.number_of_edges() == plain.number_of_edges()


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_a_hostile_label_renders_as_its_own_text(label: str) -> None:
    # as the text prints the name (view.printable): a newline or a bell as its Python escape,
    # so that the name in the box is the name in the printed steps, on one line
    texts = svg_texts(render_bytes(draw_dot(Value(1.0, label=label)), "svg"))
    assert texts[0] == label.replace("\x07", "\\x07").replace("\n", "\\n")


# ---- rendering


@pytest.mark.parametrize("file_format", ["svg", "png", "pdf"])
def test_renders_with_the_dot_executable(file_format: str, monkeypatch: pytest.MonkeyPatch) -> None:
    need_dot()
    hide_pygraphviz(monkeypatch)  # so only `dot` can have made the picture
    data = render_bytes(draw_dot(neuron()), file_format)
    assert data.startswith(MAGIC[file_format])


@pytest.mark.parametrize("file_format", ["svg", "png", "pdf"])
def test_renders_with_pygraphviz_when_dot_is_not_on_the_path(
    file_format: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hide_dot(monkeypatch, tmp_path)
    data = render_bytes(draw_dot(neuron()), file_format)
    assert data.startswith(MAGIC[file_format])


def test_svg_shows_the_numbers_by_either_renderer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    need_dot()
    with monkeypatch.context() as only_dot:
        hide_pygraphviz(only_dot)  # so this picture can only come from `dot`
        with_dot = svg_texts(render_bytes(draw_dot(neuron()), "svg"))
    hide_dot(monkeypatch, tmp_path)
    without_dot = svg_texts(render_bytes(draw_dot(neuron()), "svg"))
    for texts in (with_dot, without_dot):
        assert {"w", "data 0.8", "data 1.5", "C", "data 0.0817", "sigmoid"} <= set(texts)


def test_with_no_renderer_the_error_names_both_fixes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hide_dot(monkeypatch, tmp_path)
    hide_pygraphviz(monkeypatch)
    with pytest.raises(RendererNotFound, match=r"`dot` is on the PATH.*pip install pygraphviz"):
        render_bytes(draw_dot(neuron()), "svg")


def test_an_unknown_render_format_is_named() -> None:
    with pytest.raises(ValueError, match="format must be one of svg, png, pdf or dot, got 'gif'"):
        render_bytes(draw_dot(neuron()), "gif")


# ---- size limit


def test_a_large_graph_is_refused_with_its_size_and_the_way_out() -> None:
    total = Value(0.0)
    for i in range(1_250):  # 4 nodes a term (i, 0.5, product, sum): 5,001 in all
        total = total + Value(float(i)) * 0.5
    with pytest.raises(
        GraphTooLarge, match=r"has 5,001 nodes, more than max_nodes=600.*max_nodes=5001"
    ):
        draw_dot(total, max_nodes=600)


def test_a_graph_of_exactly_max_nodes_is_drawn() -> None:
    chain = Value(1.0)
    for _ in range(9):
        chain = chain.tanh()
    assert "\tn9 [" in draw_dot(chain, max_nodes=10).source
    with pytest.raises(GraphTooLarge, match="has 10 nodes, more than max_nodes=9"):
        draw_dot(chain, max_nodes=9)


def test_a_huge_graph_is_refused_and_the_advice_keeps_the_guard_on() -> None:
    chain = Value(1.0)
    for _ in range(5_000):
        chain = chain.tanh()
    with pytest.raises(GraphTooLarge, match="has more than 1,000 nodes, more than max_nodes=100"):
        draw_dot(chain, max_nodes=100)
    # following the advice (max_nodes=1000) still refuses the 5,001 nodes, exactly counted
    with pytest.raises(GraphTooLarge, match=r"has 5,001 nodes, more than max_nodes=1000"):
        draw_dot(chain, max_nodes=1000)


def test_the_count_is_exact_past_the_old_100000_node_cap() -> None:
    chain = Value(1.0)
    for _ in range(100_001):
        chain = chain + 1.0  # 2 nodes each: 200,003 in all
    with pytest.raises(GraphTooLarge, match=r"has 200,003 nodes, more than max_nodes=100002"):
        draw_dot(chain, max_nodes=100_002)


# ---- files and notebooks


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_save_graph_picks_the_format_from_the_suffix(suffix: str, tmp_path: Path) -> None:
    path = save_graph(neuron(), tmp_path / f"graph{suffix}")
    assert path.read_bytes().startswith(MAGIC[suffix[1:]])
    assert [p.name for p in tmp_path.iterdir()] == [f"graph{suffix}"]  # no temporary file left


def test_save_graph_writes_dot_text_for_dot(tmp_path: Path) -> None:
    path = save_graph(neuron(), tmp_path / "graph.dot", rankdir="TB")
    assert path.read_text() == draw_dot(neuron(), rankdir="TB").source


def test_save_graph_with_an_unknown_suffix_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot tell the format of 'graph.gif'"):
        save_graph(neuron(), tmp_path / "graph.gif")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_render_leaves_no_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hide_dot(monkeypatch, tmp_path)
    hide_pygraphviz(monkeypatch)
    with pytest.raises(RendererNotFound):
        save_graph(neuron(), tmp_path / "graph.svg")
    assert not (tmp_path / "graph.svg").exists()


def test_notebook_display_is_svg_even_without_dot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hide_dot(monkeypatch, tmp_path)
    bundle = draw_dot(neuron())._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    svg = bundle["image/svg+xml"]
    assert isinstance(svg, str)
    assert "data 0.8" in svg


def test_save_graph_refuses_a_missing_folder_before_drawing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_drawing(*_: object, **__: object) -> None:
        raise AssertionError("drew before checking the path")

    monkeypatch.setattr("micrograd_like.viz.draw_dot", no_drawing)
    with pytest.raises(FileNotFoundError, match=r"the folder .* does not exist"):
        save_graph(neuron(), tmp_path / "nowhere" / "graph.svg")
    with pytest.raises(TypeError, match="save_graph: path must be a str or a Path, got int: 3"):
        save_graph(neuron(), 3)  # type: ignore[arg-type]


def test_save_graph_refuses_a_folder_or_a_read_only_file_before_drawing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_drawing(*_: object, **__: object) -> None:
        raise AssertionError("drew before checking the path")

    monkeypatch.setattr("micrograd_like.viz.draw_dot", no_drawing)
    (tmp_path / "graph.svg").mkdir()
    with pytest.raises(
        IsADirectoryError, match=rf"^save_graph: cannot write {tmp_path / 'graph.svg'}: it is a"
    ):
        save_graph(neuron(), tmp_path / "graph.svg")
    locked = tmp_path / "locked.svg"
    locked.write_text("old")
    locked.chmod(0o444)
    with pytest.raises(PermissionError, match=rf"^save_graph: cannot write {locked}: the file is"):
        save_graph(neuron(), locked)
    assert locked.read_text() == "old"


def test_save_graph_names_the_users_path_in_every_path_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "graph.svg"
    with pytest.raises(FileNotFoundError) as error:
        save_graph(neuron(), missing)
    assert str(error.value) == (
        f"save_graph: cannot write {missing}: the folder {tmp_path / 'nowhere'} does not exist"
    )
    with pytest.raises(ValueError, match="save_graph: path must not contain a NUL"):
        save_graph(neuron(), "graph\0.svg")


# ---- many drawings at once


def drawings() -> list[Any]:
    """Three small graphs, each with a label of its own."""
    return [draw_dot(Value(float(k), label=f"only{k}") * 2) for k in range(3)]


def test_render_svgs_lays_out_many_graphs_in_one_run_of_dot(
    monkeypatch: pytest.MonkeyPatch, program_runs: list[list[str]]
) -> None:
    need_dot()
    hide_pygraphviz(monkeypatch)  # so only `dot` can have made the pictures
    runs = program_runs
    pictures = render_svgs(drawings())
    assert len(runs) == 1 and runs[0][1:] == ["-Tsvg"]
    assert len(pictures) == 3
    for k, picture in enumerate(pictures):
        assert picture.startswith("<svg") and picture.endswith("</svg>")
        texts = svg_texts(picture.encode())
        assert f"only{k}" in texts and not {f"only{j}" for j in range(3) if j != k} & set(texts)


def test_render_svgs_without_dot_draws_each_graph_with_pygraphviz(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hide_dot(monkeypatch, tmp_path)
    pictures = render_svgs(drawings())
    assert [f"only{k}" in svg_texts(p.encode()) for k, p in enumerate(pictures)] == [True] * 3
    assert all(p.startswith("<svg") and p.rstrip().endswith("</svg>") for p in pictures)
    assert render_svgs([]) == []


def test_render_svgs_says_what_dot_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    need_dot()
    hide_pygraphviz(monkeypatch)
    broken = drawings()
    broken[1].body.append("\tn0 -> ;\n")  # not DOT
    with pytest.raises(RuntimeError, match=r"render_bytes: .*dot failed: .*syntax error"):
        render_svgs(broken)


def test_viz_is_the_one_module_that_runs_a_program() -> None:
    package = Path(__file__).resolve().parent.parent / "micrograd_like"
    running = sorted(
        path.name
        for path in package.glob("*.py")
        if "subprocess" in path.read_text(encoding="utf-8")
        or 'which("dot")' in path.read_text(encoding="utf-8")
    )
    assert running == ["viz.py"]


# ---- the slide layout, local derivatives, and drawings part-way through a pass

SLIDE_WIDTH_PX = 1920


def svg_width_px(svg: bytes) -> float:
    """The picture's width as a browser shows it (Graphviz writes points: 4/3 px each)."""
    found = re.search(rb'<svg width="([\d.]+)pt"', svg)
    assert found is not None
    return float(found[1]) * 4 / 3


def svg_scale(svg: bytes) -> float:
    found = re.search(rb'class="graph" transform="scale\(([\d.]+)', svg)
    assert found is not None
    return float(found[1])


def seeds_342_network() -> Value:
    from demos.network_page import seed_network

    _, error = seed_network()
    error.backward()
    return error


def softmax_cross_entropy() -> Value:
    from demos.seed_softmax import LOGITS
    from micrograd_like import losses

    logits = [Value(z, label=f"z{k}") for k, z in enumerate(LOGITS)]
    cost = losses.cross_entropy(logits, 0)
    cost.backward()
    return cost


def one_neuron_chain() -> Value:
    from demos.seed_one_neuron_layers import build

    return build().cost


@pytest.mark.parametrize("make", [seeds_342_network, softmax_cross_entropy, one_neuron_chain])
def test_the_slide_layout_fits_1920_px_with_its_text_at_its_natural_size(
    make: Callable[[], Value],
) -> None:
    root = make()
    wide = render_bytes(draw_dot(root), "svg")
    slide = render_bytes(draw_dot(root, layout="slide"), "svg")
    assert svg_width_px(wide) > SLIDE_WIDTH_PX  # each is too wide for a slide as it was
    assert svg_width_px(slide) <= SLIDE_WIDTH_PX
    assert svg_scale(slide) == 1.0  # not shrunk to fit: the 11 pt text stays 14.7 px
    assert 'font-size="11.00"' in slide.decode()
    assert slide.count(b'class="node value') == wide.count(b'class="node value')  # every box


def test_the_slide_layout_draws_a_network_top_to_bottom_and_a_chain_in_bands() -> None:
    assert draw_dot(seeds_342_network(), layout="slide").graph_attr["rankdir"] == "TB"
    chain = one_neuron_chain()
    graph = draw_dot(chain, layout="slide")
    assert graph.graph_attr["layout"] == "neato"  # pinned where the bands put each node
    svg = render_bytes(graph, "svg")
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    tops = {}
    for group in root.iter(f"{ns}g"):
        ys = [float(y) for text in group.iter(f"{ns}text") for y in [text.get("y", "0")]]
        if group.get("id") and ys:
            tops[group.get("id")] = min(ys)
    view = GraphView(chain)
    (a0,) = [node for node in view.order if node.label == "a0"]  # the chain's input
    first, last = view.id(a0), view.id(chain)
    assert tops[last] - tops[first] > 36 * 4 / 3  # the cost is at least a band's gap lower
    # every box, op and edge of the wide drawing is there, once
    wide = render_bytes(draw_dot(chain), "svg")
    for kind in (b'class="node', b'class="edge'):
        assert svg.count(kind) == wide.count(kind)


def test_a_chain_that_fits_is_not_wrapped() -> None:
    graph = draw_dot(neuron(), layout="slide")
    assert "layout" not in graph.graph_attr
    assert "<TR><TD>w</TD></TR><TR><TD>data 0.8</TD></TR>" in graph.source  # cells stacked


def test_show_local_writes_each_local_derivative_on_its_edge() -> None:
    w, x = Value(0.8, label="w"), Value(1.5, label="x")
    out = (w * x).tanh()
    out.label = "out"
    texts = svg_texts(render_bytes(draw_dot(out, show_local=True, number_format=".2f"), "svg"))
    product = GraphView(out).name(out.inputs[0])
    assert f"∂{product}/∂w = 1.50" in texts  # ∂(w x)/∂w is x
    assert f"∂{product}/∂x = 0.80" in texts
    tanh_slope = 1 - math.tanh(1.2) ** 2
    assert f"∂out/∂{product} = {tanh_slope:.2f}" in texts
    assert not any("∂" in text for text in svg_texts(render_bytes(draw_dot(out), "svg")))


def shared_x() -> tuple[Value, Value, Value, Value]:
    """out = x*y + x: x is used twice, so its gradient is partial until both uses have stepped."""
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    m = x * y
    m.label = "m"
    out = m + x
    out.label = "out"
    return out, m, x, y


def box_cells(svg: bytes, node_id: str) -> list[ElementTree.Element]:
    """The text elements inside the SVG group of one node."""
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    for group in root.iter(f"{ns}g"):
        if group.get("id") == node_id:
            return list(group.iter(f"{ns}text"))
    raise AssertionError(f"no node {node_id}")


def grad_cell(svg: bytes, node_id: str) -> ElementTree.Element | None:
    found = [text for text in box_cells(svg, node_id) if (text.text or "").startswith("grad")]
    return found[0] if found else None


def test_a_drawing_part_way_through_a_pass_shows_only_the_gradients_reached() -> None:
    from micrograd_like import backward_steps
    from micrograd_like.viz import FINAL, PARTIAL

    out, m, x, y = shared_x()
    view = GraphView(out)
    steps = []
    for step in backward_steps(out):
        steps.append(step)
        if step.node is out:
            break
    before = [(node.data, node.grad) for node in view.order]
    svg = render_bytes(draw_dot(out, steps=steps, legend=True), "svg")
    assert [(node.data, node.grad) for node in view.order] == before  # drawing changes nothing
    # after out's step: m and x have a share each; y has none yet (not "grad 0.0")
    assert grad_cell(svg, view.id(y)) is None
    x_grad, m_grad = grad_cell(svg, view.id(x)), grad_cell(svg, view.id(m))
    assert x_grad is not None and m_grad is not None
    assert x_grad.text == "grad 1.0" and x_grad.get("fill") == PARTIAL  # m has not stepped
    assert x_grad.get("font-style") == "italic"
    assert m_grad.get("fill") == FINAL and m_grad.get("font-weight") == "bold"
    source = draw_dot(out, steps=steps).source
    assert f'\t{view.id(out)}_op -> {view.id(out)} [class=output color="#dc2626"' in source
    assert source.count('BORDER="3" COLOR="#dc2626"') == 1  # the one current box
    # and after m's step too, x is final: both its users have passed their share back
    more = list(backward_steps(out))[:2]
    after = render_bytes(draw_dot(out, steps=more), "svg")
    x_after = grad_cell(after, view.id(x))
    assert x_after is not None and x_after.text == "grad 4.0" and x_after.get("fill") == FINAL


def test_every_box_keeps_its_size_part_way_through_a_pass() -> None:
    from micrograd_like import backward_steps

    out, *_ = shared_x()
    taken = list(backward_steps(out))
    from micrograd_like.viz import DrawOptions, PassState, pass_state, plan

    # with the widths an animation keeps, blank, partial, final and outlined boxes are all
    # one size: the numbers are monospaced and padded, the outline's room always there
    view = GraphView(out)
    widths = {node: (12, 12) for node in view.order}
    sizes = []
    for k in range(len(taken) + 1):
        state = pass_state(view, taken[:k])
        kept = PassState(state.grads, state.final, state.current, widths=widths)
        laid = pygraphviz.AGraph(string=plan(view, DrawOptions(state=kept)).graph().source)
        laid.layout(prog="dot")
        sizes.append({n.name: (n.attr["width"], n.attr["height"]) for n in laid.nodes()})
    assert all(each == sizes[0] for each in sizes)
    assert len(set(sizes[0].values())) > 1  # (boxes and ops do differ)


def test_steps_must_be_this_graphs_backward_steps() -> None:
    from micrograd_like import backward_steps

    out, *_ = shared_x()
    other = Value(1.0, label="other") * 2
    with pytest.raises(TypeError, match=r"draw_dot: steps must hold the records backward_steps"):
        draw_dot(out, steps=[1])  # type: ignore[list-item]
    with pytest.raises(
        ValueError, match=r"draw_dot: steps has a step of .*not in the graph of out"
    ):
        draw_dot(out, steps=list(backward_steps(other)))
    with pytest.raises(TypeError, match="draw_dot: steps must be a list or a set"):
        draw_dot(out, steps=Value(1.0))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"layout": "big"}, ValueError, "draw_dot: layout must be one of 'wide', 'slide'"),
        ({"show_local": 1}, TypeError, "draw_dot: show_local must be True or False, got 1"),
        ({"focus": 3}, TypeError, "draw_dot: focus must be a Value, got int"),
    ],
)
def test_the_new_options_are_named_when_wrong(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        draw_dot(neuron(), **options)


def test_partial_and_final_are_the_pages_colours() -> None:
    from micrograd_like.page import asset
    from micrograd_like.viz import FINAL, PARTIAL

    css = asset("page.css")
    assert re.search(rf"\.backprop \.partial \{{[^}}]*color: {PARTIAL};", css)
    assert re.search(rf"\.backprop \.final \{{[^}}]*color: {FINAL};", css)


def test_render_many_lays_out_many_graphs_in_one_run_of_dot_in_any_format(
    monkeypatch: pytest.MonkeyPatch, program_runs: list[list[str]]
) -> None:
    from micrograd_like.viz import render_many

    need_dot()
    hide_pygraphviz(monkeypatch)
    for file_format in ("png", "pdf", "json", "svg"):
        program_runs.clear()
        pictures = render_many(drawings(), file_format)
        assert len(program_runs) == 1 and len(pictures) == 3
        magic = {"json": b"{", "svg": b"<?xml"}.get(file_format, MAGIC.get(file_format, b""))
        assert all(picture.startswith(magic) for picture in pictures)
        assert len(set(pictures)) == 3
    with pytest.raises(
        ValueError, match="render_many: format must be one of svg, png, pdf or json"
    ):
        render_many(drawings(), "gif")


def test_render_many_without_dot_draws_pinned_graphs_with_their_engine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from micrograd_like.viz import render_many

    hide_dot(monkeypatch, tmp_path)
    graph = draw_dot(one_neuron_chain(), layout="slide")  # pinned: laid out by neato
    assert graph.graph_attr["layout"] == "neato"
    (svg,) = render_many([graph], "svg")
    assert svg_width_px(svg) <= SLIDE_WIDTH_PX and b"data 1.5" in svg


def test_ffmpeg_missing_is_named_with_the_ways_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from micrograd_like.viz import FfmpegNotFound, find_ffmpeg

    hide_dot(monkeypatch, tmp_path)  # an empty PATH: no ffmpeg there either
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(FfmpegNotFound, match=r"apt install ffmpeg.*pip install imageio-ffmpeg"):
        find_ffmpeg()
