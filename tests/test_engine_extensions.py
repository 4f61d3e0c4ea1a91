"""Ops of your own (Value.from_op), the new built-ins, comparisons, and micrograd's names."""

from __future__ import annotations

import math

import pytest

from micrograd_like import Value, explain, no_grad
from micrograd_like.engine import OPS


def my_sinh(x: Value) -> Value:
    """An op defined outside the package: ∂sinh(a)/∂a = cosh(a)."""
    return Value.from_op("my_sinh", math.sinh(x.data), [x], [math.cosh(x.data)], ["cosh(a)"])


def test_from_op_node_backpropagates_like_a_built_in() -> None:
    x = Value(0.7, "x")
    y = my_sinh(x * 2.0) * 3.0
    y.backward()
    assert y.data == pytest.approx(3 * math.sinh(1.4))
    assert x.grad == pytest.approx(6 * math.cosh(1.4))  # hand chain rule: 3 * cosh(2x) * 2
    assert y.inputs[0].op == "my_sinh"


def test_from_op_formula_reaches_explain() -> None:
    x = Value(0.5, "x")
    y = my_sinh(x)
    y.label = "y"
    text = str(explain(y, x))
    assert "cosh(x)" in text
    assert (OPS["my_sinh"].value, OPS["my_sinh"].local) == ("my_sinh(a)", ("cosh(a)",))


def test_from_op_with_two_inputs() -> None:
    a, b = Value(3.0), Value(4.0)
    hyp = Value.from_op("hypot", 5.0, [a, b], [3.0 / 5.0, 4.0 / 5.0], ["a / out", "b / out"])
    hyp.backward()
    assert (a.grad, b.grad) == (0.6, 0.8)


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        (("", 1.0, [Value(1.0)], [1.0]), ValueError, "non-empty"),
        (("tanh", 1.0, [Value(1.0)], [1.0]), ValueError, "built-in op"),
        (("mine", 1.0, Value(1.0), [1.0]), TypeError, "list of one or two Values"),
        (("mine", 1.0, [], []), TypeError, "one or two Values"),
        (("mine", 1.0, [Value(1.0)] * 3, [1.0] * 3), TypeError, "one or two Values"),
        (("mine", 1.0, [1.0], [1.0]), TypeError, "one or two Values"),
        (("mine", 1.0, [Value(1.0)], [1.0, 2.0]), ValueError, "one per input"),
        (("mine", float("nan"), [Value(1.0)], [1.0]), ValueError, "mine: value: nan"),
        (("mine", 1.0, [Value(1.0)], [float("nan")]), ValueError, "local derivative: nan"),
        (("mine", "1", [Value(1.0)], [1.0]), TypeError, "got str"),
    ],
)
def test_from_op_refuses_bad_arguments_by_name(
    args: tuple[object, ...], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        Value.from_op(*args)  # type: ignore[arg-type]


def test_from_op_refuses_a_second_formula_for_one_name() -> None:
    x = Value(1.0)
    Value.from_op("twice", 2.0, [x], [2.0], ["2"])
    with pytest.raises(ValueError, match="already has the formula"):
        Value.from_op("twice", 2.0, [x], [2.0], ["3"])


def test_from_op_respects_no_grad() -> None:
    with no_grad():
        out = my_sinh(Value(1.0))
    assert out.op == "" and out.inputs == ()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Value(-1.0).sqrt(), r"sqrt\(-1.0\): input must be >= 0"),
        (lambda: Value(0.0).sqrt(), r"sqrt\(0.0\): the local derivative .* is infinite"),
    ],
)
def test_sqrt_errors_name_the_op_and_value(make: object, words: str) -> None:
    with pytest.raises((ValueError, ZeroDivisionError), match=words):
        make()  # type: ignore[operator]


def test_abs_has_local_derivative_sign_and_zero_at_zero() -> None:
    for x, sign in ((-2.0, -1.0), (0.0, 0.0), (3.0, 1.0)):
        node = abs(Value(x))
        assert node.data == abs(x)
        assert node.local_grads == (sign,)
    assert Value(-2.0).abs().data == 2.0


def test_comparisons_read_data_and_return_bool() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (a < b, a <= b, a > b, a >= b) == (True, True, False, False)
    assert a < 1.5 and a >= 1 and not a > 1
    assert 0.5 < a  # noqa: SIM300  # a number on the left: Python asks Value.__gt__
    assert max([a, b]) is b
    assert sorted([b, a]) == [a, b]
    assert Value(1.0) < 10**400  # compared exactly, as 1.0 < 10**400 is
    with pytest.raises(TypeError, match="'<' not supported between instances of 'Value' and 'str'"):
        a < "x"  # type: ignore[operator]  # noqa: B015


def test_equality_stays_identity_so_nodes_hash() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2


