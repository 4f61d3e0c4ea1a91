"""Predict, then reveal: the quiz of the stepping page, the network view and the widget.

In quiz mode each step asks for the gradients it is about to show (a share dC/dx += ∂node/∂x ×
dC/dnode in the scalar view; dC/da, δ and dC/dw in the network view); a wrong answer gets a
hint in two stages, first which local derivative and which upstream gradient meet, then their
numbers; Esc reveals; a running score counts. Driven in headless Chromium with the keyboard
alone, and at every state the page's text (what a reader sees, `document.body.innerText`, and
everything the page holds in its elements, hidden or not, with their tooltips and the LaTeX of
its typeset formulas) is checked against an oracle built from the engine's own backward pass:
no gradient before its step.
Outside quiz mode the network view keeps the same rule for its neurons and weights.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from demos import quiz_page
from demos.network_page import seed_network
from demos.one_neuron_graph import build as seed_one_neuron
from micrograd_like import MLP, Value, network_deltas
from micrograd_like.floats import format_number
from micrograd_like.network import Numbers, find_network
from micrograd_like.page import backprop_data, save_backprop_html
from micrograd_like.steps import backward_steps
from micrograd_like.view import GraphView
from micrograd_like.viz import DrawOptions
from tests.chromium import chromium
from tests.test_network_view import seed_342_deltas

# a number as the page writes one: with a decimal point or an exponent (names such as add83,
# step counts and the exponent 2 of a formula are not numbers here)
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+(?:e[-+]?\d+)?|e[-+]?\d+)")
WRONG = ("12.3456", "-98.7654")  # two wrong predictions, numbers no graph here holds


def numbers_in(text: str) -> set[str]:
    return set(NUMBER.findall(text))


def square_plus_itself() -> Value:
    """y = x*x + x: x gets two shares from the product and one from the sum."""
    x = Value(1.5, "x")
    y = x * x + x
    y.label = "y"
    return y


# ---- numbers as the page writes them


def test_a_zero_shows_without_a_minus_sign_and_number_format_is_honoured() -> None:
    four = Numbers(DrawOptions(number_format=".4f"))
    assert four(-5.551e-17) == "0.0000" and four(-0.0) == "0.0000" and four(-0.25) == "-0.2500"
    assert four.factor(-0.25) == "(-0.2500)" and four.factor(-1e-9) == "0.0000"
    plain = Numbers(DrawOptions())
    assert plain(-0.0) == "0.0" and plain(-5.551e-17) == "-5.551e-17"  # small: never 0
    assert plain(-math.inf) == "-inf"  # an infinity keeps its sign
    percent = Numbers(DrawOptions(number_format="+.1%"))
    assert percent(-1e-9) == "+0.0%"  # the format's own zero


@pytest.mark.parametrize(
    ("number_format", "x", "within"),
    [
        (None, 0.14433, 1e-4),  # format_number: 4 decimals
        (None, 0.077, 1e-4),  # written 0.077, still to 4 decimals
        (None, 1.2345e-7, 1e-10),  # small: 4 significant digits, 1.234e-07
        (".4f", 0.14433, 1e-4),
        (".3e", 0.14433, 1e-4),  # 1.443e-01
        (".2%", 0.14433, 1e-4),  # 14.43%
        (".4g", 0.077, 1e-5),  # 0.07700: 'g' drops the zeros it was asked for
        (">12,.2f", 12345.678, 1e-2),  # padded and grouped: 12,345.68
    ],
)
def test_a_prediction_is_checked_to_the_precision_the_page_writes(
    number_format: str | None, x: float, within: float
) -> None:
    assert Numbers(DrawOptions(number_format=number_format)).within(x) == pytest.approx(within)


def test_a_huge_or_infinite_number_is_checked_to_what_a_float_holds() -> None:
    plain = Numbers(DrawOptions())
    assert plain.within(1e20) >= math.ulp(1e20)  # written 1e+20: 1e-4 would ask for more
    assert plain.within(math.inf) == 0.0
    assert plain.question("dC/dx", "dC/dx = ?", -math.inf, ("a", "b"))["value"] == "-inf"


def cancelling_network() -> tuple[MLP, Value]:
    """A 2-1 network whose one weighted sum is 0.3 - 0.1 - 0.2: -2.776e-17 in floats."""
    model = MLP(2, [1], seed=0)
    model.set_weights([[[-0.1, -0.2]]], [[0.3]])
    out = model([Value(1.0, "x1"), Value(1.0, "x2")])
    assert isinstance(out, Value)
    cost = (out - Value(1.0, "y")) ** 2
    cost.label = "C"
    return model, cost


def test_the_network_view_and_the_tables_write_numbers_in_number_format() -> None:
    """The issue's case: the network view wrote a z of 0 as -5.551e-17 (format_number), even
    when the page was asked for number_format='.4f'."""
    _, cost = cancelling_network()
    view = GraphView(cost)
    found = find_network(view)
    assert found is not None
    z = found.layers[0][0].z
    assert -1e-16 < z.data < 0  # the float is not 0: the format makes it 0.0000
    data = backprop_data(cost, number_format=".4f")
    net = data["network"]
    assert net["layers"][0][0]["z"] == "0.0000"
    assert net["layers"][0][0]["weights"][0]["value"] == "-0.1000"
    assert net["inputs"][0]["value"] == "1.0000" and net["cost"]["value"] == "1.0000"
    assert "= (-2.0000) × 1.0000 = -2.0000" in net["steps"][0]["text"]  # δ = dC/da × f'(z)
    table = {node["id"]: node["data"] for node in data["nodes"]}
    assert table[view.id(z)] == "0.0000" and table[view.id(cost)] == "1.0000"
    grads = {share["input"]: share["grad"] for step in data["steps"] for share in step["shares"]}
    assert grads[view.id(z)] == "-2.0000" and data["steps"][0]["upstream"] == "1.0000"
    assert backprop_data(cost)["network"]["layers"][0][0]["z"] == format_number(z.data)


# ---- network_deltas


def test_network_deltas_is_the_seeds_table_of_deltas_and_leaves_every_grad_alone() -> None:
    model, cost = seed_network()
    for p in model.parameters():
        p.grad = 7.0  # whatever the program left
    before = [node.grad for node in cost.topological_order()]
    deltas = network_deltas(cost)
    assert [node.grad for node in cost.topological_order()] == before
    expected = seed_342_deltas(model)  # the seeds' formulas on plain floats
    assert [len(row) for row in deltas] == [4, 2]
    for got, want in zip(deltas, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-12)
    data = backprop_data(cost)["network"]["layers"]
    assert [[n["delta"] for n in layer] for layer in data] == [
        [format_number(d) for d in row] for row in deltas
    ]
    for p in model.parameters():
        p.label = "w"  # labels say nothing: the network is found from positions or the model
    assert network_deltas(cost) == deltas == network_deltas(cost, model=model)


def test_network_deltas_refuses_what_is_not_one_network() -> None:
    w = Value(0.8, "W")
    with pytest.raises(ValueError, match=r"^network_deltas: the graph of mul2 is not one network"):
        network_deltas(w * Value(1.5, "x"))
    with pytest.raises(TypeError, match=r"^network_deltas: cost must be a Value, got float"):
        network_deltas(0.5)  # type: ignore[arg-type]
    _, cost = seed_network()
    with pytest.raises(TypeError, match=r"^network_deltas: model must be an nn MLP"):
        network_deltas(cost, model="mlp")  # type: ignore[arg-type]


# ---- the questions, in the data


def asked(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line["ask"] for line in lines if "ask" in line]


def check_question(ask: dict[str, Any], value: float) -> None:
    """The question holds the engine's number as the page writes it, and neither its prompt nor
    its first hint holds the answer; the second (the factors' numbers) holds it only where a
    factor is 1 and the product is the other factor."""
    assert float(ask["value"]) == value
    assert ask["answer"] == format_number(value) and ask["within"] == 1e-4
    assert ask["answer"] not in numbers_in(ask["rule"])
    first, second = ask["hints"]
    assert "local derivative" in first and "upstream gradient" in first
    assert ask["answer"] not in numbers_in(first)
    if ask["answer"] in numbers_in(second):
        assert {"1.0", "-1.0"} & numbers_in(second), second


@pytest.mark.parametrize(
    "build", [seed_one_neuron, square_plus_itself], ids=["one neuron", "x*x + x"]
)
def test_each_share_of_the_scalar_view_is_asked_with_the_engines_number(
    build: Callable[[], Value],
) -> None:
    root = build()
    data = backprop_data(root, quiz=True)
    assert data["quiz"] is True and backprop_data(root)["quiz"] is False
    records = list(backward_steps(root))
    count = 0
    for step, record in zip(data["steps"], records, strict=True):
        assert "\n".join(line["text"] for line in step["lines"]) == step["text"]
        questions = asked(step["lines"])
        assert [q["name"] for q in questions] == [f"d{root.label}/d{s.name}" for s in record.shares]
        for question, share in zip(questions, record.shares, strict=True):
            check_question(question, share.contribution)
            local, upstream = f"∂{record.name}/∂{share.name}", f"d{root.label}/d{record.name}"
            assert question["rule"] == f"d{root.label}/d{share.name} += {local} × {upstream}"
            assert f"local derivative {local}" in question["hints"][0]
            assert f"upstream gradient {upstream}," in question["hints"][0]
            count += 1
    assert count == sum(len(record.shares) for record in records) > 0


def test_a_constants_share_is_shown_with_its_step_not_asked() -> None:
    x = Value(2.0, "x")
    y = 3.0 * x  # the 3.0: a constant, which no one changes
    y.label = "y"
    (step, *_) = backprop_data(y)["steps"]
    assert [line.get("ask", {}).get("name") for line in step["lines"]] == [None, None, "dy/dx"]


def test_each_gradient_line_of_the_network_view_is_asked_and_explain_waits_for_its_step() -> None:
    _, cost = seed_network()
    view = GraphView(cost)
    found = find_network(view)
    assert found is not None
    full_pass(cost)
    data = backprop_data(cost)["network"]
    by_name = {f"{n.name}": n for layer in found.layers for n in layer}
    for step in data["steps"]:
        neuron = by_name[f"L{step['layer']}.N{step['index']}"]
        questions = asked(step["lines"])
        hidden = [] if neuron.layer == 2 else [(f"dE/da of {neuron.name}", neuron.a.grad)]
        expected = [
            *hidden,
            (f"δ of {neuron.name}", neuron.z.grad),
            *((f"dE/d{view.name(w)}", w.grad) for w in neuron.weights),
        ]
        assert [q["name"] for q in questions] == [name for name, _ in expected]
        for question, (_, value) in zip(questions, expected, strict=True):
            check_question(question, value)
    every_grad = {format_number(node.grad) for node in view.order}
    for layer in data["layers"]:
        for n in layer:
            for w in n["weights"]:
                lines = w["explain"].split("\n")
                before = "\n".join(lines[k] for k in w["explain_before"])
                assert w["explain_before"][0] == 0  # what it explains
                assert "∂" in before and numbers_in(before) == set()  # the rule, no number
                assert len(w["explain_before"]) == 1 + 2 * w["explain"].count("  path ")
                assert w["grad"] in numbers_in(w["explain"]) & every_grad  # it ends with it


def test_the_quiz_switch_is_checked_before_any_work(tmp_path: Path) -> None:
    root = seed_one_neuron()
    with pytest.raises(TypeError, match=r"^save_backprop_html: quiz must be True or False"):
        save_backprop_html(root, tmp_path / "page.html", quiz="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^backprop_data: quiz must be True or False, got 1"):
        backprop_data(root, quiz=1)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_the_widget_carries_the_quiz_switch_in_its_data() -> None:
    notebook = pytest.importorskip("micrograd_like.notebook")
    root = seed_one_neuron()
    assert json.loads(notebook.BackpropWidget(root, quiz=True).data)["quiz"] is True
    assert json.loads(notebook.show_backprop(root).data)["quiz"] is False


def test_the_tours_quiz_pages_open_with_the_quiz_on(tmp_path: Path) -> None:
    written = quiz_page.write(tmp_path)
    assert [path.name for path in written] == ["quiz.html", "quiz_network.html"]
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert '"quiz":true' in text and "class Quiz" in text


# ---- the oracle: what the page may show, from the engine's own pass


def full_pass(root: Value) -> dict[str, float]:
    """Every node's gradient after one whole fresh backward pass, by the view's ids."""
    view = GraphView(root)
    for node in view.order:
        node.grad = 0.0
    root.backward()
    return {view.id(node): node.grad for node in view.order}


@dataclass
class Seen:
    """What the page may show at one moment: `allowed`, the numbers it has shown by right (values,
    the steps that have come, the question and hints on screen, what was typed); `owed`, the
    gradients still to come. A gradient may share its number with something allowed."""

    allowed: set[str] = field(default_factory=set)
    owed: set[str] = field(default_factory=set)

    def forbidden(self) -> set[str]:
        return self.owed - self.allowed


# the text a reader sees, everything the mount holds (hidden or not), its tooltips, and the
# LaTeX of its formulas with what KaTeX keeps of their text (typeset.js's data-tex-*)
PAGE_TEXT = """
const mount = document.getElementById("backprop");
const tips = [...mount.querySelectorAll("[title], [aria-label], [placeholder], [alt]")].map(
  (el) => ["title", "aria-label", "placeholder", "alt"].map((a) => el.getAttribute(a) || ""));
const tex = [...mount.querySelectorAll("*")].map((el) => [...el.attributes]
  .filter((a) => a.name.startsWith("data-tex")).map((a) => a.value)).flat();
return [document.body.innerText, mount.textContent, tips.flat().join(" "), tex.join(" ")];
"""


def check_page(driver: WebDriver, seen: Seen, where: str) -> None:
    texts = driver.execute_script(PAGE_TEXT)
    for text in texts:
        leaked = numbers_in(text) & seen.forbidden()
        assert leaked == set(), f"{where}: shown before their step: {sorted(leaked)}"


def values_of(root: Value) -> set[str]:
    """Every number the forward pass shows, and the key's sample gradient (grad 0.1)."""
    return {format_number(node.data) for node in root.topological_order()} | {"0.1"}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), window=(1280, 1000)) as driver:
        yield driver


