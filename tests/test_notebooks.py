"""The notebooks in demos/notebooks/, each run top to bottom in a fresh kernel exactly as
`make notebooks` runs them: no cell fails, nothing is written to stderr, the pictures and the
widgets are there with the seeds' numbers, and the committed outputs are the ones the code
makes now."""

from __future__ import annotations

import json
import re
from typing import Any

import nbformat
import pytest

from demos.notebooks.build import NOTEBOOKS, WIDGET_VIEW, execute, widget_views
from micrograd_like.notebook import BackpropWidget

NAMES = [
    "1_the_graph",
    "2_watch_backprop",
    "3_train_a_network",
    "4_the_seeds_lessons",
    "5_misconceptions",
    "6_inside_microgpt",
    "7_derivatives_of_derivatives",
]


@pytest.fixture(scope="module")
def executed() -> dict[str, Any]:
    return {path.stem: execute(path) for path in NOTEBOOKS}


def outputs(notebook: Any, mime: str) -> list[Any]:
    return [
        output["data"][mime]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if mime in output.get("data", {})
    ]


def printed(notebook: Any) -> str:
    return "".join(
        output["text"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output["output_type"] == "stream"
    )


def texts(notebook: Any) -> list[list[str]]:
    """Each code cell's outputs as text (what it printed, its plain repr): the same with `dot`
    or pygraphviz drawing, and on any machine."""
    return [
        [
            output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            for output in cell.outputs
        ]
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


def test_the_four_notebooks_are_there() -> None:
    assert [path.stem for path in NOTEBOOKS] == NAMES


def test_every_cell_runs_and_nothing_goes_to_stderr(executed: dict[str, Any]) -> None:
    for name, notebook in executed.items():  # a failing cell raised in execute() already
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.execution_count is not None, (name, cell.source)
                for output in cell.outputs:
                    assert output["output_type"] != "error", (name, cell.source)
                    assert output.get("name") != "stderr", (name, output.get("text"))


def test_the_committed_outputs_are_current(executed: dict[str, Any]) -> None:
    for path in NOTEBOOKS:
        committed = nbformat.read(path, as_version=4)
        assert texts(committed) == texts(executed[path.stem]), (
            f"{path.name} holds outputs the notebook no longer makes: run `make notebooks`"
        )
        assert all(  # and every picture and widget is committed too
            len(a.outputs) == len(b.outputs)
            for a, b in zip(committed.cells, executed[path.stem].cells, strict=True)
            if a.cell_type == "code"
        ), f"{path.name}: run `make notebooks`"


def test_the_graph_is_drawn_inline_before_and_after_backward(executed: dict[str, Any]) -> None:
    notebook = executed["1_the_graph"]
    pictures = outputs(notebook, "image/svg+xml")
    assert len(pictures) == 3
    assert all("<svg" in svg for svg in pictures)
    assert "grad" not in pictures[0] and "grad 0.1443" in pictures[1]  # dC/dW after backward()
    assert "dC/dW = 0.1443" in printed(notebook)
    assert "g = 24.7041, dg/da = 138.8338, dg/db = 645.5773" in printed(notebook)  # micrograd's


def test_watch_backprop_steps_through_seed_002_with_the_shared_front_end(
    executed: dict[str, Any],
) -> None:
    notebook = executed["2_watch_backprop"]
    assert len(outputs(notebook, WIDGET_VIEW)) == 2  # seed 002's one weight, the one-neuron chain
    one_weight, chain = widget_views(notebook)
    for widget in (one_weight, chain):
        assert widget["_esm"] == BackpropWidget._esm  # the page's own script and style
        assert widget["_css"] == BackpropWidget._css
    steps = [step["text"] for step in json.loads(one_weight["data"])["steps"]]
    assert any("dC/dw += ∂a/∂w × dC/da = 1.5 × 1.4 = 2.1" in text for text in steps)
    assert "w.grad before backward(): 0.0" in printed(notebook)  # the widget left it alone
    assert "dC/da = 1.4, dC/dw = 2.1" in printed(notebook)
    assert "dC/dW2: 1 path from C to W2" in printed(notebook)  # explain()


def test_the_network_trains_with_a_live_picture_then_one_example_is_stepped(
    executed: dict[str, Any],
) -> None:
    notebook = executed["3_train_a_network"]
    assert len(outputs(notebook, "image/png")) == 1  # one picture, updated in place
    assert "accuracy 100%" in printed(notebook)
    (example,) = widget_views(notebook)
    data = json.loads(example["data"])
    assert data["root"] == "C"
    assert any(node["name"] == "L1.N1.w1" for node in data["nodes"])  # the whole network
    assert any(float(step["upstream"]) != 0 for step in data["steps"][2:])  # gradient flows
    assert [x["name"] for x in data["network"]["inputs"]] == ["x1", "x2"]
    assert len(data["network"]["steps"]) == 6 + 6 + 1  # the network view: one step a neuron


def test_the_seeds_lessons_show_their_numbers_and_pictures(executed: dict[str, Any]) -> None:
    notebook = executed["4_the_seeds_lessons"]
    text = printed(notebook)
    for number in (
        "outer 3 * inner 6 = 18",  # the chain rule at x = 3
        "2(a - y) * i = 1.4 * 1.5 = 2.1",  # one weight
        "engine grad (10, 15)",  # partial derivatives at (1, 2)
        "theta1 * theta2 = 2.000000",  # the cost surface's valley
        "engine 0.063609",  # dC/dW_L of the one-neuron chain
        "largest difference over all 26",  # the 3-4-2 network
        "tanh hidden layer on f(x) = x^2",
        "p - y = [-0.340999, 0.242433, 0.098566]",  # softmax
    ):
        assert number in text
    assert len(outputs(notebook, "image/png")) == 4
    assert len(outputs(notebook, "image/svg+xml")) == 2


def test_the_misconceptions_show_their_wrong_numbers_beside_the_right_ones(
    executed: dict[str, Any],
) -> None:
    notebook = executed["5_misconceptions"]
    text = printed(notebook)
    for shown in (
        "w     2.1       4.2       2.1          <- parts: 2.1 + 2.1",  # backward() twice
        "AccumulationWarning: this backward pass from C adds into leaf grads that already hold "
        "a gradient: w.grad = 2.1 before the pass",  # warn_accumulate()
        "x     10.0      6.0     10.0         <- parts",  # = for +=, seed 003 at (1, 2)
        "w     2.1       0.0             2.1          <- parts",  # creation order
        "h     -0.1354   -0.1354              -0.1354      <- passed on -0.0758",  # breadth-first
        "2     0.59    0.1482    0.59    0.1482  3.255   1.155    1.155",  # no zero_grad()
        "the cost rose at 45 of 99 steps (lowest 0.0637 at step 21, 2.7741 at step 100)",
        "RecursionError with",
        "all 1,505 nodes in order; backward() fine",
    ):
        assert shown in text
    pictures = outputs(notebook, "image/svg+xml")
    assert len(pictures) == 4 and all("#dc2626" in svg for svg in pictures)  # red: they part
    assert len(outputs(notebook, "image/png")) == 1  # the two runs' costs


def test_inside_microgpt_trains_with_the_live_model_view(executed: dict[str, Any]) -> None:
    notebook = executed["6_inside_microgpt"]
    text = printed(notebook)
    assert "1,264 weights in 9 matrices" in text
    found = re.search(r"loss ([\d.]+) over the first 50 steps, ([\d.]+) over the last 50", text)
    assert found is not None and float(found[2]) < float(found[1])  # it learned
    (view,) = widget_views(notebook)  # the model view, as the last update left it
    assert view["step"] == 300
    data = json.loads(view["data"])
    assert [group["name"] for group in data["groups"]][:2] == ["wte", "wpe"]
