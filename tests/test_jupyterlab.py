"""The widget in a real JupyterLab, started by `make notebook` as a learner starts it (its
copies of the notebooks, its settings) in a git repository of its own: the Makefile, .gitignore
and demos/notebooks/ with the notebooks' outputs cleared, committed. Driven in headless Chromium:

- notebook 2's cells run by JupyterLab, the widget's Next clicked until the chain-rule line of
  seed 002 shows, and the numbers read off the page;
- only the keyboard, after Run All and after Shift+Enter: every press steps the widget under
  the pointer, or with the pointer elsewhere the one last used, and the notebook stays still;
  a key typed into a cell's editor stays in the editor;
- a notebook run and saved: `git status` stays clean, and no news pop-up.

Skipped only where Chromium is absent and CI is not set (CI installs it).
`WIDGET_PICTURE=docs/widget_jupyterlab.png` (see `make widget-picture`) also keeps the
screenshot taken at seed 002's step."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.chromium import CHROMIUM, chromium

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "demos" / "notebooks"
NOTEBOOK = NOTEBOOKS / "2_watch_backprop.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SEED_002_LINE = "dC/dw += ∂a/∂w × dC/da = 1.5 × 1.4 = 2.1"
# git reading only the repository's own files (no user's or system's ignore lists), and a name
# to commit under
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"} | {
    f"GIT_{who}_{what}": value
    for who in ("AUTHOR", "COMMITTER")
    for what, value in (("NAME", "test"), ("EMAIL", "test@invalid"))
}


@dataclass
class Lab:
    url: str
    token: str
    log: Path
    repo: Path  # the git repository `make notebook` ran in
    copies: Path  # the folder JupyterLab serves: the repository's demos/output/notebooks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


def git(repo: Path, *arguments: str) -> str:
    run = subprocess.run(
        ["git", "-C", str(repo), *arguments],
        env=dict(os.environ, **GIT_ENV),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return run.stdout


def cleared(path: Path) -> nbformat.NotebookNode:
    """The notebook at `path` with no outputs and no saved widget state: a widget in it can only
    come from running its cells."""
    notebook: nbformat.NotebookNode = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("widgets", None)
    return notebook


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip("Chromium is not installed (.ci/run installs it; CI must not skip)")
    home = tmp_path_factory.mktemp("jupyterlab")
    repo = home / "repo"
    # make's part of the project, committed: the Makefile, .gitignore, and demos/notebooks/
    # (JupyterLab's settings) with notebooks 2 and 3 in it, their outputs cleared
    repo.mkdir()
    for name in ("Makefile", ".gitignore"):
        shutil.copy(ROOT / name, repo / name)
    ignored = shutil.ignore_patterns("*.ipynb", "__pycache__", ".ipynb_checkpoints")
    shutil.copytree(NOTEBOOKS, repo / "demos" / "notebooks", ignore=ignored)
    for path in sorted(NOTEBOOKS.glob("[23]_*.ipynb")):
        nbformat.write(cleared(path), repo / "demos" / "notebooks" / path.name)
    git(repo, "init", "--quiet")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message=the notebooks as committed")
    # What a learner's own Jupyter config may set, kept out of their home: the address, the
    # token, no browser; window.jupyterapp to run cells by command; no request to PyPI.
    token, port = secrets.token_hex(16), free_port()
    config = home / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {
                    "ip": "127.0.0.1",
                    "port": port,
                    "port_retries": 0,
                    "open_browser": False,
                },
                "IdentityProvider": {"token": token},
                "LabApp": {
                    "expose_app_in_browser": True,
                    "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                    "extension_manager": "readonly",
                },
            }
        )
    )
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(config),  # none of the user's settings, workspaces or servers
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    command = [  # the learner's command, on this Python's JupyterLab, kernel and package
        "make",
        "--no-print-directory",
        "--old-file=.venv/.installed",  # installed already: the venv this test runs in
        f"BIN={Path(sys.executable).parent}",
        "notebook",
    ]
    log = home / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            command,
            cwd=repo,
            env=env,
            stdin=subprocess.DEVNULL,  # no "Shutdown this Jupyter server?" prompt
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not answers(f"{url}/api/status?token={token}"):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.5)
        yield Lab(url, token, log, repo, repo / "demos" / "output" / "notebooks")
    finally:  # make, JupyterLab and its kernels: the process group make leads
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium"), window=(1280, 1000)) as driver:
        yield driver


# The gradients written into the drawing so far, each checked to sit under its own box (the
# page measures the boxes when it mounts: measured off screen, they would all land at 0, 0).
GRADS_UNDER_THEIR_BOXES = """
const placed = [];
for (const text of document.querySelectorAll(".backprop .graph svg text.graph-grad")) {
  if (!text.textContent) continue;
  const box = text.parentNode.querySelector("polygon, ellipse, path").getBBox();
  const at = text.getBBox();
  const centre = at.x + at.width / 2;
  if (centre > box.x && centre < box.x + box.width && at.y >= box.y + box.height - 1) {
    placed.push("under its box: " + text.textContent);
  } else {
    placed.push("misplaced: " + text.textContent);
  }
}
return placed;
"""


# The notebook open (its kernel started and idle) and the last pointer position kept, to ask
# what is under the pointer after the notebook may have scrolled under it.
NOTEBOOK_READY = """
const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
if (!(k && k.status === "idle" && w.content && w.content.widgets.length)) return false;
if (!window.pointer) {
  window.pointer = {x: -1, y: -1};
  document.addEventListener("mousemove", (e) => { window.pointer = {x: e.clientX, y: e.clientY}; });
}
return true;
"""


def open_notebook(browser: WebDriver, lab: Lab, name: str, workspace: str = "") -> None:
    """Notebook `name` of the served folder, in JupyterLab's `workspace` (its own tabs and
    layout; the default one if empty)."""
    place = f"workspaces/{workspace}/" if workspace else ""
    browser.get(f"{lab.url}/lab/{place}tree/{name}?token={lab.token}")
    WebDriverWait(browser, 120).until(
        lambda driver: driver.execute_script(NOTEBOOK_READY),
        message=f"the notebook or its kernel did not come up; server log: {lab.log}",
    )


def lines_text(driver: WebDriver) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, ".backprop .lines").text)


def table_grad(driver: WebDriver, name: str) -> str:
    """The grad column of the widget's table, in the row of the node called `name`."""
    for row in driver.find_elements(By.CSS_SELECTOR, ".backprop tbody tr"):
        cells = row.find_elements(By.TAG_NAME, "td")
        if cells[0].text == name:
            return str(cells[-1].text)
    raise AssertionError(f"no row for {name!r} in the widget's table")


