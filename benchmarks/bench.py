"""micrograd's moons step and microgpt's step, timed with micrograd_like and other designs.

    .venv/bin/python benchmarks/bench.py                 # the full run: Markdown on stdout
    .venv/bin/python benchmarks/bench.py --quick         # a smoke run: 3 repeats, chains to 1e5
    .venv/bin/python benchmarks/bench.py --write-readme  # also put the tables into README.md

The workload: an MLP 2-16-16-1 (ReLU hidden layers, a linear output; each engine's own `MLP`,
and a hand-written plain-float version of it) scores 100 two-moons points; the cost is the
max-margin loss mean(relu(1 - y*score)) plus 1e-4 * sum(p*p) over every weight and bias; then
zero the grads, backpropagate, and take one SGD step. The three engines start from the same
weights, so they must agree on the cost. A second table times a chain y = y * c of growing
length: the cost per node should stay flat as the graph gets deeper.

The garbage collector stays on, as users run it. Each timed step follows an untimed step of
the same engine, as in a training loop: micrograd's graphs are reference cycles, so the previous
step's graph is still on the heap and collecting it is part of the next step's cost. An
untimed `gc.collect()` before each such pair clears the heap, so no engine pays for another
one's garbage, and `gc.freeze()` sets aside what is alive then (every engine's model, the
replayed engine's recorded graph, the data), so no engine pays for the collector scanning
another one's long-lived objects: without it, the tape's 65,818 recorded nodes made every full
collection of the eager step scan them, and the eager step looked three times slower.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # demos/, run as a script

from micrograd.engine import Value as MicrogradValue
from micrograd.nn import MLP as MicrogradMLP

from benchmarks.engines import ClosureValue, TupleValue, topological_order
from demos.microgpt import GPT, ReplayedLoss, Tokenizer, document_loss, load_names
from demos.microgpt import Config as GPTConfig
from micrograd_like import Tape, collector_paused
from micrograd_like._io import atomic_write_text
from micrograd_like.datasets import make_moons
from micrograd_like.engine import Value
from micrograd_like.nn import MLP, Parameter

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
SEED = 1337  # micrograd's demo seeds its generators with 1337
MICROGPT = GPTConfig()  # microgpt's own sizes
ALPHA = 1e-4  # weight of the L2 penalty on every weight and bias
MICROGRAD = f"micrograd {version('micrograd')}"
OURS = "micrograd_like"
REPLAY = "micrograd_like, replayed"
PAUSED = "micrograd_like, collector paused (opt-in)"
PLAIN = "plain floats"
TUPLES = "microgpt's design"
CLOSURES = "micrograd's design"

Log = Callable[[str], None]
S = TypeVar("S", bound="Scalar")


class Scalar(Protocol):
    """What the shared training step needs of a node: micrograd's Value and ours both fit."""

    data: float
    grad: float

    def __add__(self: S, other: S, /) -> S: ...
    def __radd__(self: S, other: float, /) -> S: ...
    def __mul__(self: S, other: S | float, /) -> S: ...
    def __rmul__(self: S, other: float, /) -> S: ...
    def relu(self: S) -> S: ...
    def backward(self) -> None: ...


@dataclass(frozen=True)
class Config:
    """The size of the run: the defaults are the full benchmark."""

    repeats: int = 7
    points: int = 100
    sizes: tuple[int, ...] = (2, 16, 16, 1)
    chain_lengths: tuple[int, ...] = (100, 1_000, 10_000, 100_000, 1_000_000)
    # a timed sample of a shorter chain builds it again and again, this many nodes in all (each
    # chain freed before the next, so the live graph stays as long as the chain): a sample of
    # a millisecond or less is otherwise left to the clock's and the machine's jitter
    chain_sample_nodes: int = 100_000


QUICK = Config(repeats=3, chain_lengths=(100, 1_000, 10_000, 100_000))


@dataclass(frozen=True)
class EngineRow:
    name: str
    seconds: float  # median time of one training step
    nodes: int | None  # nodes in one step's graph; None for plain floats, which build no graph
    peak_bytes: int | None  # tracemalloc peak during forward + backward; None for plain floats


