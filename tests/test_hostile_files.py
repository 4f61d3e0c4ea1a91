"""Hostile files: what the one safe writer and the checkpoint loader do with symlinks, devices,
FIFOs, folders, read-only files, interrupted writes, endless or huge files and malformed JSON.

Each refusal names the path the user gave (never the temporary file), leaves the target and the
model exactly as they were, and leaves no temporary file behind.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd_like._io import (
    atomic_write_bytes,
    atomic_write_text,
    check_writable,
    read_regular_file,
)
from micrograd_like.nn import MLP, CheckpointError, Module

TEMP_NAME = r"\.model\.json\.micrograd-like-[0-9a-f]{8}\.tmp"


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def weights(model: Module) -> list[float]:
    return [p.data for p in model.parameters()]


# --- writing ---------------------------------------------------------------------------------


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("old")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    atomic_write_text(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real.json").read_text() == "new"
    assert names(tmp_path) == ["link.json", "real.json"]


def test_a_relative_symlink_into_another_folder_is_written_beside_its_target(
    tmp_path: Path,
) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "v1.json").write_text("old")
    (tmp_path / "current.json").symlink_to(Path("models") / "v1.json")
    MLP(2, [1], seed=0).save(tmp_path / "current.json")
    assert (tmp_path / "current.json").is_symlink()
    assert json.loads((tmp_path / "models" / "v1.json").read_text())["version"] == 1


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    (tmp_path / "link.json").symlink_to(tmp_path / "new.json")
    atomic_write_text(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "new.json").read_text() == "new"


def test_a_symlink_loop_is_refused_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OSError, match=rf"cannot write {tmp_path / 'a'}: too many levels"):
        atomic_write_text(tmp_path / "a", "x")
    assert names(tmp_path) == ["a", "b"]


def make_device(tmp_path: Path) -> Path:
    """A device node: /dev/null's twin where we may create one (root), else a link to it."""
    path = tmp_path / "model.json"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        path.symlink_to("/dev/null")
    return path


def make_fifo(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "model.json")
    return tmp_path / "model.json"


def make_socket(tmp_path: Path) -> Path:
    import socket

    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "model.json"))
    return tmp_path / "model.json"


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (make_device, "a character device"),
        (make_fifo, r"a FIFO \(named pipe\)"),
        (make_socket, "a socket"),
    ],
)
def test_a_special_file_is_refused_and_left_as_it_is(
    tmp_path: Path, make: Callable[[Path], Path], kind: str
) -> None:
    path = make(tmp_path)
    before = os.lstat(path)
    with pytest.raises(OSError, match=rf"^cannot write {path}: it is {kind}, not a regular file$"):
        MLP(2, [1], seed=0).save(path)
    after = os.lstat(path)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert names(tmp_path) == ["model.json"]


def test_a_link_to_dev_null_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.json").symlink_to("/dev/null")
    with pytest.raises(OSError, match=r"model\.json: it is a character device"):
        atomic_write_text(tmp_path / "model.json", "x")
    assert (tmp_path / "model.json").is_symlink()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_folder_is_refused_naming_the_users_path_not_the_temp_file(tmp_path: Path) -> None:
    (tmp_path / "model.json").mkdir()
    with pytest.raises(IsADirectoryError) as error:
        MLP(2, [1], seed=0).save(tmp_path / "model.json")
    assert str(error.value) == f"cannot write {tmp_path / 'model.json'}: it is a folder"
    assert names(tmp_path) == ["model.json"]


