// The forward-mode tab (micrograd_like.forward_tab): forward mode of the cost C by one node W,
// stepped one node at a time from the inputs up on the scalar view's own drawing, beside the
// backward pass. Each step writes the node's tangent d node/dW under its box (how the node moves
// when W moves: not a gradient of C), outlines the node and the inputs whose tangents it reads,
// and shows its chain-rule line, d node/dW = Σ ∂node/∂input × d input/dW. The last step is dC/dW;
// there the tab compares the two passes (the same number, the same local derivatives multiplied
// in the other order, and what each costs for the whole gradient).
//
// It imports nothing. page.js imports it: mountScalar, given data.forward, calls
// mountForwardTabs, and hands over what the two views share (`shared`: make, stepControls,
// graphTools and mountScalar itself), since importing them from page.js would close an import
// cycle, which the bundle refuses.
//
// The quiz. The tab asks nothing, and its tangents and local derivatives are no gradient of C;
// but its last number, dC/dW, is one. While the backward view has an open question at any step
// up to data.forward.reached (the step after which W's gradient is final), the last step shows
// its line up to "= ?" and a note instead of the number and the comparison, which are then not
// in the page at all, hidden or not: the rule the rest of the page keeps for every gradient.

// Two tabs in `el`: the backward pass (mountScalar on the same data without data.forward) and
// forward mode, mounted the first time it is shown (it measures its drawing's boxes). Returns
// the backward view's handle, as mountScalar does, and open("backward" | "forward").
export function mountForwardTabs(el, data, options, shared) {
  const fwd = data.forward;
  el.classList.add("backprop");
  el.innerHTML = "";
  const bar = shared.make("div", "tabs forward-tabs", el);
  const backTab = shared.make("button", "tab tab-backward", bar,
                              "Backward pass: d" + data.root + "/d every node (" +
                              data.steps.length + " steps)");
  const forwardTab = shared.make("button", "tab tab-forward", bar,
                                 "Forward mode: " + fwd.title + " (" + fwd.steps.length +
                                 " steps)");
  const backPane = shared.make("div", "pane pane-backward", el);
  const forwardPane = shared.make("div", "pane pane-forward", el);
  const backward = shared.mountScalar(backPane, Object.assign({}, data, {forward: null}),
                                      options);
  let forward = null;
  function open(which) {
    backTab.classList.toggle("active", which === "backward");
    forwardTab.classList.toggle("active", which === "forward");
    backPane.style.display = which === "backward" ? "" : "none";
    forwardPane.style.display = which === "forward" ? "" : "none";
    if (which !== "forward") return;
    // the backward view may have answered questions meanwhile: shown again, held or not
    if (forward === null) forward = mountForward(forwardPane, data, options, shared, backward);
    else forward.refresh();
  }
  backTab.addEventListener("click", () => open("backward"));
  forwardTab.addEventListener("click", () => open("forward"));
  open("backward");
  return Object.assign({}, backward, {open: open});
}

// The forward stepper: step 0 is the forward pass's values alone, step k is "after node k" in
// data.forward.steps (the graph's topological order, inputs first). `backward.asking(k)` says
// whether the backward view's step k has a question open.
function mountForward(el, data, options, shared, backward) {
  const fwd = data.forward, total = fwd.steps.length;
  el.classList.add("backprop");
  el.tabIndex = 0;
  const controls = shared.make("div", "controls", el);
  const stepper = shared.stepControls(el, controls, total, show, options, 900, null, null);
  const status = shared.make("span", "status", controls);
  shared.make("p", "note", el,
              "Forward mode: the chain rule from " + fwd.name + " up to " + data.root +
              ". Under each box, d node/d" + fwd.name + ": how the node moves when " +
              fwd.name + " moves (a tangent, not a gradient of " + data.root + "). " +
              "One pass gives the derivative by " + fwd.name + " alone.");
  const graph = tangentGraph(shared.make("div", "graph", el), data, shared);
  const lines = shared.make("pre", "lines forward-lines", el);
  const end = shared.make("div", "forward-end", el);
  forwardKey(shared.make("div", "legend forward-key", el), fwd, shared);

  function held() {  // dC/dW waits for the backward pass's questions up to W's gradient
    for (let k = 1; k <= fwd.reached; k++) if (backward.asking(k)) return true;
    return false;
  }

  function show(step) {
    const current = step > 0 ? fwd.steps[step - 1] : null;
    const waiting = step === total && held();
    status.textContent = current === null
      ? "Forward mode: values only (" + total + " steps to go, one per node, inputs first)"
      : "Step " + step + " of " + total + ": " + current.name +
        (current.op ? " (" + current.op + ")" : " (a leaf)");
    graph.show(step, waiting);
    lines.textContent = current === null ? fwd.intro : waiting ? fwd.held.text : current.text;
    showEnd(end, step === total ? (waiting ? "held" : "done") : "", fwd, shared);
  }

  // an answer in the backward view, or the quiz's switch, may hold dC/dW back or let it go
  if (options.quiz) {
    options.quiz.listen(() => {
      if (el.getClientRects().length > 0) show(stepper.step());
    });
  }
  show(0);
  return {go: stepper.go, refresh: () => show(stepper.step())};
}