def typed(driver: WebDriver, *keys: str) -> None:
    """Keys sent where the focus is, as a learner without a mouse sends them."""
    driver.switch_to.active_element.send_keys(*keys)


# the quiz panel's question and what it told the learner, line by line, each typeset formula
# as the text it was given (typeset.js keeps it in data-tex-text: KaTeX's own text is maths)
QUIZ_TEXT = """
const panel = document.querySelector(arguments[0] + " .quiz");
const plain = (el) => {
  const copy = el.cloneNode(true);
  for (const each of copy.querySelectorAll("[data-tex-text]")) {
    each.textContent = each.dataset.texText;
  }
  return copy.textContent;
};
return [panel.querySelector(".quiz-prompt"), ...panel.querySelectorAll(".quiz-feedback > div")]
  .map(plain).join("\\n");
"""


def quiz_text(driver: WebDriver, scope: str) -> str:
    return str(driver.execute_script(QUIZ_TEXT, scope))


def score(driver: WebDriver) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, "#backprop .quiz-score").text)


def script_errors(driver: WebDriver) -> list[str]:
    log = driver.get_log("browser")  # type: ignore[attr-defined]  # Chromium's, not WebDriver's
    return [entry["message"] for entry in log if entry["level"] == "SEVERE"]


# ---- the scalar view, keyboard only


