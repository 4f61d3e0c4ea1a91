// The model view (micrograd_like.model_view): every parameter matrix as two heatmaps, its values
// and its gradients after one backward pass; a click on a weight writes the chain rule for it,
// dL/dw = Σ_u ∂u/∂w × dL/du, one term per node u that uses it, with the engine's numbers, and
// draws its scalar neighbourhood (its inputs, itself, its users; never the whole graph); a click
// on a term moves to that node and its own sum, and the stepping page's keys walk up to the
// loss and back. With a GradientHealth's records, plots of the gradients' health over training.
// It imports nothing and runs nothing when loaded: mountModel(el, data, options) does it all.
//
// `data` is the dict model_view.model_data() makes. Its numbers come as deflated blocks of
// little-endian binary columns (readBlock). The graph's block has one column per quantity over
// the nodes in topological order (node i is n{i}, as everywhere in the package): value,
// gradient, the local derivatives ∂node/∂input1 and ∂node/∂input2, how many places back
// each input is, op and role. Who uses a node, names, the terms of a sum and a neighbourhood are
// worked out here, only when shown. Notation as on the stepping page: ∂ for an op's local
// derivative, d for the loss's gradient; the loss by its own name.

const MV_CONSTANT = 1;
const MV_MAX_TERMS = 200;
const MV_MAX_USERS_DRAWN = 5;
const MV_WRAP = 32;

// ---- numbers as the package writes them

// micrograd_like.floats.format_number, as the pages write it: Python's repr of round(x, 4), or
// for a number that rounds to 0 its 4 significant digits (1.2e-07), infinities as inf, and a
// zero never with a minus sign. model_view.format_value is the same function in Python.
export function formatNumber(x) {
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Number.isNaN(x)) return "nan";
  if (x === 0) return "0.0";
  const rounded = roundToFourDecimals(x);
  if (rounded !== 0) return pythonRepr(rounded);
  const [mantissa, exponent] = x.toExponential(3).split("e");
  const digits = mantissa.replace(/0+$/, "").replace(/\.$/, "");
  const power = Number(exponent);
  return digits + "e" + (power < 0 ? "-" : "+") + String(Math.abs(power)).padStart(2, "0");
}

// A number inside a product: negatives in brackets, as steps.py writes 0.5 × (-2.0).
export function formatFactor(x) {
  const text = formatNumber(x);
  return text.startsWith("-") ? "(" + text + ")" : text;
}

// Python's round(x, 4): the 4-decimal number nearest to x's exact value, a tie to the even
// one. toFixed rounds the exact value too but breaks a tie upwards; an exact tie is a float
// x * 10^4 with a fraction of exactly 1/2, which happens only for x = odd / 32.
function roundToFourDecimals(x) {
  if (!(Number.isInteger(x * 32) && !Number.isInteger(x * 16))) return Number(x.toFixed(4));
  const twice = BigInt(Math.abs(x * 32)) * 625n;  // 2 x 10^4 |x|, an odd integer
  const low = (twice - 1n) / 2n;
  const even = low % 2n === 0n ? low : low + 1n;
  const digits = even.toString().padStart(5, "0");
  const text = digits.slice(0, -4) + "." + digits.slice(-4);
  return Number(x < 0 ? "-" + text : text);
}

// Python's repr of a float: its shortest digits (as JavaScript's), laid out as Python does:
// 1e+16 and 1e-05 with an exponent, 0.0001 to 1e16 without, and always a decimal point.
function pythonRepr(x) {
  const [mantissa, exponent] = x.toExponential().split("e");
  const sign = mantissa.startsWith("-") ? "-" : "";
  const digits = mantissa.replace("-", "").replace(".", "");
  const power = Number(exponent);
  if (power < -4 || power >= 16) {
    const head = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
    return sign + head + "e" + (power < 0 ? "-" : "+") + String(Math.abs(power)).padStart(2, "0");
  }
  if (power < 0) return sign + "0." + "0".repeat(-power - 1) + digits;
  const whole = digits.slice(0, power + 1).padEnd(power + 1, "0");
  return sign + whole + "." + (digits.slice(power + 1) || "0");
}

// A number of the data's JSON: a float, or "inf" / "-inf" (JSON has no infinity).
function jsonNumber(x) {
  return x === "inf" ? Infinity : x === "-inf" ? -Infinity : x;
}

// ---- the data's binary blocks

// The columns of a block model_view._pack made: base64, deflated (zlib), then float64 ("d"),
// int32 ("i"), uint16 ("H") or uint8 ("B") columns, little-endian, each at its offset: a
// promise of them, by name.
export function readBlock(block) {
  const text = atob(block.deflated);
  const packed = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) packed[i] = text.charCodeAt(i);
  const inflated = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Response(inflated).arrayBuffer().then((buffer) => {
    const bytes = new DataView(buffer);
    const columns = {};
    for (const name of Object.keys(block.columns)) {
      const [code, offset, count] = block.columns[name];
      columns[name] = readColumn(bytes, code, offset, count);
    }
    return columns;
  });
}

function readColumn(bytes, code, offset, count) {
  const kinds = {
    d: [Float64Array, 8, (at) => bytes.getFloat64(at, true)],
    i: [Int32Array, 4, (at) => bytes.getInt32(at, true)],
    H: [Uint16Array, 2, (at) => bytes.getUint16(at, true)],
    B: [Uint8Array, 1, (at) => bytes.getUint8(at)],
  };
  if (!Object.hasOwn(kinds, code)) throw new Error("model view: unknown column type " + code);
  const [Kind, size, read] = kinds[code];
  const column = new Kind(count);
  for (let i = 0; i < count; i++) column[i] = read(offset + size * i);
  return column;
}

