"""Worksheets: the key's numbers are the engine's (the seeds' worked examples), what is asked and
drawn, the options and their errors, the graph left as it was found, hostile labels, and, in
headless Chromium, the pages printed on A4 and Letter."""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from selenium.webdriver.remote.webdriver import WebDriver

from demos import common
from demos import worksheet as worksheet_demo
from demos.network_page import seed_network
from demos.one_neuron_graph import build as one_neuron
from demos.seed_342_network import initial_parameters, vectorised_gradients
from micrograd_like import (
    MLP,
    Value,
    backward_steps,
    save_worksheet,
    worksheet,
    worksheet_questions,
)
from micrograd_like.view import GraphView
from micrograd_like.viz import DrawOptions, draw_view
from micrograd_like.worksheet import Question
from tests.chromium import chromium


def seed_002() -> tuple[Value, Value, Value]:
    """Seed 002's single weight: a = i * w, C = (a - y)^2 with i = 1.5, w = 0.8, y = 0.5."""
    w = Value(0.8, "w")
    a = Value(1.5, "i") * w
    a.label = "a"
    cost = (a - 0.5) ** 2
    cost.label = "C"
    return cost, a, w


def expression() -> tuple[Value, Value, Value]:
    """Seed 003's f = 2x^2 + 3xy + y^3 at x = 1, y = 2: x and y each feed two ops."""
    x, y = Value(1.0, "x"), Value(2.0, "y")
    f = 2 * x**2 + 3 * x * y + y**3
    f.label = "f"
    return f, x, y


def named(questions: list[Question]) -> dict[str, Question]:
    return {q.name: q for q in questions}


def state(root: Value) -> list[tuple[float, float]]:
    return [(node.data, node.grad) for node in root.topological_order()]


def result(key: str, line_start: str) -> str:
    """The bold answer at the end of the key's line that starts with `line_start`."""
    found = re.search(re.escape(line_start) + r'[^<]* = <span class="result">([^<]*)</span>', key)
    assert found is not None, f"no key line {line_start!r}"
    return found[1]


# ---- the key's numbers are the engine's


def test_the_keys_numbers_are_seed_002s_and_the_engines(tmp_path: Path) -> None:
    cost, a, w = seed_002()
    questions = named(worksheet_questions(cost))
    cost.backward()
    assert questions["a"].answer == a.grad  # bit for bit
    assert questions["w"].answer == w.grad
    key = save_worksheet(cost, tmp_path / "sheet.html").read_text(encoding="utf-8")
    # the seed's dC/da = 2(a - y) = 1.4, dC/dw = dC/da × da/dw = 1.4 × 1.5 = 2.1
    assert result(key, "dC/da = ") == "1.4"
    assert "dC/dw = ∂a/∂w × dC/da = i × dC/da = 1.5 × 1.4 = " in key
    assert result(key, "dC/dw = ") == "2.1"


def test_the_keys_numbers_are_the_one_neurons_and_the_engines(tmp_path: Path) -> None:
    cost = one_neuron()
    questions = named(worksheet_questions(cost))
    a = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.1)))  # the seeds' neuron by hand
    d_o = 2 * (a - 0.5) * a * (1 - a)  # dC/dO = dC/da × σ'(O)
    assert questions["O"].answer == pytest.approx(d_o, rel=1e-12)
    assert questions["W"].answer == pytest.approx(d_o * 1.5, rel=1e-12)  # × ∂O/∂W = a_prev
    cost.backward()
    every = {node.label: node for node in cost.topological_order() if node.label}
    assert questions["O"].answer == every["O"].grad
    assert questions["W"].answer == every["W"].grad
    key = save_worksheet(cost, tmp_path / "sheet.html").read_text(encoding="utf-8")
    assert result(key, "dC/dO = ∂a/∂O × dC/da = sigmoid(O) * (1 - sigmoid(O)) × dC/da") == "0.0962"
    assert result(key, "dC/dW = ∂mul4/∂W × dC/dmul4 = a_prev × dC/dmul4 = 1.5 × 0.0962") == "0.1443"


