"""The backward pass one node at a time: `backward()`'s loop, paused after each node.

`steps.backward_steps` turns each pause into a record of the chain rule with names and numbers;
this module only runs the pass and keeps it honest. A paused pass holds part-made gradients, so
another backward pass over one of its nodes (a `backward()`, a replay, another stepping pass)
takes over: the leaves this one had added to are set back, and it raises `BackwardConflict` at
its next step instead of mixing two passes' gradients.

Each step, and the pass's start, runs alone (`modes.one_pass`, as `backward()` and a replay
do): passes of other threads wait for it, never for a pass that is paused.

A reader that runs a pass only to look at it (the page) does so inside `put_back(nodes)`:
every grad is put back on leaving, so the pass is invisible, and a paused pass over the same
nodes is neither stopped nor changed by it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from micrograd_like import floats, modes
from micrograd_like.engine import Value
from micrograd_like.interrupts import AtomicBlock


class BackwardConflict(RuntimeError):
    """Another backward pass ran on a graph while a stepping pass over it was paused."""


class _PutBack(threading.local):
    blocks = 0  # how many put_back() blocks this thread is inside


_put_back = _PutBack()


class PutBack(AtomicBlock):
    """The block of `put_back(nodes)`."""

    def __init__(self, nodes: Sequence[Value]) -> None:
        self.nodes = nodes
        self._saved: list[float] | None = None  # the grads to put back, once the block is in

    def apply(self) -> None:
        modes.one_pass.acquire()
        self._saved = [node.grad for node in self.nodes]
        _put_back.blocks += 1

    def undo(self) -> None:
        saved, self._saved = self._saved, None
        try:
            if saved is not None:
                _put_back.blocks -= 1
                for node, grad in zip(self.nodes, saved, strict=True):
                    node.grad = grad
        finally:
            modes.one_pass.release()


def put_back(nodes: Sequence[Value]) -> PutBack:
    """Run backward passes over `nodes` and leave no trace: every node's grad is put back
    exactly on leaving, even after an error or a Ctrl-C (an `AtomicBlock`: the grads are saved
    and put back whole), and the block runs alone (it holds `modes.one_pass`, so no pass of
    another thread sees or adds to its grads meanwhile).

    A stepping pass started in the block (in this thread) over some of these nodes neither
    stops a pass paused over them nor is registered as one: what it changes is put back, so
    the paused pass finds its part-made grads as it left them and goes on. Run every pass
    of the block over `nodes` alone; a pass that reaches other nodes changes them for good.
    """
    return PutBack(nodes)


def backward_pass(root: Value) -> Iterator[Value]:
    """Run `root.backward()` as a generator that yields each node after its chain-rule step.

    Resets every non-leaf grad to 0 and sets root.grad to 1, then, for each node in
    `reversed(root.topological_order())` (the root first), applies `node._backward()` and yields
    the node: by then the node's own grad is final. Drained, it leaves every grad exactly as
    `root.backward()` does. Hooks installed with `hooks(backward=...)` run after each node.
    Each step holds `modes.one_pass`; a paused pass holds nothing.
    """
    order = root.topological_order()
    state = modes.PausedPass()
    aside = _put_back.blocks > 0  # inside put_back(): invisible, so it stops and holds nothing
    try:
        with modes.one_pass:
            if modes.paused and not aside:
                modes.interrupt_paused(order, state)
            if not aside:
                modes.hold(order, state)
            for node in order:
                if node.input1 is None:
                    state.before[node] = node.grad
                else:
                    node.grad = 0.0
            root.grad = 1.0
            watching = modes.backward_hooks()
            if not aside:  # a reader's pass, put back, adds to nothing for good
                modes.before_pass(order)
        for node in reversed(order):
            with modes.one_pass:
                if state.interrupted:  # another pass took over while this one was paused
                    raise BackwardConflict(state.interrupted)
                if node.grad != node.grad:
                    raise floats.nan_gradient(node, order)
                Value._backward(node)  # the class's step, as backward() takes it
                for hook in watching:
                    hook(node)
                for each in node.inputs:
                    if each in state.before:  # a leaf: remember what this pass left in it
                        state.left[each] = each.grad
                if node is order[0]:
                    modes.release(order, state)  # every step applied: nothing left to take over
            yield node  # paused: holding no lock
    finally:
        modes.release(order, state)