def scalar_gradients(records: list[Any], k: int) -> set[str]:
    """The gradients the scalar view writes for its step k: the node's, and each share's, as a
    share (its line) and as the sum its input holds (the table)."""
    record = records[k - 1]
    found = {format_number(record.upstream)}
    for share in record.shares:
        found |= {format_number(share.contribution), format_number(share.this_pass)}
    return found


@pytest.mark.parametrize(
    "build", [seed_one_neuron, square_plus_itself], ids=["one neuron", "x*x + x"]
)
def test_the_quiz_walks_the_scalar_view_with_the_keyboard_and_shows_nothing_early(
    browser: WebDriver, tmp_path: Path, build: Callable[[], Value]
) -> None:
    """Every question: a wrong answer gets hint 1 (names, no number), a second hint 2 (the
    factors' numbers); then the right answer, or Esc for every third question. At each of
    those moments no gradient of a later step, or of a line of this step not reached, is
    anywhere on the page. The score counts what was answered and what was revealed."""
    root = build()
    records = list(backward_steps(root))
    data = backprop_data(root, quiz=True)
    browser.get(save_backprop_html(root, tmp_path / "quiz.html", quiz=True).as_uri())
    assert score(browser).startswith("Predict each gradient before it is shown")
    base = values_of(root) | numbers_in(" ".join(WRONG))
    owed = set().union(*(scalar_gradients(records, k) for k in range(1, len(records) + 1)))
    shown: set[str] = set()  # the numbers of the steps that have come
    right = revealed = 0
    check_page(browser, Seen(base, owed), "the forward pass")
    for k, step in enumerate(data["steps"], 1):
        typed(browser, Keys.ARROW_RIGHT)
        status = browser.find_element(By.CSS_SELECTOR, "#backprop .status").text
        assert status.startswith(f"Step {k} of {len(records)}")
        lines: set[str] = set()  # of this step, answered
        for line in step["lines"]:
            if "ask" not in line:
                lines |= numbers_in(line["text"])
                continue
            ask = line["ask"]
            where = f"step {k}, {ask['name']}"
            active = browser.switch_to.active_element
            assert active.get_attribute("class") == "quiz-answer", where  # the focus is there
            assert f"{ask['rule']} = ?" in quiz_text(browser, "#backprop")
            assert Seen(base | shown | lines, owed).forbidden(), where  # a check with teeth
            check_page(browser, Seen(base | shown | lines, owed), where)
            typed(browser, WRONG[0], Keys.ENTER)
            panel = quiz_text(browser, "#backprop")
            assert f"Not {WRONG[0]}." in panel and f"Hint 1: {ask['hints'][0]}" in panel
            assert "Hint 2" not in panel
            check_page(browser, Seen(base | shown | lines, owed), f"{where}, hint 1")
            typed(browser, WRONG[1], Keys.ENTER)
            panel = quiz_text(browser, "#backprop")
            assert f"Not {WRONG[1]} either." in panel and f"Hint 2: {ask['hints'][1]}" in panel
            hints = numbers_in(ask["hints"][1])
            check_page(browser, Seen(base | shown | lines | hints, owed), f"{where}, hint 2")
            if (right + revealed) % 3 == 2:
                typed(browser, Keys.ESCAPE)
                revealed += 1
                assert f"Revealed: {ask['name']} = {ask['answer']}" in quiz_text(
                    browser, "#backprop"
                )
            else:
                typed(browser, ask["answer"], Keys.ENTER)
                right += 1
                assert f"✓ Right: {ask['name']} = {ask['answer']}" in quiz_text(
                    browser, "#backprop"
                )
            lines |= numbers_in(line["text"]) | hints
        shown |= lines | scalar_gradients(records, k)
        check_page(browser, Seen(base | shown, owed), f"step {k}, answered")
        table = browser.find_elements(By.CSS_SELECTOR, "#backprop td.grad")
        assert {cell.text for cell in table} - {""} <= shown  # the step's gradients, now shown
    assert score(browser) == (
        f"Score: {right} right of {right + revealed} · 0 at the first try · {revealed} revealed"
    )
    assert script_errors(browser) == []


