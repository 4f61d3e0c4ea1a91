"""The model view (micrograd_like.model_view): parameters grouped into named matrices, the page's
numbers against the engine's (every node's value, gradient and local derivatives; every sum of
the chain rule, in Python and in the page's own script, bit for bit), the gradient health
recorder, the checks of every argument, and the page itself in headless Chromium: click a
weight, see its sum, click a term, move, walk to the loss and back, with no console error."""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from demos import microgpt
from micrograd_like import MLP, Parameter, Value, backward_steps, losses, optim
from micrograd_like.floats import format_number
from micrograd_like.model_view import (
    GradientHealth,
    Units,
    format_value,
    model_data,
    model_script,
    parameter_groups,
    save_model_html,
    unpack,
)
from micrograd_like.steps import local_formula
from micrograd_like.view import ROLES, GraphView
from tests.chromium import chromium

# ---- small models


def batch(activation: str = "tanh", seed: int = 0) -> tuple[MLP, Value]:
    """An MLP 2-3-1 on three points, its mean squared error: every weight is used three times."""
    model = MLP(2, [3, 1], activation=activation, seed=seed)
    points = [(0.5, -1.0), (1.0, 2.0), (-0.3, 0.7)]
    outputs = []
    for x, y in points:
        out = model([Value(x, "x1"), Value(y, "x2")])
        assert isinstance(out, Value)
        outputs.append(out)
    return model, losses.mse(outputs, [1.0, -1.0, 0.5])


def every_op() -> tuple[dict[str, object], Value]:
    """A graph with every op of the engine, a node used twice by one op (a * a) and a weight
    used by several nodes, and its named parameters."""
    w = [Parameter(0.3 * k - 0.4, f"w{k}") for k in range(4)]
    b = Parameter(0.25, "b")
    x = Value(1.5, "x")
    a = w[0] * x + b
    s = a * a - w[1].tanh() + (w[2] * 2.0).sigmoid() / (1.0 + w[3].exp())
    t = (s.abs() + 0.1).sqrt().log() + (-w[0]).relu() + w[1].sin() * w[2].cos()
    u = t**2 + (w[3] + 2.0) ** w[1] + (w[0] * x).relu() - (w[2] - 0.1) ** 3
    u.label = "L"
    return {"w": w, "b": b}, u


def tiny_gpt() -> tuple[microgpt.GPT[Value], Value]:
    tokenizer = microgpt.Tokenizer(["emma", "olivia", "ava"])
    model = microgpt.build(tokenizer.vocab_size, microgpt.TINY, seed=1)
    loss = microgpt.document_loss(model, tokenizer.encode("emma"))
    loss.label = "L"
    return model, loss


def engine_grads(loss: Value) -> list[float]:
    """Every node's gradient after a fresh backward() (leaf grads from 0), grads then put back."""
    order = loss.topological_order()
    saved = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    loss.backward()
    found = [node.grad for node in order]
    for node, grad in zip(order, saved, strict=True):
        node.grad = grad
    return found


def decoded(data: dict[str, Any]) -> dict[str, list[Any]]:
    assert data["graph"] is not None
    numbers = unpack(data["graph"]["numbers"])
    n = data["graph"]["count"]
    numbers["in1"] = [i - k if k else -1 for i, k in enumerate(numbers["back1"])]
    numbers["in2"] = [i - k if k else -1 for i, k in enumerate(numbers["back2"])]
    assert all(len(column) == n for column in numbers.values())
    return numbers


def terms(numbers: dict[str, list[Any]]) -> dict[int, list[float]]:
    """Every node's chain-rule terms from the page's numbers, in the engine's order: the later
    user first, a user's first input before its second."""
    found: dict[int, list[float]] = {}
    for u in range(len(numbers["data"]) - 1, -1, -1):
        for key, local in (("in1", "local1"), ("in2", "local2")):
            if numbers[key][u] >= 0:
                found.setdefault(numbers[key][u], []).append(numbers[local][u] * numbers["grad"][u])
    return found


# ---- the groups


