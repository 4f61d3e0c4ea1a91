"""A GPT of scalars: Karpathy's microgpt idea, trained with micrograd_like's `Value`.

Every number of the network is one `Value`, so the whole transformer is built from the ops a
learner already knows (+, *, **, exp, log, relu) and trained by the same `backward()` as a
single neuron. The model is microgpt's design: token and position embeddings, then blocks of
RMSNorm, multi-head causal self-attention over a cache of the keys and values of the positions
seen so far, and a ReLU MLP, each added back to its input (a residual); a linear head gives one
logit per character. It reads a first name one character at a time and learns to predict the
next one; the cost is the mean over positions of -log(probability of the right character).
Adam updates the weights with a learning rate that decays linearly to 0.

The names come from the `names` package on PyPI (the demos extra installs it), which ships the
first names of the 1990 US census as data files: nothing is downloaded at run time.

    .venv/bin/python demos/microgpt.py               # 1,000 steps (about 40 s), then names
    .venv/bin/python demos/microgpt.py --steps 200   # quicker, less convincing names

Training replays recorded graphs (`Tape`, `--eager` to build every graph afresh): a tape replays
one graph, so its shape must not depend on the data, and here two things do. The name's length
sets the number of positions: one graph is recorded per length, the first time a name of that
length comes (names have 2 to 11 letters: ten graphs of 26,000 to 97,000 nodes). Its characters
choose which rows of the embedding table the graph reads, and which probability is the cost: a
recorded graph reads each position's embedding from leaves of its own, which every step fills
with the right row (and whose gradients it adds back into that row), and picks the probability
of the next character as sum_i y_i p_i with one-hot leaves y, which every step sets (adding
zeros is exact, so the cost is the same number). The softmax's shift by the largest logit is
frozen when the graph is recorded (it cancels out), so a replayed step matches an eager one to
rounding, not bit for bit.

The model code is written for any scalar type with these ops (the `Scalar` protocol), so the
benchmark runs the very same network on other engine designs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from importlib import resources
from operator import add, mul
from pathlib import Path
from typing import Generic, Protocol, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demos.common import Progress, output_dir
from micrograd_like import Parameter, Tape, Value, no_grad, optim, save_model_html

S = TypeVar("S", bound="Scalar")


class Scalar(Protocol):
    """What the network needs of a number: micrograd_like's `Value` and the benchmark's other
    engines all fit."""

    data: float
    grad: float

    def __add__(self: S, other: S | float, /) -> S: ...
    def __sub__(self: S, other: S | float, /) -> S: ...
    def __mul__(self: S, other: S | float, /) -> S: ...
    def __truediv__(self: S, other: S | float, /) -> S: ...
    def __pow__(self: S, exponent: float, /) -> S: ...
    def __neg__(self: S) -> S: ...
    def exp(self: S) -> S: ...
    def log(self: S) -> S: ...
    def relu(self: S) -> S: ...
    def backward(self) -> None: ...


Matrix = list[list[S]]  # rows of scalars: a weight matrix, one row per output
Cache = list[tuple[list[list[S]], list[list[S]]]]  # per block: keys and values of each position


def total(xs: Iterable[S]) -> S:
    """x1 + x2 + ... + xn, left to right (no leading 0, so no extra constant node)."""
    return reduce(add, xs)


def linear(x: Sequence[S], w: Matrix[S]) -> list[S]:
    """y_i = sum_j w_ij x_j: each row of `w` is one output's weights."""
    return [total(map(mul, row, x)) for row in w]