def test_right_at_the_first_try_hints_on_request_and_what_is_neither_right_nor_wrong(
    browser: WebDriver, tmp_path: Path
) -> None:
    root = seed_one_neuron()
    first = backprop_data(root)["steps"][0]["lines"][1]["ask"]  # dC/dsub7 = 0.5717
    browser.get(save_backprop_html(root, tmp_path / "quiz.html", quiz=True).as_uri())
    typed(browser, Keys.ARROW_RIGHT)
    typed(browser, Keys.ENTER)  # nothing typed: said so, not counted
    assert "Type your prediction first" in quiz_text(browser, "#backprop")
    typed(browser, "0.5.7", Keys.ENTER)  # not a number: said so, not counted
    assert "is not a number" in quiz_text(browser, "#backprop")
    typed(browser, "0.57", Keys.ENTER)  # right to the digits given: asked for more
    assert "0.57 agrees as far as it goes" in quiz_text(browser, "#backprop")
    typed(browser, "?")  # a hint asked for: no wrong answer needed
    panel = quiz_text(browser, "#backprop")
    assert f"Hint 1: {first['hints'][0]}" in panel and "Not " not in panel
    typed(browser, Keys.ARROW_RIGHT, Keys.END)  # in the field: the caret moves, not the page
    assert "Step 1 of 9" in browser.find_element(By.CSS_SELECTOR, "#backprop .status").text
    typed(browser, Keys.CONTROL, "a", Keys.NULL, "0.57171", Keys.ENTER)  # a unit of the 4th decimal
    assert "(after 1 hint)" in quiz_text(browser, "#backprop")
    typed(browser, Keys.ARROW_RIGHT)  # the focus came back to the stepper: the arrows step
    typed(browser, "1,0", Keys.ENTER)  # dC/da = 1 × 0.5717: a decimal comma is read
    assert "Not 1,0." in quiz_text(browser, "#backprop")
    typed(browser, "0.5717", Keys.ENTER, "\u22120.5717", Keys.ENTER)  # and a typographic minus
    assert "✓ Right: dC/dy = -0.5717" in quiz_text(browser, "#backprop")
    assert score(browser) == "Score: 3 right of 3 · 1 at the first try · 0 revealed"
    typed(browser, Keys.ARROW_RIGHT, Keys.TAB)  # out of the field, to its Check button:
    assert browser.switch_to.active_element.get_attribute("class") == "quiz-check"
    typed(browser, "?")  # ? and Esc still work there
    assert "Hint 1: Which factors meet: the local derivative ∂a/∂O" in quiz_text(
        browser, "#backprop"
    )
    typed(browser, Keys.ESCAPE)
    assert "Revealed: dC/dO = 0.0962" in quiz_text(browser, "#backprop")
    assert score(browser) == "Score: 3 right of 4 · 1 at the first try · 1 revealed"


