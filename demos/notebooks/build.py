"""`make notebooks`: run every notebook here top to bottom in a fresh kernel and write it back
with its outputs, so that they read well where no kernel runs (a code host, a file viewer).

Running them twice gives the same files: no execution timestamps, no memory addresses, widget
ids numbered in order of appearance instead of random. A widget shows its one-line summary until
the notebook runs. The tests execute them the same way, and check the widgets' state.
"""

from __future__ import annotations

import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from micrograd_like._io import atomic_write_text

HERE = Path(__file__).resolve().parent
NOTEBOOKS = sorted(HERE.glob("[0-9]_*.ipynb"))
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def execute(path: Path, timeout: int = 300) -> Any:
    """The notebook at `path` with fresh outputs: every code cell run in order in a new kernel
    started in the notebook's folder (as JupyterLab does). A cell that raises stops the run
    with nbclient's CellExecutionError, which names the cell and shows its traceback."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # no timestamps: the file changes only when an output does
        store_widget_state=True,
        coalesce_streams=True,  # one stdout output per cell, however the kernel flushed it
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not its warning about plain TCP
    )
    client.execute()
    return tidy(notebook, path.stem)


def tidy(notebook: Any, name: str) -> Any:
    """Drop what differs from run to run: per-cell execution metadata, the Python version,
    memory addresses in plain-text reprs (`<... at 0x7f...>`), and the widgets' random model
    ids (renumbered in order of first appearance)."""
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            plain = output.get("data", {}).get("text/plain")
            if isinstance(plain, str):
                output["data"]["text/plain"] = re.sub(r" at 0x[0-9a-f]+>", ">", plain)
    notebook.metadata["language_info"] = {"name": "python"}
    text = nbformat.writes(notebook)
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    shown = re.findall(r'"model_id": "([0-9a-f]{32})"', text)
    for number, model_id in enumerate(dict.fromkeys([*shown, *state]), 1):
        stable = uuid.uuid5(uuid.NAMESPACE_URL, f"micrograd_like/{name}/{number}").hex
        text = text.replace(model_id, stable)
    return nbformat.reads(text, as_version=4)


def widget_views(notebook: Any) -> list[dict[str, Any]]:
    """The widget outputs of every code cell, in order: their model ids' widget states."""
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return [
        state[output["data"][WIDGET_VIEW]["model_id"]]["state"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if WIDGET_VIEW in output.get("data", {})
    ]


def main() -> None:
    for path in NOTEBOOKS:
        start = time.perf_counter()
        notebook = execute(path)
        # Not the widgets' saved state: JupyterLab does not rebuild a widget from it (it shows
        # the widget's text summary until the cells run), and each state carries the page's
        # script and the whole drawing again, hundreds of KB for the trained network.
        notebook.metadata.pop("widgets", None)
        atomic_write_text(path, nbformat.writes(notebook) + "\n")
        size = path.stat().st_size
        print(f"ran {path.name} in {time.perf_counter() - start:.1f} s ({size:,} bytes)")


if __name__ == "__main__":
    main()