def rmsnorm(x: Sequence[S]) -> list[S]:
    """x / sqrt(mean(x^2) + eps): every vector leaves with a root mean square of about 1."""
    mean_square = total([xi * xi for xi in x]) * (1.0 / len(x))
    scale = (mean_square + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def softmax(logits: Sequence[S]) -> list[S]:
    """exp(l_i - m) / sum_j exp(l_j - m). Subtracting the largest logit m (a constant, so the
    result is unchanged) keeps exp from overflowing."""
    m = max(logit.data for logit in logits)
    exps = [(logit - m).exp() for logit in logits]
    denominator = total(exps)
    return [e / denominator for e in exps]


@dataclass(frozen=True)
class Config:
    """The network's size. The defaults are microgpt's: 16-wide, 4 heads, 1 block."""

    n_embd: int = 16
    n_head: int = 4
    n_layer: int = 1
    block_size: int = 16  # the longest context: positions 0 .. block_size - 1
    init_std: float = 0.08  # weights start as gauss(0, init_std)

    def __post_init__(self) -> None:
        for name in ("n_embd", "n_head", "n_layer", "block_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Config: {name} must be a positive int, got {value!r}")
        if self.n_embd % self.n_head:
            raise ValueError(
                f"Config: n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})"
            )


TINY = Config(n_embd=8, n_head=2, n_layer=1, block_size=8)  # for tests: a step in milliseconds


class GPT(Generic[S]):
    """The transformer, its weights made by `make(number, label)` from a seeded generator.

    `model(token, position, cache)` returns the logits for the character after `token`; the
    cache collects each block's keys and values, so position p attends to positions 0..p.
    """

    def __init__(
        self, vocab_size: int, config: Config, make: Callable[[float, str], S], seed: int = 42
    ) -> None:
        self.vocab_size, self.config = vocab_size, config
        rng = random.Random(seed)
        self.matrices: dict[str, Matrix[S]] = {}

        def matrix(name: str, rows: int, columns: int) -> Matrix[S]:
            self.matrices[name] = [
                [make(rng.gauss(0.0, config.init_std), f"{name}[{i},{j}]") for j in range(columns)]
                for i in range(rows)
            ]
            return self.matrices[name]

        d = config.n_embd
        self.token_embedding = matrix("wte", vocab_size, d)
        self.position_embedding = matrix("wpe", config.block_size, d)
        self.blocks = [
            {
                "query": matrix(f"B{b}.wq", d, d),
                "key": matrix(f"B{b}.wk", d, d),
                "value": matrix(f"B{b}.wv", d, d),
                "out": matrix(f"B{b}.wo", d, d),
                "up": matrix(f"B{b}.fc1", 4 * d, d),
                "down": matrix(f"B{b}.fc2", d, 4 * d),
            }
            for b in range(1, config.n_layer + 1)
        ]
        self.head = matrix("lm_head", vocab_size, d)

    def parameters(self) -> list[S]:
        return [p for m in self.matrices.values() for row in m for p in row]

    def new_cache(self) -> Cache[S]:
        return [([], []) for _ in self.blocks]

    def __call__(self, token: int, position: int, cache: Cache[S]) -> list[S]:
        return self.logits(self.token_embedding[token], position, cache)

    def logits(self, embedding: Sequence[S], position: int, cache: Cache[S]) -> list[S]:
        """The logits after the token whose embedding row is `embedding`, at `position`."""
        heads, width = self.config.n_head, self.config.n_embd // self.config.n_head
        scale = width**-0.5  # attention scores q.k / sqrt(width) keep a spread of about 1
        x = [t + p for t, p in zip(embedding, self.position_embedding[position], strict=True)]
        x = rmsnorm(x)
        for block, (keys, values) in zip(self.blocks, cache, strict=True):
            # attention: each head mixes the values of the positions so far, weighted by how
            # well its query matches their keys
            residual, x = x, rmsnorm(x)
            q = linear(x, block["query"])
            keys.append(linear(x, block["key"]))
            values.append(linear(x, block["value"]))
            mixed: list[S] = []
            for h in range(0, heads * width, width):
                q_h = q[h : h + width]
                scores = [total(map(mul, q_h, k[h : h + width])) * scale for k in keys]
                weights = softmax(scores)
                mixed += [
                    total([w * v[h + i] for w, v in zip(weights, values, strict=True)])
                    for i in range(width)
                ]
            x = [a + r for a, r in zip(linear(mixed, block["out"]), residual, strict=True)]
            # MLP: widen 4x, ReLU, narrow back
            residual, x = x, rmsnorm(x)
            hidden = [h.relu() for h in linear(x, block["up"])]
            x = [a + r for a, r in zip(linear(hidden, block["down"]), residual, strict=True)]
        return linear(x, self.head)


def positions(model: GPT[S], tokens: Sequence[int]) -> int:
    """How many positions a name's cost reads: one per character, and one for BOS."""
    return min(model.config.block_size, len(tokens) - 1)


def document_loss(model: GPT[S], tokens: Sequence[int]) -> S:
    """The mean over positions of -log p(next character): the cost of one name."""
    n = positions(model, tokens)
    cache = model.new_cache()
    losses = []
    for position in range(n):
        probabilities = softmax(model(tokens[position], position, cache))
        losses.append(-probabilities[tokens[position + 1]].log())
    return total(losses) * (1.0 / n)


# ---- the data: first names, one character per token


def load_names() -> list[str]:
    """The census first names shipped by the `names` package, lower case, without duplicates,
    in a fixed order."""
    try:
        package = resources.files("names")
    except ModuleNotFoundError:
        raise SystemExit(
            "microgpt: the names list comes from the `names` package; install it with "
            "`pip install names` (or the demos extra: pip install -e '.[demos]')"
        ) from None
    found: set[str] = set()
    for file in ("dist.female.first", "dist.male.first"):
        for line in (package / file).read_text(encoding="ascii").splitlines():
            if line.strip():
                found.add(line.split()[0].lower())
    return sorted(name for name in found if name.isalpha())


class Tokenizer:
    """Characters to token ids and back; one extra token, BOS, marks where a name begins and
    ends."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.characters = sorted(set("".join(texts)))
        self.bos = len(self.characters)
        self.vocab_size = self.bos + 1
        self.ids = {c: i for i, c in enumerate(self.characters)}

    def encode(self, text: str) -> list[int]:
        return [self.bos, *(self.ids[c] for c in text), self.bos]

    def decode(self, tokens: Sequence[int]) -> str:
        return "".join(self.characters[t] for t in tokens if t != self.bos)


# ---- replaying: one recorded graph per name length


@dataclass
class _Recording:
    tape: Tape
    rows: list[list[Value]]  # per position: the leaves standing for its token's embedding row
    targets: list[list[Value]]  # per position: one-hot leaves y_i, 1 at the next character


class ReplayedLoss:
    """`document_loss` and its backward pass, replayed on a recorded graph per name length.

    `loss(tokens)` fills the recording of that many positions with this name's embedding rows
    and next characters, replays it (forward and backward, in place), adds the gradients of
    the embedding leaves into the rows they stand for, and returns the cost node. The model's
    other gradients land in its parameters directly, added to what they held, as `backward()`
    adds them.
    """

    def __init__(self, model: GPT[Value]) -> None:
        self.model = model
        self.recordings: dict[int, _Recording] = {}

    def loss(self, tokens: Sequence[int]) -> Value:
        n = positions(self.model, tokens)
        recording = self.recordings.get(n)
        if recording is None:
            recording = self.recordings[n] = self._record(tokens[: n + 1])
        table = self.model.token_embedding
        for row, token in zip(recording.rows, tokens, strict=False):  # the first n tokens
            for leaf, weight in zip(row, table[token], strict=True):
                leaf.data, leaf.grad = weight.data, 0.0
        for one_hot, target in zip(recording.targets, tokens[1:], strict=False):
            for leaf in one_hot:
                leaf.data, leaf.grad = 0.0, 0.0
            one_hot[target].data = 1.0
        recording.tape.replay()
        for row, token in zip(recording.rows, tokens, strict=False):
            for leaf, weight in zip(row, table[token], strict=True):
                weight.grad += leaf.grad
        return recording.tape.root

    def _record(self, tokens: Sequence[int]) -> _Recording:
        """The graph of a name as long as this one, over leaves of its own for the data (built
        with this name's data, so that every op sees values inside its domain)."""
        n, vocab, table = len(tokens) - 1, self.model.vocab_size, self.model.token_embedding
        rows = [
            [Value(weight.data, f"x{p}[{j}]") for j, weight in enumerate(table[token])]
            for p, token in enumerate(tokens[:n])
        ]
        targets = [
            [Value(float(i == target), f"y{p}[{i}]") for i in range(vocab)]
            for p, target in enumerate(tokens[1:])
        ]
        cache = self.model.new_cache()
        losses = []
        for position in range(n):
            probabilities = softmax(self.model.logits(rows[position], position, cache))
            picked = total(map(mul, targets[position], probabilities))  # y one-hot: exact
            losses.append(-picked.log())
        return _Recording(Tape(total(losses) * (1.0 / n)), rows, targets)


# ---- training and sampling, with micrograd_like


def build(vocab_size: int, config: Config = Config(), seed: int = 42) -> GPT[Value]:
    """The network with micrograd_like `Parameter`s, labelled like `B1.wq[2,7]`."""
    return GPT(vocab_size, config, Parameter, seed)


@dataclass
class TrainResult:
    model: GPT[Value]
    tokenizer: Tokenizer
    losses: list[float]  # the cost of each step's name, before that step's update
    wall_time: float


def train(
    names: Sequence[str],
    steps: int = 1000,
    config: Config = Config(),
    lr: float = 0.01,
    seed: int = 42,
    progress: bool = True,
    replay: bool = True,
) -> TrainResult:
    """Adam on one name per step, in a shuffled order; returns the model and its costs.
    `replay=False` builds every step's graph afresh instead of replaying recorded ones."""
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"train: steps must be a positive int, got {steps!r}")
    docs = list(names)
    random.Random(seed).shuffle(docs)
    tokenizer = Tokenizer(docs)
    model = build(tokenizer.vocab_size, config, seed)
    optimizer = optim.Adam(
        model.parameters(), lr=lambda k: lr * (1 - k / steps), betas=(0.85, 0.99), eps=1e-8
    )
    bar = Progress(steps, "microgpt") if progress else None
    losses: list[float] = []
    start = time.perf_counter()
    replayed = ReplayedLoss(model) if replay else None
    for k in range(steps):
        tokens = tokenizer.encode(docs[k % len(docs)])
        optimizer.zero_grad()
        if replayed is not None:
            loss = replayed.loss(tokens)  # forward and backward
        else:
            loss = document_loss(model, tokens)
            loss.backward()
        optimizer.step()
        losses.append(loss.data)
        if bar is not None:
            recent = losses[-50:]
            bar.update(k + 1, f"loss {sum(recent) / len(recent):.3f} (mean of the last 50)")
    return TrainResult(model, tokenizer, losses, time.perf_counter() - start)


def sample(
    model: GPT[Value], tokenizer: Tokenizer, rng: random.Random, temperature: float = 0.5
) -> str:
    """A new name, one character at a time: each drawn from the softmax of logits/temperature
    (below 1: bolder, more typical names) until BOS or the longest context."""
    if not temperature > 0:
        raise ValueError(f"sample: temperature must be > 0, got {temperature!r}")
    with no_grad():  # generating needs values only, no graph
        cache = model.new_cache()
        token, out = tokenizer.bos, []
        for position in range(model.config.block_size):
            logits = model(token, position, cache)
            probabilities = softmax([logit * (1.0 / temperature) for logit in logits])
            token = rng.choices(range(tokenizer.vocab_size), [p.data for p in probabilities])[0]
            if token == tokenizer.bos:
                break
            out.append(token)
    return tokenizer.decode(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=1000, help="training steps (default 1000)")
    parser.add_argument("--samples", type=int, default=20, help="names to generate (default 20)")
    parser.add_argument("--temperature", type=float, default=0.5, help="(default 0.5)")
    parser.add_argument("--tiny", action="store_true", help="a tiny network, for a smoke run")
    parser.add_argument(
        "--eager", action="store_true", help="build every step's graph afresh (no replay)"
    )
    parser.add_argument(
        "--page",
        type=Path,
        default=None,
        help="the trained model's page (default demos/output/microgpt_model.html)",
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.samples < 0 or not args.temperature > 0:
        parser.error("--steps must be >= 1, --samples >= 0 and --temperature > 0")
    config = TINY if args.tiny else Config()
    names = load_names()
    print(
        f"microgpt on micrograd_like: {len(names):,} first names from the `names` package, "
        f"a GPT of {config.n_layer} block{'s' if config.n_layer != 1 else ''}, "
        f"width {config.n_embd}, {config.n_head} heads, "
        + ("every graph built afresh (--eager)" if args.eager else "one graph replayed per length")
    )
    result = train(names, args.steps, config, replay=not args.eager)
    n_params = len(result.model.parameters())
    first, last = result.losses[:50], result.losses[-50:]
    print(
        f"trained {args.steps} steps ({n_params:,} parameters) in {result.wall_time:.1f} s: "
        f"loss {sum(first) / len(first):.3f} over the first 50 steps, "
        f"{sum(last) / len(last):.3f} over the last 50"
    )
    rng = random.Random(7)
    known = set(names)
    print(f"{args.samples} new names (temperature {args.temperature}); * = in the training list")
    for i in range(args.samples):
        name = sample(result.model, result.tokenizer, rng, args.temperature)
        print(f"  {i + 1:2d}: {name}{' *' if name in known else ''}")
    # the trained model at a glance: its matrices, and the chain rule of one step on a name
    example = "emma"
    loss = document_loss(result.model, result.tokenizer.encode(example))
    loss.label = "L"
    page = save_model_html(
        loss,
        args.page or output_dir() / "microgpt_model.html",
        result.model.matrices,
        title=f"microgpt after {args.steps} steps",
        example=f"the name {example!r}: the mean of -log p(next letter) over its letters",
    )
    print(f"the trained model, one step on {example!r}, as a page: {page}")


if __name__ == "__main__":
    main()
