"""The debugging tools against independent oracles: backward() itself, hand-derived chain-rule
formulas, the line numbers Python's own tracebacks report, and finite differences."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_like.debug import (
    AnomalyError,
    GradcheckError,
    backward_steps,
    detect_anomaly,
    explain,
    gradcheck,
)
from micrograd_like.engine import Value


def one_neuron() -> dict[str, Value]:
    """The seeds' network: O = W a_prev + b, a = sigma(O), cost C = (a - y)^2."""
    W, a_prev, b, y = Value(0.8, "W"), Value(1.5, "a_prev"), Value(0.1, "b"), Value(0.5, "y")
    o = W * a_prev + b
    o.label = "O"
    a = o.sigmoid()
    a.label = "a"
    C = (a - y) ** 2
    C.label = "C"
    return {"W": W, "a_prev": a_prev, "b": b, "y": y, "O": o, "a": a, "C": C}


# The seeds' derivatives by hand: dC/da = 2(a - y), da/dO = sigma'(O) = a(1 - a), dO/dW = a_prev
A = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.1)))
DC_DA = 2 * (A - 0.5)
DA_DO = A * (1 - A)
DC_DW = DC_DA * DA_DO * 1.5


# ---- random graphs: shared nodes, every op without a domain restriction

Instruction = tuple[str, int, int]
OPS = ("+", "-", "*", "tanh", "sigmoid", "relu", "neg", "square")


def apply(op: str, a: Value, b: Value) -> Value:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "neg":
        return -a
    if op == "square":
        return a**2
    return getattr(a, op)()  # type: ignore[no-any-return]  # tanh, sigmoid, relu


def build(leaves: list[float], program: list[Instruction]) -> tuple[list[Value], Value]:
    nodes = [Value(x, f"x{i}") for i, x in enumerate(leaves)]
    for op, i, j in program:
        nodes.append(apply(op, nodes[i % len(nodes)], nodes[j % len(nodes)]))
    return nodes, nodes[-1]


graphs = st.tuples(
    st.lists(st.floats(-2, 2), min_size=1, max_size=3),
    st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 50), st.integers(0, 50)),
        min_size=1,
        max_size=10,
    ),
)


@settings(max_examples=60)
@given(graphs)
def test_steps_give_the_same_grads_in_the_same_order_as_backward(
    graph: tuple[list[float], list[Instruction]],
) -> None:
    leaves, program = graph
    nodes, root = build(leaves, program)
    root.backward()
    expected = [node.grad for node in nodes]
    again, root_again = build(leaves, program)
    steps = list(backward_steps(root_again))
    assert [step.node for step in steps] == list(reversed(root_again.topological_order()))
    assert [node.grad for node in again] == expected


@settings(max_examples=60)
@given(graphs)
def test_explain_path_sum_equals_grad_on_random_graphs(
    graph: tuple[list[float], list[Instruction]],
) -> None:
    nodes, root = build(*graph)
    root.backward()
    for leaf in nodes[: len(graph[0])]:
        total = explain(root, leaf, max_paths=10_000).total
        assert total == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)


# ---- backward_steps on the seeds' example


def test_step_lines_read_like_the_seeds() -> None:
    net = one_neuron()
    lines = [str(step) for step in backward_steps(net["C"])]
    # C = (a - y)^2: d/d(a - y) = 2(a - y) = 0.5717; then a - y passes it on with +1 and -1
    assert lines[0] == "dC/dsub7 += dC/dsub7 * dC/dC = 0.5717 * 1.0 = 0.5717"
    assert lines[1] == (
        "dC/da += dsub7/da * dC/dsub7 = 1.0 * 0.5717 = 0.5717\n"
        "dC/dy += dsub7/dy * dC/dsub7 = (-1.0) * 0.5717 = -0.5717"
    )
    assert lines[2] == "dC/dO += da/dO * dC/da = 0.1683 * 0.5717 = 0.0962"  # sigma'(O)
    assert lines[4] == (
        "dC/dW += dmul4/dW * dC/dmul4 = 1.5 * 0.0962 = 0.1443\n"
        "dC/da_prev += dmul4/da_prev * dC/dmul4 = 0.8 * 0.0962 = 0.077"
    )
    assert (round(DC_DA, 4), round(DA_DO, 4), round(DC_DW, 4)) == (0.5717, 0.1683, 0.1443)


def test_step_records_upstream_local_contribution_and_grad_after() -> None:
    net = one_neuron()
    step = next(s for s in backward_steps(net["C"]) if s.node is net["a"])
    assert step.upstream == pytest.approx(DC_DA)
    (share,) = step.shares
    assert share.input is net["O"]
    assert share.local == pytest.approx(DA_DO)
    assert share.contribution == pytest.approx(DC_DA * DA_DO)
    assert share.grad_after == pytest.approx(DC_DA * DA_DO)


def test_a_leaf_yields_a_step_with_its_final_grad() -> None:
    net = one_neuron()
    step = next(s for s in backward_steps(net["C"]) if s.node is net["W"])
    assert step.shares == ()
    assert str(step) == "dC/dW = 0.1443 (a leaf: its gradient is final)"


def test_stopping_early_leaves_only_the_shares_of_the_stepped_nodes() -> None:
    net = one_neuron()
    net["W"].grad = 10.0  # a leaf grad from an earlier backward pass
    net["O"].grad = 10.0  # a stale intermediate grad
    steps = backward_steps(net["C"])
    next(steps)  # C
    next(steps)  # a - y
    assert net["C"].grad == 1.0
    assert net["a"].grad == pytest.approx(DC_DA)  # complete: its only user has stepped
    assert net["O"].grad == 0.0  # reset, and a has not stepped yet
    assert net["W"].grad == 10.0  # leaves keep what they had, plus shares so far (none)