def test_a_read_only_file_is_refused_like_open_would(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.write_text("old")
    target.chmod(0o444)
    with pytest.raises(PermissionError, match=r"model\.json: the file is read-only \(mode 0o444\)"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert names(tmp_path) == ["model.json"]


def test_a_very_long_file_name_still_gets_a_temp_file(tmp_path: Path) -> None:
    target = tmp_path / ("n" * 250)  # the longest names leave no room for a suffix
    atomic_write_text(target, "x")
    assert names(tmp_path) == [target.name]


@pytest.mark.parametrize(
    ("number", "error", "reason"),
    [
        (errno.ENOSPC, OSError, "no space left on the device"),
        (errno.EBUSY, OSError, r"the file is busy \(in use by the system"),
        (errno.EACCES, PermissionError, "permission denied"),
    ],
)
def test_an_os_error_is_reworded_naming_the_path_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: int, error: type, reason: str
) -> None:
    target = tmp_path / "model.json"
    target.write_text("old")

    def fail(src: str, dst: str) -> None:
        raise OSError(number, os.strerror(number), src, None, dst)

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(error, match=rf"^cannot write {target}: {reason}") as raised:
        atomic_write_text(target, "new")
    assert type(raised.value) is error
    assert isinstance(raised.value, OSError) and raised.value.errno == number
    assert "micrograd-like" not in str(raised.value)  # not the temp file's name
    assert target.read_text() == "old"
    assert names(tmp_path) == ["model.json"]


def test_a_folder_without_write_permission_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: str, flags: int, mode: int = 0o777) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(
        PermissionError,
        match=r"cannot write .*x\.json: permission denied \(creating a temporary file in ",
    ):
        atomic_write_text(tmp_path / "x.json", "x")


def test_ctrl_c_mid_write_removes_the_recognisable_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model.json"
    target.write_text("old")
    seen: list[str] = []

    def interrupt(fd: int) -> None:
        seen.extend(names(tmp_path))
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "new")
    assert len(seen) == 2 and any(re.fullmatch(TEMP_NAME, n) for n in seen)
    assert target.read_text() == "old"
    assert names(tmp_path) == ["model.json"]


def test_a_hard_kill_leaves_the_old_file_and_one_documented_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.write_text("old")
    child = f"""
        import os, signal
        from micrograd_like._io import atomic_write_text
        os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
        atomic_write_text({str(target)!r}, "new")
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(child)], timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert target.read_text() == "old"
    leftovers = [n for n in names(tmp_path) if n != "model.json"]
    assert len(leftovers) == 1 and re.fullmatch(TEMP_NAME, leftovers[0])


# --- checking a path before long work ------------------------------------------------------


def make_read_only(tmp_path: Path) -> Path:
    path = tmp_path / "model.json"
    path.write_text("old")
    path.chmod(0o444)
    return path


def make_folder(tmp_path: Path) -> Path:
    (tmp_path / "model.json").mkdir()
    return tmp_path / "model.json"


@pytest.mark.parametrize(
    ("make", "error", "reason"),
    [
        (make_folder, IsADirectoryError, "it is a folder"),
        (make_fifo, OSError, r"it is a FIFO \(named pipe\), not a regular file"),
        (make_read_only, PermissionError, r"the file is read-only \(mode 0o444\)"),
        (lambda folder: folder / "model.json", None, None),  # a new file: fine
    ],
    ids=["folder", "fifo", "read-only", "new file"],
)
def test_check_writable_refuses_what_the_writer_would_and_writes_nothing(
    tmp_path: Path, make: Callable[[Path], Path], error: type | None, reason: str | None
) -> None:
    path = make(tmp_path)
    before = names(tmp_path)
    if error is None:
        assert check_writable(path) == path
    else:
        with pytest.raises(error, match=rf"^cannot write {path}: {reason}"):
            check_writable(path)
        with pytest.raises(error, match=rf"^cannot write {path}: {reason}"):
            atomic_write_bytes(path, b"new")
    assert names(tmp_path) == before


def test_check_writable_names_the_caller_and_keeps_the_kind_of_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^save_graph: path must be a str or a Path, got int: 3$"):
        check_writable(3, caller="save_graph")  # type: ignore[arg-type]
    missing = tmp_path / "nowhere" / "x.svg"
    with pytest.raises(FileNotFoundError, match=rf"^save_graph: cannot write {missing}: the fo"):
        check_writable(missing, caller="save_graph")
    (tmp_path / "x.svg").mkdir()
    with pytest.raises(IsADirectoryError) as raised:
        check_writable(tmp_path / "x.svg", caller="save_graph")
    assert raised.value.errno == errno.EISDIR


def test_a_folder_that_is_not_writable_is_refused_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_access = os.access

    def no_write(path: object, mode: int, **options: object) -> bool:
        if Path(str(path)) == tmp_path and mode & os.W_OK:
            return False
        return real_access(path, mode, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", no_write)
    target = tmp_path / "x.json"
    message = rf"^cannot write {target}: the folder {tmp_path} is not writable$"
    with pytest.raises(PermissionError, match=message):
        check_writable(target)
    with pytest.raises(PermissionError, match=message):
        atomic_write_text(target, "x")
    assert names(tmp_path) == []


# --- reading ---------------------------------------------------------------------------------


def saved_model(tmp_path: Path) -> tuple[MLP, Path]:
    path = tmp_path / "saved.json"
    MLP(2, [3, 1], seed=0).save(path)
    return MLP(2, [3, 1], seed=1), path


def test_loading_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    model, _ = saved_model(tmp_path)
    fifo = make_fifo(tmp_path)
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            model.load(fifo)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # blocked in open(): a writer that closes at once releases it
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=10)
        pytest.fail("loading a FIFO blocked")
    assert isinstance(outcome[0], OSError)
    assert str(outcome[0]) == f"cannot read {fifo}: it is a FIFO (named pipe), not a regular file"


def test_loading_dev_zero_is_refused_before_reading(tmp_path: Path) -> None:
    """In a child process with 1 GB of memory and a timeout: without the check it would read
    zeros until memory runs out."""
    child = """
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
        from micrograd_like.nn import MLP
        try:
            MLP(2, [1]).load("/dev/zero")
        except BaseException as error:
            print(type(error).__name__, error)
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(child)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout == (
        "OSError cannot read /dev/zero: it is a character device, not a regular file\n"
    )


