"""Ctrl-C that cannot cut a change of state in half.

Python runs a signal handler between bytecodes: where a function starts, after a backward jump,
after a call into C returns (3.10: after any jump taken, too). A Ctrl-C there raises
KeyboardInterrupt in the middle of whatever was running, a with-block's __enter__ and __exit__
included, so `blocks.append(...); try:` can be cut between the change and the try, and an
__exit__ before it has changed anything back. Here a change of state is made inside a region in
which a Ctrl-C waits and is raised when the region ends (`interrupts_deferred`), as Trio
protects its own code ("Control-C handling in Python and Trio", N. J. Smith, 2017): while the
main thread is inside such a region or an `AtomicBlock`, the SIGINT handler is `_on_ctrl_c`
instead of Python's default. `modes` (no_grad, hooks), `checks` (detect_anomaly), `faster`
(collector_paused), the optimizers, checkpoints and the safe writer are built on it.
"""

from __future__ import annotations

import copy
import functools
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from types import FrameType
from typing import Any, TypeVar, cast


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
_held_lock = threading.Lock()  # guards _held


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
                    with _held_lock:
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
                with _held_lock:
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
