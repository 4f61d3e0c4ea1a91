"""The command line end to end: printed derivatives, written pictures, and one-line errors
with exit status 2 for everything it refuses, with nothing run and nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_like.__main__ import main

EXAMPLE = ["graph", "2*x**2 + 3*x*y + y**3", "x=1", "y=2"]


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the command line, check it failed the documented way, and return its error."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("micrograd-like: error: ")
    assert err.count("\n") == 1
    return err


def test_prints_the_value_and_each_partial_derivative(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(EXAMPLE) == 0
    # by hand: 2+6+8 = 16, d/dx = 4x + 3y = 10, d/dy = 3x + 3y^2 = 15
    assert capsys.readouterr().out == "value  16\nd/dx   10\nd/dy   15\n"


def test_writes_the_graph_in_the_suffix_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "graph.svg"
    assert main([*EXAMPLE, "-o", str(target)]) == 0
    assert capsys.readouterr().out.endswith(f"wrote {target}\n")
    svg = target.read_text()
    assert svg.startswith("<?xml")
    assert "data 16.0" in svg
    assert "grad 15.0" in svg


def test_no_grad_prints_the_value_and_draws_the_forward_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "graph.dot"
    assert main([*EXAMPLE, "--no-grad", "--rankdir", "TB", "-o", str(target)]) == 0
    assert capsys.readouterr().out == f"value  16\nwrote {target}\n"
    source = target.read_text()
    assert "rankdir=TB" in source
    assert "grad" not in source


def test_help_explains_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "--help"]) == 0
    text = capsys.readouterr().out
    assert 'micrograd-like graph "2*x**2 + 3*x*y + y**3" x=1 y=2 -o graph.svg' in text
    assert "never run with eval" in text


def test_a_domain_error_is_one_line_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "graph.svg"
    err = refused(capsys, ["graph", "log(x)", "x=-1", "-o", str(target)])
    assert "log(-1.0): input must be > 0" in err
    assert not target.exists()


def test_an_overflow_names_the_op_instead_of_printing_inf(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "graph.svg"
    err = refused(capsys, ["graph", "x * 1e308 * 10", "x=2", "-o", str(target)])
    assert "*(2.0, 1e+308) has the value inf" in err
    assert not target.exists()


def test_an_overflowing_gradient_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # each value is finite, but d(x*y*z)/dz = x*y = 1e400 is not
    err = refused(capsys, ["graph", "x * (y * z)", "x=1e200", "y=1e200", "z=1e-300"])
    assert "has the gradient inf" in err


HOSTILE = [
    ["__import__('os').system('touch PWNED')"],
    ["exp(__import__('os').system('touch PWNED'))"],
    ["x.__class__", "x=1"],
    ["exp.__globals__"],
    ["open('PWNED', 'w')"],
    ["print(1)"],
    ["(lambda: 1)()"],
    ["x[0]", "x=1"],
    ["[x for x in (1, 2)]"],
    ["{x: 1 for x in (1, 2)}"],
    ["9**9**9"],
    ["x ** 1000", "x=2"],
    ["'a' * 3"],
    ["x * y", "x=1"],
    ["x * y", "x=1", "y=2", "z=3"],
    ["x", "x"],
    ["x", "x=1=2"],
    ["x", "x=abc"],
    ["x", "1x=2"],
    ["x", "x=1", "x=2"],
    ["x" * 2000, "x=1"],
    ["exp(" * 120 + "x" + ")" * 120, "x=1"],
    ["(" * 300 + "x" + ")" * 300, "x=1"],
    ["x / 0", "x=1"],
    ["exp(x)", "x=1000"],
    ["relu(x)", "x=1", "-o", "graph.gif"],
    ["relu(x)", "x=1", "-o", "missing-folder/graph.svg"],
    ["relu(x)", "x=1", "--rankdir", "XY"],
]


@pytest.mark.parametrize("arguments", HOSTILE, ids=lambda a: " ".join(a)[:40])
def test_hostile_input_is_refused_with_nothing_run_or_written(
    arguments: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["graph", *arguments]
    if "-o" not in arguments:
        argv += ["-o", "graph.svg"]
    refused(capsys, argv)
    assert list(tmp_path.iterdir()) == []  # no PWNED, no graph, no temporary file


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, [])
    assert "(see micrograd-like --help)" in err


def test_runs_as_python_dash_m(tmp_path: Path) -> None:
    target = tmp_path / "graph.png"
    run = subprocess.run(
        [sys.executable, "-m", "micrograd_like", *EXAMPLE, "-o", str(target)],
        capture_output=True,
        text=True,
    )
    assert (run.returncode, run.stdout) == (0, f"value  16\nd/dx   10\nd/dy   15\nwrote {target}\n")
    assert target.read_bytes().startswith(b"\x89PNG")


# ---- hints for the usual slips


@pytest.mark.parametrize(
    ("arguments", "hint"),
    [
        (["x^2", "x=1"], "for a power write ** (x**2)"),
        (["tahn(x)", "x=1"], "did you mean tanh?"),
        (["2x + 1", "x=1"], "for a product write 2*x, not 2x"),
        (["2*x", "+", "1", "x=1"], 'quote the whole expression: micrograd-like graph "2*x + 1"'),
    ],
)
def test_a_usual_slip_gets_a_hint(
    arguments: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hint in refused(capsys, ["graph", *arguments])


def test_an_expression_may_start_with_a_minus_sign(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "g.svg"
    assert main(["graph", "-x+1", "x=2", "-o", str(target), "--rankdir", "TB"]) == 0
    out, _ = capsys.readouterr()
    assert out == f"value  -1\nd/dx   -1\nwrote {target}\n"  # -2 + 1 and d(-x + 1)/dx, by hand
    assert target.exists()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from micrograd_like import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"micrograd-like {__version__}\n"


# ---- names as Python reads them, and a report the console cannot encode


def test_a_full_width_name_is_the_name_python_reads(capsys: pytest.CaptureFixture[str]) -> None:
    # Python's parser folds ｘ (U+FF58) to x (NFKC): the value given as ｘ=3 is x's
    assert main(["graph", "ｘ*2", "ｘ=3"]) == 0
    assert capsys.readouterr().out == "value  6\nd/dx   2\n"
    assert main(["graph", "ｘ*2", "x=3"]) == 0
    assert main(["graph", "x*2", "ｘ=3"]) == 0


def test_a_name_given_twice_in_two_forms_says_python_reads_them_as_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = refused(capsys, ["graph", "x*2", "x=1", "ｘ=2"])
    assert "x is given twice: 'ｘ' is read as 'x', as Python reads names" in err


def test_a_full_width_keyword_is_named_as_the_keyword_it_reads_as(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = refused(capsys, ["graph", "ｉｆ+1", "x=1"])
    assert "'ｉｆ' reads as 'if', a Python keyword, not a name" in err


def test_a_written_file_is_success_even_where_the_console_cannot_print_its_path(
    tmp_path: Path,
) -> None:
    target = tmp_path / "γράφημα.svg"
    run = subprocess.run(
        [sys.executable, "-m", "micrograd_like", "graph", "π*2", "π=1", "-o", str(target)],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )
    assert (run.returncode, run.stderr) == (0, b"")
    assert target.read_bytes().startswith(b"<?xml")
    path = str(target).encode("ascii", "backslashreplace")
    assert run.stdout == b"value  2\nd/d\\u03c0   2\nwrote " + path + b"\n"


# ---- naming the parts, and the slips of values and names


SEED_002 = ["graph", "a = i*w; C = (a - y)**2", "i=1.5", "w=0.8", "y=0.5"]


def test_named_parts_print_and_draw_as_the_seed_writes_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "seed.dot"
    assert main([*SEED_002, "-o", str(target)]) == 0
    # seed 002 by hand: a = 1.2, C = 0.7^2, dC/da = 2(a - y) = 1.4, dC/dw = 1.4 i = 2.1,
    # dC/di = 1.4 w = 1.12, dC/dy = -1.4
    assert capsys.readouterr().out == (
        "a      1.2\nC      0.49\ndC/di  1.12\ndC/dw  2.1\ndC/dy  -1.4\ndC/da  1.4\n"
        f"wrote {target}\n"
    )
    source = target.read_text()
    assert ">a</" in source and ">C</" in source  # the boxes carry the names
    assert ">f</" not in source and "mul" not in source


def test_an_unnamed_output_is_still_the_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "a = i*w; (a - y)**2", "i=1.5", "w=0.8", "y=0.5", "--no-grad"]) == 0
    assert capsys.readouterr().out == "a      1.2\nvalue  0.49\n"


def test_help_documents_the_parts_and_the_values_without_spaces(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["graph", "--help"]) == 0
    text = capsys.readouterr().out
    assert 'micrograd-like graph "a = i*w; C = (a - y)**2" i=1.5 w=0.8 y=0.5' in text
    assert "x=1, not x = 1" in text


@pytest.mark.parametrize(
    ("values", "pieces"),
    [
        (["x", "=", "1"], "'x = 1' is 3 arguments"),
        (["x=", "1"], "'x= 1' is 2 arguments"),
        (["x", "=1"], "'x =1' is 2 arguments"),
        (["y=2", "x", "=", "-1.5"], "'x = -1.5' is 3"),
    ],
)
def test_a_value_split_at_its_spaces_says_to_write_it_without(
    values: list[str], pieces: str, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(capsys, ["graph", "x**2 + y", *values])
    assert pieces in err
    assert "without spaces: x=" in err
    assert "quote the whole expression" not in err  # the old, wrong advice: "x**2 x 1"


def test_a_name_that_differs_in_case_gets_a_did_you_mean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = refused(capsys, ["graph", "X**2", "x=1"])
    assert "no value for X: did you mean x? (names are case-sensitive" in err


def test_a_part_given_as_a_separate_argument_says_where_parts_go(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = refused(capsys, ["graph", "(a - y)**2", "a = i*w", "i=1.5", "w=0.8", "y=0.5"])
    assert "put it inside the expression, before the output" in err
