"""The one place where the package touches files: a safe writer and a safe reader.

Writing (`atomic_write_bytes`, `atomic_write_text`) goes through a temporary file beside the
target, flushed to disk, then renamed onto it: the target is always either the old file or the
new one, never half of each. Reading (`read_regular_file`) refuses anything but a regular file
of bounded size before reading a byte. Every error is an `OSError` (or `FileTooLargeError` for a
file over the size limit) whose message names the path the caller gave, never a temporary file.
`check_writable` runs the writer's checks alone, so that a caller can refuse a bad path before
long work (drawing a graph, building a page) rather than after it. `redirected_fd` points a file
descriptor (the C library's stderr) at another file for a block. A Ctrl-C leaves none of them
half done: no temporary file, no open descriptor, no descriptor left pointing elsewhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from numbers import Integral
from pathlib import Path

from micrograd_like.interrupts import AtomicBlock, interrupts_deferred

TEMP_MARK = ".micrograd-like-"
"""Every temporary file is named `.<target name>.micrograd-like-<random>.tmp`."""


class FileTooLargeError(ValueError):
    """A file larger than the `max_bytes` its reader allows."""


_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EBUSY: "the file is busy (in use by the system, for example a mount point)",
    errno.EISDIR: "it is a folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ENOENT: "no such file",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
}


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically and return `Path(path)`.

    - A symlink is followed: the file it points to is replaced and the link stays a link. A
      dangling link creates its target, as `open(path, "w")` would.
    - The target must be a regular file or not exist yet: a folder (`IsADirectoryError`), a
      device, a FIFO or a socket (`OSError`) is refused, and so is a write-protected file
      (`PermissionError`): one you could not open for writing, or one with no write permission
      bit at all (`chmod a-w`), which is refused even for root.
    - A replaced file keeps its permission bits (and its owner and group where allowed); a new
      file gets the mode `open()` would give it (0o666 less the umask).
    - The bytes go to `.<name>.micrograd-like-<random>.tmp` in the target's folder, are flushed
      to disk, and the temporary file is renamed onto the target. On any error the temporary
      file is removed and the target is untouched. A Ctrl-C waits until the file is written (or
      the write has failed and its temporary file is gone), then raises KeyboardInterrupt: it
      never leaves a temporary file or an open descriptor behind.
    - A hard kill (SIGKILL, power loss) during the write can leave one such temporary file
      behind; the target itself is then the old file or the new one. Leftovers are safe to
      delete: `find . -name '.*.micrograd-like-*.tmp'`.
    - The target gets a new inode: other hard links to the old file keep the old bytes.
    """
    where = _checked_path(path)
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"cannot write {where}: data must be bytes, got {type(data).__name__}")
    target, old = _writable_target(where)
    with interrupts_deferred():  # a Ctrl-C waits for the file or its clean-up, then is raised
        _write_and_replace(where, target, old, data)
    return where


def _write_and_replace(
    where: Path, target: Path, old: os.stat_result | None, data: bytes | bytearray
) -> None:
    """The writing half of `atomic_write_bytes`, run with Ctrl-C deferred."""
    folder = target.parent
    tmp_name: str | None = None
    try:
        # a new file gets the mode open() would give it (0o666 less the umask); a replaced one
        # starts private and gets the old file's owner and mode once it is ours
        fd, tmp_name = _new_temp_file(folder, target.name, 0o666 if old is None else 0o600)
        try:
            if old is not None:
                if hasattr(os, "fchown"):
                    with contextlib.suppress(OSError):  # only root may give a file away
                        os.fchown(fd, old.st_uid, old.st_gid)
                os.chmod(tmp_name, stat.S_IMODE(old.st_mode))  # after chown: it clears set-id
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp_name, target)
        tmp_name = None
    except BaseException as error:
        if tmp_name is not None:
            with contextlib.suppress(OSError):  # report the first error, not this one
                os.unlink(tmp_name)
        if isinstance(error, OSError):
            step = "" if tmp_name else f" (creating a temporary file in {folder})"
            raise _reworded(error, "write", where, step) from None
        raise


