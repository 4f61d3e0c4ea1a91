"""The misconception lab and the teaching warning against independent oracles: sympy's exact
derivatives (of the whole cost, and of the one term whose share a mistake kept), the seeds'
numbers worked by hand (seed 002: dC/da = 1.4, dC/dw = 2.1, the next weight 0.59), the engine
itself making the mistake (backward() twice), and micrograd's own recursive sort."""

from __future__ import annotations

import math
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from itertools import pairwise

import pytest
import sympy
from micrograd.engine import Value as MicrogradValue

from micrograd_like import MLP, Parameter, Tape, Value, backward_steps, hooks, losses, modes
from micrograd_like import misconceptions as lab
from micrograd_like.checks import AccumulationWarning, warn_accumulate
from micrograd_like.floats import format_number
from micrograd_like.misconceptions import Misconception
from micrograd_like.viz import HIGHLIGHT, render_bytes
from tests.test_interrupts import (  # the fixture: its clean-up runs after each test here too
    ctrl_c_everywhere,
    python_sigint_handler,  # noqa: F401
)


def seed_002() -> tuple[Value, dict[str, Value]]:
    """Seed 002's one weight: a = i * w, C = (a - y)^2 at i = 1.5, w = 0.8, y = 0.5."""
    i, w, y = Value(1.5, "i"), Value(0.8, "w"), Value(0.5, "y")
    a = i * w
    a.label = "a"
    C = (a - y) ** 2
    C.label = "C"
    return C, {"i": i, "w": w, "y": y, "a": a, "sub": C.inputs[0]}


def seed_003() -> tuple[Value, Value, Value]:
    """Seed 003's f(x, y) = 2x^2 + 3xy + y^3 at (1, 2)."""
    x, y = Value(1.0, "x"), Value(2.0, "y")
    f = 2 * x**2 + 3 * x * y + y**3
    f.label = "f"
    return f, x, y


X, Y = sympy.symbols("x y")
F = 2 * X**2 + 3 * X * Y + Y**3


def at_1_2(expression: sympy.Expr) -> float:
    return float(expression.subs({X: 1, Y: 2}))


def residual() -> tuple[Value, dict[str, Value]]:
    """A skip connection: out = h + tanh(h), h = w x + b, C = (out - y)^2. h is used by the
    sum directly and through tanh: two paths of different lengths from the root."""
    x, w, b, y = Value(0.5, "x"), Value(0.8, "w"), Value(0.1, "b"), Value(1.0, "y")
    h = w * x + b
    h.label = "h"
    out = h + h.tanh()
    out.label = "out"
    C = (out - y) ** 2
    C.label = "C"
    return C, {"x": x, "w": w, "b": b, "y": y, "h": h}


def snapshot(root: Value) -> list[tuple[float, float, str, tuple[float, ...], object]]:
    return [
        (node.data, node.grad, node.label, node.local_grads, node.__dict__.copy())
        for node in root.topological_order()
    ]


# ---- the right pass and the referee


def test_the_right_pass_on_plain_numbers_is_the_engines_backward_and_sympys_gradient() -> None:
    f, x, y = seed_003()
    grads = lab.chain_rule(f.topological_order())
    f.backward()
    assert all(grads[node] == node.grad for node in f.topological_order())  # bit for bit
    assert grads[x] == at_1_2(sympy.diff(F, X)) == 10
    assert grads[y] == at_1_2(sympy.diff(F, Y)) == 15


def test_finite_differences_recompute_through_every_kind_of_op() -> None:
    a, b = Value(0.7, "a"), Value(1.3, "b")
    out = ((a * b).tanh() + (a / b) ** 2 - (-a).exp() * b.log() + (a**b).sqrt()).sigmoid()
    out.backward()
    for node in (a, b, *out.inputs):
        numeric = lab.finite_difference(out, node)
        assert numeric == pytest.approx(node.grad, rel=1e-6, abs=1e-9)


def test_finite_differences_say_none_where_they_cannot_be_computed() -> None:
    t = Value(0.5, "t")
    own = Value.from_op("misconception_sine", math.sin(0.5), [t], [math.cos(0.5)])
    assert lab.finite_difference(own * 2.0, t) is None  # no method recomputes an own op
    z = Value(1e-7, "z")
    assert lab.finite_difference(z.log(), z) is None  # log(1e-7 - 1e-6) is not a real number
    with pytest.raises(ValueError, match="not in the graph"):
        lab.finite_difference(t * 2.0, z)


