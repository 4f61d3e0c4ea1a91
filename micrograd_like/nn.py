"""Neurons, layers and multi-layer perceptrons built from `Value`s, with JSON checkpoints.

A neuron computes its activation from a weighted sum of its inputs plus a bias:

    a = f(w1*x1 + w2*x2 + ... + wn*xn + b)

where f is the activation function (ReLU, tanh, sigmoid, or none). The weights and the bias are
`Parameter`s, leaves of the graph whose gradients (d cost / d weight) an optimizer follows
downhill. The signatures and defaults are micrograd's: `MLP(nin, nouts)` has ReLU hidden layers,
a linear output layer, weights drawn from uniform(-1, 1) and biases of 0, so micrograd's demo
runs unchanged with `micrograd_like` in its imports.
"""

from __future__ import annotations

import json
import math
import os
import random
import reprlib
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from decimal import Decimal
from numbers import Integral, Real
from pathlib import Path
from typing import NamedTuple

from micrograd_like._io import FileTooLargeError, atomic_write_text, read_regular_file
from micrograd_like.engine import OPS, Value
from micrograd_like.engine import Parameter as Parameter  # a model's own kind of Value
from micrograd_like.faster import weighted_sum
from micrograd_like.floats import as_float, is_number
from micrograd_like.interrupts import interrupts_deferred
from micrograd_like.view import printable

# f by name: every op the registry marks as an activation, and "linear" (a = z)
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    **{op.name: op.method for op in OPS.values() if op.activation},
    "linear": None,
}
INITS = ("uniform", "xavier", "he")
CHECKPOINT_FORMAT = "micrograd_like.checkpoint"
CHECKPOINT_VERSION = 1
CHECKPOINT_MAX_BYTES = 64 * 2**20
"""`Module.load` refuses larger files unless given a larger `max_bytes`."""

Seed = int | random.Random | None


class CheckpointError(ValueError):
    """A checkpoint file that cannot be loaded into this model (the message says why)."""


class Position(NamedTuple):
    """Where a parameter made by a `Neuron` sits in its network, kept on it as `p.position`.

    `layer` and `neuron` count from 1 (layer 1 is the first hidden layer, neuron 1 a layer's
    first neuron); `input` is the input a weight multiplies (1 for `w[0]`), None for the bias.
    In an `MLP`, `model.layers[layer - 1].neurons[neuron - 1].w[input - 1]` is the weight itself.
    Readers of a graph (the network view, micrograd_like.network) find the network from these,
    not from labels: a label is a name you may change, a position is where the parameter is.
    """

    layer: int
    neuron: int
    input: int | None  # None: the bias


