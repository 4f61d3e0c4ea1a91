"""The backprop page: self-contained, and in a real headless Chromium its displayed gradients
are the engine's. Skipped only where Chromium is absent and CI is not set (CI installs it)."""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from micrograd_like.engine import Value
from micrograd_like.page import save_backprop_html

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def one_neuron() -> tuple[Value, Value]:
    """The seeds' cost C = (sigmoid(W a_prev + b) - y)^2, and its weight W."""
    weight = Value(0.8, "W")
    output = weight * Value(1.5, "a_prev") + Value(0.1, "b")
    cost = (output.sigmoid() - Value(0.5, "y")) ** 2
    cost.label = "C"
    return cost, weight


def test_page_is_one_file_with_nothing_fetched(tmp_path: Path) -> None:
    cost, _ = one_neuron()
    text = save_backprop_html(cost, tmp_path / "backprop.html").read_text(encoding="utf-8")
    assert re.search(r"<(script|link|img)[^>]*(src|href)=", text) is None
    assert "<svg" in text
    assert 'id="v0"' in text


def test_a_label_cannot_close_the_data_block(tmp_path: Path) -> None:
    x = Value(2.0, "</script><script>alert(1)</script>")
    text = save_backprop_html(x * 3, tmp_path / "page.html").read_text(encoding="utf-8")
    assert text.count("</script>") == 2  # the data block's and the page script's, no more


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip("Chromium is not installed (.ci/run installs it; CI must not skip)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def displayed_grad(driver: WebDriver, node_id: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, f'.grad[data-node="{node_id}"]').text)


def test_clicking_through_every_step_shows_the_engines_gradient(
    browser: WebDriver, tmp_path: Path
) -> None:
    cost, weight = one_neuron()
    path = save_backprop_html(cost, tmp_path / "backprop.html")
    engine_grad = weight.grad  # the page recorded the engine's own backward pass
    a = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.1)))  # and by hand: dC/dW = 2(a - y) sigma'(O) a_prev
    assert engine_grad == pytest.approx(2 * (a - 0.5) * a * (1 - a) * 1.5, rel=1e-12)
    weight_id = f"v{cost.topological_order().index(weight)}"
    steps = len(cost.topological_order())  # one step per node, leaves included
    browser.get(path.as_uri())
    assert displayed_grad(browser, weight_id) == ""  # the forward view: no gradients yet
    next_button = browser.find_element(By.ID, "next")
    for _ in range(steps):
        next_button.click()
    assert float(displayed_grad(browser, weight_id)) == pytest.approx(engine_grad, abs=5e-5)
    status = browser.find_element(By.ID, "status").text
    assert status == f"Step {steps} of {steps}: y (a leaf)"


def test_arrow_keys_and_previous_walk_the_steps_and_show_the_chain_rule_line(
    browser: WebDriver, tmp_path: Path
) -> None:
    cost, _ = one_neuron()
    steps = list(cost.backward_steps())  # the lines the page must show, from the engine
    page = save_backprop_html(cost, tmp_path / "backprop.html")
    browser.get(page.as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(3):
        body.send_keys(Keys.ARROW_RIGHT)
    assert browser.find_element(By.ID, "lines").text == str(steps[2])
    body.send_keys(Keys.ARROW_LEFT)
    assert browser.find_element(By.ID, "lines").text == str(steps[1])
    browser.find_element(By.ID, "prev").click()
    assert browser.find_element(By.ID, "lines").text == str(steps[0])
    current = browser.find_elements(By.CSS_SELECTOR, "#graph g.node.current title")
    root_id = f"v{len(cost.topological_order()) - 1}"
    assert sorted(str(title.get_attribute("textContent")) for title in current) == [
        root_id,
        f"{root_id}_op",
    ]


def test_play_advances_on_its_own_until_paused(browser: WebDriver, tmp_path: Path) -> None:
    cost, _ = one_neuron()
    browser.get(save_backprop_html(cost, tmp_path / "backprop.html").as_uri())
    play = browser.find_element(By.ID, "play")
    play.click()
    WebDriverWait(browser, 10).until(  # any step: a loaded machine may poll past step 1
        lambda driver: driver.find_element(By.ID, "status").text.startswith("Step ")
    )
    play.click()  # pause
    assert play.text == "Play"
    paused_at = browser.find_element(By.ID, "status").text
    time.sleep(1.5)  # longer than one step of play
    assert browser.find_element(By.ID, "status").text == paused_at
