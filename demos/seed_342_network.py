"""The 3-4-2 sigmoid network (seed 003): x_1 = sigma(W_1 x_0 + b_1), x_2 = sigma(W_2 x_1 + b_2),
error E = 1/2 ||x_2 - y||^2, with 3*4 + 4*2 = 20 weights and 4 + 2 = 6 biases.

The seed's vectorised backpropagation:
    delta_L = (x_L - y) * sigma'(z_L)                  (* is element-wise)
    delta_i = (W_{i+1}^T delta_{i+1}) * sigma'(z_i)
    dE/dW_i = delta_i x_{i-1}^T,   dE/db_i = delta_i
Here the formulas run on plain Python lists, and the engine's backward() on scalar Values
finds the same 26 numbers one multiplication at a time.
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd_like import Value

Matrix = list[list[float]]
Vector = list[float]

SIZES = (3, 4, 2)
INPUT: Vector = [1.0, 3.0, 2.0]  # the example input of seed 001
TARGET: Vector = [1.0, 0.0]


@dataclass(frozen=True)
class Parameters:
    """Two layers of weights (W_i has one row per neuron) and biases."""

    weights: list[Matrix]
    biases: list[Vector]


@dataclass(frozen=True)
class Gradients:
    """The error and its partial derivatives, shaped like the parameters."""

    error: float
    weights: list[Matrix]  # dE/dW_i
    biases: list[Vector]  # dE/db_i


def initial_parameters(seed: int = 0, sizes: tuple[int, ...] = SIZES) -> Parameters:
    """Weights and biases drawn uniformly from [-1, 1] by a seeded generator."""
    rng = random.Random(seed)
    weights = [
        [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]
        for nin, nout in pairwise(sizes)
    ]
    biases = [[rng.uniform(-1, 1) for _ in range(nout)] for nout in sizes[1:]]
    return Parameters(weights, biases)


def engine_gradients(params: Parameters, x0: Vector = INPUT, y: Vector = TARGET) -> Gradients:
    """Build E from scalar Values, one per weight and bias, and run backward()."""
    weights = [[[Value(w) for w in row] for row in matrix] for matrix in params.weights]
    biases = [[Value(b) for b in vector] for vector in params.biases]
    x: list[Value] = [Value(v) for v in x0]
    for matrix, vector in zip(weights, biases, strict=True):
        x = [
            (sum((w * xi for w, xi in zip(row, x, strict=True)), b)).sigmoid()
            for row, b in zip(matrix, vector, strict=True)
        ]
    error = 0.5 * sum(((xi - yi) ** 2 for xi, yi in zip(x, y, strict=True)), Value(0.0))
    error.backward()
    return Gradients(
        error.data,
        [[[w.grad for w in row] for row in matrix] for matrix in weights],
        [[b.grad for b in vector] for vector in biases],
    )


def _matvec(matrix: Matrix, vector: Vector) -> Vector:
    return [sum(m * v for m, v in zip(row, vector, strict=True)) for row in matrix]


def _transpose(matrix: Matrix) -> Matrix:
    return [list(column) for column in zip(*matrix, strict=True)]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def vectorised_gradients(params: Parameters, x0: Vector = INPUT, y: Vector = TARGET) -> Gradients:
    """The seed's delta formulas, layer by layer from the output back, on plain lists."""
    xs = [x0]  # x_0, x_1, x_2
    for matrix, vector in zip(params.weights, params.biases, strict=True):
        z = [zi + bi for zi, bi in zip(_matvec(matrix, xs[-1]), vector, strict=True)]
        xs.append([_sigmoid(zi) for zi in z])
    # sigma'(z_i) = sigma(z_i)(1 - sigma(z_i)) = x_i(1 - x_i)
    slopes = [[xi * (1 - xi) for xi in x] for x in xs[1:]]
    delta = [(xl - yl) * s for xl, yl, s in zip(xs[-1], y, slopes[-1], strict=True)]
    deltas = [delta]
    for i in range(len(params.weights) - 1, 0, -1):  # W_{i+1}^T delta_{i+1} * sigma'(z_i)
        back = _matvec(_transpose(params.weights[i]), deltas[0])
        deltas.insert(0, [g * s for g, s in zip(back, slopes[i - 1], strict=True)])
    error = 0.5 * sum((xl - yl) ** 2 for xl, yl in zip(xs[-1], y, strict=True))
    return Gradients(
        error,
        [[[d * x for x in xs[i]] for d in delta_i] for i, delta_i in enumerate(deltas)],
        deltas,
    )


def largest_difference(a: Gradients, b: Gradients) -> float:
    """The largest absolute difference between two sets of gradients, over all 26 numbers."""
    pairs = [
        (p, q)
        for ma, mb in zip(a.weights, b.weights, strict=True)
        for ra, rb in zip(ma, mb, strict=True)
        for p, q in zip(ra, rb, strict=True)
    ]
    pairs += [
        (p, q)
        for va, vb in zip(a.biases, b.biases, strict=True)
        for p, q in zip(va, vb, strict=True)
    ]
    return max(abs(p - q) for p, q in pairs)


def main() -> None:
    params = initial_parameters()
    engine, formulas = engine_gradients(params), vectorised_gradients(params)
    n_weights = sum(len(row) for matrix in params.weights for row in matrix)
    n_biases = sum(len(vector) for vector in params.biases)
    print(f"The 3-4-2 sigmoid network (seed 003): {n_weights} weights, {n_biases} biases")
    print(f"  x0 = {INPUT}, y = {TARGET}, E = 1/2 ||x2 - y||^2 = {engine.error:.6f}")
    print(f"  delta_2 = (x2 - y) * sigma'(z2) = {[round(d, 6) for d in formulas.biases[1]]}")
    print(f"  delta_1 = (W2^T delta_2) * sigma'(z1) = {[round(d, 6) for d in formulas.biases[0]]}")
    print(f"  dE/dW2 = delta_2 x1^T, first row: {[round(g, 6) for g in formulas.weights[1][0]]}")
    print(f"  engine's dE/dW2, first row:       {[round(g, 6) for g in engine.weights[1][0]]}")
    print(f"  largest difference over all 26: {largest_difference(engine, formulas):.1e}")


if __name__ == "__main__":
    main()
