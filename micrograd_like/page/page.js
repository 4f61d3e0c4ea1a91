// The scalar view of the backprop stepper: the graph Graphviz drew, the step's chain-rule lines,
// the table of nodes and the key, stepped one node at a time. The other scripts build on it:
// network.js (the network view, which opens this view in a tab and for each neuron) and
// backprop.js (mountBackprop, the entry point both hosts call). It imports forward.js alone:
// given data.forward, mountScalar puts itself in a tab beside forward.js's forward-mode tab.
//
// mountScalar(el, data, options) renders everything inside `el` from `data`, the plain dict
// micrograd_like.page.backprop_data() makes (svg text, nodes, steps, legend, note). Every query
// and every key handler is scoped to `el`, so several steppers can share a document.
// options.documentKeys: the keys work anywhere in the document (the standalone page); otherwise
// only while `el` has the focus or the pointer is over it.
//
// The state is one number, `step`: 0 is the forward pass, k is "after backward step k". Each
// view (the graph, the table, the lines) is an object with show(state); a new view (a network
// picture, say) is one more entry in `views`.
//
// The quiz (Quiz, quizBar, quizView, below) asks the learner to predict each gradient before
// a step shows it; network.js asks its own questions with the same quizView.

import {mountForwardTabs} from "./forward.js";

export const SVG_NS = "http://www.w3.org/2000/svg";