@pytest.mark.parametrize("build", [one_neuron, lambda: seed_002()[0], lambda: expression()[0]])
def test_every_answer_is_the_engines_grad_and_the_sum_of_its_shares(build: Any) -> None:
    cost: Value = build()
    questions = worksheet_questions(cost)
    cost.backward()
    for q in questions:
        assert q.answer == q.node.grad
        total = 0.0
        for share in q.shares:  # in the engine's order, as backward() adds them
            assert share.contribution == share.local * share.upstream
            total += share.contribution
        assert total == q.answer


def test_a_node_used_twice_adds_its_shares_and_points_to_both_answers() -> None:
    f, _, _ = expression()
    questions = named(worksheet_questions(f))
    assert questions["x"].answer == 4 * 1.0 + 3 * 2.0  # seed 003: df/dx = 4x + 3y
    assert questions["y"].answer == 3 * 1.0 + 3 * 2.0**2  # df/dy = 3x + 3y^2
    asked = questions["x"].text()
    assert asked.count("/∂x × df/d") == 2 and asked.count("(answer\u00a0") == 2  # two ops
    key = questions["x"].key()
    # x**2 passes back 2x × (2, from 2 * x**2), and 3 * x passes back 3 × (y, from (3x) * y)
    assert key.endswith("= 2.0 × 2.0 + 3.0 × 2.0 = 10.0")
    assert "2 * x**(2 - 1) × df/dpow" in key  # the local derivative's formula, from the engine


def test_questions_follow_the_backward_pass_and_name_earlier_answers() -> None:
    cost = one_neuron()
    questions = worksheet_questions(cost)
    order = [step.name for step in backward_steps(cost, constants=False)]
    assert [q.name for q in questions] == [name for name in order if name != "C"]
    assert [q.number for q in questions] == list(range(1, len(questions) + 1))
    by_node = {q.node: q.number for q in questions}
    for q in questions:
        for share in q.shares:
            # the upstream gradient is an earlier answer (or the root's 1)
            assert share.from_root or share.question == by_node[share.user] < q.number
    assert questions[0].text() == "dC/dsub7 = ∂C/∂sub7 × dC/dC (= 1)"
    assert questions[1].text() == "dC/da = ∂sub7/∂a × dC/dsub7 (answer\u00a01)"


# ---- what is asked: leaves, one layer's deltas, a random sample


def test_leaves_asks_the_inputs_weights_and_biases_but_no_constant() -> None:
    cost, _, _ = seed_002()
    assert [q.name for q in worksheet_questions(cost, ask="leaves")] == ["i", "w"]
    every = [q.name for q in worksheet_questions(cost)]
    assert not any(name.startswith("const") for name in every)  # the 0.5 is asked nowhere
    leaves = worksheet_questions(one_neuron(), ask="leaves")
    assert sorted(q.name for q in leaves) == ["W", "a_prev", "b", "y"]
    assert all("(not asked)" in q.text() for q in leaves)  # their upstream is never a question


def test_deltas_are_the_seeds_vectorised_deltas_from_the_output_layer_back() -> None:
    _, error = seed_network()
    questions = worksheet_questions(error, ask="deltas")
    seeds = vectorised_gradients(initial_parameters()).biases  # dE/db_i = δ_i
    assert [q.delta.layer for q in questions if q.delta] == [2, 2, 1, 1, 1, 1]
    for q in questions:
        assert q.delta is not None
        assert q.answer == pytest.approx(seeds[q.delta.layer - 1][q.delta.index - 1], abs=1e-12)
    error.backward()
    assert all(q.answer == q.node.grad for q in questions)  # δ is z's grad, bit for bit