def test_the_widget_steps_to_seed_002s_chain_rule_line_in_jupyterlab(
    lab: Lab, browser: WebDriver, tmp_path: Path
) -> None:
    open_notebook(browser, lab, NOTEBOOK.name)
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
    try:
        next_button = WebDriverWait(browser, 120).until(
            lambda driver: driver.find_element(By.CSS_SELECTOR, ".backprop button.next")
        )
    except WebDriverException:
        browser.save_screenshot(str(tmp_path / "no_widget.png"))
        raise
    assert lines_text(browser).startswith("Every node holds its value")  # the forward pass
    for _ in range(6):  # seed 002's graph has 6 steps; the line comes at step 3
        if SEED_002_LINE in lines_text(browser):
            break
        next_button.click()
    assert SEED_002_LINE in lines_text(browser)
    assert table_grad(browser, "a") == "1.4"  # dC/da, final
    assert table_grad(browser, "w") == "2.1"  # dC/dw, partial until w's own step
    status = browser.find_element(By.CSS_SELECTOR, ".backprop .status").text
    assert status == "Step 3 of 6: a (*)"
    placed = browser.execute_script(GRADS_UNDER_THEIR_BOXES)
    assert len(placed) == 6  # every node has a gradient, final or partial, after step 3
    assert all(where.startswith("under its box: grad ") for where in placed), placed

    browser.execute_script(  # the picture: the notebook alone, the cell's code above its widget
        "window.jupyterapp.shell.collapseLeft();"
        "document.querySelector('.backprop').closest('.jp-Cell').scrollIntoView();"
    )
    time.sleep(0.5)  # the panel's collapse is animated
    picture = os.environ.get("WIDGET_PICTURE")
    browser.save_screenshot(picture or str(tmp_path / "widget_jupyterlab.png"))

    next_button.send_keys(Keys.ARROW_RIGHT)  # the keys work inside JupyterLab too
    WebDriverWait(browser, 10).until(
        lambda driver: (
            driver.find_element(By.CSS_SELECTOR, ".backprop .status").text
            == "Step 4 of 6: i (a leaf)"
        )
    )