# ---- each mistake reproduces the wrong number it claims


def test_backward_twice_takes_seed_002s_w_grad_from_2_1_to_4_2_as_the_engine_does() -> None:
    C, n = seed_002()
    result = lab.backward_twice(C)
    assert result.correct[n["w"]] == pytest.approx(2.1)  # the seed: 2(a - y) i = 1.4 * 1.5
    assert result.correct[n["a"]] == pytest.approx(1.4)  # 2(a - y)
    assert result.wrong[n["w"]] == pytest.approx(4.2)
    assert result.numeric[n["w"]] == pytest.approx(2.1, rel=1e-7)
    twice, m = seed_002()  # the engine making the mistake
    twice.backward()
    twice.backward()
    for name in ("i", "w", "y", "a", "sub"):
        assert result.wrong[n[name]] == m[name].grad
    assert set(result.parted) == {n["i"], n["w"], n["y"]}  # op nodes are reset by each pass
    assert "w.grad went from 2.1 to 4.2" in str(result)


def test_backward_twice_says_how_many_passes_your_own_leaf_holds() -> None:
    C, _ = seed_002()
    for _ in range(3):
        C.backward()
    assert "Your w.grad holds 6.3 now: 3 passes' worth" in lab.backward_twice(C).lesson


def test_assigning_keeps_the_last_share_of_seed_003s_x_and_y_as_sympy_says() -> None:
    f, x, y = seed_003()
    result = lab.assign_instead_of_add(f)
    assert (result.correct[x], result.correct[y]) == (10, 15)  # sympy's, above
    # `=` keeps one term's share: x's from 3xy, y's from y^3 (the note names the node)
    assert result.wrong[x] == at_1_2(sympy.diff(3 * X * Y, X)) == 6
    assert result.wrong[y] == at_1_2(sympy.diff(Y**3, Y)) == 12
    assert result.numeric[x] == pytest.approx(10, rel=1e-7)
    assert set(result.parted) == {x, y}
    kept_from = {node: note.split("from ")[1].rstrip(")") for node, note in result.notes.items()}
    assert kept_from == {x: "mul4", y: "pow1"}  # 3 * x, and y ** 3
    lost = {(a.label, result.view.name(b)) for a, b in result.edges}
    assert lost == {("x", "pow6"), ("y", "mul5")}  # x ** 2's share, and (3x) * y's


def test_assigning_on_x_times_x_keeps_one_factor() -> None:
    x = Value(3.0, "x")
    result = lab.assign_instead_of_add(x * x)
    assert (result.correct[x], result.wrong[x]) == (6.0, 3.0)  # d(x^2)/dx = 2x; one share: x
    assert result.edges == ((x, result.root),)  # the first of its two shares


def test_assigning_changes_nothing_where_no_node_is_used_twice() -> None:
    C, _ = seed_002()
    result = lab.assign_instead_of_add(C)
    assert result.parted == () and result.edges == ()
    assert "No node of this graph is used twice" in str(result)


def test_walking_in_creation_order_passes_only_the_roots_share_on() -> None:
    C, n = seed_002()
    result = lab.wrong_order(C, "creation")
    # by hand: leaves first, so each node passes on 0 until the root, last, gives sub its 1.4
    assert result.wrong[n["sub"]] == pytest.approx(1.4) == result.correct[n["sub"]]
    assert [result.wrong[n[name]] for name in ("a", "w", "i", "y")] == [0.0] * 4
    assert set(result.parted) == {n["a"], n["w"], n["i"], n["y"]}
    assert result.edges == ((n["sub"], C),)  # the one share that came too late
    assert result.notes[n["sub"]] == "passed on 0.0, then received more"