# ---- explain


def test_explain_writes_the_seeds_derivation_with_numbers() -> None:
    net = one_neuron()
    assert str(explain(net["C"], net["W"])) == (
        "dC/dW: 1 path from C to W\n"
        "  path 1: dC/dW = dC/dsub7 * dsub7/da * da/dO * dO/dmul4 * dmul4/dW\n"
        "                = 2 * sub7**(2 - 1) * 1 * sigmoid(O) * (1 - sigmoid(O)) * 1 * a_prev\n"
        "                = 0.5717 * 1.0 * 0.1683 * 1.0 * 1.5\n"
        "                = 0.1443\n"
        "dC/dW = 0.1443 (the one path)"
    )


def test_explain_total_equals_the_hand_derivative_and_backward() -> None:
    net = one_neuron()
    total = explain(net["C"], net["W"]).total
    net["C"].backward()
    assert total == pytest.approx(DC_DW, rel=1e-12)
    assert total == pytest.approx(net["W"].grad, rel=1e-12)


def test_explain_sums_every_path_to_a_node_used_several_times() -> None:
    a = Value(3.0, "a")
    out = a * a + a  # d/da = 2a + 1 = 7, along three paths: a*a twice, then + a
    explanation = explain(out, a)
    assert [path.product for path in explanation.paths] == [3.0, 3.0, 1.0]
    assert explanation.total == 7.0
    out.backward()
    assert a.grad == 7.0


def test_explain_refuses_past_the_path_limit() -> None:
    x = Value(1.01, "x")
    y = x
    for _ in range(7):
        y = y * y  # every squaring doubles the paths: 2**7 = 128
    with pytest.raises(ValueError, match=r"128 paths lead from mul7 to x, more than max_paths=64"):
        explain(y, x)


def test_explain_a_node_the_root_does_not_depend_on() -> None:
    x, q = Value(2.0, "x"), Value(1.0, "q")
    assert str(explain(x * 3, q)) == "mul2 does not depend on q: dmul2/dq = 0"


# ---- detect_anomaly


def test_anomaly_in_forward_names_op_values_and_this_line() -> None:
    x = Value(10.0, "x")
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        _ = x * 1e308
    assert caught.tb is not None
    line = caught.tb.tb_lineno  # where Python itself says the error came from
    message = str(caught.value)
    assert message.startswith("*(10.0, 1e+308) = inf: the forward pass produced a non-finite")
    assert f"{__file__}:{line}: _ = x * 1e308" in message


def test_anomaly_in_backward_names_the_step_and_the_creation_line() -> None:
    x = Value(1e-300, "x")
    with detect_anomaly():
        middle = x * 1e200
        created = sys._getframe().f_lineno - 1  # the line above
        out = middle * 1e200  # forward fine (1e100), but d out/d x = 1e200 * 1e200 = inf
        with pytest.raises(AnomalyError) as caught:
            out.backward()
    message = str(caught.value)
    assert "backward step of *(1e-300, 1e+200) = 1e-100" in message
    assert "got grad inf from local derivative 1e+200 * upstream 1e+200" in message
    assert f"{__file__}:{created}: middle = x * 1e200" in message


def test_detect_anomaly_nests_and_the_inner_block_leaves_the_outer_on() -> None:
    with detect_anomaly():
        with detect_anomaly():
            pass
        with pytest.raises(AnomalyError):
            Value(1e308) * 10
    Value(1e308) * 10  # outside every block: an infinity is allowed again, as in IEEE


def test_detect_anomaly_leaves_finite_results_alone() -> None:
    with detect_anomaly():
        net = one_neuron()
        net["C"].backward()
    assert net["W"].grad == pytest.approx(DC_DW)


# ---- gradcheck


def test_gradcheck_passes_on_correct_ops() -> None:
    report = gradcheck(lambda w, x: (w * x + 0.1).sigmoid().log(), Value(0.8, "w"), 1.5)
    assert report.ok
    assert [row.name for row in report.rows] == ["w", "input 1"]
    assert str(report).splitlines()[0].split() == ["input", "analytic", "numeric", "error", "ok"]


def wrong_tanh(self: Value) -> Value:
    t = math.tanh(self.data)
    return Value.from_op("bad_tanh", t, [self], [1.0 - t])  # wrong: ∂tanh(a)/∂a = 1 - tanh(a)**2


def test_gradcheck_fails_on_a_wrong_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Value, "tanh", wrong_tanh)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x.tanh(), 0.5)
    (row,) = caught.value.report.rows
    assert row.analytic == pytest.approx(1 - math.tanh(0.5))
    assert row.numeric == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-6)
    assert not row.ok
    assert "NO" in str(caught.value)


def test_gradcheck_can_return_a_failing_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Value, "tanh", wrong_tanh)
    report = gradcheck(lambda x: x.tanh(), 0.5, raise_exception=False)
    assert not report.ok


def test_the_one_weight_step_reads_like_seed_002() -> None:
    # a = i * w with i = 1.5, w = 0.8, y = 0.5: dC/da = 2(a - y) = 1.4, da/dw = i = 1.5
    i, w = Value(1.5, "i"), Value(0.8, "w")
    a = i * w
    a.label = "a"
    cost = (a - 0.5) ** 2
    cost.label = "C"
    lines = [str(step) for step in cost.backward_steps()]
    assert "dC/dw += da/dw * dC/da = 1.5 * 1.4 = 2.1" in "\n".join(lines)
