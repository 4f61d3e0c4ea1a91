"""The commands the README and the debugging guide print, run as printed, inside and outside
the venv that `make` creates: each gives its result or one line naming a command that works.

"Outside the venv" is a Python with the standard library alone: a venv made here without pip
or any package, first on the PATH, as `python` is on a fresh machine.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.test_pdb import ONE_NEURON, TYPED, guide_section, guide_transcript

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent  # this test runs in the venv `make` creates


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a shell whose `python` has nothing installed beside the standard
    library (graphviz, pygraphviz, anywidget all missing)."""
    home = tmp_path_factory.mktemp("bare")
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(home / "venv")
    bin_dir = home / "venv" / ("Scripts" if os.name == "nt" else "bin")
    path = os.pathsep.join(
        each
        for each in [str(bin_dir), *os.environ.get("PATH", "").split(os.pathsep)]
        if Path(each).resolve() != VENV_BIN.resolve()  # this venv is not on the PATH either
    )
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV",)}
    env.update(PATH=path, PYTHONNOUSERSITE="1")
    env.pop("PYTHONPATH", None)
    probe = subprocess.run(
        ["python", "-c", "import importlib.util as u; print(u.find_spec('graphviz'))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "None", "the bare python must not see graphviz"
    return env


def printed_commands(text: str) -> list[tuple[list[str], list[str]]]:
    """Each fenced block's `$ command` lines, each block's with the lines printed after them."""
    runs: list[tuple[list[str], list[str]]] = []
    block: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("```"):
            if block is not None:
                commands = [each[2:] for each in block if each.startswith("$ ")]
                if commands:
                    printed = block[block.index("$ " + commands[-1]) + 1 :]
                    runs.append((commands, printed))
            block = [] if block is None else None
        elif block is not None:
            block.append(line)
    return runs


def shell(commands: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    if shutil.which("bash") is None:
        pytest.skip("the printed commands are bash")
    run = subprocess.run(
        ["bash", "-c", "set -e\n" + "\n".join(commands)],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_the_readme_command_line_as_printed_prints_what_the_readme_shows(
    tmp_path: Path, bare: dict[str, str]
) -> None:
    (commands, printed), *_ = printed_commands(README.read_text(encoding="utf-8"))
    assert commands[0].startswith(".venv/bin/micrograd-like graph ")
    (tmp_path / ".venv").symlink_to(VENV_BIN.parent)  # a clone where `make` has run
    assert shell(commands, tmp_path, bare).splitlines() == printed
    assert (tmp_path / "graph.svg").read_text(encoding="utf-8").startswith("<?xml")


def test_python_m_outside_the_venv_says_in_one_line_which_command_works(
    tmp_path: Path, bare: dict[str, str]
) -> None:
    (commands, printed), *_ = printed_commands(README.read_text(encoding="utf-8"))
    arguments = commands[0].removeprefix(".venv/bin/micrograd-like ")
    run = subprocess.run(
        f"python -m micrograd_like {arguments}",
        shell=True,
        cwd=ROOT,  # from the repository's root, as a learner would type it
        env=bare,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert "the Python package graphviz" in run.stderr
    assert ".venv/bin/python" in run.stderr and "pip install graphviz" in run.stderr
    assert not (ROOT / "graph.svg").exists()
    (tmp_path / ".venv").symlink_to(VENV_BIN.parent)  # the command it names, in a clone
    output = shell([f".venv/bin/python -m micrograd_like {arguments}"], tmp_path, bare)
    assert output.splitlines() == printed


def test_the_engine_and_its_steps_need_the_standard_library_alone(
    tmp_path: Path, bare: dict[str, str]
) -> None:
    program = (
        "from micrograd_like import Value, backward_steps, explain\n"
        "w, x = Value(0.8, 'w'), Value(1.5, 'x')\n"
        "C = (w * x).sigmoid()\n"
        "C.label = 'C'\n"
        "C.backward()\n"
        "print(w.grad, len(list(backward_steps(C))), str(explain(C, w)).splitlines()[0])\n"
    )
    output = shell([f'PYTHONPATH="{ROOT}" python -c "{program}"'], tmp_path, bare)
    sigmoid = 1 / (1 + math.exp(-1.2))
    grad, rest = output.split(" ", 1)
    assert math.isclose(float(grad), sigmoid * (1 - sigmoid) * 1.5, rel_tol=1e-12)
    assert rest == "4 dC/dw: 1 path from C to w\n"


def test_the_debugging_guides_pdb_commands_run_as_printed_outside_the_venv(
    tmp_path: Path, bare: dict[str, str]
) -> None:
    (commands, _), *_ = printed_commands(guide_section())
    assert any("python -m pdb" in each for each in commands)
    (tmp_path / "micrograd_like").symlink_to(ROOT / "micrograd_like")  # the project folder
    (tmp_path / "one_neuron.py").write_text(ONE_NEURON, encoding="utf-8")
    shown = shell(commands, tmp_path, bare, stdin="\n".join(TYPED) + "\n")
    lines = [each.rstrip() for each in shown.replace(str(tmp_path), "...").splitlines()]
    lines = [re.sub(r"engine\.py([:(])\d+", r"engine.py\1LINE", each) for each in lines]
    assert lines == guide_transcript()