@dataclass(frozen=True)
class ChainRow:
    length: int
    seconds: float  # micrograd_like, forward + backward, median
    seconds_collector_paused: float  # the same with gc.disable() around each run
    micrograd: float | str  # seconds, or why there is no time
    bare: float  # seconds to make as many bare slotted objects, each holding the one before
    bare_collector_paused: float  # the same with the collector paused


# ---- the network, built three ways from one list of starting weights


def initial_parameters(sizes: Sequence[int], seed: int) -> list[float]:
    """Weights uniform(-1, 1) and biases 0 (as micrograd starts them), in micrograd's order:
    layer by layer, neuron by neuron, the neuron's weights then its bias."""
    rng = random.Random(seed)
    values: list[float] = []
    for nin, nout in itertools.pairwise(sizes):
        for _ in range(nout):
            values += [rng.uniform(-1.0, 1.0) for _ in range(nin)]
            values.append(0.0)
    return values


def micrograd_mlp(sizes: Sequence[int], values: Sequence[float]) -> Any:
    """micrograd's own MLP, its random weights replaced by `values`."""
    model = MicrogradMLP(sizes[0], list(sizes[1:]))
    for parameter, value in zip(model.parameters(), values, strict=True):
        parameter.data = value
    return model


def micrograd_like_mlp(sizes: Sequence[int], values: Sequence[float]) -> MLP:
    """micrograd_like's MLP (micrograd's defaults: ReLU hidden layers, a linear output), its
    random weights replaced by `values`."""
    model = MLP(sizes[0], list(sizes[1:]))
    for parameter, value in zip(model.parameters(), values, strict=True):
        parameter.data = value
    return model


def scorer(model: MLP) -> Callable[[list[Value]], Value]:
    """The network as a function from a point to its score (the one output neuron)."""
    return lambda x: cast(Value, model(x))


class PlainMLP:
    """The same network in plain floats with a hand-written backward pass: the floor for pure
    Python. Each neuron is one list [w1, ..., wn, b], so the parameters are in micrograd's order."""

    def __init__(self, sizes: Sequence[int], values: Sequence[float]) -> None:
        parameters = iter(values)
        self.layers = [
            [[next(parameters) for _ in range(nin + 1)] for _ in range(nout)]
            for nin, nout in itertools.pairwise(sizes)
        ]

    def parameters(self) -> list[float]:
        return [p for layer in self.layers for neuron in layer for p in neuron]

    def cost_and_gradients(
        self, points: Sequence[tuple[float, float]], labels: Sequence[int]
    ) -> tuple[float, list[list[list[float]]]]:
        """The cost and d cost / d parameter, shaped like `layers`."""
        layers = self.layers
        last = len(layers) - 1
        grads = [[[0.0] * len(neuron) for neuron in layer] for layer in layers]
        scale = 1.0 / len(points)
        margins = 0.0
        for point, label in zip(points, labels, strict=True):
            # forward, keeping every layer's activations: they are the local derivatives below
            activations = [list(point)]
            for k, layer in enumerate(layers):
                a = activations[-1]
                # zip stops at len(a), before the bias at the end of the neuron
                z = [
                    neuron[-1] + sum(w * x for w, x in zip(neuron, a, strict=False))
                    for neuron in layer
                ]
                activations.append(z if k == last else [v if v > 0.0 else 0.0 for v in z])
            margin = 1.0 - label * activations[-1][0]
            # d cost / d score = relu'(margin) * -label / n. Where relu is flat the whole backward
            # pass still runs, multiplying zeros, as the autograd engines do: the same work.
            upstream = [-label * scale if margin > 0.0 else 0.0]
            margins += max(margin, 0.0)
            for k in range(last, -1, -1):
                if k < last:  # relu's local derivative: 1 where the activation is positive
                    upstream = [
                        u if a > 0.0 else 0.0
                        for u, a in zip(upstream, activations[k + 1], strict=True)
                    ]
                inputs = activations[k]
                # z = b + sum(w_i * x_i): d z / d w_i = x_i and d z / d b = 1
                for g, u in zip(grads[k], upstream, strict=True):
                    g[:-1] = [gw + u * x for gw, x in zip(g, inputs, strict=False)]
                    g[-1] += u
                if k:  # d z / d x_i = w_i: each input collects from every neuron it feeds
                    back = [0.0] * len(inputs)
                    for u, neuron in zip(upstream, layers[k], strict=True):
                        back = [b + u * w for b, w in zip(back, neuron, strict=False)]
                    upstream = back
        penalty = 0.0
        for layer, layer_grads in zip(layers, grads, strict=True):
            for neuron, g in zip(layer, layer_grads, strict=True):
                penalty += sum(p * p for p in neuron)
                # d(alpha * p^2) / d p = 2 * alpha * p
                g[:] = [gp + 2.0 * ALPHA * p for gp, p in zip(g, neuron, strict=True)]
        return margins * scale + ALPHA * penalty, grads

    def step(
        self, points: Sequence[tuple[float, float]], labels: Sequence[int], lr: float
    ) -> float:
        """One SGD step; returns the cost before it."""
        cost, grads = self.cost_and_gradients(points, labels)
        for layer, layer_grads in zip(self.layers, grads, strict=True):
            for neuron, g in zip(layer, layer_grads, strict=True):
                neuron[:] = [p - lr * gp for p, gp in zip(neuron, g, strict=True)]
        return cost