// ---- the graph: who uses whom, names, the chain rule at one node

// The graph of the data's `graph` entry and its inflated columns. Each node's users are kept
// as compressed sparse rows, userStart[v] .. userStart[v + 1] of `users` (and `positions`:
// which input of the user v is), in the order the engine's backward pass adds their shares
// into dL/dv: the later user first, and a user's first input before its second.
export function readModelGraph(graph, columns) {
  const count = graph.count;
  const input1 = new Int32Array(count), input2 = new Int32Array(count);
  const start = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    input1[i] = columns.back1[i] > 0 ? i - columns.back1[i] : -1;
    input2[i] = columns.back2[i] > 0 ? i - columns.back2[i] : -1;
    if (input1[i] >= 0) start[input1[i] + 1] += 1;
    if (input2[i] >= 0) start[input2[i] + 1] += 1;
  }
  for (let v = 0; v < count; v++) start[v + 1] += start[v];
  const next = start.slice(0, count);
  const users = new Int32Array(start[count]), positions = new Uint8Array(start[count]);
  for (let u = count - 1; u >= 0; u--) {
    for (const [input, position] of [[input1[u], 0], [input2[u], 1]]) {
      if (input < 0) continue;
      users[next[input]] = u;
      positions[next[input]] = position;
      next[input] += 1;
    }
  }
  return {
    count: count,
    root: count - 1,
    data: columns.data,
    grad: columns.grad,
    local1: columns.local1,
    local2: columns.local2,
    input1: input1,
    input2: input2,
    op: columns.op,
    role: columns.role,
    ops: graph.ops,
    labels: new Map(graph.labels.map((pair) => [pair[0], pair[1]])),
    userStart: start,
    users: users,
    positions: positions,
  };
}

// view.GraphView.name: the label, else the op's word and the node's index (mul4, const3).
export function nodeName(graph, i) {
  const label = graph.labels.get(i);
  if (label !== undefined) return label;
  return (graph.role[i] === MV_CONSTANT ? "const" : graph.ops[graph.op[i]].word) + i;
}

// steps.local_formula: ∂u/∂(input `position` of u) from the formula registered with the op,
// the inputs' and the output's names put in for a, b and out, the exponent for n; "?" for an
// op without formulas.
export function localFormula(graph, u, position) {
  const op = graph.ops[graph.op[u]];
  const formula = op.formulas && position < op.formulas.length ? op.formulas[position] : null;
  if (formula === null || formula === undefined) return "?";
  const symbols = new Map([["a", nodeName(graph, graph.input1[u])], ["out", nodeName(graph, u)]]);
  if (graph.input2[u] >= 0) symbols.set("b", nodeName(graph, graph.input2[u]));
  if (op.power) symbols.set("n", op.op.slice(2));
  return formula.replace(/(?<![\p{L}\p{N}_])(a|b|n|out)(?![\p{L}\p{N}_])/gu,
    (whole, symbol) => (symbols.has(symbol) ? symbols.get(symbol) : symbol));
}

// dL/dv by the chain rule: one term ∂u/∂v × dL/du for each use of v (an input used twice by
// one op, as in v * v, is two terms), in the engine's order, and their sum, added up as the
// backward pass adds them (from 0): the same float as v's gradient, bit for bit.
export function chainRule(graph, v) {
  const terms = [];
  let sum = 0;
  for (let k = graph.userStart[v]; k < graph.userStart[v + 1]; k++) {
    const u = graph.users[k], position = graph.positions[k];
    const local = position === 0 ? graph.local1[u] : graph.local2[u];
    const value = local * graph.grad[u];
    terms.push({user: u, position: position, local: local, upstream: graph.grad[u], value: value});
    sum += value;
  }
  return {terms: terms, sum: sum};
}

// The user a walk up to the loss takes next from v: the largest term's (the first of equals);
// null at the loss, which nothing uses.
function nextHopUp(graph, v) {
  let best = null;
  for (const term of chainRule(graph, v).terms) {
    if (best === null || Math.abs(term.value) > Math.abs(best.value)) best = term;
  }
  return best === null ? null : best.user;
}

// ---- small builders

function modelElement(tag, className, parent, text) {
  const created = document.createElement(tag);
  if (className) created.className = className;
  if (text !== undefined) created.textContent = text;
  if (parent) parent.appendChild(created);
  return created;
}

function modelSvg(tag, attributes, parent, text) {
  const created = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const name of Object.keys(attributes)) created.setAttribute(name, attributes[name]);
  if (text !== undefined) created.textContent = text;
  if (parent) parent.appendChild(created);
  return created;
}

function shorten(text, most) {
  return text.length > most ? text.slice(0, most - 1) + "\u2026" : text;
}

// Blue for positive, red for negative, white at 0, full at ±scale (the stepping page's and the
// network view's colours for a sign).
function divergingColour(x, scale) {
  const t = scale > 0 ? Math.max(-1, Math.min(1, x / scale)) : 0;
  const [r, g, b] = t >= 0 ? [37, 99, 235] : [220, 38, 38];
  const mix = (full) => Math.round(255 + (full - 255) * Math.abs(t));
  return "rgb(" + mix(r) + "," + mix(g) + "," + mix(b) + ")";
}

function seriesColour(k) {
  const colours = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777",
    "#65a30d", "#4b5563", "#9333ea", "#ea580c", "#0d9488"];
  return colours[k % colours.length];
}

// ---- the page

