"""The README's interactive examples run as written (doctest)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_run_as_written() -> None:
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_the_readmes_count_of_tests_is_the_suites(request: pytest.FixtureRequest) -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    match = re.search(r"about ([\d,]+) tests", text)
    assert match is not None
    stated, collected = int(match.group(1).replace(",", "")), len(request.session.items)
    if collected < stated // 2:
        pytest.skip(f"only part of the suite was collected ({collected} tests)")
    assert abs(collected - stated) <= stated // 10, f"the suite has {collected} tests"
