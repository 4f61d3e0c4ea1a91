"""The page typesets its formulas with the KaTeX inside the package (micrograd_like.latex): each
step's chain-rule lines (the text beneath them), a weight's explain(), the network view's δ
formulas, the quiz's question and the formulas of its hints. In headless Chromium, offline:
nothing is fetched and nothing is written to the console. Where KaTeX is left out
(typeset=False), blocked, fails to start or refuses a formula, the text is there instead.
Only what the page shows is typeset: no LaTeX of a line not yet shown is in the page (the quiz's
tests, tests/test_quiz.py, read every data-tex attribute at every question)."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from demos.network_page import seed_network
from demos.one_neuron_graph import build as one_neuron
from micrograd_like import MLP, Value, page
from micrograd_like.latex import KATEX_VERSION, katex_script, latex_lines, network_line_latex
from micrograd_like.page import backprop_data, save_backprop_html
from tests.chromium import chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), window=(1280, 1000)) as driver:
        # offline: a page that tried to fetch anything would fail to, and say so in the log
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        yield driver


def console(driver: WebDriver) -> list[str]:
    log = driver.get_log("browser")  # type: ignore[attr-defined]  # Chromium's, not WebDriver's
    return [str(entry["message"]) for entry in log]


def open_page(driver: WebDriver, path: Path) -> None:
    console(driver)  # the log so far, another test's: read and dropped
    driver.get(path.as_uri())
    for _ in range(100):  # KaTeX's fonts are data: URLs, decoded as the page starts
        if driver.execute_script("return document.fonts.status") == "loaded":
            return
        time.sleep(0.05)
    raise AssertionError("the page's fonts never finished loading")


# each typeset row of a block: its LaTeX, whether KaTeX typeset it (and that LaTeX), its error
ROWS = """
return [...document.querySelectorAll(arguments[0] + " > [data-tex]")].map((row) => [
  row.dataset.tex, row.dataset.texDone === row.dataset.tex && !!row.querySelector(".katex"),
  row.dataset.texError || null]);
"""
# what the page fetched (KaTeX's fonts are data: URLs, which are no fetch) and its fonts' state
FETCHED = """
return [performance.getEntriesByType("resource").map((e) => e.name)
          .filter((name) => !name.startsWith("data:")),
        [...document.fonts].filter((f) => f.status === "error").map((f) => f.family),
        [...document.fonts].some((f) => f.family === "KaTeX_Main" && f.status === "loaded")];
