"""no_grad() and hooks() are per thread, tested with real threads; one backward pass at a time
per graph."""

from __future__ import annotations

import threading

import pytest

from micrograd_like import Value, backward_steps, no_grad
from micrograd_like.modes import hooks, is_grad_enabled
from micrograd_like.stepping import BackwardConflict, backward_pass
from micrograd_like.tape import Tape
from tests.threads import run_together


def square_grad_at(x: float) -> float:
    """d(x*x)/dx = 2x, computed by the engine."""
    leaf = Value(x)
    (leaf * leaf).backward()
    return leaf.grad


def test_a_thread_in_no_grad_leaves_other_threads_recording() -> None:
    inside, done = threading.Event(), threading.Event()

    def sit_in_no_grad() -> None:
        with no_grad():
            inside.set()
            done.wait(10)

    sitter = threading.Thread(target=sit_in_no_grad)
    sitter.start()
    try:
        assert inside.wait(10)
        assert is_grad_enabled()  # this thread never entered no_grad()
        grads = [square_grad_at(3.0) for _ in range(200)]
        assert grads == [6.0] * 200
    finally:
        done.set()
        sitter.join(10)


def test_no_grad_blocks_exiting_out_of_order_across_threads_leave_recording_on() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:  # enters first, leaves first
        with no_grad():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:  # enters second, leaves last
        first_in.wait(10)
        with no_grad():
            second_in.set()
            first_out.wait(10)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert is_grad_enabled()
    assert square_grad_at(3.0) == 6.0

    seen: list[bool] = []
    fresh = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
    fresh.start()
    fresh.join(10)
    assert seen == [True]  # a new thread starts recording


def test_hooks_are_per_thread_and_removed_when_blocks_cross() -> None:
    made_here: list[Value] = []
    entered, release = threading.Event(), threading.Event()

    def hook_elsewhere() -> None:
        with hooks(forward=lambda node: pytest.fail("a hook of another thread ran here")):
            entered.set()
            release.wait(10)

    other = threading.Thread(target=hook_elsewhere)
    other.start()
    assert entered.wait(10)
    with hooks(forward=made_here.append):
        out = Value(2.0) * 3.0
        release.set()  # the other thread's block ends while this one is open
        other.join(10)
        out2 = out + 1.0
    after = out2 * 2.0  # outside every block: no hook
    assert made_here == [out, out2]
    assert after.op == "*"


def test_no_grad_inside_computes_values_whose_derivative_does_not_exist() -> None:
    with no_grad():
        assert (Value(0.0) ** 0.5).data == 0.0
        assert Value(0.0).sqrt().data == 0.0
        assert (Value(-8.0) ** Value(2.0)).data == 64.0  # ∂/∂exponent needs log(-8)
    with pytest.raises(ZeroDivisionError, match=r"0.0 \*\* 0.5"):
        Value(0.0) ** 0.5  # outside, the derivative is needed
    with pytest.raises(ValueError, match="exponent"):
        Value(-8.0) ** Value(2.0)


def test_a_paused_stepping_pass_stops_when_another_pass_runs_on_its_graph() -> None:
    x = Value(3.0, "x")
    y = x * x + x
    first = backward_steps(y)
    next(first)
    y.backward()  # another pass over the same graph while the first is paused
    with pytest.raises(BackwardConflict, match="another backward pass"):
        list(first)
    assert x.grad == 7.0  # 2x + 1 from the pass that ran: the paused one's share was set back


def test_two_stepping_passes_in_turn_cannot_mix_their_grads() -> None:
    x = Value(3.0, "x")
    y = x * x
    one, two = backward_pass(y), backward_pass(y)
    next(one)
    next(two)  # the second pass starts over the first's nodes
    with pytest.raises(BackwardConflict):
        next(one)
    assert list(two)[-1] is x  # the second one runs to the end
    assert x.grad == 6.0  # 2x, once


def test_passes_over_unrelated_graphs_do_not_conflict() -> None:
    a, b = Value(2.0), Value(5.0)
    stepping = backward_pass(a * a)
    next(stepping)
    (b * b).backward()
    list(stepping)
    assert (a.grad, b.grad) == (4.0, 10.0)


