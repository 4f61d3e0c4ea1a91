"""`pickle`, `copy.copy` and `copy.deepcopy` of a node, without recursion.

Left to themselves, pickle and deepcopy follow a node's inputs by recursion, one level per op,
so a chain of a few thousand ops exhausts the stack. Here the graph goes in one loop instead,
in topological order (inputs first, as `backward()` takes it in reverse), so any depth works:

- pickle: a leaf (an input, a weight, a constant) is written as itself, so a weight shared by
  two graphs pickled together is one weight again when they are loaded; an op node is written
  as a table of its whole graph, rebuilt in one loop (`rebuilt`). So an op node below two
  nodes pickled together (a hidden activation and the cost, say) comes back twice, once in
  each graph: pickle the one root you need, or deepcopy, which keeps every node shared.
- deepcopy: the nodes the memo has not seen, inputs first; every node shared stays shared.
- copy.copy: a new node with the same inputs (the graph below is not copied).

A node's grad, label and own attributes come along; its search mark does not.
"""

from __future__ import annotations

import copy
from typing import Any

from micrograd_like import modes

_new = object.__new__


def reduced(node: Any, protocol: object = None) -> tuple[Any, ...]:
    """A node's `__reduce_ex__`: how pickle writes it, leaf or op node, without recursion."""
    if node.input1 is None:
        return (leaf, (type(node), node.data, node.grad, node.__dict__ or None))
    order = node.topological_order()
    index = {id(each): i for i, each in enumerate(order)}
    table: list[Any] = []
    for each in order:
        if each.input1 is None:
            table.append(each)  # pickled as itself: shared with any other graph of the pickle
        else:
            input2 = -1 if each.input2 is None else index[id(each.input2)]
            table.append(
                (each.data, each.grad, each._op, index[id(each.input1)], each.local1, input2,
                 each.local2, each.__dict__ or None)
            )  # fmt: skip
    return (rebuilt, (type(node), table))


def leaf(cls: type, data: float, grad: float, attributes: dict[str, Any] | None) -> Any:
    """A leaf again, from what `reduced` wrote."""
    node = _filled(cls, data, grad, "")
    if attributes:
        node.__dict__.update(attributes)
    return node


def rebuilt(cls: type, table: list[Any]) -> Any:
    """An op node's graph again, from its table (inputs before the nodes that use them)."""
    nodes: list[Any] = []
    for row in table:
        if not isinstance(row, tuple):  # a leaf, already itself
            nodes.append(row)
            continue
        data, grad, op, input1, local1, input2, local2, attributes = row
        node = _filled(cls, data, grad, op)
        node.input1, node.local1 = nodes[input1], local1
        if input2 >= 0:
            node.input2, node.local2 = nodes[input2], local2
        if attributes:
            node.__dict__.update(attributes)
        nodes.append(node)
    return nodes[-1]


def shallow(node: Any) -> Any:
    """A node's `__copy__`: the same numbers and inputs, its own attributes dict."""
    twin = _filled(type(node), node.data, node.grad, node._op)
    twin.input1, twin.local1, twin.input2, twin.local2 = (
        node.input1, node.local1, node.input2, node.local2
    )  # fmt: skip
    twin.__dict__.update(node.__dict__)
    return twin


def deep(node: Any, memo: dict[int, Any]) -> Any:
    """A node's `__deepcopy__`: every node of its graph that `memo` has not copied yet, inputs
    first, each input taken from `memo`, so that what was shared stays shared."""
    for each in modes.order_with_a_set(node, skip=memo):
        if id(each) in memo:  # copied meanwhile, as part of an attribute's own graph
            continue
        twin = _filled(type(each), each.data, each.grad, each._op)
        memo[id(each)] = twin
        if each.input1 is not None:
            twin.input1, twin.local1 = memo[id(each.input1)], each.local1
            if each.input2 is not None:
                twin.input2, twin.local2 = memo[id(each.input2)], each.local2
        twin.__dict__.update(copy.deepcopy(each.__dict__, memo))
        memo.setdefault(id(memo), []).append(each)  # kept alive, as copy.deepcopy does: an id
        # in memo must not be reused by a new object while the memo lives
    return memo[id(node)]


def _filled(cls: type, data: float, grad: float, op: str) -> Any:
    """A node of class `cls` with every slot set, no inputs yet."""
    node: Any = _new(cls)
    node.data, node.grad, node._op = data, grad, op
    node.input1 = node.input2 = None
    node.local1 = node.local2 = 0.0
    node.mark = None
    return node
