"""`make demo`: a quick tour of micrograd_like. Every section prints what it shows and where
its pictures went (all under demos/output/)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos import backprop_page, moons, one_neuron_graph

SECTIONS = [one_neuron_graph.main, backprop_page.main, moons.main]


def main() -> None:
    for section in SECTIONS:
        section()
        print()


if __name__ == "__main__":
    main()
