"""A learner's pdb session: break on the chain-rule line of backward() in the seeds' one-neuron
example, print the node, its inputs, its local derivatives and the upstream gradient, then
continue to the next node."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_like import engine

ONE_NEURON = """\
from micrograd_like.engine import Value

W, a_prev, b, y = Value(0.8, "W"), Value(1.5, "a_prev"), Value(0.1, "b"), Value(0.5, "y")
O = W * a_prev + b
O.label = "O"
a = O.sigmoid()
a.label = "a"
C = (a - y) ** 2
C.label = "C"
C.backward()
"""


def chain_rule_line() -> int:
    """The line of the chain-rule statement in engine.py, found in its text."""
    lines = Path(engine.__file__).read_text(encoding="utf-8").splitlines()
    stripped = [line.strip() for line in lines]
    return stripped.index("input1.grad += node._local1 * upstream") + 1


def test_pdb_shows_the_node_and_the_chain_rule_values(tmp_path: Path) -> None:
    script = tmp_path / "one_neuron.py"
    script.write_text(ONE_NEURON, encoding="utf-8")
    commands = [
        f"b {engine.__file__}:{chain_rule_line()}",
        "c",
        "p node",
        "p node.inputs",
        "p node.local_grads",
        "p upstream",
        "c",
        "p node",
        "q",
    ]
    run = subprocess.run(
        [sys.executable, "-m", "pdb", str(script)],
        input="\n".join(commands) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        # the child must import this checkout's engine, the file the breakpoint names
        env={**os.environ, "PYTHONPATH": str(Path(engine.__file__).resolve().parent.parent)},
    )
    output = run.stdout
    a = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.1)))  # the activation, by hand
    assert "-> input1.grad += node._local1 * upstream" in output
    # first stop: the cost C = (a - y)^2, whose gradient is 1; its input a - y; dC/d(a - y)
    assert f"(Pdb) Value(data={round((a - 0.5) ** 2, 4)}, grad=1.0, op='**2', label='C')" in output
    assert f"(Pdb) (Value(data={round(a - 0.5, 4)}, grad=0.0, op='-'),)" in output
    local = output.split("(Pdb) (")[2].split(",)")[0]  # the printed tuple of local derivatives
    assert float(local) == pytest.approx(2 * (a - 0.5), rel=1e-12)
    assert "(Pdb) 1.0\n" in output  # upstream: dC/dC
    # second stop: a - y, its gradient now complete: 2(a - y)
    assert (
        f"(Pdb) Value(data={round(a - 0.5, 4)}, grad={round(2 * (a - 0.5), 4)}, op='-')" in output
    )
