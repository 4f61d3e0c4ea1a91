"""The network view: an `nn` network seen as layers of neurons, its backward pass stepped one
neuron at a time with the seeds' delta formulas. The numbers on the page are checked against an
independent computation of those formulas on plain floats and lists (no engine), for micrograd's
demo network MLP(2, [16, 16, 1]) (982 nodes) and the seeds' 3-4-2 sigmoid network."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from demos.network_page import micrograd_network, seed_network
from demos.seed_342_network import INPUT, TARGET
from micrograd_like import network
from micrograd_like.engine import Value
from micrograd_like.network import find_network
from micrograd_like.nn import MLP
from micrograd_like.page import backprop_data, save_backprop_html
from micrograd_like.view import GraphView, format_number
from micrograd_like.viz import DrawOptions, draw_dot
from tests.chromium import chromium

Matrix = list[list[float]]


# ---- the oracle: the seeds' formulas on plain floats


def activate(kind: str, z: float) -> tuple[float, float]:
    """f(z) and f'(z)."""
    if kind == "relu":
        return max(z, 0.0), 1.0 if z > 0 else 0.0
    if kind == "sigmoid":
        s = 1 / (1 + math.exp(-z))
        return s, s * (1 - s)
    return z, 1.0  # linear


def seed_deltas(
    weights: list[Matrix],
    biases: list[list[float]],
    kinds: list[str],
    x0: list[float],
    dcost: object,
) -> list[list[float]]:
    """delta_L = dC/da_L * f'(z_L); delta_i = (W_{i+1}^T delta_{i+1}) * f'(z_i)."""
    xs, slopes = [x0], []
    for matrix, vector, kind in zip(weights, biases, kinds, strict=True):
        zs = [
            sum(w * x for w, x in zip(row, xs[-1], strict=True)) + b
            for row, b in zip(matrix, vector, strict=True)
        ]
        pairs = [activate(kind, z) for z in zs]
        xs.append([a for a, _ in pairs])
        slopes.append([s for _, s in pairs])
    assert callable(dcost)
    deltas = [[g * s for g, s in zip(dcost(xs[-1]), slopes[-1], strict=True)]]
    for i in range(len(weights) - 2, -1, -1):
        above, matrix = deltas[0], weights[i + 1]
        back = [
            sum(matrix[j][k] * above[j] for j in range(len(above))) for k in range(len(matrix[0]))
        ]
        deltas.insert(0, [g * s for g, s in zip(back, slopes[i], strict=True)])
    return deltas


def model_numbers(model: MLP) -> tuple[list[Matrix], list[list[float]], list[str]]:
    weights = [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers]
    biases = [[n.b.data for n in layer.neurons] for layer in model.layers]
    kinds = [layer.neurons[0].activation for layer in model.layers]
    return weights, biases, kinds


def demo_deltas(model: MLP) -> list[list[float]]:
    return seed_deltas(*model_numbers(model), [0.5, -1.0], lambda a: [2 * (a[0] - 1.0)])


def seed_342_deltas(model: MLP) -> list[list[float]]:
    return seed_deltas(
        *model_numbers(model), INPUT, lambda a: [ai - yi for ai, yi in zip(a, TARGET, strict=True)]
    )


def close(shown: str, expected: float) -> bool:
    return abs(float(shown) - expected) <= 5e-5 + 1e-4 * abs(expected)


# ---- Python side


def test_an_nn_network_is_recognised_layer_by_layer() -> None:
    model, cost = micrograd_network()
    network = find_network(GraphView(cost))
    assert network is not None
    assert [len(layer) for layer in network.layers] == [16, 16, 1]
    first = network.layers[0][0]
    assert first.weights == tuple(model.layers[0].neurons[0].w)
    assert first.activation == "relu" and network.layers[2][0].activation == "linear"
    assert network.layers[1][3].inputs == tuple(n.a for n in network.layers[0])


def test_graphs_that_are_not_one_network_are_not_recognised() -> None:
    w = Value(0.8, "W")
    assert find_network(GraphView(w * Value(1.5, "a"))) is None  # no parameters made by nn
    model = MLP(2, [3, 1], seed=0)
    batch = [model([1.0, 2.0]), model([0.5, -1.0])]  # the same weights used twice
    total = sum((out for out in batch if isinstance(out, Value)), Value(0.0))
    assert find_network(GraphView(total)) is None


