"""A built graph, recorded once and replayed in place: a training step without building the
graph again.

A `Tape` keeps the graph's topological order and, per node, the op that remakes it, from the
registry of ops (`engine.OPS`). A replay recomputes every value and local derivative from the
leaves' current data and runs the backward pass, writing into the same `Value` objects, so every
reader works on a replayed graph. It gives the numbers of a fresh forward and backward pass, bit
for bit. Most nodes of a network are + and * (and relu): those are recomputed here without a
call, and a neuron's sum b + w1*x1 + ... is one step, forward and backward.
"""

from __future__ import annotations

import reprlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from micrograd_like import floats, modes
from micrograd_like.engine import OPS, Value, entry


class Tape:
    """A built graph, recorded once, then recomputed in place as often as you like.

    `Tape(cost)` flattens the graph behind `cost` (its topological order and, per node, how to
    recompute it). `tape.replay()` then recomputes every node's value and local derivatives from
    the leaves' current data, along the recorded ops, and runs the backward pass: `.data`,
    `.grad` and `local_grads` are written into the same Value objects, so every reader
    (drawings, steps, the page) works on a replayed graph. It skips the topological sort,
    makes no nodes of the graph again (only a scratch node for each op other than +, * and
    relu, which it recomputes by calling the op) and takes a neuron's sum b + w1*x1 + ... in one
    step, which makes a training step several times faster than building the graph again.

    The numbers are those of a fresh forward and backward of the same expression, bit for bit
    (each op runs the same arithmetic, and every gradient is summed in the same order), an
    out-of-domain value or a NaN gradient raises the same error (with several, the one named
    may differ), and leaf grads accumulate as with `backward()`. A replay that raises is all or
    nothing for the leaves: every leaf grad is left as it was before it (the other nodes stop
    half-way), so fix the data and replay again. Data-dependent ops such as `relu` pick their
    branch again on every replay. The limit: the graph's *shape* must not depend on the data
    (a Python `if` on a value, `max(values)`): such a graph must be built again.

    Ops made with `Value.from_op` need a rule: `Tape(cost, rules={"my_op": my_op})`, the
    function that made the node. Each rule is called once on the recorded inputs when the Tape
    is made, and its result checked on every call: a new node of that op with those inputs, or
    an error naming the op.

    Replays, `forward()` and `check()` hold `modes.one_pass`, as `backward()` does: one Tape
    replayed from several threads, or replayed while another thread backpropagates the same
    graph, runs its passes one at a time and leaves the grads of the same passes run in turn.
    """

    def __init__(
        self, root: Value, *, rules: dict[str, Callable[..., Value]] | None = None
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"Tape: root must be a Value, got {type(root).__name__}: {root!r}")
        extra = _checked_rules(rules)
        self.root = root
        self.order = root.topological_order()
        self._leaves = [node for node in self.order if node.input1 is None]
        self._rules: dict[str, Callable[..., Value]] = {}  # op -> the eager op that remakes it
        self._own: set[str] = set()  # the ops of `rules`, whose results are checked on each call
        for node in self.order:
            op = node._op
            if node.input1 is None or op in self._rules:
                continue
            found = extra.get(op) or _replay_rule(op)
            if found is None:
                raise ValueError(
                    f"Tape: cannot replay the op {op!r} of {node!r}: it was made with "
                    f"Value.from_op; pass the function that makes it: "
                    f"Tape(root, rules={{{op!r}: your_function}})"
                )
            self._rules[op] = found
            if op in extra:
                self._own.add(op)
                self._try_rule(node)
        self._plan = self._make_plan(_sums_of_products(self.order))

    def _try_rule(self, node: Value) -> None:
        """Call the rule of `node`'s op once on the recorded inputs, so that a rule that does
        not remake the node is refused here, not half-way through a replay. The call makes a
        scratch node, shown to no forward hook. Inside no_grad(), where any rule makes a leaf,
        the first replay (outside it) checks the rule instead."""
        if not modes.is_grad_enabled():
            return
        op, rule, a, b = node._op, self._rules[node._op], node.input1, node.input2
        with modes.block(quiet=True):
            try:
                fresh = rule(a) if b is None else rule(a, b)
            except Exception as error:
                raise ValueError(
                    f"Tape: the rule for {op!r} fails on the recorded inputs of {node!r}: "
                    f"{type(error).__name__}: {error}"
                ) from error
        _check_remade(node, fresh)
        if any(fresh is each for each in self.order):
            raise ValueError(
                f"Tape: the rule for {op!r} returned {fresh!r}, a node of the recorded graph; "
                "a rule makes a new node on each call (give the function that made the node)"
            )

    def _make_plan(self, chains: dict[Value, _Chain]) -> list[_Step]:
        """One step per op node, in order: (node, kind, input1, input2, rule); + * relu, nearly
        every node of a network, are written out in forward(), the rest call their op. A chain
        of sums of products takes one step, where its last sum stands in the order."""
        plan: list[_Step] = []
        for node in self.order:
            if node.input1 is None:
                continue
            chain = chains.get(node)
            if chain is None or not chain.whole:
                kind = _OWN if node._op in self._own else _FAST_KINDS.get(node._op, _CALL)
                plan.append((node, kind, node.input1, node.input2, self._rules[node._op]))
            elif node is chain.links[-1][3]:
                plan.append((node, _CHAIN, chain.start, None, tuple(chain.links)))
        return plan

    def __len__(self) -> int:
        """The number of nodes recorded."""
        return len(self.order)

    @property
    def steps(self) -> int:
        """How many steps a replay takes: one per op node, but one for each chain of sums of
        products (a neuron's b + w1*x1 + w2*x2 + ...), forward and backward."""
        return len(self._plan)

    def forward(self) -> None:
        """Recompute every node's value and local derivatives from the leaves' data, and set
        the grads of the recomputed nodes to 0 (they belonged to the old values); leaf grads
        are left as they are, to accumulate.

        A stepping pass paused over this graph is stopped (its next step raises
        `BackwardConflict`), as another backward pass would stop it. Forward hooks installed
        with `hooks()` see each recomputed node, in order, as if it were made again. It runs
        alone (`modes.one_pass`): no backward pass of another thread sees values half-made.
        """
        if not modes.is_grad_enabled():
            raise RuntimeError(
                "Tape: replaying inside no_grad() would give local derivatives that do not "
                "exist the value 0; replay outside the no_grad() block"
            )
        with modes.one_pass:  # a pass of another thread never sees the values half-made
            self._forward()

    def _forward(self) -> None:
        if modes.paused:
            modes.interrupt_paused(self.order)
        watching = modes.forward_hooks()
        if not watching:
            self._recompute()
            return
        with modes.block(quiet=True):  # the ops called below make scratch nodes, not the graph's
            for node in self.order:  # node by node, each op by its own code, for the hooks
                if node.input1 is not None:
                    fresh = self._made_again(node)
                    node.data, node.local1 = fresh.data, fresh.local1
                    if node.input2 is not None:
                        node.local2 = fresh.local2
                    node.grad = 0.0
                    modes.show(node, watching)

    def _made_again(self, node: Value) -> Value:
        """A scratch node: the node's op called on its inputs, as the eager code makes it."""
        rule, a, b = self._rules[node._op], node.input1, node.input2
        fresh = rule(a) if b is None else rule(a, b)
        if node._op in self._own:
            _check_remade(node, fresh)
        return fresh

    def _recompute(self) -> None:
        for node, kind, a, b, rule in self._plan:
            node.grad = 0.0  # it belonged to the old values; backward() adds into it afresh
            if kind == _CHAIN:  # a sum of products: start + w1*x1 + w2*x2 + ...
                total = a.data
                for term, w, x, partial in rule:
                    p = w.data
                    q = x.data
                    product = p * q
                    total = total + product
                    if total != total:  # NaN: the eager ops raise their errors
                        _raise_nan_error(partial.input1, w, x)
                    term.data = product
                    term.local1 = q  # ∂(w*x)/∂w = x, ∂(w*x)/∂x = w
                    term.local2 = p
                    term.grad = 0.0
                    partial.data = total
                    partial.grad = 0.0
            elif kind == _MUL:  # ∂(a*b)/∂a = b, ∂(a*b)/∂b = a
                x = a.data
                y = b.data
                out = x * y
                if out != out:
                    rule(a, b)  # the op's own error: inf * 0
                node.data = out
                node.local1 = y
                node.local2 = x
            elif kind == _ADD:  # the local derivatives stay 1, 1
                out = a.data + b.data
                if out != out:
                    rule(a, b)
                node.data = out
            elif kind == _RELU:  # the branch is chosen again: the step function of a
                x = a.data
                if x > 0:
                    node.data = x
                    node.local1 = 1.0
                else:
                    if x != x:
                        rule(a)
                    node.data = 0.0
                    node.local1 = 0.0
            elif kind == _OWN:  # a rule of rules=: what it returns is checked first
                fresh = rule(a) if b is None else rule(a, b)
                _check_remade(node, fresh)
                node.data = fresh.data
                node.local1 = fresh.local1
                if b is not None:
                    node.local2 = fresh.local2
            elif b is None:
                fresh = rule(a)
                node.data = fresh.data
                node.local1 = fresh.local1
            else:
                fresh = rule(a, b)
                node.data = fresh.data
                node.local1 = fresh.local1
                node.local2 = fresh.local2

    def replay(self, *, check: bool = False) -> None:
        """Forward along the recorded ops, then backward from the root, in place.

        All or nothing for the leaves: a replay that raises (an out-of-domain value, a NaN
        gradient) leaves every leaf's grad as it was before it, so fixing the data and
        replaying again gives the grads a fresh graph would add. Replays and backward passes
        run one at a time (`modes.one_pass`), whichever threads start them: one Tape replayed
        from several threads leaves the grads of the same replays run one after another.

        `check=True` also recomputes every node with the eager op code, one node at a time,
        and raises `ReplayMismatch` naming the first node whose value or local derivatives
        differ (slow; for tests and for doubt).
        """
        with modes.one_pass:  # another pass never sees this one's values or grads half-made
            self.forward()
            if check:
                self.check()
            leaves = self._leaves
            before = [leaf.grad for leaf in leaves]
            try:
                self._backward()
            except BaseException:  # the error is made: give the leaves their grads back
                for leaf, grad in zip(leaves, before, strict=True):
                    leaf.grad = grad
                raise

    def _backward(self) -> None:
        root = self.root
        if modes.backward_hooks():  # backward() shows them every node, in the same order
            root.backward()
            return
        modes.before_pass(self.order)  # as backward() does: warn_accumulate()'s check
        # backward()'s chain rule, written per op as forward() is: forward() has set every
        # non-leaf grad to 0, and a sum passes its upstream gradient on unchanged (∂ = 1, 1)
        root.grad = 1.0
        for node, kind, a, b, rule in reversed(self._plan):
            upstream = node.grad  # d root / d node, complete: every node that uses it is done
            if upstream != upstream:
                raise _first_nan_error(node, self.order)
            if kind == _CHAIN:
                # every sum and product inside gets the last sum's gradient (∂ of a sum is 1;
                # eager adds it to 0.0, which changes no bit: a grad summed from 0.0 is never
                # -0.0), and its shares go out in the order the eager loop reaches them: the
                # start's, then the products' from the first to the last (_sums_of_products)
                a.grad += upstream
                for term, w, x, partial in rule:
                    partial.grad = term.grad = upstream
                    w.grad += term.local1 * upstream
                    x.grad += term.local2 * upstream
            elif kind == _ADD:
                a.grad += upstream
                b.grad += upstream
            else:
                a.grad += node.local1 * upstream
                if b is not None:
                    b.grad += node.local2 * upstream
        for leaf in self._leaves:  # the loop above checked every other node
            if leaf.grad != leaf.grad:
                raise _first_nan_error(leaf, self.order)

    def check(self) -> None:
        """Compare every node with what the eager op makes from the same inputs, bit for bit
        (alone, as a replay runs: no pass of another thread changes the values meanwhile)."""
        with modes.one_pass, modes.block(quiet=True):  # scratch nodes, shown to no hook
            self._check()

    def _check(self) -> None:
        for node in self.order:
            if node.input1 is None:
                continue
            fresh = self._made_again(node)
            if (fresh.data, fresh.local_grads) != (node.data, node.local_grads):
                raise ReplayMismatch(
                    f"Tape.check: {node!r} replayed to data {node.data!r} with local "
                    f"derivatives {node.local_grads!r}, but {node.op} of its inputs gives "
                    f"{fresh.data!r} and {fresh.local_grads!r}"
                )