// The drawing: the SVG Graphviz drew for the scalar view (same ids: box n4, op n4_op, edges
// n4_in0, n4_out), with page.js's zoom, pan and search, and each node's tangent written under
// its box from its own step on. The current node, its op and the edges from its inputs are
// outlined as in the backward pass; the inputs whose tangents it reads, in orange.
function tangentGraph(box, data, shared) {
  if (data.svg === null) {  // too many nodes to lay out: the scalar view says how to draw it
    shared.make("p", "too-large", box, data.too_large);
    return {show() {}};
  }
  const fwd = data.forward;
  box.innerHTML = data.svg;
  const svg = box.querySelector("svg");
  const byId = (id) => svg.querySelector('[id="' + id + '"]');
  const room = 14;  // under the lowest box, for its tangent
  svg.viewBox.baseVal.height += room;
  svg.setAttribute("height", (parseFloat(svg.getAttribute("height")) + room) + "pt");
  const texts = {};
  for (const record of fwd.steps) {
    const shape = byId(record.node), bounds = shape.getBBox();
    const text = document.createElementNS(svg.namespaceURI, "text");
    text.setAttribute("x", bounds.x + bounds.width / 2);
    text.setAttribute("y", bounds.y + bounds.height + 11);
    text.setAttribute("text-anchor", "middle");
    text.setAttribute("font-size", "10");
    shape.appendChild(text);
    texts[record.node] = text;
  }
  const tools = shared.graphTools(box, svg, data);
  const per = "d/d" + fwd.name + " ";
  return {
    show(step, waiting) {
      fwd.steps.forEach((record, k) => {
        const text = texts[record.node];
        const hide = waiting && k === fwd.steps.length - 1;  // dC/dW, held for the quiz
        text.textContent = k < step ? per + (hide ? "?" : record.tangent) : "";
        text.setAttribute("class", "graph-tangent" + (hide ? " held"
          : record.seed ? " seed" : record.zero ? " zero" : ""));
      });
      for (const marked of svg.querySelectorAll(".current, .reading")) {
        marked.classList.remove("current", "reading");
      }
      const current = step > 0 ? fwd.steps[step - 1] : null;
      if (current === null) return;
      tools.follow(current.node);
      for (const part of [current.node, current.node + "_op", current.node + "_out"]) {
        const shape = byId(part);
        if (shape) shape.classList.add("current");
      }
      for (const edge of current.edges) byId(edge).classList.add("current");
      for (const input of current.inputs) byId(input).classList.add("reading");
    },
  };
}

// Under the lines, at the last step: the two passes compared (data.forward.end), or while the
// quiz holds dC/dW back, the note saying what to answer first. Empty before the last step.
function showEnd(box, what, fwd, shared) {
  box.innerHTML = "";
  box.className = "forward-end" + (what ? " " + what : "");
  if (what === "held") {
    shared.make("p", "forward-held", box, fwd.held.note);
    return;
  }
  if (what !== "done") return;
  const ending = fwd.end;
  shared.make("pre", "forward-summary", box, ending.summary.join("\n"));
  shared.make("p", "forward-paths-note", box, ending.paths.note);
  for (const path of ending.paths.tables) {
    const table = shared.make("table", "forward-path", box);
    if (path.title) shared.make("caption", "", table, path.title);
    const head = shared.make("tr", "", shared.make("thead", "", table));
    for (const title of path.head) shared.make("th", "", head, title).colSpan = 2;
    const body = shared.make("tbody", "", table);
    for (const row of path.rows) {
      const tr = shared.make("tr", "", body);
      row.forEach((cell, k) => shared.make("td", k % 2 === 0 ? "factor" : "product", tr, cell));
    }
  }
  shared.make("p", "forward-count", box, ending.count);
}

// The key: what the outlines and the numbers under the boxes mean here.
function forwardKey(box, fwd, shared) {
  shared.make("strong", "", box, "Key");
  const list = shared.make("ul", "", box);
  const item = (sampleClass, sample, words) => {
    const li = shared.make("li", "", list);
    shared.make("span", sampleClass, li, sample);
    li.appendChild(document.createTextNode(words));
  };
  item("swatch current", "", "the current step: the node, its op and the edges from its inputs");
  item("swatch reading", "", "the inputs whose tangents it reads, found at their own steps");
  const per = "d/d" + fwd.name;
  item("tangent-sample", per + " 0.25",
       " d node/d" + fwd.name + ": how much the node moves per unit " + fwd.name + " moves");
  item("tangent-sample zero", per + " 0.0",
       " the node does not move with " + fwd.name + " (no path leads from " + fwd.name +
       " to it)");
}