def test_the_page_never_goes_past_an_open_question(browser: WebDriver, tmp_path: Path) -> None:
    root = seed_one_neuron()
    browser.get(save_backprop_html(root, tmp_path / "quiz.html", quiz=True).as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    status = browser.find_element(By.CSS_SELECTOR, "#backprop .status")
    body.send_keys(Keys.END)  # End: to the first open question, no further
    assert status.text.startswith("Step 1 of 9")
    browser.find_element(By.CSS_SELECTOR, "#backprop .quiz-reveal").click()
    play = browser.find_element(By.CSS_SELECTOR, "#backprop button.play")
    play.click()  # Play: the same, and it stops there
    WebDriverWait(browser, 10).until(lambda _: play.text == "Play")
    assert status.text.startswith("Step 2 of 9")
    browser.find_element(By.CSS_SELECTOR, "#backprop button.next").click()
    assert status.text.startswith("Step 2 of 9")
    assert "Answer this one first" in quiz_text(browser, "#backprop")
    body.send_keys(Keys.HOME)  # back is always open: the answered steps show in full
    typed(browser, Keys.ARROW_RIGHT)
    assert "Revealed: dC/dsub7 = 0.5717" in quiz_text(browser, "#backprop")
    assert (
        "= 0.5717 × 1.0 = 0.5717" in browser.find_element(By.CSS_SELECTOR, "#backprop .lines").text
    )


def test_the_switch_asks_only_what_is_ahead_and_off_shows_everything(
    browser: WebDriver, tmp_path: Path
) -> None:
    root = seed_one_neuron()
    browser.get(save_backprop_html(root, tmp_path / "page.html").as_uri())  # no quiz=True
    assert browser.find_elements(By.CSS_SELECTOR, "#backprop .quiz")[0].is_displayed() is False
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)  # steps 1 and 2, seen without a quiz
    body.send_keys(Keys.TAB, Keys.TAB)  # the stepper, then the switch at its top
    switch = browser.switch_to.active_element
    assert switch.get_attribute("class") == "quiz-switch" and switch.text == "Quiz: off"
    typed(browser, Keys.ENTER)
    assert switch.text == "Quiz: on" and switch.get_attribute("aria-pressed") == "true"
    status = browser.find_element(By.CSS_SELECTOR, "#backprop .status")
    assert status.text.startswith("Step 2 of 9")  # seen: not asked again
    assert "Next (→) for the next step." in quiz_text(browser, "#backprop")
    body.send_keys(Keys.ARROW_RIGHT)
    assert browser.switch_to.active_element.get_attribute("class") == "quiz-answer"
    assert "dC/dO += ∂a/∂O × dC/da = ?" in quiz_text(browser, "#backprop")
    assert browser.find_element(By.CSS_SELECTOR, "#backprop .lines").text.endswith("= ?")
    switch.click()  # off: the open step shows whole, and the page steps on
    assert status.text.startswith("Step 3 of 9")
    assert (
        "= 0.1683 × 0.5717 = 0.0962"
        in browser.find_element(By.CSS_SELECTOR, "#backprop .lines").text
    )
    body.send_keys(Keys.END)
    assert status.text.startswith("Step 9 of 9")
    assert score(browser) == "Turn the quiz on to predict each gradient before the page shows it."
    assert script_errors(browser) == []