def check_writable(path: str | os.PathLike[str], *, caller: str = "") -> Path:
    """Check now what `atomic_write_bytes(path, ...)` checks before writing, and return
    `Path(path)`; nothing is written. A caller about to do long work for a file (draw a graph,
    build a page) calls it first, so that a bad path fails at once.

    Raises what the writer would: `TypeError` for a path that is not a str or a Path,
    `ValueError` for a NUL in it, `FileNotFoundError` for a missing folder, `IsADirectoryError`
    for a folder, `PermissionError` for a folder that is not writable or a write-protected
    file, `OSError` for a device, FIFO, socket or symlink loop. Each message names `path` as
    given, after `caller: ` when `caller` is given (`save_graph: cannot write x/g.svg: ...`).
    """
    try:
        where = _checked_path(path)
        _writable_target(where)
    except (OSError, TypeError, ValueError) as error:
        if not caller:
            raise
        raise _prefixed(error, caller) from None
    return where


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically, as `atomic_write_bytes`, and return the path."""
    if not isinstance(text, str):
        raise TypeError(f"cannot write {path}: text must be a str, got {type(text).__name__}")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate such as "\ud800"
        raise ValueError(f"cannot write {path}: the text is not valid Unicode ({error})") from None
    return atomic_write_bytes(path, data)


def read_regular_file(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed), at most `max_bytes` of them.

    Refuses, before reading a byte: a missing file (`FileNotFoundError`), a folder
    (`IsADirectoryError`), a FIFO, device or socket (`OSError`; a FIFO would block forever and
    `/dev/zero` never ends), and a file larger than `max_bytes` (`FileTooLargeError`, a
    `ValueError`).
    """
    where = _checked_path(path)
    if not isinstance(max_bytes, Integral) or isinstance(max_bytes, bool):
        raise TypeError(f"max_bytes must be an int, got {type(max_bytes).__name__}: {max_bytes!r}")
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0, got {max_bytes!r}")
    try:
        info = os.stat(where)
    except OSError as error:
        raise _reworded(error, "read", where) from None
    size = _regular_size(where, info, "read")
    if size > max_bytes:
        raise FileTooLargeError(_too_large(where, size, max_bytes))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    chunks: list[bytes] = []
    fd = -1
    try:
        try:  # O_NONBLOCK: should a FIFO replace the file after the check, opening it won't block
            with interrupts_deferred():  # a Ctrl-C comes after `fd` is set: it is closed below
                fd = os.open(where, flags)
        except OSError as error:
            raise _reworded(error, "read", where) from None
        _regular_size(where, os.fstat(fd), "read")  # the file we opened, not the one we saw
        try:  # in chunks up to max_bytes + 1: a file may grow while we read it
            left = max_bytes + 1
            while left > 0 and (chunk := os.read(fd, min(left, 2**20))):
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as error:
            raise _reworded(error, "read", where) from None
    finally:
        if fd >= 0:  # nothing here can run a signal handler before the descriptor is closed
            os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:  # it grew after the check
        raise FileTooLargeError(_too_large(where, len(data), max_bytes))
    return data


class RedirectedFd(AtomicBlock):
    """The block of `redirected_fd(fd, into)`."""

    def __init__(self, fd: int, into: int) -> None:
        self.fd, self.into = fd, into
        self._saved: int | None = None  # a copy of what fd pointed to

    def apply(self) -> None:
        try:
            self._saved = os.dup(self.fd)
        except OSError:  # fd is not open: nothing to keep clean, nothing to put back
            return
        os.dup2(self.into, self.fd)

    def undo(self) -> None:
        saved, self._saved = self._saved, None
        if saved is not None:
            try:
                os.dup2(saved, self.fd)
            finally:
                os.close(saved)


