"""The notebook widget, without a notebook: it shares the page's front-end and data, it leaves
every gradient as it was, and without anywidget it says how to install it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from micrograd_like.engine import Value
from micrograd_like.latex import katex_script, katex_style
from micrograd_like.notebook import BackpropWidget, show_backprop
from micrograd_like.page import asset, backprop_data, script, style

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def one_weight() -> tuple[Value, Value, Value]:
    """Seed 002: a = i * w, C = (a - y)^2 with i = 1.5, w = 0.8, y = 0.5."""
    i, w, y = Value(1.5, label="i"), Value(0.8, label="w"), Value(0.5, label="y")
    a = i * w
    a.label = "a"
    cost = (a - y) ** 2
    cost.label = "C"
    return cost, a, w


def test_the_widget_is_the_page_script_and_style_with_the_page_data() -> None:
    cost, _, _ = one_weight()
    widget = BackpropWidget(cost)
    # KaTeX first (its script defines micrograd_like_katex before the page's scripts run),
    # then page/widget.js and the scripts it imports; the page's style, then KaTeX's
    assert widget._esm == katex_script() + script("widget.js")
    assert 'mountBackprop(el, JSON.parse(model.get("data")));' in widget._esm
    assert widget._css == style() + katex_style()
    assert widget._css.startswith(asset("page.css"))
    assert "function mountTabs(el, data, options)" in widget._esm  # the network view too
    assert json.loads(widget.data) == backprop_data(cost)


def test_the_seed_002_numbers_are_in_its_steps() -> None:
    cost, _, _ = one_weight()
    steps = [step["text"] for step in json.loads(show_backprop(cost).data)["steps"]]
    assert any("dC/da += ∂sub4/∂a × dC/dsub4 = 1.0 × 1.4 = 1.4" in text for text in steps)
    assert any("dC/dw += ∂a/∂w × dC/da = 1.5 × 1.4 = 2.1" in text for text in steps)


def test_the_widget_leaves_every_gradient_as_it_found_it() -> None:
    cost, a, w = one_weight()
    nodes = cost.topological_order()
    for k, node in enumerate(nodes):
        node.grad = 100.0 + k  # whatever the user's program left there
    before = [(node.data, node.grad) for node in nodes]
    BackpropWidget(cost)
    assert [(node.data, node.grad) for node in nodes] == before
    cost.backward()  # and the user's own backward pass is unaffected (leaves accumulate)
    assert a.grad == pytest.approx(1.4)
    assert w.grad == pytest.approx(100.0 + nodes.index(w) + 2.1)


def test_the_notebook_gets_the_widget_view_and_a_plain_text_summary() -> None:
    cost, _, _ = one_weight()
    widget = show_backprop(cost)
    shown = widget._repr_mimebundle_()
    assert shown is not None
    bundle, _ = shown
    assert bundle[WIDGET_VIEW]["model_id"] == widget.model_id
    assert bundle["text/plain"].startswith("BackpropWidget: the backward pass of C in 6 steps")


def test_drawing_options_go_to_the_page_data_and_are_checked() -> None:
    cost, _, _ = one_weight()
    assert json.loads(BackpropWidget(cost, rankdir="TB").data) == backprop_data(cost, rankdir="TB")
    with pytest.raises(ValueError, match="rankdir"):
        BackpropWidget(cost, rankdir="sideways")


def keys(data: object) -> set[str]:
    """Every key of every dict in `data`, however deep."""
    if isinstance(data, dict):
        return set(data).union(*(keys(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(keys(value) for value in data))
    return set()


def test_the_widget_typesets_its_formulas_unless_told_not_to() -> None:
    cost, _, _ = one_weight()
    typeset = json.loads(BackpropWidget(cost).data)
    assert all("tex" in line for step in typeset["steps"] for line in step["lines"])
    plain = json.loads(BackpropWidget(cost, typeset=False).data)
    assert {key for key in keys(typeset) if key.endswith("tex")} == {"tex", "rule_tex", "hints_tex"}
    assert {key for key in keys(plain) if key.endswith("tex")} == set()  # its text alone
    assert plain == backprop_data(cost, typeset=False)
    with pytest.raises(TypeError, match=r"^backprop_data: typeset must be True or False, got 1"):
        BackpropWidget(cost, typeset=1)


def test_a_root_that_is_not_a_value_is_a_type_error_naming_the_widget() -> None:
    with pytest.raises(
        TypeError, match=r"BackpropWidget: root must be a Value \(the cost\), got float: 1\.4"
    ):
        show_backprop(1.4)  # type: ignore[arg-type]


def test_without_anywidget_the_error_gives_an_install_command() -> None:
    hide = "import sys; sys.modules['anywidget'] = None\n"  # as if it were not installed
    run = subprocess.run(
        [sys.executable, "-c", hide + "import micrograd_like.notebook"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: micrograd_like.notebook needs anywidget")
    assert "`%pip install anywidget`" in last
    assert "`python -m pip install anywidget`" in last
