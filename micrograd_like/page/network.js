// The network view, for a graph nn built (data.network, from micrograd_like.network's
// network_data): layers of neurons, stepped one neuron at a time from the output layer back, each
// step showing the seeds' formulas with the engine's numbers:
//   δ_L = dC/da_L ⊙ f'(z_L),  δ_i = (W_{i+1}^T δ_{i+1}) ⊙ f'(z_i),  dC/dW_i = δ_i x_{i−1}^T,
// C written as the cost's own name (the root's label): every dC/d... is a gradient of the cost,
// and ∂ is kept for an op's local derivative, as in the scalar view's lines.
// Clicking a neuron shows its own scalar graph (the neuron's nodes only); clicking a weight
// shows explain() for it.
//
// Nothing shows a neuron's gradients before its step: not its box, not its header when it is
// clicked (δ), not a weight's chain rule (explain() without its numbers until then: the paths
// and the formulas of their local derivatives), not the neuron's own graph, whose backward
// steps open at the neuron's step and whose inputs (the activations of the layer below) show
// their gradients only from their own neuron's step on. With the quiz on (page.js's quizView),
// each step first asks for the gradients its lines give (dC/da of a hidden neuron, δ, dC/dw),
// and its step counts as come once they are answered.
//
// mountTabs(el, data, options) puts it in two tabs: the network, opened first, and the scalar
// graph of every node (page.js's mountScalar), mounted the first time it is shown. Both ask
// their questions when the mount's Quiz (options.quiz) is on.
//
// Formulas are typeset as in the scalar view (page.js's writeLines, typeset): a step's lines,
// and a clicked weight's explain() as one aligned display of the lines it may show by then.

import {SVG_NS, make, mountScalar, printEvery, quizView, stepControls, typeset, writeLines} from "./page.js";

function svgMake(tag, attributes, parent, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const key in attributes) node.setAttribute(key, attributes[key]);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

export function mountTabs(el, data, options) {
  el.classList.add("backprop");
  el.innerHTML = "";
  const bar = make("div", "tabs", el);
  const network = make("button", "tab tab-network", bar, "Network: layers of neurons");
  const scalar = make("button", "tab tab-scalar", bar,
                      "Graph: every node (" + data.nodes.length + ")");
  const networkPane = make("div", "pane pane-network", el);
  const scalarPane = make("div", "pane pane-scalar", el);
  let scalarMounted = false;
  const net = mountNetwork(networkPane, data, options);
  function open(which) {
    network.classList.toggle("active", which === "network");
    scalar.classList.toggle("active", which === "scalar");
    networkPane.style.display = which === "network" ? "" : "none";
    scalarPane.style.display = which === "scalar" ? "" : "none";
    if (which === "scalar" && !scalarMounted) {  // laid out on first sight: it measures boxes
      scalarMounted = true;
      mountScalar(scalarPane, data, options);
    }
  }
  network.addEventListener("click", () => open("network"));
  scalar.addEventListener("click", () => open("scalar"));
  open("network");
  return net;
}