# ---- the network view


def network_owners(cost: Value) -> tuple[GraphView, dict[str, int]]:
    """The step of the network view at which each node's gradient comes: a neuron's nodes, the
    neuron's step (output layer first); an input x_0, the step of the last neuron that reads
    it; the cost's own nodes, none."""
    view = GraphView(cost)
    found = find_network(view)
    assert found is not None
    order = [n for layer in reversed(found.layers) for n in layer]
    owner: dict[str, int] = {}
    for k, n in enumerate(order, 1):
        for node in n.nodes():
            owner[view.id(node)] = k
    for k, n in enumerate(order, 1):
        for x in n.inputs:
            if not any(x in m.nodes() for m in order):
                owner[view.id(x)] = max(owner.get(view.id(x), 0), k)
    return view, owner


def network_seen(cost: Value, come: int) -> Seen:
    """As of the network view's step `come`: the gradients of later steps are owed; the numbers
    of every scalar step that belongs to a neuron whose step has come are allowed (a clicked
    neuron's own graph shows them), but not a share's number sent to an input whose own step
    has not come, and every weight's explain() of those neurons."""
    _, owner = network_owners(cost)
    grads = full_pass(cost)
    data = backprop_data(cost)
    owed = {format_number(grads[id_]) for id_, k in owner.items() if k > come}
    allowed = values_of(cost)
    for step in data["steps"]:
        if not 0 < owner.get(step["node"], 0) <= come:
            continue
        head = len(step["lines"]) - len(step["shares"])
        for m, line in enumerate(step["lines"]):
            target = step["shares"][m - head]["input"] if m >= head else None
            if target is None or owner.get(target, 0) <= come:
                allowed |= numbers_in(line["text"])
        allowed.add(format_number(grads[step["node"]]))
        for share in step["shares"]:
            if owner.get(share["input"], 0) <= come:
                allowed.add(format_number(grads[share["input"]]))
    for layer in data["network"]["layers"]:
        for n in layer:
            if owner[n["z_id"]] <= come:
                for w in n["weights"]:
                    allowed |= numbers_in(w["explain"])
    for k, step in enumerate(data["network"]["steps"], 1):
        if k <= come:
            allowed |= numbers_in(step["text"])
    return Seen(allowed, owed)


