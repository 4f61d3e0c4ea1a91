"""Derivatives of derivatives: what `grad(..., create_graph=True)` and `jvp` make possible.

`grad(C, w, create_graph=True)` returns dC/dw as a graph of ordinary ops (each op's local
derivative made nodes), so it can be differentiated again, drawn, stepped and explained like any
other graph. The lessons built on that:

- Newton's method. Gradient descent steps w <- w - r C'(w) with a learning rate r chosen by
  hand. Newton fits the parabola C(w) + C'(w) d + 1/2 C''(w) d^2 at w and jumps to its lowest
  point, d = -C'(w) / C''(w). Seed 002's cost C = (1.5 w - 0.5)^2 is such a parabola, so one
  step lands on its minimum w = 1/3, where gradient descent with the seed's r = 0.1 takes
  dozens. On the one-neuron cost C = (sigmoid(1.5 w + 0.1) - 0.5)^2 the parabola is only a local
  model: where C'' is nearly zero its lowest point is far away, and where C'' < 0 it has none
  (Newton heads for a maximum). From the seeds' w = 0.8 plain Newton jumps to w = -38 and walks
  off; a guarded Newton (the gradient's direction where C'' <= 0, a step halved until the cost
  falls) converges from there in a few steps, as plain Newton does from close enough.
- The Hessian of seed 003's f(x, y) = 2x^2 + 3xy + y^3, and a Hessian-vector product.
- The derivative's own graph, drawn as DeZero draws it: d/dx tanh(x) is (1 - tanh(x)**2) times
  the 1 the chain rule starts from, and every further derivative is a larger graph.
- Taylor polynomials of tanh, their coefficients f^(k)(a) / k! from grad applied k times.
- Forward against reverse mode on a network: `jvp` gives the derivative along one direction
  per pass, so the whole gradient of n weights takes n passes; a pass of `grad` gives all n at
  once. Both run the chain rule over the same graph with the same local derivatives.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from demos.common import output_dir, save_png
from micrograd_like import (
    MLP,
    Value,
    explain,
    grad,
    hessian,
    hvp,
    jvp,
    losses,
    no_grad,
    save_graph,
)

Cost = Callable[[Value], Value]

# Seed 002's one weight: a = i * w, C = (a - y)^2.
INPUT, TARGET, START = 1.5, 0.5, 0.8
LEARNING_RATE = 0.1  # the seed's r
# The seeds' one neuron (notebook 1, demos/one_neuron_graph.py): a = sigmoid(w * 1.5 + b).
BIAS = 0.1
NEURON_LEARNING_RATE = 2.0  # the rate demos/seed_one_neuron_layers.py trains its neurons with
CLOSE_START = 0.5  # a start from which plain Newton converges on the one-neuron cost
INSIDE_START = 0.6  # where C'' > 0 too, yet plain Newton's first step overshoots
TOLERANCE = 1e-9  # "converged": within this of the minimum

# The one-neuron cost is convex (C'' > 0) exactly where |z| < ln(2 + sqrt(3)), z = 1.5 w + 0.1:
# with s = sigmoid(z), C'' = i^2 s(1 - s) [2 s(1 - s) - 4 (s - 1/2)^2], and the bracket is
# positive while |s - 1/2| < 1/(2 sqrt(3)), that is while e^|z| < 2 + sqrt(3).
CONVEX_EDGE = math.log(2 + math.sqrt(3))
CONVEX_WEIGHTS = ((-CONVEX_EDGE - BIAS) / INPUT, (CONVEX_EDGE - BIAS) / INPUT)  # -0.94 .. 0.81

TAYLOR_POINT = 0.5  # tanh is expanded around x = a = 0.5
TAYLOR_ORDER = 5

NETWORK_INPUT, NETWORK_TARGET = [1.0, 3.0, 2.0], [1.0, 0.0]  # seed 003's example
NETWORKS: tuple[tuple[int, ...], ...] = ((3, 4, 2), (3, 8, 8, 2), (3, 16, 16, 2))


def one_weight_cost(w: Value) -> Value:
    """Seed 002: C = (a - y)^2 with a = i * w."""
    return (w * INPUT - TARGET) ** 2


def one_neuron_cost(w: Value) -> Value:
    """The seeds' one neuron on one example: C = (sigmoid(w * 1.5 + 0.1) - 0.5)^2."""
    return ((w * INPUT + BIAS).sigmoid() - TARGET) ** 2


