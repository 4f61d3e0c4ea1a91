"""The backward pass of the seeds' one-neuron network as an interactive page: open
backprop.html in a browser and press the right arrow to watch the chain rule, node by node."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import output_dir
from demos.one_neuron_graph import build
from micrograd_like import save_backprop_html


def main() -> None:
    path = save_backprop_html(
        build(),
        output_dir() / "backprop.html",
        title="One neuron: C = (sigmoid(W a_prev + b) - y)^2",
    )
    print(f"Backpropagation, step by step (open in a browser, press the right arrow): {path}")


if __name__ == "__main__":
    main()
