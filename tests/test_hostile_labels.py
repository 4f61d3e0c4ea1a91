"""Text a user gave (labels, formulas, paths) is printed as text: a terminal escape sequence,
a bidi override or a newline in it is written as its Python escape wherever the readers print
it (the view's names, the steps, explain(), the command line's lines), and ordinary unicode
names are printed as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from micrograd_like.__main__ import main
from micrograd_like.engine import OPS, Op, Value
from micrograd_like.steps import backward_steps, explain
from micrograd_like.view import GraphView, printable

ESCAPE = "\x1b[2J\x1b[31mred"  # clear the screen, then print in red
HOSTILE = [ESCAPE, "a\u202eb", "two\nlines", "tab\there", "bell\x07", "nul\x00", "lone\ud800"]


def unprintable(text: str) -> list[str]:
    return [ch for ch in text if not ch.isprintable() and ch != "\n"]


@pytest.mark.parametrize("label", HOSTILE)
def test_a_name_is_the_label_with_its_unprintable_characters_escaped(label: str) -> None:
    x = Value(1.0, label)
    name = GraphView(x * 2).name(x)
    assert name == label.encode("unicode_escape").decode("ascii")  # by hand: as repr writes them
    assert name.isprintable()


@pytest.mark.parametrize("label", ["W₁", "ΔW", "重み", "x y", "back\\slash", "é", "naïve"])
def test_ordinary_names_are_printed_as_they_are(label: str) -> None:
    x = Value(1.0, label)
    assert GraphView(x * 2).name(x) == label
    assert printable(label) == label


def test_the_steps_lines_hold_no_escape_sequence() -> None:
    x, w = Value(2.0, ESCAPE), Value(3.0, "two\nlines")
    out = x * w
    out.label = "a\u202eb"
    lines = "\n".join(str(step) for step in backward_steps(out))
    assert unprintable(lines) == []
    assert lines.splitlines()[1:3] == [  # one line per share: the newline did not split one
        "da\\u202eb/d\\x1b[2J\\x1b[31mred += ∂a\\u202eb/∂\\x1b[2J\\x1b[31mred × "
        "da\\u202eb/da\\u202eb = 3.0 × 1.0 = 3.0",
        "da\\u202eb/dtwo\\nlines += ∂a\\u202eb/∂two\\nlines × da\\u202eb/da\\u202eb = "
        "2.0 × 1.0 = 2.0",
    ]


def test_explain_holds_no_escape_sequence() -> None:
    x = Value(2.0, ESCAPE)
    out = (x * x).tanh()
    out.label = "bell\x07"
    text = str(explain(out, x))
    assert unprintable(text) == []
    assert text.startswith("dbell\\x07/d\\x1b[2J\\x1b[31mred: 2 paths")


def test_explain_of_a_node_outside_the_graph_escapes_its_label() -> None:
    x, stranger = Value(2.0, "x"), Value(1.0, ESCAPE)
    text = str(explain(x * 3, stranger))
    assert text == "mul2 does not depend on \\x1b[2J\\x1b[31mred: dmul2/d\\x1b[2J\\x1b[31mred = 0"


def test_a_formula_is_printed_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(OPS, "paint", Op("paint", "paint(a)", ("\x07a\x1b[0m",), "paint", "paint"))
    x = Value(2.0, "x")
    y = Value.from_op("paint", 2.0, [x], [1.0])
    assert "= \\x07x\\x1b[0m\n" in str(explain(y, x))
    assert unprintable(str(explain(y, x))) == []


# ---- explain reads any formula of the registry without failing


def test_n_is_the_exponent_only_in_a_number_power(monkeypatch: pytest.MonkeyPatch) -> None:
    # an op named scale whose formula says n: not the power's n, so not scale[2:] = "ale"
    monkeypatch.setitem(OPS, "scale", Op("scale", "n * a", ("n",), "scale", "scale"))
    x = Value(2.0, "x")
    text = str(explain(Value.from_op("scale", 6.0, [x], [3.0]), x))
    assert "= n\n" in text
    assert "ale" not in text.replace("scale", "")
    assert "= 3 * x**(3 - 1)\n" in str(explain(x**3, x))  # the number power's n: still 3


def test_a_name_a_formula_does_not_know_is_printed_as_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # b in the formula of a one-input op (from_op refuses it now; an @operation may not)
    monkeypatch.setitem(OPS, "twice", Op("twice", "2*a", ("2*b",), "twice", "twice"))
    x = Value(2.0, "x")
    assert "= 2*b\n" in str(explain(Value.from_op("twice", 4.0, [x], [2.0]), x))


def test_a_view_that_is_not_a_graph_view_is_a_type_error_naming_it() -> None:
    x = Value(2.0, "x")
    with pytest.raises(
        TypeError,
        match=r"explain: view must be a GraphView of the root \(GraphView\(root\)\), got int$",
    ):
        explain(x * 2, x, view=3)  # type: ignore[arg-type]


# ---- the command line prints what it was given as text


def test_an_error_naming_a_hostile_path_is_printed_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / f"missing{ESCAPE}" / "g.svg"
    assert main(["graph", "x*2", "x=1", "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("micrograd-like: error: ")
    assert "\x1b" not in err and "missing\\x1b[2J\\x1b[31mred" in err


def test_a_written_hostile_path_is_reported_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / f"{ESCAPE}.svg"
    assert main(["graph", "x*2", "x=1", "-o", str(target)]) == 0
    assert target.exists()
    assert capsys.readouterr().out.endswith(f"wrote {tmp_path}/\\x1b[2J\\x1b[31mred.svg\n")


def test_errors_of_nn_optim_and_gradcheck_print_a_hostile_label_escaped() -> None:
    from micrograd_like import MLP, gradcheck
    from micrograd_like.nn import Neuron
    from micrograd_like.optim import SGD

    neuron = Neuron(2, label="N\x1b[2J")
    with pytest.raises(ValueError) as caught:
        neuron([1.0])
    assert "\x1b" not in str(caught.value) and "N\\x1b[2J" in str(caught.value)
    model = MLP(1, [1], seed=0)
    weight = model.parameters()[0]
    weight.label = "w\x1b[31m"
    weight.grad = float("nan")
    with pytest.raises(FloatingPointError) as stepped:
        SGD(model.parameters(), lr=0.1).step()
    assert "\x1b" not in str(stepped.value) and "w\\x1b[31m" in str(stepped.value)
    x = Value(1.0, "x\x07")
    report = gradcheck(lambda v: v * v, x)
    assert "\x07" not in str(report)


def test_backward_steps_names_a_view_of_the_wrong_type() -> None:
    from micrograd_like import backward_steps

    with pytest.raises(TypeError, match="view must be a GraphView of the root"):
        backward_steps(Value(1.0), view=3)  # type: ignore[arg-type]
