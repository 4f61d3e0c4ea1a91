// The live model view's entry (micrograd_like.model_widget): anywidget calls render() with the
// widget's model, whose `data` is model_data() as JSON and `step` the training step that data is
// of, and the element the notebook gives this output. It shows a line saying the step, and under
// it model.js's view, mounted again each time the kernel sends new data (ModelWidget.update,
// which throttles what it sends; a step whose data came out the same changes the line alone).
//
// A new mount is built off screen, in an element of its own, and swapped in for the old one once
// it is drawn: the output never flashes empty, and what is above the view never moves. Before
// the swap the new view is put where the learner was in the old one: the same weight selected (by
// its group's name and its place in the group, if the group still has it) and, when the graph has
// as many nodes as before, the same hops up from it (the same model on a batch of the same shape
// builds the same graph, so node i is the same operation, with new numbers). After the swap, the
// scroll positions inside the view, and the focus, which says where the keys go while the pointer
// is elsewhere. Data that arrives while a mount is under way waits for it, and only the latest is
// mounted: the view skips the steps it cannot keep up with.
//
// The keys. model.js steps the chain rule with → ← Home End and space while its element has the
// focus or the pointer, which a notebook needs refined: JupyterLab has shortcuts of its own on
// those keys in command mode, and sees a press first; and a key typed into a cell's editor under
// a resting pointer would step the view and never reach the editor. So the widget routes a press
// itself, by the stepping widget's rule (widget.js): the keys, with no Shift, Ctrl, Alt or Meta,
// go to the widget under the pointer or, with the pointer over none, to the one holding the
// focus (the one last clicked or stepped); never while typing in an editor or a field. The
// widget that takes a press takes the focus too, without scrolling, and does the press as a
// click on the view's own button for it; the press goes no further (a capture listener on the
// document, ahead of JupyterLab's). model.js is never told where the pointer is, which leaves it
// the focus, and every press it would take by the focus is taken here first.
//
// model.js gives no way to remove the document keydown listener each mount adds: an old view's
// listener stays, inert (it answers only while its element is on the page, and the swap takes
// the old element off), holding that view's numbers until the notebook page is reloaded.

import {mountModel} from "./model.js";

const MW_ROOT = "model-widget";  // the class of each widget's root, the element anywidget gives
// the widgets of a notebook that take keys: these, and the stepping widget (widget.js)
const MW_KEYED = ".model-widget, .backprop-widget";
const MW_HOVERED = ".model-widget:hover, .backprop-widget:hover";
// model.js's keys, each as the button of its drill-down that does the same
const MW_BUTTONS = {ArrowRight: "mv-up", ArrowLeft: "mv-back", Home: "mv-first", End: "mv-end",
  " ": "mv-play"};
// the view's boxes that scroll, whose positions carry over to the next mount, nth to nth
const MW_SCROLLED = [".mv-right", ".mv-card", ".mv-sum ol", ".mv-neighbourhood"];