ONE_WEIGHT_MINIMUM = TARGET / INPUT  # a = y at w = 1/3
ONE_NEURON_MINIMUM = -BIAS / INPUT  # sigmoid(z) = 1/2 at z = 0: w = -1/15


# ---- Newton's method against gradient descent


@dataclass(frozen=True)
class Point:
    """A weight, the cost there and its first two derivatives, both from `grad`."""

    w: float
    cost: float
    slope: float  # dC/dw
    curvature: float  # d²C/dw²


def point(cost: Cost, w: float) -> Point:
    """C(w), dC/dw and d²C/dw²: the first derivative as a graph, differentiated once more."""
    weight = Value(w, label="w")
    c = cost(weight)
    slope = grad(c, weight, create_graph=True)
    return Point(w, c.data, slope.data, grad(slope, weight).data)


def gradient_descent(cost: Cost, w: float, learning_rate: float, steps: int) -> list[Point]:
    """The weights w_0 .. w_steps of w <- w - r C'(w)."""
    path = [point(cost, w)]
    for _ in range(steps):
        path.append(point(cost, path[-1].w - learning_rate * path[-1].slope))
    return path


def newton(cost: Cost, w: float, steps: int) -> list[Point]:
    """The weights w_0 .. w_steps of Newton's w <- w - C'(w) / C''(w), unguarded: it goes to
    wherever the parabola fitted at w has its turning point, a maximum when C'' < 0."""
    path = [point(cost, w)]
    for _ in range(steps):
        here = path[-1]
        if here.curvature == 0:
            raise ZeroDivisionError(f"Newton's step is undefined at w = {here.w}: C''(w) = 0")
        path.append(point(cost, here.w - here.slope / here.curvature))
    return path


@dataclass(frozen=True)
class GuardedStep:
    """One step of the guarded Newton method from `at`: the direction (Newton's or, where the
    curvature is not positive, the gradient's) and the fraction of it taken."""

    at: Point
    newton: bool  # the direction is Newton's -C'/C''; else the gradient's -C'
    fraction: float  # 1, 1/2, 1/4, ...: the first whose cost falls enough; 0 if none did
    next_w: float


MAX_HALVINGS = 60  # past 2^-60 of a step, a float weight no longer moves
SUFFICIENT_DECREASE = 1e-4  # Armijo's constant: a step must win this share of the slope's promise


def guarded_newton(cost: Cost, w: float, steps: int) -> list[GuardedStep]:
    """Newton's method made safe by two guards. Where C'' <= 0 the parabola has a maximum, so
    the step follows -C' instead (down the slope). And a step is halved until the cost falls by
    at least 1e-4 of what the slope promises (C(w + t d) <= C(w) + 1e-4 t C'(w) d): a too-flat
    parabola's long step is cut back to one that helps. Near the minimum the first full step
    already qualifies, so it converges as fast as plain Newton."""
    path = []
    for _ in range(steps):
        here = point(cost, w)
        use_newton = here.curvature > 0
        direction = -here.slope / here.curvature if use_newton else -here.slope
        promise = SUFFICIENT_DECREASE * here.slope * direction  # <= 0: d goes downhill
        fraction = 1.0
        for _ in range(MAX_HALVINGS):
            with no_grad():
                trial = cost(Value(w + fraction * direction)).data
            if trial <= here.cost + fraction * promise:
                break
            fraction /= 2
        else:
            fraction = 0.0  # at the minimum to float precision: no step lowers the cost
        path.append(GuardedStep(here, use_newton, fraction, w + fraction * direction))
        w = path[-1].next_w
    return path