def test_walking_breadth_first_loses_the_long_paths_share_of_a_skip_connection() -> None:
    C, n = residual()
    result = lab.wrong_order(C, "breadth-first")
    # sympy: the whole gradient, and the skip path's alone (tanh(h) held constant)
    w, x, b, y, t = sympy.symbols("w x b y t")
    h = w * x + b
    point = {w: 0.8, x: 0.5, b: 0.1, y: 1.0}
    whole = sympy.diff((h + sympy.tanh(h) - y) ** 2, w).subs(point)
    skip = sympy.diff((h + t - y) ** 2, w).subs(point).subs(t, sympy.tanh(h.subs(point)))
    assert result.correct[n["w"]] == pytest.approx(float(whole), rel=1e-12)
    assert result.wrong[n["w"]] == pytest.approx(float(skip), rel=1e-12)
    assert result.correct[n["h"]] == result.wrong[n["h"]]  # h's own grad ends whole...
    assert result.edges == ((n["h"], C.inputs[0].inputs[0].inputs[1]),)  # ...tanh's came late
    assert n["w"] in result.parted and n["y"] not in result.parted


def test_walking_breadth_first_is_right_where_every_op_node_is_one_distance_away() -> None:
    C, _ = seed_002()
    assert lab.wrong_order(C, "breadth-first").parted == ()
    with pytest.raises(ValueError, match="walk must be one of"):
        lab.wrong_order(C, "depth-first")


def test_forgetting_zero_grad_follows_seed_002s_steps_worked_by_hand() -> None:
    C, n = seed_002()
    result = lab.forget_zero_grad(C, [n["w"]], lr=0.1, steps=4)

    def grad(w: float) -> float:  # dC/dw = 2(1.5 w - 0.5) * 1.5
        return 4.5 * w - 1.5

    right, wrong, held = [0.8], [0.8], [grad(0.8)]
    for _ in range(3):
        right.append(right[-1] - 0.1 * grad(right[-1]))
        wrong.append(wrong[-1] - 0.1 * held[-1])
        held.append(held[-1] + grad(wrong[-1]))
    assert right[1] == pytest.approx(0.59)  # the seed's new weight
    for step, r, w_, g in zip(result.steps, right, wrong, held, strict=True):
        assert step.right_weight == pytest.approx(r, abs=1e-12)
        assert step.wrong_weight == pytest.approx(w_, abs=1e-12)
        assert step.wrong_grad == pytest.approx(g, abs=1e-12)
        assert step.fresh_grad == pytest.approx(grad(w_), abs=1e-12)
        assert step.numeric == pytest.approx(grad(w_), abs=1e-8)
        assert step.right_cost == pytest.approx((1.5 * r - 0.5) ** 2, abs=1e-12)
        assert step.wrong_cost == pytest.approx((1.5 * w_ - 0.5) ** 2, abs=1e-12)
    costs = [step.wrong_cost for step in result.steps]
    assert costs[3] > costs[2]  # the cost rises at step 4: 0.0107 -> 0.2971
    assert "cost rose at 1 of 3 steps" in result.lesson
    assert result.wrong[n["w"]] == pytest.approx(held[-1])
    assert result.correct[n["w"]] == pytest.approx(grad(wrong[-1]))
    assert n["w"] in result.parted


def test_an_mlp_trained_without_zero_grad_sees_its_cost_rise() -> None:
    model = MLP(2, [4, 1], activation="tanh", seed=0)  # the notebook's
    xs, ys = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [1.0, 1.0, -1.0, -1.0]
    cost = losses.mse([model(x) for x in xs], ys)  # type: ignore[misc]  # one output each
    result = lab.forget_zero_grad(cost, lr=0.2, steps=100)
    right = [step.right_cost for step in result.steps]
    wrong = [step.wrong_cost for step in result.steps]
    assert all(b <= a for a, b in pairwise(right)) and right[-1] < 0.01  # with zero_grad()
    assert min(wrong) < 0.1 and wrong[-1] > 2 * wrong[0]  # down, then above where it began
    for step in result.steps:  # dC/dw where the run without zero_grad() is, two ways
        assert step.numeric == pytest.approx(step.fresh_grad, rel=1e-5, abs=1e-8)
    shown = str(result).splitlines()
    assert "13 of the 100 steps" in shown[0] and len(shown) == 3 + 13 + 1