class Module:
    """Anything with parameters: `parameters()`, `zero_grad()`, and JSON `save()` / `load()`."""

    def parameters(self) -> list[Value]:
        """Every weight and bias, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0, before the next backward pass accumulates into it."""
        for p in self.parameters():
            p.grad = 0.0

    def architecture(self) -> dict[str, object]:
        """What a checkpoint must match to load into this module (class, sizes, activations)."""
        return {"class": type(self).__name__}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.parameters())} parameters)"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and every parameter, by label, to a JSON file, atomically.

        Floats are written with `repr`, so `load` restores them bit for bit. A weight that is
        another kind of real number (a NumPy float, a `Fraction`, a `Decimal`, an int) is
        written as `float(weight)`, the nearest float, which `load` gives back; one that is
        not finite as a float, or not a number, is refused with an error naming it. A Ctrl-C
        leaves the old file or the new one, and no temporary file (`_io.atomic_write_bytes`).
        """
        values: dict[str, float] = {}
        for p in self.parameters():
            if p.label in values:
                raise ValueError(
                    f"cannot save to {path}: two parameters share the label {p.label!r}"
                )
            values[p.label] = _saved_number(p, path)
        checkpoint = {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "architecture": self.architecture(),
            "parameters": values,
        }
        atomic_write_text(path, json.dumps(checkpoint, indent=1) + "\n")

    def load(self, path: str | os.PathLike[str], *, max_bytes: int = CHECKPOINT_MAX_BYTES) -> None:
        """Restore the parameters saved by `save`, after checking the whole file.

        Raises `CheckpointError` (a `ValueError`) naming the file and the problem for anything
        wrong with its content: not UTF-8, malformed or truncated JSON, a duplicated key, NaN or
        Infinity, an integer of more than 4,300 digits, another format or version, a different
        architecture, missing or extra parameters, a value that is not a finite number, or more
        than `max_bytes` bytes (64 MiB by default: over a million parameters). A path that
        is not a readable regular file raises the `OSError` that says so
        (`FileNotFoundError`, `IsADirectoryError`, `PermissionError`, or `OSError` for a
        FIFO, device or socket), before anything is read. Nothing is assigned unless
        everything checks out, and then every parameter is: a Ctrl-C during the assignment
        waits until it is done (`interrupts.interrupts_deferred`). Messages quote at most a few
        dozen characters of what the file holds.
        """
        try:
            data = read_regular_file(path, max_bytes)
        except FileTooLargeError as error:
            raise CheckpointError(str(error)) from None
        where = Path(path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CheckpointError(f"{where}: not a text file (not UTF-8: {error})") from None
        try:
            checkpoint = json.loads(
                text,
                parse_constant=_reject_constant,
                parse_int=_bounded_int,
                object_pairs_hook=_unique_keys,
            )
        except CheckpointError as error:
            raise CheckpointError(f"{where}: {error}") from None
        except (ValueError, RecursionError) as error:
            raise CheckpointError(
                f"{where}: not valid JSON, truncated or malformed ({error})"
            ) from None
        new_values = self._checked_values(checkpoint, where)
        params = self.parameters()
        with interrupts_deferred():  # a Ctrl-C waits until every weight is set
            for p in params:
                p.data = new_values[p.label]

    def _checked_values(self, checkpoint: object, where: Path) -> dict[str, float]:
        """The parameter values of a parsed checkpoint, once it matches this module."""
        if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{where}: not a micrograd_like checkpoint (no format tag)")
        version = checkpoint.get("version")
        if version != CHECKPOINT_VERSION or isinstance(version, bool):
            raise CheckpointError(
                f"{where}: checkpoint version {_shown(version)}, this code reads "
                f"{CHECKPOINT_VERSION}"
            )
        architecture = self.architecture()
        if checkpoint.get("architecture") != architecture:
            raise CheckpointError(
                f"{where}: the checkpoint is for {_shown(checkpoint.get('architecture'))}, "
                f"this model is {_shown(architecture)}"
            )
        saved = checkpoint.get("parameters")
        if not isinstance(saved, dict):
            raise CheckpointError(f"{where}: 'parameters' must be an object of label: value")
        labels = [p.label for p in self.parameters()]
        known = set(labels)
        if len(known) != len(labels):
            twice = next(label for i, label in enumerate(labels) if label in labels[:i])
            raise ValueError(
                f"cannot load {where}: two parameters of this model share the label {twice!r}"
            )
        missing = [label for label in labels if label not in saved]
        extra = [label for label in saved if label not in known]
        if missing or extra:
            raise CheckpointError(
                f"{where}: {len(saved)} parameters in the file, {len(labels)} in the model; "
                f"missing {_shown(missing[:5])}, unexpected {_shown(extra[:5])}"
            )
        values: dict[str, float] = {}
        for label in labels:
            value = saved[label]
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise CheckpointError(
                    f"{where}: parameter {label} must be a number, got {type(value).__name__}: "
                    f"{_shown(value)}"
                )
            try:
                number = float(value)
            except OverflowError:  # an int too large for a float
                number = math.inf
            if not math.isfinite(number):
                raise CheckpointError(f"{where}: parameter {label} is not finite: {_shown(value)}")
            values[label] = number
        return values


_QUOTE = reprlib.Repr()  # what an error message quotes of a file: a few dozen characters
_QUOTE.maxstring = _QUOTE.maxother = 60
_QUOTE.maxlong = 40
_QUOTE.maxlist = _QUOTE.maxtuple = _QUOTE.maxdict = 6
_QUOTE.maxlevel = 3


def _shown(x: object) -> str:
    """`repr(x)` cut short (`'aaaaaaa...aaaaaaa'`, `[1, 2, 3, 4, 5, 6, ...]`): a checkpoint's
    error quotes what it read without echoing megabytes of it."""
    if isinstance(x, int) and x.bit_length() > 128:  # repr of a huge int is slow, or refused
        return f"an int of about {int(x.bit_length() * math.log10(2)) + 1:,} digits"
    return _QUOTE.repr(x)


def _saved_number(p: Value, path: str | os.PathLike[str]) -> float:
    """A parameter's data as the float a checkpoint holds, or an error naming the parameter."""
    x = p.data
    if isinstance(x, bool) or not isinstance(x, (Real, Decimal)):
        raise TypeError(
            f"cannot save to {path}: parameter {printable(p.label)} must be a number, got "
            f"{type(x).__name__}: {_shown(x)}"
        )
    try:
        number = float(x)
    except OverflowError:  # an int or a Fraction
        raise ValueError(
            f"cannot save to {path}: parameter {printable(p.label)} is {_shown(x)}, too large "
            "for a float"
        ) from None
    except ValueError:  # Decimal('sNaN')
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"cannot save to {path}: parameter {printable(p.label)} is {_shown(x)}")
    return number


