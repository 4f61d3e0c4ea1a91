"""One graph, several threads: replays, backward() and stepping passes run one at a time
(`modes.one_pass`), so the grads they leave are exactly those of the same passes run one after
another in one thread. The oracle is that one thread; the threads switch as often as the
interpreter can, so that without the lock the passes would interleave."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from micrograd_like import Tape, Value
from micrograd_like.modes import hooks
from micrograd_like.stepping import BackwardConflict, backward_pass
from tests.threads import run_together

ROUNDS = 4  # each round is a fresh chance for passes to interleave


def times(count: int, job: Callable[[], None]) -> Callable[[], None]:
    """`job`, `count` times in a row."""

    def run() -> None:
        for _ in range(count):
            job()

    return run


def busy(node: Value) -> None:
    """A backward hook that takes a while: a step of a stepping pass, made longer."""
    sum(range(50))


def deep_graph() -> tuple[Value, Value, Value]:
    """A chain long enough that a pass takes many thread switches; x and w used at every link."""
    x, w = Value(0.5, "x"), Value(-1.5, "w")
    y = x
    for _ in range(200):
        y = (y * w + x).tanh() * 1.5
    return y, x, w


def test_one_tape_replayed_from_four_threads_leaves_the_grads_of_as_many_replays() -> None:
    y, x, w = deep_graph()
    tape = Tape(y)
    for _ in range(100):
        tape.replay()
    expected = [x.grad, w.grad]  # a hundred replays in one thread, their shares added in order
    for _ in range(ROUNDS):
        x.grad = w.grad = 0.0
        run_together(*[times(25, tape.replay) for _ in range(4)])
        assert [x.grad, w.grad] == expected


def test_replays_backward_passes_and_forwards_from_threads_add_up_exactly() -> None:
    """A replay and backward() give the same grads, bit for bit, and forward() alone changes no
    leaf grad: whichever runs when, the leaves end with exactly eighty passes' gradients."""
    y, x, w = deep_graph()
    tape = Tape(y)
    for _ in range(80):
        y.backward()
    expected = [x.grad, w.grad]
    for _ in range(ROUNDS):
        x.grad = w.grad = 0.0
        run_together(
            times(40, tape.replay),
            times(40, y.backward),
            times(40, tape.forward),
            times(10, tape.check),
        )
        assert [x.grad, w.grad] == expected


def test_stepping_passes_and_backward_from_threads_are_whole_or_set_back() -> None:
    """A stepping pass either runs to its end (its whole gradient added) or is taken over by a
    backward() and set back (nothing of it left): each step runs alone, its backward hooks
    included, so a backward() never lands in the middle of one. The leaves then hold exactly
    one gradient per whole pass."""
    y, x, w = deep_graph()
    finished: list[int] = []

    def step_through() -> None:
        with hooks(backward=busy):  # a step that takes a while
            for _ in range(60):
                try:
                    for _ in backward_pass(y):
                        pass
                except BackwardConflict:
                    continue
                finished.append(1)

    for _ in range(ROUNDS):
        finished.clear()
        x.grad = w.grad = 0.0
        run_together(step_through, times(40, y.backward))
        got = [x.grad, w.grad]
        x.grad = w.grad = 0.0
        for _ in range(40 + len(finished)):  # the same passes, one after another
            y.backward()
        assert got == [x.grad, w.grad]


def test_a_page_built_while_other_threads_backpropagate_shows_and_leaves_exact_grads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page's own pass runs alone and is put back (`stepping.put_back`): its steps are those
    of a page built in quiet, and the other thread's passes add up as if it had never run."""
    from micrograd_like import page
    from micrograd_like.page import backprop_data

    monkeypatch.setattr(page, "render_bytes", lambda *_: b"<svg></svg>")  # the pass, not dot

    x, w = Value(0.5, "x"), Value(-1.5, "w")
    y = x
    for _ in range(10):
        y = (y * w + x).tanh()
    quiet = backprop_data(y)["steps"]
    pages: list[object] = []
    passes: list[int] = []
    done = threading.Event()

    def build_pages() -> None:
        try:
            for _ in range(10):
                pages.append(backprop_data(y)["steps"])
        finally:
            done.set()

    def backpropagate() -> None:
        while not done.is_set():  # for as long as the pages are being built
            y.backward()
            passes.append(1)

    run_together(build_pages, backpropagate)
    assert pages == [quiet] * 10
    got = [x.grad, w.grad]
    x.grad = w.grad = 0.0
    for _ in passes:
        y.backward()
    assert got == [x.grad, w.grad]