def test_a_hidden_activation_that_also_feeds_the_cost_is_not_a_network() -> None:
    """C = out**2 + 3 a: dC/da of that hidden neuron has a term of its own besides W^T δ, so the
    seeds' δ formula the network view writes would be false: the page shows the scalar view."""
    model = MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    plain = find_network(GraphView(out))
    assert plain is not None  # the network alone is recognised
    hidden = plain.layers[0][0].a
    cost = out * out + hidden * 3.0
    assert find_network(GraphView(cost)) is None
    assert find_network(GraphView(cost), model=model) is None
    assert backprop_data(cost)["network"] is None
    assert find_network(GraphView(out * out + out * 3.0)) is not None  # the output may, freely


def test_the_data_holds_the_deltas_of_the_seeds_formulas_and_leaves_grads_alone() -> None:
    model, cost = seed_network()
    cost.backward()
    before = [node.grad for node in cost.topological_order()]
    data = backprop_data(cost)
    assert [node.grad for node in cost.topological_order()] == before
    shown = [[n["delta"] for n in layer] for layer in data["network"]["layers"]]
    for got, want in zip(shown, seed_342_deltas(model), strict=True):
        assert all(close(g, w) for g, w in zip(got, want, strict=True)), (got, want)
    assert [(s["layer"], s["index"]) for s in data["network"]["steps"]] == [
        (2, 1),
        (2, 2),
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 4),
    ]
    first_hidden = data["network"]["steps"][2]["text"]
    assert "δ_1 = (W_2^T δ_2) ⊙ σ'(z_1)" in first_hidden
    assert "dE/dW_1 = δ_1 x_0^T, row 1:" in first_hidden


# ---- the notation: d for the cost's gradients, by the cost's own name; ∂ for local derivatives

# dE/dW_2, ∂add83/∂mul72, dloss/dL1.N1.w1: a derivative written as a fraction of two names
DERIVATIVE = re.compile(r"(?<![\w.])([∂d])([\w.]+)/([∂d])([\w.]+)")
COSTS = ["E", "C", "loss", ""]  # "" leaves the cost unlabelled: the drawing's name, mul85


def relabelled_seed_network(name: str) -> Value:
    """The seeds' 3-4-2 network, its cost labelled `name` (E in the demo)."""
    _, cost = seed_network()
    cost.label = name
    return cost


def check_notation(text: str, view: GraphView, weights: set[str]) -> int:
    """Every derivative in `text` keeps the project's notation, and how many there are: dX/dY is a
    gradient of the cost, so X is the cost's own name; ∂X/∂Y is a local derivative, of a node X
    with respect to one of its own inputs Y, or of a neuron's weighted sum z with respect to one
    of its weights (z = w·x + b, ∂z/∂w = x)."""
    cost = view.name(view.root)
    nodes = {view.name(node): node for node in view.order}
    found = DERIVATIVE.findall(text)
    for top, of, bottom, by in found:
        written = f"{top}{of}/{bottom}{by}"
        assert top == bottom, written  # never a mix such as ∂E/dw
        if top == "d":
            assert of == cost, f"{written}: a gradient of the cost, named {cost}"
        elif of == "z":
            assert by in weights, written
        else:
            assert of in nodes and by in nodes, written
            assert nodes[by] in nodes[of].inputs, f"{written} is not a local derivative"
    return len(found)


