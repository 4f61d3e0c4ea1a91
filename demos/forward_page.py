"""Forward mode beside the backward pass: the stepping pages with a "Forward mode" tab.

- `forward.html`: the seeds' one neuron, C = (sigmoid(W a_prev + b) - y)^2, forward mode by W.
  The forward tab steps from the inputs up, writing dnode/dW under each box, and ends on
  dC/dW = 0.1443, the backward pass's number, with the same local derivatives multiplied in
  the other order and the count: one forward pass per input, one backward pass for all.
- `forward_network.html`: the seeds' 3-4-2 network by its first weight, L1.N1.w1: the forward
  tab sits beside the backward pass in the "Graph: every node" tab; its 86 steps visit every
  node, most of which do not move with that one weight.

`python demos/forward_page.py` writes both to demos/output/.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from demos.network_page import seed_network
from demos.one_neuron_graph import build
from micrograd_like import Value, save_backprop_html


def labelled(root: Value, label: str) -> Value:
    """The node of `root`'s graph labelled `label`."""
    return next(node for node in root.topological_order() if node.label == label)


def write(folder: Path) -> list[Path]:
    """Write the two pages into `folder` and return their paths."""
    cost = build()
    one = save_backprop_html(
        cost,
        folder / "forward.html",
        title="Forward mode beside the backward pass: one neuron, by W",
        forward=labelled(cost, "W"),
    )
    model, error = seed_network()
    network = save_backprop_html(
        error,
        folder / "forward_network.html",
        title="Forward mode beside the backward pass: the 3-4-2 network, by L1.N1.w1",
        forward=model.parameters()[0],
    )
    return [one, network]


def main() -> None:
    one, network = write(output_dir())
    print(f"Forward mode beside the backward pass, one neuron (the second tab): {one}")
    print(f"and the 3-4-2 network by one weight (in its Graph tab): {network}")


if __name__ == "__main__":
    main()