def test_a_mapping_gives_matrices_vectors_and_single_values_by_name() -> None:
    W = [[Value(1.0), Value(2.0), Value(3.0)], [Value(4.0), Value(5.0), Value(6.0)]]
    b = [Value(0.5), Value(-0.5)]
    c = Value(9.0)
    groups = parameter_groups({"W": W, "b": b, "c": c})
    assert [(g.name, g.shape, g.layer) for g in groups] == [
        ("W", (2, 3), "W"),
        ("b", (2,), "b"),
        ("c", (), "c"),
    ]
    assert groups[0].values == (*W[0], *W[1])  # row-major
    assert [groups[0].cell(k) for k in (0, 4)] == ["W[0,0]", "W[1,1]"]
    assert (groups[1].cell(1), groups[2].cell(0), groups[0].row(4)) == ("b[1]", "c", 1)
    assert [g.name for g in parameter_groups(W)] == ["parameters"]  # one matrix, unnamed


def test_an_mlp_gives_each_layer_its_W_and_b_as_layer_weights_gives_them() -> None:
    model = MLP(3, [4, 2], seed=0)
    groups = parameter_groups(model)
    assert [(g.name, g.shape, g.layer) for g in groups] == [
        ("L1.W", (4, 3), "L1"),
        ("L1.b", (4,), "L1"),
        ("L2.W", (2, 4), "L2"),
        ("L2.b", (2,), "L2"),
    ]
    Ws, bs = model.weights()
    assert [v.data for v in groups[2].values] == [w for row in Ws[1] for w in row]
    assert [v.data for v in groups[3].values] == bs[1]
    layer = model.layers[0]
    assert [g.name for g in parameter_groups(layer)] == ["L1.W", "L1.b"]
    neuron = layer.neurons[1]
    assert [(g.name, g.shape) for g in parameter_groups(neuron)] == [
        ("L1.N2.w", (3,)),
        ("L1.N2.b", ()),
    ]


def test_without_parameters_the_graph_s_nn_positions_make_the_layers() -> None:
    _, loss = batch()
    found = model_data(loss)["groups"]
    assert [(g["name"], g["shape"]) for g in found] == [
        ("L1.W", [3, 2]),
        ("L1.b", [3]),
        ("L2.W", [1, 3]),
        ("L2.b", [1]),
    ]
    plain = [Parameter(0.5, "p"), Parameter(-1.0, "q")]
    cost = plain[0] * plain[1] + plain[0]
    assert [(g["name"], g["shape"]) for g in model_data(cost)["groups"]] == [("parameters", [2])]
    with pytest.raises(ValueError, match=r"model_data: the graph of add\d+ has no Parameter"):
        model_data(Value(1.0) + Value(2.0))


@pytest.mark.parametrize(
    ("parameters", "error", "message"),
    [
        ({"W": [[Value(1.0)], [2.0]]}, TypeError, r"parameters\['W'\]\[1\]\[0\] must be a Value"),
        (
            {"W": [[Value(1.0)], [Value(1.0), Value(2.0)]]},
            ValueError,
            r"parameters\['W'\] is not a matrix: row 1 has 2 entries, row 0 has 1",
        ),
        ({"W": []}, ValueError, r"parameters\['W'\] is empty"),
        ({"W": [[]]}, ValueError, r"parameters\['W'\]\[0\] is empty"),
        ({"W": "abc"}, TypeError, r"parameters\['W'\] must be a Value, a list"),
        ({"W": [[[Value(1.0)]]]}, TypeError, r"parameters\['W'\]\[0\]\[0\] must be a Value"),
        ({3: [Value(1.0)]}, TypeError, r"every name in parameters must be a str, got int"),
        ({}, ValueError, r"parameters is an empty mapping"),
        (3.5, TypeError, r"parameters must be an nn module, a mapping"),
    ],
)
def test_bad_parameters_are_refused_naming_the_entry(
    parameters: Any, error: type[Exception], message: str, tmp_path: Path
) -> None:
    _, loss = batch()
    with pytest.raises(error, match=f"^save_model_html: {message}"):
        save_model_html(loss, tmp_path / "model.html", parameters)
    assert list(tmp_path.iterdir()) == []


