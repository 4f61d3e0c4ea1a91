"""Softmax and cross-entropy (seed 004): a classifier's scores become probabilities,
p_k = e^(z_k) / sum_j e^(z_j), and the cost of the right class y is C = -log p_y.

The gradient of that cost with respect to each score (logit) is strikingly simple:
dC/dz_k = p_k - y_k, where y_k is 1 for the right class and 0 for the others. The engine never
uses this formula; it finds the same numbers through exp, sum, log and the chain rule.
A small three-class classifier trained on this cost shows it at work.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from demos.common import output_dir, save_png
from micrograd_like import MLP, Value, losses, no_grad, optim

LOGITS = (2.0, 1.0, 0.1)
CENTRES = ((0.0, 1.2), (-1.1, -0.7), (1.1, -0.7))  # one blob of points per class
COLOURS = ("tab:blue", "tab:orange", "tab:green")


@dataclass(frozen=True)
class SoftmaxGradient:
    """Cross-entropy of some logits against a target, and its gradient two ways."""

    probabilities: list[float]
    cost: float
    engine: list[float]  # dC/dz_k from backward()
    formula: list[float]  # p_k - y_k


def softmax_gradient(logits: tuple[float, ...], target: int | list[float]) -> SoftmaxGradient:
    """Build C = cross_entropy(z, target) from leaves z, run backward(), compare with p - y."""
    zs = [Value(z, label=f"z{k}") for k, z in enumerate(logits)]
    cost = losses.cross_entropy(zs, target)
    cost.backward()
    p = [q.data for q in losses.softmax(logits)]
    y = [float(k == target) for k in range(len(zs))] if isinstance(target, int) else target
    formula = [pk - yk for pk, yk in zip(p, y, strict=True)]
    return SoftmaxGradient(p, cost.data, [z.grad for z in zs], formula)


def blobs(per_class: int = 30, seed: int = 0) -> tuple[list[tuple[float, float]], list[int]]:
    """Three Gaussian clouds of 2-D points around CENTRES, labelled 0, 1, 2."""
    rng = random.Random(seed)
    points, labels = [], []
    for label, (cx, cy) in enumerate(CENTRES):
        for _ in range(per_class):
            points.append((cx + rng.gauss(0, 0.45), cy + rng.gauss(0, 0.45)))
            labels.append(label)
    return points, labels


def logits_of(model: MLP, point: tuple[float, float]) -> list[Value]:
    out = model(point)
    assert isinstance(out, list)  # three output neurons: one logit per class
    return out


def train_classifier(
    steps: int = 40, seed: int = 0
) -> tuple[MLP, list[tuple[float, float]], list[int], list[float]]:
    """A 2-8-3 tanh network trained with Adam on the mean cross-entropy; returns the costs."""
    points, labels = blobs(seed=seed)
    model = MLP(2, [8, 3], activation="tanh", init="xavier", seed=seed)
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    costs = []
    for _ in range(steps):
        optimizer.zero_grad()
        per_point = [
            losses.cross_entropy(logits_of(model, p), y)
            for p, y in zip(points, labels, strict=True)
        ]
        cost = sum(per_point, Value(0.0)) / len(points)
        cost.backward()
        optimizer.step()
        costs.append(cost.data)
    return model, points, labels, costs


def predict(model: MLP, point: tuple[float, float]) -> int:
    with no_grad():
        scores = [z.data for z in logits_of(model, point)]
    return scores.index(max(scores))


def plot_classifier(
    model: MLP, points: list[tuple[float, float]], labels: list[int], folder: Path
) -> Path:
    """The class the network picks at every point of the plane, with the training points."""
    grid = [-2.5 + 5.0 * k / 60 for k in range(61)]
    regions = [[predict(model, (x, y)) for x in grid] for y in grid]
    figure = Figure(figsize=(5.5, 5))
    axes = figure.subplots()
    axes.contourf(
        grid, grid, regions, levels=[-0.5, 0.5, 1.5, 2.5], cmap=ListedColormap(COLOURS), alpha=0.25
    )
    for label, colour in enumerate(COLOURS):
        xs = [p for p, y in zip(points, labels, strict=True) if y == label]
        axes.scatter(
            [p[0] for p in xs], [p[1] for p in xs], color=colour, s=14, label=f"class {label}"
        )
    axes.set_title("2-8-3 network, softmax cross-entropy")
    axes.legend(loc="lower center", fontsize=8, ncol=3)
    return save_png(figure, folder, "softmax_classifier.png")


def main(folder: Path | None = None) -> None:
    g = softmax_gradient(LOGITS, 0)
    print("Softmax and cross-entropy (seed 004): dC/dz_k = p_k - y_k")
    print(f"  logits z = {list(LOGITS)}, right class 0")
    print(
        f"  p = softmax(z) = {[round(p, 4) for p in g.probabilities]}, C = -log p_0 = {g.cost:.4f}"
    )
    print(f"  p - y = {[round(d, 6) for d in g.formula]}")
    print(f"  engine dC/dz = {[round(d, 6) for d in g.engine]}")
    model, points, labels, costs = train_classifier()
    correct = sum(predict(model, p) == y for p, y in zip(points, labels, strict=True))
    print(
        f"  three-class classifier: cost {costs[0]:.3f} -> {costs[-1]:.3f} in {len(costs)} steps,"
        f" {correct}/{len(points)} points right"
    )
    # dC/dz depends only on the logits' values: leaves holding them get the grads the whole
    # network's graph would, and the trained model's grads stay untouched (no extra backward)
    with no_grad():
        logits = tuple(z.data for z in logits_of(model, points[0]))
    inside = softmax_gradient(logits, labels[0])
    print(
        f"  inside the trained network, point 0:"
        f" dC/dlogit = {[round(d, 6) for d in inside.engine]},"
        f" p - y = {[round(d, 6) for d in inside.formula]}"
    )
    print(f"  picture: {plot_classifier(model, points, labels, folder or output_dir())}")


if __name__ == "__main__":
    main()