def steps_to_converge(ws: Sequence[float], minimum: float, tolerance: float = TOLERANCE) -> int:
    """The first k with |w_k - minimum| <= tolerance, or -1 when the path never gets there."""
    return next((k for k, w in enumerate(ws) if abs(w - minimum) <= tolerance), -1)


@dataclass(frozen=True)
class NewtonLesson:
    """The paths the convergence picture draws, and the steps each needs."""

    one_weight_descent: list[Point]
    one_weight_newton: list[Point]
    neuron_descent: list[Point]
    neuron_newton: list[Point]  # from START: diverges
    neuron_newton_close: list[Point]  # from CLOSE_START: converges
    neuron_guarded: list[GuardedStep]  # from START: converges


def newton_lesson(steps: int = 40) -> NewtonLesson:
    """Every path, from the seeds' start w = 0.8 but for plain Newton's second try."""
    return NewtonLesson(
        one_weight_descent=gradient_descent(one_weight_cost, START, LEARNING_RATE, steps),
        one_weight_newton=newton(one_weight_cost, START, 1),  # then C'(w) = 0: nothing to do
        neuron_descent=gradient_descent(one_neuron_cost, START, NEURON_LEARNING_RATE, steps),
        neuron_newton=newton(one_neuron_cost, START, 6),
        neuron_newton_close=newton(one_neuron_cost, CLOSE_START, 6),
        neuron_guarded=guarded_newton(one_neuron_cost, START, 7),
    )


def guarded_weights(path: Sequence[GuardedStep]) -> list[float]:
    """w_0, w_1, ...: where the guarded steps stood, and where the last one went."""
    return [path[0].at.w, *(step.next_w for step in path)]


# ---- the Hessian and a Hessian-vector product


def seed_function(x: Value, y: Value) -> Value:
    """Seed 003's f(x, y) = 2x^2 + 3xy + y^3."""
    return 2 * x**2 + 3 * x * y + y**3


def hessian_at(x0: float, y0: float) -> list[list[float]]:
    """[[f_xx, f_xy], [f_yx, f_yy]] of seed 003's f: n + 1 = 3 reverse passes (one making the
    gradient's graph, then one per row)."""
    x, y = Value(x0, label="x"), Value(y0, label="y")
    return hessian(seed_function(x, y), [x, y])


def hvp_at(x0: float, y0: float, vector: Sequence[float]) -> list[float]:
    """H v for seed 003's f without forming H: the gradient of grad f · v, 2 reverse passes
    whatever the number of inputs."""
    x, y = Value(x0, label="x"), Value(y0, label="y")
    return hvp(seed_function(x, y), [x, y], vector)


# ---- the derivative's own graph


@dataclass(frozen=True)
class TanhGraphs:
    """y = tanh(x) and its first two derivatives, each a graph of ops (named y' and y'', so
    that `explain()` writes d y'/dx for the second derivative)."""

    x: Value
    y: Value
    first: Value
    second: Value


def tanh_graphs(a: float = TAYLOR_POINT) -> TanhGraphs:
    """At x = a: y = tanh(x), y' = grad(y, x) and y'' = grad(y', x), both kept as graphs."""
    x = Value(a, label="x")
    y = x.tanh()
    y.label = "y"
    first = grad(y, x, create_graph=True)
    first.label = "y'"
    second = grad(first, x, create_graph=True)
    second.label = "y''"
    return TanhGraphs(x, y, first, second)