def test_one_layers_deltas_need_the_layer_above_and_the_key_works_w_transpose_delta() -> None:
    _, error = seed_network()
    questions = worksheet_questions(error, ask="deltas", layer=1)
    assert [q.delta.neuron for q in questions if q.delta] == [f"L1.N{k}" for k in (1, 2, 3, 4)]
    second = questions[1]
    assert second.delta is not None
    assert "from the layer above: the deltas δ_2 (not asked: work them out first)" in second.text()
    first, last = second.key().split("\n")
    # dE/da of L1.N2 = (W_2^T δ_2)[2] = Σ_j W_2[j,2] δ_2[j], by the weights' own names
    assert re.match(r"dE/d\w+ = \(W_2\^T δ_2\)\[2\] = L2\.N1\.w2 × δ_2\[1\] \+ L2\.N2\.w2", first)
    terms = second.delta.above
    assert sum(t.w * t.delta for t in terms) == pytest.approx(second.delta.da, rel=1e-12)
    assert last.startswith(f"δ_1[2] = dE/d{second.name} = ")
    assert second.answer == second.delta.slope * second.delta.da  # δ = σ'(z) × dE/da, exactly
    output = worksheet_questions(error, ask="deltas", layer=2)[0]
    assert "comes from the cost E: the output layer" in output.text()


def test_a_linear_neurons_delta_is_its_gradient_with_no_slope() -> None:
    model = MLP(2, [2, 1], activation="linear", seed=0)
    out = model([Value(1.0, "x1"), Value(-2.0, "x2")])
    assert isinstance(out, Value)
    cost = (out - 1.0) ** 2
    questions = worksheet_questions(cost, ask="deltas")
    cost.backward()
    assert all(q.answer == q.node.grad for q in questions)
    assert questions[1].text().startswith("δ of L1.N")
    assert "a linear neuron (a = z)" in questions[1].text()
    assert "σ'" not in questions[1].key()


def test_a_sample_is_drawn_by_its_seed_and_kept_in_the_passs_order() -> None:
    f, _, _ = expression()
    every = [q.name for q in worksheet_questions(f)]
    drawn = [q.name for q in worksheet_questions(f, sample=4, seed=7)]
    assert len(drawn) == 4 and drawn == [name for name in every if name in drawn]
    assert drawn == [q.name for q in worksheet_questions(f, sample=4, seed=7)]  # reproducible
    assert drawn == [q.name for q in worksheet_questions(f, sample=4, seed=random.Random(7))]
    assert drawn == [q.name for q in worksheet_questions(f, sample=4, seed=np.int64(7))]
    seeds = {tuple(q.name for q in worksheet_questions(f, sample=4, seed=s)) for s in range(20)}
    assert len(seeds) > 1  # the seed chooses
    state_before = random.getstate()
    worksheet_questions(f, sample=3)  # seed=None: a fresh draw, not the global generator
    assert random.getstate() == state_before
    numbers = [q.number for q in worksheet_questions(f, sample=4, seed=7)]
    assert numbers == [1, 2, 3, 4]


# ---- the graph is left as it was found


def test_a_worksheet_leaves_every_data_and_grad_exactly_as_it_found_them(tmp_path: Path) -> None:
    cost = one_neuron()
    cost.backward()
    cost.backward()  # leaf grads now hold two passes: the key still shows one fresh pass
    before = state(cost)
    questions = named(worksheet_questions(cost))
    save_worksheet(cost, tmp_path / "sheet.html", key_path=tmp_path / "key.html")
    assert state(cost) == before
    w = next(node for node in cost.topological_order() if node.label == "W")
    assert w.grad == 2 * questions["W"].answer


def test_grads_are_put_back_even_when_the_pass_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    cost = one_neuron()
    cost.backward()
    before = state(cost)

    def failing_steps(root: Value, **_: object) -> Iterator[object]:
        for node in root.topological_order():
            node.grad = 123.0  # half-way through, every grad changed
        yield from ()
        raise RuntimeError("the pass failed")

    monkeypatch.setattr(worksheet, "backward_steps", failing_steps)
    with pytest.raises(RuntimeError, match="the pass failed"):
        worksheet_questions(cost)
    assert state(cost) == before


