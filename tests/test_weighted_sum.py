"""faster.weighted_sum builds exactly the nodes sum(map(mul, w, x), b) builds: same ops, same
inputs in the same order, same numbers, same errors, same hooks, and the same graph under
no_grad(). The oracle is the operators themselves."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from operator import mul

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_like import Neuron, Value, no_grad
from micrograd_like.faster import weighted_sum
from micrograd_like.modes import hooks

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
extreme = st.one_of(finite, st.sampled_from([math.inf, -math.inf, 0.0, -0.0, 1e308, 5e-324]))


def shape(root: Value, leaves: list[Value]) -> list[tuple[object, ...]]:
    """Every node in order: its op, its inputs (as positions, leaves by identity), its numbers
    as their exact bits."""
    order = root.topological_order()
    where = {id(node): i for i, node in enumerate(order)}
    named = {id(leaf): f"leaf{i}" for i, leaf in enumerate(leaves)}
    return [
        (
            node.op,
            tuple(named.get(id(each), where[id(each)]) for each in node.inputs),
            node.data.hex(),  # the exact bits: 0.0 and -0.0 differ
            tuple(each.hex() for each in node.local_grads),
        )
        for node in order
    ]


def both(weights: list[float], inputs: list[float | Value], start: float) -> tuple[object, object]:
    """Build the sum twice from the same leaves; each side's result or its error."""
    w = [Value(each) for each in weights]
    b = Value(start)
    x = [Value(each) if isinstance(each, float) else each for each in inputs]
    leaves = [*w, b, *(each for each in x if isinstance(each, Value))]
    results: list[object] = []
    builders: list[Callable[[], object]] = [
        lambda: weighted_sum(w, x, b),
        lambda: sum(map(mul, w, x), b),
    ]
    for build in builders:
        try:
            root = build()
        except Exception as error:  # the error itself is compared
            results.append((type(error), str(error)))
        else:
            assert isinstance(root, Value)
            results.append(shape(root, leaves))
    return results[0], results[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(extreme, extreme), min_size=1, max_size=6), extreme)
def test_same_nodes_numbers_and_errors_as_the_operators(
    terms: list[tuple[float, float]], start: float
) -> None:
    ours, theirs = both([w for w, _ in terms], [x for _, x in terms], start)
    assert ours == theirs


def test_plain_number_inputs_become_constants_as_with_the_operators() -> None:
    ours, theirs = both([0.5, -2.0], [3, 0.25], 1.0)  # an int and a float input
    assert ours == theirs


def test_inf_times_zero_raises_the_multiplication_error() -> None:
    with pytest.raises(ValueError, match=r"^\*: \(inf \* 0.0\) is not a number"):
        weighted_sum([Value(math.inf)], [Value(0.0)], Value(1.0))


def test_different_lengths_raise_instead_of_dropping_terms() -> None:
    with pytest.raises(ValueError, match="zip"):
        weighted_sum([Value(1.0), Value(2.0)], [Value(1.0)], Value(0.0))


def test_a_bad_input_names_its_type() -> None:
    with pytest.raises(TypeError, match=r"unsupported operand for \*: Value and str"):
        weighted_sum([Value(1.0)], ["x"], Value(0.0))  # type: ignore[list-item]


def test_gradient_matches_the_formula() -> None:
    w, x, b = [Value(2.0), Value(-3.0)], [Value(5.0), Value(7.0)], Value(1.0)
    z = weighted_sum(w, x, b)
    z.backward()
    assert z.data == 1.0 + 2.0 * 5.0 + -3.0 * 7.0
    assert [each.grad for each in w] == [5.0, 7.0]  # ∂z/∂w_i = x_i
    assert [each.grad for each in x] == [2.0, -3.0]  # ∂z/∂x_i = w_i
    assert b.grad == 1.0