def derivative_graph_sizes(a: float = TAYLOR_POINT, order: int = TAYLOR_ORDER) -> list[int]:
    """The number of nodes in the graph of tanh and of each of its derivatives up to `order`:
    the chain rule written out, never simplified, so each graph is a few times the last."""
    x = Value(a)
    f = x.tanh()
    sizes = [len(f.topological_order())]
    for _ in range(order):
        f = grad(f, x, create_graph=True)
        sizes.append(len(f.topological_order()))
    return sizes


# ---- Taylor polynomials of tanh


def tanh_derivatives(a: float = TAYLOR_POINT, order: int = TAYLOR_ORDER) -> list[float]:
    """tanh(a), tanh'(a), ..., the order-th derivative at a: `grad` applied again and again,
    each derivative a graph the next one differentiates (the last need not be one)."""
    x = Value(a, label="x")
    f = x.tanh()
    values = [f.data]
    for k in range(order):
        f = grad(f, x, create_graph=k < order - 1)
        values.append(f.data)
    return values


def taylor_coefficients(a: float = TAYLOR_POINT, order: int = TAYLOR_ORDER) -> list[float]:
    """c_k = f^(k)(a) / k!, so that tanh(x) ≈ Σ c_k (x - a)^k near a."""
    return [d / math.factorial(k) for k, d in enumerate(tanh_derivatives(a, order))]


def taylor_polynomial(coefficients: Sequence[float], a: float, x: float) -> float:
    """Σ c_k (x - a)^k, by Horner's rule."""
    total = 0.0
    for c in reversed(coefficients):
        total = total * (x - a) + c
    return total


def convergence_radius(a: float) -> float:
    """tanh's series around a converges within the distance to its nearest poles, ±iπ/2."""
    return math.hypot(a, math.pi / 2)


# ---- forward mode against reverse mode


@dataclass(frozen=True)
class ModeComparison:
    """The whole gradient of a network's cost, once by forward mode (one `jvp` pass for each
    parameter, along that parameter's axis) and once by reverse mode (one pass of `grad`)."""

    sizes: tuple[int, ...]  # the MLP's layer sizes, inputs first
    parameters: int  # n, the gradient's length
    nodes: int  # in the cost's graph
    edges: int  # links from an input into a node: one chain-rule product each, in every pass
    forward_passes: int
    reverse_passes: int
    forward_gradient: list[float]
    reverse_gradient: list[float]
    forward_seconds: float  # the fastest of the repeats, all n passes
    reverse_seconds: float  # the fastest of the repeats, the one pass

    @property
    def largest_difference(self) -> float:
        return max(
            abs(f - r) for f, r in zip(self.forward_gradient, self.reverse_gradient, strict=True)
        )


def network_cost(sizes: Sequence[int], seed: int = 0) -> tuple[Value, list[Value]]:
    """E = 1/2 ||x_L - y||^2 of a sigmoid MLP on seed 003's example, and its parameters."""
    model = MLP(
        sizes[0], list(sizes[1:]), activation="sigmoid", output_activation="sigmoid", seed=seed
    )
    outputs = model(NETWORK_INPUT)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    cost = losses.half_sse(outputs, NETWORK_TARGET)
    cost.label = "E"
    return cost, model.parameters()


def forward_mode_gradient(cost: Value, parameters: Sequence[Value]) -> tuple[list[float], int]:
    """dE/dp for every parameter p by forward mode: each pass pushes tangents from the inputs
    to the cost with the tangent 1 on one parameter and 0 on the rest, and gives that one
    component. Returns the gradient and the number of passes made."""
    gradient, passes = [], 0
    for i in range(len(parameters)):
        axis = [0.0] * len(parameters)
        axis[i] = 1.0
        gradient.append(jvp(cost, parameters, axis))
        passes += 1
    return gradient, passes


def reverse_mode_gradient(cost: Value, parameters: Sequence[Value]) -> tuple[list[float], int]:
    """dE/dp for every parameter p by reverse mode: one pass from the cost back, every upstream
    gradient shared by all the parameters below it. Returns the gradient and the passes (1)."""
    return [g.data for g in grad(cost, list(parameters))], 1


