"""What the engine asks before it works: is this thread recording, who is watching, and is a
stepping pass paused over the graph.

- **Recording**: on, except inside `no_grad()`, where an op's result is a leaf (no inputs).
- **Hooks**: `hooks(forward=..., backward=...)` calls a function on every node made in the block,
  and after each node's chain-rule step; `detect_anomaly()` is built on them.
- **Before each pass**: a block may give a function that every backward pass (`backward()`, a
  replay, a stepping pass) calls with its nodes before it starts (`checks.warn_accumulate`).
- **A marking search**: one topological search at a time marks nodes; another keeps a set.
- **Paused passes**: a stepping pass (`stepping.backward_pass`) paused half-way holds part-made
  gradients; another backward pass over one of its nodes tells it to stop (`interrupt_paused`).
- **One pass at a time**: `one_pass`, held by every backward pass and replay.
- **Ctrl-C**: every block is an `interrupts.AtomicBlock`, so a KeyboardInterrupt at any moment
  leaves the modes as they were outside it.

Modes are per thread, as in PyTorch. While no thread is inside a block (`active == 0`, the usual
case), making a node costs the engine one look at `active` and nothing else. This module knows
no `Value`: it sits under the engine, which asks it; the nodes it is handed are only passed on
to the hooks and the functions blocks give.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Container
from typing import Any

from micrograd_like.interrupts import AtomicBlock, InterruptsDeferred

Hook = Callable[[Any], None]


class _Modes(threading.local):
    """This thread's modes, worked out from the blocks it is inside (`blocks`, each the changes
    it asked for) again whenever one is entered or left: blocks may be left in any order
    (interleaved generators, say) and leave the modes as if they had never been entered. A new
    thread starts with the class defaults: recording on, no hooks."""

    recording = True
    forward_hooks: tuple[Hook, ...] = ()
    backward_hooks: tuple[Hook, ...] = ()
    in_hook = False  # a forward hook is running: the nodes it makes are not shown to hooks
    before_pass: Callable[[list[Any]], None] | None = None  # called with a pass's order
    counted = False  # this thread is one of the `active` ones

    def __init__(self) -> None:
        self.blocks: list[dict[str, Any]] = []


_here = _Modes()
active = 0
"""How many threads are inside a `no_grad()` or `hooks()` block."""
_active_lock = threading.Lock()


def _settle(state: dict[str, Any]) -> None:
    """Work a thread's modes out of its blocks, into `state` (that thread's own attributes,
    whichever thread runs this: a generator's block may be left in another thread): recording
    unless a block is no_grad(), every block's hooks in the order the blocks were entered, and a
    quiet block hides the forward hooks of the blocks entered before it, not after."""
    blocks = state["blocks"]
    state["recording"] = all(block.get("recording", True) for block in blocks)
    forward: tuple[Hook, ...] = ()
    for block in blocks:
        forward = () if block.get("quiet") else forward + block.get("forward", ())
    state["forward_hooks"] = forward
    state["backward_hooks"] = sum((block.get("backward", ()) for block in blocks), ())
    # the innermost block that gives one decides (None: a block that silences an outer one's)
    before = [block["before_pass"] for block in blocks if "before_pass" in block]
    state["before_pass"] = before[-1] if before else None


class Block(AtomicBlock):
    """The block of `block(**changes)`: its changes join this thread's blocks while it is
    open."""

    def __init__(self, changes: dict[str, Any]) -> None:
        self.changes = changes
        self._state: dict[str, Any] | None = None  # the entering thread's attributes
        self._entered: dict[str, Any] | None = None  # this entry's changes, found by identity

    def apply(self) -> None:
        global active
        self._state = self._entered = None
        state, entered = _here.__dict__, dict(self.changes)
        self._state, self._entered = state, entered
        blocks: list[dict[str, Any]] = state["blocks"]
        blocks.append(entered)
        if not state.get("counted"):
            with _active_lock:
                active += 1
                state["counted"] = True
        _settle(state)

    def undo(self) -> None:
        global active
        state, entered = self._state, self._entered
        self._state = self._entered = None
        if state is None:
            return
        blocks: list[dict[str, Any]] = state["blocks"]
        blocks[:] = [each for each in blocks if each is not entered]
        _settle(state)
        if not blocks and state.get("counted"):
            with _active_lock:
                active -= 1
                state["counted"] = False


def block(**changes: Any) -> Block:
    """Change this thread's modes until the block is left (recording=False, forward=(hooks),
    backward=(hooks), quiet=True: the nodes made inside are scratch, shown to no earlier hook).
    Entered and left atomically with respect to Ctrl-C (see `AtomicBlock`)."""
    return Block(changes)


def no_grad() -> Block:
    """Compute values without recording the graph (for evaluation and parameter updates).

    Results made inside are leaves: no inputs, nothing for backward() to walk; ops whose local
    derivative does not exist (`Value(0.0) ** 0.5`) still give their value. Per thread, as in
    PyTorch: other threads keep recording, and a new thread starts with recording on. A Ctrl-C
    at any moment, entering or leaving, leaves recording as it was outside the block.
    """
    return Block({"recording": False})


def is_grad_enabled() -> bool:
    """True unless this thread is inside `no_grad()`."""
    return _here.recording


def hooks(*, forward: Hook | None = None, backward: Hook | None = None) -> Block:
    """Call `forward(node)` for every node made in this thread inside the block, and
    `backward(node)` after each node's chain-rule step of every backward pass in it.

    Blocks nest (inner hooks run after outer ones) and are per thread. The nodes a forward hook
    makes itself are shown to no hook, so a hook may compute with its node. `detect_anomaly()`
    is built on this.
    """
    for name, hook in (("forward", forward), ("backward", backward)):
        if hook is not None and not callable(hook):
            raise TypeError(f"hooks: {name} must be a function of a node, got {hook!r}")
    return Block(
        {"forward": (forward,) if forward else (), "backward": (backward,) if backward else ()}
    )


def start_backward(order: list[Any]) -> tuple[Hook, ...]:
    """A backward pass begins over the nodes `order` (a topological order, the root last): a
    stepping pass paused over one of them is overtaken (it stops at its next step), and the
    innermost block's `before_pass` function, if one gave any, is called with `order` (inside
    `checks.warn_accumulate()`: a weight that already holds a grad is reported). Returns the
    backward hooks to call after each node's step (none outside every hooks() block)."""
    if paused:
        interrupt_paused(order)
    if not active:  # no thread is inside any block: the one look a pass takes
        return ()
    here = _here
    if here.before_pass is not None:
        here.before_pass(order)
    return here.backward_hooks


