"""Tape: a recorded graph replayed in place gives, bit for bit, the numbers of building the same
expression again (the independent oracle here is the eager engine on a fresh graph)."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_like import MLP, Tape, Value, losses, no_grad
from micrograd_like.tape import ReplayMismatch
from tests.registry_ops import registry_ops

# every op of the one registry (so a new op is replayed here too), and two more
UNARY: dict[str, Callable[[Value], Value]] = {
    **registry_ops(1),
    "half power": lambda a: (a * a + 1) ** 0.5,
}
BINARY: dict[str, Callable[[Value, Value], Value]] = {
    **registry_ops(2),
    "number mixed in": lambda a, b: 2.0 * a - 1 + b / 4,
}
Plan = list[tuple[str, int, int]]


def build(plan: Plan, leaves: list[Value]) -> Value:
    nodes = list(leaves)
    for op, i, j in plan:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(UNARY[op](a) if op in UNARY else BINARY[op](a, b))
    return nodes[-1] if len(nodes) > len(leaves) else nodes[0] * 1.0


def snapshot(root: Value) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every node's numbers as their exact bits (float.hex tells 0.0 from -0.0)."""
    return [
        (node.data.hex(), node.grad.hex(), tuple(each.hex() for each in node.local_grads))
        for node in root.topological_order()
    ]