def test_every_argument_is_checked_before_any_work(tmp_path: Path) -> None:
    model, loss = batch()
    target = tmp_path / "model.html"
    with pytest.raises(TypeError, match=r"^save_model_html: loss must be a Value, got float"):
        save_model_html(1.0, target, model)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^save_model_html: title must be a str, got int"):
        save_model_html(loss, target, model, title=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^save_model_html: example must be a str"):
        save_model_html(loss, target, model, example=["x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^save_model_html: health must be a GradientHealth"):
        save_model_html(loss, target, model, health=[])  # type: ignore[arg-type]
    for bad in (-1, True, 2.5):
        with pytest.raises(ValueError, match=r"^save_model_html: max_nodes must be an int >= 0"):
            save_model_html(loss, target, model, max_nodes=bad)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match=r"^save_model_html: cannot write .*missing"):
        save_model_html(loss, tmp_path / "missing" / "model.html", model)
    with pytest.raises(IsADirectoryError, match=r"give a file name such as .*model\.html"):
        save_model_html(loss, tmp_path, model)
    assert list(tmp_path.iterdir()) == []


# ---- the page's numbers are the engine's


def check_numbers(loss: Value, parameters: Any = None) -> dict[str, Any]:
    """Every number of the page's graph against the engine, and every chain-rule sum against
    the engine's gradient, bit for bit; returns the data."""
    expected = engine_grads(loss)
    data = model_data(loss, parameters)
    numbers = decoded(data)
    view = GraphView(loss)
    order = view.order
    assert data["nodes"] == len(order) == data["graph"]["count"]
    assert numbers["grad"] == expected
    assert numbers["data"] == [node.data for node in order]
    ops = data["graph"]["ops"]
    labels = dict(data["graph"]["labels"])
    all_terms = terms(numbers)
    for i, node in enumerate(order):
        inputs = [view.index(each) for each in node.inputs]
        assert [numbers["in1"][i], numbers["in2"][i]] == [*inputs, -1, -1][:2]
        assert [numbers["local1"][i], numbers["local2"][i]] == [*node.local_grads, 0.0, 0.0][:2]
        assert ops[numbers["op"][i]]["op"] == node.op
        assert ROLES[numbers["role"][i]] == view.role(node)
        assert labels.get(i) == (view.name(node) if node.label else None)
        if i == len(order) - 1:
            assert numbers["grad"][i] == 1.0  # the loss: dL/dL
            continue
        total = 0.0
        for term in all_terms.get(i, []):  # added up as backward() adds them
            total += term
        assert total == expected[i], (i, view.name(node))
    cells = unpack(data["cells"])
    groups = parameter_groups(parameters, root=loss)
    values = [value for group in groups for value in group.values]
    assert cells["data"] == [value.data for value in values]
    assert cells["node"] == [view.index(v) if v in view else -1 for v in values]
    assert cells["grad"] == [expected[view.index(v)] if v in view else 0.0 for v in values]
    return data


def test_every_number_and_every_sum_is_the_engine_s_on_every_op() -> None:
    parameters, loss = every_op()
    check_numbers(loss, parameters)


def test_every_number_and_every_sum_is_the_engine_s_on_a_batch_and_a_tiny_gpt() -> None:
    model, loss = batch("relu")
    check_numbers(loss, model)
    gpt, gpt_loss = tiny_gpt()
    data = check_numbers(gpt_loss, gpt.matrices)
    wte = data["groups"][0]
    tokens = microgpt.Tokenizer(["emma", "olivia", "ava"]).encode("emma")
    rows = len(set(tokens[:-1]))  # the rows read: BOS, e, m, a
    assert (wte["name"], wte["shape"], wte["used"]) == ("wte", [8, 8], rows * 8)


OPS = ["+", "-", "*", "tanh", "sigmoid", "relu", "exp_small", "square", "neg"]


@given(
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=2, max_size=4),
    st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 1000), st.integers(0, 1000)),
        min_size=1,
        max_size=25,
    ),
)
def test_random_graphs_sums_match_the_engine(
    leaves: list[float], steps: list[tuple[str, int, int]]
) -> None:
    nodes: list[Value] = [Parameter(x, f"p{k}") for k, x in enumerate(leaves)]
    for op, i, j in steps:
        made = apply(op, nodes[i % len(nodes)], nodes[j % len(nodes)])
        nodes.append(made.tanh() if abs(made.data) > 1e3 else made)  # no overflow to inf
    loss = sum(nodes[len(leaves) :], Value(0.0))
    check_numbers(loss, {"p": nodes[: len(leaves)]})


def apply(op: str, a: Value, b: Value) -> Value:
    if op in ("+", "-", "*"):
        return a + b if op == "+" else a - b if op == "-" else a * b
    if op == "exp_small":
        return (a.tanh() * 0.5).exp()
    if op == "square":
        return a**2
    return -a if op == "neg" else getattr(a, op)()


