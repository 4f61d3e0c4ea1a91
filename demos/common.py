"""What the demos share: the output folder, a matplotlib figure written as a PNG, and a one-line
progress display."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from micrograd_like._io import atomic_write_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OUTPUT = Path(__file__).resolve().parent / "output"


def output_dir() -> Path:
    """The folder every demo writes its pictures to (created when missing)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


def save_png(figure: Figure, folder: Path, name: str, *, dpi: int = 110) -> Path:
    """Render `figure` to PNG in memory, then write it to `folder / name` in one rename.

    Demos make their figures with `matplotlib.figure.Figure` directly rather than through
    pyplot: no window, no backend to choose for the whole process, no global list of open
    figures to close.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return atomic_write_bytes(folder / name, buffer.getvalue())


class Progress:
    """A progress line: `step 40/100 [############..................] loss 0.31 (1.2 s)`.

    In a terminal the line is redrawn in place; in a log (stdout not a terminal) a new line is
    printed at every tenth of the way, so the log stays readable.
    """

    def __init__(self, total: int, label: str = "step", width: int = 30) -> None:
        self.total, self.label, self.width = total, label, width
        self.start = time.perf_counter()
        self.live = sys.stdout.isatty()
        self.tenths_shown = 0

    def update(self, done: int, message: str = "") -> None:
        filled = self.width * done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self.start
        line = f"{self.label} {done}/{self.total} [{bar}] {message} ({elapsed:.1f} s)"
        if self.live:
            sys.stdout.write("\r" + line + ("\n" if done >= self.total else ""))
        else:
            tenths = 10 * done // self.total
            if tenths <= self.tenths_shown and done < self.total:
                return
            self.tenths_shown = tenths
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
