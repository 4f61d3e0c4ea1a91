"""What the demos share: the output folder and a one-line progress display."""

from __future__ import annotations

import sys
import time
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "output"


def output_dir() -> Path:
    """The folder every demo writes its pictures to (created when missing)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


class Progress:
    """A progress line redrawn in place: `step 40/100 [#####.....] loss 0.31 (1.2 s)`."""

    def __init__(self, total: int, label: str = "step", width: int = 30) -> None:
        self.total, self.label, self.width = total, label, width
        self.start = time.perf_counter()

    def update(self, done: int, message: str = "") -> None:
        filled = self.width * done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        line = f"\r{self.label} {done}/{self.total} [{bar}] {message} ({elapsed:.1f} s)"
        sys.stdout.write(line)
        if done >= self.total:
            sys.stdout.write("\n")
        sys.stdout.flush()