def test_the_page_leaves_every_grad_as_it_was_and_a_paused_pass_goes_on() -> None:
    model, loss = batch()
    order = loss.topological_order()
    rng = random.Random(3)
    for node in order:
        node.grad = rng.uniform(-5, 5)
    before = [node.grad for node in order]
    data = model_data(loss, model)
    assert [node.grad for node in order] == before
    assert decoded(data)["grad"] == engine_grads(loss)  # a fresh pass: leaf grads from 0
    stepping = backward_steps(loss)  # paused after two steps, then the page, then on to the end
    next(stepping)
    next(stepping)
    model_data(loss, model)
    list(stepping)
    assert [node.grad for node in order] == engine_grads_accumulated(before, loss)


def engine_grads_accumulated(before: list[float], loss: Value) -> list[float]:
    """What one backward() over grads `before` leaves: intermediate grads fresh, leaf grads
    added to (computed with a copy of the grads, put back afterwards)."""
    order = loss.topological_order()
    saved = [node.grad for node in order]
    for node, grad in zip(order, before, strict=True):
        node.grad = grad
    loss.backward()
    found = [node.grad for node in order]
    for node, grad in zip(order, saved, strict=True):
        node.grad = grad
    return found


def test_an_entry_the_loss_does_not_use_is_marked_with_gradient_0() -> None:
    w, spare = Parameter(2.0, "w"), Parameter(3.0, "spare")
    loss = w * w
    data = model_data(loss, {"W": [[w, spare]]})
    cells = unpack(data["cells"])
    assert (cells["node"][1], cells["grad"][1], data["groups"][0]["used"]) == (-1, 0.0, 1)
    assert cells["grad"][0] == 4.0


def test_the_group_summary_holds_the_shapes_and_norms() -> None:
    model, loss = batch()
    expected = engine_grads(loss)
    view = GraphView(loss)
    summary = model_data(loss, model)["groups"][0]
    weights = parameter_groups(model)[0].values
    grads = [expected[view.index(w)] for w in weights]
    assert summary["norm"] == math.hypot(*(w.data for w in weights))
    assert summary["grad_norm"] == math.hypot(*grads)
    assert summary["grad_max"] == max(abs(g) for g in grads)
    assert (summary["size"], summary["used"], summary["layer"]) == (6, 6, "L1")
    assert summary["labels"][:2] == ["L1.N1.w1", "L1.N1.w2"]  # nn's own names for the entries


def test_past_max_nodes_the_advice_names_a_max_nodes_that_includes_the_chain_rule(
    tmp_path: Path,
) -> None:
    model, loss = batch()
    count = len(loss.topological_order())
    data = model_data(loss, model, max_nodes=count - 1)
    assert data["graph"] is None
    advice = re.search(r"max_nodes=(\d+)\) includes it", data["too_large"])
    assert advice is not None and int(advice[1]) == count
    assert f"has {count:,} nodes, more than max_nodes={count - 1:,}" in data["too_large"]
    assert model_data(loss, model, max_nodes=int(advice[1]))["graph"] is not None
    assert unpack(data["cells"])["grad"] == unpack(model_data(loss, model)["cells"])["grad"]


def test_hostile_names_and_labels_are_escaped_in_the_page(tmp_path: Path) -> None:
    w = Parameter(0.5, "</script><script>alert(1)</script>\x1b[31m")
    loss = w * w
    loss.label = "L\u202e"
    page = save_model_html(
        loss,
        tmp_path / "model.html",
        {"<b>\x07": [w]},
        title="<i>title</i>",
        example="</script>\ud800",
    ).read_text(encoding="utf-8")
    assert page.count("</script>") == 2  # the data block's and the module's own ends
    assert "<title>&lt;i&gt;title&lt;/i&gt;</title>" in page
    start = page.index('id="model-data">') + len('id="model-data">')
    data = json.loads(page[start : page.index("</script>", start)])
    assert data["groups"][0]["name"] == "<b>\\x07"
    assert data["loss"]["name"] == "L\\u202e"
    assert data["graph"]["labels"][0][1] == "</script><script>alert(1)</script>\\x1b[31m"
    assert data["example"] == "</script>\\ud800"
    assert all(text.isprintable() for text in (data["example"], data["loss"]["name"]))


def test_format_value_is_format_number_without_a_minus_zero() -> None:
    for x in (0.1443, -0.5717, 1.2e-07, 1e16, -3.0, math.inf):
        assert format_value(x) == format_number(x)
    assert (format_value(-0.0), format_value(0.0)) == ("0.0", "0.0")


