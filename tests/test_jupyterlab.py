"""The widget in a real JupyterLab: the server started from this venv on 127.0.0.1, notebook 2
opened in headless Chromium, its cells run by JupyterLab, the widget's Next clicked until the
chain-rule line of seed 002 shows, and the numbers read off the page. Skipped only where
Chromium is absent and CI is not set (CI installs it).

`WIDGET_PICTURE=docs/widget_jupyterlab.png` (see `make widget-picture`) also keeps the
screenshot taken at that step."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
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
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.chromium import CHROMIUM, chromium

NOTEBOOK = Path(__file__).resolve().parents[1] / "demos" / "notebooks" / "2_watch_backprop.ipynb"
SEED_002_LINE = "dC/dw += ∂a/∂w × dC/da = 1.5 × 1.4 = 2.1"


@dataclass
class Lab:
    url: str
    token: str
    log: Path


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


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip("Chromium is not installed (.ci/run installs it; CI must not skip)")
    home = tmp_path_factory.mktemp("jupyterlab")
    work = home / "notebooks"
    work.mkdir()
    # A copy with no outputs and no saved widget state: the widget can only come from running
    # the cells, and JupyterLab's autosave never touches the committed file.
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, work / NOTEBOOK.name)
    config = home / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(  # no news pop-up over the page
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(config),  # none of the user's settings, workspaces or servers
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
    )
    token, port = secrets.token_hex(16), free_port()
    log = home / "server.log"
    command = [
        sys.executable,  # this venv's Python: its JupyterLab, kernel and package
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run the cells by command
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # no extension search on PyPI
        *(["--allow-root"] if os.geteuid() == 0 else []),  # CI's containers run as root
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not answers(f"{url}/api/status?token={token}"):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.5)
        yield Lab(url, token, log)
    finally:  # the server, then anything it started (kernels) in its process group
        server.send_signal(signal.SIGINT)  # JupyterLab's own shutdown: its kernels first
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
    browser.get(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}")
    WebDriverWait(browser, 120).until(  # the notebook open, its kernel started and idle
        lambda driver: driver.execute_script(
            "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            "const k = w && w.sessionContext && w.sessionContext.session"
            "  && w.sessionContext.session.kernel;"
            "return !!(k && k.status === 'idle' && w.content && w.content.widgets.length);"
        ),
        message=f"the notebook or its kernel did not come up; server log: {lab.log}",
    )
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