def test_loading_a_folder_names_it(tmp_path: Path) -> None:
    model, _ = saved_model(tmp_path)
    with pytest.raises(IsADirectoryError, match=rf"^cannot read {tmp_path}: it is a folder$"):
        model.load(tmp_path)


def test_a_checkpoint_over_max_bytes_is_refused_and_the_limit_is_adjustable(
    tmp_path: Path,
) -> None:
    model, path = saved_model(tmp_path)
    size = path.stat().st_size
    before = weights(model)
    with pytest.raises(CheckpointError, match=rf"saved\.json: .*{size:,} bytes.*max_bytes=100"):
        model.load(path, max_bytes=100)
    assert weights(model) == before
    model.load(path, max_bytes=size)
    assert weights(model) != before


def test_max_bytes_may_be_any_int_and_nothing_else(tmp_path: Path) -> None:
    model, path = saved_model(tmp_path)
    model.load(path, max_bytes=10**30)  # no allocation of that size, no OverflowError
    with pytest.raises(TypeError, match="max_bytes must be an int, got str: '1000'"):
        model.load(path, max_bytes="1000")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_bytes must be >= 0, got -1"):
        model.load(path, max_bytes=-1)


def test_a_file_that_grows_after_the_check_is_still_capped(tmp_path: Path) -> None:
    path = tmp_path / "growing.txt"
    path.write_bytes(b"x" * 10)
    real_stat = os.stat

    def stale_stat(p: object, *args: object, **kwargs: object) -> os.stat_result:
        info = real_stat(p, *args, **kwargs)  # type: ignore[arg-type]
        return os.stat_result((*info[:6], 5, *info[7:]))  # reports 5 bytes

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "stat", stale_stat)
        with pytest.raises(ValueError, match="max_bytes=8"):
            read_regular_file(path, max_bytes=8)


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"version": 1', '"version": ' + "1" * 5000, "an integer of 5,000 digits"),
        ('"version": 1', '"version": -' + "9" * 4301, "an integer of 4,301 digits"),
        ('"parameters": {', '"parameters": {"L1.N1.b": 5.0, ', "'L1.N1.b' appears twice"),
        ('"format"', '"version": 1, "format"', "'version' appears twice"),
    ],
    ids=["5000 digits", "-4301 digits", "duplicate label", "duplicate key"],
)
def test_malformed_content_is_a_checkpoint_error_naming_the_file(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    model, path = saved_model(tmp_path)
    rewrite(path, old, new)
    before = weights(model)
    with pytest.raises(CheckpointError, match=rf"^{path}: .*{message}"):
        model.load(path)
    assert weights(model) == before


def test_huge_integers_are_refused_even_with_the_interpreter_limit_off(tmp_path: Path) -> None:
    if not hasattr(sys, "set_int_max_str_digits"):
        pytest.skip("no integer digit limit in this Python")
    model, path = saved_model(tmp_path)
    rewrite(path, '"version": 1', '"version": ' + "7" * 100_000)
    old_limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        with pytest.raises(CheckpointError, match="an integer of 100,000 digits"):
            model.load(path)
    finally:
        sys.set_int_max_str_digits(old_limit)


@pytest.mark.parametrize(
    "bad",
    [None, 3, b"model.json", ["model.json"]],
    ids=["None", "int", "bytes", "list"],
)
def test_a_path_of_the_wrong_type_is_a_type_error(tmp_path: Path, bad: object) -> None:
    model, _ = saved_model(tmp_path)
    with pytest.raises(TypeError, match=r"path must be a str or a Path, got"):
        model.load(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"path must be a str or a Path, got"):
        model.save(bad)  # type: ignore[arg-type]


def test_text_that_is_not_valid_unicode_is_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot write .*x\.html: the text is not valid Unicode"):
        atomic_write_text(tmp_path / "x.html", "label \ud800")
    assert names(tmp_path) == []


def test_a_temp_file_that_cannot_be_removed_does_not_hide_the_first_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def stuck(path: str) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(os, "replace", full)
    monkeypatch.setattr(os, "unlink", stuck)
    with pytest.raises(OSError, match=r"x\.json: no space left on the device"):
        atomic_write_text(tmp_path / "x.json", "x")


def test_a_path_with_a_nul_character_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="must not contain a NUL"):
        atomic_write_bytes("a\0b", b"x")