def test_forward_hooks_see_every_node_in_the_order_the_operators_make_them() -> None:
    w, x, b = [Value(2.0), Value(3.0)], [Value(5.0), Value(7.0)], Value(1.0)
    seen: dict[str, list[tuple[str, float]]] = {"ours": [], "theirs": []}
    with hooks(forward=lambda node: seen["ours"].append((node.op, node.data))):
        weighted_sum(w, x, b)
    with hooks(forward=lambda node: seen["theirs"].append((node.op, node.data))):
        sum(map(mul, w, x), b)
    assert seen["ours"] == seen["theirs"] == [("*", 10.0), ("+", 11.0), ("*", 21.0), ("+", 32.0)]


def test_no_grad_gives_a_leaf_with_the_value() -> None:
    with no_grad():
        z = weighted_sum([Value(2.0)], [Value(5.0)], Value(1.0))
    assert (z.data, z.op, z.inputs) == (11.0, "", ())


def test_another_thread_in_no_grad_does_not_stop_this_one_recording() -> None:
    inside, leave = threading.Event(), threading.Event()

    def sit_in_no_grad() -> None:
        with no_grad():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=sit_in_no_grad)
    thread.start()
    try:
        assert inside.wait(10)
        z = weighted_sum([Value(2.0)], [Value(5.0)], Value(1.0))
        assert z.op == "+" and z.inputs[1].op == "*"
    finally:
        leave.set()
        thread.join()


def test_neuron_builds_micrograds_graph() -> None:
    neuron = Neuron(3, activation="linear", seed=0)
    x = [Value(1.0), Value(2.0), Value(3.0)]
    z = neuron(x)
    expected = sum(map(mul, neuron.w, x), neuron.b)
    assert shape(z, [*neuron.w, neuron.b, *x]) == shape(expected, [*neuron.w, neuron.b, *x])


def test_a_subclass_keeps_its_own_operators() -> None:
    calls: list[str] = []

    class Traced(Value):
        __slots__ = ()

        def __mul__(self, other: Value | float) -> Value:
            calls.append("mul")
            return super().__mul__(other)

    weighted_sum([Traced(2.0), Traced(3.0)], [Value(5.0), Value(7.0)], Value(1.0))
    assert calls == ["mul", "mul"]


def test_a_subclass_start_keeps_its_own_addition() -> None:
    class Kept(Value):
        __slots__ = ()

        def __add__(self, other: Value | float) -> Value:
            out = super().__add__(other)
            kept = Kept(out.data)
            kept.label = "kept"
            return kept

    total = weighted_sum([Value(2.0)], [Value(5.0)], Kept(1.0))
    assert (type(total), total.data) == (Kept, 11.0)
    assert type(sum(map(mul, [Value(2.0)], [Value(5.0)]), Kept(1.0))) is Kept


def test_a_sum_an_operator_made_of_your_subclass_keeps_its_addition_for_later_terms() -> None:
    # the third term's input is yours: its reflected operators make the running sum yours too,
    # and from there on each term must go through your __add__, as with the operators
    added: list[float] = []

    class Kept(Value):
        __slots__ = ()

        def __add__(self, other: Value | float) -> Value:
            out = super().__add__(other)
            added.append(out.data)
            return Kept(out.data)

        def __radd__(self, other: float) -> Value:
            return Kept((other + Value(self.data)).data)

        def __rmul__(self, other: float) -> Value:
            return Kept((other * Value(self.data)).data)

    weights = [Value(1.0), Value(2.0), Value(3.0), Value(4.0), Value(5.0)]
    inputs = [Value(1.0), Value(1.0), Kept(1.0), Value(1.0), Value(1.0)]
    total = weighted_sum(weights, inputs, Value(0.0))
    theirs = sum(map(mul, weights, inputs), Value(0.0))
    assert (type(total), total.data) == (type(theirs), theirs.data) == (Kept, 15.0)
    assert added == [10.0, 15.0, 10.0, 15.0]  # the 4th and 5th terms, in each of the two sums