"""


def rows(driver: WebDriver, css: str) -> list[tuple[str, bool, str | None]]:
    return [tuple(row) for row in driver.execute_script(ROWS, css)]


def typeset(texs: list[str]) -> list[tuple[str, bool, str | None]]:
    return [(tex, True, None) for tex in texs]


def test_each_step_is_typeset_offline_with_its_text_beneath(
    browser: WebDriver, tmp_path: Path
) -> None:
    root = one_neuron()
    data = backprop_data(root)
    open_page(browser, save_backprop_html(root, tmp_path / "page.html"))
    assert rows(browser, "#backprop .lines-math") == []  # the forward pass: words, no formula
    for step in data["steps"]:
        browser.find_element(By.CSS_SELECTOR, "#backprop button.next").click()
        assert rows(browser, "#backprop .lines-math") == typeset([x["tex"] for x in step["lines"]])
        math = browser.find_element(By.CSS_SELECTOR, "#backprop .lines-math")
        assert math.is_displayed() and "shown" in str(math.get_attribute("class"))
        assert browser.find_element(By.CSS_SELECTOR, "#backprop .lines").text == step["text"]
    fetched, failed, katex_font = browser.execute_script(FETCHED)
    assert (fetched, failed, katex_font) == ([], [], True)
    assert console(browser) == []


def test_the_network_view_typesets_its_steps_a_neurons_graph_and_a_weights_explain(
    browser: WebDriver, tmp_path: Path
) -> None:
    _, cost = seed_network()
    data = backprop_data(cost)["network"]
    open_page(browser, save_backprop_html(cost, tmp_path / "network.html"))
    pane = browser.find_element(By.CSS_SELECTOR, ".pane-network")
    click_weight = "document.querySelector('.pane-network line.weight-hit').dispatchEvent(" + (
        "new MouseEvent('click'))"
    )
    browser.execute_script(click_weight)  # L1.N1.w1, before its neuron's step (3)
    weight = data["layers"][0][0]["weights"][0]
    before = [weight["explain_tex"][k] for k in weight["explain_before"]]
    aligned = "\\begin{aligned}" + " \\\\ ".join(before) + "\\end{aligned}"
    assert rows(browser, ".net-detail") == typeset([aligned])  # its paths, no number yet
    for step in data["steps"]:
        pane.find_element(By.CSS_SELECTOR, "button.next").click()
        assert rows(browser, ".pane-network > .lines-math") == typeset(
            [line["tex"] for line in step["lines"]]
        )
    every = "\\begin{aligned}" + " \\\\ ".join(weight["explain_tex"]) + "\\end{aligned}"
    assert rows(browser, ".net-detail") == typeset([every])  # shown again: every line now
    browser.find_element(By.CSS_SELECTOR, '.pane-network g.unit[data-neuron="L2.N1"]').click()
    browser.find_element(By.CSS_SELECTOR, ".neuron-graph button.last").click()
    inner = rows(browser, ".neuron-graph .lines-math")
    assert inner and all(done and error is None for _, done, error in inner)
    refused = "return document.querySelectorAll('[data-tex-error]').length"
    assert browser.execute_script(refused) == 0
    assert console(browser) == []


def test_the_quiz_typesets_its_question_and_the_formulas_of_the_hints_given(
    browser: WebDriver, tmp_path: Path
) -> None:
    root = one_neuron()
    ask = backprop_data(root)["steps"][0]["lines"][1]["ask"]  # dC/dsub7 += ... = ?
    open_page(browser, save_backprop_html(root, tmp_path / "quiz.html", quiz=True))
    browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert rows(browser, "#backprop .quiz-prompt") == typeset([f"{ask['rule_tex']} = ?"])
    assert rows(browser, "#backprop .said-hint") == []  # no hint asked for: none in the page
    for given, wrong in enumerate(["12.5", "-3.25"], 1):
        browser.switch_to.active_element.send_keys(wrong, Keys.ENTER)
        expected = [tex for hint in ask["hints_tex"][:given] for _, _, tex in hint]
        assert rows(browser, "#backprop .said-hint") == typeset(expected)
    said = browser.execute_script(  # each formula keeps its words, in the hint's own text
        "return [...document.querySelectorAll('#backprop .said-hint')].map((hint) => {"
        "  const copy = hint.cloneNode(true);"
        "  for (const f of copy.querySelectorAll('[data-tex-text]')) f.textContent = "
        "    f.dataset.texText;"
        "  return copy.textContent; });"
    )
    assert said == [f"Hint {n}: {text}" for n, text in enumerate(ask["hints"], 1)]
    assert console(browser) == []


# ---- the LaTeX in the data: what the page typesets, as its scripts put it together


def hostile() -> Value:
    """Labels with characters LaTeX reads as markup, a space, and one beyond the 16-bit range
    (two UTF-16 code units: the hints' offsets count them as JavaScript does)."""
    w = Value(0.8, "𝑤 {x}$")
    b = Value(0.1, "b_1 & 50%")
    cost = (w * Value(1.5, "a prev") + b).tanh() ** 2
    cost.label = "C\\"
    return cost


def wide_relu() -> Value:
    model = MLP(6, [3, 1], activation="relu", seed=0)
    out = model([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert isinstance(out, Value)
    cost = (out - 1.0) ** 2
    cost.label = "C"
    return cost


def utf16(text: str, start: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def every_latex(data: dict[str, Any]) -> list[str]:
    """Every LaTeX the page may typeset from `data`, put together as its scripts do: lines,
    questions (`rule = ?`), the formulas of the hints, a weight's explain() before its step and
    after, and a share whose number comes later in a neuron's own graph. For a network, its
    own steps and the first weight of each layer's first neuron: its scalar steps are LaTeX of
    the same kinds as any graph's."""
    found: list[str] = []
    steps = list(data["steps"])
    if data["network"] is not None:
        steps = data["network"]["steps"]
        for layer in data["network"]["layers"]:
            for neuron in layer[:1]:
                for weight in neuron["weights"][:1]:
                    rows = weight.get("explain_tex") or []
                    for shown in (weight["explain_before"], range(len(rows))):
                        kept = [rows[k] for k in shown if rows[k] is not None]
                        found.append("\\begin{aligned}" + " \\\\ ".join(kept) + "\\end{aligned}")
    root = data["root"]
    for step in steps:
        for line in step["lines"]:
            found.append(line["tex"])
            rule = line.get("ask", line).get("rule_tex")
            if rule is not None:
                found += [f"{rule} = ?", f"{rule} \\quad \\text{{(its number comes at step 3)}}"]
                assert step.get("layer") or line["tex"].startswith(rule + " = ")
            for hint, formulas in zip(
                line.get("ask", {}).get("hints", []),
                line.get("ask", {}).get("hints_tex", []),
                strict=True,
            ):
                for start, end, tex in formulas:
                    assert tex == network_line_latex(utf16(hint, start, end), cost=root)
                    found.append(tex)
    return found


def test_every_latex_the_page_holds_is_katexs_to_typeset(
    browser: WebDriver, tmp_path: Path
) -> None:
    found = [
        tex
        for root in (one_neuron(), hostile(), seed_network()[1], wide_relu())
        for tex in every_latex(backprop_data(root))
    ]
    assert len(found) > 150
    unique = sorted(set(found))
    body = "\n".join(f'<div data-tex="{html.escape(tex)}"></div>' for tex in unique)
    path = tmp_path / "every.html"
    path.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}\n'
        f"<script>{katex_script()}\nmicrograd_like_katex.typeset(document.body);</script>"
        "</body></html>",
        encoding="utf-8",
    )
    console(browser)  # the log so far, another test's: read and dropped
    browser.get(path.as_uri())
    refused = browser.execute_script(
        "return [...document.querySelectorAll('[data-tex-error]')]"
        ".map((e) => [e.dataset.tex, e.dataset.texError]);"
    )
    done = browser.execute_script("return document.querySelectorAll('[data-tex-done]').length")
    assert console(browser) == []
    assert refused == []
    assert done == len(unique)


# ---- without KaTeX, the text


STEP_3 = "dC/dO += ∂a/∂O × dC/da = 0.1683 × 0.5717 = 0.0962"
KATEX_SCRIPT = re.compile(r"<script>\n/\* KaTeX .*?</script>", re.S)


def check_the_text_alone(driver: WebDriver, path: Path, typeset_rows: bool) -> None:
    """At step 3 of the seeds' neuron, in quiz mode: its lines are the text, full size, and its
    question and hints are their text; nothing typeset, nothing in the console."""
    open_page(driver, path)
    for keys in [
        [Keys.ARROW_RIGHT, Keys.ESCAPE],  # step 1: its one question revealed
        [Keys.ARROW_RIGHT, Keys.ESCAPE, Keys.ESCAPE],  # step 2: its two
        [Keys.ARROW_RIGHT, "12.5", Keys.ENTER],  # step 3: a wrong answer, hint 1
    ]:
        for key in keys:
            driver.switch_to.active_element.send_keys(key)
    quiz = driver.find_element(By.CSS_SELECTOR, "#backprop .quiz").text
    assert "Your prediction: dC/dO += ∂a/∂O × dC/da = ?" in quiz
    assert "Hint 1: Which factors meet: the local derivative ∂a/∂O = sigmoid(O) * " in quiz
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert driver.find_element(By.CSS_SELECTOR, "#backprop .lines").text == STEP_3
    math = driver.find_element(By.CSS_SELECTOR, "#backprop .lines-math")
    # not shown, nor marked so: the text is the step's lines, full size (page.css)
    assert not math.is_displayed() and "shown" not in str(math.get_attribute("class"))
    assert len(rows(driver, "#backprop .lines-math")) == (1 if typeset_rows else 0)
    assert driver.execute_script("return document.querySelectorAll('.katex').length") == 0
    assert console(driver) == []


def test_typeset_false_writes_the_page_without_katex_its_text_alone(
    browser: WebDriver, tmp_path: Path
) -> None:
    root = one_neuron()
    path = save_backprop_html(root, tmp_path / "plain.html", quiz=True, typeset=False)
    text = path.read_text(encoding="utf-8")
    typeset = save_backprop_html(root, tmp_path / "typeset.html").read_text(encoding="utf-8")
    for katex in (f"KaTeX {KATEX_VERSION}", "@font-face", "katex-mathml"):  # script, fonts, style
        assert katex not in text and katex in typeset
    assert f"KaTeX {KATEX_VERSION}" in typeset
    assert len(typeset) - len(text) > 300_000  # KaTeX, its fonts and the LaTeX
    block = re.search(r'id="backprop-data">(.*?)</script>', text, re.S)
    assert block is not None
    data = json.loads(block[1])
    assert data == backprop_data(root, quiz=True, typeset=False)
    assert not re.search(r'"\w*tex":', block[1])  # no LaTeX in it: tex, rule_tex, hints_tex
    check_the_text_alone(browser, path, typeset_rows=False)


def test_a_page_whose_katex_is_blocked_keeps_its_text(browser: WebDriver, tmp_path: Path) -> None:
    path = save_backprop_html(one_neuron(), tmp_path / "page.html", quiz=True)
    text = path.read_text(encoding="utf-8")
    assert len(KATEX_SCRIPT.findall(text)) == 1
    path.write_text(KATEX_SCRIPT.sub("", text), encoding="utf-8")  # as if the script were blocked
    check_the_text_alone(browser, path, typeset_rows=True)


def test_a_page_whose_katex_fails_to_start_keeps_its_text(
    browser: WebDriver, tmp_path: Path
) -> None:
    path = save_backprop_html(one_neuron(), tmp_path / "page.html", quiz=True)
    start = "const module = {exports: {}};"
    text = path.read_text(encoding="utf-8")
    assert text.count(start) == 1
    broken = text.replace(start, start + "\nthrow new Error('KaTeX could not start');")
    path.write_text(broken, encoding="utf-8")
    check_the_text_alone(browser, path, typeset_rows=True)


def test_a_line_katex_refuses_keeps_its_text_and_the_others_are_typeset(
    browser: WebDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused_once(record: Any) -> list[str]:
        found = latex_lines(record)
        return [r"\frac{1}{" if "0.1683" in tex else tex for tex in found]

    monkeypatch.setattr(page, "latex_lines", refused_once)
    root = one_neuron()
    step = backprop_data(root)["steps"][2]
    assert [line["text"] for line in step["lines"]] == [STEP_3]
    open_page(browser, save_backprop_html(root, tmp_path / "page.html"))
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)  # step 3: refused
    ((tex, done, error),) = rows(browser, "#backprop .lines-math")
    assert (tex, done) == (r"\frac{1}{", False) and error is not None
    assert not browser.find_element(By.CSS_SELECTOR, "#backprop .lines-math").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, "#backprop .lines").text == STEP_3
    body.send_keys(Keys.ARROW_RIGHT)  # step 4: typeset again
    assert all(done for _, done, _ in rows(browser, "#backprop .lines-math"))
    assert console(browser) == []  # a refusal is said in data-tex-error, not the console


def test_typeset_is_checked_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^save_backprop_html: typeset must be True or False"):
        save_backprop_html(one_neuron(), tmp_path / "page.html", typeset="yes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    data = backprop_data(one_neuron(), typeset=False)
    assert json.loads(json.dumps(data)) == data