def test_a_worksheet_made_while_a_stepping_pass_is_paused_leaves_that_pass_to_go_on(
    tmp_path: Path,
) -> None:
    x = Value(1.5, "x")
    y = x * x + x  # dy/dx = 2x + 1 = 4
    paused = backward_steps(y)
    next(paused)
    assert x.grad == 1.0
    save_worksheet(y, tmp_path / "sheet.html")
    assert x.grad == 1.0
    list(paused)  # no BackwardConflict: the worksheet's pass was put back, nothing took over
    assert x.grad == 4.0


# ---- the drawing: the forward pass with empty, numbered gradient boxes


def box_texts(page: str, view: GraphView, node: Value) -> list[str]:
    """The texts of one value box in the page's drawing, in order."""
    group = re.search(
        rf'<g id="{view.id(node)}" class="node value[^"]*">(.*?)</g>', page, flags=re.S
    )
    assert group is not None
    return re.findall(r"<text[^>]*>([^<]*)</text>", group[1])


def test_the_drawing_shows_values_and_numbered_empty_gradient_boxes(tmp_path: Path) -> None:
    cost, a, w = seed_002()
    questions = {q.node: q.number for q in worksheet_questions(cost)}
    page = save_worksheet(cost, tmp_path / "sheet.html").read_text(encoding="utf-8")
    view = GraphView(cost)
    assert box_texts(page, view, w) == ["w", "data 0.8", str(questions[w])]
    assert box_texts(page, view, a) == ["a", "data 1.2", str(questions[a])]
    assert box_texts(page, view, cost) == ["C", "data 0.49", "grad 1"]  # the one given
    constant = next(node for node in view.order if view.role(node) == "constant")
    assert box_texts(page, view, constant) == [view.name(constant), "data 0.5"]  # no box
    drawing = page[page.index('<g id="drawing">') : page.index("</defs>")]
    assert re.findall(r">grad [^<]*<", drawing) == [">grad 1<"]  # no gradient is given away


def test_a_node_not_asked_has_an_empty_box_to_work_in() -> None:
    cost = one_neuron()
    view = GraphView(cost)
    questions, constants = worksheet._questions(
        view, worksheet._Ask.check("test", cost, "leaves", None, None, None)
    )
    graph = draw_view(view, DrawOptions(show_grad=False))
    worksheet._boxes(graph, view, questions, constants)
    source = str(graph.source)
    empty = f'<TD WIDTH="{worksheet.BOX_WIDTH}" BGCOLOR="#ffffff"> </TD>'
    assert source.count(empty) == 4  # mul4, O, a and sub7: intermediate, not asked
    assert source.count("<B>") == 4  # the four leaves, numbered


def test_a_change_in_the_drawings_markup_is_an_error_not_a_silent_sheet() -> None:
    cost = one_neuron()
    view = GraphView(cost)
    questions, constants = worksheet._questions(
        view, worksheet._Ask.check("test", cost, "all", None, None, None)
    )
    graph = draw_view(view, DrawOptions(show_grad=False))
    graph.body[:] = [line.replace("</TR></TABLE>>", "</TR></TABLE> >") for line in graph.body]
    with pytest.raises(RuntimeError, match=r"cannot find where a box of viz\.draw_view ends"):
        worksheet._boxes(graph, view, questions, constants)


def test_a_small_drawing_stands_beside_the_questions_and_a_network_is_printed_in_parts(
    tmp_path: Path,
) -> None:
    neuron = save_worksheet(one_neuron(), tmp_path / "n.html").read_text(encoding="utf-8")
    assert '<div class="drawing beside">' in neuron
    assert neuron.count('<use href="#drawing"/>') == 1 and "<figcaption>" not in neuron
    _, error = seed_network()
    network = save_worksheet(error, tmp_path / "e.html", ask="deltas").read_text(encoding="utf-8")
    parts = network.count('<use href="#drawing"/>')
    assert parts > 1 and network.count('id="drawing"') == 1  # one drawing, seen in parts
    assert f"The drawing, part {parts} of {parts}: row " in network
    assert f"it is printed in {parts} overlapping parts, a page each, 1 row of {parts}" in network
    assert '<section class="questions after-parts">' in network


