"""The topological order against a recursive depth-first search written here, and its marks
(a stamp per sort on each node, instead of a set of the visited) under sorts that overlap: a
sort started inside another one in the same thread, and sorts in several threads at once."""

from __future__ import annotations

import os
import random
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_like import Value
from tests.threads import run_together


def post_order(root: Value) -> list[Value]:
    """The oracle: recursive depth-first post-order, the last input searched first (the
    iterative search pushes input1, then input2, so it pops input2 first)."""
    order: list[Value] = []
    seen: set[Value] = set()

    def visit(node: Value) -> None:
        seen.add(node)
        for each in reversed(node.inputs):
            if each not in seen:
                visit(each)
        order.append(node)

    visit(root)
    return order


def random_graph(seed: int, size: int) -> list[Value]:
    """Nodes made from earlier ones at random: shared inputs, `a * a`, constants, one-input ops;
    the last ones reach most of the others."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(rng.randint(1, 4))]
    for _ in range(size):
        a, b = rng.choice(nodes[-5:]), rng.choice(nodes)  # a recent one: a deep graph
        kind = rng.randrange(6)
        if kind == 0:  # every value stays within [-1, 1]
            nodes.append((a + b).tanh())
        elif kind == 1:
            nodes.append(a * b)
        elif kind == 2:
            nodes.append(a * a)
        elif kind == 3:
            nodes.append(a.tanh())
        elif kind == 4:
            nodes.append((0.5 * a - b).tanh())
        else:
            nodes.append(-a)
    return nodes


Tracer = Callable[[FrameType, str, Any], Any]


@contextmanager
def tracing(tracer: Tracer) -> Iterator[None]:
    """This thread traced by `tracer` for the block, then by whatever traced it before (a
    debugger, coverage)."""
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous)


def at_line(count: int, act: Callable[[], object]) -> Tracer:
    """A tracer that calls `act` when topological sorts have run `count` lines in all: half-way
    through a sort, for a large enough graph."""
    lines = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        if frame.f_code.co_name != "topological_order":
            return None
        if event == "line":
            lines += 1
            if lines == count:
                act()
        return tracer

    return tracer


def searches_with_a_set(sort: Callable[[], object]) -> bool:
    """Whether `sort` fell back to the search with a set of its own, seen by the name of the
    function it called (the only thing that tells the two searches apart: they give the same
    order)."""
    called: list[str] = []

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call":
            called.append(frame.f_code.co_name)

    with tracing(tracer):
        sort()
    return "order_with_a_set" in called


def is_topological(order: list[Value]) -> bool:
    where = {node: i for i, node in enumerate(order)}
    return len(where) == len(order) and all(
        where[each] < where[node] for node in order for each in node.inputs
    )


@settings(max_examples=200)
@given(st.integers(0, 2**32 - 1), st.integers(0, 40), st.data())
def test_the_order_is_the_recursive_post_order(seed: int, size: int, data: st.DataObject) -> None:
    nodes = random_graph(seed, size)
    root = data.draw(st.sampled_from(nodes))
    order = root.topological_order()
    assert order == post_order(root)
    assert is_topological(order)
    assert root.topological_order() == order  # the marks of the last sort do not get in the way


def test_a_sort_started_inside_another_in_the_same_thread_gives_both_orders() -> None:
    # a tracer that sorts part of the same graph while the outer sort is half-way, as a signal
    # handler or a debugger's display could: the inner one must not trample the outer's marks
    nodes = random_graph(7, 300)
    outer, inner = nodes[-1], nodes[-2]  # most nodes are in both
    inner_orders: list[list[Value]] = []
    with tracing(at_line(1_000, lambda: inner_orders.append(inner.topological_order()))):
        outer_order = outer.topological_order()
    assert inner_orders == [post_order(inner)]
    assert outer_order == post_order(outer)
    assert not searches_with_a_set(outer.topological_order)  # and the next sort marks again


def test_a_sort_interrupted_half_way_leaves_the_next_one_marking() -> None:
    root = random_graph(3, 200)[-1]

    def ctrl_c() -> None:
        raise KeyboardInterrupt

    with tracing(at_line(500, ctrl_c)), pytest.raises(KeyboardInterrupt):
        root.topological_order()
    assert not searches_with_a_set(root.topological_order)
    assert root.topological_order() == post_order(root)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="this system does not fork")
def test_a_child_forked_while_a_thread_sorts_marks_its_own_sorts() -> None:
    root = random_graph(5, 200)[-1]
    expected = post_order(root)
    inside, carry_on = threading.Event(), threading.Event()

    def hold() -> None:  # inside the search's loop: the sort holds its marks
        inside.set()
        carry_on.wait(30)

    def sort_slowly() -> None:
        sys.settrace(at_line(20, hold))  # this thread's tracer only
        root.topological_order()

    thread = threading.Thread(target=sort_slowly)
    thread.start()
    try:
        assert inside.wait(30)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: its sorts must mark (and be right), not fall back for good
            answer = b"0"
            try:
                if not searches_with_a_set(root.topological_order):
                    answer = b"1" if root.topological_order() == expected else b"2"
            finally:
                os.write(write, answer)
                os._exit(0)
        os.close(write)
        answer = os.read(read, 1)
        os.close(read)
        os.waitpid(pid, 0)
    finally:
        carry_on.set()
        thread.join()
    assert answer == b"1"


def test_threads_sorting_graphs_that_share_nodes_each_get_their_own_order() -> None:
    # shared weights and a shared subgraph, sorted by 4 threads at once with a thread switch
    # every microsecond: every order must be the one a lone sort gives
    nodes = random_graph(11, 2_000)
    roots = [nodes[-1], nodes[-2], nodes[1_500], nodes[1_000]]
    expected = [post_order(root) for root in roots]
    failures: list[str] = []
    start = threading.Barrier(len(roots))

    def sort_many(which: int) -> None:
        start.wait()
        for _ in range(30):
            if roots[which].topological_order() != expected[which]:
                failures.append(f"thread {which} got a wrong order")
                return

    run_together(*[lambda i=i: sort_many(i) for i in range(len(roots))])
    assert failures == []
