"""The backprop page: self-contained, and in a real headless Chromium its displayed gradients
are the engine's. Skipped only where Chromium is absent and CI is not set (CI installs it)."""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from demos.network_page import seed_network
from demos.one_neuron_graph import build as seed_one_neuron
from micrograd_like import page
from micrograd_like.engine import Value
from micrograd_like.network import find_network
from micrograd_like.page import backprop_data, save_backprop_html
from micrograd_like.stepping import BackwardConflict
from micrograd_like.steps import backward_steps
from micrograd_like.view import GraphView
from micrograd_like.viz import GraphTooLarge
from tests.chromium import chromium


def one_neuron() -> tuple[Value, Value]:
    """The seeds' cost C = (sigmoid(W a_prev + b) - y)^2, and its weight W."""
    weight = Value(0.8, "W")
    output = weight * Value(1.5, "a_prev") + Value(0.1, "b")
    cost = (output.sigmoid() - Value(0.5, "y")) ** 2
    cost.label = "C"
    return cost, weight


A = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.1)))  # the activation, by hand
DC_DW = 2 * (A - 0.5) * A * (1 - A) * 1.5  # dC/da * da/dO * dO/dW


def grads(root: Value) -> list[float]:
    return [node.grad for node in root.topological_order()]


def test_page_is_one_file_with_nothing_fetched(tmp_path: Path) -> None:
    cost, _ = one_neuron()
    text = save_backprop_html(cost, tmp_path / "backprop.html").read_text(encoding="utf-8")
    # the page's markup, its scripts' code left out (KaTeX's holds the string '<img src="')
    markup = re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", text, flags=re.S)
    assert re.search(r"<(script|link|img)[^>]*(src|href)=", markup) is None
    assert re.findall(r"url\((?!data:)", markup) == []  # KaTeX's fonts are inlined
    assert "\\u003csvg" in text  # the drawing, inline in the data block ("<" escaped)
    assert "function mountBackprop(el, data, options)" in text  # the package's scripts, inline
    assert '<script type="module">' in text  # one module script, its imports resolved inline
    assert 'from "./' not in text  # no import left to fetch a file


def test_a_label_cannot_close_the_data_block(tmp_path: Path) -> None:
    x = Value(2.0, "</script><script>alert(1)</script>")
    text = save_backprop_html(x * 3, tmp_path / "page.html").read_text(encoding="utf-8")
    assert text.count("</script>") == 3  # the data block's, KaTeX's and the page's, no more
    plain = save_backprop_html(x * 3, tmp_path / "plain.html", typeset=False)
    assert plain.read_text(encoding="utf-8").count("</script>") == 2  # no KaTeX


def test_the_page_leaves_every_grad_exactly_as_it_found_it(tmp_path: Path) -> None:
    cost, weight = one_neuron()
    cost.backward()
    before = grads(cost)
    save_backprop_html(cost, tmp_path / "backprop.html")
    assert grads(cost) == before  # not doubled: the page ran its own pass and put them back
    assert weight.grad == pytest.approx(DC_DW, rel=1e-12)


def test_the_page_shows_one_fresh_pass_whatever_the_grads_held() -> None:
    cost, weight = one_neuron()
    cost.backward()
    cost.backward()  # W.grad is now twice dC/dW
    data = backprop_data(cost)
    weight_id = f"n{cost.topological_order().index(weight)}"
    shown = [
        share["grad"]
        for step in data["steps"]
        for share in step["shares"]
        if share["input"] == weight_id
    ]
    assert shown == [str(round(DC_DW, 4))]  # dC/dW, not the accumulated 2 x dC/dW
    assert "one fresh backward pass" in data["note"]
    assert weight.grad == pytest.approx(2 * DC_DW, rel=1e-12)  # and W.grad as it was


def test_grads_are_put_back_even_when_the_pass_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    cost, _ = one_neuron()
    cost.backward()
    before = grads(cost)

    def failing_steps(root: Value, **_: object) -> Iterator[object]:
        for leaf in root.topological_order():
            leaf.grad = 123.0  # half-way through, every grad changed
        yield from ()
        raise RuntimeError("the pass failed")

    monkeypatch.setattr(page, "backward_steps", failing_steps)
    with pytest.raises(RuntimeError, match="the pass failed"):
        backprop_data(cost)
    assert grads(cost) == before


