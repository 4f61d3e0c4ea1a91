"""The model view live in a notebook (JupyterLab 4, Notebook 7, VS Code), redrawn as the model
trains.

`ModelWidget(loss, parameters, health=...)` is the page of `save_model_html` as a notebook
output: the same script and stylesheet (`page/model.js`, `page/model.css`), mounted by the same
`mountModel(el, data)` on the same data (`model_data`), under a line saying the training step.
Its module is `page/model_widget.js` bundled with what it imports. It is an anywidget, the
`notebook` extra: `python -m pip install anywidget`.

    >>> from micrograd_like.model_widget import show_model
    >>> health = GradientHealth(model)
    >>> widget = show_model(loss, model, health=health)   # the last line of a cell
    >>> for step in range(200):                            # a later cell
    ...     loss = ...
    ...     optimizer.zero_grad()
    ...     loss.backward()
    ...     optimizer.step()
    ...     health.record(loss)
    ...     widget.update(loss)                            # sent at most once a second
    >>> widget.flush()                                     # the last step, if it was skipped

Each `update(loss)` is one training step, sent only when the last send is at least `interval`
seconds old (1 by default), and never so often that sending takes more than a tenth of the
time (`BUDGET`: after a send that took t seconds, the next waits at least 10 t from its start).
A skipped update costs a clock read (about 10 µs); `flush()` sends the last one skipped, which
the widget keeps until then (so one step's graph outlives the loop by a step). A send is
`model_data` and its JSON, the whole view each time: on MLP(2, [16, 16, 1]) and a batch of 8
points (5,700 nodes, a 6 ms training step) it takes about 17 ms and sends 125 kB, so at one a
second it costs training about 2% of its time; on a batch of 32 (22,000 nodes, 25 ms a step),
65 ms and 356 kB, about 7%. Chromium redraws the view in 16 ms and 32 ms.

The browser keeps the learner's place across updates: the selected weight stays selected, and
its hops up toward the loss stay walked, while the loss, the table, the heatmaps and the health
plots show the new step; the keys go to the widget under the pointer, else to the one last used,
and never take a key typed into a cell (`page/model_widget.js`).

Like every reader it leaves the graph as it found it: the gradients it shows come from one
fresh backward pass of each loss it is given, and every node's `.grad` is put back afterwards.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from micrograd_like.engine import Value
from micrograd_like.model_view import (
    MODEL_MAX_NODES,
    GradientHealth,
    ParameterSource,
    model_data,
    model_style,
)
from micrograd_like.page import bundle, scripts

try:
    import anywidget
    import traitlets
except ImportError:  # the `notebook` extra is missing: say how to get it, in the notebook too
    raise ModuleNotFoundError(
        "micrograd_like.model_widget needs anywidget (the `notebook` extra), which is not "
        "installed in this Python: run `%pip install anywidget` in a notebook cell, or "
        "`python -m pip install anywidget` in this environment, then restart the kernel",
        name="anywidget",
    ) from None

BUDGET = 0.1
"""The most of the training's time the updates take: after an update that took t seconds, the
next one waits at least t / BUDGET - t (so 9 t) after it, whatever `interval` allows."""

# The line above the view, saying which training step it shows (model.css styles the view).
_STYLE = """
.model-widget .mw-step { font-family: Helvetica, Arial, sans-serif; font-weight: bold;
                         color: #111827; margin: 0 0 0.4em 0; }
"""

_clock = time.perf_counter  # the updates' clock; the tests set one of their own


class ModelWidget(anywidget.AnyWidget):
    """The model view of `loss` (see `save_model_html` for `parameters`, `example`, `health`
    and `max_nodes`), kept up to date by `update(loss)` once per training step and `flush()`
    after the last.

    `data` is `model_data(loss, parameters, ...)` as JSON and `step` the training step it is
    of; both change together, when an update is sent. A step is numbered by `step=` if given,
    else as the last step `health` recorded (the health plots' last), else by counting the
    updates (0: before training). `interval` is the fewest seconds between two sends (0: no
    fewest; the budget still holds, see `BUDGET`).
    """

    _esm = bundle("model_widget.js", scripts())  # anywidget's `render`, calling mountModel
    _css = model_style() + _STYLE
    data = traitlets.Unicode("{}").tag(sync=True)  # model_data(...) as JSON
    step = traitlets.Int(0).tag(sync=True)  # the training step `data` is of

    def __init__(
        self,
        loss: Value,
        parameters: ParameterSource = None,
        *,
        example: str | None = None,
        health: GradientHealth | None = None,
        max_nodes: int = MODEL_MAX_NODES,
        interval: float = 1.0,
        step: int | None = None,
    ) -> None:
        if (
            not isinstance(interval, (int, float))
            or isinstance(interval, bool)
            or not math.isfinite(interval)
            or interval < 0
        ):
            raise ValueError(
                f"ModelWidget: interval must be a number of seconds >= 0, got {interval!r}"
            )
        self._parameters = parameters
        self._example = example
        self._health = health
        self._max_nodes = max_nodes
        self.interval = float(interval)
        self._counted = 0  # the step of the last update, sent or skipped
        step = self._number("ModelWidget", step, 0)
        first = self._collect("ModelWidget", loss)  # checks the rest, as model_data does
        super().__init__(data=json.dumps(first, separators=(",", ":")), step=step)
        self._summary = _summary(first, step)
        self._pending: tuple[Value, int] | None = None  # the last update skipped, if any
        self._next = _clock() + self.interval  # the clock's time the next send may start

    def update(self, loss: Value, *, step: int | None = None, example: str | None = None) -> bool:
        """One training step: the view of `loss` sent to the notebook, unless the last send was
        less than `interval` seconds ago or the budget says wait (see `BUDGET`); True if it was
        sent. A skipped update costs a clock read, and is kept for `flush()`. `step` numbers it
        (see the class); `example`, given, is the line saying what the loss was computed on from
        this update on. Everything is checked first, so a skipped update hides no mistake."""
        if not isinstance(loss, Value):
            raise TypeError(f"ModelWidget.update: loss must be a Value, got {type(loss).__name__}")
        if example is not None and not isinstance(example, str):
            raise TypeError(
                f"ModelWidget.update: example must be a str or None, got {type(example).__name__}"
            )
        step = self._number("ModelWidget.update", step, self._counted + 1)
        if example is not None:
            self._example = example
        if _clock() < self._next:
            self._pending = (loss, step)
            return False
        self._show(loss, step)
        return True

    def flush(self) -> bool:
        """Send the last update, if the throttle skipped it: after the last training step, so
        the view ends on it. True if there was one to send."""
        if self._pending is None:
            return False
        self._show(*self._pending)
        return True

    def _number(self, caller: str, step: int | None, counted: int) -> int:
        """The step an update (or the first view) is of: `step`, else the last one `health`
        recorded, else `counted`."""
        if step is None:
            records = self._health.records if isinstance(self._health, GradientHealth) else []
            step = records[-1].step if records else counted
        if not isinstance(step, int) or isinstance(step, bool):
            raise TypeError(f"{caller}: step must be an int, got {step!r}")
        if step < 0:
            raise ValueError(f"{caller}: step must be >= 0, got {step}")
        self._counted = step
        return step

    def _collect(self, caller: str, loss: Value) -> dict[str, Any]:
        if not isinstance(loss, Value):
            raise TypeError(f"{caller}: loss must be a Value, got {type(loss).__name__}")
        return model_data(
            loss,
            self._parameters,
            example=self._example,
            health=self._health,
            max_nodes=self._max_nodes,
        )

    def _show(self, loss: Value, step: int) -> None:
        self._pending = None
        start = _clock()
        found = self._collect("ModelWidget.update", loss)
        with self.hold_sync():  # one message: the front-end sees the data and its step together
            self.data = json.dumps(found, separators=(",", ":"))
            self.step = step
        self._summary = _summary(found, step)
        self._next = start + max(self.interval, (_clock() - start) / BUDGET)

    def __repr__(self) -> str:  # the text/plain a static viewer shows instead of the widget
        return self._summary


def _summary(data: dict[str, Any], step: int) -> str:
    when = f"at training step {step}" if step > 0 else "before training"
    return (
        f"ModelWidget: the model of {data['loss']['name']} {when}, {data['parameters']} "
        f"parameters in {len(data['groups'])} groups (run the notebook to see it)"
    )


def show_model(
    loss: Value,
    parameters: ParameterSource = None,
    *,
    example: str | None = None,
    health: GradientHealth | None = None,
    max_nodes: int = MODEL_MAX_NODES,
    interval: float = 1.0,
    step: int | None = None,
) -> ModelWidget:
    """The model view of `loss`, live: put it last in a cell, or pass it to `display()`, call
    its `update(loss)` once per training step and its `flush()` after the last (see
    `ModelWidget`)."""
    return ModelWidget(
        loss,
        parameters,
        example=example,
        health=health,
        max_nodes=max_nodes,
        interval=interval,
        step=step,
    )