def best_time(run: Callable[[], object], repeats: int) -> float:
    """The fastest of `repeats` runs, in seconds: the least disturbed by other work."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def compare_modes(sizes: Sequence[int], repeats: int = 3) -> ModeComparison:
    """Both modes on the same recorded graph: the network is evaluated once, and what is
    counted and timed is the derivative passes alone, each reading the local derivatives the
    forward evaluation stored."""
    cost, parameters = network_cost(sizes)
    order = cost.topological_order()
    forward, forward_passes = forward_mode_gradient(cost, parameters)
    reverse, reverse_passes = reverse_mode_gradient(cost, parameters)
    return ModeComparison(
        sizes=tuple(sizes),
        parameters=len(parameters),
        nodes=len(order),
        edges=sum(len(node.inputs) for node in order),
        forward_passes=forward_passes,
        reverse_passes=reverse_passes,
        forward_gradient=forward,
        reverse_gradient=reverse,
        forward_seconds=best_time(lambda: forward_mode_gradient(cost, parameters), repeats),
        reverse_seconds=best_time(lambda: reverse_mode_gradient(cost, parameters), repeats),
    )


def modes_table(rows: Sequence[ModeComparison], *, times: bool) -> str:
    """One line per network: its parameters, graph, passes and chain-rule products per mode,
    how far apart the two gradients are, and (with `times`) the measured times."""
    header = (
        f"{'network':<12} {'n':>4} {'nodes':>6} {'passes fwd / rev':>17}"
        f" {'products fwd / rev':>19} {'largest difference':>19}"
    )
    lines = [header + ("   time fwd / rev" if times else "")]
    for row in rows:
        name = "-".join(map(str, row.sizes))
        passes = f"{row.forward_passes} / {row.reverse_passes}"
        products = f"{row.forward_passes * row.edges:,} / {row.reverse_passes * row.edges:,}"
        line = (
            f"{name:<12} {row.parameters:>4} {row.nodes:>6} {passes:>17} {products:>19}"
            f" {row.largest_difference:>19.1e}"
        )
        if times:
            ratio = row.forward_seconds / row.reverse_seconds
            line += (
                f"   {row.forward_seconds * 1e3:.3g} ms / {row.reverse_seconds * 1e3:.3g} ms"
                f" ({ratio:.0f}x)"
            )
        lines.append(line)
    return "\n".join(lines)


# ---- pictures


FLOOR = 1e-17  # an exact hit, |w - w*| = 0, is drawn here on the log scale

Run = tuple[str, list[float], str, str]  # a path's label, its weights, marker style, colour


def _plot_distances(axes: Axes, runs: Sequence[Run], minimum: float, title: str) -> None:
    """|w_k - w*| against the step k, on a log scale, for each path."""
    for label, ws, style, colour in runs:
        distances = [max(abs(w - minimum), FLOOR) for w in ws]
        axes.semilogy(range(len(ws)), distances, style, color=colour, markersize=4, label=label)
    axes.axhline(TOLERANCE, color="grey", linestyle=":", label=f"converged: within {TOLERANCE:g}")
    axes.text(0.98, 0.02, "an exact hit is drawn at 1e-17", transform=axes.transAxes,
              fontsize=7, color="grey", ha="right")  # fmt: skip
    axes.set_ylim(FLOOR / 3, 300)
    axes.set_xlabel("step k")
    axes.set_ylabel("distance to the minimum, |w$_k$ - w*|")
    axes.set_title(title)
    axes.legend(fontsize=8, loc="upper right")


def _plot_why_newton_fails(axes: Axes, lesson: NewtonLesson) -> None:
    """The one-neuron cost, the weights where it curves upwards, Newton's parabola at w = 0.8
    and the guarded method's first steps."""
    ws = [-1.6 + 2.9 * k / 400 for k in range(401)]
    with no_grad():
        costs = [one_neuron_cost(Value(w)).data for w in ws]
        guarded = guarded_weights(lesson.neuron_guarded)[:4]
        guarded_costs = [one_neuron_cost(Value(w)).data for w in guarded]
    # Newton's model of C at w = 0.8: the parabola with C's value, slope and curvature there.
    # C'' is so small that it is nearly a straight line, with its lowest point far away.
    start = lesson.neuron_newton[0]
    parabola = [
        start.cost + start.slope * (w - START) + 0.5 * start.curvature * (w - START) ** 2
        for w in ws
    ]
    lowest = start.cost - start.slope**2 / (2 * start.curvature)
    axes.plot(ws, costs, color="black", label="C(w)")
    axes.axvspan(*CONVEX_WEIGHTS, color="tab:green", alpha=0.12, label="C''(w) > 0")
    axes.plot(ws, parabola, color="tab:gray", linestyle="--", label="Newton's parabola at w = 0.8")
    first = _fraction(lesson.neuron_guarded[0].fraction)
    axes.plot(guarded, guarded_costs, "s-", color="tab:red",
              label=f"guarded Newton (first step: {first} of Newton's)")  # fmt: skip
    axes.text(
        0.97, 0.72,
        f"C''(0.8) = {start.curvature:.4f}: the parabola's\n"
        f"lowest point is at w = {lesson.neuron_newton[1].w:.1f}, C = {lowest:.1f},\n"
        "where Newton jumps; out there\nC'' < 0 and it walks away",
        transform=axes.transAxes, fontsize=8, ha="right", va="top", color="dimgrey",
    )  # fmt: skip
    axes.set_xlim(ws[0], ws[-1])
    axes.set_ylim(-0.01, 0.36)
    axes.set_xlabel("weight w")
    axes.set_ylabel("cost C(w)")
    axes.set_title("Why Newton fails from w = 0.8")
    axes.legend(fontsize=8, loc="upper left")