# ---- gradient health


def test_health_records_norms_and_the_update_an_sgd_step_made() -> None:
    model, _ = batch()
    health = GradientHealth(model)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    before = [[v.data for v in g.values] for g in health.groups]
    _, loss = rebuild(model)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    record = health.record(loss)
    assert (record.step, record.loss) == (1, loss.data)
    for group, old in zip(health.groups, before, strict=True):
        grads = [v.grad for v in group.values]
        now = [v.data for v in group.values]
        assert record.grad_norm[group.name] == math.hypot(*grads)
        assert record.weight_norm[group.name] == math.hypot(*now)
        change = math.hypot(*(a - b for a, b in zip(now, old, strict=True)))
        assert record.update_ratio[group.name] == change / math.hypot(*now)
        assert math.isclose(change, 0.1 * math.hypot(*grads), rel_tol=1e-9)
    assert health.record(step=10).step == 10  # no loss: norms only, no unit counts
    assert health.records[-1].units == {} and health.record().step == 11
    assert health.records[-1].update_ratio["L1.W"] == 0.0  # nothing moved since


def rebuild(model: MLP) -> tuple[MLP, Value]:
    points = [(0.5, -1.0), (1.0, 2.0), (-0.3, 0.7)]
    outputs = []
    for x, y in points:
        out = model([x, y])
        assert isinstance(out, Value)
        outputs.append(out)
    return model, losses.mse(outputs, [1.0, -1.0, 0.5])


def test_health_counts_dead_relus_and_saturated_units_per_layer() -> None:
    model = MLP(2, [3, 2, 1], activation="relu", seed=0)
    hidden = model.layers[0].neurons
    hidden[0].b.data = -100.0  # dead on every input below
    hidden[1].b.data = 100.0  # alive
    second = model.layers[1].neurons
    for neuron in second:
        neuron.activation = "tanh"
    second[0].b.data = 50.0  # saturated: tanh ~ 1
    points = [[0.5, -1.0], [1.0, 2.0]]
    loss = losses.hinge(outputs(model, points), [1.0, -1.0])  # its relu: no unit of a layer
    record = GradientHealth(model).record(loss)
    dead, saturated = by_hand(model, points)
    assert dead[0] and not dead[1] and saturated[0]  # as the biases made them
    assert record.units["L1"] == Units(("relu",), 3, sum(dead), 0)
    assert record.units["L2"] == Units(("tanh",), 2, 0, sum(saturated))
    assert "L3" not in record.units  # a linear output layer has no activation units
    hidden[0].b.data = 0.0
    hidden[0].w[0].data, hidden[0].w[1].data = 1.0, 0.0  # 0.5 and 1.0: alive on both
    again = GradientHealth(model).record(losses.hinge(outputs(model, points), [1.0, -1.0]))
    assert again.units["L1"].dead == sum(dead) - 1 == sum(by_hand(model, points)[0])


def outputs(model: MLP, points: list[list[float]]) -> list[Value]:
    found = []
    for x in points:
        out = model(x)
        assert isinstance(out, Value)
        found.append(out)
    return found


def by_hand(model: MLP, points: list[list[float]]) -> tuple[list[bool], list[bool]]:
    """Which first-layer neurons are 0 on every point, which second-layer ones past 0.97."""
    first, second = model.layers[0].neurons, model.layers[1].neurons
    hidden: list[list[float]] = [[n(x).data for n in first] for x in points]
    dead = [all(h[j] == 0 for h in hidden) for j in range(len(first))]
    saturated = [all(abs(n(h).data) > 0.97 for h in hidden) for n in second]
    return dead, saturated


def test_health_finds_microgpt_s_units_in_the_rows_of_fc1() -> None:
    gpt, loss = tiny_gpt()
    record = GradientHealth(gpt.matrices).record(loss)
    assert list(record.units) == ["B1.fc1"]
    units = record.units["B1.fc1"]
    assert (units.kinds, units.units, units.saturated) == (("relu",), 32, 0)
    hidden_nodes = [n for n in loss.topological_order() if n.op == "relu"]
    by_row: dict[int, list[float]] = {}
    for node in hidden_nodes:  # relu(sum_j fc1[i][j] * x_j): the row of the first weight
        sum_node: Value = node.inputs[0]
        while sum_node.op == "+":
            sum_node = sum_node.inputs[1]
        weight = sum_node.inputs[0]
        row = next(i for i, r in enumerate(gpt.matrices["B1.fc1"]) if weight in r)
        by_row.setdefault(row, []).append(node.data)
    assert units.dead == sum(all(x == 0 for x in xs) for xs in by_row.values())