def _reject_constant(name: str) -> float:
    """json.loads hook: NaN and Infinity are not numbers a checkpoint may hold."""
    raise CheckpointError(f"{name} is not a finite number")


def _bounded_int(digits: str) -> int:
    """json.loads hook: Python's own default limit on integer digits (4300), whatever
    sys.set_int_max_str_digits says: converting a huge integer takes time quadratic in its
    length, and a checkpoint's integers are small (a version, layer sizes)."""
    n = len(digits.lstrip("-"))
    if n > 4300:
        raise CheckpointError(f"an integer of {n:,} digits (more than 4,300)")
    return int(digits)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """json.loads hook: a key written twice is an error, not "the last one wins"."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise CheckpointError(f"the key {_shown(key)} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _check_count(what: str, n: object) -> int:
    """`n` as an int >= 1 (NumPy integers too): TypeError for another type, ValueError below 1."""
    if not isinstance(n, Integral) or isinstance(n, bool):
        raise TypeError(f"{what} must be a positive int, got {type(n).__name__}: {n!r}")
    count = int(n)
    if count < 1:
        shown = count if count.bit_length() < 64 else "a huge negative int"
        raise ValueError(f"{what} must be a positive int, got {shown}")
    return count


def _check_activation(owner: str, activation: object) -> str:
    if not isinstance(activation, str):
        raise TypeError(
            f"{owner}: activation must be one of {list(ACTIVATIONS)}, "
            f"got {type(activation).__name__}: {activation!r}"
        )
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"{owner}: activation must be one of {list(ACTIVATIONS)}, got {activation!r}"
        )
    return str(activation)


def _generator(seed: Seed) -> random.Random | None:
    """A private generator for an int seed (shared by every neuron of a layer or network, so
    they differ); None means the global `random` module, micrograd's way."""
    if seed is None or isinstance(seed, random.Random):
        return seed
    if isinstance(seed, Integral) and not isinstance(seed, bool):  # NumPy integers too
        return random.Random(int(seed))
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__}")