function mountNetwork(el, data, options) {
  const net = data.network, quiz = options.quiz;
  el.tabIndex = 0;
  const controls = make("div", "controls", el);
  // a neuron's own graph, under the pointer or holding the focus, takes the keys itself
  const inner = () => detail.matches(":hover") || detail.contains(document.activeElement);
  const ask = quiz ? quizView(quiz, net.steps, el, () => show(stepper.step())) : null;
  const stepper = stepControls(el, controls, net.steps.length, show, options, 1200, inner, ask);
  const status = make("span", "status", controls);
  if (ask) el.appendChild(ask.panel);
  make("p", "note", el,
       "Each neuron shows z = w\u00B7x + b, its activation a = f(z) and, once the backward " +
       "pass reaches it, \u03B4 = d" + net.cost.name + "/dz. Edges are weights (blue " +
       "positive, red negative, thicker larger). Click a neuron for its own graph, a weight " +
       "for its chain rule. " + data.note);
  const math = make("div", "lines-math", el);
  const lines = make("pre", "lines net-lines", el);
  const box = make("div", "net-graph", el);
  const detail = make("div", "net-detail", el);

  // layout: columns x_0, layer 1, ..., layer L, the cost
  const columns = [net.inputs].concat(net.layers);
  const colWidth = 215, unitWidth = 150, unitHeight = 50, gap = 60, top = 34;
  const tallest = Math.max.apply(null, columns.map((c) => c.length));
  const height = top + tallest * gap + 10;
  const width = (columns.length + 1) * colWidth;
  const svg = svgMake("svg", {viewBox: "0 0 " + width + " " + height, width: width,
                              height: height, class: "net-svg"}, box);
  const position = (column, k) => {
    const count = column < columns.length ? columns[column].length : 1;
    return {x: 20 + column * colWidth,
            y: top + (tallest - count) * gap / 2 + k * gap};
  };
  const edgesLayer = svgMake("g", {class: "edges"}, svg);
  const unitsLayer = svgMake("g", {class: "units"}, svg);
  for (let c = 0; c < columns.length; c++) {
    svgMake("text", {x: 20 + c * colWidth + unitWidth / 2, y: 18, "text-anchor": "middle",
                     class: "column-title"}, svg,
            c === 0 ? "input x_0" : (c === columns.length - 1 ? "output layer " : "layer ") + c);
  }
  svgMake("text", {x: 20 + columns.length * colWidth + unitWidth / 2, y: 18,
                   "text-anchor": "middle", class: "column-title"}, svg, "cost");

  let largest = 0;
  for (const layer of net.layers) for (const n of layer) for (const w of n.weights) {
    largest = Math.max(largest, Math.abs(w.data));
  }
  const weightLines = [];  // [layer][neuron] -> list of {line, hit, weight}
  net.layers.forEach((layer, i) => {
    weightLines.push(layer.map((n, j) => n.weights.map((w, k) => {
      const from = position(i, k), to = position(i + 1, j);
      const coords = {x1: from.x + unitWidth, y1: from.y + unitHeight / 2,
                      x2: to.x, y2: to.y + unitHeight / 2};
      const line = svgMake("line", Object.assign({
        class: "weight " + (w.data >= 0 ? "positive" : "negative"),
        "stroke-width": (0.4 + 2.6 * Math.abs(w.data) / (largest || 1)).toFixed(2),
      }, coords), edgesLayer);
      const hit = svgMake("line", Object.assign({class: "weight-hit"}, coords), edgesLayer);
      svgMake("title", {}, hit, w.name + " = " + w.value);
      hit.addEventListener("click", () => showWeight(i, j, k));
      return {line: line, hit: hit, weight: w};
    })));
  });
  const outputs = net.layers[net.layers.length - 1];
  const costAt = position(columns.length, 0);
  costAt.y = top + (tallest - 1) * gap / 2;
  outputs.forEach((n, j) => {
    const from = position(columns.length - 1, j);
    svgMake("line", {x1: from.x + unitWidth, y1: from.y + unitHeight / 2, x2: costAt.x,
                     y2: costAt.y + unitHeight / 2, class: "to-cost"}, edgesLayer);
  });

  const unit = (at, className, title) => {
    const g = svgMake("g", {class: "unit " + className,
                            transform: "translate(" + at.x + "," + at.y + ")"}, unitsLayer);
    svgMake("rect", {width: unitWidth, height: unitHeight, rx: 8}, g);
    svgMake("text", {x: 8, y: 15, class: "unit-title"}, g, title);
    return g;
  };
  net.inputs.forEach((x, k) => {
    const g = unit(position(0, k), "input", x.name);
    svgMake("text", {x: 8, y: 32}, g, "x = " + x.value);
  });
  const deltaTexts = [], units = [];
  net.layers.forEach((layer, i) => {
    deltaTexts.push([]);
    units.push([]);
    layer.forEach((n, j) => {
      const g = unit(position(i + 1, j), "neuron", n.name + "  " + n.activation);
      svgMake("text", {x: 8, y: 30}, g, "z " + n.z + "   a " + n.a);
      deltaTexts[i].push(svgMake("text", {x: 8, y: 45, class: "delta"}, g, ""));
      units[i].push(g);
      g.dataset.neuron = n.name;
      g.addEventListener("click", () => showNeuron(i, j));
    });
  });
  const costUnit = unit(costAt, "cost", net.cost.name);
  svgMake("text", {x: 8, y: 32}, costUnit, net.cost.name + " = " + net.cost.value);

  // the steps: one per neuron, output layer first; order[layer][neuron] = its step number
  const order = net.layers.map((layer) => layer.map(() => 0));
  net.steps.forEach((s, k) => { order[s.layer - 1][s.index - 1] = k + 1; });
  const total = net.steps.length;
  // the step of each node of the scalar graph that belongs to the network: its neuron's, and
  // for an input x_0 the last of the neurons that read it (the cost's nodes have none)
  const owner = {}, inNeuron = new Set();
  net.layers.forEach((layer, i) => layer.forEach((n, j) => {
    for (const id of n.nodes) {
      owner[id] = order[i][j];
      inNeuron.add(id);
    }
  }));
  net.layers.forEach((layer, i) => layer.forEach((n, j) => {
    for (const id of n.inputs) {
      if (!inNeuron.has(id)) owner[id] = Math.max(owner[id] || 0, order[i][j]);
    }
  }));
  let step = 0, come = 0;  // the step shown, and the last step whose gradients show
  let shownDetail = null;  // what the detail pane shows: a weight or a neuron, and as of when

  // the drawing at step `at`, with the deltas of the steps up to `upTo`
  function paint(at, upTo) {
    const current = at > 0 ? net.steps[at - 1] : null;
    net.layers.forEach((layer, i) => layer.forEach((n, j) => {
      const known = order[i][j] <= upTo;
      deltaTexts[i][j].textContent = known ? "\u03B4 " + n.delta : "\u03B4 \u2026";
      deltaTexts[i][j].classList.toggle("final", known);
      units[i][j].classList.toggle("known", known);
      units[i][j].classList.toggle("current", order[i][j] === at);
      weightLines[i][j].forEach((e) => e.line.classList.toggle("current", order[i][j] === at));
    }));
    // the deltas of the layer above that this step reads (W^T δ): outlined in orange
    for (const marked of svg.querySelectorAll(".reading")) marked.classList.remove("reading");
    if (current !== null && current.layer < net.layers.length) {
      weightLines[current.layer].forEach((edges, j) => {
        edges[current.index - 1].line.classList.add("reading");
        units[current.layer][j].classList.add("reading");
      });
    }
  }

  function said(at) {
    const current = net.steps[at - 1];
    return "Step " + at + " of " + total + ": layer " + current.layer + ", neuron " +
      current.index;
  }

  function show(to) {
    step = to;
    come = ask ? ask.shown(step) : step;
    const current = step > 0 ? net.steps[step - 1] : null;
    paint(step, come);
    if (current === null) {
      status.textContent = "Forward pass: z and a of every neuron (" + total +
        " backward steps to go, one per neuron)";
      const d = "d" + net.cost.name + "/d";  // a gradient of the cost, by its own name
      writeLines(math, lines, [{
        text: "Press Next or the right arrow: the backward pass starts at the " +
          "output layer, where \u03B4_L = " + d + "a_L \u2299 f'(z_L), and moves " +
          "back one layer at a time: \u03B4_i = (W_{i+1}^T \u03B4_{i+1}) \u2299 f'(z_i), " +
          d + "W_i = \u03B4_i x_{i\u22121}^T, " + d + "b_i = \u03B4_i.",
      }]);
    } else {
      status.textContent = said(step);
      writeLines(math, lines, ask && ask.open(step) ? ask.visible(step) : current.lines);
      const b = units[current.layer - 1][current.index - 1].getBoundingClientRect();
      const frame = box.getBoundingClientRect();
      if (b.top < frame.top || b.bottom > frame.bottom) {  // keep the current neuron in view
        box.scrollTop += b.top - frame.top - frame.height / 2 + b.height / 2;
      }
    }
    if (ask) ask.show(step);
    // the clicked weight or neuron, shown again if what it may show has changed with the step
    if (shownDetail !== null && shownDetail.seen !== seen(shownDetail)) shownDetail.again();
  }

  // What a clicked weight or neuron may show as of now: for a weight, whether its neuron's
  // step has come; for a neuron, that and which of its inputs' steps have come.
  function seen(shown) {
    const [i, j] = shown.at;
    const inputs = shown.k === undefined
      ? net.layers[i][j].inputs.map((id) => (owner[id] || 0) <= come) : [];
    return JSON.stringify([order[i][j] <= come, inputs]);
  }

  function showWeight(i, j, k) {
    const n = net.layers[i][j], w = n.weights[k];
    const known = order[i][j] <= come;
    detail.innerHTML = "";
    make("h3", "", detail, w.name + " = " + w.value + ", d" + net.cost.name + "/d" + w.name +
         " = " + (known ? w.grad : "\u2026 (its neuron's step, " + order[i][j] +
         ", has not come yet)"));
    const before = new Set(w.explain_before);  // its lines without numbers
    const shows = (line) => known || before.has(line);
    const text = w.explain.split("\n").filter((_, line) => shows(line)).join("\n");
    // typeset, the lines it shows as one display, aligned on their = (shown once typeset)
    const rows = (w.explain_tex || []).filter((row, line) => row !== null && shows(line));
    if (rows.length > 0) {
      const display = make("div", "explain-math", detail, text);
      display.dataset.tex = "\\begin{aligned}" + rows.join(" \\\\ ") + "\\end{aligned}";
      display.dataset.texDisplay = "block";
      typeset(display);
    }
    make("pre", "explain", detail, known ? text
      : text + "\n(the numbers come at step " + order[i][j] + ", " + n.name + "'s)");
    shownDetail = {at: [i, j], k: k, again: () => showWeight(i, j, k)};
    shownDetail.seen = seen(shownDetail);
  }

  function showNeuron(i, j) {
    const n = net.layers[i][j];
    const known = order[i][j] <= come;
    // a neuron shown again as the network steps keeps its own graph's step, where it can
    const was = shownDetail !== null && shownDetail.graph && shownDetail.at[0] === i &&
      shownDetail.at[1] === j ? shownDetail.graph.state().step : 0;
    detail.innerHTML = "";
    make("h3", "", detail, n.name + ": its own graph (" + n.activation + "), z = " + n.z +
         ", a = " + n.a + ", \u03B4 = d" + net.cost.name + "/dz = " +
         (known ? n.delta : "\u2026 (its step, " + order[i][j] + ", has not come yet)"));
    const inner = make("div", "neuron-graph", detail);
    const graph = mountScalar(inner, neuronData(data, n, owner, order[i][j], come), {});
    if (was > 0) graph.go(was);
    shownDetail = {at: [i, j], graph: graph, again: () => showNeuron(i, j)};
    shownDetail.seen = seen(shownDetail);
  }

  // printed, every step the page may show: the network as it stands then, and the step's lines
  function printPages() {
    const pages = [];
    for (let k = 1; k <= (ask ? ask.answered() : total); k++) {
      const page = make("section", "print-step");
      make("h2", "", page, said(k));
      paint(k, k);
      page.appendChild(svg.cloneNode(true));
      writeLines(make("div", "lines-math", page), make("pre", "lines", page),
                 net.steps[k - 1].lines);
      pages.push(page);
    }
    paint(step, come);  // the drawing back at the step on screen
    return pages;
  }

  if (options.print) printEvery(el, controls, printPages);
  show(0);
  return {go: stepper.go, showNeuron: showNeuron, showWeight: showWeight};
}