def test_health_data_for_the_page_and_its_errors() -> None:
    model, loss = batch("sigmoid")
    health = GradientHealth(model)
    health.record(loss)
    health.record(None)
    data = health.data()
    assert data["steps"] == [1, 2] and data["loss"] == [loss.data, None]
    assert [g["name"] for g in data["groups"]] == ["L1.W", "L1.b", "L2.W", "L2.b"]
    assert data["groups"][1]["update_ratio"] == [None, None]  # biases start at 0: no ratio
    (layer,) = data["layers"]
    saturated = health.records[0].units["L1"].saturated
    assert layer == {
        "name": "L1",
        "kinds": ["sigmoid"],
        "units": [3, None],
        "dead": [0, None],
        "saturated": [saturated, None],
    }
    with pytest.raises(TypeError, match=r"^GradientHealth: parameters must be given"):
        GradientHealth(None)
    with pytest.raises(TypeError, match=r"^GradientHealth.record: loss must be a Value"):
        health.record(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^GradientHealth.record: step must be an int"):
        health.record(step=True)


# ---- in Chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), window=(1280, 1000)) as driver:
        yield driver


def errors(driver: WebDriver) -> list[str]:
    log = driver.get_log("browser")  # type: ignore[attr-defined]  # Chromium's, not WebDriver's
    return [str(entry["message"]) for entry in log]


def opened(driver: WebDriver, page: Path) -> WebElement:
    driver.get(page.as_uri())
    WebDriverWait(driver, 30).until(
        lambda d: d.find_element(By.ID, "model").get_attribute("data-ready")
    )
    root = driver.find_element(By.ID, "model")
    assert root.get_attribute("data-ready") == "true"
    return root


def run_module(driver: WebDriver, body: str, *arguments: object) -> Any:
    """Run `body` (JavaScript, given the page's module as `m` and `args`) on the exports of the
    page's script, imported as a module of its own."""
    return driver.execute_async_script(
        """
        const [esm, body, args, done] = arguments;
        const url = URL.createObjectURL(new Blob([esm], {type: "text/javascript"}));
        import(url).then((m) => Promise.resolve(new Function("m", "args", body)(m, args)))
          .then(done, (error) => done("failed: " + error));
        """,
        model_script(),
        body,
        list(arguments),
    )


def numbers_to_try() -> list[float]:
    rng = random.Random(7)
    found = [0.0, -0.0, 1.0, -1.0, 0.5, 0.03125, 1.03125, -0.59375, 0.00005, 4.9999e-05, 1e-4]
    found += [1e16, 1.5e16, -2e20, 123456789012345.67, 1e-300, 5e-324, 1.7976931348623157e308]
    found += [0.1443, -0.5717, 0.077, 2.1, 1e15 + 0.03125, 2**47 + 0.03125, math.inf, -math.inf]
    found += [k / 32 for k in range(-40, 41, 3)] + [k / 2**20 for k in range(1, 200, 7)]
    for _ in range(600):
        found.append(rng.choice([-1, 1]) * rng.random() * 10 ** rng.uniform(-9, 18))
    return found


def test_the_page_writes_every_number_as_the_package_does(
    browser: WebDriver, tmp_path: Path
) -> None:
    _, loss = batch()
    opened(browser, save_model_html(loss, tmp_path / "model.html"))
    errors(browser)
    xs = numbers_to_try()
    encoded = ["inf" if x == math.inf else "-inf" if x == -math.inf else x for x in xs]
    written = run_module(
        browser,
        "return args[0].map((x) => m.formatNumber(x === 'inf' ? Infinity "
        ": x === '-inf' ? -Infinity : x))",
        encoded,
    )
    assert written == [format_value(x) for x in xs]
    assert errors(browser) == []


def test_the_page_s_script_computes_the_engine_s_sums_names_and_formulas(
    browser: WebDriver, tmp_path: Path
) -> None:
    parameters, loss = every_op()
    opened(browser, save_model_html(loss, tmp_path / "model.html", parameters))
    errors(browser)
    data = model_data(loss, parameters)
    found = run_module(
        browser,
        """
        const data = args[0];
        return m.readBlock(data.graph.numbers).then((columns) => {
          const graph = m.readModelGraph(data.graph, columns);
          const out = [];
          for (let v = 0; v < graph.count; v++) {
            const rule = m.chainRule(graph, v);
            out.push({name: m.nodeName(graph, v), sum: rule.sum,
              terms: rule.terms.map((t) => [t.user, t.position, t.value,
                m.localFormula(graph, t.user, t.position)])});
          }
          return out;
        });
        """,
        data,
    )
    view = GraphView(loss)
    expected = engine_grads(loss)
    assert len(found) == len(view.order)
    for i, node in enumerate(view.order):
        assert found[i]["name"] == view.name(node)
        if node is not loss:
            assert found[i]["sum"] == expected[i], view.name(node)
        for user, position, _, formula in found[i]["terms"]:
            assert formula == local_formula(view.order[user], position, view)
    squared = next(i for i, n in enumerate(view.order) if n.op == "*" and n.input1 is n.input2)
    twice = view.order[squared].input1
    assert twice is not None
    a = view.index(twice)
    assert [t[:2] for t in found[a]["terms"] if t[0] == squared] == [[squared, 0], [squared, 1]]
    assert errors(browser) == []


def click_cell(driver: WebDriver, canvas: WebElement, row: int, column: int) -> None:
    cell = int(canvas.get_attribute("data-cell") or 0)
    width, height = canvas.size["width"], canvas.size["height"]
    dx = 1 + column * cell + cell / 2 - width / 2  # from the centre; the border is 1 px
    dy = 1 + row * cell + cell / 2 - height / 2
    ActionChains(driver).move_to_element_with_offset(canvas, int(dx), int(dy)).click().perform()


def text_of(driver: WebDriver, selector: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, selector).text)