class Replayed:
    """micrograd_like's step with the graph recorded once by a `Tape` and replayed: each step
    recomputes every node's value from the current weights and backpropagates, in place."""

    def __init__(
        self, model: MLP, points: Sequence[tuple[float, float]], labels: Sequence[int]
    ) -> None:
        self.parameters = model.parameters()
        self.cost = moons_cost(scorer(model), self.parameters, Value, points, labels)
        self.tape = Tape(self.cost)

    def step(self, lr: float) -> float:
        """Zero the grads, replay forward and backward, one SGD step; the cost before it."""
        for p in self.parameters:
            p.grad = 0.0
        self.tape.replay()
        for p in self.parameters:
            p.data -= lr * p.grad
        return self.cost.data


# ---- the training step, one code path for both autograd engines


def moons_cost(
    model: Callable[[list[S]], S],
    parameters: list[S],
    make: Callable[[float], S],
    points: Sequence[tuple[float, float]],
    labels: Sequence[int],
) -> S:
    """micrograd's demo cost, built with the engine that `make` and `model` belong to."""
    inputs = [[make(x), make(y)] for x, y in points]
    scores = [model(x) for x in inputs]
    margins = [(1 + -label * score).relu() for label, score in zip(labels, scores, strict=True)]
    data_cost = sum(margins, make(0.0)) * (1.0 / len(margins))
    penalty = ALPHA * sum((p * p for p in parameters), make(0.0))
    return data_cost + penalty


def autograd_step(
    model: Callable[[list[S]], S],
    parameters: list[S],
    make: Callable[[float], S],
    points: Sequence[tuple[float, float]],
    labels: Sequence[int],
    lr: float,
) -> float:
    """Forward, zero the grads, backward, one SGD step; returns the cost before the step."""
    cost = moons_cost(model, parameters, make, points, labels)
    for p in parameters:
        p.grad = 0.0
    cost.backward()
    for p in parameters:
        p.data -= lr * p.grad
    return cost.data


def learning_rate(step: int) -> float:
    """micrograd's demo schedule: from 1.0 down by 0.009 a step."""
    return 1.0 - 0.9 * step / 100


def micrograd_node_count(root: Any) -> int:
    """Nodes in a micrograd graph, walked through its `_prev` sets without recursion."""
    seen = {root}
    stack = [root]
    while stack:
        for node in stack.pop()._prev:
            if node not in seen:
                seen.add(node)
                stack.append(node)
    return len(seen)


def check_same_cost(costs: dict[str, float], tolerance: float = 1e-9) -> None:
    """The engines start from the same weights, so a different cost means a different network."""
    reference = next(iter(costs.values()))
    if any(abs(cost - reference) > tolerance for cost in costs.values()):
        found = ", ".join(f"{name} {cost!r}" for name, cost in costs.items())
        raise RuntimeError(f"the engines disagree on the first step's cost: {found}")


