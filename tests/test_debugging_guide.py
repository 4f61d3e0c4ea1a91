"""docs/debugging.md's interactive examples run as written (doctest), as the README's do."""

from __future__ import annotations

import doctest
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "debugging.md"


def test_the_debugging_guide_examples_run_as_written() -> None:
    result = doctest.testfile(str(GUIDE), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0