def build_widget(root: Value, _: Path) -> object:
    from micrograd_like.notebook import BackpropWidget

    return BackpropWidget(root)


PAGE_BUILDERS: dict[str, Callable[[Value, Path], object]] = {
    "backprop_data": lambda root, _: backprop_data(root),
    "save_backprop_html": lambda root, folder: save_backprop_html(root, folder / "page.html"),
    "the widget": build_widget,
}


@pytest.mark.parametrize("build", PAGE_BUILDERS.values(), ids=PAGE_BUILDERS)
def test_a_page_built_while_a_stepping_pass_is_paused_leaves_that_pass_to_go_on(
    build: Callable[[Value, Path], object], tmp_path: Path
) -> None:
    """The issue's scenario: y = x*x + x at x = 1.5, dy/dx = 2x + 1 = 4. A backward_steps()
    pass stepped once (x holds the root's share, 1) and paused; the page runs a pass of its own
    and puts every grad back. The paused pass is not disturbed: it goes on to 4.0 (it used to
    be told that another pass had set its leaves back, which had not happened, and the fresh
    pass it advised then gave 5.0)."""
    x = Value(1.5, "x")
    y = x * x + x
    paused = backward_steps(y)
    next(paused)
    assert x.grad == 1.0
    build(y, tmp_path)
    assert x.grad == 1.0  # the page's own pass left no trace
    list(paused)  # no BackwardConflict: nothing took over
    assert x.grad == 4.0


def test_a_backward_after_the_page_takes_over_the_paused_pass_as_its_message_says() -> None:
    """Another pass after the page does take over the paused one: its message says the leaves
    were set back, and they were, so that pass gives 4.0, not 1.0 + 4.0."""
    x = Value(1.5, "x")
    y = x * x + x
    paused = backward_steps(y)
    next(paused)
    backprop_data(y)
    y.backward()
    with pytest.raises(BackwardConflict, match="the leaves it had added to were set back"):
        next(paused)
    assert x.grad == 4.0
    x.grad = 0.0
    list(backward_steps(y))  # the fresh pass the message advises
    assert x.grad == 4.0


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"title": 3}, TypeError, "save_backprop_html: title must be a str, got int: 3"),
        ({"max_nodes": None}, TypeError, "save_backprop_html: max_nodes must be a whole number"),
        ({"rankdir": "up"}, ValueError, "save_backprop_html: rankdir must be one of"),
        ({"number_format": "x"}, ValueError, "save_backprop_html: number_format 'x'"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(
    options: dict[str, Any], error: type[Exception], message: str, tmp_path: Path
) -> None:
    cost, _ = one_neuron()
    cost.backward()
    before = grads(cost)
    with pytest.raises(error, match=message):
        save_backprop_html(cost, tmp_path / "page.html", **options)
    assert grads(cost) == before
    assert list(tmp_path.iterdir()) == []


def no_page(*_: object, **__: object) -> None:
    raise AssertionError("built the page before checking the path")


def test_a_folder_or_a_missing_folder_as_the_path_is_refused_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cost, _ = one_neuron()
    monkeypatch.setattr(page, "_collect", no_page)
    with pytest.raises(IsADirectoryError, match="is a folder; give a file name such as") as error:
        save_backprop_html(cost, tmp_path)
    assert str(error.value) == (
        f"save_backprop_html: cannot write {tmp_path}: it is a folder; give a file name such as "
        f"{tmp_path / 'backprop.html'}"
    )
    with pytest.raises(FileNotFoundError, match=r"the folder .* does not exist") as missing:
        save_backprop_html(cost, tmp_path / "nowhere" / "page.html")
    assert str(missing.value).startswith(
        f"save_backprop_html: cannot write {tmp_path / 'nowhere' / 'page.html'}: "
    )
    assert list(tmp_path.iterdir()) == []


def identity(path: Path) -> tuple[int, int, int]:
    """What a refused write must leave as it was: the file's kind and mode, inode and size."""
    info = os.lstat(path)
    return info.st_mode, info.st_ino, info.st_size


def fifo(path: Path) -> None:
    os.mkfifo(path)


def read_only(path: Path) -> None:
    path.write_text("old")
    path.chmod(0o444)


@pytest.mark.parametrize(
    ("make", "error", "reason"),
    [
        (fifo, OSError, r"it is a FIFO \(named pipe\), not a regular file"),
        (read_only, PermissionError, r"the file is read-only \(mode 0o444\)"),
    ],
)
def test_a_file_the_writer_refuses_is_refused_first_naming_it_and_left_as_it_was(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], None],
    error: type[Exception],
    reason: str,
) -> None:
    cost, _ = one_neuron()
    target = tmp_path / "page.html"
    make(target)
    before = identity(target)
    monkeypatch.setattr(page, "_collect", no_page)
    with pytest.raises(error, match=rf"^save_backprop_html: cannot write {target}: {reason}$"):
        save_backprop_html(cost, target)
    assert identity(target) == before
    assert [each.name for each in tmp_path.iterdir()] == ["page.html"]  # no temporary file