// Renders the model view inside `el`. options.documentKeys: the keys work anywhere in the
// document (the standalone page); otherwise while `el` has the focus or the pointer.
// options.signal (an AbortSignal, optional): aborting it removes the view's document listener,
// for a host that replaces the view (the notebook widget, at each update).
// Returns {ready, select(group, k), go(node), state()}: `ready` settles once the numbers are
// inflated and drawn (el.dataset.ready is then "true", or "failed" with the reason shown);
// select (entry k of group number `group`) and go (a hop to node number `node`) wait for it.
export function mountModel(el, data, options) {
  options = options || {};
  el.classList.add("model-view");
  el.tabIndex = 0;
  el.innerHTML = "";
  const lossName = data.loss.name;

  const head = modelElement("p", "mv-loss", el);
  head.appendChild(document.createTextNode("Loss " + lossName + " = "));
  modelElement("span", "mv-value", head, formatNumber(jsonNumber(data.loss.value)));
  if (data.example !== null) head.appendChild(document.createTextNode(", on " + data.example));
  modelElement("p", "mv-note", el, data.nodes.toLocaleString("en-US") + " nodes, " +
    data.parameters.toLocaleString("en-US") + " parameters in " + data.groups.length +
    " groups. " + data.note);

  modelElement("h2", "", el, "Parameters at a glance");
  const table = groupTable(modelElement("div", "", el), data, lossName);
  modelElement("p", "mv-note", el, "Values and gradients d" + lossName + "/dw: blue positive, " +
    "red negative, white 0, each map on its own scale (written under it); grey: not used by " +
    lossName + " (gradient 0). Click an entry for the chain rule of its gradient.");
  // the maps on the left, the chain rule beside them (below them in a narrow window)
  const columns = modelElement("div", "mv-columns", el);
  const left = modelElement("div", "mv-left", columns);
  const right = modelElement("div", "mv-right", columns);
  const readout = modelElement("div", "mv-readout", left, "Point at an entry for its numbers.");
  const cardsBox = modelElement("div", "mv-cards", left);
  const drillHead = modelElement("h2", "", right, "The chain rule, one weight at a time");
  const drillBox = modelElement("div", "mv-drill", right);
  const healthBox = modelElement("div", "mv-health", el);
  modelKey(modelElement("div", "mv-key", el), data, lossName);

  let cards = [], drill = null, selected = null, cells = null;
  const offsets = [];
  data.groups.reduce((at, group) => { offsets.push(at); return at + group.size; }, 0);

  function select(group, k) {
    if (selected !== null) cards[selected.group].mark(null);
    selected = {group: group, k: k};
    cards[group].mark(k);
    table.mark(group);
    const node = cells.node[offsets[group] + k];
    if (drill !== null) drill.start(node, cellName(data.groups[group], k));
  }

  const ready = Promise.all([
    readBlock(data.cells),
    data.graph ? readBlock(data.graph.numbers) : Promise.resolve(null),
  ]).then(([cellColumns, graphColumns]) => {
    cells = cellColumns;
    const picked = (g, k) => {  // a click on a map: its chain rule, brought into view
      select(g, k);
      const shown = drillHead.getBoundingClientRect();
      if (shown.top < 0 || shown.top > window.innerHeight - 60) {
        drillHead.scrollIntoView({block: "start"});
      }
    };
    cards = data.groups.map((group, g) => heatmapCard(cardsBox, group, offsets[g], cells,
      lossName, (k) => picked(g, k), (k) => {
        readout.textContent = k === null ? "Point at an entry for its numbers."
          : cellReadout(group, k, offsets[g], cells, lossName);
      }));
    if (data.graph) {
      drill = drillDown(el, drillBox, readModelGraph(data.graph, graphColumns), data, options);
    } else {
      modelElement("p", "mv-too-large", drillBox, data.too_large);
    }
    if (data.health) healthPlots(healthBox, data.health, lossName);
    let best = {group: 0, k: 0, size: -1};
    data.groups.forEach((group, g) => {
      for (let k = 0; k < group.size; k++) {
        const size = Math.abs(cells.grad[offsets[g] + k]);
        if (size > best.size) best = {group: g, k: k, size: size};
      }
    });
    if (data.groups.length > 0) select(best.group, best.k);
    el.dataset.ready = "true";
  }).catch((error) => {
    modelElement("p", "mv-too-large", el, "The model view failed: " + error + " (it reads its " +
      "numbers with DecompressionStream: Chrome 80, Firefox 113, Safari 16.4 or newer).");
    el.dataset.ready = "failed";
    throw error;
  });

  return {
    ready: ready,
    select: (group, k) => ready.then(() => select(group, k)),
    go: (node) => ready.then(() => (drill === null ? null : drill.go(node))),
    state: () => ({selected: selected, drill: drill === null ? null : drill.state()}),
  };
}

function cellName(group, k) {
  if (group.shape.length === 2) {
    return group.name + "[" + Math.floor(k / group.shape[1]) + "," + (k % group.shape[1]) + "]";
  }
  return group.shape.length === 1 ? group.name + "[" + k + "]" : group.name;
}

function shapeText(shape) {
  return shape.length === 0 ? "1 (a single value)" : shape.join(" \u00D7 ");
}

