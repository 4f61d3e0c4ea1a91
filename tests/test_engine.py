"""The engine against independent oracles: central finite differences, sympy's exact
derivatives, and micrograd itself."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import pytest
import sympy
from micrograd.engine import Value as MicrogradValue

from micrograd_like import Value, no_grad
from micrograd_like.engine import OPS
from micrograd_like.modes import is_grad_enabled


def finite_difference(f: Callable[[list[float]], float], xs: list[float], i: int) -> float:
    """Central difference d f / d x_i, with a step scaled to the point."""
    h = 1e-6 * max(1.0, abs(xs[i]))
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


def check_against_finite_differences(
    build: Callable[[list[Value]], Value], xs: list[float], tol: float = 1e-6
) -> None:
    leaves = [Value(x) for x in xs]
    out = build(leaves)
    out.backward()

    def f(points: list[float]) -> float:
        return build([Value(p) for p in points]).data

    for i, leaf in enumerate(leaves):
        numeric = finite_difference(f, xs, i)
        assert leaf.grad == pytest.approx(numeric, rel=tol, abs=tol), f"input {i}"


# ---- every op: value and gradient

UNARY_OPS: dict[str, tuple[Callable[[Value], Value], Callable[[float], float], list[float]]] = {
    "neg": (lambda a: -a, lambda x: -x, [-2.0, 0.0, 3.5]),
    "exp": (lambda a: a.exp(), math.exp, [-3.0, 0.0, 2.5]),
    "log": (lambda a: a.log(), math.log, [0.1, 1.0, 7.0]),
    "tanh": (lambda a: a.tanh(), math.tanh, [-2.0, 0.0, 0.5]),
    "sigmoid": (lambda a: a.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), [-4.0, 0.0, 3.0]),
    "relu": (lambda a: a.relu(), lambda x: max(x, 0.0), [-2.0, 0.5, 3.0]),
    "square": (lambda a: a**2, lambda x: x**2, [-1.5, 0.0, 2.0]),
    "cube": (lambda a: a**3, lambda x: x**3, [-1.5, 0.3, 2.0]),
    "inverse": (lambda a: a**-1, lambda x: 1 / x, [-1.5, 0.3, 2.0]),
    "sqrt": (lambda a: a**0.5, math.sqrt, [0.2, 1.0, 9.0]),
    "zeroth power": (lambda a: a**0, lambda x: 1.0, [-1.0, 0.0, 2.0]),
    "reflected add": (lambda a: 2 + a, lambda x: 2 + x, [-1.0, 4.0]),
    "reflected sub": (lambda a: 2 - a, lambda x: 2 - x, [-1.0, 4.0]),
    "reflected mul": (lambda a: 2 * a, lambda x: 2 * x, [-1.0, 4.0]),
    "reflected div": (lambda a: 2 / a, lambda x: 2 / x, [-1.0, 4.0]),
    "reflected pow": (lambda a: 2**a, lambda x: 2**x, [-1.0, 0.0, 4.0]),
}


@pytest.mark.parametrize("name", UNARY_OPS)
def test_one_input_op_value_and_gradient(name: str) -> None:
    op, reference, points = UNARY_OPS[name]
    for x in points:
        assert op(Value(x)).data == pytest.approx(reference(x), rel=1e-12, abs=1e-12)
        check_against_finite_differences(lambda v: op(v[0]), [x])


BINARY_OPS: dict[str, tuple[Callable[[Value, Value], Value], list[tuple[float, float]]]] = {
    "+": (lambda a, b: a + b, [(1.0, 2.0), (-3.0, 0.5)]),
    "-": (lambda a, b: a - b, [(1.0, 2.0), (-3.0, 0.5)]),
    "*": (lambda a, b: a * b, [(1.5, 0.8), (-3.0, 0.5)]),
    "/": (lambda a, b: a / b, [(1.5, 0.8), (-3.0, -0.5)]),
    "**": (lambda a, b: a**b, [(1.5, 0.8), (2.0, -1.5), (0.3, 3.0)]),
}


@pytest.mark.parametrize("name", BINARY_OPS)
def test_two_input_op_gradient(name: str) -> None:
    op, points = BINARY_OPS[name]
    for a, b in points:
        check_against_finite_differences(lambda v: op(v[0], v[1]), [a, b])


def test_relu_gradient_is_zero_at_and_below_zero_like_micrograd() -> None:
    for x in (0.0, -1.0):
        a = Value(x)
        a.relu().backward()
        assert a.grad == 0.0


def test_zero_base_with_value_exponent() -> None:
    a, b = Value(0.0), Value(2.0)
    out = a**b
    out.backward()
    assert (out.data, a.grad, b.grad) == (0.0, 0.0, 0.0)  # d/da = 2a = 0; lim a*log(a) = 0


def test_sigmoid_does_not_overflow_at_extremes() -> None:
    low, high = Value(-1000.0).sigmoid(), Value(1000.0).sigmoid()
    assert (low.data, high.data) == (0.0, 1.0)
    assert low.local_grads == (0.0,)
    assert high.local_grads == (0.0,)
    assert Value(-30.0).sigmoid().data == pytest.approx(math.exp(-30) / (1 + math.exp(-30)))


# ---- the local derivatives written beside each op agree with the numbers it stores

SYMBOLS = {
    "a": sympy.Symbol("a"),
    "b": sympy.Symbol("b"),
    "n": sympy.Symbol("n"),
    "out": sympy.Symbol("out"),
    "sigmoid": sympy.Lambda(sympy.Symbol("t"), 1 / (1 + sympy.exp(-sympy.Symbol("t")))),
    "step": sympy.Lambda(sympy.Symbol("t"), sympy.Piecewise((1, sympy.Symbol("t") > 0), (0, True))),
    "max": sympy.Max,
    "sign": sympy.sign,
}

# Where each op is evaluated: every first input with every second, but for the points outside an
# op's domain, which must raise; the number power is a ** 3.
FIRST_INPUTS = (0.7, -1.7, 1.5)
SECOND_INPUTS = (-0.5, 1.5)
EXPONENT = 3.0
OUTSIDE = {("log", -1.7), ("sqrt", -1.7), ("**", -1.7)}  # (op, first input)


def built_in_ops() -> list[str]:
    """Every op a method of Value makes, from the one registry: an op added there is tested."""
    return sorted(name for name, op in OPS.items() if op.method is not None)


def test_every_built_in_op_has_a_method_and_a_formula_per_input() -> None:
    assert {"+", "-", "*", "/", "**", "**n", "neg", "exp", "log", "tanh", "relu"} <= set(OPS)
    for name in built_in_ops():
        local = OPS[name].local
        assert local is not None and len(local) in (1, 2), name


def evaluate(formula: str, env: dict[sympy.Symbol, float]) -> float:
    return float(sympy.sympify(formula, locals=SYMBOLS).subs(env))


@pytest.mark.parametrize("kind", built_in_ops())
def test_written_formulas_match_the_stored_local_derivatives(kind: str) -> None:
    op = OPS[kind]
    assert op.local is not None
    checked = 0
    for a in FIRST_INPUTS:
        for b in SECOND_INPUTS if len(op.local) == 2 else (0.0,):
            try:
                if kind == "**n":
                    out = Value(a) ** EXPONENT
                else:
                    assert op.method is not None
                    out = op.method(*(Value(a), Value(b))[: len(op.local)])
            except (ValueError, ArithmeticError):
                assert (kind, a) in OUTSIDE, f"{kind} raised at {a, b}"
                continue
            env = {SYMBOLS["a"]: a, SYMBOLS["b"]: b, SYMBOLS["n"]: EXPONENT}
            env[SYMBOLS["out"]] = out.data
            assert evaluate(op.value, env) == pytest.approx(out.data, rel=1e-12), (a, b)
            for formula, stored in zip(op.local, out.local_grads, strict=True):
                assert evaluate(formula, env) == pytest.approx(stored, rel=1e-12, abs=1e-15), (a, b)
            checked += 1
    assert checked >= 2, f"{kind}: evaluated at {checked} point(s)"


# ---- graph structure


def test_inputs_keep_order_and_duplicates() -> None:
    a = Value(3.0, label="a")
    square = a * a
    assert square.inputs == (a, a)
    assert square.op == "*"
    difference = 2 - a
    assert difference.inputs[1] is a
    assert difference.inputs[0].data == 2.0
    assert a.inputs == () and a.op == "" and a.local_grads == ()


def test_node_used_twice_gets_both_contributions() -> None:
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0  # d(a^2)/da = 2a
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (b.grad, a.grad) == (2.0, 4.0)


def test_op_names_and_repr() -> None:
    x = Value(0.8813735870195432, label="x")
    o = x.tanh()
    o.label = "o"
    o.backward()
    assert repr(o) == "Value(data=0.7071, grad=1.0, op='tanh', label='o')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(1.5e-7)) == "Value(data=1.5e-07, grad=0.0)"
    assert (x**2).op == "**2"
    assert (x ** Value(2.0)).op == "**"


# ---- backward semantics


def test_second_backward_gives_same_intermediate_grads_and_accumulates_leaves() -> None:
    x, w = Value(1.5), Value(0.8)
    a = x * w
    cost = (a - 0.5) ** 2
    cost.backward()
    first = (a.grad, w.grad)
    cost.backward()
    assert a.grad == first[0]  # intermediate: reset, then recomputed
    assert w.grad == 2 * first[1]  # leaf: accumulated
    w.grad = 0.0
    cost.backward()
    assert w.grad == first[1]


def test_deep_chain_of_a_million_ops_at_the_default_recursion_limit() -> None:
    runner_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default, whatever the test runner set
    try:
        x = Value(1.0)
        c = Value(1.0000001)
        y = x
        for _ in range(1_000_000):
            y = y * c
        y.backward()
        assert sys.getrecursionlimit() == 1000
    finally:
        sys.setrecursionlimit(runner_limit)
    assert x.grad == pytest.approx(1.0000001**1_000_000, rel=1e-9)
    assert c.grad == pytest.approx(1_000_000 * 1.0000001**999_999, rel=1e-9)
    del y  # freeing the chain must not overflow the C stack either


def test_backward_on_a_leaf() -> None:
    x = Value(3.0)
    x.backward()
    assert x.grad == 1.0


def test_no_grad_computes_values_without_recording() -> None:
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3 + 1
    assert y.data == 7.0
    assert y.inputs == () and y.op == ""
    assert is_grad_enabled()
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_grad_enabled()  # restored after an exception
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()  # nesting restores the outer state


def test_zero_grad_clears_a_whole_graph() -> None:
    x = Value(2.0)
    y = x * x
    y.backward()
    y.zero_grad()
    assert (x.grad, y.grad) == (0.0, 0.0)


# ---- bad input: a clear error at the point of the mistake


@pytest.mark.parametrize(
    ("data", "type_name"), [("abc", "str"), (None, "NoneType"), (1 + 2j, "complex")]
)
def test_value_rejects_non_numbers_naming_the_type(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=type_name):
        Value(data)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda big: big - big, r"-: \(inf - inf\) is not a number"),
        (lambda big: big * 0.0, r"\*: \(inf \* 0\.0\) is not a number"),
        (lambda big: big / big, r"/: \(inf / inf\) is not a number"),
    ],
)
def test_an_op_never_makes_a_nan(make: Callable[[Value], Value], message: str) -> None:
    big = Value(1e308) * 10.0  # floats overflow to inf, as in IEEE arithmetic
    assert big.data == math.inf
    with pytest.raises(ValueError, match=message):
        make(big)


def test_value_rejects_nan_and_bad_labels() -> None:
    with pytest.raises(ValueError, match="nan"):
        Value(float("nan"))
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_operator_with_a_non_number_names_the_op_and_type() -> None:
    with pytest.raises(TypeError, match=r"\+.*str"):
        Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"\*\*.*list"):
        Value(1.0) ** [2]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Value(-2.0).log(), ValueError, r"log\(-2\.0\): input must be > 0"),
        (lambda: Value(0.0).log(), ValueError, r"log\(0\.0\)"),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, r"1\.0 / 0\.0"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"1\.0 / 0\.0"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, r"1\.0 / 0\.0"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"0\.0 \*\* -1"),
        (lambda: Value(-8.0) ** 0.5, ValueError, r"-8\.0 \*\* 0\.5.*negative base"),
        (lambda: Value(-8.0) ** Value(0.5), ValueError, r"-8\.0 \*\* Value\(0\.5\)"),
        (lambda: Value(-2.0) ** Value(2.0), ValueError, r"needs base > 0"),
        (lambda: Value(0.0) ** 0.5, ZeroDivisionError, r"0\.0 \*\* 0\.5.*infinite"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp\(1000\.0\)"),
        (lambda: Value(10.0) ** 400, OverflowError, r"10\.0 \*\* 400"),
    ],
)
def test_out_of_domain_ops_name_the_op_and_values(
    make: Callable[[], Value], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


# ---- micrograd drop-in: its README and engine tests, against micrograd and exact sympy


class Exact:
    """A sympy expression with micrograd's Value interface, for exact reference values."""

    def __init__(self, expr: object) -> None:
        self.expr = sympy.sympify(expr)

    def _wrap(self, other: object) -> Exact:
        return other if isinstance(other, Exact) else Exact(other)

    def __add__(self, other: object) -> Exact:
        return Exact(self.expr + self._wrap(other).expr)

    __radd__ = __add__

    def __mul__(self, other: object) -> Exact:
        return Exact(self.expr * self._wrap(other).expr)

    __rmul__ = __mul__

    def __neg__(self) -> Exact:
        return Exact(-self.expr)

    def __sub__(self, other: object) -> Exact:
        return Exact(self.expr - self._wrap(other).expr)

    def __rsub__(self, other: object) -> Exact:
        return Exact(self._wrap(other).expr - self.expr)

    def __truediv__(self, other: object) -> Exact:
        return Exact(self.expr / self._wrap(other).expr)

    def __rtruediv__(self, other: object) -> Exact:
        return Exact(self._wrap(other).expr / self.expr)

    def __pow__(self, other: object) -> Exact:
        return Exact(self.expr ** self._wrap(other).expr)

    def relu(self) -> Exact:
        return Exact(sympy.Max(self.expr, 0))


