"""pickle, copy.copy and copy.deepcopy of graphs (`micrograd_like.copies`): any depth, the
same numbers and structure, grads that come out the same, and what is shared stays shared."""

from __future__ import annotations

import copy
import pickle
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_like import MLP, Parameter, Value, modes
from tests.test_topological_order import random_graph

DEPTH = 5_000  # ops in a chain: far beyond the recursion limit, for pickle's and copy's own way


def chain(depth: int = DEPTH) -> tuple[Value, Parameter]:
    w = Parameter(0.9, label="w")
    y = Value(0.5, label="x")
    for _ in range(depth):
        y = (y * w).tanh() + 0.1
    y.label = "y"
    return y, w


def picture(root: Value) -> list[tuple[object, ...]]:
    """A graph as plain numbers: each node's class, data, grad, op, label, local derivatives and
    the places of its inputs in the order (shared nodes show as the same place)."""
    order = root.topological_order()
    place = {id(node): i for i, node in enumerate(order)}
    return [
        (
            type(node),
            node.data,
            node.grad,
            node.op,
            node.label,
            node.local_grads,
            *[place[id(each)] for each in node.inputs],
        )
        for node in order
    ]


def pickled(x: Any) -> Any:
    return pickle.loads(pickle.dumps(x))


def deepcopied(x: Any) -> Any:
    return copy.deepcopy(x)


@pytest.mark.parametrize("copier", [pickled, deepcopied], ids=["pickle", "deepcopy"])
def test_a_chain_far_deeper_than_the_recursion_limit_is_copied(
    copier: Callable[[Any], Any],
) -> None:
    assert sys.getrecursionlimit() < 3 * DEPTH
    y, w = chain()
    y.backward()
    twin = copier(y)
    assert picture(twin) == picture(y)
    assert not set(map(id, twin.topological_order())) & set(map(id, y.topological_order()))
    twin_w = twin.topological_order()[1]
    assert twin_w.label == "w" and type(twin_w) is Parameter
    twin_w.grad = 0.0
    twin.backward()
    assert twin_w.grad == w.grad  # the copy's own pass, the same numbers


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60))
def test_pickle_and_deepcopy_give_the_same_graph_and_grads(seed: int, size: int) -> None:
    root = random_graph(seed, size)[-1]
    root.backward()
    for copier in (pickled, deepcopied):
        twin = copier(root)
        assert isinstance(twin, Value)
        assert picture(twin) == picture(root)
        twin.backward()
        root.backward()
        assert picture(twin) == picture(root)  # leaves accumulate alike: the same grads twice


def test_a_leaf_pickled_in_two_graphs_stays_one_leaf() -> None:
    w = Parameter(2.0, label="w")
    hidden = (w * 3.0).tanh()
    cost = hidden * w
    other = w + 1.0
    w2, cost2, other2 = pickled([w, cost, other])
    assert w2 in cost2.topological_order() and w2 in other2.topological_order()
    cost2.backward()
    cost.backward()
    assert w2.grad == w.grad


def test_deepcopy_keeps_every_shared_node_shared() -> None:
    w = Parameter(2.0, label="w")
    hidden = (w * 3.0).tanh()
    cost = hidden * w
    hidden2, cost2 = deepcopied([hidden, cost])
    assert hidden2 is cost2.input1 and hidden2 is not hidden
    model = MLP(2, [3, 1])
    out = model([1.0, -1.0])
    model2, out2 = deepcopied([model, out])
    assert set(model2.parameters()) <= set(out2.topological_order())


def test_copy_copy_makes_one_node_over_the_same_inputs() -> None:
    x, y = Value(1.5, label="x"), Value(-2.0)
    z = x * y
    z.label, z.grad, z.note = "z", 0.25, "mine"  # type: ignore[attr-defined]
    twin = copy.copy(z)
    assert twin is not z and twin.inputs == (x, y) and twin.local_grads == (-2.0, 1.5)
    assert (twin.data, twin.grad, twin.op, twin.label, twin.note) == (-3.0, 0.25, "*", "z", "mine")  # type: ignore[attr-defined]
    twin.label = "twin"
    assert z.label == "z"  # its own attributes


def test_attributes_come_along_and_search_marks_do_not() -> None:
    model = MLP(2, [2, 1])
    out = model([0.5, 0.25])
    assert isinstance(out, Value)
    out.topological_order()  # every node holds this sort's mark
    for twin in (pickled([model, out]), deepcopied([model, out])):
        model2, out2 = twin
        positions = [getattr(p, "position", None) for p in model.parameters()]
        assert [p.position for p in model2.parameters()] == positions and None not in positions
        assert all(node.mark is None for node in modes.order_with_a_set(out2))  # no sort's
        assert picture(out2) == picture(out)
    leaf = pickled(model.parameters()[0])
    assert isinstance(leaf, Parameter) and leaf.mark is None
