"""`make graph-picture`: draw docs/graph.svg, the seeds' one neuron a = sigmoid(W a_prev + b)
with cost C = (a - y)^2 after backward(), for the README (the same graph `make demo` draws)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.one_neuron_graph import build
from micrograd_like.viz import save_graph

TARGET = Path(__file__).resolve().parent.parent / "docs" / "graph.svg"


def main() -> None:
    cost = build()
    cost.backward()
    # top to bottom: 657 pt wide with the key, readable where a code host shows it 900 px wide
    print(f"wrote {save_graph(cost, TARGET, rankdir='TB', legend=True)}")


if __name__ == "__main__":
    main()