# each neuron clicked, its own graph stepped to its end, and its first weight clicked: the
# page's text after each
SWEEP = """
const texts = [], pane = document.querySelector(".pane-network");
const read = () => texts.push(document.body.innerText,
  document.getElementById("backprop").textContent);
const units = [...pane.querySelectorAll("g.unit.neuron")];
const hits = [...pane.querySelectorAll("line.weight-hit")];
for (const unit of units) {
  unit.dispatchEvent(new MouseEvent("click"));
  pane.querySelector(".neuron-graph button.last").click();
  read();
}
for (const hit of hits) {
  hit.dispatchEvent(new MouseEvent("click"));
  read();
}
return texts;
"""


def sweep(driver: WebDriver, seen: Seen, where: str) -> None:
    """Click every neuron (and step its own graph to its end) and every weight: none shows a
    gradient before its step."""
    for text in driver.execute_script(SWEEP):
        leaked = numbers_in(text) & seen.forbidden()
        assert leaked == set(), f"{where}, a neuron or weight clicked: {sorted(leaked)}"


def test_outside_quiz_mode_a_clicked_neuron_or_weight_shows_nothing_before_its_step(
    browser: WebDriver, tmp_path: Path
) -> None:
    """The issue's case: at step 0 a clicked neuron showed its δ, and a weight's explain() text
    ended with its gradient under "its neuron's step has not come yet"."""
    _, cost = seed_network()
    browser.get(save_backprop_html(cost, tmp_path / "network.html").as_uri())
    pane = browser.find_element(By.CSS_SELECTOR, ".pane-network")
    browser.find_element(By.CSS_SELECTOR, '.pane-network g.unit[data-neuron="L1.N1"]').click()
    header = browser.find_element(By.CSS_SELECTOR, ".net-detail h3").text
    assert header.endswith("δ = dE/dz = … (its step, 3, has not come yet)")
    assert "open at step 3" in browser.find_element(By.CSS_SELECTOR, ".neuron-graph .note").text
    for come in range(7):
        seen = network_seen(cost, come)
        assert come == 6 or seen.forbidden(), come  # something is still to come: a real check
        check_page(browser, seen, f"step {come}")
        sweep(browser, seen, f"step {come}")
        pane.find_element(By.CSS_SELECTOR, "button.next").click()
    assert script_errors(browser) == []