def walk_up(view: GraphView, node: Value, grads: list[float]) -> list[Value]:
    """The walk from `node` to the loss along the largest term, |∂u/∂v × dL/du|, at each hop
    (the first of equal ones in the engine's order)."""
    path = [node]
    while path[-1] is not view.root:
        v = path[-1]
        uses = [
            (abs(local * grads[view.index(u)]), u)
            for u in reversed(view.order)
            for each, local in zip(u.inputs, u.local_grads, strict=True)
            if each is v
        ]
        largest = max(size for size, _ in uses)
        path.append(next(u for size, u in uses if size == largest))
    return path


def test_click_a_weight_see_its_sum_click_a_term_move_walk_to_the_loss_and_back(
    browser: WebDriver, tmp_path: Path
) -> None:
    model, loss = batch()
    page = save_model_html(loss, tmp_path / "model.html", model, example="three points")
    root = opened(browser, page)
    errors(browser)
    assert "Loss mse = " + format_value(loss.data) + ", on three points" in root.text
    view = GraphView(loss)
    expected = engine_grads(loss)
    weight = model.layers[0].neurons[1].w[0]  # L1.W[1,0]: used once per point
    name = view.name(weight)
    canvas = browser.find_elements(By.CSS_SELECTOR, ".mv-card canvas.mv-grad")[0]
    click_cell(browser, canvas, 1, 0)
    assert text_of(browser, ".mv-status") == f"L1.W[1,0] (node {name}): the weight"
    users = [u for u in reversed(view.order) if weight in u.inputs]
    assert len(users) == 3
    lines = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".mv-sum li.mv-term")]

    def factor(x: float) -> str:
        text = format_value(x)
        return f"({text})" if text.startswith("-") else text

    assert lines == [
        f"∂{view.name(u)}/∂{name} × dmse/d{view.name(u)} = {local_formula(u, 0, view)} × "
        f"dmse/d{view.name(u)} = {factor(u.local1)} × {factor(expected[view.index(u)])} = "
        f"{format_value(u.local1 * expected[view.index(u)])}"
        for u in users
    ]
    total = text_of(browser, ".mv-sum .mv-total")
    assert total.startswith(f"dmse/d{name} = ") and "the same number" in total
    assert f"= {format_value(expected[view.index(weight)])} " in total

    first = users[0]
    browser.find_elements(By.CSS_SELECTOR, ".mv-sum li.mv-term")[0].click()
    assert text_of(browser, ".mv-status") == f"Hop 1 of 1: {view.name(first)} (*)"
    assert text_of(browser, ".mv-box.mv-current .mv-name") == view.name(first)
    first_users = [u for u in reversed(view.order) if first in u.inputs]
    assert len(browser.find_elements(By.CSS_SELECTOR, ".mv-sum li.mv-term")) == len(first_users)
    browser.find_element(By.CSS_SELECTOR, "button.mv-back").click()
    assert text_of(browser, ".mv-status").endswith(": the weight")
    browser.find_element(By.CSS_SELECTOR, "button.mv-end").click()
    status = text_of(browser, ".mv-status")
    assert status.endswith(f": mse ({loss.op}), the loss") and status.startswith("Hop ")
    hops = int(status.split()[1])
    assert text_of(browser, ".mv-sum .mv-sum-head").startswith("dmse/dmse = 1 (the loss itself")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_LEFT)
    assert text_of(browser, ".mv-status").startswith(f"Hop {hops - 1} of {hops}: ")
    body.send_keys(Keys.HOME)
    assert text_of(browser, ".mv-status").endswith(": the weight")
    body.send_keys(Keys.ARROW_RIGHT)  # forward along the trail walked before
    assert text_of(browser, ".mv-status").startswith(f"Hop 1 of {hops}: ")
    chips = browser.find_elements(By.CSS_SELECTOR, ".mv-trail .mv-hop")
    # End went on from the trail's end, the term clicked, as → would, hop by hop
    walked = [weight, *walk_up(view, first, expected)]
    assert [chip.text for chip in chips] == [view.name(node) for node in walked]
    click_cell(browser, canvas, 1, 0)  # the weight again: a new trail, End from the weight
    browser.find_element(By.CSS_SELECTOR, "button.mv-end").click()
    walked = walk_up(view, weight, expected)
    assert walked[1] is not users[0]  # the largest term is not the first: End chose it
    chips = browser.find_elements(By.CSS_SELECTOR, ".mv-trail .mv-hop")
    assert [chip.text for chip in chips] == [view.name(node) for node in walked]
    body.send_keys(Keys.HOME)
    next_line = browser.find_element(By.CSS_SELECTOR, ".mv-sum li.mv-term.mv-next")
    assert next_line.get_attribute("data-user") == str(view.index(walked[1]))
    body.send_keys(Keys.ARROW_RIGHT)
    boxes = browser.find_elements(By.CSS_SELECTOR, ".mv-box:not(.mv-current)")
    target = boxes[0].get_attribute("data-node")
    boxes[0].click()  # a box of the neighbourhood: a hop there, the trail cut after it
    assert text_of(browser, ".mv-box.mv-current .mv-name") == view.name(
        view.order[int(target or -1)]
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, ".mv-trail .mv-hop")) == 3
    assert errors(browser) == []