class Neuron(Module):
    """One neuron: a = f(w . x + b), with `nin` weights `w` and a bias `b`.

    `activation` (an op of `engine.OPS` marked as one: "relu", "tanh", "sigmoid"; or "linear")
    is the one setting; micrograd's flag `nonlin` is a view of it: `nonlin` is True unless the
    neuron is linear. At construction,
    `nonlin=True` means ReLU and `False` linear, and an explicit `activation` wins over it. Both
    can be changed later and the next call uses them, as in micrograd: `neuron.nonlin = False`
    makes the neuron linear, `neuron.nonlin = True` makes a linear neuron ReLU (a tanh or
    sigmoid neuron stays as it is), `neuron.activation = "tanh"` switches to tanh. The weights
    are drawn uniformly from (-limit, limit), the bias starts at 0:

    - `init="uniform"`: limit 1, micrograd's choice;
    - `init="xavier"`: limit sqrt(6 / (nin + fan_out)) (Glorot), for tanh and sigmoid;
    - `init="he"`: limit sqrt(6 / nin) (He), for ReLU.

    `fan_out` is the number of neurons in the layer (a `Layer` passes it). Without a `seed` the
    weights come from the global `random` module in micrograd's order, so `random.seed(1337)`
    gives micrograd's weights; with an int or a `random.Random` they come from a private
    generator and the global state is left alone. Parameters are labelled `{label}.w1`,
    ..., `{label}.b`.

    `layer` and `index` say where the neuron sits (its layer's number in the network, its own
    in the layer, both from 1); a `Layer` and an `MLP` pass them, as they pass the label. Each
    parameter keeps its place as `p.position`, a `Position`: `w[0]` of `Neuron(2, layer=3,
    index=4)` is at `Position(3, 4, 1)`, its bias at `Position(3, 4, None)`.
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = None,
        init: str = "uniform",
        seed: Seed = None,
        label: str = "N1",
        fan_out: int = 1,
        layer: int = 1,
        index: int = 1,
    ) -> None:
        nin = _check_count("Neuron: nin", nin)
        fan_out = _check_count("Neuron: fan_out", fan_out)
        layer, index = _check_count("Neuron: layer", layer), _check_count("Neuron: index", index)
        if activation is None:
            activation = "relu" if nonlin else "linear"
        self.activation = activation
        if init not in INITS:
            raise ValueError(f"Neuron: init must be one of {list(INITS)}, got {init!r}")
        if not isinstance(label, str):
            raise TypeError(f"Neuron: label must be a str, got {type(label).__name__}")
        limit = {"uniform": 1.0, "xavier": math.sqrt(6 / (nin + fan_out)), "he": math.sqrt(6 / nin)}
        rng = _generator(seed)
        uniform, bound = random.uniform if rng is None else rng.uniform, limit[init]
        self.nin = nin
        self.label = label
        self.w = [Parameter(uniform(-bound, bound), f"{label}.w{i}") for i in range(1, nin + 1)]
        self.b = Parameter(0.0, f"{label}.b")
        # each parameter's place, in its own attribute (Value has a __dict__ for such): the
        # engine knows nothing of networks, and mypy nothing of this attribute
        for k, weight in enumerate(self.w, start=1):
            weight.position = Position(layer, index, k)  # type: ignore[attr-defined]
        self.b.position = Position(layer, index, None)  # type: ignore[attr-defined]

    @property
    def activation(self) -> str:
        """The activation function's name; setting it changes what the next call computes."""
        return self._activation

    @activation.setter
    def activation(self, activation: str) -> None:
        self._activation = _check_activation("Neuron", activation)
        self._activate = ACTIVATIONS[self._activation]  # looked up once here, not per call

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True unless the neuron is linear."""
        return self._activation != "linear"

    @nonlin.setter
    def nonlin(self, nonlin: bool) -> None:
        if not nonlin:
            self.activation = "linear"
        elif self._activation == "linear":
            self.activation = "relu"  # micrograd's only nonlinearity

    def __call__(self, x: Sequence[Value | float] | Value) -> Value:
        if isinstance(x, Value):  # one input, as a one-neuron layer hands its output on
            x = [x]
        try:
            n = len(x)
        except TypeError:
            raise TypeError(
                f"{printable(self.label)}: expected a sequence of {self.nin} inputs (numbers or "
                "Values), "
                f"got {type(x).__name__}: {x!r}"
            ) from None
        if n != self.nin:
            raise ValueError(f"{printable(self.label)}: expected {self.nin} inputs, got {n}")
        # micrograd's graph: ((b + w1*x1) + w2*x2) + ...
        try:
            z = weighted_sum(self.w, x, self.b)
        except TypeError:
            raise TypeError(_bad_input(printable(self.label), x, self.parameters())) from None
        activate = self._activate
        return z if activate is None else activate(z)

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def architecture(self) -> dict[str, object]:
        return {"class": "Neuron", "nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r}, label={self.label!r})"


def _bad_input(owner: str, x: Sequence[object], parameters: list[Value]) -> str:
    """The message for an input that is neither a number nor a Value, or for a parameter
    whose data was set to a number the engine cannot compute with (a `Decimal`)."""
    for i, xi in enumerate(x, start=1):
        if not isinstance(xi, (Value, Real)) or isinstance(xi, bool):
            return (
                f"{owner}: input {i} must be a number or a Value, got {type(xi).__name__}: {xi!r}"
            )
    for each in [*parameters, *(xi for xi in x if isinstance(xi, Value))]:
        if not is_number(each.data):
            return (
                f"{owner}: {printable(each.label) or 'an input Value'} holds "
                f"{type(each.data).__name__}: {_shown(each.data)}, which the engine cannot "
                f"compute with; set its data to a float (p.data = float(p.data))"
            )
    return f"{owner}: inputs must be numbers or Values"


class Layer(Module):
    """`nout` neurons that all read the same `nin` inputs.

    Keyword arguments go to every `Neuron` (`nonlin`, `activation`, `init`, `seed`). Calling a
    layer returns the list of its activations, or a bare `Value` when it has one neuron (as in
    micrograd). Its neurons are labelled `{label}.N1`, `{label}.N2`, ... `index` is the layer's
    number in its network (from 1; an `MLP` passes it), which its neurons' parameters record
    in their `position` (see `Neuron`).
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        label: str = "L1",
        seed: Seed = None,
        index: int = 1,
        **kwargs: object,
    ) -> None:
        nin, nout = _check_count("Layer: nin", nin), _check_count("Layer: nout", nout)
        index = _check_count("Layer: index", index)
        if not isinstance(label, str):
            raise TypeError(f"Layer: label must be a str, got {type(label).__name__}: {label!r}")
        if "activation" in kwargs:  # checked here too, so the message names the Layer
            _check_activation("Layer", kwargs["activation"])
        if kwargs.get("init", "uniform") not in INITS:
            raise ValueError(f"Layer: init must be one of {list(INITS)}, got {kwargs['init']!r}")
        rng = _generator(seed)
        self.nin, self.nout, self.label = nin, nout, label
        self.neurons = [
            Neuron(
                nin,
                seed=rng,
                label=f"{label}.N{j}",
                fan_out=nout,
                layer=index,
                index=j,
                **kwargs,  # type: ignore[arg-type]
            )
            for j in range(1, nout + 1)
        ]

    def __call__(self, x: Sequence[Value | float] | Value) -> Value | list[Value]:
        out = [neuron(x) for neuron in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def weights(self) -> tuple[list[list[float]], list[float]]:
        """The layer as the seeds write it: its weight matrix W (row j: neuron j's weights,
        `W[j][k]` from input k) and its bias vector b, as plain floats."""
        return [[w.data for w in n.w] for n in self.neurons], [n.b.data for n in self.neurons]

    def set_weights(self, W: Sequence[Sequence[float]], b: Sequence[float]) -> None:
        """Set every weight and bias from a matrix `W` (`nout` rows of `nin` numbers, as
        `weights()` gives it) and a vector `b` (`nout` numbers), all or none: the shapes and
        numbers are checked before any weight changes, and a Ctrl-C waits until all have."""
        assign = _checked_layer(self, W, b, self.label)
        with interrupts_deferred():
            for p, x in assign:
                p.data = x

    def architecture(self) -> dict[str, object]:
        return {
            "class": "Layer",
            "nin": self.nin,
            "nout": self.nout,
            "activations": [neuron.activation for neuron in self.neurons],
        }

    def __repr__(self) -> str:
        activations = sorted({neuron.activation for neuron in self.neurons})
        activation = activations[0] if len(activations) == 1 else activations
        return f"Layer({self.nin}, {self.nout}, activation={activation!r}, label={self.label!r})"


def _plain_layer(layer: object, where: str) -> Layer:
    if not isinstance(layer, Layer):
        raise TypeError(f"{where} is a {type(layer).__name__}, not a Layer: it has no matrix")
    return layer


def _checked_layer(layer: Layer, W: object, b: object, where: str) -> list[tuple[Value, float]]:
    """Each of the layer's parameters with its new number, after checking that `W` is
    `nout` rows of `nin` real numbers and `b` is `nout` of them; else an error naming where."""

    def numbers(row: object, size: int, name: str) -> list[float]:
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(f"{where}: {name} must be a list of {size} numbers, got {row!r}")
        if len(row) != size:
            raise ValueError(f"{where}: {name} has {len(row)} numbers; the layer needs {size}")
        checked = [as_float(x, f"{where}: {name}[{k}]") for k, x in enumerate(row)]
        for k, x in enumerate(checked):
            if not math.isfinite(x):
                raise ValueError(f"{where}: {name}[{k}] is {x!r}; a weight must be finite")
        return checked

    if isinstance(W, (str, bytes)) or not isinstance(W, Sequence):
        raise TypeError(f"{where}: W must be a list of {layer.nout} rows, got {W!r}")
    if len(W) != layer.nout:
        raise ValueError(f"{where}: W has {len(W)} rows; the layer has {layer.nout} neurons")
    rows = [numbers(row, layer.nin, f"W[{j}]") for j, row in enumerate(W)]
    biases = numbers(b, layer.nout, "b")
    return [
        pair
        for neuron, row, bias in zip(layer.neurons, rows, biases, strict=True)
        for pair in [*zip(neuron.w, row, strict=True), (neuron.b, bias)]
    ]


class MLP(Module):
    """A multi-layer perceptron: layers of sizes `nouts` on `nin` inputs, each feeding the next.

    Hidden layers use `activation`, the last layer `output_activation` (micrograd: ReLU, then
    linear). Layers are labelled L1, L2, ..., so a parameter's label says where it lives:
    `L2.N3.w1` is the weight from input 1 of layer 2 into its neuron 3; its `position`,
    `Position(2, 3, 1)`, says the same and stays when the label is changed (see `Neuron`).
    Calling the network returns the output activations, or a bare `Value` when the last layer
    has one neuron.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str = "relu",
        output_activation: str = "linear",
        init: str = "uniform",
        seed: Seed = None,
    ) -> None:
        nin = _check_count("MLP: nin", nin)
        if isinstance(nouts, (str, bytes, Mapping, Set)) or not isinstance(nouts, Iterable):
            raise TypeError(
                f"MLP: nouts must be a list of layer sizes, got {type(nouts).__name__}: {nouts!r}"
            )
        nouts = [_check_count("MLP: every layer size in nouts", n) for n in nouts]
        if not nouts:
            raise ValueError("MLP: nouts must be a non-empty list of layer sizes, got []")
        if init not in INITS:
            raise ValueError(f"MLP: init must be one of {list(INITS)}, got {init!r}")
        _check_activation("MLP", activation)
        _check_activation("MLP", output_activation)
        rng = _generator(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.nin, self.nouts = nin, list(nouts)
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                label=f"L{i + 1}",
                index=i + 1,
                seed=rng,
                activation=output_activation if i == last else activation,
                init=init,
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """Each layer's activations are the next layer's inputs, handed on as the layer gave
        them (a one-neuron layer's bare `Value` too, as micrograd does). Every entry of `layers`
        is called, so a layer of your own (anything callable with `parameters()`) can be
        appended or swapped in."""
        out: Sequence[Value | float] | Value = x
        for layer in self.layers:
            out = layer(out)
        return out  # type: ignore[return-value]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def weights(self) -> tuple[list[list[list[float]]], list[list[float]]]:
        """Every layer's weight matrix W_l and bias vector b_l, as `Layer.weights()` gives
        them: `Ws, bs = model.weights()`, `Ws[0][j][k]` the weight from input k into neuron j
        of layer 1."""
        pairs = [_plain_layer(layer, f"MLP.weights: layer {i}").weights()
                 for i, layer in enumerate(self.layers, start=1)]  # fmt: skip
        return [W for W, _ in pairs], [b for _, b in pairs]

    def set_weights(
        self, Ws: Sequence[Sequence[Sequence[float]]], bs: Sequence[Sequence[float]]
    ) -> None:
        """Set every layer's weights and biases in one call, from one matrix and one vector
        per layer (as `weights()` gives them; the seeds' W_l and b_l): all or none, checked
        before any weight changes."""
        where = "MLP.set_weights"
        for name, given in (("Ws", Ws), ("bs", bs)):
            if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
                raise TypeError(
                    f"{where}: {name} must be a list, one entry per layer, got {given!r}"
                )
            if len(given) != len(self.layers):
                raise ValueError(
                    f"{where}: {name} has {len(given)} entries for {len(self.layers)} layers"
                )
        assign = [
            pair
            for i, (layer, W, b) in enumerate(zip(self.layers, Ws, bs, strict=True), start=1)
            for pair in _checked_layer(_plain_layer(layer, f"{where}: layer {i}"), W, b, f"L{i}")
        ]
        with interrupts_deferred():
            for p, x in assign:
                p.data = x

    def architecture(self) -> dict[str, object]:
        return {
            "class": "MLP",
            "nin": self.nin,
            "nouts": self.nouts,
            "activations": [layer.neurons[0].activation for layer in self.layers],
        }

    def __repr__(self) -> str:
        activations = [
            layer.neurons[0].activation if isinstance(layer, Layer) else type(layer).__name__
            for layer in self.layers
        ]
        return f"MLP({self.nin}, {self.nouts}, activations={activations})"