# The widgets of the notebook on screen, each the root element its output gives the widget.
WIDGETS = """
const panel = window.jupyterapp.shell.currentWidget.node;
return Array.from(panel.querySelectorAll(".jp-OutputArea-output .backprop"))
  .filter((w) => !w.parentElement.closest(".backprop") && w.querySelector(".controls"));
"""
# The status line ("Forward pass: ..." or "Step k of n: ...") and the Play button of each stepper
# a widget shows: one, or a network's and the neuron's own graph clicked in it.
STEPPERS = """
return Array.from(arguments[0].querySelectorAll(".controls"))
  .filter((bar) => bar.getClientRects().length > 0)
  .map((bar) => [bar.querySelector(".status").textContent, bar.querySelector(".play").textContent]);
"""
# Where the notebook is: its scroll position, and the widget under the pointer (-1 for none).
WHERE = """
const panel = window.jupyterapp.shell.currentWidget.node;
const widgets = Array.from(panel.querySelectorAll(".jp-OutputArea-output .backprop"))
  .filter((w) => !w.parentElement.closest(".backprop"));
const under = document.elementFromPoint(window.pointer.x, window.pointer.y);
return {
  scroll: panel.querySelector(".jp-WindowedPanel-outer").scrollTop,
  page: document.scrollingElement.scrollTop,
  pointer: widgets.findIndex((w) => w.contains(under)),
};
"""


def fresh_copy(lab: Lab, name: str) -> str:
    """Notebook 2 with no outputs, as `name` in the served folder: a kernel of its own."""
    nbformat.write(cleared(NOTEBOOK), lab.copies / name)
    return name


def widgets(browser: WebDriver, count: int) -> list[WebElement]:
    """The notebook's widgets, once `count` of them are mounted."""

    def mounted(driver: WebDriver) -> list[WebElement]:
        shown: list[WebElement] = driver.execute_script(WIDGETS)
        return shown if len(shown) == count else []  # [] is false: wait on

    found: list[WebElement] = WebDriverWait(browser, 120).until(
        mounted, message=f"not {count} widgets in the notebook"
    )
    return found


def status(browser: WebDriver, widget: WebElement, stepper: int = 0) -> str:
    return str(browser.execute_script(STEPPERS, widget)[stepper][0])


def play_button(browser: WebDriver, widget: WebElement) -> str:
    return str(browser.execute_script(STEPPERS, widget)[0][1])


def point_at(browser: WebDriver, element: WebElement) -> None:
    """The pointer moved to the middle of `element`, scrolled into view first if need be."""
    browser.execute_script("arguments[0].scrollIntoView({block: 'nearest'});", element)
    ActionChains(browser).move_to_element(element).perform()


def where(browser: WebDriver) -> dict[str, int]:
    """The notebook's scroll positions and the widget under the pointer, two frames after the
    last press (time for anything the press set off to scroll)."""
    browser.execute_async_script(
        "const done = arguments[0];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done()));"
    )
    return dict(browser.execute_script(WHERE))


def press(browser: WebDriver, *keys: str) -> None:
    """Keys pressed as on a keyboard: to whatever holds the focus."""
    ActionChains(browser).send_keys(*keys).perform()


FORWARD = "Forward pass"


