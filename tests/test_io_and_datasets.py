"""Atomic writes lose nothing; the two-moons points match scikit-learn's."""

from __future__ import annotations

import math
import os
import re
from fractions import Fraction
from pathlib import Path

import numpy
import pytest
from sklearn.datasets import make_moons as sklearn_moons

from micrograd_like._io import atomic_write_bytes, atomic_write_text
from micrograd_like.datasets import make_moons


def test_atomic_write_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "picture.svg", "<svg/>")
    finally:
        os.umask(umask)
    assert (tmp_path / "picture.svg").stat().st_mode & 0o777 == 0o644


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_crash_mid_write_leaves_the_old_file_and_no_debris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model.json"
    target.write_text("old")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_atomic_write_into_a_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_text(tmp_path / "missing" / "x.txt", "x")


def test_moons_without_noise_are_scikit_learns_moons() -> None:
    for n in (100, 7):
        points, labels = make_moons(n, noise=0.0)
        expected, expected_labels = sklearn_moons(n_samples=n, noise=0.0, shuffle=False)
        flat = [coordinate for point in points for coordinate in point]
        assert flat == pytest.approx(expected.ravel().tolist(), abs=1e-12)
        assert labels == [2 * int(label) - 1 for label in expected_labels]


def test_moons_are_reproducible_and_seeded() -> None:
    assert make_moons(100, 0.1, seed=3) == make_moons(100, 0.1, seed=3)
    assert make_moons(100, 0.1, seed=3) != make_moons(100, 0.1, seed=4)
    points, labels = make_moons(100, 0.1)
    assert len(points) == len(labels) == 100
    assert labels.count(-1) == labels.count(1) == 50


@pytest.mark.parametrize("bad", [{"n_samples": 1}, {"n_samples": 2.5}, {"noise": -0.1}])
def test_moons_reject_bad_arguments(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="make_moons"):
        make_moons(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"noise": math.inf}, "noise must be a finite number >= 0 (the standard deviation of"),
        ({"noise": -math.inf}, "noise must be a finite number >= 0"),
        ({"noise": math.nan}, "noise must be a finite number >= 0"),
        ({"noise": 10**400}, "noise must be a finite number >= 0"),
        ({"noise": 1e308}, "noise=1e+308 puts points past the largest float"),
        ({"n_samples": 10**9}, "n_samples must be a whole number from 2 to 1,000,000, got"),
        (
            {"n_samples": 10**5000},
            "n_samples must be a whole number from 2 to 1,000,000, got an "
            "int of about 5,001 digits",
        ),
    ],
)
def test_moons_refuse_a_value_that_would_make_infinite_or_endless_points(
    bad: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(f"make_moons: {message}")):
        make_moons(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"n_samples": "100"}, "n_samples must be a whole number, got str: '100'"),
        ({"n_samples": None}, "n_samples must be a whole number, got NoneType: None"),
        ({"n_samples": True}, "n_samples must be a whole number, got bool: True"),
        ({"noise": "0.1"}, "noise must be a number, got str: '0.1'"),
        ({"seed": None}, "seed must be an int or a random.Random, got NoneType: None"),
        ({"seed": 1.5}, "seed must be an int or a random.Random, got float: 1.5"),
    ],
)
def test_moons_refuse_an_argument_of_the_wrong_type_naming_it(
    bad: dict[str, object], message: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(f"make_moons: {message}")):
        make_moons(**bad)  # type: ignore[arg-type]


def test_moons_take_any_real_number_numpy_and_fractions_included() -> None:
    expected = make_moons(10, 0.1, seed=3)
    assert make_moons(numpy.int64(10), numpy.float64(0.1), seed=numpy.int64(3)) == expected
    assert make_moons(10, Fraction(1, 10), seed=3) == expected  # type: ignore[arg-type]
