// The notebook widget's entry (micrograd_like.notebook): anywidget calls render() with the
// widget's model, whose `data` is backprop_data() as JSON, and the element the notebook gives
// this output. mountBackprop measures the drawing (where each gradient goes under its box), which
// only works on screen, and a notebook may render an output before attaching it or inside a
// hidden tab: so it mounts at the first frame the element shows.
//
// The keys. A notebook holds several widgets, and JupyterLab has shortcuts of its own on the
// same keys (in command mode → moves to the next heading, scrolling the notebook), so the
// widget routes a press itself, by one rule: →, ←, Home, End and space, with no Shift, Ctrl,
// Alt or Meta, go to the widget under the pointer or, with the pointer over none, to the one
// holding the focus (the widget last clicked or stepped); never while typing in a cell's editor
// or a field. The widget that takes a press takes the focus too, without scrolling, and the
// press goes no further: one widget answers it and JupyterLab never sees it. Every other press
// reaches JupyterLab untouched. Each widget listens on its document in the capture phase, ahead
// of JupyterLab (which listens as the press bubbles back up), and every widget applies the same
// rule, so exactly one takes a press.
//
// A press is carried out as a click on the stepper's own button, and a step never scrolls the
// notebook: page.js keeps the table's current row in view with scrollIntoView, which in a
// notebook would scroll the notebook too and take the widget from under the pointer. Around
// each click of a step button the notebook's scroll position is put back; the table's own box
// still scrolls.

import {mountBackprop} from "./backprop.js";

const WIDGET = "backprop-widget";  // the class of each widget's root, the element anywidget gives
const BUTTONS = {ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last", " ": "play"};

export default {
  render({ model, el }) {
    const doc = el.ownerDocument;
    el.classList.add(WIDGET);
    el.tabIndex = 0;  // focusable as a whole, the tab bar of a network's widget included
    // page.js's steppers also take keys while the pointer is over them (they watch mouseenter),
    // even keys typed into a cell's editor under a resting pointer. The pointer is hidden from
    // them here, which leaves them the focus, a case onKey has already taken.
    const hide = (event) => event.stopImmediatePropagation();
    el.addEventListener("mouseenter", hide, true);
    el.addEventListener("mouseleave", hide, true);

    const onKey = (event) => {
      const name = BUTTONS[event.key];
      if (!name || event.defaultPrevented || event.shiftKey || event.ctrlKey || event.altKey ||
          event.metaKey || editing(event.target) || keyOwner(doc) !== el) return;
      const stepper = stepperFor(el, doc);
      const button = stepper && stepper.querySelector(":scope > .controls > button." + name);
      if (!button) return;  // not mounted yet, or hidden (a collapsed output)
      event.preventDefault();
      event.stopPropagation();
      if (!stepper.contains(doc.activeElement)) {
        withoutScrolling(el, () => stepper.focus({preventScroll: true}));
      }
      button.click();
    };
    doc.addEventListener("keydown", onKey, true);

    // A step button's click, a press's or the mouse's: the scroll positions around el are kept
    // as the click comes down to the button and put back as it bubbles up from it.
    let kept = null;
    el.addEventListener("click", (event) => {
      const step = event.target.closest && event.target.closest(".controls > button");
      kept = step ? scrollPositions(el) : null;
    }, true);
    el.addEventListener("click", () => {
      if (kept !== null) restoreScrolls(kept);
      kept = null;
    });

    let frame = 0;
    const mount = () => {
      if (!el.isConnected || el.getClientRects().length === 0) {
        frame = requestAnimationFrame(mount);
        return;
      }
      mountBackprop(el, JSON.parse(model.get("data")));
    };
    mount();
    return () => {
      cancelAnimationFrame(frame);
      doc.removeEventListener("keydown", onKey, true);
    };
  },
};

// Typing: a press into a field or an editor (a cell's CodeMirror editor is contenteditable).
function editing(target) {
  return !!target && (target.isContentEditable ||
    (!!target.closest && !!target.closest("input, textarea, select, .cm-editor")));
}

// The widget that gets the keys: the one under the pointer, else the one holding the focus.
function keyOwner(doc) {
  const hovered = doc.querySelectorAll("." + WIDGET + ":hover");
  if (hovered.length > 0) return hovered[hovered.length - 1];
  const focused = doc.activeElement;
  return focused && focused.closest ? focused.closest("." + WIDGET) : null;
}

// Which stepper of the widget steps: each is the parent of a .controls bar, and they nest (a
// network's widget has the network's, the scalar graph's in the other tab, and a clicked
// neuron's own graph inside the network's). The same rule, inside: the innermost shown one under
// the pointer, else the innermost holding the focus, else the first shown (the open tab's).
function stepperFor(el, doc) {
  const shown = Array.from(el.querySelectorAll(".controls"), (bar) => bar.parentElement)
    .filter((stepper) => stepper.getClientRects().length > 0);
  const innermost = (test) => shown.filter(test).pop();  // document order: outer ones first
  return innermost((stepper) => stepper.matches(":hover")) ||
    innermost((stepper) => stepper.contains(doc.activeElement)) || shown[0] || null;
}

// The scroll position of every element around el (the notebook's among them), to put back.
function scrollPositions(el) {
  const kept = [];
  for (let node = el.parentElement; node !== null; node = node.parentElement) {
    kept.push([node, node.scrollTop, node.scrollLeft]);
  }
  const page = el.ownerDocument.scrollingElement;
  if (page) kept.push([page, page.scrollTop, page.scrollLeft]);
  return kept;
}

function restoreScrolls(kept) {
  for (const [node, top, left] of kept) {
    if (node.scrollTop !== top) node.scrollTop = top;
    if (node.scrollLeft !== left) node.scrollLeft = left;
  }
}

function withoutScrolling(el, action) {
  const kept = scrollPositions(el);
  action();
  restoreScrolls(kept);
}
