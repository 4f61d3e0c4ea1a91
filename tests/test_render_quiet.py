"""The Graphviz bundled in pygraphviz's wheels carries its own Fontconfig, which complains on
stderr about the machine's font configuration ("Fontconfig error: Cannot load default config
file"). Those lines come from C, on file descriptor 2, once per process: so each check draws in
a fresh Python whose stderr is captured, with no `dot` on the PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DRAW = """
import sys
from micrograd_like import Value
from micrograd_like.viz import draw_dot, render_bytes
x = Value(2.0, label="x")
svg = render_bytes(draw_dot(x * x + 1), "svg")
png = render_bytes(draw_dot(x * x + 1), "png")
print(svg.count(b"<svg"), png[:4] == b"\\x89PNG")
print("after the draw", file=sys.stderr)
"""


@pytest.mark.parametrize(
    "fontconfig_file",
    [None, ""],  # the machine's own configuration; and none at all, as on a bare machine
)
def test_the_bundled_graphviz_says_nothing_about_fonts(
    fontconfig_file: str | None, tmp_path: Path
) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # an empty folder: no `dot`, so pygraphviz draws
    env.pop("FONTCONFIG_FILE", None)
    if fontconfig_file is not None:
        env["FONTCONFIG_FILE"] = fontconfig_file
    run = subprocess.run(
        [sys.executable, "-c", DRAW], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["1", "True"]
    assert "Fontconfig" not in run.stderr
    assert run.stderr.splitlines() == ["after the draw"]  # stderr itself works again after it