def test_forget_zero_grad_checks_its_arguments() -> None:
    C, n = seed_002()
    with pytest.raises(ValueError, match="no Parameter"):
        lab.forget_zero_grad(C)
    with pytest.raises(ValueError, match="leaves of the graph"):
        lab.forget_zero_grad(C, [n["a"]])
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        lab.forget_zero_grad(C, [n["w"]], lr=-1)
    with pytest.raises(ValueError, match="steps must be"):
        lab.forget_zero_grad(C, [n["w"]], steps=1)
    p = Parameter(0.3, "p")
    assert lab.forget_zero_grad((p * 2.0 - 1.0) ** 2).watch is p  # a Parameter by default


def run_in_a_thread(job: Callable[[], object]) -> object:
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(job()))
    thread.start()
    thread.join()
    return done[0]


def test_the_recursive_sort_fails_where_micrograds_own_does_and_the_engine_does_not() -> None:
    C, n = seed_002()
    limit = sys.getrecursionlimit()
    result = lab.recursive_sort(C)
    assert result.terms == limit + limit // 2 and result.error
    assert sys.getrecursionlimit() == limit
    # the oracle: micrograd's own backward(), whose build_topo recurses, on the same sum
    cost = (MicrogradValue(1.5) * MicrogradValue(0.8) - 0.5) ** 2

    def micrograds() -> str:
        total = cost
        for _ in range(result.terms - 1):
            total = total + cost
        try:
            total.backward()
        except RecursionError as error:
            return str(error)
        return ""

    assert "recursion" in str(run_in_a_thread(micrograds))
    assert limit - 20 < result.reached + result.frames <= limit  # it went as deep as Python lets
    assert result.stopped_at == f"S{result.stopped_index}"
    assert result.stopped_index == result.terms - result.reached + 1  # S_n down to S_k are open
    assert result.engine_nodes == result.nodes == result.terms + 5
    assert result.correct[n["w"]] == pytest.approx(result.terms * 2.1)  # the seed's 2.1, summed
    assert result.numeric[n["w"]] == pytest.approx(result.terms * 2.1, rel=1e-6)
    assert result.parted == ()
    assert "RecursionError with" in str(result)


def test_the_recursive_sort_finishes_on_a_shallow_sum_and_the_process_is_fine() -> None:
    C, _ = seed_002()
    result = lab.recursive_sort(C, terms=10)
    assert result.error == "" and result.recursive_nodes == result.engine_nodes == 15
    assert result.reached == result.depth == 9 + 4  # S10 ... S2, then C, sub, a, i

    def deep(k: int) -> int:
        return 0 if k == 0 else 1 + deep(k - 1)

    lab.recursive_sort(C)
    assert deep(sys.getrecursionlimit() - 100) > 0  # the stack is whole after the error


def test_the_recursive_sort_refuses_a_limit_raised_past_the_c_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    C, _ = seed_002()
    monkeypatch.setattr(sys, "getrecursionlimit", lambda: 100_000)
    with pytest.raises(ValueError, match="could overflow the C stack"):
        lab.recursive_sort(C)


# ---- a reader: your graph is left as it was


def test_every_mistake_leaves_your_graph_exactly_as_it_found_it() -> None:
    C, n = residual()
    C.backward()  # grads that are not 0, to be kept
    n["w"].position = "kept"  # type: ignore[attr-defined]  # an attribute of your own
    before = snapshot(C)
    results = lab.lab(C, [n["w"], n["b"]], steps=3)
    assert snapshot(C) == before
    mine = set(C.topological_order())
    for result in results:
        if isinstance(result, Misconception):
            assert not mine & set(result.twin.topological_order())  # drawn from a copy


def test_hooks_see_none_of_the_labs_scratch_nodes() -> None:
    C, n = seed_002()
    seen: list[Value] = []
    with hooks(forward=seen.append):
        lab.lab(C, [n["w"]], steps=2)
    assert seen == []


# ---- tables and pictures


def test_a_table_names_nodes_as_the_drawings_do_and_marks_where_numbers_part() -> None:
    f, _, _ = seed_003()
    result = lab.wrong_order(f, "creation")
    numbers = [node for node in f.topological_order() if not node.inputs and not node.label]
    assert all(result.wrong[each] != result.correct[each] for each in numbers)  # 3 and 2 part...
    assert not set(numbers) & set(result.parted)  # ...but nobody reads a number's grad
    lines = str(result).splitlines()
    assert lines[1].split() == ["node", "df/dnode", "creation", "order", "finite", "diff"]
    assert any(line.startswith("mul5 ") and "<- parts" in line for line in lines)
    assert any(line.startswith("add9 ") and "passed on 0.0" in line for line in lines)