def test_after_run_all_every_press_steps_the_widget_under_the_pointer(
    lab: Lab, browser: WebDriver
) -> None:
    open_notebook(browser, lab, fresh_copy(lab, "keys_after_run_all.ipynb"), "run-all")
    # as Run > Run All Cells leaves it: the last cell active, JupyterLab in command mode
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
    one_weight, chain = widgets(browser, 2)
    point_at(browser, one_weight.find_element(By.CSS_SELECTOR, ".note"))
    still = where(browser)
    assert still["pointer"] == 0
    for step in (1, 2, 3):  # each press steps the widget under the pointer, and only it
        press(browser, Keys.ARROW_RIGHT)
        assert status(browser, one_weight).startswith(f"Step {step} of 6:")
        assert status(browser, chain).startswith(FORWARD)
        assert where(browser) == still  # the notebook did not move under the pointer
    for key, shown in ((Keys.END, "Step 6 of 6:"), (Keys.ARROW_LEFT, "Step 5 of 6:")):
        press(browser, key)
        assert status(browser, one_weight).startswith(shown)
    press(browser, Keys.HOME)
    assert status(browser, one_weight).startswith(FORWARD)
    assert where(browser) == still

    point_at(browser, chain.find_element(By.CSS_SELECTOR, ".note"))  # the keys follow it
    still = where(browser)
    assert still["pointer"] == 1
    for step in (1, 2):
        press(browser, Keys.ARROW_RIGHT)
        assert status(browser, chain).startswith(f"Step {step} of 19:")
        assert status(browser, one_weight).startswith(FORWARD)
        assert where(browser) == still

    # The pointer over no widget: the keys go to the one last used, first by a key (the chain),
    # then by a click (one_weight's text), as they went to the one under the pointer.
    beside = chain.find_element(By.XPATH, "ancestor::div[contains(@class, 'jp-OutputArea-child')]")
    point_at(browser, beside.find_element(By.CSS_SELECTOR, ".jp-OutputPrompt"))
    assert where(browser)["pointer"] == -1
    press(browser, Keys.ARROW_LEFT)
    assert status(browser, chain).startswith("Step 1 of 19:")
    one_weight.find_element(By.CSS_SELECTOR, ".note").click()
    point_at(browser, beside.find_element(By.CSS_SELECTOR, ".jp-OutputPrompt"))
    still = where(browser)
    press(browser, Keys.ARROW_RIGHT)
    assert status(browser, one_weight).startswith("Step 1 of 6:")
    assert status(browser, chain).startswith("Step 1 of 19:")
    assert where(browser) == still


def test_after_shift_enter_every_press_steps_the_widget_under_the_pointer(
    lab: Lab, browser: WebDriver
) -> None:
    open_notebook(browser, lab, fresh_copy(lab, "keys_after_shift_enter.ipynb"), "shift-enter")
    cells = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")
    cells[1].find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()  # the cell, selected
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    (one_weight,) = widgets(browser, 1)
    point_at(browser, one_weight.find_element(By.CSS_SELECTOR, ".status"))
    still = where(browser)
    assert still["pointer"] == 0
    for step in (1, 2, 3, 4):
        press(browser, Keys.ARROW_RIGHT)
        assert status(browser, one_weight).startswith(f"Step {step} of 6:")
        assert where(browser) == still
    press(browser, " ")  # space: Play, and again: Pause
    assert play_button(browser, one_weight) == "Pause"
    press(browser, " ")
    assert play_button(browser, one_weight) == "Play"
    assert where(browser) == still
    # a button clicked has the focus: a key still does what it says, not the button's click
    one_weight.find_element(By.CSS_SELECTOR, "button.prev").click()
    assert status(browser, one_weight).startswith("Step 3 of 6:")
    press(browser, " ")
    assert (status(browser, one_weight)[:12], play_button(browser, one_weight)) == (
        "Step 3 of 6:",
        "Pause",
    )
    press(browser, " ", Keys.HOME)
    assert play_button(browser, one_weight) == "Play"
    assert status(browser, one_weight).startswith(FORWARD)


# A network's widget (two hidden neurons, one output), between headings as in notebook 3.
NETWORK_CELLS = [
    nbformat.v4.new_markdown_cell("# A network"),
    nbformat.v4.new_code_cell(
        "from micrograd_like import MLP, Value\n"
        "from micrograd_like.notebook import show_backprop\n"
        "\n"
        "model = MLP(2, [2, 1], activation='tanh', seed=0)\n"
        "C = (model([Value(0.5, label='x1'), Value(-1.0, label='x2')]) - 1.0) ** 2\n"
        "C.label = 'C'\n"
        "show_backprop(C)"
    ),
    nbformat.v4.new_markdown_cell("The deltas travel back one neuron at a time."),
    nbformat.v4.new_markdown_cell("## After the network"),
    nbformat.v4.new_code_cell("print('after')"),
]


