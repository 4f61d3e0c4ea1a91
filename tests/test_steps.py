"""Watching backprop (steps.py) against independent oracles: backward() itself, hand-derived
chain-rule numbers, and grads snapshotted before and after."""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Callable, Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_like.engine import Parameter, Value
from micrograd_like.losses import mse
from micrograd_like.nn import MLP
from micrograd_like.steps import BackwardStep, backward_steps, explain
from micrograd_like.view import ASCII, GraphView
from tests.registry_ops import registry_ops


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


# ---- random graphs: shared nodes, every op of the registry (inside its domain)

Instruction = tuple[str, int, int]
ONE_INPUT, TWO_INPUTS = registry_ops(1), registry_ops(2)
OP_NAMES = tuple(sorted(ONE_INPUT)) + tuple(sorted(TWO_INPUTS))


def apply(op: str, a: Value, b: Value) -> Value:
    return ONE_INPUT[op](a) if op in ONE_INPUT else TWO_INPUTS[op](a, b)


def build(leaves: list[float], program: list[Instruction]) -> tuple[list[Value], Value]:
    nodes = [Value(x, f"x{i}") for i, x in enumerate(leaves)]
    for op, i, j in program:
        nodes.append(apply(op, nodes[i % len(nodes)], nodes[j % len(nodes)]))
    return nodes, nodes[-1]