// A new element: <tag class=className>text</tag>, appended to `parent` when one is given.
export function make(tag, className, parent, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

// Typesets the formulas in `box`, its [data-tex] elements, with the KaTeX the host runs before
// these scripts (micrograd_like.latex.katex_script(): the page's classic script, the start of
// the widget's module), which publishes itself as micrograd_like_katex: the one thing these
// scripts take from outside them, read here alone. Without it (typeset=False, a script blocked
// or failed) every formula keeps its text.
export function typeset(box) {
  const katex = globalThis.micrograd_like_katex;
  if (katex) katex.typeset(box);
}

// A formula in running words: `text` into `parent`, with its LaTeX `tex` as an element KaTeX
// typesets over the text; without `tex`, as plain text.
function writeFormula(parent, text, tex) {
  if (!tex) {
    parent.appendChild(document.createTextNode(text));
    return;
  }
  make("span", "tex", parent, text).dataset.tex = tex;
}

// A step's chain-rule lines, `lines` ([{text, tex}]), written twice: in `pre` as text, as the
// program prints them, and in `math` typeset, a row for each line with its LaTeX. A row shows
// once KaTeX has typeset it (page.css), and then the text is the smaller line beneath; until
// then, or where KaTeX refuses a row, the text says it all. The LaTeX of the lines given alone
// goes into the page: in quiz mode, up to the question, whose row is the rule's.
export function writeLines(math, pre, lines) {
  pre.textContent = lines.map((line) => line.text).join("\n");
  math.innerHTML = "";
  for (const line of lines) {
    if (!line.tex) continue;
    const row = make("div", "typeset", math, line.text);
    row.dataset.tex = line.tex;
    const indent = /^\s*/.exec(line.text)[0].length;  // a weight's line under its row's
    if (indent) row.style.paddingLeft = indent / 2 + "em";
  }
  typeset(math);
  math.classList.toggle("shown", math.querySelector("[data-tex-done]") !== null);
}

// Printing. The browser's own Print prints a view as it stands (page.css: no buttons, the whole
// drawing, the current step, the table). The box "print every step", beside the buttons, makes
// it print a page for each step instead: `pages()`, the view's own picture of each step it may
// show, made into `.print-steps` (which print alone shows) just before printing and dropped
// after, so that they are in the page only while it prints.
export function printEvery(el, controls, pages) {
  const label = make("label", "print-every", controls);
  label.title = "the browser's Print then prints every step, one to a page (in quiz mode, " +
    "the steps answered)";
  const tick = make("input", "", label);
  tick.type = "checkbox";
  label.appendChild(document.createTextNode(" print every step"));
  const box = make("div", "print-steps", el);
  window.addEventListener("beforeprint", () => {
    box.innerHTML = "";
    const every = tick.checked && el.isConnected && el.getClientRects().length > 0;
    el.classList.toggle("printing-every", every);
    if (every) for (const page of pages()) box.appendChild(page);
  });
  window.addEventListener("afterprint", () => {
    box.innerHTML = "";
    el.classList.remove("printing-every");
  });
}

// options.quiz: the mount's Quiz (backprop.js), or none (a neuron's own graph in network.js,
// which shows only steps the network view has shown). options.print: the view takes the box
// "print every step" (the views of a mount; not a neuron's own graph). data.hide: ids of nodes
// whose gradients stay hidden, whatever the step (network.js: a neuron's inputs, before their
// own step).
export function mountScalar(el, data, options) {
  options = options || {};
  if (data.forward) {  // forward mode beside this pass: two tabs, this view in the first
    const shared = {make: make, stepControls: stepControls, graphTools: graphTools,
                    mountScalar: mountScalar};
    return mountForwardTabs(el, data, options, shared);
  }
  const quiz = options.quiz;
  el.classList.add("backprop");
  el.tabIndex = 0;
  el.innerHTML = "";

  const controls = make("div", "controls", el);
  const total = data.steps.length;
  const ask = quiz ? quizView(quiz, data.steps, el, () => show(stepper.step())) : null;
  const stepper = stepControls(el, controls, total, show, options, 900, null, ask);
  const status = make("span", "status", controls);
  if (ask) el.appendChild(ask.panel);
  make("p", "note", el, data.note);

  const graph = graphView(make("div", "graph", el), data);
  const views = [graph];
  views.push(linesView(make("div", "lines-math", el), make("pre", "lines", el), data));
  const below = make("div", "below", el);
  views.push(tableView(make("div", "table-box", below), data));
  legendView(make("div", "legend", below), data);

  // The whole backward pass the steps belong to. data.steps is all of it, or for a neuron's own
  // graph (network.js) the steps of its nodes, each with its `number` in the whole pass.
  const pass = data.pass || data.steps;
  const complete = completeAt(pass);
  const hidden = data.hide || [];

  function state(step) {
    // Every gradient as the pass holds it after `step` of these steps (the shares received so
    // far), and which are final: those whose users have all passed their share back. In quiz
    // mode a step whose questions are open shows the gradients of the step before it, and its
    // lines up to the question.
    const current = step > 0 ? data.steps[step - 1] : null;
    const shown = ask ? ask.shown(step) : step;
    const last = shown > 0 ? data.steps[shown - 1] : null;
    const done = last === null ? 0 : last.number || shown;
    const grads = {}, final = new Set();
    for (const record of pass.slice(0, done)) {
      grads[record.node] = record.upstream;
      for (const share of record.shares) grads[share.input] = share.grad;
    }
    for (const id of hidden) delete grads[id];
    for (const id in grads) if (complete[id] <= done) final.add(id);
    const lines = current === null ? null
      : ask && ask.open(step) ? ask.visible(step) : current.lines;
    return {step: step, total: total, grads: grads, final: final, current: current, lines: lines};
  }

  function said(now) {
    return total === 0 ? "Forward pass: values only"
      : now.current === null
      ? "Forward pass: values only (" + total + " backward steps to go)"
      : "Step " + now.step + " of " + total + ": " + now.current.name +
        (now.current.op ? " (" + now.current.op + ")" : " (a leaf)");
  }

  function show(step) {
    const now = state(step);
    status.textContent = said(now);
    for (const view of views) view.show(now);
    if (ask) ask.show(step);
  }

  // printed, every step the page may show, each with the drawing as it stands then
  function printPages() {
    const pages = [];
    for (let k = 1; k <= (ask ? ask.answered() : total); k++) {
      const now = state(k), page = make("section", "print-step");
      make("h2", "", page, said(now));
      const drawing = graph.snapshot(now);
      if (drawing) page.appendChild(drawing);
      writeLines(make("div", "lines-math", page), make("pre", "lines", page), now.lines);
      pages.push(page);
    }
    graph.show(state(stepper.step()));  // the drawing back at the step on screen
    return pages;
  }

  if (options.print) printEvery(el, controls, printPages);
  show(0);
  // asking(k): whether step k has a question open (forward.js holds dC/dW back meanwhile)
  return {go: stepper.go, state: () => state(stepper.step()),
          asking: (k) => ask !== null && ask.open(k)};
}

// For each node of a backward pass (`steps`, the root's first), the number of the step after
// which its gradient is final. By the chain rule a node v's gradient is one share from each node
// u that uses it, dC/dv = Σ_u ∂u/∂v × dC/du, and u passes its share back in its own
// step; so dC/dv is complete at the step of v's last user, and stays so (the pass steps every
// user of v before v itself). The root, which nothing uses, has dC/dC = 1 from its own step.
function completeAt(steps) {
  const at = {};
  steps.forEach((record, k) => {
    for (const share of record.shares) at[share.input] = k + 1;  // a later user: later still
    if (!(record.node in at)) at[record.node] = k + 1;  // no user: the root
  });
  return at;
}

// The step controls both views share (this one and network.js's): Start, Previous, Next, End
// and Play buttons in `controls`, and the keys: the arrows, Home, End and space. The keys work
// anywhere with options.documentKeys (the standalone page), otherwise while `el` has the focus
// or the pointer, never while typing in a field, while `el` is hidden (another tab), or while
// `inner()` says a view inside it takes them. go(k) shows step k: 0 is the forward pass.
// `ask`, the view's quizView if it has one, holds the steps back: go() never passes the step
// whose question is open (End and Play stop there), and its keys (Esc, ?) join these.
export function stepControls(el, controls, total, show, options, interval, inner, ask) {
  const button = (className, text, title) => {
    const node = make("button", className, controls, text);
    node.title = title;
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
    const reach = ask ? ask.reach() : total;
    if (ask && to > reach) ask.held();
    step = Math.max(0, Math.min(total, reach, to));
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
      const before = step;
      go(step + 1);
      if (step === total || step === before) togglePlay();  // the end, or an open question
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
  const keys = Object.assign({
    ArrowRight: () => go(step + 1),
    ArrowLeft: () => go(step - 1),
    Home: () => go(0),
    End: () => go(total),
    " ": togglePlay,
  }, ask ? ask.keys : {});
  document.addEventListener("keydown", (event) => {
    const action = keys[event.key];
    if (!action || !el.isConnected || el.getClientRects().length === 0) return;  // hidden tab
    const typing = event.target.closest && event.target.closest("input, textarea, select");
    const ours = options.documentKeys || el.contains(document.activeElement) || hovered;
    if (typing || !ours || (inner && inner())) return;
    if (action() !== false) event.preventDefault();  // false: the key had nothing to do here
  });
  return {go: go, step: () => step};
}

// The graph: the SVG Graphviz drew (ids from the Python view: box n4, op n4_op, edges n4_in0,
// n4_in1, n4_out), with each node's gradient written under its box as the steps make it.
function graphView(box, data) {
  if (data.svg === null) {  // too many nodes to lay out: say so, and how to draw it anyway
    make("p", "too-large", box, data.too_large);
    return {show() {}, snapshot: () => null};
  }
  box.innerHTML = data.svg;
  const svg = box.querySelector("svg");
  const byId = (id) => svg.querySelector('[id="' + id + '"]');
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
  const tools = graphTools(box, svg, data);
  function paint(now) {
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
  }
  return {
    show(now) {
      tools.follow(now.current && now.current.node);
      paint(now);
    },
    // the whole drawing as it stands at `now`, for a printed page (the caller shows the step
    // on screen again after)
    snapshot(now) {
      paint(now);
      return tools.copy();
    },
  };
}

// Zoom, pan, fit, search and focus for a Graphviz drawing in `box`. The drawing keeps its
// natural size (one SVG unit a pixel at zoom 1) inside a frame of fixed height; the wheel or
// the buttons zoom around a point, dragging pans, Fit shows it whole. Search finds a node by
// name; Focus shows only the paths from the root down to the chosen node (the drawing's
// counterpart of explain()). follow(id) brings the current node into view while stepping.
function graphTools(box, svg, data) {
  box.classList.add("zoomable");
  const bar = document.createElement("div");
  bar.className = "graph-tools";
  box.parentNode.insertBefore(bar, box);
  const button = (text, title) => {
    const b = make("button", "", bar, text);
    b.title = title;
    return b;
  };
  const zoomIn = button("+", "zoom in (or the mouse wheel)");
  const zoomOut = button("\u2212", "zoom out");
  const fit = button("Fit", "the whole graph in the window");
  const actual = button("1:1", "natural size");
  const search = make("input", "search", bar);
  search.placeholder = "find a node by name";
  search.setAttribute("list", "");
  const focus = button("Focus", "show only the paths from the root to the found node");
  const all = button("Show all", "show every node again");
  const found = make("span", "found", bar);

  const full = {x: svg.viewBox.baseVal.x, y: svg.viewBox.baseVal.y,
                w: svg.viewBox.baseVal.width, h: svg.viewBox.baseVal.height};
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  let view = Object.assign({}, full);
  // a small graph gets a frame its own height (plus a margin), a large one 62% of the window
  box.style.height = Math.min(0.62 * window.innerHeight, full.h + 24) + "px";
  const apply = () => svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
  const frame = () => ({w: box.clientWidth || 800, h: box.clientHeight || 500});
  function setScale(scale, cx, cy) {  // scale: screen px per svg unit, around (cx, cy)
    const f = frame();
    cx = cx === undefined ? view.x + view.w / 2 : cx;
    cy = cy === undefined ? view.y + view.h / 2 : cy;
    view.w = f.w / scale;
    view.h = f.h / scale;
    view.x = cx - view.w / 2;
    view.y = cy - view.h / 2;
    apply();
  }
  const scale = () => frame().w / view.w;
  function fitTo(area) {  // never larger than 1.3 times natural size
    const f = frame();
    const s = Math.min(f.w / area.w, f.h / area.h, 1.3);
    setScale(s, area.x + area.w / 2, area.y + area.h / 2);
  }
  function shownArea() {  // what is drawn now (hidden nodes have no box), in viewBox units
    const g = svg.querySelector("g.graph") || svg;
    const b = g.getBBox(), m = svg.getScreenCTM().inverse().multiply(g.getScreenCTM());
    const a = new DOMPoint(b.x, b.y).matrixTransform(m);
    const c = new DOMPoint(b.x + b.width, b.y + b.height).matrixTransform(m);
    return {x: a.x - 10, y: a.y - 10, w: c.x - a.x + 20, h: c.y - a.y + 20};
  }
  const fitAll = () => fitTo(shownArea());
  const center = (id) => {
    const el = svg.querySelector('[id="' + id + '"]');
    if (!el) return null;
    const b = el.getBBox(), m = svg.getScreenCTM().inverse().multiply(el.getScreenCTM());
    const p = new DOMPoint(b.x + b.width / 2, b.y + b.height / 2).matrixTransform(m);
    return {x: p.x, y: p.y, el: el};
  };
  zoomIn.addEventListener("click", () => setScale(scale() * 1.4));
  zoomOut.addEventListener("click", () => setScale(scale() / 1.4));
  fit.addEventListener("click", fitAll);
  actual.addEventListener("click", () => setScale(1));
  box.addEventListener("wheel", (event) => {
    event.preventDefault();
    const m = svg.getScreenCTM().inverse();
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(m);
    const factor = event.deltaY < 0 ? 1.2 : 1 / 1.2;
    const s = scale() * factor;
    // keep the point under the pointer where it is
    view.x = p.x - (p.x - view.x) / factor;
    view.y = p.y - (p.y - view.y) / factor;
    view.w = frame().w / s;
    view.h = frame().h / s;
    apply();
  }, {passive: false});
  let drag = null;
  box.addEventListener("mousedown", (event) => {
    drag = {x: event.clientX, y: event.clientY, vx: view.x, vy: view.y};
  });
  window.addEventListener("mouseup", () => { drag = null; });
  window.addEventListener("mousemove", (event) => {
    if (drag === null) return;
    const s = scale();
    view.x = drag.vx - (event.clientX - drag.x) / s;
    view.y = drag.vy - (event.clientY - drag.y) / s;
    apply();
  });

  // a Map, not an object: what is typed (constructor, __proto__) is a key, never a property
  const byName = new Map();
  for (const node of data.nodes) byName.set(node.name.toLowerCase(), node.id);
  let chosen = null;
  function find() {
    const text = search.value.trim().toLowerCase();
    for (const marked of svg.querySelectorAll(".searched")) marked.classList.remove("searched");
    chosen = byName.get(text) || null;
    if (chosen === null && text) {
      const match = data.nodes.find((node) => node.name.toLowerCase().includes(text));
      chosen = match ? match.id : null;
    }
    if (chosen === null) {
      found.textContent = text ? "no node called " + search.value : "";
      return;
    }
    const node = data.nodes.find((each) => each.id === chosen);
    found.textContent = node.name + " (" + node.role + ", data " + node.data + ")";
    const at = center(chosen);
    at.el.classList.add("searched");
    setScale(Math.max(scale(), 1), at.x, at.y);
  }
  search.addEventListener("change", find);
  search.addEventListener("keydown", (event) => { if (event.key === "Enter") find(); });

  // inputs of each node, from the steps' shares: the graph's edges
  const inputs = {};
  for (const s of data.steps) inputs[s.node] = s.shares.map((share) => share.input);
  function focusOn(id) {
    // the nodes on a path from the root down to `id`: those that depend on it
    const onPath = new Set([id]);
    for (const node of data.nodes) {  // inputs come first in data.nodes
      if ((inputs[node.id] || []).some((each) => onPath.has(each))) onPath.add(node.id);
    }
    for (const node of data.nodes) {
      const shown = onPath.has(node.id);
      for (const part of [node.id, node.id + "_op", node.id + "_out"]) {
        const el = svg.querySelector('[id="' + part + '"]');
        if (el) el.style.display = shown ? "" : "none";
      }
      (inputs[node.id] || []).forEach((each, position) => {
        const edge = svg.querySelector('[id="' + node.id + "_in" + position + '"]');
        if (edge) edge.style.display = shown && onPath.has(each) ? "" : "none";
      });
    }
    box.classList.add("focused");
    fitTo(shownArea());
    return onPath.size;
  }
  focus.addEventListener("click", () => {
    if (chosen === null) find();
    if (chosen === null) return;
    const count = focusOn(chosen);
    found.textContent = "focus: " + count + " nodes on the paths from " + data.root + " to " +
      data.nodes.find((each) => each.id === chosen).name;
  });
  all.addEventListener("click", () => {
    for (const el of svg.querySelectorAll("g.node, g.edge")) el.style.display = "";
    box.classList.remove("focused");
    found.textContent = "";
    fitAll();
  });

  // start readable: natural size if the whole graph fits, else fit when that keeps the text
  // at least 60% of its size, else natural size around the root (where the backward pass starts)
  const f = frame();
  const fitted = Math.min(f.w / full.w, f.h / full.h);
  if (fitted >= 0.6) fitTo(full);
  else {
    const root = center(data.steps.length ? data.steps[0].node : "");
    setScale(1, root ? root.x - f.w / 3 : full.x + full.w - f.w / 2, root ? root.y : full.y);
  }

  // Printed, the drawing is whole (or, focused, the part Focus keeps), whatever the zoom and
  // pan on screen: copies made just before printing take the zoomable box's place on paper
  // (page.css), and go after. A drawing too wide to print its text at 7 pt across the paper
  // is cut into strips, one under the other, each overlapping the next a little; and none
  // prints larger than its natural size.
  const whole = () => (box.classList.contains("focused") ? shownArea() : full);
  function printed() {
    const area = whole();
    const strips = Math.max(1, Math.ceil(area.w * PRINT_SCALE / PAPER_WIDTH));
    const overlap = strips > 1 ? area.w / strips * 0.08 : 0;
    const width = area.w / strips + 2 * overlap;
    const holder = make("div", "graph-print");
    for (let k = 0; k < strips; k++) {
      const x = Math.min(Math.max(area.x + k * area.w / strips - overlap, area.x),
                         area.x + area.w - width);
      const copied = svg.cloneNode(true);
      copied.setAttribute("viewBox", [x, area.y, width, area.h].join(" "));
      copied.style.maxWidth = Math.round(width * NATURAL_SCALE) + "px";
      for (const each of copied.querySelectorAll("[id]")) each.removeAttribute("id");  // once
      holder.appendChild(copied);
    }
    return holder;
  }
  let onPaper = null;
  window.addEventListener("beforeprint", () => {
    if (onPaper !== null || !box.isConnected) return;
    onPaper = printed();
    box.after(onPaper);
    box.classList.add("printed-apart");
  });
  window.addEventListener("afterprint", () => {
    if (onPaper === null) return;
    onPaper.remove();
    onPaper = null;
    box.classList.remove("printed-apart");
  });
  return {
    follow(id) {  // keep the current node in the window
      if (!id) return;
      const at = center(id);
      if (!at) return;
      if (at.x < view.x || at.x > view.x + view.w || at.y < view.y || at.y > view.y + view.h) {
        view.x = at.x - view.w / 2;
        view.y = at.y - view.h / 2;
        apply();
      }
    },
    focusOn: focusOn,
    fit: fitAll,
    copy: printed,  // the drawing as it stands, for a printed page
  };
}

// Paper, for a drawing printed across it: its width inside the margins, in CSS px (landscape
// Letter, the narrower of A4 and Letter); the scale (px per unit of the drawing) at which its
// smallest text, the gradients' 10 units, prints at 7 pt (9.33 px); its natural scale, a unit
// being Graphviz's point.
const PAPER_WIDTH = 960;
const PRINT_SCALE = 0.94;
const NATURAL_SCALE = 1.33;

// The step's chain-rule lines (in quiz mode, up to the question asked), typeset in `math` and
// as text in `pre` (writeLines).
function linesView(math, pre, data) {
  return {
    show(now) {
      writeLines(math, pre, now.current !== null ? now.lines : [{
        text: "Every node holds its value (data). Press Next or the right arrow to start the " +
          "backward pass at " + data.root + ", whose gradient d" + data.root + "/d" + data.root +
          " is 1.",
      }]);
    },
  };
}

// The table: one row per node (name, op, role, data, grad); the current row stays in view.
function tableView(box, data) {
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
function legendView(box, data) {
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
    " final gradient: every node that uses this one has passed its share back"));
}

// ---- The quiz: predict each gradient, then see it
//
// A Quiz is what the views of one mount share (backprop.js makes it): whether the quiz is on,
// and the score. Each stepper with questions (this scalar view, network.js's view) keeps its
// own in a quizView. Their steps carry `lines`, written by micrograd_like.page and .network:
// each line of the step's chain-rule text and, for a line that gives a gradient, `ask`: its
// rule (the line without its numbers: the quiz asks "rule = ?"), the answer as the page writes
// it, the exact value, how close a prediction must come (`within`: one unit in the last place
// written), and two hints, first which local derivative and which upstream gradient meet,
// then their numbers.
//
// What the views keep to: in quiz mode, a step whose questions are not all answered (right,
// or revealed on request) is open. An open step shows which node it is and its lines up to
// the question asked, and nothing else of itself: its gradients reach the graph, the table
// and the neurons when its last question is answered. The stepper never goes past an open
// step (End and Play stop at it). The numbers the questions ask for live only in the data the
// page was given, which a browser does not show; no element holds one before its step, hidden
// or not. Switching the quiz on counts every step up to the current one as seen: only the
// steps ahead are asked, and the score counts only what was asked.
export class Quiz {
  constructor(on) {
    this.on = on;
    this.right = 0;  // answered right: `first` of them at the first try with no hint
    this.first = 0;
    this.revealed = 0;
    this.listeners = [];
  }

  listen(listener) {
    this.listeners.push(listener);
  }

  set(on) {
    this.on = on;
    for (const listener of this.listeners) listener("switch");
  }

  count(outcome, first) {
    if (outcome === "right") this.right += 1;
    if (outcome === "right" && first) this.first += 1;
    if (outcome === "revealed") this.revealed += 1;
    for (const listener of this.listeners) listener("score");
  }
}

// The quiz's switch and the running score, for the top of a mount.
export function quizBar(quiz) {
  const bar = make("div", "quiz-bar");
  const toggle = make("button", "quiz-switch", bar);
  toggle.type = "button";
  toggle.title = "before each step shows its gradients, type your prediction";
  const score = make("span", "quiz-score", bar);
  function update() {
    toggle.textContent = "Quiz: " + (quiz.on ? "on" : "off");
    toggle.setAttribute("aria-pressed", String(quiz.on));
    const asked = quiz.right + quiz.revealed;
    score.textContent = asked > 0
      ? "Score: " + quiz.right + " right of " + asked + " \u00B7 " + quiz.first +
        " at the first try \u00B7 " + quiz.revealed + " revealed"
      : quiz.on
      ? "Predict each gradient before it is shown: type it, Enter checks, ? gives a hint, " +
        "Esc reveals."
      : "Turn the quiz on to predict each gradient before the page shows it.";
  }
  toggle.addEventListener("click", () => quiz.set(!quiz.on));
  quiz.listen(update);
  update();
  return bar;
}

// The questions of one stepper, whose steps are `steps` (each with its `lines`), and their
// panel: the question asked, the field for the prediction, Check (Enter), Hint (?) and Reveal
// (Esc), and what the learner has been told. el: the stepper, which gets the focus back when
// a step's last question is answered, so that the arrow keys go on. refresh(): show the
// stepper's current step again (after an answer, or the switch).
export function quizView(quiz, steps, el, refresh) {
  const asked = steps.map((step) => (step.lines || []).filter((line) => line.ask)
    .map((line) => ({ask: line.ask, tries: 0, hints: 0, wrong: "", outcome: null})));
  let here = 0;  // the step shown
  let note = "";  // about the last thing typed that was neither right nor wrong, or a key

  const panel = make("div", "quiz");
  const prompt = make("div", "quiz-prompt", panel);
  const row = make("div", "quiz-row", panel);
  const field = make("input", "quiz-answer", row);
  field.type = "text";
  field.inputMode = "decimal";
  field.autocomplete = "off";
  field.spellcheck = false;
  field.setAttribute("aria-label", "your prediction");
  const button = (className, text, title, action) => {
    const node = make("button", className, row, text);
    node.type = "button";
    node.title = title;
    node.addEventListener("click", action);
    return node;
  };
  button("quiz-check", "Check (Enter)", "check your prediction", () => check());
  button("quiz-hint", "Hint (?)", "which factors meet, then their numbers", () => hint());
  button("quiz-reveal", "Reveal (Esc)", "show the answer", () => reveal());
  const feedback = make("div", "quiz-feedback", panel);
  feedback.setAttribute("aria-live", "polite");
  field.addEventListener("keydown", (event) => {
    const action = {Enter: check, Escape: reveal, "?": hint}[event.key];
    if (!action) return;
    event.preventDefault();  // "?" is no part of a number; Esc and Enter go no further
    event.stopPropagation();
    action();
  });

  const pending = (k) => k >= 1 && k <= asked.length
    ? asked[k - 1].find((question) => question.outcome === null) || null : null;
  const open = (k) => quiz.on && pending(k) !== null;

  function reach() {  // the furthest step the stepper may show: the first open one, else all
    if (quiz.on) for (let k = 1; k <= asked.length; k++) if (pending(k)) return k;
    return asked.length;
  }

  // an open step's lines ({text, tex}): up to its question, which reads "... = ?", and whose
  // LaTeX is its rule's, without a number
  function visible(k) {
    const shown = [];
    let n = 0;
    for (const line of steps[k - 1].lines) {
      if (line.ask && asked[k - 1][n++].outcome === null) {
        const text = /^\s*/.exec(line.text)[0] + line.ask.rule + " = ?";  // indented as its line
        shown.push({text: text, tex: line.ask.rule_tex && line.ask.rule_tex + " = ?"});
        break;
      }
      shown.push(line);
    }
    return shown;
  }

  function check() {
    const question = pending(here);
    if (!quiz.on || question === null) return false;
    const text = field.value.trim();
    const typed = readNumber(text);
    const exact = exactValue(question.ask.value);
    note = "";
    if (text === "") {
      note = "Type your prediction first, a number such as 0.25 or -1.5e-3, then Enter.";
    } else if (typed === null) {
      note = "\u201C" + text + "\u201D is not a number: write it as 0.25, -0.5 or 1.2e-3.";
    } else if (typed === exact || Math.abs(typed - exact) <= question.ask.within) {
      resolve(question, "right");
      return true;
    } else if (asFarAsItGoes(text, typed, exact, question.ask.within)) {
      note = text + " agrees as far as it goes: give more digits (it is checked to within " +
        question.ask.within + ").";
    } else {
      question.tries += 1;
      question.hints = Math.max(question.hints, Math.min(2, question.tries));
      question.wrong = text;
    }
    render(true);
    return true;
  }

  function hint() {
    const question = pending(here);
    if (!quiz.on || question === null) return false;
    question.hints = Math.min(2, question.hints + 1);
    note = question.hints === 2 ? "That is every hint: the rest is one multiplication." : "";
    render(true);
    return true;
  }

  function reveal() {
    const question = pending(here);
    if (!quiz.on || question === null) return false;
    resolve(question, "revealed");
    return true;
  }

  function resolve(question, outcome) {
    question.outcome = outcome;
    note = "";
    field.value = "";
    quiz.count(outcome, question.tries === 0 && question.hints === 0);
    refresh();  // the step's next question, or, the last answered, its gradients
  }

  function said(question) {  // what a resolved question says in the panel
    const got = question.ask.name + " = " + question.ask.answer;
    if (question.outcome === "revealed") return "Revealed: " + got;
    if (question.tries === 0 && question.hints === 0) return "\u2713 Right: " + got;
    const after = [];
    const many = (count, word) => count + " " + word + (count > 1 ? "s" : "");
    if (question.tries > 0) after.push(many(question.tries, "wrong answer"));
    if (question.hints > 0) after.push(many(question.hints, "hint"));
    return "\u2713 Right: " + got + " (after " + after.join(" and ") + ")";
  }

  function render(focus) {
    panel.style.display = quiz.on ? "" : "none";
    if (!quiz.on) return;
    const question = pending(here);
    feedback.innerHTML = "";
    const outcomes = here >= 1 ? asked[here - 1] : [];
    for (const each of outcomes) {
      if (each.outcome === "right" || each.outcome === "revealed") {
        make("div", "said-" + each.outcome, feedback, said(each));
      }
    }
    if (question === null) {
      row.style.display = "none";
      prompt.classList.remove("asking");
      prompt.textContent = here === 0
        ? "Press Next (\u2192): before each step shows its gradients, you predict them."
        : here === asked.length ? "The end of the backward pass."
        : (outcomes.length === 0 ? "Nothing to predict at this step. " : "") +
          "Next (\u2192) for the next step.";
      if (document.activeElement === field) el.focus({preventScroll: true});
      return;
    }
    row.style.display = "";
    prompt.classList.add("asking");
    prompt.textContent = "Your prediction: ";
    const rule = question.ask.rule_tex;
    writeFormula(prompt, question.ask.rule + " = ?", rule && rule + " = ?");
    if (question.wrong) {
      make("div", "said-wrong", feedback, "Not " + question.wrong +
        (question.tries > 1 ? " either." : ".") +
        (question.tries >= 3 ? " Esc shows the answer." : ""));
    }
    question.ask.hints.slice(0, question.hints).forEach((text, n) => {  // those given alone
      const given = make("div", "said-hint", feedback, "Hint " + (n + 1) + ": ");
      let at = 0;  // its formulas: [start, end, LaTeX] of the text, typeset in their words
      for (const [start, end, tex] of question.ask.hints_tex ? question.ask.hints_tex[n] : []) {
        writeFormula(given, text.slice(at, start));
        writeFormula(given, text.slice(start, end), tex);
        at = end;
      }
      writeFormula(given, text.slice(at));
    });
    if (note) make("div", "said-aside", feedback, note);
    typeset(panel);
    if (focus && el.getClientRects().length > 0) {
      field.focus({preventScroll: true});
      field.select();  // what was typed stays, to mend or to type over
    }
  }

  quiz.listen((what) => {
    if (what !== "switch") return;
    if (quiz.on) {  // what is on screen has been seen: only the steps ahead are asked
      for (let k = 1; k <= Math.min(here, asked.length); k++) {
        for (const each of asked[k - 1]) if (each.outcome === null) each.outcome = "seen";
      }
    }
    refresh();
  });

  return {
    panel: panel,
    open: open,
    shown: (k) => (open(k) ? k - 1 : k),  // the step whose gradients show while at step k
    reach: reach,
    answered: () => (open(reach()) ? reach() - 1 : reach()),  // the last step before one open
    visible: visible,
    show(k) {
      if (k !== here) note = "";
      here = k;
      render(true);
    },
    held() {
      if (open(here)) note = "Answer this one first (Enter checks it), or Esc to reveal it.";
    },
    keys: {Escape: reveal, "?": hint},
  };
}

// A prediction as typed: 0.25, -.5, 1.2e-3, 1,5 (a decimal comma), 14.4% or inf; null if it
// is not a number. A typographic minus (−) is a minus.
function readNumber(text) {
  let written = text.replace(/\u2212/g, "-").replace(/\s+/g, "");
  let scale = 1;
  if (written.endsWith("%")) {
    written = written.slice(0, -1);
    scale = 0.01;
  }
  if (/^[-+]?\d+,\d+$/.test(written)) written = written.replace(",", ".");
  if (/^[-+]?inf(inity)?$/i.test(written)) return written.startsWith("-") ? -Infinity : Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(written)) return null;
  return Number(written) * scale;
}

// The exact number a question asks for, written as Python's repr ("inf" for infinity).
function exactValue(text) {
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  return Number(text);
}

// Whether a prediction with fewer decimals than the page writes is the answer rounded to
// them (0.14 for 0.1443): right as far as it goes, neither right nor wrong.
function asFarAsItGoes(text, typed, exact, within) {
  const decimals = /^[-+\u2212]?\d*\.(\d+)$/.exec(text);  // no exponent, no percent sign
  if (decimals === null) return false;
  const unit = Math.pow(10, -decimals[1].length);
  return unit > 1.5 * within && Math.abs(typed - exact) <= unit / 2 + within;
}