def traced_peak(run: Callable[[], object]) -> int:
    """Bytes allocated at the peak of `run()`, above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def bench_moons(config: Config, log: Log) -> list[EngineRow]:
    """Time the training step of each engine, interleaved: every repetition runs each engine
    in turn, in a rotating order, so a noisy neighbour slows them all alike."""
    points, labels = make_moons(config.points, noise=0.1, seed=SEED)
    values = initial_parameters(config.sizes, SEED)
    theirs = micrograd_mlp(config.sizes, values)
    ours = micrograd_like_mlp(config.sizes, values)
    score = scorer(ours)
    paused = micrograd_like_mlp(config.sizes, values)  # its own weights, on the same path
    paused_score = scorer(paused)
    replayed = Replayed(micrograd_like_mlp(config.sizes, values), points, labels)

    def paused_step(lr: float) -> float:
        with collector_paused():
            return autograd_step(paused_score, paused.parameters(), Value, points, labels, lr)

    plain = PlainMLP(config.sizes, values)
    steps: dict[str, Callable[[float], float]] = {
        MICROGRAD: lambda lr: autograd_step(
            theirs, theirs.parameters(), MicrogradValue, points, labels, lr
        ),
        OURS: lambda lr: autograd_step(score, ours.parameters(), Value, points, labels, lr),
        PAUSED: paused_step,
        REPLAY: replayed.step,
        PLAIN: lambda lr: plain.step(points, labels, lr),
    }
    log("moons step: a first, untimed step of each engine (the costs must agree)")
    check_same_cost({name: step(learning_rate(0)) for name, step in steps.items()})
    names = list(steps)
    times: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(config.repeats):
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            gc.collect()
            gc.freeze()
            steps[name](learning_rate(2 * repeat + 1))  # leaves its garbage, as training does
            start = time.perf_counter()
            steps[name](learning_rate(2 * repeat + 2))
            times[name].append(time.perf_counter() - start)
            gc.unfreeze()
        log(
            f"moons step: repetition {repeat + 1}/{config.repeats}: "
            + ", ".join(f"{name} {_ms(times[name][-1])} ms" for name in names)
        )

    # every engine took the same 1 + 2 * repeats steps from the same weights: eager and replayed
    # training must still be on the same path
    log("moons step: one more untimed step of each engine (the costs must still agree)")
    check_same_cost(
        {name: step(learning_rate(2 * config.repeats + 1)) for name, step in steps.items()}
    )

    log("moons step: counting nodes and measuring memory (tracemalloc)")
    theirs_cost = moons_cost(theirs, theirs.parameters(), MicrogradValue, points, labels)
    ours_cost = moons_cost(score, ours.parameters(), Value, points, labels)
    nodes = {
        MICROGRAD: micrograd_node_count(theirs_cost),
        OURS: len(ours_cost.topological_order()),
        REPLAY: len(replayed.tape),
        PLAIN: None,
    }
    nodes[PAUSED] = nodes[OURS]  # the same graph as eager
    del theirs_cost, ours_cost
    peaks = {
        MICROGRAD: traced_peak(
            lambda: moons_cost(
                theirs, theirs.parameters(), MicrogradValue, points, labels
            ).backward()
        ),
        OURS: traced_peak(
            lambda: moons_cost(score, ours.parameters(), Value, points, labels).backward()
        ),
        # the graph, its tape and a replay: what keeping a graph for replay costs
        REPLAY: traced_peak(
            lambda: Replayed(micrograd_like_mlp(config.sizes, values), points, labels).step(0.0)
        ),
    }  # plain floats build no graph: there is no per-node memory to compare
    return [EngineRow(n, statistics.median(times[n]), nodes[n], peaks.get(n)) for n in names]


# ---- microgpt's training step: one GPT, three engine designs


def adam_step(params: Sequence[Any], moments: list[list[float]], step: int) -> None:
    """microgpt's Adam (lr 0.01 decaying over 1,000 steps, betas 0.85 and 0.99), on plain floats:
    the same code for every engine, so only the engines differ."""
    lr, b1, b2 = 0.01 * (1 - step / 1000), 0.85, 0.99
    m, v = moments
    for i, p in enumerate(params):
        g = p.grad
        m[i] = b1 * m[i] + (1 - b1) * g
        v[i] = b2 * v[i] + (1 - b2) * g * g
        m_hat, v_hat = m[i] / (1 - b1 ** (step + 1)), v[i] / (1 - b2 ** (step + 1))
        p.data -= lr * m_hat / (v_hat**0.5 + 1e-8)


@dataclass
class GPTRun:
    """One engine's GPT with its Adam moments; `step(k)` trains on document k. With
    `replayed`, the loss and its backward pass are replayed on a recorded graph instead."""

    model: GPT[Any]
    docs: list[list[int]]
    moments: list[list[float]]
    replayed: ReplayedLoss | None = None

    def loss(self, k: int) -> Any:
        """Document k's loss; replayed, its backward pass is done too."""
        tokens = self.docs[k % len(self.docs)]
        return (
            document_loss(self.model, tokens)
            if self.replayed is None
            else self.replayed.loss(tokens)
        )

    def step(self, k: int) -> float:
        params = self.model.parameters()
        for p in params:
            p.grad = 0.0
        loss = self.loss(k)
        if self.replayed is None:
            loss.backward()
        adam_step(params, self.moments, k)
        return float(loss.data)