POINT = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=3, max_size=3)
PLAN = st.lists(
    st.tuples(
        st.sampled_from(sorted(UNARY) + sorted(BINARY)), st.integers(0, 99), st.integers(0, 99)
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=200, deadline=None)
@given(PLAN, POINT, POINT)
def test_replay_equals_a_fresh_eager_graph_bit_for_bit(
    plan: Plan, first: list[float], second: list[float]
) -> None:
    leaves = [Value(x) for x in first]
    tape = Tape(build(plan, leaves))
    for leaf, x in zip(leaves, second, strict=True):
        leaf.data = x
        leaf.grad = 0.0
    tape.replay(check=True)

    fresh_leaves = [Value(x) for x in second]
    fresh = build(plan, fresh_leaves)
    fresh.backward()
    assert snapshot(tape.root) == snapshot(fresh)


def test_leaf_grads_accumulate_across_replays_like_backward() -> None:
    x = Value(3.0)
    tape = Tape(x * x)
    tape.replay()
    tape.replay()
    assert x.grad == 12.0  # 2 * 2x, as two backward() calls would leave it


def test_relu_picks_its_branch_again_on_every_replay() -> None:
    x = Value(2.0)
    tape = Tape((x * 3.0).relu())
    x.data = -1.0
    x.grad = 0.0
    tape.replay()
    assert (tape.root.data, x.grad) == (0.0, 0.0)
    x.data = 1.0
    tape.replay()
    assert (tape.root.data, x.grad) == (3.0, 3.0)


def test_out_of_domain_replay_raises_the_eager_error() -> None:
    x = Value(2.0)
    tape = Tape(x.log())
    x.data = -1.0
    with pytest.raises(ValueError, match=r"log\(-1.0\): input must be > 0"):
        tape.replay()
    inf = Value(1e308)
    product = Tape(inf * Value(1.0))
    product.root.inputs[1].data = 0.0
    inf.data = math.inf
    with pytest.raises(ValueError, match=r"\(inf \* 0.0\) is not a number"):
        product.replay()


def test_training_with_a_tape_matches_rebuilding_every_step() -> None:
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    eager_model, replayed_model = (MLP(3, [4, 4, 1], seed=7) for _ in range(2))

    def cost(model: MLP) -> Value:
        return losses.mse([model(x) for x in xs], ys)  # type: ignore[misc]

    tape = Tape(cost(replayed_model))
    for _ in range(5):
        eager = cost(eager_model)
        eager_model.zero_grad()
        eager.backward()
        replayed_model.zero_grad()
        tape.replay()
        assert tape.root.data == eager.data
        for p, q in zip(eager_model.parameters(), replayed_model.parameters(), strict=True):
            assert p.grad == q.grad
            p.data -= 0.05 * p.grad
            q.data -= 0.05 * q.grad


def test_ops_of_your_own_need_their_rule() -> None:
    def cube(x: Value) -> Value:
        return Value.from_op("cube", x.data**3, [x], [3 * x.data**2])

    x = Value(2.0)
    with pytest.raises(ValueError, match=r"rules=\{'cube': your_function\}"):
        Tape(cube(x))
    tape = Tape(cube(x), rules={"cube": cube})
    x.data = 3.0
    tape.replay(check=True)
    assert (tape.root.data, x.grad) == (27.0, 27.0)


def test_check_mode_finds_a_node_changed_behind_the_tapes_back() -> None:
    x = Value(2.0)
    tape = Tape(x.exp() * 2.0)
    tape.forward()
    tape.root.inputs[0].data = 0.0  # as if the replay had gone wrong
    with pytest.raises(ReplayMismatch, match="exp of its inputs gives"):
        tape.check()


def test_tape_refuses_a_non_value() -> None:
    with pytest.raises(TypeError, match="Tape: root must be a Value, got float"):
        Tape(3.0)  # type: ignore[arg-type]


def test_replay_inside_no_grad_is_refused() -> None:
    x = Value(4.0)
    tape = Tape((x - 3.0).sqrt() + x)
    x.data = 3.0
    with no_grad(), pytest.raises(RuntimeError, match="inside no_grad"):
        tape.replay()


def test_rules_cannot_replace_a_built_in_op() -> None:
    with pytest.raises(ValueError, match="'exp' is a built-in op"):
        Tape(Value(1.0).exp(), rules={"exp": lambda a: a * 0 + 42})


def test_a_nan_gradient_raises_the_eager_error() -> None:
    """d r/d x = 0 * inf: the leaf's grad would be NaN; eager and replay say so alike."""

    def build_it() -> tuple[Value, Value]:
        x, c = Value(2.0, "x"), Value(1e308, "c")
        return x, ((x * 0.0) * c) * c

    errors = []
    x, root = build_it()
    with pytest.raises(ArithmeticError) as eager:
        root.backward()
    errors.append(str(eager.value))
    x, root = build_it()
    tape = Tape(root)
    x.grad = 0.0
    with pytest.raises(ArithmeticError) as replayed:
        tape.replay()
    errors.append(str(replayed.value))
    assert errors[0] == errors[1]
    assert "the gradient of Value(data=2.0, grad=nan, label='x') would be NaN" in errors[0]


def test_forward_hands_the_backward_pass_zeroed_intermediate_grads() -> None:
    """forward() clears the recomputed nodes' grads (they belonged to the old values)."""
    x = Value(3.0, "x")
    y = x * x
    root = y + 1.0
    tape = Tape(root)
    tape.replay()
    assert (root.grad, y.grad, x.grad) == (1.0, 1.0, 6.0)
    tape.forward()
    assert (root.grad, y.grad, x.grad) == (0.0, 0.0, 6.0)  # the leaf keeps its sum
    tape.replay()
    assert (root.grad, y.grad, x.grad) == (1.0, 1.0, 12.0)  # accumulated, as backward() does


def test_backward_hooks_see_every_node_of_a_replay() -> None:
    from micrograd_like.modes import hooks

    x = Value(3.0, "x")
    root = (x * x + 1.0).relu()
    tape = Tape(root)
    seen: list[str] = []
    with hooks(backward=lambda node: seen.append(node.op or node.label)):
        tape.replay()
    assert seen == [node.op or node.label for node in reversed(tape.order)]


def test_forward_hooks_see_the_recomputed_nodes_and_no_scratch_node() -> None:
    """Ops the tape recomputes by calling them (exp, tanh, /) make scratch nodes: hooks must see
    the graph's own nodes, each once, in order, with their new values."""
    from micrograd_like.modes import hooks

    x = Value(0.5, "x")
    root = ((x * 2.0).exp() / (x.tanh() + 2.0)).relu()
    tape = Tape(root)
    x.data = -0.25
    seen: list[tuple[Value, float]] = []
    with hooks(forward=lambda node: seen.append((node, node.data))):
        tape.replay()
    recomputed = [node for node in tape.order if node.op]
    assert [node for node, _ in seen] == recomputed
    assert [data for _, data in seen] == [node.data for node in recomputed]
    fresh = Value(-0.25)
    assert root.data == ((fresh * 2.0).exp() / (fresh.tanh() + 2.0)).relu().data


def test_detect_anomaly_names_the_replayed_node_that_overflows() -> None:
    from micrograd_like import AnomalyError, detect_anomaly

    x = Value(1.0, "x")
    root = (x * 1e300) * 10.0
    tape = Tape(root)
    with detect_anomaly():
        tape.replay()  # 1e301: finite, nothing to report
        x.data = 1e10
        with pytest.raises(AnomalyError, match=r"^\*\(1e\+310|= inf"):
            tape.replay()


# ---- sums of products (a neuron's b + w1*x1 + ...), which a tape replays one chain at a time

# each step: ("sum", picks, start) adds start + Σ w_i * node_i over existing nodes (a neuron,
# built by weighted_sum or by the operators), ("op", name, i, j) any other op on existing
# nodes, so that nodes are shared between sums, used twice in one sum, and met first inside
# another sum's inputs
SUM_STEP = st.one_of(
    st.tuples(
        st.just("sum"),
        st.lists(st.integers(0, 99), min_size=1, max_size=5),
        st.integers(0, 99),
        st.booleans(),
    ),
    st.tuples(
        st.just("op"),
        st.sampled_from(["*", "+", "-", "tanh", "relu", "half power"]),
        st.integers(0, 99),
        st.integers(0, 99),
    ),
)


def build_sums(steps: list[tuple[object, ...]], leaves: list[Value]) -> Value:
    from operator import mul

    from micrograd_like.faster import weighted_sum

    nodes = list(leaves)
    weights = iter(leaves[3:] * 40)
    for step in steps:
        if step[0] == "sum":
            _, picks, start, fused = step
            xs = [nodes[i % len(nodes)] for i in picks]  # type: ignore[attr-defined]
            ws = [next(weights) for _ in xs]
            b = nodes[start % len(nodes)]  # type: ignore[operator]
            nodes.append(weighted_sum(ws, xs, b) if fused else sum(map(mul, ws, xs), b))
        else:
            _, op, i, j = step
            a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]  # type: ignore[operator]
            nodes.append(UNARY[op](a) if op in UNARY else BINARY[op](a, b))  # type: ignore[index]
    # the root uses the last few nodes, so that earlier ones are used more than once
    return sum(nodes[-3:], nodes[0]) * 0.5