// The table of groups: name, shape, how many entries the loss uses, the norms.
function groupTable(box, data, lossName) {
  const table = modelElement("table", "mv-groups", box);
  const head = modelElement("tr", "", modelElement("thead", "", table));
  for (const title of ["group", "shape", "used by " + lossName, "\u2016w\u2016",
    "\u2016d" + lossName + "/dw\u2016", "max |d" + lossName + "/dw|"]) {
    modelElement("th", "", head, title);
  }
  const body = modelElement("tbody", "", table);
  const rows = data.groups.map((group) => {
    const row = modelElement("tr", "", body);
    modelElement("td", "", row, group.name);
    modelElement("td", "", row, shapeText(group.shape));
    modelElement("td", "", row, group.used + " of " + group.size);
    for (const x of [group.norm, group.grad_norm, group.grad_max]) {
      modelElement("td", "", row, formatNumber(jsonNumber(x)));
    }
    return row;
  });
  return {
    mark(g) {
      rows.forEach((row, k) => row.classList.toggle("mv-selected", k === g));
    },
  };
}

// Where entry k of a group is drawn: a matrix as it is, a vector in rows of MV_WRAP.
function mapLayout(group) {
  const [rows, columns] = group.shape.length === 2 ? group.shape
    : group.shape.length === 1 ? [Math.ceil(group.size / MV_WRAP), Math.min(group.size, MV_WRAP)]
    : [1, 1];
  const cell = Math.max(1, Math.min(10, Math.floor(320 / columns), Math.floor(320 / rows)));
  return {rows: rows, columns: columns, cell: cell};
}

function cellReadout(group, k, offset, cells, lossName) {
  const label = group.labels ? group.labels[k] : "";
  const name = cellName(group, k) + (label ? " (" + label + ")" : "");
  const node = cells.node[offset + k];
  return name + ": value " + formatNumber(cells.data[offset + k]) + ", d" + lossName + "/dw " +
    (node < 0 ? "0.0 (not used by " + lossName + ")" : formatNumber(cells.grad[offset + k]));
}

// One group's card: its title and numbers, and its two heatmaps, values and gradients, each on
// its own symmetric scale (the largest magnitude in the map), written under it.
function heatmapCard(parent, group, offset, cells, lossName, pick, hover) {
  const card = modelElement("div", "mv-card", parent);
  card.dataset.group = group.name;
  const title = modelElement("div", "mv-card-title", card);
  modelElement("strong", "", title, group.name);
  title.appendChild(document.createTextNode("  " + shapeText(group.shape) + "  "));
  modelElement("span", "mv-stats", title, "\u2016w\u2016 = " +
    formatNumber(jsonNumber(group.norm)) + " \u00B7 \u2016d" + lossName + "/dw\u2016 = " +
    formatNumber(jsonNumber(group.grad_norm)));
  const layout = mapLayout(group);
  const values = cells.data.subarray(offset, offset + group.size);
  const grads = cells.grad.subarray(offset, offset + group.size);
  const unused = (k) => cells.node[offset + k] < 0;
  const maps = modelElement("div", "mv-maps", card);
  const both = [
    map(maps, "values w", values, () => false, "value"),
    map(maps, "gradients d" + lossName + "/dw", grads, unused, "grad"),
  ];
  if (group.shape.length === 1 && group.size > MV_WRAP) {
    modelElement("div", "mv-scale", card, "(a vector of " + group.size + ", drawn in rows of " +
      MV_WRAP + ")");
  }

  function map(box, caption, numbers, skip, kind) {
    const figure = modelElement("figure", "mv-map", box);
    modelElement("figcaption", "", figure, caption);
    const canvas = modelElement("canvas", "mv-heatmap mv-" + kind, figure);
    canvas.width = layout.columns * layout.cell;
    canvas.height = layout.rows * layout.cell;
    canvas.dataset.rows = layout.rows;
    canvas.dataset.columns = layout.columns;
    canvas.dataset.cell = layout.cell;
    let scale = 0;
    for (let k = 0; k < numbers.length; k++) {
      if (!skip(k) && Number.isFinite(numbers[k])) scale = Math.max(scale, Math.abs(numbers[k]));
    }
    const bar = modelElement("div", "mv-scale", figure);
    bar.style.width = Math.max(canvas.width, 120) + "px";
    modelElement("div", "mv-bar", bar);
    const ticks = modelElement("div", "mv-ticks", bar);
    const written = formatNumber(scale);
    for (const text of [scale > 0 ? "-" + written : "0.0", "0", scale > 0 ? written : "all 0"]) {
      modelElement("span", "", ticks, text);
    }
    canvas.dataset.scale = written;
    const at = (event) => {
      const box = canvas.getBoundingClientRect();
      const column = Math.floor((event.clientX - box.left - canvas.clientLeft) / layout.cell);
      const row = Math.floor((event.clientY - box.top - canvas.clientTop) / layout.cell);
      const k = row * layout.columns + column;
      return column >= 0 && column < layout.columns && row >= 0 && k < group.size ? k : null;
    };
    canvas.addEventListener("click", (event) => {
      const k = at(event);
      if (k !== null) pick(k);
    });
    canvas.addEventListener("mousemove", (event) => hover(at(event)));
    canvas.addEventListener("mouseleave", () => hover(null));
    return {
      paint(chosen) {
        const context = canvas.getContext("2d");
        const size = layout.cell;
        context.fillStyle = "#ffffff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        for (let k = 0; k < group.size; k++) {
          const x = (k % layout.columns) * size, y = Math.floor(k / layout.columns) * size;
          context.fillStyle = skip(k) ? "#d1d5db" : divergingColour(numbers[k], scale);
          context.fillRect(x, y, size, size);
        }
        if (chosen !== null) {  // outlined, at least 4 px wide however small the cells
          const wide = Math.max(size, 4), pad = (wide - size) / 2 + 1;
          const x = (chosen % layout.columns) * size;
          const y = Math.floor(chosen / layout.columns) * size;
          context.lineWidth = 2;
          context.strokeStyle = "#111827";
          context.strokeRect(x - pad, y - pad, wide + 2, wide + 2);
        }
      },
    };
  }

  const mark = (k) => {
    for (const each of both) each.paint(k);
    card.classList.toggle("mv-chosen", k !== null);
  };
  mark(null);
  return {mark: mark};
}