def redirected_fd(fd: int, into: int) -> RedirectedFd:
    """A with-block in which file descriptor `fd` points where `into` does, and after which it
    points where it did before: `with redirected_fd(2, caught.fileno()):` catches what C code
    writes to stderr. A Ctrl-C at any moment, entering or leaving, leaves `fd` pointing where it
    did and no descriptor open (`interrupts.AtomicBlock`). A closed `fd` is left closed.
    """
    return RedirectedFd(fd, into)


def _checked_path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a Path, got {type(path).__name__}: {path!r}")
    where = Path(path)
    if "\0" in str(where):
        raise ValueError(f"path must not contain a NUL character, got {str(where)!r}")
    return where


def _regular_size(where: Path, info: os.stat_result, action: str) -> int:
    """The size of a regular file; anything else is refused with an error naming `where`."""
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return info.st_size
    kinds = [
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    if stat.S_ISDIR(mode):
        raise _error(errno.EISDIR, f"cannot {action} {where}: it is a folder")
    kind = next((name for test, name in kinds if test(mode)), "a special file")
    raise OSError(f"cannot {action} {where}: it is {kind}, not a regular file")


def _writable_target(where: Path) -> tuple[Path, os.stat_result | None]:
    """The file `where` names, at the end of any chain of symlinks, and its status (None if it
    does not exist yet), once it is one the writer may replace or create: a regular, writable
    file or none, in an existing folder where a file may be created (the temporary file)."""
    target = Path(os.path.realpath(where))
    folder = target.parent
    try:
        old: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as error:
        raise _reworded(error, "write", where) from None
    if old is None and not folder.is_dir():
        raise FileNotFoundError(f"cannot write {where}: the folder {folder} does not exist")
    if old is not None:
        _check_writable(where, target, old)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _error(errno.EACCES, f"cannot write {where}: the folder {folder} is not writable")
    return target, old


def _check_writable(where: Path, target: Path, old: os.stat_result) -> None:
    """Refuse what `open(where, "w")` would refuse, and files with no write bit at all."""
    _regular_size(where, old, "write")
    mode = stat.S_IMODE(old.st_mode)
    if mode & 0o222 and os.access(target, os.W_OK):
        return
    why = "the file is read-only" if not mode & 0o222 else "permission denied"
    raise _error(errno.EACCES, f"cannot write {where}: {why} (mode {mode:#o})")


def _new_temp_file(folder: Path, name: str, mode: int) -> tuple[int, str]:
    """A new file `.<name>.micrograd-like-<random>.tmp` in `folder`, open for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp_name = str(folder / f".{name[:50]}{TEMP_MARK}{secrets.token_hex(4)}.tmp")
        with contextlib.suppress(FileExistsError):  # 1 chance in 4 billion: draw again
            return os.open(tmp_name, flags, mode), tmp_name
    raise _error(errno.EEXIST, f"no free temporary file name in {folder}")


def _too_large(where: Path, size: int, max_bytes: int) -> str:
    return (
        f"cannot read {where}: it holds {size:,} bytes or more, over the limit "
        f"max_bytes={max_bytes:,} (pass a larger max_bytes if you trust the file)"
    )


def _reworded(error: OSError, action: str, where: Path, step: str = "") -> OSError:
    """The same kind of error (same class and errno), with a message naming the user's path."""
    reason = _REASONS.get(error.errno or 0) or error.strerror or str(error)
    message = f"cannot {action} {where}: {reason}{step}"
    if not error.errno:  # raised without an errno (by a test's stand-in, say): keep its class
        return type(error)(message)
    return _error(error.errno, message)


def _prefixed(error: Exception, caller: str) -> Exception:
    """The same kind of error (class, and errno for an OSError), its message after `caller: `."""
    message = f"{caller}: {error}"
    if isinstance(error, OSError) and error.errno:
        return _error(error.errno, message)
    return type(error)(message)


def _error(number: int, message: str) -> OSError:
    """The OSError subclass Python picks for errno `number` (PermissionError for EACCES, ...),
    with `message` alone as its text (no "[Errno 13]" prefix)."""
    error = type(OSError(number, ""))(message)
    error.errno = number
    return error