export default {
  render({ model, el }) {
    el.classList.add(MW_ROOT);
    const stepLine = document.createElement("p");
    stepLine.className = "mw-step";
    el.appendChild(stepLine);
    let shown = null;  // the mounted view: {box, view, data, text}
    let busy = false, again = false, gone = false, queued = false;

    const showStep = (step) => {
      stepLine.textContent = stepText(step);
      el.dataset.step = String(step);
    };
    // The data and the step change together (one message), or the step alone when the data came
    // out the same: either way one refresh, once both are set.
    const changed = () => {
      if (queued) return;
      queued = true;
      queueMicrotask(() => {
        queued = false;
        refresh();
      });
    };
    const refresh = () => {
      if (gone) return;
      if (busy) {
        again = true;
        return;
      }
      const text = model.get("data"), step = model.get("step");
      if (shown !== null && shown.text === text) {
        showStep(step);
        return;
      }
      busy = true;
      const data = JSON.parse(text);
      const box = document.createElement("div");
      const controller = new AbortController();
      const view = mountModel(box, data, {signal: controller.signal});
      const before = shown;
      const placed = before === null ? view.ready
        : view.ready.then(() => returnTo(before, view, data, box));
      // a mount that failed says why in its own element, swapped in all the same
      placed.catch((error) => console.error("model widget:", error)).then(() => {
        if (gone) {
          controller.abort();  // removed while it was drawn: never shown, nothing to keep
          return;
        }
        const kept = before === null ? null : keptPlace(before.box);
        if (before === null) el.appendChild(box);
        else el.replaceChild(box, before.box);
        if (kept !== null) restorePlace(kept, box);
        showStep(step);
        if (before !== null) before.controller.abort();  // the old view's listener goes with it
        shown = {box: box, view: view, data: data, text: text, controller: controller};
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
    };
    model.on("change:data", changed);
    model.on("change:step", changed);
    refresh();

    // The keys (see the top): model.js is not told where the pointer is, and each press for
    // this widget is taken here, ahead of JupyterLab, and done as a click on the view's button.
    const hide = (event) => event.stopPropagation();
    el.addEventListener("mouseenter", hide, true);
    el.addEventListener("mouseleave", hide, true);
    const onKey = (event) => {
      const name = MW_BUTTONS[event.key];
      if (!name || event.defaultPrevented || event.shiftKey || event.ctrlKey || event.altKey ||
          event.metaKey || typingInto(event.target) || keysOwner() !== el || shown === null) return;
      const button = shown.box.querySelector("button." + name);
      if (!button) return;  // no chain rule past max_nodes: the press is not the view's
      event.preventDefault();
      event.stopPropagation();
      if (!shown.box.contains(document.activeElement)) shown.box.focus({preventScroll: true});
      button.click();
    };
    document.addEventListener("keydown", onKey, true);
    return () => {
      gone = true;
      if (shown !== null) shown.controller.abort();
      model.off("change:data", changed);
      model.off("change:step", changed);
      document.removeEventListener("keydown", onKey, true);
    };
  },
};

// Typing: a press into a field or an editor (a cell's CodeMirror editor is contenteditable).
function typingInto(target) {
  return !!target && (target.isContentEditable ||
    (!!target.closest && !!target.closest("input, textarea, select, .cm-editor")));
}

// The widget that gets the keys: the one under the pointer, else the one holding the focus.
function keysOwner() {
  const hovered = document.querySelectorAll(MW_HOVERED);
  if (hovered.length > 0) return hovered[hovered.length - 1];
  const focused = document.activeElement;
  return focused && focused.closest ? focused.closest(MW_KEYED) : null;
}

function stepText(step) {
  return step > 0 ? "Training step " + step : "Before training";
}

// The new view put where the learner was in the old one, `before`, while it is off screen: its
// weight, and its hops up when the graph is the same size. A promise.
function returnTo(before, view, data, box) {
  const state = before.view.state();
  if (state.selected === null) return null;
  const name = before.data.groups[state.selected.group].name;
  const group = data.groups.findIndex((each) => each.name === name);
  if (group < 0 || state.selected.k >= data.groups[group].size) return null;
  return view.select(group, state.selected.k).then(() => {
    const trail = state.drill === null ? [] : state.drill.trail;
    const now = view.state().drill;
    if (trail.length < 2 || data.nodes !== before.data.nodes || now === null ||
        now.trail[0] !== trail[0]) return null;
    let hops = Promise.resolve();
    for (const node of trail.slice(1)) hops = hops.then(() => view.go(node));
    return hops.then(() => {
      const chips = box.querySelectorAll(".mv-trail .mv-hop");  // a click on one goes back to it
      if (state.drill.at < trail.length - 1) chips[state.drill.at].click();
    });
  });
}

// What of the old view's place only the page knows, read before it is taken off: its boxes'
// scroll positions and whether it holds the focus. (The pointer needs nothing: the keys follow it
// by the widget's root, which stays.)
function keptPlace(box) {
  const scrolls = MW_SCROLLED.map((selector) => Array.from(box.querySelectorAll(selector),
    (each) => [each.scrollTop, each.scrollLeft]));
  return {scrolls: scrolls, focused: box.contains(document.activeElement)};
}

function restorePlace(kept, box) {
  MW_SCROLLED.forEach((selector, s) => {
    box.querySelectorAll(selector).forEach((each, k) => {
      if (k >= kept.scrolls[s].length) return;
      [each.scrollTop, each.scrollLeft] = kept.scrolls[s][k];
    });
  });
  if (kept.focused) box.focus({preventScroll: true});
}
