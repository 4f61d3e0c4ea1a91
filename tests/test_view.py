"""The graph as readers see it: one order, ids, names, roles and number format, by hand."""

from __future__ import annotations

import io
import math

import pytest

from micrograd_like import Parameter
from micrograd_like.engine import Value
from micrograd_like.view import (
    ASCII,
    UNICODE,
    GraphView,
    count_nodes,
    format_number,
    notation_for,
    op_word,
)


def seeds_neuron() -> tuple[GraphView, dict[str, Value]]:
    W, a_prev, b, y = Parameter(0.8, "W"), Value(1.5, "a_prev"), Parameter(0.1, "b"), Value(0.5)
    product = W * a_prev
    output = product + b
    output.label = "O"
    C = (output.sigmoid() - y) ** 2
    C.label = "C"
    return GraphView(C), {"W": W, "a_prev": a_prev, "b": b, "y": y, "product": product, "C": C}


def test_the_order_is_the_engines_and_is_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    view, nodes = seeds_neuron()
    assert list(view.order) == nodes["C"].topological_order()

    def no_second_order(self: Value) -> list[Value]:
        raise AssertionError("the view must not walk the graph again")

    monkeypatch.setattr(Value, "topological_order", no_second_order)
    for node in view.order:  # every question answered from what the view holds
        view.id(node), view.name(node), view.role(node)


def test_ids_and_names_follow_the_order() -> None:
    view, nodes = seeds_neuron()
    order = list(view.order)
    i = order.index(nodes["product"])
    assert view.id(nodes["product"]) == f"n{i}"
    assert view.name(nodes["product"]) == f"mul{i}"
    assert view.name(nodes["W"]) == "W"
    y = nodes["y"]
    assert view.name(y) == f"const{order.index(y)}"  # unlabelled leaf: a constant


def test_roles_by_hand() -> None:
    view, nodes = seeds_neuron()
    assert view.role(nodes["C"]) == "root"
    assert view.role(nodes["W"]) == view.role(nodes["b"]) == "parameter"
    assert view.role(nodes["a_prev"]) == "input"
    assert view.role(nodes["y"]) == "constant"
    assert view.role(nodes["product"]) == "intermediate"
    assert view.roles() == ["input", "constant", "parameter", "intermediate", "root"]


def test_a_node_outside_the_graph_is_named_in_the_error() -> None:
    view, _ = seeds_neuron()
    with pytest.raises(ValueError, match=r"Value\(data=3.0.* is not in the graph of C"):
        view.id(Value(3.0))


def test_a_view_of_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"GraphView: root must be a Value, got float: 3\.0"):
        GraphView(3.0)  # type: ignore[arg-type]


def test_op_words() -> None:
    assert [op_word(op) for op in ("", "+", "-", "*", "/", "**", "**2", "tanh")] == [
        "leaf",
        "add",
        "sub",
        "mul",
        "div",
        "pow",
        "pow",
        "tanh",
    ]


def test_operand_names_only_where_order_matters() -> None:
    x, y = Value(1.0, "x"), Value(2.0, "y")
    for out, names in ((x - y, ("a", "b")), (x / y, ("a", "b")), (x**y, ("base", "exp"))):
        assert GraphView(out).operand_names(out) == names
    for out in (x + y, x * y, x**2, x.tanh()):
        assert GraphView(out).operand_names(out) == ()


def test_format_number_never_rounds_a_small_value_to_zero() -> None:
    assert format_number(0.14431667874730264) == "0.1443"
    assert format_number(1.5e-7) == "1.5e-07"
    assert format_number(0.0) == "0.0"
    assert format_number(-2.0) == "-2.0"
    assert format_number(math.inf) == "inf"


def test_count_nodes_stops_just_past_the_limit() -> None:
    chain = Value(1.0)
    for _ in range(1_000):
        chain = chain.tanh()  # 1,001 nodes
    assert count_nodes(chain, 5_000) == 1_001
    assert count_nodes(chain, 10) == 11
    assert count_nodes(chain, 1_001) == 1_001
    assert count_nodes(chain, 1_000) == 1_001


def test_notation_follows_what_the_stream_can_encode() -> None:
    assert notation_for(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")) is UNICODE
    assert notation_for(io.TextIOWrapper(io.BytesIO(), encoding="latin-1")) is ASCII
    assert notation_for(io.TextIOWrapper(io.BytesIO(), encoding="ascii")) is ASCII
    assert notation_for(io.StringIO()) is UNICODE  # a str buffer holds any character
    assert UNICODE.local("mul4", "W") == "∂mul4/∂W"
    assert UNICODE.grad("C", "W") == "dC/dW"