def test_a_stepping_pass_that_applied_every_step_is_not_taken_back() -> None:
    w, x = Value(3.0), Value(2.0)
    first = w * x
    steps = backward_pass(first)
    for _ in range(len(first.topological_order())):
        next(steps)  # every step applied, the generator not yet exhausted
    (w * 5.0).backward()
    assert w.grad == 7.0  # 2 from the finished pass + 5: leaf grads accumulate


def test_a_replay_stops_a_stepping_pass_paused_over_its_graph() -> None:
    w, x = Value(3.0), Value(2.0)
    cost = (w * x) * (w + x)
    tape = Tape(cost)
    steps = backward_pass(cost)
    next(steps)
    w.data = 10.0
    tape.forward()
    with pytest.raises(BackwardConflict):
        list(steps)


def test_collector_paused_restores_the_collector_as_it_found_it() -> None:
    import gc

    from micrograd_like import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: the inner block leaves it paused for the outer
            assert not gc.isenabled()
        assert not gc.isenabled()
        x = Value(3.0)
        (x * x).backward()
        assert x.grad == 6.0
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_collector_paused_switches_it_back_on_after_an_error() -> None:
    import gc

    from micrograd_like import collector_paused

    with pytest.raises(ZeroDivisionError), collector_paused():
        Value(1.0) / Value(0.0)
    assert gc.isenabled()


def test_blocks_left_out_of_order_in_one_thread_leave_the_modes_as_before() -> None:
    """Two generators each inside a no_grad() (or hooks()) block, closed in the order they
    were opened, not the reverse: afterwards the thread records again and has no hooks."""
    from collections.abc import Generator

    def inside_no_grad() -> Generator[None, None, None]:
        with no_grad():
            yield

    def inside_hooks(seen: list[Value]) -> Generator[None, None, None]:
        with hooks(forward=seen.append):
            yield

    first, second = inside_no_grad(), inside_no_grad()
    next(first)
    next(second)
    first.close()  # the outer block leaves first
    assert not is_grad_enabled()  # the second block is still open
    second.close()
    assert is_grad_enabled()
    assert square_grad_at(3.0) == 6.0

    seen_first: list[Value] = []
    seen_second: list[Value] = []
    first, second = inside_hooks(seen_first), inside_hooks(seen_second)
    next(first)
    next(second)
    first.close()
    Value(1.0) + 1.0  # only the second block's hook is still installed
    second.close()
    Value(2.0) + 1.0  # none
    assert len(seen_first) == 0 and len(seen_second) == 1


def test_no_grad_left_inside_a_hooks_block_keeps_the_hook() -> None:
    from collections.abc import Generator

    seen: list[Value] = []

    def inside_no_grad() -> Generator[None, None, None]:
        with no_grad():
            yield

    outer = inside_no_grad()
    next(outer)
    with hooks(forward=seen.append):
        outer.close()  # no_grad() left while the hooks block is open
        assert is_grad_enabled()
        out = Value(1.0) * 2.0
    assert seen == [out] and out.op == "*"


def test_collector_paused_in_two_threads_stays_paused_until_both_leave() -> None:
    import gc

    from micrograd_like import collector_paused

    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:  # enters first, leaves first
        with collector_paused():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with collector_paused():
            second_in.set()
            first_out.wait(10)
            seen.append(gc.isenabled())  # the first thread has left: still paused

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False]
    assert gc.isenabled()


def test_a_no_grad_block_closed_from_another_thread_leaves_its_thread_recording() -> None:
    """A generator's no_grad() block entered in a worker thread and closed from this one: the
    worker records again, whatever other threads are doing."""
    from collections.abc import Generator

    def batches() -> Generator[int, None, None]:
        with no_grad():
            yield 1
            yield 2

    batch = batches()
    entered, closed, other_in, done = (threading.Event() for _ in range(4))
    ops: list[str] = []

    def worker() -> None:
        next(batch)  # the block is entered in this thread
        entered.set()
        closed.wait(10)
        ops.append((Value(2.0) * Value(3.0)).op)
        other_in.wait(10)  # another thread is inside an unrelated hooks() block now
        ops.append((Value(2.0) * Value(3.0)).op)
        done.set()

    def other() -> None:
        with hooks(forward=lambda node: None):
            other_in.set()
            done.wait(10)

    threads = [threading.Thread(target=worker)]
    threads[0].start()
    assert entered.wait(10)
    batch.close()  # left from this thread
    closed.set()
    threads.append(threading.Thread(target=other))
    threads[1].start()
    for thread in threads:
        thread.join(10)
    assert ops == ["*", "*"]
    assert is_grad_enabled()


