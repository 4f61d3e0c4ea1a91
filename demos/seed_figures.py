"""What the seed demos share: a matplotlib figure written as a PNG, atomically.

Figures are made with `matplotlib.figure.Figure` directly rather than through pyplot: no
window, no backend to choose, no global list of open figures to close.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from micrograd_like._io import atomic_write_bytes


def save_png(figure: Figure, folder: Path, name: str) -> Path:
    """Render `figure` to PNG in memory, then write it to `folder / name` in one rename."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return atomic_write_bytes(folder / name, buffer.getvalue())