def test_finite_differences_print_with_the_gradients_digits_when_they_agree() -> None:
    C, n = seed_002()
    table = str(lab.forget_zero_grad(C, [n["w"]]))
    assert "-0.3098  -0.3098" in table  # -0.30975 by one pass; -0.3097499... by differences


def test_a_long_table_shows_the_first_rows_and_says_so() -> None:
    model = MLP(3, [6, 1], seed=0)
    out = model([1.0, -2.0, 0.5])
    assert isinstance(out, Value)
    cost = (out - 1.0) ** 2
    result = lab.backward_twice(cost)
    assert len(str(result).splitlines()) == 1 + 1 + 12 + 1 + 1  # title, header, rows, ..., lesson
    assert "more rows: table(max_rows=None)" in str(result)
    assert len(result.table(max_rows=None).splitlines()) == 1 + 1 + len(result.rows) + 1


def test_the_picture_holds_the_wrong_grads_and_outlines_where_they_part() -> None:
    f, _, _ = seed_003()
    result = lab.assign_instead_of_add(f)
    source = str(result.draw().source)
    assert "grad 6.0" in source and "grad 12.0" in source  # the mistake's numbers in the boxes
    for node in result.parted:
        note = f'{result.view.id(node)}_right [label="df/d{node.label} = '
        assert note in source
    assert source.count(f'BORDER="3" COLOR="{HIGHLIGHT}"') == 2  # x and y
    assert source.count("penwidth=2.5") == 2  # the two lost shares
    assert "df/dx = 10.0\\nfinite diff 10.0" in source
    assert render_bytes(result.draw(rankdir="TB"), "svg").startswith(b"<?xml")


def test_the_recursion_picture_marks_where_the_sort_stopped() -> None:
    C, _ = seed_002()
    result = lab.recursive_sort(C)
    source = str(result.draw().source)
    k = result.stopped_index
    assert f"S{k}\\ncall {result.reached:,}, the deepest" in source
    assert f"S2 ... S{k - 1}\\nnever reached" in source
    assert f"S{k + 1} ... S{result.terms} = total" in source
    assert "all 1,505 nodes in order" in source
    shallow = str(lab.recursive_sort(C, terms=5).draw().source)
    assert "S2 ... S5 = total\\nin order" in shallow and "RecursionError" not in shallow


# ---- the teaching warning


@pytest.fixture
def caught() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        yield said


def test_a_second_backward_says_once_which_leaf_already_holds_what(
    caught: list[warnings.WarningMessage],
) -> None:
    C, n = seed_002()
    with warn_accumulate():
        C.backward()  # every grad 0: nothing to say
        assert caught == []
        C.backward()
    (said,) = caught
    assert said.category is AccumulationWarning
    assert said.filename == __file__  # the line that called backward()
    text = str(said.message)
    assert "w.grad = 2.1 before the pass" in text
    assert "so do y.grad = -1.4, i.grad = 1.12" in text
    assert "w.grad will be 2.1 + dC/dw, not dC/dw" in text
    assert n["w"].grad == pytest.approx(4.2)


def test_the_warning_is_only_inside_the_block_and_the_innermost_block_decides(
    caught: list[warnings.WarningMessage],
) -> None:
    C, n = seed_002()
    n["w"].grad = 0.5
    C.backward()  # outside every block
    with warn_accumulate(), warn_accumulate(False):
        C.backward()
    with warn_accumulate(False), warn_accumulate():
        C.backward()
    assert len(caught) == 1
    assert "w.grad = 4.7 before the pass" in str(caught[0].message)  # 0.5, and 2.1 twice
    with pytest.raises(TypeError, match="on must be True or False"):
        warn_accumulate(1)  # type: ignore[arg-type]