def test_a_path_of_the_wrong_type_is_refused_naming_the_function() -> None:
    cost, _ = one_neuron()
    with pytest.raises(TypeError, match=r"^save_backprop_html: path must be a str or a Path, got"):
        save_backprop_html(cost, 3)  # type: ignore[arg-type]


def test_the_page_takes_the_size_limit_its_error_advises(tmp_path: Path) -> None:
    chain = Value(1.0, "x")
    for _ in range(20):
        chain = chain.tanh()  # 21 nodes
    with pytest.raises(GraphTooLarge, match=r"save_backprop_html\(\.\.\., max_nodes=21\)"):
        save_backprop_html(chain, tmp_path / "page.html", max_nodes=10)
    assert save_backprop_html(chain, tmp_path / "page.html", max_nodes=21).exists()


def test_the_data_is_plain_json_with_the_views_ids_and_names() -> None:
    cost, _ = one_neuron()
    data = backprop_data(cost)
    assert json.loads(json.dumps(data)) == data
    view = GraphView(cost)
    assert [node["id"] for node in data["nodes"]] == [view.id(node) for node in view.order]
    assert [node["name"] for node in data["nodes"]] == [view.name(node) for node in view.order]
    assert [step["node"] for step in data["steps"]] == [
        view.id(node) for node in reversed(view.order)
    ]
    for node in view.order:  # every id the script looks up is in the drawing
        assert f'id="{view.id(node)}"' in data["svg"]
        for position in range(len(node.inputs)):
            assert f'id="{view.id(node)}_in{position}"' in data["svg"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def displayed_grad(driver: WebDriver, node_id: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, f'td.grad[data-node="{node_id}"]').text)


def find(driver: WebDriver, css: str) -> Any:
    return driver.find_element(By.CSS_SELECTOR, f"#backprop {css}")


def test_clicking_through_every_step_shows_the_hand_derivative(
    browser: WebDriver, tmp_path: Path
) -> None:
    cost, weight = one_neuron()
    path = save_backprop_html(cost, tmp_path / "backprop.html")
    weight_id = f"n{cost.topological_order().index(weight)}"
    steps = len(cost.topological_order())  # one step per node, leaves included
    browser.get(path.as_uri())
    assert displayed_grad(browser, weight_id) == ""  # the forward view: no gradients yet
    next_button = find(browser, "button.next")
    for _ in range(steps):
        next_button.click()
    assert float(displayed_grad(browser, weight_id)) == pytest.approx(DC_DW, abs=5e-5)
    assert find(browser, ".status").text == f"Step {steps} of {steps}: y (a leaf)"