@given(
    width=st.floats(min_value=20, max_value=8000),
    height=st.floats(min_value=20, max_value=8000),
)
def test_the_parts_cover_the_drawing_fit_the_page_and_overlap(width: float, height: float) -> None:
    layout = worksheet._layout(worksheet._Drawing("", 0.0, 0.0, width, height))
    assert worksheet.MIN_SCALE * (1 - 1e-9) <= layout.scale <= 1.0
    windows = layout.windows()
    assert len(windows) == layout.parts == layout.columns * layout.rows
    page_width, page_height = worksheet.PAGE_WIDTH, worksheet.DRAWING_HEIGHT
    for x, y, w, h in windows:
        assert w * layout.scale <= page_width * (1 + 1e-9)
        assert h * layout.scale <= page_height * (1 + 1e-9)
        assert x >= -1e-9 and y >= -1e-9 and x + w <= width * (1 + 1e-9) + 1e-9
    for starts, size, total in (
        (sorted({x for x, _, _, _ in windows}), windows[0][2], width),
        (sorted({y for _, y, _, _ in windows}), windows[0][3], height),
    ):
        assert starts[0] == 0.0 and starts[-1] + size == pytest.approx(total)
        for first, second in itertools.pairwise(starts):  # each overlaps the next by OVERLAP
            assert first + size - second >= worksheet.OVERLAP * size * (1 - 1e-9)
    if layout.parts > 1:  # only a drawing that cannot be read whole is cut
        assert min(page_width / width, page_height / height) < worksheet.MIN_SCALE


# ---- the page: the key, numbers, labels


def test_the_key_follows_the_questions_or_goes_to_its_own_file(tmp_path: Path) -> None:
    cost, _, _ = seed_002()
    both = save_worksheet(cost, tmp_path / "both.html").read_text(encoding="utf-8")
    assert both.index('<main class="worksheet">') < both.index('<section class="key">')
    sheet = save_worksheet(cost, tmp_path / "sheet.html", key_path=tmp_path / "key.html")
    alone = (tmp_path / "key.html").read_text(encoding="utf-8")
    assert "Answer key" not in sheet.read_text(encoding="utf-8")
    assert '<section class="key alone">' in alone and "<main" not in alone
    key_of_both = both[both.index('<section class="key">') :]
    assert re.findall(r"<ol>.*</ol>", key_of_both, re.S) == re.findall(r"<ol>.*</ol>", alone, re.S)


def test_the_numbers_are_written_as_the_drawing_writes_them(tmp_path: Path) -> None:
    cost, _, _ = seed_002()
    page = save_worksheet(cost, tmp_path / "s.html", number_format=".2f").read_text("utf-8")
    assert "data 0.80" in page  # the drawing
    assert result(page, "dC/dw = ") == "2.10"  # the key: the shown precision
    assert "Give your answers in the format &#x27;.2f&#x27;." in page
    assert worksheet_questions(cost)[-1].key(".3f").endswith("1.500 × 1.400 = 2.100")


def test_hostile_labels_and_titles_are_shown_as_text(tmp_path: Path) -> None:
    w = Value(0.8, '</svg><script>alert("w")</script>')
    cost = (Value(1.5, "<img src=x onerror=alert(1)>") * w - 0.5) ** 2
    cost.label = "C&amp;"
    page = save_worksheet(
        cost, tmp_path / "sheet.html", title="</title><script>alert(2)</script>"
    ).read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page  # no element a label or title made
    assert "&lt;/svg&gt;&lt;script&gt;alert(&quot;w&quot;)&lt;/script&gt;" in page
    assert "&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "dC&amp;amp;/d" in page  # the label's own text, escaped once