def test_a_clicked_neuron_follows_the_network_view_as_it_steps(
    browser: WebDriver, tmp_path: Path
) -> None:
    """L2.N1's own graph opens at its step, 1; its inputs, the activations of layer 1, show their
    gradients from their own neurons' steps on (3 to 6), and until then each share its products
    send them is written without its number. Stepping the network view redraws it in place."""
    _, cost = seed_network()
    view, owner = network_owners(cost)
    found = find_network(view)
    assert found is not None
    inputs = [view.id(x) for x in found.layers[1][0].inputs]
    browser.get(save_backprop_html(cost, tmp_path / "network.html").as_uri())
    pane = browser.find_element(By.CSS_SELECTOR, ".pane-network")
    pane.find_element(By.CSS_SELECTOR, "button.next").click()
    browser.find_element(By.CSS_SELECTOR, '.pane-network g.unit[data-neuron="L2.N1"]').click()
    inner = ".neuron-graph"

    def input_grads() -> list[str]:
        return [
            browser.find_element(By.CSS_SELECTOR, f'{inner} td.grad[data-node="{id_}"]').text
            for id_ in inputs
        ]

    texts = []  # the lines of each of its own steps: its weights, bias, products, sums, a
    for _ in found.layers[1][0].nodes():
        browser.find_element(By.CSS_SELECTOR, f"{inner} button.next").click()
        texts.append(browser.find_element(By.CSS_SELECTOR, f"{inner} .lines").text)
        assert input_grads() == ["", "", "", ""]
    assert browser.find_element(By.CSS_SELECTOR, f"{inner} .status").text.startswith(
        "Step 14 of 14: "
    )
    at_end = browser.find_element(By.CSS_SELECTOR, f"{inner} .status").text
    waiting = [line for text in texts for line in text.split("\n") if "comes at step" in line]
    assert sorted(line.split(" += ")[0] for line in waiting) == sorted(
        f"dE/d{view.name(x)}" for x in found.layers[1][0].inputs
    )  # each product's share to its input
    assert all(numbers_in(line) == set() for line in waiting)
    for come in (3, 4, 5, 6):
        while not pane.find_element(By.CSS_SELECTOR, ".status").text.startswith(f"Step {come} "):
            pane.find_element(By.CSS_SELECTOR, "button.next").click()
        shown = input_grads()
        assert [bool(g) for g in shown] == [owner[id_] <= come for id_ in inputs], come
    # its last step, kept as the network stepped: each input holds the shares the pass has
    # sent it by then, whichever neurons sent them
    records = list(backward_steps(cost))
    own = set(found.layers[1][0].nodes())
    last = max(k for k, record in enumerate(records) if record.node in own)
    held = {view.id(s.input): s.this_pass for record in records[: last + 1] for s in record.shares}
    assert input_grads() == [format_number(held[id_]) for id_ in inputs]
    assert browser.find_element(By.CSS_SELECTOR, f"{inner} .status").text == at_end


def test_the_network_quiz_asks_each_gradient_line_and_shows_nothing_early(
    browser: WebDriver, tmp_path: Path
) -> None:
    """The 3-4-2 network, keyboard only: each step asks dC/da (a hidden neuron), δ, then each
    weight's dC/dw; the first question of a step is answered wrong twice (hint 1, hint 2), the
    others right or revealed. At every question and after every step, the page and every
    neuron and weight clicked show no gradient of a step to come."""
    _, cost = seed_network()
    data = backprop_data(cost, quiz=True)["network"]
    browser.get(save_backprop_html(cost, tmp_path / "network.html", quiz=True).as_uri())
    typing = numbers_in(" ".join(WRONG))
    right = revealed = first = 0
    for come, step in enumerate(data["steps"]):
        seen = network_seen(cost, come)
        seen.allowed |= typing
        check_page(browser, seen, f"step {come}")
        sweep(browser, seen, f"step {come}")
        typed(browser, Keys.ARROW_RIGHT)
        on_screen: set[str] = set()  # this step's lines answered, and hints shown
        for n, line in enumerate(step["lines"]):
            if "ask" not in line:
                on_screen |= numbers_in(line["text"])
                continue
            ask = line["ask"]
            where = f"step {come + 1}, {ask['name']}"
            visible = Seen(seen.allowed | on_screen, seen.owed)
            assert visible.forbidden(), where  # something is still to come: a real check
            check_page(browser, visible, where)
            lines = browser.find_element(By.CSS_SELECTOR, ".pane-network .net-lines").text
            assert lines.endswith(f"{ask['rule']} = ?"), where  # the lines stop at the question
            if n == 1:  # each step's first question
                typed(browser, WRONG[0], Keys.ENTER, WRONG[1], Keys.ENTER)
                panel = quiz_text(browser, ".pane-network")
                assert f"Hint 1: {ask['hints'][0]}" in panel
                assert f"Hint 2: {ask['hints'][1]}" in panel
                on_screen |= numbers_in(ask["hints"][1])
                check_page(browser, Seen(seen.allowed | on_screen, seen.owed), f"{where}, hints")
            if (right + revealed) % 4 == 3:
                typed(browser, Keys.ESCAPE)
                revealed += 1
            else:
                first += n != 1
                typed(browser, ask["answer"], Keys.ENTER)
                right += 1
            on_screen |= numbers_in(line["text"])
    seen = network_seen(cost, len(data["steps"]))
    assert seen.forbidden() == set()
    check_page(browser, seen, "the end")
    shown = browser.execute_script(
        "return [...document.querySelectorAll('.pane-network text.delta')]"
        ".map((t) => t.textContent);"
    )
    assert all(text.startswith("δ ") and text != "δ …" for text in shown)
    assert score(browser) == (
        f"Score: {right} right of {right + revealed} · {first} at the first try · "
        f"{revealed} revealed"
    )
    assert script_errors(browser) == []
