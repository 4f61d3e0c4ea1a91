"""An op added as a newcomer would add it: one method beside tanh in engine.py, with its
derivative, and no other edit. In a copy of the package, at test time, the new op must work in
backward(), a Tape's replay (bit for bit against eager), explain(), drawings, the command line,
nn's activations and every test that lists the ops (they read the one registry, engine.OPS)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE_TESTS = "tests/test_engine.py"
OP_LISTING_TESTS = [ENGINE_TESTS, "tests/test_tape.py", "tests/test_hostile_numbers.py"]
OP_LISTING_TESTS += ["tests/test_expr.py", "tests/test_steps.py", "tests/test_engine_properties.py"]

SOFTPLUS = """
    @operation("softplus", "log(1 + exp(a))", "sigmoid(a)", activation=True)
    def softplus(self) -> Value:
        a = self.data
        return make_node(math.log1p(math.exp(a)), "softplus", self, 1.0 / (1.0 + math.exp(-a)))
"""

LISTS = """
from tests import test_engine, test_engine_properties, test_expr, test_hostile_numbers
from tests import test_steps, test_tape

for ops in (
    test_engine.built_in_ops(),
    test_tape.UNARY,
    test_hostile_numbers.ONE_INPUT_OPS,
    test_expr.FUNCTIONS,
    test_steps.OP_NAMES,
    test_engine_properties.ONE_INPUT_OTHERS,
):
    print(*[op for op in ops if op == "softplus"])
"""

CHECKS = """
import math, sys
import micrograd_like
from micrograd_like import MLP, Tape, Value, draw_dot, explain
from micrograd_like.expr import FUNCTIONS

assert micrograd_like.__file__.startswith(sys.argv[1]), micrograd_like.__file__

# backward() against a central difference
x = Value(0.3, "x")
y = x.softplus() * x
y.label = "y"
y.backward()
f = lambda t: math.log1p(math.exp(t)) * t
h = 1e-6
assert abs(x.grad - (f(0.3 + h) - f(0.3 - h)) / (2 * h)) < 1e-8, x.grad

# explain() writes the registered derivative with the input's name put in
text = explain(y, x).text()
assert "sigmoid(x)" in text, text

# a Tape replays it, checked node by node against the eager op, then bit for bit
x.data, x.grad = -1.2, 0.0
tape = Tape(y)
tape.replay(check=True)
fresh = Value(-1.2, "x")
(fresh.softplus() * fresh).backward()
assert (y.data.hex(), x.grad.hex()) == ((fresh.softplus() * fresh).data.hex(), fresh.grad.hex())

# drawings name the unlabelled node by its op
source = str(draw_dot(y).source)
assert "softplus" in source, source

# the parser's functions, and nn's activations
assert "softplus" in FUNCTIONS
model = MLP(2, [3, 1], activation="softplus", seed=0)
out = model([0.5, -1.0])
out.backward()
assert any(node.op == "softplus" for node in out.topological_order())
print("new op works")
"""


def test_an_op_added_beside_tanh_works_everywhere(tmp_path: Path) -> None:
    copy = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "micrograd_like", copy / "micrograd_like", ignore=ignore)
    shutil.copytree(ROOT / "tests", copy / "tests", ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    engine = copy / "micrograd_like" / "engine.py"
    source = engine.read_text(encoding="utf-8")
    tanh = source.index('    @operation("tanh"')
    after_tanh = source.index("\n\n", tanh) + 1  # the end of tanh's method
    engine.write_text(source[:after_tanh] + SOFTPLUS + source[after_tanh:], encoding="utf-8")

    def run(*arguments: str | Path) -> str:
        """Run this Python in the copy, on the copy's package; what it printed."""
        done = subprocess.run(
            [sys.executable, *arguments],
            env={**os.environ, "PYTHONPATH": str(copy)},
            capture_output=True,
            text=True,
            timeout=600,
            cwd=copy,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    assert "new op works" in run("-c", CHECKS, str(copy))

    # the command line draws it
    out = tmp_path / "graph.svg"
    run("-m", "micrograd_like", "graph", "softplus(x) * x", "x=0.5", "-o", out)
    assert "softplus" in out.read_text(encoding="utf-8")

    # every test that lists the ops lists softplus, from the registry, and passes on the copy
    listed = run("-c", LISTS)
    assert listed.split() == ["softplus"] * 6, listed
    printed = run("-m", "pytest", "-p", "no:cacheprovider", *OP_LISTING_TESTS)
    assert " passed" in printed and "failed" not in printed, printed[-3000:]
    assert " passed" in run(
        "-m", "pytest", "-p", "no:cacheprovider", "-k", "softplus", ENGINE_TESTS
    )