def plot_newton(lesson: NewtonLesson, folder: Path) -> Path:
    """Distance to the minimum against the step for both costs, and why plain Newton fails on
    the one-neuron cost."""
    figure = Figure(figsize=(16, 4.6))
    quadratic, neuron, curve = figure.subplots(1, 3)
    one_weight: list[Run] = [
        (f"gradient descent, r = {LEARNING_RATE}",
         [p.w for p in lesson.one_weight_descent], "o-", "tab:blue"),
        ("Newton: w - C'(w) / C''(w)", [p.w for p in lesson.one_weight_newton], "s-", "tab:red"),
    ]  # fmt: skip
    one_neuron: list[Run] = [
        (f"gradient descent, r = {NEURON_LEARNING_RATE}",
         [p.w for p in lesson.neuron_descent], "o-", "tab:blue"),
        (f"Newton from w = {START}: diverges",
         [p.w for p in lesson.neuron_newton], "x-", "tab:gray"),
        (f"Newton from w = {CLOSE_START}",
         [p.w for p in lesson.neuron_newton_close], "^-", "tab:orange"),
        (f"guarded Newton from w = {START}",
         guarded_weights(lesson.neuron_guarded), "s-", "tab:red"),
    ]  # fmt: skip
    _plot_distances(
        quadratic, one_weight, ONE_WEIGHT_MINIMUM, "Seed 002: C = (1.5 w - 0.5)$^2$ from w = 0.8"
    )
    _plot_distances(
        neuron, one_neuron, ONE_NEURON_MINIMUM, "One neuron: C = ($\\sigma$(1.5 w + 0.1) - 0.5)$^2$"
    )
    _plot_why_newton_fails(curve, lesson)
    return save_png(figure, folder, "newton_vs_descent.png")