def test_an_unused_entry_a_page_past_max_nodes_and_the_health_plots(
    browser: WebDriver, tmp_path: Path
) -> None:
    w, spare = Parameter(2.0, "w"), Parameter(3.0, "spare")
    loss = (w * w).tanh()
    page = save_model_html(loss, tmp_path / "unused.html", {"W": [[w, spare]]})
    opened(browser, page)
    errors(browser)
    click_cell(browser, browser.find_element(By.CSS_SELECTOR, "canvas.mv-grad"), 0, 1)
    assert text_of(browser, ".mv-status") == f"W[0,1]: not used by {GraphView(loss).name(loss)}"

    model, cost = batch("tanh")
    health = GradientHealth(model)
    health.record(cost)
    health.record(cost)
    count = len(cost.topological_order())
    page = save_model_html(cost, tmp_path / "large.html", model, health=health, max_nodes=10)
    opened(browser, page)
    assert f"save_model_html(..., max_nodes={count}) includes it" in text_of(
        browser, ".mv-too-large"
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "canvas.mv-heatmap")) == 8
    plots = browser.find_elements(By.CSS_SELECTOR, ".mv-health svg.mv-plot")
    titles = [p.find_element(By.CSS_SELECTOR, ".mv-plot-title").text for p in plots]
    assert titles == [
        "the loss mse",
        "‖dmse/dW‖, the gradient's norm",
        "‖ΔW‖ / ‖W‖, update over weights",
        "saturated tanh / sigmoid units, %",
    ]
    assert errors(browser) == []


def test_the_tour_writes_its_pages(tmp_path: Path) -> None:
    from demos import model_view

    paths = model_view.write(tmp_path)
    assert [p.name for p in paths] == ["model_moons.html", "model_microgpt_tiny.html"]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text.replace("http://www.w3.org", "")
        assert '"health":{' in text