def _checked_rules(rules: object) -> dict[str, Callable[..., Value]]:
    """`Tape(rules=...)` as given, checked: a dict from the name of an op made with
    `Value.from_op` to the function that makes its nodes."""
    if rules is None:
        return {}
    if not isinstance(rules, Mapping):
        raise TypeError(
            "Tape: rules must be a dict from an op's name to the function that makes its "
            f"nodes, as rules={{'cube': cube}}; got {type(rules).__name__}: {reprlib.repr(rules)}"
        )
    for op, rule in rules.items():
        if not isinstance(op, str):
            raise TypeError(
                f"Tape: rules: each key must be an op's name (a str), got "
                f"{type(op).__name__}: {reprlib.repr(op)}"
            )
        known = OPS.get(op)
        if op.startswith("**") or (known is not None and known.method is not None):
            raise ValueError(
                f"Tape: {op!r} is a built-in op (a method of Value makes it, and the Tape "
                "replays that method); rules= is for ops made with Value.from_op"
            )
        if not callable(rule):
            raise TypeError(
                f"Tape: the rule for {op!r} must be a function, got {reprlib.repr(rule)}"
            )
    return dict(rules)


def _check_remade(node: Value, fresh: object) -> None:
    """A rule's result must be what the op makes from the node's inputs: a new node of that
    op with those inputs (the replay copies its value and local derivatives into `node`)."""
    op = node._op
    if not isinstance(fresh, Value):
        raise TypeError(
            f"Tape: the rule for {op!r} must return the node it makes (a Value), got "
            f"{type(fresh).__name__}: {reprlib.repr(fresh)}"
        )
    same_inputs = fresh.input1 is node.input1 and fresh.input2 is node.input2
    if fresh is node or fresh._op != op or not same_inputs:
        raise ValueError(
            f"Tape: the rule for {op!r} must make a new {op!r} node of the inputs it is given "
            f"(with Value.from_op), as the function that made {node!r} did; it returned "
            f"{fresh!r}"
            + ("" if fresh is not node else ", the recorded node itself")
            + ("" if same_inputs else ", whose inputs are not the ones it was given")
        )


