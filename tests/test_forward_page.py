"""Forward mode beside the backward pass: `save_backprop_html(C, path, forward=W)`, the data of
its tab (micrograd_like.forward_tab) and the tab itself (page/forward.js) in headless Chromium.

The oracle is `derivatives.forward_steps(C, W)` for the steps, `explain(C, W)` for the paths
and the engine's own backward pass for the comparison; the seeds' one neuron (W = 0.8,
a_prev = 1.5, b = 0.1, y = 0.5, O = W a_prev + b, a = sigmoid(O), C = (a - y)^2) ends on
dC/dW = 0.1443 both ways."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from demos import forward_page
from demos.network_page import seed_network
from micrograd_like import page
from micrograd_like.derivatives import forward_steps
from micrograd_like.engine import Value
from micrograd_like.forward_tab import MAX_PATHS
from micrograd_like.page import backprop_data, save_backprop_html
from micrograd_like.steps import explain
from micrograd_like.view import GraphView
from tests.chromium import chromium
from tests.test_page_scripts import render_widget, served  # noqa: F401  (a fixture)


def one_neuron() -> tuple[Value, Value]:
    """The seeds' cost C = (sigmoid(W a_prev + b) - y)^2 (its nodes named as in the README's
    steps: mul4, sub7), and its weight W."""
    weight, a_prev, b, y = Value(0.8, "W"), Value(1.5, "a_prev"), Value(0.1, "b"), Value(0.5, "y")
    output = weight * a_prev + b
    output.label = "O"
    activation = output.sigmoid()
    activation.label = "a"
    cost = (activation - y) ** 2
    cost.label = "C"
    return cost, weight


def square_plus_itself() -> tuple[Value, Value]:
    """y = x*x + x at x = 1.5: three paths from y down to x, dy/dx = 1.5 + 1.5 + 1 = 4."""
    x = Value(1.5, "x")
    y = x * x + x
    y.label = "y"
    return y, x


def state(root: Value) -> list[tuple[float, float]]:
    return [(node.data, node.grad) for node in root.topological_order()]


# ---- the data


def test_each_step_is_forward_steps_line_on_the_drawings_node() -> None:
    cost, weight = one_neuron()
    data = backprop_data(cost, forward=weight)
    forward, view = data["forward"], GraphView(cost)
    steps = forward_steps(cost, weight)
    assert [s["text"] for s in forward["steps"]] == [step.text() for step in steps]
    assert [s["node"] for s in forward["steps"]] == [view.id(step.node) for step in steps]
    assert [s["tangent"] for s in forward["steps"]] == [
        "0.0", "0.0", "0.0", "1.0", "1.5", "1.5", "0.2524", "0.2524", "0.1443"
    ]  # fmt: skip
    assert forward["steps"][-1]["text"] == (
        "dC/dW = ∂C/∂sub7 × dsub7/dW = 0.5717 × 0.2524 = 0.1443"
    )
    mul4 = forward["steps"][4]  # dmul4/dW reads W's and a_prev's tangents along its two edges
    assert (mul4["name"], mul4["inputs"], mul4["edges"]) == (
        "mul4",
        [view.id(weight), view.id(cost.topological_order()[2])],
        ["n4_in0", "n4_in1"],
    )
    assert [s["seed"] for s in forward["steps"]].index(True) == 3  # W itself, dW/dW = 1
    for each in forward["steps"]:  # every id the script outlines is in the drawing
        for shape in [each["node"], *each["inputs"], *each["edges"]]:
            assert f'id="{shape}"' in data["svg"]
    assert (forward["title"], forward["name"], forward["node"]) == ("dC/dW", "W", view.id(weight))
    assert data["steps"][forward["reached"] - 1]["name"] == "mul4"  # W's last (only) user
    assert backprop_data(cost)["forward"] is None


def test_the_end_compares_the_passes_number_factors_and_count() -> None:
    cost, weight = one_neuron()
    end = backprop_data(cost, forward=weight)["forward"]["end"]
    assert end["summary"] == [
        "dC/dW = 0.1443 both ways:",
        "  backward pass, step 5: dC/dW += ∂mul4/∂W × dC/dmul4 = 1.5 × 0.0962 = 0.1443",
        "  forward mode, step 9: dC/dW = ∂C/∂sub7 × dsub7/dW = 0.5717 × 0.2524 = 0.1443",
    ]
    (table,) = end["paths"]["tables"]
    assert table["rows"] == [
        ["start", "dC/dC = 1", "start", "dW/dW = 1"],
        ["× ∂C/∂sub7 = 0.5717", "dC/dsub7 = 0.5717", "× ∂mul4/∂W = 1.5", "dmul4/dW = 1.5"],
        ["× ∂sub7/∂a = 1.0", "dC/da = 0.5717", "× ∂O/∂mul4 = 1.0", "dO/dW = 1.5"],
        ["× ∂a/∂O = 0.1683", "dC/dO = 0.0962", "× ∂a/∂O = 0.1683", "da/dW = 0.2524"],
        ["× ∂O/∂mul4 = 1.0", "dC/dmul4 = 0.0962", "× ∂sub7/∂a = 1.0", "dsub7/dW = 0.2524"],
        ["× ∂mul4/∂W = 1.5", "dC/dW = 0.1443", "× ∂C/∂sub7 = 0.5717", "dC/dW = 0.1443"],
    ]
    assert end["count"] == (
        "The count: forward mode found dC/dW alone, in one pass over all 9 nodes. The whole "
        "gradient of C needs one such pass per input: 4 passes (y, b, a_prev, W), 36 node "
        "steps. The backward pass found dC/dx for all 4 of them, and for every other node x, "
        "in one pass of 9 steps."
    )


def test_the_running_products_of_one_path_are_the_gradients_and_the_tangents() -> None:
    """Down the only path, the backward pass's running product at each node is its gradient
    dC/dnode (the page's own backward steps); up it, forward mode's is its tangent dnode/dW
    (the forward tab's own steps)."""
    cost, weight = one_neuron()
    data = backprop_data(cost, forward=weight)
    gradients = {s["name"]: s["upstream"] for s in data["steps"]}
    tangents = {s["name"]: s["tangent"] for s in data["forward"]["steps"]}
    (table,) = data["forward"]["end"]["paths"]["tables"]
    for row in table["rows"][1:]:
        backward, forward = row[1], row[3]
        down = re.fullmatch(r"dC/d(\w+) = (\S+)", backward)
        up = re.fullmatch(r"d(\w+)/dW = (\S+)", forward)
        assert down is not None and up is not None
        assert down[2] == gradients[down[1]]
        assert up[2] == tangents[up[1]]


def test_several_paths_are_each_multiplied_both_ways_and_added() -> None:
    y, x = square_plus_itself()
    forward = backprop_data(y, forward=x)["forward"]
    paths = explain(y, x).paths
    tables = forward["end"]["paths"]["tables"]
    assert [t["title"] for t in tables] == ["path 1 of 3", "path 2 of 3", "path 3 of 3"]
    for table, path in zip(tables, paths, strict=True):
        down = [row[0] for row in table["rows"][1:]]
        up = [row[2] for row in table["rows"][1:]]
        assert down == [f"× ∂{f.node}/∂{f.input} = {f.local}" for f in path.factors]
        assert up == down[::-1]  # the same local derivatives, in the other order
        last = table["rows"][-1]
        assert last[1] == last[3] == f"so far = {path.product}"
    assert "dy/dx = 1.5 + 1.5 + 1.0" in forward["end"]["paths"]["note"]
    assert forward["end"]["summary"][0] == "dy/dx = 4.0 both ways:"
    assert forward["end"]["summary"][1:3] == [  # x's three shares, at two backward steps
        "  backward pass, step 1: dy/dx += ∂y/∂x × dy/dy = 1.0 × 1.0 = 1.0",
        "  backward pass, step 2: dy/dx += ∂mul1/∂x × dy/dmul1 = 1.5 × 1.0 = 1.5",
    ]
    assert forward["reached"] == 2


def test_too_many_paths_are_not_set_out_but_named() -> None:
    x = Value(0.5, "x")
    total = x
    for _ in range(MAX_PATHS):
        total = total + x  # MAX_PATHS + 1 paths from the sum down to x
    total.label = "s"
    paths = backprop_data(total, forward=x)["forward"]["end"]["paths"]
    assert paths["tables"] == []
    assert "explain(s, x) writes each one" in paths["note"]


def test_every_data_and_grad_is_left_as_it_was(tmp_path: Path) -> None:
    cost, weight = one_neuron()
    cost.backward()
    cost.backward()  # leaf grads now hold two passes: nothing may reset or add to them
    before = state(cost)
    save_backprop_html(cost, tmp_path / "page.html", forward=weight)
    backprop_data(cost, forward=weight, quiz=True)
    assert state(cost) == before


def no_page(*_: object, **__: object) -> None:
    raise AssertionError("built the page before checking forward=")


@pytest.mark.parametrize(
    ("forward", "error", "message"),
    [
        (3, TypeError, "forward must be a Value of the graph .*, got int: 3"),
        ("W", TypeError, "forward must be a Value of the graph .*, got str: 'W'"),
        (
            Value(0.8, "W2"),
            ValueError,
            r"forward=Value\(data=0.8, grad=0.0, label='W2'\) is not in the graph of C, which "
            r"does not depend on it: give one of its own nodes, such as its inputs y, b, a_prev",
        ),
    ],
)
def test_forward_must_be_a_node_of_the_graph_checked_before_any_work(
    forward: object,
    error: type[Exception],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cost, _ = one_neuron()
    monkeypatch.setattr(page, "_collect", no_page)
    with pytest.raises(error, match=f"^save_backprop_html: {message}"):
        save_backprop_html(cost, tmp_path / "page.html", forward=forward)  # type: ignore[arg-type]
    with pytest.raises(error, match=f"^backprop_data: {message}"):
        backprop_data(cost, forward=forward)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_the_widget_carries_the_forward_tab_in_its_data() -> None:
    notebook = pytest.importorskip("micrograd_like.notebook")
    cost, weight = one_neuron()
    widget = notebook.BackpropWidget(cost, forward=weight)
    assert json.loads(widget.data) == backprop_data(cost, forward=weight)
    assert repr(widget) == (
        "BackpropWidget: the backward pass of C in 9 steps, forward mode for dC/dW beside it "
        "(run the notebook to step through it)"
    )
    assert json.loads(notebook.show_backprop(cost).data)["forward"] is None


def test_the_demo_writes_both_pages(tmp_path: Path) -> None:
    one, network = forward_page.write(tmp_path)
    assert (one.name, network.name) == ("forward.html", "forward_network.html")
    assert '"title":"dC/dW"' in one.read_text(encoding="utf-8")
    assert '"title":"dE/dL1.N1.w1"' in network.read_text(encoding="utf-8")


# ---- in Chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), window=(1280, 1000)) as driver:
        yield driver


def console(driver: WebDriver) -> list[str]:
    """Everything the page wrote to the console since the last call."""
    log = driver.get_log("browser")  # type: ignore[attr-defined]  # Chromium's, not WebDriver's
    return [str(entry["message"]) for entry in log]


def text(driver: WebDriver, css: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, css).text)


# what the forward tab draws: the text under each box, by node id, and what is outlined
DRAWN = """
const pane = document.querySelector(arguments[0]);
const under = {};
for (const t of pane.querySelectorAll(".graph text.graph-tangent")) under[t.parentNode.id] =
  t.textContent;
const marked = (c) => [...pane.querySelectorAll(".graph ." + c)].map((g) => g.id).sort();
return {under: under, current: marked("current"), reading: marked("reading")};
"""


def drawn(driver: WebDriver, pane: str) -> dict[str, Any]:
    found: dict[str, Any] = driver.execute_script(DRAWN, pane)
    return found


def test_the_forward_tab_steps_by_keys_and_buttons_through_forward_steps(
    browser: WebDriver, tmp_path: Path
) -> None:
    cost, weight = one_neuron()
    data = backprop_data(cost, forward=weight)["forward"]
    browser.get(save_backprop_html(cost, tmp_path / "page.html", forward=weight).as_uri())
    console(browser)
    pane = "#backprop .pane-forward"
    assert browser.find_elements(By.CSS_SELECTOR, f"{pane} *") == []  # mounted when opened
    tab = browser.find_element(By.CSS_SELECTOR, "#backprop button.tab-forward")
    assert tab.text == "Forward mode: dC/dW (9 steps)"
    tab.click()
    assert text(browser, f"{pane} .status") == (
        "Forward mode: values only (9 steps to go, one per node, inputs first)"
    )
    assert text(browser, f"{pane} .lines") == data["intro"]
    assert drawn(browser, pane)["under"] == {s["node"]: "" for s in data["steps"]}
    body = browser.find_element(By.TAG_NAME, "body")
    for k, step in enumerate(data["steps"], 1):
        if k % 2:
            body.send_keys(Keys.ARROW_RIGHT)
        else:
            browser.find_element(By.CSS_SELECTOR, f"{pane} button.next").click()
        assert text(browser, f"{pane} .lines") == step["text"], k
        assert text(browser, f"{pane} .status").startswith(f"Step {k} of 9: {step['name']} ")
        shown = drawn(browser, pane)
        assert shown["under"] == {  # the tangents the pass has reached, and no other
            s["node"]: f"d/dW {s['tangent']}" if n < k else "" for n, s in enumerate(data["steps"])
        }
        outlined = [step["node"], *step["edges"]]
        if step["edges"]:
            outlined += [step["node"] + "_op", step["node"] + "_out"]
        assert shown["current"] == sorted(outlined), k
        assert shown["reading"] == sorted(step["inputs"]), k
        assert (text(browser, f"{pane} .forward-end") != "") == (k == 9)
    assert text(browser, f"{pane} .lines").endswith("= 0.1443")
    end = text(browser, f"{pane} .forward-end")
    assert "dC/dW = 0.1443 both ways:" in end and "forward mode found dC/dW alone" in end
    assert end.count("dC/dW = 0.1443") == 3  # the summary, and both columns' last products
    body.send_keys(Keys.ARROW_LEFT)
    assert text(browser, f"{pane} .lines") == data["steps"][7]["text"]
    body.send_keys(Keys.HOME)
    assert text(browser, f"{pane} .lines") == data["intro"]
    body.send_keys(Keys.END)
    assert text(browser, f"{pane} .lines") == data["steps"][-1]["text"]
    # the backward tab did not move with those keys; back on it, they step the backward pass
    browser.find_element(By.CSS_SELECTOR, "#backprop button.tab-backward").click()
    backward = "#backprop .pane-backward"
    assert text(browser, f"{backward} .status").startswith("Forward pass: values only")
    body.send_keys(Keys.ARROW_RIGHT)
    assert text(browser, f"{backward} .status") == "Step 1 of 9: C (**2)"
    browser.find_element(By.CSS_SELECTOR, "#backprop button.tab-forward").click()
    assert text(browser, f"{pane} .status") == "Step 9 of 9: C (**2)"  # where it was left
    assert console(browser) == []


def reveal_up_to(driver: WebDriver, data: dict[str, Any], last: int) -> None:
    """In the backward tab, from where it is to step `last`, each question revealed (Esc)."""
    body = driver.find_element(By.TAG_NAME, "body")
    for step in data["steps"][:last]:
        body.send_keys(Keys.ARROW_RIGHT)
        for _ in [line for line in step["lines"] if "ask" in line]:
            driver.switch_to.active_element.send_keys(Keys.ESCAPE)


ANYWHERE = 'return document.getElementById("backprop").textContent;'


def test_in_quiz_mode_dC_dW_waits_until_the_backward_pass_reaches_W(
    browser: WebDriver, tmp_path: Path
) -> None:
    """The backward pass gives W its gradient at step 5 (mul4 passes its share back). Until
    that step's question is answered, the forward tab's last step ends "= ?", nothing in the
    page, hidden or not, holds dC/dW = 0.1443, and the tab holds no comparison (whose running
    products are backward gradients, dC/dO = 0.0962 among them)."""
    cost, weight = one_neuron()
    data = backprop_data(cost, forward=weight, quiz=True)
    forward = data["forward"]
    assert forward["reached"] == 5
    browser.get(save_backprop_html(cost, tmp_path / "q.html", forward=weight, quiz=True).as_uri())
    console(browser)
    pane = "#backprop .pane-forward"
    for answered in [0, 4]:
        browser.find_element(By.CSS_SELECTOR, "#backprop button.tab-backward").click()
        reveal_up_to(browser, data, answered)
        browser.find_element(By.CSS_SELECTOR, "#backprop button.tab-forward").click()
        browser.find_element(By.CSS_SELECTOR, f"{pane} button.last").click()
        assert text(browser, f"{pane} .lines") == (
            "dC/dW = ∂C/∂sub7 × dsub7/dW = 0.5717 × 0.2524 = ?"
        )
        assert text(browser, f"{pane} .forward-end") == forward["held"]["note"]
        assert drawn(browser, pane)["under"][forward["steps"][-1]["node"]] == "d/dW ?"
        assert "0.1443" not in browser.execute_script(ANYWHERE), answered
        tab = browser.execute_script(f'return document.querySelector("{pane}").textContent;')
        assert "0.0962" not in tab, answered  # no comparison, no backward running product
        assert "0.2524" in tab  # tangents are no gradient: they show
    browser.find_element(By.CSS_SELECTOR, "#backprop button.tab-backward").click()
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)  # step 5
    browser.switch_to.active_element.send_keys("0.1443", Keys.ENTER)  # dC/dW, right
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)  # dC/da_prev, revealed
    browser.find_element(By.CSS_SELECTOR, "#backprop button.tab-forward").click()
    assert text(browser, f"{pane} .lines") == forward["steps"][-1]["text"]
    assert "dC/dW = 0.1443 both ways:" in text(browser, f"{pane} .forward-end")
    browser.find_element(By.CSS_SELECTOR, "#backprop .quiz-switch").click()  # off, then on:
    browser.find_element(By.CSS_SELECTOR, "#backprop .quiz-switch").click()  # answered stays
    assert text(browser, f"{pane} .lines") == forward["steps"][-1]["text"]
    assert console(browser) == []


