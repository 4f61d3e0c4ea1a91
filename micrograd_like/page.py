"""The backward pass as an interactive page: one self-contained HTML file (inline SVG, CSS and
script; nothing fetched from the network) that steps through the chain rule node by node."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from string import Template

from micrograd_like._io import atomic_write_text
from micrograd_like.debug import backward_steps, node_names
from micrograd_like.engine import Value, _fmt
from micrograd_like.viz import draw_dot, render_bytes


def save_backprop_html(
    root: Value, path: str | os.PathLike[str], *, title: str = "Backpropagation, step by step"
) -> Path:
    """Write a page that replays the backward pass of `root` and return its path.

    The page opens on the forward pass (every node's value, no gradients yet); Next / Previous,
    the arrow keys and Play then walk the backward pass one node at a time: the current node and
    the edges to its inputs are highlighted, gradients appear as they are computed (italic while
    partial, bold once final) in the graph and in the table, and the step's chain-rule lines are
    shown under the graph.

    It runs `root`'s backward pass to record the steps (as `backward()` would: leaf grads
    accumulate, so zero them first for a fresh page). The file is written atomically.
    """
    order = root.topological_order()
    ids = {node: f"v{i}" for i, node in enumerate(order)}  # the renderer's node ids
    names = node_names(order)
    svg = render_bytes(draw_dot(root, show_grad=False), "svg").decode("utf-8")
    steps = [
        {
            "node": ids[step.node],
            "name": step.name,
            "op": step.node.op,
            "upstream": _fmt(step.upstream),
            "shares": [
                {"input": ids[share.input], "grad_after": _fmt(share.grad_after)}
                for share in step.shares
            ],
            "text": str(step),
        }
        for step in backward_steps(root)
    ]
    nodes = [
        {"id": ids[node], "name": names[node], "op": node.op, "data": _fmt(node.data)}
        for node in order
    ]
    data = {"root": names[root], "nodes": nodes, "steps": steps}
    # "<" written as a JSON escape, so no "</script>" in a label can end the data block early
    payload = json.dumps(data).replace("<", "\\u003c")
    page = _TEMPLATE.substitute(
        title=html.escape(title), svg=svg[svg.index("<svg") :], data=payload
    )
    return atomic_write_text(path, page)


_TEMPLATE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>$title</title>
<style>
  body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #111827; }
  #controls { display: flex; gap: 0.5em; align-items: center; margin-bottom: 0.8em; }
  button { font-size: 1em; padding: 0.3em 0.9em; }
  #status { margin-left: 1em; font-weight: bold; }
  #graph { overflow: auto; border: 1px solid #e5e7eb; padding: 0.5em; }
  #graph svg { max-width: 100%; height: auto; }
  #lines { background: #f9fafb; border-left: 4px solid #dc2626; padding: 0.6em 1em;
           font-size: 1.05em; min-height: 2.5em; white-space: pre-wrap; }
  table { border-collapse: collapse; margin-top: 1em; }
  td, th { border: 1px solid #d1d5db; padding: 0.2em 0.7em; text-align: left; }
  td.grad, .graph-grad { font-family: monospace; }
  .partial { font-style: italic; color: #b45309; fill: #b45309; }
  .final { font-weight: bold; color: #047857; fill: #047857; }
  tr.current { background: #fee2e2; }
  g.current > polygon, g.current > ellipse { stroke: #dc2626; stroke-width: 3px; }
  g.edge.current > path { stroke: #dc2626; stroke-width: 2.5px; }
  g.edge.current > polygon { stroke: #dc2626; fill: #dc2626; }
</style>
</head>
<body>
<h1>$title</h1>
<div id="controls">
  <button id="prev" title="previous step (left arrow)">&#9664; Previous</button>
  <button id="next" title="next step (right arrow)">Next &#9654;</button>
  <button id="play" title="play / pause (space)">Play</button>
  <span id="status"></span>
</div>
<div id="graph">$svg</div>
<pre id="lines"></pre>
<table>
  <thead><tr><th>node</th><th>name</th><th>op</th><th>data</th><th>grad</th></tr></thead>
  <tbody id="nodes"></tbody>
</table>
<script type="application/json" id="backprop-data">$data</script>
<script>
"use strict";
const DATA = JSON.parse(document.getElementById("backprop-data").textContent);
const SVG_NS = "http://www.w3.org/2000/svg";
const svg = document.querySelector("#graph svg");
const shapes = {};  // renderer id (v3, v3_op) -> its <g>
for (const g of svg.querySelectorAll("g.node")) shapes[g.id] = g;
const edges = {};  // "v1->v3_op" -> its <g>s (two for a * a)
for (const g of svg.querySelectorAll("g.edge")) {
  const name = g.querySelector("title").textContent;
  edges[name] = (edges[name] || []).concat([g]);
}

// Room under the lowest node for the gradient written beneath every node.
const box = svg.viewBox.baseVal;
box.height += 14;
svg.setAttribute("height", (parseFloat(svg.getAttribute("height")) + 14) + "pt");

const gradInGraph = {}, gradInTable = {}, rows = {};
const tbody = document.getElementById("nodes");
for (const node of DATA.nodes) {
  const shape = shapes[node.id], bounds = shape.getBBox();
  const text = document.createElementNS(SVG_NS, "text");
  text.setAttribute("x", bounds.x + bounds.width / 2);
  text.setAttribute("y", bounds.y + bounds.height + 11);
  text.setAttribute("text-anchor", "middle");
  text.setAttribute("font-size", "10");
  text.setAttribute("class", "graph-grad");
  shape.appendChild(text);
  gradInGraph[node.id] = text;
  const row = tbody.insertRow();
  for (const cell of [node.id, node.name, node.op, node.data]) row.insertCell().textContent = cell;
  const grad = row.insertCell();
  grad.className = "grad";
  grad.dataset.node = node.id;
  gradInTable[node.id] = grad;
  rows[node.id] = row;
}

let view = 0;  // 0: the forward pass; k: after backward step k
let timer = null;

function show() {
  const grads = {}, final = new Set();
  for (const step of DATA.steps.slice(0, view)) {
    grads[step.node] = step.upstream;  // complete once the node's own step comes
    final.add(step.node);
    for (const share of step.shares) grads[share.input] = share.grad_after;
  }
  for (const node of DATA.nodes) {
    const known = node.id in grads, state = final.has(node.id) ? "final" : "partial";
    gradInTable[node.id].textContent = known ? grads[node.id] : "";
    gradInTable[node.id].classList.toggle("final", known && state === "final");
    gradInTable[node.id].classList.toggle("partial", known && state === "partial");
    gradInGraph[node.id].textContent = known ? "grad " + grads[node.id] : "";
    gradInGraph[node.id].setAttribute("class", "graph-grad" + (known ? " " + state : ""));
  }
  for (const marked of document.querySelectorAll(".current")) marked.classList.remove("current");
  const status = document.getElementById("status"), lines = document.getElementById("lines");
  const total = DATA.steps.length;
  if (view === 0) {
    status.textContent = "Forward pass: values only (" + total + " backward steps to go)";
    lines.textContent = "Every node holds its value (data). Press Next or the right arrow to " +
      "start the backward pass at " + DATA.root + ", whose gradient d" + DATA.root + "/d" +
      DATA.root + " is 1.";
    return;
  }
  const step = DATA.steps[view - 1];
  status.textContent = "Step " + view + " of " + total + ": " + step.name +
    (step.op ? " (" + step.op + ")" : " (a leaf)");
  lines.textContent = step.text;
  for (const id of [step.node, step.node + "_op"]) {
    if (shapes[id]) shapes[id].classList.add("current");
  }
  for (const share of step.shares) {
    for (const edge of edges[share.input + "->" + step.node + "_op"] || []) {
      edge.classList.add("current");
    }
  }
  rows[step.node].classList.add("current");
}

function go(to) {
  view = Math.max(0, Math.min(DATA.steps.length, to));
  show();
}

function togglePlay() {
  const button = document.getElementById("play");
  if (timer !== null) {
    clearInterval(timer);
    timer = null;
    button.textContent = "Play";
    return;
  }
  if (view === DATA.steps.length) go(0);
  button.textContent = "Pause";
  timer = setInterval(() => {
    go(view + 1);
    if (view === DATA.steps.length) togglePlay();
  }, 900);
}

document.getElementById("next").addEventListener("click", () => go(view + 1));
document.getElementById("prev").addEventListener("click", () => go(view - 1));
document.getElementById("play").addEventListener("click", togglePlay);
document.addEventListener("keydown", (event) => {
  if (event.key === "ArrowRight") go(view + 1);
  else if (event.key === "ArrowLeft") go(view - 1);
  else if (event.key === " ") { event.preventDefault(); togglePlay(); }
});
show();
</script>
</body>
</html>
""")