def gpt_runs(config: GPTConfig, documents: int = 200, letters: int = 6) -> dict[str, GPTRun]:
    """microgpt's network built with each engine from the same seed, so from the same weights,
    reading the same names in the same order."""
    names = load_names()
    random.Random(SEED).shuffle(names)
    tokenizer = Tokenizer(names)
    # names of one length, so that every step builds a graph of the same size
    docs = [tokenizer.encode(name) for name in names if len(name) == letters][:documents]
    makers: dict[str, Callable[[float, str], Any]] = {
        OURS: Parameter,
        REPLAY: Parameter,
        TUPLES: lambda x, label: TupleValue(x),
        CLOSURES: lambda x, label: ClosureValue(x),
    }
    runs = {}
    for name, make in makers.items():
        model = GPT(tokenizer.vocab_size, config, make, seed=SEED)
        n = len(model.parameters())
        replayed = ReplayedLoss(model) if name == REPLAY else None
        runs[name] = GPTRun(model, docs, [[0.0] * n, [0.0] * n], replayed)
    return runs


def backward_of(run: GPTRun, k: int) -> None:
    """Build document k's loss and backpropagate (what `traced_peak` measures); replayed, a
    fresh recording, so that the graph and its tape are counted as for the moons step."""
    if run.replayed is not None:
        ReplayedLoss(run.model).loss(run.docs[k % len(run.docs)])
    else:
        run.loss(k).backward()


def gpt_node_count(name: str, root: Any) -> int:
    """Nodes in one step's graph, walked through each engine's own links."""
    if name in (OURS, REPLAY):
        return len(root.topological_order())
    if name == TUPLES:
        return len(topological_order(root, lambda node: node._children))
    return len(topological_order(root, lambda node: node._prev))


@dataclass(frozen=True)
class GPTResult:
    rows: list[EngineRow]
    workload: str  # the network and the names it reads, for the caption