def test_in_a_networks_widget_the_keys_step_the_view_under_the_pointer(
    lab: Lab, browser: WebDriver
) -> None:
    notebook = nbformat.v4.new_notebook(cells=NETWORK_CELLS, metadata=cleared(NOTEBOOK).metadata)
    nbformat.write(notebook, lab.copies / "keys_network.ipynb")
    open_notebook(browser, lab, "keys_network.ipynb", "network")
    cells = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")
    cells[1].find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    (network,) = widgets(browser, 1)
    point_at(browser, network.find_element(By.CSS_SELECTOR, ".pane-network > .note"))
    still = where(browser)
    for step in (1, 2):  # the network view, one neuron a step: the output's, then layer 1's
        press(browser, Keys.ARROW_RIGHT)
        assert status(browser, network).startswith(f"Step {step} of 3:")
        assert where(browser) == still

    # a neuron's own graph, clicked open under the network: the keys step it while the pointer
    # is over it, and the network again once the pointer is back on the network
    network.find_element(By.CSS_SELECTOR, ".pane-network g.unit.neuron").click()
    point_at(browser, network.find_element(By.CSS_SELECTOR, ".neuron-graph > .note"))
    still = where(browser)
    press(browser, Keys.ARROW_RIGHT)
    assert status(browser, network, 1).startswith("Step 1 of ")
    assert status(browser, network, 0).startswith("Step 2 of 3:")
    point_at(browser, network.find_element(By.CSS_SELECTOR, ".pane-network > .note"))
    press(browser, Keys.ARROW_RIGHT)
    assert status(browser, network, 0).startswith("Step 3 of 3:")
    assert status(browser, network, 1).startswith("Step 1 of ")

    # the other tab, the scalar graph of every node: the keys step the tab that shows
    network.find_element(By.CSS_SELECTOR, ".tab-scalar").click()
    point_at(browser, network.find_element(By.CSS_SELECTOR, ".pane-scalar > .note"))
    press(browser, Keys.ARROW_RIGHT, Keys.END)
    steps = re.match(r"Step (\d+) of (\d+): ", status(browser, network))
    assert steps is not None and steps[1] == steps[2] != "3", status(browser, network)


def test_keys_typed_into_a_cell_stay_in_the_cell_under_a_resting_pointer(
    lab: Lab, browser: WebDriver
) -> None:
    open_notebook(browser, lab, fresh_copy(lab, "keys_typed.ipynb"), "typed")
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
    one_weight, _ = widgets(browser, 2)
    # the code cell under the widget, its first line edited at its end, and the pointer left
    # resting on the widget above it
    code = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")[3]
    source = "return jupyterapp.shell.currentWidget.content.widgets[3].model.sharedModel.source;"
    first_line = str(browser.execute_script(source)).splitlines()[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'end'});", code)
    code.find_element(By.CSS_SELECTOR, ".cm-line").click()
    press(browser, Keys.END)
    ActionChains(browser).move_to_element(
        one_weight.find_element(By.CSS_SELECTOR, ".legend")
    ).perform()
    assert where(browser)["pointer"] == 0
    press(browser, " ", "#", Keys.ARROW_LEFT, Keys.ARROW_LEFT, " ", Keys.HOME, Keys.END)
    assert str(browser.execute_script(source)).splitlines()[0] == first_line + "  #"
    assert status(browser, one_weight).startswith(FORWARD)
    assert play_button(browser, one_weight) == "Play"


