"""One weight (seed 002): a = i * w with cost C = (a - y)^2, learned by gradient descent.

With i = 1.5, w = 0.8 and the target y = 0.5, the chain rule gives
dC/dw = dC/da * da/dw = 2(a - y) * i = 2.1, so one step with learning rate 0.1 moves the
weight to 0.59; step after step it settles where a = y, at w = y / i = 1/3.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matplotlib.figure import Figure

from demos.common import output_dir, save_png
from micrograd_like import Value

INPUT, TARGET, START, LEARNING_RATE = 1.5, 0.5, 0.8, 0.1


@dataclass(frozen=True)
class Step:
    """One gradient-descent step: the weight before it, and the chain rule's numbers there."""

    w: float
    a: float
    cost: float
    dcost_da: float  # upstream gradient at the activation, 2(a - y)
    da_dw: float  # local derivative of a = i * w, which is i
    dcost_dw: float  # their product, the gradient the step follows
    next_w: float


def gradient_step(
    w: float, i: float = INPUT, y: float = TARGET, learning_rate: float = LEARNING_RATE
) -> Step:
    """Build C = (i * w - y)^2 with the engine, run backward(), and step w down the slope."""
    weight = Value(w, label="w")
    a = Value(i, label="i") * weight
    cost = (a - y) ** 2
    cost.backward()
    da_dw = a.local_grads[1]  # a = i * w: its second input is w, and d(i*w)/dw = i
    return Step(
        w=w,
        a=a.data,
        cost=cost.data,
        dcost_da=a.grad,
        da_dw=da_dw,
        dcost_dw=weight.grad,
        next_w=w - learning_rate * weight.grad,
    )


def descend(
    steps: int = 50,
    w: float = START,
    i: float = INPUT,
    y: float = TARGET,
    learning_rate: float = LEARNING_RATE,
) -> list[Step]:
    """`steps` gradient-descent steps from the weight `w`."""
    path = []
    for _ in range(steps):
        step = gradient_step(w, i, y, learning_rate)
        path.append(step)
        w = step.next_w
    return path


def plot_cost(path: list[Step], folder: Path, i: float = INPUT, y: float = TARGET) -> Path:
    """C(w) = (i*w - y)^2 as a curve, with the weights gradient descent visited on it."""
    figure = Figure(figsize=(6, 4))
    axes = figure.subplots()
    ws = [k / 200 for k in range(-20, 221)]
    axes.plot(ws, [(i * w - y) ** 2 for w in ws], color="tab:blue", label="cost C(w)")
    axes.plot(
        [s.w for s in path[:8]], [s.cost for s in path[:8]], "o-", color="tab:red", label="descent"
    )
    axes.axvline(y / i, color="grey", linestyle=":", label=f"w = y / i = {y / i:.4f}")
    axes.set_xlabel("weight w")
    axes.set_ylabel("cost C = (i w - y)$^2$")
    axes.set_title(f"One weight: i = {i}, y = {y}, first steps from w = {path[0].w}")
    axes.legend()
    return save_png(figure, folder, "one_weight_cost.png")


def main(folder: Path | None = None) -> None:
    path = descend()
    first = path[0]
    print(f"One weight (seed 002): a = i * w, C = (a - y)^2, i = {INPUT}, y = {TARGET}")
    print(f"  w = {first.w}: a = {first.a:.4g}, C = {first.cost:.4g}")
    print(
        f"  dC/dw = dC/da * da/dw = 2(a - y) * i = {first.dcost_da:.4g} * {first.da_dw:.4g}"
        f" = {first.dcost_dw:.4g}"
    )
    print(
        f"  w1 = w0 - r * dC/dw = {first.w} - {LEARNING_RATE} * {first.dcost_dw:.4g}"
        f" = {first.next_w:.4g}"
    )
    shown = ", ".join(f"{s.w:.4f}" for s in path[:8])
    print(f"  weights: {shown}, ... -> {path[-1].next_w:.10f} (y / i = 1/3)")
    print(f"  picture: {plot_cost(path, folder or output_dir())}")


if __name__ == "__main__":
    main()
