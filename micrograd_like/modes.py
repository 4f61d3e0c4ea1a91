"""What the engine asks before it works: is this thread recording, who is watching, and is a
stepping pass paused over the graph.

- **Recording**: on, except inside `no_grad()`, where an op's result is a leaf (no inputs).
- **Hooks**: `hooks(forward=..., backward=...)` calls a function on every node made in the block,
  and after each node's chain-rule step; `detect_anomaly()` is built on them.
- **A marking search**: one topological search at a time marks nodes; another keeps a set.
- **Paused passes**: a stepping pass (`stepping.backward_pass`) paused half-way holds part-made
  gradients; another backward pass over one of its nodes tells it to stop (`interrupt_paused`).
- **Ctrl-C**: every block is entered and left so that a KeyboardInterrupt at any moment leaves
  the modes as they were outside it (`AtomicBlock`, which `detect_anomaly()` and
  `collector_paused()` are built on too); in `interrupts_deferred()` a Ctrl-C waits for the end
  of a change that must be made whole (an optimizer's step, a load, a file's clean-up).

Modes are per thread, as in PyTorch. While no thread is inside a block (`active == 0`, the usual
case), making a node costs the engine one look at `active` and nothing else. This module knows
no `Value`: it sits under the engine, which asks it; the nodes it is handed are only passed on
to the hooks.
"""

from __future__ import annotations

import copy
import functools
import os
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from types import FrameType
from typing import Any, TypeVar, cast

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


# ---- Ctrl-C: blocks that an interrupt cannot cut in half
#
# Python runs a signal handler between bytecodes: where a function starts, after a backward jump,
# after a call into C returns (3.10: after any jump taken, too). A Ctrl-C there raises
# KeyboardInterrupt in the middle of whatever was running, a with-block's __enter__ and
# __exit__ included, so `blocks.append(...); try:` can be cut between the change and the try,
# and an __exit__ before it has changed anything back. Here a change of state is made inside a
# region in which a Ctrl-C waits and is raised when the region ends (`interrupts_deferred`), as
# Trio protects its own code ("Control-C handling in Python and Trio", N. J. Smith, 2017):
# while the main thread is inside such a region or an `AtomicBlock`, the SIGINT handler is
# `_on_ctrl_c` instead of Python's default.


class _Deferral(threading.local):
    """This thread's regions in which a Ctrl-C waits: how many are open, and whether one came
    meanwhile (only the main thread gets them). No __init__: reading these attributes in a new
    thread runs no Python code, so no signal handler can run between reading and writing them."""

    depth = 0
    pending = False


_deferral = _Deferral()
_held = 0
"""How many `AtomicBlock`s entered in the main thread are open: `_on_ctrl_c` stays installed
while any is, so that a Ctrl-C just as one is left waits for its `__exit__`."""


def _on_ctrl_c(signum: int, frame: FrameType | None) -> None:
    """Python's default SIGINT handler (raise KeyboardInterrupt), except inside a region of
    `interrupts_deferred()` or at the first instruction of the `__exit__` of an open
    `AtomicBlock` (before it opens its region): there the Ctrl-C waits for the region's end."""
    if _deferral.depth or _leaving(frame):
        _deferral.pending = True
        return
    signal.default_int_handler(signum, frame)


def _leaving(frame: FrameType | None) -> bool:
    """`frame` runs the `__exit__` of an `AtomicBlock` not yet left."""
    if frame is None or frame.f_code is not _EXIT_CODE:
        return False
    block = frame.f_locals.get("self")
    return isinstance(block, AtomicBlock) and block._open


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


# The C functions under the `signal` module's own, which convert handlers to enums at some
# microseconds a call: every block installs a handler and takes it away.
_c_signal: Any = getattr(signal, "_signal", signal)
_getsignal: Callable[[int], object] = _c_signal.getsignal
_setsignal: Callable[[int, Callable[[int, FrameType | None], None]], object] = _c_signal.signal


def _install() -> None:
    """Put `_on_ctrl_c` in place of Python's default SIGINT handler (main thread only: signal
    handlers run there). A handler of your own is left alone: then a Ctrl-C is not deferred."""
    if _getsignal(signal.SIGINT) is signal.default_int_handler and _in_main_thread():
        with suppress(ValueError):  # the main thread of a sub-interpreter: no handlers
            _setsignal(signal.SIGINT, _on_ctrl_c)


def _uninstall() -> None:
    """Give SIGINT Python's default handler back, if `_on_ctrl_c` is still the handler."""
    if _getsignal(signal.SIGINT) is _on_ctrl_c and _in_main_thread():
        _setsignal(signal.SIGINT, signal.default_int_handler)


class InterruptsDeferred:
    """The region of `interrupts_deferred()`."""

    __slots__ = ()

    def __enter__(self) -> None:
        deferral = _deferral
        deferral.depth += 1
        try:
            _install()  # until it is in place, a Ctrl-C is raised: the region is not entered
        except BaseException:
            deferral.depth -= 1
            raise

    def __exit__(self, *exc_info: object) -> None:
        deferral = _deferral
        try:
            if deferral.depth == 1 and not _held:
                _uninstall()  # the last call: a Ctrl-C after it is raised below, or by it
        finally:
            deferral.depth -= 1
            if deferral.pending and not deferral.depth:
                deferral.pending = False
                raise KeyboardInterrupt