def plot_taylor(folder: Path, a: float = TAYLOR_POINT, order: int = TAYLOR_ORDER) -> Path:
    """tanh and its Taylor polynomials of orders 1 .. order around a, over a ± 2.2."""
    coefficients = taylor_coefficients(a, order)
    figure = Figure(figsize=(9, 5))
    axes = figure.subplots()
    xs = [a - 2.2 + 4.4 * k / 400 for k in range(401)]
    radius = convergence_radius(a)
    axes.axvspan(
        a - radius,
        a + radius,
        color="grey",
        alpha=0.1,
        label=f"|x - a| < {radius:.3f}:\nthe series converges",
    )
    axes.plot(xs, [math.tanh(x) for x in xs], color="black", linewidth=3, label="tanh(x)")
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
    for k in range(1, order + 1):
        axes.plot(
            xs,
            [taylor_polynomial(coefficients[: k + 1], a, x) for x in xs],
            color=colours[(k - 1) % len(colours)],
            label=f"order {k}",
        )
    axes.plot([a], [math.tanh(a)], "o", color="black")
    axes.axvline(a, color="grey", linestyle=":", linewidth=1)
    axes.set_ylim(-1.6, 1.6)
    axes.set_xlim(xs[0], xs[-1])
    axes.set_xlabel("x")
    axes.set_ylabel("y")
    axes.set_title(f"Taylor polynomials of tanh around a = {a}: c$_k$ = f$^{{(k)}}$(a) / k!")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save_png(figure, folder, "taylor_tanh.png")


def draw_derivative_graphs(folder: Path, a: float = TAYLOR_POINT) -> list[Path]:
    """The graphs of d/dx tanh(x) and d²/dx² tanh(x) at x = a, forward values only (every grad
    in them is 0: no backward pass has run over them)."""
    graphs = tanh_graphs(a)
    return [
        save_graph(graphs.first, folder / "derivative_graph_1.svg", show_grad=False),
        save_graph(graphs.second, folder / "derivative_graph_2.svg", show_grad=False),
    ]


def write(folder: Path) -> list[Path]:
    """Every picture of this demo, written to `folder`; returns their paths."""
    return [
        plot_newton(newton_lesson(), folder),
        plot_taylor(folder),
        *draw_derivative_graphs(folder),
    ]


# ---- the printed lessons (the demo and the notebook print the same lines)


def _weights(ws: Sequence[float], digits: int = 4) -> str:
    return ", ".join(f"{w:.{digits}f}" for w in ws)


def _fraction(t: float) -> str:
    return f"1/{round(1 / t)}" if 0 < t < 1 else f"{t:g}"


def print_newton(lesson: NewtonLesson) -> None:
    start, landed = lesson.one_weight_newton
    descent = steps_to_converge([p.w for p in lesson.one_weight_descent], ONE_WEIGHT_MINIMUM)
    print(f"Newton's method on seed 002's cost C = (1.5 w - 0.5)^2, from w = {START}:")
    print(f"  C'(w) = {start.slope:.4g}, C''(w) = {start.curvature:.4g} (grad of the grad)")
    print(
        f"  w - C'(w) / C''(w) = {START} - {start.slope:.4g} / {start.curvature:.4g}"
        f" = {landed.w:.12f}: the minimum 1/3 in one step"
    )
    print(f"  gradient descent, r = {LEARNING_RATE}: {descent} steps to within {TOLERANCE:g}")


