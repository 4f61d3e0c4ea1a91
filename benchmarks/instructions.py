"""Instructions per training step, counted by callgrind: exact and repeatable, unlike seconds.

    python benchmarks/instructions.py                    # every workload, this checkout's engine
    python benchmarks/instructions.py --engine DIR       # the package found in DIR instead
    python benchmarks/instructions.py --run WORKLOAD N   # (what callgrind runs) N steps

A workload's count is (3 steps) - (1 step), halved: one step's own instructions, without the
interpreter's start-up, the imports and the first step's warming. The collector stays on, as a
user runs it; PYTHONHASHSEED is fixed so that set and dict orders, and so the counts, repeat.
To compare two versions of the engine, run this once with `--engine` for each, in one session.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
WORKLOADS = ("moons", "moons-replayed", "microgpt", "microgpt-replayed")


def workload(name: str) -> Callable[[int], object]:
    """A function that runs `name`'s training step k (each a fresh cost from the same data)."""
    import micrograd_like  # first: the engine under test, before this checkout joins the path

    sys.path.append(str(HERE))  # demos/ and benchmarks/
    assert (
        Path(micrograd_like.__file__).parent.parent
        == Path(os.environ.get("PYTHONPATH", HERE)).resolve()
    )
    from benchmarks.bench import (
        ALPHA,  # noqa: F401  (the cost's penalty, as the timed benchmark uses it)
        MICROGPT,
        SEED,
        Replayed,
        autograd_step,
        gpt_runs,
        initial_parameters,
        micrograd_like_mlp,
        scorer,
    )
    from micrograd_like.datasets import make_moons
    from micrograd_like.engine import Value

    if name.startswith("moons"):
        points, labels = make_moons(100, noise=0.1, seed=SEED)
        model = micrograd_like_mlp((2, 16, 16, 1), initial_parameters((2, 16, 16, 1), SEED))
        parameters = model.parameters()
        if name == "moons-replayed":
            replayed = Replayed(model, points, labels)
            return lambda k: replayed.step(0.01)
        return lambda k: autograd_step(scorer(model), parameters, Value, points, labels, 0.01)
    run = gpt_runs(MICROGPT)[
        "micrograd_like, replayed" if name.endswith("replayed") else "micrograd_like"
    ]
    return run.step


def count(engine: Path, name: str, steps: int) -> int:
    """Instructions of `steps` steps of `name` (with start-up), by callgrind."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(engine)}
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--run",
                name,
                str(steps),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        summary = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
        assert summary is not None, "callgrind wrote no summary"
        return int(summary.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", type=Path, default=HERE, help="folder holding micrograd_like/")
    parser.add_argument("--run", nargs=2, metavar=("WORKLOAD", "STEPS"))
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    args = parser.parse_args()
    if args.run:
        step = workload(args.run[0])
        for k in range(int(args.run[1])):
            step(k)
        return
    for name in args.workloads:
        one, three = count(args.engine, name, 1), count(args.engine, name, 3)
        print(f"{name}: {(three - one) / 2 / 1e6:.1f}M instructions per step", flush=True)


if __name__ == "__main__":
    main()
