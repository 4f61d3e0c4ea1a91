// The backprop stepper: one front-end for the standalone page and the notebook widget.
//
// mountBackprop(el, data, options) renders everything inside `el` from `data`, the plain dict
// micrograd_like.page.backprop_data() makes (svg text, nodes, steps, legend, note). Every query
// and every key handler is scoped to `el`, so several steppers can share a document.
// options.documentKeys: the keys work anywhere in the document (the standalone page); otherwise
// only while `el` has the focus or the pointer is over it.
//
// The state is one number, `step`: 0 is the forward pass, k is "after backward step k". Each
// view (the graph, the table, the lines) is an object with show(state); a new view (a network
// picture, say) is one more entry in `views`.
"use strict";

function mountBackprop(el, data, options) {
  // an nn network opens on its network view (network.js), this scalar view one tab away
  if (data.network && typeof mountTabs === "function") return mountTabs(el, data, options || {});
  return mountScalar(el, data, options);
}

function mountScalar(el, data, options) {
  options = options || {};
  el.classList.add("backprop");
  el.tabIndex = 0;
  el.innerHTML = "";

  const make = (tag, className, parent, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  };

  const controls = make("div", "controls", el);
  const total = data.steps.length;
  const stepper = stepControls(el, controls, total, show, options, 900);
  const status = make("span", "status", controls);
  make("p", "note", el, data.note);

  const views = [graphView(make("div", "graph", el), data, make)];
  views.push(linesView(make("pre", "lines", el), data));
  const below = make("div", "below", el);
  views.push(tableView(make("div", "table-box", below), data, make));
  legendView(make("div", "legend", below), data, make);

  function state(step) {
    // The gradient each node has after `step` steps, and which are final: a node's gradient is
    // final once its own step has come (every node that uses it has passed its share back).
    const grads = {}, final = new Set();
    for (const record of data.steps.slice(0, step)) {
      grads[record.node] = record.upstream;
      final.add(record.node);
      for (const share of record.shares) grads[share.input] = share.grad;
    }
    return {step: step, total: total, grads: grads, final: final,
            current: step > 0 ? data.steps[step - 1] : null};
  }

  function show(step) {
    const now = state(step);
    status.textContent = now.current === null
      ? "Forward pass: values only (" + total + " backward steps to go)"
      : "Step " + step + " of " + total + ": " + now.current.name +
        (now.current.op ? " (" + now.current.op + ")" : " (a leaf)");
    for (const view of views) view.show(now);
  }

  show(0);
  return {go: stepper.go, state: () => state(stepper.step())};
}

// The step controls both views share (this one and network.js's): Start, Previous, Next, End
// and Play buttons in `controls`, and the keys: the arrows, Home, End and space. The keys work
// anywhere with options.documentKeys (the standalone page), otherwise while `el` has the focus
// or the pointer, never while typing in a field, while `el` is hidden (another tab), or while
// `inner()` says a view inside it takes them. go(k) shows step k: 0 is the forward pass.
function stepControls(el, controls, total, show, options, interval, inner) {
  const button = (className, text, title) => {
    const node = document.createElement("button");
    node.className = className;
    node.textContent = text;
    node.title = title;
    controls.appendChild(node);
    return node;
  };
  const buttons = {
    first: button("first", "\u00AB Start", "forward pass (Home)"),
    prev: button("prev", "\u25C0 Previous", "previous step (left arrow)"),
    next: button("next", "Next \u25B6", "next step (right arrow)"),
    last: button("last", "End \u00BB", "last step (End)"),
    play: button("play", "Play", "play / pause (space)"),
  };
  let step = 0, timer = null;

  function go(to) {
    step = Math.max(0, Math.min(total, to));
    show(step);
  }

  function togglePlay() {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
      buttons.play.textContent = "Play";
      return;
    }
    if (step === total) go(0);
    buttons.play.textContent = "Pause";
    timer = setInterval(() => {
      go(step + 1);
      if (step === total) togglePlay();
    }, interval);
  }

  buttons.first.addEventListener("click", () => go(0));
  buttons.prev.addEventListener("click", () => go(step - 1));
  buttons.next.addEventListener("click", () => go(step + 1));
  buttons.last.addEventListener("click", () => go(total));
  buttons.play.addEventListener("click", togglePlay);

  let hovered = false;
  el.addEventListener("mouseenter", () => { hovered = true; });
  el.addEventListener("mouseleave", () => { hovered = false; });
  const keys = {
    ArrowRight: () => go(step + 1),
    ArrowLeft: () => go(step - 1),
    Home: () => go(0),
    End: () => go(total),
    " ": togglePlay,
  };
  document.addEventListener("keydown", (event) => {
    const action = keys[event.key];
    if (!action || !el.isConnected || el.getClientRects().length === 0) return;  // hidden tab
    const typing = event.target.closest && event.target.closest("input, textarea, select");
    const ours = options.documentKeys || el.contains(document.activeElement) || hovered;
    if (typing || !ours || (inner && inner())) return;
    event.preventDefault();
    action();
  });
  return {go: go, step: () => step};
}

