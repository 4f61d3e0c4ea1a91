"""Small data sets made in pure Python, seeded, with no download and no scikit-learn."""

from __future__ import annotations

import math
import random


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int | random.Random = 1
) -> tuple[list[tuple[float, float]], list[int]]:
    """Two interleaving half circles, as micrograd's demo uses (scikit-learn's `make_moons`).

    Returns the points and their labels, -1 for the upper moon and +1 for the lower one (the
    labels a max-margin loss wants). Half the points, rounded down, are on the upper moon; each
    coordinate gets Gaussian noise with standard deviation `noise` from a generator seeded by
    `seed` (an int or a `random.Random`), so the same arguments always give the same points.
    """
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 2:
        raise ValueError(f"make_moons: n_samples must be an int >= 2, got {n_samples!r}")
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not noise >= 0:
        raise ValueError(f"make_moons: noise must be a number >= 0, got {noise!r}")
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    points: list[tuple[float, float]] = []
    labels: list[int] = []
    for i in range(n_upper):
        angle = math.pi * i / max(n_upper - 1, 1)
        points.append((math.cos(angle), math.sin(angle)))
        labels.append(-1)
    for i in range(n_lower):
        angle = math.pi * i / max(n_lower - 1, 1)
        points.append((1.0 - math.cos(angle), 0.5 - math.sin(angle)))
        labels.append(1)
    noisy = [(x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)) for x, y in points]
    return noisy, labels