@settings(max_examples=300, deadline=None)
@given(
    st.lists(SUM_STEP, min_size=1, max_size=12),
    st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=6, max_size=6),
    st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=6, max_size=6),
)
def test_sums_of_products_replay_bit_for_bit(
    steps: list[tuple[object, ...]], first: list[float], second: list[float]
) -> None:
    leaves = [Value(x) for x in first]
    tape = Tape(build_sums(steps, leaves))
    for leaf, x in zip(leaves, second, strict=True):
        leaf.data = x
        leaf.grad = 0.0
    tape.replay(check=True)
    fresh = build_sums(steps, [Value(x) for x in second])
    fresh.backward()
    assert snapshot(tape.root) == snapshot(fresh)


def test_a_network_replays_its_neurons_as_chains_bit_for_bit() -> None:
    """An MLP's neurons are the chains; the replay equals a fresh graph, bit for bit, and the
    tape holds far fewer steps than nodes."""
    model = MLP(3, [6, 6, 1], seed=4)
    points = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]

    def cost_of(rows: list[list[float]]) -> Value:
        scores = [model([Value(x) for x in row]) for row in rows]
        assert all(isinstance(score, Value) for score in scores)
        return losses.mse(scores, [1.0, -1.0])  # type: ignore[arg-type]

    tape = Tape(cost_of(points))
    assert tape.steps < len(tape) / 4
    model.zero_grad()
    tape.replay(check=True)
    replayed = snapshot(tape.root)
    replayed_grads = [p.grad.hex() for p in model.parameters()]
    model.zero_grad()
    fresh = cost_of(points)
    fresh.backward()
    assert replayed == snapshot(fresh)
    assert replayed_grads == [p.grad.hex() for p in model.parameters()]


