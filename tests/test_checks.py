"""Catching backprop going wrong (checks.py) against independent oracles: the line numbers
Python's own tracebacks report, hand-derived numbers and finite differences."""

from __future__ import annotations

import math
import sys
import threading

import pytest

from micrograd_like.checks import AnomalyError, GradcheckError, detect_anomaly, gradcheck
from micrograd_like.engine import Value


def one_neuron() -> dict[str, Value]:
    """The seeds' network: O = W a_prev + b, a = sigma(O), cost C = (a - y)^2."""
    W, a_prev, b, y = Value(0.8, "W"), Value(1.5, "a_prev"), Value(0.1, "b"), Value(0.5, "y")
    o = W * a_prev + b
    a = o.sigmoid()
    C = (a - y) ** 2
    return {"W": W, "C": C}


A = 1 / (1 + math.exp(-(0.8 * 1.5 + 0.1)))
DC_DW = 2 * (A - 0.5) * A * (1 - A) * 1.5  # dC/da * da/dO * dO/dW, by hand


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


def test_detect_anomaly_nests_and_is_off_after_the_outer_block() -> None:
    x = Value(10.0, "x")
    with detect_anomaly():
        with detect_anomaly():
            pass
        with pytest.raises(AnomalyError):  # still on in the outer block
            _ = x * 1e308
    assert (x * 1e308).data == math.inf  # off again: no error outside any block


def test_detect_anomaly_checks_only_its_own_thread() -> None:
    x = Value(10.0, "x")
    other: list[float] = []
    inside, done = threading.Event(), threading.Event()

    def elsewhere() -> None:
        inside.wait(10)
        other.append((x * 1e308).data)  # another thread, outside any block: no error
        done.set()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    with detect_anomaly():
        inside.set()
        done.wait(10)
    thread.join(10)
    assert other == [math.inf]


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


def wrong_tanh(x: Value) -> Value:
    t = math.tanh(x.data)
    return Value.from_op("wrong_tanh", t, [x], [1.0 - t])  # wrong: ∂tanh(a)/∂a = 1 - tanh(a)**2


def test_gradcheck_fails_on_a_wrong_derivative() -> None:
    with pytest.raises(GradcheckError) as caught:
        gradcheck(wrong_tanh, 0.5)
    (row,) = caught.value.report.rows
    assert row.analytic == pytest.approx(1 - math.tanh(0.5))
    assert row.numeric == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-6)
    assert not row.ok
    assert "NO" in str(caught.value)


def test_gradcheck_can_return_a_failing_report() -> None:
    report = gradcheck(wrong_tanh, 0.5, raise_exception=False)
    assert not report.ok


@pytest.mark.parametrize(
    ("args", "options", "error", "message"),
    [
        (("x",), {}, TypeError, "gradcheck: input 0 must be a number or a Value, got str: 'x'"),
        ((True,), {}, TypeError, "gradcheck: input 0 must be a number or a Value, got bool"),
        ((), {}, ValueError, "gradcheck: give at least one input"),
        ((1.0,), {"eps": 0.0}, ValueError, "gradcheck: eps must be > 0, got 0.0"),
        ((1.0,), {"atol": -1.0}, ValueError, "gradcheck: atol must be >= 0, got -1.0"),
        ((1.0,), {"rtol": "big"}, TypeError, "gradcheck: rtol must be a finite number"),
        (
            (10**400,),
            {},
            ValueError,
            "gradcheck: input 0 must be a finite number, got an int of about 401 digits, too "
            "large for a float",
        ),
        ((2.0, -math.inf), {}, ValueError, "gradcheck: input 1 must be a finite number, got -inf"),
        (
            (1.0,),
            {"eps": 10**400},
            TypeError,
            "gradcheck: eps must be a finite number, got an int of about 401 digits",
        ),
    ],
)
def test_gradcheck_names_a_bad_argument(
    args: tuple[object, ...], options: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        gradcheck(lambda x: x.tanh(), *args, **options)  # type: ignore[arg-type]


def test_gradcheck_names_a_function_that_is_not_one() -> None:
    with pytest.raises(TypeError, match="gradcheck: f must be a function of the inputs, got 3"):
        gradcheck(3, 1.0)  # type: ignore[arg-type]
