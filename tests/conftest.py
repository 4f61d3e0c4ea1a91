"""Hypothesis runs the same examples on every run and machine (derandomize): a property test
fails for a reason anyone can reproduce, never because CI drew an unlucky seed, and it writes
no example database into the repository."""

import subprocess
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("micrograd_like", derandomize=True, database=None, deadline=None)
settings.load_profile("micrograd_like")


@pytest.fixture
def program_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every command `subprocess.run` is given during the test, in order (each still runs)."""
    runs: list[list[str]] = []
    real_run = subprocess.run

    def counted(command: list[str], **options: Any) -> Any:
        runs.append(command)
        return real_run(command, **options)

    monkeypatch.setattr(subprocess, "run", counted)
    return runs