def test_a_chain_with_an_infinite_product_raises_the_eager_error() -> None:
    w, x, b = [Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)], Value(0.5)
    from micrograd_like.faster import weighted_sum

    tape = Tape(weighted_sum(w, x, b))
    w[1].data = math.inf
    x[1].data = 0.0
    with pytest.raises(ValueError, match=r"^\*: \(inf \* 0.0\) is not a number"):
        tape.replay()
    w[1].data, x[1].data = 1e308, 10.0  # inf, no NaN: a finite sum overflows to inf
    b.data = -math.inf
    w[0].data = 1.0
    with pytest.raises(ValueError, match=r"^\+: \(-inf \+ inf\) is not a number"):
        tape.replay()


@pytest.mark.parametrize("which", ["a leaf above a NaN node", "two NaN leaves"])
def test_the_nan_error_names_the_node_eager_names(which: str) -> None:
    """Several grads would be NaN: the replay names the first one the eager loop meets."""

    def build_it() -> Value:
        c = Value(1e308, "c")
        if which == "a leaf above a NaN node":
            n = Value(2.0, "x") * 0.0  # a non-leaf, 0: its grad and L's are 0 * inf
            return ((Value(0.0, "L") * n) * c) * c
        return ((Value(0.0, "a") * Value(0.0, "b")) * c) * c

    with pytest.raises(ArithmeticError) as eager:
        build_it().backward()
    with pytest.raises(ArithmeticError) as replayed:
        Tape(build_it()).replay()
    assert str(replayed.value) == str(eager.value)


def test_check_mode_shows_forward_hooks_no_scratch_node() -> None:
    from micrograd_like.modes import hooks

    x = Value(0.5, "x")
    tape = Tape((x.exp() * x).tanh())
    seen: list[Value] = []
    with hooks(forward=seen.append):
        tape.replay(check=True)
    assert seen == [node for node in tape.order if node.op]


def test_nested_sums_are_each_one_step() -> None:
    """A sum whose input is the previous sum: each weighted_sum is a chain of its own."""
    from micrograd_like.faster import weighted_sum

    z = Value(0.5)
    for _ in range(300):
        z = weighted_sum([Value(0.9), Value(0.1)], [z, Value(1.0)], Value(0.0))
    tape = Tape(z)
    assert (len(tape), tape.steps) == (2401, 300)
    tape.replay()
    fresh = Value(0.5)
    for _ in range(300):
        fresh = weighted_sum([Value(0.9), Value(0.1)], [fresh, Value(1.0)], Value(0.0))
    fresh.backward()
    assert snapshot(tape.root) == snapshot(fresh)


# ---- rules of your own are checked where they enter; a failed replay is all or nothing


def cube(x: Value) -> Value:
    return Value.from_op("cube", x.data**3, [x], [3 * x.data**2])


@pytest.mark.parametrize(
    ("rule", "error", "message"),
    [
        (lambda a: a * 5.0, ValueError, r"must make a new 'cube' node .* op='\*'"),
        (lambda a: a.tanh(), ValueError, r"must make a new 'cube' node .* op='tanh'"),
        (lambda a: a, ValueError, r"the rule for 'cube' must make a new 'cube' node"),
        (lambda a: 8.0, TypeError, r"the rule for 'cube' must return the node it makes .* float"),
        (lambda a, b: a, ValueError, r"the rule for 'cube' fails on the recorded inputs"),
    ],
    ids=["another op", "another op, same inputs", "its input", "a number", "two arguments"],
)
def test_a_rule_that_does_not_remake_its_node_is_refused_at_recording(
    rule: Callable[..., object], error: type[Exception], message: str
) -> None:
    x = Value(2.0, "x")
    with pytest.raises(error, match=message):
        Tape(cube(x), rules={"cube": rule})  # type: ignore[dict-item]


def test_a_rule_returning_a_node_of_the_graph_is_refused() -> None:
    x = Value(2.0, "x")
    root = cube(x)
    with pytest.raises(ValueError, match=r"the rule for 'cube' must make a new 'cube' node"):
        Tape(root, rules={"cube": lambda a: root})
    other = cube(x)  # the same op on the same input, but a node of the graph: stale on replay
    with pytest.raises(ValueError, match=r"returned Value\(.*\), a node of the recorded graph"):
        Tape(other + root, rules={"cube": lambda a: other})  # root is recorded first