def bench_microgpt(
    config: Config, log: Log, gpt: GPTConfig = MICROGPT, letters: int = 6
) -> GPTResult:
    """microgpt's training step (forward over one name of `letters` letters, backward, Adam)
    with each engine, interleaved as the moons step is."""
    runs = gpt_runs(gpt, letters=letters)
    names = list(runs)
    log("microgpt step: a first, untimed step of each engine (the losses must agree)")
    check_same_cost({name: run.step(0) for name, run in runs.items()})
    times: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(config.repeats):
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            gc.collect()
            gc.freeze()  # as in the moons step
            runs[name].step(2 * repeat + 1)
            start = time.perf_counter()
            runs[name].step(2 * repeat + 2)
            times[name].append(time.perf_counter() - start)
            gc.unfreeze()
        log(
            f"microgpt step: repetition {repeat + 1}/{config.repeats}: "
            + ", ".join(f"{name} {_ms(times[name][-1])} ms" for name in names)
        )
    log("microgpt step: counting nodes and measuring memory (tracemalloc)")
    k = 2 * config.repeats + 1
    nodes = {name: gpt_node_count(name, run.loss(k)) for name, run in runs.items()}
    peaks = {name: traced_peak(partial(backward_of, run, k)) for name, run in runs.items()}
    rows = [EngineRow(n, statistics.median(times[n]), nodes[n], peaks[n]) for n in names]
    weights = len(runs[OURS].model.parameters())
    workload = (
        f"{gpt.n_layer} block{'s' if gpt.n_layer != 1 else ''}, width {gpt.n_embd}, "
        f"{gpt.n_head} heads, {weights:,} weights, reading a {letters}-letter name"
    )
    return GPTResult(rows, workload)


# ---- the chain: as deep as it is long


def chain(make: Callable[[float], S], length: int) -> float:
    """y = y * c, `length` times, then backward; returns d y / d c = length * c**(length - 1)."""
    c = make(0.999999)
    y = make(1.0)
    for _ in range(length):
        y = y * c
    y.backward()
    return c.grad


class Bare:
    """A node with the slots of a `Value` and nothing else: no ops, no graph, no engine."""

    __slots__ = ("data", "grad", "op", "input1", "local1", "input2", "local2", "mark", "__dict__")

    data: float
    grad: float
    op: str
    input1: Bare | None
    local1: float
    input2: Bare | None
    local2: float
    mark: object


def bare_chain(length: int) -> Bare:
    """`length` bare objects, each holding the one made before it, as y = y * c holds y: what
    Python's cyclic garbage collector scans in a chain, without the engine's work."""
    y = Bare()
    y.input1 = None
    for _ in range(length):
        z = Bare()
        z.data, z.grad, z.op, z.local1 = 1.0, 0.0, "*", 0.999999
        z.input1, z.input2, z.local2, z.mark = y, None, 1.0, None
        y = z
    return y


def median_seconds(
    run: Callable[[], object], repeats: int, pause_collector: bool = False, runs: int = 1
) -> float:
    """The median wall time of `run`, over `repeats` samples of `runs` runs each (divided by
    `runs`); with `pause_collector`, Python's cyclic garbage collector is paused during each
    sample (`collector_paused()`), to show what it costs."""
    times = []
    for _ in range(repeats):
        gc.collect()
        with collector_paused() if pause_collector else nullcontext():
            start = time.perf_counter()
            for _ in range(runs):
                run()
            times.append((time.perf_counter() - start) / runs)
    return statistics.median(times)


def bench_chain(config: Config, log: Log) -> list[ChainRow]:
    """Forward and backward through chains of each length; micrograd until it fails."""
    rows = []
    micrograd_failed_at: int | None = None
    for length in config.chain_lengths:
        runs = -(-config.chain_sample_nodes // length)  # chains per sample, rounded up
        ours = partial(chain, Value, length)
        seconds = median_seconds(ours, config.repeats, runs=runs)
        paused = median_seconds(ours, config.repeats, True, runs)
        theirs: float | str
        if micrograd_failed_at is not None:
            theirs = f"not run (RecursionError at {micrograd_failed_at:,})"
        else:
            try:
                theirs = median_seconds(
                    partial(chain, MicrogradValue, length), config.repeats, runs=runs
                )
            except RecursionError:
                micrograd_failed_at = length
                theirs = "RecursionError"
        bare = median_seconds(partial(bare_chain, length), config.repeats, runs=runs)
        bare_paused = median_seconds(partial(bare_chain, length), config.repeats, True, runs)
        log(
            f"chain of {length:,}: {OURS} {_ms(seconds)} ms ({_ms(paused)} ms with the "
            f"collector paused), micrograd {_ms_or(theirs)}, bare objects {_ms(bare)} ms "
            f"({_ms(bare_paused)} ms paused)"
        )
        rows.append(ChainRow(length, seconds, paused, theirs, bare, bare_paused))
    return rows


# ---- the report


def machine() -> str:
    """Where and when the numbers were measured."""
    load = f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{platform.system()} {platform.machine()} ({cpu_model()}), "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs{load}, {datetime.now(timezone.utc):%Y-%m-%d}"
    )