// ---- the drill-down: one node's sum, its neighbourhood, and the walk to the loss and back

function drillDown(el, box, graph, data, options) {
  const lossName = data.loss.name;
  const roleFills = data.key.roles.map((role) => role.fill);
  const controls = modelElement("div", "mv-controls", box);
  const button = (className, text, title, action) => {
    const created = modelElement("button", className, controls, text);
    created.type = "button";
    created.title = title;
    created.addEventListener("click", action);
    return created;
  };
  button("mv-first", "\u00AB Weight", "back to the weight you clicked (Home)", () => go(0));
  button("mv-back", "\u25C0 Back", "one hop back (left arrow)", () => go(at - 1));
  button("mv-up", "Up \u25B6", "one hop up, along the largest term (right arrow)", () => up());
  button("mv-end", "To " + lossName + " \u00BB", "hop up to the loss (End)", () => toLoss());
  const play = button("mv-play", "Play", "walk up to the loss, hop by hop (space)", () => toggle());
  const status = modelElement("span", "mv-status", controls);
  const trailBox = modelElement("div", "mv-trail", box);
  const picture = modelElement("div", "mv-neighbourhood", box);
  const sumBox = modelElement("div", "mv-sum", box);

  let trail = [], at = 0, origin = "", timer = null;

  function start(node, name) {
    stop();
    origin = name;
    trail = node < 0 ? [] : [node];
    at = 0;
    show();
  }

  function go(k) {
    if (trail.length === 0) return;
    at = Math.max(0, Math.min(trail.length - 1, k));
    show();
  }

  function hop(node) {  // to a node of the neighbourhood or of the sum: the trail goes on from here
    if (trail.length === 0 || node === trail[at]) return;
    trail = trail.slice(0, at + 1);
    trail.push(node);
    at = trail.length - 1;
    show();
  }

  function up() {  // forward along the trail, or a new hop along the largest term
    if (trail.length === 0) return false;
    if (at < trail.length - 1) {
      go(at + 1);
      return true;
    }
    const next = nextHopUp(graph, trail[at]);
    if (next === null) return false;
    hop(next);
    return true;
  }

  function toLoss() {  // every hop up along the largest terms, then the loss shown
    if (trail.length === 0) return;
    at = trail.length - 1;
    for (let next = nextHopUp(graph, trail[at]); next !== null; next = nextHopUp(graph, next)) {
      trail.push(next);
    }
    at = trail.length - 1;
    show();
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    play.textContent = "Play";
  }

  function toggle() {
    if (timer !== null) return stop();
    if (trail.length === 0) return;
    if (trail[at] === graph.root) go(0);
    play.textContent = "Pause";
    timer = setInterval(() => {
      if (!up()) stop();
    }, 900);
  }

  function show() {
    trailBox.innerHTML = "";
    picture.innerHTML = "";
    sumBox.innerHTML = "";
    if (trail.length === 0) {
      status.textContent = origin + ": not used by " + lossName;
      modelElement("div", "mv-sum-head", sumBox, "Nothing in the graph of " + lossName +
        " uses " + origin + ": d" + lossName + "/d" + origin + " = 0.");
      return;
    }
    const v = trail[at];
    const name = nodeName(graph, v), op = graph.ops[graph.op[v]].op;
    status.textContent = at === 0
      ? origin + (origin === name ? "" : " (node " + name + ")") + ": the weight"
      : "Hop " + at + " of " + (trail.length - 1) + ": " + name + (op ? " (" + op + ")" : "") +
        (v === graph.root ? ", the loss" : "");
    trail.forEach((node, k) => {
      if (k > 0) modelElement("span", "mv-arrow", trailBox, "\u2192");
      const chip = modelElement("span", "mv-hop" + (k === at ? " mv-here" : ""), trailBox,
        shorten(nodeName(graph, node), 28));
      chip.title = nodeName(graph, node);
      chip.addEventListener("click", () => go(k));
    });
    neighbourhood(picture, graph, v, roleFills, lossName, hop);
    sumLines(sumBox, graph, v, lossName, hop);
  }

  let hovered = false;
  el.addEventListener("mouseenter", () => { hovered = true; });
  el.addEventListener("mouseleave", () => { hovered = false; });
  const keys = new Map([
    ["ArrowRight", () => up()],
    ["ArrowLeft", () => go(at - 1)],
    ["Home", () => go(0)],
    ["End", () => toLoss()],
    [" ", () => toggle()],
  ]);
  document.addEventListener("keydown", (event) => {
    const action = keys.get(event.key);
    if (!action || !el.isConnected || el.getClientRects().length === 0) return;
    const typing = event.target.closest && event.target.closest("input, textarea, select");
    const ours = options.documentKeys || el.contains(document.activeElement) || hovered;
    if (typing || !ours || trail.length === 0) return;
    action();
    event.preventDefault();
  }, {signal: options.signal});  // a host that mounts again aborts the old view's listener

  return {
    start: start,
    go: (node) => hop(node),
    state: () => ({trail: trail.slice(), at: at, node: trail.length ? trail[at] : null,
                   origin: origin}),
  };
}

