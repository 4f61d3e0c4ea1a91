"""The live model view in a notebook, ModelWidget: without a notebook, its data is the model
page's, sent as one message with its step, throttled by the clock and the budget, checked, and
every gradient is left as it was; in Chromium, its module (page/model_widget.js) rendered on a
stand-in for anywidget's model mounts the view, and each update redraws it where the learner
was. tests/test_jupyterlab.py runs it in a real JupyterLab while a model trains."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from micrograd_like import MLP, GradientHealth, Value, losses, optim
from micrograd_like import model_widget as live
from micrograd_like.model_view import format_value, model_data, model_style
from micrograd_like.model_widget import BUDGET, ModelWidget, show_model
from micrograd_like.page import asset
from tests.chromium import chromium

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
POINTS = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
TARGETS = [1.0, 1.0, -1.0, -1.0]


def outputs(model: MLP, points: list[list[float]]) -> list[Value]:
    """The model's output on each point (one Value each: its last layer has one neuron)."""
    found = []
    for x in points:
        out = model(x)
        assert isinstance(out, Value)
        found.append(out)
    return found


class Training:
    """A small MLP learning XOR with SGD, its health recorded after each step."""

    def __init__(self, points: int = 4) -> None:
        self.model = MLP(2, [4, 4, 1], activation="tanh", seed=0)
        self.points = points
        self.health = GradientHealth(self.model)
        self.optimizer = optim.SGD(self.model.parameters(), lr=0.1)

    def loss(self) -> Value:
        xs, ys = POINTS[: self.points], TARGETS[: self.points]
        return losses.mse(outputs(self.model, xs), ys)

    def step(self) -> Value:
        cost = self.loss()
        self.optimizer.zero_grad()
        cost.backward()
        self.optimizer.step()
        self.health.record(cost)
        return cost