def cpu_model() -> str:
    """The processor's name: Linux has it in /proc/cpuinfo, other systems in platform."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def _ms(seconds: float) -> str:
    """Milliseconds, with three significant digits below 100 and none after the point above."""
    ms = seconds * 1e3
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


def _ms_or(cell: float | str) -> str:
    return f"{_ms(cell)} ms" if isinstance(cell, float) else cell


def _per_node(seconds: float, nodes: int | None) -> str:
    return "—" if nodes is None else f"{seconds / nodes * 1e9:,.0f}"


def markdown(
    config: Config,
    where: str,
    engines: list[EngineRow],
    gpts: GPTResult,
    chains: list[ChainRow],
) -> str:
    """The three tables with their captions, ready for stdout or the README."""
    by_name = {row.name: row for row in engines}
    layers = "-".join(map(str, config.sizes))
    lines = [
        f"One training step of micrograd's moons demo: MLP {layers}, {config.points} points, "
        "max-margin loss + 1e-4 L2, zero grads, backward, SGD update. "
        f"Median of {config.repeats} interleaved steps; {where}.",
        "",
        f"| engine | ms / step | speed-up over {MICROGRAD} | nodes / step | ns / node | "
        "bytes / node |",
        "|:--|--:|--:|--:|--:|--:|",
    ]
    for row in engines:
        nodes = "—" if row.nodes is None else f"{row.nodes:,}"
        per_node = (
            "—"
            if row.nodes is None or row.peak_bytes is None
            else f"{row.peak_bytes / row.nodes:,.0f}"
        )
        speed_up = by_name[MICROGRAD].seconds / row.seconds
        lines.append(
            f"| {row.name} | {_ms(row.seconds)} | {speed_up:.1f}x | {nodes} | "
            f"{_per_node(row.seconds, row.nodes)} | {per_node} |"
        )
    micrograd, plain = by_name[MICROGRAD].seconds, by_name[PLAIN].seconds
    eager = by_name[OURS].seconds
    replay = by_name[REPLAY].seconds
    paused = by_name[PAUSED].seconds
    summary = (
        f"Eager, {OURS} is **{micrograd / eager:.1f}x faster** than {MICROGRAD}; eager with "
        f"the garbage collector paused for the step (`collector_paused()`, an opt-in), "
        f"**{micrograd / paused:.1f}x faster**; replayed, "
        f"**{micrograd / replay:.1f}x faster** ({eager / replay:.1f}x faster than eager). The "
        "hand-written plain-float forward and backward of the same network is "
        f"{eager / plain:.1f}x faster than eager, {replay / plain:.1f}x faster than replayed. "
        "All engines were checked to give the same cost after all these steps."
    )
    lines += [
        "",
        summary,
        "",
        *gpt_table(config, gpts),
        "",
        f"A chain y = y * c, forward and backward: the time of one chain, the median of "
        f"{config.repeats} samples (a sample builds a chain shorter than "
        f"{config.chain_sample_nodes:,} nodes again and again, at least "
        f"{config.chain_sample_nodes:,} nodes in all, each chain freed before the next is "
        "built). A flat "
        "ns / node means the cost grows in proportion to the depth. The next column is the "
        "same run with Python's cyclic garbage collector paused (`collector_paused()`, a "
        "choice left to the user): the difference is the collector scanning every live node, "
        "not the engine. The bare-objects column makes as many objects with a node's slots, "
        "each holding the one before, and nothing else (collector on / paused): the "
        "collector's share grows with the number of live objects for any Python objects. "
        "micrograd's recursive topological sort cannot go deeper than Python's recursion "
        "limit.",
        "",
        f"| nodes | {OURS} ms | ns / node | ns / node, collector paused | "
        f"bare objects, ns / node (on / paused) | {MICROGRAD} |",
        "|--:|--:|--:|--:|--:|:--|",
    ]
    for c in chains:
        theirs = c.micrograd
        if isinstance(theirs, float):
            theirs = f"{_ms(theirs)} ms ({_per_node(theirs, c.length)} ns / node)"
        lines.append(
            f"| {c.length:,} | {_ms(c.seconds)} | {_per_node(c.seconds, c.length)} | "
            f"{_per_node(c.seconds_collector_paused, c.length)} | "
            f"{_per_node(c.bare, c.length)} / {_per_node(c.bare_collector_paused, c.length)} | "
            f"{theirs} |"
        )
    return "\n".join(lines)


def gpt_table(config: Config, result: GPTResult) -> list[str]:
    """The microgpt table: each engine design's step, and its speed-up over microgpt's."""
    gpts = result.rows
    theirs = next(row for row in gpts if row.name == TUPLES)
    lines = [
        f"microgpt's training step: the same GPT ({result.workload}), cost "
        "-log p(next character), backward, Adam; built with "
        f"{OURS} (eagerly, and replayed on a recorded graph: `demos/microgpt.py`'s "
        "`ReplayedLoss`), with microgpt's engine design (a slotted node with tuples of children "
        "and local derivatives) and with micrograd's (a closure per node), both written in "
        "`benchmarks/engines.py`. Same weights, same loss (checked). "
        f"Median of {config.repeats} interleaved steps.",
        "",
        "| engine | ms / step | nodes / step | ns / node | bytes / node "
        f"| speed-up over {TUPLES} |",
        "|:--|--:|--:|--:|--:|--:|",
    ]
    for row in gpts:
        assert row.nodes is not None and row.peak_bytes is not None
        speed_up = theirs.seconds / row.seconds
        shown = f"{speed_up:.2f}x" if speed_up < 1 else f"{speed_up:.1f}x"  # micrograd's: 0.14x
        lines.append(
            f"| {row.name} | {_ms(row.seconds)} | {row.nodes:,} | "
            f"{_per_node(row.seconds, row.nodes)} | {row.peak_bytes / row.nodes:,.0f} | {shown} |"
        )
    return lines


def run(config: Config, log: Log, gpt: GPTConfig = MICROGPT, letters: int = 6) -> str:
    """The whole benchmark: the tables as Markdown."""
    where = machine()
    moons = bench_moons(config, log)
    gpts = bench_microgpt(config, log, gpt, letters)
    return markdown(config, where, moons, gpts, bench_chain(config, log))


def replace_between_markers(text: str, block: str) -> str:
    """`text` with everything between the bench markers replaced by `block`."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(
            f"the README needs one {START} line and, after it, one {END} line around the "
            "benchmark table; add them where the table should go"
        )
    head, rest = text.split(START)
    return f"{head}{START}\n{block}\n{END}{rest.split(END)[1]}"


def read_readme(path: Path) -> str:
    """The README's text, checked for the markers; exits with a clear message otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
        replace_between_markers(text, "")
    except (OSError, ValueError) as error:
        raise SystemExit(f"bench.py: cannot write the table into {path}: {error}") from None
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, help="timed steps per engine (default 7)")
    parser.add_argument("--quick", action="store_true", help="3 repeats, chains up to 1e5")
    parser.add_argument(
        "--write-readme", action="store_true", help=f"replace the text between {START} and {END}"
    )
    parser.add_argument("--readme", type=Path, default=README, help="the README to write into")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else Config()
    if args.repeats is not None:
        if args.repeats < 1:
            parser.error(f"--repeats must be at least 1, got {args.repeats}")
        config = replace(config, repeats=args.repeats)
    if args.write_readme:
        read_readme(args.readme)  # fail now, not after minutes of measuring

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    table = run(config, log)
    print(table)
    if args.write_readme:
        text = replace_between_markers(read_readme(args.readme), table)
        atomic_write_text(args.readme, text)
        log(f"wrote the table into {args.readme}")


if __name__ == "__main__":
    main()