def test_a_notebook_run_and_saved_leaves_git_status_clean(lab: Lab, browser: WebDriver) -> None:
    open_notebook(browser, lab, NOTEBOOK.name, "save")  # the copy `make notebook` made
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
    widgets(browser, 2)
    browser.execute_script("window.jupyterapp.commands.execute('docmanager:save');")  # Ctrl+S
    WebDriverWait(browser, 30).until(
        lambda driver: driver.execute_script(
            "return !window.jupyterapp.shell.currentWidget.context.model.dirty;"
        )
    )
    assert git(lab.repo, "status", "--porcelain", "--untracked-files=all") == ""
    checkpoints = [
        path for path in lab.repo.rglob(".ipynb_checkpoints") if lab.copies not in path.parents
    ]
    assert checkpoints == []  # not even ones git might be told to ignore
    saved = nbformat.read(lab.copies / NOTEBOOK.name, as_version=4)  # it was saved, there
    views = [output for cell in saved.cells for output in cell.get("outputs", [])]
    assert sum(WIDGET_VIEW in output.get("data", {}) for output in views) == 2
    # and no news pop-up over the notebook (JupyterLab asks whether to fetch news, at start)
    toasts = browser.find_elements(By.CSS_SELECTOR, ".Toastify__toast")
    assert [toast.text for toast in toasts] == []


def test_make_notebook_asks_for_no_news(lab: Lab) -> None:
    plugin = "@jupyterlab/apputils-extension:notification"
    with urllib.request.urlopen(
        f"{lab.url}/lab/api/settings/{plugin}?token={lab.token}", timeout=10
    ) as response:
        schema = json.load(response)["schema"]
    assert schema["properties"]["fetchNews"]["default"] == "false"


QUIZ_CELL = """from micrograd_like import Value
from micrograd_like.notebook import show_backprop

i, w, y = Value(1.5, label="i"), Value(0.8, label="w"), Value(0.5, label="y")
a = i * w
a.label = "a"
C = (a - y) ** 2
C.label = "C"
show_backprop(C, quiz=True)"""


def test_the_widgets_quiz_asks_hints_and_scores_by_keyboard_in_jupyterlab(
    lab: Lab, browser: WebDriver
) -> None:
    notebook = cleared(NOTEBOOK)  # its kernel and language, one cell of its own
    notebook.cells = [nbformat.v4.new_code_cell(QUIZ_CELL)]
    nbformat.write(notebook, lab.copies / "quiz.ipynb")
    open_notebook(browser, lab, "quiz.ipynb", "quiz")
    browser.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells');")
    (widget,) = widgets(browser, 1)
    point_at(browser, widget.find_element(By.CSS_SELECTOR, ".note"))

    def panel() -> str:
        return str(widget.find_element(By.CSS_SELECTOR, ".quiz").text)

    assert "dC/dsub4" not in widget.text  # nothing of the backward pass before its step
    press(browser, Keys.ARROW_RIGHT)  # step 1 opens its question, the cursor in its field
    active = browser.switch_to.active_element
    assert active.get_attribute("class") == "quiz-answer"
    assert "1.4" not in widget.text  # dC/dsub4 = 2(a - y) = 1.4 is asked, not shown
    press(browser, "2", Keys.ENTER)  # wrong: the first hint, no answer
    assert "Not 2." in panel() and "Hint 1:" in panel() and "1.4" not in panel()
    press(browser, "1.4", Keys.ENTER)  # right
    assert "✓ Right: dC/dsub4 = 1.4" in panel()
    score = str(widget.find_element(By.CSS_SELECTOR, ".quiz-score").text)
    assert score == "Score: 1 right of 1 · 0 at the first try · 0 revealed"


# A model trained in one cell while its live view, shown by the cell before, redraws; a cell to
# type in after it.
LIVE_CELLS = [
    "from micrograd_like import MLP, GradientHealth, losses, optim\n"
    "from micrograd_like.model_widget import show_model\n"
    "\n"
    "model = MLP(2, [4, 4, 1], activation='tanh', seed=0)\n"
    "xs, ys = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [1.0, 1.0, -1.0, -1.0]\n"
    "health = GradientHealth(model)\n"
    "optimizer = optim.SGD(model.parameters(), lr=0.1)\n"
    "cost = losses.mse([model(x) for x in xs], ys)\n"
    "widget = show_model(cost, model, health=health, interval=0.2)\n"
    "widget",
    "import time\n"
    "\n"
    "for step in range(40):\n"
    "    cost = losses.mse([model(x) for x in xs], ys)\n"
    "    optimizer.zero_grad()\n"
    "    cost.backward()\n"
    "    optimizer.step()\n"
    "    health.record(cost)\n"
    "    widget.update(cost)  # sent at most every 0.2 s\n"
    "    time.sleep(0.05)  # a slower model's step\n"
    "sent = widget.flush()  # the last step, if it was skipped",
    "",
]
# Every step the live view's line shows from now on (the widget's root keeps it in data-step).
WATCH_STEPS = """
const root = arguments[0];
window.liveSteps = [];
new MutationObserver(() => window.liveSteps.push(Number(root.dataset.step)))
  .observe(root, {attributes: true, attributeFilter: ["data-step"]});
"""
NOTEBOOK_SCROLL = """
return window.jupyterapp.shell.currentWidget.node.querySelector(".jp-WindowedPanel-outer")
  .scrollTop;
"""