# ---- every argument is checked first, naming it


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"ask": "some"}, ValueError, "ask must be one of all, leaves, deltas, got 'some'"),
        ({"layer": 1}, ValueError, "layer=1 asks one layer's deltas: give ask='deltas' too"),
        ({"ask": "deltas", "layer": 0}, ValueError, "layer must be a whole number of at least 1"),
        ({"ask": "deltas", "layer": True}, TypeError, "layer must be a whole number"),
        ({"ask": "deltas"}, ValueError, "ask='deltas' needs a network built with nn"),
        ({"sample": 0}, ValueError, "sample must be a whole number of at least 1, got 0"),
        ({"sample": 2.0}, TypeError, "sample must be a whole number"),
        ({"sample": 99}, ValueError, "sample=99 asks more questions than there are: 8 with"),
        ({"seed": 3}, ValueError, "seed=3 draws the questions of sample=; give sample too"),
        ({"sample": 1, "seed": "x"}, TypeError, "seed must be an int, a random.Random or None"),
        ({"title": 3}, TypeError, "title must be a str, got int"),
        ({"rankdir": "up"}, ValueError, "rankdir must be 'auto' or one of LR, TB, RL, BT"),
        ({"number_format": "q"}, ValueError, "number_format 'q' is not a float format"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be a whole number of at least 1"),
        ({"max_nodes": 3}, ValueError, "the graph has 9 nodes, more than max_nodes=3"),
    ],
)
def test_bad_arguments_are_refused_naming_them_and_nothing_is_written(
    options: dict[str, Any], error: type[Exception], message: str, tmp_path: Path
) -> None:
    cost = one_neuron()
    cost.backward()
    before = state(cost)
    with pytest.raises(error, match=re.escape(f"save_worksheet: {message}")):
        save_worksheet(cost, tmp_path / "sheet.html", **options)
    assert state(cost) == before
    assert list(tmp_path.iterdir()) == []


def test_bad_roots_and_paths_are_refused_naming_them(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="worksheet_questions: root must be a Value, got int"):
        worksheet_questions(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nothing to ask: mul2 depends on no node but constants"):
        worksheet_questions(Value(2.0) * 3)
    _, error = seed_network()
    with pytest.raises(ValueError, match=r"layer must be between 1 and 2 \(the network has 2"):
        worksheet_questions(error, ask="deltas", layer=3)
    cost = one_neuron()
    with pytest.raises(IsADirectoryError, match="give a file name such as"):
        save_worksheet(cost, tmp_path)
    with pytest.raises(FileNotFoundError, match=r"save_worksheet \(key_path\): cannot write"):
        save_worksheet(cost, tmp_path / "sheet.html", key_path=tmp_path / "no" / "key.html")
    with pytest.raises(ValueError, match="key_path must be another file than path"):
        save_worksheet(cost, tmp_path / "sheet.html", key_path=tmp_path / "." / "sheet.html")
    assert list(tmp_path.iterdir()) == []


# ---- the demo


def test_the_demo_writes_three_worksheets_and_their_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(common, "OUTPUT", tmp_path)
    worksheet_demo.main()
    printed = capsys.readouterr().out
    written = sorted(tmp_path.iterdir())
    assert [path.name for path in written] == [
        "worksheet_342.html",
        "worksheet_expression.html",
        "worksheet_neuron.html",
        "worksheet_neuron_key.html",
    ]
    assert all(str(path) in printed for path in written)
    texts = {path.name: path.read_text(encoding="utf-8") for path in written}
    assert "Answer key" in texts["worksheet_342.html"]  # after the questions
    assert "Answer key" not in texts["worksheet_neuron.html"]
    assert result(texts["worksheet_neuron_key.html"], "dC/dW = ") == "0.1443"
    expression_key = texts["worksheet_expression.html"]
    assert result(expression_key, "df/dx = ") == "10.0"  # seed 003: (4x + 3y, 3x + 3y^2)
    assert result(expression_key, "df/dy = ") == "15.0"


# ---- printed by Chromium: the pages on A4 and Letter


def page_count(pdf: bytes) -> int:
    """The pages of a PDF Chromium printed: its page objects, checked against the count at the
    root of its page tree, the largest (Chromium writes both as plain text; past 8 pages the
    tree has inner nodes with counts of their own)."""
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)]
    assert pdf.startswith(b"%PDF-") and counts and max(counts) == pages, (pages, counts)
    return pages