SAVED = MLP(2, [2, 1], seed=0)
CHECKPOINT: dict[str, Any] = {
    "format": "micrograd_like.checkpoint",
    "version": 1,
    "architecture": SAVED.architecture(),
    "parameters": {p.label: p.data for p in SAVED.parameters()},
}
# where a value can be swapped: (outer key, inner key or None for the whole value)
PLACES = [(key, None) for key in CHECKPOINT] + [
    (outer, inner) for outer in ("architecture", "parameters") for inner in CHECKPOINT[outer]
]
# JSON a hostile or broken file may hold where a value belongs
FRAGMENTS = st.one_of(
    st.sampled_from(["NaN", "-Infinity", "1e999", "-0", "null", "true", "[]", "{}", '"x"', "{"]),
    st.sampled_from([1, 20, 400, 4300, 4301, 6000]).map(lambda n: "9" * n),  # digits
    st.sampled_from(['{"a": 1, "a": 2}', "[[[[1]]]]", '"\\ud800"', "1.5", "[2, 2]", "2"]),
    st.text(max_size=5),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    swaps=st.lists(st.tuples(st.sampled_from(PLACES), FRAGMENTS), max_size=3),
    duplicate=st.sampled_from([None, *PLACES]),
    cut=st.integers(0, 40),
)
def test_any_damaged_checkpoint_loads_or_is_a_checkpoint_error_changing_nothing(
    tmp_path: Path,
    swaps: list[tuple[tuple[str, str | None], str]],
    duplicate: tuple[str, str | None] | None,
    cut: int,
) -> None:
    """A saved checkpoint with values swapped for hostile JSON, a key written twice, the end
    cut off: loading it succeeds with finite weights or raises CheckpointError naming the file,
    with the model untouched."""
    checkpoint = json.loads(json.dumps(CHECKPOINT))
    holes = {}
    for i, ((outer, inner), fragment) in enumerate(swaps):
        where = checkpoint if inner is None else checkpoint[outer]
        if isinstance(where, dict):
            holes[f"HOLE{i}"] = fragment
            where[outer if inner is None else inner] = f"HOLE{i}"
    text = json.dumps(checkpoint, indent=1)
    for hole, fragment in holes.items():
        text = text.replace(f'"{hole}"', fragment)
    if duplicate is not None:
        key = duplicate[1] or duplicate[0]
        text = text.replace(f'"{key}": ', f'"{key}": 0, "{key}": ', 1)
    text = text[: len(text) - cut]
    path = tmp_path / "damaged.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    model = MLP(2, [2, 1], seed=1)
    before = weights(model)
    try:
        model.load(path)
    except CheckpointError as error:
        assert str(error).startswith(f"{path}: ")
        assert weights(model) == before
    else:
        assert duplicate is None  # a key written twice is never "the last one wins"
        assert all(map(math.isfinite, weights(model)))