// One neuron's part of the scalar data: its nodes and its inputs, drawn by Python
// (network.neuron_svg), and the steps of the same backward pass that belong to its own nodes,
// each with its `number` in the whole pass (`pass`): after each, the drawn nodes show their
// gradients as the whole pass holds them then, final once every user has passed its share
// back, users in other neurons included.
//
// As of the network's step `come`: the steps open once the neuron's own step (`at`) has come.
// An input's gradient, and the number of the share each of the neuron's products sends it,
// stay hidden until the input's own step (`owner`): the layer below's activation a has its
// dC/da asked and shown at its neuron's step. Every other node drawn is used only inside the
// neuron or by layers the pass has gone through, so the whole pass's numbers are its own.
function neuronData(data, n, owner, at, come) {
  const own = new Set(n.nodes), drawn = new Set(n.nodes.concat(n.inputs));
  const hide = n.inputs.filter((id) => (owner[id] || 0) > come);
  const steps = [];
  if (at <= come) {
    data.steps.forEach((s, k) => {
      if (!own.has(s.node)) return;
      const head = s.lines.length - s.shares.length;
      const lines = s.lines.map((line, m) => {
        const share = m >= head ? s.shares[m - head] : null;
        if (share === null || !hide.includes(share.input)) return line;
        const rule = line.ask || line;  // the line without its numbers
        const later = "its number comes at step " + owner[share.input];
        return {text: rule.rule + "   (" + later + ")",
                tex: rule.rule_tex && rule.rule_tex + " \\quad \\text{(" + later + ")}"};
      });
      steps.push(Object.assign({}, s, {
        number: k + 1,
        text: lines.map((line) => line.text).join("\n"),
        lines: lines,
        shares: s.shares.filter((share) => drawn.has(share.input)),
      }));
    });
  }
  const note = at <= come
    ? "The steps of " + n.name + "'s nodes in the backward pass of " + data.root +
      " (its inputs are the previous layer's activations)."
    : "The backward steps of " + n.name + "'s nodes open at step " + at +
      ", when the pass reaches it; until then, its forward pass.";
  return {
    root: data.root,
    svg: n.svg,
    too_large: null,
    nodes: data.nodes.filter((node) => drawn.has(node.id)),
    steps: steps,
    pass: data.steps,
    hide: hide,
    legend: data.legend,
    note: note,
  };
}
