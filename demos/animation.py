"""The backward pass as an animation, for slides and videos: `save_backprop_animation(C, path)`.

- `backprop_seed002.gif`: seed 002's single weight, a = i * w, C = (a - y)^2 with i = 1.5,
  w = 0.8, y = 0.5: the forward pass, then one frame per chain-rule step, down to
  dC/dw = da/dw * dC/da = 1.5 * 1.4 = 2.1.
- `backprop_one_neuron.gif` and `.pdf`: the seeds' neuron a = sigmoid(W a_prev + b),
  C = (a - y)^2, frame by frame, and one step a page (dC/dW = 0.1443) with its text kept as
  text for a slide deck.
- `backprop_342_network.gif`: the seeds' 3-4-2 sigmoid network in its network view, one neuron
  at a time with the delta formulas, from the output layer back.

`write(folder)` writes them and returns their paths (the tour calls it); run this file to write
them into demos/output/.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos import network_page, one_neuron_graph
from demos.common import output_dir
from micrograd_like import Parameter, Value, save_backprop_animation


def seed_one_weight() -> Value:
    """Seed 002's cost C = (a - y)^2 of the single weight a = i * w, every part named."""
    i, w, y = Value(1.5, label="i"), Parameter(0.8, label="w"), Value(0.5, label="y")
    a = i * w
    a.label = "a"
    cost = (a - y) ** 2
    cost.label = "C"
    return cost


def write(folder: Path) -> list[Path]:
    """Write the four animations into `folder`; their paths, in the order above."""
    _, network_cost = network_page.seed_network()
    neuron = "One neuron: a = sigmoid(W a_prev + b), C = (a - y)^2"
    return [
        save_backprop_animation(
            seed_one_weight(),
            folder / "backprop_seed002.gif",
            title="Seed 002: a = i * w, C = (a - y)^2",
        ),
        save_backprop_animation(
            one_neuron_graph.build(), folder / "backprop_one_neuron.gif", title=neuron
        ),
        save_backprop_animation(
            one_neuron_graph.build(), folder / "backprop_one_neuron.pdf", title=neuron
        ),
        save_backprop_animation(
            network_cost,
            folder / "backprop_342_network.gif",
            title="The 3-4-2 network, one neuron at a time",
        ),
    ]


def main() -> None:
    for path in write(output_dir()):
        print(f"The backward pass, frame by frame: {path}")


if __name__ == "__main__":
    main()