_REGION = InterruptsDeferred()


def interrupts_deferred() -> InterruptsDeferred:
    """A with-block in which a Ctrl-C waits: KeyboardInterrupt is raised when the block ends
    (after it, if it raised something else), so that the changes made in it are all made or,
    for a block that takes its changes back on an error, none.

    For short changes of state (an optimizer's step, the weights of a load, a file's creation
    and removal): a Ctrl-C waits as long as the block runs. Regions nest; the outermost one
    raises. Only Ctrl-C in the main thread, with Python's own SIGINT handler in place, is
    deferred (a handler of your own is left alone; other signals' handlers, `sys.settrace`
    functions and other threads' `PyThreadState_SetAsyncExc` can still raise anywhere)."""
    return _REGION


F = TypeVar("F", bound=Callable[..., Any])


class AtomicBlock:
    """A with-block that changes process or thread state, such that a Ctrl-C at any moment
    leaves the state as it was, or changed and sure to be changed back.

    A subclass says what the change is: `apply()` makes it and `undo()` takes it back, both
    run with Ctrl-C deferred (`interrupts_deferred`). A Ctrl-C while entering takes the change
    back and raises KeyboardInterrupt from the `with` line: the block was not entered. A Ctrl-C
    while leaving, or as the block is left (before `__exit__` runs a line), waits until the
    change is taken back. `undo()` is called once after every `apply()`, also one that raised
    part-way (it takes back what was done), and may run in another thread than `apply()` (a
    generator's block closed from there). The enter and exit of a `with` must be these, so a
    subclass overrides neither. As a decorator, each call runs in a copy of the block.
    """

    _open = False  # applied, not yet undone
    _holds = False  # counted in _held: entered in the main thread

    def apply(self) -> None:
        """Make the change (Ctrl-C deferred)."""
        raise NotImplementedError

    def undo(self) -> None:
        """Take back what `apply()` did, all of it or the part it did before it raised."""
        raise NotImplementedError

    def __enter__(self) -> None:
        global _held
        if self._open:
            raise RuntimeError(f"{type(self).__name__}: this block is open already")
        deferral = _deferral
        deferral.depth += 1
        try:  # any exception up to the return, a Ctrl-C included, takes the change back
            try:
                _install()  # until it is in place, a Ctrl-C is raised: nothing changed yet
                if _in_main_thread():
                    with _active_lock:
                        _held += 1
                        self._holds = True
                self._open = True
                self.apply()
            finally:
                deferral.depth -= 1
                if deferral.pending and not deferral.depth:  # it came while entering
                    deferral.pending = False
                    raise KeyboardInterrupt
            return  # inside the try: nothing after it can run a signal handler
        except BaseException:
            deferral.depth += 1  # nothing before this line can run a signal handler either
            try:
                self._leave()
                if deferral.depth == 1 and not _held:
                    _uninstall()
            finally:
                if deferral.depth == 1:
                    deferral.pending = False  # the exception raised stands for any that came
                deferral.depth -= 1
            raise

    def __exit__(self, *exc_info: object) -> None:
        deferral = _deferral  # a Ctrl-C up to the next line waits: see _on_ctrl_c
        deferral.depth += 1
        try:
            self._leave()
            if deferral.depth == 1 and not _held:
                _uninstall()
        finally:
            deferral.depth -= 1
            if deferral.pending and not deferral.depth:
                deferral.pending = False
                raise KeyboardInterrupt

    def _leave(self) -> None:
        global _held
        try:
            if self._open:
                self._open = False
                self.undo()
        finally:
            if self._holds:
                with _active_lock:
                    _held -= 1
                    self._holds = False

    def __call__(self, function: F) -> F:
        """Run each call of `function` inside a copy of this block."""

        @functools.wraps(function)
        def inside(*args: Any, **kwargs: Any) -> Any:
            with copy.copy(self):
                return function(*args, **kwargs)

        return cast(F, inside)

    def __copy__(self) -> AtomicBlock:
        fresh = object.__new__(type(self))
        fresh.__dict__.update(self.__dict__)
        fresh.__dict__.pop("_open", None)
        fresh.__dict__.pop("_holds", None)
        return fresh


_EXIT_CODE = AtomicBlock.__exit__.__code__


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
    """A backward pass begins over the nodes `order`: a stepping pass paused over one of them
    is overtaken (it stops at its next step). Returns the backward hooks to call after each
    node's step (none outside every hooks() block)."""
    if paused:
        interrupt_paused(order)
    return backward_hooks()


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


def _new_marking_lock() -> None:
    """A forked child starts with a free lock, whatever search its parent's threads were in."""
    global marking
    marking = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_new_marking_lock)


def order_with_a_set(root: Any) -> list[Any]:
    """`root.topological_order()` with the visited nodes in a set of its own, for a search that
    starts while another one is marking nodes."""
    order: list[Any] = []
    visited: set[Any] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # a marker: the node below it has every input in order
            order.append(stack.pop())
            continue
        if node in visited:
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