// The chain-rule lines of node v: the sum's shape, one clickable line per term with its
// formula and numbers, and the total, which is v's gradient in the engine.
function sumLines(box, graph, v, lossName, hop) {
  const name = nodeName(graph, v);
  const grad = "d" + lossName + "/d" + name;
  if (v === graph.root) {
    modelElement("div", "mv-sum-head", box, grad + " = 1 (the loss itself: the backward pass " +
      "starts here, and nothing uses it)");
    return;
  }
  const rule = chainRule(graph, v);
  const count = rule.terms.length;
  const nodes = new Set(rule.terms.map((term) => term.user)).size;
  modelElement("div", "mv-sum-head", box, count === 1
    ? grad + " = \u2202u/\u2202" + name + " \u00D7 d" + lossName + "/du: one node u uses " + name
    : grad + " = \u03A3 \u2202u/\u2202" + name + " \u00D7 d" + lossName + "/du over the " + count +
      " uses of " + name + (nodes < count ? " (by " + nodes + " nodes)" : "") +
      ": click a term to move to its node");
  const next = nextHopUp(graph, v);
  const list = modelElement("ol", "", box);
  rule.terms.slice(0, MV_MAX_TERMS).forEach((term) => {
    const user = nodeName(graph, term.user);
    const local = "\u2202" + user + "/\u2202" + name, upstream = "d" + lossName + "/d" + user;
    const formula = localFormula(graph, term.user, term.position);
    const item = modelElement("li", "mv-term" + (term.user === next ? " mv-next" : ""), list,
      local + " \u00D7 " + upstream + " = " + (formula === "?" ? "" : formula + " \u00D7 " +
      upstream + " = ") + formatFactor(term.local) + " \u00D7 " + formatFactor(term.upstream) +
      " = " + formatNumber(term.value));
    item.dataset.user = term.user;
    item.title = "move to " + user;
    item.addEventListener("click", () => hop(term.user));
  });
  if (count > MV_MAX_TERMS) {
    modelElement("div", "", box, "\u2026 and " + (count - MV_MAX_TERMS) + " more terms, all in " +
      "the sum below");
  }
  const total = modelElement("div", "mv-total", box);
  const parts = rule.terms.map((term) => formatFactor(term.value));
  total.appendChild(document.createTextNode(grad + " = " + (count > 1 && count <= 6
    ? parts.join(" + ") + " = " : count > 6 ? "the sum of the " + count + " terms = " : "")));
  modelElement("span", "mv-final", total, formatNumber(rule.sum));
  total.appendChild(document.createTextNode(rule.sum === graph.grad[v]
    ? "  (the engine's " + name + ".grad in this pass: the same number)"
    : "  (the engine's " + name + ".grad in this pass: " + formatNumber(graph.grad[v]) + ")"));
}

// The scalar neighbourhood of node v, drawn left to right as the graph runs: its inputs, v
// (outlined in red), the nodes that use it (toward the loss), each edge with its local
// derivative; the edge the walk up takes next in red. A click on a box moves there.
function neighbourhood(box, graph, v, roleFills, lossName, hop) {
  const width = 170, height = 50, gap = 10, columnX = [8, 230, 510], top = 28;
  const inputs = [...new Set([graph.input1[v], graph.input2[v]].filter((i) => i >= 0))];
  const rule = chainRule(graph, v);
  const users = [...new Set(rule.terms.map((term) => term.user))];
  const drawn = users.slice(0, MV_MAX_USERS_DRAWN);
  const more = users.length - drawn.length;
  const rows = Math.max(inputs.length, 1, drawn.length + (more > 0 ? 1 : 0));
  const total = top + rows * (height + gap) + 10;
  const svg = modelSvg("svg", {class: "mv-svg", width: columnX[2] + width + 16, height: total,
    viewBox: "0 0 " + (columnX[2] + width + 16) + " " + total}, box);
  const titles = ["its inputs", "the node", "its users, toward " + lossName];
  titles.forEach((text, k) => modelSvg("text", {class: "mv-column-title", x: columnX[k],
    y: 18}, svg, text));
  const place = (count, k) => top + (rows - count) * (height + gap) / 2 + k * (height + gap);
  const middle = place(1, 0);
  const edges = modelSvg("g", {}, svg);
  const next = nextHopUp(graph, v);

  function edge(x1, y1, x2, y2, label, className, labelAt) {
    const bend = (x2 - x1) / 2;
    modelSvg("path", {class: "mv-edge " + className, d: "M" + x1 + "," + y1 + " C" + (x1 + bend) +
      "," + y1 + " " + (x2 - bend) + "," + y2 + " " + x2 + "," + y2}, edges);
    modelSvg("path", {class: "mv-edge " + className, d: "M" + (x2 - 7) + "," + (y2 - 4) + " L" +
      x2 + "," + y2 + " L" + (x2 - 7) + "," + (y2 + 4)}, edges);
    const [x, y, anchor] = labelAt === "start" ? [x1 + 4, y1 - 5, "start"]
      : [x2 - 10, y2 - 5, "end"];
    modelSvg("text", {class: "mv-edge-label", x: x, y: y, "text-anchor": anchor}, edges, label);
  }

  function nodeBox(node, x, y, current) {
    const role = graph.role[node];
    const group = modelSvg("g", {class: "mv-box" + (current ? " mv-current" : "") +
      (role === MV_CONSTANT ? " mv-constant" : "")}, svg);
    group.dataset.node = node;
    const name = nodeName(graph, node), op = graph.ops[graph.op[node]].op;
    modelSvg("title", {}, group, name + (op ? " (" + op + ")" : "") + ": data " +
      formatNumber(graph.data[node]) + ", d" + lossName + "/d" + name + " = " +
      formatNumber(graph.grad[node]));
    modelSvg("rect", {x: x, y: y, width: width, height: height, rx: 5, fill: roleFills[role]},
      group);
    const labelled = graph.labels.has(node);
    modelSvg("text", {class: "mv-name" + (labelled ? "" : " mv-unlabelled"), x: x + 8, y: y + 15},
      group, shorten(name, 19));
    if (op) modelSvg("text", {class: "mv-op", x: x + width - 8, y: y + 15, "text-anchor": "end"},
      group, shorten(op, 8));
    modelSvg("text", {class: "mv-data", x: x + 8, y: y + 30}, group,
      "data " + formatNumber(graph.data[node]));
    modelSvg("text", {class: "mv-grad", x: x + 8, y: y + 44}, group,
      "grad " + formatNumber(graph.grad[node]));
    if (!current) group.addEventListener("click", () => hop(node));
  }

  inputs.forEach((input, k) => {
    const y = place(inputs.length, k);
    const locals = [];
    if (graph.input1[v] === input) locals.push(formatNumber(graph.local1[v]));
    if (graph.input2[v] === input) locals.push(formatNumber(graph.local2[v]));
    edge(columnX[0] + width, y + height / 2, columnX[1], middle + height / 2,
      edgeLabel(locals), "", "start");
    nodeBox(input, columnX[0], y, false);
  });
  nodeBox(v, columnX[1], middle, true);
  const slots = drawn.length + (more > 0 ? 1 : 0);
  drawn.forEach((user, k) => {
    const y = place(slots, k);
    const locals = rule.terms.filter((term) => term.user === user)
      .map((term) => formatNumber(term.local));
    edge(columnX[1] + width, middle + height / 2, columnX[2], y + height / 2,
      edgeLabel(locals), user === next ? "mv-next" : "", "end");
    nodeBox(user, columnX[2], y, false);
  });
  if (more > 0) {
    const y = place(slots, drawn.length);
    modelSvg("text", {class: "mv-column-title", x: columnX[2] + 8, y: y + height / 2}, svg,
      "+ " + more + " more, in the sum below");
  }
  if (inputs.length === 0) {
    modelSvg("text", {class: "mv-edge-label", x: columnX[0], y: middle + height / 2}, svg,
      "a leaf: no inputs");
  }
}

