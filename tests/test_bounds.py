"""Every reader says how much it will do before doing it: explain() counts the paths and the
local derivatives it would write, draw_dot() reads its number format and shortens what a box
cannot hold, each refusing what is past its limit with the limit's name and how to raise it."""

from __future__ import annotations

import re
import time

import pytest

from micrograd_like.engine import OPS, Value
from micrograd_like.steps import explain
from micrograd_like.viz import MAX_DRAWN_NAME, draw_dot, render_bytes, shorten
from tests.test_viz import svg_texts

# ---- explain: paths and local derivatives counted before any is written


def fanned_chain(squarings: int, depth: int) -> tuple[Value, Value]:
    """2**squarings paths from the root down to x, each through a chain `depth` nodes long."""
    x = Value(1.0, "x")
    y = x
    for _ in range(squarings):
        y = y * y
    for _ in range(depth):
        y = y * 1.0
    return y, x


def test_explain_refuses_more_local_derivatives_than_max_factors_before_writing_any() -> None:
    root, x = fanned_chain(6, 2_000)  # 64 paths of 2,006 factors: 128,384 in all
    with pytest.raises(ValueError) as refused:
        explain(root, x)
    assert str(refused.value) == (
        "explain(mul4006, x): the 64 paths from mul4006 to x hold 128,384 local derivatives "
        "in all, more than max_factors=100,000: too long a text to write and to read; explain "
        "from a node nearer the leaf, or raise max_factors"
    )


def test_explain_takes_the_limit_its_refusal_advises() -> None:
    root, x = fanned_chain(2, 300)  # 4 paths of 302 factors: 1,208
    with pytest.raises(ValueError, match="hold 1,208 local derivatives in all, more than"):
        explain(root, x, max_factors=1_000)
    explanation = explain(root, x, max_factors=1_208)
    assert sum(len(path.factors) for path in explanation.paths) == 1_208


def test_one_long_path_is_counted_as_one_path_of_many_factors() -> None:
    root, x = fanned_chain(0, 50)
    with pytest.raises(ValueError, match=r"the 1 path from mul100 to x holds 50 local deriv"):
        explain(root, x, max_factors=49)
    assert len(explain(root, x, max_factors=50).paths[0].factors) == 50


def test_a_count_of_thousands_of_digits_is_written_as_a_power_of_ten() -> None:
    x = Value(1.0, "x")
    y = x
    for _ in range(17_000):
        y = y + y  # 2**17000 paths: a 5,118-digit number, past Python's int-to-str limit
    started = time.perf_counter()
    with pytest.raises(ValueError) as refused:
        explain(y, x)
    assert time.perf_counter() - started < 2  # counted no further than the limit
    assert str(refused.value).startswith(
        "explain(add17000, x): about 3.2e5117 paths lead from add17000 to x, more than max_paths=64"
    )


def test_a_count_below_the_exact_limit_is_written_exactly() -> None:
    x = Value(1.0, "x")
    y = x
    for _ in range(40):
        y = y + y
    with pytest.raises(ValueError, match=r": 1,099,511,627,776 paths lead from add40 to x"):
        explain(y, x)


@pytest.mark.parametrize(
    ("limit", "error"), [(0, ValueError), (None, TypeError), (2.0, TypeError), (True, TypeError)]
)
def test_max_factors_must_be_a_whole_number_of_at_least_one(
    limit: object, error: type[Exception]
) -> None:
    x = Value(1.0, "x")
    with pytest.raises(error, match=r"explain: max_factors must be a whole number of at least 1"):
        explain(x * 2, x, max_factors=limit)  # type: ignore[arg-type]


# ---- draw_dot: the number format is read before any number is written with it


@pytest.mark.parametrize(
    ("number_format", "part", "size"),
    [("100000000", "width", "100,000,000"), (".100000000f", "precision", "100,000,000")],
)
def test_a_number_format_wider_than_a_box_is_refused_at_once(
    number_format: str, part: str, size: str
) -> None:
    started = time.perf_counter()
    with pytest.raises(ValueError) as refused:
        draw_dot(Value(1.0, "x"), number_format=number_format)
    assert time.perf_counter() - started < 0.5  # no 100-million-character number was made
    assert str(refused.value).startswith(
        f"draw_dot: number_format {number_format!r} asks for a {part} of {size} characters; "
        "the width and the precision may be at most 40"
    )


def test_the_widest_accepted_number_format_draws() -> None:
    source = draw_dot(Value(0.5, "x"), number_format=">40.40f").source
    assert f"data {0.5:>40.40f}" in source


@pytest.mark.parametrize(
    ("number_format", "shown"),
    [("9" * 5_000, "'9{40}'"), ("." + "9" * 5_000 + "f", r"'\.9{39}'")],
)
def test_a_number_format_of_thousands_of_digits_is_refused_without_reading_them(
    number_format: str, shown: str
) -> None:
    # int() of those digits would itself raise: past Python's limit of 4,300 digits
    with pytest.raises(ValueError, match=rf"draw_dot: number_format {shown}\.\.\. is not a float"):
        draw_dot(Value(1.0, "x"), number_format=number_format)


def test_a_number_format_that_is_not_a_str_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"draw_dot: number_format must be a str such as '\.4f'"):
        draw_dot(Value(1.0, "x"), number_format=123)  # type: ignore[arg-type]


# ---- draw_dot: a name longer than a box is drawn shortened


def test_a_label_past_graphvizs_limit_is_drawn_shortened_with_an_ellipsis() -> None:
    label = "a" * 10_000 + "b" * 10_000  # 20,000 characters: Graphviz's limit is 16,384
    x = Value(1.0, label)
    texts = svg_texts(render_bytes(draw_dot(x * 2), "svg"))
    assert shorten(label) == "a" * 30 + "…" + "b" * 29
    assert shorten(label) in texts
    assert len(shorten(label)) == MAX_DRAWN_NAME


def test_a_long_label_of_characters_that_escape_long_still_draws() -> None:
    label = "<&\x1b>" * 5_000  # each character written as up to five in the drawing's markup
    texts = svg_texts(render_bytes(draw_dot(Value(1.0, label) * 2), "svg"))
    assert any(text.startswith("<&\\x1b><&") and "…" in text for text in texts)


def test_a_long_op_name_is_drawn_shortened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("micrograd_like.engine.OPS", dict(OPS))  # the new op leaves no trace
    name = "op" + "x" * 20_000
    y = Value.from_op(name, 2.0, [Value(1.0, "a")], [1.0])
    y.label = "y"
    texts = svg_texts(render_bytes(draw_dot(y), "svg"))
    assert shorten(name) in texts


def test_a_short_name_is_drawn_whole() -> None:
    name = "n" * MAX_DRAWN_NAME
    assert shorten(name) == name
    source = draw_dot(Value(1.0, name)).source
    assert re.search(rf"\b{name}\b", source)
