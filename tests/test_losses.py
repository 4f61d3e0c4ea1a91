"""Every cost function against hand-computed values and finite-difference gradients, at
extreme inputs, and with clear errors for inputs that do not pair up."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from micrograd_like.engine import Value
from micrograd_like.losses import (
    binary_cross_entropy,
    cross_entropy,
    half_sse,
    hinge,
    mse,
    softmax,
    sse,
)
from micrograd_like.steps import backward_steps, explain
from micrograd_like.tape import Tape

Cost = Callable[[Sequence[Value]], Value]


def assert_gradients_match_finite_differences(cost: Cost, xs: list[float]) -> None:
    """d cost / d x_i from backward() against the central difference (f(x+h) - f(x-h)) / 2h."""
    leaves = [Value(x) for x in xs]
    cost(leaves).backward()
    h = 1e-6
    for i, leaf in enumerate(leaves):
        up = [Value(x + h * (j == i)) for j, x in enumerate(xs)]
        down = [Value(x - h * (j == i)) for j, x in enumerate(xs)]
        numeric = (cost(up).data - cost(down).data) / (2 * h)
        assert leaf.grad == pytest.approx(numeric, rel=1e-6, abs=1e-7), f"input {i}"


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


# ---- squared errors

A, Y = [0.5, 2.0, -1.0], [1.0, 0.0, -1.5]  # differences -0.5, 2.0, 0.5


def test_sse_is_the_sum_of_squared_differences() -> None:
    assert sse(A, Y).data == pytest.approx(0.25 + 4.0 + 0.25)


def test_half_sse_is_half_of_it_with_gradient_a_minus_y() -> None:
    outputs = [Value(a) for a in A]
    cost = half_sse(outputs, Y)
    cost.backward()
    assert cost.data == pytest.approx(2.25)
    assert [a.grad for a in outputs] == pytest.approx([-0.5, 2.0, 0.5])  # dE/da = a - y


def test_mse_is_the_mean_with_gradient_two_over_n_times_the_difference() -> None:
    outputs = [Value(a) for a in A]
    cost = mse(outputs, Y)
    cost.backward()
    assert cost.data == pytest.approx(4.5 / 3)
    assert [a.grad for a in outputs] == pytest.approx([2 / 3 * d for d in (-0.5, 2.0, 0.5)])


@pytest.mark.parametrize("cost", [sse, half_sse, mse])
def test_squared_error_gradients_match_finite_differences(cost: Callable[..., Value]) -> None:
    assert_gradients_match_finite_differences(lambda v: cost(v, Y), A)


# ---- hinge


def test_hinge_is_the_mean_of_margins_still_to_go() -> None:
    # margins max(0, 1 - y s): 1 - 2 = -1 -> 0, 1 - 0.25 = 0.75, 1 + 0.5 = 1.5
    scores = [Value(2.0), Value(0.25), Value(0.5)]
    cost = hinge(scores, [1, 1, -1])
    cost.backward()
    assert cost.data == pytest.approx((0 + 0.75 + 1.5) / 3)
    assert [s.grad for s in scores] == pytest.approx([0.0, -1 / 3, 1 / 3])  # -y/n where active


def test_hinge_gradient_matches_finite_differences() -> None:
    assert_gradients_match_finite_differences(lambda v: hinge(v, [1, -1, 1]), [0.3, 0.2, -2.0])


def test_hinge_rejects_labels_other_than_plus_minus_one() -> None:
    with pytest.raises(ValueError, match=r"hinge: labels must be -1 or \+1, got labels\[1\] = 0"):
        hinge([0.5, 0.5], [1, 0])


# ---- binary cross-entropy


def test_binary_cross_entropy_value() -> None:
    expected = -(math.log(0.8) + math.log(1 - 0.3)) / 2
    assert binary_cross_entropy([0.8, 0.3], [1, 0]).data == pytest.approx(expected)


def test_binary_cross_entropy_gradient_matches_finite_differences() -> None:
    assert_gradients_match_finite_differences(
        lambda v: binary_cross_entropy(v, [1.0, 0.0, 0.25]), [0.8, 0.3, 0.6]
    )


def test_binary_cross_entropy_of_exactly_zero_or_one_is_finite() -> None:
    p = [Value(0.0), Value(1.0)]
    cost = binary_cross_entropy(p, [1, 0])  # both completely wrong: clamped to eps = 1e-7
    cost.backward()
    assert cost.data == pytest.approx(-math.log(1e-7))
    assert all(math.isfinite(x.grad) and x.grad != 0 for x in p)
    assert binary_cross_entropy([0.0, 1.0], [0, 1]).data == pytest.approx(-math.log(1 - 1e-7))


def test_binary_cross_entropy_from_logits_equals_sigmoid_then_bce() -> None:
    logits, targets = [1.2, -0.7, 3.0], [1.0, 0.0, 0.4]
    expected = binary_cross_entropy([sigmoid(z) for z in logits], targets).data
    assert binary_cross_entropy(logits, targets, from_logits=True).data == pytest.approx(expected)


def test_binary_cross_entropy_from_logits_gradient_is_sigmoid_minus_target() -> None:
    logits, targets = [Value(1.2), Value(0.0), Value(-3.0)], [1.0, 0.0, 0.4]
    binary_cross_entropy(logits, targets, from_logits=True).backward()
    expected = [(sigmoid(z.data) - y) / 3 for z, y in zip(logits, targets, strict=True)]
    assert [z.grad for z in logits] == pytest.approx(expected, rel=1e-12)


def test_binary_cross_entropy_from_extreme_logits_is_exact() -> None:
    logits = [Value(1000.0), Value(-1000.0)]
    cost = binary_cross_entropy(logits, [0, 0], from_logits=True)
    cost.backward()
    assert cost.data == pytest.approx(1000.0 / 2)  # softplus(1000) = 1000, softplus(-1000) = 0
    assert [z.grad for z in logits] == pytest.approx([0.5, 0.0])


def test_binary_cross_entropy_says_when_outputs_are_not_probabilities() -> None:
    with pytest.raises(ValueError, match=r"probabilities\[0\] = 2.0 .* from_logits=True"):
        binary_cross_entropy([2.0], [1])


# ---- softmax and cross-entropy


def test_softmax_values_sum_to_one() -> None:
    logits = [1.0, 2.0, 0.5]
    total = sum(math.exp(z) for z in logits)
    probabilities = softmax(logits)
    assert [p.data for p in probabilities] == pytest.approx([math.exp(z) / total for z in logits])
    assert sum(p.data for p in probabilities) == pytest.approx(1.0)


def test_softmax_gradient_matches_finite_differences() -> None:
    assert_gradients_match_finite_differences(lambda v: softmax(v)[1], [1.0, 2.0, 0.5])


def test_softmax_of_extreme_logits_does_not_overflow() -> None:
    assert [p.data for p in softmax([1000.0, -1000.0, 1000.0])] == [0.5, 0.0, 0.5]


def test_cross_entropy_is_minus_log_softmax_of_the_target() -> None:
    logits = [1.0, 2.0, 0.5]
    expected = -math.log(math.exp(2.0) / sum(math.exp(z) for z in logits))
    assert cross_entropy(logits, 1).data == pytest.approx(expected)
    assert cross_entropy(logits, [0.0, 1.0, 0.0]).data == pytest.approx(expected)


@pytest.mark.parametrize("target", [2, [0.0, 0.0, 1.0], [0.2, 0.5, 0.3]])
def test_cross_entropy_gradient_is_p_minus_y(target: int | list[float]) -> None:
    logits = [Value(z) for z in (1.0, -2.0, 0.5)]
    cross_entropy(logits, target).backward()
    exps = [math.exp(z.data) for z in logits]
    p = [e / sum(exps) for e in exps]  # softmax by hand
    y = [float(k == target) for k in range(3)] if isinstance(target, int) else target
    assert [z.grad for z in logits] == pytest.approx(
        [pk - yk for pk, yk in zip(p, y, strict=True)], abs=1e-12
    )


def test_cross_entropy_gradient_matches_finite_differences() -> None:
    assert_gradients_match_finite_differences(
        lambda v: cross_entropy(v, [0.2, 0.5, 0.3]), [1.0, -2.0, 0.5]
    )


def test_cross_entropy_of_extreme_logits_is_exact() -> None:
    logits = [Value(1000.0), Value(-1000.0)]
    cost = cross_entropy(logits, 1)  # -log p_1 = lse - z_1 = 1000 - (-1000)
    cost.backward()
    assert cost.data == 2000.0
    assert [z.grad for z in logits] == [1.0, -1.0]
    assert cross_entropy([1000.0, -1000.0], 0).data == 0.0


def test_cross_entropy_with_target_leaves_can_be_replayed_for_another_class() -> None:
    logits = [Value(z) for z in (1.0, -2.0, 0.5)]
    target = [Value(1.0), Value(0.0), Value(0.0)]  # leaves: class 0 now, refilled below
    cost = cross_entropy(logits, target)
    assert cost.data == cross_entropy([1.0, -2.0, 0.5], 0).data
    tape = Tape(cost)
    for leaf, y in zip(target, (0.0, 0.0, 1.0), strict=True):  # now the right class is 2
        leaf.data = y
    tape.replay()
    exps = [math.exp(z.data) for z in logits]
    p = [e / sum(exps) for e in exps]
    assert cost.data == cross_entropy([1.0, -2.0, 0.5], 2).data
    assert [z.grad for z in logits] == pytest.approx([p[0], p[1], p[2] - 1.0], abs=1e-12)
    with pytest.raises(ValueError, match="sum to 1"):
        cross_entropy(logits, [Value(0.5), Value(0.0), Value(0.0)])


def test_cross_entropy_rejects_a_bad_target() -> None:
    with pytest.raises(ValueError, match=r"target class 3 is outside 0\.\.2"):
        cross_entropy([1.0, 2.0, 3.0], 3)
    with pytest.raises(ValueError, match="sum to 1"):
        cross_entropy([1.0, 2.0], [0.5, 0.6])


# ---- inputs that do not pair up


@pytest.mark.parametrize(
    ("cost", "name"),
    [
        (sse, "sse"),
        (half_sse, "half_sse"),
        (mse, "mse"),
        (hinge, "hinge"),
        (binary_cross_entropy, "binary_cross_entropy"),
        (cross_entropy, "cross_entropy"),
    ],
)
def test_mismatched_lengths_name_the_function_and_both_lengths(
    cost: Callable[..., Value], name: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: .* same length, got 3 and 2$"):
        cost([0.5, 0.5, 0.5], [1, 0])


def test_a_non_number_names_the_function_and_position() -> None:
    with pytest.raises(TypeError, match=r"mse: targets\[1\] must be a finite number, got str"):
        mse([0.5, 0.5], [1.0, "x"])  # type: ignore[list-item]


def test_a_bare_value_instead_of_a_list_is_rejected() -> None:
    with pytest.raises(TypeError, match="sse: predictions must be a sequence, got Value"):
        sse(Value(1.0), [1.0])  # type: ignore[arg-type]


def test_empty_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="softmax: logits is empty"):
        softmax([])


# ---- a cost is named after its loss


LABELLED: list[tuple[Callable[[list[Value]], Value], str]] = [
    (lambda v: sse(v, [1.0, 0.0]), "sse"),
    (lambda v: half_sse(v, [1.0, 0.0]), "half_sse"),
    (lambda v: mse(v, [1.0, 0.0]), "mse"),
    (lambda v: hinge(v, [1, -1]), "hinge"),
    (lambda v: binary_cross_entropy(v, [1.0, 0.0]), "binary_cross_entropy"),
    (lambda v: binary_cross_entropy(v, [1.0, 0.0], from_logits=True), "binary_cross_entropy"),
    (lambda v: cross_entropy(v, 1), "cross_entropy"),
    (lambda v: cross_entropy(v, [0.25, 0.75]), "cross_entropy"),
    (lambda v: cross_entropy(v, [Value(0.0), Value(1.0)]), "cross_entropy"),
    (lambda v: sse(v[:1], [1.0]), "sse"),  # one term: the total is that term's own node
]


@pytest.mark.parametrize(("cost", "name"), LABELLED, ids=[name for _, name in LABELLED])
def test_every_loss_labels_its_cost_with_its_name_and_a_later_label_wins(
    cost: Callable[[list[Value]], Value], name: str
) -> None:
    outputs = [Value(0.25, "a1"), Value(0.75, "a2")]
    loss = cost(outputs)
    assert loss.label == name
    assert [each.label for each in outputs] == ["a1", "a2"]  # the inputs keep theirs
    assert str(next(backward_steps(loss))).startswith(f"d{name}/d{name} = 1 (the root")
    loss.label = "C"  # the learner's own name for the cost replaces it
    assert str(next(backward_steps(loss))).startswith("dC/dC = 1 (the root")


def test_an_unlabelled_mse_no_longer_reads_as_its_division() -> None:
    # the text: `ddiv10/ddiv10 = 1`; by hand, d mse / d w = 2 (w*3 - 1) * 3 = 30 at w = 2
    w = Value(2.0, "w")
    lines = [str(step) for step in backward_steps(mse([w * 3], [1.0]), constants=False)]
    assert lines[0].startswith("dmse/dmse = 1")
    assert lines[-1] == "dmse/dw = 30.0 (a leaf: final)"
    assert not any("div" in line or "const" in line for line in lines)


@pytest.mark.parametrize("target", [0, 2, [0.2, 0.5, 0.3]])
def test_cross_entropy_fused_is_the_seeds_form_with_the_same_numbers(target: Any) -> None:
    def run(fused: bool) -> tuple[Value, list[Value]]:
        zs = [Value(z, f"z{k}") for k, z in enumerate((2.0, 1.0, 0.1))]
        cost = cross_entropy(zs, target, fused=fused)
        cost.backward()
        return cost, zs

    (fused, zs), (plain, plain_zs) = run(True), run(False)
    assert fused.label == "cross_entropy" and fused.data == pytest.approx(plain.data, rel=1e-15)
    p = [q.data for q in softmax([2.0, 1.0, 0.1])]
    y = [float(k == target) for k in range(3)] if isinstance(target, int) else target
    for k, z in enumerate(zs):
        assert z.grad == pytest.approx(plain_zs[k].grad, rel=1e-12)
        assert z.grad == pytest.approx(p[k] - y[k], rel=1e-12)  # seed 004: dC/dz_k = p_k - y_k
        text = str(explain(fused, z, identity=False))
        assert "1 path" in text and text.count("∂softmax_cross_entropy") == 1
    with pytest.raises(ValueError, match="softmax_cross_entropy"):
        Tape(fused)
    with pytest.raises(TypeError, match="fused must be True or False"):
        cross_entropy([1.0, 2.0], 0, fused=1)  # type: ignore[arg-type]