class _Chain:
    """start + w1*x1 + w2*x2 + ... + wn*xn as micrograd builds it, ((start + t1) + t2) + ...,
    where every product t_k and every partial sum but the last is used by the next sum only."""

    __slots__ = ("start", "links", "first", "end", "whole")

    def __init__(self, start: Value, first: int) -> None:
        self.start = start
        self.links: list[tuple[Value, Value, Value, Value]] = []  # (t_k, w_k, x_k, sum_k)
        self.first = first  # where its first node stands in the order
        self.end = first  # where its last sum stands
        self.whole = False  # replayed as one step

    def reads(self) -> dict[Value, int]:
        """How many times the chain reads each node it adds a gradient into."""
        count = {self.start: 1}
        for _, w, x, _ in self.links:
            count[w] = count.get(w, 0) + 1
            count[x] = count.get(x, 0) + 1
        return count


def _sums_of_products(order: list[Value]) -> dict[Value, _Chain]:
    """The chains of sums of products in a graph, by each of their nodes; a Tape replays the
    `whole` ones as one step each.

    One step does a chain's forward where its last sum stands in the order, and its backward
    there too: the start's share, then the products' from the first to the last, which is the
    order the eager loop reaches them in (the depth-first order puts a chain's products before
    its sums, the last product first). Other nodes may stand between them in the order (an
    input's own graph, met first there); a chain is whole only if none of those reads a node
    the chain reads, that is adds into a gradient the chain adds into, so that every gradient
    is the same sum, in the same order, bit for bit.
    """
    uses: dict[Value, int] = {}
    for node in order:
        for each in (node.input1, node.input2):
            if each is not None:
                uses[each] = uses.get(each, 0) + 1
    chain_of: dict[Value, _Chain] = {}
    product_at: dict[Value, int] = {}  # where each product used once stands
    for position, node in enumerate(order):
        term, before = node.input2, node.input1
        if node._op == "*" and uses.get(node) == 1:
            product_at[node] = position
        if node._op != "+" or term is None or term not in product_at:
            continue
        assert before is not None and term.input1 is not None and term.input2 is not None
        chain = chain_of.get(before) if uses[before] == 1 else None
        if chain is None or chain.links[-1][3] is not before:
            chain = _Chain(before, product_at[term])
        chain.links.append((term, term.input1, term.input2, node))
        chain.first = min(chain.first, product_at[term])
        chain.end = position
        chain_of[term] = chain_of[node] = chain
    chains = [chain for chain in set(chain_of.values()) if len(chain.links) > 1]
    # where each node a chain reads is read, in order: a chain is whole if, between its first
    # node and its last sum, it is read by the chain alone
    read_at: dict[Value, list[int]] = {node: [] for chain in chains for node in chain.reads()}
    for position, node in enumerate(order):
        for each in (node.input1, node.input2):
            found = read_at.get(each)  # type: ignore[arg-type]
            if found is not None:
                found.append(position)
    for chain in chains:
        chain.whole = all(
            bisect_right(read_at[node], chain.end) - bisect_left(read_at[node], chain.first)
            == count
            for node, count in chain.reads().items()
        )
    return chain_of