def overflow(driver: WebDriver, page: Path) -> dict[str, float]:
    """Laid out for print at the body's width (186 mm), how far anything reaches right, and how
    low the drawing's first part ends, in mm (the page area is 186 x 255.4 mm)."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": round(186 * 96 / 25.4), "height": 1000, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.get(page.resolve().as_uri())
    measured: dict[str, float] = driver.execute_script(
        """const mm = 25.4 / 96;
        // an element inside an <svg> reports its unclipped extent (a part's <use> the whole
        // drawing): the <svg> elements themselves are the windows that print
        const right = Math.max(...[...document.querySelectorAll("body *")]
            .filter((e) => !e.ownerSVGElement && !e.matches("svg.defs"))
            .map((e) => e.getBoundingClientRect().right));
        const part = document.querySelector("svg.part");
        return {right: right * mm, drawing: part.getBoundingClientRect().bottom * mm,
                scroll: document.documentElement.scrollWidth * mm};"""
    )
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    return measured


def parts_of(page: Path) -> int:
    parts = page.read_text(encoding="utf-8").count('<use href="#drawing"/>')
    assert parts > 1
    return parts


def test_the_worksheets_print_on_a4_and_letter_with_the_pages_expected(tmp_path: Path) -> None:
    """The seeds' neuron: its worksheet on one page and its key on one, or both in one file on
    two. Seed 002's two leaves: two pages, though sheet and key would fit on one: the key has
    its own. The 3-4-2 network's δ worksheet, and a chain drawn left to right in strips short
    enough to share a page: a page per part of the drawing, the questions on the next, the key
    on the last. Nothing reaches past the page's right edge on either paper, and the first part
    of each drawing ends on the first page."""
    neuron = save_worksheet(one_neuron(), tmp_path / "neuron.html", key_path=tmp_path / "key.html")
    both = save_worksheet(one_neuron(), tmp_path / "both.html")
    small = save_worksheet(seed_002()[0], tmp_path / "small.html", ask="leaves")
    _, error = seed_network()
    network = save_worksheet(error, tmp_path / "network.html", ask="deltas")
    # the longest head a sheet has: a title of two lines, the deltas' instructions, a caption;
    # drawn top to bottom, in parts as tall as a part may be
    tall = save_worksheet(
        error,
        tmp_path / "tall.html",
        ask="deltas",
        rankdir="TB",
        title="The 3-4-2 network of the seeds, drawn from top to bottom: the delta of every neuron",
    )
    chain = Value(0.5, "x")
    for _ in range(10):
        chain = chain.tanh()
    strips = save_worksheet(chain, tmp_path / "chain.html", rankdir="LR")
    expected = {
        neuron: 1,
        tmp_path / "key.html": 1,
        both: 2,
        small: 2,
        network: parts_of(network) + 2,
        tall: parts_of(tall) + 2,
        strips: parts_of(strips) + 2,
    }
    with chromium(tmp_path / "profile") as driver:
        for paper in worksheet_demo.PAPERS:
            printed = {
                page.name: page_count(worksheet_demo.print_pdf(driver, page, paper))
                for page in expected
            }
            wanted = {page.name: pages for page, pages in expected.items()}
            assert printed == wanted, (paper, printed)
        for page in (neuron, both, small, network, tall, strips):
            measured = overflow(driver, page)
            assert measured["right"] <= 186.01 and measured["scroll"] <= 186.01, (page, measured)
            assert measured["drawing"] <= 255.4, (page, measured)