def test_a_networks_forward_tab_sits_beside_the_backward_pass_in_its_graph_tab(
    browser: WebDriver, tmp_path: Path
) -> None:
    model, error = seed_network()
    weight = model.parameters()[0]
    last = forward_steps(error, weight)[-1].text()
    browser.get(save_backprop_html(error, tmp_path / "n.html", forward=weight).as_uri())
    console(browser)
    browser.find_element(By.CSS_SELECTOR, "#backprop button.tab-scalar").click()
    browser.find_element(By.CSS_SELECTOR, ".pane-scalar button.tab-forward").click()
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
    assert text(browser, ".pane-forward .lines") == last
    assert last.startswith("dE/dL1.N1.w1 = ") and last.endswith("= 0.0247")
    assert "2 paths from E down to L1.N1.w1" in text(browser, ".pane-forward .forward-end")
    assert console(browser) == []


def test_the_widget_steps_its_forward_tab_with_the_keys(
    browser: WebDriver,
    served: tuple[Path, str],  # noqa: F811  (the fixture imported above)
) -> None:
    """In the widget (anywidget's module, widget.js), a key goes to the stepper shown: with
    the forward tab open, the forward one."""
    cost, weight = one_neuron()
    data = backprop_data(cost, forward=weight)
    render_widget(browser, served, data)
    browser.find_element(By.CSS_SELECTOR, ".backprop-widget button.tab-forward").click()
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert text(browser, ".pane-forward .lines") == data["forward"]["steps"][1]["text"]
    backward = browser.find_element(By.CSS_SELECTOR, ".pane-backward .status")
    assert str(backward.get_attribute("textContent")).startswith("Forward pass: values only")
    assert console(browser) == []