def micrograd_sanity_check(value: Callable[[float], Any]) -> tuple[Any, Any]:
    x = value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return x, y


def micrograd_more_ops(value: Callable[[float], Any]) -> tuple[Any, Any, Any]:
    a = value(-4.0)
    b = value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograd_sanity_check_matches_micrograd_and_exact_derivatives() -> None:
    x, y = micrograd_sanity_check(Value)
    y.backward()
    xm, ym = micrograd_sanity_check(MicrogradValue)
    ym.backward()
    assert y.data == pytest.approx(ym.data, rel=1e-12)
    assert x.grad == pytest.approx(xm.grad, rel=1e-12)
    symbol = sympy.Symbol("x")
    _, exact = micrograd_sanity_check(lambda v: Exact(symbol))
    exact_expr = exact.expr
    assert y.data == float(exact_expr.subs(symbol, -4))
    assert x.grad == float(sympy.diff(exact_expr, symbol).subs(symbol, -4))


def test_micrograd_readme_example_matches_micrograd_and_exact_derivatives() -> None:
    a, b, g = micrograd_more_ops(Value)
    g.backward()
    am, bm, gm = micrograd_more_ops(MicrogradValue)
    gm.backward()
    for ours, theirs in ((g.data, gm.data), (a.grad, am.grad), (b.grad, bm.grad)):
        assert ours == pytest.approx(theirs, rel=1e-12)
    sa, sb = sympy.symbols("a b")
    names = iter((sa, sb))
    _, _, exact = micrograd_more_ops(lambda v: Exact(next(names)))
    point = {sa: -4, sb: 2}
    expr = exact.expr
    assert g.data == pytest.approx(float(expr.subs(point)), rel=1e-12)
    assert a.grad == pytest.approx(float(sympy.diff(expr, sa).subs(point)), rel=1e-12)
    assert b.grad == pytest.approx(float(sympy.diff(expr, sb).subs(point)), rel=1e-12)
    # the numbers micrograd's README prints
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773


def test_drop_in_import_path() -> None:
    from micrograd_like.engine import Value as EngineValue

    assert EngineValue is Value


def test_add_and_mul_write_out_the_very_node_make_node_makes() -> None:
    """+ and * store their node's slots themselves (docs/speed.md); inside a hooks() block
    they call make_node instead: both ways must give the same node, slot for slot."""
    from micrograd_like.modes import hooks

    a, b = Value(1.5), Value(-2.0)
    fast = [a + b, a * b, a + 2.0, 3 * b]
    with hooks(forward=lambda node: None):
        made = [a + b, a * b, a + 2.0, 3 * b]
    for written, called in zip(fast, made, strict=True):
        for slot in Value.__slots__:
            if slot in ("input1", "input2"):
                assert (getattr(written, slot) is None) == (getattr(called, slot) is None)
            elif slot != "__dict__":
                assert getattr(written, slot) == getattr(called, slot), slot
        assert written.inputs[0] is called.inputs[0] or not written.inputs[0].op
        assert type(written) is type(called) is Value and written.__dict__ == called.__dict__ == {}
