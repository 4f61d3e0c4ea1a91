"""Small data sets made in pure Python, seeded, with no download and no scikit-learn."""

from __future__ import annotations

import math
import random
from numbers import Integral, Real


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int | random.Random = 1
) -> tuple[list[tuple[float, float]], list[int]]:
    """Two interleaving half circles, as micrograd's demo uses (scikit-learn's `make_moons`).

    Returns the points and their labels, -1 for the upper moon and +1 for the lower one (the
    labels a max-margin loss wants). Half the points, rounded down, are on the upper moon; each
    coordinate gets Gaussian noise with standard deviation `noise` from a generator seeded by
    `seed` (an int or a `random.Random`), so the same arguments always give the same points.
    Each argument is checked first, with an error that names it: `n_samples` a whole number
    from 2 to `MAX_SAMPLES`, `noise` a finite number >= 0 (inf or nan would make every point
    inf or nan).
    """
    n_samples = _whole(n_samples)
    noise = _finite(noise)
    if isinstance(seed, bool) or not isinstance(seed, (Integral, random.Random)):
        raise TypeError(
            f"make_moons: seed must be an int or a random.Random, got {type(seed).__name__}: "
            f"{_shown(seed)}"
        )
    rng = seed if isinstance(seed, random.Random) else random.Random(int(seed))
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
    if not all(math.isfinite(x) and math.isfinite(y) for x, y in noisy):
        raise ValueError(
            f"make_moons: noise={_shown(noise)} puts points past the largest float; the moons are "
            "about 1 wide, so a noise of 0.1 to 0.3 is usual"
        )
    return noisy, labels


MAX_SAMPLES = 1_000_000  # points in pure-Python lists: a second or two to make


def _whole(n_samples: object) -> int:
    """n_samples as an int from 2 to MAX_SAMPLES (a numpy int too), or an error naming it."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, Real):
        raise TypeError(
            f"make_moons: n_samples must be a whole number, got {type(n_samples).__name__}: "
            f"{_shown(n_samples)}"
        )
    whole = int(n_samples) if isinstance(n_samples, Integral) else None
    if whole is None or not 2 <= whole <= MAX_SAMPLES:
        raise ValueError(
            f"make_moons: n_samples must be a whole number from 2 to {MAX_SAMPLES:,}, got "
            f"{_shown(n_samples)}"
        )
    return whole


def _shown(value: object) -> str:
    """`repr(value)` for a message, but a huge int by its size: Python refuses to turn an int
    of more than 4,300 digits into text."""
    if isinstance(value, Integral) and abs(int(value)).bit_length() > 64:
        digits = int(abs(int(value)).bit_length() * math.log10(2)) + 1
        return f"an int of about {digits:,} digits"
    return repr(value)


def _finite(noise: object) -> float:
    """noise as a float, a finite number >= 0 (numpy's and Fraction too), or an error naming it."""
    if isinstance(noise, bool) or not isinstance(noise, Real):
        raise TypeError(
            f"make_moons: noise must be a number, got {type(noise).__name__}: {_shown(noise)}"
        )
    try:
        value = float(noise)
    except OverflowError:
        value = math.inf
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(
            f"make_moons: noise must be a finite number >= 0 (the standard deviation of the "
            f"noise), got {_shown(noise)}"
        )
    return value
