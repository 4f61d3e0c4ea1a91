"""The graph drawing: DOT text, escaping, colours, highlights, size limit, and real renders
with and without a `dot` executable on the PATH."""

from __future__ import annotations

import math
import os
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