class Clock:
    """The widget's clock, set by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(live, "_clock", fake)
    return fake


def test_the_widget_is_the_model_page_s_script_style_and_data() -> None:
    training = Training()
    cost = training.loss()
    widget = ModelWidget(cost, training.model, example="XOR", health=training.health)
    assert widget._esm.startswith(asset("model.js"))  # model.js, then the entry
    assert widget._esm.endswith(asset("model_widget.js").split('from "./model.js";\n', 1)[1])
    assert "import {" not in widget._esm
    assert widget._css.startswith(model_style())
    assert json.loads(widget.data) == model_data(
        cost, training.model, example="XOR", health=training.health
    )
    assert widget.step == 0
    assert repr(widget) == (
        "ModelWidget: the model of mse before training, 37 parameters in 6 groups (run the "
        "notebook to see it)"
    )
    shown = widget._repr_mimebundle_()
    assert shown is not None
    assert shown[0][WIDGET_VIEW]["model_id"] == widget.model_id
    assert shown[0]["text/plain"] == repr(widget)


def test_each_update_sends_the_new_step_s_data_and_step_in_one_message(clock: Clock) -> None:
    training = Training()
    widget = show_model(training.loss(), training.model, health=training.health, interval=0)
    sent: list[dict[str, Any]] = []
    widget.comm.send = lambda data, buffers=None: sent.append(data)  # no kernel: a DummyComm
    for step in (1, 2, 3):
        cost = training.step()
        clock.now += 1
        assert widget.update(cost) is True
        assert widget.step == step
        assert json.loads(widget.data) == model_data(cost, training.model, health=training.health)
    assert [set(message["state"]) for message in sent] == [{"data", "step"}] * 3
    assert json.loads(widget.data)["health"]["steps"] == [1, 2, 3]
    assert repr(widget).startswith("ModelWidget: the model of mse at training step 3,")


def test_updates_are_sent_at_most_every_interval_and_the_last_by_flush(clock: Clock) -> None:
    training = Training()
    widget = ModelWidget(training.loss(), training.model, health=training.health, interval=1)
    start = clock.now
    sent = []
    for step in range(1, 11):  # ten steps in 2.5 s: sent at 1 s and 2 s
        cost = training.step()
        clock.now = start + 0.25 * step
        if widget.update(cost):
            sent.append(step)
            assert json.loads(widget.data)["loss"]["value"] == cost.data
    assert sent == [4, 8]
    assert widget.step == 8  # the view shows the last step sent
    assert json.loads(widget.data)["health"]["steps"] == list(range(1, 9))
    assert widget.flush() is True  # the tenth, skipped, now shown
    assert widget.step == 10
    assert json.loads(widget.data) == model_data(cost, training.model, health=training.health)
    assert widget.flush() is False  # nothing left to send


def test_an_update_never_takes_more_than_the_budget_of_the_time(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    training = Training()
    widget = ModelWidget(training.loss(), training.model, interval=0.1)
    calls = []

    def slow(*arguments: Any, **options: Any) -> dict[str, Any]:  # 0.5 s of collecting
        calls.append(clock.now)
        clock.now += 0.5
        return model_data(*arguments, **options)

    monkeypatch.setattr(live, "model_data", slow)
    clock.now += 1
    assert widget.update(training.step()) is True
    sent_at = calls[0]
    waits = 0.5 / BUDGET  # 5 s from the start of the last send: 0.5 s of 5 spent sending
    for offset in (0.6, 2.0, waits - 0.01):
        clock.now = sent_at + offset
        assert widget.update(training.step()) is False
    assert calls == [sent_at]  # a skipped update reads nothing: the graph is not even walked
    clock.now = sent_at + waits
    assert widget.update(training.step()) is True
    assert widget.step == 5


def test_the_step_comes_from_the_argument_health_or_the_count_of_updates(clock: Clock) -> None:
    training = Training()
    for _ in range(3):
        cost = training.step()
    widget = ModelWidget(cost, training.model, health=training.health, interval=0)
    assert widget.step == 3  # the last step health recorded
    clock.now += 1
    widget.update(training.step())
    assert widget.step == 4
    for _ in range(5):
        cost = training.step()  # recorded, not shown
    clock.now += 1
    widget.update(cost)
    assert widget.step == 9  # the health plots' last step
    clock.now += 1
    widget.update(training.step(), step=40)
    assert widget.step == 40
    assert show_model(cost, training.model, step=7).step == 7
    counting = ModelWidget(cost, training.model, interval=60)  # no health: updates counted
    assert counting.step == 0  # before training
    for _ in range(5):
        assert counting.update(cost) is False  # skipped, and counted
    assert counting.flush() is True
    assert counting.step == 5


def test_a_step_whose_data_is_the_same_sends_the_step_alone(clock: Clock) -> None:
    training = Training()
    cost = training.loss()
    widget = ModelWidget(cost, training.model, interval=0)
    sent: list[dict[str, Any]] = []
    widget.comm.send = lambda data, buffers=None: sent.append(data)
    clock.now += 1
    assert widget.update(cost) is True
    assert [message["state"] for message in sent] == [{"step": 1}]


def test_the_widget_leaves_every_gradient_and_value_as_it_found_them(clock: Clock) -> None:
    training = Training()
    cost = training.step()
    nodes = cost.topological_order()
    for k, node in enumerate(nodes):
        node.grad = 100.0 + k  # whatever the user's program left there
    before = [(node.data, node.grad) for node in nodes]
    widget = show_model(cost, training.model, health=training.health, interval=0)
    clock.now += 1
    assert widget.update(cost) is True
    assert [(node.data, node.grad) for node in nodes] == before
    shown = json.loads(widget.data)
    assert shown["groups"][0]["grad_norm"] != 0  # the view's own pass, not the grads left there


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"interval": -1}, ValueError, r"^ModelWidget: interval must be a number of seconds >= 0"),
        ({"interval": float("nan")}, ValueError, r"interval must be a number of seconds"),
        ({"interval": True}, ValueError, r"interval must be a number of seconds"),
        ({"step": 1.5}, TypeError, r"^ModelWidget: step must be an int, got 1\.5"),
        ({"step": -1}, ValueError, r"^ModelWidget: step must be >= 0, got -1"),
        ({"health": "health"}, TypeError, r"^model_data: health must be a GradientHealth"),
        ({"example": 3}, TypeError, r"^model_data: example must be a str"),
    ],
)
def test_the_widget_s_arguments_are_checked(
    arguments: dict[str, Any], error: type[Exception], message: str
) -> None:
    training = Training()
    with pytest.raises(error, match=message):
        ModelWidget(training.loss(), training.model, **arguments)


def test_an_update_is_checked_even_when_it_would_be_skipped() -> None:
    training = Training()
    cost = training.loss()
    widget = ModelWidget(cost, training.model, interval=3600)
    with pytest.raises(TypeError, match=r"^ModelWidget: loss must be a Value, got float"):
        ModelWidget(1.5, training.model)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^ModelWidget.update: loss must be a Value, got float"):
        widget.update(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^ModelWidget.update: step must be an int"):
        widget.update(cost, step="3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^ModelWidget.update: example must be a str"):
        widget.update(cost, example=3)  # type: ignore[arg-type]
    assert widget.step == 0  # none of them counted as a step
    assert widget.update(cost) is False


def test_an_example_given_to_update_replaces_the_line(clock: Clock) -> None:
    training = Training()
    widget = ModelWidget(training.loss(), training.model, example="XOR", interval=0)
    clock.now += 1
    widget.update(training.step())
    assert json.loads(widget.data)["example"] == "XOR"
    clock.now += 1
    widget.update(training.step(), example="XOR, step 2")
    assert json.loads(widget.data)["example"] == "XOR, step 2"


def test_without_anywidget_the_error_gives_an_install_command() -> None:
    hide = "import sys; sys.modules['anywidget'] = None\n"  # as if it were not installed
    run = subprocess.run(
        [sys.executable, "-c", hide + "import micrograd_like.model_widget"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: micrograd_like.model_widget needs anywidget")
    assert "`%pip install anywidget`" in last


# ---- in Chromium: the module on a stand-in for anywidget's model


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), window=(1280, 1000)) as driver:
        yield driver


def errors(driver: WebDriver) -> list[str]:
    log = driver.get_log("browser")  # type: ignore[attr-defined]  # Chromium's, not WebDriver's
    return [str(entry["message"]) for entry in log]


# The widget's module imported as anywidget imports it (a blob URL) and rendered on a stand-in
# for anywidget's model: get, on and off as anywidget's, and window.kernel.send(data, step)
# setting both and firing their change events, as one message from the kernel does.
RENDER = """
const [esm, data, step, done] = arguments;
const url = URL.createObjectURL(new Blob([esm], {type: "text/javascript"}));
import(url).then((module) => {
  const state = {data: data, step: step};
  const handlers = {};
  const model = {
    get: (key) => state[key],
    on: (name, handler) => { (handlers[name] = handlers[name] || []).push(handler); },
    off: (name, handler) => {
      handlers[name] = (handlers[name] || []).filter((each) => each !== handler);
    },
  };
  window.kernel = {
    send(data, step) {
      const changed = [];
      if (data !== state.data) changed.push("data");
      if (step !== state.step) changed.push("step");
      Object.assign(state, {data: data, step: step});
      for (const name of changed) for (const handler of handlers["change:" + name] || []) handler();
    },
    listening: () => Object.values(handlers).reduce((count, each) => count + each.length, 0),
  };
  const el = document.createElement("div");
  el.id = "widget";
  document.body.appendChild(el);
  window.unmount = module.default.render({model: model, el: el});
  done(null);
}, (error) => done(String(error)));
"""


def rendered(driver: WebDriver, folder: Path, widget: ModelWidget, body: str = "") -> WebElement:
    """A page of `body` and the widget's stylesheet (as anywidget adds it), the widget rendered
    at its end, once its first view is mounted."""
    page = folder / "notebook.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><style>{widget._css}</style></head><body>{body}</body></html>",
        encoding="utf-8",
    )
    driver.get(page.as_uri())
    errors(driver)
    assert driver.execute_async_script(RENDER, widget._esm, widget.data, widget.step) is None
    return shows_step(driver, widget.step)


def shows_step(driver: WebDriver, step: int) -> WebElement:
    WebDriverWait(driver, 30).until(
        lambda d: d.find_element(By.ID, "widget").get_attribute("data-step") == str(step)
    )
    return driver.find_element(By.ID, "widget")


def send(driver: WebDriver, widget: ModelWidget) -> None:
    driver.execute_script(
        "window.kernel.send(arguments[0], arguments[1]);", widget.data, widget.step
    )


def click_cell(driver: WebDriver, canvas: WebElement, row: int, column: int) -> None:
    cell = int(canvas.get_attribute("data-cell") or 0)
    width, height = canvas.size["width"], canvas.size["height"]
    dx = 1 + column * cell + cell / 2 - width / 2  # from the centre; the border is 1 px
    dy = 1 + row * cell + cell / 2 - height / 2
    ActionChains(driver).move_to_element_with_offset(canvas, int(dx), int(dy)).click().perform()


def text_of(root: WebElement, selector: str) -> str:
    return str(root.find_element(By.CSS_SELECTOR, selector).text)


def pixels(driver: WebDriver, root: WebElement) -> list[str]:
    """Every heatmap of the view, as the image it shows."""
    found: list[str] = driver.execute_script(
        "return Array.from(arguments[0].querySelectorAll('canvas.mv-heatmap'),"
        " (c) => c.toDataURL());",
        root,
    )
    return found


def test_an_update_redraws_the_view_where_the_learner_was(
    browser: WebDriver, tmp_path: Path, clock: Clock
) -> None:
    training = Training()
    widget = ModelWidget(training.loss(), training.model, health=training.health, interval=0)
    root = rendered(browser, tmp_path, widget)
    assert text_of(root, ".mw-step") == "Before training"
    assert len(root.find_elements(By.CSS_SELECTOR, "canvas.mv-heatmap")) == 12  # 6 groups
    assert root.find_elements(By.CSS_SELECTOR, ".mv-health svg.mv-plot") == []  # no record yet
    # the learner's place: L2.W[2,3] clicked, then one hop up from it
    grads = root.find_elements(By.CSS_SELECTOR, ".mv-card canvas.mv-grad")
    click_cell(browser, grads[2], 2, 3)
    root.find_element(By.CSS_SELECTOR, "button.mv-up").click()
    place = text_of(root, ".mv-status")
    assert place.startswith("Hop 1 of 1: ")
    trail = text_of(root, ".mv-trail")
    before = pixels(browser, root)

    for _ in range(3):
        cost = training.step()
    clock.now += 1
    assert widget.update(cost)
    send(browser, widget)
    shows_step(browser, 3)
    assert text_of(root, ".mw-step") == "Training step 3"
    assert len(root.find_elements(By.CSS_SELECTOR, ".model-view")) == 1  # the old view gone
    # redrawn: the loss, the table, the heatmaps and the health plots of step 3
    assert text_of(root, ".mv-loss") == f"Loss mse = {format_value(cost.data)}"
    data = json.loads(widget.data)
    norms = [
        row.find_elements(By.TAG_NAME, "td")[3].text
        for row in root.find_elements(By.CSS_SELECTOR, "table.mv-groups tbody tr")
    ]
    assert norms == [format_value(group["norm"]) for group in data["groups"]]
    after = pixels(browser, root)
    changed = [old != new for old, new in zip(before, after, strict=True)]
    # each map of more than one entry (one entry is always the full colour of its sign)
    assert [changed[2 * g : 2 * g + 2] for g in (0, 1, 2, 3, 4)] == [[True, True]] * 5
    assert len(root.find_elements(By.CSS_SELECTOR, ".mv-health svg.mv-plot")) == 4
    assert "at 3 training steps" in text_of(root, ".mv-health")
    # and still where the learner was: the weight chosen, one hop up from it
    assert text_of(root, ".mv-status") == place
    assert text_of(root, ".mv-trail") == trail
    assert root.find_element(By.CSS_SELECTOR, ".mv-card.mv-chosen").get_attribute("data-group") == (
        "L2.W"
    )
    browser.save_screenshot(str(tmp_path / "model_widget.png"))
    assert errors(browser) == []


def test_only_the_latest_data_is_mounted_and_a_step_alone_changes_the_line(
    browser: WebDriver, tmp_path: Path, clock: Clock
) -> None:
    training = Training()
    widget = ModelWidget(training.loss(), training.model, interval=0)
    root = rendered(browser, tmp_path, widget)
    browser.execute_script(
        "window.steps = [];"
        "new MutationObserver(() => window.steps.push(arguments[0].dataset.step))"
        ".observe(arguments[0], {attributes: true, attributeFilter: ['data-step']});",
        root,
    )
    sends = []
    for _ in range(3):
        clock.now += 1
        widget.update(training.step())
        sends.append((widget.data, widget.step))
    # the first send starts a mount; the next two come while it is under way
    browser.execute_async_script(
        """
        const [sends, done] = arguments;
        window.kernel.send(...sends[0]);
        Promise.resolve().then(() => {
          window.kernel.send(...sends[1]);
          window.kernel.send(...sends[2]);
          done();
        });
        """,
        sends,
    )
    shows_step(browser, 3)
    assert browser.execute_script("return window.steps;") == ["1", "3"]  # step 2: skipped
    assert (
        text_of(root, ".mv-loss")
        == f"Loss mse = {format_value(json.loads(sends[2][0])['loss']['value'])}"
    )

    view = root.find_element(By.CSS_SELECTOR, ".model-view")
    browser.execute_script("window.kernel.send(arguments[0], 9);", widget.data)  # the same data
    shows_step(browser, 9)
    assert text_of(root, ".mw-step") == "Training step 9"
    assert root.find_element(By.CSS_SELECTOR, ".model-view") == view  # not mounted again

    browser.execute_script("window.unmount();")
    assert browser.execute_script("return window.kernel.listening();") == 0
    status = text_of(root, ".mv-status")
    ActionChains(browser).move_to_element(root.find_element(By.CSS_SELECTOR, ".mv-note")).perform()
    ActionChains(browser).send_keys(Keys.END).perform()
    assert text_of(root, ".mv-status") == status  # its keys gone with it
    assert errors(browser) == []


def test_the_weight_stays_chosen_in_a_new_graph_and_a_new_group_gets_the_view_s_own_pick(
    browser: WebDriver, tmp_path: Path, clock: Clock
) -> None:
    training = Training(points=4)
    widget = ModelWidget(training.loss(), training.model, interval=0)
    root = rendered(browser, tmp_path, widget)
    click_cell(browser, root.find_elements(By.CSS_SELECTOR, ".mv-card canvas.mv-grad")[0], 1, 1)
    root.find_element(By.CSS_SELECTOR, "button.mv-up").click()
    assert text_of(root, ".mv-status").startswith("Hop 1 of 1: ")

    # a batch of three points: another graph, so the hops are not walked again; the weight is
    training.points = 3
    clock.now += 1
    widget.update(training.step())
    send(browser, widget)
    shows_step(browser, 1)
    status = text_of(root, ".mv-status")
    assert status.startswith("L1.W[1,1] (node ") and status.endswith("): the weight")

    # the groups renamed: the old one is gone, and the view picks as it does on its own
    other = ModelWidget(training.loss(), {"W": [training.model.layers[1].neurons[0].w]})
    clock.now += 1
    browser.execute_script("window.kernel.send(arguments[0], 2);", other.data)
    shows_step(browser, 2)
    assert text_of(root, ".mv-status").startswith("W[0,")
    assert errors(browser) == []


def test_an_update_keeps_the_scroll_and_the_keys_by_pointer_or_by_focus(
    browser: WebDriver, tmp_path: Path, clock: Clock
) -> None:
    model = MLP(2, [4, 4, 1], activation="tanh", seed=0)
    points = [[k / 10, 1 - k / 10] for k in range(24)]

    def trained() -> Value:  # one step of plain gradient descent, and the next step's loss
        cost = losses.mse(outputs(model, points), [1.0] * len(points))
        cost.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
            p.grad = 0.0
        return losses.mse(outputs(model, points), [1.0] * len(points))

    widget = ModelWidget(losses.mse(outputs(model, points), [1.0] * 24), model, interval=0)
    root = rendered(browser, tmp_path, widget)
    click_cell(browser, root.find_elements(By.CSS_SELECTOR, ".mv-card canvas.mv-grad")[0], 0, 0)
    terms = root.find_element(By.CSS_SELECTOR, ".mv-sum ol")  # L1.W[0,0]'s 24 terms, scrolled
    assert (
        browser.execute_script("arguments[0].scrollTop = 90; return arguments[0].scrollTop;", terms)
        == 90
    )
    # the pointer resting on the view, the focus elsewhere: the keys go by the pointer
    ActionChains(browser).move_to_element(root.find_element(By.CSS_SELECTOR, ".mv-note")).perform()
    browser.execute_script("document.activeElement.blur();")
    clock.now += 1
    widget.update(trained())
    send(browser, widget)
    shows_step(browser, 1)
    terms = root.find_element(By.CSS_SELECTOR, ".mv-sum ol")
    assert browser.execute_script("return arguments[0].scrollTop;", terms) == 90
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    assert text_of(root, ".mv-status").startswith("Hop 1 of 1: ")
    # the view clicked (it takes the focus), the pointer moved off it: the keys go by the focus
    root.find_element(By.CSS_SELECTOR, ".mv-note").click()
    ActionChains(browser).move_to_element(root.find_element(By.CSS_SELECTOR, ".mw-step")).perform()
    clock.now += 1
    widget.update(trained())
    send(browser, widget)
    shows_step(browser, 2)
    assert browser.execute_script("return document.activeElement;") == root.find_element(
        By.CSS_SELECTOR, ".model-view"
    )
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    assert text_of(root, ".mv-status").startswith("Hop 2 of 2: ")
    assert errors(browser) == []


# A notebook's other keyboard users, ahead of the widget: a cell's editor (CodeMirror's is a
# contenteditable in .cm-editor), a field, and JupyterLab's shortcuts, which listen on the
# document as a press bubbles up (here they only note what reaches them).
NOTEBOOK_BODY = """
<div class="cm-editor"><div id="editor" contenteditable="true" style="height: 2em"></div></div>
<input id="field">
<script>
window.lab = [];
document.addEventListener("keydown", (event) => window.lab.push(event.key));
</script>
"""


def test_the_keys_go_to_the_widget_under_the_pointer_or_focused_never_from_an_editor(
    browser: WebDriver, tmp_path: Path
) -> None:
    training = Training()
    root = rendered(browser, tmp_path, ModelWidget(training.loss(), training.model), NOTEBOOK_BODY)
    weight = text_of(root, ".mv-status")
    assert weight.endswith(": the weight")  # the view's own pick: the largest gradient

    def lab() -> list[str]:
        found: list[str] = browser.execute_script("return window.lab.splice(0);")
        return found

    # typed into the editor and the field, the pointer resting on the view: all theirs
    browser.find_element(By.ID, "editor").click()
    ActionChains(browser).move_to_element(root.find_element(By.CSS_SELECTOR, ".mv-note")).perform()
    keys = ["a", " ", "b", Keys.ARROW_LEFT, Keys.HOME, Keys.END, Keys.ARROW_RIGHT, "c"]
    ActionChains(browser).send_keys(*keys).perform()
    assert browser.find_element(By.ID, "editor").text == "a bc"
    browser.find_element(By.ID, "field").click()
    ActionChains(browser).move_to_element(root.find_element(By.CSS_SELECTOR, ".mv-note")).perform()
    ActionChains(browser).send_keys("x", " ", Keys.HOME, "y").perform()
    assert browser.find_element(By.ID, "field").get_attribute("value") == "yx "
    assert text_of(root, ".mv-status") == weight
    assert len(lab()) == 12  # every press went on to JupyterLab

    # the focus on nothing, the pointer on the view: the view's, and no further; with Shift,
    # Ctrl, Alt or Meta held, not the view's
    browser.execute_script("document.activeElement.blur();")
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.END).key_up(Keys.SHIFT).perform()
    assert text_of(root, ".mv-status") == weight
    assert lab() == ["Shift", "End"]
    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    assert text_of(root, ".mv-status").startswith("Hop 1 of 1: ")
    assert browser.execute_script("return document.activeElement.className;") == "model-view"
    # the pointer over no widget: the keys go to the one holding the focus, the one last used
    ActionChains(browser).move_to_element(browser.find_element(By.ID, "field")).perform()
    ActionChains(browser).send_keys(Keys.END).perform()
    assert text_of(root, ".mv-status").endswith(", the loss")
    ActionChains(browser).send_keys(Keys.HOME).perform()
    assert text_of(root, ".mv-status") == weight
    assert lab() == []
    assert errors(browser) == []