// An edge's label: its local derivative, or both where the user reads the node twice (v * v).
function edgeLabel(locals) {
  const same = locals.every((text) => text === locals[0]);
  return "\u2202 " + (same && locals.length > 1 ? locals[0] + " \u00D7" + locals.length
    : locals.join(", "));
}

// ---- gradient health over training

function healthPlots(box, health, lossName) {
  modelElement("h2", "", box, "Gradient health over training");
  modelElement("p", "mv-note", box, "Recorded by GradientHealth at " + health.steps.length +
    " training steps. \u2016\u0394W\u2016 / \u2016W\u2016 is the step's update over the " +
    "weights (the dashed line is 1e-3, a common rule of thumb); a ReLU unit is dead when it " +
    "gave 0 on every use in the step's graph, a tanh or sigmoid unit saturated past " +
    health.saturation + ".");
  const legend = modelElement("div", "mv-series", box);
  health.groups.forEach((group, k) => {
    const item = modelElement("span", "", legend);
    modelElement("span", "mv-swatch", item).style.background = seriesColour(k);
    item.appendChild(document.createTextNode(group.name));
  });
  const plots = modelElement("div", "mv-plots", box);
  const xs = health.steps;
  if (health.loss.some((x) => x !== null)) {
    lineChart(plots, "the loss " + lossName, xs, [{name: lossName, ys: health.loss,
      colour: "#111827"}], {});
  }
  const groups = (key) => health.groups.map((group, k) => ({name: group.name, ys: group[key],
    colour: seriesColour(k)}));
  lineChart(plots, "\u2016d" + lossName + "/dW\u2016, the gradient's norm", xs,
    groups("grad_norm"), {log: true});
  lineChart(plots, "\u2016\u0394W\u2016 / \u2016W\u2016, update over weights", xs,
    groups("update_ratio"), {log: true, reference: 1e-3});
  const layerColour = (layer) => {
    const k = health.groups.findIndex((group) => group.name === layer.name);
    return k >= 0 ? seriesColour(k) : seriesColour(health.groups.length + layer.index);
  };
  const percent = (layer, key) => layer[key].map((count, k) => (count === null ||
    !layer.units[k] ? null : 100 * count / layer.units[k]));
  const withKind = (kinds) => health.layers.map((layer, index) => Object.assign({index: index},
    layer)).filter((layer) => layer.kinds.some((kind) => kinds.includes(kind)));
  const relu = withKind(["relu"]), squashing = withKind(["tanh", "sigmoid"]);
  if (relu.length > 0) {
    lineChart(plots, "dead ReLUs, % of the layer's units", xs, relu.map((layer) => ({
      name: layer.name, ys: percent(layer, "dead"), colour: layerColour(layer)})),
    {low: 0, high: 100, legend: true});
  }
  if (squashing.length > 0) {
    lineChart(plots, "saturated tanh / sigmoid units, %", xs, squashing.map((layer) => ({
      name: layer.name, ys: percent(layer, "saturated"), colour: layerColour(layer)})),
    {low: 0, high: 100, legend: true});
  }
}

