"""JSON checkpoints: an exact round trip, an atomic write, and every bad file rejected with a
message naming it and the problem, before a single parameter changes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from micrograd_like.nn import MLP, CheckpointError, Layer, Module, Neuron


def weights(model: Module) -> list[float]:
    return [p.data for p in model.parameters()]


def test_round_trip_restores_every_float_exactly(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    awkward = [0.1 + 0.2, 1e-300, 5e-324, -1 / 3, 123456789.123456789]
    for p, x in zip(model.parameters(), awkward, strict=False):
        p.data = x
    model.save(tmp_path / "model.json")
    other = MLP(2, [3, 1], seed=1)
    other.load(tmp_path / "model.json")
    assert weights(other) == weights(model)


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: Neuron(3, activation="tanh", seed=seed),
        lambda seed: Layer(2, 3, seed=seed),
        lambda seed: MLP(2, [2, 1], seed=seed),
    ],
)
def test_neurons_layers_and_networks_all_round_trip(
    make: Callable[[int], Module], tmp_path: Path
) -> None:
    model = make(0)
    model.save(tmp_path / "m.json")
    other = make(1)
    assert weights(other) != weights(model)
    other.load(tmp_path / "m.json")
    assert weights(other) == weights(model)


def test_the_file_holds_format_architecture_and_parameters_by_label(tmp_path: Path) -> None:
    model = MLP(2, [1], activation="tanh", output_activation="sigmoid", seed=0)
    model.save(tmp_path / "model.json")
    saved = json.loads((tmp_path / "model.json").read_text())
    assert saved == {
        "format": "micrograd_like.checkpoint",
        "version": 1,
        "architecture": {"class": "MLP", "nin": 2, "nouts": [1], "activations": ["sigmoid"]},
        "parameters": {p.label: p.data for p in model.parameters()},
    }


def test_a_crash_while_saving_leaves_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    MLP(2, [1], seed=0).save(path)
    before = path.read_text()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [1], seed=1).save(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_a_non_finite_parameter_is_not_saved(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    model.parameters()[1].data = float("inf")
    with pytest.raises(ValueError, match=r"parameter L1\.N1\.w2 is inf"):
        model.save(tmp_path / "model.json")
    assert not (tmp_path / "model.json").exists()


def test_parameters_sharing_a_label_cannot_be_saved(tmp_path: Path) -> None:
    class Two(Module):
        def __init__(self) -> None:
            self.a, self.b = Neuron(1, seed=0), Neuron(1, seed=1)

        def parameters(self) -> list[Any]:
            return [*self.a.parameters(), *self.b.parameters()]

    with pytest.raises(ValueError, match=r"two parameters share the label 'N1\.w1'"):
        Two().save(tmp_path / "two.json")


def test_weights_of_other_number_types_are_saved_as_the_floats_the_engine_uses(
    tmp_path: Path,
) -> None:
    numpy = pytest.importorskip("numpy")
    model = MLP(2, [3, 1], seed=0)
    others = [numpy.float32(0.25), Fraction(1, 3), Decimal("0.1"), 7, numpy.float64(-2.5)]
    for p, x in zip(model.parameters(), others, strict=False):
        p.data = x
    model.save(tmp_path / "model.json")
    other = MLP(2, [3, 1], seed=1)
    other.load(tmp_path / "model.json")
    assert weights(other)[:5] == [0.25, 1 / 3, 0.1, 7.0, -2.5]
    assert all(type(x) is float for x in weights(other))
    assert weights(other)[5:] == weights(model)[5:]


@pytest.mark.parametrize(
    ("weight", "error", "message"),
    [
        (10**400, ValueError, "L1.N1.w2 is an int of about 401 digits, too large for a float"),
        (Fraction(10**400, 3), ValueError, "L1.N1.w2 is Fraction(.*), too large for a float"),
        (Decimal("NaN"), ValueError, r"L1.N1.w2 is Decimal\('NaN'\)"),
        (Decimal("sNaN"), ValueError, r"L1.N1.w2 is Decimal\('sNaN'\)"),
        ("0.5", TypeError, "L1.N1.w2 must be a number, got str: '0.5'"),
        (1j, TypeError, r"L1.N1.w2 must be a number, got complex: 1j"),
        (True, TypeError, "L1.N1.w2 must be a number, got bool: True"),
    ],
    ids=["10**400", "huge Fraction", "Decimal NaN", "Decimal sNaN", "str", "complex", "bool"],
)
def test_a_weight_that_is_no_finite_float_is_refused_naming_it(
    weight: object, error: type[Exception], message: str, tmp_path: Path
) -> None:
    model = MLP(2, [1], seed=0)
    model.parameters()[1].data = weight  # type: ignore[assignment]
    with pytest.raises(error, match=f"cannot save to .*model.json: parameter {message}"):
        model.save(tmp_path / "model.json")
    assert list(tmp_path.iterdir()) == []


# ---- bad checkpoints: each is rejected and the model keeps its weights


def edit(change: Callable[[dict[str, Any]], object]) -> Callable[[dict[str, Any]], str]:
    """A bad file made by changing one thing in a good checkpoint."""

    def make(checkpoint: dict[str, Any]) -> str:
        change(checkpoint)
        return json.dumps(checkpoint)

    return make


def raw(token: str) -> Callable[[dict[str, Any]], str]:
    """A bad file whose parameter L1.N1.b is written as `token`, which json.dumps cannot write."""

    def make(checkpoint: dict[str, Any]) -> str:
        checkpoint["parameters"]["L1.N1.b"] = 12345.5
        return json.dumps(checkpoint).replace("12345.5", token)

    return make


BAD_FILES: dict[str, tuple[Callable[[dict[str, Any]], str], str]] = {
    "truncated": (lambda c: json.dumps(c)[:40], "not valid JSON, truncated or malformed"),
    "malformed": (lambda c: "{'format': 1}", "not valid JSON"),
    "empty": (lambda c: "", "not valid JSON"),
    "nested too deep": (lambda c: "[" * 100_000, "not valid JSON"),
    "not an object": (lambda c: "[1, 2]", "not a micrograd_like checkpoint"),
    "other format": (edit(lambda c: c.update(format="keras")), "not a micrograd_like checkpoint"),
    "other version": (edit(lambda c: c.update(version=2)), "version 2, this code reads 1"),
    "bool version": (edit(lambda c: c.update(version=True)), "version True"),
    "other sizes": (
        edit(lambda c: c["architecture"].update(nouts=[4, 1])),
        "the checkpoint is for .*'nouts': \\[4, 1\\].* this model is",
    ),
    "other activation": (
        edit(lambda c: c["architecture"].update(activations=["tanh", "linear"])),
        "the checkpoint is for",
    ),
    "other class": (edit(lambda c: c["architecture"].update({"class": "Layer"})), "is for"),
    "missing parameter": (
        edit(lambda c: c["parameters"].pop("L2.N1.b")),
        "12 parameters in the file, 13 in the model; missing \\['L2.N1.b'\\]",
    ),
    "extra parameter": (
        edit(lambda c: c["parameters"].update({"L3.N1.b": 0.0})),
        "14 parameters in the file, 13 in the model; missing \\[\\], unexpected \\['L3.N1.b'\\]",
    ),
    "parameters not an object": (
        edit(lambda c: c.update(parameters=[1.0] * 13)),
        "'parameters' must be an object",
    ),
    "string value": (
        edit(lambda c: c["parameters"].update({"L1.N2.w1": "0.5"})),
        "parameter L1.N2.w1 must be a number, got str: '0.5'",
    ),
    "null value": (
        edit(lambda c: c["parameters"].update({"L1.N2.w1": None})),
        "must be a number, got NoneType",
    ),
    "bool value": (
        edit(lambda c: c["parameters"].update({"L1.N2.w1": True})),
        "must be a number, got bool",
    ),
    "NaN": (raw("NaN"), "NaN is not a finite number"),
    "Infinity": (raw("-Infinity"), "-Infinity is not a finite number"),
    "overflowing float": (raw("1e400"), "parameter L1.N1.b is not finite: inf"),
    "overflowing int": (
        edit(lambda c: c["parameters"].update({"L1.N1.b": 10**400})),
        "parameter L1.N1.b is not finite",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_checkpoint_is_rejected_and_changes_nothing(case: str, tmp_path: Path) -> None:
    make_text, message = BAD_FILES[case]
    path = tmp_path / "bad.json"
    MLP(2, [3, 1], seed=0).save(path)
    path.write_text(make_text(json.loads(path.read_text())))
    model = MLP(2, [3, 1], seed=1)
    before = weights(model)
    with pytest.raises(CheckpointError, match=message) as error:
        model.load(path)
    assert str(path) in str(error.value)
    assert weights(model) == before


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    model = MLP(2, [1], seed=0)
    before = weights(model)
    with pytest.raises(FileNotFoundError, match=r"cannot read .*nope\.json: no such file"):
        model.load(tmp_path / "nope.json")
    assert weights(model) == before


def test_a_binary_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\x80\x81\xfe\xff")
    with pytest.raises(CheckpointError, match="not a text file"):
        MLP(2, [1], seed=0).load(path)


# ---- what an error quotes of a file

HUGE = "x" * 2_000_000

HUGE_FILES: dict[str, Callable[[dict[str, Any]], str]] = {
    "huge string value": edit(lambda c: c["parameters"].update({"L1.N2.w1": HUGE})),
    "huge list value": edit(lambda c: c["parameters"].update({"L1.N2.w1": [1.5] * 200_000})),
    "huge extra label": edit(lambda c: c["parameters"].update({HUGE: 0.0})),
    "huge key twice": lambda c: '{"' + HUGE + '": 1, "' + HUGE + '": 2}',
    "huge version": edit(lambda c: c.update(version=HUGE)),
    "huge architecture": edit(lambda c: c["architecture"].update(nouts=list(range(200_000)))),
    "huge int": edit(lambda c: c["parameters"].update({"L1.N2.w1": 10**4000})),
}


@pytest.mark.parametrize("case", HUGE_FILES)
def test_a_checkpoint_error_quotes_a_few_dozen_characters_of_the_file(
    case: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    MLP(2, [3, 1], seed=0).save(path)
    path.write_text(HUGE_FILES[case](json.loads(path.read_text())))
    with pytest.raises(CheckpointError) as error:
        MLP(2, [3, 1], seed=1).load(path)
    assert len(str(error.value)) < 300 + len(str(path)), str(error.value)[:1000]