def print_newton_on_a_neuron(lesson: NewtonLesson) -> None:
    low, high = CONVEX_WEIGHTS
    start, far = lesson.neuron_newton[0], lesson.neuron_newton[-1]
    close = [p.w for p in lesson.neuron_newton_close]
    inside = [p.w for p in newton(one_neuron_cost, INSIDE_START, 3)]
    guarded = lesson.neuron_guarded
    taken = ", ".join(
        f"{'Newton' if step.newton else 'gradient'} x {_fraction(step.fraction)}"
        for step in guarded[:5]
    )
    descent = steps_to_converge([p.w for p in lesson.neuron_descent], ONE_NEURON_MINIMUM)
    print("Newton's method on the one-neuron cost C = (sigmoid(1.5 w + 0.1) - 0.5)^2:")
    print(f"  minimum at w = -0.1 / 1.5 = {ONE_NEURON_MINIMUM:.6f}")
    print(f"  C'' > 0 only for {low:.4f} < w < {high:.4f}, that is |1.5 w + 0.1| < ln(2 + sqrt(3))")
    print(f"  at w = {START}: C'(w) = {start.slope:.4f}, C''(w) = {start.curvature:.4f}")
    print(f"  Newton from {START}: {_weights([p.w for p in lesson.neuron_newton])}: diverges")
    print(
        f"    (there C'' < 0, {far.curvature:.2e}: each step, -C'/C'' = -1/1.5, climbs towards"
        " the cost's top, 0.25)"
    )
    print(
        f"  Newton from {INSIDE_START}: {_weights(inside)}: diverges, overshooting past {low:.4f}"
    )
    print(
        f"  Newton from {CLOSE_START}: {_weights(close, 6)}:"
        f" {steps_to_converge(close, ONE_NEURON_MINIMUM)} steps"
    )
    print(
        f"  guarded Newton from {START}:"
        f" {steps_to_converge(guarded_weights(guarded), ONE_NEURON_MINIMUM)} steps ({taken})"
    )
    print(f"  gradient descent, r = {NEURON_LEARNING_RATE}: {descent} steps")
    print(f"  (steps to within {TOLERANCE:g} of the minimum)")


def print_hessian() -> None:
    print("Seed 003's f(x, y) = 2x^2 + 3xy + y^3 at (x, y) = (1, 2):")
    print(f"  Hessian {hessian_at(1.0, 2.0)}; by hand [[4, 3], [3, 6y]]")
    print(f"  H v, v = (1, -1): {hvp_at(1.0, 2.0, [1.0, -1.0])}; by hand (4 - 3, 3 - 12)")


def print_derivative_graphs(graphs: TanhGraphs) -> None:
    t = graphs.y.data
    print(f"y = tanh(x) at x = {graphs.x.data}:")
    print(f"  y'  = {graphs.first.data:.6f}; by hand 1 - tanh(x)^2 = {1 - t * t:.6f}")
    by_hand = -2 * t * (1 - t * t)
    print(f"  y'' = {graphs.second.data:.6f}; by hand -2 tanh(x)(1 - tanh(x)^2) = {by_hand:.6f}")
    sizes = derivative_graph_sizes(graphs.x.data)
    print("  nodes in the graphs of y, y', y'', ...: " + ", ".join(map(str, sizes)))


def print_taylor() -> None:
    coefficients = taylor_coefficients()
    x = TAYLOR_POINT + 0.3
    print(f"tanh around a = {TAYLOR_POINT}: c_k = f^(k)(a) / k!")
    print("  " + ", ".join(f"c{k} = {c:.6f}" for k, c in enumerate(coefficients)))
    print(
        f"  at x = {x}: tanh(x) = {math.tanh(x):.6f}, order {TAYLOR_ORDER}:"
        f" {taylor_polynomial(coefficients, TAYLOR_POINT, x):.6f}"
    )


def main(folder: Path | None = None) -> None:
    lesson = newton_lesson()
    print_newton(lesson)
    print()
    print_newton_on_a_neuron(lesson)
    print()
    print_hessian()
    print()
    graphs = tanh_graphs()
    print_derivative_graphs(graphs)
    print("explain() on the graph of y' writes the second derivative as its chain rule:")
    print(explain(graphs.first, graphs.x))
    print()
    print_taylor()
    print()
    print("The gradient of a network's cost: forward mode (jvp) against reverse mode (grad)")
    print(modes_table([compare_modes(sizes) for sizes in NETWORKS], times=True))
    for path in write(folder or output_dir()):
        print(f"  picture: {path}")


if __name__ == "__main__":
    main()