graphs = st.tuples(
    st.lists(st.floats(-2, 2), min_size=1, max_size=3),
    st.lists(
        st.tuples(st.sampled_from(OP_NAMES), st.integers(0, 50), st.integers(0, 50)),
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


def test_step_lines_write_local_derivatives_with_partial_and_gradients_with_d() -> None:
    net = one_neuron()
    lines = [str(step) for step in backward_steps(net["C"])]
    # C = (a - y)^2: ∂C/∂(a - y) = 2(a - y) = 0.5717; then a - y passes it on with +1 and -1
    assert lines[0] == (
        "dC/dC = 1 (the root: the gradient of C itself)\n"
        "dC/dsub7 += ∂C/∂sub7 × dC/dC = 0.5717 × 1.0 = 0.5717"
    )
    assert lines[1] == (
        "dC/da += ∂sub7/∂a × dC/dsub7 = 1.0 × 0.5717 = 0.5717\n"
        "dC/dy += ∂sub7/∂y × dC/dsub7 = (-1.0) × 0.5717 = -0.5717"
    )
    assert lines[2] == "dC/dO += ∂a/∂O × dC/da = 0.1683 × 0.5717 = 0.0962"  # sigma'(O)
    assert lines[4] == (
        "dC/dW += ∂mul4/∂W × dC/dmul4 = 1.5 × 0.0962 = 0.1443\n"
        "dC/da_prev += ∂mul4/∂a_prev × dC/dmul4 = 0.8 × 0.0962 = 0.077"
    )
    assert (round(DC_DA, 4), round(DA_DO, 4), round(DC_DW, 4)) == (0.5717, 0.1683, 0.1443)


def test_a_stream_that_cannot_encode_partial_gets_plain_ascii(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    net = one_neuron()
    buffer = io.BytesIO()
    latin1 = io.TextIOWrapper(buffer, encoding="latin-1")
    monkeypatch.setattr(sys, "stdout", latin1)
    for step in backward_steps(net["C"]):
        print(step)  # would raise UnicodeEncodeError with ∂ or ×
    print(explain(net["C"], net["W"]))
    latin1.flush()
    monkeypatch.undo()
    text = buffer.getvalue().decode("latin-1")
    assert "dC/dW += partial mul4/partial W * dC/dmul4 = 1.5 * 0.0962 = 0.1443" in text
    assert "dC/dW = partial C/partial sub7 * partial sub7/partial a" in text
    assert text.isascii()


def test_the_ascii_notation_is_there_for_any_caller() -> None:
    step = next(backward_steps(one_neuron()["C"]))
    assert step.text(ASCII).splitlines()[1] == (
        "dC/dsub7 += partial C/partial sub7 * dC/dC = 0.5717 * 1.0 = 0.5717"
    )


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
    assert str(step) == "dC/dW = 0.1443 (a leaf: final)"


def test_after_a_backward_a_leaf_line_gives_this_pass_and_what_the_grad_holds() -> None:
    net = one_neuron()
    x = Value(2.0, "x")
    cost = x * 5.0  # dcost/dx = 5, by hand
    cost.label = "C"
    cost.backward()  # x.grad = 5
    steps = list(backward_steps(cost))  # a second pass: x.grad = 10
    assert x.grad == 10.0
    assert next(str(step) for step in steps if step.node is x) == (
        "dC/dx = 5.0 (a leaf: final for this pass; x.grad holds 10.0, as it held 5.0 before: "
        "leaf grads add up)"
    )
    steps = list(backward_steps(net["C"]))  # fresh leaves: the plain line, the hand number
    assert next(s for s in steps if s.node is net["W"]).upstream == pytest.approx(DC_DW)


def test_each_share_records_this_pass_apart_from_the_accumulated_grad() -> None:
    x = Value(3.0, "x")
    x.grad = 100.0  # left over from an earlier pass
    out = x * x  # d(x^2)/dx = 2x = 6 by hand, in two shares of 3
    (step, leaf) = list(backward_steps(out))
    assert [share.this_pass for share in step.shares] == [6.0, 6.0]  # both shares in by then
    assert [share.grad_after for share in step.shares] == [106.0, 106.0]
    assert leaf.upstream == 6.0 and leaf.grad_before == 100.0


def test_a_root_that_is_a_leaf_reads_sensibly() -> None:
    (step,) = list(backward_steps(Value(2.0, "x")))
    assert str(step) == "dx/dx = 1.0 (the root: final)"


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
        "  path 1: dC/dW = ∂C/∂sub7 × ∂sub7/∂a × ∂a/∂O × ∂O/∂mul4 × ∂mul4/∂W\n"
        "                = 2 * sub7**(2 - 1) × 1 × sigmoid(O) * (1 - sigmoid(O)) × 1 × a_prev\n"
        "                = 0.5717 × 1.0 × 0.1683 × 1.0 × 1.5\n"
        "                = 0.1443\n"
        "dC/dW = 0.1443 (the one path)"
    )


def test_explain_of_a_node_itself_is_not_written_as_its_own_gradient() -> None:
    a = Value(3.0, "a")
    out = a * a + a
    out.label = "out"
    text = str(explain(out, a))
    assert "  path 3: dout/da = ∂out/∂a\n" in text
    assert "dout/da = dout/da" not in text


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


def test_explain_changes_no_grad() -> None:
    net = one_neuron()
    net["C"].backward()
    before = [node.grad for node in net["C"].topological_order()]
    explain(net["C"], net["W"])
    assert [node.grad for node in net["C"].topological_order()] == before


def test_explain_a_deep_chain_writes_every_factor_once() -> None:
    x = Value(2.0, "x")
    y = x
    for _ in range(20_000):
        y = y * 1.0
    explanation = explain(y, x)
    assert explanation.total == 1.0
    assert str(explanation).count("∂") == 2 * 20_000


def test_paths_share_their_common_beginning_instead_of_copying_it() -> None:
    # What makes explain linear in what it prints: a path is its last factor plus a pointer to
    # the path it extends, so two paths through a long common stretch hold it once. (The old
    # explain copied the factor tuple at every node: 40,000 deep took 3.5 s, 200,000 minutes.)
    x = Value(2.0, "x")
    square = x * x  # two paths from here down to x
    y = square
    for _ in range(50):
        y = y * 1.0
    first, second = explain(y, x).paths
    assert first.end is not None and second.end is not None
    assert first.end is not second.end
    assert first.end.parent is second.end.parent  # the 50 factors above x * x: one chain
    assert len(first.factors) == len(second.factors) == 51


def test_explain_a_sum_past_the_largest_float_is_inf_as_backward_gives() -> None:
    x = Value(1.0, "x")
    out = x * 1e308 + x * 1e308  # two finite paths whose sum overflows
    explanation = explain(out, x)
    assert [path.product for path in explanation.paths] == [1e308, 1e308]
    assert explanation.total == math.inf
    assert str(explanation).endswith("dadd5/dx = inf (the sum over the paths)")
    out.backward()
    assert x.grad == math.inf  # what explain must agree with
    negative = x * -1e308 + x * -1e308
    assert explain(negative, x).total == -math.inf


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((3.0, "x"), TypeError, "explain: root must be a Value, got float: 3.0"),
        (("root", "x"), TypeError, "explain: root must be a Value, got str"),
    ],
)
def test_explain_names_a_bad_argument(
    args: tuple[object, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        explain(*args)  # type: ignore[arg-type]


def test_explain_names_a_bad_leaf_and_a_bad_max_paths() -> None:
    x = Value(1.0, "x")
    with pytest.raises(TypeError, match="explain: leaf must be a Value, got str: 'x'"):
        explain(x * 2, "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_paths must be a whole number of at least 1, got 0"):
        explain(x * 2, x, max_paths=0)
    with pytest.raises(TypeError, match="max_paths must be a whole number"):
        explain(x * 2, x, max_paths=None)  # type: ignore[arg-type]


def test_the_one_weight_step_reads_like_seed_002() -> None:
    # a = i * w with i = 1.5, w = 0.8, y = 0.5: dC/da = 2(a - y) = 1.4, ∂a/∂w = i = 1.5
    i, w = Value(1.5, "i"), Value(0.8, "w")
    a = i * w
    a.label = "a"
    cost = (a - 0.5) ** 2
    cost.label = "C"
    lines = [str(step) for step in backward_steps(cost)]
    assert "dC/dw += ∂a/∂w × dC/da = 1.5 × 1.4 = 2.1" in "\n".join(lines)


def test_a_paused_stepper_refuses_to_go_on_after_another_pass() -> None:
    net = one_neuron()
    steps = backward_steps(net["C"])
    next(steps)
    net["C"].backward()  # another pass over the same nodes while the stepper is paused
    with pytest.raises(RuntimeError, match="another backward pass ran over"):
        next(steps)
    net["C"].backward()  # the grads are those of one whole pass, not a mix
    assert net["W"].grad == pytest.approx(2 * DC_DW, rel=1e-12)  # two whole passes, by hand


def test_backward_steps_of_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="backward_steps: root must be a Value, got float"):
        backward_steps(3.0)  # type: ignore[arg-type]


def test_explain_refuses_a_path_where_an_overflow_meets_a_zero() -> None:
    x = Value(-1.0, "x")
    root = x.relu() * 1e200 * 1e200  # from the root down: 1e200 x 1e200 = inf, then relu's 0
    with pytest.raises(ArithmeticError, match=r"the product inf x 0.0 is not a number"):
        explain(root, x)
    with pytest.raises(ArithmeticError):  # the oracle: the backward pass refuses it too
        root.backward()


# ---- less to read: constants=False and identity=False


def texts(steps: Iterable[BackwardStep]) -> list[str]:
    return [line for step in steps for line in step.text().splitlines()]


def test_identity_false_writes_the_seeds_three_factors() -> None:
    # the seeds' dC/dW = dC/da × da/dO × dO/dW = 2(a - y) × sigma'(O) × a_prev: the two 1s of
    # a - y and of W a_prev + b go, and so the product's three factors are the seeds' own
    net = one_neuron()
    assert str(explain(net["C"], net["W"], identity=False)) == (
        "dC/dW: 1 path from C to W\n"
        "  path 1: dC/dW = ∂C/∂sub7 × ∂a/∂O × ∂mul4/∂W\n"
        "                = 2 * sub7**(2 - 1) × sigmoid(O) * (1 - sigmoid(O)) × a_prev\n"
        "                = 0.5717 × 0.1683 × 1.5\n"
        "                = 0.1443 (2 factors of 1 left out)\n"
        "dC/dW = 0.1443 (the one path)"
    )
    assert explain(net["C"], net["W"], identity=False).total == pytest.approx(DC_DW, rel=1e-12)


def test_identity_false_steps_pass_the_gradient_through_without_times_one() -> None:
    net = one_neuron()
    assert texts(backward_steps(net["C"], identity=False))[:9] == [
        "dC/dC = 1 (the root: the gradient of C itself)",
        "dC/dsub7 += ∂C/∂sub7 = 0.5717",  # × dC/dC, which is 1, left out
        "dC/da += dC/dsub7 = 0.5717",  # ∂(a - y)/∂a = 1 left out
        "dC/dy += ∂sub7/∂y × dC/dsub7 = (-1.0) × 0.5717 = -0.5717",  # -1 is no identity
        "dC/dO += ∂a/∂O × dC/da = 0.1683 × 0.5717 = 0.0962",
        "dC/dmul4 += dC/dO = 0.0962",
        "dC/db += dC/dO = 0.0962",
        "dC/dW += ∂mul4/∂W × dC/dmul4 = 1.5 × 0.0962 = 0.1443",
        "dC/da_prev += ∂mul4/∂a_prev × dC/dmul4 = 0.8 × 0.0962 = 0.077",
    ]


def test_a_factor_that_only_happens_to_be_one_stays() -> None:
    # x = 1.0 makes ∂(w x)/∂w = 1.0, and n = 1 makes ∂mse/∂(sum) = 1/n = 1.0: part of the
    # derivation, kept; only the + and the a of a - b, which are 1 for every number, go
    w, x = Value(0.5, "w"), Value(1.0, "x")
    cost = mse([w * x], [0.0])  # (w x - 0)^2 / 1: d cost / d w = 2 w x * x = 1.0 by hand
    explanation = explain(cost, w, identity=False)
    assert str(explanation).splitlines()[1:4] == [
        "  path 1: dmse/dw = ∂mse/∂pow6 × ∂pow6/∂sub5 × ∂mul4/∂w",
        "                  = (1 / const0) × 2 * sub5**(2 - 1) × x",
        "                  = 1.0 × 1.0 × 1.0",
    ]
    assert explanation.total == 1.0


def test_a_path_of_identities_only_says_so() -> None:
    x = Value(2.0, "x")
    y = x + 1.0
    z = y + y
    z.label = "z"
    assert str(explain(z, x, identity=False)) == (
        "dz/dx: 2 paths from z to x\n"
        "  path 1: dz/dx = 1.0 (all 2 local derivatives on it are 1)\n"
        "  path 2: dz/dx = 1.0 (all 2 local derivatives on it are 1)\n"
        "dz/dx = 2.0 (the sum over the paths)"
    )
    assert str(explain(x + 1.0, x, identity=False)).splitlines()[1] == (
        "  path 1: dadd2/dx = 1.0 (its one local derivative is 1)"
    )


def test_constants_false_leaves_out_the_targets_and_the_mean_s_n() -> None:
    # the noise: lines into the mean's divisor and the targets
    w = Value(0.5, "w")
    cost = mse([w * 3, w * 2], [1.0, 0.0])  # d/dw = (2 (3w - 1) 3 + 2 (2w) 2) / 2 = 3.5
    full = texts(backward_steps(cost))
    cost.zero_grad()
    thin = texts(backward_steps(cost, constants=False))
    assert sum("const" in line for line in full) == 10  # n, two targets, two factors 3 and 2
    assert not any("const" in line for line in thin)
    assert thin == [line for line in full if "/dconst" not in line]
    assert thin[-1] == "dmse/dw = 3.5 (a leaf: final)"


def test_constants_false_keeps_labelled_leaves_and_drops_numbers_made_of_numbers() -> None:
    x, y = Value(2.0, "x"), Value(0.5, "y")  # y, a labelled target: an input, kept
    offset = Value(2.0) * 3  # made of constants alone: a constant too
    cost = (x - y) ** 2 + offset
    cost.label = "C"
    steps = list(backward_steps(cost, constants=False))
    assert [step.name for step in steps] == ["C", "pow6", "sub5", "x", "y"]
    assert [share.name for share in steps[0].shares] == ["pow6"]
    assert x.grad == 2 * (2.0 - 0.5) and offset.grad == 1.0  # the whole pass ran all the same
    root = Value(2.0) * 3  # a root made of constants: the root always steps
    assert [step.node for step in backward_steps(root, constants=False)] == [root]


def test_constants_false_writes_a_constant_in_a_formula_as_its_number() -> None:
    w = Value(0.5, "w")
    cost = mse([w * 3, w * 2], [1.0, 0.0])
    lines = str(explain(cost, w, constants=False)).splitlines()
    assert lines[2] == "                  = (1 / 2.0) × 1 × 2 * sub10**(2 - 1) × 1 × 3.0"
    assert str(explain(cost, w)).splitlines()[2] == (
        "                  = (1 / const0) × 1 × 2 * sub10**(2 - 1) × 1 × const8"
    )


def test_identity_false_takes_the_342_networks_chains_from_15_factors_to_6() -> None:
    # the issue: explain() through the seeds' 3-4-2 network writes 15-factor chains full of × 1
    model = MLP(3, [4, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    out = model([Value(x, f"x{k}") for k, x in enumerate([0.5, -0.2, 0.1], 1)])
    assert isinstance(out, list)
    cost = mse(out, [1.0, 0.0])
    weight = model.parameters()[0]
    full, thin = explain(cost, weight), explain(cost, weight, constants=False, identity=False)
    assert [len(path.factors) for path in full.paths] == [15, 15]
    written = str(thin).splitlines()
    assert [line.count("∂") // 2 for line in written if line.startswith("  path")] == [6, 6]
    assert written[-1] == str(full).splitlines()[-1]
    assert thin.total == full.total


@pytest.mark.parametrize("switch", ["constants", "identity"])
def test_the_switches_are_true_or_false(switch: str) -> None:
    x = Value(1.0, "x")
    with pytest.raises(TypeError, match=rf"backward_steps: {switch} must be True or False, got 0"):
        backward_steps(x * 2, **{switch: 0})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=rf"explain: {switch} must be True or False, got 'no'"):
        explain(x * 2, x, **{switch: "no"})  # type: ignore[arg-type]


# random graphs with numbers lifted in (constants), labelled and unlabelled leaves
CONSTANT_OPS: dict[str, Callable[[Value, float], Value]] = {
    "+c": lambda a, c: a + c,
    "c-": lambda a, c: c - a,
    "*c": lambda a, c: a * c,
    "/c": lambda a, c: a / c,
}
NUMBERS = (1.0, -1.0, 0.5, 2.0)

graphs_with_constants = st.tuples(
    st.lists(st.tuples(st.floats(-2, 2), st.booleans()), min_size=1, max_size=3),
    st.lists(
        st.tuples(
            st.sampled_from(OP_NAMES + tuple(CONSTANT_OPS)),
            st.integers(0, 50),
            st.integers(0, 50),
        ),
        min_size=1,
        max_size=10,
    ),
)


def build_with_constants(
    leaves: list[tuple[float, bool]], program: list[Instruction]
) -> tuple[list[Value], Value]:
    nodes = [Value(x, f"x{i}" if labelled else "") for i, (x, labelled) in enumerate(leaves)]
    for op, i, j in program:
        a = nodes[i % len(nodes)]
        if op in CONSTANT_OPS:
            nodes.append(CONSTANT_OPS[op](a, NUMBERS[j % len(NUMBERS)]))
        else:
            nodes.append(apply(op, a, nodes[j % len(nodes)]))
    return nodes, nodes[-1]


def numbers(lines: list[str]) -> list[tuple[str, str]]:
    """Each line's gradient and the number it ends on: (`dC/dx`, `0.5`)."""
    return [(line.split(" ", 1)[0], line.rsplit(" = ", 1)[1].split(" (", 1)[0]) for line in lines]


def is_constant(node: Value, root: Value) -> bool:
    """The spec, written independently: unlabelled, not the root, and either a leaf that is not
    a parameter or made from constants alone."""
    if node is root or node.label:
        return False
    if not node.op:
        return not isinstance(node, Parameter)
    return all(is_constant(each, root) for each in node.inputs)


@settings(max_examples=60, deadline=None)
@given(graphs_with_constants)
def test_leaving_out_constants_and_identities_changes_no_number(
    graph: tuple[list[tuple[float, bool]], list[Instruction]],
) -> None:
    nodes, root = build_with_constants(*graph)
    full_steps = list(backward_steps(root))
    grads = [node.grad for node in nodes]
    root.zero_grad()
    thin_steps = list(backward_steps(root, constants=False, identity=False))
    assert [node.grad for node in nodes] == grads  # the same pass, the same grads, bit for bit
    view = GraphView(root)
    hidden = {f"d{view.name(root)}/d{view.name(n)}" for n in view.order if is_constant(n, root)}
    full = numbers(texts(full_steps))
    assert numbers(texts(thin_steps)) == [pair for pair in full if pair[0] not in hidden]
    for leaf in nodes[: len(graph[0])]:
        whole = explain(root, leaf, max_paths=10_000)
        thin = explain(root, leaf, max_paths=10_000, constants=False, identity=False)
        assert thin.total == whole.total
        assert path_products(thin.text()) == path_products(whole.text())
        assert thin.text().splitlines()[-1] == whole.text().splitlines()[-1]


def path_products(text: str) -> list[str]:
    """The number each path of an explanation comes to, as printed."""
    blocks: list[list[str]] = []
    for line in text.splitlines()[1:-1]:
        if line.startswith("  path "):
            blocks.append([])
        blocks[-1].append(line)
    return [block[-1].rsplit(" = ", 1)[1].split(" (", 1)[0] for block in blocks]