def test_nodes_a_forward_hook_makes_are_shown_to_no_hook_eager_or_replayed() -> None:
    """A hook that opens a hooks() block of its own and makes a node in it: that node is shown
    to no hook, in an eager forward and in a replay alike (so no hook can call itself)."""
    inner_seen: list[Value] = []
    outer_seen: list[Value] = []

    def outer(node: Value) -> None:
        outer_seen.append(node)
        with hooks(forward=inner_seen.append):
            Value(1.0) * 2.0

    x = Value(0.5)
    with hooks(forward=outer):
        root = x * 3.0
    tape = Tape(root)
    with hooks(forward=outer):
        tape.replay()
    assert outer_seen == [root, root] and inner_seen == []


def test_a_forward_hook_may_compute_with_the_node_it_is_shown() -> None:
    """The nodes a hook makes are not shown to the hooks again (no endless recursion)."""
    seen: list[float] = []

    def hook(node: Value) -> None:
        with no_grad():
            seen.append((node * 10.0).data)

    with hooks(forward=hook):
        y = Value(2.0) * 3.0
        z = y + 1.0
    assert seen == [60.0, 70.0]
    assert z.op == "+" and is_grad_enabled()


def test_backward_passes_from_several_threads_on_one_graph_add_up_exactly() -> None:
    """Passes run one at a time (modes.one_pass): four threads each backpropagating one graph
    five times leave its leaves exactly twenty passes' gradients, as one thread would."""

    x, w = Value(0.5, "x"), Value(-1.5, "w")
    y = x
    for _ in range(300):
        y = (y * w + x).tanh()
    for _ in range(20):
        y.backward()
    expected = [x.grad, w.grad]  # twenty passes in one thread, their shares added in order
    x.grad = w.grad = 0.0

    def five_passes() -> None:
        for _ in range(5):
            y.backward()

    run_together(*[five_passes] * 4)
    assert [x.grad, w.grad] == expected


def lock_is_free_elsewhere() -> bool:
    """Whether another thread could take modes.one_pass now (and at once gives it back)."""
    from micrograd_like import modes

    free: list[bool] = []

    def try_it() -> None:
        took = modes.one_pass.acquire(blocking=False)
        free.append(took)
        if took:
            modes.one_pass.release()

    other = threading.Thread(target=try_it)
    other.start()
    other.join(10)
    return free == [True]


def test_a_paused_stepping_pass_holds_no_lock_and_each_step_holds_it() -> None:
    x = Value(3.0, "x")
    y = x * x + x
    held_in_steps: list[bool] = []
    with hooks(backward=lambda node: held_in_steps.append(not lock_is_free_elsewhere())):
        steps = backward_pass(y)
        next(steps)
        assert lock_is_free_elsewhere()  # paused: other threads' passes go ahead
        list(steps)
    assert held_in_steps == [True] * len(y.topological_order())
    assert x.grad == 7.0


def test_put_back_runs_alone_and_leaves_every_grad_and_a_paused_pass_as_they_were() -> None:
    from micrograd_like.stepping import put_back

    x = Value(3.0, "x")
    y = x * x + x
    paused = backward_pass(y)
    next(paused)  # x holds 1, the root's share
    order = y.topological_order()
    before = [node.grad for node in order]
    with pytest.raises(RuntimeError, match="half-way"), put_back(order):
        assert not lock_is_free_elsewhere()
        x.grad = 0.0
        assert list(backward_pass(y))[-1] is x  # a whole pass inside, from 0
        assert x.grad == 7.0
        raise RuntimeError("failed half-way")
    assert [node.grad for node in order] == before
    list(paused)  # not taken over: it goes on from where it was
    assert x.grad == 7.0