def test_a_rule_that_changes_its_mind_is_refused_at_replay() -> None:
    x = Value(2.0, "x")
    calls = []

    def fickle(a: Value) -> Value:
        calls.append(a)
        return cube(a) if len(calls) == 1 else a * a * a

    tape = Tape(cube(x) * 2.0, rules={"cube": fickle})
    with pytest.raises(ValueError, match=r"must make a new 'cube' node .* op='\*'"):
        tape.replay()
    assert x.grad == 0.0  # and the failed replay added nothing


def test_a_rule_recorded_inside_no_grad_is_checked_at_the_first_replay() -> None:
    x = Value(2.0, "x")
    root = cube(x)
    with no_grad():
        tape = Tape(root, rules={"cube": lambda a: a.exp()})
    with pytest.raises(ValueError, match=r"op='exp'"):
        tape.replay()
    with no_grad():
        good = Tape(root, rules={"cube": cube})
    good.replay(check=True)
    assert x.grad == 12.0


@pytest.mark.parametrize(
    ("rules", "error", "message"),
    [
        ([("cube", cube)], TypeError, r"rules must be a dict .* got list"),
        ("cube", TypeError, r"rules must be a dict .* got str: 'cube'"),
        (cube, TypeError, r"rules must be a dict .* got function"),
        (0, TypeError, r"rules must be a dict .* got int: 0"),
        ({3: cube}, TypeError, r"rules: each key must be an op's name \(a str\), got int: 3"),
        ({None: cube}, TypeError, r"each key must be an op's name \(a str\), got NoneType"),
        ({"cube": "cube"}, TypeError, r"the rule for 'cube' must be a function, got 'cube'"),
    ],
)
def test_bad_rules_arguments_are_named(rules: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Tape(cube(Value(2.0)), rules=rules)  # type: ignore[arg-type]


def test_after_two_replays_that_overflow_fixing_the_data_and_replaying_works() -> None:
    """The issue's scenario: w*x overflows to +inf, then to -inf. The lifted constant 1.0 (a
    leaf no zero_grad() reaches) got -inf from the first replay; the second's +inf makes it
    NaN, so that replay raises, and it used to leave the NaN there: every later replay raised,
    whatever the data. A failed replay now leaves every leaf's grad as it was before it."""
    w, x = Value(10.0, "w"), Value(2.0, "x")
    error = w * x - 1.0
    tape = Tape(error * error)
    x.data = 1e308
    tape.replay()  # w*x = inf: the constant's grad is -inf
    for _ in range(2):
        x.data, w.grad, x.grad = -1e308, 0.0, 0.0
        with pytest.raises(ArithmeticError, match=r"Value\(data=1.0, grad=nan\) would be NaN"):
            tape.replay()  # w*x = -inf: its share +inf meets the -inf
    x.data, w.grad, x.grad = 2.0, 0.0, 0.0  # the data fixed
    tape.replay()
    fresh_w, fresh_x = Value(10.0), Value(2.0)
    fresh_error = fresh_w * fresh_x - 1.0
    (fresh_error * fresh_error).backward()
    assert (w.grad, x.grad) == (fresh_w.grad, fresh_x.grad) == (76.0, 380.0)


@pytest.mark.parametrize("hooked", [False, True], ids=["plain", "under a backward hook"])
def test_a_replay_that_raises_half_way_leaves_every_leaf_grad_as_before(hooked: bool) -> None:
    from micrograd_like.modes import hooks

    x, c = Value(1e-100, "x"), Value(1e120, "c")
    tape = Tape((((x * 1.0) * c) * c) * c + x * 3.0)
    x.grad = 5.0  # held from earlier passes
    x.data = 0.0  # d/d(1.0) = x * c**3 = 0 * inf: the pass adds into x, then meets a NaN
    with hooks(backward=(lambda node: None) if hooked else None), pytest.raises(ArithmeticError):
        tape.replay()
    assert [(leaf.grad, leaf.label) for leaf in tape.order if not leaf.op] == [
        (0.0, ""),  # the 3.0
        (5.0, "x"),
        (0.0, "c"),
        (0.0, ""),  # the 1.0
    ]
