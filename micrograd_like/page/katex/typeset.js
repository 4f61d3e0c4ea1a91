// micrograd_like's own part of page/katex/ (the rest is KaTeX, as its npm package ships it).
// Not a module of its own: latex.katex_script() puts this text inside the function that holds
// the vendored KaTeX, where `katex` is that KaTeX, and publishes `typeset` with it.
//
// The markup it typesets: an element whose text is the formula as plain text and whose
// `data-tex` attribute is the same formula in LaTeX (micrograd_like.latex):
//
//     <span data-tex="\frac{dC}{dW} = 0.1443">dC/dW = 0.1443</span>
//
// `data-tex-display="block"` typesets it as a display (an explanation's aligned rows).
// `typeset(container)` typesets every such element in `container` (and `container` itself);
// `typeset()`, in the whole document.
// The plain text is the fallback: where this script never runs (blocked) or KaTeX refuses a
// formula, the element keeps its text, and a refusal is written into `data-tex-error`
// (nothing goes to the console: a formula the page cannot typeset is not the page's error).
// Typesetting an element again is a no-op while its `data-tex` is unchanged; an element whose
// text the page rewrote (to a new step's line, with its new `data-tex`) is typeset afresh.

function typeset(container) {
  const root = container || document;
  const elements = [...root.querySelectorAll("[data-tex]")];
  if (root.matches && root.matches("[data-tex]")) {
    elements.unshift(root); // typeset(line) typesets the line itself
  }
  for (const element of elements) {
    const tex = element.dataset.tex;
    const shown = element.querySelector(":scope > .katex, :scope > .katex-display") !== null;
    if (shown && element.dataset.texDone === tex) {
      continue; // this formula, typeset already
    }
    if (!shown) {
      element.dataset.texText = element.textContent; // the page's text: the fallback
    }
    try {
      katex.render(tex, element, {
        displayMode: element.dataset.texDisplay === "block",
        throwOnError: true,
        strict: "ignore", // a label in Unicode (W₁, 重み) is written as it is
        trust: false, // no \href, \url or \includegraphics, whatever a formula holds
        output: "htmlAndMathml", // MathML for screen readers
      });
      element.dataset.texDone = tex;
      delete element.dataset.texError;
    } catch (error) {
      element.textContent = element.dataset.texText;
      element.dataset.texError = String(error && error.message);
      delete element.dataset.texDone;
    }
  }
}