def before_pass(order: list[Any]) -> None:
    """What `start_backward` calls before a pass, for the passes that do not call it (a Tape's
    replay, a stepping pass)."""
    if active and _here.before_pass is not None:
        _here.before_pass(order)


def forward_hooks() -> tuple[Hook, ...]:
    """The forward hooks of this thread's blocks (none outside every block)."""
    return _here.forward_hooks if active else ()


def backward_hooks() -> tuple[Hook, ...]:
    """The backward hooks of this thread's blocks (none outside every block)."""
    return _here.backward_hooks if active else ()


def show(node: object, forward: tuple[Hook, ...]) -> None:
    """Call the forward hooks on a new node; the nodes they make themselves are shown to none."""
    here = _here
    if here.in_hook:
        return
    here.in_hook = True
    try:
        for hook in forward:
            hook(node)
    finally:
        here.in_hook = False


# ---- backward passes

one_pass = threading.RLock()
"""Held by the backward pass (or replay) running now: passes run one at a time, whichever
threads start them, so two passes over shared nodes never add their shares into one gradient
half-way. A pass started in another thread waits for it; one started by a hook of the running
pass, in its thread, goes ahead."""


# ---- stepping passes paused over a graph


class PausedPass:
    """A backward pass that stops between nodes. It remembers each leaf's grad from before the
    pass (`before`) and as the pass last left it (`left`), so that a pass that takes over can
    set the leaves back instead of adding to a half-made sum."""

    __slots__ = ("interrupted", "before", "left")

    def __init__(self) -> None:
        self.interrupted = ""  # why it must stop, once another pass took over
        self.before: dict[Any, float] = {}
        self.left: dict[Any, float] = {}

    def roll_back(self) -> None:
        """Give every leaf the grad it had before this pass, unless someone changed it since."""
        for leaf, grad in self.left.items():
            if leaf.grad == grad:
                leaf.grad = self.before[leaf]


paused: dict[int, PausedPass] = {}
"""id(node) -> the paused pass that holds the node's grad half-way (empty: nothing to check)."""


def hold(order: list[Any], paused_pass: PausedPass) -> None:
    """Register a pass's nodes as held by it."""
    for node in order:
        paused[id(node)] = paused_pass


def release(order: list[Any], paused_pass: PausedPass) -> None:
    """The pass is over: its nodes are free."""
    for node in order:
        if paused.get(id(node)) is paused_pass:
            del paused[id(node)]


def interrupt_paused(order: list[Any], current: PausedPass | None = None) -> None:
    """Another pass (`current`, or a `backward()` or a replay) runs over `order`: every paused
    pass holding one of its nodes sets its leaves back and will stop at its next step."""
    for node in order:
        other = paused.get(id(node))
        if other is not None and other is not current and not other.interrupted:
            other.roll_back()
            other.interrupted = (
                f"backward_steps: another backward pass ran over {node!r} while this one was "
                "paused; its partial grads are gone and the leaves it had added to were set "
                "back; start a new backward_steps()"
            )


# ---- the topological search that marks nodes

marking = threading.Lock()
"""Held by the one topological search that marks nodes at a time (`Value.topological_order`).
It is taken without waiting, so nothing can deadlock on it: a search that finds it held
(another thread, or a signal handler or tracer in the middle of a search) keeps a set instead,
and gives the same order."""


class MarkingSearch(InterruptsDeferred):
    """`with MarkingSearch() as mine:` the region of one topological search. `mine`: the
    search may mark nodes (`marking` was free and is now its own, until the block ends); else
    it keeps a set. A Ctrl-C waits for the block's end, so none can come between taking the
    lock and the try that gives it back (a lock left held would send every later search to
    the set)."""

    __slots__ = ("lock",)

    def __enter__(self) -> bool:  # type: ignore[override]
        super().__enter__()
        lock = marking
        self.lock = lock if lock.acquire(blocking=False) else None
        return self.lock is not None

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self.lock is not None:
                self.lock.release()
        finally:
            super().__exit__(*exc_info)


def _new_marking_lock() -> None:
    """A forked child starts with a free lock, whatever search its parent's threads were in."""
    global marking
    marking = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_new_marking_lock)


def order_with_a_set(root: Any, skip: Container[int] = ()) -> list[Any]:
    """`root.topological_order()` with the visited nodes in a set of its own, for a search that
    starts while another one is marking nodes. Nodes whose id is in `skip` (a deepcopy's memo:
    the nodes it has copied already) are left out, with what only they lead to."""
    order: list[Any] = []
    visited: set[Any] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # a marker: the node below it has every input in order
            order.append(stack.pop())
            continue
        if node in visited or id(node) in skip:
            continue
        visited.add(node)
        if node.input1 is None:
            order.append(node)
            continue
        stack += (node, None)
        for each in (node.input1, node.input2):
            if each is not None and each not in visited:
                stack.append(each)
    return order
