"""The backward pass one node at a time: `backward()`'s loop, paused after each node.

`steps.backward_steps` turns each pause into a record of the chain rule with names and numbers;
this module only runs the pass and keeps it honest. A paused pass holds part-made gradients, so
another backward pass over one of its nodes (a `backward()`, a replay, another stepping pass)
takes over: the leaves this one had added to are set back, and it raises `BackwardConflict` at
its next step instead of mixing two passes' gradients.
"""

from __future__ import annotations

from collections.abc import Iterator

from micrograd_like import floats, modes
from micrograd_like.engine import Value


class BackwardConflict(RuntimeError):
    """Another backward pass ran on a graph while a stepping pass over it was paused."""


def backward_pass(root: Value) -> Iterator[Value]:
    """Run `root.backward()` as a generator that yields each node after its chain-rule step.

    Resets every non-leaf grad to 0 and sets root.grad to 1, then, for each node in
    `reversed(root.topological_order())` (the root first), applies `node._backward()` and yields
    the node: by then the node's own grad is final. Drained, it leaves every grad exactly as
    `root.backward()` does. Hooks installed with `hooks(backward=...)` run after each node.
    """
    order = root.topological_order()
    state = modes.PausedPass()
    if modes.paused:
        modes.interrupt_paused(order, state)
    try:
        modes.hold(order, state)
        for node in order:
            if node.input1 is None:
                state.before[node] = node.grad
            else:
                node.grad = 0.0
        root.grad = 1.0
        watching = modes.backward_hooks()
        for node in reversed(order):
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
            yield node
            if state.interrupted:  # checked on resuming, before the next node's step
                raise BackwardConflict(state.interrupted)
    finally:
        modes.release(order, state)