def _raise_nan_error(before: Value, w: Value, x: Value) -> NoReturn:
    """The error of before + w*x that came out NaN: the product's (inf * 0) or the sum's."""
    before + w * x
    raise AssertionError(f"Tape: {before!r} + {w!r} * {x!r} is NaN, yet no op refused it")


# (node, kind, input1, input2, rule), or for a chain (last sum, _CHAIN, start, None, links)
_Step = tuple[Value, int, Any, Any, Any]


class ReplayMismatch(AssertionError):
    """A replayed node differs from the eager op on the same inputs."""


_ADD, _MUL, _RELU, _CALL, _CHAIN, _OWN = 0, 1, 2, 3, 4, 5  # _OWN: a rule of rules=, checked
_FAST_KINDS = {"+": _ADD, "*": _MUL, "relu": _RELU}  # written out in _recompute; the rest call


def _replay_rule(op: str) -> Callable[..., Value] | None:
    """The method that makes the op, from the registry of ops (for a number power, with its
    exponent); None for an op made with Value.from_op."""
    method = entry(op).method
    if method is None or op == "**" or not op.startswith("**"):
        return method
    exponent = float(op[2:])
    return lambda base: base**exponent


def _first_nan_error(found: Value, order: list[Value]) -> ArithmeticError:
    """The error of the node eager's loop stops at: the first, from the root down, whose grad
    is NaN. `found` is NaN, and every node after it in the order holds its final grad."""
    lowest = order.index(found)
    first = next(node for node in reversed(order[lowest:]) if node.grad != node.grad)
    return floats.nan_gradient(first, order)