def test_arrow_keys_previous_home_and_end_walk_the_steps(
    browser: WebDriver, tmp_path: Path
) -> None:
    cost, _ = one_neuron()
    page_path = save_backprop_html(cost, tmp_path / "backprop.html")
    steps = [step.text() for step in backward_steps(cost)]  # the lines the page must show
    browser.get(page_path.as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(3):
        body.send_keys(Keys.ARROW_RIGHT)
    assert find(browser, ".lines").text == steps[2]
    body.send_keys(Keys.ARROW_LEFT)
    assert find(browser, ".lines").text == steps[1]
    find(browser, "button.prev").click()
    assert find(browser, ".lines").text == steps[0]
    root_id = f"n{len(cost.topological_order()) - 1}"
    current = browser.find_elements(By.CSS_SELECTOR, "#backprop .graph g.node.current")
    assert sorted(str(g.get_attribute("id")) for g in current) == [root_id, f"{root_id}_op"]
    body.send_keys(Keys.END)
    assert find(browser, ".status").text.startswith(f"Step {len(steps)} of {len(steps)}")
    body.send_keys(Keys.HOME)
    assert find(browser, ".status").text.startswith("Forward pass")


def test_the_current_step_marks_the_edges_into_its_op_by_their_own_ids(
    browser: WebDriver, tmp_path: Path
) -> None:
    x, y = Value(3.0, "x"), Value(2.0, "y")
    out = x - y
    out.label = "out"
    browser.get(save_backprop_html(out, tmp_path / "page.html").as_uri())
    find(browser, "button.next").click()
    marked = browser.find_elements(By.CSS_SELECTOR, "#backprop .graph g.edge.current")
    assert sorted(str(g.get_attribute("id")) for g in marked) == ["n2_in0", "n2_in1", "n2_out"]


def test_the_current_row_is_kept_in_view(browser: WebDriver, tmp_path: Path) -> None:
    chain = Value(0.5, "x")
    for _ in range(60):
        chain = chain.tanh()  # 61 rows: more than the table's box shows
    browser.get(save_backprop_html(chain, tmp_path / "page.html", max_nodes=100).as_uri())
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
    visible = browser.execute_script(
        "const box = document.querySelector('#backprop .table-box').getBoundingClientRect();"
        "const row = document.querySelector('#backprop tr.current').getBoundingClientRect();"
        "return row.top >= box.top && row.bottom <= box.bottom;"
    )
    assert visible is True


def test_the_legend_explains_partial_and_final_and_the_roles(
    browser: WebDriver, tmp_path: Path
) -> None:
    cost, _ = one_neuron()
    browser.get(save_backprop_html(cost, tmp_path / "page.html").as_uri())
    legend = find(browser, ".legend").text
    assert "partial gradient" in legend and "final gradient" in legend
    assert "input (a labelled leaf)" in legend and "root (usually the cost)" in legend
    assert "one fresh backward pass" in find(browser, ".note").text


# ---- the colours follow the key: partial and final, checked against the graph at every step

PARTIAL = "partial gradient: some node that uses this one has not passed its share back yet"
FINAL = "final gradient: every node that uses this one has passed its share back"


def key_kinds(root: Value, stepped: int, within: set[Value] | None = None) -> dict[str, str]:
    """The oracle, from the graph alone: after the first `stepped` steps of the backward pass
    (one per node, in backward()'s order, the root first), each node of `within` (all by
    default) that holds a gradient by then, "final" if every node that uses it has done its
    step, "partial" if one has not. A node holds a gradient once its own step or a user's
    has come; the root, which nothing uses, is final from its own step on."""
    view = GraphView(root)
    users: dict[Value, list[Value]] = {node: [] for node in view.order}
    for node in view.order:
        for each in node.inputs:
            users[each].append(node)
    done = set(list(reversed(view.order))[:stepped])
    kinds = {}
    for node in view.order if within is None else within:
        if node in done or any(user in done for user in users[node]):
            final = all(user in done for user in users[node])
            kinds[view.id(node)] = "final" if final else "partial"
    return kinds


# every gradient on screen in `scope` (the table's cells, the graph's texts under the boxes): its
# node, its kind by class, its colour as drawn and its number; and the key's two samples' colours
SHOWN_GRADIENTS = """
const scope = document.querySelector(arguments[0]);
const kind = (el) => el.classList.contains("final") ? "final"
  : el.classList.contains("partial") ? "partial" : "";
const cells = [...scope.querySelectorAll("td.grad")].map((td) => [
  td.dataset.node, kind(td), getComputedStyle(td).color, td.textContent]);
const texts = [...scope.querySelectorAll(".graph text.graph-grad")].map((t) => [
  t.parentNode.id, kind(t), getComputedStyle(t).fill, t.textContent.replace("grad ", "")]);
const key = {};
for (const k of ["partial", "final"]) {
  const sample = scope.querySelector(".legend span." + k);
  key[k] = [getComputedStyle(sample).color, getComputedStyle(sample).fill];
}
return {cells: cells, texts: texts, key: key};
"""


def check_colours_follow_the_key(
    driver: WebDriver, scope: str, expected: dict[str, str], final_grads: dict[str, float]
) -> None:
    """Every gradient shown in `scope` has the oracle's kind and the key's colour for it, a node
    without a gradient yet shows none, and a final gradient is the pass's last word."""
    shown = driver.execute_script(SHOWN_GRADIENTS, scope)
    key = shown["key"]
    assert key["partial"] != key["final"]
    for rows, colour in ((shown["cells"], 0), (shown["texts"], 1)):
        kinds = {node: kind for node, kind, _, text in rows if text}
        assert kinds == expected
        for node, kind, drawn, text in rows:
            assert (kind == "") == (text == ""), node
            if kind:
                assert drawn == key[kind][colour], (node, kind)
            if kind == "final":
                assert float(text) == pytest.approx(final_grads[node], abs=5e-5, rel=1e-4)


def full_pass(root: Value) -> dict[str, float]:
    """Every node's gradient after one whole fresh backward pass, by the view's ids."""
    view = GraphView(root)
    for node in view.order:
        node.grad = 0.0
    root.backward()
    return {view.id(node): node.grad for node in view.order}


def square_plus_itself() -> Value:
    """y = x*x + x: x has two users, one of which uses it twice."""
    x = Value(1.5, "x")
    y = x * x + x
    y.label = "y"
    return y


@pytest.mark.parametrize(
    "build", [seed_one_neuron, square_plus_itself], ids=["one neuron", "x*x + x"]
)
def test_the_colours_follow_the_key_at_every_step(
    browser: WebDriver, tmp_path: Path, build: Callable[[], Value]
) -> None:
    """The issue's case: in the seeds' one neuron (O = W a_prev + b, a = sigmoid(O),
    C = (a - y)^2), O's gradient is final at step 3 (a, its only user, has stepped), y's at step
    2 and W's, a_prev's and b's by step 5, each long before its own step."""
    root = build()
    path = save_backprop_html(root, tmp_path / "page.html")
    final_grads = full_pass(root)
    browser.get(path.as_uri())
    legend = find(browser, ".legend").text
    assert PARTIAL in legend and FINAL in legend  # the definition the oracle checks
    for stepped in range(len(root.topological_order()) + 1):
        if stepped:
            find(browser, "button.next").click()
        check_colours_follow_the_key(browser, "#backprop", key_kinds(root, stepped), final_grads)


def test_a_neurons_own_graph_colours_its_nodes_by_every_user_in_the_network(
    browser: WebDriver, tmp_path: Path
) -> None:
    """A neuron's own graph steps through its own nodes' steps only, but its gradients are the
    whole pass's: an input shared with the other output neuron is final only once that neuron
    has also passed its share back, and then shows the whole sum. (Opened with the network view
    at its end, where every gradient has come: see test_quiz.py for the steps before.)"""
    _, cost = seed_network()
    view = GraphView(cost)
    network = find_network(view)
    assert network is not None
    neuron = network.layers[1][0]  # L2.N1: its inputs a(L1.N1), ... also feed L2.N2
    own = {*neuron.nodes(), *neuron.inputs}
    order = list(reversed(view.order))
    numbers = [k + 1 for k, node in enumerate(order) if node in neuron.nodes()]  # in the pass
    final_grads = full_pass(cost)
    browser.get(save_backprop_html(cost, tmp_path / "network.html").as_uri())
    find(browser, ".pane-network button.last").click()
    find(browser, '.pane-network g.unit[data-neuron="L2.N1"]').click()
    scope = "#backprop .neuron-graph"
    for stepped in [0, *numbers]:
        if stepped:
            find(browser, ".neuron-graph button.next").click()
        expected = key_kinds(cost, stepped, own)
        check_colours_follow_the_key(browser, scope, expected, final_grads)
    assert find(browser, ".neuron-graph .status").text.startswith(
        f"Step {len(numbers)} of {len(numbers)}"
    )


def test_play_advances_on_its_own_until_paused(browser: WebDriver, tmp_path: Path) -> None:
    cost, _ = one_neuron()
    browser.get(save_backprop_html(cost, tmp_path / "backprop.html").as_uri())
    play = find(browser, "button.play")
    play.click()
    WebDriverWait(browser, 10).until(  # any step: a loaded machine may poll past step 1
        lambda driver: find(driver, ".status").text.startswith("Step ")
    )
    play.click()  # pause
    assert play.text == "Play"
    paused_at = find(browser, ".status").text
    time.sleep(1.5)  # longer than one step of play
    assert find(browser, ".status").text == paused_at