def test_the_root_the_op_nodes_and_the_numbers_never_warn(
    caught: list[warnings.WarningMessage],
) -> None:
    w = Value(3.0, "w")
    w.grad = 7.0
    C, n = seed_002()
    n["a"].grad, n["sub"].grad, C.grad = 1.0, 2.0, 3.0  # reset by each pass, as is the root
    v = Value(0.3, "v")
    numbers = (v * 2.0 - 1.0) ** 2
    numbers.backward()
    v.grad = 0.0  # the numbers 2.0 and 1.0 still hold grads: nobody reads them
    with warn_accumulate():
        w.backward()
        C.backward()
        numbers.backward()
    assert caught == []


def test_only_the_weights_are_named_never_the_numbers_or_a_networks_inputs(
    caught: list[warnings.WarningMessage],
) -> None:
    model = MLP(2, [3, 1], seed=0)
    x = [Value(1.0, "x1"), Value(-2.0, "x2")]
    out = model(x)
    assert isinstance(out, Value)
    cost = (out - 1.0) ** 2
    with warn_accumulate():
        for _ in range(3):  # the inputs and the number 1.0 add up; zero_grad() clears weights
            model.zero_grad()
            cost.backward()
        assert caught == [] and x[0].grad != 0
        largest = max(model.parameters(), key=lambda p: abs(p.grad))
        held = format_number(largest.grad)
        cost.backward()
    (said,) = caught
    assert f"hold a gradient: {largest.label}.grad = {held} before the pass" in str(said.message)
    assert "x1" not in str(said.message) and "const" not in str(said.message)


def test_with_warnings_made_errors_the_pass_stops_before_any_grad_changes() -> None:
    C, _ = seed_002()
    C.backward()
    before = snapshot(C)
    with warnings.catch_warnings(), warn_accumulate():
        warnings.simplefilter("error", AccumulationWarning)
        with pytest.raises(AccumulationWarning, match=r"w\.grad = 2\.1"):
            C.backward()
    assert snapshot(C) == before


def test_the_switch_is_per_thread(caught: list[warnings.WarningMessage]) -> None:
    C, _ = seed_002()
    C.backward()
    entered, finish = threading.Event(), threading.Event()

    def teaching() -> None:
        with warn_accumulate():
            entered.set()
            finish.wait()

    thread = threading.Thread(target=teaching)
    thread.start()
    entered.wait()
    try:
        assert modes.active == 1
        C.backward()  # this thread is in no block
    finally:
        finish.set()
        thread.join()
    assert caught == []


def test_the_check_a_pass_calls_looks_at_this_threads_switch(
    caught: list[warnings.WarningMessage],
) -> None:
    C, _ = seed_002()
    C.backward()
    order = C.topological_order()
    with modes.no_grad():  # a block: some thread is active, but the switch is off
        modes.before_pass(order)
    assert caught == []
    with warn_accumulate():
        modes.before_pass(order)
    assert len(caught) == 1
    with warn_accumulate(), warn_accumulate(False):  # the innermost block decides
        modes.before_pass(order)
    assert len(caught) == 1


def test_ctrl_c_anywhere_in_warn_accumulate_leaves_the_switch_off() -> None:
    C, _ = seed_002()
    C.backward()

    def prepare() -> Callable[[], object]:
        def run() -> None:
            with warn_accumulate():
                assert modes._here.before_pass is not None

        return run

    def check() -> None:
        assert modes.active == 0 and modes._here.before_pass is None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            C.backward()  # no warning: the switch is off

    assert ctrl_c_everywhere(prepare, check) > 30


def test_warn_accumulate_works_as_a_decorator(caught: list[warnings.WarningMessage]) -> None:
    C, _ = seed_002()

    @warn_accumulate()
    def twice() -> None:
        C.backward()
        C.backward()

    twice()
    twice()
    assert len(caught) == 3  # the second pass of the first call, both of the second


def test_a_tape_replay_warns_too(caught: list[warnings.WarningMessage]) -> None:
    C, _ = seed_002()
    tape = Tape(C)
    tape.replay()
    with warn_accumulate():
        tape.replay()
    assert len(caught) == 1


def test_a_stepping_pass_warns_too(caught: list[warnings.WarningMessage]) -> None:
    C, _ = seed_002()
    C.backward()
    with warn_accumulate():
        list(backward_steps(C))
    assert len(caught) == 1