// The graph: the SVG Graphviz drew (ids from the Python view: box n4, op n4_op, edges n4_in0,
// n4_in1, n4_out), with each node's gradient written under its box as the steps make it.
function graphView(box, data, make) {
  if (data.svg === null) {  // too many nodes to lay out: say so, and how to draw it anyway
    make("p", "too-large", box, data.too_large);
    return {show() {}};
  }
  box.innerHTML = data.svg;
  const svg = box.querySelector("svg");
  const byId = (id) => svg.querySelector('[id="' + id + '"]');
  const SVG_NS = "http://www.w3.org/2000/svg";
  const room = 14;  // under the lowest box, for its gradient
  const viewBox = svg.viewBox.baseVal;
  viewBox.height += room;
  svg.setAttribute("height", (parseFloat(svg.getAttribute("height")) + room) + "pt");
  const texts = {};
  for (const node of data.nodes) {
    const shape = byId(node.id), bounds = shape.getBBox();
    const text = document.createElementNS(SVG_NS, "text");
    text.setAttribute("x", bounds.x + bounds.width / 2);
    text.setAttribute("y", bounds.y + bounds.height + 11);
    text.setAttribute("text-anchor", "middle");
    text.setAttribute("font-size", "10");
    text.setAttribute("class", "graph-grad");
    shape.appendChild(text);
    texts[node.id] = text;
  }
  const tools = typeof graphTools === "function" ? graphTools(box, svg, data, make) : null;
  return {
    show(now) {
      if (tools) tools.follow(now.current && now.current.node);
      for (const node of data.nodes) {
        const known = node.id in now.grads;
        const kind = now.final.has(node.id) ? "final" : "partial";
        texts[node.id].textContent = known ? "grad " + now.grads[node.id] : "";
        texts[node.id].setAttribute("class", "graph-grad" + (known ? " " + kind : ""));
      }
      for (const marked of svg.querySelectorAll(".current")) marked.classList.remove("current");
      if (now.current === null) return;
      const id = now.current.node;
      for (const part of [id, id + "_op", id + "_out"]) {
        const shape = byId(part);
        if (shape) shape.classList.add("current");
      }
      for (const share of now.current.shares) byId(share.edge).classList.add("current");
    },
  };
}

// The step's chain-rule lines.
function linesView(pre, data) {
  return {
    show(now) {
      pre.textContent = now.current !== null ? now.current.text
        : "Every node holds its value (data). Press Next or the right arrow to start the " +
          "backward pass at " + data.root + ", whose gradient d" + data.root + "/d" + data.root +
          " is 1.";
    },
  };
}

// The table: one row per node (name, op, role, data, grad); the current row stays in view.
function tableView(box, data, make) {
  const table = make("table", "", box);
  const head = make("tr", "", make("thead", "", table));
  for (const title of ["node", "op", "role", "data", "grad"]) make("th", "", head, title);
  const body = make("tbody", "", table);
  const rows = {}, grads = {};
  for (const node of data.nodes) {
    const row = make("tr", "", body);
    row.dataset.node = node.id;
    make("td", node.labelled ? "name" : "name unlabelled", row, node.name);
    make("td", "", row, node.op);
    make("td", "", row, node.role);
    make("td", "", row, node.data);
    const grad = make("td", "grad", row);
    grad.dataset.node = node.id;
    rows[node.id] = row;
    grads[node.id] = grad;
  }
  return {
    show(now) {
      for (const node of data.nodes) {
        const known = node.id in now.grads, cell = grads[node.id];
        cell.textContent = known ? now.grads[node.id] : "";
        cell.classList.toggle("final", known && now.final.has(node.id));
        cell.classList.toggle("partial", known && !now.final.has(node.id));
        rows[node.id].classList.toggle("current", now.current !== null &&
                                       now.current.node === node.id);
      }
      if (now.current !== null) {
        rows[now.current.node].scrollIntoView({block: "nearest", inline: "nearest"});
      }
    },
  };
}

// The key: what the colours and styles mean.
function legendView(box, data, make) {
  make("strong", "", box, "Key");
  const list = make("ul", "", box);
  const item = (swatchClass, style, words) => {
    const li = make("li", "", list);
    const swatch = make("span", "swatch " + swatchClass, li);
    if (style) swatch.style.background = style;
    li.appendChild(document.createTextNode(words));
    return li;
  };
  for (const role of data.legend.roles) {
    item(role.dashed ? "dashed" : "", role.fill, role.words);
  }
  item("", data.legend.op_fill, "op (the inputs of - / ** are marked a, b or base, exp)");
  item("current", "", "the current step: the node, its op and the edges to its inputs");
  const partial = make("li", "", list);
  make("span", "partial", partial, "grad 0.1");
  partial.appendChild(document.createTextNode(
    " partial gradient: some node that uses this one has not passed its share back yet"));
  const final = make("li", "", list);
  make("span", "final", final, "grad 0.1");
  final.appendChild(document.createTextNode(
    " final gradient: every share has arrived (the node's own step has come)"));
}
