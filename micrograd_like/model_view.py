"""The model view: a whole model's parameters at a glance, and the chain rule for any one of them.

`save_model_html(loss, "model.html", parameters=...)` writes one self-contained page (inline
script, stylesheet and data; nothing fetched) for any model whose parameters come in named
matrices or vectors:

- an `nn` module (an `MLP` gives each layer's W and b: `L1.W`, `L1.b`, ...);
- a mapping of names to matrices (lists of rows of Values), vectors or single Values, such as
  microgpt's `model.matrices` (`{"wte": [[...], ...], "wpe": ..., "B1.wq": ...}`), or your own
  `{"W1": W1, "b1": b1}`;
- nothing: the `Parameter`s of the loss's graph, in the layers `nn` recorded in their
  `position`, else as one vector.

The page shows each matrix as two heatmaps, its values and its gradients after one backward
pass (diverging colours, blue positive and red negative, white 0, each map's scale written
under it), with its shape and norms, the loss and the example it came from. Click a weight and
it writes the chain rule for it with the engine's numbers:

    dL/dw = Σ over the nodes u that use w of  ∂u/∂w × dL/du

one term per use, each with its local derivative (∂, the op's own, stored in the forward pass)
and the upstream gradient (d, the loss's). Click a term to move to that node and see its own
sum; → hops up along the largest term, End walks up to the loss, ← and Home walk back. The
node's scalar neighbourhood (its inputs, itself, the nodes that use it) is drawn around it,
never the whole graph. With a `GradientHealth` that recorded the training steps, the page also
plots the gradient norms, the update-to-weight ratios and the dead or saturated units over
training.

How the page stays small and quick for a large graph (one microgpt step on an 8-letter name is
72,469 nodes): it holds no drawing and no text per node. The numbers of one backward pass go
into the page as columns of binary numbers (every node's value, gradient, op, role, inputs and
local derivatives: 43 bytes a node), deflated (zlib) and base64-encoded: about 16.5 bytes a
node of page (1.5 MB for microgpt's step, written in 0.3 s). The browser inflates them
(DecompressionStream), builds the index of users once (compressed sparse rows), and works out
each node's sum, names and neighbourhood only when it is shown. Node names follow
`view.GraphView` (a label, else `mul4`), so the page, the steps and the drawings name a node
alike. Past `max_nodes` nodes the drill-down is left out (the heatmaps stay) and the page says
the exact `max_nodes` that would include it.

The gradients are those of one fresh backward pass (every leaf gradient started at 0), run by
the engine's own stepping pass inside `stepping.put_back`: every grad of the graph is left
exactly as it was, and a `backward_steps()` pass paused over it goes on undisturbed.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import sys
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, TypeAlias

from micrograd_like import nn
from micrograd_like._io import atomic_write_text, check_writable
from micrograd_like.engine import OPS, Parameter, Value, entry
from micrograd_like.floats import format_number
from micrograd_like.page import bundle, scripts
from micrograd_like.stepping import backward_pass, put_back
from micrograd_like.view import ROLES, GraphView, op_word, printable
from micrograd_like.viz import OP_FILL, ROLE_FILLS, ROLE_WORDS

ParameterSource: TypeAlias = nn.Module | Mapping[str, object] | Sequence[object] | Value | None
"""What `parameters=` takes: an nn module, a mapping of names to matrices, vectors or single
Values, one matrix, vector or Value, or None (the loss's own `Parameter`s)."""

MODEL_MAX_NODES = 300_000
"""The page holds the drill-down's numbers for a graph of up to this many nodes (about 5 MB of
page); past it, the heatmaps and the health plots only, and the page says how to raise it."""
SATURATED = 0.97
"""A tanh unit is saturated where |a| > 0.97, a sigmoid unit where a < 0.03 or a > 0.97: its
slope f'(z) is then under 6% of its peak, and little gradient passes through it."""
FORMAT = 1  # the layout of the page's data, for a reader that checks it


# ---- the parameters, as named groups


@dataclass(frozen=True)
class ParameterGroup:
    """One named matrix, vector or single parameter: its `values` row by row, its `shape`
    (rows, columns), (length,) or (), and the `layer` it belongs to (an MLP's `L1.W` and
    `L1.b` are both layer `L1`; a group of a mapping is a layer of its own)."""

    name: str
    shape: tuple[int, ...]
    values: tuple[Value, ...]
    layer: str

    def cell(self, k: int) -> str:
        """The name of entry `k` (row-major): `wte[3,7]`, `b[2]`, or the group's own name."""
        if len(self.shape) == 2:
            return f"{self.name}[{k // self.shape[1]},{k % self.shape[1]}]"
        return f"{self.name}[{k}]" if self.shape else self.name

    def row(self, k: int) -> int:
        """The row of entry `k`: a matrix's row (one output, one unit), a vector's index."""
        return k // self.shape[1] if len(self.shape) == 2 else k


def parameter_groups(
    parameters: ParameterSource, *, root: Value | None = None, caller: str = "parameter_groups"
) -> list[ParameterGroup]:
    """The named groups `parameters` stands for (see `save_model_html`), checked: a TypeError
    or ValueError naming the argument and the entry (`parameters['wte'][3][2]`) for anything
    that is not a Value, a ragged matrix, an empty group or a name that is not a str. `root`
    (the loss) is needed only for `parameters=None`: its graph's `Parameter`s."""
    if parameters is None:
        if root is None:
            raise TypeError(f"{caller}: parameters must be given (an nn module or a mapping)")
        return _graph_groups(GraphView(root), caller)
    if isinstance(parameters, nn.Module):
        return _module_groups(parameters, caller)
    if isinstance(parameters, Mapping):
        if not parameters:
            raise ValueError(f"{caller}: parameters is an empty mapping: name at least one group")
        groups = []
        for name, given in parameters.items():
            if not isinstance(name, str):
                raise TypeError(
                    f"{caller}: every name in parameters must be a str, got "
                    f"{type(name).__name__}: {printable(repr(name))}"
                )
            groups.append(_group(name, given, f"parameters[{printable(repr(name))}]", caller))
        return groups
    if isinstance(parameters, (Value, Sequence)) and not isinstance(parameters, (str, bytes)):
        return [_group("parameters", parameters, "parameters", caller)]
    raise TypeError(
        f"{caller}: parameters must be an nn module, a mapping of names to matrices or vectors "
        f"of Values, a list of Values or None, got {type(parameters).__name__}"
    )


def _group(name: str, given: object, where: str, caller: str, layer: str = "") -> ParameterGroup:
    """One group from a Value, a sequence of Values or a sequence of equal rows of Values."""
    name = printable(name)
    if isinstance(given, Value):
        return ParameterGroup(name, (), (given,), layer or name)
    rows = _sequence(given, where, caller)
    if not rows:
        raise ValueError(f"{caller}: {where} is empty")
    vector = [each for each in rows if isinstance(each, Value)]
    if len(vector) == len(rows):
        return ParameterGroup(name, (len(rows),), tuple(vector), layer or name)
    values: list[Value] = []
    width = -1
    for i, row in enumerate(rows):
        entries = _sequence(row, f"{where}[{i}]", caller)
        if width == -1:
            width = len(entries)
            if width == 0:
                raise ValueError(f"{caller}: {where}[0] is empty")
        elif len(entries) != width:
            raise ValueError(
                f"{caller}: {where} is not a matrix: row {i} has {len(entries)} entries, "
                f"row 0 has {width}"
            )
        for j, each in enumerate(entries):
            if not isinstance(each, Value):
                raise TypeError(
                    f"{caller}: {where}[{i}][{j}] must be a Value, got {type(each).__name__}: "
                    f"{printable(repr(each))[:80]}"
                )
            values.append(each)
    return ParameterGroup(name, (len(rows), width), tuple(values), layer or name)


def _sequence(given: object, where: str, caller: str) -> Sequence[object]:
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise TypeError(
            f"{caller}: {where} must be a Value, a list of Values or a list of rows of Values, "
            f"got {type(given).__name__}: {printable(repr(given))[:80]}"
        )
    return given


def _module_groups(model: nn.Module, caller: str) -> list[ParameterGroup]:
    """An MLP's layers as W and b (row j: neuron j+1's weights), a Layer's likewise, a Neuron's
    w and b; any other module (a layer of your own in an MLP, too) as one vector."""
    if isinstance(model, nn.MLP):
        groups = []
        for i, layer in enumerate(model.layers, start=1):
            groups += _layer_groups(layer, f"L{i}", caller)
        return groups
    if isinstance(model, nn.Layer):
        return _layer_groups(model, printable(model.label), caller)
    if isinstance(model, nn.Neuron):
        label = printable(model.label)
        return [
            ParameterGroup(f"{label}.w", (len(model.w),), tuple(model.w), label),
            ParameterGroup(f"{label}.b", (), (model.b,), label),
        ]
    return [_group(type(model).__name__, model.parameters(), "parameters.parameters()", caller)]


def _layer_groups(layer: object, name: str, caller: str) -> list[ParameterGroup]:
    neurons = getattr(layer, "neurons", None)
    if (
        isinstance(layer, nn.Layer)
        and isinstance(neurons, list)
        and neurons
        and all(isinstance(n, nn.Neuron) and len(n.w) == len(neurons[0].w) for n in neurons)
    ):
        weights = tuple(w for neuron in neurons for w in neuron.w)
        return [
            ParameterGroup(f"{name}.W", (len(neurons), len(neurons[0].w)), weights, name),
            ParameterGroup(f"{name}.b", (len(neurons),), tuple(n.b for n in neurons), name),
        ]
    found = getattr(layer, "parameters", None)
    if not callable(found):
        raise TypeError(f"{caller}: layer {name} of the model has no parameters()")
    return [_group(name, found(), f"the parameters() of layer {name}", caller)]


def _graph_groups(view: GraphView, caller: str) -> list[ParameterGroup]:
    """The graph's `Parameter`s: as the layers `nn` recorded in their positions (W and b per
    layer) when they make whole matrices, else as one vector, in the graph's order."""
    found = [node for node in view.order if isinstance(node, Parameter)]
    if not found:
        raise ValueError(
            f"{caller}: the graph of {view.name(view.root)} has no Parameter; pass "
            "parameters= (an nn module, or a mapping of names to matrices of Values)"
        )
    placed: dict[int, dict[tuple[int, int | None], Value]] = defaultdict(dict)
    for node in found:
        position = getattr(node, "position", None)
        if (
            not isinstance(position, nn.Position)
            or (position.neuron, position.input) in placed[position.layer]
        ):
            return [ParameterGroup("parameters", (len(found),), tuple(found), "parameters")]
        placed[position.layer][position.neuron, position.input] = node
    groups = []
    for layer in sorted(placed):
        parts = placed[layer]
        rows = max(neuron for neuron, _ in parts)
        columns = max((k for _, k in parts if k is not None), default=0)
        whole = {(j, k) for j in range(1, rows + 1) for k in [*range(1, columns + 1), None]}
        if columns == 0 or set(parts) != whole:
            return [ParameterGroup("parameters", (len(found),), tuple(found), "parameters")]
        weights = tuple(parts[j, k] for j in range(1, rows + 1) for k in range(1, columns + 1))
        biases = tuple(parts[j, None] for j in range(1, rows + 1))
        groups += [
            ParameterGroup(f"L{layer}.W", (rows, columns), weights, f"L{layer}"),
            ParameterGroup(f"L{layer}.b", (rows,), biases, f"L{layer}"),
        ]
    return groups


# ---- gradient health over training steps


@dataclass(frozen=True)
class Units:
    """A layer's activation units in one recorded step: how many there are, how many were dead
    (a ReLU whose output was 0 on every use in the step's graph: no gradient passes through it)
    and how many saturated (a tanh or sigmoid past `SATURATED` on every use), and their ops."""

    kinds: tuple[str, ...]
    units: int
    dead: int
    saturated: int


@dataclass(frozen=True)
class HealthRecord:
    """One recorded training step, per group: the gradient's norm ‖dL/dW‖, the weights' norm
    ‖W‖ and the update-to-weight ratio ‖ΔW‖ / ‖W‖ (ΔW: the weights now minus at the record
    before, or at the recorder's start; None where ‖W‖ was 0); per layer its `Units`."""

    step: int
    loss: float | None
    grad_norm: dict[str, float]
    weight_norm: dict[str, float]
    update_ratio: dict[str, float | None]
    units: dict[str, Units] = field(default_factory=dict)


class GradientHealth:
    """Gradient health over training, one `record()` per step, for the page's plots.

        health = GradientHealth(model)              # or a mapping, as save_model_html takes
        for step in range(steps):
            optimizer.zero_grad()
            loss = ...
            loss.backward()
            optimizer.step()
            health.record(loss)                     # this step's grads, and its update
        save_model_html(loss, "model.html", parameters=model, health=health)

    `record(loss)` reads every group's gradients (as `backward()` left them) and weights, so the
    ratio ‖ΔW‖ / ‖W‖ is the update the optimizer just made when it is called after
    `optimizer.step()` (a healthy step is often near 1e-3). Given the loss, it also counts each
    layer's dead ReLUs and saturated tanh or sigmoid units in the step's graph: a unit is the
    activation of one row's weighted sum (a neuron of an MLP, a row of microgpt's `fc1`),
    found from each activation node (an op of `engine.OPS` marked `activation=True`) through
    the `+` and `*` nodes of the sum below it; it is dead (or saturated) in a step when every
    one of its uses in the graph is (a batch, or every position of a name). That walk reads the
    whole graph once per record (15 to 20 ms for microgpt's 72,000 nodes, where a replayed
    training step takes about 35 ms); `record()` without a loss skips it. It changes no grad
    and no data.
    """

    def __init__(self, parameters: ParameterSource) -> None:
        self.groups = parameter_groups(parameters, caller="GradientHealth")
        self.records: list[HealthRecord] = []
        self._owner: dict[Value, tuple[ParameterGroup, int]] = {}
        for group in self.groups:
            for k, value in enumerate(group.values):
                self._owner.setdefault(value, (group, k))
        self._last = self._weights()

    def _weights(self) -> list[list[float]]:
        return [[value.data for value in group.values] for group in self.groups]

    def record(self, loss: Value | None = None, *, step: int | None = None) -> HealthRecord:
        """Record one step (see the class) and return it. `step` numbers it on the plots'
        x-axis (by default one more than the last, from 1): pass it when recording every k-th
        step."""
        if loss is not None and not isinstance(loss, Value):
            raise TypeError(
                f"GradientHealth.record: loss must be a Value or None, got {type(loss).__name__}"
            )
        if step is None:
            step = self.records[-1].step + 1 if self.records else 1
        elif not isinstance(step, int) or isinstance(step, bool):
            raise TypeError(f"GradientHealth.record: step must be an int, got {step!r}")
        weights = self._weights()
        grad_norm, weight_norm, update_ratio = {}, {}, {}
        for group, now, before in zip(self.groups, weights, self._last, strict=True):
            grad_norm[group.name] = math.hypot(*(value.grad for value in group.values))
            norm = weight_norm[group.name] = math.hypot(*now)
            change = math.hypot(*(a - b for a, b in zip(now, before, strict=True)))
            update_ratio[group.name] = change / norm if norm > 0 else None
        self._last = weights
        units = {} if loss is None else self._units(loss)
        found = HealthRecord(
            step,
            None if loss is None else loss.data,
            grad_norm,
            weight_norm,
            update_ratio,
            units,
        )
        self.records.append(found)
        return found

    def _units(self, loss: Value) -> dict[str, Units]:
        """Each layer's activation units in the graph of `loss` (see the class)."""
        uses: dict[tuple[str, int], list[Value]] = defaultdict(list)
        for node in loss.topological_order():
            op = node.op
            if op and op in OPS and OPS[op].activation:
                owner = self._nearest_parameter(node)
                if owner is not None:
                    group, k = owner
                    uses[group.layer, group.row(k)].append(node)
        kinds: dict[str, set[str]] = defaultdict(set)
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # units, dead, saturated
        for (layer, _), nodes in uses.items():
            kinds[layer].update(node.op for node in nodes)
            count = counts[layer]
            count[0] += 1
            count[1] += all(node.op == "relu" and node.data == 0 for node in nodes)
            count[2] += all(_saturated(node) for node in nodes)
        layers = dict.fromkeys(group.layer for group in self.groups)  # in the groups' order
        return {
            layer: Units(tuple(sorted(kinds[layer])), *counts[layer])
            for layer in layers
            if layer in counts
        }

    def _nearest_parameter(self, activation: Value) -> tuple[ParameterGroup, int] | None:
        """The grouped parameter whose row the activation node is a unit of: its input must be
        a weighted sum, `+` nodes over products w * x (and a bias), as nn's neurons and
        microgpt's `linear` build them, and a matrix's weight in it names the row (a vector's
        entry, a bias, where no matrix's weight is in it). None for an activation of anything
        else, such as the relu of a hinge loss."""
        stack = list(activation.inputs)
        seen: set[Value] = set()
        fallback = None
        while stack and len(seen) < 4096:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for each in (node, *node.inputs) if node.op == "*" else (node,):
                owner = self._owner.get(each)
                if owner is not None and len(owner[0].shape) == 2:
                    return owner
                fallback = fallback or owner
            if node.op == "+":
                stack.extend(node.inputs)
        return fallback

    def data(self) -> dict[str, Any]:
        """The records as the page plots them: one list per group and measure, per layer and
        count, with None for a number that is missing or not finite."""
        records = self.records
        layers = sorted(
            {layer for record in records for layer in record.units},
            key=[group.layer for group in self.groups].index,
        )
        return {
            "steps": [record.step for record in records],
            "loss": [_finite(record.loss) for record in records],
            "groups": [
                {
                    "name": group.name,
                    "grad_norm": [_finite(r.grad_norm[group.name]) for r in records],
                    "weight_norm": [_finite(r.weight_norm[group.name]) for r in records],
                    "update_ratio": [_finite(r.update_ratio[group.name]) for r in records],
                }
                for group in self.groups
            ],
            "layers": [
                {
                    "name": layer,
                    "kinds": sorted(
                        {kind for r in records if layer in r.units for kind in r.units[layer].kinds}
                    ),
                    "units": [_count(r, layer, "units") for r in records],
                    "dead": [_count(r, layer, "dead") for r in records],
                    "saturated": [_count(r, layer, "saturated") for r in records],
                }
                for layer in layers
            ],
            "saturation": SATURATED,
        }


def _saturated(node: Value) -> bool:
    if node.op == "tanh":
        return abs(node.data) > SATURATED
    if node.op == "sigmoid":
        return node.data < 1 - SATURATED or node.data > SATURATED
    return False


def _count(record: HealthRecord, layer: str, what: str) -> int | None:
    """A layer's count of units, dead units or saturated ones in a record (None: no units)."""
    units = record.units.get(layer)
    if units is None:
        return None
    return {"units": units.units, "dead": units.dead, "saturated": units.saturated}[what]


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


# ---- the page's data


def model_data(
    loss: Value,
    parameters: ParameterSource = None,
    *,
    example: str | None = None,
    health: GradientHealth | None = None,
    max_nodes: int = MODEL_MAX_NODES,
) -> dict[str, Any]:
    """Everything the model page shows, as a JSON-able dict (see `save_model_html` for the
    arguments): the `loss`, the `example`, the `groups` (name, shape, layer, norms, each entry's
    name and label), the `cells` (every entry's value, gradient and node, as a deflated binary
    block), the `graph` for the drill-down (None past `max_nodes`, with `too_large` saying so),
    the `health` plots' numbers, and the colours of the key.

    The gradients are those of one fresh backward pass of `loss`, every leaf gradient started
    at 0, run inside `put_back`: every grad of the graph is left exactly as it was."""
    _check_loss("model_data", loss)
    example, health, max_nodes = _checked("model_data", example, health, max_nodes)
    groups = None if parameters is None else parameter_groups(parameters, caller="model_data")
    return _collect("model_data", loss, groups, example, health, max_nodes)


def _check_loss(caller: str, loss: object) -> None:
    if not isinstance(loss, Value):
        raise TypeError(f"{caller}: loss must be a Value, got {type(loss).__name__}")


def _checked(
    caller: str, example: object, health: object, max_nodes: object
) -> tuple[str | None, GradientHealth | None, int]:
    if example is not None and not isinstance(example, str):
        raise TypeError(
            f"{caller}: example must be a str (what the loss was computed on) or None, got "
            f"{type(example).__name__}"
        )
    if health is not None and not isinstance(health, GradientHealth):
        raise TypeError(
            f"{caller}: health must be a GradientHealth or None, got {type(health).__name__}"
        )
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 0:
        raise ValueError(f"{caller}: max_nodes must be an int >= 0, got {max_nodes!r}")
    return example, health, max_nodes


def _collect(
    caller: str,
    loss: Value,
    groups: list[ParameterGroup] | None,
    example: str | None,
    health: GradientHealth | None,
    max_nodes: int,
) -> dict[str, Any]:
    view = GraphView(loss)
    if groups is None:
        groups = _graph_groups(view, caller)
    order = view.order
    # the page's own pass, put back exactly afterwards: the engine's stepping pass, drained
    with put_back(order):
        for leaf in view.leaves():
            leaf.grad = 0.0  # a fresh pass: no gradient left over from an earlier backward()
        for _ in backward_pass(loss):
            pass
        grads = [node.grad for node in order]
    index = {node: i for i, node in enumerate(order)}
    cells = [value for group in groups for value in group.values]
    cell_nodes = [index.get(value, -1) for value in cells]
    cell_grads = [grads[i] if i >= 0 else 0.0 for i in cell_nodes]
    summaries = []
    start = 0
    for group in groups:
        end = start + len(group.values)
        used = sum(i >= 0 for i in cell_nodes[start:end])
        summaries.append(_summary(group, cell_grads[start:end], used))
        start = end
    root = view.name(loss)
    too_large = None
    graph = None
    if len(order) > max_nodes:
        too_large = (
            f"The graph of {root} has {len(order):,} nodes, more than max_nodes={max_nodes:,}: "
            "the page leaves out the chain rule of each weight, which needs every node's "
            f"numbers (about {_megabytes(len(order))} of page). "
            f"save_model_html(..., max_nodes={len(order)}) includes it."
        )
    else:
        graph = _graph(view, index, grads)
    return {
        "format": FORMAT,
        "loss": {"name": root, "value": _number(loss.data)},
        "example": None if example is None else printable(example),
        "nodes": len(order),
        "parameters": len(cells),
        "groups": summaries,
        "cells": _pack(
            [
                ("data", "d", [value.data for value in cells]),
                ("grad", "d", cell_grads),
                ("node", "i", cell_nodes),
            ]
        ),
        "graph": graph,
        "too_large": too_large,
        "health": None if health is None or not health.records else health.data(),
        "key": {
            "roles": [
                {"role": role, "words": ROLE_WORDS[role], "fill": ROLE_FILLS[role]}
                for role in ROLES
            ],
            "op_fill": OP_FILL,
        },
        "note": (
            f"Every gradient shown is from one fresh backward pass of {root}, every leaf "
            "gradient starting at 0; the grads your program holds were left as they were."
        ),
    }


def _megabytes(nodes: int) -> str:
    return f"{max(1, round(nodes * 18 / 1e6))} MB"  # 16.5 bytes a node for microgpt, and a margin


def _summary(group: ParameterGroup, grads: Sequence[float], used: int) -> dict[str, Any]:
    # each entry's own label where it says something its place does not (nn's L1.N2.w3)
    labels = [
        "" if value.label in ("", group.cell(k)) else printable(value.label)
        for k, value in enumerate(group.values)
    ]
    return {
        "name": group.name,
        "shape": list(group.shape),
        "layer": group.layer,
        "size": len(group.values),
        "used": used,
        "norm": _number(math.hypot(*(value.data for value in group.values))),
        "grad_norm": _number(math.hypot(*grads)),
        "grad_max": _number(max((abs(g) for g in grads), default=0.0)),
        "labels": labels if any(labels) else None,
    }


def _number(x: float) -> float | str:
    """A float for JSON: itself, or "inf" / "-inf" (JSON has no infinity)."""
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


_ROLE_CODES = {role: code for code, role in enumerate(ROLES)}


def _graph(view: GraphView, index: Mapping[Value, int], grads: list[float]) -> dict[str, Any]:
    """The drill-down's numbers: per node (in the view's order, node i is `n{i}`) its value,
    gradient, local derivatives, inputs (as how many places back each is: 0 for none), op and
    role; the ops' words and formulas; the labelled nodes' names."""
    order = view.order
    ops: dict[str, int] = {"": 0}
    op_codes, roles, back1, back2 = [], [], [], []
    for i, node in enumerate(order):
        op_codes.append(ops.setdefault(node.op, len(ops)))
        roles.append(_ROLE_CODES[view.role(node)])
        first, second = node.input1, node.input2
        back1.append(0 if first is None else i - index[first])
        back2.append(0 if second is None else i - index[second])
    return {
        "count": len(order),
        "ops": [_op(op) for op in ops],
        "labels": [[i, view.name(node)] for i, node in enumerate(order) if node.label],
        "numbers": _pack(
            [
                ("data", "d", [node.data for node in order]),
                ("grad", "d", grads),
                ("local1", "d", [node.local1 for node in order]),
                ("local2", "d", [node.local2 for node in order]),
                ("back1", "i", back1),
                ("back2", "i", back2),
                ("op", "H", op_codes),
                ("role", "B", roles),
            ]
        ),
    }


def _op(op: str) -> dict[str, Any]:
    """An op as the drill-down writes it: the op, the word of its unlabelled nodes' names
    (`mul`), and its local derivatives' formulas in a, b, out and n (None where it has none),
    as `steps.local_formula` fills them in."""
    if not op:
        return {"op": "", "word": "leaf", "formulas": None, "power": False}
    known = entry(op)
    formulas = None
    if known.local is not None:
        formulas = [printable(f) if isinstance(f, str) else None for f in known.local]
    return {
        "op": printable(op),
        "word": printable(op_word(op)),
        "formulas": formulas,
        "power": known.name == "**n",
    }


_SIZES = {"d": 8, "i": 4, "H": 2, "B": 1}  # float64, int32, uint16, uint8 (C's, everywhere)


def _pack(columns: Iterable[tuple[str, str, Sequence[float] | Sequence[int]]]) -> dict[str, Any]:
    """Columns of numbers as one deflated, base64-encoded block of little-endian binary: float64
    (`d`), int32 (`i`), uint16 (`H`) or uint8 (`B`), one after another, each at an offset that
    is a multiple of 8; `columns` says where each is (code, offset, count)."""
    blocks: list[bytes] = []
    where: dict[str, list[Any]] = {}
    offset = 0
    for name, code, numbers in columns:
        packed = array(code, numbers)
        if sys.byteorder == "big":
            packed.byteswap()
        data = packed.tobytes()
        where[name] = [code, offset, len(numbers)]
        blocks.append(data + b"\0" * (-len(data) % 8))
        offset += len(blocks[-1])
    raw = b"".join(blocks)
    return {
        "columns": where,
        "bytes": len(raw),
        "deflated": base64.b64encode(zlib.compress(raw, 6)).decode("ascii"),
    }


def unpack(block: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The columns of a block of the page's data (`cells`, `graph["numbers"]`) as lists: how
    Python reads a page's numbers back (the tests do); the page has its own reader in model.js."""
    raw = zlib.decompress(base64.b64decode(block["deflated"]))
    found: dict[str, list[Any]] = {}
    for name, (code, offset, count) in block["columns"].items():
        packed = array(code)
        packed.frombytes(raw[offset : offset + count * _SIZES[code]])
        if sys.byteorder == "big":
            packed.byteswap()
        found[name] = packed.tolist()
    return found


# ---- the page


_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>$title</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #111827; }
$style
</style>
</head>
<body>
<h1>$title</h1>
<div id="model"></div>
<script type="application/json" id="model-data">$data</script>
<script type="module">
$script
mountModel(
  document.getElementById("model"),
  JSON.parse(document.getElementById("model-data").textContent),
  {documentKeys: true}
);
</script>
</body>
</html>
"""
)


def model_script() -> str:
    """The page's script: page/model.js and whatever it imports, bundled as page.py bundles
    (`page.bundle`); it exports `mountModel(el, data, options)` and runs nothing when loaded."""
    return bundle("model.js", scripts())


def model_style() -> str:
    """The page's stylesheet, page/model.css (every rule scoped to `.model-view`)."""
    folder = resources.files("micrograd_like").joinpath("page")
    return folder.joinpath("model.css").read_text("utf-8")


def save_model_html(
    loss: Value,
    path: str | os.PathLike[str],
    parameters: ParameterSource = None,
    *,
    title: str = "The model at a glance",
    example: str | None = None,
    health: GradientHealth | None = None,
    max_nodes: int = MODEL_MAX_NODES,
) -> Path:
    """Write the model page of `loss` to `path` and return its path.

    `parameters` says what the model's parameters are and what they are called: an `nn` module
    (an MLP's layers as `L1.W`, `L1.b`, ...; a Layer's likewise; a Neuron's w and b; any other
    module's `parameters()` as one vector), a mapping of names to matrices (lists of equal rows
    of Values), vectors (lists of Values) or single Values, such as microgpt's `model.matrices`,
    one such matrix or vector, or None: the `Parameter`s of the loss's graph, in the layers
    `nn` recorded in their `position` when they make whole matrices, else one vector. Entries
    the loss does not use are shown as such, with gradient 0.

    The page (see the module's docstring): the loss and `example` (a line of text saying what
    the loss was computed on); a table of the groups (shape, norms, how many entries the loss
    uses); each group's values and gradients as heatmaps with their scales; a click on an entry
    writes dL/dw = Σ ∂u/∂w × dL/du with the engine's numbers and draws the node's neighbourhood;
    a click on a term moves to that node (← → Home End and Play walk the chain, as on the
    stepping page); with `health` (a `GradientHealth` that recorded the training), its plots.

    Every argument is checked before any work: `loss` a Value, `parameters` as above (errors
    name the entry), `title` and `example` strings, `max_nodes` an int (past it the chain rule
    is left out, and the page says which `max_nodes` includes it), `path` as the writer checks
    it. The file is written atomically; every grad of the graph is left as it was.
    """
    _check_loss("save_model_html", loss)
    if not isinstance(title, str):
        raise TypeError(f"save_model_html: title must be a str, got {type(title).__name__}")
    example, health, max_nodes = _checked("save_model_html", example, health, max_nodes)
    groups = None
    if parameters is not None:
        groups = parameter_groups(parameters, caller="save_model_html")
    try:
        target = check_writable(path, caller="save_model_html")
    except IsADirectoryError as error:  # the writer's refusal, and the name it would take
        advice = IsADirectoryError(f"{error}; give a file name such as {Path(path) / 'model.html'}")
        advice.errno = error.errno
        raise advice from None
    data = _collect("save_model_html", loss, groups, example, health, max_nodes)
    # "<" written as a JSON escape, so no "</script>" in a name can end the data block early
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    page = _PAGE.substitute(
        title=html.escape(title), style=model_style(), script=model_script(), data=payload
    )
    return atomic_write_text(target, page)


def format_value(x: float) -> str:
    """A number as the page writes it: `format_number` (4 decimals, a small one never rounded
    to 0), a zero never with a minus sign. model.js's `formatNumber` is the same function."""
    return "0.0" if x == 0 else format_number(x)