def test_micrograd_prev_op_and_backward_by_hand() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    o = c.tanh()
    assert o._prev == {c} and c._prev == {a, b}
    assert (o._op, c._op, a._op) == ("tanh", "*", "")
    o.grad = 1.0
    o._backward()  # the lecture's cells: one node at a time
    c._backward()
    t = math.tanh(-6.0)
    assert c.grad == pytest.approx(1 - t * t)
    assert (a.grad, b.grad) == pytest.approx(((1 - t * t) * -3.0, (1 - t * t) * 2.0))


def test_code_can_keep_its_own_attributes_on_a_node() -> None:
    tagged = Value(1.0)
    tagged.m = 0.5  # type: ignore[attr-defined]  # an optimizer's state, micrograd style
    assert tagged.m == 0.5  # type: ignore[attr-defined]
    assert vars(Value(2.0) * 1.0) == {}  # the slots are not in it: only what you add


def test_an_op_of_a_subclass_marked_with_operation_works_in_every_reader() -> None:
    """The registry collects the ops of Value's subclasses too, when a reader first meets them."""
    from micrograd_like import Tape, draw_dot
    from micrograd_like.engine import make_node, operation

    class Cubing(Value):
        __slots__ = ()

        @operation("cube_of_own", "a**3", "3 * a**2")
        def cube(self) -> Value:
            return make_node(self.data**3, "cube_of_own", self, 3 * self.data**2)

    x = Cubing(2.0, "x")
    y = x.cube()
    y.label = "y"
    y.backward()
    assert x.grad == 12.0
    assert "3 * x**2" in str(explain(y, x))
    assert "cube_of_own" in str(draw_dot(Cubing(1.0).cube()).source)
    x.data = 3.0
    Tape(y).replay(check=True)
    assert (y.data, x.grad) == (27.0, 12.0 + 27.0)  # leaf grads add up across passes


def test_a_method_without_operation_is_named_by_the_readers() -> None:
    from micrograd_like import draw_dot
    from micrograd_like.engine import make_node

    x = Value(2.0)
    y = make_node(4.0, "unmarked_square", x, 4.0)
    y.backward()  # the chain rule needs no registry
    assert x.grad == 4.0
    with pytest.raises(LookupError, match=r"'unmarked_square' has no entry.*@operation"):
        draw_dot(y)


def test_the_stepping_pass_takes_the_classs_step_as_backward_does() -> None:
    """micrograd code may set a node's _backward (its closure): backward() and the stepping
    pass both apply the class's chain-rule step, so they agree."""
    from micrograd_like import backward_steps

    x = Value(2.0)
    y = x * x
    y._backward = lambda: None  # type: ignore[method-assign]
    y.backward()
    eager = x.grad
    x.grad = 0.0
    list(backward_steps(y))
    assert x.grad == eager == 4.0


def test_the_registry_of_op_names_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from micrograd_like import engine

    x = Value(1.0)
    Value.from_op("bounded_known", 1.0, [x], [1.0])
    monkeypatch.setattr(engine, "MAX_OPS", len(engine.OPS))
    Value.from_op("bounded_known", 2.0, [x], [1.0])  # a known name is always fine
    with pytest.raises(ValueError, match="op names are known already"):
        Value.from_op("bounded_new", 1.0, [x], [1.0])
    assert "bounded_new" not in engine.OPS


def test_a_non_number_is_refused_without_asking_it_anything() -> None:
    class Hostile:
        def __getattr__(self, name: str) -> object:
            raise RuntimeError(f"asked for {name}")

    with pytest.raises(TypeError, match=r"expected a real number .* got Hostile"):
        Value(Hostile())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"got a Value .* use it directly"):
        Value(Value(1.0))  # type: ignore[arg-type]


def test_backward_steps_as_a_method_says_where_it_went() -> None:
    with pytest.raises(AttributeError, match=r"now backward_steps\(C\)"):
        Value(1.0).backward_steps()


def test_a_formula_may_name_only_the_ops_own_inputs_and_output() -> None:
    x = Value(1.0)
    with pytest.raises(ValueError, match=r"naming only a, out, got \['2\*b'\]"):
        Value.from_op("doubling_b", 2.0, [x], [2.0], ["2*b"])
    Value.from_op("scaled_sine", 0.0, [x], [1.0], ["cos(a) * out / out"])  # calls are fine


def test_a_label_set_after_construction_is_checked_too() -> None:
    p = Value(1.0, "w")
    with pytest.raises(TypeError, match="label must be a str, got int: 7"):
        p.label = 7  # type: ignore[assignment]
    assert p.label == "w"
    with pytest.raises(TypeError, match="label must be a str, got NoneType"):
        Value(1.0, label=None)  # type: ignore[arg-type]
    assert Value(1.0).__dict__ == {}  # an unlabelled node keeps no dictionary of its own
