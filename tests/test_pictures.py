"""Every picture the README shows is readable where a code host shows it, 900 px wide: a drawing
at most 900 px wide (its 11 pt labels then keep their size), a screenshot or plot at most 1,300 px
(13 px text stays at least 9 px)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOWN = re.findall(r"!\[[^\]]*\]\((docs/[^)]+)\)", (ROOT / "README.md").read_text("utf-8"))


def width_px(path: Path) -> float:
    if path.suffix == ".png":
        return float(struct.unpack(">I", path.read_bytes()[16:20])[0])  # the IHDR width
    if path.suffix == ".gif":
        return float(struct.unpack("<H", path.read_bytes()[6:8])[0])  # the screen's width
    match = re.search(r'<svg width="([\d.]+)(pt|px)?"', path.read_text("utf-8"))
    assert match is not None, f"{path.name}: no width"
    return float(match.group(1)) * (4 / 3 if match.group(2) == "pt" else 1)


def test_the_readme_shows_the_network_view_the_graph_and_the_animation() -> None:
    assert {"docs/network_view.png", "docs/graph.svg", "docs/backprop_seed002.gif"} <= set(SHOWN)


def test_every_picture_in_the_readme_is_readable_at_900_px() -> None:
    for name in SHOWN:
        limit = 900 if name.endswith(".svg") else 1300
        assert width_px(ROOT / name) <= limit, f"{name} is {width_px(ROOT / name):.0f} px wide"