// A line chart of `series` (each {name, ys, colour}; null is a gap) over the steps `xs`:
// scale.log for a log10 axis (numbers <= 0 are gaps), scale.low / scale.high to fix the range,
// scale.reference for a dashed line.
function lineChart(parent, title, xs, series, scale) {
  const width = 430, height = 220, left = 58, right = 12, top = 24, bottom = 30;
  const svg = modelSvg("svg", {class: "mv-plot", width: width, height: height,
    viewBox: "0 0 " + width + " " + height}, parent);
  modelSvg("text", {class: "mv-plot-title", x: left, y: 14}, svg, title);
  const value = (y) => (y === null || !Number.isFinite(y) || (scale.log && y <= 0) ? null
    : scale.log ? Math.log10(y) : y);
  const all = [];
  for (const each of series) for (const y of each.ys) if (value(y) !== null) all.push(value(y));
  if (scale.reference !== undefined) all.push(scale.log ? Math.log10(scale.reference)
    : scale.reference);
  if (all.length === 0 || xs.length === 0) {
    modelSvg("text", {x: left, y: height / 2}, svg, "nothing recorded");
    return svg;
  }
  let low = scale.low !== undefined ? scale.low : Math.min(...all);
  let high = scale.high !== undefined ? scale.high : Math.max(...all);
  if (scale.log) {
    low = Math.floor(low);
    high = Math.max(Math.ceil(high), low + 1);
  } else if (high === low) {
    high = low + 1;
  }
  const first = xs[0], last = xs[xs.length - 1] === first ? first + 1 : xs[xs.length - 1];
  const sx = (x) => left + (x - first) / (last - first) * (width - left - right);
  const sy = (y) => height - bottom - (y - low) / (high - low) * (height - top - bottom);
  modelSvg("line", {class: "mv-axis", x1: left, y1: height - bottom, x2: width - right,
    y2: height - bottom}, svg);
  modelSvg("line", {class: "mv-axis", x1: left, y1: top, x2: left, y2: height - bottom}, svg);
  const ticks = [];
  if (scale.log) {
    const every = Math.max(1, Math.ceil((high - low) / 5));
    for (let p = low; p <= high; p += every) ticks.push([p, "1e" + p]);
  } else {  // 1, 2 or 5 times a power of ten, at most six of them
    let step = Math.pow(10, Math.floor(Math.log10((high - low) / 4)));
    for (const times of [2, 2.5, 2]) if ((high - low) / step > 6) step *= times;
    for (let y = Math.ceil(low / step) * step; y <= high + step * 1e-9; y += step) {
      ticks.push([y, formatNumber(y)]);
    }
  }
  for (const [y, text] of ticks) {
    modelSvg("line", {class: "mv-grid", x1: left, y1: sy(y), x2: width - right, y2: sy(y)}, svg);
    modelSvg("text", {x: left - 4, y: sy(y) + 4, "text-anchor": "end"}, svg, text);
  }
  modelSvg("text", {x: left, y: height - bottom + 14}, svg, "step " + first);
  if (xs.length > 1) {
    modelSvg("text", {x: width - right, y: height - bottom + 14, "text-anchor": "end"}, svg,
      "step " + xs[xs.length - 1]);
  }
  if (scale.legend) {  // the series' names, coloured, at the top right
    let x = width - right;
    for (const each of series.slice().reverse()) {
      modelSvg("text", {x: x, y: 14, "text-anchor": "end",
        style: "fill: " + each.colour + "; font-weight: bold"}, svg, each.name);
      x -= Math.max(40, 8 * each.name.length + 12);
    }
  }
  if (scale.reference !== undefined) {
    const y = sy(scale.log ? Math.log10(scale.reference) : scale.reference);
    modelSvg("line", {class: "mv-reference", x1: left, y1: y, x2: width - right, y2: y}, svg);
  }
  for (const each of series) {
    let d = "", pen = "M";
    each.ys.forEach((y, k) => {
      const at = value(y);
      if (at === null) {
        pen = "M";
        return;
      }
      d += pen + sx(xs[k]).toFixed(1) + "," + sy(at).toFixed(1) + " ";
      pen = "L";
    });
    const line = modelSvg("path", {class: "mv-line", d: d, stroke: each.colour}, svg);
    modelSvg("title", {}, line, each.name);
  }
  return svg;
}

// ---- the key

function modelKey(box, data, lossName) {
  modelElement("strong", "", box, "Key");
  const list = modelElement("ul", "", box);
  const item = (swatchClass, background, words) => {
    const li = modelElement("li", "", list);
    const swatch = modelElement("span", "mv-swatch " + swatchClass, li);
    if (background) swatch.style.background = background;
    li.appendChild(document.createTextNode(words));
  };
  item("", "linear-gradient(to right, #dc2626, #ffffff, #2563eb)",
    "a heatmap's colours: red negative, white 0, blue positive, full at the scale under it");
  item("", "#d1d5db", "not used by " + lossName + ": its gradient is 0");
  for (const role of data.key.roles) {
    item(role.role === "constant" ? "mv-dashed" : "", role.fill, role.words);
  }
  item("mv-current", "", "the current node of the chain rule");
  item("", "#dc2626", "the next hop up toward " + lossName + ": the largest term");
  const final = modelElement("li", "", list);
  modelElement("span", "mv-final", final, "grad 0.1");
  final.appendChild(document.createTextNode(" final gradient: the page shows one whole " +
    "backward pass, so every node has had every share from the nodes that use it"));
  modelElement("li", "", list, "\u2202u/\u2202w: the local derivative of u's op, computed in " +
    "the forward pass; d" + lossName + "/du: the gradient of the loss, the upstream gradient");
}