def test_the_model_view_redraws_live_while_a_model_trains_in_jupyterlab(
    lab: Lab, browser: WebDriver, tmp_path: Path
) -> None:
    notebook = cleared(NOTEBOOK)  # its kernel and language, cells of its own
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in LIVE_CELLS]
    nbformat.write(notebook, lab.copies / "live.ipynb")
    open_notebook(browser, lab, "live.ipynb", "live")
    cells = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")
    cells[0].find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    root = WebDriverWait(browser, 120).until(
        lambda driver: driver.find_element(By.CSS_SELECTOR, ".model-widget[data-step='0']")
    )
    # the learner picks a weight before training: L2.W[1,2], the middle of its cell of 10 px
    # clicked (the pointer brought over the map first: the notebook may scroll as it comes)
    canvas = root.find_elements(By.CSS_SELECTOR, ".mv-card canvas.mv-grad")[2]
    point_at(browser, canvas)
    size = canvas.size  # 4 x 4 cells and a border of 1 px; the offsets are from its middle
    x, y = 1 + 2 * 10 + 5 - size["width"] / 2, 1 + 1 * 10 + 5 - size["height"] / 2
    ActionChains(browser).move_to_element_with_offset(canvas, int(x), int(y)).click().perform()
    chosen = str(root.find_element(By.CSS_SELECTOR, ".mv-status").text)
    assert chosen.startswith("L2.W[1,2] (node ")

    browser.execute_script(WATCH_STEPS, root)
    cells[1].find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()  # the training, run
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    WebDriverWait(browser, 120).until(
        lambda driver: root.get_attribute("data-step") == "40",
        message=f"the view did not reach step 40; server log: {lab.log}",
    )
    steps = browser.execute_script("return window.liveSteps;")
    assert steps == sorted(steps) and steps[-1] == 40
    assert len(set(steps)) >= 4, steps  # it advanced while the model trained, not only at the end
    assert str(root.find_element(By.CSS_SELECTOR, ".mw-step").text) == "Training step 40"
    assert str(root.find_element(By.CSS_SELECTOR, ".mv-status").text) == chosen
    assert "at 40 training steps" in str(root.find_element(By.CSS_SELECTOR, ".mv-health").text)
    browser.execute_script(
        "window.jupyterapp.shell.collapseLeft(); arguments[0].scrollIntoView();", root
    )
    time.sleep(0.5)  # the panel's collapse is animated
    browser.save_screenshot(str(tmp_path / "model_widget_jupyterlab.png"))

    # typed into the cell below, the pointer resting on the view: the keys stay in the cell
    cells[2].find_element(By.CSS_SELECTOR, ".cm-line").click()
    point_at(browser, root.find_element(By.CSS_SELECTOR, ".mv-loss"))
    press(browser, "a", " ", "b", Keys.ARROW_LEFT, Keys.ARROW_LEFT, "c", Keys.END, "d")
    source = "return jupyterapp.shell.currentWidget.content.widgets[2].model.sharedModel.source;"
    assert browser.execute_script(source) == "ac bd"
    assert str(root.find_element(By.CSS_SELECTOR, ".mv-status").text) == chosen
    # in command mode, → is the view's: a hop up from the weight, the notebook still
    press(browser, Keys.ESCAPE)
    scroll = browser.execute_script(NOTEBOOK_SCROLL)
    press(browser, Keys.ARROW_RIGHT)
    assert str(root.find_element(By.CSS_SELECTOR, ".mv-status").text).startswith("Hop 1 of 1: ")
    assert browser.execute_script(NOTEBOOK_SCROLL) == scroll
