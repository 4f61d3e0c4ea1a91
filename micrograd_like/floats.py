"""How a number enters the graph, how it is printed, and how an op says that a number failed.

The engine asks this module three things: is this a real number a float can hold (`as_float`),
what is `base ** exponent` and its local derivative with the values in every error (`power`,
`power_local`), and what to say when a value or a gradient would not be a number. Readers (the
repr, drawings, steps, the page) print numbers with `format_number`.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

from micrograd_like import modes


def format_number(x: float) -> str:
    """A number as readers print it: 4 decimals, but a small value is never rounded to 0
    (`1.2e-07`, not `0.0`), and infinities stay `inf`."""
    rounded = round(x, 4)
    return repr(rounded) if rounded != 0 or x == 0 else f"{x:.4g}"


def format_factor(x: float) -> str:
    """A number inside a product (`0.5 × (-2.0)`): `format_number`, negatives in brackets."""
    text = format_number(x)
    return f"({text})" if x < 0 else text


def as_float(data: object, where: str = "Value()") -> float:
    """Check that `data` is a real number a float can hold, and return it as a float."""
    number = data if type(data) is float else _other_number(data, where)
    if number != number:
        raise ValueError(f"{where}: nan is not a number and cannot enter the graph")
    return number


def _other_number(data: object, where: str) -> float:
    """as_float for anything but a float: an int, any other real number (numpy, Fraction), or
    a clear error."""
    if not isinstance(data, Real) or isinstance(data, bool):
        if any(kind.__module__ == "micrograd_like.engine" for kind in type(data).__mro__):
            raise TypeError(f"{where}: expected a number, got a Value ({data!r}); use it directly")
        raise TypeError(
            f"{where}: expected a real number (int or float), got {type(data).__name__}: {data!r}"
        )
    try:
        return float(data)
    except OverflowError:
        # the number of digits, from the bits: a 5,000-digit int cannot even be printed
        digits = int(abs(int(data)).bit_length() * math.log10(2)) + 1  # type: ignore[call-overload]
        raise OverflowError(
            f"{where}: the number {type(data).__name__}(about 1e{digits - 1}) is too large for a "
            f"float (the largest is about 1.8e308)"
        ) from None


def is_number(other: object) -> bool:
    """Whether `other` may stand beside a Value in an op or a comparison (a bool may not)."""
    return (
        type(other) is float
        or type(other) is int
        or (isinstance(other, Real) and not isinstance(other, bool))
    )


def exponent(other: object, base: float) -> float:
    """The number exponent of `base ** other`, as a float, or an error naming what it is."""
    if not is_number(other):
        raise TypeError(
            f"unsupported exponent for **: {type(other).__name__} ({other!r}); "
            "use an int, a float or a Value"
        )
    return as_float(other, f"{base!r} ** exponent")


def undefined_local(message: str, error: type[Exception] = ZeroDivisionError) -> float:
    """A local derivative that does not exist: an error, except inside no_grad(), where no
    derivative is needed and the value alone is computed."""
    if not modes.is_grad_enabled():
        return 0.0
    raise error(message)


def power(base: float, exponent: float, where: str) -> float:
    """base ** exponent for real numbers, with the op and the values in every error."""
    if base < 0 and not exponent.is_integer():
        raise ValueError(f"{where}: a negative base to a non-integer power is not a real number")
    try:
        return float(base**exponent)
    except ZeroDivisionError:
        raise ZeroDivisionError(f"{where}: 0.0 cannot be raised to a negative power") from None
    except OverflowError:
        raise OverflowError(f"{where}: the result is too large for a float") from None


def power_local(base: float, exponent: float, where: str) -> float:
    """∂(base**n)/∂base = n * base**(n - 1), with an error where it is infinite or undefined."""
    if exponent == 0:
        return 0.0
    try:
        local = float(exponent * base ** (exponent - 1))
    except (ZeroDivisionError, OverflowError):
        return undefined_local(
            f"{where}: the local derivative {exponent!r} * {base!r} ** {exponent - 1!r} is infinite"
        )
    if local != local:  # inf * 0 at an infinite exponent
        return undefined_local(
            f"{where}: the local derivative {exponent!r} * {base!r} ** {exponent - 1!r} is not "
            "a number",
            ArithmeticError,
        )
    return local


def exponent_local(base: float, exponent: float, out: float, where: str) -> float:
    """∂(a**b)/∂b = a**b * log(a), where it exists (base > 0, or 0 to a positive power)."""
    if base > 0:
        local = out * math.log(base)
    elif base == 0 and exponent > 0:
        return 0.0  # lim a->0+ of a**b * log(a) = 0 for b > 0
    else:
        return undefined_local(
            f"{where}: the derivative with respect to the exponent, out * log(base), needs "
            "base > 0; for a fixed exponent use a plain number: x ** 2",
            ValueError,
        )
    if local != local:  # inf * 0: an infinite power of a base near 1
        return undefined_local(
            f"{where}: the derivative with respect to the exponent, {out!r} * log({base!r}), is "
            "not a number",
            ArithmeticError,
        )
    return local


def not_a_number(op: str, inputs: tuple[float, ...]) -> ValueError:
    """The error of an op whose value came out NaN: from an input changed by hand to NaN, or
    infinities (inf - inf, inf * 0) from an earlier overflow."""
    if len(inputs) == 1:
        return ValueError(f"{op}({inputs[0]!r}) is not a number")
    return ValueError(
        f"{op}: ({inputs[0]!r} {op} {inputs[1]!r}) is not a number; an infinity from an earlier "
        "overflow reached it (detect_anomaly() finds where)"
    )


def nan_gradient(node: Any, order: list[Any]) -> ArithmeticError:
    """Name the node whose gradient became NaN and the numbers that met to make it: the shares
    it received from the nodes that use it (after it in `order`)."""
    where = order.index(node)
    shares = [
        (user, local, user.grad)
        for user in order[where + 1 :]
        for each, local in zip(user.inputs, user.local_grads, strict=True)
        if each is node
    ]
    products = [f"{local!r} * {upstream!r} from {user!r}" for user, local, upstream in shares]
    met = [f"{local!r} * {up!r}" for _, local, up in shares if (local * up) != (local * up)]
    how = f"{met[0]} is not a number" if met else "infinities of opposite signs were added"
    return ArithmeticError(
        f"backward: the gradient of {node!r} would be NaN: {how} "
        f"(the shares it received: {'; '.join(products) or 'none'}); "
        "the backward pass stopped, grads are partial (detect_anomaly() finds where the "
        "infinity was made)"
    )