@pytest.mark.parametrize("name", COSTS)
def test_the_steps_and_every_weights_chain_rule_write_gradients_of_the_costs_own_name(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: the steps wrote "∂E/∂W_2 = δ_2 x_1^T" next to "dE/dL2.N1.w1" for the
    same kind of quantity, the gradient of the cost."""
    cost = relabelled_seed_network(name)
    view = GraphView(cost)
    data = backprop_data(cost)["network"]
    assert data is not None
    weights = {w["name"] for layer in data["layers"] for n in layer for w in n["weights"]}
    for step in data["steps"]:
        assert check_notation(step["text"], view, weights) >= 4
        assert "∂" not in step["text"]  # a step writes gradients and f'(z) only
    short = view.name(cost)
    last = data["steps"][0]["text"]  # the output layer's first neuron
    assert f"δ_2 = d{short}/da_2 ⊙ σ'(z_2)" in last
    assert f"d{short}/dW_2 = δ_2 x_1^T, row 1:" in last and f"d{short}/db_2 = δ_2: " in last
    hidden = data["steps"][2]["text"]
    assert f"L1.N1: d{short}/da = (W_2^T δ_2)_1 = Σ_j W_2[j,1] δ_2[j] = " in hidden
    assert f"L1.N1: δ = d{short}/da × σ'(z) = " in hidden
    for layer in data["layers"]:  # explain(): every path, each a product of local ∂
        for n in layer:
            for w in n["weights"]:
                assert check_notation(w["explain"], view, weights) >= 3
    monkeypatch.setattr(network, "EXPLAIN_BUDGET", 0)  # or the chain rule through z
    brief = backprop_data(cost)["network"]["layers"][0][0]["weights"][0]["explain"]
    assert brief.startswith(f"d{short}/dL1.N1.w1 = ∂z/∂L1.N1.w1 × d{short}/dz = x × δ")
    assert check_notation(brief, view, weights) == 3


def test_a_large_network_is_drawn_as_a_network_and_its_scalar_drawing_refused_with_advice(
    tmp_path: Path,
) -> None:
    model = MLP(2, [4, 1], seed=0)
    out = model([Value(0.5, "x1"), Value(-1.0, "x2")])
    assert isinstance(out, Value)
    size = len(out.topological_order())
    data = backprop_data(out, max_nodes=20)
    assert data["svg"] is None and data["network"] is not None
    assert f"max_nodes={size})" in data["too_large"]
    assert backprop_data(out, max_nodes=size)["svg"] is not None  # the advice works


def test_draw_dot_focus_draws_only_the_paths_from_the_root_to_the_node() -> None:
    model, cost = seed_network()
    weight = model.layers[0].neurons[0].w[0]
    view = GraphView(cost)
    source = str(draw_dot(cost, "dot", focus=weight).source)
    drawn = {node for node in view.order if f"\t{view.id(node)} [" in source}
    depends: set[Value] = {weight}
    for node in view.order:
        if any(each in depends for each in node.inputs):
            depends.add(node)
    assert drawn == depends
    assert model.layers[0].neurons[1].w[0] not in drawn


def test_the_neurons_are_drawn_in_one_run_of_dot(program_runs: list[list[str]]) -> None:
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("no `dot` on the PATH (install Graphviz to run this; CI must not skip)")
    _, cost = seed_network()
    view = GraphView(cost)
    found = find_network(view)
    assert found is not None
    runs = program_runs
    data = network.network_data(view, found, DrawOptions(show_grad=False))
    assert len(runs) == 1  # six neurons, one process
    svgs = [n["svg"] for layer in data["layers"] for n in layer]
    assert len(svgs) == 6 and all(svg.startswith("<svg") for svg in svgs)
    assert "L2.N1.w4" in svgs[4 + 0] and "L1.N1.w1" not in svgs[4 + 0]


def test_without_dot_every_neuron_is_still_drawn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot`, pygraphviz draws
    _, cost = seed_network()
    layers = backprop_data(cost)["network"]["layers"]
    for layer in layers:
        for n in layer:
            assert n["svg"].startswith("<svg")
            assert all(w["name"] in n["svg"] for w in n["weights"])


# ---- in a browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), window=(1366, 768)) as driver:
        yield driver


def shown_deltas(driver: WebDriver) -> list[list[str]]:
    texts = driver.execute_script(
        "return [...document.querySelectorAll('.pane-network g.unit.neuron')].map("
        "g => [g.dataset.neuron, g.querySelector('text.delta').textContent]);"
    )
    layers: dict[int, list[str]] = {}
    for name, text in texts:
        assert text.startswith("δ ")
        layers.setdefault(int(name[1 : name.index(".")]), []).append(text[2:])
    return [layers[k] for k in sorted(layers)]


def script_errors(driver: WebDriver) -> list[str]:
    log = driver.get_log("browser")  # type: ignore[attr-defined]  # Chromium's, not WebDriver's
    return [entry["message"] for entry in log if entry["level"] == "SEVERE"]


def check_page(
    driver: WebDriver, path: Path, cost: Value, weight: Value, deltas: list[list[float]]
) -> None:
    driver.get(path.as_uri())
    assert script_errors(driver) == []
    pane = driver.find_element(By.CSS_SELECTOR, ".pane-network")
    assert pane.is_displayed()  # the network view opens first
    assert all(text == "…" for layer in shown_deltas(driver) for text in layer)
    pane.find_element(By.CSS_SELECTOR, "button.last").click()
    for got, want in zip(shown_deltas(driver), deltas, strict=True):
        assert all(close(g, w) for g, w in zip(got, want, strict=True)), (got, want)
    driver.find_element(By.CSS_SELECTOR, ".tab-scalar").click()
    driver.find_element(By.CSS_SELECTOR, ".pane-scalar button.last").click()
    weight_id = GraphView(cost).id(weight)
    cell = driver.find_element(By.CSS_SELECTOR, f'.pane-scalar td.grad[data-node="{weight_id}"]')
    cost.backward()
    assert close(cell.text, weight.grad)
    assert script_errors(driver) == []


def test_the_demo_network_page_is_written_in_seconds_and_shows_the_seeds_deltas(
    browser: WebDriver, tmp_path: Path
) -> None:
    model, cost = micrograd_network()
    assert len(cost.topological_order()) == 982
    start = time.perf_counter()
    path = save_backprop_html(cost, tmp_path / "network.html")
    assert time.perf_counter() - start < 5  # the product requirement: seconds
    weight = model.layers[0].neurons[0].w[0]
    assert weight.label == "L1.N1.w1"
    check_page(browser, path, cost, weight, demo_deltas(model))


def test_the_seeds_342_network_page_shows_the_seeds_deltas(
    browser: WebDriver, tmp_path: Path
) -> None:
    model, cost = seed_network()
    path = save_backprop_html(cost, tmp_path / "network.html")
    check_page(browser, path, cost, model.layers[0].neurons[0].w[0], seed_342_deltas(model))


def test_a_relabelled_network_page_still_opens_on_its_network_view(
    browser: WebDriver, tmp_path: Path
) -> None:
    model, cost = seed_network()
    for p in model.parameters():
        p.label = "foo"
    path = save_backprop_html(cost, tmp_path / "network.html")
    check_page(browser, path, cost, model.layers[0].neurons[0].w[0], seed_342_deltas(model))


def test_clicking_a_weight_explains_it_and_a_neuron_opens_its_graph(
    browser: WebDriver, tmp_path: Path
) -> None:
    _, cost = seed_network()
    browser.get(save_backprop_html(cost, tmp_path / "network.html").as_uri())
    browser.execute_script(
        "document.querySelector('.pane-network line.weight-hit')"
        ".dispatchEvent(new MouseEvent('click'))"
    )
    detail = browser.find_element(By.CSS_SELECTOR, ".net-detail").text
    assert "dE/dL1.N1.w1: 2 paths from E to L1.N1.w1" in detail
    browser.find_element(By.CSS_SELECTOR, '.pane-network g.unit[data-neuron="L2.N1"]').click()
    boxes = browser.find_elements(By.CSS_SELECTOR, ".neuron-graph .graph g.node.value")
    assert len(boxes) == 4 + 1 + 4 + 4 + 1 + 4  # weights, bias, products, sums, a, inputs
    assert script_errors(browser) == []


@pytest.mark.parametrize("name", COSTS)
def test_the_pages_own_words_write_gradients_of_the_costs_own_name(
    browser: WebDriver, tmp_path: Path, name: str
) -> None:
    """The opening lines wrote "∂C/∂W_i … ∂C/∂b_i" whatever the cost was called."""
    cost = relabelled_seed_network(name)
    view = GraphView(cost)
    short = view.name(cost)
    browser.get(save_backprop_html(cost, tmp_path / "network.html").as_uri())
    pane = browser.find_element(By.CSS_SELECTOR, ".pane-network")
    opening = pane.find_element(By.CSS_SELECTOR, ".net-lines").text
    assert f"d{short}/dW_i = δ_i x_{{i−1}}^T, d{short}/db_i = δ_i." in opening
    weights = {w.label for w in cost.topological_order() if w.label.startswith("L")}
    assert check_notation(opening, view, weights) == 3
    note = pane.find_element(By.CSS_SELECTOR, ".note").text
    assert check_notation(note, view, weights) == 1  # δ = dE/dz
    browser.execute_script(  # a weight's header and chain rule, before its step and after
        "document.querySelector('.pane-network line.weight-hit')"
        ".dispatchEvent(new MouseEvent('click'))"
    )
    detail = browser.find_element(By.CSS_SELECTOR, ".net-detail").text
    assert detail.startswith("L1.N1.w1 = ") and f", d{short}/dL1.N1.w1 = …" in detail
    assert check_notation(detail, view, weights) > 3
    pane.find_element(By.CSS_SELECTOR, "button.last").click()
    assert check_notation(pane.find_element(By.CSS_SELECTOR, ".net-lines").text, view, weights)
    browser.find_element(By.CSS_SELECTOR, '.pane-network g.unit[data-neuron="L2.N1"]').click()
    header = browser.find_element(By.CSS_SELECTOR, ".net-detail h3").text
    assert f"δ = d{short}/dz = " in header and check_notation(header, view, weights) == 1
    assert script_errors(browser) == []


def test_past_the_explain_budget_a_weight_shows_its_chain_rule_through_its_neuron(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, cost = seed_network()
    monkeypatch.setattr(network, "EXPLAIN_BUDGET", 0)
    first = backprop_data(cost)["network"]["layers"][0][0]
    cost.backward()
    weight = model.layers[0].neurons[0].w[0]
    delta = first["delta"]
    text = first["weights"][0]["explain"]
    assert text.startswith(
        f"dE/dL1.N1.w1 = ∂z/∂L1.N1.w1 × dE/dz = x × δ\n"
        f"             = 1.0 × {delta} = {format_number(weight.grad)}\n"
    )
    assert "explain(E, L1.N1.w1)" in text
    before = [text.split("\n")[k] for k in first["weights"][0]["explain_before"]]
    assert before == [text.split("\n")[0], text.split("\n")[2]]  # no number before its step


def test_search_and_focus_show_only_the_paths_to_one_node(
    browser: WebDriver, tmp_path: Path
) -> None:
    model, cost = seed_network()
    browser.get(save_backprop_html(cost, tmp_path / "network.html").as_uri())
    browser.find_element(By.CSS_SELECTOR, ".tab-scalar").click()
    tools = browser.find_element(By.CSS_SELECTOR, ".pane-scalar .graph-tools")
    svg = browser.find_element(By.CSS_SELECTOR, ".pane-scalar .graph svg")
    width = float(svg.get_dom_attribute("viewBox").split()[2])
    tools.find_element(By.XPATH, "button[text()='+']").click()
    assert float(svg.get_dom_attribute("viewBox").split()[2]) < width  # zoomed in
    tools.find_element(By.CSS_SELECTOR, "input.search").send_keys("L1.N1.w1\n")
    view = GraphView(cost)
    weight = model.layers[0].neurons[0].w[0]
    searched = browser.find_elements(By.CSS_SELECTOR, ".pane-scalar g.searched")
    assert [g.get_attribute("id") for g in searched] == [view.id(weight)]
    tools.find_element(By.XPATH, "button[text()='Focus']").click()
    shown = browser.execute_script(
        "return [...document.querySelectorAll('.pane-scalar .graph g.node.value')]"
        ".filter(g => g.style.display !== 'none').map(g => g.id);"
    )
    depends: set[Value] = {weight}
    for node in view.order:
        if any(each in depends for each in node.inputs):
            depends.add(node)
    assert sorted(shown) == sorted(view.id(node) for node in depends)
    tools.find_element(By.XPATH, "button[text()='Show all']").click()
    hidden = browser.execute_script(
        "return [...document.querySelectorAll('.pane-scalar .graph g.node')]"
        ".filter(g => g.style.display === 'none').length;"
    )
    assert hidden == 0


def test_the_notebook_widget_carries_the_network_view_of_micrograds_network() -> None:
    notebook = pytest.importorskip("micrograd_like.notebook")
    _, cost = micrograd_network()
    widget = notebook.BackpropWidget(cost)  # 982 nodes: not refused
    data = json.loads(widget.data)
    assert len(data["network"]["steps"]) == 16 + 16 + 1
    assert data["svg"] is None and "max_nodes=982" in data["too_large"]
    assert "function mountTabs(el, data, options)" in widget._esm
    wide = data["network"]["steps"][1]["text"]  # layer 2, 16 inputs: the row as one vector line
    assert "dC/dL2.N1.w1 … dC/dL2.N1.w16 = δ × [a(L1.N1) … a(L1.N16)]" in wide


def test_the_arrow_keys_step_the_network_view_neuron_by_neuron(
    browser: WebDriver, tmp_path: Path
) -> None:
    _, cost = seed_network()
    browser.get(save_backprop_html(cost, tmp_path / "network.html").as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(3):
        body.send_keys(Keys.ARROW_RIGHT)
    status = browser.find_element(By.CSS_SELECTOR, ".pane-network .status")
    assert status.text == "Step 3 of 6: layer 1, neuron 1"
    current = browser.find_elements(By.CSS_SELECTOR, ".pane-network g.unit.current")
    assert [g.get_attribute("data-neuron") for g in current] == ["L1.N1"]
    scalar_status = browser.find_element(By.CSS_SELECTOR, ".pane-scalar")
    assert not scalar_status.is_displayed()  # the hidden scalar tab has not moved (not mounted)
    body.send_keys(Keys.END)
    assert status.text == "Step 6 of 6: layer 1, neuron 4"
