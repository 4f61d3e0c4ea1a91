"""`make demo`: a quick tour of micrograd_like. Every section prints what it shows and where
its pictures went (all under demos/output/)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos import (
    animation,
    backprop_page,
    derivatives,
    forward_page,
    model_view,
    moons,
    network_page,
    one_neuron_graph,
    quiz_page,
    seed_342_network,
    seed_chain_rule,
    seed_cost_surface,
    seed_hidden_layers,
    seed_one_neuron_layers,
    seed_one_weight,
    seed_partial_derivatives,
    seed_softmax,
    worksheet,
)
from demos.common import output_dir

# The seeds' order: one neuron and its graph, the chain rule, one weight learning, partial
# derivatives, the cost surface, deeper networks, why hidden layers, softmax; then watching
# backprop step by step (one neuron, whole networks, a model, a quiz, slides), worksheets to
# print, derivatives of derivatives, and micrograd's two-moons classifier trained for real.
SECTIONS: list[Callable[[], None]] = [
    one_neuron_graph.main,
    seed_chain_rule.main,
    seed_one_weight.main,
    seed_partial_derivatives.main,
    seed_cost_surface.main,
    seed_one_neuron_layers.main,
    seed_342_network.main,
    seed_hidden_layers.main,
    seed_softmax.main,
    backprop_page.main,
    animation.main,
    network_page.main,
    model_view.main,
    quiz_page.main,
    forward_page.main,
    worksheet.main,
    derivatives.main,
    moons.main,
]


def main() -> None:
    start = time.perf_counter()
    for section in SECTIONS:
        section()
        print()
    seconds = time.perf_counter() - start
    print(f"Tour done in {seconds:.0f} s. Every picture is in {output_dir()}.")
    print("Next: open backprop.html in a browser, or run `make digits` for handwritten digits.")


if __name__ == "__main__":
    main()
