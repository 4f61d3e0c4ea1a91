"""docs/debugging.md's pdb session, run as the guide says: `grep` finds the chain-rule line (no
line number is written down anywhere), pdb breaks there in the seeds' one-neuron example, and
the transcript printed is the guide's, line for line."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_like import engine

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "debugging.md"

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
print(W)
"""

TYPED = ["p node", "p node.inputs", "p node.local_grads", "p upstream", "c"]
TYPED += ["p node", "p node.inputs", "p node.local_grads", "q"]


def guide_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return text[text.index("## 4. Break on the chain rule") : text.index("## 5.")]


def guide_grep_pattern() -> str:
    """The pattern of the guide's `grep -n "..." micrograd_like/engine.py` command."""
    match = re.search(r'grep -n "(.+?)" micrograd_like/engine\.py', guide_section())
    assert match is not None
    return match.group(1)


def guide_transcript() -> list[str]:
    blocks: list[str] = re.findall(r"```\n(.*?)```", guide_section(), flags=re.S)
    (transcript,) = [block for block in blocks if block.startswith("Breakpoint 1")]
    return transcript.splitlines()


def chain_rule_line() -> int:
    """The line the guide's grep finds, found the way the guide finds it."""
    if shutil.which("grep") is None:
        pytest.skip("no grep on this machine")
    found = subprocess.run(
        ["grep", "-n", guide_grep_pattern(), "micrograd_like/engine.py"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.splitlines()
    assert len(found) == 1, found  # exactly one line: the chain rule
    number, code = found[0].split(":", 1)
    assert code.strip() == "input1.grad += node.local1 * upstream"
    return int(number)


def test_the_guides_grep_finds_the_chain_rule_statement_of_the_loop() -> None:
    line = chain_rule_line()
    source = Path(engine.__file__).read_text(encoding="utf-8").splitlines()
    assert source[line - 1].strip() == "input1.grad += node.local1 * upstream"
    assert line <= 80, "the chain rule stands near the top of the engine"
    # and the statement is inside Value.backward(), the loop a learner reaches from C.backward()
    backward = source.index("    def backward(self) -> None:")
    assert backward < line - 1 and not any(
        row.startswith("    def ") for row in source[backward + 1 : line - 1]
    )


def test_the_pdb_session_prints_what_the_guide_shows(tmp_path: Path) -> None:
    line = chain_rule_line()
    script = tmp_path / "one_neuron.py"
    script.write_text(ONE_NEURON, encoding="utf-8")
    breakpoint_here = f"b micrograd_like/engine.py:{line}"
    run = subprocess.run(
        [sys.executable, "-m", "pdb", "-c", breakpoint_here, "-c", "c", str(script)],
        input="\n".join(TYPED) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        # the child must import this checkout's engine, the file the breakpoint names
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    shown = run.stdout.replace(str(ROOT), "...").replace(f"engine.py:{line}", "engine.py:LINE")
    shown = shown.replace(f"engine.py({line})", "engine.py(LINE)")
    assert [each.rstrip() for each in shown.splitlines()] == guide_transcript()
    # and the numbers in it are the seeds': dC/d(a - y) = 2(a - y), by hand
    a = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.1)))
    assert f"(Pdb) ({2 * (a - 0.5)!r},)" in run.stdout
